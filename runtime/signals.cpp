// signals.cpp: see signals.h. The handler is async-signal-safe: it stores to lock-free
// atomics only. `g_target` is the main ThreadState of the interpreter that installed the
// handlers; it is published with release and read with acquire in the handler.
#include "runtime/signals.h"

#include <signal.h>

#include <atomic>

#include "runtime/errors.h"
#include "runtime/thread_state.h"

namespace toy {

namespace {

std::atomic<ThreadState*> g_target{nullptr};
std::atomic<bool> g_sigint_pending{false};
struct sigaction g_old_sigint;

void on_signal(int signo) {
    if (signo == SIGINT) g_sigint_pending.store(true, std::memory_order_release);
    if (ThreadState* ts = g_target.load(std::memory_order_acquire))
        ts->breaker.fetch_or(kBreakSignal, std::memory_order_release);
}

}  // namespace

void install_signal_handlers(ThreadState* main_ts) {
    ThreadState* expected = nullptr;
    if (!g_target.compare_exchange_strong(expected, main_ts)) return;
    struct sigaction sa = {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: blocking calls return EINTR and handle the signal
    sigaction(SIGINT, &sa, &g_old_sigint);
}

void uninstall_signal_handlers(ThreadState* main_ts) {
    ThreadState* expected = main_ts;
    if (!g_target.compare_exchange_strong(expected, nullptr)) return;
    sigaction(SIGINT, &g_old_sigint, nullptr);
}

bool signals_pending() { return g_sigint_pending.load(std::memory_order_acquire); }

bool handle_pending_signals() {
    ThreadState* ts = current_thread();
    if (!ts || ts != g_target.load(std::memory_order_acquire)) return true;
    ts->breaker.fetch_and(~kBreakSignal, std::memory_order_acq_rel);
    if (g_sigint_pending.exchange(false, std::memory_order_acq_rel)) {
        (void)raise_value(Value::object(&exc::KeyboardInterrupt));
        return false;
    }
    return true;
}

void block_signals_in_this_thread() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void simulate_sigint() { on_signal(SIGINT); }

}  // namespace toy
