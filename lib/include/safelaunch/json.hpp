// JSON forms of the facts and findings (nlohmann/json), so a snapshot taken on a broken Windows
// machine can be analysed anywhere. Missing keys keep their defaults; a key of the wrong type is
// an error. Absent optionals are written as null.
#pragma once

#include "safelaunch/diagnosis.hpp"
#include "safelaunch/exit_code.hpp"
#include "safelaunch/facts.hpp"
#include "safelaunch/finding.hpp"
#include "safelaunch/launch_request.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace safelaunch {

void to_json(nlohmann::json& j, const Finding& f);
void from_json(const nlohmann::json& j, Finding& f);
void to_json(nlohmann::json& j, const GroupFacts& g);
void from_json(const nlohmann::json& j, GroupFacts& g);
void to_json(nlohmann::json& j, const TokenFacts& t);
void from_json(const nlohmann::json& j, TokenFacts& t);
void to_json(nlohmann::json& j, const UserObjectFacts& o);
void from_json(const nlohmann::json& j, UserObjectFacts& o);
void to_json(nlohmann::json& j, const DesktopTargetFacts& d);
void from_json(const nlohmann::json& j, DesktopTargetFacts& d);
void to_json(nlohmann::json& j, const OsFacts& o);
void from_json(const nlohmann::json& j, OsFacts& o);
void to_json(nlohmann::json& j, const StationFacts& s);
void from_json(const nlohmann::json& j, StationFacts& s);
void to_json(nlohmann::json& j, const EventFacts& e);
void from_json(const nlohmann::json& j, EventFacts& e);
void to_json(nlohmann::json& j, const HardErrorModeFacts& h);
void from_json(const nlohmann::json& j, HardErrorModeFacts& h);
void to_json(nlohmann::json& j, const SystemFacts& s);
void from_json(const nlohmann::json& j, SystemFacts& s);
void to_json(nlohmann::json& j, const ExitFacts& e);
void from_json(const nlohmann::json& j, ExitFacts& e);
void to_json(nlohmann::json& j, const CanaryFacts& c);
void from_json(const nlohmann::json& j, CanaryFacts& c);
void to_json(nlohmann::json& j, const AsUserFacts& a);
void from_json(const nlohmann::json& j, AsUserFacts& a);
void to_json(nlohmann::json& j, const LauncherFacts& l);
void from_json(const nlohmann::json& j, LauncherFacts& l);
void to_json(nlohmann::json& j, const ProgramImportsFacts& p);
void from_json(const nlohmann::json& j, ProgramImportsFacts& p);
void to_json(nlohmann::json& j, const SelfConnectFacts& c);
void from_json(const nlohmann::json& j, SelfConnectFacts& c);
void to_json(nlohmann::json& j, const SessionViewFacts& v);
void from_json(const nlohmann::json& j, SessionViewFacts& v);
void to_json(nlohmann::json& j, const FileAccessFacts& f);
void from_json(const nlohmann::json& j, FileAccessFacts& f);
void to_json(nlohmann::json& j, const ProgramAccessFacts& p);
void from_json(const nlohmann::json& j, ProgramAccessFacts& p);
void to_json(nlohmann::json& j, const Win32kTraceEvent& e);
void from_json(const nlohmann::json& j, Win32kTraceEvent& e);
void to_json(nlohmann::json& j, const Win32kTraceFacts& t);
void from_json(const nlohmann::json& j, Win32kTraceFacts& t);
void to_json(nlohmann::json& j, const Snapshot& s);
// {"policy": "suppress" | "inherit" | "system_default", "value": 32771 | null, "how": "..."}
void to_json(nlohmann::json& j, const ChildErrorMode& m);
void from_json(const nlohmann::json& j, ChildErrorMode& m);
void from_json(const nlohmann::json& j, Snapshot& s);

// Output only (reports): an exit code's explanation and a diagnosis.
void to_json(nlohmann::json& j, const ExitCodeInfo& info);
void to_json(nlohmann::json& j, const RankedCause& c);
void to_json(nlohmann::json& j, const Diagnosis& d);

// Parses a snapshot document. On failure returns false and sets `error` to one line that names
// what was wrong (JSON syntax with its byte offset, or the key with the wrong type).
[[nodiscard]] bool snapshot_from_json_text(std::string_view text, Snapshot& out, std::string& error);

}  // namespace safelaunch
