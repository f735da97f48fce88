// compiler_test.cpp: the symbol table, code generation (golden disassembly), code object
// layout and compile-time errors.
//
// Golden files: tests/unit/compiler_golden/<name>.txt hold the expected `disassemble()`
// output of each program in kGolden below. After an intended change of the code generator,
// regenerate them with
//     TOY_REGEN_GOLDEN=1 build/<dir>/tests/toy_unit_tests --gtest_filter='CompilerGolden*'
// and review the diff before committing.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "interp/code.h"
#include "interp/compiler.h"
#include "interp/disasm.h"
#include "interp/parser.h"
#include "interp/symtable.h"
#include "runtime/abstract.h"
#include "runtime/errors.h"
#include "runtime/interpreter.h"
#include "runtime/int.h"
#include "runtime/str.h"
#include "runtime/thread_state.h"
#include "runtime/tuple.h"

using namespace toy;

namespace {

// Other test files create and delete interpreters too: make sure one is current.
void ensure_interp() {
    static Interpreter* interp = nullptr;
    if (!interp) interp = new_interpreter();
    if (!current_thread()) set_current_thread(interp->main_thread);
}

std::filesystem::path golden_dir() {
    return std::filesystem::path(__FILE__).parent_path() / "compiler_golden";
}

RefT<CodeObject> compile_ok(const std::string& src) {
    ensure_interp();
    RefT<CodeObject> c = compile_source(src, "<test>", CompileMode::kExec);
    if (!c) {
        Ref e = fetch_error();
        std::string msg = "?";
        if (e) {
            Ref r = repr(*e);
            if (r) msg = std::string(r.as<Str>()->view());
            else clear_error();
        }
        ADD_FAILURE() << "compile failed: " << msg << "\nsource:\n" << src;
    }
    return c;
}

struct CompileError {
    std::string type, msg, text;
    int64_t lineno = -1, offset = -1, end_lineno = -1, end_offset = -1;
};

int64_t int_attr(Value e, const char* name) {
    Ref v = getattr(e, intern(name));
    if (!v) {
        clear_error();
        return -2;
    }
    if (v.get().is_none()) return -4;  // None
    int64_t out = -3;
    if (is_int(*v) && !int_value(*v, &out)) clear_error();
    return out;
}

CompileError compile_err(const std::string& src) {
    ensure_interp();
    CompileError ce;
    RefT<CodeObject> c = compile_source(src, "<test>", CompileMode::kExec);
    if (c) {
        ADD_FAILURE() << "expected a compile error for:\n" << src;
        return ce;
    }
    Ref e = fetch_error();
    if (!e) {
        ADD_FAILURE() << "no exception set";
        return ce;
    }
    ce.type = std::string(type_name(*e));
    Ref m = getattr(*e, intern("msg"));
    if (m && is_str(*m)) ce.msg = std::string(m.as<Str>()->view());
    else clear_error();
    Ref t = getattr(*e, intern("text"));
    if (t && is_str(*t)) ce.text = std::string(t.as<Str>()->view());
    else clear_error();
    ce.lineno = int_attr(*e, "lineno");
    ce.offset = int_attr(*e, "offset");
    ce.end_lineno = int_attr(*e, "end_lineno");
    ce.end_offset = int_attr(*e, "end_offset");
    return ce;
}

CodeObject* nested_code(CodeObject* c, const std::string& name) {
    for (int64_t i = 0; i < c->consts->size; ++i) {
        Value v = c->consts->items[i];
        if (v.is_object() && v.as_object()->type == &code_type &&
            v.as<CodeObject>()->name->view() == name)
            return v.as<CodeObject>();
    }
    return nullptr;
}

std::vector<std::string> localsplus(CodeObject* c) {
    std::vector<std::string> out;
    for (int64_t i = 0; i < c->localsplus_names->size; ++i)
        out.emplace_back(c->localsplus_names->items[i].as<Str>()->view());
    return out;
}

bool has_op(CodeObject* c, Op op) {
    for (size_t pc = 0; pc < c->code.size(); pc += 1 + kOpInfo[static_cast<int>(decode_op(c->code[pc]))].caches)
        if (decode_op(c->code[pc]) == op) return true;
    return false;
}

// ---- golden disassembly -------------------------------------------------------------------

struct GoldenCase {
    const char* name;
    const char* source;
};

const GoldenCase kGolden[] = {
    {"assign_arith", "x = 1\ny = x * 2 + 3\nz = -x ** 2\nw = -5\nx //= 2\n"},
    {"if_elif", "if a:\n    x = 1\nelif b and not c:\n    x = 2\nelse:\n    x = 3\n"},
    {"while_loop", "i = 0\nwhile i < 10:\n    i += 1\n    if i == 3:\n        continue\n"
                   "    if i == 7:\n        break\nelse:\n    print('no break')\n"},
    {"for_else", "for x in range(3):\n    if x:\n        break\nelse:\n    y = 2\n"},
    {"def_defaults", "def f(a, b=2, *args, c, d=4, **kw):\n    return a + b\n"},
    {"closure_nonlocal", "def outer():\n    n = 0\n    def inc(k=1):\n        nonlocal n\n"
                         "        n += k\n        return n\n    return inc\n"},
    {"class_super", "class A(B, metaclass=M):\n    'doc'\n    x = 1\n    def m(self, a):\n"
                    "        return super().m(a) + __class__.x\n"},
    {"class_deref", "def f():\n    x = 1\n    class C:\n        y = x\n        def g(self):\n"
                    "            return x\n    return C\n"},
    {"try_except", "try:\n    f()\nexcept ValueError as e:\n    print(e)\nexcept (TypeError, KeyError):\n"
                   "    pass\nexcept:\n    raise\nelse:\n    g()\n"},
    {"try_finally_return", "def f():\n    try:\n        return g()\n    finally:\n        h()\n"},
    {"try_except_finally", "try:\n    a()\nexcept E:\n    b()\nfinally:\n    c()\n"},
    {"with_items", "with open(p) as f, lock:\n    data = f.read()\n"},
    {"with_break", "for x in y:\n    with m:\n        if x:\n            break\n        continue\n"},
    {"comprehensions", "a = [x * 2 for x in r if x]\nb = {k: v for k, v in d.items()}\n"
                       "c = {x for x in r for y in x}\ng = (x for x in r)\n"},
    {"lambda", "f = lambda x, y=1, *, z=2: x + y + z\n"},
    {"calls", "f(1, *a, k=2, **kw)\nf(x=1)\no.m(1, k=2)\nf(*a)\nf(**kw)\n"},
    {"compare_chain", "r = a < b < c\nif a < b <= c:\n    pass\nif x is None:\n    pass\n"},
    {"boolop", "x = a and b or c\n"},
    {"fstring", "s = f\"{x!r:>{w}} and {y}\"\n"},
    {"slices", "a[1:2]\na[::2]\na[1:2, 3]\na[i] = v\ndel a[j]\n"},
    {"unpack", "a, *b, c = x\n(a, b), c = x\na = b = c\n"},
    {"augassign", "x += 1\no.a *= 2\ns[i] -= 3\n"},
    {"imports", "import a.b.c\nimport a.b as c\nfrom . import x\nfrom m import y as z, w\n"
                "from m import *\n"},
    {"global_decl", "def f():\n    global g\n    g = 1\n    return h\n"},
    {"generators", "def gen(x):\n    yield x\n    y = yield\n    yield from x\n"},
    {"assert_raise", "assert x, 'msg'\nassert y\ntry:\n    raise E from c\nexcept E:\n    raise\n"},
    {"decorators", "@d1\n@d2(3)\ndef f():\n    'doc'\n    pass\n@dc\nclass C:\n    pass\n"},
    {"main_guard", "def main():\n    print('hi')\nif __name__ == '__main__':\n    main()\n"},
    {"constants", "t = (1, 2, (3, 'a'))\nl = [1, 2, 3]\nd = {'a': 1, 'b': 2}\ne = {}\ns = {1, 2}\n"
                  "n = None\n"},
    {"del_names", "def f(a):\n    b = a\n    del a, b\nx = 1\ndel x\n"},
    {"annotations", "x: int = 1\ny: 'T'\ndef f(a: int, *b: str, c: list = []) -> bool:\n"
                    "    z: int = 2\n    return a\n"},
    {"future_annotations", "'doc'\nfrom __future__ import annotations\nx: List[int] = []\n"
                           "def f(a: Dict[str, 'X']) -> None: pass\n"},
    {"folding", "a = 2 ** 10 + 1\nb = -(3 * 4) // 5\nc = 'ab' * 3\nd = 1 / 0\ne = 7 % -3\n"
                "f = 1.5 * 2\ng = ~7 << 2\n"},
    {"while_true", "while True:\n    if f():\n        break\n"},
    {"nested_finally_break", "for x in y:\n    try:\n        try:\n            break\n"
                             "        finally:\n            a()\n    except E as e:\n"
                             "        continue\n    finally:\n        b()\n"},
};

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

class CompilerGolden : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(CompilerGolden, Disassembly) {
    const GoldenCase& gc = GetParam();
    RefT<CodeObject> c = compile_ok(gc.source);
    ASSERT_TRUE(c);
    std::string got = std::string("# source:\n") + gc.source + "# disassembly:\n" + disassemble(c.get());
    auto path = golden_dir() / (std::string(gc.name) + ".txt");
    const char* regen = std::getenv("TOY_REGEN_GOLDEN");
    if (regen && *regen && std::string(regen) != "0") {
        std::filesystem::create_directories(golden_dir());
        std::ofstream out(path);
        out << got;
        return;
    }
    ASSERT_TRUE(std::filesystem::exists(path)) << path << " missing: run with TOY_REGEN_GOLDEN=1";
    EXPECT_EQ(read_file(path), got) << "golden mismatch for " << gc.name;
}

INSTANTIATE_TEST_SUITE_P(All, CompilerGolden, ::testing::ValuesIn(kGolden),
                         [](const ::testing::TestParamInfo<GoldenCase>& i) {
                             return std::string(i.param.name);
                         });

// ---- code object layout -------------------------------------------------------------------

TEST(Compiler, FunctionLayout) {
    RefT<CodeObject> c = compile_ok("def f(a, b=2, /, c=3, *args, d, e=5, **kw):\n    'doc'\n"
                                    "    x = 1\n    return x\n");
    ASSERT_TRUE(c);
    CodeObject* f = nested_code(c.get(), "f");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->argcount, 3u);
    EXPECT_EQ(f->posonlyargcount, 2u);
    EXPECT_EQ(f->kwonlyargcount, 2u);
    EXPECT_TRUE(f->flags & kCoVarargs);
    EXPECT_TRUE(f->flags & kCoVarkeywords);
    EXPECT_TRUE(f->flags & kCoOptimized);
    EXPECT_TRUE(f->flags & kCoNewLocals);
    EXPECT_FALSE(f->flags & kCoGenerator);
    EXPECT_EQ(localsplus(f),
              (std::vector<std::string>{"a", "b", "c", "d", "e", "args", "kw", "x"}));
    EXPECT_EQ(f->nlocals, 8u);
    ASSERT_GE(f->consts->size, 1);
    ASSERT_TRUE(is_str(f->consts->items[0]));
    EXPECT_EQ(f->consts->items[0].as<Str>()->view(), "doc");
    EXPECT_EQ(f->qualname->view(), "f");
    EXPECT_GT(f->stacksize, 0u);
}

TEST(Compiler, NoDocstringMeansNoneFirst) {
    RefT<CodeObject> c = compile_ok("def f():\n    return 'x'\n");
    ASSERT_TRUE(c);
    CodeObject* f = nested_code(c.get(), "f");
    ASSERT_TRUE(f);
    EXPECT_TRUE(f->consts->items[0].is_none());
}

TEST(Compiler, CellsFreesAndCell2Arg) {
    RefT<CodeObject> c = compile_ok("def outer(a, b):\n    c = 1\n    def inner():\n"
                                    "        return a + c\n    return inner\n");
    ASSERT_TRUE(c);
    CodeObject* outer = nested_code(c.get(), "outer");
    ASSERT_TRUE(outer);
    EXPECT_EQ(outer->ncells, 2u);
    std::vector<std::string> lp = localsplus(outer);
    ASSERT_EQ(lp.size(), 5u);
    EXPECT_EQ(lp[0], "a");
    EXPECT_EQ(lp[1], "b");
    EXPECT_EQ(lp[2], "inner");
    EXPECT_EQ(lp[3], "a");  // cells, sorted
    EXPECT_EQ(lp[4], "c");
    EXPECT_EQ(outer->nlocals, 3u);  // a b inner (a keeps its argument slot)
    EXPECT_EQ(outer->cell2arg, (std::vector<int32_t>{0, -1}));
    CodeObject* inner = nested_code(outer, "inner");
    ASSERT_TRUE(inner);
    EXPECT_EQ(inner->nfrees, 2u);
    EXPECT_EQ(localsplus(inner), (std::vector<std::string>{"a", "c"}));
    EXPECT_EQ(inner->qualname->view(), "outer.<locals>.inner");
    EXPECT_TRUE(inner->flags & kCoNested);
}

TEST(Compiler, ClassCellForSuper) {
    RefT<CodeObject> c = compile_ok("class C(B):\n    def m(self):\n        return super().m()\n");
    ASSERT_TRUE(c);
    CodeObject* cls = nested_code(c.get(), "C");
    ASSERT_TRUE(cls);
    EXPECT_EQ(cls->ncells, 1u);
    EXPECT_EQ(localsplus(cls), (std::vector<std::string>{"__class__"}));
    EXPECT_FALSE(cls->flags & kCoNewLocals);
    EXPECT_TRUE(has_op(cls, Op::LOAD_CLOSURE));
    CodeObject* m = nested_code(cls, "m");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->qualname->view(), "C.m");
    EXPECT_EQ(m->nfrees, 1u);
    EXPECT_TRUE(has_op(m, Op::LOAD_DEREF));
}

TEST(Compiler, ClassWithoutSuperHasNoCell) {
    RefT<CodeObject> c = compile_ok("class C:\n    def m(self):\n        return 1\n");
    ASSERT_TRUE(c);
    CodeObject* cls = nested_code(c.get(), "C");
    ASSERT_TRUE(cls);
    EXPECT_EQ(cls->ncells, 0u);
}

TEST(Compiler, GeneratorFlags) {
    RefT<CodeObject> c = compile_ok("def g():\n    yield 1\nx = (i for i in y)\n");
    ASSERT_TRUE(c);
    CodeObject* g = nested_code(c.get(), "g");
    ASSERT_TRUE(g);
    EXPECT_TRUE(g->flags & kCoGenerator);
    CodeObject* ge = nested_code(c.get(), "<genexpr>");
    ASSERT_TRUE(ge);
    EXPECT_TRUE(ge->flags & kCoGenerator);
    EXPECT_EQ(ge->argcount, 1u);
    EXPECT_EQ(localsplus(ge)[0], ".0");
}

TEST(Compiler, ComprehensionQualname) {
    RefT<CodeObject> c = compile_ok("def f():\n    return [x for x in y]\n");
    ASSERT_TRUE(c);
    CodeObject* f = nested_code(c.get(), "f");
    ASSERT_TRUE(f);
    CodeObject* lc = nested_code(f, "<listcomp>");
    ASSERT_TRUE(lc);
    EXPECT_EQ(lc->qualname->view(), "f.<locals>.<listcomp>");
}

TEST(Compiler, PositionsCoverEveryWord) {
    RefT<CodeObject> c = compile_ok("x = 1\nif x:\n    y = [x,\n         2]\n");
    ASSERT_TRUE(c);
    ASSERT_EQ(c->positions.size(), c->code.size());
    bool saw4 = false;
    for (auto& p : c->positions) {
        EXPECT_GE(p.line, 1);
        if (p.line == 3 && p.end_line == 4) saw4 = true;
    }
    EXPECT_TRUE(saw4);
}

TEST(Compiler, ExceptionTableShape) {
    RefT<CodeObject> c = compile_ok("try:\n    f()\nexcept E:\n    g()\n");
    ASSERT_TRUE(c);
    ASSERT_GE(c->exception_table.size(), 2u);
    const auto& body = c->exception_table[0];
    EXPECT_EQ(body.depth, 0u);
    EXPECT_EQ(body.push_lasti, 0u);
    const auto& handler = c->exception_table[1];
    EXPECT_EQ(handler.depth, 1u);
    EXPECT_EQ(handler.push_lasti, 1u);
    EXPECT_EQ(decode_op(c->code[body.target]), Op::PUSH_EXC_INFO);
}

TEST(Compiler, DeepNestingIsAnErrorNotACrash) {
    ensure_interp();
    std::string src = "x = 1";
    for (int i = 0; i < 20000; ++i) src += " + 1";
    src += "\n";
    RefT<CodeObject> c = compile_source(src, "<test>", CompileMode::kExec);
    if (!c) {
        EXPECT_TRUE(error_occurred());
        clear_error();
    }
}

TEST(Compiler, EvalMode) {
    ensure_interp();
    RefT<CodeObject> c = compile_source("1 + x", "<test>", CompileMode::kEval);
    ASSERT_TRUE(c);
    EXPECT_TRUE(has_op(c.get(), Op::RETURN_VALUE));
    EXPECT_TRUE(has_op(c.get(), Op::BINARY_OP));
}

TEST(Compiler, SingleModePrints) {
    ensure_interp();
    RefT<CodeObject> c = compile_source("1 + x\n", "<stdin>", CompileMode::kSingle);
    ASSERT_TRUE(c);
    EXPECT_TRUE(has_op(c.get(), Op::PRINT_EXPR));
}

// ---- errors -------------------------------------------------------------------------------

struct ErrorCase {
    const char* source;
    const char* msg;
    int lineno, offset, end_lineno, end_offset;
};

const ErrorCase kErrors[] = {
    {"return 1", "'return' outside function", 1, 1, 1, 9},
    {"x = 1\nbreak\n", "'break' outside loop", 2, 1, 2, 6},
    {"def f():\n  for x in y:\n    pass\n  continue\n", "'continue' not properly in loop", 4, 3, 4,
     11},
    {"def f():\n  x = 1\n  global x\n", "name 'x' is assigned to before global declaration", 3, 3,
     3, 11},
    {"def f():\n  print(x)\n  global x\n", "name 'x' is used prior to global declaration", 3, 3, 3,
     11},
    {"def f():\n  nonlocal x\n", "no binding for nonlocal 'x' found", 2, 3, 2, 13},
    {"nonlocal x\n", "nonlocal declaration not allowed at module level", 1, 1, 1, 11},
    {"yield 1\n", "'yield' outside function", 1, 1, 1, 8},
    {"await x\n", "'await' outside function", 1, 1, 1, 8},
    {"class C:\n  yield 1\n", "'yield' outside function", 2, 3, 2, 10},
    {"f(a=1, a=2)\n", "keyword argument repeated: a", 1, 8, 1, 11},
    {"def f(a, a): pass\n", "duplicate argument 'a' in function definition", 1, 10, 1, 11},
    {"def f():\n    x = [(yield) for i in y]\n", "'yield' inside list comprehension", 2, 11, 2, 16},
    {"try:\n  pass\nexcept:\n  pass\nexcept E:\n  pass\n", "default 'except:' must be last", 3, 1,
     4, 7},
    {"def f(a):\n  global a\n", "name 'a' is parameter and global", 2, 3, 2, 11},
    {"def f():\n  from m import *\n", "import * only allowed at module level", 2, 17, 2, 18},
    {"async def f():\n  yield from x\n", "'yield from' inside async function", 2, 3, 2, 15},
    {"def f():\n  x = 1\n  def g():\n    global x\n    nonlocal x\n",
     "name 'x' is nonlocal and global", 4, 5, 4, 13},
    {"def f():\n  await x\n", "'await' outside async function", 2, 3, 2, 10},
    {"x = 1\nclass C:\n  def f(self):\n    return 1\n  return 2\n", "'return' outside function", 5,
     3, 5, 11},
    {"for x in y:\n  def f():\n    break\n", "'break' outside loop", 3, 5, 3, 10},
    {"def f():\n    x: int = 1\n    global x\n", "annotated name 'x' can't be global", 3, 5, 3, 13},
    {"import os\nfrom __future__ import annotations\n",
     "from __future__ imports must occur at the beginning of the file", 2, 1, 2, 35},
    {"from __future__ import nope\n", "future feature nope is not defined", 1, 1, 1, -4},
    {"from __future__ import braces\n", "not a chance", 1, 1, 1, -4},
    {"a, *b, *c = range(5)\n", "multiple starred expressions in assignment", 1, 1, 1, 10},
};

class CompilerErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(CompilerErrors, MessageAndLocation) {
    const ErrorCase& ec = GetParam();
    CompileError e = compile_err(ec.source);
    EXPECT_EQ(e.type, "SyntaxError");
    EXPECT_EQ(e.msg, ec.msg);
    EXPECT_EQ(e.lineno, ec.lineno);
    EXPECT_EQ(e.offset, ec.offset);
    EXPECT_EQ(e.end_lineno, ec.end_lineno);
    EXPECT_EQ(e.end_offset, ec.end_offset);
}

INSTANTIATE_TEST_SUITE_P(All, CompilerErrors, ::testing::ValuesIn(kErrors));

TEST(Compiler, TooManyNestedBlocks) {
    std::string src;
    for (int i = 0; i < 21; ++i) src += std::string(4 * i, ' ') + "for x in y:\n";
    src += std::string(4 * 21, ' ') + "pass\n";
    CompileError e = compile_err(src);
    EXPECT_EQ(e.msg, "too many statically nested blocks");
    EXPECT_EQ(e.lineno, 21);
    EXPECT_EQ(e.offset, 81);
    std::string ok;
    for (int i = 0; i < 20; ++i) ok += std::string(4 * i, ' ') + "while x:\n";
    ok += std::string(4 * 20, ' ') + "pass\n";
    EXPECT_TRUE(compile_ok(ok));
}

TEST(Compiler, ErrorTextIsTheSourceLine) {
    CompileError e = compile_err("x = 1\nreturn x\ny = 2\n");
    EXPECT_EQ(e.msg, "'return' outside function");
    EXPECT_EQ(e.text, "return x\n");
}

TEST(Compiler, ParserErrorsBecomeSyntaxError) {
    CompileError e = compile_err("x = (1,\n");
    EXPECT_EQ(e.type, "SyntaxError");
    EXPECT_FALSE(e.msg.empty());
    CompileError i = compile_err("if x:\npass\n");
    EXPECT_EQ(i.type, "IndentationError");
}

// ---- symbol table (on parsed ASTs) ---------------------------------------------------------

TEST(Symtable, Scopes) {
    ensure_interp();
    ast::Arena arena;
    SyntaxErrorInfo err;
    const char* src =
        "g = 1\n"
        "def f(p):\n"
        "    global h\n"
        "    l = p\n"
        "    def inner():\n"
        "        return l + g\n"
        "    class C:\n"
        "        l = 2\n"
        "        def m(self):\n"
        "            return l, __class__\n"
        "    return inner\n";
    ast::Module* mod = parse(src, "<test>", ParseMode::kExec, arena, &err);
    ASSERT_TRUE(mod) << err.msg;
    SymbolTable st;
    bool rec = false;
    ASSERT_TRUE(st.build(mod, &err, &rec)) << err.msg;
    SymbolTableEntry* top = st.top();
    EXPECT_EQ(top->scope_of("g"), Scope::kLocal);
    ASSERT_EQ(top->children.size(), 1u);
    SymbolTableEntry* f = top->children[0];
    EXPECT_EQ(f->scope_of("p"), Scope::kLocal);
    EXPECT_EQ(f->scope_of("h"), Scope::kGlobalExplicit);
    EXPECT_EQ(f->scope_of("l"), Scope::kCell);
    ASSERT_EQ(f->children.size(), 2u);
    SymbolTableEntry* inner = f->children[0];
    EXPECT_EQ(inner->scope_of("l"), Scope::kFree);
    EXPECT_EQ(inner->scope_of("g"), Scope::kGlobalImplicit);
    SymbolTableEntry* cls = f->children[1];
    EXPECT_EQ(cls->scope_of("l"), Scope::kLocal);
    EXPECT_TRUE(cls->flags_of("l") & kDefFreeClass);
    EXPECT_TRUE(cls->needs_class_closure);
    SymbolTableEntry* m = cls->children[0];
    EXPECT_EQ(m->scope_of("l"), Scope::kFree);
    EXPECT_EQ(m->scope_of("__class__"), Scope::kFree);
}

TEST(Symtable, Mangling) {
    EXPECT_EQ(mangle_name("C", "__x"), "_C__x");
    EXPECT_EQ(mangle_name("_C", "__x"), "_C__x");
    EXPECT_EQ(mangle_name("C", "__x__"), "__x__");
    EXPECT_EQ(mangle_name("C", "_x"), "_x");
    EXPECT_EQ(mangle_name("___", "__x"), "__x");
    EXPECT_EQ(mangle_name("", "__x"), "__x");
}

}  // namespace
