// gil_test.cpp: the GIL alone, driven by fake thread states (no interpreter needed).
// Every wait here is bounded only to fail a hung test; nothing asserts a duration.
#include "runtime/gil.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <thread>
#include <vector>

#include "runtime/thread_state.h"

namespace toy {
namespace {

using namespace std::chrono_literals;

// A holder's check point, as the VM runs it: a countdown and the breaker word.
void checkpoint(Gil& gil, ThreadState* ts, int64_t& countdown) {
    if (--countdown <= 0 || ts->breaker.load(std::memory_order_relaxed)) {
        gil.yield_from_checkpoint(ts);
        countdown = gil.countdown_reload();
    }
}

TEST(Gil, MutualExclusionUnderEightThreads) {
    Gil gil;
    gil.set_interval_ns(50'000);  // a tiny switch interval: many hand-offs
    std::atomic<int> inside{0};
    std::atomic<int> max_inside{0};
    std::atomic<int> sections{0};
    std::vector<std::thread> threads;
    std::vector<ThreadState> states(8);
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t] {
            ThreadState* ts = &states[t];
            gil.acquire(ts);
            int64_t countdown = gil.countdown_reload();
            for (int i = 0; i < 20000; ++i) {
                int now = inside.fetch_add(1) + 1;
                int prev = max_inside.load();
                while (now > prev && !max_inside.compare_exchange_weak(prev, now)) {
                }
                sections.fetch_add(1);
                inside.fetch_sub(1);
                checkpoint(gil, ts, countdown);
                if (i % 1000 == 0) {  // a voluntary release, as around IO
                    gil.release(ts, GilReleaseReason::kBlocking);
                    gil.acquire(ts);
                }
            }
            gil.release(ts, GilReleaseReason::kExit);
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(max_inside.load(), 1);
    EXPECT_EQ(sections.load(), 8 * 20000);
    EXPECT_FALSE(gil.locked());
    EXPECT_GE(gil.counters().switches, 8u);  // every thread held it at least once
}

TEST(Gil, ForcedSwitchHandsOffToTheWaiter) {
    Gil gil;
    gil.set_interval_ns(200'000);
    ThreadState holder_ts, waiter_ts;
    gil.acquire(&holder_ts);
    std::atomic<bool> waiter_has_it{false};
    std::atomic<bool> stop{false};
    std::thread waiter([&] {
        gil.acquire(&waiter_ts);
        waiter_has_it = true;
        // Hold it until the holder has noticed it lost the GIL.
        while (!stop) std::this_thread::yield();
        gil.release(&waiter_ts, GilReleaseReason::kExit);
    });
    // Lets the waiter go once it has the GIL (the holder is blocked in its check point then).
    std::thread releaser([&] {
        while (!waiter_has_it) std::this_thread::yield();
        stop = true;
    });
    // The holder spins on its check point; it must hand over, and must not win it straight
    // back: after the forced drop, the next holder is the waiter.
    int64_t countdown = gil.countdown_reload();
    auto give_up = std::chrono::steady_clock::now() + 20s;
    while (!waiter_has_it && std::chrono::steady_clock::now() < give_up)
        checkpoint(gil, &holder_ts, countdown);
    if (!waiter_has_it) stop = waiter_has_it = true;  // hung: let the threads finish
    releaser.join();
    EXPECT_TRUE(waiter_has_it.load());
    EXPECT_TRUE(gil.held_by(&holder_ts));
    GilCounters c = gil.counters();
    EXPECT_GE(c.drop_requests, 1u);
    EXPECT_EQ(c.forced_drops, 1u);
    gil.release(&holder_ts, GilReleaseReason::kExit);
    waiter.join();
}

TEST(Gil, NoWaiterStarvesAmongFourSpinners) {
    Gil gil;
    gil.set_interval_ns(100'000);
    constexpr int kThreads = 4;
    std::vector<ThreadState> states(kThreads);
    std::vector<std::atomic<int>> turns(kThreads);
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            ThreadState* ts = &states[t];
            gil.acquire(ts);
            int64_t countdown = gil.countdown_reload();
            bool had_it = true;
            while (!stop) {
                if (had_it) {
                    turns[t]++;
                    had_it = false;
                }
                uint64_t before = gil.counters().switches;
                checkpoint(gil, ts, countdown);
                if (gil.counters().switches != before) had_it = true;
            }
            gil.release(ts, GilReleaseReason::kExit);
        });
    }
    auto give_up = std::chrono::steady_clock::now() + 30s;
    auto everyone_ran = [&] {
        for (auto& n : turns)
            if (n.load() < 5) return false;
        return true;
    };
    while (!everyone_ran() && std::chrono::steady_clock::now() < give_up)
        std::this_thread::sleep_for(1ms);
    stop = true;
    for (auto& th : threads) th.join();
    for (int t = 0; t < kThreads; ++t) EXPECT_GE(turns[t].load(), 5) << "thread " << t;
}

TEST(Gil, StaleDropRequestIsHarmless) {
    Gil gil;
    ThreadState a, b;
    gil.acquire(&a);
    // A request is pending, but a leaves voluntarily (an exiting thread): no forced wait.
    a.breaker.fetch_or(kBreakDropGil);
    gil.release(&a, GilReleaseReason::kExit);
    EXPECT_EQ(a.breaker.load() & kBreakDropGil, 0u);
    gil.acquire(&b);
    EXPECT_TRUE(gil.held_by(&b));
    gil.release(&b, GilReleaseReason::kExit);
    // A forced drop with nobody waiting does not wait for a hand-off either.
    gil.acquire(&a);
    a.breaker.fetch_or(kBreakDropGil);
    gil.yield_from_checkpoint(&a);
    EXPECT_TRUE(gil.held_by(&a));
    EXPECT_EQ(gil.counters().forced_drops, 0u);
    gil.release(&a, GilReleaseReason::kExit);
}

TEST(Gil, PreservesErrno) {
    Gil gil;
    ThreadState a;
    errno = EAGAIN;
    gil.acquire(&a);
    EXPECT_EQ(errno, EAGAIN);
    errno = EINTR;
    gil.release(&a, GilReleaseReason::kBlocking);
    EXPECT_EQ(errno, EINTR);
}

TEST(Gil, TickPolicyReleasesEveryCheckInterval) {
    Gil gil;
    gil.set_policy(GilPolicy::kTick);
    gil.set_check_interval(100);
    ThreadState a;
    gil.acquire(&a);
    int64_t countdown = gil.countdown_reload();
    EXPECT_EQ(countdown, 100);
    for (int i = 0; i < 1000; ++i) checkpoint(gil, &a, countdown);
    EXPECT_EQ(gil.counters().tick_drops, 10u);
    EXPECT_TRUE(gil.held_by(&a));
    gil.release(&a, GilReleaseReason::kExit);
}

// A clock that only moves when the test says so.
class VirtualClock final : public GilClock {
public:
    int64_t now_ns() override { return now_.load(); }
    bool wait_until(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                    int64_t deadline_ns) override {
        if (now_.load() >= deadline_ns) return true;
        cv.wait_for(lock, 200us);  // real time only to poll the virtual one
        return now_.load() >= deadline_ns;
    }
    void advance(int64_t ns) { now_ += ns; }

private:
    std::atomic<int64_t> now_{0};
};

TEST(Gil, DropRequestOnlyAfterAFullVirtualInterval) {
    VirtualClock clock;
    Gil gil;
    gil.set_clock(&clock);
    gil.set_interval_ns(5'000'000);
    ThreadState holder, waiter;
    gil.acquire(&holder);
    std::thread t([&] {
        gil.acquire(&waiter);
        gil.release(&waiter, GilReleaseReason::kExit);
    });
    // Real time passes, virtual time does not: no request may be made.
    std::this_thread::sleep_for(20ms);
    EXPECT_EQ(holder.breaker.load() & kBreakDropGil, 0u);
    EXPECT_EQ(gil.counters().drop_requests, 0u);
    // One full interval later the waiter asks.
    clock.advance(5'000'001);
    auto give_up = std::chrono::steady_clock::now() + 20s;
    while (!(holder.breaker.load() & kBreakDropGil) && std::chrono::steady_clock::now() < give_up)
        std::this_thread::sleep_for(1ms);
    EXPECT_TRUE(holder.breaker.load() & kBreakDropGil);
    gil.yield_from_checkpoint(&holder);  // hands over, then takes it back after t exits
    t.join();
    EXPECT_TRUE(gil.held_by(&holder));
    gil.release(&holder, GilReleaseReason::kExit);
}

}  // namespace
}  // namespace toy
