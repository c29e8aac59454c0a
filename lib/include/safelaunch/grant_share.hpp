// Share counting for grants (C4): one safelaunch ACE per (object, SID, rights), held by every
// launcher whose child relies on it, and removed with the last share.
//
// Why shares: several launchers may need the same rights for the same logon SID on one desktop.
// The first adds the ACE; the others find access, which in fact comes from that ACE. If each
// launcher only took back "its own" ACE, the first launcher's revert would cut off every other
// child while it still runs (seen under Wine, win32-review.md, Addendum). So every launcher whose
// child relies on a safelaunch ACE holds a share of it: one journal entry each (grant_journal.hpp).
// All decisions below are made under the per-object lock (grant_lock_name) on facts read under it.
//
// Access that exists without any safelaunch grant (the user's own ACE, an administrator's) is not
// ours: no share is taken of it, and it is never removed.
//
// Which journal entries a launcher may act on at all (M13) is decided here too: only entries whose
// file is owned by the caller, LocalSystem or Administrators.
#pragma once

#include "safelaunch/access_rights.hpp"
#include "safelaunch/grant_journal.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace safelaunch {

// What the Win32 layer read under the object's lock, for one (object, SID, mask) group.
struct GrantShareFacts {
    std::size_t matching_aces = 0;  // explicit ACCESS_ALLOWED ACEs with exactly that SID and mask
    std::size_t live_shares = 0;    // trusted journal entries of the group whose owner runs or cannot be told
    std::size_t stale_shares = 0;   // trusted journal entries of the group whose owner is gone
};

enum class ShareTake {
    add_ace,  // no safelaunch ACE to share and access is missing: add the ACE, take the first share
    join,     // a safelaunch ACE is present: take a share of it, do not touch the DACL
    none,     // access is there without a safelaunch grant (not ours), or not needed: nothing to hold
};

// `access_missing`: the child's token lacks the rights now (AccessCheck under the lock).
// A present matching ACE with any journal entry (live or stale) is a safelaunch ACE: joining it
// keeps it for this launch (a repair then deletes only the stale entries).
[[nodiscard]] ShareTake decide_share_take(const GrantShareFacts& facts, bool access_missing) noexcept;

enum class ShareRelease {
    remove_ace,  // the released share(s) were the last: remove exactly one matching ACE
    keep_ace,    // other live shares remain (or no matching ACE is left): delete the entry only
};

// `others`: the group's facts *without* the share(s) being released (a revert releases its own; a
// repair releases every stale entry of the group at once). Stale entries among the others do not
// keep the ACE: their owners are gone.
[[nodiscard]] ShareRelease decide_share_release(const GrantShareFacts& others) noexcept;

// Does an entry with this staleness decision hold its share? Owned and undecided do (never take a
// grant from a launcher that may still run).
[[nodiscard]] bool holds_share(GrantEntryDecision decision) noexcept;

// Same (object, SID, mask)? Object names compare ASCII-case-insensitively (kernel object names are
// case-insensitive; the Win32 layer compares non-ASCII names with CompareStringOrdinal).
[[nodiscard]] bool same_grant_group(const GrantJournalEntry& a, const GrantJournalEntry& b) noexcept;

// The per-object lock's name, without the namespace prefix ("Local\\" on Windows):
// "safelaunch-grant-<station>" or "safelaunch-grant-<station>-<desktop>". `upper_name` is the
// object name already upper-cased by the caller (one lock per object, whatever the spelling).
// '\\' may not appear after the namespace prefix, so '%', '-', '\\' and '/' in the names are
// escaped as %XX (which keeps distinct objects apart). Names longer than kernel names may be are
// cut and suffixed with a hash of the whole name.
[[nodiscard]] std::string grant_lock_name(ObjectKind kind, std::string_view upper_name);

// M13: may the caller act on a journal entry whose file is owned by `file_owner_sid`?
enum class EntryTrust {
    trusted,        // owned by the caller's user, LocalSystem (S-1-5-18) or Administrators (S-1-5-32-544)
    foreign_owner,  // another user wrote it: never act on it (it could name our SID to strip our ACE)
    owner_unknown,  // the owner could not be read: never act on it
};
[[nodiscard]] EntryTrust decide_entry_trust(const std::optional<std::string>& file_owner_sid,
                                            std::string_view caller_user_sid) noexcept;
[[nodiscard]] std::string_view to_string(EntryTrust trust) noexcept;
[[nodiscard]] std::string_view to_string(ShareTake take) noexcept;

}  // namespace safelaunch
