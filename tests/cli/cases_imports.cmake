# safelaunch imports PROGRAM: real images. Expected verdicts come from
# `x86_64-w64-mingw32-objdump -p FILE | grep 'DLL Name'` (Wine 8.0 on Debian 12):
#   shell32.dll  -> advapi32 gdi32 kernel32 ntdll shlwapi ucrtbase user32   (connects_at_init)
#   kernel32.dll -> kernelbase ntdll; kernelbase.dll -> ntdll                (never)
#   winver.exe   -> comctl32 kernel32 shell32 ucrtbase; comctl32 -> gdi32 ... user32
set(_wine_dlls "/usr/lib/x86_64-linux-gnu/wine/x86_64-windows")
cli_case(imports.missing_file EXIT 2 ONE_LINE_ERROR STDERR "cannot read '.*no-such-program.exe'"
         ARGS imports no-such-program.exe --system-dir .)
cli_case(imports.not_pe EXIT 2 ONE_LINE_ERROR STDERR "not a readable PE image: .*MZ"
         ARGS imports "${SAFELAUNCH_CLI_DATA}/shared_section/hcl_decrease_to_256.txt" --system-dir .)
cli_case(imports.root_excludes_system_dir EXIT 2 STDERR "excludes"
         ARGS imports x.exe --root . --system-dir .)
if(EXISTS "${_wine_dlls}/shell32.dll" AND EXISTS "${_wine_dlls}/kernel32.dll" AND EXISTS "${_wine_dlls}/winver.exe")
  cli_case(imports.wine_shell32 EXIT 0
           STDOUT "PE32\\+, x64.*Imports: advapi32.dll, gdi32.dll, kernel32.dll, ntdll.dll, shlwapi.dll, ucrtbase.dll, user32.dll.*Verdict: connects_at_init.*shell32.dll -> gdi32.dll"
           ARGS imports "${_wine_dlls}/shell32.dll" --system-dir "${_wine_dlls}")
  cli_case(imports.wine_kernel32_never EXIT 0 STDOUT "Imports: kernelbase.dll, ntdll.dll.*Verdict: never"
           ARGS imports "${_wine_dlls}/kernel32.dll" --system-dir "${_wine_dlls}")
  cli_case(imports.wine_winver_json EXIT 0
           STDOUT "\"chain_text\": \"winver.exe -> comctl32.dll -> gdi32.dll\".*\"format\": \"PE32\\+\".*\"machine\": \"x64\".*\"verdict\": \"connects_at_init\""
           ARGS imports "${_wine_dlls}/winver.exe" --system-dir "${_wine_dlls}" --json)
else()
  message(STATUS "cli imports.wine_*: skipped, no Wine DLLs in ${_wine_dlls}")
endif()
if(NOT CMAKE_CROSSCOMPILING_EMULATOR)
  # Natively there is no C:\Windows: without --root/--system-dir and SystemRoot, a usage error.
  cli_case(imports.no_system_dir EXIT 2 ONE_LINE_ERROR STDERR "no system directory.*SystemRoot is not set"
           ARGS imports "${_wine_dlls}/kernel32.dll")
endif()
if(WIN32)
  # This build's own images, default system directory from %SystemRoot% (Wine: C:\windows\system32).
  # Whether safelaunch.exe itself connects at start is held by the imports label (tests/imports,
  # issue 12: it must not); here that the tool reads its own image and says so. objdump -p:
  # child_report.exe KERNEL32 msvcrt SHELL32 USER32; child_exit.exe KERNEL32 msvcrt SHELL32 (no
  # USER32, but shell32 imports gdi32 and user32, on Windows as under Wine).
  cli_case(imports.self EXIT 0 STDOUT "Program: .*safelaunch.exe \\(PE32\\+, x64\\).*Imports: .*KERNEL32.dll.*Verdict: never"
           ARGS imports $<TARGET_FILE:safelaunch>)
  cli_case(imports.child_report EXIT 0 STDOUT "\"chain_text\": \"child_report.exe -> USER32.dll\".*\"verdict\": \"connects_at_init\""
           ARGS imports $<TARGET_FILE:child_report> --json)
  cli_case(imports.child_exit_through_shell32 EXIT 0 STDOUT "Verdict: connects_at_init.*child_exit.exe -> SHELL32.dll -> (user|gdi)32.dll"
           ARGS imports $<TARGET_FILE:child_exit>)
endif()
