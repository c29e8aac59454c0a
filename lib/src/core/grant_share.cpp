#include "safelaunch/grant_share.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

namespace safelaunch {
namespace {

char ascii_upper(char c) noexcept { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

bool equal_ascii_nocase(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return ascii_upper(x) == ascii_upper(y); });
}

std::string escape_part(std::string_view part) {
    std::string out;
    for (const char c : part) {
        if (c == '%' || c == '-' || c == '\\' || c == '/')
            out += fmt::format("%{:02X}", static_cast<unsigned>(static_cast<unsigned char>(c)));
        else
            out += c;
    }
    return out;
}

std::uint64_t fnv1a(std::string_view s) noexcept {
    std::uint64_t h = 14695981039346656037ULL;
    for (const char c : s) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ULL;
    }
    return h;
}

// CreateMutexW: "The name is limited to MAX_PATH characters"; keep well below with "Local\\".
constexpr std::size_t kMaxLockName = 200;

}  // namespace

ShareTake decide_share_take(const GrantShareFacts& facts, bool access_missing) noexcept {
    const bool ours_present = facts.matching_aces > 0 && (facts.live_shares + facts.stale_shares) > 0;
    if (ours_present) return ShareTake::join;
    return access_missing ? ShareTake::add_ace : ShareTake::none;
}

ShareRelease decide_share_release(const GrantShareFacts& others) noexcept {
    return others.live_shares == 0 && others.matching_aces > 0 ? ShareRelease::remove_ace : ShareRelease::keep_ace;
}

bool holds_share(GrantEntryDecision decision) noexcept {
    return decision == GrantEntryDecision::owned || decision == GrantEntryDecision::undecided;
}

bool same_grant_group(const GrantJournalEntry& a, const GrantJournalEntry& b) noexcept {
    return a.object_kind == b.object_kind && a.mask == b.mask && a.sid == b.sid &&
           equal_ascii_nocase(a.object_name, b.object_name);
}

std::string grant_lock_name(ObjectKind kind, std::string_view upper_name) {
    const auto parts = split_grant_object_name(upper_name);
    // Appends only: GCC 12 at -O3 warns falsely (-Wrestrict) on "literal" + std::string&&.
    std::string name = "safelaunch-grant-";
    name += escape_part(parts.station);
    if (kind == ObjectKind::desktop) {
        name += '-';
        name += escape_part(parts.desktop);
    }
    if (name.size() > kMaxLockName)
        name = fmt::format("{}-{:016x}", name.substr(0, kMaxLockName - 17), fnv1a(name));
    return name;
}

EntryTrust decide_entry_trust(const std::optional<std::string>& file_owner_sid,
                              std::string_view caller_user_sid) noexcept {
    if (!file_owner_sid || file_owner_sid->empty()) return EntryTrust::owner_unknown;
    const std::string_view owner = *file_owner_sid;
    if (owner == "S-1-5-18" || owner == "S-1-5-32-544") return EntryTrust::trusted;
    if (!caller_user_sid.empty() && equal_ascii_nocase(owner, caller_user_sid)) return EntryTrust::trusted;
    return EntryTrust::foreign_owner;
}

std::string_view to_string(EntryTrust trust) noexcept {
    switch (trust) {
        case EntryTrust::trusted: return "trusted";
        case EntryTrust::foreign_owner: return "foreign_owner";
        case EntryTrust::owner_unknown: return "owner_unknown";
    }
    return "unknown";
}

std::string_view to_string(ShareTake take) noexcept {
    switch (take) {
        case ShareTake::add_ace: return "add_ace";
        case ShareTake::join: return "join";
        case ShareTake::none: return "none";
    }
    return "unknown";
}

}  // namespace safelaunch
