// list.cpp: the list type, its iterators and list.sort.
//
// Growth follows CPython's list_resize: over-allocate by ~1/8 plus a little, so appends are
// amortised O(1) and a shrinking list gives memory back when it falls under half its capacity.
// Any Python code run from inside a method (a comparison, __eq__, __index__, a key function)
// may mutate the list: loops re-read `size` on every step and never hold raw item pointers
// across such calls.
#include "runtime/list.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "runtime/abstract.h"
#include "runtime/container_util.h"
#include "runtime/errors.h"
#include "runtime/float.h"
#include "runtime/generic_alias.h"
#include "runtime/int.h"
#include "runtime/misc_types.h"
#include "runtime/native_function.h"
#include "runtime/str.h"
#include "runtime/tuple.h"

namespace toy {

Type list_type;
Type list_iterator_type;
Type list_reverseiterator_type;

using namespace detail;

bool list_resize(List* l, int64_t newsize) {
    int64_t allocated = l->capacity;
    if (allocated >= newsize && newsize >= (allocated >> 1)) {
        l->size = newsize;
        return true;
    }
    int64_t new_allocated = (newsize + (newsize >> 3) + 6) & ~int64_t{3};
    if (newsize - l->size > new_allocated - newsize) new_allocated = (newsize + 3) & ~int64_t{3};
    if (newsize == 0) new_allocated = 0;
    if (new_allocated > (INT64_MAX / 16)) {
        (void)raise_no_memory();
        return false;
    }
    Value* items;
    if (new_allocated == 0) {
        std::free(l->items);
        items = nullptr;
    } else {
        items = static_cast<Value*>(std::realloc(l->items, static_cast<size_t>(new_allocated) * sizeof(Value)));
        if (!items) {
            (void)raise_no_memory();
            return false;
        }
    }
    l->items = items;
    for (int64_t i = l->size; i < newsize; ++i) items[i] = Value::null();
    l->size = newsize;
    l->capacity = new_allocated;
    return true;
}

namespace {

inline List* as_list(Value v) { return v.as<List>(); }

inline Ref bool_ref(bool b) { return Ref::boolean(b); }

// Per-thread cache of exact list objects (CPython keeps a free list of 80).
constexpr int kListCacheMax = 80;
struct ListCache {
    List* lists[kListCacheMax];
    int n = 0;
    ~ListCache() {
        while (n > 0) object_free(lists[--n], sizeof(List));
    }
};
thread_local ListCache t_lc;

void list_dealloc(Object* o) {
    if (!trash_begin(o, list_dealloc)) return;
    List* l = static_cast<List*>(o);
    Value* items = l->items;
    int64_t n = l->size;
    l->items = nullptr;
    l->size = 0;
    for (int64_t i = n; i-- > 0;) decref(items[i]);
    std::free(items);
    l->capacity = 0;
    if (o->type == &list_type && t_lc.n < kListCacheMax)
        t_lc.lists[t_lc.n++] = l;
    else
        object_free(o, o->type->basic_size > sizeof(List) ? o->type->basic_size : sizeof(List));
    trash_end();
}

// Empties the list (CPython's _list_clear): the list is made empty before the items are
// released, since a release may run code that looks at the list.
void list_clear_internal(List* l) {
    Value* items = l->items;
    int64_t n = l->size;
    if (!items) return;
    l->items = nullptr;
    l->size = 0;
    l->capacity = 0;
    for (int64_t i = n; i-- > 0;) decref(items[i]);
    std::free(items);
}

Ref list_repr(Value self) {
    List* l = as_list(self);
    if (l->size == 0) return str_from("[]");
    if (repr_enter(l)) return str_from("[...]");
    std::string out = "[";
    bool ok;
    {
        ok = true;
        for (int64_t i = 0; ok && i < l->size; ++i) {
            if (i > 0) out += ", ";
            Ref item = Ref::borrow(l->items[i]);  // repr may shrink the list
            ok = append_repr(out, *item);
        }
    }
    repr_leave(l);
    if (!ok) return nullptr;
    out += ']';
    return str_from(out);
}

Ref cmp_sizes(int64_t x, int64_t y, CmpOp op) {
    switch (op) {
        case CmpOp::kLt: return bool_ref(x < y);
        case CmpOp::kLe: return bool_ref(x <= y);
        case CmpOp::kEq: return bool_ref(x == y);
        case CmpOp::kNe: return bool_ref(x != y);
        case CmpOp::kGt: return bool_ref(x > y);
        case CmpOp::kGe: return bool_ref(x >= y);
    }
    return bool_ref(false);
}

Ref list_compare(Value a, Value b, CmpOp op) {
    if (!is_list(a) || !is_list(b)) return Ref::not_implemented();
    List* v = as_list(a);
    List* w = as_list(b);
    if (v->size != w->size && (op == CmpOp::kEq || op == CmpOp::kNe))
        return bool_ref(op == CmpOp::kNe);
    int64_t i = 0;
    for (; i < v->size && i < w->size; ++i) {
        Value x = v->items[i], y = w->items[i];
        if (x.is(y)) continue;
        Ref hx = Ref::borrow(x), hy = Ref::borrow(y);
        int k = eq_fast(x, y);
        if (k < 0) return nullptr;
        if (!k) break;
    }
    if (i >= v->size || i >= w->size) return cmp_sizes(v->size, w->size, op);
    if (op == CmpOp::kEq) return bool_ref(false);
    if (op == CmpOp::kNe) return bool_ref(true);
    Ref x = Ref::borrow(v->items[i]);
    Ref y = Ref::borrow(w->items[i]);
    return rich_compare(*x, *y, op);
}

int64_t list_len(Value self) { return as_list(self)->size; }

// PySequence_Fast: a list or tuple as is, else a new list from iterating v; TypeError(msg)
// if v is not iterable.
Ref sequence_fast(Value v, const char* msg) {
    if (is_exact_list(v) || is_exact_tuple(v)) return Ref::borrow(v);
    Ref it = get_iter(v);
    if (!it) {
        if (error_matches(&exc::TypeError)) {
            clear_error();
            (void)raise(&exc::TypeError, msg);
        }
        return nullptr;
    }
    RefT<List> l = new_list();
    if (!l) return nullptr;
    while (true) {
        Ref x = iter_next(*it);
        if (!x) {
            if (error_occurred()) return nullptr;
            break;
        }
        if (!list_append_steal(l.get(), x.release())) return nullptr;
    }
    return l;
}

inline void fast_items(Value seq, Value** items, int64_t* n) {
    if (is_exact_tuple(seq)) {
        *items = seq.as<Tuple>()->items;
        *n = seq.as<Tuple>()->size;
    } else {
        *items = seq.as<List>()->items;
        *n = seq.as<List>()->size;
    }
}

// a[ilow:ihigh] = v (v null: delete). CPython's list_ass_slice.
bool list_ass_slice(List* a, int64_t ilow, int64_t ihigh, Value v) {
    Ref vref;
    Value* vitem = nullptr;
    int64_t n = 0;
    if (!v.is_null()) {
        if (v.is_object() && v.as_object() == a) {
            vref = Ref::steal(new_list_from(a->items, a->size).release());
            if (!vref) return false;
        } else {
            vref = sequence_fast(v, "can only assign an iterable");
            if (!vref) return false;
        }
        fast_items(*vref, &vitem, &n);
    }
    if (ilow < 0) ilow = 0;
    else if (ilow > a->size) ilow = a->size;
    if (ihigh < ilow) ihigh = ilow;
    else if (ihigh > a->size) ihigh = a->size;
    int64_t norig = ihigh - ilow;
    int64_t d = n - norig;
    if (a->size + d == 0) {
        list_clear_internal(a);
        return true;
    }
    std::vector<Value> recycle(a->items + ilow, a->items + ihigh);
    int64_t tail = a->size - ihigh;
    if (d < 0) {
        std::memmove(a->items + ihigh + d, a->items + ihigh, static_cast<size_t>(tail) * sizeof(Value));
        if (!list_resize(a, a->size + d)) {
            // cannot fail when shrinking except on realloc failure; undo
            std::memmove(a->items + ihigh, a->items + ihigh + d, static_cast<size_t>(tail) * sizeof(Value));
            std::copy(recycle.begin(), recycle.end(), a->items + ilow);
            return false;
        }
    } else if (d > 0) {
        int64_t k = a->size;
        if (!list_resize(a, k + d)) return false;
        std::memmove(a->items + ihigh + d, a->items + ihigh, static_cast<size_t>(k - ihigh) * sizeof(Value));
    }
    for (int64_t k = 0; k < n; ++k) {
        incref(vitem[k]);
        a->items[ilow + k] = vitem[k];
    }
    for (size_t k = recycle.size(); k-- > 0;) decref(recycle[k]);
    return true;
}

bool list_ass_item(List* l, int64_t i, Value v) {
    if (i < 0) i += l->size;
    if (i < 0 || i >= l->size) {
        (void)raise(&exc::IndexError, "list assignment index out of range");
        return false;
    }
    if (v.is_null()) return list_ass_slice(l, i, i + 1, Value::null());
    incref(v);
    Value old = l->items[i];
    l->items[i] = v;
    decref(old);
    return true;
}

Ref list_getitem(Value self, Value key) {
    List* l = as_list(self);
    if (key.is_small_int()) {
        int64_t i = key.as_small_int();
        if (i < 0) i += l->size;
        if (static_cast<uint64_t>(i) >= static_cast<uint64_t>(l->size))
            return raise(&exc::IndexError, "list index out of range");
        return Ref::borrow(l->items[i]);
    }
    if (key.is_object() && key.as_object()->type == &slice_type) {
        int64_t start, stop, step, len;
        if (!slice_indices(key.as<Slice>(), l->size, &start, &stop, &step, &len)) return nullptr;
        if (len <= 0) return std::move(new_list());
        if (step == 1) return std::move(new_list_from(l->items + start, len));
        RefT<List> r = new_list(len);
        if (!r) return nullptr;
        for (int64_t i = 0, j = start; i < len; ++i, j += step) {
            incref(l->items[j]);
            r->items[i] = l->items[j];
        }
        r->size = len;
        return r;
    }
    if (has_index(key)) {
        int64_t i;
        if (!index_value(key, &i)) return nullptr;
        if (i < 0) i += l->size;
        if (i < 0 || i >= l->size) return raise(&exc::IndexError, "list index out of range");
        return Ref::borrow(l->items[i]);
    }
    return raisef(&exc::TypeError, "list indices must be integers or slices, not {}",
                  type_name(key));
}

bool list_setitem(Value self, Value key, Value v) {
    List* l = as_list(self);
    if (key.is_small_int()) return list_ass_item(l, key.as_small_int(), v);
    if (key.is_object() && key.as_object()->type == &slice_type) {
        int64_t start, stop, step, slicelen;
        if (!slice_indices(key.as<Slice>(), l->size, &start, &stop, &step, &slicelen))
            return false;
        if (step == 1) return list_ass_slice(l, start, stop, v);
        if (v.is_null()) {
            // Extended slice deletion.
            if (slicelen <= 0) return true;
            if (step < 0) {
                stop = start + 1;
                start = stop + step * (slicelen - 1) - 1;
                step = -step;
            }
            std::vector<Value> garbage;
            garbage.reserve(static_cast<size_t>(slicelen));
            int64_t cur = start, i = 0;
            for (; cur < stop; cur += step, ++i) {
                int64_t lim = step - 1;
                garbage.push_back(l->items[cur]);
                if (cur + step >= l->size) lim = l->size - cur - 1;
                std::memmove(l->items + cur - i, l->items + cur + 1, static_cast<size_t>(lim) * sizeof(Value));
            }
            cur = start + slicelen * step;
            if (cur < l->size)
                std::memmove(l->items + cur - slicelen, l->items + cur,
                             static_cast<size_t>(l->size - cur) * sizeof(Value));
            l->size -= slicelen;
            (void)list_resize(l, l->size);
            for (Value g : garbage) decref(g);
            return true;
        }
        Ref seq;
        if (v.is_object() && v.as_object() == l) {
            seq = Ref::steal(new_list_from(l->items, l->size).release());
            if (!seq) return false;
        } else {
            seq = sequence_fast(v, "must assign iterable to extended slice");
            if (!seq) return false;
        }
        Value* src;
        int64_t n;
        fast_items(*seq, &src, &n);
        if (n != slicelen) {
            (void)raisef(&exc::ValueError,
                   "attempt to assign sequence of size {} to extended slice of size {}", n,
                   slicelen);
            return false;
        }
        if (slicelen == 0) return true;
        std::vector<Value> garbage(static_cast<size_t>(slicelen));
        for (int64_t cur = start, i = 0; i < slicelen; cur += step, ++i) {
            garbage[i] = l->items[cur];
            incref(src[i]);
            l->items[cur] = src[i];
        }
        for (Value g : garbage) decref(g);
        return true;
    }
    if (has_index(key)) {
        int64_t i;
        if (!index_value(key, &i)) return false;
        return list_ass_item(l, i, v);
    }
    (void)raisef(&exc::TypeError, "list indices must be integers or slices, not {}", type_name(key));
    return false;
}

int list_contains(Value self, Value item) {
    List* l = as_list(self);
    for (int64_t i = 0; i < l->size; ++i) {
        Value x = l->items[i];
        if (x.is(item)) return 1;
        Ref hold = Ref::borrow(x);
        int k = eq_fast(x, item);
        if (k != 0) return k;
    }
    return 0;
}

Ref list_concat(Value a, Value b) {
    if (!is_list(a)) return Ref::not_implemented();
    if (!is_list(b)) {
        if (may_reflect(b, "__radd__")) return Ref::not_implemented();
        return raisef(&exc::TypeError, "can only concatenate list (not \"{}\") to list",
                      type_name(b));
    }
    List* x = as_list(a);
    List* y = as_list(b);
    RefT<List> r = new_list(x->size + y->size);
    if (!r) return nullptr;
    for (int64_t i = 0; i < x->size; ++i) {
        incref(x->items[i]);
        r->items[i] = x->items[i];
    }
    for (int64_t i = 0; i < y->size; ++i) {
        incref(y->items[i]);
        r->items[x->size + i] = y->items[i];
    }
    r->size = x->size + y->size;
    return r;
}

bool repeat_count(Value seq, Value count, Value a, int64_t* n, bool* notimpl) {
    *notimpl = false;
    if (!has_index(count)) {
        if (may_reflect(count, seq.is(a) ? "__rmul__" : "__mul__")) {
            *notimpl = true;
            return false;
        }
        (void)raisef(&exc::TypeError, "can't multiply sequence by non-int of type '{}'",
               type_name(count));
        return false;
    }
    if (!index_value(count, n)) return false;
    if (*n < 0) *n = 0;
    return true;
}

Ref list_repeat(Value a, Value b) {
    Value seq = a, count = b;
    if (!is_list(seq)) std::swap(seq, count);
    if (!is_list(seq)) return Ref::not_implemented();
    int64_t n;
    bool ni;
    if (!repeat_count(seq, count, a, &n, &ni)) return ni ? Ref::not_implemented() : nullptr;
    List* l = as_list(seq);
    int64_t size = l->size;
    if (size == 0 || n == 0) return std::move(new_list());
    if (n > INT64_MAX / 16 / size) return raise_no_memory();
    RefT<List> r = new_list(size * n);
    if (!r) return nullptr;
    Value* p = r->items;
    for (int64_t k = 0; k < n; ++k)
        for (int64_t i = 0; i < size; ++i) {
            incref(l->items[i]);
            *p++ = l->items[i];
        }
    r->size = size * n;
    return r;
}

Ref list_inplace_concat(Value a, Value b) {
    if (!is_list(a)) return Ref::not_implemented();
    if (!list_extend(as_list(a), b)) return nullptr;
    return Ref::borrow(a);
}

Ref list_inplace_repeat(Value a, Value b) {
    if (!is_list(a)) return Ref::not_implemented();
    int64_t n;
    bool ni;
    if (!repeat_count(a, b, a, &n, &ni)) return ni ? Ref::not_implemented() : nullptr;
    List* l = as_list(a);
    int64_t size = l->size;
    if (size == 0 || n == 1) return Ref::borrow(a);
    if (n == 0) {
        list_clear_internal(l);
        return Ref::borrow(a);
    }
    if (n > INT64_MAX / 16 / size) return raise_no_memory();
    if (!list_resize(l, size * n)) return nullptr;
    Value* p = l->items + size;
    for (int64_t k = 1; k < n; ++k)
        for (int64_t i = 0; i < size; ++i) {
            incref(l->items[i]);
            *p++ = l->items[i];
        }
    return Ref::borrow(a);
}

Ref list_new(Type* type, CallArgs a) {
    if (type == &list_type) return new_list();
    List* l = new_object<List>(type, type->basic_size > sizeof(List) ? type->basic_size - sizeof(List) : 0);
    if (!l) return nullptr;
    if (type != &list_type && type->basic_size > sizeof(List))
        std::memset(reinterpret_cast<char*>(l) + sizeof(List), 0, type->basic_size - sizeof(List));
    return Ref::steal(l);
}

bool list_init(Value self, CallArgs a) {
    if (self.as_object()->type == &list_type && !no_kw("list", a)) return false;
    if (a.npos > 1) {
        (void)raisef(&exc::TypeError, "list expected at most 1 argument, got {}", a.npos);
        return false;
    }
    List* l = as_list(self);
    if (l->size) list_clear_internal(l);
    if (a.npos == 1) return list_extend(l, a.args[0]);
    return true;
}

// --- sort -----------------------------------------------------------------------------------

struct SortItem {
    Value key;
    Value value;
};

enum class SortKind { kGeneric, kSmallInt, kFloat, kStr };

struct Sorter {
    SortKind kind = SortKind::kGeneric;
    bool failed = false;

    // a < b; sets failed on error (and then every later call returns false).
    bool lt(Value a, Value b) {
        if (failed) return false;
        switch (kind) {
            case SortKind::kSmallInt: return a.as_small_int() < b.as_small_int();
            case SortKind::kFloat: return a.as_double() < b.as_double();
            case SortKind::kStr: return a.as<Str>()->view() < b.as<Str>()->view();
            case SortKind::kGeneric: break;
        }
        if (both_small_ints(a, b)) return a.as_small_int() < b.as_small_int();
        int r = compare_bool(a, b, CmpOp::kLt);
        if (r < 0) {
            failed = true;
            return false;
        }
        return r != 0;
    }

    // Stable binary insertion sort of v[lo, hi) where v[lo, start) is already sorted.
    void binary_insertion(SortItem* v, int64_t lo, int64_t hi, int64_t start) {
        for (int64_t i = start; i < hi && !failed; ++i) {
            SortItem pivot = v[i];
            int64_t l = lo, r = i;
            while (l < r) {
                int64_t m = l + (r - l) / 2;
                if (lt(pivot.key, v[m].key))
                    r = m;
                else
                    l = m + 1;
                if (failed) return;
            }
            for (int64_t k = i; k > l; --k) v[k] = v[k - 1];
            v[l] = pivot;
        }
    }

    // Merges sorted v[lo, mid) and v[mid, hi) using tmp.
    void merge(SortItem* v, int64_t lo, int64_t mid, int64_t hi, std::vector<SortItem>& tmp) {
        if (failed) return;
        // Already in order?
        if (!lt(v[mid].key, v[mid - 1].key)) return;
        if (failed) return;
        tmp.assign(v + lo, v + mid);
        size_t i = 0;
        int64_t j = mid, k = lo;
        while (i < tmp.size() && j < hi) {
            if (lt(v[j].key, tmp[i].key)) {
                v[k++] = v[j++];
            } else {
                v[k++] = tmp[i++];
            }
            if (failed) {
                // Keep every item exactly once: copy back what is left of tmp.
                while (i < tmp.size()) v[k++] = tmp[i++];
                return;
            }
        }
        while (i < tmp.size()) v[k++] = tmp[i++];
    }

    void sort(SortItem* v, int64_t n) {
        constexpr int64_t kRun = 32;
        // Runs of kRun by binary insertion (detecting a descending run would need strictness
        // checks; ascending input costs n-1 comparisons through the early-out in merge).
        for (int64_t lo = 0; lo < n && !failed; lo += kRun) {
            int64_t hi = std::min(n, lo + kRun);
            // Extend the natural ascending prefix first.
            int64_t s = lo + 1;
            while (s < hi && !lt(v[s].key, v[s - 1].key) && !failed) ++s;
            if (failed) return;
            binary_insertion(v, lo, hi, s);
        }
        std::vector<SortItem> tmp;
        for (int64_t width = kRun; width < n && !failed; width *= 2) {
            for (int64_t lo = 0; lo + width < n && !failed; lo += 2 * width) {
                int64_t mid = lo + width;
                int64_t hi = std::min(n, lo + 2 * width);
                merge(v, lo, mid, hi, tmp);
            }
        }
    }
};

SortKind detect_kind(const SortItem* v, int64_t n) {
    if (n < 2) return SortKind::kGeneric;
    Value k0 = v[0].key;
    if (k0.is_small_int()) {
        for (int64_t i = 1; i < n; ++i)
            if (!v[i].key.is_small_int()) return SortKind::kGeneric;
        return SortKind::kSmallInt;
    }
    if (k0.is_double()) {
        for (int64_t i = 1; i < n; ++i)
            if (!v[i].key.is_double()) return SortKind::kGeneric;
        return SortKind::kFloat;
    }
    if (is_exact_str(k0)) {
        for (int64_t i = 1; i < n; ++i)
            if (!is_exact_str(v[i].key)) return SortKind::kGeneric;
        return SortKind::kStr;
    }
    return SortKind::kGeneric;
}

// --- methods --------------------------------------------------------------------------------

Ref list_append_method(Value self, CallArgs a) {
    if (!check_one_arg("list.append", a)) return nullptr;
    if (!list_append(as_list(self), a.args[0])) return nullptr;
    return Ref::none();
}

Ref list_extend_method(Value self, CallArgs a) {
    if (!check_one_arg("list.extend", a)) return nullptr;
    if (!list_extend(as_list(self), a.args[0])) return nullptr;
    return Ref::none();
}

Ref list_insert_method(Value self, CallArgs a) {
    if (!check_positional("insert", a, 2, 2)) return nullptr;
    int64_t where;
    if (!a.args[0].is_small_int() && !has_index(a.args[0]))
        return raisef(&exc::TypeError, "'{}' object cannot be interpreted as an integer",
                      type_name(a.args[0]));
    if (!index_value(a.args[0], &where)) return nullptr;
    if (!list_insert(as_list(self), where, a.args[1])) return nullptr;
    return Ref::none();
}

Ref list_pop_method(Value self, CallArgs a) {
    if (!check_positional("pop", a, 0, 1)) return nullptr;
    List* l = as_list(self);
    int64_t i = -1;
    if (a.npos == 1) {
        if (!has_index(a.args[0]))
            return raisef(&exc::TypeError, "'{}' object cannot be interpreted as an integer",
                          type_name(a.args[0]));
        if (!index_value(a.args[0], &i)) return nullptr;
    }
    if (l->size == 0) return raise(&exc::IndexError, "pop from empty list");
    if (i < 0) i += l->size;
    if (i < 0 || i >= l->size) return raise(&exc::IndexError, "pop index out of range");
    Value v = l->items[i];
    if (i == l->size - 1) {
        if (!list_resize(l, l->size - 1)) return nullptr;
        return Ref::steal(v);
    }
    std::memmove(l->items + i, l->items + i + 1, static_cast<size_t>(l->size - i - 1) * sizeof(Value));
    if (!list_resize(l, l->size - 1)) return nullptr;
    return Ref::steal(v);
}

Ref list_remove_method(Value self, CallArgs a) {
    if (!check_one_arg("list.remove", a)) return nullptr;
    List* l = as_list(self);
    for (int64_t i = 0; i < l->size; ++i) {
        Value x = l->items[i];
        Ref hold = Ref::borrow(x);
        int k = eq_fast(x, a.args[0]);
        if (k < 0) return nullptr;
        if (k) {
            if (i < l->size && l->items[i].is(x)) {
                if (!list_ass_slice(l, i, i + 1, Value::null())) return nullptr;
            }
            return Ref::none();
        }
    }
    return raise(&exc::ValueError, "list.remove(x): x not in list");
}

Ref list_index_method(Value self, CallArgs a) {
    if (!check_positional("index", a, 1, 3)) return nullptr;
    List* l = as_list(self);
    int64_t start = 0, stop = INT64_MAX;
    if (a.npos > 1 && !slice_index_arg(a.args[1], &start)) return nullptr;
    if (a.npos > 2 && !slice_index_arg(a.args[2], &stop)) return nullptr;
    start = clamp_index(start, l->size);
    stop = clamp_index(stop, l->size);
    for (int64_t i = start; i < stop && i < l->size; ++i) {
        Ref hold = Ref::borrow(l->items[i]);
        int k = eq_fast(*hold, a.args[0]);
        if (k < 0) return nullptr;
        if (k) return make_int(i);
    }
    Ref r = repr(a.args[0]);
    if (!r) return nullptr;
    return raisef(&exc::ValueError, "{} is not in list", r.as<Str>()->view());
}

Ref list_count_method(Value self, CallArgs a) {
    if (!check_one_arg("list.count", a)) return nullptr;
    List* l = as_list(self);
    int64_t n = 0;
    for (int64_t i = 0; i < l->size; ++i) {
        Ref hold = Ref::borrow(l->items[i]);
        int k = eq_fast(*hold, a.args[0]);
        if (k < 0) return nullptr;
        n += k;
    }
    return make_int(n);
}

Ref list_clear_method(Value self, CallArgs a) {
    if (!check_noargs("list.clear", a)) return nullptr;
    list_clear_internal(as_list(self));
    return Ref::none();
}

Ref list_copy_method(Value self, CallArgs a) {
    if (!check_noargs("list.copy", a)) return nullptr;
    List* l = as_list(self);
    return std::move(new_list_from(l->items, l->size));
}

Ref list_reverse_method(Value self, CallArgs a) {
    if (!check_noargs("list.reverse", a)) return nullptr;
    List* l = as_list(self);
    std::reverse(l->items, l->items + l->size);
    return Ref::none();
}

Ref list_sort_method(Value self, CallArgs a) {
    if (a.npos > 0) return raise(&exc::TypeError, "sort() takes no positional arguments");
    Value key = Value::null();
    bool reverse = false;
    for (size_t i = 0; i < a.nkw(); ++i) {
        Str* name = a.kwnames->items[i].as<Str>();
        Value v = a.args[a.npos + i];
        std::string_view n = name->view();
        if (n == "key") {
            key = v;
        } else if (n == "reverse") {
            int64_t r;
            if (!has_index(v))
                return raisef(&exc::TypeError, "'{}' object cannot be interpreted as an integer",
                              type_name(v));
            if (!index_value(v, &r)) return nullptr;
            reverse = r != 0;
        } else {
            return raisef(&exc::TypeError, "'{}' is an invalid keyword argument for sort()", n);
        }
    }
    if (!list_sort(as_list(self), key, reverse)) return nullptr;
    return Ref::none();
}

// --- iterators ------------------------------------------------------------------------------



void list_iter_dealloc(Object* o) {
    ListIter* it = static_cast<ListIter*>(o);
    if (it->seq) decref(it->seq);
    object_free(o, sizeof(ListIter));
}

Ref list_iter_next(Value self) {
    ListIter* it = self.as<ListIter>();
    List* l = it->seq;
    if (!l) return nullptr;
    if (it->index < l->size) return Ref::borrow(l->items[it->index++]);
    it->seq = nullptr;
    decref(l);
    return nullptr;
}

Ref list_iter_length_hint(Value self, CallArgs a) {
    ListIter* it = self.as<ListIter>();
    int64_t n = it->seq ? it->seq->size - it->index : 0;
    return make_int(n < 0 ? 0 : n);
}

const MethodDef list_iter_methods[] = {
    {"__length_hint__", list_iter_length_hint},
    {nullptr, nullptr},
};

// list_reverseiterator: index counts down; the list may shrink meanwhile.
Ref list_reviter_next(Value self) {
    ListIter* it = self.as<ListIter>();
    List* l = it->seq;
    if (!l) return nullptr;
    if (it->index >= 0 && it->index < l->size) return Ref::borrow(l->items[it->index--]);
    it->index = -1;
    it->seq = nullptr;
    decref(l);
    return nullptr;
}

Ref list_reviter_length_hint(Value self, CallArgs a) {
    ListIter* it = self.as<ListIter>();
    int64_t n = 0;
    if (it->seq && it->index < it->seq->size) n = it->index + 1;
    return make_int(n < 0 ? 0 : n);
}

const MethodDef list_reviter_methods[] = {
    {"__length_hint__", list_reviter_length_hint},
    {nullptr, nullptr},
};

Ref list_reversed_method(Value self, CallArgs a) {
    if (!check_noargs("list.__reversed__", a)) return nullptr;
    ListIter* it = new_object<ListIter>(&list_reverseiterator_type, 0);
    if (!it) return nullptr;
    it->seq = as_list(self);
    incref(it->seq);
    it->index = it->seq->size - 1;
    return Ref::steal(it);
}

const MethodDef list_methods[] = {
    {"append", list_append_method},
    {"extend", list_extend_method},
    {"insert", list_insert_method},
    {"pop", list_pop_method},
    {"remove", list_remove_method},
    {"index", list_index_method},
    {"count", list_count_method},
    {"clear", list_clear_method},
    {"copy", list_copy_method},
    {"reverse", list_reverse_method},
    {"sort", list_sort_method},
    {"__reversed__", list_reversed_method},
    {"__class_getitem__", generic_class_getitem, kMethodClass},
    {nullptr, nullptr},
};

}  // namespace

// --- public ---------------------------------------------------------------------------------

RefT<List> new_list(int64_t reserve) {
    List* l;
    if (t_lc.n > 0) {
        l = t_lc.lists[--t_lc.n];  // items/size/capacity were reset by list_dealloc
        l->refcnt = 1;
    } else {
        l = new_object<List>(&list_type, 0);
        if (!l) return nullptr;
    }
    RefT<List> r = RefT<List>::steal(l);
    if (reserve > 0) {
        if (reserve > INT64_MAX / 16) {
            (void)raise_no_memory();
            return nullptr;
        }
        l->items = static_cast<Value*>(std::malloc(static_cast<size_t>(reserve) * sizeof(Value)));
        if (!l->items) {
            (void)raise_no_memory();
            return nullptr;
        }
        l->capacity = reserve;
    }
    return r;
}

RefT<List> new_list_from(const Value* items, int64_t n) {
    RefT<List> l = new_list(n);
    if (!l) return nullptr;
    for (int64_t i = 0; i < n; ++i) {
        incref(items[i]);
        l->items[i] = items[i];
    }
    l->size = n;
    return l;
}

bool list_append(List* l, Value v) {
    int64_t n = l->size;
    if (TOY_LIKELY(n < l->capacity)) {
        incref(v);
        l->items[n] = v;
        l->size = n + 1;
        return true;
    }
    if (!list_resize(l, n + 1)) return false;
    incref(v);
    l->items[n] = v;
    return true;
}

bool list_append_steal(List* l, Value v) {
    int64_t n = l->size;
    if (TOY_LIKELY(n < l->capacity)) {
        l->items[n] = v;
        l->size = n + 1;
        return true;
    }
    if (!list_resize(l, n + 1)) {
        decref(v);
        return false;
    }
    l->items[n] = v;
    return true;
}

bool list_insert(List* l, int64_t where, Value v) {
    int64_t n = l->size;
    if (!list_resize(l, n + 1)) return false;
    if (where < 0) {
        where += n;
        if (where < 0) where = 0;
    }
    if (where > n) where = n;
    std::memmove(l->items + where + 1, l->items + where, static_cast<size_t>(n - where) * sizeof(Value));
    incref(v);
    l->items[where] = v;
    return true;
}

bool list_extend(List* l, Value iterable) {
    if (is_exact_list(iterable) || is_exact_tuple(iterable)) {
        Value* src;
        int64_t n;
        fast_items(iterable, &src, &n);
        if (n == 0) return true;
        int64_t m = l->size;
        if (!list_resize(l, m + n)) return false;
        // Re-read the source: it may be `l` itself (l.extend(l)), which list_resize moved.
        fast_items(iterable, &src, &n);
        if (iterable.as_object() == l) n = m;
        for (int64_t i = 0; i < n; ++i) {
            incref(src[i]);
            l->items[m + i] = src[i];
        }
        return true;
    }
    Ref it = get_iter(iterable);
    if (!it) return false;
    Type* t = it.obj()->type;
    NextSlot next = t->next;
    while (true) {
        Ref x = next ? next(*it) : iter_next(*it);
        if (!x) return !error_occurred();
        if (!list_append_steal(l, x.release())) return false;
    }
}

Ref list_to_tuple(List* l) { return std::move(new_tuple_from(l->items, l->size)); }

Ref sequence_list(Value iterable) {
    RefT<List> l = new_list();
    if (!l) return nullptr;
    if (!list_extend(l.get(), iterable)) return nullptr;
    return l;
}

bool list_sort(List* l, Value key, bool reverse) {
    if (!key.is_null() && key.is_none()) key = Value::null();
    // Detach the items: during the sort the list looks empty, and any mutation is detected.
    Value* saved = l->items;
    int64_t n = l->size;
    int64_t saved_cap = l->capacity;
    l->items = nullptr;
    l->size = 0;
    l->capacity = -1;

    bool ok = true;
    std::vector<SortItem> v(static_cast<size_t>(n));
    int64_t nkeys = 0;
    for (int64_t i = 0; i < n; ++i) v[i].value = v[i].key = saved[i];
    if (!key.is_null()) {
        for (; nkeys < n; ++nkeys) {
            Ref k = call(key, {saved[nkeys]});
            if (!k) {
                ok = false;
                break;
            }
            v[nkeys].key = k.release();
        }
    }
    if (ok && n > 1) {
        if (reverse) std::reverse(v.begin(), v.end());
        Sorter s;
        s.kind = detect_kind(v.data(), n);
        s.sort(v.data(), n);
        if (s.failed) ok = false;
        if (reverse) std::reverse(v.begin(), v.end());
    }
    // Write back the (possibly partially sorted) permutation: every item exactly once.
    for (int64_t i = 0; i < n; ++i) saved[i] = v[i].value;
    // Release the computed keys. They moved along with their values; if a key call failed,
    // nothing was sorted and only the first nkeys items own a key.
    if (!key.is_null()) {
        int64_t owned = nkeys == n ? n : nkeys;
        for (int64_t i = 0; i < owned; ++i) decref(v[i].key);
    }

    Value* final_items = l->items;
    int64_t final_size = l->size;
    bool modified = l->capacity != -1;
    l->items = saved;
    l->size = n;
    l->capacity = saved_cap;
    if (final_items) {
        for (int64_t i = final_size; i-- > 0;) decref(final_items[i]);
        std::free(final_items);
    }
    if (modified && ok) {
        (void)raise(&exc::ValueError, "list modified during sort");
        return false;
    }
    return ok;
}

Ref list_iter(Value v) {
    ListIter* it = new_object<ListIter>(&list_iterator_type, 0);
    if (!it) return nullptr;
    it->seq = v.as<List>();
    incref(it->seq);
    it->index = 0;
    return Ref::steal(it);
}

void init_list_type() {
    Type* t = &list_type;
    t->name = "list";
    t->basic_size = sizeof(List);
    t->flags |= kBaseType | kImmutableType | kListSubclass;
    t->methods = list_methods;
    t->dealloc = list_dealloc;
    t->repr = list_repr;
    t->hash = unhashable_hash;
    t->compare = list_compare;
    t->binary[static_cast<int>(BinOp::kAdd)] = list_concat;
    t->binary[static_cast<int>(BinOp::kMul)] = list_repeat;
    t->inplace[static_cast<int>(BinOp::kAdd)] = list_inplace_concat;
    t->inplace[static_cast<int>(BinOp::kMul)] = list_inplace_repeat;
    t->len = list_len;
    t->iter = list_iter;
    t->getitem = list_getitem;
    t->setitem = list_setitem;
    t->contains = list_contains;
    t->new_ = list_new;
    t->init = list_init;
    type_ready(t, &object_type);

    Type* it = &list_iterator_type;
    it->name = "list_iterator";
    it->basic_size = sizeof(ListIter);
    it->flags |= kImmutableType;
    it->methods = list_iter_methods;
    it->dealloc = list_iter_dealloc;
    it->iter = iter_self;
    it->next = list_iter_next;
    type_ready(it, &object_type);

    Type* rit = &list_reverseiterator_type;
    rit->name = "list_reverseiterator";
    rit->basic_size = sizeof(ListIter);
    rit->flags |= kImmutableType;
    rit->methods = list_reviter_methods;
    rit->dealloc = list_iter_dealloc;
    rit->iter = iter_self;
    rit->next = list_reviter_next;
    type_ready(rit, &object_type);
}

}  // namespace toy
