// libFuzzer target: exit-code notations on arbitrary bytes (parse_exit_code_detailed), then the
// explanation and one-line description of whatever parsed, and of the raw bytes read as a code.
// Invariants: a parse either gives a code and no error, or an error with a non-empty one-line
// reason; the other overloads agree; the describe line leads with the hex and holds no newline;
// explain is complete (hex, summary, causes and remedies, dll_init_failure for 128 / 0xC0000142);
// the printed hex and signed forms parse back to the same code.
#include "safelaunch/exit_code.hpp"

#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

namespace {

bool one_line(std::string_view s) { return s.find('\n') == std::string_view::npos && s.find('\r') == std::string_view::npos; }

void check_code(std::uint32_t code) {
    using namespace safelaunch;
    const auto info = explain_exit_code(code);
    if (info.code != code || info.hex != exit_code_hex(code) || info.hex.size() != 10) std::abort();
    if (info.signed_value != static_cast<std::int32_t>(code)) std::abort();
    if (info.summary.empty() || !one_line(info.summary)) std::abort();
    if (info.causes.empty() || info.remedies.empty()) std::abort();
    if (info.dll_init_failure != (code == kStatusDllInitFailed || code == kErrorWaitNoChildren)) std::abort();
    if (info.known != !info.name.empty()) std::abort();
    if (info.family != classify_exit_code(code)) std::abort();
    const auto line = describe_exit_code(code);
    if (line.rfind(info.hex, 0) != 0 || !one_line(line)) std::abort();
    // Every notation we print is one we read back, names included (the macro-form names such as
    // "VcppException(ERROR_MOD_NOT_FOUND)" were once not: reproducer in regressions/exit_code/).
    for (const auto& text : {info.hex, std::to_string(code), std::to_string(info.signed_value), info.name}) {
        if (text.empty()) continue;
        const auto again = parse_exit_code_detailed(text);
        if (!again || *again.code != code) std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace safelaunch;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto r = parse_exit_code_detailed(text);
    if (r.code) {
        if (r.error != ExitCodeParseError::none || !r.reason.empty()) std::abort();
        check_code(*r.code);
    } else {
        if (r.error == ExitCodeParseError::none || r.reason.empty() || !one_line(r.reason)) std::abort();
        if (to_string(r.error).empty()) std::abort();
    }
    std::string reason;
    if (parse_exit_code(text) != r.code || parse_exit_code(text, reason) != r.code || reason != r.reason) std::abort();
    try {
        if (parse_exit_code_or_throw(text) != r.code) std::abort();
    } catch (const std::invalid_argument& e) {
        if (r.code || r.reason != e.what()) std::abort();
    }
    // The first four bytes as a code, so codes the notations rarely reach are explained too.
    if (size >= 4)
        check_code(std::uint32_t{data[0]} | std::uint32_t{data[1]} << 8 | std::uint32_t{data[2]} << 16 |
                   std::uint32_t{data[3]} << 24);
    return 0;
}
