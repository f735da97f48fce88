// registry.cpp: interpreter set-up and the table of native modules (see registry.h).
#include "stdlib/registry.h"

#include <unistd.h>

#include <cstdlib>
#include <mutex>
#include <vector>

#include "interp/vm.h"
#include "runtime/abstract.h"
#include "runtime/dict.h"
#include "runtime/errors.h"
#include "runtime/interpreter.h"
#include "runtime/module.h"
#include "runtime/str.h"
#include "runtime/thread_state.h"
#include "stdlib/builtins_internal.h"
#include "stdlib/io.h"
#include "stdlib/structseq.h"
#include "stdlib/util.h"

namespace toy {

void init_sys_types();
void init_time_types();

const NativeModuleDef kNativeModules[] = {
    {"math", create_math_module},
    {"numeric", create_numeric_module},
    {"_subprocess", create_subprocess_module},
    {"_multiprocessing", create_multiprocessing_module},
    {"_pickle", create_pickle_module},
    {"mmap", create_mmap_module},
    {"_collections", create_collections_module},
    {"itertools", create_itertools_module},
    {"_struct", create_struct_module},
    {"_thread", create_thread_module},
    {"os", create_os_module},
    {"_signal", create_signal_module},
    {"time", create_time_module},
    {"_socket", create_socket_module},
    {"select", create_select_module},
    {nullptr, nullptr},
};

void init_stdlib_types() {
    static std::once_flag once;
    std::call_once(once, [] {
        init_io_types();
        init_simple_namespace_type();
        init_sys_types();
        init_time_types();
    });
}

bool setup_interpreter(Interpreter* interp, const InterpreterConfig& config) {
    runtime_init();
    vm_init();
    init_stdlib_types();
    interp->argv = config.argv;
    if (interp->argv.empty()) interp->argv.push_back("");
    interp->path.clear();
    interp->path.push_back(config.script_dir);
    if (config.use_toypath) {
        if (const char* tp = std::getenv("TOYPATH")) {
            std::string_view rest = tp;
            while (!rest.empty()) {
                size_t colon = rest.find(':');
                std::string_view entry = rest.substr(0, colon);
                if (!entry.empty()) interp->path.emplace_back(entry);
                if (colon == std::string_view::npos) break;
                rest.remove_prefix(colon + 1);
            }
        }
    }
    if (!interp->modules) {
        RefT<Dict> mods = new_dict();
        if (!mods) return false;
        interp->modules = mods.release();
    }
    RefT<Module> builtins = create_builtins_module();
    if (!builtins) return false;
    if (interp->builtins) decref(interp->builtins);
    interp->builtins = builtins->dict;
    incref(interp->builtins);
    if (!dict_set_str(interp->modules, TOY_NAME(builtins), builtins.value())) return false;
    RefT<Module> sys = create_sys_module();
    if (!sys) return false;
    if (!dict_set_str(interp->modules, TOY_NAME(sys), sys.value())) return false;
    if (interp->sys) decref(interp->sys);
    interp->sys = sys.release();
    return true;
}

bool flush_std_streams() {
    bool ok = true;
    for (Str* name : {TOY_NAME(stdout), TOY_NAME(stderr)}) {
        Value f = sys_attr(name);
        if (f.is_null() || f.is_none()) continue;
        Ref keep = Ref::borrow(f);
        if (!flush_file(f)) {
            // CPython: "Exception ignored ... BrokenPipeError" and exit status 120.
            clear_error();
            if (name == TOY_NAME(stdout)) ok = false;
        }
    }
    return ok;
}

namespace {

// Modules, classes and functions stay until the data is gone, so that the __del__ methods
// the data's release runs still find them (CPython runs all finalizers of a dead module's
// objects before clearing anything, PEP 442; this approximates that order).
bool is_code_like(Value v) {
    if (!v.is_object()) return false;
    Type* t = v.as_object()->type;
    return t == &module_type || is_subtype(t, &type_type) || is_callable(v);
}

void clear_module_dict(Dict* d) {
    std::vector<Ref> keys;
    int64_t pos = 0;
    Value k, v;
    while (dict_next(d, &pos, &k, &v)) keys.push_back(Ref::borrow(k));
    // Passes: data named _x, other data, then everything else but __builtins__.
    for (int pass = 0; pass < 3; ++pass) {
        for (Ref& key : keys) {
            if (!is_str(key.get())) continue;
            std::string_view name = key.as<Str>()->view();
            if (name == "__builtins__") continue;
            Value cur = dict_get(d, key.get());
            if (cur.is_null() || cur.is_none()) {
                clear_error();
                continue;
            }
            bool single_underscore = name.size() >= 1 && name[0] == '_' &&
                                     (name.size() < 2 || name[1] != '_');
            bool data = !is_code_like(cur);
            if (pass == 0 && !(data && single_underscore)) continue;
            if (pass == 1 && !data) continue;
            if (!dict_set(d, key.get(), Value::none())) clear_error();
        }
    }
}

}  // namespace

void finalize_modules() {
    ThreadState* ts = current_thread();
    if (!ts || !ts->interp || !ts->interp->modules) return;
    Dict* modules = ts->interp->modules;
    std::vector<Ref> mods;
    int64_t pos = 0;
    Value k, v;
    while (dict_next(modules, &pos, &k, &v)) {
        if (is_str(k) && (k.as<Str>()->view() == "builtins" || k.as<Str>()->view() == "sys")) {
            continue;
        }
        if (v.is_object() && v.as_object()->type == &module_type) mods.push_back(Ref::borrow(v));
    }
    for (auto it = mods.rbegin(); it != mods.rend(); ++it) {
        clear_module_dict(it->as<Module>()->dict);
    }
}

void write_stderr(std::string_view text) {
    Value f = sys_attr(TOY_NAME(stderr));
    if (!f.is_null() && !f.is_none()) {
        Ref keep = Ref::borrow(f);
        if (write_to(f, text) && flush_file(f)) return;
        clear_error();
    }
    while (!text.empty()) {
        ssize_t w = ::write(2, text.data(), text.size());
        if (w <= 0) return;
        text.remove_prefix(static_cast<size_t>(w));
    }
}

}  // namespace toy
