# SPDX-License-Identifier: Apache-2.0
# `make package` (cpack in the build tree): a .deb and a .tar.gz of what cmake/Install.cmake
# installs. The .deb's dependencies are computed from the binaries by dpkg-shlibdeps
# (Debian package dpkg-dev), never typed here; binaries are stripped; the Debian copyright
# file and changelog.gz that policy requires are added for it. Checked by
# tests/release/test_package.sh (dpkg-deb, the extracted programs, lintian).
set(CR_HOMEPAGE "https://github.com/cognito-reconcile/cognito-reconcile")
set(CR_MAINTAINER "cognito-reconcile maintainers <cognito-reconcile@users.noreply.github.com>")

set(CPACK_PACKAGE_NAME cognito-reconcile)
set(CPACK_PACKAGE_VENDOR "The cognito-reconcile authors")
set(CPACK_PACKAGE_CONTACT "${CR_MAINTAINER}")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_HOMEPAGE_URL ${CR_HOMEPAGE})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "declarative manager for Amazon Cognito identity pools")
set(CPACK_RESOURCE_FILE_LICENSE ${CMAKE_SOURCE_DIR}/LICENSE)
set(CPACK_GENERATOR DEB TGZ)
set(CPACK_STRIP_FILES ON)
set(CPACK_THREADS 1)
# The tarball unpacks into cognito-reconcile-VERSION-Linux-ARCH/{bin,share}.
set(CPACK_SYSTEM_NAME Linux-${CMAKE_SYSTEM_PROCESSOR})
set(CPACK_INCLUDE_TOPLEVEL_DIRECTORY ON)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE ${CR_HOMEPAGE})
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CR_MAINTAINER}")
# git (revisions with --git-ref) is found through libgit2; the AWS CLI is only a suggestion.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "awscli")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "cognito-reconcile keeps Amazon Cognito identity pools in line with YAML
manifests kept in git: validate checks them offline, plan lists the exact
API calls that would bring the live pools in line, apply makes them, drift
reports differences in CI, export writes manifests for existing pools.
Ownership lives in tags; there is no state file.
.
The package also contains cognito-identity-local, an emulator of the
cognito-identity API speaking the real wire protocol, for tests without an
AWS account.")

# cpack reads this per generator, in the process that then runs the install scripts: the
# install rule below knows from it that it is filling a .deb.
set(CPACK_PROJECT_CONFIG_FILE ${CMAKE_SOURCE_DIR}/cmake/package-generator.cmake)
include(CPack)

# Debian policy for the .deb: /usr/share/doc/<package>/copyright (machine-readable) and a
# changelog.gz in Debian's format (a native package). Installed only into the DEB staging
# tree (cmake/package-generator.cmake says when), not by `make install`.
string(TIMESTAMP CR_DEB_DATE "%a, %d %b %Y 00:00:00 +0000" UTC) # honours SOURCE_DATE_EPOCH
set(CR_DEB_DIR ${CMAKE_BINARY_DIR}/debian)
file(CONFIGURE OUTPUT ${CR_DEB_DIR}/changelog @ONLY CONTENT
"cognito-reconcile (${PROJECT_VERSION}) unstable; urgency=medium

  * Upstream release ${PROJECT_VERSION}; the changes are in
    /usr/share/doc/cognito-reconcile/CHANGELOG.md.

 -- ${CR_MAINTAINER}  ${CR_DEB_DATE}
")
add_custom_command(OUTPUT ${CR_DEB_DIR}/changelog.gz
  COMMAND ${GZIP} -9 -n -c ${CR_DEB_DIR}/changelog > ${CR_DEB_DIR}/changelog.gz
  DEPENDS ${CR_DEB_DIR}/changelog)
add_custom_target(debian_changelog DEPENDS ${CR_DEB_DIR}/changelog.gz)
add_dependencies(dist debian_changelog)
install(CODE "
  if(\"\$ENV{CR_CPACK_GENERATOR}\" STREQUAL \"DEB\")
    file(INSTALL DESTINATION \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_DOCDIR}\" TYPE FILE
      FILES \"${CMAKE_SOURCE_DIR}/packaging/debian/copyright\" \"${CR_DEB_DIR}/changelog.gz\")
  endif()
")
