// SPDX-License-Identifier: MIT
/*
 * uffd_cost - what real write tracking costs on this host, through the
 * public API: START (register + write-protect, page tables included), the
 * writers' side (a write to a protected page faults once; the kernel
 * resolves it), a harvest (PAGEMAP_SCAN + re-protect, one merged
 * GET_BITMAP), a harvest of a clean device (the walk alone) and STOP.
 * docs/uffd.md quotes its output.
 *
 * Usage: uffd_cost [SIZE [STRIDE [ROUNDS]]]  (defaults 1G 7 5)
 *   SIZE with K/M/G suffix: one mapping of that much anonymous
 *   MAP_NORESERVE memory; STRIDE: every STRIDE-th page is written each
 *   round (populated before START, so that a round measures WP faults, not
 *   first touches). Medians over ROUNDS. Exit 77 without uffd tracking.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <dirtytrack/dirtytrack.h>

#include "uffd_test.h"

#define PG 4096ull
#define IOVA (1ull << 32)
#define MAX_ROUNDS 64

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t parse_size(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);

	switch (*end) {
	case 'K':
		return v << 10;
	case 'M':
		return v << 20;
	case 'G':
		return v << 30;
	default:
		return v;
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double median_ms(uint64_t *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return (double)v[n / 2] / 1e6;
}

int main(int argc, char **argv)
{
	uint64_t size = argc > 1 ? parse_size(argv[1]) : 1ull << 30;
	uint64_t stride = argc > 2 ? strtoull(argv[2], NULL, 0) : 7;
	unsigned int rounds = argc > 3 ? (unsigned int)atoi(argv[3]) : 5, r;
	struct dt_container *c = uffd_container_or_skip("uffd_cost", PG);
	uint64_t npages = size / PG, written = 0, bytes, p, t0, t1, dirty = 0, k;
	uint64_t touch_ns, plain_ns, start_ns, stop_ns, write_ns[MAX_ROUNDS], get_ns[MAX_ROUNDS], clean_ns[MAX_ROUNDS];
	struct dt_bitmap bm;
	uint64_t *bits;
	volatile uint8_t *mem;
	size_t len;
	void *base;

	if (!npages || !stride || rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "usage: uffd_cost [SIZE [STRIDE [ROUNDS<=%d]]]\n", MAX_ROUNDS);
		return 2;
	}
	bytes = dt_bitmap_bytes(npages);
	bits = calloc(1, bytes);
	mem = uffd_test_mem(size, PG, &base, &len);
	if (!bits)
		return 1;
	bm = (struct dt_bitmap){.pgsize = PG, .size = bytes, .data = bits};
	/* Populated now (a first touch: the fault any anonymous page costs once, for scale). */
	t0 = now_ns();
	for (p = 0; p < npages; p += stride) {
		mem[p * PG] = 1;
		written++;
	}
	touch_ns = now_ns() - t0;
	/* Written again untracked: the cost of a write with no fault. */
	t0 = now_ns();
	for (p = 0; p < npages; p += stride)
		mem[p * PG + 8] = 1;
	plain_ns = now_ns() - t0;
	if (dt_dma_map(c, IOVA, size, (uintptr_t)mem, DT_PROT_READ | DT_PROT_WRITE) < 0)
		return 1;
	t0 = now_ns();
	if (dt_dirty_start(c) < 0)
		return 1;
	start_ns = now_ns() - t0;
	for (r = 0; r < rounds; r++) {
		t0 = now_ns();
		for (p = 0; p < npages; p += stride)
			mem[p * PG + 8] = (uint8_t)(r + 2);
		t1 = now_ns();
		write_ns[r] = t1 - t0;
		memset(bits, 0, bytes);
		t0 = now_ns();
		if (dt_get_bitmap(c, IOVA, size, &bm) < 0)
			return 1;
		get_ns[r] = now_ns() - t0;
		for (k = 0, dirty = 0; k < bytes / 8; k++)
			dirty += (uint64_t)__builtin_popcountll(bits[k]);
		if (dirty != written) {
			fprintf(stderr, "uffd_cost: round %u reported %llu pages, %llu written\n", r,
				(unsigned long long)dirty, (unsigned long long)written);
			return 1;
		}
		memset(bits, 0, bytes);
		t0 = now_ns();
		if (dt_get_bitmap(c, IOVA, size, &bm) < 0)
			return 1;
		clean_ns[r] = now_ns() - t0;
	}
	t0 = now_ns();
	dt_dirty_stop(c);
	stop_ns = now_ns() - t0;
	printf("size %llu MiB, %llu pages written per round (every %llu), %u rounds\n",
	       (unsigned long long)(size >> 20), (unsigned long long)written,
	       (unsigned long long)stride, rounds);
	printf("  first touch, per page       %10.2f us  (any anonymous page, untracked)\n",
	       (double)touch_ns / 1e3 / (double)written);
	printf("  write, untracked, per page  %10.2f us\n", (double)plain_ns / 1e3 / (double)written);
	printf("  start (register + protect)  %10.2f ms\n", (double)start_ns / 1e6);
	printf("  write, tracked, per page    %10.2f us  (one write-protect fault)\n",
	       median_ms(write_ns, rounds) * 1e3 / (double)written);
	printf("  get_bitmap (scan+protect)   %10.2f ms\n", median_ms(get_ns, rounds));
	printf("  get_bitmap, clean           %10.2f ms\n", median_ms(clean_ns, rounds));
	printf("  stop (unregister)           %10.2f ms\n", (double)stop_ns / 1e6);
	dt_container_destroy(c);
	munmap(base, len);
	free(bits);
	return 0;
}
