// SPDX-License-Identifier: MIT
// The version of CoLive and the git revision a binary was built from, for `--version` on every
// binary. Defined in the generated version.cpp (version.cpp.in, rewritten by write_version.cmake at
// every build but only when the revision changed, so a new commit relinks the binaries and
// recompiles nothing else).
#pragma once

#include <string>

namespace colive {

const char* version();        // the project version, e.g. "0.1.0"
const char* git_revision();   // `git describe --tags --always --dirty` of the source, or "unknown"

// "<program> <version> (git <revision>)", the first line of every binary's --version.
std::string version_line(const char* program);

}  // namespace colive
