# SPDX-License-Identifier: MIT
# The policy engine's tests, included from tests/unit/CMakeLists.txt:
# test-policy (unit tests, cmocka), test-policy-corpus (tests/data/policy/*.jsonl
# through the library), test-policy-cli (the same corpora and files through
# `rolectl policy` via policy-cli-driver).
if(NOT TARGET PkgConfig::CMOCKA)
  pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)
endif()

set(POLICY_TEST_DATA ${CMAKE_CURRENT_LIST_DIR}/../data/policy)

add_executable(test-policy ${CMAKE_CURRENT_LIST_DIR}/test-policy.c)
target_link_libraries(test-policy PRIVATE roled_policy roled_warnings roled_sanitize PkgConfig::CMOCKA)
add_test(NAME test-policy COMMAND test-policy)

add_executable(test-policy-corpus ${CMAKE_CURRENT_LIST_DIR}/test-policy-corpus.c)
target_link_libraries(test-policy-corpus PRIVATE roled_policy roled_warnings roled_sanitize PkgConfig::CMOCKA)
add_test(NAME test-policy-corpus COMMAND test-policy-corpus ${POLICY_TEST_DATA})

add_executable(policy-cli-driver ${CMAKE_CURRENT_LIST_DIR}/policy-cli-driver.c
  ${CMAKE_CURRENT_LIST_DIR}/../../client/cli/cmd-policy.c
  ${CMAKE_CURRENT_LIST_DIR}/../../client/cli/policy-batch.c)
target_include_directories(policy-cli-driver PRIVATE ${CMAKE_CURRENT_LIST_DIR}/../../client/cli)
target_link_libraries(policy-cli-driver PRIVATE roled_policy roled_warnings roled_sanitize PkgConfig::JANSSON)
add_test(NAME test-policy-cli
  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/test-policy-cli.py
          $<TARGET_FILE:policy-cli-driver> ${POLICY_TEST_DATA})

set_tests_properties(test-policy test-policy-corpus test-policy-cli PROPERTIES LABELS unit)

add_executable(test-policy-match ${CMAKE_CURRENT_LIST_DIR}/test-policy-match.c)
target_link_libraries(test-policy-match PRIVATE roled_policy roled_warnings roled_sanitize)
add_test(NAME test-policy-match COMMAND test-policy-match)
set_tests_properties(test-policy-match PROPERTIES LABELS unit)
