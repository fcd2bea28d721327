// SPDX-License-Identifier: MIT
// Hand landmarks around a wrist found by PoseNet: Google's MediaPipe hand landmark network (lite,
// Apache-2.0) through OpenCV DNN. OpenCV only, no Qt.
//
// The network is NOT in the repository: scripts/setup-pose-models.sh converts it from the pinned npm
// tarball @vladmandic/human@3.3.6 into models/pose/handlandmark-lite.onnx (see models/pose/README.md).
// ONNX: input "input" 1x3x224x224 float RGB 0..1 (NCHW) of a square crop with the hand upright
// (fingers up); outputs "landmarks" 1x63 (21 x (x, y, z) in input pixels; z relative depth, same
// scale as x), "presence" 1x1 (sigmoid: a hand is in the crop), "handedness" 1x1 (sigmoid, as
// MediaPipe defines it: > 0.5 = right hand in a MIRRORED image), "world" 1x63 (metres, hand-centred).
//
// The crop comes from the body keypoints (no palm detector): forearm f = wrist - elbow, crop centre
// wrist + kCentre * f, side kSide * |f|, rotated so that f points up in the crop. kCentre and kSide
// were chosen on the real gesture clips (hand present in 33 % of the crops with 0.15 / 1.8, 14 % with
// 0.4 / 1.0; many of their hands rest out of view or are occluded); see models/pose/README.md.
// MediaPipe hand landmark order: 0 wrist, 1-4 thumb (CMC, MCP, IP, tip), 5-8 index (MCP, PIP, DIP,
// tip), 9-12 middle, 13-16 ring, 17-20 pinky.
#pragma once

#include "colive/pose.h"

#include <array>
#include <filesystem>
#include <memory>

namespace cv {
class Mat;
}

namespace colive {

constexpr int kHandLandmarks = 21;

// Where a hand crop was placed (HandFinder, colive/hand_finder.h, tries them in this order).
enum class HandCropSource {
    none,      // no crop: the arm was not seen and nothing else placed one
    wrist,     // from the body keypoints' elbow and wrist (HandLandmarks::crop)
    track,     // around the landmarks this arm's hand had on the previous call
    detector,  // around a HandDetector box matched to the arm
};

struct HandLandmark {
    float x = 0, y = 0, z = 0;  // x, y in pixels of the ORIGINAL frame; z relative depth (pixels)
};

struct HandFrame {
    std::array<HandLandmark, kHandLandmarks> lm{};
    bool present = false;    // presence >= HandLandmarks::kPresentScore (false also when the arm is not seen)
    float presence = 0;      // the network's hand presence score (0 when it was not run)
    float handedness = 0;    // the network's handedness output (see above)
    int wrist = 0;           // the body keypoint the crop came from: 9 (person's left) or 10 (right)
    HandCropSource source = HandCropSource::none;
    float crop_cx = 0, crop_cy = 0, crop_side = 0, crop_angle = 0;  // the crop in frame pixels; angle
                                                                     // in radians (0 = forearm up)
};

// What the pose-kp-v3 tokens take from one hand crop (colive/pose_tokens.h): whether the network ran
// for that arm (a crop could be placed), whether it found a hand, and the hand's apparent size in frame
// pixels: the distance from the wrist landmark (0) to the middle finger's MCP (9) in the image plane
// (a hand close to the camera is large). observe() makes one from a HandFrame.
struct HandObservation {
    bool looked = false;
    bool present = false;
    float size_px = 0;
};
using HandPair = std::array<HandObservation, 2>;   // [0] the person's left arm (wrist 9), [1] the right (10)
HandObservation observe(const HandFrame& h);
// Both arms' hands on one frame, in the same order as HandPair (what HandFinder::run returns, and what
// VideoFeatures::latest_hands hands to the preview).
using HandFrames = std::array<HandFrame, 2>;

// The raw network outputs for one 224x224 input.
struct HandOutputs {
    std::array<float, 3 * kHandLandmarks> landmarks{}, world{};
    float presence = 0, handedness = 0;
};

// One instance per thread (not safe to share), like PoseNet.
class HandLandmarks {
public:
    static constexpr int kInputSize = 224;
    static constexpr float kPresentScore = 0.5f;
    static constexpr float kMinArmScore = 0.2f;  // elbow and wrist scores needed to place a crop
    static constexpr float kCentre = 0.15f;      // crop centre along the forearm, beyond the wrist
    static constexpr float kSide = 1.8f;         // crop side in forearm lengths

    // Loads the converted ONNX file (one dry run). Throws FeatureError with one line. max_threads as
    // PoseNet::load (OpenCV's thread count is global; only ever lowered).
    static HandLandmarks load(const std::filesystem::path& onnx, int max_threads = 2);
    HandLandmarks(HandLandmarks&&) noexcept;
    HandLandmarks& operator=(HandLandmarks&&) noexcept;
    ~HandLandmarks();

    // The hand at body keypoint `wrist` (9 or 10) of `body` (PoseNet's output on this frame).
    // Frames as PoseNet::run. Returns present = false without running the network when the person
    // is not present or the elbow or wrist score is below kMinArmScore.
    HandFrame run(const cv::Mat& frame, const PoseFrame& body, int wrist);

    // The network on any square crop of the frame: centre (cx, cy) and side in frame pixels, turned by
    // angle (radians; the crop's "up" is the frame direction (sin a, -cos a)). Returns the landmarks in
    // frame pixels; wrist and source are left for the caller.
    HandFrame run_crop(const cv::Mat& frame, float cx, float cy, float side, float angle);

    // Lower level: the crop for a wrist (false when the arm is not seen) ...
    static bool crop(const PoseFrame& body, int wrist, float& cx, float& cy, float& side, float& angle);
    // ... and the network on a 224x224 CV_32FC3 RGB 0..1 input.
    HandOutputs infer(const cv::Mat& input_rgb224);

private:
    struct Impl;
    explicit HandLandmarks(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

}  // namespace colive
