// SPDX-License-Identifier: MIT
/*
 * output_table.c - the summary rows, computed once from the samples, and
 * the human table on stdout. The files of output_files.c render the same
 * rows; only the units differ.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"

/* p99 above this many medians earns the row a high-variance mark. */
#define HIGH_VARIANCE_FACTOR 3

/* (harvest, device, op, request, path) packed into one word for hashing. */
static uint64_t group_key(const struct ds_sample *s)
{
	return (uint64_t)s->harvest << 40 | (uint64_t)s->device << 24 | (uint64_t)s->op << 16 |
	       (uint64_t)s->request << 8 | s->path;
}

/*
 * Open addressing over group numbers: a run has a few dozen groups
 * (harvests x devices x ops x request kinds), but millions of samples, so
 * a lookup must not scan the groups.
 */
struct group_map {
	uint32_t *slot; /* group + 1; 0 is empty */
	size_t mask;
	uint64_t *keys; /* by group, in order of first appearance */
	size_t n, cap;
};

static uint64_t mix(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return k;
}

static uint32_t *map_find(struct group_map *m, uint64_t key)
{
	size_t i = mix(key) & m->mask;

	while (m->slot[i] && m->keys[m->slot[i] - 1] != key)
		i = (i + 1) & m->mask;
	return &m->slot[i];
}

static int map_rehash(struct group_map *m)
{
	size_t nslots = (m->mask + 1) * 2, i;
	uint32_t *old = m->slot;

	m->slot = calloc(nslots, sizeof(*m->slot));
	if (!m->slot) {
		m->slot = old;
		return -ENOMEM;
	}
	m->mask = nslots - 1;
	for (i = 0; i < m->n; i++)
		*map_find(m, m->keys[i]) = (uint32_t)(i + 1);
	free(old);
	return 0;
}

/* The group of @key, added when new; -ENOMEM. */
static int64_t map_group(struct group_map *m, uint64_t key)
{
	uint32_t *slot = map_find(m, key);
	uint64_t *keys;

	if (*slot)
		return *slot - 1;
	if (m->n == m->cap) {
		keys = realloc(m->keys, 2 * m->cap * sizeof(*keys));
		if (!keys)
			return -ENOMEM;
		m->keys = keys;
		m->cap *= 2;
	}
	m->keys[m->n] = key;
	*slot = (uint32_t)++m->n;
	/* Half full at most, so that probes stay short. */
	if (2 * m->n > m->mask && map_rehash(m))
		return -ENOMEM;
	return (int64_t)m->n - 1;
}

static int map_init(struct group_map *m)
{
	m->mask = 63;
	m->n = 0;
	m->cap = 16;
	m->slot = calloc(m->mask + 1, sizeof(*m->slot));
	m->keys = malloc(m->cap * sizeof(*m->keys));
	return m->slot && m->keys ? 0 : -ENOMEM;
}

static void map_free(struct group_map *m)
{
	free(m->slot);
	free(m->keys);
}

enum metric { M_NS, M_PAGES, M_BITMAP, M_MEMCPY };

static uint64_t metric(const struct ds_sample *s, enum metric m)
{
	switch (m) {
	case M_NS:
		return s->ns;
	case M_PAGES:
		return s->pages;
	case M_BITMAP:
		return s->bitmap_bytes;
	case M_MEMCPY:
		return s->memcpy_ns;
	}
	return 0;
}

/*
 * Bucket one metric of every sample by group into @vals: a counting sort on
 * @off, the groups' offsets. For M_MEMCPY only the samples that have a
 * memcpy count, and @off is that count's offsets.
 */
static void bucket(const struct ds_result *r, const uint32_t *gid, enum metric m,
		   const size_t *off, size_t *pos, size_t ngroups, uint64_t *vals)
{
	size_t i;

	memcpy(pos, off, ngroups * sizeof(*pos));
	for (i = 0; i < r->nsamples; i++) {
		if (m == M_MEMCPY && !r->samples[i].memcpy_ns)
			continue;
		vals[pos[gid[i]]++] = metric(&r->samples[i], m);
	}
}

int ds_summarize(const struct ds_result *r, struct ds_row **rows, size_t *nrows)
{
	struct group_map map = {0};
	uint32_t *gid = NULL;
	uint64_t *vals = NULL;
	size_t *start = NULL, *mstart = NULL, *pos = NULL;
	struct ds_row *out = NULL;
	struct ds_stats st;
	size_t i, g, n = r->nsamples, ng;
	enum metric m;
	int ret = -ENOMEM;

	*rows = NULL;
	*nrows = 0;
	if (!n)
		return 0;
	if (map_init(&map))
		goto done;
	gid = malloc(n * sizeof(*gid));
	vals = malloc(n * sizeof(*vals));
	if (!gid || !vals)
		goto done;
	for (i = 0; i < n; i++) {
		int64_t id = map_group(&map, group_key(&r->samples[i]));

		if (id < 0)
			goto done;
		gid[i] = (uint32_t)id;
	}
	ng = map.n;
	start = calloc(ng + 1, sizeof(*start));
	mstart = calloc(ng + 1, sizeof(*mstart));
	pos = calloc(ng, sizeof(*pos));
	out = calloc(ng, sizeof(*out));
	if (!start || !mstart || !pos || !out)
		goto done;

	/* Offsets of each group in vals: counts, then prefix sums. */
	for (i = 0; i < n; i++) {
		start[gid[i] + 1]++;
		if (r->samples[i].memcpy_ns)
			mstart[gid[i] + 1]++;
	}
	for (g = 0; g < ng; g++) {
		start[g + 1] += start[g];
		mstart[g + 1] += mstart[g];
	}

	for (g = 0; g < ng; g++) {
		uint64_t k = map.keys[g];

		out[g].harvest = (uint8_t)(k >> 40);
		out[g].device = (uint16_t)(k >> 24);
		out[g].op = (uint8_t)(k >> 16);
		out[g].request = (uint8_t)(k >> 8);
		out[g].path = (uint8_t)k;
	}
	for (m = M_NS; m <= M_MEMCPY; m++) {
		const size_t *off = m == M_MEMCPY ? mstart : start;

		bucket(r, gid, m, off, pos, ng, vals);
		for (g = 0; g < ng; g++) {
			ds_stats_compute(vals + off[g], off[g + 1] - off[g], &st);
			switch (m) {
			case M_NS:
				out[g].stats = st;
				break;
			case M_PAGES:
				out[g].pages = st.median;
				break;
			case M_BITMAP:
				out[g].bitmap_bytes = st.median;
				break;
			case M_MEMCPY:
				out[g].memcpy = st;
				break;
			}
		}
	}
	for (g = 0; g < ng; g++)
		if (out[g].memcpy.n && out[g].memcpy.median)
			out[g].ratio = (double)out[g].stats.median / (double)out[g].memcpy.median;

	*rows = out;
	*nrows = ng;
	out = NULL;
	ret = 0;
done:
	free(out);
	free(pos);
	free(mstart);
	free(start);
	free(vals);
	free(gid);
	map_free(&map);
	return ret;
}

/*
 * Human units with 3 significant digits: "812 ns", "1.23 µs", "45.6 ms".
 * @scale is 1000 for times and 1024 for bytes; the value moves to the next
 * unit once its rounded form would need a fourth digit.
 */
static const char *human(char *buf, size_t len, uint64_t v, unsigned int scale,
			 const char *const *units, size_t nunits)
{
	double x = (double)v;
	size_t u = 0;

	while (u + 1 < nunits && x >= 999.5) {
		x /= scale;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu %s", (unsigned long long)v, units[0]);
	else if (x < 9.995)
		snprintf(buf, len, "%.2f %s", x, units[u]);
	else if (x < 99.95)
		snprintf(buf, len, "%.1f %s", x, units[u]);
	else
		snprintf(buf, len, "%.0f %s", x, units[u]);
	return buf;
}

static const char *human_ns(char *buf, size_t len, uint64_t ns)
{
	static const char *const units[] = {"ns", "µs", "ms", "s"};

	return human(buf, len, ns, 1000, units, 4);
}

static const char *human_bytes(char *buf, size_t len, uint64_t bytes)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};

	return human(buf, len, bytes, 1024, units, 5);
}

/* Terminal columns of a UTF-8 string: "µ" is two bytes but one column. */
static int columns(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* One cell and the space before it; printf's widths count bytes, not columns. */
static void cell(FILE *f, const char *s, int width, bool right, bool first)
{
	int pad = width - columns(s);

	if (!first)
		fputc(' ', f);
	if (right)
		fprintf(f, "%*s%s", pad > 0 ? pad : 0, "", s);
	else
		fprintf(f, "%s%*s", s, pad > 0 ? pad : 0, "");
}

static const char *harvest_name(const struct ds_result *r, unsigned int h)
{
	return h < r->nharvests && r->harvests[h] ? r->harvests[h] : "?";
}

static const char *layout_name(const struct ds_result *r, unsigned int d)
{
	return d < r->ndevices ? r->devices[d].layout : "?";
}

static const char *or_unknown(const char *s)
{
	return s ? s : "?";
}

/* Widths of the name columns, shared by both tables so that they line up. */
struct widths {
	int harvest, layout;
};

static void name_widths(const struct ds_result *r, const struct ds_row *rows, size_t nrows,
			struct widths *w)
{
	size_t i;
	int c;

	w->harvest = columns("harvest");
	w->layout = columns("layout");
	for (i = 0; i < nrows; i++) {
		c = columns(harvest_name(r, rows[i].harvest));
		w->harvest = c > w->harvest ? c : w->harvest;
		c = columns(layout_name(r, rows[i].device));
		w->layout = c > w->layout ? c : w->layout;
	}
	for (i = 0; i < r->nphases; i++) {
		c = columns(harvest_name(r, r->phases[i].harvest));
		w->harvest = c > w->harvest ? c : w->harvest;
		c = columns(layout_name(r, r->phases[i].device));
		w->layout = c > w->layout ? c : w->layout;
	}
}

/* "unmap_bitmap" and "mapping"/"aligned" are the longest names. */
enum { W_OP = 12, W_REQ = 7, W_PATH = 7, W_N = 7, W_TIME = 7, W_BYTES = 8, W_RATIO = 8 };

static void name_cells(FILE *f, const struct widths *w, const char *harvest, const char *layout,
		       const char *op, const char *request, const char *path)
{
	cell(f, harvest, w->harvest, false, true);
	cell(f, layout, w->layout, false, false);
	cell(f, op, W_OP, false, false);
	cell(f, request, W_REQ, false, false);
	cell(f, path, W_PATH, false, false);
}

static bool high_variance(const struct ds_row *row)
{
	return row->stats.median <= UINT64_MAX / HIGH_VARIANCE_FACTOR &&
	       row->stats.p99 > HIGH_VARIANCE_FACTOR * row->stats.median;
}

static void print_rows(FILE *f, const struct ds_result *r, const struct ds_row *rows,
		       size_t nrows, const struct widths *w)
{
	static const char *const times[] = {"min", "median", "p90", "p99", "max"};
	char buf[32];
	size_t i, t;

	name_cells(f, w, "harvest", "layout", "op", "request", "path");
	cell(f, "n", W_N, true, false);
	for (t = 0; t < 5; t++)
		cell(f, times[t], W_TIME, true, false);
	cell(f, "bitmap", W_BYTES, true, false);
	cell(f, "x memcpy", W_RATIO, true, false);
	fputc('\n', f);

	for (i = 0; i < nrows; i++) {
		const struct ds_row *row = &rows[i];
		const uint64_t v[] = {row->stats.min, row->stats.median, row->stats.p90,
				      row->stats.p99, row->stats.max};

		name_cells(f, w, harvest_name(r, row->harvest), layout_name(r, row->device),
			   or_unknown(ds_op_name(row->op)),
			   or_unknown(ds_request_name(row->request)),
			   or_unknown(ds_path_name(row->path)));
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)row->stats.n);
		cell(f, buf, W_N, true, false);
		for (t = 0; t < 5; t++)
			cell(f, human_ns(buf, sizeof(buf), v[t]), W_TIME, true, false);
		cell(f, row->bitmap_bytes ? human_bytes(buf, sizeof(buf), row->bitmap_bytes) : "-",
		     W_BYTES, true, false);
		if (row->memcpy.n && row->ratio > 0) {
			if (row->ratio < 9.995)
				snprintf(buf, sizeof(buf), "%.2fx", row->ratio);
			else if (row->ratio < 99.95)
				snprintf(buf, sizeof(buf), "%.1fx", row->ratio);
			else
				snprintf(buf, sizeof(buf), "%.0fx", row->ratio);
			cell(f, buf, W_RATIO, true, false);
		} else {
			cell(f, "-", W_RATIO, true, false);
		}
		fputs(high_variance(row) ? " !\n" : "\n", f);
	}
}

static int phase_width(int p)
{
	int c = columns(dt_phase_name(p));

	return c > 6 ? c : 6; /* "100.0%" */
}

/*
 * The profiler view: where a kind of request spends its time, as shares of
 * the timed phases, and the mean of all of them per request.
 */
static void print_phases(FILE *f, const struct ds_result *r, const struct widths *w)
{
	char buf[32];
	size_t i;
	int p;

	fprintf(f, "\nharvest phases: share of the profiled time, and its mean per request\n");
	name_cells(f, w, "harvest", "layout", "op", "request", "path");
	cell(f, "requests", 8, true, false);
	for (p = 0; p < DT_PHASE_COUNT; p++)
		cell(f, dt_phase_name(p), phase_width(p), true, false);
	cell(f, "per request", 11, true, false);
	fputc('\n', f);

	for (i = 0; i < r->nphases; i++) {
		const struct ds_phase_total *t = &r->phases[i];
		uint64_t total = 0;

		for (p = 0; p < DT_PHASE_COUNT; p++)
			total += t->profile.ns[p];
		name_cells(f, w, harvest_name(r, t->harvest), layout_name(r, t->device),
			   or_unknown(ds_op_name(t->op)), or_unknown(ds_request_name(t->request)),
			   or_unknown(ds_path_name(t->path)));
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)t->requests);
		cell(f, buf, 8, true, false);
		for (p = 0; p < DT_PHASE_COUNT; p++) {
			/* A phase that never ran is not a phase that took no time. */
			if (!t->profile.calls[p] || !total)
				snprintf(buf, sizeof(buf), "-");
			else
				snprintf(buf, sizeof(buf), "%.1f%%",
					 100.0 * (double)t->profile.ns[p] / (double)total);
			cell(f, buf, phase_width(p), true, false);
		}
		cell(f, t->requests ? human_ns(buf, sizeof(buf), total / t->requests) : "-", 11,
		     true, false);
		fputc('\n', f);
	}
}

void ds_print_table(FILE *f, const struct ds_result *r, const struct ds_row *rows, size_t nrows)
{
	struct widths w;
	size_t i, noisy = 0;

	name_widths(r, rows, nrows, &w);
	print_rows(f, r, rows, nrows, &w);
	if (r->nphases)
		print_phases(f, r, &w);
	for (i = 0; i < nrows; i++)
		noisy += high_variance(&rows[i]);
	if (noisy)
		fprintf(f,
			"\n! %zu row%s with p99 above %dx the median: high variance: close other "
			"programs or pin the CPU with taskset\n",
			noisy, noisy == 1 ? "" : "s", HIGH_VARIANCE_FACTOR);
}
