// SPDX-License-Identifier: MIT
// A watchdog for tests that could deadlock: if not disarmed before the deadline it prints what
// the test was doing and terminates the process with exit code 3 (CTest reports the failure;
// no test can hang the suite).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

namespace colive::rel {

class Watchdog {
public:
    Watchdog(std::chrono::seconds deadline, std::string what) : m_what(std::move(what)) {
        m_thread = std::thread([this, deadline] {
            std::unique_lock lock(m_mtx);
            if (!m_cv.wait_for(lock, deadline, [this] { return m_done; })) {
                std::fprintf(stderr, "WATCHDOG: '%s' did not finish within %lld s (deadlock?) at: %s\n", m_what.c_str(),
                             static_cast<long long>(deadline.count()), m_stage.c_str());
                std::fflush(stderr);
                std::_Exit(3);
            }
        });
    }
    void stage(const std::string& s) {
        std::lock_guard lock(m_mtx);
        m_stage = s;
    }
    ~Watchdog() {
        {
            std::lock_guard lock(m_mtx);
            m_done = true;
        }
        m_cv.notify_all();
        m_thread.join();
    }
    Watchdog(const Watchdog&) = delete;
    Watchdog& operator=(const Watchdog&) = delete;

private:
    std::string m_what, m_stage = "start";
    std::mutex m_mtx;
    std::condition_variable m_cv;
    bool m_done = false;
    std::thread m_thread;
};

}  // namespace colive::rel
