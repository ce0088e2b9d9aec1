// SPDX-License-Identifier: MIT
/*
 * summarize.c - the summary rows, computed once from the samples: one per
 * (harvest, device, op, request, path, stage), with the statistics of
 * results/README.md. The table and the files render the same rows.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"

/* (harvest, device, op, request, path, stage) packed into one word for hashing. */
static uint64_t group_key(const struct ds_sample *s)
{
	return (uint64_t)s->harvest << 48 | (uint64_t)s->device << 32 | (uint64_t)s->op << 24 |
	       (uint64_t)s->request << 16 | (uint64_t)s->path << 8 | s->stage;
}

/* Per-call ratios are kept as fixed point so that they sort as the integers do. */
#define RATIO_SCALE 1000000.0

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

/* The metrics of a row; those from M_MEMCPY on count only samples with a memcpy. */
enum metric { M_NS, M_PAGES, M_BITMAP, M_DIRTY, M_MEMCPY, M_MEMCPY_BYTES, M_RATIO };

static uint64_t metric(const struct ds_sample *s, enum metric m)
{
	double ratio;

	switch (m) {
	case M_NS:
		return s->ns;
	case M_PAGES:
		return s->pages;
	case M_BITMAP:
		return s->bitmap_bytes;
	case M_DIRTY:
		return s->dirty_pages;
	case M_MEMCPY:
		return s->memcpy_ns;
	case M_MEMCPY_BYTES:
		return s->memcpy_bytes;
	case M_RATIO:
		ratio = (double)s->ns / (double)s->memcpy_ns * RATIO_SCALE;
		return ratio < 1.8e19 ? (uint64_t)ratio : UINT64_MAX;
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
		if (m >= M_MEMCPY && !r->samples[i].memcpy_ns)
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

		out[g].harvest = (uint8_t)(k >> 48);
		out[g].device = (uint16_t)(k >> 32);
		out[g].op = (uint8_t)(k >> 24);
		out[g].request = (uint8_t)(k >> 16);
		out[g].path = (uint8_t)(k >> 8);
		out[g].stage = (uint8_t)k;
		out[g].has_dirty = out[g].op == DS_OP_GET_BITMAP || out[g].op == DS_OP_UNMAP_BITMAP;
	}
	for (m = M_NS; m <= M_RATIO; m++) {
		const size_t *off = m >= M_MEMCPY ? mstart : start;

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
			case M_DIRTY:
				out[g].dirty_pages = st.median;
				break;
			case M_MEMCPY:
				out[g].memcpy = st;
				break;
			case M_MEMCPY_BYTES:
				out[g].memcpy_bytes = st.median;
				break;
			case M_RATIO:
				out[g].ratio_median = (double)st.median / RATIO_SCALE;
				break;
			}
		}
	}
	for (g = 0; g < ng; g++) {
		if (out[g].memcpy.n && out[g].memcpy.median)
			out[g].ratio = (double)out[g].stats.median / (double)out[g].memcpy.median;
		out[g].clock_limited = r->clock_pair_ns &&
				       out[g].stats.median < DS_CLOCK_LIMITED_FACTOR * r->clock_pair_ns;
	}

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

