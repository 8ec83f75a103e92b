# SPDX-License-Identifier: MIT
# A caller in a child pid namespace is not told its pid in the agent's.
include(${PROJECT_SOURCE_DIR}/tests/util/roled-tests.cmake)
roled_system_test(test-pid-namespace security ${CMAKE_CURRENT_LIST_DIR}/test-pid-namespace.c)
