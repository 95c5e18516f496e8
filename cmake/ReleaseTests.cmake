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
# Packages: built once by the fixture release/package_build (make package), checked by
# test_package and used by the GitHub action's test. Building them proves nothing more under
# the sanitizers (the install test runs the same programs there): plain build only.
if(NOT CR_SANITIZE)
  cr_release_test(package_build integration)
  set_tests_properties(release/package_build PROPERTIES FIXTURES_SETUP cr_packages)
  cr_release_test(test_package integration)
  cr_release_test(test_github_action integration)
  set_tests_properties(release/test_package release/test_github_action PROPERTIES
    FIXTURES_REQUIRED cr_packages)
endif()
# Build configurations, not memory: once, in the plain build.
if(NOT CR_SANITIZE)
  cr_release_test(test_build_profiles integration)
endif()
# These run make in the build tree (a no-op there, but not two at once).
foreach(t test_install test_build_profiles package_build)
  if(TEST release/${t})
    set_tests_properties(release/${t} PROPERTIES RESOURCE_LOCK cr_build_tree)
  endif()
endforeach()
cr_release_test(test_pre_commit integration)
# A fresh clone of HEAD builds and passes the unit suite (label integration, so the clone's
# own `ctest -L unit` does not run it again). Needs a git work tree; not under the sanitizers.
if(EXISTS ${CMAKE_SOURCE_DIR}/.git AND NOT CR_SANITIZE)
  cr_release_test(test_clean_clone integration)
endif()
