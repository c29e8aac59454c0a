// user32.dll, resolved at first use (issue 12). The library never imports user32: a static import
// makes a program connect to a window station and desktop before main, so a program that links
// the library would die with 0xC0000142 itself when its desktop heap is full or its desktop is
// denied. Every user32 call of the library and of deskheap-repro's engine goes through this table;
// only the calls that need a station or desktop load it.
//
// How: LoadLibraryExW(L"user32.dll", nullptr, LOAD_LIBRARY_SEARCH_SYSTEM32), then GetProcAddress
// into typed slots. Not delay-load (see lib/src/win32/dynamic_library.hpp for why). Loaded once,
// thread-safe, never freed. A failure is kept for the process's life: user32's initialisation
// failed, this process could not connect (SelfConnectFacts, finding self.desktop.connect_failed).
#pragma once

#include "safelaunch/error.hpp"
#include "safelaunch/facts.hpp"

#include <windows.h>

#include <system_error>

namespace safelaunch::win32 {

// CreateDesktopExW (Vista+), spelled out so the table does not depend on the consumer's _WIN32_WINNT.
using CreateDesktopExWFn = HDESK(WINAPI*)(LPCWSTR, LPCWSTR, DEVMODEW*, DWORD, ACCESS_MASK, LPSECURITY_ATTRIBUTES,
                                          ULONG, PVOID);

struct User32Api {
    decltype(&::CloseDesktop) CloseDesktop = nullptr;
    decltype(&::CloseWindowStation) CloseWindowStation = nullptr;
    decltype(&::CreateDesktopW) CreateDesktopW = nullptr;
    decltype(&::CreateWindowStationW) CreateWindowStationW = nullptr;
    decltype(&::DestroyMenu) DestroyMenu = nullptr;
    decltype(&::DestroyWindow) DestroyWindow = nullptr;
    decltype(&::EnumDesktopsW) EnumDesktopsW = nullptr;
    decltype(&::EnumWindowStationsW) EnumWindowStationsW = nullptr;
    decltype(&::GetProcessWindowStation) GetProcessWindowStation = nullptr;
    decltype(&::GetThreadDesktop) GetThreadDesktop = nullptr;
    decltype(&::GetUserObjectInformationW) GetUserObjectInformationW = nullptr;
    decltype(&::OpenDesktopW) OpenDesktopW = nullptr;
    decltype(&::OpenWindowStationW) OpenWindowStationW = nullptr;
    decltype(&::SetProcessWindowStation) SetProcessWindowStation = nullptr;
    // Optional: nullptr where user32 does not export it (Wine 8; Windows before Vista).
    CreateDesktopExWFn CreateDesktopExW = nullptr;
};

// The table, loading user32.dll at the first call. On failure nullptr, ec and *failure: API
// "LoadLibraryExW", object "user32.dll", code 1114 ERROR_DLL_INIT_FAILED when user32's
// initialisation (this process's connection to its station and desktop) failed; or API
// "GetProcAddress", object "user32.dll!OpenDesktopW", 127 ERROR_PROC_NOT_FOUND.
[[nodiscard]] const User32Api* user32(std::error_code& ec, ApiFailure* failure = nullptr);
// Throws safelaunch::Error with that failure.
[[nodiscard]] const User32Api& user32();

// This process's own connection as far as it is known, without loading user32: whether it was
// needed, whether it worked, and our desktop from GetStartupInfoW().lpDesktop (kernel32).
[[nodiscard]] SelfConnectFacts self_connect_facts();

namespace detail {

// For handle deleters (handles.hpp): the table if it was ever loaded (a user32 handle exists only
// then, or the program loaded user32 itself), else it is loaded now; nullptr when it cannot be.
[[nodiscard]] const User32Api* user32_for_close() noexcept;

// Tests only: the next user32() loads with `loader` (nullptr restores LoadLibraryExW), and the kept
// result is forgotten. Handles made before still close. Not while other threads use the library.
using User32Loader = HMODULE (*)(const wchar_t* dll) noexcept;
void reset_user32_for_testing(User32Loader loader);

}  // namespace detail

}  // namespace safelaunch::win32
