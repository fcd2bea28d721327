// SPDX-License-Identifier: MIT
#include "metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace colive {

void MovingWindow::add(double v) {
    if (m_capacity == 0) return;
    if (m_values.size() < m_capacity) {
        m_values.push_back(v);
    } else {
        m_values[m_next] = v;
        m_next = (m_next + 1) % m_capacity;
    }
}

double MovingWindow::percentile(double q) const {
    if (m_values.empty()) return std::numeric_limits<double>::quiet_NaN();
    std::vector<double> s = m_values;
    std::sort(s.begin(), s.end());
    q = std::clamp(q, 0.0, 1.0);
    // nearest rank: the smallest value with at least q of the window at or below it
    std::size_t rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(s.size())));
    if (rank == 0) rank = 1;
    return s[rank - 1];
}

namespace {
constexpr double kHistLo = 1e-6;          // ms
constexpr double kHistStep = 1.01;        // bin width ratio
constexpr std::size_t kHistBins = 2800;   // up to ~1.2e6 ms
const double kLogStep = std::log(kHistStep);
}  // namespace

LogHistogram::LogHistogram() : m_bins(kHistBins, 0) {}

void LogHistogram::add(double ms) {
    if (!std::isfinite(ms)) return;
    ms = std::max(ms, 0.0);
    std::size_t i = 0;
    if (ms > kHistLo) i = std::min(kHistBins - 1, static_cast<std::size_t>(std::log(ms / kHistLo) / kLogStep));
    ++m_bins[i];
    m_min = m_count == 0 ? ms : std::min(m_min, ms);
    m_max = m_count == 0 ? ms : std::max(m_max, ms);
    m_sum += ms;
    ++m_count;
}

double LogHistogram::percentile(double q) const {
    if (m_count == 0) return std::numeric_limits<double>::quiet_NaN();
    q = std::clamp(q, 0.0, 1.0);
    std::size_t rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(m_count)));
    if (rank <= 1) return m_min;
    if (rank >= m_count) return m_max;
    std::size_t seen = 0;
    for (std::size_t i = 0; i < m_bins.size(); ++i) {
        seen += m_bins[i];
        if (seen < rank) continue;
        // the bin's geometric middle, but never outside what was seen
        const double mid = kHistLo * std::exp((static_cast<double>(i) + 0.5) * kLogStep);
        return std::clamp(i == 0 || i + 1 == m_bins.size() ? (i == 0 ? m_min : m_max) : mid, m_min, m_max);
    }
    return m_max;
}

double LogHistogram::mean() const {
    return m_count == 0 ? std::numeric_limits<double>::quiet_NaN() : m_sum / static_cast<double>(m_count);
}

double MovingWindow::mean() const {
    if (m_values.empty()) return std::numeric_limits<double>::quiet_NaN();
    return std::accumulate(m_values.begin(), m_values.end(), 0.0) / static_cast<double>(m_values.size());
}

std::vector<float> MovingWindow::newest(std::size_t n) const {
    std::vector<float> out;
    const std::size_t size = m_values.size();
    const std::size_t k = std::min(n, size);
    out.reserve(k);
    // chronological order: oldest is at m_next when full, at 0 otherwise
    const std::size_t oldest = size < m_capacity ? 0 : m_next;
    for (std::size_t i = size - k; i < size; ++i) out.push_back(static_cast<float>(m_values[(oldest + i) % size]));
    return out;
}

void RateMeter::tick(Clock::time_point t) {
    m_times.push_back(t);
    while (!m_times.empty() && t - m_times.front() > m_span) m_times.pop_front();
}

double RateMeter::rate(Clock::time_point now) const {
    // (ticks in the window - 1) / time from the oldest of them to now: decays when ticks stop.
    std::size_t n = 0;
    Clock::time_point oldest = now;
    for (auto it = m_times.rbegin(); it != m_times.rend(); ++it) {
        if (now - *it > m_span) break;
        oldest = *it;
        ++n;
    }
    const double dt = std::chrono::duration<double>(now - oldest).count();
    return (n < 2 || dt <= 0.0) ? 0.0 : static_cast<double>(n - 1) / dt;
}

}  // namespace colive
