// int.cpp: the int type (64-bit for now: small ints inline, IntObject for the rest).
//
// Every arithmetic operation is overflow-checked. Results outside int64 raise
// OverflowError("integer overflow"): this is a stand-in until big integers arrive (CPython
// would return a big int). Conversions that CPython itself refuses use CPython's wording.
#include "runtime/int.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "runtime/abstract.h"
#include "runtime/bytes.h"
#include "runtime/errors.h"
#include "runtime/float.h"
#include "runtime/format.h"
#include "runtime/native_function.h"
#include "runtime/str.h"
#include "runtime/text_internal.h"
#include "runtime/tuple.h"

namespace toy {

Type int_type;

namespace {

constexpr uint64_t kHashModulus = (uint64_t{1} << 61) - 1;

Ref overflow() { return raise(&exc::OverflowError, "integer overflow"); }

// Reads an int operand for a binary slot: false if v is not an int (-> NotImplemented).
inline bool get_int(Value v, int64_t* out) {
    if (v.is_small_int()) {
        *out = v.as_small_int();
        return true;
    }
    if (v.is_bool()) {
        *out = v.as_bool() ? 1 : 0;
        return true;
    }
    if (v.is_object() && (v.as_object()->type == &int_type ||
                          type_has(v.as_object()->type, kIntSubclass))) {
        *out = static_cast<IntObject*>(v.as_object())->value;
        return true;
    }
    return false;
}

#define INT_OPERANDS(a, b)                                     \
    int64_t x, y;                                              \
    if (!get_int(a, &x) || !get_int(b, &y)) return Ref::not_implemented();

Ref int_add_slot(Value a, Value b) {
    INT_OPERANDS(a, b);
    return int_add(x, y);
}
Ref int_sub_slot(Value a, Value b) {
    INT_OPERANDS(a, b);
    return int_sub(x, y);
}
Ref int_mul_slot(Value a, Value b) {
    INT_OPERANDS(a, b);
    return int_mul(x, y);
}
Ref int_floordiv_slot(Value a, Value b) {
    INT_OPERANDS(a, b);
    return int_floordiv(x, y);
}
Ref int_mod_slot(Value a, Value b) {
    INT_OPERANDS(a, b);
    return int_mod(x, y);
}
Ref int_pow_slot(Value a, Value b) {
    INT_OPERANDS(a, b);
    return int_pow(x, y);
}

// Correctly rounded for |x|, |y| <= 2**53; long double keeps int64 exact beyond that.
Ref int_truediv_slot(Value a, Value b) {
    INT_OPERANDS(a, b);
    if (y == 0) return raise(&exc::ZeroDivisionError, "division by zero");
    constexpr int64_t k53 = int64_t{1} << 53;
    if (x >= -k53 && x <= k53 && y >= -k53 && y <= k53)
        return make_float(static_cast<double>(x) / static_cast<double>(y));
    long double q = static_cast<long double>(x) / static_cast<long double>(y);
    return make_float(static_cast<double>(q));
}

Ref int_lshift_slot(Value a, Value b) {
    INT_OPERANDS(a, b);
    if (y < 0) return raise(&exc::ValueError, "negative shift count");
    if (x == 0) return Ref::steal(Value::small_int(0));
    if (y >= 63) return overflow();
    int64_t r = static_cast<int64_t>(static_cast<uint64_t>(x) << y);
    if ((r >> y) != x) return overflow();
    return make_int(r);
}
Ref int_rshift_slot(Value a, Value b) {
    INT_OPERANDS(a, b);
    if (y < 0) return raise(&exc::ValueError, "negative shift count");
    if (y >= 63) return make_int(x < 0 ? -1 : 0);
    return make_int(x >> y);
}
Ref int_and_slot(Value a, Value b) {
    INT_OPERANDS(a, b);
    return make_int(x & y);
}
Ref int_or_slot(Value a, Value b) {
    INT_OPERANDS(a, b);
    return make_int(x | y);
}
Ref int_xor_slot(Value a, Value b) {
    INT_OPERANDS(a, b);
    return make_int(x ^ y);
}

Ref int_neg(Value a) {
    int64_t x = int_as_i64(a);
    if (x == std::numeric_limits<int64_t>::min()) return overflow();
    return make_int(-x);
}
Ref int_pos(Value a) { return make_int(int_as_i64(a)); }
Ref int_abs(Value a) {
    int64_t x = int_as_i64(a);
    if (x == std::numeric_limits<int64_t>::min()) return overflow();
    return make_int(x < 0 ? -x : x);
}
Ref int_invert(Value a) { return make_int(~int_as_i64(a)); }
Ref int_to_int(Value a) { return make_int(int_as_i64(a)); }
Ref int_to_float(Value a) { return make_float(static_cast<double>(int_as_i64(a))); }
int int_truth(Value a) { return int_as_i64(a) != 0 ? 1 : 0; }

Ref int_repr(Value a) {
    char buf[32];
    auto* end = fmt::format_to(buf, "{}", int_as_i64(a));
    return new_str(std::string_view(buf, static_cast<size_t>(end - buf)));
}

bool int_hash_slot(Value a, int64_t* out) {
    *out = int_hash(int_as_i64(a));
    return true;
}

inline bool cmp_result(int c, CmpOp op) {
    switch (op) {
        case CmpOp::kLt: return c < 0;
        case CmpOp::kLe: return c <= 0;
        case CmpOp::kEq: return c == 0;
        case CmpOp::kNe: return c != 0;
        case CmpOp::kGt: return c > 0;
        case CmpOp::kGe: return c >= 0;
    }
    return false;
}

Ref int_compare(Value a, Value b, CmpOp op) {
    // int vs float is float's business (its compare slot is tried reflected), as in CPython
    // where int.__lt__(1.5) is NotImplemented.
    int64_t x, y;
    if (get_int(a, &x) && get_int(b, &y))
        return Ref::boolean(cmp_result(x < y ? -1 : x > y ? 1 : 0, op));
    return Ref::not_implemented();
}

Ref int_divmod_method(Value self, CallArgs a) {
    if (!text::check_wrapper_args(a, 1)) return nullptr;
    return int_divmod(self, a.args[0]);
}
Ref int_rdivmod_method(Value self, CallArgs a) {
    if (!text::check_wrapper_args(a, 1)) return nullptr;
    return int_divmod(a.args[0], self);
}
Ref int_pow_method(Value self, CallArgs a) {
    if (a.nkw() != 0 || a.npos < 1 || a.npos > 2)
        return raisef(&exc::TypeError, "expected 1 or 2 arguments, got {}", a.npos);
    if (a.npos == 2 && !a.args[1].is_none()) return int_pow_mod(self, a.args[0], a.args[1]);
    return int_pow_slot(self, a.args[0]);
}
Ref int_rpow_method(Value self, CallArgs a) {
    if (a.nkw() != 0 || a.npos < 1 || a.npos > 2)
        return raisef(&exc::TypeError, "expected 1 or 2 arguments, got {}", a.npos);
    if (a.npos == 2 && !a.args[1].is_none()) return int_pow_mod(a.args[0], self, a.args[1]);
    return int_pow_slot(a.args[0], self);
}

Ref int_bit_length(Value self, CallArgs a) {
    if (!text::check_no_args("int.bit_length", a)) return nullptr;
    int64_t x = int_as_i64(self);
    uint64_t u = x < 0 ? uint64_t(0) - static_cast<uint64_t>(x) : static_cast<uint64_t>(x);
    return make_int(u == 0 ? 0 : 64 - __builtin_clzll(u));
}
Ref int_bit_count(Value self, CallArgs a) {
    if (!text::check_no_args("int.bit_count", a)) return nullptr;
    int64_t x = int_as_i64(self);
    uint64_t u = x < 0 ? uint64_t(0) - static_cast<uint64_t>(x) : static_cast<uint64_t>(x);
    return make_int(__builtin_popcountll(u));
}
Ref int_conjugate(Value self, CallArgs a) {
    if (!text::check_no_args("int.conjugate", a)) return nullptr;
    return make_int(int_as_i64(self));
}
Ref int_as_integer_ratio(Value self, CallArgs a) {
    if (!text::check_no_args("int.as_integer_ratio", a)) return nullptr;
    Ref n = make_int(int_as_i64(self));
    if (!n) return nullptr;
    return RefT<Tuple>(new_tuple_of({n.get(), Value::small_int(1)}));
}
Ref int_index_method(Value self, CallArgs a) {
    if (!text::check_wrapper_args(a, 0)) return nullptr;
    return make_int(int_as_i64(self));
}
Ref int_getnewargs(Value self, CallArgs a) {
    if (!text::check_no_args("int.__getnewargs__", a)) return nullptr;
    Ref n = make_int(int_as_i64(self));
    if (!n) return nullptr;
    return RefT<Tuple>(new_tuple_of({n.get()}));
}

// round(int, ndigits): half-even rounding to 10**-ndigits.
Ref int_round(Value self, CallArgs a) {
    if (a.nkw() != 0 || a.npos > 1)
        return raisef(&exc::TypeError, "int.__round__ expected at most 1 argument, got {}",
                      a.npos);
    int64_t x = int_as_i64(self);
    if (a.npos == 0 || a.args[0].is_none()) return make_int(x);
    int64_t nd;
    if (!index_value(a.args[0], &nd)) return nullptr;
    if (nd >= 0) return make_int(x);
    if (nd < -19) return make_int(0);
    int64_t p = 1;
    for (int64_t i = 0; i < -nd; ++i) p *= 10;
    int64_t q = floordiv_i64(x, p), r = mod_i64(x, p);
    // r in [0, p): round half to even
    uint64_t twice = static_cast<uint64_t>(r) * 2;
    if (twice > static_cast<uint64_t>(p) || (twice == static_cast<uint64_t>(p) && (q & 1))) ++q;
    int64_t res;
    if (__builtin_mul_overflow(q, p, &res)) return overflow();
    return make_int(res);
}
Ref int_self_method(Value self, CallArgs a) {
    if (!text::check_no_args("int.__trunc__", a)) return nullptr;
    return make_int(int_as_i64(self));
}

Ref int_format_method(Value self, CallArgs a) {
    if (!text::check_positional("__format__", a, 1, 1)) return nullptr;
    if (!is_str(a.args[0]))
        return raisef(&exc::TypeError, "__format__() argument must be str, not {}",
                      type_name(a.args[0]));
    std::string_view spec = a.args[0].as<Str>()->view();
    if (spec.empty()) return str(self);  // format(True, '') is 'True'
    return format_int(int_as_i64(self), spec);
}

bool parse_byteorder(Value v, bool* little) {
    if (!is_str(v))
        return (void)raisef(&exc::TypeError, "to_bytes() argument 'byteorder' must be str, not {}",
                            type_name(v)),
               false;
    auto s = v.as<Str>()->view();
    if (s == "little") *little = true;
    else if (s == "big") *little = false;
    else return (void)raise(&exc::ValueError, "byteorder must be either 'little' or 'big'"), false;
    return true;
}

// Keyword handling shared by to_bytes/from_bytes: (positional..., *, signed=False).
bool split_signed_kw(CallArgs a, const char* fname, Value* pos, size_t npos_max,
                     const char* const* names, bool* is_signed) {
    for (size_t i = 0; i < npos_max; ++i) pos[i] = Value::null();
    if (a.npos > npos_max) {
        (void)raisef(&exc::TypeError, "{}() takes at most {} positional arguments ({} given)", fname,
               npos_max, a.npos);
        return false;
    }
    for (size_t i = 0; i < a.npos; ++i) pos[i] = a.args[i];
    *is_signed = false;
    for (size_t k = 0; k < a.nkw(); ++k) {
        Str* name = a.kwnames->items[k].as<Str>();
        Value v = a.args[a.npos + k];
        bool found = false;
        for (size_t i = 0; i < npos_max; ++i) {
            if (name->view() == names[i]) {
                if (!pos[i].is_null()) {
                    (void)raisef(&exc::TypeError,
                           "argument for {}() given by name ('{}') and position ({})", fname,
                           names[i], i + 1);
                    return false;
                }
                pos[i] = v;
                found = true;
            }
        }
        if (found) continue;
        if (name->view() == "signed") {
            int t = truthy(v);
            if (t < 0) return false;
            *is_signed = t != 0;
            continue;
        }
        (void)raisef(&exc::TypeError, "{}() got an unexpected keyword argument '{}'", fname,
               name->view());
        return false;
    }
    return true;
}

Ref int_to_bytes(Value self, CallArgs a) {
    static const char* const names[] = {"length", "byteorder"};
    Value pos[2];
    bool is_signed;
    if (!split_signed_kw(a, "to_bytes", pos, 2, names, &is_signed)) return nullptr;
    int64_t length = 1;
    if (!pos[0].is_null() && !index_value(pos[0], &length)) return nullptr;
    if (length < 0) return raise(&exc::ValueError, "length argument must be non-negative");
    bool little = false;
    if (!pos[1].is_null() && !parse_byteorder(pos[1], &little)) return nullptr;
    int64_t x = int_as_i64(self);
    if (!is_signed && x < 0)
        return raise(&exc::OverflowError, "can't convert negative int to unsigned");
    // Check that x fits in `length` bytes.
    if (length < 8) {
        int bits = static_cast<int>(length * 8);
        bool ok;
        if (is_signed) {
            int64_t lo = bits == 0 ? 0 : -(int64_t{1} << (bits - 1));
            int64_t hi = bits == 0 ? 0 : (int64_t{1} << (bits - 1)) - 1;
            ok = x >= lo && x <= hi;
        } else {
            ok = bits == 0 ? x == 0 : static_cast<uint64_t>(x) < (uint64_t{1} << bits);
        }
        if (!ok) return raise(&exc::OverflowError, "int too big to convert");
    }
    std::string buf(static_cast<size_t>(length), x < 0 ? '\xff' : '\0');
    uint64_t u = static_cast<uint64_t>(x);
    for (int64_t i = 0; i < length && i < 8; ++i) {
        char byte = static_cast<char>((u >> (8 * i)) & 0xFF);
        if (little) buf[static_cast<size_t>(i)] = byte;
        else buf[static_cast<size_t>(length - 1 - i)] = byte;
    }
    return new_bytes(buf);
}

Ref int_from_bytes(Value cls, CallArgs a) {
    static const char* const names[] = {"bytes", "byteorder"};
    Value pos[2];
    bool is_signed;
    if (!split_signed_kw(a, "from_bytes", pos, 2, names, &is_signed)) return nullptr;
    if (pos[0].is_null())
        return raise(&exc::TypeError, "from_bytes() missing required argument 'bytes' (pos 1)");
    bool little = false;
    if (!pos[1].is_null() && !parse_byteorder(pos[1], &little)) return nullptr;
    Ref data = is_bytes_like(pos[0]) ? bytes_from_object(pos[0])
                                     : call(Value::object(&bytes_type), {pos[0]});
    if (!data) return nullptr;
    std::string_view s = bytes_view(data.get());
    size_t n = s.size();
    auto byte_at = [&](size_t i) -> uint64_t {  // i-th least significant byte
        return static_cast<unsigned char>(little ? s[i] : s[n - 1 - i]);
    };
    bool negative = is_signed && n > 0 && (byte_at(n - 1) & 0x80);
    // Bytes beyond the 8th must be pure sign extension.
    for (size_t i = 8; i < n; ++i)
        if (byte_at(i) != (negative ? 0xFF : 0x00)) return overflow();
    uint64_t u = 0;
    for (size_t i = 0; i < n && i < 8; ++i) u |= byte_at(i) << (8 * i);
    int64_t result;
    if (n < 8) {
        if (negative) u |= ~uint64_t{0} << (8 * n);
        result = static_cast<int64_t>(u);
    } else {
        result = static_cast<int64_t>(u);
        if (!is_signed && (u >> 63)) return overflow();
        if (is_signed && n > 8 && ((u >> 63) != 0) != negative) return overflow();
    }
    Ref r = make_int(result);
    if (!r) return nullptr;
    if (cls.is_object() && cls.as_object() != &int_type) return call(cls, {r.get()});
    return r;
}

Ref int_get_self(Value self) { return make_int(int_as_i64(self)); }
Ref int_get_zero(Value) { return Ref::steal(Value::small_int(0)); }
Ref int_get_one(Value) { return Ref::steal(Value::small_int(1)); }

// int(x=0, base=10)
Ref int_new(Type* type, CallArgs a) {
    Value x = Value::null(), base = Value::null();
    if (a.npos > 2)
        return raisef(&exc::TypeError, "int() takes at most 2 arguments ({} given)", a.npos);
    if (a.npos >= 1) x = a.args[0];
    if (a.npos >= 2) base = a.args[1];
    for (size_t k = 0; k < a.nkw(); ++k) {
        Str* name = a.kwnames->items[k].as<Str>();
        if (name->view() == "base" && base.is_null()) {
            base = a.args[a.npos + k];
        } else if (name->view() == "base") {
            return raise(&exc::TypeError, "argument for int() given by name ('base') and position (2)");
        } else {
            return raisef(&exc::TypeError, "'{}' is an invalid keyword argument for int()",
                          name->view());
        }
    }
    Ref result;
    if (x.is_null()) {
        if (!base.is_null())
            return raise(&exc::TypeError, "int() missing string argument");
        result = Ref::steal(Value::small_int(0));
    } else if (!base.is_null()) {
        int64_t b;
        if (!index_value(base, &b)) return nullptr;
        if (b != 0 && (b < 2 || b > 36))
            return raise(&exc::ValueError, "int() base must be >= 2 and <= 36, or 0");
        if (is_str(x)) {
            result = int_from_string(x.as<Str>()->view(), static_cast<int>(b));
        } else if (is_bytes_like(x)) {
            Ref data = bytes_from_object(x);
            if (!data) return nullptr;
            result = int_from_bytes_literal(bytes_view(data.get()), static_cast<int>(b));
        } else {
            return raise(&exc::TypeError, "int() can't convert non-string with explicit base");
        }
    } else {
        result = number_to_int(x);
    }
    if (!result || type == &int_type) return result;
    // A subclass of int: box the value in an instance of `type`.
    IntObject* o = new_object<IntObject>(type, 0);
    if (!o) return nullptr;
    o->value = int_as_i64(result.get());
    return Ref::steal(o);
}

void int_dealloc(Object* o) { object_free(o, sizeof(IntObject)); }

const MethodDef int_methods[] = {
    {"bit_length", int_bit_length},
    {"bit_count", int_bit_count},
    {"conjugate", int_conjugate},
    {"as_integer_ratio", int_as_integer_ratio},
    {"to_bytes", int_to_bytes},
    {"from_bytes", int_from_bytes, kMethodClass},
    {"__format__", int_format_method},
    {"__round__", int_round},
    {"__trunc__", int_self_method},
    {"__floor__", int_self_method},
    {"__ceil__", int_self_method},
    {"__index__", int_index_method},
    {"__int__", text::unary_method<int_to_int>},
    {"__float__", text::unary_method<int_to_float>},
    {"__neg__", text::unary_method<int_neg>},
    {"__pos__", text::unary_method<int_pos>},
    {"__abs__", text::unary_method<int_abs>},
    {"__invert__", text::unary_method<int_invert>},
    {"__repr__", text::unary_method<int_repr>},
    {"__getnewargs__", int_getnewargs},
    {"__add__", text::binary_method<int_add_slot>},
    {"__radd__", text::binary_rmethod<int_add_slot>},
    {"__sub__", text::binary_method<int_sub_slot>},
    {"__rsub__", text::binary_rmethod<int_sub_slot>},
    {"__mul__", text::binary_method<int_mul_slot>},
    {"__rmul__", text::binary_rmethod<int_mul_slot>},
    {"__truediv__", text::binary_method<int_truediv_slot>},
    {"__rtruediv__", text::binary_rmethod<int_truediv_slot>},
    {"__floordiv__", text::binary_method<int_floordiv_slot>},
    {"__rfloordiv__", text::binary_rmethod<int_floordiv_slot>},
    {"__mod__", text::binary_method<int_mod_slot>},
    {"__rmod__", text::binary_rmethod<int_mod_slot>},
    {"__divmod__", int_divmod_method},
    {"__rdivmod__", int_rdivmod_method},
    {"__pow__", int_pow_method},
    {"__rpow__", int_rpow_method},
    {"__lshift__", text::binary_method<int_lshift_slot>},
    {"__rlshift__", text::binary_rmethod<int_lshift_slot>},
    {"__rshift__", text::binary_method<int_rshift_slot>},
    {"__rrshift__", text::binary_rmethod<int_rshift_slot>},
    {"__and__", text::binary_method<int_and_slot>},
    {"__rand__", text::binary_rmethod<int_and_slot>},
    {"__or__", text::binary_method<int_or_slot>},
    {"__ror__", text::binary_rmethod<int_or_slot>},
    {"__xor__", text::binary_method<int_xor_slot>},
    {"__rxor__", text::binary_rmethod<int_xor_slot>},
    {"__eq__", text::compare_method<int_compare, CmpOp::kEq>},
    {"__ne__", text::compare_method<int_compare, CmpOp::kNe>},
    {"__lt__", text::compare_method<int_compare, CmpOp::kLt>},
    {"__le__", text::compare_method<int_compare, CmpOp::kLe>},
    {"__gt__", text::compare_method<int_compare, CmpOp::kGt>},
    {"__ge__", text::compare_method<int_compare, CmpOp::kGe>},
    {nullptr, nullptr},
};

const GetSetDef int_getsets[] = {
    {"real", int_get_self},
    {"imag", int_get_zero},
    {"numerator", int_get_self},
    {"denominator", int_get_one},
    {nullptr, nullptr},
};

}  // namespace

// --- public helpers ---------------------------------------------------------------------

Ref make_int(int64_t i) {
    if (Value::fits_small_int(i)) return Ref::steal(Value::small_int(i));
    IntObject* o = new_object<IntObject>(&int_type, 0);
    if (!o) return nullptr;
    o->value = i;
    return Ref::steal(o);
}

bool is_int(Value v) {
    if (v.is_small_int() || v.is_bool()) return true;
    return v.is_object() &&
           (v.as_object()->type == &int_type || type_has(v.as_object()->type, kIntSubclass));
}

bool int_value(Value v, int64_t* out) {
    *out = int_as_i64(v);
    return true;
}

Ref int_add(int64_t a, int64_t b) {
    int64_t r;
    if (__builtin_add_overflow(a, b, &r)) return overflow();
    return make_int(r);
}
Ref int_sub(int64_t a, int64_t b) {
    int64_t r;
    if (__builtin_sub_overflow(a, b, &r)) return overflow();
    return make_int(r);
}
Ref int_mul(int64_t a, int64_t b) {
    int64_t r;
    if (__builtin_mul_overflow(a, b, &r)) return overflow();
    return make_int(r);
}
Ref int_floordiv(int64_t a, int64_t b) {
    if (b == 0) return raise(&exc::ZeroDivisionError, "integer division or modulo by zero");
    if (b == -1) {
        if (a == std::numeric_limits<int64_t>::min()) return overflow();
        return make_int(-a);
    }
    return make_int(floordiv_i64(a, b));
}
Ref int_mod(int64_t a, int64_t b) {
    if (b == 0) return raise(&exc::ZeroDivisionError, "integer modulo by zero");
    return make_int(mod_i64(a, b));
}
Ref int_pow(int64_t a, int64_t b) {
    if (b < 0) {
        if (a == 0)
            return raise(&exc::ZeroDivisionError, "0.0 cannot be raised to a negative power");
        return make_float(std::pow(static_cast<double>(a), static_cast<double>(b)));
    }
    int64_t result = 1, base = a;
    while (b > 0) {
        if (b & 1) {
            if (__builtin_mul_overflow(result, base, &result)) return overflow();
        }
        b >>= 1;
        if (b > 0 && __builtin_mul_overflow(base, base, &base)) {
            // base overflowed: the result overflows unless the remaining factor is 1, which
            // it is not (b > 0 and |base| >= 2 here since |base| <= 1 never overflows).
            return overflow();
        }
    }
    return make_int(result);
}

int64_t int_hash(int64_t v) {
    uint64_t u = v < 0 ? uint64_t(0) - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
    int64_t h = static_cast<int64_t>(u % kHashModulus);
    if (v < 0) h = -h;
    if (h == -1) h = -2;
    return h;
}

int int_double_compare(int64_t i, double d) {
    if (std::isnan(d)) return 2;
    constexpr int64_t k53 = int64_t{1} << 53;
    if (i >= -k53 && i <= k53) {
        double x = static_cast<double>(i);
        return x < d ? -1 : x > d ? 1 : 0;
    }
    if (d >= 9223372036854775808.0) return -1;
    if (d < -9223372036854775808.0) return 1;
    double t = std::trunc(d);
    int64_t ti = static_cast<int64_t>(t);
    if (i != ti) return i < ti ? -1 : 1;
    double frac = d - t;
    return frac > 0 ? -1 : frac < 0 ? 1 : 0;
}

Ref int_pow_mod(Value a, Value b, Value m) {
    int64_t x, y, z;
    if (!get_int(a, &x) || !get_int(b, &y) || !get_int(m, &z))
        return raise(&exc::TypeError,
                     "pow() 3rd argument not allowed unless all arguments are integers");
    if (z == 0) return raise(&exc::ValueError, "pow() 3rd argument cannot be 0");
    bool neg_mod = z < 0;
    unsigned __int128 mod = static_cast<unsigned __int128>(
        neg_mod ? -static_cast<__int128>(z) : static_cast<__int128>(z));
    if (mod == 1) return Ref::steal(Value::small_int(0));
    __int128 base = static_cast<__int128>(x) % static_cast<__int128>(mod);
    if (base < 0) base += static_cast<__int128>(mod);
    if (y < 0) {
        // modular inverse via extended Euclid
        __int128 t = 0, newt = 1, r = static_cast<__int128>(mod), newr = base;
        while (newr != 0) {
            __int128 q = r / newr;
            __int128 tmp = t - q * newt;
            t = newt;
            newt = tmp;
            tmp = r - q * newr;
            r = newr;
            newr = tmp;
        }
        if (r != 1) return raise(&exc::ValueError, "base is not invertible for the given modulus");
        if (t < 0) t += static_cast<__int128>(mod);
        base = t;
        if (y == std::numeric_limits<int64_t>::min()) return overflow();
        y = -y;
    }
    unsigned __int128 result = 1, bb = static_cast<unsigned __int128>(base);
    uint64_t e = static_cast<uint64_t>(y);
    while (e) {
        if (e & 1) result = result * bb % mod;
        bb = bb * bb % mod;
        e >>= 1;
    }
    __int128 r = static_cast<__int128>(result);
    if (neg_mod && r != 0) r -= static_cast<__int128>(mod);
    return make_int(static_cast<int64_t>(r));
}

Ref int_divmod(Value a, Value b) {
    int64_t x, y;
    if (!get_int(a, &x) || !get_int(b, &y)) return Ref::not_implemented();
    if (y == 0) return raise(&exc::ZeroDivisionError, "integer division or modulo by zero");
    if (y == -1 && x == std::numeric_limits<int64_t>::min()) return overflow();
    Ref q = make_int(floordiv_i64(x, y));
    if (!q) return nullptr;
    Ref r = make_int(mod_i64(x, y));
    if (!r) return nullptr;
    return RefT<Tuple>(new_tuple_of({q.get(), r.get()}));
}

Ref int_to_base_str(int64_t v, int base) {
    const char* prefix = base == 2 ? "0b" : base == 8 ? "0o" : "0x";
    uint64_t u = v < 0 ? uint64_t(0) - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
    std::string s;
    if (base == 2) s = fmt::format("{}{}{:b}", v < 0 ? "-" : "", prefix, u);
    else if (base == 8) s = fmt::format("{}{}{:o}", v < 0 ? "-" : "", prefix, u);
    else s = fmt::format("{}{}{:x}", v < 0 ? "-" : "", prefix, u);
    return new_str(s);
}

// Parses Python int syntax (after int()'s whitespace stripping): sign, base prefix,
// underscores between digits.
static bool parse_int_text(std::string_view s, int base, int64_t* out, bool* overflowed) {
    *overflowed = false;
    size_t i = 0, n = s.size();
    bool neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-')) {
        neg = s[i] == '-';
        ++i;
    }
    bool prefixed = false;
    if (i + 1 < n && s[i] == '0') {
        char c = static_cast<char>(s[i + 1] | 0x20);
        int pb = c == 'x' ? 16 : c == 'o' ? 8 : c == 'b' ? 2 : 0;
        if (pb != 0 && (base == 0 || base == pb)) {
            base = pb;
            i += 2;
            prefixed = true;
        }
    }
    bool base0 = base == 0;
    if (base == 0) base = 10;
    if (i >= n) return false;
    // Leading underscore allowed only after a prefix.
    if (s[i] == '_') {
        if (!prefixed) return false;
        ++i;
        if (i >= n) return false;
    }
    unsigned __int128 acc = 0;
    bool prev_us = false, any = false, first_zero = false, any_nonzero = false;
    for (; i < n; ++i) {
        char c = s[i];
        if (c == '_') {
            if (prev_us || !any) return false;
            prev_us = true;
            continue;
        }
        int d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'a' && c <= 'z') d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'Z') d = c - 'A' + 10;
        else return false;
        if (d >= base) return false;
        if (!any) first_zero = d == 0;
        if (d != 0) any_nonzero = true;
        prev_us = false;
        any = true;
        if (!*overflowed) {
            acc = acc * static_cast<unsigned>(base) + static_cast<unsigned>(d);
            if (acc > (static_cast<unsigned __int128>(1) << 64)) *overflowed = true;
        }
    }
    // "010" is invalid with base 0 (leading zeros), "000" is fine.
    if (base0 && !prefixed && first_zero && any_nonzero) return false;
    if (prev_us || !any) return false;
    if (*overflowed) return true;
    if (neg) {
        if (acc > static_cast<unsigned __int128>(uint64_t{1} << 63)) {
            *overflowed = true;
            return true;
        }
        *out = static_cast<int64_t>(-static_cast<__int128>(acc));
    } else {
        if (acc > static_cast<unsigned __int128>(std::numeric_limits<int64_t>::max())) {
            *overflowed = true;
            return true;
        }
        *out = static_cast<int64_t>(acc);
    }
    return true;
}

static std::string_view strip_ws(std::string_view s) {
    auto is_ws = [](unsigned char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
    };
    while (!s.empty() && is_ws(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && is_ws(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

// Non-ASCII text: decimal digits of any script become ASCII digits, Unicode spaces become
// spaces (as CPython's _PyUnicode_TransformDecimalAndSpaceToASCII); others are kept.
std::string text::ascii_digits(std::string_view text) {
    std::string out;
    const char* p = text.data();
    const char* e = p + text.size();
    while (p < e) {
        const char* start = p;
        uint32_t c = text::utf8_decode(p);
        int d = c < 0x80 ? -1 : text::uni_decimal_value(c);
        if (d >= 0) out += static_cast<char>('0' + d);
        else if (c >= 0x80 && text::uni_isspace(c)) out += ' ';
        else out.append(start, static_cast<size_t>(p - start));
    }
    return out;
}

Ref int_from_string(std::string_view text, int base) {
    std::string converted;
    std::string_view s = text;
    for (char ch : text)
        if (static_cast<unsigned char>(ch) >= 0x80) {
            converted = text::ascii_digits(text);
            s = converted;
            break;
        }
    s = strip_ws(s);
    int64_t v;
    bool ovf;
    if (!parse_int_text(s, base, &v, &ovf))
        return raisef(&exc::ValueError, "invalid literal for int() with base {}: {}", base,
                      text::str_repr_utf8(text));
    if (ovf) return overflow();
    return make_int(v);
}

Ref int_from_bytes_literal(std::string_view text, int base) {
    std::string_view s = strip_ws(text);
    int64_t v;
    bool ovf;
    if (!parse_int_text(s, base, &v, &ovf))
        return raisef(&exc::ValueError, "invalid literal for int() with base {}: {}", base,
                      bytes_repr_raw(text));
    if (ovf) return overflow();
    return make_int(v);
}

Ref number_to_int(Value x) {
    if (x.is_small_int()) return Ref::steal(x);
    if (x.is_bool()) return Ref::steal(Value::small_int(x.as_bool() ? 1 : 0));
    if (x.is_double()) return float_to_int(x.as_double());
    if (is_int(x)) return make_int(int_as_i64(x));
    if (is_str(x)) return int_from_string(x.as<Str>()->view(), 10);
    if (is_bytes_like(x)) {
        Ref data = bytes_from_object(x);
        if (!data) return nullptr;
        return int_from_bytes_literal(bytes_view(data.get()), 10);
    }
    Type* t = type_of(x);
    if (t->to_int) {
        Ref r = t->to_int(x);
        if (!r) return nullptr;
        if (!is_int(r.get()))
            return raisef(&exc::TypeError, "__int__ returned non-int (type {})",
                          type_name(r.get()));
        return make_int(int_as_i64(r.get()));
    }
    if (t->index) {
        Ref r = t->index(x);
        if (!r) return nullptr;
        if (!is_int(r.get()))
            return raisef(&exc::TypeError, "__index__ returned non-int (type {})",
                          type_name(r.get()));
        return make_int(int_as_i64(r.get()));
    }
    static Str* trunc_name = intern("__trunc__");
    Value trunc = type_lookup(t, trunc_name);
    if (!trunc.is_null()) {
        Ref r = call_method(x, trunc_name, {});
        if (!r) return nullptr;
        if (is_int(r.get())) return make_int(int_as_i64(r.get()));
        return number_to_int_index(r.get());
    }
    return raisef(&exc::TypeError,
                  "int() argument must be a string, a bytes-like object or a real number, "
                  "not '{}'",
                  type_name(x));
}

Ref number_to_int_index(Value x) {
    if (is_int(x)) return make_int(int_as_i64(x));
    int64_t v;
    if (!index_value(x, &v)) return nullptr;
    return make_int(v);
}


void init_int_type() {
    int_type.name = "int";
    int_type.basic_size = sizeof(IntObject);
    int_type.flags = kBaseType | kImmutableType | kIntSubclass;
    int_type.methods = int_methods;
    int_type.getsets = int_getsets;
    int_type.dealloc = int_dealloc;
    int_type.repr = int_repr;
    int_type.hash = int_hash_slot;
    int_type.compare = int_compare;
    auto set = [](BinOp op, BinarySlot f) { int_type.binary[static_cast<int>(op)] = f; };
    set(BinOp::kAdd, int_add_slot);
    set(BinOp::kSub, int_sub_slot);
    set(BinOp::kMul, int_mul_slot);
    set(BinOp::kTrueDiv, int_truediv_slot);
    set(BinOp::kFloorDiv, int_floordiv_slot);
    set(BinOp::kMod, int_mod_slot);
    set(BinOp::kPow, int_pow_slot);
    set(BinOp::kLShift, int_lshift_slot);
    set(BinOp::kRShift, int_rshift_slot);
    set(BinOp::kAnd, int_and_slot);
    set(BinOp::kOr, int_or_slot);
    set(BinOp::kXor, int_xor_slot);
    int_type.neg = int_neg;
    int_type.pos = int_pos;
    int_type.abs = int_abs;
    int_type.invert = int_invert;
    int_type.to_int = int_to_int;
    int_type.to_float = int_to_float;
    int_type.index = int_to_int;
    int_type.truth = int_truth;
    int_type.new_ = int_new;
    type_ready(&int_type, &object_type);
}

}  // namespace toy
