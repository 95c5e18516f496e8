# SPDX-License-Identifier: Apache-2.0
# CPACK_PROJECT_CONFIG_FILE (cmake/Package.cmake): cpack includes it once per generator before
# installing into that generator's staging tree; the install rules of cmake/Package.cmake read
# CR_CPACK_GENERATOR to add the files only a .deb carries.
set(ENV{CR_CPACK_GENERATOR} "${CPACK_GENERATOR}")
