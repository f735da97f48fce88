// names.h: interned names the runtime looks up often (dunders and a few others), created
// once by runtime_init() (init_core_names). Immortal, so usable from any interpreter:
// `type_lookup(t, names::add_)` for "__add__", `names::s_mro` for plain "mro".
#pragma once

namespace toy {

struct Str;

// TOY_DUNDER(x) is "__x__"; TOY_NAME(x) is "x".
#define TOY_CORE_NAMES                                                                        \
    TOY_DUNDER(init) TOY_DUNDER(new) TOY_DUNDER(del) TOY_DUNDER(repr) TOY_DUNDER(str)         \
    TOY_DUNDER(hash) TOY_DUNDER(eq) TOY_DUNDER(ne) TOY_DUNDER(lt) TOY_DUNDER(le)              \
    TOY_DUNDER(gt) TOY_DUNDER(ge) TOY_DUNDER(add) TOY_DUNDER(radd) TOY_DUNDER(iadd)           \
    TOY_DUNDER(sub) TOY_DUNDER(rsub) TOY_DUNDER(isub) TOY_DUNDER(mul) TOY_DUNDER(rmul)        \
    TOY_DUNDER(imul) TOY_DUNDER(truediv) TOY_DUNDER(rtruediv) TOY_DUNDER(itruediv)            \
    TOY_DUNDER(floordiv) TOY_DUNDER(rfloordiv) TOY_DUNDER(ifloordiv) TOY_DUNDER(mod)          \
    TOY_DUNDER(rmod) TOY_DUNDER(imod) TOY_DUNDER(pow) TOY_DUNDER(rpow) TOY_DUNDER(ipow)       \
    TOY_DUNDER(lshift) TOY_DUNDER(rlshift) TOY_DUNDER(ilshift) TOY_DUNDER(rshift)             \
    TOY_DUNDER(rrshift) TOY_DUNDER(irshift) TOY_DUNDER(and) TOY_DUNDER(rand)                  \
    TOY_DUNDER(iand) TOY_DUNDER(or) TOY_DUNDER(ror) TOY_DUNDER(ior) TOY_DUNDER(xor)           \
    TOY_DUNDER(rxor) TOY_DUNDER(ixor) TOY_DUNDER(matmul) TOY_DUNDER(rmatmul)                  \
    TOY_DUNDER(imatmul) TOY_DUNDER(neg) TOY_DUNDER(pos) TOY_DUNDER(invert) TOY_DUNDER(abs)    \
    TOY_DUNDER(int) TOY_DUNDER(float) TOY_DUNDER(index) TOY_DUNDER(bool) TOY_DUNDER(len)      \
    TOY_DUNDER(getattribute) TOY_DUNDER(getattr) TOY_DUNDER(setattr) TOY_DUNDER(delattr)      \
    TOY_DUNDER(call) TOY_DUNDER(iter) TOY_DUNDER(next) TOY_DUNDER(getitem)                    \
    TOY_DUNDER(setitem) TOY_DUNDER(delitem) TOY_DUNDER(contains) TOY_DUNDER(get)              \
    TOY_DUNDER(set) TOY_DUNDER(delete) TOY_DUNDER(set_name) TOY_DUNDER(init_subclass)         \
    TOY_DUNDER(class_getitem) TOY_DUNDER(class) TOY_DUNDER(dict) TOY_DUNDER(doc)              \
    TOY_DUNDER(module) TOY_DUNDER(name) TOY_DUNDER(qualname) TOY_DUNDER(classcell)            \
    TOY_DUNDER(slots) TOY_DUNDER(format) TOY_DUNDER(dir) TOY_DUNDER(instancecheck)            \
    TOY_DUNDER(subclasscheck) TOY_DUNDER(enter) TOY_DUNDER(exit) TOY_DUNDER(reversed)         \
    TOY_DUNDER(round) TOY_DUNDER(trunc) TOY_DUNDER(floor) TOY_DUNDER(ceil)                    \
    TOY_DUNDER(missing) TOY_DUNDER(length_hint) TOY_DUNDER(mro_entries) TOY_DUNDER(bytes)     \
    TOY_DUNDER(file) TOY_DUNDER(builtins) TOY_DUNDER(loader) TOY_DUNDER(spec)                 \
    TOY_DUNDER(package) TOY_DUNDER(annotations) TOY_DUNDER(orig_bases) TOY_DUNDER(main)       \
    TOY_DUNDER(prepare) TOY_DUNDER(self) TOY_DUNDER(func) TOY_DUNDER(wrapped)                 \
    TOY_DUNDER(notes) TOY_DUNDER(traceback) TOY_DUNDER(cause) TOY_DUNDER(context)             \
    TOY_DUNDER(abstractmethods) TOY_DUNDER(isabstractmethod) TOY_DUNDER(await)               \
    TOY_DUNDER(aiter) TOY_DUNDER(anext) TOY_DUNDER(aenter) TOY_DUNDER(aexit)                  \
    TOY_NAME(mro) TOY_NAME(keys) TOY_NAME(items) TOY_NAME(values) TOY_NAME(send)              \
    TOY_NAME(throw) TOY_NAME(close) TOY_NAME(builtins) TOY_NAME(name) TOY_NAME(args)          \
    TOY_NAME(value) TOY_NAME(code)

namespace names {
#define TOY_DUNDER(x) extern Str* x##_;
#define TOY_NAME(x) extern Str* s_##x;
TOY_CORE_NAMES
#undef TOY_DUNDER
#undef TOY_NAME
}  // namespace names

}  // namespace toy
