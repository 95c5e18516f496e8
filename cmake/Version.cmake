# SPDX-License-Identifier: Apache-2.0
# --version of both programs: the version is project(VERSION) in the top-level CMakeLists.txt
# (the one place it is written); the git commit is read at every build (cmake/version-header.cmake)
# into ${CMAKE_BINARY_DIR}/generated/cr_version.h. -DCR_GIT_COMMIT=... sets it by hand (a
# packager building a tree exported from git).
set(CR_GIT_COMMIT "" CACHE STRING "git commit to report in --version (default: asked from git)")
set(CR_GENERATED_DIR ${CMAKE_BINARY_DIR}/generated)
add_custom_target(cr_version
  COMMAND ${CMAKE_COMMAND} -DVERSION=${PROJECT_VERSION} -DCOMMIT=${CR_GIT_COMMIT}
          -DSOURCE_DIR=${CMAKE_SOURCE_DIR} -DOUT=${CR_GENERATED_DIR}/cr_version.h
          -P ${CMAKE_SOURCE_DIR}/cmake/version-header.cmake
  BYPRODUCTS ${CR_GENERATED_DIR}/cr_version.h
  VERBATIM)

# cr_use_version(<target>...): the target's sources may #include "cr_version.h".
function(cr_use_version)
  foreach(t ${ARGN})
    if(TARGET ${t})
      target_include_directories(${t} PRIVATE ${CR_GENERATED_DIR})
      add_dependencies(${t} cr_version)
    endif()
  endforeach()
endfunction()
cr_use_version(cognito-reconcile cognito-identity-local)
