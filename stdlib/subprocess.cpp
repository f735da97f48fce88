// subprocess.cpp: the `_subprocess` module, the native half of `subprocess`
// (stdlib/lib/subprocess.toy), in the style of CPython's _posixsubprocess plus the waiting and
// communicating loops that CPython writes in Python over selectors.
//
// SPAWNING (fork_exec). Everything the child needs is prepared in the parent with the GIL
// held: argv, envp and the candidate executable paths as NUL-terminated std::strings, the
// pointer arrays, the sorted list of fds to keep open. Then, with the GIL RELEASED (so that
// N threads spawn side by side and no thread waits on a long fork):
//   1. pipe2(O_CLOEXEC) for the error pipe; its write end is moved to an fd >= 3
//      (F_DUPFD_CLOEXEC) so the dup2() onto 0/1/2 in the child cannot clobber it.
//   2. All signals are blocked in the calling thread (the child must not run a Toy signal
//      handler, e.g. one writing to a wakeup fd of the parent) and the process is forked with
//      glibc's _Fork(): no atfork handlers run, because this child never runs Toy code
//      (runtime/fork.h: a child that keeps running Toy code goes through
//      fork_interpreter(); this one only execs or _exits). Under TSan: fork(), whose
//      interceptor keeps the sanitizer's runtime consistent in the child.
//   3. The child (child_exec) uses only async-signal-safe calls and touches no heap: resets
//      every caught signal to SIG_DFL (and SIGPIPE/SIGXFSZ when restore_signals), unblocks
//      all signals, setsid() if asked, moves the pipe ends onto 0/1/2 (dup2, or clearing
//      FD_CLOEXEC when an fd is already in place), chdir(cwd), closes every other fd >= 3
//      except pass_fds and the error pipe (close_range over the gaps, or a close() loop up to
//      the limit the parent read), then tries execve() on each candidate path. On failure it
//      writes {errno, stage} (two int32) into the error pipe and _exit(255)s.
//   4. The parent restores its signal mask, closes the write end and reads the error pipe
//      until EOF (exec closed it: success) or a report arrives; after a report it reaps the
//      child (waitpid) so no zombie is left, then, with the GIL re-taken, raises the OSError
//      subclass for the errno: filename = the executable for exec errors, cwd for the
//      "noexec" stage (chdir and fd plumbing), as CPython's _execute_child words it.
//
// LOCKS. g_spawn_window (a shared_mutex) is held shared by a spawning thread from pipe2()
// until the parent closed the error pipe's write end, and exclusively by fork_interpreter()
// (os.fork(), multiprocessing) across its fork(), through a runtime fork handler registered
// on first import (re-created, never unlocked, in that fork's child). So a Toy child never
// inherits an open error-pipe write end, which would block the spawner's read until that
// child exits. Neither side waits for the GIL while holding it: no deadlock. (Pipes for the
// child's stdin/stdout made before fork_exec() can still be inherited by a concurrent
// os.fork() child, exactly as in CPython.)
//
// WAITING (wait). waitpid() with the GIL released. Without a timeout: a blocking waitpid; a
// signal (EINTR) re-takes the GIL, runs the pending handlers (KeyboardInterrupt in the main
// thread) and waits again. With a timeout: a WNOHANG probe, then poll(2) on a pidfd
// (pidfd_open) until it is readable or the deadline passes, then WNOHANG again; where
// pidfd_open is missing, sleeps with a doubling delay (0.5 ms .. 50 ms) between probes, as
// CPython does. ECHILD (someone else reaped it) reads as returncode 0, as in CPython.
// Concurrent waits on one Popen are serialised in Toy by Popen._waitpid_lock.
//
// COMMUNICATING (communicate). One poll(2) loop over the stdin pipe (writes of at most
// 64 KiB with the pipe made non-blocking for the stretch, else PIPE_BUF bytes when POLLOUT,
// so a write never blocks) and the stdout/stderr pipes
// (reads of 64 KiB on POLLIN/POLLHUP; 0 bytes = EOF), with the GIL released; the data goes to
// std::string buffers owned by this C++ frame and becomes bytes only after the GIL is back.
// When all input is written (or the child closed its end: EPIPE) the loop re-takes the GIL
// and calls the `close_stdin` callable (Popen.stdin.close: the file object owns the fd, so
// it, not this loop, closes it) so the child sees EOF, then goes on. SIGPIPE is blocked in
// the calling thread for each released stretch and a SIGPIPE caused by our writes is
// consumed (sigtimedwait with a zero timeout), so a dead reader cannot kill an interpreter
// whose host did not ignore SIGPIPE. The loop
// returns on a timeout with what it has read; subprocess.toy keeps partial output and the
// input offset so that a later communicate() goes on where this one stopped.
//
// No Toy object is touched while the GIL is released: every loop works on local copies.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <new>
#include <shared_mutex>
#include <climits>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "runtime/abstract.h"
#include "runtime/bytes.h"
#include "runtime/errors.h"
#include "runtime/float.h"
#include "runtime/fork.h"
#include "runtime/gil.h"
#include "runtime/int.h"
#include "runtime/list.h"
#include "runtime/module.h"
#include "runtime/native_function.h"
#include "runtime/signals.h"
#include "runtime/str.h"
#include "runtime/tuple.h"
#include "stdlib/registry.h"
#include "stdlib/util.h"

namespace toy {

namespace {

// --- argument helpers (GIL held) --------------------------------------------------------------

// str or bytes (or bytearray) -> std::string; ValueError on an embedded NUL, as os.fsencode +
// the exec layer do. `what` names the argument in the TypeError.
bool fs_string(Value v, const char* what, std::string* out) {
    if (is_str(v)) {
        *out = std::string(v.as<Str>()->view());
    } else if (is_bytes(v)) {
        *out = std::string(bytes_view(v));
    } else if (is_bytes_like(v)) {
        Ref b = bytes_from_object(v);
        if (!b) return false;
        *out = std::string(bytes_view(b.get()));
    } else {
        (void)raisef(&exc::TypeError, "expected str, bytes or os.PathLike object, not {}",
                     type_name(v));
        (void)what;
        return false;
    }
    if (out->find('\0') != std::string::npos) {
        (void)raise(&exc::ValueError, "embedded null byte");
        return false;
    }
    return true;
}

// A list or tuple of str/bytes -> strings. None -> *present = false.
bool fs_string_seq(Value v, const char* what, std::vector<std::string>* out, bool* present) {
    *present = false;
    if (v.is_null() || v.is_none()) return true;
    const Value* items;
    int64_t n;
    if (is_list(v)) {
        items = v.as<List>()->items;
        n = v.as<List>()->size;
    } else if (is_tuple(v)) {
        items = v.as<Tuple>()->items;
        n = v.as<Tuple>()->size;
    } else {
        (void)raisef(&exc::TypeError, "{} must be a list or tuple, not {}", what, type_name(v));
        return false;
    }
    *present = true;
    out->reserve(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
        std::string s;
        if (!fs_string(items[i], what, &s)) return false;
        out->push_back(std::move(s));
    }
    return true;
}

bool int_arg(Value v, int64_t* out) { return index_value(v, out); }

// A timeout in seconds: None (null/None) -> *has = false.
bool timeout_arg(Value v, bool* has, double* seconds) {
    *has = false;
    if (v.is_null() || v.is_none()) return true;
    if (is_float(v)) {
        *seconds = float_as_double(v);
    } else {
        int64_t n;
        if (!index_value(v, &n)) return false;
        *seconds = static_cast<double>(n);
    }
    if (std::isnan(*seconds)) {
        (void)raise(&exc::ValueError, "Invalid value NaN (not a number)");
        return false;
    }
    *has = true;
    return true;
}

using detail::monotonic_ns;

int64_t deadline_after(double seconds) {
    if (seconds <= 0) return monotonic_ns();
    if (seconds > 9e9) seconds = 9e9;  // far enough: ~285 years
    return monotonic_ns() + static_cast<int64_t>(seconds * 1e9);
}

struct timespec ns_to_timespec(int64_t ns) {
    if (ns < 0) ns = 0;
    struct timespec ts;
    ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(ns % 1'000'000'000);
    return ts;
}

// --- the child (async-signal-safe only: no malloc, no locks, no Toy) --------------------------

enum ChildStage : int32_t { kStageExec = 0, kStageNoExec = 1, kStagePreexec = 2 };

struct ChildPlan {
    char* const* argv;
    char* const* envp;      // null: inherit `environ`
    const char* const* exec_paths;
    size_t n_exec_paths;
    const char* cwd;        // null: stay
    int p2cread, c2pwrite, errwrite;
    bool close_fds;
    const int* keep_fds;    // sorted, includes the error pipe's write end
    size_t n_keep_fds;
    const int* pass_fds;    // made inheritable
    size_t n_pass_fds;
    int max_fd;             // close() loop bound when close_range is missing
    bool restore_signals;
    bool start_new_session;
    int process_group;      // -1: leave alone
    int umask_value;        // -1: leave alone
    // preexec_fn (only for a child of fork_interpreter()): runs after the fd plumbing and
    // chdir, before close_fds and exec, as CPython's child_exec. False: it raised.
    bool (*preexec)(Value fn) = nullptr;
    Value preexec_fn = Value::null();
};

extern "C" char** environ;

[[noreturn]] void child_report(int errpipe, int err, ChildStage stage) {
    int32_t msg[2] = {static_cast<int32_t>(err), static_cast<int32_t>(stage)};
    const char* p = reinterpret_cast<const char*>(msg);
    size_t left = sizeof msg;
    while (left > 0) {
        ssize_t w = ::write(errpipe, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        p += w;
        left -= static_cast<size_t>(w);
    }
    ::_exit(255);
}

bool set_cloexec_async(int fd, bool on) {
    int flags = ::fcntl(fd, F_GETFD);
    if (flags < 0) return false;
    int nf = on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC);
    if (nf == flags) return true;
    return ::fcntl(fd, F_SETFD, nf) == 0;
}

void close_range_async(int lo, int hi, int max_fd) {
    if (lo > hi) return;
#ifdef SYS_close_range
    if (::syscall(SYS_close_range, static_cast<unsigned>(lo), static_cast<unsigned>(hi), 0) == 0)
        return;
#endif
    int top = std::min(hi, max_fd);
    for (int fd = lo; fd <= top; ++fd) ::close(fd);
}

[[noreturn]] void child_exec(const ChildPlan& p, int errpipe) {
    // Signals: caught ones back to the default (exec would do it, but a signal arriving
    // before exec must not run the parent's handler here); ignored SIGPIPE/SIGXFSZ too when
    // restore_signals. Then unblock everything (the parent blocked all around the fork).
    for (int sig = 1; sig < NSIG; ++sig) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        struct sigaction sa;
        if (::sigaction(sig, nullptr, &sa) != 0) continue;
        bool caught = sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN;
        bool restore = p.restore_signals && (sig == SIGPIPE || sig == SIGXFSZ) &&
                       sa.sa_handler == SIG_IGN;
        if (caught || restore) {
            struct sigaction dfl;
            std::memset(&dfl, 0, sizeof dfl);
            dfl.sa_handler = SIG_DFL;
            sigemptyset(&dfl.sa_mask);
            ::sigaction(sig, &dfl, nullptr);
        }
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);

    if (p.start_new_session && ::setsid() < 0) child_report(errpipe, errno, kStageNoExec);
    if (p.process_group >= 0 && ::setpgid(0, p.process_group) < 0)
        child_report(errpipe, errno, kStageNoExec);
    if (p.umask_value >= 0) ::umask(static_cast<mode_t>(p.umask_value));

    int p2cread = p.p2cread, c2pwrite = p.c2pwrite, errwrite = p.errwrite;
    // Keep the pipe ends out of the way of the dup2()s below (CPython's child_exec).
    if (c2pwrite == 0) {
        c2pwrite = ::dup(c2pwrite);
        if (c2pwrite < 0) child_report(errpipe, errno, kStageNoExec);
    }
    while (errwrite == 0 || errwrite == 1) {
        errwrite = ::dup(errwrite);
        if (errwrite < 0) child_report(errpipe, errno, kStageNoExec);
    }
    // An fd already in place only loses FD_CLOEXEC; dup2() gives a copy without it.
    auto place = [&](int fd, int target) {
        if (fd == -1) return;  // inherit (other negative fds fail in dup2: EBADF, as CPython)
        if (fd == target) {
            if (!set_cloexec_async(fd, false)) child_report(errpipe, errno, kStageNoExec);
        } else if (::dup2(fd, target) < 0) {
            child_report(errpipe, errno, kStageNoExec);
        }
    };
    place(p2cread, 0);
    place(c2pwrite, 1);
    place(errwrite, 2);

    if (p.cwd && ::chdir(p.cwd) != 0) child_report(errpipe, errno, kStageNoExec);
    if (p.preexec && !p.preexec(p.preexec_fn)) child_report(errpipe, 0, kStagePreexec);

    for (size_t i = 0; i < p.n_pass_fds; ++i) (void)set_cloexec_async(p.pass_fds[i], false);
    if (p.close_fds) {
        int lo = 3;
        for (size_t i = 0; i < p.n_keep_fds; ++i) {
            int k = p.keep_fds[i];
            if (k < lo) continue;
            close_range_async(lo, k - 1, p.max_fd);
            lo = k + 1;
        }
        close_range_async(lo, INT_MAX, p.max_fd);
    }

    // As CPython: the first error other than ENOENT/ENOTDIR wins, else the last one.
    int saved = 0;
    for (size_t i = 0; i < p.n_exec_paths; ++i) {
        if (p.envp) ::execve(p.exec_paths[i], p.argv, p.envp);
        else ::execv(p.exec_paths[i], p.argv);
        if (errno != ENOENT && errno != ENOTDIR && saved == 0) saved = errno;
    }
    if (saved == 0) saved = errno;
    child_report(errpipe, saved, kStageExec);
}

// --- the spawn window vs forks of the interpreter ----------------------------------------------

// Held shared by fork_exec() from the creation of the error pipe until the parent has closed
// its write end; held exclusively by fork_interpreter() (os.fork(), multiprocessing) across
// its fork() through a runtime fork handler. Without it, a Toy child forked in that window
// would keep the write end open while it runs, and the spawning thread would wait for EOF
// on the error pipe until that child exits. Neither side waits for the GIL while holding it.
std::shared_mutex g_spawn_window;

void spawn_window_prepare() { g_spawn_window.lock(); }
void spawn_window_parent() { g_spawn_window.unlock(); }
void spawn_window_child() { g_spawn_window.unlock(); }  // the forking thread took it

// --- fork_exec ------------------------------------------------------------------------------

// _Fork(): no atfork handlers, nothing but the system call. Under ThreadSanitizer, fork()
// instead: TSan's interceptor must see the fork to keep its runtime usable in the child
// (the child's close()/dup2() go through TSan's interceptors).
pid_t spawn_fork() {
#if defined(__SANITIZE_THREAD__)
    return ::fork();
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
    return ::fork();
#else
    return ::_Fork();
#endif
#else
    return ::_Fork();
#endif
}

std::vector<char*> c_array(std::vector<std::string>& v) {
    std::vector<char*> out;
    out.reserve(v.size() + 1);
    for (auto& s : v) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

// fork_exec(args, executable_list, env, cwd, p2cread, c2pwrite, errwrite, close_fds,
//           pass_fds, restore_signals, start_new_session, err_filename, process_group,
//           umask, preexec_fn, subprocess_error) -> pid
// process_group/umask: -1 = leave alone. preexec_fn: None, or a callable run in the child
// (then the child comes from fork_interpreter()); if it raises, `subprocess_error` is raised
// in the parent with CPython's message.
Ref sp_fork_exec(Value, CallArgs a) {
    Value args[16] = {};
    if (!parse_args("fork_exec", a, 16, 16,
                    {"args", "executable_list", "env", "cwd", "p2cread", "c2pwrite",
                     "errwrite", "close_fds", "pass_fds", "restore_signals",
                     "start_new_session", "err_filename", "process_group", "umask",
                     "preexec_fn", "subprocess_error"},
                    args))
        return nullptr;
    std::vector<std::string> argv_s, exec_s, env_s;
    bool has_argv, has_exec, has_env;
    if (!fs_string_seq(args[0], "args", &argv_s, &has_argv) ||
        !fs_string_seq(args[1], "executable_list", &exec_s, &has_exec) ||
        !fs_string_seq(args[2], "env", &env_s, &has_env))
        return nullptr;
    if (!has_exec || exec_s.empty())
        return raise(&exc::ValueError, "executable_list must not be empty");
    for (auto& kv : env_s)
        if (kv.find('=', 1) == std::string::npos)
            return raise(&exc::ValueError, "illegal environment variable name");
    std::string cwd_s;
    bool has_cwd = !args[3].is_none();
    if (has_cwd && !fs_string(args[3], "cwd", &cwd_s)) return nullptr;
    int64_t p2cread, c2pwrite, errwrite;
    if (!int_arg(args[4], &p2cread) || !int_arg(args[5], &c2pwrite) ||
        !int_arg(args[6], &errwrite))
        return nullptr;
    int close_fds = truthy(args[7]);
    if (close_fds < 0) return nullptr;
    std::vector<int> pass_fds;
    if (!args[8].is_none()) {
        Ref it = get_iter(args[8]);
        if (!it) return nullptr;
        while (Ref x = iter_next(it.get())) {
            int64_t fd;
            if (!index_value(x.get(), &fd)) return nullptr;
            if (fd < 0 || fd > INT_MAX) return raise(&exc::ValueError, "bad value(s) in fds_to_keep");
            pass_fds.push_back(static_cast<int>(fd));
        }
        if (error_occurred()) return nullptr;
    }
    int restore_signals = truthy(args[9]);
    int new_session = truthy(args[10]);
    if (restore_signals < 0 || new_session < 0) return nullptr;
    std::string err_filename;
    bool has_err_filename = !args[11].is_none();
    if (has_err_filename && !fs_string(args[11], "err_filename", &err_filename)) return nullptr;
    int64_t process_group, umask_value;
    if (!int_arg(args[12], &process_group) || !int_arg(args[13], &umask_value)) return nullptr;
    if (process_group > INT_MAX) process_group = INT_MAX;
    if (umask_value > 07777) umask_value &= 07777;
    Value preexec = args[14];
    Value subprocess_error = args[15];

    std::vector<char*> argv = c_array(argv_s);
    std::vector<char*> envp = c_array(env_s);
    std::vector<const char*> exec_paths;
    for (auto& s : exec_s) exec_paths.push_back(s.c_str());
    struct rlimit rl;
    int max_fd = 65535;
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        max_fd = static_cast<int>(std::min<rlim_t>(rl.rlim_cur, INT_MAX));

    // The error pipe: close-on-exec, its write end clear of 0/1/2 (the child overwrites them).
    auto make_errpipe = [](int ep[2]) -> int {
        if (::pipe2(ep, O_CLOEXEC) != 0) return errno;
        if (ep[1] < 3) {
            int moved = ::fcntl(ep[1], F_DUPFD_CLOEXEC, 3);
            int err = errno;
            ::close(ep[1]);
            if (moved < 0) {
                ::close(ep[0]);
                return err;
            }
            ep[1] = moved;
        }
        return 0;
    };
    std::vector<int> keep = pass_fds;  // + the error pipe's write end, once known
    auto make_plan = [&](int errpipe_w) {
        keep.push_back(errpipe_w);
        std::sort(keep.begin(), keep.end());
        keep.erase(std::unique(keep.begin(), keep.end()), keep.end());
        return ChildPlan{argv.data(),
                         has_env ? envp.data() : nullptr,
                         exec_paths.data(),
                         exec_paths.size(),
                         has_cwd ? cwd_s.c_str() : nullptr,
                         static_cast<int>(p2cread),
                         static_cast<int>(c2pwrite),
                         static_cast<int>(errwrite),
                         close_fds != 0,
                         keep.data(),
                         keep.size(),
                         pass_fds.data(),
                         pass_fds.size(),
                         max_fd,
                         restore_signals != 0,
                         new_session != 0,
                         static_cast<int>(process_group),
                         static_cast<int>(umask_value)};
    };
    // Reads the child's report (EOF: exec succeeded) and reaps a child that failed.
    // GIL released. Returns true if a report arrived.
    auto read_report = [](int fd, pid_t child, int32_t report[2]) {
        char* p = reinterpret_cast<char*>(report);
        size_t got = 0;
        while (got < 2 * sizeof(int32_t)) {
            ssize_t r = ::read(fd, p + got, 2 * sizeof(int32_t) - got);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) break;
            got += static_cast<size_t>(r);
        }
        if (got == 0) return false;
        if (got != 2 * sizeof(int32_t)) report[0] = EIO, report[1] = kStageNoExec;
        int st;
        while (::waitpid(child, &st, 0) < 0 && errno == EINTR) {
        }
        return true;
    };

    pid_t pid = -1;
    int fork_err = 0;
    int32_t report[2] = {0, 0};
    bool reported = false;
    if (preexec.is_none()) {
        GilRelease unlocked(GilReleaseReason::kBlocking);
        std::shared_lock<std::shared_mutex> window(g_spawn_window);
        int ep[2];
        fork_err = make_errpipe(ep);
        if (fork_err == 0) {
            ChildPlan plan = make_plan(ep[1]);
            sigset_t all, old;
            sigfillset(&all);
            ::pthread_sigmask(SIG_SETMASK, &all, &old);
            pid = spawn_fork();
            if (pid == 0) child_exec(plan, ep[1]);
            if (pid < 0) fork_err = errno;
            ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
            ::close(ep[1]);
            window.unlock();
            if (pid > 0) reported = read_report(ep[0], pid, report);
            ::close(ep[0]);
        }
    } else {
        // preexec_fn runs Toy code in the child: the interpreter's own fork path
        // (runtime/fork.h), with the GIL held; then the same async-signal-safe plumbing.
        int ep[2];
        fork_err = make_errpipe(ep);
        if (fork_err) return raise_errno(fork_err);
        ChildPlan plan = make_plan(ep[1]);
        plan.preexec = [](Value fn) { return static_cast<bool>(call(fn, {})); };
        plan.preexec_fn = preexec;
        pid = fork_interpreter();
        if (pid == 0) child_exec(plan, ep[1]);
        ::close(ep[1]);
        if (pid < 0) {
            ::close(ep[0]);
            return nullptr;  // OSError set by fork_interpreter()
        }
        {
            GilRelease unlocked(GilReleaseReason::kBlocking);
            reported = read_report(ep[0], pid, report);
            ::close(ep[0]);
        }
    }
    if (fork_err) return raise_errno(fork_err);
    if (reported) {
        if (report[1] == kStagePreexec) {
            if (subprocess_error.is_none())
                return raise(&exc::RuntimeError, "Exception occurred in preexec_fn.");
            RefT<Str> msg = new_str("Exception occurred in preexec_fn.");
            if (!msg) return nullptr;
            Ref e = call(subprocess_error, {msg.value()});
            if (!e) return nullptr;
            return raise_value(e.get());
        }
        if (report[1] == kStageNoExec) return raise_errno(report[0], has_cwd ? cwd_s : "");
        return raise_errno(report[0], has_err_filename ? err_filename : "");
    }
    return make_int(pid);
}

// --- waiting --------------------------------------------------------------------------------

// The returncode for a wait status: the exit status, or -signal.
int64_t returncode_of(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return -WTERMSIG(status);
    return status;  // stopped/continued: not asked for (no WUNTRACED)
}

// One waitpid() with the GIL released. 1: reaped (*code set), 0: still running (WNOHANG),
// -1: exception set. A signal re-takes the GIL, runs the handlers and retries.
int wait_once(pid_t pid, bool nohang, int64_t* code) {
    for (;;) {
        int st = 0, err = 0;
        pid_t r;
        {
            GilRelease unlocked(GilReleaseReason::kBlocking);
            r = ::waitpid(pid, &st, nohang ? WNOHANG : 0);
            err = errno;
        }
        if (r == pid) {
            *code = returncode_of(st);
            return 1;
        }
        if (r == 0) return 0;
        if (err == ECHILD) {  // reaped elsewhere: CPython reports returncode 0
            *code = 0;
            return 1;
        }
        if (err != EINTR) {
            (void)raise_errno(err);
            return -1;
        }
        if (!handle_pending_signals()) return -1;
    }
}

// wait(pid, timeout=None) -> returncode, or None if it is still running when the timeout
// (0: just a probe) runs out.
Ref sp_wait(Value, CallArgs a) {
    Value args[2] = {};
    if (!parse_args("wait", a, 1, 2, {"pid", "timeout"}, args)) return nullptr;
    int64_t pid64;
    if (!int_arg(args[0], &pid64)) return nullptr;
    if (pid64 <= 0 || pid64 > INT_MAX) return raise(&exc::ValueError, "invalid pid");
    auto pid = static_cast<pid_t>(pid64);
    bool has_timeout;
    double timeout = 0;
    if (!timeout_arg(args[1], &has_timeout, &timeout)) return nullptr;
    int64_t code = 0;
    if (!has_timeout) {
        int r = wait_once(pid, false, &code);
        if (r < 0) return nullptr;
        return make_int(code);
    }
    int r = wait_once(pid, true, &code);
    if (r < 0) return nullptr;
    if (r == 1) return make_int(code);
    if (timeout <= 0) return Ref::none();
    int64_t deadline = deadline_after(timeout);

    int pidfd = -1;
#ifdef SYS_pidfd_open
    pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#endif
    int64_t delay_ns = 500'000;  // the fallback's first sleep: 0.5 ms, doubling to 50 ms
    for (;;) {
        int64_t now = monotonic_ns();
        if (now >= deadline) break;
        int err = 0;
        {
            GilRelease unlocked(GilReleaseReason::kBlocking);
            if (pidfd >= 0) {
                struct pollfd pfd = {pidfd, POLLIN, 0};
                struct timespec ts = ns_to_timespec(deadline - now);
                if (::ppoll(&pfd, 1, &ts, nullptr) < 0) err = errno;
            } else {
                int64_t d = std::min(delay_ns, deadline - now);
                struct timespec ts = ns_to_timespec(d);
                if (::nanosleep(&ts, nullptr) != 0) err = errno;
                delay_ns = std::min<int64_t>(delay_ns * 2, 50'000'000);
            }
        }
        if (err == EINTR) {
            if (!handle_pending_signals()) {
                if (pidfd >= 0) ::close(pidfd);
                return nullptr;
            }
        } else if (err != 0) {
            if (pidfd >= 0) ::close(pidfd);
            return raise_errno(err);
        }
        r = wait_once(pid, true, &code);
        if (r != 0) {
            if (pidfd >= 0) ::close(pidfd);
            if (r < 0) return nullptr;
            return make_int(code);
        }
    }
    if (pidfd >= 0) ::close(pidfd);
    return Ref::none();
}

// --- communicate ----------------------------------------------------------------------------

// For one GIL-released stretch of communicate(): SIGPIPE blocked in this thread (a SIGPIPE
// caused by our writes to a pipe whose reader is gone is thread-directed; it is consumed at
// the end unless it was already pending), and the stdin pipe in non-blocking mode so that
// one write() may move up to 64 KiB without ever blocking (the flags are restored before
// the GIL is taken back: Toy code never sees them).
class WriteGuard {
public:
    explicit WriteGuard(int in_fd) : in_fd_(in_fd) {
        sigemptyset(&pipe_set_);
        sigaddset(&pipe_set_, SIGPIPE);
        ::pthread_sigmask(SIG_BLOCK, &pipe_set_, &old_mask_);
        sigset_t pending;
        sigemptyset(&pending);
        ::sigpending(&pending);
        was_pending_ = sigismember(&pending, SIGPIPE) == 1;
        if (in_fd_ >= 0) {
            old_flags_ = ::fcntl(in_fd_, F_GETFL);
            if (old_flags_ >= 0 && !(old_flags_ & O_NONBLOCK))
                nonblocking_ = ::fcntl(in_fd_, F_SETFL, old_flags_ | O_NONBLOCK) == 0;
        }
    }
    ~WriteGuard() {
        if (nonblocking_) ::fcntl(in_fd_, F_SETFL, old_flags_);
        if (!was_pending_) {
            sigset_t pending;
            sigemptyset(&pending);
            ::sigpending(&pending);
            if (sigismember(&pending, SIGPIPE) == 1) {
                struct timespec zero = {0, 0};
                while (::sigtimedwait(&pipe_set_, nullptr, &zero) < 0 && errno == EINTR) {
                }
            }
        }
        ::pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
    }
    WriteGuard(const WriteGuard&) = delete;
    WriteGuard& operator=(const WriteGuard&) = delete;
    bool nonblocking() const { return nonblocking_; }

private:
    int in_fd_;
    sigset_t pipe_set_, old_mask_;
    bool was_pending_ = false;
    int old_flags_ = -1;
    bool nonblocking_ = false;
};

// Output collected with the GIL released: 256 KiB blocks filled by read() in place, copied
// once into the result bytes.
class Sink {
public:
    // Room for up to `want` bytes at the end of the last block (a new block if it is full).
    std::pair<char*, size_t> space(size_t want) {
        if (blocks_.empty() || used_ == kBlock) {
            blocks_.emplace_back(new char[kBlock]);
            used_ = 0;
        }
        return {blocks_.back().get() + used_, std::min(want, kBlock - used_)};
    }
    void commit(size_t n) {
        used_ += n;
        total_ += n;
    }
    RefT<Bytes> to_bytes() const {
        RefT<Bytes> b = new_bytes_uninit(static_cast<int64_t>(total_));
        if (!b) return b;
        size_t at = 0;
        for (size_t i = 0; i < blocks_.size(); ++i) {
            size_t n = i + 1 == blocks_.size() ? used_ : kBlock;
            std::memcpy(b->data + at, blocks_[i].get(), n);
            at += n;
        }
        return b;
    }

private:
    static constexpr size_t kBlock = size_t{256} << 10;
    std::vector<std::unique_ptr<char[]>> blocks_;
    size_t used_ = 0;
    size_t total_ = 0;
};

// communicate(in_fd, input, in_offset, close_stdin, out_fd, err_fd, timeout)
//   -> (out_bytes, err_bytes, in_offset, in_done, out_eof, err_eof, timed_out)
// An fd of -1 is not watched. in_done: all input written or the child's end closed
// (close_stdin() has then been called). A timeout of None waits for all three to finish.
Ref sp_communicate(Value, CallArgs a) {
    Value args[7] = {};
    if (!parse_args("communicate", a, 7, 7,
                    {"in_fd", "input", "in_offset", "close_stdin", "out_fd", "err_fd",
                     "timeout"},
                    args))
        return nullptr;
    int64_t in_fd, in_off, out_fd, err_fd;
    if (!int_arg(args[0], &in_fd) || !int_arg(args[2], &in_off) || !int_arg(args[4], &out_fd) ||
        !int_arg(args[5], &err_fd))
        return nullptr;
    // The input is read in place while the GIL is released: `input_ref` keeps the bytes
    // alive and bytes are immutable (as a Py_buffer held across a GIL release in CPython).
    Ref input_ref;
    std::string_view input;
    if (!args[1].is_none()) {
        input_ref = bytes_from_object(args[1]);
        if (!input_ref) return nullptr;
        input = bytes_view(input_ref.get());
    }
    if (in_off < 0) in_off = 0;
    bool has_timeout;
    double timeout = 0;
    if (!timeout_arg(args[6], &has_timeout, &timeout)) return nullptr;
    int64_t deadline = has_timeout ? deadline_after(timeout) : 0;

    Sink out, err;
    bool in_open = in_fd >= 0, out_open = out_fd >= 0, err_open = err_fd >= 0;
    bool in_done = !in_open;
    bool timed_out = false;
    auto finish_stdin = [&]() -> bool {  // GIL held
        in_open = false;
        in_done = true;
        if (args[3].is_none()) return true;
        Ref r = call(args[3], {});
        if (!r) {
            if (!error_matches(&exc::BrokenPipeError)) return false;
            clear_error();
        }
        return true;
    };
    if (in_open && static_cast<size_t>(in_off) >= input.size()) {
        if (!finish_stdin()) return nullptr;
    }
    constexpr size_t kReadChunk = 65536;
    while (in_open || out_open || err_open) {
        // Released section: poll and move bytes until something needs the GIL.
        int sys_err = 0;
        bool stdin_finished = false;
        {
            GilRelease unlocked(GilReleaseReason::kBlocking);
            WriteGuard guard(in_open ? static_cast<int>(in_fd) : -1);
            // Non-blocking: as much as the pipe takes; else PIPE_BUF, which never blocks
            // after POLLOUT.
            const size_t write_chunk = guard.nonblocking() ? size_t{65536} : size_t{PIPE_BUF};
            while ((in_open || out_open || err_open) && !stdin_finished) {
                struct pollfd fds[3];
                int n = 0, i_in = -1, i_out = -1, i_err = -1;
                if (in_open) i_in = n, fds[n++] = {static_cast<int>(in_fd), POLLOUT, 0};
                if (out_open) i_out = n, fds[n++] = {static_cast<int>(out_fd), POLLIN, 0};
                if (err_open) i_err = n, fds[n++] = {static_cast<int>(err_fd), POLLIN, 0};
                int pr;
                if (has_timeout) {
                    int64_t left = deadline - monotonic_ns();
                    if (left <= 0) {
                        timed_out = true;
                        break;
                    }
                    struct timespec ts = ns_to_timespec(left);
                    pr = ::ppoll(fds, static_cast<nfds_t>(n), &ts, nullptr);
                } else {
                    pr = ::ppoll(fds, static_cast<nfds_t>(n), nullptr, nullptr);
                }
                if (pr < 0) {
                    sys_err = errno;
                    break;
                }
                if (pr == 0) continue;  // the deadline check above ends it
                if (i_in >= 0 && fds[i_in].revents) {
                    size_t left = input.size() - static_cast<size_t>(in_off);
                    size_t chunk = std::min<size_t>(left, write_chunk);
                    ssize_t w;
                    do {
                        w = ::write(static_cast<int>(in_fd), input.data() + in_off, chunk);
                    } while (w < 0 && errno == EINTR);
                    int werr = w < 0 ? errno : 0;
                    if (w < 0) {
                        if (werr == EPIPE) {
                            stdin_finished = true;
                        } else if (werr != EAGAIN) {
                            sys_err = werr;
                            break;
                        }
                    } else {
                        in_off += w;
                        if (static_cast<size_t>(in_off) >= input.size()) stdin_finished = true;
                    }
                }
                auto drain = [&](int idx, int64_t fd, Sink* dst, bool* open) {
                    if (idx < 0 || !fds[idx].revents) return true;
                    auto [at, room] = dst->space(kReadChunk);
                    ssize_t r = ::read(static_cast<int>(fd), at, room);
                    if (r < 0) {
                        if (errno == EINTR || errno == EAGAIN) return true;
                        sys_err = errno;
                        return false;
                    }
                    if (r == 0) *open = false;
                    else dst->commit(static_cast<size_t>(r));
                    return true;
                };
                if (!drain(i_out, out_fd, &out, &out_open)) break;
                if (!drain(i_err, err_fd, &err, &err_open)) break;
            }
        }
        if (stdin_finished && !finish_stdin()) return nullptr;
        if (sys_err == EINTR) {
            if (!handle_pending_signals()) return nullptr;
            continue;
        }
        if (sys_err != 0) return raise_errno(sys_err);
        if (timed_out) break;
    }
    RefT<Bytes> ob = out.to_bytes(), eb = err.to_bytes();
    if (!ob || !eb) return nullptr;
    Ref off = make_int(in_off);
    if (!off) return nullptr;
    RefT<Tuple> t = new_tuple_of({ob.value(), eb.value(), off.get(), Value::boolean(in_done),
                                  Value::boolean(!out_open), Value::boolean(!err_open),
                                  Value::boolean(timed_out)});
    if (!t) return nullptr;
    return Ref(std::move(t));
}

// --- small fd helpers (so subprocess does not depend on the order os grows in) ---------------

// pipe(size=-1) -> (read_fd, write_fd), both close-on-exec; size > 0: F_SETPIPE_SZ on the
// write end (Popen's pipesize).
Ref sp_pipe(Value, CallArgs a) {
    if (!detail::unpack_args("pipe", a, 0, 1)) return nullptr;
    int64_t size = -1;
    if (a.npos == 1 && !int_arg(a.args[0], &size)) return nullptr;
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return raise_errno(errno);
    if (size > 0 && ::fcntl(fds[1], F_SETPIPE_SZ, static_cast<int>(std::min<int64_t>(size, INT_MAX))) < 0) {
        int err = errno;
        ::close(fds[0]);
        ::close(fds[1]);
        return raise_errno(err);
    }
    Ref r = make_int(fds[0]), w = make_int(fds[1]);
    RefT<Tuple> t = new_tuple_of({r.get(), w.get()});
    if (!t) {
        ::close(fds[0]);
        ::close(fds[1]);
        return nullptr;
    }
    return Ref(std::move(t));
}

Ref sp_close(Value, CallArgs a) {
    int64_t fd;
    if (!detail::unpack_args("close", a, 1, 1) || !int_arg(a.args[0], &fd)) return nullptr;
    if (fd < 0 || fd > INT_MAX) return raise_errno(EBADF);
    // Linux closes the fd even when close() reports EINTR: never retry.
    if (::close(static_cast<int>(fd)) != 0 && errno != EINTR) return raise_errno(errno);
    return Ref::none();
}

// open_devnull() -> fd of /dev/null opened O_RDWR | O_CLOEXEC.
Ref sp_open_devnull(Value, CallArgs a) {
    if (!detail::unpack_args("open_devnull", a, 0, 0)) return nullptr;
    int fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (fd < 0) return raise_errno(errno, "/dev/null");
    return make_int(fd);
}

// kill(pid, sig): False if the process no longer exists (ESRCH), True if signalled.
Ref sp_kill(Value, CallArgs a) {
    int64_t pid, sig;
    if (!detail::unpack_args("kill", a, 2, 2) || !int_arg(a.args[0], &pid) ||
        !int_arg(a.args[1], &sig))
        return nullptr;
    if (pid <= 0 || pid > INT_MAX) return raise(&exc::ValueError, "invalid pid");
    if (::kill(static_cast<pid_t>(pid), static_cast<int>(sig)) != 0) {
        if (errno == ESRCH) return Ref::boolean(false);
        return raise_errno(errno);
    }
    return Ref::boolean(true);
}

const MethodDef kFunctions[] = {
    {"fork_exec", sp_fork_exec},
    {"wait", sp_wait},
    {"communicate", sp_communicate},
    {"pipe", sp_pipe},
    {"close", sp_close},
    {"open_devnull", sp_open_devnull},
    {"kill", sp_kill},
    {nullptr, nullptr},
};

}  // namespace

RefT<Module> create_subprocess_module() {
    // Registered on first import (GIL held, so no fork_interpreter() runs meanwhile), before
    // this module can spawn anything.
    static bool registered = false;
    if (!registered) {
        register_runtime_fork_handler(
            {spawn_window_prepare, spawn_window_parent, spawn_window_child});
        registered = true;
    }
    RefT<Module> m = new_module("_subprocess");
    if (!m || !module_add_functions(m.get(), kFunctions)) return nullptr;
    Ref sigterm = make_int(SIGTERM), sigkill = make_int(SIGKILL), pipe_buf = make_int(PIPE_BUF);
    if (!sigterm || !sigkill || !pipe_buf || !module_add(m.get(), "SIGTERM", sigterm.get()) ||
        !module_add(m.get(), "SIGKILL", sigkill.get()) ||
        !module_add(m.get(), "PIPE_BUF", pipe_buf.get()))
        return nullptr;
    return m;
}

}  // namespace toy
