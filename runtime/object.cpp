// object.cpp: object deallocation and the allocation entry points.
#include "runtime/object.h"

#include <cstdlib>

#include "runtime/errors.h"
#include "runtime/type.h"

namespace toy {

void dealloc_object(Object* o) {
    Type* t = o->type;
    if (t->dealloc) {
        t->dealloc(o);
    } else {
        object_free(o, t->basic_size);
    }
}

void* object_alloc(size_t size) {
    void* p = std::malloc(size);
    if (TOY_UNLIKELY(!p)) {
        (void)raise_no_memory();
        return nullptr;
    }
    return p;
}

// `size` is unused while objects come from malloc; a size-class allocator will need it (and
// then every dealloc must pass the size it allocated: subclasses of builtin types allocate
// type->basic_size).
void object_free(void* p, size_t) { std::free(p); }

}  // namespace toy
