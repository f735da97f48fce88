// itertools.cpp: the native `itertools` module, CPython 3.11's iterator building blocks with
// the same type names (itertools.count, ...), reprs (count(5), repeat('a', 3)) and argument
// errors: count, cycle, repeat, accumulate, chain (+from_iterable), compress, dropwhile,
// takewhile, filterfalse, groupby (+_grouper), islice, starmap, tee (+_tee,
// _tee_dataobject), zip_longest, product, permutations, combinations,
// combinations_with_replacement, pairwise.
//
// Layout: every iterator but tee is an `It` (a handful of owned Values, counters and index
// vectors); each type gives them its own meaning, documented at its constructor. `tee`
// shares CPython's design: a chain of _tee_dataobject blocks of 57 items, each block
// referencing the next; a _tee holds its current block and position, so blocks no tee needs
// any more are freed by refcounting.
//
// Locking: none; everything runs under the GIL. Calls into Toy code (key functions,
// predicates, the underlying iterators) may re-enter an iterator: each `next` reads its
// state into locals only after such calls, and an exhausted iterator drops its references
// (a = null) so it stays exhausted. No call blocks.
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/abstract.h"
#include "runtime/container_util.h"
#include "runtime/errors.h"
#include "runtime/float.h"
#include "runtime/generic_alias.h"
#include "runtime/int.h"
#include "runtime/list.h"
#include "runtime/module.h"
#include "runtime/native_function.h"
#include "runtime/str.h"
#include "runtime/tuple.h"
#include "stdlib/registry.h"
#include "stdlib/util.h"

namespace toy {

namespace {

Type count_type, cycle_type, repeat_type, accumulate_type, chain_type, compress_type,
    dropwhile_type, takewhile_type, filterfalse_type, groupby_type, grouper_type, islice_type,
    starmap_type, tee_type, teedata_type, zip_longest_type, product_type, permutations_type,
    combinations_type, cwr_type, pairwise_type;

struct It : Object {
    Value a, b, c, d, e;   // owned or null
    int64_t n0, n1, n2;
    std::vector<int64_t>* ix;  // owned
    std::vector<int64_t>* cy;  // owned
    std::vector<Value>* vals;  // owned values (pools)
    Object* weak;              // groupby: the current _grouper (not owned)
};

It* new_it(Type* t) {
    It* o = new_object<It>(t, 0);
    if (!o) return nullptr;
    o->a = o->b = o->c = o->d = o->e = Value::null();
    o->n0 = o->n1 = o->n2 = 0;
    o->ix = o->cy = nullptr;
    o->vals = nullptr;
    o->weak = nullptr;
    return o;
}

inline void clear_val(Value& v) {
    Value old = v;
    v = Value::null();
    decref(old);
}

void clear_pools(It* o) {
    delete o->ix;
    o->ix = nullptr;
    delete o->cy;
    o->cy = nullptr;
    if (o->vals) {
        std::vector<Value>* v = o->vals;
        o->vals = nullptr;
        for (Value x : *v) decref(x);
        delete v;
    }
}

void it_dealloc(Object* p) {
    It* o = static_cast<It*>(p);
    clear_val(o->a);
    clear_val(o->b);
    clear_val(o->c);
    clear_val(o->d);
    clear_val(o->e);
    clear_pools(o);
    size_t sz = p->type->basic_size > sizeof(It) ? p->type->basic_size : sizeof(It);
    object_free(p, sz);
}

inline It* IT(Value v) { return v.as<It>(); }

Ref steal_obj(It* o) { return Ref::steal(o); }

bool no_kw(const char* name, CallArgs a) {
    if (a.nkw() == 0) return true;
    (void)raisef(&exc::TypeError, "{}() takes no keyword arguments", name);
    return false;
}

// "cycle expected 1 argument, got 0"
bool npos_exact(const char* name, CallArgs a, size_t lo, size_t hi) {
    if (!no_kw(name, a)) return false;
    return detail::check_positional(name, a.npos, lo, hi);
}

// --- count -----------------------------------------------------------------------------------
// a: current value, b: step.
bool is_number(Value v) {
    if (v.is_small_int() || v.is_double() || v.is_bool()) return true;
    Type* t = type_of(v);
    return t->index != nullptr || t->to_float != nullptr || t->to_int != nullptr ||
           t->binary[static_cast<int>(BinOp::kAdd)] != nullptr;
}

Ref count_new(Type* type, CallArgs a) {
    Value args[2] = {Value::null(), Value::null()};
    if (!parse_args("count", a, 0, 2, {"start", "step"}, args)) return nullptr;
    Value start = args[0].is_null() ? Value::small_int(0) : args[0];
    Value step = args[1].is_null() ? Value::small_int(1) : args[1];
    if (!is_number(start) || !is_number(step) || is_str(start) || is_str(step))
        return raise(&exc::TypeError, "a number is required");
    It* o = new_it(type);
    if (!o) return nullptr;
    incref(start);
    incref(step);
    o->a = start;
    o->b = step;
    return steal_obj(o);
}

Ref count_next(Value self) {
    It* o = IT(self);
    Value cur = o->a;
    if (TOY_LIKELY(both_small_ints(cur, o->b))) {
        int64_t nx = cur.as_small_int() + o->b.as_small_int();
        if (Value::fits_small_int(nx)) {
            o->a = Value::small_int(nx);
            return Ref::steal(cur);
        }
    }
    Ref next = binary_op(BinOp::kAdd, cur, o->b);
    if (!next) return nullptr;
    Value old = o->a;
    o->a = next.release();
    return Ref::steal(old);
}

std::string short_name(Value self) {
    Type* t = type_of(self);
    if (t->name_str) return std::string(t->name_str->view());
    std::string_view n = t->name;
    size_t dot = n.rfind('.');
    return std::string(dot == std::string_view::npos ? n : n.substr(dot + 1));
}

Ref count_repr(Value self) {
    It* o = IT(self);
    Ref r1 = repr(o->a);
    if (!r1) return nullptr;
    if (o->b.is_small_int() && o->b.as_small_int() == 1) {
        return Ref(new_str(fmt::format("{}({})", short_name(self), r1.as<Str>()->view())));
    }
    Ref r2 = repr(o->b);
    if (!r2) return nullptr;
    return Ref(new_str(fmt::format("{}({}, {})", short_name(self), r1.as<Str>()->view(),
                                   r2.as<Str>()->view())));
}

// --- cycle -----------------------------------------------------------------------------------
// a: the iterator (null once exhausted), vals: saved items, n0: replay index, n1: replaying.
Ref cycle_new(Type* type, CallArgs a) {
    if (!npos_exact("cycle", a, 1, 1)) return nullptr;
    Ref it = get_iter(a.args[0]);
    if (!it) return nullptr;
    It* o = new_it(type);
    if (!o) return nullptr;
    o->a = it.release();
    o->vals = new std::vector<Value>();
    return steal_obj(o);
}

Ref cycle_next(Value self) {
    It* o = IT(self);
    if (!o->n1) {
        if (o->a.is_null()) return nullptr;
        Ref v = iter_next(o->a);
        if (v) {
            incref(v.get());
            o->vals->push_back(v.get());
            return v;
        }
        if (error_occurred()) return nullptr;
        clear_val(o->a);
        if (o->vals->empty()) return nullptr;
        o->n1 = 1;
        o->n0 = 0;
    }
    if (o->vals->empty()) return nullptr;
    Value v = (*o->vals)[static_cast<size_t>(o->n0)];
    o->n0 = (o->n0 + 1) % static_cast<int64_t>(o->vals->size());
    return Ref::borrow(v);
}

// --- repeat ----------------------------------------------------------------------------------
// a: the object, n0: remaining times (-1: forever).
Ref repeat_new(Type* type, CallArgs a) {
    Value args[2] = {Value::null(), Value::null()};
    if (!parse_args("repeat", a, 1, 2, {"object", "times"}, args)) return nullptr;
    int64_t times = -1;
    if (!args[1].is_null()) {
        if (!index_value(args[1], &times)) return nullptr;
        if (times < 0) times = 0;
    }
    It* o = new_it(type);
    if (!o) return nullptr;
    incref(args[0]);
    o->a = args[0];
    o->n0 = times;
    return steal_obj(o);
}

Ref repeat_next(Value self) {
    It* o = IT(self);
    if (o->n0 == 0) return nullptr;
    if (o->n0 > 0) o->n0--;
    return Ref::borrow(o->a);
}

Ref repeat_repr(Value self) {
    It* o = IT(self);
    Ref r1 = repr(o->a);
    if (!r1) return nullptr;
    if (o->n0 < 0) return Ref(new_str(fmt::format("repeat({})", r1.as<Str>()->view())));
    return Ref(new_str(fmt::format("repeat({}, {})", r1.as<Str>()->view(), o->n0)));
}

Ref repeat_length_hint(Value self, CallArgs) {
    It* o = IT(self);
    if (o->n0 < 0) return raise(&exc::TypeError, "len() of unsized object");
    return make_int(o->n0);
}

// --- accumulate ------------------------------------------------------------------------------
// a: iterator, b: func or null, c: total so far (null before the first), d: initial.
Ref accumulate_new(Type* type, CallArgs a) {
    Value args[3] = {Value::null(), Value::null(), Value::null()};
    if (!parse_args("accumulate", a, 1, 2, {"iterable", "func", "initial"}, args)) return nullptr;
    Ref it = get_iter(args[0]);
    if (!it) return nullptr;
    It* o = new_it(type);
    if (!o) return nullptr;
    o->a = it.release();
    if (!args[1].is_null() && !args[1].is_none()) {
        incref(args[1]);
        o->b = args[1];
    }
    if (!args[2].is_null() && !args[2].is_none()) {
        incref(args[2]);
        o->d = args[2];
    }
    return steal_obj(o);
}

Ref accumulate_next(Value self) {
    It* o = IT(self);
    if (!o->d.is_null()) {
        Value init = o->d;
        o->d = Value::null();
        clear_val(o->c);
        o->c = init;
        return Ref::borrow(init);
    }
    if (o->a.is_null()) return nullptr;
    Ref v = iter_next(o->a);
    if (!v) return nullptr;
    if (o->c.is_null()) {
        o->c = v.get();
        incref(o->c);
        return v;
    }
    Ref r;
    if (o->b.is_null()) {
        r = binary_op(BinOp::kAdd, o->c, v.get());
    } else {
        r = call(o->b, {o->c, v.get()});
    }
    if (!r) return nullptr;
    Value old = o->c;
    o->c = r.get();
    incref(o->c);
    decref(old);
    return r;
}

// --- chain -----------------------------------------------------------------------------------
// a: iterator over the iterables, b: the current iterator.
Ref chain_make(Type* type, Value source_iter) {
    It* o = new_it(type);
    if (!o) return nullptr;
    incref(source_iter);
    o->a = source_iter;
    return steal_obj(o);
}

Ref chain_new(Type* type, CallArgs a) {
    if (type == &chain_type && !no_kw("chain", a)) return nullptr;
    RefT<Tuple> t = new_tuple_from(a.args, static_cast<int64_t>(a.npos));
    if (!t) return nullptr;
    Ref it = get_iter(t.value());
    if (!it) return nullptr;
    return chain_make(type, it.get());
}

Ref chain_from_iterable(Value cls, CallArgs a) {
    if (!detail::unpack_args("from_iterable", a, 1, 1)) return nullptr;
    Ref it = get_iter(a.args[0]);
    if (!it) return nullptr;
    return chain_make(cls.as<Type>(), it.get());
}

Ref chain_next(Value self) {
    It* o = IT(self);
    for (;;) {
        if (!o->b.is_null()) {
            Ref v = iter_next(o->b);
            if (v) return v;
            if (error_occurred()) return nullptr;
            clear_val(o->b);
        }
        if (o->a.is_null()) return nullptr;
        Ref nxt = iter_next(o->a);
        if (!nxt) {
            if (error_occurred()) return nullptr;
            clear_val(o->a);
            return nullptr;
        }
        Ref it = get_iter(nxt.get());
        if (!it) return nullptr;
        clear_val(o->b);
        o->b = it.release();
    }
}

// --- compress / dropwhile / takewhile / filterfalse / starmap / pairwise ---------------------
Ref compress_new(Type* type, CallArgs a) {
    Value args[2] = {Value::null(), Value::null()};
    if (!parse_args("compress", a, 2, 2, {"data", "selectors"}, args)) return nullptr;
    Ref d = get_iter(args[0]);
    if (!d) return nullptr;
    Ref s = get_iter(args[1]);
    if (!s) return nullptr;
    It* o = new_it(type);
    if (!o) return nullptr;
    o->a = d.release();
    o->b = s.release();
    return steal_obj(o);
}

Ref compress_next(Value self) {
    It* o = IT(self);
    for (;;) {
        if (o->a.is_null()) return nullptr;
        Ref v = iter_next(o->a);
        if (!v) return nullptr;
        Ref s = iter_next(o->b);
        if (!s) return nullptr;
        int t = truthy(s.get());
        if (t < 0) return nullptr;
        if (t) return v;
    }
}

// a: predicate/func, b: iterator, n0: state (dropwhile: done dropping; takewhile: stopped).
Ref pred_new(Type* type, CallArgs a, const char* name) {
    if (!npos_exact(name, a, 2, 2)) return nullptr;
    Ref it = get_iter(a.args[1]);
    if (!it) return nullptr;
    It* o = new_it(type);
    if (!o) return nullptr;
    incref(a.args[0]);
    o->a = a.args[0];
    o->b = it.release();
    return steal_obj(o);
}
Ref dropwhile_new(Type* t, CallArgs a) { return pred_new(t, a, "dropwhile"); }
Ref takewhile_new(Type* t, CallArgs a) { return pred_new(t, a, "takewhile"); }
Ref filterfalse_new(Type* t, CallArgs a) { return pred_new(t, a, "filterfalse"); }
Ref starmap_new(Type* t, CallArgs a) { return pred_new(t, a, "starmap"); }

Ref dropwhile_next(Value self) {
    It* o = IT(self);
    for (;;) {
        Ref v = iter_next(o->b);
        if (!v) return nullptr;
        if (o->n0) return v;
        Ref r = call(o->a, {v.get()});
        if (!r) return nullptr;
        int t = truthy(r.get());
        if (t < 0) return nullptr;
        if (!t) {
            o->n0 = 1;
            return v;
        }
    }
}

Ref takewhile_next(Value self) {
    It* o = IT(self);
    if (o->n0) return nullptr;
    Ref v = iter_next(o->b);
    if (!v) return nullptr;
    Ref r = call(o->a, {v.get()});
    if (!r) return nullptr;
    int t = truthy(r.get());
    if (t < 0) return nullptr;
    if (t) return v;
    o->n0 = 1;
    return nullptr;
}

Ref filterfalse_next(Value self) {
    It* o = IT(self);
    for (;;) {
        Ref v = iter_next(o->b);
        if (!v) return nullptr;
        int t;
        if (o->a.is_none() || o->a.as_object() == &bool_type) {
            t = truthy(v.get());
        } else {
            Ref r = call(o->a, {v.get()});
            if (!r) return nullptr;
            t = truthy(r.get());
        }
        if (t < 0) return nullptr;
        if (!t) return v;
    }
}

Ref starmap_next(Value self) {
    It* o = IT(self);
    Ref v = iter_next(o->b);
    if (!v) return nullptr;
    Ref args = is_exact_tuple(v.get()) ? std::move(v) : sequence_tuple(v.get());
    if (!args) return nullptr;
    Tuple* t = args.as<Tuple>();
    return call(o->a, CallArgs{t->items, static_cast<size_t>(t->size), nullptr});
}

// a: iterator, b: the previous item (null before the first).
Ref pairwise_new(Type* type, CallArgs a) {
    if (!npos_exact("pairwise", a, 1, 1)) return nullptr;
    Ref it = get_iter(a.args[0]);
    if (!it) return nullptr;
    It* o = new_it(type);
    if (!o) return nullptr;
    o->a = it.release();
    return steal_obj(o);
}

Ref pairwise_next(Value self) {
    It* o = IT(self);
    if (o->a.is_null()) return nullptr;
    if (o->b.is_null()) {
        Ref first = iter_next(o->a);
        if (!first) {
            if (!error_occurred()) clear_val(o->a);
            return nullptr;
        }
        o->b = first.release();
    }
    Ref nx = iter_next(o->a);
    if (!nx) {
        if (!error_occurred()) {
            clear_val(o->a);
            clear_val(o->b);
        }
        return nullptr;
    }
    RefT<Tuple> r = new_tuple_of({o->b, nx.get()});
    if (!r) return nullptr;
    Value old = o->b;
    o->b = nx.release();
    decref(old);
    return r;
}

// --- groupby ---------------------------------------------------------------------------------
// groupby: a: iterator, b: keyfunc (null: identity), c: tgtkey, d: currkey, e: currvalue,
// weak: the current _grouper. _grouper: a: the groupby (owned), b: its target key.
bool groupby_step(It* g) {
    Ref v = iter_next(g->a);
    if (!v) return false;
    Ref k;
    if (g->b.is_null()) {
        k = v.dup();
    } else {
        k = call(g->b, {v.get()});
        if (!k) return false;
    }
    clear_val(g->e);
    g->e = v.release();
    clear_val(g->d);
    g->d = k.release();
    return true;
}

Ref groupby_new(Type* type, CallArgs a) {
    Value args[2] = {Value::null(), Value::null()};
    if (!parse_args("groupby", a, 1, 2, {"iterable", "key"}, args)) return nullptr;
    Ref it = get_iter(args[0]);
    if (!it) return nullptr;
    It* o = new_it(type);
    if (!o) return nullptr;
    o->a = it.release();
    if (!args[1].is_null() && !args[1].is_none()) {
        incref(args[1]);
        o->b = args[1];
    }
    return steal_obj(o);
}

Ref groupby_next(Value self) {
    It* g = IT(self);
    g->weak = nullptr;
    for (;;) {
        if (g->d.is_null()) {
            // nothing read yet
        } else if (g->c.is_null()) {
            break;
        } else {
            Ref tk = Ref::borrow(g->c), ck = Ref::borrow(g->d);
            int r = detail::eq_fast(tk.get(), ck.get());
            if (r < 0) return nullptr;
            if (r == 0) break;
        }
        if (!groupby_step(g)) return nullptr;
    }
    incref(g->d);
    clear_val(g->c);
    g->c = g->d;
    It* gr = new_it(&grouper_type);
    if (!gr) return nullptr;
    incref(g);
    gr->a = Value::object(g);
    incref(g->c);
    gr->b = g->c;
    g->weak = gr;
    Ref grouper = Ref::steal(gr);
    return new_tuple_of({g->c, grouper.get()});
}

Ref grouper_next(Value self) {
    It* gr = IT(self);
    It* g = IT(gr->a);
    if (g->weak != gr) return nullptr;
    if (g->e.is_null()) {
        if (!groupby_step(g)) return nullptr;
    }
    Ref tk = Ref::borrow(gr->b), ck = Ref::borrow(g->d);
    int r = detail::eq_fast(tk.get(), ck.get());
    if (r <= 0) return nullptr;
    Value v = g->e;
    g->e = Value::null();
    return Ref::steal(v);
}

// --- islice ----------------------------------------------------------------------------------
// a: iterator (null when done), n0: next index to yield, n1: stop (-1: none), n2: step,
// ix[0]: items consumed so far.
bool islice_arg(Value v, int64_t* out, const char* which) {
    if (v.is_none()) {
        *out = -1;
        return true;
    }
    int64_t x = -1;
    if (type_of(v)->index != nullptr && index_value(v, &x) && x >= 0) {
        *out = x;
        return true;
    }
    if (error_occurred() && !error_matches(&exc::OverflowError)) return false;
    clear_error();
    if (std::strcmp(which, "stop") == 0)
        (void)raise(&exc::ValueError,
                    "Stop argument for islice() must be None or an integer: 0 <= x <= sys.maxsize.");
    else
        (void)raise(&exc::ValueError,
                    "Indices for islice() must be None or an integer: 0 <= x <= sys.maxsize.");
    return false;
}

Ref islice_new(Type* type, CallArgs a) {
    if (!no_kw("islice", a)) return nullptr;
    if (!detail::check_positional("islice", a.npos, 2, 4)) return nullptr;
    int64_t start = 0, stop = -1, step = 1;
    if (a.npos == 2) {
        if (!islice_arg(a.args[1], &stop, "stop")) return nullptr;
    } else {
        int64_t s;
        if (!islice_arg(a.args[1], &s, "start")) return nullptr;
        if (!islice_arg(a.args[2], &stop, "stop")) return nullptr;
        start = s < 0 ? 0 : s;
        if (a.npos == 4) {
            if (a.args[3].is_none()) {
                step = 1;
            } else {
                int64_t st = 0;
                if (type_of(a.args[3])->index == nullptr || !index_value(a.args[3], &st) || st <= 0) {
                    if (error_occurred() && !error_matches(&exc::OverflowError)) return nullptr;
                    clear_error();
                    return raise(&exc::ValueError,
                                 "Step for islice() must be a positive integer or None.");
                }
                step = st;
            }
        }
    }
    Ref it = get_iter(a.args[0]);
    if (!it) return nullptr;
    It* o = new_it(type);
    if (!o) return nullptr;
    o->a = it.release();
    o->n0 = start;
    o->n1 = stop;
    o->n2 = step;
    o->ix = new std::vector<int64_t>(1, 0);
    return steal_obj(o);
}

Ref islice_next(Value self) {
    It* o = IT(self);
    if (o->a.is_null()) return nullptr;
    int64_t& cnt = (*o->ix)[0];
    while (cnt < o->n0) {
        Ref v = iter_next(o->a);
        if (!v) {
            if (!error_occurred()) clear_val(o->a);
            return nullptr;
        }
        cnt++;
    }
    if (o->n1 >= 0 && cnt >= o->n1) {
        clear_val(o->a);
        return nullptr;
    }
    Ref v = iter_next(o->a);
    if (!v) {
        if (!error_occurred()) clear_val(o->a);
        return nullptr;
    }
    cnt++;
    // As CPython: the next index, clamped to stop (also on overflow).
    int64_t next;
    if (__builtin_add_overflow(o->n0, o->n2, &next) || (o->n1 >= 0 && next > o->n1))
        next = o->n1 >= 0 ? o->n1 : INT64_MAX;
    o->n0 = next;
    return v;
}

// --- zip_longest -----------------------------------------------------------------------------
// vals: the iterators (null slot: exhausted), a: fillvalue, n0: active count.
Ref zip_longest_new(Type* type, CallArgs a) {
    Value fill = Value::none();
    for (size_t i = 0; i < a.nkw(); i++) {
        if (detail::kwname(a, i)->view() == "fillvalue" && a.nkw() == 1) {
            fill = a.args[a.npos + i];
        } else {
            return raise(&exc::TypeError, "zip_longest() got an unexpected keyword argument");
        }
    }
    It* o = new_it(type);
    if (!o) return nullptr;
    Ref keep = Ref::steal(o);
    o->vals = new std::vector<Value>();
    for (size_t i = 0; i < a.npos; i++) {
        Ref it = get_iter(a.args[i]);
        if (!it) return nullptr;
        o->vals->push_back(it.release());
    }
    incref(fill);
    o->a = fill;
    o->n0 = static_cast<int64_t>(a.npos);
    return keep;
}

Ref zip_longest_next(Value self) {
    It* o = IT(self);
    size_t n = o->vals->size();
    if (n == 0 || o->n0 == 0) return nullptr;
    RefT<Tuple> r = new_tuple(static_cast<int64_t>(n));
    if (!r) return nullptr;
    for (size_t i = 0; i < n; i++) r->items[i] = Value::none();
    for (size_t i = 0; i < n; i++) {
        Value it = (*o->vals)[i];
        Ref v;
        if (!it.is_null()) {
            v = iter_next(it);
            if (!v) {
                if (error_occurred()) return nullptr;
                (*o->vals)[i] = Value::null();
                decref(it);
                if (--o->n0 == 0) return nullptr;
            }
        }
        Value x = v ? v.release() : (incref(o->a), o->a);
        r->items[i] = x;
    }
    return r;
}

// --- product / permutations / combinations / cwr -----------------------------------------------
// vals: the pooled items; ix: indices (per pool for product); cy: cycles (permutations) or
// pool sizes (product); n0: r; n1: 0 before the first result, 1 running, 2 done.
bool pool_from(Value iterable, std::vector<Value>* out) {
    Ref t = sequence_tuple(iterable);
    if (!t) return false;
    Tuple* tp = t.as<Tuple>();
    for (int64_t i = 0; i < tp->size; i++) {
        incref(tp->items[i]);
        out->push_back(tp->items[i]);
    }
    return true;
}

Ref product_new(Type* type, CallArgs a) {
    int64_t repeat = 1;
    for (size_t i = 0; i < a.nkw(); i++) {
        if (detail::kwname(a, i)->view() != "repeat")
            return raisef(&exc::TypeError, "product() got an unexpected keyword argument '{}'",
                          detail::kwname(a, i)->view());
        if (!index_value(a.args[a.npos + i], &repeat)) return nullptr;
        if (repeat < 0) return raise(&exc::ValueError, "repeat argument cannot be negative");
    }
    It* o = new_it(type);
    if (!o) return nullptr;
    Ref keep = Ref::steal(o);
    o->vals = new std::vector<Value>();
    o->cy = new std::vector<int64_t>();  // pool sizes
    std::vector<int64_t> sizes;
    for (size_t i = 0; i < a.npos; i++) {
        size_t before = o->vals->size();
        if (!pool_from(a.args[i], o->vals)) return nullptr;
        sizes.push_back(static_cast<int64_t>(o->vals->size() - before));
    }
    // Repeat the pools: store offsets into vals for each of npools*repeat positions.
    std::vector<int64_t> offs;
    int64_t off = 0;
    std::vector<int64_t> base_offs;
    for (int64_t s : sizes) {
        base_offs.push_back(off);
        off += s;
    }
    o->ix = new std::vector<int64_t>();
    for (int64_t r = 0; r < repeat; r++) {
        for (size_t p = 0; p < sizes.size(); p++) {
            o->cy->push_back(sizes[p]);
            o->cy->push_back(base_offs[p]);
            o->ix->push_back(0);
        }
    }
    return keep;
}

Ref product_next(Value self) {
    It* o = IT(self);
    if (o->n1 == 2) return nullptr;
    size_t np = o->ix->size();
    std::vector<int64_t>& ix = *o->ix;
    std::vector<int64_t>& cy = *o->cy;
    if (o->n1 == 0) {
        for (size_t i = 0; i < np; i++) {
            if (cy[2 * i] == 0) {
                o->n1 = 2;
                return nullptr;
            }
        }
        o->n1 = 1;
    } else {
        size_t i = np;
        for (;;) {
            if (i == 0) {
                o->n1 = 2;
                return nullptr;
            }
            --i;
            if (++ix[i] < cy[2 * i]) break;
            ix[i] = 0;
        }
    }
    RefT<Tuple> r = new_tuple(static_cast<int64_t>(np));
    if (!r) return nullptr;
    for (size_t i = 0; i < np; i++) {
        Value v = (*o->vals)[static_cast<size_t>(cy[2 * i + 1] + ix[i])];
        incref(v);
        r->items[i] = v;
    }
    return r;
}

bool get_r(Value v, int64_t* r) {
    if (!is_int(v)) {
        (void)raise(&exc::TypeError, "Expected int as r");
        return false;
    }
    if (!int_value(v, r)) return false;
    if (*r < 0) {
        (void)raise(&exc::ValueError, "r must be non-negative");
        return false;
    }
    return true;
}

Ref combo_new(Type* type, CallArgs a, const char* name, bool r_required) {
    Value args[2] = {Value::null(), Value::null()};
    if (!parse_args(name, a, r_required ? 2 : 1, 2, {"iterable", "r"}, args)) return nullptr;
    It* o = new_it(type);
    if (!o) return nullptr;
    Ref keep = Ref::steal(o);
    o->vals = new std::vector<Value>();
    if (!pool_from(args[0], o->vals)) return nullptr;
    int64_t n = static_cast<int64_t>(o->vals->size());
    int64_t r = n;
    if (!args[1].is_null() && !args[1].is_none()) {
        if (!get_r(args[1], &r)) return nullptr;
    }
    o->n0 = r;
    o->ix = new std::vector<int64_t>();
    if (type == &permutations_type) {
        for (int64_t i = 0; i < n; i++) o->ix->push_back(i);
        o->cy = new std::vector<int64_t>();
        for (int64_t i = 0; i < r; i++) o->cy->push_back(n - i);
        if (r > n) o->n1 = 2;
    } else if (type == &combinations_type) {
        for (int64_t i = 0; i < r; i++) o->ix->push_back(i);
        if (r > n) o->n1 = 2;
    } else {
        for (int64_t i = 0; i < r; i++) o->ix->push_back(0);
        if (n == 0 && r > 0) o->n1 = 2;
    }
    return keep;
}
Ref permutations_new(Type* t, CallArgs a) { return combo_new(t, a, "permutations", false); }
Ref combinations_new(Type* t, CallArgs a) { return combo_new(t, a, "combinations", true); }
Ref cwr_new(Type* t, CallArgs a) { return combo_new(t, a, "combinations_with_replacement", true); }

Ref make_result(It* o, size_t r) {
    RefT<Tuple> t = new_tuple(static_cast<int64_t>(r));
    if (!t) return nullptr;
    for (size_t i = 0; i < r; i++) {
        Value v = (*o->vals)[static_cast<size_t>((*o->ix)[i])];
        incref(v);
        t->items[i] = v;
    }
    return t;
}

Ref combinations_next(Value self) {
    It* o = IT(self);
    if (o->n1 == 2) return nullptr;
    std::vector<int64_t>& ix = *o->ix;
    int64_t r = o->n0, n = static_cast<int64_t>(o->vals->size());
    if (o->n1 == 1) {
        int64_t i = r - 1;
        while (i >= 0 && ix[static_cast<size_t>(i)] == i + n - r) i--;
        if (i < 0) {
            o->n1 = 2;
            return nullptr;
        }
        ix[static_cast<size_t>(i)]++;
        for (int64_t j = i + 1; j < r; j++) ix[static_cast<size_t>(j)] = ix[static_cast<size_t>(j - 1)] + 1;
    }
    o->n1 = 1;
    return make_result(o, static_cast<size_t>(r));
}

Ref cwr_next(Value self) {
    It* o = IT(self);
    if (o->n1 == 2) return nullptr;
    std::vector<int64_t>& ix = *o->ix;
    int64_t r = o->n0, n = static_cast<int64_t>(o->vals->size());
    if (o->n1 == 1) {
        int64_t i = r - 1;
        while (i >= 0 && ix[static_cast<size_t>(i)] == n - 1) i--;
        if (i < 0) {
            o->n1 = 2;
            return nullptr;
        }
        int64_t v = ix[static_cast<size_t>(i)] + 1;
        for (int64_t j = i; j < r; j++) ix[static_cast<size_t>(j)] = v;
    }
    o->n1 = 1;
    return make_result(o, static_cast<size_t>(r));
}

Ref permutations_next(Value self) {
    It* o = IT(self);
    if (o->n1 == 2) return nullptr;
    std::vector<int64_t>& ix = *o->ix;
    std::vector<int64_t>& cy = *o->cy;
    int64_t r = o->n0, n = static_cast<int64_t>(o->vals->size());
    if (o->n1 == 1) {
        if (n == 0) {
            o->n1 = 2;
            return nullptr;
        }
        int64_t i = r - 1;
        for (; i >= 0; i--) {
            size_t ui = static_cast<size_t>(i);
            cy[ui]--;
            if (cy[ui] == 0) {
                // rotate ix[i:] left by one
                int64_t first = ix[ui];
                for (int64_t j = i; j < n - 1; j++) ix[static_cast<size_t>(j)] = ix[static_cast<size_t>(j + 1)];
                ix[static_cast<size_t>(n - 1)] = first;
                cy[ui] = n - i;
            } else {
                int64_t j = cy[ui];
                std::swap(ix[ui], ix[static_cast<size_t>(n - j)]);
                break;
            }
        }
        if (i < 0) {
            o->n1 = 2;
            return nullptr;
        }
    }
    o->n1 = 1;
    return make_result(o, static_cast<size_t>(r));
}

// --- tee -------------------------------------------------------------------------------------
constexpr int kTeeBlock = 57;

struct TeeData : Object {
    Value it;       // owned: the shared iterator
    TeeData* next;  // owned or null
    int n;          // items filled
    bool running;
    Value items[kTeeBlock];
};

struct Tee : Object {
    TeeData* data;  // owned
    int index;
};

void teedata_dealloc(Object* p) {
    // Free a long chain iteratively.
    TeeData* d = static_cast<TeeData*>(p);
    for (;;) {
        for (int i = 0; i < d->n; i++) decref(d->items[i]);
        decref(d->it);
        TeeData* nx = d->next;
        object_free(d, sizeof(TeeData));
        if (!nx) break;
        if (nx->refcnt >= kImmortal || --nx->refcnt != 0) break;
        d = nx;
    }
}

TeeData* new_teedata(Value it) {
    TeeData* d = new_object<TeeData>(&teedata_type, 0);
    if (!d) return nullptr;
    incref(it);
    d->it = it;
    d->next = nullptr;
    d->n = 0;
    d->running = false;
    return d;
}

void tee_dealloc(Object* p) {
    Tee* t = static_cast<Tee*>(p);
    TeeData* d = t->data;
    t->data = nullptr;
    if (d) decref(d);
    object_free(p, sizeof(Tee));
}

Ref tee_make(TeeData* d, int index) {
    Tee* t = new_object<Tee>(&tee_type, 0);
    if (!t) return nullptr;
    incref(d);
    t->data = d;
    t->index = index;
    return Ref::steal(t);
}

Ref tee_next(Value self) {
    Tee* t = self.as<Tee>();
    if (t->index >= kTeeBlock) {
        TeeData* d = t->data;
        if (!d->next) {
            d->next = new_teedata(d->it);
            if (!d->next) return nullptr;
        }
        TeeData* nx = d->next;
        incref(nx);
        t->data = nx;
        t->index = 0;
        decref(d);
    }
    TeeData* d = t->data;
    if (t->index < d->n) return Ref::borrow(d->items[t->index++]);
    if (d->running) return raise(&exc::RuntimeError, "cannot re-enter the tee iterator");
    d->running = true;
    Ref v = iter_next(d->it);
    d->running = false;
    if (!v) return nullptr;
    d->items[d->n++] = v.get();
    incref(v.get());
    t->index++;
    return v;
}

Ref tee_copy(Value self, CallArgs) {
    Tee* t = self.as<Tee>();
    return tee_make(t->data, t->index);
}

Ref tee_new_type(Type*, CallArgs a) {
    if (!npos_exact("_tee", a, 1, 1)) return nullptr;
    Ref it = get_iter(a.args[0]);
    if (!it) return nullptr;
    if (it.get().is_object() && it.get().as_object()->type == &tee_type) return tee_copy(it.get(), CallArgs{});
    TeeData* d = new_teedata(it.get());
    if (!d) return nullptr;
    Ref keep = Ref::steal(d);
    return tee_make(d, 0);
}

Ref tee_fn(Value, CallArgs a) {
    if (!detail::unpack_args("tee", a, 1, 2)) return nullptr;
    int64_t n = 2;
    if (a.npos == 2 && !index_value(a.args[1], &n)) return nullptr;
    if (n < 0) return raise(&exc::ValueError, "n must be >= 0");
    RefT<Tuple> r = new_tuple(n);
    if (!r) return nullptr;
    for (int64_t i = 0; i < n; i++) r->items[i] = Value::none();
    if (n == 0) return r;
    Ref it = get_iter(a.args[0]);
    if (!it) return nullptr;
    Ref first;
    Value src = it.get();
    if (src.is_object() && (src.as_object()->type == &tee_type)) {
        first = Ref::borrow(src);  // as CPython: the tee itself is the first result
    } else {
        TeeData* d = new_teedata(src);
        if (!d) return nullptr;
        Ref keep = Ref::steal(d);
        first = tee_make(d, 0);
    }
    if (!first) return nullptr;
    for (int64_t i = 1; i < n; i++) {
        Ref c = tee_copy(first.get(), CallArgs{});
        if (!c) return nullptr;
        r->items[i] = c.release();
    }
    r->items[0] = first.release();
    return r;
}

const MethodDef kChainMethods[] = {
    {"from_iterable", chain_from_iterable, kMethodClass},
    {"__class_getitem__", generic_class_getitem, kMethodClass},
    {nullptr, nullptr},
};

const MethodDef kRepeatMethods[] = {
    {"__length_hint__", repeat_length_hint},
    {nullptr, nullptr},
};

const MethodDef kTeeMethods[] = {
    {"__copy__", tee_copy},
    {nullptr, nullptr},
};

const MethodDef kModuleFunctions[] = {
    {"tee", tee_fn},
    {nullptr, nullptr},
};

void ready_it(Type* t, const char* name, NewSlot nw, NextSlot nx) {
    t->name = name;
    t->basic_size = sizeof(It);
    t->flags |= kBaseType;
    t->dealloc = it_dealloc;
    t->new_ = nw;
    t->iter = detail::iter_self;
    t->next = nx;
    type_ready(t, &object_type);
}

}  // namespace

RefT<Module> create_itertools_module() {
    static std::once_flag once;
    std::call_once(once, [] {
        count_type.repr = count_repr;
        ready_it(&count_type, "itertools.count", count_new, count_next);
        ready_it(&cycle_type, "itertools.cycle", cycle_new, cycle_next);
        repeat_type.repr = repeat_repr;
        repeat_type.methods = kRepeatMethods;
        ready_it(&repeat_type, "itertools.repeat", repeat_new, repeat_next);
        ready_it(&accumulate_type, "itertools.accumulate", accumulate_new, accumulate_next);
        chain_type.methods = kChainMethods;
        ready_it(&chain_type, "itertools.chain", chain_new, chain_next);
        ready_it(&compress_type, "itertools.compress", compress_new, compress_next);
        ready_it(&dropwhile_type, "itertools.dropwhile", dropwhile_new, dropwhile_next);
        ready_it(&takewhile_type, "itertools.takewhile", takewhile_new, takewhile_next);
        ready_it(&filterfalse_type, "itertools.filterfalse", filterfalse_new, filterfalse_next);
        ready_it(&groupby_type, "itertools.groupby", groupby_new, groupby_next);
        ready_it(&grouper_type, "itertools._grouper", nullptr, grouper_next);
        grouper_type.flags &= ~kBaseType;
        ready_it(&islice_type, "itertools.islice", islice_new, islice_next);
        ready_it(&starmap_type, "itertools.starmap", starmap_new, starmap_next);
        ready_it(&zip_longest_type, "itertools.zip_longest", zip_longest_new, zip_longest_next);
        ready_it(&product_type, "itertools.product", product_new, product_next);
        ready_it(&permutations_type, "itertools.permutations", permutations_new, permutations_next);
        ready_it(&combinations_type, "itertools.combinations", combinations_new, combinations_next);
        ready_it(&cwr_type, "itertools.combinations_with_replacement", cwr_new, cwr_next);
        ready_it(&pairwise_type, "itertools.pairwise", pairwise_new, pairwise_next);

        teedata_type.name = "itertools._tee_dataobject";
        teedata_type.basic_size = sizeof(TeeData);
        teedata_type.dealloc = teedata_dealloc;
        type_ready(&teedata_type, &object_type);
        tee_type.name = "itertools._tee";
        tee_type.basic_size = sizeof(Tee);
        tee_type.dealloc = tee_dealloc;
        tee_type.new_ = tee_new_type;
        tee_type.iter = detail::iter_self;
        tee_type.next = tee_next;
        tee_type.methods = kTeeMethods;
        type_ready(&tee_type, &object_type);
    });
    RefT<Module> m = new_module("itertools");
    if (!m || !module_add_functions(m.get(), kModuleFunctions)) return nullptr;
    struct Entry {
        const char* name;
        Type* type;
    };
    const Entry entries[] = {
        {"count", &count_type}, {"cycle", &cycle_type}, {"repeat", &repeat_type},
        {"accumulate", &accumulate_type}, {"chain", &chain_type}, {"compress", &compress_type},
        {"dropwhile", &dropwhile_type}, {"takewhile", &takewhile_type},
        {"filterfalse", &filterfalse_type}, {"groupby", &groupby_type},
        {"_grouper", &grouper_type}, {"islice", &islice_type}, {"starmap", &starmap_type},
        {"zip_longest", &zip_longest_type}, {"product", &product_type},
        {"permutations", &permutations_type}, {"combinations", &combinations_type},
        {"combinations_with_replacement", &cwr_type}, {"pairwise", &pairwise_type},
        {"_tee", &tee_type}, {"_tee_dataobject", &teedata_type},
    };
    for (const Entry& e : entries)
        if (!module_add(m.get(), e.name, Value::object(e.type))) return nullptr;
    return m;
}

}  // namespace toy
