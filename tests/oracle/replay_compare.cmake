# SPDX-License-Identifier: MIT
# Run REPLAY on INPUT and compare its standard output with EXPECTED, line
# for line: the replay output is a contract (REPLAY.md), so any byte counts.
# Usage: cmake -DREPLAY=... -DINPUT=... -DEXPECTED=... -P replay_compare.cmake
execute_process(COMMAND ${REPLAY} ${INPUT}
	OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
	message(FATAL_ERROR "${REPLAY} ${INPUT} exited with ${rc}: ${err}")
endif()
file(READ ${EXPECTED} expected)
if(NOT out STREQUAL expected)
	message(FATAL_ERROR "output differs from ${EXPECTED}\n--- got:\n${out}--- expected:\n${expected}")
endif()
message(STATUS "replay output matches ${EXPECTED}")
