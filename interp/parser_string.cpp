// parser_string.cpp: number literals, string and bytes literals (escapes, concatenation)
// and f-strings (JoinedStr / FormattedValue, as CPython 3.11's Parser/string_parser.c
// builds them).
#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "interp/parser_impl.h"
#include "interp/unicode_names.h"

namespace toy::detail {

namespace {

void append_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out += (char)cp;
    } else if (cp < 0x800) {
        out += (char)(0xC0 | (cp >> 6));
        out += (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += (char)(0xE0 | (cp >> 12));
        out += (char)(0x80 | ((cp >> 6) & 0x3F));
        out += (char)(0x80 | (cp & 0x3F));
    } else {
        out += (char)(0xF0 | (cp >> 18));
        out += (char)(0x80 | ((cp >> 12) & 0x3F));
        out += (char)(0x80 | ((cp >> 6) & 0x3F));
        out += (char)(0x80 | (cp & 0x3F));
    }
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Digits (no underscores, no prefix) in `base` -> decimal string.
std::string to_decimal(std::string_view digits, int base) {
    std::vector<uint32_t> limbs;  // little-endian, base 1e9
    for (char c : digits) {
        uint64_t carry = (uint64_t)hex_value(c);
        for (auto& l : limbs) {
            uint64_t v = (uint64_t)l * (uint64_t)base + carry;
            l = (uint32_t)(v % 1000000000u);
            carry = v / 1000000000u;
        }
        while (carry) {
            limbs.push_back((uint32_t)(carry % 1000000000u));
            carry /= 1000000000u;
        }
    }
    if (limbs.empty()) return "0";
    std::string out = fmt::format("{}", limbs.back());
    for (size_t i = limbs.size() - 1; i-- > 0;) out += fmt::format("{:09}", limbs[i]);
    return out;
}

}  // namespace

Expr* Parser::parse_number(const Token& t) {
    Constant* c = arena_.make<Constant>(loc_of(t, t));
    std::string s;
    s.reserve(t.end - t.start);
    for (char ch : text(t))
        if (ch != '_') s += ch;
    char last = s.back();
    if (last == 'j' || last == 'J') {
        s.pop_back();
        c->ckind = ConstKind::Complex;
        c->f = strtod(s.c_str(), nullptr);
        return c;
    }
    int base = 10;
    size_t skip = 0;
    if (s.size() > 1 && s[0] == '0') {
        char p = s[1];
        if (p == 'x' || p == 'X') base = 16, skip = 2;
        else if (p == 'o' || p == 'O') base = 8, skip = 2;
        else if (p == 'b' || p == 'B') base = 2, skip = 2;
    }
    if (base == 10 && s.find_first_of(".eE") != std::string::npos) {
        c->ckind = ConstKind::Float;
        c->f = strtod(s.c_str(), nullptr);
        return c;
    }
    c->ckind = ConstKind::Int;
    std::string_view digits = std::string_view(s).substr(skip);
    while (digits.size() > 1 && digits[0] == '0') digits.remove_prefix(1);
    unsigned __int128 v = 0;
    bool big = false;
    for (char ch : digits) {
        v = v * (unsigned)base + (unsigned)hex_value(ch);
        if (v > (unsigned __int128)INT64_MAX) {
            big = true;
            break;
        }
    }
    if (big) c->big = base == 10 ? std::string(digits) : to_decimal(digits, base);
    else c->i = (int64_t)v;
    return c;
}

// Decodes backslash escapes in `body` (a str literal's or bytes literal's text).
bool Parser::decode_escapes(const Token& tok, std::string_view body, bool is_bytes, std::string& out) {
    size_t n = body.size();
    out.reserve(out.size() + n);
    auto unicode_error = [&](size_t from, size_t to, const char* what) {
        peek();
        if (is_bytes) {
            error_last(fmt::format("(value error) invalid \\x escape at position {}", from));
        } else {
            error_last(fmt::format("(unicode error) 'unicodeescape' codec can't decode bytes in "
                                   "position {}-{}: {}", from, to, what));
        }
        return false;
    };
    for (size_t i = 0; i < n;) {
        char c = body[i];
        if (c != '\\') {
            size_t j = i + 1;
            while (j < n && body[j] != '\\') ++j;
            out.append(body.data() + i, j - i);
            i = j;
            continue;
        }
        if (i + 1 >= n) {  // cannot happen: the lexer rejects it
            out += '\\';
            break;
        }
        char e = body[i + 1];
        size_t start = i;
        i += 2;
        switch (e) {
        case '\n': break;
        case '\\': out += '\\'; break;
        case '\'': out += '\''; break;
        case '"': out += '"'; break;
        case 'a': out += '\a'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'v': out += '\v'; break;
        case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
            uint32_t v = (uint32_t)(e - '0');
            for (int k = 0; k < 2 && i < n && body[i] >= '0' && body[i] <= '7'; ++k) v = v * 8 + (uint32_t)(body[i++] - '0');
            if (is_bytes) out += (char)(v & 0xFF);
            else append_utf8(out, v);
            break;
        }
        case 'x': {
            if (i + 2 > n || hex_value(body[i]) < 0 || hex_value(body[i + 1]) < 0) {
                size_t end = i;
                while (end < n && end < i + 2 && hex_value(body[end]) >= 0) ++end;
                return unicode_error(start, end - 1, "truncated \\xXX escape");
            }
            uint32_t v = (uint32_t)(hex_value(body[i]) * 16 + hex_value(body[i + 1]));
            i += 2;
            if (is_bytes) out += (char)v;
            else append_utf8(out, v);
            break;
        }
        case 'u':
        case 'U': {
            if (is_bytes) {
                out += '\\';
                out += e;
                break;
            }
            size_t len = e == 'u' ? 4 : 8;
            uint32_t v = 0;
            size_t k = 0;
            for (; k < len && i + k < n && hex_value(body[i + k]) >= 0; ++k) v = v * 16 + (uint32_t)hex_value(body[i + k]);
            if (k < len)
                return unicode_error(start, i + k - 1, e == 'u' ? "truncated \\uXXXX escape" : "truncated \\UXXXXXXXX escape");
            if (v > 0x10FFFF) return unicode_error(start, i + k - 1, "illegal Unicode character");
            i += len;
            append_utf8(out, v);
            break;
        }
        case 'N': {
            if (is_bytes) {
                out += "\\N";
                break;
            }
            if (i >= n || body[i] != '{')
                return unicode_error(start, i - 1, "malformed \\N character escape");
            size_t close = body.find('}', i);
            if (close == std::string_view::npos || close == i + 1)
                return unicode_error(start, (close == std::string_view::npos ? n : close + 1) - 1,
                                     "malformed \\N character escape");
            int32_t cp = unicode_lookup_name(body.substr(i + 1, close - i - 1));
            if (cp < 0) return unicode_error(start, close, "unknown Unicode character name");
            append_utf8(out, (uint32_t)cp);
            i = close + 1;
            break;
        }
        default:
            // Unknown escapes are kept as they are (CPython warns).
            out += '\\';
            out += e;
            break;
        }
    }
    (void)tok;
    return true;
}

// Splits a STRING token into its prefix flags and body [body_begin, body_end).
bool Parser::decode_string(const Token& t, std::string& out, bool* is_bytes, bool* is_f, bool* is_raw,
                           uint32_t* body_begin, uint32_t* body_end) {
    std::string_view src = lex_.source();
    uint32_t p = t.start;
    *is_bytes = *is_f = *is_raw = false;
    while (src[p] != '"' && src[p] != '\'') {
        char c = src[p] | 0x20;
        if (c == 'b') *is_bytes = true;
        else if (c == 'f') *is_f = true;
        else if (c == 'r') *is_raw = true;
        ++p;
    }
    char q = src[p];
    uint32_t qs = (p + 2 < t.end && src[p + 1] == q && src[p + 2] == q && t.end - p >= 6) ? 3 : 1;
    *body_begin = p + qs;
    *body_end = t.end - qs;
    if (*is_f) return true;
    std::string_view body = src.substr(*body_begin, *body_end - *body_begin);
    if (*is_bytes) {
        for (unsigned char c : body) {
            if (c >= 0x80) {
                error_tok(t, "bytes can only contain ASCII literal characters");
                return false;
            }
        }
    }
    if (*is_raw) {
        out.append(body);
        return true;
    }
    return decode_escapes(t, body, *is_bytes, out);
}

Expr* Parser::parse_strings() {
    size_t s0 = mark();
    size_t first = p_;
    while (at(Tok::String)) advance();
    size_t last = p_;
    bool any_bytes = false, any_str = false, any_f = false;
    std::string_view src = lex_.source();
    for (size_t i = first; i < last; ++i) {
        const Token& t = toks_[i];
        bool b = false;
        for (uint32_t p = t.start; src[p] != '"' && src[p] != '\''; ++p) {
            char c = src[p] | 0x20;
            if (c == 'b') b = true;
            if (c == 'f') any_f = true;
        }
        (b ? any_bytes : any_str) = true;
    }
    if (any_bytes && any_str) {
        peek();
        return error_last("cannot mix bytes and nonbytes literals");
    }
    Loc loc = span(s0);
    bool u_prefix = false;
    {
        const Token& t = toks_[first];
        for (uint32_t p = t.start; src[p] != '"' && src[p] != '\''; ++p)
            if ((src[p] | 0x20) == 'u') u_prefix = true;
    }
    if (!any_f) {
        Constant* c = arena_.make<Constant>(loc);
        c->ckind = any_bytes ? ConstKind::Bytes : ConstKind::Str;
        c->kind_u = u_prefix;
        for (size_t i = first; i < last; ++i) {
            bool is_bytes, is_f, is_raw;
            uint32_t bb, be;
            if (!decode_string(toks_[i], c->s, &is_bytes, &is_f, &is_raw, &bb, &be)) return nullptr;
        }
        return c;
    }
    JoinedStr* js = arena_.make<JoinedStr>(loc);
    std::string lit;
    for (size_t i = first; i < last; ++i) {
        const Token& t = toks_[i];
        bool is_bytes, is_f, is_raw;
        uint32_t bb, be;
        if (!decode_string(t, lit, &is_bytes, &is_f, &is_raw, &bb, &be)) return nullptr;
        if (is_f && !parse_fstring_body(t, bb, be, is_raw, js->values, lit, loc, 0)) return nullptr;
    }
    if (!lit.empty()) {
        Constant* c = arena_.make<Constant>(loc);
        c->ckind = ConstKind::Str;
        c->s = std::move(lit);
        js->values.push_back(c);
    }
    return js;
}

// CPython 3.11 parses a replacement field as the string "(expr)" and reports errors in it
// relative to that string: same line number, columns counted from the '(' and the text is
// the parenthesised expression.
void Parser::fstring_error_location(uint32_t expr_begin, uint32_t expr_end, int line,
                                    uint32_t line_start) {
    std::string_view src = lex_.source();
    std::string fake = "(";
    fake.append(src.substr(expr_begin, expr_end - expr_begin));
    fake += ')';
    int prefix = 0;  // characters before the expression on its first line
    for (uint32_t q = line_start; q < expr_begin; ++q)
        if (((unsigned char)src[q] & 0xC0) != 0x80) ++prefix;
    if (err_->line == line) {
        if (err_->col > 0) err_->col = err_->col - prefix + 1;
        if (err_->end_line == line && err_->end_col > 0) err_->end_col = err_->end_col - prefix + 1;
    }
    // The matching line of the fake source.
    int idx = err_->line - line;
    size_t b = 0;
    for (int i = 0; i < idx && b != std::string::npos; ++i) {
        b = fake.find('\n', b);
        if (b != std::string::npos) ++b;
    }
    if (b == std::string::npos) b = 0;
    size_t e = fake.find('\n', b);
    err_->text = fake.substr(b, e == std::string::npos ? std::string::npos : e - b) + "\n";
}

// Parses the body of an f-string (or of a format spec when depth > 0) from `b`, appending
// literal text to `lit` and replacement fields to `parts`. Stops at `e`, or for a format spec
// at the closing '}', which is left unconsumed; *stop receives where it stopped.
bool Parser::parse_fstring_body(const Token& tok, uint32_t b, uint32_t e, bool raw,
                                std::vector<Expr*>& parts, std::string& lit, Loc loc, int depth,
                                uint32_t* stop) {
    std::string_view src = lex_.source();
    auto flush = [&]() {
        if (lit.empty()) return;
        Constant* c = arena_.make<Constant>(loc);
        c->ckind = ConstKind::Str;
        c->s = std::move(lit);
        lit.clear();
        parts.push_back(c);
    };
    auto fail = [&](std::string msg) {
        peek();
        error_last(std::move(msg));
        return false;
    };
    uint32_t i = b;
    while (i < e) {
        // Literal text up to the next brace.
        uint32_t j = i;
        while (j < e && src[j] != '{' && src[j] != '}') {
            if (src[j] == '\\' && !raw && j + 1 < e) {
                // \N{...} keeps its braces
                if (src[j + 1] == 'N' && j + 2 < e && src[j + 2] == '{') {
                    j += 3;
                    while (j < e && src[j] != '}') ++j;
                    if (j < e) ++j;
                    continue;
                }
                // "\{" leaves the brace to start a field (CPython warns about the escape)
                j += (src[j + 1] == '{' || src[j + 1] == '}') ? 1 : 2;
                continue;
            }
            ++j;
        }
        if (j > i) {
            std::string_view chunk = src.substr(i, j - i);
            if (raw) lit.append(chunk);
            else if (!decode_escapes(tok, chunk, false, lit)) return false;
        }
        i = j;
        if (i >= e) break;
        char c = src[i];
        if (depth == 0 && i + 1 < e && src[i + 1] == c) {
            lit += c;
            i += 2;
            continue;
        }
        if (c == '}') {
            if (depth == 0) return fail("f-string: single '}' is not allowed");
            // end of a format spec: the caller checks the '}'
            break;
        }
        // A replacement field.
        if (depth >= 2) return fail("f-string: expressions nested too deeply");
        uint32_t expr_begin = i + 1;
        uint32_t k = expr_begin;
        char quote = 0;
        int qsize = 0;
        int nest = 0;
        std::vector<char> stack;
        for (; k < e; ++k) {
            char ch = src[k];
            if (ch == '\\') return fail("f-string expression part cannot include a backslash");
            if (quote) {
                if (ch == quote) {
                    if (qsize == 3) {
                        if (k + 2 < e && src[k + 1] == ch && src[k + 2] == ch) {
                            k += 2;
                            quote = 0;
                        }
                    } else {
                        quote = 0;
                    }
                }
                continue;
            }
            if (ch == '\'' || ch == '"') {
                if (k + 2 < e && src[k + 1] == ch && src[k + 2] == ch) {
                    qsize = 3;
                    k += 2;
                } else {
                    qsize = 1;
                }
                quote = ch;
                continue;
            }
            if (ch == '[' || ch == '(' || ch == '{') {
                if (nest >= 200) return fail("f-string: too many nested parenthesis");
                stack.push_back(ch);
                ++nest;
                continue;
            }
            if (ch == '#') return fail("f-string expression part cannot include '#'");
            if (nest == 0 && (ch == '!' || ch == ':' || ch == '}' || ch == '=' || ch == '>' || ch == '<')) {
                // '!=' and '==' etc. are operators, not terminators
                if (k + 1 < e) {
                    char nx = src[k + 1];
                    if (nx == '=' && (ch == '!' || ch == '=' || ch == '<' || ch == '>')) {
                        ++k;
                        continue;
                    }
                }
                if (ch == '>' || ch == '<') continue;
                break;
            }
            if (ch == ']' || ch == ')' || ch == '}') {
                if (nest == 0) {
                    if (ch == '}') break;
                    return fail(fmt::format("f-string: unmatched '{}'", ch));
                }
                char open = stack.back();
                if (!((open == '(' && ch == ')') || (open == '[' && ch == ']') || (open == '{' && ch == '}')))
                    return fail(fmt::format("f-string: closing parenthesis '{}' does not match opening "
                                            "parenthesis '{}'", ch, open));
                stack.pop_back();
                --nest;
                continue;
            }
        }
        if (quote) return fail("f-string: unterminated string");
        if (nest > 0) return fail(fmt::format("f-string: unmatched '{}'", stack.back()));
        if (k >= e) return fail("f-string: expecting '}'");
        uint32_t expr_end = k;
        bool blank = true;
        for (uint32_t q = expr_begin; q < expr_end; ++q)
            if (src[q] != ' ' && src[q] != '\t' && src[q] != '\n' && src[q] != '\f') blank = false;
        if (blank) {
            char term = src[k];
            if (term == '!' || term == ':' || term == '=')
                return fail(fmt::format("f-string: expression required before '{}'", term));
            return fail("f-string: empty expression not allowed");
        }
        // Where does the expression start (line / line start)?
        int line = tok.line;
        uint32_t line_start = lex_.line_start(tok.line);
        for (uint32_t q = tok.start; q < expr_begin; ++q)
            if (src[q] == '\n') ++line, line_start = q + 1;
        Expr* value;
        {
            SyntaxErrorInfo sub_err;
            Parser sub(src, expr_begin, expr_end, line, line_start, arena_, &sub_err, depth_ + 1);
            value = sub.parse_fstring_expr();
            if (value && value->kind == ExprKind::Tuple && sub.toks_[0].kind != Tok::LPar) {
                // 3.11 parses the field as "(expr)": a bare tuple spans the braces' places.
                value->loc.col = (int32_t)(expr_begin - 1 - line_start);
                int end_line = line;
                uint32_t end_ls = line_start;
                for (uint32_t q = expr_begin; q < expr_end; ++q)
                    if (src[q] == '\n') ++end_line, end_ls = q + 1;
                value->loc.end_line = end_line;
                value->loc.end_col = (int32_t)(expr_end + 1 - end_ls);
            }
            if (!value) {
                if (!sub.failed()) sub.generic_error();
                failed_ = true;
                *err_ = sub_err;
                if (sub.tok_error_) {
                    // tokenizer errors carry no "f-string: " prefix and no newline
                    if (err_->msg.rfind("f-string: ", 0) == 0) err_->msg.erase(0, 10);
                }
                fstring_error_location(expr_begin, expr_end, line, line_start);
                if (sub.tok_error_ && !err_->text.empty()) err_->text.pop_back();
                return false;
            }
        }
        bool debug = false;
        uint32_t debug_end = k;
        if (src[k] == '=') {
            debug = true;
            ++k;
            while (k < e && (src[k] == ' ' || src[k] == '\t' || src[k] == '\n' || src[k] == '\f')) ++k;
            debug_end = k;
        }
        int conversion = -1;
        if (k < e && src[k] == '!') {
            ++k;
            if (k >= e) return fail("f-string: expecting '}'");
            char cv = src[k];
            ++k;
            if (cv != 's' && cv != 'r' && cv != 'a')
                return fail("f-string: invalid conversion character: expected 's', 'r', or 'a'");
            conversion = cv;
        }
        JoinedStr* spec = nullptr;
        if (k < e && src[k] == ':') {
            ++k;
            // CPython 3.11 gives the spec (and its trailing literal) the span of the token
            // that holds it; literals before a nested field get the whole literal's span.
            Loc spec_loc{tok.line, tok.col, tok.end_line, tok.end_col};
            spec = arena_.make<JoinedStr>(spec_loc);
            std::string spec_lit;
            // The spec runs to the '}' that closes this field (nested fields are parsed by
            // the recursive call, strings in them included).
            uint32_t q = e;
            if (!parse_fstring_body(tok, k, e, raw, spec->values, spec_lit, loc, depth + 1, &q))
                return false;
            if (!spec_lit.empty()) {
                Constant* c = arena_.make<Constant>(spec_loc);
                c->ckind = ConstKind::Str;
                c->s = std::move(spec_lit);
                spec->values.push_back(c);
            }
            k = q;
        }
        if (k >= e || src[k] != '}') return fail("f-string: expecting '}'");
        ++k;
        if (debug) {
            lit.append(src.substr(expr_begin, debug_end - expr_begin));
            if (conversion == -1 && !spec) conversion = 'r';
        }
        flush();
        FormattedValue* fv = arena_.make<FormattedValue>(loc);
        fv->value = value;
        fv->conversion = conversion;
        fv->format_spec = spec;
        parts.push_back(fv);
        i = k;
    }
    if (stop) *stop = i < e ? i : e;
    return true;
}

}  // namespace toy::detail
