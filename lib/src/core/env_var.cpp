#include "safelaunch/env_var.hpp"

#include <cstdlib>
#include <memory>

namespace safelaunch {

std::optional<std::string> env_var(const char* name) {
#ifdef _MSC_VER
    char* value = nullptr;
    std::size_t size = 0;
    if (_dupenv_s(&value, &size, name) != 0 || value == nullptr) return std::nullopt;
    const std::unique_ptr<char, decltype(&std::free)> owned(value, &std::free);
    return std::string(value);
#else
    const char* value = std::getenv(name);  // check-msvc: ok (not compiled by MSVC)
    if (value == nullptr) return std::nullopt;
    return std::string(value);
#endif
}

}  // namespace safelaunch
