// SPDX-License-Identifier: MIT
// Finding bundled data: models (models/*.safetensors) and demo media (resources/demo/*).
// Search order: $COLIVE_DATA_DIR, <exe>/../share/colive, the install prefix's share/colive, then
// the source tree (COLIVE_SOURCE_MODELS_DIR / COLIVE_SOURCE_RESOURCES_DIR).
#pragma once

#include "source.h"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace colive {

std::filesystem::path executable_path();
// Directories holding demo media, most preferred first (only existing ones).
std::vector<std::filesystem::path> demo_dirs();
std::vector<std::filesystem::path> model_dirs();

// The demo clip for a modality (first match of resources/demo/demo-video.* etc.), or nullopt.
std::optional<std::filesystem::path> find_demo_clip(Modality m,
                                                    const std::filesystem::path& preferred_dir = {});
// The bundled model for a modality: action.safetensors (video) or genre.safetensors (audio).
std::optional<std::filesystem::path> find_default_model(Modality m);

}  // namespace colive
