// SPDX-License-Identifier: MIT
/*
 * fuzz_tracker - libdirtytrack against the naive oracle, on operation
 * sequences decoded from the fuzz input.
 *
 * Each input is read as a sequence of operations (container, map, unmap,
 * unmap with bitmap, pin, unpin, rw, start, stop, get, group attach and
 * detach, info) whose arguments the fuzzer chooses, aimed mostly at a window
 * of 64 pages so that they collide, with the raw request fields (argsz,
 * flags, a NULL buffer, a wrong bitmap size or pgsize) varied now and then.
 * Every operation runs on the engine and on the oracle, and everything
 * observable must match: every errno, every byte of every bitmap buffer,
 * the bytes unmapped, every byte of struct dt_info, the bytes an rw reads
 * or leaves in memory. The sequence runs once per harvest implementation
 * that dt_harvest_names() lists.
 *
 * The decoder never looks at the engine, only at the input and, to keep rw
 * away from memory that is not there, at the oracle's mappings.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <dirtytrack/dirtytrack.h>

#include "fuzz.h"
#include "oracle.h"

/* The window most addresses fall in; aligned to every page size used. */
#define WINDOW_BASE 0x100000ull
#define WINDOW_PAGES 64ull
/* The longest mapping aimed at the window. */
#define MAP_PAGES_MAX 16ull
#define PGSIZE_MAX 65536ull
/*
 * Backing memory, one arena per side laid out alike: the window at the
 * largest pgsize plus the longest mapping past its end, then one spare page
 * for the one-page mappings made outside the window (the top of the address
 * space). A mapping that fits nowhere gets FAKE_VADDR and rw never runs on it.
 */
#define ARENA_PAGES (WINDOW_PAGES + MAP_PAGES_MAX + 1)
#define ARENA_BYTES (ARENA_PAGES * PGSIZE_MAX)
#define SPARE_OFFSET ((ARENA_PAGES - 1) * PGSIZE_MAX)
#define FAKE_VADDR (1ull << 46)
/*
 * Bitmap buffers are real up to this size; a request that needs more gets a
 * size above the maximum, which fails before the pointer matters.
 */
#define BITMAP_BUF_MAX 4096ull
/* An untrackable mapping: START and GET refuse more than INT_MAX pages. */
#define HUGE_PAGES (DT_DIRTY_BITMAP_PAGES_MAX + 1)
#define OPS_MAX 512
#define RW (DT_PROT_READ | DT_PROT_WRITE)

struct input {
	const uint8_t *p;
	size_t n;
};

/* The next byte, or 0 once the input is spent (so every decode ends). */
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
	unsigned int i;

	for (i = 0; i < bytes; i++)
		v = v << 8 | take(in);
	return v;
}

struct side {
	struct dt_container *e;
	struct oracle_container *o;
	uint8_t *arena_e, *arena_o; /* aligned to PGSIZE_MAX */
	void *map_e, *map_o;	    /* what mmap gave */
	uint64_t pgsize;
	const char *harvest;
	unsigned int op; /* index in the sequence, for messages */
};

/* Report a difference and abort, so that libFuzzer keeps the input. */
__attribute__((format(printf, 2, 3), noreturn)) static void differ(const struct side *s,
								   const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz_tracker: harvest %s, operation %u: ", s->harvest, s->op);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* FUZZ_TRACE=1 in the environment prints every operation: to read a reproducer. */
static bool tracing(void)
{
	static int on = -1;

	if (on < 0)
		on = getenv("FUZZ_TRACE") != NULL;
	return on;
}

static void same_ret(const struct side *s, const char *what, int re, int ro)
{
	if (tracing())
		fprintf(stderr, "%s %u: %s -> %d\n", s->harvest, s->op, what, re);
	if (re != ro)
		differ(s, "%s: engine %d, oracle %d", what, re, ro);
}

static void *arena_map(uint8_t **aligned)
{
	void *p = mmap(NULL, ARENA_BYTES + PGSIZE_MAX, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		abort();
	*aligned = (uint8_t *)(((uintptr_t)p + PGSIZE_MAX - 1) & ~(uintptr_t)(PGSIZE_MAX - 1));
	return p;
}

/* A container config from the input; sometimes one both must refuse. */
static void pick_config(struct input *in, struct dt_container_config *cfg, const char *harvest)
{
	static const uint64_t pgsizes[] = {4096, 8192, 16384, 65536, 4096, 4096, 2048, 0x1800};
	static const uint32_t limits[] = {DT_DMA_LIMIT_DEFAULT, DT_DMA_LIMIT_DEFAULT, 0, 1, 2, 4,
					  DT_DMA_LIMIT_DEFAULT, 8};
	uint8_t b = take(in);

	dt_container_config_init(cfg);
	cfg->harvest = harvest;
	cfg->pgsize = pgsizes[b & 7];
	cfg->dma_limit = limits[(b >> 3) & 7];
	cfg->v2 = (b >> 6) != 3;
}

/* Replace both containers when both accept @cfg; they must agree. */
static void op_container(struct side *s, const struct dt_container_config *cfg)
{
	struct oracle_container *o;
	struct dt_container *e;
	int re, ro;

	re = dt_container_create(cfg, &e);
	ro = oracle_container_create(cfg, &o);
	same_ret(s, "container", re, ro);
	if (re < 0)
		return;
	dt_container_destroy(s->e);
	oracle_container_destroy(s->o);
	s->e = e;
	s->o = o;
	s->pgsize = cfg->pgsize;
}

static uint64_t pick_iova(struct input *in, uint64_t pg)
{
	uint8_t b = take(in);

	switch (b & 15) {
	case 12: /* unaligned */
		return WINDOW_BASE + (take(in) % WINDOW_PAGES) * pg + 1 + take_n(in, 2) % (pg - 1);
	case 13: /* the last pages of the address space */
		return 0 - (1 + (b >> 4) % 4) * pg;
	case 14:
		return 0;
	case 15:
		return take_n(in, 8);
	default:
		return WINDOW_BASE + ((b >> 4) + 16 * (take(in) & 3)) % WINDOW_PAGES * pg;
	}
}

static uint64_t pick_size(struct input *in, uint64_t pg)
{
	uint8_t b = take(in);

	switch (b & 15) {
	case 11:
		return 0;
	case 12: /* unaligned */
		return (1 + (b >> 4) % MAP_PAGES_MAX) * pg + 1 + take_n(in, 2) % (pg - 1);
	case 13:
		return HUGE_PAGES * pg;
	case 14:
		return WINDOW_PAGES * pg;
	case 15:
		/*
		 * Up to 8 GiB, in 512-byte steps, aligned or not. Not any
		 * 64-bit size: the oracle keeps a pin counter per page, and the
		 * machine cannot map 2^50 of them (the oracle would say -ENOMEM
		 * where the engine succeeds). Wrap-around comes from the iovas
		 * at the top of the address space.
		 */
		return take_n(in, 3) * 512;
	default:
		return (1 + (b >> 4) % MAP_PAGES_MAX) * pg;
	}
}

static uint32_t pick_prot(struct input *in)
{
	static const uint32_t prots[] = {RW, RW, RW, RW, DT_PROT_READ, DT_PROT_WRITE, 0, 4 | RW};

	return prots[take(in) & 7];
}

/* Offset in the arena of a mapping's memory, or -1 when it gets FAKE_VADDR. */
static int64_t arena_offset(uint64_t iova, uint64_t size, uint64_t pg)
{
	if (iova >= WINDOW_BASE && iova - WINDOW_BASE < WINDOW_PAGES * pg && size <= ARENA_BYTES &&
	    iova - WINDOW_BASE + size <= SPARE_OFFSET)
		return (int64_t)(iova - WINDOW_BASE);
	if (size <= pg)
		return (int64_t)SPARE_OFFSET;
	return -1;
}

static void op_map(struct side *s, struct input *in)
{
	uint64_t iova = pick_iova(in, s->pgsize), size = pick_size(in, s->pgsize);
	uint64_t ve = FAKE_VADDR, vo = FAKE_VADDR;
	uint32_t prot = pick_prot(in);
	uint8_t b = take(in);
	int64_t off = arena_offset(iova, size, s->pgsize);

	if (off >= 0) {
		ve = (uint64_t)(uintptr_t)s->arena_e + (uint64_t)off;
		vo = (uint64_t)(uintptr_t)s->arena_o + (uint64_t)off;
	}
	/* Now and then a vaddr the map must refuse: unaligned, or wrapping. */
	if ((b & 15) == 14) {
		ve += 512;
		vo += 512;
	} else if ((b & 15) == 15) {
		ve = vo = 0 - s->pgsize;
		size = size < 2 * s->pgsize ? 2 * s->pgsize : size;
	}
	same_ret(s, "map", dt_dma_map(s->e, iova, size, ve, prot),
		 oracle_dma_map(s->o, iova, size, vo, prot));
}

/* The bitmap descriptor of a GET or an unmap with bitmap, the same for both sides. */
struct bitmap_req {
	uint64_t pgsize, bytes;
	bool null;
	uint64_t *be, *bo;
};

static void pick_bitmap(struct side *s, struct input *in, uint64_t size, struct bitmap_req *bm)
{
	uint8_t b = take(in), c = take(in);
	uint64_t pages;

	memset(bm, 0, sizeof(*bm));
	switch (b & 7) {
	case 6:
		bm->pgsize = s->pgsize * 2;
		break;
	case 7: {
		static const uint64_t odd[] = {0, 4096, 2048, 3};

		bm->pgsize = odd[(b >> 3) & 3];
		break;
	}
	default:
		bm->pgsize = s->pgsize;
	}
	pages = bm->pgsize ? size / bm->pgsize : 0;
	bm->bytes = dt_bitmap_bytes(pages);
	switch (c & 7) {
	case 6:
		bm->bytes = bm->bytes >= 8 ? bm->bytes - 8 : bm->bytes + 8;
		break;
	case 7: {
		static const uint64_t odd[] = {0, 1, 7, 9, DT_DIRTY_BITMAP_SIZE_MAX + 1, 4096, 16, 8};

		bm->bytes = odd[(c >> 3) & 7];
		break;
	}
	default:
		break;
	}
	/* Too big to compare cheaply: above the maximum, it fails before the pointer. */
	if (bm->bytes > BITMAP_BUF_MAX)
		bm->bytes = DT_DIRTY_BITMAP_SIZE_MAX + 8;
	bm->null = (c >> 3) == 31 || bm->bytes > BITMAP_BUF_MAX || !bm->bytes;
	if (!bm->null) {
		bm->be = calloc(1, bm->bytes);
		bm->bo = calloc(1, bm->bytes);
		if (!bm->be || !bm->bo)
			abort();
	}
}

/* Every byte of both buffers must match, after success and failure alike. */
static void bitmap_done(const struct side *s, const char *what, struct bitmap_req *bm)
{
	if (!bm->null && memcmp(bm->be, bm->bo, bm->bytes) != 0) {
		uint64_t i;

		for (i = 0; i < bm->bytes && ((uint8_t *)bm->be)[i] == ((uint8_t *)bm->bo)[i]; i++)
			;
		differ(s, "%s: bitmap byte %llu: engine 0x%02x, oracle 0x%02x", what,
		       (unsigned long long)i, ((uint8_t *)bm->be)[i], ((uint8_t *)bm->bo)[i]);
	}
	free(bm->be);
	free(bm->bo);
}

/* A raw argsz: mostly the right one. */
static uint32_t pick_argsz(struct input *in, uint32_t right)
{
	uint8_t b = take(in);

	switch (b & 15) {
	case 13:
		return right - 1;
	case 14:
		return 0;
	case 15:
		return right + (b >> 4);
	default:
		return right;
	}
}

static void op_unmap(struct side *s, struct input *in, bool with_bitmap)
{
	static const uint32_t odd_flags[] = {DT_UNMAP_ALL,
					     DT_UNMAP_VADDR,
					     DT_UNMAP_GET_DIRTY_BITMAP | DT_UNMAP_ALL,
					     DT_UNMAP_GET_DIRTY_BITMAP | DT_UNMAP_VADDR,
					     0,
					     8,
					     DT_UNMAP_GET_DIRTY_BITMAP,
					     DT_UNMAP_ALL};
	struct dt_dma_unmap ue = {0}, uo;
	struct bitmap_req bm = {.null = true};
	uint8_t f = take(in);
	int re, ro;

	ue.iova = pick_iova(in, s->pgsize);
	ue.size = pick_size(in, s->pgsize);
	ue.flags = with_bitmap ? DT_UNMAP_GET_DIRTY_BITMAP : 0;
	if ((f & 7) == 7) {
		ue.flags = odd_flags[(f >> 3) & 7];
		if (ue.flags & DT_UNMAP_ALL && (f >> 6) != 0)
			ue.iova = ue.size = 0; /* the valid form of ALL */
	}
	ue.argsz = pick_argsz(in, with_bitmap ? DT_DMA_UNMAP_BITMAP_ARGSZ : DT_DMA_UNMAP_ARGSZ);
	if (with_bitmap)
		pick_bitmap(s, in, ue.size, &bm);
	uo = ue;
	ue.bitmap = (struct dt_bitmap){bm.pgsize, bm.bytes, bm.be};
	uo.bitmap = (struct dt_bitmap){bm.pgsize, bm.bytes, bm.bo};
	re = dt_dma_unmap(s->e, &ue);
	ro = oracle_dma_unmap(s->o, &uo);
	same_ret(s, with_bitmap ? "unmap with bitmap" : "unmap", re, ro);
	if (ue.size != uo.size)
		differ(s, "unmap: %llu bytes unmapped by the engine, %llu by the oracle",
		       (unsigned long long)ue.size, (unsigned long long)uo.size);
	bitmap_done(s, "unmap", &bm);
}

static uint64_t pick_npages(struct input *in)
{
	uint8_t b = take(in);

	switch (b & 15) {
	case 12:
		return 0;
	case 13:
		return DT_PIN_MAX_PAGES;
	case 14:
		return DT_PIN_MAX_PAGES + 1;
	case 15:
		return 64 + (b >> 4);
	default:
		return 1 + (b >> 4) % 8;
	}
}

static void op_pin(struct side *s, struct input *in, bool pin)
{
	uint64_t group = take(in) % 5, iova = pick_iova(in, s->pgsize), npages = pick_npages(in);

	if (pin) {
		uint32_t prot = pick_prot(in);

		same_ret(s, "pin", dt_pin(s->e, group, iova, npages, prot),
			 oracle_pin(s->o, group, iova, npages, prot));
	} else {
		same_ret(s, "unpin", dt_unpin(s->e, group, iova, npages),
			 oracle_unpin(s->o, group, iova, npages));
	}
}

/*
 * Would an rw of [iova, iova+len) touch only memory that is there? Any
 * mapping it overlaps must live in the arena (all or nothing: the access
 * may stop at a later byte, but earlier ones are copied first).
 */
/* The last byte of [iova, iova+len), or the top of the address space when it wraps. */
static uint64_t range_last(uint64_t iova, uint64_t len)
{
	return iova + len - 1 < iova ? UINT64_MAX : iova + len - 1;
}

static bool rw_backed(const struct side *s, uint64_t iova, uint64_t len)
{
	uint64_t last = range_last(iova, len), base = (uint64_t)(uintptr_t)s->arena_o;
	size_t i, n = oracle_mapping_count(s->o);

	for (i = 0; i < n; i++) {
		struct oracle_mapping_view v;

		oracle_mapping_at(s->o, i, &v);
		if (v.iova > last || v.iova + (v.size - 1) < iova)
			continue;
		if (v.vaddr < base || v.vaddr - base + v.size > ARENA_BYTES)
			return false;
	}
	return true;
}

/* The arena bytes behind [iova, iova+len) must be the same on both sides. */
static void same_memory(const struct side *s, uint64_t iova, uint64_t len)
{
	uint64_t last = range_last(iova, len), base = (uint64_t)(uintptr_t)s->arena_o;
	size_t i, n = oracle_mapping_count(s->o);

	for (i = 0; i < n; i++) {
		struct oracle_mapping_view v;
		uint64_t lo, hi, off;

		oracle_mapping_at(s->o, i, &v);
		if (v.iova > last || v.iova + (v.size - 1) < iova)
			continue;
		lo = v.iova > iova ? v.iova : iova;
		hi = v.iova + (v.size - 1) < last ? v.iova + (v.size - 1) : last;
		off = v.vaddr - base + (lo - v.iova);
		if (memcmp(s->arena_e + off, s->arena_o + off, hi - lo + 1) != 0)
			differ(s, "rw: memory behind iova 0x%llx differs",
			       (unsigned long long)lo);
	}
}

static void op_rw(struct side *s, struct input *in)
{
	uint8_t b = take(in), fill = take(in);
	bool write = b & 1, null = (b >> 1) == 127;
	uint64_t iova, len;
	uint8_t *be = NULL, *bo = NULL;

	switch ((b >> 1) & 7) {
	case 6:
		iova = 0 - 1 - take(in) % 8; /* the top of the address space */
		break;
	case 7:
		iova = pick_iova(in, s->pgsize);
		break;
	default:
		iova = WINDOW_BASE + take_n(in, 3) % (WINDOW_PAGES * s->pgsize);
	}
	switch ((b >> 4) & 7) {
	case 0:
		len = 0;
		break;
	case 6:
		len = 3 * s->pgsize;
		break;
	case 7:
		len = take_n(in, 2);
		break;
	default:
		len = 1 + take_n(in, 2) % (2 * s->pgsize);
	}
	if (len && !rw_backed(s, iova, len))
		return;
	if (!null && len) {
		be = malloc(len);
		bo = malloc(len);
		if (!be || !bo)
			abort();
		memset(be, fill, len);
		memset(bo, fill, len);
	}
	same_ret(s, write ? "rw write" : "rw read", dt_dma_rw(s->e, iova, be, len, write),
		 oracle_dma_rw(s->o, iova, bo, len, write));
	if (be && memcmp(be, bo, len) != 0)
		differ(s, "rw read: the bytes read differ");
	if (len)
		same_memory(s, iova, len);
	free(be);
	free(bo);
}

static void op_dirty(struct side *s, struct input *in, uint32_t flag)
{
	static const uint32_t odd_flags[] = {0,
					     DT_DIRTY_START | DT_DIRTY_GET_BITMAP,
					     8,
					     DT_DIRTY_START,
					     DT_DIRTY_STOP,
					     DT_DIRTY_GET_BITMAP,
					     DT_DIRTY_START | DT_DIRTY_STOP,
					     1u << 31};
	struct dt_dirty_pages qe = {0}, qo;
	struct bitmap_req bm = {.null = true};
	bool get = flag == DT_DIRTY_GET_BITMAP;
	uint8_t f = take(in);

	qe.flags = (f & 7) == 7 ? odd_flags[(f >> 3) & 7] : flag;
	qe.argsz = pick_argsz(in, get ? DT_DIRTY_PAGES_GET_ARGSZ : DT_DIRTY_PAGES_ARGSZ);
	if (get) {
		qe.iova = pick_iova(in, s->pgsize);
		qe.size = pick_size(in, s->pgsize);
		pick_bitmap(s, in, qe.size, &bm);
	}
	qo = qe;
	qe.bitmap = (struct dt_bitmap){bm.pgsize, bm.bytes, bm.be};
	qo.bitmap = (struct dt_bitmap){bm.pgsize, bm.bytes, bm.bo};
	same_ret(s, get ? "get" : flag == DT_DIRTY_START ? "start" : "stop",
		 dt_dirty_pages(s->e, &qe), oracle_dirty_pages(s->o, &qo));
	bitmap_done(s, "get", &bm);
}

static void op_group(struct side *s, struct input *in)
{
	static const enum dt_group_kind kinds[] = {DT_GROUP_IOMMU,    DT_GROUP_IOMMU,
						   DT_GROUP_IOMMU,    DT_GROUP_MEDIATED,
						   DT_GROUP_MEDIATED, DT_GROUP_MEDIATED,
						   0,		      3};
	static const unsigned int devices[] = {1, 1, 1, 1, 1, 2, 2, 0};
	uint8_t b = take(in);
	uint64_t id = b % 5;
	enum dt_group_kind kind = kinds[(b >> 3) & 7];
	unsigned int n = devices[take(in) & 7];

	same_ret(s, "group attach", dt_group_attach(s->e, id, kind, n),
		 oracle_group_attach(s->o, id, kind, n));
}

static void op_info(struct side *s, struct input *in)
{
	struct dt_info ie, io;

	if ((take(in) & 15) == 15) {
		same_ret(s, "info NULL", dt_info_get(s->e, NULL), oracle_info_get(s->o, NULL));
		return;
	}
	/* Different garbage on each side: a byte left unwritten shows. */
	memset(&ie, 0xaa, sizeof(ie));
	memset(&io, 0x55, sizeof(io));
	same_ret(s, "info", dt_info_get(s->e, &ie), oracle_info_get(s->o, &io));
	if (memcmp(&ie, &io, sizeof(ie)) != 0)
		differ(s, "info: struct dt_info differs");
}

static void run_sequence(const uint8_t *data, size_t size, const char *harvest)
{
	struct input in = {data, size};
	struct dt_container_config cfg;
	struct side s = {.harvest = harvest};

	s.map_e = arena_map(&s.arena_e);
	s.map_o = arena_map(&s.arena_o);
	pick_config(&in, &cfg, harvest);
	/* The first container must exist: fall back to the defaults. */
	if (cfg.pgsize != 4096 && cfg.pgsize != 8192 && cfg.pgsize != 16384 &&
	    cfg.pgsize != 65536)
		cfg.pgsize = 4096;
	op_container(&s, &cfg);
	if (!s.e || !s.o)
		abort();
	for (s.op = 0; in.n && s.op < OPS_MAX; s.op++) {
		switch (take(&in) % 14) {
		case 0:
			pick_config(&in, &cfg, harvest);
			op_container(&s, &cfg);
			break;
		case 1:
		case 2:
			op_map(&s, &in);
			break;
		case 3:
			op_unmap(&s, &in, false);
			break;
		case 4:
			op_unmap(&s, &in, true);
			break;
		case 5:
			op_pin(&s, &in, true);
			break;
		case 6:
			op_pin(&s, &in, false);
			break;
		case 7:
			op_rw(&s, &in);
			break;
		case 8:
			op_dirty(&s, &in, DT_DIRTY_START);
			break;
		case 9:
			op_dirty(&s, &in, DT_DIRTY_STOP);
			break;
		case 10:
			op_dirty(&s, &in, DT_DIRTY_GET_BITMAP);
			break;
		case 11:
			op_group(&s, &in);
			break;
		case 12: {
			uint64_t id = take(&in) % 5;

			same_ret(&s, "group detach", dt_group_detach(s.e, id),
				 oracle_group_detach(s.o, id));
			break;
		}
		case 13:
			op_info(&s, &in);
			break;
		}
	}
	dt_container_destroy(s.e);
	oracle_container_destroy(s.o);
	munmap(s.map_e, ARENA_BYTES + PGSIZE_MAX);
	munmap(s.map_o, ARENA_BYTES + PGSIZE_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *const *h;

	for (h = dt_harvest_names(); *h; h++)
		run_sequence(data, size, *h);
	return 0;
}
