// code.cpp: opcode metadata generated from opcodes.def, and the code object type.
#include "interp/code.h"

#include <fmt/format.h>

#include <mutex>

#include "runtime/int.h"
#include "runtime/native_function.h"
#include "runtime/str.h"
#include "runtime/tuple.h"

namespace toy {

const OpInfo kOpInfo[static_cast<int>(Op::kCount)] = {
#define OP(name, operand, pops, pushes, caches, flags) \
    {#name, OperandKind::operand, caches, static_cast<uint8_t>(flags)},
#include "interp/opcodes.def"
#undef OP
};

int stack_effect(Op op, uint32_t uarg) {
    [[maybe_unused]] int arg = static_cast<int>(uarg);
    switch (op) {
#define OP(name, operand, pops, pushes, caches, flags) \
    case Op::name:                                     \
        return static_cast<int>(pushes) - static_cast<int>(pops);
#include "interp/opcodes.def"
#undef OP
    default:
        return 0;
    }
}

int jump_stack_effect(Op op, uint32_t arg) {
    switch (op) {
    case Op::FOR_ITER:
        return -1;  // the exhausted iterator is popped
    case Op::JUMP_IF_FALSE_OR_POP:
    case Op::JUMP_IF_TRUE_OR_POP:
        return 0;  // the tested value stays
    default:
        return stack_effect(op, arg);
    }
}

Type code_type;

namespace {

void code_dealloc(Object* o) {
    auto* c = static_cast<CodeObject*>(o);
    if (c->consts) decref(c->consts);
    if (c->names) decref(c->names);
    if (c->localsplus_names) decref(c->localsplus_names);
    if (c->name) decref(c->name);
    if (c->qualname) decref(c->qualname);
    if (c->filename) decref(c->filename);
    c->~CodeObject();
    object_free(c, sizeof(CodeObject));
}

Ref code_repr(Value v) {
    auto* c = v.as<CodeObject>();
    std::string s = fmt::format("<code object {} at {}, file \"{}\", line {}>",
                                c->name ? c->name->view() : "?", static_cast<const void*>(c),
                                c->filename ? c->filename->view() : "?", c->firstlineno);
    return new_str(s);
}

CodeObject* as_code(Value v) { return v.as<CodeObject>(); }
Ref str_or_none(Str* s) { return s ? Ref::borrow(Value::object(s)) : Ref::none(); }
Ref co_name(Value v) { return str_or_none(as_code(v)->name); }
Ref co_qualname(Value v) { return str_or_none(as_code(v)->qualname); }
Ref co_filename(Value v) { return str_or_none(as_code(v)->filename); }
Ref co_firstlineno(Value v) { return make_int(as_code(v)->firstlineno); }
Ref co_flags(Value v) { return make_int(as_code(v)->flags); }
Ref co_argcount(Value v) { return make_int(as_code(v)->argcount); }
Ref co_posonlyargcount(Value v) { return make_int(as_code(v)->posonlyargcount); }
Ref co_kwonlyargcount(Value v) { return make_int(as_code(v)->kwonlyargcount); }
Ref co_nlocals(Value v) { return make_int(as_code(v)->nlocals); }
Ref co_stacksize(Value v) { return make_int(as_code(v)->stacksize); }
Ref co_consts(Value v) {
    CodeObject* c = as_code(v);
    return c->consts ? Ref::borrow(Value::object(c->consts)) : Ref(new_tuple(0));
}
Ref co_names(Value v) {
    CodeObject* c = as_code(v);
    return c->names ? Ref::borrow(Value::object(c->names)) : Ref(new_tuple(0));
}
// A slice of localsplus_names: [begin, begin + n).
Ref names_slice(CodeObject* c, uint32_t begin, uint32_t n) {
    RefT<Tuple> t = new_tuple(n);
    if (!t) return nullptr;
    for (uint32_t i = 0; i < n; ++i) {
        Value name = c->localsplus_names->items[begin + i];
        incref(name);
        t->items[i] = name;
    }
    return Ref(std::move(t));
}
Ref co_varnames(Value v) { return names_slice(as_code(v), 0, as_code(v)->nlocals); }
Ref co_cellvars(Value v) { return names_slice(as_code(v), as_code(v)->nlocals, as_code(v)->ncells); }
Ref co_freevars(Value v) {
    CodeObject* c = as_code(v);
    return names_slice(c, c->nlocals + c->ncells, c->nfrees);
}

const GetSetDef kCodeGetSets[] = {
    {"co_name", co_name},
    {"co_qualname", co_qualname},
    {"co_filename", co_filename},
    {"co_firstlineno", co_firstlineno},
    {"co_flags", co_flags},
    {"co_argcount", co_argcount},
    {"co_posonlyargcount", co_posonlyargcount},
    {"co_kwonlyargcount", co_kwonlyargcount},
    {"co_nlocals", co_nlocals},
    {"co_stacksize", co_stacksize},
    {"co_consts", co_consts},
    {"co_names", co_names},
    {"co_varnames", co_varnames},
    {"co_cellvars", co_cellvars},
    {"co_freevars", co_freevars},
    {nullptr, nullptr},
};

}  // namespace

void init_code_type() {
    static std::once_flag once;
    std::call_once(once, [] {
        code_type.name = "code";
        code_type.basic_size = sizeof(CodeObject);
        code_type.dealloc = code_dealloc;
        code_type.repr = code_repr;
        code_type.getsets = kCodeGetSets;
        type_ready(&code_type, &object_type);
    });
}

RefT<CodeObject> new_code() {
    init_code_type();
    CodeObject* c = new_object<CodeObject>(&code_type, 0);
    return RefT<CodeObject>::steal(c);
}

}  // namespace toy
