// SPDX-License-Identifier: MIT
// Finding bundled data: models (models/*.safetensors) and demo media (resources/demo/*).
// Search order: the share/colive roots of paths/data_paths.h ($COLIVE_DATA_DIR, next to the binary),
// then the source tree, only for binaries running from their build tree.
#pragma once

#include "source.h"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace colive {

// Directories holding demo media, most preferred first (only existing ones).
std::vector<std::filesystem::path> demo_dirs();
std::vector<std::filesystem::path> model_dirs();

// The demo clip for a modality (first match of resources/demo/demo-video.* etc.), or nullopt.
std::optional<std::filesystem::path> find_demo_clip(Modality m,
                                                    const std::filesystem::path& preferred_dir = {});
// A demo clip by file stem (e.g. "demo-pose" -> resources/demo/demo-pose.mp4), or nullopt.
std::optional<std::filesystem::path> find_demo_clip_named(const std::string& stem,
                                                          const std::filesystem::path& preferred_dir = {});
// The bundled model for a modality: action.safetensors (video) or genre.safetensors (audio).
std::optional<std::filesystem::path> find_default_model(Modality m);
// A file in the model directories by relative path ("action-pose.safetensors", "pose/x.onnx").
std::optional<std::filesystem::path> find_model_file(const std::filesystem::path& relative);
// The converted body keypoint network, <model dir>/pose/movenet-lightning.onnx
// (scripts/setup-pose-models.sh makes it; it is not in the repository).
constexpr const char* kPoseNetworkFile = "pose/movenet-lightning.onnx";
constexpr const char* kPoseModelFile = "action-pose.safetensors";

}  // namespace colive
