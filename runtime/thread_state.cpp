// thread_state.cpp: thread states, the current-thread pointer, the recursion guard.
//
// THE LIST (issue 4, fork). Every thread state of an interpreter is linked into
// Interpreter::threads (next_in_interp/prev_in_interp), under Interpreter::threads_mu:
// new_thread_state() links it (before the thread takes the GIL), delete_thread_state()
// unlinks it (after the thread gave the GIL back). threads_mu is a leaf lock held for a few
// pointer writes; the fork path (runtime/fork.cpp) holds it across fork() so the list is
// consistent in the child, where it re-creates the mutex and drops every state but the
// forking thread's.
#include "runtime/thread_state.h"

#include <pthread.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include <mutex>

#include "runtime/errors.h"
#include "runtime/interpreter.h"

namespace toy {

namespace detail {
thread_local ThreadState* tls_current_thread = nullptr;
}

void set_current_thread(ThreadState* ts) { detail::tls_current_thread = ts; }

// The C stack of the calling thread: [low, high). Falls back to "8 MiB below here".
static void thread_stack_bounds(const char** low, const char** high) {
    auto* here = static_cast<const char*>(__builtin_frame_address(0));
    pthread_attr_t attr;
    void* addr = nullptr;
    size_t size = 0;
    bool ok = false;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        if (pthread_attr_getstack(&attr, &addr, &size) == 0 && addr && size) ok = true;
        pthread_attr_destroy(&attr);
    }
    if (ok) {
        *low = static_cast<const char*>(addr);
        *high = *low + size;
        // The main thread's reported size may exceed the real rlimit (it grows on demand).
        struct rlimit rl;
        if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
            static_cast<size_t>(rl.rlim_cur) < size && here < *high && here >= *low) {
            *low = *high - rl.rlim_cur;
        }
        return;
    }
    *high = here;
    *low = here - (size_t{8} << 20);
}

ThreadState* new_thread_state(Interpreter* interp) {
    auto* ts = new (std::nothrow) ThreadState();
    if (!ts) return nullptr;
    ts->interp = interp;
    size_t bytes = kValueStackSize * sizeof(Value);
    void* mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem == MAP_FAILED) {
        delete ts;
        return nullptr;
    }
    ts->stack_base = static_cast<Value*>(mem);
    ts->stack_top = ts->stack_base;
    ts->stack_limit = ts->stack_base + kValueStackSize;
    const char *low, *high;
    thread_stack_bounds(&low, &high);
    size_t size = static_cast<size_t>(high - low);
    // Keep a quarter of the stack (at least 256 KiB, at most 2 MiB) for raising the error,
    // printing it, and native code that does not check.
    size_t margin = size / 4;
    if (margin < (size_t{256} << 10)) margin = size_t{256} << 10;
    if (margin > (size_t{2} << 20)) margin = size_t{2} << 20;
    if (margin > size / 2) margin = size / 2;
    ts->c_stack_limit = low + margin;
    ts->c_stack_low = low;
    ts->c_stack_high = high;
    if (interp) {
        std::lock_guard<std::mutex> lock(interp->threads_mu);
        ts->next_in_interp = interp->threads;
        if (interp->threads) interp->threads->prev_in_interp = ts;
        interp->threads = ts;
    }
    return ts;
}

void unlink_thread_state(ThreadState* ts) {
    Interpreter* interp = ts->interp;
    if (!interp) return;
    if (ts->prev_in_interp) ts->prev_in_interp->next_in_interp = ts->next_in_interp;
    else if (interp->threads == ts) interp->threads = ts->next_in_interp;
    if (ts->next_in_interp) ts->next_in_interp->prev_in_interp = ts->prev_in_interp;
    ts->next_in_interp = ts->prev_in_interp = nullptr;
}

void detach_thread_state(ThreadState* ts) {
    if (!ts || !ts->interp) return;
    {
        std::lock_guard<std::mutex> lock(ts->interp->threads_mu);
        unlink_thread_state(ts);
    }
    ts->interp = nullptr;
}

void delete_thread_state(ThreadState* ts) {
    if (!ts) return;
    if (ts->interp) {
        std::lock_guard<std::mutex> lock(ts->interp->threads_mu);
        unlink_thread_state(ts);
    }
    ThreadState* prev = current_thread();
    set_current_thread(ts);  // deallocating exceptions may need a current thread
    ts->exc.reset();
    ts->handled_exc.reset();
    ts->thread_dict.reset();
    set_current_thread(prev == ts ? nullptr : prev);
    if (ts->stack_base) munmap(ts->stack_base, kValueStackSize * sizeof(Value));
    delete ts;
}

bool enter_recursive_call_slow(ThreadState* ts, const char* where) {
    auto* sp = static_cast<const char*>(__builtin_frame_address(0));
    bool c_stack = sp < ts->c_stack_limit;
    if (!c_stack && ts->recursion_depth <= ts->interp->recursion_limit) return true;
    --ts->recursion_depth;
    // Give the error some room to be created (and __repr__'d) without tripping again.
    int saved = ts->recursion_depth;
    ts->recursion_depth = 0;
    (void)raisef(&exc::RecursionError, "maximum recursion depth exceeded{}", where ? where : "");
    ts->recursion_depth = saved;
    return false;
}

}  // namespace toy
