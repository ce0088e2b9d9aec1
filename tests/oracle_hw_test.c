// SPDX-License-Identifier: MIT
/*
 * oracle_hw_test - the differential test of the model's second and third
 * modes (hwdirty.h: IOMMU dirty bits, a device's DMA logging) against the
 * naive oracle (tests/oracle/oracle_hw.c).
 *
 * Each seed gives one random sequence in a container of one mode: mappings
 * of small pages and of 2 MiB and 1 GiB IO pages in a 4 GiB window, device
 * writes (inside mappings, across them, outside, at the top of the address
 * space), tracking on and off, GET_DIRTY_BITMAP and REPORT at every page
 * size from 4 KiB to 1 GiB over whole mappings, parts of them and holes,
 * with and without NO_CLEAR, into bitmaps at every byte offset, DMA
 * logging STARTs of valid and invalid range lists on devices with a limit
 * on ranges; the type1 calls too, which the hw mode refuses and the
 * logging mode keeps. Every errno is compared, every byte of every bitmap
 * buffer (filled with the same random bytes on both sides beforehand, and
 * guarded on both sides, so that a bit cleared or a byte written out of
 * place shows), and the ranges the device logs after each START.
 *
 * The generator looks at its own random stream and the oracle only, so
 * --emit-replay (the oracle alone) prints the sequence the test ran, in
 * the replay language (docs/semantics.md, "Replay additions").
 *
 * Exit: 0 no difference, 1 a difference ("oracle: difference ..."), 2 bad usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirtytrack/dirtytrack.h>

#include "oracle.h"

#define WINDOW 0x40000000ull /* 1 GiB: aligned to every IO page size */
#define WINDOW_BYTES (4ull << 30)
#define FAKE_VADDR (1ull << 45) /* nothing here touches a mapping's memory */
#define GUARD 16u
#define BUF_MAX (1u << 20) /* larger bitmaps go as data=0 */
#define RANGES_MAX (DT_DMALOG_RANGES_MAX + 1)
#define M2 (2ull << 20)
#define G1 (1ull << 30)

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t below(struct rng *r, uint64_t n)
{
	return n ? rnd(r) % n : 0;
}

static bool chance(struct rng *r, unsigned int percent)
{
	return below(r, 100) < percent;
}

enum kind {
	K_CONTAINER,
	K_MAP,
	K_UNMAP,
	K_WRITE,
	K_HWSTART,
	K_HWSTOP,
	K_HWGET,
	K_LOGSTART,
	K_LOGSTOP,
	K_LOGREPORT,
	K_START,
	K_STOP,
	K_GET,
};

struct op {
	enum kind kind;
	/* container */
	enum dt_track_mode mode;
	uint64_t pgsize, io_pgsize;
	uint32_t maxranges;
	/* map, unmap, write, get, hwget, logreport */
	uint64_t iova, size, vaddr;
	uint32_t prot;
	uint64_t iopg; /* map: 0 = absent */
	bool bitmap;   /* unmap */
	uint64_t page_size;
	uint32_t flags, reserved;
	unsigned int offset;
	bool null;
	/* logstart */
	struct dt_dmalog_range ranges[RANGES_MAX];
	uint32_t nranges;
};

struct text {
	char *s;
	size_t len, cap;
};

__attribute__((format(printf, 2, 3))) static void tprintf(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->s ? t->s + t->len : NULL, t->s ? t->cap - t->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			abort();
		if (t->s && t->len + (size_t)n < t->cap) {
			t->len += (size_t)n;
			return;
		}
		t->cap = (t->cap + (size_t)n + 1) * 2;
		t->s = realloc(t->s, t->cap);
		if (!t->s)
			abort();
		if (t->len == 0)
			t->s[0] = '\0';
	}
}

static const char *mode_name(enum dt_track_mode m)
{
	return m == DT_TRACK_HW ? "hw" : m == DT_TRACK_DMALOG ? "dmalog" : "type1";
}

/* The operation as a replay line (docs/semantics.md, "Replay additions"). */
static void op_text(struct text *t, const struct op *op)
{
	uint32_t i;

	switch (op->kind) {
	case K_CONTAINER:
		tprintf(t, "container pgsize=%" PRIu64 " mode=%s", op->pgsize, mode_name(op->mode));
		if (op->io_pgsize)
			tprintf(t, " iopgsize=0x%" PRIx64, op->io_pgsize);
		if (op->maxranges)
			tprintf(t, " maxranges=%u", op->maxranges);
		break;
	case K_MAP:
		tprintf(t, "map iova=0x%" PRIx64 " size=0x%" PRIx64, op->iova, op->size);
		if (op->prot != (DT_PROT_READ | DT_PROT_WRITE))
			tprintf(t, " prot=%s", op->prot == DT_PROT_READ ? "r" : "w");
		if (op->iopg)
			tprintf(t, " iopgsize=0x%" PRIx64, op->iopg);
		break;
	case K_UNMAP:
		tprintf(t, "unmap iova=0x%" PRIx64 " size=0x%" PRIx64 "%s", op->iova, op->size,
			op->bitmap ? " bitmap=1" : "");
		break;
	case K_WRITE:
		tprintf(t, "write iova=0x%" PRIx64 " len=0x%" PRIx64, op->iova, op->size);
		break;
	case K_HWSTART:
		tprintf(t, "hwstart");
		break;
	case K_HWSTOP:
		tprintf(t, "hwstop");
		break;
	case K_HWGET:
	case K_LOGREPORT:
		tprintf(t, "%s iova=0x%" PRIx64 " length=0x%" PRIx64 " pgsize=0x%" PRIx64,
			op->kind == K_HWGET ? "hwget" : "logreport", op->iova, op->size,
			op->page_size);
		if (op->flags == DT_HW_GET_DIRTY_NO_CLEAR)
			tprintf(t, " noclear=1");
		else if (op->flags)
			tprintf(t, " flags=%u", op->flags);
		if (op->reserved)
			tprintf(t, " reserved=%u", op->reserved);
		if (op->offset)
			tprintf(t, " offset=%u", op->offset);
		if (op->null)
			tprintf(t, " data=0");
		break;
	case K_LOGSTART:
		tprintf(t, "logstart ranges=");
		for (i = 0; i < op->nranges; i++)
			tprintf(t, "%s0x%" PRIx64 ":0x%" PRIx64, i ? "," : "", op->ranges[i].iova,
				op->ranges[i].length);
		tprintf(t, " pgsize=0x%" PRIx64, op->page_size);
		break;
	case K_LOGSTOP:
		tprintf(t, "logstop");
		break;
	case K_START:
		tprintf(t, "start");
		break;
	case K_STOP:
		tprintf(t, "stop");
		break;
	case K_GET:
		tprintf(t, "get iova=0x%" PRIx64 " size=0x%" PRIx64, op->iova, op->size);
		break;
	}
}

/* ---- the generator: its random stream and the oracle, never the engine ---- */

struct gen {
	struct rng r;
	uint64_t pgsize;
};

static size_t nmaps(const struct oracle_container *o)
{
	return oracle_mapping_count(o);
}

static struct oracle_mapping_view map_at(const struct oracle_container *o, size_t i)
{
	struct oracle_mapping_view v;

	oracle_mapping_at(o, i, &v);
	return v;
}

static uint64_t round_down(uint64_t x, uint64_t a)
{
	return x - x % a;
}

static uint64_t pick_pow2(struct rng *r, unsigned int lo, unsigned int hi)
{
	return 1ull << (lo + below(r, hi - lo + 1));
}

/* A page size for a request: mostly 4 KiB or an IO page size, any power of two, some bad ones. */
static uint64_t pick_page_size(struct gen *g)
{
	static const uint64_t odd[] = {0, 2048, 3 * 4096, 1ull << 31, 1};

	switch (below(&g->r, 10)) {
	case 0:
	case 1:
	case 2:
		return 4096;
	case 3:
		return M2;
	case 4:
		return G1;
	case 5:
		return odd[below(&g->r, 5)];
	default:
		return pick_pow2(&g->r, 12, 30);
	}
}

static void gen_container(struct gen *g, struct op *op)
{
	static const uint64_t pgsizes[] = {4096, 4096, 4096, 8192, 65536, M2};
	static const uint64_t iopgs[] = {0, 0, M2, G1, 4096, 1ull << 22};
	static const uint32_t limits[] = {0, 0, 1, 2, 3, 5};

	op->kind = K_CONTAINER;
	op->pgsize = pgsizes[below(&g->r, 6)];
	op->mode = chance(&g->r, 48) ? DT_TRACK_HW : chance(&g->r, 90) ? DT_TRACK_DMALOG
									: DT_TRACK_TYPE1;
	op->io_pgsize = iopgs[below(&g->r, 6)];
	op->maxranges = limits[below(&g->r, 6)];
}

static void gen_map(struct gen *g, const struct oracle_container *o, struct op *op)
{
	uint64_t pg = g->pgsize, unit;
	static const uint64_t iopgs[] = {0, 0, 0, M2, G1, 4096, 1ull << 22};

	op->kind = K_MAP;
	op->prot = chance(&g->r, 90) ? DT_PROT_READ | DT_PROT_WRITE : chance(&g->r, 50) ? DT_PROT_READ
										      : DT_PROT_WRITE;
	op->iopg = iopgs[below(&g->r, 7)];
	switch (below(&g->r, 8)) {
	case 0:
	case 1: /* small pages anywhere in the window */
		op->iova = WINDOW + below(&g->r, WINDOW_BYTES / pg) * pg;
		op->size = (1 + below(&g->r, 24)) * pg;
		break;
	case 2:
	case 3: /* 2 MiB pages, a ragged head or tail now and then */
		unit = M2 > pg ? M2 : pg;
		op->iova = WINDOW + below(&g->r, WINDOW_BYTES / unit) * unit;
		op->size = (1 + below(&g->r, 6)) * unit;
		if (chance(&g->r, 30))
			op->iova += below(&g->r, 4) * pg;
		if (chance(&g->r, 30))
			op->size += (1 + below(&g->r, 3)) * pg;
		break;
	case 4: /* 1 GiB pages */
		op->iova = WINDOW + below(&g->r, 3) * G1;
		op->size = (1 + below(&g->r, 2)) * G1;
		if (chance(&g->r, 30))
			op->size += M2 * (1 + below(&g->r, 2));
		if (chance(&g->r, 20))
			op->iova -= M2;
		break;
	case 5: /* next to an existing mapping, to make neighbours */
		if (nmaps(o)) {
			struct oracle_mapping_view v = map_at(o, below(&g->r, nmaps(o)));

			op->iova = v.iova + v.size;
			op->size = (1 + below(&g->r, 600)) * pg;
			break;
		}
		/* fall through */
	case 6: /* the top of the address space */
		op->size = (1 + below(&g->r, 4)) * pg;
		op->iova = 0 - op->size;
		op->vaddr = FAKE_VADDR + (8ull << 30);
		return;
	default: /* a 2 MiB-aligned mapping of 4 MiB and a page */
		op->iova = WINDOW + below(&g->r, WINDOW_BYTES / M2) * M2;
		op->size = 2 * M2 + pg;
		break;
	}
	/* Aligned as the iova is, and far from the top: no wrap-around to refuse. */
	op->vaddr = FAKE_VADDR + op->iova % (1ull << 40);
}

/* A range over mappings: one, several adjacent ones, a part, a hole, or anything. */
static void pick_range(struct gen *g, const struct oracle_container *o, uint64_t align,
		       uint64_t *iova, uint64_t *size)
{
	struct oracle_mapping_view v, w;
	uint64_t lo, hi, n, first, end;
	size_t i, j;

	if (!nmaps(o) || chance(&g->r, 8)) {
		*iova = WINDOW + below(&g->r, WINDOW_BYTES / 4096) * 4096;
		*size = (1 + below(&g->r, 64)) * 4096;
		return;
	}
	i = below(&g->r, nmaps(o));
	v = map_at(o, i);
	lo = v.iova;
	hi = v.iova + v.size; /* may be 0 at the top of the address space */
	switch (below(&g->r, 5)) {
	case 0: /* the whole mapping and its right neighbours that touch */
		for (j = 0; j < nmaps(o); j++) {
			w = map_at(o, j);
			if (w.iova == hi && hi != 0 && chance(&g->r, 70)) {
				hi = w.iova + w.size;
				j = (size_t)-1;
			}
		}
		break;
	case 1: /* a part, aligned to @align */
		first = (lo + align - 1) / align * align;
		end = round_down(hi, align);
		if (hi != 0 && first >= lo && end > first) {
			n = (end - first) / align;
			lo = first + below(&g->r, n) * align;
			hi = lo + (1 + below(&g->r, (end - lo) / align)) * align;
		}
		break;
	case 2: /* a page more than the mapping, now and then: a hole, or the neighbour's */
		if (chance(&g->r, 50))
			hi += 4096;
		break;
	default:
		break;
	}
	*iova = lo;
	*size = hi - lo;
}

static void gen_bitmap_req(struct gen *g, const struct oracle_container *o, struct op *op)
{
	uint64_t bits, align;
	unsigned int k;

	op->page_size = pick_page_size(g);
	pick_range(g, o, op->page_size >= 4096 ? op->page_size : 4096, &op->iova, &op->size);
	if (chance(&g->r, 60) && ((op->iova | op->size) & 4095) == 0) {
		/* mostly a page size the range is aligned to, at least 4 KiB, at most 1 GiB */
		align = (op->iova | op->size) ? (op->iova | op->size) & (0 - (op->iova | op->size)) : G1;
		for (k = 12; k < 30 && (1ull << (k + 1)) <= align; k++)
			;
		op->page_size = 1ull << (12 + below(&g->r, k - 12 + 1));
	}
	if (chance(&g->r, 5)) {
		static const uint64_t odd_len[] = {0, 1, 4096 - 1};

		op->size = odd_len[below(&g->r, 3)];
	}
	if (chance(&g->r, 3)) {
		op->iova = 0 - 4096 * (1 + below(&g->r, 2));
		op->size = 4096 * (1 + below(&g->r, 3));
	}
	op->flags = chance(&g->r, 25) ? DT_HW_GET_DIRTY_NO_CLEAR : 0;
	if (chance(&g->r, 3))
		op->flags = 2 + (uint32_t)below(&g->r, 3);
	op->reserved = chance(&g->r, 3) ? 1 : 0;
	op->offset = (unsigned int)below(&g->r, 8);
	op->null = chance(&g->r, 3);
	bits = op->page_size ? op->size / op->page_size : 0;
	if (dt_bitmap_bytes(bits) > BUF_MAX)
		op->null = true;
}

static void gen_logstart(struct gen *g, const struct oracle_container *o, struct op *op)
{
	static const uint64_t pages[] = {4096, 4096, 8192, 65536, M2, M2, G1};
	uint64_t t, base;
	uint32_t i, n;

	op->kind = K_LOGSTART;
	op->page_size = pages[below(&g->r, 7)];
	if (chance(&g->r, 4))
		op->page_size = pick_page_size(g);
	t = op->page_size >= 4096 && !(op->page_size & (op->page_size - 1)) ? op->page_size : 4096;
	if (chance(&g->r, 3)) {
		/* too many: the kernel's limit before any range is read */
		op->nranges = DT_DMALOG_RANGES_MAX + 1;
		for (i = 0; i < op->nranges; i++)
			op->ranges[i] = (struct dt_dmalog_range){0, 4096};
		return;
	}
	n = (uint32_t)(chance(&g->r, 5) ? 0 : 1 + below(&g->r, 6));
	op->nranges = n;
	base = below(&g->r, 64);
	for (i = 0; i < n; i++) {
		struct dt_dmalog_range *r = &op->ranges[i];

		if (nmaps(o) && chance(&g->r, 75)) {
			/* a mapping, its ends rounded out to the tracking page: mostly the next one */
			struct oracle_mapping_view v =
			    map_at(o, chance(&g->r, 80) ? (i + base) % nmaps(o) : below(&g->r, nmaps(o)));
			uint64_t end = v.iova + v.size;

			r->iova = round_down(v.iova, t);
			r->length = end == 0 ? 0 - r->iova : (end + t - 1) / t * t - r->iova;
		} else {
			r->iova = round_down(WINDOW + below(&g->r, WINDOW_BYTES), t);
			r->length = t * (1 + below(&g->r, 8));
		}
		switch (below(&g->r, 40)) {
		case 0:
			r->length = 0;
			break;
		case 1:
			r->iova += 4096 / 2;
			break;
		case 2: /* ends at 2^64: the kernel's iova + length overflows */
			r->iova = 0 - t;
			r->length = t;
			break;
		case 3: /* more than the device can log */
			r->iova = 0;
			r->length = 16ull << 40;
			break;
		default:
			break;
		}
	}
}

static void gen_write(struct gen *g, const struct oracle_container *o, struct op *op)
{
	static const uint64_t lens[] = {1, 2, 8, 100, 4096, 5000, 3 * 4096 + 1, M2, M2 + 4096, 64};

	op->kind = K_WRITE;
	op->size = lens[below(&g->r, 10)];
	if (chance(&g->r, 3))
		op->size = 0;
	if (nmaps(o) && chance(&g->r, 90)) {
		struct oracle_mapping_view v = map_at(o, below(&g->r, nmaps(o)));

		op->iova = v.iova + below(&g->r, v.size);
		if (chance(&g->r, 80) && op->size > v.iova + (v.size - 1) - op->iova + 1)
			op->size = v.iova + (v.size - 1) - op->iova + 1; /* mostly inside */
		if (chance(&g->r, 10))
			op->iova = v.iova + v.size - 1 - below(&g->r, 8); /* into what follows */
	} else {
		op->iova = chance(&g->r, 50) ? 0 - 1 - below(&g->r, 8192)
					     : WINDOW + below(&g->r, WINDOW_BYTES);
	}
}

static void gen_op(struct gen *g, const struct oracle_container *o, struct op *op)
{
	uint64_t pick = below(&g->r, 100);
	enum dt_track_mode mode = oracle_mode(o);

	memset(op, 0, sizeof(*op));
	/* A container that does not track yet: start, mostly. */
	if (((mode == DT_TRACK_HW && !oracle_hw_tracking(o)) ||
	     (mode == DT_TRACK_DMALOG && !oracle_logging(o))) &&
	    nmaps(o) && chance(&g->r, 30))
		pick = 50;
	if (pick < 2) {
		gen_container(g, op);
	} else if (pick < 20) {
		gen_map(g, o, op);
	} else if (pick < 25) {
		op->kind = K_UNMAP;
		pick_range(g, o, 4096, &op->iova, &op->size);
		op->bitmap = chance(&g->r, 30) &&
			     dt_bitmap_bytes(op->size / g->pgsize) <= BUF_MAX;
	} else if (pick < 50) {
		gen_write(g, o, op);
	} else if (pick < 57) {
		/* the mode's START, or (less often) another mode's */
		if (mode == DT_TRACK_HW || chance(&g->r, 10))
			op->kind = chance(&g->r, 80) ? K_HWSTART : K_HWSTOP;
		else
			gen_logstart(g, o, op);
	} else if (pick < 60) {
		op->kind = mode == DT_TRACK_HW ? K_HWSTOP : K_LOGSTOP;
	} else if (pick < 90) {
		gen_bitmap_req(g, o, op);
		op->kind = (mode == DT_TRACK_HW) == !chance(&g->r, 8) ? K_HWGET : K_LOGREPORT;
		/* REPORT has neither flags nor reserved: the replay has no keys for them */
		if (op->kind == K_LOGREPORT)
			op->flags = op->reserved = 0;
	} else if (pick < 94) {
		op->kind = chance(&g->r, 70) ? K_START : K_STOP;
	} else {
		op->kind = K_GET;
		pick_range(g, o, g->pgsize, &op->iova, &op->size);
		if (dt_bitmap_bytes(op->size / g->pgsize) > BUF_MAX)
			op->kind = K_STOP;
	}
}

/* ---- running an operation on both sides ------------------------------------ */

struct sides {
	struct dt_container *e;
	struct oracle_container *o;
};

struct result {
	struct text why;
	int re, ro;
};

/* A bitmap buffer pair: guard, offset, the bitmap, guard; the same random bytes in both. */
struct bufs {
	uint8_t *e, *o;
	size_t len;
};

static void bufs_make(struct bufs *b, struct rng *r, uint64_t bytes, unsigned int offset)
{
	size_t i;

	b->len = GUARD + offset + bytes + GUARD;
	b->e = malloc(b->len);
	b->o = malloc(b->len);
	if (!b->e || !b->o)
		abort();
	for (i = 0; i < b->len; i++)
		b->e[i] = b->o[i] = (uint8_t)(chance(r, 50) ? 0 : rnd(r));
}

static bool bufs_same(const struct bufs *b, struct result *res, unsigned int offset)
{
	size_t i;

	for (i = 0; i < b->len; i++) {
		if (b->e[i] != b->o[i]) {
			tprintf(&res->why, "buffer byte %lld (of the bitmap at offset %u): engine 0x%02x, "
					   "oracle 0x%02x",
				(long long)i - GUARD - (long long)offset, offset, b->e[i], b->o[i]);
			return false;
		}
	}
	return true;
}

static void bufs_free(struct bufs *b)
{
	free(b->e);
	free(b->o);
}

static bool same_ranges(const struct sides *s, struct result *res)
{
	struct dt_dmalog_range re[RANGES_MAX], ro[RANGES_MAX];
	int ne = dt_dmalog_ranges(s->e, re, RANGES_MAX), no = oracle_dmalog_ranges(s->o, ro, RANGES_MAX);
	int i;

	if (ne != no) {
		tprintf(&res->why, "the device logs %d ranges (engine), %d (oracle)", ne, no);
		return false;
	}
	for (i = 0; i < ne && i < (int)RANGES_MAX; i++)
		if (re[i].iova != ro[i].iova || re[i].length != ro[i].length) {
			tprintf(&res->why, "logged range %d: engine 0x%" PRIx64 ":0x%" PRIx64
					   ", oracle 0x%" PRIx64 ":0x%" PRIx64,
				i, re[i].iova, re[i].length, ro[i].iova, ro[i].length);
			return false;
		}
	return true;
}

/* Run @op on both sides; false on a difference (with @res->why). */
static bool run_op(struct sides *s, struct rng *fill, const struct op *op, struct result *res)
{
	struct dt_container_config cfg;
	struct bufs b = {0};
	bool same = true;
	uint64_t bytes;

	switch (op->kind) {
	case K_CONTAINER: {
		struct dt_container *e;
		struct oracle_container *o;

		dt_container_config_init(&cfg);
		cfg.pgsize = op->pgsize;
		cfg.mode = op->mode;
		cfg.io_pgsize = op->io_pgsize;
		cfg.log_max_ranges = op->maxranges;
		res->re = dt_container_create(&cfg, &e);
		res->ro = oracle_container_create(&cfg, &o);
		if (res->re == 0) {
			dt_container_destroy(s->e);
			s->e = e;
		}
		if (res->ro == 0) {
			oracle_container_destroy(s->o);
			s->o = o;
		}
		break;
	}
	case K_MAP:
		if (op->iopg) {
			res->re = dt_dma_map_io(s->e, op->iova, op->size, op->vaddr, op->prot, op->iopg);
			res->ro = oracle_dma_map_io(s->o, op->iova, op->size, op->vaddr, op->prot,
						    op->iopg);
		} else {
			res->re = dt_dma_map(s->e, op->iova, op->size, op->vaddr, op->prot);
			res->ro = oracle_dma_map(s->o, op->iova, op->size, op->vaddr, op->prot);
		}
		break;
	case K_UNMAP: {
		uint64_t ue = 0, uo = 0;

		if (op->bitmap) {
			uint64_t pg = oracle_pgsize(s->o);
			struct dt_bitmap be, bo;

			bytes = dt_bitmap_bytes(op->size / pg);
			bufs_make(&b, fill, bytes, 0);
			memset(b.e + GUARD, 0, bytes); /* type1 wants a zeroed buffer */
			memset(b.o + GUARD, 0, bytes);
			be = (struct dt_bitmap){pg, bytes, (uint64_t *)(void *)(b.e + GUARD)};
			bo = (struct dt_bitmap){pg, bytes, (uint64_t *)(void *)(b.o + GUARD)};
			res->re = dt_unmap_bitmap(s->e, op->iova, op->size, &be, &ue);
			res->ro = oracle_unmap_bitmap(s->o, op->iova, op->size, &bo, &uo);
			same = bufs_same(&b, res, 0);
		} else {
			res->re = dt_unmap(s->e, op->iova, op->size, &ue);
			res->ro = oracle_unmap(s->o, op->iova, op->size, &uo);
		}
		if (same && ue != uo) {
			tprintf(&res->why, "unmapped 0x%" PRIx64 " (engine), 0x%" PRIx64 " (oracle)", ue,
				uo);
			same = false;
		}
		break;
	}
	case K_WRITE:
		res->re = dt_device_write(s->e, op->iova, op->size);
		res->ro = oracle_device_write(s->o, op->iova, op->size);
		break;
	case K_HWSTART:
	case K_HWSTOP:
		res->re = dt_hw_set_dirty_tracking(s->e, op->kind == K_HWSTART);
		res->ro = oracle_hw_set_dirty_tracking(s->o, op->kind == K_HWSTART);
		break;
	case K_HWGET:
	case K_LOGREPORT: {
		struct dt_hw_dirty_bitmap qe = {op->flags, op->reserved, op->iova, op->size,
						op->page_size, NULL},
					  qo = qe;

		bytes = dt_bitmap_bytes(op->page_size ? op->size / op->page_size : 0);
		if (!op->null && bytes + op->offset) {
			bufs_make(&b, fill, bytes, op->offset);
			qe.data = b.e + GUARD + op->offset;
			qo.data = b.o + GUARD + op->offset;
		}
		if (op->kind == K_HWGET) {
			res->re = dt_hw_dirty_bitmap(s->e, &qe);
			res->ro = oracle_hw_dirty_bitmap(s->o, &qo);
		} else {
			res->re = dt_dmalog_report(s->e, op->iova, op->size, op->page_size, qe.data);
			res->ro = oracle_dmalog_report(s->o, op->iova, op->size, op->page_size,
						       qo.data);
		}
		if (b.e)
			same = bufs_same(&b, res, op->offset);
		break;
	}
	case K_LOGSTART:
		res->re = dt_dmalog_start(s->e, op->ranges, op->nranges, op->page_size);
		res->ro = oracle_dmalog_start(s->o, op->ranges, op->nranges, op->page_size);
		if (res->re == res->ro && res->re != -EOPNOTSUPP)
			same = same_ranges(s, res);
		break;
	case K_LOGSTOP:
		res->re = dt_dmalog_stop(s->e);
		res->ro = oracle_dmalog_stop(s->o);
		break;
	case K_START:
		res->re = dt_dirty_start(s->e);
		res->ro = oracle_dirty_start(s->o);
		break;
	case K_STOP:
		res->re = dt_dirty_stop(s->e);
		res->ro = oracle_dirty_stop(s->o);
		break;
	case K_GET: {
		uint64_t pg = oracle_pgsize(s->o);
		struct dt_bitmap be, bo;

		bytes = dt_bitmap_bytes(op->size / pg);
		bufs_make(&b, fill, bytes, 0);
		memset(b.e + GUARD, 0, bytes);
		memset(b.o + GUARD, 0, bytes);
		be = (struct dt_bitmap){pg, bytes, (uint64_t *)(void *)(b.e + GUARD)};
		bo = (struct dt_bitmap){pg, bytes, (uint64_t *)(void *)(b.o + GUARD)};
		res->re = dt_get_bitmap(s->e, op->iova, op->size, &be);
		res->ro = oracle_get_bitmap(s->o, op->iova, op->size, &bo);
		same = bufs_same(&b, res, 0);
		break;
	}
	}
	bufs_free(&b);
	if (res->re != res->ro) {
		res->why.len = 0;
		tprintf(&res->why, "engine %d, oracle %d", res->re, res->ro);
		return false;
	}
	return same;
}

struct options {
	uint64_t seeds, seed, ops;
	bool one, emit, verbose;
	const char *harvest;
};

static int run_sequence(const struct options *opt, uint64_t seed, uint64_t *nops)
{
	struct gen g = {.r = {seed * 0x2545f4914f6cdd1dull + 1}, .pgsize = 4096};
	struct rng fill = {seed ^ 0xfeedull};
	struct dt_container_config cfg;
	struct sides s = {0};
	struct text lines = {0}, line = {0};
	struct result res = {0};
	struct op *op = malloc(sizeof(*op)), first;
	uint64_t k;
	int status = 0;

	if (!op)
		abort();
	/* Every sequence starts in a container of a mode of its own. */
	gen_container(&g, &first);
	if (first.io_pgsize == (1ull << 22))
		first.io_pgsize = 0; /* the first container must exist */
	first.pgsize = chance(&g.r, 80) ? 4096 : 65536;
	dt_container_config_init(&cfg);
	cfg.harvest = opt->harvest;
	if (dt_container_create(&cfg, &s.e) || oracle_container_create(&cfg, &s.o)) {
		fprintf(stderr, "oracle_hw_test: cannot create the containers\n");
		exit(2);
	}
	tprintf(&lines, "# oracle_hw_test --seed %" PRIu64 " --ops %" PRIu64 "\n", seed, opt->ops);
	for (k = 0; k <= opt->ops; k++) {
		bool same;

		if (k == 0)
			*op = first;
		else
			gen_op(&g, s.o, op);
		line.len = 0;
		if (line.s)
			line.s[0] = '\0';
		op_text(&line, op);
		tprintf(&lines, "%s\n", line.s);
		res.why.len = 0;
		if (res.why.s)
			res.why.s[0] = '\0';
		same = run_op(&s, &fill, op, &res);
		if (opt->verbose)
			printf("%s -> %d %s\n", line.s, res.re, res.why.s ? res.why.s : "");
		if (!same) {
			printf("oracle: difference at seed %" PRIu64 ", operation %" PRIu64 ": %s: %s\n",
			       seed, k + 1, line.s, res.why.s);
			printf("%s", lines.s);
			status = 1;
			break;
		}
		if (op->kind == K_CONTAINER && res.ro == 0)
			g.pgsize = op->pgsize;
	}
	*nops += k;
	if (opt->emit)
		printf("%s", lines.s);
	dt_container_destroy(s.e);
	oracle_container_destroy(s.o);
	free(op);
	free(lines.s);
	free(line.s);
	free(res.why.s);
	return status;
}

static bool parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (!s || !*s || *s == '-')
		return false;
	errno = 0;
	*out = strtoull(s, &end, 0);
	return errno == 0 && *end == '\0';
}

int main(int argc, char **argv)
{
	struct options o = {.seeds = 1500, .ops = 80, .harvest = "reference"};
	uint64_t i, nops = 0;
	int a, status = 0;

	for (a = 1; a < argc; a++) {
		const char *v = a + 1 < argc ? argv[a + 1] : NULL;

		if (!strcmp(argv[a], "--emit-replay")) {
			o.emit = true;
		} else if (!strcmp(argv[a], "-v")) {
			o.verbose = true;
		} else if (!strcmp(argv[a], "--harvest") && v) {
			o.harvest = v;
			a++;
		} else if ((!strcmp(argv[a], "--seeds") || !strcmp(argv[a], "--seed") ||
			    !strcmp(argv[a], "--ops")) &&
			   v) {
			uint64_t n;

			if (!parse_u64(v, &n)) {
				fprintf(stderr, "oracle_hw_test: %s takes a number\n", argv[a]);
				return 2;
			}
			if (!strcmp(argv[a], "--seeds"))
				o.seeds = n;
			else if (!strcmp(argv[a], "--ops"))
				o.ops = n;
			else {
				o.seed = n;
				o.one = true;
			}
			a++;
		} else {
			fprintf(stderr, "usage: oracle_hw_test [--seeds N | --seed S [--emit-replay]] "
					"[--ops N] [--harvest NAME] [-v]\n");
			return 2;
		}
	}
	if (o.emit && !o.one) {
		fprintf(stderr, "oracle_hw_test: --emit-replay needs --seed S\n");
		return 2;
	}
	for (i = 0; i < (o.one ? 1 : o.seeds) && status == 0; i++) {
		if (o.emit) {
			/* The oracle's sequence alone: the generator never reads the engine. */
			status = run_sequence(&o, o.one ? o.seed : i + 1, &nops);
			continue;
		}
		status = run_sequence(&o, o.one ? o.seed : i + 1, &nops);
	}
	if (status == 0 && !o.emit)
		printf("oracle_hw: %" PRIu64 " sequences, %" PRIu64 " operations, 0 differences\n",
		       o.one ? 1 : o.seeds, nops);
	return status;
}
