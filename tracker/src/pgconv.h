/* SPDX-License-Identifier: MIT */
/*
 * pgconv.h - the user's side of the second and third modes: bitmaps whose
 * bit n is bit n % 8 of byte n / 8 (the kernel's iova_bitmap, which may
 * start at any byte), and the page-size conversion from what a tracker
 * keeps (one bit per IO page, or per tracking page of a device's log) to
 * what the user asked for (one bit per page_size page).
 *
 * The conversion is exact: a tracking unit larger than the user's page
 * sets every user bit it overlaps (repeated), a smaller one the one bit
 * that holds it (ORed with its neighbours'). libvfio-user once kept the
 * user's bit position of this conversion in a byte: it hung from the 256th
 * bit when repeating and dropped every bit past the 256th when ORing. The
 * DT_MUTANT_CONV_* builds put those back (tests/CMakeLists.txt).
 *
 * Also here: the zeroed, lazily committed memory that those bitmaps live
 * in on the model's side (a 1 TiB mapping of 4 KiB IO pages is 32 MiB of
 * bits, most of them never written).
 */
#ifndef DT_PGCONV_H
#define DT_PGCONV_H

#include <stddef.h>
#include <stdint.h>

/* Set bits [first, first + n) of the byte-addressed bitmap @map. */
void pgconv_set_bits(uint8_t *map, uint64_t first, uint64_t n);

/*
 * Report the dirty unit whose bytes are [unit, unit_last] into @user, the
 * bitmap of a request [iova, last] at 2^@pshift-byte pages (bit b stands
 * for the bytes from iova + b * 2^pshift): only the part inside the
 * request counts. Nothing when they do not overlap.
 */
void pgconv_report(uint8_t *user, uint64_t iova, uint64_t last, unsigned int pshift,
		   uint64_t unit, uint64_t unit_last);

/* Zeroed memory of @bytes, committed only when written; NULL when there is none. */
void *pgconv_zalloc(size_t bytes);
void pgconv_free(void *p, size_t bytes);

/*
 * Word bitmaps of the trackers (bit i in word i / 64): set or clear
 * [first, last], and call @fn for every set bit of [first, last] in
 * ascending order (skipping clean words, so that the cost follows the
 * dirty bits and the words, not the bits).
 */
void pgconv_word_set(uint64_t *map, uint64_t first, uint64_t last);
void pgconv_word_clear(uint64_t *map, uint64_t first, uint64_t last);
void pgconv_word_each(const uint64_t *map, uint64_t first, uint64_t last,
		      void (*fn)(void *arg, uint64_t bit), void *arg);

#endif
