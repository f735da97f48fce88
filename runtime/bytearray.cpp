// bytearray.cpp: the mutable byte string. The read-only methods (find, split, decode, ...)
// are shared with bytes (bytes.cpp, text::bytearray_method_table); this file has the
// layout, the slots (indexing and slice assignment, +=, *=, comparisons with bytes) and the
// mutating methods.
#include <algorithm>
#include <cstring>
#include <string>

#include "runtime/abstract.h"
#include "runtime/bytes.h"
#include "runtime/errors.h"
#include "runtime/format.h"
#include "runtime/int.h"
#include "runtime/misc_types.h"
#include "runtime/native_function.h"
#include "runtime/str.h"
#include "runtime/text_internal.h"
#include "runtime/tuple.h"

namespace toy {

Type bytearray_type;
Type bytearray_iterator_type;

namespace text {
extern const MethodDef bytearray_method_table[];  // bytes.cpp
Ref bytes_compare(Value a, Value b, CmpOp op);
}  // namespace text
namespace detail {
bool unhashable_hash(Value v, int64_t* out);  // container_util.h
}  // namespace detail

namespace {

constexpr int64_t kMaxSize = int64_t{1} << 34;

inline ByteArray* BA(Value v) { return v.as<ByteArray>(); }

// Makes room for `n` bytes (keeps the contents); false with MemoryError.
bool reserve(ByteArray* b, int64_t n) {
    if (n <= b->capacity && b->data) return true;
    if (n > kMaxSize) {
        (void)raise_no_memory();
        return false;
    }
    int64_t cap = std::max<int64_t>(n, b->capacity + b->capacity / 2 + 8);
    char* p = new (std::nothrow) char[static_cast<size_t>(cap) + 1];
    if (!p) {
        (void)raise_no_memory();
        return false;
    }
    if (b->size) std::memcpy(p, b->data, static_cast<size_t>(b->size));
    p[b->size] = '\0';
    delete[] b->data;
    b->data = p;
    b->capacity = cap;
    return true;
}

bool resize(ByteArray* b, int64_t n) {
    if (!reserve(b, n)) return false;
    b->size = n;
    b->data[n] = '\0';
    return true;
}

// Replaces bytes [lo, hi) with `with`.
bool splice(ByteArray* b, int64_t lo, int64_t hi, std::string_view with) {
    int64_t old_len = hi - lo, new_len = static_cast<int64_t>(with.size());
    int64_t tail = b->size - hi;
    int64_t new_size = b->size - old_len + new_len;
    std::string copy(with);  // `with` may alias our own buffer
    if (!reserve(b, new_size)) return false;
    std::memmove(b->data + lo + new_len, b->data + hi, static_cast<size_t>(tail));
    if (new_len) std::memcpy(b->data + lo, copy.data(), copy.size());
    b->size = new_size;
    b->data[new_size] = '\0';
    return true;
}

bool byte_value(Value v, int* out) {
    if (!is_int(v) && !type_of(v)->index) {
        (void)raisef(&exc::TypeError, "'{}' object cannot be interpreted as an integer",
                     type_name(v));
        return false;
    }
    int64_t x;
    if (!index_value(v, &x)) return false;
    if (x < 0 || x > 255) {
        (void)raise(&exc::ValueError, "byte must be in range(0, 256)");
        return false;
    }
    *out = static_cast<int>(x);
    return true;
}

// The bytes of an assignment source: bytes-like or an iterable of ints.
bool source_bytes(Value v, std::string* out, const char* type_error) {
    if (is_bytes_like(v)) {
        out->assign(buffer_view(v));
        return true;
    }
    if (is_str(v) || is_int(v) || !type_of(v)->iter) {
        (void)raise(&exc::TypeError, type_error);
        return false;
    }
    Ref it = get_iter(v);
    if (!it) return false;
    for (;;) {
        Ref x = iter_next(it.get());
        if (!x) return !error_occurred();
        int c;
        if (!byte_value(x.get(), &c)) return false;
        *out += static_cast<char>(c);
    }
}

void ba_dealloc(Object* o) {
    delete[] static_cast<ByteArray*>(o)->data;
    object_free(o, sizeof(ByteArray));
}

Ref ba_repr(Value v) {
    std::string inner = bytes_repr_raw(buffer_view(v));
    Type* t = type_of(v);
    std::string name = t == &bytearray_type ? "bytearray" : std::string(t->name);
    return new_str(name + "(" + inner + ")");
}

int64_t ba_len(Value v) { return BA(v)->size; }

Ref ba_getitem(Value self, Value key) {
    ByteArray* b = BA(self);
    if (key.is_object() && key.as_object()->type == &slice_type) {
        int64_t start, stop, step, n;
        if (!slice_indices(key.as<Slice>(), b->size, &start, &stop, &step, &n)) return nullptr;
        if (n <= 0) return new_bytearray("");
        if (step == 1) return new_bytearray(std::string_view(b->data + start, static_cast<size_t>(n)));
        std::string out;
        for (int64_t i = 0, j = start; i < n; ++i, j += step) out += b->data[j];
        return new_bytearray(out);
    }
    if (!is_int(key) && !type_of(key)->index)
        return raisef(&exc::TypeError, "bytearray indices must be integers or slices, not {}",
                      type_name(key));
    int64_t i;
    if (!index_value(key, &i)) return nullptr;
    if (i < 0) i += b->size;
    if (i < 0 || i >= b->size) return raise(&exc::IndexError, "bytearray index out of range");
    return Ref::steal(Value::small_int(static_cast<unsigned char>(b->data[i])));
}

bool ba_setitem(Value self, Value key, Value v) {
    ByteArray* b = BA(self);
    if (key.is_object() && key.as_object()->type == &slice_type) {
        int64_t start, stop, step, n;
        if (!slice_indices(key.as<Slice>(), b->size, &start, &stop, &step, &n)) return false;
        std::string src;
        if (!v.is_null() &&
            !source_bytes(v, &src,
                          "can assign only bytes, buffers, or iterables of ints in range(0, 256)"))
            return false;
        if (step == 1) {
            if (stop < start) stop = start;
            return splice(b, start, stop, src);
        }
        if (v.is_null()) {  // del b[::k]
            if (n <= 0) return true;
            std::string keep;
            int64_t lo = step > 0 ? start : start + (n - 1) * step;
            int64_t k = step > 0 ? step : -step;
            for (int64_t i = 0; i < b->size; ++i) {
                bool drop = i >= lo && (i - lo) % k == 0 && (i - lo) / k < n;
                if (!drop) keep += b->data[i];
            }
            return splice(b, 0, b->size, keep);
        }
        if (static_cast<int64_t>(src.size()) != n) {
            (void)raisef(&exc::ValueError,
                         "attempt to assign bytes of size {} to extended slice of size {}",
                         src.size(), n);
            return false;
        }
        for (int64_t i = 0, j = start; i < n; ++i, j += step) b->data[j] = src[static_cast<size_t>(i)];
        return true;
    }
    if (!is_int(key) && !type_of(key)->index) {
        (void)raisef(&exc::TypeError, "bytearray indices must be integers or slices, not {}",
                     type_name(key));
        return false;
    }
    int64_t i;
    if (!index_value(key, &i)) return false;
    if (i < 0) i += b->size;
    if (i < 0 || i >= b->size) {
        (void)raise(&exc::IndexError, "bytearray index out of range");
        return false;
    }
    if (v.is_null()) return splice(b, i, i + 1, "");
    int c;
    if (!byte_value(v, &c)) return false;
    b->data[i] = static_cast<char>(c);
    return true;
}

int ba_contains(Value self, Value item) {
    std::string_view s = buffer_view(self);
    if (is_int(item) || (!is_bytes_like(item) && type_of(item)->index)) {
        int c;
        if (!byte_value(item, &c)) return -1;
        return s.find(static_cast<char>(c)) != std::string_view::npos ? 1 : 0;
    }
    if (!is_bytes_like(item)) {
        (void)raisef(&exc::TypeError, "a bytes-like object is required, not '{}'", type_name(item));
        return -1;
    }
    std::string sub(buffer_view(item));
    return s.find(sub) != std::string_view::npos ? 1 : 0;
}

Ref ba_add(Value a, Value b) {
    if (!is_bytearray(a)) return Ref::not_implemented();
    if (!is_bytes_like(b))
        return raisef(&exc::TypeError, "can't concat {} to bytearray", type_name(b));
    std::string out(buffer_view(a));
    out += buffer_view(b);
    return new_bytearray(out);
}

Ref ba_iadd(Value a, Value b) {
    if (!is_bytearray(a)) return Ref::not_implemented();
    if (!is_bytes_like(b))
        return raisef(&exc::TypeError, "can't concat {} to bytearray", type_name(b));
    ByteArray* x = BA(a);
    if (!splice(x, x->size, x->size, buffer_view(b))) return nullptr;
    return Ref::borrow(a);
}

bool repeat_count(Value s, Value n, int64_t* count) {
    (void)s;
    if (!is_int(n) && !type_of(n)->index) {
        (void)raisef(&exc::TypeError, "can't multiply sequence by non-int of type '{}'",
                     type_name(n));
        return false;
    }
    return index_value(n, count);
}

Ref ba_mul(Value a, Value b) {
    Value s = is_bytearray(a) ? a : b, n = is_bytearray(a) ? b : a;
    if (!is_bytearray(s)) return Ref::not_implemented();
    int64_t count;
    if (!repeat_count(s, n, &count)) return nullptr;
    std::string_view v = buffer_view(s);
    if (count <= 0 || v.empty()) return new_bytearray("");
    int64_t total;
    if (__builtin_mul_overflow(static_cast<int64_t>(v.size()), count, &total) || total > kMaxSize)
        return raise_no_memory();
    std::string out;
    out.reserve(static_cast<size_t>(total));
    for (int64_t i = 0; i < count; ++i) out += v;
    return new_bytearray(out);
}

Ref ba_imul(Value a, Value b) {
    if (!is_bytearray(a)) return Ref::not_implemented();
    int64_t count;
    if (!repeat_count(a, b, &count)) return nullptr;
    ByteArray* x = BA(a);
    if (count <= 0) {
        if (!resize(x, 0)) return nullptr;
        return Ref::borrow(a);
    }
    int64_t total;
    if (__builtin_mul_overflow(x->size, count, &total) || total > kMaxSize) return raise_no_memory();
    std::string one(buffer_view(a));
    if (!resize(x, total)) return nullptr;
    for (int64_t i = 1; i < count; ++i)
        std::memcpy(x->data + i * static_cast<int64_t>(one.size()), one.data(), one.size());
    return Ref::borrow(a);
}

Ref ba_mod(Value a, Value b) {
    if (!is_bytearray(a)) return Ref::not_implemented();
    Ref r = bytes_percent_format(std::string(buffer_view(a)), b);
    if (!r) return nullptr;
    return new_bytearray(bytes_view(r.get()));
}

// --- iterator ----------------------------------------------------------------------------------

struct BAIter : Object {
    ByteArray* b;  // owned; null when exhausted
    int64_t pos;
};
void ba_iter_dealloc(Object* o) {
    auto* it = static_cast<BAIter*>(o);
    if (it->b) decref(it->b);
    object_free(o, sizeof(BAIter));
}
Ref ba_iter(Value v) {
    BAIter* it = new_object<BAIter>(&bytearray_iterator_type, 0);
    if (!it) return nullptr;
    it->b = BA(v);
    incref(it->b);
    it->pos = 0;
    return Ref::steal(it);
}
Ref ba_iter_next(Value v) {
    auto* it = v.as<BAIter>();
    if (!it->b) return nullptr;
    if (it->pos >= it->b->size) {
        ByteArray* b = it->b;
        it->b = nullptr;
        decref(b);
        return nullptr;
    }
    return Ref::steal(Value::small_int(static_cast<unsigned char>(it->b->data[it->pos++])));
}
Ref iter_self(Value v) { return Ref::borrow(v); }

// bytearray(source=b'', encoding=..., errors=...)
Ref ba_new(Type* type, CallArgs a) {
    ByteArray* b = new_object<ByteArray>(type, 0);
    if (!b) return nullptr;
    b->data = nullptr;
    b->size = b->capacity = 0;
    return Ref::steal(b);
}

bool ba_init(Value self, CallArgs a) {
    Value vals[3];
    if (!parse_args("bytearray", a, 0, 3, {"source", "encoding", "errors"}, vals)) return false;
    ByteArray* b = BA(self);
    Value src = vals[0];
    std::string data;
    if (src.is_null()) {
        if (!vals[1].is_null() || !vals[2].is_null()) {
            (void)raise(&exc::TypeError, vals[1].is_null() ? "errors without a string argument"
                                                           : "encoding without a string argument");
            return false;
        }
    } else if (is_str(src)) {
        if (vals[1].is_null()) {
            (void)raise(&exc::TypeError, "string argument without an encoding");
            return false;
        }
        if (!is_str(vals[1]) || (!vals[2].is_null() && !is_str(vals[2]))) {
            (void)raise(&exc::TypeError, "bytearray() argument 'encoding' must be str");
            return false;
        }
        Ref enc = str_encode(src.as<Str>(), vals[1].as<Str>()->view(),
                             vals[2].is_null() ? "strict" : vals[2].as<Str>()->view());
        if (!enc) return false;
        data.assign(bytes_view(enc.get()));
    } else if (!vals[1].is_null() || !vals[2].is_null()) {
        (void)raise(&exc::TypeError, vals[1].is_null() ? "errors without a string argument"
                                                       : "encoding without a string argument");
        return false;
    } else if (is_bytes_like(src)) {
        data.assign(buffer_view(src));
    } else if (is_int(src) || (type_of(src)->index && !type_of(src)->iter)) {
        int64_t n;
        if (!index_value(src, &n)) return false;
        if (n < 0) {
            (void)raise(&exc::ValueError, "negative count");
            return false;
        }
        if (n > kMaxSize) {
            (void)raise_no_memory();
            return false;
        }
        data.assign(static_cast<size_t>(n), '\0');
    } else {
        if (!type_of(src)->iter && !type_of(src)->getitem) {
            (void)raisef(&exc::TypeError, "cannot convert '{}' object to bytearray", type_name(src));
            return false;
        }
        if (!source_bytes(src, &data, "cannot convert object to bytearray")) return false;
    }
    return splice(b, 0, b->size, data);
}

}  // namespace

// --- methods (listed in bytes.cpp's bytearray_method_table) ------------------------------------

namespace text {

Ref bytearray_append(Value self, CallArgs a) {
    if (!check_one_arg("bytearray.append", a)) return nullptr;
    int c;
    if (!byte_value(a.args[0], &c)) return nullptr;
    ByteArray* b = BA(self);
    char ch = static_cast<char>(c);
    if (!splice(b, b->size, b->size, std::string_view(&ch, 1))) return nullptr;
    return Ref::none();
}

Ref bytearray_extend(Value self, CallArgs a) {
    if (!check_one_arg("bytearray.extend", a)) return nullptr;
    std::string data;
    if (!source_bytes(a.args[0], &data, "can't extend bytearray with str")) {
        if (error_matches(&exc::TypeError) && !is_str(a.args[0]) && !type_of(a.args[0])->iter) {
            clear_error();
            return raisef(&exc::TypeError, "'{}' object is not iterable", type_name(a.args[0]));
        }
        return nullptr;
    }
    ByteArray* b = BA(self);
    if (!splice(b, b->size, b->size, data)) return nullptr;
    return Ref::none();
}

Ref bytearray_insert(Value self, CallArgs a) {
    if (!check_positional("insert", a, 2, 2)) return nullptr;
    int64_t i;
    if (!index_value(a.args[0], &i)) return nullptr;
    int c;
    if (!byte_value(a.args[1], &c)) return nullptr;
    ByteArray* b = BA(self);
    if (i < 0) i = std::max<int64_t>(0, i + b->size);
    if (i > b->size) i = b->size;
    char ch = static_cast<char>(c);
    if (!splice(b, i, i, std::string_view(&ch, 1))) return nullptr;
    return Ref::none();
}

Ref bytearray_pop(Value self, CallArgs a) {
    if (!check_positional("pop", a, 0, 1)) return nullptr;
    ByteArray* b = BA(self);
    int64_t i = -1;
    if (a.npos == 1 && !index_value(a.args[0], &i)) return nullptr;
    if (b->size == 0) return raise(&exc::IndexError, "pop from empty bytearray");
    if (i < 0) i += b->size;
    if (i < 0 || i >= b->size) return raise(&exc::IndexError, "pop index out of range");
    int c = static_cast<unsigned char>(b->data[i]);
    if (!splice(b, i, i + 1, "")) return nullptr;
    return Ref::steal(Value::small_int(c));
}

Ref bytearray_remove(Value self, CallArgs a) {
    if (!check_one_arg("bytearray.remove", a)) return nullptr;
    int c;
    if (!byte_value(a.args[0], &c)) return nullptr;
    ByteArray* b = BA(self);
    std::string_view s = buffer_view(self);
    size_t pos = s.find(static_cast<char>(c));
    if (pos == std::string_view::npos) return raise(&exc::ValueError, "value not found in bytearray");
    auto i = static_cast<int64_t>(pos);
    if (!splice(b, i, i + 1, "")) return nullptr;
    return Ref::none();
}

Ref bytearray_clear(Value self, CallArgs a) {
    if (!check_no_args("bytearray.clear", a)) return nullptr;
    if (!resize(BA(self), 0)) return nullptr;
    return Ref::none();
}

Ref bytearray_copy(Value self, CallArgs a) {
    if (!check_no_args("bytearray.copy", a)) return nullptr;
    return new_bytearray(buffer_view(self));
}

Ref bytearray_reverse(Value self, CallArgs a) {
    if (!check_no_args("bytearray.reverse", a)) return nullptr;
    ByteArray* b = BA(self);
    if (b->size) std::reverse(b->data, b->data + b->size);
    return Ref::none();
}

}  // namespace text

RefT<ByteArray> new_bytearray(std::string_view data) {
    ByteArray* b = new_object<ByteArray>(&bytearray_type, 0);
    if (!b) return nullptr;
    b->data = nullptr;
    b->size = b->capacity = 0;
    RefT<ByteArray> r = RefT<ByteArray>::steal(b);
    if (!data.empty() && !splice(b, 0, 0, data)) return nullptr;
    return r;
}

void init_bytearray_type() {
    bytearray_type.name = "bytearray";
    bytearray_type.basic_size = sizeof(ByteArray);
    bytearray_type.flags = kBaseType | kImmutableType;
    bytearray_type.methods = text::bytearray_method_table;
    bytearray_type.dealloc = ba_dealloc;
    bytearray_type.repr = ba_repr;
    bytearray_type.compare = text::bytes_compare;
    bytearray_type.hash = detail::unhashable_hash;
    bytearray_type.binary[static_cast<int>(BinOp::kAdd)] = ba_add;
    bytearray_type.binary[static_cast<int>(BinOp::kMul)] = ba_mul;
    bytearray_type.binary[static_cast<int>(BinOp::kMod)] = ba_mod;
    bytearray_type.inplace[static_cast<int>(BinOp::kAdd)] = ba_iadd;
    bytearray_type.inplace[static_cast<int>(BinOp::kMul)] = ba_imul;
    bytearray_type.len = ba_len;
    bytearray_type.getitem = ba_getitem;
    bytearray_type.setitem = ba_setitem;
    bytearray_type.iter = ba_iter;
    bytearray_type.contains = ba_contains;
    bytearray_type.new_ = ba_new;
    bytearray_type.init = ba_init;
    type_ready(&bytearray_type, &object_type);

    bytearray_iterator_type.name = "bytearray_iterator";
    bytearray_iterator_type.basic_size = sizeof(BAIter);
    bytearray_iterator_type.flags = kImmutableType;
    bytearray_iterator_type.dealloc = ba_iter_dealloc;
    bytearray_iterator_type.iter = iter_self;
    bytearray_iterator_type.next = ba_iter_next;
    type_ready(&bytearray_iterator_type, &object_type);
}

}  // namespace toy
