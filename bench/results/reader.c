// SPDX-License-Identifier: MIT
/*
 * reader.c - read a run folder (results/README.md, schema_version 2).
 *
 * Everything a command may use is checked here once, so that plan, compare
 * and plot never meet a field of the wrong type, a name outside its set or
 * an index out of range; the first defect found ends the read with one
 * line naming the file and the field. The JSON comes from jansson; the CSV
 * has its own small RFC 4180 reader because samples.csv is streamed (up to
 * a million lines, ~90 MB) and must be read without holding it whole.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "reader.h"
#include "result.h"

#define SCHEMA_VERSION 2

/* Where the defect is: the file, and a buffer for the caller's message. */
struct rd {
	const char *file; /* "meta.json", "summary.json", "samples.csv" */
	char *why;
	size_t whylen;
};

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int
fail(struct rd *rd, int err, const char *fmt, ...)
{
	va_list ap;
	int n = 0;
	char *p;

	if (rd->why && rd->whylen) {
		n = snprintf(rd->why, rd->whylen, "%s: ", rd->file);
		if (n < 0 || (size_t)n >= rd->whylen)
			n = 0;
		va_start(ap, fmt);
		vsnprintf(rd->why + n, rd->whylen - (size_t)n, fmt, ap);
		va_end(ap);
		/* Names quoted from the files may hold line breaks: keep it one line. */
		for (p = rd->why; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
	}
	return err;
}

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a real number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "something else";
}

/* "rows[3].median_ns", or "median_ns" at the top level. */
#define WHERE_FMT "%s%s%s"
#define WHERE(where, key) (where), *(where) ? "." : "", (key)

static int get(struct rd *rd, json_t *obj, const char *where, const char *key, json_t **out)
{
	json_t *v = json_object_get(obj, key);

	*out = v;
	if (!v)
		return fail(rd, -EINVAL, WHERE_FMT ": missing", WHERE(where, key));
	*out = v;
	return 0;
}

static int wrong_type(struct rd *rd, const char *where, const char *key, const char *want,
		      const json_t *v)
{
	return fail(rd, -EINVAL, WHERE_FMT ": expected %s, found %s", WHERE(where, key), want,
		    type_name(v));
}

/* A JSON integer >= 0 (3.0 is not one: the files write integers as integers). */
static int get_u64(struct rd *rd, json_t *obj, const char *where, const char *key, uint64_t *out)
{
	json_t *v;
	int ret = get(rd, obj, where, key, &v);

	if (ret)
		return ret;
	if (!json_is_integer(v))
		return wrong_type(rd, where, key, "an integer", v);
	if (json_integer_value(v) < 0)
		return fail(rd, -EINVAL, WHERE_FMT ": %lld is negative", WHERE(where, key),
			    (long long)json_integer_value(v));
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

/* An integer >= 0 or null (-1). */
static int get_i64_or_null(struct rd *rd, json_t *obj, const char *where, const char *key,
			   int64_t *out)
{
	json_t *v;
	int ret = get(rd, obj, where, key, &v);

	if (ret)
		return ret;
	if (json_is_null(v)) {
		*out = -1;
		return 0;
	}
	if (!json_is_integer(v))
		return wrong_type(rd, where, key, "an integer or null", v);
	if (json_integer_value(v) < 0)
		return fail(rd, -EINVAL, WHERE_FMT ": %lld is negative", WHERE(where, key),
			    (long long)json_integer_value(v));
	*out = json_integer_value(v);
	return 0;
}

/* A finite number >= 0, or null (NAN). */
static int get_num_or_null(struct rd *rd, json_t *obj, const char *where, const char *key,
			   double *out, int null_ok)
{
	json_t *v;
	int ret = get(rd, obj, where, key, &v);

	if (ret)
		return ret;
	if (json_is_null(v) && null_ok) {
		*out = NAN;
		return 0;
	}
	if (!json_is_number(v))
		return wrong_type(rd, where, key, null_ok ? "a number or null" : "a number", v);
	*out = json_number_value(v);
	if (!isfinite(*out) || *out < 0)
		return fail(rd, -EINVAL, WHERE_FMT ": %g is not a number >= 0", WHERE(where, key),
			    *out);
	return 0;
}

static int get_bool(struct rd *rd, json_t *obj, const char *where, const char *key, bool *out)
{
	json_t *v;
	int ret = get(rd, obj, where, key, &v);

	if (ret)
		return ret;
	if (!json_is_boolean(v))
		return wrong_type(rd, where, key, "a boolean", v);
	*out = json_is_true(v);
	return 0;
}

/* A string (NULL for null when @null_ok); points into the JSON. */
static int get_str(struct rd *rd, json_t *obj, const char *where, const char *key,
		   const char **out, int null_ok)
{
	json_t *v;
	int ret = get(rd, obj, where, key, &v);

	if (ret)
		return ret;
	if (json_is_null(v) && null_ok) {
		*out = NULL;
		return 0;
	}
	if (!json_is_string(v))
		return wrong_type(rd, where, key, null_ok ? "a string or null" : "a string", v);
	*out = json_string_value(v);
	return 0;
}

static int get_typed(struct rd *rd, json_t *obj, const char *where, const char *key,
		     json_type type, json_t **out)
{
	int ret = get(rd, obj, where, key, out);

	if (ret)
		return ret;
	if (json_typeof(*out) != type)
		return wrong_type(rd, where, key, type == JSON_OBJECT ? "an object" : "an array",
				  *out);
	return 0;
}

/* The set of words a name field may take, for the message. */
static void list_names(char *buf, size_t len, const char *(*name)(unsigned int), unsigned int n)
{
	size_t used = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < n && used < len; i++) {
		int w = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", name(i));

		if (w < 0)
			break;
		used += (size_t)w;
	}
}

static const char *op_name(unsigned int i)
{
	return ds_op_name((enum ds_op)i);
}
static const char *request_name(unsigned int i)
{
	return ds_request_name((enum ds_request)i);
}
static const char *path_name(unsigned int i)
{
	return ds_path_name((enum ds_path)i);
}
static const char *stage_name(unsigned int i)
{
	return ds_stage_name((enum ds_stage)i);
}
static const char *status_name(unsigned int i)
{
	return ds_rf_status_name((enum ds_rf_status)i);
}
static const char *group_name(unsigned int i)
{
	static const char *const names[] = {"iommu", "mediated", "none"};

	return i < 3 ? names[i] : NULL;
}
static const char *query_name(unsigned int i)
{
	static const char *const names[] = {"mapping", "merged"};

	return i < 2 ? names[i] : NULL;
}

/* The index of @s among name(0..n-1), or -1. */
static int find_name(const char *s, const char *(*name)(unsigned int), unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!strcmp(s, name(i)))
			return (int)i;
	return -1;
}

/* A string field that must be one of a fixed set of words. */
static int get_enum(struct rd *rd, json_t *obj, const char *where, const char *key,
		    const char *(*name)(unsigned int), unsigned int n, const char **out, int *idx)
{
	char words[160];
	const char *s;
	int ret, i;

	if (out)
		*out = NULL;
	if (idx)
		*idx = 0;
	ret = get_str(rd, obj, where, key, &s, 0);
	if (ret)
		return ret;
	i = find_name(s, name, n);
	if (i < 0) {
		list_names(words, sizeof(words), name, n);
		return fail(rd, -EINVAL, WHERE_FMT ": '%s' is not one of %s", WHERE(where, key), s,
			    words);
	}
	if (out)
		*out = name((unsigned int)i);
	if (idx)
		*idx = i;
	return 0;
}

static int get_harvest(struct rd *rd, struct ds_run_folder *rf, json_t *obj, const char *where,
		       const char **out)
{
	const char *s;
	size_t i;
	int ret = get_str(rd, obj, where, "harvest", &s, 0);

	if (ret)
		return ret;
	for (i = 0; i < rf->nharvests; i++)
		if (!strcmp(s, rf->harvests[i])) {
			*out = rf->harvests[i];
			return 0;
		}
	return fail(rd, -EINVAL, "%s.harvest: '%s' is not one of meta.json's harvests", where, s);
}

/* device, and the layout that must be that device's. */
static int get_device(struct rd *rd, struct ds_run_folder *rf, json_t *obj, const char *where,
		      size_t *device, const char **layout)
{
	const char *s;
	uint64_t d = 0;
	int ret = get_u64(rd, obj, where, "device", &d);

	if (ret)
		return ret;
	if (d >= rf->ndevices)
		return fail(rd, -EINVAL, "%s.device: %llu is out of range (meta.json has %zu devices)",
			    where, (unsigned long long)d, rf->ndevices);
	ret = get_str(rd, obj, where, "layout", &s, 0);
	if (ret)
		return ret;
	if (strcmp(s, rf->devices[d].layout))
		return fail(rd, -EINVAL, "%s.layout: '%s', but device %llu is '%s' in meta.json",
			    where, s, (unsigned long long)d, rf->devices[d].layout);
	*device = (size_t)d;
	*layout = rf->devices[d].layout;
	return 0;
}

/* Load @dir/@name; a missing file is -ENOENT, bad JSON -EINVAL, both named. */
static int load_json(struct rd *rd, const char *dir, json_t **out)
{
	char path[PATH_MAX];
	json_error_t e;
	struct stat st;
	json_t *j;
	int n;

	n = snprintf(path, sizeof(path), "%s/%s", dir, rd->file);
	if (n < 0 || (size_t)n >= sizeof(path))
		return fail(rd, -ENAMETOOLONG, "path too long");
	if (stat(path, &st)) {
		if (errno == ENOENT)
			return fail(rd, -ENOENT, "missing (is %s a run folder of dirtyscope run?)",
				    dir);
		return fail(rd, -errno, "cannot read it: %s", strerror(errno));
	}
	j = json_load_file(path, JSON_REJECT_DUPLICATES, &e);
	if (!j) {
		/* jansson says why in text only; a file that cannot be opened was seen above. */
		if (e.line < 0)
			return fail(rd, -EIO, "cannot read it: %s", e.text);
		return fail(rd, -EINVAL, "line %d, column %d: malformed JSON: %s", e.line,
			    e.column, e.text);
	}
	if (!json_is_object(j)) {
		json_decref(j);
		return fail(rd, -EINVAL, "(top level): expected an object");
	}
	*out = j;
	return 0;
}

static int check_version(struct rd *rd, json_t *doc)
{
	json_t *v;
	int ret = get(rd, doc, "", "schema_version", &v);

	if (ret)
		return ret;
	if (!json_is_integer(v))
		return wrong_type(rd, "", "schema_version", "an integer", v);
	if (json_integer_value(v) != SCHEMA_VERSION)
		return fail(rd, -EINVAL,
			    "schema_version: %lld, this dirtyscope reads %d only (run the "
			    "scenario again with this dirtyscope)",
			    (long long)json_integer_value(v), SCHEMA_VERSION);
	return 0;
}

/* meta.json's host: checked for the keys the commands print and compare. */
static int read_host(struct rd *rd, json_t *host)
{
	const char *s;
	int64_t i;
	bool b;
	json_t *hp;
	int ret;

	if ((ret = get_str(rd, host, "host", "cpu_model", &s, 1)) ||
	    (ret = get_i64_or_null(rd, host, "host", "cores", &i)) ||
	    (ret = get_i64_or_null(rd, host, "host", "memory_bytes", &i)) ||
	    (ret = get_str(rd, host, "host", "kernel", &s, 0)) ||
	    (ret = get_str(rd, host, "host", "hypervisor", &s, 1)) ||
	    (ret = get_bool(rd, host, "host", "emulated", &b)) ||
	    (ret = get_i64_or_null(rd, host, "host", "numa_nodes", &i)) ||
	    (ret = get_typed(rd, host, "host", "hugepages", JSON_OBJECT, &hp)))
		return ret;
	return 0;
}

static int read_meta(struct rd *rd, struct ds_run_folder *rf, unsigned int flags)
{
	json_t *m = rf->meta, *v, *tool, *clock, *it, *harvests, *devices;
	char where[64];
	const char *s;
	uint64_t u;
	size_t i, j;
	int ret, st;

	if ((ret = check_version(rd, m)) ||
	    (ret = get_typed(rd, m, "", "tool", JSON_OBJECT, &tool)) ||
	    (ret = get_str(rd, tool, "tool", "name", &s, 0)) ||
	    (ret = get_str(rd, tool, "tool", "version", &s, 0)) ||
	    (ret = get_str(rd, tool, "tool", "git_revision", &rf->git_revision, 0)) ||
	    (ret = get_str(rd, m, "", "created_utc", &rf->created_utc, 0)) ||
	    (ret = get_str(rd, m, "", "ended_utc", &s, 1)) ||
	    (ret = get_enum(rd, m, "", "status", status_name, 4, NULL, &st)) ||
	    (ret = get_str(rd, m, "", "signal", &rf->signal, 1)) ||
	    (ret = get_str(rd, m, "", "error", &rf->error, 1)) ||
	    (ret = get_typed(rd, m, "", "command_line", JSON_ARRAY, &v)) ||
	    (ret = get_str(rd, m, "", "backend", &rf->backend, 0)) ||
	    (ret = get_typed(rd, m, "", "clock", JSON_OBJECT, &clock)) ||
	    (ret = get_u64(rd, clock, "clock", "pair_ns", &rf->clock_pair_ns)) ||
	    (ret = get_u64(rd, clock, "clock", "resolution_ns", &u)) ||
	    (ret = get_typed(rd, m, "", "iterations", JSON_OBJECT, &it)) ||
	    (ret = get_u64(rd, it, "iterations", "warmup", &u)) ||
	    (ret = get_u64(rd, it, "iterations", "steady", &u)) ||
	    (ret = get_u64(rd, it, "iterations", "profile", &u)) ||
	    (ret = get_u64(rd, it, "iterations", "cycles", &u)) ||
	    (ret = get_typed(rd, m, "", "host", JSON_OBJECT, &v)) || (ret = read_host(rd, v)) ||
	    (ret = get_typed(rd, m, "", "config", JSON_OBJECT, &v)) ||
	    (ret = get_typed(rd, m, "", "placement", JSON_OBJECT, &v)) ||
	    (ret = get_typed(rd, m, "", "harvests", JSON_ARRAY, &harvests)) ||
	    (ret = get_typed(rd, m, "", "devices", JSON_ARRAY, &devices)))
		return ret;
	rf->status = (enum ds_rf_status)st;
	if (rf->status == DS_RF_RUNNING && !(flags & DS_RF_PARTIAL))
		return fail(rd, -EINVAL,
			    "status: running: the run never ended (killed, or the machine or the "
			    "disk failed); only its samples.csv can be read");
	v = json_object_get(m, "command_line");
	for (i = 0; i < json_array_size(v); i++)
		if (!json_is_string(json_array_get(v, i)))
			return fail(rd, -EINVAL, "command_line[%zu]: expected a string, found %s", i,
				    type_name(json_array_get(v, i)));

	/* ds_rf_sample holds a harvest in 8 bits and a device in 16. */
	rf->nharvests = json_array_size(harvests);
	if (!rf->nharvests || rf->nharvests > UINT8_MAX)
		return fail(rd, -EINVAL, "harvests: %zu harvests, expected 1 to %d", rf->nharvests,
			    UINT8_MAX);
	rf->harvests = calloc(rf->nharvests, sizeof(*rf->harvests));
	if (!rf->harvests)
		return fail(rd, -ENOMEM, "out of memory");
	for (i = 0; i < rf->nharvests; i++) {
		v = json_array_get(harvests, i);
		if (!json_is_string(v))
			return fail(rd, -EINVAL, "harvests[%zu]: expected a string, found %s", i,
				    type_name(v));
		for (j = 0; j < i; j++)
			if (!strcmp(rf->harvests[j], json_string_value(v)))
				return fail(rd, -EINVAL, "harvests[%zu]: '%s' is listed twice", i,
					    rf->harvests[j]);
		rf->harvests[i] = strdup(json_string_value(v));
		if (!rf->harvests[i])
			return fail(rd, -ENOMEM, "out of memory");
	}

	rf->ndevices = json_array_size(devices);
	if (!rf->ndevices || rf->ndevices > UINT16_MAX)
		return fail(rd, -EINVAL, "devices: %zu devices, expected 1 to %d", rf->ndevices,
			    UINT16_MAX);
	rf->devices = calloc(rf->ndevices, sizeof(*rf->devices));
	if (!rf->devices)
		return fail(rd, -ENOMEM, "out of memory");
	for (i = 0; i < rf->ndevices; i++) {
		struct ds_rf_device *d = &rf->devices[i];
		const char *layout, *group;

		v = json_array_get(devices, i);
		snprintf(where, sizeof(where), "devices[%zu]", i);
		if (!json_is_object(v))
			return fail(rd, -EINVAL, "%s: expected an object, found %s", where,
				    type_name(v));
		if ((ret = get_u64(rd, v, where, "index", &u)))
			return ret;
		if (u != i)
			return fail(rd, -EINVAL, "%s.index: %llu, expected %zu (devices in order)",
				    where, (unsigned long long)u, i);
		if ((ret = get_str(rd, v, where, "layout", &layout, 0)) ||
		    (ret = get_u64(rd, v, where, "device_bytes", &d->device_bytes)) ||
		    (ret = get_u64(rd, v, where, "mappings", &d->mappings)) ||
		    (ret = get_u64(rd, v, where, "pages", &d->pages)) ||
		    (ret = get_u64(rd, v, where, "iova_base", &d->iova_base)) ||
		    (ret = get_enum(rd, v, where, "group", group_name, 3, &group, NULL)))
			return ret;
		if (!*layout)
			return fail(rd, -EINVAL, "%s.layout: empty", where);
		d->layout = strdup(layout);
		d->group = strdup(group);
		if (!d->layout || !d->group)
			return fail(rd, -ENOMEM, "out of memory");
	}
	return 0;
}

static int read_rows(struct rd *rd, struct ds_run_folder *rf, json_t *rows)
{
	char where[64];
	size_t i;
	int ret;

	rf->nrows = json_array_size(rows);
	if (!rf->nrows)
		return 0;
	rf->rows = calloc(rf->nrows, sizeof(*rf->rows));
	if (!rf->rows)
		return fail(rd, -ENOMEM, "out of memory");
	for (i = 0; i < rf->nrows; i++) {
		struct ds_rf_row *r = &rf->rows[i];
		json_t *o = json_array_get(rows, i);
		uint64_t layout_bytes, mappings;

		snprintf(where, sizeof(where), "rows[%zu]", i);
		if (!json_is_object(o))
			return fail(rd, -EINVAL, "%s: expected an object, found %s", where,
				    type_name(o));
		if ((ret = get_harvest(rd, rf, o, where, &r->harvest)) ||
		    (ret = get_device(rd, rf, o, where, &r->device, &r->layout)) ||
		    (ret = get_enum(rd, o, where, "op", op_name, DS_OP_COUNT, &r->op, NULL)) ||
		    (ret = get_enum(rd, o, where, "request", request_name, DS_REQ_COUNT,
				    &r->request, NULL)) ||
		    (ret = get_enum(rd, o, where, "path", path_name, DS_PATH_COUNT, &r->path,
				    NULL)) ||
		    (ret = get_enum(rd, o, where, "stage", stage_name, DS_STAGE_COUNT, &r->stage,
				    NULL)) ||
		    (ret = get_u64(rd, o, where, "device_bytes", &layout_bytes)) ||
		    (ret = get_u64(rd, o, where, "mappings", &mappings)) ||
		    (ret = get_u64(rd, o, where, "pages", &r->pages)) ||
		    (ret = get_u64(rd, o, where, "bitmap_bytes", &r->bitmap_bytes)) ||
		    (ret = get_i64_or_null(rd, o, where, "dirty_pages", &r->dirty_pages)) ||
		    (ret = get_u64(rd, o, where, "n", &r->n)) ||
		    (ret = get_u64(rd, o, where, "min_ns", &r->min_ns)) ||
		    (ret = get_u64(rd, o, where, "median_ns", &r->median_ns)) ||
		    (ret = get_u64(rd, o, where, "p90_ns", &r->p90_ns)) ||
		    (ret = get_u64(rd, o, where, "p99_ns", &r->p99_ns)) ||
		    (ret = get_u64(rd, o, where, "max_ns", &r->max_ns)) ||
		    (ret = get_bool(rd, o, where, "clock_limited", &r->clock_limited)) ||
		    (ret = get_u64(rd, o, where, "memcpy_n", &r->memcpy_n)) ||
		    (ret = get_i64_or_null(rd, o, where, "memcpy_bytes", &r->memcpy_bytes)) ||
		    (ret = get_i64_or_null(rd, o, where, "memcpy_median_ns",
					   &r->memcpy_median_ns)) ||
		    (ret = get_num_or_null(rd, o, where, "ratio_to_memcpy", &r->ratio_to_memcpy,
					   1)) ||
		    (ret = get_num_or_null(rd, o, where, "ratio_median", &r->ratio_median, 1)))
			return ret;
		r->device_bytes = rf->devices[r->device].device_bytes;
		r->mappings = rf->devices[r->device].mappings;
		if (layout_bytes != r->device_bytes || mappings != r->mappings)
			return fail(rd, -EINVAL,
				    "%s.device_bytes, .mappings: %llu, %llu, but device %zu has "
				    "%llu, %llu in meta.json",
				    where, (unsigned long long)layout_bytes,
				    (unsigned long long)mappings, r->device,
				    (unsigned long long)r->device_bytes,
				    (unsigned long long)r->mappings);
		if (!r->n)
			return fail(rd, -EINVAL, "%s.n: 0, a row has at least one sample", where);
		if (!(r->min_ns <= r->median_ns && r->median_ns <= r->p90_ns &&
		      r->p90_ns <= r->p99_ns && r->p99_ns <= r->max_ns))
			return fail(rd, -EINVAL,
				    "%s.median_ns: min <= median <= p90 <= p99 <= max does not hold",
				    where);
		if (r->memcpy_n > r->n)
			return fail(rd, -EINVAL, "%s.memcpy_n: %llu, more than n = %llu", where,
				    (unsigned long long)r->memcpy_n, (unsigned long long)r->n);
		if ((r->memcpy_n == 0) != (r->memcpy_median_ns < 0))
			return fail(rd, -EINVAL,
				    "%s.memcpy_median_ns: must be null exactly when memcpy_n is 0",
				    where);
	}
	return 0;
}

static int read_memcpy(struct rd *rd, struct ds_run_folder *rf, json_t *arr)
{
	char where[64];
	size_t i;
	int ret;

	rf->nmemcpy = json_array_size(arr);
	if (!rf->nmemcpy)
		return 0;
	rf->memcpy = calloc(rf->nmemcpy, sizeof(*rf->memcpy));
	if (!rf->memcpy)
		return fail(rd, -ENOMEM, "out of memory");
	for (i = 0; i < rf->nmemcpy; i++) {
		struct ds_rf_memcpy *m = &rf->memcpy[i];
		json_t *o = json_array_get(arr, i);

		snprintf(where, sizeof(where), "memcpy[%zu]", i);
		if (!json_is_object(o))
			return fail(rd, -EINVAL, "%s: expected an object, found %s", where,
				    type_name(o));
		if ((ret = get_u64(rd, o, where, "memcpy_bytes", &m->memcpy_bytes)) ||
		    (ret = get_u64(rd, o, where, "n", &m->n)) ||
		    (ret = get_u64(rd, o, where, "median_ns", &m->median_ns)))
			return ret;
		if (i && m->memcpy_bytes <= rf->memcpy[i - 1].memcpy_bytes)
			return fail(rd, -EINVAL, "%s.memcpy_bytes: not in ascending order", where);
	}
	return 0;
}

static int read_phases(struct rd *rd, struct ds_run_folder *rf, json_t *arr)
{
	char where[64], pwhere[96];
	size_t i, j;
	int ret;

	rf->nphases = json_array_size(arr);
	if (!rf->nphases)
		return 0;
	rf->phases = calloc(rf->nphases, sizeof(*rf->phases));
	if (!rf->phases)
		return fail(rd, -ENOMEM, "out of memory");
	for (i = 0; i < rf->nphases; i++) {
		struct ds_rf_phases *p = &rf->phases[i];
		json_t *o = json_array_get(arr, i), *list;

		snprintf(where, sizeof(where), "phases[%zu]", i);
		if (!json_is_object(o))
			return fail(rd, -EINVAL, "%s: expected an object, found %s", where,
				    type_name(o));
		if ((ret = get_harvest(rd, rf, o, where, &p->harvest)) ||
		    (ret = get_device(rd, rf, o, where, &p->device, &p->layout)) ||
		    (ret = get_enum(rd, o, where, "op", op_name, DS_OP_COUNT, &p->op, NULL)) ||
		    (ret = get_enum(rd, o, where, "request", request_name, DS_REQ_COUNT,
				    &p->request, NULL)) ||
		    (ret = get_enum(rd, o, where, "path", path_name, DS_PATH_COUNT, &p->path,
				    NULL)) ||
		    (ret = get_u64(rd, o, where, "requests", &p->requests)) ||
		    (ret = get_u64(rd, o, where, "walk_nodes", &p->walk_nodes)) ||
		    (ret = get_typed(rd, o, where, "phases", JSON_ARRAY, &list)))
			return ret;
		p->nphases = json_array_size(list);
		if (!p->nphases)
			continue;
		p->phases = calloc(p->nphases, sizeof(*p->phases));
		if (!p->phases)
			return fail(rd, -ENOMEM, "out of memory");
		for (j = 0; j < p->nphases; j++) {
			json_t *ph = json_array_get(list, j);
			int64_t mean;

			snprintf(pwhere, sizeof(pwhere), "%s.phases[%zu]", where, j);
			if (!json_is_object(ph))
				return fail(rd, -EINVAL, "%s: expected an object, found %s", pwhere,
					    type_name(ph));
			if ((ret = get_str(rd, ph, pwhere, "name", &p->phases[j].name, 0)) ||
			    (ret = get_u64(rd, ph, pwhere, "calls", &p->phases[j].calls)) ||
			    (ret = get_u64(rd, ph, pwhere, "total_ns", &p->phases[j].total_ns)) ||
			    (ret = get_i64_or_null(rd, ph, pwhere, "mean_ns_per_request", &mean)))
				return ret;
			if (!*p->phases[j].name)
				return fail(rd, -EINVAL, "%s.name: empty", pwhere);
		}
	}
	return 0;
}

static int read_downtime(struct rd *rd, struct ds_run_folder *rf, json_t *d)
{
	char where[64];
	json_t *est;
	size_t i;
	int ret;

	if (json_is_null(d))
		return 0;
	if (!json_is_object(d))
		return wrong_type(rd, "", "downtime", "an object or null", d);
	if ((ret = get_u64(rd, d, "downtime", "bandwidth_bytes_per_s",
			   &rf->bandwidth_bytes_per_s)) ||
	    (ret = get_u64(rd, d, "downtime", "state_bytes", &rf->state_bytes)) ||
	    (ret = get_u64(rd, d, "downtime", "limit_ns", &rf->limit_ns)) ||
	    (ret = get_typed(rd, d, "downtime", "estimates", JSON_ARRAY, &est)))
		return ret;
	rf->ndowntime = json_array_size(est);
	if (!rf->ndowntime)
		return 0;
	rf->downtime = calloc(rf->ndowntime, sizeof(*rf->downtime));
	if (!rf->downtime)
		return fail(rd, -ENOMEM, "out of memory");
	for (i = 0; i < rf->ndowntime; i++) {
		struct ds_rf_downtime *e = &rf->downtime[i];
		json_t *o = json_array_get(est, i);
		uint64_t bytes, mappings;

		snprintf(where, sizeof(where), "downtime.estimates[%zu]", i);
		if (!json_is_object(o))
			return fail(rd, -EINVAL, "%s: expected an object, found %s", where,
				    type_name(o));
		if ((ret = get_harvest(rd, rf, o, where, &e->harvest)) ||
		    (ret = get_device(rd, rf, o, where, &e->device, &e->layout)) ||
		    (ret = get_u64(rd, o, where, "device_bytes", &bytes)) ||
		    (ret = get_u64(rd, o, where, "mappings", &mappings)) ||
		    (ret = get_enum(rd, o, where, "query", query_name, 2, &e->query, NULL)) ||
		    (ret = get_u64(rd, o, where, "calls", &e->calls)) ||
		    (ret = get_u64(rd, o, where, "final_harvest_ns", &e->final_harvest_ns)) ||
		    (ret = get_u64(rd, o, where, "dirty_pages", &e->dirty_pages)) ||
		    (ret = get_u64(rd, o, where, "dirty_bytes", &e->dirty_bytes)) ||
		    (ret = get_bool(rd, o, where, "all_dirty", &e->all_dirty)) ||
		    (ret = get_u64(rd, o, where, "transfer_ns", &e->transfer_ns)) ||
		    (ret = get_u64(rd, o, where, "state_ns", &e->state_ns)) ||
		    (ret = get_u64(rd, o, where, "downtime_ns", &e->downtime_ns)) ||
		    (ret = get_u64(rd, o, where, "qemu_expected_downtime_ns",
				   &e->qemu_expected_downtime_ns)) ||
		    (ret = get_num_or_null(rd, o, where, "tracking_share", &e->tracking_share, 0)) ||
		    (ret = get_bool(rd, o, where, "fits", &e->fits)))
			return ret;
		e->device_bytes = rf->devices[e->device].device_bytes;
		e->mappings = rf->devices[e->device].mappings;
		if (bytes != e->device_bytes || mappings != e->mappings)
			return fail(rd, -EINVAL,
				    "%s.device_bytes, .mappings: disagree with device %zu in "
				    "meta.json",
				    where, e->device);
		if (e->tracking_share > 1)
			return fail(rd, -EINVAL, "%s.tracking_share: %g is above 1", where,
				    e->tracking_share);
	}
	return 0;
}

/*
 * The rows by their kind (harvest, device, op, request, path, stage), to
 * tie each sample to its row: open addressing, a power of two at least
 * twice the rows, so a probe ends on an empty slot.
 */
struct row_index {
	uint32_t *slot; /* row + 1; 0 is empty */
	size_t mask;
	uint8_t (*key)[6];
	uint16_t *dev;
};

static size_t row_hash(const uint8_t k[6], uint16_t dev)
{
	uint64_t h = 1469598103934665603ull;
	int i;

	for (i = 0; i < 6; i++)
		h = (h ^ k[i]) * 1099511628211ull;
	h = (h ^ dev) * 1099511628211ull;
	return (size_t)(h ^ (h >> 29));
}

static void row_key(struct ds_run_folder *rf, const struct ds_rf_row *r, uint8_t k[6])
{
	size_t h;

	for (h = 0; h < rf->nharvests; h++)
		if (rf->harvests[h] == r->harvest)
			break;
	k[0] = (uint8_t)h;
	k[1] = (uint8_t)find_name(r->op, op_name, DS_OP_COUNT);
	k[2] = (uint8_t)find_name(r->request, request_name, DS_REQ_COUNT);
	k[3] = (uint8_t)find_name(r->path, path_name, DS_PATH_COUNT);
	k[4] = (uint8_t)find_name(r->stage, stage_name, DS_STAGE_COUNT);
	k[5] = 0;
}

static int row_index_build(struct rd *rd, struct ds_run_folder *rf, struct row_index *ix)
{
	size_t size = 16, i;

	while (size < rf->nrows * 2)
		size *= 2;
	ix->mask = size - 1;
	ix->slot = calloc(size, sizeof(*ix->slot));
	ix->key = calloc(rf->nrows ? rf->nrows : 1, sizeof(*ix->key));
	ix->dev = calloc(rf->nrows ? rf->nrows : 1, sizeof(*ix->dev));
	if (!ix->slot || !ix->key || !ix->dev)
		return fail(rd, -ENOMEM, "out of memory");
	for (i = 0; i < rf->nrows; i++) {
		size_t h;

		row_key(rf, &rf->rows[i], ix->key[i]);
		ix->dev[i] = (uint16_t)rf->rows[i].device;
		for (h = row_hash(ix->key[i], ix->dev[i]) & ix->mask; ix->slot[h];
		     h = (h + 1) & ix->mask) {
			size_t o = ix->slot[h] - 1;

			if (ix->dev[o] == ix->dev[i] && !memcmp(ix->key[o], ix->key[i], 6))
				return fail(rd, -EINVAL,
					    "rows[%zu]: the same harvest, device, op, request, path "
					    "and stage as rows[%zu]",
					    i, o);
		}
		ix->slot[h] = (uint32_t)i + 1;
	}
	return 0;
}

static uint32_t row_find(const struct row_index *ix, const struct ds_rf_sample *s)
{
	uint8_t k[6] = {s->harvest, s->op, s->request, s->path, s->stage, 0};
	size_t h;

	for (h = row_hash(k, s->device) & ix->mask; ix->slot[h]; h = (h + 1) & ix->mask) {
		size_t o = ix->slot[h] - 1;

		if (ix->dev[o] == s->device && !memcmp(ix->key[o], k, 6))
			return (uint32_t)o;
	}
	return UINT32_MAX;
}

static void row_index_free(struct row_index *ix)
{
	free(ix->slot);
	free(ix->key);
	free(ix->dev);
}

static int read_summary(struct rd *rd, struct ds_run_folder *rf)
{
	json_t *s = rf->summary, *rows, *mc, *ph, *dt;
	struct row_index ix = {0};
	int ret;

	if ((ret = check_version(rd, s)) ||
	    (ret = get_typed(rd, s, "", "rows", JSON_ARRAY, &rows)) ||
	    (ret = get_typed(rd, s, "", "memcpy", JSON_ARRAY, &mc)) ||
	    (ret = get_typed(rd, s, "", "phases", JSON_ARRAY, &ph)) ||
	    (ret = get(rd, s, "", "downtime", &dt)))
		return ret;
	if ((ret = read_rows(rd, rf, rows)) || (ret = read_memcpy(rd, rf, mc)) ||
	    (ret = read_phases(rd, rf, ph)) || (ret = read_downtime(rd, rf, dt)))
		return ret;
	/* Two rows of one kind would make "the row of a sample" ambiguous. */
	ret = row_index_build(rd, rf, &ix);
	row_index_free(&ix);
	return ret;
}

/*
 * RFC 4180: fields separated by commas, records by CRLF or LF; a field in
 * double quotes may hold commas, quotes (doubled) and line breaks. A
 * quote inside an unquoted field, or text after a closing quote, is an
 * error rather than a guess.
 */
struct csv {
	FILE *f;
	char *buf; /* the record's fields, each NUL-terminated */
	size_t len, cap;
	size_t *off; /* start of each field in buf */
	size_t nf, capf;
	unsigned long line;	 /* the physical line the current record starts on */
	unsigned long nextline; /* the physical line of the next record */
};

static int csv_put(struct csv *c, char ch)
{
	if (c->len == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 256;
		char *p = realloc(c->buf, ncap);

		if (!p)
			return -ENOMEM;
		c->buf = p;
		c->cap = ncap;
	}
	c->buf[c->len++] = ch;
	return 0;
}

static int csv_field(struct csv *c)
{
	if (c->nf == c->capf) {
		size_t ncap = c->capf ? c->capf * 2 : 16;
		size_t *p = realloc(c->off, ncap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		c->off = p;
		c->capf = ncap;
	}
	c->off[c->nf++] = c->len;
	return 0;
}

/*
 * Read one record. Returns 1 with *@whole false when the file ended
 * before the record's line break (a cut last line), 1 with *@whole true
 * for a whole record, 0 at the end of the file, -EINVAL for a malformed
 * record (*@what says how), -ENOMEM, or -EIO.
 */
static int csv_record(struct csv *c, bool *whole, const char **what)
{
	enum { START, UNQUOTED, QUOTED, QUOTE_IN_QUOTED } st = START;
	int ch, ret;

	c->len = c->nf = 0;
	c->line = c->nextline;
	*whole = false;
	ch = getc_unlocked(c->f);
	if (ch == EOF)
		return ferror(c->f) ? -EIO : 0;
	if ((ret = csv_field(c)))
		return ret;
	for (;; ch = getc_unlocked(c->f)) {
		if (ch == EOF) {
			if (ferror(c->f))
				return -EIO;
			if (st == QUOTED) {
				*what = "a quoted field is not closed";
				return -EINVAL;
			}
			break;
		}
		if (st == QUOTED) {
			if (ch == '"')
				st = QUOTE_IN_QUOTED;
			else {
				if (ch == '\n')
					c->nextline++;
				if ((ret = csv_put(c, (char)ch)))
					return ret;
			}
			continue;
		}
		if (st == QUOTE_IN_QUOTED && ch == '"') {
			if ((ret = csv_put(c, '"')))
				return ret;
			st = QUOTED;
			continue;
		}
		if (ch == '\r') {
			ch = getc_unlocked(c->f);
			if (ch != '\n') {
				*what = "a carriage return not followed by a line feed";
				return -EINVAL;
			}
		}
		if (ch == '\n') {
			c->nextline++;
			*whole = true;
			break;
		}
		if (ch == ',') {
			if ((ret = csv_put(c, '\0')) || (ret = csv_field(c)))
				return ret;
			st = START;
			continue;
		}
		if (st == QUOTE_IN_QUOTED) {
			*what = "text after the closing quote of a field";
			return -EINVAL;
		}
		if (ch == '"') {
			if (st != START) {
				*what = "a quote inside an unquoted field";
				return -EINVAL;
			}
			st = QUOTED;
			continue;
		}
		st = UNQUOTED;
		if (ch == '\0') {
			*what = "a NUL byte";
			return -EINVAL;
		}
		if ((ret = csv_put(c, (char)ch)))
			return ret;
	}
	if ((ret = csv_put(c, '\0')))
		return ret;
	return 1;
}

static const char *csv_get(const struct csv *c, size_t i)
{
	return c->buf + c->off[i];
}

/* A whole unsigned decimal, digits only, at most @max. */
static int parse_dec(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (v > (max - (uint64_t)(*s - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

enum {
	COL_ITERATION,
	COL_STAGE,
	COL_HARVEST,
	COL_DEVICE,
	COL_LAYOUT,
	COL_OP,
	COL_REQUEST,
	COL_PATH,
	COL_MAPPING,
	COL_BITMAP_BYTES,
	COL_PAGES,
	COL_DIRTY_PAGES,
	COL_NS,
	COL_MEMCPY_BYTES,
	COL_MEMCPY_NS,
	NCOLS
};

static const char *const columns[NCOLS] = {
	"iteration", "stage",	     "harvest", "device",	"layout",
	"op",	     "request",	     "path",	"mapping",	"bitmap_bytes",
	"pages",     "dirty_pages", "ns",	"memcpy_bytes", "memcpy_ns",
};

static int add_sample(struct ds_run_folder *rf, size_t *cap, const struct ds_rf_sample *s)
{
	if (rf->nsamples == *cap) {
		size_t ncap = *cap ? *cap * 2 : 4096;
		struct ds_rf_sample *p;

		if (ncap > SIZE_MAX / sizeof(*p))
			return -ENOMEM;
		p = realloc(rf->samples, ncap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		rf->samples = p;
		*cap = ncap;
	}
	rf->samples[rf->nsamples++] = *s;
	return 0;
}

/* One record of samples.csv into @s; @col maps our columns to the file's. */
static int parse_sample(struct rd *rd, struct ds_run_folder *rf, const struct csv *c,
			const int col[NCOLS], struct ds_rf_sample *s)
{
	static const struct {
		int col;
		uint64_t max;
		size_t off, size;
	} nums[] = {
#define NUM(c, field, max)                                                                         \
	{c, max, offsetof(struct ds_rf_sample, field), sizeof(((struct ds_rf_sample *)0)->field)}
		NUM(COL_ITERATION, iteration, UINT32_MAX),
		NUM(COL_MAPPING, mapping, UINT32_MAX),
		NUM(COL_BITMAP_BYTES, bitmap_bytes, INT64_MAX),
		NUM(COL_PAGES, pages, INT64_MAX),
		NUM(COL_DIRTY_PAGES, dirty_pages, INT64_MAX),
		NUM(COL_NS, ns, INT64_MAX),
		NUM(COL_MEMCPY_BYTES, memcpy_bytes, INT64_MAX),
		NUM(COL_MEMCPY_NS, memcpy_ns, INT64_MAX),
#undef NUM
	};
	static const struct {
		int col;
		const char *(*name)(unsigned int);
		unsigned int n;
		size_t off;
	} names[] = {
		{COL_STAGE, stage_name, DS_STAGE_COUNT, offsetof(struct ds_rf_sample, stage)},
		{COL_OP, op_name, DS_OP_COUNT, offsetof(struct ds_rf_sample, op)},
		{COL_REQUEST, request_name, DS_REQ_COUNT, offsetof(struct ds_rf_sample, request)},
		{COL_PATH, path_name, DS_PATH_COUNT, offsetof(struct ds_rf_sample, path)},
	};
	unsigned long line = c->line;
	const char *v;
	uint64_t u;
	size_t i;
	int k;

	memset(s, 0, sizeof(*s));
	s->row = UINT32_MAX;
	for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		v = csv_get(c, (size_t)col[nums[i].col]);
		if (parse_dec(v, nums[i].max, &u))
			return fail(rd, -EINVAL, "line %lu: %s: '%s' is not an integer from 0 to %llu",
				    line, columns[nums[i].col], v, (unsigned long long)nums[i].max);
		if (nums[i].size == 4) {
			uint32_t u32 = (uint32_t)u;

			memcpy((char *)s + nums[i].off, &u32, 4);
		} else {
			memcpy((char *)s + nums[i].off, &u, 8);
		}
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char words[160];

		v = csv_get(c, (size_t)col[names[i].col]);
		k = find_name(v, names[i].name, names[i].n);
		if (k < 0) {
			list_names(words, sizeof(words), names[i].name, names[i].n);
			return fail(rd, -EINVAL, "line %lu: %s: '%s' is not one of %s", line,
				    columns[names[i].col], v, words);
		}
		*((uint8_t *)s + names[i].off) = (uint8_t)k;
	}
	v = csv_get(c, (size_t)col[COL_HARVEST]);
	for (i = 0; i < rf->nharvests; i++)
		if (!strcmp(v, rf->harvests[i]))
			break;
	if (i == rf->nharvests)
		return fail(rd, -EINVAL, "line %lu: harvest: '%s' is not one of meta.json's harvests",
			    line, v);
	s->harvest = (uint8_t)i;
	v = csv_get(c, (size_t)col[COL_DEVICE]);
	if (parse_dec(v, UINT16_MAX, &u))
		return fail(rd, -EINVAL, "line %lu: device: '%s' is not an integer", line, v);
	if (u >= rf->ndevices)
		return fail(rd, -EINVAL,
			    "line %lu: device: %llu is out of range (meta.json has %zu devices)",
			    line, (unsigned long long)u, rf->ndevices);
	s->device = (uint16_t)u;
	v = csv_get(c, (size_t)col[COL_LAYOUT]);
	if (strcmp(v, rf->devices[u].layout))
		return fail(rd, -EINVAL, "line %lu: layout: '%s', but device %llu is '%s' in meta.json",
			    line, v, (unsigned long long)u, rf->devices[u].layout);
	return 0;
}

static int read_samples(struct rd *rd, struct ds_run_folder *rf, const char *dir)
{
	struct csv c = {.nextline = 1};
	struct row_index ix = {0};
	char path[PATH_MAX];
	int col[NCOLS], ret, n;
	const char *what = "";
	uint64_t *counts = NULL;
	size_t cap = 0, i, j;
	bool whole, check;

	/* Whether the summary must account for every sample (a finished run). */
	check = rf->summary &&
		(rf->status == DS_RF_COMPLETE || rf->status == DS_RF_INTERRUPTED);
	n = snprintf(path, sizeof(path), "%s/samples.csv", dir);
	if (n < 0 || (size_t)n >= sizeof(path))
		return fail(rd, -ENAMETOOLONG, "path too long");
	c.f = fopen(path, "re");
	if (!c.f) {
		if (errno == ENOENT)
			return fail(rd, -ENOENT, "missing (copy the whole run folder)");
		return fail(rd, -errno, "cannot read it: %s", strerror(errno));
	}
	/* The rows were checked for duplicates when summary.json was read. */
	if (rf->summary && (ret = row_index_build(rd, rf, &ix)))
		goto out;

	ret = csv_record(&c, &whole, &what);
	if (ret == 0) {
		ret = fail(rd, -EINVAL, "empty: no header line");
		goto out;
	}
	if (ret < 0 || !whole)
		goto bad_record;
	for (j = 0; j < NCOLS; j++)
		col[j] = -1;
	for (i = 0; i < c.nf; i++) {
		for (j = 0; j < NCOLS; j++)
			if (!strcmp(csv_get(&c, i), columns[j]))
				break;
		if (j == NCOLS) {
			ret = fail(rd, -EINVAL, "line 1: unknown column '%s'", csv_get(&c, i));
			goto out;
		}
		if (col[j] >= 0) {
			ret = fail(rd, -EINVAL, "line 1: column '%s' appears twice", columns[j]);
			goto out;
		}
		col[j] = (int)i;
	}
	for (j = 0; j < NCOLS; j++)
		if (col[j] < 0) {
			ret = fail(rd, -EINVAL, "line 1: column '%s' missing", columns[j]);
			goto out;
		}

	for (;;) {
		struct ds_rf_sample s;

		ret = csv_record(&c, &whole, &what);
		if (ret == 0)
			break;
		if (ret < 0)
			goto bad_record;
		if (!whole) {
			/*
			 * A run that never ended (or failed on a full disk) may leave its
			 * last line cut; a finished run wrote whole lines.
			 */
			if (rf->status == DS_RF_RUNNING || rf->status == DS_RF_FAILED)
				break;
			ret = fail(rd, -EINVAL, "line %lu: cut: no line break at the end of the file",
				   c.line);
			goto out;
		}
		if (c.nf != NCOLS) {
			ret = fail(rd, -EINVAL, "line %lu: %zu fields, expected %d", c.line, c.nf,
				   NCOLS);
			goto out;
		}
		if ((ret = parse_sample(rd, rf, &c, col, &s)))
			goto out;
		if (rf->summary) {
			s.row = row_find(&ix, &s);
			if (s.row == UINT32_MAX && check) {
				ret = fail(rd, -EINVAL,
					   "line %lu: no row of summary.json has this harvest, "
					   "device, op, request, path and stage",
					   c.line);
				goto out;
			}
		}
		if (add_sample(rf, &cap, &s)) {
			ret = fail(rd, -ENOMEM, "out of memory");
			goto out;
		}
	}
	if (check && rf->nrows) {
		counts = calloc(rf->nrows, sizeof(*counts));
		if (!counts) {
			ret = fail(rd, -ENOMEM, "out of memory");
			goto out;
		}
		for (i = 0; i < rf->nsamples; i++)
			counts[rf->samples[i].row]++;
		for (i = 0; i < rf->nrows; i++)
			if (counts[i] != rf->rows[i].n) {
				ret = fail(rd, -EINVAL,
					   "%llu lines of summary.json's rows[%zu], whose n is %llu "
					   "(a half-written or edited folder?)",
					   (unsigned long long)counts[i], i,
					   (unsigned long long)rf->rows[i].n);
				goto out;
			}
	}
	ret = 0;
	goto out;

bad_record:
	if (ret == -EINVAL)
		ret = fail(rd, -EINVAL, "line %lu: malformed CSV: %s", c.line, what);
	else if (ret == -ENOMEM)
		ret = fail(rd, -ENOMEM, "out of memory");
	else
		ret = fail(rd, ret, "cannot read it: %s", strerror(-ret));
out:
	free(counts);
	row_index_free(&ix);
	free(c.buf);
	free(c.off);
	fclose(c.f);
	return ret;
}

void ds_rf_close(struct ds_run_folder *rf)
{
	size_t i;

	if (!rf)
		return;
	free(rf->path);
	json_decref(rf->meta);
	json_decref(rf->summary);
	for (i = 0; rf->harvests && i < rf->nharvests; i++)
		free(rf->harvests[i]);
	free(rf->harvests);
	for (i = 0; rf->devices && i < rf->ndevices; i++) {
		free(rf->devices[i].layout);
		free(rf->devices[i].group);
	}
	free(rf->devices);
	free(rf->rows);
	for (i = 0; rf->phases && i < rf->nphases; i++)
		free(rf->phases[i].phases);
	free(rf->phases);
	free(rf->memcpy);
	free(rf->downtime);
	free(rf->samples);
	free(rf);
}

int ds_rf_open(const char *dir, unsigned int flags, struct ds_run_folder **out, char *why,
	       size_t whylen)
{
	struct rd rd = {.file = dir, .why = why, .whylen = whylen};
	struct ds_run_folder *rf;
	struct stat st;
	int ret;

	if (why && whylen)
		why[0] = '\0';
	if (stat(dir, &st))
		return fail(&rd, -errno, "%s", strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return fail(&rd, -ENOTDIR, "not a folder");
	rf = calloc(1, sizeof(*rf));
	if (!rf)
		return fail(&rd, -ENOMEM, "out of memory");
	rf->path = strdup(dir);
	if (!rf->path) {
		ret = fail(&rd, -ENOMEM, "out of memory");
		goto err;
	}

	rd.file = "meta.json";
	if ((ret = load_json(&rd, dir, &rf->meta)) || (ret = read_meta(&rd, rf, flags)))
		goto err;

	/*
	 * A run that never ended has no summary (a stale one would belong to
	 * nothing); a failed run has one only if it could still be written.
	 */
	rd.file = "summary.json";
	if (rf->status != DS_RF_RUNNING) {
		ret = load_json(&rd, dir, &rf->summary);
		if (ret == -ENOENT && rf->status == DS_RF_FAILED && (flags & DS_RF_PARTIAL))
			ret = 0;
		else if (ret == -ENOENT && rf->status == DS_RF_FAILED)
			fail(&rd, ret, "missing: the run failed (%s) before it could write it",
			     rf->error ? rf->error : "no error recorded");
		else if (ret == -ENOENT)
			fail(&rd, ret, "missing, though meta.json says the run is %s (copy the "
				       "whole folder)",
			     ds_rf_status_name(rf->status));
		if (ret || (rf->summary && (ret = read_summary(&rd, rf))))
			goto err;
	}

	if (flags & DS_RF_SAMPLES) {
		rd.file = "samples.csv";
		if ((ret = read_samples(&rd, rf, dir)))
			goto err;
	}
	*out = rf;
	return 0;
err:
	ds_rf_close(rf);
	return ret;
}

const char *ds_rf_status_name(enum ds_rf_status s)
{
	static const char *const names[] = {
		[DS_RF_RUNNING] = "running",
		[DS_RF_COMPLETE] = "complete",
		[DS_RF_INTERRUPTED] = "interrupted",
		[DS_RF_FAILED] = "failed",
	};

	return (unsigned int)s < sizeof(names) / sizeof(names[0]) ? names[s] : NULL;
}

const char *ds_rf_op_name(uint8_t op)
{
	return ds_op_name((enum ds_op)op);
}

const char *ds_rf_request_name(uint8_t request)
{
	return ds_request_name((enum ds_request)request);
}

const char *ds_rf_path_name(uint8_t path)
{
	return ds_path_name((enum ds_path)path);
}

const char *ds_rf_stage_name(uint8_t stage)
{
	return ds_stage_name((enum ds_stage)stage);
}
