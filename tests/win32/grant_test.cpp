// ScopedGrant: exactly one ACE added for one logon SID, and the prior DACL restored exactly.
#include "safelaunch/win32/grant.hpp"

#include "safelaunch/win32/system_facts.hpp"
#include "safelaunch/win32/token.hpp"
#include "safelaunch/win32/user_object.hpp"

#include "sddl_aces.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>
#include <sddl.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <stdexcept>
#include <vector>

#include <boost/nowide/convert.hpp>

namespace sl = safelaunch;
namespace w = safelaunch::win32;
namespace r = safelaunch::rights;
using safelaunch::test::ace_rights;
using safelaunch::test::ace_sid;
using safelaunch::test::added_aces;
using safelaunch::test::dacl_aces;

namespace {

std::string unique_name(const char* what) { return safelaunch::test::unique_name("sl-d-grant-" + std::string(what)); }

std::string own_user_sid() {
    const auto token = w::duplicate_own_token(true);
    return w::gather_token_facts(token.get()).user_sid;
}

// A locked private desktop: only LocalSystem and (so the test can still read the SD) our user read.
struct LockedDesktop {
    std::string name = unique_name("desk");
    w::unique_hwinsta station = w::create_window_station(unique_name("ws"));
    w::CreatedDesktop desktop = w::create_desktop(station.get(), name);
    LockedDesktop() { w::set_dacl_from_sddl(get(), "D:(A;;GA;;;SY)(A;;RC;;;" + own_user_sid() + ")"); }
    [[nodiscard]] HDESK get() const { return desktop.desktop.get(); }
};

const std::string kLogonSid = "S-1-5-5-0-" + std::to_string(::GetCurrentProcessId());

}  // namespace

TEST(Grant, RefusesBroadSidsEvenWithTheOverride) {
    const char* broad[] = {"S-1-1-0", "S-1-5-11", "S-1-5-32-545", "S-1-5-4", "S-1-2-0", "S-1-5-32-544"};
    for (const auto* sid : broad) {
        EXPECT_TRUE(w::grant_sid_refusal(sid, true)) << sid;
        EXPECT_TRUE(w::grant_sid_refusal(sid, false)) << sid;
    }
}

TEST(Grant, LogonSidRuleIsExact) {
    struct Row { const char* sid; bool allowed; };
    const Row rows[] = {
        {"S-1-5-5-0-12345", true}, {"S-1-5-5-1-2", true},
        {"S-1-5-5-0", false}, {"S-1-5-5-0-", false}, {"S-1-5-5-0-1-2", false}, {"S-1-5-5-x-1", false},
        {"S-1-5-18", false}, {"S-1-5-21-1-2-3-1001", false},
    };
    for (const auto& row : rows) EXPECT_EQ(!w::grant_sid_refusal(row.sid, false), row.allowed) << row.sid;
    EXPECT_FALSE(w::grant_sid_refusal("S-1-5-21-1-2-3-1001", true)) << "a user SID with the override";
}

TEST(Grant, RefusesSddlAliasForEveryone) {
    const LockedDesktop desk;
    const auto before = w::get_sddl(desk.get()).sddl;
    std::error_code ec;
    sl::ApiFailure failure;
    auto grant = w::grant_access(desk.get(), {desk.name, "WD", r::kUser32DesktopBaseline, true}, ec, &failure);
    EXPECT_EQ(ec, sl::make_win32_error(ERROR_INVALID_SID));
    EXPECT_FALSE(grant.active());
    EXPECT_NE(failure.object.find("S-1-1-0 (Everyone)"), std::string::npos) << failure.object;
    EXPECT_EQ(w::get_sddl(desk.get()).sddl, before);
}

TEST(Grant, RefusesNonLogonSidWithoutTheOverride) {
    const LockedDesktop desk;
    const auto user = own_user_sid();
    std::error_code ec;
    auto refused = w::grant_access(desk.get(), {desk.name, user, r::kUser32DesktopBaseline, false}, ec);
    EXPECT_EQ(ec, sl::make_win32_error(ERROR_INVALID_SID));
    auto allowed = w::grant_access(desk.get(), {desk.name, user, r::kUser32DesktopBaseline, true}, ec);
    EXPECT_FALSE(ec);
    EXPECT_TRUE(allowed.active());
}

TEST(Grant, AddsExactlyOneAceAndRevertRestoresTheSddl) {
    const LockedDesktop desk;
    const auto before = w::get_sddl(desk.get()).sddl;
    auto grant = w::grant_access(desk.get(), {desk.name, kLogonSid, r::kUser32DesktopBaseline});
    EXPECT_TRUE(grant.active());
    EXPECT_EQ(grant.sid(), kLogonSid);
    EXPECT_EQ(grant.mask(), r::kUser32DesktopBaseline);
    EXPECT_EQ(grant.object_name(), desk.name);
    EXPECT_EQ(grant.prior_sddl(), before);

    const auto during = w::get_sddl(desk.get()).sddl;
    const auto added = added_aces(before, during);
    ASSERT_EQ(added.size(), 1u) << before << " -> " << during;
    EXPECT_EQ(dacl_aces(during).size(), dacl_aces(before).size() + 1);
    EXPECT_EQ(added[0].substr(0, 3), "(A;");
    EXPECT_EQ(ace_sid(added[0]), kLogonSid);
    EXPECT_EQ(ace_rights(added[0]), r::kUser32DesktopBaseline) << added[0];

    grant.revert();
    EXPECT_FALSE(grant.active());
    EXPECT_EQ(w::get_sddl(desk.get()).sddl, before);
    grant.revert();  // a second revert is a no-op
    EXPECT_EQ(w::get_sddl(desk.get()).sddl, before);
}

TEST(Grant, GenericRightsAreMappedBeforeTheAceIsWritten) {
    const LockedDesktop desk;
    const auto before = w::get_sddl(desk.get()).sddl;
    const auto grant = w::grant_access(desk.get(), {desk.name, kLogonSid, GENERIC_READ});
    EXPECT_EQ(grant.mask(), 0x20041u);
    const auto added = added_aces(before, w::get_sddl(desk.get()).sddl);
    ASSERT_EQ(added.size(), 1u);
    EXPECT_EQ(ace_rights(added[0]), 0x20041u) << added[0];
}

TEST(Grant, MovedGrantRevertsOnceFromItsNewOwner) {
    const LockedDesktop desk;
    const auto before = w::get_sddl(desk.get()).sddl;
    {
        w::ScopedGrant outer;
        {
            auto inner = w::grant_access(desk.get(), {desk.name, kLogonSid, r::kUser32DesktopBaseline});
            outer = std::move(inner);
            EXPECT_FALSE(inner.active());  // NOLINT(bugprone-use-after-move): moved-from state is specified
        }
        EXPECT_TRUE(outer.active());
        EXPECT_EQ(added_aces(before, w::get_sddl(desk.get()).sddl).size(), 1u) << "the moved-from one did not revert";
        w::ScopedGrant constructed(std::move(outer));
        EXPECT_TRUE(constructed.active());
    }
    EXPECT_EQ(w::get_sddl(desk.get()).sddl, before);
}

TEST(Grant, DestructorRevertsDuringStackUnwinding) {
    const LockedDesktop desk;
    const auto before = w::get_sddl(desk.get()).sddl;
    try {
        const auto grant = w::grant_access(desk.get(), {desk.name, kLogonSid, r::kUser32DesktopBaseline});
        ASSERT_NE(w::get_sddl(desk.get()).sddl, before);
        throw std::runtime_error("launch failed");
    } catch (const std::runtime_error&) {
    }
    EXPECT_EQ(w::get_sddl(desk.get()).sddl, before);
}

TEST(Grant, GrantOutlivesTheCallersHandle) {
    const auto station = w::create_window_station(unique_name("ws"));
    const auto name = unique_name("desk");
    const auto created = w::create_desktop(station.get(), name);
    w::set_dacl_from_sddl(created.desktop.get(), "D:(A;;GA;;;SY)(A;;RC;;;" + own_user_sid() + ")");
    const auto before = w::get_sddl(created.desktop.get()).sddl;
    {
        auto second = w::open_desktop(station.get(), name, READ_CONTROL | WRITE_DAC);
        auto grant = w::grant_access(second.get(), {name, kLogonSid, r::kUser32DesktopBaseline});
        second.reset();  // the grant holds its own duplicate
        std::error_code ec;
        grant.revert(ec);
        EXPECT_FALSE(ec);
    }
    EXPECT_EQ(w::get_sddl(created.desktop.get()).sddl, before);
}

TEST(Grant, WindowStationGrantUsesTheStationMapping) {
    const auto station = w::create_window_station(unique_name("ws"));
    w::set_dacl_from_sddl(station.get(), "D:(A;;GA;;;SY)(A;;RC;;;" + own_user_sid() + ")");
    const auto before = w::get_sddl(station.get()).sddl;
    {
        const auto grant = w::grant_access(station.get(), {"ws", kLogonSid, GENERIC_EXECUTE});
        EXPECT_EQ(grant.kind(), sl::ObjectKind::window_station);
        EXPECT_EQ(grant.mask(), 0x20060u);
        const auto added = added_aces(before, w::get_sddl(station.get()).sddl);
        ASSERT_EQ(added.size(), 1u);
        EXPECT_EQ(ace_rights(added[0]), 0x20060u) << added[0];
    }
    EXPECT_EQ(w::get_sddl(station.get()).sddl, before);
}

TEST(Grant, RefusesAnObjectWithANullDacl) {
    const auto station = w::create_window_station(unique_name("ws"));
    const auto created = w::create_desktop(station.get(), unique_name("desk"));
    w::set_dacl_from_sddl(created.desktop.get(), "D:NO_ACCESS_CONTROL");
    const auto after = w::get_sddl(created.desktop.get()).sddl;
    if (w::wine_version()) {
        // Observed: Wine stores a NULL DACL as an empty one (deny all), so there is nothing to refuse.
        EXPECT_EQ(after.substr(after.size() - 2), "D:") << after;
        GTEST_SKIP() << "Wine turns a NULL DACL into an empty DACL: " << after;
    }
    std::error_code ec;
    sl::ApiFailure failure;
    const auto grant = w::grant_access(created.desktop.get(), {"d", kLogonSid, r::kUser32DesktopBaseline}, ec, &failure);
    EXPECT_EQ(ec, sl::make_win32_error(ERROR_INVALID_ACL)) << after;
    EXPECT_FALSE(grant.active());
    EXPECT_EQ(w::get_sddl(created.desktop.get()).sddl, after);
}

TEST(Grant, RefusesAnObjectWithoutADacl) {
    const auto station = w::create_window_station(unique_name("ws"));
    const auto created = w::create_desktop(station.get(), unique_name("desk"));
    const auto text = w::get_sddl(created.desktop.get());
    if (text.sd_present) GTEST_SKIP() << "new desktops get a default DACL here: " << text.sddl;
    // Wine: a new desktop has no security descriptor at all.
    std::error_code ec;
    sl::ApiFailure failure;
    const auto grant = w::grant_access(created.desktop.get(), {"d", kLogonSid, r::kUser32DesktopBaseline}, ec, &failure);
    EXPECT_EQ(ec, sl::make_win32_error(ERROR_INVALID_ACL));
    EXPECT_EQ(failure.api, "grant_access");
    EXPECT_FALSE(grant.active());
    EXPECT_EQ(w::get_sddl(created.desktop.get()).sddl, text.sddl);
}

TEST(Grant, RevertRemovesOnlyItsAceNotLaterChanges) {
    const LockedDesktop desk;
    auto grant = w::grant_access(desk.get(), {desk.name, kLogonSid, r::kUser32DesktopBaseline});
    const std::string admin_ace = "(A;;0x1;;;S-1-5-21-1-2-3-1001)";
    const auto during = w::get_sddl(desk.get()).sddl;
    w::set_dacl_from_sddl(desk.get(), during.substr(during.find("D:")) + admin_ace);  // an administrator's fix
    grant.revert();
    const auto after = w::get_sddl(desk.get()).sddl;
    EXPECT_NE(after.find("S-1-5-21-1-2-3-1001"), std::string::npos) << "the revert wrote a saved DACL back: " << after;
    EXPECT_EQ(after.find(kLogonSid), std::string::npos) << after;
}

namespace {

// D16: the logon SID read straight from TokenGroups (the group whose attributes include all of
// SE_GROUP_LOGON_ID), as the oracle for gather_token_facts.
std::optional<std::string> logon_sid_from_token_groups(HANDLE token) {
    DWORD size = 0;
    ::GetTokenInformation(token, TokenGroups, nullptr, 0, &size);
    std::vector<std::byte> buffer(size);
    if (size == 0 || !::GetTokenInformation(token, TokenGroups, buffer.data(), size, &size)) return std::nullopt;
    const auto* groups = reinterpret_cast<const TOKEN_GROUPS*>(buffer.data());
    for (DWORD i = 0; i < groups->GroupCount; ++i) {
        if ((groups->Groups[i].Attributes & SE_GROUP_LOGON_ID) != SE_GROUP_LOGON_ID) continue;
        LPWSTR text = nullptr;
        if (!::ConvertSidToStringSidW(groups->Groups[i].Sid, &text)) return std::nullopt;
        std::string sid = boost::nowide::narrow(text);
        ::LocalFree(text);
        return sid;
    }
    return std::nullopt;
}

}  // namespace

TEST(Grant, OwnLogonSidGetsTheRightsForTheRealAccessCheck) {
    const auto token = w::duplicate_own_token(true);
    const auto oracle = logon_sid_from_token_groups(token.get());
    if (w::wine_version()) {
        ASSERT_TRUE(oracle) << "Wine tokens carry a logon SID (README: S-1-5-5-0-0)";
    }
    if (!oracle) GTEST_SKIP() << "TokenGroups holds no SE_GROUP_LOGON_ID group for this token";
    const auto facts = w::gather_token_facts(token.get());
    ASSERT_EQ(facts.logon_sid, oracle);
    const LockedDesktop desk;
    EXPECT_FALSE(w::access_check(token.get(), desk.get(), r::kUser32DesktopBaseline & 0xFFFF,
                                 sl::ObjectKind::desktop).all_granted);
    const auto grant = w::grant_access(desk.get(), {desk.name, *oracle, r::kUser32DesktopBaseline});
    EXPECT_TRUE(w::access_check(token.get(), desk.get(), r::kUser32DesktopBaseline, sl::ObjectKind::desktop)
                    .all_granted);
}
