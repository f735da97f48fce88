// str.h: the str type. Immutable UTF-8 text with its length in code points cached, so that
// len() is O(1) and ASCII strings (the common case) index in O(1). Non-ASCII strings index
// by walking the UTF-8 (may gain an index later). The hash is cached (-1: not computed).
//
// Interned strings (identifiers, attribute names, single characters) are immortal, shared by
// every interpreter, and unique: two interned strings are equal iff their pointers are.
#pragma once

#include <cstdint>
#include <string_view>

#include "runtime/type.h"

namespace toy {

extern Type str_type;

struct Str : Object {
    int64_t length;    // in code points
    int64_t nbytes;    // UTF-8 bytes, not counting the NUL terminator
    int64_t hash;      // -1 until computed
    bool ascii;        // all bytes < 0x80 (then length == nbytes)
    bool interned;
    // (text) Lazily built byte offsets of every 32nd code point, for indexing long non-ASCII
    // strings in O(1); owned, null until first needed (never built for immortal strings).
    int64_t* index;
    char data[1];      // nbytes + 1 bytes, NUL-terminated UTF-8 (allocated past the end)

    std::string_view view() const { return {data, static_cast<size_t>(nbytes)}; }
};

// A new str from UTF-8 (must be valid UTF-8). Null on MemoryError.
RefT<Str> new_str(std::string_view utf8);
// Uninitialised str of nbytes bytes; caller fills data then calls str_finish() to compute
// length/ascii. For building results without a copy.
RefT<Str> new_str_uninit(int64_t nbytes);
void str_finish(Str* s);
// The unique, immortal, interned str for `s`. Thread-safe (a process-wide table).
Str* intern(std::string_view s);
Str* intern_str(Str* s);  // interns an existing str (returns the canonical one, borrowed)
int64_t str_hash(Str* s);
inline bool str_eq(Str* a, Str* b) {
    if (a == b) return true;
    if (a->nbytes != b->nbytes || (a->interned && b->interned)) return false;
    return a->view() == b->view();
}
inline bool is_str(Value v) {
    return v.is_object() && (v.as_object()->type == &str_type ||
                             type_has(v.as_object()->type, kStrSubclass));
}
inline bool is_exact_str(Value v) { return v.is_object() && v.as_object()->type == &str_type; }
Ref str_concat(Str* a, Str* b);
// The empty string and the one-character strings for code points < 256 are cached.
Str* empty_str();

// --- added by text (compatible extensions) ------------------------------------------------
void init_str_type();
extern Type str_iterator_type;
// A one-character string for code point cp (cached, immortal for cp < 256).
Ref str_from_codepoint(uint32_t cp);
// builtins chr(i) and ord(c) with CPython's errors (ord accepts str, bytes, bytearray).
Ref builtin_chr(Value i);
Ref builtin_ord(Value c);
// repr(str) exactly as CPython ('...' with quote choice and escapes); ascii() variant too.
Ref str_repr(Str* s);
Ref str_ascii_repr(Str* s);       // ascii(s): non-ASCII escaped as \xNN / \uNNNN / \UNNNNNNNN
std::string ascii_escape(std::string_view utf8);  // for builtins.ascii() of any repr
// s[i] for a code-point index already normalised to [0, length).
Ref str_char_at(Str* s, int64_t i);
// sep.join(iterable) with CPython's "sequence item 0: expected str instance, int found".
Ref str_join(Str* sep, Value iterable);
// The str value of a str subclass instance as an exact str (or s itself, increfed, if exact).
Ref str_exact(Str* s);
// Byte offset of code point index i (0 <= i <= length). O(1) for ASCII.
int64_t str_byte_offset(Str* s, int64_t i);

}  // namespace toy
