// Security identifiers as values: parse and print "S-1-..." strings and SDDL aliases ("BA", "SY").
//
// Portable: no <windows.h>. Parsing follows ConvertStringSidToSidW's rules (revision 1; identifier
// authority decimal, or hex "0x" + up to 12 digits; at most 15 sub-authorities, each <= 2^32-1),
// and printing follows ConvertSidToStringSidW (authority in decimal below 2^32, else 0x%012X).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace safelaunch {

class Sid {
public:
    static constexpr std::size_t kMaxSubAuthorities = 15;
    static constexpr std::uint64_t kMaxAuthority = 0xFFFFFFFFFFFFull;  // 48 bits

    Sid() = default;  // S-1-0 (the null authority, no sub-authorities)
    // Precondition (checked by parse_sid): authority <= kMaxAuthority, sub.size() <= 15.
    Sid(std::uint64_t authority, std::vector<std::uint32_t> sub_authorities);

    [[nodiscard]] std::uint64_t authority() const noexcept { return authority_; }
    [[nodiscard]] const std::vector<std::uint32_t>& sub_authorities() const noexcept { return sub_; }

    // A domain-relative SDDL alias ("LA", "DA") read with no domain SID to resolve it: a placeholder
    // that prints as its alias and matches no real SID.
    [[nodiscard]] bool is_unresolved_alias() const noexcept { return !unresolved_.empty(); }
    [[nodiscard]] static Sid unresolved_alias(std::string_view alias);

    // "S-1-5-32-544" (or the alias of an unresolved placeholder).
    [[nodiscard]] std::string to_string() const;
    // The SDDL alias Windows would print ("BA"), else to_string(). Domain-relative aliases are
    // never produced: they depend on the machine's or domain's SID.
    [[nodiscard]] std::string to_sddl() const;

    friend bool operator==(const Sid&, const Sid&) = default;

private:
    std::uint64_t authority_ = 0;
    std::vector<std::uint32_t> sub_;
    std::string unresolved_;
};

// Context for SDDL aliases that are relative to a domain ("DA" = <domain>-512, "LA" = <machine>-500).
// One SID serves both the account domain and the forest root domain (a documented simplification).
struct SidContext {
    std::optional<Sid> domain;
};

// Parses "S-1-..." (an 's' prefix is accepted too) or a two-letter SDDL alias.
[[nodiscard]] std::optional<Sid> parse_sid(std::string_view text, std::error_code& ec,
                                           const SidContext& context = {});
// Throws safelaunch::Error (api "parse_sid", the text as object, ERROR_INVALID_SID).
[[nodiscard]] Sid parse_sid(std::string_view text, const SidContext& context = {});

// The SID an SDDL alias stands for; nullopt for an unknown alias, or for a domain-relative one
// when `context` has no domain.
[[nodiscard]] std::optional<Sid> sid_from_alias(std::string_view alias, const SidContext& context = {});
// True for every alias listed in Microsoft's "SID strings" page (sddl.h), domain-relative or not.
[[nodiscard]] bool is_sddl_alias(std::string_view alias) noexcept;

// S-1-5-5-X-Y: the logon SID of one logon session (what WinSta0/Default ACEs name).
[[nodiscard]] bool is_logon_sid(const Sid& sid) noexcept;
// S-1-16-<rid>: a mandatory integrity level; returns the RID (0x2000 = medium).
[[nodiscard]] std::optional<std::uint32_t> integrity_rid(const Sid& sid) noexcept;

// Well-known SIDs the evaluator treats specially.
namespace well_known {
inline const Sid kEveryone{1, {0}};
inline const Sid kCreatorOwner{3, {0}};
inline const Sid kCreatorGroup{3, {1}};
inline const Sid kOwnerRights{3, {4}};
inline const Sid kRestrictedCode{5, {12}};
inline const Sid kLocalSystem{5, {18}};
inline const Sid kBuiltinAdministrators{5, {32, 544}};
}  // namespace well_known

}  // namespace safelaunch
