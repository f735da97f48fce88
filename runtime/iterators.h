// iterators.h: the iterator types behind builtins: enumerate, zip, map, filter, reversed
// (types, callable via type call as in CPython), the generic sequence iterator ("iterator",
// used by iter() on objects with only __getitem__) and callable_iterator (iter(f, sentinel)).
// The `stdlib` area registers the builtin names; these are the types.
#pragma once

#include "runtime/type.h"

namespace toy {

extern Type enumerate_type;
extern Type zip_type;
extern Type map_type;
extern Type filter_type;
extern Type reversed_type;
extern Type seq_iterator_type;       // "iterator"
extern Type callable_iterator_type;  // "callable_iterator"

void init_iterator_types();

// iter(seq) for an object with __getitem__ but no __iter__: yields seq[0], seq[1], ...
// until IndexError or StopIteration.
Ref new_seq_iter(Value seq);
// iter(callable, sentinel). TypeError "iter(v, w): v must be callable" if not callable.
Ref new_callable_iter(Value callable, Value sentinel);
// reversed(seq): __reversed__ if the type defines it, else the sequence protocol
// (__len__ + __getitem__), else TypeError "'int' object is not reversible".
Ref reversed_of(Value seq);

}  // namespace toy
