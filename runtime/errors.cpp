// errors.cpp: the current exception of a thread: raising, fetching, chaining.
#include "runtime/errors.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "runtime/abstract.h"
#include "runtime/int.h"
#include "runtime/str.h"
#include "runtime/thread_state.h"
#include "runtime/tuple.h"

namespace toy {

// interp/traceback.h (weak: the runtime must not depend on the VM being linked in).
void print_exception(Value exc) __attribute__((weak));

// exceptions.cpp
BaseExceptionObject* exc_alloc(Type* type, Tuple* args);
bool exc_init_fields(Value self, CallArgs a);
Ref new_oserror(Type* type, int err, std::string_view strerror, std::string_view filename);

bool is_exception(Value v) {
    return v.is_object() && type_has(v.as_object()->type, kExceptionSubclass);
}

Ref set_exception(Ref e) {
    ThreadState* ts = current_thread();
    Value value = e.get();
    Value handled = topmost_handled_exc(ts);
    if (!handled.is_null() && !handled.is(value) && is_exception(handled) && is_exception(value)) {
        // Avoid creating a cycle: if `value` is already in the context chain of the handled
        // exception, cut the chain there (Floyd's algorithm guards pre-existing cycles).
        Value o = handled, slow = handled;
        bool toggle = false;
        for (;;) {
            Value ctx = as_exception(o)->context;
            if (ctx.is_null() || !is_exception(ctx)) break;
            if (ctx.is(value)) {
                as_exception(o)->context = Value::null();
                decref(ctx);
                break;
            }
            o = ctx;
            if (o.is(slow)) break;
            if (toggle) slow = as_exception(slow)->context;
            toggle = !toggle;
        }
        BaseExceptionObject* ev = as_exception(value);
        Value old = ev->context;
        incref(handled);
        ev->context = handled;
        decref(old);
    }
    ts->exc = std::move(e);
    return nullptr;
}

Ref new_exception(Type* type, std::string_view msg) {
    RefT<Str> s = new_str(msg);
    if (!s) return nullptr;
    return new_exception_with(type, s.value());
}

Ref new_exception_with(Type* type, Value arg) {
    RefT<Tuple> args = new_tuple_of({arg});
    if (!args) return nullptr;
    BaseExceptionObject* e = exc_alloc(type, args.get());
    if (!e) return nullptr;
    Ref r = Ref::steal(e);
    Value argv[1] = {arg};
    if (!exc_init_fields(r.get(), CallArgs{argv, 1, nullptr})) return nullptr;
    return r;
}

Ref raise(Type* type, std::string_view msg) {
    Ref e = new_exception(type, msg);
    if (!e) return nullptr;  // MemoryError set instead
    return set_exception(std::move(e));
}

Ref raise_with(Type* type, Value arg) {
    Ref e = new_exception_with(type, arg);
    if (!e) return nullptr;
    return set_exception(std::move(e));
}

Ref raise_value(Value e) {
    Type* t = type_of(e);
    if (t && (t == &type_type || type_has(t, kTypeSubclass))) {
        Type* et = e.as<Type>();
        if (!type_has(et, kExceptionSubclass))
            return raise(&exc::TypeError, "exceptions must derive from BaseException");
        Ref inst = call(e, CallArgs{});
        if (!inst) return nullptr;
        if (!is_exception(inst.get())) {
            Ref r1 = repr(e);
            Ref r2 = repr(Value::object(type_of(inst.get())));
            if (!r1 || !r2) return nullptr;
            return raisef(&exc::TypeError,
                          "calling {} should have returned an instance of BaseException, not {}",
                          r1.as<Str>()->view(), r2.as<Str>()->view());
        }
        return set_exception(std::move(inst));
    }
    if (is_exception(e)) return set_exception(Ref::borrow(e));
    return raise(&exc::TypeError, "exceptions must derive from BaseException");
}

static Type* oserror_type_for(int err) {
    switch (err) {
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
    case EALREADY:
    case EINPROGRESS: return &exc::BlockingIOError;
    case ECHILD: return &exc::ChildProcessError;
    case EPIPE:
#ifdef ESHUTDOWN
    case ESHUTDOWN:
#endif
        return &exc::BrokenPipeError;
    case ECONNABORTED: return &exc::ConnectionAbortedError;
    case ECONNREFUSED: return &exc::ConnectionRefusedError;
    case ECONNRESET: return &exc::ConnectionResetError;
    case EEXIST: return &exc::FileExistsError;
    case ENOENT: return &exc::FileNotFoundError;
    case EISDIR: return &exc::IsADirectoryError;
    case ENOTDIR: return &exc::NotADirectoryError;
    case EINTR: return &exc::InterruptedError;
    case EACCES:
    case EPERM: return &exc::PermissionError;
    case ESRCH: return &exc::ProcessLookupError;
    case ETIMEDOUT: return &exc::TimeoutError;
    default: return &exc::OSError;
    }
}

Type* oserror_subtype_for_errno(int err) { return oserror_type_for(err); }

Ref raise_errno(int err, std::string_view filename) {
    Ref e = new_oserror(oserror_type_for(err), err, std::strerror(err), filename);
    if (!e) return nullptr;
    return set_exception(std::move(e));
}

// A MemoryError must be raisable without memory: allocated with plain malloc (object_alloc
// would recurse), falling back to a preallocated immortal instance.
Ref raise_no_memory() {
    ThreadState* ts = current_thread();
    if (!ts) return nullptr;
    void* mem = std::malloc(sizeof(BaseExceptionObject));
    if (mem) {
        auto* e = new (mem) BaseExceptionObject();
        e->refcnt = 1;
        e->type = &exc::MemoryError;
        e->args = empty_tuple();
        ts->exc = Ref::steal(e);
        return nullptr;
    }
    static BaseExceptionObject storage;  // immortal (default-constructed Object)
    storage.type = &exc::MemoryError;
    storage.args = empty_tuple();
    ts->exc = Ref::borrow(&storage);
    return nullptr;
}

bool error_occurred() {
    ThreadState* ts = current_thread();
    return ts && !ts->exc.is_null();
}

Value current_error() {
    ThreadState* ts = current_thread();
    return ts ? ts->exc.get() : Value::null();
}

bool error_matches(const Type* t) {
    ThreadState* ts = current_thread();
    if (!ts || ts->exc.is_null()) return false;
    return is_subtype(type_of(ts->exc.get()), t);
}

Ref fetch_error() {
    ThreadState* ts = current_thread();
    if (!ts) return nullptr;
    return std::move(ts->exc);
}

void restore_error(Ref e) { current_thread()->exc = std::move(e); }

void clear_error() {
    ThreadState* ts = current_thread();
    if (ts) ts->exc.reset();
}

Ref exception_str(Value e) { return str(e); }

void write_unraisable(Value obj) {
    Ref e = fetch_error();
    if (!e) return;
    std::string line = "Exception ignored in: ";
    if (!obj.is_null()) {
        Ref r = repr(obj);
        if (r && is_str(r.get())) {
            line += r.as<Str>()->view();
        } else {
            clear_error();
            line += fmt::format("<object repr() failed>");
        }
    }
    line += "\n";
    std::fflush(stdout);
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
    if (print_exception) {
        print_exception(e.get());
    } else {
        Ref s = str(e.get());
        std::string msg = std::string(type_name(e.get()));
        if (s && is_str(s.get()) && s.as<Str>()->nbytes) {
            msg += ": ";
            msg += s.as<Str>()->view();
        }
        msg += "\n";
        std::fwrite(msg.data(), 1, msg.size(), stderr);
    }
    std::fflush(stderr);
    clear_error();
}

}  // namespace toy
