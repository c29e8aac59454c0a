// The grant journal: a record of every ScopedGrant written *before* its ACE is added and removed
// *after* it is taken back, so a launcher that dies in between (TerminateProcess, crash, power
// loss) leaves evidence from which a later run or `safelaunch repair` removes the leaked ACE.
//
// Format: one file per grant, "<id>.json", holding one JSON object (below). Why one file per grant
// rather than one shared file: each launcher only ever creates, and later deletes, its own files,
// so concurrent launchers never rewrite the same file, and nothing needs a lock. A file is written
// under "<id>.tmp" and renamed into place, so a reader sees a whole entry or none; a crash between
// the two leaves only a .tmp and no ACE (the ACE is added after the rename).
//
// {"version":1,"id":"1234-01da0c0ffee00000-0","owner_pid":1234,
//  "owner_start_time":133462144000000000,"owner_session_id":1,"object_kind":"desktop",
//  "object_name":"WinSta0\\Locked","sid":"S-1-5-5-0-12345","mask":462,
//  "prior_sddl":"D:P(A;;0xf01ff;;;SY)","created_utc":"2026-11-25T03:00:00Z"}
//
// Whether an entry is stale is decided here, on facts about its owner gathered by the Win32 layer.
#pragma once

#include "safelaunch/access_rights.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace safelaunch {

inline constexpr int kGrantJournalVersion = 1;
inline constexpr std::string_view kGrantJournalSuffix = ".json";
inline constexpr std::string_view kGrantJournalTempSuffix = ".tmp";

struct GrantJournalEntry {
    std::string id;                        // unique: "<pid>-<start time, 16 hex>-<sequence>"; the file stem
    std::uint32_t owner_pid = 0;           // the launcher that made the grant
    std::uint64_t owner_start_time = 0;    // its creation time, FILETIME (100 ns since 1601) as an integer
    std::uint32_t owner_session_id = 0;    // station/desktop names are per session: repair only there
    ObjectKind object_kind = ObjectKind::desktop;  // window_station or desktop
    std::string object_name;               // "Station" or "Station\\Desk"
    std::string sid;                       // the granted SID, canonical "S-1-..."
    std::uint32_t mask = 0;                // the ACE's mask (generic rights already mapped)
    std::optional<std::string> prior_sddl; // for people reading the journal; repair never writes it back
    std::string created_utc;               // "2026-11-25T03:00:00Z"

    friend bool operator==(const GrantJournalEntry&, const GrantJournalEntry&) = default;
};

// "<pid>-<start time as 16 hex digits>-<sequence>": unique across processes (pid + start time) and
// within one (sequence).
[[nodiscard]] std::string make_grant_journal_id(std::uint32_t pid, std::uint64_t start_time, std::uint64_t sequence);

// One JSON object, one line, no trailing newline.
[[nodiscard]] std::string grant_journal_entry_text(const GrantJournalEntry& entry);

// Parses and validates an entry. On failure returns nullopt and sets `error` to one line naming
// the problem ("field 'mask': missing or not an unsigned 32-bit number"). Never throws for bad text.
[[nodiscard]] std::optional<GrantJournalEntry> parse_grant_journal_entry(std::string_view text, std::string& error);

// "desktop" / "window_station"; nullopt for anything else.
[[nodiscard]] std::string_view grant_object_kind_name(ObjectKind kind) noexcept;
[[nodiscard]] std::optional<ObjectKind> grant_object_kind_from_name(std::string_view name) noexcept;

// "WinSta0\\Locked" -> {"WinSta0", "Locked"}; a station name -> {name, ""}.
struct GrantObjectName {
    std::string station;
    std::string desktop;  // empty for a window station
};
[[nodiscard]] GrantObjectName split_grant_object_name(std::string_view object_name);

// What the Win32 layer found out about an entry's owner process.
struct GrantOwnerFacts {
    enum class State {
        running,    // a process with that pid runs (start_time says whether it is the same one)
        exited,     // the pid still names a process object, but it has exited
        not_found,  // no process with that pid (OpenProcess: ERROR_INVALID_PARAMETER)
        unknown,    // whether it runs could not be told: no handle with SYNCHRONIZE to wait on
                    // (GetExitCodeProcess == STILL_ACTIVE is no proof: a process may exit with 259)
    };
    State state = State::unknown;
    std::optional<std::uint64_t> start_time;  // FILETIME creation time when it could be read
    std::string detail;                       // why unknown
};

enum class GrantEntryDecision {
    owned,          // the owner still runs: its grant is in use, leave it
    undecided,      // the owner cannot be told apart from a stranger: leave it, report it
    repair,         // the owner is gone (or its pid now names another process): remove the ACE
    other_session,  // stale, but made in another session whose objects we cannot name from here
};

// Whether a journal entry's owner still runs (shared by the grant and pool journals). A pid alone
// is not an identity (pids are reused), so the owner is alive only when a running process has that
// pid *and* the journaled start time. When it cannot be told whether the pid's process runs, a
// different start time still proves the owner gone; otherwise it is undecided.
enum class JournalOwner { alive, gone, undecided };
[[nodiscard]] JournalOwner decide_journal_owner(std::uint64_t journaled_start_time,
                                                const GrantOwnerFacts& owner) noexcept;

// The staleness rule (decide_journal_owner, then the session). A pid alone is not an identity (pids are reused), so the owner counts as
// alive only when a running process has that pid *and* the journaled start time. When it cannot be
// told whether the pid's process runs, a different start time still proves the owner gone;
// otherwise the entry is undecided.
[[nodiscard]] GrantEntryDecision decide_grant_entry(const GrantJournalEntry& entry, const GrantOwnerFacts& owner,
                                                    std::uint32_t current_session_id) noexcept;

[[nodiscard]] std::string_view to_string(GrantEntryDecision decision) noexcept;

}  // namespace safelaunch
