// signals.cpp: see signals.h.
//
// STATE (process-wide). `g_target` is the main ThreadState of the interpreter that installed
// the handlers and `g_target_thread` its pthread; both are published with release and read
// with acquire in the handler. `g_tripped[signo]` is set by the handler and cleared by
// handle_pending_signals(); `g_any_tripped` summarises them (set after the per-signal flag,
// cleared before scanning, so a signal arriving during the scan is never lost).
// `g_wakeup_fd` is the fd the handler writes the signal number to (-1: none). `g_dispatch`
// is the `signal` module's dispatcher (null: SIGINT raises KeyboardInterrupt, others are
// dropped).
//
// THE HANDLER is async-signal-safe: lock-free atomics, write(2) to the wakeup fd,
// pthread_self()/pthread_kill() (tgkill) to forward a signal that the kernel delivered to a
// thread other than the target, and errno is saved and restored.
//
// FORK. signals_after_fork_child() re-targets the handler at the forking thread (the only
// thread in the child), forgets tripped signals and unblocks SIGINT in that thread (a thread
// Toy started had it blocked).
#include "runtime/signals.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "runtime/errors.h"
#include "runtime/thread_state.h"

namespace toy {

namespace {

std::atomic<ThreadState*> g_target{nullptr};
std::atomic<pthread_t> g_target_thread{};
std::atomic<bool> g_tripped[kMaxSignal];
std::atomic<bool> g_any_tripped{false};
std::atomic<int> g_wakeup_fd{-1};
std::atomic<SignalDispatch> g_dispatch{nullptr};
struct sigaction g_old_sigint;
struct sigaction g_old_sigpipe;

void on_signal(int signo) {
    int saved_errno = errno;
    if (signo > 0 && signo < kMaxSignal) g_tripped[signo].store(true, std::memory_order_release);
    g_any_tripped.store(true, std::memory_order_release);
    int fd = g_wakeup_fd.load(std::memory_order_acquire);
    if (fd >= 0) {
        unsigned char byte = static_cast<unsigned char>(signo);
        ssize_t r = ::write(fd, &byte, 1);
        (void)r;
    }
    if (ThreadState* ts = g_target.load(std::memory_order_acquire)) {
        ts->breaker.fetch_or(kBreakSignal, std::memory_order_release);
        // Delivered to another thread: interrupt the main thread's blocking call too.
        pthread_t main = g_target_thread.load(std::memory_order_acquire);
        if (!pthread_equal(main, pthread_self())) pthread_kill(main, signo);
    }
    errno = saved_errno;
}

int set_action(int signo, void (*handler)(int)) {
    if (signo < 1 || signo >= kMaxSignal) {
        errno = EINVAL;
        return -1;
    }
    struct sigaction sa = {};
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: blocking calls return EINTR and handle the signal
    return sigaction(signo, &sa, nullptr);
}

}  // namespace

void install_signal_handlers(ThreadState* main_ts) {
    ThreadState* expected = nullptr;
    if (!g_target.compare_exchange_strong(expected, main_ts)) return;
    g_target_thread.store(pthread_self(), std::memory_order_release);
    struct sigaction sa = {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: blocking calls return EINTR and handle the signal
    sigaction(SIGINT, &sa, &g_old_sigint);
    struct sigaction ign = {};
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGPIPE, &ign, &g_old_sigpipe);
}

void uninstall_signal_handlers(ThreadState* main_ts) {
    ThreadState* expected = main_ts;
    if (!g_target.compare_exchange_strong(expected, nullptr)) return;
    sigaction(SIGINT, &g_old_sigint, nullptr);
    sigaction(SIGPIPE, &g_old_sigpipe, nullptr);
}

bool signals_pending() { return g_any_tripped.load(std::memory_order_acquire); }

bool handle_pending_signals() {
    ThreadState* ts = current_thread();
    if (!ts || ts != g_target.load(std::memory_order_acquire)) return true;
    ts->breaker.fetch_and(~kBreakSignal, std::memory_order_acq_rel);
    if (!g_any_tripped.exchange(false, std::memory_order_acq_rel)) return true;
    SignalDispatch dispatch = g_dispatch.load(std::memory_order_acquire);
    for (int signo = 1; signo < kMaxSignal; ++signo) {
        if (!g_tripped[signo].exchange(false, std::memory_order_acq_rel)) continue;
        bool ok = true;
        if (dispatch) {
            ok = dispatch(signo);
        } else if (signo == SIGINT) {
            (void)raise_value(Value::object(&exc::KeyboardInterrupt));
            ok = false;
        }
        if (!ok) {
            // The signals after this one stay tripped: handled at the next check point.
            for (int s = signo + 1; s < kMaxSignal; ++s) {
                if (g_tripped[s].load(std::memory_order_acquire)) {
                    g_any_tripped.store(true, std::memory_order_release);
                    ts->breaker.fetch_or(kBreakSignal, std::memory_order_release);
                    break;
                }
            }
            return false;
        }
    }
    return true;
}

void block_signals_in_this_thread() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void simulate_sigint() { trip_signal(SIGINT); }

void trip_signal(int signo) {
    if (signo > 0 && signo < kMaxSignal) g_tripped[signo].store(true, std::memory_order_release);
    g_any_tripped.store(true, std::memory_order_release);
    if (ThreadState* ts = g_target.load(std::memory_order_acquire))
        ts->breaker.fetch_or(kBreakSignal, std::memory_order_release);
}

void set_signal_dispatch(SignalDispatch fn) { g_dispatch.store(fn, std::memory_order_release); }

int catch_signal(int signo) { return set_action(signo, on_signal); }
int default_signal(int signo) { return set_action(signo, SIG_DFL); }
int ignore_signal(int signo) { return set_action(signo, SIG_IGN); }

bool signal_is_caught(int signo) {
    struct sigaction sa;
    if (signo < 1 || signo >= kMaxSignal || sigaction(signo, nullptr, &sa) != 0) return false;
    return !(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == on_signal;
}

int set_signal_wakeup_fd(int fd, bool) {
    return g_wakeup_fd.exchange(fd, std::memory_order_acq_rel);
}

ThreadState* signal_target() { return g_target.load(std::memory_order_acquire); }

void signals_after_fork_child(ThreadState* ts) {
    for (auto& t : g_tripped) t.store(false, std::memory_order_relaxed);
    g_any_tripped.store(false, std::memory_order_relaxed);
    if (g_target.load(std::memory_order_acquire)) {
        g_target.store(ts, std::memory_order_release);
        g_target_thread.store(pthread_self(), std::memory_order_release);
    }
    ts->breaker.fetch_and(~kBreakSignal, std::memory_order_relaxed);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

}  // namespace toy
