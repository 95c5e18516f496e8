# SPDX-License-Identifier: Apache-2.0
# Tests of the release engineering: licence headers, install, packages, the GitHub action,
# the pre-commit hook, the clean-clone build. Scripts in tests/release/, registered here
# with their label (cr_release_test(NAME LABEL)).

set(CR_RELEASE_TEST_ENV
  "CR_SOURCE_DIR=${CMAKE_SOURCE_DIR}"
  "CR_BUILD_DIR=${CMAKE_BINARY_DIR}"
  "CR_BIN_DIR=${CMAKE_BINARY_DIR}/cmd"
  "NO_COLOR=1")

function(cr_release_test name label)
  add_test(NAME release/${name} COMMAND bash ${CMAKE_SOURCE_DIR}/tests/release/${name}.sh)
  set_tests_properties(release/${name} PROPERTIES LABELS ${label}
    ENVIRONMENT "${CR_RELEASE_TEST_ENV}" TIMEOUT 600)
endfunction()

cr_release_test(test_spdx unit)
cr_release_test(test_man_pages unit)
cr_release_test(test_install integration)
# Building packages proves nothing more under the sanitizers (it runs the same binaries the
# install test runs there); they are registered for the plain build only.
if(NOT CR_SANITIZE)
  cr_release_test(test_package integration)
endif()
cr_release_test(test_build_profiles integration)
# These run make in the build tree (a no-op there, but not two at once).
set_tests_properties(release/test_install release/test_build_profiles PROPERTIES
  RESOURCE_LOCK cr_build_tree)
if(TEST release/test_package)
  set_tests_properties(release/test_package PROPERTIES RESOURCE_LOCK cr_build_tree)
endif()
