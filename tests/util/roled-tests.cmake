# SPDX-License-Identifier: MIT
# The harness shared by the integration and security suites (tests/util):
# roled_testutil (test.h CHECK macros, agent.h spawner and raw sockets,
# session.h sessions minted as a test user and Authorize on their tokens) and
# roled_system_test(NAME LABEL SOURCE), which builds a test, links libroled,
# and runs it with the built roled and rolectl as its two arguments.
include_guard(GLOBAL)

add_library(roled_testutil STATIC ${CMAKE_CURRENT_LIST_DIR}/agent.c
  ${CMAKE_CURRENT_LIST_DIR}/session.c)
target_include_directories(roled_testutil PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(roled_testutil PUBLIC PkgConfig::MSGPACK
  PRIVATE PkgConfig::SODIUM roled_warnings roled_sanitize)

function(roled_system_test name label source)
  add_executable(${name} ${source})
  target_link_libraries(${name} PRIVATE roled_testutil libroled roled_proto
    PkgConfig::JANSSON PkgConfig::MSGPACK PkgConfig::SODIUM Threads::Threads
    roled_warnings roled_sanitize)
  add_test(NAME ${name} COMMAND ${name} $<TARGET_FILE:roled> $<TARGET_FILE:rolectl>)
  set_tests_properties(${name} PROPERTIES LABELS ${label} SKIP_RETURN_CODE 77
    TIMEOUT 120)
endfunction()
