// math.cpp: the `math` module, with CPython's error semantics ("math domain error" for a NaN
// result from a non-NaN argument, "math range error" for an overflow).
#include <cerrno>
#include <cfloat>
#include <cmath>
#include <vector>

#include "runtime/abstract.h"
#include "runtime/errors.h"
#include "runtime/float.h"
#include "runtime/int.h"
#include "runtime/list.h"
#include "runtime/module.h"
#include "runtime/native_function.h"
#include "runtime/str.h"
#include "runtime/tuple.h"
#include "stdlib/registry.h"
#include "stdlib/util.h"

namespace toy {

using detail::one_arg;
using detail::unpack_args;

namespace {

// A double from an int, a float or an object with __float__ ("must be real number, not str").
bool real_arg(Value v, double* out) {
    if (v.is_double()) {
        *out = v.as_double();
        return true;
    }
    if (v.is_small_int()) {
        *out = static_cast<double>(v.as_small_int());
        return true;
    }
    Type* t = type_of(v);
    if (is_int(v) || t->to_float || t->index) return to_double(v, out);
    (void)raisef(&exc::TypeError, "must be real number, not {}", type_name(v));
    return false;
}

Ref domain_error() { return raise(&exc::ValueError, "math domain error"); }
Ref range_error() { return raise(&exc::OverflowError, "math range error"); }

// CPython's math_1: checks the result of a one-argument libm function.
Ref math_1(const char* name, CallArgs a, double (*fn)(double), bool can_overflow) {
    if (!one_arg(name, a)) return nullptr;
    double x;
    if (!real_arg(a.args[0], &x)) return nullptr;
    errno = 0;
    double r = fn(x);
    if (std::isnan(r) && !std::isnan(x)) return domain_error();
    if (std::isinf(r) && std::isfinite(x)) return can_overflow ? range_error() : domain_error();
    return make_float(r);
}

#define TOY_MATH_1(name, fn, overflow) \
    Ref m_##name(Value, CallArgs a) { return math_1(#name, a, [](double x) { return fn(x); }, overflow); }

TOY_MATH_1(sqrt, std::sqrt, false)
TOY_MATH_1(sin, std::sin, false)
TOY_MATH_1(cos, std::cos, false)
TOY_MATH_1(tan, std::tan, false)
TOY_MATH_1(asin, std::asin, false)
TOY_MATH_1(acos, std::acos, false)
TOY_MATH_1(atan, std::atan, false)
TOY_MATH_1(sinh, std::sinh, true)
TOY_MATH_1(cosh, std::cosh, true)
TOY_MATH_1(tanh, std::tanh, false)
TOY_MATH_1(asinh, std::asinh, false)
TOY_MATH_1(acosh, std::acosh, false)
TOY_MATH_1(atanh, std::atanh, false)
TOY_MATH_1(exp, std::exp, true)
TOY_MATH_1(exp2, std::exp2, true)
TOY_MATH_1(expm1, std::expm1, true)
TOY_MATH_1(log1p, std::log1p, false)
TOY_MATH_1(fabs, std::fabs, false)
TOY_MATH_1(erf, std::erf, false)
TOY_MATH_1(erfc, std::erfc, false)
TOY_MATH_1(cbrt, std::cbrt, false)

// gamma and lgamma: poles at 0 and the negative integers are domain errors (CPython's).
Ref m_gamma(Value, CallArgs a) {
    if (!one_arg("gamma", a)) return nullptr;
    double x;
    if (!real_arg(a.args[0], &x)) return nullptr;
    if (std::isnan(x)) return make_float(x);
    if (std::isinf(x)) {
        if (x < 0) return domain_error();
        return make_float(x);
    }
    if (x <= 0 && x == std::floor(x)) return domain_error();
    double r = std::tgamma(x);
    if (std::isinf(r)) return range_error();
    return make_float(r);
}

Ref m_lgamma(Value, CallArgs a) {
    if (!one_arg("lgamma", a)) return nullptr;
    double x;
    if (!real_arg(a.args[0], &x)) return nullptr;
    if (std::isnan(x)) return make_float(x);
    if (std::isinf(x)) return make_float(INFINITY);
    if (x <= 0 && x == std::floor(x)) return domain_error();
    double r = std::lgamma(x);
    if (std::isinf(r)) return range_error();
    return make_float(r);
}

Ref m_remainder(Value, CallArgs a) {
    if (!unpack_args("remainder", a, 2, 2)) return nullptr;
    double x, y;
    if (!real_arg(a.args[0], &x) || !real_arg(a.args[1], &y)) return nullptr;
    if (std::isnan(x)) return make_float(x);
    if (std::isnan(y)) return make_float(y);
    if (std::isinf(x) || y == 0.0) return domain_error();
    if (std::isinf(y)) return make_float(x);
    return make_float(std::remainder(x, y));
}

Ref m_nextafter(Value, CallArgs a) {
    if (!unpack_args("nextafter", a, 2, 2)) return nullptr;
    double x, y;
    if (!real_arg(a.args[0], &x) || !real_arg(a.args[1], &y)) return nullptr;
    return make_float(std::nextafter(x, y));
}

Ref m_ulp(Value, CallArgs a) {
    if (!one_arg("ulp", a)) return nullptr;
    double x;
    if (!real_arg(a.args[0], &x)) return nullptr;
    if (std::isnan(x)) return make_float(x);
    x = std::fabs(x);
    if (std::isinf(x)) return make_float(x);
    double x2 = std::nextafter(x, INFINITY);
    if (std::isinf(x2)) {
        x2 = std::nextafter(x, -INFINITY);
        return make_float(x - x2);
    }
    return make_float(x2 - x);
}

Ref log_of(Value v, double* out) {
    double x;
    if (!real_arg(v, &x)) return nullptr;
    if (std::isnan(x)) {
        *out = x;
        return Ref::none();
    }
    if (x <= 0) return domain_error();
    *out = std::log(x);
    return Ref::none();
}

Ref m_log(Value, CallArgs a) {
    if (!unpack_args("log", a, 1, 2)) return nullptr;
    double num, den;
    if (!log_of(a.args[0], &num)) return nullptr;
    if (a.npos == 1) return make_float(num);
    if (!log_of(a.args[1], &den)) return nullptr;
    if (den == 0.0) return raise(&exc::ZeroDivisionError, "float division by zero");
    return make_float(num / den);
}

Ref log_base(const char* name, CallArgs a, double (*fn)(double)) {
    if (!one_arg(name, a)) return nullptr;
    double x;
    if (!real_arg(a.args[0], &x)) return nullptr;
    if (std::isnan(x)) return make_float(x);
    if (x <= 0) return domain_error();
    return make_float(fn(x));
}

Ref m_log2(Value, CallArgs a) { return log_base("log2", a, [](double x) { return std::log2(x); }); }
Ref m_log10(Value, CallArgs a) { return log_base("log10", a, [](double x) { return std::log10(x); }); }

Ref m_pow(Value, CallArgs a) {
    if (!unpack_args("pow", a, 2, 2)) return nullptr;
    double x, y;
    if (!real_arg(a.args[0], &x) || !real_arg(a.args[1], &y)) return nullptr;
    double r;
    bool odd_y;
    if (!std::isfinite(x) || !std::isfinite(y)) {
        if (std::isnan(x)) r = y == 0.0 ? 1.0 : x;
        else if (std::isnan(y)) r = x == 1.0 ? 1.0 : y;
        else if (std::isinf(x)) {
            odd_y = std::isfinite(y) && std::fmod(std::fabs(y), 2.0) == 1.0;
            if (y > 0.) r = odd_y ? x : std::fabs(x);
            else if (y == 0.) r = 1.;
            else r = odd_y ? std::copysign(0., x) : 0.;
        } else {
            if (std::fabs(x) == 1.0) r = 1.;
            else if (y > 0. && std::fabs(x) > 1.0) r = y;
            else if (y < 0. && std::fabs(x) < 1.0) r = -y;
            else r = 0.;
        }
        return make_float(r);
    }
    if (x == 0.0 && y < 0.0) return domain_error();
    r = std::pow(x, y);
    if (std::isnan(r)) return domain_error();
    if (std::isinf(r)) return range_error();
    return make_float(r);
}

Ref m_atan2(Value, CallArgs a) {
    if (!unpack_args("atan2", a, 2, 2)) return nullptr;
    double y, x;
    if (!real_arg(a.args[0], &y) || !real_arg(a.args[1], &x)) return nullptr;
    return make_float(std::atan2(y, x));
}

Ref m_fmod(Value, CallArgs a) {
    if (!unpack_args("fmod", a, 2, 2)) return nullptr;
    double x, y;
    if (!real_arg(a.args[0], &x) || !real_arg(a.args[1], &y)) return nullptr;
    if (std::isinf(y) && std::isfinite(x)) return make_float(x);
    double r = std::fmod(x, y);
    if (std::isnan(r) && !std::isnan(x) && !std::isnan(y)) return domain_error();
    return make_float(r);
}

Ref m_copysign(Value, CallArgs a) {
    if (!unpack_args("copysign", a, 2, 2)) return nullptr;
    double x, y;
    if (!real_arg(a.args[0], &x) || !real_arg(a.args[1], &y)) return nullptr;
    return make_float(std::copysign(x, y));
}

Ref m_degrees(Value, CallArgs a) {
    if (!one_arg("degrees", a)) return nullptr;
    double x;
    if (!real_arg(a.args[0], &x)) return nullptr;
    return make_float(x * (180.0 / M_PI));
}

Ref m_radians(Value, CallArgs a) {
    if (!one_arg("radians", a)) return nullptr;
    double x;
    if (!real_arg(a.args[0], &x)) return nullptr;
    return make_float(x * (M_PI / 180.0));
}

Ref m_isfinite(Value, CallArgs a) {
    if (!one_arg("isfinite", a)) return nullptr;
    double x;
    if (!real_arg(a.args[0], &x)) return nullptr;
    return Ref::boolean(std::isfinite(x));
}

Ref m_isinf(Value, CallArgs a) {
    if (!one_arg("isinf", a)) return nullptr;
    double x;
    if (!real_arg(a.args[0], &x)) return nullptr;
    return Ref::boolean(std::isinf(x));
}

Ref m_isnan(Value, CallArgs a) {
    if (!one_arg("isnan", a)) return nullptr;
    double x;
    if (!real_arg(a.args[0], &x)) return nullptr;
    return Ref::boolean(std::isnan(x));
}

Ref m_isclose(Value, CallArgs a) {
    Value args[4];
    if (!parse_args("isclose", a, 2, 2, {"a", "b", "rel_tol", "abs_tol"}, args)) return nullptr;
    double x, y, rel = 1e-09, abs_tol = 0.0;
    if (!real_arg(args[0], &x) || !real_arg(args[1], &y)) return nullptr;
    if (!args[2].is_null() && !real_arg(args[2], &rel)) return nullptr;
    if (!args[3].is_null() && !real_arg(args[3], &abs_tol)) return nullptr;
    if (rel < 0.0 || abs_tol < 0.0) return raise(&exc::ValueError, "tolerances must be non-negative");
    if (x == y) return Ref::boolean(true);
    if (std::isinf(x) || std::isinf(y)) return Ref::boolean(false);
    double diff = std::fabs(y - x);
    return Ref::boolean((diff <= std::fabs(rel * y)) || (diff <= std::fabs(rel * x)) ||
                        (diff <= abs_tol));
}

// floor/ceil/trunc: ints back; floats converted; other objects through __floor__ etc.
Ref to_integral(const char* name, Str* dunder, CallArgs a, double (*fn)(double)) {
    if (!one_arg(name, a)) return nullptr;
    Value v = a.args[0];
    if (v.is_double()) {
        double d = fn(v.as_double());
        if (std::isinf(d)) return raise(&exc::OverflowError, "cannot convert float infinity to integer");
        if (std::isnan(d)) return raise(&exc::ValueError, "cannot convert float NaN to integer");
        if (d >= 9223372036854775808.0 || d < -9223372036854775808.0) {
            return raise(&exc::OverflowError, "integer overflow");
        }
        return make_int(static_cast<int64_t>(d));
    }
    if (is_int(v) && !type_has(type_of(v), kHeapType)) {
        int64_t i;
        if (!int_value(v, &i)) return nullptr;
        return make_int(i);
    }
    if (!type_lookup(type_of(v), dunder).is_null()) return call_method(v, dunder, {});
    if (dunder == TOY_NAME(__trunc__)) {
        return raisef(&exc::TypeError, "type {} doesn't define __trunc__ method", type_name(v));
    }
    double d;
    if (!real_arg(v, &d)) return nullptr;
    Ref f = make_float(d);
    Value arg = f.get();
    return to_integral(name, dunder, CallArgs{&arg, 1, nullptr}, fn);
}

Ref m_floor(Value, CallArgs a) {
    return to_integral("floor", TOY_NAME(__floor__), a, [](double x) { return std::floor(x); });
}
Ref m_ceil(Value, CallArgs a) {
    return to_integral("ceil", TOY_NAME(__ceil__), a, [](double x) { return std::ceil(x); });
}
Ref m_trunc(Value, CallArgs a) {
    return to_integral("trunc", TOY_NAME(__trunc__), a, [](double x) { return std::trunc(x); });
}

bool int_arg(Value v, int64_t* out) {
    if (v.is_double()) {
        (void)raise(&exc::TypeError, "'float' object cannot be interpreted as an integer");
        return false;
    }
    return index_value(v, out);
}

int64_t gcd64(int64_t a, int64_t b) {
    uint64_t x = a < 0 ? -static_cast<uint64_t>(a) : static_cast<uint64_t>(a);
    uint64_t y = b < 0 ? -static_cast<uint64_t>(b) : static_cast<uint64_t>(b);
    while (y) {
        uint64_t t = x % y;
        x = y;
        y = t;
    }
    return static_cast<int64_t>(x);
}

Ref m_gcd(Value, CallArgs a) {
    if (!detail::no_kwargs("gcd", a)) return nullptr;
    int64_t g = 0;
    for (size_t i = 0; i < a.npos; ++i) {
        int64_t x;
        if (!int_arg(a.args[i], &x)) return nullptr;
        g = gcd64(g, x);
    }
    return make_int(g);
}

Ref m_lcm(Value, CallArgs a) {
    if (!detail::no_kwargs("lcm", a)) return nullptr;
    int64_t l = 1;
    for (size_t i = 0; i < a.npos; ++i) {
        int64_t x;
        if (!int_arg(a.args[i], &x)) return nullptr;
        if (l == 0 || x == 0) {
            l = 0;
            continue;
        }
        int64_t g = gcd64(l, x);
        Ref r = int_mul(l / g, x < 0 ? -x : x);
        if (!r) return nullptr;
        if (!int_value(r.get(), &l)) return nullptr;
        if (l < 0) l = -l;
    }
    return make_int(l);
}

Ref m_factorial(Value, CallArgs a) {
    if (!one_arg("factorial", a)) return nullptr;
    int64_t n;
    if (!int_arg(a.args[0], &n)) return nullptr;
    if (n < 0) return raise(&exc::ValueError, "factorial() not defined for negative values");
    int64_t r = 1;
    for (int64_t i = 2; i <= n; ++i) {
        if (__builtin_mul_overflow(r, i, &r)) return raise(&exc::OverflowError, "integer overflow");
    }
    return make_int(r);
}

Ref m_comb(Value, CallArgs a) {
    if (!unpack_args("comb", a, 2, 2)) return nullptr;
    int64_t n, k;
    if (!int_arg(a.args[0], &n) || !int_arg(a.args[1], &k)) return nullptr;
    if (n < 0) return raise(&exc::ValueError, "n must be a non-negative integer");
    if (k < 0) return raise(&exc::ValueError, "k must be a non-negative integer");
    if (k > n) return make_int(0);
    if (k > n - k) k = n - k;
    unsigned __int128 r = 1;
    for (int64_t i = 0; i < k; ++i) {
        r = r * static_cast<unsigned __int128>(n - i);
        r /= static_cast<unsigned __int128>(i + 1);
        if (r > static_cast<unsigned __int128>(INT64_MAX)) {
            return raise(&exc::OverflowError, "integer overflow");
        }
    }
    return make_int(static_cast<int64_t>(r));
}

Ref m_perm(Value, CallArgs a) {
    if (!unpack_args("perm", a, 1, 2)) return nullptr;
    int64_t n, k;
    if (!int_arg(a.args[0], &n)) return nullptr;
    if (a.npos < 2 || a.args[1].is_none()) k = n;
    else if (!int_arg(a.args[1], &k)) return nullptr;
    if (n < 0) return raise(&exc::ValueError, "n must be a non-negative integer");
    if (k < 0) return raise(&exc::ValueError, "k must be a non-negative integer");
    if (k > n) return make_int(0);
    int64_t r = 1;
    for (int64_t i = 0; i < k; ++i) {
        if (__builtin_mul_overflow(r, n - i, &r)) return raise(&exc::OverflowError, "integer overflow");
    }
    return make_int(r);
}

Ref m_isqrt(Value, CallArgs a) {
    if (!one_arg("isqrt", a)) return nullptr;
    int64_t n;
    if (!int_arg(a.args[0], &n)) return nullptr;
    if (n < 0) return raise(&exc::ValueError, "isqrt() argument must be nonnegative");
    auto r = static_cast<int64_t>(std::sqrt(static_cast<double>(n)));
    while (r > 0 && static_cast<__int128>(r) * r > n) --r;
    while (static_cast<__int128>(r + 1) * (r + 1) <= n) ++r;
    return make_int(r);
}

Ref m_prod(Value, CallArgs a) {
    Value args[2];
    if (!parse_args("prod", a, 1, 1, {"iterable", "start"}, args)) return nullptr;
    Ref result = args[1].is_null() ? Ref::steal(Value::small_int(1)) : Ref::borrow(args[1]);
    Ref it = get_iter(args[0]);
    if (!it) return nullptr;
    for (;;) {
        Ref item = iter_next(it.get());
        if (!item) {
            if (error_occurred()) return nullptr;
            return result;
        }
        if (both_small_ints(result.get(), item.get())) {
            result = int_mul(result.get().as_small_int(), item.get().as_small_int());
        } else if (result.get().is_double() && item.get().is_double()) {
            result = make_float(result.get().as_double() * item.get().as_double());
        } else {
            result = binary_op(BinOp::kMul, result.get(), item.get());
        }
        if (!result) return nullptr;
    }
}

// Shewchuk's exactly rounded sum, as CPython's math.fsum.
Ref m_fsum(Value, CallArgs a) {
    if (!one_arg("fsum", a)) return nullptr;
    Ref it = get_iter(a.args[0]);
    if (!it) return nullptr;
    std::vector<double> p;
    double special_sum = 0.0, inf_sum = 0.0;
    for (;;) {
        Ref item = iter_next(it.get());
        if (!item) {
            if (error_occurred()) return nullptr;
            break;
        }
        double x;
        if (!real_arg(item.get(), &x)) return nullptr;
        double xsave = x;
        size_t i = 0;
        for (size_t j = 0; j < p.size(); ++j) {
            double y = p[j];
            if (std::fabs(x) < std::fabs(y)) std::swap(x, y);
            double hi = x + y;
            double lo = y - (hi - x);
            if (lo != 0.0) p[i++] = lo;
            x = hi;
        }
        p.resize(i);
        if (x != 0.0) {
            if (!std::isfinite(x)) {
                if (std::isinf(xsave)) inf_sum += xsave;
                special_sum += xsave;
                p.clear();
            } else {
                p.push_back(x);
            }
        }
    }
    if (special_sum != 0.0) {
        if (std::isnan(inf_sum)) return raise(&exc::ValueError, "-inf + inf in fsum");
        return make_float(special_sum);
    }
    double hi = 0.0;
    size_t n = p.size();
    if (n > 0) {
        hi = p[--n];
        double lo = 0;
        while (n > 0) {
            double x = hi;
            double y = p[--n];
            hi = x + y;
            double yr = hi - x;
            lo = y - yr;
            if (lo != 0.0) break;
        }
        if (n > 0 && ((lo < 0.0 && p[n - 1] < 0.0) || (lo > 0.0 && p[n - 1] > 0.0))) {
            double y = lo * 2.0;
            double x = hi + y;
            double yr = x - hi;
            if (y == yr) hi = x;
        }
    }
    return make_float(hi);
}

double hypot_of(const std::vector<double>& v) {
    double max = 0.0;
    bool found_nan = false;
    for (double x : v) {
        x = std::fabs(x);
        if (std::isnan(x)) found_nan = true;
        if (x > max) max = x;
    }
    if (std::isinf(max)) return max;
    if (found_nan) return NAN;
    if (max == 0.0 || v.size() <= 1) return max;
    double sum = 0.0;
    for (double x : v) {
        double s = x / max;
        sum += s * s;
    }
    return max * std::sqrt(sum);
}

Ref m_hypot(Value, CallArgs a) {
    if (!detail::no_kwargs("hypot", a)) return nullptr;
    std::vector<double> v(a.npos);
    for (size_t i = 0; i < a.npos; ++i)
        if (!real_arg(a.args[i], &v[i])) return nullptr;
    if (v.size() == 2) return make_float(std::hypot(v[0], v[1]));
    return make_float(hypot_of(v));
}

bool floats_of(Value seq, std::vector<double>* out) {
    Ref it = get_iter(seq);
    if (!it) return false;
    for (;;) {
        Ref item = iter_next(it.get());
        if (!item) return !error_occurred();
        double d;
        if (!real_arg(item.get(), &d)) return false;
        out->push_back(d);
    }
}

Ref m_dist(Value, CallArgs a) {
    if (!unpack_args("dist", a, 2, 2)) return nullptr;
    for (int i = 0; i < 2; ++i) {
        if (!is_tuple(a.args[i]) && !is_list(a.args[i])) {
            return raisef(&exc::TypeError, "dist() argument {} must be tuple, not {}", i + 1,
                          type_name(a.args[i]));
        }
    }
    std::vector<double> p, q;
    if (!floats_of(a.args[0], &p) || !floats_of(a.args[1], &q)) return nullptr;
    if (p.size() != q.size()) {
        return raise(&exc::ValueError, "both points must have the same number of dimensions");
    }
    for (size_t i = 0; i < p.size(); ++i) p[i] -= q[i];
    return make_float(hypot_of(p));
}

Ref m_modf(Value, CallArgs a) {
    if (!one_arg("modf", a)) return nullptr;
    double x;
    if (!real_arg(a.args[0], &x)) return nullptr;
    double ip;
    double fp = std::isinf(x) ? std::copysign(0.0, x) : std::modf(x, &ip);
    if (std::isinf(x)) ip = x;
    return Ref(new_tuple_of({Value::from_double(fp), Value::from_double(ip)}));
}

Ref m_frexp(Value, CallArgs a) {
    if (!one_arg("frexp", a)) return nullptr;
    double x;
    if (!real_arg(a.args[0], &x)) return nullptr;
    int e = 0;
    double m = std::isfinite(x) ? std::frexp(x, &e) : x;
    return Ref(new_tuple_of({Value::from_double(m), Value::small_int(e)}));
}

Ref m_ldexp(Value, CallArgs a) {
    if (!unpack_args("ldexp", a, 2, 2)) return nullptr;
    double x;
    int64_t e;
    if (!real_arg(a.args[0], &x)) return nullptr;
    if (!is_int(a.args[1])) return raise(&exc::TypeError, "Expected an int as second argument to ldexp.");
    if (!int_value(a.args[1], &e)) return nullptr;
    if (e > INT32_MAX) e = INT32_MAX;
    if (e < INT32_MIN) e = INT32_MIN;
    double r = std::ldexp(x, static_cast<int>(e));
    if (std::isinf(r) && std::isfinite(x)) return range_error();
    return make_float(r);
}

const MethodDef kMathFunctions[] = {
    {"sqrt", m_sqrt},   {"sin", m_sin},     {"cos", m_cos},         {"tan", m_tan},
    {"asin", m_asin},   {"acos", m_acos},   {"atan", m_atan},       {"atan2", m_atan2},
    {"sinh", m_sinh},   {"cosh", m_cosh},   {"tanh", m_tanh},       {"asinh", m_asinh},
    {"acosh", m_acosh}, {"atanh", m_atanh}, {"exp", m_exp},         {"exp2", m_exp2},
    {"expm1", m_expm1}, {"log", m_log},     {"log2", m_log2},       {"log10", m_log10},
    {"log1p", m_log1p}, {"pow", m_pow},     {"fabs", m_fabs},       {"floor", m_floor},
    {"ceil", m_ceil},   {"trunc", m_trunc}, {"fmod", m_fmod},       {"hypot", m_hypot},
    {"degrees", m_degrees}, {"radians", m_radians}, {"isfinite", m_isfinite},
    {"isinf", m_isinf}, {"isnan", m_isnan}, {"isclose", m_isclose}, {"gcd", m_gcd},
    {"lcm", m_lcm},     {"factorial", m_factorial}, {"comb", m_comb}, {"perm", m_perm},
    {"copysign", m_copysign}, {"prod", m_prod}, {"fsum", m_fsum},  {"isqrt", m_isqrt},
    {"dist", m_dist},   {"erf", m_erf},     {"erfc", m_erfc},       {"gamma", m_gamma},
    {"lgamma", m_lgamma}, {"cbrt", m_cbrt}, {"modf", m_modf},       {"frexp", m_frexp},
    {"ldexp", m_ldexp}, {"remainder", m_remainder}, {"nextafter", m_nextafter},
    {"ulp", m_ulp},
    {nullptr, nullptr},
};

}  // namespace

RefT<Module> create_math_module() {
    RefT<Module> m = new_module("math");
    if (!m) return nullptr;
    if (!module_add_functions(m.get(), kMathFunctions)) return nullptr;
    if (!module_add(m.get(), "pi", Value::from_double(M_PI)) ||
        !module_add(m.get(), "e", Value::from_double(M_E)) ||
        !module_add(m.get(), "tau", Value::from_double(2 * M_PI)) ||
        !module_add(m.get(), "inf", Value::from_double(INFINITY)) ||
        !module_add(m.get(), "nan", Value::from_double(NAN))) {
        return nullptr;
    }
    return m;
}

}  // namespace toy
