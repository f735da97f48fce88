// generator.cpp: generator objects: __next__, send, throw, close, and YIELD_FROM's step.
#include "interp/generator.h"

#include "interp/frame.h"
#include "interp/function.h"
#include "interp/vm.h"
#include "interp/vm_internal.h"
#include "runtime/abstract.h"
#include "runtime/errors.h"
#include "runtime/native_function.h"
#include "runtime/str.h"
#include "runtime/tuple.h"

namespace toy {

Type generator_type;

namespace detail {

const char* gen_kind(const Generator* g) {
    if (g->type == &coroutine_type) return "coroutine";
    if (g->type == &async_generator_type) return "async generator";
    return "generator";
}

}  // namespace detail

namespace {

using namespace detail;

Generator* as_gen(Value v) { return v.as<Generator>(); }

// Generators and coroutines: objects gen_run drives directly (a `yield from`/await skips the
// method calls).
bool is_generator(Value v) { return is_generator_exact(v) || is_coroutine_exact(v); }

bool gen_started(Generator* g) {
    Frame* f = g->frame;
    return f && (f->yielded || f->ip != f->code->code.data());
}

void gen_finish(Generator* g) {
    Frame* f = g->frame;
    if (!f) return;
    g->frame = nullptr;
    frame_free(current_thread(), f);
}

}  // namespace

namespace detail {

// Sets StopIteration(value) (StopIteration() for None) as the current exception.
void set_stop_iteration(Value v) {
    Ref e = v.is_none() || v.is_null() ? call(Value::object(&exc::StopIteration), {})
                                       : new_exception_with(&exc::StopIteration, v);
    if (e) (void)set_exception(std::move(e));
}

}  // namespace detail

namespace {

// The value of the current StopIteration (cleared), as a new reference.
Ref take_stop_value() {
    Ref e = fetch_error();
    Value v = e.as<BaseExceptionObject>()->extra;
    if (v.is_null()) return Ref::none();
    return Ref::borrow(v);
}

}  // namespace

namespace detail {

// Runs the generator's frame. `throwing`: the current exception is raised in the frame.
Ref gen_run(Generator* g, Value v, bool* done, bool throwing) {
    ThreadState* ts = current_thread();
    if (g->running) {
        *done = false;
        return raisef(&exc::ValueError, "{} already executing", gen_kind(g));
    }
    Frame* f = g->frame;
    if (!f) {
        *done = true;
        if (g->type == &coroutine_type) {
            // An exhausted coroutine (close() never gets here: it returns early).
            *done = false;
            if (throwing) clear_error();
            return raise(&exc::RuntimeError, "cannot reuse already awaited coroutine");
        }
        if (throwing) return nullptr;  // the exception propagates as it is
        return Ref::none();
    }
    if (!throwing) {
        if (!gen_started(g)) {
            if (!v.is_none()) {
                *done = false;
                return raisef(&exc::TypeError, "can't send non-None value to a just-started {}",
                              gen_kind(g));
            }
        } else {
            incref(v);
            *f->sp++ = v;
        }
    }
    // The generator's own handled exception (CPython's gi_exc_state: set while it is
    // suspended inside an except block, else empty) is the thread's while it runs; the
    // resumer's goes on the outer_exc chain, where sys.exc_info() and a bare `raise` find it
    // when the generator handles nothing itself.
    Ref outer = std::move(ts->handled_exc);
    ThreadState::OuterExc link{outer.get(), ts->outer_exc};
    ts->outer_exc = &link;
    ts->handled_exc = Ref::steal(g->exc_state);
    g->exc_state = Value::null();
    g->running = true;
    Ref hold = Ref::borrow(Value::object(g));
    Ref r = run_frame(ts, f, throwing);
    g->running = false;
    ts->outer_exc = link.previous;
    if (r && f->yielded) {
        g->exc_state = ts->handled_exc.release();
        ts->handled_exc = std::move(outer);
        *done = false;
        return r;
    }
    ts->handled_exc = std::move(outer);
    *done = true;
    gen_finish(g);
    bool async_stop = g->type == &async_generator_type && error_matches(&exc::StopAsyncIteration);
    if (!r && (error_matches(&exc::StopIteration) || async_stop)) {
        Ref stop = fetch_error();
        Ref e = new_exception(&exc::RuntimeError,
                              fmt::format("{} raised {}", gen_kind(g),
                                          async_stop ? "StopAsyncIteration" : "StopIteration"));
        if (!e) return nullptr;
        BaseExceptionObject* be = e.as<BaseExceptionObject>();
        be->cause = stop.dup().release();
        be->suppress_context = true;
        be->context = stop.release();
        ts->exc = std::move(e);
    }
    return r;
}

}  // namespace detail

namespace {

// Closes an iterator a `yield from` delegates to (close() if it has one).
bool close_delegate(Value it) {
    static Str* s_close = intern("close");
    if (is_generator(it)) {
        Ref r = call_method(it, s_close, {});
        return static_cast<bool>(r);
    }
    Ref m = getattr_or_null(it, s_close);
    if (!m) return !error_occurred();
    Ref r = call(*m, {});
    return static_cast<bool>(r);
}

}  // namespace

namespace detail {

// Throws the exception `e` into the suspended generator (delegating to a `yield from`).
Ref gen_throw_exc(Generator* g, Ref e, bool* done) {
    Frame* f = g->frame;
    if (f && f->yielded && f->in_yield_from && !g->running) {
        Value it = f->sp[-1];
        Ref hold_it = Ref::borrow(it);
        bool is_exit = is_subtype(type_of(*e), &exc::GeneratorExit);
        if (is_exit) {
            g->running = true;
            bool ok = close_delegate(it);
            g->running = false;
            if (!ok) {
                // the close error replaces GeneratorExit
                return gen_run(g, Value::none(), done, true);
            }
        } else {
            Ref r;
            bool sub_done = false;
            g->running = true;
            if (is_generator(it)) {
                r = gen_throw_exc(as_gen(it), std::move(e), &sub_done);
            } else {
                static Str* s_throw = intern("throw");
                Ref m = getattr_or_null(it, s_throw);
                if (!m) {
                    g->running = false;
                    if (error_occurred()) return gen_run(g, Value::none(), done, true);
                    restore_error(std::move(e));
                    return gen_run(g, Value::none(), done, true);
                }
                r = call(*m, {*e});
            }
            g->running = false;
            if (r && !sub_done) {
                *done = false;
                return r;  // the delegate yielded: so do we
            }
            Ref value;
            if (r) {
                value = std::move(r);
            } else if (error_matches(&exc::StopIteration)) {
                value = take_stop_value();
            } else {
                return gen_run(g, Value::none(), done, true);
            }
            // The delegate finished: YIELD_FROM's result is its value; continue after it.
            --f->sp;
            decref(it);
            f->in_yield_from = false;
            return gen_run(g, *value, done, false);
        }
    }
    restore_error(std::move(e));
    return gen_run(g, Value::none(), done, true);
}

// throw(type[, value[, tb]]) -> an exception instance.
Ref normalize_throw_args(CallArgs a) {
    if (a.nkw()) return raise(&exc::TypeError, "throw() takes no keyword arguments");
    if (a.npos < 1 || a.npos > 3)
        return raisef(&exc::TypeError, "throw expected at least 1 argument, got {}", a.npos);
    Value typ = a.args[0];
    Value val = a.npos > 1 ? a.args[1] : Value::none();
    Value tb = a.npos > 2 ? a.args[2] : Value::none();
    if (!tb.is_none() && !(tb.is_object() && tb.as_object()->type->name == std::string_view("traceback")))
        return raise(&exc::TypeError, "throw() third argument must be a traceback object");
    Ref e;
    if (typ.is_object() && type_has(typ.as_object()->type, kTypeSubclass) &&
        type_has(typ.as<Type>(), kExceptionSubclass)) {
        if (!val.is_none() && is_subtype(type_of(val), typ.as<Type>())) {
            e = Ref::borrow(val);
        } else if (val.is_none()) {
            e = call(typ, {});
        } else if (is_tuple(val)) {
            Tuple* t = val.as<Tuple>();
            e = call(typ, CallArgs{t->items, static_cast<size_t>(t->size), nullptr});
        } else {
            e = call(typ, {val});
        }
        if (!e) return nullptr;
    } else if (is_exception(typ)) {
        if (!val.is_none()) return raise(&exc::TypeError, "instance exception may not have a separate value");
        e = Ref::borrow(typ);
    } else {
        return raisef(&exc::TypeError,
                      "exceptions must be classes or instances deriving from BaseException, not {}",
                      type_name(typ));
    }
    if (!tb.is_none()) {
        BaseExceptionObject* be = e.as<BaseExceptionObject>();
        incref(tb);
        Value old = be->traceback;
        be->traceback = tb;
        decref(old);
    }
    return e;
}

Ref gen_close_impl(Generator* g) {
    if (!g->frame) return Ref::none();
    if (!gen_started(g)) {
        gen_finish(g);
        return Ref::none();
    }
    Ref e = call(Value::object(&exc::GeneratorExit), {});
    if (!e) return nullptr;
    bool done = false;
    Ref r = gen_throw_exc(g, std::move(e), &done);
    if (r) {
        if (!done) return raisef(&exc::RuntimeError, "{} ignored GeneratorExit", gen_kind(g));
        return Ref::none();
    }
    if (error_matches(&exc::StopIteration) || error_matches(&exc::GeneratorExit)) {
        clear_error();
        return Ref::none();
    }
    return nullptr;
}

void gen_dealloc_common(Generator* g) {
    if (g->frame && g->frame->yielded) {
        // A suspended generator is closed first (its finally blocks run), as CPython's
        // finalizer does. The object is resurrected for the duration.
        g->refcnt = 1;
        Ref saved = fetch_error();
        Ref r = gen_close_impl(g);
        if (!r) write_unraisable(Value::object(g));
        if (saved) restore_error(std::move(saved));
        if (--g->refcnt != 0) return;  // resurrected by the finally code
    }
    gen_finish(g);
    decref(g->name);
    decref(g->qualname);
    if (g->code) decref(g->code);
    decref(g->exc_state);
    object_free(g, sizeof(Generator));
}

}  // namespace detail

namespace {

// ---- methods -------------------------------------------------------------------------------

Ref gen_iternext(Value self) {
    bool done = false;
    Ref r = gen_run(as_gen(self), Value::none(), &done, false);
    if (r && done) return nullptr;  // exhausted (the return value only matters to yield from)
    return r;
}

Ref gen_iter(Value self) { return Ref::borrow(self); }

Ref gen_send_method(Value self, CallArgs a) {
    if (a.npos != 1 || a.nkw())
        return raisef(&exc::TypeError, "send() takes exactly one argument ({} given)", a.npos + a.nkw());
    bool done = false;
    Ref r = gen_run(as_gen(self), a.args[0], &done, false);
    if (r && done) {
        set_stop_iteration(*r);
        return nullptr;
    }
    return r;
}

Ref gen_throw_method(Value self, CallArgs a) {
    Ref e = normalize_throw_args(a);
    if (!e) return nullptr;
    bool done = false;
    Ref r = gen_throw_exc(as_gen(self), std::move(e), &done);
    if (r && done) {
        set_stop_iteration(*r);
        return nullptr;
    }
    return r;
}

Ref gen_close_method(Value self, CallArgs a) {
    if (a.npos || a.nkw()) return raise(&exc::TypeError, "close() takes no arguments");
    return gen_close_impl(as_gen(self));
}

Ref gen_next_method(Value self, CallArgs a) {
    Ref r = gen_next_raising(self);
    if (!r && !error_occurred()) set_stop_iteration(Value::none());
    return r;
}

Ref gen_iter_method(Value self, CallArgs) { return Ref::borrow(self); }

const MethodDef kGenMethods[] = {
    {"send", gen_send_method},
    {"throw", gen_throw_method},
    {"close", gen_close_method},
    {"__next__", gen_next_method},
    {"__iter__", gen_iter_method},
    {nullptr, nullptr},
};

Ref gen_get_running(Value self) { return Ref::boolean(as_gen(self)->running); }
Ref gen_get_name(Value self) { return Ref::borrow(Value::object(as_gen(self)->name)); }
Ref gen_get_qualname(Value self) { return Ref::borrow(Value::object(as_gen(self)->qualname)); }
Ref gen_get_code(Value self) {
    Generator* g = as_gen(self);
    return g->code ? Ref::borrow(Value::object(g->code)) : Ref::none();
}
Ref gen_get_frame(Value self) { return Ref::none(); }
Ref gen_get_yieldfrom(Value self) {
    Generator* g = as_gen(self);
    if (g->frame && g->frame->yielded && g->frame->in_yield_from) return Ref::borrow(g->frame->sp[-1]);
    return Ref::none();
}
Ref gen_get_suspended(Value self) {
    Generator* g = as_gen(self);
    return Ref::boolean(g->frame && g->frame->yielded && !g->running);
}

const GetSetDef kGenGetSets[] = {
    {"gi_running", gen_get_running},
    {"__name__", gen_get_name},
    {"__qualname__", gen_get_qualname},
    {"gi_code", gen_get_code},
    {"gi_frame", gen_get_frame},
    {"gi_yieldfrom", gen_get_yieldfrom},
    {"gi_suspended", gen_get_suspended},
    {nullptr, nullptr},
};

Ref gen_repr(Value self) {
    Generator* g = as_gen(self);
    return Ref(new_str(fmt::format("<generator object {} at {}>", g->qualname->view(),
                                   static_cast<const void*>(g))));
}

void gen_dealloc(Object* o) { gen_dealloc_common(static_cast<Generator*>(o)); }

}  // namespace

Ref new_generator(Frame* f, Function* func) {
    uint32_t flags = f->code->flags;
    Type* tp = (flags & kCoCoroutine)        ? &coroutine_type
               : (flags & kCoAsyncGenerator) ? &async_generator_type
                                             : &generator_type;
    Generator* g = new_object<Generator>(tp, 0);
    if (!g) {
        frame_free(current_thread(), f);
        return nullptr;
    }
    g->frame = f;
    f->owner = g;
    Str* name = func->name;
    Str* qualname = func->qualname;
    incref(name);
    incref(qualname);
    g->name = name;
    g->qualname = qualname;
    incref(f->code);
    g->code = f->code;
    g->exc_state = Value::null();
    g->running = false;
    g->ag_closed = false;
    g->ag_running_async = false;
    return Ref::steal(Value::object(g));
}

Ref gen_next_raising(Value gen) {
    bool done = false;
    Ref r = gen_run(as_gen(gen), Value::none(), &done, false);
    if (r && done) {
        if (!(*r).is_none()) set_stop_iteration(*r);
        return nullptr;
    }
    return r;
}

Ref gen_send_ex(Value gen, Value v, bool* done) { return gen_run(as_gen(gen), v, done, false); }

void init_generator_type() {
    Type& t = generator_type;
    t.name = "generator";
    t.basic_size = sizeof(Generator);
    t.methods = kGenMethods;
    t.getsets = kGenGetSets;
    t.dealloc = gen_dealloc;
    t.repr = gen_repr;
    t.iter = gen_iter;
    t.next = gen_iternext;
    type_ready(&generator_type, &object_type);
}

namespace vm {

Ref yield_from_send(Value it, Value v, bool* done) {
    if (is_generator(it)) {
        Ref r = gen_run(as_gen(it), v, done, false);
        return r;
    }
    Value coro = coroutine_wrapper_target(it);
    if (!coro.is_null()) return gen_run(as_gen(coro), v, done, false);
    if (is_ag_awaitable(it)) {
        Ref r = ag_awaitable_send(it, v);
        if (!r && error_matches(&exc::StopIteration)) {
            *done = true;
            return take_stop_value();
        }
        *done = false;
        return r;
    }
    Ref r;
    if (v.is_none()) {
        Type* tp = type_of(it);
        if (!tp->next) {
            return raisef(&exc::TypeError, "'{}' object is not an iterator", type_name(it));
        }
        r = tp->next(it);
        if (!r && !error_occurred()) {
            *done = true;
            return Ref::none();
        }
    } else {
        static Str* s_send = intern("send");
        r = call_method(it, s_send, {v});
    }
    if (!r) {
        if (error_matches(&exc::StopIteration)) {
            *done = true;
            return take_stop_value();
        }
        return nullptr;
    }
    *done = false;
    return r;
}

}  // namespace vm

}  // namespace toy
