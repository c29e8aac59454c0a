// SDDL security descriptors: parse what ConvertSecurityDescriptorToStringSecurityDescriptorW emits
// for window stations and desktops, and print it back.
//
// Grammar: [MS-DTYP] 2.5.1.1. Sections O:, G:, D:, S: in any order, each at most once. ACL flags
// P, AR, AI, NO_ACCESS_CONTROL. ACEs "(type;flags;rights;object_guid;inherit_guid;sid[;data])":
// every ACE type of sddl.h is kept (A D OA OD AU OU AL OL ML XA XD XU ZA RA SP); the 7th field of
// conditional / resource-attribute ACEs is kept as raw text, not interpreted. Rights are a number
// ("0x1F01FF", or decimal) or concatenated two-letter names (GA GR GW GX RC SD WD WO RP WP CC DC
// LC SW LO DT CR FA FR FW FX KA KR KW KX NR NW NX). ASCII whitespace between sections, between
// ACEs and around ACE fields is skipped.
//
// Absent vs NULL vs empty DACL: no "D:" → dacl is nullopt (the object has no DACL: everyone gets
// everything); "D:NO_ACCESS_CONTROL" → dacl->is_null (same effect, but stated); "D:" or "D:P" with
// no ACEs → an empty DACL (nobody but the owner gets anything).
//
// to_sddl() prints a normalised form: sections in O G D S order, ACL flags as P AR AI, ACE flags
// in Windows' order (OI CI NP IO ID SA FA CR), rights always as lower-case hex ("0x2037f"), SIDs as
// their SDDL alias when one exists (never a domain-relative one), GUIDs in lower case. So
// parse_sddl(to_sddl(sd)) == sd for every parsed sd, though the text may differ from the input.
#pragma once

#include "safelaunch/error.hpp"
#include "safelaunch/sid.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace safelaunch {

// ACE_HEADER.AceType values (winnt.h).
enum class AceType : std::uint8_t {
    allow = 0x00,                  // A
    deny = 0x01,                   // D
    audit = 0x02,                  // AU
    alarm = 0x03,                  // AL
    allow_object = 0x05,           // OA
    deny_object = 0x06,            // OD
    audit_object = 0x07,           // OU
    alarm_object = 0x08,           // OL
    allow_callback = 0x09,         // XA (conditional)
    deny_callback = 0x0A,          // XD (conditional)
    allow_callback_object = 0x0B,  // ZA (conditional)
    audit_callback = 0x0D,         // XU (conditional)
    mandatory_label = 0x11,        // ML
    resource_attribute = 0x12,     // RA
    scoped_policy_id = 0x13,       // SP
};

// ACE_HEADER.AceFlags bits (winnt.h).
namespace ace_flags {
inline constexpr std::uint8_t kObjectInherit = 0x01;       // OI
inline constexpr std::uint8_t kContainerInherit = 0x02;    // CI
inline constexpr std::uint8_t kNoPropagateInherit = 0x04;  // NP
inline constexpr std::uint8_t kInheritOnly = 0x08;         // IO: does not apply to the object itself
inline constexpr std::uint8_t kInherited = 0x10;           // ID
inline constexpr std::uint8_t kCritical = 0x20;            // CR
inline constexpr std::uint8_t kSuccessfulAccess = 0x40;    // SA (audit)
inline constexpr std::uint8_t kFailedAccess = 0x80;        // FA (audit)
}  // namespace ace_flags

// SYSTEM_MANDATORY_LABEL_ACE access mask bits (the label's policy).
namespace label_policy {
inline constexpr std::uint32_t kNoWriteUp = 0x1;    // NW
inline constexpr std::uint32_t kNoReadUp = 0x2;     // NR
inline constexpr std::uint32_t kNoExecuteUp = 0x4;  // NX
}  // namespace label_policy

struct Ace {
    AceType type = AceType::allow;
    std::uint8_t flags = 0;           // ace_flags bits
    std::uint32_t mask = 0;           // as written: may hold GENERIC_* bits
    std::string object_guid;          // lower case, "" when absent
    std::string inherit_object_guid;  // lower case, "" when absent
    Sid sid;
    std::string application_data;     // raw 7th field of XA/XD/XU/ZA/RA ACEs, parentheses included

    [[nodiscard]] bool inherit_only() const noexcept { return (flags & ace_flags::kInheritOnly) != 0; }
    friend bool operator==(const Ace&, const Ace&) = default;
};

struct Acl {
    bool is_null = false;             // NO_ACCESS_CONTROL
    bool is_protected = false;          // P  (SE_DACL_PROTECTED / SE_SACL_PROTECTED)
    bool auto_inherit_req = false;    // AR
    bool auto_inherited = false;      // AI
    std::vector<Ace> aces;
    friend bool operator==(const Acl&, const Acl&) = default;
};

struct SecurityDescriptor {
    std::optional<Sid> owner;
    std::optional<Sid> group;
    std::optional<Acl> dacl;  // nullopt: no DACL at all (absent)
    std::optional<Acl> sacl;

    [[nodiscard]] bool dacl_absent() const noexcept { return !dacl.has_value(); }
    [[nodiscard]] bool dacl_null() const noexcept { return dacl && dacl->is_null; }
    [[nodiscard]] bool dacl_empty() const noexcept { return dacl && !dacl->is_null && dacl->aces.empty(); }
    // The first ML ACE of the SACL that applies to the object itself (not inherit-only).
    [[nodiscard]] const Ace* mandatory_label() const noexcept;

    friend bool operator==(const SecurityDescriptor&, const SecurityDescriptor&) = default;
};

// Where and why parsing stopped.
struct SddlError {
    std::size_t position = 0;  // 0-based character offset in the input
    std::string near;          // the offending text (at most 32 characters)
    std::string reason;        // "unknown ACE type"
    // "SDDL error at 12 near \"X;;0x1;;;SY)\": unknown ACE type"
    [[nodiscard]] std::string describe() const;
};

// Thrown by the throwing overload: a safelaunch::Error with code ERROR_INVALID_SECURITY_DESCR,
// api "parse_sddl", whose what() is SddlError::describe().
class SddlParseError : public Error {
public:
    explicit SddlParseError(SddlError detail);
    [[nodiscard]] const SddlError& detail() const noexcept { return detail_; }
    [[nodiscard]] const char* what() const noexcept override { return message_.c_str(); }

private:
    SddlError detail_;
    std::string message_;
};

struct SddlOptions {
    SidContext sids;  // resolves domain-relative aliases (LA, DA, ...)
};

// Limits that keep hostile input cheap; real descriptors are far below them. Windows itself caps
// an ACL at 64 KiB, i.e. a few thousand ACEs.
inline constexpr std::size_t kMaxSddlLength = 1u << 20;
inline constexpr std::size_t kMaxAcesPerAcl = 8192;

// Never throws for bad input. On failure: nullopt, ec = ERROR_INVALID_SECURITY_DESCR (1338, win32
// category), and *error (when given) says where.
[[nodiscard]] std::optional<SecurityDescriptor> parse_sddl(std::string_view text, std::error_code& ec,
                                                           SddlError* error = nullptr,
                                                           const SddlOptions& options = {});
// Throws SddlParseError.
[[nodiscard]] SecurityDescriptor parse_sddl(std::string_view text, const SddlOptions& options = {});

// The normalised SDDL text (see the header comment).
[[nodiscard]] std::string to_sddl(const SecurityDescriptor& sd);
[[nodiscard]] std::string to_sddl(const Ace& ace);
// "A", "OA", "ML"...
[[nodiscard]] std::string_view to_string(AceType type) noexcept;

}  // namespace safelaunch
