// SPDX-License-Identifier: MIT
#include "data_paths.h"

#include <cstdlib>
#include <system_error>

namespace fs = std::filesystem;

namespace colive {
namespace {

fs::path canonical_or_self(const fs::path& p) {
    std::error_code ec;
    fs::path c = fs::weakly_canonical(p, ec);
    return ec ? p.lexically_normal() : c;
}

// True if `p` is `dir` or lies below it (both canonical).
bool is_within(const fs::path& p, const fs::path& dir) {
    auto d = dir.begin();
    auto q = p.begin();
    for (; d != dir.end(); ++d, ++q) {
        if (d->empty()) continue;   // trailing separator
        if (q == p.end() || *q != *d) return false;
    }
    return true;
}

}  // namespace

fs::path executable_path() {
    std::error_code ec;
    fs::path p = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::path{} : p;
}

std::vector<fs::path> data_roots() {
    std::vector<fs::path> roots;
    if (const char* env = std::getenv("COLIVE_DATA_DIR"); env && *env) roots.emplace_back(env);
    const fs::path exe = executable_path();
    if (!exe.empty()) roots.push_back((exe.parent_path() / COLIVE_BINDIR_TO_DATADIR).lexically_normal());
    return roots;
}

std::optional<fs::path> source_tree() {
    const fs::path exe = executable_path();
    if (exe.empty()) return std::nullopt;
    if (!is_within(canonical_or_self(exe), canonical_or_self(COLIVE_BUILD_DIR))) return std::nullopt;
    return fs::path(COLIVE_SOURCE_DIR);
}

}  // namespace colive
