// unpickle.cpp: the reading half of the native `_pickle` module (see stdlib/pickle.cpp for the
// writing half and the module): loads(), load(), and the engine of pickle.Unpickler.
//
// READING (class Unpickler below). A loop over opcodes with CPython's value stack split into
// an object stack and a mark stack (C's Pdata: `fence` is the position of the innermost
// mark; popping at or below it is "unexpected MARK found" while marks exist, otherwise
// "unpickling stack underflow"). Input is either a whole buffer (loads; the bytes object is
// kept alive) or a file (load): then exactly the bytes needed are read with file.read(n)
// (a whole frame at a time with protocol 4+) and file.readline() for text arguments, so
// several pickles can follow each other in one file. Every length is checked against the
// remaining input before use; every error (truncation, bad opcode, wrong stack shape, memo
// miss, bad types for NEWOBJ/BUILD/STACK_GLOBAL) sets CPython's exception and message and
// returns. The memo is a dense vector, with a map for sparse indices so that a hostile
// LONG_BINPUT 0xffffffff cannot allocate gigabytes. Objects are built through the runtime's
// own functions (list_append, dict_set, type new_ slots, call), so refcounts stay balanced on
// every path: the stack and memo own their values and release them in the destructor.
// A load that fails empties the lists, dicts, sets and NEWOBJ instances it created before
// releasing them: without a cycle collector, a corrupt pickle that tied them into a cycle
// before failing would otherwise leak. Ints beyond int64 (LONG1/LONG4/L) raise OverflowError
// until Toy has big ints; strings are decoded strictly (Toy strings hold no surrogates).
//
// No lock: both passes run with the GIL held, and touch only objects reachable from their
// arguments; calls back into Toy code (reduce, find_class, setstate, file.read) may run
// other threads at their check points, which is why containers are re-read after each call.
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "interp/function.h"
#include "runtime/abstract.h"
#include "runtime/bytes.h"
#include "runtime/dict.h"
#include "runtime/errors.h"
#include "runtime/float.h"
#include "runtime/int.h"
#include "runtime/list.h"
#include "runtime/misc_types.h"
#include "runtime/module.h"
#include "runtime/native_function.h"
#include "runtime/range.h"
#include "runtime/set.h"
#include "runtime/str.h"
#include "runtime/thread_state.h"
#include "runtime/tuple.h"
#include "stdlib/registry.h"
#include "stdlib/pickle_internal.h"
#include "stdlib/util.h"

namespace toy {
namespace pickle_detail {

using detail::str_view;

namespace {

// Unpickler
// ================================================================================================

// Imports module and fetches name (dotted with protocol 4+), mapping Python 2 names for
// protocols < 3 when fix_imports is set: Unpickler.find_class's default.
Ref default_find_class(std::string_view module, std::string_view name, int proto, bool fix_imports);

class Unpickler {
public:
    // Hooks (borrowed; null when absent).
    Value persistent_load = Value::null();
    Value find_class_hook = Value::null();  // a callable (module, name) -> object
    Value buffers = Value::null();          // an iterator of out-of-band buffers
    std::string encoding = "ASCII";
    std::string errors = "strict";
    bool fix_imports = true;

    // From a buffer (kept alive by the caller).
    Unpickler(std::string_view data) : data_(data.data()), len_(data.size()) {}
    // From a file: read(n) and readline() bound methods (borrowed).
    Unpickler(Value read, Value readline) : file_read_(read), file_readline_(readline) {}

    ~Unpickler() {
        for (Value v : stack_) decref(v);
        for (Value v : memo_) decref(v);
        for (auto& kv : sparse_memo_) decref(kv.second);
    }

    // Runs the opcodes up to STOP. On failure, the containers and NEWOBJ instances this load
    // created are emptied before they are released: Toy has no cycle collector, and a
    // corrupt pickle can tie them into a cycle (a list holding a tuple holding the list)
    // before it fails, which would otherwise leak.
    Ref load() {
        Ref r = run();
        if (!r) break_created();
        for (Value v : created_) decref(v);
        created_.clear();
        return r;
    }

    // A memo carried across loads (pickle.Unpickler): a dict index -> object.
    void import_memo(Dict* d) {
        int64_t pos = 0;
        Value k, v;
        while (dict_next(d, &pos, &k, &v))
            if (k.is_small_int() && k.as_small_int() >= 0) memo_put(static_cast<uint64_t>(k.as_small_int()), v);
    }
    bool export_memo(Dict* d) {
        for (size_t i = 0; i < memo_.size(); ++i)
            if (!memo_[i].is_null() && !dict_set(d, Value::small_int(static_cast<int64_t>(i)), memo_[i]))
                return false;
        for (auto& kv : sparse_memo_) {
            Ref key = make_int(static_cast<int64_t>(kv.first));
            if (!key || !dict_set(d, *key, kv.second)) return false;
        }
        return true;
    }

private:
    Ref run();
    // Pushes a new container or instance and remembers it for break_created().
    bool push_created(Ref r) {
        if (!r) return false;
        incref(*r);
        created_.push_back(*r);
        stack_.push_back(r.release());
        return true;
    }
    void break_created() {
        Ref saved = fetch_error();
        for (Value v : created_) {
            Type* t = type_of(v);
            if (t == &list_type) {
                List* l = v.as<List>();
                std::vector<Value> items(l->items, l->items + l->size);
                if (list_resize(l, 0)) {
                    for (Value x : items) decref(x);
                } else {
                    clear_error();
                }
            } else if (t == &dict_type) {
                dict_clear(v.as<Dict>());
            } else if (t == &set_type) {
                Ref r = call_method(v, TOY_NAME(clear), {});
                if (!r) clear_error();
            } else if (Dict** dp = instance_dict_ptr(v); dp && *dp) {
                dict_clear(*dp);
            }
        }
        if (saved) restore_error(std::move(saved));
    }

    // ---- input ----------------------------------------------------------------------------
    // Makes n bytes available at *p; false with an exception. EOF inside an argument is
    // "pickle data was truncated".
    bool read(size_t n, const char** p) {
        if (n <= len_ - pos_) {
            *p = data_ + pos_;
            pos_ += n;
            return true;
        }
        return read_slow(n, p);
    }
    bool read_slow(size_t n, const char** p) {
        if (pos_ > static_cast<size_t>(INT64_MAX) - n)
            return (void)unpickling_error("read would overflow (invalid bytecode)"), false;
        if (file_read_.is_null()) return (void)unpickling_error("pickle data was truncated"), false;
        // Keep what is left of the current chunk, read exactly the rest.
        std::string chunk(data_ + pos_, len_ - pos_);
        size_t want = n - chunk.size();
        Ref b = call(file_read_, {Value::small_int(static_cast<int64_t>(want))});
        if (!b) return false;
        if (!is_bytes_like(*b))
            return (void)raisef(&exc::TypeError, "a bytes-like object is required, not '{}'",
                                type_name(*b)),
                   false;
        std::string_view got = buffer_view(*b);
        chunk.append(got.data(), got.size());
        file_buf_ = std::move(chunk);
        data_ = file_buf_.data();
        len_ = file_buf_.size();
        pos_ = 0;
        if (len_ < n) {
            pos_ = len_;
            return (void)unpickling_error("pickle data was truncated"), false;
        }
        *p = data_;
        pos_ = n;
        return true;
    }
    // One line (without requiring more than what is there); *len includes the '\n'.
    bool readline(const char** p, size_t* len) {
        const char* start = data_ + pos_;
        const void* nl = std::memchr(start, '\n', len_ - pos_);
        if (nl) {
            *len = static_cast<const char*>(nl) - start + 1;
            *p = start;
            pos_ += *len;
            return true;
        }
        if (file_readline_.is_null()) {
            // CPython returns what is left; the callers then see a short line.
            *len = len_ - pos_;
            *p = start;
            pos_ = len_;
            return true;
        }
        std::string chunk(start, len_ - pos_);
        Ref b = call(file_readline_, {});
        if (!b) return false;
        if (!is_bytes_like(*b))
            return (void)raisef(&exc::TypeError, "a bytes-like object is required, not '{}'",
                                type_name(*b)),
                   false;
        std::string_view got = buffer_view(*b);
        chunk.append(got.data(), got.size());
        file_buf_ = std::move(chunk);
        data_ = file_buf_.data();
        len_ = file_buf_.size();
        pos_ = len_;
        *p = data_;
        *len = len_;
        return true;
    }
    static uint64_t rd_le(const char* p, int n) {
        uint64_t v = 0;
        for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
        return v;
    }

    // ---- the stack (C's Pdata) ------------------------------------------------------------
    bool underflow() {
        return (void)unpickling_error(marks_.empty() ? "unpickling stack underflow"
                                                     : "unexpected MARK found"),
               false;
    }
    size_t fence() const { return marks_.empty() ? 0 : marks_.back(); }
    void push(Ref r) { stack_.push_back(r.release()); }
    bool push_new(Ref r) {
        if (!r) return false;
        stack_.push_back(r.release());
        return true;
    }
    Ref pop() {
        if (stack_.size() <= fence()) return (void)underflow(), nullptr;
        Value v = stack_.back();
        stack_.pop_back();
        return Ref::steal(v);
    }
    // Pops the innermost mark; -1 (exception set) if there is none.
    int64_t marker() {
        if (marks_.empty()) return (void)unpickling_error("could not find MARK"), -1;
        size_t m = marks_.back();
        marks_.pop_back();
        return static_cast<int64_t>(m);
    }
    RefT<Tuple> pop_tuple(size_t start) {
        if (start < fence()) return (void)underflow(), nullptr;
        size_t n = stack_.size() - start;
        RefT<Tuple> t = new_tuple(static_cast<int64_t>(n));
        if (!t) return nullptr;
        for (size_t i = 0; i < n; ++i) t->items[i] = stack_[start + i];  // moves ownership
        stack_.resize(start);
        return t;
    }
    RefT<List> pop_list(size_t start) {
        if (start < fence()) return (void)underflow(), nullptr;
        size_t n = stack_.size() - start;
        RefT<List> l = new_list(static_cast<int64_t>(n));
        if (!l) return nullptr;
        for (size_t i = 0; i < n; ++i) {
            if (!list_append_steal(l.get(), stack_[start + i])) {
                for (size_t j = i + 1; j < n; ++j) decref(stack_[start + j]);
                stack_.resize(start);
                return nullptr;
            }
        }
        stack_.resize(start);
        return l;
    }
    void clear_to(size_t start) {
        while (stack_.size() > start) {
            Value v = stack_.back();
            stack_.pop_back();
            decref(v);
        }
    }

    // ---- the memo -------------------------------------------------------------------------
    Value memo_get(uint64_t idx) {
        if (idx < memo_.size()) return memo_[idx];
        auto it = sparse_memo_.find(idx);
        return it == sparse_memo_.end() ? Value::null() : it->second;
    }
    void memo_put(uint64_t idx, Value v) {
        incref(v);
        if (idx < memo_.size()) {
            Value old = memo_[idx];
            memo_[idx] = v;
            decref(old);
            return;
        }
        if (idx < memo_.size() + 4096) {
            memo_.resize(idx + 1, Value::null());
            memo_[idx] = v;
            // Adopt entries of the sparse map that now fit the vector.
            if (!sparse_memo_.empty()) {
                for (auto it = sparse_memo_.begin(); it != sparse_memo_.end();) {
                    if (it->first < memo_.size()) {
                        decref(memo_[it->first]);
                        memo_[it->first] = it->second;
                        it = sparse_memo_.erase(it);
                    } else {
                        ++it;
                    }
                }
            }
            return;
        }
        auto [it, inserted] = sparse_memo_.try_emplace(idx, v);
        if (!inserted) {
            decref(it->second);
            it->second = v;
        }
    }
    bool load_get(uint64_t idx) {
        Value v = memo_get(idx);
        if (v.is_null())
            return (void)unpickling_error(fmt::format("Memo value not found at index {}", idx)), false;
        incref(v);
        stack_.push_back(v);
        return true;
    }
    bool load_put(uint64_t idx) {
        if (stack_.size() <= fence()) return underflow();
        memo_put(idx, stack_.back());
        return true;
    }

    // ---- opcode helpers -------------------------------------------------------------------
    bool load_counted_tuple(size_t n) {
        if (stack_.size() < n) return underflow();
        RefT<Tuple> t = pop_tuple(stack_.size() - n);
        if (!t) return false;
        push(Ref(std::move(t)));
        return true;
    }
    bool load_str(const char* p, size_t n) {
        // CPython decodes with surrogatepass; Toy strings hold no surrogates, so an encoded
        // surrogate fails here with UnicodeDecodeError (strict).
        Ref s = bytes_decode(std::string_view(p, n), "utf-8", "strict");
        if (!s) return false;
        push(std::move(s));
        return true;
    }
    // Python 2 str (STRING, BINSTRING, SHORT_BINSTRING): bytes with encoding 'bytes', else
    // decoded with the unpickler's encoding.
    bool load_py2_string(std::string_view data) {
        if (encoding == "bytes") return push_new(Ref(new_bytes(data)));
        return push_new(bytes_decode(data, encoding, errors));
    }
    bool load_long_bytes(const char* p, size_t n) {
        if (n == 0) return push_new(make_int(0));
        if (n > 8) {
            // Fits int64 only if the extra bytes are sign extension.
            bool neg = static_cast<uint8_t>(p[n - 1]) & 0x80;
            for (size_t i = 8; i < n; ++i)
                if (static_cast<uint8_t>(p[i]) != (neg ? 0xff : 0x00))
                    return (void)raise(&exc::OverflowError, "int too big to convert"), false;
            if (((static_cast<uint8_t>(p[7]) & 0x80) != 0) != neg)
                return (void)raise(&exc::OverflowError, "int too big to convert"), false;
            n = 8;
        }
        uint64_t v = rd_le(p, static_cast<int>(n));
        if (n < 8 && (static_cast<uint8_t>(p[n - 1]) & 0x80)) v |= ~uint64_t{0} << (8 * n);
        return push_new(make_int(static_cast<int64_t>(v)));
    }
    Ref find_class(Value module, Value name) {
        if (!find_class_hook.is_null()) return call(find_class_hook, {module, name});
        if (!is_str(module) || !is_str(name))
            return raise(&exc::TypeError, "find_class() arguments must be str");
        return default_find_class(str_view(module), str_view(name), proto_, fix_imports);
    }
    bool load_global_lines() {
        const char* p;
        size_t n;
        if (!readline(&p, &n)) return false;
        if (n < 2) return (void)unpickling_error("pickle data was truncated"), false;
        Ref mod = bytes_decode(std::string_view(p, n - 1), "utf-8", "strict");
        if (!mod) return false;
        if (!readline(&p, &n)) return false;
        if (n < 2) return (void)unpickling_error("pickle data was truncated"), false;
        Ref name = bytes_decode(std::string_view(p, n - 1), "utf-8", "strict");
        if (!name) return false;
        return push_new(find_class(*mod, *name));
    }
    bool load_newobj(bool use_kwargs) {
        const char* name = use_kwargs ? "NEWOBJ_EX" : "NEWOBJ";
        Ref kwargs;
        if (use_kwargs) {
            kwargs = pop();
            if (!kwargs) return false;
        }
        Ref args = pop();
        if (!args) return false;
        Ref cls = pop();
        if (!cls) return false;
        if (!type_has(type_of(*cls), kTypeSubclass))
            return (void)unpickling_error(fmt::format("{} class argument must be a type, not {}",
                                                      name, type_name(*cls))),
                   false;
        Type* t = cls.as<Type>();
        if (t->new_ == nullptr)
            return (void)unpickling_error(fmt::format("{} class argument '{}' doesn't have __new__",
                                                      name, t->name)),
                   false;
        if (!is_tuple(*args))
            return (void)unpickling_error(fmt::format("{} args argument must be a tuple, not {}",
                                                      name, type_name(*args))),
                   false;
        if (use_kwargs && !is_dict(*kwargs))
            return (void)unpickling_error(fmt::format("{} kwargs argument must be a dict, not {}",
                                                      name, type_name(*kwargs))),
                   false;
        Tuple* at = args.as<Tuple>();
        if (!use_kwargs || kwargs.as<Dict>()->used == 0)
            return push_created(t->new_(t, CallArgs{at->items, static_cast<size_t>(at->size), nullptr}));
        // With keywords: args then the keyword values, names in a tuple.
        Dict* kw = kwargs.as<Dict>();
        std::vector<Value> all(at->items, at->items + at->size);
        RefT<Tuple> names = new_tuple(kw->used);
        if (!names) return false;
        int64_t pos = 0, i = 0;
        Value k, v;
        std::vector<Ref> keep;
        while (dict_next(kw, &pos, &k, &v)) {
            if (!is_str(k))
                return (void)raise(&exc::TypeError, "keywords must be strings"), false;
            Str* ik = intern_str(k.as<Str>());
            names->items[i++] = Value::object(ik);
            keep.push_back(Ref::borrow(v));
            all.push_back(v);
        }
        return push_created(t->new_(t, CallArgs{all.data(), static_cast<size_t>(at->size), names.get()}));
    }
    bool load_build();
    bool do_append(size_t x);
    bool do_setitems(size_t x);
    bool load_additems();
    bool load_text_int(bool is_long);
    bool load_text_float();
    bool load_text_string();
    bool load_text_unicode();
    bool load_inst_or_obj(bool inst);

    const char* data_ = nullptr;
    size_t len_ = 0, pos_ = 0;
    std::string file_buf_;
    Value file_read_ = Value::null(), file_readline_ = Value::null();
    std::vector<Value> created_;  // owned: containers and instances made by this load
    std::vector<Value> stack_;  // owned
    std::vector<size_t> marks_;
    std::vector<Value> memo_;   // owned (null: unset)
    std::unordered_map<uint64_t, Value> sparse_memo_;  // owned
    int proto_ = 0;
};

Ref default_find_class(std::string_view module_sv, std::string_view name_sv, int proto,
                       bool fix_imports) {
    std::string module(module_sv), name(name_sv);
    if (proto < 3 && fix_imports) {
        // _compat_pickle's NAME_MAPPING / IMPORT_MAPPING for the Python 2 names we write.
        static const char* const kNames[][4] = {
            {"__builtin__", "xrange", "builtins", "range"},
            {"__builtin__", "unichr", "builtins", "chr"},
            {"__builtin__", "unicode", "builtins", "str"},
            {"__builtin__", "long", "builtins", "int"},
            {"__builtin__", "basestring", "builtins", "str"},
            {"__builtin__", "reduce", "functools", "reduce"},
            {"__builtin__", "intern", "sys", "intern"},
            {"itertools", "izip", "builtins", "zip"},
            {"itertools", "imap", "builtins", "map"},
            {"itertools", "ifilter", "builtins", "filter"},
        };
        bool mapped = false;
        for (auto& m : kNames)
            if (module == m[0] && name == m[1]) {
                module = m[2];
                name = m[3];
                mapped = true;
                break;
            }
        if (!mapped) {
            if (module == "__builtin__" || module == "exceptions") module = "builtins";
            else if (module == "copy_reg") module = "copyreg";
            else if (module == "Queue") module = "queue";
        }
    }
    Ref mod = import_module(module);
    if (!mod) return nullptr;
    // Dotted names (protocol 4) walk attributes.
    Ref cur = std::move(mod);
    std::string_view rest = name;
    while (true) {
        size_t dot = proto >= 4 ? rest.find('.') : std::string_view::npos;
        std::string_view part = rest.substr(0, dot);
        RefT<Str> pn = new_str(part);
        if (!pn) return nullptr;
        Ref next = getattr_or_null(*cur, pn.get());
        if (!next) {
            if (error_occurred()) return nullptr;
            RefT<Str> full = new_str(name);
            if (!full) return nullptr;
            return raisef(&exc::AttributeError, "Can't get attribute {} on {}",
                          repr_string(full.value()), repr_string(*cur));
        }
        cur = std::move(next);
        if (dot == std::string_view::npos) return cur;
        rest = rest.substr(dot + 1);
    }
}

bool Unpickler::load_build() {
    if (stack_.size() < 2 || stack_.size() - 2 < fence()) return underflow();
    Ref state = pop();
    if (!state) return false;
    Value inst = stack_.back();
    Ref hold = Ref::borrow(inst);
    Ref setstate = getattr_or_null(inst, TOY_NAME(__setstate__));
    if (setstate) {
        Ref r = call(*setstate, {*state});
        return static_cast<bool>(r);
    }
    if (error_occurred()) return false;
    Ref slotstate;
    if (is_tuple(*state) && state.as<Tuple>()->size == 2) {
        Ref s0 = Ref::borrow(state.as<Tuple>()->items[0]);
        slotstate = Ref::borrow(item(state.as<Tuple>(), 1));
        state = std::move(s0);
    }
    if (!(*state).is_none()) {
        if (!is_dict(*state)) return (void)unpickling_error("state is not a dictionary"), false;
        // A class's __dict__ is a read-only mappingproxy in CPython: no item assignment.
        if (type_has(type_of(inst), kTypeSubclass))
            return (void)raise(&exc::TypeError, "'mappingproxy' object does not support item assignment"),
                   false;
        Ref dict = getattr(inst, TOY_NAME(__dict__));
        if (!dict) return false;
        Ref items = dict_items_to_list(state.as<Dict>());
        if (!items) return false;
        List* l = items.as<List>();
        for (int64_t i = 0; i < l->size; ++i) {
            Tuple* kv = l->items[i].as<Tuple>();
            Value k = kv->items[0];
            if (is_exact_str(k)) k = Value::object(intern_str(k.as<Str>()));
            if (!setitem(*dict, k, item(kv, 1))) return false;
        }
    }
    if (slotstate) {
        if (!is_dict(*slotstate)) return (void)unpickling_error("slot state is not a dictionary"), false;
        Ref items = dict_items_to_list(slotstate.as<Dict>());
        if (!items) return false;
        List* l = items.as<List>();
        for (int64_t i = 0; i < l->size; ++i) {
            Tuple* kv = l->items[i].as<Tuple>();
            if (!is_str(kv->items[0]))
                return (void)raisef(&exc::TypeError, "attribute name must be string, not '{}'",
                                    type_name(kv->items[0])),
                       false;
            if (!setattr(inst, intern_str(kv->items[0].as<Str>()), item(kv, 1))) return false;
        }
    }
    return true;
}

bool Unpickler::do_append(size_t x) {
    size_t len = stack_.size();
    if (x > len || x <= fence()) return underflow();
    if (len == x) return true;
    Value list = stack_[x - 1];
    if (is_exact_list(list)) {
        List* l = list.as<List>();
        for (size_t i = x; i < len; ++i) {
            if (!list_append_steal(l, stack_[i])) {
                for (size_t j = i + 1; j < len; ++j) decref(stack_[j]);
                stack_.resize(x);
                return false;
            }
        }
        stack_.resize(x);
        return true;
    }
    Ref hold = Ref::borrow(list);
    Ref extend = getattr_or_null(list, TOY_NAME(extend));
    if (extend) {
        RefT<List> items = pop_list(x);
        if (!items) return false;
        return static_cast<bool>(call(*extend, {items.value()}));
    }
    if (error_occurred()) return false;
    Ref append = getattr(list, TOY_NAME(append));
    if (!append) return false;
    RefT<List> items = pop_list(x);
    if (!items) return false;
    for (int64_t i = 0; i < items->size; ++i)
        if (!call(*append, {items->items[i]})) return false;
    return true;
}

bool Unpickler::do_setitems(size_t x) {
    size_t len = stack_.size();
    if (x > len || x <= fence()) return underflow();
    if (len == x) return true;
    if ((len - x) % 2 != 0) return (void)unpickling_error("odd number of items for SETITEMS"), false;
    Value dict = stack_[x - 1];
    Ref hold = Ref::borrow(dict);
    // Take the items off the stack first: __setitem__ may run arbitrary code.
    RefT<List> items = pop_list(x);
    if (!items) return false;
    for (int64_t i = 0; i + 1 < items->size; i += 2) {
        if (is_exact_dict(dict)) {
            if (!dict_set(dict.as<Dict>(), items->items[i], items->items[i + 1])) return false;
        } else if (!setitem(dict, items->items[i], items->items[i + 1])) {
            return false;
        }
    }
    return true;
}

bool Unpickler::load_additems() {
    int64_t mark = marker();
    if (mark < 0) return false;
    size_t len = stack_.size();
    size_t m = static_cast<size_t>(mark);
    if (m > len || m <= fence()) return underflow();
    if (len == m) return true;
    Value set = stack_[m - 1];
    Ref hold = Ref::borrow(set);
    RefT<List> items = pop_list(m);
    if (!items) return false;
    if (type_of(set) == &set_type) {
        for (int64_t i = 0; i < items->size; ++i)
            if (!set_add(set, items->items[i])) return false;
        return true;
    }
    Ref add = getattr(set, TOY_NAME(add));
    if (!add) return false;
    for (int64_t i = 0; i < items->size; ++i)
        if (!call(*add, {items->items[i]})) return false;
    return true;
}

// int(text, 10) of a text opcode's argument (the line with its newline), as CPython's
// PyLong_FromString: UnicodeDecodeError for bytes that are not UTF-8, ValueError "invalid
// literal for int() with base 10: '12x\n'" for anything but optional blanks around a signed
// decimal number. Ints beyond int64 raise OverflowError (Toy has no big ints yet).
bool parse_text_int(const char* p, size_t n, int64_t* out) {
    Ref text = bytes_decode(std::string_view(p, n), "utf-8", "strict");
    if (!text) return false;
    std::string_view s = text.as<Str>()->view();
    size_t b = s.find_first_not_of(" \t\n\r\f\v"), e = s.find_last_not_of(" \t\n\r\f\v");
    std::string body = b == std::string_view::npos ? std::string() : std::string(s.substr(b, e - b + 1));
    bool ok = !body.empty();
    size_t i = (ok && (body[0] == '+' || body[0] == '-')) ? 1 : 0;
    if (i >= body.size()) ok = false;
    for (size_t k = i; ok && k < body.size(); ++k)
        if (body[k] < '0' || body[k] > '9') ok = false;
    if (!ok)
        return (void)raisef(&exc::ValueError, "invalid literal for int() with base 10: {}",
                            repr_string(*text)),
               false;
    errno = 0;
    long long v = std::strtoll(body.c_str(), nullptr, 10);
    if (errno == ERANGE) return (void)raise(&exc::OverflowError, "int too big to convert"), false;
    *out = v;
    return true;
}

bool Unpickler::load_text_int(bool is_long) {
    const char* p;
    size_t n;
    if (!readline(&p, &n)) return false;
    if (n < 2) return (void)unpickling_error("pickle data was truncated"), false;
    if (is_long) {
        // "123L\n": the L goes, the newline stays for the message.
        std::string s(p, n);
        if (s.size() >= 2 && s[s.size() - 2] == 'L') s.erase(s.size() - 2, 1);
        int64_t v;
        if (!parse_text_int(s.data(), s.size(), &v)) return false;
        return push_new(make_int(v));
    }
    std::string s(p, n - 1);
    if (s.size() == 2 && s[0] == '0' && (s[1] == '0' || s[1] == '1')) {
        push(Ref::boolean(s[1] == '1'));
        return true;
    }
    // strtol with base 0 (0x.., 0o.. accepted), as CPython's load_int.
    errno = 0;
    char* end = nullptr;
    long long v = std::strtoll(s.c_str(), &end, 0);
    if (s.empty() || s.find('\0') != std::string::npos || errno || *end != '\0') {
        if (errno == ERANGE) return (void)raise(&exc::OverflowError, "int too big to convert"), false;
        return (void)raise(&exc::ValueError, "could not convert string to int"), false;
    }
    return push_new(make_int(v));
}

bool Unpickler::load_text_float() {
    const char* p;
    size_t n;
    if (!readline(&p, &n)) return false;
    if (n < 2) return (void)unpickling_error("pickle data was truncated"), false;
    std::string s(p, n - 1);
    char* end = nullptr;
    errno = 0;
    double d = std::strtod(s.c_str(), &end);
    if (s.empty() || *end != '\0')
        return (void)raise(&exc::ValueError, "could not convert string to float"), false;
    return push_new(make_float(d));
}

bool Unpickler::load_text_string() {
    const char* p;
    size_t n;
    if (!readline(&p, &n)) return false;
    if (n < 2) return (void)unpickling_error("pickle data was truncated"), false;
    --n;  // the newline
    if (!(n >= 2 && p[0] == p[n - 1] && (p[0] == '\'' || p[0] == '"')))
        return (void)unpickling_error("the STRING opcode argument must be quoted"), false;
    std::string_view body(p + 1, n - 2);
    std::string out;
    for (size_t i = 0; i < body.size(); ++i) {
        char c = body[i];
        if (c != '\\' || i + 1 >= body.size()) {
            out += c;
            continue;
        }
        char e = body[++i];
        switch (e) {
            case 'n': out += '\n'; break;
            case 't': out += '\t'; break;
            case 'r': out += '\r'; break;
            case 'a': out += '\a'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'v': out += '\v'; break;
            case '\\': out += '\\'; break;
            case '\'': out += '\''; break;
            case '"': out += '"'; break;
            case '\n': break;
            case 'x': {
                auto hex = [](char h) -> int {
                    if (h >= '0' && h <= '9') return h - '0';
                    if (h >= 'a' && h <= 'f') return h - 'a' + 10;
                    if (h >= 'A' && h <= 'F') return h - 'A' + 10;
                    return -1;
                };
                if (i + 2 < body.size() + 0 && hex(body[i + 1]) >= 0 && hex(body[i + 2]) >= 0) {
                    out += static_cast<char>(hex(body[i + 1]) * 16 + hex(body[i + 2]));
                    i += 2;
                } else {
                    return (void)raisef(&exc::ValueError, "invalid \\x escape at position {}", i - 1), false;
                }
                break;
            }
            default:
                if (e >= '0' && e <= '7') {
                    int v = e - '0';
                    for (int k = 0; k < 2 && i + 1 < body.size() && body[i + 1] >= '0' && body[i + 1] <= '7'; ++k)
                        v = v * 8 + (body[++i] - '0');
                    out += static_cast<char>(v & 0xff);
                } else {
                    out += '\\';
                    out += e;
                }
        }
    }
    return load_py2_string(out);
}

// raw-unicode-escape: \uXXXX and \UXXXXXXXX escapes, every other byte a Latin-1 code point.
bool Unpickler::load_text_unicode() {
    const char* p;
    size_t n;
    if (!readline(&p, &n)) return false;
    if (n < 1) return (void)unpickling_error("pickle data was truncated"), false;
    --n;
    std::string out;
    auto put_cp = [&out](uint32_t cp) {
        if (cp < 0x80) {
            out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3f));
        } else if (cp < 0x10000) {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
            out += static_cast<char>(0x80 | (cp & 0x3f));
        } else {
            out += static_cast<char>(0xF0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
            out += static_cast<char>(0x80 | (cp & 0x3f));
        }
    };
    for (size_t i = 0; i < n; ++i) {
        unsigned char c = static_cast<unsigned char>(p[i]);
        if (c == '\\' && i + 1 < n && (p[i + 1] == 'u' || p[i + 1] == 'U')) {
            int digits = p[i + 1] == 'u' ? 4 : 8;
            if (i + 1 + digits >= n + 0 && i + 1 + digits > n - 1 + 1) {
                return (void)raise(&exc::UnicodeDecodeError, "truncated \\uXXXX escape"), false;
            }
            uint32_t cp = 0;
            for (int k = 0; k < digits; ++k) {
                char h = p[i + 2 + k];
                int d = (h >= '0' && h <= '9') ? h - '0'
                        : (h >= 'a' && h <= 'f') ? h - 'a' + 10
                        : (h >= 'A' && h <= 'F') ? h - 'A' + 10
                                                 : -1;
                if (d < 0) return (void)raise(&exc::UnicodeDecodeError, "truncated \\uXXXX escape"), false;
                cp = cp * 16 + static_cast<uint32_t>(d);
            }
            if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                return (void)raise(&exc::UnicodeDecodeError, "\\Uxxxxxxxx out of range"), false;
            put_cp(cp);
            i += 1 + digits;
        } else {
            put_cp(c);
        }
    }
    return push_new(Ref(new_str(out)));
}

// INST (module, name from lines, args since the mark) and OBJ (class and args since the mark).
bool Unpickler::load_inst_or_obj(bool inst) {
    int64_t mark = marker();
    if (mark < 0) return false;
    size_t m = static_cast<size_t>(mark);
    Ref cls;
    RefT<Tuple> args;
    if (inst) {
        if (!load_global_lines()) return false;
        cls = Ref::steal(stack_.back());
        stack_.pop_back();
        args = pop_tuple(m);
        if (!args) return false;
    } else {
        if (stack_.size() < m + 1) return underflow();
        args = pop_tuple(m + 1);
        if (!args) return false;
        cls = pop();
        if (!cls) return false;
    }
    if (args->size == 0 && type_has(type_of(*cls), kTypeSubclass)) {
        Type* t = cls.as<Type>();
        if (!t->new_) return (void)raisef(&exc::TypeError, "cannot create '{}' instances", t->name), false;
        return push_created(t->new_(t, CallArgs{nullptr, 0, nullptr}));
    }
    return push_new(call(*cls, CallArgs{args->items, static_cast<size_t>(args->size), nullptr}));
}

Ref Unpickler::run() {
    const char* p;
    for (;;) {
        if (pos_ >= len_ && file_read_.is_null())
            return raise(&exc::EOFError, "Ran out of input");
        if (!read(1, &p)) {
            if (error_matches(&unpickling_error_type)) {
                clear_error();
                return raise(&exc::EOFError, "Ran out of input");
            }
            return nullptr;
        }
        uint8_t op = static_cast<uint8_t>(*p);
        bool ok = true;
        switch (op) {
            case NONE: push(Ref::none()); break;
            case NEWTRUE: push(Ref::boolean(true)); break;
            case NEWFALSE: push(Ref::boolean(false)); break;
            case BININT1:
                if (!read(1, &p)) return nullptr;
                push(Ref::steal(Value::small_int(static_cast<uint8_t>(*p))));
                break;
            case BININT2:
                if (!read(2, &p)) return nullptr;
                push(Ref::steal(Value::small_int(static_cast<int64_t>(rd_le(p, 2)))));
                break;
            case BININT:
                if (!read(4, &p)) return nullptr;
                push(Ref::steal(Value::small_int(static_cast<int32_t>(static_cast<uint32_t>(rd_le(p, 4))))));
                break;
            case LONG1: {
                if (!read(1, &p)) return nullptr;
                size_t n = static_cast<uint8_t>(*p);
                if (!read(n, &p)) return nullptr;
                ok = load_long_bytes(p, n);
                break;
            }
            case LONG4: {
                if (!read(4, &p)) return nullptr;
                int32_t n = static_cast<int32_t>(static_cast<uint32_t>(rd_le(p, 4)));
                if (n < 0) return unpickling_error("LONG pickle has negative byte count");
                if (!read(static_cast<size_t>(n), &p)) return nullptr;
                ok = load_long_bytes(p, static_cast<size_t>(n));
                break;
            }
            case BINFLOAT: {
                if (!read(8, &p)) return nullptr;
                uint64_t bits = 0;
                for (int i = 0; i < 8; ++i) bits = (bits << 8) | static_cast<uint8_t>(p[i]);
                double d;
                std::memcpy(&d, &bits, 8);
                push(make_float(d));
                break;
            }
            case SHORT_BINUNICODE: {
                if (!read(1, &p)) return nullptr;
                size_t n = static_cast<uint8_t>(*p);
                if (!read(n, &p)) return nullptr;
                ok = load_str(p, n);
                break;
            }
            case BINUNICODE:
            case BINUNICODE8: {
                int w = op == BINUNICODE ? 4 : 8;
                if (!read(w, &p)) return nullptr;
                uint64_t n = rd_le(p, w);
                if (n > static_cast<uint64_t>(INT64_MAX))
                    return raisef(&exc::OverflowError, "BINUNICODE exceeds system's maximum size of {} bytes", INT64_MAX);
                if (!read(n, &p)) return nullptr;
                ok = load_str(p, n);
                break;
            }
            case SHORT_BINBYTES:
            case BINBYTES:
            case BINBYTES8:
            case BYTEARRAY8: {
                int w = op == SHORT_BINBYTES ? 1 : op == BINBYTES ? 4 : 8;
                if (!read(w, &p)) return nullptr;
                uint64_t n = rd_le(p, w);
                if (n > static_cast<uint64_t>(INT64_MAX))
                    return raisef(&exc::OverflowError, "{} exceeds system's maximum size of {} bytes",
                                  op == BYTEARRAY8 ? "BYTEARRAY8" : "BINBYTES", INT64_MAX);
                if (!read(n, &p)) return nullptr;
                if (op == BYTEARRAY8) ok = push_new(Ref(new_bytearray(std::string_view(p, n))));
                else ok = push_new(Ref(new_bytes(std::string_view(p, n))));
                break;
            }
            case SHORT_BINSTRING:
            case BINSTRING: {
                int w = op == SHORT_BINSTRING ? 1 : 4;
                if (!read(w, &p)) return nullptr;
                uint64_t n = rd_le(p, w);
                if (!read(n, &p)) return nullptr;
                ok = load_py2_string(std::string_view(p, n));
                break;
            }
            case EMPTY_TUPLE: push(Ref::borrow(Value::object(empty_tuple()))); break;
            case TUPLE1: ok = load_counted_tuple(1); break;
            case TUPLE2: ok = load_counted_tuple(2); break;
            case TUPLE3: ok = load_counted_tuple(3); break;
            case TUPLE: {
                int64_t m = marker();
                if (m < 0) return nullptr;
                ok = load_counted_tuple(stack_.size() - static_cast<size_t>(m));
                break;
            }
            case EMPTY_LIST: ok = push_created(Ref(new_list())); break;
            case EMPTY_DICT: ok = push_created(Ref(new_dict())); break;
            case EMPTY_SET: ok = push_created(new_set(&set_type)); break;
            case LIST: {
                int64_t m = marker();
                if (m < 0) return nullptr;
                RefT<List> l = pop_list(static_cast<size_t>(m));
                ok = push_created(Ref(std::move(l)));
                break;
            }
            case DICT: {
                int64_t m = marker();
                if (m < 0) return nullptr;
                size_t i = static_cast<size_t>(m), j = stack_.size();
                if ((j - i) % 2 != 0) return unpickling_error("odd number of items for DICT");
                RefT<Dict> d = new_dict();
                if (!d) return nullptr;
                for (size_t k = i + 1; k < j; k += 2)
                    if (!dict_set(d.get(), stack_[k - 1], stack_[k])) return nullptr;
                clear_to(i);
                ok = push_created(Ref(std::move(d)));
                break;
            }
            case FROZENSET: {
                int64_t m = marker();
                if (m < 0) return nullptr;
                RefT<Tuple> items = pop_tuple(static_cast<size_t>(m));
                if (!items) return nullptr;
                ok = push_new(set_from_iterable(&frozenset_type, items.value()));
                break;
            }
            case APPEND: ok = stack_.empty() ? underflow() : do_append(stack_.size() - 1); break;
            case APPENDS: {
                int64_t m = marker();
                if (m < 0) return nullptr;
                ok = do_append(static_cast<size_t>(m));
                break;
            }
            case SETITEM: ok = stack_.size() < 2 ? underflow() : do_setitems(stack_.size() - 2); break;
            case SETITEMS: {
                int64_t m = marker();
                if (m < 0) return nullptr;
                ok = do_setitems(static_cast<size_t>(m));
                break;
            }
            case ADDITEMS: ok = load_additems(); break;
            case MARK: marks_.push_back(stack_.size()); break;
            case POP:
                if (!marks_.empty() && marks_.back() == stack_.size()) {
                    marks_.pop_back();
                } else if (stack_.size() <= fence()) {
                    ok = underflow();
                } else {
                    decref(stack_.back());
                    stack_.pop_back();
                }
                break;
            case POP_MARK: {
                int64_t m = marker();
                if (m < 0) return nullptr;
                clear_to(static_cast<size_t>(m));
                break;
            }
            case DUP:
                if (stack_.size() <= fence()) {
                    ok = underflow();
                } else {
                    incref(stack_.back());
                    stack_.push_back(stack_.back());
                }
                break;
            case BINGET:
                if (!read(1, &p)) return nullptr;
                ok = load_get(static_cast<uint8_t>(*p));
                break;
            case LONG_BINGET:
                if (!read(4, &p)) return nullptr;
                ok = load_get(rd_le(p, 4));
                break;
            case BINPUT:
                if (!read(1, &p)) return nullptr;
                ok = load_put(static_cast<uint8_t>(*p));
                break;
            case LONG_BINPUT:
                if (!read(4, &p)) return nullptr;
                ok = load_put(rd_le(p, 4));
                break;
            case MEMOIZE: {
                if (stack_.size() <= fence()) return (void)underflow(), nullptr;
                uint64_t idx = memo_.size();
                if (!sparse_memo_.empty()) {
                    // The next index after every stored one, as CPython's memo_len.
                    idx = memo_.size();
                    for (auto& kv : sparse_memo_) idx = std::max<uint64_t>(idx, kv.first + 1);
                }
                memo_put(idx, stack_.back());
                break;
            }
            case GET:
            case PUT: {
                size_t n;
                if (!readline(&p, &n)) return nullptr;
                if (n < 2) return unpickling_error("pickle data was truncated");
                if (op == PUT && stack_.size() <= fence()) return (void)underflow(), nullptr;
                int64_t idx;
                if (!parse_text_int(p, n, &idx)) return nullptr;
                if (op == GET) {
                    if (idx < 0)
                        return unpickling_error(fmt::format("Memo value not found at index {}", idx));
                    ok = load_get(static_cast<uint64_t>(idx));
                } else {
                    if (idx < 0) return raise(&exc::ValueError, "negative PUT argument");
                    ok = load_put(static_cast<uint64_t>(idx));
                }
                break;
            }
            case PROTO: {
                if (!read(1, &p)) return nullptr;
                int v = static_cast<uint8_t>(*p);
                if (v > kHighestProtocol) return raisef(&exc::ValueError, "unsupported pickle protocol: {}", v);
                proto_ = v;
                break;
            }
            case FRAME: {
                if (!read(8, &p)) return nullptr;
                uint64_t n = rd_le(p, 8);
                if (n > static_cast<uint64_t>(INT64_MAX))
                    return raisef(&exc::OverflowError, "FRAME length exceeds system's maximum of {} bytes", INT64_MAX);
                if (!read(n, &p)) return nullptr;
                pos_ -= n;  // the frame's data is now in the buffer: read on from its start
                break;
            }
            case GLOBAL: ok = load_global_lines(); break;
            case STACK_GLOBAL: {
                Ref name = pop();
                if (!name) return nullptr;
                Ref module = pop();
                if (!module) return nullptr;
                if (!is_exact_str(*module) || !is_exact_str(*name))
                    return unpickling_error("STACK_GLOBAL requires str");
                ok = push_new(find_class(*module, *name));
                break;
            }
            case REDUCE: {
                Ref args = pop();
                if (!args) return nullptr;
                Ref callable = pop();
                if (!callable) return nullptr;
                if (!is_tuple(*args)) return raise(&exc::TypeError, "argument list must be a tuple");
                Tuple* at = args.as<Tuple>();
                ok = push_new(call(*callable, CallArgs{at->items, static_cast<size_t>(at->size), nullptr}));
                break;
            }
            case NEWOBJ: ok = load_newobj(false); break;
            case NEWOBJ_EX: ok = load_newobj(true); break;
            case BUILD: ok = load_build(); break;
            case INST: ok = load_inst_or_obj(true); break;
            case OBJ: ok = load_inst_or_obj(false); break;
            case INT: ok = load_text_int(false); break;
            case LONG: ok = load_text_int(true); break;
            case FLOAT: ok = load_text_float(); break;
            case STRING: ok = load_text_string(); break;
            case UNICODE: ok = load_text_unicode(); break;
            case PERSID:
            case BINPERSID: {
                if (persistent_load.is_null())
                    return unpickling_error(
                        "A load persistent id instruction was encountered,\n"
                        "but no persistent_load function was specified.");
                Ref pid;
                if (op == PERSID) {
                    size_t n;
                    if (!readline(&p, &n)) return nullptr;
                    if (n < 1) return unpickling_error("pickle data was truncated");
                    pid = bytes_decode(std::string_view(p, n - 1), "ascii", "strict");
                    if (!pid) {
                        if (error_matches(&exc::UnicodeDecodeError)) {
                            clear_error();
                            return unpickling_error("persistent IDs in protocol 0 must be ASCII strings");
                        }
                        return nullptr;
                    }
                } else {
                    pid = pop();
                    if (!pid) return nullptr;
                }
                ok = push_new(call(persistent_load, {*pid}));
                break;
            }
            case EXT1:
            case EXT2:
            case EXT4: {
                int w = op == EXT1 ? 1 : op == EXT2 ? 2 : 4;
                if (!read(w, &p)) return nullptr;
                int64_t code = static_cast<int64_t>(rd_le(p, w));
                if (code <= 0) return raise(&exc::RuntimeError, "EXT specifies code <= 0");
                return raisef(&exc::ValueError, "unregistered extension code {}", code);
            }
            case NEXT_BUFFER: {
                if (buffers.is_null() || buffers.is_none())
                    return unpickling_error(
                        "pickle stream refers to out-of-band data but no *buffers* argument was given");
                Ref b = iter_next(buffers);
                if (!b) {
                    if (error_occurred()) return nullptr;
                    return unpickling_error("not enough out-of-band buffers");
                }
                push(std::move(b));
                break;
            }
            case READONLY_BUFFER:
                if (stack_.size() <= fence()) ok = underflow();
                break;
            case STOP: {
                Ref v = pop();
                return v;
            }
            default: {
                if (op >= 0x20 && op <= 0x7e && op != '\'' && op != '\\')
                    return unpickling_error(fmt::format("invalid load key, '{}'.", static_cast<char>(op)));
                return unpickling_error(fmt::format("invalid load key, '\\x{:02x}'.", op));
            }
        }
        if (!ok) return nullptr;
    }
}

// The keyword options shared by loads() and load().
bool parse_load_options(Unpickler* u, Value fix, Value enc, Value err, Value bufs) {
    if (!fix.is_null()) {
        int t = truthy(fix);
        if (t < 0) return false;
        u->fix_imports = t;
    }
    if (!enc.is_null()) {
        if (!is_str(enc))
            return (void)raisef(&exc::TypeError, "argument 'encoding' must be str, not {}", type_name(enc)), false;
        u->encoding = std::string(str_view(enc));
    }
    if (!err.is_null()) {
        if (!is_str(err))
            return (void)raisef(&exc::TypeError, "argument 'errors' must be str, not {}", type_name(err)), false;
        u->errors = std::string(str_view(err));
    }
    return true;
}

}  // namespace

// loads(data, /, *, fix_imports=True, encoding='ASCII', errors='strict', buffers=())
Ref pickle_loads(Value, CallArgs a) {
    Value args[5] = {};
    if (!parse_args("loads", a, 1, 1, {"", "fix_imports", "encoding", "errors", "buffers"}, args))
        return nullptr;
    Value data = args[0];
    if (is_str(data)) return raise(&exc::TypeError, "a bytes-like object is required, not 'str'");
    if (!is_bytes_like(data))
        return raisef(&exc::TypeError, "a bytes-like object is required, not '{}'", type_name(data));
    // Hold a bytes copy: the input must not change while we read it (bytearray).
    Ref hold = is_bytes(data) ? Ref::borrow(data) : Ref(new_bytes(buffer_view(data)));
    if (!hold) return nullptr;
    Unpickler u(bytes_view(*hold));
    if (!parse_load_options(&u, args[1], args[2], args[3], args[4])) return nullptr;
    Ref it;
    if (!args[4].is_null() && !args[4].is_none()) {
        it = get_iter(args[4]);
        if (!it) return nullptr;
        u.buffers = *it;
    }
    return u.load();
}

// load(file, *, fix_imports=True, encoding='ASCII', errors='strict', buffers=())
Ref pickle_load(Value, CallArgs a) {
    Value args[5] = {};
    if (!parse_args("load", a, 1, 1, {"file", "fix_imports", "encoding", "errors", "buffers"}, args))
        return nullptr;
    Ref read = getattr_or_null(args[0], TOY_NAME(read));
    if (!read && error_occurred()) return nullptr;
    Ref readline = getattr_or_null(args[0], TOY_NAME(readline));
    if (!readline && error_occurred()) return nullptr;
    if (!read || !readline)
        return raise(&exc::TypeError, "file must have 'read' and 'readline' attributes");
    Unpickler u(*read, *readline);
    if (!parse_load_options(&u, args[1], args[2], args[3], args[4])) return nullptr;
    Ref it;
    if (!args[4].is_null() && !args[4].is_none()) {
        it = get_iter(args[4]);
        if (!it) return nullptr;
        u.buffers = *it;
    }
    return u.load();
}

// _load_with(file, persistent_load, find_class, fix_imports, encoding, errors, buffers, memo):
// the engine of pickle.Unpickler.load (hooks may be None; memo a dict index -> object kept
// across the loads of one Unpickler, or None).
Ref pickle_load_with(Value, CallArgs a) {
    if (!detail::unpack_args("_load_with", a, 8, 8)) return nullptr;
    Ref read = getattr(a.args[0], TOY_NAME(read));
    if (!read) return nullptr;
    Ref readline = getattr(a.args[0], TOY_NAME(readline));
    if (!readline) return nullptr;
    Unpickler u(*read, *readline);
    if (!a.args[1].is_none()) u.persistent_load = a.args[1];
    if (!a.args[2].is_none()) u.find_class_hook = a.args[2];
    if (!parse_load_options(&u, a.args[3], a.args[4], a.args[5], Value::null())) return nullptr;
    Ref it;
    if (!a.args[6].is_none()) {
        it = get_iter(a.args[6]);
        if (!it) return nullptr;
        u.buffers = *it;
    }
    Dict* memo = is_exact_dict(a.args[7]) ? a.args[7].as<Dict>() : nullptr;
    if (memo) u.import_memo(memo);
    Ref r = u.load();
    if (r && memo && !u.export_memo(memo)) return nullptr;
    return r;
}

// _find_class(module, name, fix_imports): Unpickler.find_class's default.
Ref pickle_find_class(Value, CallArgs a) {
    if (!detail::unpack_args("_find_class", a, 3, 3)) return nullptr;
    if (!is_str(a.args[0]) || !is_str(a.args[1]))
        return raise(&exc::TypeError, "find_class() arguments must be str");
    int fix = truthy(a.args[2]);
    if (fix < 0) return nullptr;
    return default_find_class(str_view(a.args[0]), str_view(a.args[1]), kHighestProtocol, fix);
}

}  // namespace pickle_detail
}  // namespace toy
