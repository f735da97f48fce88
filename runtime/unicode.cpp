// unicode.cpp: best-effort Unicode character classification and case mapping for str.
//
// Exact for ASCII and Latin-1; covers the common alphabets (Latin Extended-A, Greek,
// Cyrillic, Armenian, fullwidth forms) for case mapping; elsewhere a code point is treated as
// a letter unless it falls in a known punctuation/symbol/space/digit range. There is no
// Unicode database yet (a generated table can replace this file without touching callers).
#include <cstdint>

#include "runtime/text_internal.h"

namespace toy::text {

bool uni_isspace(uint32_t c) {
    if (c < 128) return c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
    return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
           c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

// Decimal digits (Unicode Nd) of the common scripts: value 0..9 or -1.
static int decimal_value(uint32_t c) {
    if (c >= '0' && c <= '9') return static_cast<int>(c - '0');
    if (c < 0x660) return -1;
    static const uint32_t zeros[] = {0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66,
                                     0xBE6, 0xC66, 0xCE6, 0xD66, 0xE50, 0xED0, 0xF20, 0x1040,
                                     0x17E0, 0x1810, 0xFF10, 0x1D7CE, 0x1D7D8, 0x1D7E2,
                                     0x1D7EC, 0x1D7F6};
    for (uint32_t z : zeros)
        if (c >= z && c <= z + 9) return static_cast<int>(c - z);
    return -1;
}

bool uni_isdigit(uint32_t c) { return decimal_value(c) >= 0; }
int uni_decimal_value(uint32_t c) { return decimal_value(c); }

// str.isdigit: decimals plus superscripts, subscripts and circled digits.
bool uni_isdigit_py(uint32_t c) {
    if (decimal_value(c) >= 0) return true;
    return c == 0xB2 || c == 0xB3 || c == 0xB9 || c == 0x2070 || (c >= 0x2074 && c <= 0x2079) ||
           (c >= 0x2080 && c <= 0x2089) || (c >= 0x2460 && c <= 0x2468) ||
           (c >= 0x2474 && c <= 0x247C) || (c >= 0x2488 && c <= 0x2490) ||
           (c >= 0x24F5 && c <= 0x24FD) || c == 0x24EA || c == 0x24FF ||
           (c >= 0x2776 && c <= 0x277E) || (c >= 0x2780 && c <= 0x2788) ||
           (c >= 0x278A && c <= 0x2792);
}

bool uni_isnumeric(uint32_t c) {
    if (uni_isdigit_py(c)) return true;
    if (c < 0xBC) return false;
    if (c <= 0xBE) return true;  // vulgar fractions
    if ((c >= 0x2150 && c <= 0x2189) || (c >= 0x2460 && c <= 0x24FF) ||
        (c >= 0x2776 && c <= 0x2793) || c == 0x3007 || (c >= 0x3021 && c <= 0x3029) ||
        (c >= 0x3038 && c <= 0x303A))
        return true;
    switch (c) {  // CJK numerals
        case 0x4E00: case 0x4E8C: case 0x4E09: case 0x56DB: case 0x4E94: case 0x516D:
        case 0x4E03: case 0x516B: case 0x4E5D: case 0x5341: case 0x767E: case 0x5343:
        case 0x4E07: case 0x5104: case 0x96F6: case 0x5146:
            return true;
        default:
            return false;
    }
}

static bool latin1_alpha(uint32_t c) {
    return c == 0xAA || c == 0xB5 || c == 0xBA || (c >= 0xC0 && c <= 0xFF && c != 0xD7 && c != 0xF7);
}

bool uni_isalpha(uint32_t c) {
    if (c < 128) return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
    if (c < 0x100) return latin1_alpha(c);
    if (uni_isspace(c) || uni_isnumeric(c)) return false;
    if (c >= 0x300 && c <= 0x36F) return false;    // combining diacritics
    if (c == 0x37E || c == 0x387 || c == 0x375 || (c >= 0x384 && c <= 0x385)) return false;
    if (c >= 0x482 && c <= 0x489) return false;    // Cyrillic signs
    if ((c >= 0x55A && c <= 0x55F) || c == 0x589 || c == 0x58A) return false;
    if ((c >= 0x591 && c <= 0x5CF) || (c >= 0x600 && c <= 0x61F) || (c >= 0x64B && c <= 0x66D))
        return false;
    if (c >= 0x2000 && c <= 0x2BFF) {
        // punctuation, super/subscripts, currency, letterlike symbols, arrows, math, boxes...
        if (c == 0x2071 || c == 0x207F || (c >= 0x2090 && c <= 0x209C)) return true;
        if (c == 0x2102 || c == 0x2107 || (c >= 0x210A && c <= 0x2113) || c == 0x2115 ||
            (c >= 0x2119 && c <= 0x211D) || c == 0x2124 || c == 0x2126 || c == 0x2128 ||
            (c >= 0x212A && c <= 0x212D) || (c >= 0x212F && c <= 0x2139))
            return true;
        return false;
    }
    if (c >= 0x2E00 && c <= 0x2E7F) return false;  // supplemental punctuation
    if (c >= 0x3000 && c <= 0x303F) return c == 0x3005 || c == 0x3006 || (c >= 0x3031 && c <= 0x3035) || c == 0x303B || c == 0x303C;
    if ((c >= 0xD800 && c <= 0xF8FF) || (c >= 0xFE00 && c <= 0xFE0F) ||
        (c >= 0xFE10 && c <= 0xFE6F) || c == 0xFEFF)
        return false;
    if (c >= 0xFF00 && c <= 0xFF65) {
        return (c >= 0xFF21 && c <= 0xFF3A) || (c >= 0xFF41 && c <= 0xFF5A);
    }
    if (c >= 0xFFF0 && c <= 0xFFFF) return false;
    if (c >= 0x1F000 && c <= 0x1FAFF) return false;  // emoji, symbols
    if (c >= 0xE0000) return false;
    return true;
}

bool uni_isprintable(uint32_t c) {
    if (c < 0x20 || c == 0x7F) return false;
    if (c < 0x7F) return true;
    if (c <= 0xA0 || c == 0xAD) return false;
    if (c < 0x300) return true;
    if (c == 0x378 || c == 0x379 || (c >= 0x380 && c <= 0x383) || c == 0x38B || c == 0x38D ||
        c == 0x3A2)
        return false;
    if (c == 0x61C || c == 0x6DD || c == 0x70F || c == 0x180E || c == 0x1680) return false;
    if (c >= 0x2000 && c <= 0x200F) return false;
    if (c >= 0x2028 && c <= 0x202F) return false;
    if (c >= 0x205F && c <= 0x206F) return false;
    if (c == 0x3000) return false;
    if (c >= 0xD800 && c <= 0xF8FF) return false;  // surrogates and private use
    if (c == 0xFEFF || (c >= 0xFFF0 && c <= 0xFFFB) || c == 0xFFFE || c == 0xFFFF) return false;
    if (c >= 0x110000) return false;
    if ((c >= 0xE0000 && c <= 0xE0FFF) || c >= 0xF0000) return false;
    if ((c & 0xFFFE) == 0xFFFE) return false;
    return true;
}

// Simple case mapping: the other case of c, or c. `to_upper` selects the direction.
static uint32_t map_case(uint32_t c, bool to_upper) {
    if (c < 128) {
        if (to_upper) return (c >= 'a' && c <= 'z') ? c - 32 : c;
        return (c >= 'A' && c <= 'Z') ? c + 32 : c;
    }
    if (c < 0x100) {
        if (to_upper) {
            if (c >= 0xE0 && c <= 0xFE && c != 0xF7) return c - 32;
            if (c == 0xFF) return 0x178;
            if (c == 0xB5) return 0x39C;
            return c;
        }
        if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;
        return c;
    }
    if ((c >= 0x1C4 && c <= 0x1CC) || (c >= 0x1F1 && c <= 0x1F3)) {
        // DŽ Dž dž triples (upper, title, lower)
        uint32_t base = c >= 0x1F1 ? 0x1F1 : 0x1C4 + (c - 0x1C4) / 3 * 3;
        return to_upper ? base : base + 2;
    }
    if (c < 0x180) {
        if (c == 0x130) return to_upper ? c : 'i';
        if (c == 0x131) return to_upper ? 'I' : c;
        if (c == 0x138 || c == 0x149) return c;
        if (c == 0x178) return to_upper ? c : 0xFF;
        if (c == 0x17F) return to_upper ? 'S' : c;
        bool odd_upper = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
        bool is_upper = odd_upper ? (c & 1) : !(c & 1);
        if (to_upper) return is_upper ? c : c - 1;
        return is_upper ? c + 1 : c;
    }
    if (c >= 0x370 && c < 0x400) {
        if (to_upper) {
            if (c >= 0x3B1 && c <= 0x3C9 && c != 0x3C2) return c - 32;
            if (c == 0x3C2) return 0x3A3;
            if (c == 0x3AC) return 0x386;
            if (c >= 0x3AD && c <= 0x3AF) return c - 37;
            if (c == 0x3CC) return 0x38C;
            if (c == 0x3CD || c == 0x3CE) return c - 63;
            return c;
        }
        if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return c + 32;
        if (c == 0x386) return 0x3AC;
        if (c >= 0x388 && c <= 0x38A) return c + 37;
        if (c == 0x38C) return 0x3CC;
        if (c == 0x38E || c == 0x38F) return c + 63;
        return c;
    }
    if (c >= 0x400 && c < 0x530) {
        if (c < 0x410) return to_upper ? c : c + 0x50;
        if (c < 0x430) return to_upper ? c : c + 32;
        if (c < 0x450) return to_upper ? c - 32 : c;
        if (c < 0x460) return to_upper ? c - 0x50 : c;
        if ((c >= 0x460 && c <= 0x481) || (c >= 0x48A && c <= 0x4BF) ||
            (c >= 0x4D0 && c <= 0x52F)) {
            bool is_upper = !(c & 1);
            if (to_upper) return is_upper ? c : c - 1;
            return is_upper ? c + 1 : c;
        }
        if (c >= 0x4C1 && c <= 0x4CE) {
            bool is_upper = c & 1;
            if (to_upper) return is_upper ? c : c - 1;
            return is_upper ? c + 1 : c;
        }
        return c;
    }
    if (c >= 0x531 && c <= 0x556) return to_upper ? c : c + 0x30;
    if (c >= 0x561 && c <= 0x586) return to_upper ? c - 0x30 : c;
    if (c >= 0x1E00 && c <= 0x1EFF && !(c >= 0x1E96 && c <= 0x1E9F)) {
        bool is_upper = !(c & 1);
        if (to_upper) return is_upper ? c : c - 1;
        return is_upper ? c + 1 : c;
    }
    if (c >= 0xFF21 && c <= 0xFF3A) return to_upper ? c : c + 32;
    if (c >= 0xFF41 && c <= 0xFF5A) return to_upper ? c - 32 : c;
    return c;
}

uint32_t uni_toupper(uint32_t c) { return map_case(c, true); }
uint32_t uni_tolower(uint32_t c) { return map_case(c, false); }
bool uni_islower(uint32_t c) {
    if (c < 128) return c >= 'a' && c <= 'z';
    if (c == 0xAA || c == 0xBA || c == 0xDF || c == 0x138 || c == 0x149) return true;
    if (c >= 0xFB00 && c <= 0xFB06) return true;  // ligatures (full case mapping only)
    return uni_toupper(c) != c;
}
bool uni_isupper(uint32_t c) {
    if (c < 128) return c >= 'A' && c <= 'Z';
    return uni_tolower(c) != c;
}

}  // namespace toy::text
