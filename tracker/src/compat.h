/* SPDX-License-Identifier: MIT */
/* compat.h - what a kernel compatibility mode changes in the model. */
#ifndef DT_COMPAT_H
#define DT_COMPAT_H

#include <stdbool.h>

#include <dirtytrack/container.h>

struct dt_compat {
	const char *name;
	/* After a shifted report, clear only the mapping's own pages (the 6.1 defect). */
	bool stale_bits;
	/*
	 * A container has no IOMMU until a group is attached: map, unmap,
	 * dirty tracking and info answer -EINVAL before any other check, and
	 * detaching the last group releases the IOMMU, with every mapping
	 * and the tracking state (VFIO_SET_IOMMU runs at the first attach).
	 */
	bool group_required;
	/*
	 * A NULL bitmap fails only when a mapping is reported (the kernel
	 * notices the bad pointer as it copies): with no mapping in the range
	 * the request succeeds, and the failed report leaves the mapping's
	 * bitmap marked (out of scope) and shifted, as the kernel does.
	 */
	bool efault_on_copy;
	/*
	 * A v1 (type1) container unmaps as the kernel's v1 does: no bisect
	 * check; a range that starts inside a mapping unmaps nothing and
	 * succeeds; a mapping that starts inside the range is removed whole.
	 */
	bool v1_unmap;
};

/* The mode called @name, or NULL. */
const struct dt_compat *dt_compat_find(const char *name);

#endif
