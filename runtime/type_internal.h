// type_internal.h: shared by type.cpp and type_slots.cpp (core only).
//
// Slot table: every dunder that maps onto a Type slot. Builtin types get a wrapper
// descriptor (`<slot wrapper '__add__' of 'int' objects>`) in their dict for each non-null
// slot, so `int.__add__`, `super().__init__`, `object.__repr__(x)` work. Heap types get their
// slots from the dunders found along their MRO (type_fixup_slots): a wrapper found for the
// same slot means "use the builtin's C function directly", anything else the generic
// slot_* function that calls the dunder.
#pragma once

#include "runtime/type.h"

namespace toy {

enum class SlotKind : uint8_t {
    kRepr, kStr, kHash, kCompare, kBinary, kBinaryR, kInplace, kNeg, kPos, kInvert, kAbs, kInt,
    kFloat, kIndex, kBool, kLen, kGetattribute, kGetattrHook, kSetattr, kDelattr, kCall, kIter,
    kNext, kGetitem, kSetitem, kDelitem, kContains, kGet, kSet, kDelete, kNew, kInit, kDel,
};

struct SlotDef {
    const char* name;
    SlotKind kind;
    int arg;          // BinOp index, CmpOp
    Str** interned;   // names::x_
};

extern const SlotDef kSlotDefs[];
extern const int kNumSlotDefs;

// The address of the Type field a slot def writes (null for kDel).
void** slot_field(Type* t, const SlotDef* d);
// The generic (dunder-calling) function for a slot def's field.
void* generic_slot(const SlotDef* d);

struct SlotWrapper : Object {
    const SlotDef* def;
    Type* owner;
};
struct MethodWrapper : Object {
    SlotWrapper* wrapper;  // owned
    Value self;            // owned
};
struct GetSetDescriptor : Object {
    const GetSetDef* def;
    Type* owner;
};

extern Type wrapper_descriptor_type;
extern Type method_wrapper_type;
extern Type getset_descriptor_type;

Ref call_slot_wrapper(SlotWrapper* w, Value self, CallArgs a);
void subtype_dealloc(Object* o);
Ref object_new(Type* type, CallArgs a);
bool object_init(Value self, CallArgs a);
Ref tp_new_wrapper(Value self, CallArgs a);
extern const MethodDef tp_new_def;
// Calls f with self prepended to a (a small stack buffer, no allocation for short calls).
Ref call_with_self(Value f, Value self, CallArgs a);
// call_special with a full CallArgs (keywords included).
Ref call_special_args(Value self, Str* name, CallArgs a, bool* found);
void init_slot_wrapper_types();
// Attribute lookup without raising AttributeError for a missing name (*missing set instead;
// other errors still raise). The generic one and type's.
Ref generic_getattr_impl(Value o, Str* name, bool* missing);
Ref type_getattr_impl(Value o, Str* name, bool* missing);
Ref type_getattro(Value self, Str* name);

}  // namespace toy
