// vm_test.cpp: the virtual machine: the loop on hand-assembled code (calls, jumps, the
// exception table), then Toy source through the compiler: arithmetic fast paths, argument
// binding and its errors, exceptions and tracebacks, generators, classes, recursion.
#include <gtest/gtest.h>

#include <string>

#include "interp/code.h"
#include "interp/compiler.h"
#include "interp/function.h"
#include "interp/traceback.h"
#include "interp/vm.h"
#include "runtime/abstract.h"
#include "runtime/dict.h"
#include "runtime/errors.h"
#include "runtime/interpreter.h"
#include "runtime/module.h"
#include "runtime/str.h"
#include "runtime/thread_state.h"
#include "runtime/tuple.h"
#include "stdlib/registry.h"

namespace toy {
namespace {

class VmTest : public ::testing::Test {
protected:
    void SetUp() override {
        interp_ = new_interpreter();
        ASSERT_NE(interp_, nullptr);
        InterpreterConfig config;
        config.argv = {"test.toy"};
        ASSERT_TRUE(setup_interpreter(interp_, config));
        RefT<Module> m = create_module_in_sys("__main__", "");
        ASSERT_TRUE(static_cast<bool>(m));
        main_ = std::move(m);
    }
    void TearDown() override {
        main_ = nullptr;
        clear_error();
        delete_interpreter(interp_);
    }

    std::string exec(std::string_view src) {
        RefT<CodeObject> code = compile_source(src, "<test>", CompileMode::kExec);
        if (!code) return take_error();
        Ref r = eval_code(code.get(), main_->dict, main_->dict);
        if (!r) return take_error();
        return "";
    }

    std::string eval(std::string_view expr) {
        RefT<CodeObject> code = compile_source(expr, "<test>", CompileMode::kEval);
        if (!code) return take_error();
        Ref r = eval_code(code.get(), main_->dict, main_->dict);
        if (!r) return take_error();
        Ref s = repr(r.get());
        if (!s) return take_error();
        return std::string(s.as<Str>()->view());
    }

    // Runs statements, then evaluates `expr`.
    std::string run(std::string_view src, std::string_view expr) {
        std::string e = exec(src);
        if (!e.empty()) return e;
        return eval(expr);
    }

    std::string take_error() {
        Ref e = fetch_error();
        if (!e) return "<no exception>";
        std::string out(type_name(e.get()));
        Ref s = str(e.get());
        if (s && !s.as<Str>()->view().empty()) {
            out += ": ";
            out += s.as<Str>()->view();
        }
        clear_error();
        return out;
    }

    // Runs statements that must fail; returns the formatted traceback.
    std::string traceback_of(std::string_view src) {
        RefT<CodeObject> code = compile_source(src, "<test>", CompileMode::kExec);
        if (!code) return take_error();
        Ref r = eval_code(code.get(), main_->dict, main_->dict);
        if (r) return "<no exception>";
        Ref e = fetch_error();
        return format_exception(e.get());
    }

    Interpreter* interp_ = nullptr;
    RefT<Module> main_;
};

// ---- hand-assembled code -----------------------------------------------------------------

struct Asm {
    RefT<CodeObject> code = new_code();
    std::vector<Value> consts;
    void op(Op o, uint32_t arg = 0) {
        code->code.push_back(encode(o, arg));
        for (int i = 0; i < kOpInfo[static_cast<int>(o)].caches; ++i) code->code.push_back(0);
    }
    uint32_t pc() const { return static_cast<uint32_t>(code->code.size()); }
    uint32_t k(Value v) {
        consts.push_back(v);
        return static_cast<uint32_t>(consts.size() - 1);
    }
    RefT<CodeObject> finish(uint32_t stacksize, uint32_t nlocals = 0) {
        code->consts = new_tuple_from(consts.data(), static_cast<int64_t>(consts.size())).release();
        code->names = new_tuple(0).release();
        RefT<Tuple> lnames = new_tuple(nlocals);
        for (uint32_t i = 0; i < nlocals; ++i)
            lnames->items[i] = Value::object(intern(fmt::format("v{}", i)));
        code->localsplus_names = lnames.release();
        code->nlocals = nlocals;
        code->stacksize = stacksize;
        code->name = intern("<module>");
        code->qualname = intern("<module>");
        code->filename = intern("<asm>");
        code->positions.assign(code->code.size(), Position{1, 1, 0, 1});
        return std::move(code);
    }
};

TEST_F(VmTest, HandAssembledLoop) {
    // v0 = 0; v1 = 0; while v0 < 10: v1 += v0; v0 += 1; return v1
    Asm a;
    uint32_t zero = a.k(Value::small_int(0)), one = a.k(Value::small_int(1)),
             ten = a.k(Value::small_int(10));
    a.op(Op::LOAD_CONST, zero);
    a.op(Op::STORE_FAST, 0);
    a.op(Op::LOAD_CONST, zero);
    a.op(Op::STORE_FAST, 1);
    uint32_t top = a.pc();
    a.op(Op::LOAD_FAST, 0);
    a.op(Op::LOAD_CONST, ten);
    a.op(Op::COMPARE_OP, static_cast<uint32_t>(CmpOp::kLt));
    uint32_t jump_at = a.pc();
    a.op(Op::POP_JUMP_IF_FALSE, 0);
    a.op(Op::LOAD_FAST, 1);
    a.op(Op::LOAD_FAST, 0);
    a.op(Op::BINARY_OP, static_cast<uint32_t>(BinOp::kAdd) | kInplaceBit);
    a.op(Op::STORE_FAST, 1);
    a.op(Op::LOAD_FAST, 0);
    a.op(Op::LOAD_CONST, one);
    a.op(Op::BINARY_OP, static_cast<uint32_t>(BinOp::kAdd));
    a.op(Op::STORE_FAST, 0);
    a.op(Op::JUMP, top);
    uint32_t end = a.pc();
    a.code->code[jump_at] = encode(Op::POP_JUMP_IF_FALSE, end);
    a.op(Op::LOAD_FAST, 1);
    a.op(Op::RETURN_VALUE);
    RefT<CodeObject> code = a.finish(4, 2);
    RefT<Dict> g = new_dict();
    Ref r = eval_code(code.get(), g.get(), g.get());
    ASSERT_TRUE(static_cast<bool>(r));
    EXPECT_TRUE((*r).is_small_int());
    EXPECT_EQ((*r).as_small_int(), 45);
}

TEST_F(VmTest, HandAssembledExceptionTable) {
    // try: 1 // 0  except: return 7  (the handler pops the exception and returns)
    Asm a;
    uint32_t one = a.k(Value::small_int(1)), zero = a.k(Value::small_int(0)),
             seven = a.k(Value::small_int(7));
    uint32_t start = a.pc();
    a.op(Op::LOAD_CONST, one);
    a.op(Op::LOAD_CONST, zero);
    a.op(Op::BINARY_OP, static_cast<uint32_t>(BinOp::kFloorDiv));
    a.op(Op::RETURN_VALUE);
    uint32_t end = a.pc();
    uint32_t handler = a.pc();
    a.op(Op::POP_TOP);
    a.op(Op::LOAD_CONST, seven);
    a.op(Op::RETURN_VALUE);
    RefT<CodeObject> code = a.finish(4);
    code->exception_table.push_back(ExceptionTableEntry{start, end, handler, 0, 0});
    RefT<Dict> g = new_dict();
    Ref r = eval_code(code.get(), g.get(), g.get());
    ASSERT_TRUE(static_cast<bool>(r));
    EXPECT_EQ((*r).as_small_int(), 7);
    EXPECT_FALSE(error_occurred());
}

TEST_F(VmTest, HandAssembledUncaught) {
    Asm a;
    uint32_t one = a.k(Value::small_int(1)), zero = a.k(Value::small_int(0));
    a.op(Op::LOAD_CONST, one);
    a.op(Op::LOAD_CONST, zero);
    a.op(Op::BINARY_OP, static_cast<uint32_t>(BinOp::kTrueDiv));
    a.op(Op::RETURN_VALUE);
    RefT<CodeObject> code = a.finish(4);
    RefT<Dict> g = new_dict();
    Ref r = eval_code(code.get(), g.get(), g.get());
    EXPECT_FALSE(static_cast<bool>(r));
    EXPECT_EQ(take_error(), "ZeroDivisionError: division by zero");
    // The frame is gone from the thread stack.
    EXPECT_EQ(current_thread()->stack_top, current_thread()->stack_base);
    EXPECT_EQ(current_thread()->frame, nullptr);
}

// ---- arithmetic ------------------------------------------------------------------------------

TEST_F(VmTest, SmallIntFastPaths) {
    EXPECT_EQ(eval("7 // 2, -7 // 2, 7 % -3, -7 % 3, 7 / 2"), "(3, -4, -2, 2, 3.5)");
    EXPECT_EQ(eval("2 ** 10, 5 & 3, 5 | 3, 5 ^ 3, 1 << 10, -16 >> 2"), "(1024, 1, 7, 6, 1024, -4)");
    // Past 48 bits the result is boxed, past 64 bits OverflowError.
    EXPECT_EQ(eval("140737488355327 + 1"), "140737488355328");
    EXPECT_EQ(eval("(1 << 40) * (1 << 20)"), "1152921504606846976");
    EXPECT_EQ(eval("1 // 0"), "ZeroDivisionError: integer division or modulo by zero");
    EXPECT_EQ(eval("1.5 + 2.25, 1.0 / 4, 3 < 2.5, 2.5 < 3"), "(3.75, 0.25, False, True)");
    EXPECT_EQ(eval("1.0 / 0"), "ZeroDivisionError: float division by zero");
    EXPECT_EQ(eval("-(-140737488355328)"), "140737488355328");
}

TEST_F(VmTest, Subscripts) {
    EXPECT_EQ(eval("[1, 2, 3][-1], (4, 5)[0], {'a': 1}['a'], 'xyz'[1]"), "(3, 4, 1, 'y')");
    EXPECT_EQ(eval("[1][5]"), "IndexError: list index out of range");
    EXPECT_EQ(eval("{}['k']"), "KeyError: 'k'");
    EXPECT_EQ(run("l = [1, 2]\nl[0] = 9\nd = {}\nd[1] = 2", "(l, d)"), "([9, 2], {1: 2})");
}

// ---- calls -----------------------------------------------------------------------------------

TEST_F(VmTest, ArgumentBinding) {
    ASSERT_EQ(exec("def f(a, b=2, *args, k=3, **kw): return (a, b, args, k, kw)"), "");
    EXPECT_EQ(eval("f(1)"), "(1, 2, (), 3, {})");
    EXPECT_EQ(eval("f(1, 5, 6, 7, k=8, z=9)"), "(1, 5, (6, 7), 8, {'z': 9})");
    EXPECT_EQ(eval("f(b=1, a=0)"), "(0, 1, (), 3, {})");
    EXPECT_EQ(eval("f(*[1, 2, 3], **{'k': 4})"), "(1, 2, (3,), 4, {})");
    EXPECT_EQ(eval("f()"), "TypeError: f() missing 1 required positional argument: 'a'");
    EXPECT_EQ(eval("f(1, a=2)"), "TypeError: f() got multiple values for argument 'a'");
    ASSERT_EQ(exec("def g(x, y): pass\ndef h(a, b, c): pass\ndef k(*, key): pass\n"
                   "def p(a, /, b): pass\ndef q(a, b=1, *, c): pass"),
              "");
    EXPECT_EQ(eval("g(1, 2, 3)"), "TypeError: g() takes 2 positional arguments but 3 were given");
    EXPECT_EQ(eval("g(1, z=3)"), "TypeError: g() got an unexpected keyword argument 'z'");
    EXPECT_EQ(eval("h()"), "TypeError: h() missing 3 required positional arguments: 'a', 'b', and 'c'");
    EXPECT_EQ(eval("h(1)"), "TypeError: h() missing 2 required positional arguments: 'b' and 'c'");
    EXPECT_EQ(eval("k()"), "TypeError: k() missing 1 required keyword-only argument: 'key'");
    EXPECT_EQ(eval("p(a=1, b=2)"),
              "TypeError: p() got some positional-only arguments passed as keyword arguments: 'a'");
    EXPECT_EQ(eval("q(1, 2, 3, c=1)"),
              "TypeError: q() takes from 1 to 2 positional arguments but 3 positional arguments "
              "(and 1 keyword-only argument) were given");
    EXPECT_EQ(eval("g(**{'x': 1}, **{'x': 2})"),
              "TypeError: g() got multiple values for keyword argument 'x'");
    // CPython words it "g() argument after * must be an iterable" when the compiler emits
    // CALL_FUNCTION_EX on the iterable directly, "Value after * ..." after LIST_EXTEND.
    EXPECT_NE(eval("g(*1)").find("after * must be an iterable, not int"), std::string::npos);
    EXPECT_EQ(eval("g(**1)"), "TypeError: g() argument after ** must be a mapping, not int");
}

TEST_F(VmTest, ClosuresAndCells) {
    EXPECT_EQ(run("def outer(x):\n"
                  "    def inner(y):\n"
                  "        nonlocal x\n"
                  "        x += y\n"
                  "        return x\n"
                  "    return inner\n"
                  "acc = outer(10)\n"
                  "acc(1)\n",
                  "acc(5)"),
              "16");
    EXPECT_EQ(run("def f():\n    def g(): return v\n    return g()\n    v = 1\n", "f()"),
              "NameError: cannot access free variable 'v' where it is not associated with a value "
              "in enclosing scope");
    EXPECT_EQ(run("def f():\n    print(z)\n    z = 1\n", "f()"),
              "UnboundLocalError: cannot access local variable 'z' where it is not associated with "
              "a value");
}

TEST_F(VmTest, FunctionAttributes) {
    ASSERT_EQ(exec("def f(a, b=1):\n    'doc'\n    return a\nclass C:\n    def m(self): pass\nc = C()"), "");
    EXPECT_EQ(eval("f.__name__, f.__qualname__, f.__doc__, f.__defaults__, f.__module__"),
              "('f', 'f', 'doc', (1,), '__main__')");
    EXPECT_EQ(eval("C.m.__qualname__"), "'C.m'");
    EXPECT_EQ(eval("c.m.__self__ is c, c.m.__func__ is C.m, c.m == c.m"), "(True, True, True)");
    EXPECT_TRUE(eval("repr(f)").starts_with("'<function f at 0x"));
    EXPECT_TRUE(eval("repr(c.m)").starts_with("'<bound method C.m of <__main__.C object at 0x"));
    EXPECT_EQ(run("f.attr = 5", "f.__dict__"), "{'attr': 5}");
}

TEST_F(VmTest, Methods) {
    ASSERT_EQ(exec("class A:\n"
                   "    def __init__(self, x): self.x = x\n"
                   "    def get(self): return self.x\n"
                   "    @staticmethod\n"
                   "    def s(v): return v * 2\n"
                   "    @classmethod\n"
                   "    def c(cls): return cls.__name__\n"
                   "a = A(3)\n"),
              "");
    EXPECT_EQ(eval("a.get(), A.get(a), a.s(4), A.c(), a.c()"), "(3, 3, 8, 'A', 'A')");
    // An instance attribute shadows the method.
    EXPECT_EQ(run("a.get = lambda: 'shadow'", "a.get()"), "'shadow'");
    // Repeated attribute loads go through the inline cache.
    EXPECT_EQ(run("t = 0\nfor i in range(100): t += a.x\n", "t"), "300");
    EXPECT_EQ(run("a.x = 5\nt = 0\nfor i in range(3): t += a.x\n", "t"), "15");
}

TEST_F(VmTest, GlobalsCache) {
    // LOAD_GLOBAL caches the builtins entry; a global defined later shadows it.
    ASSERT_EQ(exec("def f(): return len([1, 2])\nr1 = f()\nr2 = f()\ndef len(x): return 'mine'\nr3 = f()"
                   "\ndel len\nr4 = f()"),
              "");
    EXPECT_EQ(eval("r1, r2, r3, r4"), "(2, 2, 'mine', 2)");
}

TEST_F(VmTest, RecursionLimit) {
    EXPECT_EQ(run("def f(n): return f(n + 1)", "f(0)"), "RecursionError: maximum recursion depth exceeded");
    // Deep Toy recursion does not use the C stack.
    EXPECT_EQ(run("import sys\nsys.setrecursionlimit(100000)\n"
                  "def d(n): return 0 if n == 0 else 1 + d(n - 1)",
                  "d(50000)"),
              "50000");
}

// ---- exceptions --------------------------------------------------------------------------------

TEST_F(VmTest, TryExceptFinally) {
    EXPECT_EQ(run("out = []\n"
                  "try:\n"
                  "    try:\n"
                  "        1 / 0\n"
                  "    finally:\n"
                  "        out.append('f')\n"
                  "except ZeroDivisionError as e:\n"
                  "    out.append(str(e))\n"
                  "else:\n"
                  "    out.append('else')\n",
                  "out"),
              "['f', 'division by zero']");
    EXPECT_EQ(exec("raise"), "RuntimeError: No active exception to reraise");
    EXPECT_EQ(exec("raise 1"), "TypeError: exceptions must derive from BaseException");
    EXPECT_EQ(exec("try:\n    pass\nexcept 1:\n    pass"), "");
    EXPECT_EQ(exec("try:\n    1/0\nexcept 1:\n    pass"),
              "TypeError: catching classes that do not inherit from BaseException is not allowed");
}

TEST_F(VmTest, ExceptionChaining) {
    ASSERT_EQ(exec("try:\n"
                   "    try:\n"
                   "        {}['k']\n"
                   "    except KeyError:\n"
                   "        int('x')\n"
                   "except ValueError as e:\n"
                   "    ctx = e.__context__\n"
                   "try:\n"
                   "    try:\n"
                   "        1/0\n"
                   "    except ZeroDivisionError as z:\n"
                   "        raise ValueError('v') from z\n"
                   "except ValueError as e:\n"
                   "    cause = (type(e.__cause__).__name__, e.__suppress_context__)\n"
                   "try:\n"
                   "    try:\n"
                   "        1/0\n"
                   "    except ZeroDivisionError:\n"
                   "        raise ValueError('v') from None\n"
                   "except ValueError as e:\n"
                   "    none = (e.__cause__, e.__suppress_context__)\n"),
              "");
    EXPECT_EQ(eval("type(ctx).__name__"), "'KeyError'");
    EXPECT_EQ(eval("cause"), "('ZeroDivisionError', True)");
    EXPECT_EQ(eval("none"), "(None, True)");
}

TEST_F(VmTest, TracebackFormat) {
    std::string tb = traceback_of("def f():\n    return 1 / 0\ndef g():\n    f()\ng()\n");
    EXPECT_EQ(tb,
              "Traceback (most recent call last):\n"
              "  File \"<test>\", line 5, in <module>\n"
              "  File \"<test>\", line 4, in g\n"
              "  File \"<test>\", line 2, in f\n"
              "ZeroDivisionError: division by zero\n");
    tb = traceback_of("try:\n    {}['k']\nexcept KeyError:\n    raise ValueError\n");
    EXPECT_EQ(tb,
              "Traceback (most recent call last):\n"
              "  File \"<test>\", line 2, in <module>\n"
              "KeyError: 'k'\n"
              "\nDuring handling of the above exception, another exception occurred:\n\n"
              "Traceback (most recent call last):\n"
              "  File \"<test>\", line 4, in <module>\n"
              "ValueError\n");
    tb = traceback_of("def r(n): r(n)\nr(1)\n");
    EXPECT_NE(tb.find("  [Previous line repeated "), std::string::npos) << tb;
    EXPECT_NE(tb.find("RecursionError: maximum recursion depth exceeded\n"), std::string::npos);
}

// ---- generators ------------------------------------------------------------------------------

TEST_F(VmTest, Generators) {
    ASSERT_EQ(exec("def gen(n):\n"
                   "    for i in range(n):\n"
                   "        got = yield i\n"
                   "        if got: yield got\n"
                   "    return 'done'\n"),
              "");
    EXPECT_EQ(eval("list(gen(3))"), "[0, 1, 2]");
    EXPECT_EQ(run("g = gen(2)\na = next(g)\nb = g.send('x')\nc = next(g)", "(a, b, c)"), "(0, 'x', 1)");
    EXPECT_EQ(eval("gen(1).send(5)"),
              "TypeError: can't send non-None value to a just-started generator");
    EXPECT_EQ(run("def w():\n    r = yield from gen(2)\n    yield r\n", "list(w())"), "[0, 1, 'done']");
    EXPECT_EQ(run("def t():\n    try:\n        yield 1\n    except ValueError:\n        yield 'caught'\n"
                  "g = t()\nnext(g)",
                  "g.throw(ValueError)"),
              "'caught'");
    EXPECT_EQ(run("log = []\ndef c():\n    try:\n        yield 1\n    finally:\n        log.append('closed')\n"
                  "g = c()\nnext(g)\ng.close()",
                  "log"),
              "['closed']");
    EXPECT_EQ(run("def s():\n    raise StopIteration\n    yield\n", "list(s())"),
              "RuntimeError: generator raised StopIteration");
    EXPECT_EQ(run("def me():\n    yield next(gg)\ngg = me()", "next(gg)"),
              "ValueError: generator already executing");
    EXPECT_EQ(eval("[x * x for x in range(4)], {x: 1 for x in 'ab'}, sum(x for x in range(5))"),
              "([0, 1, 4, 9], {'a': 1, 'b': 1}, 10)");
}

// ---- classes -----------------------------------------------------------------------------------

TEST_F(VmTest, BuildClass) {
    ASSERT_EQ(exec("class Meta(type):\n"
                   "    def __new__(m, name, bases, ns, **kw):\n"
                   "        ns['tag'] = kw.get('tag')\n"
                   "        return super().__new__(m, name, bases, ns)\n"
                   "class A(metaclass=Meta, tag=7):\n"
                   "    x = 1\n"
                   "class B(A):\n"
                   "    def f(self): return super().f() if False else __class__.__name__\n"),
              "");
    EXPECT_EQ(eval("A.tag, A.x, type(A).__name__, type(B).__name__, B().f()"), "(7, 1, 'Meta', 'Meta', 'B')");
}

TEST_F(VmTest, WithStatement) {
    EXPECT_EQ(run("log = []\n"
                  "class CM:\n"
                  "    def __enter__(self): log.append('in'); return self\n"
                  "    def __exit__(self, t, v, tb): log.append(t.__name__ if t else None); return True\n"
                  "with CM() as c:\n"
                  "    1/0\n"
                  "with CM():\n"
                  "    pass\n",
                  "log"),
              "['in', 'ZeroDivisionError', 'in', None]");
    EXPECT_EQ(exec("with 1: pass"), "TypeError: 'int' object does not support the context manager protocol");
}

TEST_F(VmTest, Unpacking) {
    EXPECT_EQ(run("a, *b, c = range(5)", "(a, b, c)"), "(0, [1, 2, 3], 4)");
    EXPECT_EQ(exec("a, b = [1, 2, 3]"), "ValueError: too many values to unpack (expected 2)");
    EXPECT_EQ(exec("a, b, c = 'ab'"), "ValueError: not enough values to unpack (expected 3, got 2)");
    EXPECT_EQ(exec("a, b = 1"), "TypeError: cannot unpack non-iterable int object");
    EXPECT_EQ(exec("a, *b, c = [1]"), "ValueError: not enough values to unpack (expected at least 2, got 1)");
    EXPECT_EQ(run("x = [(1, (2, 3))]\nfor a, (b, c) in x: pass", "a + b + c"), "6");
}

TEST_F(VmTest, NoLeaksAcrossCalls) {
    // Refcounts are balanced by calls, exceptions and generators.
    ASSERT_EQ(exec("import sys\n"
                   "o = object()\n"
                   "def f(x, *a, **k):\n"
                   "    try:\n"
                   "        raise ValueError(x)\n"
                   "    except ValueError:\n"
                   "        pass\n"
                   "    return x\n"
                   "def g(x):\n"
                   "    yield x\n"
                   "before = sys.getrefcount(o)\n"
                   "for i in range(10):\n"
                   "    f(o, o, k=o)\n"
                   "    list(g(o))\n"
                   "    try:\n"
                   "        f(o, bad=1) if False else [][o]\n"
                   "    except TypeError:\n"
                   "        pass\n"
                   "after = sys.getrefcount(o)\n"),
              "");
    EXPECT_EQ(eval("after - before"), "0");
}

}  // namespace
}  // namespace toy
