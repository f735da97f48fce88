// structseq.cpp: struct sequences and SimpleNamespace (see structseq.h).
#include "stdlib/structseq.h"

#include <cstddef>
#include <string>

#include "runtime/abstract.h"
#include "runtime/dict.h"
#include "runtime/errors.h"
#include "runtime/str.h"
#include "runtime/tuple.h"
#include "stdlib/util.h"

namespace toy {

Type simple_namespace_type;

namespace {

Ref ss_getattr(Value self, Str* name) {
    auto* t = static_cast<StructSeqType*>(self.as_object()->type);
    Tuple* tup = self.as<Tuple>();
    for (int i = 0; i < t->nfields && i < tup->size; ++i) {
        if (name->view() == t->fields[i]) return Ref::borrow(tup->items[i]);
    }
    return generic_getattr(self, name);
}

Ref ss_repr(Value self) {
    auto* t = static_cast<StructSeqType*>(self.as_object()->type);
    Tuple* tup = self.as<Tuple>();
    std::string out = t->name;
    out += '(';
    for (int i = 0; i < t->nfields && i < tup->size; ++i) {
        if (i) out += ", ";
        Ref r = repr(tup->items[i]);
        if (!r) return nullptr;
        out += t->fields[i];
        out += '=';
        out += detail::str_view(r.get());
    }
    out += ')';
    return new_str(out);
}

struct Namespace : Object {
    Dict* dict = nullptr;
};

void ns_dealloc(Object* o) {
    auto* n = static_cast<Namespace*>(o);
    if (n->dict) decref(n->dict);
    object_free(n, sizeof(Namespace));
}

Ref ns_repr(Value self) {
    auto* n = self.as<Namespace>();
    std::string out = "namespace(";
    if (n->dict) {
        int64_t pos = 0;
        Value k, v;
        bool first = true;
        while (dict_next(n->dict, &pos, &k, &v)) {
            if (!first) out += ", ";
            first = false;
            Ref r = repr(v);
            if (!r) return nullptr;
            if (is_str(k)) out += detail::str_view(k);
            out += '=';
            out += detail::str_view(r.get());
        }
    }
    out += ')';
    return new_str(out);
}

}  // namespace

void init_structseq_type(StructSeqType* t, const char* name, const char* const* fields, int n) {
    t->name = name;
    t->fields = fields;
    t->nfields = n;
    t->basic_size = tuple_type.basic_size;
    t->flags |= kTupleSubclass;
    t->getattr = ss_getattr;
    t->repr = ss_repr;
    type_ready(t, &tuple_type);
}

Ref new_structseq(StructSeqType* t, std::initializer_list<Value> owned_items) {
    RefT<Tuple> tup = new_tuple(static_cast<int64_t>(owned_items.size()));
    if (!tup) {
        for (Value v : owned_items) decref(v);
        return nullptr;
    }
    int64_t i = 0;
    for (Value v : owned_items) tup->items[i++] = v;
    tup->type = t;  // static, immortal type: no reference to take
    return Ref(std::move(tup));
}

void init_simple_namespace_type() {
    simple_namespace_type.name = "types.SimpleNamespace";
    simple_namespace_type.basic_size = sizeof(Namespace);
    simple_namespace_type.dict_offset = static_cast<int32_t>(sizeof(Object));  // `dict` is the first member
    simple_namespace_type.dealloc = ns_dealloc;
    simple_namespace_type.repr = ns_repr;
    type_ready(&simple_namespace_type, &object_type);
}

Ref new_simple_namespace(std::initializer_list<std::pair<const char*, Value>> attrs) {
    auto* n = new_object<Namespace>(&simple_namespace_type, 0);
    if (!n) return nullptr;
    Ref r = Ref::steal(n);
    RefT<Dict> d = new_dict();
    if (!d) return nullptr;
    for (const auto& [k, v] : attrs) {
        if (!dict_set_str(d.get(), intern(k), v)) return nullptr;
    }
    n->dict = d.release();
    return r;
}

}  // namespace toy
