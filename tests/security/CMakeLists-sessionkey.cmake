# SPDX-License-Identifier: MIT
# test-session-key: a cached session is served only to callers it names truly
# (the file behind an exe claim, whether it was hashed, the cgroup).
include(${PROJECT_SOURCE_DIR}/tests/util/roled-tests.cmake)
roled_system_test(test-session-key security ${CMAKE_CURRENT_LIST_DIR}/test-session-key.c)
