# SPDX-License-Identifier: MIT
# roled_pc_paths() - the prefix, libdir and includedir lines of roled.pc, from
# CMAKE_INSTALL_PREFIX and the CMAKE_INSTALL_FULL_* paths (GNUInstallDirs).
#
# The file is relocatable: prefix is found from the file's own place
# (${pcfiledir}), and a directory under the prefix is written relative to it.
# A directory configured outside the prefix (an absolute CMAKE_INSTALL_LIBDIR
# such as /usr/lib64 under another prefix) is written as its full path.
# Sets ROLED_PC_PREFIX, ROLED_PC_LIBDIR and ROLED_PC_INCLUDEDIR in the caller.
function(roled_pc_paths)
  file(RELATIVE_PATH to_prefix "${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig" "${CMAKE_INSTALL_PREFIX}")
  string(REGEX REPLACE "/$" "" to_prefix "${to_prefix}")
  if(to_prefix STREQUAL "")
    set(ROLED_PC_PREFIX "\${pcfiledir}" PARENT_SCOPE)
  else()
    set(ROLED_PC_PREFIX "\${pcfiledir}/${to_prefix}" PARENT_SCOPE)
  endif()
  foreach(dir LIBDIR INCLUDEDIR)
    set(full "${CMAKE_INSTALL_FULL_${dir}}")
    file(RELATIVE_PATH rel "${CMAKE_INSTALL_PREFIX}" "${full}")
    if(rel STREQUAL "")
      set(ROLED_PC_${dir} "\${prefix}" PARENT_SCOPE)
    elseif(IS_ABSOLUTE "${rel}" OR rel MATCHES "^\\.\\.(/|$)")
      set(ROLED_PC_${dir} "${full}" PARENT_SCOPE)
    else()
      set(ROLED_PC_${dir} "\${prefix}/${rel}" PARENT_SCOPE)
    endif()
  endforeach()
endfunction()
