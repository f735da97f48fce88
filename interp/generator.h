// generator.h: generator objects (functions whose code has kCoGenerator).
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

struct Generator : Object {
    Frame* frame;        // owned heap frame; null once finished
    Str* name;           // owned
    Str* qualname;       // owned
    CodeObject* code;    // owned (gi_code)
    Value exc_state;     // owned: the exception the suspended frame was handling, or null
    bool running;
};

// Takes ownership of the heap frame `f` (arguments bound).
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

}  // namespace toy
