# SPDX-License-Identifier: MIT
# test-sigv4: the SigV4 verifier (agent/sigv4.c).  The public test-suite vectors
# are read at run time from the steering repo's shared/testdata/sigv4 (never
# copied here); without them the vector group is skipped (exit 77).
add_executable(test-sigv4 ${CMAKE_CURRENT_LIST_DIR}/test-sigv4.c)
target_link_libraries(test-sigv4 PRIVATE roled_agent_core PkgConfig::CMOCKA PkgConfig::JANSSON
  roled_warnings roled_sanitize)
target_compile_definitions(test-sigv4 PRIVATE
  SIGV4_VECTORS="${PROJECT_SOURCE_DIR}/../shared/testdata/sigv4")
add_test(NAME test-sigv4 COMMAND test-sigv4)
set_tests_properties(test-sigv4 PROPERTIES LABELS unit SKIP_RETURN_CODE 77)
