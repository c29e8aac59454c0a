#include "safelaunch/grant_journal.hpp"

#include "journal_fields.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <limits>

namespace safelaunch {
using nlohmann::json;
using journal::looks_like_sid;
using journal::read_string;
using journal::read_unsigned;

std::string make_grant_journal_id(std::uint32_t pid, std::uint64_t start_time, std::uint64_t sequence) {
    return fmt::format("{}-{:016x}-{}", pid, start_time, sequence);
}

std::string_view grant_object_kind_name(ObjectKind kind) noexcept {
    switch (kind) {
        case ObjectKind::window_station: return "window_station";
        case ObjectKind::desktop: return "desktop";
        case ObjectKind::other: break;
    }
    return "other";
}

std::optional<ObjectKind> grant_object_kind_from_name(std::string_view name) noexcept {
    if (name == "window_station") return ObjectKind::window_station;
    if (name == "desktop") return ObjectKind::desktop;
    return std::nullopt;
}

GrantObjectName split_grant_object_name(std::string_view object_name) {
    const auto slash = object_name.find('\\');
    if (slash == std::string_view::npos) return {std::string(object_name), {}};
    return {std::string(object_name.substr(0, slash)), std::string(object_name.substr(slash + 1))};
}

std::string grant_journal_entry_text(const GrantJournalEntry& e) {
    json j{{"version", kGrantJournalVersion},
           {"id", e.id},
           {"owner_pid", e.owner_pid},
           {"owner_start_time", e.owner_start_time},
           {"owner_session_id", e.owner_session_id},
           {"object_kind", grant_object_kind_name(e.object_kind)},
           {"object_name", e.object_name},
           {"sid", e.sid},
           {"mask", e.mask},
           {"prior_sddl", e.prior_sddl ? json(*e.prior_sddl) : json(nullptr)},
           {"created_utc", e.created_utc}};
    // Replace invalid UTF-8 rather than throw: an odd object name must not stop the journal.
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<GrantJournalEntry> parse_grant_journal_entry(std::string_view text, std::string& error) {
    error.clear();
    json j;
    if (!journal::parse_versioned_object(text, kGrantJournalVersion, j, error)) return std::nullopt;
    constexpr auto k32 = std::numeric_limits<std::uint32_t>::max();
    constexpr auto k64 = std::numeric_limits<std::uint64_t>::max();
    std::uint64_t pid = 0, start = 0, session = 0, mask = 0;
    GrantJournalEntry e;
    std::string kind;
    if (!read_string(j, "id", e.id, error) || !read_unsigned(j, "owner_pid", k32, pid, error) ||
        !read_unsigned(j, "owner_start_time", k64, start, error) ||
        !read_unsigned(j, "owner_session_id", k32, session, error) || !read_string(j, "object_kind", kind, error) ||
        !read_string(j, "object_name", e.object_name, error) || !read_string(j, "sid", e.sid, error) ||
        !read_unsigned(j, "mask", k32, mask, error) || !read_string(j, "created_utc", e.created_utc, error))
        return std::nullopt;
    e.owner_pid = static_cast<std::uint32_t>(pid);
    e.owner_start_time = start;
    e.owner_session_id = static_cast<std::uint32_t>(session);
    e.mask = static_cast<std::uint32_t>(mask);
    if (const auto it = j.find("prior_sddl"); it != j.end() && !it->is_null()) {
        if (!it->is_string()) {
            error = "field 'prior_sddl': not a string or null";
            return std::nullopt;
        }
        e.prior_sddl = it->get<std::string>();
    }

    if (!journal::check_entry_identity(kind, e.id, e.owner_pid, e.object_name, e.object_kind, error)) return std::nullopt;
    if (!looks_like_sid(e.sid)) {
        error = fmt::format("field 'sid': '{}' is not an S-1-... SID", e.sid);
        return std::nullopt;
    }
    if (e.mask == 0) {
        error = "field 'mask': 0 (no grant has an empty mask)";
        return std::nullopt;
    }
    return e;
}

JournalOwner decide_journal_owner(std::uint64_t journaled_start_time, const GrantOwnerFacts& owner) noexcept {
    using State = GrantOwnerFacts::State;
    switch (owner.state) {
        case State::not_found:
        case State::exited: return JournalOwner::gone;
        case State::running:
            if (!owner.start_time) return JournalOwner::undecided;
            // Another start time: the pid was reused by a later process.
            return *owner.start_time == journaled_start_time ? JournalOwner::alive : JournalOwner::gone;
        case State::unknown:
            // m8: whether it runs cannot be told (no SYNCHRONIZE handle), but a start time that
            // differs from the journaled one proves the pid names another process: the owner is gone.
            if (owner.start_time && *owner.start_time != journaled_start_time) return JournalOwner::gone;
            return JournalOwner::undecided;
    }
    return JournalOwner::undecided;
}

GrantEntryDecision decide_grant_entry(const GrantJournalEntry& entry, const GrantOwnerFacts& owner,
                                      std::uint32_t current_session_id) noexcept {
    switch (decide_journal_owner(entry.owner_start_time, owner)) {
        case JournalOwner::alive: return GrantEntryDecision::owned;
        case JournalOwner::undecided: return GrantEntryDecision::undecided;
        case JournalOwner::gone: break;
    }
    // "WinSta0\\Default" names a different object in every session: only repair where it was made.
    return entry.owner_session_id == current_session_id ? GrantEntryDecision::repair
                                                        : GrantEntryDecision::other_session;
}

std::string_view to_string(GrantEntryDecision decision) noexcept {
    switch (decision) {
        case GrantEntryDecision::owned: return "owned";
        case GrantEntryDecision::undecided: return "undecided";
        case GrantEntryDecision::repair: return "repair";
        case GrantEntryDecision::other_session: return "other_session";
    }
    return "unknown";
}

}  // namespace safelaunch
