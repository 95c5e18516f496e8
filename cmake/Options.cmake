# SPDX-License-Identifier: Apache-2.0
# Build profiles. The defaults build everything (what `make test` and CI need). A packager
# builds the CLI alone with its runtime libraries (libyaml, libcurl, OpenSSL, jansson, libgit2,
# libinih, libxml2, libmicrohttpd for watch's endpoints) and nothing of the test toolchain:
#   cmake -S . -B build -DCR_BUILD_TESTS=OFF -DCR_BUILD_EMULATOR=OFF -DCR_BUILD_BENCH=OFF
option(CR_BUILD_TESTS "Build the test suite (needs cmocka and the emulator)" ON)
option(CR_BUILD_EMULATOR "Build cognito-identity-local (needs libmicrohttpd)" ON)
option(CR_BUILD_BENCH "Build the benchmarks under bench/ (needs the emulator)" ON)
option(CR_BUILD_DOCS "Build the man pages from docs/man/*.scd (needs scdoc)" ON)
option(CR_WERROR "Treat compiler warnings as errors (on in CI and make test; a packager with a newer compiler may turn it off)" ON)

foreach(needer CR_BUILD_TESTS CR_BUILD_BENCH)
  if(${needer} AND NOT CR_BUILD_EMULATOR)
    message(FATAL_ERROR "${needer}=ON needs CR_BUILD_EMULATOR=ON (they run against "
      "cognito-identity-local); add -D${needer}=OFF for a CLI-only build")
  endif()
endforeach()

# A pkg-config module only some profiles need: REQUIRED when `when` is true, else not looked up.
macro(cr_optional_package prefix module when)
  if(${when})
    pkg_check_modules(${prefix} REQUIRED IMPORTED_TARGET ${module})
  endif()
endmacro()
