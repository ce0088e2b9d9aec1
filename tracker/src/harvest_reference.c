// SPDX-License-Identifier: MIT
/*
 * harvest_reference.c - the kernel's harvest, step by step, with the bits
 * made right.
 *
 * This is what a type1 GET_BITMAP costs: per mapping, mark everything when
 * out of scope, shift the mapping's bitmap in place to the user's bit
 * offset, read the user's first word back and OR it in, copy whole words
 * out, clear, and walk the pinned set to set the pinned pages again. Each
 * step is a phase of its own so that the profiler can time it.
 *
 * One deliberate difference: the kernel clears only the mapping's nbits
 * bits after a shifted report, so the bits shifted past the end survive and
 * come back in later reports (up to 63 stale pages, seen on 6.1). Here the
 * whole shifted extent is cleared, which costs the same.
 *
 * Builds with DT_MUTANT_* defined are broken on purpose: the oracle test
 * must catch each of them (tests/CMakeLists.txt).
 */
#include <string.h>

#include "bitops.h"
#include "model.h"

static void reference_report(struct model *md, struct model_mapping *m, uint64_t *user,
			     uint64_t bit_offset, bool set_all)
{
	uint64_t *dst = user + bit_offset / 64;
	unsigned int shift = bit_offset % 64;
	/* The extent of the bits once shifted: at most one word more than unshifted. */
	uint64_t nwords = model_words(m->npages + shift);
	uint64_t t;

	if (set_all) {
		t = model_phase_begin(md);
		bits_set(m->bitmap, 0, m->npages);
		model_phase_end(md, DT_PHASE_SET_ALL, t);
	}
	if (shift) {
		t = model_phase_begin(md);
		bits_shift_left(m->bitmap, shift, nwords);
		model_phase_end(md, DT_PHASE_SHIFT, t);

		/*
		 * The whole first word goes out, so keep what the previous
		 * mapping of this request wrote into it. Like the kernel, OR in
		 * the whole word: its bits above the earlier mapping are zero.
		 */
		t = model_phase_begin(md);
#ifndef DT_MUTANT_NO_LEFTOVER
		m->bitmap[0] |= dst[0];
#endif
		model_phase_end(md, DT_PHASE_LEFTOVER, t);
	}

	t = model_phase_begin(md);
	memcpy(dst, m->bitmap, nwords * sizeof(uint64_t));
	model_phase_end(md, DT_PHASE_COPY, t);

	t = model_phase_begin(md);
#ifdef DT_MUTANT_STALE_CLEAR
	md->stale_bits = true;
#endif
	if (!md->stale_bits) {
		memset(m->bitmap, 0, nwords * sizeof(uint64_t));
	} else {
		/* The 6.1 defect: only the first npages bits are cleared. */
		memset(m->bitmap, 0, m->npages / 64 * sizeof(uint64_t));
		if (m->npages % 64)
			m->bitmap[m->npages / 64] &= ~0ull << (m->npages % 64);
	}
	model_phase_end(md, DT_PHASE_CLEAR, t);

	t = model_phase_begin(md);
	model_bitmap_populate(m);
	model_phase_end(md, DT_PHASE_REPOPULATE, t);
}

const struct dt_harvest_ops dt_harvest_reference = {
	.name = "reference",
	.report = reference_report,
};
