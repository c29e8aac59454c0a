// Issue 9 part 5: a grant never adds an ACE when an ACE for that exact SID already grants the
// rights, with or without a token to AccessCheck (without one, access used to be taken as missing
// and a duplicate was added). Such an ACE is not safelaunch's: no share, and a revert leaves it.
#include "safelaunch/win32/grant.hpp"

#include "grant_journal_support.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

namespace w = safelaunch::win32;

using namespace safelaunch::test::journal;  // NOLINT(google-build-using-namespace): test helpers

namespace {

// The same desktop with one more ACE, as SDDL: what the DACL must stay.
std::string with_ace(const LockedDesktop& d, const std::string& ace) {
    auto sddl = d.sddl();
    w::set_dacl_from_sddl(d.desk.get(), sddl.substr(sddl.find("D:")) + ace);
    return d.sddl();
}

}  // namespace

TEST(GrantNoDuplicate, AnExactAceForTheSidMeansNoAceJournaledOrNot) {
    const JournalDir j;
    for (const bool journaled : {true, false}) {
        const LockedDesktop d;
        const auto before = with_ace(d, fmt::format("(A;;0x{:x};;;{})", kMask, kLogonSid));
        // An unjournaled grant: a name that does not name the object in full.
        const auto name = journaled ? d.full_name() : d.name;
        auto grant = w::grant_access(d.desk.get(), {name, kLogonSid, kMask});
        EXPECT_FALSE(grant.active()) << "journaled " << journaled;
        EXPECT_EQ(d.sddl(), before) << "DACL unchanged, journaled " << journaled;
        EXPECT_TRUE(j.files().empty());
        grant.revert();
        EXPECT_EQ(d.sddl(), before) << "the revert leaves the ACE that was there";
    }
}

TEST(GrantNoDuplicate, ABroaderAceForTheSidMeansNoAce) {
    const JournalDir j;
    const LockedDesktop d;
    const auto before = with_ace(d, "(A;;GA;;;" + kLogonSid + ")");  // generic: mapped to all desktop rights
    {
        auto grant = w::grant_access(d.desk.get(), {d.full_name(), kLogonSid, kMask});
        EXPECT_FALSE(grant.active());
        EXPECT_EQ(d.sddl(), before);
    }
    EXPECT_EQ(d.sddl(), before);
}

TEST(GrantNoDuplicate, AnAceWithPartOfTheRightsStillGetsOurs) {
    const JournalDir j;
    const LockedDesktop d;
    const auto before = with_ace(d, "(A;;0x1;;;" + kLogonSid + ")");  // DESKTOP_READOBJECTS only
    {
        auto grant = w::grant_access(d.desk.get(), {d.full_name(), kLogonSid, kMask});
        EXPECT_TRUE(grant.active());
        EXPECT_TRUE(grant.added_ace());
        EXPECT_EQ(count(d.sddl(), kLogonSid), 2u) << d.sddl();
    }
    EXPECT_EQ(d.sddl(), before) << "ours went, the partial one stays";
}

TEST(GrantNoDuplicate, ARightDeniedBeforeItIsAllowedIsNotGranted) {
    const JournalDir j;
    const LockedDesktop d;
    // Deny first (canonical order): the allow ACE after it does not grant DESKTOP_CREATEWINDOW.
    const auto before =
        with_ace(d, fmt::format("(D;;0x2;;;{0})(A;;0x{1:x};;;{0})", kLogonSid, kMask));
    {
        auto grant = w::grant_access(d.desk.get(), {d.full_name(), kLogonSid, kMask});
        EXPECT_TRUE(grant.active()) << "the SID's own ACEs do not grant the whole mask: " << before;
    }
    EXPECT_EQ(d.sddl(), before);
}

TEST(GrantNoDuplicate, AnAceForAnotherSidDoesNotCount) {
    const JournalDir j;
    const LockedDesktop d;
    const auto before = with_ace(d, fmt::format("(A;;0x{:x};;;S-1-5-5-0-1)", kMask));
    {
        auto grant = w::grant_access(d.desk.get(), {d.full_name(), kLogonSid, kMask});
        EXPECT_TRUE(grant.added_ace());
        EXPECT_EQ(count(d.sddl(), kLogonSid), 1u);
    }
    EXPECT_EQ(d.sddl(), before);
}
