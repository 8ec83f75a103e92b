# SPDX-License-Identifier: MIT
# bench-proto: scan_feed() and session-token parse/verify/encode cost per call
# (not a ctest test; run it by hand in a release build:
# `build/release/tests/bench/bench-proto [ITERATIONS]`).
add_executable(bench-proto ${CMAKE_CURRENT_LIST_DIR}/bench-proto.c)
target_link_libraries(bench-proto PRIVATE roled_proto roled_warnings roled_sanitize)
