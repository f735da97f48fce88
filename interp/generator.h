// generator.h: generator objects (functions whose code has kCoGenerator), and the coroutines
// and async generators (kCoCoroutine, kCoAsyncGenerator) built on the same machinery.
//
// Calling a generator function binds the arguments into a heap frame the generator owns and
// returns the generator without running anything. __next__/send resume the frame with a
// nested dispatch loop until it yields (the value comes back) or returns (StopIteration with
// the return value). throw()/close() raise into the suspended frame, delegating to the
// iterator of a `yield from` it is suspended in.
#pragma once

#include "runtime/type.h"

namespace toy {

struct Frame;
struct Function;
struct Str;
struct CodeObject;

extern Type generator_type;
extern Type coroutine_type;        // coroutine.cpp
extern Type async_generator_type;  // coroutine.cpp

// One struct for all three kinds; the type tells them apart.
struct Generator : Object {
    Frame* frame;        // owned heap frame; null once finished
    Str* name;           // owned
    Str* qualname;       // owned
    CodeObject* code;    // owned (gi_code)
    Value exc_state;     // owned: the exception the suspended frame was handling, or null
    bool running;
    bool ag_closed;         // async generators: aclose() started or the generator ended
    bool ag_running_async;  // async generators: an asend/athrow awaitable is in progress
};

inline bool is_generator_exact(Value v) {
    return v.is_object() && v.as_object()->type == &generator_type;
}
inline bool is_coroutine_exact(Value v) {
    return v.is_object() && v.as_object()->type == &coroutine_type;
}
inline bool is_async_generator_exact(Value v) {
    return v.is_object() && v.as_object()->type == &async_generator_type;
}

// Takes ownership of the heap frame `f` (arguments bound). The code's flags choose the kind:
// a generator, a coroutine or an async generator.
Ref new_generator(Frame* f, Function* func);

// Resumes `gen` sending `v` (None for next()). On a yield: returns the value and *done =
// false. On return: returns the return value and *done = true (no exception set). On error:
// null with the exception set.
Ref gen_send_ex(Value gen, Value v, bool* done);

// next(gen) as builtins.next wants it: the next value; at the end null with StopIteration(value)
// set when the generator returned a value other than None, else null without exception (the
// next slot always returns null without exception, as the slot contract says).
Ref gen_next_raising(Value gen);

void init_generator_type();
void init_coroutine_types();  // coroutine.cpp

namespace detail {
// The machinery coroutine.cpp shares with generators.
// Runs the frame sending `v` (throwing: the current exception is raised in it instead).
Ref gen_run(Generator* g, Value v, bool* done, bool throwing);
// Throws `e` into the suspended frame, delegating to the iterator of a `yield from`/await.
Ref gen_throw_exc(Generator* g, Ref e, bool* done);
// close(): GeneratorExit thrown in; None once closed; null with an exception on error.
Ref gen_close_impl(Generator* g);
// throw(type[, value[, tb]]) arguments -> an exception instance.
Ref normalize_throw_args(CallArgs a);
// Sets StopIteration(v) (StopIteration() for None/null) as the current exception.
void set_stop_iteration(Value v);
// "generator", "coroutine" or "async generator", for messages.
const char* gen_kind(const Generator* g);
void gen_dealloc_common(Generator* g);
}  // namespace detail

}  // namespace toy
