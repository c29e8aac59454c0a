# safelaunch explain: the other forms of the failure code (issue 9 part 2), and a csrss argument
# without its '=' in the Windows value (issue 9 part 5).

# ntstatus.h: 0xC000026B STATUS_DLL_INIT_FAILED_LOGOFF, the window station is shutting down. Not
# one of KB 184802's causes, so not flagged as the KB DLL-init failure.
cli_case(explain.logoff_text EXIT 0
         STDOUT "0xC000026B \\(3221226091, -1073741205\\) STATUS_DLL_INIT_FAILED_LOGOFF\n[^\n]*shutting down"
         ARGS explain 0xC000026B)
cli_case(explain.logoff_json EXIT 0
         STDOUT "\"desktop_related\": false,.*\"dll_init_failure\": false,.*\"family\": \"ntstatus_error\",.*\"name\": \"STATUS_DLL_INIT_FAILED_LOGOFF\""
         ARGS explain STATUS_DLL_INIT_FAILED_LOGOFF --json)

# Cut to 8 bits: 0xC0000142 & 0xFF = 0x42 = 66.
cli_case(explain.truncated_66 EXIT 0
         STDOUT "known codes only.*0xC0000142 \\(3221225794, -1073741502\\) STATUS_DLL_INIT_FAILED"
         ARGS explain 66 --truncated)
cli_case(explain.truncated_66_json EXIT 0
         STDOUT "\"truncated\": true,.*\"truncated_from\": \\[.*\"hex\": \"0xC0000142\",.*\\],.*\"truncated_note\": \"[^\"]*known codes only"
         ARGS explain 66 --truncated --json)
cli_case(explain.note_on_66 EXIT 0
         STDOUT "0x00000042 \\(66, 66\\).*Note: .*low 8 bits.*0xC0000142.* as 66"
         ARGS explain 66)
# (No lone "\\[" in a pattern: an unbalanced bracket stops CMake splitting the argument list.)
cli_case(explain.note_on_66_json EXIT 0
         STDOUT "\"truncated\": false,.*\"truncated_from\": .*\"0xC0000142\""
         ARGS explain 66 --json)
cli_case(explain.no_note_on_full_code_json EXIT 0
         STDOUT "\"truncated_from\": \\[\\],\n *\"truncated_note\": \"\""
         ARGS explain 0xC0000142 --json)
cli_case(explain.truncated_needs_a_byte EXIT 2 ONE_LINE_ERROR STDERR "--truncated.*0..255"
         ARGS explain 0xC0000142 --truncated)

# "Windows On" for "Windows=On" in the 64-bit default (tests/data/shared_section/win64_default.txt).
set(_win64_broken "%SystemRoot%\\system32\\csrss.exe ObjectDirectory=\\Windows SharedSection=1024,20480,768 Windows On SubSystemType=Windows ServerDll=basesrv,1 ServerDll=winsrv:UserServerDllInitialization,3 ServerDll=sxssrv,4 ProfileControl=Off MaxRequestThreads=16")
cli_case(heap.windows_on_without_equals EXIT 1
         STDOUT "error +shared_section.argument_missing_equals: .*remedy: .* %SystemRoot%.system32.csrss.exe ObjectDirectory=.Windows SharedSection=1024,20480,768 Windows=On SubSystemType=Windows"
         ARGS heap --windows-value "${_win64_broken}")
cli_case(heap.windows_on_without_equals_json EXIT 1
         STDOUT "\"id\": \"shared_section.argument_missing_equals\""
         ARGS heap --windows-value "${_win64_broken}" --json)
