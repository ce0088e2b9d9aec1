/* SPDX-License-Identifier: MIT */
/* run.h - `dirtyscope run`: its configuration, and the measurement loop. */
#ifndef DS_RUN_H
#define DS_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <limits.h>
#include <time.h>

#include <jansson.h>

#include <workloads/workload.h>

#include "layout.h"
#include "pool.h"
#include "region.h"
#include "result.h"

#define DS_PGSIZE 4096ull
/* Devices start at 4 GiB, above the MSI window where a real IOMMU has a hole. */
#define DS_IOVA_BASE (4ull << 30)
/* Well inside the 47-bit user address space; memory is reserved, never committed. */
#define DS_MAX_TOTAL_BYTES (64ull << 40)

#define DS_MAX_DEVICES 8
#define DS_MAX_WORKLOADS 4
#define DS_MAX_HARVESTS 8

struct ds_run_opts {
	const char *backend;
	const char *harvests[DS_MAX_HARVESTS];
	size_t nharvests;
	uint64_t device_size;
	struct ds_layout layouts[DS_MAX_DEVICES];
	size_t nlayouts;
	const struct ds_workload_ops *workloads[DS_MAX_WORKLOADS];
	size_t nworkloads;
	unsigned int threads;
	uint64_t iterations;
	uint64_t profile_iterations;
	uint64_t pages;
	uint64_t step_ms;
	enum ds_pattern pattern;
	unsigned int hot_percent, hot_share;
	uint64_t working_set; /* bytes; 0: the whole device */
	uint64_t rw_bytes;
	uint64_t churn;
	enum ds_hugepages huge;
	int numa_node; /* -1: none */
	uint64_t seed;
	const char *out;
	bool progress;
};

/* One workload acting on one device. */
struct ds_run_workload {
	const struct ds_workload_ops *ops;
	struct ds_workload_params params;
	void *state;
};

struct ds_run;

struct ds_run_device {
	struct ds_run *run;
	uint16_t index;
	struct ds_layout layout;
	struct ds_region region;
	struct ds_device dev;
	struct ds_mapping *initial; /* the layout, remapped for every harvest */
	size_t ninitial;
	uint64_t pages; /* of the IOVA window: the merged request's size */
	struct ds_run_workload wl[DS_MAX_WORKLOADS];
	size_t nwl;
};

struct ds_run {
	const struct ds_run_opts *opts;
	struct ds_result result;
	struct ds_run_device devices[DS_MAX_DEVICES];
	size_t ndevices;
	struct ds_pool *pool;
	/* Bitmap buffers as large as the largest merged request: the user's, and memcpy's. */
	uint64_t *user, *src, *dst;
	uint64_t buf_bytes;
	uint8_t harvest; /* index of the harvest running */
	/* The device index for container-wide calls: a pseudo device "all" when several. */
	uint16_t container_device;
	uint32_t iteration;
	volatile sig_atomic_t *interrupted;
	char error[256];      /* what stopped the run, for the CLI to print */
	uint64_t progress_ns; /* when the progress line was last written */
};

/* Options: 0, 1 after --help, 2 after a one-line message (the exit status). */
int ds_run_parse_options(int argc, char **argv, struct ds_run_opts *o);
/* Checks that need several options together, or the machine: 0 or 2. */
int ds_run_validate(struct ds_run_opts *o);
/* Every option with its value, for meta.json. */
json_t *ds_run_config_json(const struct ds_run_opts *o, const char *out, bool interrupted);
/* "dirtyscope run: " and the message on stderr; returns 2. */
__attribute__((format(printf, 1, 2))) int ds_run_bad(const char *fmt, ...);

/*
 * The run folder is made before any work, so that an unwritable --out is an
 * error up front; what was made is remembered, to be removed again when the
 * run ends without results.
 */
struct ds_made_dirs {
	char path[PATH_MAX];
	size_t depth; /* how many of its trailing components this run created */
};

/* Make @dir and its parents, and check it takes files: 0, or -1 with @why. */
int ds_make_out(const char *dir, struct ds_made_dirs *made, const char **why);
/* Remove what ds_make_out() made; folders that hold anything stay. */
void ds_remove_made(struct ds_made_dirs *made);
/* A new folder name under results/runs/ for this run. */
void ds_default_out(const struct ds_run_opts *o, char *buf, size_t len);

/*
 * Measure every harvest of @run->opts on the devices set up in @run.
 * Returns 0, or -errno with @run->error saying what failed; the samples
 * taken so far stay in @run->result either way.
 */
int ds_run_measure(struct ds_run *run);

static inline uint64_t ds_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif
