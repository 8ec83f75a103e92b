# SPDX-License-Identifier: MIT
# Unit tests of the wire codec: the bounded scanner and the RPC envelopes.
foreach(t scan rpc)
  add_executable(test-${t} test-${t}.c)
  target_link_libraries(test-${t} PRIVATE roled_proto PkgConfig::CMOCKA roled_warnings roled_sanitize)
  add_test(NAME test-${t} COMMAND test-${t})
  set_tests_properties(test-${t} PROPERTIES LABELS unit)
endforeach()

# The typed payloads: a round trip per method, wire names, decode errors.
add_executable(test-codec test-codec.c)
target_include_directories(test-codec PRIVATE ${PROJECT_SOURCE_DIR}/proto)
target_link_libraries(test-codec PRIVATE roled_proto roled_base PkgConfig::CMOCKA roled_warnings roled_sanitize)
add_test(NAME test-codec COMMAND test-codec)
set_tests_properties(test-codec PROPERTIES LABELS unit)
