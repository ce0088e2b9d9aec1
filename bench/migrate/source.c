// SPDX-License-Identifier: MIT
/* source.c - the source's device: region, container, harvests, sends (source.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <workloads/rand.h>

#include "migrate.h"
#include "source.h"
#include "wire.h"

#if defined(__SANITIZE_THREAD__)
/*
 * Copying a page while a writer may be writing it is what pre-copy does:
 * the copy may be torn, but the write marks the page after its bytes, so
 * the next harvest reports it and a later round (or the stop-and-copy,
 * when the writers have stopped) sends it whole; the destination's check
 * proves it. ThreadSanitizer cannot know that, so the copy is hidden from
 * it; every other access to the region stays checked.
 */
void AnnotateIgnoreReadsBegin(const char *file, int line);
void AnnotateIgnoreReadsEnd(const char *file, int line);
#define RACY_READS_BEGIN() AnnotateIgnoreReadsBegin(__FILE__, __LINE__)
#define RACY_READS_END() AnnotateIgnoreReadsEnd(__FILE__, __LINE__)
#else
#define RACY_READS_BEGIN() ((void)0)
#define RACY_READS_END() ((void)0)
#endif

/* The mediated group the writers (a device emulator) write through. */
#define GROUP 1

/* Seeded bytes, different for every page: a stale page can never pass for a fresh one. */
static void fill(uint8_t *p, uint64_t len, uint64_t seed)
{
	uint64_t x = seed, i, w;

	for (i = 0; i < len; i += 8) {
		w = ds_rand_splitmix(&x);
		memcpy(p + i, &w, len - i < 8 ? len - i : 8);
	}
}

void ds_source_destroy(struct ds_source *s)
{
	if (!s)
		return;
	/* The container first: it holds the region's address. */
	dt_container_destroy(s->c);
	if (s->mem)
		munmap(s->mem, s->bytes);
	free(s->harvest);
	free(s->pending);
	free(s->state);
	free(s->batch);
	free(s->sent_ns);
	free(s->write_ns);
	free(s);
}

static int map_device(struct ds_source *s)
{
	uint64_t q = s->pages / s->mappings, r = s->pages % s->mappings, off = 0, i, n;
	int ret;

	/* Equal mappings, the first ones a page longer: the cut plan's --mappings assumes. */
	for (i = 0; i < s->mappings; i++) {
		n = (q + (i < r)) * s->page_bytes;
		ret = dt_dma_map(s->c, s->iova_base + off, n, (uint64_t)(uintptr_t)(s->mem + off),
				 DT_PROT_READ | DT_PROT_WRITE);
		if (ret < 0)
			return ret;
		off += n;
	}
	return 0;
}

int ds_source_create(const struct ds_source_params *p, struct ds_source **out,
		     const char **what)
{
	struct dt_container_config cfg;
	struct ds_source *s;
	uint64_t page;
	int ret;

	*out = NULL;
	if (!p->page_bytes || p->device_bytes % p->page_bytes || !p->mappings ||
	    p->device_bytes / p->page_bytes < p->mappings) {
		*what = "the device's size";
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		*what = "memory";
		return -ENOMEM;
	}
	s->bytes = p->device_bytes;
	s->page_bytes = p->page_bytes;
	s->pages = p->device_bytes / p->page_bytes;
	s->mappings = p->mappings;
	s->iova_base = DS_MIG_IOVA_BASE;
	s->words = (s->pages + 63) / 64;
	s->state_bytes = p->state_bytes;

	*what = "memory";
	s->harvest = calloc(s->words, 8);
	s->pending = calloc(s->words, 8);
	s->batch = malloc(sizeof(struct ds_wire_hdr) + DS_WIRE_BATCH * (8 + s->page_bytes));
	s->state = malloc(s->state_bytes ? s->state_bytes : 1);
	if (p->track_sends) {
		s->sent_ns = calloc(s->pages, sizeof(*s->sent_ns));
		s->write_ns = calloc(s->pages, sizeof(*s->write_ns));
	}
	if (!s->harvest || !s->pending || !s->batch || !s->state ||
	    (p->track_sends && (!s->sent_ns || !s->write_ns))) {
		ret = -ENOMEM;
		goto err;
	}
	*what = "mmap of the region";
	s->mem = mmap(NULL, s->bytes, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (s->mem == MAP_FAILED) {
		s->mem = NULL;
		ret = -errno;
		goto err;
	}
	/* Filling the region populates it: no page fault lands in a measured round. */
	*what = "filling the region";
	for (page = 0; page < s->pages; page++) {
		/* 16384 pages (64 MiB) between looks at the flag: a few ms. */
		if (!(page % 16384) && p->stop && __atomic_load_n(p->stop, __ATOMIC_RELAXED)) {
			ret = -ECANCELED;
			goto err;
		}
		fill(s->mem + page * s->page_bytes, s->page_bytes, p->seed ^ (page << 20));
	}
	fill(s->state, s->state_bytes, ~p->seed);

	dt_container_config_init(&cfg);
	cfg.backend = p->backend;
	cfg.harvest = p->harvest;
	cfg.pgsize = p->page_bytes;
	/* Writers never wait for a harvest with "fast"; "reference" ignores it and locks. */
	cfg.concurrent = true;
	*what = "dt_container_create";
	ret = dt_container_create(&cfg, &s->c);
	if (ret < 0)
		goto err;
	*what = "attaching the writers' mediated group";
	ret = dt_group_attach(s->c, GROUP, DT_GROUP_MEDIATED, 1);
	if (ret < 0)
		goto err;
	*what = "MAP_DMA";
	ret = map_device(s);
	if (ret < 0)
		goto err;
	*out = s;
	return 0;
err:
	ds_source_destroy(s);
	return ret;
}

int ds_source_start(struct ds_source *s)
{
	int ret = dt_dirty_start(s->c);

	s->tracking = ret == 0;
	return ret;
}

int ds_source_stop(struct ds_source *s)
{
	int ret = 0;

	if (s->tracking)
		ret = dt_dirty_stop(s->c);
	s->tracking = false;
	return ret;
}

int ds_source_harvest(struct ds_source *s, uint64_t *ns, uint64_t *dirty)
{
	struct dt_bitmap bm = {.pgsize = s->page_bytes, .size = s->words * 8, .data = s->harvest};
	uint64_t t0, t1, n = 0, i;
	int ret;

	/* The kernel merges bits into the user's buffer: it must arrive zeroed. */
	memset(s->harvest, 0, s->words * 8);
	t0 = ds_mig_now_ns();
	ret = dt_get_bitmap(s->c, s->iova_base, s->bytes, &bm);
	t1 = ds_mig_now_ns();
	*ns = t1 - t0;
	if (ret < 0)
		return ret;
	for (i = 0; i < s->words; i++) {
		n += (uint64_t)__builtin_popcountll(s->harvest[i]);
		s->pending[i] |= s->harvest[i];
	}
	*dirty = n;
	return 0;
}

uint64_t ds_source_pending(const struct ds_source *s)
{
	uint64_t n = 0, i;

	for (i = 0; i < s->words; i++)
		n += (uint64_t)__builtin_popcountll(s->pending[i]);
	return n;
}

static int send_batch(struct ds_source *s, struct ds_link *l, uint32_t round,
		      const uint64_t *idx, unsigned int n)
{
	struct ds_wire_hdr h = {.type = DS_MSG_PAGES, .count = n, .arg = round};
	uint8_t *data = s->batch + sizeof(h) + (size_t)n * 8;
	unsigned int i;

	memcpy(s->batch, &h, sizeof(h));
	memcpy(s->batch + sizeof(h), idx, (size_t)n * 8);
	RACY_READS_BEGIN();
	for (i = 0; i < n; i++)
		memcpy(data + (size_t)i * s->page_bytes, s->mem + idx[i] * s->page_bytes,
		       s->page_bytes);
	RACY_READS_END();
	if (s->sent_ns) {
		uint64_t t = ds_mig_now_ns();

		for (i = 0; i < n; i++)
			s->sent_ns[idx[i]] = t;
	}
	return ds_link_send(l, s->batch, sizeof(h) + (size_t)n * (8 + s->page_bytes));
}

int ds_source_send_pages(struct ds_source *s, struct ds_link *l, uint32_t round, bool all,
			 uint64_t *pages)
{
	uint64_t idx[DS_WIRE_BATCH], w, bits, sent = 0, p;
	unsigned int n = 0;
	int ret;

	*pages = 0;
	for (w = 0; w < s->words; w++) {
		if (all) {
			bits = w + 1 < s->words || !(s->pages % 64) ? ~0ull
								     : (1ull << (s->pages % 64)) - 1;
			s->pending[w] = 0;
		} else {
			bits = s->pending[w];
			s->pending[w] = 0;
		}
		while (bits) {
			p = w * 64 + (uint64_t)__builtin_ctzll(bits);
			bits &= bits - 1;
			idx[n++] = p;
			if (n == DS_WIRE_BATCH) {
				ret = send_batch(s, l, round, idx, n);
				if (ret < 0)
					return ret;
				sent += n;
				*pages = sent;
				n = 0;
			}
		}
	}
	if (n) {
		ret = send_batch(s, l, round, idx, n);
		if (ret < 0)
			return ret;
		sent += n;
	}
	*pages = sent;
	return 0;
}

int ds_source_send_state(struct ds_source *s, struct ds_link *l)
{
	struct ds_wire_hdr h = {.type = DS_MSG_STATE, .arg = s->state_bytes};
	int ret = ds_link_send(l, &h, sizeof(h));

	if (ret < 0 || !s->state_bytes)
		return ret;
	return ds_link_send(l, s->state, s->state_bytes);
}

int64_t ds_source_drop_stale(struct ds_source *s)
{
	uint64_t w, bits, p;

	if (!s->sent_ns)
		return -1;
	for (w = 0; w < s->words; w++) {
		for (bits = s->pending[w]; bits; bits &= bits - 1) {
			p = w * 64 + (uint64_t)__builtin_ctzll(bits);
			/* Written after the copy: the destination has the bytes from before. */
			if (s->write_ns[p] > s->sent_ns[p]) {
				s->pending[w] &= ~(1ull << (p % 64));
				return (int64_t)p;
			}
		}
	}
	return -1;
}

void ds_source_sums(const struct ds_source *s, uint64_t *sums, uint64_t *state_sum)
{
	uint64_t p;

	for (p = 0; p < s->pages; p++)
		sums[p] = ds_page_sum(s->mem + p * s->page_bytes, s->page_bytes);
	*state_sum = ds_page_sum(s->state, s->state_bytes);
}
