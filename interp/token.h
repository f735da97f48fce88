// token.h: the tokens the lexer hands to the parser.
//
// A token is a kind plus its byte span in the source and its position (1-based line,
// 0-based UTF-8 byte column, as CPython's tokenizer reports them). The text of NAME, NUMBER
// and STRING tokens is the source span itself; the parser decodes numbers and strings.
#pragma once

#include <cstdint>
#include <string_view>

namespace toy {

// X-macro: name, spelling (for operators and keywords; "" for the others).
#define TOY_TOKENS(X)                                                                        \
    X(EndMarker, "")                                                                         \
    X(Name, "")                                                                              \
    X(Number, "")                                                                            \
    X(String, "")                                                                            \
    X(Newline, "")                                                                           \
    X(Indent, "")                                                                            \
    X(Dedent, "")                                                                            \
    X(Error, "")                                                                             \
    /* operators */                                                                          \
    X(LPar, "(")                                                                             \
    X(RPar, ")")                                                                             \
    X(LSqb, "[")                                                                             \
    X(RSqb, "]")                                                                             \
    X(LBrace, "{")                                                                           \
    X(RBrace, "}")                                                                           \
    X(Colon, ":")                                                                            \
    X(Comma, ",")                                                                            \
    X(Semi, ";")                                                                             \
    X(Plus, "+")                                                                             \
    X(Minus, "-")                                                                            \
    X(Star, "*")                                                                             \
    X(Slash, "/")                                                                            \
    X(VBar, "|")                                                                             \
    X(Amper, "&")                                                                            \
    X(Less, "<")                                                                             \
    X(Greater, ">")                                                                          \
    X(Equal, "=")                                                                            \
    X(Dot, ".")                                                                              \
    X(Percent, "%")                                                                          \
    X(EqEqual, "==")                                                                         \
    X(NotEqual, "!=")                                                                        \
    X(LessEqual, "<=")                                                                       \
    X(GreaterEqual, ">=")                                                                    \
    X(Tilde, "~")                                                                            \
    X(Circumflex, "^")                                                                       \
    X(LeftShift, "<<")                                                                       \
    X(RightShift, ">>")                                                                      \
    X(DoubleStar, "**")                                                                      \
    X(PlusEqual, "+=")                                                                       \
    X(MinEqual, "-=")                                                                        \
    X(StarEqual, "*=")                                                                       \
    X(SlashEqual, "/=")                                                                      \
    X(PercentEqual, "%=")                                                                    \
    X(AmperEqual, "&=")                                                                      \
    X(VBarEqual, "|=")                                                                       \
    X(CircumflexEqual, "^=")                                                                 \
    X(LeftShiftEqual, "<<=")                                                                 \
    X(RightShiftEqual, ">>=")                                                                \
    X(DoubleStarEqual, "**=")                                                                \
    X(DoubleSlash, "//")                                                                     \
    X(DoubleSlashEqual, "//=")                                                               \
    X(At, "@")                                                                               \
    X(AtEqual, "@=")                                                                         \
    X(RArrow, "->")                                                                          \
    X(Ellipsis, "...")                                                                       \
    X(ColonEqual, ":=")                                                                      \
    X(Exclamation, "!") /* only inside f-string replacement fields */                       \
    X(Unknown, "")      /* any other character: the parser reports "invalid syntax" */      \
    /* keywords */                                                                           \
    X(False, "False")                                                                        \
    X(None, "None")                                                                          \
    X(True, "True")                                                                          \
    X(And, "and")                                                                            \
    X(As, "as")                                                                              \
    X(Assert, "assert")                                                                      \
    X(Async, "async")                                                                        \
    X(Await, "await")                                                                        \
    X(Break, "break")                                                                        \
    X(Class, "class")                                                                        \
    X(Continue, "continue")                                                                  \
    X(Def, "def")                                                                            \
    X(Del, "del")                                                                            \
    X(Elif, "elif")                                                                          \
    X(Else, "else")                                                                          \
    X(Except, "except")                                                                      \
    X(Finally, "finally")                                                                    \
    X(For, "for")                                                                            \
    X(From, "from")                                                                          \
    X(Global, "global")                                                                      \
    X(If, "if")                                                                              \
    X(Import, "import")                                                                      \
    X(In, "in")                                                                              \
    X(Is, "is")                                                                              \
    X(Lambda, "lambda")                                                                      \
    X(Nonlocal, "nonlocal")                                                                  \
    X(Not, "not")                                                                            \
    X(Or, "or")                                                                              \
    X(Pass, "pass")                                                                          \
    X(Raise, "raise")                                                                        \
    X(Return, "return")                                                                      \
    X(Try, "try")                                                                            \
    X(While, "while")                                                                        \
    X(With, "with")                                                                          \
    X(Yield, "yield")

enum class Tok : uint8_t {
#define TOY_TOK_ENUM(name, spelling) name,
    TOY_TOKENS(TOY_TOK_ENUM)
#undef TOY_TOK_ENUM
    kCount
};

constexpr Tok kFirstKeyword = Tok::False;

inline bool is_keyword(Tok t) { return t >= kFirstKeyword && t < Tok::kCount; }

// The spelling of an operator or keyword ("" for NAME, NUMBER, ...).
std::string_view tok_spelling(Tok t);
// A name for diagnostics and tests: "NAME", "NEWLINE", "'+'", "'if'".
std::string_view tok_name(Tok t);

struct Token {
    Tok kind = Tok::EndMarker;
    uint32_t start = 0, end = 0;  // byte span in the source
    int32_t line = 0, col = 0;    // start: 1-based line, 0-based byte column
    int32_t end_line = 0, end_col = 0;
    int32_t level = 0;            // bracket nesting depth the token is in (after it, for brackets)
};

}  // namespace toy
