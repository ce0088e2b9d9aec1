/* SPDX-License-Identifier: MIT */
/* bitops.h - bit ranges in arrays of 64-bit words, bit 0 the lowest of word 0. */
#ifndef DT_BITOPS_H
#define DT_BITOPS_H

#include <stdint.h>
#include <string.h>

static inline void bit_set(uint64_t *w, uint64_t bit)
{
	w[bit / 64] |= 1ull << (bit % 64);
}

/* Set bits [start, start+n). */
static inline void bits_set(uint64_t *w, uint64_t start, uint64_t n)
{
	uint64_t first = start / 64, last, end = start + n;

	if (!n)
		return;
	last = (end - 1) / 64;
	if (first == last) {
		w[first] |= (~0ull >> (64 - n)) << (start % 64);
		return;
	}
	w[first] |= ~0ull << (start % 64);
	if (last > first + 1)
		memset(&w[first + 1], 0xff, (last - first - 1) * 8);
	w[last] |= ~0ull >> (63 - (end - 1) % 64);
}

/*
 * Shift the first @nwords words of @w left by @shift (1..63) bits, in place,
 * a word at a time as the kernel's __bitmap_shift_left does: nothing above
 * the last word is masked.
 */
static inline void bits_shift_left(uint64_t *w, unsigned int shift, uint64_t nwords)
{
	uint64_t i;

	for (i = nwords - 1; i > 0; i--)
		w[i] = (w[i] << shift) | (w[i - 1] >> (64 - shift));
	w[0] <<= shift;
}

#endif
