#include "safelaunch/shared_section.hpp"

#include "ascii.hpp"

#include <fmt/format.h>

#include <cstddef>

namespace safelaunch {
namespace {

using ascii::is_space;
using ascii::is_digit;
using ascii::lower;


constexpr std::string_view kName = "sharedsection";

[[nodiscard]] bool starts_with_name(std::string_view token) noexcept {
    if (token.size() < kName.size()) return false;
    for (std::size_t i = 0; i < kName.size(); ++i)
        if (lower(token[i]) != kName[i]) return false;
    return true;
}

// Only digits and commas, at least one character: a piece of a SharedSection value.
[[nodiscard]] bool is_value_piece(std::string_view token) noexcept {
    if (token.empty()) return false;
    for (char c : token)
        if (!is_digit(c) && c != ',') return false;
    return true;
}

[[nodiscard]] std::vector<std::string_view> split_ws(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && is_space(s[i])) ++i;
        const std::size_t start = i;
        while (i < s.size() && !is_space(s[i])) ++i;
        if (i > start) out.push_back(s.substr(start, i - start));
    }
    return out;
}

// Printable, one line, bounded: evidence must never carry raw control bytes or megabytes. The
// corrected Windows value of a remedy may be longer (max 4096).
[[nodiscard]] std::string shown(std::string_view s, std::size_t max = 120) {
    std::string out;
    for (std::size_t i = 0; i < s.size() && i < max; ++i) {
        const auto b = static_cast<unsigned char>(s[i]);
        if (b < 0x20 || b == 0x7F) out += fmt::format("\\x{:02x}", b);
        else out += s[i];
    }
    if (s.size() > max) out += "...";
    return out;
}

void add(std::vector<Finding>& findings, std::string_view id, Severity severity,
         std::string message, std::string evidence, std::string remedy = {}) {
    findings.push_back(Finding{std::string(id), severity, std::move(message), std::move(evidence),
                               std::move(remedy)});
}

constexpr std::string_view kRebootRemedy =
    " in HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\SubSystems\\Windows, "
    "then reboot";

// csrss's other arguments (the names ReactOS's csrsrv CsrParseServerCommandLine knows) and the
// value Windows' default Windows value gives each; "" where there is no single usual value.
struct OtherArgument {
    std::string_view name;
    std::string_view usual_value;
};
constexpr OtherArgument kOtherArguments[] = {
    {"ObjectDirectory", "\\Windows"}, {"Windows", "On"},          {"SubSystemType", "Windows"},
    {"ServerDll", ""},                 {"ProfileControl", "Off"},  {"MaxRequestThreads", "16"},
};

[[nodiscard]] bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

[[nodiscard]] const OtherArgument* other_argument_named(std::string_view token) noexcept {
    for (const auto& a : kOtherArguments)
        if (iequals(token, a.name)) return &a;
    return nullptr;
}

// An argument other than SharedSection that lost its '=': "Windows On", "Windows =On",
// "Windows = On", "Windows:On", or a bare "Windows". Consumed tokens are listed in `seen`.
struct LostEquals {
    const OtherArgument* argument = nullptr;
    std::string value;                  // the value meant; the usual one when none was written
    bool value_missing = false;         // nothing to read the value from
    bool colon = false;                 // "Windows:On": one token, name and value joined by ':'
    std::vector<std::string_view> seen; // the arguments csrss gets instead
};

// Tries the argument at tokens[i]; on a match advances i past the tokens it consumed.
[[nodiscard]] std::optional<LostEquals> lost_equals_at(const std::vector<std::string_view>& tokens,
                                                        std::size_t& i) {
    const auto tok = tokens[i];
    LostEquals r;
    if (const auto colon = tok.find(':'); colon != std::string_view::npos && tok.find('=') == std::string_view::npos) {
        // "Windows:On" (but not "ServerDll=winsrv:...", which has its '=').
        r.argument = other_argument_named(tok.substr(0, colon));
        if (!r.argument) return std::nullopt;
        r.value = std::string(tok.substr(colon + 1));
        r.colon = true;
        r.seen.push_back(tok);
        if (r.value.empty()) {
            r.value = std::string(r.argument->usual_value);
            r.value_missing = true;
        }
        return r;
    }
    r.argument = other_argument_named(tok);
    if (!r.argument) return std::nullopt;
    r.seen.push_back(tok);
    std::size_t j = i + 1;
    if (j < tokens.size() && tokens[j] == "=") r.seen.push_back(tokens[j++]);
    if (j < tokens.size()) {
        auto next = tokens[j];
        const bool glued = next.front() == '=';  // "Windows =On"
        if (glued) next.remove_prefix(1);
        // The next token is the value unless it is an argument of its own: it has an '=', starts
        // with SharedSection, or is another bare name (SubSystemType's value "Windows" excepted).
        const auto* named = other_argument_named(next);
        const bool an_argument = next.find('=') != std::string_view::npos || starts_with_name(next) ||
                                 (named && !iequals(next, r.argument->usual_value));
        if (!next.empty() && (glued || !an_argument)) {
            r.value = std::string(next);
            r.seen.push_back(tokens[j]);
            i = j;
            return r;
        }
    }
    if (r.seen.size() == 2) i = j - 1;  // a lone "=" was consumed
    r.value = std::string(r.argument->usual_value);
    r.value_missing = true;
    return r;
}

// Parses one decimal value; on failure adds a finding and returns nullopt.
std::optional<std::uint32_t> parse_value(std::string_view text, int index, std::string_view whole,
                                         std::vector<Finding>& findings) {
    if (text.empty()) {
        add(findings, "shared_section.malformed_number", Severity::error,
            fmt::format("SharedSection value {} is empty", index),
            fmt::format("SharedSection={}", shown(whole)),
            fmt::format("write three decimal numbers, e.g. SharedSection=1024,20480,768{}",
                        kRebootRemedy));
        return std::nullopt;
    }
    std::uint64_t v = 0;
    for (char c : text) {
        if (!is_digit(c)) {
            add(findings, "shared_section.malformed_number", Severity::error,
                fmt::format("SharedSection value {} \"{}\" is not a decimal number", index,
                            shown(text)),
                fmt::format("SharedSection={}", shown(whole)),
                fmt::format("write decimal numbers of KB, e.g. SharedSection=1024,20480,768{}",
                            kRebootRemedy));
            return std::nullopt;
        }
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
        if (v > kMaxSharedSectionKb) {
            add(findings, "shared_section.overflow", Severity::error,
                fmt::format("SharedSection value {} \"{}\" KB does not fit in 32 bits of bytes "
                            "(maximum {})",
                            index, shown(text), kMaxSharedSectionKb),
                fmt::format("SharedSection={}", shown(whole)),
                fmt::format("use a size in KB such as 768 or 20480{}", kRebootRemedy));
            return std::nullopt;
        }
    }
    return static_cast<std::uint32_t>(v);
}

// Reads "a,b[,c]" into result.values, adding findings for every defect.
void read_values(std::string_view text, SharedSectionAnalysis& result) {
    auto& findings = result.findings;
    result.text = std::string(text);
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    while (true) {
        const auto comma = text.find(',', start);
        parts.push_back(text.substr(start, comma == std::string_view::npos ? text.npos : comma - start));
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    if (parts.size() < 2) {
        add(findings, "shared_section.too_few_values", Severity::error,
            fmt::format("SharedSection has {} value(s); it needs at least the shared and the "
                        "interactive heap sizes",
                        text.empty() ? 0 : parts.size()),
            fmt::format("SharedSection={}", shown(text)),
            fmt::format("write SharedSection=1024,20480,768 (64-bit default){}", kRebootRemedy));
        return;
    }
    if (parts.size() > 3)
        add(findings, "shared_section.too_many_values", Severity::warning,
            fmt::format("SharedSection has {} values; only three are defined, the rest is "
                        "not expected and is ignored here",
                        parts.size()),
            fmt::format("SharedSection={}", shown(text)),
            fmt::format("keep three values{}", kRebootRemedy));

    std::optional<std::uint32_t> v[3];
    bool ok = true;
    const std::size_t n = parts.size() < 3 ? parts.size() : 3;
    for (std::size_t i = 0; i < n; ++i) {
        v[i] = parse_value(parts[i], static_cast<int>(i + 1), text, findings);
        ok = ok && v[i].has_value();
    }
    if (!ok) return;

    SharedSection s;
    s.shared_kb = *v[0];
    s.interactive_kb = *v[1];
    s.noninteractive_given = n == 3;
    s.noninteractive_kb = s.noninteractive_given ? *v[2] : *v[1];

    if (s.shared_kb == 0) {
        add(findings, "shared_section.zero_shared", Severity::error,
            "SharedSection's first value (shared heap) is 0", fmt::format("SharedSection={}", shown(text)),
            fmt::format("set the first value back to 1024{}", kRebootRemedy));
        return;
    }
    if (s.shared_kb != 1024)
        add(findings, "shared_section.shared_changed", Severity::info,
            fmt::format("SharedSection's first value (shared heap) is {} KB, not the usual 1024",
                        s.shared_kb),
            fmt::format("SharedSection={}", shown(text)),
            "Microsoft: it is unlikely that this value needs changing");
    auto clamp = [&](std::uint32_t& kb, std::string_view which) {
        if (kb >= kMinDesktopHeapKb) return;
        add(findings, "shared_section.clamped_to_128", Severity::warning,
            fmt::format("SharedSection's {} value {} KB is below the minimum and reads as {} KB",
                        which, kb, kMinDesktopHeapKb),
            fmt::format("SharedSection={}", shown(text)),
            fmt::format("write {} or more{}", kMinDesktopHeapKb, kRebootRemedy));
        kb = kMinDesktopHeapKb;
    };
    clamp(s.interactive_kb, "second (interactive)");
    if (s.noninteractive_given) clamp(s.noninteractive_kb, "third (noninteractive)");
    else s.noninteractive_kb = s.interactive_kb;

    if (s.interactive_kb > kAdvisedMaxInteractiveKb)
        add(findings, "shared_section.interactive_above_20480", Severity::warning,
            fmt::format("SharedSection's second value {} KB is above 20480 KB, which Microsoft "
                        "advises against",
                        s.interactive_kb),
            fmt::format("SharedSection={}", shown(text)),
            fmt::format("use 20480 or less{}", kRebootRemedy));
    if (!s.noninteractive_given)
        add(findings, "shared_section.noninteractive_defaulted", Severity::info,
            fmt::format("SharedSection has no third value: each noninteractive desktop gets the "
                        "interactive size, {} KB",
                        s.interactive_kb),
            fmt::format("SharedSection={}", shown(text)),
            "add a third value (512 on 32-bit, 768 on 64-bit Windows) so service desktops are "
            "smaller");
    result.values = s;
}

// Common path for a tokenised command line. `bare` suppresses the "missing" finding's wording.
SharedSectionAnalysis analyze_tokens(const std::vector<std::string_view>& tokens) {
    SharedSectionAnalysis result;
    auto& findings = result.findings;

    std::optional<std::string> value;   // the first SharedSection value (after joining)
    std::vector<std::string> rebuilt;   // the arguments as they should read, for the remedy
    std::vector<LostEquals> lost;       // other arguments that lost their '='
    std::size_t occurrences = 0;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        const auto tok = tokens[i];
        if (!starts_with_name(tok)) {
            if (auto l = lost_equals_at(tokens, i)) {
                rebuilt.push_back(fmt::format("{}={}", l->argument->name,
                                              l->value.empty() ? std::string("<value>") : l->value));
                lost.push_back(std::move(*l));
            } else {
                rebuilt.emplace_back(tok);
            }
            continue;
        }
        const auto rest = tok.substr(kName.size());
        std::string text;
        bool tolerated = false;
        std::vector<std::string> pieces{std::string(tok)};
        if (!rest.empty() && rest.front() == '=') {
            text = std::string(rest.substr(1));
        } else if (rest.empty() || rest.front() == ':' || is_digit(rest.front())) {
            // "SharedSection 1024,...", "SharedSection =1024,...", "SharedSection:1024,...".
            std::string_view recovered = rest.empty() ? std::string_view{} : rest;
            while (!recovered.empty() && (recovered.front() == ':' || recovered.front() == '='))
                recovered.remove_prefix(1);
            std::size_t j = i + 1;
            if (recovered.empty() && j < tokens.size() && tokens[j] == "=") ++j;
            if (recovered.empty() && j < tokens.size()) {
                auto next = tokens[j];
                if (!next.empty() && next.front() == '=') next.remove_prefix(1);
                if (is_value_piece(next)) {
                    recovered = next;
                    for (std::size_t k = i + 1; k <= j; ++k) pieces.emplace_back(tokens[k]);
                    i = j;
                }
            }
            add(findings, "shared_section.missing_equals", Severity::error,
                fmt::format("\"{}\" has no '=' right after SharedSection, so csrss does not read "
                            "it as the SharedSection argument",
                            shown(tok)),
                fmt::format("argument {}", shown(tok)),
                fmt::format("write SharedSection=<shared>,<interactive>,<noninteractive> with no "
                            "spaces{}",
                            kRebootRemedy));
            text = std::string(recovered);
            tolerated = true;
        } else {
            rebuilt.emplace_back(tok);
            continue;  // "SharedSectionFoo=..." is some other argument
        }

        // Join the pieces white space split off: "1024," "20480," "768".
        bool joined = false;
        while (i + 1 < tokens.size() && is_value_piece(tokens[i + 1]) &&
               (text.empty() || text.back() == ',' || tokens[i + 1].front() == ',')) {
            text += tokens[i + 1];
            pieces.emplace_back(tokens[i + 1]);
            joined = true;
            ++i;
        }
        rebuilt.push_back("SharedSection=" + text);
        ++occurrences;
        if (occurrences > 1) {
            add(findings, "shared_section.duplicate", Severity::warning,
                "the Windows value has more than one SharedSection argument; this tool reads the "
                "first, and which one Windows applies is not documented",
                fmt::format("second: SharedSection={}", shown(text)),
                fmt::format("keep exactly one SharedSection argument{}", kRebootRemedy));
            continue;
        }
        if (joined) {
            std::string seen;
            for (const auto& p : pieces) seen += fmt::format("{}\"{}\"", seen.empty() ? "" : " ", shown(p));
            add(findings, "shared_section.whitespace_in_value", Severity::warning,
                fmt::format("white space splits the SharedSection value; read here as {}, but "
                            "csrss splits its command line at white space",
                            shown(text)),
                fmt::format("csrss sees the arguments {}", seen),
                fmt::format("remove the spaces: SharedSection={}{}", shown(text), kRebootRemedy));
            tolerated = true;
        }
        result.recovered = tolerated;
        value = std::move(text);
    }

    // Other arguments without their '=': csrss gets a name without a value plus a stray argument.
    // The remedy is the whole corrected value, since this value is edited as one string.
    if (!lost.empty()) {
        std::string corrected;
        for (const auto& r : rebuilt) corrected += (corrected.empty() ? "" : " ") + r;
        for (const auto& l : lost) {
            std::string seen, written;
            for (const auto p : l.seen) {
                seen += fmt::format("{}\"{}\"", seen.empty() ? "" : " ", shown(p));
                written += fmt::format("{}{}", written.empty() ? "" : " ", shown(p));
            }
            const auto meant = fmt::format("{}={}", l.argument->name, l.value.empty() ? "<value>" : shown(l.value));
            const auto what =
                !l.value_missing ? fmt::format("\"{}\" is the csrss argument {} without its '='", written, meant)
                : l.value.empty()
                    ? fmt::format("\"{}\" is the csrss argument {} without its '=' and value", written, l.argument->name)
                    : fmt::format("\"{}\" is the csrss argument {} without its '=' and value (usually {})", written,
                                  l.argument->name, meant);
            // "Windows:On" is one argument named "Windows:On"; "Windows On" a name without a value
            // plus stray arguments.
            const auto how = l.colon            ? "it as one argument, named as no csrss argument is"
                             : l.seen.size() == 1 ? "a name without a value"
                             : l.seen.size() == 2 ? "a name without a value plus a stray argument"
                                                  : "a name without a value plus stray arguments";
            add(findings, "shared_section.argument_missing_equals", Severity::error,
                fmt::format("{}: csrss splits its command line at white space and reads {}; what csrss does "
                            "then is not documented (ReactOS's csrsrv fails an unknown argument with "
                            "STATUS_INVALID_PARAMETER), and Windows does not start without csrss",
                            what, how),
                fmt::format("csrss sees the arguments {}", seen),
                fmt::format("set HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\SubSystems\\"
                            "Windows to this value, all on one line, then reboot: {}",
                            shown(corrected, 4096)));
        }
    }

    if (!value) {
        add(findings, "shared_section.missing", Severity::error,
            "the Windows value has no SharedSection= argument; csrss needs it to size the shared "
            "and desktop heaps",
            tokens.empty() ? std::string("the value is empty")
                           : fmt::format("{} argument(s), none is SharedSection=", tokens.size()),
            fmt::format("restore SharedSection=1024,20480,768 (64-bit default){}", kRebootRemedy));
        return result;
    }
    read_values(*value, result);
    return result;
}

}  // namespace

std::string SharedSection::to_string() const {
    if (noninteractive_given) return fmt::format("{},{},{}", shared_kb, interactive_kb, noninteractive_kb);
    return fmt::format("{},{}", shared_kb, interactive_kb);
}

SharedSectionAnalysis analyze_windows_value(std::string_view windows_value,
                                            std::optional<std::string_view> stray_registry_value) {
    auto result = analyze_tokens(split_ws(windows_value));
    if (stray_registry_value) {
        std::string evidence = fmt::format("SharedSection registry value = \"{}\"", shown(*stray_registry_value));
        const auto stray = analyze_shared_section(*stray_registry_value);
        if (stray.values && result.values && !(*stray.values == *result.values))
            evidence += fmt::format("; it differs from what csrss uses ({})", result.values->to_string());
        add(result.findings, "shared_section.stray_registry_value", Severity::warning,
            "a separate registry value named SharedSection exists; csrss ignores it and reads "
            "only the SharedSection= argument inside the Windows value",
            std::move(evidence),
            "delete the SharedSection registry value and edit the SharedSection= argument of the "
            "Windows value instead, then reboot");
    }
    return result;
}

SharedSectionAnalysis analyze_shared_section(std::string_view values) {
    auto tokens = split_ws(values);
    if (tokens.empty() || !starts_with_name(tokens.front())) {
        // A bare "a,b[,c]": read it as the value of a SharedSection argument.
        std::string joined = "SharedSection=";
        std::vector<std::string_view> with_name;
        const std::string_view first = tokens.empty() ? std::string_view{} : tokens.front();
        joined += first;
        with_name.emplace_back(joined);
        for (std::size_t i = 1; i < tokens.size(); ++i) with_name.push_back(tokens[i]);
        return analyze_tokens(with_name);
    }
    return analyze_tokens(tokens);
}

std::optional<SharedSectionDefault> default_shared_section(std::uint32_t major, std::uint32_t minor,
                                                           std::uint32_t build, bool x64) noexcept {
    constexpr SharedSection kXp{1024, 3072, 512, true};
    constexpr SharedSection kVistaSp1X86{1024, 12288, 512, true};
    constexpr SharedSection kX64{1024, 20480, 768, true};
    if (major < 5) return std::nullopt;
    if (x64) {
        if (major == 5)
            return SharedSectionDefault{kX64, "64-bit Windows XP / Server 2003 (assumed as 64-bit Vista and later)"};
        return SharedSectionDefault{kX64, "64-bit Windows Vista and later"};
    }
    if (major == 5) return SharedSectionDefault{kXp, "Windows XP / Server 2003 (x86)"};
    if (major == 6 && minor == 0 && build < 6001)
        return SharedSectionDefault{kXp, "Windows Vista RTM (x86)"};
    if (major == 6 && minor <= 1)
        return SharedSectionDefault{kVistaSp1X86, "Windows Vista SP1 / Server 2008 / 7 (x86)"};
    return SharedSectionDefault{kVistaSp1X86, "32-bit Windows 8 and later (assumed as Windows 7 x86)"};
}

void compare_with_default(SharedSectionAnalysis& analysis, const SharedSectionDefault& def) {
    if (!analysis.values) return;
    const auto& v = *analysis.values;
    if (v.shared_kb == def.values.shared_kb && v.interactive_kb == def.values.interactive_kb &&
        v.noninteractive_kb == def.values.noninteractive_kb)
        return;
    add(analysis.findings, "shared_section.not_default", Severity::info,
        fmt::format("SharedSection is {} (effective {},{},{}); the default for {} is {}",
                    analysis.text, v.shared_kb, v.interactive_kb, v.noninteractive_kb,
                    def.applies_to, def.values.to_string()),
        fmt::format("SharedSection={}", shown(analysis.text)));
}

}  // namespace safelaunch
