/* SPDX-License-Identifier: MIT */
/*
 * workloads/rand.h - the one seeded generator of the project (xoshiro256**
 * seeded with splitmix64): small, fast, the same sequence on every machine,
 * so the same --seed gives the same pages and the same layouts.
 */
#ifndef WORKLOADS_RAND_H
#define WORKLOADS_RAND_H

#include <stdint.h>

struct ds_rand {
	uint64_t s[4];
};

static inline uint64_t ds_rand_splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline void ds_rand_seed(struct ds_rand *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = ds_rand_splitmix(&seed);
}

static inline uint64_t ds_rand_next(struct ds_rand *r)
{
	uint64_t *s = r->s, result = ((s[1] * 5) << 7 | (s[1] * 5) >> 57) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = s[3] << 45 | s[3] >> 19;
	return result;
}

/* Uniform in [0, n), n > 0: Lemire's multiply-shift, no division and no modulo bias to speak of. */
static inline uint64_t ds_rand_below(struct ds_rand *r, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)ds_rand_next(r) * n) >> 64);
}

#endif
