#include "safelaunch/pool_journal.hpp"

#include "journal_fields.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <limits>

namespace safelaunch {
namespace {

using nlohmann::json;
using journal::read_string;
using journal::read_unsigned;

constexpr std::string_view kJournalName = "pool";

std::string object_text(const PoolJournalEntry& e) {
    return fmt::format("{} {} (pool '{}', {} at {} KB)", grant_object_kind_name(e.object_kind), e.object_name, e.pool,
                       e.key_sid, e.heap_kb);
}

std::string users_text(const PoolObjectFacts& o) {
    std::string text;
    for (const auto& u : o.users) {
        if (!text.empty()) text += ", ";
        text += u.image.empty() ? fmt::format("pid {}", u.pid) : fmt::format("pid {} ({})", u.pid, u.image);
    }
    if (text.empty())
        text = o.users_complete ? "no process found using it (a handle held by a service or the kernel?)"
                                : "processes not named here (none could be listed: the usual holders are the "
                                  "launcher's children still running)";
    else if (!o.users_complete)
        text += " (some processes could not be inspected: there may be more)";
    return text;
}

// " (why)" or "".
std::string in_parentheses(const std::string& detail) { return detail.empty() ? "" : fmt::format(" ({})", detail); }

}  // namespace

std::string pool_journal_entry_text(const PoolJournalEntry& e) {
    json j{{"version", kPoolJournalVersion},
           {"journal", kJournalName},
           {"id", e.id},
           {"owner_pid", e.owner_pid},
           {"owner_start_time", e.owner_start_time},
           {"owner_session_id", e.owner_session_id},
           {"object_kind", grant_object_kind_name(e.object_kind)},
           {"object_name", e.object_name},
           {"pool", e.pool},
           {"key_sid", e.key_sid},
           {"heap_kb", e.heap_kb},
           {"created_utc", e.created_utc}};
    // Replace invalid UTF-8 rather than throw: an odd name must not stop the journal.
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<PoolJournalEntry> parse_pool_journal_entry(std::string_view text, std::string& error) {
    error.clear();
    json j;
    if (!journal::parse_versioned_object(text, kPoolJournalVersion, j, error)) return std::nullopt;
    std::string journal_name;
    if (!read_string(j, "journal", journal_name, error)) return std::nullopt;
    if (journal_name != kJournalName) {
        error = fmt::format("field 'journal': '{}' is not 'pool'", journal_name);
        return std::nullopt;
    }
    constexpr auto k32 = std::numeric_limits<std::uint32_t>::max();
    constexpr auto k64 = std::numeric_limits<std::uint64_t>::max();
    std::uint64_t pid = 0, start = 0, session = 0, heap = 0;
    PoolJournalEntry e;
    std::string kind;
    if (!read_string(j, "id", e.id, error) || !read_unsigned(j, "owner_pid", k32, pid, error) ||
        !read_unsigned(j, "owner_start_time", k64, start, error) ||
        !read_unsigned(j, "owner_session_id", k32, session, error) || !read_string(j, "object_kind", kind, error) ||
        !read_string(j, "object_name", e.object_name, error) || !read_string(j, "pool", e.pool, error) ||
        !read_string(j, "key_sid", e.key_sid, error) || !read_unsigned(j, "heap_kb", k32, heap, error) ||
        !read_string(j, "created_utc", e.created_utc, error))
        return std::nullopt;
    e.owner_pid = static_cast<std::uint32_t>(pid);
    e.owner_start_time = start;
    e.owner_session_id = static_cast<std::uint32_t>(session);
    e.heap_kb = static_cast<std::uint32_t>(heap);

    if (!journal::check_entry_identity(kind, e.id, e.owner_pid, e.object_name, e.object_kind, error)) return std::nullopt;
    if (!journal::looks_like_sid(e.key_sid)) {
        error = fmt::format("field 'key_sid': '{}' is not an S-1-... SID", e.key_sid);
        return std::nullopt;
    }
    if (e.heap_kb == 0) {
        error = "field 'heap_kb': 0 (the pool makes no desktop without a heap)";
        return std::nullopt;
    }
    return e;
}

std::string_view to_string(PoolEntryDecision decision) noexcept {
    switch (decision) {
        case PoolEntryDecision::owned: return "owned";
        case PoolEntryDecision::undecided: return "undecided";
        case PoolEntryDecision::other_session: return "other_session";
        case PoolEntryDecision::untrusted: return "untrusted";
        case PoolEntryDecision::vanished: return "vanished";
        case PoolEntryDecision::held: return "held";
        case PoolEntryDecision::object_unknown: return "object_unknown";
    }
    return "unknown";
}

bool pool_entry_needs_object_facts(const PoolJournalEntry& entry, EntryTrust trust, const GrantOwnerFacts& owner,
                                   std::uint32_t current_session_id) noexcept {
    return trust == EntryTrust::trusted && entry.owner_session_id == current_session_id &&
           decide_journal_owner(entry.owner_start_time, owner) == JournalOwner::gone;
}

PoolRepairStep decide_pool_entry(const PoolJournalEntry& e, const PoolEntryFacts& facts,
                                 std::uint32_t current_session_id) {
    PoolRepairStep step;
    const auto what = object_text(e);
    // Trust first: an entry someone else planted must not even make us open objects it names.
    if (facts.trust != EntryTrust::trusted) {
        step.decision = PoolEntryDecision::untrusted;
        step.needs_attention = true;
        step.report = fmt::format("not acted on ({}: the journal file was not written by you, SYSTEM or "
                                  "Administrators): {}",
                                  to_string(facts.trust), what);
        return step;
    }
    switch (decide_journal_owner(e.owner_start_time, facts.owner)) {
        case JournalOwner::alive:
            step.decision = PoolEntryDecision::owned;
            step.report = fmt::format("in use (launcher pid {} still runs): {}", e.owner_pid, what);
            return step;
        case JournalOwner::undecided:
            step.decision = PoolEntryDecision::undecided;
            step.needs_attention = true;
            step.report = fmt::format("left: whether launcher pid {} still runs cannot be told{}: {}", e.owner_pid,
                                      in_parentheses(facts.owner.detail), what);
            return step;
        case JournalOwner::gone: break;
    }
    if (e.owner_session_id != current_session_id) {
        step.decision = PoolEntryDecision::other_session;
        step.needs_attention = true;
        step.report = fmt::format("left: launcher pid {} is gone, but it ran in session {} and this is session {}; "
                                  "run repair there: {}",
                                  e.owner_pid, e.owner_session_id, current_session_id, what);
        return step;
    }
    if (!facts.object) {
        step.decision = PoolEntryDecision::object_unknown;
        step.needs_attention = true;
        step.report = fmt::format("left: launcher pid {} is gone; the object was not looked at: {}", e.owner_pid, what);
        return step;
    }
    switch (facts.object->presence) {
        case PoolObjectFacts::Presence::gone:
            step.decision = PoolEntryDecision::vanished;
            step.drop_entry = true;
            step.report = fmt::format("removed: launcher pid {} is gone and so is its {} (it closed with its last "
                                      "handle): {}",
                                      e.owner_pid, grant_object_kind_name(e.object_kind), what);
            return step;
        case PoolObjectFacts::Presence::exists:
            step.decision = PoolEntryDecision::held;
            step.needs_attention = true;
            step.report = fmt::format("outlived launcher pid {}, kept alive by {}; it goes when they end (no API "
                                      "destroys it; end them to free it), the entry stays until then: {}",
                                      e.owner_pid, users_text(*facts.object), what);
            return step;
        case PoolObjectFacts::Presence::unknown: break;
    }
    step.decision = PoolEntryDecision::object_unknown;
    step.needs_attention = true;
    step.report = fmt::format("left: launcher pid {} is gone; whether its {} still exists cannot be told{}: {}",
                              e.owner_pid, grant_object_kind_name(e.object_kind), in_parentheses(facts.object->detail),
                              what);
    return step;
}

PoolRepairPlan plan_pool_repair(const std::vector<PoolJournalItem>& items, std::uint32_t current_session_id) {
    PoolRepairPlan plan;
    plan.steps.reserve(items.size());
    for (const auto& item : items) {
        plan.steps.push_back(decide_pool_entry(item.entry, item.facts, current_session_id));
        plan.needs_attention = plan.needs_attention || plan.steps.back().needs_attention;
    }
    return plan;
}

}  // namespace safelaunch
