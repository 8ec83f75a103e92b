# SPDX-License-Identifier: MIT
# Unit tests of the agent's configuration, trust rules, caller identity, executable hashing,
# per-uid counters, the session-policy store, the revocation set, the state files, the name
# cache, local filesystems, and the request layer (dispatch and the handlers over a socketpair,
# no root).
foreach(t config trust identity exehash uidcount policystore logins dispatch namecache localfs
  revocations statefile)
  add_executable(test-${t} ${CMAKE_CURRENT_SOURCE_DIR}/test-${t}.c)
  target_link_libraries(test-${t} PRIVATE roled_agent_core PkgConfig::CMOCKA roled_warnings roled_sanitize)
  target_compile_definitions(test-${t} PRIVATE ROLED_TEST_DATA="${PROJECT_SOURCE_DIR}/tests/data"
    ROLED_SOURCE_DIR="${PROJECT_SOURCE_DIR}" ROLED_BINARY_DIR="${PROJECT_BINARY_DIR}")
  add_test(NAME test-${t} COMMAND test-${t})
  set_tests_properties(test-${t} PROPERTIES LABELS unit SKIP_RETURN_CODE 77)
endforeach()
