# SPDX-License-Identifier: MIT
# bench-policy: policy evaluation cost (not a ctest test; run it by hand:
# `build/tests/bench/bench-policy [ITERATIONS]`, ideally in a release build).
add_executable(bench-policy ${CMAKE_CURRENT_LIST_DIR}/bench-policy.c)
target_link_libraries(bench-policy PRIVATE roled_policy roled_warnings roled_sanitize)
