// containers_test.cpp: tuple, list, dict, set/frozenset, range and the iterator types.
// Expected values (reprs, hashes, set orders, messages) were produced by python3 (3.11).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "runtime/abstract.h"
#include "runtime/dict.h"
#include "runtime/errors.h"
#include "runtime/int.h"
#include "runtime/interpreter.h"
#include "runtime/iterators.h"
#include "runtime/list.h"
#include "runtime/misc_types.h"
#include "runtime/range.h"
#include "runtime/set.h"
#include "runtime/str.h"
#include "runtime/thread_state.h"
#include "runtime/tuple.h"

using namespace toy;

namespace {

class Containers : public ::testing::Test {
protected:
    void SetUp() override { interp_ = new_interpreter(); }
    void TearDown() override {
        clear_error();
        delete_interpreter(interp_);
    }
    Interpreter* interp_ = nullptr;
};

// "TypeName: message" of the pending exception (cleared), or "" when none.
std::string err() {
    Ref e = fetch_error();
    if (!e) return "";
    std::string out(type_name(*e));
    Ref s = str(*e);
    if (s) {
        out += ": ";
        out += s.as<Str>()->view();
    } else {
        clear_error();
    }
    return out;
}

std::string R(Value v) {
    Ref r = repr(v);
    if (!r) return "<error " + err() + ">";
    return std::string(r.as<Str>()->view());
}
std::string R(const Ref& v) {
    if (!v) return "<null " + err() + ">";
    return R(*v);
}

Ref I(int64_t i) { return make_int(i); }
Ref S(std::string_view s) { return new_str(s); }

Ref ints_list(std::initializer_list<int64_t> xs) {
    RefT<List> l = new_list();
    for (int64_t x : xs) EXPECT_TRUE(list_append_steal(l.get(), I(x).release()));
    return l;
}
Ref ints_tuple(std::initializer_list<int64_t> xs) {
    RefT<Tuple> t = new_tuple(static_cast<int64_t>(xs.size()));
    int64_t i = 0;
    for (int64_t x : xs) t->items[i++] = I(x).release();
    return t;
}

Ref M(Value self, const char* name, std::initializer_list<Value> args = {}) {
    return call_method(self, intern(name), args);
}
Ref T(Type* t, std::initializer_list<Value> args = {}) { return call(Value::object(t), args); }

Ref range_of(int64_t a, int64_t b, int64_t c = 1) { return new_range(a, b, c); }
Ref set_of_range(int64_t a, int64_t b, int64_t c = 1) {
    Ref r = range_of(a, b, c);
    return T(&set_type, {*r});
}

// ---- tuple ---------------------------------------------------------------------------------

TEST_F(Containers, TupleRepr) {
    EXPECT_EQ(R(Value::object(empty_tuple())), "()");
    EXPECT_EQ(R(ints_tuple({1})), "(1,)");
    EXPECT_EQ(R(ints_tuple({1, 2})), "(1, 2)");
    Ref s = S("a");
    Ref t = new_tuple_of({*s, Value::none()});
    EXPECT_EQ(R(t), "('a', None)");
}

TEST_F(Containers, TupleHashMatchesCPython) {
    int64_t h;
    ASSERT_TRUE(hash(Value::object(empty_tuple()), &h));
    EXPECT_EQ(h, 5740354900026072187);
    Ref t1 = ints_tuple({1});
    ASSERT_TRUE(hash(*t1, &h));
    EXPECT_EQ(h, -6644214454873602895);
    Ref t2 = ints_tuple({1, 2});
    ASSERT_TRUE(hash(*t2, &h));
    EXPECT_EQ(h, -3550055125485641917);
    Ref l = ints_list({1});
    Ref bad = new_tuple_of({*l});
    EXPECT_FALSE(hash(*bad, &h));
    EXPECT_EQ(err(), "TypeError: unhashable type: 'list'");
}

TEST_F(Containers, TupleOps) {
    Ref a = ints_tuple({1, 2, 3});
    Ref b = ints_tuple({1, 2, 4});
    EXPECT_EQ(compare_bool(*a, *b, CmpOp::kLt), 1);
    EXPECT_EQ(compare_bool(*a, *a, CmpOp::kEq), 1);
    Ref c = ints_tuple({1, 2});
    EXPECT_EQ(compare_bool(*c, *a, CmpOp::kLt), 1);
    EXPECT_EQ(R(binary_op(BinOp::kAdd, *a, *c)), "(1, 2, 3, 1, 2)");
    Ref two = I(2);
    EXPECT_EQ(R(binary_op(BinOp::kMul, *c, *two)), "(1, 2, 1, 2)");
    EXPECT_EQ(R(binary_op(BinOp::kMul, *two, *c)), "(1, 2, 1, 2)");
    Ref l = ints_list({1});
    EXPECT_FALSE(binary_op(BinOp::kAdd, *a, *l));
    EXPECT_EQ(err(), "TypeError: can only concatenate tuple (not \"list\") to tuple");
    Ref m1 = I(-1);
    EXPECT_EQ(R(getitem(*a, *m1)), "3");
    Ref five = I(5);
    EXPECT_FALSE(getitem(*a, *five));
    EXPECT_EQ(err(), "IndexError: tuple index out of range");
    Ref sl = new_slice(Value::none(), Value::none(), Value::small_int(-2));
    EXPECT_EQ(R(getitem(*a, *sl)), "(3, 1)");
    EXPECT_EQ(contains(*a, Value::small_int(3)), 1);
    EXPECT_EQ(contains(*a, Value::small_int(7)), 0);
    EXPECT_EQ(R(M(*a, "index", {Value::small_int(2)})), "1");
    EXPECT_FALSE(M(*a, "index", {Value::small_int(9)}));
    EXPECT_EQ(err(), "ValueError: tuple.index(x): x not in tuple");
    EXPECT_EQ(R(M(*a, "count", {Value::small_int(2)})), "1");
    Ref lst = ints_list({4, 5});
    EXPECT_EQ(R(T(&tuple_type, {*lst})), "(4, 5)");
    EXPECT_TRUE(T(&tuple_type, {*a}).get().is(*a));  // tuple(t) is t
}

// ---- list ----------------------------------------------------------------------------------

TEST_F(Containers, ListBasics) {
    Ref l = ints_list({1, 2, 3});
    EXPECT_EQ(R(l), "[1, 2, 3]");
    EXPECT_TRUE(M(*l, "append", {Value::small_int(4)}));
    EXPECT_TRUE(M(*l, "insert", {Value::small_int(0), Value::small_int(0)}));
    EXPECT_TRUE(M(*l, "insert", {Value::small_int(-1), Value::small_int(9)}));
    EXPECT_EQ(R(l), "[0, 1, 2, 3, 9, 4]");
    EXPECT_EQ(R(M(*l, "pop")), "4");
    EXPECT_EQ(R(M(*l, "pop", {Value::small_int(0)})), "0");
    EXPECT_TRUE(M(*l, "remove", {Value::small_int(9)}));
    EXPECT_EQ(R(l), "[1, 2, 3]");
    EXPECT_FALSE(M(*l, "remove", {Value::small_int(9)}));
    EXPECT_EQ(err(), "ValueError: list.remove(x): x not in list");
    EXPECT_FALSE(M(*l, "index", {Value::small_int(5)}));
    EXPECT_EQ(err(), "ValueError: 5 is not in list");
    EXPECT_FALSE(M(*l, "pop", {Value::small_int(10)}));
    EXPECT_EQ(err(), "IndexError: pop index out of range");
    Ref e = ints_list({});
    EXPECT_FALSE(M(*e, "pop"));
    EXPECT_EQ(err(), "IndexError: pop from empty list");
    EXPECT_FALSE(M(*l, "insert", {Value::small_int(1)}));
    EXPECT_EQ(err(), "TypeError: insert expected 2 arguments, got 1");
    EXPECT_FALSE(M(*l, "append"));
    EXPECT_EQ(err(), "TypeError: list.append() takes exactly one argument (0 given)");
    EXPECT_TRUE(M(*l, "reverse"));
    EXPECT_EQ(R(l), "[3, 2, 1]");
    EXPECT_EQ(R(M(*l, "copy")), "[3, 2, 1]");
    EXPECT_TRUE(M(*l, "clear"));
    EXPECT_EQ(R(l), "[]");
}

TEST_F(Containers, ListIndexing) {
    Ref l = ints_list({0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
    EXPECT_EQ(R(getitem(*l, Value::small_int(-1))), "9");
    EXPECT_FALSE(getitem(*l, Value::small_int(10)));
    EXPECT_EQ(err(), "IndexError: list index out of range");
    EXPECT_FALSE(setitem(*l, Value::small_int(10), Value::none()));
    EXPECT_EQ(err(), "IndexError: list assignment index out of range");
    Ref s = S("a");
    EXPECT_FALSE(getitem(*l, *s));
    EXPECT_EQ(err(), "TypeError: list indices must be integers or slices, not str");
    Ref sl = new_slice(Value::small_int(1), Value::small_int(8), Value::small_int(3));
    EXPECT_EQ(R(getitem(*l, *sl)), "[1, 4, 7]");
    Ref rev = new_slice(Value::none(), Value::none(), Value::small_int(-1));
    EXPECT_EQ(R(getitem(*l, *rev)), "[9, 8, 7, 6, 5, 4, 3, 2, 1, 0]");
    // Extended slice assignment and its size check.
    Ref abc = ints_list({100, 200, 300});
    EXPECT_TRUE(setitem(*l, *sl, *abc));
    EXPECT_EQ(R(l), "[0, 100, 2, 3, 200, 5, 6, 300, 8, 9]");
    Ref two = ints_list({1, 2});
    EXPECT_FALSE(setitem(*l, *sl, *two));
    EXPECT_EQ(err(), "ValueError: attempt to assign sequence of size 2 to extended slice of size 3");
    // Plain slice assignment grows and shrinks.
    Ref s13 = new_slice(Value::small_int(1), Value::small_int(3), Value::none());
    Ref many = ints_list({7, 7, 7, 7});
    EXPECT_TRUE(setitem(*l, *s13, *many));
    EXPECT_EQ(R(l), "[0, 7, 7, 7, 7, 3, 200, 5, 6, 300, 8, 9]");
    EXPECT_TRUE(delitem(*l, *s13));
    EXPECT_EQ(R(l), "[0, 7, 7, 3, 200, 5, 6, 300, 8, 9]");
    Ref step2 = new_slice(Value::none(), Value::none(), Value::small_int(2));
    EXPECT_TRUE(delitem(*l, *step2));
    EXPECT_EQ(R(l), "[7, 3, 5, 300, 9]");
    Ref back2 = new_slice(Value::none(), Value::none(), Value::small_int(-2));
    EXPECT_TRUE(delitem(*l, *back2));
    EXPECT_EQ(R(l), "[3, 300]");
    EXPECT_FALSE(setitem(*l, *s13, Value::small_int(5)));
    EXPECT_EQ(err(), "TypeError: can only assign an iterable");
    // a[:] = a
    Ref all = new_slice(Value::none(), Value::none(), Value::none());
    EXPECT_TRUE(setitem(*l, *all, *l));
    EXPECT_EQ(R(l), "[3, 300]");
    EXPECT_TRUE(delitem(*l, Value::small_int(0)));
    EXPECT_EQ(R(l), "[300]");
}

TEST_F(Containers, ListOperators) {
    Ref a = ints_list({1, 2});
    Ref b = ints_list({3});
    EXPECT_EQ(R(binary_op(BinOp::kAdd, *a, *b)), "[1, 2, 3]");
    EXPECT_EQ(R(binary_op(BinOp::kMul, *a, Value::small_int(2))), "[1, 2, 1, 2]");
    EXPECT_EQ(R(binary_op(BinOp::kMul, Value::small_int(0), *a)), "[]");
    Ref t = ints_tuple({1});
    EXPECT_FALSE(binary_op(BinOp::kAdd, *a, *t));
    EXPECT_EQ(err(), "TypeError: can only concatenate list (not \"tuple\") to list");
    EXPECT_FALSE(binary_op(BinOp::kMul, *a, Value::from_double(1.5)));
    EXPECT_EQ(err(), "TypeError: can't multiply sequence by non-int of type 'float'");
    Ref r = inplace_op(BinOp::kAdd, *a, *t);
    EXPECT_TRUE(r.get().is(*a));
    EXPECT_EQ(R(a), "[1, 2, 1]");
    Ref r2 = inplace_op(BinOp::kMul, *a, Value::small_int(2));
    EXPECT_EQ(R(a), "[1, 2, 1, 1, 2, 1]");
    EXPECT_EQ(compare_bool(*a, *b, CmpOp::kLt), 1);
    EXPECT_EQ(compare_bool(*b, *b, CmpOp::kEq), 1);
    EXPECT_EQ(contains(*a, Value::small_int(2)), 1);
    // l.extend(l)
    Ref c = ints_list({1, 2});
    EXPECT_TRUE(list_extend(c.as<List>(), *c));
    EXPECT_EQ(R(c), "[1, 2, 1, 2]");
}

TEST_F(Containers, ListRecursiveRepr) {
    Ref l = ints_list({1});
    ASSERT_TRUE(list_append(l.as<List>(), *l));
    EXPECT_EQ(R(l), "[1, [...]]");
    Ref t = new_tuple_of({*l});
    EXPECT_EQ(R(t), "([1, [...]],)");
    // Break the cycle.
    EXPECT_TRUE(M(*l, "clear"));
}

TEST_F(Containers, ListSort) {
    Ref l = ints_list({5, 3, -1, 3, 10, 0, 7});
    EXPECT_TRUE(list_sort(l.as<List>(), Value::null(), false));
    EXPECT_EQ(R(l), "[-1, 0, 3, 3, 5, 7, 10]");
    EXPECT_TRUE(list_sort(l.as<List>(), Value::null(), true));
    EXPECT_EQ(R(l), "[10, 7, 5, 3, 3, 0, -1]");
    // Large input with runs and a key (stability: key = x // 10, values keep input order).
    RefT<List> big = new_list();
    for (int i = 0; i < 1000; ++i) ASSERT_TRUE(list_append_steal(big.get(), I((i * 7919) % 1000).release()));
    EXPECT_TRUE(list_sort(big.get(), Value::null(), false));
    bool sorted = true;
    for (int64_t i = 0; i < big->size; ++i)
        if (big->items[i].as_small_int() != i) sorted = false;
    EXPECT_TRUE(sorted);
    // Strings.
    Ref sa = S("pear"), sb = S("apple"), sc = S("fig");
    Ref ls = new_list_from(std::vector<Value>{*sa, *sb, *sc}.data(), 3);
    EXPECT_TRUE(list_sort(ls.as<List>(), Value::null(), false));
    EXPECT_EQ(R(ls), "['apple', 'fig', 'pear']");
    // Mixed types: the error, and the list keeps every item.
    Ref mixed = new_list_from(std::vector<Value>{Value::small_int(1), *sa, Value::small_int(0)}.data(), 3);
    EXPECT_FALSE(list_sort(mixed.as<List>(), Value::null(), false));
    EXPECT_EQ(err(), "TypeError: '<' not supported between instances of 'str' and 'int'");
    EXPECT_EQ(mixed.as<List>()->size, 3);
    // sort() keyword handling.
    EXPECT_FALSE(M(*l, "sort", {Value::small_int(1)}));
    EXPECT_EQ(err(), "TypeError: sort() takes no positional arguments");
}

TEST_F(Containers, DeepNestingDeallocDoesNotOverflow) {
    Ref l = ints_list({});
    for (int i = 0; i < 200000; ++i) {
        Ref outer = ints_list({});
        ASSERT_TRUE(list_append_steal(outer.as<List>(), l.release()));
        l = std::move(outer);
    }
    l.reset();  // 200k nested lists freed without recursing 200k frames
    Ref t = Ref::borrow(Value::object(empty_tuple()));
    for (int i = 0; i < 200000; ++i) {
        RefT<Tuple> outer = new_tuple(1);
        outer->items[0] = t.release();
        t = std::move(outer);
    }
    t.reset();
    RefT<Dict> d = new_dict();
    for (int i = 0; i < 100000; ++i) {
        RefT<Dict> outer = new_dict();
        ASSERT_TRUE(dict_set(outer.get(), Value::small_int(0), d.value()));
        d = std::move(outer);
    }
    d = nullptr;
    SUCCEED();
}

TEST_F(Containers, DeepNestingReprRaisesRecursionError) {
    Ref l = ints_list({});
    for (int i = 0; i < 100000; ++i) {
        Ref outer = ints_list({});
        ASSERT_TRUE(list_append_steal(outer.as<List>(), l.release()));
        l = std::move(outer);
    }
    Ref r = repr(*l);
    EXPECT_FALSE(r);
    EXPECT_EQ(err().substr(0, 48), "RecursionError: maximum recursion depth exceeded");
}

// ---- dict ----------------------------------------------------------------------------------

TEST_F(Containers, DictBasics) {
    RefT<Dict> d = new_dict();
    Ref a = S("a"), b = S("b");
    ASSERT_TRUE(dict_set(d.get(), *a, Value::small_int(1)));
    ASSERT_TRUE(dict_set(d.get(), *b, Value::small_int(2)));
    ASSERT_TRUE(dict_set(d.get(), Value::small_int(3), Value::none()));
    EXPECT_EQ(R(d.value()), "{'a': 1, 'b': 2, 3: None}");
    uint64_t v0 = d->version;
    ASSERT_TRUE(dict_set(d.get(), *a, Value::small_int(10)));
    EXPECT_NE(d->version, v0);
    EXPECT_EQ(R(d.value()), "{'a': 10, 'b': 2, 3: None}");
    EXPECT_EQ(dict_del(d.get(), *b), 1);
    EXPECT_EQ(dict_del(d.get(), *b), 0);
    EXPECT_EQ(R(d.value()), "{'a': 10, 3: None}");
    ASSERT_TRUE(dict_set(d.get(), *b, Value::small_int(5)));
    EXPECT_EQ(R(d.value()), "{'a': 10, 3: None, 'b': 5}");
    EXPECT_TRUE(dict_get_str(d.get(), intern("a")).is(Value::small_int(10)));
    EXPECT_TRUE(dict_get(d.get(), Value::small_int(99)).is_null());
    EXPECT_FALSE(error_occurred());
    EXPECT_FALSE(getitem(d.value(), Value::small_int(99)));
    EXPECT_EQ(err(), "KeyError: 99");
    EXPECT_EQ(R(M(d.value(), "popitem")), "('b', 5)");
    EXPECT_EQ(R(M(d.value(), "pop", {Value::small_int(3)})), "None");
    EXPECT_EQ(R(M(d.value(), "pop", {Value::small_int(3), Value::small_int(7)})), "7");
    EXPECT_EQ(R(M(d.value(), "get", {Value::small_int(3)})), "None");
    EXPECT_EQ(R(M(d.value(), "setdefault", {Value::small_int(4), Value::small_int(8)})), "8");
    EXPECT_EQ(R(d.value()), "{'a': 10, 4: 8}");
    EXPECT_EQ(R(M(d.value(), "keys")), "dict_keys(['a', 4])");
    EXPECT_EQ(R(M(d.value(), "values")), "dict_values([10, 8])");
    EXPECT_EQ(R(M(d.value(), "items")), "dict_items([('a', 10), (4, 8)])");
    RefT<Dict> e = new_dict();
    EXPECT_FALSE(M(e.value(), "popitem"));
    EXPECT_EQ(err(), "KeyError: 'popitem(): dictionary is empty'");
}

TEST_F(Containers, DictManyKeysOrderAndDeletion) {
    RefT<Dict> d = new_dict();
    for (int i = 0; i < 10000; ++i) ASSERT_TRUE(dict_set(d.get(), Value::small_int(i * 3), Value::small_int(i)));
    EXPECT_EQ(d->used, 10000);
    for (int i = 0; i < 10000; i += 2) ASSERT_EQ(dict_del(d.get(), Value::small_int(i * 3)), 1);
    EXPECT_EQ(d->used, 5000);
    int64_t pos = 0, expect = 1;
    Value k, v;
    bool order_ok = true;
    while (dict_next(d.get(), &pos, &k, &v)) {
        if (v.as_small_int() != expect || k.as_small_int() != expect * 3) order_ok = false;
        expect += 2;
    }
    EXPECT_TRUE(order_ok);
    for (int i = 1; i < 10000; i += 2) ASSERT_TRUE(dict_get(d.get(), Value::small_int(i * 3)).is(Value::small_int(i)));
    RefT<Dict> c = dict_copy(d.get());
    EXPECT_EQ(compare_bool(c.value(), d.value(), CmpOp::kEq), 1);
    ASSERT_TRUE(dict_set(c.get(), Value::small_int(3), Value::small_int(0)));
    EXPECT_EQ(compare_bool(c.value(), d.value(), CmpOp::kEq), 0);
    dict_clear(c.get());
    EXPECT_EQ(c->used, 0);
    EXPECT_EQ(R(c.value()), "{}");
}

TEST_F(Containers, DictConstructorAndUpdate) {
    Ref p1 = ints_tuple({1, 2});
    Ref p2 = ints_tuple({3, 4});
    Ref pairs = new_list_from(std::vector<Value>{*p1, *p2}.data(), 2);
    Ref d = T(&dict_type, {*pairs});
    EXPECT_EQ(R(d), "{1: 2, 3: 4}");
    Ref bad = ints_list({1});
    Ref badl = new_list_from(std::vector<Value>{*bad}.data(), 1);
    Ref three = ints_tuple({1, 2, 3});
    Ref badl3 = new_list_from(std::vector<Value>{*three}.data(), 1);
    EXPECT_FALSE(T(&dict_type, {*badl3}));
    EXPECT_EQ(err(), "ValueError: dictionary update sequence element #0 has length 3; 2 is required");
    Ref ints = ints_list({1});
    EXPECT_FALSE(T(&dict_type, {*ints}));
    EXPECT_EQ(err(), "TypeError: cannot convert dictionary update sequence element #0 to a sequence");
    Ref d2 = T(&dict_type, {*d});
    EXPECT_EQ(R(d2), "{1: 2, 3: 4}");
    Ref o = binary_op(BinOp::kOr, *d, *d2);
    EXPECT_EQ(R(o), "{1: 2, 3: 4}");
    // Recursive repr.
    ASSERT_TRUE(dict_set(d.as<Dict>(), Value::small_int(5), *d));
    EXPECT_EQ(R(d), "{1: 2, 3: 4, 5: {...}}");
    dict_clear(d.as<Dict>());
}

TEST_F(Containers, DictIterationChangedSize) {
    RefT<Dict> d = new_dict();
    ASSERT_TRUE(dict_set(d.get(), Value::small_int(1), Value::small_int(1)));
    Ref it = get_iter(d.value());
    Ref k = iter_next(*it);
    EXPECT_EQ(R(k), "1");
    ASSERT_TRUE(dict_set(d.get(), Value::small_int(2), Value::small_int(2)));
    EXPECT_FALSE(iter_next(*it));
    EXPECT_EQ(err(), "RuntimeError: dictionary changed size during iteration");
}

// ---- set -----------------------------------------------------------------------------------

TEST_F(Containers, SetOrderMatchesCPython) {
    EXPECT_EQ(R(set_of_range(0, 20)), "{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19}");
    Ref s = new_set();
    for (int64_t x : {100, 3, 64, 8, -1, 1000000}) ASSERT_TRUE(set_add(*s, Value::small_int(x)));
    EXPECT_EQ(R(s), "{64, 1000000, 3, 100, 8, -1}");
    Ref s7 = new_set();
    for (int64_t x = 0; x < 30; ++x) ASSERT_TRUE(set_add(*s7, Value::small_int(x * 7)));
    EXPECT_EQ(R(s7), "{0, 133, 7, 140, 14, 147, 21, 154, 28, 161, 35, 168, 42, 175, 49, 182, 56, "
                     "189, 63, 196, 70, 203, 77, 84, 91, 98, 105, 112, 119, 126}");
    Ref s2 = new_set();
    for (int64_t x : {int64_t{-1}, int64_t{-2}, int64_t{5}, int64_t{1} << 40, int64_t{17}, int64_t{9}}) ASSERT_TRUE(set_add(*s2, Value::small_int(x)));
    EXPECT_EQ(R(s2), "{1099511627776, 5, 9, 17, -2, -1}");
    // CPython compiles the display {-1, -2, 5, 2**40, 17, 9} to BUILD_SET 0 + a frozenset
    // constant + SET_UPDATE: merging the 32-slot frozenset into a fresh set gives this order.
    Ref items = ints_list({-1, -2, 5, int64_t{1} << 40, 17, 9});
    // (The compiler's constant merging rebuilds the frozenset from its own iteration order.)
    Ref fz0 = T(&frozenset_type, {*items});
    Ref fz0_items = sequence_list(*fz0);
    Ref fz = T(&frozenset_type, {*fz0_items});
    Ref lit = new_set();
    ASSERT_TRUE(set_update(*lit, *fz));
    EXPECT_EQ(R(lit), "{1099511627776, 17, 5, -2, 9, -1}");
    // The same through const_frozenset (what the compiler should use).
    Value raw[] = {Value::small_int(-1), Value::small_int(-2), Value::small_int(5),
                   Value::small_int(int64_t{1} << 40), Value::small_int(17), Value::small_int(9)};
    Ref cf = const_frozenset(raw, 6);
    Ref lit2 = new_set();
    ASSERT_TRUE(set_update(*lit2, *cf));
    EXPECT_EQ(R(lit2), "{1099511627776, 17, 5, -2, 9, -1}");
    // {(1, 2), (3, 4), (0, 0), (-1, 5)} prints {(0, 0), (1, 2), (3, 4), (-1, 5)} in CPython.
    Ref ta = ints_tuple({1, 2}), tb = ints_tuple({3, 4}), tc = ints_tuple({0, 0}), td = ints_tuple({-1, 5});
    Value tr[] = {*ta, *tb, *tc, *td};
    Ref cf2 = const_frozenset(tr, 4);
    Ref lit3 = new_set();
    ASSERT_TRUE(set_update(*lit3, *cf2));
    EXPECT_EQ(R(lit3), "{(0, 0), (1, 2), (3, 4), (-1, 5)}");
    Ref s3 = new_set();
    for (int64_t x : {5, 13, 21, 29, 37, 45, 53, 61, 69, 77}) ASSERT_TRUE(set_add(*s3, Value::small_int(x)));
    EXPECT_EQ(R(s3), "{37, 5, 69, 13, 45, 77, 61, 21, 53, 29}");
    ASSERT_TRUE(M(*s3, "discard", {Value::small_int(13)}));
    ASSERT_TRUE(M(*s3, "discard", {Value::small_int(45)}));
    ASSERT_TRUE(set_add(*s3, Value::small_int(85)));
    ASSERT_TRUE(set_add(*s3, Value::small_int(13)));
    EXPECT_EQ(R(s3), "{37, 5, 69, 13, 77, 61, 21, 53, 85, 29}");
    Ref sq = new_set();
    for (int64_t x = -10; x < 10; ++x) ASSERT_TRUE(set_add(*sq, Value::small_int(x * x)));
    EXPECT_EQ(R(sq), "{64, 1, 0, 100, 36, 4, 9, 16, 81, 49, 25}");
    Ref neg = new_set();
    for (int64_t x : {-5, -3, -1, 0, 1, 3, 5}) ASSERT_TRUE(set_add(*neg, Value::small_int(x)));
    EXPECT_EQ(R(neg), "{0, 1, 3, 5, -5, -3, -1}");
}

TEST_F(Containers, SetDiscardPopOrder) {
    Ref s = set_of_range(0, 100);
    for (int64_t i = 0; i < 100; i += 3) ASSERT_TRUE(set_discard(*s, Value::small_int(i)));
    EXPECT_EQ(R(s), "{1, 2, 4, 5, 7, 8, 10, 11, 13, 14, 16, 17, 19, 20, 22, 23, 25, 26, 28, 29, 31, "
                    "32, 34, 35, 37, 38, 40, 41, 43, 44, 46, 47, 49, 50, 52, 53, 55, 56, 58, 59, 61, "
                    "62, 64, 65, 67, 68, 70, 71, 73, 74, 76, 77, 79, 80, 82, 83, 85, 86, 88, 89, 91, "
                    "92, 94, 95, 97, 98}");
    EXPECT_EQ(R(M(*s, "pop")), "1");
    EXPECT_EQ(R(M(*s, "pop")), "2");
    Ref s50 = set_of_range(0, 50);
    std::string popped;
    for (int i = 0; i < 6; ++i) popped += R(M(*s50, "pop")) + " ";
    EXPECT_EQ(popped, "0 1 2 3 4 5 ");
    Ref e = new_set();
    EXPECT_FALSE(M(*e, "pop"));
    EXPECT_EQ(err(), "KeyError: 'pop from an empty set'");
    EXPECT_FALSE(M(*e, "remove", {Value::small_int(2)}));
    EXPECT_EQ(err(), "KeyError: 2");
}

TEST_F(Containers, SetAlgebraMatchesCPython) {
    Ref a = set_of_range(0, 40, 3);
    Ref b = set_of_range(0, 40, 5);
    EXPECT_EQ(R(binary_op(BinOp::kOr, *a, *b)), "{0, 3, 5, 6, 9, 10, 12, 15, 18, 20, 21, 24, 25, 27, 30, 33, 35, 36, 39}");
    EXPECT_EQ(R(binary_op(BinOp::kAnd, *a, *b)), "{0, 30, 15}");
    EXPECT_EQ(R(binary_op(BinOp::kSub, *a, *b)), "{33, 3, 36, 6, 39, 9, 12, 18, 21, 24, 27}");
    EXPECT_EQ(R(binary_op(BinOp::kXor, *a, *b)), "{3, 5, 6, 9, 10, 12, 18, 20, 21, 24, 25, 27, 33, 35, 36, 39}");
    EXPECT_EQ(R(binary_op(BinOp::kSub, *b, *a)), "{35, 5, 10, 20, 25}");
    EXPECT_EQ(R(binary_op(BinOp::kXor, *b, *a)), "{3, 5, 6, 9, 10, 12, 18, 20, 21, 24, 25, 27, 33, 35, 36, 39}");
    Ref s123 = ints_list({1, 2, 3});
    Ref s = T(&set_type, {*s123});
    Ref l1 = ints_list({10, 20});
    Ref l2 = ints_list({3, 99});
    EXPECT_EQ(R(M(*s, "union", {*l1, *l2})), "{1, 2, 3, 99, 10, 20}");
    Ref r10 = set_of_range(0, 10);
    Ref r520 = range_of(5, 20);
    Ref l3 = ints_list({7, 8, 9, 100});
    EXPECT_EQ(R(M(*r10, "intersection", {*r520, *l3})), "{8, 9, 7}");
    Ref l12 = ints_list({1, 2});
    Ref l3b = ints_list({3});
    EXPECT_EQ(R(M(*r10, "difference", {*l12, *l3b})), "{0, 4, 5, 6, 7, 8, 9}");
    Ref l51525 = ints_list({5, 15, 25});
    EXPECT_EQ(R(M(*r10, "symmetric_difference", {*l51525})), "{0, 1, 2, 3, 4, 6, 7, 8, 9, 15, 25}");
    Ref f = T(&frozenset_type, {*s123});
    Ref h = new_set();
    ASSERT_TRUE(set_add(*h, Value::small_int(100)));
    EXPECT_EQ(R(binary_op(BinOp::kOr, *f, *h)), "frozenset({1, 2, 3, 100})");
    EXPECT_EQ(R(binary_op(BinOp::kOr, *h, *f)), "{1, 2, 3, 100}");
    EXPECT_FALSE(binary_op(BinOp::kOr, *h, *l1));
    EXPECT_EQ(err(), "TypeError: unsupported operand type(s) for |: 'set' and 'list'");
    EXPECT_EQ(compare_bool(*h, *f, CmpOp::kLt), 0);
    Ref sub = ints_list({1, 2});
    Ref subs = T(&set_type, {*sub});
    EXPECT_EQ(compare_bool(*subs, *f, CmpOp::kLt), 1);
    EXPECT_EQ(compare_bool(*subs, *f, CmpOp::kLe), 1);
    EXPECT_EQ(compare_bool(*f, *subs, CmpOp::kGt), 1);
    EXPECT_EQ(compare_bool(*f, *s, CmpOp::kEq), 1);
    EXPECT_EQ(R(M(*subs, "issubset", {*s123})), "True");
    EXPECT_EQ(R(M(*subs, "isdisjoint", {*l1})), "True");
}

TEST_F(Containers, SetReprsAndHash) {
    EXPECT_EQ(R(new_set()), "set()");
    EXPECT_EQ(R(new_set(&frozenset_type)), "frozenset()");
    Ref one = ints_list({1});
    EXPECT_EQ(R(T(&frozenset_type, {*one})), "frozenset({1})");
    int64_t h;
    Ref ef = new_set(&frozenset_type);
    ASSERT_TRUE(hash(*ef, &h));
    EXPECT_EQ(h, 133146708735736);
    Ref l123 = ints_list({1, 2, 3});
    Ref f123 = T(&frozenset_type, {*l123});
    ASSERT_TRUE(hash(*f123, &h));
    EXPECT_EQ(h, -272375401224217160);
    Ref r100 = range_of(0, 100);
    Ref f100 = T(&frozenset_type, {*r100});
    ASSERT_TRUE(hash(*f100, &h));
    EXPECT_EQ(h, 4411996150312757951);
    Ref s = new_set();
    EXPECT_FALSE(hash(*s, &h));
    EXPECT_EQ(err(), "TypeError: unhashable type: 'set'");
    // A set key is looked up by its frozenset hash.
    Ref outer = new_set();
    ASSERT_TRUE(set_add(*outer, *f123));
    Ref plain = T(&set_type, {*l123});
    EXPECT_EQ(set_contains(*outer, *plain), 1);
    EXPECT_FALSE(set_add(*outer, *plain));
    EXPECT_EQ(err(), "TypeError: unhashable type: 'set'");
}

TEST_F(Containers, SetIterationChangedSize) {
    Ref s = set_of_range(0, 3);
    Ref it = get_iter(*s);
    Ref k = iter_next(*it);
    ASSERT_TRUE(set_add(*s, Value::small_int(10)));
    EXPECT_FALSE(iter_next(*it));
    EXPECT_EQ(err(), "RuntimeError: Set changed size during iteration");
}

// ---- range ---------------------------------------------------------------------------------

TEST_F(Containers, Range) {
    Ref r = range_of(0, 10);
    EXPECT_EQ(R(r), "range(0, 10)");
    EXPECT_EQ(length(*r), 10);
    Ref r3 = range_of(0, 10, 3);
    EXPECT_EQ(R(r3), "range(0, 10, 3)");
    EXPECT_EQ(length(*r3), 4);
    EXPECT_EQ(R(getitem(*r3, Value::small_int(-1))), "9");
    EXPECT_FALSE(getitem(*r, Value::small_int(10)));
    EXPECT_EQ(err(), "IndexError: range object index out of range");
    Ref rev = new_slice(Value::none(), Value::none(), Value::small_int(-1));
    EXPECT_EQ(R(getitem(*r, *rev)), "range(9, -1, -1)");
    Ref sl = new_slice(Value::small_int(2), Value::small_int(8), Value::small_int(3));
    EXPECT_EQ(R(getitem(*r, *sl)), "range(2, 8, 3)");
    EXPECT_EQ(contains(*r3, Value::small_int(6)), 1);
    EXPECT_EQ(contains(*r3, Value::small_int(7)), 0);
    EXPECT_EQ(R(sequence_list(*r3)), "[0, 3, 6, 9]");
    Ref rr = reversed_of(*r3);
    EXPECT_EQ(R(sequence_list(*rr)), "[9, 6, 3, 0]");
    EXPECT_FALSE(new_range(0, 1, 0));
    EXPECT_EQ(err(), "ValueError: range() arg 3 must not be zero");
    EXPECT_FALSE(M(*r, "index", {Value::small_int(11)}));
    EXPECT_EQ(err(), "ValueError: 11 is not in range");
    Ref a = range_of(0, 0), b = range_of(5, 5, 2);
    EXPECT_EQ(compare_bool(*a, *b, CmpOp::kEq), 1);
    Ref neg = range_of(5, 0, -2);
    EXPECT_EQ(R(sequence_list(*neg)), "[5, 3, 1]");
    EXPECT_EQ(R(T(&range_type, {Value::small_int(3)})), "range(0, 3)");
    EXPECT_FALSE(T(&range_type, {}));
    EXPECT_EQ(err(), "TypeError: range expected at least 1 argument, got 0");
}

// ---- iterators -----------------------------------------------------------------------------

TEST_F(Containers, IteratorTypes) {
    Ref s = S("ab");
    Ref e = T(&enumerate_type, {*s, Value::small_int(5)});
    EXPECT_EQ(R(sequence_list(*e)), "[(5, 'a'), (6, 'b')]");
    Ref l1 = ints_list({1, 2, 3});
    Ref l2 = ints_list({4, 5});
    Ref z = T(&zip_type, {*l1, *l2});
    EXPECT_EQ(R(sequence_list(*z)), "[(1, 4), (2, 5)]");
    Ref none_filter = T(&filter_type, {Value::none(), *l1});
    EXPECT_EQ(R(sequence_list(*none_filter)), "[1, 2, 3]");
    Ref rv = T(&reversed_type, {*l1});
    EXPECT_EQ(R(sequence_list(*rv)), "[3, 2, 1]");
    Ref t = ints_tuple({1, 2, 3});
    Ref rt = T(&reversed_type, {*t});
    EXPECT_EQ(R(sequence_list(*rt)), "[3, 2, 1]");
    EXPECT_FALSE(T(&reversed_type, {Value::small_int(1)}));
    EXPECT_EQ(err(), "TypeError: 'int' object is not reversible");
    EXPECT_FALSE(T(&map_type, {*l1}));
    EXPECT_EQ(err(), "TypeError: map() must have at least two arguments.");
    EXPECT_FALSE(new_callable_iter(Value::small_int(1), Value::small_int(2)));
    EXPECT_EQ(err(), "TypeError: iter(v, w): v must be callable");
}

TEST_F(Containers, ZipStrict) {
    Ref l1 = ints_list({1});
    Ref l2 = ints_list({1, 2});
    Ref l3 = ints_list({1, 2});
    Value args[] = {*l3, *l3, *l1};
    RefT<Tuple> kw = new_tuple_of({Value::object(intern("strict"))});
    Value callargs[] = {*l3, *l3, *l1, Value::boolean(true)};
    CallArgs ca{callargs, 3, kw.get()};
    Ref z = call(Value::object(&zip_type), ca);
    ASSERT_TRUE(z);
    EXPECT_FALSE(sequence_list(*z));
    EXPECT_EQ(err(), "ValueError: zip() argument 3 is shorter than arguments 1-2");
    Value callargs2[] = {*l1, *l2, Value::boolean(true)};
    CallArgs ca2{callargs2, 2, kw.get()};
    Ref z2 = call(Value::object(&zip_type), ca2);
    EXPECT_FALSE(sequence_list(*z2));
    EXPECT_EQ(err(), "ValueError: zip() argument 2 is longer than argument 1");
    (void)args;
}

}  // namespace

namespace {

TEST_F(Containers, DictViewsSetOps) {
    RefT<Dict> d = new_dict();
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(dict_set(d.get(), Value::small_int(i), Value::small_int(i * i)));
    Ref keys = M(d.value(), "keys");
    Ref items = M(d.value(), "items");
    Ref s = set_of_range(3, 8);
    EXPECT_EQ(R(binary_op(BinOp::kAnd, *keys, *s)), "{3, 4}");
    EXPECT_EQ(R(binary_op(BinOp::kOr, *keys, *s)), "{0, 1, 2, 3, 4, 5, 6, 7}");
    EXPECT_EQ(R(binary_op(BinOp::kSub, *keys, *s)), "{0, 1, 2}");
    EXPECT_EQ(R(binary_op(BinOp::kSub, *s, *keys)), "{5, 6, 7}");
    EXPECT_EQ(R(binary_op(BinOp::kXor, *keys, *s)), "{0, 1, 2, 5, 6, 7}");
    Ref pair = ints_tuple({2, 4});
    EXPECT_EQ(contains(*items, *pair), 1);
    Ref bad = ints_tuple({2, 5});
    EXPECT_EQ(contains(*items, *bad), 0);
    Ref small = set_of_range(0, 3);
    EXPECT_EQ(compare_bool(*small, *keys, CmpOp::kLt), 1);
    EXPECT_EQ(compare_bool(*keys, *small, CmpOp::kGt), 1);
    EXPECT_EQ(R(reversed_of(*keys)).substr(0, 31), "<dict_reversekeyiterator object");
    EXPECT_EQ(R(sequence_list(*reversed_of(d.value()))), "[4, 3, 2, 1, 0]");
    EXPECT_EQ(R(sequence_list(*reversed_of(*items))), "[(4, 16), (3, 9), (2, 4), (1, 1), (0, 0)]");
}

TEST_F(Containers, GenericAlias) {
    Ref a = getitem(Value::object(&list_type), Value::object(&int_type));
    EXPECT_EQ(R(a), "list[int]");
    RefT<Tuple> args = new_tuple_of({Value::object(&str_type), *a});
    Ref b = getitem(Value::object(&dict_type), args.value());
    EXPECT_EQ(R(b), "dict[str, list[int]]");
    RefT<Tuple> targs = new_tuple_of({Value::object(&int_type), Value::ellipsis()});
    Ref c = getitem(Value::object(&tuple_type), targs.value());
    EXPECT_EQ(R(c), "tuple[int, ...]");
    Ref again = getitem(Value::object(&list_type), Value::object(&int_type));
    EXPECT_EQ(compare_bool(*a, *again, CmpOp::kEq), 1);
    Ref made = call(*a, {});
    EXPECT_EQ(R(made), "[]");
}

TEST_F(Containers, ListMutationDuringIteration) {
    Ref l = ints_list({1, 2, 3});
    Ref it = get_iter(*l);
    EXPECT_EQ(R(iter_next(*it)), "1");
    EXPECT_TRUE(M(*l, "clear"));
    EXPECT_FALSE(iter_next(*it));
    EXPECT_FALSE(error_occurred());
    Ref l2 = ints_list({1, 2, 3});
    Ref rit = reversed_of(*l2);
    EXPECT_EQ(R(iter_next(*rit)), "3");
    EXPECT_TRUE(M(*l2, "pop"));
    EXPECT_TRUE(M(*l2, "pop"));
    EXPECT_FALSE(iter_next(*rit));  // index 1 is past the end now
    EXPECT_FALSE(error_occurred());
}

TEST_F(Containers, FreeListsKeepObjectsClean) {
    for (int round = 0; round < 3; ++round) {
        std::vector<Ref> keep;
        for (int i = 0; i < 200; ++i) {
            RefT<Dict> d = new_dict();
            EXPECT_EQ(d->used, 0);
            EXPECT_EQ(d->index_size, 0);
            ASSERT_TRUE(dict_set(d.get(), Value::small_int(i), Value::small_int(i)));
            RefT<List> l = new_list();
            EXPECT_EQ(l->size, 0);
            ASSERT_TRUE(list_append(l.get(), d.value()));
            keep.push_back(std::move(l));
        }
        keep.clear();
    }
    RefT<List> l = new_list();
    EXPECT_EQ(R(l.value()), "[]");
    RefT<Dict> d = new_dict();
    EXPECT_EQ(R(d.value()), "{}");
}

}  // namespace
