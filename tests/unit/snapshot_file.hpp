// A snapshot from tests/data/snapshots, for the analysis tests.
#pragma once

#include "safelaunch/json.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace safelaunch::test {

inline Snapshot load_snapshot(const std::string& name) {
    std::ifstream in(std::string(SAFELAUNCH_TEST_DATA) + "/snapshots/" + name, std::ios::binary);
    EXPECT_TRUE(in) << name;
    std::stringstream text;
    text << in.rdbuf();
    Snapshot s;
    std::string error;
    EXPECT_TRUE(snapshot_from_json_text(text.str(), s, error)) << name << ": " << error;
    return s;
}

}  // namespace safelaunch::test
