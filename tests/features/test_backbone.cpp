// SPDX-License-Identifier: MIT
// ONNX backbone path: OpenCV DNN output on the same input must match PyTorch's output
// (golden files from scripts/export_onnx_backbone.py).
#include "colive/backbone.h"
#include "colive/features.h"
#include "npy_reader.h"

#include <gtest/gtest.h>
#include <opencv2/core.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

using colive::FeatureError;
using colive::OnnxBackbone;

namespace {
const std::string kDir = std::string(COLIVE_GOLDEN_DIR) + "/features/";

double max_abs_diff(const std::vector<float>& a, const std::vector<double>& b, std::size_t offset = 0) {
    double m = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a[i] - b[offset + i]));
    return m;
}
}  // namespace

TEST(Backbone, ManifestIsParsed) {
    const auto m = colive::BackboneManifest::load(kDir + "tiny_frame_cnn.json");
    EXPECT_EQ(m.name, "tiny-frame-cnn");
    EXPECT_EQ(m.input_kind, "frame");
    EXPECT_EQ(m.input_shape, (std::vector<int>{1, 3, 64, 64}));
    ASSERT_EQ(m.mean.size(), 3u);
    EXPECT_FLOAT_EQ(m.std[2], 0.225f);
    EXPECT_EQ(m.output, "embedding");
    EXPECT_TRUE(std::filesystem::exists(m.onnx));
    // An .onnx path finds its manifest next to it.
    EXPECT_EQ(colive::BackboneManifest::load(kDir + "tiny_frame_cnn.onnx").name, "tiny-frame-cnn");
}

TEST(Backbone, RawBlobMatchesPyTorch) {
    auto bb = OnnxBackbone::load(kDir + "tiny_audio_cnn.json");
    const auto x = colive::test::read_npy(kDir + "backbone_audio_input.npy");
    const auto y = colive::test::read_npy(kDir + "backbone_audio_output.npy");
    EXPECT_EQ(bb.dim(), 32);
    std::vector<float> in(x.data.begin(), x.data.end()), out;
    bb.run_blob(in, out);
    ASSERT_EQ(out.size(), y.size());
    const double err = max_abs_diff(out, y.data);
    std::printf("audio backbone: OpenCV DNN vs torch max |diff| = %.3g\n", err);
    EXPECT_LT(err, 1e-4);
}

TEST(Backbone, AudioFeaturesWithBackboneMatchPyTorchOnLogMelPatches) {
    colive::AudioFeatureParams p;
    p.backbone_manifest = kDir + "tiny_audio_cnn.json";
    colive::AudioFeatures f(p);
    EXPECT_EQ(f.dim(), 32);
    EXPECT_EQ(f.feature_id(), "onnx:tiny-audio-cnn");
    const auto x = colive::test::read_npy(kDir + "logmel_input_16k.npy");
    const auto y = colive::test::read_npy(kDir + "backbone_audio_patches_output.npy");
    std::vector<float> samples(x.data.begin(), x.data.end());
    std::vector<std::vector<float>> toks;
    f.push(samples, 1, 16000, [&](const colive::Token& t) { toks.push_back(t.values); });
    ASSERT_GE(toks.size(), 3u);
    double err = 0.0;
    for (std::size_t k = 0; k < 3; ++k) err = std::max(err, max_abs_diff(toks[k], y.data, k * 32));
    std::printf("audio features + backbone vs torch on reference log-mel patches: max |diff| = %.3g\n", err);
    EXPECT_LT(err, 1e-4);
}

TEST(Backbone, FrameBackboneMatchesPyTorch) {
    auto bb = OnnxBackbone::load(kDir + "tiny_frame_cnn.json");
    const auto img = colive::test::read_npy(kDir + "backbone_frame_bgr.npy");
    const auto y = colive::test::read_npy(kDir + "backbone_frame_output.npy");
    ASSERT_EQ(img.shape, (std::vector<std::size_t>{64, 64, 3}));
    cv::Mat frame(64, 64, CV_8UC3);
    for (std::size_t i = 0; i < img.size(); ++i) frame.data[i] = static_cast<unsigned char>(img.data[i]);
    std::vector<float> out;
    bb.run_frame(frame, out);
    ASSERT_EQ(out.size(), 24u);
    const double err = max_abs_diff(out, y.data);
    std::printf("frame backbone: OpenCV DNN vs torch max |diff| = %.3g\n", err);
    EXPECT_LT(err, 1e-4);
    // Through VideoFeatures: one token per slot, each the backbone output of the current frame.
    colive::VideoFeatureParams vp;
    vp.backbone_manifest = kDir + "tiny_frame_cnn.json";
    colive::VideoFeatures vf(vp);
    EXPECT_EQ(vf.dim(), 24);
    EXPECT_EQ(vf.feature_id(), "onnx:tiny-frame-cnn");
    int n = 0;
    for (int i = 0; i < 4; ++i)
        vf.push(frame, i * 0.1, [&](const colive::Token& t) {
            ++n;
            EXPECT_LT(max_abs_diff(t.values, y.data), 1e-4);
        });
    EXPECT_EQ(n, 3);
    // Other frame formats go through without errors.
    cv::Mat big(480, 640, CV_16UC4, cv::Scalar(1000, 20000, 40000, 65535)), grey(7, 5, CV_8UC1, cv::Scalar(9));
    EXPECT_NO_THROW(bb.run_frame(big, out));
    EXPECT_NO_THROW(bb.run_frame(grey, out));
    EXPECT_EQ(out.size(), 24u);
}

TEST(Backbone, BadManifestsGiveClearErrors) {
    const auto tmp = std::filesystem::temp_directory_path() / "colive_backbone_test";
    std::filesystem::create_directories(tmp);
    auto write = [&](const std::string& name, const std::string& text) {
        std::ofstream(tmp / name) << text;
        return (tmp / name).string();
    };
    EXPECT_THROW(OnnxBackbone::load(tmp / "missing.json"), FeatureError);
    EXPECT_THROW(OnnxBackbone::load(write("garbage.json", "{ not json")), FeatureError);
    EXPECT_THROW(OnnxBackbone::load(write("noonnx.json", R"({"input_kind": "logmel", "input_shape": [1,1,96,64]})")), FeatureError);
    EXPECT_THROW(OnnxBackbone::load(write("kind.json", R"({"onnx": "x.onnx", "input_kind": "audio", "input_shape": [1,1,96,64]})")), FeatureError);
    EXPECT_THROW(OnnxBackbone::load(write("shape.json", R"({"onnx": "x.onnx", "input_kind": "logmel", "input_shape": [1,96,64]})")), FeatureError);
    EXPECT_THROW(OnnxBackbone::load(write("nofile.json", R"({"onnx": "x.onnx", "input_kind": "logmel", "input_shape": [1,1,96,64]})")), FeatureError);
    write("bad.onnx", "this is not a protobuf");
    EXPECT_THROW(OnnxBackbone::load(write("badonnx.json", R"({"onnx": "bad.onnx", "input_kind": "logmel", "input_shape": [1,1,96,64]})")), FeatureError);
    // A logmel network cannot serve video, and vice versa.
    colive::VideoFeatureParams vp;
    vp.backbone_manifest = kDir + "tiny_audio_cnn.json";
    EXPECT_THROW(colive::VideoFeatures{vp}, FeatureError);
    colive::AudioFeatureParams ap;
    ap.backbone_manifest = kDir + "tiny_frame_cnn.json";
    EXPECT_THROW(colive::AudioFeatures{ap}, FeatureError);
    std::filesystem::remove_all(tmp);
}
