// Unpredictable names from the system CSPRNG (BCryptGenRandom with the system-preferred RNG), for
// objects nobody else must be able to create first (private window stations).
#pragma once

#include "safelaunch/error.hpp"

#include <cstddef>
#include <string>
#include <system_error>

namespace safelaunch::win32 {

// `bytes` random bytes as 2 * bytes lower-case hex digits. On failure: "" and `ec` holds the
// NTSTATUS (ntstatus_category), `*failure` names BCryptGenRandom.
[[nodiscard]] std::string random_hex(std::size_t bytes, std::error_code& ec, ApiFailure* failure = nullptr);
[[nodiscard]] std::string random_hex(std::size_t bytes);

}  // namespace safelaunch::win32
