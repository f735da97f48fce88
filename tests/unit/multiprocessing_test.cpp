// multiprocessing_test.cpp: the native half of multiprocessing (_multiprocessing): CPython's
// message framing byte for byte, EOF and corrupt-length handling, poll/wait, SemLock counts
// and errors, and the shared RawValue/RawArray, driven through Toy source in a fresh
// interpreter per test. Cross-process behaviour is covered by tests/conformance/
// multiprocessing (which forks).
#include <gtest/gtest.h>

#include <string>

#include "interp/compiler.h"
#include "interp/vm.h"
#include "runtime/abstract.h"
#include "runtime/errors.h"
#include "runtime/interpreter.h"
#include "runtime/module.h"
#include "runtime/str.h"
#include "stdlib/registry.h"

namespace toy {
namespace {

class MultiprocessingTest : public ::testing::Test {
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
        ASSERT_EQ(exec("import _multiprocessing as m, os"), "");
    }
    void TearDown() override {
        main_ = nullptr;
        clear_error();
        delete_interpreter(interp_);
    }

    std::string take_error() {
        Ref e = fetch_error();
        if (!e) return "<no error>";
        std::string out(type_name(e.get()));
        Ref s = exception_str(e.get());
        if (s && !s.as<Str>()->view().empty()) out += ": " + std::string(s.as<Str>()->view());
        return out;
    }
    std::string exec(std::string_view src) {
        Ref r = exec_module_source(main_.get(), src, "<test>");
        return r ? "" : take_error();
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

    Interpreter* interp_ = nullptr;
    RefT<Module> main_;
};

TEST_F(MultiprocessingTest, FramingIsCPythonsBigEndianLength) {
    ASSERT_EQ(exec("r, w = os.pipe()\nm.send(w, b'abc')\nm.send(w, b'')\n"
                   "m.send(w, bytearray(b'xy'))"), "");
    EXPECT_EQ(eval("os.read(r, 100)"), "b'\\x00\\x00\\x00\\x03abc\\x00\\x00\\x00\\x00"
                                      "\\x00\\x00\\x00\\x02xy'");
    ASSERT_EQ(exec("os.write(w, b'\\x00\\x00\\x01\\x00' + b'z' * 256)"), "");
    EXPECT_EQ(eval("len(m.recv(r))"), "256");
    ASSERT_EQ(exec("os.close(w)"), "");
    EXPECT_EQ(eval("m.recv(r)"), "EOFError");
    ASSERT_EQ(exec("os.close(r)"), "");
}

TEST_F(MultiprocessingTest, TruncatedAndCorruptMessages) {
    ASSERT_EQ(exec("r, w = os.pipe()\nos.write(w, b'\\x00\\x00\\x00\\x05abc')\nos.close(w)"), "");
    EXPECT_EQ(eval("m.recv(r)"), "OSError: got end of file during message");
    ASSERT_EQ(exec("os.close(r)\nr, w = os.pipe()\nos.write(w, b'\\x00\\x00')\nos.close(w)"), "");
    EXPECT_EQ(eval("m.recv(r)"), "OSError: got end of file during message");
    ASSERT_EQ(exec("os.close(r)\nr, w = os.pipe()\nos.write(w, b'\\x80\\x00\\x00\\x01')"), "");
    EXPECT_EQ(eval("m.recv(r)"), "OSError: bad message length");
    ASSERT_EQ(exec("os.write(w, b'\\x00\\x00\\x00\\x09123456789')"), "");
    EXPECT_EQ(eval("m.recv(r, 8)"), "OSError: bad message length");
    ASSERT_EQ(exec("os.close(r)\nos.close(w)"), "");
    EXPECT_EQ(eval("m.recv(-1)"), "OSError: handle is invalid");
    EXPECT_EQ(eval("m.send(1000, b'x')"), "OSError: [Errno 9] Bad file descriptor");
}

TEST_F(MultiprocessingTest, SendToClosedReaderIsBrokenPipeNotSigpipe) {
    ASSERT_EQ(exec("r, w = os.pipe()\nos.close(r)"), "");
    EXPECT_EQ(eval("m.send(w, b'x')"), "BrokenPipeError: [Errno 32] Broken pipe");
    ASSERT_EQ(exec("os.close(w)"), "");
}

TEST_F(MultiprocessingTest, PollAndWait) {
    ASSERT_EQ(exec("r, w = os.pipe()\nr2, w2 = os.pipe()"), "");
    EXPECT_EQ(eval("m.poll(r)"), "False");
    EXPECT_EQ(eval("m.poll(r, 0.01)"), "False");
    EXPECT_EQ(eval("m.wait([r, r2], 0)"), "[]");
    ASSERT_EQ(exec("m.send(w2, b'x')"), "");
    EXPECT_EQ(eval("m.poll(r2, None)"), "True");
    EXPECT_EQ(eval("m.wait([r, r2], None)"), "[1]");
    ASSERT_EQ(exec("os.close(w)"), "");
    EXPECT_EQ(eval("m.wait([r, r2])"), "[0, 1]");  // EOF counts as ready
    EXPECT_EQ(eval("m.poll(r, float('nan'))"), "ValueError: Invalid value NaN (not a number)");
    ASSERT_EQ(exec("os.close(r)\nos.close(r2)\nos.close(w2)"), "");
}

TEST_F(MultiprocessingTest, SocketpairIsDuplex) {
    ASSERT_EQ(exec("a, b = m.socketpair()\nm.send(a, b'ping')\nm.send(b, b'pong')"), "");
    EXPECT_EQ(eval("(m.recv(b), m.recv(a))"), "(b'ping', b'pong')");
    ASSERT_EQ(exec("os.close(a)\nos.close(b)"), "");
}

TEST_F(MultiprocessingTest, SemLockCountsAndErrors) {
    ASSERT_EQ(exec("s = m.SemLock(m.SEMAPHORE, 2, 2)"), "");
    EXPECT_EQ(eval("(s.kind, s.maxvalue, s._get_value(), s._count(), s.name)"), "(1, 2, 2, 0, None)");
    EXPECT_EQ(eval("(s.acquire(), s.acquire(), s.acquire(False), s.acquire(True, 0.01))"),
              "(True, True, False, False)");
    EXPECT_EQ(eval("(s._count(), s._is_zero(), s._is_mine())"), "(2, True, True)");
    ASSERT_EQ(exec("s.release()\ns.release()"), "");
    EXPECT_EQ(eval("s.release()"), "ValueError: semaphore or lock released too many times");
    ASSERT_EQ(exec("l = m.SemLock(m.SEMAPHORE, 1, 1)"), "");
    EXPECT_EQ(eval("l.release()"), "ValueError: semaphore or lock released too many times");
    ASSERT_EQ(exec("r = m.SemLock(m.RECURSIVE_MUTEX, 1, 1)"), "");
    EXPECT_EQ(eval("(r.acquire(), r.acquire(), r._count(), r._get_value())"), "(True, True, 2, 0)");
    ASSERT_EQ(exec("r.release()\nr.release()"), "");
    EXPECT_EQ(eval("r.release()"),
              "AssertionError: attempt to release recursive lock not owned by thread");
    ASSERT_EQ(exec("with r:\n    pass"), "");
    EXPECT_EQ(eval("r._get_value()"), "1");
    EXPECT_EQ(eval("m.SemLock(5, 1, 1)"), "ValueError: unrecognized kind");
    EXPECT_EQ(eval("m.SemLock(1, -1, 1)"), "OSError: [Errno 22] Invalid argument");
    EXPECT_EQ(eval("m.SemLock(1)"), "TypeError: SemLock() missing required argument 'value' (pos 2)");
    ASSERT_EQ(exec("r.acquire()\nr._after_fork()"), "");
    EXPECT_EQ(eval("(r._count(), r._is_mine())"), "(0, False)");
}

TEST_F(MultiprocessingTest, SharedScalarsAndArrays) {
    EXPECT_EQ(eval("m.RawValue('i', 7)"), "c_int(7)");
    EXPECT_EQ(eval("m.RawValue('b', 300).value"), "44");  // wraps like ctypes
    EXPECT_EQ(eval("m.RawValue('d', 2).value"), "2.0");
    EXPECT_EQ(eval("m.RawValue('c', b'x')"), "c_char(b'x')");
    EXPECT_EQ(eval("m.RawValue('z')"),
              "TypeError: bad typecode (must be b, B, h, H, i, I, l, L, q, Q, f, d or c), got 'z'");
    EXPECT_EQ(eval("m.RawValue('i', 1.5)"),
              "TypeError: 'float' object cannot be interpreted as an integer");
    ASSERT_EQ(exec("a = m.RawArray('h', [1, 2, 3, 4, 5])"), "");
    EXPECT_EQ(eval("(len(a), a[0], a[-1], a[1:4], a[::-2], list(a))"),
              "(5, 1, 5, [2, 3, 4], [5, 3, 1], [1, 2, 3, 4, 5])");
    ASSERT_EQ(exec("a[::2] = [7, 8, 9]\na[1] = 65537"), "");
    EXPECT_EQ(eval("a[:]"), "[7, 1, 8, 4, 9]");
    EXPECT_EQ(eval("a[5]"), "IndexError: invalid index");
    EXPECT_EQ(eval("a.__setitem__(slice(0, 2), [1])"),
              "ValueError: Can only assign sequence of same size");
    EXPECT_EQ(eval("m.RawArray('i', -1)"), "ValueError: Array length must be >= 0");
    ASSERT_EQ(exec("c = m.RawArray('c', b'hello')\nc.value = b'hi'"), "");
    EXPECT_EQ(eval("(c.value, c.raw, c[0:2])"), "(b'hi', b'hi\\x00lo', b'hi')");
    EXPECT_EQ(eval("m.RawArray('d', 3)[:]"), "[0.0, 0.0, 0.0]");
}

}  // namespace
}  // namespace toy
