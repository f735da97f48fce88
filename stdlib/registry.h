// registry.h: setting up an interpreter's builtins and sys, the table of native modules, and
// the import machinery behind `builtins.__import__`.
//
// Start-up is lazy: setup_interpreter() creates only `builtins`, `sys` and the three std
// streams; every other module (native or embedded Toy) is created on first import. No file is
// read at start-up.
//
// Import order for a top-level name: sys.modules, the native table (kNativeModules in
// registry.cpp), the embedded Toy modules (stdlib/lib/*.toy), then `<dir>/<name>.toy` and
// `<dir>/<name>/__init__.toy` (a package) for each dir on sys.path ('' = the current folder).
// Submodules `a.b` are searched on `a.__path__`. A module is in sys.modules while its body
// runs, so circular imports see the partially initialised module; on failure it is removed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "runtime/object.h"

namespace toy {

struct Interpreter;
struct Module;
struct Dict;
struct Str;

struct InterpreterConfig {
    std::vector<std::string> argv;  // sys.argv (argv[0]: the script path, '-c' or '-')
    std::string script_dir;         // sys.path[0]: the script's folder ("" for -c / stdin)
    bool use_toypath = true;        // append TOYPATH entries to sys.path
};

// Creates builtins, sys (with sys.modules, sys.path, sys.argv, the std streams) on an
// interpreter whose main thread state is current. Process-wide types are readied on the
// first call. False with an exception set on failure.
[[nodiscard]] bool setup_interpreter(Interpreter* interp, const InterpreterConfig& config);

// Flushes sys.stdout and sys.stderr (at exit); errors are reported to fd 2 and swallowed.
// Returns false if flushing stdout failed (e.g. a closed pipe), as CPython exits 120 then.
bool flush_std_streams();

// CPython's module finalization at exit: every module except builtins and sys, newest
// first, has its globals set to None (names starting with one underscore first, then the
// rest but __builtins__), so that __del__ methods run while builtins and sys still work.
// delete_interpreter() then frees what is left.
void finalize_modules();

// Writes text to sys.stderr (to fd 2 if sys.stderr is missing or fails).
void write_stderr(std::string_view text);

// A native module: created by `create` on first import.
using ModuleCreateFn = RefT<Module> (*)();
struct NativeModuleDef {
    const char* name;
    ModuleCreateFn create;
};
// The table (terminated by {nullptr}).
extern const NativeModuleDef kNativeModules[];

// The module creators (one file each).
RefT<Module> create_sys_module();
RefT<Module> create_time_module();
RefT<Module> create_math_module();
RefT<Module> create_numeric_module();  // numeric.cpp (issue 3: GIL-releasing float64 arrays)
RefT<Module> create_thread_module();  // thread.cpp (issue 3: _thread)
RefT<Module> create_os_module();  // os.cpp (first part; issue 4 completes it)
RefT<Module> create_subprocess_module();  // subprocess.cpp (issue 4: _subprocess)
RefT<Module> create_signal_module();  // signal.cpp (issue 4: _signal; signal is lib/signal.toy)
RefT<Module> create_multiprocessing_module();  // multiprocessing.cpp (issue 4: _multiprocessing)
RefT<Module> create_pickle_module();  // pickle.cpp (issue 4: _pickle; pickle is stdlib/lib/pickle.toy)
RefT<Module> create_mmap_module();  // mmap.cpp (issue 4: mmap)
RefT<Module> create_socket_module();  // socket.cpp (issue 5: _socket; socket is stdlib/lib/socket.toy)
RefT<Module> create_select_module();  // select.cpp (issue 5: select)
RefT<Module> create_collections_module();  // collections.cpp (issue 5, stdcore: _collections)
RefT<Module> create_itertools_module();  // itertools.cpp (issue 5, stdcore: itertools)
RefT<Module> create_struct_module();  // struct.cpp (issue 5, stdcore: _struct)

// Embedded Toy sources (stdlib/lib/**.toy) of the module or package `name` (dotted);
// *is_package tells which. An empty view when there is no such module.
std::string_view find_embedded_module(std::string_view name, bool* is_package);

// import `name` (absolute, dotted allowed) and return the module itself (not the top-level
// package). As importlib.import_module.
Ref import_module(std::string_view name);

// A new module `name` registered in sys.modules, with __name__, __builtins__ (and __file__
// if `file` is not empty). For the `__main__` module of the CLI.
RefT<Module> create_module_in_sys(std::string_view name, std::string_view file);

// Runs `source` as the body of module `m` (compile + eval in its dict).
Ref exec_module_source(Module* m, std::string_view source, std::string_view filename);

// ImportError for `from module import name`: "cannot import name 'y' from 'x' (path)".
Ref raise_cannot_import(Value module, Str* name);

}  // namespace toy
