// code.cpp: opcode metadata generated from opcodes.def, and the code object type.
#include "interp/code.h"

#include <fmt/format.h>

#include <mutex>

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

}  // namespace

void init_code_type() {
    static std::once_flag once;
    std::call_once(once, [] {
        code_type.name = "code";
        code_type.basic_size = sizeof(CodeObject);
        code_type.dealloc = code_dealloc;
        code_type.repr = code_repr;
        type_ready(&code_type, &object_type);
    });
}

RefT<CodeObject> new_code() {
    init_code_type();
    CodeObject* c = new_object<CodeObject>(&code_type, 0);
    return RefT<CodeObject>::steal(c);
}

}  // namespace toy
