# SPDX-License-Identifier: MIT
# rolectl's bash completion against every command's --help.
add_test(NAME test-bash-completion
  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/test-bash-completion.py $<TARGET_FILE:rolectl>
          ${PROJECT_SOURCE_DIR}/client/cli/rolectl.bash-completion)
set_tests_properties(test-bash-completion PROPERTIES LABELS unit)
