// SPDX-License-Identifier: MIT
/* wire.c - the page checksum (wire.h). */
#include <string.h>

#include "wire.h"

#define K1 0x9e3779b97f4a7c15ull
#define K2 0xc2b2ae3d27d4eb4full

static inline uint64_t rotl(uint64_t x, unsigned int r)
{
	return x << r | x >> (64 - r);
}

uint64_t ds_page_sum(const void *p, size_t len)
{
	const unsigned char *b = p;
	uint64_t h = K2 ^ len, w;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&w, b + i, 8);
		/* Each step is a bijection of h for a fixed w, and of w for a fixed h. */
		h = rotl(h ^ (w * K1), 31) * K2;
	}
	if (i < len) {
		/* The tail, zero-padded to a word: the length mixed in first tells it apart. */
		w = 0;
		memcpy(&w, b + i, len - i);
		h = rotl(h ^ (w * K1), 31) * K2;
	}
	/* A final avalanche, so that nearby inputs do not give nearby sums. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}
