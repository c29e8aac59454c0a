#include "safelaunch/access_evaluator.hpp"

#include "sample_descriptors.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace safelaunch {
namespace {

constexpr std::uint32_t kOn = group_attr::kMandatory | group_attr::kEnabledByDefault | group_attr::kEnabled;
constexpr std::uint32_t kDenyOnly = group_attr::kUseForDenyOnly;
constexpr std::uint32_t kLogon = group_attr::kLogonId | kOn;
constexpr std::uint32_t kLowIntegrityLabel = group_attr::kIntegrity | group_attr::kIntegrityEnabled;

const std::string kUser = "S-1-5-21-1-2-3-1001";
const std::string kLogonSid = "S-1-5-5-0-425489";

TokenFacts make_token(std::vector<std::pair<std::string, std::uint32_t>> groups, std::string integrity = "S-1-16-8192",
                      std::vector<std::string> restricted = {}) {
    TokenFacts t;
    t.user_sid = kUser;
    for (auto& [sid, attrs] : groups) t.groups.push_back(GroupFacts{sid, "", attrs});
    for (auto& sid : restricted) t.restricted_sids.push_back(GroupFacts{sid, "", kOn});
    t.integrity_sid = std::move(integrity);
    return t;
}

// A plain medium-integrity user: Everyone, Users, Authenticated Users enabled.
TokenFacts plain_user() {
    return make_token({{"S-1-1-0", kOn}, {"S-1-5-32-545", kOn}, {"S-1-5-11", kOn}});
}

struct RuleCase {
    std::string name;
    std::string sddl;
    TokenFacts token;
    ObjectKind kind;
    std::uint32_t desired;
    std::uint32_t granted;
    bool allowed;
    // The decision expected for `probe`.
    std::uint32_t probe;
    bool probe_granted;
    RightSource probe_source;
    std::optional<std::size_t> probe_ace;
    AccessPass probe_pass = AccessPass::normal;
};

class AccessRules : public ::testing::TestWithParam<RuleCase> {};

TEST_P(AccessRules, FollowAccessCheck) {
    const auto& c = GetParam();
    const auto sd = parse_sddl(c.sddl);
    const auto r = evaluate_access(sd, c.token, c.desired, c.kind);
    EXPECT_EQ(r.granted, c.granted) << describe_rights(r.granted, c.kind) << " | " << r.describe(c.kind);
    EXPECT_EQ(r.allowed, c.allowed) << r.describe(c.kind);
    const auto* d = r.decision(c.probe);
    ASSERT_NE(d, nullptr) << describe_rights(c.probe, c.kind);
    EXPECT_EQ(d->granted, c.probe_granted) << d->describe(c.kind);
    EXPECT_EQ(d->source, c.probe_source) << d->describe(c.kind);
    EXPECT_EQ(d->ace_index, c.probe_ace) << d->describe(c.kind);
    EXPECT_EQ(d->pass, c.probe_pass) << d->describe(c.kind);
}

using namespace rights;
constexpr auto kStation = ObjectKind::window_station;
constexpr auto kDesktop = ObjectKind::desktop;
const auto kNone = std::optional<std::size_t>{};

INSTANTIATE_TEST_SUITE_P(
    Rules, AccessRules,
    ::testing::Values(
        RuleCase{"NullDaclGrantsEverything", "D:NO_ACCESS_CONTROL", plain_user(), kStation, kWinstaAllAccess,
                 kWinstaAllAccess, true, kWinstaReadScreen, true, RightSource::null_dacl, kNone},
        RuleCase{"AbsentDaclGrantsEverything", "O:SYG:SY", plain_user(), kStation, kUser32StationBaseline,
                 kUser32StationBaseline, true, kWriteOwner, true, RightSource::absent_dacl, kNone},
        RuleCase{"EmptyDaclGrantsNothing", "O:SYD:", plain_user(), kStation, kWinstaEnumerate | kReadControl, 0,
                 false, kReadControl, false, RightSource::no_ace, kNone},
        RuleCase{"ProtectedEmptyDaclGrantsNothing", "D:P", plain_user(), kDesktop, kDesktopReadObjects, 0, false,
                 kDesktopReadObjects, false, RightSource::no_ace, kNone},
        RuleCase{"OwnerGetsReadControlAndWriteDacOnEmptyDacl", "O:" + kUser + "D:", plain_user(), kStation,
                 kReadControl | kWriteDac | kWinstaEnumerate, kReadControl | kWriteDac, false, kWriteDac, true,
                 RightSource::owner_implicit, kNone},
        RuleCase{"OwnerImplicitRightsSurviveADenyAce", "O:" + kUser + "D:(D;;WDRC;;;" + kUser + ")", plain_user(),
                 kStation, kWriteDac, kWriteDac, true, kWriteDac, true, RightSource::owner_implicit, kNone},
        RuleCase{"OwnerIsNotWriteOwner", "O:" + kUser + "D:", plain_user(), kStation, kWriteOwner, 0, false,
                 kWriteOwner, false, RightSource::no_ace, kNone},
        RuleCase{"OwnerRightsAceReplacesImplicitRights", "O:" + kUser + "D:(A;;RC;;;OW)", plain_user(), kStation,
                 kReadControl | kWriteDac, kReadControl, false, kWriteDac, false, RightSource::no_ace, kNone},
        RuleCase{"OwnerRightsAceGrantsTheOwner", "O:" + kUser + "D:(A;;RC;;;OW)", plain_user(), kStation,
                 kReadControl, kReadControl, true, kReadControl, true, RightSource::ace, 0},
        RuleCase{"InheritOnlyOwnerRightsAceKeepsImplicitRights", "O:" + kUser + "D:(A;OICIIO;RC;;;OW)", plain_user(),
                 kStation, kWriteDac, kWriteDac, true, kWriteDac, true, RightSource::owner_implicit, kNone},
        RuleCase{"DenyOnlyOwnerIsNotOwner", "O:BAD:", make_token({{"S-1-5-32-544", kDenyOnly}}), kStation, kWriteDac,
                 0, false, kWriteDac, false, RightSource::no_ace, kNone},
        RuleCase{"AllowBeforeDenyWins", "D:(A;;0x37f;;;" + kUser + ")(D;;0x37f;;;WD)", plain_user(), kStation,
                 kWinstaCreateDesktop, kWinstaCreateDesktop, true, kWinstaCreateDesktop, true, RightSource::ace, 0},
        RuleCase{"DenyBeforeAllowWins", "D:(D;;0x8;;;WD)(A;;0x37f;;;" + kUser + ")", plain_user(), kStation,
                 kWinstaCreateDesktop | kWinstaEnumerate, kWinstaEnumerate, false, kWinstaCreateDesktop, false,
                 RightSource::ace, 0},
        RuleCase{"EachRightIsDecidedByTheFirstAceNamingIt", "D:(A;;0x1;;;WD)(D;;0x3;;;WD)(A;;0x2;;;WD)", plain_user(),
                 kStation, 0x3, 0x1, false, 0x2, false, RightSource::ace, 1},
        RuleCase{"InheritOnlyAceIsIgnored", "D:(A;OICIIO;GA;;;" + kUser + ")", plain_user(), kStation,
                 kWinstaEnumerate, 0, false, kWinstaEnumerate, false, RightSource::no_ace, kNone},
        RuleCase{"InheritOnlyDenyIsIgnored", "D:(D;CIIO;GA;;;WD)(A;;GA;;;WD)", plain_user(), kStation,
                 kWinstaEnumerate, kWinstaEnumerate, true, kWinstaEnumerate, true, RightSource::ace, 1},
        RuleCase{"DenyAceMatchesDenyOnlyGroup", "D:(D;;0x8;;;BA)(A;;0x37f;;;WD)",
                 make_token({{"S-1-1-0", kOn}, {"S-1-5-32-544", kDenyOnly}}), kStation, kWinstaCreateDesktop, 0,
                 false, kWinstaCreateDesktop, false, RightSource::ace, 0},
        RuleCase{"AllowAceIgnoresDenyOnlyGroup", "D:(A;;0x37f;;;BA)",
                 make_token({{"S-1-1-0", kOn}, {"S-1-5-32-544", kDenyOnly}}), kStation, kWinstaCreateDesktop, 0,
                 false, kWinstaCreateDesktop, false, RightSource::no_ace, kNone},
        RuleCase{"DisabledGroupMatchesNothing", "D:(D;;0x8;;;BU)(A;;0x37f;;;BU)",
                 make_token({{"S-1-5-32-545", group_attr::kMandatory}}), kStation, kWinstaCreateDesktop, 0, false,
                 kWinstaCreateDesktop, false, RightSource::no_ace, kNone},
        RuleCase{"IntegrityGroupMatchesNoAce", "D:(A;;GA;;;LW)", make_token({{"S-1-16-4096", kLowIntegrityLabel}}),
                 kStation, kWinstaEnumerate, 0, false, kWinstaEnumerate, false, RightSource::no_ace, kNone},
        RuleCase{"CreatorOwnerInAnEffectiveAceMatchesNobody", "O:" + kUser + "D:(A;;0x37f;;;CO)", plain_user(),
                 kStation, kWinstaEnumerate, 0, false, kWinstaEnumerate, false, RightSource::no_ace, kNone},
        RuleCase{"GenericReadInAceIsMappedForStations", "D:(A;;GR;;;WD)", plain_user(), kStation,
                 kWinstaEnumerate | kWinstaReadScreen, kWinstaEnumerate | kWinstaReadScreen, true, kWinstaReadScreen,
                 true, RightSource::ace, 0},
        RuleCase{"GenericReadDoesNotGiveClipboard", "D:(A;;GR;;;WD)", plain_user(), kStation, kWinstaAccessClipboard,
                 0, false, kWinstaAccessClipboard, false, RightSource::no_ace, kNone},
        RuleCase{"GenericWriteInAceIsMappedForDesktops", "D:(A;;GW;;;WD)", plain_user(), kDesktop,
                 kDesktopCreateWindow | kDesktopHookControl, kDesktopCreateWindow | kDesktopHookControl, true,
                 kDesktopCreateWindow, true, RightSource::ace, 0},
        RuleCase{"GenericRequestIsMapped", "D:(A;;0x20303;;;WD)", plain_user(), kStation, kGenericRead, 0x20303, true,
                 kWinstaReadScreen, true, RightSource::ace, 0},
        RuleCase{"MaximumAllowedCollectsEveryGrantedRight", "D:(D;;0x4;;;WD)(A;;0x2037f;;;" + kUser + ")",
                 plain_user(), kStation, kMaximumAllowed, 0x2037B, true, kWinstaReadScreen, true, RightSource::ace, 1},
        RuleCase{"MaximumAllowedWithNothingIsDenied", "D:", plain_user(), kStation, kMaximumAllowed | kWinstaEnumerate,
                 0, false, kWinstaEnumerate, false, RightSource::no_ace, kNone},
        RuleCase{"LogonSidFromFactsMatches", "D:(A;;0x37f;;;" + kLogonSid + ")",
                 [] { auto tok = plain_user(); tok.logon_sid = kLogonSid; return tok; }(), kStation, kWinstaEnumerate,
                 kWinstaEnumerate, true, kWinstaEnumerate, true, RightSource::ace, 0},
        RuleCase{"RestrictedTokenNeedsBothPasses", "D:(A;;0x37f;;;" + kUser + ")(A;;0x1;;;RC)",
                 make_token({{"S-1-1-0", kOn}}, "S-1-16-8192", {"S-1-5-12"}), kStation, 0x3, 0x1, false, 0x2, false,
                 RightSource::no_ace, kNone, AccessPass::restricted},
        RuleCase{"RestrictedPassDenyAce", "D:(D;;0x2;;;RC)(A;;0x37f;;;WD)",
                 make_token({{"S-1-1-0", kOn}}, "S-1-16-8192", {"S-1-5-12", "S-1-1-0"}), kStation, 0x3, 0x1, false,
                 0x2, false, RightSource::ace, 0, AccessPass::restricted},
        RuleCase{"RestrictedPassOwnerNeedsOwnerAmongRestrictedSids", "O:" + kUser + "D:",
                 make_token({}, "S-1-16-8192", {"S-1-5-12"}), kStation, kReadControl, 0, false, kReadControl, false,
                 RightSource::no_ace, kNone, AccessPass::restricted},
        RuleCase{"NormalPassFailureIsReportedFirst", "D:(A;;0x1;;;RC)",
                 make_token({}, "S-1-16-8192", {"S-1-5-12"}), kStation, 0x1, 0, false, 0x1, false,
                 RightSource::no_ace, kNone, AccessPass::normal},
        RuleCase{"ObjectAceWithoutGuidActsAsPlainAce", "D:(OA;;0x1;;;WD)", plain_user(), kStation, 0x1, 0x1, true, 0x1,
                 true, RightSource::ace, 0},
        RuleCase{"ObjectAceWithGuidIsNotApplied", "D:(OA;;0x1;e48d0154-bcf8-11d1-8702-00c04fb96050;;WD)", plain_user(),
                 kStation, 0x1, 0, false, 0x1, false, RightSource::no_ace, kNone},
        RuleCase{"ConditionalDenyIsAppliedAsDeny", "D:(XD;;0x1;;;WD;(@User.x==1))(A;;0x1;;;WD)", plain_user(), kStation,
                 0x1, 0, false, 0x1, false, RightSource::ace, 0},
        RuleCase{"ConditionalAllowIsNotApplied", "D:(XA;;0x1;;;WD;(@User.x==1))", plain_user(), kStation, 0x1, 0, false,
                 0x1, false, RightSource::no_ace, kNone},
        RuleCase{"LowTokenLosesWriteRightsOnUnlabelledObject", "D:(A;;0xf01ff;;;WD)",
                 make_token({{"S-1-1-0", kOn}}, "S-1-16-4096"), kDesktop, kDesktopReadObjects | kDesktopCreateWindow,
                 kDesktopReadObjects, false, kDesktopCreateWindow, false, RightSource::integrity_policy, kNone},
        RuleCase{"LowLabelLetsLowTokenWrite", "D:(A;;0xf01ff;;;WD)S:(ML;;NW;;;LW)",
                 make_token({{"S-1-1-0", kOn}}, "S-1-16-4096"), kDesktop, kDesktopReadObjects | kDesktopCreateWindow,
                 kDesktopReadObjects | kDesktopCreateWindow, true, kDesktopCreateWindow, true, RightSource::ace, 0},
        RuleCase{"NoWriteUpKeepsReadControl", "D:(A;;0xf01ff;;;WD)S:(ML;;NW;;;HI)", plain_user(), kDesktop,
                 kReadControl | kWriteDac, kReadControl, false, kWriteDac, false, RightSource::integrity_policy, kNone},
        RuleCase{"NoReadUpWithholdsReads", "D:(A;;0xf01ff;;;WD)S:(ML;;NWNR;;;HI)", plain_user(), kDesktop,
                 kDesktopReadObjects, 0, false, kDesktopReadObjects, false, RightSource::integrity_policy, kNone},
        RuleCase{"InheritOnlyLabelDoesNotApply", "D:(A;;0xf01ff;;;WD)S:(ML;OICIIO;NW;;;SI)", plain_user(), kDesktop,
                 kDesktopCreateWindow, kDesktopCreateWindow, true, kDesktopCreateWindow, true, RightSource::ace, 0},
        RuleCase{"AccessSystemSecurityNeedsAPrivilege", "D:NO_ACCESS_CONTROL", plain_user(), kStation,
                 kAccessSystemSecurity | kReadControl, kReadControl, false, kAccessSystemSecurity, false,
                 RightSource::privilege, kNone}),
    [](const auto& p) { return p.param.name; });

TEST(AccessEvaluator, DescribesMissingRightsInOneLine) {
    const auto sd = parse_sddl("D:(D;;0x8;;;BA)(A;;0x24;;;WD)");
    const auto r = evaluate_access(sd, make_token({{"S-1-1-0", kOn}, {"S-1-5-32-544", kDenyOnly}}),
                                   kWinstaAccessClipboard | kWinstaCreateDesktop | kWinstaEnumerate, kStation);
    EXPECT_EQ(r.missing(), kWinstaCreateDesktop | kWinstaEnumerate);
    EXPECT_EQ(r.describe(kStation),
              "granted WINSTA_ACCESSCLIPBOARD; missing: WINSTA_CREATEDESKTOP: denied by ACE #0 (BA); "
              "WINSTA_ENUMERATE: no ACE grants it");
}

TEST(AccessEvaluator, NotesModellingLimits) {
    auto token = plain_user();
    token.integrity_sid.clear();
    const auto r = evaluate_access(parse_sddl("D:(XA;;0x1;;;WD;(x))(AU;SA;0x1;;;WD)"), token, 0x1, kStation);
    ASSERT_EQ(r.notes.size(), 3u);
    EXPECT_NE(r.notes[0].find("ACE #0 (XA) not applied"), std::string::npos);
    EXPECT_NE(r.notes[1].find("ACE #1 (AU) is not a DACL ACE"), std::string::npos);
    EXPECT_NE(r.notes[2].find("integrity level unknown"), std::string::npos);
}

TEST(AccessEvaluator, EmptyRequestIsNotAllowed) {
    const auto r = evaluate_access(parse_sddl("D:NO_ACCESS_CONTROL"), plain_user(), 0, kStation);
    EXPECT_FALSE(r.allowed);
    EXPECT_EQ(r.granted, 0u);
}

// ---- Real-world descriptors -----------------------------------------------------------------

// Windows 11 22631 interactive WinSta0 (a public field note: see sample_descriptors.hpp).
using samples::kWin11WinSta0;

// The note's own token: non-elevated admin, logon SID 0xC0000007, Administrators deny-only.
TokenFacts win11_interactive_admin() {
    return make_token({{"S-1-1-0", kOn},
                       {"S-1-5-32-544", kDenyOnly},
                       {"S-1-5-32-545", kOn},
                       {"S-1-5-4", kOn},
                       {"S-1-5-11", kOn},
                       {kLogonSid, kLogon},
                       {"S-1-16-8192", kLowIntegrityLabel}});
}

TEST(AccessEvaluatorRealWorld, Win11InteractiveUserOpensItsStationThroughTheLogonSid) {
    const auto r = evaluate_access(parse_sddl(kWin11WinSta0), win11_interactive_admin(), kUser32StationBaseline,
                                   kStation);
    EXPECT_TRUE(r.allowed) << r.describe(kStation);
    const auto* d = r.decision(kWinstaCreateDesktop);
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->ace_index, 2u);  // (A;NP;0xf037f;;;S-1-5-5-0-425489); the user's own ACE is only LCWP
    EXPECT_EQ(d->ace_sid, kLogonSid);
    EXPECT_EQ(evaluate_access(parse_sddl(kWin11WinSta0), win11_interactive_admin(), kMaximumAllowed, kStation).granted,
              0xF037Fu);
}

// What the note says: the user SID's own ACE gives only LCWP; without the logon SID (another logon
// session of the same user, e.g. a service or a scheduled task) the station cannot be used.
TEST(AccessEvaluatorRealWorld, Win11SameUserOtherLogonSessionOnlyGetsClipboardAndAtoms) {
    const auto other_session = make_token({{"S-1-1-0", kOn}, {"S-1-5-11", kOn}, {"S-1-5-5-0-999", kLogon}});
    const auto r = evaluate_access(parse_sddl(kWin11WinSta0), other_session, kUser32StationBaseline, kStation);
    EXPECT_FALSE(r.allowed);
    EXPECT_EQ(r.granted, kWinstaAccessClipboard | kWinstaAccessGlobalAtoms);
    EXPECT_EQ(r.decision(kWinstaCreateDesktop)->describe(kStation), "WINSTA_CREATEDESKTOP: no ACE grants it");
    EXPECT_EQ(r.decision(kWinstaAccessClipboard)->ace_index, 0u);
}

// The note: "RC has an allow ACE with 0xf037f: the restricted-SID side of a restricted token is
// satisfied here".
TEST(AccessEvaluatorRealWorld, Win11RestrictedTokenIsSatisfiedByTheRestrictedAce) {
    auto token = win11_interactive_admin();
    token.restricted_sids = {GroupFacts{"S-1-5-12", "", kOn}};
    const auto r = evaluate_access(parse_sddl(kWin11WinSta0), token, kUser32StationBaseline, kStation);
    EXPECT_TRUE(r.allowed) << r.describe(kStation);
    EXPECT_TRUE(r.notes.empty());
}

// Chromium's alternate desktop (sddl_test.cpp): a restricted renderer-like token can read but not
// create windows, hooks or switch; the browser's own (unrestricted) token can.
TEST(AccessEvaluatorRealWorld, ChromiumAltDesktopDeniesRestrictedCodeWindows) {
    const auto sd = parse_sddl("D:(D;;0xd013e;;;RC)(A;;GA;;;AC)(A;;GA;;;WD)");
    const auto renderer = make_token({{"S-1-1-0", kOn}, {kLogonSid, kLogon}}, "S-1-16-4096",
                                     {"S-1-1-0", "S-1-5-12", kLogonSid});
    const auto r = evaluate_access(sd, renderer, kDesktopReadObjects | kDesktopCreateWindow, kDesktop);
    EXPECT_EQ(r.granted, kDesktopReadObjects);
    EXPECT_EQ(r.decision(kDesktopCreateWindow)->describe(kDesktop),
              "DESKTOP_CREATEWINDOW: denied by ACE #0 (RC) in the restricted-SID pass");
    const auto browser = make_token({{"S-1-1-0", kOn}, {kLogonSid, kLogon}});
    EXPECT_TRUE(evaluate_access(sd, browser, kUser32DesktopBaseline, kDesktop).allowed);
}

// Chromium remoting's worker: a LocalService token at low integrity with its own logon SID, on the
// station and desktop made for it (sddl_test.cpp). The labels are Low, so nothing is withheld.
TEST(AccessEvaluatorRealWorld, ChromotingWorkerGetsTheUser32Baselines) {
    const std::string logon = "S-1-5-5-0-12345";
    TokenFacts worker = make_token({{"S-1-1-0", kOn}, {"S-1-5-6", kOn}, {logon, kLogon}}, "S-1-16-4096");
    worker.user_sid = "S-1-5-19";
    const auto station = parse_sddl(
        "O:SYG:SYD:(A;CIOIIO;GA;;;SY)(A;CIOIIO;GA;;;S-1-5-5-0-12345)(A;NP;0xf037f;;;SY)"
        "(A;NP;0xf037f;;;S-1-5-5-0-12345)S:(ML;CIOI;NW;;;LW)");
    const auto desktop = parse_sddl("O:SYG:SYD:(A;;0xf01ff;;;SY)(A;;0xf01ff;;;S-1-5-5-0-12345)S:(ML;CIOI;NW;;;LW)");
    EXPECT_TRUE(evaluate_access(station, worker, kUser32StationBaseline, kStation).allowed);
    EXPECT_TRUE(evaluate_access(desktop, worker, kUser32DesktopBaseline, kDesktop).allowed);
    // Without the label (pre-Vista variant) a low-integrity worker would lose the write rights.
    const auto unlabelled = parse_sddl("O:SYG:SYD:(A;;0xf01ff;;;SY)(A;;0xf01ff;;;S-1-5-5-0-12345)");
    const auto r = evaluate_access(unlabelled, worker, kUser32DesktopBaseline, kDesktop);
    EXPECT_FALSE(r.allowed);
    EXPECT_EQ(r.decision(kDesktopCreateWindow)->source, RightSource::integrity_policy);
}

}  // namespace
}  // namespace safelaunch
