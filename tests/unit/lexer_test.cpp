// Lexer unit tests: token kinds and positions, indentation, implicit line joining,
// numbers and strings, and the tokenizer's errors (messages and offsets as CPython 3.11's).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "interp/lexer.h"

namespace toy {
namespace {

// Kinds of all tokens, space-separated; an error ends the list with "Error: <msg>".
std::string kinds(std::string_view src) {
    Lexer lx(src);
    std::string out;
    for (int guard = 0; guard < 10000; ++guard) {
        Token t = lx.next();
        if (!out.empty()) out += ' ';
        out += std::string(tok_name(t.kind));
        if (t.kind == Tok::Error) out += ": " + lx.error().msg;
        if (t.kind == Tok::EndMarker || t.kind == Tok::Error) break;
    }
    return out;
}

std::vector<Token> tokens(std::string_view src) {
    Lexer lx(src);
    std::vector<Token> v;
    for (;;) {
        v.push_back(lx.next());
        if (v.back().kind == Tok::EndMarker || v.back().kind == Tok::Error) break;
    }
    return v;
}

// "msg|line|offset" of the first tokenizer error.
std::string error(std::string_view src) {
    Lexer lx(src);
    for (;;) {
        Token t = lx.next();
        if (t.kind == Tok::EndMarker) return "no error";
        if (t.kind == Tok::Error) {
            const SyntaxErrorInfo& e = lx.error();
            return e.kind + ": " + e.msg + "|" + std::to_string(e.line) + "|" + std::to_string(e.col);
        }
    }
}

TEST(Lexer, SimpleStatements) {
    EXPECT_EQ(kinds("x = 1\n"), "Name Equal Number Newline EndMarker");
    EXPECT_EQ(kinds("x = 1"), "Name Equal Number Newline EndMarker");  // implicit NEWLINE
    EXPECT_EQ(kinds(""), "EndMarker");
    EXPECT_EQ(kinds("\n\n# comment\n   \n"), "EndMarker");
    EXPECT_EQ(kinds("a; b"), "Name Semi Name Newline EndMarker");
}

TEST(Lexer, Keywords) {
    EXPECT_EQ(kinds("if not x and y or z is None: pass"),
              "If Not Name And Name Or Name Is None Colon Pass Newline EndMarker");
    EXPECT_EQ(kinds("lambda async await Truex _if"),
              "Lambda Async Await Name Name Newline EndMarker");
}

TEST(Lexer, Operators) {
    EXPECT_EQ(kinds("**= //= >>= <<= -> := ... @= != == <= >= ** //"),
              "DoubleStarEqual DoubleSlashEqual RightShiftEqual LeftShiftEqual RArrow ColonEqual "
              "Ellipsis AtEqual NotEqual EqEqual LessEqual GreaterEqual DoubleStar DoubleSlash "
              "Newline EndMarker");
    EXPECT_EQ(kinds("a.b"), "Name Dot Name Newline EndMarker");
    EXPECT_EQ(kinds("$"), "Unknown Newline EndMarker");
}

TEST(Lexer, IndentDedent) {
    EXPECT_EQ(kinds("if x:\n    y\n    z\nw\n"),
              "If Name Colon Newline Indent Name Newline Name Newline Dedent Name Newline EndMarker");
    EXPECT_EQ(kinds("if x:\n  if y:\n    z"),
              "If Name Colon Newline Indent If Name Colon Newline Indent Name Newline Dedent Dedent "
              "EndMarker");
    // blank lines and comments do not affect indentation
    EXPECT_EQ(kinds("if x:\n\n  # c\n      # c2\n  y\n"),
              "If Name Colon Newline Indent Name Newline Dedent EndMarker");
    // a tab and eight spaces are the same column but inconsistent: TabError (as CPython)
    EXPECT_EQ(kinds("if x:\n\ty\n\tz\n"),
              "If Name Colon Newline Indent Name Newline Name Newline Dedent EndMarker");
}

TEST(Lexer, ImplicitJoining) {
    EXPECT_EQ(kinds("x = (1,\n  2)\n"), "Name Equal LPar Number Comma Number RPar Newline EndMarker");
    EXPECT_EQ(kinds("x = [\n1]\n"), "Name Equal LSqb Number RSqb Newline EndMarker");
    EXPECT_EQ(kinds("x = 1 + \\\n  2\n"), "Name Equal Number Plus Number Newline EndMarker");
}

TEST(Lexer, Positions) {
    auto t = tokens("ab = 'é' + 1\n  \nif x:\n    pass\n");
    ASSERT_GE(t.size(), 6u);
    EXPECT_EQ(t[0].line, 1);
    EXPECT_EQ(t[0].col, 0);
    EXPECT_EQ(t[0].end_col, 2);
    EXPECT_EQ(t[2].kind, Tok::String);
    EXPECT_EQ(t[2].col, 5);
    EXPECT_EQ(t[2].end_col, 9);  // byte columns: é is two bytes
    EXPECT_EQ(t[4].col, 12);
    EXPECT_EQ(t[5].kind, Tok::Newline);
    EXPECT_EQ(t[6].kind, Tok::If);
    EXPECT_EQ(t[6].line, 3);
    auto s = tokens("x = '''a\nb''' + 1");
    EXPECT_EQ(s[2].line, 1);
    EXPECT_EQ(s[2].col, 4);
    EXPECT_EQ(s[2].end_line, 2);
    EXPECT_EQ(s[2].end_col, 4);
    EXPECT_EQ(s[3].line, 2);
}

TEST(Lexer, Numbers) {
    EXPECT_EQ(kinds("0 00 1_000 0x_Ff 0o17 0B1_0 1. .5 1e-3 1_0.5e+1_0 1j 1.5J 0j 09.5 1if"),
              "Number Number Number Number Number Number Number Number Number Number Number Number "
              "Number Number Number If Newline EndMarker");
    EXPECT_EQ(kinds("1..real"), "Number Dot Name Newline EndMarker");
}

TEST(Lexer, Strings) {
    EXPECT_EQ(kinds("'a' \"b\" '''c''' \"\"\"d\"\"\" r'\\'' b'' Rb'' bR'' f'' rF'' u'' U''"),
              "String String String String String String String String String String String "
              "String Newline EndMarker");
    EXPECT_EQ(kinds("'a\\\nb'"), "String Newline EndMarker");
    EXPECT_EQ(kinds("ur''"), "Name String Newline EndMarker");
}

TEST(Lexer, Errors) {
    EXPECT_EQ(error("1_a"), "SyntaxError: invalid decimal literal|1|2");
    EXPECT_EQ(error("1a"), "SyntaxError: invalid decimal literal|1|1");
    EXPECT_EQ(error("0x"), "SyntaxError: invalid hexadecimal literal|1|2");
    EXPECT_EQ(error("0b2"), "SyntaxError: invalid digit '2' in binary literal|1|3");
    EXPECT_EQ(error("0o8"), "SyntaxError: invalid digit '8' in octal literal|1|3");
    EXPECT_EQ(error("012"),
              "SyntaxError: leading zeros in decimal integer literals are not permitted; use an 0o "
              "prefix for octal integers|1|1");
    EXPECT_EQ(error("x = \"abc"), "SyntaxError: unterminated string literal (detected at line 1)|1|5");
    EXPECT_EQ(error("x = '''abc\n\n"),
              "SyntaxError: unterminated triple-quoted string literal (detected at line 2)|1|5");
    EXPECT_EQ(error("if x:\n  a\n b\n"),
              "IndentationError: unindent does not match any outer indentation level|3|3");
    EXPECT_EQ(error("if x:\n\tpass\n        pass"),
              "TabError: inconsistent use of tabs and spaces in indentation|3|1");
    EXPECT_EQ(error(")"), "SyntaxError: unmatched ')'|1|1");
    EXPECT_EQ(error("(]"), "SyntaxError: closing parenthesis ']' does not match opening parenthesis '('|1|2");
    EXPECT_EQ(error("(\n]"),
              "SyntaxError: closing parenthesis ']' does not match opening parenthesis '(' on line 1|2|1");
    EXPECT_EQ(error("f(x"), "SyntaxError: '(' was never closed|1|2");
    EXPECT_EQ(error("x = \\ y"), "SyntaxError: unexpected character after line continuation character|1|6");
    EXPECT_EQ(error("x\\"), "SyntaxError: unexpected EOF while parsing|1|3");
    EXPECT_EQ(error("x = \x01"), "SyntaxError: invalid non-printable character U+0001|1|5");
    std::string deep(201, '(');
    EXPECT_EQ(error(deep), "SyntaxError: too many nested parentheses|1|201");
}

}  // namespace
}  // namespace toy
