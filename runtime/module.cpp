// module.cpp: module objects.
#include "runtime/module.h"

#include "runtime/abstract.h"
#include "runtime/dict.h"
#include "runtime/errors.h"
#include "runtime/list.h"
#include "runtime/init_types.h"
#include "runtime/names.h"
#include "runtime/native_function.h"
#include "runtime/str.h"
#include "runtime/tuple.h"

#pragma GCC diagnostic ignored "-Winvalid-offsetof"

namespace toy {

Type module_type;

static bool module_init_dict(Module* m, Value name, Value doc) {
    Dict* d = m->dict;
    return dict_set_str(d, names::name_, name) && dict_set_str(d, names::doc_, doc) &&
           dict_set_str(d, names::package_, Value::none()) &&
           dict_set_str(d, names::loader_, Value::none()) &&
           dict_set_str(d, names::spec_, Value::none());
}

static Module* alloc_module(Type* type) {
    auto* m = new_object<Module>(type, 0);
    if (!m) return nullptr;
    m->dict = nullptr;
    RefT<Dict> d = new_dict();
    if (!d) {
        decref(m);
        return nullptr;
    }
    m->dict = d.release();
    return m;
}

RefT<Module> new_module(std::string_view name) {
    Module* m = alloc_module(&module_type);
    if (!m) return nullptr;
    RefT<Module> r = RefT<Module>::steal(m);
    RefT<Str> n = new_str(name);
    if (!n) return nullptr;
    if (!module_init_dict(m, n.value(), Value::none())) return nullptr;
    return r;
}

bool module_add(Module* m, std::string_view name, Value v) {
    Str* key = intern(name);
    return dict_set_str(m->dict, key, v);
}

bool module_add_functions(Module* m, const MethodDef* defs) {
    Value modname = dict_get_str(m->dict, names::name_);
    for (const MethodDef* d = defs; d->name; d++) {
        Ref f = new_native_function(d, Value::object(m), modname);
        if (!f) return false;
        if (!dict_set_str(m->dict, intern(d->name), f.get())) return false;
    }
    return true;
}

static void module_dealloc(Object* o) {
    auto* m = static_cast<Module*>(o);
    if (m->dict) decref(m->dict);
    object_free(o, sizeof(Module));
}

static Ref module_new(Type* type, CallArgs) {
    Module* m = alloc_module(type);
    if (!m) return nullptr;
    return Ref::steal(m);
}

static bool module_init(Value self, CallArgs a) {
    Value args[2] = {};
    if (!parse_args("module", a, 1, 2, {"name", "doc"}, args)) return false;
    if (!is_str(args[0])) {
        (void)raisef(&exc::TypeError, "module.__init__() argument 'name' must be str, not {}",
               type_name(args[0]));
        return false;
    }
    return module_init_dict(self.as<Module>(), args[0], args[1].is_null() ? Value::none() : args[1]);
}

static Ref module_getattro(Value self, Str* name) {
    Ref r = generic_getattr(self, name);
    if (r || !error_matches(&exc::AttributeError)) return r;
    Module* m = self.as<Module>();
    // PEP 562: a module-level __getattr__.
    Value hook = dict_get_str(m->dict, names::getattr_);
    if (!hook.is_null()) {
        clear_error();
        Ref hold = Ref::borrow(hook);
        return call(hook, {Value::object(name)});
    }
    clear_error();
    Value mn = dict_get_str(m->dict, names::name_);
    if (!mn.is_null() && is_str(mn))
        return raisef(&exc::AttributeError, "module '{}' has no attribute '{}'",
                      mn.as<Str>()->view(), name->view());
    return raisef(&exc::AttributeError, "module has no attribute '{}'", name->view());
}

static Ref module_repr(Value self) {
    Module* m = self.as<Module>();
    Value name = dict_get_str(m->dict, names::name_);
    Ref nr;
    std::string_view n = "?";
    if (!name.is_null() && is_str(name)) {
        nr = repr(name);
        if (!nr) return nullptr;
        n = nr.as<Str>()->view();
    }
    Value file = dict_get_str(m->dict, names::file_);
    if (!file.is_null() && is_str(file)) {
        Ref fr = repr(file);
        if (!fr) return nullptr;
        return Ref(new_str(fmt::format("<module {} from {}>", n, fr.as<Str>()->view())));
    }
    if (m->builtin) return Ref(new_str(fmt::format("<module {} (built-in)>", n)));
    return Ref(new_str(fmt::format("<module {}>", n)));
}

static Ref module_dir(Value self, CallArgs a) {
    if (!parse_args("__dir__", a, 0, 0, {}, nullptr)) return nullptr;
    Module* m = self.as<Module>();
    Value d = dict_get_str(m->dict, names::dict_);
    (void)d;
    RefT<List> l = new_list(m->dict->used);
    if (!l) return nullptr;
    int64_t pos = 0;
    Value k, v;
    while (dict_next(m->dict, &pos, &k, &v))
        if (!list_append(l.get(), k)) return nullptr;
    return Ref(std::move(l));
}

static const MethodDef module_methods[] = {
    {"__dir__", module_dir},
    {nullptr},
};

void init_module_type() {
    module_type.name = "module";
    module_type.basic_size = sizeof(Module);
    module_type.dict_offset = static_cast<int32_t>(offsetof(Module, dict));
    module_type.flags |= kBaseType;
    module_type.dealloc = module_dealloc;
    module_type.new_ = module_new;
    module_type.init = module_init;
    module_type.getattr = module_getattro;
    module_type.repr = module_repr;
    module_type.methods = module_methods;
    type_ready(&module_type, &object_type);
}

}  // namespace toy
