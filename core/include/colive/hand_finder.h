// SPDX-License-Identifier: MIT
// Both hands of the tracked person, frame by frame: where to put the hand landmark network's crop.
// OpenCV only, no Qt.
//
// For each arm (the person's left, body keypoint 9, and right, 10) the crop sources are tried in
// order until the landmark network finds a hand (presence >= HandLandmarks::kPresentScore):
//   1. wrist:    from MoveNet's elbow and wrist (HandLandmarks::run, what hand.h always did);
//   2. track:    the square around the landmarks this arm's hand had on the previous call, turned so
//                that wrist -> middle-finger base points up (as MediaPipe tracks a hand between
//                detections);
//   3. detector: (only with a HandDetector) the detector box matched to the arm: the box whose centre
//                is nearest the arm's wrist, within kMaxMatch box sides (or half a shoulder width,
//                whichever is larger), one box per arm. The crop is a square of kBoxSide box sides
//                around its centre, turned along elbow -> box centre when the elbow is seen (upright
//                otherwise). The detector runs on the whole frame at most once every
//                detector_period_s of media time, and only on a call where an arm found no hand by
//                1 and 2; its boxes are used on that call only.
// When both arms end up on the same hand (centres closer than kSameHand hand sizes), the arm whose
// crop came from the better source (wrist, track, detector; then presence) keeps it.
// So without a detector this is the wrist crop plus tracking; with one, hands close to the camera,
// whose wrist MoveNet loses (push, pull, swipes), are found and then tracked.
#pragma once

#include "colive/hand.h"
#include "colive/hand_detector.h"
#include "colive/pose.h"

#include <array>
#include <optional>
#include <vector>

namespace cv {
class Mat;
}

namespace colive {

struct HandFinderParams {
    double detector_period_s = 0.5;  // the detector runs at most this often (media time)
    float min_box_score = HandDetector::kMinScore;
    bool track = true;               // source 2
    // Run the detector on a worker thread, off the caller's path: a call that needs boxes hands a copy
    // of its frame to the worker when the worker is idle and the period has passed (one frame at most
    // waits; never a queue), and the boxes are matched on the first call after they are ready (one
    // token slot later, against that call's body), once. The caller never waits for the detector
    // (~60 ms of CPU a run), so its hands depend on timing; wait_for_detector() makes runs repeatable.
    bool async_detector = false;
};

// One instance per thread (holds the networks and the tracking state).
class HandFinder {
public:
    static constexpr float kBoxSide = 1.6f;    // detector crop side, in box sides (the larger of w, h)
    static constexpr float kTrackSide = 1.8f;  // tracking crop side, in sides of the landmarks' bounding square
    static constexpr float kMaxMatch = 1.0f;   // box centre to wrist, in box sides (or half shoulder widths)
    static constexpr float kSameHand = 0.5f;   // two arms' hands closer than this (in hand sizes) are one hand

    explicit HandFinder(HandLandmarks landmarks, std::optional<HandDetector> detector = std::nullopt,
                        HandFinderParams params = {});
    HandFinder(HandFinder&&) noexcept;
    HandFinder& operator=(HandFinder&&) noexcept;
    ~HandFinder();

    // The hands on one frame (frames as PoseNet::run); body: PoseNet's output on this frame; t_s: its
    // media time. [0] = the person's left arm (wrist 9), [1] = the right (wrist 10). A hand whose crop
    // found nothing keeps present = false (its crop fields say where the last crop tried was). A change
    // of frame size, a time going backwards or nobody in view forgets the tracked hands.
    HandFrames run(const cv::Mat& frame, const PoseFrame& body, double t_s);
    void reset();

    bool has_detector() const;
    // The boxes of the detector's last run (frame pixels, best first) and that run's media time;
    // empty / -inf before the first run.
    const std::vector<HandBox>& last_boxes() const;
    double last_boxes_time() const;
    int detector_runs() const;  // since construction (for statistics)
    // async_detector: blocks until the worker has no frame pending (tests, offline tools); no-op otherwise.
    void wait_for_detector();

    // The matching rule (source 3), exposed for tests: for each arm (index 0 = wrist 9, 1 = wrist 10)
    // that needs a box (need[i]), the index of its box in `boxes`, or -1.
    static std::array<int, 2> match_boxes(const std::vector<HandBox>& boxes, const PoseFrame& body,
                                          const std::array<bool, 2>& need);

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace colive
