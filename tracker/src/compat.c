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
	 * to 63 bits shifted past its end survive into later reports; both
	 * need a group before anything else and see a NULL bitmap only when
	 * they copy, and unmap in a v1 container as v1 always did. Checked bit for bit against Debian's 6.1.0-57 and
	 * 6.12.117+deb12 packages under QEMU by the `kernel` tests (the
	 * project's replay files and 300 random sequences each).
	 */
	{.name = "linux-6.1",
	 .stale_bits = true,
	 .group_required = true,
	 .efault_on_copy = true,
	 .v1_unmap = true},
	{.name = "linux-6.12",
	 .stale_bits = true,
	 .group_required = true,
	 .efault_on_copy = true,
	 .v1_unmap = true},
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
