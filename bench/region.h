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

/* What this machine can serve; the reason in @why when it cannot. */
int ds_hugepages_check(enum ds_hugepages huge, uint64_t touched_bytes, const char **why);

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
