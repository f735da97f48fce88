// fork.h: THE single fork path of the runtime (os.fork(), multiprocessing's Process, and any
// native module whose child keeps running Toy code go through fork_interpreter()).
// The algorithm, its invariants and who may touch what are at the top of fork.cpp.
//
// A native module whose child only execs or _exits at once, with async-signal-safe calls
// only, may call fork()/vfork() itself (subprocess does); nothing else may.
#pragma once

#include <sys/types.h>

#include "runtime/object.h"

namespace toy {

struct ThreadState;

// Forks the process. Must be called with the GIL held by the current thread. Runs the
// os.register_at_fork() `before` hooks (newest first), forks, then in the parent the
// `after_in_parent` hooks and in the child, after the runtime has been made whole again
// (see fork.cpp), the `after_in_child` hooks (both oldest first). Exceptions raised by hooks
// are reported as unraisable and do not stop the fork (CPython).
// Returns the child's pid in the parent, 0 in the child, -1 with OSError set on failure.
pid_t fork_interpreter();

// os.register_at_fork(): appends the non-null callables to the current interpreter's hook
// lists. False with an exception set (MemoryError).
bool register_at_fork(Value before, Value after_in_parent, Value after_in_child);

// Runtime-internal locks. A subsystem with a process-wide mutex registers a handler (at
// static-initialisation time or before any fork): `prepare` takes its locks right before
// fork() (in the forking thread, GIL held), `parent` releases them after fork() in the
// parent, `child` in the child. The forking thread owns them in both processes, so `child`
// unlocks them too (re-creating a held mutex in place would leave ThreadSanitizer believing
// it is still held); it may also reset other per-process state. Handlers run in
// registration order for prepare and in reverse order for parent/child. At most 32.
struct RuntimeForkHandler {
    void (*prepare)();
    void (*parent)();
    void (*child)();
};
void register_runtime_fork_handler(RuntimeForkHandler h);

// Releases what the frames of a thread state that no longer exists (another thread, in the
// child) own: set by the interpreter layer (stdlib/os.cpp installs interp/'s walker). Without
// one, those references leak (harmless, as in CPython).
using ForkFrameReleaser = void (*)(ThreadState* dead);
void set_fork_frame_releaser(ForkFrameReleaser fn);

// Statistics for tests: thread states dropped in this process by its last fork (child only).
int fork_dropped_thread_states();

}  // namespace toy
