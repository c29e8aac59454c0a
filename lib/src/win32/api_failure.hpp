// Internal to the Win32 fact gatherers: one shape for reporting failures, and UTF-8 <-> UTF-16.
//
// Shape used by every operation in token/user_object/security/grant/system_facts:
//   T op(args..., std::error_code& ec, ApiFailure* failure = nullptr);  // clears ec; on failure
//                                                // sets ec and, when given, *failure (API, object)
//   T op(args...);                               // throws safelaunch::Error carrying the ApiFailure
// Only std::bad_alloc can escape the error_code overloads.
#pragma once

#include "safelaunch/error.hpp"

#include <windows.h>

#include <boost/nowide/convert.hpp>

#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

namespace safelaunch::win32::detail {

// Capture GetLastError() before building `object`, so no allocation can overwrite it.
inline void fail(std::error_code& ec, ApiFailure* out, std::string_view api, std::string object,
                 DWORD code) {
    // A failure with no error code (stubs do this) must still read as a failure: 0 is "success".
    if (code == ERROR_SUCCESS) {
        code = ERROR_CALL_NOT_IMPLEMENTED;
        object += " (failed without setting an error code)";
    }
    ec = make_win32_error(code);
    if (out) *out = ApiFailure{std::string(api), std::move(object), ec};
}

// Runs an error_code overload and turns its failure into safelaunch::Error.
template <typename F>
decltype(auto) or_throw(F&& f) {
    std::error_code ec;
    ApiFailure failure;
    if constexpr (std::is_void_v<decltype(f(ec, &failure))>) {
        f(ec, &failure);
        if (ec) throw Error(failure.api.empty() ? ApiFailure{"", "", ec} : std::move(failure));
    } else {
        auto result = f(ec, &failure);
        if (ec) throw Error(failure.api.empty() ? ApiFailure{"", "", ec} : std::move(failure));
        return result;
    }
}

[[nodiscard]] inline std::wstring widen(std::string_view s) {
    return boost::nowide::widen(s.data(), s.size());
}
[[nodiscard]] inline std::string narrow(std::wstring_view s) {
    return boost::nowide::narrow(s.data(), s.size());
}

}  // namespace safelaunch::win32::detail
