// SPDX-License-Identifier: MIT
/*
 * kbitops.c - the kernel's bitmap primitives, as it runs them (kbitops.h).
 * Built with -fno-tree-vectorize -fno-tree-loop-distribute-patterns: these
 * loops must stay scalar word loops, as in a kernel built without SSE.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "kbitops.h"
#include "sanitized.h"

void kb_set(uint64_t *map, uint64_t start, uint64_t n)
{
	uint64_t *p = map + start / 64;
	unsigned int off = start % 64;
	uint64_t room = 64 - off, mask = ~0ull << off;

	while (n >= room) {
		*p++ |= mask;
		n -= room;
		room = 64;
		mask = ~0ull;
		off = 0;
	}
	if (n)
		*p |= mask & (~0ull >> (64 - off - n));
}

void kb_clear(uint64_t *map, uint64_t start, uint64_t n)
{
	uint64_t *p = map + start / 64;
	unsigned int off = start % 64;
	uint64_t room = 64 - off, mask = ~0ull << off;

	while (n >= room) {
		*p++ &= ~mask;
		n -= room;
		room = 64;
		mask = ~0ull;
		off = 0;
	}
	if (n)
		*p &= ~(mask & (~0ull >> (64 - off - n)));
}

void kb_shift_left(uint64_t *map, unsigned int shift, uint64_t nbits)
{
	uint64_t k = nbits / 64 + (nbits % 64 != 0);

	/* Top down: word k-1 is read for word k before it is itself shifted. */
	while (k-- > 1)
		map[k] = map[k] << shift | map[k - 1] >> (64 - shift);
	map[0] <<= shift;
}

/*
 * Under AddressSanitizer the string instructions would go unchecked: use
 * the library calls there, which it checks; timings of sanitizer builds
 * mean nothing anyway.
 */
#if defined(__x86_64__) && !DT_SANITIZED
void kb_copy_user(void *dst, const void *src, size_t bytes)
{
	__asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(bytes) : : "memory");
}

static void zero(void *dst, size_t bytes)
{
	__asm__ volatile("rep stosb" : "+D"(dst), "+c"(bytes) : "a"(0) : "memory");
}
#else
void kb_copy_user(void *dst, const void *src, size_t bytes)
{
	memcpy(dst, src, bytes);
}

static void zero(void *dst, size_t bytes)
{
	memset(dst, 0, bytes);
	/* malloc + memset would become calloc, whose fresh pages nobody touches. */
	__asm__ volatile("" : : "r"(dst) : "memory");
}
#endif

/*
 * kvmalloc serves what kmalloc can (up to KMALLOC_MAX_SIZE, 4 MiB on x86)
 * from the slab and the rest from vmalloc, fresh pages mapped for the
 * caller. Here: malloc, and an anonymous mapping of its own above that
 * size, so that START and STOP map and unmap pages every time, as
 * vmalloc/vfree do, instead of whatever glibc's mmap threshold decides.
 */
#define KMALLOC_MAX (4ull << 20)

uint64_t *kb_kvzalloc(size_t bytes)
{
	uint64_t *p;

	if (bytes >= KMALLOC_MAX) {
		p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return NULL;
	} else {
		p = malloc(bytes);
		if (!p)
			return NULL;
	}
	zero(p, bytes);
	return p;
}

void kb_kvfree(uint64_t *p, size_t bytes)
{
	if (!p)
		return;
	if (bytes >= KMALLOC_MAX)
		munmap(p, bytes);
	else
		free(p);
}
