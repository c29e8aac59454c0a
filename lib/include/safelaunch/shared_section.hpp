// SharedSection: the desktop heap sizes in the csrss command line, which Windows keeps in
// HKLM\SYSTEM\CurrentControlSet\Control\Session Manager\SubSystems, value `Windows`:
//   %SystemRoot%\system32\csrss.exe ObjectDirectory=\Windows SharedSection=1024,20480,768 ...
// SharedSection=<shared>,<interactive>[,<noninteractive>], all in KB (KB 184802):
//   shared          heap common to all desktops (global handle table, shared settings)
//   interactive     each desktop of the interactive station WinSta0
//   noninteractive  each desktop of a noninteractive station (one per service logon session);
//                   when absent it is the interactive size
// A second or third value below 128 reads as 128. A reboot applies a change.
//
// Tokenizer: csrss receives the value as a command line and splits it at white space (space,
// tab, CR, LF); each argument is Name=Value, the name compared case-insensitively (ReactOS's
// csrsrv CsrParseServerCommandLine, modelled on Windows', does exactly this). So
// "SharedSection=1024, 20480, 768" reaches csrss as "SharedSection=1024," plus stray arguments
// "20480," and "768". We tolerate it: numeric tokens that continue a SharedSection value whose
// text ends in ',' (or is empty, or when they start with ',') are joined back, the values read are
// what was meant, and the finding shared_section.whitespace_in_value (warning) says csrss may
// read something else. Values are decimal digits only.
//
// Nothing here throws (beyond std::bad_alloc) or crashes on any input: every defect is a Finding.
//
// Finding ids (stable; never reused):
//   shared_section.missing                 error    no SharedSection= argument
//   shared_section.missing_equals          error    "SharedSection 1024,..." / "SharedSection:..."
//   shared_section.argument_missing_equals error    another csrss argument without its '=':
//                                                   "Windows On", "Windows =On", "Windows:On", a
//                                                   bare "Windows" (ObjectDirectory, Windows,
//                                                   SubSystemType, ServerDll, ProfileControl,
//                                                   MaxRequestThreads); one per argument, the
//                                                   remedy is the whole corrected Windows value
//   shared_section.duplicate               warning  more than one SharedSection= (the first is read)
//   shared_section.whitespace_in_value     warning  value split by white space (joined back)
//   shared_section.too_few_values          error    fewer than two values
//   shared_section.too_many_values         warning  more than three values (extra ignored)
//   shared_section.malformed_number        error    empty or non-decimal value
//   shared_section.overflow                error    value whose bytes do not fit 32 bits
//   shared_section.zero_shared             error    first value 0
//   shared_section.clamped_to_128          warning  second or third value below 128 (reads as 128)
//   shared_section.interactive_above_20480 warning  Microsoft advises no second value above 20480
//   shared_section.noninteractive_defaulted info    two values: noninteractive = interactive
//   shared_section.shared_changed          info     first value is not 1024
//   shared_section.stray_registry_value    warning  a separate `SharedSection` registry value
//                                                   exists; csrss ignores it
//   shared_section.not_default             info     values differ from this Windows version's default
#pragma once

#include "safelaunch/finding.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace safelaunch {

// Largest value (KB) whose byte count fits a 32-bit ULONG: 4194303 * 1024 < 2^32.
inline constexpr std::uint32_t kMaxSharedSectionKb = 4194303;
inline constexpr std::uint32_t kMinDesktopHeapKb = 128;
inline constexpr std::uint32_t kAdvisedMaxInteractiveKb = 20480;

struct SharedSection {
    std::uint32_t shared_kb = 0;
    std::uint32_t interactive_kb = 0;
    std::uint32_t noninteractive_kb = 0;  // = interactive_kb when not given
    bool noninteractive_given = false;

    // "1024,20480,768" (two values when the third was not given).
    [[nodiscard]] std::string to_string() const;
    friend bool operator==(const SharedSection&, const SharedSection&) = default;
};

struct SharedSectionAnalysis {
    // The sizes Windows uses (after the 128 KB floor), nullopt when they could not be read.
    std::optional<SharedSection> values;
    // values came only by tolerating a defect csrss may not tolerate (whitespace, missing '=').
    bool recovered = false;
    // The SharedSection text as read (after joining), e.g. "1024,20480,768"; empty when missing.
    std::string text;
    std::vector<Finding> findings;
};

// The whole `Windows` value (the csrss command line). stray_registry_value: the data of a separate
// registry value named SharedSection beside it, if one exists.
[[nodiscard]] SharedSectionAnalysis analyze_windows_value(
    std::string_view windows_value,
    std::optional<std::string_view> stray_registry_value = std::nullopt);

// A bare "a,b[,c]" (also accepts a leading "SharedSection=").
[[nodiscard]] SharedSectionAnalysis analyze_shared_section(std::string_view values);

struct SharedSectionDefault {
    SharedSection values;
    std::string_view applies_to;  // "Windows XP / Server 2003 (x86)"
};

// The default for a Windows version (major, minor, build, 64-bit):
//   x86 5.x (XP, 2003)                         1024,3072,512
//   x86 6.0 build 6000 (Vista RTM)             1024,3072,512
//   x86 6.0 build >= 6001 (Vista SP1, 2008), 6.1 (7) and later  1024,12288,512
//   x64, any version                           1024,20480,768
// nullopt before Windows XP/2000 (major < 5), where we have no reliable figure.
// x86 Windows 8+ and x64 XP/2003 are extrapolations; applies_to says so.
[[nodiscard]] std::optional<SharedSectionDefault> default_shared_section(
    std::uint32_t major, std::uint32_t minor, std::uint32_t build, bool x64) noexcept;

// Adds shared_section.not_default (info) to `analysis` when its values differ from `def`.
void compare_with_default(SharedSectionAnalysis& analysis, const SharedSectionDefault& def);

}  // namespace safelaunch
