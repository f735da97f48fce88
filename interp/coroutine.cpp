// coroutine.cpp: coroutines (`async def`), async generators, and the VM's await protocol
// (GET_AWAITABLE, GET_AITER, GET_ANEXT, BEFORE_ASYNC_WITH, ASYNC_GEN_WRAP), as in CPython 3.11.
//
// A coroutine is a Generator object of coroutine_type: the same heap frame and gen_run()
// (generator.cpp) drive it. `await x` compiles to GET_AWAITABLE + YIELD_FROM: the awaitable's
// iterator (a coroutine, or what __await__ returned) is delegated to exactly like
// `yield from`, so a value yielded at the bottom of an await chain (an asyncio Future
// yielding itself) travels up to whoever called send() on the outermost coroutine: the
// event loop. Coroutines have no __next__/__iter__; `coro.__await__()` returns a
// coroutine_wrapper that has them.
//
// An async generator is a Generator of async_generator_type whose `yield v` compiles to
// ASYNC_GEN_WRAP + YIELD_VALUE: its frame yields both wrapped values (the generator's own
// items) and bare values (from awaits inside it, meant for the event loop). The awaitables
// returned by __anext__/asend/athrow/aclose (async_generator_asend, async_generator_athrow)
// run the frame and tell the two apart: a wrapped value finishes the awaitable
// (StopIteration(value)), a bare one is passed up, the frame's end becomes
// StopAsyncIteration.
//
// A coroutine that is never started and then freed prints CPython's "RuntimeWarning:
// coroutine '...' was never awaited" on stderr.
#include <cstdio>
#include <utility>

#include "interp/code.h"
#include "interp/frame.h"
#include "interp/generator.h"
#include "interp/traceback.h"
#include "interp/vm_internal.h"
#include "runtime/abstract.h"
#include "runtime/errors.h"
#include "runtime/native_function.h"
#include "runtime/str.h"
#include "runtime/thread_state.h"
#include "runtime/tuple.h"

namespace toy {

Type coroutine_type;
Type async_generator_type;

namespace {

using namespace detail;

Type coroutine_wrapper_type;
Type asend_type;           // async_generator_asend
Type athrow_type;          // async_generator_athrow (athrow and aclose)
Type wrapped_value_type;   // async_generator_wrapped_value

Generator* as_gen(Value v) { return v.as<Generator>(); }

bool gen_started(Generator* g) {
    Frame* f = g->frame;
    return f && (f->yielded || f->ip != f->code->code.data());
}

// Finishes a send/throw/close the way the Python-level methods do: a finished frame raises
// StopIteration(value).
Ref finish_method(Ref r, bool done) {
    if (r && done) {
        set_stop_iteration(*r);
        return nullptr;
    }
    return r;
}

// ---- coroutine ------------------------------------------------------------------------------

Ref coro_send(Value self, CallArgs a) {
    if (a.npos != 1 || a.nkw())
        return raisef(&exc::TypeError, "send() takes exactly one argument ({} given)", a.npos + a.nkw());
    bool done = false;
    Ref r = gen_run(as_gen(self), a.args[0], &done, false);
    return finish_method(std::move(r), done);
}

Ref coro_throw(Value self, CallArgs a) {
    Ref e = normalize_throw_args(a);
    if (!e) return nullptr;
    bool done = false;
    Ref r = gen_throw_exc(as_gen(self), std::move(e), &done);
    return finish_method(std::move(r), done);
}

Ref coro_close(Value self, CallArgs a) {
    if (a.npos || a.nkw()) return raise(&exc::TypeError, "close() takes no arguments");
    return gen_close_impl(as_gen(self));
}

struct CoroWrapper : Object {
    Value coro;  // owned
};

Ref coro_await(Value self, CallArgs a) {
    if (a.npos || a.nkw()) return raise(&exc::TypeError, "__await__() takes no arguments");
    CoroWrapper* w = new_object<CoroWrapper>(&coroutine_wrapper_type, 0);
    if (!w) return nullptr;
    incref(self);
    w->coro = self;
    return Ref::steal(Value::object(w));
}

const MethodDef kCoroMethods[] = {
    {"send", coro_send},
    {"throw", coro_throw},
    {"close", coro_close},
    {"__await__", coro_await},
    {nullptr, nullptr},
};

Ref get_running(Value self) { return Ref::boolean(as_gen(self)->running); }
Ref get_name(Value self) { return Ref::borrow(Value::object(as_gen(self)->name)); }
Ref get_qualname(Value self) { return Ref::borrow(Value::object(as_gen(self)->qualname)); }
Ref get_code(Value self) {
    Generator* g = as_gen(self);
    return g->code ? Ref::borrow(Value::object(g->code)) : Ref::none();
}
Ref get_none(Value) { return Ref::none(); }
Ref get_await(Value self) {
    Generator* g = as_gen(self);
    if (g->frame && g->frame->yielded && g->frame->in_yield_from) return Ref::borrow(g->frame->sp[-1]);
    return Ref::none();
}
Ref get_suspended(Value self) {
    Generator* g = as_gen(self);
    return Ref::boolean(g->frame && g->frame->yielded && !g->running);
}

const GetSetDef kCoroGetSets[] = {
    {"cr_running", get_running},
    {"__name__", get_name},
    {"__qualname__", get_qualname},
    {"cr_code", get_code},
    {"cr_frame", get_none},
    {"cr_await", get_await},
    {"cr_suspended", get_suspended},
    {"cr_origin", get_none},
    {nullptr, nullptr},
};

Ref coro_repr(Value self) {
    Generator* g = as_gen(self);
    return Ref(new_str(fmt::format("<{} object {} at {}>", g->type->name, g->qualname->view(),
                                   static_cast<const void*>(g))));
}

// The warning CPython's _PyErr_WarnUnawaitedCoroutine prints, attributed to the code running
// when the coroutine is freed (as warnings.warn would).
void warn_never_awaited(Generator* g) {
    ThreadState* ts = current_thread();
    std::string where = "sys:1";
    std::string source;
    if (ts && ts->frame) {
        Frame* f = ts->frame;
        where = fmt::format("{}:{}", f->code->filename->view(), f->line());
        if (read_source_line(f->code->filename->view(), f->line(), &source)) {
            size_t b = source.find_first_not_of(" \t");
            source = b == std::string::npos ? std::string() : source.substr(b);
        }
    }
    std::string text = fmt::format("{}: RuntimeWarning: coroutine '{}' was never awaited\n", where,
                                   g->qualname->view());
    if (!source.empty()) text += fmt::format("  {}\n", source);
    text += "RuntimeWarning: Enable tracemalloc to get the object allocation traceback\n";
    std::fflush(stdout);
    std::fwrite(text.data(), 1, text.size(), stderr);
    std::fflush(stderr);
}

void coro_dealloc(Object* o) {
    Generator* g = static_cast<Generator*>(o);
    if (g->frame && !gen_started(g)) warn_never_awaited(g);
    gen_dealloc_common(g);
}

// ---- coroutine_wrapper (what coro.__await__() returns) --------------------------------------

CoroWrapper* as_wrapper(Value v) { return v.as<CoroWrapper>(); }

Ref wrapper_send_value(Value self, Value v) {
    bool done = false;
    Ref r = gen_run(as_gen(as_wrapper(self)->coro), v, &done, false);
    return finish_method(std::move(r), done);
}

Ref wrapper_next_method(Value self, CallArgs a) {
    if (a.npos || a.nkw()) return raise(&exc::TypeError, "__next__() takes no arguments");
    return wrapper_send_value(self, Value::none());
}
Ref wrapper_send(Value self, CallArgs a) {
    if (a.npos != 1 || a.nkw())
        return raisef(&exc::TypeError, "send() takes exactly one argument ({} given)", a.npos + a.nkw());
    return wrapper_send_value(self, a.args[0]);
}
Ref wrapper_throw(Value self, CallArgs a) { return coro_throw(as_wrapper(self)->coro, a); }
Ref wrapper_close(Value self, CallArgs a) { return coro_close(as_wrapper(self)->coro, a); }
Ref wrapper_iter_method(Value self, CallArgs) { return Ref::borrow(self); }

Ref wrapper_iter(Value self) { return Ref::borrow(self); }
Ref wrapper_iternext(Value self) {
    bool done = false;
    Ref r = gen_run(as_gen(as_wrapper(self)->coro), Value::none(), &done, false);
    if (r && done) return nullptr;
    return r;
}

const MethodDef kWrapperMethods[] = {
    {"__next__", wrapper_next_method}, {"send", wrapper_send}, {"throw", wrapper_throw},
    {"close", wrapper_close},          {"__iter__", wrapper_iter_method}, {nullptr, nullptr},
};

void wrapper_dealloc(Object* o) {
    CoroWrapper* w = static_cast<CoroWrapper*>(o);
    decref(w->coro);
    object_free(w, sizeof(CoroWrapper));
}

// ---- async generators -----------------------------------------------------------------------

struct WrappedValue : Object {
    Value value;  // owned
};

void wrapped_dealloc(Object* o) {
    WrappedValue* w = static_cast<WrappedValue*>(o);
    decref(w->value);
    object_free(w, sizeof(WrappedValue));
}

bool is_wrapped(Value v) { return v.is_object() && v.as_object()->type == &wrapped_value_type; }

enum class AwaitableState : uint8_t { kInit, kIter, kClosed };

// async_generator_asend and async_generator_athrow objects.
struct AgAwaitable : Object {
    Generator* gen;  // owned
    Value arg;       // owned: asend's value, or athrow's exception instance; null for aclose
    AwaitableState state;
};

AgAwaitable* as_aw(Value v) { return v.as<AgAwaitable>(); }

Ref new_ag_awaitable(Type* tp, Generator* g, Value arg) {
    AgAwaitable* a = new_object<AgAwaitable>(tp, 0);
    if (!a) return nullptr;
    incref(g);
    a->gen = g;
    incref(arg);
    a->arg = arg;
    a->state = AwaitableState::kInit;
    return Ref::steal(Value::object(a));
}

// What the frame produced, seen by an asend/athrow awaitable: a wrapped value finishes the
// awaitable with StopIteration(value); a bare value (from an await inside the generator) is
// passed up; the generator's end is StopAsyncIteration.
Ref unwrap_value(Generator* g, Ref r, bool done) {
    if (!r) {
        if (error_matches(&exc::StopAsyncIteration) || error_matches(&exc::GeneratorExit))
            g->ag_closed = true;
        g->ag_running_async = false;
        return nullptr;
    }
    if (done) {
        g->ag_closed = true;
        g->ag_running_async = false;
        return raise_value(Value::object(&exc::StopAsyncIteration));
    }
    if (is_wrapped(*r)) {
        g->ag_running_async = false;
        set_stop_iteration(r.as<WrappedValue>()->value);
        return nullptr;
    }
    return r;
}

Ref asend_send_value(AgAwaitable* a, Value v) {
    Generator* g = a->gen;
    if (a->state == AwaitableState::kClosed)
        return raise(&exc::RuntimeError, "cannot reuse already awaited __anext__()/asend()");
    if (a->state == AwaitableState::kInit) {
        if (g->ag_running_async)
            return raise(&exc::RuntimeError, "anext(): asynchronous generator is already running");
        if (v.is_none()) v = a->arg;
        a->state = AwaitableState::kIter;
    }
    g->ag_running_async = true;
    bool done = false;
    Ref r = gen_run(g, v, &done, false);
    r = unwrap_value(g, std::move(r), done);
    if (!r) a->state = AwaitableState::kClosed;
    return r;
}

Ref asend_throw_exc(AgAwaitable* a, Ref e) {
    if (a->state == AwaitableState::kClosed)
        return raise(&exc::RuntimeError, "cannot reuse already awaited __anext__()/asend()");
    bool done = false;
    Ref r = gen_throw_exc(a->gen, std::move(e), &done);
    r = unwrap_value(a->gen, std::move(r), done);
    if (!r) a->state = AwaitableState::kClosed;
    return r;
}

Ref athrow_send_value(AgAwaitable* a, Value v) {
    Generator* g = a->gen;
    bool is_close = a->arg.is_null();
    if (a->state == AwaitableState::kClosed)
        return raise(&exc::RuntimeError, "cannot reuse already awaited aclose()/athrow()");
    Ref r;
    bool done = false;
    if (a->state == AwaitableState::kInit) {
        if (g->ag_running_async) {
            a->state = AwaitableState::kClosed;
            return raise(&exc::RuntimeError,
                         is_close ? "aclose(): asynchronous generator is already running"
                                  : "athrow(): asynchronous generator is already running");
        }
        if (g->ag_closed) {
            a->state = AwaitableState::kClosed;
            return raise_value(Value::object(&exc::StopAsyncIteration));
        }
        if (!v.is_none())
            return raise(&exc::RuntimeError, "can't send non-None value to a just-started coroutine");
        a->state = AwaitableState::kIter;
        g->ag_running_async = true;
        if (is_close) {
            g->ag_closed = true;
            if (!gen_started(g)) {
                // Never started: nothing to unwind.
                (void)gen_close_impl(g);
                g->ag_running_async = false;
                a->state = AwaitableState::kClosed;
                set_stop_iteration(Value::none());
                return nullptr;
            }
            Ref e = call(Value::object(&exc::GeneratorExit), {});
            if (!e) return nullptr;
            r = gen_throw_exc(g, std::move(e), &done);
        } else {
            r = gen_throw_exc(g, Ref::borrow(a->arg), &done);
            r = unwrap_value(g, std::move(r), done);
            if (r) return r;
            goto check_error;
        }
    } else {
        r = gen_run(g, v, &done, false);
        if (!is_close) {
            r = unwrap_value(g, std::move(r), done);
            if (r) return r;
            goto check_error;
        }
    }
    // aclose() mode: the generator must not yield a value of its own any more.
    if (r && !done && is_wrapped(*r)) {
        g->ag_running_async = false;
        a->state = AwaitableState::kClosed;
        return raise(&exc::RuntimeError, "async generator ignored GeneratorExit");
    }
    if (r && !done) return r;  // an await inside a finally block
    if (r && done) {
        g->ag_running_async = false;
        a->state = AwaitableState::kClosed;
        set_stop_iteration(Value::none());
        return nullptr;
    }
check_error:
    g->ag_running_async = false;
    if (error_matches(&exc::StopAsyncIteration) || error_matches(&exc::GeneratorExit)) {
        a->state = AwaitableState::kClosed;
        if (is_close) {
            clear_error();
            set_stop_iteration(Value::none());
        }
    }
    return nullptr;
}

Ref athrow_throw_exc(AgAwaitable* a, Ref e) {
    if (a->state == AwaitableState::kClosed)
        return raise(&exc::RuntimeError, "cannot reuse already awaited aclose()/athrow()");
    bool done = false;
    Generator* g = a->gen;
    Ref r = gen_throw_exc(g, std::move(e), &done);
    if (!a->arg.is_null()) return unwrap_value(g, std::move(r), done);
    if (r && !done && is_wrapped(*r)) {
        g->ag_running_async = false;
        a->state = AwaitableState::kClosed;
        return raise(&exc::RuntimeError, "async generator ignored GeneratorExit");
    }
    if (r && done) {
        set_stop_iteration(Value::none());
        return nullptr;
    }
    if (!r && (error_matches(&exc::StopAsyncIteration) || error_matches(&exc::GeneratorExit))) {
        clear_error();
        set_stop_iteration(Value::none());
    }
    return r;
}

Ref aw_send_value(Value self, Value v) {
    AgAwaitable* a = as_aw(self);
    return a->type == &asend_type ? asend_send_value(a, v) : athrow_send_value(a, v);
}

Ref aw_send(Value self, CallArgs a) {
    if (a.npos != 1 || a.nkw())
        return raisef(&exc::TypeError, "send() takes exactly one argument ({} given)", a.npos + a.nkw());
    return aw_send_value(self, a.args[0]);
}
Ref aw_next_method(Value self, CallArgs a) {
    if (a.npos || a.nkw()) return raise(&exc::TypeError, "__next__() takes no arguments");
    return aw_send_value(self, Value::none());
}
Ref aw_iternext(Value self) {
    Ref r = aw_send_value(self, Value::none());
    if (!r && error_matches(&exc::StopIteration)) {
        // The slot's end-of-iteration: no exception (a `yield from` would lose the value, but
        // the VM delegates to these awaitables through send(), see vm::yield_from_send).
        clear_error();
    }
    return r;
}
Ref aw_throw(Value self, CallArgs a) {
    Ref e = normalize_throw_args(a);
    if (!e) return nullptr;
    AgAwaitable* aw = as_aw(self);
    return aw->type == &asend_type ? asend_throw_exc(aw, std::move(e)) : athrow_throw_exc(aw, std::move(e));
}
Ref aw_close(Value self, CallArgs a) {
    if (a.npos || a.nkw()) return raise(&exc::TypeError, "close() takes no arguments");
    as_aw(self)->state = AwaitableState::kClosed;
    return Ref::none();
}
Ref aw_self(Value self, CallArgs) { return Ref::borrow(self); }
Ref aw_iter(Value self) { return Ref::borrow(self); }

const MethodDef kAwaitableMethods[] = {
    {"send", aw_send},      {"throw", aw_throw},     {"close", aw_close},
    {"__next__", aw_next_method}, {"__iter__", aw_self}, {"__await__", aw_self},
    {nullptr, nullptr},
};

void aw_dealloc(Object* o) {
    AgAwaitable* a = static_cast<AgAwaitable*>(o);
    decref(a->gen);
    decref(a->arg);
    object_free(a, sizeof(AgAwaitable));
}

Ref agen_anext(Value self, CallArgs a) {
    if (a.npos || a.nkw()) return raise(&exc::TypeError, "__anext__() takes no arguments");
    return new_ag_awaitable(&asend_type, as_gen(self), Value::none());
}
Ref agen_asend(Value self, CallArgs a) {
    if (a.npos != 1 || a.nkw())
        return raisef(&exc::TypeError, "asend() takes exactly one argument ({} given)", a.npos + a.nkw());
    return new_ag_awaitable(&asend_type, as_gen(self), a.args[0]);
}
Ref agen_athrow(Value self, CallArgs a) {
    Ref e = normalize_throw_args(a);
    if (!e) return nullptr;
    return new_ag_awaitable(&athrow_type, as_gen(self), *e);
}
Ref agen_aclose(Value self, CallArgs a) {
    if (a.npos || a.nkw()) return raise(&exc::TypeError, "aclose() takes no arguments");
    return new_ag_awaitable(&athrow_type, as_gen(self), Value::null());
}
Ref agen_aiter(Value self, CallArgs) { return Ref::borrow(self); }

const MethodDef kAgenMethods[] = {
    {"__aiter__", agen_aiter}, {"__anext__", agen_anext}, {"asend", agen_asend},
    {"athrow", agen_athrow},   {"aclose", agen_aclose},   {nullptr, nullptr},
};

const GetSetDef kAgenGetSets[] = {
    {"ag_running", get_running},
    {"__name__", get_name},
    {"__qualname__", get_qualname},
    {"ag_code", get_code},
    {"ag_frame", get_none},
    {"ag_await", get_await},
    {nullptr, nullptr},
};

void agen_dealloc(Object* o) { gen_dealloc_common(static_cast<Generator*>(o)); }

}  // namespace

// ---- the VM's await protocol ------------------------------------------------------------------

namespace vm {

Ref get_awaitable(Value v, int where) {
    if (is_coroutine_exact(v)) {
        Generator* g = as_gen(v);
        if (g->frame && g->frame->yielded && g->frame->in_yield_from)
            return raise(&exc::RuntimeError, "coroutine is being awaited already");
        return Ref::borrow(v);
    }
    static Str* s_await = intern("__await__");
    Ref m = lookup_special(v, s_await);
    if (!m) {
        if (error_occurred()) return nullptr;
        if (where == 1)
            return raisef(&exc::TypeError,
                          "'async with' received an object from __aenter__ that does not implement "
                          "__await__: {}", type_name(v));
        if (where == 2)
            return raisef(&exc::TypeError,
                          "'async with' received an object from __aexit__ that does not implement "
                          "__await__: {}", type_name(v));
        return raisef(&exc::TypeError, "object {} can't be used in 'await' expression", type_name(v));
    }
    Ref it = call(*m, {});
    if (!it) return nullptr;
    if (is_coroutine_exact(*it)) return raise(&exc::TypeError, "__await__() returned a coroutine");
    if (!type_of(*it)->next)
        return raisef(&exc::TypeError, "__await__() returned non-iterator of type '{}'", type_name(*it));
    return it;
}

Ref get_aiter(Value v) {
    static Str* s_aiter = intern("__aiter__");
    static Str* s_anext = intern("__anext__");
    Ref m = lookup_special(v, s_aiter);
    if (!m) {
        if (error_occurred()) return nullptr;
        return raisef(&exc::TypeError, "'async for' requires an object with __aiter__ method, got {}",
                      type_name(v));
    }
    Ref it = call(*m, {});
    if (!it) return nullptr;
    Ref next = lookup_special(*it, s_anext);
    if (!next) {
        if (error_occurred()) return nullptr;
        return raisef(&exc::TypeError,
                      "'async for' received an object from __aiter__ that does not implement __anext__: {}",
                      type_name(*it));
    }
    return it;
}

Ref get_anext(Value aiter) {
    if (is_async_generator_exact(aiter))
        return new_ag_awaitable(&asend_type, as_gen(aiter), Value::none());
    static Str* s_anext = intern("__anext__");
    Ref m = lookup_special(aiter, s_anext);
    if (!m) {
        if (error_occurred()) return nullptr;
        return raisef(&exc::TypeError, "'async for' requires an iterator with __anext__ method, got {}",
                      type_name(aiter));
    }
    Ref r = call(*m, {});
    if (!r) return nullptr;
    Ref aw = get_awaitable(*r, 0);
    if (!aw) {
        if (error_matches(&exc::TypeError)) {
            clear_error();
            return raisef(&exc::TypeError, "'async for' received an invalid object from __anext__: {}",
                          type_name(*r));
        }
        return nullptr;
    }
    return aw;
}

bool before_async_with(Value mgr, Value* exit_out, Value* res_out) {
    static Str* s_aenter = intern("__aenter__");
    static Str* s_aexit = intern("__aexit__");
    Ref enter = lookup_special(mgr, s_aenter);
    if (!enter) {
        if (!error_occurred())
            (void)raisef(&exc::TypeError,
                         "'{}' object does not support the asynchronous context manager protocol",
                         type_name(mgr));
        return false;
    }
    Ref exit = lookup_special(mgr, s_aexit);
    if (!exit) {
        if (!error_occurred())
            (void)raisef(&exc::TypeError,
                         "'{}' object does not support the asynchronous context manager protocol "
                         "(missed __aexit__ method)",
                         type_name(mgr));
        return false;
    }
    Ref res = call(*enter, {});
    if (!res) return false;
    *exit_out = exit.release();
    *res_out = res.release();
    return true;
}

Ref async_gen_wrap(Value v) {
    WrappedValue* w = new_object<WrappedValue>(&wrapped_value_type, 0);
    if (!w) return nullptr;
    incref(v);
    w->value = v;
    return Ref::steal(Value::object(w));
}

// YIELD_FROM delegating to an async generator's awaitable or a coroutine wrapper: send()
// directly, so the StopIteration value is not lost.
bool is_ag_awaitable(Value v) {
    return v.is_object() && (v.as_object()->type == &asend_type || v.as_object()->type == &athrow_type);
}
Ref ag_awaitable_send(Value aw, Value v) { return aw_send_value(aw, v); }

Value coroutine_wrapper_target(Value v) {
    if (v.is_object() && v.as_object()->type == &coroutine_wrapper_type) return as_wrapper(v)->coro;
    return Value::null();
}

}  // namespace vm

void init_coroutine_types() {
    Type& c = coroutine_type;
    c.name = "coroutine";
    c.basic_size = sizeof(Generator);
    c.methods = kCoroMethods;
    c.getsets = kCoroGetSets;
    c.dealloc = coro_dealloc;
    c.repr = coro_repr;
    type_ready(&coroutine_type, &object_type);

    Type& w = coroutine_wrapper_type;
    w.name = "coroutine_wrapper";
    w.basic_size = sizeof(CoroWrapper);
    w.methods = kWrapperMethods;
    w.dealloc = wrapper_dealloc;
    w.iter = wrapper_iter;
    w.next = wrapper_iternext;
    type_ready(&coroutine_wrapper_type, &object_type);

    Type& ag = async_generator_type;
    ag.name = "async_generator";
    ag.basic_size = sizeof(Generator);
    ag.methods = kAgenMethods;
    ag.getsets = kAgenGetSets;
    ag.dealloc = agen_dealloc;
    ag.repr = coro_repr;
    type_ready(&async_generator_type, &object_type);

    // asend and athrow awaitables: one struct and one set of methods, two names.
    for (auto [t, name] : {std::pair{&asend_type, "async_generator_asend"},
                           std::pair{&athrow_type, "async_generator_athrow"}}) {
        t->name = name;
        t->basic_size = sizeof(AgAwaitable);
        t->methods = kAwaitableMethods;
        t->dealloc = aw_dealloc;
        t->iter = aw_iter;
        t->next = aw_iternext;
        type_ready(t, &object_type);
    }

    Type& wv = wrapped_value_type;
    wv.name = "async_generator_wrapped_value";
    wv.basic_size = sizeof(WrappedValue);
    wv.dealloc = wrapped_dealloc;
    type_ready(&wrapped_value_type, &object_type);
}

}  // namespace toy
