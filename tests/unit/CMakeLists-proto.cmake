# SPDX-License-Identifier: MIT
# Unit tests of the wire codec: the bounded scanner and the RPC envelopes.
foreach(t scan rpc)
  add_executable(test-${t} test-${t}.c)
  target_link_libraries(test-${t} PRIVATE roled_proto PkgConfig::CMOCKA roled_warnings roled_sanitize)
  add_test(NAME test-${t} COMMAND test-${t})
  set_tests_properties(test-${t} PROPERTIES LABELS unit)
endforeach()
