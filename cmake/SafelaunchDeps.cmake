# Third-party dependencies, as the same target names on every platform:
#   Boost::headers  fmt::fmt  nlohmann_json::nlohmann_json  CLI11::CLI11  GTest::gtest(_main)
# Native Linux and MSVC/vcpkg use the packages' own CMake configs. The MinGW cross build uses the
# Debian headers through a folder of symlinks (never all of /usr/include: glibc headers would leak in).

if(CMAKE_CROSSCOMPILING AND MINGW)
  set(_inc "${CMAKE_BINARY_DIR}/mingw-include")
  file(MAKE_DIRECTORY "${_inc}")
  foreach(_lib boost fmt nlohmann CLI)
    if(NOT EXISTS "/usr/include/${_lib}")
      message(FATAL_ERROR "/usr/include/${_lib} is missing: run ./scripts/setup (installs the Debian -dev packages)")
    endif()
    file(CREATE_LINK "/usr/include/${_lib}" "${_inc}/${_lib}" SYMBOLIC)
  endforeach()
  # Boost 1.81 includes <Windows.h>; MinGW ships only lower-case headers on a case-sensitive FS.
  file(WRITE "${_inc}/Windows.h" "#pragma once\n#include <windows.h>\n")

  add_library(Boost::headers INTERFACE IMPORTED)
  target_include_directories(Boost::headers SYSTEM INTERFACE "${_inc}")
  # Boost.Asio must see winsock2 before windows.h; 0x0A00 = Windows 10 API surface.
  target_compile_definitions(Boost::headers INTERFACE WIN32_LEAN_AND_MEAN NOMINMAX
                             _WIN32_WINNT=0x0A00 BOOST_PROCESS_USE_STD_FS)
  target_link_libraries(Boost::headers INTERFACE ws2_32 mswsock ntdll)
  foreach(_t fmt::fmt nlohmann_json::nlohmann_json CLI11::CLI11)
    add_library(${_t} INTERFACE IMPORTED)
    target_include_directories(${_t} SYSTEM INTERFACE "${_inc}")
  endforeach()
  # fmt's compiled part once (cmake/mingw/fmt_compiled.cpp), not header-only in every TU.
  add_library(safelaunch_fmt STATIC "${CMAKE_CURRENT_LIST_DIR}/mingw/fmt_compiled.cpp")
  target_include_directories(safelaunch_fmt SYSTEM PUBLIC "${_inc}")
  target_compile_options(safelaunch_fmt PRIVATE -w)  # third-party code: its warnings are not ours
  target_link_libraries(fmt::fmt INTERFACE safelaunch_fmt)

else()
  find_package(Boost 1.81 CONFIG REQUIRED)
  find_package(fmt CONFIG REQUIRED)
  find_package(nlohmann_json CONFIG REQUIRED)
  find_package(CLI11 CONFIG REQUIRED)
  if(SAFELAUNCH_BUILD_TESTS AND NOT EXISTS /usr/src/googletest/CMakeLists.txt)
    find_package(GTest CONFIG REQUIRED)  # vcpkg on Windows
  endif()
  if(WIN32)
    target_compile_definitions(Boost::headers INTERFACE WIN32_LEAN_AND_MEAN NOMINMAX _WIN32_WINNT=0x0A00
                               BOOST_PROCESS_USE_STD_FS)
    # Process v2 is header-only in Boost 1.81 (Debian, the MinGW build) but a compiled library in
    # the Boost that vcpkg.json's baseline pins (1.88 and later): link it when the package has it.
    find_package(boost_process CONFIG QUIET)
    if(TARGET Boost::process)
      target_link_libraries(Boost::headers INTERFACE Boost::process)
    endif()
  endif()
endif()

# GoogleTest from Debian's source package (`googletest`), built with whichever compiler this
# build uses: the same for native g++ and MinGW, and no -dev package needed.
if(SAFELAUNCH_BUILD_TESTS AND NOT TARGET GTest::gtest AND EXISTS /usr/src/googletest/CMakeLists.txt)
  set(gtest_force_shared_crt OFF CACHE BOOL "" FORCE)
  set(INSTALL_GTEST OFF CACHE BOOL "" FORCE)
  add_subdirectory(/usr/src/googletest "${CMAKE_BINARY_DIR}/googletest" EXCLUDE_FROM_ALL SYSTEM)
endif()
