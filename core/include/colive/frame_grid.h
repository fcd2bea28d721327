// SPDX-License-Identifier: MIT
// Which frames of a stream a network runs on. FrameGrid: at most `period` apart in media time, the
// first frame at or (within `tol`) before each grid time, on a grid anchored at the first frame (as the
// token slots of the extractors are); the pose path runs MoveNet so (20 Hz). SlotGate: the first frame
// of each token slot (slot k = (t0 + (k-1) T, t0 + k T], the first frame t0 joining slot 1, as
// PoseTokenizer counts them), so every token gets exactly one run whatever the frame rate; the pose
// path runs the hand landmark network so (pose-kp-v3), and colive-extract and the simulator
// (models/training/gen_pose.py) use the same rule.
#pragma once

#include <cmath>

namespace colive {

class FrameGrid {
public:
    explicit FrameGrid(double period_s) : m_period(period_s) {}
    // Anchors the grid at t (the next due frame is the one at t).
    void restart(double t_s) {
        m_started = true;
        m_next = t_s;
    }
    void reset() { m_started = false; }
    // True when the frame at t is due (and moves the grid on past it). The first frame is always due.
    bool due(double t_s, double tol_s) {
        if (!m_started) restart(t_s);
        if (t_s + tol_s < m_next) return false;
        m_next += m_period * (std::floor((t_s + tol_s - m_next) / m_period) + 1.0);
        return true;
    }
    double period() const { return m_period; }

private:
    double m_period;
    bool m_started = false;
    double m_next = 0.0;
};

class SlotGate {
public:
    explicit SlotGate(double period_s) : m_period(period_s) {}
    void restart(double t_s) {
        m_started = true;
        m_t0 = t_s;
        m_last = 0;
    }
    void reset() { m_started = false; }
    // True for the first frame of each token slot (the first frame ever is due).
    bool due(double t_s) {
        if (!m_started) restart(t_s);
        const double r = (t_s - m_t0) / m_period;
        const long k = r - 1e-6 <= 1.0 ? 1L : static_cast<long>(std::ceil(r - 1e-6));
        if (k == m_last) return false;
        m_last = k;
        return true;
    }

private:
    double m_period;
    bool m_started = false;
    double m_t0 = 0.0;
    long m_last = 0;
};

}  // namespace colive
