// SPDX-License-Identifier: MIT
// Tiny random models for the app/ui/e2e tests, written in the project's .safetensors format with
// the input width the feature extractors have *now* (so the tests follow feature changes). Their
// predictions mean nothing; the tests only check plumbing (shapes, regular == continual, exports).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace colive::test {

struct TinyModelSpec {
    std::string name = "tiny";
    std::string modality;            // "video" | "audio"
    std::string features;            // feature id
    int d_in = 0;
    int d_model = 16, heads = 2, d_ff = 32, window = 8, blocks = 2;
    double token_rate_hz = 10.0;
    std::vector<std::string> classes;
    unsigned seed = 1;
};

void write_tiny_model(const std::filesystem::path& path, const TinyModelSpec& spec);

// tiny_video.safetensors / tiny_audio.safetensors / tiny_pose.safetensors (pose-kp-v1) /
// tiny_video_badwidth.safetensors in `dir`
// (created once per process in a temp dir when `dir` is empty). Returns the directory.
std::filesystem::path write_tiny_models(const std::filesystem::path& dir = {});

}  // namespace colive::test
