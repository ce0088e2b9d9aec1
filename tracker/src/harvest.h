/* SPDX-License-Identifier: MIT */
/*
 * harvest.h - the implementations of the model's dirty tracking. A harvest
 * owns the dirty state of every mapping (m->track): it allocates it at
 * START (or at MAP while tracking), marks pages in it, reports it to the
 * user and frees it. Every implementation must give the naive model's
 * bits; they differ in cost. Every op runs under the model's lock, after
 * the model checked the request: none can fail but track().
 */
#ifndef DT_HARVEST_H
#define DT_HARVEST_H

#include <stdbool.h>
#include <stdint.h>

struct model;
struct model_mapping;

struct dt_harvest_ops {
	const char *name;
	/* Names of the profiler's phases, in the order they run; NULL-terminated. */
	const char *const *phases;
	/*
	 * Give @m its dirty state, its pinned pages set (START, or MAP while
	 * tracking). Returns 0, -EINVAL (more than INT_MAX pages), -ENOMEM;
	 * on failure @m has no dirty state.
	 */
	int (*track)(struct model *md, struct model_mapping *m);
	/* Free @m's dirty state (STOP, unmap, destroy); nothing when it has none. */
	void (*untrack)(struct model *md, struct model_mapping *m);
	/* Mark pages [first, first+n) of @m dirty (pin, DMA_RW, a device that left). */
	void (*mark)(struct model *md, struct model_mapping *m, uint64_t first, uint64_t n);
	/*
	 * NULL, or the same without the model's lock, racing with the other
	 * ops: a mark made during a get() is reported by it or by the next one,
	 * never lost. A harvest that has it lets DMA_RW run without the lock
	 * (dt_container_config.concurrent).
	 */
	void (*mark_atomic)(struct model_mapping *m, uint64_t first, uint64_t n);
	/*
	 * Page @page of @m became pinned (@pinned) or unpinned; tracking on or
	 * off. May be NULL. A harvest that has it reports pinned pages from
	 * what it keeps here: a pin then calls no mark().
	 */
	void (*pin_changed)(struct model *md, struct model_mapping *m, uint64_t page, bool pinned);
	/*
	 * GET_BITMAP of [iova, last], checked: write each mapping's bits into
	 * @user (zero-filled by the caller) at bit (m->iova - iova) / pgsize,
	 * then leave its dirty state holding exactly its pinned pages.
	 */
	void (*get)(struct model *md, uint64_t iova, uint64_t last, uint64_t *user);
	/* UNMAP with bitmap: write @m's bits into @user at @bit_offset; @m is freed next. */
	void (*unmap_report)(struct model *md, struct model_mapping *m, uint64_t *user,
			     uint64_t bit_offset);
	/*
	 * NULL, or (--compat efault_on_copy) what the kernel leaves in @m's
	 * bitmap when reporting it at @bit_offset into a bad pointer fails:
	 * the mapping marked when out of scope, its bits shifted in place.
	 */
	void (*report_fault)(struct model *md, struct model_mapping *m, uint64_t bit_offset);
};

extern const struct dt_harvest_ops dt_harvest_reference;
extern const struct dt_harvest_ops dt_harvest_fast;

/* The harvest implementations by name, NULL-terminated. */
extern const struct dt_harvest_ops *const dt_harvests[];

#endif
