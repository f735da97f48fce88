// module.h: module objects. A module is a dict (its globals) with a name.
#pragma once

#include <string_view>

#include "runtime/type.h"

namespace toy {

struct Dict;
struct Str;
extern Type module_type;

struct Module : Object {
    Dict* dict;  // owned: the module's globals (__name__, __file__, ...)
    bool builtin = false;  // (core) a native module: repr says "(built-in)"
};

RefT<Module> new_module(std::string_view name);
// Adds native functions (terminated by {nullptr}) and returns false on MemoryError.
bool module_add_functions(Module* m, const MethodDef* defs);
bool module_add(Module* m, std::string_view name, Value v);  // increfs v

}  // namespace toy
