// struct.cpp: the native `_struct` module behind stdlib/lib/struct.toy: pack, unpack,
// calcsize, iter_unpack, pack_into, unpack_from and the Struct type, with CPython 3.11's
// format language (byte orders @ = < > !, native sizes and alignment for '@', every format
// code x c b B ? h H i I l L q Q n N e f d s p P) and its struct.error messages.
//
// A format is compiled once into a vector of Items (code, count, offset, size); Struct keeps
// it, the module-level functions compile per call. Toy ints are 64-bit: 'Q'/'N' values
// above 2**63-1 unpack to an OverflowError instead of a big int.
//
// Locking: none; everything runs under the GIL and nothing blocks.
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/abstract.h"
#include "runtime/bytes.h"
#include "runtime/container_util.h"
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

namespace {

Type struct_type;
Type struct_error_type;
Type unpack_iter_type;

struct Item {
    char code;
    int64_t count;   // for s/p: the byte length; else 1 (repeats are expanded)
    int64_t offset;
    int64_t size;
};

struct Format {
    std::vector<Item> items;
    int64_t size = 0;
    int64_t nargs = 0;  // values consumed/produced
    char order = '@';   // '@' native aligned, '=' native std, '<', '>'
};

Ref struct_error(std::string_view msg) { return raise(&struct_error_type, msg); }

bool little_endian(char order) { return order == '<' || ((order == '@' || order == '=') && std::endian::native == std::endian::little); }

// Size and alignment of a code; 0: bad code for this order.
int64_t code_size(char c, bool native, int64_t* align) {
    int64_t s = 0;
    switch (c) {
        case 'x': case 'c': case 'b': case 'B': case '?': case 's': case 'p': s = 1; break;
        case 'h': case 'H': case 'e': s = 2; break;
        case 'i': case 'I': case 'f': s = 4; break;
        case 'l': case 'L': s = native ? static_cast<int64_t>(sizeof(long)) : 4; break;
        case 'q': case 'Q': case 'd': s = 8; break;
        case 'n': case 'N': case 'P': s = native ? 8 : 0; break;
        default: s = 0;
    }
    *align = s;
    return s;
}

bool compile_format(std::string_view fmt, Format* out) {
    size_t i = 0;
    char order = '@';
    if (!fmt.empty() && std::strchr("@=<>!", fmt[0])) {
        order = fmt[0] == '!' ? '>' : fmt[0];
        i = 1;
    }
    out->order = order;
    bool native = order == '@';
    int64_t off = 0;
    while (i < fmt.size()) {
        char c = fmt[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
            i++;
            continue;
        }
        int64_t num = 1;
        bool has_num = false;
        if (c >= '0' && c <= '9') {
            num = 0;
            while (i < fmt.size() && fmt[i] >= '0' && fmt[i] <= '9') {
                if (num > (INT64_MAX - 9) / 10) {
                    (void)struct_error("total struct size too long");
                    return false;
                }
                num = num * 10 + (fmt[i] - '0');
                i++;
            }
            has_num = true;
            if (i >= fmt.size()) {
                (void)struct_error("repeat count given without format specifier");
                return false;
            }
            c = fmt[i];
        }
        (void)has_num;
        i++;
        int64_t align;
        int64_t sz = code_size(c, native, &align);
        if (sz == 0) {
            (void)struct_error("bad char in struct format");
            return false;
        }
        if (native && align > 1) off = (off + align - 1) / align * align;
        if (c == 's' || c == 'p') {
            out->items.push_back(Item{c, num, off, num});
            off += num;
            out->nargs++;
        } else if (c == 'x') {
            off += num;
        } else {
            for (int64_t k = 0; k < num; k++) {
                out->items.push_back(Item{c, 1, off, sz});
                off += sz;
                out->nargs++;
            }
        }
    }
    out->size = off;
    return true;
}

bool format_from(Value v, Format* f) {
    if (is_str(v)) return compile_format(v.as<Str>()->view(), f);
    if (is_bytes(v)) return compile_format(bytes_view(v), f);
    (void)raisef(&exc::TypeError, "Struct() argument 1 must be a str or bytes object, not {}", type_name(v));
    return false;
}

// --- half floats -----------------------------------------------------------------------------
bool pack_half(double x, uint16_t* out) {
    uint16_t sign = std::signbit(x) ? 0x8000 : 0;
    if (std::isnan(x)) {
        *out = sign | 0x7e00;
        return true;
    }
    if (std::isinf(x)) {
        *out = sign | 0x7c00;
        return true;
    }
    double a = std::fabs(x);
    if (a == 0) {
        *out = sign;
        return true;
    }
    int e;
    double f = std::frexp(a, &e);  // a = f * 2^e, 0.5 <= f < 1
    if (f < 0.5 || f >= 1.0) return false;
    f *= 2.0;
    e--;  // a = f * 2^e, 1 <= f < 2
    int64_t bits;
    if (e >= 16) {
        (void)raise(&exc::OverflowError, "float too large to pack with e format");
        return false;
    }
    if (e < -14) {
        // subnormal
        f = std::ldexp(f, e + 14);
        e = 0;
    } else {
        e += 15;
        f -= 1.0;
    }
    f *= 1024.0;
    bits = static_cast<int64_t>(f);
    double rem = f - static_cast<double>(bits);
    if (rem > 0.5 || (rem == 0.5 && (bits & 1))) {
        bits++;
        if (bits == 1024) {
            bits = 0;
            e++;
            if (e == 31) {
                (void)raise(&exc::OverflowError, "float too large to pack with e format");
                return false;
            }
        }
    }
    *out = static_cast<uint16_t>(sign | (e << 10) | bits);
    return true;
}

double unpack_half(uint16_t h) {
    int sign = (h >> 15) & 1;
    int e = (h >> 10) & 0x1f;
    int f = h & 0x3ff;
    double x;
    if (e == 0x1f) {
        x = f ? std::nan("") : INFINITY;
    } else if (e == 0) {
        x = std::ldexp(static_cast<double>(f), -24);
    } else {
        x = std::ldexp(static_cast<double>(f + 1024), e - 25);
    }
    return sign ? -x : x;
}

// --- packing ---------------------------------------------------------------------------------
void put_int(char* p, uint64_t v, int64_t size, bool le) {
    for (int64_t k = 0; k < size; k++) {
        int64_t idx = le ? k : size - 1 - k;
        p[idx] = static_cast<char>(v & 0xff);
        v >>= 8;
    }
}

uint64_t get_uint(const char* p, int64_t size, bool le) {
    uint64_t v = 0;
    for (int64_t k = 0; k < size; k++) {
        int64_t idx = le ? size - 1 - k : k;
        v = (v << 8) | static_cast<unsigned char>(p[idx]);
    }
    return v;
}

bool get_int_arg(Value v, int64_t* out) {
    if (v.is_small_int()) {
        *out = v.as_small_int();
        return true;
    }
    if (v.is_bool()) {
        *out = v.as_bool() ? 1 : 0;
        return true;
    }
    if (type_of(v)->index == nullptr) {
        (void)struct_error("required argument is not an integer");
        return false;
    }
    if (!index_value(v, out)) {
        if (error_matches(&exc::OverflowError)) {
            clear_error();
            (void)struct_error("argument out of range");
        }
        return false;
    }
    return true;
}

// CPython's messages depend on which packer runs: '@' uses the native packers, and so do
// '<' and '=' on a little-endian host for the codes whose standard size equals the native
// one (all but l/L), since _struct swaps them in; '>' / '!' (and '<' l/L) use the
// standard-size packers.
bool uses_native_packer(char order, char code) {
    if (order == '@') return true;
    if ((order == '<' || order == '=') && std::endian::native == std::endian::little)
        return code != 'l' && code != 'L';
    return false;
}

bool int_range_error(char c, bool native_packer, int64_t size, bool negative) {
    if (c == 'b') return !struct_error("byte format requires -128 <= number <= 127").is_null();
    if (c == 'B') return !struct_error("ubyte format requires 0 <= number <= 255").is_null();
    if (native_packer && c == 'h') return !struct_error("short format requires -32768 <= number <= 32767").is_null();
    if (native_packer && c == 'H') return !struct_error("ushort format requires 0 <= number <= 65535").is_null();
    bool is_unsigned = c == 'H' || c == 'I' || c == 'L' || c == 'Q' || c == 'N';
    if (is_unsigned && negative) {
        if (size == 8 && !native_packer) return !struct_error("int too large to convert").is_null();
        return !struct_error("argument out of range").is_null();
    }
    if (size >= 8) return !struct_error("argument out of range").is_null();
    int64_t bits = size * 8;
    if (is_unsigned)
        (void)struct_error(fmt::format("'{}' format requires 0 <= number <= {}", c,
                                       (uint64_t{1} << bits) - 1));
    else
        (void)struct_error(fmt::format("'{}' format requires {} <= number <= {}", c,
                                       -(int64_t{1} << (bits - 1)), (int64_t{1} << (bits - 1)) - 1));
    return false;
}

bool pack_one(const Item& it, Value v, char* p, char order) {
    bool le = little_endian(order);
    switch (it.code) {
        case 'c': {
            if (!(is_bytes(v) || is_bytearray(v)) || buffer_view(v).size() != 1) {
                (void)struct_error("char format requires a bytes object of length 1");
                return false;
            }
            p[0] = buffer_view(v)[0];
            return true;
        }
        case 's':
        case 'p': {
            if (!(is_bytes(v) || is_bytearray(v))) {
                (void)struct_error(fmt::format("argument for '{}' must be a bytes object", it.code));
                return false;
            }
            std::string_view d = buffer_view(v);
            int64_t n = it.count;
            if (it.code == 's') {
                int64_t k = std::min<int64_t>(n, static_cast<int64_t>(d.size()));
                std::memcpy(p, d.data(), static_cast<size_t>(k));
            } else if (n > 0) {
                int64_t k = std::min<int64_t>(n - 1, static_cast<int64_t>(d.size()));
                std::memcpy(p + 1, d.data(), static_cast<size_t>(k));
                p[0] = static_cast<char>(std::min<int64_t>(k, 255));
            }
            return true;
        }
        case '?': {
            int t = truthy(v);
            if (t < 0) return false;
            p[0] = static_cast<char>(t);
            return true;
        }
        case 'e':
        case 'f':
        case 'd': {
            double x;
            if (v.is_double()) {
                x = v.as_double();
            } else if (v.is_small_int()) {
                x = static_cast<double>(v.as_small_int());
            } else if (type_of(v)->to_float || type_of(v)->index) {
                Ref fv = call(Value::object(&float_type), {v});
                if (!fv) return false;
                x = fv.get().is_double() ? fv.get().as_double() : 0.0;
            } else {
                (void)struct_error("required argument is not a float");
                return false;
            }
            if (it.code == 'd') {
                uint64_t bits;
                std::memcpy(&bits, &x, 8);
                put_int(p, bits, 8, le);
            } else if (it.code == 'f') {
                float fx = static_cast<float>(x);
                // Only the standard packer checks the range; native '@' gives inf, as CPython.
                if (std::isinf(fx) && !std::isinf(x) && order != '@') {
                    (void)raise(&exc::OverflowError, "float too large to pack with f format");
                    return false;
                }
                uint32_t bits;
                std::memcpy(&bits, &fx, 4);
                put_int(p, bits, 4, le);
            } else {
                uint16_t h;
                if (!pack_half(x, &h)) {
                    if (!v.is_double() && error_matches(&exc::OverflowError)) {
                        // An int argument: CPython reports its conversion instead.
                        clear_error();
                        (void)struct_error("int too large to convert");
                    }
                    return false;
                }
                put_int(p, h, 2, le);
            }
            return true;
        }
        default: break;
    }
    int64_t x;
    if (!get_int_arg(v, &x)) return false;
    bool is_unsigned = it.code == 'B' || it.code == 'H' || it.code == 'I' || it.code == 'L' ||
                       it.code == 'Q' || it.code == 'N' || it.code == 'P';
    int64_t size = it.size;
    if (it.code == 'P') {
        put_int(p, static_cast<uint64_t>(x), size, le);
        return true;
    }
    bool np = uses_native_packer(order, it.code);
    if (is_unsigned) {
        if (x < 0) return int_range_error(it.code, np, size, true);
        if (size < 8 && static_cast<uint64_t>(x) >> (size * 8)) return int_range_error(it.code, np, size, false);
    } else if (size < 8) {
        int64_t lo = -(int64_t{1} << (size * 8 - 1)), hi = (int64_t{1} << (size * 8 - 1)) - 1;
        if (x < lo || x > hi) return int_range_error(it.code, np, size, false);
    }
    put_int(p, static_cast<uint64_t>(x), size, le);
    return true;
}

Ref unpack_one(const Item& it, const char* p, char order) {
    bool le = little_endian(order);
    switch (it.code) {
        case 'c': return Ref(new_bytes(std::string_view(p, 1)));
        case 's': return Ref(new_bytes(std::string_view(p, static_cast<size_t>(it.count))));
        case 'p': {
            if (it.count == 0) return Ref(new_bytes(""));
            int64_t n = static_cast<unsigned char>(p[0]);
            if (n > it.count - 1) n = it.count - 1;
            return Ref(new_bytes(std::string_view(p + 1, static_cast<size_t>(n))));
        }
        case '?': return Ref::boolean(p[0] != 0);
        case 'e': return Ref::steal(Value::from_double(unpack_half(static_cast<uint16_t>(get_uint(p, 2, le)))));
        case 'f': {
            uint32_t bits = static_cast<uint32_t>(get_uint(p, 4, le));
            float f;
            std::memcpy(&f, &bits, 4);
            return Ref::steal(Value::from_double(static_cast<double>(f)));
        }
        case 'd': {
            uint64_t bits = get_uint(p, 8, le);
            double d;
            std::memcpy(&d, &bits, 8);
            return Ref::steal(Value::from_double(d));
        }
        default: break;
    }
    uint64_t u = get_uint(p, it.size, le);
    bool is_unsigned = it.code == 'B' || it.code == 'H' || it.code == 'I' || it.code == 'L' ||
                       it.code == 'Q' || it.code == 'N' || it.code == 'P';
    if (is_unsigned) {
        if (u > static_cast<uint64_t>(INT64_MAX)) return raise(&exc::OverflowError, "int too large for Toy's 64-bit ints");
        return make_int(static_cast<int64_t>(u));
    }
    int64_t bits = it.size * 8;
    int64_t s = bits == 64 ? static_cast<int64_t>(u)
                           : static_cast<int64_t>(u << (64 - bits)) >> (64 - bits);
    return make_int(s);
}

bool pack_into_buf(const Format& f, const Value* args, size_t nargs, char* buf, const char* fname) {
    if (static_cast<int64_t>(nargs) != f.nargs) {
        (void)struct_error(fmt::format("{} expected {} items for packing (got {})", fname, f.nargs, nargs));
        return false;
    }
    std::memset(buf, 0, static_cast<size_t>(f.size));
    for (size_t i = 0; i < f.items.size(); i++) {
        if (!pack_one(f.items[i], args[i], buf + f.items[i].offset, f.order)) return false;
    }
    return true;
}

Ref unpack_buf(const Format& f, const char* buf) {
    RefT<Tuple> t = new_tuple(f.nargs);
    if (!t) return nullptr;
    for (int64_t i = 0; i < f.nargs; i++) t->items[i] = Value::none();
    for (size_t i = 0; i < f.items.size(); i++) {
        Ref v = unpack_one(f.items[i], buf + f.items[i].offset, f.order);
        if (!v) return nullptr;
        t->items[i] = v.release();
    }
    return t;
}

Ref do_pack(const Format& f, const Value* args, size_t n) {
    if (static_cast<int64_t>(n) != f.nargs)
        return struct_error(fmt::format("pack expected {} items for packing (got {})", f.nargs, n));
    std::string buf(static_cast<size_t>(f.size), '\0');
    if (!pack_into_buf(f, args, n, buf.data(), "pack")) return nullptr;
    return Ref(new_bytes(buf));
}

bool get_buffer(Value v, std::string_view* out) {
    if (is_bytes_like(v)) {
        *out = buffer_view(v);
        return true;
    }
    (void)raisef(&exc::TypeError, "a bytes-like object is required, not '{}'", type_name(v));
    return false;
}

Ref do_unpack(const Format& f, Value buffer) {
    std::string_view b;
    if (!get_buffer(buffer, &b)) return nullptr;
    if (static_cast<int64_t>(b.size()) != f.size)
        return struct_error(fmt::format("unpack requires a buffer of {} bytes", f.size));
    Ref keep = Ref::borrow(buffer);
    return unpack_buf(f, b.data());
}

Ref do_unpack_from(const Format& f, Value buffer, int64_t offset) {
    std::string_view b;
    if (!get_buffer(buffer, &b)) return nullptr;
    int64_t len = static_cast<int64_t>(b.size());
    if (offset < 0) {
        if (offset + len < 0)
            return struct_error(fmt::format("offset {} out of range for {}-byte buffer", offset, len));
        offset += len;
    }
    if (len - offset < f.size) {
        if (offset > len)
            return struct_error(fmt::format(
                "unpack_from requires a buffer of at least {} bytes for unpacking {} bytes at offset {} (actual buffer size is {})",
                f.size + offset, f.size, offset, len));
        return struct_error(fmt::format(
            "unpack_from requires a buffer of at least {} bytes for unpacking {} bytes at offset {} (actual buffer size is {})",
            f.size + offset, f.size, offset, len));
    }
    Ref keep = Ref::borrow(buffer);
    return unpack_buf(f, b.data() + offset);
}

Ref do_pack_into(const Format& f, Value buffer, Value off, const Value* args, size_t n) {
    if (static_cast<int64_t>(n) != f.nargs)
        return struct_error(fmt::format("pack_into expected {} items for packing (got {})", f.nargs, n));
    if (!is_bytearray(buffer)) {
        if (is_bytes(buffer))
            return raise(&exc::TypeError, "argument must be read-write bytes-like object, not bytes");
        return raisef(&exc::TypeError, "argument must be read-write bytes-like object, not {}", type_name(buffer));
    }
    int64_t offset;
    if (!index_value(off, &offset)) return nullptr;
    std::string_view b = buffer_view(buffer);
    int64_t len = static_cast<int64_t>(b.size());
    if (offset < 0) {
        if (offset + len < 0)
            return struct_error(fmt::format("offset {} out of range for {}-byte buffer", offset, len));
        offset += len;
    }
    if (len - offset < f.size)
        return struct_error(fmt::format(
            "pack_into requires a buffer of at least {} bytes for packing {} bytes at offset {} (actual buffer size is {})",
            f.size + offset, f.size, offset, len));
    std::string tmp(static_cast<size_t>(f.size), '\0');
    if (!pack_into_buf(f, args, n, tmp.data(), "pack_into")) return nullptr;
    // Re-read: packing may have run code (__index__) that resized the bytearray.
    std::string_view b2 = buffer_view(buffer);
    if (static_cast<int64_t>(b2.size()) < offset + f.size) return struct_error("buffer changed size");
    std::memcpy(const_cast<char*>(b2.data()) + offset, tmp.data(), tmp.size());
    return Ref::none();
}

// --- Struct ----------------------------------------------------------------------------------
struct StructObj : Object {
    Format* fmt;   // owned
    Value format;  // owned: the format as a str
};

struct UnpackIter : Object {
    Value s;       // owned Struct
    Value buffer;  // owned
    int64_t index;
};

StructObj* as_struct(Value v) { return v.as<StructObj>(); }

void struct_dealloc(Object* o) {
    StructObj* s = static_cast<StructObj*>(o);
    delete s->fmt;
    s->fmt = nullptr;
    decref(s->format);
    size_t sz = o->type->basic_size > sizeof(StructObj) ? o->type->basic_size : sizeof(StructObj);
    object_free(o, sz);
}

Ref struct_new(Type* type, CallArgs a) {
    Value args[1] = {Value::null()};
    if (!parse_args("Struct", a, 1, 1, {"format"}, args)) return nullptr;
    auto* f = new Format();
    if (!format_from(args[0], f)) {
        delete f;
        return nullptr;
    }
    StructObj* s = new_object<StructObj>(type, 0);
    if (!s) {
        delete f;
        return nullptr;
    }
    s->fmt = f;
    if (is_str(args[0])) {
        incref(args[0]);
        s->format = args[0];
    } else {
        Ref str = Ref(new_str(bytes_view(args[0])));
        s->format = str ? str.release() : Value::none();
    }
    return Ref::steal(s);
}

bool struct_init(Value, CallArgs) { return true; }

Ref s_pack(Value self, CallArgs a) {
    if (!detail::no_kwargs("pack", a)) return nullptr;
    return do_pack(*as_struct(self)->fmt, a.args, a.npos);
}

Ref s_unpack(Value self, CallArgs a) {
    if (!detail::unpack_args("unpack", a, 1, 1)) return nullptr;
    return do_unpack(*as_struct(self)->fmt, a.args[0]);
}

Ref s_unpack_from(Value self, CallArgs a) {
    Value args[2] = {Value::null(), Value::null()};
    if (!parse_args("unpack_from", a, 1, 2, {"buffer", "offset"}, args)) return nullptr;
    int64_t off = 0;
    if (!args[1].is_null() && !index_value(args[1], &off)) return nullptr;
    return do_unpack_from(*as_struct(self)->fmt, args[0], off);
}

Ref s_pack_into(Value self, CallArgs a) {
    if (!detail::no_kwargs("pack_into", a)) return nullptr;
    if (a.npos < 2) {
        if (a.npos == 0) return raise(&exc::TypeError, "pack_into expected buffer argument");
        return raise(&exc::TypeError, "pack_into expected offset argument");
    }
    return do_pack_into(*as_struct(self)->fmt, a.args[0], a.args[1], a.args + 2, a.npos - 2);
}

Ref make_unpack_iter(Value s, Value buffer) {
    Format* f = as_struct(s)->fmt;
    if (f->size == 0) return struct_error("cannot iteratively unpack with a struct of length 0");
    std::string_view b;
    if (!get_buffer(buffer, &b)) return nullptr;
    if (static_cast<int64_t>(b.size()) % f->size != 0)
        return struct_error(fmt::format(
            "iterative unpacking requires a buffer of a multiple of {} bytes", f->size));
    UnpackIter* it = new_object<UnpackIter>(&unpack_iter_type, 0);
    if (!it) return nullptr;
    incref(s);
    incref(buffer);
    it->s = s;
    it->buffer = buffer;
    it->index = 0;
    return Ref::steal(it);
}

Ref s_iter_unpack(Value self, CallArgs a) {
    if (!detail::unpack_args("iter_unpack", a, 1, 1)) return nullptr;
    return make_unpack_iter(self, a.args[0]);
}

Ref s_get_format(Value self) { return Ref::borrow(as_struct(self)->format); }
Ref s_get_size(Value self) { return make_int(as_struct(self)->fmt->size); }

Ref s_sizeof(Value self, CallArgs) {
    return make_int(static_cast<int64_t>(sizeof(StructObj) + as_struct(self)->fmt->items.size() * sizeof(Item)));
}

void unpack_iter_dealloc(Object* o) {
    UnpackIter* it = static_cast<UnpackIter*>(o);
    decref(it->s);
    decref(it->buffer);
    object_free(o, sizeof(UnpackIter));
}

Ref unpack_iter_next(Value self) {
    UnpackIter* it = self.as<UnpackIter>();
    if (it->buffer.is_null()) return nullptr;
    Format* f = as_struct(it->s)->fmt;
    std::string_view b = buffer_view(it->buffer);
    if (it->index + f->size > static_cast<int64_t>(b.size())) {
        Value buf = it->buffer;
        it->buffer = Value::null();
        decref(buf);
        return nullptr;
    }
    Ref r = unpack_buf(*f, b.data() + it->index);
    it->index += f->size;
    return r;
}

Ref unpack_iter_length_hint(Value self, CallArgs) {
    UnpackIter* it = self.as<UnpackIter>();
    if (it->buffer.is_null()) return make_int(0);
    Format* f = as_struct(it->s)->fmt;
    return make_int((static_cast<int64_t>(buffer_view(it->buffer).size()) - it->index) / f->size);
}

// --- module functions ------------------------------------------------------------------------
Ref compile_arg(Value v, Format* f) {
    if (!format_from(v, f)) return nullptr;
    return Ref::none();
}

Ref m_pack(Value, CallArgs a) {
    if (!detail::no_kwargs("pack", a)) return nullptr;
    if (a.npos == 0) return raise(&exc::TypeError, "pack expected at least 1 argument, got 0");
    Format f;
    if (!compile_arg(a.args[0], &f)) return nullptr;
    return do_pack(f, a.args + 1, a.npos - 1);
}

Ref m_unpack(Value, CallArgs a) {
    if (!detail::unpack_args("unpack", a, 2, 2)) return nullptr;
    Format f;
    if (!compile_arg(a.args[0], &f)) return nullptr;
    return do_unpack(f, a.args[1]);
}

Ref m_calcsize(Value, CallArgs a) {
    if (!detail::one_arg("calcsize", a)) return nullptr;
    Format f;
    if (!compile_arg(a.args[0], &f)) return nullptr;
    return make_int(f.size);
}

Ref m_unpack_from(Value, CallArgs a) {
    Value args[3] = {Value::null(), Value::null(), Value::null()};
    if (!parse_args("unpack_from", a, 2, 3, {"", "buffer", "offset"}, args)) return nullptr;
    Format f;
    if (!compile_arg(args[0], &f)) return nullptr;
    int64_t off = 0;
    if (!args[2].is_null() && !index_value(args[2], &off)) return nullptr;
    return do_unpack_from(f, args[1], off);
}

Ref m_pack_into(Value, CallArgs a) {
    if (!detail::no_kwargs("pack_into", a)) return nullptr;
    if (a.npos < 3) return raisef(&exc::TypeError, "pack_into expected at least 3 arguments, got {}", a.npos);
    Format f;
    if (!compile_arg(a.args[0], &f)) return nullptr;
    return do_pack_into(f, a.args[1], a.args[2], a.args + 3, a.npos - 3);
}

Ref m_iter_unpack(Value, CallArgs a) {
    if (!detail::unpack_args("iter_unpack", a, 2, 2)) return nullptr;
    Ref s = struct_new(&struct_type, CallArgs{a.args, 1, nullptr});
    if (!s) return nullptr;
    return make_unpack_iter(s.get(), a.args[1]);
}

Ref m_clearcache(Value, CallArgs) { return Ref::none(); }

const MethodDef kStructMethods[] = {
    {"pack", s_pack},
    {"unpack", s_unpack},
    {"unpack_from", s_unpack_from},
    {"pack_into", s_pack_into},
    {"iter_unpack", s_iter_unpack},
    {"__sizeof__", s_sizeof},
    {nullptr, nullptr},
};

const GetSetDef kStructGetsets[] = {
    {"format", s_get_format},
    {"size", s_get_size},
    {nullptr, nullptr},
};

const MethodDef kUnpackIterMethods[] = {
    {"__length_hint__", unpack_iter_length_hint},
    {nullptr, nullptr},
};

const MethodDef kFunctions[] = {
    {"pack", m_pack},
    {"unpack", m_unpack},
    {"calcsize", m_calcsize},
    {"unpack_from", m_unpack_from},
    {"pack_into", m_pack_into},
    {"iter_unpack", m_iter_unpack},
    {"_clearcache", m_clearcache},
    {nullptr, nullptr},
};

}  // namespace

RefT<Module> create_struct_module() {
    static std::once_flag once;
    std::call_once(once, [] {
        struct_error_type.name = "struct.error";
        struct_error_type.basic_size = sizeof(BaseExceptionObject);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winvalid-offsetof"
        struct_error_type.dict_offset = static_cast<int32_t>(offsetof(BaseExceptionObject, dict));
#pragma GCC diagnostic pop
        struct_error_type.flags |= kBaseType | kExceptionSubclass;
        type_ready(&struct_error_type, &exc::Exception);

        struct_type.name = "_struct.Struct";
        struct_type.basic_size = sizeof(StructObj);
        struct_type.flags |= kBaseType;
        struct_type.dealloc = struct_dealloc;
        struct_type.new_ = struct_new;
        struct_type.init = struct_init;
        struct_type.methods = kStructMethods;
        struct_type.getsets = kStructGetsets;
        type_ready(&struct_type, &object_type);

        unpack_iter_type.name = "_struct.unpack_iterator";
        unpack_iter_type.basic_size = sizeof(UnpackIter);
        unpack_iter_type.dealloc = unpack_iter_dealloc;
        unpack_iter_type.iter = detail::iter_self;
        unpack_iter_type.next = unpack_iter_next;
        unpack_iter_type.methods = kUnpackIterMethods;
        type_ready(&unpack_iter_type, &object_type);
    });
    RefT<Module> m = new_module("_struct");
    if (!m || !module_add_functions(m.get(), kFunctions)) return nullptr;
    if (!module_add(m.get(), "Struct", Value::object(&struct_type)) ||
        !module_add(m.get(), "error", Value::object(&struct_error_type)))
        return nullptr;
    return m;
}

}  // namespace toy
