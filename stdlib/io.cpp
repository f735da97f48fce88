// io.cpp: file objects (see io.h for the design).
#include "stdlib/io.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "runtime/abstract.h"
#include "runtime/bytes.h"
#include "runtime/errors.h"
#include "runtime/gil.h"
#include "runtime/signals.h"
#include "runtime/int.h"
#include "runtime/list.h"
#include "runtime/native_function.h"
#include "runtime/str.h"
#include "runtime/tuple.h"
#include "stdlib/util.h"

namespace toy {

using detail::no_kwargs;

Type textio_type;
Type buffered_reader_type;
Type buffered_writer_type;
Type buffered_random_type;
Type unsupported_operation_type;

namespace {

constexpr size_t kWriteBufferSize = 8192;
constexpr size_t kReadChunk = 65536;

FileObject* as_file(Value v) { return v.as<FileObject>(); }

// Index of the first byte of an invalid UTF-8 sequence in s, or -1; *reason gets CPython's
// wording.
int64_t utf8_invalid_at(std::string_view s, const char** reason) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    size_t n = s.size(), i = 0;
    while (i < n) {
        unsigned c = p[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        size_t len;
        unsigned min;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            min = 0x10000;
        } else {
            *reason = "invalid start byte";
            return static_cast<int64_t>(i);
        }
        uint32_t cp = c & (0x7F >> len);
        for (size_t k = 1; k < len; ++k) {
            if (i + k >= n) {
                *reason = "unexpected end of data";
                return static_cast<int64_t>(i);
            }
            unsigned cc = p[i + k];
            if ((cc & 0xC0) != 0x80) {
                *reason = "invalid continuation byte";
                return static_cast<int64_t>(i);
            }
            cp = (cp << 6) | (cc & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            *reason = "invalid continuation byte";
            return static_cast<int64_t>(i);
        }
        i += len;
    }
    return -1;
}

Ref decode_utf8(std::string_view s) {
    const char* reason = nullptr;
    int64_t bad = utf8_invalid_at(s, &reason);
    if (bad >= 0) {
        // The codec raises the full UnicodeDecodeError (encoding, object, start, end, reason).
        Ref r = bytes_decode(s, "utf-8", "strict");
        if (r || error_occurred()) return r;
        return raisef(&exc::ValueError, "'utf-8' codec can't decode byte 0x{:02x} in position {}: {}",
                      static_cast<unsigned char>(s[bad]), bad, reason);
    }
    return new_str(s);
}

// raise_errno() with a file name, the empty one included (open("") names '').
Ref raise_errno_filename(int err, const std::string& path) {
    if (!path.empty()) return raise_errno(err, path);
    RefT<Str> msg = new_str(strerror(err));
    RefT<Str> name = new_str("");
    if (!msg || !name) return nullptr;
    Ref e = call(Value::object(&exc::OSError), {Value::small_int(err), msg.value(), name.value()});
    if (!e) return nullptr;
    return raise_value(e.get());
}

Ref unsupported(const char* what) { return raise(&unsupported_operation_type, what); }

bool check_open(FileObject* f) {
    if (!f->closed) return true;
    (void)raise(&exc::ValueError, "I/O operation on closed file.");
    return false;
}

bool check_readable(FileObject* f) {
    if (!check_open(f)) return false;
    if (f->readable) return true;
    (void)unsupported(f->binary ? "read" : "not readable");
    return false;
}

bool check_writable(FileObject* f) {
    if (!check_open(f)) return false;
    if (f->writable) return true;
    (void)unsupported(f->binary ? "write" : "not writable");
    return false;
}

// Bytes of the file read ahead into rbuf but not consumed yet.
off_t raw_unread(FileObject* f) {
    auto n = static_cast<off_t>(f->rbuf.size() - f->rpos);
    for (size_t pos : f->crlf)
        if (pos >= f->rpos) ++n;  // a "\r\n" that became one '\n'
    return n;
}

void reset_rbuf(FileObject* f) {
    f->rbuf.clear();
    f->rpos = 0;
    f->crlf.clear();
}

// write(2) of all of data, retrying on EINTR and short writes. False with OSError set.
bool write_all(int fd, const char* data, size_t n) {
    while (n > 0) {
        ssize_t w;
        int err;
        {
            // The bytes are a private buffer or an immutable object the caller keeps alive.
            GilRelease unlocked(GilReleaseReason::kBlocking);
            w = ::write(fd, data, n);
            err = errno;
        }
        if (w < 0) {
            if (err == EINTR) {
                if (!handle_pending_signals()) return false;
                continue;
            }
            (void)raise_errno(err);
            return false;
        }
        data += w;
        n -= static_cast<size_t>(w);
    }
    return true;
}

bool flush_write_buffer(FileObject* f) {
    if (f->wbuf.empty()) return true;
    std::string buf;
    buf.swap(f->wbuf);  // on error, the data is dropped (as CPython's partial-write handling)
    bool ok = write_all(f->fd, buf.data(), buf.size());
    buf.clear();
    if (f->wbuf.empty()) f->wbuf.swap(buf);  // keep the capacity
    return ok;
}

// Reads one more chunk into rbuf (text mode: universal newlines). Returns false with an
// exception set; sets f->eof at end of file.
bool fill(FileObject* f) {
    if (f->eof) return true;
    if (f->rpos > 0 && f->rpos == f->rbuf.size()) {
        reset_rbuf(f);
    } else if (f->rpos > kReadChunk) {
        f->rbuf.erase(0, f->rpos);
        size_t keep = 0;
        for (size_t pos : f->crlf)
            if (pos >= f->rpos) f->crlf[keep++] = pos - f->rpos;
        f->crlf.resize(keep);
        f->rpos = 0;
    }
    char chunk[kReadChunk];
    ssize_t r;
    for (;;) {
        int fd = f->fd, err;
        {
            GilRelease unlocked(GilReleaseReason::kBlocking);  // chunk is a local buffer
            r = ::read(fd, chunk, sizeof chunk);
            err = errno;
        }
        if (r >= 0) break;
        if (err == EINTR) {
            if (!handle_pending_signals()) return false;
            continue;
        }
        (void)raise_errno(err);
        return false;
    }
    if (r == 0) {
        f->eof = true;
        return true;
    }
    if (f->binary || !f->translate) {
        f->rbuf.append(chunk, static_cast<size_t>(r));
        return true;
    }
    // Universal newlines: "\r\n" and "\r" become "\n".
    size_t i = 0, n = static_cast<size_t>(r);
    if (f->skip_lf) {
        f->skip_lf = false;
        if (chunk[0] == '\n') {
            i = 1;
            if (f->rbuf.size() > f->rpos) f->crlf.push_back(f->rbuf.size() - 1);
        }
    }
    for (; i < n; ++i) {
        char c = chunk[i];
        if (c == '\r') {
            f->rbuf.push_back('\n');
            if (i + 1 < n) {
                if (chunk[i + 1] == '\n') {
                    ++i;
                    f->crlf.push_back(f->rbuf.size() - 1);
                }
            } else {
                f->skip_lf = true;
            }
        } else {
            f->rbuf.push_back(c);
        }
    }
    return true;
}

Ref make_result(FileObject* f, std::string_view data) {
    if (f->binary) return new_bytes(data);
    return decode_utf8(data);
}

// Reads everything left.
bool read_all(FileObject* f, std::string* out) {
    while (!f->eof)
        if (!fill(f)) return false;
    out->assign(f->rbuf, f->rpos, std::string::npos);
    reset_rbuf(f);
    return true;
}

// Bytes from rpos covering n code points (text) or n bytes (binary), filling as needed.
bool read_n(FileObject* f, int64_t n, std::string* out) {
    if (f->binary) {
        while (f->rbuf.size() - f->rpos < static_cast<size_t>(n) && !f->eof)
            if (!fill(f)) return false;
        size_t take = std::min(static_cast<size_t>(n), f->rbuf.size() - f->rpos);
        out->assign(f->rbuf, f->rpos, take);
        f->rpos += take;
        return true;
    }
    size_t i;
    for (;;) {
        i = f->rpos;
        int64_t count = 0;
        size_t size = f->rbuf.size();
        while (i < size) {
            if ((static_cast<unsigned char>(f->rbuf[i]) & 0xC0) != 0x80) {
                if (count == n) break;
                ++count;
            }
            ++i;
        }
        // Done when the (n+1)-th character starts inside the buffer, or at end of file.
        if ((count == n && i < size) || f->eof) break;
        if (!fill(f)) return false;
    }
    out->assign(f->rbuf, f->rpos, i - f->rpos);
    f->rpos = i;
    return true;
}

// The end (byte index in rbuf) of `limit` units from rpos: bytes for binary files, whole
// characters for text. npos when the buffer does not hold that many yet.
size_t limit_end(FileObject* f, int64_t limit) {
    size_t avail = f->rbuf.size() - f->rpos;
    if (f->binary) return avail >= static_cast<size_t>(limit) ? f->rpos + limit : std::string::npos;
    size_t i = f->rpos;
    int64_t count = 0;
    for (; i < f->rbuf.size(); ++i) {
        if ((static_cast<unsigned char>(f->rbuf[i]) & 0xC0) != 0x80) {
            if (count == limit) return i;
            ++count;
        }
    }
    return std::string::npos;
}

bool readline_impl(FileObject* f, int64_t limit, std::string* out) {
    out->clear();
    size_t scanned = f->rpos;
    for (;;) {
        size_t lim = limit >= 0 ? limit_end(f, limit) : std::string::npos;
        size_t nl = f->rbuf.find('\n', scanned);
        if (nl != std::string::npos && (lim == std::string::npos || nl < lim)) {
            out->assign(f->rbuf, f->rpos, nl + 1 - f->rpos);
            f->rpos = nl + 1;
            return true;
        }
        if (lim != std::string::npos) {
            out->assign(f->rbuf, f->rpos, lim - f->rpos);
            f->rpos = lim;
            return true;
        }
        if (f->eof) {
            out->assign(f->rbuf, f->rpos, std::string::npos);
            reset_rbuf(f);
            return true;
        }
        size_t off = f->rbuf.size() - f->rpos;
        if (!fill(f)) return false;
        scanned = f->rpos + off;
    }
}

bool close_impl(FileObject* f) {
    if (f->closed) return true;
    bool ok = flush_write_buffer(f);
    f->closed = true;
    if (f->closefd && f->fd >= 0) {
        if (::close(f->fd) < 0 && ok && errno != EINTR) {
            (void)raise_errno(errno);
            ok = false;
        }
    }
    f->fd = -1;
    reset_rbuf(f);
    f->rbuf.shrink_to_fit();
    f->wbuf.clear();
    f->wbuf.shrink_to_fit();
    f->rpos = 0;
    return ok;
}

void file_dealloc(Object* o) {
    auto* f = static_cast<FileObject*>(o);
    if (!f->closed) {
        Ref saved = fetch_error();
        if (!close_impl(f)) clear_error();  // CPython prints "Exception ignored"; we drop it
        if (saved) restore_error(std::move(saved));
    }
    decref(f->name);
    if (f->mode) decref(f->mode);
    if (f->encoding) decref(f->encoding);
    if (f->flush_first) decref(f->flush_first);
    f->~FileObject();
    object_free(f, sizeof(FileObject));
}

Ref file_repr(Value self) {
    FileObject* f = as_file(self);
    std::string out = fmt::format("<{}", f->type->name);
    if (!f->name.is_null()) {
        Ref r = repr(f->name);
        if (!r) return nullptr;
        out += fmt::format(" name={}", detail::str_view(r.get()));
    }
    if (!f->binary) {
        if (f->mode) out += fmt::format(" mode='{}'", f->mode->view());
        if (f->encoding) out += fmt::format(" encoding='{}'", f->encoding->view());
    }
    out += '>';
    return new_str(out);
}

bool get_size_arg(const char* fname, CallArgs a, int64_t* size) {
    *size = -1;
    if (!detail::unpack_args(fname, a, 0, 1)) return false;
    if (a.npos == 1 && !a.args[0].is_none()) {
        if (!index_value(a.args[0], size)) return false;
    }
    return true;
}

Ref m_read(Value self, CallArgs a) {
    FileObject* f = as_file(self);
    int64_t size;
    if (!get_size_arg("read", a, &size)) return nullptr;
    if (!check_readable(f)) return nullptr;
    if (!flush_write_buffer(f)) return nullptr;
    std::string out;
    if (size < 0) {
        if (!read_all(f, &out)) return nullptr;
    } else {
        if (!read_n(f, size, &out)) return nullptr;
    }
    return make_result(f, out);
}

Ref m_readline(Value self, CallArgs a) {
    FileObject* f = as_file(self);
    int64_t size;
    if (!get_size_arg("readline", a, &size)) return nullptr;
    if (!check_readable(f)) return nullptr;
    if (!flush_write_buffer(f)) return nullptr;
    std::string line;
    if (!readline_impl(f, size, &line)) return nullptr;
    return make_result(f, line);
}

Ref m_readlines(Value self, CallArgs a) {
    FileObject* f = as_file(self);
    int64_t hint;
    if (!get_size_arg("readlines", a, &hint)) return nullptr;
    if (!check_readable(f)) return nullptr;
    RefT<List> l = new_list();
    if (!l) return nullptr;
    std::string line;
    int64_t total = 0;
    for (;;) {
        if (!readline_impl(f, -1, &line)) return nullptr;
        if (line.empty()) break;
        Ref s = make_result(f, line);
        if (!s || !list_append_steal(l.get(), s.release())) return nullptr;
        total += static_cast<int64_t>(line.size());
        if (hint > 0 && total >= hint) break;
    }
    return Ref(std::move(l));
}

// The bytes of a write() argument; false with TypeError.
bool write_arg(FileObject* f, Value v, std::string_view* data, int64_t* count) {
    if (f->binary) {
        if (!is_bytes(v)) {
            (void)raisef(&exc::TypeError, "a bytes-like object is required, not '{}'", type_name(v));
            return false;
        }
        *data = bytes_view(v);
        *count = static_cast<int64_t>(data->size());
        return true;
    }
    if (!is_str(v)) {
        (void)raisef(&exc::TypeError, "write() argument must be str, not {}", type_name(v));
        return false;
    }
    Str* s = v.as<Str>();
    *data = s->view();
    *count = s->length;
    return true;
}

Ref m_write(Value self, CallArgs a) {
    FileObject* f = as_file(self);
    if (!detail::unpack_args("write", a, 1, 1)) return nullptr;
    std::string_view data;
    int64_t count;
    if (!f->binary && !write_arg(f, a.args[0], &data, &count)) return nullptr;
    if (!check_writable(f)) return nullptr;
    if (f->binary && !write_arg(f, a.args[0], &data, &count)) return nullptr;
    if (!file_write_bytes(f, data)) return nullptr;
    return make_int(count);
}

Ref m_writelines(Value self, CallArgs a) {
    FileObject* f = as_file(self);
    if (!detail::unpack_args("writelines", a, 1, 1)) return nullptr;
    if (!check_writable(f)) return nullptr;
    Ref it = get_iter(a.args[0]);
    if (!it) return nullptr;
    for (;;) {
        Ref item = iter_next(it.get());
        if (!item) {
            if (error_occurred()) return nullptr;
            break;
        }
        std::string_view data;
        int64_t count;
        if (!write_arg(f, item.get(), &data, &count)) return nullptr;
        if (!file_write_bytes(f, data)) return nullptr;
    }
    return Ref::none();
}

Ref m_flush(Value self, CallArgs a) {
    if (!detail::unpack_args("flush", a, 0, 0)) return nullptr;
    FileObject* f = as_file(self);
    if (!check_open(f)) return nullptr;
    if (!flush_write_buffer(f)) return nullptr;
    return Ref::none();
}

Ref m_close(Value self, CallArgs a) {
    if (!detail::unpack_args("close", a, 0, 0)) return nullptr;
    if (!close_impl(as_file(self))) return nullptr;
    return Ref::none();
}

bool seekable_impl(FileObject* f) {
    if (!f->seekable_known) {
        f->is_seekable = ::lseek(f->fd, 0, SEEK_CUR) >= 0;
        f->seekable_known = true;
    }
    return f->is_seekable;
}

Ref m_seek(Value self, CallArgs a) {
    FileObject* f = as_file(self);
    if (!detail::unpack_args("seek", a, 1, 2)) return nullptr;
    int64_t offset, whence = 0;
    if (!index_value(a.args[0], &offset)) return nullptr;
    if (a.npos > 1 && !index_value(a.args[1], &whence)) return nullptr;
    if (!check_open(f)) return nullptr;
    if (whence < 0 || whence > 2) {
        return raisef(&exc::ValueError, "invalid whence ({}, should be 0, 1 or 2)", whence);
    }
    if (!f->binary && whence != 0 && offset != 0) {
        return unsupported(whence == 1 ? "can't do nonzero cur-relative seeks"
                                       : "can't do nonzero end-relative seeks");
    }
    if (!flush_write_buffer(f)) return nullptr;
    if (whence == 1) offset -= raw_unread(f);
    off_t r = ::lseek(f->fd, offset, static_cast<int>(whence));
    if (r < 0) return raise_errno(errno);
    reset_rbuf(f);
    f->eof = false;
    f->skip_lf = false;
    return make_int(r);
}

Ref m_tell(Value self, CallArgs a) {
    FileObject* f = as_file(self);
    if (!detail::unpack_args("tell", a, 0, 0)) return nullptr;
    if (!check_open(f)) return nullptr;
    off_t r = ::lseek(f->fd, 0, SEEK_CUR);
    if (r < 0) return raise_errno(errno);
    r += static_cast<off_t>(f->wbuf.size());
    r -= raw_unread(f);
    return make_int(r);
}

Ref m_fileno(Value self, CallArgs a) {
    FileObject* f = as_file(self);
    if (!detail::unpack_args("fileno", a, 0, 0)) return nullptr;
    if (f->closed) return raise(&exc::ValueError, "I/O operation on closed file");
    return make_int(f->fd);
}

Ref m_isatty(Value self, CallArgs a) {
    FileObject* f = as_file(self);
    if (!detail::unpack_args("isatty", a, 0, 0)) return nullptr;
    if (!check_open(f)) return nullptr;
    return Ref::boolean(::isatty(f->fd) == 1);
}

Ref m_readable(Value self, CallArgs a) {
    FileObject* f = as_file(self);
    if (!detail::unpack_args("readable", a, 0, 0)) return nullptr;
    if (!check_open(f)) return nullptr;
    return Ref::boolean(f->readable);
}

Ref m_writable(Value self, CallArgs a) {
    FileObject* f = as_file(self);
    if (!detail::unpack_args("writable", a, 0, 0)) return nullptr;
    if (!check_open(f)) return nullptr;
    return Ref::boolean(f->writable);
}

Ref m_seekable(Value self, CallArgs a) {
    FileObject* f = as_file(self);
    if (!detail::unpack_args("seekable", a, 0, 0)) return nullptr;
    if (!check_open(f)) return nullptr;
    return Ref::boolean(seekable_impl(f));
}

Ref m_enter(Value self, CallArgs a) {
    if (!detail::unpack_args("__enter__", a, 0, 0)) return nullptr;
    if (!check_open(as_file(self))) return nullptr;
    return Ref::borrow(self);
}

Ref m_exit(Value self, CallArgs a) {
    if (!close_impl(as_file(self))) return nullptr;
    return Ref::none();
}

Ref file_iter(Value self) {
    if (!check_open(as_file(self))) return nullptr;
    return Ref::borrow(self);
}

Ref file_next(Value self) {
    FileObject* f = as_file(self);
    if (!check_readable(f)) return nullptr;
    std::string line;
    if (!readline_impl(f, -1, &line)) return nullptr;
    if (line.empty()) return nullptr;  // exhausted
    return make_result(f, line);
}

Ref g_closed(Value self) { return Ref::boolean(as_file(self)->closed); }
Ref g_name(Value self) {
    FileObject* f = as_file(self);
    if (f->name.is_null()) return raise(&exc::AttributeError, "name");
    return Ref::borrow(f->name);
}
Ref g_mode(Value self) {
    FileObject* f = as_file(self);
    if (!f->mode) return raise(&exc::AttributeError, "mode");
    return Ref::borrow(Value::object(f->mode));
}
Ref g_encoding(Value self) {
    FileObject* f = as_file(self);
    if (!f->encoding) {
        return raisef(&exc::AttributeError, "'{}' object has no attribute 'encoding'",
                      type_name(self));
    }
    return Ref::borrow(Value::object(f->encoding));
}
Ref g_line_buffering(Value self) { return Ref::boolean(as_file(self)->line_buffered); }

const MethodDef kFileMethods[] = {
    {"read", m_read},
    {"readline", m_readline},
    {"readlines", m_readlines},
    {"write", m_write},
    {"writelines", m_writelines},
    {"flush", m_flush},
    {"close", m_close},
    {"seek", m_seek},
    {"tell", m_tell},
    {"fileno", m_fileno},
    {"isatty", m_isatty},
    {"readable", m_readable},
    {"writable", m_writable},
    {"seekable", m_seekable},
    {"__enter__", m_enter},
    {"__exit__", m_exit},
    {nullptr, nullptr},
};

const GetSetDef kFileGetSets[] = {
    {"closed", g_closed},
    {"name", g_name},
    {"mode", g_mode},
    {nullptr, nullptr},
};

const GetSetDef kTextGetSets[] = {
    {"closed", g_closed},
    {"name", g_name},
    {"mode", g_mode},
    {"encoding", g_encoding},
    {"line_buffering", g_line_buffering},
    {nullptr, nullptr},
};

void init_file_type(Type* t, const char* name, bool text) {
    t->name = name;
    t->basic_size = sizeof(FileObject);
    t->flags |= kBaseType;
    t->methods = kFileMethods;
    t->getsets = text ? kTextGetSets : kFileGetSets;
    t->dealloc = file_dealloc;
    t->repr = file_repr;
    t->iter = file_iter;
    t->next = file_next;
    type_ready(t, &object_type);
}

RefT<FileObject> alloc_file(Type* type) {
    FileObject* f = new_object<FileObject>(type, 0);
    return RefT<FileObject>::steal(f);
}

}  // namespace

void init_io_types() {
    init_file_type(&textio_type, "_io.TextIOWrapper", true);
    init_file_type(&buffered_reader_type, "_io.BufferedReader", false);
    init_file_type(&buffered_writer_type, "_io.BufferedWriter", false);
    init_file_type(&buffered_random_type, "_io.BufferedRandom", false);
    unsupported_operation_type.name = "io.UnsupportedOperation";
    unsupported_operation_type.basic_size = exc::OSError.basic_size;
    unsupported_operation_type.dict_offset = exc::OSError.dict_offset;
    unsupported_operation_type.flags |= kBaseType | kExceptionSubclass;
    type_ready(&unsupported_operation_type, &exc::OSError);
    // As CPython: class UnsupportedOperation(OSError, ValueError). type_ready() knows one base;
    // set the second base and the C3 MRO (the type is immortal: the old tuples are dropped).
    Type* t = &unsupported_operation_type;
    RefT<Tuple> bases = new_tuple_of({Value::object(&exc::OSError), Value::object(&exc::ValueError)});
    RefT<Tuple> mro = new_tuple_of({Value::object(t), Value::object(&exc::OSError),
                                    Value::object(&exc::ValueError), Value::object(&exc::Exception),
                                    Value::object(&exc::BaseException), Value::object(&object_type)});
    if (bases && mro) {
        // The tuples type_ready() made are ours alone: free them (they were made immortal).
        for (Tuple* old : {t->bases, t->mro}) {
            old->refcnt = 1;
            decref(old);
        }
        t->bases = bases.release();
        t->mro = mro.release();
        make_immortal(t->bases);
        make_immortal(t->mro);
    }
}

bool file_write_bytes(FileObject* f, std::string_view data) {
    if (f->flush_first && !f->flush_first->closed && !f->flush_first->wbuf.empty()) {
        if (!flush_write_buffer(f->flush_first)) return false;
    }
    if (!f->rbuf.empty() || f->rpos) {
        // Reading and writing share one position: drop the read-ahead first.
        off_t back = -raw_unread(f);
        if (back != 0 && ::lseek(f->fd, back, SEEK_CUR) < 0) {
            (void)raise_errno(errno);
            return false;
        }
        reset_rbuf(f);
        f->eof = false;
    }
    if (data.size() >= kWriteBufferSize) {
        if (!flush_write_buffer(f)) return false;
        return write_all(f->fd, data.data(), data.size());
    }
    f->wbuf.append(data);
    if (f->wbuf.size() >= kWriteBufferSize || f->write_through ||
        (f->line_buffered && data.find('\n') != std::string_view::npos)) {
        return flush_write_buffer(f);
    }
    return true;
}

bool file_flush(FileObject* f) {
    if (f->closed) return true;
    return flush_write_buffer(f);
}

bool file_readline(FileObject* f, std::string* out) {
    if (!check_readable(f)) return false;
    if (!flush_write_buffer(f)) return false;
    return readline_impl(f, -1, out);
}

RefT<FileObject> new_std_stream(int fd, std::string_view name, bool write, bool line_buffered,
                                bool write_through) {
    RefT<FileObject> f = alloc_file(&textio_type);
    if (!f) return nullptr;
    f->fd = fd;
    f->readable = !write;
    f->writable = write;
    f->closefd = false;
    f->line_buffered = line_buffered;
    f->write_through = write_through;
    RefT<Str> n = new_str(name);
    if (!n) return nullptr;
    f->name = Value::object(n.release());
    f->mode = intern(write ? "w" : "r");
    f->encoding = intern("utf-8");
    if (write) f->wbuf.reserve(kWriteBufferSize);
    return f;
}

Ref builtin_open(Value, CallArgs a) {
    Value args[8];
    if (!parse_args("open", a, 1, 8,
                    {"file", "mode", "buffering", "encoding", "errors", "newline", "closefd",
                     "opener"},
                    args)) {
        return nullptr;
    }
    Value file = args[0];
    std::string_view mode = "r";
    if (!args[1].is_null()) {
        if (!is_str(args[1])) {
            return raisef(&exc::TypeError, "open() argument 'mode' must be str, not {}",
                          type_name(args[1]));
        }
        mode = detail::str_view(args[1]);
    }
    int creating = 0, reading = 0, writing = 0, appending = 0, updating = 0, text = 0, binary = 0;
    for (char c : mode) {
        int* flag = nullptr;
        switch (c) {
            case 'x': flag = &creating; break;
            case 'r': flag = &reading; break;
            case 'w': flag = &writing; break;
            case 'a': flag = &appending; break;
            case '+': flag = &updating; break;
            case 't': flag = &text; break;
            case 'b': flag = &binary; break;
            default: break;
        }
        if (!flag || *flag) return raisef(&exc::ValueError, "invalid mode: '{}'", mode);
        *flag = 1;
    }
    if (text && binary) {
        return raise(&exc::ValueError, "can't have text and binary mode at once");
    }
    if (creating + reading + writing + appending != 1) {
        return raise(&exc::ValueError,
                     "must have exactly one of create/read/write/append mode");
    }
    Value encoding = args[3];
    if (binary && !encoding.is_null() && !encoding.is_none()) {
        return raise(&exc::ValueError, "binary mode doesn't take an encoding argument");
    }
    if (!encoding.is_null() && !encoding.is_none()) {
        if (!is_str(encoding)) {
            return raisef(&exc::TypeError, "open() argument 'encoding' must be str or None, not {}",
                          type_name(encoding));
        }
        std::string enc(detail::str_view(encoding));
        for (char& c : enc) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
        if (enc != "utf-8" && enc != "utf8" && enc != "ascii" && enc != "us-ascii" &&
            enc != "utf_8" && enc != "locale") {
            return raisef(&exc::LookupError, "unknown encoding: {}", detail::str_view(encoding));
        }
    }
    bool translate = true;
    Value newline = args[5];
    if (!newline.is_null() && !newline.is_none()) {
        if (!is_str(newline)) {
            return raisef(&exc::TypeError, "open() argument 'newline' must be str or None, not {}",
                          type_name(newline));
        }
        std::string_view nl = detail::str_view(newline);
        if (nl != "" && nl != "\n" && nl != "\r" && nl != "\r\n") {
            return raisef(&exc::ValueError, "illegal newline value: {}", nl);
        }
        if (binary) return raise(&exc::ValueError, "binary mode doesn't take a newline argument");
        // newline='' or '\n': lines end at '\n' and nothing is translated.
        translate = false;
    }
    bool closefd = true;
    if (!args[6].is_null()) {
        int t = truthy(args[6]);
        if (t < 0) return nullptr;
        closefd = t != 0;
    }
    int flags = O_CLOEXEC;
    if (updating) flags |= O_RDWR;
    else if (reading) flags |= O_RDONLY;
    else flags |= O_WRONLY;
    if (writing) flags |= O_CREAT | O_TRUNC;
    if (appending) flags |= O_CREAT | O_APPEND;
    if (creating) flags |= O_CREAT | O_EXCL;

    int fd;
    if (is_int(file) && !file.is_bool()) {
        int64_t n;
        if (!int_value(file, &n)) return nullptr;
        if (n < 0) return raise(&exc::ValueError, "negative file descriptor");
        fd = static_cast<int>(n);
    } else if (is_str(file)) {
        if (!closefd) return raise(&exc::ValueError, "Cannot use closefd=False with file name");
        std::string path(detail::str_view(file));
        if (path.find('\0') != std::string::npos) {
            return raise(&exc::ValueError, "embedded null byte");
        }
        for (;;) {
            int err;
            {
                GilRelease unlocked(GilReleaseReason::kBlocking);  // path is a local copy
                fd = ::open(path.c_str(), flags, 0666);
                err = errno;
            }
            if (fd >= 0 || err != EINTR) break;
            if (!handle_pending_signals()) return nullptr;
        }
        if (fd < 0) return raise_errno_filename(errno, path);
        struct stat st;
        if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
            ::close(fd);
            return raise_errno(EISDIR, path);
        }
    } else {
        return raisef(&exc::TypeError, "expected str, bytes or os.PathLike object, not {}",
                      type_name(file));
    }
    Type* type;
    if (!binary) type = &textio_type;
    else if (updating) type = &buffered_random_type;
    else if (reading) type = &buffered_reader_type;
    else type = &buffered_writer_type;
    RefT<FileObject> f = alloc_file(type);
    if (!f) {
        if (closefd) ::close(fd);
        return nullptr;
    }
    f->fd = fd;
    f->closefd = closefd;
    f->binary = binary;
    f->readable = reading || updating;
    f->writable = writing || appending || creating || updating;
    f->append = appending;
    f->translate = translate;
    f->name = file;
    incref(file);
    std::string m;
    if (binary) {
        m = creating ? "xb" : reading ? "rb" : writing ? "wb" : "ab";
        if (updating) m += '+';
    } else {
        m = std::string(mode);
    }
    RefT<Str> ms = new_str(m);
    if (!ms) return nullptr;
    f->mode = ms.release();
    if (!binary) f->encoding = intern("UTF-8");
    if (appending) ::lseek(fd, 0, SEEK_END);
    if (!args[2].is_null()) {
        int64_t buffering;
        if (!index_value(args[2], &buffering)) return nullptr;
        if (buffering == 1 && !binary) f->line_buffered = true;
        if (buffering == 0 && !binary) return raise(&exc::ValueError, "can't have unbuffered text I/O");
    }
    return Ref(std::move(f));
}

bool write_to(Value file, std::string_view text) {
    if (file.is_object() && file.as_object()->type == &textio_type) {
        FileObject* f = as_file(file);
        if (!check_writable(f)) return false;
        return file_write_bytes(f, text);
    }
    RefT<Str> s = new_str(text);
    if (!s) return false;
    return write_to(file, s.get());
}

bool write_to(Value file, Str* text) {
    if (file.is_object() && file.as_object()->type == &textio_type) {
        FileObject* f = as_file(file);
        if (!check_writable(f)) return false;
        return file_write_bytes(f, text->view());
    }
    Ref w = getattr(file, TOY_NAME(write));
    if (!w) return false;
    Ref r = call(w.get(), {Value::object(text)});
    return static_cast<bool>(r);
}

bool flush_file(Value file) {
    if (is_file_object(file)) return file_flush(as_file(file));
    Ref fl = getattr(file, TOY_NAME(flush));
    if (!fl) return false;
    Ref r = call(fl.get(), {});
    return static_cast<bool>(r);
}

}  // namespace toy
