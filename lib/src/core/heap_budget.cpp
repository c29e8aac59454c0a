#include "safelaunch/heap_budget.hpp"

#include <fmt/format.h>

namespace safelaunch {
namespace {

[[nodiscard]] std::uint32_t size_of(const DesktopHeapEntry& d, const HeapBudgetInput& in) noexcept {
    if (d.heap_kb) return *d.heap_kb;
    const auto& ss = in.shared_section;
    switch (d.kind) {
        case DesktopHeapKind::interactive:
        case DesktopHeapKind::screen_saver: return ss.interactive_kb;
        case DesktopHeapKind::noninteractive: return ss.noninteractive_kb;
        case DesktopHeapKind::winlogon: return secure_desktop_sizes(in.os_major).winlogon_kb;
        case DesktopHeapKind::disconnect: return secure_desktop_sizes(in.os_major).disconnect_kb;
        case DesktopHeapKind::fixed: return 0;
    }
    return 0;
}

[[nodiscard]] std::uint64_t used_kb(const HeapBudgetInput& in) noexcept {
    std::uint64_t used = in.shared_heap_in_pool ? in.shared_section.shared_kb : 0;
    for (const auto& d : in.desktops) used += std::uint64_t{size_of(d, in)} * d.count;
    return used;
}

void add(std::vector<Finding>& findings, std::string_view id, Severity severity, std::string message,
         std::string evidence, std::string remedy = {}) {
    findings.push_back(Finding{std::string(id), severity, std::move(message), std::move(evidence),
                               std::move(remedy)});
}

}  // namespace

std::string_view to_string(DesktopHeapKind kind) noexcept {
    switch (kind) {
        case DesktopHeapKind::interactive: return "interactive";
        case DesktopHeapKind::noninteractive: return "noninteractive";
        case DesktopHeapKind::winlogon: return "winlogon";
        case DesktopHeapKind::disconnect: return "disconnect";
        case DesktopHeapKind::screen_saver: return "screen-saver";
        case DesktopHeapKind::fixed: return "fixed";
    }
    return "unknown";
}

std::vector<DesktopHeapEntry> interactive_session_desktops(bool screen_saver_shown) {
    std::vector<DesktopHeapEntry> out{
        {"WinSta0\\Default", DesktopHeapKind::interactive, 1, std::nullopt},
        {"WinSta0\\Winlogon", DesktopHeapKind::winlogon, 1, std::nullopt},
        {"WinSta0\\Disconnect", DesktopHeapKind::disconnect, 1, std::nullopt},
    };
    if (screen_saver_shown)
        out.push_back({"WinSta0\\Screen-saver", DesktopHeapKind::screen_saver, 1, std::nullopt});
    return out;
}

std::optional<std::uint32_t> session_pool_kb(std::uint32_t major, bool x64, bool terminal_services,
                                             bool three_gb) noexcept {
    if (x64 || major >= 6) return std::nullopt;
    return (terminal_services || three_gb) ? kSmallSessionViewKb : kXpSessionViewKb;
}

SecureDesktopSizes secure_desktop_sizes(std::optional<std::uint32_t> os_major) noexcept {
    if (os_major && *os_major <= 5) return {kXpWinlogonDesktopKb, kXpDisconnectDesktopKb};
    return {kWinlogonDesktopKb, kDisconnectDesktopKb};
}

std::uint64_t processes_that_fit(std::uint64_t heap_kb, std::uint32_t per_process_kb) noexcept {
    return per_process_kb == 0 ? 0 : heap_kb / per_process_kb;
}

std::uint64_t windows_that_fit(std::uint64_t heap_kb, std::uint32_t title_chars) noexcept {
    const std::uint64_t per_window = kSmallWindowBytes + std::uint64_t{kTitleCharBytes} * title_chars;
    return heap_kb * 1024 / per_window;
}

std::uint64_t pool_kb_needed(const HeapBudgetInput& input, std::uint32_t more) {
    return used_kb(input) + std::uint64_t{more} * input.shared_section.noninteractive_kb;
}

std::optional<std::uint32_t> noninteractive_kb_for(const HeapBudgetInput& input, std::uint32_t more) {
    if (!input.pool_kb) return std::nullopt;
    std::uint64_t fixed = input.shared_heap_in_pool ? input.shared_section.shared_kb : 0;
    std::uint64_t noninteractive = more;
    for (const auto& d : input.desktops) {
        if (d.kind == DesktopHeapKind::noninteractive) noninteractive += d.count;
        else fixed += std::uint64_t{size_of(d, input)} * d.count;
    }
    if (fixed >= *input.pool_kb || noninteractive == 0) return std::nullopt;
    const std::uint64_t each = (*input.pool_kb - fixed) / noninteractive;
    if (each < kMinDesktopHeapKb) return std::nullopt;
    return static_cast<std::uint32_t>(each > kMaxSharedSectionKb ? kMaxSharedSectionKb : each);
}

HeapBudget compute_heap_budget(const HeapBudgetInput& in) {
    HeapBudget out;
    const auto& ss = in.shared_section;
    if (in.shared_heap_in_pool)
        out.lines.push_back({"shared heap (SharedSection 1st value)", DesktopHeapKind::fixed, 1,
                             ss.shared_kb, ss.shared_kb});
    for (const auto& d : in.desktops) {
        const auto each = size_of(d, in);
        out.lines.push_back({d.name, d.kind, d.count, each, std::uint64_t{each} * d.count});
    }
    out.used_kb = used_kb(in);
    out.processes_per_noninteractive = processes_that_fit(ss.noninteractive_kb);

    out.assumptions.push_back(fmt::format("SharedSection {},{},{} KB (shared, interactive, noninteractive)",
                                          ss.shared_kb, ss.interactive_kb, ss.noninteractive_kb));
    out.assumptions.push_back(in.shared_heap_in_pool
                                  ? "the shared heap (1st value) is counted against the pool"
                                  : "the shared heap (1st value) is not counted against the pool");
    const auto secure = secure_desktop_sizes(in.os_major);
    out.assumptions.push_back(fmt::format(
        "Winlogon desktop {} KB, Disconnect desktop {} KB ({})", secure.winlogon_kb, secure.disconnect_kb,
        !in.os_major      ? "Vista-and-later figures, from a Server 2012 !dskheap; the OS was not given"
        : *in.os_major <= 5 ? "XP/2003 figures"
                            : "Vista-and-later figures, from a Server 2012 !dskheap"));
    for (const auto& d : in.desktops)
        if (d.kind == DesktopHeapKind::screen_saver && !d.heap_kb)
            out.assumptions.push_back("the Screen-saver desktop is taken at the interactive size (unconfirmed)");
    out.assumptions.push_back(fmt::format("~{} KB of desktop heap per service process, ~{} bytes per small "
                                          "window (field measurements)",
                                          kServiceProcessKb, kSmallWindowBytes));

    if (!ss.noninteractive_given)
        add(out.findings, "heap.noninteractive.interactive_sized", Severity::warning,
            fmt::format("SharedSection has no third value, so every service desktop takes the "
                        "interactive size, {} KB",
                        ss.interactive_kb),
            fmt::format("SharedSection={}", ss.to_string()),
            "add a third SharedSection value (512 on 32-bit, 768 on 64-bit Windows) and reboot");

    if (in.processes_per_noninteractive_desktop) {
        const auto expected = *in.processes_per_noninteractive_desktop;
        if (out.processes_per_noninteractive < expected)
            add(out.findings, "heap.noninteractive.small", Severity::warning,
                fmt::format("a {} KB noninteractive desktop holds about {} processes; {} are expected",
                            ss.noninteractive_kb, out.processes_per_noninteractive, expected),
                fmt::format("SharedSection 3rd value {} KB, ~{} KB per process", ss.noninteractive_kb,
                            kServiceProcessKb),
                fmt::format("raise the third SharedSection value to at least {} KB and reboot",
                            std::uint64_t{expected} * kServiceProcessKb));
    } else if (ss.noninteractive_kb < kSmallNoninteractiveKb) {
        add(out.findings, "heap.noninteractive.small", Severity::warning,
            fmt::format("the noninteractive desktop heap is {} KB, below the {} KB Windows has "
                        "used by default; about {} service processes fit per desktop",
                        ss.noninteractive_kb, kSmallNoninteractiveKb, out.processes_per_noninteractive),
            fmt::format("SharedSection 3rd value {} KB", ss.noninteractive_kb),
            "raise the third SharedSection value (512 on 32-bit, 768 on 64-bit) and reboot");
    }

    if (!in.pool_kb) {
        out.assumptions.push_back("no desktop heap pool given: from Vista on the session view is "
                                  "dynamic, so no total bound is computed");
        add(out.findings, "heap.pool.unknown", Severity::info,
            "no desktop heap pool is known (dynamic session view); only per-desktop figures apply",
            fmt::format("{} KB in use by the listed desktops", out.used_kb));
        return out;
    }

    const std::uint64_t pool = *in.pool_kb;
    out.pool_kb = pool;
    out.free_kb = out.used_kb >= pool ? 0 : pool - out.used_kb;
    out.noninteractive_fit = ss.noninteractive_kb == 0 ? 0 : *out.free_kb / ss.noninteractive_kb;
    out.assumptions.push_back(fmt::format("desktop heap pool {} KB ({})", pool,
                                          in.pool_source.empty() ? "given by the caller" : in.pool_source));

    const auto evidence = fmt::format("pool {} KB, used {} KB, free {} KB, noninteractive desktop {} KB",
                                      pool, out.used_kb, *out.free_kb, ss.noninteractive_kb);
    const auto more_kb = noninteractive_kb_for(in, 10);
    const auto remedy =
        more_kb ? fmt::format("lower the third SharedSection value to {} KB or less to fit 10 more service "
                              "desktops, or stop services that run under their own accounts",
                              *more_kb)
                : std::string("stop services that run under their own accounts, or lower the "
                              "SharedSection sizes, then reboot");
    if (out.used_kb > pool) {
        add(out.findings, "heap.pool.exhausted", Severity::error,
            fmt::format("the listed desktops need {} KB of desktop heap but the pool is {} KB",
                        out.used_kb, pool),
            evidence, remedy);
    } else if (*out.noninteractive_fit == 0) {
        add(out.findings, "heap.pool.exhausted", Severity::error,
            "not one more noninteractive desktop fits: the next service logon session's desktop "
            "cannot be created (its processes exit with 0xC0000142)",
            evidence, remedy);
    } else if (*out.noninteractive_fit < kLowFitDesktops) {
        add(out.findings, "heap.pool.low", Severity::warning,
            fmt::format("only {} more noninteractive desktops fit in the desktop heap pool",
                        *out.noninteractive_fit),
            evidence, remedy);
    }
    return out;
}

std::string HeapBudget::to_text() const {
    std::string out;
    for (const auto& l : lines)
        out += fmt::format("  {:<40} {:>14} {:>4} x {:>6} KB = {:>8} KB\n", l.name, to_string(l.kind),
                           l.count, l.heap_kb_each, l.total_kb);
    out += fmt::format("used: {} KB\n", used_kb);
    if (pool_kb) {
        out += fmt::format("pool: {} KB, free: {} KB\n", *pool_kb, free_kb.value_or(0));
        out += fmt::format("more noninteractive desktops that fit: {}\n", noninteractive_fit.value_or(0));
    } else {
        out += "pool: unknown (dynamic session view)\n";
    }
    out += fmt::format("processes per noninteractive desktop: ~{}\n", processes_per_noninteractive);
    for (const auto& a : assumptions) out += fmt::format("assumption: {}\n", a);
    return out;
}

}  // namespace safelaunch
