# The bad-input matrix (issue 5): one table per command. Every row is a command line the tool must
# refuse with its documented usage exit code (2; `run`: 125) and exactly one line on stderr that
# names the bad value; a stack trace, a second line or another code fails the row.
# Classes: unknown options, missing values, out-of-range and non-numeric numbers, over-long and
# non-UTF-8 arguments, control characters, invalid desktop specs, missing programs, unreadable
# snapshot files.

# bad_input(COMMAND NAME STDERR-REGEX ARG...): one row; the exit code comes from the command.
function(bad_input command name stderr_re)
  set(_exit 2)
  if(command STREQUAL "run")
    set(_exit 125)
  endif()
  cli_case(badinput.${command}.${name} EXIT ${_exit} ONE_LINE_ERROR STDERR "^safelaunch: .*${stderr_re}" ARGS ${ARGN})
endfunction()

# Over-long values: far beyond any real code, name or path, but under Windows' 32767-character
# command line so the same rows run under Wine.
string(REPEAT "9" 5000 _long_digits)
string(REPEAT "x" 5000 _long_word)
string(REPEAT "p" 300 _long_name)  # longer than NAME_MAX (255) / MAX_PATH (260) for one file name
# The first 40 characters: the exit-code parser quotes at most that much of a pasted value.
string(SUBSTRING "${_long_digits}" 0 40 _long_digits_40)
string(SUBSTRING "${_long_word}" 0 40 _long_word_40)

# Snapshot files that cannot be read or are not snapshots, made at configure time.
set(_bad_dir "${CMAKE_CURRENT_BINARY_DIR}/badinput")
file(MAKE_DIRECTORY "${_bad_dir}/a-directory.json")
file(WRITE "${_bad_dir}/empty.json" "")
file(WRITE "${_bad_dir}/truncated.json" "{\"schema\": 1, \"token\": {\"user_sid\": \"S-1-5-18\"")
file(WRITE "${_bad_dir}/array.json" "[1, 2, 3]\n")
file(WRITE "${_bad_dir}/negative-session.json" "{\"schema\": 1, \"token\": {\"session_id\": -1}}\n")
string(ASCII 255 _ff)
file(WRITE "${_bad_dir}/not-utf8.json" "{\"host\": \"${_ff}\"}\n")

# ---------------------------------------------------------------------------------------------
# explain CODE
bad_input(explain unknown_option "--frobnicate" explain 128 --frobnicate)
bad_input(explain unknown_short_option "-q" explain 128 -q)
bad_input(explain missing_code "CODE" explain)
bad_input(explain missing_code_with_flag "CODE" explain --json)
bad_input(explain extra_argument "0x80" explain 128 0x80)
bad_input(explain out_of_range_unsigned "\"4294967296\": larger than 4294967295" explain 4294967296)
bad_input(explain out_of_range_signed "\"-2147483649\": smaller than -2147483648" explain -2147483649)
bad_input(explain out_of_range_hex "\"0x1C0000142\": larger than 0xFFFFFFFF" explain 0x1C0000142)
bad_input(explain non_numeric_word "\"nonsense\"" explain nonsense)
bad_input(explain non_numeric_fraction "\"1\\.5\": trailing garbage" explain 1.5)
bad_input(explain hex_prefix_only "\"0x\": no hex digits" explain 0x)
bad_input(explain negative_hex "\"-0xC0000142\": negative hex" explain -0xC0000142)
bad_input(explain unknown_name "\"STATUS_BOGUS\": not a known exit code name" explain STATUS_BOGUS)
# No empty or blank value rows: run_case.cmake drops empty list elements (and "   " arrives empty),
# so such a row would test "missing value" again. The parser's own tests cover "".
bad_input(explain over_long_number "\"${_long_digits_40}\\.\\.\\.\": larger than 4294967295" explain "${_long_digits}")
bad_input(explain over_long_word "\"${_long_word_40}\\.\\.\\.\"" explain "${_long_word}")
# A value pasted with a line break: shown with '?' so the error stays one line.
bad_input(explain newline_in_value "\"12\\?8\"" explain "12\n8")
if(NOT CMAKE_CROSSCOMPILING)
  # Wine turns argv into UTF-16 first, so the raw byte only reaches us natively.
  bad_input(explain non_utf8 "argument 2 is not valid UTF-8" explain "0x<0xFF>")
endif()

# ---------------------------------------------------------------------------------------------
# heap
bad_input(heap unknown_option "--frobnicate" heap --os xp --frobnicate)
bad_input(heap missing_value_os "--os" heap --os)
bad_input(heap missing_value_pool "--pool-kb" heap --os xp --pool-kb)
bad_input(heap missing_value_shared_section "--shared-section" heap --shared-section)
bad_input(heap pool_zero "--pool-kb.*0" heap --os xp --pool-kb 0)
bad_input(heap pool_too_large "--pool-kb.*4194305" heap --os xp --pool-kb 4194305)
bad_input(heap pool_overflows_uint32 "--pool-kb.*4294967296" heap --os xp --pool-kb 4294967296)
bad_input(heap pool_non_numeric "--pool-kb.*lots" heap --os xp --pool-kb lots)
bad_input(heap services_too_many "--services.*100001" heap --os xp --services 100001)
bad_input(heap services_negative "--services.*-3" heap --os xp --services -3)
bad_input(heap services_fraction "--services.*2\\.5" heap --os xp --services 2.5)
bad_input(heap existing_services_non_numeric "--existing-services.*some" heap --os xp --existing-services some)
bad_input(heap processes_zero "--processes.*0" heap --os 10 --processes 0)
bad_input(heap processes_too_many "--processes.*1000001" heap --os 10 --processes 1000001)
bad_input(heap processes_trailing_garbage "--processes.*12abc" heap --os 10 --processes 12abc)
bad_input(heap os_unknown_name "unknown Windows version 'win95'" heap --os win95)
bad_input(heap os_too_old "unknown Windows version '4\\.0'" heap --os 4.0)
bad_input(heap os_too_new "unknown Windows version '11\\.0'" heap --os 11.0)
bad_input(heap os_bad_suffix "unknown Windows version '7-arm64'" heap --os 7-arm64)
bad_input(heap os_over_long "unknown Windows version '${_long_word_40}" heap --os "${_long_word}")
# A line break in the value: the reason shows it escaped, so the error stays one line.
bad_input(heap os_newline_in_value "unknown Windows version '7" heap --os "7\nx")
bad_input(heap both_values "excludes" heap --shared-section 1,2 --windows-value x)
if(NOT CMAKE_CROSSCOMPILING)
  bad_input(heap non_utf8 "argument 3 is not valid UTF-8" heap --os "<0xFF>")
endif()

# ---------------------------------------------------------------------------------------------
# analyze FILE
set(_snap "${SAFELAUNCH_CLI_DATA}/snapshots")
bad_input(analyze unknown_option "--frobnicate" analyze "${_snap}/healthy-interactive.json" --frobnicate)
bad_input(analyze missing_file_argument "FILE" analyze)
bad_input(analyze missing_value_processes "--processes" analyze "${_snap}/healthy-interactive.json" --processes)
bad_input(analyze processes_zero "--processes.*0" analyze "${_snap}/healthy-interactive.json" --processes 0)
bad_input(analyze processes_too_many "--processes.*1000001" analyze "${_snap}/healthy-interactive.json" --processes 1000001)
bad_input(analyze processes_non_numeric "--processes.*many" analyze "${_snap}/healthy-interactive.json" --processes many)
bad_input(analyze processes_negative "--processes.*-5" analyze "${_snap}/healthy-interactive.json" --processes -5)
bad_input(analyze file_missing "cannot read '.*no-such-snapshot\\.json'" analyze "${_bad_dir}/no-such-snapshot.json")
bad_input(analyze file_is_directory "'.*a-directory\\.json'" analyze "${_bad_dir}/a-directory.json")
bad_input(analyze file_name_over_long "'.*${_long_name}" analyze "${_bad_dir}/${_long_name}.json")
bad_input(analyze file_empty "'.*empty\\.json': not valid JSON at byte" analyze "${_bad_dir}/empty.json")
bad_input(analyze file_truncated "'.*truncated\\.json': not valid JSON at byte" analyze "${_bad_dir}/truncated.json")
bad_input(analyze file_not_utf8 "'.*not-utf8\\.json': not valid JSON at byte" analyze "${_bad_dir}/not-utf8.json")
bad_input(analyze file_array "'.*array\\.json': not a safelaunch snapshot" analyze "${_bad_dir}/array.json")
bad_input(analyze file_out_of_range "'session_id' is out of range: -1" analyze "${_bad_dir}/negative-session.json")
if(NOT CMAKE_CROSSCOMPILING)
  bad_input(analyze non_utf8_file_name "argument 2 is not valid UTF-8" analyze "snap<0xFF>.json")
endif()

# ---------------------------------------------------------------------------------------------
# check, run, snapshot: Windows only (the mingw build, under Wine).
if(WIN32)
  # Rows shared by the three commands: the target options they all take. For run a program is
  # appended (it requires one), so each row fails on the value under test alone. Fields: name |
  # stderr regex | arguments joined by '^'. ("WinSta0\" is left out: an argument ending in a
  # backslash escapes the ';' that follows it in a CMake list.)
  set(_target_rows
    "unknown_option|--frobnicate|--frobnicate"
    "missing_value_desktop|--desktop|--desktop"
    "desktop_too_many_separators|A\\\\B\\\\C|--desktop^A\\B\\C"
    "desktop_forward_slash|WinSta0/Default|--desktop^WinSta0/Default"
    "desktop_empty_station|\\\\Default|--desktop^\\Default"
    "desktop_name_over_long|${_long_word_40}|--desktop^WinSta0\\${_long_word}"
    "processes_zero|--processes.*0|--processes^0"
    "processes_non_numeric|--processes.*lots|--processes^lots"
    "alloc_kb_too_large|--alloc-kb.*3907 KB is more than the canary can allocate: at most 3906 KB|--alloc-kb^3907"
    "token_of_pid_zero|--token-of-pid.*0|--token-of-pid^0"
    "token_of_pid_non_numeric|--token-of-pid.*abc|--token-of-pid^abc"
    "token_of_pid_over_long|--token-of-pid.*${_long_digits_40}|--token-of-pid^${_long_digits}"
    "user_without_password_env|--password-env|--user^alice"
    "password_env_not_set|SAFELAUNCH_TEST_UNSET_VARIABLE|--user^alice^--password-env^SAFELAUNCH_TEST_UNSET_VARIABLE"
    "private_desktop_too_small|--private-desktop: '7' is not a heap size in KB from 8 to 20480|--private-desktop=7"
    "private_desktop_too_large|--private-desktop: '20481'|--private-desktop=20481"
    "private_desktop_non_numeric|--private-desktop: 'lots'|--private-desktop=lots"
    "private_desktop_and_desktop|excludes --(private-)?desktop|--private-desktop^--desktop^WinSta0\\Default"
    "pool_without_private_desktop|--pool requires --private-desktop|--pool^ci"
  )
  foreach(_command check run snapshot)
    foreach(_row ${_target_rows})
      string(REPLACE "|" ";" _fields "${_row}")
      list(GET _fields 0 _name)
      list(GET _fields 1 _re)
      list(GET _fields 2 _args)
      string(REPLACE "^" ";" _args "${_args}")
      if(_command STREQUAL "run")
        list(APPEND _args -- cmd.exe /c exit 0)
      endif()
      bad_input(${_command} ${_name} "${_re}" ${_command} ${_args})
    endforeach()
  endforeach()

  # check
  # A missing program is what check is for: verdict blocked (exit 1), the finding on stdout, one line on stderr.
  cli_case(badinput.check.program_missing EXIT 1 ONE_LINE_ERROR STDERR "no-such-program-4711\\.exe"
           STDOUT "program\\.not_found" ARGS check -- no-such-program-4711.exe)
  # snapshot: a private desktop has no facts before its launch creates it
  bad_input(snapshot private_desktop_has_no_facts "snapshot: --private-desktop: a private desktop exists only during a launch"
            snapshot --private-desktop)
  # run
  bad_input(run missing_program "PROGRAM" run)
  bad_input(run timeout_zero "--timeout.*0" run --timeout 0 -- cmd.exe /c exit 0)
  bad_input(run timeout_non_numeric "--timeout.*soon" run --timeout soon -- cmd.exe /c exit 0)
  bad_input(run timeout_too_long "--timeout.*1e9" run --timeout 1e9 -- cmd.exe /c exit 0)
  # --hold-for-headroom[=SECONDS] / --need-kb N (admission control, issue 8 part 4)
  bad_input(run hold_negative "--hold-for-headroom.*-1" run --hold-for-headroom=-1 -- cmd.exe /c exit 0)
  bad_input(run hold_non_numeric "--hold-for-headroom.*soon" run --hold-for-headroom=soon -- cmd.exe /c exit 0)
  bad_input(run hold_too_long "--hold-for-headroom.*1e9" run --hold-for-headroom=1e9 -- cmd.exe /c exit 0)
  bad_input(run hold_program_as_value "--hold-for-headroom.*cmd\\.exe" run --hold-for-headroom cmd.exe /c exit 0)
  bad_input(run need_kb_zero "--need-kb.*0" run --hold-for-headroom=1 --need-kb 0 -- cmd.exe /c exit 0)
  bad_input(run need_kb_too_large "--need-kb.*5000" run --hold-for-headroom=1 --need-kb 5000 -- cmd.exe /c exit 0)
  bad_input(run need_kb_non_numeric "--need-kb.*lots" run --hold-for-headroom=1 --need-kb lots -- cmd.exe /c exit 0)
  bad_input(run need_kb_without_hold "--need-kb.*--hold-for-headroom" run --need-kb 16 -- cmd.exe /c exit 0)
  # A program that does not exist is not a usage error: run documents 127 for it.
  cli_case(badinput.run.program_not_found EXIT 127 ONE_LINE_ERROR STDERR "^safelaunch: program not found: .*no-such-program-4711"
           ARGS run -- no-such-program-4711.exe)
  cli_case(badinput.run.program_path_not_found EXIT 127 ONE_LINE_ERROR
           STDERR "^safelaunch: program not found: .*C:\\\\no\\\\such\\\\dir\\\\app\\.exe"
           ARGS run -- "C:\\no\\such\\dir\\app.exe")
  # snapshot
  bad_input(snapshot missing_value_output "--output" snapshot --output)
  bad_input(snapshot output_not_writable "cannot write 'C:\\\\no\\\\such\\\\dir\\\\snap\\.json'"
            snapshot -o "C:\\no\\such\\dir\\snap.json")
endif()
