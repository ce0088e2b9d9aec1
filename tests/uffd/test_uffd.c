// SPDX-License-Identifier: MIT
/*
 * test_uffd - the uffd backend (real write tracking by this host's kernel)
 * against the naive oracle (tests/oracle/), and its own rules.
 *
 *   - Field cases of SEMANTICS.md §4 with real writes: the merged
 *     3/70/5-page GET, a request ending at a mapping's end, an unaligned
 *     size, bitmaps of fewer than 8 pages, harvest clears, a START that
 *     fails part-way, a 2-byte DMA_RW across a page boundary, a GET over a
 *     hole.
 *   - What the backend decides (docs/uffd.md): pin -EOPNOTSUPP, groups
 *     without scope effect, two mappings of one memory -EEXIST.
 *   - A differential run: random sequences of MAP, UNMAP (with and without
 *     bitmap, ALL), GET (merged over mappings and holes, per mapping, at
 *     offsets that are not multiples of 64 pages), START, STOP, DMA_RW,
 *     group attach/detach, GET_INFO and writes straight into a mapping's
 *     memory. The oracle sees each memory write as the DMA_RW write of the
 *     same bytes. Every errno, unmapped size, bitmap byte and read byte is
 *     compared; the first difference prints the seed and the operation.
 *   - PAGEMAP_SCAN's walk_end: a scan of many written pages through an
 *     output vector far too small must still report every one, once.
 *
 * Exit 0 pass, 1 fail, 77 skip (a kernel without the feature).
 * Usage: test_uffd [--seeds N] [--ops N]
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <dirtytrack/dirtytrack.h>

#include "check.h"
#include "oracle.h"
#include "uffd.h"
#include "uffd_test.h"

#define PG 4096ull
#define BASE 0x100000ull
#define RW (DT_PROT_READ | DT_PROT_WRITE)

static uint64_t *zbits(uint64_t npages)
{
	uint64_t *b = calloc(dt_bitmap_bytes(npages) / 8 + 1, 8);

	if (!b)
		exit(1);
	return b;
}

static bool bit(const uint64_t *b, uint64_t i)
{
	return b[i / 64] >> (i % 64) & 1;
}

static uint64_t popcount(const uint64_t *b, uint64_t npages)
{
	uint64_t i, n = 0;

	for (i = 0; i < dt_bitmap_bytes(npages) / 8; i++)
		n += (uint64_t)__builtin_popcountll(b[i]);
	return n;
}

static int get(struct dt_container *c, uint64_t iova, uint64_t npages, uint64_t *bits)
{
	struct dt_bitmap bm = {.pgsize = PG, .size = dt_bitmap_bytes(npages), .data = bits};

	return dt_get_bitmap(c, iova, npages * PG, &bm);
}

/* SEMANTICS.md §4, each with writes the kernel really saw. */
static void test_field_cases(void)
{
	struct dt_container *c = uffd_container_or_skip("test_uffd", PG);
	size_t len;
	void *base;
	uint8_t *mem = uffd_test_mem(256 * PG, PG, &base, &len);
	uint64_t *bits, unmapped = 0, i;
	uint8_t two[2] = {1, 2};
	struct dt_bitmap bm;

	/* Adjacent mappings of 3, 70 and 5 pages, every page written. */
	CHECK_EQ(dt_dma_map(c, BASE, 3 * PG, (uintptr_t)mem, RW), 0);
	CHECK_EQ(dt_dma_map(c, BASE + 3 * PG, 70 * PG, (uintptr_t)mem + 3 * PG, RW), 0);
	CHECK_EQ(dt_dma_map(c, BASE + 73 * PG, 5 * PG, (uintptr_t)mem + 73 * PG, RW), 0);
	CHECK_EQ(dt_dirty_start(c), 0);
	for (i = 0; i < 78; i++)
		mem[i * PG + 17] = 1;
	bits = zbits(79);
	CHECK_EQ(get(c, BASE, 79, bits), 0);
	CHECK_EQ(popcount(bits, 79), 78);
	CHECK(!bit(bits, 78));
	/* Harvest clears: nothing written since, nothing reported. */
	memset(bits, 0, dt_bitmap_bytes(79));
	CHECK_EQ(get(c, BASE, 79, bits), 0);
	CHECK_EQ(popcount(bits, 79), 0);

	/* A request ending exactly at the end of the middle mapping does not touch the next. */
	mem[5 * PG] = 2;
	mem[74 * PG] = 2;
	memset(bits, 0, dt_bitmap_bytes(79));
	CHECK_EQ(get(c, BASE + 3 * PG, 70, bits), 0);
	CHECK(bit(bits, 2));
	CHECK_EQ(popcount(bits, 70), 1);
	/* The 5-page mapping: fewer than 8 pages, one whole word. */
	memset(bits, 0, dt_bitmap_bytes(79));
	CHECK_EQ(get(c, BASE + 73 * PG, 5, bits), 0);
	CHECK(bit(bits, 1));
	CHECK_EQ(popcount(bits, 5), 1);

	/* A size that is not a multiple of pgsize (0x3fb0, from the field) changes nothing. */
	mem[0] = 3;
	bm = (struct dt_bitmap){.pgsize = PG, .size = 8, .data = bits};
	memset(bits, 0, 8);
	CHECK_EQ(dt_get_bitmap(c, BASE, 0x3fb0, &bm), -EINVAL);
	CHECK_EQ(get(c, BASE, 3, bits), 0);
	CHECK(bit(bits, 0));

	/* A bisected mapping, a GET over a hole (untouched bitmap). */
	CHECK_EQ(get(c, BASE + PG, 2, bits), -EINVAL);
	memset(bits, 0, 8);
	CHECK_EQ(get(c, BASE + 100 * PG, 10, bits), 0);
	CHECK_EQ(popcount(bits, 10), 0);

	/* DMA_RW: 2 bytes at page offset pgsize-1 dirty 2 pages, through the kernel. */
	CHECK_EQ(dt_dma_rw(c, BASE + 10 * PG - 1, two, 2, true), 0);
	CHECK_EQ(mem[10 * PG - 1], 1);
	CHECK_EQ(mem[10 * PG], 2);
	memset(bits, 0, dt_bitmap_bytes(79));
	CHECK_EQ(get(c, BASE, 78, bits), 0);
	CHECK(bit(bits, 9) && bit(bits, 10));
	CHECK_EQ(popcount(bits, 78), 2);
	/* A read changes nothing. */
	CHECK_EQ(dt_dma_rw(c, BASE + 20 * PG, two, 2, false), 0);
	memset(bits, 0, dt_bitmap_bytes(79));
	CHECK_EQ(get(c, BASE, 78, bits), 0);
	CHECK_EQ(popcount(bits, 78), 0);

	/* Unmap with bitmap reports, then the memory is out of tracking. */
	mem[75 * PG] = 4;
	memset(bits, 0, 8);
	bm = (struct dt_bitmap){.pgsize = PG, .size = 8, .data = bits};
	CHECK_EQ(dt_unmap_bitmap(c, BASE + 73 * PG, 5 * PG, &bm, &unmapped), 0);
	CHECK_EQ(unmapped, 5 * PG);
	CHECK_EQ(bits[0], 1ull << 2);
	mem[76 * PG] = 5; /* no longer mapped: nobody's business */

	/* Writes while stopped are not reported; START is a clean slate. */
	CHECK_EQ(dt_dirty_stop(c), 0);
	CHECK_EQ(get(c, BASE, 3, bits), -EINVAL);
	mem[PG] = 6;
	CHECK_EQ(dt_dirty_start(c), 0);
	memset(bits, 0, 8);
	CHECK_EQ(get(c, BASE, 3, bits), 0);
	CHECK_EQ(bits[0], 0);
	free(bits);
	dt_container_destroy(c);
	munmap(base, len);
}

/* START fails part-way (memory that does not exist) and leaves tracking off, nothing registered. */
static void test_start_fails(void)
{
	struct dt_container *c = uffd_container_or_skip("test_uffd", PG);
	size_t len;
	void *base;
	uint8_t *mem = uffd_test_mem(16 * PG, PG, &base, &len);
	uint64_t bits[1] = {0};

	CHECK_EQ(dt_dma_map(c, BASE, 4 * PG, (uintptr_t)mem, RW), 0);
	/* Where no memory is mapped: accepted at MAP (the model does), refused when tracked. */
	CHECK_EQ(dt_dma_map(c, BASE + 4 * PG, 4 * PG, 1ull << 46, RW), 0);
	CHECK(dt_dirty_start(c) < 0);
	CHECK_EQ(get(c, BASE, 4, bits), -EINVAL); /* tracking is off */
	/* The first mapping's memory was released again: a later START sees a clean slate. */
	CHECK_EQ(dt_unmap(c, BASE + 4 * PG, 4 * PG, NULL), 0);
	mem[0] = 1;
	CHECK_EQ(dt_dirty_start(c), 0);
	CHECK_EQ(get(c, BASE, 4, bits), 0);
	CHECK_EQ(bits[0], 0);
	/* MAP while tracking of memory that does not exist fails and leaves nothing. */
	CHECK(dt_dma_map(c, BASE + 4 * PG, 4 * PG, 1ull << 46, RW) < 0);
	CHECK_EQ(dt_unmap(c, BASE + 4 * PG, 4 * PG, NULL), 0);
	dt_container_destroy(c);
	munmap(base, len);
}

/* What the backend decides where the model's semantics have no real counterpart. */
static void test_decisions(void)
{
	struct dt_container *c = uffd_container_or_skip("test_uffd", PG);
	struct dt_container_config cfg;
	struct dt_container *bad = NULL;
	size_t len;
	void *base;
	uint8_t *mem = uffd_test_mem(16 * PG, PG, &base, &len);
	uint64_t bits[1] = {0};
	struct dt_info info;

	CHECK(!strcmp(dt_container_backend(c), "uffd"));
	CHECK_EQ(dt_dma_map(c, BASE, 8 * PG, (uintptr_t)mem, RW), 0);
	/* The same memory under a second IOVA: one dirty bit per virtual page cannot serve both. */
	CHECK_EQ(dt_dma_map(c, BASE + 64 * PG, 2 * PG, (uintptr_t)mem + 7 * PG, RW), -EEXIST);
	CHECK_EQ(dt_dma_map(c, BASE + 64 * PG, 2 * PG, (uintptr_t)mem + 8 * PG, RW), 0);

	/* Groups: checked as in the model, no scope effect. */
	CHECK_EQ(dt_group_attach(c, 1, DT_GROUP_IOMMU, 1), 0);
	CHECK_EQ(dt_group_attach(c, 1, DT_GROUP_MEDIATED, 1), -EINVAL);
	CHECK_EQ(dt_group_attach(c, 2, DT_GROUP_MEDIATED, 0), -EINVAL);
	CHECK_EQ(dt_group_attach(c, 2, (enum dt_group_kind)7, 1), -EINVAL);
	CHECK_EQ(dt_group_attach(c, 2, DT_GROUP_MEDIATED, 2), 0);
	CHECK_EQ(dt_dirty_start(c), 0);
	mem[3 * PG] = 1;
	CHECK_EQ(get(c, BASE, 8, bits), 0);
	CHECK_EQ(bits[0], 1ull << 3); /* an IOMMU group does not make every page dirty here */
	CHECK_EQ(dt_group_detach(c, 1), 0);
	bits[0] = 0;
	CHECK_EQ(get(c, BASE, 8, bits), 0);
	CHECK_EQ(bits[0], 0); /* nor does its leaving */
	CHECK_EQ(dt_group_detach(c, 1), -ENOENT);
	CHECK_EQ(dt_pin(c, 2, BASE, 1, RW), -EOPNOTSUPP);
	CHECK_EQ(dt_unpin(c, 2, BASE, 1), -EOPNOTSUPP);
	CHECK_EQ(dt_profile_set(c, true), -EOPNOTSUPP);

	CHECK_EQ(dt_info_get(c, &info), 0);
	CHECK_EQ(info.pgsize_bitmap, PG);
	CHECK_EQ(info.dma_avail, DT_DMA_LIMIT_DEFAULT - 2);
	CHECK_EQ(info.migration.id, DT_CAP_MIGRATION_ID);
	CHECK_EQ(info.migration.max_dirty_bitmap_size, DT_DIRTY_BITMAP_SIZE_MAX);
	dt_container_destroy(c);
	munmap(base, len);

	/* Bad configurations fail before the kernel is asked. */
	dt_container_config_init(&cfg);
	cfg.backend = "uffd";
	cfg.pgsize = 6000;
	CHECK_EQ(dt_container_create(&cfg, &bad), -EINVAL);
	cfg.pgsize = PG;
	cfg.compat = "linux-6.1";
	CHECK_EQ(dt_container_create(&cfg, &bad), -EOPNOTSUPP);
	CHECK(bad == NULL);
}

/* For the scans made directly: bit (addr - start) / 4 KiB of a map. */
struct scan_bits {
	uint64_t *map;
	uint64_t start;
};

static void scan_collect(void *arg, uint64_t start, uint64_t end)
{
	struct scan_bits *b = arg;
	uint64_t a;

	for (a = start; a < end; a += PG) {
		/* Each page once: a page reported twice would be a continuation that overlapped. */
		CHECK(!bit(b->map, (a - b->start) / PG));
		b->map[(a - b->start) / PG / 64] |= 1ull << ((a - b->start) / PG % 64);
	}
}

static int open_pagemap(void)
{
	return open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
}

/*
 * PAGEMAP_SCAN through a vector of 1, 2 and 3 regions over 1,000 written
 * pages, every other one (each its own region): the walk must go on from
 * walk_end while the vector comes back full, report each page once, and
 * leave them protected (a second scan finds nothing). Then the same
 * through the container, with more regions than its own vector holds.
 */
static void test_walk_end(void)
{
	struct dt_container *c = uffd_container_or_skip("test_uffd", PG);
	const uint64_t npages = 2000, big = 2 * UFFD_VEC_LEN + 100;
	struct dt_page_region vec[3];
	struct uffd_scan_stats st;
	size_t len;
	void *base;
	uint8_t *mem = uffd_test_mem(big * 2 * PG, PG, &base, &len);
	uint64_t *seen = zbits(big * 2), i, vl;
	struct scan_bits b = {.map = seen, .start = (uintptr_t)mem};
	int uffd = uffd_open(), pm = -1;
	int ret;

	CHECK(uffd >= 0);
	ret = uffd_protect(uffd, (uintptr_t)mem, npages * PG);
	CHECK_EQ(ret, 0);
	CHECK((pm = open_pagemap()) >= 0);
	for (vl = 1; vl <= 3 && ret == 0; vl++) {
		for (i = 0; i < npages; i += 2)
			mem[i * PG] = (uint8_t)vl;
		memset(seen, 0, dt_bitmap_bytes(npages));
		st = (struct uffd_scan_stats){0};
		CHECK_EQ(uffd_scan(pm, (uintptr_t)mem, (uintptr_t)mem + npages * PG, true, vec, vl,
				   scan_collect, &b, &st),
			 0);
		CHECK_EQ(popcount(seen, npages), npages / 2);
		for (i = 0; i < npages; i += 2)
			CHECK(bit(seen, i) && !bit(seen, i + 1));
		CHECK(st.calls >= npages / 2 / vl);
		memset(seen, 0, dt_bitmap_bytes(npages));
		CHECK_EQ(uffd_scan(pm, (uintptr_t)mem, (uintptr_t)mem + npages * PG, true, vec, vl,
				   scan_collect, &b, NULL),
			 0);
		CHECK_EQ(popcount(seen, npages), 0);
	}
	uffd_release(uffd, (uintptr_t)mem, npages * PG);
	close(pm);
	close(uffd);

	/* Through the container: its vector of UFFD_VEC_LEN regions fills twice. */
	CHECK_EQ(dt_dma_map(c, BASE, big * 2 * PG, (uintptr_t)mem, RW), 0);
	CHECK_EQ(dt_dirty_start(c), 0);
	for (i = 0; i < big * 2; i += 2)
		mem[i * PG] = 9;
	memset(seen, 0, dt_bitmap_bytes(big * 2));
	CHECK_EQ(get(c, BASE, big * 2, seen), 0);
	CHECK_EQ(popcount(seen, big * 2), big);
	for (i = 0; i < big * 2; i += 2)
		CHECK(bit(seen, i) && !bit(seen, i + 1));
	free(seen);
	dt_container_destroy(c);
	munmap(base, len);
}

/* ---- the differential run against the oracle ---- */

/* The IOVA window, in pages of pgsize: small, so that operations hit each other's edges. */
#define WIN 192ull
#define MAX_MAPS 256

struct rng {
	uint64_t s;
};

/* splitmix64: the same sequence on every machine. */
static uint64_t rnd(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t below(struct rng *r, uint64_t n)
{
	return rnd(r) % n;
}

static bool chance(struct rng *r, unsigned int percent)
{
	return below(r, 100) < percent;
}

/*
 * One sequence: the backend and the oracle, each with its own memory. A
 * mapping of IOVA page p lives at page p of the arena's lower or upper
 * half (a coin per MAP), so that mappings of disjoint IOVA never share
 * memory, and neighbours in IOVA are sometimes neighbours in memory (one
 * run for the kernel) and sometimes not.
 */
struct diff {
	uint64_t seed, op, pg;
	struct dt_container *e;
	struct oracle_container *o;
	uint8_t *ae, *ao;
	void *be, *bo;
	size_t le, lo;
	bool failed;
	char what[200];
};

static bool differ(struct diff *d, const char *field, int64_t e, int64_t o)
{
	if (e == o || d->failed)
		return e != o;
	fprintf(stderr,
		"test_uffd: difference (seed %" PRIu64 ", op %" PRIu64 ", pgsize %" PRIu64
		"): %s: %s uffd %" PRId64 " oracle %" PRId64 "\n",
		d->seed, d->op, d->pg, d->what, field, e, o);
	d->failed = true;
	check_failures++;
	return true;
}

static void differ_bytes(struct diff *d, const char *field, const uint8_t *e, const uint8_t *o,
			 size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (differ(d, field, e[i], o[i])) {
			fprintf(stderr, "test_uffd:   at byte %zu of %zu\n", i, n);
			return;
		}
}

/* The oracle's mappings, sorted by IOVA. */
static size_t maps_sorted(struct diff *d, struct oracle_mapping_view *v)
{
	size_t n = oracle_mapping_count(d->o), i, j;
	struct oracle_mapping_view t;

	for (i = 0; i < n && i < MAX_MAPS; i++)
		oracle_mapping_at(d->o, i, &v[i]);
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && v[j - 1].iova > v[j].iova; j--) {
			t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return n;
}

static void op_map(struct diff *d, struct rng *r)
{
	uint64_t pg = d->pg, first = below(r, WIN), n = 1 + below(r, chance(r, 25) ? 90 : 12);
	uint64_t iova, size, off, bad = 0;
	uint32_t prot = chance(r, 75) ? RW : chance(r, 50) ? DT_PROT_READ : DT_PROT_WRITE;
	unsigned int kind = (unsigned int)below(r, 100);

	if (first + n > WIN)
		n = WIN - first;
	iova = BASE + first * pg;
	size = n * pg;
	off = first * pg + (chance(r, 50) ? WIN * pg : 0);
	if (kind < 3)
		prot = 0;
	else if (kind < 6)
		size = 0;
	else if (kind < 9)
		bad = 512; /* unaligned vaddr */
	else if (kind < 11)
		iova += 512;
	snprintf(d->what, sizeof(d->what), "map iova 0x%" PRIx64 " size 0x%" PRIx64 " prot %u",
		 iova, size, prot);
	differ(d, "errno", dt_dma_map(d->e, iova, size, (uintptr_t)d->ae + off + bad, prot),
	       oracle_dma_map(d->o, iova, size, (uintptr_t)d->ao + off + bad, prot));
}

/* A range for GET or UNMAP: from a mapping's start or anywhere, to a mapping's end or anywhere. */
static void pick_range(struct diff *d, struct rng *r, uint64_t *iova, uint64_t *size)
{
	struct oracle_mapping_view v[MAX_MAPS];
	size_t n = maps_sorted(d, v), i, j;
	uint64_t pg = d->pg, start, end;

	if (n && chance(r, 70)) {
		i = below(r, n);
		start = v[i].iova;
		/* Pages before it, often not a multiple of 64: the shift/merge path. */
		if (chance(r, 30))
			start -= below(r, 70) * pg;
		j = i + below(r, n - i < 4 ? n - i : 4);
		end = v[j].iova + v[j].size;
		if (chance(r, 20))
			end += below(r, 70) * pg;
	} else {
		start = BASE + below(r, WIN + 8) * pg;
		end = start + (1 + below(r, 100)) * pg;
	}
	if (start < BASE - 80 * pg)
		start = BASE;
	*iova = start;
	*size = end - start;
	if (chance(r, 3))
		*size += 512; /* unaligned */
}

static void op_get(struct diff *d, struct rng *r)
{
	uint64_t iova, size, npages, bytes;
	uint8_t *be, *bo;
	int re, ro;
	struct dt_dirty_pages req = {
		.argsz = DT_DIRTY_PAGES_GET_ARGSZ,
		.flags = DT_DIRTY_GET_BITMAP,
	};

	pick_range(d, r, &iova, &size);
	npages = size / d->pg;
	bytes = dt_bitmap_bytes(npages) + (chance(r, 20) ? 16 : 0);
	if (chance(r, 3) && bytes > 8)
		bytes -= 8; /* too small */
	if (!bytes)
		bytes = 8;
	be = calloc(1, bytes);
	bo = calloc(1, bytes);
	if (!be || !bo)
		exit(1);
	req.iova = iova;
	req.size = size;
	req.bitmap = (struct dt_bitmap){.pgsize = d->pg, .size = bytes, .data = (uint64_t *)be};
	if (chance(r, 2))
		req.bitmap.pgsize = d->pg * 2;
	if (chance(r, 2))
		req.argsz = 40;
	snprintf(d->what, sizeof(d->what),
		 "get iova 0x%" PRIx64 " size 0x%" PRIx64 " bytes %" PRIu64 " pgsize %" PRIu64,
		 iova, size, bytes, req.bitmap.pgsize);
	re = dt_dirty_pages(d->e, &req);
	req.bitmap.data = (uint64_t *)bo;
	ro = oracle_dirty_pages(d->o, &req);
	if (!differ(d, "errno", re, ro))
		differ_bytes(d, "bitmap", be, bo, bytes);
	free(be);
	free(bo);
}

static void op_unmap(struct diff *d, struct rng *r)
{
	struct dt_dma_unmap ue = {.argsz = DT_DMA_UNMAP_ARGSZ}, uo;
	uint64_t iova, size, bytes = 8;
	uint8_t *be = NULL, *bo = NULL;
	int re, ro;

	pick_range(d, r, &iova, &size);
	ue.iova = iova;
	ue.size = size;
	if (chance(r, 4)) {
		ue.flags = DT_UNMAP_ALL;
		ue.iova = ue.size = 0;
	}
	if (chance(r, 60)) {
		ue.argsz = DT_DMA_UNMAP_BITMAP_ARGSZ;
		ue.flags |= DT_UNMAP_GET_DIRTY_BITMAP;
		bytes = dt_bitmap_bytes(size / d->pg) + (chance(r, 20) ? 8 : 0);
		if (!bytes)
			bytes = 8;
		be = calloc(1, bytes);
		bo = calloc(1, bytes);
		if (!be || !bo)
			exit(1);
		ue.bitmap =
			(struct dt_bitmap){.pgsize = d->pg, .size = bytes, .data = (uint64_t *)be};
	}
	uo = ue;
	uo.bitmap.data = (uint64_t *)bo;
	snprintf(d->what, sizeof(d->what), "unmap iova 0x%" PRIx64 " size 0x%" PRIx64 " flags %u",
		 ue.iova, ue.size, ue.flags);
	re = dt_dma_unmap(d->e, &ue);
	ro = oracle_dma_unmap(d->o, &uo);
	if (!differ(d, "errno", re, ro) && re == 0) {
		differ(d, "unmapped", (int64_t)ue.size, (int64_t)uo.size);
		if (be)
			differ_bytes(d, "bitmap", be, bo, bytes);
	}
	free(be);
	free(bo);
}

/* A device writes a mapping's memory: the kernel sees it; the oracle gets it as DMA_RW. */
static void op_device_write(struct diff *d, struct rng *r)
{
	struct oracle_mapping_view v[MAX_MAPS];
	size_t n = maps_sorted(d, v), i, k;
	uint64_t off, len;
	uint8_t buf[3 * 16384];

	if (!n)
		return;
	i = below(r, n);
	if (!(v[i].prot & DT_PROT_WRITE))
		return; /* the oracle would say -EPERM; a CPU write is not a device's */
	off = below(r, v[i].size);
	len = 1 + below(r, 2 * d->pg + 2);
	if (len > v[i].size - off)
		len = v[i].size - off;
	for (k = 0; k < len; k++)
		buf[k] = (uint8_t)rnd(r);
	snprintf(d->what, sizeof(d->what), "memory write iova 0x%" PRIx64 " len %" PRIu64,
		 v[i].iova + off, len);
	memcpy(d->ae + (v[i].vaddr - (uintptr_t)d->ao) + off, buf, len);
	differ(d, "oracle rw", 0, oracle_dma_rw(d->o, v[i].iova + off, buf, len, true));
}

static void op_rw(struct diff *d, struct rng *r)
{
	uint64_t iova = BASE + below(r, (WIN + 4) * d->pg), len = below(r, 2 * d->pg + 10), k;
	bool write = chance(r, 50);
	uint8_t be[3 * 16384], bo[3 * 16384];

	if (chance(r, 3))
		iova = BASE - 1;
	for (k = 0; k < len; k++)
		be[k] = bo[k] = write ? (uint8_t)rnd(r) : 0;
	snprintf(d->what, sizeof(d->what), "rw iova 0x%" PRIx64 " len %" PRIu64 " %s", iova, len,
		 write ? "write" : "read");
	if (!differ(d, "errno", dt_dma_rw(d->e, iova, be, len, write),
		    oracle_dma_rw(d->o, iova, bo, len, write)) &&
	    !write)
		differ_bytes(d, "read", be, bo, len);
}

static void op_dirty(struct diff *d, struct rng *r)
{
	struct dt_dirty_pages req = {.argsz = DT_DIRTY_PAGES_ARGSZ};

	req.flags = chance(r, 60) ? DT_DIRTY_START : DT_DIRTY_STOP;
	if (chance(r, 5))
		req.flags |= DT_DIRTY_STOP;
	if (chance(r, 5))
		req.argsz = 4;
	snprintf(d->what, sizeof(d->what), "dirty flags %u argsz %u", req.flags, req.argsz);
	differ(d, "errno", dt_dirty_pages(d->e, &req), oracle_dirty_pages(d->o, &req));
}

static void op_group(struct diff *d, struct rng *r)
{
	uint64_t id = 1 + below(r, 3);
	unsigned int devices = (unsigned int)below(r, 3);

	/* Mediated groups only: an IOMMU group puts the oracle out of scope (not the backend). */
	if (chance(r, 60)) {
		snprintf(d->what, sizeof(d->what), "attach %" PRIu64 " devices %u", id, devices);
		differ(d, "errno", dt_group_attach(d->e, id, DT_GROUP_MEDIATED, devices),
		       oracle_group_attach(d->o, id, DT_GROUP_MEDIATED, devices));
	} else {
		snprintf(d->what, sizeof(d->what), "detach %" PRIu64, id);
		differ(d, "errno", dt_group_detach(d->e, id), oracle_group_detach(d->o, id));
	}
}

static void op_info(struct diff *d)
{
	struct dt_info ie, io;

	memset(&ie, 0xa5, sizeof(ie));
	memset(&io, 0x5a, sizeof(io));
	snprintf(d->what, sizeof(d->what), "info");
	if (!differ(d, "errno", dt_info_get(d->e, &ie), oracle_info_get(d->o, &io)))
		differ_bytes(d, "info", (const uint8_t *)&ie, (const uint8_t *)&io, sizeof(ie));
}

static void run_seed(uint64_t seed, uint64_t ops)
{
	struct dt_container_config cfg;
	struct rng r = {.s = seed};
	struct diff d = {.seed = seed};
	unsigned int k;
	int ret;

	d.pg = seed % 3 == 2 ? 16384 : PG;
	dt_container_config_init(&cfg);
	cfg.backend = "uffd";
	cfg.pgsize = d.pg;
	cfg.v2 = seed % 23 != 5; /* now and then a v1 container: -EACCES for tracking */
	ret = dt_container_create(&cfg, &d.e);
	if (ret == 0)
		ret = oracle_container_create(&cfg, &d.o);
	if (ret < 0) {
		fprintf(stderr, "test_uffd: seed %" PRIu64 ": create: %s\n", seed, strerror(-ret));
		check_failures++;
		dt_container_destroy(d.e);
		return;
	}
	d.ae = uffd_test_mem(2 * WIN * d.pg, d.pg, &d.be, &d.le);
	d.ao = uffd_test_mem(2 * WIN * d.pg, d.pg, &d.bo, &d.lo);
	for (d.op = 0; d.op < ops && !d.failed; d.op++) {
		k = (unsigned int)below(&r, 100);
		if (k < 16)
			op_map(&d, &r);
		else if (k < 27)
			op_unmap(&d, &r);
		else if (k < 45)
			op_get(&d, &r);
		else if (k < 70)
			op_device_write(&d, &r);
		else if (k < 80)
			op_rw(&d, &r);
		else if (k < 90)
			op_dirty(&d, &r);
		else if (k < 96)
			op_group(&d, &r);
		else
			op_info(&d);
	}
	dt_container_destroy(d.e);
	oracle_container_destroy(d.o);
	munmap(d.be, d.le);
	munmap(d.bo, d.lo);
}

int main(int argc, char **argv)
{
	uint64_t seeds = 300, ops = 200, s;
	int i;

	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--seeds"))
			seeds = strtoull(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--ops"))
			ops = strtoull(argv[i + 1], NULL, 0);
	}
	/* Skips here, before anything else, when the kernel cannot. */
	dt_container_destroy(uffd_container_or_skip("test_uffd", PG));
	test_field_cases();
	test_start_fails();
	test_decisions();
	test_walk_end();
	for (s = 1; s <= seeds && check_failures < 5; s++)
		run_seed(s, ops);
	CHECK_EXIT();
}
