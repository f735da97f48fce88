// vm_internal.h: helpers shared by the VM's files (vm.cpp, vm_slow.cpp, vm_call.cpp,
// frame.cpp, generator.cpp, build_class.cpp). Not for use outside interp/.
#pragma once

#include <string>
#include <string_view>

#include "interp/code.h"
#include "interp/frame.h"
#include "interp/function.h"
#include "runtime/errors.h"
#include "runtime/interpreter.h"
#include "runtime/thread_state.h"

namespace toy {
struct Str;
struct Tuple;
}

namespace toy::vm {

inline constexpr int64_t kCountdownReload = int64_t{1} << 20;

// --- frames and calls (vm_call.cpp) ---------------------------------------------------------
// Increments ts->recursion_depth; RecursionError past the interpreter's limit.
bool vm_enter_call(ThreadState* ts);
inline void vm_leave_call(ThreadState* ts) { --ts->recursion_depth; }
inline int recursion_limit(ThreadState* ts) { return ts->interp ? ts->interp->recursion_limit : 1000; }

// Allocates a frame for calling `fn` and binds the arguments (borrowed) with CPython's
// rules and error messages. Null with an exception set.
Frame* make_call_frame(ThreadState* ts, Function* fn, const Value* args, size_t npos,
                       Tuple* kwnames, bool on_heap);
// Fills cells (cell2arg) and free variables of a frame whose arguments are bound.
bool init_cells(Frame* f);
// Calls any callable (the generic path, C++ exceptions turned into MemoryError).
Ref call_object(Value callable, CallArgs a);
// CALL_FUNCTION_EX: f(*args, **kwargs); kwargs may be null.
Ref call_function_ex(Value f, Value args, Value kwargs);
// MAKE_FUNCTION.
Ref make_function(Frame* frame, Value code, Value defaults, Value kwdefaults, Value closure);
// "f()" as CPython's _PyObject_FunctionStr (for messages).
std::string function_str(Value f);

// --- slow paths (vm_slow.cpp) ------------------------------------------------------------
std::string_view str_view(Value s);
Str* name_at(CodeObject* code, uint32_t i);
Ref load_name(Frame* f, Str* name);
bool store_name(Frame* f, Str* name, Value v);
bool delete_name(Frame* f, Str* name);
Ref load_global_slow(Frame* f, Str* name, uint32_t* cache);
bool delete_global(Frame* f, Str* name);
Ref load_classderef(Frame* f, uint32_t i);
void raise_unbound_local(CodeObject* code, uint32_t i);
void raise_unbound_deref(CodeObject* code, uint32_t i);
Ref load_attr_slow(Value obj, Str* name, uint32_t* cache);
// LOAD_METHOD: sets out[0] (method or null) and out[1] (self or the bound attribute), owned.
bool load_method_slow(Value obj, Str* name, uint32_t* cache, Value* out);
Ref binary_op_slow(uint32_t arg, Value a, Value b);
Ref subscript_slow(Value container, Value key);
// UNPACK_SEQUENCE / UNPACK_EX: writes the items (owned) to out[0..n), out[0] being the
// first item (the loop reverses them onto the stack).
bool unpack_sequence(Value seq, uint32_t n, Value* out);
bool unpack_ex(Value seq, uint32_t before, uint32_t after, Value* out);
Ref format_value(Value v, uint32_t flags, Value spec);
Ref build_string(const Value* items, uint32_t n);
Ref build_map(const Value* items, uint32_t n);
Ref build_const_key_map(const Value* values, uint32_t n, Value keys);
bool dict_merge_op(Value dict, Value update, Value func, bool check_dups);
bool list_extend_op(Value list, Value iterable);
// RAISE_VARARGS: sets the exception. Returns true when it is a bare re-raise (no new
// traceback entry).
bool do_raise(ThreadState* ts, Value exc, Value cause);
// Sets exc.__context__ to the handled exception (cycle-free), as CPython does at raise time.
void chain_context(ThreadState* ts, Value exc);
int check_exc_match(Value exc, Value type);  // 1 match, 0 no, -1 error
bool before_with(Value mgr, Value* exit_out, Value* enter_res_out);
// Looks a special method up on the type (never the instance) and binds it to obj. Null
// without exception when missing.
Ref lookup_special(Value obj, Str* name);
Ref with_except_start(Value exit, Value exc);
Ref import_name(Frame* f, Str* name, Value fromlist, Value level);
Ref import_from(Value module, Str* name);
bool import_star(Frame* f, Value module);
bool print_expr(Value v);
bool setup_annotations(Frame* f);
Ref get_yield_from_iter(Value v);
Ref load_build_class(Frame* f);

// --- tracebacks, exceptions --------------------------------------------------------------
const ExceptionTableEntry* find_handler(CodeObject* code, uint32_t pc);

// --- generators (generator.cpp) ------------------------------------------------------------
// YIELD_FROM's step: sends v into the iterator `it`. Returns the value; *done tells whether
// `it` finished (the value is then its return value) or yielded it.
Ref yield_from_send(Value it, Value v, bool* done);

// coroutine.cpp: the await protocol.
Ref get_awaitable(Value v, int where);  // GET_AWAITABLE
Ref get_aiter(Value v);                 // GET_AITER
Ref get_anext(Value aiter);             // GET_ANEXT
bool before_async_with(Value mgr, Value* exit_out, Value* enter_res_out);
Ref async_gen_wrap(Value v);            // ASYNC_GEN_WRAP
bool is_ag_awaitable(Value v);          // async_generator_asend / _athrow
Ref ag_awaitable_send(Value aw, Value v);
Value coroutine_wrapper_target(Value v);  // the coroutine behind coro.__await__(), or null

}  // namespace toy::vm
