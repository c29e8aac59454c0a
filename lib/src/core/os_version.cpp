#include "safelaunch/os_version.hpp"

#include "safelaunch/printable.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <string>

namespace safelaunch {
namespace {

struct NamedVersion {
    std::string_view name;
    std::uint32_t major, minor, build;
    bool x64_default;
    std::string_view product;
};

// Build numbers of each release's first generally available build.
constexpr std::array kNamed = {
    NamedVersion{"xp", 5, 1, 2600, false, "Windows XP"},
    NamedVersion{"2003", 5, 2, 3790, false, "Windows Server 2003"},
    NamedVersion{"vista-rtm", 6, 0, 6000, true, "Windows Vista RTM"},
    NamedVersion{"vista", 6, 0, 6001, true, "Windows Vista SP1"},
    NamedVersion{"2008", 6, 0, 6001, true, "Windows Server 2008"},
    NamedVersion{"7", 6, 1, 7601, true, "Windows 7"},
    NamedVersion{"2008r2", 6, 1, 7601, true, "Windows Server 2008 R2"},
    NamedVersion{"8", 6, 2, 9200, true, "Windows 8"},
    NamedVersion{"2012", 6, 2, 9200, true, "Windows Server 2012"},
    NamedVersion{"8.1", 6, 3, 9600, true, "Windows 8.1"},
    NamedVersion{"2012r2", 6, 3, 9600, true, "Windows Server 2012 R2"},
    NamedVersion{"10", 10, 0, 19045, true, "Windows 10"},
    NamedVersion{"2016", 10, 0, 14393, true, "Windows Server 2016"},
    NamedVersion{"2019", 10, 0, 17763, true, "Windows Server 2019"},
    NamedVersion{"2022", 10, 0, 20348, true, "Windows Server 2022"},
    NamedVersion{"11", 10, 0, 22631, true, "Windows 11"},
    NamedVersion{"2025", 10, 0, 26100, true, "Windows Server 2025"},
};

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

bool parse_uint(std::string_view s, std::uint32_t& v) {
    if (s.empty()) return false;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc{} && p == s.data() + s.size();
}

// The value as a message may quote it: control characters escaped, long input cut.
std::string printable(std::string_view text) {
    auto out = escape_control_chars(text.substr(0, 64));
    if (text.size() > 64) out += "...";
    return out;
}

std::string_view product_for(std::uint32_t major, std::uint32_t minor) {
    for (const auto& n : kNamed)
        if (n.major == major && n.minor == minor) return n.product;
    return "Windows";
}

}  // namespace

std::optional<OsFacts> parse_os_version(std::string_view text, std::string& reason) {
    auto s = lower(text);
    std::optional<bool> x64;
    if (s.size() > 4 && (s.ends_with("-x86") || s.ends_with("-x64"))) {
        x64 = s.ends_with("-x64");
        s.resize(s.size() - 4);
    }
    for (const auto& n : kNamed) {
        if (s == n.name) {
            OsFacts os;
            os.major = n.major, os.minor = n.minor, os.build = n.build;
            os.x64 = x64.value_or(n.x64_default);
            os.product = std::string(n.product);
            return os;
        }
    }
    // MAJOR.MINOR[.BUILD]
    std::uint32_t parts[3] = {0, 0, 0};
    std::size_t count = 0, start = 0;
    bool ok = !s.empty();
    while (ok && start <= s.size()) {
        const auto dot = s.find('.', start);
        const auto piece = std::string_view(s).substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        ok = count < 3 && parse_uint(piece, parts[count]);
        ++count;
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    if (!ok || count < 2 || parts[0] < 5 || parts[0] > 10) {
        reason = fmt::format("unknown Windows version '{}' (try xp, 2003, vista, 7, 8.1, 10, 11, 2022, "
                             "or MAJOR.MINOR[.BUILD], with -x86 or -x64)",
                             printable(text));
        return std::nullopt;
    }
    OsFacts os;
    os.major = parts[0], os.minor = parts[1], os.build = parts[2];
    os.x64 = x64.value_or(parts[0] > 5);
    os.product = std::string(product_for(os.major, os.minor));
    return os;
}

std::string describe_os(const OsFacts& os) {
    auto text = fmt::format("{} ({}.{}.{}, {})", os.product.empty() ? "Windows" : os.product, os.major, os.minor,
                            os.build, os.x64 ? "x64" : "x86");
    if (os.wine_version) text += fmt::format(" under Wine {}", *os.wine_version);
    return text;
}

}  // namespace safelaunch
