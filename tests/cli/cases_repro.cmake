# deskheap-repro (reproducer/, Windows only): command line, and under Wine the documented 77 paths.
if(TARGET deskheap-repro)
  set(_r TOOL deskheap-repro)
  cli_case(repro_help ${_r} EXIT 0 STDOUT "heap.*acl.*pool.*--heap-kb.*--json.*--junit.*--yes-exhaust-session-pool" ARGS --help)
  cli_case(repro_help_says_when_elevation_is_needed ${_r} EXIT 0
           STDOUT "window station created without a name.*Elevation: not needed.*elevated token.*exit 77.*session 0" ARGS --help)
  cli_case(repro_max_objects_zero ${_r} EXIT 2 ONE_LINE_ERROR STDERR "^deskheap-repro: --max-objects" ARGS heap --max-objects 0)
  cli_case(repro_version ${_r} EXIT 0 STDOUT "deskheap-repro 0\\.1\\.0" ARGS --version)
  cli_case(repro_no_scenario ${_r} EXIT 2 ONE_LINE_ERROR STDERR "^deskheap-repro: .*scenario" ARGS)
  cli_case(repro_unknown_scenario ${_r} EXIT 2 ONE_LINE_ERROR STDERR "^deskheap-repro: .*heapp" ARGS heapp)
  cli_case(repro_unknown_option ${_r} EXIT 2 ONE_LINE_ERROR STDERR "^deskheap-repro: .*--bogus" ARGS heap --bogus)
  cli_case(repro_heap_kb_missing_value ${_r} EXIT 2 ONE_LINE_ERROR STDERR "^deskheap-repro: --heap-kb" ARGS heap --heap-kb)
  cli_case(repro_heap_kb_not_a_number ${_r} EXIT 2 ONE_LINE_ERROR STDERR "^deskheap-repro: --heap-kb.*lots" ARGS heap --heap-kb lots)
  cli_case(repro_heap_kb_too_small ${_r} EXIT 2 ONE_LINE_ERROR STDERR "^deskheap-repro: --heap-kb.*not in range" ARGS heap --heap-kb 16)
  cli_case(repro_heap_kb_negative ${_r} EXIT 2 ONE_LINE_ERROR STDERR "^deskheap-repro: --heap-kb" ARGS heap --heap-kb -512)
  cli_case(repro_pool_needs_consent ${_r} EXIT 2 ONE_LINE_ERROR STDERR "^deskheap-repro: refusing the pool scenario without --yes-exhaust-session-pool" ARGS pool)
  cli_case(repro_junit_missing_value ${_r} EXIT 2 ONE_LINE_ERROR STDERR "^deskheap-repro: --junit" ARGS all --junit)
  cli_case(repro_junit_unwritable ${_r} EXIT 2 ONE_LINE_ERROR STDERR "^deskheap-repro: cannot write the --junit file" ARGS heap --junit no-such-dir/sub/r.xml)
  cli_case(repro_two_scenarios ${_r} EXIT 2 ONE_LINE_ERROR STDERR "^deskheap-repro: " ARGS heap acl)
  if(CMAKE_CROSSCOMPILING)
    # Wine has no desktop heap and no CreateDesktopExW; filling its user-handle table crashes
    # wineserver: heap and pool must stop before creating anything, with the reason, exit 77.
    cli_case(repro_heap_skips_under_wine ${_r} EXIT 77 STDOUT "heap: skipped .*no desktop heap.*stopped before creating anything.*verdict: skipped \\(exit 77\\)" ARGS heap)
    cli_case(repro_pool_skips_under_wine ${_r} EXIT 77 STDOUT "pool: skipped .*stopped before creating anything" ARGS pool --yes-exhaust-session-pool)
    cli_case(repro_heap_json_under_wine ${_r} EXIT 77
             STDOUT "\"phases\": \\[\\].*\"platform\": {.*\"build\": [0-9]+.*\"os\": \".*\"wine\": \"[0-9.]+\".*\"reason\": \".*\"scenario\": \"heap\".*\"verdict\": \"skipped\""
             ARGS heap --json)
    # An explicit small bound runs the heap mechanics (filler process on the desktop, release), still 77.
    cli_case(repro_heap_mechanics_under_wine ${_r} EXIT 77
             STDOUT "heap: skipped .*mechanics only.*bounded fill \\(20 objects.*control +ok.*failure +FAIL.*recovery +ok" ARGS heap --max-objects 20)
    # acl runs its mechanics; Wine does not deny the child, so: not reproduced on this platform.
    cli_case(repro_acl_under_wine ${_r} EXIT 77 STDOUT "acl: skipped .*not reproduced on this platform.*control +ok.*failure +FAIL.*recovery +ok" ARGS acl)
    cli_case(repro_all_under_wine ${_r} EXIT 77 STDOUT "heap: skipped.*acl: skipped.*verdict: skipped \\(exit 77\\)" ARGS all)
  endif()
endif()
