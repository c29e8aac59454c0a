// The rules that "will it connect?" adds: pre-flight findings drop to info and the diagnosis of
// 0xC0000142 rules out the window-station causes when the child never loads user32 at start.
#include "safelaunch/connect_rules.hpp"

#include <gtest/gtest.h>

namespace safelaunch {
namespace {

std::vector<Finding> sample() {
    return {{"acl.desktop.missing_rights", Severity::error, "denied", {}, {}},
            {"heap.desktop.small", Severity::warning, "small", {}, {}},
            {"desktop.desktop.missing", Severity::error, "missing", {}, {}}};
}

TEST(ConnectRules, NeverDropsAclAndHeapFindingsToInfo) {
    const auto out = apply_connect_facts(sample(), {ConnectVerdict::never, ""});
    EXPECT_EQ(out[0].severity, Severity::info);
    EXPECT_NE(out[0].message.find("does not load user32 at start"), std::string::npos);
    EXPECT_EQ(out[1].severity, Severity::info);
    EXPECT_EQ(out[2].severity, Severity::error);  // not an acl./heap. finding
    EXPECT_EQ(verdict_of(out), Verdict::blocked);
}

TEST(ConnectRules, ConnectingChildKeepsFindings) {
    for (auto v : {ConnectVerdict::connects_at_init, ConnectVerdict::delay_loaded}) {
        const auto out = apply_connect_facts(sample(), {v, "a.exe -> user32.dll"});
        EXPECT_EQ(out[0].severity, Severity::error);
        EXPECT_EQ(out[1].severity, Severity::warning);
    }
}

DiagnosisInput heap_exhausted() {
    DiagnosisInput in;
    in.exit_code = 0xC0000142;
    in.event_244_seen = true;
    in.heap = HeapFacts{};
    in.heap->heap_kb = 768;
    in.heap->canary_started = false;
    return in;
}

TEST(ConnectRules, DllInitFailureOfANeverConnectingChildRulesOutKbCauses) {
    const auto before = diagnose(heap_exhausted());
    ASSERT_FALSE(before.causes.empty());
    // Observed: a window-station cause (session_pool for this input) leads before the rule.
    const auto station = [](CauseId id) {
        return id == CauseId::access || id == CauseId::desktop_heap || id == CauseId::session_pool || id == CauseId::missing_desktop;
    };
    ASSERT_TRUE(station(before.causes.front().id));
    const auto d = apply_connect_facts(before, {ConnectVerdict::never, ""});
    for (auto id : {CauseId::access, CauseId::desktop_heap}) {
        const auto* c = d.find(id);
        ASSERT_NE(c, nullptr);
        EXPECT_EQ(c->likelihood, Likelihood::unlikely);
        EXPECT_NE(c->evidence.front().find("does not load user32 at start"), std::string::npos);
    }
    EXPECT_FALSE(station(d.causes.front().id));
    for (const auto& c : d.causes) {
        if (station(c.id)) {
            EXPECT_EQ(c.likelihood, Likelihood::unlikely) << to_string(c.id);
        }
    }
    EXPECT_NE(d.deciding_evidence.find("neither KB 184802 cause"), std::string::npos) << d.deciding_evidence;
}

TEST(ConnectRules, OtherCodesAndConnectingChildrenAreLeftAlone) {
    const auto before = diagnose(heap_exhausted());
    const auto d = apply_connect_facts(before, {ConnectVerdict::connects_at_init, "a.exe -> user32.dll"});
    EXPECT_EQ(d.causes.front().id, before.causes.front().id);
    auto in = heap_exhausted();
    in.exit_code = 5;
    const auto other = diagnose(in);
    const auto same = apply_connect_facts(other, {ConnectVerdict::never, ""});
    EXPECT_EQ(same.deciding_evidence, other.deciding_evidence);
}

}  // namespace
}  // namespace safelaunch
