#include "safelaunch/event_evidence.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace safelaunch {
namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// "C:\dir\app" -> "app.exe"; "dir/App.EXE" -> "app.exe".
std::string image_file_name(std::string_view image) {
    const auto slash = image.find_last_of("\\/");
    auto name = lower(slash == std::string_view::npos ? image : image.substr(slash + 1));
    if (!name.empty() && name.find('.') == std::string::npos) name += ".exe";
    return name;
}

}  // namespace

bool popup_reports_dll_init_failure(std::string_view text, std::string_view image) {
    const auto name = image_file_name(image);
    if (name.empty() || text.empty()) return false;
    const auto t = lower(text);
    // The file name as a word of its own: "myapp.exe" must not match inside "notmyapp.exe".
    bool named = false;
    for (auto at = t.find(name); at != std::string::npos && !named; at = t.find(name, at + 1)) {
        const bool starts = at == 0 || !(std::isalnum(static_cast<unsigned char>(t[at - 1])) || t[at - 1] == '_' ||
                                         t[at - 1] == '-' || t[at - 1] == '.');
        const auto end = at + name.size();
        const bool ends = end == t.size() || !(std::isalnum(static_cast<unsigned char>(t[end])) || t[end] == '_');
        named = starts && ends;
    }
    if (!named) return false;
    return t.find("c0000142") != std::string::npos || t.find("c000026b") != std::string::npos ||
           t.find("initialization of the dynamic library") != std::string::npos;
}

}  // namespace safelaunch
