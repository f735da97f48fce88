// pickle.cpp: the native `_pickle` module (stub; filled in by the pickle area).
#include "runtime/module.h"
#include "stdlib/registry.h"

namespace toy {

RefT<Module> create_pickle_module() { return new_module("_pickle"); }

}  // namespace toy
