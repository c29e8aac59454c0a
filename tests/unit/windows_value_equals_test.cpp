// Issue 9, part 5: a csrss argument other than SharedSection that lost its '=' ("Windows On", a
// broken fix that circulates in vendor documents) is an error, with the whole corrected Windows
// value as the remedy. Bases are the real values in tests/data/shared_section.
#include "safelaunch/shared_section.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace safelaunch {
namespace {

constexpr std::string_view kId = "shared_section.argument_missing_equals";

// The value of a data file: every line that is not a "# key: value" header, joined by '\n'.
[[nodiscard]] std::string data_value(const char* file) {
    std::ifstream in(std::filesystem::path(SAFELAUNCH_TEST_DATA) / "shared_section" / file, std::ios::binary);
    std::string line, value;
    bool first = true;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.rfind("# ", 0) == 0) continue;
        value += (first ? "" : "\n") + line;
        first = false;
    }
    return value;
}

[[nodiscard]] std::string replaced(std::string s, std::string_view from, std::string_view to) {
    const auto at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) s.replace(at, from.size(), to);
    return s;
}

[[nodiscard]] std::vector<Finding> with_id(const SharedSectionAnalysis& a, std::string_view id) {
    std::vector<Finding> out;
    for (const auto& f : a.findings)
        if (f.id == id) out.push_back(f);
    return out;
}

// The 64-bit default, one line with single spaces: also what the corrected value must read.
const std::string kWin64 =
    "%SystemRoot%\\system32\\csrss.exe ObjectDirectory=\\Windows SharedSection=1024,20480,768 Windows=On "
    "SubSystemType=Windows ServerDll=basesrv,1 ServerDll=winsrv:UserServerDllInitialization,3 "
    "ServerDll=sxssrv,4 ProfileControl=Off MaxRequestThreads=16";

[[nodiscard]] bool ends_with(std::string_view s, std::string_view tail) {
    return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

TEST(WindowsValueEquals, TheDataFileIsTheDefaultWeCorrectTo) {
    ASSERT_EQ(data_value("win64_default.txt"), kWin64);
    EXPECT_TRUE(with_id(analyze_windows_value(kWin64), kId).empty());
}

TEST(WindowsValueEquals, WindowsOnIsAnErrorWithTheWholeCorrectedValue) {
    const auto broken = replaced(data_value("win64_default.txt"), "Windows=On", "Windows On");
    const auto a = analyze_windows_value(broken);
    const auto found = with_id(a, kId);
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].severity, Severity::error);
    EXPECT_NE(found[0].message.find("Windows On"), std::string::npos) << found[0].message;
    EXPECT_NE(found[0].evidence.find("\"Windows\" \"On\""), std::string::npos) << found[0].evidence;
    EXPECT_TRUE(ends_with(found[0].remedy, kWin64)) << found[0].remedy;
    EXPECT_NE(found[0].remedy.find("reboot"), std::string::npos);
    // SharedSection itself is untouched: its values are still read, nothing tolerated there.
    ASSERT_TRUE(a.values);
    EXPECT_EQ(a.values->to_string(), "1024,20480,768");
    EXPECT_FALSE(a.recovered);
}

struct FormRow {
    const char* from;
    const char* to;
};

class WindowsValueEqualsForms : public ::testing::TestWithParam<FormRow> {};

TEST_P(WindowsValueEqualsForms, EveryArgumentAndSpellingIsCorrectedToTheDefault) {
    const auto row = GetParam();
    const auto a = analyze_windows_value(replaced(kWin64, row.from, row.to));
    const auto found = with_id(a, kId);
    ASSERT_EQ(found.size(), 1u) << row.to;
    EXPECT_EQ(found[0].severity, Severity::error);
    EXPECT_TRUE(ends_with(found[0].remedy, kWin64)) << found[0].remedy;
}

INSTANTIATE_TEST_SUITE_P(
    Table, WindowsValueEqualsForms,
    ::testing::Values(FormRow{"Windows=On", "Windows =On"}, FormRow{"Windows=On", "Windows = On"},
                      FormRow{"Windows=On", "Windows:On"}, FormRow{"Windows=On", "windows On"},
                      FormRow{"Windows=On", "WINDOWS\tOn"},
                      FormRow{"SubSystemType=Windows", "SubSystemType Windows"},
                      FormRow{"ProfileControl=Off", "ProfileControl Off"},
                      FormRow{"MaxRequestThreads=16", "MaxRequestThreads 16"},
                      FormRow{"ObjectDirectory=\\Windows", "ObjectDirectory \\Windows"},
                      FormRow{"ServerDll=sxssrv,4", "ServerDll sxssrv,4"},
                      FormRow{"ServerDll=winsrv:UserServerDllInitialization,3",
                              "ServerDll:winsrv:UserServerDllInitialization,3"}));

TEST(WindowsValueEquals, BareNameWithoutValueGetsTheUsualOne) {
    // "Windows" with nothing after it but the next argument: the default value is Windows=On.
    const auto a = analyze_windows_value(replaced(kWin64, "Windows=On", "Windows"));
    const auto found = with_id(a, kId);
    ASSERT_EQ(found.size(), 1u);
    EXPECT_NE(found[0].message.find("Windows=On"), std::string::npos) << found[0].message;
    EXPECT_TRUE(ends_with(found[0].remedy, kWin64)) << found[0].remedy;
}

TEST(WindowsValueEquals, TwoBrokenArgumentsEachReportedWithOneCorrectedValue) {
    auto broken = replaced(kWin64, "Windows=On", "Windows On");
    broken = replaced(broken, "ProfileControl=Off", "ProfileControl Off");
    const auto found = with_id(analyze_windows_value(broken), kId);
    ASSERT_EQ(found.size(), 2u);
    for (const auto& f : found) EXPECT_TRUE(ends_with(f.remedy, kWin64)) << f.remedy;
}

TEST(WindowsValueEquals, WrappedXpValueIsCorrectedToOneLine) {
    // KB 184802's XP default, wrapped over lines as the article prints it.
    const auto broken = replaced(data_value("kb184802_xp_default.txt"), "Windows=On", "Windows On");
    const auto found = with_id(analyze_windows_value(broken), kId);
    ASSERT_EQ(found.size(), 1u);
    EXPECT_TRUE(ends_with(found[0].remedy,
                          "%SystemRoot%\\system32\\csrss.exe ObjectDirectory=\\Windows SharedSection=1024,3072,512 "
                          "Windows=On SubSystemType=Windows ServerDll=basesrv,1 "
                          "ServerDll=winsrv:UserServerDllInitialization,3 ServerDll=winsrv:ConServerDllInitialization,2 "
                          "ProfileControl=Off MaxRequestThreads=16"))
        << found[0].remedy;
}

TEST(WindowsValueEquals, CorrectedValueAlsoJoinsASplitSharedSection) {
    auto broken = replaced(kWin64, "Windows=On", "Windows On");
    broken = replaced(broken, "SharedSection=1024,20480,768", "SharedSection=1024, 20480, 768");
    const auto a = analyze_windows_value(broken);
    const auto found = with_id(a, kId);
    ASSERT_EQ(found.size(), 1u);
    EXPECT_TRUE(ends_with(found[0].remedy, kWin64)) << found[0].remedy;
    EXPECT_FALSE(with_id(a, "shared_section.whitespace_in_value").empty());
}

TEST(WindowsValueEquals, RealValuesWithStrayPiecesAreNotMistakenForLostEquals) {
    // The HCL page wraps inside ServerDll values ("basesrv," "1", "winsrv:" "ConServer..."): those
    // pieces are no csrss argument names, and "ServerDll=winsrv:..." has its '='.
    for (const auto* file : {"hcl_workload_automation_wrapped.txt", "kb142676_nt4_two_values.txt",
                             "kb184802_xp_default.txt", "ss64_xp_one_argument_per_line.txt", "win64_default.txt"}) {
        const auto a = analyze_windows_value(data_value(file));
        EXPECT_TRUE(with_id(a, kId).empty()) << file;
    }
    // "SharedSectionX=..." and names that merely contain a known one are other arguments.
    EXPECT_TRUE(with_id(analyze_windows_value(kWin64 + " WindowsOn MyWindows On"), kId).empty());
}

TEST(WindowsValueEquals, ControlBytesInTheCorrectedValueAreEscaped) {
    const auto a = analyze_windows_value(replaced(kWin64, "Windows=On", std::string("Windows O\x01n")));
    const auto found = with_id(a, kId);
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].remedy.find('\x01'), std::string::npos);
    EXPECT_NE(found[0].remedy.find("Windows=O\\x01n"), std::string::npos) << found[0].remedy;
}

}  // namespace
}  // namespace safelaunch
