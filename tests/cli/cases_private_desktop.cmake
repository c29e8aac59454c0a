# Private desktops (issue 8 part 1): check reports the plan and creates nothing; run places the
# child on a desktop of its own. Under Wine the heap cannot be bounded (CreateDesktopExW missing):
# desktop.private.heap_unbounded, a warning, so check's verdict is warn (exit 0).
if(WIN32)
  cli_case(private_desktop.check_plan EXIT 0
           STDOUT "Target: a private desktop, created at launch: safelaunch-<random>\\\\Desktop \\(512 KB heap.*Desktop DACL: D:P\\(D;;0x138;;;S-1-5-"
           ARGS check --private-desktop)
  cli_case(private_desktop.check_json_heap EXIT 0
           STDOUT "\"private_desktop\": {.*\"created\": false.*\"heap_kb_asked\": 1024"
           ARGS check --private-desktop=1024 --json)
  cli_case(private_desktop.check_pool_plan EXIT 0 STDOUT "Target: a private desktop, created at launch"
           ARGS check --private-desktop --pool ci)
  cli_case(private_desktop.run_json EXIT 0
           STDOUT "\"placement\": {.*\"kind\": \"private\".*\"station\": \"safelaunch-[0-9a-f]+\""
           ARGS run --private-desktop --json -- $<TARGET_FILE:child_exit> 0)
  cli_case(private_desktop.run_exit_code_passes_through EXIT 3
           ARGS run --private-desktop=64 -- $<TARGET_FILE:child_exit> 3)
  cli_case(private_desktop.run_no_preflight_excluded EXIT 125 ONE_LINE_ERROR STDERR "--no-preflight excludes --private-desktop|--private-desktop"
           ARGS run --no-preflight --private-desktop -- $<TARGET_FILE:child_exit> 0)
endif()
