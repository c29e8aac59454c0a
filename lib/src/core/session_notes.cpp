#include "safelaunch/session_notes.hpp"

#include "safelaunch/desktop_spec.hpp"

#include <fmt/format.h>

namespace safelaunch {
namespace {

constexpr std::uint32_t kWsfVisible = 1;  // UOI_FLAGS of an interactive station

// nullopt: not known (no flags and a name that says nothing).
std::optional<bool> interactive(const DesktopTargetFacts& t) {
    if (t.station_facts.flags) return (*t.station_facts.flags & kWsfVisible) != 0;
    if (!t.station.empty() && !names_equal(t.station, "WinSta0")) return false;  // only WinSta0 is interactive
    return std::nullopt;
}

std::string station_kind(const DesktopTargetFacts& t) {
    const auto i = interactive(t);
    return !i ? std::string() : *i ? std::string(" (interactive)") : std::string(" (not interactive)");
}

}  // namespace

std::vector<Finding> session_notes(const Snapshot& s) {
    std::vector<Finding> out;
    if (!s.launcher) return out;
    const auto& l = *s.launcher;
    const auto& t = s.target;
    const bool inherits = !t.spec.has_value();
    const auto where = fmt::format("{}\\{}", t.station, t.desktop);
    if (l.session_id == 0) {
        out.push_back({"launcher.session_zero", Severity::info,
                       fmt::format("safelaunch runs in session 0, where services run and no user sees a desktop "
                                   "(session 0 isolation); the child {} {}{}",
                                   inherits ? "inherits the launcher's window station and desktop," : "goes to", where,
                                   station_kind(t)),
                       fmt::format("ProcessIdToSessionId: 0{}; lpDesktop {}", l.local_system ? ", running as LocalSystem" : "",
                                   t.spec ? fmt::format("\"{}\" ({})", *t.spec, t.how) : std::string("NULL (inherit)")),
                       "to show windows to the logged-on user, start the child in that user's session (a token of "
                       "that session, e.g. WTSQueryUserToken, with CreateProcessAsUserW and lpDesktop "
                       "\"WinSta0\\Default\")"});
    } else if (inherits && interactive(t) == false) {
        out.push_back({"launcher.station.noninteractive", Severity::info,
                       fmt::format("safelaunch's window station {} is not interactive: the child inherits {} "
                                   "and no user sees its windows",
                                   t.station, where),
                       t.station_facts.flags ? fmt::format("UOI_FLAGS of {}: {:#x} (no WSF_VISIBLE)", t.station,
                                                           *t.station_facts.flags)
                                             : fmt::format("{} is not WinSta0, the only interactive station", t.station),
                       "for a visible child, launch it from the interactive user's session with lpDesktop "
                       "\"WinSta0\\Default\""});
    }
    if (l.winsta0_open_error) {
        const bool target = names_equal(t.station, "WinSta0");
        out.push_back({"launcher.winsta0.unopenable", Severity::info,
                       fmt::format("safelaunch cannot open window station WinSta0 at all: it can neither check nor "
                                   "grant access there{}",
                                   target ? ", and the child is headed for it" : ""),
                       *l.winsta0_open_error,
                       "no grant on WinSta0 is possible from this process: launch on a station the token can use "
                       "(lpDesktop \"\" gives it a hidden station of its own), or grant from a process that may "
                       "change WinSta0's DACL (LocalSystem in that session, or its owner)"});
    }
    return out;
}

}  // namespace safelaunch
