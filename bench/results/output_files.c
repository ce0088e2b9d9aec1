// SPDX-License-Identifier: MIT
/*
 * output_files.c - the run folder: meta.json, samples.csv and summary.json,
 * as results/README.md documents them (results/schema/ checks them).
 *
 * Every file is written under a temporary name and renamed into place, so
 * a reader (or a crash) never sees half a file. meta.json goes last: a
 * folder without it holds no complete run.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "output.h"

#define SCHEMA_VERSION 1

/* samples.csv is millions of lines: a large buffer saves write(2) calls. */
#define CSV_BUFFER (1 << 20)

static int mkdir_p(const char *dir)
{
	char path[PATH_MAX];
	size_t len = strlen(dir), i;

	if (!len)
		return -EINVAL;
	if (len >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, dir, len + 1);
	for (i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		/* An existing file in the way shows up when the file is opened. */
		if (mkdir(path, 0777) && errno != EEXIST)
			return -errno;
		path[i] = dir[i];
	}
	return 0;
}

typedef int (*fill_fn)(FILE *f, const void *ctx);

/* Write @dir/@name through @fill under "<name>.tmp.<pid>", then rename it. */
static int write_whole(const char *dir, const char *name, size_t bufsize, fill_fn fill,
		       const void *ctx)
{
	char tmp[PATH_MAX], path[PATH_MAX];
	char *buf = NULL;
	FILE *f;
	int fd, ret, n;

	n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		ret = -errno;
		close(fd);
		goto err;
	}
	if (bufsize) {
		buf = malloc(bufsize);
		if (buf)
			setvbuf(f, buf, _IOFBF, bufsize);
	}
	errno = 0;
	ret = fill(f, ctx);
	if (!ret && ferror(f))
		ret = errno ? -errno : -EIO;
	/* fclose flushes: the buffered tail can fail (ENOSPC) here too. */
	if (fclose(f) && !ret)
		ret = errno ? -errno : -EIO;
	free(buf);
	if (ret)
		goto err;
	if (rename(tmp, path)) {
		ret = -errno;
		goto err;
	}
	return 0;
err:
	unlink(tmp);
	return ret;
}

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
		       unsigned int op, unsigned int request, unsigned int path)
{
	return harvest < r->nharvests && device < r->ndevices && op < DS_OP_COUNT &&
	       request < DS_REQ_COUNT && path < DS_PATH_COUNT;
}

static int check_result(const struct ds_result *r, const struct ds_row *rows, size_t nrows)
{
	size_t i;

	if (r->nharvests > sizeof(r->harvests) / sizeof(r->harvests[0]) ||
	    r->ndevices > sizeof(r->devices) / sizeof(r->devices[0]) || (nrows && !rows) ||
	    (r->nsamples && !r->samples) || (r->nphases && !r->phases))
		return -EINVAL;
	for (i = 0; i < r->nharvests; i++)
		if (!r->harvests[i])
			return -EINVAL;
	for (i = 0; i < r->nsamples; i++) {
		const struct ds_sample *s = &r->samples[i];

		if (!valid_keys(r, s->harvest, s->device, s->op, s->request, s->path))
			return -EINVAL;
	}
	for (i = 0; i < nrows; i++) {
		const struct ds_row *w = &rows[i];

		if (!valid_keys(r, w->harvest, w->device, w->op, w->request, w->path))
			return -EINVAL;
	}
	for (i = 0; i < r->nphases; i++) {
		const struct ds_phase_total *p = &r->phases[i];

		if (!valid_keys(r, p->harvest, p->device, p->op, p->request, p->path))
			return -EINVAL;
	}
	return 0;
}

/* ---- meta.json ---- */

static json_t *meta_json(const struct ds_result *r, int *err)
{
	json_t *meta = jnew(json_object(), err), *tool = jnew(json_object(), err);
	json_t *harvests = jnew(json_array(), err), *devices = jnew(json_array(), err);
	json_t *host = r->host ? json_incref(r->host) : ds_host_info();
	char stamp[32];
	struct tm tm;
	time_t now = time(NULL);
	size_t i;

	jset(meta, "schema_version", ju64(SCHEMA_VERSION, err), err);
	jset(tool, "name", jname("dirtyscope", err), err);
	jset(tool, "version", r->tool_version ? jname(r->tool_version, err) : json_null(), err);
	jset(tool, "git_revision", r->git_revision ? jname(r->git_revision, err) : json_null(),
	     err);
	jset(meta, "tool", tool, err);
	if (!gmtime_r(&now, &tm) || !strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm))
		jset(meta, "created_utc", json_null(), err);
	else
		jset(meta, "created_utc", jname(stamp, err), err);
	jset(meta, "host", host ? host : json_null(), err);
	jset(meta, "config", r->config ? json_incref(r->config) : json_null(), err);
	jset(meta, "placement", r->placement ? json_incref(r->placement) : json_null(), err);
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
	jset(o, "device_bytes", ju64(d->device_bytes, err), err);
	jset(o, "mappings", ju64(d->mappings, err), err);
	jset(o, "pages", ju64(w->pages, err), err);
	jset(o, "bitmap_bytes", ju64(w->bitmap_bytes, err), err);
	jset(o, "n", ju64(w->stats.n, err), err);
	jset(o, "min_ns", ju64(w->stats.min, err), err);
	jset(o, "median_ns", ju64(w->stats.median, err), err);
	jset(o, "p90_ns", ju64(w->stats.p90, err), err);
	jset(o, "p99_ns", ju64(w->stats.p99, err), err);
	jset(o, "max_ns", ju64(w->stats.max, err), err);
	jset(o, "memcpy_n", ju64(w->memcpy.n, err), err);
	jset(o, "memcpy_median_ns", w->memcpy.n ? ju64(w->memcpy.median, err) : json_null(), err);
	/* The ratio is recomputed, not trusted: JSON has no NaN or infinity. */
	jset(o, "ratio_to_memcpy",
	     mc ? json_real((double)w->stats.median / (double)w->memcpy.median) : json_null(),
	     err);
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

/* The memcpy floor by bitmap size, ascending, over every sample that has one. */
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
			pairs[j++] = (struct memcpy_pair){r->samples[i].bitmap_bytes,
							  r->samples[i].memcpy_ns};
	qsort(pairs, n, sizeof(*pairs), cmp_pair_bytes);
	for (i = 0; i < n; i++)
		ns[i] = pairs[i].ns;
	for (i = 0; i < n; i = j) {
		json_t *o = jnew(json_object(), err);

		for (j = i; j < n && pairs[j].bytes == pairs[i].bytes; j++)
			;
		ds_stats_compute(ns + i, j - i, &st);
		jset(o, "bitmap_bytes", ju64(pairs[i].bytes, err), err);
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
	json_t *o = jnew(json_object(), err);
	int p;

	jset(o, "harvest", jname(r->harvests[t->harvest], err), err);
	jset(o, "device", ju64(t->device, err), err);
	jset(o, "layout", jlayout(&r->devices[t->device], err), err);
	jset(o, "op", jname(ds_op_name(t->op), err), err);
	jset(o, "request", jname(ds_request_name(t->request), err), err);
	jset(o, "path", jname(ds_path_name(t->path), err), err);
	jset(o, "requests", ju64(t->requests, err), err);
	for (p = 0; p < DT_PHASE_COUNT; p++) {
		json_t *ph = jnew(json_object(), err);

		jset(ph, "calls", ju64(t->profile.calls[p], err), err);
		jset(ph, "total_ns", ju64(t->profile.ns[p], err), err);
		jset(ph, "mean_ns_per_request",
		     t->requests ? ju64(t->profile.ns[p] / t->requests, err) : json_null(), err);
		jset(o, dt_phase_name(p), ph, err);
	}
	return o;
}

static json_t *summary_json(const struct ds_result *r, const struct ds_row *rows, size_t nrows,
			    int *err)
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

/* ---- samples.csv ---- */

#define CSV_HEADER                                                                                 \
	"iteration,harvest,layout,op,request,path,mapping,bitmap_bytes,pages,ns,memcpy_ns\n"

/* RFC 4180: quote a field holding a comma, a quote or a line break. */
static char *csv_field(const char *s, size_t len)
{
	bool quote = strcspn(s, ",\"\r\n") < len;
	char *out = malloc(2 * len + 3), *p = out;
	size_t i;

	if (!out)
		return NULL;
	if (quote)
		*p++ = '"';
	for (i = 0; i < len; i++) {
		if (s[i] == '"')
			*p++ = '"';
		*p++ = s[i];
	}
	if (quote)
		*p++ = '"';
	*p = '\0';
	return out;
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
 * One line per sample, streamed: printf would dominate the cost of a run's
 * millions of lines, so numbers are formatted by hand and names quoted once.
 */
static int fill_csv(FILE *f, const void *ctx)
{
	const struct ds_result *r = ctx;
	char *harvest[8] = {0}, *layout[8] = {0};
	char line[160], *p;
	size_t i;
	int ret = -ENOMEM;

	for (i = 0; i < r->nharvests; i++)
		if (!(harvest[i] = csv_field(r->harvests[i], strlen(r->harvests[i]))))
			goto out;
	for (i = 0; i < r->ndevices; i++)
		if (!(layout[i] = csv_field(r->devices[i].layout,
					    strnlen(r->devices[i].layout,
						    sizeof(r->devices[i].layout)))))
			goto out;

	ret = 0;
	fputs_unlocked(CSV_HEADER, f);
	for (i = 0; i < r->nsamples && !ferror_unlocked(f); i++) {
		const struct ds_sample *s = &r->samples[i];

		p = put_u64(line, s->iteration);
		*p++ = ',';
		fwrite_unlocked(line, 1, (size_t)(p - line), f);
		fputs_unlocked(harvest[s->harvest], f);
		fputc_unlocked(',', f);
		fputs_unlocked(layout[s->device], f);
		fputc_unlocked(',', f);
		/* At most 29 bytes of names and commas, then 10 + 4 x 20 digits and 5 more. */
		p = stpcpy(line, ds_op_name(s->op));
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
		p = put_u64(p, s->ns);
		*p++ = ',';
		p = put_u64(p, s->memcpy_ns);
		*p++ = '\n';
		fwrite_unlocked(line, 1, (size_t)(p - line), f);
	}
out:
	for (i = 0; i < 8; i++) {
		free(harvest[i]);
		free(layout[i]);
	}
	return ret;
}

int ds_write_results(const char *dir, const struct ds_result *r, const struct ds_row *rows,
		     size_t nrows)
{
	struct json_file meta = {.flags = JSON_INDENT(2)};
	/* Six digits are plenty for a ratio and keep 1/3 from printing 17. */
	struct json_file summary = {.flags = JSON_INDENT(2) | JSON_REAL_PRECISION(6)};
	int ret, err = 0;

	if (!dir || !r)
		return -EINVAL;
	ret = check_result(r, rows, nrows);
	if (ret)
		return ret;
	/* Build both documents first: out of memory should not leave a partial folder. */
	summary.json = summary_json(r, rows, nrows, &err);
	if (!err)
		meta.json = meta_json(r, &err);
	if (err) {
		ret = err;
		goto out;
	}
	ret = mkdir_p(dir);
	if (!ret)
		ret = write_whole(dir, "samples.csv", CSV_BUFFER, fill_csv, r);
	if (!ret)
		ret = write_whole(dir, "summary.json", 0, fill_json, &summary);
	if (!ret)
		ret = write_whole(dir, "meta.json", 0, fill_json, &meta);
out:
	json_decref(summary.json);
	json_decref(meta.json);
	return ret;
}
