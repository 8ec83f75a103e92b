# SPDX-License-Identifier: MIT
# Unit test of the base layer (base/): calendar and ISO-8601, durations, the
# refresh margin, safe files.
add_executable(test-base test-base.c)
target_link_libraries(test-base PRIVATE roled_base PkgConfig::CMOCKA roled_warnings roled_sanitize)
add_test(NAME test-base COMMAND test-base)
set_tests_properties(test-base PROPERTIES LABELS unit)
