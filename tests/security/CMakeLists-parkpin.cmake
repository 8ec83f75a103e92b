# SPDX-License-Identifier: MIT
# test-park-pid-reuse: on a kernel without SO_PEERPIDFD (emulated with the
# proc-fault library), a connection that waits for a slot is pinned when it
# is accepted, so a pid reused meanwhile is never attested as its caller.
include(${PROJECT_SOURCE_DIR}/tests/util/roled-tests.cmake)
roled_system_test(test-park-pid-reuse security ${CMAKE_CURRENT_LIST_DIR}/test-park-pid-reuse.c)
set_tests_properties(test-park-pid-reuse PROPERTIES
  ENVIRONMENT "ROLED_PROC_FAULT_LIB=$<TARGET_FILE:proc-fault>")
# test-park-budget: there, a waiting connection's pidfd counts in the waiting
# connections' share of descriptors, is taken only once a place is, and a
# failed one gives the place back.
roled_system_test(test-park-budget security ${CMAKE_CURRENT_LIST_DIR}/test-park-budget.c)
set_tests_properties(test-park-budget PROPERTIES
  ENVIRONMENT "ROLED_PROC_FAULT_LIB=$<TARGET_FILE:proc-fault>")
