// sys.cpp: the `sys` module.
//
// sys.version is "3.11.0 (toy 0.1.0) [<compiler>]": the Python language version Toy follows,
// then Toy's own version in the place CPython puts its build information.
// sys.version_info is (3, 11, 0, 'final', 0); sys.implementation.name is 'toy'.
#include <limits.h>
#include <unistd.h>

#include <algorithm>
#include <cfloat>
#include <string>

#include "interp/traceback.h"
#include "runtime/abstract.h"
#include "runtime/dict.h"
#include "runtime/errors.h"
#include "runtime/gil.h"
#include "runtime/float.h"
#include "runtime/int.h"
#include "runtime/interpreter.h"
#include "runtime/list.h"
#include "runtime/module.h"
#include "runtime/native_function.h"
#include "runtime/str.h"
#include "runtime/thread_state.h"
#include "runtime/tuple.h"
#include "stdlib/builtins_internal.h"
#include "stdlib/io.h"
#include "stdlib/registry.h"
#include "stdlib/structseq.h"
#include "stdlib/util.h"

namespace toy {

using detail::one_arg;
using detail::unpack_args;

namespace {

StructSeqType version_info_type;
StructSeqType float_info_type;
const char* const kVersionInfoFields[] = {"major", "minor", "micro", "releaselevel", "serial"};
const char* const kFloatInfoFields[] = {"max",     "max_exp",  "max_10_exp", "min",
                                        "min_exp", "min_10_exp", "dig",      "mant_dig",
                                        "epsilon", "radix",    "rounds"};

#define TOY_STR2(x) #x
#define TOY_STR(x) TOY_STR2(x)
#if defined(__clang__)
#define TOY_COMPILER "[Clang " __clang_version__ "]"
#elif defined(__GNUC__)
#define TOY_COMPILER "[GCC " TOY_STR(__GNUC__) "." TOY_STR(__GNUC_MINOR__) "." TOY_STR(__GNUC_PATCHLEVEL__) "]"
#else
#define TOY_COMPILER "[C++]"
#endif
constexpr const char* kVersion = "3.11.0 (toy 0.1.0) " TOY_COMPILER;

Ref sys_exit(Value, CallArgs a) {
    if (!unpack_args("exit", a, 0, 1)) return nullptr;
    // As PyErr_SetObject(SystemExit, None): sys.exit(None) has empty args.
    Ref e = a.npos == 0 || a.args[0].is_none() ? call(Value::object(&exc::SystemExit), {})
                        : call(Value::object(&exc::SystemExit), {a.args[0]});
    if (!e) return nullptr;
    return raise_value(e.get());
}

Ref sys_getrefcount(Value, CallArgs a) {
    if (!one_arg("getrefcount", a)) return nullptr;
    Value v = a.args[0];
    // The count includes the reference held by the caller's argument slot, as in CPython.
    if (v.is_object()) {
        Object* o = v.as_object();
        if (o->immortal()) return make_int(UINT32_MAX);
        return make_int(o->refcnt);
    }
    return make_int(UINT32_MAX);  // inline values (ints, floats, None, ...) are immortal
}

Ref sys_getrecursionlimit(Value, CallArgs a) {
    if (!unpack_args("getrecursionlimit", a, 0, 0)) return nullptr;
    return make_int(current_thread()->interp->recursion_limit);
}

Ref sys_setrecursionlimit(Value, CallArgs a) {
    if (!one_arg("setrecursionlimit", a)) return nullptr;
    Value v = a.args[0];
    if (v.is_double()) {
        return raise(&exc::TypeError, "'float' object cannot be interpreted as an integer");
    }
    int64_t n;
    if (!index_value(v, &n)) return nullptr;
    if (n < 1) return raise(&exc::ValueError, "recursion limit must be greater or equal than 1");
    if (n > INT_MAX) return raise(&exc::OverflowError, "Python int too large to convert to C int");
    ThreadState* ts = current_thread();
    if (ts->recursion_depth >= n) {
        return raisef(&exc::RecursionError,
                      "cannot set the recursion limit to {} at the recursion depth {}: the limit "
                      "is too low",
                      n, ts->recursion_depth);
    }
    ts->interp->recursion_limit = static_cast<int>(n);
    return Ref::none();
}

Ref handled_exception() {
    ThreadState* ts = current_thread();
    Value h = topmost_handled_exc(ts);
    if (h.is_null()) return Ref::none();
    return Ref::borrow(h);
}

Ref sys_exc_info(Value, CallArgs a) {
    if (!unpack_args("exc_info", a, 0, 0)) return nullptr;
    Ref e = handled_exception();
    if (e.get().is_none()) return Ref(new_tuple_of({Value::none(), Value::none(), Value::none()}));
    auto* be = e.as<BaseExceptionObject>();
    Value tb = be->traceback.is_null() ? Value::none() : be->traceback;
    return Ref(new_tuple_of({Value::object(be->type), e.get(), tb}));
}

Ref sys_exception(Value, CallArgs a) {
    if (!unpack_args("exception", a, 0, 0)) return nullptr;
    return handled_exception();
}

Ref sys_intern(Value, CallArgs a) {
    if (!one_arg("intern", a)) return nullptr;
    Value v = a.args[0];
    if (!is_str(v)) {
        return raisef(&exc::TypeError, "intern() argument must be str, not {}", type_name(v));
    }
    if (!is_exact_str(v)) return raise(&exc::TypeError, "can't intern str subclass");
    return Ref::borrow(Value::object(intern_str(v.as<Str>())));
}

// sys.displayhook(value): the REPL's echo (PRINT_EXPR): repr to sys.stdout, builtins._ = value.
Ref sys_displayhook(Value, CallArgs a) {
    if (!one_arg("displayhook", a)) return nullptr;
    Value v = a.args[0];
    if (v.is_none()) return Ref::none();
    Interpreter* interp = current_thread()->interp;
    if (!dict_set_str(interp->builtins, intern("_"), Value::none())) return nullptr;
    Value out = sys_attr(TOY_NAME(stdout));
    if (out.is_null() || out.is_none()) return raise(&exc::RuntimeError, "lost sys.stdout");
    Ref keep = Ref::borrow(out);
    Ref r = repr(v);
    if (!r) return nullptr;
    if (!write_to(out, r.as<Str>()) || !write_to(out, std::string_view("\n"))) return nullptr;
    if (!dict_set_str(interp->builtins, intern("_"), v)) return nullptr;
    return Ref::none();
}

// sys.excepthook(type, value, traceback): prints the exception as an uncaught one.
Ref sys_excepthook(Value, CallArgs a) {
    if (!unpack_args("excepthook", a, 3, 3)) return nullptr;
    print_exception(a.args[1]);
    return Ref::none();
}

Ref sys_getdefaultencoding(Value, CallArgs a) {
    if (!unpack_args("getdefaultencoding", a, 0, 0)) return nullptr;
    return new_str("utf-8");
}

// --- the GIL's knobs (runtime/gil.h) -----------------------------------------------------------

Gil* interp_gil() { return current_thread()->interp->gil; }

Ref sys_getswitchinterval(Value, CallArgs a) {
    if (!detail::no_kwargs("sys.getswitchinterval", a)) return nullptr;
    if (a.npos != 0)
        return raisef(&exc::TypeError, "sys.getswitchinterval() takes no arguments ({} given)", a.npos);
    Gil* g = interp_gil();
    return make_float(g ? static_cast<double>(g->interval_ns()) / 1e9 : 0.005);
}

Ref sys_setswitchinterval(Value, CallArgs a) {
    if (!one_arg("sys.setswitchinterval", a)) return nullptr;
    double secs;
    Value v = a.args[0];
    if (!v.is_double() && !is_int(v) && !type_of(v)->to_float)
        return raisef(&exc::TypeError, "must be real number, not {}", type_name(v));
    if (!to_double(v, &secs)) return nullptr;
    if (!(secs > 0)) return raise(&exc::ValueError, "switch interval must be strictly positive");
    int64_t ns = static_cast<int64_t>(secs * 1e9 + 0.5);
    if (Gil* g = interp_gil()) g->set_interval_ns(ns > 0 ? ns : 1);
    return Ref::none();
}

// The tick policy's interval in instructions (CPython < 3.9 had these two).
Ref sys_getcheckinterval(Value, CallArgs a) {
    if (!unpack_args("getcheckinterval", a, 0, 0)) return nullptr;
    Gil* g = interp_gil();
    return make_int(g ? g->check_interval() : 100);
}

Ref sys_setcheckinterval(Value, CallArgs a) {
    if (!one_arg("setcheckinterval", a)) return nullptr;
    int64_t n;
    if (!index_value(a.args[0], &n)) return nullptr;
    if (n < 1) return raise(&exc::ValueError, "check interval must be at least 1");
    if (Gil* g = interp_gil()) g->set_check_interval(n);
    return Ref::none();
}

// Toy's own: which GIL policy runs, "interval" (CPython 3.2+) or "tick" (CPython < 3.2).
Ref sys_getgilpolicy(Value, CallArgs a) {
    if (!unpack_args("getgilpolicy", a, 0, 0)) return nullptr;
    Gil* g = interp_gil();
    bool tick = g && g->policy() == GilPolicy::kTick;
    return Ref(new_str(tick ? "tick" : "interval"));
}

Ref sys_setgilpolicy(Value, CallArgs a) {
    if (!one_arg("setgilpolicy", a)) return nullptr;
    if (!is_str(a.args[0]))
        return raisef(&exc::TypeError, "setgilpolicy() argument must be str, not {}", type_name(a.args[0]));
    std::string_view p = a.args[0].as<Str>()->view();
    GilPolicy policy;
    if (p == "interval") {
        policy = GilPolicy::kInterval;
    } else if (p == "tick") {
        policy = GilPolicy::kTick;
    } else {
        return raisef(&exc::ValueError, "unknown GIL policy '{}' (expected 'interval' or 'tick')", p);
    }
    if (Gil* g = interp_gil()) g->set_policy(policy);
    return Ref::none();
}

// Toy's own: the GIL's counters so far, as a dict (issue 6 grows this into full statistics).
Ref sys_getgilcounters(Value, CallArgs a) {
    if (!unpack_args("_getgilcounters", a, 0, 0)) return nullptr;
    GilCounters c;
    if (Gil* g = interp_gil()) c = g->counters();
    RefT<Dict> d = new_dict();
    if (!d) return nullptr;
    const std::pair<const char*, uint64_t> items[] = {
        {"acquisitions", c.acquisitions}, {"switches", c.switches},
        {"drop_requests", c.drop_requests}, {"forced_drops", c.forced_drops},
        {"tick_drops", c.tick_drops}};
    for (auto& [k, v] : items) {
        Ref n = make_int(static_cast<int64_t>(v));
        if (!n || !dict_set_str(d.get(), intern(k), *n)) return nullptr;
    }
    return Ref(std::move(d));
}

const MethodDef kSysFunctions[] = {
    {"_getgilcounters", sys_getgilcounters},
    {"getswitchinterval", sys_getswitchinterval},
    {"setswitchinterval", sys_setswitchinterval},
    {"getcheckinterval", sys_getcheckinterval},
    {"setcheckinterval", sys_setcheckinterval},
    {"getgilpolicy", sys_getgilpolicy},
    {"setgilpolicy", sys_setgilpolicy},
    {"exit", sys_exit},
    {"getrefcount", sys_getrefcount},
    {"getrecursionlimit", sys_getrecursionlimit},
    {"setrecursionlimit", sys_setrecursionlimit},
    {"exc_info", sys_exc_info},
    {"exception", sys_exception},
    {"intern", sys_intern},
    {"displayhook", sys_displayhook},
    {"__displayhook__", sys_displayhook},
    {"excepthook", sys_excepthook},
    {"__excepthook__", sys_excepthook},
    {"getdefaultencoding", sys_getdefaultencoding},
    {"getfilesystemencoding", sys_getdefaultencoding},
    {nullptr, nullptr},
};

Ref str_list(const std::vector<std::string>& items) {
    RefT<List> l = new_list(static_cast<int64_t>(items.size()));
    if (!l) return nullptr;
    for (const std::string& s : items) {
        RefT<Str> v = new_str(s);
        if (!v || !list_append(l.get(), v.value())) return nullptr;
    }
    return Ref(std::move(l));
}

bool add_owned(Module* m, std::string_view name, Ref v) {
    if (!v) return false;
    return module_add(m, name, v.get());
}

}  // namespace

void init_sys_types() {
    init_structseq_type(&version_info_type, "sys.version_info", kVersionInfoFields, 5);
    init_structseq_type(&float_info_type, "sys.float_info", kFloatInfoFields, 11);
}

RefT<Module> create_sys_module() {
    Interpreter* interp = current_thread()->interp;
    RefT<Module> m = new_module("sys");
    if (!m) return nullptr;
    Module* s = m.get();
    if (!module_add_functions(s, kSysFunctions)) return nullptr;
    if (!module_add(s, "modules", Value::object(interp->modules))) return nullptr;
    if (!add_owned(s, "argv", str_list(interp->argv))) return nullptr;
    if (!add_owned(s, "orig_argv", str_list(interp->argv))) return nullptr;
    if (!add_owned(s, "path", str_list(interp->path))) return nullptr;
    if (!add_owned(s, "version", new_str(kVersion))) return nullptr;
    if (!add_owned(s, "platform", new_str("linux"))) return nullptr;
    if (!add_owned(s, "byteorder", new_str("little"))) return nullptr;
    if (!add_owned(s, "maxsize", make_int(INT64_MAX))) return nullptr;
    if (!add_owned(s, "maxunicode", make_int(0x10FFFF))) return nullptr;
    if (!add_owned(s, "hexversion", make_int(0x030B00F0))) return nullptr;
    if (!add_owned(s, "api_version", make_int(1013))) return nullptr;
    if (!add_owned(s, "copyright", new_str("Toy: a Python 3.11 language subset."))) return nullptr;
    if (!add_owned(s, "prefix", new_str(""))) return nullptr;
    if (!add_owned(s, "exec_prefix", new_str(""))) return nullptr;
    if (!module_add(s, "dont_write_bytecode", Value::boolean(true))) return nullptr;
    {
        char buf[PATH_MAX];
        ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
        std::string exe = n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
        if (!add_owned(s, "executable", new_str(exe))) return nullptr;
    }
    Ref vi = new_structseq(&version_info_type,
                           {Value::small_int(3), Value::small_int(11), Value::small_int(0),
                            Value::object(intern("final")), Value::small_int(0)});
    if (!vi) return nullptr;
    if (!module_add(s, "version_info", vi.get())) return nullptr;
    Ref impl_version = new_structseq(&version_info_type,
                                     {Value::small_int(0), Value::small_int(1), Value::small_int(0),
                                      Value::object(intern("final")), Value::small_int(0)});
    if (!impl_version) return nullptr;
    RefT<Str> impl_name = new_str("toy");
    RefT<Str> cache_tag = new_str("toy-01");
    if (!impl_name || !cache_tag) return nullptr;
    if (!add_owned(s, "implementation",
                   new_simple_namespace({{"name", impl_name.value()},
                                         {"cache_tag", cache_tag.value()},
                                         {"version", impl_version.get()},
                                         {"hexversion", Value::small_int(0x000100F0)}}))) {
        return nullptr;
    }
    Ref fi = new_structseq(
        &float_info_type,
        {Value::from_double(DBL_MAX), Value::small_int(DBL_MAX_EXP), Value::small_int(DBL_MAX_10_EXP),
         Value::from_double(DBL_MIN), Value::small_int(DBL_MIN_EXP), Value::small_int(DBL_MIN_10_EXP),
         Value::small_int(DBL_DIG), Value::small_int(DBL_MANT_DIG), Value::from_double(DBL_EPSILON),
         Value::small_int(FLT_RADIX), Value::small_int(1)});
    if (!fi || !module_add(s, "float_info", fi.get())) return nullptr;
    int64_t nnative = 0;
    while (kNativeModules[nnative].name) ++nnative;
    // Sorted, as CPython's.
    std::vector<std::string_view> sorted_names = {"builtins", "sys"};
    for (int64_t i = 0; i < nnative; ++i) sorted_names.push_back(kNativeModules[i].name);
    std::sort(sorted_names.begin(), sorted_names.end());
    RefT<Tuple> names = new_tuple(static_cast<int64_t>(sorted_names.size()));
    if (!names) return nullptr;
    Value* items = names->begin();
    for (size_t i = 0; i < sorted_names.size(); ++i) items[i] = Value::object(intern(sorted_names[i]));
    if (!module_add(s, "builtin_module_names", names.value())) return nullptr;

    // The std streams: stdout line-buffered on a terminal, else block-buffered (flushed at
    // exit and before each stderr write); stderr written through at each write (CPython 3.9+
    // never holds stderr output back either).
    RefT<FileObject> in = new_std_stream(0, "<stdin>", false, false);
    RefT<FileObject> out = new_std_stream(1, "<stdout>", true, ::isatty(1) == 1);
    RefT<FileObject> err = new_std_stream(2, "<stderr>", true, ::isatty(2) == 1, true);
    if (!in || !out || !err) return nullptr;
    incref(out.get());
    err->flush_first = out.get();
    if (!module_add(s, "stdin", in.value()) || !module_add(s, "__stdin__", in.value()) ||
        !module_add(s, "stdout", out.value()) || !module_add(s, "__stdout__", out.value()) ||
        !module_add(s, "stderr", err.value()) || !module_add(s, "__stderr__", err.value())) {
        return nullptr;
    }
    return m;
}

}  // namespace toy
