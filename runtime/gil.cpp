// gil.cpp: the global interpreter lock.
//
// WHY. Objects carry non-atomic reference counts and containers have no locks of their own;
// a thread may only touch objects while it holds its interpreter's GIL. One GIL per
// interpreter: two interpreters in one process run in parallel.
//
// STATE. `locked_` (the lock proper) and `switch_number_` (bumped whenever the holder
// changes), protected by `mutex_`, with `cond_` for waiters. `holder_` mirrors who holds it
// (written only under `mutex_`, read racily by held_by() for assertions and by waiters to
// find whom to ask). `last_holder_` is the last thread that took it; forced switching waits
// on it through `switch_mutex_`/`switch_cond_`.
//
// THE DROP REQUEST reaches the holder through its ThreadState::breaker word: the waiter
// sets kBreakDropGil with fetch_or(release); the holder's check point, which runs at
// EVERY instruction (a countdown and one relaxed load of the breaker), sees it and calls
// yield_from_checkpoint(). The holder clears the bit with fetch_and when it drops. Relaxed
// is enough on the holder's side: the hand-off itself is synchronised by `mutex_`.
//
// INTERVAL POLICY (the default, CPython 3.2+'s "new GIL"):
//   take: under mutex_, while locked: remember switch_number_, wait on cond_ for one
//     interval. If the wait timed out and the lock is still held by the same holder with no
//     switch meanwhile (a full interval of monopoly), set the drop request on the holder.
//     Then take it: locked_ = true, holder_ = me, and if last_holder_ != me bump
//     switch_number_ and notify switch_cond_ (a forced dropper may be waiting for this).
//   drop: under mutex_: locked_ = false, holder_ = null, notify one waiter. Then, only if
//     the drop was FORCED (a request was pending), wait on switch_cond_ until last_holder_
//     is no longer me. Without that wait the dropper, already running on its core, would win
//     the mutex back before the woken waiter is scheduled, and time slices would stretch far
//     beyond the interval. Voluntary drops (IO, sleep, lock waits) do not wait.
//   The waiter's timed wait needs a monotonic clock (GilClock; steady_clock by default):
//   a wall-clock jump must not shorten or stretch the interval.
//
// TICK POLICY (CPython < 3.2): the holder's countdown is the check interval (100
// instructions by default); at zero it drops the GIL, notifies a waiter and immediately
// asks for it again, with no hand-off. Waiters never ask for a drop. On one core the woken
// thread usually runs; on two or more the dropper usually re-takes it first, the waiter
// wakes for nothing, and both burn CPU: the "GIL battle" Beazley measured. That is the
// behaviour to show, so it is reproduced faithfully rather than fixed.
//
// INVARIANTS.
//   - locked_ == (holder_ != null), both changed together under mutex_.
//   - Only the holder calls release()/yield_from_checkpoint(); only a non-holder acquire().
//   - A waiter re-checks locked_ under mutex_ after every wake-up (spurious wake-ups and
//     stolen hand-offs are harmless).
//   - A drop request set on a thread that then releases voluntarily or exits is cleared by
//     that release; a forced dropper waits for a new holder only while somebody waits
//     (waiters_ > 0), so a request left behind can never make it wait forever.
//   - errno is saved and restored around acquire and release (callers read it after a
//     system call made with the GIL released).
//
// FORK. In the child only the forking thread exists. The fork path (runtime/fork.cpp) has
// the forking thread, which holds the GIL, take both internal mutexes right before fork()
// (prepare_fork), so no vanished thread can hold them in the child; reinit_after_fork()
// re-creates the condition variables (vanished waiters may be recorded in them), makes the
// forking thread the holder with no waiters, and releases the mutexes.
//
// SHUTDOWN. A daemon thread that wakes after the interpreter is finalised must not touch
// freed state: it blocks forever in acquire() (the interpreter's finalising flag, issue 3's
// threading layer), as CPython does. Never pthread_exit (it would unwind C++ frames).
//
// LOCK ORDER. mutex_ before switch_mutex_ (take_locked notifies switch_cond_ while holding
// mutex_). The forced dropper holds only switch_mutex_ while it waits, and reads the atomic
// waiters_ instead of taking mutex_.
//
// MEMORY ORDER. holder_/last_holder_: stored under mutex_ (release by the mutex), read
// relaxed outside it only for held_by() and statistics. policy_/interval_ns_/
// check_interval_: relaxed knobs, read at each decision. breaker bits: fetch_or/fetch_and
// acq_rel by writers, relaxed loads by the check point.
#include "runtime/gil.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <new>

#include "runtime/interpreter.h"
#include "runtime/thread_state.h"

namespace toy {

namespace {

class SteadyClock final : public GilClock {
public:
    int64_t now_ns() override {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::steady_clock::now().time_since_epoch())
            .count();
    }
    bool wait_until(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                    int64_t deadline_ns) override {
        auto deadline = std::chrono::steady_clock::time_point(std::chrono::nanoseconds(deadline_ns));
        return cv.wait_until(lock, deadline) == std::cv_status::timeout;
    }
};

// Restores errno on scope exit.
class ErrnoSaver {
public:
    ErrnoSaver() : saved_(errno) {}
    ~ErrnoSaver() { errno = saved_; }

private:
    int saved_;
};

}  // namespace

GilClock* steady_gil_clock() {
    static SteadyClock clock;
    return &clock;
}

Gil::Gil() : clock_(steady_gil_clock()) {}

void Gil::acquire(ThreadState* ts) {
    ErrnoSaver errno_saver;
    std::unique_lock<std::mutex> lock(mutex_);
    take_locked(ts, lock);
}

[[noreturn]] static void hang_forever(std::unique_lock<std::mutex>& lock) {
    lock.unlock();
    for (;;) pause();
}

void Gil::take_locked(ThreadState* ts, std::unique_lock<std::mutex>& lock) {
    if (finalizer_ && ts != finalizer_) hang_forever(lock);
    if (locked_) {
        waiters_.fetch_add(1, std::memory_order_acq_rel);
        while (locked_) {
            if (policy() == GilPolicy::kTick) {
                // The old GIL: no timed wait, no drop request; take it when we win the race.
                cond_.wait(lock);
                if (finalizer_) hang_forever(lock);
                continue;
            }
            uint64_t saved_switch = switch_number_;
            ThreadState* saved_holder = holder_.load(std::memory_order_relaxed);
            int64_t deadline = clock_->now_ns() + interval_ns();
            bool timed_out = clock_->wait_until(cond_, lock, deadline);
            // The holder may be gone (interpreter shutdown): do not touch it then.
            if (finalizer_) hang_forever(lock);
            if (timed_out && locked_ && switch_number_ == saved_switch &&
                holder_.load(std::memory_order_relaxed) == saved_holder && saved_holder) {
                // A full interval of monopoly: ask the holder to let go.
                saved_holder->breaker.fetch_or(kBreakDropGil, std::memory_order_acq_rel);
                ++counters_.drop_requests;
            }
        }
        waiters_.fetch_sub(1, std::memory_order_acq_rel);
    }
    locked_ = true;
    holder_.store(ts, std::memory_order_relaxed);
    ++counters_.acquisitions;
    if (last_holder_.load(std::memory_order_relaxed) != ts) {
        last_holder_.store(ts, std::memory_order_relaxed);
        ++switch_number_;
        ++counters_.switches;
        // A forced dropper may be waiting for somebody else to have taken it.
        std::lock_guard<std::mutex> sw(switch_mutex_);
        switch_cond_.notify_all();
    }
    // A request aimed at a previous tenure of this thread is stale now.
    ts->breaker.fetch_and(~kBreakDropGil, std::memory_order_acq_rel);
}

void Gil::drop(ThreadState* ts, GilReleaseReason why) {
    bool forced = false;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        forced = (ts->breaker.fetch_and(~kBreakDropGil, std::memory_order_acq_rel) &
                  kBreakDropGil) != 0 &&
                 why == GilReleaseReason::kForced &&
                 waiters_.load(std::memory_order_relaxed) > 0;
        if (forced) ++counters_.forced_drops;
        if (why == GilReleaseReason::kTick) ++counters_.tick_drops;
        locked_ = false;
        holder_.store(nullptr, std::memory_order_relaxed);
        cond_.notify_one();
    }
    if (forced) {
        // Forced switching: do not race the waiter we just woke for the lock.
        std::unique_lock<std::mutex> sw(switch_mutex_);
        while (last_holder_.load(std::memory_order_relaxed) == ts) {
            // Stop waiting if nobody wants the GIL any more (the waiter was a daemon thread
            // frozen at shutdown, say): never wait forever. waiters_ is read without mutex_
            // on purpose: take_locked() holds mutex_ while it takes switch_mutex_, so taking
            // mutex_ here, under switch_mutex_, would invert the lock order.
            if (waiters_.load(std::memory_order_acquire) == 0) break;
            switch_cond_.wait_for(sw, std::chrono::milliseconds(1));
        }
    }
}

void Gil::release(ThreadState* ts, GilReleaseReason why) {
    ErrnoSaver errno_saver;
    drop(ts, why);
}

void Gil::yield_from_checkpoint(ThreadState* ts) {
    ErrnoSaver errno_saver;
    if (policy() == GilPolicy::kTick) {
        // Release and immediately re-request: whoever wins the mutex runs next.
        drop(ts, GilReleaseReason::kTick);
        std::unique_lock<std::mutex> lock(mutex_);
        take_locked(ts, lock);
        return;
    }
    if (!(ts->breaker.load(std::memory_order_relaxed) & kBreakDropGil)) return;
    drop(ts, GilReleaseReason::kForced);
    std::unique_lock<std::mutex> lock(mutex_);
    take_locked(ts, lock);
}

int64_t Gil::countdown_reload() const {
    // Under the interval policy the countdown only bounds how long the check point may go
    // without running its slow path for other reasons; the drop request arrives through the
    // breaker word. Under the tick policy it is the check interval itself.
    return policy() == GilPolicy::kTick ? check_interval() : int64_t{1} << 40;
}

void Gil::set_finalizing(ThreadState* owner) {
    std::lock_guard<std::mutex> lock(mutex_);
    finalizer_ = owner;
    cond_.notify_all();  // waiters re-check and freeze
}

GilCounters Gil::counters() {
    std::lock_guard<std::mutex> lock(mutex_);
    return counters_;
}

void Gil::prepare_fork() {
    mutex_.lock();
    switch_mutex_.lock();
}

void Gil::after_fork_parent() {
    switch_mutex_.unlock();
    mutex_.unlock();
}

void Gil::reinit_after_fork(ThreadState* ts) {
    // The forking thread holds both mutexes (prepare_fork): nobody else exists to race with.
    // The condition variables may record waiters that do not exist in the child: construct
    // new ones over them (their destructors are deliberately not run).
    new (&cond_) std::condition_variable();
    new (&switch_cond_) std::condition_variable();
    locked_ = true;
    waiters_.store(0, std::memory_order_relaxed);
    holder_.store(ts, std::memory_order_relaxed);
    last_holder_.store(ts, std::memory_order_relaxed);
    ts->breaker.fetch_and(~kBreakDropGil, std::memory_order_relaxed);
    switch_mutex_.unlock();
    mutex_.unlock();
}

// --- the guards --------------------------------------------------------------------------------

Gil& current_gil() { return *current_thread()->interp->gil; }

GilRelease::GilRelease(GilReleaseReason why) : ts_(current_thread()) {
    Gil* gil = ts_ && ts_->interp ? ts_->interp->gil : nullptr;
    if (gil && gil->held_by(ts_)) {
        gil->release(ts_, why);
    } else {
        ts_ = nullptr;  // nothing to give back (no GIL yet, or not held)
    }
}

GilRelease::~GilRelease() {
    if (ts_) ts_->interp->gil->acquire(ts_);
}

GilAcquire::GilAcquire(ThreadState* ts) : ts_(ts), prev_(current_thread()), took_(false) {
    Gil* gil = ts->interp ? ts->interp->gil : nullptr;
    if (gil && !gil->held_by(ts)) {
        gil->acquire(ts);
        took_ = true;
    }
    set_current_thread(ts);
}

GilAcquire::~GilAcquire() {
    if (took_) ts_->interp->gil->release(ts_, GilReleaseReason::kExit);
    set_current_thread(prev_);
}

}  // namespace toy
