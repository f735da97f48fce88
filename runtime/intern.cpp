// intern.cpp: the process-wide intern table. Interned strings are immortal and unique: two
// interned strings are equal iff they are the same object (str_eq relies on it). The table is
// shared by every interpreter in the process, so it is guarded by a mutex; callers on hot
// paths cache the Str* they get (identifiers are interned once by the compiler).
//
// The table maps a view of the string's own bytes to the string; interned strings are never
// freed, so the views stay valid for the life of the process.
//
// FORK (runtime/fork.h): the table mutex is taken right before fork() and released after it
// in the parent; in the child it is re-created, so a thread of another interpreter that held
// it at fork cannot leave it locked (and the map is consistent: nobody was inside).
#include <mutex>
#include <new>
#include <string_view>
#include <unordered_map>

#include "runtime/fork.h"
#include "runtime/str.h"

namespace toy {

namespace {

struct InternTable {
    std::mutex mu;
    std::unordered_map<std::string_view, Str*> map;
};

InternTable& table() {
    static InternTable* t = new InternTable();  // never destroyed: outlives every interpreter
    return *t;
}

[[maybe_unused]] const bool g_fork_handler_registered = [] {
    register_runtime_fork_handler({[] { table().mu.lock(); }, [] { table().mu.unlock(); },
                                   [] { table().mu.unlock(); }});
    return true;
}();

}  // namespace

Str* intern(std::string_view s) {
    InternTable& t = table();
    std::lock_guard<std::mutex> lock(t.mu);
    auto it = t.map.find(s);
    if (it != t.map.end()) return it->second;
    RefT<Str> str = new_str(s);
    if (!str) return nullptr;
    Str* p = str.release();
    make_immortal(p);
    p->interned = true;
    str_hash(p);  // computed once, before other threads can see it
    t.map.emplace(p->view(), p);
    return p;
}

Str* intern_str(Str* s) {
    if (s->interned) return s;
    InternTable& t = table();
    std::lock_guard<std::mutex> lock(t.mu);
    auto it = t.map.find(s->view());
    if (it != t.map.end()) return it->second;
    if (s->type != &str_type) {
        // A str subclass instance cannot be interned itself: intern an exact copy.
        RefT<Str> copy = new_str(s->view());
        if (!copy) return nullptr;
        s = copy.release();
    } else {
        incref(s);  // the table's reference; immortal from now on
    }
    make_immortal(s);
    s->interned = true;
    str_hash(s);
    t.map.emplace(s->view(), s);
    return s;
}

}  // namespace toy
