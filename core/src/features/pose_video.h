// SPDX-License-Identifier: MIT
// The pose path of VideoFeatures (descriptors "pose-kp-v1" ... "-v4"): frames -> MoveNet body keypoints
// (PoseNet) at the pose rate (-> for pose-kp-v3, the hand landmark network on a crop around each wrist,
// once per token period; for pose-kp-v4 found by HandFinder) -> PoseTokenizer -> tokens at the token
// rate. The latest keypoints and hands stay readable from other threads (the app's preview draws them). Internal to core; the
// public interface is VideoFeatures (colive/features.h).
#pragma once

#include "colive/features.h"
#include "colive/frame_grid.h"
#include "colive/hand.h"
#include "colive/hand_finder.h"
#include "colive/pose.h"
#include "colive/pose_tokens.h"

#include <mutex>
#include <optional>

namespace colive {

class PoseVideo {
public:
    static constexpr double kEveryFrameHz = 240.0;  // the highest pose rate: every frame of a camera
    // Loads the network (throws FeatureError, one line). pose_rate_hz: frames analysed per second
    // of media time at most (0 = auto: twice the token rate; every frame for pose-kp-v4). layout_version: PoseTokenParams::version.
    // hand_network: the hand landmark network, loaded only for layouts that use hands (pose-kp-v3/-v4;
    // empty = handlandmark-lite.onnx next to `network`); hand_detector: the hand detector, loaded only
    // for pose-kp-v4 (empty = handtrack.onnx next to `network`).
    PoseVideo(const std::string& network, double token_rate_hz, double pose_rate_hz, int layout_version = 1,
              const std::string& hand_network = {}, const std::string& hand_detector = {});
    // Runs the network when the frame is due on the pose-rate grid; every analysed frame goes to
    // the tokenizer, which calls on_token for each completed token slot.
    void push(const cv::Mat& frame, double t_s, const std::function<void(const Token&)>& on_token);
    void reset();
    // Thread-safe copy; nullopt before the first analysed frame. t_s (optional): that frame's time.
    std::optional<PoseFrame> latest(double* t_s = nullptr) const;
    // pose-kp-v3/-v4: the hands the tokenizer was given last (found on the first analysed frame of each
    // token slot, so at most about one token period older than latest()); same rules as latest().
    std::optional<HandFrames> latest_hands(double* t_s = nullptr) const;
    bool uses_hands() const { return m_hands || m_finder; }
    double rate_hz() const { return 1.0 / m_grid.period(); }

private:
    PoseNet m_net;
    PoseTokenizer m_tokens;
    std::optional<HandLandmarks> m_hands;   // pose-kp-v3: the wrist crop only
    std::optional<HandFinder> m_finder;     // pose-kp-v4: wrist crop, tracking, detector boxes
    FrameGrid m_grid;        // analysed frames (pose rate)
    SlotGate m_hand_gate;    // hand crops: the first analysed frame of each token slot
    double m_restart_gap;            // a timestamp gap over this restarts the grid (as the tokenizer does)
    bool m_started = false;
    double m_last_t = 0.0, m_frame_dt_ema = 0.0;
    int m_width = 0, m_height = 0;
    mutable std::mutex m_mutex;
    std::optional<PoseFrame> m_latest;
    double m_latest_t = 0.0;
    std::optional<HandFrames> m_latest_hands;
    double m_latest_hands_t = 0.0;
};

}  // namespace colive
