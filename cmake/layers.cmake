# SPDX-License-Identifier: Apache-2.0
# The layer rules of docs/design.md section 2, enforced by the build (docs/architecture.md).
#
# Headers are included as "folder/file.h", but nothing puts the repository root on the include
# path. Each folder gets its own include root in the build tree instead,
#   build/layers/<folder>/<folder> -> <source>/<folder>   (a symlink, so edits show at once),
# and a target is given the root of its own folder plus, through its links, the roots of the
# folders it may use. Including a header from any other folder fails with "No such file or
# directory". tests/layers.cmake proves it on every run of the unit tests.

# A folder's include root: a directory holding only a symlink to that folder.
function(cr_folder_root out folder)
  string(REPLACE "/" "-" tag "${folder}")
  set(root "${CMAKE_BINARY_DIR}/layers/${tag}")
  get_filename_component(parent "${root}/${folder}" DIRECTORY)
  file(MAKE_DIRECTORY "${parent}")
  file(CREATE_LINK "${CMAKE_SOURCE_DIR}/${folder}" "${root}/${folder}" SYMBOLIC)
  set(${out} "${root}" PARENT_SCOPE)
endfunction()

# The libraries for a USES list; each must be a layer declared earlier, which keeps the graph
# acyclic and catches typos.
function(s_cr_uses out who)
  set(libs "")
  foreach(used ${ARGN})
    if(NOT TARGET cr_${used})
      message(FATAL_ERROR "${who}: USES '${used}', which is not a library declared above it "
        "(cr_library(${used} ...) must come first; see docs/architecture.md)")
    endif()
    list(APPEND libs cr_${used})
  endforeach()
  set(${out} ${libs} PARENT_SCOPE)
endfunction()

function(s_cr_record folder target uses)
  set_property(GLOBAL APPEND PROPERTY CR_LAYER_SUBJECTS ${folder})
  set_property(GLOBAL PROPERTY CR_LAYER_TARGET_${folder} ${target})
  set_property(GLOBAL PROPERTY CR_LAYER_USES_${folder} ${uses})
endfunction()

# cr_library(<folder> [USES <folder>...] [LINKS <package target>...])
# One static library cr_<folder> from <folder>/*.c (an INTERFACE library if there is no .c).
# Its files may include headers of <folder> and of the folders it USES (and, transitively,
# of what those may use); LINKS names system packages such as PkgConfig::CURL.
function(cr_library folder)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "USES;LINKS")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "cr_library(${folder}): unexpected '${arg_UNPARSED_ARGUMENTS}'; "
      "write cr_library(<folder> USES <folder>... LINKS <package target>...)")
  endif()
  s_cr_uses(libs "cr_library(${folder})" ${arg_USES})
  cr_folder_root(root ${folder})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/${folder}/*.c)
  if(srcs)
    add_library(cr_${folder} STATIC ${srcs})
    set(scope PUBLIC)
  else()
    add_library(cr_${folder} INTERFACE)
    set(scope INTERFACE)
  endif()
  target_include_directories(cr_${folder} ${scope} ${root})
  target_link_libraries(cr_${folder} ${scope} ${libs} ${arg_LINKS})
  s_cr_record(${folder} cr_${folder} "${arg_USES}")
endfunction()

# cr_program(<name> <folder> [USES <folder>...] [LINKS <package target>...])
# An executable from <folder>/*.c, seeing the headers of <folder> and of what it USES.
function(cr_program name folder)
  cmake_parse_arguments(PARSE_ARGV 2 arg "" "" "USES;LINKS")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "cr_program(${name}): unexpected '${arg_UNPARSED_ARGUMENTS}'")
  endif()
  s_cr_uses(libs "cr_program(${name})" ${arg_USES})
  cr_folder_root(root ${folder})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/${folder}/*.c)
  add_executable(${name} ${srcs})
  target_include_directories(${name} PRIVATE ${root})
  target_link_libraries(${name} PRIVATE ${libs} ${arg_LINKS})
  s_cr_record(${folder} ${name} "${arg_USES}")
endfunction()

# The folders <folder> may include from: itself and everything reachable through USES.
function(cr_layer_reach out folder)
  set(reach ${folder})
  set(todo ${folder})
  while(todo)
    list(POP_FRONT todo next)
    get_property(uses GLOBAL PROPERTY CR_LAYER_USES_${next})
    foreach(u ${uses})
      if(NOT u IN_LIST reach)
        list(APPEND reach ${u})
        list(APPEND todo ${u})
      endif()
    endforeach()
  endwhile()
  set(${out} ${reach} PARENT_SCOPE)
endfunction()
