# SPDX-License-Identifier: MIT
# bench-libroled: libroled from many threads on one client (cached calls from
# 16 threads; Authorize from 1 and 2 threads); not a ctest test.  run-bench
# runs it: `bench-libroled --socket PATH --role ROLE --mode cached|authorize`.
add_executable(bench-libroled ${CMAKE_CURRENT_LIST_DIR}/bench-libroled.c)
target_link_libraries(bench-libroled PRIVATE libroled Threads::Threads roled_warnings roled_sanitize)
