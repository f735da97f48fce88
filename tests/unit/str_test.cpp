// str_test.cpp: str construction, interning, repr, hashing, slots, the named methods,
// str.format and printf-style formatting, and bytes. Expected values from CPython 3.11.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "runtime/abstract.h"
#include "runtime/bytes.h"
#include "runtime/errors.h"
#include "runtime/format.h"
#include "runtime/int.h"
#include "runtime/interpreter.h"
#include "runtime/list.h"
#include "runtime/misc_types.h"
#include "runtime/str.h"
#include "runtime/tuple.h"

namespace toy {
namespace {

void ensure_interp() {
    static Interpreter* interp = nullptr;
    if (!interp) interp = new_interpreter();
}

std::string err_text() {
    Ref e = fetch_error();
    std::string out = "<";
    out += type_name(e.get());
    Ref s = str(e.get());
    if (s) {
        out += ": ";
        out += s.as<Str>()->view();
    } else {
        clear_error();
    }
    return out + ">";
}

// repr() of the result, or "<Exc: msg>".
std::string rep(Ref r) {
    if (!r) return err_text();
    Ref s = repr(r.get());
    if (!s) return err_text();
    return std::string(s.as<Str>()->view());
}

Ref S(std::string_view s) { return new_str(s); }

// Calls method `name` of a str built from `self` with positional args.
Ref m(std::string_view self, const char* name, std::initializer_list<Value> args = {}) {
    Ref s = S(self);
    return call_method(s.get(), intern(name), args);
}

class StrTest : public ::testing::Test {
protected:
    void SetUp() override { ensure_interp(); }
};

TEST_F(StrTest, Construction) {
    RefT<Str> a = new_str("héllo");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->length, 5);
    EXPECT_EQ(a->nbytes, 6);
    EXPECT_FALSE(a->ascii);
    RefT<Str> b = new_str("hello");
    EXPECT_TRUE(b->ascii);
    EXPECT_EQ(b->length, 5);
    EXPECT_EQ(new_str("").get(), empty_str());
    EXPECT_EQ(new_str("a").get(), new_str("a").get());  // cached one-char strings
}

TEST_F(StrTest, Intern) {
    Str* a = intern("some_identifier");
    Str* b = intern("some_identifier");
    EXPECT_EQ(a, b);
    EXPECT_TRUE(a->interned);
    EXPECT_TRUE(a->immortal());
    RefT<Str> c = new_str("some_identifier");
    EXPECT_NE(c.get(), a);
    EXPECT_TRUE(str_eq(a, c.get()));
    EXPECT_EQ(intern_str(c.get()), a);
    EXPECT_EQ(str_hash(a), str_hash(c.get()));
    EXPECT_NE(str_hash(a), -1);
}

TEST_F(StrTest, Repr) {
    EXPECT_EQ(rep(S("it's")), "\"it's\"");
    EXPECT_EQ(rep(S("a\"b'c")), "'a\"b\\'c'");
    EXPECT_EQ(rep(S(std::string_view("\x00\x7f\n\t\\", 5))), "'\\x00\\x7f\\n\\t\\\\'");
    EXPECT_EQ(rep(S("é\u0080\u00a0\u2028😀")), "'é\\x80\\xa0\\u2028😀'");
}

TEST_F(StrTest, Slots) {
    EXPECT_EQ(rep(binary_op(BinOp::kAdd, S("ab").get(), S("cé").get())), "'abcé'");
    EXPECT_EQ(rep(binary_op(BinOp::kAdd, S("a").get(), Value::small_int(1))),
              "<TypeError: can only concatenate str (not \"int\") to str>");
    EXPECT_EQ(rep(binary_op(BinOp::kMul, S("ab").get(), Value::small_int(3))), "'ababab'");
    EXPECT_EQ(rep(binary_op(BinOp::kMul, Value::small_int(2), S("é").get())), "'éé'");
    EXPECT_EQ(rep(binary_op(BinOp::kMul, S("a").get(), Value::from_double(2.0))),
              "<TypeError: can't multiply sequence by non-int of type 'float'>");
    EXPECT_EQ(rep(binary_op(BinOp::kMul, S("ab").get(), Value::small_int(-1))), "''");
    EXPECT_EQ(rep(binary_op(BinOp::kMul, S("ab").get(), make_int(INT64_MAX).get())),
              "<OverflowError: repeated string is too long>");
    EXPECT_EQ(compare_bool(S("abc").get(), S("abd").get(), CmpOp::kLt), 1);
    EXPECT_EQ(compare_bool(S("é").get(), S("z").get(), CmpOp::kGt), 1);
    EXPECT_EQ(contains(S("hello").get(), S("ell").get()), 1);
    EXPECT_EQ(length(S("aé😀").get()), 3);
}

TEST_F(StrTest, Indexing) {
    Ref s = S("aébcd");
    EXPECT_EQ(rep(getitem(s.get(), Value::small_int(1))), "'é'");
    EXPECT_EQ(rep(getitem(s.get(), Value::small_int(-1))), "'d'");
    EXPECT_EQ(rep(getitem(s.get(), Value::small_int(5))), "<IndexError: string index out of range>");
    Ref sl = new_slice(Value::small_int(1), Value::small_int(3), Value::none());
    EXPECT_EQ(rep(getitem(s.get(), sl.get())), "'éb'");
    Ref rev = new_slice(Value::none(), Value::none(), Value::small_int(-1));
    EXPECT_EQ(rep(getitem(s.get(), rev.get())), "'dcbéa'");
    Ref two = new_slice(Value::none(), Value::none(), Value::small_int(2));
    EXPECT_EQ(rep(getitem(s.get(), two.get())), "'abd'");
    EXPECT_EQ(rep(getitem(s.get(), Value::from_double(1.0))),
              "<TypeError: string indices must be integers, not 'float'>");
}

TEST_F(StrTest, SplitJoin) {
    EXPECT_EQ(rep(m("a,b,,c", "split", {S(",").get()})), "['a', 'b', '', 'c']");
    EXPECT_EQ(rep(m(" a  b ", "split")), "['a', 'b']");
    EXPECT_EQ(rep(m("a b c", "split", {Value::none(), Value::small_int(1)})), "['a', 'b c']");
    EXPECT_EQ(rep(m("a b c", "rsplit", {Value::none(), Value::small_int(1)})), "['a b', 'c']");
    EXPECT_EQ(rep(m("  a b  ", "split", {Value::none(), Value::small_int(0)})), "['a b  ']");
    EXPECT_EQ(rep(m("  a b  ", "rsplit", {Value::none(), Value::small_int(0)})), "['  a b']");
    EXPECT_EQ(rep(m("a", "split", {S("").get()})), "<ValueError: empty separator>");
    EXPECT_EQ(rep(m("a\x0b" "b\x0c" "c\x1c" "d\u0085e\u2028f\r\ng", "splitlines")),
              "['a', 'b', 'c', 'd', 'e', 'f', 'g']");
    EXPECT_EQ(rep(m("a\nb\r\n", "splitlines", {Value::boolean(true)})), "['a\\n', 'b\\r\\n']");
    RefT<List> l = new_list();
    list_append(l.get(), S("x").get());
    list_append(l.get(), S("é").get());
    EXPECT_EQ(rep(m("-", "join", {l.value()})), "'x-é'");
    list_append(l.get(), Value::small_int(1));
    EXPECT_EQ(rep(m("-", "join", {l.value()})),
              "<TypeError: sequence item 2: expected str instance, int found>");
}

TEST_F(StrTest, Methods) {
    EXPECT_EQ(rep(m("  xx  ", "strip")), "'xx'");
    EXPECT_EQ(rep(m("xxhixx", "strip", {S("x").get()})), "'hi'");
    EXPECT_EQ(rep(m("éaé", "lstrip", {S("é").get()})), "'aé'");
    EXPECT_EQ(rep(m("abcé", "find", {S("é").get()})), "3");
    EXPECT_EQ(rep(m("éabc", "find", {S("b").get()})), "2");
    EXPECT_EQ(rep(m("aéaéa", "count", {S("é").get()})), "2");
    EXPECT_EQ(rep(m("abc", "count", {S("").get()})), "4");
    EXPECT_EQ(rep(m("a", "index", {S("b").get()})), "<ValueError: substring not found>");
    EXPECT_EQ(rep(m("abcabc", "rfind", {S("b").get()})), "4");
    EXPECT_EQ(rep(m("hello", "startswith", {S("he").get()})), "True");
    Ref tup = RefT<Tuple>(new_tuple_of({S("x").get(), S("lo").get()}));
    EXPECT_EQ(rep(m("hello", "endswith", {tup.get()})), "True");
    EXPECT_EQ(rep(m("a", "startswith", {Value::small_int(1)})),
              "<TypeError: startswith first arg must be str or a tuple of str, not int>");
    EXPECT_EQ(rep(m("aaa", "replace", {S("a").get(), S("b").get(), Value::small_int(2)})), "'bba'");
    EXPECT_EQ(rep(m("ab", "replace", {S("").get(), S("-").get()})), "'-a-b-'");
    EXPECT_EQ(rep(m("Straße", "upper")), "'STRASSE'");
    EXPECT_EQ(rep(m("ΑΒΓ", "lower")), "'αβγ'");
    EXPECT_EQ(rep(m("hello world's 1st", "title")), "\"Hello World'S 1St\"");
    EXPECT_EQ(rep(m("éa", "capitalize")), "'Éa'");
    EXPECT_EQ(rep(m("aBc", "swapcase")), "'AbC'");
    EXPECT_EQ(rep(m("123", "isdigit")), "True");
    EXPECT_EQ(rep(m("", "isdigit")), "False");
    EXPECT_EQ(rep(m("abc_1", "isidentifier")), "True");
    EXPECT_EQ(rep(m("1abc", "isidentifier")), "False");
    EXPECT_EQ(rep(m("Hello World", "istitle")), "True");
    EXPECT_EQ(rep(m("ab", "center", {Value::small_int(5)})), "'  ab '");
    EXPECT_EQ(rep(m("abc", "center", {Value::small_int(6)})), "' abc  '");
    EXPECT_EQ(rep(m("x", "center", {Value::small_int(4), S("é").get()})), "'éxéé'");
    EXPECT_EQ(rep(m("abc", "center", {Value::small_int(5), S("ab").get()})),
              "<TypeError: The fill character must be exactly one character long>");
    EXPECT_EQ(rep(m("-42", "zfill", {Value::small_int(6)})), "'-00042'");
    EXPECT_EQ(rep(m("a\tbc", "expandtabs", {Value::small_int(4)})), "'a   bc'");
    EXPECT_EQ(rep(m("a=b=c", "partition", {S("=").get()})), "('a', '=', 'b=c')");
    EXPECT_EQ(rep(m("a=b=c", "rpartition", {S("=").get()})), "('a=b', '=', 'c')");
    EXPECT_EQ(rep(m("abc", "rpartition", {S("=").get()})), "('', '', 'abc')");
    EXPECT_EQ(rep(m("prefix_x", "removeprefix", {S("prefix_").get()})), "'x'");
    EXPECT_EQ(rep(m("é", "encode")), "b'\\xc3\\xa9'");
    EXPECT_EQ(rep(m("é", "encode", {S("ascii").get()})),
              "<UnicodeEncodeError: 'ascii' codec can't encode character '\\xe9' in position 0: "
              "ordinal not in range(128)>");
    EXPECT_EQ(rep(m("x", "encode", {S("foo").get()})), "<LookupError: unknown encoding: foo>");
}

TEST_F(StrTest, Format) {
    Value args[] = {Value::small_int(1), Value::null()};
    Ref x = S("x");
    args[1] = x.get();
    RefT<Str> f = new_str("{0}-{1}|{}");
    EXPECT_EQ(rep(str_format(f.get(), CallArgs{args, 2, nullptr})),
              "<ValueError: cannot switch from manual field specification to automatic field "
              "numbering>");
    f = new_str("{0}-{1!r:>4}|{{}}");
    EXPECT_EQ(rep(str_format(f.get(), CallArgs{args, 2, nullptr})), "\"1- 'x'|{}\"");
    f = new_str("{2}");
    EXPECT_EQ(rep(str_format(f.get(), CallArgs{args, 2, nullptr})),
              "<IndexError: Replacement index 2 out of range for positional args tuple>");
    f = new_str("{:{}}|");
    Value a2[] = {Value::small_int(7), Value::small_int(3)};
    EXPECT_EQ(rep(str_format(f.get(), CallArgs{a2, 2, nullptr})), "'  7|'");
    f = new_str("}");
    EXPECT_EQ(rep(str_format(f.get(), CallArgs{a2, 2, nullptr})),
              "<ValueError: Single '}' encountered in format string>");
    f = new_str("{0.real}");
    EXPECT_EQ(rep(str_format(f.get(), CallArgs{a2, 2, nullptr})), "'7'");
    EXPECT_EQ(rep(format_str(f.get(), "x<12.3")), "'{0.xxxxxxxxx'");
}

TEST_F(StrTest, Percent) {
    auto pct = [](const char* fmt, std::initializer_list<Value> items) {
        RefT<Str> f = new_str(fmt);
        RefT<Tuple> t = new_tuple_of(items);
        return rep(str_percent_format(f.get(), t.value()));
    };
    Ref a = S("a");
    EXPECT_EQ(pct("%5.2f|%-5d|%05d|%x|%#o|%c|%r|%s|%%|%+d|% d",
                  {Value::from_double(3.14159), Value::small_int(42), Value::small_int(-42),
                   Value::small_int(255), Value::small_int(8), Value::small_int(65), a.get(),
                   Value::none(), Value::small_int(5), Value::small_int(5)}),
              "\" 3.14|42   |-0042|ff|0o10|A|'a'|None|%|+5| 5\"");
    EXPECT_EQ(pct("%*d|%-*d|", {Value::small_int(5), Value::small_int(1), Value::small_int(4),
                                Value::small_int(1)}),
              "'    1|1   |'");
    EXPECT_EQ(pct("%e|%g|%10.4g|", {Value::from_double(12345.678), Value::from_double(0.00001234),
                                    Value::from_double(3.14159)}),
              "'1.234568e+04|1.234e-05|     3.142|'");
    EXPECT_EQ(pct("%d %d", {Value::small_int(1)}),
              "<TypeError: not enough arguments for format string>");
    EXPECT_EQ(pct("%d", {Value::small_int(1), Value::small_int(2)}),
              "<TypeError: not all arguments converted during string formatting>");
    EXPECT_EQ(pct("%d", {a.get()}), "<TypeError: %d format: a real number is required, not str>");
    EXPECT_EQ(pct("%z", {a.get()}), "<ValueError: unsupported format character 'z' (0x7a) at index 1>");
    RefT<Str> f = new_str("%s");
    EXPECT_EQ(rep(str_percent_format(f.get(), Value::small_int(3))), "'3'");
    f = new_str("abc");
    EXPECT_EQ(rep(str_percent_format(f.get(), Value::small_int(3))),
              "<TypeError: not all arguments converted during string formatting>");
}

TEST_F(StrTest, Bytes) {
    EXPECT_EQ(rep(new_bytes(std::string_view("a'\x00\xff", 4))), "b\"a'\\x00\\xff\"");
    EXPECT_EQ(rep(bytes_decode("\xff", "utf-8", "strict")),
              "<UnicodeDecodeError: 'utf-8' codec can't decode byte 0xff in position 0: invalid "
              "start byte>");
    EXPECT_EQ(rep(bytes_decode("a\xe4\xb8", "utf-8", "strict")),
              "<UnicodeDecodeError: 'utf-8' codec can't decode bytes in position 1-2: unexpected "
              "end of data>");
    EXPECT_EQ(rep(bytes_decode("a\xff", "utf-8", "replace")), "'a\xEF\xBF\xBD'");  // printable
    EXPECT_EQ(rep(bytes_decode("\xe9", "latin-1", "strict")), "'é'");
    Ref b = new_bytes("hello");
    EXPECT_EQ(rep(getitem(b.get(), Value::small_int(1))), "101");
    EXPECT_EQ(rep(getitem(b.get(), Value::small_int(9))), "<IndexError: index out of range>");
    EXPECT_EQ(rep(binary_op(BinOp::kAdd, b.get(), S("x").get())),
              "<TypeError: can't concat str to bytes>");
    EXPECT_EQ(rep(call_method(b.get(), intern("hex"), {})), "'68656c6c6f'");
    EXPECT_EQ(rep(call_method(b.get(), intern("split"), {new_bytes("l").value()})),
              "[b'he', b'', b'o']");
}

}  // namespace
}  // namespace toy
