// socket.cpp: the native `_socket` module (CPython's socketmodule.c on Linux): the
// `_socket.socket` type (AF_INET, AF_INET6, AF_UNIX; SOCK_STREAM, SOCK_DGRAM, ...), the
// gaierror/herror exceptions, name resolution basics (getaddrinfo, getnameinfo,
// gethostname, gethostbyname), inet_aton/ntoa/pton/ntop, byte order helpers, the default
// timeout and the constants. `socket` itself is stdlib/lib/socket.toy, a port of CPython's
// socket.py over this module (socket.socket subclasses _socket.socket; socketpair,
// create_connection, create_server, makefile live there).
//
// A socket object holds a descriptor (`fd`, -1 once closed or detached), its family, type
// and protocol, and its timeout: -1 = blocking (None), 0 = non-blocking, > 0 = seconds. As in
// CPython the descriptor is O_NONBLOCK whenever the timeout is not None; an operation on a
// socket with a timeout is tried, and while it would block poll() waits for readiness until
// the deadline (TimeoutError('timed out') when it passes) and it is tried again.
//
// BLOCKING PATHS AND THE GIL. Every call that can block (connect, accept, recv*, send*,
// sendall, close, poll-for-timeout, and name resolution: getaddrinfo, getnameinfo,
// gethostbyname(_ex), gethostbyaddr, getservbyname/port) runs with the GIL released (GilRelease), touching no Toy object meanwhile:
// the descriptor, the timeout and the buffers are copied to C values first; received bytes
// land either in a stack buffer or in a bytes object that no other thread can see yet, and
// bytearray targets (recv_into) are filled after re-taking the GIL (their buffer may have
// been resized meanwhile). A socket in non-blocking mode (timeout 0) cannot block, so its
// send/recv/accept/connect are made without releasing the GIL (asyncio's hot path).
// EINTR: the pending signal handlers run (PEP 475) and, if none raised, the call is retried
// with the remaining timeout. Another thread closing the socket while a call is blocked
// only makes that call fail (EBADF), as in CPython. No lock of its own.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include "runtime/abstract.h"
#include "runtime/bytes.h"
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

Type socket_type;

namespace {

struct SocketObject : Object {
    int fd;
    int family;
    int stype;  // the socket type (SOCK_STREAM, ...)
    int proto;
    double timeout;  // -1: blocking (None); 0: non-blocking; > 0: seconds
};

// socket.gaierror and socket.herror: heap subclasses of OSError (so that __module__ is
// 'socket', as in CPython), created by the first import and kept for the process.
Type* g_gaierror = nullptr;
Type* g_herror = nullptr;

// The module's default timeout for new sockets (-1: None). Read and written with the GIL.
double g_default_timeout = -1;

SocketObject* as_sock(Value v) { return v.as<SocketObject>(); }

using detail::deadline_after;
using detail::monotonic_ns;
using detail::ms_until;

Ref raise_timeout() { return raise(&exc::TimeoutError, "timed out"); }

Ref raise_exc2(Type* t, int code, std::string_view msg) {
    Ref c = make_int(code);
    if (!c) return nullptr;
    RefT<Str> m = new_str(msg);
    if (!m) return nullptr;
    Ref e = call(Value::object(t), {*c, Value::object(m.get())});
    if (!e) return nullptr;
    return raise_value(*e);
}

// gaierror for a getaddrinfo/getnameinfo failure (EAI_SYSTEM: the errno's OSError).
Ref raise_gai(int rc, int err) {
    if (rc == EAI_SYSTEM) return raise_errno(err);
    return raise_exc2(g_gaierror, rc, gai_strerror(rc));
}

bool c_int_arg(Value v, int* out) {
    int64_t x;
    if (!index_value(v, &x)) return false;
    if (x > INT32_MAX) {
        (void)raise(&exc::OverflowError, "signed integer is greater than maximum");
        return false;
    }
    if (x < INT32_MIN) {
        (void)raise(&exc::OverflowError, "signed integer is less than minimum");
        return false;
    }
    *out = static_cast<int>(x);
    return true;
}

// Seconds as CPython's _PyTime_FromSecondsObject converts them (nanoseconds in an int64):
// NaN -> ValueError; a float out of range -> "timestamp out of range for platform time_t";
// an int out of range -> "timestamp too large to convert to C _PyTime_t".
bool seconds_value(Value v, double* out) {
    if (is_float(v)) {
        double d = float_as_double(v);
        if (std::isnan(d)) {
            (void)raise(&exc::ValueError, "Invalid value NaN (not a number)");
            return false;
        }
        if (!(d * 1e9 >= -9223372036854775808.0 && d * 1e9 < 9223372036854775808.0)) {
            (void)raise(&exc::OverflowError, "timestamp out of range for platform time_t");
            return false;
        }
        *out = d;
        return true;
    }
    int64_t i;
    if (!index_value(v, &i)) {
        if (error_matches(&exc::OverflowError)) {
            clear_error();
            (void)raise(&exc::OverflowError, "timestamp too large to convert to C _PyTime_t");
        }
        return false;
    }
    if (i > 9223372036 || i < -9223372036) {
        (void)raise(&exc::OverflowError, "timestamp too large to convert to C _PyTime_t");
        return false;
    }
    *out = static_cast<double>(i);
    return true;
}

// settimeout()/setdefaulttimeout() argument: None -> -1, else non-negative seconds.
bool parse_timeout(Value v, double* out) {
    if (v.is_none()) {
        *out = -1;
        return true;
    }
    double d;
    if (!seconds_value(v, &d)) return false;
    if (d < 0) {
        (void)raise(&exc::ValueError, "Timeout value out of range");
        return false;
    }
    *out = d;
    return true;
}

// Makes the descriptor blocking or not (the timeout's mode). errno on failure.
int set_fd_blocking(int fd, bool block) {
    int flags = ::fcntl(fd, F_GETFL, 0);
    if (flags < 0) return -1;
    int nf = block ? (flags & ~O_NONBLOCK) : (flags | O_NONBLOCK);
    if (nf != flags && ::fcntl(fd, F_SETFL, nf) < 0) return -1;
    return 0;
}

// Runs `op` (returns >= 0 on success, -1 with errno) on s's descriptor following the
// socket's timeout. Blocking socket: one call with the GIL released. Non-blocking socket
// (timeout 0): the call cannot block, so it is made with the GIL held. Socket with a
// timeout (O_NONBLOCK descriptor): the call is tried first and, on EAGAIN, poll() waits for
// readiness (POLLIN, or POLLOUT if `writing`) until the deadline and the call is retried,
// all with the GIL released (CPython polls before the first try; trying first saves a
// system call when data is already there and behaves the same). EINTR runs the signal
// handlers and retries (PEP 475). `deadline_ns` (0: from the timeout now) lets sendall share
// one deadline across calls. Returns false with an exception set; *result gets op's value.
template <class Op>
bool sock_call(SocketObject* s, bool writing, Op&& op, ssize_t* result, int64_t deadline_ns = 0) {
    const int fd = s->fd;
    const double timeout = s->timeout;
    if (timeout == 0) {
        for (;;) {
            ssize_t r = op(fd);
            if (r >= 0) {
                *result = r;
                return true;
            }
            int err = errno;
            if (err != EINTR) return (void)raise_errno(err), false;
            if (!handle_pending_signals()) return false;
        }
    }
    if (timeout > 0 && deadline_ns == 0)
        deadline_ns = deadline_after(static_cast<int64_t>(timeout * 1e9));
    for (;;) {
        ssize_t r;
        int err = 0;
        bool timed_out = false;
        {
            GilRelease unlocked(GilReleaseReason::kBlocking);
            r = op(fd);
            if (r < 0) err = errno;
            while (r < 0 && timeout > 0 && (err == EWOULDBLOCK || err == EAGAIN)) {
                int ms = ms_until(deadline_ns);
                struct pollfd p = {fd, static_cast<short>(writing ? POLLOUT : POLLIN), 0};
                int n = ::poll(&p, 1, ms);
                if (n == 0 && ms == INT_MAX) continue;  // a wait longer than poll() takes
                if (n == 0) {
                    timed_out = true;
                    break;
                }
                if (n < 0) {
                    err = errno;
                    break;
                }
                r = op(fd);
                err = r < 0 ? errno : 0;
            }
        }
        if (timed_out) return (void)raise_timeout(), false;
        if (r >= 0) {
            *result = r;
            return true;
        }
        if (err == EINTR) {
            if (!handle_pending_signals()) return false;
            continue;
        }
        return (void)raise_errno(err), false;
    }
}

// ---- addresses ------------------------------------------------------------------------------

struct SockAddr {
    sockaddr_storage ss;
    socklen_t len;
};

// Host names: str (UTF-8; IDNA is not supported beyond ASCII), bytes or bytearray.
bool host_arg(Value v, std::string* out) {
    if (is_str(v)) {
        *out = std::string(detail::str_view(v));
        return true;
    }
    if (is_bytes_like(v)) {
        *out = std::string(buffer_view(v));
        return true;
    }
    (void)raisef(&exc::TypeError, "str, bytes or bytearray expected, not {}", type_name(v));
    return false;
}

// CPython's setipaddr(): a numeric address, '' (any), '<broadcast>', or a name resolved with
// getaddrinfo (GIL released). The address (port 0) is written into *out.
bool set_ip_addr(const std::string& host, int family, SockAddr* out) {
    std::memset(&out->ss, 0, sizeof out->ss);
    if (host.empty()) {
        if (family == AF_INET6) {
            auto* a6 = reinterpret_cast<sockaddr_in6*>(&out->ss);
            a6->sin6_family = AF_INET6;
            a6->sin6_addr = in6addr_any;
            out->len = sizeof(sockaddr_in6);
        } else {
            auto* a4 = reinterpret_cast<sockaddr_in*>(&out->ss);
            a4->sin_family = AF_INET;
            a4->sin_addr.s_addr = htonl(INADDR_ANY);
            out->len = sizeof(sockaddr_in);
        }
        return true;
    }
    if (host == "<broadcast>" || host == "255.255.255.255") {
        if (family != AF_INET && family != AF_UNSPEC) {
            (void)raise(&exc::OSError, "address family mismatched");
            return false;
        }
        auto* a4 = reinterpret_cast<sockaddr_in*>(&out->ss);
        a4->sin_family = AF_INET;
        a4->sin_addr.s_addr = htonl(INADDR_BROADCAST);
        out->len = sizeof(sockaddr_in);
        return true;
    }
    if (family == AF_INET || family == AF_UNSPEC) {
        auto* a4 = reinterpret_cast<sockaddr_in*>(&out->ss);
        if (::inet_pton(AF_INET, host.c_str(), &a4->sin_addr) == 1) {
            a4->sin_family = AF_INET;
            out->len = sizeof(sockaddr_in);
            return true;
        }
    }
    if ((family == AF_INET6 || family == AF_UNSPEC) && host.find('%') == std::string::npos) {
        auto* a6 = reinterpret_cast<sockaddr_in6*>(&out->ss);
        if (::inet_pton(AF_INET6, host.c_str(), &a6->sin6_addr) == 1) {
            a6->sin6_family = AF_INET6;
            out->len = sizeof(sockaddr_in6);
            return true;
        }
    }
    if (host.find('\0') != std::string::npos) {
        (void)raise(&exc::TypeError, "host name must not contain null character");
        return false;
    }
    struct addrinfo hints;
    std::memset(&hints, 0, sizeof hints);
    hints.ai_family = family;
    struct addrinfo* res = nullptr;
    int rc, err;
    {
        GilRelease unlocked(GilReleaseReason::kBlocking);
        rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &res);
        err = errno;
    }
    if (rc != 0) return (void)raise_gai(rc, err), false;
    size_t n = res->ai_addrlen < sizeof out->ss ? res->ai_addrlen : sizeof out->ss;
    std::memcpy(&out->ss, res->ai_addr, n);
    out->len = static_cast<socklen_t>(n);
    ::freeaddrinfo(res);
    return true;
}

bool port_arg(Value v, const char* caller, uint16_t* out) {
    int port;
    if (!c_int_arg(v, &port)) return false;
    if (port < 0 || port > 0xffff) {
        (void)raisef(&exc::OverflowError, "{}(): port must be 0-65535.", caller);
        return false;
    }
    *out = static_cast<uint16_t>(port);
    return true;
}

// CPython's getsockaddrarg(): the address object for `family` into *out.
bool parse_address(int family, Value addr, SockAddr* out, const char* caller) {
    std::memset(&out->ss, 0, sizeof out->ss);
    switch (family) {
    case AF_UNIX: {
        std::string path;
        if (is_str(addr)) {
            path = std::string(detail::str_view(addr));
        } else if (is_bytes_like(addr)) {
            path = std::string(buffer_view(addr));
        } else {
            (void)raisef(&exc::TypeError, "a bytes-like object is required, not '{}'", type_name(addr));
            return false;
        }
        auto* un = reinterpret_cast<sockaddr_un*>(&out->ss);
        bool abstract = !path.empty() && path[0] == '\0';
        if (abstract ? path.size() > sizeof un->sun_path : path.size() >= sizeof un->sun_path) {
            (void)raise(&exc::OSError, "AF_UNIX path too long");
            return false;
        }
        un->sun_family = AF_UNIX;
        std::memcpy(un->sun_path, path.data(), path.size());
        out->len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + (abstract ? 0 : 1));
        if (path.empty()) out->len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path));
        return true;
    }
    case AF_INET: {
        if (!is_tuple(addr)) {
            (void)raisef(&exc::TypeError, "{}(): AF_INET address must be tuple, not {}", caller, type_name(addr));
            return false;
        }
        Tuple* t = addr.as<Tuple>();
        if (t->size != 2) {
            (void)raise(&exc::TypeError, "AF_INET address must be a pair (host, port)");
            return false;
        }
        std::string host;
        uint16_t port;
        if (!host_arg(t->items[0], &host) || !port_arg(t->items[1], caller, &port)) return false;
        if (!set_ip_addr(host, AF_INET, out)) return false;
        reinterpret_cast<sockaddr_in*>(&out->ss)->sin_port = htons(port);
        out->len = sizeof(sockaddr_in);
        return true;
    }
    case AF_INET6: {
        if (!is_tuple(addr)) {
            (void)raisef(&exc::TypeError, "{}(): AF_INET6 address must be tuple, not {}", caller, type_name(addr));
            return false;
        }
        Tuple* t = addr.as<Tuple>();
        if (t->size < 2 || t->size > 4) {
            (void)raise(&exc::TypeError, "AF_INET6 address must be a tuple (host, port[, flowinfo[, scopeid]])");
            return false;
        }
        std::string host;
        uint16_t port;
        int64_t flowinfo = 0, scope_id = 0;
        if (!host_arg(t->items[0], &host) || !port_arg(t->items[1], caller, &port)) return false;
        if (t->size > 2 && !index_value(t->items[2], &flowinfo)) return false;
        if (t->size > 3 && !index_value(t->items[3], &scope_id)) return false;
        if (flowinfo < 0 || flowinfo > 0xfffff) {
            (void)raisef(&exc::OverflowError, "{}(): flowinfo must be 0-1048575.", caller);
            return false;
        }
        if (!set_ip_addr(host, AF_INET6, out)) return false;
        auto* a6 = reinterpret_cast<sockaddr_in6*>(&out->ss);
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons(port);
        a6->sin6_flowinfo = htonl(static_cast<uint32_t>(flowinfo));
        if (t->size > 3) a6->sin6_scope_id = static_cast<uint32_t>(scope_id);
        out->len = sizeof(sockaddr_in6);
        return true;
    }
    default:
        (void)raisef(&exc::OSError, "{}(): bad family", caller);
        return false;
    }
}

// CPython's makesockaddr(): the Python form of an address.
Ref make_address(const sockaddr* sa, socklen_t len) {
    if (len == 0) return Ref::none();
    switch (sa->sa_family) {
    case AF_INET: {
        auto* a4 = reinterpret_cast<const sockaddr_in*>(sa);
        char buf[INET_ADDRSTRLEN];
        ::inet_ntop(AF_INET, &a4->sin_addr, buf, sizeof buf);
        RefT<Str> h = new_str(buf);
        Ref p = make_int(ntohs(a4->sin_port));
        if (!h || !p) return nullptr;
        return Ref(new_tuple_of({Value::object(h.get()), *p}));
    }
    case AF_INET6: {
        auto* a6 = reinterpret_cast<const sockaddr_in6*>(sa);
        char buf[INET6_ADDRSTRLEN];
        ::inet_ntop(AF_INET6, &a6->sin6_addr, buf, sizeof buf);
        RefT<Str> h = new_str(buf);
        Ref p = make_int(ntohs(a6->sin6_port));
        Ref f = make_int(ntohl(a6->sin6_flowinfo));
        Ref sc = make_int(a6->sin6_scope_id);
        if (!h || !p || !f || !sc) return nullptr;
        return Ref(new_tuple_of({Value::object(h.get()), *p, *f, *sc}));
    }
    case AF_UNIX: {
        auto* un = reinterpret_cast<const sockaddr_un*>(sa);
        size_t off = offsetof(sockaddr_un, sun_path);
        if (len <= off) return Ref(new_str(""));
        size_t n = len - off;
        if (n > sizeof un->sun_path) n = sizeof un->sun_path;
        if (un->sun_path[0] == '\0') return Ref(new_bytes(std::string_view(un->sun_path, n)));
        return Ref(new_str(std::string_view(un->sun_path, ::strnlen(un->sun_path, n))));
    }
    default: {
        Ref fam = make_int(sa->sa_family);
        RefT<Bytes> data = new_bytes(std::string_view(sa->sa_data, sizeof sa->sa_data));
        if (!fam || !data) return nullptr;
        return Ref(new_tuple_of({*fam, Value::object(data.get())}));
    }
    }
}

// ---- the socket type ------------------------------------------------------------------------

void socket_dealloc(Object* o) {
    auto* s = static_cast<SocketObject*>(o);
    if (s->fd >= 0) {
        ::close(s->fd);
        s->fd = -1;
    }
    object_free(s, s->Object::type->basic_size);
}

Ref socket_new(Type* type, CallArgs) {
    auto* s = new_object<SocketObject>(type, 0);
    if (!s) return nullptr;
    s->fd = -1;
    s->family = AF_INET;
    s->stype = SOCK_STREAM;
    s->proto = 0;
    s->timeout = -1;
    return Ref::steal(s);
}

// Applies the default timeout to a fresh socket (CPython's init_sockobject).
bool apply_default_timeout(SocketObject* s) {
    s->timeout = g_default_timeout;
    if (s->timeout >= 0 && set_fd_blocking(s->fd, false) < 0) return (void)raise_errno(errno), false;
    return true;
}

// socket(family=-1, type=-1, proto=-1, fileno=None)
bool socket_init(Value self, CallArgs a) {
    Value args[4] = {};
    if (!parse_args("socket", a, 0, 4, {"family", "type", "proto", "fileno"}, args)) return false;
    int family = -1, type = -1, proto = -1;
    if (!args[0].is_null() && !c_int_arg(args[0], &family)) return false;
    if (!args[1].is_null() && !c_int_arg(args[1], &type)) return false;
    if (!args[2].is_null() && !c_int_arg(args[2], &proto)) return false;
    SocketObject* s = as_sock(self);
    int fd;
    if (!args[3].is_null() && !args[3].is_none()) {
        int64_t f;
        if (is_float(args[3])) {
            (void)raise(&exc::TypeError, "'float' object cannot be interpreted as an integer");
            return false;
        }
        if (!index_value(args[3], &f)) return false;
        if (f < 0) {
            (void)raise(&exc::ValueError, "negative file descriptor");
            return false;
        }
        if (f > INT32_MAX) {
            (void)raise(&exc::OverflowError, "file descriptor out of range");
            return false;
        }
        fd = static_cast<int>(f);
        // Fill in what was not given from the descriptor itself.
        sockaddr_storage ss;
        socklen_t len = sizeof ss;
        if (family == -1) {
            if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
                (void)raise_errno(errno);
                return false;
            }
            family = ss.ss_family;
        } else if (::fcntl(fd, F_GETFD) < 0) {
            (void)raise_errno(errno);
            return false;
        }
        if (type == -1) {
            int v;
            len = sizeof v;
            if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len) != 0) {
                (void)raise_errno(errno);
                return false;
            }
            type = v;
        }
        if (proto == -1) {
            int v;
            len = sizeof v;
            if (::getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &v, &len) != 0) {
                (void)raise_errno(errno);
                return false;
            }
            proto = v;
        }
    } else {
        if (family == -1) family = AF_INET;
        if (type == -1) type = SOCK_STREAM;
        if (proto == -1) proto = 0;
        fd = ::socket(family, type | SOCK_CLOEXEC, proto);
        if (fd < 0) {
            (void)raise_errno(errno);
            return false;
        }
    }
    if (s->fd >= 0) ::close(s->fd);  // __init__ called again
    s->fd = fd;
    s->family = family;
    s->stype = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
    s->proto = proto;
    s->timeout = g_default_timeout;
    if (type & SOCK_NONBLOCK) {
        s->timeout = 0;
        return true;
    }
    if (s->timeout >= 0 && set_fd_blocking(fd, false) < 0) {
        (void)raise_errno(errno);
        return false;
    }
    return true;
}

Ref socket_repr(Value self) {
    SocketObject* s = as_sock(self);
    return Ref(new_str(fmt::format("<socket object, fd={}, family={}, type={}, proto={}>", s->fd,
                                   s->family, s->stype, s->proto)));
}

Ref socket_get_family(Value self) { return make_int(as_sock(self)->family); }
Ref socket_get_type(Value self) { return make_int(as_sock(self)->stype); }
Ref socket_get_proto(Value self) { return make_int(as_sock(self)->proto); }
Ref socket_get_timeout(Value self) {
    double t = as_sock(self)->timeout;
    if (t < 0) return Ref::none();
    return make_float(t);
}

Ref socket_fileno(Value self, CallArgs a) {
    if (!detail::unpack_args("fileno", a, 0, 0)) return nullptr;
    return make_int(as_sock(self)->fd);
}

Ref socket_detach(Value self, CallArgs a) {
    if (!detail::unpack_args("detach", a, 0, 0)) return nullptr;
    SocketObject* s = as_sock(self);
    int fd = s->fd;
    s->fd = -1;
    return make_int(fd);
}

Ref socket_close(Value self, CallArgs a) {
    if (!detail::unpack_args("close", a, 0, 0)) return nullptr;
    SocketObject* s = as_sock(self);
    int fd = s->fd;
    if (fd < 0) return Ref::none();
    s->fd = -1;
    int rc, err;
    {
        GilRelease unlocked(GilReleaseReason::kBlocking);
        rc = ::close(fd);
        err = errno;
    }
    // ECONNRESET: the peer reset the connection; the descriptor is closed all the same.
    if (rc < 0 && err != ECONNRESET) return raise_errno(err);
    return Ref::none();
}

Ref socket_bind(Value self, CallArgs a) {
    if (!detail::unpack_args("bind", a, 1, 1)) return nullptr;
    SocketObject* s = as_sock(self);
    SockAddr addr;
    if (!parse_address(s->family, a.args[0], &addr, "bind")) return nullptr;
    if (::bind(s->fd, reinterpret_cast<sockaddr*>(&addr.ss), addr.len) != 0) return raise_errno(errno);
    return Ref::none();
}

Ref socket_listen(Value self, CallArgs a) {
    if (!detail::unpack_args("listen", a, 0, 1)) return nullptr;
    int backlog = SOMAXCONN < 128 ? SOMAXCONN : 128;
    if (a.npos == 1 && !c_int_arg(a.args[0], &backlog)) return nullptr;
    if (backlog < 0) backlog = 0;
    SocketObject* s = as_sock(self);
    int rc, err;
    {
        GilRelease unlocked(GilReleaseReason::kBlocking);
        rc = ::listen(s->fd, backlog);
        err = errno;
    }
    if (rc != 0) return raise_errno(err);
    return Ref::none();
}

// _accept() -> (fd, address)
Ref socket_accept(Value self, CallArgs a) {
    if (!detail::unpack_args("_accept", a, 0, 0)) return nullptr;
    SocketObject* s = as_sock(self);
    sockaddr_storage ss;
    socklen_t len = 0;
    ssize_t fd;
    auto op = [&](int sfd) -> ssize_t {
        len = sizeof ss;
        return ::accept4(sfd, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_CLOEXEC);
    };
    if (!sock_call(s, false, op, &fd)) return nullptr;
    Ref fdv = make_int(fd);
    Ref addr = make_address(reinterpret_cast<sockaddr*>(&ss), len);
    RefT<Tuple> t;
    if (fdv && addr) t = new_tuple_of({*fdv, *addr});
    if (!t) {
        ::close(static_cast<int>(fd));
        return nullptr;
    }
    return Ref(std::move(t));
}

// connect()/connect_ex(), as CPython's internal_connect: *out_err gets 0 or the errno value
// (connect_ex reports instead of raising; a timeout is EWOULDBLOCK there). A socket with a
// timeout whose connect is in progress, or a blocking one interrupted by a signal (PEP 475),
// waits for writability (GIL released) and then reads the outcome from SO_ERROR.
bool do_connect(SocketObject* s, Value address, bool raise_errors, int* out_err) {
    SockAddr addr;
    if (!parse_address(s->family, address, &addr, raise_errors ? "connect" : "connect_ex")) return false;
    const int fd = s->fd;
    const double timeout = s->timeout;
    int rc, err;
    if (timeout == 0) {
        rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr.ss), addr.len);
        err = errno;
    } else {
        GilRelease unlocked(GilReleaseReason::kBlocking);
        rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr.ss), addr.len);
        err = errno;
    }
    *out_err = 0;
    if (rc == 0) return true;
    bool wait;
    if (err == EINTR) {
        if (!handle_pending_signals()) return false;
        wait = timeout != 0;
    } else {
        wait = timeout > 0 && err == EINPROGRESS;
    }
    if (wait) {
        int64_t deadline = timeout > 0 ? deadline_after(static_cast<int64_t>(timeout * 1e9)) : -1;
        for (;;) {
            int n, perr;
            {
                GilRelease unlocked(GilReleaseReason::kBlocking);
                int ms = deadline >= 0 ? ms_until(deadline) : -1;
                struct pollfd p = {fd, POLLOUT, 0};
                do {
                    n = ::poll(&p, 1, ms);
                } while (n == 0 && ms == INT_MAX);
                perr = errno;
            }
            if (n == 0) {
                if (raise_errors) return (void)raise_timeout(), false;
                *out_err = EWOULDBLOCK;
                return true;
            }
            if (n < 0) {
                if (perr == EINTR) {
                    if (!handle_pending_signals()) return false;
                    continue;
                }
                err = perr;
                break;
            }
            int e = 0;
            socklen_t l = sizeof e;
            if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l) < 0) e = errno;
            if (e == EINTR) {
                if (!handle_pending_signals()) return false;
                continue;
            }
            err = e;
            break;
        }
        if (err == 0) return true;
    }
    *out_err = err;
    if (raise_errors) return (void)raise_errno(err), false;
    return true;
}

Ref socket_connect(Value self, CallArgs a) {
    if (!detail::unpack_args("connect", a, 1, 1)) return nullptr;
    int err;
    if (!do_connect(as_sock(self), a.args[0], true, &err)) return nullptr;
    return Ref::none();
}

Ref socket_connect_ex(Value self, CallArgs a) {
    if (!detail::unpack_args("connect_ex", a, 1, 1)) return nullptr;
    int err;
    if (!do_connect(as_sock(self), a.args[0], false, &err)) return nullptr;
    return make_int(err);
}

bool buffer_size_arg(Value v, const char* name, int64_t* out) {
    if (!index_value(v, out)) return false;
    if (*out < 0) {
        (void)raisef(&exc::ValueError, "negative buffersize in {}", name);
        return false;
    }
    return true;
}

// Receives up to n bytes (with flags) into a new bytes; `from` also returns the address.
Ref recv_impl(SocketObject* s, int64_t n, int flags, bool from) {
    if (n > INT64_MAX - 64) return raise(&exc::OverflowError, "byte string is too large");
    char small[8192];
    RefT<Bytes> big;
    char* buf = small;
    if (n > static_cast<int64_t>(sizeof small)) {
        big = new_bytes_uninit(n);  // private until returned: safe to fill without the GIL
        if (!big) return nullptr;
        buf = big->data;
    }
    sockaddr_storage ss;
    socklen_t len = 0;
    ssize_t r;
    auto op = [&](int fd) -> ssize_t {
        if (!from) return ::recv(fd, buf, static_cast<size_t>(n), flags);
        len = sizeof ss;
        return ::recvfrom(fd, buf, static_cast<size_t>(n), flags, reinterpret_cast<sockaddr*>(&ss), &len);
    };
    if (!sock_call(s, false, op, &r)) return nullptr;
    Ref data;
    if (r > n) {
        // MSG_TRUNC reports the datagram's full length: CPython's bytes then has that length,
        // the bytes past the received ones zero.
        RefT<Bytes> b = new_bytes_uninit(r);
        if (!b) return nullptr;
        std::memcpy(b->data, buf, static_cast<size_t>(n));
        std::memset(b->data + n, 0, static_cast<size_t>(r - n));
        data = Ref(std::move(b));
    } else if (big && r == n) {
        data = Ref(std::move(big));
    } else {
        data = Ref(new_bytes(std::string_view(buf, static_cast<size_t>(r))));
        if (!data) return nullptr;
    }
    if (!from) return data;
    Ref addr = make_address(reinterpret_cast<sockaddr*>(&ss), len);
    if (!addr) return nullptr;
    return Ref(new_tuple_of({*data, *addr}));
}

Ref socket_recv(Value self, CallArgs a) {
    if (!detail::unpack_args("recv", a, 1, 2)) return nullptr;
    int64_t n;
    int flags = 0;
    if (!buffer_size_arg(a.args[0], "recv", &n)) return nullptr;
    if (a.npos == 2 && !c_int_arg(a.args[1], &flags)) return nullptr;
    return recv_impl(as_sock(self), n, flags, false);
}

Ref socket_recvfrom(Value self, CallArgs a) {
    if (!detail::unpack_args("recvfrom", a, 1, 2)) return nullptr;
    int64_t n;
    int flags = 0;
    if (!buffer_size_arg(a.args[0], "recvfrom", &n)) return nullptr;
    if (a.npos == 2 && !c_int_arg(a.args[1], &flags)) return nullptr;
    return recv_impl(as_sock(self), n, flags, true);
}

// recv_into(buffer[, nbytes[, flags]]) / recvfrom_into: the bytes land in a private buffer
// and are copied into the bytearray after re-taking the GIL.
Ref recv_into_impl(Value self, CallArgs a, bool from) {
    const char* name = from ? "recvfrom_into" : "recv_into";
    Value args[3] = {};
    if (!parse_args(name, a, 1, 3, {"buffer", "nbytes", "flags"}, args)) return nullptr;
    Value target = args[0];
    if (!is_bytearray(target))
        return raisef(&exc::TypeError, "{}() argument 1 must be read-write bytes-like object, not {}",
                      name, type_name(target));
    int64_t nbytes = 0;
    int flags = 0;
    if (!args[1].is_null() && !index_value(args[1], &nbytes)) return nullptr;
    if (!args[2].is_null() && !c_int_arg(args[2], &flags)) return nullptr;
    int64_t cap = target.as<ByteArray>()->size;
    if (nbytes < 0) return raisef(&exc::ValueError, "negative buffersize in {}", name);
    if (nbytes == 0) nbytes = cap;
    if (nbytes > cap)
        return raise(&exc::ValueError, from ? "nbytes is greater than the length of the buffer"
                                            : "buffer too small for requested bytes");
    SocketObject* s = as_sock(self);
    sockaddr_storage ss;
    socklen_t len = 0;
    ssize_t r;
    if (s->timeout == 0) {
        // Non-blocking: the GIL stays held for the whole call, so the bytes go straight into
        // the bytearray (its buffer is looked up again for each try: a signal handler run
        // after EINTR may have resized it).
        auto op = [&](int fd) -> ssize_t {
            ByteArray* ba = target.as<ByteArray>();
            size_t n = static_cast<size_t>(nbytes < ba->size ? nbytes : ba->size);
            char dummy;
            char* dst = ba->data ? ba->data : &dummy;
            if (!from) return ::recv(fd, dst, n, flags);
            len = sizeof ss;
            return ::recvfrom(fd, dst, n, flags, reinterpret_cast<sockaddr*>(&ss), &len);
        };
        if (!sock_call(s, false, op, &r)) return nullptr;
    } else {
        // The GIL is released while waiting: receive into a private buffer, copy afterwards.
        std::unique_ptr<char[]> big;
        char small[8192];
        char* buf = small;
        if (nbytes > static_cast<int64_t>(sizeof small)) {
            big.reset(new (std::nothrow) char[static_cast<size_t>(nbytes)]);
            if (!big) return raise_no_memory();
            buf = big.get();
        }
        auto op = [&](int fd) -> ssize_t {
            if (!from) return ::recv(fd, buf, static_cast<size_t>(nbytes), flags);
            len = sizeof ss;
            return ::recvfrom(fd, buf, static_cast<size_t>(nbytes), flags, reinterpret_cast<sockaddr*>(&ss), &len);
        };
        if (!sock_call(s, false, op, &r)) return nullptr;
        ByteArray* ba = target.as<ByteArray>();
        int64_t n = r < nbytes ? r : nbytes;  // MSG_TRUNC may report more than was received
        if (n > ba->size) n = ba->size;         // resized meanwhile by another thread
        if (n > 0) std::memcpy(ba->data, buf, static_cast<size_t>(n));
    }
    Ref count = make_int(r);
    if (!from || !count) return count;
    Ref addr = make_address(reinterpret_cast<sockaddr*>(&ss), len);
    if (!addr) return nullptr;
    return Ref(new_tuple_of({*count, *addr}));
}

Ref socket_recv_into(Value self, CallArgs a) { return recv_into_impl(self, a, false); }
Ref socket_recvfrom_into(Value self, CallArgs a) { return recv_into_impl(self, a, true); }

// The bytes of a bytes-like argument, stable while the GIL is released: bytes are immutable
// (the caller's frame keeps them alive); a bytearray is copied into *copy.
bool data_arg(Value v, std::string* copy, std::string_view* view) {
    if (is_bytes(v)) {
        *view = bytes_view(v);
        return true;
    }
    if (!is_bytes_like(v)) {
        (void)raisef(&exc::TypeError, "a bytes-like object is required, not '{}'", type_name(v));
        return false;
    }
    *copy = std::string(buffer_view(v));
    *view = *copy;
    return true;
}

Ref socket_send(Value self, CallArgs a) {
    if (!detail::unpack_args("send", a, 1, 2)) return nullptr;
    std::string copy;
    std::string_view data;
    int flags = 0;
    if (!data_arg(a.args[0], &copy, &data)) return nullptr;
    if (a.npos == 2 && !c_int_arg(a.args[1], &flags)) return nullptr;
    ssize_t r;
    auto op = [&](int fd) -> ssize_t { return ::send(fd, data.data(), data.size(), flags | MSG_NOSIGNAL); };
    if (!sock_call(as_sock(self), true, op, &r)) return nullptr;
    return make_int(r);
}

Ref socket_sendall(Value self, CallArgs a) {
    if (!detail::unpack_args("sendall", a, 1, 2)) return nullptr;
    std::string copy;
    std::string_view data;
    int flags = 0;
    if (!data_arg(a.args[0], &copy, &data)) return nullptr;
    if (a.npos == 2 && !c_int_arg(a.args[1], &flags)) return nullptr;
    SocketObject* s = as_sock(self);
    int64_t deadline = s->timeout > 0 ? deadline_after(static_cast<int64_t>(s->timeout * 1e9)) : 0;
    size_t off = 0;
    do {
        ssize_t r;
        auto op = [&](int fd) -> ssize_t {
            return ::send(fd, data.data() + off, data.size() - off, flags | MSG_NOSIGNAL);
        };
        if (!sock_call(s, true, op, &r, deadline)) return nullptr;
        off += static_cast<size_t>(r);
        if (!handle_pending_signals()) return nullptr;
    } while (off < data.size());
    return Ref::none();
}

// sendto(data[, flags], address)
Ref socket_sendto(Value self, CallArgs a) {
    if (!detail::no_kwargs("sendto", a)) return nullptr;
    if (a.npos != 2 && a.npos != 3)
        return raisef(&exc::TypeError, "sendto() takes 2 or 3 arguments ({} given)", a.npos);
    std::string copy;
    std::string_view data;
    int flags = 0;
    if (!data_arg(a.args[0], &copy, &data)) return nullptr;
    if (a.npos == 3 && !c_int_arg(a.args[1], &flags)) return nullptr;
    SocketObject* s = as_sock(self);
    SockAddr addr;
    if (!parse_address(s->family, a.args[a.npos - 1], &addr, "sendto")) return nullptr;
    ssize_t r;
    auto op = [&](int fd) -> ssize_t {
        return ::sendto(fd, data.data(), data.size(), flags | MSG_NOSIGNAL,
                        reinterpret_cast<sockaddr*>(&addr.ss), addr.len);
    };
    if (!sock_call(s, true, op, &r)) return nullptr;
    return make_int(r);
}

// sendmsg(buffers[, ancdata[, flags[, address]]]): the buffers and the ancillary data
// ((level, type, data) items, e.g. SCM_RIGHTS descriptors) are copied first, then sent with
// one sendmsg(2) following the socket's timeout.
Ref socket_sendmsg(Value self, CallArgs a) {
    if (!detail::unpack_args("sendmsg", a, 1, 4)) return nullptr;
    SocketObject* s = as_sock(self);
    std::vector<std::string> bufs;
    {
        Ref it = get_iter(a.args[0]);
        if (!it) {
            clear_error();
            return raise(&exc::TypeError, "sendmsg() argument 1 must be an iterable");
        }
        for (;;) {
            Ref x = iter_next(*it);
            if (!x) {
                if (error_occurred()) return nullptr;
                break;
            }
            if (!is_bytes_like(*x))
                return raisef(&exc::TypeError, "a bytes-like object is required, not '{}'", type_name(*x));
            bufs.emplace_back(buffer_view(*x));
        }
    }
    struct Anc {
        int level, type;
        std::string data;
    };
    std::vector<Anc> anc;
    if (a.npos > 1 && !a.args[1].is_none()) {
        Ref it = get_iter(a.args[1]);
        if (!it) {
            clear_error();
            return raise(&exc::TypeError, "sendmsg() argument 2 must be an iterable");
        }
        for (;;) {
            Ref x = iter_next(*it);
            if (!x) {
                if (error_occurred()) return nullptr;
                break;
            }
            Ref t = sequence_tuple(*x);
            if (!t) return nullptr;
            Tuple* tt = t.as<Tuple>();
            if (tt->size != 3)
                return raisef(&exc::TypeError,
                              "[sendmsg() ancillary data items]() argument must be sequence of length 3, not {}",
                              tt->size);
            Anc item;
            if (!c_int_arg(tt->items[0], &item.level) || !c_int_arg(tt->items[1], &item.type)) return nullptr;
            if (!is_bytes_like(tt->items[2]))
                return raisef(&exc::TypeError, "a bytes-like object is required, not '{}'", type_name(tt->items[2]));
            item.data = std::string(buffer_view(tt->items[2]));
            anc.push_back(std::move(item));
        }
    }
    int flags = 0;
    if (a.npos > 2 && !c_int_arg(a.args[2], &flags)) return nullptr;
    SockAddr addr;
    bool has_addr = a.npos > 3 && !a.args[3].is_none();
    if (has_addr && !parse_address(s->family, a.args[3], &addr, "sendmsg")) return nullptr;
    std::vector<struct iovec> iov(bufs.size());
    for (size_t i = 0; i < bufs.size(); i++) {
        iov[i].iov_base = bufs[i].data();
        iov[i].iov_len = bufs[i].size();
    }
    size_t space = 0;
    for (const Anc& x : anc) space += CMSG_SPACE(x.data.size());
    std::vector<char> control(space ? space : 1, 0);
    struct msghdr msg;
    std::memset(&msg, 0, sizeof msg);
    msg.msg_iov = iov.empty() ? nullptr : iov.data();
    msg.msg_iovlen = iov.size();
    if (has_addr) {
        msg.msg_name = &addr.ss;
        msg.msg_namelen = addr.len;
    }
    if (space) {
        msg.msg_control = control.data();
        msg.msg_controllen = space;
        struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
        for (const Anc& x : anc) {
            c->cmsg_level = x.level;
            c->cmsg_type = x.type;
            c->cmsg_len = CMSG_LEN(x.data.size());
            std::memcpy(CMSG_DATA(c), x.data.data(), x.data.size());
            c = CMSG_NXTHDR(&msg, c);
        }
    }
    ssize_t r;
    auto op = [&](int fd) -> ssize_t { return ::sendmsg(fd, &msg, flags | MSG_NOSIGNAL); };
    if (!sock_call(s, true, op, &r)) return nullptr;
    return make_int(r);
}

// recvmsg(bufsize[, ancbufsize[, flags]]) -> (data, ancdata, msg_flags, address)
Ref socket_recvmsg(Value self, CallArgs a) {
    if (!detail::unpack_args("recvmsg", a, 1, 3)) return nullptr;
    int64_t bufsize, ancbufsize = 0;
    int flags = 0;
    if (!index_value(a.args[0], &bufsize)) return nullptr;
    if (bufsize < 0) return raise(&exc::ValueError, "negative buffer size in recvmsg()");
    if (bufsize > INT64_MAX - 64) return raise(&exc::OverflowError, "byte string is too large");
    if (bufsize > (int64_t{1} << 40)) return raise_no_memory();  // no machine here has that
    if (a.npos > 1 && !index_value(a.args[1], &ancbufsize)) return nullptr;
    if (ancbufsize < 0 || ancbufsize > (1 << 20)) return raise(&exc::ValueError, "invalid ancillary data buffer length");
    if (a.npos > 2 && !c_int_arg(a.args[2], &flags)) return nullptr;
    SocketObject* s = as_sock(self);
    std::unique_ptr<char[]> data(new (std::nothrow) char[bufsize ? bufsize : 1]);
    std::unique_ptr<char[]> control(new (std::nothrow) char[ancbufsize ? ancbufsize : 1]);
    if (!data || !control) return raise_no_memory();
    std::memset(control.get(), 0, static_cast<size_t>(ancbufsize ? ancbufsize : 1));
    sockaddr_storage ss;
    struct iovec iov = {data.get(), static_cast<size_t>(bufsize)};
    struct msghdr msg;
    auto op = [&](int fd) -> ssize_t {
        std::memset(&msg, 0, sizeof msg);
        std::memset(&ss, 0, sizeof ss);
        msg.msg_name = &ss;
        msg.msg_namelen = sizeof ss;
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = ancbufsize ? control.get() : nullptr;
        msg.msg_controllen = static_cast<size_t>(ancbufsize);
        return ::recvmsg(fd, &msg, flags);
    };
    ssize_t r;
    if (!sock_call(s, false, op, &r)) return nullptr;
    if (r > bufsize) r = static_cast<ssize_t>(bufsize);
    RefT<Bytes> bytes = new_bytes(std::string_view(data.get(), static_cast<size_t>(r)));
    RefT<List> anc = new_list(0);
    if (!bytes || !anc) return nullptr;
    if (msg.msg_controllen > 0 && ancbufsize > 0) {
        for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
            char* end = control.get() + std::min<size_t>(msg.msg_controllen, static_cast<size_t>(ancbufsize));
            char* begin = reinterpret_cast<char*>(CMSG_DATA(c));
            char* stop = reinterpret_cast<char*>(c) + c->cmsg_len;
            if (stop > end) stop = end;
            size_t n = stop > begin ? static_cast<size_t>(stop - begin) : 0;
            Ref lv = make_int(c->cmsg_level), tv = make_int(c->cmsg_type);
            RefT<Bytes> dv = new_bytes(std::string_view(begin, n));
            if (!lv || !tv || !dv) return nullptr;
            RefT<Tuple> t = new_tuple_of({*lv, *tv, Value::object(dv.get())});
            if (!t || !list_append(anc.get(), Value::object(t.get()))) return nullptr;
        }
    }
    Ref fl = make_int(msg.msg_flags);
    Ref addr = make_address(reinterpret_cast<sockaddr*>(&ss), msg.msg_namelen);
    if (!fl || !addr) return nullptr;
    return Ref(new_tuple_of({Value::object(bytes.get()), Value::object(anc.get()), *fl, *addr}));
}

Ref cmsg_impl(CallArgs a, const char* name, bool space) {
    if (!detail::unpack_args(name, a, 1, 1)) return nullptr;
    int64_t n;
    if (!index_value(a.args[0], &n)) return nullptr;
    if (n < 0 || n > (1 << 30)) return raisef(&exc::OverflowError, "{}() argument out of range", name);
    return make_int(static_cast<int64_t>(space ? CMSG_SPACE(static_cast<size_t>(n)) : CMSG_LEN(static_cast<size_t>(n))));
}
Ref mod_cmsg_len(Value, CallArgs a) { return cmsg_impl(a, "CMSG_LEN", false); }
Ref mod_cmsg_space(Value, CallArgs a) { return cmsg_impl(a, "CMSG_SPACE", true); }

Ref socket_shutdown(Value self, CallArgs a) {
    if (!detail::unpack_args("shutdown", a, 1, 1)) return nullptr;
    int how;
    if (!c_int_arg(a.args[0], &how)) return nullptr;
    int rc, err;
    {
        int fd = as_sock(self)->fd;
        GilRelease unlocked(GilReleaseReason::kBlocking);
        rc = ::shutdown(fd, how);
        err = errno;
    }
    if (rc != 0) return raise_errno(err);
    return Ref::none();
}

Ref name_impl(Value self, CallArgs a, bool peer) {
    if (!detail::unpack_args(peer ? "getpeername" : "getsockname", a, 0, 0)) return nullptr;
    sockaddr_storage ss;
    std::memset(&ss, 0, sizeof ss);
    socklen_t len = sizeof ss;
    int fd = as_sock(self)->fd;
    int rc = peer ? ::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len)
                  : ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
    if (rc != 0) return raise_errno(errno);
    return make_address(reinterpret_cast<sockaddr*>(&ss), len);
}
Ref socket_getsockname(Value self, CallArgs a) { return name_impl(self, a, false); }
Ref socket_getpeername(Value self, CallArgs a) { return name_impl(self, a, true); }

// setsockopt(level, option, value: int | buffer) / setsockopt(level, option, None, optlen)
Ref socket_setsockopt(Value self, CallArgs a) {
    if (!detail::no_kwargs("setsockopt", a)) return nullptr;
    if (a.npos != 3 && a.npos != 4)
        return raisef(&exc::TypeError, "setsockopt() takes {} arguments ({} given)",
                      a.npos < 3 ? "at least 3" : "at most 4", a.npos);
    int level, opt;
    if (!c_int_arg(a.args[0], &level) || !c_int_arg(a.args[1], &opt)) return nullptr;
    int fd = as_sock(self)->fd;
    int rc;
    if (a.npos == 4) {
        if (!a.args[2].is_none())
            return raise(&exc::TypeError, "setsockopt() takes 3 or 4 arguments: the third must be None with optlen");
        int optlen;
        if (!c_int_arg(a.args[3], &optlen)) return nullptr;
        rc = ::setsockopt(fd, level, opt, nullptr, static_cast<socklen_t>(optlen));
    } else if (is_int(a.args[2])) {
        int v;
        if (!c_int_arg(a.args[2], &v)) return nullptr;
        rc = ::setsockopt(fd, level, opt, &v, sizeof v);
    } else if (is_bytes_like(a.args[2])) {
        std::string_view b = buffer_view(a.args[2]);
        rc = ::setsockopt(fd, level, opt, b.data(), static_cast<socklen_t>(b.size()));
    } else {
        return raisef(&exc::TypeError, "a bytes-like object is required, not '{}'", type_name(a.args[2]));
    }
    if (rc != 0) return raise_errno(errno);
    return Ref::none();
}

// getsockopt(level, option[, buflen])
Ref socket_getsockopt(Value self, CallArgs a) {
    if (!detail::unpack_args("getsockopt", a, 2, 3)) return nullptr;
    int level, opt, buflen = 0;
    if (!c_int_arg(a.args[0], &level) || !c_int_arg(a.args[1], &opt)) return nullptr;
    if (a.npos == 3 && !c_int_arg(a.args[2], &buflen)) return nullptr;
    int fd = as_sock(self)->fd;
    if (buflen == 0) {
        int v = 0;
        socklen_t l = sizeof v;
        if (::getsockopt(fd, level, opt, &v, &l) != 0) return raise_errno(errno);
        return make_int(v);
    }
    if (buflen < 0 || buflen > 1024) return raise(&exc::OSError, "getsockopt buflen out of range");
    char buf[1024];
    socklen_t l = static_cast<socklen_t>(buflen);
    if (::getsockopt(fd, level, opt, buf, &l) != 0) return raise_errno(errno);
    return Ref(new_bytes(std::string_view(buf, l)));
}

Ref socket_setblocking(Value self, CallArgs a) {
    if (!detail::unpack_args("setblocking", a, 1, 1)) return nullptr;
    int block = truthy(a.args[0]);
    if (block < 0) return nullptr;
    SocketObject* s = as_sock(self);
    s->timeout = block ? -1 : 0;
    if (s->fd >= 0 && set_fd_blocking(s->fd, block) < 0) return raise_errno(errno);
    if (s->fd < 0) return raise_errno(EBADF);
    return Ref::none();
}

Ref socket_getblocking(Value self, CallArgs a) {
    if (!detail::unpack_args("getblocking", a, 0, 0)) return nullptr;
    return Ref::boolean(as_sock(self)->timeout != 0);
}

Ref socket_settimeout(Value self, CallArgs a) {
    if (!detail::unpack_args("settimeout", a, 1, 1)) return nullptr;
    double t;
    if (!parse_timeout(a.args[0], &t)) return nullptr;
    SocketObject* s = as_sock(self);
    s->timeout = t;
    if (s->fd < 0) return raise_errno(EBADF);
    if (set_fd_blocking(s->fd, t < 0) < 0) return raise_errno(errno);
    return Ref::none();
}

Ref socket_gettimeout(Value self, CallArgs a) {
    if (!detail::unpack_args("gettimeout", a, 0, 0)) return nullptr;
    return socket_get_timeout(self);
}

Ref socket_get_inheritable(Value self, CallArgs a) {
    if (!detail::unpack_args("get_inheritable", a, 0, 0)) return nullptr;
    int flags = ::fcntl(as_sock(self)->fd, F_GETFD);
    if (flags < 0) return raise_errno(errno);
    return Ref::boolean(!(flags & FD_CLOEXEC));
}

Ref socket_set_inheritable(Value self, CallArgs a) {
    if (!detail::unpack_args("set_inheritable", a, 1, 1)) return nullptr;
    int inh = truthy(a.args[0]);
    if (inh < 0) return nullptr;
    int fd = as_sock(self)->fd;
    int flags = ::fcntl(fd, F_GETFD);
    if (flags < 0) return raise_errno(errno);
    int nf = inh ? (flags & ~FD_CLOEXEC) : (flags | FD_CLOEXEC);
    if (::fcntl(fd, F_SETFD, nf) < 0) return raise_errno(errno);
    return Ref::none();
}

const MethodDef kSocketMethods[] = {
    {"_accept", socket_accept},
    {"bind", socket_bind},
    {"close", socket_close},
    {"connect", socket_connect},
    {"connect_ex", socket_connect_ex},
    {"detach", socket_detach},
    {"fileno", socket_fileno},
    {"getpeername", socket_getpeername},
    {"getsockname", socket_getsockname},
    {"getsockopt", socket_getsockopt},
    {"setsockopt", socket_setsockopt},
    {"getblocking", socket_getblocking},
    {"setblocking", socket_setblocking},
    {"gettimeout", socket_gettimeout},
    {"settimeout", socket_settimeout},
    {"get_inheritable", socket_get_inheritable},
    {"set_inheritable", socket_set_inheritable},
    {"listen", socket_listen},
    {"recv", socket_recv},
    {"recv_into", socket_recv_into},
    {"recvfrom", socket_recvfrom},
    {"recvfrom_into", socket_recvfrom_into},
    {"send", socket_send},
    {"sendall", socket_sendall},
    {"sendto", socket_sendto},
    {"sendmsg", socket_sendmsg},
    {"recvmsg", socket_recvmsg},
    {"shutdown", socket_shutdown},
    {nullptr, nullptr},
};

const GetSetDef kSocketGetsets[] = {
    {"family", socket_get_family},
    {"type", socket_get_type},
    {"proto", socket_get_proto},
    {"timeout", socket_get_timeout},
    {nullptr, nullptr},
};

// ---- module functions ---------------------------------------------------------------------

// socketpair(family=AF_UNIX, type=SOCK_STREAM, proto=0) -> (fd, fd) (socket.toy wraps them)
Ref mod_socketpair(Value, CallArgs a) {
    if (!detail::unpack_args("socketpair", a, 0, 3)) return nullptr;
    int family = AF_UNIX, type = SOCK_STREAM, proto = 0;
    if (a.npos > 0 && !a.args[0].is_none() && !c_int_arg(a.args[0], &family)) return nullptr;
    if (a.npos > 1 && !c_int_arg(a.args[1], &type)) return nullptr;
    if (a.npos > 2 && !c_int_arg(a.args[2], &proto)) return nullptr;
    int sv[2];
    if (::socketpair(family, type | SOCK_CLOEXEC, proto, sv) != 0) return raise_errno(errno);
    Ref s0 = socket_new(&socket_type, CallArgs{});
    Ref s1 = socket_new(&socket_type, CallArgs{});
    if (!s0 || !s1) {
        ::close(sv[0]);
        ::close(sv[1]);
        return nullptr;
    }
    SocketObject* socks[2] = {as_sock(*s0), as_sock(*s1)};
    for (int i = 0; i < 2; i++) {
        socks[i]->fd = sv[i];
        socks[i]->family = family;
        socks[i]->stype = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
        socks[i]->proto = proto;
        if (!apply_default_timeout(socks[i])) return nullptr;
    }
    return Ref(new_tuple_of({*s0, *s1}));
}

Ref mod_getdefaulttimeout(Value, CallArgs a) {
    if (!detail::unpack_args("getdefaulttimeout", a, 0, 0)) return nullptr;
    if (g_default_timeout < 0) return Ref::none();
    return make_float(g_default_timeout);
}

Ref mod_setdefaulttimeout(Value, CallArgs a) {
    if (!detail::one_arg("setdefaulttimeout", a)) return nullptr;
    double t;
    if (!parse_timeout(a.args[0], &t)) return nullptr;
    g_default_timeout = t;
    return Ref::none();
}

Ref mod_gethostname(Value, CallArgs a) {
    if (!detail::unpack_args("gethostname", a, 0, 0)) return nullptr;
    char buf[1024];
    if (::gethostname(buf, sizeof buf - 1) != 0) return raise_errno(errno);
    buf[sizeof buf - 1] = '\0';
    return Ref(new_str(buf));
}

// port argument of getaddrinfo: None, int or str/bytes.
bool service_arg(Value v, std::string* out, bool* has) {
    *has = true;
    if (v.is_none()) {
        *has = false;
        return true;
    }
    if (is_int(v)) {
        int64_t p;
        if (!int_value(v, &p)) return false;
        *out = std::to_string(p);
        return true;
    }
    if (is_str(v)) {
        *out = std::string(detail::str_view(v));
        return true;
    }
    if (is_bytes(v)) {
        *out = std::string(bytes_view(v));
        return true;
    }
    (void)raise(&exc::OSError, "Int or String expected");
    return false;
}

// getaddrinfo(host, port, family=0, type=0, proto=0, flags=0)
Ref mod_getaddrinfo(Value, CallArgs a) {
    Value args[6] = {};
    if (!parse_args("getaddrinfo", a, 2, 6, {"host", "port", "family", "type", "proto", "flags"}, args))
        return nullptr;
    std::string host, serv;
    bool has_host = !args[0].is_none(), has_serv;
    if (has_host && !host_arg(args[0], &host)) return nullptr;
    if (!service_arg(args[1], &serv, &has_serv)) return nullptr;
    int ints[4] = {0, 0, 0, 0};
    for (int i = 0; i < 4; i++)
        if (!args[2 + i].is_null() && !c_int_arg(args[2 + i], &ints[i])) return nullptr;
    struct addrinfo hints;
    std::memset(&hints, 0, sizeof hints);
    hints.ai_family = ints[0];
    hints.ai_socktype = ints[1];
    hints.ai_protocol = ints[2];
    hints.ai_flags = ints[3];
    struct addrinfo* res = nullptr;
    int rc, err;
    {
        GilRelease unlocked(GilReleaseReason::kBlocking);
        rc = ::getaddrinfo(has_host ? host.c_str() : nullptr, has_serv ? serv.c_str() : nullptr, &hints, &res);
        err = errno;
    }
    if (rc != 0) return raise_gai(rc, err);
    RefT<List> out = new_list(0);
    if (!out) {
        ::freeaddrinfo(res);
        return nullptr;
    }
    for (struct addrinfo* r = res; r; r = r->ai_next) {
        Ref fam = make_int(r->ai_family), ty = make_int(r->ai_socktype), pr = make_int(r->ai_protocol);
        RefT<Str> canon = new_str(r->ai_canonname ? r->ai_canonname : "");
        Ref addr = make_address(r->ai_addr, r->ai_addrlen);
        if (!fam || !ty || !pr || !canon || !addr) {
            ::freeaddrinfo(res);
            return nullptr;
        }
        RefT<Tuple> t = new_tuple_of({*fam, *ty, *pr, Value::object(canon.get()), *addr});
        if (!t || !list_append(out.get(), Value::object(t.get()))) {
            ::freeaddrinfo(res);
            return nullptr;
        }
    }
    ::freeaddrinfo(res);
    return Ref(std::move(out));
}

// getnameinfo(sockaddr, flags) -> (host, port)
Ref mod_getnameinfo(Value, CallArgs a) {
    if (!detail::unpack_args("getnameinfo", a, 2, 2)) return nullptr;
    if (!is_tuple(a.args[0]))
        return raise(&exc::TypeError, "getnameinfo() argument 1 must be a tuple");
    int flags;
    if (!c_int_arg(a.args[1], &flags)) return nullptr;
    Tuple* t = a.args[0].as<Tuple>();
    if (t->size < 2 || t->size > 4)
        return raise(&exc::TypeError, "getnameinfo() argument 1 must be a tuple");
    std::string host;
    if (!host_arg(t->items[0], &host)) return nullptr;
    uint16_t port;
    if (!port_arg(t->items[1], "getnameinfo", &port)) return nullptr;
    SockAddr addr;
    if (!set_ip_addr(host, t->size > 2 ? AF_INET6 : AF_UNSPEC, &addr)) return nullptr;
    if (addr.ss.ss_family == AF_INET) {
        reinterpret_cast<sockaddr_in*>(&addr.ss)->sin_port = htons(port);
    } else {
        reinterpret_cast<sockaddr_in6*>(&addr.ss)->sin6_port = htons(port);
    }
    char hbuf[NI_MAXHOST], sbuf[NI_MAXSERV];
    int rc, err;
    {
        GilRelease unlocked(GilReleaseReason::kBlocking);
        rc = ::getnameinfo(reinterpret_cast<sockaddr*>(&addr.ss), addr.len, hbuf, sizeof hbuf, sbuf,
                           sizeof sbuf, flags);
        err = errno;
    }
    if (rc != 0) return raise_gai(rc, err);
    RefT<Str> h = new_str(hbuf), sv = new_str(sbuf);
    if (!h || !sv) return nullptr;
    return Ref(new_tuple_of({Value::object(h.get()), Value::object(sv.get())}));
}

Ref mod_gethostbyname(Value, CallArgs a) {
    if (!detail::unpack_args("gethostbyname", a, 1, 1)) return nullptr;
    std::string host;
    if (!host_arg(a.args[0], &host)) return nullptr;
    SockAddr addr;
    if (!set_ip_addr(host, AF_INET, &addr)) return nullptr;
    char buf[INET_ADDRSTRLEN];
    ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&addr.ss)->sin_addr, buf, sizeof buf);
    return Ref(new_str(buf));
}

// A hostent as (name, aliases, addresses) (CPython's gethost_common).
Ref hostent_tuple(const struct hostent* h) {
    RefT<Str> name = new_str(h->h_name ? h->h_name : "");
    RefT<List> aliases = new_list(0), addrs = new_list(0);
    if (!name || !aliases || !addrs) return nullptr;
    for (char** p = h->h_aliases; p && *p; ++p) {
        RefT<Str> x = new_str(*p);
        if (!x || !list_append(aliases.get(), Value::object(x.get()))) return nullptr;
    }
    for (char** p = h->h_addr_list; p && *p; ++p) {
        char buf[INET6_ADDRSTRLEN];
        if (!::inet_ntop(h->h_addrtype, *p, buf, sizeof buf)) continue;
        RefT<Str> x = new_str(buf);
        if (!x || !list_append(addrs.get(), Value::object(x.get()))) return nullptr;
    }
    return Ref(new_tuple_of({Value::object(name.get()), Value::object(aliases.get()), Value::object(addrs.get())}));
}

Ref raise_herror(int h_err) {
    return raise_exc2(g_herror, h_err, ::hstrerror(h_err));
}

Ref mod_gethostbyname_ex(Value, CallArgs a) {
    if (!detail::unpack_args("gethostbyname_ex", a, 1, 1)) return nullptr;
    std::string host;
    if (!host_arg(a.args[0], &host)) return nullptr;
    SockAddr addr;
    if (!set_ip_addr(host, AF_INET, &addr)) return nullptr;
    struct hostent hbuf, *h = nullptr;
    char buf[16384];
    int h_err = 0, rc;
    {
        GilRelease unlocked(GilReleaseReason::kBlocking);
        rc = ::gethostbyname_r(host.c_str(), &hbuf, buf, sizeof buf, &h, &h_err);
    }
    if (rc != 0 || !h) return raise_herror(h_err ? h_err : HOST_NOT_FOUND);
    return hostent_tuple(h);
}

Ref mod_gethostbyaddr(Value, CallArgs a) {
    if (!detail::unpack_args("gethostbyaddr", a, 1, 1)) return nullptr;
    std::string host;
    if (!host_arg(a.args[0], &host)) return nullptr;
    SockAddr addr;
    if (!set_ip_addr(host, AF_UNSPEC, &addr)) return nullptr;
    const void* ap;
    socklen_t alen;
    int family = addr.ss.ss_family;
    if (family == AF_INET6) {
        ap = &reinterpret_cast<sockaddr_in6*>(&addr.ss)->sin6_addr;
        alen = sizeof(in6_addr);
    } else {
        ap = &reinterpret_cast<sockaddr_in*>(&addr.ss)->sin_addr;
        alen = sizeof(in_addr);
    }
    struct hostent hbuf, *h = nullptr;
    char buf[16384];
    int h_err = 0, rc;
    {
        GilRelease unlocked(GilReleaseReason::kBlocking);
        rc = ::gethostbyaddr_r(ap, alen, family, &hbuf, buf, sizeof buf, &h, &h_err);
    }
    if (rc != 0 || !h) return raise_herror(h_err ? h_err : HOST_NOT_FOUND);
    return hostent_tuple(h);
}

// getservbyname(name[, proto]) -> port
Ref mod_getservbyname(Value, CallArgs a) {
    if (!detail::unpack_args("getservbyname", a, 1, 2)) return nullptr;
    if (!is_str(a.args[0]))
        return raisef(&exc::TypeError, "getservbyname() argument 1 must be str, not {}", type_name(a.args[0]));
    if (a.npos == 2 && !is_str(a.args[1]))
        return raisef(&exc::TypeError, "getservbyname() argument 2 must be str, not {}", type_name(a.args[1]));
    std::string name(detail::str_view(a.args[0])), proto(a.npos == 2 ? detail::str_view(a.args[1]) : "");
    struct servent sbuf, *sp = nullptr;
    char buf[4096];
    {
        GilRelease unlocked(GilReleaseReason::kBlocking);
        ::getservbyname_r(name.c_str(), a.npos == 2 ? proto.c_str() : nullptr, &sbuf, buf, sizeof buf, &sp);
    }
    if (!sp) return raise(&exc::OSError, "service/proto not found");
    return make_int(ntohs(static_cast<uint16_t>(sp->s_port)));
}

// getservbyport(port[, proto]) -> name
Ref mod_getservbyport(Value, CallArgs a) {
    if (!detail::unpack_args("getservbyport", a, 1, 2)) return nullptr;
    int port;
    if (!c_int_arg(a.args[0], &port)) return nullptr;
    if (a.npos == 2 && !is_str(a.args[1]))
        return raisef(&exc::TypeError, "getservbyport() argument 2 must be str, not {}", type_name(a.args[1]));
    if (port < 0 || port > 0xffff) return raise(&exc::OverflowError, "getservbyport: port must be 0-65535.");
    std::string proto(a.npos == 2 ? detail::str_view(a.args[1]) : "");
    struct servent sbuf, *sp = nullptr;
    char buf[4096];
    {
        GilRelease unlocked(GilReleaseReason::kBlocking);
        ::getservbyport_r(htons(static_cast<uint16_t>(port)), a.npos == 2 ? proto.c_str() : nullptr, &sbuf,
                          buf, sizeof buf, &sp);
    }
    if (!sp) return raise(&exc::OSError, "port/proto not found");
    return Ref(new_str(sp->s_name));
}

Ref mod_getprotobyname(Value, CallArgs a) {
    if (!detail::unpack_args("getprotobyname", a, 1, 1)) return nullptr;
    if (!is_str(a.args[0]))
        return raisef(&exc::TypeError, "getprotobyname() argument 1 must be str, not {}", type_name(a.args[0]));
    std::string name(detail::str_view(a.args[0]));
    struct protoent pbuf, *pp = nullptr;
    char buf[4096];
    ::getprotobyname_r(name.c_str(), &pbuf, buf, sizeof buf, &pp);
    if (!pp) return raise(&exc::OSError, "protocol not found");
    return make_int(pp->p_proto);
}

Ref mod_inet_aton(Value, CallArgs a) {
    if (!detail::unpack_args("inet_aton", a, 1, 1)) return nullptr;
    if (!is_str(a.args[0]))
        return raisef(&exc::TypeError, "inet_aton() argument 1 must be str, not {}", type_name(a.args[0]));
    std::string s(detail::str_view(a.args[0]));
    struct in_addr in;
    if (::inet_aton(s.c_str(), &in) == 0)
        return raise(&exc::OSError, "illegal IP address string passed to inet_aton");
    return Ref(new_bytes(std::string_view(reinterpret_cast<char*>(&in), 4)));
}

Ref mod_inet_ntoa(Value, CallArgs a) {
    if (!detail::unpack_args("inet_ntoa", a, 1, 1)) return nullptr;
    if (!is_bytes_like(a.args[0]))
        return raisef(&exc::TypeError, "a bytes-like object is required, not '{}'", type_name(a.args[0]));
    std::string_view b = buffer_view(a.args[0]);
    if (b.size() != 4) return raise(&exc::OSError, "packed IP wrong length for inet_ntoa");
    char buf[INET_ADDRSTRLEN];
    ::inet_ntop(AF_INET, b.data(), buf, sizeof buf);
    return Ref(new_str(buf));
}

Ref mod_inet_pton(Value, CallArgs a) {
    if (!detail::unpack_args("inet_pton", a, 2, 2)) return nullptr;
    int family;
    if (!c_int_arg(a.args[0], &family)) return nullptr;
    if (!is_str(a.args[1]))
        return raisef(&exc::TypeError, "inet_pton() argument 2 must be str, not {}", type_name(a.args[1]));
    std::string s(detail::str_view(a.args[1]));
    unsigned char buf[16];
    int rc = ::inet_pton(family, s.c_str(), buf);
    if (rc < 0) return raise_errno(errno);
    if (rc == 0) return raise(&exc::OSError, "illegal IP address string passed to inet_pton");
    return Ref(new_bytes(std::string_view(reinterpret_cast<char*>(buf), family == AF_INET ? 4 : 16)));
}

Ref mod_inet_ntop(Value, CallArgs a) {
    if (!detail::unpack_args("inet_ntop", a, 2, 2)) return nullptr;
    int family;
    if (!c_int_arg(a.args[0], &family)) return nullptr;
    if (!is_bytes_like(a.args[1]))
        return raisef(&exc::TypeError, "a bytes-like object is required, not '{}'", type_name(a.args[1]));
    std::string b(buffer_view(a.args[1]));
    if (family == AF_INET) {
        if (b.size() != 4) return raise(&exc::ValueError, "invalid length of packed IP address string");
    } else if (family == AF_INET6) {
        if (b.size() != 16) return raise(&exc::ValueError, "invalid length of packed IP address string");
    } else {
        return raisef(&exc::ValueError, "unknown address family {}", family);
    }
    char buf[INET6_ADDRSTRLEN];
    if (!::inet_ntop(family, b.data(), buf, sizeof buf)) return raise_errno(errno);
    return Ref(new_str(buf));
}

Ref byteorder_impl(CallArgs a, const char* name, bool is16) {
    if (!detail::unpack_args(name, a, 1, 1)) return nullptr;
    if (!is_int(a.args[0]))
        return raisef(&exc::TypeError, "'{}' object cannot be interpreted as an integer", type_name(a.args[0]));
    int64_t x;
    if (!int_value(a.args[0], &x)) return nullptr;
    if (x < 0) return raise(&exc::OverflowError, is16 ? "ntohs: can't convert negative Python int to C 16-bit unsigned integer"
                                                       : "can't convert negative value to unsigned int");
    if (is16) {
        if (x > 0xffff)
            return raisef(&exc::OverflowError, "{}: Python int too large to convert to C 16-bit unsigned integer", name);
        return make_int(ntohs(static_cast<uint16_t>(x)));
    }
    if (x > 0xffffffffLL) return raise(&exc::OverflowError, "int larger than 32 bits");
    return make_int(ntohl(static_cast<uint32_t>(x)));
}
Ref mod_htons(Value, CallArgs a) { return byteorder_impl(a, "htons", true); }
Ref mod_ntohs(Value, CallArgs a) { return byteorder_impl(a, "ntohs", true); }
Ref mod_htonl(Value, CallArgs a) { return byteorder_impl(a, "htonl", false); }
Ref mod_ntohl(Value, CallArgs a) { return byteorder_impl(a, "ntohl", false); }

Ref mod_dup(Value, CallArgs a) {
    if (!detail::unpack_args("dup", a, 1, 1)) return nullptr;
    int fd;
    if (!c_int_arg(a.args[0], &fd)) return nullptr;
    int nfd = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (nfd < 0) return raise_errno(errno);
    return make_int(nfd);
}

Ref mod_close(Value, CallArgs a) {
    if (!detail::unpack_args("close", a, 1, 1)) return nullptr;
    int fd;
    if (!c_int_arg(a.args[0], &fd)) return nullptr;
    int rc, err;
    {
        GilRelease unlocked(GilReleaseReason::kBlocking);
        rc = ::close(fd);
        err = errno;
    }
    if (rc < 0 && err != ECONNRESET) return raise_errno(err);
    return Ref::none();
}

const MethodDef kFunctions[] = {
    {"socketpair", mod_socketpair},
    {"getdefaulttimeout", mod_getdefaulttimeout},
    {"setdefaulttimeout", mod_setdefaulttimeout},
    {"gethostname", mod_gethostname},
    {"getaddrinfo", mod_getaddrinfo},
    {"getnameinfo", mod_getnameinfo},
    {"gethostbyname", mod_gethostbyname},
    {"gethostbyname_ex", mod_gethostbyname_ex},
    {"gethostbyaddr", mod_gethostbyaddr},
    {"getservbyname", mod_getservbyname},
    {"getservbyport", mod_getservbyport},
    {"getprotobyname", mod_getprotobyname},
    {"inet_aton", mod_inet_aton},
    {"inet_ntoa", mod_inet_ntoa},
    {"inet_pton", mod_inet_pton},
    {"inet_ntop", mod_inet_ntop},
    {"htons", mod_htons},
    {"ntohs", mod_ntohs},
    {"htonl", mod_htonl},
    {"ntohl", mod_ntohl},
    {"dup", mod_dup},
    {"close", mod_close},
    {"CMSG_LEN", mod_cmsg_len},
    {"CMSG_SPACE", mod_cmsg_space},
    {nullptr, nullptr},
};

// type(name, (OSError,), {'__module__': 'socket'})
Type* make_socket_exception(const char* name) {
    RefT<Str> n = new_str(name);
    RefT<Tuple> bases = new_tuple_of({Value::object(&exc::OSError)});
    RefT<Dict> d = new_dict();
    RefT<Str> mod = new_str("socket");
    if (!n || !bases || !d || !mod || !dict_set_str(d.get(), TOY_NAME(__module__), Value::object(mod.get())))
        return nullptr;
    Ref t = call(Value::object(&type_type), {Value::object(n.get()), Value::object(bases.get()),
                                             Value::object(d.get())});
    if (!t) return nullptr;
    return static_cast<Type*>(t.release().as_object());
}

}  // namespace

RefT<Module> create_socket_module() {
    static std::once_flag once;
    std::call_once(once, [] {
        socket_type.name = "_socket.socket";
        socket_type.basic_size = sizeof(SocketObject);
        socket_type.flags |= kBaseType;
        socket_type.dealloc = socket_dealloc;
        socket_type.repr = socket_repr;
        socket_type.new_ = socket_new;
        socket_type.init = socket_init;
        socket_type.methods = kSocketMethods;
        socket_type.getsets = kSocketGetsets;
        type_ready(&socket_type, &object_type);
    });
    if (!g_gaierror) {
        g_gaierror = make_socket_exception("gaierror");
        if (!g_gaierror) return nullptr;
    }
    if (!g_herror) {
        g_herror = make_socket_exception("herror");
        if (!g_herror) return nullptr;
    }
    RefT<Module> m = new_module("_socket");
    if (!m) return nullptr;
    if (!module_add_functions(m.get(), kFunctions)) return nullptr;
    struct Const {
        const char* name;
        int64_t value;
    };
    const Const consts[] = {
        {"AF_UNSPEC", AF_UNSPEC}, {"AF_UNIX", AF_UNIX}, {"AF_INET", AF_INET}, {"AF_INET6", AF_INET6},
        {"AF_NETLINK", AF_NETLINK}, {"AF_PACKET", AF_PACKET},
        {"SOCK_STREAM", SOCK_STREAM}, {"SOCK_DGRAM", SOCK_DGRAM}, {"SOCK_RAW", SOCK_RAW},
        {"SOCK_RDM", SOCK_RDM}, {"SOCK_SEQPACKET", SOCK_SEQPACKET},
        {"SOCK_NONBLOCK", SOCK_NONBLOCK}, {"SOCK_CLOEXEC", SOCK_CLOEXEC},
        {"SOL_SOCKET", SOL_SOCKET}, {"SOL_IP", SOL_IP}, {"SOL_TCP", SOL_TCP}, {"SOL_UDP", IPPROTO_UDP},
        {"SO_DEBUG", SO_DEBUG}, {"SO_ACCEPTCONN", SO_ACCEPTCONN}, {"SO_REUSEADDR", SO_REUSEADDR},
        {"SO_REUSEPORT", SO_REUSEPORT}, {"SO_KEEPALIVE", SO_KEEPALIVE}, {"SO_DONTROUTE", SO_DONTROUTE},
        {"SO_BROADCAST", SO_BROADCAST}, {"SO_LINGER", SO_LINGER}, {"SO_OOBINLINE", SO_OOBINLINE},
        {"SO_SNDBUF", SO_SNDBUF}, {"SO_RCVBUF", SO_RCVBUF}, {"SO_SNDLOWAT", SO_SNDLOWAT},
        {"SO_RCVLOWAT", SO_RCVLOWAT}, {"SO_SNDTIMEO", SO_SNDTIMEO}, {"SO_RCVTIMEO", SO_RCVTIMEO},
        {"SO_ERROR", SO_ERROR}, {"SO_TYPE", SO_TYPE}, {"SO_DOMAIN", SO_DOMAIN},
        {"SO_PROTOCOL", SO_PROTOCOL}, {"SO_PEERCRED", SO_PEERCRED}, {"SO_PASSCRED", SO_PASSCRED},
        {"SO_BINDTODEVICE", SO_BINDTODEVICE}, {"SO_PRIORITY", SO_PRIORITY}, {"SO_MARK", SO_MARK},
        {"SCM_RIGHTS", SCM_RIGHTS}, {"SCM_CREDENTIALS", SCM_CREDENTIALS},
        {"SOMAXCONN", SOMAXCONN},
        {"MSG_OOB", MSG_OOB}, {"MSG_PEEK", MSG_PEEK}, {"MSG_DONTROUTE", MSG_DONTROUTE},
        {"MSG_DONTWAIT", MSG_DONTWAIT}, {"MSG_EOR", MSG_EOR}, {"MSG_TRUNC", MSG_TRUNC},
        {"MSG_CTRUNC", MSG_CTRUNC}, {"MSG_WAITALL", MSG_WAITALL}, {"MSG_NOSIGNAL", MSG_NOSIGNAL},
        {"MSG_CMSG_CLOEXEC", MSG_CMSG_CLOEXEC}, {"MSG_CONFIRM", MSG_CONFIRM},
        {"MSG_ERRQUEUE", MSG_ERRQUEUE}, {"MSG_MORE", MSG_MORE}, {"MSG_FASTOPEN", MSG_FASTOPEN},
        {"SHUT_RD", SHUT_RD}, {"SHUT_WR", SHUT_WR}, {"SHUT_RDWR", SHUT_RDWR},
        {"IPPROTO_IP", IPPROTO_IP}, {"IPPROTO_ICMP", IPPROTO_ICMP}, {"IPPROTO_TCP", IPPROTO_TCP},
        {"IPPROTO_UDP", IPPROTO_UDP}, {"IPPROTO_IPV6", IPPROTO_IPV6}, {"IPPROTO_RAW", IPPROTO_RAW},
        {"IPPROTO_ICMPV6", IPPROTO_ICMPV6}, {"IPPROTO_SCTP", IPPROTO_SCTP},
        {"IPPROTO_UDPLITE", IPPROTO_UDPLITE},
        {"IP_TOS", IP_TOS}, {"IP_TTL", IP_TTL}, {"IP_HDRINCL", IP_HDRINCL}, {"IP_OPTIONS", IP_OPTIONS},
        {"IP_RECVTOS", IP_RECVTOS}, {"IP_MULTICAST_IF", IP_MULTICAST_IF},
        {"IP_MULTICAST_TTL", IP_MULTICAST_TTL}, {"IP_MULTICAST_LOOP", IP_MULTICAST_LOOP},
        {"IP_ADD_MEMBERSHIP", IP_ADD_MEMBERSHIP}, {"IP_DROP_MEMBERSHIP", IP_DROP_MEMBERSHIP},
        {"IP_TRANSPARENT", IP_TRANSPARENT},
        {"IPV6_V6ONLY", IPV6_V6ONLY}, {"IPV6_UNICAST_HOPS", IPV6_UNICAST_HOPS},
        {"IPV6_MULTICAST_IF", IPV6_MULTICAST_IF}, {"IPV6_MULTICAST_HOPS", IPV6_MULTICAST_HOPS},
        {"IPV6_MULTICAST_LOOP", IPV6_MULTICAST_LOOP}, {"IPV6_JOIN_GROUP", IPV6_JOIN_GROUP},
        {"IPV6_LEAVE_GROUP", IPV6_LEAVE_GROUP}, {"IPV6_RECVTCLASS", IPV6_RECVTCLASS},
        {"IPV6_TCLASS", IPV6_TCLASS},
        {"TCP_NODELAY", TCP_NODELAY}, {"TCP_MAXSEG", TCP_MAXSEG}, {"TCP_CORK", TCP_CORK},
        {"TCP_KEEPIDLE", TCP_KEEPIDLE}, {"TCP_KEEPINTVL", TCP_KEEPINTVL}, {"TCP_KEEPCNT", TCP_KEEPCNT},
        {"TCP_SYNCNT", TCP_SYNCNT}, {"TCP_LINGER2", TCP_LINGER2}, {"TCP_DEFER_ACCEPT", TCP_DEFER_ACCEPT},
        {"TCP_WINDOW_CLAMP", TCP_WINDOW_CLAMP}, {"TCP_INFO", TCP_INFO}, {"TCP_QUICKACK", TCP_QUICKACK},
        {"TCP_FASTOPEN", TCP_FASTOPEN}, {"TCP_CONGESTION", TCP_CONGESTION},
        {"TCP_USER_TIMEOUT", TCP_USER_TIMEOUT}, {"TCP_NOTSENT_LOWAT", TCP_NOTSENT_LOWAT},
        {"INADDR_ANY", INADDR_ANY}, {"INADDR_BROADCAST", INADDR_BROADCAST},
        {"INADDR_LOOPBACK", INADDR_LOOPBACK}, {"INADDR_NONE", INADDR_NONE},
        {"INADDR_UNSPEC_GROUP", INADDR_UNSPEC_GROUP}, {"INADDR_ALLHOSTS_GROUP", INADDR_ALLHOSTS_GROUP},
        {"INADDR_MAX_LOCAL_GROUP", INADDR_MAX_LOCAL_GROUP},
        {"AI_PASSIVE", AI_PASSIVE}, {"AI_CANONNAME", AI_CANONNAME}, {"AI_NUMERICHOST", AI_NUMERICHOST},
        {"AI_NUMERICSERV", AI_NUMERICSERV}, {"AI_V4MAPPED", AI_V4MAPPED}, {"AI_ALL", AI_ALL},
        {"AI_ADDRCONFIG", AI_ADDRCONFIG},
        {"NI_NUMERICHOST", NI_NUMERICHOST}, {"NI_NUMERICSERV", NI_NUMERICSERV},
        {"NI_NOFQDN", NI_NOFQDN}, {"NI_NAMEREQD", NI_NAMEREQD}, {"NI_DGRAM", NI_DGRAM},
        {"NI_MAXHOST", NI_MAXHOST}, {"NI_MAXSERV", NI_MAXSERV},
        {"EAI_ADDRFAMILY", EAI_ADDRFAMILY}, {"EAI_AGAIN", EAI_AGAIN}, {"EAI_BADFLAGS", EAI_BADFLAGS},
        {"EAI_FAIL", EAI_FAIL}, {"EAI_FAMILY", EAI_FAMILY}, {"EAI_MEMORY", EAI_MEMORY},
        {"EAI_NODATA", EAI_NODATA}, {"EAI_NONAME", EAI_NONAME}, {"EAI_OVERFLOW", EAI_OVERFLOW},
        {"EAI_SERVICE", EAI_SERVICE}, {"EAI_SOCKTYPE", EAI_SOCKTYPE}, {"EAI_SYSTEM", EAI_SYSTEM},
    };
    for (const Const& c : consts) {
        Ref v = make_int(c.value);
        if (!v || !module_add(m.get(), c.name, *v)) return nullptr;
    }
    if (!module_add(m.get(), "socket", Value::object(&socket_type)) ||
        !module_add(m.get(), "SocketType", Value::object(&socket_type)) ||
        !module_add(m.get(), "error", Value::object(&exc::OSError)) ||
        !module_add(m.get(), "timeout", Value::object(&exc::TimeoutError)) ||
        !module_add(m.get(), "gaierror", Value::object(g_gaierror)) ||
        !module_add(m.get(), "herror", Value::object(g_herror)) ||
        !module_add(m.get(), "has_ipv6", Value::boolean(true)))
        return nullptr;
    return m;
}

}  // namespace toy
