// os.cpp: the `os` module's first part: process and file-system basics (cpu_count, getpid,
// environ, getcwd, listdir, stat, remove, mkdir, ...). Issue 4 adds fork, pipes, waitpid,
// dup2, kill and the rest. `os.path` is stdlib/lib/posixpath.toy, attached on creation.
// Every call that can block releases the GIL around the system call, touching no object.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <thread>
#include <vector>

#include "runtime/abstract.h"
#include "runtime/dict.h"
#include "runtime/errors.h"
#include "runtime/float.h"
#include "runtime/gil.h"
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

// A path argument as a std::string (str only for now; bytes and PathLike come with issue 4).
bool path_arg(const char* fname, Value v, std::string* out) {
    if (!is_str(v))
        return (void)raisef(&exc::TypeError,
                            "{}: path should be string, bytes or os.PathLike, not {}", fname,
                            type_name(v)),
               false;
    *out = std::string(v.as<Str>()->view());
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

const MethodDef kFunctions[] = {
    {"cpu_count", os_cpu_count}, {"getpid", os_getpid},   {"getppid", os_getppid},
    {"getcwd", os_getcwd},       {"chdir", os_chdir},     {"remove", os_remove},
    {"unlink", os_remove},       {"rmdir", os_rmdir},     {"mkdir", os_mkdir},
    {"rename", os_rename},       {"listdir", os_listdir}, {"stat", os_stat},
    {"getenv", os_getenv},       {"strerror", os_strerror}, {nullptr, nullptr},
};

}  // namespace

RefT<Module> create_os_module() {
    static bool readied = false;
    if (!readied) {
        init_structseq_type(&stat_result_type, "os.stat_result", kStatFields,
                            static_cast<int>(std::size(kStatFields)));
        readied = true;
    }
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
        !module_add(m.get(), "stat_result", Value::object(&stat_result_type)))
        return nullptr;
    // os.path is the Toy module posixpath. It imports os only inside its functions (by the
    // time they run, os is in sys.modules), so importing it here does not recurse.
    Ref path = import_module("posixpath");
    if (!path) return nullptr;
    if (!module_add(m.get(), "path", *path)) return nullptr;
    return m;
}

}  // namespace toy
