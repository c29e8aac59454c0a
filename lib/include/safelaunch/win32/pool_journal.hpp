// The pool journal on disk (format and repair decision: safelaunch/pool_journal.hpp): one file per
// pooled window station or desktop, "<id>.json" in "<grant journal folder>\pool" (same DACL rules
// as the grant journal, whose file helpers it shares), and the repair of entries whose launcher
// is gone: the object's presence is looked up by name (OpenWindowStationW / OpenDesktopW in this
// session), the decision is decide_pool_entry's, and only entries whose object has gone are
// deleted (no API destroys a station or desktop by name).
#pragma once

#include "safelaunch/error.hpp"
#include "safelaunch/pool_journal.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace safelaunch::win32 {

// grant_journal_dir() + "\pool", created when missing.
[[nodiscard]] std::string pool_journal_dir(std::error_code& ec, ApiFailure* failure = nullptr);

// An entry for an object the current process's pool is about to create: owner pid, start time and
// session of this process, a fresh id, the time now.
[[nodiscard]] PoolJournalEntry new_pool_journal_entry(ObjectKind kind, std::string object_name, std::string pool,
                                                      std::string key_sid, std::uint32_t heap_kb);
// "<dir>\<id>.json", written via "<id>.tmp" and renamed; returns its path.
[[nodiscard]] std::string write_pool_journal_entry(const std::string& dir, const PoolJournalEntry& entry,
                                                   std::error_code& ec, ApiFailure* failure = nullptr);
void remove_pool_journal_entry(const std::string& path, std::error_code& ec, ApiFailure* failure = nullptr);

struct PoolJournalFile {
    std::string path;
    PoolJournalEntry entry;
    std::optional<std::string> owner_sid;  // the file's owner
    EntryTrust trust = EntryTrust::owner_unknown;
};
struct CorruptPoolJournalFile {
    std::string path;
    std::string error;
};
struct PoolJournalListing {
    std::vector<PoolJournalFile> entries;
    std::vector<CorruptPoolJournalFile> corrupt;
};
// Every "*.json" in `dir` (a missing folder is empty); unreadable or invalid files are corrupt.
[[nodiscard]] PoolJournalListing read_pool_journal(const std::string& dir, std::error_code& ec,
                                                   ApiFailure* failure = nullptr);

// Whether the journaled object exists in this session: OpenWindowStationW (and OpenDesktopW for a
// desktop) by name. ERROR_FILE_NOT_FOUND: gone; opened or ERROR_ACCESS_DENIED: exists; anything
// else: unknown. Which processes use it is not gathered (no documented API lists a station's
// processes): users stay empty and users_complete false.
[[nodiscard]] PoolObjectFacts gather_pool_object_facts(const PoolJournalEntry& entry);

struct PoolRepairReport {
    struct Item {
        PoolJournalFile file;
        PoolRepairStep step;
        std::optional<ApiFailure> remove_failure;  // drop_entry, but the file could not be deleted
    };
    std::string dir;
    std::vector<Item> items;
    std::vector<CorruptPoolJournalFile> corrupt;
    // True when nothing needs a person: no step needs attention, no corrupt file, no failed delete.
    [[nodiscard]] bool all_repaired() const noexcept;
};

// Reads `dir`, gathers the facts of each entry (owner; the object when
// pool_entry_needs_object_facts), plans (plan_pool_repair) and applies: deletes the entries of
// vanished objects. Fails as a whole (ec) only when the folder cannot be listed.
[[nodiscard]] PoolRepairReport repair_pool_journal(const std::string& dir, std::error_code& ec,
                                                   ApiFailure* failure = nullptr);

}  // namespace safelaunch::win32
