// Uses the installed package: explains the exit code given on the command line, and analyses a
// snapshot read with the installed JSON header (the find_dependency(nlohmann_json) path). Checks
// what it gets and prints "consumer: all checks passed" only when every check held.
#include <safelaunch/analysis.hpp>
#include <safelaunch/error.hpp>
#include <safelaunch/exit_code.hpp>
#include <safelaunch/json.hpp>

#include <cstdint>
#include <iostream>
#include <string>
#include <string_view>

namespace {

// lpDesktop names a desktop nobody created (tests/data/snapshots/missing-desktop.json's case),
// and the child died 0xC0000142.
constexpr std::string_view kSnapshot = R"json({
  "schema": 1,
  "target": {"spec": "WinSta0\\BuildDesk", "station": "WinSta0", "desktop": "BuildDesk", "how": "named",
             "station_facts": {"name": "WinSta0", "exists": true, "flags": 1, "sd_present": false},
             "desktop_facts": {"name": "BuildDesk", "exists": false, "open_error": "OpenDesktopW: not found (2)"}},
  "exit": {"exit_code": 3221225794, "runtime_ms": 20, "had_console": true}
})json";

int failures = 0;

void check(bool ok, std::string_view what) {
    if (ok) return;
    ++failures;
    std::cout << "consumer: check failed: " << what << '\n';
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    const auto code = static_cast<std::uint32_t>(std::stoul(argv[1], nullptr, 0));
    std::cout << safelaunch::make_ntstatus_error(code).message() << '\n';

    const auto info = safelaunch::explain_exit_code(code);
    std::cout << "explain: " << info.hex << ' ' << info.name << '\n';
    check(info.known, "the code is catalogued");
    check(info.name == "STATUS_DLL_INIT_FAILED", "explain_exit_code names STATUS_DLL_INIT_FAILED");
    check(info.dll_init_failure, "explain_exit_code says DLL-init failure");
    check(nlohmann::json(info).at("hex") == "0xC0000142", "explain --json's hex");

    safelaunch::Snapshot snapshot;
    std::string error;
    check(safelaunch::snapshot_from_json_text(kSnapshot, snapshot, error), "the snapshot parses: " + error);
    const auto analysis = safelaunch::analyze(snapshot);
    std::cout << "analyze: " << safelaunch::to_string(analysis.verdict);
    for (const auto& f : analysis.preflight) std::cout << ' ' << f.id;
    std::cout << '\n';
    check(analysis.verdict == safelaunch::Verdict::blocked, "the verdict is blocked");
    bool missing = false;
    for (const auto& f : analysis.preflight) missing = missing || f.id == "desktop.desktop.missing";
    check(missing, "desktop.desktop.missing is found");
    check(analysis.diagnosis && !analysis.diagnosis->causes.empty() &&
              analysis.diagnosis->causes.front().id == safelaunch::CauseId::missing_desktop &&
              analysis.diagnosis->causes.front().likelihood == safelaunch::Likelihood::decided,
          "the diagnosis decides missing_desktop");

    if (failures != 0) return 1;
    std::cout << "consumer: all checks passed\n";
    return 0;
}
