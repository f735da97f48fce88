// pending.h: TEMPORARY declarations of symbols whose owners' headers do not exist yet
// (bytes: text; the iterator types: containers; super: core). Each block goes away as soon as
// the real header lands; the names are our best guess and are checked at link time.
#pragma once

#include <string_view>

#include "runtime/type.h"

namespace toy {

// runtime/bytes.h (text)
extern Type bytes_type;
bool is_bytes(Value v);
std::string_view bytes_view(Value v);
Ref new_bytes(std::string_view data);

// runtime/iterators.h (containers)
extern Type enumerate_type;
extern Type zip_type;
extern Type map_type;
extern Type filter_type;
extern Type reversed_type;

// super (core)
extern Type super_type;

}  // namespace toy
