#include "safelaunch/access_rights.hpp"

#include <fmt/format.h>

#include <array>
#include <string_view>

namespace safelaunch {
namespace {

struct BitName {
    std::uint32_t bit;
    std::string_view name;
};

constexpr std::array kStationBits = {
    BitName{rights::kWinstaEnumDesktops, "WINSTA_ENUMDESKTOPS"},
    BitName{rights::kWinstaReadAttributes, "WINSTA_READATTRIBUTES"},
    BitName{rights::kWinstaAccessClipboard, "WINSTA_ACCESSCLIPBOARD"},
    BitName{rights::kWinstaCreateDesktop, "WINSTA_CREATEDESKTOP"},
    BitName{rights::kWinstaWriteAttributes, "WINSTA_WRITEATTRIBUTES"},
    BitName{rights::kWinstaAccessGlobalAtoms, "WINSTA_ACCESSGLOBALATOMS"},
    BitName{rights::kWinstaExitWindows, "WINSTA_EXITWINDOWS"},
    BitName{rights::kWinstaEnumerate, "WINSTA_ENUMERATE"},
    BitName{rights::kWinstaReadScreen, "WINSTA_READSCREEN"},
};

constexpr std::array kDesktopBits = {
    BitName{rights::kDesktopReadObjects, "DESKTOP_READOBJECTS"},
    BitName{rights::kDesktopCreateWindow, "DESKTOP_CREATEWINDOW"},
    BitName{rights::kDesktopCreateMenu, "DESKTOP_CREATEMENU"},
    BitName{rights::kDesktopHookControl, "DESKTOP_HOOKCONTROL"},
    BitName{rights::kDesktopJournalRecord, "DESKTOP_JOURNALRECORD"},
    BitName{rights::kDesktopJournalPlayback, "DESKTOP_JOURNALPLAYBACK"},
    BitName{rights::kDesktopEnumerate, "DESKTOP_ENUMERATE"},
    BitName{rights::kDesktopWriteObjects, "DESKTOP_WRITEOBJECTS"},
    BitName{rights::kDesktopSwitchDesktop, "DESKTOP_SWITCHDESKTOP"},
};

constexpr std::array kCommonBits = {
    BitName{rights::kDelete, "DELETE"},
    BitName{rights::kReadControl, "READ_CONTROL"},
    BitName{rights::kWriteDac, "WRITE_DAC"},
    BitName{rights::kWriteOwner, "WRITE_OWNER"},
    BitName{rights::kSynchronize, "SYNCHRONIZE"},
    BitName{rights::kAccessSystemSecurity, "ACCESS_SYSTEM_SECURITY"},
    BitName{rights::kMaximumAllowed, "MAXIMUM_ALLOWED"},
    BitName{rights::kGenericAll, "GENERIC_ALL"},
    BitName{rights::kGenericExecute, "GENERIC_EXECUTE"},
    BitName{rights::kGenericWrite, "GENERIC_WRITE"},
    BitName{rights::kGenericRead, "GENERIC_READ"},
};

template <std::size_t N>
void append_names(const std::array<BitName, N>& table, std::uint32_t& rest, std::string& out) {
    for (const auto& [bit, name] : table) {
        if ((rest & bit) == 0) continue;
        if (!out.empty()) out += '|';
        out += name;
        rest &= ~bit;
    }
}

}  // namespace

GenericMapping generic_mapping_for(ObjectKind kind) noexcept {
    switch (kind) {
        case ObjectKind::window_station: return kWindowStationMapping;
        case ObjectKind::desktop: return kDesktopMapping;
        case ObjectKind::other: break;
    }
    return {rights::kStandardRightsRead, rights::kStandardRightsWrite, rights::kStandardRightsExecute,
            rights::kStandardRightsRequired};
}

std::uint32_t map_generic(std::uint32_t mask, const GenericMapping& mapping) noexcept {
    std::uint32_t out = mask & ~rights::kGenericMask;
    if ((mask & rights::kGenericRead) != 0) out |= mapping.read;
    if ((mask & rights::kGenericWrite) != 0) out |= mapping.write;
    if ((mask & rights::kGenericExecute) != 0) out |= mapping.execute;
    if ((mask & rights::kGenericAll) != 0) out |= mapping.all;
    return out;
}

std::string describe_rights(std::uint32_t mask, ObjectKind kind) {
    if (mask == 0) return "0";
    std::string out;
    std::uint32_t rest = mask;
    if (kind == ObjectKind::window_station) append_names(kStationBits, rest, out);
    if (kind == ObjectKind::desktop) append_names(kDesktopBits, rest, out);
    append_names(kCommonBits, rest, out);
    if (rest != 0) {
        if (!out.empty()) out += '|';
        out += fmt::format("0x{:X}", rest);
    }
    return out;
}

}  // namespace safelaunch
