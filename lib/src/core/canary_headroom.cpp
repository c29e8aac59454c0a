#include "safelaunch/canary_headroom.hpp"

#include "safelaunch/exit_code.hpp"
#include "safelaunch/probe_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

namespace safelaunch {
namespace {

// safelaunch-probe's exit codes (launcher/probe/safelaunch_probe.cpp; stable).
constexpr std::uint32_t kProbeOk = 0;
constexpr std::uint32_t kProbeRegisterClassFailed = 4;
constexpr std::uint32_t kProbeHeapExhausted = 5;
constexpr std::uint32_t kProbeHandleQuota = 6;

std::optional<ProbeReport> report_of(const CanaryFacts& canary) {
    return canary.report ? parse_probe_report(*canary.report) : std::nullopt;
}

}  // namespace

HeadroomReading headroom_from_canary(const CanaryFacts& canary, std::uint32_t kb_needed) {
    HeadroomReading r;
    if (!canary.ran) {
        r.unmeasurable = canary.detail.empty() ? std::string("the canary could not be run") : canary.detail;
        return r;
    }
    const auto report = report_of(canary);
    switch (canary.exit_code) {
        case kProbeOk:
            // A trial of fewer KB than needed says nothing about kb_needed.
            if (canary.alloc_kb < kb_needed) {
                r.unmeasurable = fmt::format("the canary tried {} KB, not the {} KB needed", canary.alloc_kb, kb_needed);
                return r;
            }
            r.fits = kb_needed == 0 || canary.allocated;
            if (!r.fits) r.unmeasurable = canary.detail + ": exit 0, but the objects were not reported created";
            return r;
        case kProbeHeapExhausted:
            if (report && report->estimated_kb)
                r.free_kb = static_cast<std::uint32_t>(
                    std::min<std::uint64_t>(*report->estimated_kb, std::numeric_limits<std::uint32_t>::max()));
            return r;
        case kProbeRegisterClassFailed:
            return r;
        case kProbeHandleQuota:
            r.unmeasurable = fmt::format(
                "{}: its USER handle quota, not the desktop heap, stopped it{}; {} KB is more than one trial can "
                "allocate",
                canary.detail,
                report && report->estimated_kb ? fmt::format(" after ~{} KB", *report->estimated_kb) : std::string(),
                kb_needed);
            return r;
        default:
            break;
    }
    if (explain_exit_code(canary.exit_code).dll_init_failure) return r;  // could not even connect
    r.unmeasurable = canary.detail.empty() ? fmt::format("the canary exited {}", describe_exit_code(canary.exit_code))
                                           : canary.detail;
    return r;
}

}  // namespace safelaunch
