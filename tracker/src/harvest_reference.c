// SPDX-License-Identifier: MIT
/*
 * harvest_reference.c - the kernel's type1 dirty tracking, step by step and
 * at the kernel's cost, with the bits made right.
 *
 * It follows drivers/vfio/vfio_iommu_type1.c as of Linux 6.1-6.12 (the
 * documented behaviour, in our own code):
 * - START allocates each mapping's bitmap with kvzalloc (one bit a page in
 *   whole words, plus a spare word for the in-place shift) and sets its
 *   pinned pages, walking the mappings from the first.
 * - GET_BITMAP, once the range is validated with two look-ups, walks the
 *   mapping tree from its first node (rb_first), skipping every mapping
 *   below the request: a GET costs O(mappings below it) before any bitmap
 *   work, and a VMM that asks mapping by mapping pays O(N^2). Then per
 *   mapping: mark everything when the container is out of pinned-page
 *   scope, shift the bitmap in place to the user's bit offset, read the
 *   user's first word back and OR it in, copy the words out (copy_to_user),
 *   clear the bitmap and walk the pinned pages to set them again.
 * - UNMAP with bitmap finds its first mapping with a tree descent (O(log n))
 *   and per mapping does the report alone (set-all, shift, leftover, copy):
 *   no clear, no repopulate, the bitmap is freed with the mapping.
 * The bit primitives are kbitops.c: scalar word loops, as the kernel's.
 *
 * What the model does not pay: the ioctl entry and the copy of the request
 * (a few hundred ns a call), STAC/CLAC around each user access, and the
 * iommu->lock being a mutex that may sleep.
 *
 * One deliberate difference: the kernel clears only the mapping's own bits
 * after a shifted report, so the bits shifted past its end survive into
 * later reports (up to 63 stale pages). Here the whole shifted extent is
 * cleared (the same cost); `compat` mode (compat.c) reproduces the kernel.
 *
 * Builds with DT_MUTANT_* defined are broken on purpose: the oracle test
 * must catch each of them (tests/CMakeLists.txt).
 */
#include <errno.h>
#include <stdlib.h>

#include "kbitops.h"
#include "model.h"

enum { WALK, SET_ALL, SHIFT, LEFTOVER, COPY, CLEAR, REPOPULATE };

static const char *const phase_names[] = {
	[WALK] = "walk",   [SET_ALL] = "set_all", [SHIFT] = "shift",	     [LEFTOVER] = "leftover",
	[COPY] = "copy",   [CLEAR] = "clear",	  [REPOPULATE] = "repopulate", NULL,
};

static uint64_t *bitmap_of(struct model_mapping *m)
{
	return m->track;
}

/* DIRTY_BITMAP_BYTES(npages) and the spare word the in-place shift needs. */
static size_t bitmap_bytes(const struct model_mapping *m)
{
	return (model_words(m->npages) + 1) * sizeof(uint64_t);
}

/* vfio_dma_populate_bitmap(): one bit a pinned page, walking the pin tree. */
static void populate(struct model_mapping *m)
{
	uint64_t *bitmap = bitmap_of(m);
	struct model_pin *p;

	RB_FOREACH(p, model_pin_tree, &m->pins)
		bitmap[p->page / 64] |= 1ull << (p->page % 64);
}

static int reference_track(struct model *md, struct model_mapping *m)
{
	(void)md;
	if (m->npages > DT_DIRTY_BITMAP_PAGES_MAX)
		return -EINVAL;
	/* The spare word lets the harvest shift the bits in place. */
	m->track = kb_kvzalloc(bitmap_bytes(m));
	if (!m->track)
		return -ENOMEM;
	populate(m);
	return 0;
}

static void reference_untrack(struct model *md, struct model_mapping *m)
{
	(void)md;
	kb_kvfree(m->track, bitmap_bytes(m));
	m->track = NULL;
}

static void reference_mark(struct model *md, struct model_mapping *m, uint64_t first, uint64_t n)
{
	(void)md;
	kb_set(bitmap_of(m), first, n);
}

/*
 * update_user_bitmap(): the bits of @m, shifted to @bit_offset of the
 * user's bitmap and merged with what the previous mapping left in the
 * first word. Returns the bits of the extent copied (npages + shift).
 */
static uint64_t report(struct model *md, struct model_mapping *m, uint64_t *user,
		       uint64_t bit_offset)
{
	uint64_t *bitmap = bitmap_of(m), *dst = user + bit_offset / 64, leftover, t;
	unsigned int shift = bit_offset % 64;
	uint64_t nbits = m->npages + shift;

	if (md->unscoped) {
		/* The device may have written anything it can reach. */
		t = model_phase_begin(md);
		kb_set(bitmap, 0, m->npages);
		model_phase_end(md, SET_ALL, t);
	}
	if (shift) {
		t = model_phase_begin(md);
		kb_shift_left(bitmap, shift, nbits);
		model_phase_end(md, SHIFT, t);

		/*
		 * The whole first word goes out, so keep what the previous mapping
		 * of this request wrote into it. Like the kernel, OR in the whole
		 * word: its bits above the earlier mapping are zero.
		 */
		t = model_phase_begin(md);
#ifndef DT_MUTANT_NO_LEFTOVER
		kb_copy_user(&leftover, dst, sizeof(leftover));
		bitmap[0] |= leftover;
#else
		(void)leftover;
#endif
		model_phase_end(md, LEFTOVER, t);
	}
	t = model_phase_begin(md);
	kb_copy_user(dst, bitmap, model_words(nbits) * sizeof(uint64_t));
	model_phase_end(md, COPY, t);
	return nbits;
}

static void reference_get(struct model *md, uint64_t iova, uint64_t last, uint64_t *user)
{
	struct model_mapping *m;
	uint64_t t, nbits, nodes = 0;
	bool stale = md->stale_bits;

#ifdef DT_MUTANT_STALE_CLEAR
	stale = true;
#endif
	t = model_phase_begin(md);
	for (m = RB_MIN(model_mapping_tree, &md->mappings); m;
	     m = RB_NEXT(model_mapping_tree, &md->mappings, m)) {
		nodes++;
		if (m->iova < iova)
			continue;
		if (m->iova > last)
			break;
		/* The walk up to here is the kernel's cost of finding this mapping. */
		model_phase_end(md, WALK, t);

		nbits = report(md, m, user, (m->iova - iova) >> md->pgshift);

		t = model_phase_begin(md);
		/* The kernel's stale-bit defect clears the mapping's own bits only. */
		kb_clear(bitmap_of(m), 0, stale ? m->npages : nbits);
		model_phase_end(md, CLEAR, t);

		t = model_phase_begin(md);
		populate(m);
		model_phase_end(md, REPOPULATE, t);
		t = model_phase_begin(md);
	}
	model_phase_end(md, WALK, t);
	md->prof.walk_nodes += nodes;
}

static void reference_unmap_report(struct model *md, struct model_mapping *m, uint64_t *user,
				   uint64_t bit_offset)
{
	report(md, m, user, bit_offset);
}

static void reference_report_fault(struct model *md, struct model_mapping *m, uint64_t bit_offset)
{
	unsigned int shift = bit_offset % 64;

	/* As report() until the failed read of the user's first word, after the shift. */
	if (md->unscoped)
		kb_set(bitmap_of(m), 0, m->npages);
	if (shift)
		kb_shift_left(bitmap_of(m), shift, m->npages + shift);
}

const struct dt_harvest_ops dt_harvest_reference = {
	.name = "reference",
	.phases = phase_names,
	.track = reference_track,
	.untrack = reference_untrack,
	.mark = reference_mark,
	.get = reference_get,
	.unmap_report = reference_unmap_report,
	.report_fault = reference_report_fault,
};
