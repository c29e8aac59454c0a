// The hard-error mode a child gets: which process error mode the launcher holds while it calls
// CreateProcess*, which creation flag it adds, and what it reports. Portable and pure: the Win32
// layer (lib/src/win32/error_mode_guard.*) reads the current mode, applies the plan and restores.
//
// Why: a child that dies in DLL initialisation (0xC0000142) raises a hard error. With hard errors
// on, csrss shows "The application was unable to start correctly" on the input desktop and the
// child waits, with no timeout, until someone answers; in session 0 nobody can (KB 925518). The
// documented contract is inheritance: "A child process inherits the error mode of its parent
// process" (SetErrorMode, GetErrorMode), unless CREATE_DEFAULT_ERROR_MODE is passed. So the
// launcher ORs SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX | SEM_NOOPENFILEERRORBOX into its
// own mode around the call (as Rust's compiletest, Go, libuv and Chromium do) and restores it.
// The per-child NtSetInformationProcess(ProcessDefaultHardErrorMode) way is undocumented, its
// bit 0 is inverted, and under Wine it changes the caller's own mode instead of the child's.
#pragma once

#include "safelaunch/launch_request.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace safelaunch {

// SetErrorMode flags and the creation flag, as Windows defines them (errhandlingapi.h, winbase.h).
namespace error_mode_bits {
inline constexpr std::uint32_t kFailCriticalErrors = 0x0001;     // SEM_FAILCRITICALERRORS
inline constexpr std::uint32_t kNoGpFaultErrorBox = 0x0002;      // SEM_NOGPFAULTERRORBOX
inline constexpr std::uint32_t kNoAlignmentFaultExcept = 0x0004;  // SEM_NOALIGNMENTFAULTEXCEPT (sticky)
inline constexpr std::uint32_t kNoOpenFileErrorBox = 0x8000;     // SEM_NOOPENFILEERRORBOX
// What ErrorUi::suppress ORs in. SEM_FAILCRITICALERRORS is the one that stops loader popups
// (rust-lang/rust#132093: SEM_NOGPFAULTERRORBOX alone did not); SEM_NOOPENFILEERRORBOX is harmless.
inline constexpr std::uint32_t kSuppress = kFailCriticalErrors | kNoGpFaultErrorBox | kNoOpenFileErrorBox;  // 0x8003
inline constexpr std::uint32_t kCreateDefaultErrorMode = 0x04000000;  // CREATE_DEFAULT_ERROR_MODE
}  // namespace error_mode_bits

// Which CreateProcess* the launch uses: CreateProcessWithLogonW always acts as if
// CREATE_DEFAULT_ERROR_MODE were set ("This flag is enabled by default"), so its child never
// inherits the launcher's mode.
enum class ErrorModeLaunchKind { inherits, with_logon };

// The plan for one launch.
struct ErrorModePlan {
    // The process mode to hold during the CreateProcess* call; nullopt: leave the mode alone.
    std::optional<std::uint32_t> hold_mode;
    std::uint32_t creation_flags = 0;  // the request's flags with CREATE_DEFAULT_ERROR_MODE added or removed
    ChildErrorMode report;             // what the child gets, for the launch report
};

// `current_mode`: GetErrorMode() read under the lock; `creation_flags`: the request's own.
// suppress: hold current | kSuppress and strip CREATE_DEFAULT_ERROR_MODE (it would undo it).
// inherit: change nothing (a CREATE_DEFAULT_ERROR_MODE in the request's flags stays and is reported).
// system_default: add CREATE_DEFAULT_ERROR_MODE.
[[nodiscard]] ErrorModePlan plan_error_mode(ErrorUi policy, std::uint32_t current_mode, std::uint32_t creation_flags,
                                            ErrorModeLaunchKind kind = ErrorModeLaunchKind::inherits) noexcept;

[[nodiscard]] std::string_view to_string(ErrorUi policy) noexcept;
// "suppress", "inherit", "system_default"; also "system" (the CLI's spelling).
[[nodiscard]] std::optional<ErrorUi> error_ui_from_string(std::string_view s) noexcept;

// Whether hard-error popups (and so the "Application Popup" event 26 of such a popup) are off in
// a process with this mode: SEM_FAILCRITICALERRORS is set.
[[nodiscard]] constexpr bool hard_errors_suppressed(std::uint32_t mode) noexcept {
    return (mode & error_mode_bits::kFailCriticalErrors) != 0;
}

// One line: "0x8003 (suppress: inherited from safelaunch, which held it around CreateProcess)".
[[nodiscard]] std::string describe(const ChildErrorMode& m);

}  // namespace safelaunch
