// object_test.cpp: the runtime core: refcounts, immortality, types and the MRO, attribute
// lookup precedence, the exception hierarchy, binary_op reflection, slot wrappers.
#include <gtest/gtest.h>

#include <string>

#include "runtime/abstract.h"
#include "runtime/dict.h"
#include "runtime/errors.h"
#include "runtime/int.h"
#include "runtime/interpreter.h"
#include "runtime/list.h"
#include "runtime/misc_types.h"
#include "runtime/module.h"
#include "runtime/names.h"
#include "runtime/native_function.h"
#include "runtime/str.h"
#include "runtime/thread_state.h"
#include "runtime/tuple.h"

using namespace toy;

namespace {

class Core : public ::testing::Test {
protected:
    void SetUp() override { interp_ = new_interpreter(); }
    void TearDown() override {
        clear_error();
        delete_interpreter(interp_);
    }
    Interpreter* interp_ = nullptr;
};

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

std::string to_s(Value v) {
    Ref r = repr(v);
    if (!r) return "<error: " + err() + ">";
    return std::string(r.as<Str>()->view());
}

Value S(const char* s) { return Value::object(intern(s)); }

// type(name, bases, ns) from C++.
Ref make_class(const char* name, std::initializer_list<Value> bases, Dict* ns = nullptr) {
    RefT<Tuple> b = new_tuple_from(bases.begin(), static_cast<int64_t>(bases.size()));
    RefT<Dict> d = ns ? dict_copy(ns) : new_dict();
    return call(Value::object(&type_type), {S(name), b.value(), d.value()});
}

// ---- a native test type for binary_op reflection ------------------------------------------------

struct Tagged : Object {
    int tag;
};
Type tagged_type, tagged_sub_type;

Ref make_tagged(Type* t, int tag) {
    auto* o = new_object<Tagged>(t, 0);
    o->tag = tag;
    return Ref::steal(o);
}

// a + b: returns "L<tag>" if the left operand is Tagged (the forward op), "R<tag>" if only the
// right one is (reflected); NotImplemented for a tag of 0.
Ref tagged_add(Value a, Value b) {
    bool left = type_of(a) == &tagged_type || type_of(a) == &tagged_sub_type;
    Tagged* self = left ? a.as<Tagged>() : b.as<Tagged>();
    if (self->tag == 0) return Ref::not_implemented();
    return Ref(new_str(fmt::format("{}{}", left ? "L" : "R", self->tag)));
}
Ref tagged_sub_add(Value a, Value b) {
    // The subclass's own slot: reports which side it was called for.
    bool left = type_of(a) == &tagged_sub_type;
    Tagged* self = left ? a.as<Tagged>() : b.as<Tagged>();
    return Ref(new_str(fmt::format("sub-{}{}", left ? "L" : "R", self->tag)));
}

void ready_tagged() {
    static bool done = false;
    if (done) return;
    done = true;
    tagged_type.name = "Tagged";
    tagged_type.basic_size = sizeof(Tagged);
    tagged_type.binary[static_cast<int>(BinOp::kAdd)] = tagged_add;
    type_ready(&tagged_type, &object_type);
    tagged_sub_type.name = "TaggedSub";
    tagged_sub_type.basic_size = sizeof(Tagged);
    tagged_sub_type.binary[static_cast<int>(BinOp::kAdd)] = tagged_sub_add;
    type_ready(&tagged_sub_type, &tagged_type);
}

}  // namespace

TEST_F(Core, RefcountsBalance) {
    RefT<List> l = new_list();
    EXPECT_EQ(l->refcnt, 1);
    {
        Ref extra = Ref::borrow(l.value());
        EXPECT_EQ(l->refcnt, 2);
        RefT<Tuple> t = new_tuple_of({l.value(), l.value()});
        EXPECT_EQ(l->refcnt, 4);
    }
    EXPECT_EQ(l->refcnt, 1);
    // Attribute round trip on a heap instance leaves counts as they were.
    Ref cls = make_class("C", {});
    ASSERT_TRUE(cls) << err();
    int64_t cls_refs = cls.obj()->refcnt;
    Ref inst = call(cls.get(), {});
    ASSERT_TRUE(inst) << err();
    EXPECT_EQ(cls.obj()->refcnt, cls_refs + 1);  // an instance owns its heap type
    ASSERT_TRUE(setattr(inst.get(), intern("x"), l.value()));
    EXPECT_EQ(l->refcnt, 2);
    Ref got = getattr(inst.get(), intern("x"));
    EXPECT_EQ(l->refcnt, 3);
    got.reset();
    inst.reset();
    EXPECT_EQ(l->refcnt, 1);
    EXPECT_EQ(cls.obj()->refcnt, cls_refs);
}

TEST_F(Core, ImmortalObjectsUntouched) {
    Object* t = &list_type;
    EXPECT_TRUE(t->immortal());
    int64_t before = t->refcnt;
    incref(t);
    incref(t);
    decref(t);
    EXPECT_EQ(t->refcnt, before);
    Str* s = intern("immortal_name");
    before = s->refcnt;
    {
        Ref r = Ref::borrow(Value::object(s));
        RefT<Tuple> tup = new_tuple_of({Value::object(s)});
    }
    EXPECT_EQ(s->refcnt, before);
    // Statically allocated objects are immortal from construction.
    static Cell static_cell;
    EXPECT_TRUE(static_cell.immortal());
}

TEST_F(Core, C3MroDiamond) {
    Ref a = make_class("A", {});
    Ref b = make_class("B", {a.get()});
    Ref c = make_class("C", {a.get()});
    Ref d = make_class("D", {b.get(), c.get()});
    ASSERT_TRUE(d) << err();
    EXPECT_EQ(to_s(Ref(getattr(d.get(), intern("__mro__"))).get()),
              "(<class 'D'>, <class 'B'>, <class 'C'>, <class 'A'>, <class 'object'>)");
    EXPECT_TRUE(is_subtype(d.as<Type>(), a.as<Type>()));
    EXPECT_FALSE(is_subtype(a.as<Type>(), d.as<Type>()));
    // An inconsistent order.
    Ref x = make_class("X", {a.get(), b.get()});
    EXPECT_FALSE(x);
    EXPECT_EQ(err(),
              "TypeError: Cannot create a consistent method resolution\norder (MRO) for bases A, B");
    Ref y = make_class("Y", {a.get(), a.get()});
    EXPECT_FALSE(y);
    EXPECT_EQ(err(), "TypeError: duplicate base class A");
    Ref z = make_class("Z", {Value::object(&bool_type)});
    EXPECT_FALSE(z);
    EXPECT_EQ(err(), "TypeError: type 'bool' is not an acceptable base type");
}

TEST_F(Core, AttributeLookupPrecedence) {
    // class C: p = property(getter); plain = 1; f = <builtin>
    RefT<Dict> ns = new_dict();
    static const MethodDef getter_def = {"getter", [](Value, CallArgs a) -> Ref {
                                             (void)a;
                                             return Ref(new_str("from property"));
                                         }};
    Ref getter = new_native_function(&getter_def);
    Ref prop = call(Value::object(&property_type), {getter.get()});
    ASSERT_TRUE(prop) << err();
    ASSERT_TRUE(dict_set_str(ns.get(), intern("p"), prop.get()));
    ASSERT_TRUE(dict_set_str(ns.get(), intern("plain"), Value::small_int(1)));
    Ref cls = make_class("C", {}, ns.get());
    ASSERT_TRUE(cls) << err();
    Ref inst = call(cls.get(), {});
    // Instance dict beats a plain class attribute...
    Dict** dp = instance_dict_ptr(inst.get());
    ASSERT_NE(dp, nullptr);
    ASSERT_TRUE(setattr(inst.get(), intern("plain"), Value::small_int(2)));
    EXPECT_EQ(to_s(Ref(getattr(inst.get(), intern("plain"))).get()), "2");
    EXPECT_EQ(to_s(Ref(getattr(cls.get(), intern("plain"))).get()), "1");
    // ...but a data descriptor on the type beats the instance dict.
    ASSERT_TRUE(dict_set_str(*dp, intern("p"), Value::small_int(3)));
    EXPECT_EQ(to_s(Ref(getattr(inst.get(), intern("p"))).get()), "'from property'");
    // Setting through a property without a setter fails with CPython's message.
    EXPECT_FALSE(setattr(inst.get(), intern("p"), Value::small_int(4)));
    EXPECT_EQ(err(), "AttributeError: property 'p' of 'C' object has no setter");
    // Missing attributes.
    EXPECT_FALSE(getattr(inst.get(), intern("nope")));
    EXPECT_EQ(err(), "AttributeError: 'C' object has no attribute 'nope'");
    EXPECT_FALSE(getattr(cls.get(), intern("nope")));
    EXPECT_EQ(err(), "AttributeError: type object 'C' has no attribute 'nope'");
    EXPECT_FALSE(getattr_or_null(inst.get(), intern("nope")));
    EXPECT_FALSE(error_occurred());
    // Builtin types are immutable.
    EXPECT_FALSE(setattr(Value::object(&int_type), intern("x"), Value::small_int(1)));
    EXPECT_EQ(err(), "TypeError: cannot set 'x' attribute of immutable type 'int'");
}

TEST_F(Core, ExceptionHierarchy) {
    EXPECT_TRUE(is_subtype(&exc::FileNotFoundError, &exc::OSError));
    EXPECT_TRUE(is_subtype(&exc::ModuleNotFoundError, &exc::ImportError));
    EXPECT_TRUE(is_subtype(&exc::RecursionError, &exc::RuntimeError));
    EXPECT_TRUE(is_subtype(&exc::KeyError, &exc::LookupError));
    EXPECT_TRUE(is_subtype(&exc::TabError, &exc::SyntaxError));
    EXPECT_FALSE(is_subtype(&exc::KeyboardInterrupt, &exc::Exception));
    EXPECT_TRUE(is_subtype(&exc::KeyboardInterrupt, &exc::BaseException));
    EXPECT_FALSE(raise(&exc::KeyError, "x"));
    EXPECT_TRUE(error_matches(&exc::LookupError));
    EXPECT_FALSE(error_matches(&exc::ValueError));
    EXPECT_EQ(err(), "KeyError: 'x'");
    // OSError(2, msg) becomes FileNotFoundError; raise_errno picks the subclass too.
    RefT<Str> msg = new_str("No such file");
    Ref e = call(Value::object(&exc::OSError), {Value::small_int(2), msg.value()});
    ASSERT_TRUE(e) << err();
    EXPECT_EQ(type_of(e.get()), &exc::FileNotFoundError);
    EXPECT_EQ(to_s(e.get()), "FileNotFoundError(2, 'No such file')");
    (void)raise_errno(2, "f.txt");
    EXPECT_EQ(err(), "FileNotFoundError: [Errno 2] No such file or directory: 'f.txt'");
    // repr/str of args.
    Ref v = call(Value::object(&exc::ValueError), {Value::small_int(1), Value::small_int(2)});
    EXPECT_EQ(to_s(v.get()), "ValueError(1, 2)");
    Ref s = str(v.get());
    EXPECT_EQ(s.as<Str>()->view(), "(1, 2)");
    // __context__ chaining while an exception is handled.
    current_thread()->handled_exc = Ref(new_exception(&exc::ValueError, "first"));
    (void)raise(&exc::TypeError, "second");
    Ref cur = fetch_error();
    Value ctx = cur.as<BaseExceptionObject>()->context;
    ASSERT_TRUE(ctx.is(current_thread()->handled_exc.get()));
    current_thread()->handled_exc.reset();
}

TEST_F(Core, BinaryOpReflection) {
    ready_tagged();
    Ref a = make_tagged(&tagged_type, 1);
    Ref zero = make_tagged(&tagged_type, 0);
    Ref sub = make_tagged(&tagged_sub_type, 2);
    // Forward.
    EXPECT_EQ(to_s(Ref(binary_op(BinOp::kAdd, a.get(), Value::small_int(5))).get()), "'L1'");
    // int's slot returns NotImplemented, so the right operand's slot runs reflected.
    EXPECT_EQ(to_s(Ref(binary_op(BinOp::kAdd, Value::small_int(5), a.get())).get()), "'R1'");
    // A subclass with its own slot on the right goes first.
    EXPECT_EQ(to_s(Ref(binary_op(BinOp::kAdd, a.get(), sub.get())).get()), "'sub-R2'");
    // Both refuse: CPython's message.
    RefT<Str> s = new_str("s");
    EXPECT_FALSE(binary_op(BinOp::kAdd, zero.get(), Value::none()));
    EXPECT_EQ(err(), "TypeError: unsupported operand type(s) for +: 'Tagged' and 'NoneType'");
    EXPECT_FALSE(inplace_op(BinOp::kSub, zero.get(), Value::none()));
    EXPECT_EQ(err(), "TypeError: unsupported operand type(s) for -=: 'Tagged' and 'NoneType'");
    EXPECT_FALSE(binary_op(BinOp::kPow, s.value(), Value::none()));
    EXPECT_EQ(err(), "TypeError: unsupported operand type(s) for ** or pow(): 'str' and 'NoneType'");
}

TEST_F(Core, CompareAndHash) {
    EXPECT_FALSE(rich_compare(Value::small_int(1), Value::object(intern("a")), CmpOp::kLt));
    EXPECT_EQ(err(), "TypeError: '<' not supported between instances of 'int' and 'str'");
    RefT<List> l = new_list();
    EXPECT_EQ(eq(l.value(), l.value()), 1);
    int64_t h;
    EXPECT_FALSE(hash(l.value(), &h));
    EXPECT_EQ(err(), "TypeError: unhashable type: 'list'");
    // A class defining __eq__ without __hash__ is unhashable.
    RefT<Dict> ns = new_dict();
    ASSERT_TRUE(dict_set_str(ns.get(), names::eq_, Value::small_int(0)));
    Ref cls = make_class("E", {}, ns.get());
    Ref inst = call(cls.get(), {});
    EXPECT_FALSE(hash(inst.get(), &h));
    EXPECT_EQ(err(), "TypeError: unhashable type: 'E'");
}

TEST_F(Core, SlotWrappersAndDescriptors) {
    Ref add = getattr(Value::object(&object_type), names::repr_);
    EXPECT_EQ(to_s(add.get()), "<slot wrapper '__repr__' of 'object' objects>");
    Ref app = getattr(Value::object(&list_type), intern("append"));
    EXPECT_EQ(to_s(app.get()), "<method 'append' of 'list' objects>");
    RefT<List> l = new_list();
    Ref r = call(app.get(), {l.value(), Value::small_int(7)});
    ASSERT_TRUE(r) << err();
    EXPECT_EQ(l->size, 1);
    EXPECT_FALSE(call(app.get(), {Value::small_int(1), Value::small_int(2)}));
    EXPECT_EQ(err(), "TypeError: descriptor 'append' for 'list' objects doesn't apply to a 'int' object");
    Ref len = getattr(Value::object(&type_type), intern("mro"));
    ASSERT_TRUE(len) << err();
}

TEST_F(Core, SliceIndices) {
    Ref s = new_slice(Value::none(), Value::none(), Value::small_int(-1));
    int64_t b, e, st, n;
    ASSERT_TRUE(slice_indices(s.as<Slice>(), 5, &b, &e, &st, &n));
    EXPECT_EQ(b, 4);
    EXPECT_EQ(e, -1);
    EXPECT_EQ(st, -1);
    EXPECT_EQ(n, 5);
    Ref s2 = new_slice(Value::small_int(-100), Value::small_int(100), Value::small_int(3));
    ASSERT_TRUE(slice_indices(s2.as<Slice>(), 10, &b, &e, &st, &n));
    EXPECT_EQ(b, 0);
    EXPECT_EQ(e, 10);
    EXPECT_EQ(n, 4);
    Ref s3 = new_slice(Value::none(), Value::none(), Value::small_int(0));
    EXPECT_FALSE(slice_indices(s3.as<Slice>(), 10, &b, &e, &st, &n));
    EXPECT_EQ(err(), "ValueError: slice step cannot be zero");
    EXPECT_EQ(to_s(s2.get()), "slice(-100, 100, 3)");
}

TEST_F(Core, RecursionGuard) {
    // A list containing itself 10000 levels deep: repr must fail cleanly, not crash.
    RefT<List> outer = new_list();
    List* cur = outer.get();
    for (int i = 0; i < 100000; i++) {
        RefT<List> inner = new_list();
        ASSERT_TRUE(list_append(cur, inner.value()));
        cur = inner.get();
    }
    Ref r = repr(outer.value());
    EXPECT_FALSE(r);
    std::string e = err();
    EXPECT_EQ(e.rfind("RecursionError: maximum recursion depth exceeded", 0), 0u) << e;
}

TEST_F(Core, ModuleBasics) {
    RefT<Module> m = new_module("m");
    EXPECT_EQ(to_s(m.value()), "<module 'm'>");
    EXPECT_FALSE(getattr(m.value(), intern("zz")));
    EXPECT_EQ(err(), "AttributeError: module 'm' has no attribute 'zz'");
    ASSERT_TRUE(module_add(m.get(), "zz", Value::small_int(3)));
    EXPECT_EQ(to_s(Ref(getattr(m.value(), intern("zz"))).get()), "3");
}
