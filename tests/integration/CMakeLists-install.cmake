# SPDX-License-Identifier: MIT
# test-install: the installed library, header, pkg-config file and CMake package work downstream.
add_test(NAME test-install
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test-install.sh ${PROJECT_BINARY_DIR} ${CMAKE_CURRENT_SOURCE_DIR}/consumer ${ROLED_SANITIZE})
set_tests_properties(test-install PROPERTIES LABELS integration)
