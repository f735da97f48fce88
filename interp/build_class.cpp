// build_class.cpp: builtins.__build_class__(func, name, *bases, **kwds), what a `class`
// statement calls: picks the metaclass, runs the class body with a fresh namespace as its
// locals dict, then calls metaclass(name, bases, namespace, **kwds).
#include <vector>

#include "interp/frame.h"
#include "interp/function.h"
#include "interp/vm.h"
#include "interp/vm_internal.h"
#include "runtime/abstract.h"
#include "runtime/dict.h"
#include "runtime/errors.h"
#include "runtime/str.h"
#include "runtime/tuple.h"

namespace toy {

using namespace toy::vm;

namespace {

bool is_type(Value v) { return v.is_object() && type_has(v.as_object()->type, kTypeSubclass); }

// CPython's _PyType_CalculateMetaclass: the most derived metaclass of meta and the bases'.
Type* calculate_metaclass(Type* meta, Tuple* bases) {
    Type* winner = meta;
    for (int64_t i = 0; i < bases->size; ++i) {
        Type* t = type_of(bases->items[i]);
        if (is_subtype(winner, t)) continue;
        if (is_subtype(t, winner)) {
            winner = t;
            continue;
        }
        (void)raise(&exc::TypeError,
              "metaclass conflict: the metaclass of a derived class must be a (non-strict) "
              "subclass of the metaclasses of all its bases");
        return nullptr;
    }
    return winner;
}

}  // namespace

Ref builtin_build_class(Value self, CallArgs a) {
    if (a.npos < 2) return raise(&exc::TypeError, "__build_class__: not enough arguments");
    Value func = a.args[0];
    if (!is_function(func)) return raise(&exc::TypeError, "__build_class__: func must be a function");
    Value name = a.args[1];
    if (!is_str(name)) return raise(&exc::TypeError, "__build_class__: name is not a string");
    RefT<Tuple> bases = new_tuple_from(a.args + 2, static_cast<int64_t>(a.npos - 2));
    if (!bases) return nullptr;

    // Keywords: metaclass=..., the rest go to the metaclass.
    static Str* s_metaclass = intern("metaclass");
    Value meta = Value::null();
    std::vector<Value> kwvalues;
    std::vector<Value> kwkeys;
    size_t nkw = a.nkw();
    for (size_t i = 0; i < nkw; ++i) {
        Value k = a.kwnames->items[i];
        Value v = a.args[a.npos + i];
        if (is_str(k) && str_eq(k.as<Str>(), s_metaclass)) {
            meta = v;
        } else {
            kwkeys.push_back(k);
            kwvalues.push_back(v);
        }
    }
    Ref meta_ref;
    if (meta.is_null()) {
        meta_ref = Ref::borrow(Value::object(bases->size == 0 ? &type_type : type_of(bases->items[0])));
    } else {
        meta_ref = Ref::borrow(meta);
    }
    if (is_type(*meta_ref)) {
        Type* winner = calculate_metaclass(meta_ref.as<Type>(), bases.get());
        if (!winner) return nullptr;
        meta_ref = Ref::borrow(Value::object(winner));
    }

    RefT<Tuple> kwnames;
    if (!kwkeys.empty()) {
        kwnames = new_tuple_from(kwkeys.data(), static_cast<int64_t>(kwkeys.size()));
        if (!kwnames) return nullptr;
    }

    // The namespace: __prepare__(name, bases, **kwds) if the metaclass has one.
    static Str* s_prepare = intern("__prepare__");
    Ref ns;
    Ref prepare = getattr_or_null(*meta_ref, s_prepare);
    if (prepare) {
        std::vector<Value> argv = {name, bases.value()};
        argv.insert(argv.end(), kwvalues.begin(), kwvalues.end());
        ns = call(*prepare, CallArgs{argv.data(), 2, kwnames.get()});
        if (!ns) return nullptr;
    } else {
        if (error_occurred()) return nullptr;
        ns = Ref(new_dict());
        if (!ns) return nullptr;
    }
    if (!is_dict(*ns)) {
        return raisef(&exc::TypeError, "{}.__prepare__() must return a mapping, not {}",
                      is_type(*meta_ref) ? std::string(type_name(Value::object(meta_ref.as<Type>())))
                                         : std::string("<metaclass>"),
                      type_name(*ns));
    }

    // Run the body with the namespace as its locals.
    ThreadState* ts = current_thread();
    Function* fn = func.as<Function>();
    Frame* f = make_call_frame(ts, fn, nullptr, 0, nullptr, false);
    if (!f) return nullptr;
    incref(*ns);
    f->locals = ns.as<Dict>();
    Ref body = run_frame(ts, f);
    frame_free(ts, f);
    if (!body) return nullptr;

    std::vector<Value> argv = {name, bases.value(), *ns};
    argv.insert(argv.end(), kwvalues.begin(), kwvalues.end());
    return call(*meta_ref, CallArgs{argv.data(), 3, kwnames.get()});
}

}  // namespace toy
