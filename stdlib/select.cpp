// select.cpp: the native `select` module (CPython's selectmodule.c on Linux): select(),
// poll objects and epoll objects, with the constants.
//
// select.select() is implemented with poll(2) (no FD_SETSIZE limit; rlist -> POLLIN,
// wlist -> POLLOUT, xlist -> POLLPRI; POLLERR/POLLHUP count as readable and writable as
// select(2) reports them) and returns the caller's own objects, in the caller's order.
// A poll object keeps its registrations in insertion order (a vector plus an index by fd),
// which is the order poll() reports events in, as CPython's dict-backed one does.
// An epoll object owns one epoll descriptor (EPOLL_CLOEXEC), closed by close() or when the
// object dies.
//
// BLOCKING PATHS AND THE GIL. The three waits (select's poll, poll.poll, epoll.poll) run
// with the GIL released: the descriptor set is copied into a C array first (poll) or lives
// in the kernel (epoll), and results are turned into Toy objects after re-taking the GIL.
// A poll object refuses a second concurrent poll() ("concurrent poll() invocation"), as
// CPython does, through its `polling` flag (read and written with the GIL held). Closing an
// epoll object while another thread waits on it only makes that wait fail with EBADF.
// EINTR: the pending signal handlers run and, if none raised, the wait is retried with the
// remaining timeout (PEP 475).
#include <poll.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits.h>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "runtime/abstract.h"
#include "runtime/dict.h"
#include "runtime/errors.h"
#include "runtime/float.h"
#include "runtime/gil.h"
#include "runtime/int.h"
#include "runtime/list.h"
#include "runtime/module.h"
#include "runtime/native_function.h"
#include "runtime/signals.h"
#include "runtime/str.h"
#include "runtime/tuple.h"
#include "stdlib/registry.h"
#include "stdlib/util.h"

namespace toy {

Type poll_type;
Type epoll_type;

namespace {

using detail::deadline_after;
using detail::monotonic_ns;
using detail::ms_until;

// PyObject_AsFileDescriptor: an int, or an object with a fileno() method.
bool as_fd(Value v, int* out) {
    int64_t fd;
    if (is_int(v)) {
        if (!int_value(v, &fd)) return false;
    } else {
        Ref meth = getattr_or_null(v, TOY_NAME(fileno));
        if (!meth) {
            if (error_occurred()) return false;
            (void)raise(&exc::TypeError, "argument must be an int, or have a fileno() method.");
            return false;
        }
        Ref r = call(*meth, {});
        if (!r) return false;
        if (!is_int(*r)) {
            (void)raise(&exc::TypeError, "fileno() returned a non-integer");
            return false;
        }
        if (!int_value(*r, &fd)) return false;
    }
    if (fd < 0) {
        (void)raisef(&exc::ValueError, "file descriptor cannot be a negative integer ({})", fd);
        return false;
    }
    if (fd > INT_MAX) {
        (void)raise(&exc::OverflowError, "Python int too large to convert to C int");
        return false;
    }
    *out = static_cast<int>(fd);
    return true;
}

// Seconds (None: -1 = forever; negative: -2) for select() and epoll.poll(), converted as
// CPython's _PyTime_FromSecondsObject (nanoseconds in an int64, its overflow messages).
bool seconds_timeout(Value v, const char* type_msg, int64_t* out_ns) {
    if (v.is_null() || v.is_none()) {
        *out_ns = -1;
        return true;
    }
    double d;
    if (is_float(v)) {
        d = float_as_double(v);
        if (std::isnan(d)) {
            (void)raise(&exc::ValueError, "Invalid value NaN (not a number)");
            return false;
        }
        if (!(d * 1e9 >= -9223372036854775808.0 && d * 1e9 < 9223372036854775808.0)) {
            (void)raise(&exc::OverflowError, "timestamp out of range for platform time_t");
            return false;
        }
    } else if (is_int(v)) {
        int64_t i;
        if (!int_value(v, &i) || i > 9223372036 || i < -9223372036) {
            clear_error();
            (void)raise(&exc::OverflowError, "timestamp too large to convert to C _PyTime_t");
            return false;
        }
        d = static_cast<double>(i);
    } else {
        (void)raise(&exc::TypeError, type_msg);
        return false;
    }
    if (d < 0) {
        *out_ns = -2;
        return true;
    }
    double ns = std::ceil(d * 1e9);
    *out_ns = ns >= 9223372036854775807.0 ? INT64_MAX : static_cast<int64_t>(ns);
    return true;
}

int ms_left(int64_t deadline_ns) {
    if (deadline_ns < 0) return -1;
    return ms_until(deadline_ns);
}

// Waits on `fds` with the GIL released, retrying after EINTR with the remaining time.
// Returns the number ready, or -1 with an exception set.
int wait_poll(std::vector<struct pollfd>& fds, int64_t deadline_ns) {
    for (;;) {
        int n, err;
        int ms = ms_left(deadline_ns);
        {
            GilRelease unlocked(GilReleaseReason::kBlocking);
            n = ::poll(fds.data(), fds.size(), ms);
            err = errno;
        }
        if (n == 0 && ms == INT_MAX) continue;  // a wait longer than poll() takes
        if (n >= 0) return n;
        if (err != EINTR) return (void)raise_errno(err), -1;
        if (!handle_pending_signals()) return -1;
    }
}

// ---- select.select --------------------------------------------------------------------------

struct Entry {
    Ref obj;
    int fd;
};

bool seq_to_entries(Value seq, std::vector<Entry>* out) {
    Ref it = get_iter(seq);
    if (!it) {
        if (error_matches(&exc::TypeError)) {
            clear_error();
            (void)raise(&exc::TypeError, "arguments 1-3 must be sequences");
        }
        return false;
    }
    for (;;) {
        Ref x = iter_next(*it);
        if (!x) return !error_occurred();
        int fd;
        if (!as_fd(*x, &fd)) return false;
        out->push_back({std::move(x), fd});
    }
}

Ref select_select(Value, CallArgs a) {
    if (!detail::unpack_args("select", a, 3, 4)) return nullptr;
    int64_t timeout_ns = -1;
    if (a.npos == 4 && !seconds_timeout(a.args[3], "timeout must be a float or None", &timeout_ns)) return nullptr;
    if (timeout_ns == -2) return raise(&exc::ValueError, "timeout must be non-negative");
    std::vector<Entry> lists[3];
    for (int i = 0; i < 3; i++)
        if (!seq_to_entries(a.args[i], &lists[i])) return nullptr;
    static const short kEvents[3] = {POLLIN, POLLOUT, POLLPRI};
    std::vector<struct pollfd> fds;
    std::unordered_map<int, size_t> index;
    for (int i = 0; i < 3; i++) {
        for (const Entry& e : lists[i]) {
            auto [pos, inserted] = index.emplace(e.fd, fds.size());
            if (inserted) fds.push_back({e.fd, 0, 0});
            fds[pos->second].events |= kEvents[i];
        }
    }
    int64_t deadline = timeout_ns < 0 ? -1 : deadline_after(timeout_ns);
    int n = wait_poll(fds, deadline);
    if (n < 0) return nullptr;
    for (const auto& p : fds)
        if (p.revents & POLLNVAL) return raise_errno(EBADF);
    RefT<List> results[3];
    for (int i = 0; i < 3; i++) {
        results[i] = new_list(0);
        if (!results[i]) return nullptr;
        if (n == 0) continue;
        for (const Entry& e : lists[i]) {
            short rev = fds[index[e.fd]].revents;
            bool ready;
            if (i == 0) {
                ready = rev & (POLLIN | POLLERR | POLLHUP);
            } else if (i == 1) {
                ready = rev & (POLLOUT | POLLERR);
            } else {
                ready = rev & POLLPRI;
            }
            if (ready && !list_append(results[i].get(), e.obj.get())) return nullptr;
        }
    }
    return Ref(new_tuple_of({Value::object(results[0].get()), Value::object(results[1].get()),
                             Value::object(results[2].get())}));
}

// ---- poll objects ---------------------------------------------------------------------------

struct PollObject : Object {
    std::vector<struct pollfd>* fds;       // registration order
    std::unordered_map<int, size_t>* index;  // fd -> position in fds
    bool polling;
};

PollObject* as_poll(Value v) { return v.as<PollObject>(); }

void poll_dealloc(Object* o) {
    auto* p = static_cast<PollObject*>(o);
    delete p->fds;
    delete p->index;
    object_free(p, p->type->basic_size);
}

Ref select_poll(Value, CallArgs a) {
    if (!detail::unpack_args("poll", a, 0, 0)) return nullptr;
    auto* p = new_object<PollObject>(&poll_type, 0);
    if (!p) return nullptr;
    p->fds = new std::vector<struct pollfd>();
    p->index = new std::unordered_map<int, size_t>();
    p->polling = false;
    return Ref::steal(p);
}

bool event_mask(Value v, unsigned short* out) {
    int64_t m;
    if (!index_value(v, &m)) return false;
    if (m < 0) {
        (void)raise(&exc::ValueError, "value must be positive");
        return false;
    }
    if (m > 0xffff) {
        (void)raise(&exc::OverflowError, "Python int too large for C unsigned short");
        return false;
    }
    *out = static_cast<unsigned short>(m);
    return true;
}

Ref poll_register(Value self, CallArgs a) {
    if (!detail::unpack_args("register", a, 1, 2)) return nullptr;
    int fd;
    unsigned short mask = POLLIN | POLLPRI | POLLOUT;
    if (!as_fd(a.args[0], &fd)) return nullptr;
    if (a.npos == 2 && !event_mask(a.args[1], &mask)) return nullptr;
    PollObject* p = as_poll(self);
    auto it = p->index->find(fd);
    if (it != p->index->end()) {
        (*p->fds)[it->second].events = static_cast<short>(mask);
    } else {
        p->index->emplace(fd, p->fds->size());
        p->fds->push_back({fd, static_cast<short>(mask), 0});
    }
    return Ref::none();
}

Ref poll_modify(Value self, CallArgs a) {
    if (!detail::unpack_args("modify", a, 2, 2)) return nullptr;
    int fd;
    unsigned short mask;
    if (!as_fd(a.args[0], &fd) || !event_mask(a.args[1], &mask)) return nullptr;
    PollObject* p = as_poll(self);
    auto it = p->index->find(fd);
    if (it == p->index->end()) return raise_errno(ENOENT);
    (*p->fds)[it->second].events = static_cast<short>(mask);
    return Ref::none();
}

Ref poll_unregister(Value self, CallArgs a) {
    if (!detail::unpack_args("unregister", a, 1, 1)) return nullptr;
    int fd;
    if (!as_fd(a.args[0], &fd)) return nullptr;
    PollObject* p = as_poll(self);
    auto it = p->index->find(fd);
    if (it == p->index->end()) {
        Ref k = make_int(fd);
        if (!k) return nullptr;
        return raise_with(&exc::KeyError, *k);
    }
    size_t pos = it->second;
    p->index->erase(it);
    p->fds->erase(p->fds->begin() + static_cast<std::ptrdiff_t>(pos));
    for (auto& [k, v] : *p->index)
        if (v > pos) --v;
    return Ref::none();
}

// poll([timeout]) -> [(fd, events), ...]; timeout in milliseconds (None/negative: forever).
Ref poll_poll(Value self, CallArgs a) {
    if (!detail::unpack_args("poll", a, 0, 1)) return nullptr;
    int64_t timeout_ns = -1;
    if (a.npos == 1 && !a.args[0].is_none()) {
        Value v = a.args[0];
        double ms;
        if (is_float(v)) {
            ms = float_as_double(v);
            if (std::isnan(ms)) return raise(&exc::ValueError, "Invalid value NaN (not a number)");
        } else if (is_int(v)) {
            int64_t i;
            if (!int_value(v, &i)) return nullptr;
            ms = static_cast<double>(i);
        } else {
            return raise(&exc::TypeError, "timeout must be an integer or None");
        }
        if (ms > 9.2e12) return raise(&exc::OverflowError, "timeout is too large");
        timeout_ns = ms < 0 ? -1 : static_cast<int64_t>(std::ceil(ms * 1e6));
    }
    PollObject* p = as_poll(self);
    if (p->polling) return raise(&exc::RuntimeError, "concurrent poll() invocation");
    std::vector<struct pollfd> fds(*p->fds);
    int64_t deadline = timeout_ns < 0 ? -1 : deadline_after(timeout_ns);
    p->polling = true;
    int n = wait_poll(fds, deadline);
    p->polling = false;
    if (n < 0) return nullptr;
    RefT<List> out = new_list(n);
    if (!out) return nullptr;
    for (const auto& pf : fds) {
        if (pf.revents == 0) continue;
        Ref fd = make_int(pf.fd), ev = make_int(static_cast<unsigned short>(pf.revents));
        if (!fd || !ev) return nullptr;
        RefT<Tuple> t = new_tuple_of({*fd, *ev});
        if (!t || !list_append(out.get(), Value::object(t.get()))) return nullptr;
    }
    return Ref(std::move(out));
}

const MethodDef kPollMethods[] = {
    {"register", poll_register},
    {"modify", poll_modify},
    {"unregister", poll_unregister},
    {"poll", poll_poll},
    {nullptr, nullptr},
};

// ---- epoll objects --------------------------------------------------------------------------

struct EpollObject : Object {
    int epfd;  // -1 once closed
};

EpollObject* as_epoll(Value v) { return v.as<EpollObject>(); }

void epoll_dealloc(Object* o) {
    auto* e = static_cast<EpollObject*>(o);
    if (e->epfd >= 0) ::close(e->epfd);
    object_free(e, e->type->basic_size);
}

bool epoll_check(EpollObject* e) {
    if (e->epfd >= 0) return true;
    (void)raise(&exc::ValueError, "I/O operation on closed epoll object");
    return false;
}

Ref new_epoll(Type* type, int epfd) {
    auto* e = new_object<EpollObject>(type, 0);
    if (!e) {
        ::close(epfd);
        return nullptr;
    }
    e->epfd = epfd;
    return Ref::steal(e);
}

// epoll(sizehint=-1, flags=0)
Ref epoll_new(Type* type, CallArgs a) {
    Value args[2] = {};
    if (!parse_args("epoll", a, 0, 2, {"sizehint", "flags"}, args)) return nullptr;
    int64_t sizehint = -1, flags = 0;
    if (!args[0].is_null() && !index_value(args[0], &sizehint)) return nullptr;
    if (!args[1].is_null() && !index_value(args[1], &flags)) return nullptr;
    if (sizehint == 0 || sizehint < -1) return raise(&exc::ValueError, "negative sizehint");
    if (flags != 0 && flags != EPOLL_CLOEXEC) return raise_errno(EINVAL);
    int fd = ::epoll_create1(EPOLL_CLOEXEC);
    if (fd < 0) return raise_errno(errno);
    return new_epoll(type, fd);
}

Ref epoll_fromfd(Value cls, CallArgs a) {
    if (!detail::unpack_args("fromfd", a, 1, 1)) return nullptr;
    int64_t fd;
    if (!index_value(a.args[0], &fd)) return nullptr;
    if (fd < 0 || fd > INT_MAX) return raise_errno(EBADF);
    return new_epoll(cls.as<Type>(), static_cast<int>(fd));
}

Ref epoll_close(Value self, CallArgs a) {
    if (!detail::unpack_args("close", a, 0, 0)) return nullptr;
    EpollObject* e = as_epoll(self);
    if (e->epfd >= 0) {
        int fd = e->epfd;
        e->epfd = -1;
        if (::close(fd) < 0) return raise_errno(errno);
    }
    return Ref::none();
}

Ref epoll_get_closed(Value self) { return Ref::boolean(as_epoll(self)->epfd < 0); }

Ref epoll_fileno(Value self, CallArgs a) {
    if (!detail::unpack_args("fileno", a, 0, 0)) return nullptr;
    EpollObject* e = as_epoll(self);
    if (!epoll_check(e)) return nullptr;
    return make_int(e->epfd);
}

Ref epoll_ctl_impl(Value self, CallArgs a, int op, const char* name) {
    Value args[2] = {};
    if (op == EPOLL_CTL_DEL) {
        if (!parse_args(name, a, 1, 1, {"fd"}, args)) return nullptr;
    } else if (op == EPOLL_CTL_ADD) {
        if (!parse_args(name, a, 1, 2, {"fd", "eventmask"}, args)) return nullptr;
    } else {
        if (!parse_args(name, a, 2, 2, {"fd", "eventmask"}, args)) return nullptr;
    }
    EpollObject* e = as_epoll(self);
    int fd;
    if (!as_fd(args[0], &fd)) return nullptr;
    int64_t mask = EPOLLIN | EPOLLPRI | EPOLLOUT;
    if (!args[1].is_null()) {
        // CPython's "I" conversion: any int, masked to 32 bits without an overflow check.
        if (!is_int(args[1]))
            return raisef(&exc::TypeError, "'{}' object cannot be interpreted as an integer", type_name(args[1]));
        if (!int_value(args[1], &mask)) {
            clear_error();
            mask = -1;
        }
    }
    if (!epoll_check(e)) return nullptr;
    struct epoll_event ev;
    std::memset(&ev, 0, sizeof ev);
    ev.events = static_cast<uint32_t>(mask);
    ev.data.fd = fd;
    if (::epoll_ctl(e->epfd, op, fd, &ev) < 0) {
        int err = errno;
        // CPython ignores EBADF on unregister (the fd may already be closed).
        if (op == EPOLL_CTL_DEL && err == EBADF) return Ref::none();
        return raise_errno(err);
    }
    return Ref::none();
}

Ref epoll_register(Value self, CallArgs a) { return epoll_ctl_impl(self, a, EPOLL_CTL_ADD, "register"); }
Ref epoll_modify(Value self, CallArgs a) { return epoll_ctl_impl(self, a, EPOLL_CTL_MOD, "modify"); }
Ref epoll_unregister(Value self, CallArgs a) { return epoll_ctl_impl(self, a, EPOLL_CTL_DEL, "unregister"); }

// epoll_wait() until events arrive or `timeout_ns` (-1: forever) passes, GIL released while
// waiting, EINTR retried after the signal handlers. The count, or -1 with an exception set.
int wait_epoll(int epfd, struct epoll_event* evs, int maxevents, int64_t timeout_ns) {
    int64_t deadline = timeout_ns < 0 ? -1 : deadline_after(timeout_ns);
    for (;;) {
        int n, err;
        int ms = ms_left(deadline);
        if (ms == 0) {
            // Nothing to wait for: no need to drop the GIL.
            n = ::epoll_wait(epfd, evs, maxevents, 0);
            err = errno;
        } else {
            GilRelease unlocked(GilReleaseReason::kBlocking);
            n = ::epoll_wait(epfd, evs, maxevents, ms);
            err = errno;
        }
        if (n == 0 && ms == INT_MAX) continue;  // a wait longer than epoll_wait() takes
        if (n >= 0) return n;
        if (err != EINTR) return (void)raise_errno(err), -1;
        if (!handle_pending_signals()) return -1;
    }
}

// epoll._select_keys(timeout, fd_to_key): the loop of selectors.EpollSelector.select done
// natively (not in CPython's API; private to selectors.toy). Waits for up to
// max(len(fd_to_key), 1) events and returns [(key, events & key.events), ...] with
// EVENT_READ = 1 / EVENT_WRITE = 2 computed as selectors.py does, skipping unknown fds.
Ref epoll_select_keys(Value self, CallArgs a) {
    if (!detail::unpack_args("_select_keys", a, 2, 2)) return nullptr;
    EpollObject* e = as_epoll(self);
    int64_t timeout_ns;
    if (!seconds_timeout(a.args[0], "timeout must be an integer or None", &timeout_ns)) return nullptr;
    if (timeout_ns == -2) timeout_ns = -1;
    if (!is_dict(a.args[1])) return raise(&exc::TypeError, "_select_keys() argument 2 must be dict");
    Dict* fd_to_key = a.args[1].as<Dict>();
    if (!epoll_check(e)) return nullptr;
    int64_t maxevents = fd_to_key->used > 0 ? fd_to_key->used : 1;
    if (maxevents > (1 << 20)) maxevents = 1 << 20;  // more than epoll can report at once anyway
    struct epoll_event small[256];
    std::vector<struct epoll_event> big;
    struct epoll_event* evs = small;
    if (maxevents > 256) {
        big.resize(static_cast<size_t>(maxevents));
        evs = big.data();
    }
    int n = wait_epoll(e->epfd, evs, static_cast<int>(maxevents), timeout_ns);
    if (n < 0) return nullptr;
    RefT<List> out = new_list(n);
    if (!out) return nullptr;
    for (int i = 0; i < n; i++) {
        uint32_t ev = evs[i].events;
        int64_t events = 0;
        if (ev & ~static_cast<uint32_t>(EPOLLIN)) events |= 2;
        if (ev & ~static_cast<uint32_t>(EPOLLOUT)) events |= 1;
        Value key = dict_get(fd_to_key, Value::small_int(evs[i].data.fd));
        if (key.is_null()) {
            if (error_occurred()) return nullptr;
            continue;
        }
        Ref kev;
        if (is_tuple(key) && key.as<Tuple>()->size == 4) {
            kev = Ref::borrow(key.as<Tuple>()->items[2]);
        } else {
            kev = getattr(key, TOY_NAME(events));
            if (!kev) return nullptr;
        }
        int64_t mask;
        if (!is_int(*kev) || !int_value(*kev, &mask)) {
            Ref r = binary_op(BinOp::kAnd, Value::small_int(events), *kev);
            if (!r) return nullptr;
            RefT<Tuple> t = new_tuple_of({key, *r});
            if (!t || !list_append(out.get(), Value::object(t.get()))) return nullptr;
            continue;
        }
        Ref evv = make_int(events & mask);
        if (!evv) return nullptr;
        RefT<Tuple> t = new_tuple_of({key, *evv});
        if (!t || !list_append(out.get(), Value::object(t.get()))) return nullptr;
    }
    return Ref(std::move(out));
}

// poll(timeout=None, maxevents=-1) -> [(fd, events), ...]; timeout in seconds.
Ref epoll_poll(Value self, CallArgs a) {
    Value args[2] = {};
    if (!parse_args("poll", a, 0, 2, {"timeout", "maxevents"}, args)) return nullptr;
    EpollObject* e = as_epoll(self);
    int64_t timeout_ns = -1;
    if (!args[0].is_null() && !seconds_timeout(args[0], "timeout must be an integer or None", &timeout_ns))
        return nullptr;
    if (timeout_ns == -2) timeout_ns = -1;  // negative: forever
    int64_t maxevents = -1;
    if (!args[1].is_null() && !index_value(args[1], &maxevents)) return nullptr;
    if (!epoll_check(e)) return nullptr;
    if (maxevents == -1) {
        maxevents = 1023;  // FD_SETSIZE - 1
    } else if (maxevents < 1) {
        return raisef(&exc::ValueError, "maxevents must be greater than 0, got {}", maxevents);
    }
    if (maxevents > INT_MAX / static_cast<int64_t>(sizeof(struct epoll_event)))
        return raise(&exc::MemoryError, "");
    struct epoll_event small[256];
    std::vector<struct epoll_event> big;
    struct epoll_event* evs = small;
    if (maxevents > 256) {
        big.resize(static_cast<size_t>(maxevents));
        evs = big.data();
    }
    int n = wait_epoll(e->epfd, evs, static_cast<int>(maxevents), timeout_ns);
    if (n < 0) return nullptr;
    RefT<List> out = new_list(n);
    if (!out) return nullptr;
    for (int i = 0; i < n; i++) {
        Ref fd = make_int(evs[i].data.fd), ev = make_int(evs[i].events);
        if (!fd || !ev) return nullptr;
        RefT<Tuple> t = new_tuple_of({*fd, *ev});
        if (!t || !list_append(out.get(), Value::object(t.get()))) return nullptr;
    }
    return Ref(std::move(out));
}

Ref epoll_enter(Value self, CallArgs a) {
    if (!detail::unpack_args("__enter__", a, 0, 0)) return nullptr;
    if (!epoll_check(as_epoll(self))) return nullptr;
    return Ref::borrow(self);
}

Ref epoll_exit(Value self, CallArgs) {
    EpollObject* e = as_epoll(self);
    if (e->epfd >= 0) {
        ::close(e->epfd);
        e->epfd = -1;
    }
    return Ref::none();
}

const MethodDef kEpollMethods[] = {
    {"register", epoll_register},
    {"modify", epoll_modify},
    {"unregister", epoll_unregister},
    {"poll", epoll_poll},
    {"_select_keys", epoll_select_keys},
    {"close", epoll_close},
    {"fileno", epoll_fileno},
    {"fromfd", epoll_fromfd, kMethodClass},
    {"__enter__", epoll_enter},
    {"__exit__", epoll_exit},
    {nullptr, nullptr},
};

const GetSetDef kEpollGetsets[] = {
    {"closed", epoll_get_closed},
    {nullptr, nullptr},
};

const MethodDef kFunctions[] = {
    {"select", select_select},
    {"poll", select_poll},
    {nullptr, nullptr},
};

}  // namespace

RefT<Module> create_select_module() {
    static std::once_flag once;
    std::call_once(once, [] {
        poll_type.name = "select.poll";
        poll_type.basic_size = sizeof(PollObject);
        poll_type.dealloc = poll_dealloc;
        poll_type.methods = kPollMethods;
        type_ready(&poll_type, &object_type);
        epoll_type.name = "select.epoll";
        epoll_type.basic_size = sizeof(EpollObject);
        epoll_type.flags |= kBaseType;
        epoll_type.dealloc = epoll_dealloc;
        epoll_type.new_ = epoll_new;
        epoll_type.methods = kEpollMethods;
        epoll_type.getsets = kEpollGetsets;
        type_ready(&epoll_type, &object_type);
    });
    RefT<Module> m = new_module("select");
    if (!m) return nullptr;
    if (!module_add_functions(m.get(), kFunctions)) return nullptr;
    struct Const {
        const char* name;
        int64_t value;
    };
    const Const consts[] = {
        {"POLLIN", POLLIN}, {"POLLPRI", POLLPRI}, {"POLLOUT", POLLOUT}, {"POLLERR", POLLERR},
        {"POLLHUP", POLLHUP}, {"POLLNVAL", POLLNVAL}, {"POLLRDNORM", POLLRDNORM},
        {"POLLRDBAND", POLLRDBAND}, {"POLLWRNORM", POLLWRNORM}, {"POLLWRBAND", POLLWRBAND},
        {"POLLMSG", POLLMSG}, {"POLLRDHUP", POLLRDHUP},
        {"EPOLLIN", EPOLLIN}, {"EPOLLOUT", EPOLLOUT}, {"EPOLLPRI", EPOLLPRI}, {"EPOLLERR", EPOLLERR},
        {"EPOLLHUP", EPOLLHUP}, {"EPOLLET", EPOLLET}, {"EPOLLONESHOT", EPOLLONESHOT},
        {"EPOLLEXCLUSIVE", EPOLLEXCLUSIVE}, {"EPOLLRDHUP", EPOLLRDHUP}, {"EPOLLRDNORM", EPOLLRDNORM},
        {"EPOLLRDBAND", EPOLLRDBAND}, {"EPOLLWRNORM", EPOLLWRNORM}, {"EPOLLWRBAND", EPOLLWRBAND},
        {"EPOLLMSG", EPOLLMSG}, {"EPOLL_CLOEXEC", EPOLL_CLOEXEC},
        {"PIPE_BUF", PIPE_BUF},
    };
    for (const Const& c : consts) {
        Ref v = make_int(static_cast<int64_t>(static_cast<uint32_t>(c.value)));
        if (!v || !module_add(m.get(), c.name, *v)) return nullptr;
    }
    if (!module_add(m.get(), "epoll", Value::object(&epoll_type)) ||
        !module_add(m.get(), "error", Value::object(&exc::OSError)))
        return nullptr;
    return m;
}

}  // namespace toy
