// RAII owners for Win32 handles, after WIL's unique_any: the close function is part of the type,
// so an HDESK can never reach CloseHandle.
//
// USER objects (desktops, stations, windows, menus) close through the run-time user32 table
// (user32_api.hpp): the library imports no user32, and such a handle exists only once it loaded.
#pragma once

#include "safelaunch/win32/user32_api.hpp"

#include <windows.h>

#include <utility>

namespace safelaunch::win32 {

// A null handle means "none"; for CreateFile-style results normalise INVALID_HANDLE_VALUE to null.
template <typename Handle, auto Close>
class UniqueAny {
public:
    UniqueAny() noexcept = default;
    explicit UniqueAny(Handle h) noexcept : h_(h) {}
    UniqueAny(const UniqueAny&) = delete;
    UniqueAny& operator=(const UniqueAny&) = delete;
    UniqueAny(UniqueAny&& other) noexcept : h_(other.release()) {}
    UniqueAny& operator=(UniqueAny&& other) noexcept {
        if (this != &other) reset(other.release());
        return *this;
    }
    ~UniqueAny() { reset(); }

    [[nodiscard]] Handle get() const noexcept { return h_; }
    [[nodiscard]] explicit operator bool() const noexcept { return h_ != invalid(); }
    [[nodiscard]] Handle release() noexcept { return std::exchange(h_, invalid()); }
    void reset(Handle h = invalid()) noexcept {
        if (const auto old = std::exchange(h_, h); old != invalid()) Close(old);
    }
    // For out-parameters: closes what is held and gives the address to fill.
    [[nodiscard]] Handle* put() noexcept {
        reset();
        return &h_;
    }

private:
    static constexpr Handle invalid() noexcept { return Handle{}; }
    Handle h_ = invalid();
};

namespace detail {
inline void close_handle(HANDLE h) noexcept { ::CloseHandle(h); }
inline void close_desktop(HDESK h) noexcept {
    if (const auto* u = user32_for_close()) u->CloseDesktop(h);
}
inline void close_winsta(HWINSTA h) noexcept {
    if (const auto* u = user32_for_close()) u->CloseWindowStation(h);
}
inline void local_free(HLOCAL h) noexcept { ::LocalFree(h); }
inline void close_key(HKEY h) noexcept { ::RegCloseKey(h); }
inline void destroy_window(HWND h) noexcept {
    if (const auto* u = user32_for_close()) u->DestroyWindow(h);
}
inline void destroy_menu(HMENU h) noexcept {
    if (const auto* u = user32_for_close()) u->DestroyMenu(h);
}
inline void free_library(HMODULE h) noexcept { ::FreeLibrary(h); }
}  // namespace detail

using unique_handle = UniqueAny<HANDLE, detail::close_handle>;
using unique_hdesk = UniqueAny<HDESK, detail::close_desktop>;
using unique_hwinsta = UniqueAny<HWINSTA, detail::close_winsta>;
using unique_hlocal = UniqueAny<HLOCAL, detail::local_free>;
using unique_hkey = UniqueAny<HKEY, detail::close_key>;
using unique_hwnd = UniqueAny<HWND, detail::destroy_window>;
using unique_hmenu = UniqueAny<HMENU, detail::destroy_menu>;
using unique_hmodule = UniqueAny<HMODULE, detail::free_library>;

}  // namespace safelaunch::win32
