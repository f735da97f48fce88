// thread_state.h: per-thread interpreter state.
//
// One ThreadState per OS thread per interpreter. Only its own thread reads or writes it,
// except `breaker`, which other threads (the GIL's waiters, the signal handler, the host)
// set with a relaxed/release atomic or; the owning thread polls it at every instruction's
// check point (the VM) and handles the bits in the slow path.
#pragma once

#include <atomic>
#include <cstdint>

#include "runtime/object.h"

namespace toy {

struct Interpreter;
struct Frame;  // interp/frame.h

// Bits of ThreadState::breaker ("eval breaker"): any set bit sends the check point into the
// slow path.
enum BreakerBits : uint32_t {
    kBreakDropGil = 1u << 0,      // another thread asked for the GIL (issue 3)
    kBreakSignal = 1u << 1,       // a signal handler is pending (main thread)
    kBreakInterrupt = 1u << 2,    // the host asked to interrupt (embedding)
    kBreakTrace = 1u << 3,        // tracing wants a callback
    kBreakBudget = 1u << 4,       // an instruction budget ran out (sandbox)
};

struct ThreadState {
    Interpreter* interp = nullptr;
    std::atomic<uint32_t> breaker{0};
    // The countdown of the check point: decremented per instruction; at zero the slow path
    // runs and reloads it (the tick policy sets it to the check interval).
    int64_t countdown = INT64_MAX;

    Ref exc;           // the exception being raised (null: none)
    Ref handled_exc;   // the exception being handled by an except block (sys.exc_info())
    Frame* frame = nullptr;  // innermost executing frame
    int recursion_depth = 0;  // Toy frames + native re-entries into the VM

    // The per-thread value stack frames are carved from (interp/frame.h manages it).
    Value* stack_base = nullptr;
    Value* stack_top = nullptr;
    Value* stack_limit = nullptr;
};

// The current thread's state (thread-local). Null on a thread that is not in an interpreter.
ThreadState* current_thread();
void set_current_thread(ThreadState* ts);

}  // namespace toy
