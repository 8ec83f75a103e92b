# SPDX-License-Identifier: MIT
# fuzz-policy: libFuzzer target for the policy engine (ROLED_FUZZ=ON, clang).
# Without ROLED_FUZZ the same source is built with a replay main() and the
# ctest fuzz-policy-smoke runs the seed corpus through it.
if(ROLED_FUZZ)
  add_executable(fuzz-policy ${CMAKE_CURRENT_LIST_DIR}/fuzz-policy.c)
  target_link_libraries(fuzz-policy PRIVATE roled_policy roled_warnings roled_fuzz)
else()
  add_executable(fuzz-policy-replay ${CMAKE_CURRENT_LIST_DIR}/fuzz-policy.c)
  target_compile_definitions(fuzz-policy-replay PRIVATE FUZZ_POLICY_REPLAY)
  target_link_libraries(fuzz-policy-replay PRIVATE roled_policy roled_warnings roled_sanitize)
  add_test(NAME fuzz-policy-smoke
    COMMAND fuzz-policy-replay ${CMAKE_CURRENT_LIST_DIR}/corpus-policy-seed)
  set_tests_properties(fuzz-policy-smoke PROPERTIES LABELS unit)
endif()
