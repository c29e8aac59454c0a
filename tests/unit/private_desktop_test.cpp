// Private desktops, portable part: placement, the DACLs (checked with the access evaluator, so
// what each SID really gets is asserted, not only the text), the read-back comparison, findings
// and JSON.
#include "safelaunch/access_evaluator.hpp"
#include "safelaunch/analysis.hpp"
#include "safelaunch/launch_request.hpp"
#include "safelaunch/private_desktop.hpp"
#include "safelaunch/sddl.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>

namespace safelaunch {
namespace {

constexpr const char* kUser = "S-1-5-21-1004336348-1177238915-682003330-1001";
constexpr const char* kOtherUser = "S-1-5-21-1004336348-1177238915-682003330-1002";
constexpr const char* kChildLogon = "S-1-5-5-0-424242";
constexpr const char* kSystem = "S-1-5-18";

TokenFacts token(std::string user, std::optional<std::string> logon) {
    TokenFacts t;
    t.user_sid = std::move(user);
    t.logon_sid = logon;
    t.groups.push_back({"S-1-1-0", "Everyone", group_attr::kEnabled | group_attr::kMandatory});
    t.groups.push_back({"S-1-5-32-545", "BUILTIN\\Users", group_attr::kEnabled | group_attr::kMandatory});
    t.groups.push_back({"S-1-5-11", "Authenticated Users", group_attr::kEnabled | group_attr::kMandatory});
    if (logon) t.groups.push_back({*logon, "", group_attr::kEnabled | group_attr::kMandatory | group_attr::kLogonId});
    return t;
}

std::uint32_t max_allowed(const std::string& sddl, const TokenFacts& t, ObjectKind kind) {
    return evaluate_access(parse_sddl(sddl), t, rights::kMaximumAllowed, kind).granted & ~rights::kMaximumAllowed;
}

TEST(Placement, OfARequest) {
    LaunchRequest r;
    EXPECT_EQ(placement_of(r), Placement::inherit);
    r.desktop = "WinSta0\\Default";
    EXPECT_EQ(placement_of(r), Placement::named);
    EXPECT_EQ(to_string(placement_of(r)), "named");
    r.desktop.reset();
    r.private_desktop = PrivateDesktopSpec{};
    EXPECT_EQ(placement_of(r), Placement::private_desktop);
    EXPECT_EQ(to_string(placement_of(r)), "private");
    EXPECT_EQ(r.private_desktop->heap_kb, 512u);
    EXPECT_FALSE(placement_problem(r));
}

TEST(Placement, BothADesktopAndAPrivateOneIsAProblem) {
    LaunchRequest r;
    r.desktop = "WinSta0\\Default";
    r.private_desktop = PrivateDesktopSpec{};
    const auto problem = placement_problem(r);
    ASSERT_TRUE(problem);
    EXPECT_NE(problem->find("WinSta0\\Default"), std::string::npos) << *problem;
}

TEST(Placement, HeapOutsideTheBoundsIsAProblem) {
    LaunchRequest r;
    r.private_desktop = PrivateDesktopSpec{kPrivateDesktopMinKb - 1, std::nullopt};
    ASSERT_TRUE(placement_problem(r));
    EXPECT_NE(placement_problem(r)->find("7 KB"), std::string::npos);
    r.private_desktop->heap_kb = kPrivateDesktopMaxKb + 1;
    EXPECT_TRUE(placement_problem(r));
    r.private_desktop->heap_kb = kPrivateDesktopMinKb;
    EXPECT_FALSE(placement_problem(r));
    r.private_desktop->heap_kb = kPrivateDesktopMaxKb;
    EXPECT_FALSE(placement_problem(r));
}

TEST(PrivateDesktopNames, StationNameIsPrefixAnd32Hex) {
    const auto name = private_station_name("0123456789abcdef0123456789abcdef");
    EXPECT_EQ(name, "safelaunch-0123456789abcdef0123456789abcdef");
    EXPECT_TRUE(is_private_station_name(name));
    EXPECT_FALSE(is_private_station_name("safelaunch-0123456789abcdef0123456789abcde"));   // 31 digits
    EXPECT_FALSE(is_private_station_name("safelaunch-0123456789ABCDEF0123456789abcdef"));  // upper case
    EXPECT_FALSE(is_private_station_name("WinSta0"));
}

TEST(PrivateDesktopDacl, DesktopTextIsProtectedDenyFirst) {
    EXPECT_EQ(private_desktop_sddl(kUser, kChildLogon),
              std::string("D:P(D;;0x138;;;") + kChildLogon + ")(A;;0xf01ff;;;SY)(A;;0xf01ff;;;" + kUser +
                  ")(A;;0xc7;;;" + kChildLogon + ")");
    EXPECT_EQ(private_station_sddl(kUser, kChildLogon),
              std::string("D:P(A;;0xf037f;;;SY)(A;;0xf037f;;;") + kUser + ")(A;;0x6e;;;" + kChildLogon + ")");
}

TEST(PrivateDesktopDacl, NoEveryoneNoUsers) {
    for (const auto& text : {private_desktop_sddl(kUser, kChildLogon), private_station_sddl(kUser, kChildLogon)}) {
        const auto sd = parse_sddl(text);
        ASSERT_TRUE(sd.dacl);
        for (const auto& a : sd.dacl->aces) {
            EXPECT_NE(a.sid.to_string(), "S-1-1-0") << text;
            EXPECT_NE(a.sid.to_string(), "S-1-5-32-545") << text;
            EXPECT_NE(a.sid.to_string(), "S-1-5-11") << text;
        }
    }
}

TEST(PrivateDesktopDacl, ChildGetsWhatUser32NeedsButNotTheDeniedRights) {
    const auto child = token(kOtherUser, kChildLogon);
    const auto desk = max_allowed(private_desktop_sddl(kUser, kChildLogon), child, ObjectKind::desktop);
    EXPECT_EQ(desk, kDesktopRightsNeeded & ~kPrivateDesktopChildDenied) << describe_rights(desk, ObjectKind::desktop);
    EXPECT_EQ(desk & rights::kDesktopHookControl, 0u);
    EXPECT_EQ(desk & rights::kDesktopSwitchDesktop, 0u);
    const auto r = evaluate_access(parse_sddl(private_desktop_sddl(kUser, kChildLogon)), child,
                                   rights::kDesktopHookControl, ObjectKind::desktop);
    ASSERT_EQ(r.rights.size(), 1u);
    EXPECT_EQ(r.rights[0].source, RightSource::ace);
    EXPECT_EQ(r.rights[0].ace_index, 0u) << "the deny ACE decides";
    const auto station = max_allowed(private_station_sddl(kUser, kChildLogon), child, ObjectKind::window_station);
    EXPECT_EQ(station, kStationRightsNeeded);
}

TEST(PrivateDesktopDacl, LauncherAndSystemHaveFullAccess) {
    const auto launcher = token(kUser, "S-1-5-5-0-1111");  // another logon session than the child's
    EXPECT_EQ(max_allowed(private_desktop_sddl(kUser, kChildLogon), launcher, ObjectKind::desktop),
              kPrivateDesktopFullAccess);
    EXPECT_EQ(max_allowed(private_station_sddl(kUser, kChildLogon), launcher, ObjectKind::window_station),
              kPrivateStationFullAccess);
    const auto system = token(kSystem, "S-1-5-5-0-999");
    EXPECT_EQ(max_allowed(private_desktop_sddl(kUser, kChildLogon), system, ObjectKind::desktop),
              kPrivateDesktopFullAccess);
}

TEST(PrivateDesktopDacl, OtherUsersGetNothing) {
    const auto stranger = token(kOtherUser, "S-1-5-5-0-7");
    EXPECT_EQ(max_allowed(private_desktop_sddl(kUser, kChildLogon), stranger, ObjectKind::desktop), 0u);
    EXPECT_EQ(max_allowed(private_station_sddl(kUser, kChildLogon), stranger, ObjectKind::window_station), 0u);
}

// RunAsCaller: the child's token is the launcher's, so the launcher holds the child's logon SID and
// the deny applies to it too. Decided: keep the deny; the launcher has full access minus the four
// rights, which it does not use.
TEST(PrivateDesktopDacl, SharedLogonSidTheDenyAppliesToTheLauncherToo) {
    const auto launcher_is_child = token(kUser, kChildLogon);
    const auto desk = max_allowed(private_desktop_sddl(kUser, kChildLogon), launcher_is_child, ObjectKind::desktop);
    EXPECT_EQ(desk, kPrivateDesktopFullAccess & ~kPrivateDesktopChildDenied) << describe_rights(desk, ObjectKind::desktop);
    EXPECT_NE(desk & rights::kWriteDac, 0u) << "the launcher can still set the DACL";
}

// A token with no logon SID: the child's SID is its user SID, the launching user's. Its allow ACE
// is redundant and left out; the deny stays, first, and binds both.
TEST(PrivateDesktopDacl, ChildSidIsTheLaunchingUserSid) {
    const auto text = private_desktop_sddl(kUser, kUser);
    EXPECT_EQ(text, std::string("D:P(D;;0x138;;;") + kUser + ")(A;;0xf01ff;;;SY)(A;;0xf01ff;;;" + kUser + ")");
    const auto both = token(kUser, std::nullopt);
    EXPECT_EQ(max_allowed(text, both, ObjectKind::desktop), kPrivateDesktopFullAccess & ~kPrivateDesktopChildDenied);
    EXPECT_EQ(private_station_sddl(kUser, kUser), std::string("D:P(A;;0xf037f;;;SY)(A;;0xf037f;;;") + kUser + ")");
    // LocalSystem launching a LocalSystem child with no logon SID: one SYSTEM ACE, the deny first.
    EXPECT_EQ(private_desktop_sddl(kSystem, kSystem), "D:P(D;;0x138;;;SY)(A;;0xf01ff;;;SY)");
}

TEST(PrivateDesktopDacl, BadSidThrows) {
    EXPECT_THROW((void)private_desktop_sddl("not-a-sid", kChildLogon), Error);
}

TEST(DaclMatches, SameAcesWithOwnerAndGroupReadBack) {
    const auto set = private_desktop_sddl(kUser, kChildLogon);
    // What GetSecurityInfo renders: owner, group, and rights in its own spelling.
    const auto read = std::string("O:") + kUser + "G:" + kUser + "D:P(D;;SWRPWPCR;;;" + kChildLogon +
                      ")(A;;0xf01ff;;;SY)(A;;0xf01ff;;;" + kUser + ")(A;;CCDCLCDTLO;;;" + kChildLogon + ")";
    std::string why;
    EXPECT_TRUE(dacl_matches(set, read, &why)) << why;
}

TEST(DaclMatches, NamesTheFirstDifference) {
    const auto set = private_desktop_sddl(kUser, kChildLogon);
    std::string why;
    // An existing desktop opened instead: its DACL gives Everyone access.
    EXPECT_FALSE(dacl_matches(set, "D:(A;;0xf01ff;;;WD)", &why));
    EXPECT_NE(why.find("ACE #0"), std::string::npos) << why;
    EXPECT_FALSE(dacl_matches(set, set.substr(0, set.rfind('(')), &why));  // last ACE missing
    EXPECT_NE(why.find("ACE #3"), std::string::npos) << why;
    EXPECT_NE(why.find("not read back"), std::string::npos) << why;
    EXPECT_FALSE(dacl_matches(set, set + "(A;;0x1;;;WD)", &why));
    EXPECT_NE(why.find("read back but not set"), std::string::npos) << why;
    EXPECT_FALSE(dacl_matches(set, "O:SY", &why));  // no DACL at all (Wine's WinSta0)
    EXPECT_NE(why.find("no DACL"), std::string::npos) << why;
    EXPECT_FALSE(dacl_matches(set, "D:NO_ACCESS_CONTROL", &why));
    EXPECT_FALSE(dacl_matches(set, "garbage", &why));
    EXPECT_NE(why.find("does not parse"), std::string::npos) << why;
}

PrivateDesktopFacts created_facts() {
    PrivateDesktopFacts f;
    f.station = private_station_name("00112233445566778899aabbccddeeff");
    f.desktop = std::string(kPrivateDesktopName);
    f.created = true;
    f.heap_kb_asked = 512;
    f.heap_bounded = true;
    f.heap_kb_read = 512;
    f.launching_user_sid = kUser;
    f.child_sid = kChildLogon;
    f.station_dacl_set = private_station_sddl(kUser, kChildLogon);
    f.desktop_dacl_set = private_desktop_sddl(kUser, kChildLogon);
    f.station_dacl_read = "O:SY" + f.station_dacl_set;
    f.desktop_dacl_read = "O:SY" + f.desktop_dacl_set;
    return f;
}

std::vector<std::string> ids(const std::vector<Finding>& findings) {
    std::vector<std::string> out;
    for (const auto& f : findings) out.push_back(f.id);
    return out;
}

TEST(PrivateDesktopFindings, VerifiedDesktopHasNone) {
    EXPECT_TRUE(private_desktop_findings(created_facts()).empty());
    EXPECT_EQ(created_facts().lp_desktop(), "safelaunch-00112233445566778899aabbccddeeff\\Desktop");
}

TEST(PrivateDesktopFindings, UnboundedHeapIsAWarning) {
    auto f = created_facts();
    f.heap_bounded = false;
    f.heap_note = "CreateDesktopExW is not exported";
    f.heap_kb_read.reset();
    f.heap_read_error = "GetUserObjectInformationW(UOI_HEAPSIZE): error 87";
    const auto findings = private_desktop_findings(f);
    ASSERT_EQ(ids(findings), std::vector<std::string>{"desktop.private.heap_unbounded"});
    EXPECT_EQ(findings[0].severity, Severity::warning);
    EXPECT_EQ(findings[0].evidence, "CreateDesktopExW is not exported");
    EXPECT_EQ(verdict_of(findings), Verdict::warn);
}

TEST(PrivateDesktopFindings, HeapReadBackOtherThanAskedIsAnError) {
    auto f = created_facts();
    f.heap_kb_read = 20480;  // e.g. an interactive desktop opened by name
    const auto findings = private_desktop_findings(f);
    ASSERT_EQ(ids(findings), std::vector<std::string>{"desktop.private.heap_mismatch"});
    EXPECT_EQ(findings[0].severity, Severity::error);
    EXPECT_NE(findings[0].message.find("20480 KB"), std::string::npos) << findings[0].message;
}

TEST(PrivateDesktopFindings, UnreadableHeapDecidesNothing) {
    auto f = created_facts();
    f.heap_kb_read.reset();
    f.heap_read_error = "error 87";
    EXPECT_TRUE(private_desktop_findings(f).empty());
}

TEST(PrivateDesktopFindings, DaclReadBackOtherThanSetIsAnError) {
    auto f = created_facts();
    f.desktop_dacl_read = "D:(A;;0xf01ff;;;WD)";
    auto findings = private_desktop_findings(f);
    ASSERT_EQ(ids(findings), std::vector<std::string>{"desktop.private.dacl_mismatch"});
    EXPECT_EQ(findings[0].severity, Severity::error);
    EXPECT_NE(findings[0].evidence.find("ACE #0"), std::string::npos) << findings[0].evidence;
    f = created_facts();
    f.station_dacl_read = "D:(A;;0xf037f;;;WD)";
    EXPECT_EQ(ids(private_desktop_findings(f)), std::vector<std::string>{"desktop.private.dacl_mismatch"});
}

TEST(PrivateDesktopFindings, DaclNotReadBackIsAnError) {
    auto f = created_facts();
    f.desktop_dacl_read.reset();
    f.dacl_read_error = "GetSecurityInfo: error 5";
    const auto findings = private_desktop_findings(f);
    ASSERT_EQ(ids(findings), std::vector<std::string>{"desktop.private.dacl_mismatch"});
    EXPECT_EQ(findings[0].evidence, "GetSecurityInfo: error 5");
}

TEST(PrivateDesktopFindings, PlanDecidesOnlyTheHeapBound) {
    const auto plan = plan_private_desktop(PrivateDesktopSpec{1024, std::nullopt}, kUser, kChildLogon, false);
    EXPECT_FALSE(plan.created);
    EXPECT_EQ(plan.heap_kb_asked, 1024u);
    EXPECT_EQ(plan.desktop_dacl_set, private_desktop_sddl(kUser, kChildLogon));
    const auto findings = private_desktop_findings(plan);
    ASSERT_EQ(ids(findings), std::vector<std::string>{"desktop.private.heap_unbounded"});
    EXPECT_NE(findings[0].message.find("would not"), std::string::npos) << findings[0].message;
    EXPECT_TRUE(private_desktop_findings(plan_private_desktop({}, kUser, kChildLogon, true)).empty());
}

TEST(PrivateDesktopFindings, APoolNameIsNoFindingOfTheFacts) {
    const auto plan = plan_private_desktop(PrivateDesktopSpec{512, "ci"}, kUser, kChildLogon, true);
    EXPECT_EQ(plan.pool, "ci");
    EXPECT_TRUE(private_desktop_findings(plan).empty());  // whether the launch has a pool is the launch's
    const std::vector<Finding> refusal{pool_unavailable_finding("ci")};
    EXPECT_EQ(refusal[0].id, "desktop.private.pool_unavailable");
    EXPECT_EQ(verdict_of(refusal), Verdict::blocked);
    EXPECT_NE(refusal[0].message.find("'ci'"), std::string::npos);
}

TEST(PrivateDesktopFacts, JsonRoundTrip) {
    auto f = created_facts();
    f.pool = "ci";  // recorded as asked
    f.heap_read_error = "error 87";
    f.dacl_set_after_creation = {"station", "desktop"};
    const nlohmann::json j = f;
    EXPECT_EQ(j.at("lp_desktop"), f.lp_desktop());
    EXPECT_EQ(j.at("heap_kb_read"), 512);
    EXPECT_TRUE(j.at("dacl_read_error").is_null());
    const auto back = j.get<PrivateDesktopFacts>();
    EXPECT_EQ(nlohmann::json(back), j);
    EXPECT_EQ(back.pool, "ci");
    EXPECT_EQ(back.dacl_set_after_creation, (std::vector<std::string>{"station", "desktop"}));
    EXPECT_THROW((void)nlohmann::json::parse("[1]").get<PrivateDesktopFacts>(), std::invalid_argument);
}

// Issue 8 part 1 correction: which station a private desktop goes on.
TEST(StationSource, AdministratorsNameTheirOwnOthersGetTheLogonSessions) {
    EXPECT_EQ(choose_station_source(true), StationSource::random_name);
    EXPECT_EQ(choose_station_source(false), StationSource::logon_session);
    EXPECT_EQ(choose_station_source(std::nullopt), StationSource::logon_session) << "unknown: what anyone may make";
    EXPECT_EQ(to_string(StationSource::random_name), "random_name");
    EXPECT_EQ(to_string(StationSource::logon_session), "logon_session");
    EXPECT_EQ(station_source_from_string("logon_session"), StationSource::logon_session);
    EXPECT_FALSE(station_source_from_string("named"));
}

TEST(StationSource, AccessDeniedIsACollisionOnlyForAnAdministrator) {
    const std::string name = "safelaunch-00112233445566778899aabbccddeeff";
    EXPECT_NE(named_station_refusal(name, true, 5).find("name collision"), std::string::npos);
    EXPECT_NE(named_station_refusal(name, true, 183).find("exists already"), std::string::npos);
    const auto non_admin = named_station_refusal(name, false, 5);
    EXPECT_EQ(non_admin.find("exists already"), std::string::npos) << non_admin;
    EXPECT_NE(non_admin.find("only members of Administrators"), std::string::npos) << non_admin;
    EXPECT_NE(non_admin.find("not a name collision"), std::string::npos) << non_admin;
    EXPECT_NE(named_station_refusal(name, std::nullopt, 5).find("membership unknown"), std::string::npos);
    EXPECT_EQ(named_station_refusal(name, false, 8).find("collision"), std::string::npos);
}

TEST(StationSource, ChildStationRightsFromTheDaclReadBack) {
    // Ours (created by this launch): the child is granted what user32 needs.
    EXPECT_EQ(child_station_rights_missing("O:SY" + private_station_sddl(kUser, kChildLogon), kChildLogon), 0u);
    // Made first by a launch for another child: this child is named nowhere.
    EXPECT_EQ(child_station_rights_missing(private_station_sddl(kUser, "S-1-5-5-0-7"), kChildLogon),
              kStationRightsNeeded);
    // The child is the launching user (no logon SID): the full-access ACE covers it.
    EXPECT_EQ(child_station_rights_missing(private_station_sddl(kUser, kUser), kUser), 0u);
    // Part of the rights only.
    const auto partial = std::string("D:(A;;") + std::to_string(rights::kWinstaAccessGlobalAtoms) + ";;;" +
                         kChildLogon + ")";
    EXPECT_EQ(child_station_rights_missing(partial, kChildLogon), kStationRightsNeeded & ~rights::kWinstaAccessGlobalAtoms);
    // No security descriptor at all (Wine): no DACL, nothing withheld.
    EXPECT_EQ(child_station_rights_missing("", kChildLogon), 0u);
    EXPECT_THROW((void)child_station_rights_missing("garbage", kChildLogon), Error);
}

PrivateDesktopFacts session_facts() {
    auto f = created_facts();
    f.station_source = StationSource::logon_session;
    f.launcher_is_admin = false;
    f.station = "Service-0x0-3e7$";
    f.desktop = private_station_name("00112233445566778899aabbccddeeff");
    return f;
}

TEST(PrivateDesktopFindings, SessionStationIsSaidAndTheDesktopIsStillVerified) {
    auto f = session_facts();
    auto findings = private_desktop_findings(f);
    ASSERT_EQ(ids(findings), std::vector<std::string>{"desktop.private.session_station"});
    EXPECT_EQ(findings[0].severity, Severity::info);
    EXPECT_NE(findings[0].message.find("Service-0x0-3e7$"), std::string::npos) << findings[0].message;
    EXPECT_NE(findings[0].message.find("shared with other launches"), std::string::npos) << findings[0].message;
    EXPECT_EQ(verdict_of(findings), Verdict::ok);
    EXPECT_EQ(f.lp_desktop(), "Service-0x0-3e7$\\safelaunch-00112233445566778899aabbccddeeff");
    // The station's DACL is someone else's to choose: not compared with the one given.
    f.station_dacl_read = "O:SYD:(A;;0xf037f;;;SY)(A;;0xf037f;;;" + std::string(kChildLogon) + ")";
    EXPECT_EQ(ids(private_desktop_findings(f)), std::vector<std::string>{"desktop.private.session_station"});
    // The desktop's is compared (a pre-existing desktop of that name carries another).
    f.desktop_dacl_read = "D:(A;;0xf01ff;;;WD)";
    EXPECT_EQ(ids(private_desktop_findings(f)),
              (std::vector<std::string>{"desktop.private.dacl_mismatch", "desktop.private.session_station"}));
}

TEST(PrivateDesktopFindings, SessionStationThatDeniesTheChildIsAnError) {
    auto f = session_facts();
    f.station_dacl_read = "O:SYD:(A;;0xf037f;;;SY)(A;;0xf037f;;;" + std::string(kUser) + ")";
    const auto findings = private_desktop_findings(f);
    ASSERT_EQ(ids(findings), (std::vector<std::string>{"desktop.private.session_station",
                                                       "desktop.private.station_denies_child"}));
    EXPECT_EQ(findings[1].severity, Severity::error);
    EXPECT_NE(findings[1].message.find(kChildLogon), std::string::npos) << findings[1].message;
    EXPECT_NE(findings[1].message.find(describe_rights(kStationRightsNeeded, ObjectKind::window_station)),
              std::string::npos)
        << findings[1].message;
    EXPECT_NE(findings[1].evidence.find(*f.station_dacl_read), std::string::npos) << findings[1].evidence;
    EXPECT_EQ(verdict_of(findings), Verdict::blocked);
}

TEST(PrivateDesktopFindings, SessionStationMembershipUnknownSaysWhy) {
    auto f = session_facts();
    f.launcher_is_admin.reset();
    f.admin_check_error = "CheckTokenMembership failed: 1008";
    const auto findings = private_desktop_findings(f);
    ASSERT_EQ(ids(findings), std::vector<std::string>{"desktop.private.session_station"});
    EXPECT_NE(findings[0].evidence.find("1008"), std::string::npos) << findings[0].evidence;
}

TEST(PrivateDesktopFindings, PlanOfANonAdministratorIsTheSessionStation) {
    const auto plan = plan_private_desktop({}, kUser, kChildLogon, true, false);
    EXPECT_EQ(plan.station_source, StationSource::logon_session);
    EXPECT_EQ(plan.lp_desktop(), "<logon session station>\\safelaunch-<random>");
    EXPECT_EQ(ids(private_desktop_findings(plan)), std::vector<std::string>{"desktop.private.session_station"});
    const auto admin = plan_private_desktop({}, kUser, kChildLogon, true, true);
    EXPECT_EQ(admin.station_source, StationSource::random_name);
    EXPECT_EQ(admin.lp_desktop(), "safelaunch-<random>\\Desktop");
    EXPECT_TRUE(private_desktop_findings(admin).empty());
}

TEST(PrivateDesktopFacts, JsonKeepsTheStationSource) {
    const auto f = session_facts();
    const nlohmann::json j = f;
    EXPECT_EQ(j.at("station_source"), "logon_session");
    EXPECT_EQ(j.at("launcher_is_admin"), false);
    const auto back = j.get<PrivateDesktopFacts>();
    EXPECT_EQ(back.station_source, StationSource::logon_session);
    EXPECT_EQ(back.launcher_is_admin, false);
    EXPECT_EQ(nlohmann::json(back), j);
    auto bad = j;
    bad["station_source"] = "borrowed";
    EXPECT_THROW((void)bad.get<PrivateDesktopFacts>(), std::invalid_argument);
    EXPECT_EQ(nlohmann::json(created_facts()).at("station_source"), "random_name");
}

TEST(PlacementOutcome, JsonNamesKindStationDesktopHeapAndFindings) {
    PlacementOutcome p;
    p.kind = Placement::private_desktop;
    auto f = created_facts();
    f.heap_bounded = false;
    p.private_desktop = f;
    p.lp_desktop = f.lp_desktop();
    p.findings = private_desktop_findings(f);
    const nlohmann::json j = p;
    EXPECT_EQ(j.at("kind"), "private");
    EXPECT_EQ(j.at("station"), f.station);
    EXPECT_EQ(j.at("desktop"), "Desktop");
    EXPECT_EQ(j.at("heap_kb"), 512);
    EXPECT_EQ(j.at("lp_desktop"), f.lp_desktop());
    ASSERT_EQ(j.at("findings").size(), 1u);
    EXPECT_EQ(j.at("findings")[0].at("id"), "desktop.private.heap_unbounded");
    EXPECT_EQ(j.at("private").at("child_sid"), kChildLogon);
    const nlohmann::json inherit = PlacementOutcome{};
    EXPECT_EQ(inherit.at("kind"), "inherit");
    EXPECT_TRUE(inherit.at("station").is_null());
    EXPECT_TRUE(inherit.at("lp_desktop").is_null());
    EXPECT_TRUE(inherit.at("findings").empty());
    EXPECT_TRUE(inherit.at("pool").is_null());
}

TEST(PlacementOutcome, JsonNamesThePoolWhenPooled) {
    PlacementOutcome p;
    p.kind = Placement::private_desktop;
    p.pool = PoolPlacement{"ci", "safelaunch-00ff", true, 3, 2, 4};
    const nlohmann::json j = p;
    const auto& pool = j.at("pool");
    EXPECT_EQ(pool.at("name"), "ci");
    EXPECT_EQ(pool.at("station"), "safelaunch-00ff");
    EXPECT_EQ(pool.at("reused"), true);
    EXPECT_EQ(pool.at("lease_number"), 3);
    EXPECT_EQ(pool.at("desktops"), 2);
    EXPECT_EQ(pool.at("leases"), 4);
}

}  // namespace
}  // namespace safelaunch
