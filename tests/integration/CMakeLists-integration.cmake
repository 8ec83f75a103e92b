# SPDX-License-Identifier: MIT
# Integration tests: a real roled in system mode on a private socket, driven
# through libroled and rolectl (root only; skipped with 77 otherwise).
include(${PROJECT_SOURCE_DIR}/tests/util/roled-tests.cmake)
foreach(t embedded-default trust-rules credentials cache rolectl rolectl-cli aws-config check-config-lint libroled reload lifecycle exe-hash units
          kill9-under-load config-warnings)
  roled_system_test(test-${t} integration ${CMAKE_CURRENT_LIST_DIR}/test-${t}.c)
endforeach()

# pam_roled under pam_wrapper: pam-driver runs libpam, test-pam the scenarios.
if(ROLED_BUILD_PAM)
  add_executable(pam-driver ${CMAKE_CURRENT_LIST_DIR}/pam-driver.c)
  target_link_libraries(pam-driver PRIVATE pam roled_warnings roled_sanitize)
  roled_system_test(test-pam integration ${CMAKE_CURRENT_LIST_DIR}/test-pam.c)
  # The driver and the module are the test's third and fourth arguments.
  set_property(TEST test-pam PROPERTY ENVIRONMENT
    "ROLED_TEST_PAM_DRIVER=$<TARGET_FILE:pam-driver>;ROLED_TEST_PAM_MODULE=$<TARGET_FILE:pam_roled>")
  add_dependencies(test-pam pam-driver pam_roled)
endif()
