#include "safelaunch/pool_journal.hpp"

#include <gtest/gtest.h>

#include <string>

namespace safelaunch {
namespace {

constexpr std::uint64_t kStart = 133462144001234567ULL;  // a FILETIME from late 2023
constexpr std::uint32_t kSession = 1;

PoolJournalEntry sample_entry() {
    PoolJournalEntry e;
    e.owner_pid = 4242;
    e.owner_start_time = kStart;
    e.id = make_grant_journal_id(e.owner_pid, e.owner_start_time, 2);
    e.owner_session_id = kSession;
    e.object_kind = ObjectKind::desktop;
    e.object_name = "sl-3f9a0c\\sl-77d1e2";
    e.pool = "ci";
    e.key_sid = "S-1-5-5-0-123456";
    e.heap_kb = 512;
    e.created_utc = "2026-11-25T03:00:00Z";
    return e;
}

GrantOwnerFacts owner(GrantOwnerFacts::State state, std::optional<std::uint64_t> start = std::nullopt) {
    GrantOwnerFacts o;
    o.state = state;
    o.start_time = start;
    return o;
}

PoolEntryFacts trusted(GrantOwnerFacts o, std::optional<PoolObjectFacts> object = std::nullopt) {
    PoolEntryFacts f;
    f.trust = EntryTrust::trusted;
    f.owner = std::move(o);
    f.object = std::move(object);
    return f;
}

PoolObjectFacts object(PoolObjectFacts::Presence presence) {
    PoolObjectFacts o;
    o.presence = presence;
    return o;
}

const auto kGone = owner(GrantOwnerFacts::State::not_found);

TEST(PoolJournal, EntryRoundTripsThroughOneLineOfText) {
    const auto e = sample_entry();
    const auto text = pool_journal_entry_text(e);
    EXPECT_EQ(text.find('\n'), std::string::npos);
    std::string error;
    const auto back = parse_pool_journal_entry(text, error);
    ASSERT_TRUE(back.has_value()) << error;
    EXPECT_EQ(*back, e);
    EXPECT_EQ(back->owner_start_time, kStart) << "64-bit FILETIME kept exactly";

    auto station = e;
    station.object_kind = ObjectKind::window_station;
    station.object_name = "sl-3f9a0c";
    station.pool.clear();  // the unnamed pool
    const auto station_back = parse_pool_journal_entry(pool_journal_entry_text(station), error);
    ASSERT_TRUE(station_back.has_value()) << error;
    EXPECT_EQ(*station_back, station);
}

TEST(PoolJournal, ParsesTheDocumentedExample) {
    // The example in pool_journal.hpp, verbatim: the documented format must stay readable.
    const std::string text =
        R"j({"version":1,"journal":"pool","id":"1234-01da0c0ffee00000-0","owner_pid":1234,)j"
        R"j("owner_start_time":133462144000000000,"owner_session_id":1,"object_kind":"desktop",)j"
        R"j("object_name":"sl-3f9a0c\\sl-77d1e2","pool":"ci","key_sid":"S-1-5-5-0-12345","heap_kb":512,)j"
        R"j("created_utc":"2026-11-25T03:00:00Z"})j";
    std::string error;
    const auto e = parse_pool_journal_entry(text, error);
    ASSERT_TRUE(e.has_value()) << error;
    EXPECT_EQ(e->id, "1234-01da0c0ffee00000-0");
    EXPECT_EQ(e->owner_pid, 1234u);
    EXPECT_EQ(e->owner_start_time, 133462144000000000ULL);
    EXPECT_EQ(e->object_kind, ObjectKind::desktop);
    EXPECT_EQ(e->object_name, "sl-3f9a0c\\sl-77d1e2");
    EXPECT_EQ(e->pool, "ci");
    EXPECT_EQ(e->key_sid, "S-1-5-5-0-12345");
    EXPECT_EQ(e->heap_kb, 512u);
}

TEST(PoolJournal, RejectsBadEntriesNamingTheField) {
    struct Case {
        const char* what;
        std::string text;
        const char* error_part;
    };
    const auto good = pool_journal_entry_text(sample_entry());
    auto with = [&](const std::string& from, const std::string& to) {
        auto t = good;
        const auto at = t.find(from);
        EXPECT_NE(at, std::string::npos) << from;
        return t.replace(at, from.size(), to);
    };
    const Case cases[] = {
        {"not JSON", "{", "not JSON"},
        {"not an object", "[1]", "not a JSON object"},
        {"newer version", with(R"("version":1)", R"("version":2)"), "field 'version': 2 is not the supported version 1"},
        {"a grant entry", with(R"("journal":"pool")", R"("journal":"grants")"), "field 'journal'"},
        {"no journal field", with(R"("journal":"pool",)", ""), "field 'journal': missing"},
        {"pid 0", with(R"("owner_pid":4242)", R"("owner_pid":0)"), "field 'owner_pid': 0"},
        {"negative pid", with(R"("owner_pid":4242)", R"("owner_pid":-1)"), "field 'owner_pid': missing or not"},
        {"kind", with(R"("object_kind":"desktop")", R"("object_kind":"mutex")"), "field 'object_kind'"},
        {"desktop without station", with(R"("object_name":"sl-3f9a0c\\sl-77d1e2")", R"("object_name":"sl-77d1e2")"),
         "field 'object_name'"},
        {"sid", with(R"("key_sid":"S-1-5-5-0-123456")", R"("key_sid":"Everyone")"), "field 'key_sid'"},
        {"heap 0", with(R"("heap_kb":512)", R"("heap_kb":0)"), "field 'heap_kb': 0"},
        {"heap too big", with(R"("heap_kb":512)", R"("heap_kb":4294967296)"), "field 'heap_kb': missing or not"},
        {"pool not a string", with(R"("pool":"ci")", R"("pool":7)"), "field 'pool'"},
        {"empty id", with(R"("id":"4242-)", R"("id":"","x":"4242-)"), "field 'id': empty"},
    };
    for (const auto& c : cases) {
        std::string error;
        EXPECT_FALSE(parse_pool_journal_entry(c.text, error).has_value()) << c.what;
        EXPECT_NE(error.find(c.error_part), std::string::npos) << c.what << ": " << error;
    }
}

TEST(PoolJournal, AGrantEntryIsNotAPoolEntryNorTheOtherWayRound) {
    GrantJournalEntry g;
    g.owner_pid = 1;
    g.id = "1-0000000000000000-0";
    g.object_name = "WinSta0\\Default";
    g.sid = "S-1-5-18";
    g.mask = 1;
    g.created_utc = "2026-11-25T03:00:00Z";
    std::string error;
    EXPECT_FALSE(parse_pool_journal_entry(grant_journal_entry_text(g), error).has_value());
    EXPECT_FALSE(parse_grant_journal_entry(pool_journal_entry_text(sample_entry()), error).has_value());
}

TEST(PoolJournal, OwnerThatStillRunsKeepsItsEntryAndNeedsNoLook) {
    const auto e = sample_entry();
    const auto alive = owner(GrantOwnerFacts::State::running, kStart);
    EXPECT_FALSE(pool_entry_needs_object_facts(e, EntryTrust::trusted, alive, kSession));
    const auto step = decide_pool_entry(e, trusted(alive), kSession);
    EXPECT_EQ(step.decision, PoolEntryDecision::owned);
    EXPECT_FALSE(step.drop_entry);
    EXPECT_FALSE(step.needs_attention);
    EXPECT_NE(step.report.find("launcher pid 4242 still runs"), std::string::npos) << step.report;
}

TEST(PoolJournal, ReusedPidCountsAsGoneAndTheObjectIsLookedAt) {
    const auto e = sample_entry();
    const auto stranger = owner(GrantOwnerFacts::State::running, kStart + 1);
    EXPECT_TRUE(pool_entry_needs_object_facts(e, EntryTrust::trusted, stranger, kSession));
    const auto step =
        decide_pool_entry(e, trusted(stranger, object(PoolObjectFacts::Presence::gone)), kSession);
    EXPECT_EQ(step.decision, PoolEntryDecision::vanished);
    EXPECT_TRUE(step.drop_entry);
}

TEST(PoolJournal, OwnerGoneAndObjectGoneDropsTheEntry) {
    const auto e = sample_entry();
    EXPECT_TRUE(pool_entry_needs_object_facts(e, EntryTrust::trusted, kGone, kSession));
    const auto step = decide_pool_entry(e, trusted(kGone, object(PoolObjectFacts::Presence::gone)), kSession);
    EXPECT_EQ(step.decision, PoolEntryDecision::vanished);
    EXPECT_TRUE(step.drop_entry);
    EXPECT_FALSE(step.needs_attention) << "nothing leaked: the desktop went with the launcher's handles";
    EXPECT_NE(step.report.find("removed"), std::string::npos) << step.report;
    EXPECT_NE(step.report.find("desktop sl-3f9a0c\\sl-77d1e2 (pool 'ci', S-1-5-5-0-123456 at 512 KB)"),
              std::string::npos)
        << step.report;
}

TEST(PoolJournal, ObjectKeptAliveByChildrenIsReportedWithThemAndKept) {
    const auto e = sample_entry();
    auto o = object(PoolObjectFacts::Presence::exists);
    o.users = {{5100, "child.exe"}, {5200, ""}};
    o.users_complete = true;
    const auto step = decide_pool_entry(e, trusted(kGone, o), kSession);
    EXPECT_EQ(step.decision, PoolEntryDecision::held);
    EXPECT_FALSE(step.drop_entry) << "the entry is the only record of the leftover until it goes";
    EXPECT_TRUE(step.needs_attention);
    EXPECT_NE(step.report.find("kept alive by pid 5100 (child.exe), pid 5200;"), std::string::npos) << step.report;
    EXPECT_NE(step.report.find("no API destroys it"), std::string::npos) << step.report;

    o.users_complete = false;
    const auto partial = decide_pool_entry(e, trusted(kGone, o), kSession);
    EXPECT_NE(partial.report.find("some processes could not be inspected: there may be more"), std::string::npos)
        << partial.report;

    o.users.clear();
    const auto nobody_seen = decide_pool_entry(e, trusted(kGone, o), kSession);
    EXPECT_EQ(nobody_seen.decision, PoolEntryDecision::held);
    EXPECT_NE(nobody_seen.report.find("kept alive by processes not named here (none could be listed"),
              std::string::npos)
        << nobody_seen.report;
}

TEST(PoolJournal, ObjectWhosePresenceCannotBeToldIsLeft) {
    const auto e = sample_entry();
    auto o = object(PoolObjectFacts::Presence::unknown);
    o.detail = "OpenDesktopW: 5 ERROR_ACCESS_DENIED";
    const auto step = decide_pool_entry(e, trusted(kGone, o), kSession);
    EXPECT_EQ(step.decision, PoolEntryDecision::object_unknown);
    EXPECT_FALSE(step.drop_entry);
    EXPECT_TRUE(step.needs_attention);
    EXPECT_NE(step.report.find("(OpenDesktopW: 5 ERROR_ACCESS_DENIED)"), std::string::npos) << step.report;

    const auto not_looked = decide_pool_entry(e, trusted(kGone), kSession);
    EXPECT_EQ(not_looked.decision, PoolEntryDecision::object_unknown);
    EXPECT_FALSE(not_looked.drop_entry) << "never drop on facts not gathered";
}

TEST(PoolJournal, OtherSessionIsNotLookedAtAndLeft) {
    const auto e = sample_entry();
    EXPECT_FALSE(pool_entry_needs_object_facts(e, EntryTrust::trusted, kGone, kSession + 1));
    // Even a (wrongly gathered) "gone" from this session's namespace must not drop it.
    const auto step = decide_pool_entry(e, trusted(kGone, object(PoolObjectFacts::Presence::gone)), kSession + 1);
    EXPECT_EQ(step.decision, PoolEntryDecision::other_session);
    EXPECT_FALSE(step.drop_entry);
    EXPECT_TRUE(step.needs_attention);
    EXPECT_NE(step.report.find("ran in session 1 and this is session 2"), std::string::npos) << step.report;
}

TEST(PoolJournal, UndecidedOwnerIsLeft) {
    const auto e = sample_entry();
    auto o = owner(GrantOwnerFacts::State::unknown, kStart);
    o.detail = "OpenProcess: 5 ERROR_ACCESS_DENIED";
    EXPECT_FALSE(pool_entry_needs_object_facts(e, EntryTrust::trusted, o, kSession));
    const auto step = decide_pool_entry(e, trusted(o, object(PoolObjectFacts::Presence::gone)), kSession);
    EXPECT_EQ(step.decision, PoolEntryDecision::undecided);
    EXPECT_FALSE(step.drop_entry);
    EXPECT_TRUE(step.needs_attention);
    EXPECT_NE(step.report.find("(OpenProcess: 5 ERROR_ACCESS_DENIED)"), std::string::npos) << step.report;
    // Running without a readable start time cannot be told apart from a stranger either.
    EXPECT_EQ(decide_pool_entry(e, trusted(owner(GrantOwnerFacts::State::running)), kSession).decision,
              PoolEntryDecision::undecided);
}

TEST(PoolJournal, UntrustedFileIsNeverActedOn) {
    const auto e = sample_entry();
    for (const auto trust : {EntryTrust::foreign_owner, EntryTrust::owner_unknown}) {
        EXPECT_FALSE(pool_entry_needs_object_facts(e, trust, kGone, kSession)) << to_string(trust);
        PoolEntryFacts f = trusted(kGone, object(PoolObjectFacts::Presence::gone));
        f.trust = trust;
        const auto step = decide_pool_entry(e, f, kSession);
        EXPECT_EQ(step.decision, PoolEntryDecision::untrusted);
        EXPECT_FALSE(step.drop_entry);
        EXPECT_TRUE(step.needs_attention);
        EXPECT_NE(step.report.find(std::string(to_string(trust))), std::string::npos) << step.report;
    }
}

TEST(PoolJournal, PlanDecidesEachEntryAndSaysWhetherAPersonIsNeeded) {
    const auto e = sample_entry();
    auto station = e;
    station.object_kind = ObjectKind::window_station;
    station.object_name = "sl-3f9a0c";
    const std::vector<PoolJournalItem> clean = {
        {e, trusted(kGone, object(PoolObjectFacts::Presence::gone))},
        {station, trusted(kGone, object(PoolObjectFacts::Presence::gone))},
        {e, trusted(owner(GrantOwnerFacts::State::running, kStart))},
    };
    const auto plan = plan_pool_repair(clean, kSession);
    ASSERT_EQ(plan.steps.size(), 3u);
    EXPECT_TRUE(plan.steps[0].drop_entry);
    EXPECT_TRUE(plan.steps[1].drop_entry);
    EXPECT_EQ(plan.steps[1].decision, PoolEntryDecision::vanished);
    EXPECT_NE(plan.steps[1].report.find("window_station sl-3f9a0c"), std::string::npos) << plan.steps[1].report;
    EXPECT_EQ(plan.steps[2].decision, PoolEntryDecision::owned);
    EXPECT_FALSE(plan.needs_attention);

    auto held = clean;
    held.push_back({e, trusted(kGone, object(PoolObjectFacts::Presence::exists))});
    EXPECT_TRUE(plan_pool_repair(held, kSession).needs_attention);
    EXPECT_FALSE(plan_pool_repair({}, kSession).needs_attention);
}

TEST(PoolJournal, DecisionNames) {
    EXPECT_EQ(to_string(PoolEntryDecision::owned), "owned");
    EXPECT_EQ(to_string(PoolEntryDecision::undecided), "undecided");
    EXPECT_EQ(to_string(PoolEntryDecision::other_session), "other_session");
    EXPECT_EQ(to_string(PoolEntryDecision::untrusted), "untrusted");
    EXPECT_EQ(to_string(PoolEntryDecision::vanished), "vanished");
    EXPECT_EQ(to_string(PoolEntryDecision::held), "held");
    EXPECT_EQ(to_string(PoolEntryDecision::object_unknown), "object_unknown");
}

TEST(JournalOwner, SharedRuleForBothJournals) {
    using S = GrantOwnerFacts::State;
    EXPECT_EQ(decide_journal_owner(kStart, owner(S::running, kStart)), JournalOwner::alive);
    EXPECT_EQ(decide_journal_owner(kStart, owner(S::running, kStart + 1)), JournalOwner::gone);
    EXPECT_EQ(decide_journal_owner(kStart, owner(S::running)), JournalOwner::undecided);
    EXPECT_EQ(decide_journal_owner(kStart, owner(S::exited, kStart)), JournalOwner::gone);
    EXPECT_EQ(decide_journal_owner(kStart, owner(S::not_found)), JournalOwner::gone);
    EXPECT_EQ(decide_journal_owner(kStart, owner(S::unknown, kStart)), JournalOwner::undecided);
    EXPECT_EQ(decide_journal_owner(kStart, owner(S::unknown, kStart + 1)), JournalOwner::gone);
    EXPECT_EQ(decide_journal_owner(kStart, owner(S::unknown)), JournalOwner::undecided);
}

}  // namespace
}  // namespace safelaunch
