#include "journal_fields.hpp"

#include "safelaunch/grant_journal.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

namespace safelaunch::journal {

using nlohmann::json;

bool read_unsigned(const json& j, const char* key, std::uint64_t max, std::uint64_t& out, std::string& error) {
    const auto it = j.find(key);
    if (it == j.end() || !it->is_number_unsigned() || it->get<std::uint64_t>() > max) {
        // A negative or fractional number is not an id or a mask: say which field, not where in the text.
        error = fmt::format("field '{}': missing or not an unsigned {}-bit number", key,
                            max == std::numeric_limits<std::uint32_t>::max() ? 32 : 64);
        return false;
    }
    out = it->get<std::uint64_t>();
    return true;
}

bool read_string(const json& j, const char* key, std::string& out, std::string& error) {
    const auto it = j.find(key);
    if (it == j.end() || !it->is_string()) {
        error = fmt::format("field '{}': missing or not a string", key);
        return false;
    }
    out = it->get<std::string>();
    return true;
}

bool looks_like_sid(std::string_view s) {
    if (s.substr(0, 4) != "S-1-" || s.size() < 5) return false;
    return std::all_of(s.begin() + 4, s.end(), [](char c) { return (c >= '0' && c <= '9') || c == '-'; }) &&
           s.back() != '-' && s.find("--") == std::string_view::npos;
}

bool check_object_name(ObjectKind kind, std::string_view object_name, std::string& error) {
    const auto name = split_grant_object_name(object_name);
    const bool is_desktop = kind == ObjectKind::desktop;
    if (name.station.empty() || (is_desktop && (name.desktop.empty() || name.desktop.find('\\') != std::string::npos)) ||
        (!is_desktop && object_name.find('\\') != std::string_view::npos)) {
        error = fmt::format("field 'object_name': '{}' is not a {} name", object_name,
                            is_desktop ? "\"Station\\\\Desk\"" : "window station");
        return false;
    }
    return true;
}

bool check_entry_identity(std::string_view kind_text, std::string_view id, std::uint32_t owner_pid,
                          std::string_view object_name, ObjectKind& kind, std::string& error) {
    const auto parsed_kind = grant_object_kind_from_name(kind_text);
    if (!parsed_kind) {
        error = fmt::format("field 'object_kind': '{}' is neither 'desktop' nor 'window_station'", kind_text);
        return false;
    }
    kind = *parsed_kind;
    if (id.empty()) {
        error = "field 'id': empty";
        return false;
    }
    if (owner_pid == 0) {
        error = "field 'owner_pid': 0 is the idle process, never a launcher";
        return false;
    }
    return check_object_name(kind, object_name, error);
}

bool parse_versioned_object(std::string_view text, std::uint64_t version, json& out, std::string& error) {
    try {
        out = json::parse(text.begin(), text.end());
    } catch (const json::exception& ex) {
        error = fmt::format("not JSON: {}", ex.what());
        return false;
    }
    if (!out.is_object()) {
        error = "not a JSON object";
        return false;
    }
    std::uint64_t found = 0;
    if (!read_unsigned(out, "version", std::numeric_limits<std::uint32_t>::max(), found, error)) return false;
    if (found != version) {
        // A newer format may mean something we would get wrong: report it, do not guess.
        error = fmt::format("field 'version': {} is not the supported version {}", found, version);
        return false;
    }
    return true;
}

}  // namespace safelaunch::journal
