/* SPDX-License-Identifier: MIT */
/*
 * oracle_priv.h - the naive oracle's state, shared by its files: oracle.c
 * (type1) and oracle_hw.c (the hardware-dirty and DMA-logging modes).
 * Plain arrays, searched linearly; nothing here is tracker/src's.
 */
#ifndef DT_ORACLE_PRIV_H
#define DT_ORACLE_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <dirtytrack/dirtytrack.h>

struct oracle_mapping {
	uint64_t iova;
	uint64_t size;
	uint64_t vaddr;
	uint32_t prot;
	uint64_t npages;
	uint8_t *dirty; /* one byte per page while tracking, NULL otherwise */
	uint32_t *pins; /* pin references per page */
	uint64_t io_max; /* the largest IO page it may use */
	/* hw mode while the IOMMU tracks: one byte per 4 KiB the device wrote, else NULL. */
	uint8_t *written;
};

struct oracle_group {
	uint64_t id;
	enum dt_group_kind kind;
	unsigned int devices;
	bool scoped; /* "my dirtying is limited to pages I pin" */
};

/* One range the device logs (after merging), and what the device wrote in it. */
struct oracle_logrange {
	uint64_t iova;
	uint64_t last;
	uint8_t *written; /* one byte per 4 KiB of the range */
};

struct oracle_container {
	uint64_t pgsize;
	uint32_t dma_limit;
	bool v2;
	bool tracking;
	struct oracle_mapping *maps;
	size_t nmaps;
	struct oracle_group *groups;
	size_t ngroups;
	/* The second and third modes (oracle_hw.c). */
	enum dt_track_mode mode;
	uint64_t io_pgsize;	 /* a mapping's io_max when MAP does not say */
	uint32_t log_max_ranges; /* 0: no limit of the device's own */
	bool hw_tracking;
	bool logging;
	uint64_t log_page; /* the tracking page of the log */
	struct oracle_logrange *log;
	size_t nlog;
};

/* oracle.c's per-page arrays: zeroed, and costing nothing until touched when large. */
void *oracle_page_array_alloc(uint64_t n, size_t elem);
void oracle_page_array_free(void *p, uint64_t n, size_t elem);
/* oracle_hw.c: check and take the config's mode fields (0 or -EINVAL). */
int oracle_modes_configure(struct oracle_container *c, const struct dt_container_config *cfg);
/* oracle_hw.c: the IO page size a MAP asked for, resolved (0 or -EINVAL). */
int oracle_io_max(const struct oracle_container *c, uint64_t io_pgsize, uint64_t *out);
/* oracle_hw.c: a mapping's bytes of what the device wrote, for hw tracking (0 or -ENOMEM). */
int oracle_hw_mapping_track(struct oracle_mapping *m);
/* oracle_hw.c: free the hw and log state of a mapping or a container. */
void oracle_hw_mapping_free(struct oracle_mapping *m);
void oracle_log_free(struct oracle_container *c);

#endif
