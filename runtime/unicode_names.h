// unicode_names.h: Unicode character names for "\N{...}" escapes and a future unicodedata
// module. The table (runtime/unicode_names.cpp) is generated from CPython 3.11's unicodedata
// for the commonly used blocks; CJK unified ideographs and Hangul syllables are computed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace toy {

// The code point named `name` (case-insensitive, as "\N{...}" accepts), or -1 if unknown.
int32_t unicode_lookup_name(std::string_view name);
// The name of code point cp, or "" when not known.
std::string unicode_char_name(uint32_t cp);

}  // namespace toy
