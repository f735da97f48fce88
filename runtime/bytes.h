// bytes.h: the bytes type. Immutable byte strings, data inline after the header, always
// NUL-terminated (not counted in size). The hash is cached (-1: not computed).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/type.h"

namespace toy {

struct Str;
extern Type bytes_type;
extern Type bytes_iterator_type;

struct Bytes : Object {
    int64_t size;
    int64_t hash;  // -1 until computed
    char data[1];  // size + 1 bytes (allocated past the end)

    std::string_view view() const { return {data, static_cast<size_t>(size)}; }
};

// A new bytes object (b'' and single bytes are cached). Null on MemoryError.
RefT<Bytes> new_bytes(std::string_view data);
// Uninitialised bytes of n bytes (data[n] is set to NUL); fill before it escapes.
RefT<Bytes> new_bytes_uninit(int64_t n);
inline bool is_bytes(Value v) {
    return v.is_object() && (v.as_object()->type == &bytes_type ||
                             type_has(v.as_object()->type, kBytesSubclass));
}
// bytes or another object exposing a byte buffer (bytearray once it exists).
bool is_bytes_like(Value v);
// The buffer of a bytes-like object as a bytes (v itself, increfed, if it is bytes).
Ref bytes_from_object(Value v);
// The contents of a bytes (caller has checked is_bytes).
inline std::string_view bytes_view(Value v) { return v.as<Bytes>()->view(); }
// repr of raw bytes exactly as CPython: b'...' (quote choice, \\x escapes).
std::string bytes_repr_raw(std::string_view data);
// bytes.decode / str(b, encoding, errors): utf-8, ascii, latin-1 (and aliases).
// errors: strict, ignore, replace, backslashreplace, surrogateescape (best effort).
Ref bytes_decode(std::string_view data, std::string_view encoding, std::string_view errors);
// str.encode: the same encodings; errors strict, ignore, replace, backslashreplace,
// xmlcharrefreplace.
Ref str_encode(Str* s, std::string_view encoding, std::string_view errors);
int64_t bytes_hash(Bytes* b);
void init_bytes_type();

// --- bytearray (runtime/bytearray.cpp; readied by init_bytes_type) ----------------------------
extern Type bytearray_type;
extern Type bytearray_iterator_type;
struct ByteArray : Object {
    char* data;        // owned (new[]), capacity + 1 bytes, NUL-terminated; null when empty
    int64_t size;
    int64_t capacity;
};
RefT<ByteArray> new_bytearray(std::string_view data);
inline bool is_bytearray(Value v) {
    return v.is_object() && (v.as_object()->type == &bytearray_type ||
                             is_subtype(v.as_object()->type, &bytearray_type));
}
// The bytes of a bytes or bytearray (caller has checked is_bytes_like). The view of a
// bytearray is invalidated by any change to it.
inline std::string_view buffer_view(Value v) {
    if (is_bytes(v)) return bytes_view(v);
    ByteArray* b = v.as<ByteArray>();
    return {b->data ? b->data : "", static_cast<size_t>(b->size)};
}
void init_bytearray_type();

}  // namespace toy
