#include "safelaunch/desktop_spec.hpp"

#include <gtest/gtest.h>

#include <string>

namespace safelaunch {
namespace {

// ---- Accepted forms -------------------------------------------------------------------------

TEST(DesktopSpec, NullInheritsTheParents) {
    const auto r = parse_desktop_spec(std::nullopt);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->kind, DesktopSpecKind::inherit);
    EXPECT_FALSE(r->to_string());
}

TEST(DesktopSpec, EmptyMeansHiddenSessionStation) {
    const auto r = parse_desktop_spec(std::string_view(""));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->kind, DesktopSpecKind::hidden_session);
    EXPECT_EQ(r->to_string(), std::string());
}

TEST(DesktopSpec, SingleNameIsRelativeDesktop) {
    const auto r = parse_desktop_spec(std::string_view("Default"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->kind, DesktopSpecKind::relative);
    EXPECT_EQ(r->desktop, "Default");
    EXPECT_TRUE(r->station.empty());
}

TEST(DesktopSpec, StationBackslashDesktopIsAbsolute) {
    const auto r = parse_desktop_spec(std::string_view("WinSta0\\Default"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->kind, DesktopSpecKind::absolute);
    EXPECT_EQ(r->station, "WinSta0");
    EXPECT_EQ(r->desktop, "Default");
}

TEST(DesktopSpec, NamesKeepTheirCaseAndSpaces) {
    // Windows does not trim: " WinSta0" is a different (missing) station. Kept as given.
    const auto r = parse_desktop_spec(std::string_view(" winsta0\\My Desk "));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->station, " winsta0");
    EXPECT_EQ(r->desktop, "My Desk ");
}

// ---- Rejected forms: one reason each --------------------------------------------------------

struct BadRow {
    std::string spec;
    DesktopSpecReason reason;
};

class DesktopSpecRejects : public ::testing::TestWithParam<BadRow> {};

TEST_P(DesktopSpecRejects, WithItsOwnReasonAndAMessageNamingTheValue) {
    const auto& row = GetParam();
    const auto r = parse_desktop_spec(std::string_view(row.spec));
    ASSERT_FALSE(r) << row.spec;
    EXPECT_EQ(r.reason(), row.reason) << to_string(r.reason());
    EXPECT_EQ(r.problem().message.rfind("lpDesktop \"", 0), 0u) << r.problem().message;
    EXPECT_EQ(r.problem().message.find('\n'), std::string::npos);
    EXPECT_EQ(r.problem().message.find('\0'), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    Table, DesktopSpecRejects,
    ::testing::Values(BadRow{"WinSta0\\", DesktopSpecReason::empty_desktop},
                      BadRow{"\\Default", DesktopSpecReason::empty_station},
                      BadRow{"\\", DesktopSpecReason::empty_station},
                      BadRow{"WinSta0/Default", DesktopSpecReason::forward_slash},
                      BadRow{"WinSta0\\Def/ault", DesktopSpecReason::forward_slash},
                      BadRow{"/", DesktopSpecReason::forward_slash},
                      BadRow{"WinSta0\\Default\\x", DesktopSpecReason::too_many_separators},
                      BadRow{"\\\\", DesktopSpecReason::too_many_separators},
                      BadRow{"WinSta0\\\\Default", DesktopSpecReason::too_many_separators},
                      BadRow{std::string("WinSta0\\Def\0ault", 15), DesktopSpecReason::embedded_nul},
                      BadRow{std::string("\0", 1), DesktopSpecReason::embedded_nul},
                      BadRow{"WinSta0\\\xff", DesktopSpecReason::invalid_utf8},
                      BadRow{"\xc0\xaf", DesktopSpecReason::invalid_utf8},          // overlong '/'
                      BadRow{"\xed\xa0\x80", DesktopSpecReason::invalid_utf8},      // surrogate
                      BadRow{"Desk\xe2\x82", DesktopSpecReason::invalid_utf8},      // truncated
                      BadRow{std::string(260, 'd'), DesktopSpecReason::name_too_long},
                      BadRow{std::string(260, 's') + "\\Default", DesktopSpecReason::name_too_long}));

TEST(DesktopSpec, LimitIs259Utf16UnitsPerName) {
    EXPECT_TRUE(parse_desktop_spec(std::string_view(std::string(259, 'd'))));
    EXPECT_TRUE(parse_desktop_spec(std::string_view(std::string(259, 's') + "\\" + std::string(259, 'd'))));
    // U+00E9 is 2 UTF-8 bytes but 1 UTF-16 unit: 259 of them fit.
    std::string e_acute;
    for (int i = 0; i < 259; ++i) e_acute += "\xc3\xa9";
    EXPECT_TRUE(parse_desktop_spec(std::string_view(e_acute)));
    // U+1F600 is 2 UTF-16 units: 130 of them (260 units) do not fit.
    std::string emoji;
    for (int i = 0; i < 130; ++i) emoji += "\xf0\x9f\x98\x80";
    EXPECT_EQ(parse_desktop_spec(std::string_view(emoji)).reason(), DesktopSpecReason::name_too_long);
}

TEST(DesktopSpec, ValueThrowsInvalidDesktopSpecWithTheReasonCode) {
    const auto r = parse_desktop_spec(std::string_view("WinSta0/Default"));
    try {
        (void)r.value();
        FAIL() << "no throw";
    } catch (const InvalidDesktopSpec& e) {
        EXPECT_EQ(e.code(), make_error_code(DesktopSpecReason::forward_slash));
        EXPECT_NE(std::string(e.what()).find("WinSta0/Default"), std::string::npos) << e.what();
    }
}

TEST(DesktopSpec, ErrorCodeOverloadSetsAndClears) {
    std::error_code ec = make_error_code(DesktopSpecReason::embedded_nul);
    auto ok = parse_desktop_spec(std::string_view("WinSta0\\Default"), ec);
    EXPECT_TRUE(ok);
    EXPECT_FALSE(ec);
    auto bad = parse_desktop_spec(std::string_view("WinSta0\\"), ec);
    EXPECT_FALSE(bad);
    EXPECT_EQ(ec, DesktopSpecReason::empty_desktop);
    EXPECT_EQ(ec.category().name(), std::string("desktop_spec"));
}

// ---- Round trips and comparison -------------------------------------------------------------

class DesktopSpecRoundTrip : public ::testing::TestWithParam<std::optional<std::string>> {};

TEST_P(DesktopSpecRoundTrip, ToStringParsesBackToAnEqualSpec) {
    const auto& in = GetParam();
    const auto a = parse_desktop_spec(in ? std::optional<std::string_view>(*in) : std::nullopt);
    ASSERT_TRUE(a);
    const auto text = a->to_string();
    EXPECT_EQ(text, in);  // exact: case and spelling are kept
    const auto b = parse_desktop_spec(text ? std::optional<std::string_view>(*text) : std::nullopt);
    ASSERT_TRUE(b);
    EXPECT_TRUE(equals(*a, *b));
}

INSTANTIATE_TEST_SUITE_P(Table, DesktopSpecRoundTrip,
                         ::testing::Values(std::nullopt, std::string(""), std::string("Default"),
                                           std::string("WinSta0\\Default"),
                                           std::string("Service-0x0-3e7$\\Default"),
                                           std::string("safelaunch-1234\\canary"),
                                           std::string("Stati\xc3\xb6n\\\xd0\x94\xd0\xb5\xd1\x81\xd0\xba")));

TEST(DesktopSpec, EqualsIgnoresCase) {
    EXPECT_TRUE(equals(parse_desktop_spec(std::string_view("WinSta0\\Default")).value(),
                       parse_desktop_spec(std::string_view("WINSTA0\\default")).value()));
    EXPECT_FALSE(equals(parse_desktop_spec(std::string_view("WinSta0\\Default")).value(),
                        parse_desktop_spec(std::string_view("Default")).value()));
    EXPECT_FALSE(equals(parse_desktop_spec(std::nullopt).value(),
                        parse_desktop_spec(std::string_view("")).value()));
    EXPECT_TRUE(equals(parse_desktop_spec(std::string_view("")).value(),
                       parse_desktop_spec(std::string_view("")).value()));
}

struct NameRow {
    const char* a;
    const char* b;
    bool equal;
};

class DesktopSpecNames : public ::testing::TestWithParam<NameRow> {};

TEST_P(DesktopSpecNames, CompareCaseInsensitivelyPerUtf16Unit) {
    const auto r = GetParam();
    EXPECT_EQ(names_equal(r.a, r.b), r.equal) << r.a << " vs " << r.b;
}

INSTANTIATE_TEST_SUITE_P(
    Table, DesktopSpecNames,
    ::testing::Values(NameRow{"WinSta0", "winsta0", true},
                      NameRow{"Default", "DEFAULT", true},
                      NameRow{"Default", "Default ", false},
                      NameRow{"\xc3\xa9t\xc3\xa9", "\xc3\x89T\xc3\x89", true},             // été / ÉTÉ
                      NameRow{"\xc3\xbf", "\xc5\xb8", true},                               // ÿ / Ÿ
                      NameRow{"\xc5\x82\xc3\xb3" "d\xc5\xba", "\xc5\x81\xc3\x93" "D\xc5\xb9", true},  // łódź
                      NameRow{"\xd0\xb4\xd0\xb5\xd1\x81\xd0\xba", "\xd0\x94\xd0\x95\xd0\xa1\xd0\x9a", true},  // деск
                      NameRow{"\xd1\x91", "\xd0\x81", true},                               // ё / Ё
                      NameRow{"\xcf\x83", "\xce\xa3", true},                               // σ / Σ
                      NameRow{"stra\xc3\x9f" "e", "STRASSE", false},  // no multi-char folding
                      NameRow{"a", "\xc3\xa0", false}));

// ---- Hidden station names -------------------------------------------------------------------

TEST(DesktopSpec, HiddenStationNameMatchesWindowsSpelling) {
    EXPECT_EQ(hidden_station_name(0x3e7), "Service-0x0-3e7$");                   // LocalSystem
    EXPECT_EQ(hidden_station_name(0x3e4), "Service-0x0-3e4$");                   // NetworkService
    EXPECT_EQ(hidden_station_name(0x3e5), "Service-0x0-3e5$");                   // LocalService
    EXPECT_EQ(hidden_station_name(0x00000001000A1B2Cull), "Service-0x1-a1b2c$");
    EXPECT_EQ(hidden_station_name(0), "Service-0x0-0$");
    EXPECT_EQ(hidden_station_name(~0ull), "Service-0xffffffff-ffffffff$");
}

TEST(DesktopSpec, HiddenStationNameParsesBack) {
    for (std::uint64_t luid : {0x3e7ull, 0ull, 0x1000a1b2cull, ~0ull})
        EXPECT_EQ(parse_hidden_station_name(hidden_station_name(luid)), luid);
    EXPECT_EQ(parse_hidden_station_name("SERVICE-0X0-3E7$"), 0x3e7u);
    EXPECT_FALSE(parse_hidden_station_name("WinSta0"));
    EXPECT_FALSE(parse_hidden_station_name("Service-0x0-3e7"));
    EXPECT_FALSE(parse_hidden_station_name("Service-0x-3e7$"));
    EXPECT_FALSE(parse_hidden_station_name("Service-0x123456789-0$"));
    EXPECT_FALSE(parse_hidden_station_name("Service-0x0-3g7$"));
}

// ---- Resolution, in Windows' order ----------------------------------------------------------

[[nodiscard]] ResolvedDesktop resolve(std::optional<std::string_view> spec, const ResolveContext& ctx) {
    return resolve_desktop(parse_desktop_spec(spec).value(), ctx);
}

TEST(DesktopSpecResolve, NullCopiesTheParentsStationAndDesktop) {
    ResolveContext ctx;
    ctx.parent_station = "Service-0x0-3e7$";
    ctx.parent_desktop = "Default";
    ctx.interactive_session = false;
    const auto r = resolve(std::nullopt, ctx);
    EXPECT_EQ(r.station, "Service-0x0-3e7$");
    EXPECT_EQ(r.desktop, "Default");
    EXPECT_EQ(r.how, ResolveHow::inherited);
    EXPECT_EQ(to_string(r.how), "inherited");
}

TEST(DesktopSpecResolve, NamedStationWinsOverEverything) {
    ResolveContext ctx;
    ctx.inherited_station = "Other";
    ctx.interactive_session = false;
    const auto r = resolve("safelaunch-1\\canary", ctx);
    EXPECT_EQ(r.station, "safelaunch-1");
    EXPECT_EQ(r.desktop, "canary");
    EXPECT_EQ(r.how, ResolveHow::named);
}

TEST(DesktopSpecResolve, EmptyOutsideTheInteractiveSessionGetsTheHiddenStation) {
    ResolveContext ctx;
    ctx.logon_luid = 0x3e7;
    ctx.interactive_session = false;
    const auto r = resolve("", ctx);
    EXPECT_EQ(r.station, "Service-0x0-3e7$");
    EXPECT_EQ(r.desktop, "Default");
    EXPECT_EQ(r.how, ResolveHow::hidden_session);
    EXPECT_EQ(to_string(r.how), "hidden per-logon-session station");
}

TEST(DesktopSpecResolve, EmptyInTheInteractiveSessionGetsWinSta0) {
    ResolveContext ctx;
    ctx.logon_luid = 0x1a2b3;
    ctx.interactive_session = true;
    const auto r = resolve("", ctx);
    EXPECT_EQ(r.station, "WinSta0");
    EXPECT_EQ(r.desktop, "Default");
    EXPECT_EQ(r.how, ResolveHow::interactive);
}

TEST(DesktopSpecResolve, RelativeDesktopUsesTheStationTheRulesPick) {
    ResolveContext ctx;
    ctx.logon_luid = 0x1000a1b2c;
    ctx.interactive_session = false;
    EXPECT_EQ(resolve("canary", ctx).station, "Service-0x1-a1b2c$");
    EXPECT_EQ(resolve("canary", ctx).desktop, "canary");
    ctx.interactive_session = true;
    EXPECT_EQ(resolve("canary", ctx).station, "WinSta0");
    ctx.inherited_station = "Inherited";
    EXPECT_EQ(resolve("canary", ctx).station, "Inherited");
    EXPECT_EQ(resolve("canary", ctx).how, ResolveHow::inherited_handle);
}


TEST(DesktopSpecResolve, EmptyForRunAsLogonInheritsLikeNull) {
    // CreateProcessWithLogonW: "If the lpDesktop member is NULL or an empty string, the new process
    // inherits the desktop and window station of its parent process".
    ResolveContext ctx;
    ctx.parent_station = "WinSta0";
    ctx.parent_desktop = "Default";
    ctx.logon_luid = 0x1a2b3;
    ctx.interactive_session = false;
    ctx.empty_means_inherit = true;
    const auto r = resolve("", ctx);
    EXPECT_EQ(r.station, "WinSta0");
    EXPECT_EQ(r.desktop, "Default");
    EXPECT_EQ(r.how, ResolveHow::inherited);
    // A relative name is still resolved by the rules.
    EXPECT_EQ(resolve("canary", ctx).station, "Service-0x0-1a2b3$");
}

// M4: "interactive" is a logon session, not the INTERACTIVE group.
InteractiveFacts interactive_facts() {
    InteractiveFacts f;
    f.token_logon_sid = "S-1-5-5-0-12345";
    f.token_session = 1;
    f.token_has_interactive_group = true;
    f.launcher_session = 1;
    f.winsta0_user_sid = "S-1-5-5-0-12345";
    return f;
}

TEST(DesktopSpecInteractive, TheInteractiveUsersLogonSidIsInteractive) {
    const auto d = decide_interactive(interactive_facts());
    EXPECT_TRUE(d.interactive);
    EXPECT_EQ(d.basis, InteractiveBasis::logon_sid);
    auto f = interactive_facts();
    f.winsta0_user_sid = "s-1-5-5-0-12345";  // SID text compares case-insensitively
    EXPECT_TRUE(decide_interactive(f).interactive);
}

TEST(DesktopSpecInteractive, LogonUserTokenWithTheInteractiveGroupButItsOwnLogonSessionIsNot) {
    auto f = interactive_facts();
    f.token_logon_sid = "S-1-5-5-0-99999";  // LogonUserW(INTERACTIVE): S-1-5-4, a new logon session
    const auto d = decide_interactive(f);
    EXPECT_FALSE(d.interactive);
    EXPECT_EQ(d.basis, InteractiveBasis::logon_sid);
    f.token_logon_sid.reset();  // no logon SID at all
    EXPECT_FALSE(decide_interactive(f).interactive);
}

TEST(DesktopSpecInteractive, NoUserOnWinSta0MeansNobodyIsInteractive) {
    auto f = interactive_facts();
    f.winsta0_user_sid = "";
    EXPECT_FALSE(decide_interactive(f).interactive);
    EXPECT_EQ(decide_interactive(f).basis, InteractiveBasis::logon_sid);
}

TEST(DesktopSpecInteractive, UnknownUserSidFallsBackToTheGroupRule) {
    auto f = interactive_facts();
    f.winsta0_user_sid.reset();  // Wine: UOI_USER_SID fails with ERROR_INVALID_PARAMETER
    auto d = decide_interactive(f);
    EXPECT_TRUE(d.interactive);
    EXPECT_EQ(d.basis, InteractiveBasis::group_fallback);
    f.token_session = 0;
    f.launcher_session = 0;
    EXPECT_FALSE(decide_interactive(f).interactive);  // services' session
    f.token_session = 1;
    f.token_has_interactive_group = false;
    EXPECT_FALSE(decide_interactive(f).interactive);
}

TEST(DesktopSpecInteractive, WinSta0OfAnotherSessionDecidesNothing) {
    auto f = interactive_facts();
    f.launcher_session = 0;  // a service read session 0's WinSta0; the token is of session 1
    const auto d = decide_interactive(f);
    EXPECT_EQ(d.basis, InteractiveBasis::group_fallback);
    EXPECT_TRUE(d.interactive);
    f.launcher_session.reset();
    EXPECT_EQ(decide_interactive(f).basis, InteractiveBasis::group_fallback);
}

}  // namespace
}  // namespace safelaunch
