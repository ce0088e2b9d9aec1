// SPDX-License-Identifier: MIT
/*
 * fuzz_replay - the two readers of the replay language, differentially.
 *
 * The same bytes go to the engine's reader (bench/replay, once per harvest
 * implementation the library lists) and to the oracle's independent one
 * (tests/oracle/oracle_replay.c). They must print the same result lines,
 * stop on the same line with the same exit status, and every message must
 * be one line of printable ASCII of bounded length (docs/semantics.md,
 * Replay). Any difference aborts, so that libFuzzer keeps the input.
 *
 * Both readers run their own tracker (the engine, the naive oracle), so a
 * semantic difference that the fuzzer can spell in the language shows up
 * here too, not only a parsing one.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirtytrack/dirtytrack.h>

#include "fuzz.h"
#include "oracle_replay.h"
#include "replay.h"

/*
 * The most memory one line may ask of the machine: above it both readers
 * take the machine to refuse, a path they must agree on too. 256 KiB keeps
 * an input of a few hundred lines under ~200 MiB per reader, well inside
 * libFuzzer's default 2 GiB RSS limit, where `rw len=1T` would not be.
 */
#define FUZZ_MAX_ALLOC (256u * 1024)
/* The longest message a reader may print: a prefix, a name and 48 bytes escaped 4x. */
#define MESSAGE_MAX 512

struct run {
	char *out, *err;
	size_t out_len, err_len;
	unsigned long bad_line;
	int status;
};

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

/* Fail with what differed; the input is what libFuzzer saves. */
static void fail(const char *what, const char *harvest, const struct run *e, const struct run *o)
{
	fprintf(stderr, "fuzz_replay: %s (harvest %s)\n", what, harvest);
	fprintf(stderr, "engine: status %d, line %lu\n%.*s%.*s", e->status, e->bad_line,
		(int)e->out_len, e->out, (int)e->err_len, e->err);
	fprintf(stderr, "oracle: status %d, line %lu\n%.*s%.*s", o->status, o->bad_line,
		(int)o->out_len, o->out, (int)o->err_len, o->err);
	abort();
}

/* The messages: none after a success, else exactly one printable line. */
static bool message_ok(const struct run *r)
{
	size_t i;

	if (r->status == 0)
		return r->err_len == 0;
	if (r->err_len == 0 || r->err_len > MESSAGE_MAX || r->err[r->err_len - 1] != '\n')
		return false;
	for (i = 0; i + 1 < r->err_len; i++)
		if (r->err[i] < 0x20 || r->err[i] > 0x7e)
			return false;
	return true;
}

/* The result lines: printable, as the language's words are. */
static bool output_ok(const struct run *r)
{
	size_t i;

	for (i = 0; i < r->out_len; i++)
		if ((r->out[i] < 0x20 || r->out[i] > 0x7e) && r->out[i] != '\n')
			return false;
	return true;
}

static void run_engine(const uint8_t *data, size_t size, const char *harvest, struct run *r)
{
	struct ds_replay_config cfg = {.harvest = harvest, .max_alloc = FUZZ_MAX_ALLOC};
	FILE *in = fmemopen((void *)data, size, "r");
	FILE *out = open_memstream(&r->out, &r->out_len);
	FILE *err = open_memstream(&r->err, &r->err_len);

	if (!in || !out || !err)
		abort();
	r->status = ds_replay_stream(&cfg, in, "fuzz", out, err, &r->bad_line);
	fclose(in);
	fclose(out);
	fclose(err);
}

static void run_oracle(const uint8_t *data, size_t size, struct run *r)
{
	FILE *in = fmemopen((void *)data, size, "r");
	FILE *out = open_memstream(&r->out, &r->out_len);
	FILE *err = open_memstream(&r->err, &r->err_len);

	if (!in || !out || !err)
		abort();
	r->status = oracle_replay_stream(in, "fuzz", out, err, FUZZ_MAX_ALLOC, &r->bad_line);
	fclose(in);
	fclose(out);
	fclose(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *const *h;
	struct run o = {0};

	/* fmemopen refuses an empty buffer; an empty file is a valid, empty replay. */
	if (size == 0)
		return 0;
	run_oracle(data, size, &o);
	for (h = dt_harvest_names(); *h; h++) {
		struct run e = {0};

		run_engine(data, size, *h, &e);
		if (e.status != o.status || e.bad_line != o.bad_line)
			fail("the readers stop differently", *h, &e, &o);
		if (e.out_len != o.out_len || memcmp(e.out, o.out, e.out_len) != 0)
			fail("the result lines differ", *h, &e, &o);
		if (!message_ok(&e) || !message_ok(&o))
			fail("a message is not one printable line", *h, &e, &o);
		if (!output_ok(&e))
			fail("a result line is not printable", *h, &e, &o);
		run_free(&e);
	}
	run_free(&o);
	return 0;
}
