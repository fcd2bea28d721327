// SPDX-License-Identifier: MIT
#pragma once

namespace colive::extract {
// Prints ms per token for the audio and video extractors on synthetic input; returns an exit code.
int run_bench(double seconds);
}  // namespace colive::extract
