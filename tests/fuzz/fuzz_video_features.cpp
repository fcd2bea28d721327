// SPDX-License-Identifier: MIT
// Fuzz target: the video input path the project writes itself (colive::VideoFeatures: any frame
// size, depth and channel count -> grey working image -> optical flow -> motion token, with the
// token clock driven by arbitrary, possibly backwards or non-finite, timestamps).
// Input format, repeated until the input ends (at most 24 frames):
//   u8 width-1 (0..63; bit 6 of the shape byte makes it width*9, up to 576)
//   u8 height-1 (same), u8 shape: bits 0-2 depth {8U,16U,32F,8S,16S,32S,64F,8U}, bits 3-4 channels
//   {1,3,4,2}, bit 5 reset() first, bit 6 large frame, bit 7 plane fill (else repeat input bytes)
//   u8 time step: int8 / 40 s; 0x7f = NaN, 0x80 = +Inf
// Pixel bytes come from the rest of the input, repeated. Properties: only colive::Error escapes;
// tokens have dim() values and are finite (every depth is converted to 8-bit before analysis).
#include "colive/features.h"
#include "fuzz_input.h"

#include <opencv2/core.hpp>

#include <cmath>
#include <limits>
#include <vector>

namespace {
constexpr const char* kName = "fuzz_video_features";
constexpr int kDepths[] = {CV_8U, CV_16U, CV_32F, CV_8S, CV_16S, CV_32S, CV_64F, CV_8U};
constexpr int kChannels[] = {1, 3, 4, 2};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static colive::VideoFeatures features;
    features.reset();
    colive_fuzz::Input in(data, size);
    const auto dim = std::size_t(features.dim());
    auto on_token = [&](const colive::Token& t) {
        if (t.values.size() != dim) colive_fuzz::violated(kName, "token width != dim()");
        for (float v : t.values)
            if (!std::isfinite(v)) colive_fuzz::violated(kName, "non-finite token");
    };
    double t = 0.0;
    int frames = 0;
    while (!in.empty() && frames++ < 24) {
        int w = in.u8() % 64 + 1;
        int h = in.u8() % 64 + 1;
        const std::uint8_t shape = in.u8();
        const std::uint8_t step = in.u8();
        if (shape & 0x40) {   // large frames, up to 576x576 (bigger only slows fuzzing down)
            w *= 9;
            h *= 9;
        }
        const int type = CV_MAKETYPE(kDepths[shape & 7], kChannels[(shape >> 3) & 3]);
        cv::Mat frame(h, w, type);
        const std::size_t bytes = frame.total() * frame.elemSize();
        auto* px = frame.ptr<std::uint8_t>();
        if (shape & 0x80 || in.empty()) {
            const std::uint8_t v = in.u8();
            for (std::size_t i = 0; i < bytes; ++i) px[i] = std::uint8_t(v + (i / 7) * 13 * frames);
        } else {
            std::vector<std::uint8_t> pattern;
            for (std::size_t i = 0; i < 64 && !in.empty(); ++i) pattern.push_back(in.u8());
            for (std::size_t i = 0; i < bytes; ++i) px[i] = pattern[i % pattern.size()];
        }
        if (step == 0x7f)
            t = std::numeric_limits<double>::quiet_NaN();
        else if (step == 0x80)
            t = std::numeric_limits<double>::infinity();
        else
            t = (std::isfinite(t) ? t : 0.0) + double(std::int8_t(step)) / 40.0;
        try {
            if (shape & 0x20) features.reset();
            features.push(frame, t, on_token);
        } catch (const colive::Error&) {
            // A clear refusal (bad depth, channel count, non-finite time) is fine.
        }
    }
    return 0;
}
