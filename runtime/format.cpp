// format.cpp: the format-spec mini-language, str.format and printf-style formatting.
//
// Digits come from fmt (exact, correctly rounded); Python's own rules are applied on top:
// 'g' precision/exponent choice and trailing zeros, the '' type with a precision (like 'g'
// but keeping one digit after the point), '%', '=' alignment, zero padding that is itself
// grouped ("00,001,234"), 'z' negative-zero coercion, and CPython's error messages.
#include "runtime/format.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <string>

#include "runtime/abstract.h"
#include "runtime/bytes.h"
#include "runtime/dict.h"
#include "runtime/errors.h"
#include "runtime/float.h"
#include "runtime/int.h"
#include "runtime/str.h"
#include "runtime/text_internal.h"
#include "runtime/tuple.h"

namespace toy {

namespace {

struct Spec {
    std::string fill = " ";  // one code point, UTF-8
    bool fill_given = false;
    char align = 0;          // < > = ^ or 0 (default)
    char sign = 0;           // + - space or 0
    bool z = false;
    bool alt = false;
    int64_t width = -1;
    char grouping = 0;       // , _ or 0
    int64_t precision = -1;
    char type = 0;
};

bool is_align(char c) { return c == '<' || c == '>' || c == '=' || c == '^'; }

// Parses [[fill]align][sign][z][#][0][width][grouping][.precision][type].
bool parse_spec(std::string_view spec, Spec* sp, char default_align, const char* tname) {
    size_t pos = 0, n = spec.size();
    // fill: one code point followed by an align character.
    if (n > 0) {
        const char* p = spec.data();
        text::utf8_decode(p);
        size_t clen = static_cast<size_t>(p - spec.data());
        if (clen < n && is_align(spec[clen])) {
            sp->fill.assign(spec.data(), clen);
            sp->fill_given = true;
            sp->align = spec[clen];
            pos = clen + 1;
        } else if (is_align(spec[0])) {
            sp->align = spec[0];
            pos = 1;
        }
    }
    bool align_given = sp->align != 0;
    if (pos < n && (spec[pos] == '+' || spec[pos] == '-' || spec[pos] == ' ')) sp->sign = spec[pos++];
    if (pos < n && spec[pos] == 'z') {
        sp->z = true;
        ++pos;
    }
    if (pos < n && spec[pos] == '#') {
        sp->alt = true;
        ++pos;
    }
    if (pos < n && spec[pos] == '0' && !sp->fill_given) {
        sp->fill = "0";
        if (!align_given && default_align == '>') sp->align = '=';
        ++pos;
    }
    auto read_number = [&](int64_t* out) -> int {  // 1 read, 0 none, -1 error
        size_t start = pos;
        int64_t v = 0;
        while (pos < n && spec[pos] >= '0' && spec[pos] <= '9') {
            if (v > (INT64_MAX - 9) / 10 || pos - start >= 18) {
                (void)raise(&exc::ValueError, "Too many decimal digits in format string");
                return -1;
            }
            v = v * 10 + (spec[pos] - '0');
            ++pos;
        }
        if (pos == start) return 0;
        *out = v;
        return 1;
    };
    if (read_number(&sp->width) < 0) return false;
    if (pos < n && (spec[pos] == ',' || spec[pos] == '_')) {
        sp->grouping = spec[pos++];
        if (pos < n && (spec[pos] == ',' || spec[pos] == '_')) {
            if (spec[pos] == sp->grouping && sp->grouping == ',')
                (void)raise(&exc::ValueError, "Cannot specify ',' with ','.");
            else
                (void)raise(&exc::ValueError, "Cannot specify both ',' and '_'.");
            return false;
        }
    }
    if (pos < n && spec[pos] == '.') {
        ++pos;
        int r = read_number(&sp->precision);
        if (r < 0) return false;
        if (r == 0) {
            (void)raise(&exc::ValueError, "Format specifier missing precision");
            return false;
        }
    }
    if (n - pos > 1) {
        (void)raisef(&exc::ValueError, "Invalid format specifier '{}' for object of type '{}'", spec,
               tname);
        return false;
    }
    if (pos < n) sp->type = spec[pos];
    if (sp->align == 0) sp->align = default_align;
    if (sp->grouping) {
        char t = sp->type;
        bool ok;
        if (sp->grouping == ',')
            ok = t == 0 || t == 'd' || t == 'e' || t == 'f' || t == 'g' || t == 'E' || t == 'G' ||
                 t == '%' || t == 'F';
        else
            ok = t == 0 || t == 'd' || t == 'e' || t == 'f' || t == 'g' || t == 'E' || t == 'G' ||
                 t == '%' || t == 'F' || t == 'b' || t == 'o' || t == 'x' || t == 'X';
        if (!ok) {
            if (t == 'n' || (t >= 32 && t < 127))
                (void)raisef(&exc::ValueError, "Cannot specify '{}' with '{}'.", sp->grouping, t);
            else
                (void)raisef(&exc::ValueError, "Cannot specify '{}' with '\\x{:x}'.", sp->grouping,
                       static_cast<unsigned char>(t));
            return false;
        }
    }
    return true;
}

Ref unknown_code(char type, const char* tname) {
    if (type >= 32 && type < 127)
        return raisef(&exc::ValueError, "Unknown format code '{}' for object of type '{}'", type,
                      tname);
    return raisef(&exc::ValueError, "Unknown format code '\\x{:x}' for object of type '{}'",
                  static_cast<unsigned char>(type), tname);
}

// Inserts separators into `digits` (right to left, every `interval`), padding with leading
// zeros up to min_width characters as CPython's _PyUnicode_InsertThousandsGrouping does.
std::string group_digits(std::string_view digits, char sep, int interval, int64_t min_width) {
    std::string rev;
    int64_t remaining = static_cast<int64_t>(digits.size());
    bool use_sep = false;
    size_t idx = digits.size();
    for (;;) {
        int64_t l = std::min<int64_t>(interval, std::max<int64_t>(std::max(remaining, min_width), 1));
        int64_t n_zeros = std::max<int64_t>(0, l - remaining);
        int64_t n_chars = std::max<int64_t>(0, std::min(remaining, l));
        if (use_sep) rev += sep;
        for (int64_t i = 0; i < n_chars; ++i) rev += digits[--idx];
        for (int64_t i = 0; i < n_zeros; ++i) rev += '0';
        use_sep = true;
        remaining -= n_chars;
        min_width -= l;
        if (remaining <= 0 && min_width <= 0) break;
        min_width -= 1;
    }
    return std::string(rev.rbegin(), rev.rend());
}

void append_fill(std::string& out, const std::string& fill, int64_t count) {
    if (count <= 0) return;
    if (fill.size() == 1) out.append(static_cast<size_t>(count), fill[0]);
    else
        for (int64_t i = 0; i < count; ++i) out += fill;
}

// Lays out a number: sign, prefix ("0x"), leading digits (grouped), rest (".5e+03", "%").
std::string layout_number(const Spec& sp, std::string_view sign, std::string_view prefix,
                          std::string_view digits, std::string_view rest, int interval) {
    std::string grouped;
    int64_t lead = static_cast<int64_t>(sign.size() + prefix.size());
    int64_t rest_len = text::utf8_count(rest);
    if (sp.grouping && !digits.empty()) {
        int64_t min_width = 0;
        if (sp.fill == "0" && sp.align == '=' && sp.width > 0)
            min_width = sp.width - lead - rest_len;
        grouped = group_digits(digits, sp.grouping, interval, min_width);
    } else {
        grouped.assign(digits);
    }
    int64_t total = lead + static_cast<int64_t>(grouped.size()) + rest_len;
    int64_t pad = sp.width > total ? sp.width - total : 0;
    std::string out;
    out.reserve(static_cast<size_t>(total + pad));
    switch (sp.align) {
        case '<':
            out += sign;
            out += prefix;
            out += grouped;
            out += rest;
            append_fill(out, sp.fill, pad);
            break;
        case '^':
            append_fill(out, sp.fill, pad / 2);
            out += sign;
            out += prefix;
            out += grouped;
            out += rest;
            append_fill(out, sp.fill, pad - pad / 2);
            break;
        case '=':
            out += sign;
            out += prefix;
            append_fill(out, sp.fill, pad);
            out += grouped;
            out += rest;
            break;
        default:  // '>'
            append_fill(out, sp.fill, pad);
            out += sign;
            out += prefix;
            out += grouped;
            out += rest;
            break;
    }
    return out;
}

std::string sign_str(const Spec& sp, bool negative) {
    if (negative) return "-";
    if (sp.sign == '+') return "+";
    if (sp.sign == ' ') return " ";
    return "";
}

// The text of |x| (finite or not) for a float presentation type ('e' 'f' 'g' 'r' and '\1' for
// "no type, with a precision"), without the sign. Lowercase.
std::string float_body(double ax, char type, int64_t prec, bool alt) {
    if (std::isinf(ax)) return "inf";
    if (std::isnan(ax)) return "nan";
    switch (type) {
        case 'f': {
            std::string s = fmt::format("{:.{}f}", ax, prec);
            if (alt && prec == 0) s += '.';
            return s;
        }
        case 'e': {
            std::string s = fmt::format("{:.{}e}", ax, prec);
            if (alt && prec == 0) s.insert(1, ".");
            return s;
        }
        case 'r': {
            std::string s = float_repr(ax);
            if (alt && s.find('.') == std::string::npos) {  // '#': always a decimal point
                size_t e = s.find('e');
                if (e == std::string::npos) s += '.';
                else s.insert(e, ".");
            }
            return s;
        }
        case 'g':
        case '\1': {
            bool add_dot_0 = type == '\1';
            int64_t p = prec == 0 ? 1 : prec;
            std::string sci = fmt::format("{:.{}e}", ax, p - 1);
            size_t epos = sci.find('e');
            int x = std::atoi(sci.c_str() + epos + 1);
            bool use_exp = x < -4 || x >= (add_dot_0 ? p - 1 : p);
            std::string s = use_exp ? sci : fmt::format("{:.{}f}", ax, p - 1 - x);
            if (!alt) {
                // strip trailing zeros of the fraction (and a bare point)
                size_t e = s.find('e');
                std::string mant = s.substr(0, e == std::string::npos ? s.size() : e);
                std::string tail = e == std::string::npos ? "" : s.substr(e);
                if (mant.find('.') != std::string::npos) {
                    while (!mant.empty() && mant.back() == '0') mant.pop_back();
                    if (!mant.empty() && mant.back() == '.') mant.pop_back();
                }
                s = mant + tail;
                if (add_dot_0 && s.find_first_of(".e") == std::string::npos) s += ".0";
            } else if (s.find('.') == std::string::npos) {
                size_t e = s.find('e');
                if (e == std::string::npos) s += '.';
                else s.insert(e, ".");
            }
            return s;
        }
    }
    return {};
}

// Splits a float body into leading digits and the rest.
void split_digits(const std::string& body, std::string_view* digits, std::string_view* rest) {
    size_t i = 0;
    while (i < body.size() && body[i] >= '0' && body[i] <= '9') ++i;
    *digits = std::string_view(body).substr(0, i);
    *rest = std::string_view(body).substr(i);
}

Ref format_double_spec(double v, const Spec& sp0, const char* tname) {
    Spec sp = sp0;
    char type = sp.type;
    int64_t prec = sp.precision;
    bool upper = false, percent = false;
    switch (type) {
        case 0:
            type = prec < 0 ? 'r' : '\1';
            break;
        case 'n':
            type = 'g';
            break;
        case 'E': case 'F': case 'G':
            upper = true;
            type = static_cast<char>(type + 32);
            break;
        case 'e': case 'f': case 'g':
            break;
        case '%':
            type = 'f';
            percent = true;
            v *= 100.0;
            break;
        default:
            return unknown_code(sp.type, tname);
    }
    if (prec < 0) prec = 6;
    if (prec > 1000 && type != 'r') {
        // fmt can do it, but CPython caps the buffer similarly; keep it sane.
        if (prec > 100000000) return raise(&exc::ValueError, "precision too big");
    }
    bool negative = std::signbit(v) && !std::isnan(v);
    std::string body = float_body(std::fabs(v), type, prec, sp.alt);
    if (negative && sp.z) {
        bool all_zero = true;
        for (char c : body) {
            if (c == 'e') break;
            if (c != '0' && c != '.') {
                all_zero = false;
                break;
            }
        }
        if (all_zero) negative = false;
    }
    if (upper)
        for (char& c : body) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (percent) body += '%';
    std::string_view digits, rest;
    split_digits(body, &digits, &rest);
    return new_str(layout_number(sp, sign_str(sp, negative), "", digits, rest, 3));
}

Ref format_int_spec(int64_t v, const Spec& sp) {
    if (sp.z)
        return raise(&exc::ValueError,
                     "Negative zero coercion (z) not allowed in integer format specifier");
    char type = sp.type;
    switch (type) {
        case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': case '%':
            return format_double_spec(static_cast<double>(v), sp, "int");
        case 0: case 'd': case 'n': case 'b': case 'o': case 'x': case 'X': case 'c':
            break;
        default:
            return unknown_code(type, "int");
    }
    if (sp.precision >= 0)
        return raise(&exc::ValueError, "Precision not allowed in integer format specifier");
    if (type == 'c') {
        if (sp.sign)
            return raise(&exc::ValueError, "Sign not allowed with integer format specifier 'c'");
        if (sp.alt)
            return raise(&exc::ValueError,
                         "Alternate form (#) not allowed with integer format specifier 'c'");
        if (v < 0 || v > 0x10FFFF)
            return raise(&exc::OverflowError, "%c arg not in range(0x110000)");
        std::string ch;
        text::utf8_append(ch, static_cast<uint32_t>(v));
        return new_str(layout_number(sp, "", "", "", ch, 3));
    }
    uint64_t u = v < 0 ? uint64_t(0) - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
    std::string digits, prefix;
    int interval = 3;
    switch (type) {
        case 'b':
            digits = fmt::format("{:b}", u);
            prefix = "0b";
            interval = 4;
            break;
        case 'o':
            digits = fmt::format("{:o}", u);
            prefix = "0o";
            interval = 4;
            break;
        case 'x':
            digits = fmt::format("{:x}", u);
            prefix = "0x";
            interval = 4;
            break;
        case 'X':
            digits = fmt::format("{:X}", u);
            prefix = "0X";
            interval = 4;
            break;
        default:
            digits = fmt::format("{}", u);
            break;
    }
    if (!sp.alt) prefix.clear();
    return new_str(layout_number(sp, sign_str(sp, v < 0), prefix, digits, "", interval));
}

Ref format_str_spec(Str* s, const Spec& sp) {
    if (sp.type != 0 && sp.type != 's') return unknown_code(sp.type, "str");
    if (sp.sign) return raise(&exc::ValueError, "Sign not allowed in string format specifier");
    if (sp.z)
        return raise(&exc::ValueError,
                     "Negative zero coercion (z) not allowed in string format specifier");
    if (sp.alt)
        return raise(&exc::ValueError, "Alternate form (#) not allowed in string format specifier");
    if (sp.align == '=')
        return raise(&exc::ValueError, "'=' alignment not allowed in string format specifier");
    std::string_view text = s->view();
    int64_t len = s->length;
    if (sp.precision >= 0 && sp.precision < len) {
        text = text.substr(0, static_cast<size_t>(str_byte_offset(s, sp.precision)));
        len = sp.precision;
    }
    if (sp.width <= len) {
        if (text.size() == static_cast<size_t>(s->nbytes)) return str_exact(s);
        return new_str(text);
    }
    int64_t pad = sp.width - len;
    std::string out;
    out.reserve(text.size() + static_cast<size_t>(pad) * sp.fill.size());
    int64_t left = sp.align == '>' ? pad : sp.align == '^' ? pad / 2 : 0;
    append_fill(out, sp.fill, left);
    out += text;
    append_fill(out, sp.fill, pad - left);
    return new_str(out);
}

}  // namespace

Ref format_int(int64_t v, std::string_view spec) {
    Spec sp;
    if (!parse_spec(spec, &sp, '>', "int")) return nullptr;
    return format_int_spec(v, sp);
}

Ref format_float(double v, std::string_view spec) {
    if (spec.empty()) return new_str(float_repr(v));
    Spec sp;
    if (!parse_spec(spec, &sp, '>', "float")) return nullptr;
    return format_double_spec(v, sp, "float");
}

Ref format_str(Str* s, std::string_view spec) {
    if (spec.empty()) return str_exact(s);
    Spec sp;
    if (!parse_spec(spec, &sp, '<', "str")) return nullptr;
    return format_str_spec(s, sp);
}

Ref format_value(Value v, Str* spec) {
    std::string_view sv = spec ? spec->view() : std::string_view();
    if (v.is_small_int()) {
        if (sv.empty()) return repr(v);
        return format_int(v.as_small_int(), sv);
    }
    if (v.is_double()) return format_float(v.as_double(), sv);
    if (v.is_object()) {
        Type* t = v.as_object()->type;
        if (t == &str_type) return format_str(v.as<Str>(), sv);
        if (t == &int_type) {
            if (sv.empty()) return repr(v);
            return format_int(int_as_i64(v), sv);
        }
    }
    if (v.is_bool() && !sv.empty()) return format_int(v.as_bool() ? 1 : 0, sv);
    if (!spec) {
        Str* e = empty_str();
        return format(v, e);
    }
    return format(v, spec);
}

// --- str.format ------------------------------------------------------------------------------

namespace {

struct FormatArgs {
    const Value* pos = nullptr;
    size_t npos = 0;
    Tuple* kwnames = nullptr;
    const Value* kwvals = nullptr;
    Value mapping = Value::null();  // format_map
    int auto_mode = 0;              // 0 unknown, 1 automatic, 2 manual
    int64_t next_auto = 0;
};

bool all_digits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

Ref lookup_keyword(FormatArgs& fa, std::string_view name) {
    if (!fa.mapping.is_null()) {
        RefT<Str> key = new_str(name);
        if (!key) return nullptr;
        return getitem(fa.mapping, key.value());
    }
    for (int64_t i = 0; fa.kwnames && i < fa.kwnames->size; ++i) {
        if (fa.kwnames->items[i].as<Str>()->view() == name) return Ref::borrow(fa.kwvals[i]);
    }
    // KeyError(name): its args hold the key itself (str() shows the key's repr).
    return raise(&exc::KeyError, name);
}

// Resolves a field name ("0", "", "name.attr[1]") to the object.
Ref resolve_field(FormatArgs& fa, std::string_view field) {
    size_t i = 0;
    while (i < field.size() && field[i] != '.' && field[i] != '[') ++i;
    std::string_view first = field.substr(0, i);
    Ref obj;
    if (first.empty() || all_digits(first)) {
        int64_t index;
        if (first.empty()) {
            if (fa.auto_mode == 2)
                return raise(&exc::ValueError,
                             "cannot switch from manual field specification to automatic field "
                             "numbering");
            fa.auto_mode = 1;
            index = fa.next_auto++;
        } else {
            if (fa.auto_mode == 1)
                return raise(&exc::ValueError,
                             "cannot switch from automatic field numbering to manual field "
                             "specification");
            fa.auto_mode = 2;
            if (first.size() > 18) return raise(&exc::ValueError, "Too many decimal digits in format string");
            index = std::stoll(std::string(first));
        }
        if (!fa.mapping.is_null() && fa.npos == 0)
            return raise(&exc::ValueError, "Format string contains positional fields");
        if (index >= static_cast<int64_t>(fa.npos))
            return raisef(&exc::IndexError,
                          "Replacement index {} out of range for positional args tuple", index);
        obj = Ref::borrow(fa.pos[index]);
    } else {
        obj = lookup_keyword(fa, first);
        if (!obj) return nullptr;
    }
    while (i < field.size()) {
        if (field[i] == '.') {
            size_t j = i + 1;
            while (j < field.size() && field[j] != '.' && field[j] != '[') ++j;
            std::string_view attr = field.substr(i + 1, j - i - 1);
            if (attr.empty()) return raise(&exc::ValueError, "Empty attribute in format string");
            Str* name = intern(attr);
            if (!name) return nullptr;
            obj = getattr(obj.get(), name);
            if (!obj) return nullptr;
            i = j;
        } else if (field[i] == '[') {
            size_t j = field.find(']', i + 1);
            if (j == std::string_view::npos)
                return raise(&exc::ValueError, "Missing ']' in format string");
            std::string_view key = field.substr(i + 1, j - i - 1);
            if (key.empty()) return raise(&exc::ValueError, "Empty attribute in format string");
            Ref k;
            if (all_digits(key) && key.size() <= 18) k = make_int(std::stoll(std::string(key)));
            else k = new_str(key);
            if (!k) return nullptr;
            obj = getitem(obj.get(), k.get());
            if (!obj) return nullptr;
            i = j + 1;
            if (i < field.size() && field[i] != '.' && field[i] != '[')
                return raise(&exc::ValueError,
                             "Only '.' or '[' may follow ']' in format field specifier");
        } else {
            return raise(&exc::ValueError,
                         "Only '.' or '[' may follow ']' in format field specifier");
        }
    }
    return obj;
}

bool render(std::string_view f, FormatArgs& fa, int depth, std::string& out);

// Parses one replacement field starting just after its '{' (CPython's parse_field): sets
// name, conversion and spec, and *pos just past the closing '}'.
bool parse_field(std::string_view f, size_t* pos, std::string_view* name, char* conversion,
                 std::string_view* spec) {
    size_t i = *pos, n = f.size();
    size_t name_start = i;
    char c = 0;
    while (i < n) {
        c = f[i++];
        if (c == '{') {
            (void)raise(&exc::ValueError, "unexpected '{' in field name");
            return false;
        }
        if (c == '[') {
            while (i < n && f[i] != ']') ++i;
            c = 0;
            continue;
        }
        if (c == '}' || c == ':' || c == '!') break;
        c = 0;
    }
    *name = f.substr(name_start, (i - 1) - name_start);
    *conversion = 0;
    *spec = {};
    if (c == '!' || c == ':') {
        if (c == '!') {
            if (i >= n) {
                (void)raise(&exc::ValueError,
                            "end of string while looking for conversion specifier");
                return false;
            }
            *conversion = f[i++];
            if (i < n) {
                char d = f[i++];
                if (d == '}') {
                    *pos = i;
                    return true;
                }
                if (d != ':') {
                    (void)raise(&exc::ValueError, "expected ':' after conversion specifier");
                    return false;
                }
            }
        }
        size_t spec_start = i;
        int count = 1;
        while (i < n) {
            char d = f[i++];
            if (d == '{') {
                ++count;
            } else if (d == '}' && --count == 0) {
                *spec = f.substr(spec_start, i - 1 - spec_start);
                *pos = i;
                return true;
            }
        }
        (void)raise(&exc::ValueError, "unmatched '{' in format spec");
        return false;
    }
    if (c != '}') {
        (void)raise(&exc::ValueError, "expected '}' before end of string");
        return false;
    }
    *pos = i;
    return true;
}

bool render_field(std::string_view name, char conversion, std::string_view spec, FormatArgs& fa,
                  int depth, std::string& out) {
    Ref obj = resolve_field(fa, name);
    if (!obj) return false;
    switch (conversion) {
        case 0: break;
        case 'r': obj = repr(obj.get()); break;
        case 's': obj = str(obj.get()); break;
        case 'a': obj = ascii(obj.get()); break;
        default:
            if (conversion > 32 && conversion < 127)
                (void)raisef(&exc::ValueError, "Unknown conversion specifier {}", conversion);
            else
                (void)raisef(&exc::ValueError, "Unknown conversion specifier \\x{:x}",
                       static_cast<unsigned char>(conversion));
            return false;
    }
    if (!obj) return false;
    std::string expanded;
    if (spec.find('{') != std::string_view::npos) {
        if (depth <= 1) {
            (void)raise(&exc::ValueError, "Max string recursion exceeded");
            return false;
        }
        if (!render(spec, fa, depth - 1, expanded)) return false;
        spec = expanded;
    }
    Value v = obj.get();
    Ref r;
    // Fast paths avoid building a spec str.
    if (v.is_small_int() || v.is_double() || is_exact_str(v) ||
        (v.is_object() && v.as_object()->type == &int_type)) {
        if (v.is_double()) r = format_float(v.as_double(), spec);
        else if (is_exact_str(v)) r = format_str(v.as<Str>(), spec);
        else if (spec.empty()) r = repr(v);
        else r = format_int(int_as_i64(v), spec);
    } else {
        RefT<Str> s = new_str(spec);
        if (!s) return false;
        r = format(v, s.get());
    }
    if (!r) return false;
    if (!is_str(r.get())) {
        (void)raisef(&exc::TypeError, "__format__ must return a str, not {}", type_name(r.get()));
        return false;
    }
    out += r.as<Str>()->view();
    return true;
}

bool render(std::string_view f, FormatArgs& fa, int depth, std::string& out) {
    size_t i = 0, n = f.size();
    while (i < n) {
        char c = f[i];
        if (c == '{' || c == '}') {
            bool at_end = i + 1 >= n;
            if (c == '}' && (at_end || f[i + 1] != '}')) {
                (void)raise(&exc::ValueError, "Single '}' encountered in format string");
                return false;
            }
            if (c == '{' && at_end) {
                (void)raise(&exc::ValueError, "Single '{' encountered in format string");
                return false;
            }
            if (f[i + 1] == c) {  // escaped {{ or }}
                out += c;
                i += 2;
                continue;
            }
            size_t pos = i + 1;
            std::string_view name, spec;
            char conversion;
            if (!parse_field(f, &pos, &name, &conversion, &spec)) return false;
            if (!render_field(name, conversion, spec, fa, depth, out)) return false;
            i = pos;
        } else {
            size_t j = i;
            while (j < n && f[j] != '{' && f[j] != '}') ++j;
            out.append(f.data() + i, j - i);
            i = j;
        }
    }
    return true;
}

}  // namespace

Ref str_format(Str* f, CallArgs a) {
    FormatArgs fa;
    fa.pos = a.args;
    fa.npos = a.npos;
    fa.kwnames = a.kwnames;
    fa.kwvals = a.args + a.npos;
    std::string out;
    out.reserve(static_cast<size_t>(f->nbytes) + 16);
    if (!render(f->view(), fa, 2, out)) return nullptr;
    return new_str(out);
}

Ref str_format_map(Str* f, Value mapping) {
    FormatArgs fa;
    fa.mapping = mapping;
    std::string out;
    if (!render(f->view(), fa, 2, out)) return nullptr;
    return new_str(out);
}

// --- printf-style ----------------------------------------------------------------------------

namespace {

struct PercentArgs {
    Value args;
    const Value* items = nullptr;
    int64_t arglen = -1;
    int64_t argidx = -2;
    Value dict = Value::null();
};

Value next_arg(PercentArgs& pa) {
    if (pa.argidx < pa.arglen) {
        int64_t idx = pa.argidx++;
        if (pa.arglen < 0) return pa.args;
        return pa.items[idx];
    }
    (void)raise(&exc::TypeError, "not enough arguments for format string");
    return Value::null();
}

// Applies printf width/flags to a formatted number or string.
void pad_printf(std::string& out, std::string_view sign, std::string_view prefix,
                std::string_view body, int64_t width, bool left, bool zero) {
    int64_t len = static_cast<int64_t>(sign.size() + prefix.size()) + text::utf8_count(body);
    int64_t pad = width > len ? width - len : 0;
    if (left) {
        out += sign;
        out += prefix;
        out += body;
        out.append(static_cast<size_t>(pad), ' ');
    } else if (zero) {
        out += sign;
        out += prefix;
        out.append(static_cast<size_t>(pad), '0');
        out += body;
    } else {
        out.append(static_cast<size_t>(pad), ' ');
        out += sign;
        out += prefix;
        out += body;
    }
}

// printf-style formatting of str (bytes_mode false) or bytes (true) into `out`.
Ref percent_impl(std::string_view f, Value args, bool bytes_mode) {
    PercentArgs pa;
    pa.args = args;
    if (is_tuple(args)) {
        pa.items = args.as<Tuple>()->items;
        pa.arglen = args.as<Tuple>()->size;
        pa.argidx = 0;
    }
    Type* at = type_of(args);
    if (at->getitem && !is_tuple(args) && !is_str(args)) pa.dict = args;

    std::string out;
    out.reserve(f.size() + 16);
    size_t i = 0, n = f.size();
    while (i < n) {
        if (f[i] != '%') {
            size_t j = f.find('%', i);
            if (j == std::string_view::npos) j = n;
            out.append(f.data() + i, j - i);
            i = j;
            continue;
        }
        size_t start = i;
        ++i;
        if (i >= n) return raise(&exc::ValueError, "incomplete format");
        Value arg = Value::null();
        Ref keyed;  // holds a value looked up by %(key)
        if (f[i] == '(') {
            if (pa.dict.is_null()) return raise(&exc::TypeError, "format requires a mapping");
            size_t j = i + 1;
            int level = 1;
            while (j < n) {
                if (f[j] == '(') ++level;
                else if (f[j] == ')' && --level == 0) break;
                ++j;
            }
            if (j >= n) return raise(&exc::ValueError, "incomplete format key");
            Ref key = bytes_mode ? Ref(new_bytes(f.substr(i + 1, j - i - 1)))
                                 : Ref(new_str(f.substr(i + 1, j - i - 1)));
            if (!key) return nullptr;
            keyed = getitem(pa.dict, key.get());
            if (!keyed) return nullptr;
            arg = keyed.get();
            pa.arglen = -1;
            pa.argidx = -2;
            i = j + 1;
        }
        bool left = false, plus = false, space = false, alt = false, zero = false;
        for (; i < n; ++i) {
            char c = f[i];
            if (c == '-') left = true;
            else if (c == '+') plus = true;
            else if (c == ' ') space = true;
            else if (c == '#') alt = true;
            else if (c == '0') zero = true;
            else break;
        }
        int64_t width = -1, prec = -1;
        auto read_star_or_num = [&](int64_t* out_v, const char* too_big) -> bool {
            if (i < n && f[i] == '*') {
                Value w = next_arg(pa);
                if (w.is_null()) return false;
                if (!is_int(w)) {
                    (void)raise(&exc::TypeError, "* wants int");
                    return false;
                }
                *out_v = int_as_i64(w);
                ++i;
                return true;
            }
            int64_t v = -1;
            while (i < n && f[i] >= '0' && f[i] <= '9') {
                if (v < 0) v = 0;
                if (v > (INT64_MAX - 9) / 10) {
                    (void)raise(&exc::ValueError, too_big);
                    return false;
                }
                v = v * 10 + (f[i] - '0');
                ++i;
            }
            *out_v = v;
            return true;
        };
        if (!read_star_or_num(&width, "width too big")) return nullptr;
        if (width < -1) {  // '*' with a negative value: left-justify
            left = true;
            width = -width;
        }
        if (i < n && f[i] == '.') {
            ++i;
            if (!read_star_or_num(&prec, "precision too big")) return nullptr;
            if (prec < 0) prec = 0;
        }
        while (i < n && (f[i] == 'h' || f[i] == 'l' || f[i] == 'L')) ++i;
        if (i >= n) return raise(&exc::ValueError, "incomplete format");
        char type = f[i++];
        if (type == '%' && i == start + 2) {  // "%%" (with flags/width it is a conversion)
            out += '%';
            continue;
        }
        if (arg.is_null()) {
            arg = next_arg(pa);
            if (arg.is_null()) return nullptr;
        }
        std::string sign;
        switch (type) {
            case 'b':
            case 's':
                if (bytes_mode) {
                    Ref b;
                    if (is_bytes_like(arg)) {
                        b = bytes_from_object(arg);
                    } else {
                        static Str* bytes_name = intern("__bytes__");
                        if (type_lookup(type_of(arg), bytes_name).is_null())
                            return raisef(&exc::TypeError,
                                          "%b requires a bytes-like object, or an object that "
                                          "implements __bytes__, not '{}'",
                                          type_name(arg));
                        b = call_method(arg, bytes_name, {});
                        if (b && !is_bytes(b.get()))
                            return raisef(&exc::TypeError, "__bytes__ returned non-bytes (type {})",
                                          type_name(b.get()));
                    }
                    if (!b) return nullptr;
                    std::string_view text = bytes_view(b.get());
                    if (prec >= 0 && static_cast<size_t>(prec) < text.size())
                        text = text.substr(0, static_cast<size_t>(prec));
                    int64_t pad = width > static_cast<int64_t>(text.size())
                                      ? width - static_cast<int64_t>(text.size()) : 0;
                    if (!left) out.append(static_cast<size_t>(pad), ' ');
                    out += text;
                    if (left) out.append(static_cast<size_t>(pad), ' ');
                    break;
                }
                if (type == 'b') goto unsupported;
                [[fallthrough]];
            case 'r':
            case 'a': {
                Ref s = type == 's' ? str(arg) : (type == 'r' && !bytes_mode) ? repr(arg) : ascii(arg);
                if (!s) return nullptr;
                std::string_view text = s.as<Str>()->view();
                if (prec >= 0 && prec < s.as<Str>()->length)
                    text = text.substr(0, static_cast<size_t>(str_byte_offset(s.as<Str>(), prec)));
                pad_printf(out, "", "", text, width, left, false);
                break;
            }
            case 'd':
            case 'i':
            case 'u':
            case 'x':
            case 'X':
            case 'o': {
                int64_t v;
                if (is_int(arg)) {
                    v = int_as_i64(arg);
                } else if (type == 'd' || type == 'i' || type == 'u') {
                    if (!is_float(arg) && !type_of(arg)->to_int && !type_of(arg)->index)
                        return raisef(&exc::TypeError, "%{} format: a real number is required, not {}",
                                      type, type_name(arg));
                    Ref iv = number_to_int(arg);
                    if (!iv) return nullptr;
                    v = int_as_i64(iv.get());
                } else {
                    if (!type_of(arg)->index)
                        return raisef(&exc::TypeError, "%{} format: an integer is required, not {}",
                                      type, type_name(arg));
                    if (!index_value(arg, &v)) return nullptr;
                }
                uint64_t u = v < 0 ? uint64_t(0) - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
                std::string digits;
                std::string prefix;
                if (type == 'x') digits = fmt::format("{:x}", u), prefix = alt ? "0x" : "";
                else if (type == 'X') digits = fmt::format("{:X}", u), prefix = alt ? "0X" : "";
                else if (type == 'o') digits = fmt::format("{:o}", u), prefix = alt ? "0o" : "";
                else digits = fmt::format("{}", u);
                if (prec >= 0 && static_cast<int64_t>(digits.size()) < prec)
                    digits.insert(0, static_cast<size_t>(prec - static_cast<int64_t>(digits.size())), '0');
                sign = v < 0 ? "-" : plus ? "+" : space ? " " : "";
                pad_printf(out, sign, prefix, digits, width, left, zero);
                break;
            }
            case 'e':
            case 'E':
            case 'f':
            case 'F':
            case 'g':
            case 'G': {
                double d;
                if (!is_float(arg) && !is_int(arg) && !type_of(arg)->to_float && !type_of(arg)->index)
                    return raisef(&exc::TypeError, "must be real number, not {}", type_name(arg));
                if (!to_double(arg, &d)) return nullptr;
                char lt = type >= 'a' ? type : static_cast<char>(type + 32);
                std::string body = float_body(std::fabs(d), lt, prec < 0 ? 6 : prec, alt);
                if (type < 'a')
                    for (char& c : body) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
                bool neg = std::signbit(d) && !std::isnan(d);
                sign = neg ? "-" : plus ? "+" : space ? " " : "";
                pad_printf(out, sign, "", body, width, left, zero);
                break;
            }
            case 'c': {
                std::string ch;
                if (bytes_mode) {
                    if (is_bytes(arg)) {
                        if (bytes_view(arg).size() != 1)
                            return raise(&exc::TypeError,
                                         "%c requires an integer in range(256) or a single byte");
                        ch = std::string(bytes_view(arg));
                    } else if (is_int(arg) || type_of(arg)->index) {
                        int64_t v;
                        if (!index_value(arg, &v)) return nullptr;
                        if (v < 0 || v > 255)
                            return raise(&exc::OverflowError, "%c arg not in range(256)");
                        ch = std::string(1, static_cast<char>(v));
                    } else {
                        return raise(&exc::TypeError,
                                     "%c requires an integer in range(256) or a single byte");
                    }
                    int64_t pad = width > 1 ? width - 1 : 0;
                    if (!left) out.append(static_cast<size_t>(pad), ' ');
                    out += ch;
                    if (left) out.append(static_cast<size_t>(pad), ' ');
                    break;
                }
                if (is_str(arg)) {
                    if (arg.as<Str>()->length != 1)
                        return raise(&exc::TypeError, "%c requires int or char");
                    ch = std::string(arg.as<Str>()->view());
                } else if (is_int(arg) || type_of(arg)->index) {
                    int64_t v;
                    if (!index_value(arg, &v)) return nullptr;
                    if (v < 0 || v > 0x10FFFF)
                        return raise(&exc::OverflowError, "%c arg not in range(0x110000)");
                    text::utf8_append(ch, static_cast<uint32_t>(v));
                } else {
                    return raise(&exc::TypeError, "%c requires int or char");
                }
                pad_printf(out, "", "", ch, width, left, false);
                break;
            }
            default:
            unsupported: {
                // CPython reports the index of the character in the format string.
                if (bytes_mode) {
                    auto c = static_cast<unsigned char>(f[i - 1]);
                    return raisef(&exc::ValueError,
                                  "unsupported format character '{}' (0x{:x}) at index {}",
                                  c < 0x80 ? std::string(1, static_cast<char>(c)) : std::string("?"),
                                  c, i - 1);
                }
                const char* p = f.data() + i - 1;
                uint32_t cp = text::utf8_decode(p);
                int64_t idx = text::utf8_count(f.substr(0, i - 1));
                std::string chs;
                text::utf8_append(chs, cp);
                return raisef(&exc::ValueError, "unsupported format character '{}' (0x{:x}) at index {}",
                              chs, cp, idx);
            }
        }
    }
    if (pa.argidx < pa.arglen && pa.dict.is_null())
        return raise(&exc::TypeError, "not all arguments converted during string formatting");
    if (bytes_mode) return new_bytes(out);
    return new_str(out);
}

}  // namespace

Ref str_percent_format(Str* fmtstr, Value args) { return percent_impl(fmtstr->view(), args, false); }
Ref bytes_percent_format(std::string_view fmtbytes, Value args) {
    return percent_impl(fmtbytes, args, true);
}

}  // namespace toy
