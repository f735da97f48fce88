// thread_test.cpp: threads of a whole interpreter, driven through the embedding API
// (include/toy/toy.h) plus a few internals (Interpreter::thread_count, the GIL, signals).
// Scripts check their own results and report them through their exit status (sys.exit);
// orderings come from locks, events and joins. Timeouts only fail a hung test.
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

#include "runtime/gil.h"
#include "runtime/interpreter.h"
#include "runtime/signals.h"
#include "runtime/thread_state.h"
#include "toy/toy.h"

namespace toy {
namespace {

using namespace std::chrono_literals;

// Runs `body` on the calling thread; a watchdog aborts the whole test binary if it has not
// finished after `limit` (a hung interpreter cannot be cancelled any other way).
template <class F> void with_watchdog(const char* what, std::chrono::seconds limit, F&& body) {
    std::mutex m;
    std::condition_variable cv;
    bool done = false;
    std::thread dog([&] {
        std::unique_lock<std::mutex> lock(m);
        if (!cv.wait_for(lock, limit, [&] { return done; })) {
            std::fprintf(stderr, "thread_test: %s hung for %lld s\n", what,
                         static_cast<long long>(limit.count()));
            std::abort();
        }
    });
    body();
    {
        std::lock_guard<std::mutex> lock(m);
        done = true;
    }
    cv.notify_one();
    dog.join();
}

InterpreterOptions options(bool signals = false) {
    InterpreterOptions o;
    o.argv = {"thread_test"};
    o.use_toypath = false;
    o.handle_signals = signals;
    return o;
}

int run(Interpreter* interp, const char* source) {
    return run_main(interp, source, "<thread_test>", false);
}

TEST(Thread, ManyThreadsLoseNothing) {
    with_watchdog("ManyThreadsLoseNothing", 120s, [] {
        Interpreter* interp = create_interpreter(options());
        ASSERT_NE(interp, nullptr);
        int rc = run(interp, R"(
import sys, threading
N, M = 16, 500
lock = threading.Lock()
counter = 0
items = []
def work(i):
    global counter
    for k in range(M):
        with lock:
            counter += 1
        items.append((i, k))
ts = [threading.Thread(target=work, args=(i,)) for i in range(N)]
for t in ts:
    t.start()
for t in ts:
    t.join()
ok = counter == N * M and len(items) == N * M and len(set(items)) == N * M
ok = ok and not any(t.is_alive() for t in ts) and threading.active_count() == 1
sys.exit(0 if ok else 3)
)");
        EXPECT_EQ(rc, 0);
        EXPECT_TRUE(destroy_interpreter(interp));
    });
}

TEST(Thread, ShortLivedThreadsLeaveNoState) {
    with_watchdog("ShortLivedThreadsLeaveNoState", 120s, [] {
        Interpreter* interp = create_interpreter(options());
        ASSERT_NE(interp, nullptr);
        // 200 threads, at most 8 alive at once; then wait (bounded) until every OS thread
        // has given its state back: _thread._count() is Interpreter::thread_count.
        int rc = run(interp, R"(
import _thread, sys, threading, time
results = []
for batch in range(25):
    ts = [threading.Thread(target=results.append, args=(batch * 8 + i,)) for i in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
raw = _thread.allocate_lock()
for i in range(20):  # and some started by _thread directly
    raw.acquire()
    _thread.start_new_thread(raw.release, ())
raw.acquire()
deadline = time.monotonic() + 60
while _thread._count() and time.monotonic() < deadline:
    time.sleep(0.001)
sys.exit(0 if sorted(results) == list(range(200)) and _thread._count() == 0 else 3)
)");
        EXPECT_EQ(rc, 0);
        // The main thread holds the GIL here, and workers change the count only with it.
        EXPECT_EQ(interp->thread_count, 0);
        EXPECT_TRUE(destroy_interpreter(interp));
    });
}

extern "C" void ignore_wakeup(int) {}

TEST(Thread, SigintInterruptsMainThreadLockWait) {
    // SIGUSR1 (handler doing nothing, no SA_RESTART) only wakes the main thread's blocked
    // sem_wait with EINTR; simulate_sigint() is what makes it raise KeyboardInterrupt. A
    // wake-up that comes too early or too late is harmless: the wait just resumes.
    struct sigaction sa = {}, old = {};
    sa.sa_handler = ignore_wakeup;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    ASSERT_EQ(sigaction(SIGUSR1, &sa, &old), 0);
    with_watchdog("SigintInterruptsMainThreadLockWait", 120s, [] {
        Interpreter* interp = create_interpreter(options(/*signals=*/true));
        ASSERT_NE(interp, nullptr);
        Gil* gil = interp->gil;
        ASSERT_NE(gil, nullptr);
        pthread_t main_thread = pthread_self();
        std::atomic<bool> finished{false};
        std::thread helper([&] {
            // The script holds the GIL from its start until it blocks in the second
            // acquire (nothing before that releases it): wait for that release.
            while (gil->locked()) {
                if (finished.load()) return;
                std::this_thread::sleep_for(1ms);
            }
            simulate_sigint();
            while (!finished.load()) {
                pthread_kill(main_thread, SIGUSR1);
                std::this_thread::sleep_for(5ms);
            }
        });
        int rc = run(interp, R"(
import _thread, sys
lock = _thread.allocate_lock()
lock.acquire()
try:
    lock.acquire()
    result = 4
except KeyboardInterrupt:
    result = 0
sys.exit(result if lock.locked() else 5)
)");
        finished.store(true);
        helper.join();
        EXPECT_EQ(rc, 0);
        EXPECT_TRUE(destroy_interpreter(interp));
    });
    sigaction(SIGUSR1, &old, nullptr);
}

// Ctrl-C while the main thread is blocked in each kind of wait. The script sets `ready`
// just before blocking; the helper waits until the GIL has been free for 200 ms without a
// break (the main thread, and any thread it started, are then blocked: a thread start frees
// it only for microseconds), raises SIGINT, and wakes the main thread's system call with
// SIGUSR1 until the script ends. Exit 0: KeyboardInterrupt came out of the wait itself.
struct BlockingWait {
    const char* name;
    const char* script;
};

class SigintInterruptsWait : public ::testing::TestWithParam<BlockingWait> {};

TEST_P(SigintInterruptsWait, RaisesKeyboardInterruptInTheMainThread) {
    struct sigaction sa = {}, old = {};
    sa.sa_handler = ignore_wakeup;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    ASSERT_EQ(sigaction(SIGUSR1, &sa, &old), 0);
    std::string source = std::string(R"(
import sys, threading, time, queue, _thread
ready = False
try:
)") + GetParam().script + R"(
    result = 4
except KeyboardInterrupt:
    result = 0 if ready else 3
sys.exit(result)
)";
    with_watchdog(GetParam().name, 120s, [&] {
        Interpreter* interp = create_interpreter(options(/*signals=*/true));
        ASSERT_NE(interp, nullptr);
        Gil* gil = interp->gil;
        pthread_t main_thread = pthread_self();
        std::atomic<bool> finished{false};
        std::thread helper([&] {
            auto free_since = std::chrono::steady_clock::now();
            for (;;) {
                if (finished.load()) return;
                auto now = std::chrono::steady_clock::now();
                if (gil->locked()) free_since = now;
                else if (now - free_since >= 200ms) break;
                std::this_thread::sleep_for(1ms);
            }
            simulate_sigint();
            while (!finished.load()) {
                pthread_kill(main_thread, SIGUSR1);
                std::this_thread::sleep_for(5ms);
            }
        });
        int rc = run(interp, source.c_str());
        finished.store(true);
        helper.join();
        EXPECT_EQ(rc, 0) << "4: the wait was never interrupted, 3: interrupted too early";
        EXPECT_TRUE(destroy_interpreter(interp));
    });
    sigaction(SIGUSR1, &old, nullptr);
}

INSTANTIATE_TEST_SUITE_P(
    Thread, SigintInterruptsWait,
    ::testing::Values(
        BlockingWait{"sleep", "    ready = True\n    time.sleep(60)"},
        BlockingWait{"join", "    t = threading.Thread(target=time.sleep, args=(60,), daemon=True)\n"
                             "    t.start()\n    ready = True\n    t.join()"},
        BlockingWait{"lock", "    l = _thread.allocate_lock()\n    l.acquire()\n    ready = True\n"
                             "    l.acquire()"},
        BlockingWait{"event", "    e = threading.Event()\n    ready = True\n    e.wait()"},
        BlockingWait{"condition", "    c = threading.Condition()\n    c.acquire()\n"
                                  "    ready = True\n    c.wait()"},
        BlockingWait{"queue", "    q = queue.Queue()\n    ready = True\n    q.get()"}),
    [](const ::testing::TestParamInfo<BlockingWait>& info) { return std::string(info.param.name); });

TEST(Thread, SigintWhileMainThreadWaitsForTheGil) {
    // The main thread loops on time.sleep(0), so it is always either running or waiting to
    // take the GIL back. The helper takes the GIL (as a native thread would) while the main
    // thread is inside a sleep, raises SIGINT while it holds it (the main thread cannot run:
    // it waits for the GIL), keeps it 50 ms, and lets go. The main thread must raise
    // KeyboardInterrupt once it has the GIL again; if the signal were lost while it waited,
    // the loop would run to its end and the script would exit 4.
    with_watchdog("SigintWhileMainThreadWaitsForTheGil", 120s, [] {
        Interpreter* interp = create_interpreter(options(/*signals=*/true));
        ASSERT_NE(interp, nullptr);
        Gil* gil = interp->gil;
        ASSERT_NE(gil, nullptr);
        std::atomic<bool> finished{false};
        std::atomic<bool> signalled{false};
        std::thread helper([&] {
            ThreadState native_ts;
            std::this_thread::sleep_for(20ms);  // let the script start (not needed for correctness)
            while (!finished.load()) {
                gil->acquire(&native_ts);
                if (finished.load()) {
                    gil->release(&native_ts, GilReleaseReason::kExit);
                    break;
                }
                if (!signalled.exchange(true)) simulate_sigint();
                std::this_thread::sleep_for(50ms);
                gil->release(&native_ts, GilReleaseReason::kNative);
                std::this_thread::sleep_for(1ms);
            }
        });
        int rc = run(interp, R"(
import time, sys
try:
    for i in range(5_000_000):
        time.sleep(0)
    result = 4
except KeyboardInterrupt:
    result = 0
sys.exit(result)
)");
        finished.store(true);
        helper.join();
        EXPECT_TRUE(signalled.load());
        EXPECT_EQ(rc, 0);
        EXPECT_TRUE(destroy_interpreter(interp));
    });
}

TEST(Thread, DaemonThreadsAtDestructionDoNotCrashOrHang) {
    with_watchdog("DaemonThreadsAtDestructionDoNotCrashOrHang", 120s, [] {
        Interpreter* interp = create_interpreter(options());
        ASSERT_NE(interp, nullptr);
        // Daemon threads asleep (time.sleep), blocked on a lock, and waiting on an Event,
        // all still there when the interpreter goes away. The sleepers wake up 200 ms later,
        // after destruction: they must block for good rather than touch freed state.
        int rc = run(interp, R"(
import _thread, sys, threading, time
started = threading.Semaphore(0)
never = _thread.allocate_lock()
never.acquire()
forever = threading.Event()
def sleeper():
    started.release()
    time.sleep(0.2)
    sys.stdout.write("a daemon woke up after destruction\n")
def locked():
    started.release()
    never.acquire()
def waiting():
    started.release()
    forever.wait()
for f in (sleeper, sleeper, locked, waiting):
    threading.Thread(target=f, daemon=True).start()
for _ in range(4):
    started.acquire()
sys.exit(0)
)");
        EXPECT_EQ(rc, 0);
        destroy_interpreter(interp);
        std::this_thread::sleep_for(500ms);  // the sleepers wake up now and must freeze
    });
}

TEST(Thread, NonDaemonThreadsAreWaitedForAtDestruction) {
    with_watchdog("NonDaemonThreadsAreWaitedForAtDestruction", 120s, [] {
        Interpreter* interp = create_interpreter(options());
        ASSERT_NE(interp, nullptr);
        int rc = run(interp, R"(
import threading, time
import sys
done = []
def late():
    time.sleep(0.05)
    done.append(1)
sys.modules["__main__"].done = done
threading.Thread(target=late).start()
)");
        EXPECT_EQ(rc, 0);
        // destroy_interpreter runs threading._shutdown, which joins `late`; then the
        // interpreter is empty and nothing is left running.
        EXPECT_TRUE(destroy_interpreter(interp));
    });
}

}  // namespace
}  // namespace toy
