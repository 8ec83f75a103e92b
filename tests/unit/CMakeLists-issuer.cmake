# SPDX-License-Identifier: MIT
# Unit tests of session tokens (proto/token.c), signing keys and Secret buffers
# (agent/keys.c, agent/secret.c), the local issuer, the session cache and the
# STS query protocol of the aws issuer (agent/sts.c) and its IMDSv2 client
# (agent/imds.c).
add_executable(test-token test-token.c)
target_link_libraries(test-token PRIVATE roled_proto PkgConfig::CMOCKA roled_warnings roled_sanitize)
add_test(NAME test-token COMMAND test-token)
set_tests_properties(test-token PROPERTIES LABELS unit)

foreach(t keys issuer sessions sts imds)
  add_executable(test-${t} test-${t}.c)
  target_link_libraries(test-${t} PRIVATE roled_agent_core PkgConfig::CMOCKA roled_warnings roled_sanitize)
  add_test(NAME test-${t} COMMAND test-${t})
  set_tests_properties(test-${t} PROPERTIES LABELS unit SKIP_RETURN_CODE 77)
endforeach()
