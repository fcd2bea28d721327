// SPDX-License-Identifier: MIT
// Hands anywhere in a video frame: Victor Dibia's HandTrack hand detector (Apache-2.0; an SSD
// MobileNetV2 FPNLite 320x320 of the TensorFlow Object Detection API, 7 classes), as shipped in
// @vladmandic/human (`handtrack`), run through OpenCV DNN. OpenCV only, no Qt.
//
// Why: MoveNet loses the wrist when a hand comes close to the camera (push, pull, swipes: wrist scores
// 0.1-0.3), so the hand-landmark crop placed from the wrist (colive/hand.h) misses those hands; the
// detector finds them on the whole frame and gives the landmark network a crop (colive/hand_finder.h).
//
// The network is NOT in the repository: scripts/setup-pose-models.sh converts it from the pinned npm
// tarball @vladmandic/human@3.3.6 into models/pose/handtrack.onnx (models/pose/README.md). The ONNX
// graph starts after the original's preprocessor and ends before its non-maximum suppression:
//   input  "input"  1x3x320x320 float RGB, x * (2/255) - 1, the frame resized to 320x320 as the
//                   original does (bilinear, TF1 "asymmetric" sampling: source = dest * in/out; the
//                   aspect ratio is NOT kept, the model was trained on squashed frames)
//   "boxes"         1x12804x4x1  per anchor (ymin, xmin, ymax, xmax) in 0..1 of the frame, decoded
//                   from the box head with the graph's own anchors
//   "scores"        1x12804x7x1  per anchor the sigmoid score of each class of its label map: open,
//                   closed, pinch, point, face, tip, pinchtip (human's handtrack.ts calls the first two
//                   hand and fist); the background class dropped
// Decode (as handtrack.ts does): per anchor the best score over the classes other than face, a score
// threshold, greedy non-maximum suppression (IoU), boxes scaled to frame pixels.
#pragma once

#include <filesystem>
#include <memory>
#include <vector>

namespace cv {
class Mat;
}

namespace colive {

struct HandBox {
    float x = 0, y = 0, w = 0, h = 0;  // frame pixels (top-left corner and size; may reach past the frame)
    float score = 0;                   // best class score other than face, 0..1
    int label = 0;                     // that class (HandDetector::class_name); never kFaceClass
    float cx() const { return x + 0.5f * w; }
    float cy() const { return y + 0.5f * h; }
};

// The raw network outputs for one 320x320 input.
struct HandDetectorOutputs {
    std::vector<float> boxes;   // kAnchors x 4: ymin, xmin, ymax, xmax in 0..1 of the input
    std::vector<float> scores;  // kAnchors x kClasses
};

// One instance per thread (not safe to share), like PoseNet.
class HandDetector {
public:
    static constexpr int kInputSize = 320;
    static constexpr int kAnchors = 12804;
    static constexpr int kClasses = 7;
    static constexpr int kFaceClass = 4;
    // Defaults of run(): chosen on the 18 real gesture clips (models/pose/README.md); hands near the
    // camera score 0.3-0.9, a score of 0.5 (handtrack.ts's default) keeps about half of them.
    static constexpr float kMinScore = 0.3f;
    static constexpr float kMaxIou = 0.3f;
    static constexpr int kMaxBoxes = 4;

    static const char* class_name(int label);  // "open", "closed", ... ("?" out of range)

    // Loads the converted ONNX file (one dry run). Throws FeatureError with one line (missing file,
    // unreadable/corrupt ONNX, wrong outputs). max_threads as PoseNet::load (OpenCV's thread count is
    // global; only ever lowered).
    static HandDetector load(const std::filesystem::path& onnx, int max_threads = 2);
    HandDetector(HandDetector&&) noexcept;
    HandDetector& operator=(HandDetector&&) noexcept;
    ~HandDetector();

    // The hands in one frame (any size; 8/16-bit or float 0..1; grey, BGR or BGRA), best first: boxes
    // with a score above min_score after non-maximum suppression (IoU above max_iou suppressed), at
    // most max_boxes. Throws FeatureError for an empty frame or an unsupported type.
    std::vector<HandBox> run(const cv::Mat& frame, float min_score = kMinScore, float max_iou = kMaxIou,
                             int max_boxes = kMaxBoxes);

    // Lower level, used by run() and by the tests against the original graph's outputs:
    // the 320x320 network input (CV_32FC3, RGB, -1..1) exactly as the original's preprocessor makes it
    // from the frame as 8-bit RGB (16-bit and float frames are first scaled and rounded to 8 bits) ...
    static void preprocess(const cv::Mat& frame, cv::Mat& input_rgb320);
    // ... the network on such an input ...
    HandDetectorOutputs infer(const cv::Mat& input_rgb320);
    // ... and the decode to boxes in pixels of a width x height frame.
    static std::vector<HandBox> decode(const HandDetectorOutputs& out, int width, int height, float min_score,
                                       float max_iou, int max_boxes);

private:
    struct Impl;
    explicit HandDetector(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

}  // namespace colive
