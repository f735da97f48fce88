// interpreter.h: one interpreter instance: its modules, builtins, configuration and threads.
// Several may exist in one process; they share only immortal objects (builtin types,
// interned strings). runtime_init() sets those up once per process.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "runtime/object.h"

namespace toy {

struct Dict;
struct Module;
struct ThreadState;
class Gil;

struct Interpreter {
    Dict* modules = nullptr;   // sys.modules (owned)
    Dict* builtins = nullptr;  // the builtins module's dict (owned)
    Module* sys = nullptr;     // owned
    std::vector<std::string> argv;
    std::vector<std::string> path;  // sys.path: the script's folder, TOYPATH entries
    int recursion_limit = 1000;
    ThreadState* main_thread = nullptr;
    // (integration, issue 3) This interpreter's GIL (runtime/gil.h); null until threads are
    // wired in: the guards in gil.cpp then do nothing.
    Gil* gil = nullptr;
    // (integration, issue 3) Threads started by _thread and still running (GIL held to change).
    int thread_count = 0;
    // (fork) Every ThreadState of this interpreter, linked through next_in_interp /
    // prev_in_interp; `threads_mu` guards the list (new_thread_state/delete_thread_state take
    // it; the fork path holds it across fork() and re-creates it in the child).
    std::mutex threads_mu;
    ThreadState* threads = nullptr;
    // (fork) os.register_at_fork() callables: owned lists (null until the first
    // registration), run by runtime/fork.cpp. Released by delete_interpreter().
    Object* fork_before = nullptr;
    Object* fork_after_parent = nullptr;
    Object* fork_after_child = nullptr;
};

// Process-wide, idempotent, thread-safe: readies every builtin type and the intern table.
void runtime_init();

// Creates an interpreter (calling runtime_init() first) with its main thread state, which
// it makes current on the calling thread. modules/builtins/sys stay null: the stdlib's
// setup_interpreter() fills them. Null if the thread state cannot be created.
Interpreter* new_interpreter();
// Clears its modules (module dicts are emptied to break function<->globals cycles), the
// thread's exceptions, and frees it with its main thread state. Clears the current thread
// if it was this interpreter's.
void delete_interpreter(Interpreter* interp);

}  // namespace toy
