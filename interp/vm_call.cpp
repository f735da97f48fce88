// vm_call.cpp: calls. Argument binding with CPython's rules and error messages, the
// function_type.call slot (native code calling Toy functions), CALL_FUNCTION_EX and
// MAKE_FUNCTION.
#include <new>
#include <string>
#include <vector>

#include "interp/frame.h"
#include "interp/function.h"
#include "interp/generator.h"
#include "interp/vm.h"
#include "interp/vm_internal.h"
#include "runtime/abstract.h"
#include "runtime/dict.h"
#include "runtime/errors.h"
#include "runtime/interpreter.h"
#include "runtime/list.h"
#include "runtime/misc_types.h"
#include "runtime/str.h"
#include "runtime/tuple.h"

namespace toy::vm {


bool vm_enter_call(ThreadState* ts) {
    if (TOY_UNLIKELY(++ts->recursion_depth > recursion_limit(ts))) {
        --ts->recursion_depth;
        (void)raise(&exc::RecursionError, "maximum recursion depth exceeded");
        return false;
    }
    return true;
}

std::string_view str_view(Value s) { return s.as<Str>()->view(); }

namespace {

std::string qualname_of(Function* fn) { return std::string(fn->qualname->view()); }

// "'a', 'b', and 'c'" (CPython's format_missing joins the repr of each name).
std::string join_names(const std::vector<Str*>& names) {
    std::vector<std::string> r;
    for (Str* s : names) r.push_back(fmt::format("'{}'", s->view()));
    if (r.size() == 1) return r[0];
    if (r.size() == 2) return r[0] + " and " + r[1];
    std::string out;
    for (size_t i = 0; i + 2 < r.size(); ++i) {
        out += r[i];
        out += ", ";
    }
    out += r[r.size() - 2] + ", and " + r.back();
    return out;
}

void missing_arguments(Function* fn, Frame* f, bool positional, int64_t defcount) {
    CodeObject* co = fn->code;
    Value* lp = f->localsplus();
    std::vector<Str*> missing;
    uint32_t start, end;
    if (positional) {
        start = 0;
        end = co->argcount - static_cast<uint32_t>(defcount);
    } else {
        start = co->argcount;
        end = start + co->kwonlyargcount;
    }
    for (uint32_t i = start; i < end; ++i) {
        if (!lp[i].is_null()) continue;
        Str* name = co->localsplus_names->items[i].as<Str>();
        if (!positional && fn->kwdefaults && !dict_get_str(fn->kwdefaults, name).is_null()) continue;
        missing.push_back(name);
    }
    if (missing.empty()) return;
    (void)raise(&exc::TypeError,
          fmt::format("{}() missing {} required {} argument{}: {}", qualname_of(fn), missing.size(),
                      positional ? "positional" : "keyword-only", missing.size() == 1 ? "" : "s",
                      join_names(missing)));
}

void too_many_positional(Function* fn, Frame* f, size_t given) {
    CodeObject* co = fn->code;
    Value* lp = f->localsplus();
    int64_t kwonly_given = 0;
    for (uint32_t i = co->argcount; i < co->argcount + co->kwonlyargcount; ++i)
        if (!lp[i].is_null()) ++kwonly_given;
    int64_t defcount = fn->defaults ? fn->defaults->size : 0;
    std::string sig;
    bool plural;
    if (defcount) {
        plural = true;
        sig = fmt::format("from {} to {}", co->argcount - defcount, co->argcount);
    } else {
        plural = co->argcount != 1;
        sig = fmt::format("{}", co->argcount);
    }
    std::string kwonly_sig;
    if (kwonly_given) {
        kwonly_sig = fmt::format(" positional argument{} (and {} keyword-only argument{})",
                                 given != 1 ? "s" : "", kwonly_given, kwonly_given != 1 ? "s" : "");
    }
    (void)raise(&exc::TypeError,
          fmt::format("{}() takes {} positional argument{} but {}{} {} given", qualname_of(fn), sig,
                      plural ? "s" : "", given, kwonly_sig,
                      given == 1 && !kwonly_given ? "was" : "were"));
}

bool positional_only_passed_as_keyword(Function* fn, Tuple* kwnames, size_t nkw) {
    CodeObject* co = fn->code;
    std::vector<std::string> names;
    for (uint32_t k = 0; k < co->posonlyargcount; ++k) {
        Str* pname = co->localsplus_names->items[k].as<Str>();
        for (size_t i = 0; i < nkw; ++i) {
            Value kn = kwnames->items[i];
            if (is_str(kn) && str_eq(kn.as<Str>(), pname)) {
                names.emplace_back(pname->view());
                break;
            }
        }
    }
    if (names.empty()) return false;
    std::string joined;
    for (size_t i = 0; i < names.size(); ++i) {
        if (i) joined += ", ";
        joined += names[i];
    }
    (void)raise(&exc::TypeError,
          fmt::format("{}() got some positional-only arguments passed as keyword arguments: '{}'",
                      qualname_of(fn), joined));
    return true;
}

// Binds arguments into f's localsplus (borrowed inputs, references taken).
bool bind_arguments(Function* fn, Frame* f, const Value* args, size_t npos, Tuple* kwnames) {
    CodeObject* co = fn->code;
    Value* lp = f->localsplus();
    const uint32_t argcount = co->argcount;
    const uint32_t total_args = argcount + co->kwonlyargcount;
    size_t nkw = kwnames ? static_cast<size_t>(kwnames->size) : 0;

    Dict* kwdict = nullptr;
    if (co->flags & kCoVarkeywords) {
        RefT<Dict> d = new_dict();
        if (!d) return false;
        kwdict = d.get();
        uint32_t i = total_args + ((co->flags & kCoVarargs) ? 1 : 0);
        lp[i] = Value::object(d.release());
    }

    size_t n = npos < argcount ? npos : argcount;
    for (size_t j = 0; j < n; ++j) {
        incref(args[j]);
        lp[j] = args[j];
    }
    if (co->flags & kCoVarargs) {
        RefT<Tuple> t = npos > n ? new_tuple_from(args + n, static_cast<int64_t>(npos - n))
                                 : RefT<Tuple>::borrow(empty_tuple());
        if (!t) return false;
        lp[total_args] = Value::object(t.release());
    }

    // Keyword arguments.
    for (size_t i = 0; i < nkw; ++i) {
        Value keyword = kwnames->items[i];
        Value value = args[npos + i];
        if (!is_str(keyword)) {
            (void)raisef(&exc::TypeError, "{}() keywords must be strings", qualname_of(fn));
            return false;
        }
        Str* kname = keyword.as<Str>();
        uint32_t j;
        bool found = false;
        for (j = co->posonlyargcount; j < total_args; ++j) {
            if (co->localsplus_names->items[j].is(keyword)) {
                found = true;
                break;
            }
        }
        if (!found) {
            for (j = co->posonlyargcount; j < total_args; ++j) {
                if (str_eq(co->localsplus_names->items[j].as<Str>(), kname)) {
                    found = true;
                    break;
                }
            }
        }
        if (!found) {
            if (kwdict) {
                if (!dict_set(kwdict, keyword, value)) return false;
                continue;
            }
            if (co->posonlyargcount && positional_only_passed_as_keyword(fn, kwnames, nkw)) return false;
            (void)raisef(&exc::TypeError, "{}() got an unexpected keyword argument '{}'", qualname_of(fn),
                   kname->view());
            return false;
        }
        if (!lp[j].is_null()) {
            (void)raisef(&exc::TypeError, "{}() got multiple values for argument '{}'", qualname_of(fn),
                   kname->view());
            return false;
        }
        incref(value);
        lp[j] = value;
    }

    if (npos > argcount && !(co->flags & kCoVarargs)) {
        too_many_positional(fn, f, npos);
        return false;
    }

    // Defaults for missing positional arguments.
    if (npos < argcount) {
        int64_t defcount = fn->defaults ? fn->defaults->size : 0;
        uint32_t m = argcount - static_cast<uint32_t>(defcount);
        for (uint32_t i = static_cast<uint32_t>(npos); i < m; ++i) {
            if (lp[i].is_null()) {
                missing_arguments(fn, f, true, defcount);
                return false;
            }
        }
        uint32_t i = n > m ? static_cast<uint32_t>(n - m) : 0;
        for (; i < defcount; ++i) {
            if (lp[m + i].is_null()) {
                Value d = fn->defaults->items[i];
                incref(d);
                lp[m + i] = d;
            }
        }
    }

    // Keyword-only defaults.
    if (co->kwonlyargcount) {
        bool missing = false;
        for (uint32_t i = argcount; i < total_args; ++i) {
            if (!lp[i].is_null()) continue;
            Str* name = co->localsplus_names->items[i].as<Str>();
            if (fn->kwdefaults) {
                Value d = dict_get_str(fn->kwdefaults, name);
                if (!d.is_null()) {
                    incref(d);
                    lp[i] = d;
                    continue;
                }
            }
            missing = true;
        }
        if (missing) {
            missing_arguments(fn, f, false, 0);
            return false;
        }
    }
    return true;
}

}  // namespace

bool init_cells(Frame* f) {
    CodeObject* co = f->code;
    Value* lp = f->localsplus();
    for (uint32_t i = 0; i < co->ncells; ++i) {
        Value init = Value::null();
        if (i < co->cell2arg.size() && co->cell2arg[i] >= 0) init = lp[co->cell2arg[i]];
        RefT<Cell> c = new_cell(init);
        if (!c) return false;
        Value old = lp[co->nlocals + i];
        lp[co->nlocals + i] = Value::object(c.release());
        decref(old);
    }
    if (co->nfrees) {
        Tuple* closure = f->func ? f->func->closure : nullptr;
        if (!closure || closure->size < static_cast<int64_t>(co->nfrees)) {
            (void)raise(&exc::SystemError, "code requires a closure of the right size");
            return false;
        }
        for (uint32_t i = 0; i < co->nfrees; ++i) {
            Value c = closure->items[i];
            incref(c);
            lp[co->nlocals + co->ncells + i] = c;
        }
    }
    return true;
}

Frame* make_call_frame(ThreadState* ts, Function* fn, const Value* args, size_t npos,
                       Tuple* kwnames, bool on_heap) {
    CodeObject* co = fn->code;
    Frame* f = frame_alloc(ts, co, fn, fn->globals, fn->builtins, nullptr, on_heap);
    if (!f) return nullptr;
    if (!bind_arguments(fn, f, args, npos, kwnames) ||
        ((co->ncells || co->nfrees) && !init_cells(f))) {
        frame_free(ts, f);
        return nullptr;
    }
    return f;
}

Ref call_object(Value callable, CallArgs a) {
    try {
        return call(callable, a);
    } catch (const std::bad_alloc&) {
        return raise_no_memory();
    }
}

std::string function_str(Value f) {
    if (is_function(f)) return fmt::format("{}()", f.as<Function>()->qualname->view());
    if (is_method(f)) return function_str(f.as<Method>()->func);
    static Str* s_qualname = intern("__qualname__");
    Ref q = getattr_or_null(f, s_qualname);
    if (q && is_str(*q)) return fmt::format("{}()", q.as<Str>()->view());
    clear_error();
    Ref r = str(f);
    if (r) return std::string(r.as<Str>()->view());
    clear_error();
    return "object";
}

Ref call_function_ex(Value f, Value args, Value kwargs) {
    Ref targs;
    if (is_exact_tuple(args)) {
        targs = Ref::borrow(args);
    } else {
        if (!is_list(args)) {
            Ref it = get_iter(args);
            if (!it) {
                if (error_matches(&exc::TypeError)) {
                    clear_error();
                    return raisef(&exc::TypeError, "{} argument after * must be an iterable, not {}",
                                  function_str(f), type_name(args));
                }
                return nullptr;
            }
        }
        RefT<List> l = new_list();
        if (!l || !list_extend(l.get(), args)) return nullptr;
        targs = list_to_tuple(l.get());
        if (!targs) return nullptr;
    }
    Tuple* t = targs.as<Tuple>();
    if (kwargs.is_null() || (is_dict(kwargs) && kwargs.as<Dict>()->used == 0)) {
        return call_object(f, CallArgs{t->items, static_cast<size_t>(t->size), nullptr});
    }
    Ref kwd;
    if (kwargs.as_object()->type == &dict_type) {
        kwd = Ref::borrow(kwargs);
    } else {
        RefT<Dict> d = new_dict();
        if (!d) return nullptr;
        if (!dict_merge_op(d.value(), kwargs, f, true)) return nullptr;
        kwd = std::move(d);
    }
    Dict* d = kwd.as<Dict>();
    size_t nkw = static_cast<size_t>(d->used);
    RefT<Tuple> names = new_tuple(static_cast<int64_t>(nkw));
    if (!names) return nullptr;
    std::vector<Value> argv(static_cast<size_t>(t->size) + nkw);
    for (int64_t i = 0; i < t->size; ++i) argv[i] = t->items[i];
    int64_t pos = 0;
    Value k, v;
    size_t i = 0;
    while (dict_next(d, &pos, &k, &v)) {
        if (!is_str(k)) {
            // fill the rest so the tuple is valid before it dies
            for (size_t j = i; j < nkw; ++j) names->items[j] = Value::none();
            return raisef(&exc::TypeError, "{} keywords must be strings", function_str(f));
        }
        incref(k);
        names->items[i] = k;
        argv[static_cast<size_t>(t->size) + i] = v;
        ++i;
    }
    return call_object(f, CallArgs{argv.data(), static_cast<size_t>(t->size), names.get()});
}

Ref make_function(Frame* frame, Value code, Value defaults, Value kwdefaults, Value closure) {
    if (!code.is_object() || code.as_object()->type != &code_type)
        return raise(&exc::SystemError, "MAKE_FUNCTION: not a code object");
    RefT<Function> fn = new_function(code.as<CodeObject>(), frame->globals);
    if (!fn) return nullptr;
    if (fn->builtins != frame->builtins) {
        incref(frame->builtins);
        decref(fn->builtins);
        fn->builtins = frame->builtins;
    }
    if (!defaults.is_null() && !defaults.is_none()) {
        incref(defaults);
        fn->defaults = defaults.as<Tuple>();
    }
    if (!kwdefaults.is_null() && !kwdefaults.is_none()) {
        incref(kwdefaults);
        fn->kwdefaults = kwdefaults.as<Dict>();
    }
    if (!closure.is_null() && !closure.is_none()) {
        incref(closure);
        fn->closure = closure.as<Tuple>();
    }
    return Ref(std::move(fn));
}

}  // namespace toy::vm

namespace toy {

using namespace toy::vm;

Ref function_call(Value callable, CallArgs a) {
    ThreadState* ts = current_thread();
    Function* fn = callable.as<Function>();
    CodeObject* co = fn->code;
    bool is_gen = (co->flags & (kCoGenerator | kCoCoroutine | kCoAsyncGenerator)) != 0;
    Frame* f;
    try {
        f = make_call_frame(ts, fn, a.args, a.npos, a.kwnames, is_gen);
    } catch (const std::bad_alloc&) {
        return raise_no_memory();
    }
    if (!f) return nullptr;
    if (is_gen) return new_generator(f, fn);
    Ref r = run_frame(ts, f);
    frame_free(ts, f);
    return r;
}

}  // namespace toy
