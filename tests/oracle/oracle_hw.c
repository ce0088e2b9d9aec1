// SPDX-License-Identifier: MIT
/*
 * oracle_hw.c - the naive oracle of the second and third modes: IOMMU dirty
 * bits (iommufd) and a device's DMA logging (../../../shared/SEMANTICS.md
 * §5 and §6, the rulings of docs/semantics.md, the contract of hwdirty.h).
 *
 * As oracle.c, slow and plain on purpose: what the device wrote is one
 * byte per 4 KiB page; the IO page that holds a byte is found by trying
 * the IO page sizes from the largest down; a tracking unit is dirty when
 * one of its 4 KiB bytes is; a bitmap is built one 4 KiB page at a time,
 * each setting the bit of the user's page that holds it. Nothing here
 * knows how the engine keeps its bits (runs of IO pages, word bitmaps).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "oracle.h"
#include "oracle_priv.h"

#define SMALL 4096ull /* the granule of what the device wrote */
#define IO_2M (2ull << 20)
#define IO_1G (1ull << 30)

static bool power_of_two_from_4k(uint64_t x)
{
	uint64_t p;

	for (p = 4096; p != 0; p *= 2)
		if (p == x)
			return true;
	return false;
}

int oracle_io_max(const struct oracle_container *c, uint64_t io_pgsize, uint64_t *out)
{
	if (io_pgsize == 0)
		io_pgsize = c->io_pgsize;
	/* the container's page, or 2 MiB or 1 GiB above it: x86's IO page sizes */
	if (io_pgsize == c->pgsize || (io_pgsize == IO_2M && IO_2M > c->pgsize) ||
	    (io_pgsize == IO_1G && IO_1G > c->pgsize)) {
		*out = io_pgsize;
		return 0;
	}
	return -EINVAL;
}

int oracle_modes_configure(struct oracle_container *c, const struct dt_container_config *cfg)
{
	if (cfg->mode != DT_TRACK_TYPE1 && cfg->mode != DT_TRACK_HW && cfg->mode != DT_TRACK_DMALOG)
		return -EINVAL;
	c->mode = cfg->mode;
	c->io_pgsize = c->pgsize;
	if (oracle_io_max(c, cfg->io_pgsize, &c->io_pgsize) != 0)
		return -EINVAL;
	c->log_max_ranges = cfg->log_max_ranges;
	return 0;
}

int oracle_hw_mapping_track(struct oracle_mapping *m)
{
	m->written = oracle_page_array_alloc(m->size / SMALL, 1);
	return m->written ? 0 : -ENOMEM;
}

void oracle_hw_mapping_free(struct oracle_mapping *m)
{
	oracle_page_array_free(m->written, m->size / SMALL, 1);
	m->written = NULL;
}

void oracle_log_free(struct oracle_container *c)
{
	size_t i;

	for (i = 0; i < c->nlog; i++)
		oracle_page_array_free(c->log[i].written, (c->log[i].last - c->log[i].iova) / SMALL + 1,
		                       1);
	free(c->log);
	c->log = NULL;
	c->nlog = 0;
	c->logging = false;
}

static struct oracle_mapping *mapping_at(const struct oracle_container *c, uint64_t addr)
{
	size_t i;

	for (i = 0; i < c->nmaps; i++)
		if (addr >= c->maps[i].iova && addr - c->maps[i].iova < c->maps[i].size)
			return &c->maps[i];
	return NULL;
}

static uint64_t mapping_last(const struct oracle_mapping *m)
{
	return m->iova + (m->size - 1);
}

/*
 * The IO page that holds @addr in @m: of the sizes 1 GiB, 2 MiB and the
 * container's page that @m may use, the first whose aligned block around
 * @addr lies wholly inside @m (the container's page always does).
 */
static void io_page_of(const struct oracle_container *c, const struct oracle_mapping *m,
                       uint64_t addr, uint64_t *start, uint64_t *size)
{
	const uint64_t sizes[] = {IO_1G, IO_2M};
	size_t i;

	for (i = 0; i < 2; i++) {
		uint64_t s = sizes[i], block = addr - addr % s;

		if (s <= c->pgsize || s > m->io_max)
			continue;
		if (block >= m->iova && block + (s - 1) <= mapping_last(m)) {
			*start = block;
			*size = s;
			return;
		}
	}
	*start = addr - addr % c->pgsize;
	*size = c->pgsize;
}

/* Set bit @bit of a byte-addressed bitmap: bit n is bit n % 8 of byte n / 8. */
static void set_bit(void *data, uint64_t bit)
{
	((uint8_t *)data)[bit / 8] |= (uint8_t)(1u << (bit % 8));
}

/*
 * Check a device write as DMA_RW is checked, byte by byte in address order
 * (a mapping at a time, every byte of one giving the same answer).
 */
static int write_check(const struct oracle_container *c, uint64_t iova, uint64_t len)
{
	struct oracle_mapping *m;
	uint64_t addr = iova, left = len, room;

	for (;;) {
		m = mapping_at(c, addr);
		if (!m)
			return -EINVAL;
		if (!(m->prot & DT_PROT_WRITE))
			return -EPERM;
		room = mapping_last(m) - addr + 1; /* >= 1 */
		if (left <= room)
			return 0;
		left -= room;
		if (mapping_last(m) == UINT64_MAX)
			return -EINVAL; /* the next byte would be past 2^64-1 */
		addr += room;
	}
}

int oracle_device_write(struct oracle_container *c, uint64_t iova, uint64_t len)
{
	uint64_t page, last;
	size_t i;
	int ret;

	if (!c)
		return -EINVAL;
	if (len == 0)
		return 0;
	ret = write_check(c, iova, len);
	if (ret != 0)
		return ret;
	last = iova + (len - 1);
	/* Every 4 KiB page that a byte of the write lies in. */
	for (page = iova - iova % SMALL;; page += SMALL) {
		if (c->mode == DT_TRACK_HW && c->hw_tracking) {
			struct oracle_mapping *m = mapping_at(c, page > iova ? page : iova);

			m->written[(page - m->iova) / SMALL] = 1;
		}
		if (c->mode == DT_TRACK_DMALOG && c->logging)
			for (i = 0; i < c->nlog; i++)
				if (page >= c->log[i].iova && page <= c->log[i].last)
					c->log[i].written[(page - c->log[i].iova) / SMALL] = 1;
		if (last - page < SMALL)
			break;
	}
	return 0;
}

int oracle_hw_set_dirty_tracking(struct oracle_container *c, bool enable)
{
	size_t i, j;

	if (!c)
		return -EINVAL;
	if (c->mode != DT_TRACK_HW)
		return -EOPNOTSUPP;
	/* Off, and on again from nothing: the kernel clears the bits when enabling. */
	for (i = 0; i < c->nmaps; i++)
		if (c->maps[i].written)
			oracle_hw_mapping_free(&c->maps[i]);
	c->hw_tracking = false;
	if (!enable)
		return 0;
	for (i = 0; i < c->nmaps; i++) {
		if (oracle_hw_mapping_track(&c->maps[i]) != 0) {
			for (j = 0; j < i; j++)
				oracle_hw_mapping_free(&c->maps[j]);
			return -ENOMEM;
		}
	}
	c->hw_tracking = true;
	return 0;
}

/*
 * Report the unit [start, start+size) into the bitmap of [iova, last] at
 * @page_size: one 4 KiB page at a time, the bit of the user's page that
 * holds it (so a large unit sets many bits, and several small ones share
 * one).
 */
static void report_unit(void *data, uint64_t iova, uint64_t last, uint64_t page_size,
                        uint64_t start, uint64_t size)
{
	uint64_t p;

	for (p = start;; p += SMALL) {
		if (p >= iova && p <= last)
			set_bit(data, (p - iova) / page_size);
		if (p - start >= size - SMALL)
			break;
	}
}

/* Did the device write a 4 KiB page of [start, start+size) of @bytes (from @base)? */
static bool any_written(const uint8_t *bytes, uint64_t base, uint64_t start, uint64_t size)
{
	uint64_t i;

	for (i = 0; i < size / SMALL; i++)
		if (bytes[(start - base) / SMALL + i])
			return true;
	return false;
}

int oracle_hw_dirty_bitmap(struct oracle_container *c, const struct dt_hw_dirty_bitmap *req)
{
	struct oracle_mapping *m;
	uint64_t last, addr, start, size;

	if (!c || !req)
		return -EINVAL;
	/* docs/semantics.md, hwget, in its order. */
	if (c->mode != DT_TRACK_HW)
		return -EOPNOTSUPP;
	if ((req->flags & ~DT_HW_GET_DIRTY_NO_CLEAR) != 0 || req->reserved != 0)
		return -EOPNOTSUPP;
	if (req->length == 0 || req->iova + (req->length - 1) < req->iova)
		return -EOVERFLOW;
	if (!power_of_two_from_4k(req->page_size))
		return -EINVAL;
	if (req->iova % req->page_size != 0 || req->length % req->page_size != 0 ||
	    req->iova % c->pgsize != 0 || req->length % c->pgsize != 0)
		return -EINVAL;
	if (!c->hw_tracking)
		return -EINVAL;
	last = req->iova + (req->length - 1);
	/* every byte mapped: look at each page */
	for (addr = req->iova;; addr += c->pgsize) {
		if (!mapping_at(c, addr))
			return -EINVAL;
		if (last - addr < c->pgsize)
			break;
	}
	if (!req->data)
		return -EFAULT;

	/* IO page by IO page over the range; each is reported, then cleared. */
	for (addr = req->iova;;) {
		m = mapping_at(c, addr);
		io_page_of(c, m, addr, &start, &size);
		if (any_written(m->written, m->iova, start, size)) {
			report_unit(req->data, req->iova, last, req->page_size, start, size);
			if (!(req->flags & DT_HW_GET_DIRTY_NO_CLEAR))
				memset(m->written + (start - m->iova) / SMALL, 0, size / SMALL);
		}
		if (last - start < size)
			break; /* this IO page reaches the end of the request */
		addr = start + size;
	}
	return 0;
}

int oracle_hw_get_dirty_bitmap(struct oracle_container *c, uint64_t iova, uint64_t length,
                               uint64_t page_size, uint32_t flags, void *data)
{
	struct dt_hw_dirty_bitmap req = {
	    .flags = flags,
	    .iova = iova,
	    .length = length,
	    .page_size = page_size,
	    .data = data,
	};

	return oracle_hw_dirty_bitmap(c, &req);
}

/* Swap two log ranges (for the sort below). */
static void swap_ranges(struct oracle_logrange *a, struct oracle_logrange *b)
{
	struct oracle_logrange t = *a;

	*a = *b;
	*b = t;
}

int oracle_dmalog_start(struct oracle_container *c, const struct dt_dmalog_range *ranges,
                        uint32_t nranges, uint64_t page_size)
{
	struct oracle_logrange *log;
	uint64_t total = 0, gap, best;
	size_t i, j, n, at;

	if (!c)
		return -EINVAL;
	/* docs/semantics.md, logstart, in its order. */
	if (c->mode != DT_TRACK_DMALOG)
		return -EOPNOTSUPP;
	if (nranges == 0 || !ranges)
		return -EINVAL;
	if (nranges > DT_DMALOG_RANGES_MAX)
		return -E2BIG;
	if (!power_of_two_from_4k(page_size))
		return -EINVAL;
	for (i = 0; i < nranges; i++) {
		const struct dt_dmalog_range *r = &ranges[i];

		if (r->length == 0 || r->iova % page_size != 0 || r->length % page_size != 0)
			return -EINVAL;
		/* iova + length must fit in 64 bits: ending at 2^64 is too far */
		if (r->iova > UINT64_MAX - r->length + 1 || r->iova + r->length == 0)
			return -EOVERFLOW;
		for (j = 0; j < i; j++) {
			const struct dt_dmalog_range *e = &ranges[j];

			if (r->iova <= e->iova + (e->length - 1) && e->iova <= r->iova + (r->length - 1))
				return -EINVAL;
		}
	}
	if (c->logging)
		return -EINVAL;

	log = calloc(nranges, sizeof(*log));
	if (!log)
		return -ENOMEM;
	for (i = 0; i < nranges; i++) {
		log[i].iova = ranges[i].iova;
		log[i].last = ranges[i].iova + (ranges[i].length - 1);
	}
	/* in IOVA order: a plain insertion sort */
	for (i = 1; i < nranges; i++)
		for (j = i; j > 0 && log[j - 1].iova > log[j].iova; j--)
			swap_ranges(&log[j - 1], &log[j]);
	/* merge the closest neighbours, one pair at a time, the lowest pair on a tie */
	n = nranges;
	while (c->log_max_ranges != 0 && n > c->log_max_ranges) {
		best = UINT64_MAX;
		at = 1;
		for (i = 1; i < n; i++) {
			gap = log[i].iova - log[i - 1].last;
			if (gap < best) {
				best = gap;
				at = i;
			}
		}
		log[at - 1].last = log[at].last;
		for (i = at; i + 1 < n; i++)
			log[i] = log[i + 1];
		n--;
	}
	for (i = 0; i < n; i++) {
		uint64_t bytes = log[i].last - log[i].iova; /* one less than the range's */

		if (bytes >= DT_DMALOG_BYTES_MAX || total + bytes + 1 > DT_DMALOG_BYTES_MAX) {
			free(log);
			return -E2BIG;
		}
		total += bytes + 1;
	}
	for (i = 0; i < n; i++) {
		log[i].written = oracle_page_array_alloc((log[i].last - log[i].iova) / SMALL + 1, 1);
		if (!log[i].written) {
			c->log = log;
			c->nlog = i;
			oracle_log_free(c);
			return -ENOMEM;
		}
	}
	c->log = log;
	c->nlog = n;
	c->log_page = page_size;
	c->logging = true;
	return 0;
}

int oracle_dmalog_stop(struct oracle_container *c)
{
	if (!c)
		return -EINVAL;
	if (c->mode != DT_TRACK_DMALOG)
		return -EOPNOTSUPP;
	oracle_log_free(c);
	return 0;
}

int oracle_dmalog_report(struct oracle_container *c, uint64_t iova, uint64_t length,
                         uint64_t page_size, void *data)
{
	uint64_t last, t, first_t;
	size_t i;

	if (!c)
		return -EINVAL;
	/* docs/semantics.md, logreport, in its order. */
	if (c->mode != DT_TRACK_DMALOG)
		return -EOPNOTSUPP;
	if (!power_of_two_from_4k(page_size))
		return -EINVAL;
	if (length != 0 && iova > UINT64_MAX - length + 1)
		return -EOVERFLOW; /* iova + length past 2^64-1 */
	if (length != 0 && iova + length == 0)
		return -EOVERFLOW; /* ... or exactly 2^64 */
	if (length == 0 || iova % page_size != 0 || length % page_size != 0)
		return -EINVAL;
	if (!c->logging)
		return -EINVAL;
	if (!data)
		return -EFAULT;
	last = iova + (length - 1);
	/* Each tracking page of each logged range that overlaps the request. */
	for (i = 0; i < c->nlog; i++) {
		const struct oracle_logrange *r = &c->log[i];

		if (r->iova > last || r->last < iova)
			continue;
		first_t = iova > r->iova ? iova - (iova - r->iova) % c->log_page : r->iova;
		for (t = first_t;; t += c->log_page) {
			if (any_written(r->written, r->iova, t, c->log_page)) {
				report_unit(data, iova, last, page_size, t, c->log_page);
				memset(r->written + (t - r->iova) / SMALL, 0, c->log_page / SMALL);
			}
			if (t + (c->log_page - 1) >= r->last || t + (c->log_page - 1) >= last)
				break;
		}
	}
	return 0;
}

int oracle_dmalog_ranges(struct oracle_container *c, struct dt_dmalog_range *out, size_t max)
{
	size_t i;

	if (!c || (!out && max))
		return -EINVAL;
	if (c->mode != DT_TRACK_DMALOG)
		return -EOPNOTSUPP;
	for (i = 0; i < c->nlog && i < max; i++) {
		out[i].iova = c->log[i].iova;
		out[i].length = c->log[i].last - c->log[i].iova + 1;
	}
	return (int)c->nlog;
}

enum dt_track_mode oracle_mode(const struct oracle_container *c)
{
	return c->mode;
}

bool oracle_hw_tracking(const struct oracle_container *c)
{
	return c->hw_tracking;
}

bool oracle_logging(const struct oracle_container *c)
{
	return c->logging;
}
