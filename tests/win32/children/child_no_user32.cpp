// Test child whose static import closure reaches neither user32.dll nor gdi32.dll (kernel32 and
// the C runtime only: no shell32, which imports user32), for the "never connects" verdict of
// issue 9. Exits with the code given as its last argument (decimal or 0x hex), else 0; parsed
// by hand because CommandLineToArgvW would import shell32.
#include <windows.h>

#include <cwchar>

int main() {
    const wchar_t* const line = ::GetCommandLineW();
    const wchar_t* p = line;
    // Skip the program name: quoted (it may hold spaces) or up to the first space.
    if (*p == L'"') {
        for (++p; *p && *p != L'"'; ++p) {
        }
        if (*p) ++p;
    } else {
        while (*p && *p != L' ' && *p != L'\t') ++p;
    }
    const wchar_t* last = nullptr;
    for (const wchar_t* q = p; *q; ++q)
        if (*q != L' ' && *q != L'\t' && q != line && (q[-1] == L' ' || q[-1] == L'\t')) last = q;
    if (!last) ::ExitProcess(0);
    wchar_t* end = nullptr;
    const unsigned long long code = std::wcstoull(last, &end, 0);  // base 0: 0x prefix = hex
    if (end == last || (*end != L'\0' && *end != L' ' && *end != L'\t') || code > 0xFFFFFFFFull) ::ExitProcess(0xBADu);
    ::ExitProcess(static_cast<UINT>(code));
}
