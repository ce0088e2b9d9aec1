// SPDX-License-Identifier: MIT
/* wl.c - the working set, the page pickers and the checks the workloads share. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wl.h"

void wl_rand_seed(struct ds_rand *r, uint64_t seed, enum wl_stream stream, unsigned int thread)
{
	/* An odd multiplier keeps distinct (stream, thread) pairs on distinct starts. */
	ds_rand_seed(r, seed ^ (((uint64_t)stream << 32 | thread) * 0xd1b54a32d192ed03ull));
}

static bool is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

int wl_check_device(const struct ds_device *dev)
{
	if (!dev || !dev->c || !is_pow2(dev->pgsize) || !dev->mappings || !dev->nmappings)
		return -EINVAL;
	return 0;
}

int wl_check_pattern(const struct ds_workload_params *p)
{
	if (!p->threads || !p->hot_percent || p->hot_percent > 100 || p->hot_share > 100)
		return -EINVAL;
	if (p->pattern != DS_PATTERN_RANDOM && p->pattern != DS_PATTERN_SEQUENTIAL &&
	    p->pattern != DS_PATTERN_HOTCOLD && p->pattern != DS_PATTERN_STRIDED)
		return -EINVAL;
	if (p->pattern == DS_PATTERN_STRIDED && !p->stride)
		return -EINVAL;
	if (!p->pages && !p->step_ns)
		return -EINVAL;
	return 0;
}

/* Is @m page aligned, non-empty, inside the window and after @end (the previous one's end)? */
static bool mapping_ok(const struct ds_device *dev, const struct ds_mapping *m, uint64_t end)
{
	uint64_t mask = dev->pgsize - 1, off = m->iova - dev->iova_base;

	return m->size && !((m->iova | m->size) & mask) && m->iova >= end &&
	       m->iova >= dev->iova_base && off <= dev->iova_size &&
	       m->size <= dev->iova_size - off;
}

static int set_reserve(struct wl_set *s, size_t n)
{
	uint64_t *cum;

	if (n + 1 <= s->cap)
		return 0;
	cum = realloc(s->cum, (n + 1) * sizeof(*cum));
	if (!cum)
		return -ENOMEM;
	s->cum = cum;
	s->cap = n + 1;
	return 0;
}

int wl_set_refresh(struct wl_set *s, const struct ds_device *dev,
		   const struct ds_workload_params *p)
{
	uint64_t end = 0, total = 0;
	unsigned int shift;
	size_t i;
	int ret;

	if (!dev->mappings || !dev->nmappings || !is_pow2(dev->pgsize))
		return -EINVAL;
	shift = (unsigned int)__builtin_ctzll(dev->pgsize);
	ret = set_reserve(s, dev->nmappings);
	if (ret < 0)
		return ret;
	for (i = 0; i < dev->nmappings; i++) {
		if (!mapping_ok(dev, &dev->mappings[i], end))
			return -EINVAL;
		end = dev->mappings[i].iova + dev->mappings[i].size;
		s->cum[i] = total;
		total += dev->mappings[i].size >> shift;
	}
	s->cum[i] = total;
	s->m = dev->mappings;
	s->n = dev->nmappings;
	s->total = total;
	s->pgsize = dev->pgsize;
	s->pages = p->working_set && p->working_set < total ? p->working_set : total;
	s->hot = s->pages * p->hot_percent / 100;
	if (!s->hot)
		s->hot = 1;
	if (s->hint >= s->n)
		s->hint = 0;
	return 0;
}

void wl_set_release(struct wl_set *s)
{
	free(s->cum);
	memset(s, 0, sizeof(*s));
}

/* The mapping holding mapped page @x: the last i with cum[i] <= x. */
static size_t set_find(struct wl_set *s, uint64_t x)
{
	size_t lo = 0, hi = s->n, mid, i = s->hint;

	if (s->cum[i] <= x && x < s->cum[i + 1])
		return i;
	if (i + 2 <= s->n && s->cum[i + 1] <= x && x < s->cum[i + 2])
		return s->hint = i + 1;
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (s->cum[mid] <= x)
			lo = mid;
		else
			hi = mid;
	}
	return s->hint = lo;
}

uint64_t wl_set_iova(struct wl_set *s, uint64_t k)
{
	uint64_t x = s->pages == s->total ? k
					  : (uint64_t)((unsigned __int128)k * s->total / s->pages);
	size_t i = set_find(s, x);

	return s->m[i].iova + (x - s->cum[i]) * s->pgsize;
}

void wl_picker_init(struct wl_picker *pk, const struct ds_workload_params *p,
		    enum wl_stream stream, unsigned int thread, uint64_t ws_pages)
{
	wl_rand_seed(&pk->r, p->seed, stream, thread);
	/* Threads walk apart, so that they do not all pin or write the same pages. */
	pk->cursor = (uint64_t)((unsigned __int128)ws_pages * thread / p->threads);
}

uint64_t wl_pick(struct wl_picker *pk, const struct wl_set *s, const struct ds_workload_params *p)
{
	uint64_t k;

	switch (p->pattern) {
	case DS_PATTERN_SEQUENTIAL:
		/* The working set may have shrunk since the last step (vIOMMU churn). */
		if (pk->cursor >= s->pages)
			pk->cursor %= s->pages;
		k = pk->cursor++;
		if (pk->cursor == s->pages)
			pk->cursor = 0;
		return k;
	case DS_PATTERN_STRIDED:
		/*
		 * A lap visits every stride-th page; the next starts a page
		 * further on, so that every page comes round in time.
		 */
		if (pk->cursor >= s->pages)
			pk->cursor %= s->pages;
		k = pk->cursor;
		pk->cursor += p->stride;
		if (pk->cursor >= s->pages)
			pk->cursor = (pk->cursor % s->pages + 1) % s->pages;
		return k;
	case DS_PATTERN_HOTCOLD:
		if (ds_rand_below(&pk->r, 100) < p->hot_share || s->hot == s->pages)
			return ds_rand_below(&pk->r, s->hot);
		return s->hot + ds_rand_below(&pk->r, s->pages - s->hot);
	case DS_PATTERN_RANDOM:
	default:
		return ds_rand_below(&pk->r, s->pages);
	}
}

int wl_for_pages(struct wl_set *s, struct wl_picker *pk, const struct ds_workload_params *p,
		 unsigned int t, uint64_t t0, unsigned int clock_every,
		 int (*fn)(void *arg, uint64_t iova), void *arg)
{
	uint64_t i, n = wl_share(p, t);
	unsigned int j;
	int ret;

	if (!p->step_ns) {
		for (i = 0; i < n; i++) {
			/* A load every 256 pages bounds how long Ctrl-C waits for a huge step. */
			if (p->stop && !(i % 256) && *p->stop)
				return 0;
			ret = fn(arg, wl_set_iova(s, wl_pick(pk, s, p)));
			if (ret < 0)
				return ret;
		}
		return 0;
	}
	do {
		for (j = 0; j < clock_every; j++) {
			ret = fn(arg, wl_set_iova(s, wl_pick(pk, s, p)));
			if (ret < 0)
				return ret;
		}
	} while (wl_now_ns() - t0 < p->step_ns && !(p->stop && *p->stop));
	return 0;
}

int wl_touch(struct wl_set *s, const struct ds_device *dev, const struct ds_workload_params *p)
{
	uint64_t k;
	int ret = wl_set_refresh(s, dev, p);

	if (ret < 0)
		return ret;
	/* A write, not a read: a read of an untouched anonymous page maps the zero page. */
	for (k = 0; k < s->pages; k++)
		*(volatile uint8_t *)(dev->mem + (wl_set_iova(s, k) - dev->iova_base)) = 0;
	return 0;
}

void *wl_alloc_threads(unsigned int n, size_t size)
{
	/* The thread structs align to 64 bytes, so size is a multiple of it. */
	void *p = aligned_alloc(64, (size_t)n * size);

	if (p)
		memset(p, 0, (size_t)n * size);
	return p;
}
