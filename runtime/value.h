// value.h: the one-word tagged value that every slot, stack cell and container holds.
//
// Encoding (64 bits, "pointer-first NaN boxing", the layout JavaScriptCore uses):
//
//   top 16 bits   meaning
//   0x0000        an Object* (raw, 8-byte aligned, never 0). bits == 0 is Null (below).
//   0x0001        a special constant: None, False, True, NotImplemented, Ellipsis.
//   0x0002-FFFD   a double, stored as its IEEE-754 bits plus kDoubleOffset (2^49).
//   0xFFFE        a small int: a signed 48-bit integer in the low 48 bits.
//   0xFFFF        never produced.
//
// Null (all bits zero) is not a Python value: it marks "no value" (an error return, an unbound
// local, an empty dict slot). Doubles whose raw top 16 bits are 0xFFFC..0xFFFF (negative NaNs
// with payload bits only a bit-cast can produce) are canonicalised to the quiet NaN, so every
// double round-trips except for NaN payloads, which Python does not promise to keep.
//
// Ints outside the 48-bit range live on the heap (runtime/int.h). The arithmetic fast paths
// test "both small ints" with one AND and one compare (see both_small_ints).
//
// A Value is a *borrowed* reference: copying one never touches a refcount. Owning references
// are `Ref` (object.h). Whether a value holds an owned reference is visible in the type.
#pragma once

#include <bit>
#include <cstdint>

namespace toy {

class Object;

class Value {
public:
    static constexpr uint64_t kTagShift = 48;
    static constexpr uint64_t kPayloadMask = (uint64_t{1} << 48) - 1;
    static constexpr uint64_t kSpecialTag = uint64_t{0x0001} << 48;
    static constexpr uint64_t kDoubleOffset = uint64_t{1} << 49;
    static constexpr uint64_t kIntTag = uint64_t{0xFFFE} << 48;
    static constexpr int64_t kSmallIntMin = -(int64_t{1} << 47);
    static constexpr int64_t kSmallIntMax = (int64_t{1} << 47) - 1;
    static constexpr uint64_t kCanonicalNaN = 0x7FF8000000000000ull;

    enum Special : uint64_t {
        kNone = 1,
        kFalse = 2,
        kTrue = 3,
        kNotImplemented = 4,
        kEllipsis = 5,
    };

    constexpr Value() : bits_(0) {}

    // --- construction -------------------------------------------------------------
    static constexpr Value null() { return Value(0); }
    static constexpr Value none() { return Value(kSpecialTag | kNone); }
    static constexpr Value not_implemented() { return Value(kSpecialTag | kNotImplemented); }
    static constexpr Value ellipsis() { return Value(kSpecialTag | kEllipsis); }
    static constexpr Value boolean(bool b) { return Value(kSpecialTag | (kFalse + (b ? 1 : 0))); }
    static Value object(const Object* o) { return Value(reinterpret_cast<uint64_t>(o)); }
    static Value from_double(double d) {
        uint64_t raw = std::bit_cast<uint64_t>(d);
        if (raw >= 0xFFFC000000000000ull) [[unlikely]]
            raw = kCanonicalNaN;
        return Value(raw + kDoubleOffset);
    }
    // Only for values known to fit (see fits_small_int); int.h's make_int() boxes the rest.
    static constexpr Value small_int(int64_t i) {
        return Value(kIntTag | (static_cast<uint64_t>(i) & kPayloadMask));
    }
    static constexpr bool fits_small_int(int64_t i) { return i >= kSmallIntMin && i <= kSmallIntMax; }
    static constexpr Value from_bits(uint64_t b) { return Value(b); }

    // --- tests ---------------------------------------------------------------------
    constexpr bool is_null() const { return bits_ == 0; }
    // True for a real object pointer (not Null, not a special).
    constexpr bool is_object() const { return bits_ - 1 < kPayloadMask; }
    constexpr bool is_special() const { return (bits_ >> kTagShift) == 0x0001; }
    constexpr bool is_none() const { return bits_ == (kSpecialTag | kNone); }
    constexpr bool is_bool() const { return (bits_ | 1) == (kSpecialTag | kTrue); }
    constexpr bool is_true_const() const { return bits_ == (kSpecialTag | kTrue); }
    constexpr bool is_false_const() const { return bits_ == (kSpecialTag | kFalse); }
    constexpr bool is_not_implemented() const { return bits_ == (kSpecialTag | kNotImplemented); }
    constexpr bool is_ellipsis() const { return bits_ == (kSpecialTag | kEllipsis); }
    constexpr bool is_double() const { return bits_ - kDoubleOffset < (uint64_t{0xFFFC} << 48); }
    constexpr bool is_small_int() const { return (bits_ >> kTagShift) == 0xFFFE; }

    // --- access (caller has checked the kind) --------------------------------------
    Object* as_object() const { return reinterpret_cast<Object*>(bits_); }
    template <class T> T* as() const { return static_cast<T*>(as_object()); }
    double as_double() const { return std::bit_cast<double>(bits_ - kDoubleOffset); }
    constexpr int64_t as_small_int() const { return static_cast<int64_t>(bits_ << 16) >> 16; }
    constexpr bool as_bool() const { return bits_ == (kSpecialTag | kTrue); }
    constexpr uint64_t bits() const { return bits_; }

    // Identity (Python's `is`). Two doubles or two small ints compare by value bits, which
    // matches CPython's behaviour for the cached small ints and is what `is` means here.
    constexpr bool is(Value o) const { return bits_ == o.bits_; }
    friend constexpr bool operator==(Value a, Value b) = delete;  // say is() or use eq()

private:
    constexpr explicit Value(uint64_t b) : bits_(b) {}
    uint64_t bits_;
};

static_assert(sizeof(Value) == 8);

// Both operands small ints: one AND and one compare (0xFFFE & x == 0xFFFE only for x = 0xFFFE
// or the unused 0xFFFF).
inline constexpr bool both_small_ints(Value a, Value b) {
    return ((a.bits() & b.bits()) >> Value::kTagShift) == 0xFFFE;
}

}  // namespace toy
