# SPDX-License-Identifier: MIT
# Authorize, Simulate and GetRole end to end (libroled and rolectl check/explain).
include(${PROJECT_SOURCE_DIR}/tests/util/roled-tests.cmake)
roled_system_test(test-authorize integration ${CMAKE_CURRENT_LIST_DIR}/test-authorize.c)
