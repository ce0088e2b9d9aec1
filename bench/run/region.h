/* SPDX-License-Identifier: MIT */
/*
 * region.h - the memory behind a device: anonymous, MAP_NORESERVE so that a
 * device larger than RAM can be mapped and tracked while only the pages the
 * workloads write ever exist; transparent or hugetlb huge pages on request;
 * bound to a NUMA node with libnuma on request.
 */
#ifndef DS_REGION_H
#define DS_REGION_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

enum ds_hugepages { DS_HUGE_NONE, DS_HUGE_THP, DS_HUGE_HUGETLB };

struct ds_region {
	uint8_t *mem;
	size_t len;
	enum ds_hugepages huge;
	int node; /* -1: no binding */
};

/*
 * Can this machine hold what the workloads will touch: @pages pages spread
 * over each of @ndevices devices of @device_bytes, backed as @huge says?
 * 0, or -errno with the reason in @why.
 */
int ds_memory_check(enum ds_hugepages huge, uint64_t device_bytes, uint64_t pages,
		    size_t ndevices, const char **why);

/* The size of one hugetlb page, or 0 when there is none. */
uint64_t ds_hugetlb_page_bytes(void);

/*
 * Reserve @len bytes (rounded up to the huge page size for hugetlb).
 * Returns 0 or -errno (-ENOMEM: no address space that large).
 */
int ds_region_create(struct ds_region *r, uint64_t len, enum ds_hugepages huge, int node);
void ds_region_destroy(struct ds_region *r);

/*
 * Where the pages at @addr (up to @max of them, spread over @len bytes,
 * only those already present) landed: {"sampled_pages": n, "nodes":
 * {"0": k, ...}}, or NULL without NUMA support.
 */
json_t *ds_placement(const void *addr, size_t len, size_t max);

#endif
