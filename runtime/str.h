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

}  // namespace toy
