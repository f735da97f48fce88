// ast_dump.cpp: CPython's ast.dump() format. Field order and the omission rules (optional
// fields that are None are left out; lists are always shown) follow Python.asdl and
// Lib/ast.py of CPython 3.11.
#include "interp/ast_dump.h"
#include "interp/unicode_names.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstring>

namespace toy {

using namespace ast;

std::string ast_float_repr(double d, bool add_dot_0) {
    if (std::isnan(d)) return "nan";
    if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
    std::string s(buf, r.ptr);
    // s = [-]D[.DDD]e[+-]XX
    bool neg = s[0] == '-';
    if (neg) s.erase(0, 1);
    size_t epos = s.find('e');
    int exp = std::stoi(s.substr(epos + 1));
    std::string digits;
    for (size_t i = 0; i < epos; ++i)
        if (s[i] != '.') digits += s[i];
    std::string out = neg ? "-" : "";
    if (exp >= -5 + 1 && exp < 16) {  // Python: use fixed notation when -4 <= exp < 16
        if (exp < 0) {
            out += "0.";
            out.append((size_t)(-exp - 1), '0');
            out += digits;
        } else if ((size_t)exp + 1 >= digits.size()) {
            out += digits;
            out.append((size_t)exp + 1 - digits.size(), '0');
            if (add_dot_0) out += ".0";
        } else {
            out += digits.substr(0, (size_t)exp + 1);
            out += '.';
            out += digits.substr((size_t)exp + 1);
        }
        return out;
    }
    out += digits[0];
    if (digits.size() > 1) {
        out += '.';
        out += digits.substr(1);
    }
    out += fmt::format("e{}{:02}", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    return out;
}

namespace {

// Decodes one UTF-8 code point at s[i]; advances i. Invalid bytes are returned as is.
uint32_t next_cp(std::string_view s, size_t& i) {
    unsigned char c = (unsigned char)s[i];
    int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    if (i + (size_t)n > s.size()) n = 1;
    uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
    for (int k = 1; k < n; ++k) cp = (cp << 6) | ((unsigned char)s[i + (size_t)k] & 0x3F);
    i += (size_t)n;
    return cp;
}

bool printable(uint32_t cp) { return unicode_is_printable(cp); }

std::string str_repr(std::string_view s) {
    bool has_sq = s.find('\'') != std::string_view::npos;
    bool has_dq = s.find('"') != std::string_view::npos;
    char q = has_sq && !has_dq ? '"' : '\'';
    std::string out(1, q);
    for (size_t i = 0; i < s.size();) {
        uint32_t cp = next_cp(s, i);
        if (cp == (uint32_t)q || cp == '\\') {
            out += '\\';
            out += (char)cp;
        } else if (cp == '\t') {
            out += "\\t";
        } else if (cp == '\n') {
            out += "\\n";
        } else if (cp == '\r') {
            out += "\\r";
        } else if (printable(cp)) {
            if (cp < 0x80) {
                out += (char)cp;
            } else {
                // re-encode
                char buf[4];
                int n = cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
                if (n == 2) {
                    buf[0] = (char)(0xC0 | (cp >> 6));
                    buf[1] = (char)(0x80 | (cp & 0x3F));
                } else if (n == 3) {
                    buf[0] = (char)(0xE0 | (cp >> 12));
                    buf[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
                    buf[2] = (char)(0x80 | (cp & 0x3F));
                } else {
                    buf[0] = (char)(0xF0 | (cp >> 18));
                    buf[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
                    buf[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
                    buf[3] = (char)(0x80 | (cp & 0x3F));
                }
                out.append(buf, (size_t)n);
            }
        } else if (cp < 0x100) {
            out += fmt::format("\\x{:02x}", cp);
        } else if (cp < 0x10000) {
            out += fmt::format("\\u{:04x}", cp);
        } else {
            out += fmt::format("\\U{:08x}", cp);
        }
    }
    out += q;
    return out;
}

std::string bytes_repr(std::string_view s) {
    bool has_sq = s.find('\'') != std::string_view::npos;
    bool has_dq = s.find('"') != std::string_view::npos;
    char q = has_sq && !has_dq ? '"' : '\'';
    std::string out = "b";
    out += q;
    for (unsigned char c : s) {
        if (c == (unsigned char)q || c == '\\') {
            out += '\\';
            out += (char)c;
        } else if (c == '\t') {
            out += "\\t";
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c < 0x20 || c >= 0x7F) {
            out += fmt::format("\\x{:02x}", c);
        } else {
            out += (char)c;
        }
    }
    out += q;
    return out;
}

const char* op_name(OperatorKind op) {
    static const char* names[] = {"Add", "Sub", "Mult", "Div", "FloorDiv", "Mod", "Pow",
                                  "LShift", "RShift", "BitAnd", "BitOr", "BitXor", "MatMult"};
    return names[(int)op];
}
const char* cmp_name(CmpOpKind op) {
    static const char* names[] = {"Eq", "NotEq", "Lt", "LtE", "Gt", "GtE", "Is", "IsNot", "In", "NotIn"};
    return names[(int)op];
}
const char* unary_name(UnaryOpKind op) {
    static const char* names[] = {"Invert", "Not", "UAdd", "USub"};
    return names[(int)op];
}
const char* ctx_name(Ctx c) {
    return c == Ctx::Load ? "Load()" : c == Ctx::Store ? "Store()" : "Del()";
}

struct Dumper {
    std::string out;
    bool attrs = false;

    // Writes "name(" ... ")" with comma-separated fields.
    struct Fields {
        Dumper& d;
        bool first = true;
        const Node* node;
        Fields(Dumper& dd, const char* name, const Node* n = nullptr) : d(dd), node(n) {
            d.out += name;
            d.out += '(';
        }
        ~Fields() {
            if (d.attrs && node) {
                const Loc& l = node->loc;
                if (!first) d.out += ", ";
                d.out += fmt::format("lineno={}, col_offset={}, end_lineno={}, end_col_offset={}",
                                     l.line, l.col, l.end_line, l.end_col);
            }
            d.out += ')';
        }
        void key(const char* k) {
            if (!first) d.out += ", ";
            first = false;
            d.out += k;
            d.out += '=';
        }
        void expr(const char* k, const Expr* e) {  // optional: omitted when null
            if (!e) return;
            key(k);
            d.expr(e);
        }
        void expr_req(const char* k, const Expr* e) {
            key(k);
            if (e) d.expr(e);
            else d.out += "None";
        }
        void exprs(const char* k, const std::vector<Expr*>& v) {
            key(k);
            d.out += '[';
            for (size_t i = 0; i < v.size(); ++i) {
                if (i) d.out += ", ";
                if (v[i]) d.expr(v[i]);
                else d.out += "None";
            }
            d.out += ']';
        }
        void stmts(const char* k, const Body& v) {
            key(k);
            d.out += '[';
            for (size_t i = 0; i < v.size(); ++i) {
                if (i) d.out += ", ";
                d.stmt(v[i]);
            }
            d.out += ']';
        }
        void str(const char* k, std::string_view s) {
            key(k);
            d.out += str_repr(s);
        }
        void opt_str(const char* k, std::string_view s) {
            if (s.empty()) return;
            str(k, s);
        }
        void raw(const char* k, std::string_view s) {
            key(k);
            d.out += s;
        }
    };

    void arg(const Arg* a) {
        Fields f(*this, "arg", a);
        f.str("arg", a->arg);
        f.expr("annotation", a->annotation);
    }
    void args(const std::vector<Arg*>& v) {
        out += '[';
        for (size_t i = 0; i < v.size(); ++i) {
            if (i) out += ", ";
            arg(v[i]);
        }
        out += ']';
    }
    void arguments(const Arguments* a) {
        Fields f(*this, "arguments");
        f.key("posonlyargs");
        args(a->posonlyargs);
        f.key("args");
        args(a->args);
        if (a->vararg) {
            f.key("vararg");
            arg(a->vararg);
        }
        f.key("kwonlyargs");
        args(a->kwonlyargs);
        f.exprs("kw_defaults", a->kw_defaults);
        if (a->kwarg) {
            f.key("kwarg");
            arg(a->kwarg);
        }
        f.exprs("defaults", a->defaults);
    }
    void keywords(const std::vector<Keyword*>& v) {
        out += '[';
        for (size_t i = 0; i < v.size(); ++i) {
            if (i) out += ", ";
            Fields f(*this, "keyword", v[i]);
            f.opt_str("arg", v[i]->arg);
            f.expr_req("value", v[i]->value);
        }
        out += ']';
    }
    void generators(const std::vector<Comprehension*>& v) {
        out += '[';
        for (size_t i = 0; i < v.size(); ++i) {
            if (i) out += ", ";
            Fields f(*this, "comprehension");
            f.expr_req("target", v[i]->target);
            f.expr_req("iter", v[i]->iter);
            f.exprs("ifs", v[i]->ifs);
            f.raw("is_async", v[i]->is_async ? "1" : "0");
        }
        out += ']';
    }
    void aliases(const std::vector<Alias*>& v) {
        out += '[';
        for (size_t i = 0; i < v.size(); ++i) {
            if (i) out += ", ";
            Fields f(*this, "alias", v[i]);
            f.str("name", v[i]->name);
            f.opt_str("asname", v[i]->asname);
        }
        out += ']';
    }
    void constant(const Constant* c) {
        switch (c->ckind) {
        case ConstKind::None: out += "None"; break;
        case ConstKind::True: out += "True"; break;
        case ConstKind::False: out += "False"; break;
        case ConstKind::Ellipsis: out += "Ellipsis"; break;
        case ConstKind::Int:
            if (!c->big.empty()) out += c->big;
            else out += fmt::format("{}", c->i);
            break;
        case ConstKind::Float: out += ast_float_repr(c->f); break;
        case ConstKind::Complex: out += ast_float_repr(c->f, false) + "j"; break;
        case ConstKind::Str: out += str_repr(c->s); break;
        case ConstKind::Bytes: out += bytes_repr(c->s); break;
        }
    }

    void expr(const Expr* e) {
        switch (e->kind) {
        case ExprKind::BoolOp: {
            auto* x = static_cast<const BoolOp*>(e);
            Fields f(*this, "BoolOp", e);
            f.raw("op", x->op == BoolOpKind::And ? "And()" : "Or()");
            f.exprs("values", x->values);
            break;
        }
        case ExprKind::NamedExpr: {
            auto* x = static_cast<const NamedExpr*>(e);
            Fields f(*this, "NamedExpr", e);
            f.expr_req("target", x->target);
            f.expr_req("value", x->value);
            break;
        }
        case ExprKind::BinOp: {
            auto* x = static_cast<const BinOp*>(e);
            Fields f(*this, "BinOp", e);
            f.expr_req("left", x->left);
            f.raw("op", std::string(op_name(x->op)) + "()");
            f.expr_req("right", x->right);
            break;
        }
        case ExprKind::UnaryOp: {
            auto* x = static_cast<const UnaryOp*>(e);
            Fields f(*this, "UnaryOp", e);
            f.raw("op", std::string(unary_name(x->op)) + "()");
            f.expr_req("operand", x->operand);
            break;
        }
        case ExprKind::Lambda: {
            auto* x = static_cast<const Lambda*>(e);
            Fields f(*this, "Lambda", e);
            f.key("args");
            arguments(x->args);
            f.expr_req("body", x->body);
            break;
        }
        case ExprKind::IfExp: {
            auto* x = static_cast<const IfExp*>(e);
            Fields f(*this, "IfExp", e);
            f.expr_req("test", x->test);
            f.expr_req("body", x->body);
            f.expr_req("orelse", x->orelse);
            break;
        }
        case ExprKind::Dict: {
            auto* x = static_cast<const Dict*>(e);
            Fields f(*this, "Dict", e);
            f.exprs("keys", x->keys);
            f.exprs("values", x->values);
            break;
        }
        case ExprKind::Set: {
            Fields f(*this, "Set", e);
            f.exprs("elts", static_cast<const Set*>(e)->elts);
            break;
        }
        case ExprKind::ListComp: {
            auto* x = static_cast<const ListComp*>(e);
            Fields f(*this, "ListComp", e);
            f.expr_req("elt", x->elt);
            f.key("generators");
            generators(x->generators);
            break;
        }
        case ExprKind::SetComp: {
            auto* x = static_cast<const SetComp*>(e);
            Fields f(*this, "SetComp", e);
            f.expr_req("elt", x->elt);
            f.key("generators");
            generators(x->generators);
            break;
        }
        case ExprKind::GeneratorExp: {
            auto* x = static_cast<const GeneratorExp*>(e);
            Fields f(*this, "GeneratorExp", e);
            f.expr_req("elt", x->elt);
            f.key("generators");
            generators(x->generators);
            break;
        }
        case ExprKind::DictComp: {
            auto* x = static_cast<const DictComp*>(e);
            Fields f(*this, "DictComp", e);
            f.expr_req("key", x->key);
            f.expr_req("value", x->value);
            f.key("generators");
            generators(x->generators);
            break;
        }
        case ExprKind::Await: {
            Fields f(*this, "Await", e);
            f.expr_req("value", static_cast<const Await*>(e)->value);
            break;
        }
        case ExprKind::Yield: {
            Fields f(*this, "Yield", e);
            f.expr("value", static_cast<const Yield*>(e)->value);
            break;
        }
        case ExprKind::YieldFrom: {
            Fields f(*this, "YieldFrom", e);
            f.expr_req("value", static_cast<const YieldFrom*>(e)->value);
            break;
        }
        case ExprKind::Compare: {
            auto* x = static_cast<const Compare*>(e);
            Fields f(*this, "Compare", e);
            f.expr_req("left", x->left);
            f.key("ops");
            out += '[';
            for (size_t i = 0; i < x->ops.size(); ++i) {
                if (i) out += ", ";
                out += cmp_name(x->ops[i]);
                out += "()";
            }
            out += ']';
            f.exprs("comparators", x->comparators);
            break;
        }
        case ExprKind::Call: {
            auto* x = static_cast<const Call*>(e);
            Fields f(*this, "Call", e);
            f.expr_req("func", x->func);
            f.exprs("args", x->args);
            f.key("keywords");
            keywords(x->keywords);
            break;
        }
        case ExprKind::FormattedValue: {
            auto* x = static_cast<const FormattedValue*>(e);
            Fields f(*this, "FormattedValue", e);
            f.expr_req("value", x->value);
            f.raw("conversion", fmt::format("{}", x->conversion));
            f.expr("format_spec", x->format_spec);
            break;
        }
        case ExprKind::JoinedStr: {
            Fields f(*this, "JoinedStr", e);
            f.exprs("values", static_cast<const JoinedStr*>(e)->values);
            break;
        }
        case ExprKind::Constant: {
            auto* x = static_cast<const Constant*>(e);
            Fields f(*this, "Constant", e);
            f.key("value");
            constant(x);
            if (x->kind_u) f.raw("kind", "'u'");
            break;
        }
        case ExprKind::Attribute: {
            auto* x = static_cast<const Attribute*>(e);
            Fields f(*this, "Attribute", e);
            f.expr_req("value", x->value);
            f.str("attr", x->attr);
            f.raw("ctx", ctx_name(x->ctx));
            break;
        }
        case ExprKind::Subscript: {
            auto* x = static_cast<const Subscript*>(e);
            Fields f(*this, "Subscript", e);
            f.expr_req("value", x->value);
            f.expr_req("slice", x->slice);
            f.raw("ctx", ctx_name(x->ctx));
            break;
        }
        case ExprKind::Starred: {
            auto* x = static_cast<const Starred*>(e);
            Fields f(*this, "Starred", e);
            f.expr_req("value", x->value);
            f.raw("ctx", ctx_name(x->ctx));
            break;
        }
        case ExprKind::Name: {
            auto* x = static_cast<const Name*>(e);
            Fields f(*this, "Name", e);
            f.str("id", x->id);
            f.raw("ctx", ctx_name(x->ctx));
            break;
        }
        case ExprKind::List: {
            auto* x = static_cast<const List*>(e);
            Fields f(*this, "List", e);
            f.exprs("elts", x->elts);
            f.raw("ctx", ctx_name(x->ctx));
            break;
        }
        case ExprKind::Tuple: {
            auto* x = static_cast<const Tuple*>(e);
            Fields f(*this, "Tuple", e);
            f.exprs("elts", x->elts);
            f.raw("ctx", ctx_name(x->ctx));
            break;
        }
        case ExprKind::Slice: {
            auto* x = static_cast<const Slice*>(e);
            Fields f(*this, "Slice", e);
            f.expr("lower", x->lower);
            f.expr("upper", x->upper);
            f.expr("step", x->step);
            break;
        }
        }
    }

    void stmt(const Stmt* s) {
        switch (s->kind) {
        case StmtKind::FunctionDef:
        case StmtKind::AsyncFunctionDef: {
            auto* x = static_cast<const FunctionDef*>(s);
            Fields f(*this, s->kind == StmtKind::FunctionDef ? "FunctionDef" : "AsyncFunctionDef", s);
            f.str("name", x->name);
            f.key("args");
            arguments(x->args);
            f.stmts("body", x->body);
            f.exprs("decorator_list", x->decorator_list);
            f.expr("returns", x->returns);
            break;
        }
        case StmtKind::ClassDef: {
            auto* x = static_cast<const ClassDef*>(s);
            Fields f(*this, "ClassDef", s);
            f.str("name", x->name);
            f.exprs("bases", x->bases);
            f.key("keywords");
            keywords(x->keywords);
            f.stmts("body", x->body);
            f.exprs("decorator_list", x->decorator_list);
            break;
        }
        case StmtKind::Return: {
            Fields f(*this, "Return", s);
            f.expr("value", static_cast<const Return*>(s)->value);
            break;
        }
        case StmtKind::Delete: {
            Fields f(*this, "Delete", s);
            f.exprs("targets", static_cast<const Delete*>(s)->targets);
            break;
        }
        case StmtKind::Assign: {
            auto* x = static_cast<const Assign*>(s);
            Fields f(*this, "Assign", s);
            f.exprs("targets", x->targets);
            f.expr_req("value", x->value);
            break;
        }
        case StmtKind::AugAssign: {
            auto* x = static_cast<const AugAssign*>(s);
            Fields f(*this, "AugAssign", s);
            f.expr_req("target", x->target);
            f.raw("op", std::string(op_name(x->op)) + "()");
            f.expr_req("value", x->value);
            break;
        }
        case StmtKind::AnnAssign: {
            auto* x = static_cast<const AnnAssign*>(s);
            Fields f(*this, "AnnAssign", s);
            f.expr_req("target", x->target);
            f.expr_req("annotation", x->annotation);
            f.expr("value", x->value);
            f.raw("simple", x->simple ? "1" : "0");
            break;
        }
        case StmtKind::For:
        case StmtKind::AsyncFor: {
            auto* x = static_cast<const For*>(s);
            Fields f(*this, s->kind == StmtKind::For ? "For" : "AsyncFor", s);
            f.expr_req("target", x->target);
            f.expr_req("iter", x->iter);
            f.stmts("body", x->body);
            f.stmts("orelse", x->orelse);
            break;
        }
        case StmtKind::While: {
            auto* x = static_cast<const While*>(s);
            Fields f(*this, "While", s);
            f.expr_req("test", x->test);
            f.stmts("body", x->body);
            f.stmts("orelse", x->orelse);
            break;
        }
        case StmtKind::If: {
            auto* x = static_cast<const If*>(s);
            Fields f(*this, "If", s);
            f.expr_req("test", x->test);
            f.stmts("body", x->body);
            f.stmts("orelse", x->orelse);
            break;
        }
        case StmtKind::With:
        case StmtKind::AsyncWith: {
            auto* x = static_cast<const With*>(s);
            Fields f(*this, s->kind == StmtKind::With ? "With" : "AsyncWith", s);
            f.key("items");
            out += '[';
            for (size_t i = 0; i < x->items.size(); ++i) {
                if (i) out += ", ";
                Fields g(*this, "withitem");
                g.expr_req("context_expr", x->items[i]->context_expr);
                g.expr("optional_vars", x->items[i]->optional_vars);
            }
            out += ']';
            f.stmts("body", x->body);
            break;
        }
        case StmtKind::Match: {
            Fields f(*this, "Match", s);
            break;
        }
        case StmtKind::Raise: {
            auto* x = static_cast<const Raise*>(s);
            Fields f(*this, "Raise", s);
            f.expr("exc", x->exc);
            f.expr("cause", x->cause);
            break;
        }
        case StmtKind::Try:
        case StmtKind::TryStar: {
            auto* x = static_cast<const Try*>(s);
            Fields f(*this, s->kind == StmtKind::Try ? "Try" : "TryStar", s);
            f.stmts("body", x->body);
            f.key("handlers");
            out += '[';
            for (size_t i = 0; i < x->handlers.size(); ++i) {
                if (i) out += ", ";
                Fields g(*this, "ExceptHandler", x->handlers[i]);
                g.expr("type", x->handlers[i]->type);
                g.opt_str("name", x->handlers[i]->name);
                g.stmts("body", x->handlers[i]->body);
            }
            out += ']';
            f.stmts("orelse", x->orelse);
            f.stmts("finalbody", x->finalbody);
            break;
        }
        case StmtKind::Assert: {
            auto* x = static_cast<const Assert*>(s);
            Fields f(*this, "Assert", s);
            f.expr_req("test", x->test);
            f.expr("msg", x->msg);
            break;
        }
        case StmtKind::Import: {
            Fields f(*this, "Import", s);
            f.key("names");
            aliases(static_cast<const Import*>(s)->names);
            break;
        }
        case StmtKind::ImportFrom: {
            auto* x = static_cast<const ImportFrom*>(s);
            Fields f(*this, "ImportFrom", s);
            f.opt_str("module", x->module);
            f.key("names");
            aliases(x->names);
            f.raw("level", fmt::format("{}", x->level));
            break;
        }
        case StmtKind::Global:
        case StmtKind::Nonlocal: {
            const auto& names = s->kind == StmtKind::Global ? static_cast<const Global*>(s)->names
                                                            : static_cast<const Nonlocal*>(s)->names;
            Fields f(*this, s->kind == StmtKind::Global ? "Global" : "Nonlocal", s);
            f.key("names");
            out += '[';
            for (size_t i = 0; i < names.size(); ++i) {
                if (i) out += ", ";
                out += str_repr(names[i]);
            }
            out += ']';
            break;
        }
        case StmtKind::Expr: {
            Fields f(*this, "Expr", s);
            f.expr_req("value", static_cast<const ExprStmt*>(s)->value);
            break;
        }
        case StmtKind::Pass: { Fields f(*this, "Pass", s); break; }
        case StmtKind::Break: { Fields f(*this, "Break", s); break; }
        case StmtKind::Continue: { Fields f(*this, "Continue", s); break; }
        }
    }
};

}  // namespace

std::string ast_dump(const Module* m, bool include_attributes) {
    Dumper d;
    d.attrs = include_attributes;
    {
        Dumper::Fields f(d, "Module");
        f.stmts("body", m->body);
        f.raw("type_ignores", "[]");
    }
    return std::move(d.out);
}

std::string ast_dump(const Expr* e, bool include_attributes) {
    Dumper d;
    d.attrs = include_attributes;
    d.expr(e);
    return std::move(d.out);
}

std::string ast_dump(const Stmt* s, bool include_attributes) {
    Dumper d;
    d.attrs = include_attributes;
    d.stmt(s);
    return std::move(d.out);
}

}  // namespace toy
