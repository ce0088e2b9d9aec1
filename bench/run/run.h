/* SPDX-License-Identifier: MIT */
/* run.h - `dirtyscope run`: its configuration, and the measurement loop. */
#ifndef DS_RUN_H
#define DS_RUN_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include <workloads/workload.h>

#include "layout.h"
#include "pool.h"
#include "region.h"
#include "result.h"
#include "say.h"

#define DS_PGSIZE 4096ull
/* Devices start at 4 GiB, above the MSI window where a real IOMMU has a hole. */
#define DS_IOVA_BASE (4ull << 30)
/* Well inside the 47-bit user address space; memory is reserved, never committed. */
#define DS_MAX_TOTAL_BYTES (64ull << 40)
/* The kernel's largest dirty bitmap (256 MiB) covers 8 TiB at 4 KiB pages. */
#define DS_MAX_DEVICE_BYTES (8ull << 40)

#define DS_MAX_SIZES 16
#define DS_MAX_LAYOUTS 8
#define DS_MAX_WORKLOADS 4
#define DS_MAX_IO_PGSIZES 3

struct ds_run_opts {
	const char *backend;
	const char *device;	 /* what the backend opens (vfio: the group file) */
	const char *vfio_device; /* --vfio-device BDF */
	bool bind;		 /* --bind */
	const char *harvests[DS_MAX_HARVESTS];
	size_t nharvests;
	uint64_t sizes[DS_MAX_SIZES]; /* --device-size, in the order given */
	size_t nsizes;
	struct ds_layout layouts[DS_MAX_LAYOUTS];
	size_t nlayouts;
	const struct ds_workload_ops *workloads[DS_MAX_WORKLOADS];
	size_t nworkloads;
	unsigned int threads;
	uint64_t iterations, warmup, profile_iterations, cycles;
	uint64_t pages;
	uint64_t step_ms;
	enum ds_pattern pattern;
	unsigned int hot_percent, hot_share;
	uint64_t working_set; /* bytes; 0: the whole device */
	uint64_t rw_bytes;
	uint64_t churn;
	enum dt_group_kind viommu_group;
	enum ds_hugepages huge;
	int numa_node; /* -1: none */
	uint64_t seed;
	struct ds_downtime_params downtime;
	/* --marking during: workload threads mark while the harvests run. */
	bool marking_during;
	/* --tracking: the containers' mode; --io-page-size: one device per size (hw, dmalog). */
	enum dt_track_mode tracking;
	uint64_t io_pgsizes[DS_MAX_IO_PGSIZES];
	size_t nio;
	uint64_t stride; /* --stride, pages */
	const char *out;
	bool force;
	bool progress;
	/* The command line, for meta.json. */
	int argc;
	char **argv;
};

/* One workload acting on one device of one container. */
struct ds_run_workload {
	const struct ds_workload_ops *ops;
	struct ds_workload_params params;
	void *state;
};

/* A device in its container for one harvest: the container, its mappings, its workloads. */
struct ds_run_instance {
	struct ds_device dev;
	struct ds_run_workload wl[DS_MAX_WORKLOADS];
	size_t nwl;
	uint64_t step; /* workload steps so far */
};

struct ds_run;

struct ds_run_device {
	struct ds_run *run;
	uint16_t index;
	struct ds_layout layout;
	uint64_t size;
	uint64_t iova_base;
	uint64_t pages; /* of the IOVA window: the merged request's size */
	/* hw: the largest IO page of its mappings; dmalog: the log's tracking page; type1: 4 KiB. */
	uint64_t io_pgsize;
	struct ds_region region; /* the memory, shared by every harvest's container */
	struct ds_mapping *initial; /* the layout */
	size_t ninitial;
	/*
	 * The memcpy floor's source: as many bytes as the window's bitmap,
	 * rewritten after each harvest of the device as the harvest rewrites
	 * its own bitmaps, so that both are as cold when next read.
	 */
	uint8_t *shadow;
	uint64_t shadow_bytes;
	struct ds_run_instance inst[DS_MAX_HARVESTS];
};

struct ds_run {
	const struct ds_run_opts *opts;
	struct ds_result result;
	struct ds_run_device *devices;
	size_t ndevices;
	struct ds_pool *pool;
	/* The user's bitmap buffer, as large as the largest request. */
	uint64_t *user;
	uint64_t buf_bytes;
	uint8_t harvest;  /* index of the harvest running */
	uint8_t stage;	  /* enum ds_stage of the calls being made */
	uint32_t iteration;
	bool profiling;	  /* the profiler pass: phases, no samples */
	bool stream;	  /* append every sample to samples.csv as it is taken */
	volatile int *stop; /* set by SIGINT, SIGTERM, SIGHUP */
	char error[256];      /* what stopped the run, for the CLI to print */
	uint64_t progress_ns; /* when the progress line was last written */
};

/* Options: 0, 1 after --help, 2 after a one-line message (the exit status). */
int ds_run_parse_options(int argc, char **argv, struct ds_run_opts *o);
/* Checks that need several options together, or the machine: 0 or 2. */
int ds_run_validate(struct ds_run_opts *o);
/* Every option with its value, for meta.json. */
json_t *ds_run_config_json(const struct ds_run_opts *o, const char *out);
/* "dirtyscope run: " and the message on stderr; returns 2. */
#define ds_run_bad(...) ds_bad("run", __VA_ARGS__)

/*
 * The run folder, made exclusively before any work (results/README.md):
 * a default name that exists gets -2, -3, ...; --out must not exist or be
 * empty, unless --force, when the run goes to DIR.new.PID and is swapped
 * in at the end.
 */
struct ds_outdir {
	char path[PATH_MAX];	/* where the files go while the run goes */
	char final[PATH_MAX];	/* where they end up (differs with --force) */
	bool swap;		/* --force over a non-empty folder */
};

/* Make the run folder: 0, or -1 with @why. */
int ds_outdir_make(const struct ds_run_opts *o, struct ds_outdir *od, const char **why);
/* Swap a --force run into place (and remove the old one): 0 or -errno. */
int ds_outdir_finish(struct ds_outdir *od);
/* Remove the folder again, with what is in it (a run that kept nothing). */
void ds_outdir_remove(struct ds_outdir *od);

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
