# SPDX-License-Identifier: MIT
# Security tests, each named after what it proves, against a real roled
# (root only; skipped with 77 otherwise).
include(${PROJECT_SOURCE_DIR}/tests/util/roled-tests.cmake)
foreach(t exe-mount-namespace exec-race hash-stall session-limit peer-uid-rejected pid-reuse oversized-message lying-length deep-nesting malformed
          slow-client pipelining agent-not-dumpable untrusted-socket per-uid-limit
          secrets-not-logged config-unsafe protocol-robustness revoke-restart sessions-list session-policy-bytes
          connection-flood hangup-flood attest-transient burst-one-uid pipeline-flood 10k-connections slow-clients parked-hangup early-after-reload permissions-exe-early parked-request-served
          notify-failed-send count-early-refused refusal-no-pid oom-answer)
  roled_system_test(test-${t} security ${CMAKE_CURRENT_LIST_DIR}/test-${t}.c)
endforeach()
# An LD_PRELOAD library that fails chosen /proc/PID opens with EMFILE
# (test-attest-transient: an attestation short of descriptors).  Plain: no
# sanitizer runtime of its own.
add_library(proc-fault SHARED ${PROJECT_SOURCE_DIR}/tests/util/proc-fault.c)
target_link_libraries(proc-fault PRIVATE ${CMAKE_DL_LIBS})
set_tests_properties(test-attest-transient PROPERTIES
  ENVIRONMENT "ROLED_PROC_FAULT_LIB=$<TARGET_FILE:proc-fault>")
# An LD_PRELOAD library that fails one ioctl(SIOCINQ) once a trigger file exists
# (test-count-early-refused: a connection refused in the middle of a walk).
add_library(ioctl-fault SHARED ${PROJECT_SOURCE_DIR}/tests/util/ioctl-fault.c)
target_link_libraries(ioctl-fault PRIVATE ${CMAKE_DL_LIBS})
set_tests_properties(test-count-early-refused PROPERTIES
  ENVIRONMENT "ROLED_IOCTL_FAULT_LIB=$<TARGET_FILE:ioctl-fault>")
# An LD_PRELOAD library that fails every allocation of the loop while it works
# on one uid's message (test-oom-answer: an answer the agent has no memory for).
add_library(alloc-fault SHARED ${PROJECT_SOURCE_DIR}/tests/util/alloc-fault.c)
target_link_libraries(alloc-fault PRIVATE ${CMAKE_DL_LIBS})
set_tests_properties(test-oom-answer PROPERTIES
  ENVIRONMENT "ROLED_ALLOC_FAULT_LIB=$<TARGET_FILE:alloc-fault>")
