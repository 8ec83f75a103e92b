# SPDX-License-Identifier: MIT
# rolectl's bash completion against every command's --help.
add_test(NAME test-bash-completion
  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/test-bash-completion.py $<TARGET_FILE:rolectl>
          ${PROJECT_SOURCE_DIR}/client/cli/rolectl.bash-completion)
set_tests_properties(test-bash-completion PROPERTIES LABELS unit)
# Every command and option in README.md and the man pages against the binaries' --help.
add_test(NAME test-cli-docs
  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/test-cli-docs.py $<TARGET_FILE:rolectl>
          $<TARGET_FILE:roled> ${PROJECT_SOURCE_DIR})
set_tests_properties(test-cli-docs PROPERTIES LABELS unit)
