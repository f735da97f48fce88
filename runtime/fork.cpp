// fork.cpp: the single fork path (see fork.h).
//
// WHY. fork() copies the whole address space but only the calling thread. Every lock that
// another thread held at that moment stays held in the child forever, and every thread
// state, frame and wait of another thread describes a thread that does not exist. A child
// that goes on running Toy code must therefore make the runtime whole again before it runs
// a single instruction: that is what this file does, and it is the only place that may.
//
// ALGORITHM (fork_interpreter(), the calling thread T holds the GIL):
//   1. The `before` hooks of os.register_at_fork(), newest first (errors: unraisable).
//   2. PREPARE: take interp->threads_mu (no thread state is being created or deleted across
//      fork(), so the list is consistent in the child), then every runtime fork handler's
//      `prepare` (the intern table mutex, the traceback source-line cache mutex, ...), in
//      registration order. Those mutexes are only ever held for short stretches that never
//      wait for the GIL, so T (holding the GIL) cannot deadlock taking them.
//   3. fork().
//   4. PARENT: the handlers' `parent` (unlock, reverse order), threads_mu unlocked, then
//      the `after_in_parent` hooks, oldest first (also when fork() failed, as CPython).
//   5. CHILD, in this order (nothing may take a lock before it is released):
//      a. threads_mu and the handlers' mutexes are released by T, which took them in
//         PREPARE (unlocking, not re-creating, keeps ThreadSanitizer's view consistent);
//      b. the GIL is made whole, held by T (Gil::reinit_after_fork: T took its internal
//         mutexes in PREPARE, after the handlers'; its condition variables, which vanished
//         waiters may have been using, are re-created);
//      c. signals: T becomes the handlers' target (the main thread for signals), tripped
//         signals are forgotten, SIGINT is unblocked in T;
//      d. every other ThreadState of the interpreter is unlinked, T becomes
//         interp->main_thread, thread_count becomes 1 if T is a thread _thread started
//         (its thread_main() will decrement it when it returns) and 0 otherwise;
//      e. the unlinked states are dropped: the frame releaser (interp layer) releases what
//         their frames own, then their exception, handled exception and thread-local dict
//         are released (this may run __del__ methods: the runtime is whole by now), and
//         their value stacks unmapped. Native references held on those threads' C stacks
//         leak (unavoidable, harmless);
//      f. the `after_in_child` hooks, oldest first. threading registers _after_fork there,
//         which leaves only the current thread in threading.enumerate() and re-creates the
//         locks of the threads that vanished.
//
// WHAT NEEDS NO RESET. The object allocator is malloc (glibc makes it fork-safe itself).
// sys.stdout/stderr (stdlib/io.cpp) have no lock: a writer swaps its buffer out before it
// releases the GIL for write(2), so the file object is consistent in the child (bytes a
// vanished thread was writing are simply not written there; bytes still buffered are
// written by both processes unless flushed before fork, exactly as in CPython). The import
// machinery keeps no lock (a module a vanished thread was importing stays half-initialised
// in sys.modules, as in CPython). Thread-local caches belong to the forking thread.
//
// LEAKS, SANITIZERS. Values on the vanished threads' frame value stacks and references held
// by their native callers are leaked (see 5e). In LeakSanitizer builds the child keeps those
// value stacks mapped and registers them and the threads' C stacks as root regions, so the
// child's exit does not report them.
//
// INVARIANTS.
//   - Only T runs between fork() and the return of fork_interpreter() in the child; no
//     other thread of the parent exists there, so no lock is needed for (d)/(e).
//   - User locks (_thread.lock, RLock, semaphores of multiprocessing) are NOT touched: a
//     lock held by another thread at fork stays locked in the child, exactly as CPython.
//   - Hooks run with the GIL held, with T current.
//
// LOCKS TOUCHED: interp->threads_mu (held across fork), the runtime fork handlers' mutexes
// (held across fork), the GIL (held by T throughout) and its two internal mutexes (held
// across fork). Lock order: GIL, then threads_mu, then the handlers' mutexes in
// registration order, then the GIL's internal mutexes (mutex_ before switch_mutex_).
#include "runtime/fork.h"

#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <mutex>
#include <new>
#include <vector>

#include "runtime/abstract.h"
#include "runtime/errors.h"
#include "runtime/gil.h"
#include "runtime/interpreter.h"
#include "runtime/list.h"
#include "runtime/signals.h"
#include "runtime/thread_state.h"

#if defined(__SANITIZE_ADDRESS__)
#define TOY_FORK_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TOY_FORK_LSAN 1
#endif
#endif
#ifdef TOY_FORK_LSAN
#include <sanitizer/lsan_interface.h>
#endif

namespace toy {

namespace {

constexpr int kMaxHandlers = 32;
RuntimeForkHandler g_handlers[kMaxHandlers];  // constant-initialised: usable from static init
std::atomic<int> g_nhandlers{0};
std::atomic<ForkFrameReleaser> g_releaser{nullptr};
int g_dropped = 0;

// Runs the hooks of a list (a copy of it: a hook may register more hooks).
void run_hooks(Object* hooks, bool newest_first) {
    if (!hooks) return;
    auto* l = static_cast<List*>(hooks);
    RefT<List> copy = new_list_from(l->items, l->size);
    if (!copy) {
        write_unraisable(Value::object(hooks));
        return;
    }
    int64_t n = copy->size;
    for (int64_t i = 0; i < n; ++i) {
        Value f = copy->items[newest_first ? n - 1 - i : i];
        Ref r = call(f, {});
        if (!r) write_unraisable(f);
    }
}

bool append_hook(Object** list, Value f) {
    if (f.is_null() || f.is_none()) return true;
    if (!*list) {
        RefT<List> l = new_list();
        if (!l) return false;
        *list = l.release();
    }
    return list_append(static_cast<List*>(*list), f);
}

void drop_thread_state(ThreadState* me, ThreadState* dead) {
    if (ForkFrameReleaser rel = g_releaser.load(std::memory_order_acquire)) rel(dead);
    dead->frame = nullptr;
    // Released with `me` current and holding the GIL: __del__ methods run in this thread.
    Ref exc = std::move(dead->exc);
    Ref handled = std::move(dead->handled_exc);
    Ref locals = std::move(dead->thread_dict);
    exc.reset();
    handled.reset();
    locals.reset();
    (void)me;
#ifdef TOY_FORK_LSAN
    // What the vanished thread's frames kept on their value stacks, and its native callers on
    // its C stack, is leaked on purpose (see the top of this file). LeakSanitizer would report
    // it at the child's exit: keep the value stack mapped and have both stacks scanned.
    if (dead->stack_base) {
        __lsan_register_root_region(dead->stack_base, static_cast<size_t>(dead->stack_top -
                                                                          dead->stack_base) *
                                                          sizeof(Value));
        dead->stack_base = nullptr;  // not unmapped
    }
    if (dead->c_stack_low && dead->c_stack_high > dead->c_stack_low)
        __lsan_register_root_region(dead->c_stack_low,
                                    static_cast<size_t>(dead->c_stack_high - dead->c_stack_low));
#endif
    dead->interp = nullptr;  // already unlinked: delete_thread_state must not touch the list
    delete_thread_state(dead);
}

void after_fork_child(ThreadState* ts) {
    Interpreter* interp = ts->interp;
    // (b) the GIL, held by this thread (its internal mutexes were taken last, so they are
    // released first).
    if (interp->gil) interp->gil->reinit_after_fork(ts);
    // (a) release the locks taken across fork().
    for (int i = g_nhandlers.load(std::memory_order_acquire) - 1; i >= 0; --i)
        if (g_handlers[i].child) g_handlers[i].child();
    interp->threads_mu.unlock();
    // (c) signals.
    signals_after_fork_child(ts);
    // (d) only this thread is left.
    std::vector<ThreadState*> dead;
    for (ThreadState* t = interp->threads; t; t = t->next_in_interp)
        if (t != ts) dead.push_back(t);
    for (ThreadState* t : dead) t->next_in_interp = t->prev_in_interp = nullptr;
    ts->next_in_interp = ts->prev_in_interp = nullptr;
    interp->threads = ts;
    bool was_main = interp->main_thread == ts;
    interp->main_thread = ts;
    interp->thread_count = was_main ? 0 : 1;
    // (e) drop the vanished threads' states.
    for (ThreadState* t : dead) drop_thread_state(ts, t);
    g_dropped = static_cast<int>(dead.size());
    // (f) the after_in_child hooks.
    run_hooks(interp->fork_after_child, false);
}

}  // namespace

void register_runtime_fork_handler(RuntimeForkHandler h) {
    int i = g_nhandlers.load(std::memory_order_relaxed);
    if (i >= kMaxHandlers) return;
    g_handlers[i] = h;
    g_nhandlers.store(i + 1, std::memory_order_release);
}

void set_fork_frame_releaser(ForkFrameReleaser fn) {
    g_releaser.store(fn, std::memory_order_release);
}

int fork_dropped_thread_states() { return g_dropped; }

bool register_at_fork(Value before, Value after_in_parent, Value after_in_child) {
    Interpreter* interp = current_thread()->interp;
    return append_hook(&interp->fork_before, before) &&
           append_hook(&interp->fork_after_parent, after_in_parent) &&
           append_hook(&interp->fork_after_child, after_in_child);
}

pid_t fork_interpreter() {
    ThreadState* ts = current_thread();
    Interpreter* interp = ts->interp;
    // 1. before hooks.
    run_hooks(interp->fork_before, true);
    // 2. prepare.
    interp->threads_mu.lock();
    int nhandlers = g_nhandlers.load(std::memory_order_acquire);
    for (int i = 0; i < nhandlers; ++i)
        if (g_handlers[i].prepare) g_handlers[i].prepare();
    if (interp->gil) interp->gil->prepare_fork();
    // 3. fork.
    pid_t pid = ::fork();
    int err = errno;
    if (pid == 0) {
        after_fork_child(ts);
        return 0;
    }
    // 4. parent.
    if (interp->gil) interp->gil->after_fork_parent();
    for (int i = nhandlers - 1; i >= 0; --i)
        if (g_handlers[i].parent) g_handlers[i].parent();
    interp->threads_mu.unlock();
    run_hooks(interp->fork_after_parent, false);
    if (pid < 0) {
        (void)raise_errno(err);
        return -1;
    }
    return pid;
}

}  // namespace toy
