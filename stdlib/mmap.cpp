// mmap.cpp: the `mmap` module: memory-mapped files and anonymous shared memory, as CPython's
// mmapmodule.c on Linux (same constants, argument rules and error messages).
//
// An mmap object owns one mapping (data, size) made by mmap(2) and, for a file-backed map, a
// dup() of the caller's descriptor (so size() and resize() keep working after the caller
// closes its file). `mmap(-1, n)` is an anonymous MAP_SHARED map: after os.fork() parent
// and child see the same pages, which is how processes share a counter through it. The map
// is unmapped by close() or when the object dies; every method first checks that it is still
// open ("mmap closed or invalid").
//
// Locking: none of its own. Every access copies bytes with the GIL held, so two Toy threads
// never race on the object; two processes sharing a map race exactly as in CPython (they
// need a lock of their own, e.g. multiprocessing.Lock). flush() (msync) may block on disk
// IO: it releases the GIL, having copied the address range out first; the object itself is
// kept alive by the caller, and a close() from another thread meanwhile only makes msync
// fail with ENOMEM (reported as OSError), never touches freed memory in this process.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>

#include "runtime/abstract.h"
#include "runtime/bytes.h"
#include "runtime/errors.h"
#include "runtime/gil.h"
#include "runtime/int.h"
#include "runtime/list.h"
#include "runtime/misc_types.h"
#include "runtime/module.h"
#include "runtime/native_function.h"
#include "runtime/str.h"
#include "runtime/tuple.h"
#include "stdlib/registry.h"
#include "stdlib/util.h"

namespace toy {

Type mmap_type;

namespace {

enum Access : int { kAccessDefault = 0, kAccessRead = 1, kAccessWrite = 2, kAccessCopy = 3 };

struct MmapObject : Object {
    char* data;      // null once closed
    int64_t size;
    int64_t pos;
    int64_t offset;
    int fd;          // a dup of the file's descriptor, -1 for anonymous maps
    int access;
};

MmapObject* as_mmap(Value v) { return v.as<MmapObject>(); }

bool check_valid(MmapObject* m) {
    if (m->data) return true;
    (void)raise(&exc::ValueError, "mmap closed or invalid");
    return false;
}

bool check_writable(MmapObject* m) {
    if (m->access != kAccessRead) return true;
    (void)raise(&exc::TypeError, "mmap can't modify a readonly memory map.");
    return false;
}

void unmap(MmapObject* m) {
    if (m->data) {
        ::munmap(m->data, static_cast<size_t>(m->size));
        m->data = nullptr;
    }
    if (m->fd >= 0) {
        ::close(m->fd);
        m->fd = -1;
    }
}

void mmap_dealloc(Object* o) {
    auto* m = static_cast<MmapObject*>(o);
    unmap(m);
    object_free(m, sizeof(MmapObject));
}

bool int_arg(Value v, int64_t* out) {
    if (!is_int(v)) {
        (void)raisef(&exc::TypeError, "'{}' object cannot be interpreted as an integer", type_name(v));
        return false;
    }
    return int_value(v, out);
}

// mmap(fileno, length, flags=MAP_SHARED, prot=PROT_WRITE|PROT_READ, access=ACCESS_DEFAULT,
//      offset=0)
Ref mmap_new(Type* type, CallArgs a) {
    Value args[6] = {};
    if (!parse_args("mmap", a, 2, 6, {"fileno", "length", "flags", "prot", "access", "offset"}, args))
        return nullptr;
    int64_t fd, map_size, flags = MAP_SHARED, prot = PROT_WRITE | PROT_READ, access = kAccessDefault,
                          offset = 0;
    if (!int_arg(args[0], &fd) || !int_arg(args[1], &map_size)) return nullptr;
    if (!args[2].is_null() && !int_arg(args[2], &flags)) return nullptr;
    if (!args[3].is_null() && !int_arg(args[3], &prot)) return nullptr;
    if (!args[4].is_null() && !int_arg(args[4], &access)) return nullptr;
    if (!args[5].is_null() && !int_arg(args[5], &offset)) return nullptr;
    if (map_size < 0) return raise(&exc::OverflowError, "memory mapped length must be positive");
    if (offset < 0) return raise(&exc::OverflowError, "memory mapped offset must be positive");
    if (access != kAccessDefault && (flags != MAP_SHARED || prot != (PROT_WRITE | PROT_READ)))
        return raise(&exc::ValueError, "mmap can't specify both access and flags, prot.");
    switch (access) {
        case kAccessRead: flags = MAP_SHARED; prot = PROT_READ; break;
        case kAccessWrite: flags = MAP_SHARED; prot = PROT_READ | PROT_WRITE; break;
        case kAccessCopy: flags = MAP_PRIVATE; prot = PROT_READ | PROT_WRITE; break;
        case kAccessDefault:
            if ((prot & PROT_READ) && (prot & PROT_WRITE)) {
            } else if (prot & PROT_WRITE) {
                access = kAccessWrite;
            } else {
                access = kAccessRead;
            }
            break;
        default: return raise(&exc::ValueError, "mmap invalid access parameter.");
    }
    struct stat st;
    if (fd != -1 && ::fstat(static_cast<int>(fd), &st) == 0 && S_ISREG(st.st_mode)) {
        if (map_size == 0) {
            if (st.st_size == 0) return raise(&exc::ValueError, "cannot mmap an empty file");
            if (offset >= st.st_size) return raise(&exc::ValueError, "mmap offset is greater than file size");
            map_size = st.st_size - offset;
        } else if (offset > st.st_size || st.st_size - offset < map_size) {
            return raise(&exc::ValueError, "mmap length is greater than file size");
        }
    }
    int mfd = -1;
    if (fd == -1) {
        flags |= MAP_ANONYMOUS;
    } else {
        mfd = ::fcntl(static_cast<int>(fd), F_DUPFD_CLOEXEC, 0);
        if (mfd < 0) return raise_errno(errno);
    }
    void* p = ::mmap(nullptr, static_cast<size_t>(map_size), static_cast<int>(prot),
                     static_cast<int>(flags), mfd, static_cast<off_t>(offset));
    if (p == MAP_FAILED) {
        int err = errno;
        if (mfd >= 0) ::close(mfd);
        return raise_errno(err);
    }
    MmapObject* m = new_object<MmapObject>(type, 0);
    if (!m) {
        ::munmap(p, static_cast<size_t>(map_size));
        if (mfd >= 0) ::close(mfd);
        return nullptr;
    }
    m->data = static_cast<char*>(p);
    m->size = map_size;
    m->pos = 0;
    m->offset = offset;
    m->fd = mfd;
    m->access = static_cast<int>(access);
    return Ref::steal(Value::object(m));
}

Ref mmap_repr(Value self) {
    MmapObject* m = as_mmap(self);
    if (!m->data) return Ref(new_str("<mmap.mmap closed=True>"));
    static const char* const kNames[] = {"ACCESS_DEFAULT", "ACCESS_READ", "ACCESS_WRITE", "ACCESS_COPY"};
    return Ref(new_str(fmt::format("<mmap.mmap closed=False, access={}, length={}, pos={}, offset={}>",
                                   kNames[m->access & 3], m->size, m->pos, m->offset)));
}

int64_t mmap_len(Value self) {
    MmapObject* m = as_mmap(self);
    if (!check_valid(m)) return -1;
    return m->size;
}

Ref mmap_getitem(Value self, Value key) {
    MmapObject* m = as_mmap(self);
    if (!check_valid(m)) return nullptr;
    if (key.is_object() && key.as_object()->type == &slice_type) {
        int64_t start, stop, step, n;
        if (!slice_indices(key.as<Slice>(), m->size, &start, &stop, &step, &n)) return nullptr;
        if (n <= 0) return Ref(new_bytes(""));
        if (step == 1) return Ref(new_bytes(std::string_view(m->data + start, static_cast<size_t>(n))));
        RefT<Bytes> b = new_bytes_uninit(n);
        if (!b) return nullptr;
        for (int64_t i = 0, cur = start; i < n; ++i, cur += step) b->data[i] = m->data[cur];
        return Ref(std::move(b));
    }
    if (!is_int(key)) {
        int64_t idx;
        if (type_of(key)->index == nullptr) return raise(&exc::TypeError, "mmap indices must be integers");
        if (!index_value(key, &idx)) return nullptr;
        key = Value::null();
        if (idx < 0) idx += m->size;
        if (idx < 0 || idx >= m->size) return raise(&exc::IndexError, "mmap index out of range");
        return Ref::steal(Value::small_int(static_cast<uint8_t>(m->data[idx])));
    }
    int64_t idx;
    if (!int_value(key, &idx)) {
        clear_error();
        return raise(&exc::IndexError, "mmap index out of range");
    }
    if (idx < 0) idx += m->size;
    if (idx < 0 || idx >= m->size) return raise(&exc::IndexError, "mmap index out of range");
    return Ref::steal(Value::small_int(static_cast<uint8_t>(m->data[idx])));
}

bool mmap_setitem(Value self, Value key, Value v) {
    MmapObject* m = as_mmap(self);
    if (!check_valid(m)) return false;
    if (v.is_null()) return (void)raise(&exc::TypeError, "mmap doesn't support item deletion"), false;
    if (key.is_object() && key.as_object()->type == &slice_type) {
        int64_t start, stop, step, n;
        if (!slice_indices(key.as<Slice>(), m->size, &start, &stop, &step, &n)) return false;
        if (!is_bytes_like(v))
            return (void)raisef(&exc::TypeError, "a bytes-like object is required, not '{}'", type_name(v)), false;
        if (!check_writable(m)) return false;
        std::string data(buffer_view(v));
        if (n < 0) n = 0;
        if (static_cast<int64_t>(data.size()) != n)
            return (void)raise(&exc::IndexError, "mmap slice assignment is wrong size"), false;
        if (n == 0) return true;
        if (step == 1) {
            std::memcpy(m->data + start, data.data(), static_cast<size_t>(n));
        } else {
            for (int64_t i = 0, cur = start; i < n; ++i, cur += step) m->data[cur] = data[i];
        }
        return true;
    }
    int64_t idx;
    if (type_of(key)->index == nullptr && !is_int(key))
        return (void)raise(&exc::TypeError, "mmap indices must be integers"), false;
    if (!index_value(key, &idx)) return false;
    if (idx < 0) idx += m->size;
    if (idx < 0 || idx >= m->size) return (void)raise(&exc::IndexError, "mmap index out of range"), false;
    if (!is_int(v)) return (void)raise(&exc::TypeError, "mmap item value must be an int"), false;
    int64_t byte;
    if (!int_value(v, &byte)) return false;
    if (byte < 0 || byte > 255)
        return (void)raise(&exc::ValueError, "mmap item value must be in range(0, 256)"), false;
    if (!check_writable(m)) return false;
    m->data[idx] = static_cast<char>(byte);
    return true;
}

// Iteration yields 1-byte bytes objects, as CPython's (its sequence item is bytes, while
// m[i] is an int). The bytes are copied out at iter() time.
Ref mmap_iter(Value self) {
    MmapObject* m = as_mmap(self);
    if (!check_valid(m)) return nullptr;
    RefT<List> items = new_list(m->size);
    if (!items) return nullptr;
    for (int64_t i = 0; i < m->size; ++i) {
        RefT<Bytes> b = new_bytes(std::string_view(m->data + i, 1));
        if (!b || !list_append(items.get(), b.value())) return nullptr;
    }
    return list_iter(items.value());
}

// bytes(m): Toy's bytes() has no buffer protocol, so the map offers __bytes__ (a copy of the
// whole map, what CPython's buffer export gives).
Ref mmap_bytes(Value self, CallArgs a) {
    if (!detail::unpack_args("__bytes__", a, 0, 0)) return nullptr;
    MmapObject* m = as_mmap(self);
    if (!check_valid(m)) return nullptr;
    return Ref(new_bytes(std::string_view(m->data, static_cast<size_t>(m->size))));
}

Ref mmap_close(Value self, CallArgs a) {
    if (!detail::unpack_args("close", a, 0, 0)) return nullptr;
    unmap(as_mmap(self));
    return Ref::none();
}

Ref mmap_get_closed(Value self) { return Ref::boolean(as_mmap(self)->data == nullptr); }

Ref mmap_enter(Value self, CallArgs a) {
    if (!detail::unpack_args("__enter__", a, 0, 0)) return nullptr;
    if (!check_valid(as_mmap(self))) return nullptr;
    return Ref::borrow(self);
}

Ref mmap_exit(Value self, CallArgs) {
    unmap(as_mmap(self));
    return Ref::none();
}

// read([n]): up to n bytes from the position (all remaining when n is None or negative).
Ref mmap_read(Value self, CallArgs a) {
    if (!detail::unpack_args("read", a, 0, 1)) return nullptr;
    MmapObject* m = as_mmap(self);
    if (!check_valid(m)) return nullptr;
    int64_t n = -1;
    if (a.npos == 1 && !a.args[0].is_none() && !int_arg(a.args[0], &n)) return nullptr;
    int64_t remaining = m->pos < m->size ? m->size - m->pos : 0;
    if (n < 0 || n > remaining) n = remaining;
    Ref r(new_bytes(std::string_view(m->data + m->pos, static_cast<size_t>(n))));
    if (r) m->pos += n;
    return r;
}

Ref mmap_read_byte(Value self, CallArgs a) {
    if (!detail::unpack_args("read_byte", a, 0, 0)) return nullptr;
    MmapObject* m = as_mmap(self);
    if (!check_valid(m)) return nullptr;
    if (m->pos >= m->size) return raise(&exc::ValueError, "read byte out of range");
    return Ref::steal(Value::small_int(static_cast<uint8_t>(m->data[m->pos++])));
}

Ref mmap_readline(Value self, CallArgs a) {
    if (!detail::unpack_args("readline", a, 0, 0)) return nullptr;
    MmapObject* m = as_mmap(self);
    if (!check_valid(m)) return nullptr;
    int64_t remaining = m->pos < m->size ? m->size - m->pos : 0;
    const char* start = m->data + m->pos;
    const void* nl = std::memchr(start, '\n', static_cast<size_t>(remaining));
    int64_t n = nl ? static_cast<const char*>(nl) - start + 1 : remaining;
    Ref r(new_bytes(std::string_view(start, static_cast<size_t>(n))));
    if (r) m->pos += n;
    return r;
}

Ref mmap_write(Value self, CallArgs a) {
    if (!detail::unpack_args("write", a, 1, 1)) return nullptr;
    MmapObject* m = as_mmap(self);
    if (!check_valid(m)) return nullptr;
    if (!is_bytes_like(a.args[0]))
        return raisef(&exc::TypeError, "a bytes-like object is required, not '{}'", type_name(a.args[0]));
    if (!check_writable(m)) return nullptr;
    std::string_view data = buffer_view(a.args[0]);
    int64_t n = static_cast<int64_t>(data.size());
    if (m->pos > m->size || m->size - m->pos < n) return raise(&exc::ValueError, "data out of range");
    std::memcpy(m->data + m->pos, data.data(), data.size());
    m->pos += n;
    return make_int(n);
}

Ref mmap_write_byte(Value self, CallArgs a) {
    if (!detail::unpack_args("write_byte", a, 1, 1)) return nullptr;
    MmapObject* m = as_mmap(self);
    if (!check_valid(m)) return nullptr;
    int64_t byte;
    if (!int_arg(a.args[0], &byte)) return nullptr;
    if (byte < 0 || byte > 255)
        return raise(&exc::OverflowError, byte < 0 ? "unsigned byte integer is less than minimum"
                                                   : "unsigned byte integer is greater than maximum");
    if (!check_writable(m)) return nullptr;
    if (m->pos >= m->size) return raise(&exc::ValueError, "write byte out of range");
    m->data[m->pos++] = static_cast<char>(byte);
    return Ref::none();
}

Ref mmap_seek(Value self, CallArgs a) {
    if (!detail::unpack_args("seek", a, 1, 2)) return nullptr;
    MmapObject* m = as_mmap(self);
    if (!check_valid(m)) return nullptr;
    int64_t dist, how = 0;
    if (!int_arg(a.args[0], &dist)) return nullptr;
    if (a.npos == 2 && !int_arg(a.args[1], &how)) return nullptr;
    int64_t where;
    switch (how) {
        case 0: where = dist; break;
        case 1:
            if (__builtin_add_overflow(m->pos, dist, &where)) return raise(&exc::ValueError, "seek out of range");
            break;
        case 2:
            if (__builtin_add_overflow(m->size, dist, &where)) return raise(&exc::ValueError, "seek out of range");
            break;
        default: return raise(&exc::ValueError, "unknown seek type");
    }
    if (where > m->size || where < 0) return raise(&exc::ValueError, "seek out of range");
    m->pos = where;
    return Ref::none();
}

Ref mmap_tell(Value self, CallArgs a) {
    if (!detail::unpack_args("tell", a, 0, 0)) return nullptr;
    MmapObject* m = as_mmap(self);
    if (!check_valid(m)) return nullptr;
    return make_int(m->pos);
}

Ref mmap_size(Value self, CallArgs a) {
    if (!detail::unpack_args("size", a, 0, 0)) return nullptr;
    MmapObject* m = as_mmap(self);
    if (!check_valid(m)) return nullptr;
    // As CPython 3.11 on Linux: the size of the file, so an anonymous map (no descriptor)
    // raises OSError(EBADF).
    struct stat st;
    if (::fstat(m->fd, &st) != 0) return raise_errno(errno);
    return make_int(st.st_size);
}

// find/rfind(sub[, start[, end]]): start defaults to the position.
Ref find_impl(Value self, CallArgs a, bool reverse) {
    const char* name = reverse ? "rfind" : "find";
    if (!detail::unpack_args(name, a, 1, 3)) return nullptr;
    MmapObject* m = as_mmap(self);
    if (!check_valid(m)) return nullptr;
    if (!is_bytes_like(a.args[0]))
        return raisef(&exc::TypeError, "a bytes-like object is required, not '{}'", type_name(a.args[0]));
    int64_t start = m->pos, end = m->size;
    if (a.npos >= 2 && !a.args[1].is_none() && !int_arg(a.args[1], &start)) return nullptr;
    if (a.npos >= 3 && !a.args[2].is_none() && !int_arg(a.args[2], &end)) return nullptr;
    if (start < 0) {
        start += m->size;
        if (start < 0) start = 0;
    } else if (start > m->size) {
        start = m->size;
    }
    if (end < 0) {
        end += m->size;
        if (end < 0) end = 0;
    } else if (end > m->size) {
        end = m->size;
    }
    std::string sub(buffer_view(a.args[0]));
    if (end < start || static_cast<int64_t>(sub.size()) > end - start) return make_int(-1);
    std::string_view hay(m->data + start, static_cast<size_t>(end - start));
    size_t r = reverse ? hay.rfind(sub) : hay.find(sub);
    if (r == std::string_view::npos) return make_int(-1);
    return make_int(start + static_cast<int64_t>(r));
}
Ref mmap_find(Value self, CallArgs a) { return find_impl(self, a, false); }
Ref mmap_rfind(Value self, CallArgs a) { return find_impl(self, a, true); }

Ref mmap_flush(Value self, CallArgs a) {
    if (!detail::unpack_args("flush", a, 0, 2)) return nullptr;
    MmapObject* m = as_mmap(self);
    if (!check_valid(m)) return nullptr;
    int64_t offset = 0, size = m->size;
    if (a.npos >= 1 && !int_arg(a.args[0], &offset)) return nullptr;
    if (a.npos >= 2 && !int_arg(a.args[1], &size)) return nullptr;
    if (size < 0 || offset < 0 || m->size - offset < size)
        return raise(&exc::ValueError, "flush values out of range");
    if (m->access == kAccessRead || m->access == kAccessCopy) return Ref::none();
    char* addr = m->data + offset;
    int rc, err;
    {
        GilRelease unlocked(GilReleaseReason::kBlocking);
        rc = ::msync(addr, static_cast<size_t>(size), MS_SYNC);
        err = errno;
    }
    if (rc != 0) return raise_errno(err);
    return Ref::none();
}

Ref mmap_move(Value self, CallArgs a) {
    if (!detail::unpack_args("move", a, 3, 3)) return nullptr;
    MmapObject* m = as_mmap(self);
    if (!check_valid(m)) return nullptr;
    int64_t dest, src, cnt;
    if (!int_arg(a.args[0], &dest) || !int_arg(a.args[1], &src) || !int_arg(a.args[2], &cnt))
        return nullptr;
    if (!check_writable(m)) return nullptr;
    if (dest < 0 || src < 0 || cnt < 0 || m->size - dest < cnt || m->size - src < cnt)
        return raise(&exc::ValueError, "source, destination, or count out of range");
    std::memmove(m->data + dest, m->data + src, static_cast<size_t>(cnt));
    return Ref::none();
}

Ref mmap_resize(Value self, CallArgs a) {
    if (!detail::unpack_args("resize", a, 1, 1)) return nullptr;
    MmapObject* m = as_mmap(self);
    if (!check_valid(m)) return nullptr;
    int64_t new_size;
    if (!int_arg(a.args[0], &new_size)) return nullptr;
    if (m->access != kAccessDefault && m->access != kAccessWrite)
        return raise(&exc::TypeError, "mmap can't resize a readonly or copy-on-write memory map.");
    if (new_size < 0 || INT64_MAX - new_size < m->offset)
        return raise(&exc::ValueError, "new size out of range");
    if (m->fd != -1 && ::ftruncate(m->fd, static_cast<off_t>(m->offset + new_size)) == -1)
        return raise_errno(errno);
    void* p = ::mremap(m->data, static_cast<size_t>(m->size), static_cast<size_t>(new_size), MREMAP_MAYMOVE);
    if (p == MAP_FAILED) return raise_errno(errno);
    m->data = static_cast<char*>(p);
    m->size = new_size;
    if (m->pos > new_size) m->pos = new_size;
    return Ref::none();
}

Ref mmap_madvise(Value self, CallArgs a) {
    if (!detail::unpack_args("madvise", a, 1, 3)) return nullptr;
    MmapObject* m = as_mmap(self);
    if (!check_valid(m)) return nullptr;
    int64_t option, start = 0, length = m->size;
    if (!int_arg(a.args[0], &option)) return nullptr;
    if (a.npos >= 2 && !int_arg(a.args[1], &start)) return nullptr;
    if (a.npos >= 3 && !int_arg(a.args[2], &length)) return nullptr;
    if (start < 0 || start >= m->size) return raise(&exc::ValueError, "madvise start out of bounds");
    if (length < 0) return raise(&exc::ValueError, "madvise length invalid");
    if (INT64_MAX - start < length) return raise(&exc::OverflowError, "madvise length too large");
    if (start + length > m->size) length = m->size - start;
    if (::madvise(m->data + start, static_cast<size_t>(length), static_cast<int>(option)) != 0)
        return raise_errno(errno);
    return Ref::none();
}

const MethodDef kMmapMethods[] = {
    {"close", mmap_close},
    {"read", mmap_read},
    {"read_byte", mmap_read_byte},
    {"readline", mmap_readline},
    {"write", mmap_write},
    {"write_byte", mmap_write_byte},
    {"seek", mmap_seek},
    {"tell", mmap_tell},
    {"size", mmap_size},
    {"find", mmap_find},
    {"rfind", mmap_rfind},
    {"flush", mmap_flush},
    {"move", mmap_move},
    {"resize", mmap_resize},
    {"madvise", mmap_madvise},
    {"__bytes__", mmap_bytes},
    {"__enter__", mmap_enter},
    {"__exit__", mmap_exit},
    {nullptr, nullptr},
};

const GetSetDef kMmapGetsets[] = {
    {"closed", mmap_get_closed},
    {nullptr, nullptr},
};

}  // namespace

RefT<Module> create_mmap_module() {
    static std::once_flag once;
    std::call_once(once, [] {
        mmap_type.name = "mmap.mmap";
        mmap_type.basic_size = sizeof(MmapObject);
        mmap_type.dealloc = mmap_dealloc;
        mmap_type.repr = mmap_repr;
        mmap_type.new_ = mmap_new;
        mmap_type.len = mmap_len;
        mmap_type.getitem = mmap_getitem;
        mmap_type.setitem = mmap_setitem;
        mmap_type.iter = mmap_iter;
        mmap_type.methods = kMmapMethods;
        mmap_type.getsets = kMmapGetsets;
        type_ready(&mmap_type, &object_type);
    });
    RefT<Module> m = new_module("mmap");
    if (!m) return nullptr;
    struct Const {
        const char* name;
        int64_t value;
    };
    const Const consts[] = {
        {"ACCESS_DEFAULT", kAccessDefault}, {"ACCESS_READ", kAccessRead},
        {"ACCESS_WRITE", kAccessWrite},     {"ACCESS_COPY", kAccessCopy},
        {"MAP_SHARED", MAP_SHARED},         {"MAP_PRIVATE", MAP_PRIVATE},
        {"MAP_ANONYMOUS", MAP_ANONYMOUS},   {"MAP_ANON", MAP_ANONYMOUS},
        {"MAP_DENYWRITE", MAP_DENYWRITE},   {"MAP_EXECUTABLE", MAP_EXECUTABLE},
        {"MAP_POPULATE", MAP_POPULATE},     {"MAP_STACK", MAP_STACK},
        {"PROT_READ", PROT_READ},           {"PROT_WRITE", PROT_WRITE},
        {"PROT_EXEC", PROT_EXEC},           {"PAGESIZE", ::sysconf(_SC_PAGESIZE)},
        {"ALLOCATIONGRANULARITY", ::sysconf(_SC_PAGESIZE)},
        {"MADV_NORMAL", MADV_NORMAL},       {"MADV_RANDOM", MADV_RANDOM},
        {"MADV_SEQUENTIAL", MADV_SEQUENTIAL}, {"MADV_WILLNEED", MADV_WILLNEED},
        {"MADV_DONTNEED", MADV_DONTNEED},   {"MADV_REMOVE", MADV_REMOVE},
        {"MADV_DONTFORK", MADV_DONTFORK},   {"MADV_DOFORK", MADV_DOFORK},
        {"MADV_HWPOISON", MADV_HWPOISON},   {"MADV_MERGEABLE", MADV_MERGEABLE},
        {"MADV_UNMERGEABLE", MADV_UNMERGEABLE}, {"MADV_HUGEPAGE", MADV_HUGEPAGE},
        {"MADV_NOHUGEPAGE", MADV_NOHUGEPAGE}, {"MADV_DONTDUMP", MADV_DONTDUMP},
        {"MADV_DODUMP", MADV_DODUMP},       {"MADV_FREE", MADV_FREE},
    };
    for (const Const& c : consts) {
        Ref v = make_int(c.value);
        if (!v || !module_add(m.get(), c.name, *v)) return nullptr;
    }
    if (!module_add(m.get(), "mmap", Value::object(&mmap_type)) ||
        !module_add(m.get(), "error", Value::object(&exc::OSError)))
        return nullptr;
    return m;
}

}  // namespace toy
