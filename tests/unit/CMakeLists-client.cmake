# SPDX-License-Identifier: MIT
# libroled and rolectl unit tests (included from tests/unit/CMakeLists.txt):
# test-client-lib (libroled against a fake agent thread), test-client-trust
# (untrusted sockets and peers; root only, else skipped with 77) and
# test-client-cli (rolectl's helpers: durations, JSON, shell quoting).
foreach(t lib trust)
  add_executable(test-client-${t} ${CMAKE_CURRENT_LIST_DIR}/test-client-${t}.c)
  target_include_directories(test-client-${t} PRIVATE ${PROJECT_SOURCE_DIR}/client/lib)
  target_link_libraries(test-client-${t} PRIVATE roled_client_core PkgConfig::JANSSON
    PkgConfig::CMOCKA roled_warnings roled_sanitize)
  add_test(NAME test-client-${t} COMMAND test-client-${t})
  set_tests_properties(test-client-${t} PROPERTIES LABELS unit SKIP_RETURN_CODE 77)
endforeach()

add_executable(test-client-cli ${CMAKE_CURRENT_LIST_DIR}/test-client-cli.c
  ${PROJECT_SOURCE_DIR}/client/cli/cli.c)
target_include_directories(test-client-cli PRIVATE ${PROJECT_SOURCE_DIR}/client/cli
  ${PROJECT_SOURCE_DIR}/client/lib)
target_link_libraries(test-client-cli PRIVATE roled_client_core PkgConfig::JANSSON
  PkgConfig::CMOCKA roled_warnings roled_sanitize)
add_test(NAME test-client-cli COMMAND test-client-cli)
set_tests_properties(test-client-cli PROPERTIES LABELS unit SKIP_RETURN_CODE 77)
