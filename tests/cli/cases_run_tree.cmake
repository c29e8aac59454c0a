# `run` and the child's process tree (issue 9 part 5): --json's "tree" and "dacl" objects, and
# --no-contain-tree. Windows only (the mingw build, under Wine). The tree's counts with real
# grandchildren are asserted in tests/win32/run_tree_test.cpp.
if(WIN32)
  cli_case(run.tree.contained_by_default EXIT 0
           STDOUT "\"tree\": {[^}]*\"contained\": true[^}]*\"ended\": 0"
           ARGS run --json -- cmd.exe /c exit 0)
  cli_case(run.tree.no_contain_tree EXIT 0
           STDOUT "\"tree\": {[^}]*\"contained\": false[^}]*\"ended\": 0[^}]*\"note\": null"
           ARGS run --json --no-contain-tree -- cmd.exe /c exit 0)
  cli_case(run.tree.null_when_not_started EXIT 127 STDOUT "\"tree\": null"
           ARGS run --json -- no-such-program-4711.exe)
  cli_case(run.dacl.reported EXIT 0 STDOUT "\"dacl\": {[^}]*\"desktop\""
           ARGS run --json -- cmd.exe /c exit 0)
  cli_case(run.tree.help_names_the_opt_out EXIT 0 STDOUT "--no-contain-tree.*outlive" ARGS run --help)
endif()
