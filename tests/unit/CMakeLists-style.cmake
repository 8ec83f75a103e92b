# SPDX-License-Identifier: MIT
# Every tracked C source formatted as .clang-format says (Debian 12's clang-format 14).
add_test(NAME test-clang-format
  COMMAND ${CMAKE_CURRENT_LIST_DIR}/test-clang-format ${PROJECT_SOURCE_DIR})
set_tests_properties(test-clang-format PROPERTIES LABELS unit SKIP_RETURN_CODE 77)
