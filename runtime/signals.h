// signals.h: asynchronous signals reaching a running script (SIGINT -> KeyboardInterrupt,
// and the Python-level handlers of the `signal` module, stdlib/signal.cpp).
//
// The C handler only records the signal in an atomic flag per signal number, writes the
// signal number to the wakeup fd if one is set (signal.set_wakeup_fd), and sets
// kBreakSignal in the main thread's breaker word; the main thread's next check point (or the
// blocking call that the signal interrupted with EINTR) calls handle_pending_signals(), which
// runs the Python handlers there (through the dispatcher the `signal` module installs), or
// raises KeyboardInterrupt for SIGINT when no dispatcher is installed. Handlers never run in
// other threads, as in CPython. Threads that Toy creates block SIGINT, so the kernel
// delivers it to the main thread, interrupting its blocking system call; any other signal
// that the kernel delivers to another thread is forwarded to the main thread with
// pthread_kill() by the C handler (async-signal-safe), so that a main thread blocked in
// waitpid/read/sleep sees EINTR and runs the Python handler promptly.
//
// One process-wide owner: the first interpreter that installs the handlers (the `toy`
// command does, an embedding host may choose not to) becomes the target. After fork() the
// forking thread becomes the target in the child (signals_after_fork_child).
#pragma once

namespace toy {

struct ThreadState;

// Signal numbers 1..kMaxSignal-1 are tracked (NSIG on Linux is 65).
inline constexpr int kMaxSignal = 65;

// Installs the SIGINT handler (without SA_RESTART, so blocking calls see EINTR) aimed at
// `main_ts`, and ignores SIGPIPE (write errors become BrokenPipeError, as in CPython).
// Idempotent.
void install_signal_handlers(ThreadState* main_ts);
// Restores the default handlers if `main_ts` is the target (interpreter teardown).
void uninstall_signal_handlers(ThreadState* main_ts);

// True if a signal waits to be handled by the main thread.
bool signals_pending();

// Runs what is pending if the calling thread is the signals' target: the dispatcher for each
// tripped signal (raises KeyboardInterrupt for SIGINT without one). Returns false with the
// exception set (the signals not handled yet stay pending); true otherwise (also on other
// threads, which never handle signals).
[[nodiscard]] bool handle_pending_signals();

// Blocks the handled signals in the calling thread (threads Toy starts call this first).
void block_signals_in_this_thread();

// Makes the main thread see SIGINT as if it had arrived (_thread.interrupt_main).
void simulate_sigint();

// --- (fork) the `signal` module's layer -------------------------------------------------------

// Called with the GIL held on the target thread for one tripped signal; returns false with
// an exception set (the handler raised).
using SignalDispatch = bool (*)(int signo);
// Installed once by the `signal` module; it looks up the Python handler of `signo`.
void set_signal_dispatch(SignalDispatch fn);

// sigaction() for `signo`: catch (the recording C handler, no SA_RESTART), default or
// ignore. Returns 0, or -1 with errno set.
int catch_signal(int signo);
int default_signal(int signo);
int ignore_signal(int signo);
// True if the recording C handler is installed for `signo` (sigaction says so).
bool signal_is_caught(int signo);

// Records `signo` as if it had arrived (signal.raise_signal of a caught signal goes through
// the kernel instead; this is for tests and interrupt_main-like uses).
void trip_signal(int signo);

// The wakeup fd written by the C handler (one byte: the signal number), or -1. Returns the
// previous one.
int set_signal_wakeup_fd(int fd, bool warn_on_full_buffer);

// The thread state that runs the handlers (null if none installed).
ThreadState* signal_target();

// In the child after fork (runtime/fork.cpp): `ts` (the forking thread) becomes the target
// and the main thread for signals; signals tripped in the parent but not yet handled are
// forgotten (as CPython's _PySignal_AfterFork); the signals Toy's threads block are
// unblocked in this thread.
void signals_after_fork_child(ThreadState* ts);

}  // namespace toy
