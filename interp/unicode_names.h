// unicode_names.h: Unicode character names for "\N{...}" escapes (a generated table of the
// common blocks) and printability (for repr); see unicode_names_gen.py.
#pragma once

#include <cstdint>
#include <string_view>

namespace toy {

// The code point named `name` (case-insensitive), or -1 if unknown.
int32_t unicode_lookup_name(std::string_view name);

// Python's str.isprintable() for one code point (Unicode 14, as CPython 3.11).
bool unicode_is_printable(uint32_t cp);

// Identifier characters (str.isidentifier()'s rules: XID_Start or '_' first, then XID_Continue).
bool unicode_is_xid_start(uint32_t cp);
bool unicode_is_xid_continue(uint32_t cp);

// NFKC of one identifier character, as UTF-8, when it differs from the character itself
// (fullwidth letters, ligatures, MICRO SIGN, ...); empty otherwise. Identifiers are
// normalized character by character with this (no canonical composition of sequences).
std::string_view unicode_nfkc_char(uint32_t cp);

}  // namespace toy
