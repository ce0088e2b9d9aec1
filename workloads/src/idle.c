// SPDX-License-Identifier: MIT
/*
 * idle.c - a device that dirties nothing: the clean case, where a harvest
 * is pure overhead (a full pass over every bitmap for the kernel's
 * algorithm, the summary alone for the fast one).
 */
#include <errno.h>
#include <stdlib.h>

#include "wl.h"

static int idle_setup(struct ds_device *dev, const struct ds_workload_params *p, void **state)
{
	if (!state)
		return -EINVAL;
	*state = NULL;
	if (!p || wl_check_device(dev) < 0)
		return -EINVAL;
	/* A state of its own, so that setup and teardown pair like the others'. */
	*state = malloc(1);
	return *state ? 0 : -ENOMEM;
}

static int idle_step(void *state, unsigned int thread, uint64_t step)
{
	(void)step;
	return state && thread == 0 ? 0 : -EINVAL;
}

static void idle_teardown(void *state)
{
	free(state);
}

const struct ds_workload_ops ds_workload_idle = {
	.name = "idle",
	.summary = "nothing: the clean case, a harvest of a device nobody wrote",
	.threaded = false,
	.setup = idle_setup,
	.populate = NULL,
	.step = idle_step,
	.teardown = idle_teardown,
};
