// SPDX-License-Identifier: MIT
// Where the pose tests find their golden data and the converted networks (not in the repository:
// scripts/setup-pose-models.sh makes them; CI runs it through scripts/setup-deps.sh).
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace colive::test {

inline const std::string kPoseGolden = std::string(COLIVE_GOLDEN_DIR) + "/pose/";

inline std::filesystem::path pose_model(const std::string& name) {
    return std::filesystem::path(COLIVE_SOURCE_MODELS_DIR) / "pose" / (name + ".onnx");
}

// True when the converted network exists. When it does not, the caller skips, except with
// COLIVE_REQUIRE_POSE_MODEL=1 (scripts/test-all.sh sets it), where this records a failure.
inline bool have_pose_model(const std::filesystem::path& p) {
    if (std::filesystem::exists(p)) return true;
    const char* req = std::getenv("COLIVE_REQUIRE_POSE_MODEL");
    if (req != nullptr && std::string(req) == "1") ADD_FAILURE() << p << " missing: run scripts/setup-pose-models.sh";
    return false;
}

}  // namespace colive::test
