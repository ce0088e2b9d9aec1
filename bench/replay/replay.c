// SPDX-License-Identifier: MIT
/*
 * replay.c - `dirtyscope replay`: run a replay file (../shared/REPLAY.md,
 * rulings in docs/semantics.md) against a backend, one result line per
 * operation.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <dirtytrack/dirtytrack.h>

#include "commands.h"
#include "errname.h"
#include "parse.h"
#include "replay.h"
#include "vfio_bind.h"

enum op {
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
	/* docs/semantics.md, "Replay additions": device writes and the second and third modes. */
	OP_WRITE,
	OP_HWSTART,
	OP_HWSTOP,
	OP_HWGET,
	OP_LOGSTART,
	OP_LOGSTOP,
	OP_LOGREPORT,
};

/* The keys of the language; each operation accepts a subset. */
enum key {
	K_PGSIZE,
	K_DMA_LIMIT,
	K_V2,
	K_DEVICES,
	K_IOVA,
	K_SIZE,
	K_PROT,
	K_BITMAP,
	K_BYTES,
	K_GROUP,
	K_NPAGES,
	K_LEN,
	K_ARGSZ,
	K_FLAGS,
	K_DATA,
	K_MODE,
	K_IOPGSIZE,
	K_MAXRANGES,
	K_LENGTH,
	K_NOCLEAR,
	K_RESERVED,
	K_OFFSET,
	K_RANGES,
	K_COUNT
};

static const char *const key_names[K_COUNT] = {
	[K_PGSIZE] = "pgsize", [K_DMA_LIMIT] = "dma_limit", [K_V2] = "v2",
	[K_DEVICES] = "devices", [K_IOVA] = "iova",	     [K_SIZE] = "size",
	[K_PROT] = "prot",     [K_BITMAP] = "bitmap",	     [K_BYTES] = "bytes",
	[K_GROUP] = "group",   [K_NPAGES] = "npages",	     [K_LEN] = "len",
	[K_ARGSZ] = "argsz",   [K_FLAGS] = "flags",	     [K_DATA] = "data",
	[K_MODE] = "mode",     [K_IOPGSIZE] = "iopgsize",    [K_MAXRANGES] = "maxranges",
	[K_LENGTH] = "length", [K_NOCLEAR] = "noclear",	     [K_RESERVED] = "reserved",
	[K_OFFSET] = "offset", [K_RANGES] = "ranges",
};

#define KEY(k) (1u << (k))

static const struct op_spec {
	const char *name;
	unsigned int positional; /* leading words before the keys */
	uint32_t keys;		 /* accepted */
	uint32_t required;
} specs[] = {
	[OP_CONTAINER] = {"container", 0,
			  KEY(K_PGSIZE) | KEY(K_DMA_LIMIT) | KEY(K_V2) | KEY(K_MODE) | KEY(K_IOPGSIZE) |
				  KEY(K_MAXRANGES),
			  0},
	[OP_GROUP] = {"group", 2, KEY(K_DEVICES), 0},
	[OP_DETACH] = {"detach", 1, 0, 0},
	[OP_MAP] = {"map", 0, KEY(K_IOVA) | KEY(K_SIZE) | KEY(K_PROT) | KEY(K_IOPGSIZE),
		    KEY(K_IOVA) | KEY(K_SIZE)},
	[OP_UNMAP] = {"unmap", 0,
		      KEY(K_IOVA) | KEY(K_SIZE) | KEY(K_BITMAP) | KEY(K_PGSIZE) | KEY(K_BYTES) |
			      KEY(K_ARGSZ) | KEY(K_FLAGS) | KEY(K_DATA),
		      KEY(K_IOVA) | KEY(K_SIZE)},
	[OP_PIN] = {"pin", 0, KEY(K_GROUP) | KEY(K_IOVA) | KEY(K_NPAGES) | KEY(K_PROT),
		    KEY(K_GROUP) | KEY(K_IOVA)},
	[OP_UNPIN] = {"unpin", 0, KEY(K_GROUP) | KEY(K_IOVA) | KEY(K_NPAGES),
		      KEY(K_GROUP) | KEY(K_IOVA)},
	[OP_RW] = {"rw", 0, KEY(K_IOVA) | KEY(K_LEN), KEY(K_IOVA) | KEY(K_LEN)},
	[OP_START] = {"start", 0, KEY(K_ARGSZ) | KEY(K_FLAGS), 0},
	[OP_STOP] = {"stop", 0, KEY(K_ARGSZ) | KEY(K_FLAGS), 0},
	[OP_GET] = {"get", 0,
		    KEY(K_IOVA) | KEY(K_SIZE) | KEY(K_PGSIZE) | KEY(K_BYTES) | KEY(K_ARGSZ) |
			    KEY(K_FLAGS) | KEY(K_DATA),
		    KEY(K_IOVA) | KEY(K_SIZE)},
	[OP_INFO] = {"info", 0, 0, 0},
	[OP_WRITE] = {"write", 0, KEY(K_IOVA) | KEY(K_LEN), KEY(K_IOVA) | KEY(K_LEN)},
	[OP_HWSTART] = {"hwstart", 0, 0, 0},
	[OP_HWSTOP] = {"hwstop", 0, 0, 0},
	[OP_HWGET] = {"hwget", 0,
		      KEY(K_IOVA) | KEY(K_LENGTH) | KEY(K_PGSIZE) | KEY(K_NOCLEAR) | KEY(K_FLAGS) |
			      KEY(K_RESERVED) | KEY(K_OFFSET) | KEY(K_DATA),
		      KEY(K_IOVA) | KEY(K_LENGTH)},
	[OP_LOGSTART] = {"logstart", 0, KEY(K_RANGES) | KEY(K_PGSIZE), KEY(K_RANGES)},
	[OP_LOGSTOP] = {"logstop", 0, 0, 0},
	[OP_LOGREPORT] = {"logreport", 0,
			  KEY(K_IOVA) | KEY(K_LENGTH) | KEY(K_PGSIZE) | KEY(K_OFFSET) | KEY(K_DATA),
			  KEY(K_IOVA) | KEY(K_LENGTH)},
};

/* A line holds at most 4096 bytes, so fewer ranges than this ("0:0," is four). */
#define RANGES_MAX 1024
/* The offset of a hwget or logreport bitmap in its buffer: any byte of a page. */
#define OFFSET_MAX 4095

/*
 * The longest valid line has 9 words (unmap with all 8 of its keys): a
 * line with more is a syntax error whatever they are, so the cap costs
 * nothing but a message that names the real cause less precisely.
 */
#define MAX_WORDS 32
/* Input quoted in a message: at most this many bytes, then "..."; file names get more. */
#define QUOTE_MAX 48
#define QUOTE_NAME_MAX 256

/* One parsed line. */
struct line {
	enum op op;
	char text[DS_REPLAY_LINE_MAX + 1]; /* the operation as echoed */
	uint64_t pos[2];		   /* group: id, kind; detach: id */
	uint32_t given;			   /* KEY() of the keys present */
	uint64_t val[K_COUNT];
	struct dt_dmalog_range ranges[RANGES_MAX]; /* logstart */
	uint32_t nranges;
};

/* Memory the replay provides behind one mapping. */
struct backing {
	uint64_t iova;
	void *mem;
	size_t len;
};

struct replay {
	const char *backend;
	const char *harvest;
	const char *compat;
	const char *device;
	uint64_t max_alloc;
	struct dt_container *c;
	uint64_t pgsize;
	struct backing *backings;
	size_t nbackings;
	FILE *out;
	FILE *err;
	const char *name; /* of the input, for messages */
	unsigned long lineno;
};

/* Room for QUOTE_NAME_MAX input bytes at 4 bytes each, "...", the NUL. */
struct quoted {
	char s[QUOTE_NAME_MAX * 4 + 4];
};

/*
 * @s made safe to print in a message: input is untrusted, and raw control
 * bytes would reach the user's terminal (escape sequences) or split the
 * one-line message. Printable ASCII stays, a backslash doubles, every other
 * byte becomes \xHH; past @max input bytes (at most QUOTE_NAME_MAX), "..."
 * ends it.
 */
static const char *quote_n(struct quoted *q, const char *s, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	char *o = q->s;
	size_t i;

	for (i = 0; s[i] && i < max; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '\\') {
			*o++ = '\\';
			*o++ = '\\';
		} else if (ch >= 0x20 && ch < 0x7f) {
			*o++ = (char)ch;
		} else {
			*o++ = '\\';
			*o++ = 'x';
			*o++ = hex[ch >> 4];
			*o++ = hex[ch & 15];
		}
	}
	if (s[i])
		o = stpcpy(o, "...");
	*o = '\0';
	return q->s;
}

static const char *quote(struct quoted *q, const char *s)
{
	return quote_n(q, s, QUOTE_MAX);
}

/* One line on the error stream about the current line; returns -1. */
__attribute__((format(printf, 2, 3))) static int syntax(struct replay *r, const char *fmt, ...)
{
	struct quoted q;
	va_list ap;

	fflush(r->out); /* the results before the error come first */
	fprintf(r->err, "dirtyscope replay: %s:%lu: ", quote_n(&q, r->name, QUOTE_NAME_MAX),
		r->lineno);
	va_start(ap, fmt);
	vfprintf(r->err, fmt, ap);
	va_end(ap);
	fputc('\n', r->err);
	return -1;
}

static int parse_prot(const char *s, bool allow_none, uint64_t *out)
{
	if (!strcmp(s, "rw"))
		*out = DT_PROT_READ | DT_PROT_WRITE;
	else if (!strcmp(s, "r"))
		*out = DT_PROT_READ;
	else if (!strcmp(s, "w"))
		*out = DT_PROT_WRITE;
	else if (allow_none && !strcmp(s, "none"))
		*out = 0;
	else
		return -EINVAL;
	return 0;
}

static int parse_mode(const char *s, uint64_t *out)
{
	if (!strcmp(s, "type1"))
		*out = DT_TRACK_TYPE1;
	else if (!strcmp(s, "hw"))
		*out = DT_TRACK_HW;
	else if (!strcmp(s, "dmalog"))
		*out = DT_TRACK_DMALOG;
	else
		return -EINVAL;
	return 0;
}

/*
 * "A:S,A:S,...": the ranges of a logstart, each number in the one spelling
 * of numbers; an empty value is no range (the tracker's -EINVAL).
 */
static int parse_ranges(struct replay *r, struct line *l, char *s)
{
	char *item, *colon, *comma;
	struct quoted q;

	l->nranges = 0;
	if (!*s)
		return 0;
	for (item = s;; item = comma + 1) {
		comma = strchr(item, ',');
		if (comma)
			*comma = '\0';
		colon = strchr(item, ':');
		if (!colon)
			return syntax(r, "a range is IOVA:LENGTH, not '%s'", quote(&q, item));
		*colon = '\0';
		if (l->nranges == RANGES_MAX)
			return syntax(r, "more than %d ranges", RANGES_MAX);
		if (ds_parse_u64(item, &l->ranges[l->nranges].iova) < 0)
			return syntax(r, "malformed number '%s'", quote(&q, item));
		if (ds_parse_u64(colon + 1, &l->ranges[l->nranges].length) < 0)
			return syntax(r, "malformed number '%s'", quote(&q, colon + 1));
		l->nranges++;
		if (!comma)
			return 0;
	}
}

/* Parse one key=value word into @l; returns 0 or -1 after a message. */
static int parse_key(struct replay *r, struct line *l, char *word)
{
	char *eq = strchr(word, '=');
	struct quoted q;
	unsigned int k;

	if (!eq)
		return syntax(r, "expected key=value, got '%s'", quote(&q, word));
	*eq = '\0';
	for (k = 0; k < K_COUNT; k++)
		if (!strcmp(word, key_names[k]))
			break;
	if (k == K_COUNT || !(specs[l->op].keys & KEY(k)))
		return syntax(r, "unknown key '%s'", quote(&q, word));
	if (l->given & KEY(k))
		return syntax(r, "key '%s' given twice", word);
	l->given |= KEY(k);
	if (k == K_PROT) {
		if (parse_prot(eq + 1, l->op == OP_MAP, &l->val[k]) < 0)
			return syntax(r, "bad prot '%s'", quote(&q, eq + 1));
		return 0;
	}
	if (k == K_MODE) {
		if (parse_mode(eq + 1, &l->val[k]) < 0)
			return syntax(r, "mode must be type1, hw or dmalog, not '%s'", quote(&q, eq + 1));
		return 0;
	}
	if (k == K_RANGES)
		return parse_ranges(r, l, eq + 1);
	/* docs/semantics.md: every other value is a number, spelled as any number */
	if (ds_parse_u64(eq + 1, &l->val[k]) < 0)
		return syntax(r, "malformed number '%s'", quote(&q, eq + 1));
	if ((k == K_V2 || k == K_BITMAP || k == K_NOCLEAR) && l->val[k] > 1)
		return syntax(r, "'%s' must be 0 or 1", word);
	if (k == K_DATA && l->val[k] != 0)
		return syntax(r, "'%s' takes only 0 (a NULL pointer)", word);
	return 0;
}

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

/*
 * Split @buf (one input line, without its newline) into an operation;
 * returns 1 for an operation, 0 for a blank or comment line, -1 after a
 * syntax message.
 */
static int parse_line(struct replay *r, char *buf, struct line *l)
{
	char *words[MAX_WORDS], *hash, *p = buf;
	size_t n = 0, i, len = 0;
	struct quoted q;
	unsigned int op;
	bool want_bitmap;

	hash = strchr(buf, '#');
	if (hash)
		*hash = '\0';
	for (;;) {
		while (is_space(*p))
			p++;
		if (!*p)
			break;
		if (n == MAX_WORDS)
			return syntax(r, "too many words");
		words[n++] = p;
		while (*p && !is_space(*p))
			p++;
		if (*p)
			*p++ = '\0';
	}
	if (!n)
		return 0;

	memset(l, 0, sizeof(*l));
	/* No overflow: the echo is never longer than the line it folds. */
	for (i = 0; i < n; i++) {
		size_t wl = strlen(words[i]);

		if (i)
			l->text[len++] = ' ';
		memcpy(l->text + len, words[i], wl + 1);
		len += wl;
	}

	for (op = 0; op < sizeof(specs) / sizeof(specs[0]); op++)
		if (!strcmp(words[0], specs[op].name))
			break;
	if (op == sizeof(specs) / sizeof(specs[0]))
		return syntax(r, "unknown operation '%s'", quote(&q, words[0]));
	l->op = op;
	if (n - 1 < specs[op].positional)
		return syntax(r, "'%s' needs more arguments", words[0]);
	for (i = 0; i < specs[op].positional; i++) {
		const char *a = words[1 + i];

		if (op == OP_GROUP && i == 1) {
			if (!strcmp(a, "iommu"))
				l->pos[1] = DT_GROUP_IOMMU;
			else if (!strcmp(a, "mediated"))
				l->pos[1] = DT_GROUP_MEDIATED;
			else
				return syntax(r, "group kind must be iommu or mediated, not '%s'",
					      quote(&q, a));
		} else if (ds_parse_u64(a, &l->pos[i]) < 0) {
			return syntax(r, "malformed number '%s'", quote(&q, a));
		}
	}
	for (i = 1 + specs[op].positional; i < n; i++)
		if (parse_key(r, l, words[i]) < 0)
			return -1;
	if ((l->given & specs[op].required) != specs[op].required) {
		for (i = 0; i < K_COUNT; i++)
			if ((specs[op].required & KEY(i)) && !(l->given & KEY(i)))
				return syntax(r, "missing key '%s'", key_names[i]);
	}
	want_bitmap = (l->given & KEY(K_BITMAP) && l->val[K_BITMAP]) ||
		      (l->given & KEY(K_FLAGS) && (l->val[K_FLAGS] & DT_UNMAP_GET_DIRTY_BITMAP));
	if (op == OP_UNMAP && !want_bitmap &&
	    (l->given & (KEY(K_PGSIZE) | KEY(K_BYTES) | KEY(K_DATA))))
		return syntax(r, "pgsize, bytes and data go with bitmap=1 or flags with bit 0");
	if ((l->given & KEY(K_ARGSZ)) && l->val[K_ARGSZ] > UINT32_MAX)
		return syntax(r, "argsz is a 32-bit number");
	if ((l->given & KEY(K_FLAGS)) && l->val[K_FLAGS] > UINT32_MAX)
		return syntax(r, "flags is a 32-bit number");
	if ((l->given & KEY(K_DEVICES)) && l->val[K_DEVICES] > UINT32_MAX)
		return syntax(r, "devices is a 32-bit number");
	if ((l->given & KEY(K_RESERVED)) && l->val[K_RESERVED] > UINT32_MAX)
		return syntax(r, "reserved is a 32-bit number");
	if ((l->given & KEY(K_MAXRANGES)) && l->val[K_MAXRANGES] > UINT32_MAX)
		return syntax(r, "maxranges is a 32-bit number");
	if ((l->given & KEY(K_OFFSET)) && l->val[K_OFFSET] > OFFSET_MAX)
		return syntax(r, "offset is a byte of a page: 0 to %d", OFFSET_MAX);
	if ((l->given & KEY(K_NOCLEAR)) && (l->given & KEY(K_FLAGS)))
		return syntax(r, "noclear and flags both say the flags word: give one");
	return 1;
}

static uint64_t get_or(const struct line *l, enum key k, uint64_t dflt)
{
	return (l->given & KEY(k)) ? l->val[k] : dflt;
}

static void backings_release(struct replay *r, uint64_t first, uint64_t last)
{
	size_t i = 0;

	while (i < r->nbackings) {
		struct backing *b = &r->backings[i];

		if (b->iova >= first && b->iova <= last) {
			munmap(b->mem, b->len);
			*b = r->backings[--r->nbackings];
		} else {
			i++;
		}
	}
}

static int container_new(struct replay *r, uint64_t pgsize, uint64_t limit, bool v2,
			 const struct line *l)
{
	struct dt_container_config cfg;
	struct dt_container *c;
	int ret;

	if (limit > UINT32_MAX)
		return -EINVAL;
	dt_container_config_init(&cfg);
	cfg.backend = r->backend;
	cfg.harvest = r->harvest;
	cfg.compat = r->compat;
	cfg.device = r->device;
	cfg.pgsize = pgsize;
	cfg.dma_limit = (uint32_t)limit;
	cfg.v2 = v2;
	if (l) {
		cfg.mode = (enum dt_track_mode)get_or(l, K_MODE, DT_TRACK_TYPE1);
		cfg.io_pgsize = get_or(l, K_IOPGSIZE, 0);
		cfg.log_max_ranges = (uint32_t)get_or(l, K_MAXRANGES, 0);
	}
	ret = dt_container_create(&cfg, &c);
	if (ret < 0)
		return ret;
	dt_container_destroy(r->c);
	backings_release(r, 0, UINT64_MAX);
	r->c = c;
	r->pgsize = pgsize;
	return 0;
}

/* Zero-filled memory that costs nothing until touched, or NULL. */
static void *anon(uint64_t len)
{
	void *p;

	if (!len || len > SIZE_MAX)
		return NULL;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		 -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* Would the machine give @len bytes? The max_alloc cap stands for a refusal. */
static bool within_cap(const struct replay *r, uint64_t len)
{
	return !r->max_alloc || len <= r->max_alloc;
}

/* MAP_DMA, with the IO page size when the line gives one. */
static int map_call(struct replay *r, const struct line *l, uint64_t iova, uint64_t size,
		    uint64_t vaddr, uint32_t prot)
{
	if (l->given & KEY(K_IOPGSIZE))
		return dt_dma_map_io(r->c, iova, size, vaddr, prot, l->val[K_IOPGSIZE]);
	return dt_dma_map(r->c, iova, size, vaddr, prot);
}

static int do_map(struct replay *r, const struct line *l)
{
	uint64_t iova = l->val[K_IOVA], size = l->val[K_SIZE];
	uint32_t prot = (uint32_t)get_or(l, K_PROT, DT_PROT_READ | DT_PROT_WRITE);
	struct backing *bs, b = {.iova = iova};
	uint64_t vaddr;
	int ret;

	/*
	 * Room to align the start to pgsize, which the mapping requires. The
	 * max_alloc cap applies to the size the line asks for, not to this
	 * slack, so that the oracle's reader can apply the same cap.
	 */
	if (size && size <= SIZE_MAX - r->pgsize && within_cap(r, size)) {
		b.len = size + (r->pgsize > 4096 ? r->pgsize : 0);
		b.mem = anon(b.len);
	}
	if (!b.mem) {
		/* Let the tracker's own verdict come first, then say no memory. */
		ret = map_call(r, l, iova, size, 0, prot);
		if (ret == 0) {
			dt_unmap(r->c, iova, size, NULL);
			ret = -ENOMEM;
		}
		return ret;
	}
	vaddr = ((uintptr_t)b.mem + r->pgsize - 1) & ~(r->pgsize - 1);
	bs = realloc(r->backings, (r->nbackings + 1) * sizeof(*bs));
	if (!bs) {
		munmap(b.mem, b.len);
		return -ENOMEM;
	}
	r->backings = bs;
	ret = map_call(r, l, iova, size, vaddr, prot);
	if (ret < 0)
		munmap(b.mem, b.len);
	else
		r->backings[r->nbackings++] = b;
	return ret;
}

/*
 * A zero-filled buffer for a bitmap of @bytes, or NULL: when none can be
 * valid (above the maximum every request fails before the pointer matters,
 * except one whose raw flags make it a START or STOP, which ignores it), and
 * when the machine refuses the memory.
 */
static uint64_t *bitmap_buffer(const struct replay *r, uint64_t bytes)
{
	if (bytes > DT_DIRTY_BITMAP_SIZE_MAX || !within_cap(r, bytes))
		return NULL;
	return anon(bytes);
}

/* Was a bitmap buffer that could be valid asked for, and @bm not given? */
static bool buffer_refused(uint64_t bytes, const uint64_t *bm)
{
	return bytes && bytes <= DT_DIRTY_BITMAP_SIZE_MAX && !bm;
}

/* Print " set=" and the set bits of @bytes bytes at @buf (any byte: hwget's may be odd). */
static void print_set(FILE *out, const void *buf, uint64_t bytes)
{
	const uint8_t *b = buf;
	uint64_t bits = bytes * 8, i = 0, start, word;
	bool first = true;

	fputs(" set=", out);
	while (i < bits) {
		/* Skip clean words quickly: a 256 MiB bitmap has 2^31 bits. */
		if (i % 64 == 0 && i + 64 <= bits) {
			memcpy(&word, b + i / 8, sizeof(word));
			if (!word) {
				i += 64;
				continue;
			}
		}
		if (!(b[i / 8] & (1u << (i % 8)))) {
			i++;
			continue;
		}
		start = i;
		while (i < bits && (b[i / 8] & (1u << (i % 8))))
			i++;
		fprintf(out, "%s%" PRIu64, first ? "" : ",", start);
		if (i - 1 > start)
			fprintf(out, "-%" PRIu64, i - 1);
		first = false;
	}
	if (first)
		fputs("none", out);
}

/* " logged=" and the ranges the device logs after a logstart (merged), or "none". */
static void print_logged(struct replay *r)
{
	struct dt_dmalog_range *ranges;
	int n = dt_dmalog_ranges(r->c, NULL, 0), i;

	fputs(" logged=", r->out);
	ranges = n > 0 ? calloc((size_t)n, sizeof(*ranges)) : NULL;
	if (ranges)
		n = dt_dmalog_ranges(r->c, ranges, (size_t)n);
	if (!ranges || n <= 0) {
		fputs(n > 0 ? "?" : "none", r->out);
		free(ranges);
		return;
	}
	for (i = 0; i < n; i++)
		fprintf(r->out, "%s0x%" PRIx64 ":0x%" PRIx64, i ? "," : "", ranges[i].iova,
			ranges[i].length);
	free(ranges);
}

/* Run one line; print its result after " -> ". */
static void run_line(struct replay *r, const struct line *l)
{
	struct dt_dirty_pages dp = {0};
	struct dt_dma_unmap u = {0};
	struct dt_info info;
	uint64_t *bm = NULL, bytes = 0, npages, pgsize;
	bool show_bitmap = false, show_unmapped = false, show_info = false, refused = false;
	bool show_logged = false;
	uint8_t *data = NULL, *hbuf = NULL, *hdata = NULL;
	uint64_t htotal = 0;
	int ret;

	pgsize = get_or(l, K_PGSIZE, r->pgsize);
	switch (l->op) {
	case OP_CONTAINER:
		ret = container_new(r, get_or(l, K_PGSIZE, 4096),
				    get_or(l, K_DMA_LIMIT, DT_DMA_LIMIT_DEFAULT), get_or(l, K_V2, 1), l);
		break;
	case OP_GROUP:
		ret = dt_group_attach(r->c, l->pos[0], (enum dt_group_kind)l->pos[1],
				      (unsigned int)get_or(l, K_DEVICES, 1));
		break;
	case OP_DETACH:
		ret = dt_group_detach(r->c, l->pos[0]);
		break;
	case OP_MAP:
		ret = do_map(r, l);
		break;
	case OP_UNMAP:
		u.iova = l->val[K_IOVA];
		u.size = l->val[K_SIZE];
		show_bitmap = get_or(l, K_BITMAP, 0) ||
			      (get_or(l, K_FLAGS, 0) & DT_UNMAP_GET_DIRTY_BITMAP);
		u.flags = (uint32_t)get_or(l, K_FLAGS, show_bitmap ? DT_UNMAP_GET_DIRTY_BITMAP : 0);
		u.argsz = (uint32_t)get_or(l, K_ARGSZ, show_bitmap ? DT_DMA_UNMAP_BITMAP_ARGSZ
								   : DT_DMA_UNMAP_ARGSZ);
		if (show_bitmap) {
			npages = pgsize ? u.size / pgsize : 0;
			bytes = get_or(l, K_BYTES, dt_bitmap_bytes(npages));
			bm = (l->given & KEY(K_DATA)) ? NULL : bitmap_buffer(r, bytes);
			refused = !(l->given & KEY(K_DATA)) && buffer_refused(bytes, bm);
			u.bitmap = (struct dt_bitmap){.pgsize = pgsize, .size = bytes, .data = bm};
		}
		ret = dt_dma_unmap(r->c, &u);
		if (ret == 0) {
			show_unmapped = true;
			if (l->given & KEY(K_FLAGS) && (l->val[K_FLAGS] & DT_UNMAP_ALL))
				backings_release(r, 0, UINT64_MAX);
			else if (u.size)
				backings_release(r, l->val[K_IOVA],
						 l->val[K_IOVA] + l->val[K_SIZE] - 1);
		}
		break;
	case OP_PIN:
		ret = dt_pin(r->c, l->val[K_GROUP], l->val[K_IOVA], get_or(l, K_NPAGES, 1),
			     (uint32_t)get_or(l, K_PROT, DT_PROT_READ | DT_PROT_WRITE));
		break;
	case OP_UNPIN:
		ret = dt_unpin(r->c, l->val[K_GROUP], l->val[K_IOVA], get_or(l, K_NPAGES, 1));
		break;
	case OP_RW:
		if (l->val[K_LEN] > SIZE_MAX) {
			ret = -EINVAL;
			break;
		}
		data = within_cap(r, l->val[K_LEN]) ? anon(l->val[K_LEN]) : NULL;
		if (l->val[K_LEN] && !data) {
			/* No buffer that large can exist: nor can a mapping to hold it. */
			ret = -ENOMEM;
			break;
		}
		ret = dt_dma_rw(r->c, l->val[K_IOVA], data, l->val[K_LEN], true);
		if (data)
			munmap(data, l->val[K_LEN]);
		break;
	case OP_START:
	case OP_STOP:
	case OP_GET:
		dp.flags = l->op == OP_START  ? DT_DIRTY_START
			   : l->op == OP_STOP ? DT_DIRTY_STOP
					      : DT_DIRTY_GET_BITMAP;
		dp.flags = (uint32_t)get_or(l, K_FLAGS, dp.flags);
		dp.argsz = (uint32_t)get_or(l, K_ARGSZ, l->op == OP_GET ? DT_DIRTY_PAGES_GET_ARGSZ
									: DT_DIRTY_PAGES_ARGSZ);
		if (l->op == OP_GET) {
			dp.iova = l->val[K_IOVA];
			dp.size = l->val[K_SIZE];
			npages = pgsize ? dp.size / pgsize : 0;
			bytes = get_or(l, K_BYTES, dt_bitmap_bytes(npages));
			bm = (l->given & KEY(K_DATA)) ? NULL : bitmap_buffer(r, bytes);
			refused = !(l->given & KEY(K_DATA)) && buffer_refused(bytes, bm);
			dp.bitmap = (struct dt_bitmap){.pgsize = pgsize, .size = bytes, .data = bm};
			show_bitmap = true;
		}
		ret = dt_dirty_pages(r->c, &dp);
		break;
	case OP_INFO:
		ret = dt_info_get(r->c, &info);
		show_info = true;
		break;
	case OP_WRITE:
		ret = dt_device_write(r->c, l->val[K_IOVA], l->val[K_LEN]);
		break;
	case OP_HWSTART:
	case OP_HWSTOP:
		ret = dt_hw_set_dirty_tracking(r->c, l->op == OP_HWSTART);
		break;
	case OP_HWGET:
	case OP_LOGREPORT:
		/*
		 * The bitmap: the bitmap bytes of length/pgsize pages (whole
		 * words, as the kernel pins them) at @offset into a zero-filled
		 * buffer; NULL with data=0, or when it has no byte at all.
		 */
		npages = pgsize ? l->val[K_LENGTH] / pgsize : 0;
		bytes = dt_bitmap_bytes(npages);
		htotal = get_or(l, K_OFFSET, 0) + bytes;
		if (!(l->given & KEY(K_DATA)) && htotal) {
			hbuf = bytes <= DT_DIRTY_BITMAP_SIZE_MAX && within_cap(r, htotal) ? anon(htotal)
											 : NULL;
			refused = !hbuf;
			hdata = hbuf ? hbuf + get_or(l, K_OFFSET, 0) : NULL;
		}
		if (l->op == OP_HWGET) {
			struct dt_hw_dirty_bitmap q = {
				.flags = (uint32_t)get_or(l, K_FLAGS,
							  get_or(l, K_NOCLEAR, 0) ? DT_HW_GET_DIRTY_NO_CLEAR
										  : 0),
				.reserved = (uint32_t)get_or(l, K_RESERVED, 0),
				.iova = l->val[K_IOVA],
				.length = l->val[K_LENGTH],
				.page_size = pgsize,
				.data = hdata,
			};

			ret = dt_hw_dirty_bitmap(r->c, &q);
		} else {
			ret = dt_dmalog_report(r->c, l->val[K_IOVA], l->val[K_LENGTH], pgsize, hdata);
		}
		show_bitmap = true;
		break;
	case OP_LOGSTART:
		ret = dt_dmalog_start(r->c, l->ranges, l->nranges, pgsize);
		show_logged = true;
		break;
	case OP_LOGSTOP:
		ret = dt_dmalog_stop(r->c);
		break;
	default:
		ret = -EINVAL;
	}
	/*
	 * A buffer the machine refused went in as NULL: the tracker's own
	 * errors come first, and -EFAULT (every check passed) means the
	 * request failed for want of memory (docs/semantics.md).
	 */
	if (refused && ret == -EFAULT)
		ret = -ENOMEM;

	fprintf(r->out, "%s -> ", l->text);
	if (ret < 0) {
		const char *name = ds_errname(-ret);

		if (name)
			fprintf(r->out, "-%s", name);
		else
			fprintf(r->out, "%d", ret);
	} else {
		fputc('0', r->out);
		if (show_unmapped)
			fprintf(r->out, " unmapped=0x%" PRIx64, u.size);
		if (show_bitmap && bm)
			print_set(r->out, bm, bytes);
		else if (show_bitmap && hdata)
			print_set(r->out, hdata, bytes);
		else if (show_bitmap)
			fputs(" set=none", r->out);
		if (show_logged)
			print_logged(r);
		if (show_info)
			fprintf(r->out, " pgsize_bitmap=0x%" PRIx64 " max_bitmap_bytes=%" PRIu64,
				info.migration.pgsize_bitmap, info.migration.max_dirty_bitmap_size);
	}
	fputc('\n', r->out);
	if (bm)
		munmap(bm, bytes);
	if (hbuf)
		munmap(hbuf, htotal);
}

enum read_result { LINE_OK, LINE_EOF, LINE_TOO_LONG, LINE_NUL, LINE_READ_ERROR };

/*
 * Read one line of at most DS_REPLAY_LINE_MAX bytes into @buf, without its
 * newline (the last line may lack one). The bound is what keeps a file with
 * no newline (/dev/zero, a binary) from growing the reader without limit.
 * On LINE_NUL, *@col is the byte's column (from 1); on LINE_READ_ERROR,
 * errno is the reason.
 */
static enum read_result read_line(FILE *in, char buf[DS_REPLAY_LINE_MAX + 1], size_t *col)
{
	size_t n = 0;
	int ch;

	while ((ch = getc(in)) != EOF && ch != '\n') {
		if (ch == '\0') {
			*col = n + 1;
			return LINE_NUL;
		}
		if (n == DS_REPLAY_LINE_MAX)
			return LINE_TOO_LONG;
		buf[n++] = (char)ch;
	}
	if (ch == EOF && ferror(in))
		return LINE_READ_ERROR;
	if (ch == EOF && n == 0)
		return LINE_EOF;
	buf[n] = '\0';
	return LINE_OK;
}

/* Has a write to @out failed? Then say so, with the reason. */
static int check_output(struct replay *r)
{
	struct quoted q;
	int e;

	/*
	 * Flush first: a write that failed earlier left its bytes in the
	 * buffer, so this flush fails again and errno is its reason, not an
	 * older call's.
	 */
	errno = 0;
	if (fflush(r->out) == 0 && !ferror(r->out))
		return 0;
	e = errno ? errno : EIO;
	fprintf(r->err, "dirtyscope replay: %s: write error on the output: %s\n",
		quote_n(&q, r->name, QUOTE_NAME_MAX), strerror(e));
	return -1;
}

int ds_replay_stream(const struct ds_replay_config *cfg, FILE *in, const char *name, FILE *out,
		     FILE *err, unsigned long *bad_line)
{
	struct replay r = {
		.backend = cfg->backend ? cfg->backend : "model",
		.harvest = cfg->harvest ? cfg->harvest : "reference",
		.compat = cfg->compat,
		.device = cfg->device,
		.max_alloc = cfg->max_alloc,
		.out = out,
		.err = err,
		.name = name,
	};
	struct {
		char buf[DS_REPLAY_LINE_MAX + 1];
		struct line l;
	} *w; /* 8 KiB: not on the stack of whoever calls */
	struct quoted q;
	size_t col = 0;
	int ret, status = 0;

	if (bad_line)
		*bad_line = 0;
	ret = container_new(&r, 4096, DT_DMA_LIMIT_DEFAULT, true, NULL);
	if (ret < 0) {
		fprintf(err, "dirtyscope replay: cannot create a %s container with harvest %s%s%s: %s\n",
			quote(&q, r.backend), quote(&q, r.harvest), r.compat ? " and compat " : "",
			r.compat ? r.compat : "",
			ret == -ENOENT ? "unknown backend, harvest or compat name" : strerror(-ret));
		return 2;
	}
	w = malloc(sizeof(*w));
	if (!w) {
		fprintf(err, "dirtyscope replay: out of memory\n");
		dt_container_destroy(r.c);
		return 2;
	}
	for (;;) {
		enum read_result rr = read_line(in, w->buf, &col);

		if (rr == LINE_EOF)
			break;
		r.lineno++;
		if (rr == LINE_READ_ERROR)
			ret = syntax(&r, "read error: %s", strerror(errno));
		else if (rr == LINE_NUL)
			ret = syntax(&r, "a NUL byte at column %zu", col);
		else if (rr == LINE_TOO_LONG)
			ret = syntax(&r, "line longer than %d bytes", DS_REPLAY_LINE_MAX);
		else
			ret = parse_line(&r, w->buf, &w->l);
		if (ret < 0) {
			status = 2;
			if (bad_line)
				*bad_line = r.lineno;
			break;
		}
		if (ret > 0)
			run_line(&r, &w->l);
		/* A full disk stops the replay: the rest would be lost anyway. */
		if (ferror(out))
			break;
	}
	if (check_output(&r) < 0)
		status = 2;
	free(w);
	dt_container_destroy(r.c);
	backings_release(&r, 0, UINT64_MAX);
	free(r.backings);
	return status;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: dirtyscope replay [options] [FILE|-]\n"
		   "\n"
		   "Run a replay file (one tracking operation a line) and print one result\n"
		   "line per operation. FILE defaults to standard input.\n"
		   "\n"
		   "options:\n"
		   "  --backend NAME   backend to drive (default: model)\n"
		   "  --harvest NAME   harvest implementation of the model (default: reference)\n"
		   "  --compat NAME    the model reproduces that kernel's bits (linux-6.1, linux-6.12;\n"
		   "                   default: none, the correct bits)\n"
		   "  --device PATH    what the backend opens: for vfio the group file /dev/vfio/N\n"
		   "                   (several, comma-separated, for files that attach several groups)\n"
		   "  --vfio-device BDF  the vfio backend on this PCI device's group; it must be\n"
		   "                   bound to vfio-pci already, unless --bind (default: none)\n"
		   "  --bind           with --vfio-device: bind it to vfio-pci for the replay and\n"
		   "                   give it back to its driver after (default: off)\n"
		   "  -h, --help       show this help\n"
		   "\n"
		   "Exit status: 0 when every line was read and every result written,\n"
		   "whatever the results; 2 on a syntax error (the message names the line),\n"
		   "a read or write error, or a bad option.\n");
}

int cmd_replay(int argc, char **argv)
{
	static const struct option opts[] = {
		{"backend", required_argument, NULL, 'b'},
		{"harvest", required_argument, NULL, 'H'},
		{"compat", required_argument, NULL, 'C'},
		{"device", required_argument, NULL, 'D'},
		{"vfio-device", required_argument, NULL, 'V'},
		{"bind", no_argument, NULL, 'B'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct ds_replay_config cfg = {.backend = "model", .harvest = "reference"};
	const char *file = "-";
	struct quoted q;
	FILE *in;
	int c, status, ret;
	const char *bdf = NULL;
	struct ds_vfio_dev vdev = {0};
	bool bind = false;
	char why[512];

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			cfg.backend = optarg;
			break;
		case 'H':
			cfg.harvest = optarg;
			break;
		case 'C':
			cfg.compat = optarg;
			break;
		case 'D':
			cfg.device = optarg;
			break;
		case 'V':
			bdf = optarg;
			break;
		case 'B':
			bind = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind > 1) {
		fprintf(stderr, "dirtyscope replay: one file at most\n");
		return 2;
	}
	if (optind < argc)
		file = argv[optind];
	if (bind && !bdf) {
		fprintf(stderr, "dirtyscope replay: --bind goes with --vfio-device\n");
		return 2;
	}
	in = strcmp(file, "-") ? fopen(file, "r") : stdin;
	if (!in) {
		fprintf(stderr, "dirtyscope replay: %s: %s\n", quote_n(&q, file, QUOTE_NAME_MAX),
			strerror(errno));
		return 2;
	}
	if (bdf) {
		if (cfg.device || (strcmp(cfg.backend, "model") && strcmp(cfg.backend, "vfio"))) {
			fprintf(stderr, "dirtyscope replay: --vfio-device is the vfio backend's "
					"device: no --device, no other --backend\n");
			if (in != stdin)
				fclose(in);
			return 2;
		}
		if (ds_vfio_acquire(NULL, bdf, bind, &vdev, why, sizeof(why)) < 0) {
			fprintf(stderr, "dirtyscope replay: %s\n", why);
			if (in != stdin)
				fclose(in);
			return 2;
		}
		cfg.backend = "vfio";
		cfg.device = vdev.group;
	}
	status = ds_replay_stream(&cfg, in, strcmp(file, "-") ? file : "<stdin>", stdout, stderr,
				  NULL);
	if (in != stdin)
		fclose(in);
	/* After the container (closed by the replay): vfio-pci lets go only then. */
	ret = ds_vfio_release(&vdev);
	if (ret < 0) {
		fprintf(stderr, "dirtyscope replay: could not give %s back to %s: %s\n", vdev.bdf,
			vdev.old_driver[0] ? vdev.old_driver : "no driver", strerror(-ret));
		status = 2;
	}
	/*
	 * The results are the product: a write error that only fclose sees
	 * (a full disk, NFS) must fail the command, and the exit path would
	 * close stdout without looking.
	 */
	if (fclose(stdout) != 0 && status == 0) {
		fprintf(stderr, "dirtyscope replay: write error on the output: %s\n",
			strerror(errno));
		status = 2;
	}
	return status;
}
