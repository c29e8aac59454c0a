#include "safelaunch/shared_section.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace safelaunch {
namespace {

[[nodiscard]] bool has(const SharedSectionAnalysis& a, std::string_view id) {
    return std::any_of(a.findings.begin(), a.findings.end(),
                       [&](const Finding& f) { return f.id == id; });
}

[[nodiscard]] std::string ids(const SharedSectionAnalysis& a) {
    std::string out;
    for (const auto& f : a.findings) out += f.id + " ";
    return out;
}

[[nodiscard]] std::string values_of(const SharedSectionAnalysis& a) {
    if (!a.values) return "unreadable";
    return std::to_string(a.values->shared_kb) + "," + std::to_string(a.values->interactive_kb) + "," +
           std::to_string(a.values->noninteractive_kb);
}

// ---- Real-world strings from tests/data/shared_section (each file names its source) ----------

struct DataCase {
    std::string file;
    std::map<std::string, std::string> expect;  // "form", "expect.values", ...
    std::string value;
};

[[nodiscard]] std::vector<DataCase> load_cases() {
    std::vector<DataCase> cases;
    const std::filesystem::path dir = std::filesystem::path(SAFELAUNCH_TEST_DATA) / "shared_section";
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        if (e.path().extension() == ".txt") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& p : files) {
        DataCase c;
        c.file = p.filename().string();
        std::ifstream in(p, std::ios::binary);
        std::string line;
        std::vector<std::string> body;
        while (std::getline(in, line)) {
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (line.rfind("# ", 0) == 0) {
                const auto colon = line.find(": ");
                if (colon != std::string::npos) c.expect[line.substr(2, colon - 2)] = line.substr(colon + 2);
                continue;
            }
            body.push_back(line);
        }
        for (std::size_t i = 0; i < body.size(); ++i) c.value += (i ? "\n" : "") + body[i];
        cases.push_back(std::move(c));
    }
    return cases;
}

TEST(SharedSectionData, EveryFileNamesItsSourceAndExpectations) {
    const auto cases = load_cases();
    ASSERT_GE(cases.size(), 8u) << "test data missing under " << SAFELAUNCH_TEST_DATA;
    for (const auto& c : cases) {
        EXPECT_TRUE(c.expect.count("source")) << c.file;
        EXPECT_TRUE(c.expect.count("form")) << c.file;
        EXPECT_TRUE(c.expect.count("expect.values")) << c.file;
        EXPECT_TRUE(c.expect.count("expect.findings")) << c.file;
    }
}

TEST(SharedSectionData, RealWorldStringsReadAsExpected) {
    for (const auto& c : load_cases()) {
        SCOPED_TRACE(c.file);
        const auto form = c.expect.at("form");
        const auto a = form == "bare" ? analyze_shared_section(c.value) : analyze_windows_value(c.value);
        EXPECT_EQ(values_of(a), c.expect.at("expect.values"));
        const auto want = c.expect.at("expect.findings");
        if (want == "none") {
            EXPECT_TRUE(a.findings.empty()) << ids(a);
        } else {
            std::istringstream ss(want);
            std::string id;
            while (std::getline(ss, id, ',')) {
                id.erase(0, id.find_first_not_of(' '));
                EXPECT_TRUE(has(a, id)) << "missing " << id << "; got " << ids(a);
            }
        }
        const auto rec = c.expect.find("expect.recovered");
        EXPECT_EQ(a.recovered, rec != c.expect.end() && rec->second == "yes");
    }
}

// ---- Rules, table-driven --------------------------------------------------------------------

struct Row {
    const char* input;     // bare value
    const char* values;    // expected "a,b,c" or "unreadable"
    const char* finding;   // a finding that must be present, or "" for no warning/error
};

class SharedSectionRules : public ::testing::TestWithParam<Row> {};

TEST_P(SharedSectionRules, ReadsValuesAndReportsTheDefect) {
    const auto row = GetParam();
    const auto a = analyze_shared_section(row.input);
    EXPECT_EQ(values_of(a), row.values) << ids(a);
    if (std::string_view(row.finding).empty()) {
        for (const auto& f : a.findings) EXPECT_EQ(f.severity, Severity::info) << f.id;
    } else {
        EXPECT_TRUE(has(a, row.finding)) << ids(a);
    }
}

INSTANTIATE_TEST_SUITE_P(
    Table, SharedSectionRules,
    ::testing::Values(
        Row{"1024,20480,768", "1024,20480,768", ""},
        Row{"1024,3072", "1024,3072,3072", "shared_section.noninteractive_defaulted"},
        Row{"1024,3072,64", "1024,3072,128", "shared_section.clamped_to_128"},
        Row{"1024,100,512", "1024,128,512", "shared_section.clamped_to_128"},
        Row{"1024,100", "1024,128,128", "shared_section.clamped_to_128"},
        Row{"1024,3072,0", "1024,3072,128", "shared_section.clamped_to_128"},
        Row{"1024,3072,128", "1024,3072,128", ""},
        Row{"0,3072,512", "unreadable", "shared_section.zero_shared"},
        Row{"2048,3072,512", "2048,3072,512", "shared_section.shared_changed"},
        Row{"1024,20481,768", "1024,20481,768", "shared_section.interactive_above_20480"},
        Row{"1024,20480,768,5", "1024,20480,768", "shared_section.too_many_values"},
        Row{"1024", "unreadable", "shared_section.too_few_values"},
        Row{"", "unreadable", "shared_section.too_few_values"},
        Row{"1024,,512", "unreadable", "shared_section.malformed_number"},
        Row{"1024,3072,", "unreadable", "shared_section.malformed_number"},
        Row{"1024,0x400,512", "unreadable", "shared_section.malformed_number"},
        Row{"1024,-1,512", "unreadable", "shared_section.malformed_number"},
        Row{"1024,3072,512KB", "unreadable", "shared_section.malformed_number"},
        Row{"1024,4194304,512", "unreadable", "shared_section.overflow"},
        Row{"1024,4194303,512", "1024,4194303,512", "shared_section.interactive_above_20480"},
        Row{"1024,99999999999999999999999,512", "unreadable", "shared_section.overflow"},
        Row{"1024, 20480, 768", "1024,20480,768", "shared_section.whitespace_in_value"},
        Row{"1024 ,20480 ,768", "1024,20480,768", "shared_section.whitespace_in_value"},
        Row{"sharedsection=1024,3072,512", "1024,3072,512", ""}));

// ---- The whole Windows value ----------------------------------------------------------------

TEST(SharedSection, MissingArgumentIsAnError) {
    const auto a = analyze_windows_value(
        "%SystemRoot%\\system32\\csrss.exe ObjectDirectory=\\Windows Windows=On SubSystemType=Windows");
    EXPECT_FALSE(a.values);
    ASSERT_TRUE(has(a, "shared_section.missing"));
    EXPECT_EQ(a.findings.front().severity, Severity::error);
}

TEST(SharedSection, EmptyWindowsValueIsMissing) {
    const auto a = analyze_windows_value("");
    EXPECT_TRUE(has(a, "shared_section.missing"));
}

TEST(SharedSection, SpaceAfterCommaIsJoinedAndFlagged) {
    // The white-space-split form the brief reports from the field.
    const auto a = analyze_windows_value(
        "csrss.exe ObjectDirectory=\\Windows SharedSection=1024, 20480, 768 Windows=On");
    ASSERT_TRUE(a.values);
    EXPECT_EQ(a.values->to_string(), "1024,20480,768");
    EXPECT_TRUE(a.recovered);
    EXPECT_EQ(a.text, "1024,20480,768");
    ASSERT_TRUE(has(a, "shared_section.whitespace_in_value"));
    EXPECT_NE(a.findings.front().evidence.find("\"SharedSection=1024,\" \"20480,\" \"768\""),
              std::string::npos)
        << a.findings.front().evidence;
}

TEST(SharedSection, SpaceBeforeUnrelatedNumberIsNotJoined) {
    // "1024,3072,512" is complete: a following numeric argument is not part of it.
    const auto a = analyze_windows_value("SharedSection=1024,3072,512 16");
    ASSERT_TRUE(a.values);
    EXPECT_EQ(a.values->to_string(), "1024,3072,512");
    EXPECT_FALSE(a.recovered);
}

TEST(SharedSection, MissingEqualsIsAnErrorButValuesAreRecovered) {
    for (const char* v : {"csrss.exe SharedSection 1024,3072,512 Windows=On",
                          "csrss.exe SharedSection =1024,3072,512 Windows=On",
                          "csrss.exe SharedSection = 1024,3072,512 Windows=On",
                          "csrss.exe SharedSection:1024,3072,512 Windows=On"}) {
        SCOPED_TRACE(v);
        const auto a = analyze_windows_value(v);
        EXPECT_TRUE(has(a, "shared_section.missing_equals")) << ids(a);
        ASSERT_TRUE(a.values);
        EXPECT_EQ(a.values->to_string(), "1024,3072,512");
        EXPECT_TRUE(a.recovered);
    }
}

TEST(SharedSection, NameIsCaseInsensitiveLikeCsrss) {
    const auto a = analyze_windows_value("csrss.exe SHAREDSECTION=1024,3072,512");
    ASSERT_TRUE(a.values);
    EXPECT_TRUE(a.findings.empty()) << ids(a);
}

TEST(SharedSection, LongerArgumentNameIsNotSharedSection) {
    const auto a = analyze_windows_value("csrss.exe SharedSectionX=1,2,3");
    EXPECT_TRUE(has(a, "shared_section.missing"));
}

TEST(SharedSection, DuplicateReadsTheFirstAndWarns) {
    const auto a = analyze_windows_value("SharedSection=1024,3072,512 SharedSection=1024,20480,768");
    ASSERT_TRUE(a.values);
    EXPECT_EQ(a.values->to_string(), "1024,3072,512");
    EXPECT_TRUE(has(a, "shared_section.duplicate"));
}

TEST(SharedSection, StrayRegistryValueIsReportedWithTheDifference) {
    const auto a = analyze_windows_value("SharedSection=1024,20480,768", std::string_view("1024,20480,2048"));
    ASSERT_TRUE(has(a, "shared_section.stray_registry_value"));
    const auto& f = a.findings.back();
    EXPECT_EQ(f.severity, Severity::warning);
    EXPECT_NE(f.evidence.find("differs"), std::string::npos) << f.evidence;
    EXPECT_EQ(a.values->noninteractive_kb, 768u);  // csrss ignores the stray value
}

TEST(SharedSection, ControlBytesInEvidenceAreEscaped) {
    const auto a = analyze_shared_section(std::string("1024,30") + '\x01' + "72,512");
    ASSERT_TRUE(has(a, "shared_section.malformed_number"));
    for (const auto& f : a.findings) {
        EXPECT_EQ(f.message.find('\x01'), std::string::npos);
        EXPECT_EQ(f.evidence.find('\x01'), std::string::npos);
    }
}

TEST(SharedSection, EveryFindingHasMessageEvidenceAndAStableId) {
    const auto a = analyze_windows_value("SharedSection=0,3,x,y SharedSection=1", std::string_view("z"));
    ASSERT_FALSE(a.findings.empty());
    for (const auto& f : a.findings) {
        EXPECT_EQ(f.id.rfind("shared_section.", 0), 0u) << f.id;
        EXPECT_FALSE(f.message.empty()) << f.id;
        EXPECT_FALSE(f.evidence.empty()) << f.id;
    }
}

// Each id at the severity shared_section.hpp documents for it (the table rows above check only
// that the id is present).
struct SeverityRow {
    const char* id;
    Severity severity;
    const char* windows_value;  // analysed with analyze_windows_value
    const char* stray;          // the stray registry value, or nullptr
};

TEST(SharedSection, EveryIdHasItsDocumentedSeverity) {
    const SeverityRow rows[] = {
        {"shared_section.missing", Severity::error, "csrss.exe Windows=On", nullptr},
        {"shared_section.missing_equals", Severity::error, "csrss.exe SharedSection 1024,3072,512", nullptr},
        {"shared_section.duplicate", Severity::warning, "SharedSection=1024,3072,512 SharedSection=1024,3072,512", nullptr},
        {"shared_section.whitespace_in_value", Severity::warning, "SharedSection=1024, 3072, 512", nullptr},
        {"shared_section.too_few_values", Severity::error, "SharedSection=1024", nullptr},
        {"shared_section.too_many_values", Severity::warning, "SharedSection=1024,3072,512,5", nullptr},
        {"shared_section.malformed_number", Severity::error, "SharedSection=1024,,512", nullptr},
        {"shared_section.overflow", Severity::error, "SharedSection=1024,4194304,512", nullptr},
        {"shared_section.zero_shared", Severity::error, "SharedSection=0,3072,512", nullptr},
        {"shared_section.clamped_to_128", Severity::warning, "SharedSection=1024,3072,127", nullptr},
        {"shared_section.interactive_above_20480", Severity::warning, "SharedSection=1024,20481,768", nullptr},
        {"shared_section.noninteractive_defaulted", Severity::info, "SharedSection=1024,3072", nullptr},
        {"shared_section.shared_changed", Severity::info, "SharedSection=2048,3072,512", nullptr},
        {"shared_section.stray_registry_value", Severity::warning, "SharedSection=1024,3072,512", "1024,3072,512"},
    };
    for (const auto& r : rows) {
        SCOPED_TRACE(r.windows_value);
        const auto a = r.stray ? analyze_windows_value(r.windows_value, std::string_view(r.stray))
                               : analyze_windows_value(r.windows_value);
        ASSERT_EQ(a.findings.size(), 1u) << ids(a);
        EXPECT_EQ(a.findings[0].id, r.id);
        EXPECT_EQ(a.findings[0].severity, r.severity) << r.id;
    }
    auto raised = analyze_shared_section("1024,20480,2048");
    compare_with_default(raised, *default_shared_section(10, 0, 19045, true));
    ASSERT_EQ(raised.findings.size(), 1u) << ids(raised);
    EXPECT_EQ(raised.findings[0].id, "shared_section.not_default");
    EXPECT_EQ(raised.findings[0].severity, Severity::info);
}

// A stray value equal to what csrss uses is still reported, without claiming a difference.
TEST(SharedSection, StrayRegistryValueEqualToTheArgumentClaimsNoDifference) {
    const auto a = analyze_windows_value("SharedSection=1024,20480,768", std::string_view("1024,20480,768"));
    ASSERT_TRUE(has(a, "shared_section.stray_registry_value"));
    EXPECT_EQ(a.findings.back().evidence.find("differs"), std::string::npos) << a.findings.back().evidence;
}

// ---- Defaults per Windows version -----------------------------------------------------------

struct DefaultRow {
    std::uint32_t major, minor, build;
    bool x64;
    const char* values;
};

class SharedSectionDefaults : public ::testing::TestWithParam<DefaultRow> {};

TEST_P(SharedSectionDefaults, MatchTheDocumentedTable) {
    const auto r = GetParam();
    const auto d = default_shared_section(r.major, r.minor, r.build, r.x64);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->values.to_string(), r.values) << d->applies_to;
}

INSTANTIATE_TEST_SUITE_P(
    Table, SharedSectionDefaults,
    ::testing::Values(DefaultRow{5, 1, 2600, false, "1024,3072,512"},     // XP
                      DefaultRow{5, 2, 3790, false, "1024,3072,512"},     // Server 2003
                      DefaultRow{6, 0, 6000, false, "1024,3072,512"},     // Vista RTM
                      DefaultRow{6, 0, 6001, false, "1024,12288,512"},    // Vista SP1 / 2008
                      DefaultRow{6, 1, 7601, false, "1024,12288,512"},    // 7 SP1
                      DefaultRow{6, 0, 6002, true, "1024,20480,768"},     // 64-bit 2008
                      DefaultRow{6, 3, 9600, true, "1024,20480,768"},     // 2012 R2
                      DefaultRow{10, 0, 19045, true, "1024,20480,768"},   // Windows 10
                      DefaultRow{10, 0, 22631, true, "1024,20480,768"})); // Windows 11

TEST(SharedSectionDefaultsExtra, NothingBeforeWindows2000) {
    EXPECT_FALSE(default_shared_section(4, 0, 1381, false));
}

TEST(SharedSectionDefaultsExtra, ExtrapolationsSayTheyAreAssumed) {
    EXPECT_NE(default_shared_section(10, 0, 19045, false)->applies_to.find("assumed"), std::string_view::npos);
    EXPECT_NE(default_shared_section(5, 2, 3790, true)->applies_to.find("assumed"), std::string_view::npos);
    // Windows 7 (6.1) x86 is documented; Windows 8 (6.2) x86 is assumed from it.
    EXPECT_EQ(default_shared_section(6, 1, 7601, false)->applies_to.find("assumed"), std::string_view::npos);
    EXPECT_NE(default_shared_section(6, 2, 9200, false)->applies_to.find("assumed"), std::string_view::npos);
    EXPECT_EQ(default_shared_section(6, 0, 6002, true)->applies_to.find("assumed"), std::string_view::npos);
}

TEST(SharedSectionDefaultsExtra, CompareWithDefaultFlagsOnlyDifferences) {
    auto same = analyze_shared_section("1024,20480,768");
    compare_with_default(same, *default_shared_section(10, 0, 19045, true));
    EXPECT_FALSE(has(same, "shared_section.not_default"));
    auto raised = analyze_shared_section("1024,20480,2048");
    compare_with_default(raised, *default_shared_section(10, 0, 19045, true));
    EXPECT_TRUE(has(raised, "shared_section.not_default"));
}

}  // namespace
}  // namespace safelaunch
