// SPDX-License-Identifier: MIT
// colive-extract's keypoint input: a (T, 17, 3) .npy of body keypoints (x px, y px, score per
// MoveNet/COCO keypoint) sampled at a fixed frame rate, turned into PoseFrames for PoseTokenizer.
#pragma once

#include "colive/pose.h"

#include <filesystem>
#include <vector>

namespace colive::extract {

// Throws colive::Error (one line) on a missing file or a wrong shape. A row whose 17 scores are all
// <= 0 is a frame with nobody in view (present = false).
std::vector<PoseFrame> load_keypoints(const std::filesystem::path& npy, int width, int height);

}  // namespace colive::extract
