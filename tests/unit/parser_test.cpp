// Parser unit tests: golden ASTs and syntax errors produced by CPython 3.11 (see
// parser_golden/gen.py), plus deep-nesting and size stress tests.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "interp/ast_dump.h"
#include "interp/parser.h"

namespace toy {
namespace {

struct GoldenCase {
    const char* file;
    int index;
    const char* source;
    const char* expected;
};

const GoldenCase kGolden[] = {
#include "parser_golden/expected.inc"
};

// "OK <ast.dump(include_attributes=True)>" or "ERR kind|msg|lineno|offset|end_lineno|end_offset|text".
std::string run(std::string_view src, ParseMode mode = ParseMode::kExec) {
    ast::Arena arena;
    SyntaxErrorInfo err;
    ast::Module* m = parse(src, "f.py", mode, arena, &err);
    if (!m)
        return "ERR " + err.kind + "|" + err.msg + "|" + std::to_string(err.line) + "|" +
               std::to_string(err.col) + "|" + std::to_string(err.end_line) + "|" +
               std::to_string(err.end_col) + "|" + err.text;
    return "OK " + ast_dump(m, true);
}

std::string dump(std::string_view src, ParseMode mode = ParseMode::kExec) {
    ast::Arena arena;
    SyntaxErrorInfo err;
    ast::Module* m = parse(src, "f.py", mode, arena, &err);
    if (!m) return "ERR " + err.msg;
    return ast_dump(m);
}

TEST(ParserGolden, MatchesCPython) {
    int failures = 0;
    for (const GoldenCase& c : kGolden) {
        std::string got = run(c.source);
        if (got != c.expected) {
            ++failures;
            ADD_FAILURE() << c.file << " #" << c.index << "\nsource:\n" << c.source
                          << "\nexpected: " << c.expected << "\ngot:      " << got;
        }
    }
    EXPECT_EQ(failures, 0);
    EXPECT_GT(sizeof(kGolden) / sizeof(kGolden[0]), 400u);
}

TEST(Parser, EvalMode) {
    EXPECT_EQ(dump("1 + 2\n", ParseMode::kEval),
              "Module(body=[Expr(value=BinOp(left=Constant(value=1), op=Add(), "
              "right=Constant(value=2)))], type_ignores=[])");
    EXPECT_EQ(dump("x = 1", ParseMode::kEval), "ERR invalid syntax");
}

TEST(Parser, SingleMode) {
    EXPECT_EQ(dump("x = 1", ParseMode::kSingle),
              "Module(body=[Assign(targets=[Name(id='x', ctx=Store())], value=Constant(value=1))], "
              "type_ignores=[])");
    EXPECT_EQ(dump("if x:\n  pass\n\n", ParseMode::kSingle).substr(0, 14), "Module(body=[I");
    EXPECT_EQ(run("x = 1\ny = 2", ParseMode::kSingle),
              "ERR SyntaxError|multiple statements found while compiling a single statement|1|6|1|6|x = 1\n");
    EXPECT_EQ(run("if x:\n  pass\ny = 1", ParseMode::kSingle),
              "ERR SyntaxError|invalid syntax|3|1|3|2|y = 1\n");
}

TEST(Parser, Precedence) {
    EXPECT_EQ(dump("-2**2"),
              "Module(body=[Expr(value=UnaryOp(op=USub(), operand=BinOp(left=Constant(value=2), "
              "op=Pow(), right=Constant(value=2))))], type_ignores=[])");
    EXPECT_EQ(dump("2**-1"),
              "Module(body=[Expr(value=BinOp(left=Constant(value=2), op=Pow(), "
              "right=UnaryOp(op=USub(), operand=Constant(value=1))))], type_ignores=[])");
    EXPECT_EQ(dump("a**b**c"),
              "Module(body=[Expr(value=BinOp(left=Name(id='a', ctx=Load()), op=Pow(), "
              "right=BinOp(left=Name(id='b', ctx=Load()), op=Pow(), right=Name(id='c', "
              "ctx=Load()))))], type_ignores=[])");
}

TEST(Parser, BigIntegers) {
    ast::Arena arena;
    SyntaxErrorInfo err;
    ast::Module* m = parse("0xFFFFFFFFFFFFFFFFFFFF\n9223372036854775807\n", "f", ParseMode::kExec,
                           arena, &err);
    ASSERT_NE(m, nullptr);
    auto* c0 = static_cast<ast::Constant*>(static_cast<ast::ExprStmt*>(m->body[0])->value);
    auto* c1 = static_cast<ast::Constant*>(static_cast<ast::ExprStmt*>(m->body[1])->value);
    EXPECT_EQ(c0->big, "1208925819614629174706175");
    EXPECT_TRUE(c1->big.empty());
    EXPECT_EQ(c1->i, INT64_MAX);
}

TEST(Parser, CarriageReturnsAndBom) {
    EXPECT_EQ(dump("\xEF\xBB\xBFx = 1\r\ny = 2\r"), dump("x = 1\ny = 2\n"));
    EXPECT_EQ(dump(std::string_view("x = 1\0", 6)), "ERR source code cannot contain null bytes");
}

TEST(Parser, SourceEncoding) {
    EXPECT_EQ(dump("x = 1\ny = '\xe9'\n"),
              "ERR Non-UTF-8 code starting with '\\xe9' in file f.py on line 2, but no encoding "
              "declared; see https://peps.python.org/pep-0263/ for details");
    EXPECT_EQ(dump("# -*- coding: latin-1 -*-\ny = '\xe9'\n"),
              "Module(body=[Assign(targets=[Name(id='y', ctx=Store())], value=Constant(value='\xc3\xa9'))], "
              "type_ignores=[])");
    EXPECT_EQ(dump("x = '\xed\xa0\x80'").substr(0, 20), "ERR Non-UTF-8 code s");
}

// No input may overflow the C stack: very deep nesting is a SyntaxError.
TEST(Parser, DeepNestingIsAnError) {
    const int n = 100000;
    auto rep = [](const char* s, int k) {
        std::string r;
        for (int i = 0; i < k; ++i) r += s;
        return r;
    };
    EXPECT_EQ(dump(rep("(", n) + "1" + rep(")", n)), "ERR too many nested parentheses");
    EXPECT_EQ(dump(rep("[", n)), "ERR too many nested parentheses");
    EXPECT_EQ(dump(rep("-", n) + "x"), "ERR too complex");
    EXPECT_EQ(dump(rep("not ", n) + "x"), "ERR too complex");
    EXPECT_EQ(dump("x" + rep("**x", n)), "ERR too complex");
    EXPECT_EQ(dump(rep("lambda:", n) + "x"), "ERR too complex");
    EXPECT_EQ(dump("x" + rep(" if x else x", n)), "ERR too complex");
    EXPECT_EQ(dump(rep("await ", n) + "x").substr(0, 4), "ERR ");
    EXPECT_EQ(dump(rep("*", n) + "x").substr(0, 4), "ERR ");
    // 199 levels of brackets are fine, as in CPython
    EXPECT_EQ(dump(rep("(", 199) + "1" + rep(")", 199)),
              "Module(body=[Expr(value=Constant(value=1))], type_ignores=[])");
    EXPECT_EQ(dump(rep("[", 199) + rep("]", 199)).substr(0, 6), "Module");
    // Long flat constructs are not nesting: they parse (the AST is deep, but that is the
    // compiler's business).
    ast::Arena arena;
    SyntaxErrorInfo err;
    std::string chain = "x = 1" + rep(" + 1", n) + "\n";
    EXPECT_NE(parse(chain, "f", ParseMode::kExec, arena, &err), nullptr);
    std::string attrs = "a" + rep(".b", n) + "\n";
    EXPECT_NE(parse(attrs, "f", ParseMode::kExec, arena, &err), nullptr);
    std::string elifs = "if x: pass\n" + rep("elif x: pass\n", n);
    EXPECT_NE(parse(elifs, "f", ParseMode::kExec, arena, &err), nullptr);
    std::string indents;
    for (int i = 0; i < 150; ++i) indents += std::string((size_t)i, ' ') + "if x:\n";
    indents += std::string(150, ' ') + "pass\n";
    EXPECT_EQ(dump(indents), "ERR too many levels of indentation");
}

TEST(Parser, TenThousandLinesIsFast) {
    std::string src;
    for (int i = 0; i < 1000; ++i) {
        src += "def f" + std::to_string(i) + "(a, b=1, *c, d, **e):\n";
        src += "    x = [i * 2 for i in range(a) if i % 3 == 0]\n";
        src += "    y = {'k': x, 'v': (a, b, c)}\n";
        src += "    if a > b and not c:\n";
        src += "        return f'{a!r:>10} {b}'\n";
        src += "    for k, v in y.items():\n";
        src += "        print(k, v, sep=', ')\n";
        src += "    try:\n        z = a / b\n    except ZeroDivisionError as exc:\n";
        src += "        raise ValueError('bad') from exc\n";
    }
    auto t0 = std::chrono::steady_clock::now();
    ast::Arena arena;
    SyntaxErrorInfo err;
    ast::Module* m = parse(src, "f", ParseMode::kExec, arena, &err);
    auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    ASSERT_NE(m, nullptr) << err.msg << " line " << err.line;
    EXPECT_EQ(m->body.size(), 1000u);
    EXPECT_LT(ms, 2000.0);  // a few ms in release; generous for debug/ASan builds
}

}  // namespace
}  // namespace toy
