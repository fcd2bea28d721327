// SPDX-License-Identifier: MIT
#pragma once

#include <string>

namespace colive::extract {
// Prints ms per token for the audio and video extractors on synthetic input, and ms per frame of
// the pose network (PoseNet) when pose_model names its ONNX file; returns an exit code.
int run_bench(double seconds, const std::string& pose_model = "");
}  // namespace colive::extract
