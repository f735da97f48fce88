// str.cpp: the str type: allocation, hashing, the one-character cache, repr, the slots
// (+, *, %, comparisons, indexing, slicing, iteration, `in`) and the str iterator. The named
// methods (split, join, ...) live in str_methods.cpp; formatting in format.cpp.
#include "runtime/str.h"

#include <fmt/format.h>

#include <cstring>
#include <string>

#include "runtime/abstract.h"
#include "runtime/bytes.h"
#include "runtime/errors.h"
#include "runtime/format.h"
#include "runtime/int.h"
#include "runtime/list.h"
#include "runtime/misc_types.h"
#include "runtime/native_function.h"
#include "runtime/text_internal.h"
#include "runtime/tuple.h"

namespace toy {

Type str_type;
Type str_iterator_type;

namespace text {
extern const MethodDef str_method_table[];  // str_methods.cpp
}

namespace {

Str* g_empty = nullptr;
Str* g_chars[256];

// Largest str we agree to build: beyond this, MemoryError instead of trying.
constexpr int64_t kMaxStrBytes = int64_t{1} << 34;

inline uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
inline uint64_t fmix64(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
}

// A murmur3-style 64-bit hash over the bytes (not randomised: hash(str) is deterministic).
uint64_t hash_bytes(const char* p, size_t n) {
    const uint64_t c1 = 0x87c37b91114253d5ULL, c2 = 0x4cf5ad432745937fULL;
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t k;
        std::memcpy(&k, p + i, 8);
        k *= c1;
        k = rotl(k, 31);
        k *= c2;
        h ^= k;
        h = rotl(h, 27) * 5 + 0x52dce729;
    }
    uint64_t k = 0;
    for (size_t j = 0; i + j < n; ++j) k |= static_cast<uint64_t>(static_cast<unsigned char>(p[i + j])) << (8 * j);
    k *= c1;
    k = rotl(k, 31);
    k *= c2;
    h ^= k;
    return fmix64(h);
}

void str_dealloc(Object* o) {
    Str* s = static_cast<Str*>(o);
    delete[] s->index;
    object_free(o, sizeof(Str) + static_cast<size_t>(s->nbytes));
}

inline Str* as_str(Value v) { return v.as<Str>(); }

Ref str_repr_slot(Value v) { return str_repr(as_str(v)); }
Ref str_str_slot(Value v) { return str_exact(as_str(v)); }

bool str_hash_slot(Value v, int64_t* out) {
    *out = str_hash(as_str(v));
    return true;
}

int str_cmp(Str* a, Str* b) {
    size_t n = static_cast<size_t>(std::min(a->nbytes, b->nbytes));
    int c = std::memcmp(a->data, b->data, n);
    if (c != 0) return c;
    return a->nbytes < b->nbytes ? -1 : a->nbytes > b->nbytes ? 1 : 0;
}

Ref str_compare(Value a, Value b, CmpOp op) {
    if (!is_str(a) || !is_str(b)) return Ref::not_implemented();
    Str* x = as_str(a);
    Str* y = as_str(b);
    if (op == CmpOp::kEq) return Ref::boolean(str_eq(x, y));
    if (op == CmpOp::kNe) return Ref::boolean(!str_eq(x, y));
    int c = str_cmp(x, y);
    switch (op) {
        case CmpOp::kLt: return Ref::boolean(c < 0);
        case CmpOp::kLe: return Ref::boolean(c <= 0);
        case CmpOp::kGt: return Ref::boolean(c > 0);
        default: return Ref::boolean(c >= 0);
    }
}

Ref str_add_slot(Value a, Value b) {
    if (!is_str(a)) return Ref::not_implemented();
    if (!is_str(b)) {
        Type* bt = type_of(b);
        if (type_has(bt, kHeapType) && bt->binary[static_cast<int>(BinOp::kAdd)])
            return Ref::not_implemented();
        return raisef(&exc::TypeError, "can only concatenate str (not \"{}\") to str",
                      type_name(b));
    }
    return str_concat(as_str(a), as_str(b));
}

Ref str_repeat(Str* s, int64_t n) {
    if (n <= 0 || s->nbytes == 0) return Ref::borrow(Value::object(empty_str()));
    if (n == 1 && s->type == &str_type) return Ref::borrow(Value::object(s));
    int64_t total;
    if (__builtin_mul_overflow(s->nbytes, n, &total))
        return raise(&exc::OverflowError, "repeated string is too long");
    if (total > kMaxStrBytes) return raise_no_memory();
    RefT<Str> r = new_str_uninit(total);
    if (!r) return nullptr;
    char* p = r->data;
    if (s->nbytes == 1) {
        std::memset(p, s->data[0], static_cast<size_t>(total));
    } else {
        // doubling copy
        std::memcpy(p, s->data, static_cast<size_t>(s->nbytes));
        int64_t done = s->nbytes;
        while (done < total) {
            int64_t chunk = std::min(done, total - done);
            std::memcpy(p + done, p, static_cast<size_t>(chunk));
            done += chunk;
        }
    }
    r->length = s->length * n;
    r->ascii = s->ascii;
    return r;
}

Ref str_mul_slot(Value a, Value b) {
    Value s, n;
    if (is_str(a)) {
        s = a;
        n = b;
    } else if (is_str(b)) {
        s = b;
        n = a;
    } else {
        return Ref::not_implemented();
    }
    if (is_int(n)) return str_repeat(as_str(s), int_as_i64(n));
    Type* nt = type_of(n);
    if (nt->index) {
        int64_t count;
        if (!index_value(n, &count)) return nullptr;
        return str_repeat(as_str(s), count);
    }
    if (s.is(a) && type_has(nt, kHeapType) && nt->binary[static_cast<int>(BinOp::kMul)])
        return Ref::not_implemented();
    return raisef(&exc::TypeError, "can't multiply sequence by non-int of type '{}'",
                  type_name(n));
}

Ref str_mod_slot(Value a, Value b) {
    if (!is_str(a)) return Ref::not_implemented();
    return str_percent_format(as_str(a), b);
}

int64_t str_len_slot(Value v) { return as_str(v)->length; }

Ref str_slice(Str* s, Slice* sl) {
    int64_t start, stop, step, n;
    if (!slice_indices(sl, s->length, &start, &stop, &step, &n)) return nullptr;
    if (n <= 0) return Ref::borrow(Value::object(empty_str()));
    if (step == 1) {
        if (n == s->length && s->type == &str_type) return Ref::borrow(Value::object(s));
        int64_t b0 = str_byte_offset(s, start);
        int64_t b1 = s->ascii ? stop : b0 + (str_byte_offset(s, stop) - b0);
        return new_str(std::string_view(s->data + b0, static_cast<size_t>(b1 - b0)));
    }
    if (s->ascii) {
        RefT<Str> r = new_str_uninit(n);
        if (!r) return nullptr;
        for (int64_t i = 0, j = start; i < n; ++i, j += step) r->data[i] = s->data[j];
        r->length = n;
        r->ascii = true;
        return r;
    }
    // Non-ASCII: collect the byte offsets of every code point once.
    std::vector<int64_t> offs;
    offs.reserve(static_cast<size_t>(s->length) + 1);
    for (int64_t i = 0; i < s->nbytes; ++i)
        if ((static_cast<unsigned char>(s->data[i]) & 0xC0) != 0x80) offs.push_back(i);
    offs.push_back(s->nbytes);
    std::string out;
    for (int64_t i = 0, j = start; i < n; ++i, j += step) {
        auto k = static_cast<size_t>(j);
        out.append(s->data + offs[k], static_cast<size_t>(offs[k + 1] - offs[k]));
    }
    return new_str(out);
}

Ref str_getitem_slot(Value self, Value key) {
    Str* s = as_str(self);
    if (key.is_small_int()) {
        int64_t i = key.as_small_int();
        if (i < 0) i += s->length;
        if (i < 0 || i >= s->length) return raise(&exc::IndexError, "string index out of range");
        return str_char_at(s, i);
    }
    if (key.is_object() && key.as_object()->type == &slice_type)
        return str_slice(s, key.as<Slice>());
    Type* kt = type_of(key);
    if (kt->index || is_int(key)) {
        int64_t i;
        if (!index_value(key, &i)) return nullptr;
        if (i < 0) i += s->length;
        if (i < 0 || i >= s->length) return raise(&exc::IndexError, "string index out of range");
        return str_char_at(s, i);
    }
    return raisef(&exc::TypeError, "string indices must be integers, not '{}'", type_name(key));
}

int str_contains_slot(Value self, Value item) {
    if (!is_str(item)) {
        (void)raisef(&exc::TypeError, "'in <string>' requires string as left operand, not {}",
               type_name(item));
        return -1;
    }
    Str* s = as_str(self);
    Str* sub = as_str(item);
    return s->view().find(sub->view()) != std::string_view::npos ? 1 : 0;
}

int str_truth_slot(Value v) { return as_str(v)->nbytes != 0 ? 1 : 0; }

// --- iterator ------------------------------------------------------------------------------

struct StrIter : Object {
    Str* s;       // owned; null when exhausted
    int64_t pos;  // byte offset
};

void str_iter_dealloc(Object* o) {
    auto* it = static_cast<StrIter*>(o);
    if (it->s) decref(it->s);
    object_free(o, sizeof(StrIter));
}

Ref str_iter_slot(Value v) {
    StrIter* it = new_object<StrIter>(&str_iterator_type, 0);
    if (!it) return nullptr;
    it->s = as_str(v);
    incref(it->s);
    it->pos = 0;
    return Ref::steal(it);
}

Ref str_iter_next(Value v) {
    auto* it = v.as<StrIter>();
    Str* s = it->s;
    if (!s) return nullptr;
    if (it->pos >= s->nbytes) {
        it->s = nullptr;
        decref(s);
        return nullptr;
    }
    const char* p = s->data + it->pos;
    uint32_t cp = text::utf8_decode(p);
    it->pos = p - s->data;
    return str_from_codepoint(cp);
}

Ref str_iter_self(Value v) { return Ref::borrow(v); }

Ref str_iter_length_hint(Value self, CallArgs a) {
    auto* it = self.as<StrIter>();
    if (!it->s) return Ref::steal(Value::small_int(0));
    Str* s = it->s;
    int64_t left = s->ascii ? s->nbytes - it->pos
                            : text::utf8_count(std::string_view(s->data + it->pos,
                                                                  static_cast<size_t>(s->nbytes - it->pos)));
    return make_int(left);
}

const MethodDef str_iter_methods[] = {
    {"__length_hint__", str_iter_length_hint},
    {nullptr, nullptr},
};

// str(object='', encoding='utf-8', errors='strict')
Ref str_new(Type* type, CallArgs a) {
    Value obj = Value::null(), encoding = Value::null(), errors = Value::null();
    if (a.npos > 3)
        return raisef(&exc::TypeError, "str() takes at most 3 arguments ({} given)", a.npos);
    if (a.npos >= 1) obj = a.args[0];
    if (a.npos >= 2) encoding = a.args[1];
    if (a.npos >= 3) errors = a.args[2];
    for (size_t k = 0; k < a.nkw(); ++k) {
        std::string_view name = a.kwnames->items[k].as<Str>()->view();
        Value v = a.args[a.npos + k];
        Value* slot = name == "object" ? &obj : name == "encoding" ? &encoding
                    : name == "errors" ? &errors : nullptr;
        if (!slot)
            return raisef(&exc::TypeError, "'{}' is an invalid keyword argument for str()", name);
        if (!slot->is_null())
            return raisef(&exc::TypeError, "argument for str() given by name ('{}') and position", name);
        *slot = v;
    }
    Ref result;
    if (obj.is_null()) {
        result = Ref::borrow(Value::object(empty_str()));
    } else if (encoding.is_null() && errors.is_null()) {
        result = str(obj);
    } else {
        std::string_view enc = "utf-8", err = "strict";
        if (!encoding.is_null()) {
            if (!is_str(encoding))
                return raisef(&exc::TypeError, "str() argument 'encoding' must be str, not {}",
                              type_name(encoding));
            enc = as_str(encoding)->view();
        }
        if (!errors.is_null()) {
            if (!is_str(errors))
                return raisef(&exc::TypeError, "str() argument 'errors' must be str, not {}",
                              type_name(errors));
            err = as_str(errors)->view();
        }
        if (!is_bytes_like(obj)) {
            if (is_str(obj)) return raise(&exc::TypeError, "decoding str is not supported");
            return raisef(&exc::TypeError, "decoding to str: need a bytes-like object, {} found",
                          type_name(obj));
        }
        Ref data = bytes_from_object(obj);
        if (!data) return nullptr;
        result = bytes_decode(bytes_view(data.get()), enc, err);
    }
    if (!result || type == &str_type) return result;
    // A subclass of str: copy the text into an instance of `type`.
    Str* src = as_str(result.get());
    Str* s = new_object<Str>(type, static_cast<size_t>(src->nbytes));
    if (!s) return nullptr;
    s->length = src->length;
    s->nbytes = src->nbytes;
    s->hash = -1;
    s->ascii = src->ascii;
    std::memcpy(s->data, src->data, static_cast<size_t>(src->nbytes) + 1);
    return Ref::steal(s);
}

}  // namespace

// --- construction ----------------------------------------------------------------------------

RefT<Str> new_str_uninit(int64_t nbytes) {
    if (nbytes > kMaxStrBytes) {
        (void)raise_no_memory();
        return nullptr;
    }
    Str* s = new_object<Str>(&str_type, static_cast<size_t>(nbytes));
    if (!s) return nullptr;
    s->nbytes = nbytes;
    s->length = nbytes;
    s->hash = -1;
    s->ascii = true;
    s->interned = false;
    s->index = nullptr;
    s->data[nbytes] = '\0';
    return RefT<Str>::steal(s);
}

void str_finish(Str* s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s->data);
    int64_t n = s->nbytes, cont = 0;
    bool ascii = true;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        std::memcpy(&w, p + i, 8);
        if (w & 0x8080808080808080ULL) {
            ascii = false;
            break;
        }
    }
    if (ascii) {
        for (; i < n; ++i)
            if (p[i] & 0x80) {
                ascii = false;
                break;
            }
    }
    if (!ascii) {
        for (int64_t j = 0; j < n; ++j)
            if ((p[j] & 0xC0) == 0x80) ++cont;
    }
    s->ascii = ascii;
    s->length = n - cont;
    s->data[n] = '\0';
    s->hash = -1;
}

RefT<Str> new_str(std::string_view utf8) {
    if (utf8.empty() && g_empty) return RefT<Str>::borrow(g_empty);
    if (utf8.size() == 1) {
        auto c = static_cast<unsigned char>(utf8[0]);
        if (c < 0x80 && g_chars[c]) return RefT<Str>::borrow(g_chars[c]);
    }
    RefT<Str> s = new_str_uninit(static_cast<int64_t>(utf8.size()));
    if (!s) return nullptr;
    std::memcpy(s->data, utf8.data(), utf8.size());
    str_finish(s.get());
    return s;
}

int64_t str_hash(Str* s) {
    if (s->hash != -1) return s->hash;
    auto h = static_cast<int64_t>(hash_bytes(s->data, static_cast<size_t>(s->nbytes)));
    if (h == -1) h = -2;
    s->hash = h;
    return h;
}

Ref str_concat(Str* a, Str* b) {
    if (b->nbytes == 0 && a->type == &str_type) return Ref::borrow(Value::object(a));
    if (a->nbytes == 0 && b->type == &str_type) return Ref::borrow(Value::object(b));
    int64_t total = a->nbytes + b->nbytes;
    RefT<Str> r = new_str_uninit(total);
    if (!r) return nullptr;
    std::memcpy(r->data, a->data, static_cast<size_t>(a->nbytes));
    std::memcpy(r->data + a->nbytes, b->data, static_cast<size_t>(b->nbytes));
    r->length = a->length + b->length;
    r->ascii = a->ascii && b->ascii;
    return r;
}

Str* empty_str() { return g_empty; }

Ref str_from_codepoint(uint32_t cp) {
    if (cp < 256 && g_chars[cp]) return Ref::borrow(Value::object(g_chars[cp]));
    std::string buf;
    text::utf8_append(buf, cp);
    return new_str(buf);
}

Ref str_exact(Str* s) {
    if (s->type == &str_type) return Ref::borrow(Value::object(s));
    return new_str(s->view());
}

namespace {
constexpr int kIndexStride = 32;

// Walks forward from byte offset b (at a code point start) over n code points.
inline int64_t walk_forward(const unsigned char* p, int64_t b, int64_t n) {
    while (n > 0) {
        unsigned char c = p[b];
        b += c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        --n;
    }
    return b;
}
}  // namespace

int64_t str_byte_offset(Str* s, int64_t i) {
    if (s->ascii) return i;
    if (i <= 0) return 0;
    if (i >= s->length) return s->nbytes;
    const auto* p = reinterpret_cast<const unsigned char*>(s->data);
    if (s->length < 2 * kIndexStride || s->immortal()) {
        if (i <= s->length / 2) return walk_forward(p, 0, i);
        // closer to the end: walk backwards over the last (length - i) code points
        int64_t b = s->nbytes, n = s->length - i;
        while (n > 0) {
            --b;
            if ((p[b] & 0xC0) != 0x80) --n;
        }
        return b;
    }
    if (!s->index) {
        int64_t entries = s->length / kIndexStride + 1;
        auto* idx = new (std::nothrow) int64_t[static_cast<size_t>(entries)];
        if (!idx) return walk_forward(p, 0, i);
        int64_t b = 0;
        for (int64_t k = 0; k < entries; ++k) {
            idx[k] = b;
            if (k + 1 < entries) b = walk_forward(p, b, kIndexStride);
        }
        s->index = idx;
    }
    return walk_forward(p, s->index[i / kIndexStride], i % kIndexStride);
}

Ref str_char_at(Str* s, int64_t i) {
    if (s->ascii) return Ref::borrow(Value::object(g_chars[static_cast<unsigned char>(s->data[i])]));
    const char* p = s->data + str_byte_offset(s, i);
    return str_from_codepoint(text::utf8_decode(p));
}

Ref builtin_chr(Value v) {
    int64_t i;
    if (!is_int(v)) {
        if (v.is_double())
            return raisef(&exc::TypeError, "'float' object cannot be interpreted as an integer");
        if (!index_value(v, &i)) return nullptr;
    } else {
        i = int_as_i64(v);
    }
    if (i < 0 || i > 0x10FFFF) return raise(&exc::ValueError, "chr() arg not in range(0x110000)");
    return str_from_codepoint(static_cast<uint32_t>(i));
}

Ref builtin_ord(Value c) {
    if (is_str(c)) {
        Str* s = as_str(c);
        if (s->length != 1)
            return raisef(&exc::TypeError,
                          "ord() expected a character, but string of length {} found", s->length);
        const char* p = s->data;
        return make_int(text::utf8_decode(p));
    }
    if (is_bytes_like(c)) {
        Ref data = bytes_from_object(c);
        if (!data) return nullptr;
        std::string_view b = bytes_view(data.get());
        if (b.size() != 1)
            return raisef(&exc::TypeError,
                          "ord() expected a character, but string of length {} found", b.size());
        return make_int(static_cast<unsigned char>(b[0]));
    }
    return raisef(&exc::TypeError, "ord() expected string of length 1, but {} found",
                  type_name(c));
}

Ref str_join(Str* sep, Value iterable) {
    // Fast path: a list or tuple (no iterator object, exact sizes known).
    Ref seq_holder;
    const Value* items = nullptr;
    int64_t n = 0;
    if (is_list(iterable)) {
        items = iterable.as<List>()->items;
        n = iterable.as<List>()->size;
    } else if (is_tuple(iterable)) {
        items = iterable.as<Tuple>()->items;
        n = iterable.as<Tuple>()->size;
    } else {
        Ref it = get_iter(iterable);
        if (!it) {
            if (error_matches(&exc::TypeError)) {
                clear_error();
                return raise(&exc::TypeError, "can only join an iterable");
            }
            return nullptr;
        }
        RefT<List> l = new_list();
        if (!l) return nullptr;
        for (;;) {
            Ref x = iter_next(it.get());
            if (!x) {
                if (error_occurred()) return nullptr;
                break;
            }
            if (!list_append_steal(l.get(), x.release())) return nullptr;
        }
        items = l->items;
        n = l->size;
        seq_holder = std::move(l);
    }
    if (n == 0) return Ref::borrow(Value::object(empty_str()));
    if (n == 1 && is_exact_str(items[0])) return Ref::borrow(items[0]);
    int64_t total = 0, length = 0;
    bool ascii = sep->ascii;
    for (int64_t i = 0; i < n; ++i) {
        if (!is_str(items[i]))
            return raisef(&exc::TypeError, "sequence item {}: expected str instance, {} found", i,
                          type_name(items[i]));
        Str* s = as_str(items[i]);
        total += s->nbytes;
        length += s->length;
        ascii = ascii && s->ascii;
    }
    total += sep->nbytes * (n - 1);
    length += sep->length * (n - 1);
    RefT<Str> r = new_str_uninit(total);
    if (!r) return nullptr;
    char* p = r->data;
    for (int64_t i = 0; i < n; ++i) {
        if (i > 0 && sep->nbytes) {
            std::memcpy(p, sep->data, static_cast<size_t>(sep->nbytes));
            p += sep->nbytes;
        }
        Str* s = as_str(items[i]);
        std::memcpy(p, s->data, static_cast<size_t>(s->nbytes));
        p += s->nbytes;
    }
    r->length = length;
    r->ascii = ascii;
    return r;
}

// --- repr ------------------------------------------------------------------------------------

namespace text {

int64_t utf8_count(std::string_view s) {
    int64_t n = 0;
    for (char c : s)
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
    return n;
}

int64_t utf8_validate(std::string_view s, const char** reason, int64_t* errend) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    int64_t n = static_cast<int64_t>(s.size());
    int64_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        int len;
        uint32_t min;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            min = 0x10000;
        } else {
            *reason = "invalid start byte";
            *errend = i + 1;
            return i;
        }
        uint32_t cp = c & (0xFF >> (len + 1));
        for (int k = 1; k < len; ++k) {
            if (i + k >= n) {
                *reason = "unexpected end of data";
                *errend = n;
                return i;
            }
            unsigned char cc = p[i + k];
            bool ok = (cc & 0xC0) == 0x80;
            // CPython reports the second byte as invalid for overlongs/surrogates/too large.
            if (ok && k == 1) {
                if (c == 0xE0 && cc < 0xA0) ok = false;
                if (c == 0xED && cc >= 0xA0) ok = false;
                if (c == 0xF0 && cc < 0x90) ok = false;
                if (c == 0xF4 && cc >= 0x90) ok = false;
            }
            if (!ok) {
                *reason = "invalid continuation byte";
                *errend = i + k;
                return i;
            }
            cp = (cp << 6) | (cc & 0x3F);
        }
        (void)min;
        i += len;
    }
    return -1;
}

std::string str_repr_utf8(std::string_view s) {
    bool has_single = s.find('\'') != std::string_view::npos;
    bool has_double = s.find('"') != std::string_view::npos;
    char quote = (has_single && !has_double) ? '"' : '\'';
    std::string out;
    out.reserve(s.size() + 2);
    out += quote;
    const char* p = s.data();
    const char* end = p + s.size();
    while (p < end) {
        auto c = static_cast<unsigned char>(*p);
        if (c < 0x80) {
            ++p;
            if (c == static_cast<unsigned char>(quote) || c == '\\') {
                out += '\\';
                out += static_cast<char>(c);
            } else if (c == '\t') {
                out += "\\t";
            } else if (c == '\n') {
                out += "\\n";
            } else if (c == '\r') {
                out += "\\r";
            } else if (c < 0x20 || c == 0x7F) {
                out += fmt::format("\\x{:02x}", c);
            } else {
                out += static_cast<char>(c);
            }
            continue;
        }
        const char* start = p;
        uint32_t cp = utf8_decode(p);
        if (uni_isprintable(cp)) {
            out.append(start, static_cast<size_t>(p - start));
        } else if (cp <= 0xFF) {
            out += fmt::format("\\x{:02x}", cp);
        } else if (cp <= 0xFFFF) {
            out += fmt::format("\\u{:04x}", cp);
        } else {
            out += fmt::format("\\U{:08x}", cp);
        }
    }
    out += quote;
    return out;
}

}  // namespace text

Ref str_repr(Str* s) { return new_str(text::str_repr_utf8(s->view())); }

std::string ascii_escape(std::string_view utf8) {
    std::string out;
    out.reserve(utf8.size());
    const char* p = utf8.data();
    const char* end = p + utf8.size();
    while (p < end) {
        if (static_cast<unsigned char>(*p) < 0x80) {
            out += *p++;
            continue;
        }
        uint32_t cp = text::utf8_decode(p);
        if (cp <= 0xFF) out += fmt::format("\\x{:02x}", cp);
        else if (cp <= 0xFFFF) out += fmt::format("\\u{:04x}", cp);
        else out += fmt::format("\\U{:08x}", cp);
    }
    return out;
}

Ref str_ascii_repr(Str* s) {
    return new_str(ascii_escape(text::str_repr_utf8(s->view())));
}

void init_str_type() {
    str_type.name = "str";
    str_type.basic_size = sizeof(Str);
    str_type.flags = kBaseType | kImmutableType | kStrSubclass;
    str_type.methods = text::str_method_table;
    str_type.dealloc = str_dealloc;
    str_type.repr = str_repr_slot;
    str_type.str = str_str_slot;
    str_type.hash = str_hash_slot;
    str_type.compare = str_compare;
    str_type.binary[static_cast<int>(BinOp::kAdd)] = str_add_slot;
    str_type.binary[static_cast<int>(BinOp::kMul)] = str_mul_slot;
    str_type.binary[static_cast<int>(BinOp::kMod)] = str_mod_slot;
    str_type.len = str_len_slot;
    str_type.truth = str_truth_slot;
    str_type.getitem = str_getitem_slot;
    str_type.iter = str_iter_slot;
    str_type.contains = str_contains_slot;
    str_type.new_ = str_new;

    // The empty string and the Latin-1 one-character strings: interned, immortal.
    g_empty = intern("");
    for (uint32_t c = 0; c < 256; ++c) {
        std::string buf;
        text::utf8_append(buf, c);
        g_chars[c] = intern(buf);
    }
    type_ready(&str_type, &object_type);

    str_iterator_type.name = "str_ascii_iterator";
    str_iterator_type.basic_size = sizeof(StrIter);
    str_iterator_type.flags = kImmutableType;
    str_iterator_type.methods = str_iter_methods;
    str_iterator_type.dealloc = str_iter_dealloc;
    str_iterator_type.iter = str_iter_self;
    str_iterator_type.next = str_iter_next;
    type_ready(&str_iterator_type, &object_type);
}

}  // namespace toy
