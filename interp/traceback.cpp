// traceback.cpp: traceback objects and CPython 3.11's exception printing.
#include "interp/traceback.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <mutex>
#include <new>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "interp/frame.h"
#include "runtime/abstract.h"
#include "runtime/dict.h"
#include "runtime/errors.h"
#include "runtime/fork.h"
#include "runtime/interpreter.h"
#include "runtime/list.h"
#include "runtime/module.h"
#include "runtime/str.h"
#include "runtime/thread_state.h"
#include "runtime/tuple.h"

namespace toy {

Type traceback_type;

namespace {

Ref get_attr_quiet(Value o, const char* name);

void tb_dealloc(Object* o) {
    Traceback* tb = static_cast<Traceback*>(o);
    // Unlink iteratively so that long chains do not recurse deeply.
    Value next = tb->next;
    tb->next = Value::null();
    decref(tb->code);
    Value locals = tb->frame_locals;
    tb->frame_locals = Value::null();
    Dict* globals = tb->globals;
    object_free(tb, sizeof(Traceback));
    decref(locals);
    if (globals) decref(globals);
    while (next.is_object()) {
        Traceback* n = next.as<Traceback>();
        if (n->refcnt > 1) {
            decref(next);
            break;
        }
        Value nn = n->next;
        n->next = Value::null();
        // (n's frame_locals are released by its own dealloc below)
        decref(next);  // frees n (its next is already detached)
        next = nn;
    }
}

Ref tb_get_next(Value self) {
    Value n = self.as<Traceback>()->next;
    return n.is_null() ? Ref::none() : Ref::borrow(n);
}
bool tb_set_next(Value self, Value v) {
    Traceback* tb = self.as<Traceback>();
    if (!v.is_null() && !v.is_none() && type_of(v) != &traceback_type) {
        (void)raisef(&exc::TypeError, "expected traceback object or None, got '{}'", type_name(v));
        return false;
    }
    Value nv = (v.is_null() || v.is_none()) ? Value::null() : v;
    // Refuse loops.
    for (Value c = nv; c.is_object(); c = c.as<Traceback>()->next) {
        if (c.is(self)) {
            (void)raise(&exc::ValueError, "traceback loop detected");
            return false;
        }
    }
    incref(nv);
    Value old = tb->next;
    tb->next = nv;
    decref(old);
    return true;
}
Ref tb_get_lineno(Value self) { return Ref::steal(Value::small_int(self.as<Traceback>()->lineno)); }
Ref tb_get_lasti(Value self) { return Ref::steal(Value::small_int(self.as<Traceback>()->lasti * 2)); }
Ref tb_get_frame(Value self) { return Ref::none(); }
Ref tb_get_code(Value self) { return Ref::borrow(Value::object(self.as<Traceback>()->code)); }

const GetSetDef kTracebackGetSets[] = {
    {"tb_next", tb_get_next, tb_set_next},
    {"tb_lineno", tb_get_lineno},
    {"tb_lasti", tb_get_lasti},
    {"tb_frame", tb_get_frame},
    {"tb_code", tb_get_code},
    {nullptr, nullptr},
};

// ---- source lines ------------------------------------------------------------------------------

std::mutex g_lines_mu;
std::unordered_map<std::string, std::vector<std::string>>* g_lines = nullptr;

// (fork) g_lines_mu is taken by the forking thread across fork() and released by it in both
// processes (runtime/fork.h), so a thread that was reading a source file at fork cannot
// leave it locked in the child.
[[maybe_unused]] const bool g_lines_fork_handler = [] {
    register_runtime_fork_handler({[] { g_lines_mu.lock(); }, [] { g_lines_mu.unlock(); },
                                   [] { g_lines_mu.unlock(); }});
    return true;
}();

// The source line (without newline), or false when the file cannot be read.
bool source_line(std::string_view filename, int lineno, std::string* out) {
    if (filename.empty() || filename.front() == '<' || lineno <= 0) return false;
    std::lock_guard<std::mutex> lock(g_lines_mu);
    if (!g_lines) g_lines = new std::unordered_map<std::string, std::vector<std::string>>();
    std::string key(filename);
    auto it = g_lines->find(key);
    if (it == g_lines->end()) {
        std::vector<std::string> lines;
        std::ifstream in(key, std::ios::binary);
        if (in) {
            std::string l;
            while (std::getline(in, l)) {
                if (!l.empty() && l.back() == '\r') l.pop_back();
                lines.push_back(std::move(l));
            }
        }
        it = g_lines->emplace(key, std::move(lines)).first;
    }
    if (static_cast<size_t>(lineno) > it->second.size()) return false;
    *out = it->second[lineno - 1];
    return true;
}

std::string strip(std::string_view s) {
    size_t b = 0, e = s.size();
    while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\f' || s[b] == '\n' || s[b] == '\r')) ++b;
    while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\f' || s[e - 1] == '\n' ||
                     s[e - 1] == '\r'))
        --e;
    return std::string(s.substr(b, e - b));
}

// UTF-8 byte offset -> character count.
int64_t char_count(std::string_view s) {
    int64_t n = 0;
    for (unsigned char c : s)
        if ((c & 0xC0) != 0x80) ++n;
    return n;
}

void format_tb_entry(std::string& out, CodeObject* code, uint32_t lasti, int lineno) {
    std::string_view filename = code->filename ? code->filename->view() : std::string_view("<unknown>");
    std::string_view name = code->name ? code->name->view() : std::string_view("?");
    out += fmt::format("  File \"{}\", line {}, in {}\n", filename, lineno, name);
    std::string line;
    if (!source_line(filename, lineno, &line)) return;
    std::string stripped = strip(line);
    if (stripped.empty()) return;
    out += fmt::format("    {}\n", stripped);
    // 3.11's position carets: only for a single-line range that is not the whole line.
    if (lasti >= code->positions.size()) return;
    const Position& p = code->positions[lasti];
    if (p.col < 0 || p.end_col < 0 || p.line != lineno || p.end_line != p.line) return;
    size_t lead = line.size() - (line.size() - line.find_first_not_of(" \t\f"));
    if (line.find_first_not_of(" \t\f") == std::string::npos) return;
    size_t col = static_cast<size_t>(p.col), end_col = static_cast<size_t>(p.end_col);
    if (end_col > line.size() || col >= end_col || col < lead) return;
    size_t stripped_end = lead + stripped.size();
    if (col == lead && end_col >= stripped_end) return;  // the whole line: no carets
    int64_t start_chars = char_count(std::string_view(line).substr(lead, col - lead));
    int64_t len_chars = char_count(std::string_view(line).substr(col, end_col - col));
    out += "    ";
    out.append(static_cast<size_t>(start_chars), ' ');
    out.append(static_cast<size_t>(len_chars), '^');
    out += '\n';
}

std::string type_display_name(Type* t) {
    static Str* s_module = intern("__module__");
    static Str* s_qualname = intern("__qualname__");
    std::string name;
    Ref qn = getattr_or_null(Value::object(t), s_qualname);
    if (qn && is_str(*qn)) {
        name = std::string(qn.as<Str>()->view());
    } else {
        clear_error();
        name = t->name_str ? std::string(t->name_str->view()) : std::string(t->name);
    }
    Ref mod = getattr_or_null(Value::object(t), s_module);
    if (mod && is_str(*mod)) {
        std::string_view m = mod.as<Str>()->view();
        if (m != "__main__" && m != "builtins") return fmt::format("{}.{}", m, name);
    } else {
        clear_error();
    }
    return name;
}

// str(v) or the fallback CPython prints.
std::string safe_str(Value v) {
    Ref s = str(v);
    if (!s || !is_str(*s)) {
        clear_error();
        return "<exception str() failed>";
    }
    return std::string(s.as<Str>()->view());
}


void format_syntax_error(std::string& out, Value e) {
    Ref filename = get_attr_quiet(e, "filename");
    Ref lineno = get_attr_quiet(e, "lineno");
    Ref offset = get_attr_quiet(e, "offset");
    Ref end_offset = get_attr_quiet(e, "end_offset");
    Ref text = get_attr_quiet(e, "text");
    Ref msg = get_attr_quiet(e, "msg");
    std::string fname = filename && is_str(*filename) ? std::string(filename.as<Str>()->view()) : "<string>";
    int64_t line = lineno && (*lineno).is_small_int() ? (*lineno).as_small_int() : -1;
    if (line >= 0) out += fmt::format("  File \"{}\", line {}\n", fname, line);
    if (text && is_str(*text)) {
        // As CPython 3.11's pythonrun.c (print_exception_file_and_line, print_error_text):
        // offsets are 1-based; a multi-line location underlines to the end of the first line.
        std::string_view t = text.as<Str>()->view();
        int64_t off = offset && (*offset).is_small_int() ? (*offset).as_small_int() : -1;
        int64_t end_off = end_offset && (*end_offset).is_small_int() ? (*end_offset).as_small_int() : -1;
        int64_t end_line = -1;
        {
            Ref el = get_attr_quiet(e, "end_lineno");
            if (el && (*el).is_small_int()) end_line = (*el).as_small_int();
        }
        int64_t line_size = static_cast<int64_t>(t.size());  // UTF-8 bytes, as CPython
        if (end_line > line) end_off = line_size;
        if (end_off > line_size + 1) end_off = line_size + 1;
        int64_t reps = (end_off > 0 && end_off > off) ? end_off - off : 1;
        if (is_subtype(type_of(e), &exc::IndentationError)) reps = 1;
        int64_t o = off - 1;
        size_t i = 0;
        while (i < t.size() && (t[i] == ' ' || t[i] == '\t' || t[i] == '\f')) {
            ++i;
            --o;
        }
        std::string_view rest = t.substr(i);
        int64_t len = char_count(rest);
        if (!rest.empty() && rest.back() == '\n') --len;
        if (o > len) o = len;
        // skip past newlines embedded in the text
        for (;;) {
            size_t nl = rest.find('\n');
            if (nl == std::string_view::npos) break;
            int64_t inl = char_count(rest.substr(0, nl));
            if (inl >= o) break;
            rest = rest.substr(nl + 1);
            len -= inl + 1;
            o -= inl + 1;
        }
        out += "    ";
        out += rest;
        if (rest.empty() || rest.back() != '\n') out += '\n';
        if (o >= 0) {
            out += "    ";
            out.append(static_cast<size_t>(o), ' ');
            out.append(static_cast<size_t>(reps), '^');
            out += '\n';
        }
    }
    std::string m = msg && is_str(*msg) ? std::string(msg.as<Str>()->view()) : "<no detail available>";
    out += fmt::format("{}: {}\n", type_display_name(type_of(e)), m);
}

Ref get_attr_quiet(Value o, const char* name) {
    Ref r = getattr_or_null(o, intern(name));
    if (!r) clear_error();
    return r;
}

// ---- "Did you mean" (CPython 3.11's Python/suggestions.c) -------------------------------

constexpr size_t kMaxCandidateItems = 750;
constexpr size_t kMaxStringSize = 40;
constexpr size_t kMoveCost = 2;
constexpr size_t kCaseCost = 1;

size_t substitution_cost(char a, char b) {
    if ((a & 31) != (b & 31)) return kMoveCost;
    if (a == b) return 0;
    if ('A' <= a && a <= 'Z') a += 'a' - 'A';
    if ('A' <= b && b <= 'Z') b += 'a' - 'A';
    return a == b ? kCaseCost : kMoveCost;
}

size_t levenshtein_distance(const char* a, size_t a_size, const char* b, size_t b_size,
                            size_t max_cost, size_t* buffer) {
    if (a == b) return 0;
    while (a_size && b_size && a[0] == b[0]) {
        a++;
        a_size--;
        b++;
        b_size--;
    }
    while (a_size && b_size && a[a_size - 1] == b[b_size - 1]) {
        a_size--;
        b_size--;
    }
    if (a_size == 0 || b_size == 0) return (a_size + b_size) * kMoveCost;
    if (a_size > kMaxStringSize || b_size > kMaxStringSize) return max_cost + 1;
    if (b_size < a_size) {
        std::swap(a, b);
        std::swap(a_size, b_size);
    }
    if ((b_size - a_size) * kMoveCost > max_cost) return max_cost + 1;
    size_t tmp = kMoveCost;
    for (size_t i = 0; i < a_size; i++) {
        buffer[i] = tmp;
        tmp += kMoveCost;
    }
    size_t result = 0;
    for (size_t b_index = 0; b_index < b_size; b_index++) {
        char code = b[b_index];
        size_t distance = result = b_index * kMoveCost;
        size_t minimum = SIZE_MAX;
        for (size_t index = 0; index < a_size; index++) {
            size_t substitute = distance + substitution_cost(code, a[index]);
            distance = buffer[index];
            size_t insert_delete = std::min(result, distance) + kMoveCost;
            result = std::min(insert_delete, substitute);
            buffer[index] = result;
            if (result < minimum) minimum = result;
        }
        if (minimum > max_cost) return max_cost + 1;
    }
    return result;
}

// The closest candidate to `name` (borrowed strs), or empty.
std::string calculate_suggestion(const std::vector<std::string_view>& dir, std::string_view name) {
    if (dir.size() >= kMaxCandidateItems) return {};
    size_t best_distance = SIZE_MAX;
    std::string_view best;
    bool found = false;
    size_t buffer[kMaxStringSize];
    for (std::string_view item : dir) {
        if (item == name) continue;
        size_t max_distance = (name.size() + item.size() + 3) * kMoveCost / 6;
        if (best_distance - 1 < max_distance) max_distance = best_distance - 1;
        size_t d = levenshtein_distance(name.data(), name.size(), item.data(), item.size(),
                                        max_distance, buffer);
        if (d > max_distance) continue;
        if (!found || d < best_distance) {
            best = item;
            best_distance = d;
            found = true;
        }
    }
    return found ? std::string(best) : std::string();
}

void dict_str_keys(Dict* d, std::vector<std::string_view>* out) {
    int64_t pos = 0;
    Value k, v;
    while (dict_next(d, &pos, &k, &v))
        if (is_str(k)) out->push_back(k.as<Str>()->view());
}

std::string offer_suggestion(Value e) {
    Type* t = type_of(e);
    if (is_subtype(t, &exc::NameError)) {
        Ref name = get_attr_quiet(e, "name");
        Value tbv = e.as<BaseExceptionObject>()->traceback;
        if (!name || !is_exact_str(*name) || !tbv.is_object()) return {};
        Traceback* tb = tbv.as<Traceback>();
        while (tb->next.is_object()) tb = tb->next.as<Traceback>();
        std::string_view n = name.as<Str>()->view();
        std::vector<std::string_view> dir;
        CodeObject* code = tb->code;
        for (uint32_t i = 0; i < code->nlocals && code->localsplus_names; ++i)
            dir.push_back(code->localsplus_names->items[i].as<Str>()->view());
        std::string s = calculate_suggestion(dir, n);
        if (!s.empty()) return s;
        if (tb->globals) {
            dir.clear();
            dict_str_keys(tb->globals, &dir);
            s = calculate_suggestion(dir, n);
            if (!s.empty()) return s;
        }
        ThreadState* ts = current_thread();
        if (ts && ts->interp && ts->interp->builtins) {
            dir.clear();
            dict_str_keys(ts->interp->builtins, &dir);
            return calculate_suggestion(dir, n);
        }
        return {};
    }
    if (is_subtype(t, &exc::AttributeError)) {
        Ref name = get_attr_quiet(e, "name");
        Ref obj = get_attr_quiet(e, "obj");
        if (!name || !obj || !is_exact_str(*name) || (*obj).is_none()) return {};
        ThreadState* ts = current_thread();
        if (!ts || !ts->interp || !ts->interp->builtins) return {};
        Value dirfn = dict_get_str(ts->interp->builtins, intern("dir"));
        if (dirfn.is_null()) return {};
        Ref lst = call(dirfn, {*obj});
        if (!lst || !is_list(*lst)) {
            clear_error();
            return {};
        }
        List* l = lst.as<List>();
        std::vector<std::string_view> dir;
        for (int64_t i = 0; i < l->size; ++i)
            if (is_str(l->items[i])) dir.push_back(l->items[i].as<Str>()->view());
        return calculate_suggestion(dir, name.as<Str>()->view());
    }
    return {};
}

void format_one(std::string& out, Value e) {
    BaseExceptionObject* be = e.as<BaseExceptionObject>();
    if (be->traceback.is_object()) {
        out += "Traceback (most recent call last):\n";
        // Honour the 1000-entry limit (the innermost entries are kept) and collapse runs of
        // identical lines as CPython does.
        std::vector<Traceback*> entries;
        for (Value t = be->traceback; t.is_object(); t = t.as<Traceback>()->next)
            entries.push_back(t.as<Traceback>());
        size_t limit = 1000;
        size_t start = entries.size() > limit ? entries.size() - limit : 0;
        Str* last_file = nullptr;
        Str* last_name = nullptr;
        int last_line = -1;
        int64_t cnt = 0;
        auto repeated = [&](int64_t c) {
            c -= 3;
            out += fmt::format("  [Previous line repeated {} more time{}]\n", c, c > 1 ? "s" : "");
        };
        for (size_t i = start; i < entries.size(); ++i) {
            Traceback* tb = entries[i];
            if (last_file == nullptr || tb->code->filename != last_file || tb->lineno != last_line ||
                tb->code->name != last_name) {
                if (cnt > 3) repeated(cnt);
                last_file = tb->code->filename;
                last_line = tb->lineno;
                last_name = tb->code->name;
                cnt = 0;
            }
            ++cnt;
            if (cnt <= 3) format_tb_entry(out, tb->code, tb->lasti, tb->lineno);
        }
        if (cnt > 3) repeated(cnt);
    }
    Type* t = type_of(e);
    if (is_subtype(t, &exc::SyntaxError)) {
        format_syntax_error(out, e);
    } else {
        std::string name = type_display_name(t);
        std::string msg = safe_str(e);
        std::string suggestion = offer_suggestion(e);
        clear_error();
        if (!suggestion.empty()) msg += fmt::format(". Did you mean: '{}'?", suggestion);
        if (msg.empty()) {
            out += name;
            out += '\n';
        } else {
            out += fmt::format("{}: {}\n", name, msg);
        }
    }
    // __notes__
    if (be->notes.is_object() && is_list(be->notes)) {
        Ref it = get_iter(be->notes);
        if (it) {
            for (;;) {
                Ref n = iter_next(*it);
                if (!n) break;
                out += is_str(*n) ? std::string(n.as<Str>()->view()) : safe_str(*n);
                out += '\n';
            }
        }
        clear_error();
    }
}

void format_chain(std::string& out, Value e, std::unordered_set<const Object*>& seen, int depth) {
    seen.insert(e.as_object());
    BaseExceptionObject* be = e.as<BaseExceptionObject>();
    if (depth < 200) {
        if (be->cause.is_object() && !seen.count(be->cause.as_object())) {
            format_chain(out, be->cause, seen, depth + 1);
            out += "\nThe above exception was the direct cause of the following exception:\n\n";
        } else if (!be->suppress_context && be->context.is_object() &&
                   !seen.count(be->context.as_object())) {
            format_chain(out, be->context, seen, depth + 1);
            out += "\nDuring handling of the above exception, another exception occurred:\n\n";
        }
    }
    format_one(out, e);
}

void write_fd2(const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
        ssize_t n = ::write(2, s.data() + off, s.size() - off);
        if (n <= 0) break;
        off += static_cast<size_t>(n);
    }
}

}  // namespace

bool traceback_add(Value e, CodeObject* code, uint32_t lasti, Dict* globals, int lineno) {
    if (!e.is_object() || !type_has(e.as_object()->type, kExceptionSubclass)) return true;
    BaseExceptionObject* be = e.as<BaseExceptionObject>();
    if (!globals || !be->traceback.is_null() || !is_subtype(e.as_object()->type, &exc::NameError))
        globals = nullptr;
    Traceback* tb = new_object<Traceback>(&traceback_type, 0);
    if (!tb) {
        clear_error();  // keep the original exception
        return false;
    }
    incref(code);
    tb->code = code;
    tb->lasti = lasti;
    tb->lineno = lineno >= 0 ? lineno : code->line_at(lasti);
    tb->frame_locals = Value::null();
    if (globals) incref(globals);
    tb->globals = globals;
    tb->next = be->traceback;  // the reference moves
    be->traceback = Value::object(tb);
    return true;
}

void traceback_keep_locals(Value e, Frame* f) {
    if (!e.is_object() || !type_has(e.as_object()->type, kExceptionSubclass)) return;
    Value head = e.as<BaseExceptionObject>()->traceback;
    if (!head.is_object() || head.as_object()->type != &traceback_type) return;
    Traceback* tb = head.as<Traceback>();
    if (tb->code != f->code || !tb->frame_locals.is_null()) return;
    Value* lp = f->localsplus();
    uint32_t n = f->nlocalsplus;
    bool any = false;
    for (uint32_t i = 0; i < n; ++i)
        if (lp[i].is_object() && !lp[i].is(e)) any = true;
    if (!any) return;
    RefT<Tuple> t = new_tuple(n);
    if (!t) {
        clear_error();
        return;
    }
    for (uint32_t i = 0; i < n; ++i) {
        Value v = lp[i];
        if (v.is_null() || v.is(e)) {
            t->items[i] = Value::none();
            continue;
        }
        t->items[i] = v;  // the reference moves
        lp[i] = Value::null();
    }
    tb->frame_locals = Value::object(t.release());
}

std::string format_exception(Value e) {
    std::string out;
    if (!e.is_object() || !type_has(e.as_object()->type, kExceptionSubclass)) {
        out = fmt::format("TypeError: print_exception(): Exception expected for value, {} found\n",
                          type_name(e));
        return out;
    }
    // Formatting may run Toy code (__str__); keep the current exception state aside.
    Ref saved = fetch_error();
    std::unordered_set<const Object*> seen;
    format_chain(out, e, seen, 0);
    clear_error();
    if (saved) restore_error(std::move(saved));
    return out;
}

void print_exception(Value e) {
    std::string text = format_exception(e);
    ThreadState* ts = current_thread();
    Ref saved = fetch_error();
    bool done = false;
    if (ts && ts->interp && ts->interp->sys) {
        static Str* s_stderr = intern("stderr");
        static Str* s_write = intern("write");
        static Str* s_flush = intern("flush");
        Ref err = getattr_or_null(Value::object(reinterpret_cast<Object*>(ts->interp->sys)), s_stderr);
        if (err && !(*err).is_none()) {
            RefT<Str> s = new_str(text);
            if (s) {
                Ref r = call_method(*err, s_write, {s.value()});
                if (r) {
                    done = true;
                    Ref f = call_method(*err, s_flush, {});
                }
            }
        }
        clear_error();
    }
    if (!done) write_fd2(text);
    if (saved) restore_error(std::move(saved));
}

void init_traceback_type() {
    Type& t = traceback_type;
    t.name = "traceback";
    t.basic_size = sizeof(Traceback);
    t.getsets = kTracebackGetSets;
    t.dealloc = tb_dealloc;
    type_ready(&traceback_type, &object_type);
}

bool read_source_line(std::string_view filename, int lineno, std::string* out) {
    return source_line(filename, lineno, out);
}

}  // namespace toy
