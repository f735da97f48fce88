// signal.cpp: the `_signal` module (CPython's Modules/signalmodule.c); `signal`
// (stdlib/lib/signal.toy) wraps it with the Signals/Handlers/Sigmasks enums, as CPython's
// signal.py does.
//
// HANDLERS. The Python handler of each signal lives in g_handlers[signo] (process-wide, as in
// CPython; owned references, written only with the GIL held by the main thread, read by the
// dispatcher with the GIL held by the main thread). signal.signal() stores the handler and
// installs the C-level disposition through runtime/signals.h: a callable -> the recording
// C handler (catch_signal), SIG_DFL -> default_signal, SIG_IGN -> ignore_signal.
//
// DELIVERY. The C handler (runtime/signals.cpp) only records the signal and breaks the main
// thread's check point; the main thread then calls handle_pending_signals(), which calls
// dispatch() below for every tripped signal: the Python handler runs as handler(signum,
// None) (Toy has no frame objects yet) in the main thread, between two instructions or right
// after a blocking call returned EINTR. A handler that raises makes that exception appear
// there (KeyboardInterrupt from default_int_handler for SIGINT).
//
// THREADS. signal() and set_wakeup_fd() work only in the main thread ("signal only works in
// main thread of the main interpreter"); after fork the forking thread is the main thread.
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <mutex>

#include "runtime/abstract.h"
#include "runtime/dict.h"
#include "runtime/errors.h"
#include "runtime/float.h"
#include "runtime/gil.h"
#include "runtime/int.h"
#include "runtime/interpreter.h"
#include "runtime/module.h"
#include "runtime/native_function.h"
#include "runtime/set.h"
#include "runtime/signals.h"
#include "runtime/str.h"
#include "runtime/thread_state.h"
#include "runtime/tuple.h"
#include "stdlib/registry.h"
#include "stdlib/util.h"

namespace toy {

namespace {

// The Python-level handler of each signal (owned; null: unknown, getsignal() says None).
Value g_handlers[kMaxSignal];
// The module's default_int_handler function (owned, kept for the life of the process).
Value g_default_int_handler = Value::null();
bool g_handlers_ready = false;

bool is_main_thread() {
    ThreadState* ts = current_thread();
    return ts && ts->interp && ts == ts->interp->main_thread;
}

bool signum_arg(Value v, int* out) {
    int64_t n;
    if (is_float(v)) {
        (void)raise(&exc::TypeError, "'float' object cannot be interpreted as an integer");
        return false;
    }
    if (!index_value(v, &n)) return false;
    if (n < 1 || n >= kMaxSignal) {
        (void)raise(&exc::ValueError, "signal number out of range");
        return false;
    }
    *out = static_cast<int>(n);
    return true;
}

bool is_int_equal(Value v, int64_t want) {
    if (!is_int(v)) return false;
    int64_t n;
    if (!int_value(v, &n)) {
        clear_error();
        return false;
    }
    return n == want;
}

void set_handler(int signo, Value h) {
    Value old = g_handlers[signo];
    if (!h.is_null()) incref(h);
    g_handlers[signo] = h;
    decref(old);
}

// Called by handle_pending_signals() in the main thread, GIL held.
bool dispatch(int signo) {
    if (signo < 1 || signo >= kMaxSignal) return true;
    Value h = g_handlers[signo];
    if (h.is_null() || h.is_none() || is_int(h)) {
        // No Python handler (SIG_DFL/SIG_IGN were installed at the C level): SIGINT that Toy
        // caught without the module having a handler still interrupts.
        if (h.is_null() && signo == SIGINT) {
            (void)raise_value(Value::object(&exc::KeyboardInterrupt));
            return false;
        }
        return true;
    }
    Ref keep = Ref::borrow(h);  // the handler may replace itself
    Ref num = make_int(signo);
    if (!num) return false;
    Ref r = call(h, {*num, Value::none()});
    return static_cast<bool>(r);
}

void ready_handlers() {
    if (g_handlers_ready) return;
    g_handlers_ready = true;
    for (int s = 1; s < kMaxSignal; ++s) {
        struct sigaction sa;
        if (sigaction(s, nullptr, &sa) != 0) continue;
        if (s == SIGINT && signal_is_caught(SIGINT)) {
            set_handler(s, g_default_int_handler);
        } else if (!(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == SIG_DFL) {
            set_handler(s, Value::small_int(0));
        } else if (!(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == SIG_IGN) {
            set_handler(s, Value::small_int(1));
        }
    }
    set_signal_dispatch(dispatch);
}

Ref s_signal(Value, CallArgs a) {
    int signo;
    if (!detail::unpack_args("signal", a, 2, 2)) return nullptr;
    Value handler = a.args[1];
    if (!is_main_thread())
        return raise(&exc::ValueError, "signal only works in main thread of the main interpreter");
    if (!signum_arg(a.args[0], &signo)) return nullptr;
    int rc;
    if (is_int_equal(handler, 1)) {
        rc = ignore_signal(signo);
    } else if (is_int_equal(handler, 0)) {
        rc = default_signal(signo);
    } else if (!is_callable(handler)) {
        return raise(&exc::TypeError,
                     "signal handler must be signal.SIG_IGN, signal.SIG_DFL, or a callable object");
    } else {
        rc = catch_signal(signo);
    }
    if (rc != 0) return raise_errno(errno);
    // Handle what was already pending before the new handler counts (CPython).
    Value old = g_handlers[signo];
    Ref result = old.is_null() ? Ref::none() : Ref::borrow(old);
    set_handler(signo, handler);
    return result;
}

Ref s_getsignal(Value, CallArgs a) {
    int signo;
    if (!detail::unpack_args("getsignal", a, 1, 1) || !signum_arg(a.args[0], &signo)) return nullptr;
    Value h = g_handlers[signo];
    return h.is_null() ? Ref::none() : Ref::borrow(h);
}

Ref s_default_int_handler(Value, CallArgs a) {
    return raise_value(Value::object(&exc::KeyboardInterrupt));
}

Ref s_alarm(Value, CallArgs a) {
    int64_t secs;
    if (!detail::unpack_args("alarm", a, 1, 1)) return nullptr;
    if (is_float(a.args[0]))
        return raise(&exc::TypeError, "'float' object cannot be interpreted as an integer");
    if (!index_value(a.args[0], &secs)) return nullptr;
    return make_int(::alarm(static_cast<unsigned>(secs)));
}

Ref s_pause(Value, CallArgs a) {
    if (!detail::unpack_args("pause", a, 0, 0)) return nullptr;
    {
        GilRelease unlocked(GilReleaseReason::kBlocking);
        ::pause();
    }
    if (!handle_pending_signals()) return nullptr;
    return Ref::none();
}

Ref s_raise_signal(Value, CallArgs a) {
    int signo;
    if (!detail::unpack_args("raise_signal", a, 1, 1)) return nullptr;
    int64_t n;
    if (!index_value(a.args[0], &n)) return nullptr;
    if (n < 1 || n >= kMaxSignal) return raise_errno(EINVAL);
    signo = static_cast<int>(n);
    if (::raise(signo) != 0) return raise_errno(errno);
    if (!handle_pending_signals()) return nullptr;
    return Ref::none();
}

Ref s_pthread_kill(Value, CallArgs a) {
    int64_t tid, n;
    if (!detail::unpack_args("pthread_kill", a, 2, 2) || !index_value(a.args[0], &tid) ||
        !index_value(a.args[1], &n))
        return nullptr;
    if (tid == 0) return raise_errno(ESRCH);  // glibc would crash on a null pthread_t
    int err = ::pthread_kill(static_cast<pthread_t>(tid), static_cast<int>(n));
    if (err != 0) return raise_errno(err);
    if (!handle_pending_signals()) return nullptr;
    return Ref::none();
}

Ref s_set_wakeup_fd(Value, CallArgs a) {
    Value args[2] = {};
    if (!parse_args("set_wakeup_fd", a, 1, 1, {"", "warn_on_full_buffer"}, args)) return nullptr;
    int64_t fd;
    if (!index_value(args[0], &fd)) return nullptr;
    bool warn = true;
    if (!args[1].is_null()) {
        int t = truthy(args[1]);
        if (t < 0) return nullptr;
        warn = t != 0;
    }
    if (!is_main_thread())
        return raise(&exc::ValueError,
                     "set_wakeup_fd only works in main thread of the main interpreter");
    if (fd != -1) {
        struct stat st;
        if (fd < 0 || fd > INT32_MAX || ::fstat(static_cast<int>(fd), &st) != 0)
            return raise_errno(EBADF);
        int fl = ::fcntl(static_cast<int>(fd), F_GETFL);
        if (fl < 0) return raise_errno(errno);
        if (!(fl & O_NONBLOCK))
            return raisef(&exc::ValueError, "the fd {} must be in non-blocking mode", fd);
    }
    return make_int(set_signal_wakeup_fd(static_cast<int>(fd), warn));
}

Ref s_strsignal(Value, CallArgs a) {
    int signo;
    if (!detail::unpack_args("strsignal", a, 1, 1) || !signum_arg(a.args[0], &signo)) return nullptr;
    if (signo == 32 || signo == 33) return Ref::none();  // reserved by glibc
    const char* s = ::strsignal(signo);
    if (!s || strncmp(s, "Unknown signal", 14) == 0) return Ref::none();
    return Ref(new_str(s));
}

Ref s_valid_signals(Value, CallArgs a) {
    if (!detail::unpack_args("valid_signals", a, 0, 0)) return nullptr;
    Ref s = new_set();
    if (!s) return nullptr;
    for (int i = 1; i < kMaxSignal; ++i) {
        if (i == 32 || i == 33) continue;
        if (!set_add(*s, Value::small_int(i))) return nullptr;
    }
    return s;
}

Ref timeval_pair(const struct itimerval& v) {
    auto secs = [](const struct timeval& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6;
    };
    Ref d = make_float(secs(v.it_value)), i = make_float(secs(v.it_interval));
    if (!d || !i) return nullptr;
    return Ref(new_tuple_of({*d, *i}));
}

bool seconds_arg(Value v, double* out) {
    if (is_float(v)) {
        *out = float_as_double(v);
    } else {
        int64_t n;
        if (!index_value(v, &n)) return false;
        *out = static_cast<double>(n);
    }
    return true;
}

struct timeval to_timeval(double s) {
    struct timeval t;
    if (s < 0) s = 0;
    t.tv_sec = static_cast<time_t>(s);
    t.tv_usec = static_cast<suseconds_t>(std::llround((s - static_cast<double>(t.tv_sec)) * 1e6));
    if (t.tv_usec >= 1000000) {
        t.tv_sec += 1;
        t.tv_usec -= 1000000;
    }
    // A positive value that rounds to zero would disarm the timer: one microsecond instead.
    if (s > 0 && t.tv_sec == 0 && t.tv_usec == 0) t.tv_usec = 1;
    return t;
}

Ref s_setitimer(Value, CallArgs a) {
    int64_t which;
    double secs, interval = 0.0;
    if (!detail::unpack_args("setitimer", a, 2, 3) || !index_value(a.args[0], &which) ||
        !seconds_arg(a.args[1], &secs) || (a.npos == 3 && !seconds_arg(a.args[2], &interval)))
        return nullptr;
    struct itimerval nv, ov;
    nv.it_value = to_timeval(secs);
    nv.it_interval = to_timeval(interval);
    if (::setitimer(static_cast<int>(which), &nv, &ov) != 0) return raise_errno(errno);
    return timeval_pair(ov);
}

Ref s_getitimer(Value, CallArgs a) {
    int64_t which;
    if (!detail::unpack_args("getitimer", a, 1, 1) || !index_value(a.args[0], &which))
        return nullptr;
    struct itimerval ov;
    if (::getitimer(static_cast<int>(which), &ov) != 0) return raise_errno(errno);
    return timeval_pair(ov);
}

bool sigset_from(Value iterable, sigset_t* set) {
    sigemptyset(set);
    Ref it = get_iter(iterable);
    if (!it) return false;
    for (;;) {
        Ref item = iter_next(*it);
        if (!item) {
            if (error_occurred()) return false;
            return true;
        }
        int64_t n;
        if (!index_value(*item, &n)) return false;
        if (n < 1 || n >= kMaxSignal) {
            (void)raisef(&exc::ValueError, "signal number {} out of range [1; {}]", n,
                         kMaxSignal - 1);
            return false;
        }
        sigaddset(set, static_cast<int>(n));
    }
}

Ref set_from_sigset(const sigset_t& s) {
    Ref r = new_set();
    if (!r) return nullptr;
    for (int i = 1; i < kMaxSignal; ++i)
        if (sigismember(&s, i) == 1 && !set_add(*r, Value::small_int(i))) return nullptr;
    return r;
}

Ref s_pthread_sigmask(Value, CallArgs a) {
    int64_t how;
    if (!detail::unpack_args("pthread_sigmask", a, 2, 2) || !index_value(a.args[0], &how))
        return nullptr;
    sigset_t set, old;
    if (!sigset_from(a.args[1], &set)) return nullptr;
    int err = ::pthread_sigmask(static_cast<int>(how), &set, &old);
    if (err != 0) return raise_errno(err);
    if (!handle_pending_signals()) return nullptr;
    return set_from_sigset(old);
}

Ref s_sigpending(Value, CallArgs a) {
    if (!detail::unpack_args("sigpending", a, 0, 0)) return nullptr;
    sigset_t s;
    if (::sigpending(&s) != 0) return raise_errno(errno);
    return set_from_sigset(s);
}

const MethodDef kFunctions[] = {
    {"signal", s_signal},
    {"getsignal", s_getsignal},
    {"default_int_handler", s_default_int_handler},
    {"alarm", s_alarm},
    {"pause", s_pause},
    {"raise_signal", s_raise_signal},
    {"pthread_kill", s_pthread_kill},
    {"set_wakeup_fd", s_set_wakeup_fd},
    {"strsignal", s_strsignal},
    {"valid_signals", s_valid_signals},
    {"setitimer", s_setitimer},
    {"getitimer", s_getitimer},
    {"pthread_sigmask", s_pthread_sigmask},
    {"sigpending", s_sigpending},
    {nullptr, nullptr},
};

struct IntConst {
    const char* name;
    int value;
};
const IntConst kConsts[] = {
    {"SIGHUP", SIGHUP},       {"SIGINT", SIGINT},       {"SIGQUIT", SIGQUIT},
    {"SIGILL", SIGILL},       {"SIGTRAP", SIGTRAP},     {"SIGABRT", SIGABRT},
    {"SIGIOT", SIGIOT},       {"SIGBUS", SIGBUS},       {"SIGFPE", SIGFPE},
    {"SIGKILL", SIGKILL},     {"SIGUSR1", SIGUSR1},     {"SIGSEGV", SIGSEGV},
    {"SIGUSR2", SIGUSR2},     {"SIGPIPE", SIGPIPE},     {"SIGALRM", SIGALRM},
    {"SIGTERM", SIGTERM},     {"SIGSTKFLT", SIGSTKFLT}, {"SIGCHLD", SIGCHLD},
    {"SIGCLD", SIGCHLD},      {"SIGCONT", SIGCONT},     {"SIGSTOP", SIGSTOP},
    {"SIGTSTP", SIGTSTP},     {"SIGTTIN", SIGTTIN},     {"SIGTTOU", SIGTTOU},
    {"SIGURG", SIGURG},       {"SIGXCPU", SIGXCPU},     {"SIGXFSZ", SIGXFSZ},
    {"SIGVTALRM", SIGVTALRM}, {"SIGPROF", SIGPROF},     {"SIGWINCH", SIGWINCH},
    {"SIGIO", SIGIO},         {"SIGPOLL", SIGPOLL},     {"SIGPWR", SIGPWR},
    {"SIGSYS", SIGSYS},       {"SIGRTMIN", 34},         {"SIGRTMAX", 64},
    {"NSIG", kMaxSignal},     {"SIG_DFL", 0},           {"SIG_IGN", 1},
    {"SIG_BLOCK", SIG_BLOCK}, {"SIG_UNBLOCK", SIG_UNBLOCK}, {"SIG_SETMASK", SIG_SETMASK},
    {"ITIMER_REAL", ITIMER_REAL}, {"ITIMER_VIRTUAL", ITIMER_VIRTUAL},
    {"ITIMER_PROF", ITIMER_PROF},
};

}  // namespace

RefT<Module> create_signal_module() {
    RefT<Module> m = new_module("_signal");
    if (!m || !module_add_functions(m.get(), kFunctions)) return nullptr;
    for (const IntConst& c : kConsts)
        if (!module_add(m.get(), c.name, Value::small_int(c.value))) return nullptr;
    if (!module_add(m.get(), "ItimerError", Value::object(&exc::OSError))) return nullptr;
    if (g_default_int_handler.is_null()) {
        Value h = dict_get_str(m->dict, intern("default_int_handler"));
        if (h.is_null()) return nullptr;
        incref(h);
        g_default_int_handler = h;
    }
    ready_handlers();
    return m;
}

}  // namespace toy
