// object.h: the object header, reference counting, and the owning handle `Ref`.
//
// Every heap object starts with `Object`: a non-atomic reference count and its type. The
// count is non-atomic on purpose: only the thread holding the interpreter's GIL may touch an
// object (the GIL is what makes this safe, exactly as in CPython). An object is destroyed at
// the moment its count reaches zero: its type's `dealloc` slot runs right there (which for
// classes written in Toy calls `__del__` first).
//
// Immortal objects (builtin types, interned strings, the empty tuple, ...) are shared by every
// interpreter in the process and never written: their count is kImmortal and incref/decref
// leave it alone. That keeps two interpreters with two GILs from racing on shared objects.
//
// Ownership rules (the same as CPython's, made visible in the types):
//   - `Value` is borrowed. Functions take arguments as `Value` (borrowed).
//   - `Ref` owns one reference. Functions that return a new reference return `Ref`; a null
//     Ref means "an exception is set on the current thread state" (errors.h).
//   - `Ref::steal(v)` adopts a reference you already own; `Ref::borrow(v)` takes a new one.
//   - `release()` hands the reference back as a raw Value (e.g. to store into a container).
#pragma once

#include <cstddef>
#include <new>
#include <cstdint>
#include <utility>

#include "runtime/value.h"

#if defined(__GNUC__)
#define TOY_LIKELY(x) __builtin_expect(!!(x), 1)
#define TOY_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define TOY_ALWAYS_INLINE inline __attribute__((always_inline))
#define TOY_NOINLINE __attribute__((noinline))
#else
#define TOY_LIKELY(x) (x)
#define TOY_UNLIKELY(x) (x)
#define TOY_ALWAYS_INLINE inline
#define TOY_NOINLINE
#endif

namespace toy {

struct Type;

inline constexpr int64_t kImmortal = int64_t{1} << 60;

// A default-constructed Object is immortal: that makes statically allocated objects (builtin
// types, cached constants) immortal from the start, before runtime_init() readies them, so a
// stray incref/decref on them can never free a static. new_object() sets refcnt to 1.
class Object {
public:
    int64_t refcnt = kImmortal;
    Type* type = nullptr;

    bool immortal() const { return refcnt >= kImmortal; }
};

// Defined in object.cpp: runs the type's dealloc slot.
TOY_NOINLINE void dealloc_object(Object* o);

TOY_ALWAYS_INLINE void incref(Object* o) {
    if (TOY_LIKELY(o->refcnt < kImmortal)) ++o->refcnt;
}
TOY_ALWAYS_INLINE void decref(Object* o) {
    if (o->refcnt < kImmortal && --o->refcnt == 0) dealloc_object(o);
}
TOY_ALWAYS_INLINE void incref(Value v) {
    if (v.is_object()) incref(v.as_object());
}
TOY_ALWAYS_INLINE void decref(Value v) {
    if (v.is_object()) decref(v.as_object());
}
inline void make_immortal(Object* o) { o->refcnt = kImmortal; }

// An owned reference. Move-only. Null means "error, exception set" when returned.
class [[nodiscard]] Ref {
public:
    Ref() = default;
    Ref(std::nullptr_t) {}
    static Ref steal(Value v) { return Ref(v); }
    static Ref steal(Object* o) { return Ref(Value::object(o)); }
    static Ref borrow(Value v) {
        incref(v);
        return Ref(v);
    }
    static Ref borrow(Object* o) {
        incref(o);
        return Ref(Value::object(o));
    }
    // Specials, ints and floats carry no reference: wrapping them is free.
    static Ref none() { return Ref(Value::none()); }
    static Ref boolean(bool b) { return Ref(Value::boolean(b)); }
    static Ref not_implemented() { return Ref(Value::not_implemented()); }

    Ref(const Ref&) = delete;
    Ref& operator=(const Ref&) = delete;
    Ref(Ref&& o) noexcept : v_(o.v_) { o.v_ = Value::null(); }
    Ref& operator=(Ref&& o) noexcept {
        if (this != &o) {
            Value old = v_;
            v_ = o.v_;
            o.v_ = Value::null();
            decref(old);
        }
        return *this;
    }
    ~Ref() { decref(v_); }

    Value get() const { return v_; }
    Value operator*() const { return v_; }
    template <class T> T* as() const { return v_.as<T>(); }
    Object* obj() const { return v_.as_object(); }
    explicit operator bool() const { return !v_.is_null(); }
    bool is_null() const { return v_.is_null(); }
    [[nodiscard]] Value release() {
        Value v = v_;
        v_ = Value::null();
        return v;
    }
    Ref dup() const { return borrow(v_); }
    void reset() {
        Value old = v_;
        v_ = Value::null();
        decref(old);
    }

private:
    explicit Ref(Value v) : v_(v) {}
    Value v_;
};

// An owned reference to a known object type, for C++ code that builds objects.
template <class T> class [[nodiscard]] RefT {
public:
    RefT() = default;
    RefT(std::nullptr_t) {}
    static RefT steal(T* p) { return RefT(p); }
    static RefT borrow(T* p) {
        if (p) incref(p);
        return RefT(p);
    }
    RefT(const RefT&) = delete;
    RefT& operator=(const RefT&) = delete;
    RefT(RefT&& o) noexcept : p_(o.p_) { o.p_ = nullptr; }
    RefT& operator=(RefT&& o) noexcept {
        if (this != &o) {
            T* old = p_;
            p_ = o.p_;
            o.p_ = nullptr;
            if (old) decref(old);
        }
        return *this;
    }
    ~RefT() {
        if (p_) decref(p_);
    }
    T* get() const { return p_; }
    T* operator->() const { return p_; }
    explicit operator bool() const { return p_ != nullptr; }
    [[nodiscard]] T* release() {
        T* p = p_;
        p_ = nullptr;
        return p;
    }
    // Converts to an untyped owned reference.
    operator Ref() && { return Ref::steal(Value::object(release())); }
    Value value() const { return Value::object(p_); }

private:
    explicit RefT(T* p) : p_(p) {}
    T* p_ = nullptr;
};

// Allocation. All object memory goes through these so that a small-object allocator and
// allocation-failure injection (MemoryError) can be added in one place. Returns nullptr
// with MemoryError set on failure.
void* object_alloc(size_t size);
void object_free(void* p, size_t size);

// Heap types (classes written in Toy) are the only mortal types. An instance of a heap type
// owns a reference to its type, and may need more room than sizeof(T) (the instance dict
// pointer a subclass of a builtin type adds at dict_offset): this allocates
// max(size, type->basic_size) zeroed bytes and increfs the type (type.cpp). The instance's
// dealloc (subtype_dealloc for heap types) releases both.
void* alloc_heap_instance(Type* type, size_t size);

// Allocates sizeof(T) (+ extra bytes), placement-constructs T, sets refcnt 1 and type.
// Works for subclasses of builtin types too (see alloc_heap_instance): a builtin type's new_
// slot should allocate with new_object<T>(subtype, ...) for whatever subtype it is given.
template <class T, class... A> T* new_object(Type* type, size_t extra, A&&... args) {
    const Object* tobj = reinterpret_cast<const Object*>(type);
    void* mem = TOY_LIKELY(tobj->refcnt >= kImmortal) ? object_alloc(sizeof(T) + extra)
                                                      : alloc_heap_instance(type, sizeof(T) + extra);
    if (!mem) return nullptr;
    T* o = new (mem) T(std::forward<A>(args)...);
    o->refcnt = 1;
    o->type = type;
    return o;
}

}  // namespace toy
