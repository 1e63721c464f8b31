# Runs `convlab <command> CONFIG` for one broken config and checks: exit code 2, a single
# line on stderr, and that line matching the file's `# expect:` regex.
#   cmake -DCONVLAB=... -DCONFIG=... -P check_bad_config.cmake
file(STRINGS "${CONFIG}" header LIMIT_COUNT 2)
list(GET header 0 command_line)
list(GET header 1 expect_line)
string(REGEX REPLACE "^# command: *" "" command "${command_line}")
string(REGEX REPLACE "^# expect: *" "" expect "${expect_line}")
separate_arguments(command UNIX_COMMAND "${command}")  # e.g. "fit --out /dev/null"
get_filename_component(dir "${CONFIG}" DIRECTORY)
execute_process(COMMAND "${CONVLAB}" ${command} "${CONFIG}"
  WORKING_DIRECTORY "${dir}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
string(STRIP "${err}" err)
if(NOT rc EQUAL 2)
  message(FATAL_ERROR "exit code ${rc}, expected 2\nstderr: ${err}\nstdout: ${out}")
endif()
if(err MATCHES "\n")
  message(FATAL_ERROR "stderr has more than one line:\n${err}")
endif()
if(NOT err MATCHES "${expect}")
  message(FATAL_ERROR "stderr does not match the expectation\n  stderr: ${err}\n  expect: ${expect}")
endif()
message(STATUS "ok: ${err}")
