#include "safelaunch/sid.hpp"

#include "safelaunch/error.hpp"

#include <gtest/gtest.h>

#include <string>

namespace safelaunch {
namespace {

struct SidCase {
    std::string text;
    std::string canonical;  // "" = must be rejected
};

class SidParseTable : public ::testing::TestWithParam<SidCase> {};

TEST_P(SidParseTable, ParsesOrRejects) {
    const auto& c = GetParam();
    std::error_code ec;
    const auto sid = parse_sid(c.text, ec);
    if (c.canonical.empty()) {
        EXPECT_FALSE(sid) << c.text << " -> " << sid->to_string();
        EXPECT_EQ(ec.value(), 1337);  // ERROR_INVALID_SID
        EXPECT_EQ(&ec.category(), &win32_category());
    } else {
        ASSERT_TRUE(sid) << c.text;
        EXPECT_FALSE(ec);
        EXPECT_EQ(sid->to_string(), c.canonical);
    }
}

INSTANTIATE_TEST_SUITE_P(
    Rules, SidParseTable,
    ::testing::Values(SidCase{"S-1-5-18", "S-1-5-18"},
                      SidCase{"s-1-5-32-544", "S-1-5-32-544"},
                      SidCase{"S-1-5", "S-1-5"},  // no sub-authority is a valid SID
                      SidCase{"S-1-5-5-0-425489", "S-1-5-5-0-425489"},
                      SidCase{"S-1-5-21-1404025739-2863521018-325569422-500",
                              "S-1-5-21-1404025739-2863521018-325569422-500"},
                      SidCase{"S-1-5-007", "S-1-5-7"},
                      // 48-bit authority: decimal up to 2^48-1, printed in hex from 2^32 on
                      SidCase{"S-1-4294967295-1", "S-1-4294967295-1"},
                      SidCase{"S-1-4294967296-1", "S-1-0x000100000000-1"},
                      SidCase{"S-1-0x000100000000-1", "S-1-0x000100000000-1"},
                      SidCase{"S-1-0xFFFFFFFFFFFF", "S-1-0xFFFFFFFFFFFF"},
                      SidCase{"S-1-0x12", "S-1-18"},
                      SidCase{"S-1-1-0-1-2-3-4-5-6-7-8-9-10-11-12-13-14", "S-1-1-0-1-2-3-4-5-6-7-8-9-10-11-12-13-14"},
                      SidCase{"S-1-5-4294967295", "S-1-5-4294967295"},
                      SidCase{"S-1-5-4294967296", ""},       // sub-authority over 32 bits
                      SidCase{"S-1-281474976710656", ""},    // authority over 48 bits
                      SidCase{"S-1-0x1000000000000", ""},    // 13 hex digits
                      SidCase{"S-1-1-0-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15", ""},  // 16 sub-authorities
                      SidCase{"S-2-5-18", ""},               // revision 2
                      SidCase{"S-1-5-", ""},
                      SidCase{"S-1--5", ""},
                      SidCase{"S-1", ""},
                      SidCase{"S-1-5-x", ""},
                      SidCase{"S-1-5--18", ""},
                      SidCase{"S-1-+5", ""},
                      SidCase{"X-1-5-18", ""},
                      SidCase{"", ""},
                      SidCase{"ZZ", ""},
                      SidCase{"sy", ""}));  // aliases are upper case

struct AliasCase {
    std::string alias;
    std::string sid;
};

class SidAliasTable : public ::testing::TestWithParam<AliasCase> {};

// Microsoft Learn "SID strings" (sddl.h) with the RIDs of "Well-known SIDs".
TEST_P(SidAliasTable, ResolvesAndPrintsBack) {
    const auto& c = GetParam();
    const auto sid = parse_sid(c.alias);
    EXPECT_EQ(sid.to_string(), c.sid);
    EXPECT_EQ(sid.to_sddl(), c.alias);
    EXPECT_EQ(parse_sid(c.sid).to_sddl(), c.alias);
}

INSTANTIATE_TEST_SUITE_P(
    WellKnown, SidAliasTable,
    ::testing::Values(AliasCase{"WD", "S-1-1-0"}, AliasCase{"CO", "S-1-3-0"}, AliasCase{"CG", "S-1-3-1"},
                      AliasCase{"OW", "S-1-3-4"}, AliasCase{"NU", "S-1-5-2"}, AliasCase{"IU", "S-1-5-4"},
                      AliasCase{"SU", "S-1-5-6"}, AliasCase{"AN", "S-1-5-7"}, AliasCase{"AU", "S-1-5-11"},
                      AliasCase{"RC", "S-1-5-12"}, AliasCase{"SY", "S-1-5-18"}, AliasCase{"LS", "S-1-5-19"},
                      AliasCase{"NS", "S-1-5-20"}, AliasCase{"WR", "S-1-5-33"}, AliasCase{"BA", "S-1-5-32-544"},
                      AliasCase{"BU", "S-1-5-32-545"}, AliasCase{"BG", "S-1-5-32-546"},
                      AliasCase{"PU", "S-1-5-32-547"}, AliasCase{"AO", "S-1-5-32-548"},
                      AliasCase{"SO", "S-1-5-32-549"}, AliasCase{"RD", "S-1-5-32-555"},
                      AliasCase{"AC", "S-1-15-2-1"}, AliasCase{"LW", "S-1-16-4096"}, AliasCase{"ME", "S-1-16-8192"},
                      AliasCase{"MP", "S-1-16-8448"}, AliasCase{"HI", "S-1-16-12288"},
                      AliasCase{"SI", "S-1-16-16384"}, AliasCase{"UD", "S-1-5-84-0-0-0-0-0"}));

TEST(Sid, DomainRelativeAliasNeedsTheDomainSid) {
    const auto unresolved = parse_sid("LA");
    EXPECT_TRUE(unresolved.is_unresolved_alias());
    EXPECT_EQ(unresolved.to_sddl(), "LA");
    EXPECT_NE(unresolved, parse_sid("S-1-5-21-1-2-3-500"));

    const SidContext machine{parse_sid("S-1-5-21-1-2-3")};
    EXPECT_EQ(parse_sid("LA", machine).to_string(), "S-1-5-21-1-2-3-500");
    EXPECT_EQ(parse_sid("DU", machine).to_string(), "S-1-5-21-1-2-3-513");
    // Printing never produces domain-relative aliases: they depend on the machine.
    EXPECT_EQ(parse_sid("LA", machine).to_sddl(), "S-1-5-21-1-2-3-500");
}

// A SID holds at most 15 subauthorities: a domain SID that already has 15 leaves no room for the
// RID, so the alias does not resolve (it would be cut, naming another account).
TEST(Sid, DomainRelativeAliasNeedsRoomForTheRid) {
    const SidContext fourteen{parse_sid("S-1-5-21-1-2-3-4-5-6-7-8-9-10-11-12-13")};
    const auto da = sid_from_alias("DA", fourteen);
    ASSERT_TRUE(da);
    EXPECT_EQ(da->to_string(), "S-1-5-21-1-2-3-4-5-6-7-8-9-10-11-12-13-512");
    const SidContext fifteen{parse_sid("S-1-5-21-1-2-3-4-5-6-7-8-9-10-11-12-13-14")};
    EXPECT_FALSE(sid_from_alias("DA", fifteen));
    EXPECT_TRUE(parse_sid("DA", fifteen).is_unresolved_alias());
}

TEST(Sid, ThrowingOverloadKeepsTheCodeAndTheText) {
    try {
        (void)parse_sid("S-1-5-x");
        FAIL() << "no exception";
    } catch (const Error& e) {
        EXPECT_EQ(e.code().value(), 1337);
        EXPECT_EQ(e.api(), "parse_sid");
        EXPECT_NE(std::string(e.what()).find("S-1-5-x"), std::string::npos);
    }
}

TEST(Sid, LogonSidIsFiveFiveXY) {
    EXPECT_TRUE(is_logon_sid(parse_sid("S-1-5-5-0-425489")));
    EXPECT_FALSE(is_logon_sid(parse_sid("S-1-5-5-0")));
    EXPECT_FALSE(is_logon_sid(parse_sid("S-1-5-6-0-1")));
    EXPECT_FALSE(is_logon_sid(parse_sid("S-1-16-5-0-1")));
    EXPECT_FALSE(is_logon_sid(parse_sid("S-1-5-5-0-1-2")));
}

TEST(Sid, IntegrityRidOnlyForMandatoryLabels) {
    EXPECT_EQ(integrity_rid(parse_sid("ME")), 0x2000u);
    EXPECT_EQ(integrity_rid(parse_sid("S-1-16-0")), 0u);
    EXPECT_FALSE(integrity_rid(parse_sid("SY")));
}

}  // namespace
}  // namespace safelaunch
