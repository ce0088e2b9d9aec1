// SPDX-License-Identifier: MIT
/*
 * fuzz_run_folder - libFuzzer entry point for the run-folder reader.
 *
 * The input is meta.json, summary.json and samples.csv separated by NUL
 * bytes (none of the three may hold one, so a separator never hides a
 * defect of the files); fewer parts leave the later files missing. They
 * are written into one temporary folder per process and read with
 * ds_rf_open(DS_RF_SAMPLES): whatever the bytes, the reader must return 0
 * or a negative errno with a one-line message, and never crash, leak or
 * read out of bounds.
 *
 * Not wired into CMake yet (the fuzz infrastructure comes with its own
 * options); by hand, from the top of the tree after a normal build:
 *   clang -g -O1 -fsanitize=fuzzer,address -D_GNU_SOURCE -Ibench/results \
 *     -Itracker/include tests/fuzz/fuzz_run_folder.c bench/results/reader.c \
 *     bench/results/result.c $(pkg-config --cflags --libs jansson) -o fuzz_run_folder
 *   ./fuzz_run_folder -dict=... CORPUS_DIR
 * A seed: tests/results/fixtures/v2's three files joined with NUL bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[3] = {"meta.json", "summary.json", "samples.csv"};
static char dir[] = "/tmp/fuzz_run_folder.XXXXXX";

static void put(const char *name, const uint8_t *p, size_t n)
{
	char path[sizeof(dir) + 32];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f)
		abort(); /* the harness, not the reader, is broken */
	if (n && fwrite(p, 1, n, f) != n)
		abort();
	fclose(f);
}

static void drop(const char *name)
{
	char path[sizeof(dir) + 32];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

static void cleanup(void)
{
	int i;

	for (i = 0; i < 3; i++)
		drop(names[i]);
	rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct ds_run_folder *rf = NULL;
	char why[512];
	size_t start = 0;
	int i, ret;

	if (!ready) {
		if (!mkdtemp(dir))
			abort();
		atexit(cleanup);
		ready = 1;
	}
	for (i = 0; i < 3; i++) {
		const uint8_t *nul;

		if (start > size) {
			drop(names[i]);
			continue;
		}
		nul = memchr(data + start, 0, size - start);
		if (i == 2 || !nul) {
			put(names[i], data + start, size - start);
			start = size + 1;
		} else {
			put(names[i], data + start, (size_t)(nul - (data + start)));
			start = (size_t)(nul - data) + 1;
		}
	}
	ret = ds_rf_open(dir, DS_RF_SAMPLES, &rf, why, sizeof(why));
	if (ret > 0 || (ret == 0) != (rf != NULL))
		abort();
	if (ret < 0 && (!why[0] || strchr(why, '\n')))
		abort(); /* every refusal says why, on one line */
	ds_rf_close(rf);
	return 0;
}
