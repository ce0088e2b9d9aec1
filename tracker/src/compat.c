// SPDX-License-Identifier: MIT
/*
 * compat.c - the kernels whose bits the model can reproduce exactly,
 * defects included (dt_container_config.compat). docs/kernel.md records
 * what each one was checked against.
 */
#include <stddef.h>
#include <string.h>

#include "compat.h"

static const struct dt_compat compats[] = {
	/*
	 * Both clear only a mapping's own nbits after a shifted report, so up
	 * to 63 bits shifted past its end survive into later reports (seen on
	 * Debian's 6.1 and 6.12 packages under QEMU).
	 */
	{.name = "linux-6.1", .stale_bits = true},
	{.name = "linux-6.12", .stale_bits = true},
};

static const char *const compat_names[] = {"linux-6.1", "linux-6.12", NULL};

const char *const *dt_compat_names(void)
{
	return compat_names;
}

const struct dt_compat *dt_compat_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(compats) / sizeof(compats[0]); i++)
		if (!strcmp(name, compats[i].name))
			return &compats[i];
	return NULL;
}
