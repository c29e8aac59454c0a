// Issue 12 part 3: every launch holds the error mode its ErrorUi asks for around CreateProcess*
// and restores the caller's own mode afterwards; the child inherits it (Windows) or not (Wine 8,
// platform-facts.md: a child's GetErrorMode() is 0 whatever the parent set).
#include "safelaunch/error_mode.hpp"
#include "safelaunch/json.hpp"
#include "safelaunch/win32/error_mode.hpp"
#include "safelaunch/win32/launcher.hpp"
#include "safelaunch/win32/safe_launch.hpp"
#include "safelaunch/win32/system_facts.hpp"
#include "safelaunch/win32/token.hpp"
#include "test_support.hpp"
#include "tool_run.hpp"

#include <gtest/gtest.h>

#include <array>
#include <fstream>
#include <sstream>

namespace safelaunch::win32 {
namespace {

using test::child_path;
using test::tool_path;
namespace bits = error_mode_bits;

constexpr std::array kPolicies = {ErrorUi::suppress, ErrorUi::inherit, ErrorUi::system_default};

// Sets this process's mode for the test and puts the old one back afterwards.
struct OwnErrorMode {
    UINT old;
    explicit OwnErrorMode(UINT mode) : old(::GetErrorMode()) { ::SetErrorMode(mode); }
    ~OwnErrorMode() { ::SetErrorMode(old); }
};

LaunchRequest exit_zero(ErrorUi ui) {
    LaunchRequest r;
    r.program = child_path("child_exit");
    r.args = {"0"};
    r.error_ui = ui;
    r.check = CheckPolicy::none;
    return r;
}

// The caller's own mode is the same after a launch as before: this catches a missing restore, and
// the Wine quirk where a per-child NtSetInformationProcess changes the caller instead.
TEST(ErrorMode, CallerModeIsRestoredAfterEveryLaunchKind) {
    // A mode with a bit the suppression does not set, so a restore to 0 would be seen too.
    const OwnErrorMode own(SEM_NOOPENFILEERRORBOX);
    const UINT before = ::GetErrorMode();
    ASSERT_EQ(before, static_cast<UINT>(SEM_NOOPENFILEERRORBOX));
    const auto token = duplicate_own_token(true);
    for (const auto ui : kPolicies) {
        SCOPED_TRACE(std::string(to_string(ui)));
        {
            auto child = launch_process(exit_zero(ui));
            EXPECT_EQ(::GetErrorMode(), before) << "right after CreateProcessW";
            EXPECT_EQ(child.wait(), 0u);
        }
        {
            std::error_code ec;
            auto child = launch_process(exit_zero(ui), LaunchOptions{.suspended = true}, ec);
            ASSERT_FALSE(ec) << ec.message();
            EXPECT_EQ(::GetErrorMode(), before) << "after a suspended launch";
            child.resume();
            EXPECT_EQ(child.wait(), 0u);
        }
        {
            auto r = exit_zero(ui);
            r.run_as = RunAsToken{reinterpret_cast<std::uintptr_t>(token.get())};
            auto child = launch_process(r);
            EXPECT_EQ(::GetErrorMode(), before) << "after CreateProcessAsUserW";
            EXPECT_EQ(child.wait(), 0u);
        }
        {
            auto r = exit_zero(ui);
            r.check = CheckPolicy::fast;  // the suspended child of safe_launch, then resumed
            const auto out = safe_launch_and_wait(r);
            EXPECT_EQ(::GetErrorMode(), before) << "after safe_launch";
            EXPECT_EQ(out.exit_code, 0u);
        }
    }
    // A launch that fails restores too.
    LaunchRequest missing;
    missing.program = child_path("child_exit") + ".no-such-file.exe";
    std::error_code ec;
    (void)launch_process(missing, ec);
    EXPECT_TRUE(ec);
    EXPECT_EQ(::GetErrorMode(), before);
}

TEST(ErrorMode, ChildAndOutcomeReportWhatWasGiven) {
    const OwnErrorMode own(SEM_NOOPENFILEERRORBOX);
    auto suppressed = launch_process(exit_zero(ErrorUi::suppress));
    auto m = suppressed.error_mode();
    ASSERT_TRUE(m);
    EXPECT_EQ(m->policy, ErrorUi::suppress);
    EXPECT_EQ(m->value, static_cast<std::uint32_t>(SEM_NOOPENFILEERRORBOX) | bits::kSuppress);
    (void)suppressed.wait();

    auto inherited = launch_process(exit_zero(ErrorUi::inherit));
    m = inherited.error_mode();
    ASSERT_TRUE(m);
    EXPECT_EQ(m->value, static_cast<std::uint32_t>(SEM_NOOPENFILEERRORBOX));
    (void)inherited.wait();

    auto system = launch_process(exit_zero(ErrorUi::system_default));
    m = system.error_mode();
    ASSERT_TRUE(m);
    EXPECT_FALSE(m->value);
    EXPECT_NE(m->how.find("CREATE_DEFAULT_ERROR_MODE"), std::string::npos);
    (void)system.wait();

    EXPECT_FALSE(Child{}.error_mode()) << "no child, no mode";

    auto r = exit_zero(ErrorUi::suppress);
    r.check = CheckPolicy::fast;
    const auto out = safe_launch_and_wait(r);
    ASSERT_TRUE(out.error_mode);
    EXPECT_EQ(out.error_mode->value, static_cast<std::uint32_t>(SEM_NOOPENFILEERRORBOX) | bits::kSuppress);
}

// What the child itself sees. Windows: the documented inheritance; Wine 8: 0 whatever was held.
TEST(ErrorMode, ChildInheritsTheHeldMode) {
    const OwnErrorMode own(0);
    std::array<std::uint32_t, kPolicies.size()> seen{};
    for (std::size_t i = 0; i < kPolicies.size(); ++i) {
        LaunchRequest r;
        r.program = child_path("child_error_mode");
        r.error_ui = kPolicies[i];
        r.stdio.out.kind = StdStream::Kind::null;
        seen[i] = launch_process(r).wait();
    }
    if (wine_version()) {
        // Observed with Wine 8.0: the child's mode is 0 for every policy.
        EXPECT_EQ(seen[0], 0u);
        EXPECT_EQ(seen[1], 0u);
        EXPECT_EQ(seen[2], 0u);
        GTEST_SKIP() << "Wine does not pass the error mode to a child (its GetErrorMode() is 0 whatever the parent "
                        "set): the inheritance can only be seen on Windows";
    }
    EXPECT_EQ(seen[0] & bits::kSuppress, bits::kSuppress) << "suppress: 0x8003 reached the child";
    EXPECT_EQ(seen[1], 0u) << "inherit: the parent's 0";
    EXPECT_EQ(seen[2] & bits::kFailCriticalErrors, 0u) << "system default: hard errors on";
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// `safelaunch run --json` reports the mode; --error-ui picks the policy.
TEST(ErrorMode, RunReportsTheModeAndTakesErrorUi) {
    const auto run = [](std::vector<std::string> args) { return test::run_tool_capture(std::move(args)); };
    for (const auto& [flag, policy] : {std::pair<std::string, std::string>{"", "suppress"}, {"suppress", "suppress"},
                                       {"inherit", "inherit"}, {"system", "system_default"}}) {
        SCOPED_TRACE(flag);
        std::vector<std::string> args = {"run", "--json"};
        if (!flag.empty()) args.insert(args.end(), {"--error-ui", flag});
        args.insert(args.end(), {"--", child_path("child_exit"), "7"});
        const auto [code, text] = run(args);
        EXPECT_EQ(code, 7u);
        const auto j = nlohmann::json::parse(text, nullptr, false);
        ASSERT_FALSE(j.is_discarded()) << text;
        ASSERT_TRUE(j.contains("error_mode")) << text;
        EXPECT_EQ(j["error_mode"]["policy"], policy);
        if (policy == "suppress") {
            ASSERT_TRUE(j["error_mode"]["value"].is_number()) << text;
            EXPECT_EQ(j["error_mode"]["value"].get<std::uint32_t>() & bits::kSuppress, bits::kSuppress);
        }
        if (policy == "system_default") {
            EXPECT_TRUE(j["error_mode"]["value"].is_null()) << text;
        }
    }
    EXPECT_EQ(run({"run", "--error-ui", "off", "--", child_path("child_exit"), "0"}).first, 125u) << "bad usage";
}

// deskheap-repro's children always suppress, and its reports say so.
TEST(ErrorMode, ReproducerChildrenSuppressAndTheReportSaysSo) {
    const auto exe = test::exe_dir() + "\\..\\..\\launcher\\deskheap-repro.exe";
    ASSERT_NE(::GetFileAttributesA(exe.c_str()), INVALID_FILE_ATTRIBUTES) << "built with these tests: " << exe;
    const auto out_path = test::exe_dir() + "\\" + test::unique_name("error-mode-repro") + ".out";
    const auto run = [&](std::vector<std::string> args) {
        LaunchRequest r;
        r.program = exe;
        r.args = std::move(args);
        r.stdio.in.kind = StdStream::Kind::null;
        r.stdio.out = {StdStream::Kind::file, out_path, false};
        r.stdio.err.kind = StdStream::Kind::null;
        auto child = launch_process(r);
        EXPECT_TRUE(child.wait_for(std::chrono::seconds(90))) << "deskheap-repro did not end";
        auto text = read_file(out_path);
        child = Child{};
        ::DeleteFileA(out_path.c_str());
        return text;
    };
    const auto text = run({"acl", "--json"});
    const auto j = nlohmann::json::parse(text, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << text;
    EXPECT_EQ(j.at("children_error_ui"), "suppress");
    ASSERT_FALSE(j.at("phases").empty()) << text;
    for (const auto& p : j["phases"]) {
        ASSERT_TRUE(p.at("child_error_mode").is_object()) << p.dump();
        EXPECT_EQ(p["child_error_mode"].at("policy"), "suppress");
        EXPECT_EQ(p["child_error_mode"].at("value").get<std::uint32_t>() & bits::kSuppress, bits::kSuppress);
    }
    const auto human = run({"acl"});
    EXPECT_NE(human.find("children: hard-error popups suppressed"), std::string::npos) << human;
    EXPECT_NE(human.find("error mode: 0x"), std::string::npos) << human;
}

// The machine-wide ErrorMode value (KB 128642) is gathered by snapshot.
TEST(ErrorMode, MachineErrorModeIsReadFromTheRegistry) {
    const auto facts = read_hard_error_mode();
    EXPECT_FALSE(facts.error) << *facts.error;
    const auto system = gather_system_facts(std::chrono::seconds(1));
    ASSERT_TRUE(system.hard_error_mode);
    EXPECT_EQ(system.hard_error_mode->value, facts.value);
    if (wine_version()) {
        // Observed with Wine 8.0: HKLM\SYSTEM\CurrentControlSet\Control\Windows has no ErrorMode value.
        EXPECT_FALSE(facts.value);
    }
    // ... and `safelaunch snapshot` writes it: an object, {"value": null} when not set.
    const auto [code, text] = test::run_tool_capture({"snapshot", "-o", "-"});
    EXPECT_EQ(code, 0u);
    const auto j = nlohmann::json::parse(text, nullptr, false);
    ASSERT_FALSE(j.is_discarded());
    const auto& mode = j["system"]["hard_error_mode"];
    ASSERT_TRUE(mode.is_object()) << mode.dump();
    if (facts.value) {
        EXPECT_EQ(mode["value"], *facts.value);
    } else {
        EXPECT_TRUE(mode["value"].is_null()) << mode.dump();
    }
}

}  // namespace
}  // namespace safelaunch::win32
