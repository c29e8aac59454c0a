// Watching window stations come and go, for the tests that make private ones.
#pragma once

#include "safelaunch/win32/user_object.hpp"

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace safelaunch::test {

inline bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

// Whether `station` is gone within `limit`: a station can outlive its last handle by a moment
// (wineserver closes a used desktop a second late).
inline bool gone_within(const std::string& station, std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (contains(win32::enumerate_window_stations(), station)) {
        if (std::chrono::steady_clock::now() > end) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return true;
}

}  // namespace safelaunch::test
