// bool.cpp: the bool type, a subclass of int whose two values are the special Values True
// and False (value.h): they never allocate. Arithmetic is inherited from int (giving ints);
// & | ^ on two bools give bools, as in CPython.
#include "runtime/abstract.h"
#include "runtime/errors.h"
#include "runtime/int.h"
#include "runtime/native_function.h"
#include "runtime/str.h"
#include "runtime/text_internal.h"

namespace toy {

Type bool_type;

namespace {

Ref bool_repr(Value v) {
    static Str* true_str = intern("True");
    static Str* false_str = intern("False");
    return Ref::borrow(Value::object(v.as_bool() ? true_str : false_str));
}

int bool_truth(Value v) { return v.as_bool() ? 1 : 0; }

template <BinOp op> Ref bool_bitop(Value a, Value b) {
    if (a.is_bool() && b.is_bool()) {
        bool x = a.as_bool(), y = b.as_bool();
        switch (op) {
            case BinOp::kAnd: return Ref::boolean(x && y);
            case BinOp::kOr: return Ref::boolean(x || y);
            default: return Ref::boolean(x != y);
        }
    }
    return int_type.binary[static_cast<int>(op)](a, b);
}

Ref bool_new(Type*, CallArgs a) {
    if (a.nkw() != 0) return raise(&exc::TypeError, "bool() takes no keyword arguments");
    if (a.npos > 1)
        return raisef(&exc::TypeError, "bool expected at most 1 argument, got {}", a.npos);
    if (a.npos == 0) return Ref::boolean(false);
    int t = truthy(a.args[0]);
    if (t < 0) return nullptr;
    return Ref::boolean(t != 0);
}

const MethodDef bool_methods[] = {
    {"__repr__", text::unary_method<bool_repr>},
    {"__and__", text::binary_method<bool_bitop<BinOp::kAnd>>},
    {"__rand__", text::binary_rmethod<bool_bitop<BinOp::kAnd>>},
    {"__or__", text::binary_method<bool_bitop<BinOp::kOr>>},
    {"__ror__", text::binary_rmethod<bool_bitop<BinOp::kOr>>},
    {"__xor__", text::binary_method<bool_bitop<BinOp::kXor>>},
    {"__rxor__", text::binary_rmethod<bool_bitop<BinOp::kXor>>},
    {nullptr, nullptr},
};

}  // namespace

void init_bool_type() {
    bool_type.name = "bool";
    bool_type.basic_size = sizeof(IntObject);
    bool_type.flags = kImmutableType | kIntSubclass;  // not kBaseType: bool is final
    bool_type.methods = bool_methods;
    bool_type.repr = bool_repr;
    bool_type.truth = bool_truth;
    bool_type.binary[static_cast<int>(BinOp::kAnd)] = bool_bitop<BinOp::kAnd>;
    bool_type.binary[static_cast<int>(BinOp::kOr)] = bool_bitop<BinOp::kOr>;
    bool_type.binary[static_cast<int>(BinOp::kXor)] = bool_bitop<BinOp::kXor>;
    bool_type.new_ = bool_new;
    type_ready(&bool_type, &int_type);
}

}  // namespace toy
