/* SPDX-License-Identifier: MIT */
/*
 * harvest.h - the implementations of the model's harvest: how one mapping's
 * dirty bits reach the user's bitmap and how its own bitmap is reset.
 * Each one must produce the naive model's bits; they differ in cost.
 */
#ifndef DT_HARVEST_H
#define DT_HARVEST_H

#include <stdbool.h>
#include <stdint.h>

struct model;
struct model_mapping;

struct dt_harvest_ops {
	const char *name;
	/*
	 * Report @m into @user (zero-filled by the caller, except for the bits
	 * earlier mappings of the same request wrote) at bit @bit_offset, then
	 * leave @m's bitmap holding exactly its pinned pages. With @set_all
	 * every page of @m is reported dirty (an IOMMU-mapped range while the
	 * container is out of pinned-page scope). Runs under the model's lock;
	 * cannot fail: every argument was checked before.
	 */
	void (*report)(struct model *md, struct model_mapping *m, uint64_t *user,
		       uint64_t bit_offset, bool set_all);
};

extern const struct dt_harvest_ops dt_harvest_reference;

/* The harvest implementations by name, NULL-terminated. */
extern const struct dt_harvest_ops *const dt_harvests[];

#endif
