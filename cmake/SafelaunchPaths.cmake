# safelaunch_relative_exe(OUT TARGET): TARGET's executable relative to the current binary folder,
# with Windows separators, so a program finds another from its own folder (the same in the build
# tree under Wine, where / is Z:\, and on Windows).
function(safelaunch_relative_exe out target)
  get_target_property(_dir ${target} RUNTIME_OUTPUT_DIRECTORY)
  get_target_property(_name ${target} OUTPUT_NAME)
  if(NOT _dir)
    set(_dir "${CMAKE_CURRENT_BINARY_DIR}")
  endif()
  if(NOT _name)
    set(_name ${target})
  endif()
  file(RELATIVE_PATH _rel "${CMAKE_CURRENT_BINARY_DIR}" "${_dir}/${_name}${CMAKE_EXECUTABLE_SUFFIX}")
  string(REPLACE "/" "\\\\" _rel "${_rel}")
  set(${out} "${_rel}" PARENT_SCOPE)
endfunction()
