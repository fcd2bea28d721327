// SPDX-License-Identifier: MIT
#include "pose_video.h"

#include <opencv2/core.hpp>

#include <algorithm>
#include <cmath>

namespace colive {

PoseVideo::PoseVideo(const std::string& network, double token_rate_hz, double pose_rate_hz, int layout_version,
                     const std::string& hand_network, const std::string& hand_detector)
    : m_net([&] {
          if (network.empty())
              throw FeatureError(std::string("video features: ") + PoseTokenizer::id(layout_version) +
                                 " needs the body keypoint network "
                                 "(VideoFeatureParams::pose_model, models/pose/movenet-lightning.onnx)");
          // One OpenCV thread: on the 2-core machines this runs on, the other core decodes the video
          // and draws the window, and a 2-thread network run waits for its slower half whenever the
          // machine is busy (demo-pose paced at 30 fps, load ~16: end-to-end p95 136-141 ms with one
          // thread, 148-152 ms with two; docs/benchmarks.md).
          return PoseNet::load(network, 1);
      }()),
      m_tokens([&] {
          PoseTokenParams tp;
          tp.token_rate_hz = token_rate_hz;
          tp.version = layout_version;
          return tp;
      }()),
      // auto pose rate: twice the token rate, except pose-kp-v4, whose models were trained on keypoints
      // of every frame (the extract route; at 20 Hz its real-clip accuracy dropped from 9-10/18 to 7-8/18)
      m_grid(1.0 / (pose_rate_hz > 0.0 ? pose_rate_hz : (layout_version >= 4 ? kEveryFrameHz : 2.0 * token_rate_hz))),
      m_hand_gate(1.0 / token_rate_hz),
      m_restart_gap(std::max(2.0, 3.0 / token_rate_hz)) {
    if (m_tokens.uses_hands()) {
        // One crop per arm per token period (~20 ms of CPU each), only where MoveNet sees the arm.
        const std::filesystem::path hand =
            hand_network.empty() ? std::filesystem::path(network).parent_path() / "handlandmark-lite.onnx"
                                 : std::filesystem::path(hand_network);
        if (layout_version >= 4) {
            // pose-kp-v4: HandFinder, with the detector at most every 0.5 s of media time (~60 ms of CPU
            // a run), only on a call where an arm found no hand from its wrist crop or by tracking, on its
            // own thread so that the frame path never waits for it (its boxes serve the next token slot).
            const std::filesystem::path det =
                hand_detector.empty() ? std::filesystem::path(network).parent_path() / "handtrack.onnx"
                                      : std::filesystem::path(hand_detector);
            HandFinderParams fp;
            fp.async_detector = true;
            m_finder.emplace(HandLandmarks::load(hand, 1), HandDetector::load(det, 1), fp);
        } else {
            m_hands.emplace(HandLandmarks::load(hand, 1));
        }
    }
    if (!(pose_rate_hz == 0.0 || (pose_rate_hz >= 0.5 && pose_rate_hz <= 240.0)))
        throw FeatureError("video features: pose_rate_hz must be 0 (auto) or in [0.5, 240], got " + std::to_string(pose_rate_hz));
}

void PoseVideo::push(const cv::Mat& frame, double t, const std::function<void(const Token&)>& on_token) {
    if (!std::isfinite(t)) throw FeatureError("video features: frame timestamp is not finite");
    if (frame.empty() || frame.dims != 2 || frame.rows < 1 || frame.cols < 1)
        throw FeatureError("video features: empty or non-2-D frame");
    if (const int ch = frame.channels(); ch != 1 && ch != 3 && ch != 4)
        throw FeatureError("video features: frames must have 1, 3 or 4 channels, got " + std::to_string(ch));
    // A new frame size is a new camera geometry: the person's scale and place start afresh.
    const bool resized = m_started && (frame.cols != m_width || frame.rows != m_height);
    if (!m_started || resized || t < m_last_t || t - m_last_t > m_restart_gap) {
        if (resized) reset();
        m_started = true;
        m_grid.restart(t);
        m_hand_gate.restart(t);
        m_frame_dt_ema = 0.0;
    } else if (t > m_last_t) {
        const double dt = t - m_last_t;
        m_frame_dt_ema = m_frame_dt_ema <= 0.0 ? dt : 0.9 * m_frame_dt_ema + 0.1 * dt;
    }
    m_width = frame.cols;
    m_height = frame.rows;
    m_last_t = t;
    // A frame is analysed when it is the first at or (within 0.45 frame intervals: a grid time
    // half-way between two frames goes to the later one, whatever the rounding) before the next
    // grid time, so the analysed frames stay on a grid anchored at the first frame.
    const double tol = std::min(0.45 * m_frame_dt_ema, 0.5 * m_grid.period()) + 1e-9;
    if (!m_grid.due(t, tol)) return;
    const PoseFrame pf = m_net.run(frame);
    {
        std::lock_guard lock(m_mutex);
        m_latest = pf;
        m_latest_t = t;
    }
    if (uses_hands() && m_hand_gate.due(t)) {
        HandFrames found;
        if (m_finder) {
            found = m_finder->run(frame, pf, t);
        } else {
            for (int h = 0; h < 2; ++h) found[static_cast<std::size_t>(h)] = m_hands->run(frame, pf, 9 + h);
        }
        {
            std::lock_guard lock(m_mutex);
            m_latest_hands = found;
            m_latest_hands_t = t;
        }
        HandPair hp;
        for (std::size_t h = 0; h < 2; ++h) hp[h] = observe(found[h]);
        m_tokens.push(pf, hp, t, on_token);
    } else {
        m_tokens.push(pf, t, on_token);
    }
}

void PoseVideo::reset() {
    m_net.reset();
    if (m_finder) m_finder->reset();
    m_tokens.reset();
    m_started = false;
    std::lock_guard lock(m_mutex);
    m_latest.reset();
    m_latest_hands.reset();
}

std::optional<PoseFrame> PoseVideo::latest(double* t_s) const {
    std::lock_guard lock(m_mutex);
    if (t_s) *t_s = m_latest_t;
    return m_latest;
}

std::optional<HandFrames> PoseVideo::latest_hands(double* t_s) const {
    std::lock_guard lock(m_mutex);
    if (t_s) *t_s = m_latest_hands_t;
    return m_latest_hands;
}

}  // namespace colive
