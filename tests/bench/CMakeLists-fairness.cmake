# SPDX-License-Identifier: MIT
# bench-fairness: another uid's (alice's) GetCallerIdentity latency while bob
# pipelines, floods fresh connections or keeps 1,000 clients asking; spawns
# its own system-mode agent with the tests' harness (needs root and
# tests/util/setup-users).  Not a ctest test: run-bench runs it,
# `bench-fairness [--rounds N] [--samples N] [--gap-us US] ROLED ROLECTL`.
include(${PROJECT_SOURCE_DIR}/tests/util/roled-tests.cmake)
add_executable(bench-fairness ${CMAKE_CURRENT_LIST_DIR}/bench-fairness.c)
target_link_libraries(bench-fairness PRIVATE roled_testutil PkgConfig::MSGPACK roled_warnings
  roled_sanitize)
