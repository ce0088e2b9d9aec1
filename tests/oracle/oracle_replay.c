// SPDX-License-Identifier: MIT
/*
 * oracle_replay - the replay language of ../../../shared/REPLAY.md (with the
 * extension keys of docs/semantics.md), run on the naive oracle.
 *
 * It is a second, independent reading of the replay contract: its output is
 * diffed against `dirtyscope replay`, so a bug in either parser or in either
 * tracker shows up as a differing line. That is why it shares no code with
 * bench/ and links only the oracle.
 *
 * Usage: oracle_replay [FILE|-]   (no argument or "-": standard input)
 * Exit: 0 when every line was read and every result written, 2 on a syntax
 * error (named by line number on stderr), a read or write error, or when
 * FILE cannot be opened.
 *
 * Built with ORACLE_REPLAY_NO_MAIN it is a library (oracle_replay.h) for
 * the fuzz targets.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "oracle.h"
#include "oracle_replay.h"

/* No valid line has more than 8 words after the operation. */
#define MAX_ARGS 16
#define SMALL_BUFFER (1u << 20)
/* docs/semantics.md: a line holds at most this many bytes, newline not counted. */
#define LINE_BYTES_MAX 4096
/* Bytes of input shown in a message before "..."; file names get more. */
#define SHOW_MAX 48
#define SHOW_NAME_MAX 256

/* The memory behind one successful map, freed when the mapping goes away. */
struct backing {
	uint64_t iova;
	uint64_t vaddr;
	void *base;
	size_t len;
};

struct replay {
	struct oracle_container *c;
	char echo[LINE_BYTES_MAX + 1]; /* the current operation as written, folded */
	struct backing *mem;
	size_t nmem;
	uint64_t max_alloc; /* 0, or the most memory asked of the machine at once */
	FILE *out;
	char err[1024];                    /* the syntax error of the current line */
	char shown[SHOW_NAME_MAX * 4 + 4]; /* show()'s result */
};

/* One parsed line: positional words and key=value pairs after the operation. */
struct args {
	const char *pos[MAX_ARGS];
	int npos;
	const char *key[MAX_ARGS];
	const char *val[MAX_ARGS];
	int nkeys;
};

static int syntax(struct replay *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * @s as a message may quote it: the input is untrusted, and its control
 * bytes must neither reach a terminal nor break the message's one line.
 * Bytes 0x20-0x7e but the backslash pass; the backslash is written twice
 * and every other byte as \xHH. After @max bytes of @s, "...".
 */
static const char *show_n(char *buf, const char *s, size_t max)
{
	const char *digits = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; s[i] != '\0' && i < max; i++) {
		unsigned char b = (unsigned char)s[i];

		if (b == '\\') {
			buf[o++] = '\\';
			buf[o++] = '\\';
		} else if (b < 0x20 || b > 0x7e) {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = digits[b / 16];
			buf[o++] = digits[b % 16];
		} else {
			buf[o++] = (char)b;
		}
	}
	if (s[i] != '\0') {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

/* One piece of input for the message being built (one a message). */
static const char *show(struct replay *r, const char *s)
{
	return show_n(r->shown, s, SHOW_MAX);
}

static int syntax(struct replay *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	return -1;
}

static const char *errno_name(int err)
{
	static const struct {
		int err;
		const char *name;
	} names[] = {
	    {EINVAL, "EINVAL"},         {EEXIST, "EEXIST"}, {ENOSPC, "ENOSPC"},
	    {EFAULT, "EFAULT"},         {EPERM, "EPERM"},   {ENODEV, "ENODEV"},
	    {ENOENT, "ENOENT"},         {E2BIG, "E2BIG"},   {EACCES, "EACCES"},
	    {EOPNOTSUPP, "EOPNOTSUPP"}, {ENOMEM, "ENOMEM"}, {EBUSY, "EBUSY"},
	    {EOVERFLOW, "EOVERFLOW"},
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].err == err)
			return names[i].name;
	return NULL;
}

/*
 * Print the operation as written and its result; called once per
 * operation, after its line parsed, so that a syntax error prints nothing.
 */
static void print_result(struct replay *r, int ret)
{
	const char *name;

	fprintf(r->out, "%s -> ", r->echo);
	if (ret == 0) {
		fprintf(r->out, "0");
		return;
	}
	name = errno_name(-ret);
	if (name)
		fprintf(r->out, "-%s", name);
	else
		fprintf(r->out, "%d", ret);
}

/*
 * A number: decimal or 0x hex, then an optional K, M, G or T (powers of
 * 1024, upper case only); anything above 2^64-1 is malformed.
 */
static bool parse_number(const char *s, uint64_t *out)
{
	unsigned int base = 10, shift = 0;
	uint64_t v = 0;
	size_t ndigits = 0;

	if (s[0] == '0' && s[1] == 'x') {
		base = 16;
		s += 2;
	}
	for (; *s; s++) {
		unsigned int d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned int)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned int)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned int)(*s - 'A' + 10);
		else
			break;
		if (v > (UINT64_MAX - d) / base)
			return false;
		v = v * base + d;
		ndigits++;
	}
	if (ndigits == 0)
		return false;
	if (*s) {
		switch (*s) {
		case 'K':
			shift = 10;
			break;
		case 'M':
			shift = 20;
			break;
		case 'G':
			shift = 30;
			break;
		case 'T':
			shift = 40;
			break;
		default:
			return false;
		}
		if (s[1] != '\0')
			return false;
		if (v > (UINT64_MAX >> shift))
			return false;
		v <<= shift;
	}
	*out = v;
	return true;
}

static const char *arg_get(const struct args *a, const char *key)
{
	int i;

	for (i = 0; i < a->nkeys; i++)
		if (strcmp(a->key[i], key) == 0)
			return a->val[i];
	return NULL;
}

/* Every key must be one the operation takes, and appear once; positional words up to @maxpos. */
static int check_args(struct replay *r, const char *op, const struct args *a,
                      const char *const *allowed, int maxpos)
{
	int i, j;

	if (a->npos > maxpos)
		return syntax(r, "%s: unexpected argument '%s'", op, show(r, a->pos[maxpos]));
	for (i = 0; i < a->nkeys; i++) {
		bool ok = false;

		for (j = 0; allowed[j]; j++)
			if (strcmp(a->key[i], allowed[j]) == 0)
				ok = true;
		if (!ok)
			return syntax(r, "%s: unknown key '%s'", op, show(r, a->key[i]));
		for (j = 0; j < i; j++)
			if (strcmp(a->key[i], a->key[j]) == 0)
				return syntax(r, "%s: key '%s' given twice", op, a->key[i]);
	}
	return 0;
}

/* Number value of @key: 1 when given, 0 when absent (and *@out = @def), -1 on error. */
static int num_key(struct replay *r, const struct args *a, const char *key, bool required,
                   uint64_t def, uint64_t *out)
{
	const char *v = arg_get(a, key);

	*out = def;
	if (!v) {
		if (required)
			return syntax(r, "missing required key '%s'", key);
		return 0;
	}
	if (!parse_number(v, out))
		return syntax(r, "malformed number '%s' for '%s'", show(r, v), key);
	return 1;
}

/*
 * A 0-or-1 key (v2, bitmap): a number like any other (docs/semantics.md:
 * one spelling of numbers for every key), whose value must be 0 or 1.
 * 1 when given, 0 when absent (*@out = @def), -1 on error.
 */
static int bool_key(struct replay *r, const struct args *a, const char *key, bool def, bool *out)
{
	uint64_t v;
	int ret = num_key(r, a, key, false, def ? 1 : 0, &v);

	*out = def;
	if (ret <= 0)
		return ret;
	if (v > 1)
		return syntax(r, "'%s' takes 0 or 1, not '%s'", key, show(r, arg_get(a, key)));
	*out = v == 1;
	return 1;
}

static int prot_key(struct replay *r, const struct args *a, bool none_ok, uint32_t *out)
{
	const char *v = arg_get(a, "prot");

	*out = DT_PROT_READ | DT_PROT_WRITE;
	if (!v)
		return 0;
	if (strcmp(v, "rw") == 0)
		*out = DT_PROT_READ | DT_PROT_WRITE;
	else if (strcmp(v, "r") == 0)
		*out = DT_PROT_READ;
	else if (strcmp(v, "w") == 0)
		*out = DT_PROT_WRITE;
	else if (none_ok && strcmp(v, "none") == 0)
		*out = 0;
	else
		return syntax(r, "bad prot '%s'", show(r, v));
	return 0;
}

/* A 32-bit request field (argsz, flags): a number that does not fit is malformed. */
static int u32_key(struct replay *r, const struct args *a, const char *key, uint32_t def,
                   uint32_t *out)
{
	uint64_t v;
	int ret = num_key(r, a, key, false, def, &v);

	if (ret < 0)
		return ret;
	if (v > UINT32_MAX)
		return syntax(r, "'%s' does not fit in 32 bits", key);
	*out = (uint32_t)v;
	return ret;
}

/*
 * Anonymous memory costs nothing until touched and arrives zero-filled,
 * which is what the replay promises for bitmaps; small buffers come from
 * calloc so that AddressSanitizer checks their bounds. Above max_alloc the
 * machine is taken to refuse.
 */
static void *buffer_alloc(const struct replay *r, uint64_t bytes)
{
	void *p;

	if (bytes == 0 || (r->max_alloc != 0 && bytes > r->max_alloc))
		return NULL;
	if (bytes <= SMALL_BUFFER)
		return calloc(1, bytes);
	if (bytes > SIZE_MAX)
		return NULL;
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
	         -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void buffer_free(void *p, uint64_t bytes)
{
	if (!p)
		return;
	if (bytes <= SMALL_BUFFER)
		free(p);
	else
		munmap(p, bytes);
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
 * " set=a-b,c,..." over every bit of the buffer, padding included. A large
 * buffer is anonymous memory: its pages that nobody touched are still zero,
 * and mincore() names them, so that a 256 MiB bitmap is not read through
 * (a bitmap at an odd offset, which mincore() refuses, is read through).
 */
static void print_set(FILE *out, const void *data, uint64_t bytes)
{
	uint64_t nbits = data ? bytes * 8 : 0, bit = 0, start;
	const uint64_t page_bits = 4096 * 8;
	unsigned char *live = NULL;
	bool first = true;

	if (data && bytes > SMALL_BUFFER) {
		live = malloc((size_t)((bytes + 4095) / 4096));
		if (live && mincore((void *)data, (size_t)bytes, live) != 0) {
			free(live);
			live = NULL;
		}
	}
	fprintf(out, " set=");
	while (bit < nbits) {
		if (live && bit % page_bits == 0 && !(live[bit / page_bits] & 1)) {
			bit += page_bits;
			continue;
		}
		if (bit % 64 == 0 && bit + 64 <= nbits && bitmap_word_clear(data, bit)) {
			bit += 64; /* whole clear words are the common case */
			continue;
		}
		if (!bitmap_bit(data, bit)) {
			bit++;
			continue;
		}
		start = bit;
		while (bit + 1 < nbits && bitmap_bit(data, bit + 1))
			bit++;
		fprintf(out, "%s", first ? "" : ",");
		if (start == bit)
			fprintf(out, "%llu", (unsigned long long)start);
		else
			fprintf(out, "%llu-%llu", (unsigned long long)start,
			        (unsigned long long)bit);
		first = false;
		bit++;
	}
	if (first)
		fprintf(out, "none");
	free(live);
}

/* Free the memory of every mapping the oracle no longer has. */
static void release_backing(struct replay *r)
{
	size_t i = 0, j, n = r->c ? oracle_mapping_count(r->c) : 0;

	while (i < r->nmem) {
		bool live = false;

		for (j = 0; j < n; j++) {
			struct oracle_mapping_view v;

			oracle_mapping_at(r->c, j, &v);
			if (v.iova == r->mem[i].iova && v.vaddr == r->mem[i].vaddr)
				live = true;
		}
		if (live) {
			i++;
			continue;
		}
		munmap(r->mem[i].base, r->mem[i].len);
		r->mem[i] = r->mem[--r->nmem];
	}
}

/* The replay's defaults; dt_container_config_init() lives in libdirtytrack. */
static void config_defaults(struct dt_container_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->pgsize = 4096;
	cfg->dma_limit = DT_DMA_LIMIT_DEFAULT;
	cfg->v2 = true;
}

/* mode=type1|hw|dmalog (docs/semantics.md, "Replay additions"); type1 when absent. */
static int mode_key(struct replay *r, const struct args *a, enum dt_track_mode *out)
{
	const char *v = arg_get(a, "mode");

	*out = DT_TRACK_TYPE1;
	if (!v || strcmp(v, "type1") == 0)
		return 0;
	if (strcmp(v, "hw") == 0)
		*out = DT_TRACK_HW;
	else if (strcmp(v, "dmalog") == 0)
		*out = DT_TRACK_DMALOG;
	else
		return syntax(r, "mode is type1, hw or dmalog, not '%s'", show(r, v));
	return 0;
}

static int do_container(struct replay *r, const struct args *a)
{
	static const char *const keys[] = {"pgsize", "dma_limit", "v2",
	                                   "mode",   "iopgsize",  "maxranges", NULL};
	struct dt_container_config cfg;
	struct oracle_container *c;
	enum dt_track_mode mode;
	uint64_t pgsize, limit, iopgsize, maxranges;
	bool v2;
	int ret;

	if (check_args(r, "container", a, keys, 0) ||
	    num_key(r, a, "pgsize", false, 4096, &pgsize) < 0 ||
	    num_key(r, a, "dma_limit", false, DT_DMA_LIMIT_DEFAULT, &limit) < 0 ||
	    bool_key(r, a, "v2", true, &v2) < 0 || mode_key(r, a, &mode) < 0 ||
	    num_key(r, a, "iopgsize", false, 0, &iopgsize) < 0 ||
	    num_key(r, a, "maxranges", false, 0, &maxranges) < 0)
		return -1;
	if (maxranges > UINT32_MAX)
		return syntax(r, "container: maxranges does not fit in 32 bits");
	config_defaults(&cfg);
	cfg.pgsize = pgsize;
	cfg.v2 = v2;
	cfg.mode = mode;
	cfg.io_pgsize = iopgsize;
	cfg.log_max_ranges = (uint32_t)maxranges;
	/* docs/semantics.md: a limit above 2^32-1 is -EINVAL, the old container stays */
	if (limit > UINT32_MAX) {
		print_result(r, -EINVAL);
		return 0;
	}
	cfg.dma_limit = (uint32_t)limit;
	ret = oracle_container_create(&cfg, &c);
	if (ret == 0) {
		oracle_container_destroy(r->c);
		r->c = c;
		release_backing(r);
	}
	print_result(r, ret);
	return 0;
}

static int do_group(struct replay *r, const struct args *a)
{
	static const char *const keys[] = {"devices", NULL};
	enum dt_group_kind kind;
	uint64_t id, devices;

	if (check_args(r, "group", a, keys, 2))
		return -1;
	if (a->npos < 2)
		return syntax(r, "group: needs an ID and iommu or mediated");
	if (!parse_number(a->pos[0], &id))
		return syntax(r, "group: malformed ID '%s'", show(r, a->pos[0]));
	if (strcmp(a->pos[1], "iommu") == 0)
		kind = DT_GROUP_IOMMU;
	else if (strcmp(a->pos[1], "mediated") == 0)
		kind = DT_GROUP_MEDIATED;
	else
		return syntax(r, "group: kind must be iommu or mediated, not '%s'",
		              show(r, a->pos[1]));
	if (num_key(r, a, "devices", false, 1, &devices) < 0)
		return -1;
	if (devices > UINT32_MAX)
		return syntax(r, "group: devices does not fit an unsigned int");
	print_result(r, oracle_group_attach(r->c, id, kind, (unsigned int)devices));
	return 0;
}

static int do_detach(struct replay *r, const struct args *a)
{
	static const char *const keys[] = {NULL};
	uint64_t id;

	if (check_args(r, "detach", a, keys, 1))
		return -1;
	if (a->npos < 1)
		return syntax(r, "detach: needs an ID");
	if (!parse_number(a->pos[0], &id))
		return syntax(r, "detach: malformed ID '%s'", show(r, a->pos[0]));
	print_result(r, oracle_group_detach(r->c, id));
	return 0;
}

static int do_map(struct replay *r, const struct args *a)
{
	static const char *const keys[] = {"iova", "size", "prot", "iopgsize", NULL};
	uint64_t iova, size, pgsize = oracle_pgsize(r->c), need, len, vaddr, iopgsize;
	struct backing *mem;
	uint32_t prot;
	void *base;
	int ret;

	if (check_args(r, "map", a, keys, 0) || num_key(r, a, "iova", true, 0, &iova) < 0 ||
	    num_key(r, a, "size", true, 0, &size) < 0 || prot_key(r, a, true, &prot) < 0 ||
	    num_key(r, a, "iopgsize", false, 0, &iopgsize) < 0)
		return -1;
	/*
	 * Back the mapping with anonymous memory aligned to pgsize, whole
	 * pages of it even for a size the map will refuse, so that only the
	 * tracker decides the errno.
	 */
	base = MAP_FAILED;
	need = size == 0 ? pgsize : size;
	/* max_alloc stands for a machine that refuses a mapping of more than that */
	if (need <= UINT64_MAX - (pgsize - 1) && (r->max_alloc == 0 || size <= r->max_alloc)) {
		need = (need + pgsize - 1) / pgsize * pgsize;
		len = need + pgsize - (uint64_t)sysconf(_SC_PAGESIZE);
		if (len >= need && len <= SIZE_MAX)
			base = mmap(NULL, len, PROT_READ | PROT_WRITE,
			            MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	}
	if (base == MAP_FAILED) {
		/*
		 * docs/semantics.md: memory the machine cannot give (sizes near
		 * the address space) prints the tracker's own error if it has
		 * one, else -ENOMEM and the mapping is not kept. Address 0 is
		 * aligned and cannot wrap, so it adds no error of its own.
		 */
		ret = oracle_dma_map_io(r->c, iova, size, 0, prot, iopgsize);
		if (ret == 0) {
			oracle_unmap(r->c, iova, size, NULL);
			ret = -ENOMEM;
		}
		print_result(r, ret);
		return 0;
	}
	/* Room for the record first, so that a mapping made is always recorded. */
	mem = realloc(r->mem, (r->nmem + 1) * sizeof(*mem));
	if (!mem) {
		munmap(base, len);
		print_result(r, -ENOMEM);
		return 0;
	}
	r->mem = mem;
	vaddr = ((uint64_t)(uintptr_t)base + pgsize - 1) / pgsize * pgsize;
	/* iopgsize=0 is the container's, as no iopgsize at all */
	ret = oracle_dma_map_io(r->c, iova, size, vaddr, prot, iopgsize);
	if (ret == 0)
		r->mem[r->nmem++] = (struct backing){iova, vaddr, base, len};
	else
		munmap(base, len);
	print_result(r, ret);
	return 0;
}

/*
 * The bitmap descriptor of get and unmap: pgsize defaults to the
 * container's, bytes to the bitmap bytes of size/pgsize pages, data to a
 * zero-filled buffer of that size (NULL with data=0, or when bytes is above
 * the maximum, which fails before the pointer matters). A buffer the
 * machine refuses is NULL too, and *@refused says so.
 */
static int bitmap_keys(struct replay *r, const struct args *a, uint64_t size, struct dt_bitmap *bm,
                       bool *refused)
{
	const char *data = arg_get(a, "data");
	uint64_t pgsize, bytes, zero;

	if (num_key(r, a, "pgsize", false, oracle_pgsize(r->c), &pgsize) < 0)
		return -1;
	if (num_key(r, a, "bytes", false, dt_bitmap_bytes(pgsize ? size / pgsize : 0), &bytes) < 0)
		return -1;
	/* data is a number like any other, and only 0 (NULL) has a meaning */
	if (num_key(r, a, "data", false, 0, &zero) < 0)
		return -1;
	if (zero != 0)
		return syntax(r, "'data' takes only 0, not '%s'", show(r, data));
	bm->pgsize = pgsize;
	bm->size = bytes;
	bm->data = NULL;
	*refused = false;
	if (!data && bytes <= DT_DIRTY_BITMAP_SIZE_MAX) {
		bm->data = buffer_alloc(r, bytes);
		*refused = bytes != 0 && !bm->data;
	}
	return 0;
}

static void bitmap_release(struct dt_bitmap *bm, bool data_null)
{
	if (!data_null)
		buffer_free(bm->data, bm->size);
}

static int do_unmap(struct replay *r, const struct args *a)
{
	static const char *const keys[] = {"iova",  "size",  "bitmap", "pgsize", "bytes",
	                                   "argsz", "flags", "data",   NULL};
	struct dt_dma_unmap u = {0};
	bool bitmap, descriptor, refused = false;
	uint64_t iova, size;
	int ret, has_flags;

	if (check_args(r, "unmap", a, keys, 0) || num_key(r, a, "iova", true, 0, &iova) < 0 ||
	    num_key(r, a, "size", true, 0, &size) < 0 ||
	    bool_key(r, a, "bitmap", false, &bitmap) < 0)
		return -1;
	has_flags = u32_key(r, a, "flags", bitmap ? DT_UNMAP_GET_DIRTY_BITMAP : 0, &u.flags);
	if (has_flags < 0)
		return -1;
	/* docs/semantics.md: flags with bit 0 builds the descriptor as bitmap=1 does */
	descriptor = bitmap || (u.flags & DT_UNMAP_GET_DIRTY_BITMAP);
	/* pgsize, bytes and data describe that descriptor: without it they mean nothing */
	if (!descriptor && (arg_get(a, "pgsize") || arg_get(a, "bytes") || arg_get(a, "data")))
		return syntax(r, "unmap: pgsize, bytes and data need bitmap=1 or flags with bit 0");
	if (u32_key(r, a, "argsz", descriptor ? DT_DMA_UNMAP_BITMAP_ARGSZ : DT_DMA_UNMAP_ARGSZ,
	            &u.argsz) < 0)
		return -1;
	u.iova = iova;
	u.size = size;
	if (descriptor && bitmap_keys(r, a, size, &u.bitmap, &refused) < 0)
		return -1;
	ret = oracle_dma_unmap(r->c, &u);
	/* docs/semantics.md: -EFAULT for a buffer the machine refused is -ENOMEM */
	if (refused && ret == -EFAULT)
		ret = -ENOMEM;
	print_result(r, ret);
	if (ret == 0) {
		fprintf(r->out, " unmapped=0x%llx", (unsigned long long)u.size);
		if (descriptor)
			print_set(r->out, u.bitmap.data, u.bitmap.size);
		release_backing(r);
	}
	if (descriptor)
		bitmap_release(&u.bitmap, arg_get(a, "data") != NULL);
	return 0;
}

/* pin and unpin share their keys but for prot. */
static int do_pin(struct replay *r, const struct args *a, bool pin)
{
	static const char *const pin_keys[] = {"group", "iova", "npages", "prot", NULL};
	static const char *const unpin_keys[] = {"group", "iova", "npages", NULL};
	const char *op = pin ? "pin" : "unpin";
	uint64_t group, iova, npages;
	uint32_t prot = 0;

	if (check_args(r, op, a, pin ? pin_keys : unpin_keys, 0) ||
	    num_key(r, a, "group", true, 0, &group) < 0 ||
	    num_key(r, a, "iova", true, 0, &iova) < 0 ||
	    num_key(r, a, "npages", false, 1, &npages) < 0 ||
	    (pin && prot_key(r, a, false, &prot) < 0))
		return -1;
	if (pin)
		print_result(r, oracle_pin(r->c, group, iova, npages, prot));
	else
		print_result(r, oracle_unpin(r->c, group, iova, npages));
	return 0;
}

static int do_rw(struct replay *r, const struct args *a)
{
	static const char *const keys[] = {"iova", "len", NULL};
	uint64_t iova, len;
	uint8_t none[1] = {0};
	void *buf = none;

	if (check_args(r, "rw", a, keys, 0) || num_key(r, a, "iova", true, 0, &iova) < 0 ||
	    num_key(r, a, "len", true, 0, &len) < 0)
		return -1;
	/*
	 * The bytes written do not matter, only where they land. A length
	 * the machine cannot give a buffer for prints -ENOMEM without
	 * reaching the tracker, as a map whose memory cannot be had.
	 */
	if (len > 0) {
		buf = buffer_alloc(r, len);
		if (!buf) {
			print_result(r, -ENOMEM);
			return 0;
		}
	}
	print_result(r, oracle_dma_rw(r->c, iova, buf, (size_t)len, true));
	if (len > 0)
		buffer_free(buf, len);
	return 0;
}

static int do_dirty(struct replay *r, const struct args *a, uint32_t flag)
{
	static const char *const ss_keys[] = {"argsz", "flags", NULL};
	static const char *const get_keys[] = {"iova",  "size",  "pgsize", "bytes",
	                                       "argsz", "flags", "data",   NULL};
	const char *op = flag == DT_DIRTY_START ? "start" : flag == DT_DIRTY_STOP ? "stop" : "get";
	struct dt_dirty_pages req = {0};
	bool get = flag == DT_DIRTY_GET_BITMAP, refused = false;
	int ret;

	if (check_args(r, op, a, get ? get_keys : ss_keys, 0) ||
	    u32_key(r, a, "argsz", get ? DT_DIRTY_PAGES_GET_ARGSZ : DT_DIRTY_PAGES_ARGSZ,
	            &req.argsz) < 0 ||
	    u32_key(r, a, "flags", flag, &req.flags) < 0)
		return -1;
	if (get && (num_key(r, a, "iova", true, 0, &req.iova) < 0 ||
	            num_key(r, a, "size", true, 0, &req.size) < 0 ||
	            bitmap_keys(r, a, req.size, &req.bitmap, &refused) < 0))
		return -1;
	ret = oracle_dirty_pages(r->c, &req);
	if (refused && ret == -EFAULT)
		ret = -ENOMEM;
	print_result(r, ret);
	if (get && ret == 0)
		print_set(r->out, req.bitmap.data, req.bitmap.size);
	if (get)
		bitmap_release(&req.bitmap, arg_get(a, "data") != NULL);
	return 0;
}

static int do_info(struct replay *r, const struct args *a)
{
	static const char *const keys[] = {NULL};
	struct dt_info info;
	int ret;

	if (check_args(r, "info", a, keys, 0))
		return -1;
	ret = oracle_info_get(r->c, &info);
	print_result(r, ret);
	if (ret == 0)
		fprintf(r->out, " pgsize_bitmap=0x%llx max_bitmap_bytes=%llu",
		        (unsigned long long)info.migration.pgsize_bitmap,
		        (unsigned long long)info.migration.max_dirty_bitmap_size);
	return 0;
}

/* docs/semantics.md, "Replay additions": a device write of len bytes at iova. */
static int do_write(struct replay *r, const struct args *a)
{
	static const char *const keys[] = {"iova", "len", NULL};
	uint64_t iova, len;

	if (check_args(r, "write", a, keys, 0) || num_key(r, a, "iova", true, 0, &iova) < 0 ||
	    num_key(r, a, "len", true, 0, &len) < 0)
		return -1;
	print_result(r, oracle_device_write(r->c, iova, len));
	return 0;
}

/* hwstart, hwstop, logstop: no keys, no positional words. */
static int do_bare(struct replay *r, const struct args *a, const char *op)
{
	static const char *const keys[] = {NULL};

	if (check_args(r, op, a, keys, 0))
		return -1;
	if (strcmp(op, "logstop") == 0)
		print_result(r, oracle_dmalog_stop(r->c));
	else
		print_result(r, oracle_hw_set_dirty_tracking(r->c, strcmp(op, "hwstart") == 0));
	return 0;
}

/*
 * hwget and logreport: the bitmap is dt_bitmap_bytes(length / pgsize)
 * bytes at offset into a zero-filled buffer, NULL with data=0 or when the
 * buffer has no byte; a bitmap above the maximum is one the machine
 * refuses (its -EFAULT prints -ENOMEM).
 */
static int do_bitmap_op(struct replay *r, const struct args *a, bool hw)
{
	static const char *const hw_keys[] = {"iova",     "length", "pgsize", "noclear", "flags",
	                                      "reserved", "offset", "data",   NULL};
	static const char *const log_keys[] = {"iova", "length", "pgsize", "offset", "data", NULL};
	const char *op = hw ? "hwget" : "logreport";
	struct dt_hw_dirty_bitmap q = {0};
	uint64_t pgsize, offset, bytes, total, zero, reserved = 0;
	uint8_t *buf = NULL;
	bool noclear = false, refused = false;
	int ret, has_flags = 0;

	if (check_args(r, op, a, hw ? hw_keys : log_keys, 0) ||
	    num_key(r, a, "iova", true, 0, &q.iova) < 0 ||
	    num_key(r, a, "length", true, 0, &q.length) < 0 ||
	    num_key(r, a, "pgsize", false, oracle_pgsize(r->c), &pgsize) < 0 ||
	    num_key(r, a, "offset", false, 0, &offset) < 0 ||
	    num_key(r, a, "data", false, 0, &zero) < 0)
		return -1;
	if (hw && (bool_key(r, a, "noclear", false, &noclear) < 0 ||
	           (has_flags = u32_key(r, a, "flags", 0, &q.flags)) < 0 ||
	           num_key(r, a, "reserved", false, 0, &reserved) < 0))
		return -1;
	if (zero != 0)
		return syntax(r, "'data' takes only 0, not '%s'", show(r, arg_get(a, "data")));
	if (reserved > UINT32_MAX)
		return syntax(r, "%s: reserved does not fit in 32 bits", op);
	if (offset > 4095)
		return syntax(r, "%s: offset is a byte of a page, 0 to 4095", op);
	if (noclear && has_flags)
		return syntax(r, "%s: give noclear or flags, not both", op);
	if (arg_get(a, "noclear") && has_flags)
		return syntax(r, "%s: give noclear or flags, not both", op);
	if (noclear)
		q.flags = DT_HW_GET_DIRTY_NO_CLEAR;
	q.reserved = (uint32_t)reserved;
	q.page_size = pgsize;
	bytes = dt_bitmap_bytes(pgsize != 0 ? q.length / pgsize : 0);
	total = offset + bytes;
	if (!arg_get(a, "data") && total != 0) {
		if (bytes <= DT_DIRTY_BITMAP_SIZE_MAX)
			buf = buffer_alloc(r, total);
		refused = buf == NULL;
		q.data = buf ? buf + offset : NULL;
	}
	if (hw)
		ret = oracle_hw_dirty_bitmap(r->c, &q);
	else
		ret = oracle_dmalog_report(r->c, q.iova, q.length, q.page_size, q.data);
	if (refused && ret == -EFAULT)
		ret = -ENOMEM;
	print_result(r, ret);
	if (ret == 0)
		print_set(r->out, q.data, bytes);
	buffer_free(buf, total);
	return 0;
}

/* logstart ranges=A:S,... [pgsize=P]; " logged=" and the device's ranges after. */
static int do_logstart(struct replay *r, const struct args *a)
{
	static const char *const keys[] = {"ranges", "pgsize", NULL};
	const char *v = arg_get(a, "ranges");
	struct dt_dmalog_range *ranges;
	uint64_t pgsize;
	uint32_t n = 0;
	char *copy, *item, *next, *colon;
	int ret, i, count;

	if (check_args(r, "logstart", a, keys, 0) ||
	    num_key(r, a, "pgsize", false, oracle_pgsize(r->c), &pgsize) < 0)
		return -1;
	if (!v)
		return syntax(r, "missing required key 'ranges'");
	/* a line of 4096 bytes holds fewer than 1024 ranges */
	ranges = calloc(1024, sizeof(*ranges));
	copy = strdup(v);
	if (!ranges || !copy) {
		free(ranges);
		free(copy);
		return syntax(r, "out of memory");
	}
	for (item = copy; *copy != '\0'; item = next + 1) {
		next = strchr(item, ',');
		if (next)
			*next = '\0';
		colon = strchr(item, ':');
		if (colon)
			*colon = '\0';
		if (!colon || n == 1024 || !parse_number(item, &ranges[n].iova) ||
		    !parse_number(colon + 1, &ranges[n].length)) {
			free(ranges);
			free(copy);
			return syntax(r, "logstart: bad range in '%s'", show(r, v));
		}
		n++;
		if (!next)
			break;
	}
	free(copy);
	ret = oracle_dmalog_start(r->c, ranges, n, pgsize);
	print_result(r, ret);
	if (ret == 0) {
		count = oracle_dmalog_ranges(r->c, ranges, 1024);
		fprintf(r->out, " logged=");
		for (i = 0; i < count && i < 1024; i++)
			fprintf(r->out, "%s0x%llx:0x%llx", i ? "," : "",
			        (unsigned long long)ranges[i].iova, (unsigned long long)ranges[i].length);
		if (count <= 0)
			fprintf(r->out, "none");
	}
	free(ranges);
	return 0;
}

/*
 * Split @line (comment already cut) into words in place; print nothing.
 * Returns the number of words, or -1 when there are too many.
 */
static int split_words(char *line, char **words, int max)
{
	int n = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == '\v' ||
		       *p == '\f')
			p++;
		if (!*p)
			return n;
		if (n == max)
			return -1;
		words[n++] = p;
		while (*p && !(*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == '\v' ||
		               *p == '\f'))
			p++;
		if (*p)
			*p++ = '\0';
	}
}

static int run_line(struct replay *r, char *line)
{
	char *words[MAX_ARGS + 1], *hash;
	struct args a = {0};
	int n, i, ret;

	hash = strchr(line, '#');
	if (hash)
		*hash = '\0';
	n = split_words(line, words, MAX_ARGS + 1);
	if (n < 0)
		return syntax(r, "too many words");
	if (n == 0)
		return 0;
	/* The echo: the words joined by one space, taken before '=' is split. */
	r->echo[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0)
			strcat(r->echo, " ");
		strcat(r->echo, words[i]);
	}
	for (i = 1; i < n; i++) {
		char *eq = strchr(words[i], '=');

		if (!eq) {
			/* REPLAY.md writes `group ID KIND [devices=N]`: the keys come last */
			if (a.nkeys > 0)
				return syntax(r, "'%s' after key=value words", show(r, words[i]));
			a.pos[a.npos++] = words[i];
			continue;
		}
		*eq = '\0';
		a.key[a.nkeys] = words[i];
		a.val[a.nkeys++] = eq + 1;
	}

	if (strcmp(words[0], "container") == 0)
		ret = do_container(r, &a);
	else if (strcmp(words[0], "group") == 0)
		ret = do_group(r, &a);
	else if (strcmp(words[0], "detach") == 0)
		ret = do_detach(r, &a);
	else if (strcmp(words[0], "map") == 0)
		ret = do_map(r, &a);
	else if (strcmp(words[0], "unmap") == 0)
		ret = do_unmap(r, &a);
	else if (strcmp(words[0], "pin") == 0)
		ret = do_pin(r, &a, true);
	else if (strcmp(words[0], "unpin") == 0)
		ret = do_pin(r, &a, false);
	else if (strcmp(words[0], "rw") == 0)
		ret = do_rw(r, &a);
	else if (strcmp(words[0], "start") == 0)
		ret = do_dirty(r, &a, DT_DIRTY_START);
	else if (strcmp(words[0], "stop") == 0)
		ret = do_dirty(r, &a, DT_DIRTY_STOP);
	else if (strcmp(words[0], "get") == 0)
		ret = do_dirty(r, &a, DT_DIRTY_GET_BITMAP);
	else if (strcmp(words[0], "info") == 0)
		ret = do_info(r, &a);
	else if (strcmp(words[0], "write") == 0)
		ret = do_write(r, &a);
	else if (strcmp(words[0], "hwstart") == 0 || strcmp(words[0], "hwstop") == 0 ||
	         strcmp(words[0], "logstop") == 0)
		ret = do_bare(r, &a, words[0]);
	else if (strcmp(words[0], "hwget") == 0)
		ret = do_bitmap_op(r, &a, true);
	else if (strcmp(words[0], "logreport") == 0)
		ret = do_bitmap_op(r, &a, false);
	else if (strcmp(words[0], "logstart") == 0)
		ret = do_logstart(r, &a);
	else
		ret = syntax(r, "unknown operation '%s'", show(r, words[0]));
	if (ret == 0)
		fputc('\n', r->out);
	return ret;
}

/*
 * Read one line into @buf (LINE_BYTES_MAX + 1 bytes), without its newline;
 * the last line of a file may lack one. Returns 1 for a line, 0 at the end
 * of the input, -1 after putting the reason of a bad line in r->err (a NUL
 * byte, a line over the limit, a read error).
 */
static int read_line(struct replay *r, FILE *in, char *buf)
{
	size_t len = 0;
	int c;

	for (;;) {
		c = fgetc(in);
		if (c == EOF) {
			if (ferror(in))
				return syntax(r, "read error: %s", strerror(errno));
			if (len == 0)
				return 0;
			break;
		}
		if (c == '\n')
			break;
		if (c == 0)
			return syntax(r, "NUL byte at column %zu", len + 1);
		if (len == LINE_BYTES_MAX)
			return syntax(r, "more than %d bytes on the line", LINE_BYTES_MAX);
		buf[len++] = (char)c;
	}
	buf[len] = '\0';
	return 1;
}

int oracle_replay_stream(FILE *in, const char *name, FILE *out, FILE *err, uint64_t max_alloc,
                         unsigned long *bad_line)
{
	struct dt_container_config cfg;
	struct replay *r;
	unsigned long lineno = 0;
	char *line, namebuf[SHOW_NAME_MAX * 4 + 4];
	int status = 0, got;

	*bad_line = 0;
	/* Both are large (the echo and the line): keep them off the caller's stack. */
	r = calloc(1, sizeof(*r));
	line = malloc(LINE_BYTES_MAX + 1);
	if (!r || !line) {
		fprintf(err, "oracle_replay: out of memory\n");
		free(r);
		free(line);
		return 2;
	}
	r->out = out;
	r->max_alloc = max_alloc;
	show_n(namebuf, name, SHOW_NAME_MAX);
	/* Every file starts with the default container. */
	config_defaults(&cfg);
	if (oracle_container_create(&cfg, &r->c)) {
		fprintf(err, "oracle_replay: cannot create the default container\n");
		free(r);
		free(line);
		return 2;
	}
	for (;;) {
		got = read_line(r, in, line);
		if (got == 0)
			break;
		lineno++;
		if (got > 0 && run_line(r, line) == 0) {
			if (ferror(out))
				break; /* the output is lost: stop here */
			continue;
		}
		fflush(out);
		fprintf(err, "oracle_replay: %s:%lu: %s\n", namebuf, lineno, r->err);
		*bad_line = lineno;
		status = 2;
		break;
	}
	/* A write that failed left bytes behind: flushing again fails with the reason. */
	errno = 0;
	if (fflush(out) != 0 || ferror(out)) {
		fprintf(err, "oracle_replay: %s: cannot write the results: %s\n", namebuf,
		        strerror(errno != 0 ? errno : EIO));
		status = 2;
	}
	oracle_container_destroy(r->c);
	r->c = NULL;
	release_backing(r); /* no container: nothing is live */
	free(r->mem);
	free(r);
	free(line);
	return status;
}

#ifndef ORACLE_REPLAY_NO_MAIN
int main(int argc, char **argv)
{
	const char *name = "-";
	unsigned long bad_line;
	FILE *in = stdin;
	int status;

	if (argc > 2 ||
	    (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0))) {
		fprintf(argc > 2 ? stderr : stdout,
		        "usage: oracle_replay [FILE|-]\n"
		        "  run a replay file (default: standard input) on the naive oracle\n");
		return argc > 2 ? 2 : 0;
	}
	if (argc == 2 && strcmp(argv[1], "-") != 0) {
		char shown[SHOW_NAME_MAX * 4 + 4];

		name = argv[1];
		in = fopen(name, "r");
		if (!in) {
			fprintf(stderr, "oracle_replay: %s: %s\n",
			        show_n(shown, name, SHOW_NAME_MAX), strerror(errno));
			return 2;
		}
	}
	status = oracle_replay_stream(in, name, stdout, stderr, 0, &bad_line);
	if (in != stdin)
		fclose(in);
	/* What only the close sees (a full disk, NFS) loses results too. */
	if (fclose(stdout) != 0 && status == 0) {
		fprintf(stderr, "oracle_replay: cannot write the results: %s\n", strerror(errno));
		status = 2;
	}
	return status;
}
#endif
