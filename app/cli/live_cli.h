// SPDX-License-Identifier: MIT
// colive-cli live mode: cameras, microphones, files and demo clips through the app pipeline.
#pragma once

namespace colive::cli {

// True when the arguments ask for the live mode (--source or --list-devices).
bool wants_live(int argc, char** argv);
// Runs it; returns the process exit code.
int run_live(int argc, char** argv);

}  // namespace colive::cli
