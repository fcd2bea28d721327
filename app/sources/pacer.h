// SPDX-License-Identifier: MIT
// Paces a file source to the media clock, with sleeps that interrupt() cuts short.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace colive {

class Pacer {
public:
    using Clock = std::chrono::steady_clock;

    void restart() { restart_at(0.0); }
    // Media time t_s is due now (used after a pause).
    void restart_at(double t_s) {
        m_start = Clock::now() - std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(t_s));
        m_started = true;
    }
    // Waits until media time t_s is due (at most `max_wait`). Returns true when due, false when
    // interrupted or the wait was cut at max_wait (the caller then returns Timeout and retries).
    bool wait_until_due(double t_s, std::chrono::milliseconds max_wait = std::chrono::milliseconds(100)) {
        if (!m_started) restart();
        const auto due = m_start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(t_s));
        const auto limit = Clock::now() + max_wait;
        std::unique_lock lock(m_mutex);
        if (m_interrupted.exchange(false)) return false;
        const auto until = due < limit ? due : limit;
        m_cv.wait_until(lock, until, [&] { return m_interrupted.load(); });
        if (m_interrupted.exchange(false)) return false;
        return Clock::now() >= due;
    }
    void interrupt() {
        {
            std::lock_guard lock(m_mutex);
            m_interrupted = true;
        }
        m_cv.notify_all();
    }

private:
    Clock::time_point m_start{};
    bool m_started = false;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::atomic<bool> m_interrupted{false};
};

}  // namespace colive
