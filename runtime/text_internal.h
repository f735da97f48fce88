// text_internal.h: helpers shared by the number and text types (int, bool, float, str, bytes,
// format). Internal to runtime/; not a contract for other areas.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/abstract.h"
#include "runtime/errors.h"
#include "runtime/tuple.h"
#include "runtime/type.h"

namespace toy::text {

// "int.bit_length() takes no arguments (1 given)".
inline bool check_no_args(const char* qualname, CallArgs a) {
    if (a.npos != 0 || a.nkw() != 0) {
        (void)raisef(&exc::TypeError, "{}() takes no arguments ({} given)", qualname, a.npos + a.nkw());
        return false;
    }
    return true;
}
inline bool check_no_kwargs(const char* name, CallArgs a) {
    if (a.nkw() != 0) {
        (void)raisef(&exc::TypeError, "{}() takes no keyword arguments", name);
        return false;
    }
    return true;
}
// "str.zfill() takes exactly one argument (0 given)".
inline bool check_one_arg(const char* qualname, CallArgs a) {
    if (!check_no_kwargs(qualname, a)) return false;
    if (a.npos != 1) {
        (void)raisef(&exc::TypeError, "{}() takes exactly one argument ({} given)", qualname, a.npos);
        return false;
    }
    return true;
}
// Positional-only range check: "count expected at least 1 argument, got 0" style
// (CPython's _PyArg_CheckPositional wording).
inline bool check_positional(const char* name, CallArgs a, size_t min, size_t max) {
    if (!check_no_kwargs(name, a)) return false;
    if (a.npos < min) {
        if (min == max)
            (void)raisef(&exc::TypeError, "{} expected {} argument{}, got {}", name, min,
                   min == 1 ? "" : "s", a.npos);
        else
            (void)raisef(&exc::TypeError, "{} expected at least {} argument{}, got {}", name, min,
                   min == 1 ? "" : "s", a.npos);
        return false;
    }
    if (a.npos > max) {
        if (min == max)
            (void)raisef(&exc::TypeError, "{} expected {} argument{}, got {}", name, max,
                   max == 1 ? "" : "s", a.npos);
        else
            (void)raisef(&exc::TypeError, "{} expected at most {} argument{}, got {}", name, max,
                   max == 1 ? "" : "s", a.npos);
        return false;
    }
    return true;
}

// A method's positional-only arguments with CPython's messages: keywords give
// "str.center() takes no keyword arguments", counts "center expected at least 1 argument, got 0".
inline bool check_method_args(const char* type, const char* name, CallArgs a, size_t min,
                              size_t max) {
    if (a.nkw() != 0) {
        (void)raisef(&exc::TypeError, "{}.{}() takes no keyword arguments", type, name);
        return false;
    }
    return check_positional(name, a, min, max);
}

// Slot-wrapper argument check: "expected 1 argument, got 0".
inline bool check_wrapper_args(CallArgs a, size_t n) {
    if (a.nkw() != 0) {
        (void)raise(&exc::TypeError, "wrapper takes no keyword arguments");
        return false;
    }
    if (a.npos != n) {
        (void)raisef(&exc::TypeError, "expected {} argument{}, got {}", n, n == 1 ? "" : "s", a.npos);
        return false;
    }
    return true;
}

// Wrappers exposing a binary slot as a dunder method (`int.__add__`) and its reflection.
template <BinarySlot F> Ref binary_method(Value self, CallArgs a) {
    if (!check_wrapper_args(a, 1)) return nullptr;
    return F(self, a.args[0]);
}
template <BinarySlot F> Ref binary_rmethod(Value self, CallArgs a) {
    if (!check_wrapper_args(a, 1)) return nullptr;
    return F(a.args[0], self);
}
template <UnarySlot F> Ref unary_method(Value self, CallArgs a) {
    if (!check_wrapper_args(a, 0)) return nullptr;
    return F(self);
}
template <CompareSlot F, CmpOp op> Ref compare_method(Value self, CallArgs a) {
    if (!check_wrapper_args(a, 1)) return nullptr;
    return F(self, a.args[0], op);
}

// Python's repr of a UTF-8 string ('...' with CPython's quote choice and escapes).
std::string str_repr_utf8(std::string_view s);
// Decodes one UTF-8 code point at p (valid UTF-8 assumed); advances p.
inline uint32_t utf8_decode(const char*& p) {
    auto c = static_cast<unsigned char>(*p++);
    if (c < 0x80) return c;
    if (c < 0xE0) {
        uint32_t r = (c & 0x1F) << 6;
        r |= static_cast<unsigned char>(*p++) & 0x3F;
        return r;
    }
    if (c < 0xF0) {
        uint32_t r = (c & 0x0F) << 12;
        r |= (static_cast<unsigned char>(*p++) & 0x3F) << 6;
        r |= static_cast<unsigned char>(*p++) & 0x3F;
        return r;
    }
    uint32_t r = (c & 0x07) << 18;
    r |= (static_cast<unsigned char>(*p++) & 0x3F) << 12;
    r |= (static_cast<unsigned char>(*p++) & 0x3F) << 6;
    r |= static_cast<unsigned char>(*p++) & 0x3F;
    return r;
}
inline void utf8_append(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}
inline int utf8_len(uint32_t cp) { return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4; }
// Number of code points in valid UTF-8.
int64_t utf8_count(std::string_view s);
// Validates UTF-8 (no surrogates, no overlongs); returns the byte offset of the first error
// or -1 if valid. *errlen receives the CPython "invalid start byte"/"invalid continuation
// byte"/"unexpected end of data" reason.
int64_t utf8_validate(std::string_view s, const char** reason, int64_t* errend);

// Unicode best-effort classification (exact for ASCII and Latin-1).
bool uni_isspace(uint32_t c);
bool uni_isalpha(uint32_t c);
bool uni_isdigit(uint32_t c);      // decimal digits (str.isdecimal)
bool uni_isdigit_py(uint32_t c);
int uni_decimal_value(uint32_t c);  // 0..9 for a decimal digit (any script), else -1
// Non-ASCII decimal digits -> ASCII digits, Unicode spaces -> ' ' (for int()/float()).
std::string ascii_digits(std::string_view text);   // str.isdigit (decimals, superscripts, circled digits)
bool uni_isnumeric(uint32_t c);
bool uni_isprintable(uint32_t c);
bool uni_islower(uint32_t c);
bool uni_isupper(uint32_t c);
uint32_t uni_tolower(uint32_t c);
uint32_t uni_toupper(uint32_t c);
inline bool uni_isalnum(uint32_t c) { return uni_isalpha(c) || uni_isnumeric(c); }

}  // namespace toy::text
