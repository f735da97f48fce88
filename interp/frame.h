// frame.h: activation records.
//
// A Frame lives on the per-thread value stack (ThreadState::stack_base..stack_limit) and is
// followed in memory by its `localsplus` array (fast locals, cells, free variables: see
// opcodes.def) and then its value stack (code->stacksize slots):
//
//     [Frame header][localsplus: nlocals + ncells + nfrees][value stack: stacksize]
//
// Frames are pushed and popped in LIFO order, so allocation is a pointer bump. A generator
// owns a heap copy of the same layout instead (owner != null) that outlives the call.
//
// Every Value in localsplus and in the live part of the value stack is owned. The frame owns
// a reference to its code, function, globals, builtins and locals dict.
#pragma once

#include <cstdint>

#include "interp/code.h"
#include "runtime/thread_state.h"

namespace toy {

struct Dict;
struct Function;

struct Frame {
    CodeObject* code;       // owned
    Function* func;         // owned or null (module code, exec)
    Dict* globals;          // owned
    Dict* builtins;         // owned
    Dict* locals;           // owned or null: the locals dict of module and class bodies
    Frame* previous;        // the frame below (the caller), null at the bottom
    const uint32_t* ip;     // the instruction being executed (lasti); while a generator is
                            // suspended: where it resumes
    Value* sp;              // top of the value stack while the frame is not executing
    Object* owner;          // the generator owning this (heap) frame, or null
    uint32_t nlocalsplus;
    bool is_entry;          // RETURN_VALUE from it leaves the dispatch loop
    bool yielded;           // set when the loop left it by yielding (generators)
    bool in_yield_from;     // suspended inside YIELD_FROM (resumes by re-executing it)
    bool on_heap;           // allocated with object_alloc (generator frames)

    Value* localsplus() { return reinterpret_cast<Value*>(this + 1); }
    Value* stack_base() { return localsplus() + nlocalsplus; }
    uint32_t lasti() const { return static_cast<uint32_t>(ip - code->code.data()); }
    int line() const { return code->line_at(lasti()); }
};
static_assert(sizeof(Frame) % sizeof(Value) == 0);

// Size in Values of a frame for `code` (header included).
inline size_t frame_size_values(const CodeObject* code) {
    return sizeof(Frame) / sizeof(Value) + code->nlocals + code->ncells + code->nfrees +
           code->stacksize;
}

// Allocates a frame for `code` on the thread's value stack (or on the heap if `on_heap`) and
// initialises its header: references to code/func/globals/builtins/locals are taken, all
// localsplus and stack slots are null, ip at the first instruction. Null with an exception
// set (RecursionError: the stack is full; MemoryError). Does not touch recursion_depth.
Frame* frame_alloc(ThreadState* ts, CodeObject* code, Function* func, Dict* globals,
                   Dict* builtins, Dict* locals, bool on_heap = false);
// Releases everything the frame owns (localsplus, stack below sp, header references) and
// frees its memory (pops it from the thread stack, or frees the heap block).
void frame_free(ThreadState* ts, Frame* f);
// Releases the frame's contents without freeing its memory (value stack up to sp).
void frame_clear(Frame* f);

// Makes sure the thread has its value stack (allocated lazily, mmap MAP_NORESERVE).
bool ensure_thread_stack(ThreadState* ts);

}  // namespace toy
