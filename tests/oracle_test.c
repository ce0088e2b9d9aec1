// SPDX-License-Identifier: MIT
/*
 * oracle_test - the differential test of libdirtytrack against the naive
 * oracle (tests/oracle/).
 *
 * Each seed gives one random sequence of operations, valid and invalid, in
 * a small address window so that they collide often. Every operation runs
 * on the engine (the public dt_* API) and on the oracle, and everything
 * observable is compared: return values, every byte of every bitmap buffer,
 * unmapped byte counts, the whole struct dt_info, and the bytes a DMA_RW
 * write leaves in memory. The first difference prints the operation, both
 * results and the sequence up to it as a replay file (REPLAY.md), which
 * `dirtyscope replay` and `oracle_replay` can run.
 *
 * The generator looks only at its own random stream and at the oracle, never
 * at the engine, so that --emit-replay (which runs the oracle alone) gives
 * exactly the sequence the test ran.
 *
 * Exit: 0 no difference, 1 a difference, 2 bad usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <dirtytrack/dirtytrack.h>

#include "oracle.h"

/*
 * The address window: a few hundred pages from WINDOW_BASE, so that maps,
 * unmaps and requests hit each other's edges often. 0x100000 is aligned to
 * every page size the test uses.
 */
#define WINDOW_BASE 0x100000ull
#define WINDOW_PAGES 320ull
/* Backing memory: the window at the largest pgsize (64 KiB) and some spare. */
#define ARENA_BYTES (512ull * 65536)
/* Where a mapping too large for the arena pretends to live; never touched. */
#define FAKE_VADDR (1ull << 45)
/* A mapping of 2^31 + 1 pages lives here, far from the window. */
#define HUGE_IOVA (1ull << 44)
/* Bitmap buffers above this come from mmap (zero pages, no cost until written). */
#define SMALL_BUFFER (1ull << 20)
/* A bitmap claiming more than the maximum gets this much real memory. */
#define GUARD_BYTES 4096ull
#define MAX_SEEN 64
#define RW (DT_PROT_READ | DT_PROT_WRITE)

/* How often the interesting paths ran: printed by --stats, to tune the generator. */
struct stats {
	uint64_t ok[16], failed[16];
	uint64_t harvests;     /* successful GETs and unmaps with a bitmap */
	uint64_t merged;       /* ... over 2+ mappings, one at a bit offset not a multiple of 64 */
	uint64_t merged_dirty; /* ... of which reported at least one bit */
};

struct options {
	bool stats;
	uint64_t seeds;
	uint64_t seed_base;
	uint64_t ops;
	uint64_t seed;
	bool one_seed;
	bool emit;
	bool verbose;
	const char *harvest;
	bool kernel;
};

/* splitmix64: small, fast, and the same numbers on every machine. */
struct rng {
	uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform enough in [0, n) for test generation; n must be non-zero. */
static uint64_t rng_below(struct rng *r, uint64_t n)
{
	return rng_next(r) % n;
}

static bool chance(struct rng *r, unsigned int percent)
{
	return rng_below(r, 100) < percent;
}

static uint64_t pick(struct rng *r, const uint64_t *v, size_t n)
{
	return v[rng_below(r, n)];
}

#define PICK(r, ...)                                                                               \
	pick(r, (const uint64_t[]){__VA_ARGS__},                                                   \
	     sizeof((const uint64_t[]){__VA_ARGS__}) / sizeof(uint64_t))

enum op_kind {
	OP_CONTAINER,
	OP_GROUP,
	OP_DETACH,
	OP_MAP,
	OP_UNMAP,
	OP_PIN,
	OP_UNPIN,
	OP_RW,
	OP_START,
	OP_STOP,
	OP_GET,
	OP_INFO,
};

enum vaddr_mode {
	VADDR_ARENA,     /* arena + voff: real memory, rw may write there */
	VADDR_FAKE,      /* FAKE_VADDR: aligned, never written */
	VADDR_UNALIGNED, /* arena + voff + 512: must fail */
	VADDR_WRAP,      /* the top page: vaddr + size wraps, must fail */
};

/*
 * One operation, as the replay language sees it: the has_* flags say which
 * optional keys are written out, and the defaults of the others are
 * resolved with the replay's rules, so that the text replays the same
 * request that the test made.
 */
struct op {
	enum op_kind kind;
	/* container */
	uint64_t pgsize;
	uint32_t dma_limit;
	bool v2, has_pgsize, has_limit, has_v2;
	/* group, detach, pin, unpin */
	uint64_t id;
	int gkind; /* enum dt_group_kind, or an invalid value */
	unsigned int devices;
	bool has_devices;
	/* map, unmap, pin, unpin, rw, get */
	uint64_t iova, size;
	uint32_t prot;
	bool has_prot;
	enum vaddr_mode vmode;
	uint64_t voff;
	/* unmap, get, start, stop */
	bool bitmap; /* unmap: bitmap=1 */
	uint64_t bm_pgsize, bm_bytes;
	bool has_bm_pgsize, has_bm_bytes;
	uint32_t argsz, flags;
	bool has_argsz, has_flags, data_null;
	bool wrapper; /* call the engine's convenience function when well-formed */
	/* pin, unpin */
	uint64_t npages;
	bool has_npages;
	/* rw */
	uint64_t len;
	bool write, buf_null;
	/* info */
	bool info_null;
};

/* A generator's memory of what it did, to aim later operations. */
struct pinned {
	uint64_t iova, npages;
};

struct gen {
	struct rng rng;
	struct pinned pins[16];
	size_t npins;
	bool huge_done;
	/*
	 * --kernel: only what a real kernel can execute through the vfio
	 * backend (tests/kernel/): no pin, unpin, rw or mediated group, page
	 * size 4096, the default mapping limit, no VADDR unmap, and maps kept
	 * inside the guest's valid IOVA ranges (below 2^39, off the MSI window).
	 */
	bool kernel;
};

/* The engine's and the oracle's backing memory: same offsets, separate bytes. */
struct arenas {
	uint8_t *e;
	uint8_t *o;
	/* arena ranges compared this sequence, compared again at its end */
	uint64_t seen_lo[MAX_SEEN], seen_hi[MAX_SEEN];
	size_t nseen;
};

struct sides {
	struct dt_container *e;
	struct oracle_container *o;
};

/* A growable string for the text of operations and results. */
struct str {
	char *s;
	size_t len, cap;
};

static void str_printf(struct str *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void str_printf(struct str *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (s->len + (size_t)n + 1 > s->cap) {
		size_t cap = (s->len + (size_t)n + 1) * 2;
		char *p = realloc(s->s, cap);

		if (!p) {
			fprintf(stderr, "oracle_test: out of memory\n");
			exit(2);
		}
		s->s = p;
		s->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(s->s + s->len, s->cap - s->len, fmt, ap);
	va_end(ap);
	s->len += (size_t)n;
}

static void str_reset(struct str *s)
{
	s->len = 0;
	if (s->s)
		s->s[0] = '\0';
	else
		str_printf(s, "%s", ""); /* never leave a NULL to print */
}

static const char *errname(int ret)
{
	static const struct {
		int err;
		const char *name;
	} names[] = {
	    {0, "0"},
	    {-EINVAL, "-EINVAL"},
	    {-EEXIST, "-EEXIST"},
	    {-ENOSPC, "-ENOSPC"},
	    {-EFAULT, "-EFAULT"},
	    {-EPERM, "-EPERM"},
	    {-ENODEV, "-ENODEV"},
	    {-ENOENT, "-ENOENT"},
	    {-E2BIG, "-E2BIG"},
	    {-EACCES, "-EACCES"},
	    {-EOPNOTSUPP, "-EOPNOTSUPP"},
	    {-ENOMEM, "-ENOMEM"},
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].err == ret)
			return names[i].name;
	return "(unknown errno)";
}

static void str_result(struct str *s, int ret)
{
	if (errname(ret)[0] == '(')
		str_printf(s, "%d", ret);
	else
		str_printf(s, "%s", errname(ret));
}

/*
 * Bit @bit of a bitmap of 64-bit words (bit n in word n / 64), read a byte
 * at a time: a buffer's size need not be a whole number of words.
 */
static bool bitmap_bit(const void *data, uint64_t bit)
{
	uint64_t byte = bit / 8;

#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	byte = byte / 8 * 8 + 7 - byte % 8;
#endif
	return ((const uint8_t *)data)[byte] >> (bit % 8) & 1;
}

/* Are the 64 bits from @bit (a multiple of 64) all clear? */
static bool bitmap_word_clear(const void *data, uint64_t bit)
{
	uint64_t w;

	memcpy(&w, (const uint8_t *)data + bit / 8, sizeof(w));
	return w == 0;
}

/*
 * " set=..." as REPLAY.md prints it, over every bit of the buffer; @zero_page
 * (may be NULL) says which 4 KiB pages are known to be zero.
 */
static void str_set(struct str *s, const uint64_t *data, uint64_t bytes,
                    bool (*zero_page)(const void *ctx, uint64_t off), const void *ctx)
{
	uint64_t nbits = data ? bytes * 8 : 0, bit = 0, start;
	bool first = true;

	str_printf(s, " set=");
	while (bit < nbits) {
		if (zero_page && bit % (4096 * 8) == 0 && zero_page(ctx, bit / 8)) {
			bit += 4096 * 8;
			continue;
		}
		if (bit % 64 == 0 && bit + 64 <= nbits && bitmap_word_clear(data, bit)) {
			bit += 64;
			continue;
		}
		if (!bitmap_bit(data, bit)) {
			bit++;
			continue;
		}
		start = bit;
		while (bit + 1 < nbits && bitmap_bit(data, bit + 1))
			bit++;
		if (start == bit)
			str_printf(s, "%s%" PRIu64, first ? "" : ",", start);
		else
			str_printf(s, "%s%" PRIu64 "-%" PRIu64, first ? "" : ",", start, bit);
		first = false;
		bit++;
	}
	if (first)
		str_printf(s, "none");
}

/* ---- replay text ---------------------------------------------------------- */

static bool op_is_comment(const struct op *op)
{
	switch (op->kind) {
	case OP_GROUP:
		return op->gkind != DT_GROUP_IOMMU && op->gkind != DT_GROUP_MEDIATED;
	case OP_MAP:
		return op->vmode == VADDR_UNALIGNED || op->vmode == VADDR_WRAP ||
		       (op->prot & ~(uint32_t)RW) != 0;
	case OP_PIN:
		return op->prot == 0 || (op->prot & ~(uint32_t)RW) != 0;
	case OP_RW:
		return !op->write || op->buf_null;
	case OP_INFO:
		return op->info_null;
	default:
		return false;
	}
}

static const char *prot_text(uint32_t prot)
{
	switch (prot) {
	case RW:
		return "rw";
	case DT_PROT_READ:
		return "r";
	case DT_PROT_WRITE:
		return "w";
	case 0:
		return "none";
	default:
		return "invalid";
	}
}

static void bitmap_text(struct str *s, const struct op *op)
{
	if (op->has_bm_pgsize)
		str_printf(s, " pgsize=0x%" PRIx64, op->bm_pgsize);
	if (op->has_bm_bytes)
		str_printf(s, " bytes=0x%" PRIx64, op->bm_bytes);
}

static void raw_text(struct str *s, const struct op *op)
{
	if (op->has_argsz)
		str_printf(s, " argsz=%" PRIu32, op->argsz);
	if (op->has_flags)
		str_printf(s, " flags=%" PRIu32, op->flags);
	if (op->data_null)
		str_printf(s, " data=0");
}

/*
 * The operation as a replay line. What the language cannot say (a bad
 * vaddr, a read, a NULL pointer, a kind or prot outside its words) becomes
 * a "# " comment: such an operation fails or reads, so the state that the
 * rest of the file replays is the same without it.
 */
static void op_text(struct str *s, const struct op *op)
{
	if (op_is_comment(op))
		str_printf(s, "# ");
	switch (op->kind) {
	case OP_CONTAINER:
		str_printf(s, "container");
		if (op->has_pgsize)
			str_printf(s, " pgsize=%" PRIu64, op->pgsize);
		if (op->has_limit)
			str_printf(s, " dma_limit=%" PRIu32, op->dma_limit);
		if (op->has_v2)
			str_printf(s, " v2=%d", op->v2 ? 1 : 0);
		break;
	case OP_GROUP:
		str_printf(s, "group %" PRIu64 " %s", op->id,
		           op->gkind == DT_GROUP_IOMMU      ? "iommu"
		           : op->gkind == DT_GROUP_MEDIATED ? "mediated"
		                                            : "kind-invalid");
		if (op->has_devices)
			str_printf(s, " devices=%u", op->devices);
		break;
	case OP_DETACH:
		str_printf(s, "detach %" PRIu64, op->id);
		break;
	case OP_MAP:
		str_printf(s, "map iova=0x%" PRIx64 " size=0x%" PRIx64, op->iova, op->size);
		if (op->has_prot)
			str_printf(s, " prot=%s", prot_text(op->prot));
		if (op->vmode == VADDR_UNALIGNED)
			str_printf(s, " (vaddr not aligned: must fail)");
		else if (op->vmode == VADDR_WRAP)
			str_printf(s, " (vaddr+size wraps: must fail)");
		else if (op->prot & ~(uint32_t)RW)
			str_printf(s, " (prot 0x%x: must fail)", op->prot);
		break;
	case OP_UNMAP:
		str_printf(s, "unmap iova=0x%" PRIx64 " size=0x%" PRIx64, op->iova, op->size);
		if (op->bitmap)
			str_printf(s, " bitmap=1");
		bitmap_text(s, op);
		raw_text(s, op);
		break;
	case OP_PIN:
	case OP_UNPIN:
		str_printf(s, "%s group=%" PRIu64 " iova=0x%" PRIx64,
		           op->kind == OP_PIN ? "pin" : "unpin", op->id, op->iova);
		if (op->has_npages)
			str_printf(s, " npages=%" PRIu64, op->npages);
		if (op->kind == OP_PIN && op->has_prot)
			str_printf(s, " prot=%s", prot_text(op->prot));
		if (op->kind == OP_PIN && op_is_comment(op))
			str_printf(s, " (prot 0x%x: must fail)", op->prot);
		break;
	case OP_RW:
		str_printf(s, "rw iova=0x%" PRIx64 " len=0x%" PRIx64, op->iova, op->len);
		if (!op->write)
			str_printf(s, " (a read: changes nothing)");
		if (op->buf_null)
			str_printf(s, " (NULL buffer: must fail)");
		break;
	case OP_START:
	case OP_STOP:
		str_printf(s, "%s", op->kind == OP_START ? "start" : "stop");
		raw_text(s, op);
		break;
	case OP_GET:
		str_printf(s, "get iova=0x%" PRIx64 " size=0x%" PRIx64, op->iova, op->size);
		bitmap_text(s, op);
		raw_text(s, op);
		break;
	case OP_INFO:
		str_printf(s, "info");
		if (op->info_null)
			str_printf(s, " (NULL: must fail)");
		break;
	}
}

/* ---- the generator -------------------------------------------------------- */

/* A snapshot of the oracle's mappings, sorted by iova. */
struct maps {
	struct oracle_mapping_view v[256];
	size_t n;
};

static void maps_load(struct maps *m, const struct oracle_container *o)
{
	size_t i, j, n = oracle_mapping_count(o);

	m->n = 0;
	for (i = 0; i < n && m->n < 256; i++) {
		struct oracle_mapping_view v;

		oracle_mapping_at(o, i, &v);
		for (j = m->n; j > 0 && m->v[j - 1].iova > v.iova; j--)
			m->v[j] = m->v[j - 1];
		m->v[j] = v;
		m->n++;
	}
}

static uint64_t view_end(const struct oracle_mapping_view *v)
{
	return v->iova + v->size; /* 0 for a mapping ending at 2^64 */
}

/* Is @a strictly inside a mapping (not at its start)? */
static bool strictly_inside(const struct maps *m, uint64_t a)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (a > m->v[i].iova && a - m->v[i].iova < m->v[i].size)
			return true;
	return false;
}

static uint64_t window_page(struct gen *g, uint64_t pg)
{
	return WINDOW_BASE + rng_below(&g->rng, WINDOW_PAGES) * pg;
}

static uint64_t npages_pick(struct gen *g)
{
	/* sizes around 64 pages, and odd ones, make the shift/merge path work */
	if (chance(&g->rng, 25))
		return 1 + rng_below(&g->rng, 150);
	return PICK(&g->rng, 1, 2, 3, 5, 7, 8, 13, 31, 63, 64, 65, 70, 100, 127, 128, 129);
}

/*
 * A range that bisects no mapping: from a point that is no mapping's inside
 * (a mapping's start, or a hole) to a later such point (a mapping's end, or
 * a hole). Over several adjacent mappings with odd sizes and odd offsets,
 * this is the shift/merge path, the heart of the test.
 */
static bool clean_range(struct gen *g, const struct maps *m, uint64_t pg, uint64_t *iova,
                        uint64_t *size)
{
	uint64_t pts[64 * 2 + 16], p, q;
	size_t n = 0, i, tries;

	for (i = 0; i < m->n && n < 128; i++) {
		pts[n++] = m->v[i].iova;
		if (view_end(&m->v[i]) != 0)
			pts[n++] = view_end(&m->v[i]);
	}
	for (tries = 0; tries < 8; tries++) {
		uint64_t a = window_page(g, pg);

		if (!strictly_inside(m, a))
			pts[n++] = a;
	}
	if (n < 2)
		return false;
	for (tries = 0; tries < 16; tries++) {
		p = pts[rng_below(&g->rng, n)];
		q = pts[rng_below(&g->rng, n)];
		if (p < q) {
			*iova = p;
			*size = q - p;
			return true;
		}
	}
	return false;
}

/* Any range in or near the window: usually bisects something. */
static void random_range(struct gen *g, uint64_t pg, uint64_t *iova, uint64_t *size)
{
	*iova = window_page(g, pg) - pg * rng_below(&g->rng, 4);
	*size = pg * (1 + rng_below(&g->rng, 200));
}

/* Odd ranges: unaligned, empty, wrapping, at the top of the address space. */
static void bad_range(struct gen *g, uint64_t pg, uint64_t *iova, uint64_t *size, bool for_map)
{
	/*
	 * A kernel refuses a map outside its IOVA ranges where the model does
	 * not: in --kernel mode a map takes only the ranges that fail the same
	 * way everywhere (cases 0-3).
	 */
	switch (rng_below(&g->rng, for_map && g->kernel ? 4 : 7)) {
	case 0:
		*iova = window_page(g, pg) + PICK(&g->rng, 1, 512, pg / 2);
		*size = pg * 4;
		break;
	case 1:
		*iova = window_page(g, pg);
		*size = pg * 4 - PICK(&g->rng, 0x50, 1, pg / 2); /* the 0x3fb0 of the field */
		break;
	case 2:
		*iova = window_page(g, pg);
		*size = 0;
		break;
	case 3:
		*iova = UINT64_MAX - pg * 2 + 1;
		*size = pg * 4; /* wraps */
		break;
	case 4:
		*iova = UINT64_MAX - pg * 4 + 1;
		*size = pg * 4; /* ends exactly at 2^64 */
		break;
	case 5:
		*iova = 0;
		*size = UINT64_MAX - pg + 1;
		break;
	default:
		*iova = window_page(g, pg);
		*size = UINT64_MAX - (pg - 1) - (*iova - 1); /* ends at 2^64 - pg... roughly */
		*size -= *size % pg;
		break;
	}
}

static void gen_range(struct gen *g, const struct maps *m, uint64_t pg, struct op *op,
                      unsigned int clean_percent)
{
	unsigned int r = (unsigned int)rng_below(&g->rng, 100);

	if (r < clean_percent && clean_range(g, m, pg, &op->iova, &op->size))
		return;
	if (r < clean_percent + 10 && m->n > 0) {
		const struct oracle_mapping_view *v = &m->v[rng_below(&g->rng, m->n)];

		op->iova = v->iova;
		op->size = v->size;
		return;
	}
	if (r < 92)
		random_range(g, pg, &op->iova, &op->size);
	else
		bad_range(g, pg, &op->iova, &op->size, false);
}

/* Bitmap descriptor variants: mostly right, sometimes each way wrong. */
static void gen_bitmap(struct gen *g, uint64_t pg, struct op *op)
{
	uint64_t need = dt_bitmap_bytes(op->size / pg);

	if (chance(&g->rng, 12)) {
		op->has_bm_bytes = true;
		switch (rng_below(&g->rng, 9)) {
		case 0:
			op->bm_bytes = need > 8 ? need - 8 : 0; /* a word short */
			break;
		case 1:
			op->bm_bytes = 1 + rng_below(&g->rng, 7); /* under one word */
			break;
		case 2:
			op->bm_bytes = 0;
			break;
		case 3:
			op->bm_bytes = need + 8 * (1 + rng_below(&g->rng, 3)); /* padding */
			break;
		case 4:
			op->bm_bytes = need + 1 + rng_below(&g->rng, 7); /* not whole words */
			break;
		case 5:
			op->bm_bytes = DT_DIRTY_BITMAP_SIZE_MAX + PICK(&g->rng, 1, 8, 4096);
			break;
		case 6:
			op->bm_bytes = PICK(&g->rng, UINT64_MAX, 1ull << 40);
			break;
		case 7:
			/* exactly the maximum; rare, it costs two 256 MiB compares */
			op->bm_bytes = chance(&g->rng, 5) ? DT_DIRTY_BITMAP_SIZE_MAX : need;
			break;
		default:
			op->bm_bytes = need;
			break;
		}
	}
	if (chance(&g->rng, 6)) {
		op->has_bm_pgsize = true;
		op->bm_pgsize = PICK(&g->rng, 0, pg * 2, pg / 2, 1234, 1, 65536, 4096);
		if (!op->has_bm_bytes) {
			/* keep the default bytes out of it: the text says both */
			op->has_bm_bytes = true;
			op->bm_bytes = need;
		}
	}
	if (chance(&g->rng, 2))
		op->data_null = true;
}

static void gen_raw(struct gen *g, struct op *op, bool unmap)
{
	if (chance(&g->rng, 5)) {
		op->has_argsz = true;
		op->argsz = (uint32_t)PICK(&g->rng, 0, 4, 7, 8, 16, 23, 24, 40, 47, 48, 4096);
	}
	if (chance(&g->rng, 5)) {
		op->has_flags = true;
		if (unmap && g->kernel)
			op->flags = (uint32_t)PICK(&g->rng, 0, 1, 2, 3, 5, 7, 8, 9, 0x80000000);
		else if (unmap)
			op->flags =
			    (uint32_t)PICK(&g->rng, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0x80000000);
		else
			op->flags = (uint32_t)PICK(&g->rng, 0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 0x100);
	}
}

/* Mostly a group that is attached (pins need one), sometimes any id. */
static uint64_t attached_or_not(struct gen *g, const struct oracle_container *o)
{
	uint64_t ids[4], id;
	size_t n = 0;

	for (id = 1; id <= 4; id++)
		if (oracle_group_devices(o, id))
			ids[n++] = id;
	if (n > 0 && chance(&g->rng, 85))
		return ids[rng_below(&g->rng, n)];
	return chance(&g->rng, 70) ? 1 + rng_below(&g->rng, 5)
	                           : PICK(&g->rng, 0, 99, 1ull << 40, UINT64_MAX);
}

static bool any_group(const struct oracle_container *o)
{
	uint64_t id;

	for (id = 1; id <= 4; id++)
		if (oracle_group_devices(o, id) == 1)
			return true;
	return false;
}

static bool arena_backed(const struct oracle_mapping_view *v, const struct arenas *ar)
{
	uint64_t base = (uint64_t)(uintptr_t)ar->o;

	return v->vaddr >= base && v->vaddr - base < ARENA_BYTES;
}

static void gen_map(struct gen *g, const struct maps *m, uint64_t pg, struct op *op)
{
	uint64_t npages = npages_pick(g), r = rng_below(&g->rng, 100);
	const struct oracle_mapping_view *v = m->n ? &m->v[rng_below(&g->rng, m->n)] : NULL;
	uint64_t gap = chance(&g->rng, 60) ? 0 : PICK(&g->rng, 1, 2, 3, 61, 64 - npages % 64);

	op->kind = OP_MAP;
	op->size = npages * pg;
	if (r < 40 && v && view_end(v) != 0) {
		op->iova = view_end(v) + gap * pg; /* right after a mapping */
	} else if (r < 50 && v && v->iova >= op->size + gap * pg) {
		op->iova = v->iova - op->size - gap * pg; /* right before one */
	} else if (r < 72) {
		op->iova = window_page(g, pg);
	} else if (r < 78 && v) {
		op->iova = v->iova + pg * rng_below(&g->rng, v->size / pg); /* overlaps */
	} else if (r < 86) {
		bad_range(g, pg, &op->iova, &op->size, true);
	} else if (r < 90 && !g->kernel) {
		npages = 1 + rng_below(&g->rng, 8); /* the top of the address space */
		op->size = npages * pg;
		op->iova = 0 - op->size;
	} else if (r < 92 && !g->huge_done && pg <= 8192 && !g->kernel) {
		/* more than INT_MAX pages: START and MAP while tracking must fail */
		g->huge_done = true;
		op->iova = HUGE_IOVA;
		op->size = (1ull << 31) * pg + pg;
	} else {
		/* far away, but not so far that a request over it costs megabytes */
		op->iova = (1ull << 28) + pg * rng_below(&g->rng, 64);
	}

	/*
	 * A map larger than the huge one could succeed here (its memory is a
	 * fake address) but not in a replay, which cannot back it and answers
	 * -ENOMEM: make it wrap, which fails everywhere for the same reason.
	 */
	if (op->size > (1ull << 31) * pg + pg && op->size % pg == 0 &&
	    op->iova + (op->size - 1) >= op->iova)
		op->iova = 0 - pg;

	op->prot = RW;
	if (chance(&g->rng, 15)) {
		op->has_prot = true;
		op->prot = (uint32_t)PICK(&g->rng, DT_PROT_READ, DT_PROT_READ, DT_PROT_WRITE,
		                          DT_PROT_WRITE, 0, RW, 4, 5);
	}

	/* Backing memory: the same offset in both arenas, or a fake address. */
	if (op->size > 0 && op->size <= ARENA_BYTES) {
		op->vmode = VADDR_ARENA;
		if (op->iova >= WINDOW_BASE && op->iova - WINDOW_BASE <= ARENA_BYTES - op->size &&
		    (op->iova - WINDOW_BASE) % pg == 0 && chance(&g->rng, 80))
			op->voff = op->iova - WINDOW_BASE;
		else
			op->voff = pg * rng_below(&g->rng, (ARENA_BYTES - op->size) / pg + 1);
	} else {
		op->vmode = VADDR_FAKE;
	}
	/* a bad vaddr must make the map fail, or the replay (which cannot say it) diverges */
	if (chance(&g->rng, 2))
		op->vmode = VADDR_UNALIGNED;
	else if (chance(&g->rng, 1))
		op->vmode = op->size > pg ? VADDR_WRAP : VADDR_UNALIGNED;
}

static void gen_pin(struct gen *g, const struct maps *m, const struct oracle_container *o,
                    uint64_t pg, struct op *op, bool pin)
{
	uint64_t r = rng_below(&g->rng, 100);

	op->kind = pin ? OP_PIN : OP_UNPIN;
	op->id = attached_or_not(g, o);
	op->npages = 1;
	if (chance(&g->rng, 60)) {
		op->has_npages = true;
		op->npages = chance(&g->rng, 80) ? PICK(&g->rng, 1, 2, 3, 4, 8, 63, 64, 65, 130)
		                                 : PICK(&g->rng, 0, 512, 513, 1000, UINT64_MAX);
	}
	if (!pin && g->npins > 0 && r < 60) {
		const struct pinned *p = &g->pins[rng_below(&g->rng, g->npins)];

		op->iova = p->iova;
		op->has_npages = true;
		op->npages = chance(&g->rng, 80) ? p->npages : p->npages + 1;
		return;
	}
	if (r < 75 && m->n > 0) {
		const struct oracle_mapping_view *v = &m->v[rng_below(&g->rng, m->n)];
		uint64_t pages = v->size / pg;

		/* often near the end, so that npages runs into a neighbour or a hole */
		if (chance(&g->rng, 40) && pages > 2)
			op->iova = v->iova + pg * (pages - 1 - rng_below(&g->rng, 2));
		else
			op->iova = v->iova + pg * rng_below(&g->rng, pages < 512 ? pages : 512);
	} else if (r < 82) {
		op->iova = window_page(g, pg) + PICK(&g->rng, 1, 512, pg / 2);
	} else if (r < 90) {
		op->iova = 0 - pg * (1 + rng_below(&g->rng, 3));
	} else {
		op->iova = window_page(g, pg);
	}
	if (pin) {
		op->prot = RW;
		if (chance(&g->rng, 25)) {
			op->has_prot = true;
			op->prot = (uint32_t)PICK(&g->rng, DT_PROT_READ, DT_PROT_WRITE, RW,
			                          DT_PROT_READ, 0, 4);
		}
	}
}

/* Never let a write reach a mapping whose memory is not really there. */
static bool rw_is_safe(const struct maps *m, const struct arenas *ar, uint64_t iova, uint64_t len)
{
	uint64_t last = len == 0 ? iova : (iova + (len - 1) < iova ? UINT64_MAX : iova + (len - 1));
	size_t i;

	for (i = 0; i < m->n; i++) {
		const struct oracle_mapping_view *v = &m->v[i];
		uint64_t vlast = v->iova + (v->size - 1);

		if (v->iova <= last && iova <= vlast && !arena_backed(v, ar))
			return false;
	}
	return true;
}

static void gen_rw(struct gen *g, const struct maps *m, const struct arenas *ar, uint64_t pg,
                   struct op *op)
{
	uint64_t r = rng_below(&g->rng, 100);

	op->kind = OP_RW;
	op->write = !chance(&g->rng, 10);
	op->buf_null = chance(&g->rng, 2);
	op->len = chance(&g->rng, 75) ? PICK(&g->rng, 1, 2, 2, 3, 100, 4096, pg, pg + 1, 2 * pg + 3)
	                              : rng_below(&g->rng, 3 * pg + 1);
	if (r < 75 && m->n > 0) {
		const struct oracle_mapping_view *v = &m->v[rng_below(&g->rng, m->n)];
		uint64_t pages = v->size / pg;

		switch (rng_below(&g->rng, 4)) {
		case 0: /* the 2-byte write at pgsize-1 of §4, and its cousins */
			op->iova =
			    v->iova + pg * rng_below(&g->rng, pages < 64 ? pages : 64) + pg - 1;
			break;
		case 1: /* running off the end: into a neighbour or a hole */
			op->iova = v->iova + v->size - 1 - rng_below(&g->rng, 64);
			break;
		default:
			op->iova =
			    v->iova + rng_below(&g->rng, v->size < pg * 64 ? v->size : pg * 64);
			break;
		}
	} else if (r < 90) {
		op->iova = window_page(g, pg) + rng_below(&g->rng, pg);
	} else {
		op->iova = 0 - 1 - rng_below(&g->rng, pg); /* across 2^64 */
	}
	if (!rw_is_safe(m, ar, op->iova, op->len))
		op->len = 0;
}

static void gen_op(struct gen *g, const struct oracle_container *o, const struct arenas *ar,
                   uint64_t index, struct op *op)
{
	uint64_t pg = oracle_pgsize(o);
	bool tracking = oracle_tracking(o);
	struct maps m;
	unsigned int r;

	memset(op, 0, sizeof(*op));
	maps_load(&m, o);

	/* A sequence starts by building a landscape, then works it. */
	if (g->kernel && index == 0 && chance(&g->rng, 85)) {
		r = 33; /* a kernel maps nothing before a group: usually attach one first */
	} else if (index == 0 && chance(&g->rng, 25)) {
		r = 0; /* container */
	} else if (index < 10 && chance(&g->rng, 55)) {
		r = 10; /* map */
	} else if (index < 12 && chance(&g->rng, 12)) {
		r = 33; /* group */
	} else {
		r = (unsigned int)rng_below(&g->rng, 100);
		if (!tracking && r >= 60 && r < 80 && chance(&g->rng, 35))
			r = 56; /* start, so that gets have something to see */
		if (r >= 40 && r < 53 && !any_group(o) && chance(&g->rng, 70))
			r = 33; /* a group first, so that pins have someone to pin for */
		/* no pin, unpin or rw for a kernel: an unmap or a get instead */
		if (g->kernel && r >= 40 && r < 53)
			r = 24 + (r - 40) * 8 / 13;
		else if (g->kernel && r >= 80 && r < 98)
			r = 60 + (r - 80);
	}

	if (r < 2) {
		op->kind = OP_CONTAINER;
		if (chance(&g->rng, 60)) {
			op->has_pgsize = true;
			op->pgsize = chance(&g->rng, 85)
			                 ? (g->kernel ? 4096 : PICK(&g->rng, 4096, 8192, 65536))
			                 : PICK(&g->rng, 0, 1, 2048, 4095, 12288, 4097);
		}
		if (!g->kernel && chance(&g->rng, 60)) {
			op->has_limit = true;
			op->dma_limit =
			    chance(&g->rng, 90) ? (uint32_t)(1 + rng_below(&g->rng, 8)) : 0;
		}
		if (chance(&g->rng, 20)) {
			op->has_v2 = true;
			op->v2 = chance(&g->rng, 30);
		} else {
			op->v2 = true;
		}
	} else if (r < 24) {
		gen_map(g, &m, pg, op);
	} else if (r < 32) {
		op->kind = OP_UNMAP;
		if (chance(&g->rng, 4)) {
			op->has_flags = true;
			op->flags = DT_UNMAP_ALL;
			op->iova = 0;
			op->size = chance(&g->rng, 80) ? 0 : pg;
		} else {
			gen_range(g, &m, pg, op, 55);
		}
		op->bitmap = chance(&g->rng, tracking ? 60 : 25);
		if (op->bitmap)
			gen_bitmap(g, pg, op);
		gen_raw(g, op, true);
		op->wrapper = chance(&g->rng, 30);
	} else if (r < 37) {
		op->kind = OP_GROUP;
		op->id = chance(&g->rng, 90) ? 1 + rng_below(&g->rng, 4)
		                             : PICK(&g->rng, 0, 1ull << 40, UINT64_MAX);
		op->gkind = chance(&g->rng, 50) ? DT_GROUP_IOMMU : DT_GROUP_MEDIATED;
		if (chance(&g->rng, 2))
			op->gkind = (int)PICK(&g->rng, 0, 3);
		if (g->kernel) {
			/* ids 0-4: at most five groups at once, one edu device each */
			op->gkind = DT_GROUP_IOMMU;
			op->id = index == 0 ? 1 : rng_below(&g->rng, 5);
		}
		op->devices = 1;
		if (chance(&g->rng, 15)) {
			op->has_devices = true;
			op->devices = (unsigned int)PICK(&g->rng, 2, 2, 3, 0, 1);
		}
	} else if (r < 40) {
		op->kind = OP_DETACH;
		op->id = attached_or_not(g, o);
	} else if (r < 48) {
		gen_pin(g, &m, o, pg, op, true);
	} else if (r < 53) {
		gen_pin(g, &m, o, pg, op, false);
	} else if (r < 57) {
		op->kind = OP_START;
		gen_raw(g, op, false);
		op->wrapper = chance(&g->rng, 30);
	} else if (r < 59) {
		op->kind = OP_STOP;
		gen_raw(g, op, false);
		op->wrapper = chance(&g->rng, 30);
	} else if (r < 80) {
		op->kind = OP_GET;
		gen_range(g, &m, pg, op, 70);
		gen_bitmap(g, pg, op);
		gen_raw(g, op, false);
		op->wrapper = chance(&g->rng, 30);
	} else if (r < 98) {
		gen_rw(g, &m, ar, pg, op);
	} else {
		op->kind = OP_INFO;
		op->info_null = chance(&g->rng, 10);
	}
}

/* After an operation ran: remember successful pins for later unpins. */
static void gen_note(struct gen *g, const struct op *op, int ret)
{
	if (op->kind != OP_PIN || ret != 0)
		return;
	if (g->npins == sizeof(g->pins) / sizeof(g->pins[0]))
		memmove(&g->pins[0], &g->pins[1], sizeof(g->pins) - sizeof(g->pins[0]));
	else
		g->npins++;
	g->pins[g->npins - 1] = (struct pinned){op->iova, op->npages};
}

/* ---- running an operation on both sides ----------------------------------- */

/* A zero-filled bitmap buffer; one that claims more than the maximum gets a guard. */
struct buffer {
	uint64_t *p;
	uint64_t real; /* bytes really there */
	bool mapped;
	/*
	 * For a mapped buffer (up to 256 MiB), which 4 KiB pages anyone
	 * touched: the others are still zero-filled, so comparing and
	 * printing can skip them instead of reading half a gigabyte.
	 */
	unsigned char *live;
};

#define BUF_PAGE 4096ull

static void buffer_scan(struct buffer *b)
{
	size_t n;

	if (!b->mapped || b->live)
		return;
	n = (size_t)((b->real + BUF_PAGE - 1) / BUF_PAGE);
	b->live = malloc(n);
	if (!b->live || mincore(b->p, (size_t)b->real, b->live) != 0) {
		fprintf(stderr, "oracle_test: mincore failed\n");
		exit(2);
	}
}

/* May the page holding byte @off of @b be non-zero? */
static bool buffer_live(const struct buffer *b, uint64_t off)
{
	return !b->mapped || (b->live[off / BUF_PAGE] & 1);
}

static void buffer_get(struct buffer *b, uint64_t bytes)
{
	memset(b, 0, sizeof(*b));
	if (bytes == 0)
		return; /* as the replay: nothing to point at */
	b->real = bytes > DT_DIRTY_BITMAP_SIZE_MAX ? GUARD_BYTES : bytes;
	if (b->real <= SMALL_BUFFER) {
		b->p = calloc(1, b->real);
	} else {
		void *p = mmap(NULL, b->real, PROT_READ | PROT_WRITE,
		               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		b->p = p == MAP_FAILED ? NULL : p;
		b->mapped = true;
	}
	if (!b->p) {
		fprintf(stderr, "oracle_test: cannot allocate %" PRIu64 " bytes\n", b->real);
		exit(2);
	}
}

static void buffer_put(struct buffer *b)
{
	if (b->mapped)
		munmap(b->p, b->real);
	else
		free(b->p);
	free(b->live);
}

/* The resolved request: what the replay would build from the op's text. */
struct request {
	uint32_t argsz, flags;
	uint64_t iova, size;
	bool descriptor;
	uint64_t bm_pgsize, bm_bytes;
};

static void resolve(const struct op *op, uint64_t pg, struct request *q)
{
	memset(q, 0, sizeof(*q));
	switch (op->kind) {
	case OP_UNMAP:
		q->flags = op->has_flags ? op->flags : op->bitmap ? DT_UNMAP_GET_DIRTY_BITMAP : 0;
		q->descriptor = op->bitmap || (q->flags & DT_UNMAP_GET_DIRTY_BITMAP);
		q->argsz = op->has_argsz   ? op->argsz
		           : q->descriptor ? DT_DMA_UNMAP_BITMAP_ARGSZ
		                           : DT_DMA_UNMAP_ARGSZ;
		break;
	case OP_GET:
		q->flags = op->has_flags ? op->flags : DT_DIRTY_GET_BITMAP;
		q->argsz = op->has_argsz ? op->argsz : DT_DIRTY_PAGES_GET_ARGSZ;
		q->descriptor = true;
		break;
	default: /* start, stop */
		q->flags = op->has_flags          ? op->flags
		           : op->kind == OP_START ? DT_DIRTY_START
		                                  : DT_DIRTY_STOP;
		q->argsz = op->has_argsz ? op->argsz : DT_DIRTY_PAGES_ARGSZ;
		return;
	}
	q->iova = op->iova;
	q->size = op->size;
	if (q->descriptor) {
		q->bm_pgsize = op->has_bm_pgsize ? op->bm_pgsize : pg;
		q->bm_bytes = op->has_bm_bytes
		                  ? op->bm_bytes
		                  : dt_bitmap_bytes(q->bm_pgsize ? op->size / q->bm_pgsize : 0);
	}
}

/*
 * Each run_* function runs one operation on the oracle and, unless
 * s->e is NULL (emitting a replay), on the engine; it writes each side's
 * result as the replay would print it into @eng and @orc, returns the
 * oracle's return value in *@ret, and returns false on a difference, with
 * the detail that is not in the results in @why.
 */
struct results {
	struct str eng, orc, why;
	int ret;
	/*
	 * Print bitmaps as " set=..." even when the sides agree (verbose,
	 * stats); scanning every buffer costs a third of the run otherwise.
	 */
	bool want_sets;
};

static bool buffer_zero_page(const void *ctx, uint64_t off)
{
	return !buffer_live(ctx, off);
}

static void set_text(struct str *s, struct buffer *b)
{
	buffer_scan(b);
	str_set(s, b->p, b->real, buffer_zero_page, b);
}

static bool compare_rets(struct results *r, int re, int ro, bool with_engine)
{
	str_result(&r->orc, ro);
	r->ret = ro;
	if (!with_engine)
		return true;
	str_result(&r->eng, re);
	return re == ro;
}

static bool same_buffers(struct buffer *be, struct buffer *bo, struct results *r)
{
	uint64_t off, n;

	buffer_scan(be);
	buffer_scan(bo);
	for (off = 0; off < be->real; off += BUF_PAGE) {
		n = be->real - off < BUF_PAGE ? be->real - off : BUF_PAGE;
		if (!buffer_live(be, off) && !buffer_live(bo, off))
			continue;
		if (memcmp((uint8_t *)be->p + off, (uint8_t *)bo->p + off, n) != 0) {
			str_printf(&r->why, "bitmap buffers differ");
			return false;
		}
	}
	return true;
}

static bool run_unmap(struct sides *s, const struct op *op, struct results *r)
{
	uint64_t pg = oracle_pgsize(s->o), unmapped_e = 0xdeadbeefull;
	struct dt_dma_unmap ue, uo;
	struct buffer be = {0}, bo = {0};
	struct request q;
	int re = 0, ro;
	bool same;

	resolve(op, pg, &q);
	memset(&uo, 0, sizeof(uo));
	uo.argsz = q.argsz;
	uo.flags = q.flags;
	uo.iova = q.iova;
	uo.size = q.size;
	if (q.descriptor) {
		uo.bitmap.pgsize = q.bm_pgsize;
		uo.bitmap.size = q.bm_bytes;
		if (!op->data_null) {
			buffer_get(&bo, q.bm_bytes);
			if (s->e)
				buffer_get(&be, q.bm_bytes);
		}
	}
	ue = uo;
	ue.bitmap.data = be.p;
	uo.bitmap.data = bo.p;

	if (s->e) {
		bool plain = op->wrapper && !op->has_flags && !op->has_argsz;

		/* the convenience calls have no struct to compare: stand one in */
		if (plain && !op->bitmap) {
			re = dt_unmap(s->e, q.iova, q.size, &unmapped_e);
			ue.size = re == 0 ? unmapped_e : ue.size;
		} else if (plain) {
			re = dt_unmap_bitmap(s->e, q.iova, q.size, &ue.bitmap, &unmapped_e);
			ue.size = re == 0 ? unmapped_e : ue.size;
		} else {
			re = dt_dma_unmap(s->e, &ue);
			unmapped_e = ue.size;
		}
	}
	ro = oracle_dma_unmap(s->o, &uo);
	buffer_scan(&be); /* before anything reads the buffers */
	buffer_scan(&bo);

	same = compare_rets(r, re, ro, s->e);
	if (!s->e || !same)
		;
	else if (ro == 0 && unmapped_e != uo.size)
		same = false;
	else if (!same_buffers(&be, &bo, r))
		same = false;
	else if (ue.argsz != uo.argsz || ue.flags != uo.flags || ue.iova != uo.iova ||
	         ue.size != uo.size || ue.bitmap.pgsize != uo.bitmap.pgsize ||
	         ue.bitmap.size != uo.bitmap.size || ue.bitmap.data != be.p) {
		/* only size may change, and only to the bytes unmapped */
		str_printf(&r->why, "the engine changed the request struct");
		same = false;
	}
	if (ro == 0) {
		str_printf(&r->orc, " unmapped=0x%" PRIx64, uo.size);
		if (q.descriptor && (r->want_sets || !same))
			set_text(&r->orc, &bo);
	}
	if (s->e && re == 0) {
		str_printf(&r->eng, " unmapped=0x%" PRIx64, unmapped_e);
		if (q.descriptor && (r->want_sets || !same))
			set_text(&r->eng, &be);
	}
	buffer_put(&be);
	buffer_put(&bo);
	return same;
}

static bool run_dirty(struct sides *s, const struct op *op, struct results *r)
{
	uint64_t pg = oracle_pgsize(s->o);
	struct dt_dirty_pages de, dor;
	struct buffer be = {0}, bo = {0};
	struct request q;
	bool plain = op->wrapper && !op->has_flags && !op->has_argsz;
	bool same;
	int re = 0, ro;

	resolve(op, pg, &q);
	memset(&dor, 0, sizeof(dor));
	dor.argsz = q.argsz;
	dor.flags = q.flags;
	dor.iova = q.iova;
	dor.size = q.size;
	if (q.descriptor) {
		dor.bitmap.pgsize = q.bm_pgsize;
		dor.bitmap.size = q.bm_bytes;
		if (!op->data_null) {
			buffer_get(&bo, q.bm_bytes);
			if (s->e)
				buffer_get(&be, q.bm_bytes);
		}
	}
	de = dor;
	de.bitmap.data = be.p;
	dor.bitmap.data = bo.p;

	if (s->e && plain && op->kind == OP_START)
		re = dt_dirty_start(s->e);
	else if (s->e && plain && op->kind == OP_STOP)
		re = dt_dirty_stop(s->e);
	else if (s->e && plain && op->kind == OP_GET)
		re = dt_get_bitmap(s->e, q.iova, q.size, &de.bitmap);
	else if (s->e)
		re = dt_dirty_pages(s->e, &de);
	ro = oracle_dirty_pages(s->o, &dor);
	buffer_scan(&be); /* before anything reads the buffers */
	buffer_scan(&bo);

	same = compare_rets(r, re, ro, s->e);
	if (s->e && same && !same_buffers(&be, &bo, r))
		same = false;
	if (op->kind == OP_GET && ro == 0 && (r->want_sets || !same))
		set_text(&r->orc, &bo);
	if (s->e && op->kind == OP_GET && re == 0 && (r->want_sets || !same))
		set_text(&r->eng, &be);
	buffer_put(&be);
	buffer_put(&bo);
	return same;
}

static uint64_t op_vaddr(const struct op *op, const uint8_t *arena, uint64_t pg)
{
	switch (op->vmode) {
	case VADDR_ARENA:
		return (uint64_t)(uintptr_t)arena + op->voff;
	case VADDR_FAKE:
		/* as the replay, which passes 0 when it has no memory: no wrap of its own */
		return op->size <= 0 - FAKE_VADDR ? FAKE_VADDR : 0;
	case VADDR_UNALIGNED:
		return (uint64_t)(uintptr_t)arena + op->voff + 512;
	default:
		return 0 - pg; /* aligned, but vaddr + size - 1 wraps for any size > pg */
	}
}

/*
 * After a DMA_RW: the bytes of every mapping the range touches, and a page
 * either side in the arena, must be the same in both arenas.
 */
static bool same_memory(struct sides *s, struct arenas *ar, const struct op *op, struct results *r)
{
	uint64_t pg = oracle_pgsize(s->o), last, base = (uint64_t)(uintptr_t)ar->o;
	size_t i, n = oracle_mapping_count(s->o);

	if (op->len == 0)
		return true;
	last = op->iova + (op->len - 1) < op->iova ? UINT64_MAX : op->iova + (op->len - 1);
	for (i = 0; i < n; i++) {
		struct oracle_mapping_view v;
		uint64_t lo, hi, off_lo, off_hi, k;

		oracle_mapping_at(s->o, i, &v);
		if (!(v.iova <= last && op->iova <= v.iova + (v.size - 1)) || !arena_backed(&v, ar))
			continue;
		lo = op->iova > v.iova ? op->iova : v.iova;
		hi = last < v.iova + (v.size - 1) ? last : v.iova + (v.size - 1);
		off_lo = v.vaddr - base + (lo - v.iova);
		off_hi = v.vaddr - base + (hi - v.iova);
		off_lo = off_lo > pg ? off_lo - pg : 0;
		off_hi = off_hi + pg < ARENA_BYTES ? off_hi + pg : ARENA_BYTES - 1;
		if (ar->nseen < MAX_SEEN) {
			ar->seen_lo[ar->nseen] = off_lo;
			ar->seen_hi[ar->nseen++] = off_hi;
		}
		if (memcmp(ar->e + off_lo, ar->o + off_lo, off_hi - off_lo + 1) == 0)
			continue;
		for (k = off_lo; ar->e[k] == ar->o[k]; k++)
			;
		str_printf(&r->why,
		           "memory differs at arena offset 0x%" PRIx64 " (mapping iova 0x%" PRIx64
		           "): engine 0x%02x oracle 0x%02x",
		           k, v.iova, ar->e[k], ar->o[k]);
		return false;
	}
	return true;
}

static bool run_rw(struct sides *s, struct arenas *ar, struct gen *g, const struct op *op,
                   struct results *r)
{
	uint8_t *be = NULL, *bo = NULL, *orig = NULL;
	bool same;
	uint64_t i;
	int re = 0, ro;

	if (op->len > 0 && !op->buf_null) {
		be = malloc(op->len);
		bo = malloc(op->len);
		orig = malloc(op->len);
		if (!be || !bo || !orig) {
			fprintf(stderr, "oracle_test: out of memory\n");
			exit(2);
		}
		for (i = 0; i < op->len; i++)
			orig[i] = (uint8_t)rng_next(&g->rng);
		memcpy(be, orig, op->len);
		memcpy(bo, orig, op->len);
	}
	if (s->e)
		re = dt_dma_rw(s->e, op->iova, be, op->len, op->write);
	ro = oracle_dma_rw(s->o, op->iova, bo, op->len, op->write);
	same = compare_rets(r, re, ro, s->e);
	if (s->e && same && be && memcmp(be, bo, op->len) != 0) {
		str_printf(&r->why, op->write ? "the engine changed the source buffer"
		                              : "the bytes read differ");
		same = false;
	}
	if (s->e && same && !same_memory(s, ar, op, r))
		same = false;
	free(be);
	free(bo);
	free(orig);
	return same;
}

static void info_text(struct str *s, const struct dt_info *i)
{
	str_printf(s,
	           " pgsize_bitmap=0x%" PRIx64 " max_bitmap_bytes=%" PRIu64
	           " (dma_avail=%u id=%u version=%u next=%u flags=%u info.pgsize_bitmap=0x%" PRIx64
	           ")",
	           i->migration.pgsize_bitmap, i->migration.max_dirty_bitmap_size, i->dma_avail,
	           i->migration.id, i->migration.version, i->migration.next, i->migration.flags,
	           i->pgsize_bitmap);
}

static bool run_info(struct sides *s, const struct op *op, struct results *r)
{
	struct dt_info ie, io;
	int re = 0, ro;
	bool same;

	/* different garbage on each side: unwritten padding shows up */
	memset(&ie, 0xa5, sizeof(ie));
	memset(&io, 0x5a, sizeof(io));
	if (s->e)
		re = dt_info_get(s->e, op->info_null ? NULL : &ie);
	ro = oracle_info_get(s->o, op->info_null ? NULL : &io);
	same = compare_rets(r, re, ro, s->e);
	if (ro == 0)
		info_text(&r->orc, &io);
	if (s->e && re == 0)
		info_text(&r->eng, &ie);
	if (s->e && same && ro == 0 && memcmp(&ie, &io, sizeof(ie)) != 0) {
		str_printf(&r->why, "struct dt_info differs (fields or padding bytes)");
		same = false;
	}
	return same;
}

static bool run_container(struct sides *s, const struct options *o, const struct op *op,
                          struct results *r)
{
	struct dt_container_config cfg;
	struct dt_container *ne = NULL;
	struct oracle_container *no = NULL;
	int re = 0, ro;
	bool same;

	dt_container_config_init(&cfg);
	cfg.backend = "model";
	cfg.harvest = o->harvest;
	if (op->has_pgsize)
		cfg.pgsize = op->pgsize;
	if (op->has_limit)
		cfg.dma_limit = op->dma_limit;
	cfg.v2 = op->v2;
	if (s->e)
		re = dt_container_create(&cfg, &ne);
	ro = oracle_container_create(&cfg, &no);
	same = compare_rets(r, re, ro, s->e);
	if (!same) {
		dt_container_destroy(ne);
		oracle_container_destroy(no);
		return false;
	}
	if (ro == 0) {
		/* a new container replaces the old one; a failed one leaves it */
		if (s->e) {
			dt_container_destroy(s->e);
			s->e = ne;
		}
		oracle_container_destroy(s->o);
		s->o = no;
	}
	return true;
}

static bool run_op(struct sides *s, struct arenas *ar, struct gen *g, const struct options *o,
                   const struct op *op, struct results *r)
{
	uint64_t pg = oracle_pgsize(s->o);
	int re = 0, ro;

	switch (op->kind) {
	case OP_CONTAINER:
		return run_container(s, o, op, r);
	case OP_UNMAP:
		return run_unmap(s, op, r);
	case OP_START:
	case OP_STOP:
	case OP_GET:
		return run_dirty(s, op, r);
	case OP_RW:
		return run_rw(s, ar, g, op, r);
	case OP_INFO:
		return run_info(s, op, r);
	case OP_GROUP:
		if (s->e)
			re = dt_group_attach(s->e, op->id, (enum dt_group_kind)op->gkind,
			                     op->devices);
		ro = oracle_group_attach(s->o, op->id, (enum dt_group_kind)op->gkind, op->devices);
		break;
	case OP_DETACH:
		if (s->e)
			re = dt_group_detach(s->e, op->id);
		ro = oracle_group_detach(s->o, op->id);
		break;
	case OP_MAP:
		if (s->e)
			re =
			    dt_dma_map(s->e, op->iova, op->size, op_vaddr(op, ar->e, pg), op->prot);
		ro = oracle_dma_map(s->o, op->iova, op->size, op_vaddr(op, ar->o, pg), op->prot);
		break;
	case OP_PIN:
		if (s->e)
			re = dt_pin(s->e, op->id, op->iova, op->npages, op->prot);
		ro = oracle_pin(s->o, op->id, op->iova, op->npages, op->prot);
		break;
	case OP_UNPIN:
	default:
		if (s->e)
			re = dt_unpin(s->e, op->id, op->iova, op->npages);
		ro = oracle_unpin(s->o, op->id, op->iova, op->npages);
		break;
	}
	return compare_rets(r, re, ro, s->e);
}

/* ---- sequences -------------------------------------------------------------- */

static struct dt_container *engine_default(const struct options *o)
{
	struct dt_container_config cfg;
	struct dt_container *e = NULL;
	int ret;

	dt_container_config_init(&cfg);
	cfg.backend = "model";
	cfg.harvest = o->harvest;
	ret = dt_container_create(&cfg, &e);
	if (ret) {
		fprintf(stderr,
		        "oracle_test: cannot create an engine container (harvest '%s'): %s\n",
		        o->harvest, errname(ret));
		exit(2);
	}
	return e;
}

/*
 * Run the sequence of @seed. Returns 0, or 1 on a difference (reported).
 * @emit runs the oracle alone and prints the sequence as a replay file.
 */
/* Count what a harvest covered, from the mappings before it ran. */
static void count_harvest(struct stats *st, const struct oracle_container *oc, const struct op *op,
                          const struct results *r, const struct maps *pre)
{
	uint64_t pg = oracle_pgsize(oc), last = op->iova + (op->size - 1);
	size_t i, inside = 0, odd = 0;
	struct maps m;

	if (r->ret != 0 || op->size == 0 || last < op->iova ||
	    !(op->kind == OP_GET || (op->kind == OP_UNMAP && op->bitmap)))
		return;
	st->harvests++;
	if (pre)
		m = *pre;
	else
		maps_load(&m, oc);
	for (i = 0; i < m.n; i++) {
		if (m.v[i].iova < op->iova || m.v[i].iova + (m.v[i].size - 1) > last)
			continue;
		inside++;
		odd += ((m.v[i].iova - op->iova) / pg) % 64 != 0;
	}
	if (inside >= 2 && odd >= 1) {
		st->merged++;
		st->merged_dirty += strstr(r->orc.s, "set=none") == NULL;
	}
}

static int run_sequence(const struct options *o, struct arenas *ar, uint64_t seed, bool emit,
                        uint64_t *nops, struct stats *st)
{
	struct dt_container_config cfg;
	struct sides s = {NULL, NULL};
	struct str text = {0}, lines = {0};
	struct results r = {.want_sets = o->verbose || o->stats};
	struct gen g = {.rng = {seed}, .kernel = o->kernel};
	struct maps pre;
	struct op op;
	uint64_t k;
	size_t i;
	int status = 0;

	rng_next(&g.rng); /* decorrelate neighbouring seeds */
	dt_container_config_init(&cfg);
	if (oracle_container_create(&cfg, &s.o)) {
		fprintf(stderr, "oracle_test: cannot create an oracle container\n");
		exit(2);
	}
	if (!emit)
		s.e = engine_default(o);
	ar->nseen = 0;
	str_printf(&lines, "# oracle_test --seed %" PRIu64 " --ops %" PRIu64 "\n", seed, o->ops);

	for (k = 0; k < o->ops; k++) {
		bool same;

		gen_op(&g, s.o, ar, k, &op);
		str_reset(&text);
		str_reset(&r.eng);
		str_reset(&r.orc);
		str_reset(&r.why);
		op_text(&text, &op);
		str_printf(&lines, "%s\n", text.s);
		if (o->stats && op.kind == OP_UNMAP)
			maps_load(&pre, s.o); /* the unmap removes what it reports */
		same = run_op(&s, ar, &g, o, &op, &r);
		if (o->stats) {
			if (r.ret == 0)
				st->ok[op.kind]++;
			else
				st->failed[op.kind]++;
			count_harvest(st, s.o, &op, &r, op.kind == OP_UNMAP ? &pre : NULL);
		}
		if (o->verbose && !emit)
			printf("%s -> engine %s oracle %s%s%s\n", text.s, r.eng.s, r.orc.s,
			       r.why.len ? ": " : "", r.why.len ? r.why.s : "");
		if (!same) {
			printf("oracle: difference at seed %" PRIu64 ", operation %" PRIu64
			       ": %s: engine %s oracle %s%s%s\n",
			       seed, k + 1, text.s, r.eng.s, r.orc.s, r.why.len ? ": " : "",
			       r.why.len ? r.why.s : "");
			printf("%s", lines.s);
			status = 1;
			k++;
			break;
		}
		gen_note(&g, &op, r.ret);
	}
	*nops += k;

	/* a stray write of a later operation into memory compared earlier */
	for (i = 0; status == 0 && !emit && i < ar->nseen; i++) {
		if (memcmp(ar->e + ar->seen_lo[i], ar->o + ar->seen_lo[i],
		           ar->seen_hi[i] - ar->seen_lo[i] + 1) == 0)
			continue;
		printf("oracle: difference at seed %" PRIu64 ", operation %" PRIu64
		       ": (end of sequence): engine memory differs from oracle memory at arena "
		       "offsets 0x%" PRIx64 "-0x%" PRIx64 "\n",
		       seed, k, ar->seen_lo[i], ar->seen_hi[i]);
		printf("%s", lines.s);
		status = 1;
	}
	if (emit)
		printf("%s", lines.s);
	dt_container_destroy(s.e);
	oracle_container_destroy(s.o);
	free(text.s);
	free(lines.s);
	free(r.eng.s);
	free(r.orc.s);
	free(r.why.s);
	return status;
}

/* ---- command line ----------------------------------------------------------- */

static void usage(FILE *f)
{
	const char *const *names;

	fprintf(
	    f,
	    "usage: oracle_test [options]\n"
	    "Compare libdirtytrack with the naive oracle on random operation sequences.\n"
	    "  --seeds N        number of sequences (default 10000)\n"
	    "  --seed-base N    first seed (default 1)\n"
	    "  --ops N          operations per sequence (default 60)\n"
	    "  --seed S         run only the sequence of seed S\n"
	    "  --emit-replay    with --seed: print that sequence as a replay file\n"
	    "  --kernel         only operations a real kernel can execute (tests/kernel/)\n"
	    "  --harvest NAME   the engine's harvest implementation (default reference)\n"
	    "  -v, --verbose    print every operation and both results\n"
	    "  --stats          count operations and results (to tune the generator)\n"
	    "  -h, --help       this text\n"
	    "Exit: 0 no difference, 1 a difference (\"oracle: difference ...\"), 2 bad usage.\n");
	fprintf(f, "Harvests:");
	for (names = dt_harvest_names(); *names; names++)
		fprintf(f, " %s", *names);
	fprintf(f, "\n");
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

static int parse_options(int argc, char **argv, struct options *o)
{
	int i;

	*o = (struct options){.seeds = 10000, .seed_base = 1, .ops = 60, .harvest = "reference"};
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL, *eq = strchr(a, '=');
		char name[32];
		size_t n = eq ? (size_t)(eq - a) : strlen(a);

		if (n >= sizeof(name))
			n = sizeof(name) - 1;
		memcpy(name, a, n);
		name[n] = '\0';
		if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0) {
			usage(stdout);
			exit(0);
		}
		if (strcmp(name, "-v") == 0 || strcmp(name, "--verbose") == 0) {
			o->verbose = true;
			continue;
		}
		if (strcmp(name, "--stats") == 0) {
			o->stats = true;
			continue;
		}
		if (strcmp(name, "--kernel") == 0) {
			o->kernel = true;
			continue;
		}
		if (strcmp(name, "--emit-replay") == 0) {
			o->emit = true;
			continue;
		}
		if (strcmp(name, "--seeds") && strcmp(name, "--seed-base") &&
		    strcmp(name, "--ops") && strcmp(name, "--seed") && strcmp(name, "--harvest")) {
			fprintf(stderr, "oracle_test: unknown option '%s' (try --help)\n", a);
			return -1;
		}
		val = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
		if (!val) {
			fprintf(stderr, "oracle_test: option %s needs a value\n", name);
			return -1;
		}
		if (strcmp(name, "--harvest") == 0) {
			o->harvest = val;
			continue;
		}
		{
			uint64_t v;

			if (!parse_u64(val, &v)) {
				fprintf(stderr, "oracle_test: %s takes a number, not '%s'\n", name,
				        val);
				return -1;
			}
			if (strcmp(name, "--seeds") == 0)
				o->seeds = v;
			else if (strcmp(name, "--seed-base") == 0)
				o->seed_base = v;
			else if (strcmp(name, "--ops") == 0)
				o->ops = v;
			else {
				o->seed = v;
				o->one_seed = true;
			}
		}
	}
	if (o->emit && !o->one_seed) {
		fprintf(stderr, "oracle_test: --emit-replay needs --seed S\n");
		return -1;
	}
	if (o->ops == 0) {
		fprintf(stderr, "oracle_test: --ops must be at least 1\n");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const char *const kinds[] = {"container", "group", "detach", "map",
	                                    "unmap",     "pin",   "unpin",  "rw",
	                                    "start",     "stop",  "get",    "info"};
	struct stats st = {0};
	struct options o;
	struct arenas ar;
	uint64_t i, nops = 0, first, count;
	int status = 0;

	if (parse_options(argc, argv, &o))
		return 2;
	ar.e = mmap(NULL, ARENA_BYTES, PROT_READ | PROT_WRITE,
	            MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ar.o = mmap(NULL, ARENA_BYTES, PROT_READ | PROT_WRITE,
	            MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ar.e == MAP_FAILED || ar.o == MAP_FAILED) {
		perror("oracle_test: mmap");
		return 2;
	}
	if (!o.emit)
		dt_container_destroy(engine_default(&o)); /* a bad --harvest fails here, once */

	first = o.one_seed ? o.seed : o.seed_base;
	count = o.one_seed ? 1 : o.seeds;
	for (i = 0; i < count; i++) {
		status = run_sequence(&o, &ar, first + i, o.emit, &nops, &st);
		if (status)
			break;
	}
	if (status == 0 && !o.emit)
		printf("oracle: %" PRIu64 " sequences, %" PRIu64 " operations, 0 differences\n",
		       count, nops);
	if (o.stats && !o.emit) {
		for (i = 0; i <= OP_INFO; i++)
			printf("  %-9s %8" PRIu64 " ok %8" PRIu64 " failed\n", kinds[i], st.ok[i],
			       st.failed[i]);
		printf("  harvests %" PRIu64 ", over 2+ mappings at odd offsets %" PRIu64
		       " (%" PRIu64 " with bits set)\n",
		       st.harvests, st.merged, st.merged_dirty);
	}
	munmap(ar.e, ARENA_BYTES);
	munmap(ar.o, ARENA_BYTES);
	return status;
}
