// libFuzzer target for the SDDL parser: any bytes must parse or fail cleanly (code 1338, a position
// inside the input, a one-line reason); what parses must print to SDDL that parses back to an
// equal descriptor (parse -> print -> parse); the AccessCheck model must not crash on it.
#include "safelaunch/access_evaluator.hpp"
#include "safelaunch/error.hpp"
#include "safelaunch/sddl.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace safelaunch;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    std::error_code ec;
    SddlError error;
    const auto sd = parse_sddl(text, ec, &error);
    if (!sd) {
        // A clean failure (sddl.hpp): ERROR_INVALID_SECURITY_DESCR, a position inside the input,
        // at most 32 characters of context, a reason, and a one-line message.
        if (ec.value() != 1338 || &ec.category() != &win32_category()) std::abort();
        if (error.position > size || error.near.size() > 32 || error.reason.empty()) std::abort();
        if (error.describe().find('\n') != std::string::npos) std::abort();
        return 0;
    }
    if (ec) std::abort();  // parsed, yet an error was reported
    const auto printed = to_sddl(*sd);
    const auto again = parse_sddl(printed, ec, &error);
    if (!again || !(*again == *sd) || to_sddl(*again) != printed) std::abort();  // round trip broken

    // A token that matches the common SIDs, restricted, at low integrity: exercises every pass.
    TokenFacts token;
    token.user_sid = "S-1-5-21-1-2-3-1001";
    token.logon_sid = "S-1-5-5-0-425489";
    token.integrity_sid = "S-1-16-4096";
    token.groups = {{"S-1-1-0", "", 7}, {"S-1-5-32-544", "", 0x10}, {"S-1-5-11", "", 7}};
    token.restricted_sids = {{"S-1-5-12", "", 7}, {"S-1-1-0", "", 7}};
    const std::uint32_t desired = size >= 4 ? (std::uint32_t{data[0]} | std::uint32_t{data[1]} << 8 |
                                               std::uint32_t{data[2]} << 16 | std::uint32_t{data[3]} << 24)
                                            : 0x0200037Fu;
    for (auto kind : {ObjectKind::window_station, ObjectKind::desktop}) {
        const auto result = evaluate_access(*sd, token, desired, kind);
        if ((result.desired & rights::kMaximumAllowed) == 0 && (result.granted & ~result.desired) != 0)
            std::abort();  // granted something not asked for
        if (result.allowed && result.missing() != 0) std::abort();
        (void)result.describe(kind);
    }
    return 0;
}
