// SPDX-License-Identifier: MIT
/*
 * fuzz_hw - the second and third modes of libdirtytrack (hwdirty.h: IOMMU
 * dirty bits, a device's DMA logging) against the naive oracle, on
 * operation sequences decoded from the fuzz input.
 *
 * The first byte picks the container (mode, pgsize, the default IO page
 * size, the device's limit on logged ranges); then each operation is one
 * of map (with an IO page size or not), unmap, device write, hwstart,
 * hwstop, hwget, logstart, logstop, logreport and the type1 start, stop
 * and get, with arguments aimed at a 4 GiB window where 2 MiB and 1 GiB IO
 * pages fit, at its 2 MiB and 1 GiB boundaries, and now and then anywhere.
 * Every errno, every byte of every bitmap buffer (filled with the same
 * bytes on both sides, at the offset the input chooses, between guards)
 * and the ranges the device logs must be the same on both sides.
 *
 * No mapping's memory is ever touched (a device write is the device's;
 * nothing here copies), so the mappings' vaddrs are made up.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirtytrack/dirtytrack.h>

#include "fuzz.h"
#include "oracle.h"

#define WINDOW 0x40000000ull
#define M2 (2ull << 20)
#define G1 (1ull << 30)
#define FAKE_VADDR (1ull << 45)
#define OPS_MAX 256
#define GUARD 16u
/* Bitmaps are real up to this size; a bigger request passes NULL. */
#define BUF_MAX (64u << 10)
#define RANGES_MAX 8

struct input {
	const uint8_t *p;
	size_t n;
};

static uint8_t take(struct input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint64_t take_n(struct input *in, unsigned int bytes)
{
	uint64_t v = 0;

	while (bytes--)
		v = v << 8 | take(in);
	return v;
}

struct side {
	struct dt_container *e;
	struct oracle_container *o;
	uint64_t pgsize;
	unsigned int op;
};

__attribute__((format(printf, 2, 3), noreturn)) static void differ(const struct side *s,
								   const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz_hw: operation %u: ", s->op);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static void same_ret(const struct side *s, const char *what, int re, int ro)
{
	if (getenv("FUZZ_TRACE"))
		fprintf(stderr, "%u: %s -> %d\n", s->op, what, re);
	if (re != ro)
		differ(s, "%s: engine %d, oracle %d", what, re, ro);
}

static void op_container(struct side *s, struct input *in)
{
	static const uint64_t pgsizes[] = {4096, 4096, 8192, 65536};
	static const uint64_t ios[] = {0, 0, M2, G1, 4096, 3, 65536, 4ull << 20};
	static const enum dt_track_mode modes[] = {DT_TRACK_HW, DT_TRACK_HW, DT_TRACK_DMALOG,
						   DT_TRACK_TYPE1};
	struct dt_container_config cfg;
	struct dt_container *e;
	struct oracle_container *o;
	uint8_t b = take(in);
	int re, ro;

	dt_container_config_init(&cfg);
	cfg.mode = modes[b & 3];
	cfg.pgsize = pgsizes[(b >> 2) & 3];
	cfg.io_pgsize = ios[(b >> 4) & 7];
	cfg.log_max_ranges = take(in) % 4;
	re = dt_container_create(&cfg, &e);
	ro = oracle_container_create(&cfg, &o);
	same_ret(s, "container", re, ro);
	if (re < 0)
		return;
	dt_container_destroy(s->e);
	oracle_container_destroy(s->o);
	s->e = e;
	s->o = o;
	s->pgsize = cfg.pgsize;
}

/* An address: a page of the window, a 2 MiB or 1 GiB boundary, the top, or anything. */
static uint64_t pick_iova(struct side *s, struct input *in)
{
	uint8_t b = take(in);

	switch (b & 7) {
	case 0:
	case 1:
	case 2:
		return WINDOW + take_n(in, 2) % 4096 * s->pgsize;
	case 3:
		return WINDOW + take(in) % 64 * M2;
	case 4:
		return WINDOW + (b >> 3) % 4 * G1;
	case 5:
		return 0 - (1 + (b >> 3) % 4) * s->pgsize;
	case 6:
		return WINDOW + take_n(in, 4); /* unaligned, most of the time */
	default:
		return take_n(in, 8);
	}
}

static uint64_t pick_size(struct side *s, struct input *in)
{
	uint8_t b = take(in);

	switch (b & 7) {
	case 0:
	case 1:
		return (1 + take(in) % 32) * s->pgsize;
	case 2:
		return (1 + (b >> 3) % 4) * M2;
	case 3:
		return (1 + (b >> 3) % 2) * G1 + ((b >> 5) & 1) * s->pgsize;
	case 4:
		return 0;
	case 5:
		return take_n(in, 3);
	case 6:
		return M2 + s->pgsize;
	default:
		return take_n(in, 8);
	}
}

static uint64_t pick_page_size(struct input *in)
{
	uint8_t b = take(in);

	if ((b & 15) == 15) {
		static const uint64_t odd[] = {0, 2048, 3 * 4096, 1, 1ull << 63, 4096 + 1, 1ull << 40, 8};

		return odd[(b >> 4) & 7];
	}
	return 1ull << (12 + b % 19); /* 4 KiB to 1 GiB */
}

static void op_map(struct side *s, struct input *in)
{
	static const uint64_t ios[] = {0, M2, G1, 4096, 65536, 5, 0, 0};
	uint64_t iova = pick_iova(s, in), size = pick_size(s, in);
	uint64_t io = ios[take(in) & 7];
	uint64_t vaddr = FAKE_VADDR + iova % (1ull << 40);
	uint32_t prot = take(in) % 8 == 7 ? DT_PROT_READ : DT_PROT_READ | DT_PROT_WRITE;

	/* The oracle keeps bytes per page of a mapping: keep them to a few GiB. */
	if (size > (4ull << 30))
		size = 4ull << 30;
	if (io)
		same_ret(s, "map_io", dt_dma_map_io(s->e, iova, size, vaddr, prot, io),
			 oracle_dma_map_io(s->o, iova, size, vaddr, prot, io));
	else
		same_ret(s, "map", dt_dma_map(s->e, iova, size, vaddr, prot),
			 oracle_dma_map(s->o, iova, size, vaddr, prot));
}

static void op_unmap(struct side *s, struct input *in)
{
	uint64_t iova = pick_iova(s, in), size = pick_size(s, in), ue = 0, uo = 0;

	same_ret(s, "unmap", dt_unmap(s->e, iova, size, &ue), oracle_unmap(s->o, iova, size, &uo));
	if (ue != uo)
		differ(s, "unmap: 0x%llx unmapped by the engine, 0x%llx by the oracle",
		       (unsigned long long)ue, (unsigned long long)uo);
}

static void op_write(struct side *s, struct input *in)
{
	static const uint64_t lens[] = {1, 2, 8, 4096, 4097, M2, 0, 3};
	uint64_t iova = pick_iova(s, in) + take(in) % 8, len = lens[take(in) & 7];

	same_ret(s, "write", dt_device_write(s->e, iova, len), oracle_device_write(s->o, iova, len));
}

/* hwget (@hw) or logreport into the same buffers; compare every byte. */
static void op_bitmap(struct side *s, struct input *in, bool hw)
{
	struct dt_hw_dirty_bitmap q = {0};
	uint8_t *be = NULL, *bo = NULL, b = take(in);
	uint64_t bytes;
	unsigned int offset = b % 8;
	size_t len = 0, i;
	int re, ro;

	q.iova = pick_iova(s, in);
	q.length = pick_size(s, in);
	q.page_size = pick_page_size(in);
	/* (the oracle's walk: 16 GiB at most, unless it fails before walking) */
	if (q.length > (16ull << 30) && q.length < (1ull << 62))
		q.length %= 16ull << 30;
	q.flags = (b >> 3) & 1 ? DT_HW_GET_DIRTY_NO_CLEAR : 0;
	if ((b >> 4) == 15)
		q.flags = 2;
	if ((b >> 4) == 14)
		q.reserved = 1;
	bytes = dt_bitmap_bytes(q.page_size ? q.length / q.page_size : 0);
	if ((b >> 4) != 13 && bytes <= BUF_MAX) {
		len = GUARD + offset + bytes + GUARD;
		be = malloc(len);
		bo = malloc(len);
		if (!be || !bo)
			abort();
		for (i = 0; i < len; i++)
			be[i] = bo[i] = (uint8_t)(i * 37 + b);
	}
	if (hw) {
		struct dt_hw_dirty_bitmap qo = q;

		q.data = be ? be + GUARD + offset : NULL;
		qo.data = bo ? bo + GUARD + offset : NULL;
		re = dt_hw_dirty_bitmap(s->e, &q);
		ro = oracle_hw_dirty_bitmap(s->o, &qo);
	} else {
		re = dt_dmalog_report(s->e, q.iova, q.length, q.page_size,
				      be ? be + GUARD + offset : NULL);
		ro = oracle_dmalog_report(s->o, q.iova, q.length, q.page_size,
					  bo ? bo + GUARD + offset : NULL);
	}
	same_ret(s, hw ? "hwget" : "logreport", re, ro);
	if (be && memcmp(be, bo, len) != 0) {
		for (i = 0; be[i] == bo[i]; i++)
			;
		differ(s, "%s: buffer byte %zu: engine 0x%02x, oracle 0x%02x", hw ? "hwget" : "logreport",
		       i, be[i], bo[i]);
	}
	free(be);
	free(bo);
}

static void same_logged(const struct side *s)
{
	struct dt_dmalog_range re[RANGES_MAX], ro[RANGES_MAX];
	int ne = dt_dmalog_ranges(s->e, re, RANGES_MAX), no = oracle_dmalog_ranges(s->o, ro, RANGES_MAX);

	if (ne != no)
		differ(s, "logged ranges: engine %d, oracle %d", ne, no);
	if (ne > 0 && memcmp(re, ro, (size_t)(ne < RANGES_MAX ? ne : RANGES_MAX) * sizeof(re[0])))
		differ(s, "logged ranges differ");
}

static void op_logstart(struct side *s, struct input *in)
{
	struct dt_dmalog_range r[DT_DMALOG_RANGES_MAX + 1];
	uint8_t b = take(in);
	uint32_t n = b % RANGES_MAX, i;
	uint64_t page = pick_page_size(in);

	if ((b >> 3) == 31) {
		n = DT_DMALOG_RANGES_MAX + 1;
		for (i = 0; i < n; i++)
			r[i] = (struct dt_dmalog_range){WINDOW, 4096};
	} else {
		for (i = 0; i < n; i++) {
			r[i].iova = pick_iova(s, in);
			r[i].length = pick_size(s, in);
			/* mostly ranges the tracking page divides */
			if (take(in) % 4 && page >= 4096 && !(page & (page - 1)) && page <= G1) {
				r[i].iova -= r[i].iova % page;
				r[i].length += (page - r[i].length % page) % page;
			}
			/*
			 * The oracle walks a REPORT 4 KiB at a time: a log of up to 64
			 * GiB keeps an input fast; above 8 TiB it is refused anyway.
			 */
			if (r[i].length > (64ull << 30) && r[i].length <= DT_DMALOG_BYTES_MAX)
				r[i].length = 64ull << 30;
		}
	}
	same_ret(s, "logstart", dt_dmalog_start(s->e, r, n, page), oracle_dmalog_start(s->o, r, n, page));
	same_logged(s);
}

static void op_type1_get(struct side *s, struct input *in)
{
	uint64_t iova = pick_iova(s, in), size = pick_size(s, in);
	uint64_t bytes = dt_bitmap_bytes(size / s->pgsize);
	struct dt_bitmap be = {s->pgsize, bytes, NULL}, bo = be;
	int re, ro;

	if (bytes > BUF_MAX || !bytes)
		return;
	be.data = calloc(1, bytes);
	bo.data = calloc(1, bytes);
	if (!be.data || !bo.data)
		abort();
	re = dt_get_bitmap(s->e, iova, size, &be);
	ro = oracle_get_bitmap(s->o, iova, size, &bo);
	same_ret(s, "get", re, ro);
	if (memcmp(be.data, bo.data, bytes))
		differ(s, "get: the bitmaps differ");
	free(be.data);
	free(bo.data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {data, size};
	struct dt_container_config cfg;
	struct side s = {0};

	dt_container_config_init(&cfg);
	if (dt_container_create(&cfg, &s.e) || oracle_container_create(&cfg, &s.o))
		abort();
	s.pgsize = 4096;
	op_container(&s, &in);
	for (s.op = 0; in.n && s.op < OPS_MAX; s.op++) {
		switch (take(&in) % 14) {
		case 0:
			op_container(&s, &in);
			break;
		case 1:
		case 2:
			op_map(&s, &in);
			break;
		case 3:
			op_unmap(&s, &in);
			break;
		case 4:
		case 5:
			op_write(&s, &in);
			break;
		case 6: {
			bool on = take(&in) % 4 != 0;

			same_ret(&s, "hwstart/stop", dt_hw_set_dirty_tracking(s.e, on),
				 oracle_hw_set_dirty_tracking(s.o, on));
			break;
		}
		case 7:
		case 8:
			op_bitmap(&s, &in, true);
			break;
		case 9:
			op_logstart(&s, &in);
			break;
		case 10:
			same_ret(&s, "logstop", dt_dmalog_stop(s.e), oracle_dmalog_stop(s.o));
			break;
		case 11:
			op_bitmap(&s, &in, false);
			break;
		case 12:
			if (take(&in) % 2)
				same_ret(&s, "start", dt_dirty_start(s.e), oracle_dirty_start(s.o));
			else
				same_ret(&s, "stop", dt_dirty_stop(s.e), oracle_dirty_stop(s.o));
			break;
		case 13:
			op_type1_get(&s, &in);
			break;
		}
	}
	dt_container_destroy(s.e);
	oracle_container_destroy(s.o);
	return 0;
}
