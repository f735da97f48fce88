// builtins_exec.cpp: exec, eval, compile, globals, locals, vars, dir.
#include <string>

#include "interp/compiler.h"
#include "interp/vm.h"
#include "runtime/abstract.h"
#include "runtime/bytes.h"
#include "runtime/dict.h"
#include "runtime/errors.h"
#include "runtime/interpreter.h"
#include "runtime/list.h"
#include "runtime/module.h"
#include "runtime/native_function.h"
#include "runtime/set.h"
#include "runtime/str.h"
#include "runtime/thread_state.h"
#include "runtime/tuple.h"
#include "stdlib/builtins_internal.h"
#include "stdlib/util.h"

namespace toy {

using detail::unpack_args;

namespace {

// The source text of exec/eval/compile's first argument; false with TypeError if it is
// neither str nor bytes (code objects are handled by the callers).
bool source_text(const char* fname, Value v, std::string* out, bool code_ok) {
    if (is_str(v)) {
        out->assign(detail::str_view(v));
    } else if (is_bytes(v)) {
        out->assign(bytes_view(v));
    } else {
        if (code_ok) {
            (void)raisef(&exc::TypeError, "{}() arg 1 must be a string, bytes or code object", fname);
        } else {
            (void)raise(&exc::TypeError, "compile() arg 1 must be a string, bytes or AST object");
        }
        return false;
    }
    if (out->find('\0') != std::string::npos) {
        (void)raise(&exc::ValueError, "source code string cannot contain null bytes");
        return false;
    }
    return true;
}

bool ensure_builtins(Dict* globals) {
    Value b = dict_get_str(globals, TOY_NAME(__builtins__));
    if (!b.is_null()) return true;
    ThreadState* ts = current_thread();
    Value mods = Value::object(ts->interp->modules);
    Value bm = dict_get_str(mods.as<Dict>(), TOY_NAME(builtins));
    if (bm.is_null()) bm = Value::object(ts->interp->builtins);
    return dict_set_str(globals, TOY_NAME(__builtins__), bm);
}

// exec/eval share this: resolves globals/locals and runs (or compiles then runs) the source.
Ref exec_or_eval(const char* fname, CallArgs a, CompileMode mode) {
    if (mode == CompileMode::kEval) {
        if (!unpack_args("eval", a, 1, 3)) return nullptr;
    } else {
        if (a.nkw() > 0) {
            // exec(source, globals=None, locals=None, /, *, closure=None): only `closure`.
            for (size_t i = 0; i < a.nkw(); ++i) {
                Str* k = detail::kwname(a, i);
                if (!str_eq(k, TOY_NAME(closure))) {
                    return raisef(&exc::TypeError, "exec() got an unexpected keyword argument '{}'",
                                  k->view());
                }
            }
        }
        if (a.npos < 1) {
            return raise(&exc::TypeError, "exec() takes at least 1 positional argument (0 given)");
        }
        if (a.npos > 3) {
            return raisef(&exc::TypeError, "exec() takes at most 3 positional arguments ({} given)",
                          a.npos);
        }
    }
    Value src = a.args[0];
    Value g = a.npos > 1 ? a.args[1] : Value::none();
    Value l = a.npos > 2 ? a.args[2] : Value::none();
    if (!g.is_none() && !is_dict(g)) {
        if (mode == CompileMode::kEval) {
            return raise(&exc::TypeError,
                         is_dict(l) || l.is_none() ? "globals must be a dict"
                                                   : "globals must be a real dict; try eval(expr, {}, mapping)");
        }
        return raisef(&exc::TypeError, "exec() globals must be a dict, not {}", type_name(g));
    }
    if (!l.is_none() && !is_dict(l) && type_of(l)->getitem == nullptr) {
        if (mode == CompileMode::kEval) return raise(&exc::TypeError, "locals must be a mapping");
        return raisef(&exc::TypeError, "locals must be a mapping or None, not {}", type_name(l));
    }
    Ref globals, locals;
    if (g.is_none()) {
        Dict* cg = current_globals();
        if (!cg) return raise(&exc::SystemError, "globals and locals cannot be NULL");
        globals = Ref::borrow(Value::object(cg));
        if (l.is_none()) {
            locals = current_locals();
            if (!locals) {
                if (error_occurred()) return nullptr;
                locals = globals.dup();
            }
        } else {
            locals = Ref::borrow(l);
        }
    } else {
        globals = Ref::borrow(g);
        locals = Ref::borrow(l.is_none() ? g : l);
    }
    if (!ensure_builtins(globals.as<Dict>())) return nullptr;

    RefT<CodeObject> code;
    if (src.is_object() && src.as_object()->type == &code_type) {
        code = RefT<CodeObject>::borrow(src.as<CodeObject>());
        if (code->nfrees > 0) {
            return raisef(&exc::TypeError, "code object passed to {}() may not contain free variables",
                          fname);
        }
    } else {
        std::string text;
        if (!source_text(fname, src, &text, true)) return nullptr;
        std::string_view sv = text;
        if (mode == CompileMode::kEval) {
            while (!sv.empty() && (sv.front() == ' ' || sv.front() == '\t')) sv.remove_prefix(1);
        }
        code = compile_source(sv, "<string>", mode);
        if (!code) return nullptr;
    }
    if (!is_dict(locals.get())) {
        return raise(&exc::TypeError, "locals that are not dicts are not supported yet");
    }
    Ref r = eval_code(code.get(), globals.as<Dict>(), locals.as<Dict>());
    if (!r) return nullptr;
    if (mode == CompileMode::kEval) return r;
    return Ref::none();
}

}  // namespace

Ref builtin_exec(Value, CallArgs a) { return exec_or_eval("exec", a, CompileMode::kExec); }
Ref builtin_eval(Value, CallArgs a) { return exec_or_eval("eval", a, CompileMode::kEval); }

Ref builtin_compile(Value, CallArgs a) {
    Value args[6];
    if (!parse_args("compile", a, 3, 6,
                    {"source", "filename", "mode", "flags", "dont_inherit", "optimize"}, args)) {
        return nullptr;
    }
    if (!is_str(args[2])) {
        return raisef(&exc::TypeError, "compile() argument 'mode' must be str, not {}",
                      type_name(args[2]));
    }
    std::string_view m = detail::str_view(args[2]);
    CompileMode mode;
    if (m == "exec") mode = CompileMode::kExec;
    else if (m == "eval") mode = CompileMode::kEval;
    else if (m == "single") mode = CompileMode::kSingle;
    else return raise(&exc::ValueError, "compile() mode must be 'exec', 'eval' or 'single'");
    std::string filename;
    if (is_str(args[1])) {
        filename = detail::str_view(args[1]);
    } else if (is_bytes(args[1])) {
        filename = bytes_view(args[1]);
    } else {
        return raisef(&exc::TypeError, "expected str, bytes or os.PathLike object, not {}",
                      type_name(args[1]));
    }
    if (args[0].is_object() && args[0].as_object()->type == &code_type) return Ref::borrow(args[0]);
    std::string text;
    if (!source_text("compile", args[0], &text, false)) return nullptr;
    RefT<CodeObject> code = compile_source(text, filename, mode);
    if (!code) return nullptr;
    return Ref(std::move(code));
}

Ref builtin_globals(Value, CallArgs a) {
    if (!detail::no_kwargs("globals", a)) return nullptr;
    if (a.npos != 0) {
        return raisef(&exc::TypeError, "globals() takes no arguments ({} given)", a.npos);
    }
    Dict* g = current_globals();
    if (!g) return Ref::none();
    return Ref::borrow(Value::object(g));
}

Ref builtin_locals(Value, CallArgs a) {
    if (!detail::no_kwargs("locals", a)) return nullptr;
    if (a.npos != 0) {
        return raisef(&exc::TypeError, "locals() takes no arguments ({} given)", a.npos);
    }
    Ref l = current_locals();
    if (!l && !error_occurred()) return Ref::none();
    return l;
}

Ref builtin_vars(Value, CallArgs a) {
    if (!unpack_args("vars", a, 0, 1)) return nullptr;
    if (a.npos == 0) return builtin_locals(Value::null(), CallArgs{});
    Ref d = getattr_or_null(a.args[0], TOY_NAME(__dict__));
    if (d) return d;
    if (error_occurred()) return nullptr;
    return raise(&exc::TypeError, "vars() argument must have __dict__ attribute");
}

namespace {

bool add_keys(Value set, Dict* d) {
    if (!d) return true;
    int64_t pos = 0;
    Value k, v;
    while (dict_next(d, &pos, &k, &v)) {
        if (!set_add(set, k)) return false;
    }
    return true;
}

bool add_type_attrs(Value set, Type* t) {
    if (t->mro) {
        for (Value base : *t->mro) {
            if (!add_keys(set, base.as<Type>()->dict)) return false;
        }
        return true;
    }
    return add_keys(set, t->dict);
}

Ref sorted_list_of(Value iterable) {
    RefT<List> l = new_list();
    if (!l || !list_extend(l.get(), iterable)) return nullptr;
    if (!list_sort(l.get(), Value::null(), false)) return nullptr;
    return Ref(std::move(l));
}

}  // namespace

Ref builtin_dir(Value, CallArgs a) {
    if (!unpack_args("dir", a, 0, 1)) return nullptr;
    if (a.npos == 0) {
        Ref l = current_locals();
        if (!l) {
            if (error_occurred()) return nullptr;
            Dict* g = current_globals();
            if (!g) return Ref(new_list());
            l = Ref::borrow(Value::object(g));
        }
        return sorted_list_of(l.get());
    }
    Value o = a.args[0];
    Type* t = type_of(o);
    // A __dir__ defined by a class written in Toy wins.
    for (Value base : *t->mro) {
        Type* bt = base.as<Type>();
        if (!type_has(bt, kHeapType)) continue;
        if (!dict_get_str(bt->dict, TOY_NAME(__dir__)).is_null()) {
            Ref r = call_method(o, TOY_NAME(__dir__), {});
            if (!r) return nullptr;
            return sorted_list_of(r.get());
        }
    }
    Ref set = new_set();
    if (!set) return nullptr;
    if (o.is_object() && o.as_object()->type == &module_type) {
        if (!add_keys(set.get(), o.as<Module>()->dict)) return nullptr;
    } else if (is_subtype(t, &type_type)) {
        if (!add_type_attrs(set.get(), o.as<Type>())) return nullptr;
    } else {
        Ref d = getattr_or_null(o, TOY_NAME(__dict__));
        if (!d && error_occurred()) return nullptr;
        if (d && is_dict(d.get()) && !add_keys(set.get(), d.as<Dict>())) return nullptr;
        if (!add_type_attrs(set.get(), t)) return nullptr;
    }
    return sorted_list_of(set.get());
}

}  // namespace toy
