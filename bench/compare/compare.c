// SPDX-License-Identifier: MIT
/*
 * compare.c - row-by-row comparison of two sets of run folders with a
 * seeded bootstrap of the ratio of medians (docs/compare.md says why this
 * statistic, and why the threshold).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "human.h"
#include "result.h"
#include "stats.h"

void ds_cmp_default_opts(struct ds_cmp_opts *o)
{
	o->stages = 1u << DS_STAGE_STEADY;
	o->threshold = DS_CMP_THRESHOLD;
	o->confidence = 0.99;
	o->resamples = 2000;
	o->min_n = 10;
	o->seed = 1;
}

const char *ds_cmp_verdict_name(enum ds_cmp_verdict v)
{
	static const char *const names[] = {
		[DS_CMP_SAME] = "same",		    [DS_CMP_FASTER] = "faster",
		[DS_CMP_SLOWER] = "slower",	    [DS_CMP_STAGE] = "(stage)",
		[DS_CMP_WORKLOAD] = "(workload)",   [DS_CMP_FEW] = "(few)",
		[DS_CMP_BASE_ONLY] = "(base only)", [DS_CMP_NEW_ONLY] = "(new only)",
	};

	return (unsigned int)v < sizeof(names) / sizeof(names[0]) ? names[v] : "?";
}

/* --- settings ---------------------------------------------------------- */

/*
 * Options that say where or how the output goes, not what was measured:
 * two runs that differ only in these measured the same thing.
 */
static const char *const ignored_config[] = {"out", "force", "progress", "no_progress",
					      "interrupted"};

static bool ignored(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(ignored_config) / sizeof(ignored_config[0]); i++)
		if (!strcmp(key, ignored_config[i]))
			return true;
	return false;
}

static char *dump(const json_t *v)
{
	char *s;

	if (!v)
		return strdup("(absent)");
	s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	return s ? s : strdup("?");
}

static int add_diff(struct ds_cmp_diff **arr, size_t *n, const char *key, const json_t *a,
		    const json_t *b)
{
	struct ds_cmp_diff *p;
	size_t i;

	/* One line per key, even when several folders of a side disagree on it. */
	for (i = 0; i < *n; i++)
		if (!strcmp((*arr)[i].key, key))
			return 0;
	p = realloc(*arr, (*n + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	*arr = p;
	p = &p[*n];
	p->key = strdup(key);
	p->base = dump(a);
	p->new_ = dump(b);
	if (!p->key || !p->base || !p->new_) {
		free(p->key);
		free(p->base);
		free(p->new_);
		return -ENOMEM;
	}
	(*n)++;
	return 0;
}

/* Every key of either object whose values differ, as "@prefix.key". */
static int diff_objects(struct ds_cmp_diff **arr, size_t *n, const char *prefix, json_t *a,
			json_t *b, bool skip_ignored)
{
	const char *key;
	json_t *v;
	char name[160];
	int ret;

	json_object_foreach(a, key, v) {
		if (skip_ignored && ignored(key))
			continue;
		if (!json_equal(v, json_object_get(b, key))) {
			snprintf(name, sizeof(name), "%s.%s", prefix, key);
			if ((ret = add_diff(arr, n, name, v, json_object_get(b, key))))
				return ret;
		}
	}
	json_object_foreach(b, key, v) {
		if ((skip_ignored && ignored(key)) || json_object_get(a, key))
			continue;
		snprintf(name, sizeof(name), "%s.%s", prefix, key);
		if ((ret = add_diff(arr, n, name, NULL, v)))
			return ret;
	}
	return 0;
}

/* The devices as people name them, "[1G uniform:8, 1G ragged:8, 2G all]": the JSON is too long to read. */
static json_t *device_names(const struct ds_run_folder *rf)
{
	char buf[1024], size[32];
	size_t used = 0, d;

	buf[0] = '\0';
	for (d = 0; d < rf->ndevices && used < sizeof(buf); d++) {
		int w = snprintf(buf + used, sizeof(buf) - used, "%s%s %s", d ? ", " : "",
				 ds_human_size(size, sizeof(size), rf->devices[d].device_bytes),
				 rf->devices[d].layout);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	return json_string(buf);
}

static int diff_settings(struct ds_cmp *c, const struct ds_run_folder *a,
			 const struct ds_run_folder *b)
{
	static const char *const top[] = {"backend", "harvests", "devices", "iterations"};
	json_t *ja, *jb;
	size_t i;
	int ret;

	for (i = 0; i < sizeof(top) / sizeof(top[0]); i++) {
		ja = json_object_get(a->meta, top[i]);
		jb = json_object_get(b->meta, top[i]);
		if (!strcmp(top[i], "devices") && json_array_size(ja) != json_array_size(jb)) {
			json_t *na = device_names(a), *nb = device_names(b);

			ret = add_diff(&c->diffs, &c->ndiffs, "devices", na, nb);
			json_decref(na);
			json_decref(nb);
			if (ret)
				return ret;
			continue;
		}
		if (!strcmp(top[i], "devices")) {
			/* name the device that differs, not the whole list */
			size_t d;

			for (d = 0; d < json_array_size(ja); d++) {
				char name[32];

				if (json_equal(json_array_get(ja, d), json_array_get(jb, d)))
					continue;
				snprintf(name, sizeof(name), "devices[%zu]", d);
				if ((ret = add_diff(&c->diffs, &c->ndiffs, name,
						    json_array_get(ja, d), json_array_get(jb, d))))
					return ret;
			}
			continue;
		}
		if (!json_equal(ja, jb) && (ret = add_diff(&c->diffs, &c->ndiffs, top[i], ja, jb)))
			return ret;
	}
	if ((ret = diff_objects(&c->diffs, &c->ndiffs, "config", json_object_get(a->meta, "config"),
				json_object_get(b->meta, "config"), true)))
		return ret;
	return diff_objects(&c->host, &c->nhost, "host", json_object_get(a->meta, "host"),
			    json_object_get(b->meta, "host"), false);
}

/* --- rows ---------------------------------------------------------------- */

/*
 * A row's identity across folders: the device by size and layout (and,
 * when a run has two devices of one size and layout, which of them), not
 * by index, so that forced comparisons of different device lists still
 * pair what can be paired.
 */
struct key {
	const char *harvest, *layout, *op, *request, *path, *stage;
	uint64_t device_bytes;
	unsigned int twin; /* earlier devices of the same size and layout */
};

static void row_key(const struct ds_run_folder *rf, const struct ds_rf_row *r, struct key *k)
{
	size_t d;

	k->harvest = r->harvest;
	k->layout = r->layout;
	k->op = r->op;
	k->request = r->request;
	k->path = r->path;
	k->stage = r->stage;
	k->device_bytes = r->device_bytes;
	k->twin = 0;
	for (d = 0; d < r->device; d++)
		if (rf->devices[d].device_bytes == r->device_bytes &&
		    !strcmp(rf->devices[d].layout, r->layout))
			k->twin++;
}

static bool key_eq(const struct key *a, const struct key *b)
{
	return a->device_bytes == b->device_bytes && a->twin == b->twin &&
	       !strcmp(a->harvest, b->harvest) && !strcmp(a->layout, b->layout) &&
	       !strcmp(a->op, b->op) && !strcmp(a->request, b->request) &&
	       !strcmp(a->path, b->path) && !strcmp(a->stage, b->stage);
}

/* The samples of one row of one set: run after run. */
struct side {
	uint64_t *v;
	size_t n, cap;
	size_t *off; /* run r holds v[off[r] .. off[r + 1]) */
	size_t runs;
};

struct work {
	struct key key;
	struct side side[2];
	bool clock_limited;
};

static int side_push(struct side *s, uint64_t x)
{
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 64;
		uint64_t *p = realloc(s->v, ncap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		s->v = p;
		s->cap = ncap;
	}
	s->v[s->n++] = x;
	return 0;
}

/* Add the samples of folder @rf to side @which of the rows, making rows as needed. */
static int gather(struct work **w, size_t *nw, size_t *capw, const struct ds_run_folder *rf,
		  int which)
{
	size_t *map, i;
	int ret = 0;

	map = calloc(rf->nrows ? rf->nrows : 1, sizeof(*map));
	if (!map)
		return -ENOMEM;
	for (i = 0; i < rf->nrows; i++) {
		struct key k;
		size_t j;

		row_key(rf, &rf->rows[i], &k);
		for (j = 0; j < *nw; j++)
			if (key_eq(&(*w)[j].key, &k))
				break;
		if (j == *nw) {
			if (*nw == *capw) {
				size_t ncap = *capw ? *capw * 2 : 64;
				struct work *p = realloc(*w, ncap * sizeof(*p));

				if (!p) {
					ret = -ENOMEM;
					goto out;
				}
				*w = p;
				*capw = ncap;
			}
			memset(&(*w)[j], 0, sizeof(**w));
			(*w)[j].key = k;
			(*nw)++;
		}
		map[i] = j;
		if (rf->rows[i].clock_limited)
			(*w)[j].clock_limited = true;
	}
	/* Open a run on every row this folder has; rows it lacks get no run. */
	for (i = 0; i < rf->nrows; i++) {
		struct side *s = &(*w)[map[i]].side[which];
		size_t *p = realloc(s->off, (s->runs + 2) * sizeof(*p));

		if (!p) {
			ret = -ENOMEM;
			goto out;
		}
		s->off = p;
		s->off[s->runs] = s->n;
		s->off[s->runs + 1] = s->n;
		s->runs++;
	}
	for (i = 0; i < rf->nsamples; i++) {
		const struct ds_rf_sample *smp = &rf->samples[i];
		struct side *s;

		if (smp->row == UINT32_MAX)
			continue; /* a failed run's sample of no row: nothing to pair it with */
		s = &(*w)[map[smp->row]].side[which];
		if ((ret = side_push(s, smp->ns)))
			goto out;
		s->off[s->runs] = s->n;
	}
out:
	free(map);
	return ret;
}

/* --- statistics ---------------------------------------------------------- */

/* The @k-th smallest (0-based) of @v, reordered: quickselect, three-way so ties cost nothing. */
static uint64_t select_k(uint64_t *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n; /* v[lo, hi) holds the answer */

	while (hi - lo > 1) {
		uint64_t a = v[lo], b = v[lo + (hi - lo) / 2], c = v[hi - 1], pivot, t;
		size_t lt = lo, i = lo, gt = hi;

		/* median of three: sorted or reversed input stays linear */
		pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
		while (i < gt) {
			if (v[i] < pivot) {
				t = v[i];
				v[i++] = v[lt];
				v[lt++] = t;
			} else if (v[i] > pivot) {
				t = v[i];
				v[i] = v[--gt];
				v[gt] = t;
			} else {
				i++;
			}
		}
		if (k < lt)
			hi = lt;
		else if (k >= gt)
			lo = gt;
		else
			return pivot;
	}
	return v[lo];
}

uint64_t ds_cmp_median(uint64_t *v, size_t n)
{
	uint64_t a, b;
	size_t i;

	if (!n)
		return 0;
	if (n % 2)
		return select_k(v, n, n / 2);
	a = select_k(v, n, n / 2 - 1);
	/* select_k leaves everything above rank n/2 - 1 after it: the next is their minimum */
	b = v[n / 2];
	for (i = n / 2; i < n; i++)
		if (v[i] < b)
			b = v[i];
	return a + (b - a) / 2;
}

/* xoshiro256**, seeded through splitmix64: fast, and the same stream on every machine. */
struct rng {
	uint64_t s[4];
};

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

/* Uniform in [0, n): the high half of a 64x64 product (bias below 2^-40 for our n). */
static size_t rng_below(struct rng *r, size_t n)
{
	return (size_t)(((unsigned __int128)rng_next(r) * n) >> 64);
}

static uint64_t fnv(const char *s, uint64_t h)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (h ^ 0xff) * 1099511628211ull;
}

/* The stream of a row depends on the seed and the row, not on which other rows exist. */
static uint64_t row_seed(const struct key *k, uint64_t seed)
{
	uint64_t h = 1469598103934665603ull ^ seed;

	h = fnv(k->harvest, h);
	h = fnv(k->layout, h);
	h = fnv(k->op, h);
	h = fnv(k->request, h);
	h = fnv(k->path, h);
	h = fnv(k->stage, h);
	return h ^ (k->device_bytes * 0x9e3779b97f4a7c15ull) ^ k->twin;
}

/*
 * One bootstrap resample of a set into @buf, and its median: runs drawn
 * with replacement, then the samples of each drawn run with replacement.
 * With one run that is the plain bootstrap; with several, the spread
 * between runs (drift, placement, a noisy neighbour) widens the interval
 * as it should, instead of being mistaken for an effect.
 */
static uint64_t resample_median(const struct side *s, uint64_t *buf, struct rng *r)
{
	size_t m = 0, i, j;

	for (i = 0; i < s->runs; i++) {
		size_t run = s->runs == 1 ? 0 : rng_below(r, s->runs);
		size_t off = s->off[run], n = s->off[run + 1] - off;

		for (j = 0; j < n; j++)
			buf[m++] = s->v[off + rng_below(r, n)];
	}
	return ds_cmp_median(buf, m);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static size_t largest_run(const struct side *s)
{
	size_t r, max = 0;

	for (r = 0; r < s->runs; r++)
		if (s->off[r + 1] - s->off[r] > max)
			max = s->off[r + 1] - s->off[r];
	return max;
}

/* The percentile interval of median(new) / median(base) - 1. */
static int bootstrap(const struct work *w, const struct ds_cmp_opts *o, double *lo, double *hi)
{
	size_t cap0 = largest_run(&w->side[0]) * w->side[0].runs;
	size_t cap1 = largest_run(&w->side[1]) * w->side[1].runs;
	uint64_t *buf = malloc((cap0 > cap1 ? cap0 : cap1) * sizeof(*buf));
	double *ratio = malloc(o->resamples * sizeof(*ratio));
	double tail = (1 - o->confidence) / 2;
	struct rng r;
	size_t b, ilo, ihi;

	if (!buf || !ratio) {
		free(buf);
		free(ratio);
		return -ENOMEM;
	}
	rng_seed(&r, row_seed(&w->key, o->seed));
	for (b = 0; b < o->resamples; b++) {
		uint64_t m0 = resample_median(&w->side[0], buf, &r);
		uint64_t m1 = resample_median(&w->side[1], buf, &r);

		ratio[b] = (double)m1 / (double)(m0 ? m0 : 1);
	}
	qsort(ratio, o->resamples, sizeof(*ratio), cmp_double);
	ilo = (size_t)floor(tail * o->resamples);
	ihi = (size_t)ceil((1 - tail) * o->resamples);
	if (ihi > 0)
		ihi--;
	if (ihi >= o->resamples)
		ihi = o->resamples - 1;
	*lo = ratio[ilo] - 1;
	*hi = ratio[ihi] - 1;
	free(buf);
	free(ratio);
	return 0;
}

static bool workload_op(const char *op)
{
	return !strcmp(op, "dirty") || !strcmp(op, "populate");
}

static int stage_index(const char *stage)
{
	int i;

	for (i = 0; i < DS_STAGE_COUNT; i++)
		if (!strcmp(stage, ds_stage_name((enum ds_stage)i)))
			return i;
	return -1;
}

static int judge(struct ds_cmp *c, struct ds_cmp_row *row, struct work *w,
		 const struct ds_cmp_opts *o)
{
	struct ds_stats st;
	int s, ret, stage;

	for (s = 0; s < 2; s++) {
		uint64_t *copy;

		row->n[s] = w->side[s].n;
		row->runs[s] = w->side[s].runs;
		if (!w->side[s].n)
			continue;
		copy = malloc(w->side[s].n * sizeof(*copy));
		if (!copy)
			return -ENOMEM;
		memcpy(copy, w->side[s].v, w->side[s].n * sizeof(*copy));
		ds_stats_compute(copy, w->side[s].n, &st);
		free(copy);
		row->median_ns[s] = st.median;
		row->p99_ns[s] = st.p99;
	}
	row->change = row->p99_change = row->lo = row->hi = NAN;
	if (!row->n[0] || !row->n[1]) {
		row->verdict = row->n[0] ? DS_CMP_BASE_ONLY : DS_CMP_NEW_ONLY;
		return 0;
	}
	row->change = (double)row->median_ns[1] / (double)(row->median_ns[0] ? row->median_ns[0] : 1) - 1;
	row->p99_change = (double)row->p99_ns[1] / (double)(row->p99_ns[0] ? row->p99_ns[0] : 1) - 1;
	stage = stage_index(row->stage);
	if (stage < 0 || !(o->stages & (1u << stage))) {
		row->verdict = DS_CMP_STAGE;
		return 0;
	}
	if (workload_op(row->op)) {
		row->verdict = DS_CMP_WORKLOAD;
		return 0;
	}
	if (row->n[0] < o->min_n || row->n[1] < o->min_n) {
		row->verdict = DS_CMP_FEW;
		return 0;
	}
	if ((ret = bootstrap(w, o, &row->lo, &row->hi)))
		return ret;
	c->judged++;
	if (row->lo > o->threshold) {
		row->verdict = DS_CMP_SLOWER;
		c->slower++;
	} else if (row->hi < -o->threshold) {
		row->verdict = DS_CMP_FASTER;
		c->faster++;
	} else {
		row->verdict = DS_CMP_SAME;
		c->same++;
	}
	return 0;
}

void ds_cmp_free(struct ds_cmp *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->ndiffs; i++) {
		free(c->diffs[i].key);
		free(c->diffs[i].base);
		free(c->diffs[i].new_);
	}
	for (i = 0; i < c->nhost; i++) {
		free(c->host[i].key);
		free(c->host[i].base);
		free(c->host[i].new_);
	}
	free(c->diffs);
	free(c->host);
	free(c->rows);
	free(c);
}

int ds_cmp_run(struct ds_run_folder *const *base, size_t nbase, struct ds_run_folder *const *nw,
	       size_t nnew, const struct ds_cmp_opts *o, struct ds_cmp **out)
{
	struct ds_run_folder *const *sets[2] = {base, nw};
	size_t nsets[2] = {nbase, nnew};
	struct work *w = NULL;
	size_t nwork = 0, capw = 0, i;
	struct ds_cmp *c;
	int ret = 0, s;

	if (!nbase || !nnew || !o->resamples || o->confidence <= 0 || o->confidence >= 1 ||
	    o->threshold < 0)
		return -EINVAL;
	for (s = 0; s < 2; s++)
		for (i = 0; i < nsets[s]; i++)
			if (!sets[s][i]->samples && sets[s][i]->nrows)
				return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->opts = *o;

	/* Within a set every run must match its first; across sets, the firsts. */
	for (s = 0; s < 2 && !ret; s++)
		for (i = 1; i < nsets[s] && !ret; i++)
			ret = diff_settings(c, sets[s][0], sets[s][i]);
	if (!ret)
		ret = diff_settings(c, base[0], nw[0]);
	for (s = 0; s < 2 && !ret; s++)
		for (i = 0; i < nsets[s] && !ret; i++)
			ret = gather(&w, &nwork, &capw, sets[s][i], s);
	if (ret)
		goto out;

	c->rows = calloc(nwork ? nwork : 1, sizeof(*c->rows));
	if (!c->rows) {
		ret = -ENOMEM;
		goto out;
	}
	c->nrows = nwork;
	for (i = 0; i < nwork && !ret; i++) {
		struct ds_cmp_row *row = &c->rows[i];

		row->harvest = w[i].key.harvest;
		row->layout = w[i].key.layout;
		row->op = w[i].key.op;
		row->request = w[i].key.request;
		row->path = w[i].key.path;
		row->stage = w[i].key.stage;
		row->device_bytes = w[i].key.device_bytes;
		row->clock_limited = w[i].clock_limited;
		ret = judge(c, row, &w[i], o);
	}
out:
	for (i = 0; i < nwork; i++)
		for (s = 0; s < 2; s++) {
			free(w[i].side[s].v);
			free(w[i].side[s].off);
		}
	free(w);
	if (ret) {
		ds_cmp_free(c);
		return ret;
	}
	*out = c;
	return 0;
}

size_t ds_cmp_regressions(const struct ds_cmp *c, double pct)
{
	size_t i, n = 0;

	for (i = 0; i < c->nrows; i++)
		if (c->rows[i].verdict <= DS_CMP_SLOWER && c->rows[i].lo > pct / 100)
			n++;
	return n;
}
