// safelaunch-probe's JSON line read back (the line as launcher/probe/safelaunch_probe.cpp prints it).
#include "safelaunch/probe_report.hpp"

#include <gtest/gtest.h>

namespace safelaunch {
namespace {

TEST(ProbeReport, QuotaLineIsRead) {
    const auto r = parse_probe_report(
        R"({"probe":"safelaunch-probe","version":1,"result":"handle_quota","exit_code":6,"station":"WinSta0",)"
        R"("desktop":"Default","alloc_kb":8000,"bytes_per_object":400,"objects_target":20480,)"
        R"("objects_created":9990,"estimated_kb":3902,"api":"CreateWindowExW","error":1158})"
        "\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->result, "handle_quota");
    EXPECT_EQ(r->exit_code, 6u);
    EXPECT_EQ(r->objects_created, 9990u);
    EXPECT_EQ(r->estimated_kb, 3902u);
    EXPECT_EQ(r->api, "CreateWindowExW");
    EXPECT_EQ(r->error, 1158u);
}

TEST(ProbeReport, OkLineHasNoApi) {
    const auto r = parse_probe_report(R"({"probe":"safelaunch-probe","version":1,"result":"ok","exit_code":0})");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->result, "ok");
    EXPECT_FALSE(r->api);
    EXPECT_FALSE(r->objects_created);
}

TEST(ProbeReport, OtherTextIsNotAReport) {
    EXPECT_FALSE(parse_probe_report(""));
    EXPECT_FALSE(parse_probe_report("exit 6"));
    EXPECT_FALSE(parse_probe_report("[1,2]"));
    EXPECT_FALSE(parse_probe_report(R"({"probe":"other"})"));
    const auto r = parse_probe_report(R"({"probe":"safelaunch-probe","exit_code":-1,"objects_created":"many"})");
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->exit_code) << "wrong types are left empty";
    EXPECT_FALSE(r->objects_created);
}

}  // namespace
}  // namespace safelaunch
