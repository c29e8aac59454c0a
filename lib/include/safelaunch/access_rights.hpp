// Access rights of window stations and desktops, their generic mappings, and names for messages.
//
// Values are winnt.h / winuser.h ones, spelled out so the portable core needs no <windows.h>.
#pragma once

#include <cstdint>
#include <string>

namespace safelaunch {

// Which object a mask belongs to: object-specific bits (0x0000FFFF) mean different things.
enum class ObjectKind { window_station, desktop, other };

namespace rights {

// Standard rights (winnt.h).
inline constexpr std::uint32_t kDelete = 0x00010000;
inline constexpr std::uint32_t kReadControl = 0x00020000;
inline constexpr std::uint32_t kWriteDac = 0x00040000;
inline constexpr std::uint32_t kWriteOwner = 0x00080000;
inline constexpr std::uint32_t kSynchronize = 0x00100000;
inline constexpr std::uint32_t kStandardRightsRequired = 0x000F0000;
inline constexpr std::uint32_t kStandardRightsRead = kReadControl;
inline constexpr std::uint32_t kStandardRightsWrite = kReadControl;
inline constexpr std::uint32_t kStandardRightsExecute = kReadControl;
inline constexpr std::uint32_t kAccessSystemSecurity = 0x01000000;
inline constexpr std::uint32_t kMaximumAllowed = 0x02000000;
inline constexpr std::uint32_t kGenericAll = 0x10000000;
inline constexpr std::uint32_t kGenericExecute = 0x20000000;
inline constexpr std::uint32_t kGenericWrite = 0x40000000;
inline constexpr std::uint32_t kGenericRead = 0x80000000;
inline constexpr std::uint32_t kGenericMask = kGenericAll | kGenericExecute | kGenericWrite | kGenericRead;

// Window station rights (winuser.h).
inline constexpr std::uint32_t kWinstaEnumDesktops = 0x0001;
inline constexpr std::uint32_t kWinstaReadAttributes = 0x0002;
inline constexpr std::uint32_t kWinstaAccessClipboard = 0x0004;
inline constexpr std::uint32_t kWinstaCreateDesktop = 0x0008;
inline constexpr std::uint32_t kWinstaWriteAttributes = 0x0010;
inline constexpr std::uint32_t kWinstaAccessGlobalAtoms = 0x0020;
inline constexpr std::uint32_t kWinstaExitWindows = 0x0040;
inline constexpr std::uint32_t kWinstaEnumerate = 0x0100;
inline constexpr std::uint32_t kWinstaReadScreen = 0x0200;
inline constexpr std::uint32_t kWinstaAllAccess = 0x037F;

// Desktop rights (winuser.h). winuser.h has no DESKTOP_ALL_ACCESS; kDesktopAllSpecific is the union.
inline constexpr std::uint32_t kDesktopReadObjects = 0x0001;
inline constexpr std::uint32_t kDesktopCreateWindow = 0x0002;
inline constexpr std::uint32_t kDesktopCreateMenu = 0x0004;
inline constexpr std::uint32_t kDesktopHookControl = 0x0008;
inline constexpr std::uint32_t kDesktopJournalRecord = 0x0010;
inline constexpr std::uint32_t kDesktopJournalPlayback = 0x0020;
inline constexpr std::uint32_t kDesktopEnumerate = 0x0040;
inline constexpr std::uint32_t kDesktopWriteObjects = 0x0080;
inline constexpr std::uint32_t kDesktopSwitchDesktop = 0x0100;
inline constexpr std::uint32_t kDesktopAllSpecific = 0x01FF;

// What Windows grants a service account on its Service-0x..$ station and desktop by default,
// i.e. what a process needs to get through its first user32 call there (platform-facts.md).
// Both equal the "action masks" 0x6E / 0xCF seen in a public Windows 11 field note.
inline constexpr std::uint32_t kUser32StationBaseline = kWinstaAccessClipboard | kWinstaAccessGlobalAtoms |
                                                        kWinstaCreateDesktop | kWinstaExitWindows |
                                                        kWinstaReadAttributes | kStandardRightsRequired;
inline constexpr std::uint32_t kUser32DesktopBaseline = kDesktopCreateMenu | kDesktopCreateWindow |
                                                        kDesktopEnumerate | kDesktopHookControl |
                                                        kDesktopReadObjects | kDesktopWriteObjects |
                                                        kStandardRightsRequired;

}  // namespace rights

// GENERIC_MAPPING (winnt.h): what each generic right stands for on one object type.
struct GenericMapping {
    std::uint32_t read = 0;
    std::uint32_t write = 0;
    std::uint32_t execute = 0;
    std::uint32_t all = 0;
    friend bool operator==(const GenericMapping&, const GenericMapping&) = default;
};

// The mappings win32k registers for its object types. Sources: Microsoft Learn "Window Station
// Security and Access Rights" / "Desktop Security and Access Rights" (generic rights tables), and
// ReactOS win32ss/user/ntuser/winsta.c IntWindowStationMapping, desktop.c IntDesktopMapping.
inline constexpr GenericMapping kWindowStationMapping{
    rights::kStandardRightsRead | rights::kWinstaEnumDesktops | rights::kWinstaEnumerate |
        rights::kWinstaReadAttributes | rights::kWinstaReadScreen,
    rights::kStandardRightsWrite | rights::kWinstaAccessClipboard | rights::kWinstaCreateDesktop |
        rights::kWinstaWriteAttributes,
    rights::kStandardRightsExecute | rights::kWinstaAccessGlobalAtoms | rights::kWinstaExitWindows,
    rights::kStandardRightsRequired | rights::kWinstaAllAccess,
};
inline constexpr GenericMapping kDesktopMapping{
    rights::kStandardRightsRead | rights::kDesktopEnumerate | rights::kDesktopReadObjects,
    rights::kStandardRightsWrite | rights::kDesktopCreateMenu | rights::kDesktopCreateWindow |
        rights::kDesktopHookControl | rights::kDesktopJournalPlayback | rights::kDesktopJournalRecord |
        rights::kDesktopWriteObjects,
    rights::kStandardRightsExecute | rights::kDesktopSwitchDesktop,
    rights::kStandardRightsRequired | rights::kDesktopAllSpecific,
};

// The mapping for `kind`; ObjectKind::other maps generic rights to standard rights only.
[[nodiscard]] GenericMapping generic_mapping_for(ObjectKind kind) noexcept;

// MapGenericMask: replaces the GENERIC_* bits of `mask` by what they stand for.
[[nodiscard]] std::uint32_t map_generic(std::uint32_t mask, const GenericMapping& mapping) noexcept;

// "WINSTA_ACCESSCLIPBOARD|READ_CONTROL|0x400" for messages: one name per known bit, in bit
// order, unknown bits gathered as one hex value; "0" for an empty mask.
[[nodiscard]] std::string describe_rights(std::uint32_t mask, ObjectKind kind);

}  // namespace safelaunch
