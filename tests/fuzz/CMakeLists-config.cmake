# SPDX-License-Identifier: MIT
# fuzz-config: libFuzzer target for the INI configuration loader (ROLED_FUZZ=ON,
# clang; it links roled_fuzz_agent_core, the agent built with coverage
# instrumentation).  Always: the same entry point linked with
# replay.c, and the ctest fuzz-smoke-config running corpus-config-seed/ through it.
if(ROLED_FUZZ)
  add_executable(fuzz-config ${CMAKE_CURRENT_LIST_DIR}/fuzz-config.c)
  target_link_libraries(fuzz-config PRIVATE roled_fuzz_agent_core roled_warnings roled_fuzz)
endif()
add_executable(fuzz-config-replay ${CMAKE_CURRENT_LIST_DIR}/fuzz-config.c
               ${CMAKE_CURRENT_LIST_DIR}/replay.c)
target_link_libraries(fuzz-config-replay PRIVATE roled_agent_core roled_warnings roled_sanitize)
# Run in a TMPDIR of its own, which must be empty again afterwards (rmdir
# fails otherwise): the target removes its fuzz-config.XXXXXX folder at exit.
add_test(NAME fuzz-smoke-config
  COMMAND sh -c "d=$(mktemp -d /tmp/fuzz-smoke-config.XXXXXX) || exit 1; TMPDIR=$d \"$1\" \"$2\"; r=$?; rmdir \"$d\" || r=1; exit $r"
          fuzz-smoke-config $<TARGET_FILE:fuzz-config-replay> ${CMAKE_CURRENT_LIST_DIR}/corpus-config-seed)
set_tests_properties(fuzz-smoke-config PROPERTIES LABELS "unit;fuzz")
