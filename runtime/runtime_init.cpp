// runtime_init.cpp: readies every builtin type once per process (std::call_once).
//
// The order matters only in that a base must be readied before its subclasses (type_ready
// copies the base's MRO and inherits its slots). Types are static and immortal from the
// start (object.h), so referring to a type before it is readied is safe.
#include <mutex>

#include "runtime/init_types.h"
#include "runtime/interpreter.h"

namespace toy {

static void runtime_init_once() {
    // --- core: object and type first, everything else derives from them.
    init_core_names();
    init_object_and_type_types();
    init_native_function_types();

    // --- text
    init_str_type();
    init_int_type();
    init_bool_type();
    init_float_type();
    init_bytes_type();

    // --- containers
    init_tuple_type();
    init_list_type();
    init_dict_type();
    init_set_type();
    init_frozenset_type();
    init_range_type();
    init_iterator_types();

    // --- core (these use str/tuple/dict)
    init_misc_types();
    init_module_type();
    init_exception_types();

    // --- vm: add your init calls here

    // --- stdlib: add your init calls here
}

void runtime_init() {
    static std::once_flag once;
    std::call_once(once, runtime_init_once);
}

}  // namespace toy
