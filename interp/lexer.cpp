// lexer.cpp: the tokenizer. Mirrors CPython 3.11's Parser/tokenizer.c closely, including
// where each error is reported, so that messages and offsets match python3's.
#include "interp/lexer.h"
#include "interp/unicode_names.h"

#include <fmt/format.h>

#include <cstdint>
#include <cstring>

namespace toy {

namespace {

const std::string_view kSpellings[] = {
#define TOY_TOK_SPELL(name, spelling) spelling,
    TOY_TOKENS(TOY_TOK_SPELL)
#undef TOY_TOK_SPELL
};
const std::string_view kNames[] = {
#define TOY_TOK_NAME(name, spelling) #name,
    TOY_TOKENS(TOY_TOK_NAME)
#undef TOY_TOK_NAME
};

inline bool is_digit(int c) { return c >= '0' && c <= '9'; }
inline bool is_xdigit(int c) {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
inline bool is_id_start(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 128;
}
inline bool is_id_char(int c) { return is_id_start(c) || is_digit(c); }

// Keyword lookup: identifiers are short; compare against the keyword spellings with a
// switch on the first letter.
Tok keyword_kind(std::string_view s) {
    if (s.size() < 2 || s.size() > 8) return Tok::Name;
    auto is = [&](Tok t) { return s == kSpellings[(int)t]; };
    switch (s[0]) {
    case 'F': return is(Tok::False) ? Tok::False : Tok::Name;
    case 'N': return is(Tok::None) ? Tok::None : Tok::Name;
    case 'T': return is(Tok::True) ? Tok::True : Tok::Name;
    case 'a':
        for (Tok t : {Tok::And, Tok::As, Tok::Assert, Tok::Async, Tok::Await})
            if (is(t)) return t;
        return Tok::Name;
    case 'b': return is(Tok::Break) ? Tok::Break : Tok::Name;
    case 'c':
        if (is(Tok::Class)) return Tok::Class;
        return is(Tok::Continue) ? Tok::Continue : Tok::Name;
    case 'd':
        if (is(Tok::Def)) return Tok::Def;
        return is(Tok::Del) ? Tok::Del : Tok::Name;
    case 'e':
        for (Tok t : {Tok::Elif, Tok::Else, Tok::Except})
            if (is(t)) return t;
        return Tok::Name;
    case 'f':
        for (Tok t : {Tok::Finally, Tok::For, Tok::From})
            if (is(t)) return t;
        return Tok::Name;
    case 'g': return is(Tok::Global) ? Tok::Global : Tok::Name;
    case 'i':
        for (Tok t : {Tok::If, Tok::Import, Tok::In, Tok::Is})
            if (is(t)) return t;
        return Tok::Name;
    case 'l': return is(Tok::Lambda) ? Tok::Lambda : Tok::Name;
    case 'n':
        if (is(Tok::Nonlocal)) return Tok::Nonlocal;
        return is(Tok::Not) ? Tok::Not : Tok::Name;
    case 'o': return is(Tok::Or) ? Tok::Or : Tok::Name;
    case 'p': return is(Tok::Pass) ? Tok::Pass : Tok::Name;
    case 'r':
        if (is(Tok::Raise)) return Tok::Raise;
        return is(Tok::Return) ? Tok::Return : Tok::Name;
    case 't': return is(Tok::Try) ? Tok::Try : Tok::Name;
    case 'w':
        if (is(Tok::While)) return Tok::While;
        return is(Tok::With) ? Tok::With : Tok::Name;
    case 'y': return is(Tok::Yield) ? Tok::Yield : Tok::Name;
    default: return Tok::Name;
    }
}

// Number of UTF-8 code points in s (continuation bytes are not counted).
int char_count(std::string_view s) {
    int n = 0;
    for (unsigned char c : s)
        if ((c & 0xC0) != 0x80) ++n;
    return n;
}

}  // namespace

std::string_view tok_spelling(Tok t) { return kSpellings[(int)t]; }

std::string_view tok_name(Tok t) { return kNames[(int)t]; }

Lexer::Lexer(std::string_view source) : src_(source), end_((uint32_t)source.size()) {
    line_starts_.push_back(0);
}

Lexer::Lexer(std::string_view source, uint32_t begin, uint32_t end, int line,
             uint32_t line_start)
    : src_(source), pos_(begin), end_(end), line_(line), line_begin_(line_start),
      first_line_(line), atbol_(false), fstring_(true) {
    line_starts_.push_back(line_start);
}

uint32_t Lexer::line_start(int line) const {
    size_t i = (size_t)(line - first_line_);
    if (line < first_line_ || i >= line_starts_.size()) return end_;
    return line_starts_[i];
}

std::string_view Lexer::line_text(int line) const {
    uint32_t b = line_start(line);
    if (b >= src_.size()) return {};
    const void* nl = memchr(src_.data() + b, '\n', src_.size() - b);
    uint32_t e = nl ? (uint32_t)((const char*)nl - src_.data()) + 1 : (uint32_t)src_.size();
    return src_.substr(b, e - b);
}

void Lexer::make_error(SyntaxErrorInfo* err, std::string_view kind, std::string msg, int line,
                       int byte_col, int end_line, int end_byte_col, bool add_newline) const {
    err->kind = std::string(kind);
    err->msg = std::move(msg);
    err->line = line;
    std::string_view text = line_text(line);
    err->text = std::string(text);
    if (add_newline) {
        if (err->text.empty() || err->text.back() != '\n') err->text += '\n';
    } else if (!err->text.empty() && err->text.back() == '\n') {
        err->text.pop_back();
    }
    auto to_offset = [&](std::string_view t, int bc) {
        if (bc < 0) return bc;
        if ((size_t)bc > t.size()) return bc + 1;
        return char_count(t.substr(0, (size_t)bc)) + 1;
    };
    err->col = byte_col < 0 ? 0 : to_offset(text, byte_col);
    err->end_line = end_line;
    if (end_byte_col < 0) {
        err->end_col = end_byte_col;
    } else {
        err->end_col = to_offset(end_line == line ? text : line_text(end_line), end_byte_col);
    }
}

// A tokenizer error whose caret is at 0-based byte column `byte_col` on `line`.
// end_byte_col == -2 means "same as the start".
Token Lexer::error_at(int line, int byte_col, std::string msg, std::string_view kind,
                      int end_byte_col) {
    failed_ = true;
    make_error(&err_, kind, std::move(msg), line, byte_col, line,
               end_byte_col == -2 ? byte_col : end_byte_col, false);
    Token t;
    t.kind = Tok::Error;
    t.start = t.end = pos_;
    t.line = t.end_line = line;
    t.col = t.end_col = byte_col;
    return t;
}

Token Lexer::make(Tok kind, uint32_t start, uint32_t end) {
    Token t;
    t.kind = kind;
    t.start = start;
    t.end = end;
    t.line = line_;
    t.col = (int32_t)(start - line_begin_);
    t.end_line = line_;
    t.end_col = (int32_t)(end - line_begin_);
    t.level = (int32_t)brackets_.size() + (fstring_ ? 1 : 0);
    return t;
}

void Lexer::newline_at(uint32_t next_line_start) {
    ++line_;
    line_begin_ = next_line_start;
    if ((size_t)(line_ - first_line_) >= line_starts_.size()) line_starts_.push_back(next_line_start);
}

// At the beginning of a physical line outside brackets: measure the indentation, skip
// blank lines and set pending_ INDENT/DEDENTs. Returns false on an error.
bool Lexer::at_line_start() {
    for (;;) {
        int col = 0, altcol = 0, cont_col = 0;
        uint32_t p = pos_;
        for (;;) {
            int c = peekc(p);
            if (c == ' ') {
                ++col, ++altcol;
            } else if (c == '\t') {
                col = (col / 8 + 1) * 8;
                altcol = altcol + 1;
            } else if (c == '\f') {
                col = altcol = 0;
            } else if (c == '\\') {
                cont_col = cont_col ? cont_col : col;
                int c2 = peekc(p + 1);
                if (c2 != '\n') {
                    pos_ = p + 1;
                    if (c2 < 0) {
                        error_at(line_, (int)(p + 1 - line_begin_), "unexpected EOF while parsing",
                                 "SyntaxError", -1);
                        ensure_newline();
                        return false;
                    }
                    error_at(line_, (int)(p + 1 - line_begin_),
                             "unexpected character after line continuation character",
                             "SyntaxError", -1);
                    err_.end_col = 0;
                    ensure_newline();
                    return false;
                }
                p += 2;
                newline_at(p);
                if (peekc(p) < 0) {
                    pos_ = p;
                    error_at(line_ - 1, (int)(p - 1 - line_start(line_ - 1)),
                             "unexpected EOF while parsing", "SyntaxError", -1);
                    ensure_newline();
                    return false;
                }
                continue;
            } else {
                break;
            }
            ++p;
        }
        int c = peekc(p);
        if (c == '#' || c == '\n') {
            // Blank or comment-only line: no tokens at all.
            while (p < end_ && src_[p] != '\n') ++p;
            if (p >= end_) {  // comment on the last line, no newline
                pos_ = p;
                col = altcol = cont_col = 0;
                // fall through to the EOF dedent handling below
            } else {
                pos_ = p + 1;
                newline_at(pos_);
                continue;
            }
        }
        pos_ = p;
        if (cont_col) col = altcol = cont_col;
        if (p >= end_) col = altcol = 0;
        if (!brackets_.empty()) return true;
        int top = indents_.back();
        if (col == top) {
            if (altcol != altindents_.back()) goto tab_error;
        } else if (col > top) {
            if ((int)indents_.size() >= kMaxIndent) {
                error_at(line_, (int)(p - line_begin_), "too many levels of indentation",
                         "IndentationError", -1);
                ensure_newline();
                return false;
            }
            if (altcol <= altindents_.back()) goto tab_error;
            ++pending_;
            indents_.push_back(col);
            altindents_.push_back(altcol);
        } else {
            while (indents_.size() > 1 && col < indents_.back()) {
                --pending_;
                indents_.pop_back();
                altindents_.pop_back();
            }
            if (col != indents_.back()) {
                // CPython puts the caret just past the end of the line (newline included).
                std::string_view lt = line_text(line_);
                error_at(line_, 0, "unindent does not match any outer indentation level",
                         "IndentationError", -1);
                bool has_nl = !lt.empty() && lt.back() == '\n';
                err_.col = char_count(lt) + (has_nl ? 0 : 1);
                ensure_newline();
                return false;
            }
            if (altcol != altindents_.back()) goto tab_error;
        }
        return true;
    tab_error:
        error_at(line_, 0, "inconsistent use of tabs and spaces in indentation", "TabError", -1);
        err_.end_col = 0;
        ensure_newline();
        return false;
    }
}

// A non-ASCII identifier: every character must be an identifier character (CPython's
// verify_identifier). The caret goes on the first bad character.
bool Lexer::verify_identifier(uint32_t start, uint32_t end, Token* out) {
    uint32_t p = start;
    bool first = true;
    while (p < end) {
        uint32_t q = p;
        unsigned char c = (unsigned char)src_[q];
        int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
        uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1Fu) : n == 3 ? (c & 0x0Fu) : (c & 0x07u);
        for (int k = 1; k < n && q + (uint32_t)k < end; ++k) cp = (cp << 6) | ((unsigned char)src_[q + (uint32_t)k] & 0x3Fu);
        p = q + (uint32_t)n;
        bool ok = first ? unicode_is_xid_start(cp) : unicode_is_xid_continue(cp);
        first = false;
        if (!ok) {
            pos_ = p;
            std::string msg = unicode_is_printable(cp)
                                  ? fmt::format("invalid character '{}' (U+{:04X})",
                                                src_.substr(q, (size_t)n), cp)
                                  : fmt::format("invalid non-printable character U+{:04X}", cp);
            *out = error_at(line_, (int)(q - line_begin_), std::move(msg));
            return false;
        }
    }
    return true;
}

uint32_t Lexer::decimal_tail(uint32_t p, bool* ok) {
    for (;;) {
        while (is_digit(peekc(p))) ++p;
        if (peekc(p) != '_') break;
        ++p;
        if (!is_digit(peekc(p))) {
            // CPython: offset = position after the '_' (cur after backing up the bad char).
            error_at(line_, (int)(p - line_begin_) - 1, "invalid decimal literal");
            *ok = false;
            return p;
        }
    }
    *ok = true;
    return p;
}

// After a number ending just before `at`: a following identifier character is an error,
// except for the keywords that may legally follow a number (1if x else y).
bool Lexer::verify_end_of_number(uint32_t at, const char* kind, Token* out) {
    int c = peekc(at);
    bool kw = false;
    auto follows = [&](const char* s) {
        size_t n = strlen(s);
        return at + 1 + n <= end_ && memcmp(src_.data() + at + 1, s, n) == 0;
    };
    switch (c) {
    case 'a': kw = follows("nd"); break;
    case 'e': kw = follows("lse"); break;
    case 'f': kw = follows("or"); break;
    case 'i': {
        int c2 = peekc(at + 1);
        kw = c2 == 'f' || c2 == 'n' || c2 == 's';
        break;
    }
    case 'o': kw = follows("r"); break;
    case 'n': kw = follows("ot"); break;
    default: break;
    }
    if (kw) return true;
    if (c >= 0 && is_id_char(c)) {
        *out = error_at(line_, (int)(at - line_begin_) - 1, fmt::format("invalid {} literal", kind));
        return false;
    }
    return true;
}

Token Lexer::lex_number(uint32_t start) {
    uint32_t p = start;
    Token err;
    bool ok = true;
    int c = peekc(p);
    auto finish = [&](uint32_t e) { pos_ = e; return make(Tok::Number, start, e); };
    auto exponent = [&](uint32_t q) -> Token {
        // q points at 'e'/'E'
        uint32_t e = q;
        ++q;
        int d = peekc(q);
        if (d == '+' || d == '-') {
            ++q;
            if (!is_digit(peekc(q))) return error_at(line_, (int)(q - line_begin_) - 1, "invalid decimal literal");
        } else if (!is_digit(d)) {
            if (!verify_end_of_number(e, "decimal", &err)) return err;
            return finish(e);
        }
        q = decimal_tail(q, &ok);
        if (!ok) return Token{Tok::Error};
        if (peekc(q) == 'j' || peekc(q) == 'J') {
            ++q;
            if (!verify_end_of_number(q, "imaginary", &err)) return err;
            return finish(q);
        }
        if (!verify_end_of_number(q, "decimal", &err)) return err;
        return finish(q);
    };
    auto fraction = [&](uint32_t q) -> Token {
        // q points just after the '.'
        if (is_digit(peekc(q))) {
            q = decimal_tail(q, &ok);
            if (!ok) return Token{Tok::Error};
        }
        int d = peekc(q);
        if (d == 'e' || d == 'E') return exponent(q);
        if (d == 'j' || d == 'J') {
            ++q;
            if (!verify_end_of_number(q, "imaginary", &err)) return err;
            return finish(q);
        }
        if (!verify_end_of_number(q, "decimal", &err)) return err;
        return finish(q);
    };
    auto radix = [&](int base, const char* kind) -> Token {
        uint32_t q = p + 2;
        auto ok_digit = [&](int d) {
            return base == 16 ? is_xdigit(d) : base == 8 ? (d >= '0' && d <= '7') : (d == '0' || d == '1');
        };
        for (;;) {
            if (peekc(q) == '_') ++q;
            int d = peekc(q);
            if (!ok_digit(d)) {
                if (base != 16 && is_digit(d))
                    return error_at(line_, (int)(q - line_begin_),
                                    fmt::format("invalid digit '{}' in {} literal", (char)d, kind));
                return error_at(line_, (int)(q - line_begin_) - 1, fmt::format("invalid {} literal", kind));
            }
            while (ok_digit(peekc(q))) ++q;
            if (peekc(q) != '_') break;
        }
        int d = peekc(q);
        if (base != 16 && is_digit(d))
            return error_at(line_, (int)(q - line_begin_),
                            fmt::format("invalid digit '{}' in {} literal", (char)d, kind));
        if (!verify_end_of_number(q, kind, &err)) return err;
        return finish(q);
    };
    if (c == '.') return fraction(p + 1);
    if (c == '0') {
        int x = peekc(p + 1);
        if (x == 'x' || x == 'X') return radix(16, "hexadecimal");
        if (x == 'o' || x == 'O') return radix(8, "octal");
        if (x == 'b' || x == 'B') return radix(2, "binary");
        uint32_t q = p + 1;
        bool nonzero = false;
        for (;;) {
            if (peekc(q) == '_') {
                ++q;
                if (!is_digit(peekc(q))) return error_at(line_, (int)(q - line_begin_) - 1, "invalid decimal literal");
            }
            if (peekc(q) != '0') break;
            ++q;
        }
        uint32_t zeros_end = q;
        if (is_digit(peekc(q))) {
            nonzero = true;
            q = decimal_tail(q, &ok);
            if (!ok) return Token{Tok::Error};
        }
        int d = peekc(q);
        if (d == '.') return fraction(q + 1);
        if (d == 'e' || d == 'E') return exponent(q);
        if (d == 'j' || d == 'J') {
            ++q;
            if (!verify_end_of_number(q, "imaginary", &err)) return err;
            return finish(q);
        }
        if (nonzero) {
            return error_at(line_, (int)(start - line_begin_),
                            "leading zeros in decimal integer literals are not permitted; use an 0o "
                            "prefix for octal integers",
                            "SyntaxError", (int)(zeros_end + 1 - line_begin_) - 1);
        }
        if (!verify_end_of_number(q, "decimal", &err)) return err;
        return finish(q);
    }
    uint32_t q = decimal_tail(p, &ok);
    if (!ok) return Token{Tok::Error};
    int d = peekc(q);
    if (d == '.') return fraction(q + 1);
    if (d == 'e' || d == 'E') return exponent(q);
    if (d == 'j' || d == 'J') {
        ++q;
        if (!verify_end_of_number(q, "imaginary", &err)) return err;
        return finish(q);
    }
    if (!verify_end_of_number(q, "decimal", &err)) return err;
    return finish(q);
}

Token Lexer::lex_string(uint32_t start, uint32_t qp) {
    char quote = src_[qp];
    int first_line = line_;
    uint32_t first_line_begin = line_begin_;
    uint32_t p = qp + 1;
    int qsize = 1;
    if (peekc(p) == quote && peekc(p + 1) == quote) {
        qsize = 3;
        p += 2;
    }
    for (;;) {
        int c = peekc(p);
        if (c < 0 || (qsize == 1 && c == '\n')) {
            int detected = (c < 0 && p > 0 && p == line_begin_) ? line_ - 1 : line_;
            line_ = first_line;
            line_begin_ = first_line_begin;
            pos_ = p;
            return error_at(first_line, (int)(start - first_line_begin),
                            qsize == 3 ? fmt::format("unterminated triple-quoted string literal "
                                                     "(detected at line {})", detected)
                                       : fmt::format("unterminated string literal (detected at "
                                                     "line {})", detected));
        }
        if (c == quote) {
            if (qsize == 1) {
                ++p;
                break;
            }
            if (peekc(p + 1) == quote && peekc(p + 2) == quote) {
                p += 3;
                break;
            }
            ++p;
            continue;
        }
        if (c == '\\') {
            ++p;
            if (peekc(p) == '\n') {
                ++p;
                newline_at(p);
                continue;
            }
            if (peekc(p) < 0) continue;  // reported as unterminated above
            ++p;
            continue;
        }
        if (c == '\n') {
            ++p;
            newline_at(p);
            continue;
        }
        ++p;
    }
    pos_ = p;
    Token t;
    t.kind = Tok::String;
    t.start = start;
    t.end = p;
    t.line = first_line;
    t.col = (int32_t)(start - first_line_begin);
    t.end_line = line_;
    t.end_col = (int32_t)(p - line_begin_);
    t.level = (int32_t)brackets_.size() + (fstring_ ? 1 : 0);
    return t;
}

Token Lexer::next() {
    if (failed_) {
        Token t;
        t.kind = Tok::Error;
        t.line = t.end_line = err_.line;
        return t;
    }
    for (;;) {
        if (done_) {
            Token t = make(Tok::EndMarker, pos_, pos_);
            if (fstring_) {
                t.end_col += 1;  // stands for the ')' CPython 3.11 wraps fields in
            } else {
                // CPython's ENDMARKER sits on the last line with no column.
                t.line = t.end_line = current_line();
                t.col = t.end_col = -1;
            }
            return t;
        }
        if (atbol_) {
            atbol_ = false;
            if (!at_line_start()) return Token{Tok::Error, pos_, pos_, err_.line, 0, err_.line, 0};
        }
        if (pending_ != 0) {
            Token t = make(pending_ > 0 ? Tok::Indent : Tok::Dedent, pos_, pos_);
            if (pos_ >= end_ && !fstring_) {
                // At the end of input CPython's DEDENTs sit on the last line with no column.
                t.line = t.end_line = current_line();
                t.col = t.end_col = -1;
            }
            pending_ += pending_ > 0 ? -1 : 1;
            return t;
        }
        // skip spaces
        while (pos_ < end_) {
            char c = src_[pos_];
            if (c == ' ' || c == '\t' || c == '\f') ++pos_;
            else break;
        }
        // A NEWLINE token after a comment starts at the '#' (as CPython's does).
        uint32_t comment_start = UINT32_MAX;
        if (pos_ < end_ && src_[pos_] == '#') {
            comment_start = pos_;
            while (pos_ < end_ && src_[pos_] != '\n') ++pos_;
        }
        if (pos_ >= end_) {
            if (fstring_) {
                done_ = true;
                continue;
            }
            if (!brackets_.empty()) {
                eof_in_brackets_ = true;
                const Bracket& b = brackets_.back();
                failed_ = true;
                make_error(&err_, "SyntaxError", fmt::format("'{}' was never closed", b.ch), b.line,
                           b.col, b.line, -1, b.line == current_line());
                err_.end_col = 0;
                Token t;
                t.kind = Tok::Error;
                t.start = t.end = pos_;
                t.line = t.end_line = line_;
                t.col = t.end_col = (int)(pos_ - line_begin_);
                return t;
            }
            if (!last_was_newline_) {
                // CPython appends a newline to a last line that lacks one.
                last_was_newline_ = true;
                Token t = make(Tok::Newline, comment_start != UINT32_MAX ? comment_start : pos_, pos_);
                newline_at(pos_);
                atbol_ = true;
                return t;
            }
            // Dedent everything, then the end marker.
            if (indents_.size() > 1) {
                pending_ = -(int)(indents_.size() - 1);
                indents_.resize(1);
                altindents_.resize(1);
                continue;
            }
            done_ = true;
            continue;
        }
        uint32_t start = pos_;
        int c = (unsigned char)src_[pos_];
        if (c == '\n') {
            ++pos_;
            if (!brackets_.empty() || fstring_) {
                newline_at(pos_);
                continue;
            }
            Token t = make(Tok::Newline, comment_start != UINT32_MAX ? comment_start : start, start);
            newline_at(pos_);
            atbol_ = true;
            last_was_newline_ = true;
            return t;
        }
        last_was_newline_ = false;
        if (is_id_start(c)) {
            // string prefixes
            uint32_t p = pos_;
            bool saw_b = false, saw_r = false, saw_u = false, saw_f = false;
            for (;;) {
                int d = peekc(p);
                if (!(saw_b || saw_u || saw_f) && (d == 'b' || d == 'B')) saw_b = true;
                else if (!(saw_b || saw_u || saw_r || saw_f) && (d == 'u' || d == 'U')) saw_u = true;
                else if (!(saw_r || saw_u) && (d == 'r' || d == 'R')) saw_r = true;
                else if (!(saw_f || saw_b || saw_u) && (d == 'f' || d == 'F')) saw_f = true;
                else break;
                ++p;
                int q = peekc(p);
                if (q == '"' || q == '\'') return lex_string(start, p);
            }
            p = pos_;
            bool nonascii = false;
            while (p < end_ && is_id_char((unsigned char)src_[p])) {
                if ((unsigned char)src_[p] >= 0x80) nonascii = true;
                ++p;
            }
            if (nonascii) {
                Token err;
                if (!verify_identifier(start, p, &err)) return err;
            }
            pos_ = p;
            Token t = make(Tok::Name, start, p);
            t.kind = keyword_kind(src_.substr(start, p - start));
            return t;
        }
        if (c == '"' || c == '\'') return lex_string(start, start);
        if (is_digit(c) || (c == '.' && is_digit(peekc(pos_ + 1)))) {
            Token t = lex_number(start);
            return t;
        }
        if (c == '\\') {
            int c2 = peekc(pos_ + 1);
            if (c2 != '\n') {
                if (c2 < 0) {
                    pos_ += 1;
                    error_at(line_, (int)(pos_ - line_begin_), "unexpected EOF while parsing",
                             "SyntaxError", -1);
                    ensure_newline();
                    return Token{Tok::Error};
                }
                pos_ += 2;
                error_at(line_, (int)(pos_ - 1 - line_begin_),
                         "unexpected character after line continuation character", "SyntaxError", -1);
                err_.end_col = 0;
                ensure_newline();
                return Token{Tok::Error};
            }
            pos_ += 2;
            newline_at(pos_);
            if (pos_ >= end_) {
                error_at(line_ - 1, (int)(pos_ - 1 - line_start(line_ - 1)), "unexpected EOF while parsing",
                         "SyntaxError", -1);
                ensure_newline();
                return Token{Tok::Error};
            }
            continue;
        }
        // operators
        int c2 = peekc(pos_ + 1), c3 = peekc(pos_ + 2);
        Tok k = Tok::Unknown;
        int len = 1;
        switch (c) {
        case '(': k = Tok::LPar; break;
        case ')': k = Tok::RPar; break;
        case '[': k = Tok::LSqb; break;
        case ']': k = Tok::RSqb; break;
        case '{': k = Tok::LBrace; break;
        case '}': k = Tok::RBrace; break;
        case ',': k = Tok::Comma; break;
        case ';': k = Tok::Semi; break;
        case '~': k = Tok::Tilde; break;
        case ':':
            if (c2 == '=') k = Tok::ColonEqual, len = 2;
            else k = Tok::Colon;
            break;
        case '.':
            if (c2 == '.' && c3 == '.') k = Tok::Ellipsis, len = 3;
            else k = Tok::Dot;
            break;
        case '+': k = c2 == '=' ? (len = 2, Tok::PlusEqual) : Tok::Plus; break;
        case '-':
            if (c2 == '=') k = Tok::MinEqual, len = 2;
            else if (c2 == '>') k = Tok::RArrow, len = 2;
            else k = Tok::Minus;
            break;
        case '*':
            if (c2 == '*') {
                if (c3 == '=') k = Tok::DoubleStarEqual, len = 3;
                else k = Tok::DoubleStar, len = 2;
            } else if (c2 == '=') {
                k = Tok::StarEqual, len = 2;
            } else {
                k = Tok::Star;
            }
            break;
        case '/':
            if (c2 == '/') {
                if (c3 == '=') k = Tok::DoubleSlashEqual, len = 3;
                else k = Tok::DoubleSlash, len = 2;
            } else if (c2 == '=') {
                k = Tok::SlashEqual, len = 2;
            } else {
                k = Tok::Slash;
            }
            break;
        case '%': k = c2 == '=' ? (len = 2, Tok::PercentEqual) : Tok::Percent; break;
        case '&': k = c2 == '=' ? (len = 2, Tok::AmperEqual) : Tok::Amper; break;
        case '|': k = c2 == '=' ? (len = 2, Tok::VBarEqual) : Tok::VBar; break;
        case '^': k = c2 == '=' ? (len = 2, Tok::CircumflexEqual) : Tok::Circumflex; break;
        case '@': k = c2 == '=' ? (len = 2, Tok::AtEqual) : Tok::At; break;
        case '=': k = c2 == '=' ? (len = 2, Tok::EqEqual) : Tok::Equal; break;
        case '!': k = c2 == '=' ? (len = 2, Tok::NotEqual) : Tok::Exclamation; break;
        case '<':
            if (c2 == '<') {
                if (c3 == '=') k = Tok::LeftShiftEqual, len = 3;
                else k = Tok::LeftShift, len = 2;
            } else if (c2 == '=') {
                k = Tok::LessEqual, len = 2;
            } else {
                k = Tok::Less;
            }
            break;
        case '>':
            if (c2 == '>') {
                if (c3 == '=') k = Tok::RightShiftEqual, len = 3;
                else k = Tok::RightShift, len = 2;
            } else if (c2 == '=') {
                k = Tok::GreaterEqual, len = 2;
            } else {
                k = Tok::Greater;
            }
            break;
        default:
            if (c < 32 && c != '\t' && c != '\f') {
                pos_ += 1;
                return error_at(line_, (int)(start - line_begin_),
                                fmt::format("invalid non-printable character U+{:04X}", c));
            }
            k = Tok::Unknown;
            break;
        }
        if (k == Tok::LPar || k == Tok::LSqb || k == Tok::LBrace) {
            if ((int)brackets_.size() >= kMaxLevel && !fstring_) {
                pos_ += 1;
                return error_at(line_, (int)(start - line_begin_), "too many nested parentheses");
            }
            brackets_.push_back({(char)c, line_, (int)(start - line_begin_)});
        } else if (k == Tok::RPar || k == Tok::RSqb || k == Tok::RBrace) {
            if (brackets_.empty()) {
                pos_ += 1;
                return error_at(line_, (int)(start - line_begin_), fmt::format("unmatched '{}'", (char)c));
            }
            Bracket b = brackets_.back();
            brackets_.pop_back();
            char want = b.ch == '(' ? ')' : b.ch == '[' ? ']' : '}';
            if (want != c) {
                pos_ += 1;
                if (b.line != line_)
                    return error_at(line_, (int)(start - line_begin_),
                                    fmt::format("closing parenthesis '{}' does not match opening "
                                                "parenthesis '{}' on line {}",
                                                (char)c, b.ch, b.line));
                return error_at(line_, (int)(start - line_begin_),
                                fmt::format("closing parenthesis '{}' does not match opening "
                                            "parenthesis '{}'",
                                            (char)c, b.ch));
            }
        }
        pos_ += len;
        return make(k, start, pos_);
    }
}

}  // namespace toy
