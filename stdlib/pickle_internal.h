// pickle_internal.h: what stdlib/pickle.cpp (the pickler and the _pickle module) and
// stdlib/unpickle.cpp (the unpickler) share: CPython's opcodes and limits, the exception
// types, and the module functions unpickle.cpp defines. Internal to stdlib/.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/abstract.h"
#include "runtime/errors.h"
#include "runtime/str.h"
#include "runtime/tuple.h"

namespace toy {

// _pickle.PickleError(Exception), _pickle.PicklingError(PickleError),
// _pickle.UnpicklingError(PickleError): static like the builtin exception types.
extern Type pickle_error_type, pickling_error_type, unpickling_error_type;

namespace pickle_detail {

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

inline Ref pickling_error(std::string_view msg) { return raise(&pickling_error_type, msg); }
inline Ref unpickling_error(std::string_view msg) { return raise(&unpickling_error_type, msg); }

// repr(v) for a message (a placeholder if repr itself fails).
inline std::string repr_string(Value v) {
    Ref r = repr(v);
    if (!r) {
        clear_error();
        return fmt::format("<{} object>", type_name(v));
    }
    return std::string(r.as<Str>()->view());
}

// t->items[i] (Tuple declares items[1]: a constant index past 0 draws -Warray-bounds).
inline Value item(const Tuple* t, int64_t i) { return t->items[i]; }

// The functions of unpickle.cpp in the _pickle module (see there).
Ref pickle_loads(Value, CallArgs a);
Ref pickle_load(Value, CallArgs a);
Ref pickle_load_with(Value, CallArgs a);
Ref pickle_find_class(Value, CallArgs a);

}  // namespace pickle_detail
}  // namespace toy
