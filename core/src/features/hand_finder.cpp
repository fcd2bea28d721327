// SPDX-License-Identifier: MIT
// Hand crops from the wrist, from the previous landmarks, and from hand detector boxes. See
// colive/hand_finder.h.
#include "colive/hand_finder.h"

#include "colive/features.h"

#include <opencv2/core.hpp>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <thread>

namespace colive {
namespace {

// The centre and side of the square around a hand's landmarks.
void landmark_square(const HandFrame& h, float& cx, float& cy, float& side) {
    float x0 = h.lm[0].x, x1 = x0, y0 = h.lm[0].y, y1 = y0;
    for (const HandLandmark& l : h.lm) {
        x0 = std::min(x0, l.x);
        x1 = std::max(x1, l.x);
        y0 = std::min(y0, l.y);
        y1 = std::max(y1, l.y);
    }
    cx = 0.5f * (x0 + x1);
    cy = 0.5f * (y0 + y1);
    side = std::max(x1 - x0, y1 - y0);
}

}  // namespace

// The detector on its own thread (HandFinderParams::async_detector): one frame slot in, one result out.
class DetectorWorker {
public:
    DetectorWorker(HandDetector det, float min_score) : m_det(std::move(det)), m_min_score(min_score) {
        m_thread = std::thread([this] { loop(); });
    }
    ~DetectorWorker() {
        {
            std::lock_guard lock(m_mutex);
            m_stop = true;
        }
        m_cv.notify_all();
        m_thread.join();
    }
    DetectorWorker(const DetectorWorker&) = delete;
    DetectorWorker& operator=(const DetectorWorker&) = delete;

    // Hands the frame over when idle (copies it); false when a frame is still pending or running.
    bool submit(const cv::Mat& frame, double t, unsigned generation) {
        std::lock_guard lock(m_mutex);
        if (m_busy) return false;
        frame.copyTo(m_frame);
        m_t = t;
        m_job_gen = generation;
        m_busy = true;
        m_cv.notify_all();
        return true;
    }
    // The newest finished result of this generation, once.
    bool take(std::vector<HandBox>& boxes, double& t, int& w, int& h, unsigned generation) {
        std::lock_guard lock(m_mutex);
        if (!m_ready || m_result_gen != generation) return false;
        m_ready = false;
        boxes = std::move(m_boxes);
        t = m_result_t;
        w = m_result_w;
        h = m_result_h;
        return true;
    }
    void wait_idle() {
        std::unique_lock lock(m_mutex);
        m_cv.wait(lock, [this] { return !m_busy; });
    }

private:
    void loop() {
        std::unique_lock lock(m_mutex);
        for (;;) {
            m_cv.wait(lock, [this] { return m_stop || (m_busy && !m_running); });
            if (m_stop) return;
            m_running = true;
            const cv::Mat frame = m_frame;  // the slot is not written while busy
            const double t = m_t;
            const unsigned gen = m_job_gen;
            lock.unlock();
            std::vector<HandBox> boxes;
            try {
                boxes = m_det.run(frame, m_min_score);
            } catch (const std::exception&) {
                boxes.clear();  // the frame was checked by the caller's landmark run; nothing to report
            }
            lock.lock();
            m_boxes = std::move(boxes);
            m_result_t = t;
            m_result_w = frame.cols;
            m_result_h = frame.rows;
            m_result_gen = gen;
            m_ready = true;
            m_running = false;
            m_busy = false;
            m_cv.notify_all();
        }
    }

    HandDetector m_det;
    float m_min_score;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    cv::Mat m_frame;
    double m_t = 0, m_result_t = 0;
    int m_result_w = 0, m_result_h = 0;
    unsigned m_job_gen = 0, m_result_gen = 0;
    bool m_busy = false, m_running = false, m_ready = false, m_stop = false;
    std::vector<HandBox> m_boxes;
    std::thread m_thread;  // last: started after the members above exist
};

struct HandFinder::Impl {
    HandLandmarks landmarks;
    std::optional<HandDetector> detector;   // synchronous use
    std::unique_ptr<DetectorWorker> worker;  // async_detector
    HandFinderParams params;
    std::array<std::optional<HandFrame>, 2> tracked;  // last found hand per arm
    std::vector<HandBox> boxes;
    double boxes_t = -std::numeric_limits<double>::infinity();
    double submitted_t = -std::numeric_limits<double>::infinity();
    double last_t = -std::numeric_limits<double>::infinity();
    int width = 0, height = 0, runs = 0;
    unsigned generation = 0;  // async results of an older generation (before a forget) are dropped

    Impl(HandLandmarks lm, std::optional<HandDetector> det, HandFinderParams p)
        : landmarks(std::move(lm)), params(p) {
        if (det && p.async_detector)
            worker = std::make_unique<DetectorWorker>(std::move(*det), p.min_box_score);
        else
            detector = std::move(det);
    }

    void forget() {
        tracked = {};
        boxes_t = -std::numeric_limits<double>::infinity();
        submitted_t = -std::numeric_limits<double>::infinity();
        ++generation;
    }
};

HandFinder::HandFinder(HandLandmarks landmarks, std::optional<HandDetector> detector, HandFinderParams params)
    : m_impl(std::make_unique<Impl>(std::move(landmarks), std::move(detector), params)) {
    if (!(params.detector_period_s >= 0.0) || !std::isfinite(params.detector_period_s))
        throw FeatureError("hand finder: detector_period_s must be finite and >= 0");
}
HandFinder::HandFinder(HandFinder&&) noexcept = default;
HandFinder& HandFinder::operator=(HandFinder&&) noexcept = default;
HandFinder::~HandFinder() = default;

bool HandFinder::has_detector() const { return m_impl->detector.has_value() || m_impl->worker != nullptr; }
void HandFinder::wait_for_detector() {
    if (m_impl->worker) m_impl->worker->wait_idle();
}
const std::vector<HandBox>& HandFinder::last_boxes() const { return m_impl->boxes; }
double HandFinder::last_boxes_time() const { return m_impl->boxes_t; }
int HandFinder::detector_runs() const { return m_impl->runs; }

void HandFinder::reset() {
    m_impl->forget();
    m_impl->boxes.clear();
    m_impl->last_t = -std::numeric_limits<double>::infinity();
}

std::array<int, 2> HandFinder::match_boxes(const std::vector<HandBox>& boxes, const PoseFrame& body,
                                           const std::array<bool, 2>& need) {
    std::array<int, 2> match{-1, -1};
    if (!body.present) return match;
    const PoseKeypoint &ls = body.kp[5], &rs = body.kp[6];
    const float half_shoulders =
        ls.score >= HandLandmarks::kMinArmScore && rs.score >= HandLandmarks::kMinArmScore ? 0.5f * std::hypot(ls.x - rs.x, ls.y - rs.y) : 0.0f;
    // greedy: the (arm, box) pair with the smallest relative distance first, one box per arm
    std::vector<bool> used(boxes.size(), false);
    for (int round = 0; round < 2; ++round) {
        float best = kMaxMatch;
        int best_arm = -1, best_box = -1;
        for (int a = 0; a < 2; ++a) {
            if (!need[static_cast<std::size_t>(a)] || match[static_cast<std::size_t>(a)] >= 0) continue;
            const PoseKeypoint& w = body.kp[static_cast<std::size_t>(9 + a)];
            for (std::size_t b = 0; b < boxes.size(); ++b) {
                if (used[b]) continue;
                const float reach = std::max(std::max(boxes[b].w, boxes[b].h), half_shoulders);
                const float d = std::hypot(boxes[b].cx() - w.x, boxes[b].cy() - w.y) / std::max(reach, 1e-3f);
                if (d <= best) {
                    best = d;
                    best_arm = a;
                    best_box = static_cast<int>(b);
                }
            }
        }
        if (best_arm < 0) break;
        match[static_cast<std::size_t>(best_arm)] = best_box;
        used[static_cast<std::size_t>(best_box)] = true;
    }
    return match;
}

HandFrames HandFinder::run(const cv::Mat& frame, const PoseFrame& body, double t_s) {
    auto& I = *m_impl;
    if (!std::isfinite(t_s)) throw FeatureError("hand finder: frame time is not finite");
    if (frame.cols != I.width || frame.rows != I.height || t_s < I.last_t || !body.present) I.forget();
    I.width = frame.cols;
    I.height = frame.rows;
    I.last_t = t_s;
    HandFrames out;
    std::array<bool, 2> need{false, false};
    for (int a = 0; a < 2; ++a) {
        const auto ai = static_cast<std::size_t>(a);
        out[ai] = I.landmarks.run(frame, body, 9 + a);  // 1. the wrist crop (checks the frame)
        if (!out[ai].present && I.params.track && I.tracked[ai]) {  // 2. around the last landmarks
            const HandFrame& prev = *I.tracked[ai];
            float cx = 0, cy = 0, side = 0;
            landmark_square(prev, cx, cy, side);
            side *= kTrackSide;
            const float dx = prev.lm[9].x - prev.lm[0].x, dy = prev.lm[9].y - prev.lm[0].y;
            if (side >= 4.0f) {
                HandFrame t = I.landmarks.run_crop(frame, cx, cy, side, std::atan2(dx, -dy));
                t.wrist = 9 + a;
                t.source = HandCropSource::track;
                out[ai] = t;
            }
        }
        need[ai] = !out[ai].present && body.present;
    }
    // 3. the detector, at most once per period, on a call where an arm is still without a hand
    bool have_boxes = false;
    if ((need[0] || need[1]) && t_s - I.submitted_t >= I.params.detector_period_s) {
        if (I.detector) {
            I.boxes = I.detector->run(frame, I.params.min_box_score);
            I.boxes_t = I.submitted_t = t_s;
            ++I.runs;
            have_boxes = true;
        } else if (I.worker && I.worker->submit(frame, t_s, I.generation)) {
            I.submitted_t = t_s;
            ++I.runs;
        }
    }
    if (I.worker && (need[0] || need[1])) {  // boxes that became ready since the last call, once
        std::vector<HandBox> b;
        double bt = 0;
        int bw = 0, bh = 0;
        if (I.worker->take(b, bt, bw, bh, I.generation) && bw == frame.cols && bh == frame.rows) {
            I.boxes = std::move(b);
            I.boxes_t = bt;
            have_boxes = true;
        }
    }
    if (have_boxes) {
        const std::array<int, 2> match = match_boxes(I.boxes, body, need);
        for (int a = 0; a < 2; ++a) {
            const int b = match[static_cast<std::size_t>(a)];
            if (b < 0) continue;
            const HandBox& box = I.boxes[static_cast<std::size_t>(b)];
            const PoseKeypoint& e = body.kp[static_cast<std::size_t>(7 + a)];
            float angle = 0.0f;
            const float ex = box.cx() - e.x, ey = box.cy() - e.y;
            if (e.score >= HandLandmarks::kMinArmScore && std::hypot(ex, ey) > 0.25f * std::max(box.w, box.h))
                angle = std::atan2(ex, -ey);
            HandFrame d = I.landmarks.run_crop(frame, box.cx(), box.cy(), kBoxSide * std::max(box.w, box.h), angle);
            d.wrist = 9 + a;
            d.source = HandCropSource::detector;
            out[static_cast<std::size_t>(a)] = d;
        }
    }
    // Both arms on one hand (e.g. one arm's wrist crop and the other arm's track or box): the better
    // source keeps it (wrist, then track, then detector; then the higher presence).
    if (out[0].present && out[1].present) {
        float c0x = 0, c0y = 0, s0 = 0, c1x = 0, c1y = 0, s1 = 0;
        landmark_square(out[0], c0x, c0y, s0);
        landmark_square(out[1], c1x, c1y, s1);
        if (std::hypot(c0x - c1x, c0y - c1y) < kSameHand * std::max(s0, s1)) {
            const auto rank = [](const HandFrame& h) { return static_cast<int>(h.source); };
            const bool keep0 = rank(out[0]) != rank(out[1]) ? rank(out[0]) < rank(out[1]) : out[0].presence >= out[1].presence;
            out[keep0 ? 1 : 0].present = false;
        }
    }
    for (std::size_t a = 0; a < 2; ++a) {
        if (out[a].present)
            I.tracked[a] = out[a];
        else
            I.tracked[a].reset();
    }
    return out;
}

}  // namespace colive
