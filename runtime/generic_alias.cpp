// generic_alias.cpp: types.GenericAlias (CPython's Objects/genericaliasobject.c, reduced).
#include "runtime/generic_alias.h"

#include <string>

#include "runtime/abstract.h"
#include "runtime/container_util.h"
#include "runtime/errors.h"
#include "runtime/names.h"
#include "runtime/native_function.h"
#include "runtime/str.h"
#include "runtime/tuple.h"

namespace toy {

Type generic_alias_type;

using namespace detail;

namespace {

struct GenericAlias : Object {
    Value origin;  // owned
    Tuple* args;   // owned
};

void ga_dealloc(Object* o) {
    GenericAlias* g = static_cast<GenericAlias*>(o);
    decref(g->origin);
    decref(g->args);
    object_free(o, sizeof(GenericAlias));
}

// One item of the repr (ga_repr_item).
bool repr_item(std::string& out, Value p) {
    if (p.is_ellipsis()) {
        out += "...";
        return true;
    }
    if (p.is_object() && p.as_object()->type == &generic_alias_type) return append_repr(out, p);
    Ref qualname = getattr_or_null(p, names::qualname_);
    if (!qualname) {
        if (error_occurred()) return false;
        return append_repr(out, p);
    }
    Ref module = getattr_or_null(p, names::module_);
    if (!module) {
        if (error_occurred()) return false;
        return append_repr(out, p);
    }
    if (is_str(*module) && is_str(*qualname)) {
        std::string_view m = module.as<Str>()->view();
        if (m != "builtins") {
            out += m;
            out += '.';
        }
        out += qualname.as<Str>()->view();
        return true;
    }
    return append_repr(out, p);
}

Ref ga_repr(Value self) {
    GenericAlias* g = self.as<GenericAlias>();
    std::string out;
    if (!repr_item(out, g->origin)) return nullptr;
    out += '[';
    if (g->args->size == 0) out += "()";
    for (int64_t i = 0; i < g->args->size; ++i) {
        if (i > 0) out += ", ";
        if (!repr_item(out, g->args->items[i])) return nullptr;
    }
    out += ']';
    return str_from(out);
}

Ref ga_compare(Value a, Value b, CmpOp op) {
    bool ga_a = a.is_object() && a.as_object()->type == &generic_alias_type;
    bool ga_b = b.is_object() && b.as_object()->type == &generic_alias_type;
    if (!ga_a || !ga_b || (op != CmpOp::kEq && op != CmpOp::kNe)) return Ref::not_implemented();
    GenericAlias* x = a.as<GenericAlias>();
    GenericAlias* y = b.as<GenericAlias>();
    int r = eq(x->origin, y->origin);
    if (r < 0) return nullptr;
    if (r) {
        r = compare_bool(Value::object(x->args), Value::object(y->args), CmpOp::kEq);
        if (r < 0) return nullptr;
    }
    return Ref::boolean((r != 0) == (op == CmpOp::kEq));
}

bool ga_hash(Value self, int64_t* out) {
    GenericAlias* g = self.as<GenericAlias>();
    int64_t h0, h1;
    if (!hash(g->origin, &h0) || !hash(Value::object(g->args), &h1)) return false;
    int64_t h = h0 ^ h1;
    *out = h == -1 ? -2 : h;
    return true;
}

Ref ga_call(Value self, CallArgs a) { return call(self.as<GenericAlias>()->origin, a); }

Ref ga_getattr(Value self, Str* name) {
    GenericAlias* g = self.as<GenericAlias>();
    std::string_view n = name->view();
    if (n == "__origin__") return Ref::borrow(g->origin);
    if (n == "__args__") return Ref::borrow(Value::object(g->args));
    if (n == "__parameters__") return Ref::borrow(Value::object(empty_tuple()));
    if (n == "__class__") return Ref::borrow(Value::object(&generic_alias_type));
    // Everything else (dunders excluded) comes from the origin, as in CPython.
    if (n.size() < 4 || n.substr(0, 2) != "__") return getattr(g->origin, name);
    return generic_getattr(self, name);
}

}  // namespace

Ref new_generic_alias(Value origin, Value args) {
    RefT<Tuple> t;
    if (is_exact_tuple(args)) {
        t = RefT<Tuple>::borrow(args.as<Tuple>());
    } else {
        t = new_tuple_of({args});
        if (!t) return nullptr;
    }
    GenericAlias* g = new_object<GenericAlias>(&generic_alias_type, 0);
    if (!g) return nullptr;
    incref(origin);
    g->origin = origin;
    g->args = t.release();
    return Ref::steal(g);
}

Ref generic_class_getitem(Value cls, CallArgs a) {
    if (!check_one_arg("__class_getitem__", a)) return nullptr;
    return new_generic_alias(cls, a.args[0]);
}

const MethodDef class_getitem_def = {"__class_getitem__", generic_class_getitem, kMethodClass};

void init_generic_alias_type() {
    Type* t = &generic_alias_type;
    t->name = "types.GenericAlias";
    t->basic_size = sizeof(GenericAlias);
    t->flags |= kImmutableType;
    t->dealloc = ga_dealloc;
    t->repr = ga_repr;
    t->compare = ga_compare;
    t->hash = ga_hash;
    t->call = ga_call;
    t->getattr = ga_getattr;
    type_ready(t, &object_type);
}

}  // namespace toy
