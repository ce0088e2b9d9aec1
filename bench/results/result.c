// SPDX-License-Identifier: MIT
/* result.c - the run's result: names of its enums, appending, releasing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "result.h"

static const char *const op_names[DS_OP_COUNT] = {
	[DS_OP_MAP] = "map",
	[DS_OP_POPULATE] = "populate",
	[DS_OP_START] = "start",
	[DS_OP_DIRTY] = "dirty",
	[DS_OP_GET_BITMAP] = "get_bitmap",
	[DS_OP_UNMAP_BITMAP] = "unmap_bitmap",
	[DS_OP_STOP] = "stop",
	[DS_OP_UNMAP] = "unmap",
};

static const char *const stage_names[DS_STAGE_COUNT] = {
	[DS_STAGE_SETUP] = "setup",	[DS_STAGE_WARMUP] = "warmup",
	[DS_STAGE_STEADY] = "steady",	[DS_STAGE_CHURN] = "churn",
	[DS_STAGE_CYCLE] = "cycle",	[DS_STAGE_TEARDOWN] = "teardown",
};

const char *ds_stage_name(enum ds_stage s)
{
	return (unsigned int)s < DS_STAGE_COUNT ? stage_names[s] : NULL;
}

static const char *const request_names[DS_REQ_COUNT] = {
	[DS_REQ_NONE] = "-",
	[DS_REQ_MAPPING] = "mapping",
	[DS_REQ_MERGED] = "merged",
};

static const char *const path_names[DS_PATH_COUNT] = {
	[DS_PATH_NONE] = "-",
	[DS_PATH_ALIGNED] = "aligned",
	[DS_PATH_SHIFT] = "shift",
};

const char *ds_op_name(enum ds_op op)
{
	return (unsigned int)op < DS_OP_COUNT ? op_names[op] : NULL;
}

const char *ds_request_name(enum ds_request r)
{
	return (unsigned int)r < DS_REQ_COUNT ? request_names[r] : NULL;
}

const char *ds_path_name(enum ds_path p)
{
	return (unsigned int)p < DS_PATH_COUNT ? path_names[p] : NULL;
}

/*
 * Make room for one more element of @size bytes after @n in @arr: returns
 * the (maybe moved) array, or NULL with @arr untouched. Doubling keeps a run
 * of millions of samples at O(1) amortised per append.
 */
static void *grow(void *arr, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return arr;
	ncap = *cap ? *cap * 2 : 1024;
	if (ncap < *cap || ncap > SIZE_MAX / size)
		return NULL;
	p = realloc(arr, ncap * size);
	if (p)
		*cap = ncap;
	return p;
}

int ds_result_add_sample(struct ds_result *r, const struct ds_sample *s)
{
	struct ds_sample *p = grow(r->samples, &r->samples_cap, r->nsamples, sizeof(*s));

	if (!p)
		return -ENOMEM;
	r->samples = p;
	r->samples[r->nsamples++] = *s;
	return 0;
}

int ds_result_add_phases(struct ds_result *r, const struct ds_phase_total *p)
{
	struct ds_phase_total *t = grow(r->phases, &r->phases_cap, r->nphases, sizeof(*p));

	if (!t)
		return -ENOMEM;
	r->phases = t;
	r->phases[r->nphases++] = *p;
	return 0;
}

int ds_result_add_device(struct ds_result *r, const struct ds_device_info *d)
{
	struct ds_device_info *p = realloc(r->devices, (r->ndevices + 1) * sizeof(*p));

	if (!p)
		return -ENOMEM;
	r->devices = p;
	r->devices[r->ndevices++] = *d;
	return 0;
}

static const char *const status_names[] = {
	[DS_STATUS_RUNNING] = "running",
	[DS_STATUS_COMPLETE] = "complete",
	[DS_STATUS_INTERRUPTED] = "interrupted",
	[DS_STATUS_FAILED] = "failed",
};

const char *ds_status_name(enum ds_status s)
{
	return (unsigned int)s <= DS_STATUS_FAILED ? status_names[s] : NULL;
}

/* Leaves the result empty but usable, so releasing twice is harmless. */
void ds_result_release(struct ds_result *r)
{
	if (r->csv)
		fclose(r->csv);
	r->csv = NULL;
	free(r->csv_buf);
	r->csv_buf = NULL;
	free(r->devices);
	r->devices = NULL;
	r->ndevices = 0;
	free(r->samples);
	r->samples = NULL;
	r->nsamples = r->samples_cap = 0;
	free(r->phases);
	r->phases = NULL;
	r->nphases = r->phases_cap = 0;
	json_decref(r->config);
	json_decref(r->host);
	json_decref(r->placement);
	json_decref(r->command_line);
	r->config = r->host = r->placement = r->command_line = NULL;
}
