// import.cpp: builtins.__import__ and the module loaders (see registry.h for the order).
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "interp/compiler.h"
#include "interp/vm.h"
#include "runtime/abstract.h"
#include "runtime/dict.h"
#include "runtime/errors.h"
#include "runtime/int.h"
#include "runtime/interpreter.h"
#include "runtime/list.h"
#include "runtime/module.h"
#include "runtime/native_function.h"
#include "runtime/str.h"
#include "runtime/thread_state.h"
#include "runtime/tuple.h"
#include "stdlib/builtins_internal.h"
#include "stdlib/registry.h"
#include "stdlib/util.h"

namespace toy {

namespace {

// Modules whose body is running on this thread (for the "partially initialized" message).
thread_local std::vector<Module*> t_initializing;

Interpreter* interp() { return current_thread()->interp; }

Value sys_modules_get(std::string_view name) {
    RefT<Str> key = new_str(name);
    if (!key) return Value::null();
    return dict_get(interp()->modules, key.value());
}

bool read_file(const std::string& path, std::string* out) {
    int fd;
    do {
        fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        (void)raise_errno(errno, path);
        return false;
    }
    char buf[65536];
    for (;;) {
        // GIL-RELEASE: issue 3 releases the GIL around this read.
        ssize_t r = ::read(fd, buf, sizeof buf);
        if (r < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            ::close(fd);
            (void)raise_errno(e, path);
            return false;
        }
        if (r == 0) break;
        out->append(buf, static_cast<size_t>(r));
    }
    ::close(fd);
    return true;
}

bool is_regular_file(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool set_str_attr(Dict* d, Str* key, std::string_view value) {
    RefT<Str> s = new_str(value);
    return s && dict_set_str(d, key, s.value());
}

Ref module_not_found(std::string_view name) {
    Ref e = new_exception(&exc::ModuleNotFoundError, fmt::format("No module named '{}'", name));
    if (!e) return nullptr;
    RefT<Str> n = new_str(name);
    if (n) (void)setattr(e.get(), TOY_NAME(name), n.value());
    clear_error();
    restore_error(std::move(e));
    return nullptr;
}

// Runs the module body; the module is in sys.modules meanwhile and removed on failure.
// Returns sys.modules[name] afterwards (a module may replace itself there).
Ref run_module(RefT<Module> m, std::string_view fullname, std::string_view source,
               std::string_view filename) {
    RefT<Str> key = new_str(fullname);
    if (!key) return nullptr;
    if (!dict_set(interp()->modules, key.value(), m.value())) return nullptr;
    t_initializing.push_back(m.get());
    Ref r = exec_module_source(m.get(), source, filename);
    t_initializing.pop_back();
    if (!r) {
        Ref saved = fetch_error();
        (void)dict_del(interp()->modules, key.value());
        clear_error();
        restore_error(std::move(saved));
        return nullptr;
    }
    Value v = dict_get(interp()->modules, key.value());
    if (v.is_null()) {
        if (error_occurred()) return nullptr;
        return raisef(&exc::ImportError, "Loaded module {} not found in sys.modules", fullname);
    }
    return Ref::borrow(v);
}

RefT<Module> new_module_for(std::string_view fullname, std::string_view file,
                            std::string_view package) {
    RefT<Module> m = create_module_in_sys(fullname, file);
    if (!m) return nullptr;
    if (!set_str_attr(m->dict, TOY_NAME(__package__), package)) return nullptr;
    return m;
}

// Loads `<dir>/<last>.toy` or the package `<dir>/<last>/__init__.toy`. Null without an
// exception when neither exists.
Ref load_from_dir(std::string_view dir, std::string_view fullname, std::string_view last,
                  std::string_view parent_pkg, bool* found) {
    std::string base = dir.empty() ? std::string(last) : fmt::format("{}/{}", dir, last);
    std::string init = base + "/__init__.toy";
    std::string file = base + ".toy";
    bool package = false;
    if (is_regular_file(init)) {
        package = true;
        file = init;
    } else if (!is_regular_file(file)) {
        *found = false;
        return nullptr;
    }
    *found = true;
    std::string source;
    if (!read_file(file, &source)) return nullptr;
    RefT<Module> m = new_module_for(fullname, file, package ? fullname : parent_pkg);
    if (!m) return nullptr;
    if (package) {
        RefT<List> path = new_list();
        RefT<Str> p = new_str(base);
        if (!path || !p || !list_append(path.get(), p.value())) return nullptr;
        if (!dict_set_str(m->dict, TOY_NAME(__path__), path.value())) return nullptr;
    }
    // Drop the module from sys.modules temporarily: run_module re-inserts it.
    return run_module(std::move(m), fullname, source, file);
}

// Runs an embedded module or package (a package gets an empty __path__: its submodules are
// embedded too and found by name before any path is searched).
Ref load_embedded(std::string_view fullname, std::string_view src, bool is_package,
                  std::string_view parent_pkg) {
    RefT<Module> m = new_module_for(fullname, {}, is_package ? fullname : parent_pkg);
    if (!m) return nullptr;
    if (is_package) {
        RefT<List> path = new_list();
        if (!path || !dict_set_str(m->dict, TOY_NAME(__path__), path.value())) return nullptr;
    }
    std::string filename = fmt::format("<frozen {}>", fullname);
    return run_module(std::move(m), fullname, src, filename);
}

Ref search_path(Value path_list, std::string_view fullname, std::string_view last,
                std::string_view parent_pkg, bool* found) {
    *found = false;
    if (!is_list(path_list)) return nullptr;
    List* l = path_list.as<List>();
    for (int64_t i = 0; i < l->size; ++i) {
        Value entry = l->items[i];
        if (!is_str(entry)) continue;
        std::string dir(detail::str_view(entry));
        Ref m = load_from_dir(dir, fullname, last, parent_pkg, found);
        if (*found || m) return m;
        if (i >= l->size) break;  // the body of a module may have shrunk the list
    }
    return nullptr;
}

// Imports one module given its full dotted name; its parent (if any) is already imported.
Ref import_one(std::string_view fullname) {
    Value existing = sys_modules_get(fullname);
    if (!existing.is_null()) {
        if (existing.is_none()) {
            return raisef(&exc::ModuleNotFoundError, "import of {} halted; None in sys.modules",
                          fullname);
        }
        return Ref::borrow(existing);
    }
    if (error_occurred()) return nullptr;
    size_t dot = fullname.rfind('.');
    if (dot == std::string_view::npos) {
        for (const NativeModuleDef* d = kNativeModules; d->name; ++d) {
            if (fullname == d->name) {
                RefT<Module> m = d->create();
                if (!m) return nullptr;
                RefT<Str> key = new_str(fullname);
                if (!key || !dict_set(interp()->modules, key.value(), m.value())) return nullptr;
                return Ref(std::move(m));
            }
        }
        bool is_package;
        std::string_view src = find_embedded_module(fullname, &is_package);
        if (!src.empty()) return load_embedded(fullname, src, is_package, {});
        Value path = sys_attr(TOY_NAME(path));
        bool found;
        Ref m = search_path(path, fullname, fullname, {}, &found);
        if (m || found) return m;
        return module_not_found(fullname);
    }
    // A submodule: search the parent's __path__.
    std::string_view parent_name = fullname.substr(0, dot);
    std::string_view last = fullname.substr(dot + 1);
    Value parent = sys_modules_get(parent_name);
    if (parent.is_null()) return module_not_found(fullname);
    Ref parent_ref = Ref::borrow(parent);
    bool is_package;
    std::string_view src = find_embedded_module(fullname, &is_package);
    if (!src.empty()) {
        Ref m = load_embedded(fullname, src, is_package, parent_name);
        if (!m) return nullptr;
        RefT<Str> attr = new_str(last);
        if (!attr || !setattr(parent, attr.get(), m.get())) return nullptr;
        return m;
    }
    Ref path = getattr_or_null(parent, TOY_NAME(__path__));
    if (!path) {
        if (error_occurred()) return nullptr;
        return raisef(&exc::ModuleNotFoundError, "No module named '{}'; '{}' is not a package",
                      fullname, parent_name);
    }
    bool found;
    Ref m = search_path(path.get(), fullname, last, parent_name, &found);
    if (!m) {
        if (found) return nullptr;
        return module_not_found(fullname);
    }
    RefT<Str> attr = new_str(last);
    if (!attr) return nullptr;
    if (!setattr(parent, attr.get(), m.get())) return nullptr;
    return m;
}

// Imports every prefix of a dotted name ("a", "a.b", "a.b.c"); returns the last module.
Ref import_dotted(std::string_view name) {
    Ref m;
    size_t pos = 0;
    for (;;) {
        size_t dot = name.find('.', pos);
        std::string_view prefix = dot == std::string_view::npos ? name : name.substr(0, dot);
        m = import_one(prefix);
        if (!m) return nullptr;
        if (dot == std::string_view::npos) return m;
        pos = dot + 1;
    }
}

// The absolute name for a relative import of `name` at `level` from `globals`.
bool resolve_name(std::string_view name, Value globals, int64_t level, std::string* out) {
    std::string package;
    Value pkg = Value::null();
    if (is_dict(globals)) {
        pkg = dict_get_str(globals.as<Dict>(), TOY_NAME(__package__));
        if (!pkg.is_null() && !pkg.is_none()) {
            if (!is_str(pkg)) {
                (void)raise(&exc::TypeError, "package must be a string");
                return false;
            }
            package = detail::str_view(pkg);
        } else {
            Value n = dict_get_str(globals.as<Dict>(), TOY_NAME(__name__));
            if (!n.is_null() && is_str(n)) {
                package = detail::str_view(n);
                if (dict_get_str(globals.as<Dict>(), TOY_NAME(__path__)).is_null()) {
                    size_t dot = package.rfind('.');
                    package = dot == std::string::npos ? std::string() : package.substr(0, dot);
                }
            }
        }
    }
    if (package.empty()) {
        (void)raise(&exc::ImportError, "attempted relative import with no known parent package");
        return false;
    }
    std::string base = package;
    for (int64_t i = 1; i < level; ++i) {
        size_t dot = base.rfind('.');
        if (dot == std::string::npos) {
            (void)raise(&exc::ImportError, "attempted relative import beyond top-level package");
            return false;
        }
        base.resize(dot);
    }
    *out = name.empty() ? base : fmt::format("{}.{}", base, name);
    return true;
}

}  // namespace

RefT<Module> create_module_in_sys(std::string_view name, std::string_view file) {
    RefT<Module> m = new_module(name);
    if (!m) return nullptr;
    Value b = dict_get_str(interp()->modules, TOY_NAME(builtins));
    if (b.is_null()) b = Value::object(interp()->builtins);
    if (!dict_set_str(m->dict, TOY_NAME(__builtins__), b)) return nullptr;
    if (!file.empty() && !set_str_attr(m->dict, TOY_NAME(__file__), file)) return nullptr;
    RefT<Str> key = new_str(name);
    if (!key || !dict_set(interp()->modules, key.value(), m.value())) return nullptr;
    return m;
}

Ref exec_module_source(Module* m, std::string_view source, std::string_view filename) {
    RefT<CodeObject> code = compile_source(source, filename, CompileMode::kExec);
    if (!code) return nullptr;
    return eval_code(code.get(), m->dict, m->dict);
}

Ref import_module(std::string_view name) { return import_dotted(name); }

Ref raise_cannot_import(Value module, Str* name) {
    std::string modname = "<unknown module name>";
    std::string where = "unknown location";
    bool partial = false;
    if (module.is_object() && module.as_object()->type == &module_type) {
        Module* m = module.as<Module>();
        Value n = dict_get_str(m->dict, TOY_NAME(__name__));
        if (!n.is_null() && is_str(n)) modname = detail::str_view(n);
        Value f = dict_get_str(m->dict, TOY_NAME(__file__));
        if (!f.is_null() && is_str(f)) where = detail::str_view(f);
        partial = std::find(t_initializing.begin(), t_initializing.end(), m) != t_initializing.end();
    }
    if (partial) {
        return raisef(&exc::ImportError,
                      "cannot import name '{}' from partially initialized module '{}' (most likely "
                      "due to a circular import) ({})",
                      name->view(), modname, where);
    }
    return raisef(&exc::ImportError, "cannot import name '{}' from '{}' ({})", name->view(),
                  modname, where);
}

Ref builtin_import(Value, CallArgs a) {
    Value args[5];
    if (!parse_args("__import__", a, 1, 5, {"name", "globals", "locals", "fromlist", "level"},
                    args)) {
        return nullptr;
    }
    if (!is_str(args[0])) {
        return raisef(&exc::TypeError, "module name must be str, not {}", type_name(args[0]));
    }
    std::string_view name = detail::str_view(args[0]);
    int64_t level = 0;
    if (!args[4].is_null() && !index_value(args[4], &level)) return nullptr;
    if (level < 0) return raise(&exc::ValueError, "level must be >= 0");
    Value fromlist = args[3];
    bool has_fromlist = false;
    if (!fromlist.is_null() && !fromlist.is_none()) {
        int t = truthy(fromlist);
        if (t < 0) return nullptr;
        has_fromlist = t != 0;
    }

    // Fast path: `import x` of a module already imported.
    if (level == 0 && !has_fromlist && name.find('.') == std::string_view::npos) {
        Value m = dict_get(interp()->modules, args[0]);
        if (!m.is_null() && !m.is_none()) return Ref::borrow(m);
        if (error_occurred()) return nullptr;
    }

    std::string fullname;
    if (level > 0) {
        if (!resolve_name(name, args[1], level, &fullname)) return nullptr;
    } else {
        if (name.empty()) return raise(&exc::ValueError, "Empty module name");
        fullname = name;
    }
    Ref module = import_dotted(fullname);
    if (!module) return nullptr;

    if (!has_fromlist) {
        if (level == 0) {
            size_t dot = name.find('.');
            if (dot == std::string_view::npos) return module;
            return import_one(name.substr(0, dot));
        }
        if (name.empty()) return module;
        // `__import__('a.b', globals, level=1)`: the first component, relative.
        size_t dot = name.find('.');
        if (dot == std::string_view::npos) return module;
        size_t cut = fullname.size() - (name.size() - dot);
        return import_one(std::string_view(fullname).substr(0, cut));
    }

    // `from package import submodule`: import submodules that are not attributes yet.
    Ref is_pkg = getattr_or_null(module.get(), TOY_NAME(__path__));
    if (!is_pkg) {
        if (error_occurred()) return nullptr;
        return module;
    }
    Ref it = get_iter(fromlist);
    if (!it) return nullptr;
    for (;;) {
        Ref item = iter_next(it.get());
        if (!item) {
            if (error_occurred()) return nullptr;
            break;
        }
        if (!is_str(item.get())) {
            return raisef(&exc::TypeError, "Item in {}.__all__ must be str, not {}", fullname,
                          type_name(item.get()));
        }
        std::string_view sub = detail::str_view(item.get());
        if (sub == "*") continue;
        Ref attr = getattr_or_null(module.get(), item.as<Str>());
        if (attr) continue;
        if (error_occurred()) return nullptr;
        std::string subname = fmt::format("{}.{}", fullname, sub);
        Ref m = import_dotted(subname);
        if (!m) {
            // A missing submodule is fine here: IMPORT_FROM reports the missing name.
            if (error_matches(&exc::ModuleNotFoundError)) {
                clear_error();
                continue;
            }
            return nullptr;
        }
    }
    return module;
}

}  // namespace toy
