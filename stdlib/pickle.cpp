// pickle.cpp: the native `_pickle` module: CPython's pickle protocol (2-5 written, 0-5 read),
// byte for byte as CPython 3.11's C pickler writes builtin types. `pickle` itself is
// stdlib/lib/pickle.toy (constants, Pickler/Unpickler classes) on top of this module.
//
// WRITING (class Pickler below). One pass over the object graph into a growable buffer.
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
// READING (class Unpickler below). A loop over opcodes with CPython's value stack split into
// an object stack and a mark stack (C's Pdata: `fence` is the position of the innermost
// mark; popping at or below it is "unexpected MARK found" while marks exist, otherwise
// "unpickling stack underflow"). Input is either a whole buffer (loads; the bytes object is
// kept alive) or a file (load): then exactly the bytes needed are read with file.read(n)
// (a whole frame at a time with protocol 4+) and file.readline() for text arguments, so
// several pickles can follow each other in one file. Every length is checked against the
// remaining input before use; every error (truncation, bad opcode, wrong stack shape, memo
// miss, bad types for NEWOBJ/BUILD/STACK_GLOBAL) sets CPython's exception and message and
// returns. The memo is a dense vector, with a map for sparse indices so that a hostile
// LONG_BINPUT 0xffffffff cannot allocate gigabytes. Objects are built through the runtime's
// own functions (list_append, dict_set, type new_ slots, call), so refcounts stay balanced on
// every path: the stack and memo own their values and release them in the destructor.
//
// No lock: both passes run with the GIL held, and touch only objects reachable from their
// arguments; calls back into Toy code (reduce, find_class, setstate, file.read) may run
// other threads at their check points, which is why containers are re-read after each call.
#include <cmath>
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
#include "stdlib/util.h"

namespace toy {

// The exception classes, static like the builtin ones: _pickle.PickleError(Exception),
// _pickle.PicklingError(PickleError), _pickle.UnpicklingError(PickleError).
Type pickle_error_type, pickling_error_type, unpickling_error_type;

namespace {

using detail::str_view;

enum Opcode : uint8_t {
    MARK = '(', STOP = '.', POP = '0', POP_MARK = '1', DUP = '2', FLOAT = 'F', INT = 'I',
    BININT = 'J', BININT1 = 'K', LONG = 'L', BININT2 = 'M', NONE = 'N', PERSID = 'P',
    BINPERSID = 'Q', REDUCE = 'R', STRING = 'S', BINSTRING = 'T', SHORT_BINSTRING = 'U',
    UNICODE = 'V', BINUNICODE = 'X', APPEND = 'a', BUILD = 'b', GLOBAL = 'c', DICT = 'd',
    EMPTY_DICT = '}', APPENDS = 'e', GET = 'g', BINGET = 'h', INST = 'i', LONG_BINGET = 'j',
    LIST = 'l', EMPTY_LIST = ']', OBJ = 'o', PUT = 'p', BINPUT = 'q', LONG_BINPUT = 'r',
    SETITEM = 's', TUPLE = 't', EMPTY_TUPLE = ')', SETITEMS = 'u', BINFLOAT = 'G',
    // protocol 2
    PROTO = 0x80, NEWOBJ = 0x81, EXT1 = 0x82, EXT2 = 0x83, EXT4 = 0x84, TUPLE1 = 0x85,
    TUPLE2 = 0x86, TUPLE3 = 0x87, NEWTRUE = 0x88, NEWFALSE = 0x89, LONG1 = 0x8a, LONG4 = 0x8b,
    // protocol 3
    BINBYTES = 'B', SHORT_BINBYTES = 'C',
    // protocol 4
    SHORT_BINUNICODE = 0x8c, BINUNICODE8 = 0x8d, BINBYTES8 = 0x8e, EMPTY_SET = 0x8f,
    ADDITEMS = 0x90, FROZENSET = 0x91, NEWOBJ_EX = 0x92, STACK_GLOBAL = 0x93, MEMOIZE = 0x94,
    FRAME = 0x95,
    // protocol 5
    BYTEARRAY8 = 0x96, NEXT_BUFFER = 0x97, READONLY_BUFFER = 0x98,
};

constexpr int kHighestProtocol = 5;
constexpr int kDefaultProtocol = 4;
constexpr size_t kFrameTarget = 64 * 1024;
constexpr size_t kFrameHeader = 9;
constexpr size_t kFrameMin = 4;
constexpr int kBatch = 1000;

Ref pickling_error(std::string_view msg) { return raise(&pickling_error_type, msg); }
Ref unpickling_error(std::string_view msg) { return raise(&unpickling_error_type, msg); }

std::string repr_string(Value v) {
    Ref r = repr(v);
    if (!r) {
        clear_error();
        return fmt::format("<{} object>", type_name(v));
    }
    return std::string(str_view(*r));
}

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

    Pickler(int proto, bool fix_imports) : proto_(proto), fix_imports_(fix_imports && proto < 3) {}
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
        if (idx < 256) return put_op_u8(BINPUT, static_cast<uint8_t>(idx));
        return put_op_le(LONG_BINPUT, static_cast<uint64_t>(idx), 4);
    }
    bool write_get(int64_t idx) {
        if (idx < 256) return put_op_u8(BINGET, static_cast<uint8_t>(idx));
        return put_op_le(LONG_BINGET, static_cast<uint64_t>(idx), 4);
    }

    // ---- atoms ----------------------------------------------------------------------------
    bool save_long(int64_t x) {
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
        uint64_t bits;
        std::memcpy(&bits, &d, 8);
        if (!room(9)) return false;
        buf_[len_++] = static_cast<char>(BINFLOAT);
        for (int i = 7; i >= 0; --i) buf_[len_++] = static_cast<char>((bits >> (8 * i)) & 0xff);
        return true;
    }
    bool save_str_raw(std::string_view s) {
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
        if (n == 0) return put(EMPTY_TUPLE);
        // Hold the tuple: a __reduce__ run while saving items cannot free it.
        Ref hold = Ref::borrow(v);
        if (n <= 3) {
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
        if (idx >= 0) return put(POP_MARK) && write_get(idx);
        if (!put(TUPLE)) return false;
        return memoize(v);
    }
    // Items of a list (exact or not, as C's batch_list_exact: re-reads size each step).
    bool batch_list(List* l) {
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
        if (!put(EMPTY_LIST) || !memoize(v)) return false;
        List* l = v.as<List>();
        if (l->size == 0) return true;
        Ref hold = Ref::borrow(v);
        return batch_list(l);
    }
    // Items from an iterator (list subclasses, __reduce__'s fourth item): pickle.py's shape.
    bool batch_appends_iter(Value it) {
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
                    if (!save(x.as<Tuple>()->items[0], false) || !save(x.as<Tuple>()->items[1], false))
                        return false;
                if (!put(SETITEMS)) return false;
            } else if (n == 1) {
                Tuple* kv = tmp[0].as<Tuple>();
                if (!save(kv->items[0], false) || !save(kv->items[1], false) || !put(SETITEM))
                    return false;
            }
            if (static_cast<int>(n) < kBatch) return true;
        }
    }
    bool save_dict(Value v) {
        if (!put(EMPTY_DICT) || !memoize(v)) return false;
        Dict* d = v.as<Dict>();
        int64_t size = d->used;
        if (size == 0) return true;
        Ref hold = Ref::borrow(v);
        int64_t pos = 0;
        Value k, val;
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
                Value name = kv->items[0], mod = kv->items[1];
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
            Value cls = args->items[0], a = args->items[1], kw = args->items[2];
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
            return raisef(&exc::TypeError, "cannot pickle '{}' object", solid->name);
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
                    if (lead != std::string::npos) attr = "_" + cls.substr(lead) + attr;
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

    // CPython 3.11's reduce_newobj (object.__reduce_ex__ for protocol >= 2).
    Ref default_reduce(Value obj) {
        Type* t = type_of(obj);
        if (t->new_ == nullptr) return raisef(&exc::TypeError, "cannot pickle '{}' object", t->name);
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
            kwargs = Ref::borrow(r.as<Tuple>()->items[1]);
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
// Unpickler
// ================================================================================================

// Imports module and fetches name (dotted with protocol 4+), mapping Python 2 names for
// protocols < 3 when fix_imports is set: Unpickler.find_class's default.
Ref default_find_class(std::string_view module, std::string_view name, int proto, bool fix_imports);

class Unpickler {
public:
    // Hooks (borrowed; null when absent).
    Value persistent_load = Value::null();
    Value find_class_hook = Value::null();  // a callable (module, name) -> object
    Value buffers = Value::null();          // an iterator of out-of-band buffers
    std::string encoding = "ASCII";
    std::string errors = "strict";
    bool fix_imports = true;

    // From a buffer (kept alive by the caller).
    Unpickler(std::string_view data) : data_(data.data()), len_(data.size()) {}
    // From a file: read(n) and readline() bound methods (borrowed).
    Unpickler(Value read, Value readline) : file_read_(read), file_readline_(readline) {}

    ~Unpickler() {
        for (Value v : stack_) decref(v);
        for (Value v : memo_) decref(v);
        for (auto& kv : sparse_memo_) decref(kv.second);
    }

    Ref load();

    // A memo carried across loads (pickle.Unpickler): a dict index -> object.
    void import_memo(Dict* d) {
        int64_t pos = 0;
        Value k, v;
        while (dict_next(d, &pos, &k, &v))
            if (k.is_small_int() && k.as_small_int() >= 0) memo_put(static_cast<uint64_t>(k.as_small_int()), v);
    }
    bool export_memo(Dict* d) {
        for (size_t i = 0; i < memo_.size(); ++i)
            if (!memo_[i].is_null() && !dict_set(d, Value::small_int(static_cast<int64_t>(i)), memo_[i]))
                return false;
        for (auto& kv : sparse_memo_) {
            Ref key = make_int(static_cast<int64_t>(kv.first));
            if (!key || !dict_set(d, *key, kv.second)) return false;
        }
        return true;
    }

private:
    // ---- input ----------------------------------------------------------------------------
    // Makes n bytes available at *p; false with an exception. EOF inside an argument is
    // "pickle data was truncated".
    bool read(size_t n, const char** p) {
        if (n <= len_ - pos_) {
            *p = data_ + pos_;
            pos_ += n;
            return true;
        }
        return read_slow(n, p);
    }
    bool read_slow(size_t n, const char** p) {
        if (pos_ > static_cast<size_t>(INT64_MAX) - n)
            return (void)unpickling_error("read would overflow (invalid bytecode)"), false;
        if (file_read_.is_null()) return (void)unpickling_error("pickle data was truncated"), false;
        // Keep what is left of the current chunk, read exactly the rest.
        std::string chunk(data_ + pos_, len_ - pos_);
        size_t want = n - chunk.size();
        Ref b = call(file_read_, {Value::small_int(static_cast<int64_t>(want))});
        if (!b) return false;
        if (!is_bytes_like(*b))
            return (void)raisef(&exc::TypeError, "a bytes-like object is required, not '{}'",
                                type_name(*b)),
                   false;
        std::string_view got = buffer_view(*b);
        chunk.append(got.data(), got.size());
        file_buf_ = std::move(chunk);
        data_ = file_buf_.data();
        len_ = file_buf_.size();
        pos_ = 0;
        if (len_ < n) {
            pos_ = len_;
            return (void)unpickling_error("pickle data was truncated"), false;
        }
        *p = data_;
        pos_ = n;
        return true;
    }
    // One line (without requiring more than what is there); *len includes the '\n'.
    bool readline(const char** p, size_t* len) {
        const char* start = data_ + pos_;
        const void* nl = std::memchr(start, '\n', len_ - pos_);
        if (nl) {
            *len = static_cast<const char*>(nl) - start + 1;
            *p = start;
            pos_ += *len;
            return true;
        }
        if (file_readline_.is_null()) {
            // CPython returns what is left; the callers then see a short line.
            *len = len_ - pos_;
            *p = start;
            pos_ = len_;
            return true;
        }
        std::string chunk(start, len_ - pos_);
        Ref b = call(file_readline_, {});
        if (!b) return false;
        if (!is_bytes_like(*b))
            return (void)raisef(&exc::TypeError, "a bytes-like object is required, not '{}'",
                                type_name(*b)),
                   false;
        std::string_view got = buffer_view(*b);
        chunk.append(got.data(), got.size());
        file_buf_ = std::move(chunk);
        data_ = file_buf_.data();
        len_ = file_buf_.size();
        pos_ = len_;
        *p = data_;
        *len = len_;
        return true;
    }
    static uint64_t rd_le(const char* p, int n) {
        uint64_t v = 0;
        for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
        return v;
    }

    // ---- the stack (C's Pdata) ------------------------------------------------------------
    bool underflow() {
        return (void)unpickling_error(marks_.empty() ? "unpickling stack underflow"
                                                     : "unexpected MARK found"),
               false;
    }
    size_t fence() const { return marks_.empty() ? 0 : marks_.back(); }
    void push(Ref r) { stack_.push_back(r.release()); }
    bool push_new(Ref r) {
        if (!r) return false;
        stack_.push_back(r.release());
        return true;
    }
    Ref pop() {
        if (stack_.size() <= fence()) return (void)underflow(), nullptr;
        Value v = stack_.back();
        stack_.pop_back();
        return Ref::steal(v);
    }
    // Pops the innermost mark; -1 (exception set) if there is none.
    int64_t marker() {
        if (marks_.empty()) return (void)unpickling_error("could not find MARK"), -1;
        size_t m = marks_.back();
        marks_.pop_back();
        return static_cast<int64_t>(m);
    }
    RefT<Tuple> pop_tuple(size_t start) {
        if (start < fence()) return (void)underflow(), nullptr;
        size_t n = stack_.size() - start;
        RefT<Tuple> t = new_tuple(static_cast<int64_t>(n));
        if (!t) return nullptr;
        for (size_t i = 0; i < n; ++i) t->items[i] = stack_[start + i];  // moves ownership
        stack_.resize(start);
        return t;
    }
    RefT<List> pop_list(size_t start) {
        if (start < fence()) return (void)underflow(), nullptr;
        size_t n = stack_.size() - start;
        RefT<List> l = new_list(static_cast<int64_t>(n));
        if (!l) return nullptr;
        for (size_t i = 0; i < n; ++i) {
            if (!list_append_steal(l.get(), stack_[start + i])) {
                for (size_t j = i + 1; j < n; ++j) decref(stack_[start + j]);
                stack_.resize(start);
                return nullptr;
            }
        }
        stack_.resize(start);
        return l;
    }
    void clear_to(size_t start) {
        while (stack_.size() > start) {
            Value v = stack_.back();
            stack_.pop_back();
            decref(v);
        }
    }

    // ---- the memo -------------------------------------------------------------------------
    Value memo_get(uint64_t idx) {
        if (idx < memo_.size()) return memo_[idx];
        auto it = sparse_memo_.find(idx);
        return it == sparse_memo_.end() ? Value::null() : it->second;
    }
    void memo_put(uint64_t idx, Value v) {
        incref(v);
        if (idx < memo_.size()) {
            Value old = memo_[idx];
            memo_[idx] = v;
            decref(old);
            return;
        }
        if (idx < memo_.size() + 4096) {
            memo_.resize(idx + 1, Value::null());
            memo_[idx] = v;
            // Adopt entries of the sparse map that now fit the vector.
            if (!sparse_memo_.empty()) {
                for (auto it = sparse_memo_.begin(); it != sparse_memo_.end();) {
                    if (it->first < memo_.size()) {
                        decref(memo_[it->first]);
                        memo_[it->first] = it->second;
                        it = sparse_memo_.erase(it);
                    } else {
                        ++it;
                    }
                }
            }
            return;
        }
        auto [it, inserted] = sparse_memo_.try_emplace(idx, v);
        if (!inserted) {
            decref(it->second);
            it->second = v;
        }
    }
    bool load_get(uint64_t idx) {
        Value v = memo_get(idx);
        if (v.is_null())
            return (void)unpickling_error(fmt::format("Memo value not found at index {}", idx)), false;
        incref(v);
        stack_.push_back(v);
        return true;
    }
    bool load_put(uint64_t idx) {
        if (stack_.size() <= fence()) return underflow();
        memo_put(idx, stack_.back());
        return true;
    }

    // ---- opcode helpers -------------------------------------------------------------------
    bool load_counted_tuple(size_t n) {
        if (stack_.size() < n) return underflow();
        RefT<Tuple> t = pop_tuple(stack_.size() - n);
        if (!t) return false;
        push(Ref(std::move(t)));
        return true;
    }
    bool load_str(const char* p, size_t n) {
        // CPython decodes with surrogatepass; Toy strings hold no surrogates, so an encoded
        // surrogate fails here with UnicodeDecodeError (strict).
        Ref s = bytes_decode(std::string_view(p, n), "utf-8", "strict");
        if (!s) return false;
        push(std::move(s));
        return true;
    }
    // Python 2 str (STRING, BINSTRING, SHORT_BINSTRING): bytes with encoding 'bytes', else
    // decoded with the unpickler's encoding.
    bool load_py2_string(std::string_view data) {
        if (encoding == "bytes") return push_new(Ref(new_bytes(data)));
        return push_new(bytes_decode(data, encoding, errors));
    }
    bool load_long_bytes(const char* p, size_t n) {
        if (n == 0) return push_new(make_int(0));
        if (n > 8) {
            // Fits int64 only if the extra bytes are sign extension.
            bool neg = static_cast<uint8_t>(p[n - 1]) & 0x80;
            for (size_t i = 8; i < n; ++i)
                if (static_cast<uint8_t>(p[i]) != (neg ? 0xff : 0x00))
                    return (void)raise(&exc::OverflowError, "int too big to convert"), false;
            if (((static_cast<uint8_t>(p[7]) & 0x80) != 0) != neg)
                return (void)raise(&exc::OverflowError, "int too big to convert"), false;
            n = 8;
        }
        uint64_t v = rd_le(p, static_cast<int>(n));
        if (n < 8 && (static_cast<uint8_t>(p[n - 1]) & 0x80)) v |= ~uint64_t{0} << (8 * n);
        return push_new(make_int(static_cast<int64_t>(v)));
    }
    Ref find_class(Value module, Value name) {
        if (!find_class_hook.is_null()) return call(find_class_hook, {module, name});
        if (!is_str(module) || !is_str(name))
            return raise(&exc::TypeError, "find_class() arguments must be str");
        return default_find_class(str_view(module), str_view(name), proto_, fix_imports);
    }
    bool load_global_lines() {
        const char* p;
        size_t n;
        if (!readline(&p, &n)) return false;
        if (n < 2) return (void)unpickling_error("pickle data was truncated"), false;
        Ref mod = bytes_decode(std::string_view(p, n - 1), "utf-8", "strict");
        if (!mod) return false;
        if (!readline(&p, &n)) return false;
        if (n < 2) return (void)unpickling_error("pickle data was truncated"), false;
        Ref name = bytes_decode(std::string_view(p, n - 1), "utf-8", "strict");
        if (!name) return false;
        return push_new(find_class(*mod, *name));
    }
    bool load_newobj(bool use_kwargs) {
        const char* name = use_kwargs ? "NEWOBJ_EX" : "NEWOBJ";
        Ref kwargs;
        if (use_kwargs) {
            kwargs = pop();
            if (!kwargs) return false;
        }
        Ref args = pop();
        if (!args) return false;
        Ref cls = pop();
        if (!cls) return false;
        if (!type_has(type_of(*cls), kTypeSubclass))
            return (void)unpickling_error(fmt::format("{} class argument must be a type, not {}",
                                                      name, type_name(*cls))),
                   false;
        Type* t = cls.as<Type>();
        if (t->new_ == nullptr)
            return (void)unpickling_error(fmt::format("{} class argument '{}' doesn't have __new__",
                                                      name, t->name)),
                   false;
        if (!is_tuple(*args))
            return (void)unpickling_error(fmt::format("{} args argument must be a tuple, not {}",
                                                      name, type_name(*args))),
                   false;
        if (use_kwargs && !is_dict(*kwargs))
            return (void)unpickling_error(fmt::format("{} kwargs argument must be a dict, not {}",
                                                      name, type_name(*kwargs))),
                   false;
        Tuple* at = args.as<Tuple>();
        if (!use_kwargs || kwargs.as<Dict>()->used == 0)
            return push_new(t->new_(t, CallArgs{at->items, static_cast<size_t>(at->size), nullptr}));
        // With keywords: args then the keyword values, names in a tuple.
        Dict* kw = kwargs.as<Dict>();
        std::vector<Value> all(at->items, at->items + at->size);
        RefT<Tuple> names = new_tuple(kw->used);
        if (!names) return false;
        int64_t pos = 0, i = 0;
        Value k, v;
        std::vector<Ref> keep;
        while (dict_next(kw, &pos, &k, &v)) {
            if (!is_str(k))
                return (void)raise(&exc::TypeError, "keywords must be strings"), false;
            Str* ik = intern_str(k.as<Str>());
            names->items[i++] = Value::object(ik);
            keep.push_back(Ref::borrow(v));
            all.push_back(v);
        }
        return push_new(t->new_(t, CallArgs{all.data(), static_cast<size_t>(at->size), names.get()}));
    }
    bool load_build();
    bool do_append(size_t x);
    bool do_setitems(size_t x);
    bool load_additems();
    bool load_text_int(bool is_long);
    bool load_text_float();
    bool load_text_string();
    bool load_text_unicode();
    bool load_inst_or_obj(bool inst);

    const char* data_ = nullptr;
    size_t len_ = 0, pos_ = 0;
    std::string file_buf_;
    Value file_read_ = Value::null(), file_readline_ = Value::null();
    std::vector<Value> stack_;  // owned
    std::vector<size_t> marks_;
    std::vector<Value> memo_;   // owned (null: unset)
    std::unordered_map<uint64_t, Value> sparse_memo_;  // owned
    int proto_ = 0;
};

Ref default_find_class(std::string_view module_sv, std::string_view name_sv, int proto,
                       bool fix_imports) {
    std::string module(module_sv), name(name_sv);
    if (proto < 3 && fix_imports) {
        // _compat_pickle's NAME_MAPPING / IMPORT_MAPPING for the Python 2 names we write.
        static const char* const kNames[][4] = {
            {"__builtin__", "xrange", "builtins", "range"},
            {"__builtin__", "unichr", "builtins", "chr"},
            {"__builtin__", "unicode", "builtins", "str"},
            {"__builtin__", "long", "builtins", "int"},
            {"__builtin__", "basestring", "builtins", "str"},
            {"__builtin__", "reduce", "functools", "reduce"},
            {"__builtin__", "intern", "sys", "intern"},
            {"itertools", "izip", "builtins", "zip"},
            {"itertools", "imap", "builtins", "map"},
            {"itertools", "ifilter", "builtins", "filter"},
        };
        bool mapped = false;
        for (auto& m : kNames)
            if (module == m[0] && name == m[1]) {
                module = m[2];
                name = m[3];
                mapped = true;
                break;
            }
        if (!mapped) {
            if (module == "__builtin__" || module == "exceptions") module = "builtins";
            else if (module == "copy_reg") module = "copyreg";
            else if (module == "Queue") module = "queue";
        }
    }
    Ref mod = import_module(module);
    if (!mod) return nullptr;
    // Dotted names (protocol 4) walk attributes.
    Ref cur = std::move(mod);
    std::string_view rest = name;
    while (true) {
        size_t dot = proto >= 4 ? rest.find('.') : std::string_view::npos;
        std::string_view part = rest.substr(0, dot);
        RefT<Str> pn = new_str(part);
        if (!pn) return nullptr;
        Ref next = getattr_or_null(*cur, pn.get());
        if (!next) {
            if (error_occurred()) return nullptr;
            RefT<Str> full = new_str(name);
            if (!full) return nullptr;
            return raisef(&exc::AttributeError, "Can't get attribute {} on {}",
                          repr_string(full.value()), repr_string(*cur));
        }
        cur = std::move(next);
        if (dot == std::string_view::npos) return cur;
        rest = rest.substr(dot + 1);
    }
}

bool Unpickler::load_build() {
    if (stack_.size() < 2 || stack_.size() - 2 < fence()) return underflow();
    Ref state = pop();
    if (!state) return false;
    Value inst = stack_.back();
    Ref hold = Ref::borrow(inst);
    Ref setstate = getattr_or_null(inst, TOY_NAME(__setstate__));
    if (setstate) {
        Ref r = call(*setstate, {*state});
        return static_cast<bool>(r);
    }
    if (error_occurred()) return false;
    Ref slotstate;
    if (is_tuple(*state) && state.as<Tuple>()->size == 2) {
        Ref s0 = Ref::borrow(state.as<Tuple>()->items[0]);
        slotstate = Ref::borrow(state.as<Tuple>()->items[1]);
        state = std::move(s0);
    }
    if (!(*state).is_none()) {
        if (!is_dict(*state)) return (void)unpickling_error("state is not a dictionary"), false;
        Ref dict = getattr(inst, TOY_NAME(__dict__));
        if (!dict) return false;
        Ref items = dict_items_to_list(state.as<Dict>());
        if (!items) return false;
        List* l = items.as<List>();
        for (int64_t i = 0; i < l->size; ++i) {
            Tuple* kv = l->items[i].as<Tuple>();
            Value k = kv->items[0];
            if (is_exact_str(k)) k = Value::object(intern_str(k.as<Str>()));
            if (!setitem(*dict, k, kv->items[1])) return false;
        }
    }
    if (slotstate) {
        if (!is_dict(*slotstate)) return (void)unpickling_error("slot state is not a dictionary"), false;
        Ref items = dict_items_to_list(slotstate.as<Dict>());
        if (!items) return false;
        List* l = items.as<List>();
        for (int64_t i = 0; i < l->size; ++i) {
            Tuple* kv = l->items[i].as<Tuple>();
            if (!is_str(kv->items[0]))
                return (void)raisef(&exc::TypeError, "attribute name must be string, not '{}'",
                                    type_name(kv->items[0])),
                       false;
            if (!setattr(inst, intern_str(kv->items[0].as<Str>()), kv->items[1])) return false;
        }
    }
    return true;
}

bool Unpickler::do_append(size_t x) {
    size_t len = stack_.size();
    if (x > len || x <= fence()) return underflow();
    if (len == x) return true;
    Value list = stack_[x - 1];
    if (is_exact_list(list)) {
        List* l = list.as<List>();
        for (size_t i = x; i < len; ++i) {
            if (!list_append_steal(l, stack_[i])) {
                for (size_t j = i + 1; j < len; ++j) decref(stack_[j]);
                stack_.resize(x);
                return false;
            }
        }
        stack_.resize(x);
        return true;
    }
    Ref hold = Ref::borrow(list);
    Ref extend = getattr_or_null(list, TOY_NAME(extend));
    if (extend) {
        RefT<List> items = pop_list(x);
        if (!items) return false;
        return static_cast<bool>(call(*extend, {items.value()}));
    }
    if (error_occurred()) return false;
    Ref append = getattr(list, TOY_NAME(append));
    if (!append) return false;
    RefT<List> items = pop_list(x);
    if (!items) return false;
    for (int64_t i = 0; i < items->size; ++i)
        if (!call(*append, {items->items[i]})) return false;
    return true;
}

bool Unpickler::do_setitems(size_t x) {
    size_t len = stack_.size();
    if (x > len || x <= fence()) return underflow();
    if (len == x) return true;
    if ((len - x) % 2 != 0) return (void)unpickling_error("odd number of items for SETITEMS"), false;
    Value dict = stack_[x - 1];
    Ref hold = Ref::borrow(dict);
    // Take the items off the stack first: __setitem__ may run arbitrary code.
    RefT<List> items = pop_list(x);
    if (!items) return false;
    for (int64_t i = 0; i + 1 < items->size; i += 2) {
        if (is_exact_dict(dict)) {
            if (!dict_set(dict.as<Dict>(), items->items[i], items->items[i + 1])) return false;
        } else if (!setitem(dict, items->items[i], items->items[i + 1])) {
            return false;
        }
    }
    return true;
}

bool Unpickler::load_additems() {
    int64_t mark = marker();
    if (mark < 0) return false;
    size_t len = stack_.size();
    size_t m = static_cast<size_t>(mark);
    if (m > len || m <= fence()) return underflow();
    if (len == m) return true;
    Value set = stack_[m - 1];
    Ref hold = Ref::borrow(set);
    RefT<List> items = pop_list(m);
    if (!items) return false;
    if (type_of(set) == &set_type) {
        for (int64_t i = 0; i < items->size; ++i)
            if (!set_add(set, items->items[i])) return false;
        return true;
    }
    Ref add = getattr(set, TOY_NAME(add));
    if (!add) return false;
    for (int64_t i = 0; i < items->size; ++i)
        if (!call(*add, {items->items[i]})) return false;
    return true;
}

bool Unpickler::load_text_int(bool is_long) {
    const char* p;
    size_t n;
    if (!readline(&p, &n)) return false;
    if (n < 1) return (void)unpickling_error("pickle data was truncated"), false;
    std::string s(p, n);
    if (!s.empty() && s.back() == '\n') s.pop_back();
    if (!is_long && s.size() == 2 && s[0] == '0' && (s[1] == '0' || s[1] == '1')) {
        push(Ref::boolean(s[1] == '1'));
        return true;
    }
    if (is_long && !s.empty() && s.back() == 'L') s.pop_back();
    errno = 0;
    char* end = nullptr;
    long long v = std::strtoll(s.c_str(), &end, is_long ? 10 : 0);
    if (s.empty() || errno || *end != '\0') {
        if (errno == ERANGE) return (void)raise(&exc::OverflowError, "int too big to convert"), false;
        if (is_long) return push_new(int_from_string(s, 10));
        return (void)raise(&exc::ValueError, "could not convert string to int"), false;
    }
    return push_new(make_int(v));
}

bool Unpickler::load_text_float() {
    const char* p;
    size_t n;
    if (!readline(&p, &n)) return false;
    if (n < 2) return (void)unpickling_error("pickle data was truncated"), false;
    std::string s(p, n - 1);
    char* end = nullptr;
    errno = 0;
    double d = std::strtod(s.c_str(), &end);
    if (s.empty() || *end != '\0')
        return (void)raise(&exc::ValueError, "could not convert string to float"), false;
    return push_new(make_float(d));
}

bool Unpickler::load_text_string() {
    const char* p;
    size_t n;
    if (!readline(&p, &n)) return false;
    if (n < 2) return (void)unpickling_error("pickle data was truncated"), false;
    --n;  // the newline
    if (!(n >= 2 && p[0] == p[n - 1] && (p[0] == '\'' || p[0] == '"')))
        return (void)unpickling_error("the STRING opcode argument must be quoted"), false;
    std::string_view body(p + 1, n - 2);
    std::string out;
    for (size_t i = 0; i < body.size(); ++i) {
        char c = body[i];
        if (c != '\\' || i + 1 >= body.size()) {
            out += c;
            continue;
        }
        char e = body[++i];
        switch (e) {
            case 'n': out += '\n'; break;
            case 't': out += '\t'; break;
            case 'r': out += '\r'; break;
            case 'a': out += '\a'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'v': out += '\v'; break;
            case '\\': out += '\\'; break;
            case '\'': out += '\''; break;
            case '"': out += '"'; break;
            case '\n': break;
            case 'x': {
                auto hex = [](char h) -> int {
                    if (h >= '0' && h <= '9') return h - '0';
                    if (h >= 'a' && h <= 'f') return h - 'a' + 10;
                    if (h >= 'A' && h <= 'F') return h - 'A' + 10;
                    return -1;
                };
                if (i + 2 < body.size() + 0 && hex(body[i + 1]) >= 0 && hex(body[i + 2]) >= 0) {
                    out += static_cast<char>(hex(body[i + 1]) * 16 + hex(body[i + 2]));
                    i += 2;
                } else {
                    return (void)raisef(&exc::ValueError, "invalid \\x escape at position {}", i - 1), false;
                }
                break;
            }
            default:
                if (e >= '0' && e <= '7') {
                    int v = e - '0';
                    for (int k = 0; k < 2 && i + 1 < body.size() && body[i + 1] >= '0' && body[i + 1] <= '7'; ++k)
                        v = v * 8 + (body[++i] - '0');
                    out += static_cast<char>(v & 0xff);
                } else {
                    out += '\\';
                    out += e;
                }
        }
    }
    return load_py2_string(out);
}

// raw-unicode-escape: \uXXXX and \UXXXXXXXX escapes, every other byte a Latin-1 code point.
bool Unpickler::load_text_unicode() {
    const char* p;
    size_t n;
    if (!readline(&p, &n)) return false;
    if (n < 1) return (void)unpickling_error("pickle data was truncated"), false;
    --n;
    std::string out;
    auto put_cp = [&out](uint32_t cp) {
        if (cp < 0x80) {
            out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3f));
        } else if (cp < 0x10000) {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
            out += static_cast<char>(0x80 | (cp & 0x3f));
        } else {
            out += static_cast<char>(0xF0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
            out += static_cast<char>(0x80 | (cp & 0x3f));
        }
    };
    for (size_t i = 0; i < n; ++i) {
        unsigned char c = static_cast<unsigned char>(p[i]);
        if (c == '\\' && i + 1 < n && (p[i + 1] == 'u' || p[i + 1] == 'U')) {
            int digits = p[i + 1] == 'u' ? 4 : 8;
            if (i + 1 + digits >= n + 0 && i + 1 + digits > n - 1 + 1) {
                return (void)raise(&exc::UnicodeDecodeError, "truncated \\uXXXX escape"), false;
            }
            uint32_t cp = 0;
            for (int k = 0; k < digits; ++k) {
                char h = p[i + 2 + k];
                int d = (h >= '0' && h <= '9') ? h - '0'
                        : (h >= 'a' && h <= 'f') ? h - 'a' + 10
                        : (h >= 'A' && h <= 'F') ? h - 'A' + 10
                                                 : -1;
                if (d < 0) return (void)raise(&exc::UnicodeDecodeError, "truncated \\uXXXX escape"), false;
                cp = cp * 16 + static_cast<uint32_t>(d);
            }
            if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                return (void)raise(&exc::UnicodeDecodeError, "\\Uxxxxxxxx out of range"), false;
            put_cp(cp);
            i += 1 + digits;
        } else {
            put_cp(c);
        }
    }
    return push_new(Ref(new_str(out)));
}

// INST (module, name from lines, args since the mark) and OBJ (class and args since the mark).
bool Unpickler::load_inst_or_obj(bool inst) {
    int64_t mark = marker();
    if (mark < 0) return false;
    size_t m = static_cast<size_t>(mark);
    Ref cls;
    RefT<Tuple> args;
    if (inst) {
        if (!load_global_lines()) return false;
        cls = Ref::steal(stack_.back());
        stack_.pop_back();
        args = pop_tuple(m);
        if (!args) return false;
    } else {
        if (stack_.size() < m + 1) return underflow();
        args = pop_tuple(m + 1);
        if (!args) return false;
        cls = pop();
        if (!cls) return false;
    }
    if (args->size == 0 && type_has(type_of(*cls), kTypeSubclass)) {
        Type* t = cls.as<Type>();
        if (!t->new_) return (void)raisef(&exc::TypeError, "cannot create '{}' instances", t->name), false;
        return push_new(t->new_(t, CallArgs{nullptr, 0, nullptr}));
    }
    return push_new(call(*cls, CallArgs{args->items, static_cast<size_t>(args->size), nullptr}));
}

Ref Unpickler::load() {
    const char* p;
    for (;;) {
        if (pos_ >= len_ && file_read_.is_null())
            return raise(&exc::EOFError, "Ran out of input");
        if (!read(1, &p)) {
            if (error_matches(&unpickling_error_type)) {
                clear_error();
                return raise(&exc::EOFError, "Ran out of input");
            }
            return nullptr;
        }
        uint8_t op = static_cast<uint8_t>(*p);
        bool ok = true;
        switch (op) {
            case NONE: push(Ref::none()); break;
            case NEWTRUE: push(Ref::boolean(true)); break;
            case NEWFALSE: push(Ref::boolean(false)); break;
            case BININT1:
                if (!read(1, &p)) return nullptr;
                push(Ref::steal(Value::small_int(static_cast<uint8_t>(*p))));
                break;
            case BININT2:
                if (!read(2, &p)) return nullptr;
                push(Ref::steal(Value::small_int(static_cast<int64_t>(rd_le(p, 2)))));
                break;
            case BININT:
                if (!read(4, &p)) return nullptr;
                push(Ref::steal(Value::small_int(static_cast<int32_t>(static_cast<uint32_t>(rd_le(p, 4))))));
                break;
            case LONG1: {
                if (!read(1, &p)) return nullptr;
                size_t n = static_cast<uint8_t>(*p);
                if (!read(n, &p)) return nullptr;
                ok = load_long_bytes(p, n);
                break;
            }
            case LONG4: {
                if (!read(4, &p)) return nullptr;
                int32_t n = static_cast<int32_t>(static_cast<uint32_t>(rd_le(p, 4)));
                if (n < 0) return unpickling_error("LONG pickle has negative byte count");
                if (!read(static_cast<size_t>(n), &p)) return nullptr;
                ok = load_long_bytes(p, static_cast<size_t>(n));
                break;
            }
            case BINFLOAT: {
                if (!read(8, &p)) return nullptr;
                uint64_t bits = 0;
                for (int i = 0; i < 8; ++i) bits = (bits << 8) | static_cast<uint8_t>(p[i]);
                double d;
                std::memcpy(&d, &bits, 8);
                push(make_float(d));
                break;
            }
            case SHORT_BINUNICODE: {
                if (!read(1, &p)) return nullptr;
                size_t n = static_cast<uint8_t>(*p);
                if (!read(n, &p)) return nullptr;
                ok = load_str(p, n);
                break;
            }
            case BINUNICODE:
            case BINUNICODE8: {
                int w = op == BINUNICODE ? 4 : 8;
                if (!read(w, &p)) return nullptr;
                uint64_t n = rd_le(p, w);
                if (n > static_cast<uint64_t>(INT64_MAX))
                    return raisef(&exc::OverflowError, "BINUNICODE exceeds system's maximum size of {} bytes", INT64_MAX);
                if (!read(n, &p)) return nullptr;
                ok = load_str(p, n);
                break;
            }
            case SHORT_BINBYTES:
            case BINBYTES:
            case BINBYTES8:
            case BYTEARRAY8: {
                int w = op == SHORT_BINBYTES ? 1 : op == BINBYTES ? 4 : 8;
                if (!read(w, &p)) return nullptr;
                uint64_t n = rd_le(p, w);
                if (n > static_cast<uint64_t>(INT64_MAX))
                    return raisef(&exc::OverflowError, "{} exceeds system's maximum size of {} bytes",
                                  op == BYTEARRAY8 ? "BYTEARRAY8" : "BINBYTES", INT64_MAX);
                if (!read(n, &p)) return nullptr;
                if (op == BYTEARRAY8) ok = push_new(Ref(new_bytearray(std::string_view(p, n))));
                else ok = push_new(Ref(new_bytes(std::string_view(p, n))));
                break;
            }
            case SHORT_BINSTRING:
            case BINSTRING: {
                int w = op == SHORT_BINSTRING ? 1 : 4;
                if (!read(w, &p)) return nullptr;
                uint64_t n = rd_le(p, w);
                if (!read(n, &p)) return nullptr;
                ok = load_py2_string(std::string_view(p, n));
                break;
            }
            case EMPTY_TUPLE: push(Ref::borrow(Value::object(empty_tuple()))); break;
            case TUPLE1: ok = load_counted_tuple(1); break;
            case TUPLE2: ok = load_counted_tuple(2); break;
            case TUPLE3: ok = load_counted_tuple(3); break;
            case TUPLE: {
                int64_t m = marker();
                if (m < 0) return nullptr;
                ok = load_counted_tuple(stack_.size() - static_cast<size_t>(m));
                break;
            }
            case EMPTY_LIST: ok = push_new(Ref(new_list())); break;
            case EMPTY_DICT: ok = push_new(Ref(new_dict())); break;
            case EMPTY_SET: ok = push_new(new_set(&set_type)); break;
            case LIST: {
                int64_t m = marker();
                if (m < 0) return nullptr;
                RefT<List> l = pop_list(static_cast<size_t>(m));
                ok = push_new(Ref(std::move(l)));
                break;
            }
            case DICT: {
                int64_t m = marker();
                if (m < 0) return nullptr;
                size_t i = static_cast<size_t>(m), j = stack_.size();
                if ((j - i) % 2 != 0) return unpickling_error("odd number of items for DICT");
                RefT<Dict> d = new_dict();
                if (!d) return nullptr;
                for (size_t k = i + 1; k < j; k += 2)
                    if (!dict_set(d.get(), stack_[k - 1], stack_[k])) return nullptr;
                clear_to(i);
                push(Ref(std::move(d)));
                break;
            }
            case FROZENSET: {
                int64_t m = marker();
                if (m < 0) return nullptr;
                RefT<Tuple> items = pop_tuple(static_cast<size_t>(m));
                if (!items) return nullptr;
                ok = push_new(set_from_iterable(&frozenset_type, items.value()));
                break;
            }
            case APPEND: ok = stack_.empty() ? underflow() : do_append(stack_.size() - 1); break;
            case APPENDS: {
                int64_t m = marker();
                if (m < 0) return nullptr;
                ok = do_append(static_cast<size_t>(m));
                break;
            }
            case SETITEM: ok = stack_.size() < 2 ? underflow() : do_setitems(stack_.size() - 2); break;
            case SETITEMS: {
                int64_t m = marker();
                if (m < 0) return nullptr;
                ok = do_setitems(static_cast<size_t>(m));
                break;
            }
            case ADDITEMS: ok = load_additems(); break;
            case MARK: marks_.push_back(stack_.size()); break;
            case POP:
                if (!marks_.empty() && marks_.back() == stack_.size()) {
                    marks_.pop_back();
                } else if (stack_.size() <= fence()) {
                    ok = underflow();
                } else {
                    decref(stack_.back());
                    stack_.pop_back();
                }
                break;
            case POP_MARK: {
                int64_t m = marker();
                if (m < 0) return nullptr;
                clear_to(static_cast<size_t>(m));
                break;
            }
            case DUP:
                if (stack_.size() <= fence()) {
                    ok = underflow();
                } else {
                    incref(stack_.back());
                    stack_.push_back(stack_.back());
                }
                break;
            case BINGET:
                if (!read(1, &p)) return nullptr;
                ok = load_get(static_cast<uint8_t>(*p));
                break;
            case LONG_BINGET:
                if (!read(4, &p)) return nullptr;
                ok = load_get(rd_le(p, 4));
                break;
            case BINPUT:
                if (!read(1, &p)) return nullptr;
                ok = load_put(static_cast<uint8_t>(*p));
                break;
            case LONG_BINPUT:
                if (!read(4, &p)) return nullptr;
                ok = load_put(rd_le(p, 4));
                break;
            case MEMOIZE: {
                if (stack_.size() <= fence()) return underflow(), nullptr;
                uint64_t idx = memo_.size();
                if (!sparse_memo_.empty()) {
                    // The next index after every stored one, as CPython's memo_len.
                    idx = memo_.size();
                    for (auto& kv : sparse_memo_) idx = std::max<uint64_t>(idx, kv.first + 1);
                }
                memo_put(idx, stack_.back());
                break;
            }
            case GET:
            case PUT: {
                size_t n;
                if (!readline(&p, &n)) return nullptr;
                if (n < 2) return unpickling_error("pickle data was truncated");
                std::string s(p, n - 1);
                char* end = nullptr;
                errno = 0;
                long long idx = std::strtoll(s.c_str(), &end, 10);
                if (s.empty() || *end != '\0' || errno)
                    return raisef(&exc::ValueError, "invalid literal for int() with base 10: {}",
                                  repr_string(Ref(new_str(s)).get()));
                if (op == GET) {
                    ok = load_get(static_cast<uint64_t>(idx < 0 ? UINT64_MAX : idx));
                } else {
                    if (idx < 0) return raise(&exc::ValueError, "negative PUT argument");
                    ok = load_put(static_cast<uint64_t>(idx));
                }
                break;
            }
            case PROTO: {
                if (!read(1, &p)) return nullptr;
                int v = static_cast<uint8_t>(*p);
                if (v > kHighestProtocol) return raisef(&exc::ValueError, "unsupported pickle protocol: {}", v);
                proto_ = v;
                break;
            }
            case FRAME: {
                if (!read(8, &p)) return nullptr;
                uint64_t n = rd_le(p, 8);
                if (n > static_cast<uint64_t>(INT64_MAX))
                    return raisef(&exc::OverflowError, "FRAME length exceeds system's maximum of {} bytes", INT64_MAX);
                if (!read(n, &p)) return nullptr;
                pos_ -= n;  // the frame's data is now in the buffer: read on from its start
                break;
            }
            case GLOBAL: ok = load_global_lines(); break;
            case STACK_GLOBAL: {
                Ref name = pop();
                if (!name) return nullptr;
                Ref module = pop();
                if (!module) return nullptr;
                if (!is_exact_str(*module) || !is_exact_str(*name))
                    return unpickling_error("STACK_GLOBAL requires str");
                ok = push_new(find_class(*module, *name));
                break;
            }
            case REDUCE: {
                Ref args = pop();
                if (!args) return nullptr;
                Ref callable = pop();
                if (!callable) return nullptr;
                if (!is_tuple(*args)) return raise(&exc::TypeError, "argument list must be a tuple");
                Tuple* at = args.as<Tuple>();
                ok = push_new(call(*callable, CallArgs{at->items, static_cast<size_t>(at->size), nullptr}));
                break;
            }
            case NEWOBJ: ok = load_newobj(false); break;
            case NEWOBJ_EX: ok = load_newobj(true); break;
            case BUILD: ok = load_build(); break;
            case INST: ok = load_inst_or_obj(true); break;
            case OBJ: ok = load_inst_or_obj(false); break;
            case INT: ok = load_text_int(false); break;
            case LONG: ok = load_text_int(true); break;
            case FLOAT: ok = load_text_float(); break;
            case STRING: ok = load_text_string(); break;
            case UNICODE: ok = load_text_unicode(); break;
            case PERSID:
            case BINPERSID: {
                if (persistent_load.is_null())
                    return unpickling_error(
                        "A load persistent id instruction was encountered,\n"
                        "but no persistent_load function was specified.");
                Ref pid;
                if (op == PERSID) {
                    size_t n;
                    if (!readline(&p, &n)) return nullptr;
                    if (n < 1) return unpickling_error("pickle data was truncated");
                    pid = bytes_decode(std::string_view(p, n - 1), "ascii", "strict");
                    if (!pid) {
                        if (error_matches(&exc::UnicodeDecodeError)) {
                            clear_error();
                            return unpickling_error("persistent IDs in protocol 0 must be ASCII strings");
                        }
                        return nullptr;
                    }
                } else {
                    pid = pop();
                    if (!pid) return nullptr;
                }
                ok = push_new(call(persistent_load, {*pid}));
                break;
            }
            case EXT1:
            case EXT2:
            case EXT4: {
                int w = op == EXT1 ? 1 : op == EXT2 ? 2 : 4;
                if (!read(w, &p)) return nullptr;
                int64_t code = static_cast<int64_t>(rd_le(p, w));
                if (code <= 0) return raise(&exc::RuntimeError, "EXT specifies code <= 0");
                return raisef(&exc::ValueError, "unregistered extension code {}", code);
            }
            case NEXT_BUFFER: {
                if (buffers.is_null() || buffers.is_none())
                    return unpickling_error(
                        "pickle stream refers to out-of-band data but no *buffers* argument was given");
                Ref b = iter_next(buffers);
                if (!b) {
                    if (error_occurred()) return nullptr;
                    return unpickling_error("not enough out-of-band buffers");
                }
                push(std::move(b));
                break;
            }
            case READONLY_BUFFER:
                if (stack_.size() <= fence()) ok = underflow();
                break;
            case STOP: {
                Ref v = pop();
                return v;
            }
            default: {
                if (op >= 0x20 && op <= 0x7e && op != '\'' && op != '\\')
                    return unpickling_error(fmt::format("invalid load key, '{}'.", static_cast<char>(op)));
                return unpickling_error(fmt::format("invalid load key, '\\x{:02x}'.", op));
            }
        }
        if (!ok) return nullptr;
    }
}

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
    if (proto < 2) {
        // Protocols 0 and 1 (text and old binary) are not written by Toy.
        return raisef(&exc::ValueError, "pickle protocol {} is not supported by Toy (use 2 to 5)", proto);
    }
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

// The keyword options shared by loads() and load().
bool parse_load_options(Unpickler* u, Value fix, Value enc, Value err, Value bufs) {
    if (!fix.is_null()) {
        int t = truthy(fix);
        if (t < 0) return false;
        u->fix_imports = t;
    }
    if (!enc.is_null()) {
        if (!is_str(enc))
            return (void)raisef(&exc::TypeError, "argument 'encoding' must be str, not {}", type_name(enc)), false;
        u->encoding = std::string(str_view(enc));
    }
    if (!err.is_null()) {
        if (!is_str(err))
            return (void)raisef(&exc::TypeError, "argument 'errors' must be str, not {}", type_name(err)), false;
        u->errors = std::string(str_view(err));
    }
    return true;
}

// loads(data, /, *, fix_imports=True, encoding='ASCII', errors='strict', buffers=())
Ref pickle_loads(Value, CallArgs a) {
    Value args[5] = {};
    if (!parse_args("loads", a, 1, 1, {"", "fix_imports", "encoding", "errors", "buffers"}, args))
        return nullptr;
    Value data = args[0];
    if (is_str(data)) return raise(&exc::TypeError, "a bytes-like object is required, not 'str'");
    if (!is_bytes_like(data))
        return raisef(&exc::TypeError, "a bytes-like object is required, not '{}'", type_name(data));
    // Hold a bytes copy: the input must not change while we read it (bytearray).
    Ref hold = is_bytes(data) ? Ref::borrow(data) : Ref(new_bytes(buffer_view(data)));
    if (!hold) return nullptr;
    Unpickler u(bytes_view(*hold));
    if (!parse_load_options(&u, args[1], args[2], args[3], args[4])) return nullptr;
    Ref it;
    if (!args[4].is_null() && !args[4].is_none()) {
        it = get_iter(args[4]);
        if (!it) return nullptr;
        u.buffers = *it;
    }
    return u.load();
}

// load(file, *, fix_imports=True, encoding='ASCII', errors='strict', buffers=())
Ref pickle_load(Value, CallArgs a) {
    Value args[5] = {};
    if (!parse_args("load", a, 1, 1, {"file", "fix_imports", "encoding", "errors", "buffers"}, args))
        return nullptr;
    Ref read = getattr_or_null(args[0], TOY_NAME(read));
    if (!read && error_occurred()) return nullptr;
    Ref readline = getattr_or_null(args[0], TOY_NAME(readline));
    if (!readline && error_occurred()) return nullptr;
    if (!read || !readline)
        return raise(&exc::TypeError, "file must have 'read' and 'readline' attributes");
    Unpickler u(*read, *readline);
    if (!parse_load_options(&u, args[1], args[2], args[3], args[4])) return nullptr;
    Ref it;
    if (!args[4].is_null() && !args[4].is_none()) {
        it = get_iter(args[4]);
        if (!it) return nullptr;
        u.buffers = *it;
    }
    return u.load();
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

// _load_with(file, persistent_load, find_class, fix_imports, encoding, errors, buffers, memo):
// the engine of pickle.Unpickler.load (hooks may be None; memo a dict index -> object kept
// across the loads of one Unpickler, or None).
Ref pickle_load_with(Value, CallArgs a) {
    if (!detail::unpack_args("_load_with", a, 8, 8)) return nullptr;
    Ref read = getattr(a.args[0], TOY_NAME(read));
    if (!read) return nullptr;
    Ref readline = getattr(a.args[0], TOY_NAME(readline));
    if (!readline) return nullptr;
    Unpickler u(*read, *readline);
    if (!a.args[1].is_none()) u.persistent_load = a.args[1];
    if (!a.args[2].is_none()) u.find_class_hook = a.args[2];
    if (!parse_load_options(&u, a.args[3], a.args[4], a.args[5], Value::null())) return nullptr;
    Ref it;
    if (!a.args[6].is_none()) {
        it = get_iter(a.args[6]);
        if (!it) return nullptr;
        u.buffers = *it;
    }
    Dict* memo = is_exact_dict(a.args[7]) ? a.args[7].as<Dict>() : nullptr;
    if (memo) u.import_memo(memo);
    Ref r = u.load();
    if (r && memo && !u.export_memo(memo)) return nullptr;
    return r;
}

// _find_class(module, name, fix_imports): Unpickler.find_class's default.
Ref pickle_find_class(Value, CallArgs a) {
    if (!detail::unpack_args("_find_class", a, 3, 3)) return nullptr;
    if (!is_str(a.args[0]) || !is_str(a.args[1]))
        return raise(&exc::TypeError, "find_class() arguments must be str");
    int fix = truthy(a.args[2]);
    if (fix < 0) return nullptr;
    return default_find_class(str_view(a.args[0]), str_view(a.args[1]), kHighestProtocol, fix);
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
    t->dict_offset = static_cast<int32_t>(reinterpret_cast<uintptr_t>(&static_cast<BaseExceptionObject*>(nullptr)->dict));
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
