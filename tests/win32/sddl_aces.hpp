// Reading ACEs out of SDDL text in tests: which ACEs a grant added, their SID and rights.
// Shared by grant_test.cpp and safe_launch_test.cpp.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace safelaunch::test {

// The ACE strings of the D: part, "(A;;0xcf;;;S-1-5-5-0-1)" each.
inline std::vector<std::string> dacl_aces(const std::string& sddl) {
    std::vector<std::string> aces;
    const auto d = sddl.find("D:");
    if (d == std::string::npos) return aces;
    for (auto open = sddl.find('(', d); open != std::string::npos; open = sddl.find('(', open + 1)) {
        const auto close = sddl.find(')', open);
        aces.push_back(sddl.substr(open, close - open + 1));
        if (sddl.find("S:", close) == close + 1) break;
    }
    return aces;
}

// The rights field of an ACE string: hex, or SDDL two-letter codes (sddl.h).
inline std::uint32_t ace_rights(const std::string& ace) {
    const auto first = ace.find(';', ace.find(';') + 1);
    const auto second = ace.find(';', first + 1);
    const auto field = ace.substr(first + 1, second - first - 1);
    if (field.rfind("0x", 0) == 0) return static_cast<std::uint32_t>(std::stoul(field, nullptr, 16));
    static const std::map<std::string, std::uint32_t> kCodes = {
        {"GA", 0x10000000}, {"GX", 0x20000000}, {"GW", 0x40000000}, {"GR", 0x80000000},
        {"SD", 0x10000}, {"RC", 0x20000}, {"WD", 0x40000}, {"WO", 0x80000},
        {"CC", 0x1}, {"DC", 0x2}, {"LC", 0x4}, {"SW", 0x8}, {"RP", 0x10}, {"WP", 0x20},
        {"DT", 0x40}, {"LO", 0x80}, {"CR", 0x100},
        {"FA", 0x1F01FF}, {"FR", 0x120089}, {"FW", 0x120116}, {"FX", 0x1200A0},
        {"KA", 0xF003F}, {"KR", 0x20019}, {"KW", 0x20006}, {"KX", 0x20019},
    };
    std::uint32_t mask = 0;
    for (std::size_t i = 0; i + 1 < field.size(); i += 2) mask |= kCodes.at(field.substr(i, 2));
    return mask;
}

inline std::string ace_sid(const std::string& ace) {
    const auto last = ace.rfind(';');
    return ace.substr(last + 1, ace.size() - last - 2);
}

// ACEs in `after` that are not in `before` (as a multiset).
inline std::vector<std::string> added_aces(const std::string& before, const std::string& after) {
    auto b = dacl_aces(before), a = dacl_aces(after);
    std::vector<std::string> added;
    for (const auto& ace : a) {
        bool found = false;
        for (auto it = b.begin(); it != b.end(); ++it) {
            if (*it == ace) {
                b.erase(it);
                found = true;
                break;
            }
        }
        if (!found) added.push_back(ace);
    }
    return added;
}

}  // namespace safelaunch::test
