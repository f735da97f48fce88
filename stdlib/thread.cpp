// thread.cpp: the `_thread` module: OS threads, locks and thread-local data. `threading`
// (stdlib/lib/threading.toy) is written in Toy on top of it, as CPython's threading.py is.
//
// THREADS. start_new_thread() copies nothing out of Toy objects: it takes new references to
// the callable and its arguments (with the GIL held) and hands them to the new OS thread in
// a ThreadBoot. The new thread blocks the signals Toy handles (so they reach the main
// thread), creates its ThreadState (which measures its own C stack), takes the GIL, and only
// then touches the objects. On exit it drops every reference with the GIL held, releases the
// GIL (reason kExit), and frees its state. An uncaught exception is reported as CPython's
// unraisable hook does ("Exception ignored in thread started by: ...") and the process goes
// on. SystemExit ends the thread quietly.
//
// LOCKS are POSIX semaphores (value 1 = unlocked). acquire() first tries without blocking;
// otherwise it releases the GIL (reason kLockWait), waits with sem_wait/sem_clockwait on
// CLOCK_MONOTONIC, and re-takes the GIL. A wait interrupted by a signal (EINTR) re-takes the
// GIL and runs the pending handlers (the main thread raises KeyboardInterrupt there), then
// waits again for the remaining time: Ctrl-C interrupts a main thread blocked on a lock or in
// join(). Any thread may release a Lock; an RLock records its owner (get_ident()) and count.
// No Toy object is touched while the GIL is released: the semaphore lives inside the lock
// object, which the caller's frame keeps alive.
//
// THREAD-LOCAL DATA (_local) lives in ThreadState::thread_dict, keyed by the local object's
// serial number (never reused, unlike its address); it goes away with the thread. The
// constructing thread's dict is made by the constructor; another thread's on its first
// access, running a subclass's __init__ with the constructor's arguments.
#include <pthread.h>
#include <semaphore.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <ctime>
#include <mutex>

#include <fmt/format.h>

#include "interp/traceback.h"
#include "runtime/abstract.h"
#include "runtime/dict.h"
#include "runtime/errors.h"
#include "runtime/float.h"
#include "runtime/gil.h"
#include "runtime/int.h"
#include "runtime/interpreter.h"
#include "runtime/module.h"
#include "runtime/native_function.h"
#include "runtime/signals.h"
#include "runtime/str.h"
#include "runtime/thread_state.h"
#include "runtime/tuple.h"
#include "stdlib/registry.h"
#include "stdlib/util.h"

namespace toy {

namespace {

constexpr double kTimeoutMax = 9223372036.0;  // as CPython's _thread.TIMEOUT_MAX
size_t g_stack_size = 0;                      // 0: the default (8 MiB)
constexpr size_t kDefaultStackSize = size_t{8} << 20;

Type lock_type;
Type rlock_type;
Type local_type;

int64_t this_ident() { return static_cast<int64_t>(reinterpret_cast<uintptr_t>(pthread_self())); }

// --- waiting on a semaphore with the GIL released ---------------------------------------------

// Parses acquire(blocking=True, timeout=-1). Returns false with an exception.
bool parse_acquire(const char* fname, CallArgs a, bool* blocking, double* timeout) {
    Value args[2] = {};
    if (!parse_args(fname, a, 0, 2, {"blocking", "timeout"}, args)) return false;
    *blocking = true;
    *timeout = -1;
    if (!args[0].is_null()) {
        int t = truthy(args[0]);
        if (t < 0) return false;
        *blocking = t != 0;
    }
    if (!args[1].is_null()) {
        // As CPython's _PyTime_FromSecondsObject: a float, or else an integer (__index__).
        if (is_float(args[1])) {
            *timeout = float_as_double(args[1]);
            if (std::isnan(*timeout)) {
                (void)raise(&exc::ValueError, "Invalid value NaN (not a number)");
                return false;
            }
        } else {
            int64_t n;
            if (!index_value(args[1], &n)) return false;
            *timeout = static_cast<double>(n);
        }
        // Seconds as int64 nanoseconds, CPython's _PyTime_t, must not overflow.
        if (*timeout >= 9223372036.854775807 || *timeout <= -9223372036.854775807) {
            (void)raise(&exc::OverflowError, "timestamp out of range for platform time_t");
            return false;
        }
    }
    if (!*blocking && *timeout != -1) {
        (void)raise(&exc::ValueError, "can't specify a timeout for a non-blocking call");
        return false;
    }
    if (*timeout < 0 && *timeout != -1) {
        (void)raise(&exc::ValueError, "timeout value must be positive");
        return false;
    }
    if (*timeout > kTimeoutMax) {
        (void)raise(&exc::OverflowError, "timeout value is too large");
        return false;
    }
    return true;
}

// 1 acquired, 0 timed out / would block, -1 exception (KeyboardInterrupt).
int sem_acquire(sem_t* sem, bool blocking, double timeout) {
    if (sem_trywait(sem) == 0) return 1;
    if (!blocking) return 0;
    struct timespec deadline {};
    if (timeout >= 0) {
        clock_gettime(CLOCK_MONOTONIC, &deadline);
        double whole;
        double frac = std::modf(timeout, &whole);
        deadline.tv_sec += static_cast<time_t>(whole);
        deadline.tv_nsec += static_cast<long>(frac * 1e9);
        if (deadline.tv_nsec >= 1000000000L) {
            deadline.tv_sec += 1;
            deadline.tv_nsec -= 1000000000L;
        }
    }
    for (;;) {
        int rc, err;
        {
            GilRelease unlocked(GilReleaseReason::kLockWait);
            rc = timeout >= 0 ? sem_clockwait(sem, CLOCK_MONOTONIC, &deadline) : sem_wait(sem);
            err = errno;
        }
        if (rc == 0) return 1;
        if (err == ETIMEDOUT) return 0;
        if (err != EINTR) {
            (void)raise_errno(err);
            return -1;
        }
        if (!handle_pending_signals()) return -1;
    }
}

// --- Lock ------------------------------------------------------------------------------------

struct LockObject : Object {
    sem_t sem;
};

LockObject* new_lock() {
    auto* l = new_object<LockObject>(&lock_type, 0);
    if (!l) return nullptr;
    sem_init(&l->sem, 0, 1);
    return l;
}

void lock_dealloc(Object* o) {
    auto* l = static_cast<LockObject*>(o);
    sem_destroy(&l->sem);
    object_free(l, sizeof(LockObject));
}

bool sem_is_locked(sem_t* s) {
    int v = 0;
    sem_getvalue(s, &v);
    return v <= 0;
}

Ref lock_acquire(Value self, CallArgs a) {
    bool blocking;
    double timeout;
    if (!parse_acquire("acquire", a, &blocking, &timeout)) return nullptr;
    int r = sem_acquire(&self.as<LockObject>()->sem, blocking, timeout);
    if (r < 0) return nullptr;
    return Ref::boolean(r == 1);
}

Ref lock_release(Value self, CallArgs a) {
    if (!detail::unpack_args("release", a, 0, 0)) return nullptr;
    auto* l = self.as<LockObject>();
    if (!sem_is_locked(&l->sem)) return raise(&exc::RuntimeError, "release unlocked lock");
    sem_post(&l->sem);
    return Ref::none();
}

Ref lock_exit(Value self, CallArgs a) {
    auto* l = self.as<LockObject>();
    if (!sem_is_locked(&l->sem)) return raise(&exc::RuntimeError, "release unlocked lock");
    sem_post(&l->sem);
    return Ref::boolean(false);
}

Ref lock_locked(Value self, CallArgs a) {
    if (!detail::unpack_args("locked", a, 0, 0)) return nullptr;
    return Ref::boolean(sem_is_locked(&self.as<LockObject>()->sem));
}

// After fork, in the child: a fresh unlocked semaphore (issue 4's fork path uses it).
Ref lock_at_fork_reinit(Value self, CallArgs a) {
    auto* l = self.as<LockObject>();
    sem_init(&l->sem, 0, 1);
    return Ref::none();
}

Ref lock_repr(Value self) {
    auto* l = self.as<LockObject>();
    return Ref(new_str(fmt::format("<{} _thread.lock object at {:#x}>",
                                   sem_is_locked(&l->sem) ? "locked" : "unlocked",
                                   reinterpret_cast<uintptr_t>(l))));
}

Ref lock_new(Type*, CallArgs a) {
    if (!detail::unpack_args("lock", a, 0, 0)) return nullptr;
    LockObject* l = new_lock();
    return l ? Ref::steal(l) : nullptr;
}

const MethodDef kLockMethods[] = {
    {"acquire", lock_acquire},
    {"acquire_lock", lock_acquire},
    {"release", lock_release},
    {"release_lock", lock_release},
    {"locked", lock_locked},
    {"locked_lock", lock_locked},
    {"__enter__", lock_acquire},
    {"__exit__", lock_exit},
    {"_at_fork_reinit", lock_at_fork_reinit},
    {nullptr, nullptr},
};

// --- RLock -----------------------------------------------------------------------------------

struct RLockObject : Object {
    sem_t sem;
    int64_t owner;  // get_ident() of the owner, 0: none
    int64_t count;
};

void rlock_dealloc(Object* o) {
    auto* l = static_cast<RLockObject*>(o);
    sem_destroy(&l->sem);
    object_free(l, l->type->basic_size);
}

Ref rlock_new(Type* type, CallArgs a) {
    auto* l = new_object<RLockObject>(type, 0);
    if (!l) return nullptr;
    sem_init(&l->sem, 0, 1);
    l->owner = 0;
    l->count = 0;
    return Ref::steal(l);
}

Ref rlock_acquire(Value self, CallArgs a) {
    bool blocking;
    double timeout;
    if (!parse_acquire("acquire", a, &blocking, &timeout)) return nullptr;
    auto* l = self.as<RLockObject>();
    int64_t me = this_ident();
    if (l->count > 0 && l->owner == me) {
        ++l->count;
        return Ref::boolean(true);
    }
    int r = sem_acquire(&l->sem, blocking, timeout);
    if (r < 0) return nullptr;
    if (r == 1) {
        l->owner = me;
        l->count = 1;
    }
    return Ref::boolean(r == 1);
}

bool rlock_release_one(RLockObject* l) {
    if (l->count == 0 || l->owner != this_ident()) {
        (void)raise(&exc::RuntimeError, "cannot release un-acquired lock");
        return false;
    }
    if (--l->count == 0) {
        l->owner = 0;
        sem_post(&l->sem);
    }
    return true;
}

Ref rlock_release(Value self, CallArgs a) {
    if (!detail::unpack_args("release", a, 0, 0)) return nullptr;
    if (!rlock_release_one(self.as<RLockObject>())) return nullptr;
    return Ref::none();
}

Ref rlock_exit(Value self, CallArgs a) {
    if (!rlock_release_one(self.as<RLockObject>())) return nullptr;
    return Ref::boolean(false);
}

Ref rlock_is_owned(Value self, CallArgs a) {
    auto* l = self.as<RLockObject>();
    return Ref::boolean(l->count > 0 && l->owner == this_ident());
}

// Condition.wait() support: fully release, returning (count, owner) to restore later.
Ref rlock_release_save(Value self, CallArgs a) {
    auto* l = self.as<RLockObject>();
    if (l->count == 0) return raise(&exc::RuntimeError, "cannot release un-acquired lock");
    Ref count = make_int(l->count);
    Ref owner = make_int(l->owner);
    if (!count || !owner) return nullptr;
    RefT<Tuple> state = new_tuple_of({*count, *owner});
    if (!state) return nullptr;
    l->count = 0;
    l->owner = 0;
    sem_post(&l->sem);
    return Ref(std::move(state));
}

Ref rlock_acquire_restore(Value self, CallArgs a) {
    auto* l = self.as<RLockObject>();
    if (a.npos != 1 || !is_tuple(a.args[0]) || a.args[0].as<Tuple>()->size != 2)
        return raise(&exc::TypeError, "_acquire_restore() argument must be a (count, owner) tuple");
    int64_t count, owner;
    Tuple* st = a.args[0].as<Tuple>();
    if (!index_value(st->items[0], &count) || !index_value(st->items[1], &owner)) return nullptr;
    int r = sem_acquire(&l->sem, true, -1);
    if (r < 0) return nullptr;
    l->owner = owner;
    l->count = count;
    return Ref::none();
}

Ref rlock_at_fork_reinit(Value self, CallArgs a) {
    auto* l = self.as<RLockObject>();
    sem_init(&l->sem, 0, 1);
    l->owner = 0;
    l->count = 0;
    return Ref::none();
}

Ref rlock_repr(Value self) {
    auto* l = self.as<RLockObject>();
    return Ref(new_str(fmt::format("<{} {}.{} object owner={} count={} at {:#x}>",
                                   l->count ? "locked" : "unlocked", "_thread", "RLock",
                                   l->owner, l->count, reinterpret_cast<uintptr_t>(l))));
}

const MethodDef kRLockMethods[] = {
    {"acquire", rlock_acquire},
    {"release", rlock_release},
    {"__enter__", rlock_acquire},
    {"__exit__", rlock_exit},
    {"_is_owned", rlock_is_owned},
    {"_release_save", rlock_release_save},
    {"_acquire_restore", rlock_acquire_restore},
    {"_at_fork_reinit", rlock_at_fork_reinit},
    {nullptr, nullptr},
};

// --- threads ---------------------------------------------------------------------------------

struct ThreadBoot {
    Interpreter* interp;
    Value func;    // owned
    Value args;    // owned tuple
    Value kwargs;  // owned dict or null
};

void report_thread_exception(Value func) {
    Ref e = fetch_error();
    if (!e) return;
    if (isinstance(*e, Value::object(&exc::SystemExit))) return;
    Ref r = repr(func);
    std::string who = r ? std::string(r.as<Str>()->view()) : "<thread function>";
    clear_error();
    write_stderr(fmt::format("Exception ignored in thread started by: {}\n", who));
    print_exception(*e);
}

void* thread_main(void* arg) {
    auto* boot = static_cast<ThreadBoot*>(arg);
    block_signals_in_this_thread();
    Interpreter* interp = boot->interp;
    ThreadState* ts = new_thread_state(interp);
    if (!ts) std::abort();  // no memory for a stack: nothing sane to report from here
    set_current_thread(ts);
    interp->gil->acquire(ts);
    {
        Dict* kw = boot->kwargs.is_null() ? nullptr : boot->kwargs.as<Dict>();
        Tuple* args = boot->args.as<Tuple>();
        Ref result;
        if (!kw || kw->used == 0) {
            result = call(boot->func, CallArgs{args->items, static_cast<size_t>(args->size), nullptr});
        } else {
            // f(*args, **kwargs): positional values then keyword values named by a tuple.
            std::vector<Value> values(args->items, args->items + args->size);
            RefT<Tuple> names = new_tuple(kw->used);
            if (names) {
                int64_t pos = 0, i = 0;
                Value k, v;
                while (dict_next(kw, &pos, &k, &v)) {
                    incref(k);
                    names->items[i++] = k;
                    values.push_back(v);
                }
                result = call(boot->func, CallArgs{values.data(), static_cast<size_t>(args->size), names.get()});
            }
        }
        if (!result) report_thread_exception(boot->func);
    }
    decref(boot->func);
    decref(boot->args);
    decref(boot->kwargs);
    delete boot;
    ts->exc.reset();
    ts->handled_exc.reset();
    ts->thread_dict.reset();
    // Leave the interpreter's thread list while the interpreter surely exists (GIL held):
    // once the GIL is given back the main thread may free it (runtime/thread_state.h).
    detach_thread_state(ts);
    --interp->thread_count;
    interp->gil->release(ts, GilReleaseReason::kExit);
    set_current_thread(nullptr);
    delete_thread_state(ts);
    return nullptr;
}

Ref t_start_new_thread(Value, CallArgs a) {
    if (!detail::unpack_args("start_new_thread", a, 2, 3)) return nullptr;
    Value func = a.args[0], args = a.args[1];
    Value kwargs = a.npos == 3 ? a.args[2] : Value::null();
    if (!is_callable(func)) return raise(&exc::TypeError, "first arg must be callable");
    if (!is_tuple(args)) return raise(&exc::TypeError, "2nd arg must be a tuple");
    if (!kwargs.is_null() && !is_dict(kwargs))
        return raise(&exc::TypeError, "optional 3rd arg must be a dictionary");
    ThreadState* ts = current_thread();
    Interpreter* interp = ts->interp;
    if (!interp->gil) return raise(&exc::RuntimeError, "threads are not available in this interpreter");
    auto* boot = new ThreadBoot{interp, func, args, kwargs};
    incref(func);
    incref(args);
    incref(kwargs);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, g_stack_size ? g_stack_size : kDefaultStackSize);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t tid;
    ++interp->thread_count;
    int rc = pthread_create(&tid, &attr, thread_main, boot);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        --interp->thread_count;
        decref(func);
        decref(args);
        decref(kwargs);
        delete boot;
        return raise(&exc::RuntimeError, "can't start new thread");
    }
    return make_int(static_cast<int64_t>(reinterpret_cast<uintptr_t>(tid)));
}

Ref t_allocate_lock(Value, CallArgs a) {
    if (!detail::unpack_args("allocate_lock", a, 0, 0)) return nullptr;
    LockObject* l = new_lock();
    return l ? Ref::steal(l) : nullptr;
}

Ref t_get_ident(Value, CallArgs a) {
    if (!detail::unpack_args("get_ident", a, 0, 0)) return nullptr;
    return make_int(this_ident());
}

Ref t_get_native_id(Value, CallArgs a) {
    if (!detail::unpack_args("get_native_id", a, 0, 0)) return nullptr;
    return make_int(static_cast<int64_t>(syscall(SYS_gettid)));
}

Ref t_count(Value, CallArgs a) {
    if (!detail::unpack_args("_count", a, 0, 0)) return nullptr;
    return make_int(current_thread()->interp->thread_count);
}

Ref t_stack_size(Value, CallArgs a) {
    if (!detail::unpack_args("stack_size", a, 0, 1)) return nullptr;
    int64_t old = static_cast<int64_t>(g_stack_size);
    if (a.npos == 1) {
        int64_t n;
        if (!index_value(a.args[0], &n)) return nullptr;
        if (n != 0 && n < 32768) return raise(&exc::ValueError, "size not valid: 32768 bytes");
        g_stack_size = static_cast<size_t>(n);
    }
    return make_int(old);
}

Ref t_interrupt_main(Value, CallArgs a) {
    simulate_sigint();
    return Ref::none();
}

Ref t_exit(Value, CallArgs a) { return raise_value(Value::object(&exc::SystemExit)); }

// --- _local ----------------------------------------------------------------------------------

struct LocalObject : Object {
    Value init_args;    // owned tuple: the constructor's positional arguments
    Value init_kwargs;  // owned dict or null: its keyword arguments
    int64_t serial;     // unique per object: the key of its dict in every thread
};

// Serial numbers of _local objects. Keys are serials rather than addresses: another thread
// may still hold the dict of a dead local whose address a new local reuses.
std::atomic<int64_t> g_local_serial{0};

// f(self, *args, **kwargs) with args a tuple and kwargs a dict or null.
Ref call_with_self(Value f, Value self, Tuple* args, Value kwargs) {
    std::vector<Value> values{self};
    values.insert(values.end(), args->items, args->items + args->size);
    size_t npos = values.size();
    RefT<Tuple> names;
    if (!kwargs.is_null() && kwargs.as<Dict>()->used) {
        Dict* kw = kwargs.as<Dict>();
        names = new_tuple(kw->used);
        if (!names) return nullptr;
        int64_t pos = 0, i = 0;
        Value k, v;
        while (dict_next(kw, &pos, &k, &v)) {
            incref(k);
            names->items[i++] = k;
            values.push_back(v);
        }
    }
    return call(f, CallArgs{values.data(), npos, names.get()});
}

// This thread's dict for `self`, created on first use. A dict created in a thread other
// than the one that constructed the object runs a subclass's __init__ with the
// constructor's arguments (once per thread, as CPython does; the constructing thread's
// dict is made by local_new and initialised by the ordinary __init__ call). Borrowed; null
// with an exception.
Dict* local_dict(Value self, bool run_init = true) {
    ThreadState* ts = current_thread();
    if (!ts->thread_dict) {
        RefT<Dict> d = new_dict();
        if (!d) return nullptr;
        ts->thread_dict = std::move(d);
    }
    Dict* all = ts->thread_dict.as<Dict>();
    auto* l = self.as<LocalObject>();
    Ref key = make_int(l->serial);
    if (!key) return nullptr;
    Value d = dict_get(all, *key);
    if (!d.is_null()) return d.as<Dict>();
    if (error_occurred()) return nullptr;
    RefT<Dict> fresh = new_dict();
    if (!fresh || !dict_set(all, *key, fresh.value())) return nullptr;
    Dict* result = fresh.get();
    Type* t = self.as_object()->type;
    if (run_init && t != &local_type) {
        static Str* init_name = intern("__init__");
        Value init = type_lookup(t, init_name);
        if (!init.is_null()) {
            Ref r = call_with_self(init, self, l->init_args.as<Tuple>(), l->init_kwargs);
            if (!r) {
                Ref saved = fetch_error();
                (void)dict_del(all, *key);
                restore_error(std::move(saved));
                return nullptr;
            }
        }
    }
    return result;
}

Ref local_getattr(Value self, Str* name) {
    Dict* d = local_dict(self);
    if (!d) return nullptr;
    static Str* dict_name = intern("__dict__");
    if (name == dict_name) return Ref::borrow(Value::object(d));
    Value v = dict_get_str(d, name);
    if (!v.is_null()) return Ref::borrow(v);
    return generic_getattr(self, name);
}

bool local_setattr(Value self, Str* name, Value v) {
    Dict* d = local_dict(self);
    if (!d) return false;
    if (v.is_null()) {
        int r = dict_del(d, Value::object(name));
        if (r == 0)
            (void)raisef(&exc::AttributeError, "'{}' object has no attribute '{}'",
                         type_name(self), name->view());
        return r == 1;
    }
    return dict_set_str(d, name, v);
}

Ref local_new(Type* type, CallArgs a) {
    if ((a.npos || a.nkw()) && type == &local_type)
        return raise(&exc::TypeError, "Initialization arguments are not supported");
    RefT<Tuple> args = new_tuple_from(a.args, static_cast<int64_t>(a.npos));
    if (!args) return nullptr;
    RefT<Dict> kwargs;
    if (size_t nkw = a.nkw()) {
        kwargs = new_dict();
        if (!kwargs) return nullptr;
        for (size_t i = 0; i < nkw; ++i)
            if (!dict_set(kwargs.get(), a.kwnames->items[i], a.args[a.npos + i])) return nullptr;
    }
    auto* l = new_object<LocalObject>(type, 0);
    if (!l) return nullptr;
    l->init_args = Value::object(args.release());
    l->init_kwargs = kwargs ? Value::object(kwargs.release()) : Value::null();
    l->serial = ++g_local_serial;
    Ref self = Ref::steal(l);
    // This thread's dict now, without __init__: the type call runs __init__ next.
    if (!local_dict(*self, false)) return nullptr;
    return self;
}

void local_dealloc(Object* o) {
    auto* l = static_cast<LocalObject*>(o);
    decref(l->init_args);
    decref(l->init_kwargs);
    // Other threads' dicts for this object stay until those threads exit (CPython removes
    // them with weak references; weakrefs come with issue 10). This thread's goes now.
    if (ThreadState* ts = current_thread(); ts && ts->thread_dict) {
        Ref key = make_int(l->serial);
        if (key) (void)dict_del(ts->thread_dict.as<Dict>(), *key);
        if (error_occurred()) clear_error();
    }
    object_free(o, o->type->basic_size);
}

const MethodDef kFunctions[] = {
    {"start_new_thread", t_start_new_thread},
    {"start_new", t_start_new_thread},
    {"allocate_lock", t_allocate_lock},
    {"allocate", t_allocate_lock},
    {"get_ident", t_get_ident},
    {"get_native_id", t_get_native_id},
    {"_count", t_count},
    {"stack_size", t_stack_size},
    {"interrupt_main", t_interrupt_main},
    {"exit", t_exit},
    {nullptr, nullptr},
};

void init_types() {
    lock_type.name = "_thread.lock";
    lock_type.basic_size = sizeof(LockObject);
    lock_type.dealloc = lock_dealloc;
    lock_type.repr = lock_repr;
    lock_type.new_ = lock_new;
    lock_type.methods = kLockMethods;
    type_ready(&lock_type, &object_type);

    rlock_type.name = "_thread.RLock";
    rlock_type.basic_size = sizeof(RLockObject);
    rlock_type.flags |= kBaseType;
    rlock_type.dealloc = rlock_dealloc;
    rlock_type.repr = rlock_repr;
    rlock_type.new_ = rlock_new;
    rlock_type.methods = kRLockMethods;
    type_ready(&rlock_type, &object_type);

    local_type.name = "_thread._local";
    local_type.basic_size = sizeof(LocalObject);
    local_type.flags |= kBaseType;
    local_type.dealloc = local_dealloc;
    local_type.getattr = local_getattr;
    local_type.setattr = local_setattr;
    local_type.new_ = local_new;
    type_ready(&local_type, &object_type);
}

}  // namespace

RefT<Module> create_thread_module() {
    static std::once_flag once;
    std::call_once(once, init_types);
    RefT<Module> m = new_module("_thread");
    if (!m || !module_add_functions(m.get(), kFunctions)) return nullptr;
    if (!module_add(m.get(), "LockType", Value::object(&lock_type)) ||
        !module_add(m.get(), "lock", Value::object(&lock_type)) ||
        !module_add(m.get(), "RLock", Value::object(&rlock_type)) ||
        !module_add(m.get(), "_local", Value::object(&local_type)) ||
        !module_add(m.get(), "error", Value::object(&exc::RuntimeError)) ||
        !module_add(m.get(), "TIMEOUT_MAX", Value::from_double(kTimeoutMax)))
        return nullptr;
    return m;
}

}  // namespace toy
