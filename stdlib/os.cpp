// os.cpp: the `os` module: process and file-system basics (cpu_count, getpid, environ,
// getcwd, listdir, stat, remove, mkdir, ...) and (issue 4) the process and fd layer: fork,
// register_at_fork, pipe, read, write, close, dup, dup2, open + O_*, lseek, fstat, waitpid,
// wait, the W* helpers, waitstatus_to_exitcode, kill, killpg, _exit, times, isatty,
// get/set_inheritable, get/set_blocking. `os.path` is stdlib/lib/posixpath.toy, attached on
// creation.
//
// GIL. Every call that can block (read, write, open, waitpid, wait, close, ...) releases the
// GIL around the system call and touches no object meanwhile: arguments are copied to C
// values first (os.write keeps a reference to an immutable bytes, or copies a bytearray,
// whose buffer another thread could resize), results are built after re-taking it.
// EINTR: the pending signal handlers run (KeyboardInterrupt, Python handlers of `signal`),
// and if none raised the call is retried, as CPython does since PEP 475.
//
// FORK. os.fork() is runtime/fork.h's fork_interpreter(): the single fork path (at-fork
// hooks, a runtime made whole in the child). This file installs the frame releaser that
// drops the frames of the threads that do not exist in the child (interp/frame.h layout).
//
// File descriptors made here (pipe, dup, open) are non-inheritable (O_CLOEXEC), as
// CPython's PEP 446; dup2() makes an inheritable one by default.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <thread>
#include <vector>

#include <climits>
#include <memory>
#include <new>
#include <cstring>

#include "interp/frame.h"
#include "interp/function.h"
#include "runtime/abstract.h"
#include "runtime/bytes.h"
#include "runtime/dict.h"
#include "runtime/errors.h"
#include "runtime/float.h"
#include "runtime/fork.h"
#include "runtime/gil.h"
#include "runtime/signals.h"
#include "runtime/thread_state.h"
#include "runtime/int.h"
#include "runtime/list.h"
#include "runtime/module.h"
#include "runtime/native_function.h"
#include "runtime/str.h"
#include "runtime/tuple.h"
#include "stdlib/registry.h"
#include "stdlib/structseq.h"
#include "stdlib/util.h"

extern char** environ;

namespace toy {

namespace {

StructSeqType stat_result_type;
const char* const kStatFields[] = {"st_mode",  "st_ino",   "st_dev",   "st_nlink", "st_uid",
                                   "st_gid",   "st_size",  "st_atime", "st_mtime", "st_ctime"};

// A path argument as a std::string: str, bytes, or an os.PathLike whose __fspath__ returns
// one of them (CPython's path_converter, without dir_fd/fd forms).
bool path_arg(const char* fname, Value v, std::string* out) {
    Ref fs;
    if (!is_str(v) && !is_bytes(v) && v.is_object()) {
        static Str* fspath_name = intern("__fspath__");
        Value m = type_lookup(v.as_object()->type, fspath_name);
        if (!m.is_null()) {
            fs = call(m, {v});
            if (!fs) return false;
            if (!is_str(*fs) && !is_bytes(*fs))
                return (void)raisef(&exc::TypeError,
                                    "expected {}.__fspath__() to return str or bytes, not {}",
                                    type_name(v), type_name(*fs)),
                       false;
            v = *fs;
        }
    }
    if (is_str(v)) {
        *out = std::string(v.as<Str>()->view());
    } else if (is_bytes(v)) {
        *out = std::string(bytes_view(v));
    } else {
        return (void)raisef(&exc::TypeError,
                            "{}: path should be string, bytes or os.PathLike, not {}", fname,
                            type_name(v)),
               false;
    }
    if (out->find('\0') != std::string::npos)
        return (void)raisef(&exc::ValueError, "{}: embedded null character in path", fname), false;
    return true;
}

Ref os_cpu_count(Value, CallArgs a) {
    if (!detail::unpack_args("cpu_count", a, 0, 0)) return nullptr;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1) return Ref::none();
    return make_int(n);
}

Ref os_getpid(Value, CallArgs a) {
    if (!detail::unpack_args("getpid", a, 0, 0)) return nullptr;
    return make_int(getpid());
}

Ref os_getppid(Value, CallArgs a) {
    if (!detail::unpack_args("getppid", a, 0, 0)) return nullptr;
    return make_int(getppid());
}

Ref os_getcwd(Value, CallArgs a) {
    if (!detail::unpack_args("getcwd", a, 0, 0)) return nullptr;
    std::vector<char> buf(4096);
    while (!::getcwd(buf.data(), buf.size())) {
        if (errno != ERANGE) return raise_errno(errno);
        buf.resize(buf.size() * 2);
    }
    return Ref(new_str(buf.data()));
}

Ref os_chdir(Value, CallArgs a) {
    std::string path;
    if (!detail::unpack_args("chdir", a, 1, 1) || !path_arg("chdir", a.args[0], &path)) return nullptr;
    if (::chdir(path.c_str()) != 0) return raise_errno(errno, path);
    return Ref::none();
}

// Runs a path system call with the GIL released; OSError naming the path on failure.
template <class F> Ref path_call(const char* fname, CallArgs a, F&& fn) {
    std::string path;
    if (a.npos < 1 || !path_arg(fname, a.args[0], &path)) {
        if (!error_occurred())
            (void)raisef(&exc::TypeError, "{}() missing required argument 'path' (pos 1)", fname);
        return nullptr;
    }
    int rc, err;
    {
        GilRelease unlocked(GilReleaseReason::kBlocking);
        rc = fn(path.c_str());
        err = errno;
    }
    if (rc != 0) return raise_errno(err, path);
    return Ref::none();
}

Ref os_remove(Value, CallArgs a) {
    return path_call("remove", a, [](const char* p) { return ::unlink(p); });
}
Ref os_rmdir(Value, CallArgs a) {
    return path_call("rmdir", a, [](const char* p) { return ::rmdir(p); });
}
Ref os_mkdir(Value, CallArgs a) {
    int64_t mode = 0777;
    if (a.npos >= 2 && !index_value(a.args[1], &mode)) return nullptr;
    return path_call("mkdir", a, [mode](const char* p) { return ::mkdir(p, static_cast<mode_t>(mode)); });
}

Ref os_rename(Value, CallArgs a) {
    std::string from, to;
    if (!detail::unpack_args("rename", a, 2, 2) || !path_arg("rename", a.args[0], &from) ||
        !path_arg("rename", a.args[1], &to))
        return nullptr;
    int rc, err;
    {
        GilRelease unlocked(GilReleaseReason::kBlocking);
        rc = ::rename(from.c_str(), to.c_str());
        err = errno;
    }
    if (rc != 0) return raise_errno(err, from);
    return Ref::none();
}

Ref os_listdir(Value, CallArgs a) {
    if (!detail::unpack_args("listdir", a, 0, 1)) return nullptr;
    std::string path = ".";
    if (a.npos == 1 && !path_arg("listdir", a.args[0], &path)) return nullptr;
    std::vector<std::string> names;
    int err = 0;
    {
        GilRelease unlocked(GilReleaseReason::kBlocking);
        DIR* d = ::opendir(path.c_str());
        if (!d) {
            err = errno;
        } else {
            while (dirent* e = ::readdir(d)) {
                std::string n = e->d_name;
                if (n != "." && n != "..") names.push_back(std::move(n));
            }
            ::closedir(d);
        }
    }
    if (err) return raise_errno(err, path);
    RefT<List> l = new_list(static_cast<int64_t>(names.size()));
    if (!l) return nullptr;
    for (auto& n : names) {
        RefT<Str> s = new_str(n);
        if (!s || !list_append(l.get(), s.value())) return nullptr;
    }
    return Ref(std::move(l));
}

Ref stat_to_result(const struct stat& st);

Ref os_stat(Value, CallArgs a) {
    std::string path;
    if (!detail::unpack_args("stat", a, 1, 1) || !path_arg("stat", a.args[0], &path)) return nullptr;
    struct stat st;
    int rc, err;
    {
        GilRelease unlocked(GilReleaseReason::kBlocking);
        rc = ::stat(path.c_str(), &st);
        err = errno;
    }
    if (rc != 0) return raise_errno(err, path);
    return stat_to_result(st);
}

Ref stat_to_result(const struct stat& st) {
    auto ts = [](const struct timespec& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
    };
    Ref items[] = {make_int(st.st_mode),  make_int(static_cast<int64_t>(st.st_ino)),
                   make_int(static_cast<int64_t>(st.st_dev)), make_int(static_cast<int64_t>(st.st_nlink)),
                   make_int(st.st_uid),   make_int(st.st_gid),
                   make_int(st.st_size),  make_float(ts(st.st_atim)),
                   make_float(ts(st.st_mtim)), make_float(ts(st.st_ctim))};
    for (auto& r : items)
        if (!r) return nullptr;
    return new_structseq(&stat_result_type,
                         {items[0].release(), items[1].release(), items[2].release(),
                          items[3].release(), items[4].release(), items[5].release(),
                          items[6].release(), items[7].release(), items[8].release(),
                          items[9].release()});
}

Ref os_getenv(Value, CallArgs a) {
    Value args[2] = {};
    if (!parse_args("getenv", a, 1, 2, {"key", "default"}, args)) return nullptr;
    if (!is_str(args[0]))
        return raisef(&exc::TypeError, "str expected, not {}", type_name(args[0]));
    std::string key(args[0].as<Str>()->view());
    const char* v = ::getenv(key.c_str());
    if (!v) return Ref::borrow(args[1].is_null() ? Value::none() : args[1]);
    return Ref(new_str(v));
}

Ref os_strerror(Value, CallArgs a) {
    int64_t code;
    if (!detail::unpack_args("strerror", a, 1, 1) || !index_value(a.args[0], &code)) return nullptr;
    return Ref(new_str(::strerror(static_cast<int>(code))));
}


// --- issue 4: the process and fd layer ---------------------------------------------------------

StructSeqType times_result_type;
const char* const kTimesFields[] = {"user", "system", "children_user", "children_system",
                                    "elapsed"};

// "posix.fork() takes no arguments (1 given)" (METH_NOARGS of the posix module).
bool no_args(const char* qualname, CallArgs a) {
    if (a.npos == 0 && a.nkw() == 0) return true;
    if (a.nkw())
        return (void)raisef(&exc::TypeError, "{}() takes no keyword arguments", qualname), false;
    return (void)raisef(&exc::TypeError, "{}() takes no arguments ({} given)", qualname, a.npos),
           false;
}

// PyArg_ParseTuple style: "waitpid() takes exactly 2 arguments (1 given)".
bool exact_args(const char* fname, CallArgs a, size_t n) {
    if (!detail::no_kwargs(fname, a)) return false;
    if (a.npos == n) return true;
    (void)raisef(&exc::TypeError, "{}() takes exactly {} argument{} ({} given)", fname, n,
                 n == 1 ? "" : "s", a.npos);
    return false;
}

// Argument Clinic's `int`: __index__, then "Python int too large to convert to C int".
bool c_int(Value v, int* out) {
    if (is_float(v)) {
        (void)raisef(&exc::TypeError, "'float' object cannot be interpreted as an integer");
        return false;
    }
    int64_t n;
    if (!index_value(v, &n)) return false;
    if (n > INT_MAX || n < INT_MIN) {
        (void)raise(&exc::OverflowError, "Python int too large to convert to C int");
        return false;
    }
    *out = static_cast<int>(n);
    return true;
}

// PyArg_ParseTuple's "i": "signed integer is greater than maximum".
bool c_int_i(Value v, int* out) {
    int64_t n;
    if (!index_value(v, &n)) return false;
    if (n > INT_MAX) {
        (void)raise(&exc::OverflowError, "signed integer is greater than maximum");
        return false;
    }
    if (n < INT_MIN) {
        (void)raise(&exc::OverflowError, "signed integer is less than minimum");
        return false;
    }
    *out = static_cast<int>(n);
    return true;
}

// EINTR after a blocking call made with the GIL released: run the pending handlers; true
// means "retry" (no handler raised).
bool retry_after_eintr() { return handle_pending_signals(); }

Ref os_fork(Value, CallArgs a) {
    if (!no_args("posix.fork", a)) return nullptr;
    pid_t pid = fork_interpreter();
    if (pid < 0) return nullptr;
    return make_int(pid);
}

Ref os_register_at_fork(Value, CallArgs a) {
    if (a.npos)
        return raise(&exc::TypeError, "register_at_fork() takes no positional arguments");
    Value args[3] = {};
    if (!parse_args("register_at_fork", a, 0, 0, {"before", "after_in_child", "after_in_parent"},
                    args))
        return nullptr;
    if (args[0].is_null() && args[1].is_null() && args[2].is_null())
        return raise(&exc::TypeError, "At least one argument is required.");
    const char* names[3] = {"before", "after_in_child", "after_in_parent"};
    for (int i = 0; i < 3; ++i) {
        if (!args[i].is_null() && !is_callable(args[i]))
            return raisef(&exc::TypeError, "'{}' must be callable, not {}", names[i],
                          type_name(args[i]));
    }
    if (!register_at_fork(args[0], args[2], args[1])) return nullptr;
    return Ref::none();
}

Ref os_pipe(Value, CallArgs a) {
    if (!no_args("posix.pipe", a)) return nullptr;
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return raise_errno(errno);
    Ref r = make_int(fds[0]), w = make_int(fds[1]);
    if (!r || !w) return nullptr;
    return Ref(new_tuple_of({*r, *w}));
}

Ref os_pipe2(Value, CallArgs a) {
    int flags;
    if (!detail::one_arg("pipe2", a) || !c_int(a.args[0], &flags)) return nullptr;
    int fds[2];
    if (::pipe2(fds, flags) != 0) return raise_errno(errno);
    Ref r = make_int(fds[0]), w = make_int(fds[1]);
    if (!r || !w) return nullptr;
    return Ref(new_tuple_of({*r, *w}));
}

Ref os_read(Value, CallArgs a) {
    int fd;
    int64_t n;
    if (!detail::unpack_args("read", a, 2, 2) || !c_int(a.args[0], &fd)) return nullptr;
    if (!index_value(a.args[1], &n)) return nullptr;
    if (n < 0) return raise_errno(EINVAL);
    // Small reads go through a small stack buffer (threads may have stacks of only 32 KiB),
    // larger ones through a private heap buffer: no Toy object is written with the GIL
    // released. The bytes object is built from it afterwards.
    char small[4096];
    std::unique_ptr<char[]> big;
    char* buf = small;
    if (n > static_cast<int64_t>(sizeof small)) {
        big.reset(new (std::nothrow) char[static_cast<size_t>(n)]);
        if (!big) return raise(&exc::MemoryError, "");
        buf = big.get();
    }
    for (;;) {
        ssize_t r;
        int err;
        {
            GilRelease unlocked(GilReleaseReason::kBlocking);
            r = ::read(fd, buf, static_cast<size_t>(n));
            err = errno;
        }
        if (r >= 0) return Ref(new_bytes(std::string_view(buf, static_cast<size_t>(r))));
        if (err != EINTR) return raise_errno(err);
        if (!retry_after_eintr()) return nullptr;
    }
}

Ref os_write(Value, CallArgs a) {
    int fd;
    if (!detail::unpack_args("write", a, 2, 2) || !c_int(a.args[0], &fd)) return nullptr;
    Value data = a.args[1];
    if (!is_bytes_like(data))
        return raisef(&exc::TypeError, "a bytes-like object is required, not '{}'",
                      type_name(data));
    // bytes are immutable and the caller's frame keeps them alive; a bytearray is copied.
    std::string copy;
    std::string_view view;
    if (is_bytes(data)) {
        view = bytes_view(data);
    } else {
        copy = std::string(buffer_view(data));
        view = copy;
    }
    for (;;) {
        ssize_t w;
        int err;
        {
            GilRelease unlocked(GilReleaseReason::kBlocking);
            w = ::write(fd, view.data(), view.size());
            err = errno;
        }
        if (w >= 0) return make_int(w);
        if (err != EINTR) return raise_errno(err);
        if (!retry_after_eintr()) return nullptr;
    }
}

Ref os_close(Value, CallArgs a) {
    Value args[1] = {};
    int fd;
    if (!parse_args("close", a, 1, 1, {"fd"}, args) || !c_int(args[0], &fd)) return nullptr;
    int rc, err;
    {
        GilRelease unlocked(GilReleaseReason::kBlocking);
        rc = ::close(fd);
        err = errno;
    }
    // Linux closes the descriptor even when close() reports EINTR: never retry.
    if (rc != 0 && err != EINTR) return raise_errno(err);
    return Ref::none();
}

Ref os_closerange(Value, CallArgs a) {
    int lo, hi;
    if (!detail::unpack_args("closerange", a, 2, 2) || !c_int(a.args[0], &lo) ||
        !c_int(a.args[1], &hi))
        return nullptr;
    if (lo < 0) lo = 0;
    for (int fd = lo; fd < hi; ++fd) ::close(fd);
    return Ref::none();
}

Ref os_dup(Value, CallArgs a) {
    int fd;
    if (!detail::one_arg("posix.dup", a) || !c_int(a.args[0], &fd)) return nullptr;
    int r = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (r < 0) return raise_errno(errno);
    return make_int(r);
}

Ref os_dup2(Value, CallArgs a) {
    Value args[3] = {};
    int fd, fd2;
    if (!parse_args("dup2", a, 2, 3, {"fd", "fd2", "inheritable"}, args) ||
        !c_int(args[0], &fd) || !c_int(args[1], &fd2))
        return nullptr;
    bool inheritable = true;
    if (!args[2].is_null()) {
        int t = truthy(args[2]);
        if (t < 0) return nullptr;
        inheritable = t != 0;
    }
    int r;
    if (fd == fd2) {
        // dup3 refuses equal fds; dup2 checks that fd is valid and returns it.
        r = ::dup2(fd, fd2);
        if (r >= 0 && !inheritable) {
            int fl = ::fcntl(r, F_GETFD);
            if (fl >= 0) ::fcntl(r, F_SETFD, fl | FD_CLOEXEC);
        }
    } else {
        r = inheritable ? ::dup2(fd, fd2) : ::dup3(fd, fd2, O_CLOEXEC);
    }
    if (r < 0) return raise_errno(errno);
    return make_int(r);
}

Ref os_open(Value, CallArgs a) {
    Value args[4] = {};
    if (!parse_args("open", a, 2, 3, {"path", "flags", "mode", "dir_fd"}, args)) return nullptr;
    std::string path;
    int flags, mode = 0777;
    if (!path_arg("open", args[0], &path) || !c_int(args[1], &flags)) return nullptr;
    if (!args[2].is_null() && !c_int(args[2], &mode)) return nullptr;
    int dir_fd = AT_FDCWD;
    if (!args[3].is_null() && !args[3].is_none() && !c_int(args[3], &dir_fd)) return nullptr;
    for (;;) {
        int fd, err;
        {
            GilRelease unlocked(GilReleaseReason::kBlocking);
            fd = ::openat(dir_fd, path.c_str(), flags | O_CLOEXEC, mode);
            err = errno;
        }
        if (fd >= 0) return make_int(fd);
        if (err != EINTR) return raise_errno(err, path);
        if (!retry_after_eintr()) return nullptr;
    }
}

Ref os_lseek(Value, CallArgs a) {
    int fd, how;
    int64_t pos;
    if (!detail::unpack_args("lseek", a, 3, 3) || !c_int(a.args[0], &fd) ||
        !index_value(a.args[1], &pos) || !c_int(a.args[2], &how))
        return nullptr;
    off_t r = ::lseek(fd, static_cast<off_t>(pos), how);
    if (r < 0) return raise_errno(errno);
    return make_int(r);
}

Ref os_ftruncate(Value, CallArgs a) {
    int fd;
    int64_t len;
    if (!detail::unpack_args("ftruncate", a, 2, 2) || !c_int(a.args[0], &fd) ||
        !index_value(a.args[1], &len))
        return nullptr;
    int rc, err;
    {
        GilRelease unlocked(GilReleaseReason::kBlocking);
        rc = ::ftruncate(fd, static_cast<off_t>(len));
        err = errno;
    }
    if (rc != 0) return raise_errno(err);
    return Ref::none();
}

Ref os_fsync(Value, CallArgs a) {
    Value args[1] = {};
    int fd;
    if (!parse_args("fsync", a, 1, 1, {"fd"}, args) || !c_int(args[0], &fd)) return nullptr;
    int rc, err;
    {
        GilRelease unlocked(GilReleaseReason::kBlocking);
        rc = ::fsync(fd);
        err = errno;
    }
    if (rc != 0) return raise_errno(err);
    return Ref::none();
}

Ref os_isatty(Value, CallArgs a) {
    int fd;
    if (!detail::one_arg("posix.isatty", a) || !c_int(a.args[0], &fd)) return nullptr;
    return Ref::boolean(::isatty(fd) == 1);
}

Ref os_get_inheritable(Value, CallArgs a) {
    int fd;
    if (!detail::one_arg("posix.get_inheritable", a) || !c_int(a.args[0], &fd)) return nullptr;
    int fl = ::fcntl(fd, F_GETFD);
    if (fl < 0) return raise_errno(errno);
    return Ref::boolean(!(fl & FD_CLOEXEC));
}

Ref os_set_inheritable(Value, CallArgs a) {
    int fd, inh;
    if (!detail::unpack_args("set_inheritable", a, 2, 2) || !c_int(a.args[0], &fd) ||
        !c_int(a.args[1], &inh))
        return nullptr;
    int fl = ::fcntl(fd, F_GETFD);
    if (fl < 0) return raise_errno(errno);
    int nfl = inh ? (fl & ~FD_CLOEXEC) : (fl | FD_CLOEXEC);
    if (nfl != fl && ::fcntl(fd, F_SETFD, nfl) < 0) return raise_errno(errno);
    return Ref::none();
}

Ref os_get_blocking(Value, CallArgs a) {
    int fd;
    if (!detail::one_arg("posix.get_blocking", a) || !c_int(a.args[0], &fd)) return nullptr;
    int fl = ::fcntl(fd, F_GETFL);
    if (fl < 0) return raise_errno(errno);
    return Ref::boolean(!(fl & O_NONBLOCK));
}

Ref os_set_blocking(Value, CallArgs a) {
    int fd, blocking;
    if (!detail::unpack_args("set_blocking", a, 2, 2) || !c_int(a.args[0], &fd) ||
        !c_int(a.args[1], &blocking))
        return nullptr;
    int fl = ::fcntl(fd, F_GETFL);
    if (fl < 0) return raise_errno(errno);
    int nfl = blocking ? (fl & ~O_NONBLOCK) : (fl | O_NONBLOCK);
    if (nfl != fl && ::fcntl(fd, F_SETFL, nfl) < 0) return raise_errno(errno);
    return Ref::none();
}

Ref os_fstat(Value, CallArgs a) {
    Value args[1] = {};
    int fd;
    if (!parse_args("fstat", a, 1, 1, {"fd"}, args) || !c_int(args[0], &fd)) return nullptr;
    struct stat st;
    int rc, err;
    {
        GilRelease unlocked(GilReleaseReason::kBlocking);
        rc = ::fstat(fd, &st);
        err = errno;
    }
    if (rc != 0) return raise_errno(err);
    return stat_to_result(st);
}

// waitpid/wait: the GIL is released while waiting; EINTR runs the signal handlers and
// retries (a Python handler that raises ends the wait with its exception).
Ref wait_common(pid_t pid, int options, bool any) {
    for (;;) {
        pid_t r;
        int status = 0, err;
        {
            GilRelease unlocked(GilReleaseReason::kBlocking);
            r = any ? ::wait(&status) : ::waitpid(pid, &status, options);
            err = errno;
        }
        if (r >= 0) {
            Ref p = make_int(r), s = make_int(status);
            if (!p || !s) return nullptr;
            return Ref(new_tuple_of({*p, *s}));
        }
        if (err != EINTR) return raise_errno(err);
        if (!retry_after_eintr()) return nullptr;
    }
}

Ref os_waitpid(Value, CallArgs a) {
    int64_t pid;
    int options;
    if (!exact_args("waitpid", a, 2) || !index_value(a.args[0], &pid) ||
        !c_int_i(a.args[1], &options))
        return nullptr;
    if (pid > INT_MAX || pid < INT_MIN)
        return raise(&exc::OverflowError, "Python int too large to convert to C int");
    return wait_common(static_cast<pid_t>(pid), options, false);
}

Ref os_wait(Value, CallArgs a) {
    if (!no_args("posix.wait", a)) return nullptr;
    return wait_common(-1, 0, true);
}

// os.WIFEXITED(status) and friends (Argument Clinic: `status: int`, keyword allowed).
template <class F> Ref status_helper(const char* fname, CallArgs a, F&& f) {
    Value args[1] = {};
    int status;
    if (!parse_args(fname, a, 1, 1, {"status"}, args) || !c_int(args[0], &status)) return nullptr;
    return f(status);
}

Ref os_WIFEXITED(Value, CallArgs a) {
    return status_helper("WIFEXITED", a, [](int s) { return Ref::boolean(WIFEXITED(s)); });
}
Ref os_WEXITSTATUS(Value, CallArgs a) {
    return status_helper("WEXITSTATUS", a, [](int s) { return make_int(WEXITSTATUS(s)); });
}
Ref os_WIFSIGNALED(Value, CallArgs a) {
    return status_helper("WIFSIGNALED", a, [](int s) { return Ref::boolean(WIFSIGNALED(s)); });
}
Ref os_WTERMSIG(Value, CallArgs a) {
    return status_helper("WTERMSIG", a, [](int s) { return make_int(WTERMSIG(s)); });
}
Ref os_WIFSTOPPED(Value, CallArgs a) {
    return status_helper("WIFSTOPPED", a, [](int s) { return Ref::boolean(WIFSTOPPED(s)); });
}
Ref os_WSTOPSIG(Value, CallArgs a) {
    return status_helper("WSTOPSIG", a, [](int s) { return make_int(WSTOPSIG(s)); });
}
Ref os_WIFCONTINUED(Value, CallArgs a) {
    return status_helper("WIFCONTINUED", a,
                         [](int s) { return Ref::boolean(WIFCONTINUED(s)); });
}
Ref os_WCOREDUMP(Value, CallArgs a) {
    return status_helper("WCOREDUMP", a, [](int s) { return Ref::boolean(WCOREDUMP(s)); });
}

Ref os_waitstatus_to_exitcode(Value, CallArgs a) {
    return status_helper("waitstatus_to_exitcode", a, [](int s) -> Ref {
        if (WIFEXITED(s)) return make_int(WEXITSTATUS(s));
        if (WIFSIGNALED(s)) return make_int(-WTERMSIG(s));
        if (WIFSTOPPED(s))
            return raisef(&exc::ValueError, "process stopped by delivery of signal {}",
                          WSTOPSIG(s));
        return raisef(&exc::ValueError, "invalid wait status: {}", s);
    });
}

Ref os_kill(Value, CallArgs a) {
    int64_t pid;
    int sig;
    if (!exact_args("kill", a, 2) || !index_value(a.args[0], &pid) || !c_int_i(a.args[1], &sig))
        return nullptr;
    if (::kill(static_cast<pid_t>(pid), sig) != 0) return raise_errno(errno);
    // A signal sent to ourselves is handled before returning, as CPython does.
    if (!handle_pending_signals()) return nullptr;
    return Ref::none();
}

Ref os_killpg(Value, CallArgs a) {
    int64_t pgid;
    int sig;
    if (!exact_args("killpg", a, 2) || !index_value(a.args[0], &pgid) ||
        !c_int_i(a.args[1], &sig))
        return nullptr;
    if (::killpg(static_cast<pid_t>(pgid), sig) != 0) return raise_errno(errno);
    if (!handle_pending_signals()) return nullptr;
    return Ref::none();
}

Ref os_exit_(Value, CallArgs a) {
    Value args[1] = {};
    int status;
    if (!parse_args("_exit", a, 1, 1, {"status"}, args) || !c_int(args[0], &status)) return nullptr;
    ::_exit(status);
}

Ref os_getpgrp(Value, CallArgs a) {
    if (!no_args("posix.getpgrp", a)) return nullptr;
    return make_int(::getpgrp());
}

Ref os_getpgid(Value, CallArgs a) {
    int64_t pid;
    if (!detail::one_arg("posix.getpgid", a) || !index_value(a.args[0], &pid)) return nullptr;
    pid_t r = ::getpgid(static_cast<pid_t>(pid));
    if (r < 0) return raise_errno(errno);
    return make_int(r);
}

Ref os_setsid(Value, CallArgs a) {
    if (!no_args("posix.setsid", a)) return nullptr;
    if (::setsid() < 0) return raise_errno(errno);
    return Ref::none();
}

Ref os_setpgid(Value, CallArgs a) {
    int64_t pid, pgrp;
    if (!exact_args("setpgid", a, 2) || !index_value(a.args[0], &pid) ||
        !index_value(a.args[1], &pgrp))
        return nullptr;
    if (::setpgid(static_cast<pid_t>(pid), static_cast<pid_t>(pgrp)) < 0) return raise_errno(errno);
    return Ref::none();
}

#define TOY_ID_GETTER(name, call)                              \
    Ref os_##name(Value, CallArgs a) {                         \
        if (!no_args("posix." #name, a)) return nullptr;       \
        return make_int(static_cast<int64_t>(call()));         \
    }
TOY_ID_GETTER(getuid, ::getuid)
TOY_ID_GETTER(geteuid, ::geteuid)
TOY_ID_GETTER(getgid, ::getgid)
TOY_ID_GETTER(getegid, ::getegid)
#undef TOY_ID_GETTER

Ref os_umask(Value, CallArgs a) {
    int mask;
    if (!detail::one_arg("posix.umask", a) || !c_int(a.args[0], &mask)) return nullptr;
    return make_int(::umask(static_cast<mode_t>(mask)));
}

Ref os_urandom(Value, CallArgs a) {
    int64_t n;
    if (!detail::one_arg("posix.urandom", a) || !index_value(a.args[0], &n)) return nullptr;
    if (n < 0) return raise(&exc::ValueError, "negative argument not allowed");
    std::string buf(static_cast<size_t>(n), '\0');
    size_t got = 0;
    while (got < buf.size()) {
        ssize_t r = ::getentropy(buf.data() + got, std::min<size_t>(256, buf.size() - got)) == 0
                        ? static_cast<ssize_t>(std::min<size_t>(256, buf.size() - got))
                        : -1;
        if (r < 0) return raise_errno(errno);
        got += static_cast<size_t>(r);
    }
    return Ref(new_bytes(buf));
}

Ref os_fspath(Value, CallArgs a) {
    Value args[1] = {};
    if (!parse_args("fspath", a, 1, 1, {"path"}, args)) return nullptr;
    Value v = args[0];
    if (is_str(v) || is_bytes(v)) return Ref::borrow(v);
    static Str* fspath_name = intern("__fspath__");
    Value m = v.is_object() ? type_lookup(v.as_object()->type, fspath_name) : Value::null();
    if (m.is_null())
        return raisef(&exc::TypeError, "expected str, bytes or os.PathLike object, not {}",
                      type_name(v));
    Ref r = call(m, {v});
    if (!r) return nullptr;
    if (!is_str(*r) && !is_bytes(*r))
        return raisef(&exc::TypeError, "expected {}.__fspath__() to return str or bytes, not {}",
                      type_name(v), type_name(*r));
    return r;
}

// os.system: libc's system() (fork+exec of /bin/sh in the C library, no Toy code in the
// child) with the GIL released while the command runs. Returns the wait status.
Ref os_system(Value, CallArgs a) {
    Value args[1] = {};
    std::string cmd;
    if (!parse_args("system", a, 1, 1, {"command"}, args) || !path_arg("system", args[0], &cmd))
        return nullptr;
    int st;
    {
        GilRelease unlocked(GilReleaseReason::kBlocking);
        st = ::system(cmd.c_str());
    }
    return make_int(st);
}

Ref os_times(Value, CallArgs a) {
    if (!no_args("posix.times", a)) return nullptr;
    struct tms t;
    clock_t c = ::times(&t);
    if (c == static_cast<clock_t>(-1)) return raise_errno(errno);
    double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
    Ref items[] = {make_float(static_cast<double>(t.tms_utime) / tick),
                   make_float(static_cast<double>(t.tms_stime) / tick),
                   make_float(static_cast<double>(t.tms_cutime) / tick),
                   make_float(static_cast<double>(t.tms_cstime) / tick),
                   make_float(static_cast<double>(c) / tick)};
    return new_structseq(&times_result_type, {items[0].release(), items[1].release(),
                                              items[2].release(), items[3].release(),
                                              items[4].release()});
}

// --- the fork path's frame releaser (runtime/fork.h) --------------------------------------------

// In the child after fork: releases what the frames of a vanished thread own. Only frames
// on that thread's own value stack: a generator's heap frame belongs to its generator
// object (which still refers to it). Locals (fast locals, cells) and the frame header's
// references (as frame_free() does) are released; the value-stack part of each frame is leaked, because a frame
// that was running native code does not record its stack top (`sp`) reliably.
void release_dead_frames(ThreadState* dead) {
    for (Frame* f = dead->frame; f; f = f->previous) {
        if (f->on_heap || f->owner) continue;
        Value* lp = f->localsplus();
        for (uint32_t i = 0; i < f->nlocalsplus; ++i) {
            Value v = lp[i];
            lp[i] = Value::null();
            decref(v);
        }
        // As frame_free(): with a function the frame owns only the function (code, globals
        // and builtins are borrowed from it); without one it owns the three.
        if (f->locals) decref(f->locals);
        if (f->func) {
            decref(f->func);
        } else {
            if (f->globals) decref(f->globals);
            if (f->builtins) decref(f->builtins);
            if (f->code) decref(f->code);
        }
        f->code = nullptr;
        f->func = nullptr;
        f->globals = f->builtins = f->locals = nullptr;
    }
}

const MethodDef kFunctions[] = {
    {"cpu_count", os_cpu_count}, {"getpid", os_getpid},   {"getppid", os_getppid},
    {"getcwd", os_getcwd},       {"chdir", os_chdir},     {"remove", os_remove},
    {"unlink", os_remove},       {"rmdir", os_rmdir},     {"mkdir", os_mkdir},
    {"rename", os_rename},       {"listdir", os_listdir}, {"stat", os_stat},
    {"getenv", os_getenv},       {"strerror", os_strerror},
    // issue 4
    {"fork", os_fork}, {"register_at_fork", os_register_at_fork}, {"pipe", os_pipe},
    {"pipe2", os_pipe2}, {"read", os_read}, {"write", os_write}, {"close", os_close},
    {"closerange", os_closerange}, {"dup", os_dup}, {"dup2", os_dup2}, {"open", os_open},
    {"lseek", os_lseek}, {"ftruncate", os_ftruncate}, {"fsync", os_fsync},
    {"fstat", os_fstat}, {"isatty", os_isatty}, {"get_inheritable", os_get_inheritable},
    {"set_inheritable", os_set_inheritable}, {"get_blocking", os_get_blocking},
    {"set_blocking", os_set_blocking}, {"waitpid", os_waitpid}, {"wait", os_wait},
    {"WIFEXITED", os_WIFEXITED}, {"WEXITSTATUS", os_WEXITSTATUS},
    {"WIFSIGNALED", os_WIFSIGNALED}, {"WTERMSIG", os_WTERMSIG},
    {"WIFSTOPPED", os_WIFSTOPPED}, {"WSTOPSIG", os_WSTOPSIG},
    {"WIFCONTINUED", os_WIFCONTINUED}, {"WCOREDUMP", os_WCOREDUMP},
    {"waitstatus_to_exitcode", os_waitstatus_to_exitcode}, {"kill", os_kill},
    {"killpg", os_killpg}, {"_exit", os_exit_}, {"getpgrp", os_getpgrp},
    {"getpgid", os_getpgid}, {"setsid", os_setsid}, {"setpgid", os_setpgid},
    {"getuid", os_getuid}, {"geteuid", os_geteuid}, {"getgid", os_getgid},
    {"getegid", os_getegid}, {"umask", os_umask}, {"urandom", os_urandom},
    {"times", os_times}, {"fspath", os_fspath}, {"system", os_system},
    {nullptr, nullptr},
};

}  // namespace

RefT<Module> create_os_module() {
    static bool readied = false;
    if (!readied) {
        init_structseq_type(&stat_result_type, "os.stat_result", kStatFields,
                            static_cast<int>(std::size(kStatFields)));
        readied = true;
    }
    static bool times_readied = false;
    if (!times_readied) {
        init_structseq_type(&times_result_type, "posix.times_result", kTimesFields,
                            static_cast<int>(std::size(kTimesFields)));
        times_readied = true;
    }
    set_fork_frame_releaser(release_dead_frames);
    RefT<Module> m = new_module("os");
    if (!m || !module_add_functions(m.get(), kFunctions)) return nullptr;
    RefT<Dict> env = new_dict();
    if (!env) return nullptr;
    for (char** e = environ; e && *e; ++e) {
        std::string_view kv = *e;
        size_t eq = kv.find('=');
        if (eq == std::string_view::npos) continue;
        RefT<Str> k = new_str(kv.substr(0, eq));
        RefT<Str> v = new_str(kv.substr(eq + 1));
        if (!k || !v || !dict_set(env.get(), k.value(), v.value())) return nullptr;
    }
    RefT<Str> sep = new_str("/"), linesep = new_str("\n"), name = new_str("posix"),
              curdir = new_str("."), pardir = new_str(".."), devnull = new_str("/dev/null");
    if (!sep || !linesep || !name || !curdir || !pardir || !devnull) return nullptr;
    if (!module_add(m.get(), "environ", env.value()) || !module_add(m.get(), "sep", sep.value()) ||
        !module_add(m.get(), "linesep", linesep.value()) ||
        !module_add(m.get(), "name", name.value()) ||
        !module_add(m.get(), "curdir", curdir.value()) ||
        !module_add(m.get(), "pardir", pardir.value()) ||
        !module_add(m.get(), "devnull", devnull.value()) ||
        !module_add(m.get(), "error", Value::object(&exc::OSError)) ||
        !module_add(m.get(), "stat_result", Value::object(&stat_result_type)) ||
        !module_add(m.get(), "times_result", Value::object(&times_result_type)))
        return nullptr;
    struct IntConst {
        const char* name;
        int64_t value;
    };
    static const IntConst kConsts[] = {
        {"WNOHANG", WNOHANG},       {"WUNTRACED", WUNTRACED},   {"WCONTINUED", WCONTINUED},
        {"O_RDONLY", O_RDONLY},     {"O_WRONLY", O_WRONLY},     {"O_RDWR", O_RDWR},
        {"O_CREAT", O_CREAT},       {"O_EXCL", O_EXCL},         {"O_TRUNC", O_TRUNC},
        {"O_APPEND", O_APPEND},     {"O_NONBLOCK", O_NONBLOCK}, {"O_NDELAY", O_NDELAY},
        {"O_CLOEXEC", O_CLOEXEC},   {"O_NOCTTY", O_NOCTTY},     {"O_SYNC", O_SYNC},
        {"O_DSYNC", O_DSYNC},       {"O_DIRECTORY", O_DIRECTORY}, {"O_NOFOLLOW", O_NOFOLLOW},
        {"O_ACCMODE", O_ACCMODE},   {"SEEK_SET", SEEK_SET},     {"SEEK_CUR", SEEK_CUR},
        {"SEEK_END", SEEK_END},     {"F_OK", F_OK},             {"R_OK", R_OK},
        {"W_OK", W_OK},             {"X_OK", X_OK},             {"EX_OK", 0},
        {"P_PID", P_PID},           {"P_PGID", P_PGID},         {"P_ALL", P_ALL},
    };
    for (const IntConst& c : kConsts) {
        Ref v = make_int(c.value);
        if (!v || !module_add(m.get(), c.name, *v)) return nullptr;
    }
    // os.path is the Toy module posixpath. It imports os only inside its functions (by the
    // time they run, os is in sys.modules), so importing it here does not recurse.
    Ref path = import_module("posixpath");
    if (!path) return nullptr;
    if (!module_add(m.get(), "path", *path)) return nullptr;
    return m;
}

}  // namespace toy
