#include "safelaunch/probe_report.hpp"

#include <nlohmann/json.hpp>

#include <limits>

namespace safelaunch {
namespace {

template <typename T>
std::optional<T> number(const nlohmann::json& j, const char* key) {
    const auto it = j.find(key);
    if (it == j.end() || !it->is_number_unsigned()) return std::nullopt;
    const auto v = it->get<std::uint64_t>();
    if (v > static_cast<std::uint64_t>(std::numeric_limits<T>::max())) return std::nullopt;
    return static_cast<T>(v);
}

std::optional<std::string> text(const nlohmann::json& j, const char* key) {
    const auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
}

}  // namespace

std::optional<ProbeReport> parse_probe_report(std::string_view line) {
    const auto j = nlohmann::json::parse(line.begin(), line.end(), nullptr, false);
    if (j.is_discarded() || !j.is_object() || text(j, "probe") != "safelaunch-probe") return std::nullopt;
    ProbeReport r;
    r.result = text(j, "result").value_or("");
    r.exit_code = number<std::uint32_t>(j, "exit_code");
    r.objects_created = number<std::uint64_t>(j, "objects_created");
    r.estimated_kb = number<std::uint64_t>(j, "estimated_kb");
    r.api = text(j, "api");
    r.error = number<std::uint32_t>(j, "error");
    return r;
}

}  // namespace safelaunch
