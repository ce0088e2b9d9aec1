// SPDX-License-Identifier: MIT
/*
 * test_output - a synthetic run (two harvests, two devices, several ops,
 * requests and paths, phase totals) summarised, printed and written as a
 * run folder, then read back: the three files are whole, no temporary
 * file is left, samples.csv has one line per sample, and the statistics
 * of a group chosen by hand come out as computed by hand.
 *
 *   test_output          check, then remove the folder
 *   test_output --keep   check, keep the folder and print its path on stdout:
 *                        TMP/runs/NAME, where the caller removes TMP (this is
 *                        how validate_run.sh --self-test gets a folder to check)
 */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "output.h"

#define ITERATIONS 20
#define MAPPINGS 4

static void add(struct ds_result *r, uint32_t iteration, enum ds_op op, enum ds_request req,
		enum ds_path path, unsigned int harvest, unsigned int device, uint32_t mapping,
		uint64_t bitmap_bytes, uint64_t pages, uint64_t ns, uint64_t memcpy_ns)
{
	bool harvests = op == DS_OP_GET_BITMAP || op == DS_OP_UNMAP_BITMAP;
	struct ds_sample s = {
		.iteration = iteration,
		.op = (uint8_t)op,
		.request = (uint8_t)req,
		.path = (uint8_t)path,
		.stage = (uint8_t)(iteration ? DS_STAGE_STEADY
				   : op == DS_OP_UNMAP_BITMAP || op == DS_OP_STOP || op == DS_OP_UNMAP
					   ? DS_STAGE_TEARDOWN
					   : DS_STAGE_SETUP),
		.harvest = (uint8_t)harvest,
		.device = (uint16_t)device,
		.mapping = mapping,
		.bitmap_bytes = bitmap_bytes,
		.pages = pages,
		/* A tenth of the pages dirty: what the downtime section is made of. */
		.dirty_pages = harvests ? pages / 10 : 0,
		.ns = ns,
		.memcpy_bytes = memcpy_ns ? bitmap_bytes : 0,
		.memcpy_ns = memcpy_ns,
	};

	CHECK_EQ(ds_result_add_sample(r, &s), 0);
}

/* 1..ITERATIONS in a scrambled order: 7 is prime to 20. */
static uint64_t perm(uint32_t i)
{
	return (i * 7) % ITERATIONS + 1;
}

/*
 * The known group is (reference, ragged:64, get_bitmap, merged, shift):
 * ns 100..2000 and memcpy_ns 10..200 in scrambled order, so by hand
 * median (1000 + 1100) / 2 = 1050, p90 = rank 18 = 1800, p99 = rank 20 =
 * 2000, memcpy median (100 + 110) / 2 = 105, ratio 10.
 */
static void build(struct ds_result *r)
{
	static const char *const layouts[] = {"ragged:64", "single"};
	struct ds_phase_total t = {
		.harvest = 0,
		.device = 0,
		.request = DS_REQ_MERGED,
		.path = DS_PATH_SHIFT,
		.op = DS_OP_GET_BITMAP,
		.requests = ITERATIONS,
		.profile = {.nphases = 6,
			    .names = {"set_all", "shift", "leftover", "copy", "clear", "repopulate"},
			    .ns = {0, 4000, 1000, 3000, 2000, 0},
			    .calls = {0, 1280, 1280, 1280, 1280, 0},
			    .walk_nodes = 40},
	};
	unsigned int h, d, m;
	uint32_t i;

	memset(r, 0, sizeof(*r));
	r->tool_version = "0.1.0-test";
	r->git_revision = "0123456789ab";
	r->backend = "model";
	r->harvests[0] = "reference";
	r->harvests[1] = "alt,v2"; /* a comma: samples.csv must quote it */
	r->nharvests = 2;
	r->status = DS_STATUS_COMPLETE;
	r->clock_pair_ns = 40;
	r->clock_resolution_ns = 1;
	r->steady = ITERATIONS;
	r->downtime = (struct ds_downtime_params){.bandwidth_bytes_per_s = 1000000000,
						  .state_bytes = 1000000,
						  .limit_ns = 300000000,
						  .pgsize = 4096};
	snprintf(r->created_utc, sizeof(r->created_utc), "2025-01-01T00:00:00Z");
	for (d = 0; d < 2; d++) {
		struct ds_device_info info = {
			.device_bytes = 64ULL << 20,
			.mappings = d ? 1 : 64,
			.pages = 16384,
			.iova_base = d ? 1ULL << 40 : 1ULL << 32,
		};

		snprintf(info.layout, sizeof(info.layout), "%s", layouts[d]);
		snprintf(info.group, sizeof(info.group), "mediated");
		CHECK_EQ(ds_result_add_device(r, &info), 0);
	}

	for (h = 0; h < 2; h++) {
		for (d = 0; d < 2; d++) {
			for (m = 0; m < MAPPINGS; m++)
				add(r, 0, DS_OP_MAP, DS_REQ_NONE, DS_PATH_NONE, h, d, m, 0, 256,
				    5000 + m, 0);
			add(r, 0, DS_OP_POPULATE, DS_REQ_NONE, DS_PATH_NONE, h, d, 0, 0, 16384,
			    3000000, 0);
			add(r, 0, DS_OP_START, DS_REQ_NONE, DS_PATH_NONE, h, d, 0, 0, 16384, 70000,
			    0);
		}
		for (i = 1; i <= ITERATIONS; i++) {
			for (d = 0; d < 2; d++) {
				/* Two slow steps in 20: p99 (rank 20) is 10x the median. */
				add(r, i, DS_OP_DIRTY, DS_REQ_NONE, DS_PATH_NONE, h, d, 0, 0, 64,
				    i % 10 ? 1000 : 10000, 0);
				add(r, i, DS_OP_GET_BITMAP, DS_REQ_MERGED,
				    d ? DS_PATH_ALIGNED : DS_PATH_SHIFT, h, d, 0, 2048, 16384,
				    100 * perm(i) + 7 * h + d, 10 * perm(i));
				for (m = 0; m < MAPPINGS; m++)
					add(r, i, DS_OP_GET_BITMAP, DS_REQ_MAPPING,
					    DS_PATH_ALIGNED, h, d, m, 32, 256, 300 + m, 50);
			}
		}
		for (d = 0; d < 2; d++) {
			for (m = 0; m < MAPPINGS; m++)
				add(r, 0, DS_OP_UNMAP_BITMAP, DS_REQ_MAPPING, DS_PATH_ALIGNED, h, d,
				    m, 32, 256, 9000 + m, 60);
			add(r, 0, DS_OP_STOP, DS_REQ_NONE, DS_PATH_NONE, h, d, 0, 0, 16384, 40000,
			    0);
			add(r, 0, DS_OP_UNMAP, DS_REQ_NONE, DS_PATH_NONE, h, d, 0, 2048, 0, 120,
			    0);
		}
	}

	/*
	 * Phase totals of 20 merged requests: on the shift path shift 40%,
	 * leftover 10%, copy 30%, clear 20%, set_all and repopulate never ran.
	 */
	CHECK_EQ(ds_result_add_phases(r, &t), 0);
	t.harvest = 1;
	t.device = 1;
	t.path = DS_PATH_ALIGNED;
	t.profile = (struct dt_profile){
		.nphases = 3,
		.names = {"copy", "clear", "repopulate"},
		.ns = {6000, 3000, 1000},
		.calls = {20, 20, 20},
	};
	CHECK_EQ(ds_result_add_phases(r, &t), 0);

	r->config = json_pack("{s:s, s:I, s:[s,s], s:n}", "backend", "model", "iterations",
			      (json_int_t)ITERATIONS, "layout", "ragged:64", "single", "numa_node");
	r->host = ds_host_info();
	r->placement = json_pack("{s:[{s:i}]}", "regions", "node", 0);
	r->command_line = json_pack("[s,s]", "dirtyscope", "run");
	CHECK(r->config && r->host && r->placement && r->command_line);
}

/* What cmd_run does with a folder: begin, stream every sample, finish. */
static int write_run(const char *dir, struct ds_result *r, const struct ds_row *rows, size_t nrows)
{
	struct ds_downtime *dt = NULL;
	size_t ndt = 0, i;
	enum ds_status status = r->status;
	int ret;

	if (mkdir(dir, 0777) && errno != EEXIST)
		return -errno;
	r->status = DS_STATUS_RUNNING;
	ret = ds_out_begin(dir, r);
	for (i = 0; i < r->nsamples && ret == 0; i++)
		ret = ds_out_sample(r, &r->samples[i], i);
	r->status = status;
	if (ds_downtime_estimate(r, &dt, &ndt) < 0)
		return -ENOMEM;
	if (ret == 0)
		ret = ds_out_finish(dir, r, rows, nrows, dt, ndt);
	else
		ds_out_finish(dir, r, rows, nrows, dt, ndt);
	free(dt);
	return ret;
}

static bool same_key(const struct ds_sample *s, const struct ds_row *w)
{
	return s->harvest == w->harvest && s->device == w->device && s->op == w->op &&
	       s->request == w->request && s->path == w->path;
}

static const struct ds_row *find_row(const struct ds_row *rows, size_t n, unsigned int harvest,
				     unsigned int device, enum ds_op op, enum ds_request req,
				     enum ds_path path)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (rows[i].harvest == harvest && rows[i].device == device && rows[i].op == op &&
		    rows[i].request == req && rows[i].path == path)
			return &rows[i];
	return NULL;
}

static void check_summarize(const struct ds_result *r, const struct ds_row *rows, size_t nrows)
{
	const struct ds_row *w;
	uint64_t total = 0;
	size_t i, j, groups = 0;

	/* Naively: a sample opens a group when no earlier sample has its key. */
	for (i = 0; i < r->nsamples; i++) {
		const struct ds_sample *s = &r->samples[i];

		for (j = 0; j < i; j++) {
			const struct ds_sample *e = &r->samples[j];

			if (e->harvest == s->harvest && e->device == s->device &&
			    e->op == s->op && e->request == s->request && e->path == s->path)
				break;
		}
		if (j == i) {
			CHECK(groups < nrows && same_key(s, &rows[groups])); /* order */
			groups++;
		}
	}
	CHECK_EQ(nrows, groups);
	for (i = 0; i < nrows; i++)
		total += rows[i].stats.n;
	CHECK_EQ(total, r->nsamples);

	w = find_row(rows, nrows, 0, 0, DS_OP_GET_BITMAP, DS_REQ_MERGED, DS_PATH_SHIFT);
	CHECK(w);
	if (w) {
		CHECK_EQ(w->stats.n, ITERATIONS);
		CHECK_EQ(w->stats.min, 100);
		CHECK_EQ(w->stats.median, 1050);
		CHECK_EQ(w->stats.p90, 1800);
		CHECK_EQ(w->stats.p99, 2000);
		CHECK_EQ(w->stats.max, 2000);
		CHECK_EQ(w->memcpy.n, ITERATIONS);
		CHECK_EQ(w->memcpy.median, 105);
		CHECK(w->ratio == 10.0);
		CHECK_EQ(w->pages, 16384);
		CHECK_EQ(w->bitmap_bytes, 2048);
	}
	/* Per-mapping requests: 4 mappings x 20 iterations, ns 300..303. */
	w = find_row(rows, nrows, 1, 1, DS_OP_GET_BITMAP, DS_REQ_MAPPING, DS_PATH_ALIGNED);
	CHECK(w);
	if (w) {
		CHECK_EQ(w->stats.n, MAPPINGS * ITERATIONS);
		CHECK_EQ(w->stats.median, 301); /* (301 + 302) / 2 rounded down */
		CHECK_EQ(w->stats.p90, 303);
		CHECK_EQ(w->memcpy.median, 50);
	}
	/* No memcpy: no ratio. */
	w = find_row(rows, nrows, 0, 1, DS_OP_STOP, DS_REQ_NONE, DS_PATH_NONE);
	CHECK(w && w->memcpy.n == 0 && w->ratio == 0);
}

/* Display columns of the widest line: the table must stay readable at 160. */
static int widest_line(const char *s)
{
	int w = 0, max = 0;

	for (; *s; s++) {
		if (*s == '\n') {
			max = w > max ? w : max;
			w = 0;
		} else {
			w += ((unsigned char)*s & 0xc0) != 0x80;
		}
	}
	return w > max ? w : max;
}

static void check_table(const struct ds_result *r, const struct ds_row *rows, size_t nrows)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CHECK(f);
	if (!f)
		return;
	ds_print_table(f, r, rows, nrows, NULL, 0);
	fclose(f);
	fputs(buf, stderr); /* for ctest --output-on-failure */
	CHECK(strstr(buf, "x memcpy"));
	CHECK(strstr(buf, "1.05 µs"));	/* the known median */
	CHECK(strstr(buf, "2.00 KiB")); /* its bitmap */
	CHECK(strstr(buf, "10.0x"));	/* its ratio */
	CHECK(strstr(buf, "repopulate"));
	CHECK(strstr(buf, "40.0%")); /* shift's share */
	CHECK(strstr(buf, "high variance"));
	CHECK(widest_line(buf) <= 160);
	free(buf);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rm_rf(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static bool exists(const char *dir, const char *name)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

/* Any "<name>.tmp.<pid>" left in @dir, or -1 when it cannot be read. */
static int temp_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += strstr(e->d_name, ".tmp.") != NULL;
	closedir(d);
	return n;
}

static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static void check_csv(const char *dir, const struct ds_result *r)
{
	char path[4096], *line = NULL;
	size_t cap = 0, lines = 0;
	bool quoted = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/samples.csv", dir);
	f = fopen(path, "r");
	CHECK(f);
	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		if (lines == 0)
			CHECK(!strcmp(line, "iteration,stage,harvest,device,layout,op,request,path,"
					    "mapping,bitmap_bytes,pages,dirty_pages,ns,memcpy_bytes,"
					    "memcpy_ns\n"));
		/* The first sample: harvest 0's first MAP on device 0. */
		if (lines == 1)
			CHECK(!strcmp(line, "0,setup,reference,0,ragged:64,map,-,-,0,0,256,0,5000,0,0\n"));
		if (!strcmp(line, "7,steady,\"alt,v2\",1,single,get_bitmap,merged,aligned,0,2048,"
				  "16384,1638,1008,2048,100\n"))
			quoted = true;
		lines++;
	}
	free(line);
	fclose(f);
	CHECK_EQ(lines, r->nsamples + 1);
	CHECK(quoted); /* iteration 7: perm 10, so 100 * 10 + 7 + 1 ns */
}

static json_t *find_json_row(json_t *rows, const char *harvest, const char *layout,
			     const char *op, const char *request, const char *path)
{
	size_t i;
	json_t *w;

	json_array_foreach(rows, i, w)
	{
		if (!strcmp(json_string_value(json_object_get(w, "harvest")) ?: "", harvest) &&
		    !strcmp(json_string_value(json_object_get(w, "layout")) ?: "", layout) &&
		    !strcmp(json_string_value(json_object_get(w, "op")) ?: "", op) &&
		    !strcmp(json_string_value(json_object_get(w, "request")) ?: "", request) &&
		    !strcmp(json_string_value(json_object_get(w, "path")) ?: "", path))
			return w;
	}
	return NULL;
}

static json_int_t jint(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	CHECK(json_is_integer(v));
	return json_integer_value(v);
}

static void check_summary(const char *dir, const struct ds_result *r, size_t nrows)
{
	char path[4096];
	json_error_t e;
	json_t *s, *rows, *w, *ph, *mc, *v;
	size_t i;

	snprintf(path, sizeof(path), "%s/summary.json", dir);
	s = json_load_file(path, 0, &e);
	CHECK(s);
	if (!s) {
		fprintf(stderr, "summary.json: %s at line %d\n", e.text, e.line);
		return;
	}
	CHECK_EQ(jint(s, "schema_version"), 2);
	rows = json_object_get(s, "rows");
	CHECK_EQ(json_array_size(rows), nrows);
	w = find_json_row(rows, "reference", "ragged:64", "get_bitmap", "merged", "shift");
	CHECK(w);
	if (w) {
		CHECK_EQ(jint(w, "n"), ITERATIONS);
		CHECK_EQ(jint(w, "median_ns"), 1050);
		CHECK_EQ(jint(w, "min_ns"), 100);
		CHECK_EQ(jint(w, "p90_ns"), 1800);
		CHECK_EQ(jint(w, "p99_ns"), 2000);
		CHECK_EQ(jint(w, "max_ns"), 2000);
		CHECK_EQ(jint(w, "memcpy_median_ns"), 105);
		CHECK(json_is_real(json_object_get(w, "ratio_to_memcpy")));
		CHECK(json_real_value(json_object_get(w, "ratio_to_memcpy")) == 10.0);
		CHECK_EQ(jint(w, "bitmap_bytes"), 2048);
		CHECK_EQ(jint(w, "device_bytes"), 64 << 20);
		CHECK_EQ(jint(w, "mappings"), 64);
		CHECK_EQ(jint(w, "dirty_pages"), 1638);
		CHECK_EQ(jint(w, "memcpy_bytes"), 2048);
		CHECK(json_real_value(json_object_get(w, "ratio_median")) == 10.0);
		CHECK(json_is_false(json_object_get(w, "clock_limited")));
		CHECK(!strcmp(json_string_value(json_object_get(w, "stage")) ?: "", "steady"));
	}
	w = find_json_row(rows, "alt,v2", "single", "stop", "-", "-");
	CHECK(w && json_is_null(json_object_get(w, "memcpy_median_ns")) &&
	      json_is_null(json_object_get(w, "ratio_to_memcpy")));

	/* The memcpy floor: one entry per size, ascending; 32 and 2048 bytes here. */
	mc = json_object_get(s, "memcpy");
	CHECK_EQ(json_array_size(mc), 2);
	if (json_array_size(mc) == 2) {
		CHECK_EQ(jint(json_array_get(mc, 0), "memcpy_bytes"), 32);
		/* 2 x 2 x (80 + 4) samples of 50 and 60 ns: 320 of 50 and 16 of 60. */
		CHECK_EQ(jint(json_array_get(mc, 0), "n"), 336);
		CHECK_EQ(jint(json_array_get(mc, 0), "median_ns"), 50);
		CHECK_EQ(jint(json_array_get(mc, 1), "memcpy_bytes"), 2048);
		CHECK_EQ(jint(json_array_get(mc, 1), "n"), 4 * ITERATIONS);
		CHECK_EQ(jint(json_array_get(mc, 1), "median_ns"), 105);
	}

	ph = json_object_get(s, "phases");
	CHECK_EQ(json_array_size(ph), r->nphases);
	w = json_array_get(ph, 0);
	CHECK(w && !strcmp(json_string_value(json_object_get(w, "path")) ?: "", "shift"));
	CHECK_EQ(jint(w, "requests"), ITERATIONS);
	CHECK_EQ(jint(w, "walk_nodes"), 40);
	v = json_object_get(w, "phases");
	CHECK_EQ(json_array_size(v), 6);
	for (i = 0; i < json_array_size(v); i++) {
		json_t *x = json_array_get(v, i);
		const char *name = json_string_value(json_object_get(x, "name")) ?: "";

		if (!strcmp(name, "shift")) {
			CHECK_EQ(jint(x, "total_ns"), 4000);
			CHECK_EQ(jint(x, "calls"), 1280);
			CHECK_EQ(jint(x, "mean_ns_per_request"), 200);
		}
		if (!strcmp(name, "copy"))
			CHECK_EQ(jint(x, "mean_ns_per_request"), 150);
	}
	/* The second harvest names three phases of its own. */
	CHECK_EQ(json_array_size(json_object_get(json_array_get(ph, 1), "phases")), 3);

	/* Downtime: one estimate per (harvest, device, query); 1638 pages dirty, 1 GB/s. */
	v = json_object_get(s, "downtime");
	CHECK_EQ(jint(v, "bandwidth_bytes_per_s"), 1000000000);
	CHECK_EQ(json_array_size(json_object_get(v, "estimates")), 8);
	w = json_array_get(json_object_get(v, "estimates"), 1);
	CHECK(!strcmp(json_string_value(json_object_get(w, "query")) ?: "", "merged"));
	CHECK_EQ(jint(w, "dirty_bytes"), 1638 * 4096);
	CHECK_EQ(jint(w, "transfer_ns"), (1638 * 4096 * 1000000000ll + 999999999) / 1000000000);
	CHECK_EQ(jint(w, "state_ns"), 1000000);
	CHECK_EQ(jint(w, "final_harvest_ns"), 1050);
	CHECK_EQ(jint(w, "downtime_ns"), 1050 + jint(w, "transfer_ns") + 1000000);
	/* Per mapping: the four GETs of an iteration, 300 + 301 + 302 + 303 ns. */
	w = json_array_get(json_object_get(v, "estimates"), 0);
	CHECK_EQ(jint(w, "final_harvest_ns"), 1206);
	CHECK_EQ(jint(w, "calls"), 4);
	CHECK_EQ(jint(w, "dirty_pages"), 4 * 25);
	json_decref(s);
}

static void check_meta(const char *dir)
{
	char path[4096];
	json_error_t e;
	json_t *m, *v;

	snprintf(path, sizeof(path), "%s/meta.json", dir);
	m = json_load_file(path, 0, &e);
	CHECK(m);
	if (!m)
		return;
	CHECK_EQ(jint(m, "schema_version"), 2);
	CHECK(!strcmp(json_string_value(json_object_get(m, "status")) ?: "", "complete"));
	CHECK(json_is_null(json_object_get(m, "error")));
	CHECK_EQ(jint(json_object_get(m, "clock"), "pair_ns"), 40);
	CHECK_EQ(jint(json_object_get(m, "iterations"), "steady"), ITERATIONS);
	v = json_object_get(m, "tool");
	CHECK(!strcmp(json_string_value(json_object_get(v, "name")) ?: "", "dirtyscope"));
	CHECK(!strcmp(json_string_value(json_object_get(v, "version")) ?: "", "0.1.0-test"));
	CHECK(!strcmp(json_string_value(json_object_get(v, "git_revision")) ?: "",
		      "0123456789ab"));
	v = json_object_get(m, "created_utc");
	CHECK(json_is_string(v) && strlen(json_string_value(v)) == 20);
	v = json_object_get(m, "harvests");
	CHECK_EQ(json_array_size(v), 2);
	CHECK(!strcmp(json_string_value(json_array_get(v, 1)) ?: "", "alt,v2"));
	v = json_object_get(m, "devices");
	CHECK_EQ(json_array_size(v), 2);
	CHECK(!strcmp(json_string_value(json_object_get(json_array_get(v, 1), "layout")) ?: "",
		      "single"));
	CHECK_EQ(jint(json_array_get(v, 1), "iova_base"), 1LL << 40);
	CHECK_EQ(jint(json_array_get(v, 0), "mappings"), 64);
	CHECK_EQ(jint(json_object_get(m, "config"), "iterations"), ITERATIONS);
	CHECK(json_is_object(json_object_get(m, "placement")));
	v = json_object_get(m, "host");
	CHECK(json_is_object(v));
	CHECK(jint(v, "numa_nodes") >= 1);
	CHECK(json_is_object(json_object_get(v, "hugepages")));
	json_decref(m);
}

static const char *meta_status(const char *dir)
{
	static char status[32];
	char path[4200];
	json_t *m;

	snprintf(path, sizeof(path), "%s/meta.json", dir);
	m = json_load_file(path, 0, NULL);
	snprintf(status, sizeof(status), "%s",
		 m ? json_string_value(json_object_get(m, "status")) ?: "?" : "none");
	json_decref(m);
	return status;
}

/* Failures: refused, or said in meta.json; never half a JSON file, never a temporary one. */
static void check_failing_writes(const char *tmp, struct ds_result *r, const struct ds_row *rows,
			   size_t nrows)
{
	char dir[4096], file[4096];
	struct ds_sample s = r->samples[0];
	struct rlimit old, lim;
	FILE *f;

	/* A sample naming a device the run does not have is refused. */
	snprintf(dir, sizeof(dir), "%s/invalid", tmp);
	CHECK_EQ(mkdir(dir, 0777), 0);
	CHECK_EQ(ds_out_begin(dir, r), 0);
	s.device = 5;
	CHECK_EQ(ds_out_sample(r, &s, 0), -EINVAL);
	CHECK_EQ(ds_out_finish(dir, r, NULL, 0, NULL, 0), 0);
	CHECK(!exists(dir, "summary.json"));

	/* A file where a folder should be. */
	snprintf(file, sizeof(file), "%s/plain", tmp);
	f = fopen(file, "w");
	CHECK(f);
	if (f)
		fclose(f);
	snprintf(dir, sizeof(dir), "%s/plain/run", tmp);
	CHECK_EQ(ds_out_begin(dir, r), -ENOTDIR);

	/*
	 * A disk that fills up half way: with RLIMIT_FSIZE below the size of
	 * samples.csv, write(2) fails with EFBIG (SIGXFSZ ignored). The run
	 * says it failed, in a meta.json that is whole.
	 */
	snprintf(dir, sizeof(dir), "%s/full", tmp);
	CHECK_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 8192;
	signal(SIGXFSZ, SIG_IGN);
	CHECK_EQ(setrlimit(RLIMIT_FSIZE, &lim), 0);
	CHECK_EQ(write_run(dir, r, rows, nrows), -EFBIG);
	CHECK_EQ(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	CHECK(!strcmp(meta_status(dir), "failed"));
	CHECK(strstr(r->error, "File too large"));
	CHECK_EQ(temp_files(dir), 0);
	r->status = DS_STATUS_COMPLETE;
	r->error[0] = '\0';
}

int main(int argc, char **argv)
{
	bool keep = argc > 1 && !strcmp(argv[1], "--keep");
	char tmp[1024], dir[2048], checks[1536];
	const char *base = getenv("TMPDIR");
	struct ds_result r, empty = {.harvests = {"reference"}, .nharvests = 1,
				     .status = DS_STATUS_COMPLETE};
	struct ds_row *rows = NULL;
	size_t nrows = 0;

	CHECK(!strcmp(ds_op_name(DS_OP_GET_BITMAP), "get_bitmap"));
	CHECK(!strcmp(ds_op_name(DS_OP_UNMAP), "unmap"));
	CHECK(!ds_op_name(DS_OP_COUNT));
	CHECK(!strcmp(ds_request_name(DS_REQ_NONE), "-"));
	CHECK(!ds_request_name(DS_REQ_COUNT));
	CHECK(!strcmp(ds_path_name(DS_PATH_SHIFT), "shift"));
	CHECK(!ds_path_name(DS_PATH_COUNT));

	build(&r);
	CHECK_EQ(ds_summarize(&r, &rows, &nrows), 0);
	check_summarize(&r, rows, nrows);
	check_table(&r, rows, nrows);

	snprintf(tmp, sizeof(tmp), "%s/ds_test_output.XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(dir, sizeof(dir), "%s/runs", tmp);
	CHECK_EQ(mkdir(dir, 0777), 0);
	snprintf(dir, sizeof(dir), "%s/runs/20250101-000000-ragged64", tmp);
	CHECK_EQ(write_run(dir, &r, rows, nrows), 0);
	CHECK(exists(dir, "meta.json"));
	CHECK(exists(dir, "samples.csv"));
	CHECK(exists(dir, "summary.json"));
	CHECK_EQ(temp_files(dir), 0);
	CHECK_EQ(entries(dir), 3);
	check_csv(dir, &r);
	check_summary(dir, &r, nrows);
	check_meta(dir);


	/* The other cases go next to runs/, and go away even with --keep. */
	snprintf(checks, sizeof(checks), "%s/checks", tmp);
	CHECK_EQ(mkdir(checks, 0777), 0);
	check_failing_writes(checks, &r, rows, nrows);

	/* Nothing at all to say is still a valid folder. */
	snprintf(dir, sizeof(dir), "%s/empty", checks);
	CHECK_EQ(write_run(dir, &empty, NULL, 0), 0);
	CHECK(exists(dir, "samples.csv"));
	CHECK(exists(dir, "meta.json")); /* with the host filled in */
	ds_result_release(&empty);

	free(rows);
	ds_result_release(&r);
	ds_result_release(&r); /* twice is harmless */

	rm_rf(checks);
	if (keep && !check_failures) {
		/* The caller removes it: everything from tmp down. */
		printf("%s/runs/20250101-000000-ragged64\n", tmp);
	} else {
		rm_rf(tmp);
	}
	CHECK_EXIT();
}
