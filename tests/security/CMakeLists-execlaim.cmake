# SPDX-License-Identifier: MIT
# test-exe-claim: a session names the caller's executable only when the agent
# checked it for that request (roles with exe rules or claim_exe).
include(${PROJECT_SOURCE_DIR}/tests/util/roled-tests.cmake)
roled_system_test(test-exe-claim security ${CMAKE_CURRENT_LIST_DIR}/test-exe-claim.c)
