// signals.h: asynchronous signals reaching a running script (SIGINT -> KeyboardInterrupt).
//
// The C handler only records the signal in an atomic flag and sets kBreakSignal in the main
// thread's breaker word; the main thread's next check point (or the blocking call that the
// signal interrupted with EINTR) calls handle_pending_signals(), which raises
// KeyboardInterrupt there. Handlers never run in other threads, as in CPython. Threads that
// Toy creates block the handled signals, so the kernel always delivers them to the main
// thread, interrupting its blocking system call.
//
// One process-wide owner: the first interpreter that installs the handlers (the `toy`
// command does, an embedding host may choose not to) becomes the target.
#pragma once

namespace toy {

struct ThreadState;

// Installs the SIGINT handler (without SA_RESTART, so blocking calls see EINTR) aimed at
// `main_ts`. Idempotent.
void install_signal_handlers(ThreadState* main_ts);
// Restores the default handlers if `main_ts` is the target (interpreter teardown).
void uninstall_signal_handlers(ThreadState* main_ts);

// True if a signal waits to be handled by the main thread.
bool signals_pending();

// Runs what is pending if the calling thread is the signals' target: raises
// KeyboardInterrupt for SIGINT. Returns false with the exception set; true otherwise (also
// on other threads, which never handle signals).
[[nodiscard]] bool handle_pending_signals();

// Blocks the handled signals in the calling thread (threads Toy starts call this first).
void block_signals_in_this_thread();

// Makes the main thread see SIGINT as if it had arrived (_thread.interrupt_main).
void simulate_sigint();

}  // namespace toy
