// builtins_iter.cpp: the builtins that consume iterables: sorted, min, max, sum, any, all,
// iter (and its callable_iterator), next.
#include <cmath>

#include "interp/generator.h"
#include "runtime/abstract.h"
#include "runtime/bytes.h"
#include "runtime/errors.h"
#include "runtime/float.h"
#include "runtime/int.h"
#include "runtime/iterators.h"
#include "runtime/list.h"
#include "runtime/str.h"
#include "runtime/tuple.h"
#include "stdlib/builtins_internal.h"
#include "stdlib/util.h"

namespace toy {

using detail::check_positional;
using detail::one_arg;
using detail::unpack_args;

Ref builtin_sorted(Value, CallArgs a) {
    if (!check_positional("sorted", a.npos, 1, 1)) return nullptr;
    Value key = Value::null();
    bool reverse = false;
    for (size_t i = 0; i < a.nkw(); ++i) {
        Str* k = detail::kwname(a, i);
        Value v = a.args[a.npos + i];
        if (str_eq(k, TOY_NAME(key))) {
            key = v;
        } else if (str_eq(k, TOY_NAME(reverse))) {
            // Argument Clinic's bool(accept={int}): an int (or __index__), nothing else.
            int64_t r;
            if (!is_int(v) && !type_of(v)->index) {
                return raisef(&exc::TypeError, "'{}' object cannot be interpreted as an integer",
                              type_name(v));
            }
            if (!index_value(v, &r)) return nullptr;
            reverse = r != 0;
        } else {
            return raisef(&exc::TypeError, "'{}' is an invalid keyword argument for sort()", k->view());
        }
    }
    if (!key.is_null() && key.is_none()) key = Value::null();
    RefT<List> l = new_list();
    if (!l || !list_extend(l.get(), a.args[0])) return nullptr;
    if (!list_sort(l.get(), key, reverse)) return nullptr;
    return Ref(std::move(l));
}

namespace {

// min() and max(): CPython's min_max().
Ref min_max(CallArgs a, const char* name, CmpOp op) {
    Value key = Value::null(), dflt = Value::null();
    size_t nkw = a.nkw();
    for (size_t i = 0; i < nkw; ++i) {
        Str* k = detail::kwname(a, i);
        Value v = a.args[a.npos + i];
        if (str_eq(k, TOY_NAME(key))) key = v;
        else if (str_eq(k, TOY_NAME(default))) dflt = v;
        else {
            if (nkw > 2) {
                return raisef(&exc::TypeError, "{}() takes at most 2 keyword arguments ({} given)",
                              name, nkw);
            }
            return raisef(&exc::TypeError, "'{}' is an invalid keyword argument for {}()",
                          k->view(), name);
        }
    }
    if (a.npos == 0) {
        return raisef(&exc::TypeError, "{} expected at least 1 argument, got 0", name);
    }
    if (!key.is_null() && key.is_none()) key = Value::null();
    bool positional = a.npos > 1;
    if (positional && !dflt.is_null()) {
        return raisef(&exc::TypeError,
                      "Cannot specify a default for {}() with multiple positional arguments", name);
    }
    Ref it;
    if (!positional) {
        it = get_iter(a.args[0]);
        if (!it) return nullptr;
    }
    Ref best, best_key;
    size_t idx = 0;
    for (;;) {
        Ref item;
        if (positional) {
            if (idx == a.npos) break;
            item = Ref::borrow(a.args[idx++]);
        } else {
            item = iter_next(it.get());
            if (!item) {
                if (error_occurred()) return nullptr;
                break;
            }
        }
        Ref k;
        if (!key.is_null()) {
            k = call(key, {item.get()});
            if (!k) return nullptr;
        } else {
            k = item.dup();
        }
        if (!best) {
            best = std::move(item);
            best_key = std::move(k);
            continue;
        }
        int c = compare_bool(k.get(), best_key.get(), op);
        if (c < 0) return nullptr;
        if (c) {
            best = std::move(item);
            best_key = std::move(k);
        }
    }
    if (!best) {
        if (!dflt.is_null()) return Ref::borrow(dflt);
        return raisef(&exc::ValueError, "{}() arg is an empty sequence", name);
    }
    return best;
}

}  // namespace

Ref builtin_min(Value, CallArgs a) { return min_max(a, "min", CmpOp::kLt); }
Ref builtin_max(Value, CallArgs a) { return min_max(a, "max", CmpOp::kGt); }

Ref builtin_sum(Value, CallArgs a) {
    Value start = Value::null();
    if (a.npos == 0) {
        return raise(&exc::TypeError, "sum() takes at least 1 positional argument (0 given)");
    }
    if (a.npos > 2) {
        return raisef(&exc::TypeError, "sum() takes at most 2 arguments ({} given)", a.npos + a.nkw());
    }
    if (a.npos == 2) start = a.args[1];
    for (size_t i = 0; i < a.nkw(); ++i) {
        Str* k = detail::kwname(a, i);
        if (str_eq(k, TOY_NAME(start)) && a.npos == 1) {
            start = a.args[a.npos + i];
        } else if (str_eq(k, TOY_NAME(start))) {
            return raise(&exc::TypeError,
                         "argument for sum() given by name ('start') and position (2)");
        } else {
            return raisef(&exc::TypeError, "sum() got an unexpected keyword argument '{}'", k->view());
        }
    }
    if (start.is_null()) start = Value::small_int(0);
    if (is_str(start)) {
        return raise(&exc::TypeError, "sum() can't sum strings [use ''.join(seq) instead]");
    }
    if (is_bytes(start)) {
        return raise(&exc::TypeError, "sum() can't sum bytes [use b''.join(seq) instead]");
    }
    Ref it = get_iter(a.args[0]);
    if (!it) return nullptr;
    Ref result = Ref::borrow(start);

    // Fast path: exact ints, accumulated in an int64 until something else (or overflow).
    if (result.get().is_small_int() || (is_int(result.get()) && !result.get().is_bool() &&
                                        !type_has(type_of(result.get()), kHeapType))) {
        int64_t acc;
        if (!int_value(result.get(), &acc)) return nullptr;
        for (;;) {
            Ref item = iter_next(it.get());
            if (!item) {
                if (error_occurred()) return nullptr;
                return make_int(acc);
            }
            Value v = item.get();
            if (v.is_small_int() || (is_int(v) && !type_has(type_of(v), kHeapType))) {
                int64_t x;
                if (!int_value(v, &x)) return nullptr;
                int64_t r;
                if (!__builtin_add_overflow(acc, x, &r)) {
                    acc = r;
                    continue;
                }
            }
            if (v.is_double()) {
                // Switch to the float path with the int total so far.
                result = make_float(static_cast<double>(acc) + v.as_double());
                goto float_path;
            }
            result = make_int(acc);
            if (!result) return nullptr;
            result = binary_op(BinOp::kAdd, result.get(), v);
            if (!result) return nullptr;
            goto general;
        }
    }
float_path:
    if (result.get().is_double()) {
        double acc = result.get().as_double();
        for (;;) {
            Ref item = iter_next(it.get());
            if (!item) {
                if (error_occurred()) return nullptr;
                return make_float(acc);
            }
            Value v = item.get();
            if (v.is_double()) {
                acc += v.as_double();
                continue;
            }
            if (v.is_small_int()) {
                acc += static_cast<double>(v.as_small_int());
                continue;
            }
            result = make_float(acc);
            result = binary_op(BinOp::kAdd, result.get(), v);
            if (!result) return nullptr;
            break;
        }
    }
general:
    for (;;) {
        Ref item = iter_next(it.get());
        if (!item) {
            if (error_occurred()) return nullptr;
            return result;
        }
        result = binary_op(BinOp::kAdd, result.get(), item.get());
        if (!result) return nullptr;
    }
}

Ref builtin_any(Value, CallArgs a) {
    if (!one_arg("any", a)) return nullptr;
    Ref it = get_iter(a.args[0]);
    if (!it) return nullptr;
    for (;;) {
        Ref item = iter_next(it.get());
        if (!item) {
            if (error_occurred()) return nullptr;
            return Ref::boolean(false);
        }
        int t = truthy(item.get());
        if (t < 0) return nullptr;
        if (t) return Ref::boolean(true);
    }
}

Ref builtin_all(Value, CallArgs a) {
    if (!one_arg("all", a)) return nullptr;
    Ref it = get_iter(a.args[0]);
    if (!it) return nullptr;
    for (;;) {
        Ref item = iter_next(it.get());
        if (!item) {
            if (error_occurred()) return nullptr;
            return Ref::boolean(true);
        }
        int t = truthy(item.get());
        if (t < 0) return nullptr;
        if (!t) return Ref::boolean(false);
    }
}

Ref builtin_iter(Value, CallArgs a) {
    if (!unpack_args("iter", a, 1, 2)) return nullptr;
    if (a.npos == 1) return get_iter(a.args[0]);
    return new_callable_iter(a.args[0], a.args[1]);
}

Ref builtin_next(Value, CallArgs a) {
    if (!unpack_args("next", a, 1, 2)) return nullptr;
    Value it = a.args[0];
    if (!type_of(it)->next) {
        return raisef(&exc::TypeError, "'{}' object is not an iterator", type_name(it));
    }
    // A generator's return value travels in StopIteration(value).
    Ref r = it.is_object() && it.as_object()->type == &generator_type ? gen_next_raising(it)
                                                                      : iter_next(it);
    if (r) return r;
    if (error_occurred()) {
        if (a.npos == 2 && error_matches(&exc::StopIteration)) {
            clear_error();
            return Ref::borrow(a.args[1]);
        }
        return nullptr;
    }
    if (a.npos == 2) return Ref::borrow(a.args[1]);
    return raise_value(Value::object(&exc::StopIteration));
}

}  // namespace toy
