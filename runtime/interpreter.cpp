// interpreter.cpp: creating and destroying interpreters.
#include "runtime/interpreter.h"

#include "runtime/dict.h"
#include "runtime/gil.h"
#include "runtime/module.h"
#include "runtime/thread_state.h"

namespace toy {

Interpreter* new_interpreter() {
    runtime_init();
    auto* interp = new Interpreter();
    ThreadState* ts = new_thread_state(interp);
    if (!ts) {
        delete interp;
        return nullptr;
    }
    interp->main_thread = ts;
    set_current_thread(ts);
    // The main thread holds the GIL from the start (runtime/gil.cpp).
    interp->gil = new Gil();
    interp->gil->acquire(ts);
    return interp;
}

void delete_interpreter(Interpreter* interp) {
    if (!interp) return;
    ThreadState* prev = current_thread();
    ThreadState* ts = interp->main_thread;
    if (ts) set_current_thread(ts);
    if (ts) {
        ts->exc.reset();
        ts->handled_exc.reset();
    }
    // Threads still running now are daemon threads (threading._shutdown() joined the
    // others): from here on they freeze when they try to take the GIL back, so they never
    // touch what is freed below. They keep pointers to the interpreter and its GIL, which
    // are therefore never freed in that case (CPython leaks them likewise).
    bool threads_left = interp->gil && interp->thread_count > 0;
    if (threads_left) interp->gil->set_finalizing(ts);
    // Module globals and the functions defined in them refer to each other: empty every
    // module dict (as CPython's shutdown does) so the cycles break and __del__ methods run.
    if (interp->modules) {
        Dict* modules = interp->modules;
        int64_t pos = 0;
        Value k, v;
        // Collect first: clearing may run code that touches sys.modules.
        std::vector<Ref> mods;
        while (dict_next(modules, &pos, &k, &v)) mods.push_back(Ref::borrow(v));
        for (Ref& m : mods) {
            if (m.get().is_object() && m.obj()->type == &module_type) {
                Dict* d = m.as<Module>()->dict;
                if (d) dict_clear(d);
            }
        }
        mods.clear();
    }
    // (fork) The os.register_at_fork() lists.
    for (Object** hooks : {&interp->fork_before, &interp->fork_after_parent,
                           &interp->fork_after_child}) {
        if (Object* o = *hooks) {
            *hooks = nullptr;
            decref(o);
        }
    }
    if (interp->sys) {
        if (interp->sys->dict) dict_clear(interp->sys->dict);
        decref(interp->sys);
        interp->sys = nullptr;
    }
    if (interp->modules) {
        Dict* d = interp->modules;
        interp->modules = nullptr;
        dict_clear(d);
        decref(d);
    }
    if (interp->builtins) {
        Dict* d = interp->builtins;
        interp->builtins = nullptr;
        dict_clear(d);
        decref(d);
    }
    if (ts) {
        ts->exc.reset();
        ts->handled_exc.reset();
    }
    if (interp->gil && !threads_left) {
        if (ts) interp->gil->release(ts, GilReleaseReason::kExit);
        delete interp->gil;
        interp->gil = nullptr;
    }
    delete_thread_state(ts);
    set_current_thread(prev == ts ? nullptr : prev);
    if (!threads_left) delete interp;
}

}  // namespace toy
