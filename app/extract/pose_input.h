// SPDX-License-Identifier: MIT
// colive-extract's keypoint input: a (T, 17, 3) .npy of body keypoints (x px, y px, score per
// MoveNet/COCO keypoint) sampled at a fixed frame rate, turned into PoseFrames for PoseTokenizer.
#pragma once

#include "colive/hand.h"
#include "colive/pose.h"

#include <filesystem>
#include <vector>

namespace colive::extract {

// Throws colive::Error (one line) on a missing file or a wrong shape. A row whose 17 scores are all
// <= 0 is a frame with nobody in view (present = false). A row with a NaN score is a frame the network
// never saw (dropped before it, as the live app does when it falls behind): with `analysed` given,
// (*analysed)[t] is false for those rows (the caller skips them); without it they are an error.
std::vector<PoseFrame> load_keypoints(const std::filesystem::path& npy, int width, int height,
                                      std::vector<bool>* analysed = nullptr);

// Hand observations for pose-kp-v3: a (T, 2, 3) .npy (per frame and arm, [0] the person's left arm:
// looked 0/1, present 0/1, size px; see colive/hand.h), T = the keypoint file's frame count.
std::vector<HandPair> load_hands(const std::filesystem::path& npy, std::size_t frames);

}  // namespace colive::extract
