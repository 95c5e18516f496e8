# SPDX-License-Identifier: Apache-2.0
# What `cmake --install` (and `make install PREFIX=... DESTDIR=...`, and the packages) put in
# place, under the GNU directory names:
#   bin/cognito-reconcile, bin/cognito-identity-local (when CR_BUILD_EMULATOR)
#   share/man/man1/cognito-reconcile.1.gz, cognito-identity-local.1.gz,
#   share/man/man5/cognito-reconcile-manifest.5.gz      (from docs/man/*.scd, when CR_BUILD_DOCS)
#   share/bash-completion/completions/cognito-reconcile
#   share/zsh/vendor-completions/_cognito-reconcile      (prefix /usr, Debian's zsh fpath)
#   share/zsh/site-functions/_cognito-reconcile          (any other prefix)
#   share/fish/vendor_completions.d/cognito-reconcile.fish
#   share/cognito-reconcile/identity-pool.schema.json
#   share/doc/cognito-reconcile/ README.md CHANGELOG.md LICENSE NOTICE
# The target `dist` builds everything installed (and nothing else).
include(GNUInstallDirs)
find_program(GZIP gzip REQUIRED)

add_custom_target(dist ALL)
add_dependencies(dist cognito-reconcile)
install(TARGETS cognito-reconcile RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(CR_BUILD_EMULATOR)
  add_dependencies(dist cognito-identity-local)
  install(TARGETS cognito-identity-local RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

# ---- man pages: scdoc, then gzip -n (Debian installs them compressed, reproducibly) ----
if(CR_BUILD_DOCS)
  find_program(SCDOC scdoc)
  if(NOT SCDOC OR NOT GZIP)
    message(FATAL_ERROR "the man pages need scdoc and gzip (Debian: apt-get install scdoc "
      "gzip; scripts/deps.sh install does it), or configure with -DCR_BUILD_DOCS=OFF")
  endif()
  set(CR_MAN_PAGES cognito-reconcile.1 cognito-reconcile-manifest.5)
  if(CR_BUILD_EMULATOR)
    list(APPEND CR_MAN_PAGES cognito-identity-local.1)
  endif()
  set(CR_MAN_DIR ${CMAKE_BINARY_DIR}/man)
  file(MAKE_DIRECTORY ${CR_MAN_DIR})
  foreach(page ${CR_MAN_PAGES})
    set(src ${CMAKE_SOURCE_DIR}/docs/man/${page}.scd)
    string(REGEX REPLACE ".*\\.([0-9])$" "\\1" section ${page})
    add_custom_command(OUTPUT ${CR_MAN_DIR}/${page} ${CR_MAN_DIR}/${page}.gz
      COMMAND ${SCDOC} < ${src} > ${CR_MAN_DIR}/${page}
      COMMAND ${GZIP} -9 -n -c ${CR_MAN_DIR}/${page} > ${CR_MAN_DIR}/${page}.gz
      DEPENDS ${src}
      COMMENT "scdoc ${page}")
    list(APPEND CR_MAN_OUTPUTS ${CR_MAN_DIR}/${page}.gz)
    install(FILES ${CR_MAN_DIR}/${page}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
  endforeach()
  add_custom_target(man DEPENDS ${CR_MAN_OUTPUTS})
  add_dependencies(dist man)
endif()

# ---- shell completion: what `cognito-reconcile completion SHELL` prints ----
set(CR_COMPLETION_DIR ${CMAKE_BINARY_DIR}/completions)
file(MAKE_DIRECTORY ${CR_COMPLETION_DIR})
set(CR_COMPLETION_FILES "")
foreach(shell bash zsh fish)
  set(out ${CR_COMPLETION_DIR}/cognito-reconcile.${shell})
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DPROGRAM=$<TARGET_FILE:cognito-reconcile> "-DARGS=completion ${shell}"
            -DOUT=${out} -P ${CMAKE_SOURCE_DIR}/cmake/capture.cmake
    DEPENDS cognito-reconcile ${CMAKE_SOURCE_DIR}/cmake/capture.cmake
    COMMENT "completion ${shell}" VERBATIM)
  list(APPEND CR_COMPLETION_FILES ${out})
endforeach()
add_custom_target(completions DEPENDS ${CR_COMPLETION_FILES})
add_dependencies(dist completions)
install(FILES ${CR_COMPLETION_DIR}/cognito-reconcile.bash
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME cognito-reconcile)
install(FILES ${CR_COMPLETION_DIR}/cognito-reconcile.fish
  DESTINATION ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d)
# zsh looks in vendor-completions under /usr on Debian, in site-functions elsewhere; the
# prefix is only known at install time (cmake --install --prefix), so decide then.
set(CR_ZSH_COMPLETION_DIR "" CACHE STRING
  "zsh completion folder below the prefix (default: share/zsh/vendor-completions for /usr, else share/zsh/site-functions)")
install(CODE "
  set(cr_zsh_dir \"${CR_ZSH_COMPLETION_DIR}\")
  if(NOT cr_zsh_dir AND CMAKE_INSTALL_PREFIX STREQUAL \"/usr\")
    set(cr_zsh_dir share/zsh/vendor-completions)
  elseif(NOT cr_zsh_dir)
    set(cr_zsh_dir share/zsh/site-functions)
  endif()
  file(INSTALL DESTINATION \"\${CMAKE_INSTALL_PREFIX}/\${cr_zsh_dir}\" TYPE FILE
    RENAME _cognito-reconcile FILES \"${CR_COMPLETION_DIR}/cognito-reconcile.zsh\")
")

# ---- data and documentation ----
install(FILES ${CMAKE_SOURCE_DIR}/schema/identity-pool.schema.json
  DESTINATION ${CMAKE_INSTALL_DATADIR}/cognito-reconcile)
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${CMAKE_SOURCE_DIR}/CHANGELOG.md
  ${CMAKE_SOURCE_DIR}/LICENSE ${CMAKE_SOURCE_DIR}/NOTICE
  DESTINATION ${CMAKE_INSTALL_DOCDIR})
