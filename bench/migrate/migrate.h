/* SPDX-License-Identifier: MIT */
/*
 * migrate.h - `dirtyscope migrate`: a real pre-copy migration of a device
 * region over a loopback TCP link, so that every downtime estimate (the
 * planner's, QEMU's expected_downtime) stands next to a downtime measured
 * under the same conditions. docs/migrate.md has the design; results/
 * migrate.md the run folder.
 *
 * The pieces, one file each:
 *   migrate_options.c  the command line
 *   link.c             the loopback TCP link and its token bucket (link.h)
 *   wire.c             the messages and the page checksum (wire.h)
 *   writers.c          the threads that dirty the source (writers.h)
 *   source.c           the source's device: region, container, harvests, sends
 *   destination.c      the destination: receive, apply, resume, verify
 *   precopy.c          one migration: the rounds, the switchover, stop-and-copy
 *   predict.c          what `dirtyscope plan` predicts for the same inputs
 *   migrate_output.c   the table and the run folder
 *   migrate.c          the command: the sweep of migrations, signals, status
 */
#ifndef DS_MIGRATE_H
#define DS_MIGRATE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include <workloads/workload.h>

#include "plan.h"
#include "say.h"

#define DS_MIG_PAGE 4096ull
/* The device's IOVA window starts at 4 GiB, as `run`'s devices do. */
#define DS_MIG_IOVA_BASE (4ull << 30)
#define DS_MIG_MAX_SIZES 16
#define DS_MIG_MAX_RATES 8
#define DS_MIG_MAX_THREADS 64
/* Both copies of the region live in this process (or this machine). */
#define DS_MIG_MAX_DEVICE (64ull << 30)

/* Exit statuses beyond 0 (done), 1 (failed) and 2 (bad options). */
#define DS_MIG_EXIT_NOT_CONVERGED 3

/*
 * Test-only fault hooks, from the environment variable DIRTYSCOPE_FAULT
 * (docs/migrate.md, "Fault hooks"); never set in normal use.
 */
enum ds_mig_fault_kind {
	DS_FAULT_NONE,
	/* Drop one dirty page from the stop-and-copy: the check must fail. */
	DS_FAULT_DROP_BIT,
	/* The destination stops reading after HELLO: it falls behind for good. */
	DS_FAULT_DEST_STALL,
	/* The destination closes the connection in round 0: a broken link. */
	DS_FAULT_DEST_CLOSE,
};

struct ds_mig_opts {
	const char *backend;
	const char *harvest;
	uint64_t sizes[DS_MIG_MAX_SIZES];
	size_t nsizes;
	uint64_t bandwidths[DS_MIG_MAX_RATES];
	size_t nbandwidths;
	uint64_t dirty_rates[DS_MIG_MAX_RATES];
	size_t ndirty_rates;
	uint64_t mappings;
	enum ds_pattern pattern;
	unsigned int hot_percent, hot_share;
	uint64_t working_set; /* bytes; 0: the whole device */
	unsigned int threads;
	uint64_t rw_bytes;
	uint64_t state_bytes;
	uint64_t limit_ns;
	uint64_t max_rounds;
	uint64_t io_timeout_ns;
	uint64_t seed;
	/* --listen: only the destination, here; --connect: only the source, there. */
	const char *listen, *connect;
	struct sockaddr_in listen_addr, connect_addr;
	const char *out;
	bool progress;
	enum ds_mig_fault_kind fault;
	int argc;
	char **argv;
};

/* One migration of a sweep: a device size, a link bandwidth, a dirty rate. */
struct ds_mig_point {
	uint64_t device_bytes;
	uint64_t bandwidth; /* bytes/s */
	uint64_t dirty_rate; /* bytes/s of page writes */
	uint64_t working_set; /* bytes, clamped to the device */
};

enum ds_mig_round_kind { DS_ROUND_PRECOPY, DS_ROUND_STOP };

/* One round of pre-copy, or the stop-and-copy (kind DS_ROUND_STOP). */
struct ds_mig_round {
	uint32_t round;
	enum ds_mig_round_kind kind;
	uint64_t start_ns;  /* since the migration began */
	uint64_t pages_sent;
	uint64_t bytes_sent; /* on the wire: pages, their indices, headers (and the state) */
	uint64_t send_ns;    /* handing those bytes to the paced link */
	uint64_t harvest_ns; /* the harvest that ends the round (the final one for stop) */
	uint64_t dirty_pages; /* what that harvest reported */
	uint64_t round_ns;   /* send + harvest (stop: the downtime) */
	uint64_t link_bytes_per_s; /* QEMU's measured bandwidth after the round */
	uint64_t pending_bytes;    /* dirty pages to send + device state */
	uint64_t threshold_bytes;  /* measured bandwidth x downtime limit */
	uint64_t qemu_expected_downtime_ns; /* dirty bytes / measured bandwidth */
	uint64_t page_writes; /* writes the writers made during the round */
};

/* The measured downtime: from the pause to the destination's resume. */
struct ds_mig_downtime {
	uint64_t total_ns;
	uint64_t stop_ns;	  /* the pause: writers told to stop, until they have */
	uint64_t final_harvest_ns;
	uint64_t transfer_ns;	  /* the remaining dirty pages */
	uint64_t state_ns;	  /* the device state */
	uint64_t resume_ns;	  /* last byte handed over -> the destination resumes */
	uint64_t pages;		  /* dirty pages sent during the downtime */
	uint64_t transfer_bytes;  /* their bytes on the wire, and the state's */
	uint64_t link_lost_ns;	  /* the link idle for a late sender meanwhile (link.h) */
};

enum ds_mig_outcome {
	DS_MIG_CONVERGED,   /* switched over when the pending bytes fit the limit */
	DS_MIG_FORCED,	    /* switched over at --max-rounds */
	DS_MIG_FAILED,	    /* a connection, a tracker call, or the check failed */
	DS_MIG_INTERRUPTED, /* a signal */
};

struct ds_mig_verify {
	bool done;	/* the destination answered */
	bool ok;	/* every page and the state match */
	uint64_t pages;
	uint64_t mismatched;
	uint64_t first[16]; /* the first mismatched pages */
	uint64_t nfirst;
	bool state_ok;
};

struct ds_mig_prediction {
	bool valid;
	struct ds_plan_size plan;
};

struct ds_mig_result {
	struct ds_mig_point pt;
	enum ds_mig_outcome outcome;
	char error[256]; /* when failed */
	struct ds_mig_round *rounds;
	size_t nrounds, rounds_cap;
	uint64_t precopy_rounds;
	uint64_t precopy_ns;
	bool switched;	/* reached the stop-and-copy */
	bool resumed;	/* the destination said it resumed */
	struct ds_mig_downtime down;
	uint64_t qemu_expected_downtime_ns; /* at the switchover decision */
	uint64_t link_bytes_per_s;	    /* the measured bandwidth at switchover */
	uint64_t link_blocked_ns;	    /* time the socket took no more bytes */
	uint64_t link_lost_ns;		    /* time the link sat idle for a late sender */
	uint64_t link_chunk_bytes, link_depth_ns;
	uint64_t bytes_sent, pages_sent;    /* the whole migration */
	uint64_t page_writes, writes_ns;    /* what the writers did, and for how long */
	uint64_t harvest_median_ns;	    /* of the pre-copy harvests */
	struct ds_mig_verify verify;
	int64_t fault_page; /* the page the drop-bit hook dropped; -1 none */
	struct ds_mig_prediction plan, plan_measured;
	/* What may make the measurement a poor one (a loaded machine), one line each. */
	char warnings[3][200];
	unsigned int nwarnings;
};

/*
 * Options: 0 to go on, -1 after --help (exit 0), 2 after one line on
 * stderr naming the bad option (exit 2).
 */
int ds_mig_parse_options(int argc, char **argv, struct ds_mig_opts *o);
/* "dirtyscope migrate: " and the message on stderr; returns 2. */
#define ds_mig_bad(...) ds_bad("migrate", __VA_ARGS__)
/* Every option with its value, for meta.json. */
json_t *ds_mig_config_json(const struct ds_mig_opts *o);
const char *ds_mig_pattern_name(enum ds_pattern p);
const char *ds_mig_outcome_name(enum ds_mig_outcome o);

/* The migrations of the sweep, sizes x bandwidths x dirty rates, in that order. */
size_t ds_mig_points(const struct ds_mig_opts *o, struct ds_mig_point *pts, size_t max);

/*
 * Migrate once (precopy.c): the source here, the destination at @dest
 * (listening); @last tells the destination no other migration follows.
 * Fills @res whatever happens; returns 0 (converged or forced, and
 * verified), or -errno with res->error saying what failed.
 */
int ds_mig_run(const struct ds_mig_opts *o, const struct ds_mig_point *pt,
	       const struct sockaddr_in *dest, bool last, const volatile int *stop,
	       struct ds_mig_result *res);
void ds_mig_result_release(struct ds_mig_result *res);

/* What `dirtyscope plan` says for @pt (predict.c): with its built-in cost terms, and with
 * the harvest this migration measured. */
void ds_mig_predict(const struct ds_mig_opts *o, struct ds_mig_result *res);

/* The destination's report of one migration (destination.c). */
struct ds_dest_report {
	uint64_t pages, state_bytes;
	uint64_t pages_received, bytes_received;
	uint64_t resume_ns;
	bool resumed;
	struct ds_mig_verify verify;
	bool last;
	char error[256];
};

/*
 * Serve migrations on the listening socket @lfd, one connection each,
 * until one that says it is the last, or an error, or *@stop; each
 * connection must come within @accept_timeout_ns. Reports go
 * to @rep (room for @max; *@n set). Returns 0 or -errno with the failing
 * report's error set (or @err when none was open).
 */
int ds_dest_serve(int lfd, const struct ds_mig_opts *o, uint64_t accept_timeout_ns,
		  const volatile int *stop, struct ds_dest_report *rep, size_t max, size_t *n,
		  char *err, size_t errlen);

/* Output (migrate_output.c). */
/* A rate as --dirty-rate spells it, decimal: "16 MB/s". Returns @b. */
const char *ds_mig_format_rate(char *b, size_t n, double bytes_per_s);
void ds_mig_print_migration(const struct ds_mig_opts *o, const struct ds_mig_result *r,
			    size_t index, size_t count);
void ds_mig_print_sweep(const struct ds_mig_result *r, size_t n);

enum ds_mig_status { DS_MIG_RUNNING, DS_MIG_COMPLETE, DS_MIG_INT, DS_MIG_FAIL };

struct ds_mig_folder {
	char path[4096];
	char created_utc[32];
	const struct ds_mig_opts *opts;
	const struct ds_mig_point *pts;
	size_t npts;
};

/* Make the folder (new, or empty) and write meta.json "running": 0 or -1 with @why. */
int ds_mig_folder_begin(struct ds_mig_folder *f, const struct ds_mig_opts *o,
			const struct ds_mig_point *pts, size_t npts, const char **why);
/*
 * Write rounds.csv, migrations.csv, summary.json and meta.json with
 * @status (each whole: a temporary name, fsync, rename). 0 or -errno.
 */
int ds_mig_folder_write(struct ds_mig_folder *f, enum ds_mig_status status, int signal,
			const char *error, const struct ds_mig_result *r, size_t n);

static inline uint64_t ds_mig_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif
