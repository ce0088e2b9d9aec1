// SPDX-License-Identifier: MIT
/* harvest.c - the model's harvest implementations, by name. */
#include <stddef.h>

#include <dirtytrack/container.h>

#include "harvest.h"

const struct dt_harvest_ops *const dt_harvests[] = {
	&dt_harvest_reference,
	&dt_harvest_fast,
	NULL,
};

static const char *const harvest_names[] = {"reference", "fast", NULL};

const char *const *dt_harvest_names(void)
{
	return harvest_names;
}
