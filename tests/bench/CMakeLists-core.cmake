# SPDX-License-Identifier: MIT
# Core benchmarks driven by tests/bench/run-bench (not ctest tests: benchmarks
# never assert timings).  sessions-fill: N AssumeRole calls against a running
# agent, to measure memory per cached session; bench-exehash: exehash_fd()
# cost per MiB.
add_executable(sessions-fill ${CMAKE_CURRENT_LIST_DIR}/sessions-fill.c)
target_link_libraries(sessions-fill PRIVATE roled_proto roled_warnings roled_sanitize)

add_executable(bench-exehash ${CMAKE_CURRENT_LIST_DIR}/bench-exehash.c)
target_link_libraries(bench-exehash PRIVATE roled_agent_core roled_warnings roled_sanitize)
