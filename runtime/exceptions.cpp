// exceptions.cpp: BaseException and the builtin exception hierarchy (exceptions.def).
//
// Every exception instance is a BaseExceptionObject. Type-specific attributes live in
// `extra`: a single value for StopIteration.value, SystemExit.code and NameError.name, a
// private tuple of fields (created on first write, never exposed) for OSError, SyntaxError,
// ImportError, AttributeError and UnicodeError. Those types carry kSolidLayout so that a
// class cannot inherit from two of them.
#include <cstring>

#include "runtime/abstract.h"
#include "runtime/dict.h"
#include "runtime/errors.h"
#include "runtime/init_types.h"
#include "runtime/int.h"
#include "runtime/list.h"
#include "runtime/native_function.h"
#include "runtime/str.h"
#include "runtime/thread_state.h"
#include "runtime/tuple.h"

#pragma GCC diagnostic ignored "-Winvalid-offsetof"

namespace toy {

namespace exc {
#define TOY_EXCEPTION(name, base) Type name;
#include "runtime/exceptions.def"
#undef TOY_EXCEPTION
}  // namespace exc

Type* oserror_subtype_for_errno(int err);  // errors.cpp

static BaseExceptionObject* E(Value v) { return v.as<BaseExceptionObject>(); }

BaseExceptionObject* exc_alloc(Type* type, Tuple* args) {
    auto* e = new_object<BaseExceptionObject>(type, 0);
    if (!e) return nullptr;
    incref(args);
    e->args = args;
    return e;
}

static void exc_dealloc(Object* o) {
    auto* e = static_cast<BaseExceptionObject*>(o);
    if (e->dict) decref(e->dict);
    if (e->args) decref(e->args);
    decref(e->traceback);
    decref(e->cause);
    decref(e->context);
    decref(e->notes);
    decref(e->extra);
    object_free(o, sizeof(BaseExceptionObject));
}

static void set_value(Value* slot, Value v) {
    Value old = *slot;
    incref(v);
    *slot = v;
    decref(old);
}

// --- the field tuple --------------------------------------------------------------------------
static Value get_field(Value self, int i) {
    Value t = E(self)->extra;
    if (t.is_null() || !is_exact_tuple(t) || i >= t.as<Tuple>()->size) return Value::none();
    Value v = t.as<Tuple>()->items[i];
    return v.is_null() ? Value::none() : v;
}
static bool set_field(Value self, int i, int n, Value v) {
    BaseExceptionObject* e = E(self);
    if (e->extra.is_null() || !is_exact_tuple(e->extra)) {
        RefT<Tuple> t = new_tuple(n);
        if (!t) return false;
        for (int k = 0; k < n; k++) t->items[k] = Value::none();
        decref(e->extra);
        e->extra = Value::object(t.release());
    }
    Tuple* t = e->extra.as<Tuple>();
    if (v.is_null()) v = Value::none();
    set_value(&t->items[i], v);
    return true;
}

// --- BaseException ----------------------------------------------------------------------------
static Ref exc_new(Type* type, CallArgs a) {
    RefT<Tuple> args = new_tuple_from(a.args, static_cast<int64_t>(a.npos));
    if (!args) return nullptr;
    BaseExceptionObject* e = exc_alloc(type, args.get());
    if (!e) return nullptr;
    return Ref::steal(e);
}

static bool set_args_from(Value self, CallArgs a) {
    RefT<Tuple> args = new_tuple_from(a.args, static_cast<int64_t>(a.npos));
    if (!args) return false;
    Tuple* old = E(self)->args;
    E(self)->args = args.release();
    if (old) decref(old);
    return true;
}

static bool no_keywords(Value self, CallArgs a) {
    if (a.nkw()) {
        (void)raisef(&exc::TypeError, "{}() takes no keyword arguments", type_name(self));
        return false;
    }
    return true;
}

static bool exc_init(Value self, CallArgs a) {
    if (!no_keywords(self, a)) return false;
    return set_args_from(self, a);
}

static Ref exc_str(Value self) {
    Tuple* args = E(self)->args;
    if (!args || args->size == 0) return Ref::borrow(empty_str());
    if (args->size == 1) return str(args->items[0]);
    return str(Value::object(args));
}

static Ref exc_repr(Value self) {
    Tuple* args = E(self)->args;
    std::string_view name = type_name(self);
    if (args && args->size == 1) {
        Ref r = repr(args->items[0]);
        if (!r) return nullptr;
        return Ref(new_str(fmt::format("{}({})", name, r.as<Str>()->view())));
    }
    if (!args || args->size == 0) return Ref(new_str(fmt::format("{}()", name)));
    Ref r = repr(Value::object(args));
    if (!r) return nullptr;
    return Ref(new_str(fmt::format("{}{}", name, r.as<Str>()->view())));
}

static Ref exc_get_args(Value self) {
    Tuple* t = E(self)->args;
    return Ref::borrow(t ? Value::object(t) : Value::object(empty_tuple()));
}
static bool exc_set_args(Value self, Value v) {
    if (v.is_null()) {
        (void)raise(&exc::TypeError, "args may not be deleted");
        return false;
    }
    Ref t;
    if (is_exact_tuple(v)) {
        t = Ref::borrow(v);
    } else {
        // tuple(v)
        Ref it = get_iter(v);
        if (!it) return false;
        RefT<List> l = new_list();
        if (!l) return false;
        for (;;) {
            Ref x = iter_next(it.get());
            if (!x) {
                if (error_occurred()) return false;
                break;
            }
            if (!list_append(l.get(), x.get())) return false;
        }
        t = list_to_tuple(l.get());
        if (!t) return false;
    }
    Tuple* old = E(self)->args;
    E(self)->args = t.release().as<Tuple>();
    if (old) decref(old);
    return true;
}

static Ref exc_get_traceback(Value self) {
    Value v = E(self)->traceback;
    return v.is_null() ? Ref::none() : Ref::borrow(v);
}
static bool exc_set_traceback(Value self, Value v) {
    if (v.is_null()) {
        (void)raise(&exc::TypeError, "__traceback__ may not be deleted");
        return false;
    }
    if (!v.is_none() && std::strcmp(type_of(v)->name, "traceback") != 0) {
        (void)raise(&exc::TypeError, "__traceback__ must be a traceback or None");
        return false;
    }
    set_value(&E(self)->traceback, v.is_none() ? Value::null() : v);
    return true;
}

static Ref exc_get_cause(Value self) {
    Value v = E(self)->cause;
    return v.is_null() ? Ref::none() : Ref::borrow(v);
}
static bool exc_set_cause(Value self, Value v) {
    if (v.is_null()) {
        (void)raise(&exc::TypeError, "__cause__ may not be deleted");
        return false;
    }
    if (!v.is_none() && !is_exception(v)) {
        (void)raise(&exc::TypeError, "exception cause must be None or derive from BaseException");
        return false;
    }
    set_value(&E(self)->cause, v.is_none() ? Value::null() : v);
    E(self)->suppress_context = true;
    return true;
}

static Ref exc_get_context(Value self) {
    Value v = E(self)->context;
    return v.is_null() ? Ref::none() : Ref::borrow(v);
}
static bool exc_set_context(Value self, Value v) {
    if (v.is_null()) {
        (void)raise(&exc::TypeError, "__context__ may not be deleted");
        return false;
    }
    if (!v.is_none() && !is_exception(v)) {
        (void)raise(&exc::TypeError, "exception context must be None or derive from BaseException");
        return false;
    }
    set_value(&E(self)->context, v.is_none() ? Value::null() : v);
    return true;
}

static Ref exc_get_suppress(Value self) { return Ref::boolean(E(self)->suppress_context); }
static bool exc_set_suppress(Value self, Value v) {
    if (v.is_null()) {
        (void)raise(&exc::TypeError, "__suppress_context__ may not be deleted");
        return false;
    }
    int t = truthy(v);
    if (t < 0) return false;
    E(self)->suppress_context = t != 0;
    return true;
}

static Ref exc_get_notes(Value self) {
    Value v = E(self)->notes;
    if (v.is_null())
        return raisef(&exc::AttributeError, "'{}' object has no attribute '__notes__'",
                      type_name(self));
    return Ref::borrow(v);
}
static bool exc_set_notes(Value self, Value v) {
    set_value(&E(self)->notes, v);
    return true;
}

static Ref exc_with_traceback(Value self, CallArgs a) {
    Value tb;
    if (!parse_args("with_traceback", a, 1, 1, {""}, &tb)) return nullptr;
    if (!exc_set_traceback(self, tb)) return nullptr;
    return Ref::borrow(self);
}

static Ref exc_add_note(Value self, CallArgs a) {
    Value note;
    if (!parse_args("add_note", a, 1, 1, {""}, &note)) return nullptr;
    if (!is_str(note))
        return raisef(&exc::TypeError, "note must be a str, not '{}'", type_name(note));
    BaseExceptionObject* e = E(self);
    if (e->notes.is_null()) {
        RefT<List> l = new_list();
        if (!l) return nullptr;
        e->notes = Value::object(l.release());
    }
    if (!is_list(e->notes)) return raise(&exc::TypeError, "Cannot add note: __notes__ is not a list");
    if (!list_append(e->notes.as<List>(), note)) return nullptr;
    return Ref::none();
}

static const MethodDef base_exception_methods[] = {
    {"with_traceback", exc_with_traceback},
    {"add_note", exc_add_note},
    {nullptr},
};

static const GetSetDef base_exception_getsets[] = {
    {"args", exc_get_args, exc_set_args},
    {"__traceback__", exc_get_traceback, exc_set_traceback},
    {"__cause__", exc_get_cause, exc_set_cause},
    {"__context__", exc_get_context, exc_set_context},
    {"__suppress_context__", exc_get_suppress, exc_set_suppress},
    {"__notes__", exc_get_notes, exc_set_notes},
    {nullptr},
};

// --- single-value layouts: StopIteration.value, SystemExit.code, NameError.name -------------
static Ref extra_get(Value self) {
    Value v = E(self)->extra;
    return v.is_null() ? Ref::none() : Ref::borrow(v);
}
static bool extra_set(Value self, Value v) {
    set_value(&E(self)->extra, v);
    return true;
}

static bool stop_iteration_init(Value self, CallArgs a) {
    if (!exc_init(self, a)) return false;
    set_value(&E(self)->extra, a.npos ? a.args[0] : Value::null());
    return true;
}
static const GetSetDef stop_iteration_getsets[] = {{"value", extra_get, extra_set}, {nullptr}};

static bool system_exit_init(Value self, CallArgs a) {
    if (!exc_init(self, a)) return false;
    if (a.npos == 0) {
        set_value(&E(self)->extra, Value::null());
    } else if (a.npos == 1) {
        set_value(&E(self)->extra, a.args[0]);
    } else {
        set_value(&E(self)->extra, Value::object(E(self)->args));
    }
    return true;
}
static const GetSetDef system_exit_getsets[] = {{"code", extra_get, extra_set}, {nullptr}};

// Keyword arguments accepted by NameError/AttributeError/ImportError.
static bool take_kwargs(Value self, CallArgs a, std::initializer_list<const char*> names,
                        Value* out) {
    size_t nkw = a.nkw();
    for (size_t i = 0; i < nkw; i++) {
        Str* k = a.kwnames->items[i].as<Str>();
        size_t j = 0;
        bool found = false;
        for (const char* n : names) {
            if (k->view() == n) {
                out[j] = a.args[a.npos + i];
                found = true;
                break;
            }
            j++;
        }
        if (!found) {
            (void)raisef(&exc::TypeError, "'{}' is an invalid keyword argument for {}()", k->view(),
                   type_name(self));
            return false;
        }
    }
    return true;
}

static bool name_error_init(Value self, CallArgs a) {
    Value name = Value::null();
    if (!take_kwargs(self, a, {"name"}, &name)) return false;
    if (!set_args_from(self, a)) return false;
    set_value(&E(self)->extra, name);
    return true;
}
static const GetSetDef name_error_getsets[] = {{"name", extra_get, extra_set}, {nullptr}};

// AttributeError: fields (name, obj).
static bool attribute_error_init(Value self, CallArgs a) {
    Value kw[2] = {Value::null(), Value::null()};
    if (!take_kwargs(self, a, {"name", "obj"}, kw)) return false;
    if (!set_args_from(self, a)) return false;
    return set_field(self, 0, 2, kw[0]) && set_field(self, 1, 2, kw[1]);
}
template <int I> static Ref field_get(Value self) { return Ref::borrow(get_field(self, I)); }
template <int I, int N> static bool field_set(Value self, Value v) {
    return set_field(self, I, N, v);
}
// CPython's set_attribute_error_context: a pending AttributeError raised while getting
// `name` from `o` learns both (unless already set), for `e.name`/`e.obj` and "Did you mean".
void set_attribute_error_context(Value o, Str* name) {
    Value e = current_error();
    if (e.is_null() || !is_subtype(type_of(e), &exc::AttributeError)) return;
    if (!get_field(e, 0).is_none() || !get_field(e, 1).is_none()) return;
    if (!set_field(e, 0, 2, Value::object(name)) || !set_field(e, 1, 2, o)) clear_error();
}

static const GetSetDef attribute_error_getsets[] = {
    {"name", field_get<0>, field_set<0, 2>},
    {"obj", field_get<1>, field_set<1, 2>},
    {nullptr},
};

// ImportError: fields (msg, name, path).
static bool import_error_init(Value self, CallArgs a) {
    Value kw[2] = {Value::null(), Value::null()};
    if (!take_kwargs(self, a, {"name", "path"}, kw)) return false;
    if (!set_args_from(self, a)) return false;
    return set_field(self, 0, 3, a.npos == 1 ? a.args[0] : Value::null()) &&
           set_field(self, 1, 3, kw[0]) && set_field(self, 2, 3, kw[1]);
}
static Ref import_error_str(Value self) {
    Value msg = get_field(self, 0);
    if (is_exact_str(msg)) return Ref::borrow(msg);
    return exc_str(self);
}
static const GetSetDef import_error_getsets[] = {
    {"msg", field_get<0>, field_set<0, 3>},
    {"name", field_get<1>, field_set<1, 3>},
    {"path", field_get<2>, field_set<2, 3>},
    {nullptr},
};

// OSError: fields (errno, strerror, filename, filename2).
enum { kErrno, kStrerror, kFilename, kFilename2, kOSErrorFields };

static bool oserror_parse(Value self, CallArgs a, bool set_args) {
    size_t n = a.npos;
    if (n >= 2 && n <= 5) {
        if (!set_field(self, kErrno, kOSErrorFields, a.args[0]) ||
            !set_field(self, kStrerror, kOSErrorFields, a.args[1]))
            return false;
        if (n >= 3 && !a.args[2].is_none()) {
            if (!set_field(self, kFilename, kOSErrorFields, a.args[2])) return false;
            if (n == 5 && !set_field(self, kFilename2, kOSErrorFields, a.args[4])) return false;
            if (set_args) {
                CallArgs two{a.args, 2, nullptr};
                return set_args_from(self, two);
            }
        }
    }
    return true;
}

static Ref oserror_new(Type* type, CallArgs a) {
    if (type == &exc::OSError && a.npos >= 2 && is_int(a.args[0])) {
        int64_t err;
        if (int_value(a.args[0], &err) && err > 0 && err < (1 << 20)) {
            type = oserror_subtype_for_errno(static_cast<int>(err));
        } else {
            clear_error();
        }
    }
    Ref e = exc_new(type, a);
    if (!e) return nullptr;
    if (!oserror_parse(e.get(), a, true)) return nullptr;
    return e;
}

static bool oserror_init(Value self, CallArgs a) {
    if (!no_keywords(self, a)) return false;
    // __new__ has parsed already unless a subclass overrides __new__ and passes other args.
    if (!set_args_from(self, a)) return false;
    return oserror_parse(self, a, true);
}

static Ref oserror_str(Value self) {
    Value filename = get_field(self, kFilename);
    Value filename2 = get_field(self, kFilename2);
    Value err = get_field(self, kErrno);
    Value strerror = get_field(self, kStrerror);
    if (!filename.is_none()) {
        Ref e = str(err), s = str(strerror), f = repr(filename);
        if (!e || !s || !f) return nullptr;
        if (!filename2.is_none()) {
            Ref f2 = repr(filename2);
            if (!f2) return nullptr;
            return Ref(new_str(fmt::format("[Errno {}] {}: {} -> {}", e.as<Str>()->view(),
                                           s.as<Str>()->view(), f.as<Str>()->view(),
                                           f2.as<Str>()->view())));
        }
        return Ref(new_str(fmt::format("[Errno {}] {}: {}", e.as<Str>()->view(),
                                       s.as<Str>()->view(), f.as<Str>()->view())));
    }
    if (!err.is_none() && !strerror.is_none()) {
        Ref e = str(err), s = str(strerror);
        if (!e || !s) return nullptr;
        return Ref(new_str(fmt::format("[Errno {}] {}", e.as<Str>()->view(), s.as<Str>()->view())));
    }
    return exc_str(self);
}

static const GetSetDef oserror_getsets[] = {
    {"errno", field_get<kErrno>, field_set<kErrno, kOSErrorFields>},
    {"strerror", field_get<kStrerror>, field_set<kStrerror, kOSErrorFields>},
    {"filename", field_get<kFilename>, field_set<kFilename, kOSErrorFields>},
    {"filename2", field_get<kFilename2>, field_set<kFilename2, kOSErrorFields>},
    {nullptr},
};

Ref new_oserror(Type* type, int err, std::string_view strerror, std::string_view filename) {
    Ref e_no = make_int(err);
    RefT<Str> s = new_str(strerror);
    if (!e_no || !s) return nullptr;
    RefT<Tuple> args = new_tuple_of({e_no.get(), s.value()});
    if (!args) return nullptr;
    Ref e = Ref::steal(exc_alloc(type, args.get()));
    if (!e) return nullptr;
    if (!set_field(e.get(), kErrno, kOSErrorFields, e_no.get()) ||
        !set_field(e.get(), kStrerror, kOSErrorFields, s.value()))
        return nullptr;
    if (!filename.empty()) {
        RefT<Str> f = new_str(filename);
        if (!f || !set_field(e.get(), kFilename, kOSErrorFields, f.value())) return nullptr;
    }
    return e;
}

// SyntaxError: fields (msg, filename, lineno, offset, text, end_lineno, end_offset,
// print_file_and_line).
enum { kSeMsg, kSeFilename, kSeLineno, kSeOffset, kSeText, kSeEndLineno, kSeEndOffset,
       kSePrint, kSeFields };

static bool syntax_error_init(Value self, CallArgs a) {
    if (!exc_init(self, a)) return false;
    if (a.npos >= 1 && !set_field(self, kSeMsg, kSeFields, a.args[0])) return false;
    if (a.npos == 2) {
        Value info = a.args[1];
        if (!is_tuple(info)) {
            // tuple(info)
            Ref t;
            Ref it = get_iter(info);
            if (!it) return false;
            RefT<List> l = new_list();
            if (!l) return false;
            for (;;) {
                Ref x = iter_next(it.get());
                if (!x) {
                    if (error_occurred()) return false;
                    break;
                }
                if (!list_append(l.get(), x.get())) return false;
            }
            t = list_to_tuple(l.get());
            if (!t) return false;
            Tuple* tt = t.as<Tuple>();
            if (tt->size < 4 || tt->size > 6) {
                (void)raisef(&exc::TypeError, "function takes at {} {} arguments ({} given)",
                       tt->size < 4 ? "least" : "most", tt->size < 4 ? 4 : 6, tt->size);
                return false;
            }
            for (int64_t i = 0; i < tt->size; i++)
                if (!set_field(self, kSeFilename + static_cast<int>(i), kSeFields, tt->items[i]))
                    return false;
            return true;
        }
        Tuple* tt = info.as<Tuple>();
        if (tt->size < 4 || tt->size > 6) {
            (void)raisef(&exc::TypeError, "function takes at {} {} arguments ({} given)",
                   tt->size < 4 ? "least" : "most", tt->size < 4 ? 4 : 6, tt->size);
            return false;
        }
        for (int64_t i = 0; i < tt->size; i++)
            if (!set_field(self, kSeFilename + static_cast<int>(i), kSeFields, tt->items[i]))
                return false;
    }
    return true;
}

static Ref syntax_error_str(Value self) {
    Value msg = get_field(self, kSeMsg);
    Value filename = get_field(self, kSeFilename);
    Value lineno = get_field(self, kSeLineno);
    Ref m = str(msg);
    if (!m) return nullptr;
    std::string_view fname;
    bool have_file = is_str(filename);
    if (have_file) {
        fname = filename.as<Str>()->view();
        size_t slash = fname.rfind('/');
        if (slash != std::string_view::npos) fname = fname.substr(slash + 1);
    }
    bool have_line = is_int(lineno);
    int64_t line = 0;
    if (have_line && !int_value(lineno, &line)) return nullptr;
    if (have_file && have_line)
        return Ref(new_str(fmt::format("{} ({}, line {})", m.as<Str>()->view(), fname, line)));
    if (have_file) return Ref(new_str(fmt::format("{} ({})", m.as<Str>()->view(), fname)));
    if (have_line) return Ref(new_str(fmt::format("{} (line {})", m.as<Str>()->view(), line)));
    return m;
}

static const GetSetDef syntax_error_getsets[] = {
    {"msg", field_get<kSeMsg>, field_set<kSeMsg, kSeFields>},
    {"filename", field_get<kSeFilename>, field_set<kSeFilename, kSeFields>},
    {"lineno", field_get<kSeLineno>, field_set<kSeLineno, kSeFields>},
    {"offset", field_get<kSeOffset>, field_set<kSeOffset, kSeFields>},
    {"text", field_get<kSeText>, field_set<kSeText, kSeFields>},
    {"end_lineno", field_get<kSeEndLineno>, field_set<kSeEndLineno, kSeFields>},
    {"end_offset", field_get<kSeEndOffset>, field_set<kSeEndOffset, kSeFields>},
    {"print_file_and_line", field_get<kSePrint>, field_set<kSePrint, kSeFields>},
    {nullptr},
};

// KeyError: str() is the repr of a single key.
static Ref key_error_str(Value self) {
    Tuple* args = E(self)->args;
    if (args && args->size == 1) return repr(args->items[0]);
    return exc_str(self);
}

// UnicodeDecodeError / UnicodeEncodeError: fields (encoding, object, start, end, reason).
static bool unicode_error_init(Value self, CallArgs a) {
    if (!exc_init(self, a)) return false;
    if (a.npos == 5) {
        for (int i = 0; i < 5; i++)
            if (!set_field(self, i, 5, a.args[i])) return false;
    } else if (a.npos != 0) {
        (void)raisef(&exc::TypeError, "function takes exactly 5 arguments ({} given)", a.npos);
        return false;
    }
    return true;
}

static Ref unicode_error_str(Value self, bool decode) {
    Value enc = get_field(self, 0), obj = get_field(self, 1), reason = get_field(self, 4);
    int64_t start = 0, end = 0;
    if (!is_str(enc) || !is_str(reason) || !is_int(get_field(self, 2)) ||
        !is_int(get_field(self, 3)) || !int_value(get_field(self, 2), &start) ||
        !int_value(get_field(self, 3), &end)) {
        clear_error();
        return exc_str(self);
    }
    std::string_view e = enc.as<Str>()->view(), r = reason.as<Str>()->view();
    if (decode) {
        if (end == start + 1 && obj.is_object() &&
            std::strcmp(type_of(obj)->name, "bytes") == 0) {
            // bytes layout is private to bytes.cpp: go through the sequence protocol.
            Ref b = getitem(obj, Value::small_int(start));
            int64_t byte = 0;
            if (!b || !int_value(b.get(), &byte)) {
                clear_error();
                return exc_str(self);
            }
            return Ref(new_str(fmt::format("'{}' codec can't decode byte 0x{:02x} in position {}: {}",
                                           e, byte, start, r)));
        }
        return Ref(new_str(fmt::format("'{}' codec can't decode bytes in position {}-{}: {}", e,
                                       start, end - 1, r)));
    }
    if (end == start + 1 && is_str(obj)) {
        Ref ch = getitem(obj, Value::small_int(start));
        if (!ch) {
            clear_error();
            return exc_str(self);
        }
        std::string_view cs = ch.as<Str>()->view();
        // Decode the code point.
        uint32_t cp = 0;
        auto u = reinterpret_cast<const unsigned char*>(cs.data());
        if (cs.size() == 1) cp = u[0];
        else if (cs.size() == 2) cp = ((u[0] & 0x1F) << 6) | (u[1] & 0x3F);
        else if (cs.size() == 3) cp = ((u[0] & 0x0F) << 12) | ((u[1] & 0x3F) << 6) | (u[2] & 0x3F);
        else cp = ((u[0] & 0x07) << 18) | ((u[1] & 0x3F) << 12) | ((u[2] & 0x3F) << 6) | (u[3] & 0x3F);
        std::string esc = cp < 0x100 ? fmt::format("\\x{:02x}", cp)
                          : cp < 0x10000 ? fmt::format("\\u{:04x}", cp)
                                         : fmt::format("\\U{:08x}", cp);
        return Ref(new_str(fmt::format("'{}' codec can't encode character '{}' in position {}: {}",
                                       e, esc, start, r)));
    }
    return Ref(new_str(fmt::format("'{}' codec can't encode characters in position {}-{}: {}", e,
                                   start, end - 1, r)));
}
static Ref unicode_decode_error_str(Value self) { return unicode_error_str(self, true); }
static Ref unicode_encode_error_str(Value self) { return unicode_error_str(self, false); }
static const GetSetDef unicode_error_getsets[] = {
    {"encoding", field_get<0>, field_set<0, 5>},
    {"object", field_get<1>, field_set<1, 5>},
    {"start", field_get<2>, field_set<2, 5>},
    {"end", field_get<3>, field_set<3, 5>},
    {"reason", field_get<4>, field_set<4, 5>},
    {nullptr},
};

// Runs the type-specific part of __init__ for an exception created natively (new_exception).
bool exc_init_fields(Value self, CallArgs a) {
    Type* t = type_of(self);
    InitSlot init = t->init;
    if (init == exc_init) return true;  // args already set by exc_alloc
    return init(self, a);
}

void init_exception_types() {
    using namespace exc;
#define TOY_EXCEPTION(name_, base_)                                      \
    exc::name_.name = #name_;                                            \
    exc::name_.basic_size = sizeof(BaseExceptionObject);                 \
    exc::name_.dict_offset = offsetof(BaseExceptionObject, dict);        \
    exc::name_.flags |= kBaseType | kExceptionSubclass;
#include "runtime/exceptions.def"
#undef TOY_EXCEPTION

    BaseException.dealloc = exc_dealloc;
    BaseException.new_ = exc_new;
    BaseException.init = exc_init;
    BaseException.repr = exc_repr;
    BaseException.str = exc_str;
    BaseException.methods = base_exception_methods;
    BaseException.getsets = base_exception_getsets;

    StopIteration.init = stop_iteration_init;
    StopIteration.getsets = stop_iteration_getsets;
    StopIteration.flags |= kSolidLayout;
    SystemExit.init = system_exit_init;
    SystemExit.getsets = system_exit_getsets;
    SystemExit.flags |= kSolidLayout;
    NameError.init = name_error_init;
    NameError.getsets = name_error_getsets;
    NameError.flags |= kSolidLayout;
    AttributeError.init = attribute_error_init;
    AttributeError.getsets = attribute_error_getsets;
    AttributeError.flags |= kSolidLayout;
    ImportError.init = import_error_init;
    ImportError.str = import_error_str;
    ImportError.getsets = import_error_getsets;
    ImportError.flags |= kSolidLayout;
    OSError.new_ = oserror_new;
    OSError.init = oserror_init;
    OSError.str = oserror_str;
    OSError.getsets = oserror_getsets;
    OSError.flags |= kSolidLayout;
    SyntaxError.init = syntax_error_init;
    SyntaxError.str = syntax_error_str;
    SyntaxError.getsets = syntax_error_getsets;
    SyntaxError.flags |= kSolidLayout;
    KeyError.str = key_error_str;
    UnicodeError.flags |= kSolidLayout;
    UnicodeDecodeError.init = unicode_error_init;
    UnicodeDecodeError.str = unicode_decode_error_str;
    UnicodeDecodeError.getsets = unicode_error_getsets;
    UnicodeEncodeError.init = unicode_error_init;
    UnicodeEncodeError.str = unicode_encode_error_str;
    UnicodeEncodeError.getsets = unicode_error_getsets;

#define TOY_EXCEPTION(name_, base_) type_ready(&exc::name_, &base_);
#include "runtime/exceptions.def"
#undef TOY_EXCEPTION
}

}  // namespace toy
