# SPDX-License-Identifier: MIT
# Short libFuzzer runs (label fuzz-run), registered for every fuzz target the
# other fragments defined; the name sorts last so they all exist by now.
# Each run starts from the committed seed corpus and writes what it finds to
# the build tree, never to the source tree.
set(ROLED_FUZZ_SECONDS 30 CACHE STRING "Seconds each fuzz-run-* test fuzzes")
if(ROLED_FUZZ)
  foreach(t policy scan token sigv4 config sts)
    if(NOT TARGET fuzz-${t})
      continue()
    endif()
    if(t STREQUAL "scan" OR t STREQUAL "token")
      set(seed ${CMAKE_CURRENT_LIST_DIR}/corpus-proto-seed)
    else()
      set(seed ${CMAKE_CURRENT_LIST_DIR}/corpus-${t}-seed)
    endif()
    set(work ${CMAKE_CURRENT_BINARY_DIR}/corpus-${t})
    add_test(NAME fuzz-run-${t}
      COMMAND sh -c "mkdir -p \"$2\" && exec \"$1\" -max_total_time=$4 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \"$2\" \"$3\""
              fuzz-run $<TARGET_FILE:fuzz-${t}> ${work} ${seed} ${ROLED_FUZZ_SECONDS})
    set_tests_properties(fuzz-run-${t} PROPERTIES LABELS fuzz-run TIMEOUT 300)
  endforeach()
endif()
