# Runs in CTest right after gtest_discover_tests' include file for _target (see
# safelaunch_discover_tests in tests/CMakeLists.txt), with _sources and _tests_file set.
# Every TEST or TEST_F macro is exactly one case (a TEST_P is zero or more), so a list shorter than
# that count means the binary did not list its tests: an error, and the cached list goes so that
# the next run lists again instead of reusing it.
if(NOT EXISTS "${_tests_file}")
  return()  # not built: gtest's include file added a failing <target>_NOT_BUILT test
endif()
set(_macros 0)         # TEST, TEST_F
set(_parameterized 0)  # TEST_P
foreach(_src IN LISTS _sources)
  if(_src MATCHES "\\.(cpp|cc|cxx)$" AND EXISTS "${_src}")
    file(STRINGS "${_src}" _hits REGEX "^[ \t]*TEST(_F)?[ \t]*\\(")
    list(LENGTH _hits _n)
    math(EXPR _macros "${_macros} + ${_n}")
    file(STRINGS "${_src}" _hits REGEX "^[ \t]*TEST_P[ \t]*\\(")
    list(LENGTH _hits _n)
    math(EXPR _parameterized "${_parameterized} + ${_n}")
  endif()
endforeach()
list(LENGTH ${_target}_TESTS _listed)
if(_listed LESS _macros OR (_listed EQUAL 0 AND _parameterized GREATER 0))
  file(REMOVE "${_tests_file}")
  message(FATAL_ERROR "${_target} listed ${_listed} test(s) but its sources have ${_macros} "
                      "TEST/TEST_F and ${_parameterized} TEST_P macros: discovery failed (under Wine: a "
                      "lost wineserver?). The cached list was removed; run ctest again.")
endif()
