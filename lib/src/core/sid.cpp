#include "safelaunch/sid.hpp"

#include "safelaunch/error.hpp"

#include "ascii.hpp"

#include <fmt/format.h>

#include <array>
#include <initializer_list>
#include <utility>

namespace safelaunch {
namespace {

using ascii::is_digit;
using ascii::hex_value;


constexpr std::uint32_t kErrorInvalidSid = 1337;  // ERROR_INVALID_SID

// One SDDL SID alias. Fixed SIDs: authority + sub-authorities. Domain-relative ones: only `rid`,
// appended to the domain SID.
struct Alias {
    std::string_view name;
    std::uint64_t authority;
    std::array<std::uint32_t, 6> sub;
    std::size_t sub_count;
    bool domain_relative;
};

constexpr Alias fixed(std::string_view name, std::uint64_t authority, std::initializer_list<std::uint32_t> sub) {
    Alias a{name, authority, {}, sub.size(), false};
    std::size_t i = 0;
    for (auto v : sub) a.sub[i++] = v;
    return a;
}
constexpr Alias relative(std::string_view name, std::uint32_t rid) {
    return Alias{name, 0, {rid, 0, 0, 0, 0, 0}, 1, true};
}

// Microsoft Learn "SID strings" (sddl.h) and [MS-DTYP] 2.5.1.1 sid-token, with the RIDs of
// "Well-known SIDs". Order matters only for printing: the first alias of a SID wins.
constexpr std::array kAliases = {
    fixed("WD", 1, {0}),            // Everyone
    fixed("CO", 3, {0}),            // CREATOR OWNER (only meaningful in inheritable ACEs)
    fixed("CG", 3, {1}),            // CREATOR GROUP (idem)
    fixed("OW", 3, {4}),            // OWNER RIGHTS
    fixed("NU", 5, {2}),            // NETWORK
    fixed("IU", 5, {4}),            // INTERACTIVE
    fixed("SU", 5, {6}),            // SERVICE
    fixed("AN", 5, {7}),            // ANONYMOUS LOGON
    fixed("ED", 5, {9}),            // ENTERPRISE DOMAIN CONTROLLERS
    fixed("PS", 5, {10}),           // PRINCIPAL SELF
    fixed("AU", 5, {11}),           // Authenticated Users
    fixed("RC", 5, {12}),           // RESTRICTED (restricted code)
    fixed("SY", 5, {18}),           // LocalSystem
    fixed("LS", 5, {19}),           // LocalService
    fixed("NS", 5, {20}),           // NetworkService
    fixed("WR", 5, {33}),           // WRITE RESTRICTED
    fixed("BA", 5, {32, 544}),      // BUILTIN\Administrators
    fixed("BU", 5, {32, 545}),      // BUILTIN\Users
    fixed("BG", 5, {32, 546}),      // BUILTIN\Guests
    fixed("PU", 5, {32, 547}),      // Power Users
    fixed("AO", 5, {32, 548}),      // Account Operators
    fixed("SO", 5, {32, 549}),      // Server Operators
    fixed("PO", 5, {32, 550}),      // Print Operators
    fixed("BO", 5, {32, 551}),      // Backup Operators
    fixed("RE", 5, {32, 552}),      // Replicator
    fixed("RU", 5, {32, 554}),      // Pre-Windows 2000 Compatible Access
    fixed("RD", 5, {32, 555}),      // Remote Desktop Users
    fixed("NO", 5, {32, 556}),      // Network Configuration Operators
    fixed("MU", 5, {32, 558}),      // Performance Monitor Users
    fixed("LU", 5, {32, 559}),      // Performance Log Users
    fixed("IS", 5, {32, 568}),      // IIS_IUSRS
    fixed("CY", 5, {32, 569}),      // Cryptographic Operators
    fixed("ER", 5, {32, 573}),      // Event Log Readers
    fixed("CD", 5, {32, 574}),      // Certificate Service DCOM Access
    fixed("RA", 5, {32, 575}),      // RDS Remote Access Servers
    fixed("ES", 5, {32, 576}),      // RDS Endpoint Servers
    fixed("MS", 5, {32, 577}),      // RDS Management Servers
    fixed("HA", 5, {32, 578}),      // Hyper-V Administrators
    fixed("AA", 5, {32, 579}),      // Access Control Assistance Operators
    fixed("RM", 5, {32, 580}),      // Remote Management Users
    fixed("UD", 5, {84, 0, 0, 0, 0, 0}),  // USER MODE DRIVERS
    fixed("AC", 15, {2, 1}),        // ALL APPLICATION PACKAGES
    fixed("SS", 18, {2}),           // Authentication authority asserted identity
    fixed("AS", 18, {1}),           // Service asserted identity
    fixed("LW", 16, {0x1000}),      // Low integrity
    fixed("ME", 16, {0x2000}),      // Medium integrity
    fixed("MP", 16, {0x2100}),      // Medium-plus integrity
    fixed("HI", 16, {0x3000}),      // High integrity
    fixed("SI", 16, {0x4000}),      // System integrity
    relative("LA", 500),            // local Administrator (machine SID)
    relative("LG", 501),            // local Guest
    relative("RO", 498),            // Enterprise Read-only Domain Controllers (root domain)
    relative("DA", 512),            // Domain Admins
    relative("DU", 513),            // Domain Users
    relative("DG", 514),            // Domain Guests
    relative("DC", 515),            // Domain Computers
    relative("DD", 516),            // Domain Controllers
    relative("CA", 517),            // Cert Publishers
    relative("SA", 518),            // Schema Admins (root domain)
    relative("EA", 519),            // Enterprise Admins (root domain)
    relative("PA", 520),            // Group Policy Creator Owners
    relative("CN", 522),            // Cloneable Domain Controllers
    relative("AP", 525),            // Protected Users
    relative("KA", 526),            // Key Admins
    relative("EK", 527),            // Enterprise Key Admins (root domain)
    relative("RS", 553),            // RAS and IAS Servers
};

const Alias* find_alias(std::string_view name) noexcept {
    for (const auto& a : kAliases)
        if (a.name == name) return &a;
    return nullptr;
}


// Decimal digits only, value <= max; no sign, no empty.
std::optional<std::uint64_t> parse_decimal(std::string_view s, std::uint64_t max) noexcept {
    if (s.empty()) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : s) {
        if (!is_digit(c)) return std::nullopt;
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
        if (v > max) return std::nullopt;
    }
    return v;
}

std::optional<Sid> parse_s_form(std::string_view text) {
    // "S-1-<authority>[-<sub>]..."
    if (text.size() < 4 || (text[0] != 'S' && text[0] != 's') || text[1] != '-') return std::nullopt;
    std::vector<std::string_view> parts;
    std::size_t start = 2;
    while (true) {
        const auto dash = text.find('-', start);
        parts.push_back(text.substr(start, dash == std::string_view::npos ? std::string_view::npos : dash - start));
        if (dash == std::string_view::npos) break;
        start = dash + 1;
        if (parts.size() > 2 + Sid::kMaxSubAuthorities) return std::nullopt;
    }
    if (parts.size() < 2 || parts[0] != "1") return std::nullopt;  // revision 1 only
    std::uint64_t authority = 0;
    const auto auth = parts[1];
    if (auth.size() > 2 && auth[0] == '0' && (auth[1] == 'x' || auth[1] == 'X')) {
        if (auth.size() - 2 > 12) return std::nullopt;
        for (char c : auth.substr(2)) {
            const int h = hex_value(c);
            if (h < 0) return std::nullopt;
            authority = authority * 16 + static_cast<std::uint64_t>(h);
        }
    } else {
        const auto v = parse_decimal(auth, Sid::kMaxAuthority);
        if (!v) return std::nullopt;
        authority = *v;
    }
    const std::size_t count = parts.size() - 2;
    if (count > Sid::kMaxSubAuthorities) return std::nullopt;
    std::vector<std::uint32_t> sub;
    sub.reserve(count);
    for (std::size_t i = 2; i < parts.size(); ++i) {
        const auto v = parse_decimal(parts[i], 0xFFFFFFFFull);
        if (!v) return std::nullopt;
        sub.push_back(static_cast<std::uint32_t>(*v));
    }
    return Sid(authority, std::move(sub));
}

}  // namespace

Sid::Sid(std::uint64_t authority, std::vector<std::uint32_t> sub_authorities)
    : authority_(authority & kMaxAuthority), sub_(std::move(sub_authorities)) {
    if (sub_.size() > kMaxSubAuthorities) sub_.resize(kMaxSubAuthorities);
}

Sid Sid::unresolved_alias(std::string_view alias) {
    Sid s;
    s.unresolved_ = std::string(alias);
    return s;
}

std::string Sid::to_string() const {
    if (is_unresolved_alias()) return unresolved_;
    std::string out = authority_ <= 0xFFFFFFFFull ? fmt::format("S-1-{}", authority_)
                                                  : fmt::format("S-1-0x{:012X}", authority_);
    for (auto v : sub_) out += fmt::format("-{}", v);
    return out;
}

std::string Sid::to_sddl() const {
    if (is_unresolved_alias()) return unresolved_;
    for (const auto& a : kAliases) {
        if (a.domain_relative || a.authority != authority_ || a.sub_count != sub_.size()) continue;
        bool same = true;
        for (std::size_t i = 0; i < a.sub_count; ++i) same = same && a.sub[i] == sub_[i];
        if (same) return std::string(a.name);
    }
    return to_string();
}

std::optional<Sid> sid_from_alias(std::string_view alias, const SidContext& context) {
    const auto* a = find_alias(alias);
    if (a == nullptr) return std::nullopt;
    if (!a->domain_relative) return Sid(a->authority, std::vector<std::uint32_t>(a->sub.begin(), a->sub.begin() + static_cast<std::ptrdiff_t>(a->sub_count)));
    if (!context.domain || context.domain->is_unresolved_alias() ||
        context.domain->sub_authorities().size() >= Sid::kMaxSubAuthorities)
        return std::nullopt;
    auto sub = context.domain->sub_authorities();
    sub.push_back(a->sub[0]);
    return Sid(context.domain->authority(), std::move(sub));
}

bool is_sddl_alias(std::string_view alias) noexcept { return find_alias(alias) != nullptr; }

std::optional<Sid> parse_sid(std::string_view text, std::error_code& ec, const SidContext& context) {
    ec.clear();
    if (text.size() == 2 && is_sddl_alias(text)) {
        if (auto sid = sid_from_alias(text, context)) return sid;
        return Sid::unresolved_alias(text);  // domain-relative, no domain given
    }
    if (auto sid = parse_s_form(text)) return sid;
    ec = make_win32_error(kErrorInvalidSid);
    return std::nullopt;
}

Sid parse_sid(std::string_view text, const SidContext& context) {
    std::error_code ec;
    auto sid = parse_sid(text, ec, context);
    if (!sid) throw Error(ApiFailure{"parse_sid", fmt::format("\"{}\"", text), ec});
    return std::move(*sid);
}

bool is_logon_sid(const Sid& sid) noexcept {
    return !sid.is_unresolved_alias() && sid.authority() == 5 && sid.sub_authorities().size() == 3 &&
           sid.sub_authorities()[0] == 5;
}

std::optional<std::uint32_t> integrity_rid(const Sid& sid) noexcept {
    if (sid.is_unresolved_alias() || sid.authority() != 16 || sid.sub_authorities().size() != 1)
        return std::nullopt;
    return sid.sub_authorities()[0];
}

}  // namespace safelaunch
