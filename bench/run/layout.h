/* SPDX-License-Identifier: MIT */
/*
 * layout.h - how a device's IOVA window is cut into mappings:
 *   single       one mapping
 *   uniform:N    N equal mappings
 *   ragged:N     N mappings whose page counts are not multiples of 64, so a
 *                merged GET_BITMAP takes the shift/merge path for most
 *   viommu:N     N small mappings (4 KiB - 64 KiB) scattered over the
 *                window, as a guest behind a vIOMMU creates them
 */
#ifndef DS_LAYOUT_H
#define DS_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include <workloads/workload.h>

enum ds_layout_kind { DS_LAYOUT_SINGLE, DS_LAYOUT_UNIFORM, DS_LAYOUT_RAGGED, DS_LAYOUT_VIOMMU };

struct ds_layout {
	enum ds_layout_kind kind;
	uint64_t n;
	char name[32]; /* as the user wrote it, normalised: "ragged:64" */
};

/* Parse "single", "uniform:N", "ragged:N", "viommu:N". 0 or -EINVAL. */
int ds_layout_parse(const char *s, struct ds_layout *out);

/*
 * Cut @device_bytes at @iova_base into mappings of @pgsize pages, sorted by
 * IOVA, into a malloc'ed array. Returns 0, -EINVAL with a reason in @why
 * (too many mappings for the size), or -ENOMEM.
 */
int ds_layout_build(const struct ds_layout *l, uint64_t device_bytes, uint64_t pgsize,
		    uint64_t iova_base, uint64_t seed, struct ds_mapping **out, size_t *n,
		    const char **why);

#endif
