# SPDX-License-Identifier: MIT
# Integration tests: a real roled in system mode on a private socket, driven
# through libroled and rolectl (root only; skipped with 77 otherwise).
include(${PROJECT_SOURCE_DIR}/tests/util/roled-tests.cmake)
foreach(t embedded-default trust-rules credentials cache rolectl rolectl-cli aws-config check-config-lint libroled reload lifecycle exe-hash units
          kill9-under-load)
  roled_system_test(test-${t} integration ${CMAKE_CURRENT_LIST_DIR}/test-${t}.c)
endforeach()
