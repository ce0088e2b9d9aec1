/* SPDX-License-Identifier: MIT */
/*
 * reader.h - read a run folder of `dirtyscope run` (results/README.md,
 * schema_version 2) for the commands that work on results: plan --from,
 * compare and plot. One reader, so that every command accepts and rejects
 * the same folders with the same messages.
 *
 * Not thread-safe per folder; folders are independent. Nothing here prints:
 * a failure fills the caller's message buffer with one line that names the
 * file and the field ("summary.json: rows[3].median_ns: missing").
 */
#ifndef DS_READER_H
#define DS_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* What to load besides meta.json and summary.json. */
#define DS_RF_SAMPLES (1u << 0) /* samples.csv, every line */
/* Accept a folder whose status is "running" (no summary.json): samples only. */
#define DS_RF_PARTIAL (1u << 1)

enum ds_rf_status { DS_RF_RUNNING, DS_RF_COMPLETE, DS_RF_INTERRUPTED, DS_RF_FAILED };

struct ds_rf_device {
	char *layout;	/* "ragged:64" */
	char *group;	/* "iommu", "mediated", "none" */
	uint64_t device_bytes, mappings, pages, iova_base;
};

/* One object of summary.json's rows. Strings point into the folder's tables. */
struct ds_rf_row {
	const char *harvest, *op, *request, *path, *stage, *layout;
	size_t device;
	uint64_t device_bytes, mappings, pages, bitmap_bytes;
	int64_t dirty_pages; /* -1: null */
	uint64_t n, min_ns, median_ns, p90_ns, p99_ns, max_ns;
	bool clock_limited;
	uint64_t memcpy_n;
	int64_t memcpy_bytes, memcpy_median_ns; /* -1: null */
	double ratio_to_memcpy, ratio_median;	/* NAN: null */
};

/* One line of samples.csv; names as indices into the folder's string tables. */
struct ds_rf_sample {
	uint32_t iteration;
	uint32_t mapping;
	uint16_t device;
	uint8_t harvest; /* index into ds_run_folder.harvests */
	uint8_t op, request, path, stage; /* indices into ds_rf_names(...) */
	uint64_t bitmap_bytes, pages, dirty_pages, ns, memcpy_bytes, memcpy_ns;
	/* index into ds_run_folder.rows of the row this sample counts in; UINT32_MAX when
	 * the folder has no summary or (only in a failed run) no row has its kind */
	uint32_t row;
};

struct ds_rf_phase {
	const char *name;
	uint64_t calls, total_ns;
};

/* One object of summary.json's memcpy: the floor for one size. */
struct ds_rf_memcpy {
	uint64_t memcpy_bytes, n, median_ns;
};

/* One object of summary.json's phases. */
struct ds_rf_phases {
	const char *harvest, *op, *request, *path, *layout;
	size_t device;
	uint64_t requests, walk_nodes;
	struct ds_rf_phase *phases;
	size_t nphases;
};

/* One object of summary.json's downtime.estimates. */
struct ds_rf_downtime {
	const char *harvest, *query, *layout;
	size_t device;
	uint64_t device_bytes, mappings, calls;
	uint64_t final_harvest_ns, dirty_pages, dirty_bytes;
	bool all_dirty, fits;
	uint64_t transfer_ns, state_ns, downtime_ns, qemu_expected_downtime_ns;
	double tracking_share;
};

struct ds_run_folder {
	char *path;
	json_t *meta;	 /* the whole meta.json (host, config, ...), owned */
	json_t *summary; /* the whole summary.json, owned; NULL with DS_RF_PARTIAL and no summary */
	enum ds_rf_status status;
	const char *error, *signal; /* null in the file: NULL */
	const char *backend, *git_revision, *created_utc;
	uint64_t clock_pair_ns;

	char **harvests;
	size_t nharvests;
	struct ds_rf_device *devices;
	size_t ndevices;

	struct ds_rf_row *rows;
	size_t nrows;
	struct ds_rf_phases *phases;
	size_t nphases;
	/* downtime parameters and estimates; ndowntime 0 when the run made none */
	uint64_t bandwidth_bytes_per_s, state_bytes, limit_ns;
	struct ds_rf_downtime *downtime;
	size_t ndowntime;

	struct ds_rf_sample *samples; /* with DS_RF_SAMPLES */
	size_t nsamples;

	struct ds_rf_memcpy *memcpy; /* ascending memcpy_bytes */
	size_t nmemcpy;
};

/*
 * Open the run folder @dir. Returns 0 and sets *@out, or a negative errno:
 * -ENOENT (no such folder, or a file missing), -EINVAL (a file that is not
 * what results/README.md says: malformed JSON or CSV, a missing or mistyped
 * field, a name outside its enum, an index out of range, a schema_version
 * other than 2, a status of "running" without DS_RF_PARTIAL), -ENOMEM,
 * or the errno of a failed read. On failure @why (of @whylen bytes) holds
 * one line naming the file and the field; *@out is untouched.
 *
 * What is checked beyond types and names: every harvest, device and layout
 * agrees with meta.json; a row's statistics are ordered (min <= median <=
 * p90 <= p99 <= max); no two rows share a kind; and, with DS_RF_SAMPLES,
 * for a complete or interrupted run every sample belongs to a row and each
 * row's n counts its samples (a half-written or mixed folder fails). A
 * samples.csv whose last line is cut is accepted (the line dropped) only
 * when the status is running or failed.
 */
int ds_rf_open(const char *dir, unsigned int flags, struct ds_run_folder **out, char *why,
	       size_t whylen);

/* Release a folder from ds_rf_open(); NULL is allowed. */
void ds_rf_close(struct ds_run_folder *rf);

/* "running", "complete", "interrupted", "failed". */
const char *ds_rf_status_name(enum ds_rf_status s);

/* The names behind the indices of ds_rf_sample (enum ds_op, ds_request, ds_path, ds_stage of result.h). */
const char *ds_rf_op_name(uint8_t op);
const char *ds_rf_request_name(uint8_t request);
const char *ds_rf_path_name(uint8_t path);
const char *ds_rf_stage_name(uint8_t stage);

#endif
