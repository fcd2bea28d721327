# SPDX-License-Identifier: MIT
# Writes version.cpp with the project version and the git revision of the source tree.
# Run at every build (cmake -P, target colive_version_info); configure_file() leaves the output
# untouched when nothing changed, so only a new revision recompiles version.cpp and relinks.
#   cmake -DSOURCE_DIR=... -DTEMPLATE=version.cpp.in -DOUTPUT=version.cpp -DVERSION=0.1.0
#         [-DREVISION=override] -P write_version.cmake
# Not a git checkout (a source tarball), or git missing: the revision is REVISION if given
# (e.g. set by a distribution build), else "unknown".
cmake_minimum_required(VERSION 3.25)
foreach(v SOURCE_DIR TEMPLATE OUTPUT VERSION)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "write_version.cmake: -D${v}=... is required")
  endif()
endforeach()

set(COLIVE_VERSION "${VERSION}")
set(COLIVE_GIT_REVISION "")
if(DEFINED REVISION AND NOT REVISION STREQUAL "")
  set(COLIVE_GIT_REVISION "${REVISION}")
else()
  find_program(GIT_EXECUTABLE git)
  if(GIT_EXECUTABLE)
    # Only the source directory's own repository: a tarball unpacked inside some other checkout
    # must not report that checkout's revision.
    execute_process(COMMAND "${GIT_EXECUTABLE}" -C "${SOURCE_DIR}" rev-parse --show-toplevel
                    OUTPUT_VARIABLE top RESULT_VARIABLE rc OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    if(rc EQUAL 0)
      file(REAL_PATH "${top}" top)
      file(REAL_PATH "${SOURCE_DIR}" src)
      if(top STREQUAL src)
        execute_process(COMMAND "${GIT_EXECUTABLE}" -C "${SOURCE_DIR}" --no-optional-locks describe --tags --always --dirty --abbrev=12
                        OUTPUT_VARIABLE rev RESULT_VARIABLE rc OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
        if(rc EQUAL 0 AND NOT rev STREQUAL "")
          set(COLIVE_GIT_REVISION "${rev}")
        endif()
      endif()
    endif()
  endif()
endif()
# It ends up in a C++ string literal: keep it to characters that need no escaping.
string(REGEX REPLACE "[^A-Za-z0-9._+~/-]" "_" COLIVE_GIT_REVISION "${COLIVE_GIT_REVISION}")
if(COLIVE_GIT_REVISION STREQUAL "")
  set(COLIVE_GIT_REVISION "unknown")
endif()
configure_file("${TEMPLATE}" "${OUTPUT}" @ONLY)
