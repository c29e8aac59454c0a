// Field readers and checks shared by the journals' parsers (grant_journal.cpp, pool_journal.cpp):
// one wording for every "field 'x': ..." error, one rule for what an object name and a SID look like.
// Private to the core.
#pragma once

#include "safelaunch/access_rights.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace safelaunch::journal {

// Reads an unsigned field no larger than `max`; sets `error` and returns false otherwise.
bool read_unsigned(const nlohmann::json& j, const char* key, std::uint64_t max, std::uint64_t& out,
                   std::string& error);
bool read_string(const nlohmann::json& j, const char* key, std::string& out, std::string& error);

// "S-1-" followed by digits and single dashes (the journals hold canonical SIDs only).
[[nodiscard]] bool looks_like_sid(std::string_view s);

// A window station's name has no '\'; a desktop's is "Station\Desk" with both parts non-empty.
// Sets `error` ("field 'object_name': ...") when not.
bool check_object_name(ObjectKind kind, std::string_view object_name, std::string& error);

// The checks every journal entry shares, in this order: `kind_text` names an object kind (set into
// `kind`), the entry has an id, its owner pid is not 0 (the idle process), and the object name
// fits the kind. Sets `error` to the first failure.
bool check_entry_identity(std::string_view kind_text, std::string_view id, std::uint32_t owner_pid,
                          std::string_view object_name, ObjectKind& kind, std::string& error);

// Parses `text` as one JSON object and checks its "version" field against `version`.
bool parse_versioned_object(std::string_view text, std::uint64_t version, nlohmann::json& out, std::string& error);

}  // namespace safelaunch::journal
