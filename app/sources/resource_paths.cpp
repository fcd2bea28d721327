// SPDX-License-Identifier: MIT
#include "resource_paths.h"

#include "paths/data_paths.h"

#include <algorithm>
#include <system_error>

namespace fs = std::filesystem;

namespace colive {
namespace {

bool is_dir(const fs::path& p) {
    std::error_code ec;
    return !p.empty() && fs::is_directory(p, ec);
}

void add_unique(std::vector<fs::path>& v, const fs::path& p) {
    if (!is_dir(p)) return;
    std::error_code ec;
    fs::path c = fs::weakly_canonical(p, ec);
    if (ec) c = p;
    if (std::find(v.begin(), v.end(), c) == v.end()) v.push_back(c);
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

}  // namespace

std::vector<fs::path> demo_dirs() {
    std::vector<fs::path> dirs;
    for (const auto& r : data_roots()) {
        add_unique(dirs, r / "demo");
        add_unique(dirs, r / "resources" / "demo");
    }
    if (const auto src = source_tree()) add_unique(dirs, *src / "resources" / "demo");
    return dirs;
}

std::vector<fs::path> model_dirs() {
    std::vector<fs::path> dirs;
    for (const auto& r : data_roots()) add_unique(dirs, r / "models");
    if (const auto src = source_tree()) add_unique(dirs, *src / "models");
    return dirs;
}

std::optional<fs::path> find_demo_clip(Modality m, const fs::path& preferred_dir) {
    std::vector<fs::path> dirs;
    if (is_dir(preferred_dir)) dirs.push_back(preferred_dir);
    for (auto& d : demo_dirs()) dirs.push_back(d);
    const std::vector<std::string> hints = m == Modality::Video
        ? std::vector<std::string>{"video", "action"}
        : std::vector<std::string>{"audio", "genre", "music"};
    for (const auto& dir : dirs) {
        std::vector<fs::path> files;
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(dir, ec)) {
            if (!e.is_regular_file(ec)) continue;
            const std::string ext = lower(e.path().extension().string());
            if (ext == ".md" || ext == ".txt" || ext == ".json" || ext == ".csv" || ext == ".py" ||
                ext == ".sh" || ext.empty())
                continue;
            if (guess_file_modality(e.path()) != m) continue;
            files.push_back(e.path());
        }
        std::sort(files.begin(), files.end());
        for (const auto& hint : hints)
            for (const auto& f : files)
                if (lower(f.filename().string()).find(hint) != std::string::npos) return f;
        if (!files.empty()) return files.front();
    }
    return std::nullopt;
}

std::optional<fs::path> find_demo_clip_named(const std::string& stem, const fs::path& preferred_dir) {
    std::vector<fs::path> dirs;
    if (is_dir(preferred_dir)) dirs.push_back(preferred_dir);
    for (auto& d : demo_dirs()) dirs.push_back(d);
    for (const auto& dir : dirs) {
        std::vector<fs::path> files;
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(dir, ec)) {
            const std::string ext = lower(e.path().extension().string());
            if (e.is_regular_file(ec) && e.path().stem() == stem && ext != ".json" && ext != ".md") files.push_back(e.path());
        }
        std::sort(files.begin(), files.end());
        if (!files.empty()) return files.front();
    }
    return std::nullopt;
}

std::optional<fs::path> find_model_file(const fs::path& relative) {
    for (const auto& d : model_dirs()) {
        std::error_code ec;
        if (fs::is_regular_file(d / relative, ec)) return d / relative;
    }
    return std::nullopt;
}

std::optional<fs::path> find_default_model(Modality m) {
    return find_model_file(m == Modality::Video ? "action.safetensors" : "genre.safetensors");
}

}  // namespace colive
