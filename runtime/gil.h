// gil.h: the global interpreter lock of one interpreter. The algorithm, its invariants and
// the memory order of every atomic are described at the top of gil.cpp.
//
// Only gil.cpp takes and drops the raw lock. Everyone else uses the RAII guards at the end
// of this file (GilRelease around blocking work, GilAcquire on a thread entering the
// interpreter), which are non-copyable and non-movable. While the GIL is released no Toy
// object may be touched: copy what you need out first, build results after re-taking it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace toy {

struct ThreadState;

// Why a thread let go of the GIL (for statistics and tracing, issue 6).
enum class GilReleaseReason : uint8_t {
    kForced,     // another thread asked (interval policy) and this one handed over
    kTick,       // the tick policy's periodic release
    kBlocking,   // blocking IO or a system call
    kSleep,      // time.sleep
    kLockWait,   // waiting on a lock, condition, join or queue
    kNative,     // native code that releases the GIL (numeric kernels, host work)
    kExit,       // the thread is finishing
};

enum class GilPolicy : uint8_t {
    kInterval,  // CPython 3.2+: waiters ask for a drop after one switch interval; forced hand-off
    kTick,      // CPython < 3.2: release and re-take every N instructions, no hand-off
};

// A monotonic clock with timed waits. Tests inject a virtual clock to drive the interval
// policy without real time passing; the default is std::chrono::steady_clock.
class GilClock {
public:
    virtual ~GilClock() = default;
    virtual int64_t now_ns() = 0;
    // Waits on `cv` (with `lock` held) until notified or until `deadline_ns` on this clock.
    // Returns true if the deadline passed. May wake spuriously (callers loop).
    virtual bool wait_until(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                            int64_t deadline_ns) = 0;
};
GilClock* steady_gil_clock();

struct GilCounters {
    uint64_t acquisitions = 0;    // times any thread took the GIL
    uint64_t switches = 0;        // times the holder changed (switch_number)
    uint64_t drop_requests = 0;   // drop requests made by waiters after a full interval
    uint64_t forced_drops = 0;    // drops that honoured a request (interval policy)
    uint64_t tick_drops = 0;      // releases by the tick policy
};

class Gil {
public:
    Gil();
    Gil(const Gil&) = delete;
    Gil& operator=(const Gil&) = delete;

    // Blocks until the calling thread (state `ts`) holds the GIL. Preserves errno.
    void acquire(ThreadState* ts);
    // Lets go. `ts` must be the holder. Preserves errno. After a forced drop (a request was
    // pending), waits until another thread has taken the GIL.
    void release(ThreadState* ts, GilReleaseReason why);
    // The check point's slow path: called by the holder when its breaker has kBreakDropGil
    // set or its countdown ran out. Hands the GIL over according to the policy.
    void yield_from_checkpoint(ThreadState* ts);

    // The value the VM reloads into ThreadState::countdown after the check point's slow path.
    int64_t countdown_reload() const;

    bool held_by(const ThreadState* ts) const {
        return holder_.load(std::memory_order_relaxed) == ts;
    }
    bool locked() const { return holder_.load(std::memory_order_relaxed) != nullptr; }

    // Knobs (sys.setswitchinterval, sys.setcheckinterval, toy --gil-policy). Thread-safe.
    void set_policy(GilPolicy p) { policy_.store(p, std::memory_order_relaxed); }
    GilPolicy policy() const { return policy_.load(std::memory_order_relaxed); }
    void set_interval_ns(int64_t ns) { interval_ns_.store(ns, std::memory_order_relaxed); }
    int64_t interval_ns() const { return interval_ns_.load(std::memory_order_relaxed); }
    void set_check_interval(int64_t n) { check_interval_.store(n, std::memory_order_relaxed); }
    int64_t check_interval() const { return check_interval_.load(std::memory_order_relaxed); }
    void set_clock(GilClock* c) { clock_ = c; }

    GilCounters counters();

    // Interpreter shutdown: from now on every thread but `owner` that tries to take the GIL
    // (daemon threads waking up from sleep or IO) blocks forever instead, so it never touches
    // freed state. The Gil object itself must then outlive them: it is never freed.
    void set_finalizing(ThreadState* owner);

    // The fork path (runtime/fork.cpp), in the forking thread which holds the GIL:
    // prepare_fork() takes the internal mutexes right before fork(); after_fork_parent()
    // releases them in the parent; reinit_after_fork() in the child makes the lock whole,
    // held by `ts`, with nobody waiting: the condition variables (which vanished waiters may
    // have been using) are re-created, the mutexes released.
    void prepare_fork();
    void after_fork_parent();
    void reinit_after_fork(ThreadState* ts);

private:
    void take_locked(ThreadState* ts, std::unique_lock<std::mutex>& lock);
    void drop(ThreadState* ts, GilReleaseReason why);

    // `mutex_` protects `locked_`, `switch_number_`, the counters, and the handshake with
    // waiters through `cond_`. `switch_mutex_`/`switch_cond_` implement forced switching.
    std::mutex mutex_;
    std::condition_variable cond_;
    bool locked_ = false;
    uint64_t switch_number_ = 0;
    std::atomic<int> waiters_{0};  // threads inside take_locked()'s wait loop
    GilCounters counters_;
    std::atomic<ThreadState*> holder_{nullptr};       // who holds it now (null: nobody)
    std::atomic<ThreadState*> last_holder_{nullptr};  // who held it last (forced switching)
    ThreadState* finalizer_ = nullptr;  // under mutex_: non-null once shutting down

    std::mutex switch_mutex_;
    std::condition_variable switch_cond_;

    std::atomic<GilPolicy> policy_{GilPolicy::kInterval};
    std::atomic<int64_t> interval_ns_{5'000'000};  // 5 ms, sys.getswitchinterval() == 0.005
    std::atomic<int64_t> check_interval_{100};     // the tick policy's N instructions
    GilClock* clock_;
};

// The GIL of the current thread's interpreter (defined with the interpreter).
Gil& current_gil();

// Releases the current thread's GIL for the scope (blocking calls, long native loops).
// No Toy object may be touched inside the scope.
class GilRelease {
public:
    explicit GilRelease(GilReleaseReason why = GilReleaseReason::kBlocking);
    ~GilRelease();
    GilRelease(const GilRelease&) = delete;
    GilRelease& operator=(const GilRelease&) = delete;

private:
    ThreadState* ts_;
};

// Takes the GIL of `ts`'s interpreter for the scope, making `ts` current on this thread
// (a thread Toy did not create entering the interpreter). Nested use on a thread that
// already holds it is a no-op.
class GilAcquire {
public:
    explicit GilAcquire(ThreadState* ts);
    ~GilAcquire();
    GilAcquire(const GilAcquire&) = delete;
    GilAcquire& operator=(const GilAcquire&) = delete;

private:
    ThreadState* ts_;
    ThreadState* prev_;
    bool took_;
};

}  // namespace toy
