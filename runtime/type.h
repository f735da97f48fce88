// type.h: type objects and the slots of the hot protocols.
//
// A Type is an object. Builtin types are static, immortal objects shared by every
// interpreter in the process; their dicts are filled once by runtime_init() and never
// changed afterwards (setting attributes on a builtin type raises TypeError, as in CPython).
// Classes written in Toy are heap types (kHeapType) created by type.__new__/__build_class__;
// their slots are filled with generic functions that look up and call the dunder methods
// (`slot_*` in type.cpp) whenever the class or a base defines them, and re-filled when a
// dunder is assigned on the class later.
//
// Slot conventions (all take borrowed Values):
//   - Ref-returning slots return a new reference, or null with an exception set.
//   - `bool` slots return false with an exception set. `int` slots return -1 on error.
//   - binary slots and `compare` may return NotImplemented (Ref::not_implemented()); the
//     abstract layer (abstract.h) then tries the reflected operation, as CPython does.
//   - `next` returns null *without* an exception set when the iterator is exhausted
//     (StopIteration is only materialised when Toy code asks for it).
//   - a null slot means "not supported": the abstract layer raises the right TypeError.
//
// Instance layout: every instance starts with the layout of its type's nearest builtin base
// (Object for plain classes, BaseExceptionObject for exceptions, ...). If `dict_offset` is
// non-zero, a `Dict*` (owned, may be null until first write) sits at that byte offset.
//
// version_tag: a non-zero number that changes whenever the type's dict or any base's dict
// changes (type_modified() walks subclasses). Inline caches key on it; 0 disables caching.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/object.h"

namespace toy {

struct Str;
struct Tuple;
struct Dict;

enum class BinOp : uint8_t {
    kAdd, kSub, kMul, kTrueDiv, kFloorDiv, kMod, kPow, kLShift, kRShift, kAnd, kOr, kXor,
    kMatMul, kCount
};
inline constexpr uint32_t kInplaceBit = 0x80;  // BINARY_OP operand: the in-place form (+=)

enum class CmpOp : uint8_t { kLt, kLe, kEq, kNe, kGt, kGe };

// A vectorcall-style argument list: positional values, then keyword values named by
// `kwnames` (a tuple of interned str), stored contiguously: args[npos + i] is kwnames[i].
struct CallArgs {
    const Value* args = nullptr;
    size_t npos = 0;
    Tuple* kwnames = nullptr;

    size_t nkw() const;  // 0 when kwnames is null
};

using NativeFn = Ref (*)(Value self, CallArgs a);  // self is null for plain functions

using DeallocSlot = void (*)(Object*);
using ReprSlot = Ref (*)(Value);
using HashSlot = bool (*)(Value, int64_t* out);
using CompareSlot = Ref (*)(Value a, Value b, CmpOp op);
using BinarySlot = Ref (*)(Value a, Value b);
using UnarySlot = Ref (*)(Value a);
using TruthSlot = int (*)(Value);
using LenSlot = int64_t (*)(Value);  // -1 on error
using GetAttrSlot = Ref (*)(Value self, Str* name);
using SetAttrSlot = bool (*)(Value self, Str* name, Value v);  // v null: delete
using CallSlot = Ref (*)(Value callable, CallArgs a);
using IterSlot = Ref (*)(Value);
using NextSlot = Ref (*)(Value);  // null, no exception: exhausted
using GetItemSlot = Ref (*)(Value self, Value key);
using SetItemSlot = bool (*)(Value self, Value key, Value v);  // v null: delete
using ContainsSlot = int (*)(Value self, Value item);
using DescrGetSlot = Ref (*)(Value descr, Value obj, Type* owner);  // obj null: class access
using DescrSetSlot = bool (*)(Value descr, Value obj, Value v);     // v null: delete
using NewSlot = Ref (*)(Type* type, CallArgs a);
using InitSlot = bool (*)(Value self, CallArgs a);

// Type flags.
enum TypeFlags : uint32_t {
    kHeapType = 1u << 0,      // a class created at run time
    kBaseType = 1u << 1,      // may be subclassed
    kImmutableType = 1u << 2, // attributes may not be set (builtin types)
    kHasFinalizer = 1u << 3,  // defines __del__
    // (core) Instances are "method-like" descriptors (Toy functions, method_descriptor): a
    // value of this type found on a class may be called unbound with self first instead of
    // being bound by descr_get (LOAD_METHOD and the slot_* dunder calls skip the binding).
    // The VM sets it on function_type.
    kMethodDescriptor = 1u << 4,
    // (core) Instances have a C layout of their own even where basic_size equals the base's
    // (exceptions keeping fields in `extra`): a class may not inherit from two such types.
    kSolidLayout = 1u << 5,
    // Fast subclass checks, as CPython's Py_TPFLAGS_*_SUBCLASS.
    kIntSubclass = 1u << 8,
    kStrSubclass = 1u << 9,
    kTupleSubclass = 1u << 10,
    kListSubclass = 1u << 11,
    kDictSubclass = 1u << 12,
    kTypeSubclass = 1u << 13,
    kExceptionSubclass = 1u << 14,  // BaseException or a subclass
    kBytesSubclass = 1u << 15,
};

// A method of a builtin type, turned into a descriptor in the type's dict at init.
struct MethodDef {
    const char* name;
    NativeFn fn;
    uint32_t flags = 0;  // kMethodStatic, kMethodClass
    const char* doc = nullptr;
};
enum MethodFlags : uint32_t { kMethodStatic = 1, kMethodClass = 2 };

// A computed attribute of a builtin type (e.g. `complex.real`, `exc.args`).
struct GetSetDef {
    const char* name;
    Ref (*get)(Value self);
    bool (*set)(Value self, Value v) = nullptr;  // null: read-only
};

struct Type : Object {
    const char* name = "";     // tp_name, for builtin types ("int", "ValueError", ...)
    Str* name_str = nullptr;   // __name__ (owned)
    Str* qualname = nullptr;   // __qualname__ (owned)
    Type* base = nullptr;      // the primary base (__base__), owned
    Tuple* bases = nullptr;    // __bases__, owned
    Tuple* mro = nullptr;      // __mro__ (tuple of Type), owned, computed by C3
    Dict* dict = nullptr;      // __dict__, owned
    uint32_t flags = 0;
    uint32_t version_tag = 0;
    uint32_t basic_size = sizeof(Object);  // instance size in bytes
    int32_t dict_offset = 0;               // offset of the instance Dict*, 0: none
    std::vector<Type*>* subclasses = nullptr;  // weak, for type_modified()
    // (core) __slots__ of a heap type: nslots owned Values (null: unset) at slots_offset,
    // added by this very type (its bases' slots are theirs).
    int32_t nslots = 0;
    int32_t slots_offset = 0;

    // Builtin type definitions (read by type_ready()).
    const MethodDef* methods = nullptr;  // terminated by {nullptr}
    const GetSetDef* getsets = nullptr;  // terminated by {nullptr}

    // --- slots ------------------------------------------------------------------------------
    DeallocSlot dealloc = nullptr;
    ReprSlot repr = nullptr;
    ReprSlot str = nullptr;  // null: use repr
    HashSlot hash = nullptr; // null: unhashable (TypeError)
    CompareSlot compare = nullptr;
    BinarySlot binary[static_cast<int>(BinOp::kCount)] = {};
    BinarySlot inplace[static_cast<int>(BinOp::kCount)] = {};  // null: use binary
    UnarySlot neg = nullptr, pos = nullptr, invert = nullptr, abs = nullptr;
    UnarySlot to_int = nullptr, to_float = nullptr, index = nullptr;  // __int__ __float__ __index__
    TruthSlot truth = nullptr;  // null: len() if any, else true
    LenSlot len = nullptr;
    GetAttrSlot getattr = nullptr;  // null: generic_getattr
    SetAttrSlot setattr = nullptr;  // null: generic_setattr
    CallSlot call = nullptr;
    IterSlot iter = nullptr;
    NextSlot next = nullptr;
    GetItemSlot getitem = nullptr;
    SetItemSlot setitem = nullptr;
    ContainsSlot contains = nullptr;  // null: iterate
    DescrGetSlot descr_get = nullptr;
    DescrSetSlot descr_set = nullptr;
    NewSlot new_ = nullptr;
    InitSlot init = nullptr;
};

extern Type type_type;    // `type`
extern Type object_type;  // `object`

// Readies a builtin type: sets its type to `type`, computes the MRO from `base`, fills the
// dict from methods/getsets and inherits null slots from the base. Makes it immortal.
void type_ready(Type* t, Type* base);

// Looks `name` up along t's MRO. Borrowed; null when missing (no exception set).
Value type_lookup(Type* t, Str* name);

// Called after a type's dict changes: bumps version tags of t and all its subclasses and
// re-fills dunder slots of heap types.
void type_modified(Type* t);

bool is_subtype(const Type* a, const Type* b);
// A __slots__ member descriptor: its value's byte offset in the instance (for the VM's
// attribute caches). False for any other object.
bool member_descriptor_offset(Value descr, int32_t* offset);

inline bool type_has(const Type* t, uint32_t flag) { return (t->flags & flag) != 0; }

// The type of any value (specials, small ints and doubles included). Null for Value::null().
extern Type int_type, float_type;
extern Type* const special_type_table[8];  // indexed by Value::Special (misc_types.cpp)
inline Type* type_of(Value v) {
    if (TOY_LIKELY(v.is_object())) return v.as_object()->type;
    if (v.is_small_int()) return &int_type;
    if (v.is_double()) return &float_type;
    return special_type_table[v.bits() & 7];
}

// --- added by core ----------------------------------------------------------------------------
// The address of an object's instance dict pointer, or null if its type has none.
inline Dict** instance_dict_ptr(Value v) {
    if (!v.is_object()) return nullptr;
    Object* o = v.as_object();
    int32_t off = o->type->dict_offset;
    return off ? reinterpret_cast<Dict**>(reinterpret_cast<char*>(o) + off) : nullptr;
}
// A fresh, process-unique version tag (0 when the counter is exhausted: caching disabled).
uint32_t next_version_tag();
// The generic slots of `object` (usable as slot values by other types).
Ref object_repr(Value self);
bool object_hash(Value self, int64_t* out);  // identity hash
// type(name, bases, dict): creates a heap type (what __build_class__ ends up calling).
Ref type_new(Type* metatype, CallArgs a);
// The `type` call slot: C(...) = new_ then init.
Ref type_call(Value type, CallArgs a);
// `__module__` of a type ("builtins" for builtin types), borrowed or null; qualified name
// "mod.qualname" (just the qualname for builtins) as used by type and object reprs.
Value type_module(Type* t);
std::string type_qualified_name(Type* t);
// Looks up a dunder on the type of self and calls it with self first (binding only when the
// attribute is not method-like). Null with *found false (no exception) when missing.
Ref call_special(Value self, Str* name, const Value* args, size_t nargs, bool* found);
// For a slot of a heap type: dunder slot functions refreshed after `name` changed on t
// (type.__setattr__ calls this; __build_class__ does not need to).
void type_fixup_slots(Type* t);

}  // namespace toy
