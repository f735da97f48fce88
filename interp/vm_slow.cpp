// vm_slow.cpp: the out-of-line parts of instructions: name lookups that miss the caches,
// unpacking, building, raising, `with`, imports. Kept apart from the loop so that the loop
// stays small and hot.
#include <string>
#include <vector>

#include "interp/frame.h"
#include "interp/function.h"
#include "interp/generator.h"
#include "interp/traceback.h"
#include "interp/vm.h"
#include "interp/vm_internal.h"
#include "runtime/abstract.h"
#include "runtime/dict.h"
#include "runtime/errors.h"
#include "runtime/interpreter.h"
#include "runtime/list.h"
#include "runtime/misc_types.h"
#include "runtime/module.h"
#include "runtime/native_function.h"
#include "runtime/str.h"
#include "runtime/tuple.h"

namespace toy::vm {

Str* name_at(CodeObject* code, uint32_t i) { return code->names->items[i].as<Str>(); }

namespace {

// Sets `name` (NameError.name) or `name`/`obj` (AttributeError) on the current exception, as
// CPython does for the suggestions of print_exception.
void set_error_name(Str* name, Value obj = Value::null()) {
    Value e = current_error();
    if (e.is_null()) return;
    static Str* s_name = intern("name");
    static Str* s_obj = intern("obj");
    Ref saved = fetch_error();
    if (!obj.is_null()) {
        Ref cur = getattr_or_null(e, s_name);
        if (cur && !(*cur).is_none()) {
            restore_error(std::move(saved));
            return;
        }
        clear_error();
        if (!setattr(e, s_obj, obj)) clear_error();
    }
    if (!setattr(e, s_name, Value::object(name))) clear_error();
    restore_error(std::move(saved));
}

Ref name_error(Str* name) {
    (void)raisef(&exc::NameError, "name '{}' is not defined", name->view());
    set_error_name(name);
    return nullptr;
}

bool has_generic_getattr(Type* tp) { return tp->getattr == nullptr || tp->getattr == &generic_getattr; }

}  // namespace

Ref lookup_special(Value obj, Str* name) {
    Type* tp = type_of(obj);
    Value d = type_lookup(tp, name);
    if (d.is_null()) return nullptr;
    if (is_function(d)) return new_method(d, obj);
    Type* dt = type_of(d);
    if (dt->descr_get) return dt->descr_get(d, obj, tp);
    return Ref::borrow(d);
}

Ref load_name(Frame* f, Str* name) {
    if (!f->locals) return raisef(&exc::SystemError, "no locals when loading '{}'", name->view());
    Value v = dict_get_str(f->locals, name);
    if (!v.is_null()) return Ref::borrow(v);
    v = dict_get_str(f->globals, name);
    if (!v.is_null()) return Ref::borrow(v);
    v = dict_get_str(f->builtins, name);
    if (!v.is_null()) return Ref::borrow(v);
    return name_error(name);
}

bool store_name(Frame* f, Str* name, Value v) {
    if (!f->locals) {
        (void)raisef(&exc::SystemError, "no locals found when storing '{}'", name->view());
        return false;
    }
    return dict_set_str(f->locals, name, v);
}

bool delete_name(Frame* f, Str* name) {
    if (!f->locals) {
        (void)raisef(&exc::SystemError, "no locals when deleting '{}'", name->view());
        return false;
    }
    int r = dict_del(f->locals, Value::object(name));
    if (r < 0) return false;
    if (r == 0) {
        (void)name_error(name);
        return false;
    }
    return true;
}

Ref load_global_slow(Frame* f, Str* name, uint32_t* cache) {
    int64_t h = str_hash(name);
    int64_t idx = dict_lookup_index(f->globals, Value::object(name), h);
    if (idx >= 0) {
        Value v = f->globals->entries[idx].value;
        if (idx < (int64_t{1} << 30)) {
            cache[0] = 0;
            cache[1] = static_cast<uint32_t>((idx + 1) << 1);
        }
        return Ref::borrow(v);
    }
    if (error_occurred()) return nullptr;
    idx = dict_lookup_index(f->builtins, Value::object(name), h);
    if (idx >= 0) {
        Value v = f->builtins->entries[idx].value;
        if (idx < (int64_t{1} << 30)) {
            cache[0] = static_cast<uint32_t>(f->globals->version);
            cache[1] = static_cast<uint32_t>(((idx + 1) << 1) | 1);
        }
        return Ref::borrow(v);
    }
    if (error_occurred()) return nullptr;
    return name_error(name);
}

bool delete_global(Frame* f, Str* name) {
    int r = dict_del(f->globals, Value::object(name));
    if (r < 0) return false;
    if (r == 0) {
        (void)name_error(name);
        return false;
    }
    return true;
}

Ref load_classderef(Frame* f, uint32_t i) {
    Str* name = f->code->localsplus_names->items[i].as<Str>();
    if (f->locals) {
        Value v = dict_get_str(f->locals, name);
        if (!v.is_null()) return Ref::borrow(v);
    }
    Value v = f->localsplus()[i].as<Cell>()->contents;
    if (v.is_null()) {
        raise_unbound_deref(f->code, i);
        return nullptr;
    }
    return Ref::borrow(v);
}

void raise_unbound_local(CodeObject* code, uint32_t i) {
    (void)raisef(&exc::UnboundLocalError, "cannot access local variable '{}' where it is not associated with a value",
           code->localsplus_names->items[i].as<Str>()->view());
    set_error_name(code->localsplus_names->items[i].as<Str>());
}

void raise_unbound_deref(CodeObject* code, uint32_t i) {
    std::string_view name = code->localsplus_names->items[i].as<Str>()->view();
    if (i < code->nlocals + code->ncells) {
        (void)raisef(&exc::UnboundLocalError,
               "cannot access local variable '{}' where it is not associated with a value", name);
    } else {
        (void)raisef(&exc::NameError,
               "cannot access free variable '{}' where it is not associated with a value in enclosing scope",
               name);
    }
}

Ref load_attr_slow(Value obj, Str* name, uint32_t* cache) {
    Ref r = getattr(obj, name);
    if (!r) {
        if (error_matches(&exc::AttributeError)) set_error_name(name, obj);
        return r;
    }
    if (!obj.is_object()) return r;
    Type* tp = obj.as_object()->type;
    if (tp->version_tag == 0 || !has_generic_getattr(tp)) return r;
    Value d = type_lookup(tp, name);
    int32_t offset;
    if (!d.is_null() && member_descriptor_offset(d, &offset)) {
        // A __slots__ member (a data descriptor: it wins over any instance dict).
        if (offset > 0 && offset < (int32_t{1} << 29)) {
            cache[0] = tp->version_tag;
            cache[1] = static_cast<uint32_t>((offset << 2) | 3);
        }
        return r;
    }
    if (tp->dict_offset <= 0) return r;
    if (!d.is_null() && type_of(d)->descr_set) return r;  // a data descriptor wins
    Dict* dict = *reinterpret_cast<Dict**>(reinterpret_cast<char*>(obj.as_object()) + tp->dict_offset);
    if (!dict) return r;
    int64_t idx = dict_lookup_index(dict, Value::object(name), str_hash(name));
    if (idx < 0) {
        clear_error();
        return r;
    }
    if (idx < (int64_t{1} << 29)) {
        cache[0] = tp->version_tag;
        cache[1] = static_cast<uint32_t>((idx << 2) | 1);
    }
    return r;
}

bool load_method_slow(Value obj, Str* name, uint32_t* cache, Value* out) {
    Type* tp = type_of(obj);
    if (has_generic_getattr(tp)) {
        Value d = type_lookup(tp, name);
        if (!d.is_null() && type_has(type_of(d), kMethodDescriptor)) {
            bool shadowed = false;
            if (obj.is_object() && tp->dict_offset > 0) {
                Dict* dict = *reinterpret_cast<Dict**>(reinterpret_cast<char*>(obj.as_object()) +
                                                       tp->dict_offset);
                if (dict && !dict_get_str(dict, name).is_null()) shadowed = true;
            }
            if (!shadowed) {
                incref(d);
                incref(obj);
                out[0] = d;
                out[1] = obj;
                if (obj.is_object() && tp->version_tag != 0) {
                    cache[0] = tp->version_tag;
                    cache[1] = 2;
                }
                return true;
            }
        }
    }
    Ref r = getattr(obj, name);
    if (!r) {
        if (error_matches(&exc::AttributeError)) set_error_name(name, obj);
        return false;
    }
    out[0] = Value::null();
    out[1] = r.release();
    return true;
}

Ref binary_op_slow(uint32_t arg, Value a, Value b) {
    BinOp op = static_cast<BinOp>(arg & 0x7F);
    return (arg & kInplaceBit) ? inplace_op(op, a, b) : binary_op(op, a, b);
}

Ref subscript_slow(Value container, Value key) { return getitem(container, key); }

bool unpack_sequence(Value seq, uint32_t n, Value* out) {
    Ref it = get_iter(seq);
    if (!it) {
        if (error_matches(&exc::TypeError)) {
            Type* tp = type_of(seq);
            if (!tp->iter && !tp->getitem) {
                clear_error();
                (void)raisef(&exc::TypeError, "cannot unpack non-iterable {} object", type_name(seq));
            }
        }
        return false;
    }
    uint32_t got = 0;
    for (; got < n; ++got) {
        Ref v = iter_next(*it);
        if (!v) {
            if (!error_occurred())
                (void)raisef(&exc::ValueError, "not enough values to unpack (expected {}, got {})", n, got);
            for (uint32_t i = 0; i < got; ++i) decref(out[i]);
            return false;
        }
        out[got] = v.release();
    }
    Ref extra = iter_next(*it);
    if (extra || error_occurred()) {
        if (extra) (void)raisef(&exc::ValueError, "too many values to unpack (expected {})", n);
        for (uint32_t i = 0; i < n; ++i) decref(out[i]);
        return false;
    }
    return true;
}

bool unpack_ex(Value seq, uint32_t before, uint32_t after, Value* out) {
    Ref it = get_iter(seq);
    if (!it) {
        if (error_matches(&exc::TypeError)) {
            Type* tp = type_of(seq);
            if (!tp->iter && !tp->getitem) {
                clear_error();
                (void)raisef(&exc::TypeError, "cannot unpack non-iterable {} object", type_name(seq));
            }
        }
        return false;
    }
    uint32_t got = 0;
    for (; got < before; ++got) {
        Ref v = iter_next(*it);
        if (!v) {
            if (!error_occurred())
                (void)raisef(&exc::ValueError, "not enough values to unpack (expected at least {}, got {})",
                       before + after, got);
            for (uint32_t i = 0; i < got; ++i) decref(out[i]);
            return false;
        }
        out[got] = v.release();
    }
    RefT<List> rest = new_list();
    if (!rest || !list_extend(rest.get(), *it)) {
        for (uint32_t i = 0; i < got; ++i) decref(out[i]);
        return false;
    }
    List* l = rest.get();
    if (l->size < static_cast<int64_t>(after)) {
        (void)raisef(&exc::ValueError, "not enough values to unpack (expected at least {}, got {})",
               before + after, before + l->size);
        for (uint32_t i = 0; i < got; ++i) decref(out[i]);
        return false;
    }
    // The last `after` items move out of the list.
    for (uint32_t i = 0; i < after; ++i) out[before + 1 + i] = l->items[l->size - after + i];
    l->size -= after;
    out[before] = Value::object(rest.release());
    return true;
}

Ref format_value(Value v, uint32_t flags, Value spec) {
    Ref conv;
    switch (flags & 3) {
    case 1: conv = str(v); break;
    case 2: conv = repr(v); break;
    case 3: conv = ascii(v); break;
    default: conv = Ref::borrow(v); break;
    }
    if (!conv) return nullptr;
    if (spec.is_null() && is_exact_str(*conv)) return conv;
    return format(*conv, spec.is_null() ? empty_str() : spec.as<Str>());
}

Ref build_string(const Value* items, uint32_t n) {
    if (n == 0) return Ref::borrow(Value::object(empty_str()));
    if (n == 1) return Ref::borrow(items[0]);
    int64_t total = 0;
    for (uint32_t i = 0; i < n; ++i) total += items[i].as<Str>()->nbytes;
    RefT<Str> s = new_str_uninit(total);
    if (!s) return nullptr;
    char* p = s->data;
    for (uint32_t i = 0; i < n; ++i) {
        Str* part = items[i].as<Str>();
        std::memcpy(p, part->data, static_cast<size_t>(part->nbytes));
        p += part->nbytes;
    }
    *p = 0;
    str_finish(s.get());
    return Ref(std::move(s));
}

Ref build_map(const Value* items, uint32_t n) {
    RefT<Dict> d = new_dict(n);
    if (!d) return nullptr;
    for (uint32_t i = 0; i < n; ++i)
        if (!dict_set(d.get(), items[2 * i], items[2 * i + 1])) return nullptr;
    return Ref(std::move(d));
}

Ref build_const_key_map(const Value* values, uint32_t n, Value keys) {
    Tuple* k = keys.as<Tuple>();
    RefT<Dict> d = new_dict(n);
    if (!d) return nullptr;
    for (uint32_t i = 0; i < n; ++i)
        if (!dict_set(d.get(), k->items[i], values[i])) return nullptr;
    return Ref(std::move(d));
}

bool dict_merge_op(Value dict, Value update, Value func, bool check_dups) {
    Dict* d = dict.as<Dict>();
    static Str* s_keys = intern("keys");
    if (!check_dups) {
        if (is_dict(update)) return dict_update(d, update);
        Type* tp = type_of(update);
        if (type_lookup(tp, s_keys).is_null()) {
            (void)raisef(&exc::TypeError, "'{}' object is not a mapping", type_name(update));
            return false;
        }
        return dict_update(d, update);
    }
    Ref keys;
    if (is_dict(update)) {
        int64_t pos = 0;
        Value k, v;
        Dict* src = update.as<Dict>();
        while (dict_next(src, &pos, &k, &v)) {
            Value existing = dict_get(d, k);
            if (!existing.is_null()) {
                if (is_str(k)) {
                    (void)raisef(&exc::TypeError, "{} got multiple values for keyword argument '{}'",
                           function_str(func), k.as<Str>()->view());
                } else {
                    (void)raisef(&exc::TypeError, "{} keywords must be strings", function_str(func));
                }
                return false;
            }
            if (error_occurred()) return false;
            Ref kk = Ref::borrow(k), vv = Ref::borrow(v);
            if (!dict_set(d, *kk, *vv)) return false;
        }
        return true;
    }
    Type* tp = type_of(update);
    if (type_lookup(tp, s_keys).is_null()) {
        (void)raisef(&exc::TypeError, "{} argument after ** must be a mapping, not {}", function_str(func),
               type_name(update));
        return false;
    }
    keys = call_method(update, s_keys, {});
    if (!keys) return false;
    Ref it = get_iter(*keys);
    if (!it) return false;
    for (;;) {
        Ref k = iter_next(*it);
        if (!k) {
            if (error_occurred()) return false;
            break;
        }
        Value existing = dict_get(d, *k);
        if (!existing.is_null()) {
            if (is_str(*k)) {
                (void)raisef(&exc::TypeError, "{} got multiple values for keyword argument '{}'",
                       function_str(func), k.as<Str>()->view());
            } else {
                (void)raisef(&exc::TypeError, "{} keywords must be strings", function_str(func));
            }
            return false;
        }
        if (error_occurred()) return false;
        Ref v = getitem(update, *k);
        if (!v) return false;
        if (!dict_set(d, *k, *v)) return false;
    }
    return true;
}

bool list_extend_op(Value list, Value iterable) {
    if (list_extend(list.as<List>(), iterable)) return true;
    if (error_matches(&exc::TypeError)) {
        Type* tp = type_of(iterable);
        if (!tp->iter && !tp->getitem) {
            clear_error();
            (void)raisef(&exc::TypeError, "Value after * must be an iterable, not {}", type_name(iterable));
        }
    }
    return false;
}

namespace {

bool is_exception_class(Value v) {
    return v.is_object() && v.as_object()->type &&
           type_has(v.as_object()->type, kTypeSubclass) &&
           type_has(v.as<Type>(), kExceptionSubclass);
}
bool is_exception_instance(Value v) {
    return v.is_object() && type_has(v.as_object()->type, kExceptionSubclass);
}

// An exception instance from a class or an instance; null with TypeError otherwise.
Ref make_exception(Value v, const char* what) {
    if (is_exception_class(v)) {
        Ref e = call(v, {});
        if (!e) return nullptr;
        if (!is_exception_instance(*e)) {
            return raisef(&exc::TypeError,
                          "calling {} should have returned an instance of BaseException, not {}",
                          v.as<Type>()->name_str ? v.as<Type>()->name_str->view() : v.as<Type>()->name,
                          type_name(*e));
        }
        return e;
    }
    if (is_exception_instance(v)) return Ref::borrow(v);
    return raise(&exc::TypeError, what);
}

}  // namespace

void chain_context(ThreadState* ts, Value e) {
    Value handled = topmost_handled_exc(ts);
    if (handled.is_null() || handled.is_none() || handled.is(e)) return;
    if (!is_exception_instance(e) || !is_exception_instance(handled)) return;
    // Avoid a cycle: if e is somewhere in handled's context chain, cut it there.
    Value o = handled;
    int guard = 0;
    while (guard++ < 100000) {
        Value ctx = o.as<BaseExceptionObject>()->context;
        if (ctx.is_null()) break;
        if (ctx.is(e)) {
            o.as<BaseExceptionObject>()->context = Value::null();
            decref(ctx);
            break;
        }
        o = ctx;
    }
    BaseExceptionObject* be = e.as<BaseExceptionObject>();
    incref(handled);
    Value old = be->context;
    be->context = handled;
    decref(old);
}

bool do_raise(ThreadState* ts, Value exc_v, Value cause) {
    if (exc_v.is_null()) {
        Value h = topmost_handled_exc(ts);
        if (h.is_null() || h.is_none()) {
            (void)raise(&exc::RuntimeError, "No active exception to reraise");
            return false;
        }
        restore_error(Ref::borrow(h));
        return true;
    }
    Ref e = make_exception(exc_v, "exceptions must derive from BaseException");
    if (!e) return false;
    if (!cause.is_null()) {
        BaseExceptionObject* be = e.as<BaseExceptionObject>();
        Value newcause = Value::null();
        if (cause.is_none()) {
            newcause = Value::null();
        } else {
            Ref c = make_exception(cause, "exception causes must derive from BaseException");
            if (!c) return false;
            newcause = c.release();
        }
        Value old = be->cause;
        be->cause = newcause;
        be->suppress_context = true;
        decref(old);
    }
    (void)set_exception(std::move(e));  // chains the handled exception as __context__
    return false;
}

int check_exc_match(Value e, Value type) {
    if (is_tuple(type)) {
        Tuple* t = type.as<Tuple>();
        for (int64_t i = 0; i < t->size; ++i) {
            if (!is_exception_class(t->items[i])) {
                (void)raise(&exc::TypeError,
                      "catching classes that do not inherit from BaseException is not allowed");
                return -1;
            }
        }
    } else if (!is_exception_class(type)) {
        (void)raise(&exc::TypeError, "catching classes that do not inherit from BaseException is not allowed");
        return -1;
    }
    if (is_tuple(type)) {
        Tuple* t = type.as<Tuple>();
        for (int64_t i = 0; i < t->size; ++i)
            if (is_subtype(type_of(e), t->items[i].as<Type>())) return 1;
        return 0;
    }
    return is_subtype(type_of(e), type.as<Type>()) ? 1 : 0;
}

bool before_with(Value mgr, Value* exit_out, Value* res_out) {
    static Str* s_enter = intern("__enter__");
    static Str* s_exit = intern("__exit__");
    Ref enter = lookup_special(mgr, s_enter);
    if (!enter) {
        if (!error_occurred())
            (void)raisef(&exc::TypeError, "'{}' object does not support the context manager protocol",
                   type_name(mgr));
        return false;
    }
    Ref exit = lookup_special(mgr, s_exit);
    if (!exit) {
        if (!error_occurred())
            (void)raisef(&exc::TypeError,
                   "'{}' object does not support the context manager protocol (missed __exit__ method)",
                   type_name(mgr));
        return false;
    }
    Ref res = call(*enter, {});
    if (!res) return false;
    *exit_out = exit.release();
    *res_out = res.release();
    return true;
}

Ref with_except_start(Value exit, Value e) {
    Value tb = Value::none();
    if (is_exception_instance(e)) {
        Value t = e.as<BaseExceptionObject>()->traceback;
        if (!t.is_null()) tb = t;
    }
    return call(exit, {Value::object(type_of(e)), e, tb});
}

Ref import_name(Frame* f, Str* name, Value fromlist, Value level) {
    static Str* s_import = intern("__import__");
    Value imp = dict_get_str(f->builtins, s_import);
    if (imp.is_null()) return raise(&exc::ImportError, "__import__ not found");
    Value locals = f->locals ? Value::object(f->locals) : Value::none();
    return call(imp, {Value::object(name), Value::object(f->globals), locals, fromlist, level});
}

Ref import_from(Value module, Str* name) {
    Ref r = getattr_or_null(module, name);
    if (r) return r;
    if (error_occurred()) return nullptr;
    static Str* s_name = intern("__name__");
    static Str* s_file = intern("__file__");
    Ref modname = getattr_or_null(module, s_name);
    if (!modname && error_occurred()) clear_error();
    if (modname && is_str(*modname)) {
        // A submodule imported as a side effect: sys.modules["pkg.name"].
        ThreadState* ts = current_thread();
        if (ts->interp && ts->interp->modules) {
            std::string full = fmt::format("{}.{}", modname.as<Str>()->view(), name->view());
            RefT<Str> key = new_str(full);
            if (!key) return nullptr;
            Value m = dict_get(ts->interp->modules, key.value());
            if (!m.is_null()) return Ref::borrow(m);
            clear_error();
        }
        Ref file = getattr_or_null(module, s_file);
        if (!file) clear_error();
        std::string where = file && is_str(*file) ? std::string(file.as<Str>()->view()) : "unknown location";
        return raisef(&exc::ImportError, "cannot import name '{}' from '{}' ({})", name->view(),
                      modname.as<Str>()->view(), where);
    }
    return raisef(&exc::ImportError, "cannot import name '{}' from '<unknown module name>' (unknown location)",
                  name->view());
}

bool import_star(Frame* f, Value module) {
    if (!f->locals) {
        (void)raise(&exc::SystemError, "no locals found during 'import *'");
        return false;
    }
    static Str* s_all = intern("__all__");
    static Str* s_dict = intern("__dict__");
    Ref all = getattr_or_null(module, s_all);
    if (!all && error_occurred()) return false;
    if (all) {
        Ref it = get_iter(*all);
        if (!it) return false;
        for (;;) {
            Ref name = iter_next(*it);
            if (!name) return !error_occurred();
            if (!is_str(*name)) {
                (void)raisef(&exc::TypeError, "Item in module.__all__ must be str, not {}", type_name(*name));
                return false;
            }
            Ref v = getattr(module, name.as<Str>());
            if (!v) return false;
            if (!dict_set(f->locals, *name, *v)) return false;
        }
    }
    Ref d = getattr_or_null(module, s_dict);
    if (!d) {
        if (!error_occurred()) (void)raise(&exc::ImportError, "from-import-* object has no __dict__ and no __all__");
        return false;
    }
    if (!is_dict(*d)) return true;
    int64_t pos = 0;
    Value k, v;
    std::vector<std::pair<Value, Value>> items;
    while (dict_next(d.as<Dict>(), &pos, &k, &v)) {
        if (!is_str(k) || k.as<Str>()->view().starts_with("_")) continue;
        items.emplace_back(k, v);
    }
    for (auto& [key, val] : items)
        if (!dict_set(f->locals, key, val)) return false;
    return true;
}

bool print_expr(Value v) {
    ThreadState* ts = current_thread();
    static Str* s_hook = intern("displayhook");
    if (!ts->interp || !ts->interp->sys) {
        (void)raise(&exc::RuntimeError, "lost sys.displayhook");
        return false;
    }
    Ref hook = getattr_or_null(Value::object(reinterpret_cast<Object*>(ts->interp->sys)), s_hook);
    if (!hook) {
        if (!error_occurred()) (void)raise(&exc::RuntimeError, "lost sys.displayhook");
        return false;
    }
    Ref r = call(*hook, {v});
    return static_cast<bool>(r);
}

bool setup_annotations(Frame* f) {
    static Str* s_ann = intern("__annotations__");
    if (!f->locals) {
        (void)raise(&exc::SystemError, "no locals found when setting up annotations");
        return false;
    }
    if (!dict_get_str(f->locals, s_ann).is_null()) return true;
    RefT<Dict> d = new_dict();
    if (!d) return false;
    return dict_set_str(f->locals, s_ann, d.value());
}

Ref get_yield_from_iter(Value v) {
    if (v.is_object() && v.as_object()->type == &generator_type) return Ref::borrow(v);
    if (is_coroutine_exact(v))  // `yield from` is a SyntaxError in async def: never allowed here
        return raise(&exc::TypeError, "cannot 'yield from' a coroutine object in a non-coroutine generator");
    return get_iter(v);
}

Ref load_build_class(Frame* f) {
    static Str* s_bc = intern("__build_class__");
    Value v = dict_get_str(f->builtins, s_bc);
    if (v.is_null()) return raise(&exc::NameError, "__build_class__ not found");
    return Ref::borrow(v);
}

const ExceptionTableEntry* find_handler(CodeObject* code, uint32_t pc) {
    for (const ExceptionTableEntry& e : code->exception_table)
        if (e.start <= pc && pc < e.end) return &e;
    return nullptr;
}

}  // namespace toy::vm
