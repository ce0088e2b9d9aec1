// SPDX-License-Identifier: MIT
/*
 * test_enomem.c - every allocation the tracker makes, failed in turn: the
 * call must answer -ENOMEM and change nothing, and nothing may leak (run it
 * under AddressSanitizer). The allocator is wrapped at link time
 * (-Wl,--wrap=malloc,...), so the library's own calls are the ones failed.
 *
 * "Changes nothing" is checked by running the same sequence twice: once
 * with the failed call, once without it; every later result and bitmap
 * must be the same.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <dirtytrack/dirtytrack.h>

#include "check.h"

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);

/* The test is single-threaded: a countdown to the allocation that fails. */
static long fail_in; /* 0: never; n: the n-th allocation from now fails */
static long failed;

static int should_fail(void)
{
	if (fail_in > 0 && --fail_in == 0) {
		failed++;
		return 1;
	}
	return 0;
}

void *__wrap_malloc(size_t size)
{
	return should_fail() ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return should_fail() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
	return should_fail() ? NULL : __real_realloc(p, size);
}

#define NOPS 12
#define RESULTS 64

struct outcome {
	int ret[NOPS];
	uint64_t bits[3][4]; /* the bitmaps of the three harvests */
};

static uint8_t *mem;

/* Op @k of the sequence; @fail arms the allocator first. */
static int op(struct dt_container *c, int k, struct outcome *o)
{
	struct dt_bitmap bm = {.pgsize = 4096, .size = sizeof(o->bits[0])};
	char buf[10] = "ten bytes";
	uint64_t *bits = NULL;

	switch (k) {
	case 0:
		return dt_group_attach(c, 1, DT_GROUP_MEDIATED, 1);
	case 1:
		return dt_dma_map(c, 0x0, 8 * 4096, (uintptr_t)mem, DT_PROT_READ | DT_PROT_WRITE);
	case 2:
		return dt_dma_map(c, 0x8000, 70 * 4096, (uintptr_t)mem, DT_PROT_READ | DT_PROT_WRITE);
	case 3:
		return dt_pin(c, 1, 0x1000, 3, DT_PROT_WRITE);
	case 4:
		return dt_dirty_start(c);
	case 5: /* while tracking: the mapping and its bitmap */
		return dt_dma_map(c, 0x100000, 5 * 4096, (uintptr_t)mem, DT_PROT_READ | DT_PROT_WRITE);
	case 6:
		return dt_pin(c, 1, 0x100000, 2, DT_PROT_WRITE);
	case 7:
		return dt_group_attach(c, 2, DT_GROUP_MEDIATED, 1);
	case 8:
		return dt_dma_rw(c, 0x1ffa, buf, sizeof(buf), true);
	case 9:
		bits = o->bits[0];
		bm.data = bits;
		return dt_get_bitmap(c, 0x0, 0x4e000, &bm);
	case 10:
		bits = o->bits[1];
		bm.data = bits;
		return dt_unmap_bitmap(c, 0x8000, 70 * 4096, &bm, NULL);
	case 11:
		bits = o->bits[2];
		bm.data = bits;
		return dt_get_bitmap(c, 0x100000, 0x5000, &bm);
	}
	return -EINVAL;
}

/* Run the sequence; op @k with its @n-th allocation failed, or skipped when @skip. */
static int run(int k, long n, bool skip, struct outcome *o)
{
	struct dt_container_config cfg;
	struct dt_container *c;
	int i, ret = 0;

	memset(o, 0, sizeof(*o));
	dt_container_config_init(&cfg);
	if (dt_container_create(&cfg, &c) < 0)
		return -1;
	for (i = 0; i < NOPS; i++) {
		if (i == k && skip) {
			o->ret[i] = -ENOMEM;
			continue;
		}
		if (i == k)
			fail_in = n;
		o->ret[i] = op(c, i, o);
		if (i == k) {
			ret = fail_in == 0 ? 1 : 0; /* 1: the n-th allocation happened and failed */
			fail_in = 0;
		}
	}
	dt_container_destroy(c);
	return ret;
}

int main(void)
{
	struct outcome with, without;
	long n, cases = 0;
	int k, i, fired;

	mem = mmap(NULL, 128 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(mem != MAP_FAILED);

	/* Creating a container: each allocation it makes, failed. */
	for (n = 1;; n++) {
		struct dt_container_config cfg;
		struct dt_container *c = NULL;
		int ret;

		dt_container_config_init(&cfg);
		fail_in = n;
		ret = dt_container_create(&cfg, &c);
		fired = fail_in == 0;
		fail_in = 0;
		if (!fired) {
			CHECK_EQ(ret, 0);
			dt_container_destroy(c);
			break;
		}
		CHECK_EQ(ret, -ENOMEM);
		cases++;
	}

	for (k = 0; k < NOPS; k++) {
		for (n = 1;; n++) {
			fired = run(k, n, false, &with);
			if (fired < 0) {
				CHECK(fired >= 0);
				break;
			}
			if (!fired)
				break; /* op k makes fewer than n allocations */
			cases++;
			CHECK_EQ(with.ret[k], -ENOMEM);
			run(k, 0, true, &without);
			for (i = 0; i < NOPS; i++)
				if (with.ret[i] != without.ret[i]) {
					fprintf(stderr, "op %d failing allocation %ld: op %d gave %d, %d without\n",
						k, n, i, with.ret[i], without.ret[i]);
					CHECK(with.ret[i] == without.ret[i]);
				}
			CHECK(memcmp(with.bits, without.bits, sizeof(with.bits)) == 0);
		}
	}
	/* The sequence allocates at least: create, 2 groups, 3 maps, pins, 3 bitmaps. */
	CHECK(cases >= 10);
	CHECK_EQ(failed, cases);
	printf("enomem: %ld allocations failed one at a time, each -ENOMEM and no change\n", cases);
	munmap(mem, 128 * 4096);
	CHECK_EXIT();
}
