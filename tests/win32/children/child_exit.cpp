// Test child: exits with the code given as argv[1] (decimal or 0x hex, unsigned 32-bit) through
// ExitProcess, so tests can produce 128 and 0xC0000142 exits on purpose.
#include <windows.h>
#include <shellapi.h>

#include <cwchar>

int main() {
    int argc = 0;
    wchar_t** argv = ::CommandLineToArgvW(::GetCommandLineW(), &argc);
    if (!argv || argc < 2) ::ExitProcess(0xBADu);
    wchar_t* end = nullptr;
    const unsigned long long code = std::wcstoull(argv[1], &end, 0);  // base 0: 0x prefix = hex
    if (end == argv[1] || *end != L'\0' || code > 0xFFFFFFFFull) ::ExitProcess(0xBADu);
    ::ExitProcess(static_cast<UINT>(code));
}
