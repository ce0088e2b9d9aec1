// SPDX-License-Identifier: MIT
/*
 * harvest_fast.c - the same bits as the kernel's harvest, in fewer passes:
 * what type1 dirty tracking could cost.
 *
 * Per mapping it keeps three things (struct fast_map):
 *   - dirty: one bit a page marked since the last report (DMA_RW, a pin,
 *     a device that left, an unpin);
 *   - pinned: one bit a page with a pin, kept up to date by pin and unpin,
 *     so that re-populating the pinned pages after a report costs nothing:
 *     the report ORs them in, and they never enter the dirty bitmap;
 *   - a summary: one bit per 64-byte line of dirty and of pinned, so that a
 *     report visits only the lines that hold something. A clean 1 TiB
 *     mapping is 64 KiB of summary instead of 32 MiB of bitmap; a uniformly
 *     random sparse set still touches most lines and gains nothing.
 * A report is one fused pass per line: load, OR the pinned word, shift to
 * the user's bit offset with the neighbour word's carry, store into the
 * user's buffer (which arrives zero-filled, so clean lines are not
 * written), clear the dirty word. When every page is to be reported (an
 * IOMMU-backed group without pinned-page scope) it writes all-ones words
 * straight to the user's buffer and clears only the dirty lines.
 * A GET finds its first mapping with one tree descent (O(log n)), not the
 * kernel's walk from the first node.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "sanitized.h"

/*
 * AVX2 and baseline copies of the hot loop, picked at load time by an
 * ifunc resolver, which runs before a sanitizer's runtime is up: plain
 * code under the sanitizers (whose timings mean nothing anyway).
 */
#if DT_SANITIZED
#define HOT_CLONES
#else
#define HOT_CLONES __attribute__((target_clones("avx2", "default")))
#endif

/* Words of bitmap per summary bit: one 64-byte cache line. */
#define LINE_WORDS 8u

enum { WALK, SET_ALL, REPORT };

static const char *const phase_names[] = {
	[WALK] = "walk",
	[SET_ALL] = "set_all",
	[REPORT] = "report",
	NULL,
};

struct fast_map {
	/*
	 * Marks race with reports (dt_container_config.concurrent): every
	 * access to dirty and dsum is atomic, and a report takes each non-zero
	 * word with an exchange, so that a mark lands before it (reported now)
	 * or after (reported next). pinned and psum change under the lock only.
	 */
	bool atomic;
	uint64_t nwords; /* words(npages) */
	uint64_t nlines; /* lines of nwords */
	uint64_t *dirty; /* nlines * LINE_WORDS words, zero past npages */
	uint64_t *pinned;
	uint64_t *dsum; /* one bit per line of dirty that may be non-zero */
	uint64_t *psum; /* one bit per line of pinned that may be non-zero */
};

static uint64_t lines_of(uint64_t npages)
{
	uint64_t words = model_words(npages);

	return words / LINE_WORDS + (words % LINE_WORDS != 0);
}

static void set_bit(uint64_t *w, uint64_t bit)
{
	w[bit / 64] |= 1ull << (bit % 64);
}

/*
 * The concurrent variant: the bits first, the summary after, so that a
 * report that takes the summary bit finds the bits, and one that took it
 * before the bits were set leaves them, with their summary bit, to the next.
 */
static void mark_bits_atomic(uint64_t *w, uint64_t *sum, uint64_t first, uint64_t n)
{
	uint64_t bit, end = first + n, line, mask;

	for (bit = first; bit < end; bit = (bit | 63) + 1) {
		mask = ~0ull << (bit % 64);
		if (end - (bit & ~63ull) < 64)
			mask &= ~0ull >> (64 - end % 64);
		__atomic_fetch_or(&w[bit / 64], mask, __ATOMIC_RELAXED);
	}
	for (line = first / 64 / LINE_WORDS; line <= (end - 1) / 64 / LINE_WORDS; line++)
		__atomic_fetch_or(&sum[line / 64], 1ull << (line % 64), __ATOMIC_RELEASE);
}

static void mark_bits(uint64_t *w, uint64_t *sum, uint64_t first, uint64_t n)
{
	uint64_t bit, end = first + n, line;

	/* Whole words where it can: a 1 MiB DMA_RW is 4 words, not 256 bits. */
	for (bit = first; bit < end;) {
		if (bit % 64 == 0 && end - bit >= 64) {
			w[bit / 64] = ~0ull;
			bit += 64;
		} else {
			w[bit / 64] |= 1ull << (bit % 64);
			bit++;
		}
	}
	for (line = first / 64 / LINE_WORDS; line <= (end - 1) / 64 / LINE_WORDS; line++)
		set_bit(sum, line);
}

static int fast_track(struct model *md, struct model_mapping *m)
{
	struct fast_map *f;
	struct model_pin *p;
	uint64_t lines, sumwords;

	if (m->npages > DT_DIRTY_BITMAP_PAGES_MAX)
		return -EINVAL;
	lines = lines_of(m->npages);
	sumwords = lines / 64 + 1;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->atomic = md->concurrent;
	f->nwords = model_words(m->npages);
	f->nlines = lines;
	/* calloc: fresh zero pages cost nothing until a line is marked. */
	f->dirty = calloc(lines * LINE_WORDS, sizeof(uint64_t));
	f->pinned = calloc(lines * LINE_WORDS, sizeof(uint64_t));
	f->dsum = calloc(sumwords, sizeof(uint64_t));
	f->psum = calloc(sumwords, sizeof(uint64_t));
	if (!f->dirty || !f->pinned || !f->dsum || !f->psum) {
		free(f->dirty);
		free(f->pinned);
		free(f->dsum);
		free(f->psum);
		free(f);
		return -ENOMEM;
	}
	/* Pages pinned before START: reported from the pinned bits while they stay pinned. */
	RB_FOREACH(p, model_pin_tree, &m->pins)
		mark_bits(f->pinned, f->psum, p->page, 1);
	m->track = f;
	return 0;
}

static void fast_untrack(struct model *md, struct model_mapping *m)
{
	struct fast_map *f = m->track;

	(void)md;
	if (!f)
		return;
	free(f->dirty);
	free(f->pinned);
	free(f->dsum);
	free(f->psum);
	free(f);
	m->track = NULL;
}

static void fast_mark_atomic(struct model_mapping *m, uint64_t first, uint64_t n)
{
	struct fast_map *f = m->track;

	if (n)
		mark_bits_atomic(f->dirty, f->dsum, first, n);
}

static void fast_mark(struct model *md, struct model_mapping *m, uint64_t first, uint64_t n)
{
	struct fast_map *f = m->track;

	(void)md;
	if (!n)
		return;
	/* Under the lock, but DMA_RW may be marking the same words without it. */
	if (f->atomic)
		mark_bits_atomic(f->dirty, f->dsum, first, n);
	else
		mark_bits(f->dirty, f->dsum, first, n);
}

static void fast_pin_changed(struct model *md, struct model_mapping *m, uint64_t page, bool pinned)
{
	struct fast_map *f = m->track;

	(void)md;
	if (!f)
		return;
	if (pinned) {
		mark_bits(f->pinned, f->psum, page, 1);
		return;
	}
	/* Pinned since the last report: dirty in this interval, reported once more. */
	fast_mark(md, m, page, 1);
	f->pinned[page / 64] &= ~(1ull << (page % 64));
}

/*
 * Write the mapping's word @i (value @w, non-zero) at bit @shift of the
 * user's words from @dst: it lands in dst[i] and, shifted, dst[i + 1]. The
 * first user word may hold the previous mapping's bits: OR everywhere.
 */
static inline void put_word(uint64_t *dst, uint64_t i, unsigned int shift, uint64_t w)
{
	dst[i] |= w << shift;
	if (shift && (w >> (64 - shift)))
		dst[i + 1] |= w >> (64 - shift);
}

/* The same, when marks race: each non-zero dirty word taken with an exchange. */
static void report_line_atomic(uint64_t *dirty, const uint64_t *pinned, uint64_t *dst,
			       unsigned int shift, uint64_t words)
{
	uint64_t k, w;

	for (k = 0; k < words; k++) {
		w = __atomic_load_n(&dirty[k], __ATOMIC_RELAXED);
		if (w)
			w = __atomic_exchange_n(&dirty[k], 0, __ATOMIC_ACQUIRE);
		w |= pinned ? pinned[k] : 0;
		if (w)
			put_word(dst, k, shift, w);
	}
}

/* Clear the dirty lines of @f, which a set-all report has just covered. */
static void clear_lines(struct fast_map *f)
{
	uint64_t s, sd, line, k;

	for (s = 0; s < f->nlines / 64 + 1; s++) {
		sd = f->atomic ? __atomic_exchange_n(&f->dsum[s], 0, __ATOMIC_ACQUIRE) : f->dsum[s];
		f->dsum[s] = f->atomic ? f->dsum[s] : 0;
		for (; sd; sd &= sd - 1) {
			line = s * 64 + (unsigned int)__builtin_ctzll(sd);
			for (k = 0; k < LINE_WORDS; k++) {
				if (f->atomic)
					__atomic_store_n(&f->dirty[line * LINE_WORDS + k], 0,
							 __ATOMIC_RELAXED);
				else
					f->dirty[line * LINE_WORDS + k] = 0;
			}
		}
	}
}

/*
 * The fused pass over @words words: OR in the pinned words (when there
 * are any), put the result into the user's words at @shift (the user's
 * buffer arrives zero-filled, so zero words may be ORed in), clear the
 * dirty words. The last word's spill into the next user word is written
 * only when it carries bits: past the mapping there may be no more buffer.
 */
static inline void report_words(uint64_t *dirty, const uint64_t *pinned, uint64_t *dst,
				unsigned int shift, uint64_t words)
{
	uint64_t k, w;

	if (!words)
		return;
	if (!shift) {
		for (k = 0; k < words; k++) {
			w = dirty[k] | (pinned ? pinned[k] : 0);
			dirty[k] = 0;
			dst[k] |= w;
		}
		return;
	}
	for (k = 0; k + 1 < words; k++) {
		w = dirty[k] | (pinned ? pinned[k] : 0);
		dirty[k] = 0;
		dst[k] |= w << shift;
		dst[k + 1] |= w >> (64 - shift);
	}
	w = dirty[k] | (pinned ? pinned[k] : 0);
	dirty[k] = 0;
	put_word(dst, k, shift, w);
}

/*
 * A dense stretch (most lines of a summary word): one call over all its
 * words, compiled twice (AVX2 and baseline) and picked at load time. Sparse
 * lines take report_words() inline: a call per line would cost more than
 * the line.
 */
HOT_CLONES static void report_block(uint64_t *dirty, const uint64_t *pinned, uint64_t *dst,
				    unsigned int shift, uint64_t words)
{
	if (pinned)
		report_words(dirty, pinned, dst, shift, words);
	else
		report_words(dirty, NULL, dst, shift, words);
}

/* Prefetch the dirty, pinned and user lines of the set bits of @sd (lines from @first). */
static void prefetch_lines(const struct fast_map *f, uint64_t sd, uint64_t pinned, uint64_t first,
			   uint64_t *dst)
{
	uint64_t line;
	unsigned int b;

	for (; sd; sd &= sd - 1) {
		b = (unsigned int)__builtin_ctzll(sd);
		line = first + b;
		__builtin_prefetch(f->dirty + line * LINE_WORDS, 1, 0);
		if (pinned >> b & 1)
			__builtin_prefetch(f->pinned + line * LINE_WORDS, 0, 0);
		__builtin_prefetch(dst + line * LINE_WORDS, 1, 0);
	}
}

/* Report @m at @bit_offset of @user; with @clear, its dirty bits are reset. */
static void report(struct model *md, struct model_mapping *m, uint64_t *user, uint64_t bit_offset)
{
	struct fast_map *f = m->track;
	uint64_t *dst = user + bit_offset / 64, s, sd, line, words, t;
	unsigned int shift = bit_offset % 64, b;

	if (md->unscoped) {
		/*
		 * Every page, straight to the user: no read of our bitmaps at all,
		 * only the lines marked since the last report to clear.
		 */
		t = model_phase_begin(md);
		if (shift == 0 && m->npages >= 64) {
			memset(dst, 0xff, m->npages / 64 * sizeof(uint64_t));
			if (m->npages % 64)
				dst[m->npages / 64] |= ~0ull >> (64 - m->npages % 64);
		} else {
			uint64_t i;

			for (i = 0; i < m->npages / 64; i++)
				put_word(dst, i, shift, ~0ull);
			if (m->npages % 64)
				put_word(dst, i, shift, ~0ull >> (64 - m->npages % 64));
		}
		clear_lines(f);
		model_phase_end(md, SET_ALL, t);
		return;
	}
	t = model_phase_begin(md);
	for (s = 0; s < f->nlines / 64 + 1; s++) {
		if (f->atomic) {
			sd = __atomic_load_n(&f->dsum[s], __ATOMIC_RELAXED);
			if (sd)
				sd = __atomic_exchange_n(&f->dsum[s], 0, __ATOMIC_ACQUIRE);
		} else {
			sd = f->dsum[s];
			f->dsum[s] = 0;
		}
		sd |= f->psum[s];
		if (!sd)
			continue;
		/* Half the lines or more: the whole stretch in one vectorised pass. */
		if (!f->atomic && __builtin_popcountll(sd) >= 32) {
			line = s * 64;
			words = f->nwords - line * LINE_WORDS;
			if (words > 64 * LINE_WORDS)
				words = 64 * LINE_WORDS;
			report_block(f->dirty + line * LINE_WORDS,
				     f->psum[s] ? f->pinned + line * LINE_WORDS : NULL,
				     dst + line * LINE_WORDS, shift, words);
			continue;
		}
		/*
		 * Scattered lines are cache misses one after the other: ask for
		 * them all first, so that the misses overlap instead of queueing.
		 */
		prefetch_lines(f, sd, f->psum[s], s * 64, dst);
		for (; sd; sd &= sd - 1) {
			b = (unsigned int)__builtin_ctzll(sd);
			line = s * 64 + b;
			words = f->nwords - line * LINE_WORDS;
			if (words > LINE_WORDS)
				words = LINE_WORDS;
			if (f->atomic)
				report_line_atomic(f->dirty + line * LINE_WORDS,
						   f->psum[s] >> b & 1 ? f->pinned + line * LINE_WORDS : NULL,
						   dst + line * LINE_WORDS, shift, words);
			else
				report_words(f->dirty + line * LINE_WORDS,
					     f->psum[s] >> b & 1 ? f->pinned + line * LINE_WORDS : NULL,
					     dst + line * LINE_WORDS, shift, words);
		}
	}
	model_phase_end(md, REPORT, t);
}

static void fast_get(struct model *md, uint64_t iova, uint64_t last, uint64_t *user)
{
	struct model_mapping *m;
	uint64_t t, nodes = 0;

	t = model_phase_begin(md);
	m = model_mapping_from(md, iova);
	model_phase_end(md, WALK, t);
	for (; m && m->iova <= last; m = RB_NEXT(model_mapping_tree, &md->mappings, m)) {
		nodes++;
		report(md, m, user, (m->iova - iova) >> md->pgshift);
	}
	md->prof.walk_nodes += nodes;
}

static void fast_unmap_report(struct model *md, struct model_mapping *m, uint64_t *user,
			      uint64_t bit_offset)
{
	report(md, m, user, bit_offset);
}

const struct dt_harvest_ops dt_harvest_fast = {
	.name = "fast",
	.phases = phase_names,
	.track = fast_track,
	.untrack = fast_untrack,
	.mark = fast_mark,
	.mark_atomic = fast_mark_atomic,
	.pin_changed = fast_pin_changed,
	.get = fast_get,
	.unmap_report = fast_unmap_report,
};
