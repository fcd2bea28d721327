// SPDX-License-Identifier: MIT
// A small bounded hand-over between two threads. When full, push() either drops the oldest item
// (live sources: the newest data wins, the drop is counted) or waits for room (files read as fast
// as possible, where nothing may be lost). Never unbounded.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>

namespace colive {

enum class OverflowPolicy { DropOldest, Block };

template <typename T>
class BoundedQueue {
public:
    explicit BoundedQueue(std::size_t capacity, OverflowPolicy policy = OverflowPolicy::DropOldest)
        : m_capacity(capacity == 0 ? 1 : capacity), m_policy(policy) {}

    // Returns false only when the queue was closed (the item is discarded).
    bool push(T item) {
        std::unique_lock lock(m_mutex);
        if (m_policy == OverflowPolicy::Block)
            m_not_full.wait(lock, [&] { return m_closed || m_items.size() < m_capacity; });
        if (m_closed) return false;
        if (m_items.size() >= m_capacity) {
            m_items.pop_front();
            ++m_dropped;
        }
        m_items.push_back(std::move(item));
        ++m_pushed;
        lock.unlock();
        m_not_empty.notify_one();
        return true;
    }

    // Waits up to `timeout` for an item. Empty optional on timeout or when closed and drained.
    template <typename Rep, typename Period>
    std::optional<T> pop_for(std::chrono::duration<Rep, Period> timeout) {
        std::unique_lock lock(m_mutex);
        m_not_empty.wait_for(lock, timeout, [&] { return m_closed || !m_items.empty(); });
        if (m_items.empty()) return std::nullopt;
        T item = std::move(m_items.front());
        m_items.pop_front();
        lock.unlock();
        m_not_full.notify_one();
        return item;
    }

    std::optional<T> try_pop() { return pop_for(std::chrono::milliseconds(0)); }

    // Wakes every waiter; later pushes are refused, pops drain what is left.
    void close() {
        {
            std::lock_guard lock(m_mutex);
            m_closed = true;
        }
        m_not_empty.notify_all();
        m_not_full.notify_all();
    }

    bool closed() const {
        std::lock_guard lock(m_mutex);
        return m_closed;
    }
    std::size_t size() const {
        std::lock_guard lock(m_mutex);
        return m_items.size();
    }
    std::size_t capacity() const { return m_capacity; }
    std::uint64_t dropped() const {
        std::lock_guard lock(m_mutex);
        return m_dropped;
    }
    std::uint64_t pushed() const {
        std::lock_guard lock(m_mutex);
        return m_pushed;
    }

private:
    const std::size_t m_capacity;
    const OverflowPolicy m_policy;
    mutable std::mutex m_mutex;
    std::condition_variable m_not_empty;
    std::condition_variable m_not_full;
    std::deque<T> m_items;
    bool m_closed = false;
    std::uint64_t m_dropped = 0;
    std::uint64_t m_pushed = 0;
};

}  // namespace colive
