// The grant journal on disk, and the repair of grants whose launcher died before taking them back.
//
// Where: %SAFELAUNCH_JOURNAL_DIR% when set (tests), else %ProgramData%\safelaunch\grants when it can
// be written (one journal for every launcher on the machine, so an administrator's repair sees
// all), else %LOCALAPPDATA%\safelaunch\grants.
//
// ScopedGrant (grant.hpp) writes its entry before SetSecurityInfo adds the ACE and deletes it after
// the revert succeeded; the entry format and the staleness rule are portable
// (safelaunch/grant_journal.hpp).
//
// Repair removes exactly the journaled ACE (an ACCESS_ALLOWED ACE with that SID and mask), never
// writes the journaled prior SDDL back: since the grant, someone else may have changed the DACL
// (another launcher's grant, an administrator's fix), and a wholesale restore would undo that.
// Removal is also the only thing a journal entry can cause: a forged entry in the shared folder
// can at worst take away one ACE that names the same SID and mask, never add access.
//
// Several live grants of the same SID and mask on the same object are several identical ACEs (one
// per grant). Repair removes one only while there are more matching ACEs than live entries for
// them, and it counts the live entries *after* reading the DACL: an entry is always written before
// its ACE, so every ACE in the DACL read is accounted for.
#pragma once

#include "safelaunch/error.hpp"
#include "safelaunch/grant_journal.hpp"

#include <cstdint>
#include <functional>
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
// is listed as corrupt. A missing folder is an empty journal.
[[nodiscard]] GrantJournalListing read_grant_journal(const std::string& dir, std::error_code& ec,
                                                     ApiFailure* failure = nullptr);

// OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION | SYNCHRONIZE) + GetProcessTimes.
[[nodiscard]] GrantOwnerFacts gather_grant_owner_facts(std::uint32_t pid);
// ProcessIdToSessionId of the current process.
[[nodiscard]] std::uint32_t current_session_id();

enum class AceRemoval {
    removed,      // one matching ACE was taken out
    absent,       // no matching ACE beyond those live grants still hold
    object_gone,  // the station or desktop no longer exists (its ACEs went with it)
};
[[nodiscard]] std::string_view to_string(AceRemoval removal) noexcept;

// Removes one explicit ACCESS_ALLOWED ACE for `sid` with exactly `mask` from the object's DACL, unless
// at most `live_holders()` such ACEs are present (called after the DACL was read). The object is
// opened by name (READ_CONTROL | WRITE_DAC); the DACL keeps its protection flag.
[[nodiscard]] AceRemoval remove_granted_ace(ObjectKind kind, const std::string& object_name, const std::string& sid,
                                            std::uint32_t mask, const std::function<std::size_t()>& live_holders,
                                            std::error_code& ec, ApiFailure* failure = nullptr);

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
    std::string dir;
    std::vector<Repaired> repaired;
    std::vector<Left> left;
    std::vector<Failed> failed;
    std::vector<CorruptGrantJournalFile> corrupt;

    // True when nothing needs a person: every stale grant was repaired, none undecided or corrupt.
    // Entries whose owner still runs are fine.
    [[nodiscard]] bool all_repaired() const noexcept;
};

// Reads the journal in `dir`, and for each entry whose owner is gone (decide_grant_entry ==
// repair) removes its ACE (remove_granted_ace) and then its file. Fails as a whole (ec) only when
// the folder cannot be listed; per-entry failures are in the report.
[[nodiscard]] GrantRepairReport repair_stale_grants(const std::string& dir, std::error_code& ec,
                                                    ApiFailure* failure = nullptr);
// The same on grant_journal_dir().
[[nodiscard]] GrantRepairReport repair_stale_grants(std::error_code& ec, ApiFailure* failure = nullptr);
[[nodiscard]] GrantRepairReport repair_stale_grants();

}  // namespace safelaunch::win32
