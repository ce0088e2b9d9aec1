// SPDX-License-Identifier: MIT
/*
 * oracle_unit - the oracle checked on cases computed by hand, so that the
 * differential test stands on something: if the oracle and the engine
 * agreed on a wrong answer, only these would notice. Each case names the
 * rule of SEMANTICS.md (mostly its §4 field cases) it pins down.
 *
 * Exit: 0 pass, 1 fail.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "oracle.h"

#define PG 4096ull
#define RW (DT_PROT_READ | DT_PROT_WRITE)

static int failures;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "oracle_unit:%d: %s: failed: %s\n", __LINE__, __func__,    \
			        #cond);                                                            \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

/* Backing memory for the mappings of one case: page-aligned, zeroed. */
static uint8_t *arena;
#define ARENA_BYTES (512 * PG)

static uint64_t va(uint64_t off)
{
	return (uint64_t)(uintptr_t)arena + off;
}

static struct oracle_container *new_container(uint64_t pgsize, uint32_t limit, bool v2)
{
	struct dt_container_config cfg = {.pgsize = pgsize, .dma_limit = limit, .v2 = v2};
	struct oracle_container *c = NULL;

	if (oracle_container_create(&cfg, &c) != 0) {
		fprintf(stderr, "oracle_unit: cannot create a container\n");
		exit(1);
	}
	return c;
}

/* Is exactly the bit set {lo..hi} set in the first @words words? */
static bool bits_are_range(const uint64_t *bm, size_t words, uint64_t lo, uint64_t hi)
{
	uint64_t b;

	for (b = 0; b < words * 64; b++) {
		bool set = bm[b / 64] >> (b % 64) & 1;

		if (set != (b >= lo && b <= hi))
			return false;
	}
	return true;
}

static bool bit(const uint64_t *bm, uint64_t b)
{
	return bm[b / 64] >> (b % 64) & 1;
}

static size_t count_bits(const uint64_t *bm, size_t words)
{
	size_t n = 0, b;

	for (b = 0; b < words * 64; b++)
		n += bit(bm, b);
	return n;
}

static int get(struct oracle_container *c, uint64_t iova, uint64_t size, uint64_t *bm,
               uint64_t bytes)
{
	struct dt_bitmap b = {.pgsize = oracle_pgsize(c), .size = bytes, .data = bm};

	memset(bm, 0, bytes);
	return oracle_get_bitmap(c, iova, size, &b);
}

/* §4: 3, 70 and 5 pages side by side; the later mappings keep the earlier bits. */
static void test_merge_3_70_5(void)
{
	struct oracle_container *c = new_container(PG, 65535, true);
	uint64_t bm[4];
	uint8_t two[2] = {1, 2};

	CHECK(oracle_dma_map(c, 0x100000, 3 * PG, va(0), RW) == 0);
	CHECK(oracle_dma_map(c, 0x103000, 70 * PG, va(3 * PG), RW) == 0);
	CHECK(oracle_dma_map(c, 0x149000, 5 * PG, va(73 * PG), RW) == 0);
	CHECK(oracle_group_attach(c, 1, DT_GROUP_IOMMU, 1) == 0);
	CHECK(oracle_dirty_start(c) == 0);
	/* the REPLAY.md example: 3 + 70 pages, all dirty out of scope */
	CHECK(get(c, 0x100000, 73 * PG, bm, 16) == 0);
	CHECK(bits_are_range(bm, 2, 0, 72));
	CHECK(get(c, 0x100000, 78 * PG, bm, 16) == 0);
	CHECK(bits_are_range(bm, 2, 0, 77));
	/* a bisecting request */
	CHECK(get(c, 0x101000, 72 * PG, bm, 16) == -EINVAL);

	/* In scope, only what was written: bits 2, 3, 63, 64, 72, 73, 77. */
	CHECK(oracle_pin(c, 1, 0x100000, 1, RW) == 0); /* scope; page 0 pinned */
	CHECK(get(c, 0x100000, 78 * PG, bm, 16) == 0); /* drain */
	CHECK(oracle_unpin(c, 1, 0x100000, 1) == 0);
	CHECK(get(c, 0x100000, 78 * PG, bm, 16) == 0);
	CHECK(count_bits(bm, 2) == 1 && bit(bm, 0)); /* once more after its unpin */
	CHECK(get(c, 0x100000, 78 * PG, bm, 16) == 0);
	CHECK(count_bits(bm, 2) == 0);                                           /* then never */
	CHECK(oracle_dma_rw(c, 0x100000 + 3 * PG - 1, two, 2, true) == 0);       /* 2, 3 */
	CHECK(oracle_dma_rw(c, 0x100000 + 63 * PG + PG - 1, two, 2, true) == 0); /* 63, 64 */
	CHECK(oracle_dma_rw(c, 0x100000 + 73 * PG - 1, two, 2, true) == 0);      /* 72, 73 */
	CHECK(oracle_dma_rw(c, 0x100000 + 77 * PG, two, 1, true) == 0);          /* 77 */
	CHECK(get(c, 0x100000, 78 * PG, bm, 16) == 0);
	CHECK(count_bits(bm, 2) == 7);
	CHECK(bit(bm, 2) && bit(bm, 3) && bit(bm, 63) && bit(bm, 64) && bit(bm, 72) &&
	      bit(bm, 73) && bit(bm, 77));
	/* the same writes seen through a request starting one page into a hole */
	CHECK(oracle_dma_rw(c, 0x100000, two, 1, true) == 0);
	CHECK(oracle_dma_rw(c, 0x103000, two, 1, true) == 0);
	CHECK(get(c, 0xff000, 79 * PG, bm, 16) == 0);
	CHECK(count_bits(bm, 2) == 2 && bit(bm, 1) && bit(bm, 4));
	oracle_container_destroy(c);
}

/* §4: a request ending exactly at a mapping's end leaves the next one alone. */
static void test_end_at_mapping_end(void)
{
	struct oracle_container *c = new_container(PG, 65535, true);
	uint64_t bm[1];

	CHECK(oracle_dma_map(c, 0xc7000, 3 * PG, va(0), RW) == 0);
	CHECK(oracle_dma_map(c, 0xca000, 3 * PG, va(3 * PG), RW) == 0);
	CHECK(oracle_group_attach(c, 7, DT_GROUP_IOMMU, 1) == 0);
	CHECK(oracle_dirty_start(c) == 0);
	CHECK(get(c, 0xca000, 0x3000, bm, 8) == 0);
	CHECK(bits_are_range(bm, 1, 0, 2));
	CHECK(get(c, 0xc7000, 0x3000, bm, 8) == 0);
	CHECK(bits_are_range(bm, 1, 0, 2));
	oracle_container_destroy(c);
}

/* §4: size 0x3fb0 is not a multiple of pgsize: -EINVAL, nothing changes. */
static void test_unaligned_size(void)
{
	struct oracle_container *c = new_container(PG, 65535, true);
	uint64_t bm[1];
	uint8_t one = 1;

	CHECK(oracle_dma_map(c, 0xfe011000, 4 * PG, va(0), RW) == 0);
	CHECK(oracle_dirty_start(c) == 0);
	CHECK(oracle_dma_rw(c, 0xfe011000, &one, 1, true) == 0);
	CHECK(get(c, 0xfe011000, 0x3fb0, bm, 8) == -EINVAL);
	CHECK(bm[0] == 0);
	CHECK(get(c, 0xfe011000, 0x4000, bm, 8) == 0);
	CHECK(bits_are_range(bm, 1, 0, 0)); /* the failed request harvested nothing */
	CHECK(oracle_dma_map(c, 0x0, 0x3fb0, va(0), RW) == -EINVAL);
	oracle_container_destroy(c);
}

/* §4: fewer than 8 pages still need a whole 64-bit word. */
static void test_small_bitmap(void)
{
	struct oracle_container *c = new_container(PG, 65535, true);
	uint64_t bm[1];

	CHECK(oracle_dma_map(c, 0x100000, 3 * PG, va(0), RW) == 0);
	CHECK(oracle_dirty_start(c) == 0);
	CHECK(get(c, 0x100000, 3 * PG, bm, 1) == -EINVAL);
	CHECK(get(c, 0x100000, 3 * PG, bm, 4) == -EINVAL);
	CHECK(get(c, 0x100000, 3 * PG, bm, 7) == -EINVAL);
	CHECK(get(c, 0x100000, 3 * PG, bm, 8) == 0);
	oracle_container_destroy(c);
}

/* §4: a 2-byte write at page offset pgsize-1 dirties 2 pages; the bytes land. */
static void test_rw_two_pages(void)
{
	struct oracle_container *c = new_container(PG, 65535, true);
	uint8_t two[2] = {0xab, 0xcd}, back[2] = {0};
	uint64_t bm[1];

	memset(arena, 0, ARENA_BYTES);
	CHECK(oracle_dma_map(c, 0x200000, 4 * PG, va(8 * PG), RW) == 0);
	CHECK(oracle_group_attach(c, 1, DT_GROUP_MEDIATED, 1) == 0);
	CHECK(oracle_dirty_start(c) == 0);
	CHECK(oracle_dma_rw(c, 0x200000 + PG - 1, two, 2, true) == 0);
	CHECK(arena[8 * PG + PG - 1] == 0xab && arena[8 * PG + PG] == 0xcd);
	CHECK(oracle_dma_rw(c, 0x200000 + PG - 1, back, 2, false) == 0);
	CHECK(back[0] == 0xab && back[1] == 0xcd);
	CHECK(get(c, 0x200000, 4 * PG, bm, 8) == 0);
	CHECK(bits_are_range(bm, 1, 0, 1));
	/* a write running off the mapping changes nothing, not even its first byte */
	CHECK(oracle_dma_rw(c, 0x200000 + 4 * PG - 1, two, 2, true) == -EINVAL);
	CHECK(arena[8 * PG + 4 * PG - 1] == 0);
	CHECK(get(c, 0x200000, 4 * PG, bm, 8) == 0);
	CHECK(bm[0] == 0);
	oracle_container_destroy(c);
}

/* §4: two harvests with no activity between them report only pinned pages. */
static void test_harvest_clears(void)
{
	struct oracle_container *c = new_container(PG, 65535, true);
	uint8_t one = 1;
	uint64_t bm[2];

	CHECK(oracle_dma_map(c, 0x100000, 100 * PG, va(0), RW) == 0);
	CHECK(oracle_group_attach(c, 3, DT_GROUP_MEDIATED, 1) == 0);
	CHECK(oracle_pin(c, 3, 0x100000 + 10 * PG, 2, DT_PROT_READ) == 0); /* before START */
	CHECK(oracle_dirty_start(c) == 0);
	CHECK(oracle_dma_rw(c, 0x100000 + 99 * PG, &one, 1, true) == 0);
	CHECK(get(c, 0x100000, 100 * PG, bm, 16) == 0);
	CHECK(count_bits(bm, 2) == 3 && bit(bm, 10) && bit(bm, 11) && bit(bm, 99));
	CHECK(get(c, 0x100000, 100 * PG, bm, 16) == 0);
	CHECK(count_bits(bm, 2) == 2 && bit(bm, 10) && bit(bm, 11));
	CHECK(oracle_unpin(c, 3, 0x100000 + 10 * PG, 1) == 0);
	CHECK(get(c, 0x100000, 100 * PG, bm, 16) == 0);
	CHECK(count_bits(bm, 2) == 2);
	CHECK(get(c, 0x100000, 100 * PG, bm, 16) == 0);
	CHECK(count_bits(bm, 2) == 1 && bit(bm, 11));
	/* an unpin of a page nobody pins fails and changes nothing */
	CHECK(oracle_unpin(c, 3, 0x100000 + 10 * PG, 2) == -EINVAL);
	CHECK(oracle_page_pins(c, 0x100000 + 11 * PG) == 1);
	oracle_container_destroy(c);
}

/* §3, §4: a mapping of more than INT_MAX pages cannot be tracked. */
static void test_start_too_large(void)
{
	struct oracle_container *c = new_container(PG, 65535, true);
	const uint64_t huge = (1ull << 43) + PG; /* 2^31 + 1 pages */
	uint64_t bm[1];

	CHECK(oracle_dma_map(c, 0x100000, 4 * PG, va(0), RW) == 0);
	/* never written: the address only has to be aligned */
	CHECK(oracle_dma_map(c, 1ull << 44, huge, 1ull << 45, RW) == 0);
	CHECK(oracle_group_attach(c, 1, DT_GROUP_MEDIATED, 1) == 0);
	CHECK(oracle_pin(c, 1, (1ull << 44) + huge - PG, 1, RW) == 0); /* its last page */
	CHECK(oracle_dirty_start(c) == -EINVAL);
	CHECK(!oracle_tracking(c));
	CHECK(get(c, 0x100000, 4 * PG, bm, 8) == -EINVAL);
	CHECK(oracle_unmap(c, 1ull << 44, huge, NULL) == 0);
	CHECK(oracle_dirty_start(c) == 0);
	/* and MAP while tracking refuses it */
	CHECK(oracle_dma_map(c, 1ull << 44, huge, 1ull << 45, RW) == -EINVAL);
	CHECK(oracle_mapping_count(c) == 1);
	oracle_container_destroy(c);
}

/* §4: a request over no mapping succeeds and leaves the bitmap alone. */
static void test_get_hole(void)
{
	struct oracle_container *c = new_container(PG, 65535, true);
	struct dt_bitmap b = {.pgsize = PG, .size = 8};
	uint64_t bm[1] = {0};

	CHECK(oracle_dma_map(c, 0x100000, 4 * PG, va(0), RW) == 0);
	CHECK(oracle_group_attach(c, 1, DT_GROUP_IOMMU, 1) == 0);
	CHECK(oracle_dirty_start(c) == 0);
	CHECK(get(c, 0x200000, 4 * PG, bm, 8) == 0);
	CHECK(bm[0] == 0);
	/* a NULL pointer is -EFAULT even then */
	CHECK(oracle_get_bitmap(c, 0x200000, 4 * PG, &b) == -EFAULT);
	oracle_container_destroy(c);
}

/* §1: detaching a group without scope while tracking dirties every page. */
static void test_detach_unscoped(void)
{
	struct oracle_container *c = new_container(PG, 65535, true);
	uint64_t bm[1];

	CHECK(oracle_dma_map(c, 0x100000, 5 * PG, va(0), RW) == 0);
	CHECK(oracle_group_attach(c, 1, DT_GROUP_MEDIATED, 1) == 0);
	CHECK(oracle_group_attach(c, 2, DT_GROUP_IOMMU, 1) == 0);
	CHECK(oracle_dirty_start(c) == 0);
	CHECK(oracle_group_detach(c, 1) == 0); /* scoped: nothing */
	CHECK(oracle_group_detach(c, 2) == 0); /* unscoped: everything */
	CHECK(oracle_group_detach(c, 2) == -ENOENT);
	CHECK(get(c, 0x100000, 5 * PG, bm, 8) == 0); /* in scope again, bits kept */
	CHECK(bits_are_range(bm, 1, 0, 4));
	CHECK(get(c, 0x100000, 5 * PG, bm, 8) == 0);
	CHECK(bm[0] == 0);
	oracle_container_destroy(c);
}

/* docs/semantics.md errno precedence, one sample per ordered pair. */
static void test_precedence(void)
{
	struct oracle_container *c = new_container(PG, 2, true), *v1 = new_container(PG, 1, false);
	struct dt_dma_unmap u = {.argsz = 48, .flags = DT_UNMAP_GET_DIRTY_BITMAP | DT_UNMAP_ALL};
	struct dt_dirty_pages d = {.argsz = 4, .flags = 3};
	uint64_t bm[1];

	CHECK(oracle_dma_map(c, 0x100000, PG, va(0), 0) == -EINVAL);
	CHECK(oracle_dma_map(c, 0x100000, PG, va(0), 4) == -EINVAL);
	CHECK(oracle_dma_map(c, 0x100000, PG, va(0) + 1, RW) == -EINVAL);
	CHECK(oracle_dma_map(c, UINT64_MAX - PG + 1, 2 * PG, va(0), RW) == -EINVAL);
	CHECK(oracle_dma_map(c, UINT64_MAX - PG + 1, PG, va(0), RW) == 0); /* ends at 2^64 */
	CHECK(oracle_dma_map(c, 0x100000, 2 * PG, va(0), RW) == 0);
	CHECK(oracle_dma_map(c, 0x101000, PG, va(0), RW) == -EEXIST); /* before -ENOSPC */
	CHECK(oracle_dma_map(c, 0x300000, PG, va(0), RW) == -ENOSPC);
	CHECK(oracle_dma_unmap(c, &u) == -EINVAL);
	u.flags = DT_UNMAP_VADDR;
	CHECK(oracle_dma_unmap(c, &u) == -EOPNOTSUPP);
	u.flags = 8;
	CHECK(oracle_dma_unmap(c, &u) == -EINVAL);
	CHECK(oracle_unmap(c, 0x101000, PG, NULL) == -EINVAL); /* bisects */
	CHECK(oracle_dirty_pages(v1, &d) == -EACCES);
	CHECK(oracle_dirty_pages(c, &d) == -EINVAL);
	CHECK(oracle_pin(c, 9, 0x100000, 513, 0) == -ENODEV);
	CHECK(oracle_group_attach(c, 9, DT_GROUP_MEDIATED, 2) == 0);
	CHECK(oracle_pin(c, 9, 0x100000, 513, 0) == -EINVAL); /* two devices */
	CHECK(oracle_group_attach(c, 9, DT_GROUP_IOMMU, 1) == -EINVAL);
	CHECK(oracle_group_attach(c, 8, DT_GROUP_MEDIATED, 1) == 0);
	CHECK(oracle_pin(c, 8, 0x100001, 513, 0) == -E2BIG);
	CHECK(oracle_pin(c, 8, 0x100000, 0, RW) == -EINVAL);
	/* page by page: the second page lies in the hole after the mapping */
	CHECK(oracle_pin(c, 8, 0x101000, 2, RW) == -EINVAL);
	CHECK(oracle_unpin(c, 8, 0x100000, 1) == -EINVAL);
	/* the top page pins; the one past 2^64-1 does not exist */
	CHECK(oracle_pin(c, 8, UINT64_MAX - PG + 1, 1, RW) == 0);
	CHECK(oracle_pin(c, 8, UINT64_MAX - PG + 1, 2, RW) == -EINVAL);
	CHECK(oracle_dirty_start(c) == 0);
	/* GET: a range ending at 2^64 wraps in the kernel's "iova + size < iova" */
	CHECK(get(c, UINT64_MAX - PG + 1, PG, bm, 8) == -EINVAL);
	u = (struct dt_dma_unmap){.argsz = 48,
	                          .flags = DT_UNMAP_GET_DIRTY_BITMAP,
	                          .iova = UINT64_MAX - PG + 1,
	                          .size = PG,
	                          .bitmap = {.pgsize = PG, .size = 8, .data = bm}};
	bm[0] = 0;
	CHECK(oracle_dma_unmap(c, &u) == 0 && u.size == PG && bm[0] == 1);
	oracle_container_destroy(c);
	oracle_container_destroy(v1);
}

/* §3: the migration capability, padding included. */
static void test_info(void)
{
	struct oracle_container *c = new_container(65536, 10, true);
	struct dt_info info;

	memset(&info, 0xa5, sizeof(info));
	CHECK(oracle_dma_map(c, 0x100000, 65536, va(0), RW) == 0);
	CHECK(oracle_info_get(c, &info) == 0);
	CHECK(info.pgsize_bitmap == 65536 && info.dma_avail == 9);
	CHECK(info.migration.id == 2 && info.migration.version == 1);
	CHECK(info.migration.flags == 0 && info.migration.next == 0);
	CHECK(info.migration.pgsize_bitmap == 65536);
	CHECK(info.migration.max_dirty_bitmap_size == 268435456);
	CHECK(((uint8_t *)&info.migration)[12] == 0 && ((uint8_t *)&info.migration)[15] == 0);
	CHECK(oracle_info_get(c, NULL) == -EINVAL);
	oracle_container_destroy(c);
}

int main(void)
{
	arena = mmap(NULL, ARENA_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (arena == MAP_FAILED) {
		perror("oracle_unit: mmap");
		return 1;
	}
	test_merge_3_70_5();
	test_end_at_mapping_end();
	test_unaligned_size();
	test_small_bitmap();
	test_rw_two_pages();
	test_harvest_clears();
	test_start_too_large();
	test_get_hole();
	test_detach_unscoped();
	test_precedence();
	test_info();
	munmap(arena, ARENA_BYTES);
	if (failures) {
		fprintf(stderr, "oracle_unit: %d checks failed\n", failures);
		return 1;
	}
	printf("oracle_unit: all checks passed\n");
	return 0;
}
