// SPDX-License-Identifier: MIT
#include <dirtytrack/profile.h>

static const char *const phase_names[DT_PHASE_COUNT] = {
	[DT_PHASE_SET_ALL] = "set_all", [DT_PHASE_SHIFT] = "shift",
	[DT_PHASE_LEFTOVER] = "leftover", [DT_PHASE_COPY] = "copy",
	[DT_PHASE_CLEAR] = "clear",	  [DT_PHASE_REPOPULATE] = "repopulate",
};

const char *dt_phase_name(enum dt_phase phase)
{
	if ((unsigned int)phase >= DT_PHASE_COUNT)
		return NULL;
	return phase_names[phase];
}
