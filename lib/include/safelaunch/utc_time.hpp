// UTC timestamps as ISO 8601 text and as 100-ns ticks since 1601-01-01 (the FILETIME scale), so
// times of different precision compare as numbers.
//
// Forms read: "YYYY-MM-DDTHH:MM:SSZ" (whole seconds, as older snapshots hold) and
// "YYYY-MM-DDTHH:MM:SS.fZ" with 1 to 9 fractional digits (EvtRender's SystemTime has 7; digits
// beyond the 7th are below one tick and are dropped). As text the two forms do not order:
// '.' sorts before 'Z', so "...:58.5Z" < "...:58Z".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace safelaunch {

// Ticks of 100 ns since 1601-01-01T00:00:00Z; nullopt for any other text (years 1601..9999).
[[nodiscard]] std::optional<std::int64_t> parse_utc_ticks(std::string_view text) noexcept;

// "YYYY-MM-DDTHH:MM:SS.fffffffZ" (7 fractional digits); "" for ticks < 0 or past year 9999.
[[nodiscard]] std::string format_utc_ticks(std::int64_t ticks);

}  // namespace safelaunch
