// Reading what tests/win32/children/child_report.cpp wrote: one JSON object per line, merged.
#pragma once

#include <boost/nowide/convert.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <string>

namespace safelaunch::test {

inline nlohmann::json read_report(const std::string& path) {
    std::ifstream in(boost::nowide::widen(path).c_str(), std::ios::binary);
    nlohmann::json merged = nlohmann::json::object();
    std::string line;
    while (std::getline(in, line)) merged.update(nlohmann::json::parse(line));
    return merged;
}

}  // namespace safelaunch::test
