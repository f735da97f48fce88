// disasm.cpp: the disassembler (CPython's dis format, see disasm.h).
#include "interp/disasm.h"

#include <fmt/format.h>

#include <set>

#include "runtime/abstract.h"
#include "runtime/errors.h"
#include "runtime/str.h"
#include "runtime/tuple.h"

namespace toy {

namespace {

const char* const kBinOpNames[] = {"+", "-", "*", "/", "//", "%", "**", "<<", ">>", "&", "|", "^",
                                   "@"};
const char* const kCmpOpNames[] = {"<", "<=", "==", "!=", ">", ">="};

std::string code_label(CodeObject* c) {
    return fmt::format("<code object {}, file \"{}\", line {}>", c->name ? c->name->view() : "?",
                       c->filename ? c->filename->view() : "?", c->firstlineno);
}

std::string const_repr(Value v) {
    if (v.is_object() && v.as_object()->type == &code_type) return code_label(v.as<CodeObject>());
    if (is_exact_tuple(v)) {
        Tuple* t = v.as<Tuple>();
        std::string s = "(";
        for (int64_t i = 0; i < t->size; ++i) {
            if (i) s += ", ";
            s += const_repr(t->items[i]);
        }
        if (t->size == 1) s += ",";
        return s + ")";
    }
    Ref r = repr(v);
    if (!r) {
        clear_error();
        return "<?>";
    }
    return std::string(r.as<Str>()->view());
}

std::string str_item(Tuple* t, uint32_t i) {
    if (!t || i >= static_cast<uint32_t>(t->size)) return "<?>";
    Value v = t->items[i];
    if (!is_str(v)) return "<?>";
    return std::string(v.as<Str>()->view());
}

std::string argrepr(CodeObject* c, Op op, uint32_t arg) {
    const OpInfo& info = kOpInfo[static_cast<int>(op)];
    switch (info.operand) {
    case OperandKind::CONST:
        if (!c->consts || arg >= static_cast<uint32_t>(c->consts->size)) return "<?>";
        return const_repr(c->consts->items[arg]);
    case OperandKind::NAME:
        return str_item(c->names, arg);
    case OperandKind::LOCAL:
        return str_item(c->localsplus_names, arg);
    case OperandKind::JUMP:
        return fmt::format("to {}", arg);
    case OperandKind::ENUM:
        if (op == Op::BINARY_OP) {
            uint32_t base = arg & ~kInplaceBit;
            if (base >= std::size(kBinOpNames)) return "<?>";
            return fmt::format("{}{}", kBinOpNames[base], (arg & kInplaceBit) ? "=" : "");
        }
        if (op == Op::COMPARE_OP) return arg < std::size(kCmpOpNames) ? kCmpOpNames[arg] : "<?>";
        return {};
    case OperandKind::FLAGS:
        if (op == Op::FORMAT_VALUE) {
            static const char* const conv[] = {"", "str", "repr", "ascii"};
            std::string s = conv[arg & 3];
            if (arg & 4) s += s.empty() ? "with format" : ", with format";
            return s;
        }
        if (op == Op::MAKE_FUNCTION) {
            std::string s;
            auto add = [&](const char* w) {
                if (!s.empty()) s += ", ";
                s += w;
            };
            if (arg & 1) add("defaults");
            if (arg & 2) add("kwdefaults");
            if (arg & 8) add("closure");
            return s;
        }
        return {};
    default:
        return {};
    }
}

void disassemble_one(CodeObject* c, std::string& out) {
    std::set<uint32_t> targets;
    for (size_t pc = 0; pc < c->code.size();) {
        Op op = decode_op(c->code[pc]);
        if (static_cast<int>(op) >= static_cast<int>(Op::kCount)) {
            ++pc;
            continue;
        }
        const OpInfo& info = kOpInfo[static_cast<int>(op)];
        if (info.flags & kJumps) targets.insert(decode_arg(c->code[pc]));
        pc += 1 + info.caches;
    }
    for (const auto& e : c->exception_table) targets.insert(e.target);
    size_t offset_width = std::max<size_t>(4, fmt::format("{}", c->code.size()).size());
    int last_line = -1;
    for (size_t pc = 0; pc < c->code.size();) {
        uint32_t word = c->code[pc];
        Op op = decode_op(word);
        if (static_cast<int>(op) >= static_cast<int>(Op::kCount)) {
            out += fmt::format("{:>{}} <bad opcode {}>\n", pc, offset_width + 9,
                               static_cast<int>(op));
            ++pc;
            continue;
        }
        const OpInfo& info = kOpInfo[static_cast<int>(op)];
        uint32_t arg = decode_arg(word);
        int line = pc < c->positions.size() ? c->positions[pc].line : 0;
        std::string s;
        if (line > 0 && line != last_line) {
            if (last_line != -1) out += "\n";
            s += fmt::format("{:>3}", line);
            last_line = line;
        } else {
            s += "   ";
        }
        s += "    ";
        s += targets.count(static_cast<uint32_t>(pc)) ? ">>" : "  ";
        s += fmt::format(" {:>{}} {:<20}", pc, offset_width, info.name);
        if (info.operand != OperandKind::NONE) {
            s += fmt::format(" {:>5}", arg);
            std::string r = argrepr(c, op, arg);
            if (!r.empty()) s += " (" + r + ")";
        }
        while (!s.empty() && s.back() == ' ') s.pop_back();
        out += s;
        out += '\n';
        pc += 1 + info.caches;
    }
    if (!c->exception_table.empty()) {
        out += "ExceptionTable:\n";
        for (const auto& e : c->exception_table) {
            out += fmt::format("  {} to {} -> {} [{}]{}\n", e.start, e.end - 1, e.target,
                               static_cast<uint32_t>(e.depth), e.push_lasti ? " lasti" : "");
        }
    }
}

}  // namespace

std::string disassemble(CodeObject* code) {
    std::string out;
    disassemble_one(code, out);
    if (code->consts) {
        for (int64_t i = 0; i < code->consts->size; ++i) {
            Value v = code->consts->items[i];
            if (v.is_object() && v.as_object()->type == &code_type) {
                out += fmt::format("\nDisassembly of {}:\n", code_label(v.as<CodeObject>()));
                out += disassemble(v.as<CodeObject>());
            }
        }
    }
    return out;
}

}  // namespace toy
