# SPDX-License-Identifier: MIT
# Security tests, each named after what it proves, against a real roled
# (root only; skipped with 77 otherwise).
include(${PROJECT_SOURCE_DIR}/tests/util/roled-tests.cmake)
foreach(t exe-mount-namespace exec-race hash-stall session-limit peer-uid-rejected pid-reuse oversized-message lying-length deep-nesting malformed
          slow-client pipelining agent-not-dumpable untrusted-socket per-uid-limit
          secrets-not-logged config-unsafe protocol-robustness revoke-restart sessions-list session-policy-bytes
          connection-flood burst-one-uid pipeline-flood 10k-connections slow-clients parked-hangup)
  roled_system_test(test-${t} security ${CMAKE_CURRENT_LIST_DIR}/test-${t}.c)
endforeach()
