// fork_test.cpp: the single fork path (runtime/fork.h). Each test forks; the child checks
// what it must (in C++ and by running Toy code) and reports through its exit status, never
// through gtest (a gtest failure in a child would be lost). Every wait on a child is bounded:
// a child that hangs is killed and the test fails.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "runtime/fork.h"
#include "runtime/gil.h"
#include "runtime/interpreter.h"
#include "runtime/signals.h"
#include "runtime/str.h"
#include "runtime/thread_state.h"
#include "toy/toy.h"

namespace toy {
namespace {

using namespace std::chrono_literals;

InterpreterOptions options(bool signals = false) {
    InterpreterOptions o;
    o.argv = {"fork_test"};
    o.use_toypath = false;
    o.handle_signals = signals;
    return o;
}

int run(Interpreter* interp, const char* source) {
    return run_main(interp, source, "<fork_test>", false);
}

// The child's exit code (-signal if killed), or -1000 if it did not end within `limit` (it
// is then killed).
int wait_child(pid_t pid, std::chrono::seconds limit = 60s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
        int st = 0;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid) return WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
        if (r < 0) return -2000;
        if (std::chrono::steady_clock::now() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return -1000;
        }
        std::this_thread::sleep_for(1ms);
    }
}

int count_thread_states(Interpreter* interp) {
    int n = 0;
    std::lock_guard<std::mutex> lock(interp->threads_mu);
    for (ThreadState* t = interp->threads; t; t = t->next_in_interp) ++n;
    return n;
}

TEST(Fork, ThreadStatesAreListedAndUnlisted) {
    Interpreter* interp = create_interpreter(options());
    ASSERT_NE(interp, nullptr);
    EXPECT_EQ(count_thread_states(interp), 1);
    EXPECT_EQ(run(interp, R"(
import sys, threading
ev = threading.Event()
ts = [threading.Thread(target=ev.wait) for _ in range(5)]
for t in ts:
    t.start()
sys.ft_state = (ev, ts, globals())
)"),
              0);
    EXPECT_EQ(count_thread_states(interp), 6);
    EXPECT_EQ(run(interp, R"(
import sys
ev, ts, g = sys.ft_state
del sys.ft_state
ev.set()
for t in ts:
    t.join()
g.clear()  # the first script's globals and functions refer to each other
import time, _thread
deadline = time.monotonic() + 30
while _thread._count() and time.monotonic() < deadline:
    time.sleep(0.001)
)"),
              0);
    // A finished thread frees its state right after giving the GIL back: poll (bounded).
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (count_thread_states(interp) != 1 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(1ms);
    EXPECT_EQ(count_thread_states(interp), 1);
    EXPECT_TRUE(destroy_interpreter(interp));
}

// The child of a parent with 10 blocked threads: one thread state (the forking one, now
// the main thread), the GIL held by it, nothing counted as running, and a runtime that can
// start threads and fork again.
TEST(Fork, ChildKeepsOnlyTheForkingThread) {
    Interpreter* interp = create_interpreter(options());
    ASSERT_NE(interp, nullptr);
    ASSERT_EQ(run(interp, R"(
import sys, threading
ev = threading.Event()
ready = threading.Barrier(11)
def blocked():
    ready.wait()
    ev.wait()
ts = [threading.Thread(target=blocked) for _ in range(10)]
for t in ts:
    t.start()
ready.wait()
sys.ft_state = (ev, ts, globals())
)"),
              0);
    ASSERT_EQ(count_thread_states(interp), 11);
    ThreadState* me = current_thread();
    pid_t pid = fork_interpreter();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        int bad = 0;
        if (count_thread_states(interp) != 1 || interp->threads != me) bad |= 1;
        if (!interp->gil->held_by(me)) bad |= 2;
        if (interp->main_thread != me || interp->thread_count != 0) bad |= 4;
        if (fork_dropped_thread_states() != 10) bad |= 8;
        if (run(interp, R"(
import os, sys, threading
assert threading.active_count() == 1, threading.enumerate()
assert threading.current_thread() is threading.main_thread()
out = []
ts2 = [threading.Thread(target=out.append, args=(i,)) for i in range(4)]
for t in ts2:
    t.start()
for t in ts2:
    t.join()
assert sorted(out) == [0, 1, 2, 3]
pid = os.fork()
if pid == 0:
    os._exit(0 if threading.active_count() == 1 else 1)
assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
)") != 0)
            bad |= 16;
        _exit(bad);
    }
    EXPECT_EQ(wait_child(pid), 0);
    EXPECT_EQ(run(interp, R"(
import sys
ev, ts, g = sys.ft_state
del sys.ft_state
ev.set()
for t in ts:
    t.join()
g.clear()  # the first script's globals and functions refer to each other
)"),
              0);
    EXPECT_TRUE(destroy_interpreter(interp));
}

// The frames of the threads that vanished are released in the child: an object only a
// blocked thread's local refers to is deallocated there (its __del__ runs), not in the
// parent, where the thread still runs.
TEST(Fork, VanishedThreadsFramesAreReleased) {
    Interpreter* interp = create_interpreter(options());
    ASSERT_NE(interp, nullptr);
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    std::string src = "W = " + std::to_string(fds[1]) + R"(
import os, threading
class D:
    def __del__(self):
        os.write(W, b"D")
ev = threading.Event()
ready = threading.Event()
def holder():
    d = D()
    ready.set()
    ev.wait()
t = threading.Thread(target=holder)
t.start()
ready.wait()
import sys
sys.ft_state = (ev, t, globals())
)";
    ASSERT_EQ(run(interp, src.c_str()), 0);
    pid_t pid = fork_interpreter();
    ASSERT_GE(pid, 0);
    if (pid == 0) _exit(0);  // the after-fork work already ran __del__ here
    EXPECT_EQ(wait_child(pid), 0);
    char c = 0;
    ASSERT_EQ(read(fds[0], &c, 1), 1);
    EXPECT_EQ(c, 'D');
    EXPECT_EQ(run(interp, R"(
import sys
ev, t, g = sys.ft_state
del sys.ft_state
ev.set()
t.join()
del t
g.clear()  # the first script's globals and functions refer to each other
)"),
              0);
    // Now the parent's own D went away too.
    ASSERT_EQ(read(fds[0], &c, 1), 1);
    EXPECT_EQ(c, 'D');
    close(fds[0]);
    close(fds[1]);
    EXPECT_TRUE(destroy_interpreter(interp));
}

// A raw thread interning new strings in a loop takes the intern table's mutex thousands of
// times a second; forking meanwhile never leaves it locked in the child.
TEST(Fork, RuntimeMutexesAreUsableInTheChild) {
    Interpreter* interp = create_interpreter(options());
    ASSERT_NE(interp, nullptr);
    std::atomic<bool> stop{false};
    // The other thread takes the intern table's mutex over and over without allocating
    // (the names exist and are interned already): with clang 14's ASan, whose allocator
    // takes no lock across fork(), a thread inside malloc at fork would hang the child in
    // its next malloc, which is not what this test is about (glibc's malloc is fork-safe).
    std::vector<std::string> names;
    for (int i = 0; i < 5000; ++i) names.push_back("fork_test_interned_" + std::to_string(i));
    for (const std::string& n : names) (void)intern(n);
    std::thread interner([&] {
        for (size_t i = 0; !stop.load(std::memory_order_relaxed); ++i)
            (void)intern(names[i % names.size()]);
    });
    int failures = 0;
    for (int k = 0; k < 40; ++k) {
        pid_t pid = fork_interpreter();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            Str* s = intern("fork_test_child_" + std::to_string(k));
            _exit(s && run(interp, "x = {'a' + str(i): i for i in range(100)}\n") == 0 ? 0 : 1);
        }
        if (wait_child(pid, 30s) != 0) ++failures;
    }
    stop = true;
    interner.join();
    EXPECT_EQ(failures, 0);
    EXPECT_TRUE(destroy_interpreter(interp));
}

// Hooks: before newest first, after_* oldest first; an exception in a hook is reported as
// unraisable and the fork goes on.
TEST(Fork, AtForkHooksRunInOrder) {
    Interpreter* interp = create_interpreter(options());
    ASSERT_NE(interp, nullptr);
    EXPECT_EQ(run(interp, R"(
import os, sys
ev = []
def bad():
    raise RuntimeError("hook failed")
os.register_at_fork(before=lambda: ev.append("b1"), after_in_parent=lambda: ev.append("p1"),
                    after_in_child=lambda: ev.append("c1"))
os.register_at_fork(before=bad, after_in_parent=bad, after_in_child=bad)
os.register_at_fork(before=lambda: ev.append("b3"), after_in_parent=lambda: ev.append("p3"),
                    after_in_child=lambda: ev.append("c3"))
sys.stderr = open(os.devnull, "w")
pid = os.fork()
if pid == 0:
    os._exit(0 if ev == ["b3", "b1", "c1", "c3"] else 1)
code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
assert code == 0, code
assert ev == ["b3", "b1", "p1", "p3"], ev
)"),
              0);
    EXPECT_TRUE(destroy_interpreter(interp));
}

// Forked from a thread that is not the main thread: in the child that thread is the main
// thread, for threading and for signals (signal.signal works, handlers run there).
TEST(Fork, ForkingThreadBecomesMainForSignals) {
    Interpreter* interp = create_interpreter(options(true));
    ASSERT_NE(interp, nullptr);
    EXPECT_EQ(run(interp, R"(
import os, signal, threading
result = []
def forker():
    pid = os.fork()
    if pid == 0:
        got = []
        signal.signal(signal.SIGUSR1, lambda s, f: got.append(s))
        os.kill(os.getpid(), signal.SIGUSR1)
        ok = got == [signal.SIGUSR1] and threading.current_thread() is threading.main_thread()
        os._exit(0 if ok else 1)
    result.append(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
t = threading.Thread(target=forker)
t.start()
t.join()
assert result == [0], result
)"),
              0);
    EXPECT_TRUE(destroy_interpreter(interp));
}

// A Python handler for a signal the kernel delivers to another thread still runs in the
// main thread, promptly, even while the main thread is blocked in a system call.
TEST(Fork, SignalToAnotherThreadInterruptsMainThreadWait) {
    Interpreter* interp = create_interpreter(options(true));
    ASSERT_NE(interp, nullptr);
    EXPECT_EQ(run(interp, R"(
import os, signal, threading, time
got = []
def handler(s, f):
    got.append(threading.current_thread().name)
    raise InterruptedError("woken")
signal.signal(signal.SIGUSR2, handler)
r, w = os.pipe()
def sender():
    time.sleep(0.05)
    signal.pthread_kill(threading.get_ident(), signal.SIGUSR2)  # to this very thread
t = threading.Thread(target=sender, name="sender")
t.start()
start = time.monotonic()
try:
    os.read(r, 1)  # would block forever
except InterruptedError:
    pass
t.join()
assert got == ["MainThread"], got
assert time.monotonic() - start < 20
os.close(r)
os.close(w)
signal.signal(signal.SIGUSR2, signal.SIG_DFL)
)"),
              0);
    EXPECT_TRUE(destroy_interpreter(interp));
}

}  // namespace
}  // namespace toy
