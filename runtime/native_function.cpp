// native_function.cpp: builtin functions and methods, method descriptors, staticmethod,
// classmethod, property, super, and parse_args.
#include "runtime/native_function.h"

#include <cstring>

#include "runtime/abstract.h"
#include "runtime/dict.h"
#include "runtime/errors.h"
#include "runtime/init_types.h"
#include "runtime/module.h"
#include "runtime/names.h"
#include "runtime/str.h"
#include "runtime/tuple.h"
#include "runtime/type_internal.h"

#pragma GCC diagnostic ignored "-Winvalid-offsetof"

namespace toy {

Type native_function_type;
Type method_descriptor_type;
Type classmethod_descriptor_type;
Type static_method_type;
Type class_method_type;
Type property_type;
Type super_type;

// ---- builtin_function_or_method ------------------------------------------------------------------

Ref new_native_function(const MethodDef* def, Value self, Value module) {
    auto* f = new_object<NativeFunction>(&native_function_type, 0);
    if (!f) return nullptr;
    f->def = def;
    incref(self);
    f->self = self;
    incref(module);
    f->module = module;
    return Ref::steal(f);
}

static void native_function_dealloc(Object* o) {
    auto* f = static_cast<NativeFunction*>(o);
    decref(f->self);
    decref(f->module);
    object_free(o, sizeof(NativeFunction));
}

static Ref native_function_call(Value callable, CallArgs a) {
    auto* f = callable.as<NativeFunction>();
    return f->def->fn(f->self, a);
}

static bool self_is_module(Value self) {
    return self.is_null() || (self.is_object() && is_subtype(type_of(self), &module_type));
}

static Ref native_function_repr(Value v) {
    auto* f = v.as<NativeFunction>();
    if (self_is_module(f->self))
        return Ref(new_str(fmt::format("<built-in function {}>", f->def->name)));
    Value s = f->self;
    const void* p = s.is_object() ? static_cast<const void*>(s.as_object()) : nullptr;
    return Ref(new_str(fmt::format("<built-in method {} of {} object at {}>", f->def->name,
                                   type_name(s), p)));
}

static Ref nf_get_name(Value v) { return Ref(new_str(v.as<NativeFunction>()->def->name)); }
static Ref nf_get_qualname(Value v) {
    auto* f = v.as<NativeFunction>();
    if (self_is_module(f->self)) return Ref(new_str(f->def->name));
    Type* t = f->self.is_object() && is_subtype(type_of(f->self), &type_type) ? f->self.as<Type>()
                                                                             : type_of(f->self);
    return Ref(new_str(fmt::format("{}.{}", t->qualname ? t->qualname->view() : t->name, f->def->name)));
}
static Ref nf_get_self(Value v) {
    auto* f = v.as<NativeFunction>();
    return f->self.is_null() ? Ref::none() : Ref::borrow(f->self);
}
static Ref nf_get_module(Value v) {
    auto* f = v.as<NativeFunction>();
    if (!f->module.is_null()) return Ref::borrow(f->module);
    if (f->self.is_object() && is_subtype(type_of(f->self), &module_type)) {
        Value n = dict_get_str(f->self.as<Module>()->dict, names::name_);
        if (!n.is_null()) return Ref::borrow(n);
    }
    return Ref::none();
}
static Ref nf_get_doc(Value v) {
    auto* f = v.as<NativeFunction>();
    return f->def->doc ? Ref(new_str(f->def->doc)) : Ref::none();
}
static Ref get_none(Value) { return Ref::none(); }

static const GetSetDef native_function_getsets[] = {
    {"__name__", nf_get_name},
    {"__qualname__", nf_get_qualname},
    {"__self__", nf_get_self},
    {"__module__", nf_get_module},
    {"__doc__", nf_get_doc},
    {"__text_signature__", get_none},
    {nullptr},
};

static bool native_function_hash(Value v, int64_t* out) {
    auto* f = v.as<NativeFunction>();
    int64_t h = 0;
    if (!f->self.is_null() && !object_hash(f->self, &h)) return false;
    h ^= static_cast<int64_t>(reinterpret_cast<uintptr_t>(f->def) >> 3);
    *out = h == -1 ? -2 : h;
    return true;
}

static Ref native_function_compare(Value a, Value b, CmpOp op) {
    if ((op != CmpOp::kEq && op != CmpOp::kNe) || type_of(b) != &native_function_type)
        return Ref::not_implemented();
    auto* x = a.as<NativeFunction>();
    auto* y = b.as<NativeFunction>();
    bool same = x->def == y->def && x->self.is(y->self);
    return Ref::boolean((op == CmpOp::kEq) == same);
}

// ---- method_descriptor / classmethod_descriptor ---------------------------------------------------

Ref new_method_descriptor(const MethodDef* def, Type* owner) {
    if (def->flags & kMethodStatic) {
        Ref f = new_native_function(def, Value::null());
        if (!f) return nullptr;
        return new_staticmethod(f.get());
    }
    Type* dt = (def->flags & kMethodClass) ? &classmethod_descriptor_type : &method_descriptor_type;
    auto* d = new_object<MethodDescriptor>(dt, 0);
    if (!d) return nullptr;
    d->def = def;
    d->owner = owner;
    return Ref::steal(d);
}

static bool md_check_self(MethodDescriptor* d, Value self) {
    Type* tp = type_of(self);
    if (TOY_LIKELY(tp == d->owner)) return true;  // the common case: no MRO walk
    if (!is_subtype(tp, d->owner)) {
        (void)raisef(&exc::TypeError, "descriptor '{}' for '{}' objects doesn't apply to a '{}' object",
               d->def->name, d->owner->name, type_name(self));
        return false;
    }
    return true;
}

static Ref md_call(Value callable, CallArgs a) {
    auto* d = callable.as<MethodDescriptor>();
    if (a.npos < 1)
        return raisef(&exc::TypeError, "unbound method {}.{}() needs an argument", d->owner->name,
                      d->def->name);
    Value self = a.args[0];
    if (!md_check_self(d, self)) return nullptr;
    return d->def->fn(self, CallArgs{a.args + 1, a.npos - 1, a.kwnames});
}

static Ref md_descr_get(Value descr, Value obj, Type*) {
    if (obj.is_null()) return Ref::borrow(descr);
    auto* d = descr.as<MethodDescriptor>();
    if (!md_check_self(d, obj)) return nullptr;
    return new_native_function(d->def, obj);
}

static Ref md_repr(Value v) {
    auto* d = v.as<MethodDescriptor>();
    return Ref(new_str(fmt::format("<method '{}' of '{}' objects>", d->def->name, d->owner->name)));
}

static Ref md_get_name(Value v) { return Ref(new_str(v.as<MethodDescriptor>()->def->name)); }
static Ref md_get_qualname(Value v) {
    auto* d = v.as<MethodDescriptor>();
    return Ref(new_str(fmt::format("{}.{}", d->owner->name, d->def->name)));
}
static Ref md_get_objclass(Value v) {
    return Ref::borrow(Value::object(v.as<MethodDescriptor>()->owner));
}
static Ref md_get_doc(Value v) {
    auto* d = v.as<MethodDescriptor>();
    return d->def->doc ? Ref(new_str(d->def->doc)) : Ref::none();
}
static const GetSetDef method_descriptor_getsets[] = {
    {"__name__", md_get_name},
    {"__qualname__", md_get_qualname},
    {"__objclass__", md_get_objclass},
    {"__doc__", md_get_doc},
    {"__text_signature__", get_none},
    {nullptr},
};

static Ref cmd_call(Value callable, CallArgs a) {
    auto* d = callable.as<MethodDescriptor>();
    if (a.npos < 1 || !is_subtype(type_of(a.args[0]), &type_type) ||
        !is_subtype(a.args[0].as<Type>(), d->owner))
        return raisef(&exc::TypeError, "descriptor '{}' for type '{}' needs a type, not a '{}' as arg 2",
                      d->def->name, d->owner->name, a.npos ? type_name(a.args[0]) : "NoneType");
    return d->def->fn(a.args[0], CallArgs{a.args + 1, a.npos - 1, a.kwnames});
}

static Ref cmd_descr_get(Value descr, Value obj, Type* owner) {
    auto* d = descr.as<MethodDescriptor>();
    Type* t = owner ? owner : type_of(obj);
    return new_native_function(d->def, Value::object(t));
}

// ---- staticmethod / classmethod -------------------------------------------------------------------

Ref new_staticmethod(Value f) {
    auto* s = new_object<StaticMethod>(&static_method_type, 0);
    if (!s) return nullptr;
    incref(f);
    s->func = f;
    s->dict = nullptr;
    return Ref::steal(s);
}

Ref new_classmethod(Value f) {
    auto* c = new_object<ClassMethod>(&class_method_type, 0);
    if (!c) return nullptr;
    incref(f);
    c->func = f;
    c->dict = nullptr;
    return Ref::steal(c);
}

Value staticmethod_func(Value sm) { return sm.as<StaticMethod>()->func; }
Value classmethod_func(Value cm) { return cm.as<ClassMethod>()->func; }

static void sm_dealloc(Object* o) {
    auto* s = static_cast<StaticMethod*>(o);
    decref(s->func);
    if (s->dict) decref(s->dict);
    object_free(o, sizeof(StaticMethod));
}
static void cm_dealloc(Object* o) {
    auto* s = static_cast<ClassMethod*>(o);
    decref(s->func);
    if (s->dict) decref(s->dict);
    object_free(o, sizeof(ClassMethod));
}

template <class T> static Ref wrapper_new(Type* type, CallArgs a) {
    auto* s = new_object<T>(type, 0);
    if (!s) return nullptr;
    s->func = Value::none();
    s->dict = nullptr;
    return Ref::steal(s);
}

template <class T> static bool wrapper_init(Value self, CallArgs a, const char* name) {
    Value f;
    if (a.nkw()) {
        (void)raisef(&exc::TypeError, "{}() takes no keyword arguments", name);
        return false;
    }
    if (a.npos != 1) {
        (void)raisef(&exc::TypeError, "{} expected 1 argument, got {}", name, a.npos);
        return false;
    }
    f = a.args[0];
    T* s = self.as<T>();
    Value old = s->func;
    incref(f);
    s->func = f;
    decref(old);
    return true;
}
static bool sm_init(Value self, CallArgs a) { return wrapper_init<StaticMethod>(self, a, "staticmethod"); }
static bool cm_init(Value self, CallArgs a) { return wrapper_init<ClassMethod>(self, a, "classmethod"); }

static Ref sm_descr_get(Value descr, Value, Type*) {
    return Ref::borrow(descr.as<StaticMethod>()->func);
}
static Ref sm_call(Value callable, CallArgs a) { return call(callable.as<StaticMethod>()->func, a); }

// A classmethod wrapping a callable that is not a descriptor (a builtin): bound by a native
// function whose self is the pair (callable, class).
static Ref bound_pair_call(Value self, CallArgs a) {
    Tuple* t = self.as<Tuple>();
    return call_with_self(t->items[0], t->items[1], a);
}
static const MethodDef bound_pair_def = {"<classmethod>", bound_pair_call};

static Ref cm_descr_get(Value descr, Value obj, Type* owner) {
    Value f = descr.as<ClassMethod>()->func;
    Type* t = owner ? owner : type_of(obj);
    DescrGetSlot g = type_of(f)->descr_get;
    if (g) return g(f, Value::object(t), type_of(Value::object(t)));
    RefT<Tuple> pair = new_tuple_of({f, Value::object(t)});
    if (!pair) return nullptr;
    return new_native_function(&bound_pair_def, pair.value());
}

static Ref sm_repr(Value v) {
    Ref r = repr(v.as<StaticMethod>()->func);
    if (!r) return nullptr;
    return Ref(new_str(fmt::format("<staticmethod({})>", r.as<Str>()->view())));
}
static Ref cm_repr(Value v) {
    Ref r = repr(v.as<ClassMethod>()->func);
    if (!r) return nullptr;
    return Ref(new_str(fmt::format("<classmethod({})>", r.as<Str>()->view())));
}

static Ref sm_get_func(Value v) { return Ref::borrow(v.as<StaticMethod>()->func); }
static Ref cm_get_func(Value v) { return Ref::borrow(v.as<ClassMethod>()->func); }
static Ref isabstract_of(Value f) {
    Ref r = getattr_or_null(f, names::isabstractmethod_);
    if (!r) return error_occurred() ? nullptr : Ref::boolean(false);
    return r;
}
static Ref sm_get_isabstract(Value v) { return isabstract_of(v.as<StaticMethod>()->func); }
static Ref cm_get_isabstract(Value v) { return isabstract_of(v.as<ClassMethod>()->func); }

static const GetSetDef sm_getsets[] = {
    {"__func__", sm_get_func},
    {"__wrapped__", sm_get_func},
    {"__isabstractmethod__", sm_get_isabstract},
    {nullptr},
};
static const GetSetDef cm_getsets[] = {
    {"__func__", cm_get_func},
    {"__wrapped__", cm_get_func},
    {"__isabstractmethod__", cm_get_isabstract},
    {nullptr},
};

// ---- property ---------------------------------------------------------------------------------------

static void prop_dealloc(Object* o) {
    auto* p = static_cast<Property*>(o);
    decref(p->fget);
    decref(p->fset);
    decref(p->fdel);
    decref(p->doc);
    decref(p->name);
    object_free(o, sizeof(Property));
}

static Ref prop_new(Type* type, CallArgs) {
    auto* p = new_object<Property>(type, 0);
    if (!p) return nullptr;
    p->fget = p->fset = p->fdel = p->doc = p->name = Value::null();
    return Ref::steal(p);
}

static void set_owned(Value* slot, Value v) {
    if (v.is_none()) v = Value::null();
    Value old = *slot;
    incref(v);
    *slot = v;
    decref(old);
}

static bool prop_init(Value self, CallArgs a) {
    Value args[4] = {};
    if (!parse_args("property", a, 0, 4, {"fget", "fset", "fdel", "doc"}, args)) return false;
    auto* p = self.as<Property>();
    set_owned(&p->fget, args[0]);
    set_owned(&p->fset, args[1]);
    set_owned(&p->fdel, args[2]);
    set_owned(&p->doc, args[3]);
    if (p->doc.is_null() && !p->fget.is_null()) {
        Ref d = getattr_or_null(p->fget, names::doc_);
        if (!d && error_occurred()) return false;
        if (d && !d.get().is_none()) {
            if (type_of(self) == &property_type) {
                set_owned(&p->doc, d.get());
            } else {
                // A subclass keeps the doc in its instance dict (as CPython).
                if (!setattr(self, names::doc_, d.get())) return false;
            }
        }
    }
    return true;
}

static std::string prop_name_part(Property* p) {
    if (!p->name.is_null() && is_str(p->name))
        return fmt::format(" '{}'", p->name.as<Str>()->view());
    return "";
}

static Ref prop_descr_get(Value descr, Value obj, Type*) {
    if (obj.is_null()) return Ref::borrow(descr);
    auto* p = descr.as<Property>();
    if (p->fget.is_null())
        return raisef(&exc::AttributeError, "property{} of '{}' object has no getter",
                      prop_name_part(p), type_name(obj));
    return call(p->fget, {obj});
}

static bool prop_descr_set(Value descr, Value obj, Value v) {
    auto* p = descr.as<Property>();
    Ref r;
    if (v.is_null()) {
        if (p->fdel.is_null()) {
            (void)raisef(&exc::AttributeError, "property{} of '{}' object has no deleter",
                   prop_name_part(p), type_name(obj));
            return false;
        }
        r = call(p->fdel, {obj});
    } else {
        if (p->fset.is_null()) {
            (void)raisef(&exc::AttributeError, "property{} of '{}' object has no setter",
                   prop_name_part(p), type_name(obj));
            return false;
        }
        r = call(p->fset, {obj, v});
    }
    return static_cast<bool>(r);
}

static Ref prop_copy(Value self, int which, Value f) {
    auto* p = self.as<Property>();
    Value vals[4] = {p->fget, p->fset, p->fdel, p->doc};
    vals[which] = f;
    for (Value& v : vals)
        if (v.is_null()) v = Value::none();
    Ref np = call(Value::object(type_of(self)), {vals[0], vals[1], vals[2], vals[3]});
    if (!np) return nullptr;
    if (type_of(np.get()) == &property_type || is_subtype(type_of(np.get()), &property_type))
        set_owned(&np.as<Property>()->name, p->name);
    return np;
}
static Ref prop_getter(Value self, CallArgs a) {
    Value f;
    if (!parse_args("getter", a, 1, 1, {""}, &f)) return nullptr;
    return prop_copy(self, 0, f);
}
static Ref prop_setter(Value self, CallArgs a) {
    Value f;
    if (!parse_args("setter", a, 1, 1, {""}, &f)) return nullptr;
    return prop_copy(self, 1, f);
}
static Ref prop_deleter(Value self, CallArgs a) {
    Value f;
    if (!parse_args("deleter", a, 1, 1, {""}, &f)) return nullptr;
    return prop_copy(self, 2, f);
}
static Ref prop_set_name(Value self, CallArgs a) {
    Value args[2];
    if (!parse_args("__set_name__", a, 2, 2, {"", ""}, args)) return nullptr;
    set_owned(&self.as<Property>()->name, args[1]);
    return Ref::none();
}

static const MethodDef prop_methods[] = {
    {"getter", prop_getter},
    {"setter", prop_setter},
    {"deleter", prop_deleter},
    {"__set_name__", prop_set_name},
    {nullptr},
};

static Ref none_if_null(Value v) { return v.is_null() ? Ref::none() : Ref::borrow(v); }
static Ref prop_get_fget(Value v) { return none_if_null(v.as<Property>()->fget); }
static Ref prop_get_fset(Value v) { return none_if_null(v.as<Property>()->fset); }
static Ref prop_get_fdel(Value v) { return none_if_null(v.as<Property>()->fdel); }
static Ref prop_get_doc(Value v) {
    Dict** dp = instance_dict_ptr(v);
    if (dp && *dp) {
        Value d = dict_get_str(*dp, names::doc_);
        if (!d.is_null()) return Ref::borrow(d);
    }
    return none_if_null(v.as<Property>()->doc);
}
static bool prop_set_doc(Value v, Value d) {
    set_owned(&v.as<Property>()->doc, d.is_null() ? Value::none() : d);
    return true;
}
static Ref prop_get_isabstract(Value v) {
    auto* p = v.as<Property>();
    for (Value f : {p->fget, p->fset, p->fdel}) {
        if (f.is_null()) continue;
        Ref r = isabstract_of(f);
        if (!r) return nullptr;
        int t = truthy(r.get());
        if (t < 0) return nullptr;
        if (t) return Ref::boolean(true);
    }
    return Ref::boolean(false);
}

static const GetSetDef prop_getsets[] = {
    {"fget", prop_get_fget},
    {"fset", prop_get_fset},
    {"fdel", prop_get_fdel},
    {"__doc__", prop_get_doc, prop_set_doc},
    {"__isabstractmethod__", prop_get_isabstract},
    {nullptr},
};

// ---- super ---------------------------------------------------------------------------------------

static void super_dealloc(Object* o) {
    auto* s = static_cast<Super*>(o);
    if (s->thisclass) decref(s->thisclass);
    decref(s->obj);
    if (s->obj_type) decref(s->obj_type);
    object_free(o, sizeof(Super));
}

static Ref super_new(Type* type, CallArgs) {
    auto* s = new_object<Super>(type, 0);
    if (!s) return nullptr;
    s->thisclass = nullptr;
    s->obj = Value::null();
    s->obj_type = nullptr;
    return Ref::steal(s);
}

static Type* super_check(Type* type, Value obj) {
    if (obj.is_object() && is_subtype(type_of(obj), &type_type) && is_subtype(obj.as<Type>(), type))
        return obj.as<Type>();
    Type* t = type_of(obj);
    if (is_subtype(t, type)) return t;
    // obj.__class__ may differ from type(obj) (proxies): try it.
    Ref cls = getattr_or_null(obj, names::class_);
    if (cls && is_subtype(type_of(cls.get()), &type_type) && cls.as<Type>() != t &&
        is_subtype(cls.as<Type>(), type))
        return cls.as<Type>();
    if (!cls && error_occurred()) return nullptr;
    (void)raise(&exc::TypeError, "super(type, obj): obj must be an instance or subtype of type");
    return nullptr;
}

static bool super_init(Value self, CallArgs a) {
    if (a.nkw()) {
        (void)raise(&exc::TypeError, "super() takes no keyword arguments");
        return false;
    }
    if (a.npos == 0) {
        (void)raise(&exc::RuntimeError, "super(): no arguments");
        return false;
    }
    if (a.npos > 2) {
        (void)raisef(&exc::TypeError, "super() takes at most 2 arguments ({} given)", a.npos);
        return false;
    }
    Value tv = a.args[0];
    if (!is_subtype(type_of(tv), &type_type)) {
        (void)raisef(&exc::TypeError, "super() argument 1 must be a type, not {}", type_name(tv));
        return false;
    }
    Type* type = tv.as<Type>();
    Value obj = a.npos > 1 ? a.args[1] : Value::none();
    Type* obj_type = nullptr;
    if (obj.is_none()) {
        obj = Value::null();
    } else {
        obj_type = super_check(type, obj);
        if (!obj_type) return false;
    }
    auto* s = self.as<Super>();
    incref(type);
    if (s->thisclass) decref(s->thisclass);
    s->thisclass = type;
    incref(obj);
    decref(s->obj);
    s->obj = obj;
    if (obj_type) incref(obj_type);
    if (s->obj_type) decref(s->obj_type);
    s->obj_type = obj_type;
    return true;
}

static Ref super_getattro(Value self, Str* name) {
    auto* s = self.as<Super>();
    Type* start = s->obj_type;
    if (start && !(name == names::class_)) {
        Tuple* mro = start->mro;
        int64_t n = mro ? mro->size : 0;
        int64_t i = 0;
        for (; i < n; i++) {
            Value m = i == 0 ? Value::object(start) : mro->items[i];
            if (m.as<Type>() == s->thisclass) break;
        }
        for (i++; i < n; i++) {
            Type* b = mro->items[i].as<Type>();
            if (!b->dict) continue;
            Value res = dict_get_str(b->dict, name);
            if (res.is_null()) continue;
            Ref hold = Ref::borrow(res);
            DescrGetSlot g = type_of(res)->descr_get;
            if (g) {
                Value o = s->obj.is(Value::object(start)) ? Value::null() : s->obj;
                return g(res, o, start);
            }
            return hold;
        }
    }
    return generic_getattr(self, name);
}

static Ref super_repr(Value self) {
    auto* s = self.as<Super>();
    std::string_view tn = s->thisclass ? std::string_view(s->thisclass->name) : "NULL";
    if (s->obj_type)
        return Ref(new_str(fmt::format("<super: <class '{}'>, <{} object>>", tn,
                                       s->obj_type->name)));
    return Ref(new_str(fmt::format("<super: <class '{}'>, NULL>", tn)));
}

static Ref super_descr_get(Value self, Value obj, Type*) {
    auto* s = self.as<Super>();
    if (obj.is_null() || !s->obj.is_null()) return Ref::borrow(self);
    Ref ns = call(Value::object(type_of(self)), {Value::object(s->thisclass), obj});
    return ns;
}

static Ref super_get_thisclass(Value v) {
    auto* s = v.as<Super>();
    return s->thisclass ? Ref::borrow(Value::object(s->thisclass)) : Ref::none();
}
static Ref super_get_self(Value v) { return none_if_null(v.as<Super>()->obj); }
static Ref super_get_self_class(Value v) {
    auto* s = v.as<Super>();
    return s->obj_type ? Ref::borrow(Value::object(s->obj_type)) : Ref::none();
}
static const GetSetDef super_getsets[] = {
    {"__thisclass__", super_get_thisclass},
    {"__self__", super_get_self},
    {"__self_class__", super_get_self_class},
    {nullptr},
};

// ---- tp_new wrapper: T.__new__(S, ...) ---------------------------------------------------------------

Ref tp_new_wrapper(Value self, CallArgs a) {
    Type* t = self.as<Type>();
    if (a.npos < 1)
        return raisef(&exc::TypeError, "{}.__new__(): not enough arguments", t->name);
    Value sv = a.args[0];
    if (!is_subtype(type_of(sv), &type_type))
        return raisef(&exc::TypeError, "{}.__new__(X): X is not a type object ({})", t->name,
                      type_name(sv));
    Type* s = sv.as<Type>();
    if (!is_subtype(s, t))
        return raisef(&exc::TypeError, "{}.__new__({}): {} is not a subtype of {}", t->name,
                      s->name, s->name, t->name);
    // The most derived builtin base of s must use this very new_ (else its C fields would
    // stay uninitialised).
    Type* staticbase = s;
    while (staticbase && type_has(staticbase, kHeapType)) staticbase = staticbase->base;
    if (staticbase && staticbase->new_ != t->new_)
        return raisef(&exc::TypeError, "{}.__new__({}) is not safe, use {}.__new__()", t->name,
                      s->name, staticbase->name);
    return t->new_(s, CallArgs{a.args + 1, a.npos - 1, a.kwnames});
}

const MethodDef tp_new_def = {"__new__", tp_new_wrapper, 0,
                              "Create and return a new object.  See help(type) for accurate signature."};

// ---- parse_args ---------------------------------------------------------------------------------

bool parse_args(const char* fname, CallArgs a, int min_pos, int max_pos,
                std::initializer_list<const char*> names, Value* out) {
    size_t npos = a.npos, nkw = a.nkw();
    size_t nnames = names.size();
    if (nnames == 0) {
        if (nkw) {
            (void)raisef(&exc::TypeError, "{}() takes no keyword arguments", fname);
            return false;
        }
        if (static_cast<int>(npos) < min_pos || static_cast<int>(npos) > max_pos) {
            if (min_pos == max_pos) {
                if (max_pos == 0)
                    (void)raisef(&exc::TypeError, "{}() takes no arguments ({} given)", fname, npos);
                else if (max_pos == 1)
                    (void)raisef(&exc::TypeError, "{}() takes exactly one argument ({} given)", fname, npos);
                else
                    (void)raisef(&exc::TypeError, "{}() takes exactly {} arguments ({} given)", fname,
                           max_pos, npos);
            } else if (static_cast<int>(npos) > max_pos) {
                (void)raisef(&exc::TypeError, "{} expected at most {} argument{}, got {}", fname, max_pos,
                       max_pos == 1 ? "" : "s", npos);
            } else {
                (void)raisef(&exc::TypeError, "{} expected at least {} argument{}, got {}", fname, min_pos,
                       min_pos == 1 ? "" : "s", npos);
            }
            return false;
        }
        for (size_t i = 0; i < npos; i++) out[i] = a.args[i];
        for (int i = static_cast<int>(npos); i < max_pos; i++) out[i] = Value::null();
        return true;
    }
    if (static_cast<int>(npos) > max_pos) {
        if (min_pos == max_pos && max_pos == 1 && nnames == 1)
            (void)raisef(&exc::TypeError, "{}() takes exactly one argument ({} given)", fname, npos);
        else if (min_pos == max_pos && max_pos == 0)
            (void)raisef(&exc::TypeError, "{}() takes no positional arguments", fname);
        else
            (void)raisef(&exc::TypeError, "{}() takes at most {} argument{} ({} given)", fname, max_pos,
                   max_pos == 1 ? "" : "s", npos);
        return false;
    }
    const char* const* nm = names.begin();
    for (size_t i = 0; i < nnames; i++) out[i] = Value::null();
    for (size_t i = 0; i < npos; i++) out[i] = a.args[i];
    for (size_t k = 0; k < nkw; k++) {
        Str* key = a.kwnames->items[k].as<Str>();
        std::string_view kv = key->view();
        size_t j = 0;
        for (; j < nnames; j++)
            if (nm[j] && nm[j][0] && kv == nm[j]) break;
        if (j == nnames) {
            // Positional-only names do not match keywords; CPython words both cases alike.
            bool all_posonly = true;
            for (size_t q = 0; q < nnames; q++)
                if (nm[q] && nm[q][0]) all_posonly = false;
            if (all_posonly)
                (void)raisef(&exc::TypeError, "{}() takes no keyword arguments", fname);
            else
                (void)raisef(&exc::TypeError, "'{}' is an invalid keyword argument for {}()", kv, fname);
            return false;
        }
        if (!out[j].is_null()) {
            (void)raisef(&exc::TypeError, "argument for {}() given by name ('{}') and position ({})",
                   fname, kv, j + 1);
            return false;
        }
        out[j] = a.args[npos + k];
    }
    for (int i = 0; i < min_pos; i++) {
        if (out[i].is_null()) {
            if (nm[i] && nm[i][0])
                (void)raisef(&exc::TypeError, "{}() missing required argument '{}' (pos {})", fname,
                       nm[i], i + 1);
            else if (min_pos == max_pos && max_pos == 1)
                (void)raisef(&exc::TypeError, "{}() takes exactly one argument ({} given)", fname, npos);
            else
                (void)raisef(&exc::TypeError, "{}() takes at least {} argument{} ({} given)", fname,
                       min_pos, min_pos == 1 ? "" : "s", npos);
            return false;
        }
    }
    return true;
}

// ---- init --------------------------------------------------------------------------------------------

void init_native_function_types() {
    native_function_type.name = "builtin_function_or_method";
    native_function_type.basic_size = sizeof(NativeFunction);
    native_function_type.dealloc = native_function_dealloc;
    native_function_type.call = native_function_call;
    native_function_type.repr = native_function_repr;
    native_function_type.getsets = native_function_getsets;
    native_function_type.hash = native_function_hash;
    native_function_type.compare = native_function_compare;
    type_ready(&native_function_type, &object_type);

    method_descriptor_type.name = "method_descriptor";
    method_descriptor_type.basic_size = sizeof(MethodDescriptor);
    method_descriptor_type.flags |= kMethodDescriptor;
    method_descriptor_type.call = md_call;
    method_descriptor_type.descr_get = md_descr_get;
    method_descriptor_type.repr = md_repr;
    method_descriptor_type.getsets = method_descriptor_getsets;
    type_ready(&method_descriptor_type, &object_type);

    classmethod_descriptor_type.name = "classmethod_descriptor";
    classmethod_descriptor_type.basic_size = sizeof(MethodDescriptor);
    classmethod_descriptor_type.call = cmd_call;
    classmethod_descriptor_type.descr_get = cmd_descr_get;
    classmethod_descriptor_type.repr = md_repr;
    classmethod_descriptor_type.getsets = method_descriptor_getsets;
    type_ready(&classmethod_descriptor_type, &object_type);

    static_method_type.name = "staticmethod";
    static_method_type.basic_size = sizeof(StaticMethod);
    static_method_type.dict_offset = static_cast<int32_t>(offsetof(StaticMethod, dict));
    static_method_type.flags |= kBaseType;
    static_method_type.dealloc = sm_dealloc;
    static_method_type.new_ = wrapper_new<StaticMethod>;
    static_method_type.init = sm_init;
    static_method_type.descr_get = sm_descr_get;
    static_method_type.call = sm_call;
    static_method_type.repr = sm_repr;
    static_method_type.getsets = sm_getsets;
    type_ready(&static_method_type, &object_type);

    class_method_type.name = "classmethod";
    class_method_type.basic_size = sizeof(ClassMethod);
    class_method_type.dict_offset = static_cast<int32_t>(offsetof(ClassMethod, dict));
    class_method_type.flags |= kBaseType;
    class_method_type.dealloc = cm_dealloc;
    class_method_type.new_ = wrapper_new<ClassMethod>;
    class_method_type.init = cm_init;
    class_method_type.descr_get = cm_descr_get;
    class_method_type.repr = cm_repr;
    class_method_type.getsets = cm_getsets;
    type_ready(&class_method_type, &object_type);

    property_type.name = "property";
    property_type.basic_size = sizeof(Property);
    property_type.flags |= kBaseType;
    property_type.dealloc = prop_dealloc;
    property_type.new_ = prop_new;
    property_type.init = prop_init;
    property_type.descr_get = prop_descr_get;
    property_type.descr_set = prop_descr_set;
    property_type.methods = prop_methods;
    property_type.getsets = prop_getsets;
    type_ready(&property_type, &object_type);

    super_type.name = "super";
    super_type.basic_size = sizeof(Super);
    super_type.flags |= kBaseType;
    super_type.dealloc = super_dealloc;
    super_type.new_ = super_new;
    super_type.init = super_init;
    super_type.getattr = super_getattro;
    super_type.repr = super_repr;
    super_type.descr_get = super_descr_get;
    super_type.getsets = super_getsets;
    type_ready(&super_type, &object_type);
}

}  // namespace toy
