// type.cpp: `type` and `object`, readying builtin types, heap types (classes written in
// Toy), the MRO, attribute lookup on types with its method cache.
//
// Method cache: type_lookup() keys a small thread-local cache on (version_tag, interned
// name). Version tags are process-unique and change (type_modified) whenever a type's dict
// or a base's dict changes, so a stale entry can never match; a dead type's tag is never
// reused. Builtin types never change after runtime_init().
//
// Heap types and reference cycles: a type's MRO tuple starts with the type itself; that
// entry is *borrowed* (the tuple is internal; `__mro__` returns a copy), so a class does not
// keep itself alive. Methods using zero-argument super() still form a cycle through their
// `__class__` cell (no cycle collector yet).
#include <algorithm>
#include <atomic>
#include <cstring>

#include "runtime/abstract.h"
#include "runtime/dict.h"
#include "runtime/errors.h"
#include "runtime/init_types.h"
#include "runtime/int.h"
#include "runtime/list.h"
#include "runtime/misc_types.h"
#include "runtime/names.h"
#include "runtime/native_function.h"
#include "runtime/str.h"
#include "runtime/thread_state.h"
#include "runtime/tuple.h"
#include "runtime/type_internal.h"

#pragma GCC diagnostic ignored "-Winvalid-offsetof"

namespace toy {

Dict* current_globals() __attribute__((weak));  // interp/vm.h

Type type_type;
Type object_type;
Type getset_descriptor_type;

namespace names {
#define TOY_DUNDER(x) Str* x##_ = nullptr;
#define TOY_NAME(x) Str* s_##x = nullptr;
TOY_CORE_NAMES
#undef TOY_DUNDER
#undef TOY_NAME
}  // namespace names

void init_core_names() {
#define TOY_DUNDER(x) names::x##_ = intern("__" #x "__");
#define TOY_NAME(x) names::s_##x = intern(#x);
    TOY_CORE_NAMES
#undef TOY_DUNDER
#undef TOY_NAME
}

// ---- version tags and the method cache --------------------------------------------------------

static std::atomic<uint32_t> version_counter{1};

uint32_t next_version_tag() {
    uint32_t v = version_counter.fetch_add(1, std::memory_order_relaxed);
    if (v == 0 || v > 0xFFFFFF00u) {
        version_counter.store(0xFFFFFF00u, std::memory_order_relaxed);
        return 0;
    }
    return v;
}

namespace {
struct CacheEntry {
    uint32_t version;
    Str* name;
    Value value;
};
constexpr size_t kCacheSize = 2048;
thread_local CacheEntry method_cache[kCacheSize];
}  // namespace

static Value lookup_uncached(Type* t, Str* name) {
    Tuple* mro = t->mro;
    if (!mro) {
        for (Type* b = t; b; b = b->base) {
            if (b->dict) {
                Value v = dict_get_str(b->dict, name);
                if (!v.is_null()) return v;
            }
        }
        return Value::null();
    }
    for (int64_t i = 0; i < mro->size; i++) {
        Value bv = i == 0 ? Value::object(t) : mro->items[i];
        if (!bv.is_object()) continue;
        Type* b = bv.as<Type>();
        if (b->dict) {
            Value v = dict_get_str(b->dict, name);
            if (!v.is_null()) return v;
        }
    }
    return Value::null();
}

static TOY_NOINLINE Value type_lookup_miss(Type* t, Str* name, CacheEntry* e) {
    Value r = lookup_uncached(t, name);
    uint32_t v = t->version_tag;
    if (v != 0 && name->interned) {
        e->version = v;
        e->name = name;
        e->value = r;
    }
    return r;
}

// Entries are only ever written with a non-zero version and an interned name, so a hit
// needs no further checks (a fresh entry has name == nullptr).
Value type_lookup(Type* t, Str* name) {
    uint32_t v = t->version_tag;
    size_t h = ((reinterpret_cast<uintptr_t>(name) >> 4) ^ (v * 2654435761u)) & (kCacheSize - 1);
    CacheEntry* e = &method_cache[h];
    if (TOY_LIKELY(e->version == v && e->name == name)) return e->value;
    return type_lookup_miss(t, name, e);
}

static void type_modified_rec(Type* t, int depth) {
    t->version_tag = next_version_tag();
    if (t->subclasses && depth < 1000)
        for (Type* s : *t->subclasses) type_modified_rec(s, depth + 1);
}

void type_modified(Type* t) { type_modified_rec(t, 0); }

bool is_subtype(const Type* a, const Type* b) {
    if (a == b) return true;
    Tuple* mro = a->mro;
    if (mro) {
        for (int64_t i = 1; i < mro->size; i++)
            if (mro->items[i].as_object() == b) return true;
        return false;
    }
    for (a = a->base; a; a = a->base)
        if (a == b) return true;
    return b == &object_type;
}

void* alloc_heap_instance(Type* type, size_t size) {
    if (size < type->basic_size) size = type->basic_size;
    void* mem = object_alloc(size);
    if (!mem) return nullptr;
    std::memset(mem, 0, size);
    incref(type);
    return mem;
}

// ---- getset descriptors ------------------------------------------------------------------------

static bool descr_check(const char* name, Type* owner, Value obj) {
    if (!is_subtype(type_of(obj), owner)) {
        (void)raisef(&exc::TypeError, "descriptor '{}' for '{}' objects doesn't apply to a '{}' object",
               name, owner->name, type_name(obj));
        return false;
    }
    return true;
}

static Ref getset_get(Value descr, Value obj, Type*) {
    if (obj.is_null()) return Ref::borrow(descr);
    auto* d = descr.as<GetSetDescriptor>();
    if (!descr_check(d->def->name, d->owner, obj)) return nullptr;
    return d->def->get(obj);
}

static bool getset_set(Value descr, Value obj, Value v) {
    auto* d = descr.as<GetSetDescriptor>();
    if (!descr_check(d->def->name, d->owner, obj)) return false;
    if (!d->def->set) {
        (void)raisef(&exc::AttributeError, "attribute '{}' of '{}' objects is not writable", d->def->name,
               d->owner->name);
        return false;
    }
    return d->def->set(obj, v);
}

static Ref getset_repr(Value self) {
    auto* d = self.as<GetSetDescriptor>();
    return Ref(new_str(fmt::format("<attribute '{}' of '{}' objects>", d->def->name, d->owner->name)));
}

static Ref getset_get_name(Value self) {
    return Ref::borrow(Value::object(intern(self.as<GetSetDescriptor>()->def->name)));
}
static Ref getset_get_objclass(Value self) {
    return Ref::borrow(Value::object(self.as<GetSetDescriptor>()->owner));
}
static const GetSetDef getset_descriptor_getsets[] = {
    {"__name__", getset_get_name},
    {"__objclass__", getset_get_objclass},
    {nullptr},
};

// ---- member descriptors (__slots__) ---------------------------------------------------------------

struct MemberDescriptor : Object {
    Str* name;  // owned
    Type* owner;  // borrowed (the owner's dict holds the descriptor)
    int32_t offset;
};
Type member_descriptor_type;

static Value* member_slot(MemberDescriptor* d, Value obj) {
    return reinterpret_cast<Value*>(reinterpret_cast<char*>(obj.as_object()) + d->offset);
}

static Ref member_get(Value descr, Value obj, Type*) {
    if (obj.is_null()) return Ref::borrow(descr);
    auto* d = descr.as<MemberDescriptor>();
    if (!descr_check(d->name->data, d->owner, obj)) return nullptr;
    Value v = *member_slot(d, obj);
    if (v.is_null())
        return raisef(&exc::AttributeError, "'{}' object has no attribute '{}'", type_name(obj),
                      d->name->view());
    return Ref::borrow(v);
}

static bool member_set(Value descr, Value obj, Value v) {
    auto* d = descr.as<MemberDescriptor>();
    if (!descr_check(d->name->data, d->owner, obj)) return false;
    Value* p = member_slot(d, obj);
    Value old = *p;
    if (v.is_null() && old.is_null()) {
        (void)raise(&exc::AttributeError, d->name->view());
        return false;
    }
    incref(v);
    *p = v;
    decref(old);
    return true;
}

bool member_descriptor_offset(Value descr, int32_t* offset) {
    if (!descr.is_object() || descr.as_object()->type != &member_descriptor_type) return false;
    *offset = descr.as<MemberDescriptor>()->offset;
    return true;
}

static Ref member_repr(Value self) {
    auto* d = self.as<MemberDescriptor>();
    return Ref(new_str(fmt::format("<member '{}' of '{}' objects>", d->name->view(), d->owner->name)));
}

static void member_dealloc(Object* o) {
    auto* d = static_cast<MemberDescriptor*>(o);
    decref(d->name);
    object_free(o, sizeof(MemberDescriptor));
}

// ---- readying builtin types ------------------------------------------------------------------------

static void inherit_slots(Type* t, Type* b) {
#define INH(f) \
    if (!t->f) t->f = b->f;
    INH(dealloc) INH(repr) INH(str) INH(getattr) INH(setattr) INH(call) INH(iter) INH(next)
    INH(getitem) INH(setitem) INH(contains) INH(descr_get) INH(descr_set) INH(init)
    INH(neg) INH(pos) INH(invert) INH(abs) INH(to_int) INH(to_float) INH(index) INH(truth)
    INH(len)
#undef INH
    for (int i = 0; i < static_cast<int>(BinOp::kCount); i++) {
        if (!t->binary[i]) t->binary[i] = b->binary[i];
        if (!t->inplace[i]) t->inplace[i] = b->inplace[i];
    }
    // hash and compare are inherited together: a type defining one keeps the other null
    // (a type with __eq__ but no __hash__ is unhashable).
    if (!t->compare && !t->hash) {
        t->compare = b->compare;
        t->hash = b->hash;
    }
    // Builtin types deriving directly from object do not inherit object.__new__: a null
    // new_ means "cannot create 'X' instances".
    if (!t->new_ && b != &object_type) t->new_ = b->new_;
    if (b->dict_offset && !t->dict_offset) t->dict_offset = b->dict_offset;
    t->flags |= b->flags & (kIntSubclass | kStrSubclass | kTupleSubclass | kListSubclass |
                            kDictSubclass | kTypeSubclass | kExceptionSubclass | kBytesSubclass);
}

static void add_subclass(Type* base, Type* sub) {
    if (!base->subclasses) base->subclasses = new std::vector<Type*>();
    base->subclasses->push_back(sub);
}

static void remove_subclass(Type* base, Type* sub) {
    if (!base->subclasses) return;
    auto& v = *base->subclasses;
    v.erase(std::remove(v.begin(), v.end(), sub), v.end());
}

void type_ready(Type* t, Type* base) {
    make_immortal(t);
    if (!t->type) t->type = &type_type;
    t->base = base;
    if (!t->name_str) {
        const char* n = t->name;
        const char* dot = std::strrchr(n, '.');
        t->name_str = intern(dot ? dot + 1 : n);
        t->qualname = t->name_str;
    }
    if (!t->dict) {
        t->dict = new_dict().release();
        make_immortal(t->dict);
    }
    // MRO: (t,) + base.__mro__.
    int64_t bn = base && base->mro ? base->mro->size : 0;
    RefT<Tuple> mro = new_tuple(bn + 1);
    mro->items[0] = Value::object(t);
    for (int64_t i = 0; i < bn; i++) mro->items[i + 1] = base->mro->items[i];
    t->mro = mro.release();
    make_immortal(t->mro);
    if (base) {
        RefT<Tuple> bases = new_tuple_of({Value::object(base)});
        t->bases = bases.release();
    } else {
        t->bases = empty_tuple();
        incref(t->bases);
    }
    make_immortal(t->bases);

    Dict* d = t->dict;
    if (t->methods) {
        for (const MethodDef* m = t->methods; m->name; m++) {
            Ref descr = new_method_descriptor(m, t);
            if (!descr) continue;
            make_immortal(descr.obj());
            dict_set_str(d, intern(m->name), descr.get());
        }
    }
    if (t->getsets) {
        for (const GetSetDef* g = t->getsets; g->name; g++) {
            auto* gd = new_object<GetSetDescriptor>(&getset_descriptor_type, 0);
            gd->def = g;
            gd->owner = t;
            make_immortal(gd);
            dict_set_str(d, intern(g->name), Value::object(gd));
            decref(gd);
        }
    }
    // Slot wrappers for the slots this type defines itself.
    for (int i = 0; i < kNumSlotDefs; i++) {
        const SlotDef* sd = &kSlotDefs[i];
        if (sd->kind == SlotKind::kDel || sd->kind == SlotKind::kGetattrHook) continue;
        void** f = slot_field(t, sd);
        if (!f || !*f) continue;
        if (sd->kind == SlotKind::kNew) {
            if (!dict_get_str(d, names::new_).is_null()) continue;
            Ref fn = new_native_function(&tp_new_def, Value::object(t));
            if (!fn) continue;
            make_immortal(fn.obj());
            dict_set_str(d, names::new_, fn.get());
            continue;
        }
        // A slot equal to the base's (set explicitly to the same function) still gets a
        // wrapper: harmless, and it keeps `T.__x__` owned by T.
        if (!dict_get_str(d, *sd->interned).is_null()) continue;
        auto* w = new_object<SlotWrapper>(&wrapper_descriptor_type, 0);
        w->def = sd;
        w->owner = t;
        make_immortal(w);
        dict_set_str(d, *sd->interned, Value::object(w));
        decref(w);
    }
    if (base) {
        inherit_slots(t, base);
        add_subclass(base, t);
    }
    if (t->basic_size < sizeof(Object)) t->basic_size = sizeof(Object);
    t->version_tag = next_version_tag();
}

// ---- object ---------------------------------------------------------------------------------------

Value type_module(Type* t) {
    if (type_has(t, kHeapType)) {
        Value m = t->dict ? dict_get_str(t->dict, names::module_) : Value::null();
        return m;
    }
    return Value::object(names::s_builtins);
}

std::string type_qualified_name(Type* t) {
    Value m = type_module(t);
    std::string_view qn = t->qualname ? t->qualname->view() : std::string_view(t->name);
    if (!type_has(t, kHeapType)) return std::string(t->name);
    if (is_str(m) && m.as<Str>()->view() != "builtins")
        return fmt::format("{}.{}", m.as<Str>()->view(), qn);
    return std::string(qn);
}

Ref object_repr(Value self) {
    Type* t = type_of(self);
    const void* p = self.is_object() ? static_cast<const void*>(self.as_object()) : nullptr;
    return Ref(new_str(fmt::format("<{} object at {}>", type_qualified_name(t), p)));
}

// Calls the repr slot unchecked: str() then reports "__str__ returned non-string" as CPython.
static Ref object_str(Value self) {
    ReprSlot r = type_of(self)->repr;
    return r ? r(self) : object_repr(self);
}

bool object_hash(Value self, int64_t* out) {
    uint64_t x = self.bits();
    // Rotate by 4: the low bits of an aligned pointer are always zero (CPython's pointer hash).
    uint64_t h = (x >> 4) | (x << 60);
    auto r = static_cast<int64_t>(h);
    *out = r == -1 ? -2 : r;
    return true;
}

static Ref object_compare(Value a, Value b, CmpOp op) {
    switch (op) {
    case CmpOp::kEq: return a.is(b) ? Ref::boolean(true) : Ref::not_implemented();
    case CmpOp::kNe: {
        CompareSlot c = type_of(a)->compare;
        if (!c) return Ref::not_implemented();
        Ref r = c(a, b, CmpOp::kEq);
        if (!r || r.get().is_not_implemented()) return r;
        int t = truthy(r.get());
        if (t < 0) return nullptr;
        return Ref::boolean(!t);
    }
    default: return Ref::not_implemented();
    }
}

static bool excess_args(CallArgs a) { return a.npos != 0 || a.nkw() != 0; }

Ref object_new(Type* type, CallArgs a) {
    if (excess_args(a)) {
        if (type->new_ != object_new)
            return raise(&exc::TypeError,
                         "object.__new__() takes exactly one argument (the type to instantiate)");
        if (type->init == object_init)
            return raisef(&exc::TypeError, "{}() takes no arguments", type->name);
    }
    size_t size = type->basic_size;
    void* mem = type_has(type, kHeapType) ? alloc_heap_instance(type, size) : object_alloc(size);
    if (!mem) return nullptr;
    if (!type_has(type, kHeapType)) std::memset(mem, 0, size);
    auto* o = static_cast<Object*>(mem);
    o->refcnt = 1;
    o->type = type;
    return Ref::steal(o);
}

bool object_init(Value self, CallArgs a) {
    if (excess_args(a)) {
        Type* type = type_of(self);
        if (type->init != object_init) {
            (void)raise(&exc::TypeError,
                  "object.__init__() takes exactly one argument (the instance to initialize)");
            return false;
        }
        if (type->new_ == object_new) {
            (void)raisef(&exc::TypeError, "{}() takes no arguments", type->name);
            return false;
        }
    }
    return true;
}

static Ref object_get_class(Value self) { return Ref::borrow(Value::object(type_of(self))); }

static Type* solid_base(Type* t);

static bool object_set_class(Value self, Value v) {
    if (v.is_null()) {
        (void)raise(&exc::TypeError, "can't delete __class__ attribute");
        return false;
    }
    if (!is_subtype(type_of(v), &type_type)) {
        (void)raisef(&exc::TypeError, "__class__ must be set to a class, not '{}' object", type_name(v));
        return false;
    }
    Type* nt = v.as<Type>();
    Type* ot = type_of(self);
    if (!self.is_object() || !type_has(nt, kHeapType) || !type_has(ot, kHeapType)) {
        (void)raise(&exc::TypeError,
              "__class__ assignment only supported for mutable types or ModuleType subclasses");
        return false;
    }
    if (nt->basic_size != ot->basic_size || nt->dict_offset != ot->dict_offset ||
        solid_base(nt) != solid_base(ot)) {
        (void)raisef(&exc::TypeError, "__class__ assignment: '{}' object layout differs from '{}'",
               nt->name, ot->name);
        return false;
    }
    incref(nt);
    self.as_object()->type = nt;
    decref(ot);
    return true;
}

static Ref object_get_dict(Value self) {
    Dict** dp = instance_dict_ptr(self);
    if (!dp)
        return raisef(&exc::AttributeError, "'{}' object has no attribute '__dict__'",
                      type_name(self));
    if (!*dp) {
        RefT<Dict> d = new_dict();
        if (!d) return nullptr;
        *dp = d.release();
    }
    return Ref::borrow(Value::object(*dp));
}

static bool object_set_dict(Value self, Value v) {
    Dict** dp = instance_dict_ptr(self);
    if (!dp) {
        (void)raisef(&exc::AttributeError, "'{}' object has no attribute '__dict__'", type_name(self));
        return false;
    }
    if (v.is_null()) {
        Dict* old = *dp;
        *dp = nullptr;
        if (old) decref(old);
        return true;
    }
    if (!is_dict(v)) {
        (void)raisef(&exc::TypeError, "__dict__ must be set to a dictionary, not a '{}'", type_name(v));
        return false;
    }
    Dict* old = *dp;
    incref(v);
    *dp = v.as<Dict>();
    if (old) decref(old);
    return true;
}

static const GetSetDef object_getsets[] = {
    {"__class__", object_get_class, object_set_class},
    {"__dict__", object_get_dict, object_set_dict},
    {nullptr},
};

static Ref object_init_subclass(Value cls, CallArgs a) {
    if (a.nkw())
        return raisef(&exc::TypeError, "{}.__init_subclass__() takes no keyword arguments",
                      cls.as<Type>()->name);
    if (a.npos)
        return raisef(&exc::TypeError, "{}.__init_subclass__() takes no arguments ({} given)",
                      cls.as<Type>()->name, a.npos);
    return Ref::none();
}

static Ref object_format(Value self, CallArgs a) {
    Value spec;
    if (!parse_args("__format__", a, 1, 1, {""}, &spec)) return nullptr;
    if (!is_str(spec))
        return raisef(&exc::TypeError, "__format__() argument must be str, not {}", type_name(spec));
    if (spec.as<Str>()->nbytes == 0) return str(self);
    Type* t = type_of(self);
    return raisef(&exc::TypeError, "unsupported format string passed to {}.__format__",
                  type_has(t, kHeapType) && t->qualname ? t->qualname->view() : std::string_view(t->name));
}

static bool merge_class_dict(Dict* into, Type* t) {
    Tuple* mro = t->mro;
    int64_t n = mro ? mro->size : 1;
    for (int64_t i = 0; i < n; i++) {
        Type* b = i == 0 ? t : mro->items[i].as<Type>();
        if (!b->dict) continue;
        int64_t pos = 0;
        Value k, v;
        while (dict_next(b->dict, &pos, &k, &v))
            if (!dict_set(into, k, Value::none())) return false;
    }
    return true;
}

static Ref class_keys_list(Dict* d) {
    RefT<List> l = new_list(d->used);
    if (!l) return nullptr;
    int64_t pos = 0;
    Value k, v;
    while (dict_next(d, &pos, &k, &v))
        if (!list_append(l.get(), k)) return nullptr;
    return Ref(std::move(l));
}

static Ref object_dir(Value self, CallArgs a) {
    if (!parse_args("__dir__", a, 0, 0, {}, nullptr)) return nullptr;
    RefT<Dict> d = new_dict();
    if (!d) return nullptr;
    Dict** dp = instance_dict_ptr(self);
    if (dp && *dp) {
        int64_t pos = 0;
        Value k, v;
        while (dict_next(*dp, &pos, &k, &v))
            if (!dict_set(d.get(), k, Value::none())) return nullptr;
    }
    if (!merge_class_dict(d.get(), type_of(self))) return nullptr;
    return class_keys_list(d.get());
}

static Ref object_sizeof(Value self, CallArgs a) {
    if (!parse_args("__sizeof__", a, 0, 0, {}, nullptr)) return nullptr;
    return make_int(type_of(self)->basic_size);
}

static Ref object_subclasshook(Value, CallArgs) { return Ref::not_implemented(); }

static const MethodDef object_methods[] = {
    {"__init_subclass__", object_init_subclass, kMethodClass},
    {"__subclasshook__", object_subclasshook, kMethodClass},
    {"__format__", object_format},
    {"__dir__", object_dir},
    {"__sizeof__", object_sizeof},
    {nullptr},
};

// ---- type: attributes ------------------------------------------------------------------------------

Ref type_getattr_impl(Value self, Str* name, bool* missing) {
    Type* t = self.as<Type>();
    Type* meta = type_of(self);
    Value meta_attr = type_lookup(meta, name);
    DescrGetSlot meta_get = nullptr;
    Ref hold_meta;
    if (!meta_attr.is_null()) {
        hold_meta = Ref::borrow(meta_attr);
        Type* mt = type_of(meta_attr);
        meta_get = mt->descr_get;
        if (meta_get && mt->descr_set) return meta_get(meta_attr, self, meta);
    }
    Value attr = type_lookup(t, name);
    if (!attr.is_null()) {
        Ref hold = Ref::borrow(attr);
        DescrGetSlot g = type_of(attr)->descr_get;
        if (g) return g(attr, Value::null(), t);
        return hold;
    }
    if (meta_get) return meta_get(meta_attr, self, meta);
    if (!meta_attr.is_null()) return hold_meta;
    *missing = true;
    return nullptr;
}

Ref type_getattro(Value self, Str* name) {
    bool missing = false;
    Ref r = type_getattr_impl(self, name, &missing);
    if (missing)
        return raisef(&exc::AttributeError, "type object '{}' has no attribute '{}'",
                      self.as<Type>()->name, name->view());
    return r;
}

static bool type_setattro(Value self, Str* name, Value v) {
    Type* t = self.as<Type>();
    if (!type_has(t, kHeapType)) {
        (void)raisef(&exc::TypeError, "cannot set '{}' attribute of immutable type '{}'", name->view(),
               t->name);
        return false;
    }
    Type* meta = type_of(self);
    Value meta_attr = type_lookup(meta, name);
    if (!meta_attr.is_null()) {
        DescrSetSlot s = type_of(meta_attr)->descr_set;
        if (s) {
            Ref hold = Ref::borrow(meta_attr);
            return s(meta_attr, self, v);
        }
    }
    Str* key = name->interned ? name : intern_str(name);
    if (v.is_null()) {
        int r = dict_del(t->dict, Value::object(key));
        if (r < 0) return false;
        if (r == 0) {
            (void)raisef(&exc::AttributeError, "type object '{}' has no attribute '{}'", t->name,
                   name->view());
            return false;
        }
    } else if (!dict_set_str(t->dict, key, v)) {
        return false;
    }
    type_modified(t);
    std::string_view n = key->view();
    if (n.size() > 4 && n.substr(0, 2) == "__" && n.substr(n.size() - 2) == "__") {
        // Re-fill the dunder slots of t and of every subclass.
        std::vector<Type*> work{t};
        while (!work.empty()) {
            Type* x = work.back();
            work.pop_back();
            type_fixup_slots(x);
            if (x->subclasses)
                for (Type* s : *x->subclasses) work.push_back(s);
        }
    }
    return true;
}

static Ref type_repr(Value self) {
    return Ref(new_str(fmt::format("<class '{}'>", type_qualified_name(self.as<Type>()))));
}

static bool check_heap_set(Type* t, const char* attr, Value v) {
    if (!type_has(t, kHeapType)) {
        (void)raisef(&exc::TypeError, "cannot set '{}' attribute of immutable type '{}'", attr, t->name);
        return false;
    }
    if (v.is_null()) {
        (void)raisef(&exc::TypeError, "cannot delete '{}' attribute of type '{}'", attr, t->name);
        return false;
    }
    return true;
}

static Ref type_get_name(Value self) {
    Type* t = self.as<Type>();
    return Ref::borrow(Value::object(t->name_str));
}
static bool type_set_name(Value self, Value v) {
    Type* t = self.as<Type>();
    if (!check_heap_set(t, "__name__", v)) return false;
    if (!is_str(v)) {
        (void)raisef(&exc::TypeError, "can only assign string to {}.__name__, not '{}'", t->name,
               type_name(v));
        return false;
    }
    RefT<Str> s = new_str(v.as<Str>()->view());
    if (!s) return false;
    Str* old = t->name_str;
    t->name_str = s.release();
    t->name = t->name_str->data;
    decref(old);
    return true;
}
static Ref type_get_qualname(Value self) {
    Type* t = self.as<Type>();
    return Ref::borrow(Value::object(t->qualname ? t->qualname : t->name_str));
}
static bool type_set_qualname(Value self, Value v) {
    Type* t = self.as<Type>();
    if (!check_heap_set(t, "__qualname__", v)) return false;
    if (!is_str(v)) {
        (void)raisef(&exc::TypeError, "can only assign string to {}.__qualname__, not '{}'", t->name,
               type_name(v));
        return false;
    }
    incref(v);
    Str* old = t->qualname;
    t->qualname = v.as<Str>();
    if (old) decref(old);
    return true;
}
static Ref type_get_bases(Value self) {
    Type* t = self.as<Type>();
    return Ref::borrow(Value::object(t->bases ? t->bases : empty_tuple()));
}
static Ref type_get_base(Value self) {
    Type* t = self.as<Type>();
    return t->base ? Ref::borrow(Value::object(t->base)) : Ref::none();
}
static Ref type_get_mro(Value self) {
    Type* t = self.as<Type>();
    if (!t->mro) return Ref::none();
    RefT<Tuple> copy = new_tuple(t->mro->size);
    if (!copy) return nullptr;
    for (int64_t i = 0; i < t->mro->size; i++) {
        Value v = i == 0 ? Value::object(t) : t->mro->items[i];
        incref(v);
        copy->items[i] = v;
    }
    return Ref(std::move(copy));
}
static Ref type_get_dict(Value self) {
    Type* t = self.as<Type>();
    if (!t->dict) return Ref(new_dict());
    return Ref(dict_copy(t->dict));
}
static Ref type_get_doc(Value self) {
    Type* t = self.as<Type>();
    if (!type_has(t, kHeapType)) {
        Value d = t->dict ? dict_get_str(t->dict, names::doc_) : Value::null();
        return d.is_null() ? Ref::none() : Ref::borrow(d);
    }
    Value d = dict_get_str(t->dict, names::doc_);
    if (d.is_null()) return Ref::none();
    DescrGetSlot g = type_of(d)->descr_get;
    if (g) return g(d, Value::null(), t);
    return Ref::borrow(d);
}
static bool type_set_doc(Value self, Value v) {
    Type* t = self.as<Type>();
    if (!check_heap_set(t, "__doc__", v)) return false;
    if (!dict_set_str(t->dict, names::doc_, v)) return false;
    type_modified(t);
    return true;
}
static Ref type_get_module(Value self) {
    Type* t = self.as<Type>();
    Value m = type_module(t);
    if (m.is_null())
        return raisef(&exc::AttributeError, "__module__");
    return Ref::borrow(m);
}
static bool type_set_module(Value self, Value v) {
    Type* t = self.as<Type>();
    if (!check_heap_set(t, "__module__", v)) return false;
    if (!dict_set_str(t->dict, names::module_, v)) return false;
    type_modified(t);
    return true;
}

static const GetSetDef type_getsets[] = {
    {"__name__", type_get_name, type_set_name},
    {"__qualname__", type_get_qualname, type_set_qualname},
    {"__bases__", type_get_bases},
    {"__base__", type_get_base},
    {"__mro__", type_get_mro},
    {"__dict__", type_get_dict},
    {"__doc__", type_get_doc, type_set_doc},
    {"__module__", type_get_module, type_set_module},
    {nullptr},
};

static Ref type_mro_method(Value self, CallArgs a) {
    if (!parse_args("mro", a, 0, 0, {}, nullptr)) return nullptr;
    Type* t = self.as<Type>();
    RefT<List> l = new_list();
    if (!l) return nullptr;
    int64_t n = t->mro ? t->mro->size : 0;
    for (int64_t i = 0; i < n; i++)
        if (!list_append(l.get(), i == 0 ? Value::object(t) : t->mro->items[i])) return nullptr;
    return Ref(std::move(l));
}

static Ref type_subclasses(Value self, CallArgs a) {
    if (!parse_args("__subclasses__", a, 0, 0, {}, nullptr)) return nullptr;
    Type* t = self.as<Type>();
    RefT<List> l = new_list();
    if (!l) return nullptr;
    if (t->subclasses)
        for (Type* s : *t->subclasses)
            if (!list_append(l.get(), Value::object(s))) return nullptr;
    return Ref(std::move(l));
}

static Ref type_instancecheck(Value self, CallArgs a) {
    Value inst;
    if (!parse_args("__instancecheck__", a, 1, 1, {""}, &inst)) return nullptr;
    return Ref::boolean(is_subtype(type_of(inst), self.as<Type>()));
}

static Ref type_subclasscheck(Value self, CallArgs a) {
    Value sub;
    if (!parse_args("__subclasscheck__", a, 1, 1, {""}, &sub)) return nullptr;
    if (!is_subtype(type_of(sub), &type_type))
        return raise(&exc::TypeError, "issubclass() arg 1 must be a class");
    return Ref::boolean(is_subtype(sub.as<Type>(), self.as<Type>()));
}

static Ref type_prepare(Value, CallArgs) { return Ref(new_dict()); }

static Ref type_dir(Value self, CallArgs a) {
    if (!parse_args("__dir__", a, 0, 0, {}, nullptr)) return nullptr;
    RefT<Dict> d = new_dict();
    if (!d) return nullptr;
    if (!merge_class_dict(d.get(), self.as<Type>())) return nullptr;
    return class_keys_list(d.get());
}

static const MethodDef type_methods[] = {
    {"mro", type_mro_method},
    {"__subclasses__", type_subclasses},
    {"__instancecheck__", type_instancecheck},
    {"__subclasscheck__", type_subclasscheck},
    {"__prepare__", type_prepare, kMethodClass},
    {"__dir__", type_dir},
    {nullptr},
};

// ---- type: calling ---------------------------------------------------------------------------------

Ref type_call(Value callable, CallArgs a) {
    Type* t = callable.as<Type>();
    if (t == &type_type && a.npos == 1 && a.nkw() == 0)
        return Ref::borrow(Value::object(type_of(a.args[0])));
    if (!t->new_) return raisef(&exc::TypeError, "cannot create '{}' instances", t->name);
    Ref obj = t->new_(t, a);
    if (!obj) return nullptr;
    Type* ot = type_of(obj.get());
    if (ot != t && !is_subtype(ot, t)) return obj;
    if (ot->init && !ot->init(obj.get(), a)) return nullptr;
    return obj;
}

static bool type_init(Value self, CallArgs a) {
    if (a.npos != 1 && a.npos != 3) {
        (void)raise(&exc::TypeError, "type.__init__() takes 1 or 3 arguments");
        return false;
    }
    if (a.npos == 1 && a.nkw()) {
        (void)raise(&exc::TypeError, "type.__init__() takes no keyword arguments");
        return false;
    }
    return true;
}

static void type_dealloc(Object* o) {
    Type* t = static_cast<Type*>(o);
    // Only heap types die (builtin types are immortal).
    if (t->bases) {
        for (int64_t i = 0; i < t->bases->size; i++)
            if (t->bases->items[i].is_object()) remove_subclass(t->bases->items[i].as<Type>(), t);
    }
    if (t->mro) {
        if (t->mro->size > 0) t->mro->items[0] = Value::null();  // the borrowed self entry
        decref(t->mro);
    }
    if (t->bases) decref(t->bases);
    if (t->dict) {
        Dict* d = t->dict;
        t->dict = nullptr;
        decref(d);
    }
    if (t->name_str) decref(t->name_str);
    if (t->qualname) decref(t->qualname);
    if (t->base) decref(t->base);
    delete t->subclasses;
    object_free(o, sizeof(Type));
}

// ---- heap types -------------------------------------------------------------------------------------

// The most derived base whose instances have a C layout of their own.
static Type* solid_base(Type* t) {
    while (t->base) {
        if (type_has(t, kHeapType) ? t->nslots > 0
                                   : (t->basic_size != t->base->basic_size ||
                                      type_has(t, kSolidLayout)))
            return t;
        t = t->base;
    }
    return t;
}

static bool acceptable_base(Type* b) {
    if (type_has(b, kHeapType) || type_has(b, kBaseType)) return true;
    if (b == &bool_type || b == &none_type || b == &not_implemented_type || b == &ellipsis_type ||
        b == &slice_type || b == &cell_type || b == &range_type || b == &native_function_type ||
        b == &method_descriptor_type || b == &getset_descriptor_type ||
        b == &wrapper_descriptor_type || b == &method_wrapper_type)
        return false;
    const char* n = b->name;
    if (!std::strcmp(n, "function") || !std::strcmp(n, "method") || !std::strcmp(n, "generator") ||
        !std::strcmp(n, "code") || !std::strcmp(n, "traceback") || !std::strcmp(n, "frame"))
        return false;
    return b->new_ != nullptr;
}

// C3 linearisation of `bases` (each already has its MRO).
static bool compute_mro(Type* t, Tuple* bases, std::vector<Type*>* out) {
    std::vector<std::vector<Type*>> seqs;
    for (int64_t i = 0; i < bases->size; i++) {
        Type* b = bases->items[i].as<Type>();
        std::vector<Type*> s;
        for (int64_t k = 0; k < b->mro->size; k++)
            s.push_back(k == 0 ? b : b->mro->items[k].as<Type>());
        seqs.push_back(std::move(s));
    }
    std::vector<Type*> bl;
    for (int64_t i = 0; i < bases->size; i++) bl.push_back(bases->items[i].as<Type>());
    seqs.push_back(bl);
    std::vector<size_t> pos(seqs.size(), 0);
    out->clear();
    out->push_back(t);
    for (;;) {
        bool empty = true;
        bool found = false;
        for (size_t i = 0; i < seqs.size(); i++) {
            if (pos[i] >= seqs[i].size()) continue;
            empty = false;
            Type* cand = seqs[i][pos[i]];
            // cand must not appear in the tail of any sequence.
            bool in_tail = false;
            for (size_t j = 0; j < seqs.size() && !in_tail; j++)
                for (size_t k = pos[j] + 1; k < seqs[j].size(); k++)
                    if (seqs[j][k] == cand) {
                        in_tail = true;
                        break;
                    }
            if (in_tail) continue;
            out->push_back(cand);
            for (size_t j = 0; j < seqs.size(); j++)
                if (pos[j] < seqs[j].size() && seqs[j][pos[j]] == cand) pos[j]++;
            found = true;
            break;
        }
        if (empty) return true;
        if (!found) {
            std::vector<Type*> heads;
            for (size_t i = 0; i < seqs.size(); i++) {
                if (pos[i] >= seqs[i].size()) continue;
                Type* h = seqs[i][pos[i]];
                if (std::find(heads.begin(), heads.end(), h) == heads.end()) heads.push_back(h);
            }
            std::string msg =
                "Cannot create a consistent method resolution\norder (MRO) for bases";
            for (size_t i = 0; i < heads.size(); i++) {
                msg += i ? ", " : " ";
                msg += heads[i]->name;
            }
            (void)raise(&exc::TypeError, msg);
            return false;
        }
    }
}

static bool is_plain_function(Value v) {
    return v.is_object() && std::strcmp(v.as_object()->type->name, "function") == 0;
}

Ref type_new(Type* metatype, CallArgs a) {
    if (a.npos != 3) return raise(&exc::TypeError, "type() takes 1 or 3 arguments");
    Value name = a.args[0], bases_v = a.args[1], ns = a.args[2];
    if (!is_str(name))
        return raisef(&exc::TypeError, "type.__new__() argument 1 must be str, not {}",
                      type_name(name));
    if (!is_tuple(bases_v))
        return raisef(&exc::TypeError, "type.__new__() argument 2 must be tuple, not {}",
                      type_name(bases_v));
    if (!is_dict(ns))
        return raisef(&exc::TypeError, "type.__new__() argument 3 must be dict, not {}",
                      type_name(ns));
    Tuple* bases_in = bases_v.as<Tuple>();

    // The most derived metaclass.
    Type* winner = metatype;
    for (int64_t i = 0; i < bases_in->size; i++) {
        Type* tmp = type_of(bases_in->items[i]);
        if (is_subtype(winner, tmp)) continue;
        if (is_subtype(tmp, winner)) {
            winner = tmp;
            continue;
        }
        return raise(&exc::TypeError,
                     "metaclass conflict: the metaclass of a derived class must be a (non-strict) "
                     "subclass of the metaclasses of all its bases");
    }
    if (winner != metatype) {
        if (winner->new_ != type_new) return winner->new_(winner, a);
        metatype = winner;
    }

    RefT<Tuple> bases;
    if (bases_in->size == 0) {
        bases = new_tuple_of({Value::object(&object_type)});
        if (!bases) return nullptr;
    } else {
        bases = RefT<Tuple>::borrow(bases_in);
    }
    // Check the bases and find the best base (the one whose layout all others extend).
    Type* best = nullptr;
    Type* best_solid = nullptr;
    for (int64_t i = 0; i < bases->size; i++) {
        Value bv = bases->items[i];
        if (!is_subtype(type_of(bv), &type_type)) return raise(&exc::TypeError, "bases must be types");
        Type* b = bv.as<Type>();
        for (int64_t j = 0; j < i; j++)
            if (bases->items[j].is(bv))
                return raisef(&exc::TypeError, "duplicate base class {}", b->name);
        if (!acceptable_base(b))
            return raisef(&exc::TypeError, "type '{}' is not an acceptable base type", b->name);
        Type* sb = solid_base(b);
        if (!best) {
            best = b;
            best_solid = sb;
        } else if (is_subtype(best_solid, sb)) {
        } else if (is_subtype(sb, best_solid)) {
            best = b;
            best_solid = sb;
        } else {
            return raise(&exc::TypeError, "multiple bases have instance lay-out conflict");
        }
    }

    // The namespace: a copy we adjust.
    RefT<Dict> dict = dict_copy(ns.as<Dict>());
    if (!dict) return nullptr;
    Dict* d = dict.get();
    if (dict_get_str(d, names::module_).is_null() && current_globals) {
        Dict* g = current_globals();
        Value mn = g ? dict_get_str(g, names::name_) : Value::null();
        if (!mn.is_null() && !dict_set_str(d, names::module_, mn)) return nullptr;
    }
    RefT<Str> qualname;
    Value qv = dict_get_str(d, names::qualname_);
    if (!qv.is_null()) {
        if (!is_str(qv))
            return raisef(&exc::TypeError, "type __qualname__ must be a str, not {}", type_name(qv));
        qualname = RefT<Str>::borrow(qv.as<Str>());
        if (dict_del(d, Value::object(names::qualname_)) < 0) return nullptr;
    } else {
        qualname = RefT<Str>::borrow(name.as<Str>());
    }
    Ref classcell;
    Value cc = dict_get_str(d, names::classcell_);
    if (!cc.is_null()) {
        if (type_of(cc) != &cell_type)
            return raisef(&exc::TypeError, "__classcell__ must be a nonlocal cell, not {}",
                          type_name(cc));
        classcell = Ref::borrow(cc);
        if (dict_del(d, Value::object(names::classcell_)) < 0) return nullptr;
    }
    if (dict_get_str(d, names::doc_).is_null() && !dict_set_str(d, names::doc_, Value::none()))
        return nullptr;
    Value nv = dict_get_str(d, names::new_);
    if (is_plain_function(nv)) {
        Ref sm = new_staticmethod(nv);
        if (!sm || !dict_set_str(d, names::new_, sm.get())) return nullptr;
    }
    for (Str* cmname : {names::init_subclass_, names::class_getitem_}) {
        Value f = dict_get_str(d, cmname);
        if (is_plain_function(f)) {
            Ref cm = new_classmethod(f);
            if (!cm || !dict_set_str(d, cmname, cm.get())) return nullptr;
        }
    }
    if (!dict_get_str(d, names::eq_).is_null() && dict_get_str(d, names::hash_).is_null())
        if (!dict_set_str(d, names::hash_, Value::none())) return nullptr;

    // __slots__: the names (mangled), whether a __dict__ is wanted.
    std::vector<RefT<Str>> slot_names;
    bool slots_dict = true;
    Value slots_v = dict_get_str(d, names::slots_);
    if (!slots_v.is_null()) {
        slots_dict = false;
        std::vector<Ref> items;
        if (is_str(slots_v)) {
            items.push_back(Ref::borrow(slots_v));
        } else {
            Ref it = get_iter(slots_v);
            if (!it) return nullptr;
            for (;;) {
                Ref x = iter_next(it.get());
                if (!x) {
                    if (error_occurred()) return nullptr;
                    break;
                }
                items.push_back(std::move(x));
            }
        }
        for (Ref& x : items) {
            if (!is_str(x.get()))
                return raisef(&exc::TypeError, "__slots__ items must be strings, not '{}'",
                              type_name(x.get()));
            std::string_view sv = x.as<Str>()->view();
            if (sv == "__dict__") {
                if (best->dict_offset || slots_dict)
                    return raise(&exc::TypeError, "__dict__ slot disallowed: we already got one");
                slots_dict = true;
                continue;
            }
            if (sv == "__weakref__") continue;
            std::string mangled(sv);
            if (sv.size() > 2 && sv.substr(0, 2) == "__" && sv.substr(sv.size() - 2) != "__") {
                std::string_view cn = name.as<Str>()->view();
                while (!cn.empty() && cn[0] == '_') cn.remove_prefix(1);
                if (!cn.empty()) mangled = "_" + std::string(cn) + std::string(sv);
            }
            Str* key = intern(mangled);
            if (!dict_get_str(d, key).is_null())
                return raisef(&exc::ValueError, "'{}' in __slots__ conflicts with class variable",
                              mangled);
            slot_names.push_back(RefT<Str>::borrow(key));
        }
    }

    // The type object.
    Type* t = new_object<Type>(metatype, 0);
    if (!t) return nullptr;
    Ref result = Ref::steal(t);
    t->flags = kHeapType | kBaseType;
    RefT<Str> nm = is_exact_str(name) ? RefT<Str>::borrow(name.as<Str>()) : new_str(name.as<Str>()->view());
    if (!nm) return nullptr;
    t->name_str = nm.release();
    t->name = t->name_str->data;
    t->qualname = qualname.release();
    t->bases = bases.release();
    incref(best);
    t->base = best;
    t->dict = dict.release();
    // Layout: the best base's, plus an instance dict unless it has one already (or is
    // variable-sized: tuple/str/bytes subclasses have no instance dict yet).
    t->basic_size = best->basic_size;
    t->dict_offset = best->dict_offset;
    bool varsized = type_has(best, kTupleSubclass | kStrSubclass | kBytesSubclass);
    if (!slot_names.empty()) {
        if (varsized)
            return raisef(&exc::TypeError, "nonempty __slots__ not supported for subtype of '{}'",
                          best->name);
        uint32_t off = (t->basic_size + 7) & ~7u;
        t->slots_offset = static_cast<int32_t>(off);
        t->nslots = static_cast<int32_t>(slot_names.size());
        t->basic_size = off + static_cast<uint32_t>(slot_names.size() * sizeof(Value));
    }
    if (!t->dict_offset && slots_dict && !varsized) {
        uint32_t off = (t->basic_size + 7) & ~7u;
        t->dict_offset = static_cast<int32_t>(off);
        t->basic_size = off + sizeof(Dict*);
    }
    for (size_t i = 0; i < slot_names.size(); i++) {
        auto* md = new_object<MemberDescriptor>(&member_descriptor_type, 0);
        if (!md) return nullptr;
        md->name = slot_names[i].release();
        md->owner = t;
        md->offset = t->slots_offset + static_cast<int32_t>(i * sizeof(Value));
        bool ok = dict_set_str(t->dict, md->name, Value::object(md));
        decref(md);
        if (!ok) return nullptr;
    }
    t->flags |= best->flags & (kIntSubclass | kStrSubclass | kTupleSubclass | kListSubclass |
                               kDictSubclass | kTypeSubclass | kExceptionSubclass | kBytesSubclass);
    if (is_subtype(best, &type_type)) t->flags |= kTypeSubclass;

    std::vector<Type*> mro;
    if (!compute_mro(t, t->bases, &mro)) return nullptr;
    RefT<Tuple> mt = new_tuple(static_cast<int64_t>(mro.size()));
    if (!mt) return nullptr;
    mt->items[0] = Value::object(t);  // borrowed (see the file comment)
    for (size_t i = 1; i < mro.size(); i++) {
        incref(mro[i]);
        mt->items[i] = Value::object(mro[i]);
    }
    t->mro = mt.release();
    t->version_tag = next_version_tag();
    for (int64_t i = 0; i < t->bases->size; i++) add_subclass(t->bases->items[i].as<Type>(), t);
    type_fixup_slots(t);

    // __set_name__ on the namespace's values.
    {
        std::vector<std::pair<Ref, Ref>> items;
        int64_t pos = 0;
        Value k, v;
        while (dict_next(t->dict, &pos, &k, &v)) items.emplace_back(Ref::borrow(k), Ref::borrow(v));
        for (auto& [k2, v2] : items) {
            Value args[2] = {Value::object(t), k2.get()};
            bool found;
            Value sn = type_lookup(type_of(v2.get()), names::set_name_);
            if (sn.is_null()) continue;
            Ref r = call_special(v2.get(), names::set_name_, args, 2, &found);
            if (!r && found) return nullptr;
        }
    }
    if (classcell) {
        Cell* c = classcell.as<Cell>();
        Value old = c->contents;
        incref(t);
        c->contents = Value::object(t);
        decref(old);
    }
    // super(t, t).__init_subclass__(**kwargs)
    {
        Value f = Value::null();
        Type* owner = nullptr;
        for (int64_t i = 1; i < t->mro->size; i++) {
            Type* b = t->mro->items[i].as<Type>();
            if (!b->dict) continue;
            f = dict_get_str(b->dict, names::init_subclass_);
            if (!f.is_null()) {
                owner = b;
                break;
            }
        }
        if (!f.is_null()) {
            Ref hold = Ref::borrow(f);
            Ref bound;
            DescrGetSlot g = type_of(f)->descr_get;
            if (g) {
                bound = g(f, Value::null(), t);
            } else {
                bound = Ref::borrow(f);
            }
            (void)owner;
            if (!bound) return nullptr;
            Ref r = call(bound.get(), CallArgs{a.args + 3, 0, a.kwnames});
            if (!r) return nullptr;
        }
    }
    return result;
}

// ---- init ------------------------------------------------------------------------------------------

void init_object_and_type_types() {
    object_type.name = "object";
    object_type.basic_size = sizeof(Object);
    object_type.flags |= kBaseType;
    object_type.repr = object_repr;
    object_type.str = object_str;
    object_type.hash = object_hash;
    object_type.compare = object_compare;
    object_type.getattr = generic_getattr;
    object_type.setattr = generic_setattr;
    object_type.new_ = object_new;
    object_type.init = object_init;
    object_type.methods = object_methods;
    object_type.getsets = object_getsets;

    type_type.name = "type";
    type_type.basic_size = sizeof(Type);
    type_type.dict_offset = static_cast<int32_t>(offsetof(Type, dict));
    type_type.flags |= kBaseType | kTypeSubclass;
    type_type.repr = type_repr;
    type_type.call = type_call;
    type_type.getattr = type_getattro;
    type_type.setattr = type_setattro;
    type_type.new_ = type_new;
    type_type.init = type_init;
    type_type.dealloc = type_dealloc;
    type_type.methods = type_methods;
    type_type.getsets = type_getsets;

    getset_descriptor_type.name = "getset_descriptor";
    getset_descriptor_type.basic_size = sizeof(GetSetDescriptor);
    getset_descriptor_type.descr_get = getset_get;
    getset_descriptor_type.descr_set = getset_set;
    getset_descriptor_type.repr = getset_repr;
    getset_descriptor_type.getsets = getset_descriptor_getsets;

    // object first (type's MRO copies it), then the descriptor types the others' dicts use.
    // Their dicts are filled in the same calls: the descriptor types only need to exist.
    type_ready(&object_type, nullptr);
    type_ready(&type_type, &object_type);
    type_ready(&getset_descriptor_type, &object_type);
    init_slot_wrapper_types();

    member_descriptor_type.name = "member_descriptor";
    member_descriptor_type.basic_size = sizeof(MemberDescriptor);
    member_descriptor_type.descr_get = member_get;
    member_descriptor_type.descr_set = member_set;
    member_descriptor_type.repr = member_repr;
    member_descriptor_type.dealloc = member_dealloc;
    type_ready(&member_descriptor_type, &object_type);
}

}  // namespace toy
