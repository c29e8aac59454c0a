#include "safelaunch/access_evaluator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <utility>

namespace safelaunch {
namespace {

constexpr std::uint32_t kMediumRid = 0x2000;

// Bits MAXIMUM_ALLOWED can produce: everything but the generic bits, MAXIMUM_ALLOWED itself and
// ACCESS_SYSTEM_SECURITY (a privilege, not a DACL matter).
constexpr std::uint32_t kMaxAllowedUniverse =
    ~(rights::kGenericMask | rights::kMaximumAllowed | rights::kAccessSystemSecurity);

// The SIDs one walk of the DACL matches.
struct SidSet {
    std::vector<Sid> enabled;    // match allow and deny ACEs
    std::vector<Sid> deny_only;  // match deny ACEs only
    bool owner = false;          // the SD's owner is among `enabled`

    [[nodiscard]] bool has_enabled(const Sid& s) const { return std::find(enabled.begin(), enabled.end(), s) != enabled.end(); }
    [[nodiscard]] bool has_deny_only(const Sid& s) const { return std::find(deny_only.begin(), deny_only.end(), s) != deny_only.end(); }
};

struct BitOutcome {
    bool decided = false;
    RightDecision d;
};

using Outcomes = std::array<BitOutcome, 32>;

std::uint32_t bit_at(std::size_t i) noexcept { return std::uint32_t{1} << i; }

enum class AceEffect { allow, deny, skip };

AceEffect effect_of(const Ace& ace) noexcept {
    switch (ace.type) {
        case AceType::allow: return AceEffect::allow;
        case AceType::deny:
        case AceType::deny_callback: return AceEffect::deny;
        case AceType::allow_object: return ace.object_guid.empty() ? AceEffect::allow : AceEffect::skip;
        case AceType::deny_object: return ace.object_guid.empty() ? AceEffect::deny : AceEffect::skip;
        default: return AceEffect::skip;
    }
}

bool is_dacl_ace_type(AceType t) noexcept {
    return t == AceType::allow || t == AceType::deny || t == AceType::allow_object || t == AceType::deny_object ||
           t == AceType::allow_callback || t == AceType::deny_callback || t == AceType::allow_callback_object;
}

void add_sid(std::string_view text, std::uint32_t attributes, SidSet& set, std::vector<std::string>& notes,
             std::string_view what) {
    std::error_code ec;
    auto sid = parse_sid(text, ec);
    if (!sid) {
        notes.push_back(fmt::format("{} \"{}\" is not a SID; ignored", what, text));
        return;
    }
    if ((attributes & group_attr::kUseForDenyOnly) != 0) set.deny_only.push_back(std::move(*sid));
    else if ((attributes & group_attr::kEnabled) != 0) set.enabled.push_back(std::move(*sid));
    // Disabled groups match no ACE.
}

SidSet normal_sids(const TokenFacts& token, std::vector<std::string>& notes) {
    SidSet set;
    add_sid(token.user_sid, group_attr::kEnabled, set, notes, "user SID");
    for (const auto& g : token.groups) add_sid(g.sid, g.attributes, set, notes, "group");
    if (token.logon_sid) {
        std::error_code ec;
        if (auto logon = parse_sid(*token.logon_sid, ec); logon && !set.has_enabled(*logon) && !set.has_deny_only(*logon))
            set.enabled.push_back(std::move(*logon));
    }
    return set;
}

SidSet restricted_sids(const TokenFacts& token, std::vector<std::string>& notes) {
    SidSet set;
    // Restricting SIDs are enabled as a rule (TokenRestrictedSids reports them so); honour deny-only.
    for (const auto& g : token.restricted_sids)
        add_sid(g.sid, (g.attributes & group_attr::kUseForDenyOnly) != 0 ? g.attributes : group_attr::kEnabled,
                set, notes, "restricted SID");
    return set;
}

void decide(Outcomes& out, std::uint32_t bits, bool granted, RightSource source, AccessPass pass,
            std::optional<std::size_t> ace_index = std::nullopt, std::string ace_sid = {}) {
    for (std::size_t i = 0; i < 32; ++i) {
        if ((bits & bit_at(i)) == 0 || out[i].decided) continue;
        out[i].decided = true;
        out[i].d = RightDecision{bit_at(i), granted, source, pass, ace_index, ace_sid};
    }
}

std::uint32_t undecided(const Outcomes& out, std::uint32_t universe) noexcept {
    std::uint32_t u = 0;
    for (std::size_t i = 0; i < 32; ++i)
        if ((universe & bit_at(i)) != 0 && !out[i].decided) u |= bit_at(i);
    return u;
}

// One walk of the DACL for the bits in `universe`.
Outcomes walk(const SecurityDescriptor& sd, const SidSet& sids, std::uint32_t universe, const GenericMapping& mapping,
              AccessPass pass, std::vector<std::string>& notes) {
    Outcomes out{};
    if (sd.dacl_absent()) {
        decide(out, universe, true, RightSource::absent_dacl, pass);
        return out;
    }
    if (sd.dacl_null()) {
        decide(out, universe, true, RightSource::null_dacl, pass);
        return out;
    }
    const auto& aces = sd.dacl->aces;
    const bool owner_rights_ace = std::any_of(aces.begin(), aces.end(), [](const Ace& a) {
        return !a.inherit_only() && effect_of(a) != AceEffect::skip && a.sid == well_known::kOwnerRights;
    });
    if (sids.owner && !owner_rights_ace)
        decide(out, universe & (rights::kReadControl | rights::kWriteDac), true, RightSource::owner_implicit, pass);

    for (std::size_t i = 0; i < aces.size(); ++i) {
        const Ace& ace = aces[i];
        if (ace.inherit_only()) continue;
        const AceEffect effect = effect_of(ace);
        if (effect == AceEffect::skip) {
            if (pass == AccessPass::normal && is_dacl_ace_type(ace.type))
                notes.push_back(fmt::format("ACE #{} ({}) not applied: {}", i, to_string(ace.type),
                                            ace.object_guid.empty() ? "its condition is not evaluated"
                                                                    : "object ACE with an object type"));
            else if (pass == AccessPass::normal)
                notes.push_back(fmt::format("ACE #{} ({}) is not a DACL ACE; ignored", i, to_string(ace.type)));
            continue;
        }
        if (ace.type == AceType::deny_callback && pass == AccessPass::normal)
            notes.push_back(fmt::format("ACE #{} (XD) applied as a plain deny: its condition is not evaluated", i));
        bool match = false;
        if (ace.sid == well_known::kOwnerRights) match = sids.owner;
        else if (effect == AceEffect::allow) match = sids.has_enabled(ace.sid);
        else match = sids.has_enabled(ace.sid) || sids.has_deny_only(ace.sid);
        if (!match) continue;
        const std::uint32_t bits = map_generic(ace.mask, mapping) & undecided(out, universe);
        if (bits != 0) decide(out, bits, effect == AceEffect::allow, RightSource::ace, pass, i, ace.sid.to_sddl());
    }
    decide(out, universe, false, RightSource::no_ace, pass);
    return out;
}

// Rights the mandatory label withholds from this token; nullopt when it does not apply.
std::uint32_t integrity_withheld(const SecurityDescriptor& sd, const TokenFacts& token, const GenericMapping& mapping,
                                 std::vector<std::string>& notes) {
    if (token.integrity_sid.empty()) {
        notes.push_back("token integrity level unknown: mandatory label not checked");
        return 0;
    }
    std::error_code ec;
    const auto token_sid = parse_sid(token.integrity_sid, ec);
    const auto token_level = token_sid ? integrity_rid(*token_sid) : std::nullopt;
    if (!token_level) {
        notes.push_back(fmt::format("token integrity \"{}\" is not an integrity SID: mandatory label not checked",
                                    token.integrity_sid));
        return 0;
    }
    std::uint32_t object_level = kMediumRid;
    std::uint32_t policy = label_policy::kNoWriteUp;
    if (const Ace* label = sd.mandatory_label()) {
        const auto level = integrity_rid(label->sid);
        if (!level) {
            notes.push_back(fmt::format("mandatory label SID {} is not an integrity level; ignored", label->sid.to_sddl()));
            return 0;
        }
        object_level = *level;
        policy = label->mask;
    }
    if (*token_level >= object_level) return 0;
    constexpr std::uint32_t kReadOnlyStandard = rights::kReadControl | rights::kSynchronize;
    std::uint32_t withheld = 0;
    if ((policy & label_policy::kNoWriteUp) != 0)
        withheld |= (mapping.write | rights::kDelete | rights::kWriteDac | rights::kWriteOwner) & ~kReadOnlyStandard;
    if ((policy & label_policy::kNoReadUp) != 0) withheld |= mapping.read;
    if ((policy & label_policy::kNoExecuteUp) != 0) withheld |= mapping.execute & ~kReadOnlyStandard;
    return withheld;
}

std::string_view pass_suffix(AccessPass pass) noexcept {
    return pass == AccessPass::restricted ? " in the restricted-SID pass" : "";
}

}  // namespace

std::string RightDecision::describe(ObjectKind kind) const {
    const auto name = describe_rights(right, kind);
    const auto index = ace_index ? *ace_index : 0;
    switch (source) {
        case RightSource::ace:
            return fmt::format("{}: {} by ACE #{} ({}){}", name, granted ? "granted" : "denied", index, ace_sid,
                               pass_suffix(pass));
        case RightSource::owner_implicit: return fmt::format("{}: granted to the owner implicitly{}", name, pass_suffix(pass));
        case RightSource::absent_dacl: return fmt::format("{}: granted (no DACL)", name);
        case RightSource::null_dacl: return fmt::format("{}: granted (NULL DACL)", name);
        case RightSource::no_ace:
            return fmt::format("{}: no ACE grants it{}", name,
                               pass == AccessPass::restricted ? " to the restricted SIDs" : "");
        case RightSource::integrity_policy: return fmt::format("{}: withheld by the mandatory integrity label", name);
        case RightSource::privilege: return fmt::format("{}: needs SeSecurityPrivilege (not modelled)", name);
    }
    return name;
}

std::uint32_t AccessCheckResult::missing() const noexcept {
    return desired & ~rights::kMaximumAllowed & ~granted;
}

const RightDecision* AccessCheckResult::decision(std::uint32_t right) const noexcept {
    for (const auto& d : rights)
        if (d.right == right) return &d;
    return nullptr;
}

std::string AccessCheckResult::describe(ObjectKind kind) const {
    std::string out = fmt::format("granted {}", describe_rights(granted, kind));
    if (missing() != 0) {
        out += "; missing: ";
        bool first = true;
        for (const auto& d : rights) {
            if (d.granted) continue;
            if (!first) out += "; ";
            out += d.describe(kind);
            first = false;
        }
    }
    return out;
}

AccessCheckResult evaluate_access(const SecurityDescriptor& sd, const TokenFacts& token, std::uint32_t desired,
                                  const GenericMapping& mapping) {
    AccessCheckResult result;
    result.desired = map_generic(desired, mapping);
    const bool want_max = (result.desired & rights::kMaximumAllowed) != 0;
    const std::uint32_t explicit_bits = result.desired & ~rights::kMaximumAllowed;
    const std::uint32_t universe = (explicit_bits & ~rights::kAccessSystemSecurity) | (want_max ? kMaxAllowedUniverse : 0);

    SidSet normal = normal_sids(token, result.notes);
    normal.owner = sd.owner && normal.has_enabled(*sd.owner);
    Outcomes outcome = walk(sd, normal, universe, mapping, AccessPass::normal, result.notes);

    if (!token.restricted_sids.empty()) {
        SidSet restricted = restricted_sids(token, result.notes);
        restricted.owner = sd.owner && restricted.has_enabled(*sd.owner);
        const Outcomes second = walk(sd, restricted, universe, mapping, AccessPass::restricted, result.notes);
        for (std::size_t i = 0; i < 32; ++i)
            if (outcome[i].decided && outcome[i].d.granted && second[i].decided && !second[i].d.granted)
                outcome[i] = second[i];  // the restricted walk is what withholds it
    }

    const std::uint32_t withheld = integrity_withheld(sd, token, mapping, result.notes);
    for (std::size_t i = 0; i < 32; ++i) {
        if ((withheld & bit_at(i)) == 0 || !outcome[i].decided || !outcome[i].d.granted) continue;
        outcome[i].d = RightDecision{bit_at(i), false, RightSource::integrity_policy, AccessPass::normal, std::nullopt, {}};
    }

    if ((explicit_bits & rights::kAccessSystemSecurity) != 0) {
        const std::size_t i = 24;  // ACCESS_SYSTEM_SECURITY
        outcome[i] = BitOutcome{true, RightDecision{rights::kAccessSystemSecurity, false, RightSource::privilege,
                                                    AccessPass::normal, std::nullopt, {}}};
        result.notes.emplace_back("ACCESS_SYSTEM_SECURITY needs SeSecurityPrivilege, which the facts do not hold");
    }

    for (std::size_t i = 0; i < 32; ++i) {
        if (!outcome[i].decided) continue;
        if (outcome[i].d.granted) result.granted |= bit_at(i);
        if ((explicit_bits & bit_at(i)) != 0) result.rights.push_back(outcome[i].d);
    }
    if (want_max)
        for (std::size_t i = 0; i < 32; ++i)
            if ((explicit_bits & bit_at(i)) == 0 && outcome[i].decided && outcome[i].d.granted)
                result.rights.push_back(outcome[i].d);

    if (result.desired == 0) {
        result.notes.emplace_back("no access requested: AccessCheck refuses an empty request");
        result.allowed = false;
    } else {
        result.allowed = (explicit_bits & ~result.granted) == 0 && (!want_max || result.granted != 0);
    }
    return result;
}

AccessCheckResult evaluate_access(const SecurityDescriptor& sd, const TokenFacts& token, std::uint32_t desired,
                                  ObjectKind kind) {
    return evaluate_access(sd, token, desired, generic_mapping_for(kind));
}

}  // namespace safelaunch
