// SPDX-License-Identifier: MIT
/*
 * test_workloads.c - the four workloads against the model, each checked
 * with computations of its own: pins counted back page by page with
 * unpin/re-pin, memory scanned for what the devices wrote, the container's
 * mappings probed range by range, never the workloads' own bookkeeping.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <dirtytrack/dirtytrack.h>
#include <workloads/workload.h>

#include "check.h"

#define PG 4096ull
#define BASE 0x100000000ull /* 4 GiB: an IOVA window away from 0 */
#define GROUP 7
#define PROBE_GROUP 9999 /* the test's own vendor driver, to count pins */
#define MAX_THREADS 4

struct layout {
	const char *name;
	uint64_t window; /* pages */
	size_t n;
	uint64_t m[24][2]; /* first page, pages */
};

/* Page counts off 64, two mappings back to back, a hole inside and one at the end. */
static const struct layout ragged = {
	"ragged", 480, 4, {{0, 70}, {70, 133}, {208, 67}, {275, 190}},
};
static const struct layout single = {"single", 2000, 1, {{0, 2000}}};
/* A window packed full of small mappings: churn must find room where it freed some. */
static const struct layout dense = {
	"dense", 32, 8, {{0, 4}, {4, 4}, {8, 4}, {12, 4}, {16, 4}, {20, 4}, {24, 4}, {28, 4}},
};
/* 16 slots of 32 pages, a mapping of 1-16 pages somewhere in each (built below). */
static struct layout viommu_layout = {"viommu", 512, 16, {{0}}};

static void build_viommu_layout(void)
{
	size_t i;

	for (i = 0; i < viommu_layout.n; i++) {
		viommu_layout.m[i][0] = i * 32 + (i * 7) % 16;
		viommu_layout.m[i][1] = 1 + (i * 5) % 16;
	}
}

struct fx {
	struct dt_container *c;
	uint8_t *mem;
	uint64_t window;
	struct ds_device dev;
	uint64_t *mapped; /* the window page of each mapped page, in device order */
	uint64_t total;
	uint64_t *bm, *bm2; /* window bitmaps */
	uint32_t *refs;	    /* pins per window page */
};

static int fx_open(struct fx *f, const struct layout *l)
{
	struct dt_container_config cfg;
	uint64_t words = (l->window + 63) / 64, i, j;

	memset(f, 0, sizeof(*f));
	dt_container_config_init(&cfg);
	if (dt_container_create(&cfg, &f->c) < 0)
		return -1;
	f->window = l->window;
	f->mem = mmap(NULL, l->window * PG, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (f->mem == MAP_FAILED)
		return -1;
	/* One fault, one page: residency then says exactly what was touched. */
	madvise(f->mem, l->window * PG, MADV_NOHUGEPAGE);
	f->dev = (struct ds_device){
		.c = f->c,
		.pgsize = PG,
		.iova_base = BASE,
		.iova_size = l->window * PG,
		.mem = f->mem,
		.mappings = calloc(l->n, sizeof(struct ds_mapping)),
		.nmappings = l->n,
		.mappings_cap = l->n,
	};
	f->mapped = calloc(l->window, sizeof(*f->mapped));
	f->bm = calloc(words, 8);
	f->bm2 = calloc(words, 8);
	f->refs = calloc(l->window, sizeof(*f->refs));
	if (!f->dev.mappings || !f->mapped || !f->bm || !f->bm2 || !f->refs)
		return -1;
	for (i = 0; i < l->n; i++) {
		f->dev.mappings[i].iova = BASE + l->m[i][0] * PG;
		f->dev.mappings[i].size = l->m[i][1] * PG;
		if (dt_dma_map(f->c, BASE + l->m[i][0] * PG, l->m[i][1] * PG,
			       (uintptr_t)(f->mem + l->m[i][0] * PG), DT_PROT_READ | DT_PROT_WRITE))
			return -1;
		for (j = 0; j < l->m[i][1]; j++)
			f->mapped[f->total++] = l->m[i][0] + j;
	}
	return 0;
}

static void fx_close(struct fx *f)
{
	dt_container_destroy(f->c);
	if (f->mem && f->mem != MAP_FAILED)
		munmap(f->mem, f->window * PG);
	free(f->dev.mappings);
	free(f->mapped);
	free(f->bm);
	free(f->bm2);
	free(f->refs);
}

static bool bit(const uint64_t *bm, uint64_t i)
{
	return bm[i / 64] >> (i % 64) & 1;
}

static void bit_set(uint64_t *bm, uint64_t i)
{
	bm[i / 64] |= 1ull << (i % 64);
}

/* GET_BITMAP over the whole window into @bm. */
static int get_window(struct fx *f, uint64_t *bm)
{
	uint64_t bytes = dt_bitmap_bytes(f->window);
	struct dt_bitmap b = {.pgsize = PG, .size = bytes, .data = bm};

	memset(bm, 0, bytes);
	return dt_get_bitmap(f->c, BASE, f->window * PG, &b);
}

static uint64_t popcount(const uint64_t *bm, uint64_t pages)
{
	uint64_t i, n = 0;

	for (i = 0; i < (pages + 63) / 64; i++)
		n += (uint64_t)__builtin_popcountll(bm[i]);
	return n;
}

/*
 * Count the pins of every mapped page by unpinning until the page says it
 * is not pinned, then pin it back as often: the container is as before.
 */
static uint64_t count_pins(struct fx *f)
{
	uint64_t i, r, sum = 0, iova;

	CHECK_EQ(dt_group_attach(f->c, PROBE_GROUP, DT_GROUP_MEDIATED, 1), 0);
	memset(f->refs, 0, f->window * sizeof(*f->refs));
	for (i = 0; i < f->total; i++) {
		iova = BASE + f->mapped[i] * PG;
		while (dt_unpin(f->c, PROBE_GROUP, iova, 1) == 0)
			f->refs[f->mapped[i]]++;
		for (r = 0; r < f->refs[f->mapped[i]]; r++)
			CHECK_EQ(dt_pin(f->c, PROBE_GROUP, iova, 1, DT_PROT_READ | DT_PROT_WRITE), 0);
		sum += f->refs[f->mapped[i]];
	}
	CHECK_EQ(dt_group_detach(f->c, PROBE_GROUP), 0);
	return sum;
}

/* No pin left anywhere: a harvest re-sets pinned pages, so the second one is clean. */
static bool no_pins(struct fx *f)
{
	if (dt_dirty_start(f->c) < 0)
		return false;
	if (get_window(f, f->bm) < 0 || get_window(f, f->bm) < 0)
		return false;
	return popcount(f->bm, f->window) == 0;
}

struct step_arg {
	const struct ds_workload_ops *ops;
	void *state;
	unsigned int thread;
	uint64_t step;
	int ret;
};

static void *step_thread(void *p)
{
	struct step_arg *a = p;

	a->ret = a->ops->step(a->state, a->thread, a->step);
	return NULL;
}

/* One step on @threads threads at once, as the harness's pool runs it. */
static int run_step(const struct ds_workload_ops *ops, void *state, unsigned int threads,
		    uint64_t step)
{
	struct step_arg a[MAX_THREADS];
	pthread_t tid[MAX_THREADS];
	unsigned int t;
	int ret = 0;

	for (t = 0; t < threads; t++)
		a[t] = (struct step_arg){.ops = ops, .state = state, .thread = t, .step = step};
	for (t = 1; t < threads; t++)
		if (pthread_create(&tid[t], NULL, step_thread, &a[t]))
			return -EAGAIN;
	step_thread(&a[0]);
	for (t = 1; t < threads; t++)
		pthread_join(tid[t], NULL);
	for (t = 0; t < threads; t++)
		if (a[t].ret < 0 && !ret)
			ret = a[t].ret;
	return ret;
}

/* run_step(), checking that a timed step takes its time: step_ns from its start, no less. */
static int timed_step(const struct ds_workload_ops *ops, void *state,
		      const struct ds_workload_params *p, uint64_t step)
{
	struct timespec a, b;
	uint64_t ns;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &a);
	ret = run_step(ops, state, p->threads, step);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ns = (uint64_t)(b.tv_sec - a.tv_sec) * 1000000000u + (uint64_t)b.tv_nsec -
	     (uint64_t)a.tv_nsec;
	if (p->step_ns)
		CHECK(ns >= p->step_ns);
	return ret;
}

static struct ds_workload_params base_params(void)
{
	return (struct ds_workload_params){
		.seed = 42,
		.threads = 1,
		.pages = 50,
		.pattern = DS_PATTERN_RANDOM,
		.hot_percent = 10,
		.hot_share = 90,
		.rw_bytes = 64,
		.churn = 4,
		.group = GROUP,
	};
}

static uint64_t ws_pages(const struct fx *f, const struct ds_workload_params *p)
{
	return p->working_set && p->working_set < f->total ? p->working_set : f->total;
}

/* The window page of working-set page @k, computed as the spec says. */
static uint64_t ws_page(const struct fx *f, const struct ds_workload_params *p, uint64_t k)
{
	return f->mapped[(uint64_t)((unsigned __int128)k * f->total / ws_pages(f, p))];
}

static uint64_t share(const struct ds_workload_params *p, unsigned int t)
{
	return p->pages / p->threads + (t < p->pages % p->threads);
}

/*
 * What the sequential pattern touches at @step, per window page: thread t
 * starts at t * ws / threads and walks its share of pages each step.
 */
static void sequential_expect(const struct fx *f, const struct ds_workload_params *p,
			      uint64_t step, uint32_t *want)
{
	uint64_t ws = ws_pages(f, p), start, i;
	unsigned int t;

	memset(want, 0, f->window * sizeof(*want));
	for (t = 0; t < p->threads; t++) {
		start = (uint64_t)((unsigned __int128)ws * t / p->threads) + step * share(p, t);
		for (i = 0; i < share(p, t); i++)
			want[ws_page(f, p, (start + i) % ws)]++;
	}
}

static const struct ds_workload_ops *wl(const char *name)
{
	const struct ds_workload_ops *ops = ds_workload_find(name);

	if (!ops) {
		fprintf(stderr, "no workload %s\n", name);
		exit(1);
	}
	return ops;
}

/* ---------------------------------------------------------------- pinned */

/*
 * Run pinned for @steps steps and check each: the pins counted back are
 * the pages a second harvest reports, the first harvest adds those of the
 * previous step (unpinned since), the count is p->pages, the pages lie in
 * the working set; sequential pins exactly the pages the cursors walk.
 * Returns a digest of every step's pins, for the seed check.
 */
static uint64_t pinned_case(const struct layout *l, struct ds_workload_params p, uint64_t steps)
{
	const struct ds_workload_ops *ops = wl("pinned");
	uint64_t words = (l->window + 63) / 64, s, i, k, ws, digest = 1469598103934665603ull;
	uint64_t *prev = calloc(words, 8), *inws = calloc(words, 8);
	uint32_t *want = calloc(l->window, sizeof(*want));
	void *state = NULL;
	struct fx f;

	if (fx_open(&f, l) < 0 || !prev || !inws || !want) {
		CHECK(!"fixture");
		goto out;
	}
	CHECK_EQ(ops->setup(&f.dev, &p, &state), 0);
	CHECK(ops->populate == NULL);
	CHECK_EQ(dt_dirty_start(f.c), 0);
	ws = ws_pages(&f, &p);
	for (k = 0; k < ws; k++)
		bit_set(inws, ws_page(&f, &p, k));
	for (s = 0; s < steps && state; s++) {
		CHECK_EQ(timed_step(ops, state, &p, s), 0);
		CHECK_EQ(get_window(&f, f.bm), 0);
		CHECK_EQ(get_window(&f, f.bm2), 0);
		if (p.step_ns)
			CHECK(count_pins(&f) > 0);
		else
			CHECK_EQ(count_pins(&f), p.pages);
		if (p.pattern == DS_PATTERN_SEQUENTIAL && !p.step_ns)
			sequential_expect(&f, &p, s, want);
		for (i = 0; i < l->window; i++) {
			CHECK_EQ(bit(f.bm2, i), f.refs[i] > 0);
			CHECK_EQ(bit(f.bm, i), bit(f.bm2, i) || bit(prev, i));
			if (f.refs[i])
				CHECK(bit(inws, i));
			if (p.pattern == DS_PATTERN_SEQUENTIAL && !p.step_ns)
				CHECK_EQ(f.refs[i], want[i]);
			digest = (digest ^ f.refs[i]) * 1099511628211ull;
		}
		memcpy(prev, f.bm2, words * 8);
	}
	ops->teardown(state);
	CHECK_EQ(dt_group_detach(f.c, GROUP), -ENOENT);
	CHECK(no_pins(&f));
out:
	fx_close(&f);
	free(prev);
	free(inws);
	free(want);
	return digest;
}

static void test_pinned(void)
{
	struct ds_workload_params p = base_params();
	uint64_t a, b;

	/* Random, one thread and four; the same seed gives the same pins. */
	a = pinned_case(&ragged, p, 6);
	CHECK_EQ(pinned_case(&ragged, p, 6), a);
	p.seed = 43;
	CHECK(pinned_case(&ragged, p, 6) != a);
	p.threads = 4;
	p.pages = 101;
	b = pinned_case(&ragged, p, 6);
	CHECK_EQ(pinned_case(&ragged, p, 6), b);

	/* Sequential: runs across adjacent mappings, around the hole, wrapping. */
	p = base_params();
	p.pattern = DS_PATTERN_SEQUENTIAL;
	p.pages = 100;
	pinned_case(&ragged, p, 8);
	p.threads = 3;
	pinned_case(&ragged, p, 8);
	/* More than one dt_pin's 512 pages a step. */
	p.pages = 1500;
	p.threads = 1;
	pinned_case(&single, p, 3);
	p.threads = 4;
	pinned_case(&single, p, 3);
	/* A working set smaller than the device: every pick one of its pages. */
	p = base_params();
	p.working_set = 40;
	pinned_case(&ragged, p, 4);
	p.pattern = DS_PATTERN_SEQUENTIAL;
	p.pages = 30;
	p.threads = 2;
	pinned_case(&ragged, p, 4);
	p.pattern = DS_PATTERN_HOTCOLD;
	pinned_case(&ragged, p, 4);
	/* For a time instead of a count. */
	p = base_params();
	p.pages = 0;
	p.step_ns = 1000000;
	pinned_case(&ragged, p, 3);
	p.threads = 3;
	p.pattern = DS_PATTERN_SEQUENTIAL;
	pinned_case(&ragged, p, 3);
}

/* hot_share % of the pins land in the first hot_percent % of the working set. */
static void test_pinned_hotcold(void)
{
	const struct ds_workload_ops *ops = wl("pinned");
	struct ds_workload_params p = base_params();
	uint64_t hot = 0, i;
	void *state = NULL;
	struct fx f;

	p.pattern = DS_PATTERN_HOTCOLD;
	p.pages = 4000;
	p.threads = 2;
	if (fx_open(&f, &single) < 0) {
		CHECK(!"fixture");
		goto out;
	}
	CHECK_EQ(ops->setup(&f.dev, &p, &state), 0);
	CHECK_EQ(run_step(ops, state, p.threads, 0), 0);
	CHECK_EQ(count_pins(&f), p.pages);
	for (i = 0; i < 200; i++)
		hot += f.refs[i];
	/* 90% expected; 4000 draws put 3 sigma at +-1.4%. */
	CHECK(hot > p.pages * 85 / 100 && hot < p.pages * 95 / 100);
	ops->teardown(state);
	CHECK(no_pins(&f));
out:
	fx_close(&f);
}

/* ---------------------------------------------------------------- iommu, rw */

/* Is every working-set page resident, and nothing else? */
static void check_populated(struct fx *f, const struct ds_workload_params *p)
{
	unsigned char *vec = calloc(f->window, 1);
	uint64_t *ws = calloc((f->window + 63) / 64, 8), k, i;

	if (!vec || !ws || mincore(f->mem, f->window * PG, vec) < 0) {
		CHECK(!"mincore");
		goto out;
	}
	for (k = 0; k < ws_pages(f, p); k++)
		bit_set(ws, ws_page(f, p, k));
	for (i = 0; i < f->window; i++)
		CHECK_EQ(vec[i] & 1, bit(ws, i));
out:
	free(vec);
	free(ws);
}

/* Pages with a non-zero byte, into @bm; the count. */
static uint64_t written_pages(struct fx *f, uint64_t *bm)
{
	uint64_t i, j, n = 0;
	const uint64_t *w;

	memset(bm, 0, dt_bitmap_bytes(f->window));
	for (i = 0; i < f->window; i++) {
		w = (const uint64_t *)(const void *)(f->mem + i * PG);
		for (j = 0; j < PG / 8; j++)
			if (w[j]) {
				bit_set(bm, i);
				n++;
				break;
			}
	}
	return n;
}

/* Every mapped page set, every hole clear. */
static bool all_mapped(struct fx *f, const uint64_t *bm)
{
	uint64_t i, n = 0;

	for (i = 0; i < f->total; i++)
		n += bit(bm, f->mapped[i]);
	return n == f->total && popcount(bm, f->window) == f->total;
}

/* Every word written says this step and one of the threads. */
static void check_iommu_words(struct fx *f, const struct ds_workload_params *p, uint64_t step)
{
	const uint64_t *w = (const uint64_t *)(const void *)f->mem;
	uint64_t i, v;

	for (i = 0; i < f->window * PG / 8; i++) {
		v = w[i];
		if (!v)
			continue;
		CHECK_EQ(v >> 16, step + 1);
		CHECK((v & 0xffff) >= 1 && (v & 0xffff) <= p->threads);
	}
}

static void iommu_case(const struct layout *l, struct ds_workload_params p, uint64_t steps)
{
	const struct ds_workload_ops *ops = wl("iommu");
	uint32_t *want = calloc(l->window, sizeof(*want));
	void *state = NULL;
	uint64_t s, i, n;
	struct fx f;

	if (fx_open(&f, l) < 0 || !want) {
		CHECK(!"fixture");
		goto out;
	}
	CHECK_EQ(ops->setup(&f.dev, &p, &state), 0);
	CHECK_EQ(dt_dirty_start(f.c), 0);
	/* Out of scope: every page of every mapping, at every harvest. */
	CHECK_EQ(get_window(&f, f.bm), 0);
	CHECK(all_mapped(&f, f.bm));
	CHECK_EQ(get_window(&f, f.bm), 0);
	CHECK(all_mapped(&f, f.bm));
	CHECK_EQ(ops->populate(state), 0);
	check_populated(&f, &p);
	for (s = 0; s < steps && state; s++) {
		memset(f.mem, 0, f.window * PG);
		CHECK_EQ(timed_step(ops, state, &p, s), 0);
		n = written_pages(&f, f.bm2);
		CHECK(n >= 1);
		if (!p.step_ns)
			CHECK(n <= p.pages);
		check_iommu_words(&f, &p, s);
		if (p.pattern == DS_PATTERN_SEQUENTIAL && !p.step_ns) {
			sequential_expect(&f, &p, s, want);
			for (i = 0; i < l->window; i++)
				CHECK_EQ(bit(f.bm2, i), want[i] > 0);
		}
		for (i = 0; i < l->window; i++)
			if (bit(f.bm2, i))
				CHECK(bit(f.bm, i)); /* a mapped page */
		CHECK_EQ(get_window(&f, f.bm), 0);
		CHECK(all_mapped(&f, f.bm));
	}
	/* The device may have written anything before it left: all dirty once, then clean. */
	ops->teardown(state);
	CHECK_EQ(dt_group_detach(f.c, GROUP), -ENOENT);
	CHECK_EQ(get_window(&f, f.bm), 0);
	CHECK(all_mapped(&f, f.bm));
	CHECK_EQ(get_window(&f, f.bm), 0);
	CHECK_EQ(popcount(f.bm, f.window), 0);
out:
	fx_close(&f);
	free(want);
}

static void test_iommu(void)
{
	struct ds_workload_params p = base_params();

	iommu_case(&ragged, p, 3);
	p.threads = 4;
	p.pages = 301;
	iommu_case(&ragged, p, 3);
	p.pattern = DS_PATTERN_SEQUENTIAL;
	iommu_case(&ragged, p, 4);
	p.threads = 1;
	p.working_set = 77;
	iommu_case(&ragged, p, 4);
	p.pattern = DS_PATTERN_HOTCOLD;
	p.threads = 3;
	iommu_case(&ragged, p, 2);
	p.pages = 0;
	p.step_ns = 200000;
	iommu_case(&ragged, p, 2);
}

/* Every written page holds rw_bytes of the source pattern in one run, zero around. */
static void check_rw_bytes(struct fx *f, const struct ds_workload_params *p)
{
	uint64_t i, j, first, last;
	const uint8_t *b;
	unsigned int t;
	bool ok;

	for (i = 0; i < f->window; i++) {
		b = f->mem + i * PG;
		for (first = 0; first < PG && !b[first]; first++)
			;
		if (first == PG)
			continue;
		for (last = PG; !b[last - 1]; last--)
			;
		CHECK_EQ(last - first, p->rw_bytes);
		/* Which thread wrote it shows in the first byte: 1 + (0 + t) % 255. */
		t = (unsigned int)(b[first] - 1);
		CHECK(t < p->threads);
		for (j = first, ok = true; j < last; j++)
			ok &= b[j] == (uint8_t)(1 + (j - first + t) % 255);
		CHECK(ok);
	}
}

static void rw_case(const struct layout *l, struct ds_workload_params p, uint64_t steps)
{
	const struct ds_workload_ops *ops = wl("rw");
	uint32_t *want = calloc(l->window, sizeof(*want));
	bool exact = p.threads == 1 || p.pattern == DS_PATTERN_SEQUENTIAL;
	void *state = NULL;
	uint64_t s, i, n;
	struct fx f;

	if (fx_open(&f, l) < 0 || !want) {
		CHECK(!"fixture");
		goto out;
	}
	CHECK_EQ(ops->setup(&f.dev, &p, &state), 0);
	CHECK_EQ(dt_dirty_start(f.c), 0);
	CHECK_EQ(ops->populate(state), 0);
	check_populated(&f, &p);
	CHECK_EQ(written_pages(&f, f.bm2), 0);
	CHECK_EQ(get_window(&f, f.bm), 0);
	CHECK_EQ(popcount(f.bm, f.window), 0);
	for (s = 0; s < steps && state; s++) {
		memset(f.mem, 0, f.window * PG);
		CHECK_EQ(timed_step(ops, state, &p, s), 0);
		n = written_pages(&f, f.bm2);
		CHECK_EQ(get_window(&f, f.bm), 0);
		/* The harvest reports exactly the pages whose memory changed. */
		CHECK(!memcmp(f.bm, f.bm2, dt_bitmap_bytes(f.window)));
		CHECK(n >= 1);
		if (!p.step_ns)
			CHECK(n <= p.pages);
		/* Overlapping writes to one page blur the runs: check them when there are none. */
		if (exact && p.pattern == DS_PATTERN_SEQUENTIAL && !p.step_ns &&
		    p.pages <= ws_pages(&f, &p))
			check_rw_bytes(&f, &p);
		if (p.pattern == DS_PATTERN_SEQUENTIAL && !p.step_ns) {
			sequential_expect(&f, &p, s, want);
			for (i = 0; i < l->window; i++)
				CHECK_EQ(bit(f.bm2, i), want[i] > 0);
		}
	}
	ops->teardown(state);
	CHECK_EQ(dt_group_detach(f.c, GROUP), -ENOENT);
	CHECK(no_pins(&f));
out:
	fx_close(&f);
	free(want);
}

static void test_rw(void)
{
	struct ds_workload_params p = base_params();

	rw_case(&ragged, p, 3);
	p.rw_bytes = 1;
	rw_case(&ragged, p, 2);
	p.rw_bytes = PG;
	rw_case(&ragged, p, 2);
	p.rw_bytes = 100;
	p.pattern = DS_PATTERN_SEQUENTIAL;
	p.pages = 200;
	rw_case(&ragged, p, 4);
	p.threads = 4;
	p.pages = 101;
	rw_case(&ragged, p, 4);
	p.pattern = DS_PATTERN_RANDOM;
	rw_case(&ragged, p, 3);
	p.pattern = DS_PATTERN_HOTCOLD;
	p.working_set = 100;
	rw_case(&ragged, p, 3);
	p.pages = 0;
	p.step_ns = 200000;
	rw_case(&ragged, p, 2);
}

/* ---------------------------------------------------------------- viommu */

struct events {
	uint64_t maps, unmaps, bad;
	uint64_t max_pages; /* of the layout's mappings */
};

/*
 * Make the calls the last viommu step planned, as the harness does: maps,
 * and unmaps with the bitmap while tracking (plain ones otherwise), which
 * must each remove exactly the planned mapping. Counts them in @e.
 */
static int apply_churn(const struct ds_workload_ops *ops, void *state, struct ds_device *dev,
		       bool tracking, struct events *e)
{
	const struct ds_churn_op *op;
	size_t n = ops->churn(state, &op), i;
	uint64_t *bm, unmapped, pages;
	struct dt_bitmap b;
	int ret;

	for (i = 0; i < n; i++) {
		pages = op[i].size / PG;
		/* The churn makes mappings of 4 KiB to 64 KiB; it destroys the layout's too. */
		if (pages < 1 || pages > (op[i].map ? 16 : e->max_pages) ||
		    op[i].iova < dev->iova_base ||
		    op[i].iova + op[i].size > dev->iova_base + dev->iova_size)
			e->bad++;
		if (op[i].map) {
			e->maps++;
			ret = dt_dma_map(dev->c, op[i].iova, op[i].size,
					 (uintptr_t)(dev->mem + (op[i].iova - dev->iova_base)),
					 DT_PROT_READ | DT_PROT_WRITE);
			if (ret < 0)
				return ret;
			continue;
		}
		unmapped = 0;
		if (tracking) {
			bm = calloc(1, dt_bitmap_bytes(pages));
			if (!bm)
				return -ENOMEM;
			b = (struct dt_bitmap){.pgsize = PG, .size = dt_bitmap_bytes(pages), .data = bm};
			ret = dt_unmap_bitmap(dev->c, op[i].iova, op[i].size, &b, &unmapped);
			free(bm);
			e->unmaps++;
		} else {
			ret = dt_unmap(dev->c, op[i].iova, op[i].size, &unmapped);
		}
		if (ret < 0)
			return ret;
		if (unmapped != op[i].size)
			e->bad++;
	}
	return 0;
}

/*
 * Does dev->mappings say what the container holds? Sorted and inside the
 * window; every gap unmaps nothing; every listed mapping can be harvested
 * alone and, with an IOMMU group attached, reports all its pages (so
 * something covers it); and the container counts as many mappings.
 */
static void check_mappings(struct fx *f)
{
	const struct ds_device *d = &f->dev;
	uint64_t end = BASE, top = BASE + f->window * PG, unmapped, words, bytes;
	uint64_t *bm = f->bm;
	struct dt_bitmap b;
	struct dt_info info;
	size_t i;

	for (i = 0; i <= d->nmappings; i++) {
		uint64_t next = i < d->nmappings ? d->mappings[i].iova : top;

		CHECK(next >= end);
		if (next > end) {
			unmapped = 1;
			CHECK_EQ(dt_unmap(f->c, end, next - end, &unmapped), 0);
			CHECK_EQ(unmapped, 0);
		}
		if (i == d->nmappings)
			break;
		CHECK(d->mappings[i].size >= PG && d->mappings[i].size % PG == 0);
		CHECK(d->mappings[i].iova + d->mappings[i].size <= top);
		words = d->mappings[i].size / PG;
		bytes = dt_bitmap_bytes(words);
		b = (struct dt_bitmap){.pgsize = PG, .size = bytes, .data = bm};
		memset(bm, 0, bytes);
		CHECK_EQ(dt_get_bitmap(f->c, d->mappings[i].iova, d->mappings[i].size, &b), 0);
		CHECK_EQ(popcount(bm, words), words);
		end = d->mappings[i].iova + d->mappings[i].size;
	}
	CHECK_EQ(dt_info_get(f->c, &info), 0);
	CHECK_EQ(DT_DMA_LIMIT_DEFAULT - info.dma_avail, d->nmappings);
}

/* Run viommu on @l; @tracking off exercises the plain-unmap fallback. Returns a digest of the mappings. */
static uint64_t viommu_case(const struct layout *l, uint64_t churn, uint64_t steps, bool tracking,
			    uint64_t seed)
{
	const struct ds_workload_ops *ops = wl("viommu");
	struct ds_workload_params p = base_params();
	uint64_t s, sum, unmapped = 0, digest = 1469598103934665603ull, k, max_pages = 0;
	struct events e = {0};
	void *state = NULL;
	struct fx f;
	size_t i;

	p.churn = churn;
	p.seed = seed;
	if (fx_open(&f, l) < 0) {
		CHECK(!"fixture");
		goto out;
	}
	/* Out of scope, so that a GET proves each listed mapping is there. */
	CHECK_EQ(dt_group_attach(f.c, PROBE_GROUP, DT_GROUP_IOMMU, 1), 0);
	CHECK_EQ(ops->setup(&f.dev, &p, &state), 0);
	CHECK(!ops->threaded);
	CHECK(ops->populate == NULL);
	if (tracking)
		CHECK_EQ(dt_dirty_start(f.c), 0);
	k = churn < l->n ? churn : l->n;
	for (i = 0; i < l->n; i++)
		if (l->m[i][1] > max_pages)
			max_pages = l->m[i][1];
	for (s = 0; s < steps && state; s++) {
		e = (struct events){.max_pages = max_pages > 16 ? max_pages : 16};
		CHECK_EQ(ops->step(state, 0, s), 0);
		CHECK_EQ(apply_churn(ops, state, &f.dev, tracking, &e), 0);
		CHECK_EQ(f.dev.nmappings, l->n);
		CHECK(f.dev.mappings_cap >= f.dev.nmappings);
		CHECK_EQ(e.maps, k);
		CHECK_EQ(e.unmaps, tracking ? k : 0);
		CHECK_EQ(e.bad, 0);
		if (tracking)
			check_mappings(&f);
		for (i = 0; i < f.dev.nmappings; i++)
			digest = (digest ^ f.dev.mappings[i].iova ^ f.dev.mappings[i].size << 40) *
				 1099511628211ull;
	}
	CHECK_EQ(ops->step(state, 1, s), -EINVAL);
	ops->teardown(state);
	CHECK_EQ(dt_group_detach(f.c, GROUP), -ENOENT);
	/* Nothing but the listed mappings in the window. */
	for (i = 0, sum = 0; i < f.dev.nmappings; i++)
		sum += f.dev.mappings[i].size;
	CHECK_EQ(dt_unmap(f.c, BASE, f.window * PG, &unmapped), 0);
	CHECK_EQ(unmapped, sum);
out:
	fx_close(&f);
	return digest;
}

static void test_viommu(void)
{
	uint64_t a;

	a = viommu_case(&viommu_layout, 5, 20, true, 1);
	CHECK_EQ(viommu_case(&viommu_layout, 5, 20, true, 1), a);
	CHECK(viommu_case(&viommu_layout, 5, 20, true, 2) != a);
	viommu_case(&viommu_layout, 16, 10, true, 3);
	/* More churn than mappings: all of them, every step. */
	viommu_case(&viommu_layout, 100, 5, true, 4);
	viommu_case(&viommu_layout, 3, 5, false, 5);
	/* No free page but what a step frees: first fit, sizes cut to the room. */
	viommu_case(&dense, 3, 50, true, 6);
	viommu_case(&dense, 8, 50, true, 7);
	viommu_case(&ragged, 2, 20, true, 8);
}

/*
 * pinned and viommu on one device: unmaps drop pins under the pinned
 * workload, whose unpins of the vanished pages must be skipped. With one
 * thread the pins counted back are still exactly p->pages after each step.
 */
static void pinned_churn_case(const struct layout *l, unsigned int threads, enum ds_pattern pattern,
			      uint64_t pages, uint64_t churn)
{
	const struct ds_workload_ops *pin = wl("pinned"), *vi = wl("viommu");
	struct ds_workload_params pp = base_params(), vp = base_params();
	void *ps = NULL, *vs = NULL;
	struct events ev;
	uint64_t s, i, j;
	struct fx f;

	pp.pages = pages;
	pp.threads = threads;
	pp.pattern = pattern;
	vp.churn = churn;
	vp.group = GROUP + 1;
	if (fx_open(&f, l) < 0) {
		CHECK(!"fixture");
		goto out;
	}
	CHECK_EQ(pin->setup(&f.dev, &pp, &ps), 0);
	CHECK_EQ(vi->setup(&f.dev, &vp, &vs), 0);
	CHECK_EQ(dt_dirty_start(f.c), 0);
	for (s = 0; s < 30 && ps && vs; s++) {
		CHECK_EQ(run_step(pin, ps, threads, s), 0);
		/* The test's own list of mapped pages follows the churn. */
		f.total = 0;
		for (i = 0; i < f.dev.nmappings; i++)
			for (j = 0; j < f.dev.mappings[i].size / PG; j++)
				f.mapped[f.total++] = (f.dev.mappings[i].iova - BASE) / PG + j;
		if (threads == 1)
			CHECK_EQ(count_pins(&f), pp.pages);
		CHECK_EQ(vi->step(vs, 0, s), 0);
		ev = (struct events){.max_pages = 1u << 20};
		CHECK_EQ(apply_churn(vi, vs, &f.dev, true, &ev), 0);
		CHECK_EQ(ev.bad, 0);
	}
	pin->teardown(ps);
	vi->teardown(vs);
	CHECK_EQ(dt_group_detach(f.c, GROUP), -ENOENT);
	CHECK(no_pins(&f));
out:
	fx_close(&f);
}

static void test_pinned_churn(void)
{
	pinned_churn_case(&viommu_layout, 1, DS_PATTERN_RANDOM, 20, 6);
	pinned_churn_case(&viommu_layout, 3, DS_PATTERN_RANDOM, 20, 6);
	pinned_churn_case(&viommu_layout, 1, DS_PATTERN_SEQUENTIAL, 40, 6);
	/* Runs across two adjacent mappings, one of which the churn takes. */
	pinned_churn_case(&ragged, 1, DS_PATTERN_SEQUENTIAL, 100, 1);
	pinned_churn_case(&ragged, 2, DS_PATTERN_SEQUENTIAL, 100, 2);
}

/* ---------------------------------------------------------------- errors */

enum { W_PINNED = 1, W_IOMMU = 2, W_RW = 4, W_VIOMMU = 8, W_PAGES = 7, W_ALL = 15 };

static const char *const wl_names[] = {"pinned", "iommu", "rw", "viommu"};

/* Bad parameters, and the workloads that use them: those must answer -EINVAL. */
static const struct {
	const char *what;
	unsigned int rejected_by;
} bad_cases[] = {
	{"threads 0", W_ALL},
	{"hot_percent 0", W_PAGES},
	{"hot_percent 101", W_PAGES},
	{"hot_share 101", W_PAGES},
	{"pages 0 and step_ns 0", W_PAGES},
	{"an unknown pattern", W_PAGES},
	{"rw_bytes 0", W_RW},
	{"rw_bytes above pgsize", W_RW},
	{"churn 0", W_VIOMMU},
	{"no mapping", W_ALL},
	{"a NULL mapping array", W_ALL},
	{"a mapping past the window's end", W_ALL},
	{"a pgsize that is not a power of two", W_ALL},
	{"no memory", W_IOMMU | W_RW | W_VIOMMU},
};

static void bad_case_apply(size_t i, struct ds_workload_params *p, struct ds_device *d)
{
	switch (i) {
	case 0:
		p->threads = 0;
		break;
	case 1:
		p->hot_percent = 0;
		break;
	case 2:
		p->hot_percent = 101;
		break;
	case 3:
		p->hot_share = 101;
		break;
	case 4:
		p->pages = 0;
		break;
	case 5:
		p->pattern = (enum ds_pattern)7;
		break;
	case 6:
		p->rw_bytes = 0;
		break;
	case 7:
		p->rw_bytes = PG + 1;
		break;
	case 8:
		p->churn = 0;
		break;
	case 9:
		d->nmappings = 0;
		break;
	case 10:
		d->mappings = NULL;
		break;
	case 11:
		d->iova_size = 400 * PG; /* ragged's last mapping ends at page 465 */
		break;
	case 12:
		d->pgsize = 3 * PG;
		break;
	case 13:
		d->mem = NULL;
		break;
	}
}

/* Each bad case fails setup with -EINVAL and leaves no state, no group, no leak. */
static void test_bad_params(void)
{
	const struct ds_workload_ops *ops;
	struct ds_workload_params p;
	struct ds_device saved;
	void *state;
	size_t w, i;
	struct fx f;
	int ret;

	if (fx_open(&f, &ragged) < 0) {
		CHECK(!"fixture");
		goto out;
	}
	saved = f.dev;
	for (w = 0; w < 4; w++) {
		ops = wl(wl_names[w]);
		for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
			p = base_params();
			bad_case_apply(i, &p, &f.dev);
			state = (void *)1;
			ret = ops->setup(&f.dev, &p, &state);
			if (bad_cases[i].rejected_by & (1u << w)) {
				if (ret != -EINVAL || state)
					fprintf(stderr, "%s, %s: %d\n", wl_names[w], bad_cases[i].what,
						ret);
				CHECK_EQ(ret, -EINVAL);
				CHECK(state == NULL);
			} else {
				CHECK_EQ(ret, 0);
				ops->teardown(state);
			}
			CHECK_EQ(dt_group_detach(f.c, GROUP), -ENOENT);
			f.dev = saved;
		}
		p = base_params();
		CHECK_EQ(ops->setup(&f.dev, &p, NULL), -EINVAL);
		CHECK_EQ(ops->setup(NULL, &p, &state), -EINVAL);
		CHECK_EQ(ops->setup(&f.dev, NULL, &state), -EINVAL);
		ops->teardown(NULL);
	}
	/* The group is taken: the tracker's errno, and the other's group stays. */
	for (w = 0; w < 3; w++) {
		ops = wl(wl_names[w]);
		p = base_params();
		CHECK_EQ(dt_group_attach(f.c, GROUP, DT_GROUP_IOMMU, 1), 0);
		state = (void *)1;
		CHECK_EQ(ops->setup(&f.dev, &p, &state), -EINVAL);
		CHECK(state == NULL);
		CHECK_EQ(dt_group_detach(f.c, GROUP), 0);
	}
	/* A step on a thread the workload was not set up for. */
	p = base_params();
	p.threads = 2;
	ops = wl("pinned");
	CHECK_EQ(ops->setup(&f.dev, &p, &state), 0);
	CHECK_EQ(ops->step(state, 2, 0), -EINVAL);
	ops->teardown(state);
out:
	fx_close(&f);
}

static void test_registry(void)
{
	size_t i;

	for (i = 0; i < 4; i++) {
		CHECK(ds_workloads[i] != NULL);
		if (!ds_workloads[i])
			return;
		CHECK(!strcmp(ds_workloads[i]->name, wl_names[i]));
		CHECK(ds_workload_find(wl_names[i]) == ds_workloads[i]);
		CHECK(ds_workloads[i]->summary && ds_workloads[i]->setup && ds_workloads[i]->step &&
		      ds_workloads[i]->teardown);
		CHECK_EQ(ds_workloads[i]->threaded, i != 3);
		CHECK_EQ(ds_workloads[i]->populate != NULL, i == 1 || i == 2);
	}
	/* idle: dirties nothing, one thread, no memory. */
	CHECK(ds_workloads[4] && !strcmp(ds_workloads[4]->name, "idle"));
	if (ds_workloads[4]) {
		void *state = NULL;
		struct fx f;
		struct ds_workload_params p = base_params();

		CHECK(!ds_workloads[4]->threaded && !ds_workloads[4]->populate);
		if (fx_open(&f, &ragged) == 0) {
			CHECK_EQ(ds_workloads[4]->setup(&f.dev, &p, &state), 0);
			CHECK_EQ(ds_workloads[4]->step(state, 0, 0), 0);
			CHECK_EQ(ds_workloads[4]->step(state, 1, 0), -EINVAL);
			CHECK_EQ(dt_dirty_start(f.c), 0);
			CHECK_EQ(ds_workloads[4]->step(state, 0, 1), 0);
			CHECK(no_pins(&f));
			ds_workloads[4]->teardown(state);
			fx_close(&f);
		}
	}
	CHECK(ds_workloads[5] && !strcmp(ds_workloads[5]->name, "devwrite"));
	if (ds_workloads[5])
		CHECK(ds_workloads[5]->threaded && ds_workloads[5]->populate &&
		      ds_workloads[5]->written);
	CHECK(ds_workloads[6] == NULL);
	CHECK(ds_workload_find("nope") == NULL);
}

/* ---------------------------------------------------------------- devwrite */

/*
 * The pages the strided pattern visits at @step (one thread): every
 * stride-th working-set page from the cursor, one page further each lap,
 * as workload.h says.
 */
static void strided_expect(const struct fx *f, const struct ds_workload_params *p,
			   uint64_t *cursor, uint32_t *want)
{
	uint64_t ws = ws_pages(f, p), i;

	memset(want, 0, f->window * sizeof(*want));
	for (i = 0; i < p->pages; i++) {
		want[ws_page(f, p, *cursor)]++;
		*cursor += p->stride;
		if (*cursor >= ws)
			*cursor = (*cursor % ws + 1) % ws;
	}
}

/*
 * devwrite in a container of @mode whose mappings may use @io IO pages:
 * the memory it wrote (scanned), the count it gives, and what the
 * container reports at 4 KiB must agree: the written pages under a 4 KiB
 * IO page or log, the whole 2 MiB IO page of each under 2 MiB ones, every
 * mapped page under type1.
 */
static void devwrite_case(const struct layout *l, struct ds_workload_params p, uint64_t steps,
			  enum dt_track_mode mode, uint64_t io)
{
	const struct ds_workload_ops *ops = wl("devwrite");
	uint32_t *want = calloc(l->window, sizeof(*want));
	struct dt_dmalog_range range = {BASE, l->window * PG};
	struct dt_container_config cfg;
	uint64_t s, i, n, cursor = 0, bytes = dt_bitmap_bytes(l->window);
	uint64_t *tmp = calloc(1, bytes);
	void *state = NULL;
	struct fx f;

	if (fx_open(&f, l) < 0 || !want || !tmp) {
		CHECK(!"fixture");
		goto out;
	}
	/* The fixture's mappings again, in a container of the mode. */
	dt_container_destroy(f.c);
	dt_container_config_init(&cfg);
	cfg.mode = mode;
	cfg.io_pgsize = io;
	CHECK_EQ(dt_container_create(&cfg, &f.c), 0);
	f.dev.c = f.c;
	for (i = 0; i < l->n; i++)
		CHECK_EQ(dt_dma_map(f.c, BASE + l->m[i][0] * PG, l->m[i][1] * PG,
				    (uintptr_t)(f.mem + l->m[i][0] * PG), DT_PROT_READ | DT_PROT_WRITE),
			 0);
	CHECK_EQ(ops->setup(&f.dev, &p, &state), 0);
	if (!state)
		goto out;
	CHECK_EQ(ops->populate(state), 0);
	CHECK_EQ(ops->written(state), 0);
	if (mode == DT_TRACK_HW)
		CHECK_EQ(dt_hw_set_dirty_tracking(f.c, true), 0);
	else if (mode == DT_TRACK_DMALOG)
		CHECK_EQ(dt_dmalog_start(f.c, &range, 1, PG), 0);
	else
		CHECK_EQ(dt_dirty_start(f.c), 0);
	for (s = 0; s < steps; s++) {
		memset(f.mem, 0, f.window * PG);
		CHECK_EQ(run_step(ops, state, p.threads, s), 0);
		n = written_pages(&f, f.bm2);
		CHECK(n >= 1 && n <= p.pages);
		CHECK_EQ(ops->written(state), n);
		check_iommu_words(&f, &p, s);
		if (p.pattern == DS_PATTERN_STRIDED && p.threads == 1) {
			strided_expect(&f, &p, &cursor, want);
			for (i = 0; i < l->window; i++)
				CHECK_EQ(bit(f.bm2, i), want[i] > 0);
		}
		memset(f.bm, 0, bytes);
		if (mode == DT_TRACK_HW) {
			/* Mapping by mapping: a GET over a hole fails. */
			for (i = 0; i < l->n; i++) {
				uint64_t k;

				memset(tmp, 0, bytes);
				CHECK_EQ(dt_hw_get_dirty_bitmap(f.c, BASE + l->m[i][0] * PG,
								l->m[i][1] * PG, PG, 0, tmp),
					 0);
				for (k = 0; k < l->m[i][1]; k++)
					if (bit(tmp, k))
						bit_set(f.bm, l->m[i][0] + k);
			}
		} else if (mode == DT_TRACK_DMALOG) {
			CHECK_EQ(dt_dmalog_report(f.c, BASE, f.window * PG, PG, f.bm), 0);
		} else {
			CHECK_EQ(get_window(&f, f.bm), 0);
			CHECK(all_mapped(&f, f.bm)); /* type1 cannot tell */
			continue;
		}
		/* What the device wrote, each page widened to its whole IO page. */
		for (i = 0; i < l->window; i++) {
			/* (the 2 MiB cases use one mapping from page 0) */
			uint64_t blk = io > PG && i / (io / PG) * (io / PG) + io / PG <= l->m[0][1]
					       ? io / PG
					       : 1;
			bool any = false;
			uint64_t j;

			for (j = i / blk * blk; j < i / blk * blk + blk; j++)
				any |= bit(f.bm2, j);
			CHECK_EQ(bit(f.bm, i), any);
		}
	}
	CHECK_EQ(ops->written(state), 0);
out:
	ops->teardown(state);
	fx_close(&f);
	free(want);
	free(tmp);
}

static void test_devwrite(void)
{
	struct ds_workload_params p = base_params();

	devwrite_case(&ragged, p, 3, DT_TRACK_HW, 0);
	devwrite_case(&ragged, p, 2, DT_TRACK_DMALOG, 0);
	devwrite_case(&ragged, p, 2, DT_TRACK_TYPE1, 0);
	/* single: 2000 pages from a 2 MiB boundary, three 2 MiB IO pages and a 4 KiB tail */
	devwrite_case(&single, p, 3, DT_TRACK_HW, 2ull << 20);
	p.pattern = DS_PATTERN_STRIDED;
	p.stride = 7;
	p.pages = 300;
	devwrite_case(&ragged, p, 4, DT_TRACK_HW, 0);
	p.stride = 512;
	devwrite_case(&single, p, 2, DT_TRACK_HW, 2ull << 20);
	p.threads = 3;
	p.pattern = DS_PATTERN_RANDOM;
	p.rw_bytes = 4096;
	devwrite_case(&single, p, 3, DT_TRACK_HW, 2ull << 20);
	p.pattern = DS_PATTERN_SEQUENTIAL;
	p.rw_bytes = 1;
	devwrite_case(&ragged, p, 3, DT_TRACK_DMALOG, 0);
}

int main(void)
{
	build_viommu_layout();
	test_registry();
	test_bad_params();
	test_pinned();
	test_pinned_hotcold();
	test_iommu();
	test_rw();
	test_viommu();
	test_pinned_churn();
	test_devwrite();
	CHECK_EXIT();
}
