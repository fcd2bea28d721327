// SPDX-License-Identifier: MIT
// SplitPool: the helper threads a Stream uses, when asked to (StreamOptions::weight_threads), to
// split the rows of its continual matrix-vector products, so that more than one core streams the
// weights of one step (engine_internal.h).
//
// Work sharing, not a fixed split: a call is cut into kChunksPerThread x threads chunks (whole
// groups of rows, see gemv::f32) and every thread, the caller included, claims the next chunk from
// one atomic counter until none is left. A helper that is descheduled on a busy machine therefore
// just claims nothing (the caller does its chunks) instead of stalling the step; the caller waits
// only for chunks a helper has already started. Since a chunk computes its rows exactly as the
// whole call would, which thread does which chunk does not change the results.
//
// Hand-off without a lock, a thread start or an allocation per call: the caller writes the task,
// resets the counters, then bumps every helper's `go` generation (release) and wakes it. Waiting
// sides first spin for up to `spin_us` microseconds (a continual step makes several products a few
// microseconds apart, and a futex wake-up costs more than that), then sleep in std::atomic::wait
// (libstdc++'s notify makes no system call when nobody sleeps). The task is published by the
// release/acquire pairs on the counters, which is also what ThreadSanitizer checks.
#include "engine_internal.h"

#include <chrono>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace colive {

namespace {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#else
    std::this_thread::yield();
#endif
}

// Returns once `a` no longer holds `old`: spins up to spin_us, then sleeps.
void await_change(const std::atomic<std::uint32_t>& a, std::uint32_t old, int spin_us) {
    if (a.load(std::memory_order_acquire) != old) return;
    if (spin_us > 0) {
        const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(spin_us);
        for (;;) {
            for (int i = 0; i < 32; ++i) {
                if (a.load(std::memory_order_acquire) != old) return;
                cpu_relax();
            }
            if (std::chrono::steady_clock::now() >= until) break;
        }
    }
    while (a.load(std::memory_order_acquire) == old) a.wait(old, std::memory_order_acquire);
}

}  // namespace

struct SplitPool::Helper {
    alignas(64) std::atomic<std::uint32_t> go{0};
    std::thread thread;
};

SplitPool::SplitPool(int threads, int spin_us, std::size_t min_bytes)
    : m_parts(std::max(1, threads)), m_chunks(kChunksPerThread * m_parts), m_spin_us(std::max(0, spin_us)),
      m_min_bytes(min_bytes),
      m_helpers(std::make_unique<Helper[]>(std::size_t(m_parts - 1))) {
    for (int i = 0; i + 1 < m_parts; ++i)
        m_helpers[std::size_t(i)].thread = std::thread([this, i] { helper_loop(i); });
}

SplitPool::~SplitPool() {
    m_stop.store(true, std::memory_order_relaxed);
    ++m_gen;
    for (int i = 0; i + 1 < m_parts; ++i) {
        Helper& hp = m_helpers[std::size_t(i)];
        hp.go.store(m_gen, std::memory_order_release);
        hp.go.notify_one();
    }
    for (int i = 0; i + 1 < m_parts; ++i) m_helpers[std::size_t(i)].thread.join();
}

// Claims and runs chunks of the current call until none is left; returns how many it ran.
int SplitPool::work() {
    int ran = 0;
    for (;;) {
        // Claiming synchronises with the caller's reset of the counter (release), which comes after
        // it wrote m_task and m_ctx; a claim past the end (a late helper) reads nothing else.
        const std::uint32_t c = m_next.fetch_add(1, std::memory_order_acq_rel);
        if (c >= std::uint32_t(m_chunks)) return ran;
        m_task(m_ctx, int(c), m_chunks);
        ++ran;
    }
}

void SplitPool::helper_loop(int index) {
    Helper& hp = m_helpers[std::size_t(index)];
    std::uint32_t seen = 0;
    for (;;) {
        await_change(hp.go, seen, m_spin_us);
        seen = hp.go.load(std::memory_order_acquire);
        if (m_stop.load(std::memory_order_relaxed)) return;
        if (const int ran = work()) {
            m_done.fetch_add(std::uint32_t(ran), std::memory_order_release);
            m_done.notify_one();
        }
    }
}

void SplitPool::run(Task task, const void* ctx) {
    if (m_parts == 1) {
        task(ctx, 0, 1);
        return;
    }
    m_task = task;
    m_ctx = ctx;
    m_done.store(0, std::memory_order_relaxed);
    m_next.store(0, std::memory_order_release);
    const std::uint32_t gen = ++m_gen;
    for (int i = 0; i + 1 < m_parts; ++i) {
        Helper& hp = m_helpers[std::size_t(i)];
        hp.go.store(gen, std::memory_order_release);
        hp.go.notify_one();
    }
    // Chunks the helpers claimed: wait until they are finished (nothing else is waited for).
    const auto helpers = std::uint32_t(m_chunks - work());
    for (std::uint32_t d = m_done.load(std::memory_order_acquire); d != helpers; d = m_done.load(std::memory_order_acquire))
        await_change(m_done, d, m_spin_us);
}

}  // namespace colive
