// thread_state.h: per-thread interpreter state.
//
// One ThreadState per OS thread per interpreter. Only its own thread reads or writes it,
// except `breaker`, which other threads (the GIL's waiters, the signal handler, the host)
// set with a relaxed/release atomic or; the owning thread polls it at every instruction's
// check point (the VM) and handles the bits in the slow path.
#pragma once

#include <atomic>
#include <cstdint>

#include "runtime/interpreter.h"
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
    Ref handled_exc;   // the exception being handled by an except block of the running code
                       // (null/None: none); read it through topmost_handled_exc()
    // (vm) While a generator or coroutine runs, the handled exceptions of the code that
    // resumed it, innermost first: the generator's own handled_exc starts from its saved
    // state (CPython's gi_exc_state), and an empty one falls back to these.
    struct OuterExc {
        Value exc;  // borrowed (gen_run keeps it alive)
        OuterExc* previous;
    };
    OuterExc* outer_exc = nullptr;
    Frame* frame = nullptr;  // innermost executing frame
    Ref thread_dict;   // (integration, issue 3) per-thread data (_thread._local), or null
    int recursion_depth = 0;  // Toy frames + native re-entries into the VM

    // The per-thread value stack frames are carved from (interp/frame.h manages it).
    // new_thread_state() maps kValueStackSize Values (MAP_NORESERVE: pages are committed
    // only when touched); stack_top starts at stack_base.
    Value* stack_base = nullptr;
    Value* stack_top = nullptr;
    Value* stack_limit = nullptr;

    // (core) The lowest C stack address native recursion may reach (a safety margin above
    // the real end of this thread's stack): enter_recursive_call() raises RecursionError
    // below it whatever the recursion limit says.
    const char* c_stack_limit = nullptr;
    // (fork) The bounds [c_stack_low, c_stack_high) of the thread's C stack, for the fork
    // path: in the child, LeakSanitizer builds scan a vanished thread's stacks for the
    // references it still held (runtime/fork.cpp).
    const char* c_stack_low = nullptr;
    const char* c_stack_high = nullptr;

    // (fork) Links of the interpreter's list of thread states (Interpreter::threads, guarded
    // by Interpreter::threads_mu): the fork path (runtime/fork.cpp) finds every other
    // thread's state there and drops it in the child.
    ThreadState* next_in_interp = nullptr;
    ThreadState* prev_in_interp = nullptr;
};

// The exception being handled (sys.exc_info(), a bare `raise`, __context__): the innermost
// non-None one of the running code and the code that resumed the running generators (as
// CPython's _PyErr_GetTopmostException). Borrowed; null when there is none.
inline Value topmost_handled_exc(const ThreadState* ts) {
    Value h = ts->handled_exc.get();
    if (!h.is_null() && !h.is_none()) return h;
    for (const ThreadState::OuterExc* o = ts->outer_exc; o; o = o->previous)
        if (!o->exc.is_null() && !o->exc.is_none()) return o->exc;
    return Value::null();
}

inline constexpr size_t kValueStackSize = size_t{1} << 20;  // Values per thread

namespace detail {
extern thread_local ThreadState* tls_current_thread;
}

// The current thread's state (thread-local). Null on a thread that is not in an interpreter.
inline ThreadState* current_thread() { return detail::tls_current_thread; }
void set_current_thread(ThreadState* ts);

// Creates a thread state for `interp` (its value stack mapped, c_stack_limit computed for the
// calling thread) and links it into interp->threads. Does not make it current. Null on
// failure (no exception: none can be set).
ThreadState* new_thread_state(Interpreter* interp);
// Unlinks it from its interpreter's list, clears its exceptions and unmaps its stack. Must
// not be current on another thread.
void delete_thread_state(ThreadState* ts);
// Unlinks `ts` from its interpreter's list and clears ts->interp, taking threads_mu. A
// thread leaving the interpreter calls it while it still holds the GIL (so the interpreter
// surely exists): after it gives the GIL back, the main thread may free the interpreter,
// and delete_thread_state() then must not touch it (futures found that use-after-free).
void detach_thread_state(ThreadState* ts);
// (fork) Removes `ts` from its interpreter's list; the caller holds interp->threads_mu (or
// is the fork path in the child, where no other thread exists).
void unlink_thread_state(ThreadState* ts);

// Recursion guard for native re-entry (repr of nested containers, __eq__ chains, calls back
// into the VM): raises RecursionError "maximum recursion depth exceeded<where>" (where is
// e.g. " while getting the repr of an object", " in comparison", or "") when the depth
// passes the interpreter's limit or the C stack runs low. Pair every successful enter with
// leave_recursive_call().
bool enter_recursive_call_slow(ThreadState* ts, const char* where);
inline bool enter_recursive_call(const char* where) {
    ThreadState* ts = current_thread();
    // The frame address, not a local's: sanitizers may move locals to a heap "fake stack".
    auto* sp = static_cast<const char*>(__builtin_frame_address(0));
    if (TOY_UNLIKELY(++ts->recursion_depth > ts->interp->recursion_limit ||
                     sp < ts->c_stack_limit))
        return enter_recursive_call_slow(ts, where);
    return true;
}
inline void leave_recursive_call() { --current_thread()->recursion_depth; }

// RAII form: `RecursionGuard g(" in comparison"); if (!g) return nullptr;`
class RecursionGuard {
public:
    explicit RecursionGuard(const char* where) : ok_(enter_recursive_call(where)) {}
    ~RecursionGuard() {
        if (ok_) leave_recursive_call();
    }
    RecursionGuard(const RecursionGuard&) = delete;
    RecursionGuard& operator=(const RecursionGuard&) = delete;
    explicit operator bool() const { return ok_; }

private:
    bool ok_;
};

}  // namespace toy
