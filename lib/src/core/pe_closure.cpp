// The static import closure and the verdict: breadth-first over the import graph (so the chain
// shown is a shortest one), each DLL resolved beside the program first, then in System32.
// Visited names are kept, so loops in the graph end.
#include "safelaunch/pe_imports.hpp"

#include "ascii.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <deque>
#include <map>

namespace safelaunch {
namespace {

using ascii::lower;


bool connects(const std::string& normalized) { return normalized == "user32.dll" || normalized == "gdi32.dll"; }

struct Node {
    std::string name;
    std::optional<std::size_t> parent;
    bool delay = false;  // reached from the parent through a delay import
};

std::vector<ChainStep> chain_to(const std::vector<Node>& nodes, std::size_t index) {
    std::vector<ChainStep> out;
    for (std::optional<std::size_t> i = index; i; i = nodes[*i].parent) out.push_back({nodes[*i].name, nodes[*i].delay});
    std::reverse(out.begin(), out.end());
    return out;
}

}  // namespace

std::string normalize_dll_name(std::string_view name) {
    std::string out;
    out.reserve(name.size() + 4);
    for (char c : name) out.push_back(lower(c));
    if (out.find('.') == std::string::npos) out += ".dll";
    return out;
}

bool is_api_set_name(std::string_view name) {
    const auto n = normalize_dll_name(name);
    return n.rfind("api-ms-win-", 0) == 0 || n.rfind("ext-ms-", 0) == 0;
}

std::string directory_of(std::string_view path) {
    const auto cut = path.find_last_of("/\\");
    if (cut == std::string_view::npos) return ".";
    if (cut == 0) return std::string(path.substr(0, 1));
    return std::string(path.substr(0, cut));
}

std::string file_name_of(std::string_view path) {
    const auto cut = path.find_last_of("/\\");
    return std::string(cut == std::string_view::npos ? path : path.substr(cut + 1));
}

std::string_view to_string(ConnectVerdict v) noexcept {
    switch (v) {
    case ConnectVerdict::connects_at_init: return "connects_at_init";
    case ConnectVerdict::delay_loaded: return "delay_loaded";
    case ConnectVerdict::never: return "never";
    }
    return "never";
}

std::string chain_text(const ImportClosure& c) {
    std::string out;
    for (const auto& s : c.chain) {
        if (!out.empty()) out += s.delay ? " -> (delay) " : " -> ";
        out += s.name;
    }
    return out;
}

std::optional<ImportClosure> import_closure(const std::string& program, ImageFiles& files,
                                            const ImportClosureOptions& options, std::string& error) {
    const auto bytes = files.read(program, error);
    if (!bytes) return std::nullopt;
    ImportClosure c;
    c.program = program;
    c.image = parse_pe_imports(*bytes);
    if (!c.image.valid) {
        error = c.image.problems.empty() ? "not a PE image" : c.image.problems.front().message;
        return std::nullopt;
    }
    const auto app_dir = directory_of(program);
    for (auto p : c.image.problems) {
        p.evidence = p.evidence.empty() ? file_name_of(program) : fmt::format("{}: {}", file_name_of(program), p.evidence);
        c.problems.push_back(std::move(p));
    }
    c.modules.push_back({file_name_of(program), program, c.image.imports, c.image.delay_imports});

    // Graph nodes: the program (0) and each DLL name once. Static edges first; delay edges only
    // in the second pass, so a static chain always wins over a delay-loaded one.
    std::vector<Node> nodes{{file_name_of(program), std::nullopt, false}};
    std::map<std::string, std::size_t> index{{normalize_dll_name(file_name_of(program)), 0}};  // normalized name -> node
    std::map<std::size_t, std::size_t> module_of_node{{0, 0}};  // node -> c.modules entry (resolved ones)
    std::map<std::string, bool> seen_api_set, seen_unresolved;
    bool stopped = false;

    const auto resolve = [&](std::size_t node) -> std::optional<std::size_t> {
        if (auto it = module_of_node.find(node); it != module_of_node.end()) return it->second;
        const auto& name = nodes[node].name;
        const auto norm = normalize_dll_name(name);
        if (c.modules.size() >= options.max_modules) {
            if (!stopped)
                c.problems.push_back(Finding{"pe.closure.too_many", Severity::warning,
                                         fmt::format("stopped after {} modules; the closure is incomplete", options.max_modules), {}, {}});
            stopped = true;
            return std::nullopt;
        }
        auto path = files.find(app_dir, norm);
        if (!path && !options.system_dir.empty()) path = files.find(options.system_dir, norm);
        if (!path) {
            if (!seen_unresolved[norm]) c.unresolved.push_back(name);
            seen_unresolved[norm] = true;
            return std::nullopt;
        }
        std::string why;
        const auto dll = files.read(*path, why);
        if (!dll) {
            c.problems.push_back(Finding{"pe.closure.unreadable", Severity::warning,
                                         fmt::format("{} cannot be read; its imports are not followed", name), fmt::format("{}: {}", *path, why), {}});
            module_of_node[node] = c.modules.size();
            c.modules.push_back({name, *path, {}, {}});
            return c.modules.size() - 1;
        }
        auto img = parse_pe_imports(*dll);
        for (auto p : img.problems) {
            p.evidence = p.evidence.empty() ? *path : fmt::format("{}: {}", *path, p.evidence);
            c.problems.push_back(std::move(p));
        }
        module_of_node[node] = c.modules.size();
        c.modules.push_back({name, *path, std::move(img.imports), std::move(img.delay_imports)});
        return c.modules.size() - 1;
    };

    // One breadth-first pass; returns the first user32/gdi32 node reached.
    const auto search = [&](bool follow_delay) -> std::optional<std::size_t> {
        std::vector<bool> visited(nodes.size(), false);
        std::deque<std::size_t> queue{0};
        visited[0] = true;
        std::optional<std::size_t> found;
        while (!queue.empty()) {
            const auto at = queue.front();
            queue.pop_front();
            const auto m = resolve(at);
            if (!m) continue;
            // Copies: resolve() may grow c.modules.
            const auto statics = c.modules[*m].imports;
            const auto delays = c.modules[*m].delay_imports;
            const auto visit = [&](const std::string& name, bool delay) {
                const auto norm = normalize_dll_name(name);
                if (is_api_set_name(norm)) {
                    // Not followed, but the user-interface API sets resolve to user32/gdi32 on
                    // desktop Windows: say so rather than let 'never' stand unqualified.
                    if (!seen_api_set[norm] && (norm.find("ntuser") != std::string::npos || norm.find("-gdi") != std::string::npos))
                        c.problems.push_back(Finding{"pe.closure.ui_api_set", Severity::warning,
                                                     fmt::format("{} imports the API set {}, which may resolve to user32.dll or gdi32.dll",
                                                                 nodes[at].name, name),
                                                     "API sets are resolved by the loader's schema, not followed here", {}});
                    if (!seen_api_set[norm]) c.api_sets.push_back(name);
                    seen_api_set[norm] = true;
                    return;
                }
                auto [it, added] = index.try_emplace(norm, nodes.size());
                if (added) nodes.push_back({name, at, delay});
                if (it->second >= visited.size()) visited.resize(nodes.size(), false);
                if (visited[it->second]) return;  // a loop or a diamond: already queued
                visited[it->second] = true;
                // A node first met in the static pass keeps its static parent.
                if (!added && follow_delay) { nodes[it->second].parent = at; nodes[it->second].delay = delay; }
                if (connects(norm) && !found) found = it->second;
                queue.push_back(it->second);
            };
            for (const auto& n : statics) visit(n, false);
            if (follow_delay)
                for (const auto& n : delays) visit(n, true);
        }
        return found;
    };

    if (const auto hit = search(false)) {
        c.verdict = ConnectVerdict::connects_at_init;
        c.chain = chain_to(nodes, *hit);
    } else if (const auto late = search(true)) {
        c.verdict = ConnectVerdict::delay_loaded;
        c.chain = chain_to(nodes, *late);
    } else {
        c.verdict = ConnectVerdict::never;
    }
    if (c.verdict != ConnectVerdict::connects_at_init && !c.unresolved.empty())
        c.problems.push_back(Finding{"pe.closure.incomplete", Severity::warning,
                                     fmt::format("{} DLL(s) were not found, so their imports were not followed; "
                                                 "the verdict '{}' may be too weak",
                                                 c.unresolved.size(), to_string(c.verdict)),
                                     fmt::format("not found: {}", fmt::join(c.unresolved, ", ")),
                                     "give --root the Windows directory the program will run with"});
    return c;
}

}  // namespace safelaunch
