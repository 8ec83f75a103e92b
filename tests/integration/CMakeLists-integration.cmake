# SPDX-License-Identifier: MIT
# Integration tests: a real roled in system mode on a private socket, driven
# through libroled and rolectl (root only; skipped with 77 otherwise).
include(${PROJECT_SOURCE_DIR}/tests/util/roled-tests.cmake)
foreach(t embedded-default trust-rules credentials cache rolectl rolectl-cli aws-config check-config-lint libroled reload lifecycle exe-hash units
          kill9-under-load config-warnings libroled-threads libroled-contract same-decision)
  roled_system_test(test-${t} integration ${CMAKE_CURRENT_LIST_DIR}/test-${t}.c)
endforeach()

# libroled as time passes: the agent under libfaketime (renewal), libroled's
# clock moved by the test's own time() (background key fetch); it rotates the
# agent's keys with keys_rotate() from the agent core.
roled_system_test(test-libroled-time integration ${CMAKE_CURRENT_LIST_DIR}/test-libroled-time.c)
target_link_libraries(test-libroled-time PRIVATE roled_agent_core)
find_file(ROLED_LIBFAKETIME libfaketime.so.1
  PATHS /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/faketime /usr/lib/faketime NO_DEFAULT_PATH)
set_tests_properties(test-libroled-time PROPERTIES ENVIRONMENT "ROLED_TEST_FAKETIME=${ROLED_LIBFAKETIME}")

# The README's C example, exactly as README.md prints it (test-libroled-contract
# runs it with and without an agent).
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/README.md)
file(READ ${PROJECT_SOURCE_DIR}/README.md readme_text)
string(REGEX MATCH "test-readme-example[^\n]*\n```c\n(.*)\n```\n\nlibroled caches" readme_match "${readme_text}")
if(NOT CMAKE_MATCH_1)
  message(FATAL_ERROR "README.md: the C example block (marked test-readme-example) is missing")
endif()
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/readme-example.c "${CMAKE_MATCH_1}\n")
add_executable(readme-example ${CMAKE_CURRENT_BINARY_DIR}/readme-example.c)
target_link_libraries(readme-example PRIVATE libroled roled_warnings roled_sanitize)
set_tests_properties(test-libroled-contract PROPERTIES
  ENVIRONMENT "ROLED_README_EXAMPLE=$<TARGET_FILE:readme-example>")
# An LD_PRELOAD library that holds chosen NSS lookups (test-config-warnings:
# the agent serves while its configuration warnings wait for NSS).  Plain: no
# sanitizer runtime of its own.
add_library(nss-gate SHARED ${PROJECT_SOURCE_DIR}/tests/util/nss-gate.c)
target_link_libraries(nss-gate PRIVATE ${CMAKE_DL_LIBS})
set_tests_properties(test-config-warnings PROPERTIES
  ENVIRONMENT "ROLED_NSS_GATE_LIB=$<TARGET_FILE:nss-gate>")
set_tests_properties(test-libroled-threads PROPERTIES
  ENVIRONMENT "ROLED_UV_CLIENT=$<TARGET_FILE:uv-client>")

# The threaded test again, built with ThreadSanitizer in its own small build
# (tests/tsan); not under the ASan preset, whose runtime excludes TSan's.
if(NOT ROLED_SANITIZE AND NOT ROLED_FUZZ)
  add_test(NAME test-libroled-threads-tsan COMMAND ${PROJECT_SOURCE_DIR}/tests/tsan/run-tsan
    ${CMAKE_BINARY_DIR}/tsan ${PROJECT_SOURCE_DIR} $<TARGET_FILE:roled> $<TARGET_FILE:rolectl>)
  set_tests_properties(test-libroled-threads-tsan PROPERTIES LABELS integration
    SKIP_RETURN_CODE 77 TIMEOUT 600)
endif()

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
