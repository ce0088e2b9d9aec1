// SPDX-License-Identifier: MIT
/*
 * test_oracle_large.c - every harvest against the naive oracle on large
 * mappings. oracle_test works in a window of a few hundred pages, where
 * bitmaps are a few words; the fast harvest's summary (a bit per 64-byte
 * line, 64 lines a summary word) only shows its edges from thousands of
 * pages up. Here mappings of up to 300,000 pages (73 summary words) get
 * clusters of pins, DMA_RW writes, unpins, an IOMMU group coming and
 * going, and harvests merged and per mapping at odd offsets; every errno
 * and every bitmap byte must be the oracle's, with and without the
 * concurrent mode (its atomic marks and its RCU index of the mappings).
 *
 *   test_oracle_large [SEEDS]    (default 40)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <dirtytrack/dirtytrack.h>

#include "oracle.h"

#define PG 4096ull
#define BASE (1ull << 32)
#define WINDOW_PAGES (1ull << 20) /* 4 GiB of IOVA */
#define MAX_MAPPINGS 8

struct rng {
	uint64_t s;
};

static uint64_t next(struct rng *r)
{
	/* splitmix64: small, and good enough to pick test operations. */
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t below(struct rng *r, uint64_t n)
{
	return n ? next(r) % n : 0;
}

struct pair {
	struct dt_container *e;
	struct oracle_container *o;
	uint8_t *mem; /* backs the whole window: DMA_RW writes land here */
	struct {
		uint64_t iova, size;
	} maps[MAX_MAPPINGS];
	size_t nmaps;
	unsigned long differences;
	const char *harvest;
	uint64_t seed, op;
};

static void differ(struct pair *p, const char *what, int64_t e, int64_t o)
{
	if (p->differences++ < 10)
		fprintf(stderr,
			"test_oracle_large: harvest %s seed %" PRIu64 " op %" PRIu64
			": %s: engine %" PRId64 ", oracle %" PRId64 "\n",
			p->harvest, p->seed, p->op, what, e, o);
}

static void same_ret(struct pair *p, const char *what, int e, int o)
{
	if (e != o)
		differ(p, what, e, o);
}

static void map_one(struct pair *p, struct rng *r)
{
	uint64_t npages = 1 + below(r, below(r, 4) ? 300000 : 2000);
	uint64_t iova = BASE + below(r, WINDOW_PAGES - npages) * PG;
	uint64_t vaddr = (uintptr_t)p->mem + (iova - BASE);
	int e = dt_dma_map(p->e, iova, npages * PG, vaddr, DT_PROT_READ | DT_PROT_WRITE);
	int o = oracle_dma_map(p->o, iova, npages * PG, vaddr, DT_PROT_READ | DT_PROT_WRITE);

	same_ret(p, "map", e, o);
	if (e == 0 && o == 0 && p->nmaps < MAX_MAPPINGS) {
		p->maps[p->nmaps].iova = iova;
		p->maps[p->nmaps].size = npages * PG;
		p->nmaps++;
	}
}

/* A page in a mapping, near its edges half of the time. */
static uint64_t some_page(struct pair *p, struct rng *r, size_t *which)
{
	size_t i = below(r, p->nmaps);
	uint64_t n = p->maps[i].size / PG, k;

	*which = i;
	switch (below(r, 4)) {
	case 0:
		k = below(r, n < 200 ? n : 200);
		break;
	case 1:
		k = n - 1 - below(r, n < 200 ? n : 200);
		break;
	default:
		k = below(r, n);
	}
	return p->maps[i].iova + k * PG;
}

static void compare_bitmaps(struct pair *p, const char *what, uint64_t *a, uint64_t *b,
			    uint64_t bytes)
{
	uint64_t i;

	for (i = 0; i < bytes / 8; i++)
		if (a[i] != b[i]) {
			differ(p, what, (int64_t)i, (int64_t)(a[i] ^ b[i]));
			return;
		}
}

/* GET over [iova, iova+size): both, then the bitmaps. */
static void get(struct pair *p, uint64_t iova, uint64_t size, bool unmap)
{
	uint64_t bytes = dt_bitmap_bytes(size / PG);
	uint64_t *a = calloc(1, bytes), *b = calloc(1, bytes), ue = 0, uo = 0;
	struct dt_bitmap ba = {.pgsize = PG, .size = bytes, .data = a};
	struct dt_bitmap bb = {.pgsize = PG, .size = bytes, .data = b};
	int e, o;

	if (!a || !b) {
		differ(p, "out of memory", 0, 0);
		free(a);
		free(b);
		return;
	}
	if (unmap) {
		e = dt_unmap_bitmap(p->e, iova, size, &ba, &ue);
		o = oracle_unmap_bitmap(p->o, iova, size, &bb, &uo);
		if (ue != uo)
			differ(p, "unmapped", (int64_t)ue, (int64_t)uo);
	} else {
		e = dt_get_bitmap(p->e, iova, size, &ba);
		o = oracle_get_bitmap(p->o, iova, size, &bb);
	}
	same_ret(p, unmap ? "unmap_bitmap" : "get", e, o);
	if (e == 0 && o == 0)
		compare_bitmaps(p, unmap ? "unmap_bitmap word" : "get word", a, b, bytes);
	free(a);
	free(b);
}

static void one_op(struct pair *p, struct rng *r)
{
	uint8_t buf[3 * 4096];
	uint64_t iova, n, lo, hi;
	size_t i, j;
	int e, o;

	if (!p->nmaps || below(r, 20) == 0) {
		map_one(p, r);
		return;
	}
	switch (below(r, 12)) {
	case 11: /* a dense stretch: whole summary words of lines, the fast harvest's block path */
		iova = some_page(p, r, &i);
		for (j = 0; j < 1 + below(r, 40); j++) {
			e = dt_pin(p->e, 1, iova + j * 512 * PG, 512, DT_PROT_READ);
			o = oracle_pin(p->o, 1, iova + j * 512 * PG, 512, DT_PROT_READ);
			same_ret(p, "pin run", e, o);
			if (e)
				break;
		}
		break;
	case 0:
	case 1: /* a cluster of pins: the summary's lines fill */
		iova = some_page(p, r, &i);
		n = 1 + below(r, 64);
		e = dt_pin(p->e, 1, iova, n, DT_PROT_READ);
		o = oracle_pin(p->o, 1, iova, n, DT_PROT_READ);
		same_ret(p, "pin", e, o);
		break;
	case 2:
		iova = some_page(p, r, &i);
		n = 1 + below(r, 8);
		e = dt_unpin(p->e, 1, iova, n);
		o = oracle_unpin(p->o, 1, iova, n);
		same_ret(p, "unpin", e, o);
		break;
	case 3:
	case 4:
		iova = some_page(p, r, &i) + below(r, PG);
		n = 1 + below(r, sizeof(buf));
		memset(buf, (int)p->op, n);
		e = dt_dma_rw(p->e, iova, buf, n, true);
		o = oracle_dma_rw(p->o, iova, buf, n, true);
		same_ret(p, "dma_rw", e, o);
		break;
	case 5:
	case 6: /* merged, from the lowest mapping to the highest: holes and odd offsets */
		lo = UINT64_MAX;
		hi = 0;
		for (i = 0; i < p->nmaps; i++) {
			lo = p->maps[i].iova < lo ? p->maps[i].iova : lo;
			if (p->maps[i].iova + p->maps[i].size > hi)
				hi = p->maps[i].iova + p->maps[i].size;
		}
		/* Start a few pages early now and then: every mapping shifted. */
		if (below(r, 2) && lo - BASE >= 63 * PG)
			lo -= below(r, 64) * PG;
		get(p, lo, hi - lo, false);
		break;
	case 7:
		i = below(r, p->nmaps);
		get(p, p->maps[i].iova, p->maps[i].size, false);
		break;
	case 8: /* unmap one with its bitmap */
		i = below(r, p->nmaps);
		get(p, p->maps[i].iova, p->maps[i].size, true);
		for (j = i; j + 1 < p->nmaps; j++)
			p->maps[j] = p->maps[j + 1];
		p->nmaps--;
		break;
	case 9: /* an IOMMU-backed device comes or goes: every page, or back in scope */
		e = dt_group_attach(p->e, 2, DT_GROUP_IOMMU, 1);
		o = oracle_group_attach(p->o, 2, DT_GROUP_IOMMU, 1);
		same_ret(p, "attach", e, o);
		if (e == -EINVAL) {
			e = dt_group_detach(p->e, 2);
			o = oracle_group_detach(p->o, 2);
			same_ret(p, "detach", e, o);
		}
		break;
	default: /* tracking off and on again now and then */
		if (below(r, 4) == 0) {
			same_ret(p, "stop", dt_dirty_stop(p->e), oracle_dirty_stop(p->o));
			same_ret(p, "start", dt_dirty_start(p->e), oracle_dirty_start(p->o));
		}
		break;
	}
}

static unsigned long run(const char *harvest, bool concurrent, uint64_t seed, uint8_t *mem)
{
	struct dt_container_config cfg;
	struct pair p = {.mem = mem, .harvest = harvest, .seed = seed};
	struct rng r = {.s = seed};

	dt_container_config_init(&cfg);
	cfg.harvest = harvest;
	/* The concurrent mode's own paths (atomic marks, the RCU index), one thread at a time. */
	cfg.concurrent = concurrent;
	if (dt_container_create(&cfg, &p.e) < 0 || oracle_container_create(&cfg, &p.o) < 0) {
		fprintf(stderr, "test_oracle_large: cannot create the containers\n");
		return 1;
	}
	same_ret(&p, "attach", dt_group_attach(p.e, 1, DT_GROUP_MEDIATED, 1),
		 oracle_group_attach(p.o, 1, DT_GROUP_MEDIATED, 1));
	/* Pins before START too: they must be dirty from the first report. */
	for (p.op = 0; p.op < 200 && !p.differences; p.op++) {
		if (p.op == 10)
			same_ret(&p, "start", dt_dirty_start(p.e), oracle_dirty_start(p.o));
		one_op(&p, &r);
	}
	dt_container_destroy(p.e);
	oracle_container_destroy(p.o);
	return p.differences;
}

int main(int argc, char **argv)
{
	uint64_t seeds = argc > 1 ? strtoull(argv[1], NULL, 0) : 40, s;
	const char *const *h;
	unsigned long diff = 0;
	uint8_t *mem = mmap(NULL, WINDOW_PAGES * PG, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (mem == MAP_FAILED) {
		perror("test_oracle_large: mmap");
		return 77;
	}
	for (h = dt_harvest_names(); *h; h++)
		for (s = 1; s <= seeds; s++)
			diff += run(*h, false, s, mem) + run(*h, true, s, mem);
	munmap(mem, WINDOW_PAGES * PG);
	printf("test_oracle_large: %" PRIu64 " sequences per harvest, %lu differences\n", seeds,
	       diff);
	return diff ? 1 : 0;
}
