#include "safelaunch/sddl.hpp"

#include "ascii.hpp"

#include <fmt/format.h>

#include <array>
#include <utility>

namespace safelaunch {
namespace {

using ascii::is_space;
using ascii::hex_value;


constexpr std::uint32_t kErrorInvalidSecurityDescr = 1338;  // ERROR_INVALID_SECURITY_DESCR
constexpr std::size_t kNearLength = 32;

struct AceTypeName {
    std::string_view name;
    AceType type;
    bool object;    // carries object / inherited-object GUIDs
    bool has_data;  // may carry a 7th field (condition or resource attribute)
};

// sddl.h SDDL_ACCESS_ALLOWED ... SDDL_SCOPED_POLICY_ID.
constexpr std::array kAceTypes = {
    AceTypeName{"A", AceType::allow, false, false},
    AceTypeName{"D", AceType::deny, false, false},
    AceTypeName{"AU", AceType::audit, false, false},
    AceTypeName{"AL", AceType::alarm, false, false},
    AceTypeName{"OA", AceType::allow_object, true, false},
    AceTypeName{"OD", AceType::deny_object, true, false},
    AceTypeName{"OU", AceType::audit_object, true, false},
    AceTypeName{"OL", AceType::alarm_object, true, false},
    AceTypeName{"XA", AceType::allow_callback, false, true},
    AceTypeName{"XD", AceType::deny_callback, false, true},
    AceTypeName{"ZA", AceType::allow_callback_object, true, true},
    AceTypeName{"XU", AceType::audit_callback, false, true},
    AceTypeName{"ML", AceType::mandatory_label, false, false},
    AceTypeName{"RA", AceType::resource_attribute, false, true},
    AceTypeName{"SP", AceType::scoped_policy_id, false, false},
};

struct FlagName {
    std::string_view name;
    std::uint8_t bit;
};

// Printing order is Windows' (OICIIO, CIIOID as seen in real descriptors).
constexpr std::array kAceFlags = {
    FlagName{"OI", ace_flags::kObjectInherit},   FlagName{"CI", ace_flags::kContainerInherit},
    FlagName{"NP", ace_flags::kNoPropagateInherit}, FlagName{"IO", ace_flags::kInheritOnly},
    FlagName{"ID", ace_flags::kInherited},       FlagName{"SA", ace_flags::kSuccessfulAccess},
    FlagName{"FA", ace_flags::kFailedAccess},    FlagName{"CR", ace_flags::kCritical},
};

struct RightName {
    std::string_view name;
    std::uint32_t mask;
};

// sddl.h access right strings: generic, standard, directory-service (which Windows also prints
// for window stations and desktops: "CCDCLCSWRPWPDTLOCRSDRCWDWO"), file, registry and label.
constexpr std::array kRights = {
    RightName{"GA", 0x10000000}, RightName{"GR", 0x80000000}, RightName{"GW", 0x40000000},
    RightName{"GX", 0x20000000}, RightName{"RC", 0x00020000}, RightName{"SD", 0x00010000},
    RightName{"WD", 0x00040000}, RightName{"WO", 0x00080000}, RightName{"RP", 0x00000010},
    RightName{"WP", 0x00000020}, RightName{"CC", 0x00000001}, RightName{"DC", 0x00000002},
    RightName{"LC", 0x00000004}, RightName{"SW", 0x00000008}, RightName{"LO", 0x00000080},
    RightName{"DT", 0x00000040}, RightName{"CR", 0x00000100}, RightName{"FA", 0x001F01FF},
    RightName{"FR", 0x00120089}, RightName{"FW", 0x00120116}, RightName{"FX", 0x001200A0},
    RightName{"KA", 0x000F003F}, RightName{"KR", 0x00020019}, RightName{"KW", 0x00020006},
    RightName{"KX", 0x00020019}, RightName{"NR", 0x00000002}, RightName{"NW", 0x00000001},
    RightName{"NX", 0x00000004},
};

constexpr std::string_view kNullAcl = "NO_ACCESS_CONTROL";

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

bool is_section_tag(char c) noexcept { return c == 'O' || c == 'G' || c == 'D' || c == 'S'; }

// A number as wcstoul(base 0) reads it: 0x hex, leading-0 octal, else decimal; <= 2^32-1.
std::optional<std::uint32_t> parse_number(std::string_view s) noexcept {
    unsigned base = 10;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s.remove_prefix(2);
    } else if (s.size() > 1 && s[0] == '0') {
        base = 8;
        s.remove_prefix(1);
    }
    if (s.empty()) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : s) {
        const int d = hex_value(c);
        if (d < 0 || static_cast<unsigned>(d) >= base) return std::nullopt;
        v = v * base + static_cast<std::uint64_t>(d);
        if (v > 0xFFFFFFFFull) return std::nullopt;
    }
    return static_cast<std::uint32_t>(v);
}

class Parser {
public:
    Parser(std::string_view text, const SddlOptions& options) : s_(text), options_(options) {}

    bool parse(SecurityDescriptor& out) {
        if (s_.size() > kMaxSddlLength)
            return fail(kMaxSddlLength, fmt::format("SDDL longer than {} characters", kMaxSddlLength));
        skip_ws();
        if (pos_ >= s_.size()) return fail(0, "empty security descriptor string");
        while (true) {
            skip_ws();
            if (pos_ >= s_.size()) return true;
            const std::size_t at = pos_;
            if (pos_ + 1 >= s_.size() || !is_section_tag(s_[pos_]) || s_[pos_ + 1] != ':')
                return fail(at, seen_any_ ? "unexpected text: expected O:, G:, D: or S:"
                                          : "expected O:, G:, D: or S: at the start");
            const char tag = s_[pos_];
            pos_ += 2;
            seen_any_ = true;
            switch (tag) {
                case 'O':
                    if (out.owner) return fail(at, "duplicate O: section");
                    if (!parse_sid_section(out.owner)) return false;
                    break;
                case 'G':
                    if (out.group) return fail(at, "duplicate G: section");
                    if (!parse_sid_section(out.group)) return false;
                    break;
                case 'D':
                    if (out.dacl) return fail(at, "duplicate D: section");
                    if (!parse_acl(out.dacl.emplace())) return false;
                    break;
                default:
                    if (out.sacl) return fail(at, "duplicate S: section");
                    if (!parse_acl(out.sacl.emplace())) return false;
                    break;
            }
        }
    }

    [[nodiscard]] const SddlError& error() const noexcept { return error_; }

private:
    bool fail(std::size_t at, std::string reason) {
        error_.position = at;
        error_.near.clear();
        for (std::size_t i = at; i < s_.size() && i < at + kNearLength; ++i) {
            const char c = s_[i];
            error_.near += (c >= 0x20 && c < 0x7F) ? c : '?';  // keep the message one printable line
        }
        error_.reason = std::move(reason);
        return false;
    }

    void skip_ws() noexcept {
        while (pos_ < s_.size() && is_space(s_[pos_])) ++pos_;
    }

    // O:/G: value: everything up to the next section tag ("X:") or the end.
    bool parse_sid_section(std::optional<Sid>& out) {
        const std::size_t start = pos_;
        const auto colon = s_.find(':', pos_);
        const std::size_t end = colon == std::string_view::npos ? s_.size() : colon - 1;
        if (end < start) return fail(start, "missing SID");
        const auto raw = s_.substr(start, end - start);
        const auto text = trim(raw);
        if (text.empty()) return fail(start, "missing SID");
        std::error_code ec;
        auto sid = parse_sid(text, ec, options_.sids);
        if (!sid) return fail(start + static_cast<std::size_t>(text.data() - raw.data()), fmt::format("invalid SID \"{}\"", clip(text)));
        out = std::move(*sid);
        pos_ = end;
        return true;
    }

    bool parse_acl(Acl& acl) {
        while (true) {  // flags
            skip_ws();
            const auto rest = s_.substr(pos_);
            if (rest.substr(0, kNullAcl.size()) == kNullAcl) {
                acl.is_null = true;
                pos_ += kNullAcl.size();
            } else if (!rest.empty() && rest[0] == 'P' && (rest.size() == 1 || rest[1] != ':')) {
                acl.is_protected = true;
                ++pos_;
            } else if (rest.substr(0, 2) == "AI") {
                acl.auto_inherited = true;
                pos_ += 2;
            } else if (rest.substr(0, 2) == "AR") {
                acl.auto_inherit_req = true;
                pos_ += 2;
            } else {
                break;
            }
        }
        while (true) {
            skip_ws();
            if (pos_ >= s_.size() || s_[pos_] != '(') break;
            if (acl.is_null) return fail(pos_, "NO_ACCESS_CONTROL ACL cannot have ACEs");
            if (acl.aces.size() >= kMaxAcesPerAcl)
                return fail(pos_, fmt::format("more than {} ACEs in one ACL", kMaxAcesPerAcl));
            if (!parse_ace(acl.aces.emplace_back())) return false;
        }
        if (pos_ < s_.size() && !(pos_ + 1 < s_.size() && is_section_tag(s_[pos_]) && s_[pos_ + 1] == ':')) {
            if (s_[pos_] == ')') return fail(pos_, "unbalanced parenthesis: ')' without '('");
            return fail(pos_, "unexpected text after the ACL: expected '(', an ACL flag or a section");
        }
        return true;
    }

    // One field of an ACE, up to (not including) ';' or ')'.
    struct Field {
        std::string_view text;  // trimmed
        std::size_t at;         // position of the trimmed text
        char end;               // ';', ')' or '\0' at the end of input
    };

    Field read_field() {
        const std::size_t start = pos_;
        while (pos_ < s_.size() && s_[pos_] != ';' && s_[pos_] != ')' && s_[pos_] != '(') ++pos_;
        const auto raw = s_.substr(start, pos_ - start);
        const auto text = trim(raw);
        const char end = pos_ < s_.size() ? s_[pos_] : '\0';
        return {text, start + static_cast<std::size_t>(text.data() - raw.data()), end};
    }

    bool parse_ace(Ace& ace) {
        const std::size_t open = pos_;
        ++pos_;  // '('
        std::array<Field, 6> f{};
        for (std::size_t i = 0; i < f.size(); ++i) {
            f[i] = read_field();
            if (f[i].end == '\0') return fail(open, "unbalanced parenthesis: ACE not closed by ')'");
            if (f[i].end == '(') return fail(pos_, "unexpected '(' inside an ACE");
            if (i < 5 && f[i].end != ';')
                return fail(open, fmt::format("ACE has {} fields, expected 6", i + 1));
            ++pos_;  // past ';' or ')'
        }
        const AceTypeName* type = nullptr;
        for (const auto& t : kAceTypes)
            if (t.name == f[0].text) type = &t;
        if (type == nullptr) return fail(f[0].at, fmt::format("unknown ACE type \"{}\"", clip(f[0].text)));
        ace.type = type->type;
        if (!parse_flags(f[1], ace.flags)) return false;
        if (!parse_rights(f[2], ace.mask)) return false;
        if (!f[3].text.empty() || !f[4].text.empty()) {
            if (!type->object) return fail(f[3].text.empty() ? f[4].at : f[3].at, "object GUID on an ACE type that has none");
            if (!parse_guid(f[3], ace.object_guid) || !parse_guid(f[4], ace.inherit_object_guid)) return false;
        }
        if (f[5].text.empty()) return fail(f[5].at, "missing SID in ACE");
        std::error_code ec;
        auto sid = parse_sid(f[5].text, ec, options_.sids);
        if (!sid) return fail(f[5].at, fmt::format("invalid SID \"{}\"", clip(f[5].text)));
        ace.sid = std::move(*sid);
        if (f[5].end == ';') {  // a 7th field: "(condition)" or a resource attribute
            if (!type->has_data) return fail(pos_ - 1, "ACE has more than 6 fields");
            skip_ws();
            if (!parse_application_data(ace.application_data)) return false;
            skip_ws();
            if (pos_ >= s_.size()) return fail(open, "unbalanced parenthesis: ACE not closed by ')'");
            if (s_[pos_] != ')') return fail(pos_, "expected ')' after the ACE's condition");
            ++pos_;
        }
        return true;
    }

    // Balanced "( ... )" with "quoted" strings whose parentheses do not count.
    bool parse_application_data(std::string& out) {
        const std::size_t start = pos_;
        if (pos_ >= s_.size() || s_[pos_] != '(') return fail(pos_, "expected '(' to open the ACE's condition");
        std::size_t depth = 0;
        bool quoted = false;
        for (; pos_ < s_.size(); ++pos_) {
            const char c = s_[pos_];
            if (quoted) {
                if (c == '"') quoted = false;
                continue;
            }
            if (c == '"') quoted = true;
            else if (c == '(') ++depth;
            else if (c == ')' && --depth == 0) {
                ++pos_;
                out.assign(s_.substr(start, pos_ - start));
                return true;
            }
        }
        return fail(start, "unbalanced parenthesis in the ACE's condition");
    }

    bool parse_flags(const Field& f, std::uint8_t& flags) {
        const auto t = f.text;
        for (std::size_t i = 0; i < t.size(); i += 2) {
            const auto token = t.substr(i, 2);
            const FlagName* found = nullptr;
            for (const auto& fl : kAceFlags)
                if (fl.name == token) found = &fl;
            if (found == nullptr || token.size() != 2)
                return fail(f.at + i, fmt::format("unknown ACE flag \"{}\"", clip(token)));
            flags = static_cast<std::uint8_t>(flags | found->bit);
        }
        return true;
    }

    bool parse_rights(const Field& f, std::uint32_t& mask) {
        const auto t = f.text;
        if (t.empty()) return true;  // RA ACEs and some tools write no rights: 0
        if (t[0] >= '0' && t[0] <= '9') {
            const auto v = parse_number(t);
            if (!v) return fail(f.at, fmt::format("bad access mask \"{}\"", clip(t)));
            mask = *v;
            return true;
        }
        for (std::size_t i = 0; i < t.size(); i += 2) {
            const auto token = t.substr(i, 2);
            const RightName* found = nullptr;
            for (const auto& r : kRights)
                if (r.name == token) found = &r;
            if (found == nullptr || token.size() != 2)
                return fail(f.at + i, fmt::format("unknown access right \"{}\"", clip(token)));
            mask |= found->mask;
        }
        return true;
    }

    bool parse_guid(const Field& f, std::string& out) {
        const auto t = f.text;
        if (t.empty()) return true;
        bool ok = t.size() == 36;
        for (std::size_t i = 0; ok && i < t.size(); ++i) {
            const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
            ok = dash ? t[i] == '-' : hex_value(t[i]) >= 0;
        }
        if (!ok) return fail(f.at, fmt::format("bad GUID \"{}\"", clip(t)));
        out.assign(t);
        for (auto& c : out)
            if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
        return true;
    }

    static std::string clip(std::string_view s) {
        std::string out;
        for (std::size_t i = 0; i < s.size() && i < kNearLength; ++i)
            out += (s[i] >= 0x20 && s[i] < 0x7F) ? s[i] : '?';
        return out;
    }

    std::string_view s_;
    const SddlOptions& options_;
    std::size_t pos_ = 0;
    bool seen_any_ = false;
    SddlError error_;
};

void append_acl(std::string& out, const Acl& acl) {
    if (acl.is_protected) out += 'P';
    if (acl.auto_inherit_req) out += "AR";
    if (acl.auto_inherited) out += "AI";
    if (acl.is_null) out += kNullAcl;
    for (const auto& ace : acl.aces) out += to_sddl(ace);
}

}  // namespace

const Ace* SecurityDescriptor::mandatory_label() const noexcept {
    if (!sacl) return nullptr;
    for (const auto& ace : sacl->aces)
        if (ace.type == AceType::mandatory_label && !ace.inherit_only()) return &ace;
    return nullptr;
}

std::string SddlError::describe() const {
    return fmt::format("SDDL error at {} near \"{}\": {}", position, near, reason);
}

SddlParseError::SddlParseError(SddlError detail)
    : Error(ApiFailure{"parse_sddl", detail.describe(), make_win32_error(kErrorInvalidSecurityDescr)}),
      detail_(std::move(detail)),
      message_(detail_.describe()) {}

std::optional<SecurityDescriptor> parse_sddl(std::string_view text, std::error_code& ec, SddlError* error,
                                             const SddlOptions& options) {
    ec.clear();
    Parser parser(text, options);
    SecurityDescriptor sd;
    if (parser.parse(sd)) return sd;
    ec = make_win32_error(kErrorInvalidSecurityDescr);
    if (error != nullptr) *error = parser.error();
    return std::nullopt;
}

SecurityDescriptor parse_sddl(std::string_view text, const SddlOptions& options) {
    std::error_code ec;
    SddlError error;
    auto sd = parse_sddl(text, ec, &error, options);
    if (!sd) throw SddlParseError(std::move(error));
    return std::move(*sd);
}

std::string_view to_string(AceType type) noexcept {
    for (const auto& t : kAceTypes)
        if (t.type == type) return t.name;
    return "?";
}

std::string to_sddl(const Ace& ace) {
    std::string out = "(";
    out += to_string(ace.type);
    out += ';';
    for (const auto& f : kAceFlags)
        if ((ace.flags & f.bit) != 0) out += f.name;
    out += fmt::format(";0x{:x};{};{};{}", ace.mask, ace.object_guid, ace.inherit_object_guid, ace.sid.to_sddl());
    if (!ace.application_data.empty()) {
        out += ';';
        out += ace.application_data;
    }
    out += ')';
    return out;
}

std::string to_sddl(const SecurityDescriptor& sd) {
    std::string out;
    if (sd.owner) out += "O:" + sd.owner->to_sddl();
    if (sd.group) out += "G:" + sd.group->to_sddl();
    if (sd.dacl) {
        out += "D:";
        append_acl(out, *sd.dacl);
    }
    if (sd.sacl) {
        out += "S:";
        append_acl(out, *sd.sacl);
    }
    return out;
}

}  // namespace safelaunch
