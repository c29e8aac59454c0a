// libFuzzer target: `safelaunch analyze` on arbitrary bytes.
// snapshot_from_json_text either fails with a non-empty one-line error, or gives a Snapshot that
// analyze() decides on; the result is serialised as the tool does (--json). Round trip: the
// snapshot's JSON read back gives the same JSON (a fixed point after one pass), also through text.
// Invariants: every finding has an id, a one-line message and one-line evidence and remedy; the
// verdict is the verdict of the pre-flight findings; a diagnosis exists iff the snapshot has exit
// facts.
#include "safelaunch/analysis.hpp"
#include "safelaunch/json.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

bool one_line(std::string_view s) { return s.find('\n') == std::string_view::npos && s.find('\r') == std::string_view::npos; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace safelaunch;
    using nlohmann::json;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    Snapshot snap;
    std::string error;
    if (!snapshot_from_json_text(text, snap, error)) {
        if (error.empty() || !one_line(error)) std::abort();
        return 0;
    }

    for (const std::optional<std::uint32_t> expected : {std::optional<std::uint32_t>(), std::optional<std::uint32_t>(200)}) {
        const auto a = analyze(snap, AnalysisOptions{expected});
        if (a.verdict != verdict_of(a.preflight)) std::abort();
        if (a.diagnosis.has_value() != snap.exit.has_value()) std::abort();
        for (const auto& f : a.all_findings())
            if (f.id.empty() || f.message.empty() || !one_line(f.message) || !one_line(f.evidence) ||
                !one_line(f.remedy))
                std::abort();
        // What `safelaunch analyze --json` prints (same error handler as the tool).
        const json out{{"verdict", to_string(a.verdict)},
                       {"findings", a.preflight},
                       {"diagnosis", a.diagnosis ? json(*a.diagnosis) : json(nullptr)},
                       {"facts", snap}};
        (void)out.dump(2, ' ', false, json::error_handler_t::replace);
    }

    // json -> Snapshot -> json is stable, in memory and through text.
    const json first = snap;
    const auto second_snap = first.get<Snapshot>();
    const json second = second_snap;
    if (first != second) std::abort();
    Snapshot third_snap;
    if (!snapshot_from_json_text(first.dump(-1, ' ', false, json::error_handler_t::replace), third_snap, error))
        std::abort();
    if (json(third_snap) != first) std::abort();
    return 0;
}
