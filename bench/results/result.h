/* SPDX-License-Identifier: MIT */
/*
 * result.h - what one `dirtyscope run` measured: every timed call as a
 * sample, the profiler's phase totals, the run's status, and the JSON parts
 * (configuration, host, placement) that go into meta.json. Computed once,
 * rendered as a table (stdout) and as files (results/README.md).
 */
#ifndef DS_RESULT_H
#define DS_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include <dirtytrack/profile.h>

/* The timed operations; names as in the files ("get_bitmap", ...). */
enum ds_op {
	DS_OP_MAP,	    /* MAP_DMA of one mapping */
	DS_OP_POPULATE,	    /* the workloads touching their memory first (never inside a measurement) */
	DS_OP_START,	    /* dirty START */
	DS_OP_DIRTY,	    /* one workload step: the activity between harvests */
	DS_OP_GET_BITMAP,   /* GET_BITMAP */
	DS_OP_UNMAP_BITMAP, /* UNMAP_DMA with the dirty bitmap */
	DS_OP_STOP,	    /* dirty STOP */
	DS_OP_UNMAP,	    /* UNMAP_DMA without a bitmap */
	DS_OP_COUNT
};

/* When in the run a call was made (results/README.md, "stage"). */
enum ds_stage {
	DS_STAGE_SETUP,	   /* the layout's MAPs, populate, the first START */
	DS_STAGE_WARMUP,   /* the first --warmup iterations */
	DS_STAGE_STEADY,   /* the measured iterations */
	DS_STAGE_CHURN,	   /* MAP/UNMAP a workload asks for while tracking */
	DS_STAGE_CYCLE,	   /* the STOP/START pairs after the iterations */
	DS_STAGE_TEARDOWN, /* the final unmap-with-bitmap of every mapping, the last STOP */
	DS_STAGE_COUNT
};

/* How a request covers the device. */
enum ds_request {
	DS_REQ_NONE,	/* "-": not a per-range request (START, STOP, a workload step) */
	DS_REQ_MAPPING, /* one call per mapping */
	DS_REQ_MERGED,	/* one call over the whole device */
	DS_REQ_COUNT
};

/* Which path of the harvest a request takes. */
enum ds_path {
	DS_PATH_NONE,	 /* "-" */
	DS_PATH_ALIGNED, /* every mapping starts on a 64-bit word of the user's bitmap */
	DS_PATH_SHIFT,	 /* at least one does not: the shift/merge path */
	DS_PATH_COUNT
};

const char *ds_op_name(enum ds_op op);
const char *ds_request_name(enum ds_request r);
const char *ds_path_name(enum ds_path p);
const char *ds_stage_name(enum ds_stage s);

/* One timed call: 64 bytes. */
struct ds_sample {
	uint32_t iteration;	/* from 1 in the dirty/harvest loop (the cycle in DS_STAGE_CYCLE), else 0 */
	uint8_t op;		/* enum ds_op */
	uint8_t request;	/* enum ds_request */
	uint8_t path;		/* enum ds_path */
	uint8_t stage;		/* enum ds_stage */
	uint8_t harvest;	/* index into ds_result.harvests */
	uint16_t device;	/* index into ds_result.devices */
	uint32_t mapping;	/* index of the mapping for DS_REQ_MAPPING, else 0 */
	uint64_t bitmap_bytes;	/* bytes of bitmap buffer given to the call (0 when none) */
	uint64_t pages;		/* pages the call covered */
	uint64_t dirty_pages;	/* bits set in the returned bitmap (0 when none) */
	uint64_t ns;		/* CLOCK_MONOTONIC, integer nanoseconds */
	uint64_t memcpy_bytes;	/* bytes of the paired floor (what the call wrote); 0 when none */
	uint64_t memcpy_ns;	/* the paired floor; 0 when none */
};

/* The profiler view: phase totals for one kind of request. */
struct ds_phase_total {
	uint8_t harvest;
	uint16_t device;
	uint8_t request; /* enum ds_request */
	uint8_t path;	 /* enum ds_path */
	uint8_t op;	 /* enum ds_op: get_bitmap */
	uint64_t requests; /* how many calls these totals cover */
	struct dt_profile profile; /* names, ns and calls per phase, walk_nodes */
};

/* One device of the run: a layout of mappings at its own IOVA base. */
struct ds_device_info {
	char layout[32];	/* "ragged:64", "all" */
	char group[16];		/* what the workloads attached: "iommu", "mediated", "none" */
	uint64_t device_bytes;
	uint64_t mappings;
	uint64_t pages;
	uint64_t iova_base;
};

enum ds_status { DS_STATUS_RUNNING, DS_STATUS_COMPLETE, DS_STATUS_INTERRUPTED, DS_STATUS_FAILED };

const char *ds_status_name(enum ds_status s);

/* The downtime estimate's inputs (summary.json "downtime"). */
struct ds_downtime_params {
	uint64_t bandwidth_bytes_per_s;
	uint64_t state_bytes;
	uint64_t limit_ns;
	uint64_t pgsize;
};

#define DS_MAX_HARVESTS 8

struct ds_result {
	const char *tool_version;
	const char *git_revision;
	const char *backend;
	/* Harvest implementations, in the order they ran. */
	const char *harvests[DS_MAX_HARVESTS];
	size_t nharvests;
	/* The devices, then the pseudo device "all" for container-wide calls when several. */
	struct ds_device_info *devices;
	size_t ndevices;

	struct ds_sample *samples;
	size_t nsamples, samples_cap;
	struct ds_phase_total *phases;
	size_t nphases, phases_cap;

	/* What the run was and how it ended. */
	enum ds_status status;
	int signal;	  /* the signal that interrupted it, else 0 */
	char error[256];  /* what failed, when DS_STATUS_FAILED */
	char created_utc[32];
	uint64_t clock_pair_ns, clock_resolution_ns;
	uint64_t warmup, steady, profile_iterations, cycles;
	/* The container is out of pinned-page scope: every harvest reports every page. */
	bool all_dirty;
	struct ds_downtime_params downtime;

	/* Owned references, built by the harness for meta.json. */
	json_t *config;	      /* the full configuration, every option with its value */
	json_t *host;	      /* CPU model, cores, memory, kernel, NUMA nodes, hugepages */
	json_t *placement;    /* where the regions and bitmaps landed */
	json_t *command_line; /* the arguments, as given */

	/* samples.csv while the run goes (output_files.c); NULL when not streaming. */
	FILE *csv;
	char *csv_buf;
	size_t csv_flushed;    /* samples written to @csv so far */
	uint64_t csv_flush_ns; /* when @csv was last flushed */
	int csv_error;	    /* the first write error, -errno */
};

/* Append; 0 or -ENOMEM. */
int ds_result_add_sample(struct ds_result *r, const struct ds_sample *s);
int ds_result_add_phases(struct ds_result *r, const struct ds_phase_total *p);
/* Add a device; 0 or -ENOMEM. The new one is r->devices[r->ndevices - 1]. */
int ds_result_add_device(struct ds_result *r, const struct ds_device_info *d);
/* Free what the result owns (not the struct itself); closes the CSV stream. */
void ds_result_release(struct ds_result *r);

#endif
