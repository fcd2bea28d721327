// SPDX-License-Identifier: MIT
// A lock-free single-producer single-consumer ring of trivially copyable values.
// The producer (e.g. a PortAudio callback) never allocates, locks or blocks: when the ring is full
// the values that do not fit are dropped and counted.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>

namespace colive {

template <typename T>
class SpscRing {
    static_assert(std::is_trivially_copyable_v<T>);

public:
    // Capacity is rounded up to a power of two.
    explicit SpscRing(std::size_t capacity) {
        std::size_t c = 1;
        while (c < capacity) c <<= 1;
        m_capacity = c;
        m_mask = c - 1;
        m_data = std::make_unique<T[]>(c);
    }

    std::size_t capacity() const { return m_capacity; }

    // Producer side. Returns how many values were written; the rest are counted as dropped.
    std::size_t push(const T* values, std::size_t n) noexcept {
        const std::size_t head = m_head.load(std::memory_order_relaxed);
        const std::size_t tail = m_tail.load(std::memory_order_acquire);
        const std::size_t space = m_capacity - (head - tail);
        const std::size_t k = std::min(space, n);
        for (std::size_t i = 0; i < k; ++i) m_data[(head + i) & m_mask] = values[i];
        m_head.store(head + k, std::memory_order_release);
        if (k < n) m_dropped.fetch_add(n - k, std::memory_order_relaxed);
        return k;
    }

    // Consumer side. Returns how many values were read (at most n).
    std::size_t pop(T* out, std::size_t n) noexcept {
        const std::size_t tail = m_tail.load(std::memory_order_relaxed);
        const std::size_t head = m_head.load(std::memory_order_acquire);
        const std::size_t k = std::min(head - tail, n);
        for (std::size_t i = 0; i < k; ++i) out[i] = m_data[(tail + i) & m_mask];
        m_tail.store(tail + k, std::memory_order_release);
        return k;
    }

    std::size_t size() const noexcept {
        return m_head.load(std::memory_order_acquire) - m_tail.load(std::memory_order_acquire);
    }
    std::uint64_t dropped() const noexcept { return m_dropped.load(std::memory_order_relaxed); }

private:
    std::size_t m_capacity = 0;
    std::size_t m_mask = 0;
    std::unique_ptr<T[]> m_data;
    alignas(64) std::atomic<std::size_t> m_head{0};
    alignas(64) std::atomic<std::size_t> m_tail{0};
    alignas(64) std::atomic<std::uint64_t> m_dropped{0};
};

}  // namespace colive
