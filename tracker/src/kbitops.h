/* SPDX-License-Identifier: MIT */
/*
 * kbitops.h - the bitmap primitives the kernel's type1 harvest runs on,
 * written as the kernel's lib/bitmap.c and uaccess run them: one 64-bit
 * word at a time, read-modify-write for set and clear, the left shift
 * from the top word down, copy_to_user as the string copy x86 uses
 * (`rep movsb`, the ERMS/FSRM path of copy_user_generic), and kvzalloc's
 * zeroing as clear_page does it (`rep stosb`). kbitops.c is built without
 * auto-vectorisation and without turning loops into memset/memcpy calls
 * (tracker/CMakeLists.txt), as the kernel is built without SSE.
 *
 * Only the reference harvest uses these; they are what its times mean.
 */
#ifndef DT_KBITOPS_H
#define DT_KBITOPS_H

#include <stddef.h>
#include <stdint.h>

/* Set bits [start, start+n) of @map, a word at a time (__bitmap_set). */
void kb_set(uint64_t *map, uint64_t start, uint64_t n);

/* Clear bits [start, start+n) of @map, a word at a time (__bitmap_clear). */
void kb_clear(uint64_t *map, uint64_t start, uint64_t n);

/*
 * Shift the first @nbits bits of @map left by @shift (1..63) in place,
 * from the top word down (__bitmap_shift_left with dst == src). Bits of
 * the last word above @nbits are shifted along, not masked, as there.
 */
void kb_shift_left(uint64_t *map, unsigned int shift, uint64_t nbits);

/* copy_to_user()/copy_from_user() of @bytes: the string copy the kernel uses. */
void kb_copy_user(void *dst, const void *src, size_t bytes);

/*
 * kvzalloc(): allocate @bytes and zero every byte by writing it, so that
 * the pages are faulted in here, as vmalloc's zeroed pages are at
 * allocation, and not at the first harvest. NULL when out of memory.
 */
uint64_t *kb_kvzalloc(size_t bytes);

/* kvfree() of what kb_kvzalloc(@bytes) returned; NULL is allowed. */
void kb_kvfree(uint64_t *p, size_t bytes);

#endif
