// embedded.cpp: the Toy-written modules and packages of stdlib/lib/, compiled into the binary by
// cmake/embed_lib.cmake (which generates toy::detail::kEmbeddedModules).
#include <string_view>
#include <utility>

#include "stdlib/registry.h"

namespace toy {
namespace detail {
extern const std::pair<std::string_view, std::string_view> kEmbeddedModules[];
extern const int kEmbeddedModuleCount;
}  // namespace detail

std::string_view find_embedded_module(std::string_view name, bool* is_package) {
    *is_package = false;
    for (int i = 0; i < detail::kEmbeddedModuleCount; ++i) {
        std::string_view entry = detail::kEmbeddedModules[i].first;
        if (entry == name) return detail::kEmbeddedModules[i].second;
        // A package: "<name>.__init__".
        constexpr std::string_view kInit = ".__init__";
        if (entry.size() == name.size() + kInit.size() && entry.starts_with(name) &&
            entry.ends_with(kInit)) {
            *is_package = true;
            return detail::kEmbeddedModules[i].second;
        }
    }
    return {};
}

}  // namespace toy
