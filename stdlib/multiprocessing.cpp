// multiprocessing.cpp: `_multiprocessing`, the native half of the `multiprocessing` package
// (stdlib/lib/multiprocessing/, written in Toy as CPython's is in Python). Only the fork start
// method exists: every child is made by os.fork() (runtime/fork.h), never here.
//
// SHARED MEMORY. shm_alloc() hands out zeroed anonymous MAP_SHARED memory. A mapping made
// before fork() is the same physical memory in parent and child; each process unmaps its own
// view when its last object using it dies (dealloc). Blocks over kSmallMax bytes get a mapping
// of their own. Small blocks (semaphores, scalars, short arrays) are bump-allocated from
// 256 KiB arenas with a 16-byte header naming their Arena; a block is never handed out twice,
// so parent and child can never be given the same shared bytes: a process allocates only
// from an arena it made itself (owner pid; a forked child starts a new one), and frees only
// decrement its private live count (an arena is unmapped when it is not the current one and
// its last block in this process is gone). The bookkeeping (Arena structs, g_current) is
// private memory, copied at fork with the objects that use it, and guarded by the spin flag
// g_arena_busy (held only for a few instructions; taken by the fork handler's prepare so no
// thread of another interpreter is inside it at fork, cleared in parent and child).
//
// SEMLOCK. `SemLock(kind, value, maxvalue, name=None, unlink=False)` is CPython's
// _multiprocessing.SemLock: a POSIX semaphore initialised with pshared=1 in a shared page, so
// that every process forked after its creation waits on the same kernel object. kind 0
// (RECURSIVE_MUTEX) is the RLock: the owner is (pid, thread ident) with a recursion count;
// kind 1 (SEMAPHORE) is Lock (maxvalue 1), Semaphore and BoundedSemaphore. `count` and
// `last_tid` are per process: they live in the (private) object, and are reset when a method
// first runs in a new process (pid differs from `pid`), as CPython's _after_fork does.
// acquire() first tries sem_trywait; otherwise it releases the GIL (kLockWait) and waits with
// sem_clockwait(CLOCK_MONOTONIC) / sem_wait. EINTR re-takes the GIL and runs pending signal
// handlers (Ctrl-C interrupts a wait), then waits again for the remaining time. The semaphore
// lives in the mapping the object owns, which the caller's frame keeps alive while the GIL is
// released. A process killed while holding a lock leaves it held (as in CPython).
//
// SHARED VALUES. `RawValue(typecode[, value])` and `RawArray(typecode, size_or_initializer)`
// are ctypes-like scalars and arrays ('b','B','h','H','i','I','l','L','q','Q','f','d','c')
// stored in a shared mapping. Reads and writes are plain loads/stores with the GIL held:
// unsynchronised between processes, exactly as CPython's RawValue (the Toy wrappers Value and
// Array add a SemLock). Integer stores wrap like ctypes (no overflow check).
//
// CONNECTION I/O. `send(fd, data)` writes CPython's framing (4-byte big-endian signed length;
// for more than 2**31-1 bytes, -1 then an 8-byte length) and the payload with one writev loop;
// `recv(fd, maxlength)` reads one message. Both run with the GIL released on copies (the
// payload bytes object is kept alive by the caller's reference; received data goes to a
// std::string and becomes bytes after the GIL is back). SIGPIPE is blocked in the writing
// thread and a SIGPIPE raised by our own write is consumed, so a dead reader gives
// BrokenPipeError instead of killing the process. EOF before a message: EOFError; EOF inside
// one: OSError("got end of file during message"). `poll(fd, timeout)` and `wait(fds, timeout)`
// are poll(2) with the GIL released. EINTR: handlers run, then the call goes on with the time
// left (PEP 475).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstring>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "interp/traceback.h"
#include "runtime/abstract.h"
#include "runtime/bytes.h"
#include "runtime/errors.h"
#include "runtime/float.h"
#include "runtime/fork.h"
#include "runtime/gil.h"
#include "runtime/int.h"
#include "runtime/list.h"
#include "runtime/misc_types.h"
#include "runtime/module.h"
#include "runtime/native_function.h"
#include "runtime/signals.h"
#include "runtime/str.h"
#include "runtime/tuple.h"
#include "stdlib/registry.h"
#include "stdlib/util.h"

namespace toy {

namespace {

// --- shared memory ---------------------------------------------------------------------------

size_t page_round(size_t n) {
    static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    if (n == 0) n = 1;
    return (n + page - 1) / page * page;
}

// The pid of this process without a system call per lock operation: read once, and
// refreshed in the child by a runtime fork handler (runtime/fork.h's single fork path; only
// the forking thread runs there).
std::atomic<pid_t> g_pid{0};

pid_t current_pid() {
    pid_t p = g_pid.load(std::memory_order_relaxed);
    if (p == 0) {
        p = ::getpid();
        g_pid.store(p, std::memory_order_relaxed);
    }
    return p;
}

constexpr size_t kArenaSize = size_t{256} << 10;
constexpr size_t kSmallMax = 1024;

struct Arena {
    char* base;      // kArenaSize bytes, MAP_SHARED
    size_t used;     // bytes handed out (bump pointer)
    int64_t live;    // blocks of this arena still used by this process
    pid_t owner;     // the process that made it: only it allocates from it
};
struct alignas(16) BlockHeader {
    Arena* arena;
};
static_assert(sizeof(BlockHeader) == 16);

std::atomic_flag g_arena_busy = ATOMIC_FLAG_INIT;
Arena* g_current = nullptr;  // under g_arena_busy

class ArenaGuard {
public:
    ArenaGuard() {
        while (g_arena_busy.test_and_set(std::memory_order_acquire)) sched_yield();
    }
    ~ArenaGuard() { g_arena_busy.clear(std::memory_order_release); }
    ArenaGuard(const ArenaGuard&) = delete;
    ArenaGuard& operator=(const ArenaGuard&) = delete;
};

void release_arena(Arena* a) {
    ::munmap(a->base, kArenaSize);
    delete a;
}

// A small block, or null with errno set (ENOMEM).
void* small_alloc(size_t n) {
    if (n == 0) n = 1;  // a block always owns at least 16 bytes of its own
    size_t need = sizeof(BlockHeader) + ((n + 15) & ~size_t{15});
    ArenaGuard guard;
    pid_t me = current_pid();
    if (!g_current || g_current->owner != me || g_current->used + need > kArenaSize) {
        void* m = ::mmap(nullptr, kArenaSize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                         -1, 0);
        if (m == MAP_FAILED) return nullptr;
        auto* a = new (std::nothrow) Arena{static_cast<char*>(m), 0, 0, me};
        if (!a) {
            ::munmap(m, kArenaSize);
            errno = ENOMEM;
            return nullptr;
        }
        Arena* old = g_current;
        g_current = a;
        if (old && old->live == 0) release_arena(old);
    }
    Arena* a = g_current;
    auto* h = reinterpret_cast<BlockHeader*>(a->base + a->used);
    h->arena = a;
    a->used += need;
    ++a->live;
    return h + 1;
}

void small_free(void* p) {
    BlockHeader* h = static_cast<BlockHeader*>(p) - 1;
    ArenaGuard guard;
    Arena* a = h->arena;
    if (--a->live == 0 && a != g_current) release_arena(a);
}

void arena_prepare_fork() {
    while (g_arena_busy.test_and_set(std::memory_order_acquire)) sched_yield();
}
void arena_parent_after_fork() { g_arena_busy.clear(std::memory_order_release); }
void child_after_fork() {
    g_pid.store(::getpid(), std::memory_order_relaxed);
    g_arena_busy.clear(std::memory_order_release);
}

// Zeroed shared memory of at least n bytes, or null with MemoryError/OSError set. *mapped is
// the size to pass to shm_free (0 for a small block).
void* shm_alloc(size_t n, size_t* mapped) {
    void* p;
    if (n <= kSmallMax) {
        *mapped = 0;
        p = small_alloc(n);
        if (p) return p;
    } else {
        *mapped = page_round(n);
        p = ::mmap(nullptr, *mapped, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (p != MAP_FAILED) return p;
    }
    int err = errno;
    if (err == ENOMEM) (void)raise_no_memory();
    else (void)raise_errno(err);
    return nullptr;
}

void shm_free(void* p, size_t mapped) {
    if (!p) return;
    if (mapped == 0) small_free(p);
    else ::munmap(p, mapped);
}

int64_t this_tid() { return static_cast<int64_t>(reinterpret_cast<uintptr_t>(pthread_self())); }

// A timeout argument: None -> -1 (forever), else seconds >= 0 (negatives become 0).
bool timeout_arg(Value v, double* out) {
    if (v.is_null() || v.is_none()) {
        *out = -1;
        return true;
    }
    double t;
    if (!to_double(v, &t)) return false;
    if (std::isnan(t)) return (void)raise(&exc::ValueError, "Invalid value NaN (not a number)"), false;
    *out = t < 0 ? 0 : t;
    return true;
}

struct timespec deadline_after(double seconds) {
    struct timespec d {};
    clock_gettime(CLOCK_MONOTONIC, &d);
    if (seconds > 1e9) seconds = 1e9;
    double whole;
    double frac = std::modf(seconds, &whole);
    d.tv_sec += static_cast<time_t>(whole);
    d.tv_nsec += static_cast<long>(frac * 1e9);
    if (d.tv_nsec >= 1000000000L) {
        d.tv_sec += 1;
        d.tv_nsec -= 1000000000L;
    }
    return d;
}

// Milliseconds left until `d` (>= 0), for poll(2).
int ms_left(const struct timespec& d) {
    struct timespec now {};
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t ns = (static_cast<int64_t>(d.tv_sec) - now.tv_sec) * 1000000000LL + (d.tv_nsec - now.tv_nsec);
    if (ns <= 0) return 0;
    int64_t ms = (ns + 999999) / 1000000;
    return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

// --- SemLock ---------------------------------------------------------------------------------

constexpr int kRecursiveMutex = 0;
constexpr int kSemaphore = 1;

Type semlock_type;

struct SemLockObject : Object {
    sem_t* sem;       // in a shared mapping of `mapped` bytes (owned)
    size_t mapped;
    int kind;
    int maxvalue;
    int64_t count;     // acquisitions not yet released, by this process
    int64_t last_tid;  // thread ident of the last acquirer in this process
    pid_t pid;         // the process count/last_tid belong to
    Value name;        // owned: str or None
};

SemLockObject* semlock_self(Value self) {
    auto* s = self.as<SemLockObject>();
    pid_t me = current_pid();
    if (s->pid != me) {  // first use in a forked child: nothing is held by this process
        s->pid = me;
        s->count = 0;
        s->last_tid = 0;
    }
    return s;
}

bool semlock_is_mine(SemLockObject* s) { return s->count > 0 && s->last_tid == this_tid(); }

Ref semlock_new(Type* type, CallArgs a) {
    Value args[5] = {};
    if (!parse_args("SemLock", a, 3, 5, {"kind", "value", "maxvalue", "name", "unlink"}, args))
        return nullptr;
    int64_t kind, value, maxvalue;
    if (!index_value(args[0], &kind) || !index_value(args[1], &value) ||
        !index_value(args[2], &maxvalue))
        return nullptr;
    if (kind != kRecursiveMutex && kind != kSemaphore)
        return raise(&exc::ValueError, "unrecognized kind");
    // As sem_init(3) (CPython passes the values straight to it): EINVAL out of range.
    if (value < 0 || value > SEM_VALUE_MAX) return raise_errno(EINVAL);
    if (maxvalue < 0 || maxvalue > SEM_VALUE_MAX) return raise_errno(EINVAL);
    size_t mapped;
    void* mem = shm_alloc(sizeof(sem_t), &mapped);
    if (!mem) return nullptr;
    auto* sem = static_cast<sem_t*>(mem);
    if (::sem_init(sem, 1, static_cast<unsigned>(value)) != 0) {
        int err = errno;
        shm_free(mem, mapped);
        return raise_errno(err);
    }
    auto* s = new_object<SemLockObject>(type, 0);
    if (!s) {
        shm_free(mem, mapped);
        return nullptr;
    }
    s->sem = sem;
    s->mapped = mapped;
    s->kind = static_cast<int>(kind);
    s->maxvalue = static_cast<int>(maxvalue);
    s->count = 0;
    s->last_tid = 0;
    s->pid = current_pid();
    Value name = args[3].is_null() ? Value::none() : args[3];
    incref(name);
    s->name = name;
    return Ref::steal(s);
}

void semlock_dealloc(Object* o) {
    auto* s = static_cast<SemLockObject*>(o);
    // Never sem_destroy: other processes may still wait on it; unmapping our view is enough.
    shm_free(s->sem, s->mapped);
    decref(s->name);
    object_free(s, s->type->basic_size);
}

// 1 acquired, 0 timed out, -1 exception.
int semlock_wait(sem_t* sem, bool blocking, double timeout) {
    for (;;) {
        if (::sem_trywait(sem) == 0) return 1;
        if (errno == EINTR) {
            if (!handle_pending_signals()) return -1;
            continue;
        }
        if (errno != EAGAIN) return (void)raise_errno(errno), -1;
        break;
    }
    if (!blocking || timeout == 0) return 0;
    struct timespec deadline = timeout > 0 ? deadline_after(timeout) : timespec{};
    for (;;) {
        int rc, err;
        {
            GilRelease unlocked(GilReleaseReason::kLockWait);
            rc = timeout > 0 ? ::sem_clockwait(sem, CLOCK_MONOTONIC, &deadline) : ::sem_wait(sem);
            err = errno;
        }
        if (rc == 0) return 1;
        if (err == ETIMEDOUT) return 0;
        if (err != EINTR) return (void)raise_errno(err), -1;
        if (!handle_pending_signals()) return -1;
    }
}

Ref semlock_acquire(Value self, CallArgs a) {
    Value args[2] = {};
    if (!parse_args("acquire", a, 0, 2, {"block", "timeout"}, args)) return nullptr;
    SemLockObject* s = semlock_self(self);
    bool blocking = true;
    if (!args[0].is_null()) {
        int t = truthy(args[0]);
        if (t < 0) return nullptr;
        blocking = t != 0;
    }
    double timeout = -1;
    if (!timeout_arg(args[1], &timeout)) return nullptr;
    if (s->kind == kRecursiveMutex && semlock_is_mine(s)) {
        ++s->count;
        return Ref::boolean(true);
    }
    int r = semlock_wait(s->sem, blocking, timeout);
    if (r < 0) return nullptr;
    if (r == 1) {
        ++s->count;
        s->last_tid = this_tid();
    }
    return Ref::boolean(r == 1);
}

bool semlock_release_one(SemLockObject* s) {
    if (s->kind == kRecursiveMutex) {
        if (!semlock_is_mine(s)) {
            (void)raise(&exc::AssertionError,
                        "attempt to release recursive lock not owned by thread");
            return false;
        }
        if (s->count > 1) {
            --s->count;
            return true;
        }
    } else if (s->maxvalue == 1) {
        // Must be locked now: if a trywait succeeds it was not, so undo and complain.
        if (::sem_trywait(s->sem) == 0) {
            ::sem_post(s->sem);
            (void)raise(&exc::ValueError, "semaphore or lock released too many times");
            return false;
        }
    } else {
        int sval = 0;
        if (::sem_getvalue(s->sem, &sval) != 0) return (void)raise_errno(errno), false;
        if (sval >= s->maxvalue) {
            (void)raise(&exc::ValueError, "semaphore or lock released too many times");
            return false;
        }
    }
    if (::sem_post(s->sem) != 0) return (void)raise_errno(errno), false;
    if (s->count > 0) --s->count;
    return true;
}

Ref semlock_release(Value self, CallArgs a) {
    if (!detail::unpack_args("release", a, 0, 0)) return nullptr;
    if (!semlock_release_one(semlock_self(self))) return nullptr;
    return Ref::none();
}

Ref semlock_enter(Value self, CallArgs a) {
    if (!detail::unpack_args("__enter__", a, 0, 0)) return nullptr;
    SemLockObject* s = semlock_self(self);
    if (s->kind == kRecursiveMutex && semlock_is_mine(s)) {
        ++s->count;
        return Ref::boolean(true);
    }
    int r = semlock_wait(s->sem, true, -1);
    if (r < 0) return nullptr;
    ++s->count;
    s->last_tid = this_tid();
    return Ref::boolean(true);
}

Ref semlock_exit(Value self, CallArgs) {
    if (!semlock_release_one(semlock_self(self))) return nullptr;
    return Ref::none();
}

Ref semlock_count(Value self, CallArgs a) {
    if (!detail::unpack_args("_count", a, 0, 0)) return nullptr;
    return make_int(semlock_self(self)->count);
}

Ref semlock_is_mine_m(Value self, CallArgs a) {
    if (!detail::unpack_args("_is_mine", a, 0, 0)) return nullptr;
    return Ref::boolean(semlock_is_mine(semlock_self(self)));
}

Ref semlock_get_value(Value self, CallArgs a) {
    if (!detail::unpack_args("_get_value", a, 0, 0)) return nullptr;
    int sval = 0;
    if (::sem_getvalue(semlock_self(self)->sem, &sval) != 0) return raise_errno(errno);
    return make_int(sval < 0 ? 0 : sval);
}

Ref semlock_is_zero(Value self, CallArgs a) {
    if (!detail::unpack_args("_is_zero", a, 0, 0)) return nullptr;
    int sval = 0;
    if (::sem_getvalue(semlock_self(self)->sem, &sval) != 0) return raise_errno(errno);
    return Ref::boolean(sval <= 0);
}

Ref semlock_after_fork(Value self, CallArgs) {
    auto* s = self.as<SemLockObject>();
    s->count = 0;
    s->pid = current_pid();
    return Ref::none();
}

Ref semlock_get_handle(Value self) {
    return make_int(static_cast<int64_t>(reinterpret_cast<uintptr_t>(self.as<SemLockObject>()->sem)));
}
Ref semlock_get_kind(Value self) { return make_int(self.as<SemLockObject>()->kind); }
Ref semlock_get_maxvalue(Value self) { return make_int(self.as<SemLockObject>()->maxvalue); }
Ref semlock_get_name(Value self) { return Ref::borrow(self.as<SemLockObject>()->name); }

const MethodDef kSemLockMethods[] = {
    {"acquire", semlock_acquire},     {"release", semlock_release},
    {"__enter__", semlock_enter},     {"__exit__", semlock_exit},
    {"_count", semlock_count},        {"_is_mine", semlock_is_mine_m},
    {"_get_value", semlock_get_value}, {"_is_zero", semlock_is_zero},
    {"_after_fork", semlock_after_fork}, {nullptr, nullptr},
};

const GetSetDef kSemLockGetSets[] = {
    {"handle", semlock_get_handle},
    {"kind", semlock_get_kind},
    {"maxvalue", semlock_get_maxvalue},
    {"name", semlock_get_name},
    {nullptr, nullptr},
};

// --- shared scalars and arrays ----------------------------------------------------------------

Type rawvalue_type;
Type rawarray_type;

struct CType {
    char code;
    const char* name;  // ctypes class name
    size_t size;
};

const CType kCTypes[] = {
    {'b', "c_byte", 1},     {'B', "c_ubyte", 1},     {'h', "c_short", 2},
    {'H', "c_ushort", 2},   {'i', "c_int", 4},       {'I', "c_uint", 4},
    {'l', "c_long", 8},     {'L', "c_ulong", 8},     {'q', "c_long", 8},
    {'Q', "c_ulong", 8},    {'f', "c_float", 4},     {'d', "c_double", 8},
    {'c', "c_char", 1},
};

const CType* find_ctype(Value v) {
    if (is_str(v)) {
        std::string_view s = detail::str_view(v);
        if (s.size() == 1)
            for (const CType& t : kCTypes)
                if (t.code == s[0]) return &t;
        (void)raisef(&exc::TypeError,
                     "bad typecode (must be b, B, h, H, i, I, l, L, q, Q, f, d or c), got '{}'",
                     std::string(s));
        return nullptr;
    }
    (void)raisef(&exc::TypeError, "typecode must be a str, not {}", type_name(v));
    return nullptr;
}

struct SharedData : Object {
    char* data;  // shared mapping of `mapped` bytes (owned)
    size_t mapped;
    const CType* ct;
    int64_t length;  // elements (1 for a RawValue)
};

void shared_dealloc(Object* o) {
    auto* s = static_cast<SharedData*>(o);
    shm_free(s->data, s->mapped);
    object_free(s, s->type->basic_size);
}

Ref element_get(const CType* ct, const char* p) {
    switch (ct->code) {
        case 'b': return make_int(*reinterpret_cast<const int8_t*>(p));
        case 'B': return make_int(*reinterpret_cast<const uint8_t*>(p));
        case 'h': return make_int(*reinterpret_cast<const int16_t*>(p));
        case 'H': return make_int(*reinterpret_cast<const uint16_t*>(p));
        case 'i': return make_int(*reinterpret_cast<const int32_t*>(p));
        case 'I': return make_int(*reinterpret_cast<const uint32_t*>(p));
        case 'l':
        case 'q': return make_int(*reinterpret_cast<const int64_t*>(p));
        case 'L':
        case 'Q': {
            uint64_t u = *reinterpret_cast<const uint64_t*>(p);
            if (u > static_cast<uint64_t>(INT64_MAX))
                return raise(&exc::OverflowError, "integer overflow");
            return make_int(static_cast<int64_t>(u));
        }
        case 'f': return make_float(*reinterpret_cast<const float*>(p));
        case 'd': return make_float(*reinterpret_cast<const double*>(p));
        case 'c': return Ref(new_bytes(std::string_view(p, 1)));
    }
    return Ref::none();
}

bool element_set(const CType* ct, char* p, Value v) {
    if (ct->code == 'f' || ct->code == 'd') {
        if (!is_float(v) && !is_int(v)) {
            (void)raisef(&exc::TypeError, "must be real number, not {}", type_name(v));
            return false;
        }
        double d;
        if (!to_double(v, &d)) return false;
        if (ct->code == 'f') *reinterpret_cast<float*>(p) = static_cast<float>(d);
        else *reinterpret_cast<double*>(p) = d;
        return true;
    }
    if (ct->code == 'c') {
        if (is_bytes(v) && bytes_view(v).size() == 1) {
            *p = bytes_view(v)[0];
            return true;
        }
        if (is_int(v)) {
            int64_t n;
            if (!int_value(v, &n)) return false;
            if (n < 0 || n > 255) {
                (void)raise(&exc::TypeError, "one character bytes, bytearray or integer expected");
                return false;
            }
            *p = static_cast<char>(n);
            return true;
        }
        (void)raise(&exc::TypeError, "one character bytes, bytearray or integer expected");
        return false;
    }
    int64_t n;
    if (is_int(v)) {
        if (!int_value(v, &n)) return false;
    } else if (is_float(v) || !v.is_object() || !type_of(v)->index) {
        (void)raisef(&exc::TypeError, "'{}' object cannot be interpreted as an integer",
                     type_name(v));
        return false;
    } else if (!index_value(v, &n)) {
        return false;
    }
    // ctypes truncates silently to the C type.
    switch (ct->size) {
        case 1: *reinterpret_cast<uint8_t*>(p) = static_cast<uint8_t>(n); break;
        case 2: *reinterpret_cast<uint16_t*>(p) = static_cast<uint16_t>(n); break;
        case 4: *reinterpret_cast<uint32_t*>(p) = static_cast<uint32_t>(n); break;
        default: *reinterpret_cast<uint64_t*>(p) = static_cast<uint64_t>(n); break;
    }
    return true;
}

SharedData* new_shared(Type* type, const CType* ct, int64_t length) {
    if (length < 0) {
        (void)raise(&exc::ValueError, "Array length must be >= 0");
        return nullptr;
    }
    if (length > (int64_t{1} << 40)) {
        (void)raise_no_memory();
        return nullptr;
    }
    size_t mapped;
    void* mem = shm_alloc(static_cast<size_t>(length) * ct->size, &mapped);
    if (!mem) return nullptr;
    auto* s = new_object<SharedData>(type, 0);
    if (!s) {
        shm_free(mem, mapped);
        return nullptr;
    }
    s->data = static_cast<char*>(mem);
    s->mapped = mapped;
    s->ct = ct;
    s->length = length;
    return s;
}

Ref rawvalue_new(Type* type, CallArgs a) {
    if (!detail::no_kwargs("RawValue", a)) return nullptr;
    if (!detail::check_positional("RawValue", a.npos, 1, 2)) return nullptr;
    const CType* ct = find_ctype(a.args[0]);
    if (!ct) return nullptr;
    RefT<SharedData> s = RefT<SharedData>::steal(new_shared(type, ct, 1));
    if (!s) return nullptr;
    if (a.npos == 2 && !element_set(ct, s->data, a.args[1])) return nullptr;
    return Ref(std::move(s));
}

Ref rawvalue_get_value(Value self) {
    auto* s = self.as<SharedData>();
    return element_get(s->ct, s->data);
}
bool rawvalue_set_value(Value self, Value v) {
    if (v.is_null()) return (void)raise(&exc::TypeError, "can't delete attribute"), false;
    auto* s = self.as<SharedData>();
    return element_set(s->ct, s->data, v);
}
Ref shared_get_typecode(Value self) {
    char c = self.as<SharedData>()->ct->code;
    return Ref(new_str(std::string_view(&c, 1)));
}

Ref rawvalue_repr(Value self) {
    auto* s = self.as<SharedData>();
    Ref v = element_get(s->ct, s->data);
    if (!v) return nullptr;
    Ref r = repr(*v);
    if (!r) return nullptr;
    return Ref(new_str(fmt::format("{}({})", s->ct->name, detail::str_view(*r))));
}

const GetSetDef kRawValueGetSets[] = {
    {"value", rawvalue_get_value, rawvalue_set_value},
    {"_typecode", shared_get_typecode},
    {nullptr, nullptr},
};

Ref rawarray_new(Type* type, CallArgs a) {
    if (!detail::no_kwargs("RawArray", a)) return nullptr;
    if (!detail::check_positional("RawArray", a.npos, 2, 2)) return nullptr;
    const CType* ct = find_ctype(a.args[0]);
    if (!ct) return nullptr;
    Value init = a.args[1];
    if (is_int(init)) {
        int64_t n;
        if (!int_value(init, &n)) return nullptr;
        SharedData* s = new_shared(type, ct, n);
        return s ? Ref::steal(s) : nullptr;
    }
    // A sequence of initial values (bytes for 'c' gives its bytes).
    Ref seq;
    if (ct->code == 'c' && is_bytes(init)) {
        std::string_view b = bytes_view(init);
        SharedData* s = new_shared(type, ct, static_cast<int64_t>(b.size()));
        if (!s) return nullptr;
        std::memcpy(s->data, b.data(), b.size());
        return Ref::steal(s);
    }
    Ref it = get_iter(init);
    if (!it) return nullptr;
    RefT<List> items = new_list();
    if (!items) return nullptr;
    for (;;) {
        Ref x = iter_next(*it);
        if (!x) {
            if (error_occurred()) return nullptr;
            break;
        }
        if (!list_append(items.get(), *x)) return nullptr;
    }
    RefT<SharedData> s = RefT<SharedData>::steal(new_shared(type, ct, items->size));
    if (!s) return nullptr;
    for (int64_t i = 0; i < items->size; ++i)
        if (!element_set(ct, s->data + i * ct->size, items->items[i])) return nullptr;
    return Ref(std::move(s));
}

int64_t rawarray_len(Value self) { return self.as<SharedData>()->length; }

Ref rawarray_getitem(Value self, Value key) {
    auto* s = self.as<SharedData>();
    if (key.is_object() && type_of(key) == &slice_type) {
        int64_t start, stop, step, n;
        if (!slice_indices(key.as<Slice>(), s->length, &start, &stop, &step, &n)) return nullptr;
        if (s->ct->code == 'c') {
            std::string out;
            for (int64_t i = 0, j = start; i < n; ++i, j += step) out.push_back(s->data[j]);
            return Ref(new_bytes(out));
        }
        RefT<List> l = new_list(n);
        if (!l) return nullptr;
        for (int64_t i = 0, j = start; i < n; ++i, j += step) {
            Ref x = element_get(s->ct, s->data + j * s->ct->size);
            if (!x || !list_append(l.get(), *x)) return nullptr;
        }
        return Ref(std::move(l));
    }
    int64_t i;
    if (!is_int(key) && !(key.is_object() && type_of(key)->index))
        return raise(&exc::TypeError, "indices must be integers");
    if (!index_value(key, &i)) return nullptr;
    if (i < 0) i += s->length;
    if (i < 0 || i >= s->length) return raise(&exc::IndexError, "invalid index");
    return element_get(s->ct, s->data + i * s->ct->size);
}

bool rawarray_setitem(Value self, Value key, Value v) {
    auto* s = self.as<SharedData>();
    if (v.is_null()) return (void)raise(&exc::TypeError, "Array does not support item deletion"), false;
    if (key.is_object() && type_of(key) == &slice_type) {
        int64_t start, stop, step, n;
        if (!slice_indices(key.as<Slice>(), s->length, &start, &stop, &step, &n)) return false;
        Ref it = get_iter(v);
        if (!it) return false;
        std::vector<Ref> vals;
        for (;;) {
            Ref x = iter_next(*it);
            if (!x) {
                if (error_occurred()) return false;
                break;
            }
            vals.push_back(std::move(x));
        }
        if (static_cast<int64_t>(vals.size()) != n)
            return (void)raise(&exc::ValueError, "Can only assign sequence of same size"), false;
        for (int64_t i = 0, j = start; i < n; ++i, j += step)
            if (!element_set(s->ct, s->data + j * s->ct->size, *vals[static_cast<size_t>(i)]))
                return false;
        return true;
    }
    int64_t i;
    if (!is_int(key) && !(key.is_object() && type_of(key)->index))
        return (void)raise(&exc::TypeError, "indices must be integers"), false;
    if (!index_value(key, &i)) return false;
    if (i < 0) i += s->length;
    if (i < 0 || i >= s->length) return (void)raise(&exc::IndexError, "invalid index"), false;
    return element_set(s->ct, s->data + i * s->ct->size, v);
}

Ref rawarray_iter(Value self) {
    auto* s = self.as<SharedData>();
    Ref all = new_slice(Value::none(), Value::none(), Value::none());
    if (!all) return nullptr;
    Ref items = rawarray_getitem(self, *all);
    if (!items) return nullptr;
    (void)s;
    return get_iter(*items);
}

Ref rawarray_repr(Value self) {
    auto* s = self.as<SharedData>();
    return Ref(new_str(fmt::format("<multiprocessing.sharedctypes.{}_Array_{} object at {:#x}>",
                                   s->ct->name, s->length,
                                   reinterpret_cast<uintptr_t>(s))));
}

// c_char arrays: .value is the bytes up to the first NUL, .raw all of them.
Ref rawarray_get_value(Value self) {
    auto* s = self.as<SharedData>();
    if (s->ct->code != 'c')
        return raisef(&exc::AttributeError, "'{}_Array_{}' object has no attribute 'value'",
                      s->ct->name, s->length);
    size_t n = ::strnlen(s->data, static_cast<size_t>(s->length));
    return Ref(new_bytes(std::string_view(s->data, n)));
}
bool rawarray_set_value(Value self, Value v) {
    auto* s = self.as<SharedData>();
    if (s->ct->code != 'c' || v.is_null() || !is_bytes(v))
        return (void)raise(&exc::TypeError, "bytes expected"), false;
    std::string_view b = bytes_view(v);
    if (static_cast<int64_t>(b.size()) > s->length)
        return (void)raise(&exc::ValueError, "byte string too long"), false;
    std::memcpy(s->data, b.data(), b.size());
    if (static_cast<int64_t>(b.size()) < s->length) s->data[b.size()] = 0;
    return true;
}
Ref rawarray_get_raw(Value self) {
    auto* s = self.as<SharedData>();
    return Ref(new_bytes(std::string_view(s->data, static_cast<size_t>(s->length) * s->ct->size)));
}

const GetSetDef kRawArrayGetSets[] = {
    {"value", rawarray_get_value, rawarray_set_value},
    {"raw", rawarray_get_raw},
    {"_typecode", shared_get_typecode},
    {nullptr, nullptr},
};

// --- connection I/O --------------------------------------------------------------------------

bool fd_arg(Value v, int* fd) {
    int64_t n;
    if (!index_value(v, &n)) return false;
    if (n < 0 || n > INT_MAX) return (void)raise(&exc::OSError, "handle is invalid"), false;
    *fd = static_cast<int>(n);
    return true;
}

// Writes iov fully with SIGPIPE blocked in this thread (a SIGPIPE caused by our write is
// consumed). GIL released by the caller. 0 or an errno; EINTR is returned to the caller after
// partial progress is recorded in iov.
int writev_all(int fd, struct iovec* iov, int n) {
    sigset_t pipe_set, old, pending;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    sigemptyset(&pending);
    ::sigpending(&pending);
    bool was_pending = sigismember(&pending, SIGPIPE) == 1;
    int err = 0;
    int i = 0;
    while (i < n) {
        if (iov[i].iov_len == 0) {
            ++i;
            continue;
        }
        ssize_t w = ::writev(fd, iov + i, n - i);
        if (w < 0) {
            err = errno;
            break;
        }
        size_t left = static_cast<size_t>(w);
        while (i < n && left >= iov[i].iov_len) {
            left -= iov[i].iov_len;
            iov[i].iov_len = 0;
            ++i;
        }
        if (i < n) {
            iov[i].iov_base = static_cast<char*>(iov[i].iov_base) + left;
            iov[i].iov_len -= left;
        }
    }
    if (err == EPIPE && !was_pending) {
        struct timespec zero = {0, 0};
        while (::sigtimedwait(&pipe_set, nullptr, &zero) < 0 && errno == EINTR) {
        }
    }
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    return err;
}

// send(fd, data): one framed message. data: bytes (or bytes-like).
Ref mp_send(Value, CallArgs a) {
    int fd;
    if (!detail::unpack_args("send", a, 2, 2) || !fd_arg(a.args[0], &fd)) return nullptr;
    Ref data = bytes_from_object(a.args[1]);
    if (!data) return nullptr;
    std::string_view payload = bytes_view(*data);  // kept alive by `data`
    unsigned char header[12];
    size_t hlen;
    uint64_t n = payload.size();
    if (n > 0x7fffffffu) {
        std::memset(header, 0xff, 4);
        for (int k = 0; k < 8; ++k) header[4 + k] = static_cast<unsigned char>(n >> (56 - 8 * k));
        hlen = 12;
    } else {
        for (int k = 0; k < 4; ++k) header[k] = static_cast<unsigned char>(n >> (24 - 8 * k));
        hlen = 4;
    }
    struct iovec iov[2] = {{header, hlen}, {const_cast<char*>(payload.data()), payload.size()}};
    for (;;) {
        int err;
        {
            GilRelease unlocked(GilReleaseReason::kBlocking);
            err = writev_all(fd, iov, 2);
        }
        if (err == 0) return Ref::none();
        if (err != EINTR) return raise_errno(err);
        if (!handle_pending_signals()) return nullptr;
    }
}

// Reads exactly n bytes into out (GIL released by the caller). Returns 0, an errno, or -1 at
// EOF (with *got bytes read). EINTR is returned with progress kept in *got.
int read_exact(int fd, char* out, size_t n, size_t* got) {
    while (*got < n) {
        ssize_t r = ::read(fd, out + *got, n - *got);
        if (r < 0) return errno;
        if (r == 0) return -1;
        *got += static_cast<size_t>(r);
    }
    return 0;
}

// Reads n bytes with the GIL released, retrying after signal handlers. 1 ok, 0 EOF (with
// *got), -1 exception.
int read_n(int fd, char* out, size_t n, size_t* got) {
    for (;;) {
        int err;
        {
            GilRelease unlocked(GilReleaseReason::kBlocking);
            err = read_exact(fd, out, n, got);
        }
        if (err == 0) return 1;
        if (err == -1) return 0;
        if (err != EINTR) return (void)raise_errno(err), -1;
        if (!handle_pending_signals()) return -1;
    }
}

// recv(fd, maxlength=None): one framed message as bytes.
Ref mp_recv(Value, CallArgs a) {
    int fd;
    if (!detail::unpack_args("recv", a, 1, 2) || !fd_arg(a.args[0], &fd)) return nullptr;
    int64_t maxlength = -1;
    if (a.npos == 2 && !a.args[1].is_none() && !index_value(a.args[1], &maxlength)) return nullptr;
    unsigned char header[8];
    size_t got = 0;
    int r = read_n(fd, reinterpret_cast<char*>(header), 4, &got);
    if (r < 0) return nullptr;
    if (r == 0) {
        if (got == 0) return raise_value(Value::object(&exc::EOFError));
        return raise(&exc::OSError, "got end of file during message");
    }
    int32_t size32 = static_cast<int32_t>((uint32_t{header[0]} << 24) | (uint32_t{header[1]} << 16) |
                                          (uint32_t{header[2]} << 8) | uint32_t{header[3]});
    uint64_t size = static_cast<uint32_t>(size32);
    if (size32 == -1) {
        got = 0;
        r = read_n(fd, reinterpret_cast<char*>(header), 8, &got);
        if (r < 0) return nullptr;
        if (r == 0) return raise(&exc::OSError, "got end of file during message");
        size = 0;
        for (int k = 0; k < 8; ++k) size = (size << 8) | header[k];
    } else if (size32 < 0) {
        return raise(&exc::OSError, "bad message length");
    }
    if (maxlength >= 0 && size > static_cast<uint64_t>(maxlength))
        return raise(&exc::OSError, "bad message length");
    if (size > (uint64_t{1} << 40)) return raise_no_memory();
    RefT<Bytes> b = new_bytes_uninit(static_cast<int64_t>(size));
    if (!b) return nullptr;
    // The new bytes object is reachable only from this frame: writing into it with the GIL
    // released touches no shared object.
    got = 0;
    r = read_n(fd, b->data, static_cast<size_t>(size), &got);
    if (r < 0) return nullptr;
    if (r == 0) return raise(&exc::OSError, "got end of file during message");
    return Ref(std::move(b));
}

// Polls fds for input (POLLIN/POLLHUP/POLLERR) with the GIL released. Fills `ready` with the
// ready indexes. timeout < 0: forever. False with an exception.
bool poll_fds(const std::vector<int>& fds, double timeout, std::vector<size_t>* ready) {
    std::vector<struct pollfd> pfds(fds.size());
    for (size_t i = 0; i < fds.size(); ++i) pfds[i] = {fds[i], POLLIN, 0};
    struct timespec deadline = timeout >= 0 ? deadline_after(timeout) : timespec{};
    for (;;) {
        int rc, err;
        {
            GilRelease unlocked(GilReleaseReason::kBlocking);
            rc = ::poll(pfds.data(), pfds.size(), timeout >= 0 ? ms_left(deadline) : -1);
            err = errno;
        }
        if (rc >= 0) {
            for (size_t i = 0; i < pfds.size(); ++i)
                if (pfds[i].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) ready->push_back(i);
            return true;
        }
        if (err != EINTR) return (void)raise_errno(err), false;
        if (!handle_pending_signals()) return false;
    }
}

// poll(fd, timeout=0.0) -> bool.
Ref mp_poll(Value, CallArgs a) {
    int fd;
    if (!detail::unpack_args("poll", a, 1, 2) || !fd_arg(a.args[0], &fd)) return nullptr;
    double timeout = 0;
    if (a.npos == 2 && !timeout_arg(a.args[1], &timeout)) return nullptr;
    std::vector<size_t> ready;
    if (!poll_fds({fd}, timeout, &ready)) return nullptr;
    return Ref::boolean(!ready.empty());
}

// wait(fds, timeout=None) -> list of the indexes of the ready fds.
Ref mp_wait(Value, CallArgs a) {
    if (!detail::unpack_args("wait", a, 1, 2)) return nullptr;
    double timeout = -1;
    if (a.npos == 2 && !timeout_arg(a.args[1], &timeout)) return nullptr;
    Ref it = get_iter(a.args[0]);
    if (!it) return nullptr;
    std::vector<int> fds;
    for (;;) {
        Ref x = iter_next(*it);
        if (!x) {
            if (error_occurred()) return nullptr;
            break;
        }
        int fd;
        if (!fd_arg(*x, &fd)) return nullptr;
        fds.push_back(fd);
    }
    std::vector<size_t> ready;
    if (!poll_fds(fds, timeout, &ready)) return nullptr;
    RefT<List> l = new_list(static_cast<int64_t>(ready.size()));
    if (!l) return nullptr;
    for (size_t i : ready) {
        Ref n = make_int(static_cast<int64_t>(i));
        if (!n || !list_append(l.get(), *n)) return nullptr;
    }
    return Ref(std::move(l));
}

// format_exception(exc) -> the traceback text CPython's traceback.format_exception gives.
Ref mp_format_exception(Value, CallArgs a) {
    if (!detail::unpack_args("format_exception", a, 1, 1)) return nullptr;
    if (!is_exception(a.args[0]))
        return raisef(&exc::TypeError, "format_exception() argument must be an exception, not {}",
                      type_name(a.args[0]));
    return Ref(new_str(format_exception(a.args[0])));
}

// socketpair() -> (fd1, fd2): a connected AF_UNIX stream pair (close-on-exec), for duplex
// Pipe().
Ref mp_socketpair(Value, CallArgs a) {
    if (!detail::unpack_args("socketpair", a, 0, 0)) return nullptr;
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return raise_errno(errno);
    Ref a0 = make_int(fds[0]), a1 = make_int(fds[1]);
    RefT<Tuple> t = a0 && a1 ? new_tuple_of({*a0, *a1}) : nullptr;
    if (!t) {
        ::close(fds[0]);
        ::close(fds[1]);
        return nullptr;
    }
    return Ref(std::move(t));
}

// sem_value_max() etc. are constants; flags as CPython's _multiprocessing.flags.
const MethodDef kFunctions[] = {
    {"send", mp_send},
    {"recv", mp_recv},
    {"poll", mp_poll},
    {"wait", mp_wait},
    {"format_exception", mp_format_exception},
    {"socketpair", mp_socketpair},
    {nullptr, nullptr},
};

void init_types() {
    register_runtime_fork_handler({arena_prepare_fork, arena_parent_after_fork, child_after_fork});
    semlock_type.name = "_multiprocessing.SemLock";
    semlock_type.basic_size = sizeof(SemLockObject);
    semlock_type.flags |= kBaseType;
    semlock_type.dealloc = semlock_dealloc;
    semlock_type.new_ = semlock_new;
    semlock_type.methods = kSemLockMethods;
    semlock_type.getsets = kSemLockGetSets;
    type_ready(&semlock_type, &object_type);

    rawvalue_type.name = "_multiprocessing.RawValue";
    rawvalue_type.basic_size = sizeof(SharedData);
    rawvalue_type.dealloc = shared_dealloc;
    rawvalue_type.new_ = rawvalue_new;
    rawvalue_type.repr = rawvalue_repr;
    rawvalue_type.getsets = kRawValueGetSets;
    type_ready(&rawvalue_type, &object_type);

    rawarray_type.name = "_multiprocessing.RawArray";
    rawarray_type.basic_size = sizeof(SharedData);
    rawarray_type.dealloc = shared_dealloc;
    rawarray_type.new_ = rawarray_new;
    rawarray_type.repr = rawarray_repr;
    rawarray_type.len = rawarray_len;
    rawarray_type.getitem = rawarray_getitem;
    rawarray_type.setitem = rawarray_setitem;
    rawarray_type.iter = rawarray_iter;
    rawarray_type.getsets = kRawArrayGetSets;
    type_ready(&rawarray_type, &object_type);
}

}  // namespace

RefT<Module> create_multiprocessing_module() {
    static std::once_flag once;
    std::call_once(once, init_types);
    RefT<Module> m = new_module("_multiprocessing");
    if (!m || !module_add_functions(m.get(), kFunctions)) return nullptr;
    Ref maxv = make_int(SEM_VALUE_MAX), rm = make_int(kRecursiveMutex), sm = make_int(kSemaphore);
    if (!maxv || !rm || !sm) return nullptr;
    if (!module_add(m.get(), "SemLock", Value::object(&semlock_type)) ||
        !module_add(m.get(), "RawValue", Value::object(&rawvalue_type)) ||
        !module_add(m.get(), "RawArray", Value::object(&rawarray_type)) ||
        !module_add(m.get(), "SEM_VALUE_MAX", *maxv) ||
        !module_add(m.get(), "RECURSIVE_MUTEX", *rm) ||
        !module_add(m.get(), "SEMAPHORE", *sm))
        return nullptr;
    return m;
}

}  // namespace toy
