# Runs a doc example and compares its output with the committed .out file, ignoring the
# wall-clock seconds at the end of each line.  cmake -DEXE=... -DEXPECTED=... -P check_output.cmake
execute_process(COMMAND "${EXE}" RESULT_VARIABLE rc OUTPUT_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "exit code ${rc}")
endif()
file(READ "${EXPECTED}" expected)
string(REGEX REPLACE ", [0-9.]+ s" ", <seconds> s" out "${out}")
string(REGEX REPLACE ", [0-9.]+ s" ", <seconds> s" expected "${expected}")
if(NOT out STREQUAL expected)
  message(FATAL_ERROR "output differs from ${EXPECTED}\n--- got:\n${out}--- expected:\n${expected}")
endif()
