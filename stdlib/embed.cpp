// embed.cpp: the public API of include/toy/toy.h, on top of the registry and the VM.
#include "toy/toy.h"

#include <unistd.h>

#include "interp/compiler.h"
#include "interp/disasm.h"
#include "interp/traceback.h"
#include "interp/vm.h"
#include "runtime/abstract.h"
#include "runtime/dict.h"
#include "runtime/errors.h"
#include "runtime/gil.h"
#include "runtime/signals.h"
#include "runtime/int.h"
#include "runtime/interpreter.h"
#include "runtime/module.h"
#include "runtime/str.h"
#include "runtime/thread_state.h"
#include "stdlib/registry.h"
#include "stdlib/util.h"

namespace toy {

namespace {

void make_current(Interpreter* interp) {
    if (interp->main_thread && current_thread() != interp->main_thread) {
        set_current_thread(interp->main_thread);
    }
}

// The exit status for an uncaught SystemExit, printing a non-integer code as CPython does.
int system_exit_status(Value exc) {
    Ref code = getattr(exc, TOY_NAME(code));
    if (!code) {
        clear_error();
        return 1;
    }
    if (code.get().is_none()) return 0;
    if (is_int(code.get())) {
        int64_t n;
        if (!int_value(code.get(), &n)) {
            clear_error();
            return -1;
        }
        return static_cast<int>(n);
    }
    Ref s = str(code.get());
    if (!s) {
        clear_error();
        return 1;
    }
    std::string text(s.as<Str>()->view());
    text += '\n';
    write_stderr(text);
    return 1;
}

// Handles the exception set on the thread as the top level does; returns the exit status.
int handle_uncaught() {
    Ref e = fetch_error();
    if (!e) return 1;
    if (isinstance(e.get(), Value::object(&exc::SystemExit))) return system_exit_status(e.get());
    clear_error();
    print_exception(e.get());
    clear_error();
    return isinstance(e.get(), Value::object(&exc::KeyboardInterrupt)) ? 130 : 1;
}

}  // namespace

Interpreter* create_interpreter(const InterpreterOptions& options) {
    Interpreter* interp = new_interpreter();
    if (!interp) {
        write_stderr("toy: cannot create the interpreter\n");
        return nullptr;
    }
    InterpreterConfig config;
    config.argv = options.argv;
    config.script_dir = options.script_dir;
    config.use_toypath = options.use_toypath;
    if (Gil* gil = interp->gil) {
        if (options.gil_policy == "tick") {
            gil->set_policy(GilPolicy::kTick);
        } else if (options.gil_policy != "interval") {
            write_stderr("toy: unknown GIL policy '" + options.gil_policy +
                         "' (expected 'interval' or 'tick')\n");
            delete_interpreter(interp);
            return nullptr;
        }
        if (options.switch_interval > 0)
            gil->set_interval_ns(static_cast<int64_t>(options.switch_interval * 1e9) + 1);
        if (options.check_interval > 0) gil->set_check_interval(options.check_interval);
    }
    if (options.handle_signals) install_signal_handlers(interp->main_thread);
    if (!setup_interpreter(interp, config)) {
        Ref e = fetch_error();
        if (e) print_exception(e.get());
        write_stderr("toy: interpreter set-up failed\n");
        delete_interpreter(interp);
        return nullptr;
    }
    return interp;
}

int run_main(Interpreter* interp, std::string_view source, std::string_view filename,
             bool set_file) {
    make_current(interp);
    RefT<Module> main_module = create_module_in_sys("__main__", set_file ? filename : "");
    if (!main_module) return handle_uncaught();
    // The script is file input (CPython's PyRun_File), which matters for syntax errors.
    RefT<CodeObject> code = compile_source(source, filename, CompileMode::kExec, set_file);
    if (!code) return handle_uncaught();
    Ref r = eval_code(code.get(), main_module->dict, main_module->dict);
    if (!r) return handle_uncaught();
    return 0;
}

bool disassemble_source(Interpreter* interp, std::string_view source, std::string_view filename,
                        std::string* listing) {
    make_current(interp);
    RefT<CodeObject> code = compile_source(source, filename, CompileMode::kExec);
    if (!code) {
        handle_uncaught();
        return false;
    }
    *listing = disassemble(code.get());
    return true;
}

// Waits for non-daemon threads, as CPython's Py_FinalizeEx calls threading._shutdown().
void wait_for_threads() {
    Interpreter* interp = current_thread()->interp;
    if (!interp->modules) return;
    Value threading = dict_get_str(interp->modules, TOY_NAME(threading));
    if (threading.is_null() || !threading.is_object()) return;
    Ref shutdown = getattr_or_null(threading, TOY_NAME(_shutdown));
    if (shutdown) shutdown = call(*shutdown, {});
    if (!shutdown && error_occurred()) {
        Ref e = fetch_error();
        write_stderr("Exception ignored in: <module 'threading'>\n");
        print_exception(*e);
    }
}

bool destroy_interpreter(Interpreter* interp) {
    if (!interp) return true;
    make_current(interp);
    wait_for_threads();
    finalize_modules();
    bool ok = flush_std_streams();
    uninstall_signal_handlers(interp->main_thread);
    delete_interpreter(interp);
    return ok;
}

}  // namespace toy
