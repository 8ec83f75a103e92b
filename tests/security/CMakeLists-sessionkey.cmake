# SPDX-License-Identifier: MIT
# test-session-key: a cached session is served only to callers it names truly
# (the file behind an exe claim, whether it was hashed, the cgroup).
include(${PROJECT_SOURCE_DIR}/tests/util/roled-tests.cmake)
roled_system_test(test-session-key security ${CMAKE_CURRENT_LIST_DIR}/test-session-key.c)
# An LD_PRELOAD library: callers' /proc/PID/cgroup read as on a cgroup-v1-only host.
add_library(cgroup-v1 SHARED ${PROJECT_SOURCE_DIR}/tests/util/cgroup-v1.c)
target_link_libraries(cgroup-v1 PRIVATE ${CMAKE_DL_LIBS})
set_tests_properties(test-session-key PROPERTIES
  ENVIRONMENT "ROLED_CGROUP_V1_LIB=$<TARGET_FILE:cgroup-v1>")
