// SPDX-License-Identifier: MIT
// Moving windows for latency percentiles and token rates.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
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

// Whole-run latency statistics in constant memory (a long CLI or soak run must not grow): values
// are counted in logarithmic bins 1 % wide from 1 ns to ~10^6 ms, so a percentile is within 1 % of
// the exact nearest-rank value; count, mean, min and max are exact.
class LogHistogram {
public:
    LogHistogram();
    void add(double ms);
    std::size_t size() const { return m_count; }
    double percentile(double q) const;   // q in [0, 1]; NaN when empty
    double mean() const;
    double max() const { return m_max; }

private:
    std::vector<std::uint64_t> m_bins;
    std::size_t m_count = 0;
    double m_sum = 0.0, m_min = 0.0, m_max = 0.0;
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
