// One environment variable, read the same way by every compiler we build with.
#pragma once

#include <optional>
#include <string>

namespace safelaunch {

// The variable's value (narrow, as the C runtime keeps it), nullopt when unset. MSVC deprecates
// std::getenv (C4996, an error under /WX), so MSVC builds read it with _dupenv_s.
[[nodiscard]] std::optional<std::string> env_var(const char* name);

}  // namespace safelaunch
