# SPDX-License-Identifier: Apache-2.0
# Script mode: runs PROGRAM with ARGS (one string, split at spaces) and writes its stdout to
# OUT; fails the build when the program fails. Used for files a program prints about itself
# (the completion scripts).
foreach(var PROGRAM ARGS OUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "capture.cmake: -D${var}=... is required")
  endif()
endforeach()
separate_arguments(args UNIX_COMMAND "${ARGS}")
execute_process(COMMAND "${PROGRAM}" ${args} OUTPUT_FILE "${OUT}.tmp" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(REMOVE "${OUT}.tmp")
  message(FATAL_ERROR "${PROGRAM} ${ARGS} failed: ${rc}")
endif()
file(RENAME "${OUT}.tmp" "${OUT}")
