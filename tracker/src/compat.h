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
};

/* The mode called @name, or NULL. */
const struct dt_compat *dt_compat_find(const char *name);

#endif
