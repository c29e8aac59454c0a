#include "safelaunch/exit_code.hpp"

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <string>

namespace safelaunch {
namespace {

struct Notation {
    std::string_view text;
    std::uint32_t code;
};

// Every way 0xC0000142 appears in the wild: GetExitCodeProcess as unsigned (3221225794), .NET /
// PowerShell / %ERRORLEVEL% as signed (-1073741502), the error dialog and ntstatus.h in hex, Wine's
// loader as bare hex ("Initializing dlls for ... failed, status c0000142"), debuggers with an h.
TEST(ExitCodeParse, AcceptsEveryNotationOfDllInitFailed) {
    const Notation table[] = {
        {"0xC0000142", kStatusDllInitFailed},      {"0xc0000142", kStatusDllInitFailed},
        {"0XC0000142", kStatusDllInitFailed},      {"0x00000000C0000142", kStatusDllInitFailed},
        {"3221225794", kStatusDllInitFailed},      {"+3221225794", kStatusDllInitFailed},
        {"-1073741502", kStatusDllInitFailed},     {"STATUS_DLL_INIT_FAILED", kStatusDllInitFailed},
        {"status_dll_init_failed", kStatusDllInitFailed}, {"Status_Dll_Init_Failed", kStatusDllInitFailed},
        {"C0000142h", kStatusDllInitFailed},       {"c0000142H", kStatusDllInitFailed},
        {"c0000142", kStatusDllInitFailed},        {"C0000142", kStatusDllInitFailed},
        {"  0xC0000142\t", kStatusDllInitFailed},
    };
    for (const auto& [text, code] : table) {
        std::string reason;
        EXPECT_EQ(parse_exit_code(text, reason), code) << text << ": " << reason;
        EXPECT_TRUE(reason.empty()) << text;
    }
}

// KB 184802: "The failed process returns the exit code 128 or ERROR_WAIT_NO_CHILDREN".
TEST(ExitCodeParse, AcceptsEveryNotationOf128) {
    for (std::string_view text : {"128", "+128", "0x80", "0X00000080", "80h", "ERROR_WAIT_NO_CHILDREN", "error_wait_no_children"})
        EXPECT_EQ(parse_exit_code(text), kErrorWaitNoChildren) << text;
}

struct LookAlike {
    std::uint32_t code;
    std::string_view name;
    std::string_view hex;
    std::string_view unsigned_text;
    std::string_view signed_text;
};

// Values from ntstatus.h; signed forms as .NET's Process.ExitCode reports them.
constexpr LookAlike kLookAlikes[] = {
    {0xC0000135, "STATUS_DLL_NOT_FOUND", "0xC0000135", "3221225781", "-1073741515"},
    {0xC000007B, "STATUS_INVALID_IMAGE_FORMAT", "0xC000007B", "3221225595", "-1073741701"},
    {0xC0000005, "STATUS_ACCESS_VIOLATION", "0xC0000005", "3221225477", "-1073741819"},
    {0xC0000409, "STATUS_STACK_BUFFER_OVERRUN", "0xC0000409", "3221226505", "-1073740791"},
    {0xC000001D, "STATUS_ILLEGAL_INSTRUCTION", "0xC000001D", "3221225501", "-1073741795"},
    {0xC0000139, "STATUS_ENTRYPOINT_NOT_FOUND", "0xC0000139", "3221225785", "-1073741511"},
    {0xC0000022, "STATUS_ACCESS_DENIED", "0xC0000022", "3221225506", "-1073741790"},
    {0xC0000017, "STATUS_NO_MEMORY", "0xC0000017", "3221225495", "-1073741801"},
    {0xC00000FD, "STATUS_STACK_OVERFLOW", "0xC00000FD", "3221225725", "-1073741571"},
    {0xC0000374, "STATUS_HEAP_CORRUPTION", "0xC0000374", "3221226356", "-1073740940"},
    {0xC000013A, "STATUS_CONTROL_C_EXIT", "0xC000013A", "3221225786", "-1073741510"},
    {0x40010004, "DBG_TERMINATE_PROCESS", "0x40010004", "1073807364", "1073807364"},
    {0xC0000194, "STATUS_POSSIBLE_DEADLOCK", "0xC0000194", "3221225876", "-1073741420"},
    {0xE0434352, "EXCEPTION_COMPLUS", "0xE0434352", "3762504530", "-532462766"},
    {0xC0000417, "STATUS_INVALID_CRUNTIME_PARAMETER", "0xC0000417", "3221226519", "-1073740777"},
    {0xC0000018, "STATUS_CONFLICTING_ADDRESSES", "0xC0000018", "3221225496", "-1073741800"},
    {0xC0000143, "STATUS_MISSING_SYSTEMFILE", "0xC0000143", "3221225795", "-1073741501"},
};

TEST(ExitCodeParse, AcceptsEveryNotationOfTheLookAlikes) {
    for (const auto& l : kLookAlikes) {
        EXPECT_EQ(parse_exit_code(l.name), l.code) << l.name;
        EXPECT_EQ(parse_exit_code(l.hex), l.code) << l.hex;
        EXPECT_EQ(parse_exit_code(l.unsigned_text), l.code) << l.unsigned_text;
        EXPECT_EQ(parse_exit_code(l.signed_text), l.code) << l.signed_text;
    }
}

TEST(ExitCodeParse, AcceptsTheRangeBoundsAndDecimalEightDigits) {
    const Notation table[] = {
        {"0", 0},
        {"-0", 0},
        {"4294967295", 0xFFFFFFFF},
        {"0xFFFFFFFF", 0xFFFFFFFF},
        {"-1", 0xFFFFFFFF},
        {"-2147483648", 0x80000000},
        {"2147483648", 0x80000000},
        {"10000000", 10000000},      // 8 decimal digits stay decimal
        {"0000007b", 0x7B},          // 8 digits with a hex letter: bare hex
        {"EXIT_FAILURE", 1},
        {"STILL_ACTIVE", 259},
        {"EXCEPTION_ACCESS_VIOLATION", 0xC0000005},
    };
    for (const auto& [text, code] : table) EXPECT_EQ(parse_exit_code(text), code) << text;
}

struct BadInput {
    std::string_view text;
    ExitCodeParseError error;
    std::string_view reason_part;
};

TEST(ExitCodeParse, RejectsBadInputWithAReasonNamingTheValue) {
    const BadInput table[] = {
        {"", ExitCodeParseError::empty, "empty"},
        {"   ", ExitCodeParseError::empty, "empty"},
        {"0x", ExitCodeParseError::junk, "no hex digits"},
        {"0x-1", ExitCodeParseError::junk, "no hex digits"},
        {"--5", ExitCodeParseError::junk, "no digits"},
        {"-0xC0000142", ExitCodeParseError::junk, "negative hex"},
        {"exit code", ExitCodeParseError::junk, "not an exit code"},
        {"$?", ExitCodeParseError::junk, "not an exit code"},
        {"0xC0000142zz", ExitCodeParseError::trailing_garbage, "\"zz\""},
        {"128 ms", ExitCodeParseError::trailing_garbage, "\" ms\""},
        {"1.5", ExitCodeParseError::trailing_garbage, "\".5\""},
        {"3221225794x", ExitCodeParseError::trailing_garbage, "\"x\""},
        {"-1073741502abc", ExitCodeParseError::trailing_garbage, "\"abc\""},
        {"C0000142zz", ExitCodeParseError::trailing_garbage, "\"zz\""},
        // Bare hex without 0x or h is exactly 8 digits: 7 or 9 are garbage after a decimal number.
        {"1234abc", ExitCodeParseError::trailing_garbage, "\"abc\""},
        {"00000007b", ExitCodeParseError::trailing_garbage, "\"b\""},
        {"4294967296", ExitCodeParseError::out_of_range, "larger than 4294967295"},
        {"99999999999999999999999999", ExitCodeParseError::out_of_range, "larger than"},
        {"-2147483649", ExitCodeParseError::out_of_range, "smaller than -2147483648"},
        {"0x1C0000142", ExitCodeParseError::out_of_range, "larger than 0xFFFFFFFF"},
        {"1C0000142h", ExitCodeParseError::out_of_range, "larger than 0xFFFFFFFF"},
        {"STATUS_BOGUS", ExitCodeParseError::unknown_name, "not a known exit code name"},
        {"STATUS_DLL_INIT_FAILEDX", ExitCodeParseError::unknown_name, "not a known exit code name"},
    };
    for (const auto& b : table) {
        const auto r = parse_exit_code_detailed(b.text);
        EXPECT_FALSE(r) << b.text;
        EXPECT_EQ(r.code, std::nullopt) << b.text;
        EXPECT_EQ(r.error, b.error) << b.text << " gave " << to_string(r.error);
        EXPECT_NE(r.reason.find(b.reason_part), std::string::npos) << b.text << ": " << r.reason;
        if (b.error != ExitCodeParseError::empty) {
            // Built with append: MinGW GCC 12 -O2 gives a false -Wrestrict on "\"" + std::string(...) + "\"".
            std::string quoted(1, '"');
            quoted.append(b.text).push_back('"');
            EXPECT_NE(r.reason.find(quoted), std::string::npos) << r.reason;
        }
        EXPECT_EQ(r.reason.find('\n'), std::string::npos) << r.reason;
    }
}

TEST(ExitCodeParse, ReasonStaysOneBoundedLineForHostileInput) {
    const std::string long_junk(500, '#');
    const auto r = parse_exit_code_detailed(long_junk + "\n\r");
    EXPECT_EQ(r.error, ExitCodeParseError::junk);
    EXPECT_LT(r.reason.size(), 200U);
    EXPECT_EQ(r.reason.find('\n'), std::string::npos);
}

TEST(ExitCodeParse, ThrowingOverloadCarriesTheReason) {
    EXPECT_EQ(parse_exit_code_or_throw("0xC0000142"), kStatusDllInitFailed);
    try {
        (void)parse_exit_code_or_throw("0xC0000142zz");
        FAIL() << "no exception";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("\"0xC0000142zz\": trailing garbage"), std::string::npos) << e.what();
    }
}

TEST(ExitCodeCatalogue, ExplainsDllInitFailedInEveryNotation) {
    const auto info = explain_exit_code(kStatusDllInitFailed);
    EXPECT_TRUE(info.known);
    EXPECT_EQ(info.name, "STATUS_DLL_INIT_FAILED");
    EXPECT_EQ(info.hex, "0xC0000142");
    EXPECT_EQ(info.signed_value, -1073741502);
    EXPECT_EQ(info.family, ExitCodeFamily::ntstatus_error);
    EXPECT_TRUE(info.dll_init_failure);
    EXPECT_TRUE(info.desktop_related);
    ASSERT_GE(info.causes.size(), 2U);
    EXPECT_NE(info.causes[0].find("access"), std::string::npos);
    EXPECT_NE(info.causes[1].find("desktop heap"), std::string::npos);
    EXPECT_EQ(describe_exit_code(kStatusDllInitFailed), "0xC0000142 (3221225794, -1073741502) STATUS_DLL_INIT_FAILED");
}

TEST(ExitCodeCatalogue, Explains128AsThePreVistaForm) {
    const auto info = explain_exit_code(kErrorWaitNoChildren);
    EXPECT_EQ(info.name, "ERROR_WAIT_NO_CHILDREN");
    EXPECT_EQ(info.hex, "0x00000080");
    EXPECT_EQ(info.signed_value, 128);
    EXPECT_EQ(info.family, ExitCodeFamily::ordinary);
    EXPECT_TRUE(info.dll_init_failure);
    EXPECT_TRUE(info.desktop_related);
    EXPECT_NE(info.summary.find("XP/2003"), std::string::npos);
    EXPECT_NE(info.summary.find("0xC0000142"), std::string::npos);
}

TEST(ExitCodeCatalogue, LookAlikesAreNotDesktopProblems) {
    for (const auto& l : kLookAlikes) {
        const auto info = explain_exit_code(l.code);
        EXPECT_TRUE(info.known) << l.name;
        EXPECT_EQ(info.name, l.name);
        EXPECT_EQ(info.hex, l.hex);
        EXPECT_EQ(std::to_string(info.signed_value), l.signed_text);
        EXPECT_FALSE(info.dll_init_failure) << l.name;
        EXPECT_FALSE(info.desktop_related) << l.name;
        EXPECT_FALSE(info.summary.empty()) << l.name;
        EXPECT_FALSE(info.causes.empty()) << l.name;
        EXPECT_FALSE(info.remedies.empty()) << l.name;
    }
}

TEST(ExitCodeCatalogue, DelayLoadAndCppExceptionsAreApplicationExceptionsOrNtStatus) {
    EXPECT_EQ(explain_exit_code(0xC06D007E).name, "VcppException(ERROR_MOD_NOT_FOUND)");
    EXPECT_EQ(explain_exit_code(0xC06D007E).family, ExitCodeFamily::ntstatus_error);
    EXPECT_EQ(explain_exit_code(0xE0434352).family, ExitCodeFamily::application_exception);
    EXPECT_EQ(explain_exit_code(0xE06D7363).name, "EXCEPTION_MSVC");
    EXPECT_EQ(explain_exit_code(0x40010004).family, ExitCodeFamily::ntstatus_informational);
}

TEST(ExitCodeCatalogue, EveryEntryIsCompleteUniqueAndItsNameParses) {
    std::set<std::uint32_t> seen;
    for (const auto code : catalogued_exit_codes()) {
        EXPECT_TRUE(seen.insert(code).second) << "duplicate " << code;
        const auto info = explain_exit_code(code);
        EXPECT_TRUE(info.known);
        EXPECT_FALSE(info.name.empty());
        EXPECT_FALSE(info.summary.empty()) << info.name;
        EXPECT_FALSE(info.causes.empty()) << info.name;
        EXPECT_FALSE(info.remedies.empty()) << info.name;
        EXPECT_EQ(info.dll_init_failure, code == kStatusDllInitFailed || code == kErrorWaitNoChildren) << info.name;
        EXPECT_EQ(info.desktop_related, info.dll_init_failure) << info.name;
        // Every name parses back, macro forms such as "VcppException(...)" too.
        EXPECT_EQ(parse_exit_code(info.name), code) << info.name;
        EXPECT_EQ(parse_exit_code(info.hex), code);
    }
    EXPECT_GE(seen.size(), 25U);
}

TEST(ExitCodeCatalogue, ZeroAndOneAreOrdinaryExits) {
    const auto zero = explain_exit_code(0);
    EXPECT_EQ(zero.name, "EXIT_SUCCESS");
    EXPECT_EQ(zero.family, ExitCodeFamily::ordinary);
    EXPECT_FALSE(zero.dll_init_failure);
    const auto one = explain_exit_code(1);
    EXPECT_EQ(one.name, "EXIT_FAILURE");
    EXPECT_EQ(one.family, ExitCodeFamily::ordinary);
    EXPECT_FALSE(one.desktop_related);
}

struct Shape {
    std::uint32_t code;
    ExitCodeFamily family;
    std::string_view summary_part;
    std::string_view cause_part;  // in some cause; empty: not checked
};

TEST(ExitCodeCatalogue, UnknownCodesAreExplainedByTheirShape) {
    const Shape table[] = {
        {0xC0000999, ExitCodeFamily::ntstatus_error, "NTSTATUS error severity", ""},
        {0xC0000145, ExitCodeFamily::ntstatus_error, "NTSTATUS error severity", ""},  // STATUS_APP_INIT_FAILURE
        {0x80070005, ExitCodeFamily::hresult, "HRESULT (facility 7, code 5)", "ERROR_ACCESS_DENIED"},  // E_ACCESSDENIED
        {0x80004005, ExitCodeFamily::hresult, "HRESULT (facility 0, code 16389)", ""},                 // E_FAIL
        {0x80000002, ExitCodeFamily::ntstatus_warning, "NTSTATUS warning", ""},  // STATUS_DATATYPE_MISALIGNMENT
        {0x40000015, ExitCodeFamily::ntstatus_informational, "informational", ""},  // STATUS_FATAL_APP_EXIT
        // The edges of each shape: NTSTATUS warnings have facility 0 and a code below 0x1000.
        {0x80000FFF, ExitCodeFamily::ntstatus_warning, "NTSTATUS warning", ""},
        {0x80001000, ExitCodeFamily::hresult, "HRESULT (facility 0, code 4096)", ""},
        {0x80010001, ExitCodeFamily::hresult, "HRESULT (facility 1, code 1)", ""},
        {0xA0000001, ExitCodeFamily::application_exception, "customer bit", ""},
        {0x60000001, ExitCodeFamily::application_exception, "customer bit", ""},
        {0x3FFFFFFF, ExitCodeFamily::ordinary, "value the program chose", ""},
        {0xE0000001, ExitCodeFamily::application_exception, "customer bit", ""},
        {42, ExitCodeFamily::ordinary, "value the program chose", ""},
        {5, ExitCodeFamily::ordinary, "value the program chose", "ERROR_ACCESS_DENIED"},
    };
    for (const auto& s : table) {
        const auto info = explain_exit_code(s.code);
        EXPECT_FALSE(info.known) << info.hex;
        EXPECT_TRUE(info.name.empty()) << info.hex;
        EXPECT_EQ(info.family, s.family) << info.hex << " gave " << to_string(info.family);
        EXPECT_NE(info.summary.find(s.summary_part), std::string::npos) << info.hex << ": " << info.summary;
        EXPECT_FALSE(info.causes.empty());
        EXPECT_FALSE(info.remedies.empty());
        if (!s.cause_part.empty()) {
            bool found = false;
            for (const auto& c : info.causes) found = found || c.find(s.cause_part) != std::string::npos;
            EXPECT_TRUE(found) << info.hex;
        }
    }
}

TEST(ExitCodeParse, EveryCatalogueNameParsesBackIncludingMacroForms) {
    for (const auto code : catalogued_exit_codes()) {
        const auto info = explain_exit_code(code);
        if (info.name.empty()) continue;
        EXPECT_EQ(parse_exit_code(info.name), code) << info.name;
    }
    EXPECT_EQ(parse_exit_code("VcppException(ERROR_MOD_NOT_FOUND)"), 0xC06D007Eu);
}

}  // namespace
}  // namespace safelaunch
