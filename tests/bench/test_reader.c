// SPDX-License-Identifier: MIT
/*
 * test_reader - the run-folder reader on a valid schema 2 folder
 * (tests/results/fixtures/v2, made per results/README.md by
 * tests/results/runfolder.py) and on doctored copies of it: each copy has
 * one defect and must be refused with the right errno and a message that
 * names the file and the field.
 */
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "reader.h"
#include "stats.h"

#ifndef FIXTURE_DIR
#error "FIXTURE_DIR must name tests/results/fixtures/v2"
#endif

static const char *const files[] = {"meta.json", "summary.json", "samples.csv"};
static char *orig[3];
static size_t origlen[3];
static char tmpdir[] = "/tmp/test_reader.XXXXXX";

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[n] = '\0';
	*len = (size_t)n;
	fclose(f);
	return buf;
}

static void spill(const char *name, const char *text, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "wb");
	CHECK(f != NULL);
	if (!f)
		return;
	CHECK(fwrite(text, 1, len, f) == len);
	fclose(f);
}

enum edit { REPLACE, DELETE_FILE, DELETE_LINE, DROP_LAST_LINE, CUT_END };

/*
 * One defect: in @file, REPLACE the first @find by @repl, DELETE_LINE the
 * line holding the first @find, DROP_LAST_LINE, CUT_END (the final line
 * break), or DELETE_FILE.
 */
struct doctor {
	const char *what;
	const char *file;
	enum edit edit;
	const char *find, *repl;
	unsigned int flags;
	int err;	     /* expected ds_rf_open() return; 0: must open */
	const char *message; /* a substring of the expected message */
};

static int file_index(const char *name)
{
	int i;

	for (i = 0; i < 3; i++)
		if (!strcmp(files[i], name))
			return i;
	return -1;
}

/* Write the fixture into tmpdir with @d's defect (or none). Returns 0 or -1. */
static int prepare(const struct doctor *d)
{
	int i, target = d ? file_index(d->file) : -1;
	char path[512];

	for (i = 0; i < 3; i++) {
		const char *text = orig[i];
		size_t len = origlen[i];
		char *buf, *at, *eol;

		snprintf(path, sizeof(path), "%s/%s", tmpdir, files[i]);
		unlink(path);
		if (i != target) {
			spill(files[i], text, len);
			continue;
		}
		buf = malloc(len + (d->repl ? strlen(d->repl) : 0) + 1);
		if (!buf)
			return -1;
		switch (d->edit) {
		case DELETE_FILE:
			free(buf);
			continue;
		case REPLACE:
			at = strstr(text, d->find);
			if (!at) {
				fprintf(stderr, "%s: '%s' not found in %s\n", d->what, d->find,
					files[i]);
				free(buf);
				return -1;
			}
			len = (size_t)(at - text);
			memcpy(buf, text, len);
			memcpy(buf + len, d->repl, strlen(d->repl));
			len += strlen(d->repl);
			strcpy(buf + len, at + strlen(d->find));
			len += strlen(at + strlen(d->find));
			break;
		case DELETE_LINE:
			at = strstr(text, d->find);
			if (!at) {
				fprintf(stderr, "%s: '%s' not found\n", d->what, d->find);
				free(buf);
				return -1;
			}
			while (at > text && at[-1] != '\n')
				at--;
			eol = strchr(at, '\n');
			len = (size_t)(at - text);
			memcpy(buf, text, len);
			strcpy(buf + len, eol + 1);
			len += strlen(eol + 1);
			break;
		case DROP_LAST_LINE:
			memcpy(buf, text, len);
			len--; /* the final line break */
			while (len && buf[len - 1] != '\n')
				len--;
			break;
		case CUT_END:
			memcpy(buf, text, len);
			len--;
			break;
		}
		spill(files[i], buf, len);
		free(buf);
	}
	return 0;
}

static const struct doctor cases[] = {
	/* files */
	{"no meta.json", "meta.json", DELETE_FILE, NULL, NULL, 0, -ENOENT, "meta.json: missing"},
	{"no summary.json", "summary.json", DELETE_FILE, NULL, NULL, 0, -ENOENT,
	 "summary.json: missing"},
	{"no samples.csv", "samples.csv", DELETE_FILE, NULL, NULL, DS_RF_SAMPLES, -ENOENT,
	 "samples.csv: missing"},
	{"no samples.csv, not asked for", "samples.csv", DELETE_FILE, NULL, NULL, 0, 0, NULL},
	/* JSON */
	{"malformed JSON", "summary.json", REPLACE, "\"rows\": [", "\"rows\": [,", 0, -EINVAL,
	 "summary.json: line 3, column"},
	{"text after the top-level value", "meta.json", REPLACE, "{", "[], \"x\": {", 0, -EINVAL,
	 "meta.json: line 1, column"},
	{"a missing field", "summary.json", DELETE_LINE, "\"median_ns\":", NULL, 0, -EINVAL,
	 "summary.json: rows[0].median_ns: missing"},
	{"a missing device field", "meta.json", DELETE_LINE, "\"iova_base\":", NULL, 0, -EINVAL,
	 "meta.json: devices[0].iova_base: missing"},
	{"a missing host field", "meta.json", DELETE_LINE, "\"kernel\":", NULL, 0, -EINVAL,
	 "meta.json: host.kernel: missing"},
	{"a missing downtime", "summary.json", REPLACE, "\"downtime\":", "\"downtime_\":", 0,
	 -EINVAL, "summary.json: downtime: missing"},
	{"a null downtime: none made", "summary.json", REPLACE, "\"downtime\": {",
	 "\"downtime\": null, \"x\": {", 0, 0, NULL},
	{"a string for an integer", "meta.json", REPLACE, "\"device_bytes\": 1048576,",
	 "\"device_bytes\": \"1048576\",", 0, -EINVAL,
	 "meta.json: devices[0].device_bytes: expected an integer, found a string"},
	{"a real for an integer", "summary.json", REPLACE, "\"n\": 2,", "\"n\": 2.0,", 0, -EINVAL,
	 "summary.json: rows[0].n: expected an integer, found a real number"},
	{"a negative integer", "summary.json", REPLACE, "\"max_ns\": ", "\"max_ns\": -", 0,
	 -EINVAL, "summary.json: rows[0].max_ns: "},
	{"a number for a boolean", "summary.json", REPLACE, "\"clock_limited\": false",
	 "\"clock_limited\": 0", 0, -EINVAL, "rows[0].clock_limited: expected a boolean"},
	{"a null where none is allowed", "summary.json", REPLACE, "\"tracking_share\": ",
	 "\"tracking_share\": null, \"x\": ", 0, -EINVAL,
	 "downtime.estimates[0].tracking_share: expected a number, found null"},
	{"an op outside its set", "summary.json", REPLACE, "\"op\": \"map\"", "\"op\": \"mop\"",
	 0, -EINVAL, "summary.json: rows[0].op: 'mop' is not one of map, populate"},
	{"a line break in a name", "summary.json", REPLACE, "\"op\": \"map\"",
	 "\"op\": \"m\\nap\"", 0, -EINVAL, "rows[0].op: 'm?ap' is not one of"},
	{"a stage outside its set", "summary.json", REPLACE, "\"stage\": \"setup\"",
	 "\"stage\": \"boot\"", 0, -EINVAL, "rows[0].stage: 'boot' is not one of setup"},
	{"a status outside its set", "meta.json", REPLACE, "\"status\": \"complete\"",
	 "\"status\": \"done\"", 0, -EINVAL, "meta.json: status: 'done' is not one of running"},
	{"a group outside its set", "meta.json", REPLACE, "\"group\": \"none\"",
	 "\"group\": \"pci\"", 0, -EINVAL, "meta.json: devices[0].group: 'pci'"},
	{"a query outside its set", "summary.json", REPLACE, "\"query\": \"mapping\"",
	 "\"query\": \"whole\"", 0, -EINVAL, "downtime.estimates[0].query: 'whole'"},
	{"a harvest meta.json does not list", "summary.json", REPLACE,
	 "\"harvest\": \"reference\"", "\"harvest\": \"fast\"", 0, -EINVAL,
	 "summary.json: rows[0].harvest: 'fast' is not one of meta.json's harvests"},
	{"a device index out of range", "summary.json", REPLACE, "\"device\": 0,",
	 "\"device\": 7,", 0, -EINVAL, "summary.json: rows[0].device: 7 is out of range"},
	{"a layout that is not the device's", "summary.json", REPLACE, "\"layout\": \"uniform:2\"",
	 "\"layout\": \"ragged:2\"", 0, -EINVAL, "summary.json: rows[0].layout: 'ragged:2'"},
	{"devices out of order", "meta.json", REPLACE, "\"index\": 1,", "\"index\": 2,", 0,
	 -EINVAL, "meta.json: devices[1].index: 2"},
	{"statistics out of order", "summary.json", REPLACE, "\"min_ns\": ", "\"min_ns\": 9", 0,
	 -EINVAL, "summary.json: rows[0].median_ns: min <= median"},
	{"schema_version 1 in meta.json", "meta.json", REPLACE, "\"schema_version\": 2",
	 "\"schema_version\": 1", 0, -EINVAL, "meta.json: schema_version: 1, this dirtyscope reads 2"},
	{"schema_version 1 in summary.json", "summary.json", REPLACE, "\"schema_version\": 2",
	 "\"schema_version\": 1", 0, -EINVAL, "summary.json: schema_version: 1"},
	{"status running", "meta.json", REPLACE, "\"status\": \"complete\"",
	 "\"status\": \"running\"", 0, -EINVAL, "meta.json: status: running"},
	{"status running, DS_RF_PARTIAL", "meta.json", REPLACE, "\"status\": \"complete\"",
	 "\"status\": \"running\"", DS_RF_PARTIAL | DS_RF_SAMPLES, 0, NULL},
	{"status failed without a summary", "summary.json", DELETE_FILE, NULL, NULL, 0, -ENOENT,
	 "summary.json: missing"},
	/* CSV */
	{"a missing column", "samples.csv", REPLACE, ",dirty_pages", "", DS_RF_SAMPLES, -EINVAL,
	 "samples.csv: line 1: column 'dirty_pages' missing"},
	{"an unknown column", "samples.csv", REPLACE, "memcpy_ns\n", "memcpy_ns,extra\n",
	 DS_RF_SAMPLES, -EINVAL, "samples.csv: line 1: unknown column 'extra'"},
	{"a short line", "samples.csv", REPLACE, ",0,0\n", ",0\n", DS_RF_SAMPLES, -EINVAL,
	 "samples.csv: line 2: 14 fields, expected 15"},
	{"a long line", "samples.csv", REPLACE, ",0,0\n", ",0,0,0\n", DS_RF_SAMPLES, -EINVAL,
	 "samples.csv: line 2: 16 fields, expected 15"},
	{"a number that is not one", "samples.csv", REPLACE, ",setup,reference,0,uniform:2,map,",
	 ",setup,reference,0x0,uniform:2,map,", DS_RF_SAMPLES, -EINVAL,
	 "samples.csv: line 2: device: '0x0'"},
	{"a device out of range", "samples.csv", REPLACE, ",setup,reference,0,uniform:2,map,",
	 ",setup,reference,9,uniform:2,map,", DS_RF_SAMPLES, -EINVAL,
	 "samples.csv: line 2: device: 9 is out of range"},
	{"an op outside its set", "samples.csv", REPLACE, ",map,", ",mop,", DS_RF_SAMPLES,
	 -EINVAL, "samples.csv: line 2: op: 'mop' is not one of"},
	{"an unknown harvest", "samples.csv", REPLACE, ",reference,", ",referenc,", DS_RF_SAMPLES,
	 -EINVAL, "samples.csv: line 2: harvest: 'referenc'"},
	{"an unclosed quote", "samples.csv", REPLACE, ",map,", ",\"map,", DS_RF_SAMPLES, -EINVAL,
	 "samples.csv: line 2: malformed CSV: a quoted field is not closed"},
	{"a quote inside a field", "samples.csv", REPLACE, ",map,", ",m\"ap,", DS_RF_SAMPLES,
	 -EINVAL, "samples.csv: line 2: malformed CSV: a quote inside an unquoted field"},
	{"quoted fields and CRLF", "samples.csv", REPLACE, "iteration,stage,",
	 "\"iteration\",\"st\"\"age\",", DS_RF_SAMPLES, -EINVAL,
	 "samples.csv: line 1: unknown column 'st\"age'"},
	{"a quoted name is the name", "samples.csv", REPLACE, ",map,", ",\"map\",", DS_RF_SAMPLES,
	 0, NULL},
	{"CRLF line ends", "samples.csv", REPLACE, "memcpy_ns\n", "memcpy_ns\r\n", DS_RF_SAMPLES, 0,
	 NULL},
	{"a sample lost (half-written)", "samples.csv", DROP_LAST_LINE, NULL, NULL, DS_RF_SAMPLES,
	 -EINVAL, "samples.csv: 0 lines of summary.json's rows["},
	{"the last line cut in a complete run", "samples.csv", CUT_END, NULL, NULL, DS_RF_SAMPLES,
	 -EINVAL, "samples.csv: line 55: cut"},
	{"a sample of no row", "samples.csv", REPLACE, ",setup,reference,0,uniform:2,map,",
	 ",warmup,reference,0,uniform:2,map,", DS_RF_SAMPLES, -EINVAL,
	 "samples.csv: line 2: no row of summary.json"},
	{"an empty samples.csv", "samples.csv", REPLACE, NULL, NULL, DS_RF_SAMPLES, -EINVAL,
	 "samples.csv: empty"},
};

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void run_case(const struct doctor *d)
{
	struct ds_run_folder *rf = NULL;
	char why[512];
	int ret;

	if (d->edit == REPLACE && !d->find) {
		/* the empty file */
		prepare(NULL);
		spill(d->file, "", 0);
	} else if (prepare(d)) {
		check_failures++;
		return;
	}
	ret = ds_rf_open(tmpdir, d->flags, &rf, why, sizeof(why));
	if (ret != d->err) {
		fprintf(stderr, "FAILED: %s: ds_rf_open returned %d, expected %d (%s)\n", d->what,
			ret, d->err, why);
		check_failures++;
	} else if (d->message && !strstr(why, d->message)) {
		fprintf(stderr, "FAILED: %s: message '%s' does not contain '%s'\n", d->what, why,
			d->message);
		check_failures++;
	} else if (d->err && strchr(why, '\n')) {
		fprintf(stderr, "FAILED: %s: the message is not one line: '%s'\n", d->what, why);
		check_failures++;
	} else {
		printf("ok: %s%s%s\n", d->what, d->err ? ": " : "", d->err ? why : "");
	}
	if (!d->err)
		CHECK(rf != NULL);
	ds_rf_close(rf);
}

/* The valid folder: what it holds, and that rows and samples agree. */
static void check_valid(void)
{
	struct ds_run_folder *rf = NULL;
	uint64_t *v;
	char why[512] = "";
	size_t i, j, n;

	prepare(NULL);
	CHECK_EQ(ds_rf_open(tmpdir, DS_RF_SAMPLES, &rf, why, sizeof(why)), 0);
	if (!rf) {
		fprintf(stderr, "valid fixture refused: %s\n", why);
		return;
	}
	CHECK(rf->status == DS_RF_COMPLETE);
	CHECK(!strcmp(ds_rf_status_name(rf->status), "complete"));
	CHECK(rf->summary != NULL);
	CHECK(!strcmp(rf->backend, "model"));
	CHECK(!strcmp(rf->git_revision, "0123456789ab"));
	CHECK(rf->error == NULL && rf->signal == NULL);
	CHECK_EQ(rf->clock_pair_ns, 40);
	CHECK_EQ(rf->nharvests, 1);
	CHECK(!strcmp(rf->harvests[0], "reference"));
	CHECK_EQ(rf->ndevices, 3);
	CHECK(!strcmp(rf->devices[1].layout, "ragged:2"));
	CHECK(!strcmp(rf->devices[2].layout, "all"));
	CHECK(!strcmp(rf->devices[0].group, "none"));
	CHECK_EQ(rf->devices[0].device_bytes, 1048576);
	CHECK_EQ(rf->devices[0].pages, 256);
	CHECK_EQ(rf->devices[2].mappings, 4);
	CHECK_EQ(rf->nsamples, 54);
	CHECK_EQ(rf->nrows, 22);
	CHECK_EQ(rf->nphases, 4);
	CHECK_EQ(rf->ndowntime, 4);
	CHECK_EQ(rf->bandwidth_bytes_per_s, 1250000000);
	CHECK_EQ(rf->limit_ns, 300000000);
	CHECK(rf->nmemcpy >= 2);
	CHECK(!strcmp(rf->rows[0].op, "map") && !strcmp(rf->rows[0].stage, "setup"));
	CHECK(!strcmp(rf->rows[0].path, "-"));
	CHECK_EQ(rf->rows[0].dirty_pages, -1);
	CHECK(isnan(rf->rows[0].ratio_to_memcpy));
	CHECK(!strcmp(rf->phases[0].phases[0].name, "walk"));
	CHECK_EQ(rf->phases[0].nphases, 7);
	CHECK(!strcmp(rf->downtime[0].query, "mapping"));
	CHECK(rf->downtime[0].tracking_share > 0 && rf->downtime[0].tracking_share <= 1);

	/* The second line of samples.csv, field by field. */
	CHECK_EQ(rf->samples[1].mapping, 1);
	CHECK_EQ(rf->samples[1].pages, 128);
	CHECK(!strcmp(ds_rf_op_name(rf->samples[1].op), "map"));
	CHECK(!strcmp(ds_rf_stage_name(rf->samples[1].stage), "setup"));
	CHECK(!strcmp(ds_rf_request_name(rf->samples[1].request), "mapping"));
	CHECK(!strcmp(ds_rf_path_name(rf->samples[1].path), "-"));

	/* Every row's statistics from its own samples, as the reader tied them. */
	v = calloc(rf->nsamples, sizeof(*v));
	for (i = 0; v && i < rf->nrows; i++) {
		struct ds_stats st;

		for (j = n = 0; j < rf->nsamples; j++)
			if (rf->samples[j].row == i)
				v[n++] = rf->samples[j].ns;
		ds_stats_compute(v, n, &st);
		CHECK_EQ(st.n, rf->rows[i].n);
		CHECK_EQ(st.median, rf->rows[i].median_ns);
		CHECK_EQ(st.p99, rf->rows[i].p99_ns);
		CHECK_EQ(st.min, rf->rows[i].min_ns);
	}
	free(v);
	ds_rf_close(rf);
}

int main(void)
{
	struct ds_run_folder *rf = (void *)1;
	char why[256];
	size_t i;

	for (i = 0; i < 3; i++) {
		char path[512];

		snprintf(path, sizeof(path), "%s/%s", FIXTURE_DIR, files[i]);
		orig[i] = slurp(path, &origlen[i]);
		if (!orig[i]) {
			fprintf(stderr, "cannot read %s\n", path);
			return 1;
		}
	}
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}

	check_valid();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct doctor *d = &cases[i];

		/* "status failed without a summary" needs both edits. */
		if (!strcmp(d->what, "status failed without a summary")) {
			struct doctor failed = {.what = d->what,
						.file = "meta.json",
						.edit = REPLACE,
						.find = "\"status\": \"complete\"",
						.repl = "\"status\": \"failed\""};
			char path[512];

			prepare(&failed);
			snprintf(path, sizeof(path), "%s/summary.json", tmpdir);
			unlink(path);
			CHECK_EQ(ds_rf_open(tmpdir, 0, &rf, why, sizeof(why)), -ENOENT);
			CHECK(strstr(why, "summary.json: missing: the run failed") != NULL);
			rf = NULL;
			CHECK_EQ(ds_rf_open(tmpdir, DS_RF_PARTIAL | DS_RF_SAMPLES, &rf, why,
					    sizeof(why)),
				 0);
			CHECK(rf && !rf->summary && rf->nsamples == 54 &&
			      rf->samples[0].row == UINT32_MAX);
			ds_rf_close(rf);
			printf("ok: %s\n", d->what);
			continue;
		}
		run_case(d);
	}

	/* A running folder read with DS_RF_PARTIAL: samples only, a cut line dropped. */
	{
		struct doctor running = {.what = "running, cut",
					 .file = "meta.json",
					 .edit = REPLACE,
					 .find = "\"status\": \"complete\"",
					 .repl = "\"status\": \"running\""};
		char path[512];
		size_t len = origlen[2];

		prepare(&running);
		snprintf(path, sizeof(path), "%s/summary.json", tmpdir);
		unlink(path);
		spill("samples.csv", orig[2], len - 5);
		rf = NULL;
		CHECK_EQ(ds_rf_open(tmpdir, DS_RF_PARTIAL | DS_RF_SAMPLES, &rf, why, sizeof(why)),
			 0);
		CHECK(rf && rf->status == DS_RF_RUNNING && !rf->summary && !rf->nrows);
		CHECK(rf && rf->nsamples == 53);
		ds_rf_close(rf);
	}

	/* Not a folder at all. */
	rf = (void *)1;
	CHECK_EQ(ds_rf_open("/nonexistent/run", 0, &rf, why, sizeof(why)), -ENOENT);
	CHECK(rf == (void *)1);
	CHECK(strstr(why, "/nonexistent/run: ") == why);
	CHECK_EQ(ds_rf_open(FIXTURE_DIR "/meta.json", 0, &rf, why, sizeof(why)), -ENOTDIR);
	ds_rf_close(NULL);

	nftw(tmpdir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	for (i = 0; i < 3; i++)
		free(orig[i]);
	CHECK_EXIT();
}
