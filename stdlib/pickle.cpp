// pickle.cpp: the native `_pickle` module: CPython's pickle protocols 0-5 (written and read),
// byte for byte as CPython 3.11's C pickler writes builtin types. `pickle` itself is
// stdlib/lib/pickle.toy (constants, Pickler/Unpickler classes) on top of this module.
//
// WRITING (class Pickler below). One pass over the object graph into a growable buffer.
//   - Protocol 0 writes text arguments (I, L, F, V raw-unicode-escape, p/g memo lines, MARK
//     LIST / MARK DICT and one APPEND / SETITEM per item); protocol 1 binary ones without the
//     protocol 2 opcodes (no TUPLE1-3, NEWOBJ, LONG1, NEWTRUE): instances then reduce through
//     copyreg._reconstructor as CPython's copyreg._reduce_ex.
//   - Framing (protocol 4+): PROTO sits outside any frame; every later write opens a frame
//     lazily (9 header bytes reserved at frame_start_). At the start of each save() a frame
//     of >= 64 KiB is committed (its FRAME header filled in); a frame under 4 bytes loses its
//     header. A payload (str/bytes/bytearray) of >= 64 KiB commits the current frame and is
//     written outside any frame, as CPython does. The last frame is committed before STOP.
//   - Memo: every object CPython memoizes (str, bytes, containers, globals, reduced
//     instances; never ints, floats, None, bools) gets the next memo index, keyed by its
//     Value bits (object identity; Ellipsis/NotImplemented are specials). The memo owns a
//     reference to each key so that a temporary created by __reduce__ cannot die and have
//     its address reused for another object within one dump. Shared references and cycles
//     become BINGET/LONG_BINGET; a tuple that contains itself (through a list) is fixed up
//     with POP/POP_MARK + GET exactly as CPython does.
//   - Batches: list items MARK..APPENDS by 1000 (one item: APPEND), dict items
//     MARK..SETITEMS by 1000 (one item: SETITEM; an exact multiple of 1000 ends with an empty
//     batch), set items MARK..ADDITEMS by 1000: the C pickler's shapes. Containers may be
//     mutated by code run while saving (a __reduce__): lists re-read size and items each
//     step and hold the item; dicts and sets raise CPython's "changed size during iteration".
//   - Objects without a fast path: reducer_override, dispatch_table (copyreg.dispatch_table
//     by default), classes and functions by reference (module + qualified name, checked to be
//     the same object by importing it back), then __reduce_ex__(proto) / __reduce__ if the
//     class defines one, else the default object.__reduce_ex__ of CPython 3.11 (copyreg
//     __newobj__ with __getnewargs[_ex]__, __getstate__ / the instance dict and __slots__,
//     list and dict items of subclasses). Instances of native types with C state (locks,
//     files, generators, ...) fail with CPython's TypeError "cannot pickle 'X' object".
//   - Recursion: each nested save() is one level of the interpreter's recursion limit
//     (RecursionError "maximum recursion depth exceeded while pickling an object").
//
// READING is stdlib/unpickle.cpp (the Unpickler: loads, load, pickle.Unpickler's engine).
//
// No lock: both passes run with the GIL held, and touch only objects reachable from their
// arguments; calls back into Toy code (reduce, find_class, setstate, file.read) may run
// other threads at their check points, which is why containers are re-read after each call.
#include <cmath>
#include <cstddef>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "interp/function.h"
#include "runtime/abstract.h"
#include "runtime/bytes.h"
#include "runtime/dict.h"
#include "runtime/errors.h"
#include "runtime/float.h"
#include "runtime/int.h"
#include "runtime/list.h"
#include "runtime/misc_types.h"
#include "runtime/module.h"
#include "runtime/native_function.h"
#include "runtime/range.h"
#include "runtime/set.h"
#include "runtime/str.h"
#include "runtime/thread_state.h"
#include "runtime/tuple.h"
#include "stdlib/registry.h"
#include "stdlib/pickle_internal.h"
#include "stdlib/util.h"

namespace toy {

Type pickle_error_type, pickling_error_type, unpickling_error_type;

namespace {

using detail::str_view;
using namespace pickle_detail;

// ---- the memo of the pickler: Value bits -> index (open addressing, linear probing) -------
class MemoTable {
public:
    ~MemoTable() {
        for (const Entry& e : table_)
            if (e.key) decref(Value::from_bits(e.key));
    }
    // Index of v, or -1.
    int64_t get(Value v) const {
        if (table_.empty()) return -1;
        uint64_t k = v.bits();
        for (size_t i = slot(k);; i = (i + 1) & mask_) {
            const Entry& e = table_[i];
            if (e.key == k) return e.index;
            if (e.key == 0) return -1;
        }
    }
    // Adds v (not present) with the next index; takes a reference. Returns its index.
    int64_t put(Value v) {
        if (static_cast<size_t>(count_ + 1) * 2 > table_.size()) grow();
        uint64_t k = v.bits();
        size_t i = slot(k);
        while (table_[i].key != 0) i = (i + 1) & mask_;
        incref(v);
        table_[i] = {k, used_};
        ++count_;
        return used_++;
    }
    // Adds v with a given index (a memo carried over from an earlier dump).
    void put_at(Value v, int64_t index) {
        if (get(v) >= 0) return;
        if (static_cast<size_t>(count_ + 1) * 2 > table_.size()) grow();
        uint64_t k = v.bits();
        size_t i = slot(k);
        while (table_[i].key != 0) i = (i + 1) & mask_;
        incref(v);
        table_[i] = {k, index};
        ++count_;
        if (index >= used_) used_ = index + 1;
    }
    int64_t size() const { return used_; }
    // Calls fn(value, index) for every entry whose index is >= from.
    template <class F> bool for_each_from(int64_t from, F&& fn) const {
        for (const Entry& e : table_)
            if (e.key && e.index >= from && !fn(Value::from_bits(e.key), e.index)) return false;
        return true;
    }

private:
    struct Entry {
        uint64_t key;
        int64_t index;
    };
    size_t slot(uint64_t k) const { return static_cast<size_t>((k * 0x9E3779B97F4A7C15ull) >> 20) & mask_; }
    void grow() {
        if (static_cast<size_t>(count_ + 1) * 2 <= table_.size()) return;
        std::vector<Entry> old = std::move(table_);
        size_t n = old.empty() ? 64 : old.size() * 2;
        table_.assign(n, Entry{0, 0});
        mask_ = n - 1;
        for (const Entry& e : old)
            if (e.key) {
                size_t i = slot(e.key);
                while (table_[i].key != 0) i = (i + 1) & mask_;
                table_[i] = e;
            }
    }
    std::vector<Entry> table_;
    size_t mask_ = 0;
    int64_t used_ = 0;   // the next index
    int64_t count_ = 0;  // entries in the table
};

// ================================================================================================
// Pickler
// ================================================================================================

class Pickler {
public:
    // Hooks (borrowed; null when absent): persistent_id(obj), reducer_override(obj), a
    // dispatch table (a mapping type -> reduce function).
    Value persistent_id = Value::null();
    Value reducer_override = Value::null();
    Value dispatch_table = Value::null();

    Pickler(int proto, bool fix_imports)
        : proto_(proto), bin_(proto >= 1), fix_imports_(fix_imports && proto < 3) {}
    ~Pickler() { std::free(buf_); }

    // Writes the whole pickle of obj (PROTO .. STOP) into the buffer.
    bool dump(Value obj) {
        if (proto_ >= 2) {
            const char hdr[2] = {static_cast<char>(PROTO), static_cast<char>(proto_)};
            if (!write(hdr, 2)) return false;
            if (proto_ >= 4) framing_ = true;
        }
        if (!save(obj, false)) return false;
        if (!put(STOP)) return false;
        commit_frame();
        return true;
    }
    std::string_view output() const { return {buf_, len_}; }

    // A memo carried across dumps (pickle.Pickler): a dict index -> object.
    bool import_memo(Dict* d) {
        int64_t pos = 0;
        Value k, v;
        while (dict_next(d, &pos, &k, &v)) {
            if (!k.is_small_int()) continue;
            memo_.put_at(v, k.as_small_int());
        }
        memo_start_ = memo_.size();
        return true;
    }
    bool export_memo(Dict* d) {
        return memo_.for_each_from(memo_start_, [d](Value v, int64_t idx) {
            return dict_set(d, Value::small_int(idx), v);
        });
    }

private:
    // ---- output ---------------------------------------------------------------------------
    bool reserve(size_t n) {
        if (len_ + n <= cap_) return true;
        size_t cap = cap_ ? cap_ : 256;
        while (cap < len_ + n) cap *= 2;
        char* p = static_cast<char*>(std::realloc(buf_, cap));
        if (!p) return (void)raise_no_memory(), false;
        buf_ = p;
        cap_ = cap;
        return true;
    }
    // Opens a frame if framing and none is open, then makes room for n bytes.
    TOY_ALWAYS_INLINE bool room(size_t n) {
        if (framing_ && frame_start_ < 0) {
            if (!reserve(kFrameHeader + n)) return false;
            frame_start_ = static_cast<int64_t>(len_);
            len_ += kFrameHeader;
        }
        return len_ + n <= cap_ || reserve(n);
    }
    bool write(const void* p, size_t n) {
        if (!room(n)) return false;
        std::memcpy(buf_ + len_, p, n);
        len_ += n;
        return true;
    }
    TOY_ALWAYS_INLINE bool put(uint8_t op) {
        if (!room(1)) return false;
        buf_[len_++] = static_cast<char>(op);
        return true;
    }
    bool put_op_u8(uint8_t op, uint8_t a) {
        if (!room(2)) return false;
        buf_[len_++] = static_cast<char>(op);
        buf_[len_++] = static_cast<char>(a);
        return true;
    }
    static void le(char* p, uint64_t v, int n) {
        for (int i = 0; i < n; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
    }
    bool put_op_le(uint8_t op, uint64_t v, int n) {
        if (!room(1 + n)) return false;
        buf_[len_++] = static_cast<char>(op);
        le(buf_ + len_, v, n);
        len_ += n;
        return true;
    }
    void commit_frame() {
        if (!framing_ || frame_start_ < 0) return;
        size_t flen = len_ - static_cast<size_t>(frame_start_) - kFrameHeader;
        char* q = buf_ + frame_start_;
        if (flen >= kFrameMin) {
            q[0] = static_cast<char>(FRAME);
            le(q + 1, flen, 8);
        } else {
            std::memmove(q, q + kFrameHeader, flen);
            len_ -= kFrameHeader;
        }
        frame_start_ = -1;
    }
    // A payload of 64 KiB or more goes outside any frame, after its header.
    bool write_payload(const char* hdr, size_t hlen, std::string_view data) {
        if (framing_ && data.size() >= kFrameTarget) {
            commit_frame();
            framing_ = false;
            bool ok = write(hdr, hlen) && write(data.data(), data.size());
            framing_ = true;
            return ok;
        }
        return write(hdr, hlen) && write(data.data(), data.size());
    }

    // ---- memo -----------------------------------------------------------------------------
    bool memoize(Value v) {
        int64_t idx = memo_.put(v);
        if (proto_ >= 4) return put(MEMOIZE);
        if (!bin_) return write_text(PUT, std::to_string(idx));
        if (idx < 256) return put_op_u8(BINPUT, static_cast<uint8_t>(idx));
        return put_op_le(LONG_BINPUT, static_cast<uint64_t>(idx), 4);
    }
    bool write_get(int64_t idx) {
        if (!bin_) return write_text(GET, std::to_string(idx));
        if (idx < 256) return put_op_u8(BINGET, static_cast<uint8_t>(idx));
        return put_op_le(LONG_BINGET, static_cast<uint64_t>(idx), 4);
    }
    // A protocol 0 opcode with a text argument: op, text, newline.
    bool write_text(uint8_t op, std::string_view text) {
        if (!room(text.size() + 2)) return false;
        buf_[len_++] = static_cast<char>(op);
        std::memcpy(buf_ + len_, text.data(), text.size());
        len_ += text.size();
        buf_[len_++] = '\n';
        return true;
    }

    // ---- atoms ----------------------------------------------------------------------------
    bool save_long(int64_t x) {
        bool fits32 = x >= -0x80000000LL && x <= 0x7fffffffLL;
        if (!bin_ && fits32) return write_text(INT, std::to_string(x));
        if (proto_ < 2 && !fits32) return write_text(LONG, std::to_string(x) + "L");
        if (x >= 0 && x <= 0xff) return put_op_u8(BININT1, static_cast<uint8_t>(x));
        if (x >= 0 && x <= 0xffff) return put_op_le(BININT2, static_cast<uint64_t>(x), 2);
        if (x >= -0x80000000LL && x <= 0x7fffffffLL)
            return put_op_le(BININT, static_cast<uint64_t>(x), 4);
        // LONG1: minimal two's complement, little-endian.
        char bytes[9];
        int n = 0;
        uint64_t u = static_cast<uint64_t>(x);
        for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((u >> (8 * i)) & 0xff);
        n = 8;
        if (x >= 0) {
            while (n > 1 && bytes[n - 1] == 0 && !(bytes[n - 2] & 0x80)) --n;
            if (bytes[n - 1] & 0x80) bytes[n++] = 0;
        } else {
            while (n > 1 && static_cast<uint8_t>(bytes[n - 1]) == 0xff && (bytes[n - 2] & 0x80)) --n;
        }
        if (!room(2 + n)) return false;
        buf_[len_++] = static_cast<char>(LONG1);
        buf_[len_++] = static_cast<char>(n);
        std::memcpy(buf_ + len_, bytes, n);
        len_ += n;
        return true;
    }
    bool save_float(double d) {
        if (!bin_) return write_text(FLOAT, float_repr(d));
        uint64_t bits;
        std::memcpy(&bits, &d, 8);
        if (!room(9)) return false;
        buf_[len_++] = static_cast<char>(BINFLOAT);
        for (int i = 7; i >= 0; --i) buf_[len_++] = static_cast<char>((bits >> (8 * i)) & 0xff);
        return true;
    }
    // Protocol 0's UNICODE argument: raw-unicode-escape, with backslash, NUL, newline, CR and
    // ^Z escaped too (the line must stay one line), as CPython's _pickle.c.
    static std::string raw_unicode_escape(std::string_view s) {
        static const char kHex[] = "0123456789abcdef";
        std::string out;
        out.reserve(s.size());
        size_t i = 0;
        while (i < s.size()) {
            uint32_t c = static_cast<uint8_t>(s[i]);
            int extra = c < 0x80 ? 0 : c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
            if (extra) c &= (0x3F >> extra);
            for (int k = 1; k <= extra && i + k < s.size(); ++k)
                c = (c << 6) | (static_cast<uint8_t>(s[i + k]) & 0x3F);
            i += 1 + extra;
            if (c >= 0x10000) {
                out += "\\U";
                for (int sh = 28; sh >= 0; sh -= 4) out += kHex[(c >> sh) & 0xF];
            } else if (c >= 256 || c == '\\' || c == 0 || c == '\n' || c == '\r' || c == 0x1a) {
                out += "\\u";
                for (int sh = 12; sh >= 0; sh -= 4) out += kHex[(c >> sh) & 0xF];
            } else {
                out += static_cast<char>(c);
            }
        }
        return out;
    }
    bool save_str_raw(std::string_view s) {
        if (!bin_) return write_text(UNICODE, raw_unicode_escape(s));
        char hdr[9];
        size_t n = s.size();
        if (n <= 0xff && proto_ >= 4) {
            hdr[0] = static_cast<char>(SHORT_BINUNICODE);
            hdr[1] = static_cast<char>(n);
            return write_payload(hdr, 2, s);
        }
        if (n > 0xffffffffull && proto_ >= 4) {
            hdr[0] = static_cast<char>(BINUNICODE8);
            le(hdr + 1, n, 8);
            return write_payload(hdr, 9, s);
        }
        if (n > 0xffffffffull)
            return (void)pickling_error("cannot serialize a string larger than 4GiB"), false;
        hdr[0] = static_cast<char>(BINUNICODE);
        le(hdr + 1, n, 4);
        return write_payload(hdr, 5, s);
    }
    bool save_str(Value v) {
        if (!save_str_raw(v.as<Str>()->view())) return false;
        return memoize(v);
    }
    bool save_bytes(Value v) {
        std::string_view s = bytes_view(v);
        if (proto_ < 3) {
            if (s.empty()) return save_reduce_parts(Value::object(&bytes_type), empty_tuple(), v);
            // _codecs.encode(str(obj, 'latin1'), 'latin1')
            std::string text;
            text.reserve(s.size() * 2);
            for (unsigned char c : s) {
                if (c < 0x80) {
                    text += static_cast<char>(c);
                } else {
                    text += static_cast<char>(0xC0 | (c >> 6));
                    text += static_cast<char>(0x80 | (c & 0x3f));
                }
            }
            RefT<Str> ts = new_str(text);
            if (!ts) return false;
            // One 'latin1' object per pickle, as CPython's constant: memoized once.
            if (!latin1_) {
                latin1_ = new_str("latin1");
                if (!latin1_) return false;
            }
            Ref codecs_encode = lookup_global("_codecs", "encode");
            if (!codecs_encode) return false;
            RefT<Tuple> args = new_tuple_of({ts.value(), latin1_.value()});
            if (!args) return false;
            return save_reduce_parts(*codecs_encode, args.get(), v);
        }
        char hdr[9];
        size_t n = s.size();
        if (n <= 0xff) {
            hdr[0] = static_cast<char>(SHORT_BINBYTES);
            hdr[1] = static_cast<char>(n);
            if (!write_payload(hdr, 2, s)) return false;
        } else if (n > 0xffffffffull && proto_ >= 4) {
            hdr[0] = static_cast<char>(BINBYTES8);
            le(hdr + 1, n, 8);
            if (!write_payload(hdr, 9, s)) return false;
        } else if (n > 0xffffffffull) {
            return (void)pickling_error("cannot serialize a bytes object larger than 4 GiB"), false;
        } else {
            hdr[0] = static_cast<char>(BINBYTES);
            le(hdr + 1, n, 4);
            if (!write_payload(hdr, 5, s)) return false;
        }
        return memoize(v);
    }
    bool save_bytearray(Value v) {
        std::string_view s = buffer_view(v);
        if (proto_ < 5) {
            // bytearray.__reduce_ex__: (bytearray, (bytes(self),)) or (bytearray, ()) if empty.
            if (s.empty())
                return save_reduce_parts(Value::object(&bytearray_type), empty_tuple(), v);
            RefT<Bytes> b = new_bytes(s);
            if (!b) return false;
            RefT<Tuple> args = new_tuple_of({b.value()});
            if (!args) return false;
            return save_reduce_parts(Value::object(&bytearray_type), args.get(), v);
        }
        char hdr[9];
        hdr[0] = static_cast<char>(BYTEARRAY8);
        le(hdr + 1, s.size(), 8);
        std::string copy(s);  // the payload write cannot run code, but stay independent of it
        if (!write_payload(hdr, 9, copy)) return false;
        return memoize(v);
    }

    // ---- containers -----------------------------------------------------------------------
    bool save_tuple(Value v) {
        Tuple* t = v.as<Tuple>();
        int64_t n = t->size;
        if (n == 0) return bin_ ? put(EMPTY_TUPLE) : (put(MARK) && put(TUPLE));
        // Hold the tuple: a __reduce__ run while saving items cannot free it.
        Ref hold = Ref::borrow(v);
        if (n <= 3 && proto_ >= 2) {
            for (int64_t i = 0; i < n; ++i)
                if (!save(t->items[i], false)) return false;
            int64_t idx = memo_.get(v);
            if (idx >= 0) {
                // A recursive tuple: drop the items, fetch the tuple from the memo.
                for (int64_t i = 0; i < n; ++i)
                    if (!put(POP)) return false;
                return write_get(idx);
            }
            if (!put(static_cast<uint8_t>(TUPLE1 + n - 1))) return false;
            return memoize(v);
        }
        if (!put(MARK)) return false;
        for (int64_t i = 0; i < n; ++i)
            if (!save(t->items[i], false)) return false;
        int64_t idx = memo_.get(v);
        if (idx >= 0) {
            if (bin_) return put(POP_MARK) && write_get(idx);
            // Protocol 0 has no POP_MARK: pop the items and the mark.
            for (int64_t i = 0; i <= n; ++i)
                if (!put(POP)) return false;
            return write_get(idx);
        }
        if (!put(TUPLE)) return false;
        return memoize(v);
    }
    // Items of a list (exact or not, as C's batch_list_exact: re-reads size each step).
    bool batch_list(List* l) {
        if (!bin_) {
            // Protocol 0 has no APPENDS: one item at a time.
            for (int64_t i = 0; i < l->size; ++i) {
                Ref item = Ref::borrow(l->items[i]);
                if (!save(*item, false) || !put(APPEND)) return false;
            }
            return true;
        }
        if (l->size == 1) {
            Ref item = Ref::borrow(l->items[0]);
            if (!save(*item, false)) return false;
            return put(APPEND);
        }
        int64_t total = 0;
        do {
            int this_batch = 0;
            if (!put(MARK)) return false;
            while (total < l->size) {
                Ref item = Ref::borrow(l->items[total]);
                if (!save(*item, false)) return false;
                ++total;
                if (++this_batch == kBatch) break;
            }
            if (!put(APPENDS)) return false;
        } while (total < l->size);
        return true;
    }
    bool save_list(Value v) {
        if (!(bin_ ? put(EMPTY_LIST) : (put(MARK) && put(LIST))) || !memoize(v)) return false;
        List* l = v.as<List>();
        if (l->size == 0) return true;
        Ref hold = Ref::borrow(v);
        return batch_list(l);
    }
    // Items from an iterator (list subclasses, __reduce__'s fourth item): pickle.py's shape.
    bool batch_appends_iter(Value it) {
        if (!bin_) {
            for (;;) {
                Ref x = iter_next(it);
                if (!x) return !error_occurred();
                if (!save(*x, false) || !put(APPEND)) return false;
            }
        }
        for (;;) {
            std::vector<Ref> tmp;
            while (static_cast<int>(tmp.size()) < kBatch) {
                Ref x = iter_next(it);
                if (!x) {
                    if (error_occurred()) return false;
                    break;
                }
                tmp.push_back(std::move(x));
            }
            size_t n = tmp.size();
            if (n > 1) {
                if (!put(MARK)) return false;
                for (auto& x : tmp)
                    if (!save(*x, false)) return false;
                if (!put(APPENDS)) return false;
            } else if (n == 1) {
                if (!save(*tmp[0], false) || !put(APPEND)) return false;
            }
            if (static_cast<int>(n) < kBatch) return true;
        }
    }
    bool batch_setitems_iter(Value it) {
        if (!bin_) {
            for (;;) {
                Ref x = iter_next(it);
                if (!x) return !error_occurred();
                if (!is_tuple(*x) || x.as<Tuple>()->size != 2)
                    return (void)raise(&exc::TypeError, "dict items iterator must return 2-tuples"), false;
                if (!save(x.as<Tuple>()->items[0], false) || !save(item(x.as<Tuple>(), 1), false) ||
                    !put(SETITEM))
                    return false;
            }
        }
        for (;;) {
            std::vector<Ref> tmp;
            while (static_cast<int>(tmp.size()) < kBatch) {
                Ref x = iter_next(it);
                if (!x) {
                    if (error_occurred()) return false;
                    break;
                }
                if (!is_tuple(*x) || x.as<Tuple>()->size != 2)
                    return (void)raise(&exc::TypeError, "dict items iterator must return 2-tuples"), false;
                tmp.push_back(std::move(x));
            }
            size_t n = tmp.size();
            if (n > 1) {
                if (!put(MARK)) return false;
                for (auto& x : tmp)
                    if (!save(x.as<Tuple>()->items[0], false) || !save(item(x.as<Tuple>(), 1), false))
                        return false;
                if (!put(SETITEMS)) return false;
            } else if (n == 1) {
                Tuple* kv = tmp[0].as<Tuple>();
                if (!save(kv->items[0], false) || !save(item(kv, 1), false) || !put(SETITEM))
                    return false;
            }
            if (static_cast<int>(n) < kBatch) return true;
        }
    }
    bool save_dict(Value v) {
        if (!(bin_ ? put(EMPTY_DICT) : (put(MARK) && put(DICT))) || !memoize(v)) return false;
        Dict* d = v.as<Dict>();
        int64_t size = d->used;
        if (size == 0) return true;
        Ref hold = Ref::borrow(v);
        int64_t pos = 0;
        Value k, val;
        if (!bin_) {
            // Protocol 0 has no SETITEMS: one pair at a time.
            while (dict_next(d, &pos, &k, &val)) {
                Ref kr = Ref::borrow(k), vr = Ref::borrow(val);
                if (!save(k, false) || !save(val, false) || !put(SETITEM)) return false;
            }
            if (d->used != size)
                return (void)raise(&exc::RuntimeError, "dictionary changed size during iteration"), false;
            return true;
        }
        if (size == 1) {
            if (!dict_next(d, &pos, &k, &val)) return true;
            Ref kr = Ref::borrow(k), vr = Ref::borrow(val);
            return save(k, false) && save(val, false) && put(SETITEM);
        }
        int i;
        do {
            i = 0;
            if (!put(MARK)) return false;
            while (dict_next(d, &pos, &k, &val)) {
                Ref kr = Ref::borrow(k), vr = Ref::borrow(val);
                if (!save(k, false) || !save(val, false)) return false;
                if (++i == kBatch) break;
            }
            if (!put(SETITEMS)) return false;
            if (d->used != size)
                return (void)raise(&exc::RuntimeError, "dictionary changed size during iteration"), false;
        } while (i == kBatch);
        return true;
    }
    bool save_set(Value v) {
        if (proto_ < 4) return save_set_reduce(v, &set_type);
        if (!put(EMPTY_SET) || !memoize(v)) return false;
        int64_t size = set_size(v);
        if (size == 0) return true;
        Ref hold = Ref::borrow(v);
        int64_t pos = 0;
        Value k;
        int i;
        do {
            i = 0;
            if (!put(MARK)) return false;
            while (set_next_item(v, &pos, &k, nullptr)) {
                Ref kr = Ref::borrow(k);
                if (!save(k, false)) return false;
                if (++i == kBatch) break;
            }
            if (!put(ADDITEMS)) return false;
            if (set_size(v) != size)
                return (void)raise(&exc::RuntimeError, "set changed size during iteration"), false;
        } while (i == kBatch);
        return true;
    }
    // (set, ([items],)) / (frozenset, ([items],)) as set.__reduce__ (state: None here).
    bool save_set_reduce(Value v, Type* t) {
        Ref items = sequence_list(v);
        if (!items) return false;
        RefT<Tuple> args = new_tuple_of({*items});
        if (!args) return false;
        return save_reduce_parts(Value::object(t), args.get(), v);
    }
    bool save_frozenset(Value v) {
        if (proto_ < 4) return save_set_reduce(v, &frozenset_type);
        Ref hold = Ref::borrow(v);
        if (!put(MARK)) return false;
        int64_t pos = 0;
        Value k;
        while (set_next_item(v, &pos, &k, nullptr)) {
            Ref kr = Ref::borrow(k);
            if (!save(k, false)) return false;
        }
        int64_t idx = memo_.get(v);
        if (idx >= 0) return put(POP_MARK) && write_get(idx);
        if (!put(FROZENSET)) return false;
        return memoize(v);
    }

    // ---- globals --------------------------------------------------------------------------
    static Ref lookup_global(std::string_view module, std::string_view name) {
        Ref m = import_module(module);
        if (!m) return nullptr;
        RefT<Str> n = new_str(name);
        if (!n) return nullptr;
        return getattr(*m, n.get());
    }
    // Python 2 names for protocols < 3 (fix_imports): _compat_pickle's reverse mappings.
    void map_python2(std::string* module, std::string* name) {
        if (*module == "builtins") {
            static const char* const kNames[][2] = {
                {"range", "xrange"}, {"chr", "unichr"}, {"str", "unicode"}, {"int", "long"}};
            for (auto& p : kNames)
                if (*name == p[0]) {
                    *module = "__builtin__";
                    *name = p[1];
                    return;
                }
            static const char* const kIter[][2] = {{"zip", "izip"}, {"map", "imap"}, {"filter", "ifilter"}};
            for (auto& p : kIter)
                if (*name == p[0]) {
                    *module = "itertools";
                    *name = p[1];
                    return;
                }
            // Exception classes live in Python 2's `exceptions` module.
            static const char* const kOSErrors[] = {
                "BrokenPipeError", "ChildProcessError", "ConnectionAbortedError", "ConnectionError",
                "ConnectionRefusedError", "ConnectionResetError", "FileExistsError",
                "FileNotFoundError", "InterruptedError", "IsADirectoryError", "NotADirectoryError",
                "PermissionError", "ProcessLookupError", "TimeoutError"};
            for (const char* e : kOSErrors)
                if (*name == e) {
                    *module = "exceptions";
                    *name = "OSError";
                    return;
                }
            if (*name == "ModuleNotFoundError") {
                *module = "exceptions";
                *name = "ImportError";
                return;
            }
            static const char* const kExc[] = {
                "ArithmeticError", "AssertionError", "AttributeError", "BaseException",
                "BufferError", "BytesWarning", "DeprecationWarning", "EOFError",
                "EnvironmentError", "Exception", "FloatingPointError", "FutureWarning",
                "GeneratorExit", "IOError", "ImportError", "ImportWarning", "IndentationError",
                "IndexError", "KeyError", "KeyboardInterrupt", "LookupError", "MemoryError",
                "NameError", "NotImplementedError", "OSError", "OverflowError",
                "PendingDeprecationWarning", "ReferenceError", "RuntimeError", "RuntimeWarning",
                "StopIteration", "SyntaxError", "SyntaxWarning", "SystemError", "SystemExit",
                "TabError", "TypeError", "UnboundLocalError", "UnicodeDecodeError",
                "UnicodeEncodeError", "UnicodeError", "UnicodeTranslateError", "UnicodeWarning",
                "UserWarning", "ValueError", "Warning", "ZeroDivisionError"};
            for (const char* e : kExc)
                if (*name == e) {
                    *module = "exceptions";
                    return;
                }
            *module = "__builtin__";
            return;
        }
        if (*module == "functools" && *name == "reduce") {
            *module = "__builtin__";
            return;
        }
        if (*module == "copyreg") *module = "copy_reg";
        else if (*module == "queue") *module = "Queue";
        else if (*module == "_pickle") *module = "pickle";
    }

    // The module name of a global (obj.__module__, else a search of sys.modules, else
    // __main__), as CPython's whichmodule().
    Ref whichmodule(Value obj, Str* qualname) {
        // Native types of native modules are named "module.Name" ("_pickle.PicklingError",
        // "mmap.mmap") while their __module__ says builtins: take the module from the name.
        if (obj.is_object() && type_has(type_of(obj), kTypeSubclass) &&
            !type_has(obj.as<Type>(), kHeapType)) {
            std::string_view full = obj.as<Type>()->name;
            size_t dot = full.rfind('.');
            if (dot != std::string_view::npos) return Ref(new_str(full.substr(0, dot)));
        }
        Ref m = getattr_or_null(obj, TOY_NAME(__module__));
        if (!m && error_occurred()) return nullptr;
        if (m && !(*m).is_none()) return m;
        Ref sys = import_module("sys");
        if (!sys) return nullptr;
        Ref modules = getattr(*sys, TOY_NAME(modules));
        if (!modules) return nullptr;
        if (is_dict(*modules)) {
            Ref items = dict_items_to_list(modules.as<Dict>());
            if (!items) return nullptr;
            List* l = items.as<List>();
            for (int64_t i = 0; i < l->size; ++i) {
                Tuple* kv = l->items[i].as<Tuple>();
                Value name = kv->items[0], mod = item(kv, 1);
                if (!is_str(name) || str_view(name) == "__main__" || str_view(name) == "__mp_main__" ||
                    mod.is_none())
                    continue;
                Ref found = deep_getattr(mod, qualname->view());
                if (!found) {
                    clear_error();
                    continue;
                }
                if ((*found).is(obj)) return Ref::borrow(name);
            }
        }
        return Ref(new_str("__main__"));
    }
    // getattr along a dotted path; null (exception set) when a step fails.
    static Ref deep_getattr(Value root, std::string_view dotted, Ref* parent = nullptr) {
        Ref cur = Ref::borrow(root);
        while (true) {
            size_t dot = dotted.find('.');
            std::string_view part = dotted.substr(0, dot);
            RefT<Str> n = new_str(part);
            if (!n) return nullptr;
            if (parent) *parent = cur.dup();
            Ref next = getattr(*cur, n.get());
            if (!next) return nullptr;
            cur = std::move(next);
            if (dot == std::string_view::npos) return cur;
            dotted = dotted.substr(dot + 1);
        }
    }

    // Saves a class or function by reference. `name` may be given (a __reduce__ string).
    bool save_global(Value obj, Value name_override) {
        Ref name;
        if (!name_override.is_null()) {
            name = Ref::borrow(name_override);
        } else {
            name = getattr_or_null(obj, TOY_NAME(__qualname__));
            if (!name) {
                if (error_occurred()) return false;
                name = getattr(obj, TOY_NAME(__name__));
                if (!name) return false;
            }
        }
        if (!is_str(*name))
            return (void)raisef(&exc::TypeError, "__qualname__ must be a string, not {}",
                                type_name(*name)),
                   false;
        Ref module_name = whichmodule(obj, name.as<Str>());
        if (!module_name) return false;
        if (!is_str(*module_name))
            return (void)raisef(&exc::TypeError, "module name must be a string, not {}",
                                type_name(*module_name)),
                   false;
        std::string_view qn = str_view(*name);
        // get_dotted_path: a <locals> component cannot be looked up.
        {
            std::string_view rest = qn;
            while (true) {
                size_t dot = rest.find('.');
                if (rest.substr(0, dot) == "<locals>")
                    return (void)raisef(&exc::AttributeError, "Can't pickle local object {}",
                                        repr_string(*name)),
                           false;
                if (dot == std::string_view::npos) break;
                rest = rest.substr(dot + 1);
            }
        }
        Ref module = import_module(str_view(*module_name));
        if (!module) {
            clear_error();
            return (void)pickling_error(fmt::format("Can't pickle {}: import of module {} failed",
                                                    repr_string(obj), repr_string(*module_name))),
                   false;
        }
        Ref parent;
        Ref obj2 = deep_getattr(*module, qn, &parent);
        if (!obj2) {
            clear_error();
            return (void)pickling_error(fmt::format("Can't pickle {}: attribute lookup {} on {} failed",
                                                    repr_string(obj), qn, str_view(*module_name))),
                   false;
        }
        if (!(*obj2).is(obj))
            return (void)pickling_error(fmt::format("Can't pickle {}: it's not the same object as {}.{}",
                                                    repr_string(obj), str_view(*module_name), qn)),
                   false;
        if (proto_ >= 4) {
            if (!save(*module_name, false) || !save(*name, false) || !put(STACK_GLOBAL)) return false;
        } else if (!(*parent).is(*module)) {
            // A nested qualified name with protocol < 4: getattr(parent, lastname).
            size_t dot = qn.rfind('.');
            RefT<Str> last = new_str(qn.substr(dot + 1));
            if (!last) return false;
            RefT<Tuple> args = new_tuple_of({*parent, last.value()});
            if (!args) return false;
            Ref ga = lookup_global("builtins", "getattr");
            if (!ga) return false;
            return save_reduce_parts(*ga, args.get(), obj);
        } else {
            std::string mod(str_view(*module_name)), nm(qn);
            if (fix_imports_) map_python2(&mod, &nm);
            std::string line;
            line.reserve(mod.size() + nm.size() + 3);
            line += static_cast<char>(GLOBAL);
            line += mod;
            line += '\n';
            line += nm;
            line += '\n';
            if (!write(line.data(), line.size())) return false;
        }
        return memoize(obj);
    }
    // The three singleton types are pickled as type(None) etc.
    bool save_type(Value obj) {
        Value single = Value::null();
        if (obj.as_object() == &none_type) single = Value::none();
        else if (obj.as_object() == &not_implemented_type) single = Value::not_implemented();
        else if (obj.as_object() == &ellipsis_type) single = Value::ellipsis();
        if (!single.is_null()) {
            RefT<Tuple> args = new_tuple_of({single});
            if (!args) return false;
            return save_reduce_parts(Value::object(&type_type), args.get(), obj);
        }
        return save_global(obj, Value::null());
    }

    // ---- reduce ---------------------------------------------------------------------------
    // save_reduce(func, args, obj=obj) with nothing else.
    bool save_reduce_parts(Value func, Tuple* args, Value obj) {
        Value parts[2] = {func, Value::object(args)};
        return save_reduce(parts, 2, obj);
    }
    // rv: the 2..6 items of a __reduce__ tuple (func, args, state, listitems, dictitems,
    // state_setter); obj the object being pickled (null: none).
    bool save_reduce(const Value* rv, int64_t n, Value obj) {
        Value callable = rv[0], argtup = rv[1];
        Value state = n > 2 ? rv[2] : Value::none();
        Value listitems = n > 3 ? rv[3] : Value::none();
        Value dictitems = n > 4 ? rv[4] : Value::none();
        Value state_setter = n > 5 ? rv[5] : Value::none();
        if (!is_tuple(argtup))
            return (void)pickling_error("second item of the tuple returned by __reduce__ must be a tuple"), false;
        if (!is_callable(callable))
            return (void)pickling_error("first item of the tuple returned by __reduce__ must be callable"), false;
        Ref list_it, dict_it;
        if (!listitems.is_none()) {
            if (type_of(listitems)->next == nullptr)
                return (void)pickling_error(fmt::format(
                           "fourth element of the tuple returned by __reduce__ must be an iterator, not {}",
                           type_name(listitems))),
                       false;
        }
        if (!dictitems.is_none()) {
            if (type_of(dictitems)->next == nullptr)
                return (void)pickling_error(fmt::format(
                           "fifth element of the tuple returned by __reduce__ must be an iterator, not {}",
                           type_name(dictitems))),
                       false;
        }
        if (!state_setter.is_none() && !is_callable(state_setter))
            return (void)pickling_error(fmt::format(
                       "sixth element of the tuple returned by __reduce__ must be a function, not {}",
                       type_name(state_setter))),
                   false;
        Tuple* args = argtup.as<Tuple>();
        bool newobj = false, newobj_ex = false;
        if (proto_ >= 2) {
            Ref fname = getattr_or_null(callable, TOY_NAME(__name__));
            if (!fname && error_occurred()) return false;
            if (fname && is_str(*fname)) {
                newobj = str_view(*fname) == "__newobj__";
                newobj_ex = str_view(*fname) == "__newobj_ex__";
            }
        }
        if (newobj_ex) {
            if (args->size != 3)
                return (void)pickling_error(fmt::format("length of the NEWOBJ_EX argument tuple must be exactly 3, not {}",
                                                        args->size)),
                       false;
            Value cls = args->items[0], a = item(args, 1), kw = item(args, 2);
            if (!type_has(type_of(cls), kTypeSubclass))
                return (void)pickling_error(fmt::format("first item from NEWOBJ_EX argument tuple must be a class, not {}",
                                                        type_name(cls))),
                       false;
            if (!is_tuple(a))
                return (void)pickling_error(fmt::format("second item from NEWOBJ_EX argument tuple must be a tuple, not {}",
                                                        type_name(a))),
                       false;
            if (!is_dict(kw))
                return (void)pickling_error(fmt::format("third item from NEWOBJ_EX argument tuple must be a dict, not {}",
                                                        type_name(kw))),
                       false;
            if (proto_ >= 4) {
                if (!save(cls, false) || !save(a, false) || !save(kw, false) || !put(NEWOBJ_EX))
                    return false;
            } else {
                // functools.partial(cls.__new__, cls, *args, **kwargs) with (): needs functools.
                return (void)pickling_error("NEWOBJ_EX needs protocol 4 here"), false;
            }
        } else if (newobj) {
            if (args->size < 1) return (void)pickling_error("__newobj__ arglist is empty"), false;
            Value cls = args->items[0];
            if (!type_has(type_of(cls), kTypeSubclass))
                return (void)pickling_error("args[0] from __newobj__ args is not a type"), false;
            if (!obj.is_null() && !cls.is(Value::object(type_of(obj))))
                return (void)pickling_error("args[0] from __newobj__ args has the wrong class"), false;
            RefT<Tuple> rest = tuple_slice(args, 1, args->size);
            if (!rest) return false;
            if (!save(cls, false) || !save(rest.value(), false) || !put(NEWOBJ)) return false;
        } else {
            if (!save(callable, false) || !save(argtup, false) || !put(REDUCE)) return false;
        }
        if (!obj.is_null()) {
            int64_t idx = memo_.get(obj);
            if (idx >= 0) {
                if (!put(POP) || !write_get(idx)) return false;
            } else if (!memoize(obj)) {
                return false;
            }
        }
        if (!listitems.is_none() && !batch_appends_iter(listitems)) return false;
        if (!dictitems.is_none() && !batch_setitems_iter(dictitems)) return false;
        if (!state.is_none()) {
            if (state_setter.is_none()) {
                if (!save(state, false) || !put(BUILD)) return false;
            } else {
                if (!save(state_setter, false) || !save(obj, false) || !save(state, false) ||
                    !put(TUPLE2) || !put(REDUCE) || !put(POP))
                    return false;
            }
        }
        return true;
    }

    // The nearest non-heap base of t (the type whose C layout its instances have).
    static Type* solid_base(Type* t) {
        while (t && type_has(t, kHeapType)) t = t->base;
        return t;
    }

    // object.__getstate__ / the state CPython 3.11's object_getstate computes.
    Ref get_state(Value obj, bool required) {
        Type* t = type_of(obj);
        Value gs = type_lookup(t, TOY_NAME(__getstate__));
        if (!gs.is_null()) {
            bool found = false;
            Ref r = call_special(obj, TOY_NAME(__getstate__), nullptr, 0, &found);
            if (found || r || error_occurred()) return r;
        }
        Type* solid = solid_base(t);
        if (required && solid != &object_type && !type_has(solid, kExceptionSubclass))
            return raisef(&exc::TypeError, "cannot pickle '{}' object", type_name(obj));
        Ref state = Ref::none();
        Dict** dp = instance_dict_ptr(obj);
        if (dp && *dp && (*dp)->used > 0) state = Ref::borrow(Value::object(*dp));
        // __slots__ values (of the type and its bases).
        RefT<Dict> slots;
        for (Type* k = t; k && type_has(k, kHeapType); k = k->base) {
            if (k->nslots == 0) continue;
            Value names = k->dict ? dict_get_str(k->dict, TOY_NAME(__slots__)) : Value::null();
            if (names.is_null()) continue;
            Ref seq = is_str(names) ? Ref(new_tuple_of({names})) : sequence_tuple(names);
            if (!seq) return nullptr;
            Tuple* nt = seq.as<Tuple>();
            for (int64_t i = 0; i < nt->size; ++i) {
                Value nm = nt->items[i];
                if (!is_str(nm) || str_view(nm) == "__dict__" || str_view(nm) == "__weakref__") continue;
                std::string attr(str_view(nm));
                if (attr.size() > 2 && attr[0] == '_' && attr[1] == '_' &&
                    !(attr.size() > 4 && attr.substr(attr.size() - 2) == "__")) {
                    // private name mangling: _Class__name
                    std::string cls(k->name_str ? k->name_str->view() : std::string_view(k->name));
                    size_t lead = cls.find_first_not_of('_');
                    if (lead != std::string::npos) {
                        std::string mangled;
                        mangled.reserve(1 + cls.size() - lead + attr.size());
                        mangled += '_';
                        mangled.append(cls, lead, std::string::npos);
                        mangled += attr;
                        attr = std::move(mangled);
                    }
                }
                Str* an = intern(attr);
                Ref v = getattr_or_null(obj, an);
                if (!v) {
                    if (error_occurred()) return nullptr;
                    continue;
                }
                if (!slots) {
                    slots = new_dict();
                    if (!slots) return nullptr;
                }
                if (!dict_set(slots.get(), Value::object(an), *v)) return nullptr;
            }
        }
        if (slots && slots->used > 0) {
            RefT<Tuple> pair = new_tuple_of({*state, slots.value()});
            if (!pair) return nullptr;
            return Ref(std::move(pair));
        }
        return state;
    }

    // copyreg._reduce_ex (object.__reduce_ex__ for protocols 0 and 1):
    // (copyreg._reconstructor, (cls, base, state)[, dict]) where base is the first builtin
    // class on the MRO and state base(obj) (None for object).
    Ref reduce_ex_old(Value obj) {
        Type* cls = type_of(obj);
        Type* base = &object_type;
        Tuple* mro = cls->mro;
        for (int64_t i = 0; mro && i < mro->size; ++i) {
            Type* b = mro->items[i].as<Type>();
            if (!type_has(b, kHeapType)) {
                base = b;
                break;
            }
        }
        Ref state = Ref::none();
        std::string cls_name(type_name(obj));
        if (base != &object_type) {
            if (base == cls) return raisef(&exc::TypeError, "cannot pickle '{}' object", cls_name);
            state = call(Value::object(base), {obj});
            if (!state) return nullptr;
        }
        RefT<Tuple> args = new_tuple_of({Value::object(cls), Value::object(base), *state});
        if (!args) return nullptr;
        Ref dict;
        if (!type_lookup(cls, TOY_NAME(__getstate__)).is_null()) {
            bool found = false;
            dict = call_special(obj, TOY_NAME(__getstate__), nullptr, 0, &found);
            if (!dict) return nullptr;
        } else {
            Ref slots = getattr_or_null(obj, TOY_NAME(__slots__));
            if (!slots && error_occurred()) return nullptr;
            if (slots) {
                int truth = truthy(*slots);
                if (truth < 0) return nullptr;
                if (truth)
                    return raise(&exc::TypeError,
                                 "a class that defines __slots__ without defining __getstate__ "
                                 "cannot be pickled");
            }
            Dict** dp = instance_dict_ptr(obj);
            dict = (dp && *dp) ? Ref::borrow(Value::object(*dp)) : Ref::none();
        }
        Ref reconstructor = lookup_global("copyreg", "_reconstructor");
        if (!reconstructor) return nullptr;
        int truth = truthy(*dict);
        if (truth < 0) return nullptr;
        if (truth) return Ref(new_tuple_of({*reconstructor, args.value(), *dict}));
        return Ref(new_tuple_of({*reconstructor, args.value()}));
    }

    // CPython 3.11's reduce_newobj (object.__reduce_ex__ for protocol >= 2).
    Ref default_reduce(Value obj) {
        Type* t = type_of(obj);
        if (t->new_ == nullptr) return raisef(&exc::TypeError, "cannot pickle '{}' object", type_name(obj));
        // Exceptions: BaseException.__reduce__ = (type, args[, __dict__]).
        if (type_has(t, kExceptionSubclass)) {
            BaseExceptionObject* e = as_exception(obj);
            Value args = e->args ? Value::object(e->args) : Value::object(empty_tuple());
            if (e->dict && e->dict->used > 0)
                return Ref(new_tuple_of({Value::object(t), args, Value::object(e->dict)}));
            return Ref(new_tuple_of({Value::object(t), args}));
        }
        // range and slice: (type, (start, stop, step)).
        if (t == &range_type || t == &slice_type) {
            Ref start = getattr(obj, TOY_NAME(start));
            Ref stop = start ? getattr(obj, TOY_NAME(stop)) : nullptr;
            Ref step = stop ? getattr(obj, TOY_NAME(step)) : nullptr;
            if (!step) return nullptr;
            RefT<Tuple> a = new_tuple_of({*start, *stop, *step});
            if (!a) return nullptr;
            return Ref(new_tuple_of({Value::object(t), a.value()}));
        }
        // set/frozenset subclasses: set.__reduce__ = (type(self), (list(self),), __dict__ or None).
        if (is_set_like(obj)) {
            Ref items = sequence_list(obj);
            if (!items) return nullptr;
            RefT<Tuple> a = new_tuple_of({*items});
            if (!a) return nullptr;
            Dict** dp = instance_dict_ptr(obj);
            Value st = dp && *dp && (*dp)->used ? Value::object(*dp) : Value::none();
            return Ref(new_tuple_of({Value::object(t), a.value(), st}));
        }
        if (proto_ < 2) return reduce_ex_old(obj);
        Ref args, kwargs;
        bool found = false;
        Ref r = call_special(obj, TOY_NAME(__getnewargs_ex__), nullptr, 0, &found);
        if (found) {
            if (!r) return nullptr;
            if (!is_tuple(*r))
                return raisef(&exc::TypeError, "__getnewargs_ex__ should return a tuple, not '{}'",
                              type_name(*r));
            if (r.as<Tuple>()->size != 2)
                return raisef(&exc::ValueError,
                              "__getnewargs_ex__ should return a tuple of length 2, not {}",
                              r.as<Tuple>()->size);
            args = Ref::borrow(r.as<Tuple>()->items[0]);
            kwargs = Ref::borrow(item(r.as<Tuple>(), 1));
            if (!is_tuple(*args))
                return raisef(&exc::TypeError,
                              "first item of the tuple returned by __getnewargs_ex__ must be a tuple, not '{}'",
                              type_name(*args));
            if (!is_dict(*kwargs))
                return raisef(&exc::TypeError,
                              "second item of the tuple returned by __getnewargs_ex__ must be a dict, not '{}'",
                              type_name(*kwargs));
        } else if (error_occurred()) {
            return nullptr;
        } else {
            r = call_special(obj, TOY_NAME(__getnewargs__), nullptr, 0, &found);
            if (found) {
                if (!r) return nullptr;
                if (!is_tuple(*r))
                    return raisef(&exc::TypeError, "__getnewargs__ should return a tuple, not '{}'",
                                  type_name(*r));
                args = std::move(r);
            } else if (error_occurred()) {
                return nullptr;
            }
        }
        bool hasargs = static_cast<bool>(args);
        Ref copyreg = import_module("copyreg");
        if (!copyreg) return nullptr;
        Ref newobj, newargs;
        if (!kwargs || kwargs.as<Dict>()->used == 0) {
            newobj = getattr(*copyreg, TOY_NAME(__newobj__));
            if (!newobj) return nullptr;
            int64_t na = hasargs ? args.as<Tuple>()->size : 0;
            RefT<Tuple> nt = new_tuple(na + 1);
            if (!nt) return nullptr;
            incref(Value::object(t));
            nt->items[0] = Value::object(t);
            for (int64_t i = 0; i < na; ++i) {
                incref(args.as<Tuple>()->items[i]);
                nt->items[i + 1] = args.as<Tuple>()->items[i];
            }
            newargs = Ref(std::move(nt));
        } else {
            newobj = getattr(*copyreg, TOY_NAME(__newobj_ex__));
            if (!newobj) return nullptr;
            newargs = Ref(new_tuple_of({Value::object(t), *args, *kwargs}));
            if (!newargs) return nullptr;
        }
        bool required = !hasargs && !is_list(obj) && !is_dict(obj);
        Ref state = get_state(obj, required);
        if (!state) return nullptr;
        Ref listitems = Ref::none(), dictitems = Ref::none();
        if (is_list(obj)) {
            listitems = get_iter(obj);
            if (!listitems) return nullptr;
        }
        if (is_dict(obj)) {
            Ref items = call_method(obj, TOY_NAME(items), {});
            if (!items) return nullptr;
            dictitems = get_iter(*items);
            if (!dictitems) return nullptr;
        }
        return Ref(new_tuple_of({*newobj, *newargs, *state, *listitems, *dictitems}));
    }

    // Everything without a fast path.
    bool save_other(Value obj, Type* t) {
        Ref rv;
        if (!reducer_override.is_null()) {
            rv = call(reducer_override, {obj});
            if (!rv) return false;
            if ((*rv).is_not_implemented()) rv.reset();
        }
        if (!rv && t == &type_type) return save_type(obj);
        if (!rv && (t == &function_type)) return save_global(obj, Value::null());
        if (!rv && obj.is_object() && t == &native_function_type) {
            NativeFunction* f = obj.as<NativeFunction>();
            if (f->self.is_null() || type_of(f->self) == &module_type) {
                RefT<Str> nm = new_str(f->def->name);
                if (!nm) return false;
                return save_global(obj, nm.value());
            }
            RefT<Str> nm = new_str(f->def->name);
            if (!nm) return false;
            RefT<Tuple> args = new_tuple_of({f->self, nm.value()});
            if (!args) return false;
            Ref ga = lookup_global("builtins", "getattr");
            if (!ga) return false;
            return save_reduce_parts(*ga, args.get(), obj);
        }
        if (!rv && t == &method_type) {
            // A bound method: method.__reduce__ = (getattr, (self, func.__name__)).
            Method* bm = obj.as<Method>();
            Ref nm = getattr(bm->func, TOY_NAME(__name__));
            if (!nm) return false;
            RefT<Tuple> args = new_tuple_of({bm->self, *nm});
            if (!args) return false;
            Ref ga = lookup_global("builtins", "getattr");
            if (!ga) return false;
            return save_reduce_parts(*ga, args.get(), obj);
        }
        if (!rv && obj.is_special()) {
            // Ellipsis and NotImplemented reduce to their names.
            RefT<Str> nm = new_str(obj.is_ellipsis() ? "Ellipsis" : "NotImplemented");
            if (!nm) return false;
            return save_global_special(obj, nm.get());
        }
        if (!rv) {
            Value table = dispatch_table;
            Ref copyreg_table;
            if (table.is_null()) {
                copyreg_table = lookup_global("copyreg", "dispatch_table");
                if (!copyreg_table) return false;
                table = *copyreg_table;
            }
            Value reducer = Value::null();
            Ref reducer_hold;
            if (is_dict(table)) {
                if (table.as<Dict>()->used) {
                    reducer = dict_get(table.as<Dict>(), Value::object(t));
                    if (reducer.is_null() && error_occurred()) return false;
                }
            } else if (!table.is_none()) {
                reducer_hold = call_method(table, TOY_NAME(get), {Value::object(t)});
                if (!reducer_hold) return false;
                if (!(*reducer_hold).is_none()) reducer = *reducer_hold;
            }
            if (!reducer.is_null()) {
                rv = call(reducer, {obj});
                if (!rv) return false;
            } else if (type_has(t, kTypeSubclass)) {
                return save_global(obj, Value::null());
            } else {
                Value rex = type_lookup(t, TOY_NAME(__reduce_ex__));
                Value rd = type_lookup(t, TOY_NAME(__reduce__));
                if (!rex.is_null()) {
                    Ref m = getattr(obj, TOY_NAME(__reduce_ex__));
                    if (!m) return false;
                    rv = call(*m, {Value::small_int(proto_)});
                } else if (!rd.is_null()) {
                    Ref m = getattr(obj, TOY_NAME(__reduce__));
                    if (!m) return false;
                    rv = call(*m, {});
                } else {
                    rv = default_reduce(obj);
                }
                if (!rv) return false;
            }
        }
        if (is_str(*rv)) return save_global(obj, *rv);
        if (!is_tuple(*rv))
            return (void)pickling_error("__reduce__ must return a string or tuple"), false;
        Tuple* tv = rv.as<Tuple>();
        if (tv->size < 2 || tv->size > 6)
            return (void)pickling_error("tuple returned by __reduce__ must contain 2 through 6 elements"), false;
        return save_reduce(tv->items, tv->size, obj);
    }
    bool save_global_special(Value obj, Str* name) {
        // builtins.<name>, as save_global would find it.
        if (proto_ >= 4) {
            RefT<Str> mod = new_str("builtins");
            if (!mod) return false;
            if (!save(mod.value(), false) || !save(Value::object(name), false) || !put(STACK_GLOBAL))
                return false;
        } else {
            std::string line = fmt::format("c{}\n{}\n", fix_imports_ ? "__builtin__" : "builtins",
                                           name->view());
            if (!write(line.data(), line.size())) return false;
        }
        return memoize(obj);
    }

    bool save_pers(Value obj, bool* done) {
        *done = false;
        Ref pid = call(persistent_id, {obj});
        if (!pid) return false;
        if ((*pid).is_none()) return true;
        *done = true;
        if (!bin_) {
            Ref text = str(*pid);
            if (!text) return false;
            std::string_view tv = text.as<Str>()->view();
            for (unsigned char c : tv)
                if (c >= 0x80 || c == '\n')
                    return (void)pickling_error("persistent IDs in protocol 0 must be ASCII strings"), false;
            return write_text(PERSID, tv);
        }
        if (!save(*pid, true)) return false;
        return put(BINPERSID);
    }

public:
    bool save(Value v, bool pers_save) {
        if (framing_ && frame_start_ >= 0 &&
            len_ - static_cast<size_t>(frame_start_) - kFrameHeader >= kFrameTarget)
            commit_frame();
        if (!pers_save && !persistent_id.is_null()) {
            bool done;
            if (!save_pers(v, &done)) return false;
            if (done) return true;
        }
        if (v.is_small_int()) return save_long(v.as_small_int());
        if (v.is_double()) return save_float(v.as_double());
        if (v.is_none()) return put(NONE);
        if (v.is_bool()) {
            if (proto_ >= 2) return put(v.as_bool() ? NEWTRUE : NEWFALSE);
            return write(v.as_bool() ? "I01\n" : "I00\n", 4);
        }
        Type* t = type_of(v);
        if (t == &int_type) return save_long(int_as_i64(v));
        RecursionGuard guard(" while pickling an object");
        if (!guard) return false;
        int64_t idx = memo_.get(v);
        if (idx >= 0) return write_get(idx);
        if (t == &str_type) return save_str(v);
        if (t == &list_type) return save_list(v);
        if (t == &tuple_type) return save_tuple(v);
        if (t == &dict_type) return save_dict(v);
        if (t == &bytes_type) return save_bytes(v);
        if (t == &set_type) return save_set(v);
        if (t == &frozenset_type) return save_frozenset(v);
        if (t == &bytearray_type) return save_bytearray(v);
        return save_other(v, t);
    }

private:
    int proto_;
    bool bin_;  // protocol 1+: binary opcodes (protocol 0 writes text arguments)
    bool fix_imports_;
    bool framing_ = false;
    char* buf_ = nullptr;
    size_t len_ = 0, cap_ = 0;
    int64_t frame_start_ = -1;
    MemoTable memo_;
    int64_t memo_start_ = 0;
    RefT<Str> latin1_;
};

// ================================================================================================

// ================================================================================================
// Module functions
// ================================================================================================

bool parse_protocol(Value v, int* out) {
    if (v.is_null() || v.is_none()) {
        *out = kDefaultProtocol;
        return true;
    }
    int64_t p;
    if (!is_int(v)) return (void)raisef(&exc::TypeError, "'{}' object cannot be interpreted as an integer", type_name(v)), false;
    if (!int_value(v, &p)) return false;
    if (p < 0) p = kHighestProtocol;
    else if (p > kHighestProtocol)
        return (void)raisef(&exc::ValueError, "pickle protocol must be <= {}", kHighestProtocol), false;
    *out = static_cast<int>(p);
    return true;
}

Ref run_dump(Value obj, int proto, bool fix_imports, Value persistent_id, Value reducer_override,
             Value dispatch_table, Dict* memo = nullptr) {
    Pickler p(proto, fix_imports);
    p.persistent_id = persistent_id;
    p.reducer_override = reducer_override;
    p.dispatch_table = dispatch_table;
    if (memo && !p.import_memo(memo)) return nullptr;
    if (!p.dump(obj)) return nullptr;
    if (memo && !p.export_memo(memo)) return nullptr;
    return Ref(new_bytes(p.output()));
}

// dumps(obj, protocol=None, *, fix_imports=True, buffer_callback=None)
Ref pickle_dumps(Value, CallArgs a) {
    Value args[4] = {};
    if (!parse_args("dumps", a, 1, 2, {"obj", "protocol", "fix_imports", "buffer_callback"}, args))
        return nullptr;
    int proto;
    if (!parse_protocol(args[1], &proto)) return nullptr;
    bool fix = true;
    if (!args[2].is_null()) {
        int t = truthy(args[2]);
        if (t < 0) return nullptr;
        fix = t;
    }
    return run_dump(args[0], proto, fix, Value::null(), Value::null(), Value::null());
}

// dump(obj, file, protocol=None, *, fix_imports=True, buffer_callback=None)
Ref pickle_dump(Value, CallArgs a) {
    Value args[5] = {};
    if (!parse_args("dump", a, 2, 3, {"obj", "file", "protocol", "fix_imports", "buffer_callback"}, args))
        return nullptr;
    int proto;
    if (!parse_protocol(args[2], &proto)) return nullptr;
    bool fix = true;
    if (!args[3].is_null()) {
        int t = truthy(args[3]);
        if (t < 0) return nullptr;
        fix = t;
    }
    Ref write = getattr_or_null(args[1], TOY_NAME(write));
    if (!write) {
        if (error_occurred()) return nullptr;
        return raise(&exc::TypeError, "file must have a 'write' attribute");
    }
    Ref data = run_dump(args[0], proto, fix, Value::null(), Value::null(), Value::null());
    if (!data) return nullptr;
    Ref r = call(*write, {*data});
    if (!r) return nullptr;
    return Ref::none();
}

// _dump_with(obj, protocol, fix_imports, persistent_id, reducer_override, dispatch_table, memo):
// the engine of pickle.Pickler.dump (hooks may be None; memo a dict index -> object kept
// across the dumps of one Pickler, or None).
Ref pickle_dump_with(Value, CallArgs a) {
    if (!detail::unpack_args("_dump_with", a, 7, 7)) return nullptr;
    Dict* memo = is_exact_dict(a.args[6]) ? a.args[6].as<Dict>() : nullptr;
    int proto;
    if (!parse_protocol(a.args[1], &proto)) return nullptr;
    int fix = truthy(a.args[2]);
    if (fix < 0) return nullptr;
    auto opt = [](Value v) { return v.is_none() ? Value::null() : v; };
    return run_dump(a.args[0], proto, fix, opt(a.args[3]), opt(a.args[4]), opt(a.args[5]), memo);
}

const MethodDef kFunctions[] = {
    {"_find_class", pickle_find_class},
    {"dumps", pickle_dumps},
    {"dump", pickle_dump},
    {"loads", pickle_loads},
    {"load", pickle_load},
    {"_dump_with", pickle_dump_with},
    {"_load_with", pickle_load_with},
    {nullptr, nullptr},
};

void init_exception_class(Type* t, const char* name, Type* base) {
    t->name = name;
    t->basic_size = sizeof(BaseExceptionObject);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winvalid-offsetof"
    t->dict_offset = static_cast<int32_t>(offsetof(BaseExceptionObject, dict));
#pragma GCC diagnostic pop
    t->flags |= kBaseType | kExceptionSubclass;
    type_ready(t, base);
}

}  // namespace

RefT<Module> create_pickle_module() {
    static std::once_flag once;
    std::call_once(once, [] {
        init_exception_class(&pickle_error_type, "_pickle.PickleError", &exc::Exception);
        init_exception_class(&pickling_error_type, "_pickle.PicklingError", &pickle_error_type);
        init_exception_class(&unpickling_error_type, "_pickle.UnpicklingError", &pickle_error_type);
    });
    RefT<Module> m = new_module("_pickle");
    if (!m || !module_add_functions(m.get(), kFunctions)) return nullptr;
    if (!module_add(m.get(), "PickleError", Value::object(&pickle_error_type)) ||
        !module_add(m.get(), "PicklingError", Value::object(&pickling_error_type)) ||
        !module_add(m.get(), "UnpicklingError", Value::object(&unpickling_error_type)) ||
        !module_add(m.get(), "HIGHEST_PROTOCOL", Value::small_int(kHighestProtocol)) ||
        !module_add(m.get(), "DEFAULT_PROTOCOL", Value::small_int(kDefaultProtocol)))
        return nullptr;
    return m;
}

}  // namespace toy
