// SPDX-License-Identifier: MIT
#include "pose_input.h"

#include "colive/npy.h"

#include <cmath>
#include <string>

namespace colive::extract {

std::vector<PoseFrame> load_keypoints(const std::filesystem::path& npy, int width, int height, std::vector<bool>* analysed) {
    if (!std::filesystem::is_regular_file(npy)) throw Error("keypoint file not found: " + npy.string());
    const npy::Array a = npy::load(npy);
    if (a.shape.size() != 3 || a.shape[1] != static_cast<std::size_t>(kPoseKeypoints) || a.shape[2] != 3)
        throw Error("keypoint file " + npy.string() + " must have shape (T, 17, 3): x px, y px, score");
    std::vector<PoseFrame> frames(a.shape[0]);
    if (analysed) analysed->assign(frames.size(), true);
    for (std::size_t t = 0; t < frames.size(); ++t) {
        PoseFrame& f = frames[t];
        if (std::isnan(a.data[t * kPoseKeypoints * 3 + 2])) {   // a dropped frame: never analysed
            if (!analysed) throw Error("keypoint file " + npy.string() + " has a dropped (NaN) frame " + std::to_string(t));
            (*analysed)[t] = false;
            continue;
        }
        f.width = width;
        f.height = height;
        float sum = 0;
        for (int j = 0; j < kPoseKeypoints; ++j) {
            const float* r = &a.data[(t * kPoseKeypoints + static_cast<std::size_t>(j)) * 3];
            f.kp[static_cast<std::size_t>(j)] = {r[0], r[1], r[2]};
            if (r[2] > 0) f.present = true;
            if (j <= 10) sum += r[2];
        }
        f.score = f.present ? sum / 11.0f : 0.0f;
    }
    return frames;
}

std::vector<HandPair> load_hands(const std::filesystem::path& npy, std::size_t frames) {
    if (!std::filesystem::is_regular_file(npy)) throw Error("hand file not found: " + npy.string());
    const npy::Array a = npy::load(npy);
    if (a.shape.size() != 3 || a.shape[0] != frames || a.shape[1] != 2 || a.shape[2] != 3)
        throw Error("hand file " + npy.string() + " must have shape (" + std::to_string(frames) +
                    ", 2, 3): looked, present, size px per arm and keypoint frame");
    std::vector<HandPair> out(frames);
    for (std::size_t t = 0; t < frames; ++t)
        for (std::size_t h = 0; h < 2; ++h) {
            const float* r = &a.data[(t * 2 + h) * 3];
            out[t][h] = {r[0] > 0, r[0] > 0 && r[1] > 0, r[2]};
        }
    return out;
}

}  // namespace colive::extract
