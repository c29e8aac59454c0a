#include "safelaunch/sddl.hpp"

#include "safelaunch/access_rights.hpp"

#include "sample_descriptors.hpp"

#include <gtest/gtest.h>

#include <string>

namespace safelaunch {
namespace {

// ---- Real-world descriptors ---------------------------------------------------------------------

struct Sample {
    std::string name;
    std::string sddl;
    std::size_t dacl_aces;  // ACEs in the DACL
};

using samples::kWin11WinSta0;
// Same note, its Default desktop: the note elides the ACEs after the first and the BA one; these two
// are verbatim.
const std::string kWin11DefaultDesktopPart =
    "D:(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;S-1-5-5-0-425489)(A;;CCDCLCDTLOCRRC;;;BA)S:(ML;;NW;;;LW)";
// Chromium remoting/host/win/unprivileged_process_delegate.cc kWindowStationSdFormat /
// kDesktopSdFormat + kLowIntegrityMandatoryLabel, with a logon SID in place of %s.
const std::string kChromotingStation =
    "O:SYG:SYD:(A;CIOIIO;GA;;;SY)(A;CIOIIO;GA;;;S-1-5-5-0-12345)(A;NP;0xf037f;;;SY)"
    "(A;NP;0xf037f;;;S-1-5-5-0-12345)S:(ML;CIOI;NW;;;LW)";
const std::string kChromotingDesktop = "O:SYG:SYD:(A;;0xf01ff;;;SY)(A;;0xf01ff;;;S-1-5-5-0-12345)S:(ML;CIOI;NW;;;LW)";
// Chromium sandbox/win/src/window.cc CreateAltDesktop on a NULL-DACL parent: grants GENERIC_ALL to
// Everyone and ALL APPLICATION PACKAGES, then denies kDesktopDenyMask (WRITE_DAC|WRITE_OWNER|DELETE|
// DESKTOP_CREATEMENU|CREATEWINDOW|HOOKCONTROL|JOURNALPLAYBACK|JOURNALRECORD|SWITCHDESKTOP = 0xD013E)
// to RESTRICTED; SetEntriesInAcl puts the deny first.
const std::string kChromiumAltDesktop = "D:(D;;0xd013e;;;RC)(A;;GA;;;AC)(A;;GA;;;WD)";
// WinRM listener RootSDDL since 2012 R2 (MicrosoftDocs/win32 pull request #2194): audit ACEs, SA/FA.
const std::string kWinRmRoot = "O:NSG:BAD:P(A;;GA;;;BA)(A;;GR;;;IU)S:P(AU;FA;GA;;;WD)(AU;SA;GXGW;;;WD)";
// C:\Windows\System32 as a public winPEAS-style report prints it: PAI, CREATOR OWNER, service SID.
const std::string kSystem32 =
    "O:S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464D:PAI(A;OICIIO;GA;;;CO)"
    "(A;OICIIO;GA;;;SY)(A;;0x1301bf;;;SY)(A;OICIIO;GA;;;BA)(A;;0x1301bf;;;BA)(A;OICIIO;GXGR;;;BU)"
    "(A;;0x1200a9;;;BU)(A;CIIO;GA;;;S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464)"
    "(A;;FA;;;S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464)(A;;0x1200a9;;;AC)"
    "(A;OICIIO;GXGR;;;AC)(A;;0x1200a9;;;S-1-15-2-2)(A;OICIIO;GXGR;;;S-1-15-2-2)";
// TPM registry key descriptor embedded in Windows' HWSecurityRegistryManager (a public decompile):
// AIAR flags, registry rights.
const std::string kTpmKey =
    "O:SYD:AIAR(A;;KR;;;AU)(A;CIIO;GR;;;AU)(A;;KR;;;S-1-15-3-9)(A;CIIO;GR;;;S-1-15-3-9)(A;;KA;;;LS)"
    "(A;CIIO;GA;;;LS)(A;;KA;;;NS)(A;CIIO;GA;;;NS)";
// Excerpt of an Active Directory object's nTSecurityDescriptor from a public dump: object ACEs.
const std::string kAdObject =
    "D:(OA;;RP;e48d0154-bcf8-11d1-8702-00c04fb96050;;S-1-5-11)"
    "(OA;CIIOID;RP;4c164200-20c0-11d0-a768-00aa006e0529;4828cc14-1437-45bc-9b07-ad6f015e5f28;S-1-5-32-554)"
    "(A;;0xf01ff;;;S-1-5-18)";
// Microsoft Learn "Security Descriptor Definition Language for Conditional ACEs" example.
const std::string kConditional =
    "D:(XA;;FX;;;S-1-1-0;(@User.Title==\"PM\" && (@User.Division==\"Finance\" || @User.Division ==\" Sales\")))";

class SddlSamples : public ::testing::TestWithParam<Sample> {};

TEST_P(SddlSamples, ParseAndRoundTrip) {
    const auto& s = GetParam();
    std::error_code ec;
    SddlError err;
    const auto sd = parse_sddl(s.sddl, ec, &err);
    ASSERT_TRUE(sd) << err.describe();
    ASSERT_TRUE(sd->dacl);
    EXPECT_EQ(sd->dacl->aces.size(), s.dacl_aces);
    const auto printed = to_sddl(*sd);
    const auto again = parse_sddl(printed, ec, &err);
    ASSERT_TRUE(again) << printed << ": " << err.describe();
    EXPECT_EQ(*again, *sd) << printed;
    EXPECT_EQ(to_sddl(*again), printed);  // the normalised form is a fixed point
}

INSTANTIATE_TEST_SUITE_P(RealWorld, SddlSamples,
                         ::testing::Values(Sample{"Win11WinSta0", kWin11WinSta0, 15},
                                           Sample{"Win11DefaultDesktop", kWin11DefaultDesktopPart, 2},
                                           Sample{"ChromotingStation", kChromotingStation, 4},
                                           Sample{"ChromotingDesktop", kChromotingDesktop, 2},
                                           Sample{"ChromiumAltDesktop", kChromiumAltDesktop, 3},
                                           Sample{"WinRmRoot", kWinRmRoot, 2}, Sample{"System32", kSystem32, 13},
                                           Sample{"TpmKey", kTpmKey, 8}, Sample{"AdObject", kAdObject, 3},
                                           Sample{"Conditional", kConditional, 1}),
                         [](const auto& p) { return p.param.name; });

TEST(SddlSamplesDetail, Win11WinSta0FieldsAndLabel) {
    const auto sd = parse_sddl(kWin11WinSta0);
    EXPECT_FALSE(sd.owner);
    const auto& aces = sd.dacl->aces;
    EXPECT_EQ(aces[0].mask, 0x24u);  // LCWP = WINSTA_ACCESSCLIPBOARD|WINSTA_ACCESSGLOBALATOMS
    EXPECT_EQ(aces[0].flags, ace_flags::kNoPropagateInherit);
    EXPECT_EQ(aces[1].flags, ace_flags::kObjectInherit | ace_flags::kContainerInherit | ace_flags::kInheritOnly);
    EXPECT_EQ(aces[1].mask, rights::kGenericMask);
    EXPECT_EQ(aces[2].mask, 0xF037Fu);
    EXPECT_EQ(aces[2].sid.to_string(), "S-1-5-5-0-425489");
    EXPECT_TRUE(is_logon_sid(aces[2].sid));
    EXPECT_EQ(aces[6].sid, well_known::kRestrictedCode);
    EXPECT_EQ(aces[8].mask, 0x20166u);  // DCLCWPDTCRRC
    const Ace* label = sd.mandatory_label();
    ASSERT_NE(label, nullptr);
    EXPECT_EQ(label->sid.to_sddl(), "LW");
    EXPECT_EQ(label->mask, label_policy::kNoWriteUp);
}

TEST(SddlSamplesDetail, DirectoryServiceRightNamesSpellDesktopRights) {
    const auto sd = parse_sddl(kWin11DefaultDesktopPart);
    EXPECT_EQ(sd.dacl->aces[0].mask, 0xF01FFu);  // all desktop rights + STANDARD_RIGHTS_REQUIRED
    EXPECT_EQ(sd.dacl->aces[1].mask, 0x201C7u);
}

// The note prints the DACL over several lines; whitespace between ACEs is skipped.
TEST(SddlSamplesDetail, WhitespaceBetweenAcesAndSectionsIsSkipped) {
    const auto compact = parse_sddl(kWin11WinSta0);
    std::string spaced = kWin11WinSta0;
    for (std::size_t i = spaced.find(")("); i != std::string::npos; i = spaced.find(")(", i + 3))
        spaced.replace(i, 2, ")\n               (");
    spaced.replace(spaced.find("S:"), 2, "\nS:");
    EXPECT_EQ(parse_sddl(spaced), compact);
    EXPECT_EQ(parse_sddl(" O:SY G:BA D:( A ; ; GA ; ; ; SY ) "), parse_sddl("O:SYG:BAD:(A;;GA;;;SY)"));
}

TEST(SddlSamplesDetail, ConditionAndGuidsAreKept) {
    const auto cond = parse_sddl(kConditional);
    EXPECT_EQ(cond.dacl->aces[0].type, AceType::allow_callback);
    EXPECT_EQ(cond.dacl->aces[0].application_data,
              "(@User.Title==\"PM\" && (@User.Division==\"Finance\" || @User.Division ==\" Sales\"))");
    const auto ad = parse_sddl(kAdObject);
    EXPECT_EQ(ad.dacl->aces[1].object_guid, "4c164200-20c0-11d0-a768-00aa006e0529");
    EXPECT_EQ(ad.dacl->aces[1].inherit_object_guid, "4828cc14-1437-45bc-9b07-ad6f015e5f28");
    EXPECT_EQ(ad.dacl->aces[1].flags, ace_flags::kContainerInherit | ace_flags::kInheritOnly | ace_flags::kInherited);
    const auto upper = parse_sddl("D:(OA;;RP;E48D0154-BCF8-11D1-8702-00C04FB96050;;AU)");
    EXPECT_EQ(upper.dacl->aces[0].object_guid, "e48d0154-bcf8-11d1-8702-00c04fb96050");
}

// ---- Absent, NULL and empty DACLs --------------------------------------------------------------

TEST(Sddl, AbsentNullAndEmptyDaclsAreDistinct) {
    const auto absent = parse_sddl("O:SYG:SY");
    EXPECT_TRUE(absent.dacl_absent());
    EXPECT_FALSE(absent.dacl_null());
    EXPECT_FALSE(absent.dacl_empty());

    const auto null_dacl = parse_sddl("D:NO_ACCESS_CONTROL");
    EXPECT_TRUE(null_dacl.dacl_null());
    EXPECT_FALSE(null_dacl.dacl_absent());
    EXPECT_FALSE(null_dacl.dacl_empty());

    const auto empty = parse_sddl("D:");
    EXPECT_TRUE(empty.dacl_empty());
    EXPECT_FALSE(empty.dacl_null());

    const auto protected_empty = parse_sddl("D:PS:(ML;;NW;;;LW)");
    EXPECT_TRUE(protected_empty.dacl_empty());
    EXPECT_TRUE(protected_empty.dacl->is_protected);
    ASSERT_NE(protected_empty.mandatory_label(), nullptr);

    EXPECT_EQ(to_sddl(absent), "O:SYG:SY");
    EXPECT_EQ(to_sddl(null_dacl), "D:NO_ACCESS_CONTROL");
    EXPECT_EQ(to_sddl(empty), "D:");
    EXPECT_EQ(to_sddl(protected_empty), "D:PS:(ML;;0x1;;;LW)");
}

TEST(Sddl, AclFlagsCombine) {
    const auto sd = parse_sddl("D:PARAI(A;;GA;;;SY)S:PNO_ACCESS_CONTROL");
    EXPECT_TRUE(sd.dacl->is_protected);
    EXPECT_TRUE(sd.dacl->auto_inherit_req);
    EXPECT_TRUE(sd.dacl->auto_inherited);
    EXPECT_TRUE(sd.sacl->is_null);
    EXPECT_TRUE(sd.sacl->is_protected);
    EXPECT_EQ(to_sddl(sd), "D:PARAI(A;;0x10000000;;;SY)S:PNO_ACCESS_CONTROL");
}

TEST(Sddl, SectionsInAnyOrderPrintInOgdsOrder) {
    EXPECT_EQ(to_sddl(parse_sddl("S:(ML;;NW;;;HI)D:(A;;GR;;;WD)G:BAO:S-1-5-18")),
              "O:SYG:BAD:(A;;0x80000000;;;WD)S:(ML;;0x1;;;HI)");
}

TEST(Sddl, NormalisedFormUsesHexRightsAliasesAndWindowsFlagOrder) {
    EXPECT_EQ(to_sddl(parse_sddl("O:S-1-5-32-544D:(A;IOCIOI;GAGR;;;S-1-5-32-545)")),
              "O:BAD:(A;OICIIO;0x90000000;;;BU)");
    EXPECT_EQ(to_sddl(parse_sddl("D:(A;;0X001F01FF;;;S-1-5-21-1-2-3-500)")), "D:(A;;0x1f01ff;;;S-1-5-21-1-2-3-500)");
}

struct NumberCase {
    std::string rights;
    std::uint32_t mask;
};

class SddlRightsTable : public ::testing::TestWithParam<NumberCase> {};

TEST_P(SddlRightsTable, ReadsRightsLikeWindows) {
    const auto& c = GetParam();
    EXPECT_EQ(parse_sddl("D:(A;;" + c.rights + ";;;WD)").dacl->aces[0].mask, c.mask) << c.rights;
}

// Values: sddl.h SDDL_* right strings and winnt.h; numbers as wcstoul(base 0) reads them.
INSTANTIATE_TEST_SUITE_P(
    NamesAndNumbers, SddlRightsTable,
    ::testing::Values(NumberCase{"GA", 0x10000000}, NumberCase{"GRGWGX", 0xE0000000}, NumberCase{"RCSDWDWO", 0xF0000},
                      NumberCase{"CCDCLCSWRPWPDTLOCR", 0x1FF}, NumberCase{"FA", 0x1F01FF}, NumberCase{"FR", 0x120089},
                      NumberCase{"FW", 0x120116}, NumberCase{"FX", 0x1200A0}, NumberCase{"KA", 0xF003F},
                      NumberCase{"KR", 0x20019}, NumberCase{"KW", 0x20006}, NumberCase{"KX", 0x20019},
                      NumberCase{"NWNRNX", 0x7}, NumberCase{"0x37f", 0x37F}, NumberCase{"0xFFFFFFFF", 0xFFFFFFFF},
                      NumberCase{"983551", 0xF01FF}, NumberCase{"0777", 0x1FF}, NumberCase{"", 0},
                      // The highest digit of each base, and a lone 0 (decimal, not an empty octal).
                      NumberCase{"07", 7}, NumberCase{"19", 19}, NumberCase{"0xfF", 0xFF}, NumberCase{"0", 0}));

// ---- Errors -----------------------------------------------------------------------------------

struct ErrorCase {
    std::string name;
    std::string sddl;
    std::size_t position;
    std::string reason_part;
};

class SddlErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(SddlErrors, ReportPositionAndReason) {
    const auto& c = GetParam();
    std::error_code ec;
    SddlError err;
    const auto sd = parse_sddl(c.sddl, ec, &err);
    ASSERT_FALSE(sd) << to_sddl(*sd);
    EXPECT_EQ(ec.value(), 1338);  // ERROR_INVALID_SECURITY_DESCR
    EXPECT_EQ(&ec.category(), &win32_category());
    EXPECT_EQ(err.position, c.position) << err.describe();
    EXPECT_NE(err.reason.find(c.reason_part), std::string::npos) << err.describe();
    const auto line = err.describe();
    EXPECT_EQ(line.find('\n'), std::string::npos);
    EXPECT_LE(err.near.size(), 32u);
}

INSTANTIATE_TEST_SUITE_P(
    Classes, SddlErrors,
    ::testing::Values(
        ErrorCase{"Empty", "", 0, "empty"}, ErrorCase{"Blank", " \t\n", 0, "empty"},
        ErrorCase{"NoSection", "(A;;GA;;;SY)", 0, "expected O:, G:, D: or S:"},
        ErrorCase{"UnknownSection", "X:SY", 0, "expected O:, G:, D: or S:"},
        ErrorCase{"UnknownAceType", "D:(X;;GA;;;SY)", 3, "unknown ACE type \"X\""},
        ErrorCase{"LowerCaseAceType", "D:(a;;GA;;;SY)", 3, "unknown ACE type"},
        ErrorCase{"BadSidInAce", "D:(A;;GA;;;S-1-5-x)", 11, "invalid SID \"S-1-5-x\""},
        ErrorCase{"UnknownAliasInAce", "D:(A;;GA;;;QQ)", 11, "invalid SID"},
        ErrorCase{"BadOwner", "O:S-2-5-18D:", 2, "invalid SID"}, ErrorCase{"MissingOwner", "O:G:SY", 2, "missing SID"},
        ErrorCase{"MissingAceSid", "D:(A;;GA;;;)", 11, "missing SID"},
        ErrorCase{"BadRightsToken", "D:(A;;GAGZ;;;SY)", 8, "unknown access right \"GZ\""},
        ErrorCase{"OddRightsToken", "D:(A;;GAG;;;SY)", 8, "unknown access right \"G\""},
        ErrorCase{"MaskOverflow", "D:(A;;0x100000000;;;SY)", 6, "bad access mask"},
        ErrorCase{"BadHexMask", "D:(A;;0x1G;;;SY)", 6, "bad access mask"},
        // wcstoul(base 0) stops at a digit outside the base: 8 is not octal, a is not decimal.
        ErrorCase{"OctalMaskWithDigit8", "D:(A;;08;;;SY)", 6, "bad access mask"},
        ErrorCase{"DecimalMaskWithHexDigit", "D:(A;;1a;;;SY)", 6, "bad access mask"},
        ErrorCase{"UnknownAceFlag", "D:(A;OIXX;GA;;;SY)", 7, "unknown ACE flag \"XX\""},
        ErrorCase{"UnclosedAce", "D:(A;;GA;;;SY", 2, "unbalanced parenthesis"},
        ErrorCase{"ExtraCloseParen", "D:(A;;GA;;;SY))", 14, "unbalanced parenthesis"},
        ErrorCase{"NestedOpenParen", "D:(A;;(GA;;;SY)", 6, "unexpected '('"},
        ErrorCase{"UnclosedCondition", "D:(XA;;GA;;;SY;(@User.x==1)", 2, "unbalanced parenthesis"},
        ErrorCase{"UnbalancedCondition", "D:(XA;;GA;;;SY;((x)", 15, "unbalanced parenthesis"},
        ErrorCase{"TooFewFields", "D:(A;;GA;;SY)", 2, "ACE has 5 fields"},
        ErrorCase{"TooManyFields", "D:(A;;GA;;;SY;x)", 13, "more than 6 fields"},
        ErrorCase{"TrailingJunk", "D:(A;;GA;;;SY)xyz", 14, "unexpected text after the ACL"},
        ErrorCase{"TrailingJunkAfterOwner", "O:SY D:(A;;GA;;;SY) ;", 20, "unexpected text after the ACL"},
        ErrorCase{"AceWithoutParens", "D:A;;GA;;;SY)", 2, "unexpected text after the ACL"},
        ErrorCase{"DuplicateDacl", "D:(A;;GA;;;SY)D:", 14, "duplicate D:"},
        ErrorCase{"DuplicateOwner", "O:SYO:BA", 4, "duplicate O:"},
        ErrorCase{"NullAclWithAces", "D:NO_ACCESS_CONTROL(A;;GA;;;SY)", 19, "NO_ACCESS_CONTROL"},
        ErrorCase{"BadGuid", "D:(OA;;RP;e48d0154-bcf8-11d1-8702;;AU)", 10, "bad GUID"},
        ErrorCase{"GuidOnPlainAce", "D:(A;;RP;e48d0154-bcf8-11d1-8702-00c04fb96050;;AU)", 9, "object GUID"},
        ErrorCase{"BinaryGarbage", std::string("D:(A;;GA;;;S\x01\xff)", 15), 11, "invalid SID"}),
    [](const auto& p) { return p.param.name; });

TEST(SddlErrorsDetail, MessageNamesPositionAndOffendingText) {
    std::error_code ec;
    SddlError err;
    ASSERT_FALSE(parse_sddl("O:SYD:(A;;GA;;;SY)(X;;GA;;;BA)", ec, &err));
    EXPECT_EQ(err.describe(), "SDDL error at 19 near \"X;;GA;;;BA)\": unknown ACE type \"X\"");
}

TEST(SddlErrorsDetail, NonPrintableBytesAreMaskedInTheMessage) {
    std::error_code ec;
    SddlError err;
    ASSERT_FALSE(parse_sddl(std::string("D:(\x01\x02;;GA;;;SY)"), ec, &err));
    EXPECT_EQ(err.near.substr(0, 2), "??");
    // DEL (0x7F) is a control character too, in the reason's quoted text as in `near`.
    ASSERT_FALSE(parse_sddl(std::string("D:(X\x7f;;GA;;;SY)"), ec, &err));
    EXPECT_EQ(err.reason, "unknown ACE type \"X?\"");
    EXPECT_EQ(err.near.substr(0, 2), "X?");
}

TEST(SddlErrorsDetail, ThrowingOverloadIsASafelaunchError) {
    try {
        (void)parse_sddl("D:(A;;GA;;;SY");
        FAIL() << "no exception";
    } catch (const SddlParseError& e) {
        EXPECT_EQ(e.code().value(), 1338);
        EXPECT_EQ(e.api(), "parse_sddl");
        EXPECT_EQ(e.detail().position, 2u);
        EXPECT_STREQ(e.what(), e.detail().describe().c_str());
        const Error& base = e;  // catchable as the house error type
        EXPECT_EQ(base.failure().code.value(), 1338);
    }
}

TEST(SddlErrorsDetail, VeryLongInputsFailCleanly) {
    std::error_code ec;
    SddlError err;
    // Longer than kMaxSddlLength.
    std::string huge = "D:";
    while (huge.size() <= kMaxSddlLength) huge += "(A;;GA;;;SY)";
    EXPECT_FALSE(parse_sddl(huge, ec, &err));
    EXPECT_NE(err.reason.find("longer than"), std::string::npos);
    // Within the length limit but more ACEs than one ACL can hold.
    std::string many = "D:";
    for (std::size_t i = 0; i <= kMaxAcesPerAcl; ++i) many += "(A;;1;;;WD)";
    EXPECT_FALSE(parse_sddl(many, ec, &err));
    EXPECT_NE(err.reason.find("ACEs in one ACL"), std::string::npos);
    // A long SID-like token.
    EXPECT_FALSE(parse_sddl("O:S-1-5" + std::string(5000, '1'), ec, &err));
    EXPECT_FALSE(parse_sddl("D:(A;;" + std::string(5000, 'G') + ";;;SY)", ec, &err));
}

TEST(SddlErrorsDetail, LongButValidDescriptorParsesAndRoundTrips) {
    std::string sddl = "O:SYD:P";
    for (int i = 0; i < 2000; ++i) sddl += "(A;;0x" + std::to_string(i) + ";;;S-1-5-21-1-2-3-" + std::to_string(1000 + i) + ")";
    const auto sd = parse_sddl(sddl);
    ASSERT_EQ(sd.dacl->aces.size(), 2000u);
    EXPECT_EQ(parse_sddl(to_sddl(sd)), sd);
}

TEST(Sddl, DomainAliasesResolveWithOptions) {
    SddlOptions options;
    options.sids.domain = parse_sid("S-1-5-21-10-20-30");
    const auto sd = parse_sddl("O:LAD:(A;;GA;;;DA)", options);
    EXPECT_EQ(sd.owner->to_string(), "S-1-5-21-10-20-30-500");
    EXPECT_EQ(sd.dacl->aces[0].sid.to_string(), "S-1-5-21-10-20-30-512");
    const auto unresolved = parse_sddl("O:LAD:(A;;GA;;;DA)");
    EXPECT_TRUE(unresolved.owner->is_unresolved_alias());
    EXPECT_EQ(to_sddl(unresolved), "O:LAD:(A;;0x10000000;;;DA)");
}

}  // namespace
}  // namespace safelaunch
