// SPDX-License-Identifier: MIT
#include "pipeline/bounded_queue.h"
#include "pipeline/metrics.h"
#include "sources/spsc_ring.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <thread>

using namespace colive;
using namespace std::chrono_literals;

TEST(BoundedQueue, DropsOldestAndCounts) {
    BoundedQueue<int> q(3);
    for (int i = 0; i < 10; ++i) q.push(i);
    EXPECT_EQ(q.size(), 3u);
    EXPECT_EQ(q.dropped(), 7u);
    EXPECT_EQ(q.pushed(), 10u);
    EXPECT_EQ(*q.try_pop(), 7);   // the newest three survive, in order
    EXPECT_EQ(*q.try_pop(), 8);
    EXPECT_EQ(*q.try_pop(), 9);
    EXPECT_FALSE(q.try_pop().has_value());
}

TEST(BoundedQueue, CloseWakesAndDrains) {
    BoundedQueue<int> q(2);
    q.push(1);
    q.close();
    EXPECT_FALSE(q.push(2));
    EXPECT_EQ(*q.pop_for(10ms), 1);
    EXPECT_FALSE(q.pop_for(1s).has_value());   // returns at once: closed and empty
}

TEST(BoundedQueue, BlockPolicyLosesNothing) {
    BoundedQueue<int> q(2, OverflowPolicy::Block);
    constexpr int N = 5000;
    std::thread producer([&] {
        for (int i = 0; i < N; ++i) ASSERT_TRUE(q.push(i));
        q.close();
    });
    long long sum = 0;
    int count = 0, last = -1;
    while (auto v = q.pop_for(1s)) {
        EXPECT_EQ(*v, last + 1);
        last = *v;
        sum += *v;
        ++count;
        EXPECT_LE(q.size(), 2u);
    }
    producer.join();
    EXPECT_EQ(count, N);
    EXPECT_EQ(sum, static_cast<long long>(N) * (N - 1) / 2);
    EXPECT_EQ(q.dropped(), 0u);
}

TEST(BoundedQueue, BlockedPushReleasedByClose) {
    BoundedQueue<int> q(1, OverflowPolicy::Block);
    q.push(1);
    std::atomic<bool> returned{false};
    std::thread t([&] {
        EXPECT_FALSE(q.push(2));
        returned = true;
    });
    std::this_thread::sleep_for(20ms);
    q.close();
    t.join();
    EXPECT_TRUE(returned);
}

TEST(SpscRing, BoundedWithDropCount) {
    SpscRing<float> r(5);   // rounded to 8
    EXPECT_EQ(r.capacity(), 8u);
    std::vector<float> in(12);
    std::iota(in.begin(), in.end(), 0.0f);
    EXPECT_EQ(r.push(in.data(), in.size()), 8u);
    EXPECT_EQ(r.dropped(), 4u);
    std::vector<float> out(20);
    EXPECT_EQ(r.pop(out.data(), 3), 3u);
    EXPECT_EQ(out[0], 0.0f);
    EXPECT_EQ(out[2], 2.0f);
    EXPECT_EQ(r.size(), 5u);
}

TEST(SpscRing, ProducerConsumerThreadsKeepOrder) {
    SpscRing<std::uint32_t> r(256);
    constexpr std::uint32_t N = 50000;
    std::thread prod([&] {
        std::uint32_t next = 0;
        while (next < N) {
            std::uint32_t chunk[17];
            std::uint32_t k = 0;
            for (; k < 17 && next + k < N; ++k) chunk[k] = next + k;
            // push only what fits so nothing is dropped in this test
            const std::size_t room = r.capacity() - r.size();
            const std::size_t n = std::min<std::size_t>(k, room);
            r.push(chunk, n);
            next += static_cast<std::uint32_t>(n);
            if (n == 0) std::this_thread::yield();
        }
    });
    std::uint32_t expect = 0;
    std::uint32_t buf[64];
    while (expect < N) {
        const std::size_t n = r.pop(buf, 64);
        if (n == 0) std::this_thread::yield();
        for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(buf[i], expect++);
    }
    prod.join();
    EXPECT_EQ(r.dropped(), 0u);
}

TEST(Metrics, PercentilesNearestRank) {
    MovingWindow w(100);
    for (int i = 100; i >= 1; --i) w.add(i);   // 1..100 in any order
    EXPECT_DOUBLE_EQ(w.percentile(0.5), 50.0);
    EXPECT_DOUBLE_EQ(w.percentile(0.95), 95.0);
    EXPECT_DOUBLE_EQ(w.percentile(1.0), 100.0);
    EXPECT_DOUBLE_EQ(w.mean(), 50.5);
    // the window forgets: 100 more values of 1000 replace all old ones
    for (int i = 0; i < 100; ++i) w.add(1000);
    EXPECT_DOUBLE_EQ(w.percentile(0.5), 1000.0);
    EXPECT_EQ(w.size(), 100u);
}

// Whole-run histogram against exact nearest-rank percentiles of a skewed sample (fixed seed).
TEST(Metrics, LogHistogramWithinOnePercentOfExact) {
    std::mt19937 rng(7);
    std::lognormal_distribution<double> dist(-3.0, 1.5);   // ~0.05 ms median, long tail
    LogHistogram h;
    std::vector<double> v;
    for (int i = 0; i < 200000; ++i) {
        const double x = dist(rng);
        v.push_back(x);
        h.add(x);
    }
    std::sort(v.begin(), v.end());
    EXPECT_EQ(h.size(), v.size());
    for (double q : {0.01, 0.5, 0.9, 0.95, 0.99, 0.999}) {
        const double exact = v[static_cast<std::size_t>(std::ceil(q * double(v.size()))) - 1];
        EXPECT_NEAR(h.percentile(q), exact, 0.01 * exact) << "q=" << q;
    }
    EXPECT_DOUBLE_EQ(h.percentile(1.0), v.back());
    EXPECT_DOUBLE_EQ(h.max(), v.back());
    EXPECT_NEAR(h.mean(), std::accumulate(v.begin(), v.end(), 0.0) / double(v.size()), 1e-9);
    // out-of-range and non-finite values neither crash nor move the statistics
    h.add(std::numeric_limits<double>::quiet_NaN());
    EXPECT_EQ(h.size(), v.size());
    LogHistogram e;
    EXPECT_TRUE(std::isnan(e.percentile(0.5)));
    e.add(0.0);
    e.add(5e9);
    EXPECT_DOUBLE_EQ(e.percentile(0.5), 0.0);
    EXPECT_DOUBLE_EQ(e.percentile(1.0), 5e9);
}

TEST(Metrics, NewestInChronologicalOrder) {
    MovingWindow w(4);
    for (int i = 1; i <= 6; ++i) w.add(i);
    const auto v = w.newest(10);
    ASSERT_EQ(v.size(), 4u);
    EXPECT_EQ(v.front(), 3.0f);
    EXPECT_EQ(v.back(), 6.0f);
    EXPECT_EQ(w.newest(2), (std::vector<float>{5.0f, 6.0f}));
}

TEST(Metrics, RateFromTimestamps) {
    RateMeter r(std::chrono::milliseconds(2000));
    const auto t0 = RateMeter::Clock::now();
    for (int i = 0; i <= 10; ++i) r.tick(t0 + std::chrono::milliseconds(100 * i));   // 10 per second
    EXPECT_NEAR(r.rate(t0 + std::chrono::milliseconds(1000)), 10.0, 1e-6);
    EXPECT_DOUBLE_EQ(r.rate(t0 + std::chrono::seconds(10)), 0.0);   // all ticks too old
}
