# SPDX-License-Identifier: MIT
# cmake -DSRC=DIR -DIN=version.h.in -DOUT=version.h -DPROJECT_VERSION=V -P git_revision.cmake
# Run at every build, not only at configure: a run's meta.json must name the
# revision the binary was built from, also after a commit or an edit that
# did not reconfigure. OUT is rewritten only when its text changes, so an
# unchanged revision recompiles nothing.
execute_process(COMMAND git describe --always --dirty --abbrev=12
	WORKING_DIRECTORY ${SRC} OUTPUT_VARIABLE DT_GIT_REVISION
	OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT DT_GIT_REVISION)
	set(DT_GIT_REVISION "unknown")
endif()
configure_file(${IN} ${OUT}.tmp @ONLY)
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUT}.tmp)
