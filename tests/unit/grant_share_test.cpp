// C4 share counting and M13 entry ownership: the portable decisions, on constructed facts.
#include "safelaunch/grant_share.hpp"

#include <gtest/gtest.h>

#include <string>

namespace safelaunch {
namespace {

TEST(GrantShare, TakeAddsTheAceOnlyWhenNoSafelaunchAceIsThereAndAccessIsMissing) {
    struct Row {
        const char* what;
        GrantShareFacts facts;
        bool missing;
        ShareTake expected;
    };
    const Row rows[] = {
        {"nothing there, access missing: first share", {0, 0, 0}, true, ShareTake::add_ace},
        {"nothing there, access present: not ours", {0, 0, 0}, false, ShareTake::none},
        {"our ACE with a live share, access present: join", {1, 1, 0}, false, ShareTake::join},
        {"our ACE with a live share, access missing (a deny): join, no second ACE", {1, 2, 0}, true,
         ShareTake::join},
        {"a matching ACE nobody journaled: the user's or an administrator's", {1, 0, 0}, false, ShareTake::none},
        {"a leaked ACE of a dead launcher: join it, repair then keeps it", {1, 0, 1}, false, ShareTake::join},
        {"live shares but the ACE was removed by someone: add it again", {0, 1, 0}, true, ShareTake::add_ace},
        {"live shares, ACE gone, access present anyway: not ours", {0, 1, 0}, false, ShareTake::none},
    };
    for (const auto& row : rows)
        EXPECT_EQ(decide_share_take(row.facts, row.missing), row.expected)
            << row.what << " -> " << to_string(decide_share_take(row.facts, row.missing));
}

TEST(GrantShare, TheAceGoesWithTheLastLiveShare) {
    struct Row {
        const char* what;
        GrantShareFacts others;  // without the share(s) released
        ShareRelease expected;
    };
    const Row rows[] = {
        {"last share", {1, 0, 0}, ShareRelease::remove_ace},
        {"another launcher still holds a share", {1, 1, 0}, ShareRelease::keep_ace},
        {"an undecided owner counts as holding", {1, 1, 0}, ShareRelease::keep_ace},
        {"only stale shares remain: their owners are gone", {1, 0, 2}, ShareRelease::remove_ace},
        {"our ACE is already gone (an administrator removed it)", {0, 0, 0}, ShareRelease::keep_ace},
        {"an administrator's identical ACE beside ours: exactly one goes", {2, 0, 0}, ShareRelease::remove_ace},
    };
    for (const auto& row : rows) EXPECT_EQ(decide_share_release(row.others), row.expected) << row.what;
}

// Two launchers, one object: replay the interleaving that lost access before (win32-review.md,
// Addendum) through the rules, with the DACL and the journal as counters.
TEST(GrantShare, TwoLaunchersKeepAccessUntilTheLastOneEnds) {
    GrantShareFacts object;  // the truth: ACEs in the DACL, shares in the journal
    const auto take = [&](bool missing) {
        const auto t = decide_share_take(object, missing);
        if (t == ShareTake::add_ace) ++object.matching_aces;
        if (t != ShareTake::none) ++object.live_shares;
        return t;
    };
    const auto release = [&] {
        GrantShareFacts others = object;
        --others.live_shares;
        if (decide_share_release(others) == ShareRelease::remove_ace) --object.matching_aces;
        --object.live_shares;
    };
    EXPECT_EQ(take(true), ShareTake::add_ace);  // A: access missing
    EXPECT_EQ(take(false), ShareTake::join);    // B: finds access through A's ACE
    release();                                  // A's child ends first
    EXPECT_EQ(object.matching_aces, 1u) << "B's child still runs on that ACE";
    release();                                  // B ends
    EXPECT_EQ(object.matching_aces, 0u) << "nothing left behind";
    EXPECT_EQ(object.live_shares, 0u);
}

TEST(GrantShare, OnlyOwnedAndUndecidedEntriesHoldAShare) {
    EXPECT_TRUE(holds_share(GrantEntryDecision::owned));
    EXPECT_TRUE(holds_share(GrantEntryDecision::undecided));
    EXPECT_FALSE(holds_share(GrantEntryDecision::repair));
    EXPECT_FALSE(holds_share(GrantEntryDecision::other_session));
}

TEST(GrantShare, GroupIsObjectSidAndMaskWithCaseInsensitiveNames) {
    GrantJournalEntry a;
    a.object_kind = ObjectKind::desktop;
    a.object_name = "WinSta0\\Locked";
    a.sid = "S-1-5-5-0-1";
    a.mask = 0x1CF;
    auto b = a;
    b.object_name = "winsta0\\LOCKED";
    b.owner_pid = 99;  // another launcher
    EXPECT_TRUE(same_grant_group(a, b));
    auto c = a;
    c.mask = 0x1;
    EXPECT_FALSE(same_grant_group(a, c)) << "other rights: another group";
    c = a;
    c.sid = "S-1-5-5-0-2";
    EXPECT_FALSE(same_grant_group(a, c));
    c = a;
    c.object_kind = ObjectKind::window_station;
    EXPECT_FALSE(same_grant_group(a, c));
    c = a;
    c.object_name = "WinSta0\\Locked2";
    EXPECT_FALSE(same_grant_group(a, c));
}

TEST(GrantShare, LockNameHasNoBackslashAndKeepsObjectsApart) {
    EXPECT_EQ(grant_lock_name(ObjectKind::desktop, "WINSTA0\\DEFAULT"), "safelaunch-grant-WINSTA0-DEFAULT");
    EXPECT_EQ(grant_lock_name(ObjectKind::window_station, "WINSTA0"), "safelaunch-grant-WINSTA0");
    const auto odd = grant_lock_name(ObjectKind::desktop, "A-B\\C");
    EXPECT_EQ(odd, "safelaunch-grant-A%2DB-C");
    EXPECT_NE(odd, grant_lock_name(ObjectKind::desktop, "A\\B-C")) << "'-' in a name must not merge two objects";
    EXPECT_EQ(grant_lock_name(ObjectKind::desktop, "SERVICE-0X0-3E7$\\DEFAULT"),
              "safelaunch-grant-SERVICE%2D0X0%2D3E7$-DEFAULT");
    for (const auto* name : {"A\\B\\C", "A/B\\C%", "WINSTA0\\X\\"})
        EXPECT_EQ(grant_lock_name(ObjectKind::desktop, name).find('\\'), std::string::npos) << name;
    const std::string long_desk(400, 'D');
    const auto cut = grant_lock_name(ObjectKind::desktop, "WINSTA0\\" + long_desk);
    EXPECT_LE(cut.size(), 200u);
    EXPECT_NE(cut, grant_lock_name(ObjectKind::desktop, "WINSTA0\\" + long_desk + "E")) << "the hash keeps them apart";
}

// M13: a forged entry (another user's file naming our SID) must never make us remove our ACE.
TEST(GrantShare, OnlyEntriesOwnedByTheCallerSystemOrAdministratorsAreTrusted) {
    const std::string me = "S-1-5-21-1-2-3-1001";
    EXPECT_EQ(decide_entry_trust(me, me), EntryTrust::trusted);
    EXPECT_EQ(decide_entry_trust(std::string("s-1-5-21-1-2-3-1001"), me), EntryTrust::trusted);
    EXPECT_EQ(decide_entry_trust(std::string("S-1-5-18"), me), EntryTrust::trusted) << "LocalSystem";
    EXPECT_EQ(decide_entry_trust(std::string("S-1-5-32-544"), me), EntryTrust::trusted) << "Administrators";
    EXPECT_EQ(decide_entry_trust(std::string("S-1-5-21-1-2-3-1002"), me), EntryTrust::foreign_owner);
    EXPECT_EQ(decide_entry_trust(std::string("S-1-5-32-545"), me), EntryTrust::foreign_owner) << "Users";
    EXPECT_EQ(decide_entry_trust(std::string("S-1-1-0"), me), EntryTrust::foreign_owner) << "Everyone";
    EXPECT_EQ(decide_entry_trust(std::nullopt, me), EntryTrust::owner_unknown);
    EXPECT_EQ(decide_entry_trust(std::string(), me), EntryTrust::owner_unknown);
    EXPECT_EQ(decide_entry_trust(std::string("S-1-5-21-1-2-3-1001"), ""), EntryTrust::foreign_owner)
        << "an unknown caller trusts only SYSTEM and Administrators";
}

}  // namespace
}  // namespace safelaunch
