// embedded.cpp: the Toy-written modules of stdlib/lib/*.toy, compiled into the binary by
// cmake/embed_lib.cmake (which generates toy::detail::kEmbeddedModules).
#include <string_view>
#include <utility>

#include "stdlib/registry.h"

namespace toy {
namespace detail {
extern const std::pair<std::string_view, std::string_view> kEmbeddedModules[];
extern const int kEmbeddedModuleCount;
}  // namespace detail

std::string_view find_embedded_module(std::string_view name) {
    for (int i = 0; i < detail::kEmbeddedModuleCount; ++i) {
        if (detail::kEmbeddedModules[i].first == name) return detail::kEmbeddedModules[i].second;
    }
    return {};
}

}  // namespace toy
