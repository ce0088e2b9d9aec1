// SPDX-License-Identifier: MIT
/*
 * test_pgconv - the page-size conversion of the second and third modes,
 * exact, from one page to 16 GiB: every request page size from 4 KiB to
 * 16 GiB, smaller and larger than what the tracker keeps (a device's
 * tracking page, or an IO page of 4 KiB, 2 MiB or 1 GiB), through the
 * public API (dt_dmalog_report(), dt_hw_get_dirty_bitmap()), each bitmap
 * compared bit for bit with the naive oracle's.
 *
 * libvfio-user, the user-space peer that offers this conversion, once kept
 * the requested bit position in a byte: a request of 32 bytes of bitmap or
 * more hung when its page size was smaller than the tracking one, and every
 * dirty bit past the 256th requested page went astray when it was larger.
 * The writes here land on the pages around those edges (the 255th, 256th
 * and 257th requested page, the first, the last), and the sizes straddle
 * them; a watchdog turns a request that does not return into a reported
 * difference. The DT_MUTANT_CONV_* engines put both defects back, and this
 * test must report a difference for each (tests/CMakeLists.txt).
 *
 * Exit: 0 no difference, 1 a difference ("oracle: difference ..."), 2 setup.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dirtytrack/dirtytrack.h>

#include "oracle.h"

#define BASE (1ull << 40) /* aligned to every page size used */
#define FAKE_VADDR (1ull << 45)
#define K4 4096ull
#define WATCHDOG_S 20u

/* The case running, for the watchdog's message (formatted before the call). */
static char watch_msg[256];
static size_t watch_len;

static void on_alarm(int sig)
{
	(void)sig;
	/* async-signal-safe: one write of what was formatted before */
	if (write(STDOUT_FILENO, watch_msg, watch_len) < 0)
		_exit(3);
	_exit(1);
}

static void watch(const char *what)
{
	int n = snprintf(watch_msg, sizeof(watch_msg),
			 "oracle: difference: %s: no answer within %u s: the conversion hangs\n", what,
			 WATCHDOG_S);

	watch_len = n > 0 ? (size_t)n : 0;
	if (watch_len >= sizeof(watch_msg))
		watch_len = sizeof(watch_msg) - 1;
	alarm(WATCHDOG_S);
}

struct both {
	struct dt_container *e;
	struct oracle_container *o;
};

static int make(struct both *b, enum dt_track_mode mode, uint64_t io_pgsize)
{
	struct dt_container_config cfg;

	dt_container_config_init(&cfg);
	cfg.mode = mode;
	cfg.io_pgsize = io_pgsize;
	if (dt_container_create(&cfg, &b->e) || oracle_container_create(&cfg, &b->o)) {
		fprintf(stderr, "test_pgconv: cannot create the containers\n");
		return -1;
	}
	return 0;
}

static void unmake(struct both *b)
{
	dt_container_destroy(b->e);
	oracle_container_destroy(b->o);
}

static uint64_t round_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) / a * a;
}

/*
 * The bytes a case writes: at the edges of the bit positions a byte can
 * hold, counted in requested pages and in tracked units, the last byte
 * and one in the middle.
 */
static size_t writes(uint64_t written_bytes, uint64_t page, uint64_t unit, uint64_t *at)
{
	const uint64_t pages[] = {0, 1, 31, 32, 127, 255, 256, 257, 511, 4096, 65537};
	const uint64_t granule[] = {page, unit};
	size_t i, g, n = 0;

	for (g = 0; g < 2; g++)
		for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++)
			if (pages[i] * granule[g] < written_bytes)
				at[n++] = BASE + pages[i] * granule[g] + (pages[i] % 7) * 512;
	at[n++] = BASE + written_bytes - 1;
	at[n++] = BASE + written_bytes / 2;
	return n;
}

/*
 * One case: a log (or a mapping of IO pages) of @unit over @bytes from
 * BASE, written at its edges, reported at @page. Returns 0 or 1.
 */
static int one_case(enum dt_track_mode mode, uint64_t bytes, uint64_t unit, uint64_t page,
		    uint64_t *ncases)
{
	uint64_t span = round_up(bytes, page > unit ? page : unit), at[32], nbits, nbytes, i;
	struct dt_dmalog_range r = {BASE, span};
	uint8_t *be, *bo;
	struct both b;
	char what[160];
	size_t n, k;
	int re, ro, status = 0;

	snprintf(what, sizeof(what), "%s, %" PRIu64 " bytes written, %s %" PRIu64 ", asked at %" PRIu64,
		 mode == DT_TRACK_HW ? "hw" : "dmalog", bytes,
		 mode == DT_TRACK_HW ? "IO page" : "tracking page", unit, page);
	if (make(&b, mode, mode == DT_TRACK_HW ? unit : 0))
		return 2;
	nbits = span / page;
	nbytes = dt_bitmap_bytes(nbits);
	be = calloc(1, nbytes);
	bo = calloc(1, nbytes);
	if (!be || !bo) {
		fprintf(stderr, "test_pgconv: out of memory\n");
		return 2;
	}
	if (dt_dma_map(b.e, BASE, span, FAKE_VADDR, DT_PROT_READ | DT_PROT_WRITE) ||
	    oracle_dma_map(b.o, BASE, span, FAKE_VADDR, DT_PROT_READ | DT_PROT_WRITE) ||
	    (mode == DT_TRACK_HW ? dt_hw_set_dirty_tracking(b.e, true) ||
					   oracle_hw_set_dirty_tracking(b.o, true)
				 : dt_dmalog_start(b.e, &r, 1, unit) ||
					   oracle_dmalog_start(b.o, &r, 1, unit))) {
		printf("oracle: difference: %s: the setup failed\n", what);
		status = 1;
		goto out;
	}
	n = writes(bytes, page, unit, at);
	for (k = 0; k < n; k++) {
		uint64_t len = k % 3 == 2 ? 2 : 1; /* some cross into the next 4 KiB */

		if (at[k] + len > BASE + span)
			len = 1;
		if (dt_device_write(b.e, at[k], len) || oracle_device_write(b.o, at[k], len)) {
			printf("oracle: difference: %s: a device write failed\n", what);
			status = 1;
			goto out;
		}
	}
	watch(what);
	re = mode == DT_TRACK_HW ? dt_hw_get_dirty_bitmap(b.e, BASE, span, page, 0, be)
				 : dt_dmalog_report(b.e, BASE, span, page, be);
	alarm(0);
	ro = mode == DT_TRACK_HW ? oracle_hw_get_dirty_bitmap(b.o, BASE, span, page, 0, bo)
				 : oracle_dmalog_report(b.o, BASE, span, page, bo);
	if (re != ro) {
		printf("oracle: difference: %s: engine %d, oracle %d\n", what, re, ro);
		status = 1;
		goto out;
	}
	for (i = 0; i < nbits; i++) {
		bool ebit = be[i / 8] >> (i % 8) & 1, obit = bo[i / 8] >> (i % 8) & 1;

		if (ebit != obit) {
			printf("oracle: difference: %s: bit %" PRIu64 " of %" PRIu64
			       ": engine %d, oracle %d\n",
			       what, i, nbits, ebit, obit);
			status = 1;
			goto out;
		}
	}
	/* No bit past the request's (the buffer is whole words). */
	for (i = nbits; i < nbytes * 8; i++)
		if (be[i / 8] >> (i % 8) & 1) {
			printf("oracle: difference: %s: bit %" PRIu64 " past the request is set\n",
			       what, i);
			status = 1;
			goto out;
		}
	(*ncases)++;
out:
	free(be);
	free(bo);
	unmake(&b);
	return status;
}

int main(int argc, char **argv)
{
	/* From one page to 16 GiB; 255, 256 and 257 pages straddle a byte's reach. */
	const uint64_t sizes[] = {K4,	   2 * K4,	3 * K4,	  255 * K4, 256 * K4,
				  257 * K4, 4096 * K4, 2ull << 20, (1ull << 30) + (2ull << 20),
				  16ull << 30};
	const uint64_t units[] = {K4, 64 * K4 / 4, 2ull << 20, 1ull << 30};
	uint64_t ncases = 0;
	size_t s, u;
	unsigned int p, pmax;
	int m, ret;
	bool quick = argc > 1 && !strcmp(argv[1], "--quick");

	signal(SIGALRM, on_alarm);
	for (m = 0; m < 2; m++) {
		enum dt_track_mode mode = m ? DT_TRACK_HW : DT_TRACK_DMALOG;

		for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			if (quick && sizes[s] > (1ull << 30))
				continue;
			for (u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
				/* IO pages are 4 KiB, 2 MiB or 1 GiB; a log's any power of two. */
				if (mode == DT_TRACK_HW && units[u] == 64 * K4 / 4)
					continue;
				/*
				 * Every page size up to the range (and one above it); at
				 * 16 GiB, every fourth below 1 GiB keeps the test short.
				 */
				pmax = 12;
				while (pmax < 34 && (1ull << pmax) < sizes[s])
					pmax++;
				for (p = 12; p <= pmax; p++) {
					if (sizes[s] > (1ull << 30) && p < 30 && p % 4 != 0 &&
					    p != 12 && p != 13)
						continue;
					ret = one_case(mode, sizes[s], units[u], 1ull << p, &ncases);
					if (ret)
						return ret;
				}
			}
		}
	}
	printf("test_pgconv: %" PRIu64 " conversions from 1 page to 16 GiB, 0 differences\n",
	       ncases);
	return 0;
}
