// builtins.cpp: the `builtins` module: its table and the simple builtin functions. The
// iteration helpers (min, max, sum, sorted, ...) are in builtins_iter.cpp; exec, eval,
// compile, dir, vars, globals and locals in builtins_exec.cpp; __import__ in import.cpp.
#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "interp/vm.h"
#include "runtime/abstract.h"
#include "runtime/bytes.h"
#include "runtime/dict.h"
#include "runtime/errors.h"
#include "runtime/float.h"
#include "runtime/int.h"
#include "runtime/interpreter.h"
#include "runtime/iterators.h"
#include "runtime/list.h"
#include "runtime/misc_types.h"
#include "runtime/module.h"
#include "runtime/native_function.h"
#include "runtime/set.h"
#include "runtime/str.h"
#include "runtime/thread_state.h"
#include "runtime/tuple.h"
#include "stdlib/builtins_internal.h"
#include "stdlib/io.h"
#include "stdlib/util.h"

namespace toy {

using detail::check_positional;
using detail::one_arg;
using detail::unpack_args;

Value sys_attr(Str* name) {
    ThreadState* ts = current_thread();
    if (!ts || !ts->interp || !ts->interp->sys) return Value::null();
    return dict_get_str(ts->interp->sys->dict, name);
}

// ---- print ------------------------------------------------------------------------------------

namespace {

// Appends str(v) to buf for the values that need no call; false if v needs str().
inline bool append_simple(fmt::memory_buffer& buf, Value v) {
    if (is_exact_str(v)) {
        std::string_view s = v.as<Str>()->view();
        buf.append(s.data(), s.data() + s.size());
        return true;
    }
    if (v.is_small_int()) {
        fmt::format_to(std::back_inserter(buf), "{}", v.as_small_int());
        return true;
    }
    if (v.is_double()) {
        std::string r = float_repr(v.as_double());
        buf.append(r.data(), r.data() + r.size());
        return true;
    }
    if (v.is_special()) {
        std::string_view s = v.is_none() ? "None" : v.is_true_const() ? "True"
                           : v.is_false_const() ? "False" : std::string_view();
        if (s.empty()) return false;
        buf.append(s.data(), s.data() + s.size());
        return true;
    }
    return false;
}

bool check_sep(const char* what, Value v) {
    if (v.is_null() || v.is_none() || is_str(v)) return true;
    (void)raisef(&exc::TypeError, "{} must be None or a string, not {}", what, type_name(v));
    return false;
}

}  // namespace

Ref builtin_print(Value, CallArgs a) {
    Value sep = Value::null(), end = Value::null(), file = Value::null(), flush = Value::null();
    size_t nkw = a.nkw();
    for (size_t i = 0; i < nkw; ++i) {
        Str* k = detail::kwname(a, i);
        Value v = a.args[a.npos + i];
        if (str_eq(k, TOY_NAME(sep))) sep = v;
        else if (str_eq(k, TOY_NAME(end))) end = v;
        else if (str_eq(k, TOY_NAME(file))) file = v;
        else if (str_eq(k, TOY_NAME(flush))) flush = v;
        else return raisef(&exc::TypeError, "'{}' is an invalid keyword argument for print()", k->view());
    }
    if (!check_sep("sep", sep) || !check_sep("end", end)) return nullptr;
    if (file.is_null() || file.is_none()) {
        file = sys_attr(TOY_NAME(stdout));
        if (file.is_null()) return raise(&exc::RuntimeError, "lost sys.stdout");
        if (file.is_none()) return Ref::none();
    }
    if (sep.is_none()) sep = Value::null();
    if (end.is_none()) end = Value::null();
    // str() of an argument may run Toy code that rebinds sys.stdout: keep the file alive.
    Ref keep = Ref::borrow(file);

    if (file.is_object() && file.as_object()->type == &textio_type) {
        // Fast path: format everything into one buffer, one append to the file's buffer.
        fmt::memory_buffer buf;
        for (size_t i = 0; i < a.npos; ++i) {
            if (i > 0) {
                if (sep.is_null()) buf.push_back(' ');
                else {
                    std::string_view s = detail::str_view(sep);
                    buf.append(s.data(), s.data() + s.size());
                }
            }
            if (!append_simple(buf, a.args[i])) {
                Ref s = str(a.args[i]);
                if (!s) return nullptr;
                std::string_view sv = detail::str_view(s.get());
                buf.append(sv.data(), sv.data() + sv.size());
            }
        }
        if (end.is_null()) buf.push_back('\n');
        else {
            std::string_view s = detail::str_view(end);
            buf.append(s.data(), s.data() + s.size());
        }
        if (!write_to(file, std::string_view(buf.data(), buf.size()))) return nullptr;
    } else {
        // General path: one write() call per piece, as CPython does.
        for (size_t i = 0; i < a.npos; ++i) {
            if (i > 0) {
                if (sep.is_null()) {
                    if (!write_to(file, std::string_view(" "))) return nullptr;
                } else if (!write_to(file, sep.as<Str>())) {
                    return nullptr;
                }
            }
            Ref s = str(a.args[i]);
            if (!s) return nullptr;
            if (!write_to(file, s.as<Str>())) return nullptr;
        }
        if (end.is_null()) {
            if (!write_to(file, std::string_view("\n"))) return nullptr;
        } else if (!write_to(file, end.as<Str>())) {
            return nullptr;
        }
    }
    if (!flush.is_null()) {
        int t = truthy(flush);
        if (t < 0) return nullptr;
        if (t && !flush_file(file)) return nullptr;
    }
    return Ref::none();
}

// ---- simple functions -------------------------------------------------------------------------

Ref builtin_len(Value, CallArgs a) {
    if (!one_arg("len", a)) return nullptr;
    int64_t n = length(a.args[0]);
    if (n < 0) return nullptr;
    return make_int(n);
}

Ref builtin_abs(Value, CallArgs a) {
    if (!one_arg("abs", a)) return nullptr;
    Value v = a.args[0];
    if (v.is_small_int()) return make_int(std::llabs(v.as_small_int()));
    if (v.is_double()) return make_float(std::fabs(v.as_double()));
    return absolute(v);
}

namespace {

// Round half to even of x to an integer-valued double.
double round_half_even(double x) {
    double r = std::round(x);
    if (std::fabs(x - std::trunc(x)) == 0.5) r = 2.0 * std::round(x / 2.0);
    return r;
}

Ref float_to_int_checked(double d) {
    if (std::isinf(d)) return raise(&exc::OverflowError, "cannot convert float infinity to integer");
    if (std::isnan(d)) return raise(&exc::ValueError, "cannot convert float NaN to integer");
    if (d >= 9223372036854775808.0 || d < -9223372036854775808.0) {
        return raise(&exc::OverflowError, "int too big to convert");
    }
    return make_int(static_cast<int64_t>(d));
}

// round(x, ndigits) for a float: correctly rounded through the exact decimal expansion
// (glibc's printf rounds the exact binary value half-to-even, as CPython's dtoa does).
Ref round_float(double x, int64_t ndigits) {
    if (!std::isfinite(x) || x == 0.0) return make_float(x);
    if (ndigits > 323) return make_float(x);
    if (ndigits < -308) return make_float(0.0 * x);
    if (ndigits >= 0) {
        char buf[400];
        std::snprintf(buf, sizeof buf, "%.*f", static_cast<int>(ndigits), x);
        double r = std::strtod(buf, nullptr);
        if (std::isinf(r)) return raise(&exc::OverflowError, "rounded value too large to represent");
        return make_float(r);
    }
    double pow10 = std::pow(10.0, static_cast<double>(-ndigits));
    double y = x / pow10;
    double z = round_half_even(y) * pow10;
    if (std::isinf(z)) return raise(&exc::OverflowError, "rounded value too large to represent");
    return make_float(z);
}

Ref round_int(int64_t v, int64_t ndigits) {
    if (ndigits >= 0) return make_int(v);
    if (ndigits < -18) return make_int(0);
    int64_t p = 1;
    for (int64_t i = 0; i < -ndigits; ++i) p *= 10;
    int64_t q = floordiv_i64(v, p);
    int64_t r = v - q * p;  // 0 <= r < p
    if (2 * r > p || (2 * r == p && (q & 1))) ++q;
    return int_mul(q, p);
}

}  // namespace

Ref builtin_round(Value, CallArgs a) {
    Value args[2];
    if (!parse_args("round", a, 1, 2, {"number", "ndigits"}, args)) return nullptr;
    Value x = args[0];
    Value nd = args[1];
    bool has_nd = !nd.is_null() && !nd.is_none();
    int64_t ndigits = 0;
    if (x.is_double() || (is_int(x) && !type_has(type_of(x), kHeapType))) {
        if (has_nd && !index_value(nd, &ndigits)) return nullptr;
        if (x.is_double()) {
            if (!has_nd) return float_to_int_checked(round_half_even(x.as_double()));
            return round_float(x.as_double(), ndigits);
        }
        int64_t v;
        if (!int_value(x, &v)) return nullptr;
        if (!has_nd) return make_int(v);
        return round_int(v, ndigits);
    }
    Value m = type_lookup(type_of(x), TOY_NAME(__round__));
    if (m.is_null()) {
        return raisef(&exc::TypeError, "type {} doesn't define __round__ method", type_name(x));
    }
    if (has_nd) return call_method(x, TOY_NAME(__round__), {nd});
    return call_method(x, TOY_NAME(__round__), {});
}

namespace {

Ref float_divmod(double vx, double wx) {
    if (wx == 0.0) return raise(&exc::ZeroDivisionError, "float divmod()");
    double mod = std::fmod(vx, wx);
    double div = (vx - mod) / wx;
    if (mod != 0.0) {
        if ((wx < 0) != (mod < 0)) {
            mod += wx;
            div -= 1.0;
        }
    } else {
        mod = std::copysign(0.0, wx);
    }
    double floordiv;
    if (div != 0.0) {
        floordiv = std::floor(div);
        if (div - floordiv > 0.5) floordiv += 1.0;
    } else {
        floordiv = std::copysign(0.0, vx / wx);
    }
    return Ref(new_tuple_of({Value::from_double(floordiv), Value::from_double(mod)}));
}

bool is_number(Value v) { return v.is_double() || is_int(v); }

}  // namespace

Ref builtin_divmod(Value, CallArgs a) {
    if (!unpack_args("divmod", a, 2, 2)) return nullptr;
    Value x = a.args[0], y = a.args[1];
    bool plain = !type_has(type_of(x), kHeapType) && !type_has(type_of(y), kHeapType);
    if (plain && is_int(x) && is_int(y)) return int_divmod(x, y);
    if (plain && is_number(x) && is_number(y)) {
        double dx, dy;
        if (!to_double(x, &dx) || !to_double(y, &dy)) return nullptr;
        return float_divmod(dx, dy);
    }
    // The general protocol: x.__divmod__(y), then y.__rdivmod__(x).
    Type* tx = type_of(x);
    Type* ty = type_of(y);
    if (!type_lookup(tx, TOY_NAME(__divmod__)).is_null()) {
        Ref r = call_method(x, TOY_NAME(__divmod__), {y});
        if (!r || !r.get().is_not_implemented()) return r;
    }
    if (tx != ty && !type_lookup(ty, TOY_NAME(__rdivmod__)).is_null()) {
        Ref r = call_method(y, TOY_NAME(__rdivmod__), {x});
        if (!r || !r.get().is_not_implemented()) return r;
    }
    return raisef(&exc::TypeError, "unsupported operand type(s) for divmod(): '{}' and '{}'",
                  type_name(x), type_name(y));
}

Ref builtin_pow(Value, CallArgs a) {
    Value args[3];
    if (!parse_args("pow", a, 2, 3, {"base", "exp", "mod"}, args)) return nullptr;
    if (args[2].is_null() || args[2].is_none()) return binary_op(BinOp::kPow, args[0], args[1]);
    if (is_int(args[0]) && is_int(args[1]) && is_int(args[2])) {
        return int_pow_mod(args[0], args[1], args[2]);
    }
    if (is_number(args[0]) && is_number(args[1]) && is_number(args[2])) {
        return raise(&exc::TypeError,
                     "pow() 3rd argument not allowed unless all arguments are integers");
    }
    Value m = type_lookup(type_of(args[0]), TOY_NAME(__pow__));
    if (!m.is_null()) {
        Ref r = call_method(args[0], TOY_NAME(__pow__), {args[1], args[2]});
        if (!r || !r.get().is_not_implemented()) return r;
    }
    return raisef(&exc::TypeError,
                  "unsupported operand type(s) for ** or pow(): '{}', '{}', '{}'",
                  type_name(args[0]), type_name(args[1]), type_name(args[2]));
}

Ref builtin_isinstance(Value, CallArgs a) {
    if (!unpack_args("isinstance", a, 2, 2)) return nullptr;
    bool r = isinstance(a.args[0], a.args[1]);
    if (!r && error_occurred()) return nullptr;
    return Ref::boolean(r);
}

Ref builtin_issubclass(Value, CallArgs a) {
    if (!unpack_args("issubclass", a, 2, 2)) return nullptr;
    bool r = issubclass(a.args[0], a.args[1]);
    if (!r && error_occurred()) return nullptr;
    return Ref::boolean(r);
}

Ref builtin_id(Value, CallArgs a) {
    if (!one_arg("id", a)) return nullptr;
    Value v = a.args[0];
    if (v.is_object()) return make_int(static_cast<int64_t>(reinterpret_cast<uintptr_t>(v.as_object())));
    // Inline values have no address: their bits (shifted clear of the sign) identify them,
    // consistently with `is`, and never collide with a user-space object address.
    return make_int(static_cast<int64_t>(v.bits() >> 1));
}

Ref builtin_hash(Value, CallArgs a) {
    if (!one_arg("hash", a)) return nullptr;
    int64_t h;
    if (!hash(a.args[0], &h)) return nullptr;
    return make_int(h);
}

Ref builtin_repr(Value, CallArgs a) {
    if (!one_arg("repr", a)) return nullptr;
    return repr(a.args[0]);
}

Ref builtin_ascii(Value, CallArgs a) {
    if (!one_arg("ascii", a)) return nullptr;
    return ascii(a.args[0]);
}

Ref builtin_format(Value, CallArgs a) {
    Value args[2];
    if (!parse_args("format", a, 1, 2, {"value", "format_spec"}, args)) return nullptr;
    Str* spec = empty_str();
    if (!args[1].is_null()) {
        if (!is_str(args[1])) {
            return raisef(&exc::TypeError, "format() argument 2 must be str, not {}",
                          type_name(args[1]));
        }
        spec = args[1].as<Str>();
    }
    return format(args[0], spec);
}

namespace {

bool attr_name(Value v, Str** out) {
    if (!is_str(v)) {
        (void)raisef(&exc::TypeError, "attribute name must be string, not '{}'", type_name(v));
        return false;
    }
    *out = v.as<Str>();
    return true;
}

}  // namespace

Ref builtin_getattr(Value, CallArgs a) {
    if (!unpack_args("getattr", a, 2, 3)) return nullptr;
    Str* name;
    if (!attr_name(a.args[1], &name)) return nullptr;
    if (a.npos == 2) return getattr(a.args[0], name);
    Ref r = getattr_or_null(a.args[0], name);
    if (r || error_occurred()) return r;
    return Ref::borrow(a.args[2]);
}

Ref builtin_setattr(Value, CallArgs a) {
    if (!unpack_args("setattr", a, 3, 3)) return nullptr;
    Str* name;
    if (!attr_name(a.args[1], &name)) return nullptr;
    if (!setattr(a.args[0], name, a.args[2])) return nullptr;
    return Ref::none();
}

Ref builtin_hasattr(Value, CallArgs a) {
    if (!unpack_args("hasattr", a, 2, 2)) return nullptr;
    Str* name;
    if (!attr_name(a.args[1], &name)) return nullptr;
    Ref r = getattr_or_null(a.args[0], name);
    if (r) return Ref::boolean(true);
    if (error_occurred()) return nullptr;
    return Ref::boolean(false);
}

Ref builtin_delattr(Value, CallArgs a) {
    if (!unpack_args("delattr", a, 2, 2)) return nullptr;
    Str* name;
    if (!attr_name(a.args[1], &name)) return nullptr;
    if (!delattr(a.args[0], name)) return nullptr;
    return Ref::none();
}

Ref builtin_callable(Value, CallArgs a) {
    if (!one_arg("callable", a)) return nullptr;
    return Ref::boolean(is_callable(a.args[0]));
}

Ref builtins_chr(Value, CallArgs a) {
    if (!one_arg("chr", a)) return nullptr;
    return builtin_chr(a.args[0]);
}

Ref builtins_ord(Value, CallArgs a) {
    if (!one_arg("ord", a)) return nullptr;
    return builtin_ord(a.args[0]);
}

namespace {

Ref to_base(const char* fname, CallArgs a, int base) {
    if (!one_arg(fname, a)) return nullptr;
    int64_t v;
    if (!index_value(a.args[0], &v)) return nullptr;
    return int_to_base_str(v, base);
}

}  // namespace

Ref builtin_hex(Value, CallArgs a) { return to_base("hex", a, 16); }
Ref builtin_oct(Value, CallArgs a) { return to_base("oct", a, 8); }
Ref builtin_bin(Value, CallArgs a) { return to_base("bin", a, 2); }

Ref builtin_input(Value, CallArgs a) {
    if (!unpack_args("input", a, 0, 1)) return nullptr;
    Value in = sys_attr(TOY_NAME(stdin));
    Value out = sys_attr(TOY_NAME(stdout));
    Value err = sys_attr(TOY_NAME(stderr));
    if (in.is_null() || in.is_none()) return raise(&exc::RuntimeError, "input(): lost sys.stdin");
    if (out.is_null() || out.is_none()) return raise(&exc::RuntimeError, "input(): lost sys.stdout");
    Ref keep_in = Ref::borrow(in), keep_out = Ref::borrow(out);
    if (!err.is_null() && !err.is_none() && !flush_file(err)) return nullptr;
    if (a.npos == 1) {
        Ref p = str(a.args[0]);
        if (!p) return nullptr;
        if (!write_to(out, p.as<Str>())) return nullptr;
    }
    if (!flush_file(out)) return nullptr;
    if (in.is_object() && in.as_object()->type == &textio_type) {
        std::string line;
        if (!file_readline(in.as<FileObject>(), &line)) return nullptr;
        if (line.empty()) return raise(&exc::EOFError, "EOF when reading a line");
        if (line.back() == '\n') line.pop_back();
        RefT<Str> s = new_str(line);
        return Ref(std::move(s));
    }
    Ref rl = getattr(in, TOY_NAME(readline));
    if (!rl) return nullptr;
    Ref line = call(rl.get(), {});
    if (!line) return nullptr;
    if (!is_str(line.get())) {
        return raisef(&exc::TypeError, "object.readline() returned non-string");
    }
    std::string_view sv = detail::str_view(line.get());
    if (sv.empty()) return raise(&exc::EOFError, "EOF when reading a line");
    if (sv.back() == '\n') return new_str(sv.substr(0, sv.size() - 1));
    return line;
}

// exit() and quit(), which CPython's site module adds: SystemExit(code).
Ref builtin_exit(Value, CallArgs a) {
    Value args[1];
    if (!parse_args("exit", a, 0, 1, {"code"}, args)) return nullptr;
    Ref e = args[0].is_null() || args[0].is_none()
                ? call(Value::object(&exc::SystemExit), {})
                : call(Value::object(&exc::SystemExit), {args[0]});
    if (!e) return nullptr;
    return raise_value(e.get());
}

// ---- the module ---------------------------------------------------------------------------------

namespace {

const MethodDef kBuiltinFunctions[] = {
    {"__build_class__", builtin_build_class},
    {"__import__", builtin_import},
    {"abs", builtin_abs},
    {"all", builtin_all},
    {"any", builtin_any},
    {"ascii", builtin_ascii},
    {"bin", builtin_bin},
    {"callable", builtin_callable},
    {"chr", builtins_chr},
    {"compile", builtin_compile},
    {"delattr", builtin_delattr},
    {"dir", builtin_dir},
    {"divmod", builtin_divmod},
    {"eval", builtin_eval},
    {"exit", builtin_exit},
    {"exec", builtin_exec},
    {"format", builtin_format},
    {"getattr", builtin_getattr},
    {"globals", builtin_globals},
    {"hasattr", builtin_hasattr},
    {"hash", builtin_hash},
    {"hex", builtin_hex},
    {"id", builtin_id},
    {"input", builtin_input},
    {"isinstance", builtin_isinstance},
    {"issubclass", builtin_issubclass},
    {"iter", builtin_iter},
    {"len", builtin_len},
    {"locals", builtin_locals},
    {"max", builtin_max},
    {"min", builtin_min},
    {"next", builtin_next},
    {"oct", builtin_oct},
    {"open", builtin_open},
    {"ord", builtins_ord},
    {"pow", builtin_pow},
    {"print", builtin_print},
    {"quit", builtin_exit},
    {"repr", builtin_repr},
    {"round", builtin_round},
    {"setattr", builtin_setattr},
    {"sorted", builtin_sorted},
    {"sum", builtin_sum},
    {"vars", builtin_vars},
    {nullptr, nullptr},
};

struct NamedType {
    const char* name;
    Type* type;
};

}  // namespace

RefT<Module> create_builtins_module() {
    RefT<Module> m = new_module("builtins");
    if (!m) return nullptr;
    if (!module_add_functions(m.get(), kBuiltinFunctions)) return nullptr;
    const NamedType types[] = {
        {"object", &object_type},
        {"type", &type_type},
        {"int", &int_type},
        {"bool", &bool_type},
        {"float", &float_type},
        {"str", &str_type},
        {"bytes", &bytes_type},
        {"bytearray", &bytearray_type},
        {"list", &list_type},
        {"tuple", &tuple_type},
        {"dict", &dict_type},
        {"set", &set_type},
        {"frozenset", &frozenset_type},
        {"range", &range_type},
        {"slice", &slice_type},
        {"enumerate", &enumerate_type},
        {"zip", &zip_type},
        {"map", &map_type},
        {"filter", &filter_type},
        {"reversed", &reversed_type},
        {"staticmethod", &static_method_type},
        {"classmethod", &class_method_type},
        {"property", &property_type},
        {"super", &super_type},
#define TOY_EXCEPTION(name, base) {#name, &exc::name},
#include "runtime/exceptions.def"
#undef TOY_EXCEPTION
        {"EnvironmentError", &exc::OSError},
        {"IOError", &exc::OSError},
    };
    for (const NamedType& t : types) {
        if (!module_add(m.get(), t.name, Value::object(t.type))) return nullptr;
    }
    if (!module_add(m.get(), "None", Value::none()) ||
        !module_add(m.get(), "True", Value::boolean(true)) ||
        !module_add(m.get(), "False", Value::boolean(false)) ||
        !module_add(m.get(), "NotImplemented", Value::not_implemented()) ||
        !module_add(m.get(), "Ellipsis", Value::ellipsis()) ||
        !module_add(m.get(), "__debug__", Value::boolean(true)) ||
        !module_add(m.get(), "__doc__", Value::none()) ||
        !module_add(m.get(), "__package__", Value::object(empty_str()))) {
        return nullptr;
    }
    return m;
}

}  // namespace toy
