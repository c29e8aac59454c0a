// The grant journal on disk, and the repair of grants whose launcher died before taking them back.
//
// Where (M13): %SAFELAUNCH_JOURNAL_DIR% when set (tests); else, for LocalSystem and elevated
// administrators, %ProgramData%\safelaunch\grants with a protected DACL that lets only SYSTEM and
// Administrators in (one journal for every administrator's launcher, so an administrator's repair
// sees them all); else a per-user journal, %LOCALAPPDATA%\safelaunch\grants, with a protected DACL
// for SYSTEM, Administrators and the user. No user can write into another user's journal.
//
// Each entry is one share of a safelaunch ACE (safelaunch/grant_share.hpp): ScopedGrant
// (grant.hpp) writes its entry before it adds the ACE or joins it, under the object's lock
// (grant_lock.hpp), and deletes it after its revert. The entry format and the staleness rule are
// portable (safelaunch/grant_journal.hpp).
//
// Repair removes exactly one journaled ACE (an ACCESS_ALLOWED ACE with that SID and mask) when a
// group's last live share is gone, and never writes the journaled prior SDDL back: since the
// grant, someone else may have changed the DACL (an administrator's fix), and a wholesale restore
// would undo that. Removal is also the only thing a journal entry can cause, and only an entry
// whose file is owned by the caller, SYSTEM or Administrators is acted on (decide_entry_trust):
// a file another user planted is reported and left alone.
#pragma once

#include "safelaunch/error.hpp"
#include "safelaunch/grant_journal.hpp"
#include "safelaunch/grant_share.hpp"
#include "safelaunch/win32/handles.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace safelaunch::win32 {

inline constexpr char kGrantJournalDirVariable[] = "SAFELAUNCH_JOURNAL_DIR";

// The journal folder (UTF-8), created when missing.
[[nodiscard]] std::string grant_journal_dir(std::error_code& ec, ApiFailure* failure = nullptr);
[[nodiscard]] std::string grant_journal_dir();

// An entry for a grant the current process is about to make: owner pid, start time and session of
// this process, a fresh id, the time now.
[[nodiscard]] GrantJournalEntry new_grant_journal_entry(ObjectKind kind, std::string object_name, std::string sid,
                                                        std::uint32_t mask, std::optional<std::string> prior_sddl);

// Writes "<dir>\<id>.json" (via "<id>.tmp", flushed, then renamed) and returns its path.
[[nodiscard]] std::string write_grant_journal_entry(const std::string& dir, const GrantJournalEntry& entry,
                                                    std::error_code& ec, ApiFailure* failure = nullptr);
[[nodiscard]] std::string write_grant_journal_entry(const std::string& dir, const GrantJournalEntry& entry);
// Deletes one entry file; one that is already gone is not an error.
void remove_grant_journal_entry(const std::string& path, std::error_code& ec, ApiFailure* failure = nullptr);
void remove_grant_journal_entry(const std::string& path);

struct GrantJournalFile {
    std::string path;
    GrantJournalEntry entry;
    std::optional<std::string> owner_sid;         // the file's owner (GetSecurityInfo), when readable
    EntryTrust trust = EntryTrust::owner_unknown;  // decide_entry_trust(owner_sid, current_user_sid())
};
struct CorruptGrantJournalFile {
    std::string path;
    std::string error;  // one line
};
struct GrantJournalListing {
    std::vector<GrantJournalFile> entries;
    std::vector<CorruptGrantJournalFile> corrupt;  // reported, never deleted
};

// Every "*.json" in `dir`. An unreadable or invalid file, or one whose id is not its file name,
// is listed as corrupt. A missing folder is an empty journal. Each file's owner is read from the
// handle its text was read through.
[[nodiscard]] GrantJournalListing read_grant_journal(const std::string& dir, std::error_code& ec,
                                                     ApiFailure* failure = nullptr);

// OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION | SYNCHRONIZE) + GetProcessTimes, and
// WaitForSingleObject(0) for whether it ended. Without SYNCHRONIZE the state is `unknown` (with the
// start time when it can be read): the exit code cannot tell (a process may exit with 259).
[[nodiscard]] GrantOwnerFacts gather_grant_owner_facts(std::uint32_t pid);
// ProcessIdToSessionId of the current process.
[[nodiscard]] std::uint32_t current_session_id();
// The process token's user SID ("S-1-5-21-..."); "" when it cannot be read.
[[nodiscard]] std::string current_user_sid();
// LocalSystem, or a token in which BUILTIN\Administrators is enabled (elevated).
[[nodiscard]] bool caller_is_administrator();

// Building blocks of the share counting, used under the object's lock (grant_lock.hpp).
// Explicit ACCESS_ALLOWED ACEs with exactly `sid` and `mask` in `object`'s DACL (READ_CONTROL).
[[nodiscard]] std::size_t count_matching_aces(HANDLE object, PSID sid, std::uint32_t mask, std::error_code& ec,
                                              ApiFailure* failure = nullptr);
// Deletes the first such ACE, keeping the order of the others and the DACL's protection
// (READ_CONTROL | WRITE_DAC). False when there was none.
bool remove_one_matching_ace(HANDLE object, PSID sid, std::uint32_t mask, std::error_code& ec,
                             ApiFailure* failure = nullptr);
// The shares of `group`'s (object, SID, mask) in `dir`, read now: trusted entries only, the files in
// `exclude` not counted. `matching_aces` is passed through.
[[nodiscard]] GrantShareFacts count_grant_shares(const std::string& dir, const GrantJournalEntry& group,
                                                 const std::vector<std::string>& exclude, std::size_t matching_aces);

enum class AceRemoval {
    removed,      // the group's last share was gone: its one ACE was taken out
    absent,       // no matching ACE left to take out (or the group's ACE went with another entry)
    kept,         // other launchers still hold live shares of the ACE: only the entry went
    object_gone,  // the station or desktop no longer exists (its ACEs went with it)
};
[[nodiscard]] std::string_view to_string(AceRemoval removal) noexcept;

struct GrantRepairReport {
    struct Repaired {
        GrantJournalFile file;
        AceRemoval how = AceRemoval::removed;
    };
    struct Left {  // entries repair leaves in place
        GrantJournalFile file;
        GrantEntryDecision decision = GrantEntryDecision::owned;  // owned, undecided or other_session
        std::string detail;
    };
    struct Failed {  // stale, but the ACE or the entry could not be removed
        GrantJournalFile file;
        ApiFailure failure;
    };
    struct Untrusted {  // M13: not written by us, SYSTEM or Administrators: never acted on
        GrantJournalFile file;
    };
    std::string dir;
    std::vector<Repaired> repaired;
    std::vector<Left> left;
    std::vector<Failed> failed;
    std::vector<CorruptGrantJournalFile> corrupt;
    std::vector<Untrusted> untrusted;

    // True when nothing needs a person: every stale grant was repaired, none undecided, corrupt or untrusted.
    // Entries whose owner still runs are fine.
    [[nodiscard]] bool all_repaired() const noexcept;
};

// Reads the journal in `dir`; for each group of trusted entries whose owners are gone
// (decide_grant_entry == repair), under the object's lock, removes the group's ACE when no live
// share of it is left (decide_share_release), then deletes the entries. Fails as a whole (ec) only
// when the folder cannot be listed; per-entry failures are in the report.
[[nodiscard]] GrantRepairReport repair_stale_grants(const std::string& dir, std::error_code& ec,
                                                    ApiFailure* failure = nullptr);
// The same on grant_journal_dir().
[[nodiscard]] GrantRepairReport repair_stale_grants(std::error_code& ec, ApiFailure* failure = nullptr);
[[nodiscard]] GrantRepairReport repair_stale_grants();

}  // namespace safelaunch::win32
