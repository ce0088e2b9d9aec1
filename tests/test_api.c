// SPDX-License-Identifier: MIT
/*
 * test_api.c - what the replay cannot reach: the C API's own argument
 * checks, the migration capability's padding, DMA_RW's bytes and reads,
 * and the harvest profile.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <dirtytrack/dirtytrack.h>

#include "check.h"

static struct dt_container *make(bool profile)
{
	struct dt_container_config cfg;
	struct dt_container *c = NULL;

	dt_container_config_init(&cfg);
	cfg.profile = profile;
	if (dt_container_create(&cfg, &c) < 0)
		return NULL;
	return c;
}

static void test_create(void)
{
	struct dt_container_config cfg;
	struct dt_container *c = (struct dt_container *)0x1;
	static const uint64_t bad_pgsizes[] = {0, 1, 2048, 4095, 0x1800, 4097};
	size_t i;

	CHECK_EQ(dt_container_create(NULL, &c), -EINVAL);
	dt_container_config_init(&cfg);
	CHECK_EQ(dt_container_create(&cfg, NULL), -EINVAL);
	for (i = 0; i < sizeof(bad_pgsizes) / sizeof(bad_pgsizes[0]); i++) {
		cfg.pgsize = bad_pgsizes[i];
		CHECK_EQ(dt_container_create(&cfg, &c), -EINVAL);
		CHECK(c == (struct dt_container *)0x1); /* untouched on failure */
	}
	dt_container_config_init(&cfg);
	cfg.backend = "nosuch";
	CHECK_EQ(dt_container_create(&cfg, &c), -ENOENT);
	dt_container_config_init(&cfg);
	cfg.harvest = "nosuch";
	CHECK_EQ(dt_container_create(&cfg, &c), -ENOENT);

	dt_container_config_init(&cfg);
	cfg.pgsize = 1ull << 21;
	CHECK_EQ(dt_container_create(&cfg, &c), 0);
	CHECK(!strcmp(dt_container_backend(c), "model"));
	CHECK(!strcmp(dt_container_harvest(c), "reference"));
	dt_container_destroy(c);
	dt_container_destroy(NULL);

	CHECK(!strcmp(dt_backend_names()[0], "model"));
	CHECK(!strcmp(dt_harvest_names()[0], "reference"));
}

/*
 * --compat linux-6.1: the stale-bit defect of KERNEL-VM.md, bit for bit.
 * An isolated 5-page mapping X at page 9 of the requests; one GET starting
 * 9 pages before X shifts X's bits by 9 and leaves them at 5..13 of its
 * bitmap, of which only 0..4 are cleared. A GET of X and the 64 pages
 * after it then reports 0-4 and the stale 9-13. The correct model: 0-4.
 */
static uint64_t stale_case(const char *compat)
{
	static uint8_t mem[64 * 4096] __attribute__((aligned(4096)));
	struct dt_container_config cfg;
	struct dt_container *c = NULL;
	uint64_t bits[2] = {0};
	struct dt_bitmap bm = {.pgsize = 4096, .size = sizeof(bits), .data = bits};
	const uint64_t x = 0x100000 + 9 * 4096;

	dt_container_config_init(&cfg);
	cfg.compat = compat;
	CHECK_EQ(dt_container_create(&cfg, &c), 0);
	if (!c)
		return ~0ull;
	/* The group first: a kernel (and so a compat mode) maps nothing before one. */
	CHECK_EQ(dt_group_attach(c, 1, DT_GROUP_IOMMU, 1), 0);
	CHECK_EQ(dt_dma_map(c, x, 5 * 4096, (uintptr_t)mem, DT_PROT_READ | DT_PROT_WRITE), 0);
	CHECK_EQ(dt_dirty_start(c), 0);
	CHECK_EQ(dt_get_bitmap(c, 0x100000, 64 * 4096, &bm), 0);
	CHECK_EQ(bits[0], 0x1full << 9);
	bits[0] = 0;
	CHECK_EQ(dt_get_bitmap(c, x, 69 * 4096, &bm), 0);
	CHECK_EQ(bits[1], 0);
	dt_container_destroy(c);
	return bits[0];
}

static void test_compat(void)
{
	struct dt_container_config cfg;
	struct dt_container *c = NULL;

	CHECK_EQ(stale_case(NULL), 0x1f);
	CHECK_EQ(stale_case("linux-6.1"), 0x1f | 0x1full << 9);
	CHECK_EQ(stale_case("linux-6.12"), 0x1f | 0x1full << 9);
	CHECK(!strcmp(dt_compat_names()[0], "linux-6.1"));
	dt_container_config_init(&cfg);
	cfg.compat = "linux-2.4";
	CHECK_EQ(dt_container_create(&cfg, &c), -ENOENT);
	CHECK(c == NULL);
	/* A kernel's defects are the kernel's algorithm's: not the fast harvest's. */
	cfg.compat = "linux-6.1";
	cfg.harvest = "fast";
	CHECK_EQ(dt_container_create(&cfg, &c), -EOPNOTSUPP);
	CHECK(c == NULL);
}

static struct dt_container *make_compat(const char *compat, bool v2)
{
	struct dt_container_config cfg;
	struct dt_container *c = NULL;

	dt_container_config_init(&cfg);
	cfg.compat = compat;
	cfg.v2 = v2;
	CHECK_EQ(dt_container_create(&cfg, &c), 0);
	return c;
}

/*
 * The kernel's rules that compat modes add (compat.h), each against the
 * correct model: a group before anything, the last detach releasing the
 * IOMMU, a NULL bitmap seen only on a copy, and v1 unmap.
 */
static void test_compat_kernel_rules(void)
{
	static uint8_t mem[8 * 4096] __attribute__((aligned(4096)));
	const uint32_t rw = DT_PROT_READ | DT_PROT_WRITE;
	const uint64_t va = (uintptr_t)mem;
	struct dt_bitmap null_bm = {.pgsize = 4096, .size = 8, .data = NULL};
	uint64_t bits[1] = {0}, unmapped = 1;
	struct dt_bitmap bm = {.pgsize = 4096, .size = 8, .data = bits};
	struct dt_container *c = make_compat("linux-6.1", true), *plain = make(false);
	struct dt_info info;

	if (!c || !plain)
		return;
	/* No group, no IOMMU: -EINVAL before any other check (even -EACCES of v1). */
	CHECK_EQ(dt_dma_map(c, 0, 4096, va, rw), -EINVAL);
	CHECK_EQ(dt_dma_map(plain, 0, 4096, va, rw), 0);
	CHECK_EQ(dt_unmap(c, 0, 4096, NULL), -EINVAL);
	CHECK_EQ(dt_dirty_start(c), -EINVAL);
	CHECK_EQ(dt_info_get(c, &info), -EINVAL);
	CHECK_EQ(dt_group_attach(c, 1, DT_GROUP_IOMMU, 1), 0);
	CHECK_EQ(dt_info_get(c, &info), 0);
	CHECK_EQ(dt_dma_map(c, 0, 4096, va, rw), 0);
	CHECK_EQ(dt_dma_map(c, 0x10000, 2 * 4096, va, rw), 0);
	CHECK_EQ(dt_dirty_start(c), 0);
	CHECK_EQ(dt_dirty_start(plain), 0);

	/* A NULL bitmap over a hole succeeds; over a mapping it fails, shifted. */
	CHECK_EQ(dt_get_bitmap(c, 0x100000, 4096, &null_bm), 0);
	CHECK_EQ(dt_get_bitmap(plain, 0x100000, 4096, &null_bm), -EFAULT);
	CHECK_EQ(dt_unmap_bitmap(c, 0x100000, 4096, &null_bm, &unmapped), 0);
	CHECK_EQ(unmapped, 0);
	CHECK_EQ(dt_get_bitmap(c, 0xf000, 0x3000, &null_bm), -EFAULT);
	/* The failed report shifted the mapping's two bits by one: bit 2 is stale. */
	CHECK_EQ(dt_get_bitmap(c, 0x10000, 0x2000, &bm), 0);
	CHECK_EQ(bits[0], 0x7);

	/* The last group leaving takes every mapping and the tracking with it. */
	CHECK_EQ(dt_group_detach(c, 1), 0);
	CHECK_EQ(dt_group_attach(c, 1, DT_GROUP_IOMMU, 1), 0);
	CHECK_EQ(dt_unmap(c, 0, 1ull << 20, &unmapped), 0);
	CHECK_EQ(unmapped, 0);
	CHECK_EQ(dt_get_bitmap(c, 0, 4096, &bm), -EINVAL);
	dt_container_destroy(c);
	dt_container_destroy(plain);

	/* v1: a range starting inside a mapping unmaps nothing; one covering a start, all of it. */
	c = make_compat("linux-6.12", false);
	if (!c)
		return;
	CHECK_EQ(dt_group_attach(c, 1, DT_GROUP_IOMMU, 1), 0);
	CHECK_EQ(dt_dma_map(c, 0x10000, 4 * 4096, va, rw), 0);
	CHECK_EQ(dt_unmap(c, 0x11000, 4096, &unmapped), 0);
	CHECK_EQ(unmapped, 0);
	CHECK_EQ(dt_unmap(c, 0xf000, 2 * 4096, &unmapped), 0);
	CHECK_EQ(unmapped, 4 * 4096);
	dt_container_destroy(c);
}

static void test_iova_ranges(void)
{
	struct dt_container *c = make(false);
	struct dt_iova_range r[2];

	CHECK_EQ(dt_iova_ranges(c, NULL, 0), 1);
	CHECK_EQ(dt_iova_ranges(c, NULL, 1), -EINVAL);
	CHECK_EQ(dt_iova_ranges(NULL, r, 2), -EINVAL);
	CHECK_EQ(dt_iova_ranges(c, r, 2), 1);
	CHECK_EQ(r[0].start, 0);
	CHECK_EQ(r[0].last, UINT64_MAX);
	dt_container_destroy(c);
}

/* The vfio backend's own checks, which run before it opens anything. */
static void test_vfio_config(void)
{
	struct dt_container_config cfg;
	struct dt_container *c = NULL;

	dt_container_config_init(&cfg);
	cfg.backend = "vfio";
	CHECK_EQ(dt_container_create(&cfg, &c), -EINVAL); /* no device */
	cfg.device = "/nonexistent/vfio/0";
	cfg.compat = "linux-6.1";
	CHECK_EQ(dt_container_create(&cfg, &c), -EOPNOTSUPP); /* compat is the model's */
	cfg.compat = NULL;
	cfg.pgsize = 8192;
	CHECK_EQ(dt_container_create(&cfg, &c), -EOPNOTSUPP); /* the IOMMU decides */
	cfg.pgsize = 4096;
	cfg.dma_limit = 7;
	CHECK_EQ(dt_container_create(&cfg, &c), -EOPNOTSUPP); /* the module parameter decides */
	cfg.pgsize = 0x1800;
	CHECK_EQ(dt_container_create(&cfg, &c), -EINVAL); /* as the model says */
	CHECK(c == NULL);
	CHECK(!strcmp(dt_backend_names()[1], "vfio"));
}

static void test_null_handles(void)
{
	struct dt_bitmap bm = {0};
	struct dt_info info;

	CHECK_EQ(dt_group_attach(NULL, 1, DT_GROUP_IOMMU, 1), -EINVAL);
	CHECK_EQ(dt_dma_map(NULL, 0, 4096, 0, DT_PROT_READ), -EINVAL);
	CHECK_EQ(dt_dma_unmap(NULL, NULL), -EINVAL);
	CHECK_EQ(dt_unmap_bitmap(NULL, 0, 4096, NULL, NULL), -EINVAL);
	CHECK_EQ(dt_get_bitmap(NULL, 0, 4096, &bm), -EINVAL);
	CHECK_EQ(dt_dirty_pages(NULL, NULL), -EINVAL);
	CHECK_EQ(dt_info_get(NULL, &info), -EINVAL);
	CHECK(dt_container_backend(NULL) == NULL);
}

static void test_group_args(void)
{
	struct dt_container *c = make(false);

	CHECK_EQ(dt_group_attach(c, 1, (enum dt_group_kind)7, 1), -EINVAL);
	CHECK_EQ(dt_group_attach(c, 1, DT_GROUP_IOMMU, 0), -EINVAL);
	CHECK_EQ(dt_group_attach(c, 1, DT_GROUP_IOMMU, 1), 0);
	CHECK_EQ(dt_group_detach(c, 1), 0);
	CHECK_EQ(dt_group_detach(c, 1), -ENOENT);
	dt_container_destroy(c);
}

static void test_info_padding(void)
{
	struct dt_container *c = make(false);
	struct dt_info got, want;

	memset(&got, 0xa5, sizeof(got));
	memset(&want, 0, sizeof(want));
	want.pgsize_bitmap = 4096;
	want.dma_avail = DT_DMA_LIMIT_DEFAULT - 1;
	want.migration.id = DT_CAP_MIGRATION_ID;
	want.migration.version = DT_CAP_MIGRATION_VERSION;
	want.migration.pgsize_bitmap = 4096;
	want.migration.max_dirty_bitmap_size = 268435456;
	CHECK_EQ(dt_dma_map(c, 0, 4096, 4096, DT_PROT_READ), 0);
	CHECK_EQ(dt_info_get(c, &got), 0);
	/* memcmp covers every padding byte, not just the fields. */
	CHECK(memcmp(&got, &want, sizeof(got)) == 0);
	CHECK_EQ(offsetof(struct dt_cap_migration, pgsize_bitmap) -
			 (offsetof(struct dt_cap_migration, flags) + sizeof(uint32_t)),
		 4);
	CHECK_EQ(dt_info_get(c, NULL), -EINVAL);
	dt_container_destroy(c);
}

static void test_dma_rw_bytes(void)
{
	struct dt_container *c = make(false);
	const size_t len = 4 * 4096;
	uint8_t *a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *b = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t src[6000], dst[6000];
	uint64_t words[1] = {0};
	struct dt_bitmap bm = {.pgsize = 4096, .size = 8, .data = words};
	size_t i;

	CHECK(a != MAP_FAILED && b != MAP_FAILED);
	for (i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 7 + 1);
	/* Two adjacent mappings backed by unrelated memory. */
	CHECK_EQ(dt_dma_map(c, 0x10000, 2 * 4096, (uintptr_t)a, DT_PROT_READ | DT_PROT_WRITE), 0);
	CHECK_EQ(dt_dma_map(c, 0x12000, 2 * 4096, (uintptr_t)b, DT_PROT_READ | DT_PROT_WRITE), 0);
	CHECK_EQ(dt_dirty_start(c), 0);
	/* 6000 bytes from 0x11800: the end of a's second page, then into b. */
	CHECK_EQ(dt_dma_rw(c, 0x11800, src, sizeof(src), true), 0);
	CHECK(memcmp(a + 0x1800, src, 0x800) == 0);
	CHECK(memcmp(b, src + 0x800, sizeof(src) - 0x800) == 0);
	CHECK_EQ(a[0x17ff], 0);
	CHECK_EQ(b[sizeof(src) - 0x800], 0);
	memset(dst, 0, sizeof(dst));
	CHECK_EQ(dt_dma_rw(c, 0x11800, dst, sizeof(dst), false), 0);
	CHECK(memcmp(dst, src, sizeof(src)) == 0);
	CHECK_EQ(dt_dma_rw(c, 0x11800, NULL, 1, true), -EINVAL);
	CHECK_EQ(dt_dma_rw(c, 0x11800, NULL, 0, true), 0);

	/* Pages 1 and 2 of the 4 were written (0x11800 .. 0x12f6f); reads dirty nothing. */
	CHECK_EQ(dt_get_bitmap(c, 0x10000, 4 * 4096, &bm), 0);
	CHECK_EQ(words[0], 0x6);

	/* A read needs READ, a write WRITE. */
	CHECK_EQ(dt_unmap(c, 0x12000, 2 * 4096, NULL), 0);
	CHECK_EQ(dt_dma_map(c, 0x12000, 2 * 4096, (uintptr_t)b, DT_PROT_WRITE), 0);
	CHECK_EQ(dt_dma_rw(c, 0x12000, dst, 16, false), -EPERM);
	CHECK_EQ(dt_dma_rw(c, 0x12000, src, 16, true), 0);
	dt_container_destroy(c);
	munmap(a, len);
	munmap(b, len);
}

static void test_api_errors(void)
{
	struct dt_container *c = make(false);

	CHECK_EQ(dt_dma_map(c, 0, 4096, 0, 0), -EINVAL);
	CHECK_EQ(dt_dma_map(c, 0, 4096, 0, 4), -EINVAL);
	CHECK_EQ(dt_dma_map(c, 0, 4096, 0x800, DT_PROT_READ), -EINVAL);
	CHECK_EQ(dt_dma_map(c, 0, 0x2000, UINT64_MAX - 0xfff, DT_PROT_READ), -EINVAL);
	CHECK_EQ(dt_dma_map(c, 0, 0x2000, 0x2000, DT_PROT_READ | DT_PROT_WRITE), 0);
	CHECK_EQ(dt_group_attach(c, 1, DT_GROUP_MEDIATED, 1), 0);
	CHECK_EQ(dt_pin(c, 1, 0, 1, 0), -EINVAL);
	CHECK_EQ(dt_pin(c, 1, 0, 1, 8), -EINVAL);
	CHECK_EQ(dt_pin(c, 1, 0, 2, DT_PROT_READ), 0);
	dt_container_destroy(c); /* frees the pins too (ASan checks) */
}

/* Calls of the phase @name in @p; -1 when the harvest has no such phase. */
static int64_t calls_of(const struct dt_profile *p, const char *name)
{
	unsigned int i;

	for (i = 0; i < p->nphases; i++)
		if (!strcmp(p->names[i], name))
			return (int64_t)p->calls[i];
	return -1;
}

static void test_profile(void)
{
	struct dt_container *c = make(true), *plain = make(false);
	uint64_t words[2];
	struct dt_bitmap bm = {.pgsize = 4096, .size = sizeof(words), .data = words};
	struct dt_profile p;

	CHECK_EQ(dt_profile_take(plain, &p), -EOPNOTSUPP);
	CHECK_EQ(dt_profile_take(c, NULL), -EINVAL);

	CHECK_EQ(dt_dma_map(c, 0x0, 0x3000, 0x100000, DT_PROT_READ | DT_PROT_WRITE), 0);
	CHECK_EQ(dt_dma_map(c, 0x3000, 0x46000, 0x100000, DT_PROT_READ | DT_PROT_WRITE), 0);
	CHECK_EQ(dt_group_attach(c, 1, DT_GROUP_IOMMU, 1), 0);
	CHECK_EQ(dt_dirty_start(c), 0);
	memset(words, 0, sizeof(words));
	CHECK_EQ(dt_get_bitmap(c, 0, 0x49000, &bm), 0);
	CHECK_EQ(dt_profile_take(c, &p), 0);
	/* Two mappings out of scope: both set all; only the second is shifted. */
	CHECK_EQ(p.nphases, 7);
	CHECK(!strcmp(p.names[0], "walk"));
	CHECK_EQ(calls_of(&p, "set_all"), 2);
	CHECK_EQ(calls_of(&p, "shift"), 1);
	CHECK_EQ(calls_of(&p, "leftover"), 1);
	CHECK_EQ(calls_of(&p, "copy"), 2);
	CHECK_EQ(calls_of(&p, "clear"), 2);
	CHECK_EQ(calls_of(&p, "repopulate"), 2);
	CHECK_EQ(calls_of(&p, "nosuch"), -1);
	CHECK_EQ(p.walk_nodes, 2);
	/* Taking resets. */
	CHECK_EQ(dt_profile_take(c, &p), 0);
	CHECK_EQ(calls_of(&p, "copy"), 0);
	CHECK_EQ(p.walk_nodes, 0);
	/* Off: nothing is counted and the counters cannot be taken; on again: counted. */
	CHECK_EQ(dt_profile_set(c, false), 0);
	CHECK_EQ(dt_get_bitmap(c, 0, 0x49000, &bm), 0);
	CHECK_EQ(dt_profile_take(c, &p), -EOPNOTSUPP);
	CHECK_EQ(dt_profile_set(plain, true), 0);
	memset(words, 0, sizeof(words));
	CHECK_EQ(dt_dma_map(plain, 0x0, 0x3000, 0x100000, DT_PROT_READ | DT_PROT_WRITE), 0);
	CHECK_EQ(dt_dirty_start(plain), 0);
	CHECK_EQ(dt_get_bitmap(plain, 0, 0x3000, &bm), 0);
	CHECK_EQ(dt_profile_take(plain, &p), 0);
	CHECK_EQ(calls_of(&p, "copy"), 1);
	CHECK_EQ(calls_of(&p, "shift"), 0);
	CHECK_EQ(dt_profile_set(NULL, true), -EINVAL);
	dt_container_destroy(c);
	dt_container_destroy(plain);
}

int main(void)
{
	test_create();
	test_compat();
	test_compat_kernel_rules();
	test_iova_ranges();
	test_vfio_config();
	test_null_handles();
	test_group_args();
	test_info_padding();
	test_dma_rw_bytes();
	test_api_errors();
	test_profile();
	CHECK_EXIT();
}
