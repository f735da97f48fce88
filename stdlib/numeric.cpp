// numeric.cpp: the `numeric` module: contiguous float64 arrays with element-wise kernels that
// release the GIL for the duration of each loop, as numpy's ufuncs do, so that several threads
// computing on arrays run in parallel (behaviour B5). Every kernel takes a keyword
// `release_gil=True`; with `release_gil=False` it keeps the GIL for the whole loop, like
// h5py/netCDF4-style extensions that never release it, so that the same work runs serially
// (behaviour B6) and blocks every other thread, which cannot even reach a check point.
//
// THE GIL RULE. A kernel reads everything it needs from Toy objects first (data pointers and
// sizes; the result array is allocated before the release), releases the GIL with a
// GilRelease guard, runs a plain C++ loop touching only those raw buffers, re-takes the GIL,
// and only then builds result objects. The input arrays stay alive meanwhile: the caller's
// frame holds references to them and is suspended in this call. Two threads writing into the
// same array at once race on the doubles, exactly as with numpy; nothing else is shared.
//
// Small arrays (below kReleaseThreshold elements) keep the GIL: a hand-off costs more than
// the loop.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include <fmt/format.h>

#include "runtime/abstract.h"
#include "runtime/errors.h"
#include "runtime/float.h"
#include "runtime/gil.h"
#include "runtime/int.h"
#include "runtime/list.h"
#include "runtime/misc_types.h"
#include "runtime/module.h"
#include "runtime/native_function.h"
#include "runtime/str.h"
#include "runtime/tuple.h"
#include "stdlib/registry.h"
#include "stdlib/util.h"

namespace toy {

namespace {

constexpr int64_t kReleaseThreshold = 1024;
constexpr int64_t kMaxElements = int64_t{1} << 34;  // 128 GiB of doubles: beyond, MemoryError

Type array_type;

struct FloatArray : Object {
    int64_t size;
    double* data;  // malloc'd, `size` doubles (non-null even when size is 0)
};

bool is_array(Value v) { return v.is_object() && v.as_object()->type == &array_type; }

void array_dealloc(Object* o) {
    auto* a = static_cast<FloatArray*>(o);
    std::free(a->data);
    object_free(a, sizeof(FloatArray));
}

// A new array of n uninitialised doubles. Null with MemoryError/ValueError.
FloatArray* new_array(int64_t n) {
    if (n < 0) {
        (void)raise(&exc::ValueError, "negative array size");
        return nullptr;
    }
    if (n > kMaxElements) {
        (void)raise_no_memory();
        return nullptr;
    }
    auto* data = static_cast<double*>(std::malloc(static_cast<size_t>(std::max<int64_t>(n, 1)) * sizeof(double)));
    if (!data) {
        (void)raise_no_memory();
        return nullptr;
    }
    auto* a = new_object<FloatArray>(&array_type, 0);
    if (!a) {
        std::free(data);
        return nullptr;
    }
    a->size = n;
    a->data = data;
    return a;
}

// Runs `body` with the GIL released when asked and worth it.
template <class F> void run_kernel(bool release, int64_t n, F&& body) {
    if (release && n >= kReleaseThreshold) {
        GilRelease unlocked(GilReleaseReason::kNative);
        body();
    } else {
        body();
    }
}

// Splits off the `release_gil` keyword: returns false with TypeError on other keywords.
bool release_flag(const char* fname, CallArgs a, bool* release) {
    *release = true;
    for (size_t i = 0; i < a.nkw(); ++i) {
        Str* k = detail::kwname(a, i);
        if (k->view() != "release_gil") {
            (void)raisef(&exc::TypeError, "{}() got an unexpected keyword argument '{}'", fname,
                         k->view());
            return false;
        }
        int t = truthy(a.args[a.npos + i]);
        if (t < 0) return false;
        *release = t != 0;
    }
    return true;
}

bool want_array(const char* fname, Value v, FloatArray** out) {
    if (!is_array(v)) {
        (void)raisef(&exc::TypeError, "{}() argument must be numeric.array, not {}", fname,
                     type_name(v));
        return false;
    }
    *out = v.as<FloatArray>();
    return true;
}

bool want_size(const char* fname, Value v, int64_t* out) {
    if (!index_value(v, out)) return false;
    if (*out < 0) {
        (void)raisef(&exc::ValueError, "{}(): negative array size", fname);
        return false;
    }
    return true;
}

// --- constructors --------------------------------------------------------------------------------

Ref filled(const char* fname, CallArgs a, double value, bool has_value_arg) {
    size_t want = has_value_arg ? 2 : 1;
    if (!detail::unpack_args(fname, a, want, want)) return nullptr;
    int64_t n;
    if (!want_size(fname, a.args[0], &n)) return nullptr;
    if (has_value_arg && !to_double(a.args[1], &value)) return nullptr;
    FloatArray* r = new_array(n);
    if (!r) return nullptr;
    std::fill(r->data, r->data + n, value);
    return Ref::steal(r);
}

Ref n_zeros(Value, CallArgs a) { return filled("zeros", a, 0.0, false); }
Ref n_ones(Value, CallArgs a) { return filled("ones", a, 1.0, false); }
Ref n_full(Value, CallArgs a) { return filled("full", a, 0.0, true); }

// arange(stop) / arange(start, stop[, step]) over doubles, as numpy.arange.
Ref n_arange(Value, CallArgs a) {
    if (!detail::unpack_args("arange", a, 1, 3)) return nullptr;
    double start = 0, stop, step = 1;
    if (a.npos == 1) {
        if (!to_double(a.args[0], &stop)) return nullptr;
    } else {
        if (!to_double(a.args[0], &start) || !to_double(a.args[1], &stop)) return nullptr;
        if (a.npos == 3 && !to_double(a.args[2], &step)) return nullptr;
    }
    if (step == 0) return raise(&exc::ValueError, "arange() step must not be zero");
    double count = std::ceil((stop - start) / step);
    int64_t n = count > 0 ? static_cast<int64_t>(count) : 0;
    FloatArray* r = new_array(n);
    if (!r) return nullptr;
    for (int64_t i = 0; i < n; ++i) r->data[i] = start + static_cast<double>(i) * step;
    return Ref::steal(r);
}

Ref n_linspace(Value, CallArgs a) {
    if (!detail::unpack_args("linspace", a, 3, 3)) return nullptr;
    double lo, hi;
    int64_t n;
    if (!to_double(a.args[0], &lo) || !to_double(a.args[1], &hi) ||
        !want_size("linspace", a.args[2], &n))
        return nullptr;
    FloatArray* r = new_array(n);
    if (!r) return nullptr;
    double step = n > 1 ? (hi - lo) / static_cast<double>(n - 1) : 0.0;
    for (int64_t i = 0; i < n; ++i) r->data[i] = lo + static_cast<double>(i) * step;
    if (n > 1) r->data[n - 1] = hi;
    return Ref::steal(r);
}

// array(iterable of numbers)
Ref n_array(Value, CallArgs a) {
    if (!detail::unpack_args("array", a, 1, 1)) return nullptr;
    Ref it = get_iter(a.args[0]);
    if (!it) return nullptr;
    std::vector<double> values;
    for (;;) {
        Ref item = iter_next(*it);
        if (!item) {
            if (error_occurred()) return nullptr;
            break;
        }
        double d;
        if (!to_double(*item, &d)) return nullptr;
        values.push_back(d);
    }
    FloatArray* r = new_array(static_cast<int64_t>(values.size()));
    if (!r) return nullptr;
    std::copy(values.begin(), values.end(), r->data);
    return Ref::steal(r);
}

// random(n, seed=0): deterministic uniform [0, 1) numbers (xorshift64*), for demos.
Ref n_random(Value, CallArgs a) {
    if (!detail::unpack_args("random", a, 1, 2)) return nullptr;
    int64_t n, seed = 0;
    if (!want_size("random", a.args[0], &n)) return nullptr;
    if (a.npos == 2 && !index_value(a.args[1], &seed)) return nullptr;
    FloatArray* r = new_array(n);
    if (!r) return nullptr;
    uint64_t x = static_cast<uint64_t>(seed) * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull;
    for (int64_t i = 0; i < n; ++i) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        r->data[i] = static_cast<double>((x * 0x2545F4914F6CDD1Dull) >> 11) * 0x1.0p-53;
    }
    return Ref::steal(r);
}

// --- kernels -------------------------------------------------------------------------------------

template <double (*Fn)(double)> Ref unary_kernel(const char* fname, CallArgs a) {
    bool release;
    if (a.npos != 1) return raisef(&exc::TypeError, "{}() takes exactly one argument ({} given)", fname, a.npos);
    if (!release_flag(fname, a, &release)) return nullptr;
    FloatArray* x;
    if (!want_array(fname, a.args[0], &x)) return nullptr;
    FloatArray* r = new_array(x->size);
    if (!r) return nullptr;
    const double* in = x->data;
    double* out = r->data;
    int64_t n = x->size;
    run_kernel(release, n, [=] {
        for (int64_t i = 0; i < n; ++i) out[i] = Fn(in[i]);
    });
    return Ref::steal(r);
}

double d_sin(double x) { return std::sin(x); }
double d_cos(double x) { return std::cos(x); }
double d_sqrt(double x) { return std::sqrt(x); }
double d_exp(double x) { return std::exp(x); }

Ref n_sin(Value, CallArgs a) { return unary_kernel<d_sin>("sin", a); }
Ref n_cos(Value, CallArgs a) { return unary_kernel<d_cos>("cos", a); }
Ref n_sqrt(Value, CallArgs a) { return unary_kernel<d_sqrt>("sqrt", a); }
Ref n_exp(Value, CallArgs a) { return unary_kernel<d_exp>("exp", a); }

enum class Arith { kAdd, kSub, kMul, kDiv };

// Element-wise x OP y where either side may be a scalar (not both). NotImplemented when
// neither is an array (the operator slots' contract).
Ref arith(Arith op, Value xv, Value yv, bool release) {
    FloatArray* x = is_array(xv) ? xv.as<FloatArray>() : nullptr;
    FloatArray* y = is_array(yv) ? yv.as<FloatArray>() : nullptr;
    double xs = 0, ys = 0;
    if (!x && !y) return Ref::not_implemented();
    if (!x && !((xv.is_double() || is_int(xv)) && to_double(xv, &xs))) return Ref::not_implemented();
    if (!y && !((yv.is_double() || is_int(yv)) && to_double(yv, &ys))) return Ref::not_implemented();
    if (x && y && x->size != y->size)
        return raisef(&exc::ValueError, "operands could not be broadcast together with sizes {} and {}",
                      x->size, y->size);
    int64_t n = x ? x->size : y->size;
    FloatArray* r = new_array(n);
    if (!r) return nullptr;
    const double* xp = x ? x->data : nullptr;
    const double* yp = y ? y->data : nullptr;
    double* out = r->data;
    run_kernel(release, n, [=] {
        for (int64_t i = 0; i < n; ++i) {
            double l = xp ? xp[i] : xs, rr = yp ? yp[i] : ys;
            switch (op) {
            case Arith::kAdd: out[i] = l + rr; break;
            case Arith::kSub: out[i] = l - rr; break;
            case Arith::kMul: out[i] = l * rr; break;
            case Arith::kDiv: out[i] = l / rr; break;  // IEEE: inf/nan, as numpy
            }
        }
    });
    return Ref::steal(r);
}

Ref binary_fn(const char* fname, Arith op, CallArgs a) {
    bool release;
    if (a.npos != 2) return raisef(&exc::TypeError, "{}() takes exactly 2 arguments ({} given)", fname, a.npos);
    if (!release_flag(fname, a, &release)) return nullptr;
    Ref r = arith(op, a.args[0], a.args[1], release);
    if (r && r.get().is_not_implemented())
        return raisef(&exc::TypeError, "{}() needs a numeric.array and an array or a number", fname);
    return r;
}

Ref n_add(Value, CallArgs a) { return binary_fn("add", Arith::kAdd, a); }
Ref n_sub(Value, CallArgs a) { return binary_fn("subtract", Arith::kSub, a); }
Ref n_mul(Value, CallArgs a) { return binary_fn("multiply", Arith::kMul, a); }
Ref n_div(Value, CallArgs a) { return binary_fn("divide", Arith::kDiv, a); }

Ref slot_add(Value x, Value y) { return arith(Arith::kAdd, x, y, true); }
Ref slot_sub(Value x, Value y) { return arith(Arith::kSub, x, y, true); }
Ref slot_mul(Value x, Value y) { return arith(Arith::kMul, x, y, true); }
Ref slot_div(Value x, Value y) { return arith(Arith::kDiv, x, y, true); }

Ref n_sum(Value, CallArgs a) {
    bool release;
    if (a.npos != 1) return raisef(&exc::TypeError, "sum() takes exactly one argument ({} given)", a.npos);
    if (!release_flag("sum", a, &release)) return nullptr;
    FloatArray* x;
    if (!want_array("sum", a.args[0], &x)) return nullptr;
    const double* in = x->data;
    int64_t n = x->size;
    double total = 0;
    run_kernel(release, n, [&] {
        double s = 0;
        for (int64_t i = 0; i < n; ++i) s += in[i];
        total = s;
    });
    return make_float(total);
}

Ref n_dot(Value, CallArgs a) {
    bool release;
    if (a.npos != 2) return raisef(&exc::TypeError, "dot() takes exactly 2 arguments ({} given)", a.npos);
    if (!release_flag("dot", a, &release)) return nullptr;
    FloatArray *x, *y;
    if (!want_array("dot", a.args[0], &x) || !want_array("dot", a.args[1], &y)) return nullptr;
    if (x->size != y->size)
        return raisef(&exc::ValueError, "dot(): sizes {} and {} differ", x->size, y->size);
    const double *xp = x->data, *yp = y->data;
    int64_t n = x->size;
    double total = 0;
    run_kernel(release, n, [&] {
        double s = 0;
        for (int64_t i = 0; i < n; ++i) s += xp[i] * yp[i];
        total = s;
    });
    return make_float(total);
}

// --- the array type ------------------------------------------------------------------------------

int64_t array_len(Value self) { return self.as<FloatArray>()->size; }

Ref array_getitem(Value self, Value key) {
    auto* x = self.as<FloatArray>();
    if (key.is_object() && key.as_object()->type == &slice_type) {
        int64_t start, stop, step, len;
        if (!slice_indices(key.as<Slice>(), x->size, &start, &stop, &step, &len)) return nullptr;
        FloatArray* r = new_array(len);
        if (!r) return nullptr;
        for (int64_t i = 0; i < len; ++i) r->data[i] = x->data[start + i * step];
        return Ref::steal(r);
    }
    int64_t i;
    if (!index_value(key, &i)) return nullptr;
    if (i < 0) i += x->size;
    if (i < 0 || i >= x->size) return raise(&exc::IndexError, "array index out of range");
    return make_float(x->data[i]);
}

bool array_setitem(Value self, Value key, Value v) {
    auto* x = self.as<FloatArray>();
    if (v.is_null()) {
        (void)raise(&exc::TypeError, "numeric.array does not support item deletion");
        return false;
    }
    int64_t i;
    double d;
    if (!index_value(key, &i) || !to_double(v, &d)) return false;
    if (i < 0) i += x->size;
    if (i < 0 || i >= x->size) {
        (void)raise(&exc::IndexError, "array assignment index out of range");
        return false;
    }
    x->data[i] = d;
    return true;
}

Ref array_repr(Value self) {
    auto* x = self.as<FloatArray>();
    std::string s = "numeric.array([";
    auto add = [&](int64_t i) {
        if (s.back() != '[') s += ", ";
        s += float_repr(x->data[i]);
    };
    if (x->size <= 6) {
        for (int64_t i = 0; i < x->size; ++i) add(i);
        s += "])";
    } else {
        for (int64_t i = 0; i < 3; ++i) add(i);
        s += ", ...";
        for (int64_t i = x->size - 3; i < x->size; ++i) add(i);
        s += fmt::format("], size={})", x->size);
    }
    return Ref(new_str(s));
}

Ref array_tolist(Value self, CallArgs a) {
    if (!detail::unpack_args("tolist", a, 0, 0)) return nullptr;
    auto* x = self.as<FloatArray>();
    RefT<List> l = new_list(x->size);
    if (!l) return nullptr;
    for (int64_t i = 0; i < x->size; ++i)
        if (!list_append(l.get(), Value::from_double(x->data[i]))) return nullptr;
    return Ref(std::move(l));
}

Ref array_copy(Value self, CallArgs a) {
    if (!detail::unpack_args("copy", a, 0, 0)) return nullptr;
    auto* x = self.as<FloatArray>();
    FloatArray* r = new_array(x->size);
    if (!r) return nullptr;
    std::memcpy(r->data, x->data, static_cast<size_t>(x->size) * sizeof(double));
    return Ref::steal(r);
}

Ref array_sum(Value self, CallArgs a) {
    Value args[1] = {self};
    CallArgs b{args, 1, a.kwnames};
    // Keyword values follow the positional ones: re-pack them after self.
    std::vector<Value> packed;
    if (a.nkw()) {
        packed.push_back(self);
        for (size_t i = 0; i < a.nkw(); ++i) packed.push_back(a.args[a.npos + i]);
        b.args = packed.data();
    }
    if (a.npos) return raise(&exc::TypeError, "sum() takes no positional arguments");
    return n_sum(Value::null(), b);
}

Ref array_new(Type*, CallArgs a) { return n_array(Value::null(), a); }

const MethodDef kArrayMethods[] = {
    {"tolist", array_tolist},
    {"copy", array_copy},
    {"sum", array_sum},
    {nullptr, nullptr},
};

const MethodDef kFunctions[] = {
    {"array", n_array},   {"zeros", n_zeros},       {"ones", n_ones},     {"full", n_full},
    {"arange", n_arange}, {"linspace", n_linspace}, {"random", n_random}, {"sin", n_sin},
    {"cos", n_cos},       {"sqrt", n_sqrt},         {"exp", n_exp},       {"add", n_add},
    {"subtract", n_sub},  {"multiply", n_mul},      {"divide", n_div},    {"sum", n_sum},
    {"dot", n_dot},       {nullptr, nullptr},
};

void init_array_type() {
    Type* t = &array_type;
    t->name = "numeric.array";
    t->basic_size = sizeof(FloatArray);
    t->dealloc = array_dealloc;
    t->repr = array_repr;
    t->len = array_len;
    t->getitem = array_getitem;
    t->setitem = array_setitem;
    t->new_ = array_new;
    t->binary[static_cast<int>(BinOp::kAdd)] = slot_add;
    t->binary[static_cast<int>(BinOp::kSub)] = slot_sub;
    t->binary[static_cast<int>(BinOp::kMul)] = slot_mul;
    t->binary[static_cast<int>(BinOp::kTrueDiv)] = slot_div;
    t->methods = kArrayMethods;
    type_ready(t, &object_type);
}

}  // namespace

RefT<Module> create_numeric_module() {
    static std::once_flag once;
    std::call_once(once, init_array_type);
    RefT<Module> m = new_module("numeric");
    if (!m || !module_add_functions(m.get(), kFunctions)) return nullptr;
    if (!module_add(m.get(), "RELEASE_THRESHOLD", Value::small_int(kReleaseThreshold))) return nullptr;
    return m;
}

}  // namespace toy
