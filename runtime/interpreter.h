// interpreter.h: one interpreter instance: its modules, builtins, configuration and threads.
// Several may exist in one process; they share only immortal objects (builtin types,
// interned strings). runtime_init() sets those up once per process.
#pragma once

#include <string>
#include <vector>

#include "runtime/object.h"

namespace toy {

struct Dict;
struct Module;
struct ThreadState;

struct Interpreter {
    Dict* modules = nullptr;   // sys.modules (owned)
    Dict* builtins = nullptr;  // the builtins module's dict (owned)
    Module* sys = nullptr;     // owned
    std::vector<std::string> argv;
    std::vector<std::string> path;  // sys.path: the script's folder, TOYPATH entries
    int recursion_limit = 1000;
    ThreadState* main_thread = nullptr;
};

// Process-wide, idempotent, thread-safe: readies every builtin type and the intern table.
void runtime_init();

}  // namespace toy
