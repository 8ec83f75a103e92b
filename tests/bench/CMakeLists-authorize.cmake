# SPDX-License-Identifier: MIT
# bench-authorize: closed-loop Authorize load (decisions/s, p50/p99) against a
# running agent; not a ctest test.  Run it by hand in a release build:
# `bench-authorize --socket PATH --role ROLE --connections 32 --duration 5`.
add_executable(bench-authorize ${CMAKE_CURRENT_LIST_DIR}/bench-authorize.c)
target_link_libraries(bench-authorize PRIVATE libroled roled_proto PkgConfig::MSGPACK
  roled_warnings roled_sanitize)
