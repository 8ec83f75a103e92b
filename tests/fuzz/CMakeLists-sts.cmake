# SPDX-License-Identifier: MIT
# fuzz-sts: libFuzzer target for the parser of STS answers (ROLED_FUZZ=ON,
# clang; it links roled_fuzz_agent_core, the agent built with coverage
# instrumentation).  Always: the same entry point linked with replay.c, and
# the ctest fuzz-smoke-sts running corpus-sts-seed/ through it.
if(ROLED_FUZZ)
  add_executable(fuzz-sts ${CMAKE_CURRENT_LIST_DIR}/fuzz-sts.c)
  target_link_libraries(fuzz-sts PRIVATE roled_fuzz_agent_core roled_warnings roled_fuzz)
endif()
add_executable(fuzz-sts-replay ${CMAKE_CURRENT_LIST_DIR}/fuzz-sts.c ${CMAKE_CURRENT_LIST_DIR}/replay.c)
target_link_libraries(fuzz-sts-replay PRIVATE roled_agent_core roled_warnings roled_sanitize)
add_test(NAME fuzz-smoke-sts COMMAND fuzz-sts-replay ${CMAKE_CURRENT_LIST_DIR}/corpus-sts-seed)
set_tests_properties(fuzz-smoke-sts PROPERTIES LABELS "unit;fuzz")
