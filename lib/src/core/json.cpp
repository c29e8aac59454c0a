#include "safelaunch/json.hpp"

#include "safelaunch/dacl_census.hpp"

#include "safelaunch/error_mode.hpp"

#include <fmt/format.h>

#include <limits>
#include <optional>
#include <type_traits>

namespace safelaunch {
namespace {

using nlohmann::json;

// nlohmann converts -1 to 4294967295 silently; a snapshot with such a value is not ours.
template <typename T>
T checked(const json& v, const char* key) {
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
        if (!v.is_number_integer())
            throw std::invalid_argument(fmt::format("'{}' must be an integer, but is {}", key, v.type_name()));
        const bool fits = v.is_number_unsigned()
                              ? v.get<std::uint64_t>() <= static_cast<std::uint64_t>(std::numeric_limits<T>::max())
                              : (v.get<std::int64_t>() >= static_cast<std::int64_t>(std::numeric_limits<T>::min()) &&
                                 (v.get<std::int64_t>() < 0 ||
                                  static_cast<std::uint64_t>(v.get<std::int64_t>()) <=
                                      static_cast<std::uint64_t>(std::numeric_limits<T>::max())));
        if (!fits) throw std::invalid_argument(fmt::format("'{}' is out of range: {}", key, v.dump()));
    }
    return v.get<T>();
}

template <typename T>
void put(json& j, const char* key, const std::optional<T>& v) {
    j[key] = v ? json(*v) : json(nullptr);
}

template <typename T>
void get(const json& j, const char* key, std::optional<T>& v) {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null())
        v.reset();
    else
        v = checked<T>(*it, key);
}

// Missing keys keep the default: older snapshots stay readable when fields are added.
template <typename T>
void get(const json& j, const char* key, T& v) {
    if (const auto it = j.find(key); it != j.end()) v = checked<T>(*it, key);
}

void require_object(const json& j, const char* what) {
    if (!j.is_object()) throw std::invalid_argument(fmt::format("{} must be a JSON object", what));
}

}  // namespace

void to_json(json& j, const Finding& f) {
    j = json{{"id", f.id}, {"severity", to_string(f.severity)}, {"message", f.message},
             {"evidence", f.evidence}, {"remedy", f.remedy}};
}
void from_json(const json& j, Finding& f) {
    require_object(j, "finding");
    get(j, "id", f.id);
    std::string sev = "info";
    get(j, "severity", sev);
    const auto s = severity_from_string(sev);
    if (!s) throw std::invalid_argument(fmt::format("unknown severity '{}'", sev));
    f.severity = *s;
    get(j, "message", f.message);
    get(j, "evidence", f.evidence);
    get(j, "remedy", f.remedy);
}

void to_json(json& j, const GroupFacts& g) { j = json{{"sid", g.sid}, {"name", g.name}, {"attributes", g.attributes}}; }
void from_json(const json& j, GroupFacts& g) {
    require_object(j, "group");
    get(j, "sid", g.sid);
    get(j, "name", g.name);
    get(j, "attributes", g.attributes);
}

void to_json(json& j, const TokenFacts& t) {
    j = json{{"user_sid", t.user_sid}, {"user_name", t.user_name}, {"groups", t.groups},
             {"restricted_sids", t.restricted_sids}, {"integrity_sid", t.integrity_sid},
             {"session_id", t.session_id}, {"logon_luid", t.logon_luid}, {"primary", t.primary},
             {"source", t.source}};
    put(j, "logon_sid", t.logon_sid);
}
void from_json(const json& j, TokenFacts& t) {
    require_object(j, "token");
    get(j, "user_sid", t.user_sid);
    get(j, "user_name", t.user_name);
    get(j, "logon_sid", t.logon_sid);
    get(j, "groups", t.groups);
    get(j, "restricted_sids", t.restricted_sids);
    get(j, "integrity_sid", t.integrity_sid);
    get(j, "session_id", t.session_id);
    get(j, "logon_luid", t.logon_luid);
    get(j, "primary", t.primary);
    get(j, "source", t.source);
}

void to_json(json& j, const UserObjectFacts& o) {
    // "exists": null when it could not be checked.
    j = json{{"name", o.name}, {"exists", o.exists_known ? json(o.exists) : json(nullptr)}, {"sd_present", o.sd_present}};
    put(j, "type", o.type);
    put(j, "flags", o.flags);
    put(j, "sddl", o.sddl);
    put(j, "heap_kb", o.heap_kb);
    put(j, "open_error", o.open_error);
    put(j, "access_granted", o.access_granted);
    put(j, "access_requested", o.access_requested);
    put(j, "access_maximum", o.access_maximum);
    // Derived from "sddl", for people and scripts (issue 9 part 5); not read back.
    if (o.sddl)
        if (const auto census = dacl_census(*o.sddl)) {
            j["dacl_aces"] = census->aces;
            j["dacl_logon_sids"] = census->logon_sids.size();
        }
}
void from_json(const json& j, UserObjectFacts& o) {
    require_object(j, "station/desktop facts");
    get(j, "name", o.name);
    std::optional<bool> exists;
    get(j, "exists", exists);
    o.exists_known = exists.has_value() || !j.contains("exists");
    o.exists = exists.value_or(false);
    get(j, "sd_present", o.sd_present);
    get(j, "type", o.type);
    get(j, "flags", o.flags);
    get(j, "sddl", o.sddl);
    get(j, "heap_kb", o.heap_kb);
    get(j, "open_error", o.open_error);
    get(j, "access_granted", o.access_granted);
    get(j, "access_requested", o.access_requested);
    get(j, "access_maximum", o.access_maximum);
}

void to_json(json& j, const DesktopTargetFacts& d) {
    j = json{{"station", d.station}, {"desktop", d.desktop}, {"how", d.how},
             {"station_facts", d.station_facts}, {"desktop_facts", d.desktop_facts}};
    put(j, "spec", d.spec);
}
void from_json(const json& j, DesktopTargetFacts& d) {
    require_object(j, "target");
    get(j, "spec", d.spec);
    get(j, "station", d.station);
    get(j, "desktop", d.desktop);
    get(j, "how", d.how);
    get(j, "station_facts", d.station_facts);
    get(j, "desktop_facts", d.desktop_facts);
}

void to_json(json& j, const OsFacts& o) {
    j = json{{"major", o.major}, {"minor", o.minor}, {"build", o.build}, {"x64", o.x64}, {"product", o.product}};
    put(j, "wine_version", o.wine_version);
}
void from_json(const json& j, OsFacts& o) {
    require_object(j, "os");
    get(j, "major", o.major);
    get(j, "minor", o.minor);
    get(j, "build", o.build);
    get(j, "x64", o.x64);
    get(j, "product", o.product);
    get(j, "wine_version", o.wine_version);
}

void to_json(json& j, const StationFacts& s) {
    json heaps = json::array();  // null where a desktop's size could not be read
    for (const auto& kb : s.desktop_heap_kb) heaps.push_back(kb ? json(*kb) : json(nullptr));
    j = json{{"name", s.name}, {"interactive", s.interactive}, {"desktops", s.desktops}, {"desktop_heap_kb", heaps}};
}
void from_json(const json& j, StationFacts& s) {
    require_object(j, "station");
    get(j, "name", s.name);
    get(j, "interactive", s.interactive);
    get(j, "desktops", s.desktops);
    s.desktop_heap_kb.clear();
    if (const auto it = j.find("desktop_heap_kb"); it != j.end() && !it->is_null()) {
        if (!it->is_array())
            throw std::invalid_argument(fmt::format("'desktop_heap_kb' must be an array, but is {}", it->type_name()));
        for (const auto& kb : *it)
            s.desktop_heap_kb.push_back(kb.is_null() ? std::nullopt
                                                     : std::optional<std::uint32_t>(checked<std::uint32_t>(kb, "desktop_heap_kb")));
    }
}

void to_json(json& j, const EventFacts& e) {
    j = json{{"id", e.id}, {"source", e.source}, {"time_utc", e.time_utc}, {"message", e.message}};
}
void from_json(const json& j, EventFacts& e) {
    require_object(j, "event");
    get(j, "id", e.id);
    get(j, "source", e.source);
    get(j, "time_utc", e.time_utc);
    get(j, "message", e.message);
}

void to_json(json& j, const HardErrorModeFacts& h) {
    j = json::object();
    put(j, "value", h.value);
    put(j, "error", h.error);
}
void from_json(const json& j, HardErrorModeFacts& h) {
    require_object(j, "hard_error_mode");
    get(j, "value", h.value);
    get(j, "error", h.error);
}

void to_json(json& j, const SystemFacts& s) {
    j = json{{"os", s.os}, {"stations", s.stations}};
    put(j, "subsystems_windows_value", s.subsystems_windows_value);
    put(j, "stray_shared_section_value", s.stray_shared_section_value);
    put(j, "events", s.events);
    put(j, "events_error", s.events_error);
    put(j, "hard_error_mode", s.hard_error_mode);
}
void from_json(const json& j, SystemFacts& s) {
    require_object(j, "system");
    get(j, "os", s.os);
    get(j, "subsystems_windows_value", s.subsystems_windows_value);
    get(j, "stray_shared_section_value", s.stray_shared_section_value);
    get(j, "stations", s.stations);
    get(j, "events", s.events);
    get(j, "events_error", s.events_error);
    get(j, "hard_error_mode", s.hard_error_mode);
}

void to_json(json& j, const ExitFacts& e) {
    j = json{{"exit_code", e.exit_code}, {"runtime_ms", e.runtime_ms}, {"had_console", e.had_console},
             {"started_utc", e.started_utc}};
    put(j, "error_mode", e.error_mode);
    if (!e.image.empty()) j["image"] = e.image;
}
void from_json(const json& j, ExitFacts& e) {
    require_object(j, "exit");
    get(j, "exit_code", e.exit_code);
    get(j, "runtime_ms", e.runtime_ms);
    get(j, "had_console", e.had_console);
    get(j, "started_utc", e.started_utc);
    get(j, "error_mode", e.error_mode);
    get(j, "image", e.image);
}

void to_json(json& j, const ChildErrorMode& m) {
    j = json{{"policy", to_string(m.policy)}, {"how", m.how}};
    put(j, "value", m.value);
}
void from_json(const json& j, ChildErrorMode& m) {
    require_object(j, "error_mode");
    if (const auto it = j.find("policy"); it != j.end()) {
        if (!it->is_string()) throw std::invalid_argument("'policy' must be a string");
        const auto policy = error_ui_from_string(it->get<std::string>());
        if (!policy) throw std::invalid_argument(fmt::format("'policy' is not an error-ui policy: {}", it->dump()));
        m.policy = *policy;
    }
    get(j, "value", m.value);
    get(j, "how", m.how);
}

void to_json(json& j, const CanaryFacts& c) {
    j = json{{"exit_code", c.exit_code}, {"alloc_kb", c.alloc_kb}, {"allocated", c.allocated}, {"detail", c.detail},
             {"ran", c.ran}};
    put(j, "report", c.report);
}
void from_json(const json& j, CanaryFacts& c) {
    require_object(j, "canary");
    get(j, "exit_code", c.exit_code);
    get(j, "alloc_kb", c.alloc_kb);
    get(j, "allocated", c.allocated);
    get(j, "detail", c.detail);
    get(j, "ran", c.ran);
    get(j, "report", c.report);
}

void to_json(json& j, const AsUserFacts& a) {
    j = json{{"assign_primary_held", a.assign_primary_held}, {"assign_primary_enabled", a.assign_primary_enabled},
             {"increase_quota_held", a.increase_quota_held}, {"increase_quota_enabled", a.increase_quota_enabled},
             {"same_logon_session", a.same_logon_session}};
}
void from_json(const json& j, AsUserFacts& a) {
    require_object(j, "as_user");
    get(j, "assign_primary_held", a.assign_primary_held);
    get(j, "assign_primary_enabled", a.assign_primary_enabled);
    get(j, "increase_quota_held", a.increase_quota_held);
    get(j, "increase_quota_enabled", a.increase_quota_enabled);
    get(j, "same_logon_session", a.same_logon_session);
}

void to_json(json& j, const LauncherFacts& l) {
    j = json{{"session_id", l.session_id}, {"local_system", l.local_system}, {"run_as", l.run_as},
             {"token_is_childs", l.token_is_childs}};
    put(j, "interactive_user_sid", l.interactive_user_sid);
    put(j, "interactive_user_sid_error", l.interactive_user_sid_error);
    put(j, "winsta0_open_error", l.winsta0_open_error);
}
void from_json(const json& j, LauncherFacts& l) {
    require_object(j, "launcher");
    get(j, "session_id", l.session_id);
    get(j, "local_system", l.local_system);
    get(j, "run_as", l.run_as);
    get(j, "token_is_childs", l.token_is_childs);
    get(j, "interactive_user_sid", l.interactive_user_sid);
    get(j, "interactive_user_sid_error", l.interactive_user_sid_error);
    get(j, "winsta0_open_error", l.winsta0_open_error);
}

// ProgramImportsFacts (issue 9): "verdict" is null when it is not known ("error" says why).
void to_json(json& j, const ProgramImportsFacts& p) {
    j = json{{"program", p.program}, {"system_dir", p.system_dir}, {"machine", p.machine},
             {"verdict", p.verdict ? json(std::string(to_string(*p.verdict))) : json(nullptr)},
             {"chain", p.chain}, {"unresolved", p.unresolved}, {"problems", p.problems}};
    put(j, "error", p.error);
    if (!p.local_dlls.empty()) j["local_dlls"] = p.local_dlls;
}
void from_json(const json& j, ProgramImportsFacts& p) {
    require_object(j, "program_imports");
    get(j, "program", p.program);
    get(j, "system_dir", p.system_dir);
    get(j, "machine", p.machine);
    std::optional<std::string> verdict;
    get(j, "verdict", verdict);
    p.verdict.reset();
    if (verdict) {
        for (auto v : {ConnectVerdict::connects_at_init, ConnectVerdict::delay_loaded, ConnectVerdict::never})
            if (*verdict == to_string(v)) p.verdict = v;
        if (!p.verdict) throw std::invalid_argument(fmt::format("unknown import verdict '{}'", *verdict));
    }
    get(j, "chain", p.chain);
    get(j, "unresolved", p.unresolved);
    get(j, "problems", p.problems);
    get(j, "error", p.error);
    get(j, "local_dlls", p.local_dlls);
}

// ProgramAccessFacts (issue 9 part 4).
void to_json(json& j, const FileAccessFacts& f) {
    j = json{{"path", f.path}, {"role", f.role}, {"desired", f.desired}};
    put(j, "granted", f.granted);
    put(j, "error", f.error);
}
void from_json(const json& j, FileAccessFacts& f) {
    require_object(j, "program_access file");
    get(j, "path", f.path);
    get(j, "role", f.role);
    get(j, "desired", f.desired);
    get(j, "granted", f.granted);
    get(j, "error", f.error);
}
void to_json(json& j, const ProgramAccessFacts& p) {
    j = json{{"account", p.account}, {"files", p.files}};
    put(j, "reparse_tag", p.reparse_tag);
    put(j, "reparse_error", p.reparse_error);
}
void from_json(const json& j, ProgramAccessFacts& p) {
    require_object(j, "program_access");
    get(j, "account", p.account);
    get(j, "files", p.files);
    get(j, "reparse_tag", p.reparse_tag);
    get(j, "reparse_error", p.reparse_error);
}

void to_json(json& j, const SelfConnectFacts& c) {
    j = json{{"attempted", c.attempted}, {"connected", c.connected}, {"error", c.error}, {"api", c.api},
             {"failure", c.failure}, {"startup_desktop", c.startup_desktop}};
}
void from_json(const json& j, SelfConnectFacts& c) {
    require_object(j, "self_connect");
    get(j, "attempted", c.attempted);
    get(j, "connected", c.connected);
    get(j, "error", c.error);
    get(j, "api", c.api);
    get(j, "failure", c.failure);
    get(j, "startup_desktop", c.startup_desktop);
}

// SessionViewFacts (issue 8 part 3): the figures are written only when known, so a reader cannot
// take the zeros of an unknown reading for an empty view space.
void to_json(json& j, const SessionViewFacts& v) {
    j = json{{"known", v.known}, {"session_id", v.session_id}, {"source", v.source}};
    if (v.known) {
        j["bytes_available"] = v.bytes_available;
        j["largest_contiguous"] = v.largest_contiguous;
        j["view_failures"] = v.view_failures;
    } else {
        j["unknown_reason"] = v.unknown_reason;
    }
}
void from_json(const json& j, SessionViewFacts& v) {
    require_object(j, "session_view");
    get(j, "known", v.known);
    get(j, "unknown_reason", v.unknown_reason);
    get(j, "session_id", v.session_id);
    get(j, "bytes_available", v.bytes_available);
    get(j, "largest_contiguous", v.largest_contiguous);
    get(j, "view_failures", v.view_failures);
    get(j, "source", v.source);
    if (v.known && (!j.contains("bytes_available") || !j.contains("largest_contiguous")))
        throw std::invalid_argument("'session_view' is known but lacks bytes_available or largest_contiguous");
}

// Win32kTraceFacts (issue 9 part 3). Fields keep their order: [{"name": ..., "value": ...}].
void to_json(json& j, const Win32kTraceEvent& e) {
    json fields = json::array();
    for (const auto& [name, value] : e.fields) fields.push_back(json{{"name", name}, {"value", value}});
    j = json{{"id", e.id}, {"pid", e.pid}, {"status_field", e.status_field}, {"fields", std::move(fields)},
             {"time_utc", e.time_utc}};
    put(j, "status", e.status);
}
void from_json(const json& j, Win32kTraceEvent& e) {
    require_object(j, "win32k_trace event");
    get(j, "id", e.id);
    get(j, "pid", e.pid);
    get(j, "status", e.status);
    get(j, "status_field", e.status_field);
    get(j, "time_utc", e.time_utc);
    e.fields.clear();
    if (const auto it = j.find("fields"); it != j.end()) {
        if (!it->is_array()) throw std::invalid_argument("'fields' must be an array");
        for (const auto& f : *it) {
            require_object(f, "win32k_trace field");
            std::string name, value;
            get(f, "name", name);
            get(f, "value", value);
            e.fields.emplace_back(std::move(name), std::move(value));
        }
    }
}
void to_json(json& j, const Win32kTraceFacts& t) {
    j = json{{"requested", t.requested}, {"started", t.started}, {"failed_api", t.failed_api}, {"reason", t.reason},
             {"session_name", t.session_name}, {"level", t.level}, {"keywords", t.keywords},
             {"events_total", t.events_total}, {"events_dropped", t.events_dropped}, {"events_lost", t.events_lost},
             {"buffers_lost", t.buffers_lost}, {"events", t.events}};
    put(j, "error", t.error);
    put(j, "child_pid", t.child_pid);
}
void from_json(const json& j, Win32kTraceFacts& t) {
    require_object(j, "win32k_trace");
    get(j, "requested", t.requested);
    get(j, "started", t.started);
    get(j, "failed_api", t.failed_api);
    get(j, "error", t.error);
    get(j, "reason", t.reason);
    get(j, "session_name", t.session_name);
    get(j, "level", t.level);
    get(j, "keywords", t.keywords);
    get(j, "child_pid", t.child_pid);
    get(j, "events_total", t.events_total);
    get(j, "events_dropped", t.events_dropped);
    get(j, "events_lost", t.events_lost);
    get(j, "buffers_lost", t.buffers_lost);
    get(j, "events", t.events);
}

void to_json(json& j, const Snapshot& s) {
    j = json{{"schema", s.schema}, {"taken_utc", s.taken_utc}, {"host", s.host}, {"token", s.token},
             {"target", s.target}, {"system", s.system}};
    put(j, "exit", s.exit);
    put(j, "canary", s.canary);
    put(j, "as_user", s.as_user);
    put(j, "launcher", s.launcher);
    put(j, "program_imports", s.program_imports);
    put(j, "self_connect", s.self_connect);
    put(j, "session_view", s.session_view);
    put(j, "program_access", s.program_access);
    put(j, "win32k_trace", s.win32k_trace);
}
void from_json(const json& j, Snapshot& s) {
    require_object(j, "snapshot");
    get(j, "schema", s.schema);
    if (s.schema != 1) throw std::invalid_argument(fmt::format("unsupported snapshot schema {}", s.schema));
    get(j, "taken_utc", s.taken_utc);
    get(j, "host", s.host);
    get(j, "token", s.token);
    get(j, "target", s.target);
    get(j, "system", s.system);
    get(j, "exit", s.exit);
    get(j, "canary", s.canary);
    get(j, "as_user", s.as_user);
    get(j, "launcher", s.launcher);
    get(j, "program_imports", s.program_imports);
    get(j, "self_connect", s.self_connect);
    get(j, "session_view", s.session_view);
    get(j, "program_access", s.program_access);
    get(j, "win32k_trace", s.win32k_trace);
}

void to_json(json& j, const ExitCodeInfo& info) {
    j = json{{"code", info.code},
             {"hex", info.hex},
             {"signed", info.signed_value},
             {"name", info.name},
             {"known", info.known},
             {"family", to_string(info.family)},
             {"dll_init_failure", info.dll_init_failure},
             {"desktop_related", info.desktop_related},
             {"summary", info.summary},
             {"causes", info.causes},
             {"remedies", info.remedies}};
}

void to_json(json& j, const RankedCause& c) {
    j = json{{"cause", to_string(c.id)}, {"likelihood", to_string(c.likelihood)}, {"evidence", c.evidence},
             {"remedy", c.remedy}};
}

void to_json(json& j, const Diagnosis& d) {
    j = json{{"exit", d.code}, {"causes", d.causes}, {"deciding_evidence", d.deciding_evidence}};
}

bool snapshot_from_json_text(std::string_view text, Snapshot& out, std::string& error) {
    try {
        const auto j = json::parse(text.begin(), text.end());
        out = j.get<Snapshot>();
        return true;
    } catch (const json::parse_error& e) {
        error = fmt::format("not valid JSON at byte {}", e.byte);
    } catch (const json::exception& e) {
        // nlohmann's text names the type mismatch ("type must be number, but is string").
        std::string what = e.what();
        if (const auto p = what.find("] "); p != std::string::npos) what.erase(0, p + 2);
        error = fmt::format("not a safelaunch snapshot: {}", what);
    } catch (const std::exception& e) {
        error = fmt::format("not a safelaunch snapshot: {}", e.what());
    }
    return false;
}

}  // namespace safelaunch
