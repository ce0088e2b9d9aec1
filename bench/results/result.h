/* SPDX-License-Identifier: MIT */
/*
 * result.h - what one `dirtyscope run` measured: every timed call as a
 * sample, the profiler's phase totals, and the JSON parts (configuration,
 * host, placement) that go into meta.json. Computed once, rendered as a
 * table (stdout) and as files (meta.json, samples.csv, summary.json).
 */
#ifndef DS_RESULT_H
#define DS_RESULT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <dirtytrack/profile.h>

/* The timed operations; names as in the files ("get_bitmap", ...). */
enum ds_op {
	DS_OP_MAP,	    /* MAP_DMA of one mapping (setup) */
	DS_OP_POPULATE,	    /* a workload touching its memory first (never inside a measurement) */
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

/* One timed call. */
struct ds_sample {
	uint32_t iteration;	/* 0 for calls outside the dirty/harvest loop */
	uint8_t op;		/* enum ds_op */
	uint8_t request;	/* enum ds_request */
	uint8_t path;		/* enum ds_path */
	uint8_t harvest;	/* index into ds_result.harvests */
	uint16_t device;	/* index into ds_result.devices */
	uint32_t mapping;	/* index of the mapping for DS_REQ_MAPPING, else 0 */
	uint64_t bitmap_bytes;	/* bytes of bitmap the call returned (0 when none) */
	uint64_t pages;		/* pages the call covered */
	uint64_t ns;		/* CLOCK_MONOTONIC, integer nanoseconds */
	uint64_t memcpy_ns;	/* memcpy of bitmap_bytes right after it; 0 when none */
};

/* The profiler view: phase totals for one kind of request. */
struct ds_phase_total {
	uint8_t harvest;
	uint16_t device;
	uint8_t request; /* enum ds_request */
	uint8_t path;	 /* enum ds_path */
	uint8_t op;	 /* enum ds_op: get_bitmap */
	uint64_t requests; /* how many calls these totals cover */
	struct dt_profile profile;
};

/* One device of the run: a layout of mappings at its own IOVA base. */
struct ds_device_info {
	char layout[32];	/* "ragged:64" */
	uint64_t device_bytes;
	uint64_t mappings;
	uint64_t pages;
	uint64_t iova_base;
};

struct ds_result {
	const char *tool_version;
	const char *git_revision;
	/* Harvest implementations, in the order they ran. */
	const char *harvests[8];
	size_t nharvests;
	/* Up to 8 devices, and the pseudo device "all" for container-wide calls. */
	struct ds_device_info devices[9];
	size_t ndevices;

	struct ds_sample *samples;
	size_t nsamples, samples_cap;
	struct ds_phase_total *phases;
	size_t nphases, phases_cap;

	/* Owned references, built by the harness for meta.json. */
	json_t *config;	   /* the full configuration, every option with its value */
	json_t *host;	   /* CPU model, cores, memory, kernel, NUMA nodes, hugepages */
	json_t *placement; /* where the regions and bitmaps landed */
};

/* Append; 0 or -ENOMEM. */
int ds_result_add_sample(struct ds_result *r, const struct ds_sample *s);
int ds_result_add_phases(struct ds_result *r, const struct ds_phase_total *p);
/* Free what the result owns (not the struct itself). */
void ds_result_release(struct ds_result *r);

#endif
