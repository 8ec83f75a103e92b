# SPDX-License-Identifier: MIT
# fuzz-sigv4: libFuzzer target for the SigV4 verifier (ROLED_FUZZ=ON, clang;
# it links roled_fuzz_agent_core, the agent built with coverage
# instrumentation).  Always: the same entry point linked with replay.c, and
# the ctest fuzz-smoke-sigv4 running corpus-sigv4-seed/ through it.
if(ROLED_FUZZ)
  add_executable(fuzz-sigv4 ${CMAKE_CURRENT_LIST_DIR}/fuzz-sigv4.c)
  target_link_libraries(fuzz-sigv4 PRIVATE roled_fuzz_agent_core roled_warnings roled_fuzz)
endif()
add_executable(fuzz-sigv4-replay ${CMAKE_CURRENT_LIST_DIR}/fuzz-sigv4.c
               ${CMAKE_CURRENT_LIST_DIR}/replay.c)
target_link_libraries(fuzz-sigv4-replay PRIVATE roled_agent_core roled_warnings roled_sanitize)
add_test(NAME fuzz-smoke-sigv4
  COMMAND fuzz-sigv4-replay ${CMAKE_CURRENT_LIST_DIR}/corpus-sigv4-seed)
set_tests_properties(fuzz-smoke-sigv4 PROPERTIES LABELS "unit;fuzz")
