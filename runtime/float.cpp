// float.cpp: the float type. Floats are inline Values (never allocated); only instances of
// Toy subclasses of float are heap FloatObjects.
//
// Note on `**`: CPython returns a complex number for a negative base raised to a
// non-integral power. Toy has no complex type yet, so that case raises
// ValueError("negative number cannot be raised to a fractional power") (Python 2's wording).
#include "runtime/float.h"

#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "runtime/abstract.h"
#include "runtime/bytes.h"
#include "runtime/errors.h"
#include "runtime/format.h"
#include "runtime/int.h"
#include "runtime/native_function.h"
#include "runtime/str.h"
#include "runtime/text_internal.h"
#include "runtime/tuple.h"

namespace toy {

Type float_type;

namespace {

constexpr uint64_t kHashModulus = (uint64_t{1} << 61) - 1;
constexpr int kHashBits = 61;

// A numeric operand as a double: floats, float subclasses, ints and bools.
inline bool get_double(Value v, double* out) {
    if (v.is_double()) {
        *out = v.as_double();
        return true;
    }
    if (v.is_small_int()) {
        *out = static_cast<double>(v.as_small_int());
        return true;
    }
    if (v.is_bool()) {
        *out = v.as_bool() ? 1.0 : 0.0;
        return true;
    }
    if (v.is_object()) {
        Type* t = v.as_object()->type;
        if (t == &int_type || type_has(t, kIntSubclass)) {
            *out = static_cast<double>(static_cast<IntObject*>(v.as_object())->value);
            return true;
        }
        if (t != &float_type && is_subtype(t, &float_type)) {
            *out = static_cast<FloatObject*>(v.as_object())->value;
            return true;
        }
    }
    return false;
}

#define FLOAT_OPERANDS(a, b)                                   \
    double x, y;                                               \
    if (!get_double(a, &x) || !get_double(b, &y)) return Ref::not_implemented();

Ref float_add(Value a, Value b) {
    FLOAT_OPERANDS(a, b);
    return make_float(x + y);
}
Ref float_sub(Value a, Value b) {
    FLOAT_OPERANDS(a, b);
    return make_float(x - y);
}
Ref float_mul(Value a, Value b) {
    FLOAT_OPERANDS(a, b);
    return make_float(x * y);
}
Ref float_truediv(Value a, Value b) {
    FLOAT_OPERANDS(a, b);
    if (y == 0.0) return raise(&exc::ZeroDivisionError, "float division by zero");
    return make_float(x / y);
}

// CPython's float_divmod.
void py_divmod(double vx, double wx, double* floordiv, double* mod) {
    double m = std::fmod(vx, wx);
    double div = (vx - m) / wx;
    if (m != 0.0) {
        if ((wx < 0) != (m < 0)) {
            m += wx;
            div -= 1.0;
        }
    } else {
        m = std::copysign(0.0, wx);
    }
    double fd;
    if (div != 0.0) {
        fd = std::floor(div);
        if (div - fd > 0.5) fd += 1.0;
    } else {
        fd = std::copysign(0.0, vx / wx);
    }
    *floordiv = fd;
    *mod = m;
}

Ref float_floordiv(Value a, Value b) {
    FLOAT_OPERANDS(a, b);
    if (y == 0.0) return raise(&exc::ZeroDivisionError, "float floor division by zero");
    double q, r;
    py_divmod(x, y, &q, &r);
    return make_float(q);
}
Ref float_mod(Value a, Value b) {
    FLOAT_OPERANDS(a, b);
    if (y == 0.0) return raise(&exc::ZeroDivisionError, "float modulo");
    double m = std::fmod(x, y);
    if (m != 0.0) {
        if ((y < 0) != (m < 0)) m += y;
    } else {
        m = std::copysign(0.0, y);
    }
    return make_float(m);
}

bool is_odd_integer(double w) { return std::fmod(std::fabs(w), 2.0) == 1.0; }

Ref float_pow(Value a, Value b) {
    FLOAT_OPERANDS(a, b);
    double iv = x, iw = y;
    if (iw == 0.0) return make_float(1.0);
    if (std::isnan(iv)) return make_float(iv);
    if (std::isnan(iw)) return make_float(iv == 1.0 ? 1.0 : iw);
    if (std::isinf(iw)) {
        double av = std::fabs(iv);
        if (av == 1.0) return make_float(1.0);
        if ((iw > 0.0) == (av > 1.0)) return make_float(std::fabs(iw));
        return make_float(0.0);
    }
    if (std::isinf(iv)) {
        bool odd = is_odd_integer(iw);
        if (iw > 0.0) return make_float(odd ? iv : std::fabs(iv));
        return make_float(odd ? std::copysign(0.0, iv) : 0.0);
    }
    if (iv == 0.0) {
        bool odd = is_odd_integer(iw);
        if (iw < 0.0)
            return raise(&exc::ZeroDivisionError, "0.0 cannot be raised to a negative power");
        return make_float(odd ? iv : 0.0);
    }
    bool negate = false;
    if (iv < 0.0) {
        if (iw != std::floor(iw))
            return raise(&exc::ValueError,
                         "negative number cannot be raised to a fractional power");
        negate = is_odd_integer(iw);
        iv = -iv;
    }
    if (iv == 1.0) return make_float(negate ? -1.0 : 1.0);
    double r = std::pow(iv, iw);
    if (negate) r = -r;
    if (std::isinf(r)) return raise(&exc::OverflowError, "(34, 'Numerical result out of range')");
    return make_float(r);
}

Ref float_neg(Value a) { return make_float(-float_as_double(a)); }
Ref float_pos(Value a) { return make_float(float_as_double(a)); }
Ref float_abs(Value a) { return make_float(std::fabs(float_as_double(a))); }
Ref float_int(Value a) { return float_to_int(float_as_double(a)); }
Ref float_float(Value a) { return make_float(float_as_double(a)); }
int float_truth(Value a) { return float_as_double(a) != 0.0 ? 1 : 0; }

Ref float_repr_slot(Value a) { return new_str(float_repr(float_as_double(a))); }

bool float_hash_slot(Value a, int64_t* out) {
    *out = double_hash(float_as_double(a));
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

Ref float_compare(Value a, Value b, CmpOp op) {
    bool af = is_float(a), bf = is_float(b);
    if (af && bf) {
        double x = float_as_double(a), y = float_as_double(b);
        switch (op) {
            case CmpOp::kLt: return Ref::boolean(x < y);
            case CmpOp::kLe: return Ref::boolean(x <= y);
            case CmpOp::kEq: return Ref::boolean(x == y);
            case CmpOp::kNe: return Ref::boolean(x != y);
            case CmpOp::kGt: return Ref::boolean(x > y);
            case CmpOp::kGe: return Ref::boolean(x >= y);
        }
    }
    if (af && is_int(b)) {
        int c = int_double_compare(int_as_i64(b), float_as_double(a));
        if (c == 2) return Ref::boolean(op == CmpOp::kNe);
        return Ref::boolean(cmp_result(-c, op));
    }
    if (bf && is_int(a)) {
        int c = int_double_compare(int_as_i64(a), float_as_double(b));
        if (c == 2) return Ref::boolean(op == CmpOp::kNe);
        return Ref::boolean(cmp_result(c, op));
    }
    return Ref::not_implemented();
}

Ref float_divmod_method(Value self, CallArgs a) {
    if (!text::check_wrapper_args(a, 1)) return nullptr;
    return float_divmod(self, a.args[0]);
}
Ref float_rdivmod_method(Value self, CallArgs a) {
    if (!text::check_wrapper_args(a, 1)) return nullptr;
    return float_divmod(a.args[0], self);
}
Ref float_pow_method(Value self, CallArgs a) {
    if (a.nkw() != 0 || a.npos < 1 || a.npos > 2)
        return raisef(&exc::TypeError, "expected 1 or 2 arguments, got {}", a.npos);
    if (a.npos == 2 && !a.args[1].is_none())
        return raise(&exc::TypeError,
                     "pow() 3rd argument not allowed unless all arguments are integers");
    return float_pow(self, a.args[0]);
}
Ref float_rpow_method(Value self, CallArgs a) {
    if (a.nkw() != 0 || a.npos < 1 || a.npos > 2)
        return raisef(&exc::TypeError, "expected 1 or 2 arguments, got {}", a.npos);
    if (a.npos == 2 && !a.args[1].is_none())
        return raise(&exc::TypeError,
                     "pow() 3rd argument not allowed unless all arguments are integers");
    return float_pow(a.args[0], self);
}

Ref float_is_integer(Value self, CallArgs a) {
    if (!text::check_no_args("float.is_integer", a)) return nullptr;
    double d = float_as_double(self);
    return Ref::boolean(std::isfinite(d) && d == std::floor(d));
}

Ref float_as_integer_ratio(Value self, CallArgs a) {
    if (!text::check_no_args("float.as_integer_ratio", a)) return nullptr;
    double d = float_as_double(self);
    if (std::isinf(d))
        return raise(&exc::OverflowError, "cannot convert Infinity to integer ratio");
    if (std::isnan(d)) return raise(&exc::ValueError, "cannot convert NaN to integer ratio");
    int e;
    double m = std::frexp(d, &e);
    for (int i = 0; i < 300 && m != std::floor(m); ++i) {
        m *= 2.0;
        --e;
    }
    // d == m * 2**e with m integral.
    if (std::fabs(m) >= 9223372036854775808.0)
        return raise(&exc::OverflowError, "integer overflow");
    int64_t num = static_cast<int64_t>(m), den = 1;
    if (e > 0) {
        for (int i = 0; i < e; ++i)
            if (__builtin_mul_overflow(num, int64_t{2}, &num))
                return raise(&exc::OverflowError, "integer overflow");
    } else if (e < 0) {
        if (-e > 62) return raise(&exc::OverflowError, "integer overflow");
        den = int64_t{1} << (-e);
    }
    Ref n = make_int(num);
    if (!n) return nullptr;
    Ref dd = make_int(den);
    if (!dd) return nullptr;
    return RefT<Tuple>(new_tuple_of({n.get(), dd.get()}));
}

Ref float_conjugate(Value self, CallArgs a) {
    if (!text::check_no_args("float.conjugate", a)) return nullptr;
    return make_float(float_as_double(self));
}

char hex_digit(int d) { return "0123456789abcdef"[d]; }

Ref float_hex(Value self, CallArgs a) {
    if (!text::check_no_args("float.hex", a)) return nullptr;
    double x = float_as_double(self);
    if (std::isnan(x) || std::isinf(x)) return new_str(float_repr(x));
    if (x == 0.0) return new_str(std::signbit(x) ? "-0x0.0p+0" : "0x0.0p+0");
    int e;
    double m = std::frexp(std::fabs(x), &e);
    int shift = 1 - std::max(-1021 - e, 0);
    m = std::ldexp(m, shift);
    e -= shift;
    std::string s;
    int ip = static_cast<int>(m);
    s += hex_digit(ip);
    m -= ip;
    s += '.';
    for (int i = 0; i < 13; ++i) {
        m *= 16.0;
        int d = static_cast<int>(m);
        s += hex_digit(d);
        m -= d;
    }
    return new_str(fmt::format("{}0x{}p{}{}", x < 0 ? "-" : "", s, e < 0 ? '-' : '+',
                               e < 0 ? -e : e));
}

Ref float_fromhex(Value cls, CallArgs a) {
    if (!text::check_one_arg("float.fromhex", a)) return nullptr;
    if (!is_str(a.args[0]))
        return raisef(&exc::TypeError, "fromhex() argument must be str, not {}",
                      type_name(a.args[0]));
    std::string_view s = a.args[0].as<Str>()->view();
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    std::string t;
    size_t i = 0;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) t += s[i++];
    std::string_view rest = s.substr(i);
    auto lower_eq = [](std::string_view x, std::string_view y) {
        if (x.size() != y.size()) return false;
        for (size_t k = 0; k < x.size(); ++k)
            if (std::tolower(static_cast<unsigned char>(x[k])) != y[k]) return false;
        return true;
    };
    double result;
    if (lower_eq(rest, "inf") || lower_eq(rest, "infinity")) {
        result = t == "-" ? -INFINITY : INFINITY;
    } else if (lower_eq(rest, "nan")) {
        result = NAN;
    } else {
        if (rest.size() >= 2 && rest[0] == '0' && (rest[1] | 0x20) == 'x') rest.remove_prefix(2);
        bool ok = !rest.empty();
        bool any_digit = false;
        for (char c : rest) {
            if (std::isxdigit(static_cast<unsigned char>(c))) any_digit = true;
            else if (c == '.' || c == 'p' || c == 'P' || c == '+' || c == '-') {
            } else ok = false;
        }
        if (!ok || !any_digit)
            return raise(&exc::ValueError, "invalid hexadecimal floating-point string");
        t += "0x";
        t += rest;
        char* end = nullptr;
        errno = 0;
        result = std::strtod(t.c_str(), &end);
        if (end != t.c_str() + t.size())
            return raise(&exc::ValueError, "invalid hexadecimal floating-point string");
        if (std::isinf(result))
            return raise(&exc::OverflowError, "hexadecimal value too large to represent as a float");
    }
    Ref f = make_float(result);
    if (cls.is_object() && cls.as_object() != &float_type) return call(cls, {f.get()});
    return f;
}

Ref float_round(Value self, CallArgs a) {
    if (a.nkw() != 0 || a.npos > 1)
        return raisef(&exc::TypeError, "float.__round__ expected at most 1 argument, got {}",
                      a.npos);
    double x = float_as_double(self);
    if (a.npos == 0 || a.args[0].is_none()) {
        double r = std::nearbyint(x);  // default rounding mode: half to even
        return float_to_int(r);
    }
    int64_t nd;
    if (!index_value(a.args[0], &nd)) return nullptr;
    return make_float(double_round(x, nd));
}
Ref float_trunc(Value self, CallArgs a) {
    if (!text::check_no_args("float.__trunc__", a)) return nullptr;
    return float_to_int(float_as_double(self));
}
Ref float_floor(Value self, CallArgs a) {
    if (!text::check_no_args("float.__floor__", a)) return nullptr;
    return float_to_int(std::floor(float_as_double(self)));
}
Ref float_ceil(Value self, CallArgs a) {
    if (!text::check_no_args("float.__ceil__", a)) return nullptr;
    return float_to_int(std::ceil(float_as_double(self)));
}
Ref float_format_method(Value self, CallArgs a) {
    if (!text::check_positional("__format__", a, 1, 1)) return nullptr;
    if (!is_str(a.args[0]))
        return raisef(&exc::TypeError, "__format__() argument must be str, not {}",
                      type_name(a.args[0]));
    std::string_view spec = a.args[0].as<Str>()->view();
    if (spec.empty()) return str(self);
    return format_float(float_as_double(self), spec);
}
Ref float_getnewargs(Value self, CallArgs a) {
    if (!text::check_no_args("float.__getnewargs__", a)) return nullptr;
    return RefT<Tuple>(new_tuple_of({Value::from_double(float_as_double(self))}));
}

Ref float_get_self(Value self) { return make_float(float_as_double(self)); }
Ref float_get_zero(Value) { return make_float(0.0); }

Ref float_new(Type* type, CallArgs a) {
    if (a.nkw() != 0) return raise(&exc::TypeError, "float() takes no keyword arguments");
    if (a.npos > 1)
        return raisef(&exc::TypeError, "float expected at most 1 argument, got {}", a.npos);
    Ref r = a.npos == 0 ? make_float(0.0) : number_to_float(a.args[0]);
    if (!r || type == &float_type) return r;
    FloatObject* o = new_object<FloatObject>(type, 0);
    if (!o) return nullptr;
    o->value = r.get().as_double();
    return Ref::steal(o);
}

const MethodDef float_methods[] = {
    {"is_integer", float_is_integer},
    {"as_integer_ratio", float_as_integer_ratio},
    {"conjugate", float_conjugate},
    {"hex", float_hex},
    {"fromhex", float_fromhex, kMethodClass},
    {"__format__", float_format_method},
    {"__round__", float_round},
    {"__trunc__", float_trunc},
    {"__floor__", float_floor},
    {"__ceil__", float_ceil},
    {"__getnewargs__", float_getnewargs},
    {"__int__", text::unary_method<float_int>},
    {"__float__", text::unary_method<float_float>},
    {"__neg__", text::unary_method<float_neg>},
    {"__pos__", text::unary_method<float_pos>},
    {"__abs__", text::unary_method<float_abs>},
    {"__repr__", text::unary_method<float_repr_slot>},
    {"__add__", text::binary_method<float_add>},
    {"__radd__", text::binary_rmethod<float_add>},
    {"__sub__", text::binary_method<float_sub>},
    {"__rsub__", text::binary_rmethod<float_sub>},
    {"__mul__", text::binary_method<float_mul>},
    {"__rmul__", text::binary_rmethod<float_mul>},
    {"__truediv__", text::binary_method<float_truediv>},
    {"__rtruediv__", text::binary_rmethod<float_truediv>},
    {"__floordiv__", text::binary_method<float_floordiv>},
    {"__rfloordiv__", text::binary_rmethod<float_floordiv>},
    {"__mod__", text::binary_method<float_mod>},
    {"__rmod__", text::binary_rmethod<float_mod>},
    {"__divmod__", float_divmod_method},
    {"__rdivmod__", float_rdivmod_method},
    {"__pow__", float_pow_method},
    {"__rpow__", float_rpow_method},
    {"__eq__", text::compare_method<float_compare, CmpOp::kEq>},
    {"__ne__", text::compare_method<float_compare, CmpOp::kNe>},
    {"__lt__", text::compare_method<float_compare, CmpOp::kLt>},
    {"__le__", text::compare_method<float_compare, CmpOp::kLe>},
    {"__gt__", text::compare_method<float_compare, CmpOp::kGt>},
    {"__ge__", text::compare_method<float_compare, CmpOp::kGe>},
    {nullptr, nullptr},
};

const GetSetDef float_getsets[] = {
    {"real", float_get_self},
    {"imag", float_get_zero},
    {nullptr, nullptr},
};

bool ascii_ieq(std::string_view a, std::string_view lower) {
    if (a.size() != lower.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if ((a[i] | 0x20) != lower[i]) return false;
    return true;
}

// Parses Python float syntax into a double; false if invalid.
bool parse_float_text(std::string_view s, double* out) {
    auto is_ws = [](unsigned char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
    };
    while (!s.empty() && is_ws(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && is_ws(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    if (s.empty()) return false;
    size_t i = 0;
    bool neg = false;
    if (s[0] == '+' || s[0] == '-') {
        neg = s[0] == '-';
        i = 1;
    }
    std::string_view body = s.substr(i);
    if (ascii_ieq(body, "inf") || ascii_ieq(body, "infinity")) {
        *out = neg ? -INFINITY : INFINITY;
        return true;
    }
    if (ascii_ieq(body, "nan")) {
        *out = neg ? -NAN : NAN;
        return true;
    }
    // digits [. digits] [e [sign] digits], underscores only between digits.
    std::string clean;
    clean.reserve(s.size());
    if (neg) clean += '-';
    size_t n = body.size(), k = 0;
    auto digits = [&](bool* any) {
        *any = false;
        while (k < n) {
            char c = body[k];
            if (c >= '0' && c <= '9') {
                clean += c;
                *any = true;
                ++k;
            } else if (c == '_' && *any && k + 1 < n && body[k + 1] >= '0' && body[k + 1] <= '9') {
                ++k;
            } else {
                break;
            }
        }
    };
    bool int_digits, frac_digits = false;
    digits(&int_digits);
    if (k < n && body[k] == '.') {
        clean += '.';
        ++k;
        digits(&frac_digits);
    }
    if (!int_digits && !frac_digits) return false;
    if (k < n && (body[k] == 'e' || body[k] == 'E')) {
        clean += 'e';
        ++k;
        if (k < n && (body[k] == '+' || body[k] == '-')) clean += body[k++];
        bool exp_digits;
        digits(&exp_digits);
        if (!exp_digits) return false;
    }
    if (k != n) return false;
    *out = std::strtod(clean.c_str(), nullptr);
    return true;
}

}  // namespace

// --- public -------------------------------------------------------------------------------

bool is_float(Value v) {
    if (v.is_double()) return true;
    return v.is_object() && v.as_object()->type != &float_type &&
           is_subtype(v.as_object()->type, &float_type);
}

bool to_double(Value v, double* out) {
    if (get_double(v, out)) return true;
    Type* t = type_of(v);
    if (t->to_float) {
        Ref r = t->to_float(v);
        if (!r) return false;
        if (!is_float(r.get())) {
            (void)raisef(&exc::TypeError, "{}.__float__ returned non-float (type {})", type_name(v),
                   type_name(r.get()));
            return false;
        }
        *out = float_as_double(r.get());
        return true;
    }
    if (t->index) {
        int64_t i;
        if (!index_value(v, &i)) return false;
        *out = static_cast<double>(i);
        return true;
    }
    (void)raisef(&exc::TypeError, "must be real number, not {}", type_name(v));
    return false;
}

std::string float_repr(double d) {
    if (std::isnan(d)) return "nan";
    if (std::isinf(d)) return d < 0 ? "-inf" : "inf";
    if (d == 0.0) return std::signbit(d) ? "-0.0" : "0.0";
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
    std::string_view sci(buf, static_cast<size_t>(res.ptr - buf));
    // sci: [-]D[.DDD]e(+|-)XX
    bool neg = false;
    if (sci[0] == '-') {
        neg = true;
        sci.remove_prefix(1);
    }
    size_t epos = sci.find('e');
    std::string digits;
    for (size_t i = 0; i < epos; ++i)
        if (sci[i] != '.') digits += sci[i];
    int exp = 0;
    std::from_chars(sci.data() + epos + (sci[epos + 1] == '+' ? 2 : 1), sci.data() + sci.size(),
                    exp);
    int n = static_cast<int>(digits.size());
    int decpt = exp + 1;
    std::string out;
    if (neg) out += '-';
    if (decpt > -4 && decpt <= 16) {
        if (decpt <= 0) {
            out += "0.";
            out.append(static_cast<size_t>(-decpt), '0');
            out += digits;
        } else if (decpt < n) {
            out.append(digits, 0, static_cast<size_t>(decpt));
            out += '.';
            out.append(digits, static_cast<size_t>(decpt));
        } else {
            out += digits;
            out.append(static_cast<size_t>(decpt - n), '0');
            out += ".0";
        }
    } else {
        out += digits[0];
        if (n > 1) {
            out += '.';
            out.append(digits, 1);
        }
        int e = decpt - 1;
        out += fmt::format("e{}{:02d}", e < 0 ? '-' : '+', e < 0 ? -e : e);
    }
    return out;
}

Ref float_from_string(std::string_view s) {
    double d;
    bool ok;
    if (text::utf8_count(s) != static_cast<int64_t>(s.size())) ok = parse_float_text(text::ascii_digits(s), &d);
    else ok = parse_float_text(s, &d);
    if (!ok)
        return raisef(&exc::ValueError, "could not convert string to float: {}",
                      text::str_repr_utf8(s));
    return make_float(d);
}

int64_t double_hash(double v) {
    if (!std::isfinite(v)) {
        if (std::isinf(v)) return v > 0 ? 314159 : -314159;
        return 0;
    }
    int e;
    double m = std::frexp(v, &e);
    int sign = 1;
    if (m < 0) {
        sign = -1;
        m = -m;
    }
    uint64_t x = 0;
    while (m != 0.0) {
        x = ((x << 28) & kHashModulus) | x >> (kHashBits - 28);
        m *= 268435456.0;
        e -= 28;
        uint64_t y = static_cast<uint64_t>(m);
        m -= static_cast<double>(y);
        x += y;
        if (x >= kHashModulus) x -= kHashModulus;
    }
    e = e >= 0 ? e % kHashBits : kHashBits - 1 - ((-1 - e) % kHashBits);
    x = ((x << e) & kHashModulus) | x >> (kHashBits - e);
    int64_t h = static_cast<int64_t>(x) * sign;
    if (h == -1) h = -2;
    return h;
}

Ref float_to_int(double d) {
    if (std::isnan(d)) return raise(&exc::ValueError, "cannot convert float NaN to integer");
    if (std::isinf(d))
        return raise(&exc::OverflowError, "cannot convert float infinity to integer");
    double t = std::trunc(d);
    if (t >= 9223372036854775808.0 || t < -9223372036854775808.0)
        return raise(&exc::OverflowError, "integer overflow");
    return make_int(static_cast<int64_t>(t));
}

Ref float_divmod(Value a, Value b) {
    double x, y;
    if (!get_double(a, &x) || !get_double(b, &y)) return Ref::not_implemented();
    if (y == 0.0) return raise(&exc::ZeroDivisionError, "float divmod()");
    double q, r;
    py_divmod(x, y, &q, &r);
    return RefT<Tuple>(new_tuple_of({Value::from_double(q), Value::from_double(r)}));
}

Ref number_to_float(Value x) {
    if (x.is_double()) return Ref::steal(x);
    if (is_str(x)) return float_from_string(x.as<Str>()->view());
    if (is_bytes_like(x)) {
        Ref data = bytes_from_object(x);
        if (!data) return nullptr;
        std::string_view s = bytes_view(data.get());
        double d;
        if (!parse_float_text(s, &d))
            return raisef(&exc::ValueError, "could not convert string to float: {}",
                          bytes_repr_raw(s));
        return make_float(d);
    }
    double d;
    if (get_double(x, &d)) return make_float(d);
    Type* t = type_of(x);
    if (!t->to_float && !t->index)
        return raisef(&exc::TypeError, "float() argument must be a string or a real number, not '{}'",
                      type_name(x));
    if (!to_double(x, &d)) return nullptr;
    return make_float(d);
}

double double_round(double x, int64_t nd) {
    if (!std::isfinite(x) || x == 0.0) return x;
    if (nd > 323) return x;
    if (nd < -308) return 0.0 * x;
    if (nd >= 0) {
        char buf[400];
        std::snprintf(buf, sizeof buf, "%.*f", static_cast<int>(nd), x);
        return std::strtod(buf, nullptr);
    }
    // Round the (exact) integer part at 10**-nd, half to even, using the exact fraction.
    double t = std::trunc(x);
    double frac = std::fabs(x - t);
    char buf[400];
    std::snprintf(buf, sizeof buf, "%.0f", std::fabs(t));
    std::string digits(buf);
    size_t keep_n = static_cast<size_t>(-nd);
    if (digits.size() < keep_n) {
        // 10**keep_n / 2 = 5 * 10**(keep_n-1) which has keep_n digits; |x| has fewer: round to 0.
        return std::copysign(0.0, x);
    }
    size_t cut = digits.size() - keep_n;
    std::string head = digits.substr(0, cut);
    std::string tail = digits.substr(cut);
    // Compare tail(+frac) with 5000...
    int cmp;
    if (tail[0] > '5') cmp = 1;
    else if (tail[0] < '5') cmp = -1;
    else {
        cmp = 0;
        for (size_t i = 1; i < tail.size(); ++i)
            if (tail[i] != '0') cmp = 1;
        if (cmp == 0 && frac > 0) cmp = 1;
    }
    bool up = cmp > 0 || (cmp == 0 && !head.empty() && ((head.back() - '0') & 1));
    if (head.empty()) head = "0";
    if (up) {
        int i = static_cast<int>(head.size()) - 1;
        while (i >= 0 && head[static_cast<size_t>(i)] == '9') head[static_cast<size_t>(i--)] = '0';
        if (i < 0) head.insert(head.begin(), '1');
        else ++head[static_cast<size_t>(i)];
    }
    head.append(keep_n, '0');
    double r = std::strtod(head.c_str(), nullptr);
    return std::copysign(r, x);
}

void init_float_type() {
    float_type.name = "float";
    float_type.basic_size = sizeof(FloatObject);
    float_type.flags = kBaseType | kImmutableType;
    float_type.methods = float_methods;
    float_type.getsets = float_getsets;
    float_type.repr = float_repr_slot;
    float_type.hash = float_hash_slot;
    float_type.compare = float_compare;
    auto set = [](BinOp op, BinarySlot f) { float_type.binary[static_cast<int>(op)] = f; };
    set(BinOp::kAdd, float_add);
    set(BinOp::kSub, float_sub);
    set(BinOp::kMul, float_mul);
    set(BinOp::kTrueDiv, float_truediv);
    set(BinOp::kFloorDiv, float_floordiv);
    set(BinOp::kMod, float_mod);
    set(BinOp::kPow, float_pow);
    float_type.neg = float_neg;
    float_type.pos = float_pos;
    float_type.abs = float_abs;
    float_type.to_int = float_int;
    float_type.to_float = float_float;
    float_type.truth = float_truth;
    float_type.new_ = float_new;
    type_ready(&float_type, &object_type);
}

}  // namespace toy
