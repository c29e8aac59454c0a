#include "safelaunch/utc_time.hpp"

#include <fmt/format.h>

namespace safelaunch {
namespace {

constexpr std::int64_t kTicksPerSecond = 10'000'000;
constexpr std::int64_t kSecondsPerDay = 86'400;
constexpr std::int64_t kDaysFrom1601To1970 = 134'774;

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
    std::int64_t y;
    unsigned m, d;
};

// The inverse (H. Hinnant's civil_from_days).
constexpr Civil civil_from_days(std::int64_t z) noexcept {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

static_assert(days_from_civil(1601, 1, 1) == -kDaysFrom1601To1970);
static_assert(civil_from_days(0).y == 1970 && civil_from_days(0).m == 1 && civil_from_days(0).d == 1);

constexpr bool leap(std::int64_t y) noexcept { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

constexpr unsigned days_in_month(std::int64_t y, unsigned m) noexcept {
    constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : kDays[m - 1];
}

// Exactly `n` decimal digits at text[pos].
bool digits(std::string_view text, std::size_t pos, std::size_t n, unsigned& out) noexcept {
    if (pos + n > text.size()) return false;
    out = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (text[i] < '0' || text[i] > '9') return false;
        out = out * 10 + static_cast<unsigned>(text[i] - '0');
    }
    return true;
}

}  // namespace

std::optional<std::int64_t> parse_utc_ticks(std::string_view t) noexcept {
    unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    if (!digits(t, 0, 4, year) || t.size() < 20 || t[4] != '-' || !digits(t, 5, 2, month) || t[7] != '-' ||
        !digits(t, 8, 2, day) || t[10] != 'T' || !digits(t, 11, 2, hour) || t[13] != ':' ||
        !digits(t, 14, 2, minute) || t[16] != ':' || !digits(t, 17, 2, second))
        return std::nullopt;
    if (year < 1601 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 ||
        minute > 59 || second > 59)
        return std::nullopt;
    std::int64_t fraction = 0;  // ticks
    std::size_t pos = 19;
    if (t[pos] == '.') {
        const std::size_t first = ++pos;
        std::int64_t scale = kTicksPerSecond;
        while (pos < t.size() && t[pos] >= '0' && t[pos] <= '9') {
            scale /= 10;  // 0 after the 7th digit: finer digits are dropped
            fraction += scale * (t[pos] - '0');
            ++pos;
        }
        if (pos == first || pos - first > 9) return std::nullopt;
    }
    if (pos + 1 != t.size() || t[pos] != 'Z') return std::nullopt;
    const std::int64_t days = days_from_civil(year, month, day) + kDaysFrom1601To1970;
    const std::int64_t seconds = days * kSecondsPerDay + hour * 3600 + minute * 60 + second;
    return seconds * kTicksPerSecond + fraction;
}

std::string format_utc_ticks(std::int64_t ticks) {
    if (ticks < 0) return {};
    const std::int64_t seconds = ticks / kTicksPerSecond;
    const std::int64_t fraction = ticks % kTicksPerSecond;
    const std::int64_t day_seconds = seconds % kSecondsPerDay;
    const Civil c = civil_from_days(seconds / kSecondsPerDay - kDaysFrom1601To1970);
    if (c.y > 9999) return {};
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:07}Z", c.y, c.m, c.d, day_seconds / 3600,
                       day_seconds / 60 % 60, day_seconds % 60, fraction);
}

}  // namespace safelaunch
