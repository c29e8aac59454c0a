#include "safelaunch/win32/random_name.hpp"

#include "win32/api_failure.hpp"

#include <windows.h>
// After <windows.h>: bcrypt.h needs its types.
#include <bcrypt.h>

#include <vector>

namespace safelaunch::win32 {

std::string random_hex(std::size_t bytes, std::error_code& ec, ApiFailure* failure) {
    ec.clear();
    std::vector<unsigned char> buf(bytes);
    // No algorithm handle: BCRYPT_USE_SYSTEM_PREFERRED_RNG (Windows 7 / Server 2008 R2 and later;
    // Wine implements it). The result is an NTSTATUS; GetLastError is not set.
    const NTSTATUS status =
        ::BCryptGenRandom(nullptr, buf.data(), static_cast<ULONG>(buf.size()), BCRYPT_USE_SYSTEM_PREFERRED_RNG);
    if (status != 0) {
        ec = make_ntstatus_error(static_cast<std::uint32_t>(status));
        if (failure) *failure = ApiFailure{"BCryptGenRandom", "BCRYPT_USE_SYSTEM_PREFERRED_RNG", ec};
        return {};
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes * 2);
    for (const unsigned char b : buf) {
        out += kHex[b >> 4];
        out += kHex[b & 0xF];
    }
    return out;
}

std::string random_hex(std::size_t bytes) {
    return detail::or_throw([&](std::error_code& ec, ApiFailure* f) { return random_hex(bytes, ec, f); });
}

}  // namespace safelaunch::win32
