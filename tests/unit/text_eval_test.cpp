// text_eval_test.cpp: number and text behaviour checked through Toy code (compile + eval in a
// fresh interpreter), for what is easiest to express in Toy. Expected values from CPython 3.11.
#include <gtest/gtest.h>

#include <string>

#include "interp/compiler.h"
#include "interp/vm.h"
#include "runtime/abstract.h"
#include "runtime/bytes.h"
#include "runtime/dict.h"
#include "runtime/errors.h"
#include "runtime/interpreter.h"
#include "runtime/module.h"
#include "runtime/str.h"
#include "stdlib/registry.h"

namespace toy {
namespace {

class TextEval : public ::testing::Test {
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
        // bytearray may not be a builtin yet: make it visible to the tests.
        ASSERT_TRUE(dict_set_str(main_->dict, intern("bytearray"), Value::object(&bytearray_type)));
    }
    void TearDown() override {
        main_ = nullptr;
        clear_error();
        delete_interpreter(interp_);
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
    std::string exec(std::string_view src) {
        Ref r = exec_module_source(main_.get(), src, "<test>");
        if (r) return "";
        return take_error();
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

TEST_F(TextEval, ByteArray) {
    ASSERT_EQ(exec("b = bytearray(b'hello')\n"
                   "b[0] = 72; b += b'!'; b.append(63); b.extend([33, 34]); b.insert(0, 95)\n"),
              "");
    EXPECT_EQ(eval("b"), "bytearray(b'_Hello!?!\"')");
    EXPECT_EQ(eval("(len(b), b[1], b[1:3], b.pop(), b.find(b'l'), b.upper())"),
              "(10, 72, bytearray(b'He'), 34, 3, bytearray(b'_HELLO!?!'))");
    EXPECT_EQ(eval("(b == b'_Hello!?!', bytes(b), b'x' + b, b.split(b'l'))"),
              "(True, b'_Hello!?!', b'x_Hello!?!', [bytearray(b'_He'), bytearray(b''), "
              "bytearray(b'o!?!')])");
    ASSERT_EQ(exec("b[1:3] = b'XYZ'; del b[0]"), "");
    EXPECT_EQ(eval("b"), "bytearray(b'XYZllo!?!')");
    ASSERT_EQ(exec("b[::2] = b'abcde'"), "");
    EXPECT_EQ(eval("b"), "bytearray(b'aYblcod?e')");
    ASSERT_EQ(exec("del b[::2]"), "");
    EXPECT_EQ(eval("(b, list(b), 89 in b, b.hex())"),
              "(bytearray(b'Ylo?'), [89, 108, 111, 63], True, '596c6f3f')");
    EXPECT_EQ(eval("(bytearray(), bytearray(3), bytearray('é', 'utf-8'), bytearray.fromhex('4142'))"),
              "(bytearray(b''), bytearray(b'\\x00\\x00\\x00'), bytearray(b'\\xc3\\xa9'), "
              "bytearray(b'AB'))");
    EXPECT_EQ(eval("hash(b)"), "TypeError: unhashable type: 'bytearray'");
    EXPECT_EQ(eval("b.append(256)"), "ValueError: byte must be in range(0, 256)");
    EXPECT_EQ(eval("bytearray().pop()"), "IndexError: pop from empty bytearray");
    EXPECT_EQ(eval("b.remove(0)"), "ValueError: value not found in bytearray");
    EXPECT_EQ(exec("b[1:2] = 5"),
              "TypeError: can assign only bytes, buffers, or iterables of ints in range(0, 256)");
    ASSERT_EQ(exec("b2 = bytearray(b'ab'); b2 *= 3"), "");
    EXPECT_EQ(eval("(b2, bytearray(b'%d-%s') % (5, b'x'), b + 'x' if False else b * 2)"),
              "(bytearray(b'ababab'), bytearray(b'5-x'), bytearray(b'Ylo?Ylo?'))");
    EXPECT_EQ(eval("b + 'x'"), "TypeError: can't concat str to bytearray");
    EXPECT_EQ(eval("b'x'.decode() + bytearray(b'yz').decode()"), "'xyz'");
}

TEST_F(TextEval, SubclassesAndFormat) {
    ASSERT_EQ(exec("class S(str):\n"
                   "    def shout(self): return self.upper() + '!'\n"
                   "class I(int):\n"
                   "    def double(self): return self * 2\n"
                   "class F(float): pass\n"
                   "class Fmt:\n"
                   "    def __format__(self, spec): return '<' + spec + '>'\n"),
              "");
    EXPECT_EQ(eval("(S('hi').shout(), type(S('hi') + 'x').__name__, S('hi') == 'hi', {S('hi'): 1}['hi'])"),
              "('HI!', 'str', True, 1)");
    EXPECT_EQ(eval("(I(21).double(), I('5', 8), type(I(3)).__name__, -I(4))"), "(42, 5, 'I', -4)");
    EXPECT_EQ(eval("(F(2.5) * 2, repr(F(1.5)), type(F(1.0)).__name__, int(F(2.7)))"),
              "(5.0, '1.5', 'F', 2)");
    EXPECT_EQ(eval("(format(Fmt(), 'abc'), '{:xyz}'.format(Fmt()), f'{Fmt():{1+1}d}')"),
              "('<abc>', '<xyz>', '<2d>')");
    EXPECT_EQ(eval("(format(True, ''), format(True, 'd'), f'{True:>5}', format(2.0))"),
              "('True', '1', '    1', '2.0')");
    EXPECT_EQ(eval("(1 == 1.0, 2**53 + 1 == 2.0**53, (3).__lt__(1.5), 3 > 2.5, hash(1.0) == hash(1))"),
              "(True, False, NotImplemented, True, True)");
}

}  // namespace
}  // namespace toy
