// stdlib_test.cpp: builtins, sys, math, time, io and imports, driven through compile + eval
// in a fresh interpreter per test.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "interp/compiler.h"
#include "interp/vm.h"
#include "runtime/abstract.h"
#include "runtime/dict.h"
#include "runtime/errors.h"
#include "runtime/float.h"
#include "runtime/int.h"
#include "runtime/interpreter.h"
#include "runtime/module.h"
#include "runtime/str.h"
#include "stdlib/registry.h"

namespace toy {
namespace {

class StdlibTest : public ::testing::Test {
protected:
    void SetUp() override {
        interp_ = new_interpreter();
        ASSERT_NE(interp_, nullptr);
        InterpreterConfig config;
        config.argv = {"test.toy", "a1"};
        config.script_dir = dir_;
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

    // Runs statements in __main__; returns "" on success or "ExcType: message".
    std::string exec(std::string_view src) {
        Ref r = exec_module_source(main_.get(), src, "<test>");
        if (r) return "";
        return take_error();
    }

    // repr() of an expression evaluated in __main__, or "ExcType: message".
    std::string eval(std::string_view expr) {
        RefT<CodeObject> code = compile_source(expr, "<test>", CompileMode::kEval);
        if (!code) return take_error();
        Ref r = eval_code(code.get(), main_->dict, main_->dict);
        if (!r) return take_error();
        Ref s = repr(r.get());
        if (!s) return take_error();
        return std::string(s.as<Str>()->view());
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

    std::string temp_path(const char* name) {
        return fmt::format("{}/toy_stdlib_test_{}_{}", ::testing::TempDir(), ::getpid(), name);
    }

    static std::string read_text(const std::string& path) {
        std::ifstream in(path);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }

    Interpreter* interp_ = nullptr;
    RefT<Module> main_;
    std::string dir_;
};

TEST_F(StdlibTest, Len) {
    EXPECT_EQ(eval("len([1, 2, 3])"), "3");
    EXPECT_EQ(eval("len('héllo')"), "5");
    EXPECT_EQ(eval("len(5)"), "TypeError: object of type 'int' has no len()");
    EXPECT_EQ(eval("len()"), "TypeError: len() takes exactly one argument (0 given)");
}

TEST_F(StdlibTest, MinMax) {
    EXPECT_EQ(eval("max([3, 1, 2])"), "3");
    EXPECT_EQ(eval("min(3, 1, 2)"), "1");
    EXPECT_EQ(eval("max('abc')"), "'c'");
    EXPECT_EQ(eval("max([1, 2, 3], key=lambda x: -x)"), "1");
    EXPECT_EQ(eval("min([], default=7)"), "7");
    EXPECT_EQ(eval("max([])"), "ValueError: max() arg is an empty sequence");
    EXPECT_EQ(eval("max()"), "TypeError: max expected at least 1 argument, got 0");
    EXPECT_EQ(eval("max(1, 2, default=3)"),
              "TypeError: Cannot specify a default for max() with multiple positional arguments");
    EXPECT_EQ(eval("max(1, 2, foo=3)"), "TypeError: 'foo' is an invalid keyword argument for max()");
    EXPECT_EQ(eval("max(1)"), "TypeError: 'int' object is not iterable");
    // The first of equal maxima wins.
    EXPECT_EQ(eval("max([(1, 'a'), (1, 'b')], key=lambda t: t[0])"), "(1, 'a')");
}

TEST_F(StdlibTest, Sum) {
    EXPECT_EQ(eval("sum([1, 2, 3])"), "6");
    EXPECT_EQ(eval("sum([1.5, 2], 1)"), "4.5");
    EXPECT_EQ(eval("sum([[1], [2]], [])"), "[1, 2]");
    EXPECT_EQ(eval("sum(range(101))"), "5050");
    EXPECT_EQ(eval("sum([1, 2], start=10)"), "13");
    EXPECT_EQ(eval("sum(['a'], '')"), "TypeError: sum() can't sum strings [use ''.join(seq) instead]");
    EXPECT_EQ(eval("sum()"), "TypeError: sum() takes at least 1 positional argument (0 given)");
    EXPECT_EQ(eval("sum([0.1] * 10)"), "0.9999999999999999");
}

TEST_F(StdlibTest, Sorted) {
    EXPECT_EQ(eval("sorted([3, 1, 2])"), "[1, 2, 3]");
    EXPECT_EQ(eval("sorted([3, 1, 2], reverse=True)"), "[3, 2, 1]");
    EXPECT_EQ(eval("sorted(['bb', 'a', 'ccc'], key=len)"), "['a', 'bb', 'ccc']");
    EXPECT_EQ(eval("sorted([], 1)"), "TypeError: sorted expected 1 argument, got 2");
}

TEST_F(StdlibTest, Numbers) {
    EXPECT_EQ(eval("abs(-3)"), "3");
    EXPECT_EQ(eval("abs(-3.5)"), "3.5");
    EXPECT_EQ(eval("abs('x')"), "TypeError: bad operand type for abs(): 'str'");
    EXPECT_EQ(eval("round(2.5)"), "2");
    EXPECT_EQ(eval("round(3.5)"), "4");
    EXPECT_EQ(eval("round(2.675, 2)"), "2.67");
    EXPECT_EQ(eval("round(12345, -2)"), "12300");
    EXPECT_EQ(eval("round(12355, -1)"), "12360");
    EXPECT_EQ(eval("round(float('inf'))"), "OverflowError: cannot convert float infinity to integer");
    EXPECT_EQ(eval("divmod(7, -2)"), "(-4, -1)");
    EXPECT_EQ(eval("divmod(-7.5, 2)"), "(-4.0, 0.5)");
    EXPECT_EQ(eval("divmod(1.0, 0)"), "ZeroDivisionError: float divmod()");
    EXPECT_EQ(eval("divmod('a', 1)"),
              "TypeError: unsupported operand type(s) for divmod(): 'str' and 'int'");
    EXPECT_EQ(eval("pow(2, 10)"), "1024");
    EXPECT_EQ(eval("pow(10, 2, 7)"), "2");
    EXPECT_EQ(eval("pow(2.0, 3, 4)"),
              "TypeError: pow() 3rd argument not allowed unless all arguments are integers");
    EXPECT_EQ(eval("hex(255), oct(8), bin(-5)"), "('0xff', '0o10', '-0b101')");
    EXPECT_EQ(eval("hex(1.0)"), "TypeError: 'float' object cannot be interpreted as an integer");
}

TEST_F(StdlibTest, Chars) {
    EXPECT_EQ(eval("chr(65), chr(233), ord('é'), ord('A')"), "('A', 'é', 233, 65)");
    EXPECT_EQ(eval("chr(-1)"), "ValueError: chr() arg not in range(0x110000)");
    EXPECT_EQ(eval("ord('ab')"),
              "TypeError: ord() expected a character, but string of length 2 found");
}

TEST_F(StdlibTest, Attributes) {
    exec("class C:\n    pass\nc = C()\n");
    EXPECT_EQ(eval("setattr(c, 'x', 5)"), "None");
    EXPECT_EQ(eval("getattr(c, 'x')"), "5");
    EXPECT_EQ(eval("getattr(c, 'y', 9)"), "9");
    EXPECT_EQ(eval("hasattr(c, 'x'), hasattr(c, 'y')"), "(True, False)");
    EXPECT_EQ(eval("delattr(c, 'x')"), "None");
    EXPECT_EQ(eval("hasattr(c, 'x')"), "False");
    EXPECT_EQ(eval("getattr(1, 2)"), "TypeError: attribute name must be string, not 'int'");
    EXPECT_EQ(eval("getattr(1, 'x')"), "AttributeError: 'int' object has no attribute 'x'");
    EXPECT_EQ(eval("callable(len), callable(1)"), "(True, False)");
    EXPECT_EQ(eval("isinstance(1, (str, int)), issubclass(bool, int)"), "(True, True)");
}

TEST_F(StdlibTest, IterNext) {
    EXPECT_EQ(eval("next(iter([1, 2]))"), "1");
    EXPECT_EQ(eval("next(iter([]), 'done')"), "'done'");
    EXPECT_EQ(eval("next(iter([]))"), "StopIteration");
    EXPECT_EQ(eval("next(1)"), "TypeError: 'int' object is not an iterator");
    exec("n = [0]\ndef f():\n    n[0] += 1\n    return n[0]\n");
    EXPECT_EQ(eval("list(iter(f, 4))"), "[1, 2, 3]");
    EXPECT_EQ(eval("any([0, 1]), all([1, 0]), any([]), all([])"), "(True, False, False, True)");
}

TEST_F(StdlibTest, ExecEval) {
    EXPECT_EQ(eval("eval('1 + 2')"), "3");
    EXPECT_EQ(eval("eval('  x', {'x': 4})"), "4");
    EXPECT_EQ(exec("d = {}\nexec('y = 7', d)\n"), "");
    EXPECT_EQ(eval("d['y']"), "7");
    EXPECT_EQ(eval("exec('x=1', 1)"), "TypeError: exec() globals must be a dict, not int");
    EXPECT_EQ(eval("eval(compile('6 * 7', 'f', 'eval'))"), "42");
    EXPECT_EQ(eval("compile('1', 'f', 'x')"),
              "ValueError: compile() mode must be 'exec', 'eval' or 'single'");
    EXPECT_EQ(eval("sorted(k for k in globals() if not k.startswith('__'))[:0]"), "[]");
}

TEST_F(StdlibTest, Dir) {
    exec("class A:\n    def m(self): pass\na = A()\na.z = 1\n");
    EXPECT_EQ(eval("'m' in dir(a) and 'z' in dir(a) and '__class__' in dir(a)"), "True");
    EXPECT_EQ(eval("dir(a) == sorted(dir(a))"), "True");
    EXPECT_EQ(eval("vars(a)"), "{'z': 1}");
    EXPECT_EQ(eval("vars(1)"), "TypeError: vars() argument must have __dict__ attribute");
}

TEST_F(StdlibTest, Sys) {
    exec("import sys");
    EXPECT_EQ(eval("sys.argv"), "['test.toy', 'a1']");
    EXPECT_EQ(eval("sys.platform, sys.byteorder"), "('linux', 'little')");
    EXPECT_EQ(eval("sys.maxsize"), "9223372036854775807");
    EXPECT_EQ(eval("sys.version_info[:2]"), "(3, 11)");
    EXPECT_EQ(eval("sys.version_info.major"), "3");
    EXPECT_EQ(eval("sys.implementation.name"), "'toy'");
    EXPECT_EQ(eval("sys.version.startswith('3.11.0 (toy 0.1.0)')"), "True");
    EXPECT_EQ(eval("sys.modules['sys'] is sys"), "True");
    EXPECT_EQ(eval("sys.getrecursionlimit()"), "1000");
    EXPECT_EQ(eval("sys.setrecursionlimit(0)"),
              "ValueError: recursion limit must be greater or equal than 1");
    EXPECT_EQ(eval("sys.setrecursionlimit(500)"), "None");
    EXPECT_EQ(eval("sys.getrecursionlimit()"), "500");
    EXPECT_EQ(eval("sys.exit(3)"), "SystemExit: 3");
    EXPECT_EQ(exec("x = object()"), "");
    EXPECT_EQ(eval("sys.getrefcount(x)"), "2");
    EXPECT_EQ(eval("sys.exc_info()"), "(None, None, None)");
    EXPECT_EQ(eval("sys.float_info.max"), "1.7976931348623157e+308");
}

TEST_F(StdlibTest, Math) {
    exec("import math");
    EXPECT_EQ(eval("math.sqrt(16)"), "4.0");
    EXPECT_EQ(eval("math.sqrt(-1)"), "ValueError: math domain error");
    EXPECT_EQ(eval("math.exp(1000)"), "OverflowError: math range error");
    EXPECT_EQ(eval("math.log(8, 2), math.log2(8), math.log10(1000)"), "(3.0, 3.0, 3.0)");
    EXPECT_EQ(eval("math.log(0)"), "ValueError: math domain error");
    EXPECT_EQ(eval("math.floor(2.5), math.ceil(2.5), math.trunc(-2.5)"), "(2, 3, -2)");
    EXPECT_EQ(eval("math.floor('x')"), "TypeError: must be real number, not str");
    EXPECT_EQ(eval("math.gcd(12, 18), math.lcm(4, 6), math.factorial(5)"), "(6, 12, 120)");
    EXPECT_EQ(eval("math.comb(5, 2), math.perm(5), math.isqrt(17)"), "(10, 120, 4)");
    EXPECT_EQ(eval("math.factorial(-1)"), "ValueError: factorial() not defined for negative values");
    EXPECT_EQ(eval("math.fsum([0.1] * 10)"), "1.0");
    EXPECT_EQ(eval("math.prod([1, 2, 3, 4])"), "24");
    EXPECT_EQ(eval("math.hypot(3, 4), math.dist((0, 0), (3, 4))"), "(5.0, 5.0)");
    EXPECT_EQ(eval("math.isclose(1, 1.0000000001), math.isnan(math.nan), math.isinf(math.inf)"),
              "(True, True, True)");
    EXPECT_EQ(eval("math.pi, math.e"), "(3.141592653589793, 2.718281828459045)");
    EXPECT_EQ(eval("math.copysign(1, -0.0)"), "-1.0");
    EXPECT_EQ(eval("math.pow(0, -1)"), "ValueError: math domain error");
}

TEST_F(StdlibTest, Time) {
    exec("import time");
    EXPECT_EQ(eval("time.time() > 1.6e9"), "True");
    EXPECT_EQ(eval("time.perf_counter() <= time.perf_counter()"), "True");
    EXPECT_EQ(eval("time.monotonic_ns() > 0"), "True");
    exec("t0 = time.monotonic()\ntime.sleep(0.01)\nt1 = time.monotonic()\n");
    EXPECT_EQ(eval("t1 - t0 >= 0.0099"), "True");
    EXPECT_EQ(eval("time.sleep(-1)"), "ValueError: sleep length must be non-negative");
    EXPECT_EQ(eval("time.sleep('x')"), "TypeError: 'str' object cannot be interpreted as an integer");
}

TEST_F(StdlibTest, Imports) {
    EXPECT_EQ(exec("import math as m\nfrom math import sqrt\n"), "");
    EXPECT_EQ(eval("m.sqrt is sqrt"), "True");
    EXPECT_EQ(exec("import nosuchmodule"), "ModuleNotFoundError: No module named 'nosuchmodule'");
    EXPECT_EQ(exec("import math.x"),
              "ModuleNotFoundError: No module named 'math.x'; 'math' is not a package");
    EXPECT_EQ(eval("__import__('math').pi"), "3.141592653589793");
}

TEST_F(StdlibTest, ImportFromPath) {
    std::string dir = temp_path("pkgdir");
    ASSERT_EQ(::system(fmt::format("rm -rf {0} && mkdir -p {0}/pkg", dir).c_str()), 0);
    std::ofstream(dir + "/modx.toy") << "X = 41\ndef f():\n    return X + 1\n";
    std::ofstream(dir + "/pkg/__init__.toy") << "from . import sub\nNAME = __name__\n";
    std::ofstream(dir + "/pkg/sub.toy") << "from .helper import h\nV = h()\n";
    std::ofstream(dir + "/pkg/helper.toy") << "def h():\n    return 'helped'\n";
    ASSERT_EQ(exec(fmt::format("import sys\nsys.path.insert(0, {:?})\n", dir)), "");
    EXPECT_EQ(exec("import modx"), "");
    EXPECT_EQ(eval("modx.f(), modx.__name__"), "(42, 'modx')");
    EXPECT_EQ(eval("modx.__file__.endswith('/modx.toy')"), "True");
    EXPECT_EQ(exec("import pkg.sub"), "");
    EXPECT_EQ(eval("pkg.sub.V, pkg.NAME"), "('helped', 'pkg')");
    EXPECT_EQ(exec("from pkg import helper"), "");
    EXPECT_EQ(eval("helper.h()"), "'helped'");
    EXPECT_EQ(exec("from modx import nope"), fmt::format(
        "ImportError: cannot import name 'nope' from 'modx' ({}/modx.toy)", dir));
    ::system(fmt::format("rm -rf {}", dir).c_str());
}

TEST_F(StdlibTest, FileIO) {
    std::string path = temp_path("io.txt");
    ASSERT_EQ(exec(fmt::format("p = {:?}\n"
                               "with open(p, 'w') as f:\n"
                               "    n = f.write('line1\\nline2\\n')\n"
                               "    f.writelines(['a\\n', 'b'])\n",
                               path)),
              "");
    EXPECT_EQ(read_text(path), "line1\nline2\na\nb");
    EXPECT_EQ(eval("n"), "12");
    EXPECT_EQ(eval("f.closed"), "True");
    EXPECT_EQ(eval("open(p).read()"), "'line1\\nline2\\na\\nb'");
    EXPECT_EQ(eval("open(p).readlines()"), "['line1\\n', 'line2\\n', 'a\\n', 'b']");
    EXPECT_EQ(eval("[l for l in open(p)]"), "['line1\\n', 'line2\\n', 'a\\n', 'b']");
    exec("f = open(p)\na = f.readline()\nb = f.read(3)\nt = f.tell()\nf.seek(0)\nc = f.read()\nf.close()\n");
    EXPECT_EQ(eval("a, b, t, len(c)"), "('line1\\n', 'lin', 9, 15)");
    EXPECT_EQ(eval("open(p, 'rb').read(5)"), "b'line1'");
    EXPECT_EQ(exec("with open(p, 'a') as f:\n    f.write('!')\n"), "");
    EXPECT_EQ(read_text(path), "line1\nline2\na\nb!");
    EXPECT_EQ(eval("open('/nonexistent/x')"),
              "FileNotFoundError: [Errno 2] No such file or directory: '/nonexistent/x'");
    EXPECT_EQ(eval("open(p, 'z')"), "ValueError: invalid mode: 'z'");
    EXPECT_EQ(eval("open(p).write('x')"), "io.UnsupportedOperation: not writable");
    EXPECT_EQ(exec("f = open(p)\nf.close()\nf.read()\n"), "ValueError: I/O operation on closed file.");
    EXPECT_EQ(exec("with open(p, 'w') as f:\n    print('a', 1, 2.5, None, sep='|', end='$', file=f)\n"), "");
    EXPECT_EQ(read_text(path), "a|1|2.5|None$");
    std::remove(path.c_str());
}

TEST_F(StdlibTest, PrintToCustomFile) {
    exec("class W:\n    def __init__(self): self.parts = []\n"
         "    def write(self, s): self.parts.append(s)\n"
         "w = W()\nprint(1, 'x', file=w)\n");
    EXPECT_EQ(eval("w.parts"), "['1', ' ', 'x', '\\n']");
    EXPECT_EQ(eval("print(sep=1)"), "TypeError: sep must be None or a string, not int");
    EXPECT_EQ(eval("print(1, foo=2)"), "TypeError: 'foo' is an invalid keyword argument for print()");
}

TEST_F(StdlibTest, EmbeddedFunctools) {
    EXPECT_EQ(exec("from functools import reduce, partial, lru_cache"), "");
    EXPECT_EQ(eval("reduce(lambda a, b: a * b, range(1, 6))"), "120");
    EXPECT_EQ(eval("partial(int, base=2)('101')"), "5");
    EXPECT_EQ(exec("@lru_cache(maxsize=None)\ndef fib(n):\n    return n if n < 2 else fib(n-1) + fib(n-2)\n"), "");
    EXPECT_EQ(eval("fib(60)"), "1548008755920");
    EXPECT_EQ(eval("reduce(lambda a, b: a, [])"),
              "TypeError: reduce() of empty iterable with no initial value");
}

TEST_F(StdlibTest, ExitAndHooks) {
    EXPECT_EQ(eval("exit(5)"), "SystemExit: 5");
    EXPECT_EQ(eval("quit()"), "SystemExit");
    exec("import sys");
    EXPECT_EQ(eval("sys.exit()"), "SystemExit");
    EXPECT_EQ(eval("sys.exit(None)"), "SystemExit");
    EXPECT_EQ(eval("sys.exit(1, 2)"), "TypeError: exit expected at most 1 argument, got 2");
    EXPECT_EQ(eval("[m for m in ('builtins', 'sys', 'math', 'time') if m in sys.builtin_module_names]"),
              "['builtins', 'sys', 'math', 'time']");
    EXPECT_EQ(eval("list(sys.builtin_module_names) == sorted(sys.builtin_module_names)"), "True");
    EXPECT_EQ(eval("type(sys.implementation).__name__"), "'SimpleNamespace'");
}

TEST_F(StdlibTest, FinalizeModulesRunsDel) {
    std::string path = temp_path("final.txt");
    ASSERT_EQ(exec(fmt::format("import sys\n"
                               "class A:\n"
                               "    def __init__(self, n): self.n = n\n"
                               "    def __del__(self):\n"
                               "        with open({:?}, 'a') as f: print('del', self.n, sys is not None, file=f)\n"
                               "_x = A('_x')\na = A(1)\nb = [A(2)]\n",
                               path)),
              "");
    main_ = nullptr;
    finalize_modules();
    EXPECT_EQ(read_text(path), "del _x True\ndel 1 True\ndel 2 True\n");
    std::remove(path.c_str());
}

}  // namespace
}  // namespace toy
