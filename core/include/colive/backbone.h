// SPDX-License-Identifier: MIT
// Optional pretrained feature network ("backbone") between the raw features and the transformer.
//
// A backbone is an ONNX file run with OpenCV DNN (cv::dnn::readNetFromONNX, OpenCV 4.6) plus a small
// side manifest (JSON) that says what goes in and what comes out:
//
//   {
//     "name": "tiny-audio-cnn",            // the feature id becomes "onnx:<name>"
//     "onnx": "tiny_audio_cnn.onnx",       // relative to the manifest's folder, or absolute
//     "input_kind": "logmel",              // "logmel": one 96x64 log-mel patch (AudioFeatures)
//                                          // "frame":  one video frame at each token time (VideoFeatures)
//     "input_shape": [1, 1, 96, 64],       // NCHW, N must be 1
//     "mean": [0.0], "std": [1.0],         // per input channel: x' = (x * pixel_scale - mean) / std
//     "pixel_scale": 1.0,                  // frames: 8-bit pixel values are multiplied by this first
//                                          // (default 1/255 for frames, 1 for log-mel)
//     "color": "rgb",                      // frames: "rgb", "bgr" or "grey" channel order
//     "output": ""                         // output layer name; "" = the network's default output
//   }
//
// The token is the chosen output blob flattened (its width is found by a dry run at load time).
// See docs/backbones.md for bringing a real network (VGGish, a Kinetics model, ...).
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace cv {
class Mat;
}

namespace colive {

struct BackboneManifest {
    std::string name;
    std::filesystem::path onnx;        // resolved
    std::string input_kind;            // "logmel" | "frame"
    std::vector<int> input_shape;      // N, C, H, W
    std::vector<float> mean, std;      // one value, or one per channel
    float pixel_scale = 1.0f;
    std::string color = "rgb";
    std::string output;

    // Parses a manifest file (.json). An .onnx path is accepted too when "<file>.json" or
    // "<stem>.json" sits next to it. Throws FeatureError with a one-line reason.
    static BackboneManifest load(const std::filesystem::path& path);
};

class OnnxBackbone {
public:
    // Loads the manifest and the network and runs it once on zeros to learn the output width.
    static OnnxBackbone load(const std::filesystem::path& manifest_path);
    static OnnxBackbone load(BackboneManifest manifest);
    OnnxBackbone(OnnxBackbone&&) noexcept;
    OnnxBackbone& operator=(OnnxBackbone&&) noexcept;
    ~OnnxBackbone();

    const BackboneManifest& manifest() const;
    int dim() const;                   // flattened output width

    // Log-mel patch (rows x cols, row-major frames x bands) -> out (dim values).
    void run_logmel(std::span<const float> patch, int rows, int cols, std::vector<float>& out);
    // Any frame (8/16-bit, 1/3/4 channels, BGR order as OpenCV delivers) -> out (dim values).
    void run_frame(const cv::Mat& frame, std::vector<float>& out);
    // Raw access: a float NCHW blob of exactly input_shape -> out. Used by tests.
    void run_blob(std::span<const float> nchw, std::vector<float>& out);

private:
    struct Impl;
    explicit OnnxBackbone(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

}  // namespace colive
