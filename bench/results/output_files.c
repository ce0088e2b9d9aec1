// SPDX-License-Identifier: MIT
/*
 * output_files.c - the run folder: meta.json, samples.csv and summary.json,
 * as results/README.md documents them (results/schema/ checks them).
 *
 * meta.json says "running" from the start and the final status at the end;
 * samples.csv is streamed as the run goes, so that a kill or a crash keeps
 * what was measured; the JSON files are written whole under a temporary
 * name, synced and renamed, and the folder synced after, so that no reader
 * (or crash) ever sees half a file.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "files.h"
#include "stop.h"
#include "output.h"

#define SCHEMA_VERSION 2

/* samples.csv reaches the disk at least this often while the run goes. */
#define CSV_FLUSH_NS 1000000000ull

/* samples.csv is millions of lines: a large buffer saves write(2) calls. */
#define CSV_BUFFER (1 << 20)


/*
 * JSON building with one error for the whole tree: the helpers take the
 * error's address, set it on the first failure and then only free what
 * they are given, so the builders read straight through.
 */
static json_t *ju64(uint64_t v, int *err)
{
	json_t *j;

	/* jansson's integers are signed 64-bit; larger ones would wrap. */
	if (v > INT64_MAX) {
		if (!*err)
			*err = -EOVERFLOW;
		return NULL;
	}
	j = json_integer((json_int_t)v);
	if (!j && !*err)
		*err = -ENOMEM;
	return j;
}

static json_t *jstr(const char *s, size_t len, int *err)
{
	json_t *j = json_stringn(s, len);

	/* NULL also for invalid UTF-8, which no name of ours contains. */
	if (!j && !*err)
		*err = -ENOMEM;
	return j;
}

static json_t *jnew(json_t *j, int *err)
{
	if (!j && !*err)
		*err = -ENOMEM;
	return j;
}

static void jset(json_t *obj, const char *key, json_t *val, int *err)
{
	if (!val) {
		if (!*err)
			*err = -ENOMEM;
		return;
	}
	/* Consumes val even when it fails, obj NULL included. */
	if (json_object_set_new(obj, key, val) && !*err)
		*err = -ENOMEM;
}

static void jappend(json_t *arr, json_t *val, int *err)
{
	if (!val) {
		if (!*err)
			*err = -ENOMEM;
		return;
	}
	if (json_array_append_new(arr, val) && !*err)
		*err = -ENOMEM;
}

static json_t *jname(const char *s, int *err)
{
	return jstr(s, strlen(s), err);
}

static json_t *jlayout(const struct ds_device_info *d, int *err)
{
	return jstr(d->layout, strnlen(d->layout, sizeof(d->layout)), err);
}

/* Indexes in range, names present: what every renderer below relies on. */
static bool valid_keys(const struct ds_result *r, unsigned int harvest, unsigned int device,
		       unsigned int op, unsigned int request, unsigned int path, unsigned int stage)
{
	return harvest < r->nharvests && device < r->ndevices && op < DS_OP_COUNT &&
	       request < DS_REQ_COUNT && path < DS_PATH_COUNT && stage < DS_STAGE_COUNT;
}

static int check_result(const struct ds_result *r, const struct ds_row *rows, size_t nrows)
{
	size_t i;

	if (r->nharvests > DS_MAX_HARVESTS || (nrows && !rows) || (r->nsamples && !r->samples) ||
	    (r->nphases && !r->phases) || (r->ndevices && !r->devices))
		return -EINVAL;
	for (i = 0; i < r->nharvests; i++)
		if (!r->harvests[i])
			return -EINVAL;
	for (i = 0; i < r->nsamples; i++) {
		const struct ds_sample *s = &r->samples[i];

		if (!valid_keys(r, s->harvest, s->device, s->op, s->request, s->path, s->stage))
			return -EINVAL;
	}
	for (i = 0; i < nrows; i++) {
		const struct ds_row *w = &rows[i];

		if (!valid_keys(r, w->harvest, w->device, w->op, w->request, w->path, w->stage))
			return -EINVAL;
	}
	for (i = 0; i < r->nphases; i++) {
		const struct ds_phase_total *p = &r->phases[i];

		if (!valid_keys(r, p->harvest, p->device, p->op, p->request, p->path, 0))
			return -EINVAL;
	}
	return 0;
}

static json_t *jstr_or_null(const char *s, int *err)
{
	return s && *s ? jname(s, err) : json_null();
}

/* ---- meta.json ---- */

static json_t *meta_json(const struct ds_result *r, int *err)
{
	json_t *meta = jnew(json_object(), err), *tool = jnew(json_object(), err);
	json_t *harvests = jnew(json_array(), err), *devices = jnew(json_array(), err);
	json_t *clock = jnew(json_object(), err), *iters = jnew(json_object(), err);
	json_t *host = r->host ? json_incref(r->host) : ds_host_info();
	char stamp[32];
	struct tm tm;
	time_t now = time(NULL);
	bool ended = r->status != DS_STATUS_RUNNING;
	size_t i;

	jset(meta, "schema_version", ju64(SCHEMA_VERSION, err), err);
	jset(tool, "name", jname("dirtyscope", err), err);
	jset(tool, "version", r->tool_version ? jname(r->tool_version, err) : json_null(), err);
	jset(tool, "git_revision", r->git_revision ? jname(r->git_revision, err) : json_null(),
	     err);
	jset(meta, "tool", tool, err);
	jset(meta, "created_utc", jstr_or_null(r->created_utc, err), err);
	if (ended && gmtime_r(&now, &tm) && strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm))
		jset(meta, "ended_utc", jname(stamp, err), err);
	else
		jset(meta, "ended_utc", json_null(), err);
	jset(meta, "status", jname(ds_status_name(r->status), err), err);
	jset(meta, "signal",
	     r->status == DS_STATUS_INTERRUPTED ? jstr_or_null(ds_stop_signal_name(r->signal), err)
						: json_null(),
	     err);
	jset(meta, "error", r->status == DS_STATUS_FAILED ? jstr_or_null(r->error, err) : json_null(),
	     err);
	jset(meta, "command_line", r->command_line ? json_incref(r->command_line) : json_array(),
	     err);
	jset(meta, "backend", jname(r->backend ? r->backend : "model", err), err);
	jset(clock, "pair_ns", ju64(r->clock_pair_ns, err), err);
	jset(clock, "resolution_ns", ju64(r->clock_resolution_ns, err), err);
	jset(meta, "clock", clock, err);
	jset(iters, "warmup", ju64(r->warmup, err), err);
	jset(iters, "steady", ju64(r->steady, err), err);
	jset(iters, "profile", ju64(r->profile_iterations, err), err);
	jset(iters, "cycles", ju64(r->cycles, err), err);
	jset(meta, "iterations", iters, err);
	jset(meta, "host", host ? host : json_null(), err);
	jset(meta, "config", r->config ? json_incref(r->config) : json_object(), err);
	jset(meta, "placement", r->placement ? json_incref(r->placement) : json_object(), err);
	for (i = 0; i < r->nharvests; i++)
		jappend(harvests, jname(r->harvests[i], err), err);
	jset(meta, "harvests", harvests, err);
	for (i = 0; i < r->ndevices; i++) {
		const struct ds_device_info *d = &r->devices[i];
		json_t *dev = jnew(json_object(), err);

		jset(dev, "index", ju64(i, err), err);
		jset(dev, "layout", jlayout(d, err), err);
		jset(dev, "device_bytes", ju64(d->device_bytes, err), err);
		jset(dev, "mappings", ju64(d->mappings, err), err);
		jset(dev, "pages", ju64(d->pages, err), err);
		jset(dev, "iova_base", ju64(d->iova_base, err), err);
		jset(dev, "group", jname(d->group[0] ? d->group : "none", err), err);
		jappend(devices, dev, err);
	}
	jset(meta, "devices", devices, err);
	if (*err) {
		json_decref(meta);
		return NULL;
	}
	return meta;
}

/* ---- summary.json ---- */

static json_t *jratio(double v)
{
	/* JSON has no NaN or infinity. */
	return v > 0 && v < 1e300 ? json_real(v) : json_null();
}

static json_t *row_json(const struct ds_result *r, const struct ds_row *w, int *err)
{
	const struct ds_device_info *d = &r->devices[w->device];
	json_t *o = jnew(json_object(), err);
	bool mc = w->memcpy.n && w->memcpy.median;

	jset(o, "harvest", jname(r->harvests[w->harvest], err), err);
	jset(o, "device", ju64(w->device, err), err);
	jset(o, "layout", jlayout(d, err), err);
	jset(o, "op", jname(ds_op_name(w->op), err), err);
	jset(o, "request", jname(ds_request_name(w->request), err), err);
	jset(o, "path", jname(ds_path_name(w->path), err), err);
	jset(o, "stage", jname(ds_stage_name(w->stage), err), err);
	jset(o, "device_bytes", ju64(d->device_bytes, err), err);
	jset(o, "mappings", ju64(d->mappings, err), err);
	jset(o, "pages", ju64(w->pages, err), err);
	jset(o, "bitmap_bytes", ju64(w->bitmap_bytes, err), err);
	jset(o, "dirty_pages", w->has_dirty ? ju64(w->dirty_pages, err) : json_null(), err);
	jset(o, "n", ju64(w->stats.n, err), err);
	jset(o, "min_ns", ju64(w->stats.min, err), err);
	jset(o, "median_ns", ju64(w->stats.median, err), err);
	jset(o, "p90_ns", ju64(w->stats.p90, err), err);
	jset(o, "p99_ns", ju64(w->stats.p99, err), err);
	jset(o, "max_ns", ju64(w->stats.max, err), err);
	jset(o, "clock_limited", json_boolean(w->clock_limited), err);
	jset(o, "memcpy_n", ju64(w->memcpy.n, err), err);
	jset(o, "memcpy_bytes", w->memcpy.n ? ju64(w->memcpy_bytes, err) : json_null(), err);
	jset(o, "memcpy_median_ns", w->memcpy.n ? ju64(w->memcpy.median, err) : json_null(), err);
	jset(o, "ratio_to_memcpy", mc ? jratio(w->ratio) : json_null(), err);
	jset(o, "ratio_median", mc ? jratio(w->ratio_median) : json_null(), err);
	return o;
}

struct memcpy_pair {
	uint64_t bytes, ns;
};

static int cmp_pair_bytes(const void *a, const void *b)
{
	const struct memcpy_pair *x = a, *y = b;

	return (x->bytes > y->bytes) - (x->bytes < y->bytes);
}

/* The memcpy floor by size, ascending, over every sample that has one. */
static json_t *memcpy_json(const struct ds_result *r, int *err)
{
	json_t *arr = jnew(json_array(), err);
	struct memcpy_pair *pairs;
	uint64_t *ns;
	size_t i, j, n = 0;
	struct ds_stats st;

	for (i = 0; i < r->nsamples; i++)
		n += r->samples[i].memcpy_ns != 0;
	if (!n || !arr)
		return arr;
	pairs = malloc(n * sizeof(*pairs));
	ns = malloc(n * sizeof(*ns));
	if (!pairs || !ns) {
		free(pairs);
		free(ns);
		json_decref(arr);
		*err = *err ? *err : -ENOMEM;
		return NULL;
	}
	for (i = 0, j = 0; i < r->nsamples; i++)
		if (r->samples[i].memcpy_ns)
			pairs[j++] = (struct memcpy_pair){r->samples[i].memcpy_bytes,
							  r->samples[i].memcpy_ns};
	qsort(pairs, n, sizeof(*pairs), cmp_pair_bytes);
	for (i = 0; i < n; i++)
		ns[i] = pairs[i].ns;
	for (i = 0; i < n; i = j) {
		json_t *o = jnew(json_object(), err);

		for (j = i; j < n && pairs[j].bytes == pairs[i].bytes; j++)
			;
		ds_stats_compute(ns + i, j - i, &st);
		jset(o, "memcpy_bytes", ju64(pairs[i].bytes, err), err);
		jset(o, "n", ju64(st.n, err), err);
		jset(o, "median_ns", ju64(st.median, err), err);
		jappend(arr, o, err);
	}
	free(pairs);
	free(ns);
	return arr;
}

static json_t *phase_json(const struct ds_result *r, const struct ds_phase_total *t, int *err)
{
	json_t *o = jnew(json_object(), err), *arr = jnew(json_array(), err);
	unsigned int p;

	jset(o, "harvest", jname(r->harvests[t->harvest], err), err);
	jset(o, "device", ju64(t->device, err), err);
	jset(o, "layout", jlayout(&r->devices[t->device], err), err);
	jset(o, "op", jname(ds_op_name(t->op), err), err);
	jset(o, "request", jname(ds_request_name(t->request), err), err);
	jset(o, "path", jname(ds_path_name(t->path), err), err);
	jset(o, "requests", ju64(t->requests, err), err);
	jset(o, "walk_nodes", ju64(t->profile.walk_nodes, err), err);
	for (p = 0; p < t->profile.nphases && p < DT_PROFILE_PHASES_MAX; p++) {
		json_t *ph = jnew(json_object(), err);

		jset(ph, "name", jname(t->profile.names[p] ? t->profile.names[p] : "?", err), err);
		jset(ph, "calls", ju64(t->profile.calls[p], err), err);
		jset(ph, "total_ns", ju64(t->profile.ns[p], err), err);
		jset(ph, "mean_ns_per_request",
		     t->requests ? ju64(t->profile.ns[p] / t->requests, err) : json_null(), err);
		jappend(arr, ph, err);
	}
	jset(o, "phases", arr, err);
	return o;
}

static json_t *downtime_json(const struct ds_result *r, const struct ds_downtime *dt, size_t ndt,
			     int *err)
{
	json_t *o = jnew(json_object(), err), *arr = jnew(json_array(), err);
	size_t i;

	jset(o, "bandwidth_bytes_per_s", ju64(r->downtime.bandwidth_bytes_per_s, err), err);
	jset(o, "state_bytes", ju64(r->downtime.state_bytes, err), err);
	jset(o, "limit_ns", ju64(r->downtime.limit_ns, err), err);
	for (i = 0; i < ndt; i++) {
		const struct ds_downtime *d = &dt[i];
		const struct ds_device_info *dev = &r->devices[d->device];
		json_t *e = jnew(json_object(), err);

		jset(e, "harvest", jname(r->harvests[d->harvest], err), err);
		jset(e, "device", ju64(d->device, err), err);
		jset(e, "layout", jlayout(dev, err), err);
		jset(e, "device_bytes", ju64(dev->device_bytes, err), err);
		jset(e, "mappings", ju64(dev->mappings, err), err);
		jset(e, "query", jname(ds_request_name(d->query), err), err);
		jset(e, "calls", ju64(d->calls, err), err);
		jset(e, "final_harvest_ns", ju64(d->final_harvest_ns, err), err);
		jset(e, "dirty_pages", ju64(d->dirty_pages, err), err);
		jset(e, "dirty_bytes", ju64(d->dirty_bytes, err), err);
		jset(e, "all_dirty", json_boolean(d->all_dirty), err);
		jset(e, "transfer_ns", ju64(d->transfer_ns, err), err);
		jset(e, "state_ns", ju64(d->state_ns, err), err);
		jset(e, "downtime_ns", ju64(d->downtime_ns, err), err);
		jset(e, "qemu_expected_downtime_ns", ju64(d->qemu_expected_downtime_ns, err), err);
		jset(e, "tracking_share", json_real(d->tracking_share), err);
		jset(e, "fits", json_boolean(d->fits), err);
		if (d->has_written) {
			jset(e, "written_pages", ju64(d->written_pages, err), err);
			jset(e, "amplification", json_real(d->amplification), err);
		}
		jappend(arr, e, err);
	}
	jset(o, "estimates", arr, err);
	return o;
}

static json_t *summary_json(const struct ds_result *r, const struct ds_row *rows, size_t nrows,
			    const struct ds_downtime *dt, size_t ndt, int *err)
{
	json_t *sum = jnew(json_object(), err), *arr = jnew(json_array(), err);
	size_t i;

	jset(sum, "schema_version", ju64(SCHEMA_VERSION, err), err);
	for (i = 0; i < nrows && !*err; i++)
		jappend(arr, row_json(r, &rows[i], err), err);
	jset(sum, "rows", arr, err);
	jset(sum, "memcpy", memcpy_json(r, err), err);
	arr = jnew(json_array(), err);
	for (i = 0; i < r->nphases && !*err; i++)
		jappend(arr, phase_json(r, &r->phases[i], err), err);
	jset(sum, "phases", arr, err);
	jset(sum, "downtime", downtime_json(r, dt, ndt, err), err);
	if (*err) {
		json_decref(sum);
		return NULL;
	}
	return sum;
}

struct json_file {
	json_t *json;
	size_t flags;
};

static int fill_json(FILE *f, const void *ctx)
{
	const struct json_file *j = ctx;

	if (json_dumpf(j->json, f, j->flags) || fputc('\n', f) == EOF)
		return errno ? -errno : -EIO;
	return 0;
}

static int write_json(const char *dir, const char *name, json_t *json, size_t flags)
{
	struct json_file jf = {.json = json, .flags = flags};

	return ds_write_whole(dir, name, 0, fill_json, &jf);
}

/* ---- samples.csv ---- */

#define CSV_HEADER                                                                                 \
	"iteration,stage,harvest,device,layout,op,request,path,mapping,bitmap_bytes,pages,"           \
	"dirty_pages,ns,memcpy_bytes,memcpy_ns\n"

/* Does a name need RFC 4180 quotes (a comma, a quote or a line break)? */
static bool needs_quotes(const char *s)
{
	return s[strcspn(s, ",\"\r\n")] != '\0';
}

static void put_field(FILE *f, const char *s)
{
	if (!needs_quotes(s)) {
		fputs_unlocked(s, f);
		return;
	}
	fputc_unlocked('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc_unlocked('"', f);
		fputc_unlocked(*s, f);
	}
	fputc_unlocked('"', f);
}

static char *put_u64(char *p, uint64_t v)
{
	char tmp[20];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

/*
 * One line: printf would dominate the cost of a run's millions of lines, so
 * numbers are formatted by hand.
 */
static void csv_line(FILE *f, const struct ds_result *r, const struct ds_sample *s)
{
	char line[256], *p;

	p = put_u64(line, s->iteration);
	*p++ = ',';
	p = stpcpy(p, ds_stage_name(s->stage));
	*p++ = ',';
	fwrite_unlocked(line, 1, (size_t)(p - line), f);
	put_field(f, r->harvests[s->harvest]);
	p = line;
	*p++ = ',';
	p = put_u64(p, s->device);
	*p++ = ',';
	fwrite_unlocked(line, 1, (size_t)(p - line), f);
	put_field(f, r->devices[s->device].layout);
	/* At most 31 bytes of names and commas, then 7 x 20 digits and 7 more. */
	p = line;
	*p++ = ',';
	p = stpcpy(p, ds_op_name(s->op));
	*p++ = ',';
	p = stpcpy(p, ds_request_name(s->request));
	*p++ = ',';
	p = stpcpy(p, ds_path_name(s->path));
	*p++ = ',';
	p = put_u64(p, s->mapping);
	*p++ = ',';
	p = put_u64(p, s->bitmap_bytes);
	*p++ = ',';
	p = put_u64(p, s->pages);
	*p++ = ',';
	p = put_u64(p, s->dirty_pages);
	*p++ = ',';
	p = put_u64(p, s->ns);
	*p++ = ',';
	p = put_u64(p, s->memcpy_bytes);
	*p++ = ',';
	p = put_u64(p, s->memcpy_ns);
	*p++ = '\n';
	fwrite_unlocked(line, 1, (size_t)(p - line), f);
}

static int csv_error(struct ds_result *r)
{
	if (!r->csv_error)
		r->csv_error = errno ? -errno : -EIO;
	return r->csv_error;
}

int ds_out_sample(struct ds_result *r, const struct ds_sample *s, uint64_t now_ns)
{
	if (!r->csv || r->csv_error)
		return r->csv_error;
	if (!valid_keys(r, s->harvest, s->device, s->op, s->request, s->path, s->stage))
		return -EINVAL;
	errno = 0;
	csv_line(r->csv, r, s);
	r->csv_flushed++;
	if (ferror_unlocked(r->csv))
		return csv_error(r);
	/* Between timed calls: the caller passes the clock it read anyway. */
	if (now_ns - r->csv_flush_ns >= CSV_FLUSH_NS) {
		r->csv_flush_ns = now_ns;
		if (fflush(r->csv))
			return csv_error(r);
	}
	return 0;
}

int ds_out_begin(const char *dir, struct ds_result *r)
{
	char path[PATH_MAX];
	json_t *meta;
	int err = 0, fd, ret;

	if (!dir || !r)
		return -EINVAL;
	meta = meta_json(r, &err);
	if (!meta)
		return err ? err : -ENOMEM;
	ret = write_json(dir, "meta.json", meta, JSON_INDENT(2));
	json_decref(meta);
	if (ret)
		return ret;
	if (snprintf(path, sizeof(path), "%s/samples.csv", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0)
		return -errno;
	r->csv = fdopen(fd, "w");
	if (!r->csv) {
		ret = -errno;
		close(fd);
		return ret;
	}
	r->csv_buf = malloc(CSV_BUFFER);
	if (r->csv_buf)
		setvbuf(r->csv, r->csv_buf, _IOFBF, CSV_BUFFER);
	r->csv_flushed = 0;
	r->csv_error = 0;
	if (fputs(CSV_HEADER, r->csv) == EOF || fflush(r->csv))
		return csv_error(r);
	return 0;
}

int ds_out_finish(const char *dir, struct ds_result *r, const struct ds_row *rows, size_t nrows,
		  const struct ds_downtime *dt, size_t ndt)
{
	/* Six digits are plenty for a ratio and keep 1/3 from printing 17. */
	const size_t flags = JSON_INDENT(2) | JSON_REAL_PRECISION(6);
	json_t *summary = NULL, *meta;
	int ret = 0, err = 0, r2;

	if (!dir || !r)
		return -EINVAL;
	/* Samples the stream has not seen yet (a run that never began streaming). */
	if (r->csv) {
		errno = 0;
		if ((fflush(r->csv) || fsync(fileno(r->csv))) && !r->csv_error)
			csv_error(r);
		if (fclose(r->csv) && !r->csv_error)
			csv_error(r);
		r->csv = NULL;
		free(r->csv_buf);
		r->csv_buf = NULL;
		ret = r->csv_error;
	}
	if (rows) {
		err = check_result(r, rows, nrows);
		if (!err)
			summary = summary_json(r, rows, nrows, dt, ndt, &err);
		if (summary)
			err = write_json(dir, "summary.json", summary, flags);
		json_decref(summary);
		if (err && !ret)
			ret = err;
	}
	/* A failed write makes a failed run; meta.json says so if it still can. */
	if (ret && r->status != DS_STATUS_FAILED) {
		r->status = DS_STATUS_FAILED;
		snprintf(r->error, sizeof(r->error), "writing the run folder: %s", strerror(-ret));
	}
	err = 0;
	meta = meta_json(r, &err);
	r2 = meta ? write_json(dir, "meta.json", meta, JSON_INDENT(2)) : (err ? err : -ENOMEM);
	json_decref(meta);
	return ret ? ret : r2;
}
