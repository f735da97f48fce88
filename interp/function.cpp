// function.cpp: the `function` and `method` types, and vm_init().
#include "interp/function.h"

#include <cstddef>
#include <mutex>

#include "interp/generator.h"
#include "interp/traceback.h"
#include "interp/vm.h"
#include "runtime/abstract.h"
#include "runtime/dict.h"
#include "runtime/errors.h"
#include "runtime/interpreter.h"
#include "runtime/thread_state.h"
#include "runtime/str.h"
#include "runtime/tuple.h"

#pragma GCC diagnostic ignored "-Winvalid-offsetof"

namespace toy {

Type function_type;
Type method_type;

namespace {

Function* as_fn(Value v) { return v.as<Function>(); }

Value none_if_null(Value v) { return v.is_null() ? Value::none() : v; }

// ---- function --------------------------------------------------------------------------------

void function_dealloc(Object* o) {
    Function* f = static_cast<Function*>(o);
    decref(f->code);
    decref(f->globals);
    if (f->builtins) decref(f->builtins);
    decref(f->name);
    decref(f->qualname);
    decref(f->module);
    decref(f->doc);
    if (f->defaults) decref(f->defaults);
    if (f->kwdefaults) decref(f->kwdefaults);
    if (f->closure) decref(f->closure);
    if (f->dict) decref(f->dict);
    decref(f->annotations);
    object_free(f, sizeof(Function));
}

Ref function_repr(Value v) {
    Function* f = as_fn(v);
    return Ref(new_str(fmt::format("<function {} at {}>", f->qualname->view(),
                                   static_cast<const void*>(f))));
}

Ref function_descr_get(Value descr, Value obj, Type* owner) {
    if (obj.is_null() || obj.is_none()) return Ref::borrow(descr);
    return new_method(descr, obj);
}

Ref fn_get_name(Value self) { return Ref::borrow(Value::object(as_fn(self)->name)); }
bool fn_set_name(Value self, Value v) {
    if (v.is_null() || !is_str(v)) {
        (void)raise(&exc::TypeError, "__name__ must be set to a string object");
        return false;
    }
    Function* f = as_fn(self);
    incref(v);
    decref(f->name);
    f->name = v.as<Str>();
    return true;
}
Ref fn_get_qualname(Value self) { return Ref::borrow(Value::object(as_fn(self)->qualname)); }
bool fn_set_qualname(Value self, Value v) {
    if (v.is_null() || !is_str(v)) {
        (void)raise(&exc::TypeError, "__qualname__ must be set to a string object");
        return false;
    }
    Function* f = as_fn(self);
    incref(v);
    decref(f->qualname);
    f->qualname = v.as<Str>();
    return true;
}
Ref fn_get_module(Value self) { return Ref::borrow(none_if_null(as_fn(self)->module)); }
bool fn_set_module(Value self, Value v) {
    Function* f = as_fn(self);
    Value nv = v.is_null() ? Value::none() : v;
    incref(nv);
    Value old = f->module;
    f->module = nv;
    decref(old);
    return true;
}
Ref fn_get_doc(Value self) { return Ref::borrow(none_if_null(as_fn(self)->doc)); }
bool fn_set_doc(Value self, Value v) {
    Function* f = as_fn(self);
    Value nv = v.is_null() ? Value::none() : v;
    incref(nv);
    Value old = f->doc;
    f->doc = nv;
    decref(old);
    return true;
}
Ref fn_get_defaults(Value self) {
    Function* f = as_fn(self);
    return f->defaults ? Ref::borrow(Value::object(f->defaults)) : Ref::none();
}
bool fn_set_defaults(Value self, Value v) {
    Function* f = as_fn(self);
    if (!v.is_null() && !v.is_none() && !is_tuple(v)) {
        (void)raise(&exc::TypeError, "__defaults__ must be set to a tuple object");
        return false;
    }
    Tuple* old = f->defaults;
    f->defaults = nullptr;
    if (!v.is_null() && !v.is_none()) {
        incref(v);
        f->defaults = v.as<Tuple>();
    }
    if (old) decref(old);
    return true;
}
Ref fn_get_kwdefaults(Value self) {
    Function* f = as_fn(self);
    return f->kwdefaults ? Ref::borrow(Value::object(f->kwdefaults)) : Ref::none();
}
bool fn_set_kwdefaults(Value self, Value v) {
    Function* f = as_fn(self);
    if (!v.is_null() && !v.is_none() && !is_dict(v)) {
        (void)raise(&exc::TypeError, "__kwdefaults__ must be set to a dict object");
        return false;
    }
    Dict* old = f->kwdefaults;
    f->kwdefaults = nullptr;
    if (!v.is_null() && !v.is_none()) {
        incref(v);
        f->kwdefaults = v.as<Dict>();
    }
    if (old) decref(old);
    return true;
}
Ref fn_get_closure(Value self) {
    Function* f = as_fn(self);
    return f->closure ? Ref::borrow(Value::object(f->closure)) : Ref::none();
}
Ref fn_get_code(Value self) { return Ref::borrow(Value::object(as_fn(self)->code)); }
Ref fn_get_globals(Value self) { return Ref::borrow(Value::object(as_fn(self)->globals)); }
Ref fn_get_builtins(Value self) { return Ref::borrow(Value::object(as_fn(self)->builtins)); }
Ref fn_get_dict(Value self) {
    Function* f = as_fn(self);
    if (!f->dict) {
        RefT<Dict> d = new_dict();
        if (!d) return nullptr;
        f->dict = d.release();
    }
    return Ref::borrow(Value::object(f->dict));
}
bool fn_set_dict(Value self, Value v) {
    if (v.is_null() || !is_dict(v)) {
        (void)raise(&exc::TypeError, "__dict__ must be set to a dictionary");
        return false;
    }
    Function* f = as_fn(self);
    incref(v);
    Dict* old = f->dict;
    f->dict = v.as<Dict>();
    if (old) decref(old);
    return true;
}
Ref fn_get_annotations(Value self) {
    Function* f = as_fn(self);
    if (f->annotations.is_null()) {
        RefT<Dict> d = new_dict();
        if (!d) return nullptr;
        f->annotations = Value::object(d.release());
    }
    return Ref::borrow(f->annotations);
}
bool fn_set_annotations(Value self, Value v) {
    Function* f = as_fn(self);
    if (!v.is_null()) incref(v);
    Value old = f->annotations;
    f->annotations = v;
    decref(old);
    return true;
}

const GetSetDef kFunctionGetSets[] = {
    {"__name__", fn_get_name, fn_set_name},
    {"__qualname__", fn_get_qualname, fn_set_qualname},
    {"__module__", fn_get_module, fn_set_module},
    {"__doc__", fn_get_doc, fn_set_doc},
    {"__defaults__", fn_get_defaults, fn_set_defaults},
    {"__kwdefaults__", fn_get_kwdefaults, fn_set_kwdefaults},
    {"__closure__", fn_get_closure},
    {"__code__", fn_get_code},
    {"__globals__", fn_get_globals},
    {"__builtins__", fn_get_builtins},
    {"__dict__", fn_get_dict, fn_set_dict},
    {"__annotations__", fn_get_annotations, fn_set_annotations},
    {nullptr, nullptr},
};

// ---- method ----------------------------------------------------------------------------------

void method_dealloc(Object* o) {
    Method* m = static_cast<Method*>(o);
    decref(m->func);
    decref(m->self);
    object_free(m, sizeof(Method));
}

Ref method_call(Value callable, CallArgs a) {
    Method* m = callable.as<Method>();
    size_t n = a.npos + a.nkw();
    Value small[16];
    std::vector<Value> big;
    Value* argv = small;
    if (n + 1 > 16) {
        big.resize(n + 1);
        argv = big.data();
    }
    argv[0] = m->self;
    for (size_t i = 0; i < n; ++i) argv[i + 1] = a.args[i];
    // Keep the method's parts alive during the call (the callee may drop the method).
    Ref hold = Ref::borrow(callable);
    CallArgs b{argv, a.npos + 1, a.kwnames};
    if (is_function(m->func)) return function_call(m->func, b);
    return call(m->func, b);
}

Ref method_repr(Value v) {
    Method* m = v.as<Method>();
    static Str* s_qualname = intern("__qualname__");
    static Str* s_name = intern("__name__");
    Ref name = getattr_or_null(m->func, s_qualname);
    if (!name) {
        if (error_occurred()) return nullptr;
        name = getattr_or_null(m->func, s_name);
        if (!name && error_occurred()) return nullptr;
    }
    std::string fname = name && is_str(*name) ? std::string(name.as<Str>()->view()) : "?";
    Ref self_repr = repr(m->self);
    if (!self_repr) return nullptr;
    return Ref(new_str(fmt::format("<bound method {} of {}>", fname, self_repr.as<Str>()->view())));
}

Ref method_getattr(Value self, Str* name) {
    // The method's own attributes (__self__, __func__, ...) first, then the function's.
    Type* tp = type_of(self);
    Value d = type_lookup(tp, name);
    if (!d.is_null()) {
        Type* dt = type_of(d);
        if (dt->descr_get) return dt->descr_get(d, self, tp);
        return Ref::borrow(d);
    }
    return getattr(self.as<Method>()->func, name);
}

Ref method_get_self(Value self) { return Ref::borrow(self.as<Method>()->self); }
Ref method_get_func(Value self) { return Ref::borrow(self.as<Method>()->func); }
Ref method_get_doc(Value self) {
    static Str* s_doc = intern("__doc__");
    return getattr(self.as<Method>()->func, s_doc);
}

Ref method_compare(Value a, Value b, CmpOp op) {
    if ((op != CmpOp::kEq && op != CmpOp::kNe) || !is_method(b)) return Ref::not_implemented();
    Method* x = a.as<Method>();
    Method* y = b.as<Method>();
    bool same = x->self.is(y->self);
    if (same) {
        int e = eq(x->func, y->func);
        if (e < 0) return nullptr;
        same = e != 0;
    }
    return Ref::boolean(op == CmpOp::kEq ? same : !same);
}

bool method_hash(Value v, int64_t* out) {
    Method* m = v.as<Method>();
    int64_t h;
    if (!hash(m->func, &h)) return false;
    int64_t x = static_cast<int64_t>(m->self.bits() >> 4);
    int64_t r = h ^ x;
    if (r == -1) r = -2;
    *out = r;
    return true;
}

const GetSetDef kMethodGetSets[] = {
    {"__self__", method_get_self},
    {"__func__", method_get_func},
    {"__doc__", method_get_doc},
    {nullptr, nullptr},
};

}  // namespace

RefT<Function> new_function(CodeObject* code, Dict* globals, Value qualname) {
    Function* f = new_object<Function>(&function_type, 0);
    if (!f) return nullptr;
    incref(code);
    f->code = code;
    incref(globals);
    f->globals = globals;
    ThreadState* ts = current_thread();
    Dict* builtins = ts && ts->interp ? ts->interp->builtins : nullptr;
    if (!builtins) builtins = globals;
    incref(builtins);
    f->builtins = builtins;
    Str* name = code->name ? code->name : intern("<lambda>");
    incref(name);
    f->name = name;
    Str* qn = (!qualname.is_null() && is_str(qualname)) ? qualname.as<Str>()
              : code->qualname                           ? code->qualname
                                                         : name;
    incref(qn);
    f->qualname = qn;
    static Str* s_name = intern("__name__");
    Value mod = dict_get_str(globals, s_name);
    if (mod.is_null()) mod = Value::none();
    incref(mod);
    f->module = mod;
    // As CPython 3.11: the docstring is the first constant when it is a str.
    Value doc = Value::none();
    if (code->consts && code->consts->size > 0 && is_str(code->consts->items[0])) doc = code->consts->items[0];
    incref(doc);
    f->doc = doc;
    f->defaults = nullptr;
    f->kwdefaults = nullptr;
    f->closure = nullptr;
    f->dict = nullptr;
    f->annotations = Value::null();
    return RefT<Function>::steal(f);
}

Ref new_method(Value func, Value self) {
    Method* m = new_object<Method>(&method_type, 0);
    if (!m) return nullptr;
    incref(func);
    incref(self);
    m->func = func;
    m->self = self;
    return Ref::steal(Value::object(m));
}

void init_function_types() {
    Type& f = function_type;
    f.name = "function";
    f.basic_size = sizeof(Function);
    f.dict_offset = static_cast<int32_t>(offsetof(Function, dict));
    f.getsets = kFunctionGetSets;
    f.dealloc = function_dealloc;
    f.repr = function_repr;
    f.call = function_call;
    f.descr_get = function_descr_get;
    f.flags |= kMethodDescriptor;
    type_ready(&function_type, &object_type);

    Type& m = method_type;
    m.name = "method";
    m.basic_size = sizeof(Method);
    m.getsets = kMethodGetSets;
    m.dealloc = method_dealloc;
    m.repr = method_repr;
    m.call = method_call;
    m.getattr = method_getattr;
    m.compare = method_compare;
    m.hash = method_hash;
    type_ready(&method_type, &object_type);
}

void vm_init() {
    static std::once_flag once;
    std::call_once(once, [] {
        init_function_types();
        init_generator_type();
        init_coroutine_types();
        init_traceback_type();
    });
}

}  // namespace toy
