// SPDX-License-Identifier: MIT
// Moving windows for latency percentiles and token rates.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <vector>

namespace colive {

// Keeps the last `capacity` values; percentile() over them.
class MovingWindow {
public:
    explicit MovingWindow(std::size_t capacity = 200) : m_capacity(capacity) {}
    void add(double v);
    void clear() { m_values.clear(); m_next = 0; }
    std::size_t size() const { return m_values.size(); }
    // q in [0, 1], nearest-rank on the sorted window; NaN when empty.
    double percentile(double q) const;
    double mean() const;
    // Values oldest first (at most `n` of the newest).
    std::vector<float> newest(std::size_t n) const;

private:
    std::size_t m_capacity;
    std::vector<double> m_values;
    std::size_t m_next = 0;           // where the next value goes once full
};

// Events per second over the last `span`.
class RateMeter {
public:
    using Clock = std::chrono::steady_clock;
    explicit RateMeter(std::chrono::milliseconds span = std::chrono::milliseconds(2000)) : m_span(span) {}
    void tick(Clock::time_point t = Clock::now());
    double rate(Clock::time_point now = Clock::now()) const;
    void clear() { m_times.clear(); }

private:
    std::chrono::milliseconds m_span;
    std::deque<Clock::time_point> m_times;
};

}  // namespace colive
