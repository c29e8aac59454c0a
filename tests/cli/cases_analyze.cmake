# safelaunch analyze FILE: snapshots built from documented Windows facts (tests/data/snapshots).
set(_snap "${SAFELAUNCH_CLI_DATA}/snapshots")
cli_case(analyze.missing_file EXIT 2 ONE_LINE_ERROR STDERR "cannot read '.*no-such-file.json'" ARGS analyze no-such-file.json)
cli_case(analyze.not_json EXIT 2 ONE_LINE_ERROR STDERR "not valid JSON at byte" ARGS analyze "${_snap}/not-json.txt")
cli_case(analyze.wrong_type EXIT 2 ONE_LINE_ERROR STDERR "'session_id' must be an integer" ARGS analyze "${_snap}/wrong-type.json")
cli_case(analyze.heap_exhausted EXIT 1 STDOUT "Pre-flight verdict: ok.*decided +desktop_heap.*768 to 1024 KB"
         ARGS analyze "${_snap}/service-heap-exhausted.json")
cli_case(analyze.runas_denied_json EXIT 1
         STDOUT "\"cause\": \"access\",.*\"likelihood\": \"decided\".*\"verdict\": \"blocked\""
         ARGS analyze "${_snap}/runas-winsta0-denied.json" --json)
cli_case(analyze.missing_desktop EXIT 1 STDOUT "desktop.desktop.missing" ARGS analyze "${_snap}/missing-desktop.json")
cli_case(analyze.healthy EXIT 0 STDOUT "Pre-flight verdict: ok" ARGS analyze "${_snap}/healthy-interactive.json")
cli_case(analyze.expected_load_warns EXIT 1 STDOUT "heap.desktop.small" ARGS analyze "${_snap}/service-heap-exhausted.json" --processes 200)
# "." for the "[" after ESC: an unbalanced bracket would join the rest of the argument list.
cli_case(analyze.control_chars_escaped EXIT 1
         STDOUT "of EVIL\\\\x1b.2J taken.*-> Win\\\\x0aSta0\\\\Default.*on window station Win\\\\x0aSta0"
         ARGS analyze "${_snap}/control-chars-in-names.json")
# Issue 9: a 0xC0000142 of a child that never loads user32 at start: both KB 184802 causes are
# unlikely, whatever event 243 and the desktop DACL say (exit 1: the child still failed).
cli_case(analyze.never_connects EXIT 1
         STDOUT "info +acl.desktop.missing_rights: .*does not load user32 at start.*program.imports.never.*likely +other_dll_init.*unlikely +access.*unlikely +desktop_heap.*neither KB 184802 cause"
         ARGS analyze "${_snap}/service-worker-never-connects.json")
