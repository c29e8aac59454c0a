#include "safelaunch/grant_journal.hpp"

#include <gtest/gtest.h>

#include <string>

namespace safelaunch {
namespace {

GrantJournalEntry sample_entry() {
    GrantJournalEntry e;
    e.owner_pid = 4242;
    e.owner_start_time = 133462144001234567ULL;  // a FILETIME from late 2023
    e.id = make_grant_journal_id(e.owner_pid, e.owner_start_time, 3);
    e.owner_session_id = 1;
    e.object_kind = ObjectKind::desktop;
    e.object_name = "WinSta0\\sl-locked-77";
    e.sid = "S-1-5-5-0-123456";
    e.mask = 0x201CF;
    e.prior_sddl = "D:P(A;;0xf01ff;;;SY)";
    e.created_utc = "2026-11-25T03:00:00Z";
    return e;
}

TEST(GrantJournal, IdNamesOwnerStartTimeAndSequence) {
    EXPECT_EQ(make_grant_journal_id(4242, 0x01da0c0ffee00000ULL, 7), "4242-01da0c0ffee00000-7");
    EXPECT_NE(make_grant_journal_id(1, 2, 0), make_grant_journal_id(1, 2, 1));
    EXPECT_NE(make_grant_journal_id(1, 2, 0), make_grant_journal_id(1, 3, 0)) << "a reused pid gets another id";
}

TEST(GrantJournal, EntryRoundTripsThroughOneLineOfText) {
    const auto e = sample_entry();
    const auto text = grant_journal_entry_text(e);
    EXPECT_EQ(text.find('\n'), std::string::npos);
    std::string error;
    const auto back = parse_grant_journal_entry(text, error);
    ASSERT_TRUE(back.has_value()) << error;
    EXPECT_EQ(*back, e);
    EXPECT_EQ(back->owner_start_time, 133462144001234567ULL) << "64-bit FILETIME kept exactly";
}

TEST(GrantJournal, WindowStationEntryWithoutPriorSddlRoundTrips) {
    auto e = sample_entry();
    e.object_kind = ObjectKind::window_station;
    e.object_name = "Service-0x0-3e7$";  // LocalSystem's service station
    e.prior_sddl.reset();
    std::string error;
    const auto back = parse_grant_journal_entry(grant_journal_entry_text(e), error);
    ASSERT_TRUE(back.has_value()) << error;
    EXPECT_EQ(*back, e);
}

TEST(GrantJournal, ParsesTheDocumentedExample) {
    // The example in grant_journal.hpp, verbatim: the documented format must stay readable.
    const std::string text =
        R"j({"version":1,"id":"1234-01da0c0ffee00000-0","owner_pid":1234,)j"
        R"j("owner_start_time":133462144000000000,"owner_session_id":1,"object_kind":"desktop",)j"
        R"j("object_name":"WinSta0\\Locked","sid":"S-1-5-5-0-12345","mask":462,)j"
        R"j("prior_sddl":"D:P(A;;0xf01ff;;;SY)","created_utc":"2026-11-25T03:00:00Z"})j";
    std::string error;
    const auto e = parse_grant_journal_entry(text, error);
    ASSERT_TRUE(e.has_value()) << error;
    EXPECT_EQ(e->object_name, "WinSta0\\Locked");
    EXPECT_EQ(e->mask, 462u);
    EXPECT_EQ(e->owner_start_time, 133462144000000000ULL);
}

// Each corruption gives nullopt and a one-line error naming the field.
TEST(GrantJournal, CorruptEntriesAreReportedInOneLine) {
    struct Row {
        const char* what;
        std::string text;
        const char* expected;  // substring of the error
    };
    const auto good = grant_journal_entry_text(sample_entry());
    const auto replace = [&](const std::string& from, const std::string& to) {
        auto t = good;
        const auto at = t.find(from);
        EXPECT_NE(at, std::string::npos) << from;
        return t.replace(at, from.size(), to);
    };
    const Row rows[] = {
        {"empty file (crash before any byte was written)", "", "not JSON"},
        {"truncated write", good.substr(0, good.size() / 2), "not JSON"},
        {"array", "[1,2]", "not a JSON object"},
        {"missing version", replace(",\"version\":1", ""), "'version'"},
        {"future version", replace("\"version\":1", "\"version\":2"), "'version': 2 is not the supported"},
        {"negative pid", replace("\"owner_pid\":4242", "\"owner_pid\":-1"), "'owner_pid'"},
        {"pid above 32 bits", replace("\"owner_pid\":4242", "\"owner_pid\":4294967296"), "'owner_pid'"},
        {"pid zero", replace("\"owner_pid\":4242", "\"owner_pid\":0"), "'owner_pid': 0"},
        {"start time as text", replace("\"owner_start_time\":133462144001234567", "\"owner_start_time\":\"x\""),
         "'owner_start_time'"},
        {"unknown kind", replace("\"object_kind\":\"desktop\"", "\"object_kind\":\"file\""), "'object_kind'"},
        {"desktop without station", replace(R"("WinSta0\\sl-locked-77")", R"("sl-locked-77")"), "'object_name'"},
        {"forward slash is no separator", replace(R"("WinSta0\\sl-locked-77")", R"("WinSta0/sl-locked-77")"),
         "'object_name'"},
        {"SDDL alias instead of a SID", replace("\"S-1-5-5-0-123456\"", "\"WD\""), "'sid'"},
        {"empty mask", replace("\"mask\":131535", "\"mask\":0"), "'mask': 0"},
        {"fractional mask", replace("\"mask\":131535", "\"mask\":1.5"), "'mask'"},
        {"prior_sddl a number", replace("\"prior_sddl\":\"D:P(A;;0xf01ff;;;SY)\"", "\"prior_sddl\":5"),
         "'prior_sddl'"},
        {"empty id", replace("\"id\":\"" + sample_entry().id + "\"", "\"id\":\"\""), "'id': empty"},
    };
    for (const auto& row : rows) {
        std::string error;
        EXPECT_FALSE(parse_grant_journal_entry(row.text, error).has_value()) << row.what;
        EXPECT_NE(error.find(row.expected), std::string::npos) << row.what << ": " << error;
        EXPECT_EQ(error.find('\n'), std::string::npos) << row.what << ": " << error;
    }
}

TEST(GrantJournal, SplitsObjectNamesAtTheBackslash) {
    EXPECT_EQ(split_grant_object_name("WinSta0\\Default").station, "WinSta0");
    EXPECT_EQ(split_grant_object_name("WinSta0\\Default").desktop, "Default");
    EXPECT_EQ(split_grant_object_name("WinSta0").station, "WinSta0");
    EXPECT_EQ(split_grant_object_name("WinSta0").desktop, "");
}

// The staleness rule as a table: owner facts x session -> decision.
TEST(GrantJournal, StalenessNeedsPidAndStartTimeToMatch) {
    using S = GrantOwnerFacts::State;
    using D = GrantEntryDecision;
    const auto e = sample_entry();  // session 1, start 133462144001234567
    const std::uint64_t same = e.owner_start_time, later = e.owner_start_time + 10'000'000;
    struct Row {
        const char* what;
        GrantOwnerFacts owner;
        std::uint32_t session;
        D expected;
    };
    const Row rows[] = {
        {"owner running", {S::running, same, ""}, 1, D::owned},
        {"owner running, asked from another session", {S::running, same, ""}, 2, D::owned},
        {"pid reused by a later process", {S::running, later, ""}, 1, D::repair},
        {"owner exited, object still referenced", {S::exited, same, ""}, 1, D::repair},
        {"no such pid", {S::not_found, std::nullopt, ""}, 1, D::repair},
        {"no such pid, made in another session", {S::not_found, std::nullopt, ""}, 2, D::other_session},
        {"running but start time unreadable", {S::running, std::nullopt, "denied"}, 1, D::undecided},
        {"cannot tell", {S::unknown, std::nullopt, "access denied"}, 1, D::undecided},
        // m8: no SYNCHRONIZE handle. The same start time is not proof of life (exit code 259).
        {"no SYNCHRONIZE, same start time", {S::unknown, same, "no SYNCHRONIZE"}, 1, D::undecided},
        {"no SYNCHRONIZE, another start time", {S::unknown, later, "no SYNCHRONIZE"}, 1, D::repair},
        {"no SYNCHRONIZE, another start time, other session", {S::unknown, later, ""}, 2, D::other_session},
    };
    for (const auto& row : rows)
        EXPECT_EQ(decide_grant_entry(e, row.owner, row.session), row.expected)
            << row.what << " -> " << to_string(decide_grant_entry(e, row.owner, row.session));
}

}  // namespace
}  // namespace safelaunch
