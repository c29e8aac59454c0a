// SDDL read/write on window objects and the real AccessCheck (enforced by Wine too).
#include "safelaunch/win32/security.hpp"

#include "safelaunch/win32/system_facts.hpp"
#include "safelaunch/win32/token.hpp"
#include "safelaunch/win32/user_object.hpp"

#include "test_support.hpp"

#include <aclapi.h>
#include <sddl.h>

#include <gtest/gtest.h>

#include <atomic>

namespace sl = safelaunch;
namespace w = safelaunch::win32;
namespace r = safelaunch::rights;

namespace {

std::string unique_name(const char* what) { return safelaunch::test::unique_name("sl-d-sec-" + std::string(what)); }

std::string own_user_sid() {
    const auto token = w::duplicate_own_token(true);
    return w::gather_token_facts(token.get()).user_sid;
}

// A private station + desktop, closed (and so destroyed) at scope end.
struct PrivateDesktop {
    w::unique_hwinsta station = w::create_window_station(unique_name("ws"));
    w::CreatedDesktop desktop = w::create_desktop(station.get(), unique_name("desk"));
    [[nodiscard]] HDESK get() const { return desktop.desktop.get(); }
};

}  // namespace

TEST(Security, GenericMappingsAreTheDocumentedOnes) {
    // Microsoft Learn, "Window Station Security and Access Rights" / "Desktop Security and Access
    // Rights": the generic rights tables.
    struct Row { sl::ObjectKind kind; DWORD read, write, execute, all; };
    const Row rows[] = {
        {sl::ObjectKind::window_station, 0x20303, 0x2001C, 0x20060, 0xF037F},
        {sl::ObjectKind::desktop, 0x20041, 0x200BE, 0x20100, 0xF01FF},
    };
    for (const auto& row : rows) {
        const auto m = w::generic_mapping(row.kind);
        EXPECT_EQ(m.GenericRead, row.read);
        EXPECT_EQ(m.GenericWrite, row.write);
        EXPECT_EQ(m.GenericExecute, row.execute);
        EXPECT_EQ(m.GenericAll, row.all);
    }
}

TEST(Security, DescriptorGivenAtCreationIsAppliedExceptUnderWine) {
    const auto user = own_user_sid();
    const std::string sddl = "O:" + user + "G:" + user + "D:(A;;0xf037f;;;" + user + ")";
    const auto station = w::create_window_station(unique_name("ws"), sddl);
    const auto created = w::create_desktop(station.get(), unique_name("desk"), std::nullopt, sddl);
    const auto station_text = w::get_sddl(station.get());
    const auto desktop_text = w::get_sddl(created.desktop.get());
    if (w::wine_version()) {
        // Observed: Wine 8 ignores lpsa of CreateWindowStationW / CreateDesktopW (no SD at all).
        EXPECT_FALSE(station_text.sd_present) << station_text.sddl;
        EXPECT_FALSE(desktop_text.sd_present) << desktop_text.sddl;
        GTEST_SKIP() << "Wine ignores the security attributes given at creation";
    }
    for (const auto& text : {station_text, desktop_text}) {
        EXPECT_TRUE(text.sd_present);
        EXPECT_NE(text.sddl.find("O:" + user), std::string::npos) << text.sddl;
        EXPECT_NE(text.sddl.find(";;;" + user + ")"), std::string::npos) << text.sddl;
    }
}

TEST(Security, SetDaclFromSddlIsReadBack) {
    const PrivateDesktop desk;
    const auto user = own_user_sid();
    w::set_dacl_from_sddl(desk.get(), "D:(A;;0xf01ff;;;SY)(A;;0x20041;;;" + user + ")");
    const auto text = w::get_sddl(desk.get());
    // Observed (Wine): 0x20041 is rendered "CCDTRC" and S-1-5-18 as its alias "SY".
    EXPECT_NE(text.sddl.find(";;;SY)"), std::string::npos) << text.sddl;
    EXPECT_NE(text.sddl.find(";;;" + user + ")"), std::string::npos) << text.sddl;
    EXPECT_TRUE(text.sd_present);
}

// M2: the SD is read with LABEL_SECURITY_INFORMATION, so a label set on the object shows as S:
// and AccessCheck is given it.
TEST(Security, IntegrityLabelIsReadWithTheSecurityDescriptor) {
    const PrivateDesktop desk;
    const auto before = w::get_sddl(desk.get()).sddl;
    EXPECT_EQ(before.find("S:"), std::string::npos) << "no label set yet: " << before;
    PSECURITY_DESCRIPTOR psd = nullptr;
    ASSERT_TRUE(::ConvertStringSecurityDescriptorToSecurityDescriptorW(L"S:(ML;;NW;;;LW)", SDDL_REVISION_1, &psd,
                                                                       nullptr));
    const w::unique_hlocal owner(psd);
    BOOL present = FALSE, defaulted = FALSE;
    PACL sacl = nullptr;
    ASSERT_TRUE(::GetSecurityDescriptorSacl(psd, &present, &sacl, &defaulted));
    ASSERT_TRUE(present && sacl);
    // Setting a label needs WRITE_OWNER (the creator's handle has it); raising it above the
    // caller's own level would need SeRelabelPrivilege: Low is below everyone's.
    const DWORD e = ::SetSecurityInfo(desk.get(), SE_WINDOW_OBJECT, LABEL_SECURITY_INFORMATION, nullptr, nullptr,
                                      nullptr, sacl);
    ASSERT_EQ(e, static_cast<DWORD>(ERROR_SUCCESS));
    const auto after = w::get_sddl(desk.get()).sddl;
    if (w::wine_version()) {
        // Observed (Wine 8): SetSecurityInfo(LABEL) succeeds on a desktop, but no label comes back.
        EXPECT_EQ(after.find("S:"), std::string::npos) << after;
        GTEST_SKIP() << "Wine does not return a window object's integrity label: " << after;
    }
    EXPECT_NE(after.find("S:(ML;"), std::string::npos) << after;
    // Low, as SDDL alias or SID (the offline model's label rules: unit tests, access_evaluator_test).
    EXPECT_TRUE(after.find(";LW)") != std::string::npos || after.find(";S-1-16-4096)") != std::string::npos) << after;
}

TEST(Security, DaclOmittingTheUserLeavesBaselineDesktopRightsMissing) {
    const PrivateDesktop desk;
    const auto token = w::duplicate_own_token(true);
    w::set_dacl_from_sddl(desk.get(), "D:(A;;GA;;;SY)");  // only LocalSystem
    const auto result = w::access_check(token.get(), desk.get(), r::kUser32DesktopBaseline, sl::ObjectKind::desktop);
    EXPECT_FALSE(result.all_granted);
    EXPECT_EQ(result.desired, r::kUser32DesktopBaseline);
    // None of the desktop-specific baseline rights (0xCF); the owner may still get READ_CONTROL|WRITE_DAC.
    EXPECT_EQ(result.granted & 0xFFFFu, 0u) << std::hex << result.granted;
}

TEST(Security, DaclGrantingTheUserGrantsBaselineDesktopRights) {
    const PrivateDesktop desk;
    const auto token = w::duplicate_own_token(true);
    w::set_dacl_from_sddl(desk.get(), "D:(A;;GA;;;" + own_user_sid() + ")");
    const auto result = w::access_check(token.get(), desk.get(), r::kUser32DesktopBaseline, sl::ObjectKind::desktop);
    EXPECT_TRUE(result.all_granted);
    EXPECT_EQ(result.granted, r::kUser32DesktopBaseline);
    // GENERIC_ALL mapped with the desktop mapping; Wine adds SYNCHRONIZE (observed 0x1F01FF).
    EXPECT_EQ(result.maximum_allowed & 0xF01FFu, 0xF01FFu) << std::hex << result.maximum_allowed;
}

TEST(Security, DenyAceForTheUserWinsOverAnAllow) {
    const PrivateDesktop desk;
    const auto token = w::duplicate_own_token(false);  // an impersonation token works as well
    const auto user = own_user_sid();
    w::set_dacl_from_sddl(desk.get(), "D:(D;;0xCF;;;" + user + ")(A;;GA;;;" + user + ")");
    const auto result = w::access_check(token.get(), desk.get(), r::kUser32DesktopBaseline, sl::ObjectKind::desktop);
    EXPECT_FALSE(result.all_granted);
    EXPECT_EQ(result.granted & 0xCFu, 0u);
    EXPECT_EQ(result.maximum_allowed & 0xF0000u, 0xF0000u);
}

TEST(Security, GenericRightsInTheRequestAreMappedWithTheStationMapping) {
    const auto token = w::duplicate_own_token(true);
    const auto station = w::create_window_station(unique_name("ws"));
    w::set_dacl_from_sddl(station.get(), "D:(A;;GR;;;" + own_user_sid() + ")");
    const auto read = w::access_check(token.get(), station.get(), GENERIC_READ, sl::ObjectKind::window_station);
    EXPECT_TRUE(read.all_granted);
    EXPECT_EQ(read.desired, 0x20303u);
    const auto baseline = w::access_check(token.get(), station.get(), r::kUser32StationBaseline,
                                          sl::ObjectKind::window_station);
    EXPECT_FALSE(baseline.all_granted);
    EXPECT_EQ(baseline.granted & r::kWinstaReadAttributes, r::kWinstaReadAttributes);
    EXPECT_EQ(baseline.granted & r::kWinstaCreateDesktop, 0u);
}

TEST(Security, InteractiveStationHasNoSecurityDescriptorUnderWine) {
    const auto name = w::process_window_station_name();
    std::error_code ec;
    sl::ApiFailure failure;
    const auto station = w::open_window_station(name, READ_CONTROL, ec, &failure);
    ASSERT_FALSE(ec) << failure.describe();
    const auto text = w::get_sddl(station.get(), ec, &failure);
    ASSERT_FALSE(ec) << failure.describe();
    if (w::wine_version()) {
        EXPECT_FALSE(text.sd_present) << text.sddl;
        EXPECT_EQ(text.sddl, "") << "observed: Wine's WinSta0 has no owner, group or DACL";
    } else {
        EXPECT_TRUE(text.sd_present);
        EXPECT_NE(text.sddl.find("D:"), std::string::npos) << text.sddl;
    }
}

TEST(Security, SddlWithoutDaclPartIsRefused) {
    const PrivateDesktop desk;
    std::error_code ec;
    sl::ApiFailure failure;
    w::set_dacl_from_sddl(desk.get(), "O:SY", ec, &failure);
    EXPECT_EQ(ec, sl::make_win32_error(ERROR_INVALID_PARAMETER));
    EXPECT_EQ(failure.api, "set_dacl_from_sddl");
}

TEST(Security, MalformedSddlKeepsTheApiName) {
    const PrivateDesktop desk;
    std::error_code ec;
    sl::ApiFailure failure;
    w::set_dacl_from_sddl(desk.get(), "D:(A;;nonsense", ec, &failure);
    ASSERT_TRUE(ec);
    EXPECT_EQ(failure.api, "ConvertStringSecurityDescriptorToSecurityDescriptorW");
    EXPECT_THROW(w::set_dacl_from_sddl(desk.get(), "D:(A;;nonsense"), sl::Error);
}

TEST(Security, AccessCheckOfKindOtherIsRefused) {
    const PrivateDesktop desk;
    const auto token = w::duplicate_own_token(true);
    std::error_code ec;
    (void)w::access_check(token.get(), desk.get(), 1, sl::ObjectKind::other, ec);
    EXPECT_EQ(ec, sl::make_win32_error(ERROR_INVALID_PARAMETER));
}
