// mmap.cpp: the `mmap` module (stub; filled in below by the pickle area).
#include "runtime/module.h"
#include "stdlib/registry.h"

namespace toy {

RefT<Module> create_mmap_module() { return new_module("mmap"); }

}  // namespace toy
