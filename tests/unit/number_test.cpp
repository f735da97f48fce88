// number_test.cpp: int, bool and float: reprs, hashes, parsing, arithmetic edge cases and
// the format-spec mini-language. Expected values were obtained from CPython 3.11.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "runtime/abstract.h"
#include "runtime/errors.h"
#include "runtime/float.h"
#include "runtime/format.h"
#include "runtime/int.h"
#include "runtime/interpreter.h"
#include "runtime/str.h"

namespace toy {
namespace {

void ensure_interp() {
    static Interpreter* interp = nullptr;
    if (!interp) interp = new_interpreter();
}

// The str value of a Ref (or "<ExcType: msg>" when it failed).
std::string text(Ref r) {
    if (!r) {
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
    Ref s = str(r.get());
    if (!s) {
        clear_error();
        return "<str failed>";
    }
    return std::string(s.as<Str>()->view());
}

class NumberTest : public ::testing::Test {
protected:
    void SetUp() override { ensure_interp(); }
};

TEST_F(NumberTest, FloatRepr) {
    struct {
        double v;
        const char* want;
    } cases[] = {
        {0.1, "0.1"},
        {0.30000000000000004, "0.30000000000000004"},
        {1e+16, "1e+16"},
        {1000000000000000.0, "1000000000000000.0"},
        {1.2345678901234568e+17, "1.2345678901234568e+17"},
        {1e-05, "1e-05"},
        {0.0001, "0.0001"},
        {1.5e-07, "1.5e-07"},
        {5e-324, "5e-324"},
        {1.7976931348623157e+308, "1.7976931348623157e+308"},
        {9007199254740992.0, "9007199254740992.0"},
        {9.223372036854776e+18, "9.223372036854776e+18"},
        {-0.0, "-0.0"},
        {0.3333333333333333, "0.3333333333333333"},
        {100.0, "100.0"},
        {1e+22, "1e+22"},
        {1e+23, "1e+23"},
        {123.456, "123.456"},
        {2.5e-05, "2.5e-05"},
        {1234567890123456.8, "1234567890123456.8"},
        {INFINITY, "inf"},
        {-INFINITY, "-inf"},
        {NAN, "nan"},
    };
    for (auto& c : cases) EXPECT_EQ(float_repr(c.v), c.want) << c.want;
}

TEST_F(NumberTest, Hashes) {
    struct {
        double v;
        int64_t h;
    } fh[] = {
        {0.5, 1152921504606846976},  {1.5, 1152921504606846977},
        {2.5, 1152921504606846978},  {-2.5, -1152921504606846978},
        {1e+300, 1224995262755759164}, {2.305843009213694e+18, 1},
        {3.14, 322818021289917443},  {-1.0, -2},
        {1e-300, 482449582752280463}, {INFINITY, 314159},
    };
    for (auto& c : fh) EXPECT_EQ(double_hash(c.v), c.h) << c.v;
    struct {
        int64_t v, h;
    } ih[] = {
        {140737488355328LL, 140737488355328},
        {140737488355327LL, 140737488355327},
        {-140737488355328LL, -140737488355328},
        {2305843009213693951LL, 0},
        {2305843009213693952LL, 1},
        {9223372036854775807LL, 3},
        {INT64_MIN, -4},
        {-1, -2},
        {-2, -2},
        {4611686018427387904LL, 2},
    };
    for (auto& c : ih) EXPECT_EQ(int_hash(c.v), c.h) << c.v;
    // integral floats hash like ints
    EXPECT_EQ(double_hash(12345.0), int_hash(12345));
    EXPECT_EQ(double_hash(-7.0), int_hash(-7));
}

TEST_F(NumberTest, IntBoundaries) {
    const int64_t k47 = int64_t{1} << 47;
    EXPECT_EQ(text(int_add(k47 - 1, 1)), "140737488355328");
    EXPECT_EQ(text(int_sub(-k47, 1)), "-140737488355329");
    EXPECT_EQ(text(int_mul(k47, 2)), "281474976710656");
    EXPECT_EQ(text(int_add(INT64_MAX, 1)), "<OverflowError: integer overflow>");
    EXPECT_EQ(text(int_sub(INT64_MIN, 1)), "<OverflowError: integer overflow>");
    EXPECT_EQ(text(int_mul(int64_t{1} << 32, int64_t{1} << 31)), "<OverflowError: integer overflow>");
    EXPECT_EQ(text(int_floordiv(INT64_MIN, -1)), "<OverflowError: integer overflow>");
    EXPECT_EQ(text(int_mod(INT64_MIN, -1)), "0");
    EXPECT_EQ(text(int_pow(2, 62)), "4611686018427387904");
    EXPECT_EQ(text(int_pow(2, 63)), "<OverflowError: integer overflow>");
    EXPECT_EQ(text(int_pow(-2, 63)), "-9223372036854775808");
    EXPECT_EQ(text(int_pow(3, 39)), "4052555153018976267");
    EXPECT_EQ(text(int_pow(2, -2)), "0.25");
    EXPECT_EQ(text(int_pow(0, -1)),
              "<ZeroDivisionError: 0.0 cannot be raised to a negative power>");
    // small/boxed boundary round-trips
    Ref a = make_int(k47);
    ASSERT_TRUE(a);
    EXPECT_FALSE(a.get().is_small_int());
    Ref b = make_int(k47 - 1);
    EXPECT_TRUE(b.get().is_small_int());
    EXPECT_EQ(int_as_i64(a.get()), k47);
}

TEST_F(NumberTest, FloorDivModSigns) {
    EXPECT_EQ(text(int_floordiv(7, -2)), "-4");
    EXPECT_EQ(text(int_mod(7, -2)), "-1");
    EXPECT_EQ(text(int_floordiv(-7, 2)), "-4");
    EXPECT_EQ(text(int_mod(-7, 2)), "1");
    EXPECT_EQ(text(int_floordiv(1, 0)), "<ZeroDivisionError: integer division or modulo by zero>");
    EXPECT_EQ(text(int_mod(1, 0)), "<ZeroDivisionError: integer modulo by zero>");
    EXPECT_EQ(text(binary_op(BinOp::kMod, Value::from_double(-7.5), Value::small_int(2))), "0.5");
    EXPECT_EQ(text(binary_op(BinOp::kFloorDiv, Value::from_double(7.5), Value::from_double(-2))),
              "-4.0");
    EXPECT_EQ(text(binary_op(BinOp::kMod, Value::from_double(1), Value::from_double(0))),
              "<ZeroDivisionError: float modulo>");
    EXPECT_EQ(text(binary_op(BinOp::kTrueDiv, Value::small_int(1), Value::small_int(0))),
              "<ZeroDivisionError: division by zero>");
    EXPECT_EQ(text(binary_op(BinOp::kTrueDiv, Value::small_int(7), Value::small_int(2))), "3.5");
}

TEST_F(NumberTest, IntFromString) {
    EXPECT_EQ(text(int_from_string(" 12 ", 10)), "12");
    EXPECT_EQ(text(int_from_string("-1_000", 10)), "-1000");
    EXPECT_EQ(text(int_from_string("0x_ff", 0)), "255");
    EXPECT_EQ(text(int_from_string("ff", 16)), "255");
    EXPECT_EQ(text(int_from_string("0b101", 2)), "5");
    EXPECT_EQ(text(int_from_string("000", 0)), "0");
    EXPECT_EQ(text(int_from_string("010", 0)),
              "<ValueError: invalid literal for int() with base 0: '010'>");
    EXPECT_EQ(text(int_from_string("1__0", 10)),
              "<ValueError: invalid literal for int() with base 10: '1__0'>");
    EXPECT_EQ(text(int_from_string("x", 10)),
              "<ValueError: invalid literal for int() with base 10: 'x'>");
    EXPECT_EQ(text(int_from_string("9223372036854775807", 10)), "9223372036854775807");
    EXPECT_EQ(text(int_from_string("-9223372036854775808", 10)), "-9223372036854775808");
    EXPECT_EQ(text(int_from_string("9223372036854775808", 10)), "<OverflowError: integer overflow>");
}

TEST_F(NumberTest, FloatFromString) {
    EXPECT_EQ(text(float_from_string(" 1.5 ")), "1.5");
    EXPECT_EQ(text(float_from_string("1_0.5")), "10.5");
    EXPECT_EQ(text(float_from_string("-inf")), "-inf");
    EXPECT_EQ(text(float_from_string("Infinity")), "inf");
    EXPECT_EQ(text(float_from_string("nan")), "nan");
    EXPECT_EQ(text(float_from_string("1e500")), "inf");
    EXPECT_EQ(text(float_from_string(".5e-3")), "0.0005");
    EXPECT_EQ(text(float_from_string("x")), "<ValueError: could not convert string to float: 'x'>");
    EXPECT_EQ(text(float_from_string("1_")), "<ValueError: could not convert string to float: '1_'>");
}

TEST_F(NumberTest, IntDoubleCompare) {
    EXPECT_EQ(int_double_compare(9007199254740993LL, 9007199254740992.0), 1);
    EXPECT_EQ(int_double_compare(INT64_MAX, 9223372036854775808.0), -1);
    EXPECT_EQ(int_double_compare(3, 3.5), -1);
    EXPECT_EQ(int_double_compare(-3, -3.5), 1);
    EXPECT_EQ(int_double_compare(0, NAN), 2);
}

TEST_F(NumberTest, Round) {
    EXPECT_EQ(double_round(2.675, 2), 2.67);
    EXPECT_EQ(double_round(0.125, 2), 0.12);
    EXPECT_EQ(double_round(0.375, 2), 0.38);
    EXPECT_EQ(double_round(1234.5, -1), 1230.0);
    EXPECT_EQ(double_round(1250.0, -2), 1200.0);
    EXPECT_EQ(double_round(1350.0, -2), 1400.0);
    EXPECT_EQ(double_round(50.0, -2), 0.0);
    EXPECT_EQ(double_round(51.0, -2), 100.0);
}

TEST_F(NumberTest, FormatInt) {
    struct {
        int64_t v;
        const char* spec;
        const char* want;
    } cases[] = {
        {1234, "010,", "00,001,234"}, {1234, "09,", "0,001,234"}, {1234, "07,", "001,234"},
        {1234, "*=10,", "*****1,234"}, {1234, "012_b", "100_1101_0010"},
        {1234, "010_x", "0_0000_04d2"}, {1234, "+010,", "+0,001,234"}, {255, "#X", "0XFF"},
        {255, "#b", "0b11111111"}, {-255, "#o", "-0o377"}, {-255, "#010x", "-0x00000ff"},
        {97, "c", "a"}, {1000000, "n", "1000000"}, {1, "%", "100.000000%"},
        {2, ".2e", "2.00e+00"}, {5, "g", "5"}, {-5, " d", "-5"}, {5, " d", " 5"},
        {42, "^7", "  42   "}, {42, "<5", "42   "}, {INT64_MIN, "", "-9223372036854775808"},
        {1, "q", "<ValueError: Unknown format code 'q' for object of type 'int'>"},
        {1, ".2d", "<ValueError: Precision not allowed in integer format specifier>"},
        {1, ",x", "<ValueError: Cannot specify ',' with 'x'.>"},
        {1, "z", "<ValueError: Negative zero coercion (z) not allowed in integer format specifier>"},
        {3, "+c", "<ValueError: Sign not allowed with integer format specifier 'c'>"},
        {1, ",_", "<ValueError: Cannot specify both ',' and '_'.>"},
    };
    for (auto& c : cases) EXPECT_EQ(text(format_int(c.v, c.spec)), c.want) << c.spec;
}

TEST_F(NumberTest, FormatFloat) {
    struct {
        double v;
        const char* spec;
        const char* want;
    } cases[] = {
        {1234.5, "010", "00001234.5"}, {-0.0001, "010", "-0000.0001"}, {INFINITY, "010", "0000000inf"},
        {1e20, "010", "000001e+20"}, {-0.0001, "=10", "-   0.0001"}, {1234.5, "<010", "1234.50000"},
        {1234.5, "010.2f", "0001234.50"}, {1234.5, "+010.1e", "+001.2e+03"},
        {-0.0001, "z.1f", "0.0"}, {-0.0, "z.1f", "0.0"}, {1234.5, "010,.2f", "001,234.50"},
        {1e20, "010,.2f", "100,000,000,000,000,000,000.00"}, {1234.5, "#.3g", "1.23e+03"},
        {100.0, "#.3g", "100."}, {0.0, "#.3g", "0.00"}, {1234.5, ".3", "1.23e+03"},
        {100.0, ".3", "1e+02"}, {0.0, ".0", "0e+00"}, {1.0, ".3", "1.0"}, {100.0, "g", "100"},
        {-0.0, "g", "-0"}, {1.5e-7, "g", "1.5e-07"}, {1234.5, "#g", "1234.50"},
        {-0.0001, "#g", "-0.000100000"}, {1234.5, "%", "123450.000000%"}, {-0.0001, ".1%", "-0.0%"},
        {INFINITY, "E", "INF"}, {NAN, "F", "NAN"}, {1e20, "G", "1E+20"}, {1234.5, "#.0f", "1234."},
        {1234.5, "#.0e", "1.e+03"}, {1234.5, "_f", "1_234.500000"}, {1234.5, ",g", "1,234.5"},
        {-0.0, "010.2g", "-000000000"}, {1234.5, "^12,.2f", "  1,234.50  "}, {0.125, ".2f", "0.12"},
        {0.375, ".2f", "0.38"}, {2.675, ".2f", "2.67"}, {1e16, "", "1e+16"}, {1.5, "", "1.5"},
        {12345.678, ",.2f", "12,345.68"}, {-1e-10, "z.3f", "0.000"}, {-0.0, "zg", "0"},
        {1.5, "c", "<ValueError: Unknown format code 'c' for object of type 'float'>"},
        {1.5, "_n", "<ValueError: Cannot specify '_' with 'n'.>"},
        {1.5, "ds", "<ValueError: Invalid format specifier 'ds' for object of type 'float'>"},
    };
    for (auto& c : cases) EXPECT_EQ(text(format_float(c.v, c.spec)), c.want) << c.spec << " " << c.v;
}

}  // namespace
}  // namespace toy
