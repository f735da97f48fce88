// structseq.h: "struct sequences" (sys.version_info, sys.float_info, time.struct_time): tuples
// whose items are also named attributes, with CPython's repr `sys.version_info(major=3, ...)`.
// And SimpleNamespace (sys.implementation). Internal to stdlib/.
#pragma once

#include <initializer_list>

#include "runtime/type.h"

namespace toy {

struct StructSeqType : Type {
    const char* const* fields = nullptr;  // nfields names
    int nfields = 0;
};

// Readies a struct sequence type (once per process) named e.g. "sys.version_info".
void init_structseq_type(StructSeqType* t, const char* name, const char* const* fields, int n);
// A new instance; takes ownership of the n values (all non-null).
Ref new_structseq(StructSeqType* t, std::initializer_list<Value> owned_items);

extern Type simple_namespace_type;  // types.SimpleNamespace
void init_simple_namespace_type();
// A new namespace; values are borrowed (increfed).
Ref new_simple_namespace(std::initializer_list<std::pair<const char*, Value>> attrs);

}  // namespace toy
