// vm.cpp: the dispatch loop.
//
// One C++ function, run_frame(), executes Toy frames. CALL of a Toy function pushes the
// callee's frame on the thread's value stack and continues in the same loop; RETURN_VALUE
// pops it and continues in the caller. Only native code calling back into Toy (a dunder
// from a slot, key= of sorted, generators being resumed) starts a nested run_frame().
//
// Registers: `frame` (the executing frame), `ip` (the next code word), `sp` (one past the
// value-stack top), `lp` (frame->localsplus()), `countdown` (the check point's counter, a
// local copy of ts->countdown written back around native calls).
//
// Each instruction stores its own address into frame->ip before it runs (the "lasti" used by
// tracebacks and the exception table), then checks the countdown and the breaker word
// (except the light ones, see DISPATCH_LIGHT).
//
// Errors: an instruction that fails jumps to `error` with the exception set on the thread
// state. `error` adds a traceback entry for the frame, then `exception_unwind` looks the
// instruction up in the exception table: found, the stack is cut down to the handler's depth
// and the exception pushed; not found, the frame is popped and the caller's CALL fails the
// same way (or run_frame returns null when the frame is the entry frame).
#include "interp/vm.h"

#include <cstring>
#include <new>

#include "interp/frame.h"
#include "interp/function.h"
#include "interp/generator.h"
#include "interp/traceback.h"
#include "interp/vm_internal.h"
#include "runtime/abstract.h"
#include "runtime/dict.h"
#include "runtime/errors.h"
#include "runtime/float.h"
#include "runtime/gil.h"
#include "runtime/int.h"
#include "runtime/interpreter.h"
#include "runtime/list.h"
#include "runtime/misc_types.h"
#include "runtime/native_function.h"
#include "runtime/set.h"
#include "runtime/signals.h"
#include "runtime/str.h"
#include "runtime/thread_state.h"
#include "runtime/tuple.h"

#if defined(__GNUC__) || defined(__clang__)
#define TOY_COMPUTED_GOTO 1
#else
#define TOY_COMPUTED_GOTO 0
#endif

namespace toy {

using namespace toy::vm;

namespace {

// Fast paths of BINARY_OP on two small ints. Returns false to take the generic path.
TOY_ALWAYS_INLINE bool small_int_binop(uint32_t op, int64_t x, int64_t y, Value* out) {
    int64_t r;
    switch (static_cast<BinOp>(op)) {
    case BinOp::kAdd: r = x + y; break;
    case BinOp::kSub: r = x - y; break;
    case BinOp::kMul:
        if (__builtin_mul_overflow(x, y, &r)) return false;
        break;
    case BinOp::kFloorDiv: {
        if (y == 0) return false;
        int64_t q = x / y;
        if ((x % y != 0) && ((x < 0) != (y < 0))) --q;
        r = q;
        break;
    }
    case BinOp::kMod: {
        if (y == 0) return false;
        int64_t m = x % y;
        if (m != 0 && ((m < 0) != (y < 0))) m += y;
        r = m;
        break;
    }
    case BinOp::kTrueDiv:
        if (y == 0) return false;
        *out = Value::from_double(static_cast<double>(x) / static_cast<double>(y));
        return true;
    case BinOp::kAnd: r = x & y; break;
    case BinOp::kOr: r = x | y; break;
    case BinOp::kXor: r = x ^ y; break;
    case BinOp::kLShift:
        if (y < 0 || y > 16 || x < -(int64_t{1} << 30) || x > (int64_t{1} << 30)) return false;
        r = x << y;
        break;
    case BinOp::kRShift:
        if (y < 0) return false;
        r = y >= 63 ? (x < 0 ? -1 : 0) : (x >> y);
        break;
    default: return false;
    }
    if (!Value::fits_small_int(r)) return false;
    *out = Value::small_int(r);
    return true;
}

TOY_ALWAYS_INLINE bool float_binop(uint32_t op, double x, double y, Value* out) {
    double r;
    switch (static_cast<BinOp>(op)) {
    case BinOp::kAdd: r = x + y; break;
    case BinOp::kSub: r = x - y; break;
    case BinOp::kMul: r = x * y; break;
    case BinOp::kTrueDiv:
        if (y == 0.0) return false;
        r = x / y;
        break;
    default: return false;
    }
    *out = Value::from_double(r);
    return true;
}

TOY_ALWAYS_INLINE bool compare_ints(uint32_t op, int64_t x, int64_t y) {
    switch (static_cast<CmpOp>(op)) {
    case CmpOp::kLt: return x < y;
    case CmpOp::kLe: return x <= y;
    case CmpOp::kEq: return x == y;
    case CmpOp::kNe: return x != y;
    case CmpOp::kGt: return x > y;
    default: return x >= y;
    }
}
TOY_ALWAYS_INLINE bool compare_doubles(uint32_t op, double x, double y) {
    switch (static_cast<CmpOp>(op)) {
    case CmpOp::kLt: return x < y;
    case CmpOp::kLe: return x <= y;
    case CmpOp::kEq: return x == y;
    case CmpOp::kNe: return x != y;
    case CmpOp::kGt: return x > y;
    default: return x >= y;
    }
}

// Pushes a frame for a plain call of `fn` on the thread stack (the CALL fast path): the
// header is filled, localsplus[nargs..] nulled; the caller moves the arguments in. Null when
// the thread stack is full (nothing raised yet).
TOY_ALWAYS_INLINE Frame* push_frame_fast(ThreadState* ts, Function* fn, CodeObject* co, size_t nargs) {
    uint32_t nlp = co->nlocals + co->ncells + co->nfrees;
    size_t nvalues = sizeof(Frame) / sizeof(Value) + nlp + co->stacksize;
    Value* top = ts->stack_top;
    if (TOY_UNLIKELY(static_cast<size_t>(ts->stack_limit - top) < nvalues)) return nullptr;
    ts->stack_top = top + nvalues;
    Frame* f = reinterpret_cast<Frame*>(top);
    incref(fn);
    f->code = co;
    f->func = fn;
    f->globals = fn->globals;
    f->builtins = fn->builtins;
    f->locals = nullptr;
    f->ip = co->code.data();
    f->owner = nullptr;
    f->nlocalsplus = nlp;
    f->is_entry = false;
    f->yielded = false;
    f->in_yield_from = false;
    f->on_heap = false;
    Value* lp = f->localsplus();
    for (size_t i = nargs; i < nlp; ++i) lp[i] = Value::null();
    f->sp = lp + nlp;
    return f;
}

// Pops a frame pushed by push_frame_fast (or frame_alloc with a function, on the thread stack).
TOY_ALWAYS_INLINE void pop_frame_fast(ThreadState* ts, Frame* f) {
    Value* lp = f->localsplus();
    Value* base = lp + f->nlocalsplus;
    for (Value* p = f->sp; p > base;) decref(*--p);  // the value stack (normally empty)
    for (Value* p = lp; p < base; ++p) decref(*p);   // locals in order, as CPython
    Function* fn = f->func;
    ts->stack_top = reinterpret_cast<Value*>(f);
    decref(fn);
}

// Calls a builtin function (C++ exceptions become MemoryError). Returns an owned Value or
// null with an exception set: no Ref may live across the loop's computed gotos.
TOY_NOINLINE Value call_native_function(NativeFunction* nfn, CallArgs a) {
    try {
        return nfn->def->fn(nfn->self, a).release();
    } catch (const std::bad_alloc&) {
        return raise_no_memory().release();
    }
}

// True when `name` on instances of tp is a plain instance-dict attribute: generic getattr and
// setattr, a dict, and no data descriptor of that name on the type. Used to (re)validate the
// attribute caches on polymorphic sites.
TOY_NOINLINE bool plain_instance_attr(Type* tp, Str* name) {
    if (tp->version_tag == 0 || tp->dict_offset <= 0) return false;
    if (!(tp->getattr == nullptr || tp->getattr == &generic_getattr)) return false;
    if (!(tp->setattr == nullptr || tp->setattr == &generic_setattr)) return false;
    Value d = type_lookup(tp, name);
    return d.is_null() || type_of(d)->descr_set == nullptr;
}

// The instance dict of an object whose type has a dict_offset, or null.
TOY_ALWAYS_INLINE Dict* instance_dict(Object* o, Type* tp) {
    return *reinterpret_cast<Dict**>(reinterpret_cast<char*>(o) + tp->dict_offset);
}

}  // namespace

Ref run_frame(ThreadState* ts, Frame* entry, bool throwing) {
#if TOY_COMPUTED_GOTO
    static void* const kTargets[] = {
#define OP(name, operand, pops, pushes, caches, flags) &&L_##name,
#include "interp/opcodes.def"
#undef OP
    };
#endif
    Frame* frame = entry;
    CodeObject* code;
    const uint32_t* code_base;
    const uint32_t* ip;
    Value* sp;
    Value* lp;
    const Value* consts;
    const Value* names;
    Dict* globals;
    uint32_t word;
    uint32_t arg;
    uint32_t unwind_pc;
    Tuple* kwnames = nullptr;
    Value retval;
    int64_t countdown = ts->countdown;
    {
        // The GIL's policy decides how often the slow path must run (every check interval
        // under the tick policy); a countdown saved by an outer loop may be longer.
        int64_t reload = ts->interp->gil ? ts->interp->gil->countdown_reload() : kCountdownReload;
        if (countdown <= 0 || countdown > reload) countdown = reload;
    }

    // A nested loop: counts towards the recursion limit and watches the C stack.
    if (!enter_recursive_call("")) return nullptr;
    entry->is_entry = true;
    entry->previous = ts->frame;
    ts->frame = entry;

#define LOAD_FRAME()                                  \
    do {                                              \
        code = frame->code;                           \
        code_base = code->code.data();                \
        sp = frame->sp;                               \
        lp = frame->localsplus();                     \
        consts = code->consts->items;                 \
        names = code->names->items;                   \
        globals = frame->globals;                     \
    } while (0)

#ifndef TOY_NO_CHECKPOINT
#define CHECKPOINT()                                                                      \
    if (TOY_UNLIKELY(--countdown == 0) ||                                                 \
        TOY_UNLIKELY(ts->breaker.load(std::memory_order_relaxed) != 0))                   \
    goto slow_path
#else  // for measuring the check point's cost only
#define CHECKPOINT() (void)0
#endif

#if TOY_COMPUTED_GOTO
#define DISPATCH_NOCHECK()            \
    do {                              \
        frame->ip = ip;               \
        word = *ip++;                 \
        arg = word >> 8;              \
        goto* kTargets[word & 0xFF];  \
    } while (0)
#define TARGET(name) L_##name:
#else
#define DISPATCH_NOCHECK() goto dispatch_nocheck
#define TARGET(name) case Op::name:
#endif
#define DISPATCH()     \
    do {               \
        CHECKPOINT();  \
        DISPATCH_NOCHECK(); \
    } while (0)

// The light instructions (local, constant and stack shuffles: NOP, POP_TOP, PUSH_NULL, COPY,
// SWAP, LOAD_CONST, LOAD_FAST, STORE_FAST) skip the check point. They are about half of all
// instructions executed, and straight-line: every loop goes through a jump and every call
// through CALL, which check, so the check point's latency stays bounded by one basic block.
// The countdown therefore counts the other instructions only (the tick policy's "N
// instructions" are N checked ones). Measured with bench/run.py --baseline (TOY_NO_CHECKPOINT).
#define DISPATCH_LIGHT() DISPATCH_NOCHECK()

#define PUSH(v) (*sp++ = (v))
#define POP() (*--sp)
#define TOP() (sp[-1])
#define SECOND() (sp[-2])
#define PEEK(n) (sp[-static_cast<ptrdiff_t>(n)])
#define NAME(i) (names[i].as<Str>())
#define ERROR_IF(cond) \
    if (TOY_UNLIKELY(cond)) goto error

// The one-operand instructions that replace TOS by `fn(TOS)` (a new reference, null on error).
#define REPLACE_TOP(fn)                        \
    do {                                       \
        Value top_ = TOP();                    \
        Value res_ = (fn(top_)).release();     \
        ERROR_IF(res_.is_null());              \
        TOP() = res_;                          \
        decref(top_);                          \
        DISPATCH();                            \
    } while (0)

    LOAD_FRAME();
    ip = frame->ip;
    if (throwing) {
        // An exception raised into the frame at its current instruction (generator throw).
        if (!frame->yielded && ip == code_base) {
            // Not started yet: CPython reports the `def` line.
            unwind_pc = 0;
            traceback_add(*ts->exc, code, 0, globals, code->firstlineno);
            goto exception_unwind;
        }
        frame->yielded = false;
        goto error;
    }
    if (frame->yielded) {
        // Resuming a generator: the sent value is on the stack already.
        frame->yielded = false;
        if (!frame->in_yield_from) ++ip;
    }
    DISPATCH();

#if !TOY_COMPUTED_GOTO
dispatch_nocheck:
    frame->ip = ip;
    word = *ip++;
    arg = word >> 8;
    switch (decode_op(word)) {
#endif

    TARGET(NOP) { DISPATCH_LIGHT(); }

    TARGET(POP_TOP) {
        decref(POP());
        DISPATCH_LIGHT();
    }

    TARGET(PUSH_NULL) {
        PUSH(Value::null());
        DISPATCH_LIGHT();
    }

    TARGET(COPY) {
        Value v = PEEK(arg);
        incref(v);
        PUSH(v);
        DISPATCH_LIGHT();
    }

    TARGET(SWAP) {
        Value t = TOP();
        TOP() = PEEK(arg);
        PEEK(arg) = t;
        DISPATCH_LIGHT();
    }

    TARGET(LOAD_CONST) {
        Value v = consts[arg];
        incref(v);
        PUSH(v);
        DISPATCH_LIGHT();
    }

    TARGET(LOAD_FAST) {
        Value v = lp[arg];
        if (TOY_UNLIKELY(v.is_null())) {
            raise_unbound_local(code, arg);
            goto error;
        }
        incref(v);
        PUSH(v);
        DISPATCH_LIGHT();
    }

    TARGET(STORE_FAST) {
        Value old = lp[arg];
        lp[arg] = POP();
        decref(old);
        DISPATCH_LIGHT();
    }

    TARGET(DELETE_FAST) {
        Value old = lp[arg];
        if (old.is_null()) {
            raise_unbound_local(code, arg);
            goto error;
        }
        lp[arg] = Value::null();
        decref(old);
        DISPATCH();
    }

    TARGET(LOAD_DEREF) {
        Value v = lp[arg].as<Cell>()->contents;
        if (TOY_UNLIKELY(v.is_null())) {
            raise_unbound_deref(code, arg);
            goto error;
        }
        incref(v);
        PUSH(v);
        DISPATCH();
    }

    TARGET(STORE_DEREF) {
        Cell* c = lp[arg].as<Cell>();
        Value old = c->contents;
        c->contents = POP();
        decref(old);
        DISPATCH();
    }

    TARGET(DELETE_DEREF) {
        Cell* c = lp[arg].as<Cell>();
        Value old = c->contents;
        if (old.is_null()) {
            raise_unbound_deref(code, arg);
            goto error;
        }
        c->contents = Value::null();
        decref(old);
        DISPATCH();
    }

    TARGET(LOAD_CLOSURE) {
        Value v = lp[arg];
        incref(v);
        PUSH(v);
        DISPATCH();
    }

    TARGET(LOAD_CLASSDEREF) {
        Value r = (load_classderef(frame, arg)).release();
        ERROR_IF(r.is_null());
        PUSH(r);
        DISPATCH();
    }

    TARGET(LOAD_GLOBAL) {
        Str* name = NAME(arg);
        uint32_t c1 = ip[1];
        if (TOY_LIKELY(c1 != 0)) {
            Dict* d;
            if (c1 & 1) {
                d = frame->builtins;
                if (TOY_UNLIKELY(static_cast<uint32_t>(globals->version) != ip[0])) goto load_global_slow;
            } else {
                d = globals;
            }
            int64_t idx = static_cast<int64_t>(c1 >> 1) - 1;
            if (TOY_LIKELY(idx < d->nentries && d->entries[idx].key.is(Value::object(name)))) {
                Value v = d->entries[idx].value;
                incref(v);
                PUSH(v);
                ip += 2;
                DISPATCH();
            }
        }
    load_global_slow : {
        Value r = (load_global_slow(frame, name, const_cast<uint32_t*>(ip))).release();
        ERROR_IF(r.is_null());
        PUSH(r);
        ip += 2;
        DISPATCH();
    }
    }

    TARGET(STORE_GLOBAL) {
        Value v = POP();
        bool ok = dict_set_str(globals, NAME(arg), v);
        decref(v);
        ERROR_IF(!ok);
        DISPATCH();
    }

    TARGET(DELETE_GLOBAL) {
        ERROR_IF(!delete_global(frame, NAME(arg)));
        DISPATCH();
    }

    TARGET(LOAD_NAME) {
        Value r = (load_name(frame, NAME(arg))).release();
        ERROR_IF(r.is_null());
        PUSH(r);
        DISPATCH();
    }

    TARGET(STORE_NAME) {
        Value v = POP();
        bool ok = store_name(frame, NAME(arg), v);
        decref(v);
        ERROR_IF(!ok);
        DISPATCH();
    }

    TARGET(DELETE_NAME) {
        ERROR_IF(!delete_name(frame, NAME(arg)));
        DISPATCH();
    }

    TARGET(LOAD_ATTR) {
        Value obj = TOP();
        Str* name = NAME(arg);
        if (obj.is_object()) {
            Type* tp = obj.as_object()->type;
            if (tp->version_tag != 0 && tp->version_tag == ip[0] && (ip[1] & 3) == 3) {
                // A __slots__ member at byte offset ip[1] >> 2 (load_attr_slow cached it).
                Value v = *reinterpret_cast<Value*>(reinterpret_cast<char*>(obj.as_object()) +
                                                    (ip[1] >> 2));
                if (!v.is_null()) {
                    incref(v);
                    TOP() = v;
                    decref(obj);
                    ip += 2;
                    DISPATCH();
                }
            } else if (tp->version_tag != 0 && tp->version_tag == ip[0] && (ip[1] & 3) == 1) {
                Dict* d = instance_dict(obj.as_object(), tp);
                int64_t idx = ip[1] >> 2;
                if (d && idx < d->nentries && d->entries[idx].key.is(Value::object(name))) {
                    Value v = d->entries[idx].value;
                    incref(v);
                    TOP() = v;
                    decref(obj);
                    ip += 2;
                    DISPATCH();
                }
            } else if ((ip[1] & 3) == 1 && tp->dict_offset > 0) {
                // A polymorphic site: same entry index in another type's instances.
                Dict* d = instance_dict(obj.as_object(), tp);
                int64_t idx = ip[1] >> 2;
                if (d && idx < d->nentries && d->entries[idx].key.is(Value::object(name)) &&
                    plain_instance_attr(tp, name)) {
                    const_cast<uint32_t*>(ip)[0] = tp->version_tag;
                    Value v = d->entries[idx].value;
                    incref(v);
                    TOP() = v;
                    decref(obj);
                    ip += 2;
                    DISPATCH();
                }
            }
        }
        Value r = (load_attr_slow(obj, name, const_cast<uint32_t*>(ip))).release();
        ERROR_IF(r.is_null());
        TOP() = r;
        decref(obj);
        ip += 2;
        DISPATCH();
    }

    TARGET(STORE_ATTR) {
        Value obj = TOP();
        Value v = SECOND();
        Str* name = NAME(arg);
        bool ok;
        Type* tp = obj.is_object() ? obj.as_object()->type : nullptr;
        Dict* d = nullptr;
        if (tp && ip[1] == 1 && tp->dict_offset > 0 &&
            (tp->version_tag == ip[0] || plain_instance_attr(tp, name)) &&
            (d = instance_dict(obj.as_object(), tp)) != nullptr) {
            // A plain instance attribute (cache: type version, 1).
            const_cast<uint32_t*>(ip)[0] = tp->version_tag;
            ok = dict_set_str(d, name, v);
        } else {
            ok = setattr(obj, name, v);
            if (ok && tp && tp->version_tag != 0 && plain_instance_attr(tp, name)) {
                const_cast<uint32_t*>(ip)[0] = tp->version_tag;
                const_cast<uint32_t*>(ip)[1] = 1;
            }
        }
        ERROR_IF(!ok);
        sp -= 2;
        decref(obj);
        decref(v);
        ip += 2;
        DISPATCH();
    }

    TARGET(DELETE_ATTR) {
        Value obj = TOP();
        ERROR_IF(!delattr(obj, NAME(arg)));
        --sp;
        decref(obj);
        DISPATCH();
    }

    TARGET(LOAD_METHOD) {
        Value obj = TOP();
        Str* name = NAME(arg);
        if (obj.is_object()) {
            Type* tp = obj.as_object()->type;
            if (tp->version_tag != 0 && tp->version_tag == ip[0] && (ip[1] & 3) == 2) {
                Dict* d = tp->dict_offset ? instance_dict(obj.as_object(), tp) : nullptr;
                if (!d || d->used == 0 || dict_get_str(d, name).is_null()) {
                    Value m = type_lookup(tp, name);
                    if (TOY_LIKELY(!m.is_null())) {
                        incref(m);
                        TOP() = m;
                        PUSH(obj);
                        ip += 2;
                        DISPATCH();
                    }
                }
            }
        }
        Value out[2];
        ERROR_IF(!load_method_slow(obj, name, const_cast<uint32_t*>(ip), out));
        TOP() = out[0];
        PUSH(out[1]);
        decref(obj);
        ip += 2;
        DISPATCH();
    }

    TARGET(BINARY_SUBSCR) {
        Value key = TOP();
        Value container = SECOND();
        if (container.is_object()) {
            Type* tp = container.as_object()->type;
            if (key.is_small_int()) {
                int64_t i = key.as_small_int();
                if (tp == &list_type) {
                    List* l = container.as<List>();
                    if (i < 0) i += l->size;
                    if (static_cast<uint64_t>(i) < static_cast<uint64_t>(l->size)) {
                        Value v = l->items[i];
                        incref(v);
                        --sp;
                        TOP() = v;
                        decref(container);
                        DISPATCH();
                    }
                } else if (tp == &tuple_type) {
                    Tuple* t = container.as<Tuple>();
                    if (i < 0) i += t->size;
                    if (static_cast<uint64_t>(i) < static_cast<uint64_t>(t->size)) {
                        Value v = t->items[i];
                        incref(v);
                        --sp;
                        TOP() = v;
                        decref(container);
                        DISPATCH();
                    }
                }
            } else if (tp == &dict_type) {
                Value v = dict_get(container.as<Dict>(), key);
                if (!v.is_null()) {
                    incref(v);
                    --sp;
                    TOP() = v;
                    decref(container);
                    decref(key);
                    DISPATCH();
                }
                ERROR_IF(error_occurred());
            }
        }
        Value r = (getitem(container, key)).release();
        ERROR_IF(r.is_null());
        --sp;
        TOP() = r;
        decref(container);
        decref(key);
        DISPATCH();
    }

    TARGET(STORE_SUBSCR) {
        Value key = TOP();
        Value container = SECOND();
        Value v = PEEK(3);
        if (container.is_object() && container.as_object()->type == &list_type &&
            key.is_small_int()) {
            List* l = container.as<List>();
            int64_t i = key.as_small_int();
            if (i < 0) i += l->size;
            if (static_cast<uint64_t>(i) < static_cast<uint64_t>(l->size)) {
                Value old = l->items[i];
                l->items[i] = v;  // the stack's reference moves into the list
                sp -= 3;
                decref(old);
                decref(container);
                DISPATCH();
            }
        }
        bool ok = (container.is_object() && container.as_object()->type == &dict_type)
                      ? dict_set(container.as<Dict>(), key, v)
                      : setitem(container, key, v);
        ERROR_IF(!ok);
        sp -= 3;
        decref(key);
        decref(container);
        decref(v);
        DISPATCH();
    }

    TARGET(DELETE_SUBSCR) {
        Value key = TOP();
        Value container = SECOND();
        ERROR_IF(!delitem(container, key));
        sp -= 2;
        decref(key);
        decref(container);
        DISPATCH();
    }

    TARGET(BUILD_SLICE) {
        Value step = arg == 3 ? POP() : Value::none();
        Value stop = POP();
        Value start = TOP();
        Value r = (new_slice(start, stop, step)).release();
        decref(step);
        decref(stop);
        if (r.is_null()) {
            // start stays on the stack and is popped by the unwinder
            goto error;
        }
        TOP() = r;
        decref(start);
        DISPATCH();
    }

    TARGET(BINARY_OP) {
        Value b = TOP();
        Value a = SECOND();
        uint32_t op = arg & 0x7F;
        Value res;
        if (both_small_ints(a, b)) {
            if (TOY_LIKELY(small_int_binop(op, a.as_small_int(), b.as_small_int(), &res))) {
                --sp;
                TOP() = res;
                ++ip;
                DISPATCH();
            }
        } else if (a.is_double() && b.is_double()) {
            if (TOY_LIKELY(float_binop(op, a.as_double(), b.as_double(), &res))) {
                --sp;
                TOP() = res;
                ++ip;
                DISPATCH();
            }
        }
        ts->countdown = countdown;
        Value r = (binary_op_slow(arg, a, b)).release();
        ERROR_IF(r.is_null());
        --sp;
        TOP() = r;
        decref(a);
        decref(b);
        ++ip;
        DISPATCH();
    }

    TARGET(COMPARE_OP) {
        Value b = TOP();
        Value a = SECOND();
        if (both_small_ints(a, b)) {
            --sp;
            TOP() = Value::boolean(compare_ints(arg, a.as_small_int(), b.as_small_int()));
            DISPATCH();
        }
        if (a.is_double() && b.is_double()) {
            --sp;
            TOP() = Value::boolean(compare_doubles(arg, a.as_double(), b.as_double()));
            DISPATCH();
        }
        Value r = (rich_compare(a, b, static_cast<CmpOp>(arg))).release();
        ERROR_IF(r.is_null());
        --sp;
        TOP() = r;
        decref(a);
        decref(b);
        DISPATCH();
    }

    TARGET(IS_OP) {
        Value b = POP();
        Value a = TOP();
        bool r = a.is(b) != (arg != 0);
        TOP() = Value::boolean(r);
        decref(a);
        decref(b);
        DISPATCH();
    }

    TARGET(CONTAINS_OP) {
        Value b = TOP();
        Value a = SECOND();
        int r = contains(b, a);
        ERROR_IF(r < 0);
        --sp;
        TOP() = Value::boolean((r != 0) != (arg != 0));
        decref(a);
        decref(b);
        DISPATCH();
    }

    TARGET(UNARY_NEGATIVE) {
        Value a = TOP();
        if (a.is_small_int() && a.as_small_int() != Value::kSmallIntMin) {
            TOP() = Value::small_int(-a.as_small_int());
            DISPATCH();
        }
        if (a.is_double()) {
            TOP() = Value::from_double(-a.as_double());
            DISPATCH();
        }
        Value r = (negative(a)).release();
        ERROR_IF(r.is_null());
        TOP() = r;
        decref(a);
        DISPATCH();
    }

    TARGET(UNARY_POSITIVE) { REPLACE_TOP(positive); }

    TARGET(UNARY_INVERT) {
        Value a = TOP();
        if (a.is_small_int()) {
            TOP() = Value::small_int(~a.as_small_int());
            DISPATCH();
        }
        Value r = (invert(a)).release();
        ERROR_IF(r.is_null());
        TOP() = r;
        decref(a);
        DISPATCH();
    }

    TARGET(UNARY_NOT) {
        Value a = TOP();
        int t;
        if (a.is_bool()) {
            t = a.as_bool();
        } else {
            t = truthy(a);
            ERROR_IF(t < 0);
            decref(a);
        }
        TOP() = Value::boolean(!t);
        DISPATCH();
    }

    TARGET(BUILD_TUPLE) {
        Tuple* t = (new_tuple(arg)).release();
        ERROR_IF(!t);
        sp -= arg;
        if (arg) std::memcpy(t->items, sp, arg * sizeof(Value));  // the references move
        PUSH(Value::object(t));
        DISPATCH();
    }

    TARGET(BUILD_LIST) {
        List* l = (new_list(arg)).release();
        ERROR_IF(!l);
        sp -= arg;
        for (uint32_t i = 0; i < arg; ++i) list_append_steal(l, sp[i]);
        PUSH(Value::object(l));
        DISPATCH();
    }

    TARGET(BUILD_SET) {
        Value s = (new_set()).release();
        ERROR_IF(s.is_null());
        bool ok = true;
        for (uint32_t i = 0; i < arg && ok; ++i) ok = set_add(s, sp[-static_cast<int64_t>(arg) + i]);
        if (!ok) {
            decref(s);
            goto error;
        }
        for (uint32_t i = 0; i < arg; ++i) decref(POP());
        PUSH(s);
        DISPATCH();
    }

    TARGET(BUILD_MAP) {
        Value d = (build_map(sp - 2 * arg, arg)).release();
        ERROR_IF(d.is_null());
        for (uint32_t i = 0; i < 2 * arg; ++i) decref(POP());
        PUSH(d);
        DISPATCH();
    }

    TARGET(BUILD_CONST_KEY_MAP) {
        Value d = (build_const_key_map(sp - arg - 1, arg, TOP())).release();
        ERROR_IF(d.is_null());
        for (uint32_t i = 0; i < arg + 1; ++i) decref(POP());
        PUSH(d);
        DISPATCH();
    }

    TARGET(BUILD_STRING) {
        Value s = (build_string(sp - arg, arg)).release();
        ERROR_IF(s.is_null());
        for (uint32_t i = 0; i < arg; ++i) decref(POP());
        PUSH(s);
        DISPATCH();
    }

    TARGET(FORMAT_VALUE) {
        Value spec = (arg & 4) ? TOP() : Value::null();
        Value v = (arg & 4) ? SECOND() : TOP();
        Value r = (format_value(v, arg, spec)).release();
        ERROR_IF(r.is_null());
        if (arg & 4) decref(POP());
        decref(v);
        TOP() = r;
        DISPATCH();
    }

    TARGET(LIST_APPEND) {
        Value v = POP();
        ERROR_IF(!list_append_steal(PEEK(arg).as<List>(), v));
        DISPATCH();
    }

    TARGET(SET_ADD) {
        Value v = POP();
        bool ok = set_add(PEEK(arg), v);
        decref(v);
        ERROR_IF(!ok);
        DISPATCH();
    }

    TARGET(MAP_ADD) {
        Value v = POP();
        Value k = POP();
        bool ok = dict_set(PEEK(arg).as<Dict>(), k, v);
        decref(k);
        decref(v);
        ERROR_IF(!ok);
        DISPATCH();
    }

    TARGET(LIST_EXTEND) {
        Value it = TOP();
        ERROR_IF(!list_extend_op(PEEK(arg + 1), it));
        --sp;
        decref(it);
        DISPATCH();
    }

    TARGET(SET_UPDATE) {
        Value it = TOP();
        ERROR_IF(!set_update(PEEK(arg + 1), it));
        --sp;
        decref(it);
        DISPATCH();
    }

    TARGET(DICT_UPDATE) {
        Value m = TOP();
        ERROR_IF(!dict_merge_op(PEEK(arg + 1), m, Value::null(), false));
        --sp;
        decref(m);
        DISPATCH();
    }

    TARGET(DICT_MERGE) {
        Value m = TOP();
        // The callable sits below the dict: [null f args dict .. m]
        ERROR_IF(!dict_merge_op(PEEK(arg + 1), m, PEEK(arg + 3), true));
        --sp;
        decref(m);
        DISPATCH();
    }

    TARGET(LIST_TO_TUPLE) {
        Value l = TOP();
        Value t = (list_to_tuple(l.as<List>())).release();
        ERROR_IF(t.is_null());
        TOP() = t;
        decref(l);
        DISPATCH();
    }

    TARGET(UNPACK_SEQUENCE) {
        Value seq = TOP();
        if (seq.is_object()) {
            Type* tp = seq.as_object()->type;
            const Value* items = nullptr;
            int64_t n = -1;
            if (tp == &tuple_type) {
                items = seq.as<Tuple>()->items;
                n = seq.as<Tuple>()->size;
            } else if (tp == &list_type) {
                items = seq.as<List>()->items;
                n = seq.as<List>()->size;
            }
            if (n == static_cast<int64_t>(arg)) {
                --sp;
                for (int64_t i = n - 1; i >= 0; --i) {
                    incref(items[i]);
                    PUSH(items[i]);
                }
                decref(seq);
                DISPATCH();
            }
        }
        // Generic: unpack into the slots from seq's upwards (the stack size accounts for
        // them), then reverse so that the first item is on top.
        --sp;
        bool ok = unpack_sequence(seq, arg, sp);
        decref(seq);
        ERROR_IF(!ok);
        for (uint32_t i = 0, j = arg - 1; arg > 1 && i < j; ++i, --j) std::swap(sp[i], sp[j]);
        sp += arg;
        DISPATCH();
    }

    TARGET(UNPACK_EX) {
        Value seq = POP();
        uint32_t before = arg & 0xFF, after = arg >> 8;
        uint32_t total = before + after + 1;
        bool ok = unpack_ex(seq, before, after, sp);
        decref(seq);
        ERROR_IF(!ok);
        for (uint32_t i = 0, j = total - 1; i < j; ++i, --j) std::swap(sp[i], sp[j]);
        sp += total;
        DISPATCH();
    }

    TARGET(JUMP) {
        ip = code_base + arg;
        DISPATCH();
    }

    TARGET(POP_JUMP_IF_FALSE) {
        Value v = POP();
        if (v.is_false_const()) {
            ip = code_base + arg;
        } else if (!v.is_true_const()) {
            int t = truthy(v);
            decref(v);
            ERROR_IF(t < 0);
            if (!t) ip = code_base + arg;
        }
        DISPATCH();
    }

    TARGET(POP_JUMP_IF_TRUE) {
        Value v = POP();
        if (v.is_true_const()) {
            ip = code_base + arg;
        } else if (!v.is_false_const()) {
            int t = truthy(v);
            decref(v);
            ERROR_IF(t < 0);
            if (t) ip = code_base + arg;
        }
        DISPATCH();
    }

    TARGET(POP_JUMP_IF_NONE) {
        Value v = POP();
        if (v.is_none()) ip = code_base + arg;
        decref(v);
        DISPATCH();
    }

    TARGET(POP_JUMP_IF_NOT_NONE) {
        Value v = POP();
        if (!v.is_none()) ip = code_base + arg;
        decref(v);
        DISPATCH();
    }

    TARGET(JUMP_IF_FALSE_OR_POP) {
        Value v = TOP();
        int t = v.is_bool() ? v.as_bool() : truthy(v);
        ERROR_IF(t < 0);
        if (!t) {
            ip = code_base + arg;
        } else {
            --sp;
            decref(v);
        }
        DISPATCH();
    }

    TARGET(JUMP_IF_TRUE_OR_POP) {
        Value v = TOP();
        int t = v.is_bool() ? v.as_bool() : truthy(v);
        ERROR_IF(t < 0);
        if (t) {
            ip = code_base + arg;
        } else {
            --sp;
            decref(v);
        }
        DISPATCH();
    }

    TARGET(GET_ITER) { REPLACE_TOP(get_iter); }

    TARGET(FOR_ITER) {
        Value it = TOP();
        NextSlot next = it.as_object()->type->next;
        Value r = (next ? next(it) : iter_next(it)).release();
        if (!r.is_null()) {
            PUSH(r);
            DISPATCH();
        }
        if (error_occurred()) {
            if (!error_matches(&exc::StopIteration)) goto error;
            clear_error();
        }
        --sp;
        decref(it);
        ip = code_base + arg;
        DISPATCH();
    }

    TARGET(KW_NAMES) {
        kwnames = consts[arg].as<Tuple>();
        DISPATCH();
    }

    TARGET(CALL) {
        Tuple* kw = kwnames;
        kwnames = nullptr;
        Value* base = sp - arg - 2;  // [f_or_null, self_or_f, args...]
        Value callable;
        Value* args;
        size_t nargs;
        if (!base[0].is_null()) {
            callable = base[0];
            args = base + 1;
            nargs = arg + 1;
        } else {
            callable = base[1];
            args = base + 2;
            nargs = arg;
            if (!is_function(callable) && is_method(callable)) {
                // Unpack the bound method in place: [func, self, args...]
                Method* m = callable.as<Method>();
                incref(m->func);
                incref(m->self);
                base[0] = m->func;
                base[1] = m->self;
                decref(callable);
                callable = base[0];
                args = base + 1;
                nargs = arg + 1;
            }
        }
        size_t nkw = kw ? static_cast<size_t>(kw->size) : 0;
        size_t npos = nargs - nkw;
        if (is_function(callable)) {
            Function* fn = callable.as<Function>();
            CodeObject* co = fn->code;
            if (!(co->flags & (kCoGenerator | kCoCoroutine | kCoAsyncGenerator))) {
                Frame* nf;
                if (nkw == 0 && npos == co->argcount && co->kwonlyargcount == 0 &&
                    !(co->flags & (kCoVarargs | kCoVarkeywords))) {
                    // Fast path: exact positional call; the argument references move.
                    if (TOY_UNLIKELY(++ts->recursion_depth > recursion_limit(ts))) {
                        --ts->recursion_depth;
                        (void)raise(&exc::RecursionError, "maximum recursion depth exceeded");
                        goto error;
                    }
                    nf = push_frame_fast(ts, fn, co, nargs);
                    if (TOY_UNLIKELY(!nf)) {
                        vm_leave_call(ts);
                        (void)raise(&exc::RecursionError, "maximum recursion depth exceeded");
                        goto error;
                    }
                    Value* nlp = nf->localsplus();
                    for (size_t i = 0; i < nargs; ++i) nlp[i] = args[i];
                    sp = base;
                    Value b0 = base[0], b1 = base[1];
                    decref(b0);
                    if (b0.is_null()) decref(b1);
                    if ((co->ncells | co->nfrees) != 0 && !init_cells(nf)) {
                        frame_free(ts, nf);
                        vm_leave_call(ts);
                        goto error;
                    }
                } else {
                    ERROR_IF(!vm_enter_call(ts));
                    nf = make_call_frame(ts, fn, args, npos, kw, false);
                    if (!nf) {
                        vm_leave_call(ts);
                        goto error;
                    }
                    // pop everything
                    while (sp > base) decref(*--sp);
                }
                frame->sp = sp;
                nf->previous = frame;
                nf->is_entry = false;
                ts->frame = nf;
                frame = nf;
                LOAD_FRAME();
                ip = frame->ip;
                DISPATCH();
            }
        }
        // Native callables, types, generator functions, everything else.
        ts->countdown = countdown;
        Value r;
        if (callable.is_object() && callable.as_object()->type == &native_function_type) {
            r = call_native_function(callable.as<NativeFunction>(), CallArgs{args, npos, kw});
        } else {
            r = call_object(callable, CallArgs{args, npos, kw}).release();
        }
        countdown = ts->countdown;
        if (countdown <= 0) countdown = 1;
        while (sp > base) decref(*--sp);
        ERROR_IF(r.is_null());
        PUSH(r);
        DISPATCH();
    }

    TARGET(CALL_FUNCTION_EX) {
        Value kwargs = (arg & 1) ? POP() : Value::null();
        Value cargs = POP();
        Value f = POP();
        Value null_slot = POP();
        ts->countdown = countdown;
        Value r = (call_function_ex(f, cargs, kwargs)).release();
        countdown = ts->countdown;
        if (countdown <= 0) countdown = 1;
        decref(kwargs);
        decref(cargs);
        decref(f);
        decref(null_slot);
        ERROR_IF(r.is_null());
        PUSH(r);
        DISPATCH();
    }

    TARGET(MAKE_FUNCTION) {
        Value fcode = POP();
        Value closure = (arg & 8) ? POP() : Value::null();
        Value kwdefaults = (arg & 2) ? POP() : Value::null();
        Value defaults = (arg & 1) ? POP() : Value::null();
        Value r = (make_function(frame, fcode, defaults, kwdefaults, closure)).release();
        decref(fcode);
        decref(closure);
        decref(kwdefaults);
        decref(defaults);
        ERROR_IF(r.is_null());
        PUSH(r);
        DISPATCH();
    }

    TARGET(RETURN_VALUE) {
        retval = POP();
        if (frame->is_entry) {
            frame->sp = sp;
            goto exit_return;
        }
        {
            Frame* caller = frame->previous;
            frame->sp = sp;
            // The caller is current while the locals die (as in CPython): a __del__ or a
            // "never awaited" warning they trigger is attributed to the caller's line.
            ts->frame = caller;
            if (TOY_LIKELY(frame->func != nullptr && frame->locals == nullptr && !frame->on_heap)) {
                pop_frame_fast(ts, frame);
            } else {
                frame_free(ts, frame);
            }
            vm_leave_call(ts);
            frame = caller;  // ts->frame already is (set above)
            LOAD_FRAME();
            ip = frame->ip + 1;  // past the CALL (no cache words)
            PUSH(retval);
        }
        DISPATCH();
    }

    TARGET(YIELD_VALUE) {
        retval = POP();
        frame->sp = sp;
        frame->yielded = true;
        frame->in_yield_from = false;
        goto exit_yield;
    }

    TARGET(GET_YIELD_FROM_ITER) { REPLACE_TOP(get_yield_from_iter); }

    TARGET(YIELD_FROM) {
        Value v = TOP();
        Value it = SECOND();
        bool done = false;
        ts->countdown = countdown;
        Value r = (yield_from_send(it, v, &done)).release();
        countdown = ts->countdown;
        if (countdown <= 0) countdown = 1;
        ERROR_IF(r.is_null());
        --sp;
        decref(v);
        if (done) {
            TOP() = r;
            decref(it);
            DISPATCH();
        }
        retval = r;
        frame->sp = sp;
        frame->yielded = true;
        frame->in_yield_from = true;
        goto exit_yield;
    }

    TARGET(GET_AWAITABLE) {
        auto awaitable = [arg](Value v) { return get_awaitable(v, static_cast<int>(arg)); };
        REPLACE_TOP(awaitable);
    }

    TARGET(GET_AITER) { REPLACE_TOP(get_aiter); }

    TARGET(GET_ANEXT) {
        Value aw = (get_anext(TOP())).release();
        ERROR_IF(aw.is_null());
        PUSH(aw);
        DISPATCH();
    }

    TARGET(END_ASYNC_FOR) {
        Value e = TOP();
        if (is_exception(e) && is_subtype(type_of(e), &exc::StopAsyncIteration)) {
            sp -= 2;
            decref(e);
            decref(sp[0]);  // the async iterator
            DISPATCH();
        }
        --sp;
        restore_error(Ref::steal(e));
        unwind_pc = static_cast<uint32_t>(frame->ip - code_base);
        goto exception_unwind;
    }

    TARGET(ASYNC_GEN_WRAP) { REPLACE_TOP(async_gen_wrap); }

    TARGET(LOAD_BUILD_CLASS) {
        Value r = (load_build_class(frame)).release();
        ERROR_IF(r.is_null());
        PUSH(r);
        DISPATCH();
    }

    TARGET(RAISE_VARARGS) {
        Value cause = arg >= 2 ? POP() : Value::null();
        Value exc = arg >= 1 ? POP() : Value::null();
        bool reraise = do_raise(ts, exc, cause);
        decref(exc);
        decref(cause);
        if (reraise) {
            unwind_pc = static_cast<uint32_t>(frame->ip - code_base);
            goto exception_unwind;
        }
        goto error;
    }

    TARGET(PUSH_EXC_INFO) {
        Value e = TOP();
        Value prev = ts->handled_exc.release();
        if (prev.is_null()) prev = Value::none();
        TOP() = prev;
        incref(e);
        ts->handled_exc = Ref::steal(e);
        PUSH(e);
        DISPATCH();
    }

    TARGET(POP_EXCEPT) {
        Value prev = POP();
        if (prev.is_none()) {
            ts->handled_exc.reset();
        } else {
            ts->handled_exc = Ref::steal(prev);
        }
        DISPATCH();
    }

    TARGET(CHECK_EXC_MATCH) {
        Value type = TOP();
        Value e = SECOND();
        int r = check_exc_match(e, type);
        ERROR_IF(r < 0);
        TOP() = Value::boolean(r != 0);
        decref(type);
        DISPATCH();
    }

    TARGET(RERAISE) {
        Value e = POP();
        unwind_pc = static_cast<uint32_t>(frame->ip - code_base);
        if (arg) {
            Value lasti = PEEK(arg);
            if (lasti.is_small_int()) frame->ip = code_base + lasti.as_small_int();
        }
        restore_error(Ref::steal(e));
        goto exception_unwind;
    }

    TARGET(LOAD_ASSERTION_ERROR) {
        PUSH(Value::object(&exc::AssertionError));
        DISPATCH();
    }

    TARGET(BEFORE_WITH) {
        Value mgr = TOP();
        Value exit_fn, res;
        ERROR_IF(!before_with(mgr, &exit_fn, &res));
        TOP() = exit_fn;
        PUSH(res);
        decref(mgr);
        DISPATCH();
    }

    TARGET(BEFORE_ASYNC_WITH) {
        Value mgr = TOP();
        Value exit_fn, res;
        ERROR_IF(!before_async_with(mgr, &exit_fn, &res));
        TOP() = exit_fn;
        PUSH(res);
        decref(mgr);
        DISPATCH();
    }

    TARGET(WITH_EXCEPT_START) {
        Value r = (with_except_start(PEEK(4), TOP())).release();
        ERROR_IF(r.is_null());
        PUSH(r);
        DISPATCH();
    }

    TARGET(IMPORT_NAME) {
        Value fromlist = TOP();
        Value level = SECOND();
        Value r = (import_name(frame, NAME(arg), fromlist, level)).release();
        ERROR_IF(r.is_null());
        sp -= 2;
        decref(fromlist);
        decref(level);
        PUSH(r);
        DISPATCH();
    }

    TARGET(IMPORT_FROM) {
        Value r = (import_from(TOP(), NAME(arg))).release();
        ERROR_IF(r.is_null());
        PUSH(r);
        DISPATCH();
    }

    TARGET(IMPORT_STAR) {
        Value m = TOP();
        ERROR_IF(!import_star(frame, m));
        --sp;
        decref(m);
        DISPATCH();
    }

    TARGET(PRINT_EXPR) {
        Value v = TOP();
        ERROR_IF(!print_expr(v));
        --sp;
        decref(v);
        DISPATCH();
    }

    TARGET(SETUP_ANNOTATIONS) {
        ERROR_IF(!setup_annotations(frame));
        DISPATCH();
    }

#if !TOY_COMPUTED_GOTO
    default:
        (void)raise(&exc::SystemError, "unknown opcode");
        goto error;
    }
#endif

slow_path:
    // The check point's slow path: the countdown ran out or a breaker bit is set. Hands the
    // GIL over when another thread asked for it (interval policy) or the tick came (tick
    // policy), then runs pending signal handlers (main thread: KeyboardInterrupt raises at
    // the instruction about to run). No object is touched while the GIL is away.
    if (Gil* gil = ts->interp->gil) {
        if ((ts->breaker.load(std::memory_order_relaxed) & kBreakDropGil) ||
            (countdown <= 0 && gil->policy() == GilPolicy::kTick))
            gil->yield_from_checkpoint(ts);
        countdown = gil->countdown_reload();
    } else {
        countdown = kCountdownReload;
    }
    if (TOY_UNLIKELY(ts->breaker.load(std::memory_order_relaxed) & kBreakSignal)) {
        frame->ip = ip;
        if (!handle_pending_signals()) goto error;
    }
    DISPATCH_NOCHECK();

error:
    // An exception is set. Chain the handled exception as __context__ when this one is
    // fresh (no traceback yet), then record this frame in the traceback.
    {
        unwind_pc = static_cast<uint32_t>(frame->ip - code_base);
        kwnames = nullptr;
        Value e = *ts->exc;
        if (e.is_null()) {
            (void)raise(&exc::SystemError, "error return without exception set");
            e = *ts->exc;
        }
        traceback_add(e, code, unwind_pc, globals);
    }

exception_unwind:
    for (;;) {
        const ExceptionTableEntry* h = find_handler(code, unwind_pc);
        if (h) {
            Value* target_sp = frame->stack_base() + h->depth;
            while (sp > target_sp) decref(*--sp);
            if (h->push_lasti) PUSH(Value::small_int(frame->ip - code_base));
            PUSH(ts->exc.release());
            ip = code_base + h->target;
            DISPATCH();
        }
        while (sp > frame->stack_base()) decref(*--sp);
        frame->sp = sp;
        traceback_keep_locals(*ts->exc, frame);
        if (frame->is_entry) goto exit_error;
        Frame* caller = frame->previous;
        frame_free(ts, frame);
        vm_leave_call(ts);
        frame = caller;
        ts->frame = frame;
        LOAD_FRAME();
        // The caller's CALL failed: record it in the traceback and look for its handler.
        unwind_pc = static_cast<uint32_t>(frame->ip - code_base);
        traceback_add(*ts->exc, code, unwind_pc);
    }

exit_return:
exit_yield:
    ts->frame = entry->previous;
    ts->countdown = countdown;
    vm_leave_call(ts);
    return Ref::steal(retval);

exit_error:
    ts->frame = entry->previous;
    ts->countdown = countdown;
    vm_leave_call(ts);
    return nullptr;
}

// ---- public entry points ----------------------------------------------------------------

Ref eval_code(CodeObject* code, Dict* globals, Dict* locals) {
    vm_init();
    ThreadState* ts = current_thread();
    if (!locals) locals = globals;
    Dict* builtins = ts->interp ? ts->interp->builtins : nullptr;
    if (!builtins) {
        Value b = dict_get_str(globals, intern("__builtins__"));
        if (is_dict(b)) builtins = b.as<Dict>();
    }
    if (!builtins) return raise(&exc::SystemError, "no builtins");
    Frame* f = frame_alloc(ts, code, nullptr, globals, builtins, locals);
    if (!f) return nullptr;
    if (code->ncells || code->nfrees) {
        if (!init_cells(f)) {
            frame_free(ts, f);
            return nullptr;
        }
    }
    Ref r = run_frame(ts, f);
    frame_free(ts, f);
    return r;
}

Dict* current_globals() {
    ThreadState* ts = current_thread();
    return ts && ts->frame ? ts->frame->globals : nullptr;
}

Frame* current_frame() {
    ThreadState* ts = current_thread();
    return ts ? ts->frame : nullptr;
}

Ref current_locals() {
    ThreadState* ts = current_thread();
    Frame* f = ts ? ts->frame : nullptr;
    if (!f) return raise(&exc::SystemError, "locals(): no current frame");
    if (f->locals) return Ref::borrow(Value::object(f->locals));
    RefT<Dict> d = new_dict();
    if (!d) return nullptr;
    CodeObject* co = f->code;
    Value* lp = f->localsplus();
    uint32_t n = co->nlocals + co->ncells + co->nfrees;
    for (uint32_t i = 0; i < n; ++i) {
        Value v = lp[i];
        if (v.is_null()) continue;
        if (i >= co->nlocals) {
            v = v.as<Cell>()->contents;
            if (v.is_null()) continue;
        } else {
            // A parameter that is also a cell: the cell holds the live value.
            bool shadowed = false;
            for (size_t c = 0; c < co->cell2arg.size(); ++c)
                if (co->cell2arg[c] == static_cast<int32_t>(i)) shadowed = true;
            if (shadowed) continue;
        }
        if (!dict_set(d.get(), co->localsplus_names->items[i], v)) return nullptr;
    }
    return Ref(std::move(d));
}

}  // namespace toy
