// frame.cpp: frame allocation on the per-thread value stack.
#include "interp/frame.h"

#include <sys/mman.h>

#include <cstring>

#include "interp/function.h"
#include "runtime/dict.h"
#include "runtime/errors.h"

namespace toy {

namespace {
constexpr size_t kThreadStackValues = size_t{1} << 20;  // 8 MiB of address space, lazily backed
}

bool ensure_thread_stack(ThreadState* ts) {
    if (ts->stack_base) return true;
    size_t bytes = kThreadStackValues * sizeof(Value);
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (p == MAP_FAILED) {
        (void)raise_no_memory();
        return false;
    }
    ts->stack_base = static_cast<Value*>(p);
    ts->stack_top = ts->stack_base;
    ts->stack_limit = ts->stack_base + kThreadStackValues;
    return true;
}

Frame* frame_alloc(ThreadState* ts, CodeObject* code, Function* func, Dict* globals,
                   Dict* builtins, Dict* locals, bool on_heap) {
    size_t nvalues = frame_size_values(code);
    Frame* f;
    if (on_heap) {
        f = static_cast<Frame*>(object_alloc(nvalues * sizeof(Value)));
        if (!f) return nullptr;
    } else {
        if (TOY_UNLIKELY(!ts->stack_base) && !ensure_thread_stack(ts)) return nullptr;
        Value* top = ts->stack_top;
        if (TOY_UNLIKELY(static_cast<size_t>(ts->stack_limit - top) < nvalues)) {
            (void)raise(&exc::RecursionError, "maximum recursion depth exceeded");
            return nullptr;
        }
        ts->stack_top = top + nvalues;
        f = reinterpret_cast<Frame*>(top);
    }
    uint32_t nlp = code->nlocals + code->ncells + code->nfrees;
    // With a function, the frame borrows code/globals/builtins from it (the function cannot
    // change them and the frame owns the function); otherwise it owns them.
    if (func) {
        incref(func);
    } else {
        incref(code);
        incref(globals);
        incref(builtins);
    }
    f->code = code;
    f->func = func;
    f->globals = globals;
    f->builtins = builtins;
    if (locals) incref(locals);
    f->locals = locals;
    f->previous = nullptr;
    f->ip = code->code.data();
    f->owner = nullptr;
    f->nlocalsplus = nlp;
    f->is_entry = false;
    f->yielded = false;
    f->in_yield_from = false;
    f->on_heap = on_heap;
    Value* lp = f->localsplus();
    for (uint32_t i = 0; i < nlp; ++i) lp[i] = Value::null();
    f->sp = f->stack_base();
    return f;
}

void frame_clear(Frame* f) {
    Value* lp = f->localsplus();
    Value* sp = f->sp;
    f->sp = f->stack_base();
    for (Value* p = f->stack_base(); p < sp; ++p) {
        Value v = *p;
        *p = Value::null();
        decref(v);
    }
    for (uint32_t i = 0; i < f->nlocalsplus; ++i) {
        Value v = lp[i];
        lp[i] = Value::null();
        decref(v);
    }
}

void frame_free(ThreadState* ts, Frame* f) {
    frame_clear(f);
    CodeObject* code = f->code;
    size_t nvalues = frame_size_values(code);
    Function* func = f->func;
    Dict* globals = f->globals;
    Dict* builtins = f->builtins;
    Dict* locals = f->locals;
    if (f->on_heap) {
        object_free(f, nvalues * sizeof(Value));
    } else {
        // Frames are freed in LIFO order: this one is at the top of the thread stack.
        ts->stack_top = reinterpret_cast<Value*>(f);
    }
    if (locals) decref(locals);
    if (func) {
        decref(func);
    } else {
        decref(globals);
        decref(builtins);
        decref(code);
    }
}

}  // namespace toy
