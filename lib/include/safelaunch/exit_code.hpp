// Exit codes: parse any notation a user pastes, and explain what a code means for a child that
// died at start. Portable: no <windows.h>; the values are Windows' own (ntstatus.h, winerror.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace safelaunch {

// The two forms of "DLL initialization failed" (Microsoft KB 184802): NT4/2000/XP/2003 report
// 128 (ERROR_WAIT_NO_CHILDREN), Vista and later 0xC0000142 (STATUS_DLL_INIT_FAILED).
inline constexpr std::uint32_t kStatusDllInitFailed = 0xC0000142;
inline constexpr std::uint32_t kErrorWaitNoChildren = 128;
// The loader's code when the token may not read or execute the image or a static import
// (program_access.hpp): a look-alike, not a DLL-initialisation failure.
inline constexpr std::uint32_t kStatusAccessDenied = 0xC0000022;
// Its relative when the window station is shutting down (logoff, shutdown): win32k refuses the
// connection and ends the process with this code. Not one of KB 184802's causes.
inline constexpr std::uint32_t kStatusDllInitFailedLogoff = 0xC000026B;

// ---------------------------------------------------------------------------------------------
// Parsing
//
// Accepted notations (surrounding spaces and tabs are ignored):
//   decimal unsigned   3221225794          up to 4294967295; a leading '+' is allowed
//   decimal signed     -1073741502         down to -2147483648, taken as two's complement
//   hex with prefix    0xC0000142 0XC0000142 0xc0000142   at most 8 significant digits
//   hex with suffix    C0000142h 80h                      (debugger / assembler style)
//   bare 8-digit hex   c0000142            only when it holds a letter a-f: Wine's loader and
//                                          crash logs print codes this way ("status c0000142");
//                                          8 decimal digits stay decimal ("10000000")
//   symbolic name      STATUS_DLL_INIT_FAILED, status_dll_init_failed, ERROR_WAIT_NO_CHILDREN
//                      case-insensitive; the names of the catalogue below plus a few aliases
//                      (EXCEPTION_ACCESS_VIOLATION, STILL_ACTIVE, EXIT_FAILURE ...)
// Rejected, each with its own reason: empty input, junk (no number or name), trailing garbage
// after a number, values out of range (> 0xFFFFFFFF or < -2147483648), negative hex, names
// that are not in the catalogue.

enum class ExitCodeParseError {
    none = 0,
    empty,             // "" or only spaces
    junk,              // not a number, name or any notation above: "0x", "--5", "-0x5", "exit code"
    trailing_garbage,  // a number followed by something else: "0xC0000142zz", "128 ms", "1.5"
    out_of_range,      // "4294967296", "-2147483649", "0x1C0000142"
    unknown_name,      // looks like a name but is not one we know: "STATUS_BOGUS"
};

struct ExitCodeParseResult {
    std::optional<std::uint32_t> code;
    ExitCodeParseError error = ExitCodeParseError::none;
    std::string reason;  // one line naming the value, e.g. `"0xC0000142zz": trailing garbage "zz"`
    [[nodiscard]] explicit operator bool() const noexcept { return code.has_value(); }
};

[[nodiscard]] ExitCodeParseResult parse_exit_code_detailed(std::string_view text);
// nullopt on any error.
[[nodiscard]] std::optional<std::uint32_t> parse_exit_code(std::string_view text);
// nullopt on any error, with the one-line reason in `reason`.
[[nodiscard]] std::optional<std::uint32_t> parse_exit_code(std::string_view text, std::string& reason);
// Throws std::invalid_argument carrying the reason.
[[nodiscard]] std::uint32_t parse_exit_code_or_throw(std::string_view text);

[[nodiscard]] std::string_view to_string(ExitCodeParseError e) noexcept;

// ---------------------------------------------------------------------------------------------
// Catalogue

// What the bit layout of a code suggests, for codes the catalogue does not know.
// NTSTATUS: severity in bits 31-30 (00 success, 01 informational, 10 warning, 11 error), bit 29
// the customer bit (set by applications' own exceptions, e.g. 0xE06D7363 for MSVC C++).
// HRESULT: bit 31 failure, facility in bits 26-16 (7 = FACILITY_WIN32 wraps a Win32 error).
enum class ExitCodeFamily {
    ordinary,                // 0 .. 0x3FFFFFFF outside the NTSTATUS informational range: exit()/return value
    ntstatus_informational,  // 0x4xxxxxxx, customer bit clear
    ntstatus_warning,        // 0x8000xxxx (facility 0) and other 0x8/0x9 codes that are not HRESULT-shaped
    ntstatus_error,          // 0xC/0xD with customer bit clear: an unhandled exception or a loader failure
    application_exception,   // customer bit set (0x6/0x7, 0xA/0xB, 0xE/0xF): a runtime's own exception code
    hresult,                 // 0x8xxxxxxx with a non-zero facility: a failed HRESULT returned as exit code
};

[[nodiscard]] std::string_view to_string(ExitCodeFamily f) noexcept;
[[nodiscard]] ExitCodeFamily classify_exit_code(std::uint32_t code) noexcept;

struct ExitCodeInfo {
    std::uint32_t code = 0;
    std::string hex;                   // "0xC0000142"
    std::int32_t signed_value = 0;     // -1073741502: how .NET, PowerShell and %ERRORLEVEL% show it
    std::string name;                  // "STATUS_DLL_INIT_FAILED"; "" when unknown
    bool known = false;                // in the catalogue
    ExitCodeFamily family = ExitCodeFamily::ordinary;
    bool dll_init_failure = false;     // 0xC0000142, or 128 (its pre-Vista form)
    bool desktop_related = false;      // one of KB 184802's window station / desktop causes may apply
    std::string summary;               // one line
    std::vector<std::string> causes;   // most common first
    std::vector<std::string> remedies; // concrete steps, in the order to try them
};

// Always returns an explanation; unknown codes get a generic one from their bit layout.
[[nodiscard]] ExitCodeInfo explain_exit_code(std::uint32_t code);

// "0xC0000142" (upper-case digits, 8 of them).
[[nodiscard]] std::string exit_code_hex(std::uint32_t code);

// "0xC0000142 (3221225794, -1073741502) STATUS_DLL_INIT_FAILED": every notation a user might
// search for, on one line.
[[nodiscard]] std::string describe_exit_code(std::uint32_t code);

// The codes the catalogue explains, in table order (for listings and tests).
[[nodiscard]] std::vector<std::uint32_t> catalogued_exit_codes();

// Codes cut to 8 bits: a runner or shell that keeps only the low byte of the exit code (a POSIX
// exit status, e.g. wine64 on Linux) shows 0xC0000142 as 66. Returns the catalogued codes above
// 0xFF whose low byte is `low_byte`, in table order: known codes only, so an empty list does not
// mean no code ends in that byte. Codes 0..255 are left out: cutting does not change them.
[[nodiscard]] std::vector<std::uint32_t> known_codes_with_low_byte(std::uint8_t low_byte);

}  // namespace safelaunch
