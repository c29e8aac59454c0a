// The pool journal: a record of every window station and desktop a desktop pool creates, so a
// later `safelaunch repair` can tell what a killed launcher left behind (issue 8 part 2).
//
// What Windows does with them (why repair cannot destroy anything). Window stations and desktops
// are kernel objects with names in their session's object namespace
// (\Sessions\<n>\Windows\WindowStations\<Station>, each desktop inside its station). No API
// destroys one by name: CloseWindowStation and CloseDesktop close one handle. The object goes when
// its last handle and reference go: a process holds its window station's handle, and each thread
// connected to a desktop keeps that desktop in use (CloseDesktop even fails while a thread of the
// caller uses it). So when a launcher is killed (TerminateProcess, crash, Ctrl+C that ends the
// process), its handles close and its pooled stations and desktops vanish by themselves, unless a
// child started on them still runs, or another process holds a handle (inherited, duplicated or
// opened). Then repair can do only two things: say the object is held (ending its holders frees
// it; the Win32 side cannot list them: no documented API gives a station's processes), and
// remove entries whose objects are gone. Names are per session:
// "sl-xyz" in session 1 is not "sl-xyz" in session 2, so an object is looked up only in the
// session its launcher ran in.
//
// Format: like the grant journal (safelaunch/grant_journal.hpp), one file per object,
// "<id>.json", written under "<id>.tmp" and renamed into place, with the same id
// ("<pid>-<start time, 16 hex>-<sequence>", make_grant_journal_id), in the folder "pool" inside
// the grant journal's folder (so it has that folder's protected DACL). The pool writes an object's
// entry before it lends the object to any child, and removes it after closing its own handles.
// A crash before the entry is written leaks nothing (no child runs there yet, so the object goes
// with the launcher's handles); a crash after it leaves an entry that repair checks: the object
// is gone (drop the entry) or children keep it alive (name them). The station and the desktop get
// one entry each: a child's process holds its station and its threads its desktop, so either can
// be the one that is left.
//
// {"version":1,"journal":"pool","id":"1234-01da0c0ffee00000-0","owner_pid":1234,
//  "owner_start_time":133462144000000000,"owner_session_id":1,"object_kind":"desktop",
//  "object_name":"sl-3f9a0c\\sl-77d1e2","pool":"ci","key_sid":"S-1-5-5-0-12345","heap_kb":512,
//  "created_utc":"2026-11-25T03:00:00Z"}
//
// The repair decision (decide_pool_entry) is made here, on facts the Win32 layer gathers: whether
// the owner runs (the grant journal's rule, decide_journal_owner), whether the object still
// exists, and which processes use it.
#pragma once

#include "safelaunch/access_rights.hpp"
#include "safelaunch/grant_journal.hpp"
#include "safelaunch/grant_share.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace safelaunch {

inline constexpr int kPoolJournalVersion = 1;
inline constexpr std::string_view kPoolJournalFolder = "pool";  // inside the grant journal's folder

struct PoolJournalEntry {
    std::string id;                      // "<pid>-<start time, 16 hex>-<sequence>"; the file stem
    std::uint32_t owner_pid = 0;         // the launcher whose pool made the object
    std::uint64_t owner_start_time = 0;  // its creation time, FILETIME as an integer
    std::uint32_t owner_session_id = 0;  // the session whose namespace holds the name
    ObjectKind object_kind = ObjectKind::desktop;  // window_station or desktop
    std::string object_name;             // "Station" or "Station\\Desk"
    std::string pool;                    // the pool's name (--pool NAME); may be empty
    std::string key_sid;                 // the pool key: the child's logon or user SID ...
    std::uint32_t heap_kb = 0;           // ... and the desktop heap asked for
    std::string created_utc;             // "2026-11-25T03:00:00Z"

    friend bool operator==(const PoolJournalEntry&, const PoolJournalEntry&) = default;
};

// One JSON object, one line, no trailing newline.
[[nodiscard]] std::string pool_journal_entry_text(const PoolJournalEntry& entry);

// Parses and validates an entry. On failure returns nullopt and sets `error` to one line naming the
// problem. Never throws for bad text. A grant journal entry is not a pool entry ("journal").
[[nodiscard]] std::optional<PoolJournalEntry> parse_pool_journal_entry(std::string_view text, std::string& error);

// A process found using a pooled object: connected to the station, or with a thread on the desktop.
struct PoolObjectUser {
    std::uint32_t pid = 0;
    std::string image;  // "child.exe"; empty when unreadable
};

// What the Win32 layer found out about a journaled object, in the owner's session.
struct PoolObjectFacts {
    enum class Presence {
        gone,     // no object has that name any more (it went with its last handle)
        exists,   // an object of that name exists: taken as ours (random names; stations CWF_CREATE_ONLY)
        unknown,  // could not be told (e.g. access denied): `detail` says why
    };
    Presence presence = Presence::unknown;
    std::string detail;
    std::vector<PoolObjectUser> users;  // when it exists: the processes found using it
    bool users_complete = false;        // every process could be inspected (else some may be missing)
};

enum class PoolEntryDecision {
    owned,           // the owner runs: its pool is alive; leave the entry
    undecided,       // the owner cannot be told apart from a stranger; leave it, report it
    other_session,   // the owner is gone, but the name belongs to another session's namespace
    untrusted,       // the file was not written by the caller, SYSTEM or Administrators: not acted on
    vanished,        // the owner is gone and so is the object: drop the entry, nothing leaked
    held,            // the owner is gone, the object lives on: report who keeps it; keep the entry
    object_unknown,  // the owner is gone, the object's presence cannot be told: leave it, report it
};
[[nodiscard]] std::string_view to_string(PoolEntryDecision decision) noexcept;

struct PoolEntryFacts {
    EntryTrust trust = EntryTrust::owner_unknown;  // decide_entry_trust on the file's owner
    GrantOwnerFacts owner;
    std::optional<PoolObjectFacts> object;  // gathered when pool_entry_needs_object_facts()
};

// Whether repair must look at the object: only for a trusted entry whose owner is gone, in the
// current session (anywhere else the decision does not depend on it, or the name means nothing).
[[nodiscard]] bool pool_entry_needs_object_facts(const PoolJournalEntry& entry, EntryTrust trust,
                                                 const GrantOwnerFacts& owner,
                                                 std::uint32_t current_session_id) noexcept;

struct PoolRepairStep {
    PoolEntryDecision decision = PoolEntryDecision::undecided;
    bool drop_entry = false;       // delete the journal file (vanished only)
    bool needs_attention = false;  // a person should look: repair exits 1
    std::string report;            // one line
};

// The decision for one entry. A held object keeps its entry: the entry is the only record that
// the object is a pool's leftover, and the next repair drops it once the holders have ended. A
// held object needs attention (it still takes session view space and desktop heap) though repair
// cannot free it: the report names the processes to end when they were gathered (PoolObjectFacts::users).
[[nodiscard]] PoolRepairStep decide_pool_entry(const PoolJournalEntry& entry, const PoolEntryFacts& facts,
                                               std::uint32_t current_session_id);

// All entries: one step each, in order, and whether any needs attention.
struct PoolRepairPlan {
    std::vector<PoolRepairStep> steps;
    bool needs_attention = false;
};
struct PoolJournalItem {
    PoolJournalEntry entry;
    PoolEntryFacts facts;
};
[[nodiscard]] PoolRepairPlan plan_pool_repair(const std::vector<PoolJournalItem>& items,
                                              std::uint32_t current_session_id);

}  // namespace safelaunch
