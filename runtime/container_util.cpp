// container_util.cpp: the trashcan, the repr guard, the recursion guard and argument checks
// shared by the container types (see container_util.h).
#include "runtime/container_util.h"

#include <utility>
#include <vector>

#include "runtime/int.h"
#include "runtime/interpreter.h"
#include "runtime/thread_state.h"
#include "runtime/tuple.h"

namespace toy::detail {

namespace {

struct TrashState {
    bool draining = false;
    std::vector<std::pair<Object*, DeallocSlot>> later;
};
thread_local TrashState t_trash;

thread_local std::vector<Object*> t_repr_stack;

}  // namespace

thread_local int t_trash_depth = 0;
thread_local bool t_trash_pending = false;

bool trash_park(Object* o, DeallocSlot fn) {
    // A heap type's instance: its subtype_dealloc drops the type right after we return,
    // so keep the type alive until the parked object is really freed.
    if (type_has(o->type, kHeapType)) incref(o->type);
    t_trash.later.emplace_back(o, fn);
    t_trash_pending = true;
    return false;
}

void trash_drain() {
    TrashState& t = t_trash;
    if (t.draining) return;
    t.draining = true;
    while (!t.later.empty()) {
        auto [o, fn] = t.later.back();
        t.later.pop_back();
        Type* type = o->type;
        bool heap = type_has(type, kHeapType);
        fn(o);  // nests at most kTrashDepth deep again, parking the rest
        if (heap) decref(type);
    }
    t_trash_pending = false;
    t.draining = false;
}

int repr_enter(Object* o) {
    for (Object* p : t_repr_stack)
        if (p == o) return 1;
    t_repr_stack.push_back(o);
    return 0;
}

void repr_leave(Object* o) {
    auto& s = t_repr_stack;
    for (size_t i = s.size(); i-- > 0;) {
        if (s[i] == o) {
            s.erase(s.begin() + static_cast<std::ptrdiff_t>(i));
            return;
        }
    }
}

bool no_kw_slow(const char* name, CallArgs a) {
    if (a.nkw() == 0) return true;
    (void)raisef(&exc::TypeError, "{}() takes no keyword arguments", name);
    return false;
}

bool check_noargs_slow(const char* qualname, CallArgs a) {
    if (!no_kw(qualname, a)) return false;
    if (a.npos == 0) return true;
    (void)raisef(&exc::TypeError, "{}() takes no arguments ({} given)", qualname, a.npos);
    return false;
}

bool check_one_arg_slow(const char* qualname, CallArgs a) {
    if (!no_kw(qualname, a)) return false;
    if (a.npos == 1) return true;
    (void)raisef(&exc::TypeError, "{}() takes exactly one argument ({} given)", qualname, a.npos);
    return false;
}

bool check_positional_slow(const char* name, CallArgs a, size_t min, size_t max) {
    if (!no_kw(name, a)) return false;
    size_t n = a.npos;
    if (n < min) {
        (void)raisef(&exc::TypeError, "{} expected {}{} argument{}, got {}", name,
               min == max ? "" : "at least ", min, min == 1 ? "" : "s", n);
        return false;
    }
    if (n > max) {
        (void)raisef(&exc::TypeError, "{} expected {}{} argument{}, got {}", name,
               min == max ? "" : "at most ", max, max == 1 ? "" : "s", n);
        return false;
    }
    return true;
}

bool append_repr(std::string& out, Value v) {
    Ref r = repr(v);
    if (!r) return false;
    out += r.as<Str>()->view();
    return true;
}

Ref str_from(const std::string& s) {
    RefT<Str> r = new_str(s);
    if (!r) return nullptr;
    return r;
}

bool has_index(Value v) {
    if (v.is_small_int() || v.is_bool() || is_int(v)) return true;
    Type* t = type_of(v);
    return t->index != nullptr;
}

bool may_reflect(Value b, const char* rname) {
    if (!b.is_object()) return false;
    Type* t = b.as_object()->type;
    if (!type_has(t, kHeapType)) return false;
    return !type_lookup(t, intern(rname)).is_null();
}

}  // namespace toy::detail

namespace toy::detail {
bool slice_index_arg(Value v, int64_t* out) {
    if (v.is_small_int()) {
        *out = v.as_small_int();
        return true;
    }
    if (!has_index(v)) {
        (void)raise(&exc::TypeError, "slice indices must be integers or have an __index__ method");
        return false;
    }
    return index_value(v, out);
}
}  // namespace toy::detail

namespace toy::detail {
bool unhashable_hash(Value v, int64_t* out) {
    (void)raisef(&exc::TypeError, "unhashable type: '{}'", type_name(v));
    return false;
}
Ref iter_self(Value v) { return Ref::borrow(v); }
}  // namespace toy::detail
