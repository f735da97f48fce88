// toy/toy.h: the first public embedding API (a seed; issue 7 grows it into the full API:
// values, calls, results with tracebacks, limits, tracing).
//
// Everything a host needs to run a Toy program the way the `toy` command does: create an
// interpreter, run source as the `__main__` module with CPython's handling of uncaught
// exceptions and SystemExit, and tear it down with CPython's exit-time finalization.
// No internal, fmt or re2 types appear here.
//
// Threading: each interpreter has its own GIL. The thread that creates an interpreter holds
// its GIL from then on and runs it; threads started by scripts (threading, _thread) take
// turns with it. destroy_interpreter() first waits for the script's non-daemon threads.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace toy {

struct Interpreter;  // opaque to hosts

inline constexpr const char* kToyVersion = "0.1.0";
inline constexpr const char* kPythonVersion = "3.11";

struct InterpreterOptions {
    std::vector<std::string> argv;  // sys.argv (argv[0]: the script path, "-c" or "-")
    std::string script_dir;         // sys.path[0]; "" means the current folder
    bool use_toypath = true;        // append the TOYPATH entries to sys.path
    // Ctrl-C raises KeyboardInterrupt in the main thread. One interpreter per process can
    // own the signal handlers; a host that handles SIGINT itself leaves this off.
    bool handle_signals = false;
    // The GIL: "interval" (CPython 3.2+, the default) or "tick" (CPython < 3.2);
    // the switch interval in seconds (0: 0.005) and the tick policy's instruction count
    // (0: 100). Scripts can change them with sys.setgilpolicy / setswitchinterval /
    // setcheckinterval.
    std::string gil_policy = "interval";
    double switch_interval = 0;
    long check_interval = 0;
};

// Creates an interpreter with builtins and sys ready, current on the calling thread.
// Nullptr on failure (the reason is printed to stderr).
Interpreter* create_interpreter(const InterpreterOptions& options);

// Runs `source` as the module `__main__` (its `__file__` is `filename` when `set_file`).
// Returns the exit status CPython would use: 0; 1 after printing an uncaught exception or a
// syntax error to sys.stderr; the code of SystemExit (None: 0, an int: it, anything else:
// printed to sys.stderr, 1); 130 after an uncaught KeyboardInterrupt.
int run_main(Interpreter* interp, std::string_view source, std::string_view filename,
             bool set_file);

// The bytecode listing of `source` (as `toy --dis`). False after printing a syntax error.
bool disassemble_source(Interpreter* interp, std::string_view source, std::string_view filename,
                        std::string* listing);

// Exit-time finalization: waits for the script's non-daemon threads (threading._shutdown),
// then (module globals cleared newest module first, __del__ methods run,
// sys.stdout and sys.stderr flushed), then frees the interpreter. Returns false if flushing
// stdout failed (CPython then exits with status 120).
bool destroy_interpreter(Interpreter* interp);

}  // namespace toy
