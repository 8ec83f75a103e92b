# SPDX-License-Identifier: MIT
# fuzz-scan and fuzz-token: libFuzzer targets for the wire codec and session
# tokens (ROLED_FUZZ=ON, clang; the proto sources are compiled into each target
# so they get coverage instrumentation).  Always: the same entry points linked
# with replay.c, and the ctest fuzz-smoke-proto running corpus-proto-seed/
# through both.
set(ROLED_PROTO_SOURCES ${PROJECT_SOURCE_DIR}/proto/scan.c ${PROJECT_SOURCE_DIR}/proto/rpc.c
    ${PROJECT_SOURCE_DIR}/proto/token.c)

foreach(t scan token)
  if(ROLED_FUZZ)
    add_executable(fuzz-${t} ${CMAKE_CURRENT_LIST_DIR}/fuzz-${t}.c ${ROLED_PROTO_SOURCES})
    target_include_directories(fuzz-${t} PRIVATE ${PROJECT_SOURCE_DIR}/proto)
    target_link_libraries(fuzz-${t} PRIVATE PkgConfig::MSGPACK PkgConfig::SODIUM roled_warnings roled_fuzz)
  endif()
  add_executable(fuzz-${t}-replay ${CMAKE_CURRENT_LIST_DIR}/fuzz-${t}.c
                 ${CMAKE_CURRENT_LIST_DIR}/replay.c)
  target_link_libraries(fuzz-${t}-replay PRIVATE roled_proto roled_warnings roled_sanitize)
endforeach()

add_test(NAME fuzz-smoke-proto
  COMMAND sh -c "\"$1\" \"$3\" && \"$2\" \"$3\"" fuzz-smoke-proto
          $<TARGET_FILE:fuzz-scan-replay> $<TARGET_FILE:fuzz-token-replay>
          ${CMAKE_CURRENT_LIST_DIR}/corpus-proto-seed)
set_tests_properties(fuzz-smoke-proto PROPERTIES LABELS fuzz)
