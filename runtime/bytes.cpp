// bytes.cpp: the bytes type and the text codecs (utf-8, ascii, latin-1) used by
// str.encode, bytes.decode and str(b, encoding).
#include "runtime/bytes.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "runtime/abstract.h"
#include "runtime/errors.h"
#include "runtime/format.h"
#include "runtime/int.h"
#include "runtime/list.h"
#include "runtime/misc_types.h"
#include "runtime/native_function.h"
#include "runtime/str.h"
#include "runtime/text_internal.h"
#include "runtime/tuple.h"

namespace toy {

Type bytes_type;
Type bytes_iterator_type;

namespace {

Bytes* g_empty_bytes = nullptr;
Bytes* g_byte_chars[256];
constexpr int64_t kMaxBytes = int64_t{1} << 34;

inline Bytes* as_bytes(Value v) { return v.as<Bytes>(); }

void bytes_dealloc(Object* o) {
    object_free(o, sizeof(Bytes) + static_cast<size_t>(static_cast<Bytes*>(o)->size));
}

Ref bytes_repr_slot(Value v) { return new_str(bytes_repr_raw(as_bytes(v)->view())); }

bool bytes_hash_slot(Value v, int64_t* out) {
    *out = bytes_hash(as_bytes(v));
    return true;
}

}  // namespace
namespace text {
Ref bytes_compare(Value a, Value b, CmpOp op) {
    if (!is_bytes_like(a) || !is_bytes_like(b)) return Ref::not_implemented();
    std::string_view x = buffer_view(a), y = buffer_view(b);
    int c = x.compare(y);
    switch (op) {
        case CmpOp::kLt: return Ref::boolean(c < 0);
        case CmpOp::kLe: return Ref::boolean(c <= 0);
        case CmpOp::kEq: return Ref::boolean(c == 0);
        case CmpOp::kNe: return Ref::boolean(c != 0);
        case CmpOp::kGt: return Ref::boolean(c > 0);
        case CmpOp::kGe: return Ref::boolean(c >= 0);
    }
    return Ref::not_implemented();
}
}  // namespace text
namespace {
using text::bytes_compare;

Ref bytes_add(Value a, Value b) {
    if (!is_bytes(a)) return Ref::not_implemented();
    if (!is_bytes_like(b)) {
        Type* bt = type_of(b);
        if (type_has(bt, kHeapType) && bt->binary[static_cast<int>(BinOp::kAdd)])
            return Ref::not_implemented();
        return raisef(&exc::TypeError, "can't concat {} to bytes", type_name(b));
    }
    Ref other = bytes_from_object(b);
    if (!other) return nullptr;
    std::string_view x = bytes_view(a), y = bytes_view(other.get());
    RefT<Bytes> r = new_bytes_uninit(static_cast<int64_t>(x.size() + y.size()));
    if (!r) return nullptr;
    std::memcpy(r->data, x.data(), x.size());
    std::memcpy(r->data + x.size(), y.data(), y.size());
    return r;
}

Ref bytes_mul(Value a, Value b) {
    Value s, n;
    if (is_bytes(a)) {
        s = a;
        n = b;
    } else if (is_bytes(b)) {
        s = b;
        n = a;
    } else {
        return Ref::not_implemented();
    }
    int64_t count;
    if (!is_int(n) && !type_of(n)->index) {
        if (s.is(a) && type_has(type_of(n), kHeapType)) return Ref::not_implemented();
        return raisef(&exc::TypeError, "can't multiply sequence by non-int of type '{}'",
                      type_name(n));
    }
    if (!index_value(n, &count)) return nullptr;
    std::string_view x = bytes_view(s);
    if (count <= 0 || x.empty()) return new_bytes("");
    int64_t total;
    if (__builtin_mul_overflow(static_cast<int64_t>(x.size()), count, &total))
        return raise(&exc::OverflowError, "repeated bytes are too long");
    RefT<Bytes> r = new_bytes_uninit(total);
    if (!r) return nullptr;
    for (int64_t i = 0; i < count; ++i)
        std::memcpy(r->data + i * static_cast<int64_t>(x.size()), x.data(), x.size());
    return r;
}

int64_t bytes_len(Value v) { return as_bytes(v)->size; }

Ref bytes_mod(Value a, Value b) {
    if (!is_bytes(a)) return Ref::not_implemented();
    return bytes_percent_format(bytes_view(a), b);
}

Ref bytes_getitem(Value self, Value key) {
    Bytes* b = as_bytes(self);
    if (key.is_object() && key.as_object()->type == &slice_type) {
        int64_t start, stop, step, n;
        if (!slice_indices(key.as<Slice>(), b->size, &start, &stop, &step, &n)) return nullptr;
        if (n <= 0) return new_bytes("");
        if (step == 1) return new_bytes(std::string_view(b->data + start, static_cast<size_t>(n)));
        RefT<Bytes> r = new_bytes_uninit(n);
        if (!r) return nullptr;
        for (int64_t i = 0, j = start; i < n; ++i, j += step) r->data[i] = b->data[j];
        return r;
    }
    if (!is_int(key) && !type_of(key)->index)
        return raisef(&exc::TypeError, "byte indices must be integers or slices, not {}",
                      type_name(key));
    int64_t i;
    if (!index_value(key, &i)) return nullptr;
    if (i < 0) i += b->size;
    if (i < 0 || i >= b->size) return raise(&exc::IndexError, "index out of range");
    return Ref::steal(Value::small_int(static_cast<unsigned char>(b->data[i])));
}

int bytes_contains(Value self, Value item) {
    std::string_view s = bytes_view(self);
    if (is_int(item) || (!is_bytes_like(item) && type_of(item)->index)) {
        int64_t v;
        if (!index_value(item, &v)) return -1;
        if (v < 0 || v > 255) {
            (void)raise(&exc::ValueError, "byte must be in range(0, 256)");
            return -1;
        }
        return s.find(static_cast<char>(v)) != std::string_view::npos ? 1 : 0;
    }
    if (!is_bytes_like(item)) {
        (void)raisef(&exc::TypeError, "a bytes-like object is required, not '{}'", type_name(item));
        return -1;
    }
    Ref o = bytes_from_object(item);
    if (!o) return -1;
    return s.find(bytes_view(o.get())) != std::string_view::npos ? 1 : 0;
}

// --- iterator --------------------------------------------------------------------------------

struct BytesIter : Object {
    Bytes* b;  // owned; null when exhausted
    int64_t pos;
};

void bytes_iter_dealloc(Object* o) {
    auto* it = static_cast<BytesIter*>(o);
    if (it->b) decref(it->b);
    object_free(o, sizeof(BytesIter));
}
Ref bytes_iter(Value v) {
    BytesIter* it = new_object<BytesIter>(&bytes_iterator_type, 0);
    if (!it) return nullptr;
    it->b = as_bytes(v);
    incref(it->b);
    it->pos = 0;
    return Ref::steal(it);
}
Ref bytes_iter_next(Value v) {
    auto* it = v.as<BytesIter>();
    if (!it->b) return nullptr;
    if (it->pos >= it->b->size) {
        Bytes* b = it->b;
        it->b = nullptr;
        decref(b);
        return nullptr;
    }
    return Ref::steal(Value::small_int(static_cast<unsigned char>(it->b->data[it->pos++])));
}
Ref iter_self(Value v) { return Ref::borrow(v); }

// --- codecs ----------------------------------------------------------------------------------

enum class Codec { kUtf8, kAscii, kLatin1, kUnknown };

Codec lookup_codec(std::string_view name) {
    std::string n;
    for (char c : name) {
        char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        n += (l == '_' || l == ' ') ? '-' : l;
    }
    if (n == "utf-8" || n == "utf8" || n == "u8" || n == "utf" || n == "cp65001") return Codec::kUtf8;
    if (n == "ascii" || n == "us-ascii" || n == "646" || n == "us") return Codec::kAscii;
    if (n == "latin-1" || n == "latin1" || n == "iso-8859-1" || n == "iso8859-1" || n == "l1" ||
        n == "8859" || n == "cp819" || n == "latin" || n == "iso-ir-100")
        return Codec::kLatin1;
    return Codec::kUnknown;
}
const char* codec_name(Codec c) {
    return c == Codec::kUtf8 ? "utf-8" : c == Codec::kAscii ? "ascii" : "latin-1";
}

std::string char_escape(uint32_t cp) {
    if (cp <= 0xFF) return fmt::format("\\x{:02x}", cp);
    if (cp <= 0xFFFF) return fmt::format("\\u{:04x}", cp);
    return fmt::format("\\U{:08x}", cp);
}

enum class ErrMode { kStrict, kIgnore, kReplace, kBackslash, kSurrogateEscape, kXmlRef, kBad };
ErrMode lookup_errors(std::string_view e) {
    if (e == "strict") return ErrMode::kStrict;
    if (e == "ignore") return ErrMode::kIgnore;
    if (e == "replace") return ErrMode::kReplace;
    if (e == "backslashreplace") return ErrMode::kBackslash;
    if (e == "surrogateescape") return ErrMode::kSurrogateEscape;
    if (e == "xmlcharrefreplace") return ErrMode::kXmlRef;
    return ErrMode::kBad;
}

// Raises UnicodeDecodeError/UnicodeEncodeError(encoding, object, start, end, reason).
Ref raise_unicode_error(Type* t, const char* encoding, Value obj, int64_t start, int64_t end,
                        std::string_view reason) {
    Ref enc = new_str(encoding);
    Ref why = new_str(reason);
    Ref s = make_int(start);
    Ref e = make_int(end);
    if (!enc || !why || !s || !e) return nullptr;
    Ref ex = call(Value::object(t), {enc.get(), obj, s.get(), e.get(), why.get()});
    if (!ex) return nullptr;
    return raise_value(ex.get());
}

}  // namespace

Ref bytes_decode(std::string_view data, std::string_view encoding, std::string_view errors) {
    Codec codec = lookup_codec(encoding);
    if (codec == Codec::kUnknown) return raisef(&exc::LookupError, "unknown encoding: {}", encoding);
    ErrMode mode = lookup_errors(errors);
    if (mode == ErrMode::kBad || mode == ErrMode::kXmlRef)
        mode = ErrMode::kStrict;  // CPython raises only when an error handler is needed
    std::string out;
    auto handle = [&](size_t start, size_t end, const char* reason) -> bool {
        switch (mode) {
            case ErrMode::kIgnore: return true;
            case ErrMode::kReplace: out += "\xEF\xBF\xBD"; return true;
            case ErrMode::kBackslash:
                for (size_t k = start; k < end; ++k)
                    out += fmt::format("\\x{:02x}", static_cast<unsigned char>(data[k]));
                return true;
            case ErrMode::kSurrogateEscape:
                for (size_t k = start; k < end; ++k)
                    text::utf8_append(out, 0xDC00 + static_cast<unsigned char>(data[k]));
                return true;
            default: {
                Ref obj = new_bytes(data);
                if (obj)
                    (void)raise_unicode_error(&exc::UnicodeDecodeError, codec_name(codec),
                                              obj.get(), static_cast<int64_t>(start),
                                              static_cast<int64_t>(end), reason);
                return false;
            }
        }
    };
    switch (codec) {
        case Codec::kUtf8: {
            std::string_view rest = data;
            size_t base = 0;
            for (;;) {
                const char* reason;
                int64_t errend;
                int64_t bad = text::utf8_validate(rest, &reason, &errend);
                if (bad < 0) {
                    if (base == 0) return new_str(data);
                    out.append(rest);
                    break;
                }
                out.append(rest.substr(0, static_cast<size_t>(bad)));
                size_t start = base + static_cast<size_t>(bad), end = base + static_cast<size_t>(errend);
                if (!handle(start, end, reason)) return nullptr;
                rest = data.substr(end);
                base = end;
            }
            break;
        }
        case Codec::kAscii:
            for (size_t i = 0; i < data.size(); ++i) {
                auto c = static_cast<unsigned char>(data[i]);
                if (c < 0x80) out += static_cast<char>(c);
                else if (!handle(i, i + 1, "ordinal not in range(128)")) return nullptr;
            }
            break;
        case Codec::kLatin1:
            for (char c : data) text::utf8_append(out, static_cast<unsigned char>(c));
            break;
        default:
            break;
    }
    return new_str(out);
}

Ref str_encode(Str* s, std::string_view encoding, std::string_view errors) {
    Codec codec = lookup_codec(encoding);
    if (codec == Codec::kUnknown) return raisef(&exc::LookupError, "unknown encoding: {}", encoding);
    if (s->ascii) return new_bytes(s->view());
    ErrMode mode = lookup_errors(errors);
    uint32_t limit = codec == Codec::kAscii ? 0x80 : codec == Codec::kLatin1 ? 0x100 : 0x110000;
    const char* reason = codec == Codec::kAscii ? "ordinal not in range(128)"
                       : codec == Codec::kLatin1 ? "ordinal not in range(256)"
                                                 : "surrogates not allowed";
    std::string out;
    const char* p = s->data;
    const char* end = p + s->nbytes;
    int64_t index = 0;
    while (p < end) {
        const char* start = p;
        uint32_t cp = text::utf8_decode(p);
        bool bad = codec == Codec::kUtf8 ? (cp >= 0xD800 && cp <= 0xDFFF) : cp >= limit;
        if (!bad) {
            if (codec == Codec::kUtf8) out.append(start, static_cast<size_t>(p - start));
            else out += static_cast<char>(cp);
            ++index;
            continue;
        }
        // The run of unencodable characters (CPython reports it as a whole).
        const char* run_end = p;
        int64_t run_n = 1;
        while (run_end < end) {
            const char* q = run_end;
            uint32_t c2 = text::utf8_decode(q);
            bool bad2 = codec == Codec::kUtf8 ? (c2 >= 0xD800 && c2 <= 0xDFFF) : c2 >= limit;
            if (!bad2) break;
            run_end = q;
            ++run_n;
        }
        switch (mode) {
            case ErrMode::kIgnore: break;
            case ErrMode::kReplace:
                for (int64_t k = 0; k < run_n; ++k) out += '?';
                break;
            case ErrMode::kBackslash:
            case ErrMode::kXmlRef:
            case ErrMode::kSurrogateEscape: {
                const char* q = start;
                while (q < run_end) {
                    uint32_t c2 = text::utf8_decode(q);
                    if (mode == ErrMode::kBackslash) out += char_escape(c2);
                    else if (mode == ErrMode::kXmlRef) out += fmt::format("&#{};", c2);
                    else if (c2 >= 0xDC80 && c2 <= 0xDCFF) out += static_cast<char>(c2 - 0xDC00);
                    else {
                        return raise_unicode_error(&exc::UnicodeEncodeError, codec_name(codec),
                                                   Value::object(s), index, index + 1, reason);
                    }
                }
                break;
            }
            default:
                return raise_unicode_error(&exc::UnicodeEncodeError, codec_name(codec),
                                           Value::object(s), index, index + run_n, reason);
        }
        index += run_n;
        p = run_end;
    }
    return new_bytes(out);
}

// --- public helpers --------------------------------------------------------------------------

RefT<Bytes> new_bytes_uninit(int64_t n) {
    if (n > kMaxBytes) {
        (void)raise_no_memory();
        return nullptr;
    }
    Bytes* b = new_object<Bytes>(&bytes_type, static_cast<size_t>(n));
    if (!b) return nullptr;
    b->size = n;
    b->hash = -1;
    b->data[n] = '\0';
    return RefT<Bytes>::steal(b);
}

RefT<Bytes> new_bytes(std::string_view data) {
    if (data.empty() && g_empty_bytes) return RefT<Bytes>::borrow(g_empty_bytes);
    if (data.size() == 1 && g_byte_chars[static_cast<unsigned char>(data[0])])
        return RefT<Bytes>::borrow(g_byte_chars[static_cast<unsigned char>(data[0])]);
    RefT<Bytes> b = new_bytes_uninit(static_cast<int64_t>(data.size()));
    if (!b) return nullptr;
    std::memcpy(b->data, data.data(), data.size());
    return b;
}

bool is_bytes_like(Value v) { return is_bytes(v) || is_bytearray(v); }

Ref bytes_from_object(Value v) {
    if (is_bytes(v)) return Ref::borrow(v);
    if (is_bytearray(v)) return new_bytes(buffer_view(v));
    return raisef(&exc::TypeError, "a bytes-like object is required, not '{}'", type_name(v));
}

std::string bytes_repr_raw(std::string_view data) {
    bool has_single = data.find('\'') != std::string_view::npos;
    bool has_double = data.find('"') != std::string_view::npos;
    char quote = (has_single && !has_double) ? '"' : '\'';
    std::string out = "b";
    out += quote;
    for (char ch : data) {
        auto c = static_cast<unsigned char>(ch);
        if (c == static_cast<unsigned char>(quote) || c == '\\') {
            out += '\\';
            out += ch;
        } else if (c == '\t') {
            out += "\\t";
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c < 0x20 || c >= 0x7F) {
            out += fmt::format("\\x{:02x}", c);
        } else {
            out += ch;
        }
    }
    out += quote;
    return out;
}

int64_t bytes_hash(Bytes* b) {
    if (b->hash != -1) return b->hash;
    // FNV-1a 64; hash(bytes) need not match hash(str) here.
    uint64_t h = 0xcbf29ce484222325ULL;
    for (int64_t i = 0; i < b->size; ++i) {
        h ^= static_cast<unsigned char>(b->data[i]);
        h *= 0x100000001b3ULL;
    }
    h ^= h >> 32;
    auto r = static_cast<int64_t>(h);
    if (r == -1) r = -2;
    b->hash = r;
    return r;
}

// --- methods ---------------------------------------------------------------------------------

namespace {

// A result "like self": a bytearray for bytearray methods, else bytes (exact bytes with the
// same contents as self are shared).
Ref make_like(Value self, std::string_view data) {
    if (is_bytearray(self)) return new_bytearray(data);
    if (self.as_object()->type == &bytes_type && data.data() == bytes_view(self).data() &&
        data.size() == bytes_view(self).size())
        return Ref::borrow(self);
    return new_bytes(data);
}

bool arg_bytes(Value v, const char* what, std::string_view* out, Ref* holder) {
    if (!is_bytes_like(v)) {
        (void)raisef(&exc::TypeError, "{}a bytes-like object is required, not '{}'", what, type_name(v));
        return false;
    }
    *holder = bytes_from_object(v);
    if (!*holder) return false;
    *out = bytes_view(holder->get());
    return true;
}

bool get_opt_index(Value v, int64_t* out) {
    if (v.is_null() || v.is_none()) return true;
    if (!is_int(v) && !type_of(v)->index) {
        (void)raise(&exc::TypeError,
              "slice indices must be integers or None or have an __index__ method");
        return false;
    }
    return index_value(v, out);
}

void adjust_range(int64_t len, int64_t* start, int64_t* end) {
    if (*end > len) *end = len;
    else if (*end < 0) {
        *end += len;
        if (*end < 0) *end = 0;
    }
    if (*start < 0) {
        *start += len;
        if (*start < 0) *start = 0;
    }
}

// find/rfind/index/rindex/count: (sub[, start[, end]])
bool find_args(const char* name, CallArgs a, std::string_view* sub, Ref* holder, int64_t len,
               int64_t* start, int64_t* end, char* single) {
    if (!text::check_method_args("bytes", name, a, 1, 3)) return false;
    *start = 0;
    *end = INT64_MAX;
    if (a.npos > 1 && !get_opt_index(a.args[1], start)) return false;
    if (a.npos > 2 && !get_opt_index(a.args[2], end)) return false;
    adjust_range(len, start, end);
    Value s = a.args[0];
    if (is_int(s) || (!is_bytes_like(s) && type_of(s)->index)) {
        int64_t v;
        if (!index_value(s, &v)) return false;
        if (v < 0 || v > 255) {
            (void)raise(&exc::ValueError, "byte must be in range(0, 256)");
            return false;
        }
        *single = static_cast<char>(v);
        *sub = std::string_view(single, 1);
        return true;
    }
    if (!is_bytes_like(s)) {
        (void)raisef(&exc::TypeError, "argument should be integer or bytes-like object, not '{}'",
               type_name(s));
        return false;
    }
    *holder = bytes_from_object(s);
    if (!*holder) return false;
    *sub = bytes_view(holder->get());
    return true;
}

int64_t do_find(std::string_view s, std::string_view sub, int64_t start, int64_t end, bool reverse) {
    if (start > end || end - start < static_cast<int64_t>(sub.size())) return -1;
    std::string_view w = s.substr(static_cast<size_t>(start), static_cast<size_t>(end - start));
    size_t r = reverse ? w.rfind(sub) : w.find(sub);
    return r == std::string_view::npos ? -1 : static_cast<int64_t>(r) + start;
}

template <bool kReverse, bool kRaise> Ref bytes_find_impl(Value self, CallArgs a) {
    const char* name = kRaise ? (kReverse ? "rindex" : "index") : (kReverse ? "rfind" : "find");
    std::string_view s = buffer_view(self), sub;
    Ref holder;
    int64_t start, end;
    char single;
    if (!find_args(name, a, &sub, &holder, static_cast<int64_t>(s.size()), &start, &end, &single))
        return nullptr;
    int64_t r = do_find(s, sub, start, end, kReverse);
    if (r < 0 && kRaise) return raise(&exc::ValueError, "subsection not found");
    return make_int(r);
}

Ref bytes_count(Value self, CallArgs a) {
    std::string_view s = buffer_view(self), sub;
    Ref holder;
    int64_t start, end;
    char single;
    if (!find_args("count", a, &sub, &holder, static_cast<int64_t>(s.size()), &start, &end, &single))
        return nullptr;
    if (start > end) return make_int(0);
    std::string_view w = s.substr(static_cast<size_t>(start), static_cast<size_t>(end - start));
    if (sub.empty()) return make_int(static_cast<int64_t>(w.size()) + 1);
    int64_t count = 0;
    size_t pos = 0;
    while ((pos = w.find(sub, pos)) != std::string_view::npos) {
        ++count;
        pos += sub.size();
    }
    return make_int(count);
}

Ref bytes_decode_method(Value self, CallArgs a) {
    Value enc, err;
    Value vals[2];
    if (!parse_args("decode", a, 0, 2, {"encoding", "errors"}, vals)) return nullptr;
    enc = vals[0];
    err = vals[1];
    std::string_view e = "utf-8", r = "strict";
    if (!enc.is_null()) {
        if (!is_str(enc))
            return raisef(&exc::TypeError, "decode() argument 'encoding' must be str, not {}",
                          type_name(enc));
        e = enc.as<Str>()->view();
    }
    if (!err.is_null()) {
        if (!is_str(err))
            return raisef(&exc::TypeError, "decode() argument 'errors' must be str, not {}",
                          type_name(err));
        r = err.as<Str>()->view();
    }
    return bytes_decode(buffer_view(self), e, r);
}

Ref bytes_hex(Value self, CallArgs a) {
    Value vals[2];
    if (!parse_args("hex", a, 0, 2, {"sep", "bytes_per_sep"}, vals)) return nullptr;
    std::string_view s = buffer_view(self);
    std::string sep;
    int64_t per = 1;
    if (!vals[0].is_null()) {
        if (is_str(vals[0])) sep = std::string(vals[0].as<Str>()->view());
        else if (is_bytes(vals[0])) sep = std::string(bytes_view(vals[0]));
        else return raise(&exc::TypeError, "sep must be str or bytes.");
        if (sep.size() != 1) return raise(&exc::ValueError, "sep must be length 1.");
    }
    if (!vals[1].is_null() && !index_value(vals[1], &per)) return nullptr;
    std::string out;
    static const char* digits = "0123456789abcdef";
    size_t n = s.size();
    int64_t ap = per < 0 ? -per : per;
    for (size_t i = 0; i < n; ++i) {
        if (!sep.empty() && i > 0 && ap > 0) {
            // group from the right when per > 0, from the left when per < 0
            size_t from_left = i, from_right = n - i;
            bool boundary = per > 0 ? (from_right % static_cast<size_t>(ap) == 0)
                                    : (from_left % static_cast<size_t>(ap) == 0);
            if (boundary) out += sep;
        }
        auto c = static_cast<unsigned char>(s[i]);
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return new_str(out);
}

Ref bytes_fromhex(Value cls, CallArgs a) {
    if (!text::check_one_arg("fromhex", a)) return nullptr;
    if (!is_str(a.args[0]))
        return raisef(&exc::TypeError, "fromhex() argument must be str, not {}",
                      type_name(a.args[0]));
    std::string_view s = a.args[0].as<Str>()->view();
    std::string out;
    auto hexval = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    size_t i = 0;
    while (i < s.size()) {
        if (std::isspace(static_cast<unsigned char>(s[i]))) {
            ++i;
            continue;
        }
        int hi = hexval(s[i]);
        if (hi < 0)
            return raisef(&exc::ValueError,
                          "non-hexadecimal number found in fromhex() arg at position {}", i);
        if (i + 1 >= s.size() || hexval(s[i + 1]) < 0)
            return raisef(&exc::ValueError,
                          "non-hexadecimal number found in fromhex() arg at position {}", i + 1);
        out += static_cast<char>(hi * 16 + hexval(s[i + 1]));
        i += 2;
    }
    if (cls.is_object() && cls.as_object() == &bytearray_type) return new_bytearray(out);
    Ref b = new_bytes(out);
    if (!b) return nullptr;
    if (cls.is_object() && cls.as_object() != &bytes_type) return call(cls, {b.get()});
    return b;
}

Ref bytes_join(Value self, CallArgs a) {
    if (!text::check_one_arg("bytes.join", a)) return nullptr;
    Ref it = get_iter(a.args[0]);
    if (!it) return nullptr;
    std::string_view sep = buffer_view(self);
    std::string out;
    int64_t i = 0;
    for (;; ++i) {
        Ref x = iter_next(it.get());
        if (!x) {
            if (error_occurred()) return nullptr;
            break;
        }
        if (!is_bytes_like(x.get()))
            return raisef(&exc::TypeError,
                          "sequence item {}: expected a bytes-like object, {} found", i,
                          type_name(x.get()));
        if (i > 0) out += sep;
        out += buffer_view(x.get());
    }
    return make_like(self, out);
}

bool is_ascii_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

template <int kWhich> Ref bytes_strip_impl(Value self, CallArgs a) {
    const char* name = kWhich == 0 ? "strip" : kWhich == 1 ? "lstrip" : "rstrip";
    if (!text::check_method_args("bytes", name, a, 0, 1)) return nullptr;
    std::string_view s = buffer_view(self), chars;
    Ref holder;
    bool ws = a.npos == 0 || a.args[0].is_none();
    if (!ws && !arg_bytes(a.args[0], "", &chars, &holder)) return nullptr;
    auto strip_char = [&](char c) {
        return ws ? is_ascii_space(c) : chars.find(c) != std::string_view::npos;
    };
    size_t b = 0, e = s.size();
    if (kWhich != 2)
        while (b < e && strip_char(s[b])) ++b;
    if (kWhich != 1)
        while (e > b && strip_char(s[e - 1])) --e;
    if (b == 0 && e == s.size() && self.as_object()->type == &bytes_type) return Ref::borrow(self);
    return make_like(self, s.substr(b, e - b));
}

template <bool kEnd> Ref bytes_startswith_impl(Value self, CallArgs a) {
    const char* name = kEnd ? "endswith" : "startswith";
    if (!text::check_method_args("bytes", name, a, 1, 3)) return nullptr;
    std::string_view s = buffer_view(self);
    int64_t start = 0, end = INT64_MAX;
    if (a.npos > 1 && !get_opt_index(a.args[1], &start)) return nullptr;
    if (a.npos > 2 && !get_opt_index(a.args[2], &end)) return nullptr;
    adjust_range(static_cast<int64_t>(s.size()), &start, &end);
    auto test = [&](std::string_view p) {
        if (start > static_cast<int64_t>(s.size())) return false;
        if (end - start < static_cast<int64_t>(p.size())) return false;
        std::string_view w = s.substr(static_cast<size_t>(start), static_cast<size_t>(end - start));
        return kEnd ? w.substr(w.size() - p.size()) == p : w.substr(0, p.size()) == p;
    };
    Value prefix = a.args[0];
    if (is_tuple(prefix)) {
        Tuple* t = prefix.as<Tuple>();
        for (int64_t i = 0; i < t->size; ++i) {
            if (!is_bytes_like(t->items[i]))
                return raisef(&exc::TypeError, "a bytes-like object is required, not '{}'",
                              type_name(t->items[i]));
            if (test(buffer_view(t->items[i]))) return Ref::boolean(true);
        }
        return Ref::boolean(false);
    }
    if (!is_bytes_like(prefix))
        return raisef(&exc::TypeError,
                      "{} first arg must be bytes or a tuple of bytes, not {}", name,
                      type_name(prefix));
    return Ref::boolean(test(buffer_view(prefix)));
}

Ref bytes_replace(Value self, CallArgs a) {
    if (!text::check_method_args("bytes", "replace", a, 2, 3)) return nullptr;
    std::string_view s = buffer_view(self), old, neu;
    Ref h1, h2;
    if (!arg_bytes(a.args[0], "", &old, &h1) || !arg_bytes(a.args[1], "", &neu, &h2)) return nullptr;
    int64_t count = -1;
    if (a.npos > 2 && !index_value(a.args[2], &count)) return nullptr;
    std::string out;
    if (old.empty()) {
        int64_t done = 0;
        for (size_t i = 0; i <= s.size(); ++i) {
            if (count < 0 || done < count) {
                out += neu;
                ++done;
            }
            if (i < s.size()) out += s[i];
        }
        return make_like(self, out);
    }
    size_t pos = 0;
    int64_t done = 0;
    while (count < 0 || done < count) {
        size_t f = s.find(old, pos);
        if (f == std::string_view::npos) break;
        out.append(s.substr(pos, f - pos));
        out += neu;
        pos = f + old.size();
        ++done;
    }
    out.append(s.substr(pos));
    return make_like(self, out);
}

template <bool kReverse> Ref bytes_split_impl(Value self, CallArgs a) {
    Value vals[2];
    if (!parse_args(kReverse ? "rsplit" : "split", a, 0, 2, {"sep", "maxsplit"}, vals))
        return nullptr;
    std::string_view s = buffer_view(self), sep;
    Ref holder;
    int64_t maxsplit = -1;
    if (!vals[1].is_null() && !index_value(vals[1], &maxsplit)) return nullptr;
    bool ws = vals[0].is_null() || vals[0].is_none();
    if (!ws) {
        if (!arg_bytes(vals[0], "", &sep, &holder)) return nullptr;
        if (sep.empty()) return raise(&exc::ValueError, "empty separator");
    }
    std::vector<std::string_view> parts;
    if (ws) {
        if (!kReverse) {
            size_t i = 0, n = s.size();
            while (true) {
                while (i < n && is_ascii_space(s[i])) ++i;
                if (i >= n) break;
                if (maxsplit >= 0 && static_cast<int64_t>(parts.size()) == maxsplit) {
                    parts.push_back(s.substr(i));
                    break;
                }
                size_t j = i;
                while (j < n && !is_ascii_space(s[j])) ++j;
                parts.push_back(s.substr(i, j - i));
                i = j;
            }
        } else {
            int64_t i = static_cast<int64_t>(s.size()) - 1;
            while (true) {
                while (i >= 0 && is_ascii_space(s[static_cast<size_t>(i)])) --i;
                if (i < 0) break;
                if (maxsplit >= 0 && static_cast<int64_t>(parts.size()) == maxsplit) {
                    parts.push_back(s.substr(0, static_cast<size_t>(i) + 1));
                    break;
                }
                int64_t j = i;
                while (j >= 0 && !is_ascii_space(s[static_cast<size_t>(j)])) --j;
                parts.push_back(s.substr(static_cast<size_t>(j + 1), static_cast<size_t>(i - j)));
                i = j;
            }
            std::reverse(parts.begin(), parts.end());
        }
    } else if (!kReverse) {
        size_t pos = 0;
        while (maxsplit < 0 || static_cast<int64_t>(parts.size()) < maxsplit) {
            size_t f = s.find(sep, pos);
            if (f == std::string_view::npos) break;
            parts.push_back(s.substr(pos, f - pos));
            pos = f + sep.size();
        }
        parts.push_back(s.substr(pos));
    } else {
        size_t end = s.size();
        int64_t splits = 0;
        while (maxsplit < 0 || splits < maxsplit) {
            if (end < sep.size()) break;
            size_t f = s.substr(0, end).rfind(sep);
            if (f == std::string_view::npos) break;
            parts.push_back(s.substr(f + sep.size(), end - f - sep.size()));
            end = f;
            ++splits;
        }
        parts.push_back(s.substr(0, end));
        std::reverse(parts.begin(), parts.end());
    }
    RefT<List> l = new_list(static_cast<int64_t>(parts.size()));
    if (!l) return nullptr;
    for (auto p : parts) {
        Ref b = make_like(self, p);
        if (!b || !list_append_steal(l.get(), b.release())) return nullptr;
    }
    return l;
}

template <bool kReverse> Ref bytes_partition_impl(Value self, CallArgs a) {
    if (!text::check_one_arg(kReverse ? "rpartition" : "partition", a)) return nullptr;
    std::string_view s = buffer_view(self), sep;
    Ref holder;
    if (!arg_bytes(a.args[0], "", &sep, &holder)) return nullptr;
    if (sep.empty()) return raise(&exc::ValueError, "empty separator");
    size_t f = kReverse ? s.rfind(sep) : s.find(sep);
    Ref x, y, z;
    if (f == std::string_view::npos) {
        if (kReverse) {
            x = make_like(self, "");
            y = make_like(self, "");
            z = make_like(self, s);
        } else {
            x = make_like(self, s);
            y = make_like(self, "");
            z = make_like(self, "");
        }
    } else {
        x = make_like(self, s.substr(0, f));
        y = make_like(self, sep);
        z = make_like(self, s.substr(f + sep.size()));
    }
    if (!x || !y || !z) return nullptr;
    return RefT<Tuple>(new_tuple_of({x.get(), y.get(), z.get()}));
}

template <int kOp> Ref bytes_case_impl(Value self, CallArgs a) {
    if (!text::check_no_args(kOp == 0 ? "bytes.upper" : kOp == 1 ? "bytes.lower" : "bytes.swapcase", a))
        return nullptr;
    std::string s(buffer_view(self));
    for (char& c : s) {
        bool up = c >= 'A' && c <= 'Z', lo = c >= 'a' && c <= 'z';
        if (kOp == 0 && lo) c = static_cast<char>(c - 32);
        else if (kOp == 1 && up) c = static_cast<char>(c + 32);
        else if (kOp == 2 && (up || lo)) c = static_cast<char>(c ^ 32);
    }
    return make_like(self, s);
}

template <int kKind> Ref bytes_is_impl(Value self, CallArgs a) {
    if (!text::check_no_args("bytes.isX", a)) return nullptr;
    std::string_view s = buffer_view(self);
    if (kKind == 4) {  // isascii: true for empty
        for (char c : s)
            if (static_cast<unsigned char>(c) >= 0x80) return Ref::boolean(false);
        return Ref::boolean(true);
    }
    if (s.empty()) return Ref::boolean(false);
    bool any_upper = false, any_lower = false;
    for (char c : s) {
        bool up = c >= 'A' && c <= 'Z', lo = c >= 'a' && c <= 'z', dg = c >= '0' && c <= '9';
        any_upper |= up;
        any_lower |= lo;
        switch (kKind) {
            case 0: if (!dg) return Ref::boolean(false); break;
            case 1: if (!up && !lo) return Ref::boolean(false); break;
            case 2: if (!up && !lo && !dg) return Ref::boolean(false); break;
            case 3: if (!is_ascii_space(c)) return Ref::boolean(false); break;
            default: break;
        }
    }
    if (kKind == 5) return Ref::boolean(any_upper && !any_lower);
    if (kKind == 6) return Ref::boolean(any_lower && !any_upper);
    return Ref::boolean(true);
}

Ref bytes_getnewargs(Value self, CallArgs a) {
    if (!text::check_no_args("bytes.__getnewargs__", a)) return nullptr;
    Ref b = new_bytes(bytes_view(self));
    if (!b) return nullptr;
    return RefT<Tuple>(new_tuple_of({b.get()}));
}

Ref bytes_bytes_method(Value self, CallArgs a) {
    if (!text::check_no_args("bytes.__bytes__", a)) return nullptr;
    if (self.as_object()->type == &bytes_type) return Ref::borrow(self);
    return new_bytes(bytes_view(self));
}

// Read-only methods shared by bytes and bytearray (results "like self").
#define TOY_BYTES_COMMON_METHODS                        \
    {"decode", bytes_decode_method},                    \
    {"hex", bytes_hex},                                 \
    {"fromhex", bytes_fromhex, kMethodClass},           \
    {"join", bytes_join},                               \
    {"find", bytes_find_impl<false, false>},            \
    {"rfind", bytes_find_impl<true, false>},            \
    {"index", bytes_find_impl<false, true>},            \
    {"rindex", bytes_find_impl<true, true>},            \
    {"count", bytes_count},                             \
    {"strip", bytes_strip_impl<0>},                     \
    {"lstrip", bytes_strip_impl<1>},                    \
    {"rstrip", bytes_strip_impl<2>},                    \
    {"startswith", bytes_startswith_impl<false>},       \
    {"endswith", bytes_startswith_impl<true>},          \
    {"replace", bytes_replace},                         \
    {"split", bytes_split_impl<false>},                 \
    {"rsplit", bytes_split_impl<true>},                 \
    {"partition", bytes_partition_impl<false>},         \
    {"rpartition", bytes_partition_impl<true>},         \
    {"upper", bytes_case_impl<0>},                      \
    {"lower", bytes_case_impl<1>},                      \
    {"swapcase", bytes_case_impl<2>},                   \
    {"isdigit", bytes_is_impl<0>},                      \
    {"isalpha", bytes_is_impl<1>},                      \
    {"isalnum", bytes_is_impl<2>},                      \
    {"isspace", bytes_is_impl<3>},                      \
    {"isascii", bytes_is_impl<4>},                      \
    {"isupper", bytes_is_impl<5>},                      \
    {"islower", bytes_is_impl<6>}

const MethodDef bytes_methods[] = {
    TOY_BYTES_COMMON_METHODS,
    {"__getnewargs__", bytes_getnewargs},
    {"__bytes__", bytes_bytes_method},
    {"__repr__", text::unary_method<bytes_repr_slot>},
    {"__add__", text::binary_method<bytes_add>},
    {"__mul__", text::binary_method<bytes_mul>},
    {"__rmul__", text::binary_rmethod<bytes_mul>},
    {"__eq__", text::compare_method<bytes_compare, CmpOp::kEq>},
    {"__ne__", text::compare_method<bytes_compare, CmpOp::kNe>},
    {"__lt__", text::compare_method<bytes_compare, CmpOp::kLt>},
    {"__le__", text::compare_method<bytes_compare, CmpOp::kLe>},
    {"__gt__", text::compare_method<bytes_compare, CmpOp::kGt>},
    {"__ge__", text::compare_method<bytes_compare, CmpOp::kGe>},
    {nullptr, nullptr},
};

}  // namespace

namespace text {
Ref bytearray_append(Value self, CallArgs a);
Ref bytearray_extend(Value self, CallArgs a);
Ref bytearray_insert(Value self, CallArgs a);
Ref bytearray_pop(Value self, CallArgs a);
Ref bytearray_remove(Value self, CallArgs a);
Ref bytearray_clear(Value self, CallArgs a);
Ref bytearray_copy(Value self, CallArgs a);
Ref bytearray_reverse(Value self, CallArgs a);
extern const MethodDef bytearray_method_table[] = {
    TOY_BYTES_COMMON_METHODS,
    {"append", bytearray_append},
    {"extend", bytearray_extend},
    {"insert", bytearray_insert},
    {"pop", bytearray_pop},
    {"remove", bytearray_remove},
    {"clear", bytearray_clear},
    {"copy", bytearray_copy},
    {"reverse", bytearray_reverse},
    {nullptr, nullptr},
};
}  // namespace text

namespace {


// bytes(source=b'', encoding=..., errors=...)
Ref bytes_new(Type* type, CallArgs a) {
    Value vals[3];
    if (!parse_args("bytes", a, 0, 3, {"source", "encoding", "errors"}, vals)) return nullptr;
    Value src = vals[0];
    Ref result;
    if (src.is_null()) {
        if (!vals[1].is_null() || !vals[2].is_null())
            return raise(&exc::TypeError, vals[1].is_null() ? "errors without a string argument"
                                                            : "encoding without a string argument");
        result = new_bytes("");
    } else if (is_str(src)) {
        if (vals[1].is_null()) return raise(&exc::TypeError, "string argument without an encoding");
        if (!is_str(vals[1]))
            return raisef(&exc::TypeError, "bytes() argument 'encoding' must be str, not {}",
                          type_name(vals[1]));
        std::string_view err = "strict";
        if (!vals[2].is_null()) {
            if (!is_str(vals[2]))
                return raisef(&exc::TypeError, "bytes() argument 'errors' must be str, not {}",
                              type_name(vals[2]));
            err = vals[2].as<Str>()->view();
        }
        result = str_encode(src.as<Str>(), vals[1].as<Str>()->view(), err);
    } else if (!vals[1].is_null() || !vals[2].is_null()) {
        return raise(&exc::TypeError, vals[1].is_null() ? "errors without a string argument"
                                                        : "encoding without a string argument");
    } else if (is_bytearray(src)) {
        result = new_bytes(buffer_view(src));
    } else if (is_bytes(src)) {
        result = type == &bytes_type && src.as_object()->type == &bytes_type
                     ? Ref::borrow(src)
                     : Ref(new_bytes(bytes_view(src)));
    } else if (is_int(src) || (type_of(src)->index && !type_of(src)->iter)) {
        int64_t n;
        if (!index_value(src, &n)) return nullptr;
        if (n < 0) return raise(&exc::ValueError, "negative count");
        RefT<Bytes> b = new_bytes_uninit(n);
        if (!b) return nullptr;
        std::memset(b->data, 0, static_cast<size_t>(n));
        result = std::move(b);
    } else {
        static Str* bytes_name = intern("__bytes__");
        Value meth = type_lookup(type_of(src), bytes_name);
        if (!meth.is_null()) {
            result = call_method(src, bytes_name, {});
            if (!result) return nullptr;
            if (!is_bytes(result.get()))
                return raisef(&exc::TypeError, "__bytes__ returned non-bytes (type {})",
                              type_name(result.get()));
        } else {
            if (!type_of(src)->iter && !type_of(src)->getitem)
                return raisef(&exc::TypeError, "cannot convert '{}' object to bytes",
                              type_name(src));
            Ref it = get_iter(src);
            if (!it) return nullptr;
            std::string out;
            for (;;) {
                Ref x = iter_next(it.get());
                if (!x) {
                    if (error_occurred()) return nullptr;
                    break;
                }
                if (!is_int(x.get()) && !type_of(x.get())->index)
                    return raisef(&exc::TypeError, "'{}' object cannot be interpreted as an integer",
                                  type_name(x.get()));
                int64_t v;
                if (!index_value(x.get(), &v)) return nullptr;
                if (v < 0 || v > 255) return raise(&exc::ValueError, "bytes must be in range(0, 256)");
                out += static_cast<char>(v);
            }
            result = new_bytes(out);
        }
    }
    if (!result || type == &bytes_type) return result;
    std::string_view data = bytes_view(result.get());
    Bytes* b = new_object<Bytes>(type, data.size());
    if (!b) return nullptr;
    b->size = static_cast<int64_t>(data.size());
    b->hash = -1;
    std::memcpy(b->data, data.data(), data.size());
    b->data[data.size()] = '\0';
    return Ref::steal(b);
}

}  // namespace

void init_bytes_type() {
    bytes_type.name = "bytes";
    bytes_type.basic_size = sizeof(Bytes);
    bytes_type.flags = kBaseType | kImmutableType | kBytesSubclass;
    bytes_type.methods = bytes_methods;
    bytes_type.dealloc = bytes_dealloc;
    bytes_type.repr = bytes_repr_slot;
    bytes_type.hash = bytes_hash_slot;
    bytes_type.compare = bytes_compare;
    bytes_type.binary[static_cast<int>(BinOp::kAdd)] = bytes_add;
    bytes_type.binary[static_cast<int>(BinOp::kMul)] = bytes_mul;
    bytes_type.binary[static_cast<int>(BinOp::kMod)] = bytes_mod;
    bytes_type.len = bytes_len;
    bytes_type.getitem = bytes_getitem;
    bytes_type.iter = bytes_iter;
    bytes_type.contains = bytes_contains;
    bytes_type.new_ = bytes_new;
    type_ready(&bytes_type, &object_type);

    for (int c = 0; c < 256; ++c) {
        char ch = static_cast<char>(c);
        RefT<Bytes> b = new_bytes(std::string_view(&ch, 1));
        make_immortal(b.get());
        g_byte_chars[c] = b.release();
    }
    RefT<Bytes> e = new_bytes_uninit(0);
    make_immortal(e.get());
    g_empty_bytes = e.release();

    init_bytearray_type();  // (runtime_init calls init_bytes_type only)

    bytes_iterator_type.name = "bytes_iterator";
    bytes_iterator_type.basic_size = sizeof(BytesIter);
    bytes_iterator_type.flags = kImmutableType;
    bytes_iterator_type.dealloc = bytes_iter_dealloc;
    bytes_iterator_type.iter = iter_self;
    bytes_iterator_type.next = bytes_iter_next;
    type_ready(&bytes_iterator_type, &object_type);
}

}  // namespace toy
