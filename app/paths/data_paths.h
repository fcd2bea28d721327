// SPDX-License-Identifier: MIT
// Where a running CoLive binary finds its shared data (share/colive: models, demo clips, scripts).
// Candidates, most preferred first: $COLIVE_DATA_DIR, then the data directory next to the binary
// (<exe dir>/<bindir -> datadir>/colive, e.g. /usr/bin -> /usr/share/colive), which makes every
// install relocatable (cmake --install --prefix, the .deb, dpkg -x into any folder).
// The source checkout is used only by binaries that run from inside the build tree they were built
// in: an installed or copied binary never reads the tree it was compiled from.
#pragma once

#include <filesystem>
#include <optional>
#include <vector>

namespace colive {

// The running executable (/proc/self/exe, symlinks resolved), or empty if unknown.
std::filesystem::path executable_path();

// share/colive candidates, most preferred first (not checked for existence).
std::vector<std::filesystem::path> data_roots();

// The source checkout this binary was built from, only if the binary runs from that build tree.
std::optional<std::filesystem::path> source_tree();

}  // namespace colive
