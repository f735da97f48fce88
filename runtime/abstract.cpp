// abstract.cpp: the protocols on any value (CPython's abstract.c / object.c equivalents).
#include "runtime/abstract.h"

#include <cstring>

#include "runtime/dict.h"
#include "runtime/errors.h"
#include "runtime/iterators.h"
#include "runtime/float.h"
#include "runtime/int.h"
#include "runtime/list.h"
#include "runtime/names.h"
#include "runtime/native_function.h"
#include "runtime/str.h"
#include "runtime/thread_state.h"
#include "runtime/tuple.h"
#include "runtime/type_internal.h"

namespace toy {

std::string_view type_name(Value v) {
    Type* t = type_of(v);
    return t ? std::string_view(t->name) : std::string_view("NULL");
}

// ---- attributes -----------------------------------------------------------------------------------

static Ref attribute_error(Value o, Str* name) {
    return raisef(&exc::AttributeError, "'{}' object has no attribute '{}'", type_name(o),
                  name->view());
}

// generic_getattr without raising when missing (*missing set instead).
Ref generic_getattr_impl(Value o, Str* name, bool* missing) {
    Type* tp = type_of(o);
    Value descr = type_lookup(tp, name);
    DescrGetSlot f = nullptr;
    if (!descr.is_null()) {
        Type* dt = type_of(descr);
        f = dt->descr_get;
        if (f && dt->descr_set) {
            Ref hold = Ref::borrow(descr);
            return f(descr, o, tp);
        }
    }
    if (o.is_object() && tp->dict_offset) {
        Dict* d = *reinterpret_cast<Dict**>(reinterpret_cast<char*>(o.as_object()) + tp->dict_offset);
        if (d) {
            Value v = dict_get_str(d, name);
            if (!v.is_null()) return Ref::borrow(v);
        }
    }
    if (f) {
        Ref hold = Ref::borrow(descr);
        return f(descr, o, tp);
    }
    if (!descr.is_null()) return Ref::borrow(descr);
    *missing = true;
    return nullptr;
}

Ref generic_getattr(Value o, Str* name) {
    bool missing = false;
    Ref r = generic_getattr_impl(o, name, &missing);
    if (missing) return attribute_error(o, name);
    return r;
}

Ref getattr(Value o, Str* name) {
    Type* tp = type_of(o);
    GetAttrSlot g = tp->getattr;
    Ref r = g && g != generic_getattr ? g(o, name) : generic_getattr(o, name);
    if (TOY_UNLIKELY(!r)) set_attribute_error_context(o, name);
    return r;
}

Ref getattr_or_null(Value o, Str* name) {
    Type* tp = type_of(o);
    GetAttrSlot g = tp->getattr;
    if (!g || g == generic_getattr) {
        bool missing = false;
        Ref r = generic_getattr_impl(o, name, &missing);
        if (!r && !missing && error_matches(&exc::AttributeError)) clear_error();
        return r;
    }
    if (g == type_getattro) {
        bool missing = false;
        Ref r = type_getattr_impl(o, name, &missing);
        if (!r && !missing && error_matches(&exc::AttributeError)) clear_error();
        return r;
    }
    Ref r = g(o, name);
    if (!r && error_matches(&exc::AttributeError)) clear_error();
    return r;
}

bool generic_setattr(Value o, Str* name, Value v) {
    Type* tp = type_of(o);
    Value descr = type_lookup(tp, name);
    if (!descr.is_null()) {
        DescrSetSlot s = type_of(descr)->descr_set;
        if (s) {
            Ref hold = Ref::borrow(descr);
            return s(descr, o, v);
        }
    }
    Dict** dp = instance_dict_ptr(o);
    if (!dp) {
        if (!descr.is_null()) {
            (void)raisef(&exc::AttributeError, "'{}' object attribute '{}' is read-only", type_name(o),
                   name->view());
        } else {
            (void)attribute_error(o, name);
        }
        return false;
    }
    if (v.is_null()) {
        if (*dp) {
            int r = dict_del(*dp, Value::object(name));
            if (r < 0) return false;
            if (r > 0) return true;
        }
        (void)attribute_error(o, name);
        return false;
    }
    if (!*dp) {
        RefT<Dict> d = new_dict();
        if (!d) return false;
        *dp = d.release();
    }
    return dict_set_str(*dp, name, v);
}

bool setattr(Value o, Str* name, Value v) {
    Type* tp = type_of(o);
    SetAttrSlot s = tp->setattr;
    if (s) return s(o, name, v);
    return generic_setattr(o, name, v);
}

bool delattr(Value o, Str* name) { return setattr(o, name, Value::null()); }

// ---- calls ----------------------------------------------------------------------------------------

Ref call(Value f, CallArgs a) {
    Type* t = type_of(f);
    CallSlot c = t ? t->call : nullptr;
    if (TOY_LIKELY(c != nullptr)) return c(f, a);
    return raisef(&exc::TypeError, "'{}' object is not callable", type_name(f));
}

Ref call(Value f, std::initializer_list<Value> args) {
    return call(f, CallArgs{args.begin(), args.size(), nullptr});
}

Ref call_method(Value self, Str* name, std::initializer_list<Value> args) {
    bool found;
    Ref r = call_special(self, name, args.begin(), args.size(), &found);
    if (!found) return attribute_error(self, name);
    return r;
}

bool is_callable(Value v) {
    Type* t = type_of(v);
    return t && t->call != nullptr;
}

// ---- operators ------------------------------------------------------------------------------------

static const char* const kBinOpSymbols[] = {"+", "-", "*", "/", "//", "%", "**",
                                            "<<", ">>", "&", "|", "^", "@"};
static const char* const kInplaceSymbols[] = {"+=", "-=", "*=", "/=", "//=", "%=", "**=",
                                              "<<=", ">>=", "&=", "|=", "^=", "@="};

// CPython's binary_op1: the left operand's slot first, unless the right operand's type is a
// proper subclass with its own slot.
static Ref binary_op1(int op, Value a, Value b) {
    Type* ta = type_of(a);
    Type* tb = type_of(b);
    BinarySlot slotv = ta->binary[op];
    BinarySlot slotw = nullptr;
    if (tb != ta) {
        slotw = tb->binary[op];
        if (slotw == slotv) slotw = nullptr;
    }
    if (slotv) {
        if (slotw && is_subtype(tb, ta)) {
            Ref x = slotw(a, b);
            if (!x || !x.get().is_not_implemented()) return x;
            slotw = nullptr;
        }
        Ref x = slotv(a, b);
        if (!x || !x.get().is_not_implemented()) return x;
    }
    if (slotw) return slotw(a, b);
    return Ref::not_implemented();
}

Ref binary_op(BinOp bop, Value a, Value b) {
    int op = static_cast<int>(bop);
    Ref r = binary_op1(op, a, b);
    if (!r || !r.get().is_not_implemented()) return r;
    if (bop == BinOp::kPow)
        return raisef(&exc::TypeError, "unsupported operand type(s) for ** or pow(): '{}' and '{}'",
                      type_name(a), type_name(b));
    return raisef(&exc::TypeError, "unsupported operand type(s) for {}: '{}' and '{}'",
                  kBinOpSymbols[op], type_name(a), type_name(b));
}

Ref inplace_op(BinOp bop, Value a, Value b) {
    int op = static_cast<int>(bop);
    Type* ta = type_of(a);
    BinarySlot s = ta->inplace[op];
    if (s) {
        Ref r = s(a, b);
        if (!r || !r.get().is_not_implemented()) return r;
    }
    Ref r = binary_op1(op, a, b);
    if (!r || !r.get().is_not_implemented()) return r;
    return raisef(&exc::TypeError, "unsupported operand type(s) for {}: '{}' and '{}'",
                  kInplaceSymbols[op], type_name(a), type_name(b));
}

Ref negative(Value a) {
    UnarySlot s = type_of(a)->neg;
    if (s) return s(a);
    return raisef(&exc::TypeError, "bad operand type for unary -: '{}'", type_name(a));
}
Ref positive(Value a) {
    UnarySlot s = type_of(a)->pos;
    if (s) return s(a);
    return raisef(&exc::TypeError, "bad operand type for unary +: '{}'", type_name(a));
}
Ref invert(Value a) {
    UnarySlot s = type_of(a)->invert;
    if (s) return s(a);
    return raisef(&exc::TypeError, "bad operand type for unary ~: '{}'", type_name(a));
}
Ref absolute(Value a) {
    UnarySlot s = type_of(a)->abs;
    if (s) return s(a);
    return raisef(&exc::TypeError, "bad operand type for abs(): '{}'", type_name(a));
}

static const CmpOp kSwapped[] = {CmpOp::kGt, CmpOp::kGe, CmpOp::kEq,
                                 CmpOp::kNe, CmpOp::kLt, CmpOp::kLe};
static const char* const kCmpSymbols[] = {"<", "<=", "==", "!=", ">", ">="};

static Ref do_richcompare(Value v, Value w, CmpOp op) {
    Type* tv = type_of(v);
    Type* tw = type_of(w);
    bool checked_reverse = false;
    if (tv != tw && tw->compare && is_subtype(tw, tv)) {
        checked_reverse = true;
        Ref r = tw->compare(w, v, kSwapped[static_cast<int>(op)]);
        if (!r || !r.get().is_not_implemented()) return r;
    }
    if (tv->compare) {
        Ref r = tv->compare(v, w, op);
        if (!r || !r.get().is_not_implemented()) return r;
    }
    if (!checked_reverse && tw->compare) {
        Ref r = tw->compare(w, v, kSwapped[static_cast<int>(op)]);
        if (!r || !r.get().is_not_implemented()) return r;
    }
    switch (op) {
    case CmpOp::kEq: return Ref::boolean(v.is(w));
    case CmpOp::kNe: return Ref::boolean(!v.is(w));
    default:
        return raisef(&exc::TypeError, "'{}' not supported between instances of '{}' and '{}'",
                      kCmpSymbols[static_cast<int>(op)], type_name(v), type_name(w));
    }
}

Ref rich_compare(Value a, Value b, CmpOp op) {
    if (both_small_ints(a, b)) {
        int64_t x = a.as_small_int(), y = b.as_small_int();
        bool r = false;
        switch (op) {
        case CmpOp::kLt: r = x < y; break;
        case CmpOp::kLe: r = x <= y; break;
        case CmpOp::kEq: r = x == y; break;
        case CmpOp::kNe: r = x != y; break;
        case CmpOp::kGt: r = x > y; break;
        case CmpOp::kGe: r = x >= y; break;
        }
        return Ref::boolean(r);
    }
    RecursionGuard guard(" in comparison");
    if (!guard) return nullptr;
    return do_richcompare(a, b, op);
}

int compare_bool(Value a, Value b, CmpOp op) {
    if (a.is(b) && a.is_object()) {
        if (op == CmpOp::kEq) return 1;
        if (op == CmpOp::kNe) return 0;
    }
    Ref r = rich_compare(a, b, op);
    if (!r) return -1;
    Value v = r.get();
    if (v.is_bool()) return v.as_bool();
    return truthy(v);
}

int eq(Value a, Value b) {
    if (a.is(b)) {
        // NaN != NaN, but CPython's containers use identity first: `x is y or x == y`.
        return 1;
    }
    if (both_small_ints(a, b)) return 0;
    if (is_exact_str(a) && is_exact_str(b)) return str_eq(a.as<Str>(), b.as<Str>());
    Ref r = rich_compare(a, b, CmpOp::kEq);
    if (!r) return -1;
    Value v = r.get();
    if (v.is_bool()) return v.as_bool();
    return truthy(v);
}

int truthy(Value v) {
    if (v.is_bool()) return v.as_bool();
    if (v.is_none()) return 0;
    if (v.is_small_int()) return v.as_small_int() != 0;
    if (v.is_double()) return v.as_double() != 0.0;
    Type* t = type_of(v);
    if (t->truth) return t->truth(v);
    if (t->len) {
        int64_t n = t->len(v);
        return n < 0 ? -1 : n != 0;
    }
    return 1;
}

bool hash(Value v, int64_t* out) {
    if (is_exact_str(v)) {
        *out = str_hash(v.as<Str>());
        return true;
    }
    Type* t = type_of(v);
    if (t->hash) return t->hash(v, out);
    (void)raisef(&exc::TypeError, "unhashable type: '{}'", type_name(v));
    return false;
}

// ---- repr / str ------------------------------------------------------------------------------------

Ref repr(Value v) {
    Type* t = type_of(v);
    if (!t->repr) return object_repr(v);
    RecursionGuard guard(" while getting the repr of an object");
    if (!guard) return nullptr;
    Ref r = t->repr(v);
    if (r && !is_str(r.get()))
        return raisef(&exc::TypeError, "__repr__ returned non-string (type {})", type_name(r.get()));
    return r;
}

Ref str(Value v) {
    if (is_exact_str(v)) return Ref::borrow(v);
    Type* t = type_of(v);
    ReprSlot s = t->str ? t->str : t->repr;
    if (!s) return object_repr(v);
    RecursionGuard guard(" while getting the str of an object");
    if (!guard) return nullptr;
    Ref r = s(v);
    if (r && !is_str(r.get()))
        return raisef(&exc::TypeError, "__str__ returned non-string (type {})", type_name(r.get()));
    return r;
}

Ref ascii(Value v) {
    Ref r = repr(v);
    if (!r) return nullptr;
    Str* s = r.as<Str>();
    if (s->ascii) return r;
    std::string out;
    std::string_view in = s->view();
    auto u = reinterpret_cast<const unsigned char*>(in.data());
    size_t n = in.size();
    for (size_t i = 0; i < n;) {
        unsigned char c = u[i];
        if (c < 0x80) {
            out += static_cast<char>(c);
            i++;
            continue;
        }
        uint32_t cp;
        int len;
        if ((c & 0xE0) == 0xC0) {
            cp = c & 0x1F;
            len = 2;
        } else if ((c & 0xF0) == 0xE0) {
            cp = c & 0x0F;
            len = 3;
        } else {
            cp = c & 0x07;
            len = 4;
        }
        for (int k = 1; k < len && i + k < n; k++) cp = (cp << 6) | (u[i + k] & 0x3F);
        i += len;
        if (cp < 0x100)
            out += fmt::format("\\x{:02x}", cp);
        else if (cp < 0x10000)
            out += fmt::format("\\u{:04x}", cp);
        else
            out += fmt::format("\\U{:08x}", cp);
    }
    return Ref(new_str(out));
}

Ref format(Value v, Str* spec) {
    if (spec == nullptr || spec->nbytes == 0) {
        if (is_exact_str(v)) return Ref::borrow(v);
    }
    Value sv = spec ? Value::object(spec) : Value::object(empty_str());
    bool found;
    Ref r = call_special(v, names::format_, &sv, 1, &found);
    if (!found)
        return raisef(&exc::TypeError, "Type {} doesn't define __format__", type_name(v));
    if (r && !is_str(r.get()))
        return raisef(&exc::TypeError, "__format__ must return a str, not {}", type_name(r.get()));
    return r;
}

// ---- iteration -------------------------------------------------------------------------------------

// The sequence-protocol iterator (iter() on an object with __getitem__ only) is
// iterators.h's new_seq_iter.

Ref get_iter(Value v) {
    Type* t = type_of(v);
    if (t->iter) {
        Ref it = t->iter(v);
        if (!it) return nullptr;
        if (!type_of(it.get())->next)
            return raisef(&exc::TypeError, "iter() returned non-iterator of type '{}'",
                          type_name(it.get()));
        return it;
    }
    if (t->getitem && !is_dict(v)) return new_seq_iter(v);
    return raisef(&exc::TypeError, "'{}' object is not iterable", type_name(v));
}

Ref iter_next(Value it) {
    NextSlot n = type_of(it)->next;
    if (TOY_LIKELY(n != nullptr)) return n(it);
    return raisef(&exc::TypeError, "'{}' object is not an iterator", type_name(it));
}

// ---- containers ------------------------------------------------------------------------------------

int64_t length(Value v) {
    LenSlot l = type_of(v)->len;
    if (l) return l(v);
    (void)raisef(&exc::TypeError, "object of type '{}' has no len()", type_name(v));
    return -1;
}

Ref getitem(Value o, Value key) {
    Type* t = type_of(o);
    if (t->getitem) return t->getitem(o, key);
    if (o.is_object() && is_subtype(t, &type_type)) {
        // Class subscription: C[x] calls C.__class_getitem__(x).
        Ref f = getattr_or_null(o, names::class_getitem_);
        if (f) return call(f.get(), {key});
        if (error_occurred()) return nullptr;
        return raisef(&exc::TypeError, "type '{}' is not subscriptable", o.as<Type>()->name);
    }
    return raisef(&exc::TypeError, "'{}' object is not subscriptable", type_name(o));
}

bool setitem(Value o, Value key, Value v) {
    SetItemSlot s = type_of(o)->setitem;
    if (s) return s(o, key, v);
    (void)raisef(&exc::TypeError, "'{}' object does not support item assignment", type_name(o));
    return false;
}

bool delitem(Value o, Value key) {
    SetItemSlot s = type_of(o)->setitem;
    if (s) return s(o, key, Value::null());
    // CPython words it "doesn't" for sequences (types with __getitem__), "does not" otherwise.
    if (type_of(o)->getitem)
        (void)raisef(&exc::TypeError, "'{}' object doesn't support item deletion", type_name(o));
    else
        (void)raisef(&exc::TypeError, "'{}' object does not support item deletion", type_name(o));
    return false;
}

int contains(Value container, Value item) {
    Type* t = type_of(container);
    if (t->contains) return t->contains(container, item);
    if (!t->iter && !t->getitem) {
        (void)raisef(&exc::TypeError, "argument of type '{}' is not iterable", type_name(container));
        return -1;
    }
    Ref it = get_iter(container);
    if (!it) return -1;
    for (;;) {
        Ref x = iter_next(it.get());
        if (!x) return error_occurred() ? -1 : 0;
        int e = eq(x.get(), item);
        if (e != 0) return e;
    }
}

// ---- numbers ---------------------------------------------------------------------------------------

bool index_value(Value v, int64_t* out) {
    if (v.is_small_int()) {
        *out = v.as_small_int();
        return true;
    }
    if (v.is_bool()) {
        *out = v.as_bool();
        return true;
    }
    if (is_int(v)) return int_value(v, out);
    UnarySlot ix = type_of(v)->index;
    if (!ix) {
        (void)raisef(&exc::TypeError, "'{}' object cannot be interpreted as an integer", type_name(v));
        return false;
    }
    Ref r = ix(v);
    if (!r) return false;
    if (!is_int(r.get())) {
        (void)raisef(&exc::TypeError, "__index__ returned non-int (type {})", type_name(r.get()));
        return false;
    }
    return int_value(r.get(), out);
}

// ---- isinstance / issubclass -----------------------------------------------------------------------

static bool is_type(Value v) { return v.is_object() && is_subtype(type_of(v), &type_type); }

// A metaclass-defined __instancecheck__/__subclasscheck__ (not type's own), or null.
static Value user_check_hook(Value cls, Str* name) {
    Type* meta = type_of(cls);
    if (meta == &type_type) return Value::null();
    Value f = type_lookup(meta, name);
    if (f.is_null()) return f;
    Value base = type_lookup(&type_type, name);
    return f.is(base) ? Value::null() : f;
}

bool isinstance(Value v, Value cls) {
    if (is_type(cls)) {
        Type* c = cls.as<Type>();
        if (is_subtype(type_of(v), c)) return true;
        if (!user_check_hook(cls, names::instancecheck_).is_null()) {
            bool found;
            Ref r = call_special(cls, names::instancecheck_, &v, 1, &found);
            if (!r) return false;
            int t = truthy(r.get());
            return t > 0;
        }
        return false;
    }
    if (is_tuple(cls)) {
        RecursionGuard guard(" in __instancecheck__");
        if (!guard) return false;
        Tuple* t = cls.as<Tuple>();
        for (int64_t i = 0; i < t->size; i++) {
            if (isinstance(v, t->items[i])) return true;
            if (error_occurred()) return false;
        }
        return false;
    }
    Value hook = type_lookup(type_of(cls), names::instancecheck_);
    if (!hook.is_null()) {
        bool found;
        Ref r = call_special(cls, names::instancecheck_, &v, 1, &found);
        if (!r) return false;
        return truthy(r.get()) > 0;
    }
    (void)raise(&exc::TypeError, "isinstance() arg 2 must be a type, a tuple of types, or a union");
    return false;
}

bool issubclass(Value sub, Value cls) {
    if (is_type(cls) && user_check_hook(cls, names::subclasscheck_).is_null()) {
        if (!is_type(sub)) {
            (void)raise(&exc::TypeError, "issubclass() arg 1 must be a class");
            return false;
        }
        return is_subtype(sub.as<Type>(), cls.as<Type>());
    }
    if (is_tuple(cls)) {
        RecursionGuard guard(" in __subclasscheck__");
        if (!guard) return false;
        Tuple* t = cls.as<Tuple>();
        for (int64_t i = 0; i < t->size; i++) {
            if (issubclass(sub, t->items[i])) return true;
            if (error_occurred()) return false;
        }
        return false;
    }
    Value hook = type_lookup(type_of(cls), names::subclasscheck_);
    if (!hook.is_null() && !(is_type(cls) && !is_type(sub))) {
        bool found;
        Ref r = call_special(cls, names::subclasscheck_, &sub, 1, &found);
        if (!r) return false;
        return truthy(r.get()) > 0;
    }
    if (is_type(cls)) {
        (void)raise(&exc::TypeError, "issubclass() arg 1 must be a class");
        return false;
    }
    (void)raise(&exc::TypeError, "issubclass() arg 2 must be a class, a tuple of classes, or a union");
    return false;
}

}  // namespace toy
