// SPDX-License-Identifier: MIT
/*
 * model_hw.c - the model's second mode: an IOMMU with dirty bits in its IO
 * page table (iommufd's HWPT dirty tracking, ../shared/SEMANTICS.md §5),
 * and the device writes that every mode sees or not (hwdirty.h).
 *
 * A mapping's IO pages are what the kernel's iommu_map() would make of it:
 * at each address the largest IO page size (pgsize, 2 MiB, 1 GiB, up to the
 * mapping's io_max) that is aligned there and fits in what is left. That
 * splits a mapping into at most five runs of equal pages (small pages up to
 * the first 2 MiB boundary, 2 MiB pages up to the first 1 GiB one, 1 GiB
 * pages, then down again), so the model keeps one bitmap per run, one bit
 * per IO page, and a write or a GET finds its IO pages by arithmetic.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "pgconv.h"

/* pgsize, 2 MiB, 1 GiB: at most three sizes, so at most 2 * 3 - 1 runs. */
#define IO_SIZES_MAX 3
#define HW_SEGS_MAX (2 * IO_SIZES_MAX - 1)

/* A run of IO pages of one size, and their dirty bits. */
struct hw_seg {
	uint64_t start;
	uint64_t last; /* its last byte */
	unsigned int shift;
	uint64_t *bits;
	size_t bytes;
};

struct hw_track {
	unsigned int n;
	struct hw_seg seg[HW_SEGS_MAX];
};

int model_io_max(const struct model *md, uint64_t io_pgsize, uint64_t *out)
{
	if (!io_pgsize)
		io_pgsize = md->io_pgsize;
	if (io_pgsize == md->pgsize ||
	    ((io_pgsize == DT_IO_PGSIZE_2M || io_pgsize == DT_IO_PGSIZE_1G) && io_pgsize > md->pgsize)) {
		*out = io_pgsize;
		return 0;
	}
	return -EINVAL;
}

int model_modes_configure(struct model *md, const struct dt_container_config *cfg)
{
	if (cfg->mode != DT_TRACK_TYPE1 && cfg->mode != DT_TRACK_HW && cfg->mode != DT_TRACK_DMALOG)
		return -EINVAL;
	md->mode = cfg->mode;
	md->io_pgsize = md->pgsize;
	if (model_io_max(md, cfg->io_pgsize, &md->io_pgsize) < 0)
		return -EINVAL;
	md->log_max_ranges = cfg->log_max_ranges;
	return 0;
}

/* The IO page sizes a mapping of @io_max may use, ascending; returns how many. */
static unsigned int io_sizes(const struct model *md, uint64_t io_max, uint64_t *sizes)
{
	unsigned int n = 0;

	sizes[n++] = md->pgsize;
#ifdef DT_MUTANT_IO_PAGE_IGNORED
	/* Broken on purpose: every IO page the container's page, a write dirties 4 KiB only. */
	return n;
#endif
	if (DT_IO_PGSIZE_2M > md->pgsize && DT_IO_PGSIZE_2M <= io_max)
		sizes[n++] = DT_IO_PGSIZE_2M;
	if (DT_IO_PGSIZE_1G > md->pgsize && DT_IO_PGSIZE_1G <= io_max)
		sizes[n++] = DT_IO_PGSIZE_1G;
	return n;
}

/*
 * Split @m into its runs of IO pages. At @addr the page is the largest
 * size aligned there that fits; its run goes on to the first address where
 * the next larger size is aligned and fits (or as far as its size fits):
 * any larger size can only fit at such an address, since its boundaries
 * are the next size's boundaries too.
 */
static unsigned int segments(const struct model *md, const struct model_mapping *m,
			     struct hw_seg *seg)
{
	uint64_t sizes[IO_SIZES_MAX], addr = m->iova, last = m->iova + (m->size - 1);
	uint64_t s, S, p, whole_last;
	unsigned int n = io_sizes(md, m->io_max, sizes), k, nseg = 0;

	for (;;) {
		k = n - 1;
		while (k > 0 && ((addr & (sizes[k] - 1)) || sizes[k] - 1 > last - addr))
			k--;
		s = sizes[k];
		/* The last byte of the whole s-pages from addr (last - addr + 1 may be 2^64). */
		whole_last = addr + ((last - addr) / s * s) + (((last - addr) % s == s - 1) ? s : 0) - 1;
		if (k + 1 < n) {
			S = sizes[k + 1];
			p = (addr | (S - 1)) + 1; /* the next S boundary; 0 past the top */
			if (p && p <= last && S - 1 <= last - p && p - 1 < whole_last)
				whole_last = p - 1;
		}
		seg[nseg++] = (struct hw_seg){
			.start = addr,
			.last = whole_last,
			.shift = (unsigned int)__builtin_ctzll(s),
		};
		if (whole_last == last)
			return nseg;
		addr = whole_last + 1;
	}
}

static void track_free(struct hw_track *t)
{
	unsigned int i;

	if (!t)
		return;
	for (i = 0; i < t->n; i++)
		pgconv_free(t->seg[i].bits, t->seg[i].bytes);
	free(t);
}

/* A mapping's IO pages, every bit clear; NULL when out of memory. */
static struct hw_track *track_new(const struct model *md, const struct model_mapping *m)
{
	struct hw_track *t = calloc(1, sizeof(*t));
	unsigned int i, n;

	if (!t)
		return NULL;
	n = segments(md, m, t->seg);
	for (i = 0; i < n; i++) {
		uint64_t pages = ((t->seg[i].last - t->seg[i].start) >> t->seg[i].shift) + 1;

		t->seg[i].bytes = (size_t)((pages + 63) / 64 * 8);
		t->seg[i].bits = pgconv_zalloc(t->seg[i].bytes);
		t->n = i + 1;
		if (!t->seg[i].bits) {
			track_free(t);
			return NULL;
		}
	}
	return t;
}

int model_hw_track(struct model *md, struct model_mapping *m)
{
	m->hw = track_new(md, m);
	return m->hw ? 0 : -ENOMEM;
}

void model_hw_untrack(struct model_mapping *m)
{
	track_free(m->hw);
	m->hw = NULL;
}

/* Mark the IO pages of @m that hold a byte of [lo, hi] (inside @m). */
static void hw_mark(struct model_mapping *m, uint64_t lo, uint64_t hi)
{
	struct hw_track *t = m->hw;
	unsigned int i;

	for (i = 0; i < t->n; i++) {
		struct hw_seg *sg = &t->seg[i];
		uint64_t a = lo > sg->start ? lo : sg->start, b = hi < sg->last ? hi : sg->last;

		if (a <= b)
			pgconv_word_set(sg->bits, (a - sg->start) >> sg->shift,
					(b - sg->start) >> sg->shift);
	}
}

/*
 * Check that every byte of [iova, iova+len) lies in a mapping with WRITE,
 * in address order, as DMA_RW checks: 0, -EINVAL or -EPERM.
 */
static int write_check(struct model *md, uint64_t iova, uint64_t len)
{
	struct model_mapping *m;
	uint64_t addr = iova, left = len, room;

	for (;;) {
		m = model_mapping_find(md, addr);
		if (!m)
			return -EINVAL;
		if (!(m->prot & DT_PROT_WRITE))
			return -EPERM;
		room = m->iova + (m->size - 1) - addr; /* bytes after addr in m */
		if (left - 1 <= room)
			return 0;
		left -= room + 1;
		if (m->iova + (m->size - 1) == UINT64_MAX)
			return -EINVAL; /* the next byte would be past 2^64-1 */
		addr += room + 1;
	}
}

static int device_write_locked(struct model *md, uint64_t iova, uint64_t len)
{
	struct model_mapping *m;
	uint64_t last = iova + (len - 1), hi;
	int ret = write_check(md, iova, len);

	if (ret < 0)
		return ret;
	/* Checked: [iova, last] is mapped throughout and does not wrap. */
	if (md->mode == DT_TRACK_HW && md->hw_tracking) {
		for (m = model_mapping_find(md, iova); m && m->iova <= last;
		     m = RB_NEXT(model_mapping_tree, &md->mappings, m)) {
			hi = m->iova + (m->size - 1) < last ? m->iova + (m->size - 1) : last;
			hw_mark(m, m->iova > iova ? m->iova : iova, hi);
		}
	} else if (md->mode == DT_TRACK_DMALOG && md->log) {
		model_dmalog_mark(md, iova, last);
	}
	/* DT_TRACK_TYPE1: the IOMMU keeps no record, as under the kernel's type1. */
	return 0;
}

int model_device_write(void *state, uint64_t iova, uint64_t len)
{
	struct model *md = state;
	int ret;

	if (!len)
		return 0;
	pthread_mutex_lock(&md->lock);
	ret = device_write_locked(md, iova, len);
	pthread_mutex_unlock(&md->lock);
	return ret;
}

static int set_tracking_locked(struct model *md, bool enable)
{
	struct model_mapping *m;
	struct hw_track **fresh;
	size_t i = 0;

	if (!enable) {
		RB_FOREACH(m, model_mapping_tree, &md->mappings)
			model_hw_untrack(m);
		md->hw_tracking = false;
		return 0;
	}
	/*
	 * A clean snapshot for every mapping, made before the old bits go, so
	 * that -ENOMEM changes nothing. Fresh memory rather than clearing the
	 * old: zeroing a 32 MiB bitmap would commit it all.
	 */
	fresh = calloc(md->nmappings ? md->nmappings : 1, sizeof(*fresh));
	if (!fresh)
		return -ENOMEM;
	RB_FOREACH(m, model_mapping_tree, &md->mappings) {
		fresh[i] = track_new(md, m);
		if (!fresh[i]) {
			while (i)
				track_free(fresh[--i]);
			free(fresh);
			return -ENOMEM;
		}
		i++;
	}
	i = 0;
	RB_FOREACH(m, model_mapping_tree, &md->mappings) {
		model_hw_untrack(m);
		m->hw = fresh[i++];
	}
	free(fresh);
	md->hw_tracking = true;
	return 0;
}

int model_hw_set_dirty_tracking(void *state, bool enable)
{
	struct model *md = state;
	int ret;

	if (md->mode != DT_TRACK_HW)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&md->lock);
	ret = set_tracking_locked(md, enable);
	pthread_mutex_unlock(&md->lock);
	return ret;
}

/* What the bit walk of a GET needs for each dirty IO page. */
struct get_ctx {
	uint8_t *user;
	uint64_t iova, last;
	unsigned int pshift;
	const struct hw_seg *sg;
};

static void report_io_page(void *arg, uint64_t bit)
{
	const struct get_ctx *g = arg;
	uint64_t unit = g->sg->start + (bit << g->sg->shift);

	pgconv_report(g->user, g->iova, g->last, g->pshift, unit,
		      unit + ((1ull << g->sg->shift) - 1));
}

/* Report (and clear) the IO pages of @m that overlap [g->iova, g->last]. */
static void hw_report(struct model_mapping *m, struct get_ctx *g, bool clear)
{
	struct hw_track *t = m->hw;
	unsigned int i;

	for (i = 0; i < t->n; i++) {
		const struct hw_seg *sg = &t->seg[i];
		uint64_t a = g->iova > sg->start ? g->iova : sg->start;
		uint64_t b = g->last < sg->last ? g->last : sg->last, first, lastbit;

		if (a > b)
			continue;
		first = (a - sg->start) >> sg->shift;
		lastbit = (b - sg->start) >> sg->shift;
		g->sg = sg;
		pgconv_word_each(sg->bits, first, lastbit, report_io_page, g);
		/* One bit per IO page: a GET over part of one clears it whole. */
		if (clear)
			pgconv_word_clear(sg->bits, first, lastbit);
	}
}

static bool page_size_ok(uint64_t page_size)
{
	return page_size >= 4096 && !(page_size & (page_size - 1));
}

static int get_locked(struct model *md, const struct dt_hw_dirty_bitmap *req)
{
	uint64_t last = req->iova + (req->length - 1), addr = req->iova;
	struct get_ctx g;
	struct model_mapping *m;

	if (!md->hw_tracking)
		return -EINVAL;
	/* Mapped throughout: the kernel's walk of contiguous areas must not find a hole. */
	for (;;) {
		m = model_mapping_find(md, addr);
		if (!m)
			return -EINVAL;
		if (m->iova + (m->size - 1) >= last)
			break;
		addr = m->iova + m->size;
	}
	if (!req->data)
		return -EFAULT;
	g = (struct get_ctx){
		.user = req->data,
		.iova = req->iova,
		.last = last,
		.pshift = (unsigned int)__builtin_ctzll(req->page_size),
	};
	for (m = model_mapping_find(md, req->iova); m && m->iova <= last;
	     m = RB_NEXT(model_mapping_tree, &md->mappings, m))
		hw_report(m, &g, !(req->flags & DT_HW_GET_DIRTY_NO_CLEAR));
	return 0;
}

int model_hw_dirty_bitmap(void *state, const struct dt_hw_dirty_bitmap *req)
{
	struct model *md = state;
	uint64_t align;
	int ret;

	/* iommufd_hwpt_get_dirty_bitmap(), then iommufd_check_iova_range(), in order. */
	if (md->mode != DT_TRACK_HW)
		return -EOPNOTSUPP;
	if ((req->flags & ~DT_HW_GET_DIRTY_NO_CLEAR) || req->reserved)
		return -EOPNOTSUPP;
	if (!req->length || req->iova + (req->length - 1) < req->iova)
		return -EOVERFLOW;
	if (!page_size_ok(req->page_size))
		return -EINVAL;
	align = req->page_size > md->pgsize ? req->page_size : md->pgsize;
	if ((req->iova | req->length) & (align - 1))
		return -EINVAL;
	pthread_mutex_lock(&md->lock);
	ret = get_locked(md, req);
	pthread_mutex_unlock(&md->lock);
	return ret;
}
