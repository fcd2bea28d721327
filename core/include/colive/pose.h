// SPDX-License-Identifier: MIT
// Body keypoints of one person per video frame: Google's MoveNet SinglePose Lightning (Apache-2.0)
// run through OpenCV DNN (4.6), with MoveNet's decode done here in C++ and one person tracked across
// frames. OpenCV only, no Qt.
//
// The network is NOT in the repository: scripts/setup-pose-models.sh fetches the pinned npm
// tarball @vladmandic/human@3.3.6, checks its integrity hash and converts the tfjs graph with
// models/pose/convert_tfjs.py into models/pose/movenet-lightning.onnx (see models/pose/README.md).
// The ONNX graph (input "input": 1x3x192x192 float RGB 0..255, NCHW; the original is NHWC int32) ends at
// MoveNet's four head outputs (48x48 grid over the 192x192 input, NCHW):
//   "centre"     1x1x48x48    person-centre heatmap (after the sigmoid), already weighted by the
//                             constant centre prior stored in the weights (as MoveNet's graph does)
//   "heatmap"    1x17x48x48   keypoint heatmaps (after the sigmoid)
//   "regression" 1x34x48x48   per cell, (dy, dx) per keypoint from the cell to the keypoint, in cells
//   "offset"     1x34x48x48   per cell, (dy, dx) per keypoint sub-cell offset, in cells
// Decode (as MoveNet's own graph does): c = argmax centre; rough keypoint
// k = c + regression_k(c); for each k the cell argmax of heatmap_k / (distance to rough k + 1.8),
// plus offset_k there; coordinates are (cell + offset) / 48 of the padded square input; the score is
// heatmap_k at that cell.
//
// Frames: the region fed to the network (the whole frame, or the tracked crop) is padded to a square
// with black (centred, i.e. letterboxed), resized to 192x192 (bilinear) and given as RGB 0..255 float.
// Keypoints come back in pixels of the ORIGINAL frame (x right, y down, may lie slightly outside it).
#pragma once

#include <array>
#include <filesystem>
#include <memory>
#include <vector>

namespace cv {
class Mat;
}

namespace colive {

constexpr int kPoseKeypoints = 17;  // MoveNet/COCO order: 0 nose, 1 l-eye, 2 r-eye, 3 l-ear,
                                    // 4 r-ear, 5 l-shoulder, 6 r-shoulder, 7 l-elbow, 8 r-elbow,
                                    // 9 l-wrist, 10 r-wrist, 11 l-hip, 12 r-hip, 13 l-knee, 14 r-knee,
                                    // 15 l-ankle, 16 r-ankle
// "left"/"right" are the PERSON's own left/right (COCO). In a raw, unmirrored camera frame the
// person's left shoulder is on the image right.

struct PoseKeypoint {
    float x = 0, y = 0, score = 0;  // x, y in pixels of the ORIGINAL frame; score 0..1 (heatmap value)
};

struct PoseFrame {
    std::array<PoseKeypoint, kPoseKeypoints> kp{};
    bool present = false;  // false = nobody in view ("nobody there" state)
    float score = 0;       // person score: mean of the upper-body keypoint scores (0..1)
    int width = 0, height = 0;  // frame size the pixels refer to
};

// The raw network outputs for one 192x192 input (see the top of this file), each row-major
// channel x 48 x 48 as OpenCV gives them (NCHW, N = 1).
struct PoseHeads {
    static constexpr int kGrid = 48;
    std::vector<float> centre;      // 1 x 48 x 48, weighted by the prior
    std::vector<float> heatmap;     // 17 x 48 x 48
    std::vector<float> regression;  // 34 x 48 x 48, channel 2k = dy, 2k+1 = dx of keypoint k
    std::vector<float> offset;      // 34 x 48 x 48, same order
};

// One PoseNet per thread: an instance holds the network's buffers and the tracking state and is not
// safe to share between threads; independent instances are.
class PoseNet {  // MoveNet Lightning through OpenCV DNN, + crop tracking
public:
    static constexpr int kInputSize = 192;        // network input, square
    static constexpr float kPresentScore = 0.2f;  // present = person score >= this

    // Loads the converted ONNX file and checks its outputs' shapes with one dry run. Throws
    // FeatureError with one line (missing file, unreadable/corrupt ONNX, wrong outputs).
    // max_threads: OpenCV's thread count is process-global (cv::setNumThreads; with Debian's TBB
    // backend every parallel region of the process shares that many workers), so load() LOWERS the
    // global count to max_threads when it is higher (never raises it); 0 leaves it alone.
    static PoseNet load(const std::filesystem::path& onnx, int max_threads = 2);
    PoseNet(PoseNet&&) noexcept;
    PoseNet& operator=(PoseNet&&) noexcept;
    ~PoseNet();

    // One frame: any size, 8/16-bit or float (0..1), 1/3/4 channels (BGR/BGRA as OpenCV gives).
    // Runs on the crop region tracked from the previous frame (the whole frame when nobody was
    // tracked), then updates the crop for the next call. A change of frame size resets the tracking.
    // Throws FeatureError for an empty frame or an unsupported type.
    PoseFrame run(const cv::Mat& frame);
    void reset();  // forget the tracked person / crop region (the next run() sees the whole frame)

    // Lower level, used by run() and by the tests against the original network's outputs:
    // the 192x192 network input for the whole frame (letterboxed, RGB, 0..255, CV_32FC3) ...
    static void preprocess(const cv::Mat& frame, cv::Mat& input_rgb192);
    // ... the network on such an input (CV_32FC3, 192x192, RGB 0..255) ...
    PoseHeads infer(const cv::Mat& input_rgb192);
    // ... and the decode: keypoints in units of the square input (x, y in 0..1, score).
    std::array<PoseKeypoint, kPoseKeypoints> decode(const PoseHeads& heads) const;

private:
    struct Impl;
    explicit PoseNet(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

}  // namespace colive
