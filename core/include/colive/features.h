// SPDX-License-Identifier: MIT
// CoLive feature extractors: raw video frames / audio samples -> tokens for the engine.
// OpenCV is used here (and only here in core/). No Qt.
//
// Both extractors run on a worker thread, take input at any rate/size and emit tokens at a fixed
// token rate. They do not allocate per token after the first few calls.
#pragma once

#include "colive/engine.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace cv {
class Mat;
}

namespace colive {

struct FeatureError : Error {
    using Error::Error;
};

// A token produced by an extractor, with the media time (seconds) it stands for.
struct Token {
    std::vector<float> values;
    double time_s = 0.0;
};

// ---------------------------------------------------------------------------------------------
struct VideoFeatureParams {
    double token_rate_hz = 10.0;      // tokens per second, independent of the camera frame rate
    int work_width = 160;             // frames are resized to this width (aspect kept) before analysis
};

class VideoFeatures {
public:
    explicit VideoFeatures(VideoFeatureParams params = {});
    ~VideoFeatures();
    static const char* id();          // feature id stored in model files, e.g. "video-motion-v1"
    int dim() const;                  // token width
    // Pushes one frame (any size; 8-bit or 16-bit; 1, 3 or 4 channels) taken at media time t_s.
    // Returns true and fills `out` when a token is due at the token rate.
    bool push(const cv::Mat& frame, double t_s, Token& out);
    void reset();

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// ---------------------------------------------------------------------------------------------
struct AudioFeatureParams {
    int model_rate_hz = 16000;        // VGGish convention
    double token_hop_s = 0.25;        // time between tokens
    double patch_s = 0.96;            // log-mel patch length
};

class AudioFeatures {
public:
    explicit AudioFeatures(AudioFeatureParams params = {});
    ~AudioFeatures();
    static const char* id();          // e.g. "audio-logmel-v1"
    int dim() const;
    // Pushes interleaved float samples in [-1, 1] at `rate_hz` with `channels` channels. Calls
    // `on_token` for every token that becomes due. Changing rate/channels resets the resampler.
    void push(std::span<const float> interleaved, int channels, int rate_hz,
              const std::function<void(const Token&)>& on_token);
    void reset();
    // The latest log-mel frames (for a spectrogram view): rows = frames, cols = mel bands.
    void latest_logmel(std::vector<float>& out, int& rows, int& cols) const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace colive
