// System log events that count as evidence of a failed start (issue 9 part 2), and how an event
// is matched to the child it is about. Portable: the Win32 layer reads the log into EventFacts.
//
//   243  Win32k  "A desktop heap allocation failed"                     -> desktop_heap decided
//   244  Win32k  "Failed to create a desktop due to desktop heap exhaustion" -> session_pool decided
//   26   Application Popup  the hard-error popup's caption and text, e.g. "app.exe - Application
//        Error : The application was unable to start correctly (0xc0000142)"; logged even for a
//        child with no visible UI, unless the child inherited SEM_FAILCRITICALERRORS. It names the
//        image and the status, so it says that this child (not a grandchild whose code a wrapper
//        passed on, not the program's own exit code) failed to initialise a DLL. It does not say
//        which KB 184802 cause: that stays with 243/244, the access checks and the canary.
//
// 243 and 244 are reported to share one log-once flag per session (read from the binaries, not
// documented): after the first heap failure of a boot neither is logged again in that session, so
// their absence is weak evidence.
#pragma once

#include <cstdint>
#include <string_view>

namespace safelaunch {

inline constexpr std::uint32_t kEventDesktopHeapAllocFailed = 243;
inline constexpr std::uint32_t kEventDesktopCreateFailed = 244;
inline constexpr std::uint32_t kEventApplicationPopup = 26;

// Whether an event 26 text (its formatted message, or its data strings) reports a DLL-init failure
// of `image`: it names the image's file name (the path's last component, ".exe" assumed when it has
// no extension, as CreateProcess does; case-insensitive) and either the status 0xC0000142 /
// 0xC000026B (any case, with or without "0x") or the older text "Initialization of the dynamic
// library". False for an empty image or text.
[[nodiscard]] bool popup_reports_dll_init_failure(std::string_view text, std::string_view image);

}  // namespace safelaunch
