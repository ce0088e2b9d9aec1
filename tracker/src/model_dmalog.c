// SPDX-License-Identifier: MIT
/*
 * model_dmalog.c - the model's third mode: a device that logs its own DMA
 * (../shared/SEMANTICS.md §6; VFIO_DEVICE_FEATURE_DMA_LOGGING_*, as mlx5
 * and pds implement it), on a type1 container whose own tracking stays.
 *
 * The device keeps one bit per tracking page (START's page size) of each
 * range it logs. A device that can log fewer ranges than it is given
 * merges neighbours the way the kernel's vfio_combine_iova_ranges() does:
 * the pair with the smallest gap first, the lowest pair on a tie, until
 * few enough are left. It then logs the gaps too: a REPORT over a gap
 * shows what the device wrote there, pages nobody asked it to log.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "pgconv.h"

struct log_range {
	uint64_t iova;
	uint64_t last; /* its last byte */
	uint64_t *bits;
	size_t bytes;
};

struct model_dmalog {
	unsigned int pshift; /* log2 of the tracking page */
	uint32_t n;
	struct log_range r[];
};

static bool page_size_ok(uint64_t page_size)
{
	return page_size >= 4096 && !(page_size & (page_size - 1));
}

static void log_free(struct model_dmalog *log)
{
	uint32_t i;

	if (!log)
		return;
	for (i = 0; i < log->n; i++)
		pgconv_free(log->r[i].bits, log->r[i].bytes);
	free(log);
}

void model_dmalog_free(struct model *md)
{
	log_free(md->log);
	md->log = NULL;
}

/* The checks of the kernel's core, range by range in order: the first failure decides. */
static int ranges_check(const struct dt_dmalog_range *ranges, uint32_t n, uint64_t page_size)
{
	uint64_t last, lj;
	uint32_t i, j;

	for (i = 0; i < n; i++) {
		const struct dt_dmalog_range *r = &ranges[i];

		if (!r->length || ((r->iova | r->length) & (page_size - 1)))
			return -EINVAL;
		/* check_add_overflow(iova, length): a range ending at 2^64 overflows too. */
		if (r->iova + r->length < r->iova || r->iova + r->length == 0)
			return -EOVERFLOW;
		last = r->iova + r->length - 1;
		for (j = 0; j < i; j++) {
			lj = ranges[j].iova + ranges[j].length - 1;
			if (ranges[j].iova <= last && r->iova <= lj)
				return -EINVAL;
		}
	}
	return 0;
}

static int by_iova(const void *a, const void *b)
{
	const struct log_range *x = a, *y = b;

	return x->iova < y->iova ? -1 : x->iova > y->iova;
}

/* Merge the neighbours with the smallest gap until @max ranges are left. */
static uint32_t combine(struct log_range *r, uint32_t n, uint32_t max)
{
	uint64_t gap, best;
	uint32_t i, at;

	while (n > max) {
		best = UINT64_MAX;
		at = 0;
		/* Strictly smaller: the lowest pair wins a tie, as in the kernel. */
		for (i = 1; i < n; i++) {
			gap = r[i].iova - r[i - 1].last;
#ifdef DT_MUTANT_MERGE_FIRST
			/* Broken on purpose: the first pair, whatever the gaps (tests/CMakeLists.txt). */
			gap = i;
#endif
			if (gap < best) {
				best = gap;
				at = i;
			}
		}
		r[at - 1].last = r[at].last;
		memmove(&r[at], &r[at + 1], (n - at - 1) * sizeof(*r));
		n--;
	}
	return n;
}

static int start_locked(struct model *md, const struct dt_dmalog_range *ranges, uint32_t n,
			uint64_t page_size)
{
	struct model_dmalog *log;
	uint64_t total = 0, bytes;
	uint32_t i;

	/* The device has one tracker; mlx5 and pds refuse a second START. */
	if (md->log)
		return -EINVAL;
	log = calloc(1, sizeof(*log) + n * sizeof(log->r[0]));
	if (!log)
		return -ENOMEM;
	log->pshift = (unsigned int)__builtin_ctzll(page_size);
	for (i = 0; i < n; i++)
		log->r[i] = (struct log_range){.iova = ranges[i].iova,
					       .last = ranges[i].iova + (ranges[i].length - 1)};
	qsort(log->r, n, sizeof(log->r[0]), by_iova);
	log->n = md->log_max_ranges && n > md->log_max_ranges
			 ? combine(log->r, n, md->log_max_ranges)
			 : n;
	for (i = 0; i < log->n; i++) {
		bytes = log->r[i].last - log->r[i].iova; /* one less than the range's bytes */
		if (bytes >= DT_DMALOG_BYTES_MAX || total + bytes + 1 > DT_DMALOG_BYTES_MAX) {
			free(log);
			return -E2BIG;
		}
		total += bytes + 1;
	}
	for (i = 0; i < log->n; i++) {
		uint64_t pages = ((log->r[i].last - log->r[i].iova) >> log->pshift) + 1;

		log->r[i].bytes = (size_t)((pages + 63) / 64 * 8);
		log->r[i].bits = pgconv_zalloc(log->r[i].bytes);
		if (!log->r[i].bits) {
			log->n = i; /* free what was allocated */
			log_free(log);
			return -ENOMEM;
		}
	}
	md->log = log;
	return 0;
}

int model_dmalog_start(void *state, const struct dt_dmalog_range *ranges, uint32_t nranges,
		       uint64_t page_size)
{
	struct model *md = state;
	int ret;

	if (md->mode != DT_TRACK_DMALOG)
		return -EOPNOTSUPP;
	if (!nranges || !ranges)
		return -EINVAL;
	if (nranges > DT_DMALOG_RANGES_MAX)
		return -E2BIG;
	if (!page_size_ok(page_size))
		return -EINVAL;
	ret = ranges_check(ranges, nranges, page_size);
	if (ret < 0)
		return ret;
	pthread_mutex_lock(&md->lock);
	ret = start_locked(md, ranges, nranges, page_size);
	pthread_mutex_unlock(&md->lock);
	return ret;
}

int model_dmalog_stop(void *state)
{
	struct model *md = state;

	if (md->mode != DT_TRACK_DMALOG)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&md->lock);
	model_dmalog_free(md);
	pthread_mutex_unlock(&md->lock);
	return 0;
}

void model_dmalog_mark(struct model *md, uint64_t iova, uint64_t last)
{
	const struct model_dmalog *log = md->log;
	uint32_t i;

	/* The device logs what falls in its ranges, and nothing else. */
	for (i = 0; i < log->n; i++) {
		const struct log_range *r = &log->r[i];
		uint64_t a = iova > r->iova ? iova : r->iova, b = last < r->last ? last : r->last;

		if (a <= b)
			pgconv_word_set(r->bits, (a - r->iova) >> log->pshift,
					(b - r->iova) >> log->pshift);
	}
}

struct report_ctx {
	uint8_t *user;
	uint64_t iova, last;
	unsigned int pshift, tshift;
	uint64_t base; /* the range's first byte */
};

static void report_page(void *arg, uint64_t bit)
{
	const struct report_ctx *x = arg;
	uint64_t unit = x->base + (bit << x->tshift);

	pgconv_report(x->user, x->iova, x->last, x->pshift, unit,
		      unit + ((1ull << x->tshift) - 1));
}

static int report_locked(struct model *md, uint64_t iova, uint64_t length, uint64_t page_size,
			 void *data)
{
	const struct model_dmalog *log = md->log;
	struct report_ctx x;
	uint32_t i;

	if (!log)
		return -EINVAL;
	if (!data)
		return -EFAULT;
	x = (struct report_ctx){
		.user = data,
		.iova = iova,
		.last = iova + (length - 1),
		.pshift = (unsigned int)__builtin_ctzll(page_size),
		.tshift = log->pshift,
	};
	for (i = 0; i < log->n; i++) {
		const struct log_range *r = &log->r[i];
		uint64_t a = x.iova > r->iova ? x.iova : r->iova;
		uint64_t b = x.last < r->last ? x.last : r->last, first, last;

		if (a > b)
			continue;
		first = (a - r->iova) >> log->pshift;
		last = (b - r->iova) >> log->pshift;
		x.base = r->iova;
		pgconv_word_each(r->bits, first, last, report_page, &x);
		/* Read and clear, tracking page by tracking page, as the device does. */
		pgconv_word_clear(r->bits, first, last);
	}
	return 0;
}

int model_dmalog_report(void *state, uint64_t iova, uint64_t length, uint64_t page_size,
			void *data)
{
	struct model *md = state;
	int ret;

	/* vfio_ioctl_device_feature_logging_report(), in order, then the model's rulings. */
	if (md->mode != DT_TRACK_DMALOG)
		return -EOPNOTSUPP;
	if (!page_size_ok(page_size))
		return -EINVAL;
	if (iova + length < iova || (length && iova + length == 0))
		return -EOVERFLOW;
	if (!length || ((iova | length) & (page_size - 1)))
		return -EINVAL;
	pthread_mutex_lock(&md->lock);
	ret = report_locked(md, iova, length, page_size, data);
	pthread_mutex_unlock(&md->lock);
	return ret;
}

int model_dmalog_ranges(void *state, struct dt_dmalog_range *out, size_t max)
{
	struct model *md = state;
	uint32_t i, n;

	if (md->mode != DT_TRACK_DMALOG)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&md->lock);
	n = md->log ? md->log->n : 0;
	for (i = 0; i < n && i < max; i++)
		out[i] = (struct dt_dmalog_range){
			.iova = md->log->r[i].iova,
			.length = md->log->r[i].last - md->log->r[i].iova + 1,
		};
	pthread_mutex_unlock(&md->lock);
	return (int)n;
}
