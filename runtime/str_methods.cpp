// str_methods.cpp: the named methods of str (split, join, strip, find, replace, case
// mapping, predicates, padding, partition, format, encode, translate, ...). Indices that
// methods take and return are code-point indices; ASCII strings (the common case) map them to
// bytes directly, others convert once.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "runtime/abstract.h"
#include "runtime/bytes.h"
#include "runtime/dict.h"
#include "runtime/errors.h"
#include "runtime/format.h"
#include "runtime/int.h"
#include "runtime/list.h"
#include "runtime/native_function.h"
#include "runtime/str.h"
#include "runtime/text_internal.h"
#include "runtime/tuple.h"

namespace toy {

using text::utf8_append;
using text::utf8_decode;

namespace {

inline Str* S(Value v) { return v.as<Str>(); }

Ref self_or_copy(Value self) { return str_exact(S(self)); }

// Byte offset -> code point index.
int64_t cp_index(Str* s, int64_t byte_off) {
    if (s->ascii) return byte_off;
    return text::utf8_count(std::string_view(s->data, static_cast<size_t>(byte_off)));
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

// Clamps [start, end) code-point indices as CPython's ADJUST_INDICES.
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

bool arg_str(Value v, const char* fname, int argn, Str** out) {
    if (!is_str(v)) {
        if (argn > 0)
            (void)raisef(&exc::TypeError, "{}() argument {} must be str, not {}", fname, argn,
                   type_name(v));
        else
            (void)raisef(&exc::TypeError, "must be str, not {}", type_name(v));
        return false;
    }
    *out = S(v);
    return true;
}

RefT<List> list_of_views(const std::vector<std::string_view>& parts) {
    RefT<List> l = new_list(static_cast<int64_t>(parts.size()));
    if (!l) return nullptr;
    for (auto p : parts) {
        Ref s = new_str(p);
        if (!s || !list_append_steal(l.get(), s.release())) return nullptr;
    }
    return l;
}

// --- join / split -------------------------------------------------------------------------

Ref m_join(Value self, CallArgs a) {
    if (!text::check_one_arg("str.join", a)) return nullptr;
    return str_join(S(self), a.args[0]);
}

// Whitespace test at p (valid UTF-8): the length of the whitespace char or 0.
inline int space_at(const char* p, const char* end) {
    auto c = static_cast<unsigned char>(*p);
    if (c < 0x80) return text::uni_isspace(c) ? 1 : 0;
    const char* q = p;
    uint32_t cp = utf8_decode(q);
    (void)end;
    return text::uni_isspace(cp) ? static_cast<int>(q - p) : 0;
}

void split_whitespace(std::string_view s, int64_t maxsplit, std::vector<std::string_view>* out) {
    const char* b = s.data();
    const char* e = b + s.size();
    const char* p = b;
    while (true) {
        int w;
        while (p < e && (w = space_at(p, e)) > 0) p += w;
        if (p >= e) break;
        if (maxsplit >= 0 && static_cast<int64_t>(out->size()) == maxsplit) {
            out->emplace_back(p, static_cast<size_t>(e - p));  // the rest, as is
            break;
        }
        const char* start = p;
        while (p < e && space_at(p, e) == 0) {
            ++p;
            while (p < e && (static_cast<unsigned char>(*p) & 0xC0) == 0x80) ++p;
        }
        out->emplace_back(start, static_cast<size_t>(p - start));
    }
}

void rsplit_whitespace(std::string_view s, int64_t maxsplit, std::vector<std::string_view>* out) {
    const char* b = s.data();
    const char* e = s.data() + s.size();
    const char* p = e;  // exclusive end of the unprocessed part
    auto prev_char = [&](const char* q) {
        const char* r = q - 1;
        while (r > b && (static_cast<unsigned char>(*r) & 0xC0) == 0x80) --r;
        return r;
    };
    while (true) {
        while (p > b) {
            const char* r = prev_char(p);
            if (space_at(r, e) == 0) break;
            p = r;
        }
        if (p <= b) break;
        if (maxsplit >= 0 && static_cast<int64_t>(out->size()) == maxsplit) {
            out->emplace_back(b, static_cast<size_t>(p - b));  // the rest, as is
            break;
        }
        const char* end = p;
        while (p > b) {
            const char* r = prev_char(p);
            if (space_at(r, e) != 0) break;
            p = r;
        }
        out->emplace_back(p, static_cast<size_t>(end - p));
    }
    std::reverse(out->begin(), out->end());
}

template <bool kReverse> Ref m_split(Value self, CallArgs a) {
    Value vals[2];
    if (!parse_args(kReverse ? "rsplit" : "split", a, 0, 2, {"sep", "maxsplit"}, vals))
        return nullptr;
    int64_t maxsplit = -1;
    if (!vals[1].is_null()) {
        if (!is_int(vals[1]) && !type_of(vals[1])->index)
            return raisef(&exc::TypeError, "'{}' object cannot be interpreted as an integer",
                          type_name(vals[1]));
        if (!index_value(vals[1], &maxsplit)) return nullptr;
    }
    std::string_view s = S(self)->view();
    std::vector<std::string_view> parts;
    if (vals[0].is_null() || vals[0].is_none()) {
        if (kReverse) rsplit_whitespace(s, maxsplit, &parts);
        else split_whitespace(s, maxsplit, &parts);
        return list_of_views(parts);
    }
    if (!is_str(vals[0]))
        return raisef(&exc::TypeError, "must be str or None, not {}", type_name(vals[0]));
    std::string_view sep = S(vals[0])->view();
    if (sep.empty()) return raise(&exc::ValueError, "empty separator");
    if (!kReverse) {
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
    return list_of_views(parts);
}

Ref m_splitlines(Value self, CallArgs a) {
    Value vals[1];
    if (!parse_args("splitlines", a, 0, 1, {"keepends"}, vals)) return nullptr;
    bool keep = false;
    if (!vals[0].is_null()) {
        int t = truthy(vals[0]);
        if (t < 0) return nullptr;
        keep = t != 0;
    }
    std::string_view s = S(self)->view();
    std::vector<std::string_view> parts;
    size_t i = 0, start = 0, n = s.size();
    while (i < n) {
        auto c = static_cast<unsigned char>(s[i]);
        size_t brk = 0;  // length of the line break at i
        if (c == '\n' || c == '\v' || c == '\f' || (c >= 0x1C && c <= 0x1E)) brk = 1;
        else if (c == '\r') brk = (i + 1 < n && s[i + 1] == '\n') ? 2 : 1;
        else if (c == 0xC2 && i + 1 < n && static_cast<unsigned char>(s[i + 1]) == 0x85) brk = 2;
        else if (c == 0xE2 && i + 2 < n && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
                 (static_cast<unsigned char>(s[i + 2]) == 0xA8 ||
                  static_cast<unsigned char>(s[i + 2]) == 0xA9))
            brk = 3;
        if (brk) {
            parts.push_back(s.substr(start, (keep ? i + brk : i) - start));
            i += brk;
            start = i;
        } else {
            ++i;
        }
    }
    if (start < n) parts.push_back(s.substr(start));
    return list_of_views(parts);
}

// --- strip ------------------------------------------------------------------------------------

template <int kWhich> Ref m_strip(Value self, CallArgs a) {
    const char* name = kWhich == 0 ? "strip" : kWhich == 1 ? "lstrip" : "rstrip";
    if (!text::check_method_args("str", name, a, 0, 1)) return nullptr;
    Str* s = S(self);
    std::string_view v = s->view();
    const char* b = v.data();
    const char* e = b + v.size();
    std::vector<uint32_t> chars;
    bool ws = a.npos == 0 || a.args[0].is_none();
    if (!ws) {
        if (!is_str(a.args[0]))
            return raisef(&exc::TypeError, "{} arg must be None or str", name);
        std::string_view cs = S(a.args[0])->view();
        const char* p = cs.data();
        while (p < cs.data() + cs.size()) chars.push_back(utf8_decode(p));
    }
    auto strip_cp = [&](uint32_t cp) {
        if (ws) return text::uni_isspace(cp);
        return std::find(chars.begin(), chars.end(), cp) != chars.end();
    };
    const char* lo = b;
    const char* hi = e;
    if (kWhich != 2) {
        while (lo < hi) {
            const char* q = lo;
            if (!strip_cp(utf8_decode(q))) break;
            lo = q;
        }
    }
    if (kWhich != 1) {
        while (hi > lo) {
            const char* r = hi - 1;
            while (r > lo && (static_cast<unsigned char>(*r) & 0xC0) == 0x80) --r;
            const char* q = r;
            if (!strip_cp(utf8_decode(q))) break;
            hi = r;
        }
    }
    if (lo == b && hi == e) return self_or_copy(self);
    return new_str(std::string_view(lo, static_cast<size_t>(hi - lo)));
}

// --- find family -------------------------------------------------------------------------------

// Parses (sub[, start[, end]]) and resolves the window to byte offsets.
bool find_window(const char* name, Value self, CallArgs a, Str** sub, int64_t* bstart,
                 int64_t* bend, int64_t* cstart, int64_t* cend) {
    if (a.nkw() != 0) {
        (void)raisef(&exc::TypeError, "str.{}() takes no keyword arguments", name);
        return false;
    }
    if (a.npos < 1) {
        (void)raisef(&exc::TypeError, "{}() takes at least 1 argument (0 given)", name);
        return false;
    }
    if (a.npos > 3) {
        (void)raisef(&exc::TypeError, "{}() takes at most 3 arguments ({} given)", name, a.npos);
        return false;
    }
    if (!is_str(a.args[0])) {
        (void)raisef(&exc::TypeError, "must be str, not {}", type_name(a.args[0]));
        return false;
    }
    *sub = S(a.args[0]);
    Str* s = S(self);
    int64_t start = 0, end = INT64_MAX;
    if (a.npos > 1 && !get_opt_index(a.args[1], &start)) return false;
    if (a.npos > 2 && !get_opt_index(a.args[2], &end)) return false;
    adjust_range(s->length, &start, &end);
    *cstart = start;
    *cend = end;
    if (start > end || start > s->length) {
        *bstart = -1;
        return true;
    }
    *bstart = str_byte_offset(s, start);
    *bend = str_byte_offset(s, end);
    return true;
}

template <bool kReverse, bool kRaise> Ref m_find(Value self, CallArgs a) {
    const char* name = kRaise ? (kReverse ? "rindex" : "index") : (kReverse ? "rfind" : "find");
    Str* sub;
    int64_t b0, b1, c0, c1;
    if (!find_window(name, self, a, &sub, &b0, &b1, &c0, &c1)) return nullptr;
    int64_t r = -1;
    if (b0 >= 0) {
        std::string_view w(S(self)->data + b0, static_cast<size_t>(b1 - b0));
        size_t f = kReverse ? w.rfind(sub->view()) : w.find(sub->view());
        if (f != std::string_view::npos) r = cp_index(S(self), b0 + static_cast<int64_t>(f));
    }
    if (r < 0 && kRaise) return raise(&exc::ValueError, "substring not found");
    return make_int(r);
}

Ref m_count(Value self, CallArgs a) {
    Str* sub;
    int64_t b0, b1, c0, c1;
    if (!find_window("count", self, a, &sub, &b0, &b1, &c0, &c1)) return nullptr;
    if (b0 < 0) return make_int(0);
    if (sub->nbytes == 0) return make_int(c1 - c0 + 1);
    std::string_view w(S(self)->data + b0, static_cast<size_t>(b1 - b0));
    int64_t count = 0;
    size_t pos = 0;
    while ((pos = w.find(sub->view(), pos)) != std::string_view::npos) {
        ++count;
        pos += static_cast<size_t>(sub->nbytes);
    }
    return make_int(count);
}

template <bool kEnd> Ref m_startswith(Value self, CallArgs a) {
    const char* name = kEnd ? "endswith" : "startswith";
    if (a.nkw() != 0)
        return raisef(&exc::TypeError, "str.{}() takes no keyword arguments", name);
    if (a.npos < 1)
        return raisef(&exc::TypeError, "{}() takes at least 1 argument (0 given)", name);
    if (a.npos > 3)
        return raisef(&exc::TypeError, "{}() takes at most 3 arguments ({} given)", name, a.npos);
    Str* s = S(self);
    int64_t start = 0, end = INT64_MAX;
    if (a.npos > 1 && !get_opt_index(a.args[1], &start)) return nullptr;
    if (a.npos > 2 && !get_opt_index(a.args[2], &end)) return nullptr;
    adjust_range(s->length, &start, &end);
    bool empty_window = start > s->length;
    std::string_view w;
    if (!empty_window && start <= end) {
        int64_t b0 = str_byte_offset(s, start), b1 = str_byte_offset(s, end);
        w = std::string_view(s->data + b0, static_cast<size_t>(b1 - b0));
    }
    auto test = [&](Str* p) {
        if (empty_window) return false;
        if (start > end) return false;  // CPython: even an empty prefix fails here
        if (p->nbytes > static_cast<int64_t>(w.size())) return false;
        return kEnd ? w.substr(w.size() - static_cast<size_t>(p->nbytes)) == p->view()
                    : w.substr(0, static_cast<size_t>(p->nbytes)) == p->view();
    };
    Value prefix = a.args[0];
    if (is_tuple(prefix)) {
        Tuple* t = prefix.as<Tuple>();
        for (int64_t i = 0; i < t->size; ++i) {
            if (!is_str(t->items[i]))
                return raisef(&exc::TypeError,
                              "tuple for {} must only contain str, not {}", name,
                              type_name(t->items[i]));
            if (test(S(t->items[i]))) return Ref::boolean(true);
        }
        return Ref::boolean(false);
    }
    if (!is_str(prefix))
        return raisef(&exc::TypeError, "{} first arg must be str or a tuple of str, not {}", name,
                      type_name(prefix));
    return Ref::boolean(test(S(prefix)));
}

Ref m_replace(Value self, CallArgs a) {
    if (!text::check_method_args("str", "replace", a, 2, 3)) return nullptr;
    Str *old, *neu;
    if (!arg_str(a.args[0], "replace", 1, &old) || !arg_str(a.args[1], "replace", 2, &neu))
        return nullptr;
    int64_t count = -1;
    if (a.npos > 2) {
        if (!is_int(a.args[2]) && !type_of(a.args[2])->index)
            return raisef(&exc::TypeError, "'{}' object cannot be interpreted as an integer",
                          type_name(a.args[2]));
        if (!index_value(a.args[2], &count)) return nullptr;
    }
    Str* s = S(self);
    std::string_view v = s->view();
    if (count == 0) return self_or_copy(self);
    std::string out;
    if (old->nbytes == 0) {
        // insert `neu` before every character and at the end
        int64_t done = 0;
        const char* p = v.data();
        const char* e = p + v.size();
        while (true) {
            if (count < 0 || done < count) {
                out += neu->view();
                ++done;
            } else {
                out.append(p, static_cast<size_t>(e - p));
                break;
            }
            if (p >= e) break;
            const char* q = p;
            utf8_decode(q);
            out.append(p, static_cast<size_t>(q - p));
            p = q;
        }
        return new_str(out);
    }
    size_t pos = 0;
    int64_t done = 0;
    size_t f = v.find(old->view(), 0);
    if (f == std::string_view::npos) return self_or_copy(self);
    while (f != std::string_view::npos && (count < 0 || done < count)) {
        out.append(v.substr(pos, f - pos));
        out += neu->view();
        pos = f + static_cast<size_t>(old->nbytes);
        ++done;
        f = v.find(old->view(), pos);
    }
    out.append(v.substr(pos));
    return new_str(out);
}

// --- case -------------------------------------------------------------------------------------

bool is_cased(uint32_t c) { return text::uni_isupper(c) || text::uni_islower(c); }

// Full upper mapping of c appended to out (ß -> SS).
// Ligatures whose upper case is several letters (U+FB00..FB06).
const char* ligature_upper(uint32_t c) {
    static const char* const kLig[] = {"FF", "FI", "FL", "FFI", "FFL", "ST", "ST"};
    return (c >= 0xFB00 && c <= 0xFB06) ? kLig[c - 0xFB00] : nullptr;
}
void append_upper(std::string& out, uint32_t c) {
    if (c == 0xDF) {
        out += "SS";
        return;
    }
    if (const char* l = ligature_upper(c)) {
        out += l;
        return;
    }
    utf8_append(out, text::uni_toupper(c));
}
void append_lower(std::string& out, uint32_t c) {
    if (c == 0x130) {  // İ -> i̇
        out += "i\xCC\x87";
        return;
    }
    utf8_append(out, text::uni_tolower(c));
}
void append_title(std::string& out, uint32_t c) {
    if (c == 0xDF) {
        out += "Ss";
        return;
    }
    if ((c >= 0x1C4 && c <= 0x1CC) || (c >= 0x1F1 && c <= 0x1F3)) {
        uint32_t base = c >= 0x1F1 ? 0x1F1 : 0x1C4 + (c - 0x1C4) / 3 * 3;
        utf8_append(out, base + 1);
        return;
    }
    if (const char* l = ligature_upper(c)) {
        out += l[0];
        for (const char* q = l + 1; *q; ++q) out += static_cast<char>(*q + 32);
        return;
    }
    utf8_append(out, text::uni_toupper(c));
}

// Characters skipped when looking for the cased letters around a final sigma (approximation
// of Unicode's Case_Ignorable: apostrophes, periods, combining marks).
bool is_case_ignorable(uint32_t c) {
    return c == '\'' || c == '.' || c == ':' || c == 0xB7 || c == 0x2019 ||
           (c >= 0x300 && c <= 0x36F);
}
// Σ at p-1 ends a word: no cased letter follows (after case-ignorable characters).
bool final_sigma(std::string_view v, const char* p) {
    const char* e = v.data() + v.size();
    while (p < e) {
        uint32_t c = utf8_decode(p);
        if (is_case_ignorable(c)) continue;
        return !is_cased(c);
    }
    return true;
}

template <int kOp> Ref m_case(Value self, CallArgs a) {
    static const char* names[] = {"str.upper", "str.lower", "str.swapcase", "str.casefold",
                                  "str.capitalize", "str.title"};
    if (!text::check_no_args(names[kOp], a)) return nullptr;
    Str* s = S(self);
    std::string_view v = s->view();
    if (s->ascii) {
        RefT<Str> r = new_str_uninit(s->nbytes);
        if (!r) return nullptr;
        char* o = r->data;
        bool prev_cased = false;
        for (size_t i = 0; i < v.size(); ++i) {
            char c = v[i];
            bool up = c >= 'A' && c <= 'Z', lo = c >= 'a' && c <= 'z';
            switch (kOp) {
                case 0: o[i] = lo ? static_cast<char>(c - 32) : c; break;
                case 1: case 3: o[i] = up ? static_cast<char>(c + 32) : c; break;
                case 2: o[i] = (up || lo) ? static_cast<char>(c ^ 32) : c; break;
                case 4:
                    if (i == 0) o[i] = lo ? static_cast<char>(c - 32) : c;
                    else o[i] = up ? static_cast<char>(c + 32) : c;
                    break;
                default:
                    if (prev_cased) o[i] = up ? static_cast<char>(c + 32) : c;
                    else o[i] = lo ? static_cast<char>(c - 32) : c;
                    prev_cased = up || lo;
                    break;
            }
        }
        r->length = s->length;
        r->ascii = true;
        return r;
    }
    std::string out;
    out.reserve(v.size());
    const char* p = v.data();
    const char* e = p + v.size();
    bool first = true, prev_cased = false, prev_cased_letter = false;
    while (p < e) {
        bool before = prev_cased_letter;
        uint32_t c = utf8_decode(p);
        prev_cased_letter = is_cased(c) ? true : (is_case_ignorable(c) ? before : false);
        [[maybe_unused]] bool prev_cased_letter_before = before;
        switch (kOp) {
            case 0: append_upper(out, c); break;
            case 1:
                if (c == 0x3A3 && before && final_sigma(v, p)) utf8_append(out, 0x3C2);
                else append_lower(out, c);
                break;
            case 2:
                if (text::uni_isupper(c)) append_lower(out, c);
                else if (text::uni_islower(c)) append_upper(out, c);
                else utf8_append(out, c);
                break;
            case 3:
                if (c == 0xDF) out += "ss";
                else if (c == 0x3C2) utf8_append(out, 0x3C3);
                else append_lower(out, c);
                break;
            case 4:
                if (first) append_title(out, c);
                else append_lower(out, c);
                break;
            default:
                if (prev_cased) append_lower(out, c);
                else append_title(out, c);
                prev_cased = is_cased(c);
                break;
        }
        first = false;
    }
    return new_str(out);
}

// --- predicates --------------------------------------------------------------------------------

enum Pred { kDigit, kDecimal, kNumeric, kAlpha, kAlnum, kSpace, kUpper, kLower, kTitle,
            kIdentifier, kAscii, kPrintable };

template <int kP> Ref m_is(Value self, CallArgs a) {
    if (!text::check_no_args("str.isX", a)) return nullptr;
    Str* s = S(self);
    std::string_view v = s->view();
    if (kP == kAscii) return Ref::boolean(s->ascii);
    if (v.empty()) return Ref::boolean(kP == kPrintable);
    const char* p = v.data();
    const char* e = p + v.size();
    if (kP == kUpper || kP == kLower) {
        bool any = false;
        while (p < e) {
            uint32_t c = utf8_decode(p);
            if (kP == kUpper ? text::uni_islower(c) : text::uni_isupper(c))
                return Ref::boolean(false);
            if (kP == kUpper ? text::uni_isupper(c) : text::uni_islower(c)) any = true;
        }
        return Ref::boolean(any);
    }
    if (kP == kTitle) {
        bool prev_cased = false, any = false;
        while (p < e) {
            uint32_t c = utf8_decode(p);
            if (text::uni_isupper(c)) {
                if (prev_cased) return Ref::boolean(false);
                prev_cased = true;
                any = true;
            } else if (text::uni_islower(c)) {
                if (!prev_cased) return Ref::boolean(false);
                prev_cased = true;
                any = true;
            } else {
                prev_cased = false;
            }
        }
        return Ref::boolean(any);
    }
    if (kP == kIdentifier) {
        uint32_t c = utf8_decode(p);
        if (!(c == '_' || text::uni_isalpha(c))) return Ref::boolean(false);
        while (p < e) {
            c = utf8_decode(p);
            if (!(c == '_' || text::uni_isalpha(c) || text::uni_isdigit(c) ||
                  (c >= 0x300 && c <= 0x36F)))
                return Ref::boolean(false);
        }
        return Ref::boolean(true);
    }
    while (p < e) {
        uint32_t c = utf8_decode(p);
        bool ok;
        switch (kP) {
            case kDigit: ok = text::uni_isdigit_py(c); break;
            case kDecimal: ok = text::uni_isdigit(c); break;
            case kNumeric: ok = text::uni_isnumeric(c); break;
            case kAlpha: ok = text::uni_isalpha(c); break;
            case kAlnum: ok = text::uni_isalpha(c) || text::uni_isnumeric(c); break;
            case kSpace: ok = text::uni_isspace(c); break;
            default: ok = c == ' ' || text::uni_isprintable(c); break;
        }
        if (!ok) return Ref::boolean(false);
    }
    return Ref::boolean(true);
}

// --- padding ----------------------------------------------------------------------------------

bool pad_args(const char* name, CallArgs a, int64_t* width, std::string* fill) {
    if (!text::check_method_args("str", name, a, 1, 2)) return false;
    if (!is_int(a.args[0]) && !type_of(a.args[0])->index) {
        (void)raisef(&exc::TypeError, "'{}' object cannot be interpreted as an integer",
               type_name(a.args[0]));
        return false;
    }
    if (!index_value(a.args[0], width)) return false;
    *fill = " ";
    if (a.npos > 1) {
        if (!is_str(a.args[1])) {
            (void)raisef(&exc::TypeError, "{}() argument 2 must be str, not {}", name,
                   type_name(a.args[1]));
            return false;
        }
        if (S(a.args[1])->length != 1) {
            (void)raise(&exc::TypeError, "The fill character must be exactly one character long");
            return false;
        }
        *fill = std::string(S(a.args[1])->view());
    }
    return true;
}

Ref padded(Value self, int64_t left, int64_t right, const std::string& fill) {
    Str* s = S(self);
    if (left <= 0 && right <= 0) return self_or_copy(self);
    int64_t total;
    if (__builtin_add_overflow(left, right, &total) || total > (int64_t{1} << 34))
        return raise_no_memory();
    std::string out;
    out.reserve(static_cast<size_t>(s->nbytes + total * static_cast<int64_t>(fill.size())));
    for (int64_t i = 0; i < left; ++i) out += fill;
    out += s->view();
    for (int64_t i = 0; i < right; ++i) out += fill;
    return new_str(out);
}

template <int kAlign> Ref m_pad(Value self, CallArgs a) {
    const char* name = kAlign == 0 ? "ljust" : kAlign == 1 ? "rjust" : "center";
    int64_t width;
    std::string fill;
    if (!pad_args(name, a, &width, &fill)) return nullptr;
    int64_t len = S(self)->length;
    if (width <= len) return self_or_copy(self);
    int64_t marg = width - len;
    if (kAlign == 0) return padded(self, 0, marg, fill);
    if (kAlign == 1) return padded(self, marg, 0, fill);
    int64_t left = marg / 2 + (marg & width & 1);
    return padded(self, left, marg - left, fill);
}

Ref m_zfill(Value self, CallArgs a) {
    if (!text::check_one_arg("str.zfill", a)) return nullptr;
    int64_t width;
    if (!is_int(a.args[0]) && !type_of(a.args[0])->index)
        return raisef(&exc::TypeError, "'{}' object cannot be interpreted as an integer",
                      type_name(a.args[0]));
    if (!index_value(a.args[0], &width)) return nullptr;
    Str* s = S(self);
    if (width <= s->length) return self_or_copy(self);
    int64_t fill = width - s->length;
    std::string_view v = s->view();
    std::string out;
    size_t start = 0;
    if (!v.empty() && (v[0] == '+' || v[0] == '-')) {
        out += v[0];
        start = 1;
    }
    out.append(static_cast<size_t>(fill), '0');
    out.append(v.substr(start));
    return new_str(out);
}

Ref m_expandtabs(Value self, CallArgs a) {
    Value vals[1];
    if (!parse_args("expandtabs", a, 0, 1, {"tabsize"}, vals)) return nullptr;
    int64_t tab = 8;
    if (!vals[0].is_null() && !index_value(vals[0], &tab)) return nullptr;
    std::string_view v = S(self)->view();
    if (v.find('\t') == std::string_view::npos) return self_or_copy(self);
    std::string out;
    int64_t col = 0;
    const char* p = v.data();
    const char* e = p + v.size();
    while (p < e) {
        const char* q = p;
        uint32_t c = utf8_decode(q);
        if (c == '\t') {
            if (tab > 0) {
                int64_t n = tab - col % tab;
                out.append(static_cast<size_t>(n), ' ');
                col += n;
            }
        } else {
            out.append(p, static_cast<size_t>(q - p));
            ++col;
            if (c == '\n' || c == '\r') col = 0;
        }
        p = q;
    }
    return new_str(out);
}

// --- partition / prefix -------------------------------------------------------------------------

template <bool kReverse> Ref m_partition(Value self, CallArgs a) {
    if (!text::check_one_arg(kReverse ? "str.rpartition" : "str.partition", a)) return nullptr;
    Str* sep;
    if (!is_str(a.args[0]))
        return raisef(&exc::TypeError, "must be str, not {}", type_name(a.args[0]));
    sep = S(a.args[0]);
    if (sep->nbytes == 0) return raise(&exc::ValueError, "empty separator");
    std::string_view v = S(self)->view();
    size_t f = kReverse ? v.rfind(sep->view()) : v.find(sep->view());
    Ref x, y, z;
    Value empty = Value::object(empty_str());
    if (f == std::string_view::npos) {
        if (kReverse) {
            x = Ref::borrow(empty);
            y = Ref::borrow(empty);
            z = self_or_copy(self);
        } else {
            x = self_or_copy(self);
            y = Ref::borrow(empty);
            z = Ref::borrow(empty);
        }
    } else {
        x = new_str(v.substr(0, f));
        y = str_exact(sep);
        z = new_str(v.substr(f + static_cast<size_t>(sep->nbytes)));
    }
    if (!x || !y || !z) return nullptr;
    return RefT<Tuple>(new_tuple_of({x.get(), y.get(), z.get()}));
}

template <bool kSuffix> Ref m_remove(Value self, CallArgs a) {
    if (!text::check_one_arg(kSuffix ? "str.removesuffix" : "str.removeprefix", a)) return nullptr;
    Str* p;
    if (!is_str(a.args[0]))
        return raisef(&exc::TypeError, "{}() argument must be str, not {}",
                      kSuffix ? "removesuffix" : "removeprefix", type_name(a.args[0]));
    p = S(a.args[0]);
    std::string_view v = S(self)->view();
    if (p->nbytes > 0 && v.size() >= static_cast<size_t>(p->nbytes)) {
        if (!kSuffix && v.substr(0, static_cast<size_t>(p->nbytes)) == p->view())
            return new_str(v.substr(static_cast<size_t>(p->nbytes)));
        if (kSuffix && v.substr(v.size() - static_cast<size_t>(p->nbytes)) == p->view())
            return new_str(v.substr(0, v.size() - static_cast<size_t>(p->nbytes)));
    }
    return self_or_copy(self);
}

// --- formatting / encoding ------------------------------------------------------------------

Ref m_format(Value self, CallArgs a) { return str_format(S(self), a); }

Ref m_format_map(Value self, CallArgs a) {
    if (!text::check_one_arg("str.format_map", a)) return nullptr;
    return str_format_map(S(self), a.args[0]);
}

Ref m_dunder_format(Value self, CallArgs a) {
    if (!text::check_method_args("str", "__format__", a, 1, 1)) return nullptr;
    if (!is_str(a.args[0]))
        return raisef(&exc::TypeError, "__format__() argument must be str, not {}",
                      type_name(a.args[0]));
    return format_str(S(self), S(a.args[0])->view());
}

Ref m_encode(Value self, CallArgs a) {
    Value vals[2];
    if (!parse_args("encode", a, 0, 2, {"encoding", "errors"}, vals)) return nullptr;
    std::string_view enc = "utf-8", err = "strict";
    if (!vals[0].is_null()) {
        if (!is_str(vals[0]))
            return raisef(&exc::TypeError, "encode() argument 'encoding' must be str, not {}",
                          type_name(vals[0]));
        enc = S(vals[0])->view();
    }
    if (!vals[1].is_null()) {
        if (!is_str(vals[1]))
            return raisef(&exc::TypeError, "encode() argument 'errors' must be str, not {}",
                          type_name(vals[1]));
        err = S(vals[1])->view();
    }
    return str_encode(S(self), enc, err);
}

// str.maketrans(x[, y[, z]]): a dict {ordinal: ordinal/str/None}.
Ref m_maketrans(Value, CallArgs a) {
    if (!text::check_method_args("str", "maketrans", a, 1, 3)) return nullptr;
    RefT<Dict> d = new_dict();
    if (!d) return nullptr;
    if (a.npos == 1) {
        Value x = a.args[0];
        if (!is_dict(x))
            return raise(&exc::TypeError,
                         "if you give only one argument to maketrans it must be a dict");
        int64_t pos = 0;
        Value k, v;
        while (dict_next(x.as<Dict>(), &pos, &k, &v)) {
            if (is_str(k)) {
                if (S(k)->length != 1)
                    return raise(&exc::ValueError,
                                 "string keys in translate table must be of length 1");
                const char* p = S(k)->data;
                Ref key = make_int(utf8_decode(p));
                if (!key || !dict_set(d.get(), key.get(), v)) return nullptr;
            } else if (is_int(k)) {
                if (!dict_set(d.get(), k, v)) return nullptr;
            } else {
                return raise(&exc::TypeError,
                             "keys in translate table must be strings or integers");
            }
        }
        return d;
    }
    Str *x, *y;
    if (!is_str(a.args[0]))
        return raise(&exc::TypeError, "first maketrans argument must be a string if there is a second argument");
    x = S(a.args[0]);
    if (!arg_str(a.args[1], "maketrans", 2, &y)) return nullptr;
    if (x->length != y->length)
        return raise(&exc::ValueError, "the first two maketrans arguments must have equal length");
    const char* p = x->data;
    const char* q = y->data;
    for (int64_t i = 0; i < x->length; ++i) {
        Ref k = make_int(utf8_decode(p));
        Ref v = make_int(utf8_decode(q));
        if (!k || !v || !dict_set(d.get(), k.get(), v.get())) return nullptr;
    }
    if (a.npos == 3) {
        Str* z;
        if (!arg_str(a.args[2], "maketrans", 3, &z)) return nullptr;
        const char* r = z->data;
        for (int64_t i = 0; i < z->length; ++i) {
            Ref k = make_int(utf8_decode(r));
            if (!k || !dict_set(d.get(), k.get(), Value::none())) return nullptr;
        }
    }
    return d;
}

Ref m_translate(Value self, CallArgs a) {
    if (!text::check_one_arg("str.translate", a)) return nullptr;
    Value table = a.args[0];
    std::string_view v = S(self)->view();
    std::string out;
    out.reserve(v.size());
    const char* p = v.data();
    const char* e = p + v.size();
    while (p < e) {
        const char* start = p;
        uint32_t c = utf8_decode(p);
        Ref key = make_int(c);
        if (!key) return nullptr;
        Ref r = getitem(table, key.get());
        if (!r) {
            if (error_matches(&exc::LookupError)) {
                clear_error();
                out.append(start, static_cast<size_t>(p - start));
                continue;
            }
            return nullptr;
        }
        Value rv = r.get();
        if (rv.is_none()) continue;
        if (is_int(rv)) {
            int64_t cp = int_as_i64(rv);
            if (cp < 0 || cp > 0x10FFFF)
                return raise(&exc::ValueError, "character mapping must be in range(0x110000)");
            utf8_append(out, static_cast<uint32_t>(cp));
        } else if (is_str(rv)) {
            out += S(rv)->view();
        } else {
            return raise(&exc::TypeError, "character mapping must return integer, None or str");
        }
    }
    return new_str(out);
}

Ref m_getnewargs(Value self, CallArgs a) {
    if (!text::check_no_args("str.__getnewargs__", a)) return nullptr;
    Ref s = str_exact(S(self));
    if (!s) return nullptr;
    return RefT<Tuple>(new_tuple_of({s.get()}));
}

Ref m_sizeof(Value self, CallArgs a) {
    if (!text::check_no_args("str.__sizeof__", a)) return nullptr;
    return make_int(static_cast<int64_t>(sizeof(Str)) + S(self)->nbytes);
}

// Dunder wrappers over the slots (for super() calls from str subclasses).
Ref m_len(Value self, CallArgs a) {
    if (!text::check_wrapper_args(a, 0)) return nullptr;
    return make_int(S(self)->length);
}
Ref m_getitem(Value self, CallArgs a) {
    if (!text::check_wrapper_args(a, 1)) return nullptr;
    return str_type.getitem(self, a.args[0]);
}
Ref m_contains(Value self, CallArgs a) {
    if (!text::check_wrapper_args(a, 1)) return nullptr;
    int r = str_type.contains(self, a.args[0]);
    if (r < 0) return nullptr;
    return Ref::boolean(r != 0);
}
Ref m_iter(Value self, CallArgs a) {
    if (!text::check_wrapper_args(a, 0)) return nullptr;
    return str_type.iter(self);
}
Ref m_hash(Value self, CallArgs a) {
    if (!text::check_wrapper_args(a, 0)) return nullptr;
    return make_int(str_hash(S(self)));
}
Ref m_repr(Value self, CallArgs a) {
    if (!text::check_wrapper_args(a, 0)) return nullptr;
    return str_repr(S(self));
}
Ref m_str(Value self, CallArgs a) {
    if (!text::check_wrapper_args(a, 0)) return nullptr;
    return str_exact(S(self));
}
template <BinOp op> Ref m_binop(Value self, CallArgs a) {
    if (!text::check_wrapper_args(a, 1)) return nullptr;
    return str_type.binary[static_cast<int>(op)](self, a.args[0]);
}
Ref m_rmul(Value self, CallArgs a) {
    if (!text::check_wrapper_args(a, 1)) return nullptr;
    return str_type.binary[static_cast<int>(BinOp::kMul)](a.args[0], self);
}
Ref m_rmod(Value self, CallArgs a) {
    if (!text::check_wrapper_args(a, 1)) return nullptr;
    return Ref::not_implemented();
}
template <CmpOp op> Ref m_cmp(Value self, CallArgs a) {
    if (!text::check_wrapper_args(a, 1)) return nullptr;
    return str_type.compare(self, a.args[0], op);
}

}  // namespace

namespace text {
extern const MethodDef str_method_table[] = {
    {"join", m_join},
    {"split", m_split<false>},
    {"rsplit", m_split<true>},
    {"splitlines", m_splitlines},
    {"strip", m_strip<0>},
    {"lstrip", m_strip<1>},
    {"rstrip", m_strip<2>},
    {"find", m_find<false, false>},
    {"rfind", m_find<true, false>},
    {"index", m_find<false, true>},
    {"rindex", m_find<true, true>},
    {"count", m_count},
    {"startswith", m_startswith<false>},
    {"endswith", m_startswith<true>},
    {"replace", m_replace},
    {"upper", m_case<0>},
    {"lower", m_case<1>},
    {"swapcase", m_case<2>},
    {"casefold", m_case<3>},
    {"capitalize", m_case<4>},
    {"title", m_case<5>},
    {"isdigit", m_is<kDigit>},
    {"isdecimal", m_is<kDecimal>},
    {"isnumeric", m_is<kNumeric>},
    {"isalpha", m_is<kAlpha>},
    {"isalnum", m_is<kAlnum>},
    {"isspace", m_is<kSpace>},
    {"isupper", m_is<kUpper>},
    {"islower", m_is<kLower>},
    {"istitle", m_is<kTitle>},
    {"isidentifier", m_is<kIdentifier>},
    {"isascii", m_is<kAscii>},
    {"isprintable", m_is<kPrintable>},
    {"ljust", m_pad<0>},
    {"rjust", m_pad<1>},
    {"center", m_pad<2>},
    {"zfill", m_zfill},
    {"expandtabs", m_expandtabs},
    {"partition", m_partition<false>},
    {"rpartition", m_partition<true>},
    {"removeprefix", m_remove<false>},
    {"removesuffix", m_remove<true>},
    {"format", m_format},
    {"format_map", m_format_map},
    {"encode", m_encode},
    {"maketrans", m_maketrans, kMethodStatic},
    {"translate", m_translate},
    {"__format__", m_dunder_format},
    {"__getnewargs__", m_getnewargs},
    {"__sizeof__", m_sizeof},
    {"__len__", m_len},
    {"__getitem__", m_getitem},
    {"__contains__", m_contains},
    {"__iter__", m_iter},
    {"__hash__", m_hash},
    {"__repr__", m_repr},
    {"__str__", m_str},
    {"__add__", m_binop<BinOp::kAdd>},
    {"__mul__", m_binop<BinOp::kMul>},
    {"__rmul__", m_rmul},
    {"__mod__", m_binop<BinOp::kMod>},
    {"__rmod__", m_rmod},
    {"__eq__", m_cmp<CmpOp::kEq>},
    {"__ne__", m_cmp<CmpOp::kNe>},
    {"__lt__", m_cmp<CmpOp::kLt>},
    {"__le__", m_cmp<CmpOp::kLe>},
    {"__gt__", m_cmp<CmpOp::kGt>},
    {"__ge__", m_cmp<CmpOp::kGe>},
    {nullptr, nullptr},
};
}  // namespace text

}  // namespace toy
