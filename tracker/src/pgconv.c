// SPDX-License-Identifier: MIT
/*
 * pgconv.c - byte-addressed user bitmaps and the exact page-size
 * conversion of the second and third modes (pgconv.h).
 *
 * Builds with DT_MUTANT_CONV_* defined are broken on purpose, as
 * libvfio-user's conversion once was: tests/test_pgconv.c must catch them.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "pgconv.h"

void pgconv_set_bits(uint8_t *map, uint64_t first, uint64_t n)
{
	uint64_t end = first + n;

	/* The head and tail bits one by one, the whole bytes between at once. */
	while (first < end && first % 8) {
		map[first / 8] |= (uint8_t)(1u << (first % 8));
		first++;
	}
	if (end - first >= 8) {
		memset(map + first / 8, 0xff, (end - first) / 8);
		first += (end - first) / 8 * 8;
	}
	while (first < end) {
		map[first / 8] |= (uint8_t)(1u << (first % 8));
		first++;
	}
}

void pgconv_report(uint8_t *user, uint64_t iova, uint64_t last, unsigned int pshift,
		   uint64_t unit, uint64_t unit_last)
{
	uint64_t lo, hi, first, end, unit_minus_one = unit_last - unit, page = 1ull << pshift;

	if (unit > last || unit_last < iova)
		return;
	lo = unit > iova ? unit : iova;
	hi = unit_last < last ? unit_last : last;
	first = (lo - iova) >> pshift;
	/* No overflow: pshift >= 12, so the index of the last bit is below 2^52. */
	end = ((hi - iova) >> pshift) + 1;
	if (unit_minus_one >= page) {
		/* A unit larger than the user's page: its bit repeated over [first, end). */
#ifndef DT_MUTANT_CONV_EXTEND_U8
		pgconv_set_bits(user, first, end - first);
#else
		/*
		 * libvfio-user's dirty_page_get_extend(): the user's bit
		 * position in a byte. It wraps at 256 and never reaches an end
		 * at or past it: the request hangs once its bitmap reaches 32
		 * bytes.
		 */
		for (uint8_t b = (uint8_t)first; b < end; b++)
			user[b / 8] |= (uint8_t)(1u << (b % 8));
#endif
	} else if (unit_minus_one + 1 < page) {
		/*
		 * A smaller unit lies inside one user page (both are aligned
		 * powers of two): its bit ORed into that page's.
		 */
#ifndef DT_MUTANT_CONV_COMBINE_U8
		user[first / 8] |= (uint8_t)(1u << (first % 8));
#else
		/*
		 * libvfio-user's dirty_page_get_combine(): the position in a
		 * byte, so every bit past the 256th lands on the first 256
		 * (and is lost where it belonged).
		 */
		uint8_t b = (uint8_t)first;

		user[b / 8] |= (uint8_t)(1u << (b % 8));
#endif
	} else {
		/* The same size: one bit for one unit. */
		user[first / 8] |= (uint8_t)(1u << (first % 8));
	}
}

/* Below this, calloc (the sanitizers check its bounds); above, anonymous memory. */
#define ZALLOC_MMAP_BYTES (16u << 20)

void *pgconv_zalloc(size_t bytes)
{
	void *p;

	if (!bytes)
		return NULL;
	if (bytes < ZALLOC_MMAP_BYTES)
		return calloc(1, bytes);
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		 -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void pgconv_free(void *p, size_t bytes)
{
	if (!p)
		return;
	if (bytes < ZALLOC_MMAP_BYTES)
		free(p);
	else
		munmap(p, bytes);
}

/* Bits [lo, 63] of a word, and bits [0, hi]. */
static uint64_t from_bit(unsigned int lo)
{
	return ~0ull << lo;
}

static uint64_t to_bit(unsigned int hi)
{
	return hi == 63 ? ~0ull : (1ull << (hi + 1)) - 1;
}

void pgconv_word_set(uint64_t *map, uint64_t first, uint64_t last)
{
	uint64_t w = first / 64, wl = last / 64;

	if (w == wl) {
		map[w] |= from_bit(first % 64) & to_bit(last % 64);
		return;
	}
	map[w++] |= from_bit(first % 64);
	while (w < wl)
		map[w++] = ~0ull;
	map[wl] |= to_bit(last % 64);
}

void pgconv_word_clear(uint64_t *map, uint64_t first, uint64_t last)
{
	uint64_t w = first / 64, wl = last / 64;

	if (w == wl) {
		map[w] &= ~(from_bit(first % 64) & to_bit(last % 64));
		return;
	}
	map[w++] &= ~from_bit(first % 64);
	while (w < wl)
		map[w++] = 0;
	map[wl] &= ~to_bit(last % 64);
}

void pgconv_word_each(const uint64_t *map, uint64_t first, uint64_t last,
		      void (*fn)(void *arg, uint64_t bit), void *arg)
{
	uint64_t w, wl = last / 64, word;

	for (w = first / 64; w <= wl; w++) {
		word = map[w];
		if (!word)
			continue;
		if (w == first / 64)
			word &= from_bit(first % 64);
		if (w == wl)
			word &= to_bit(last % 64);
		while (word) {
			fn(arg, w * 64 + (uint64_t)__builtin_ctzll(word));
			word &= word - 1;
		}
	}
}
