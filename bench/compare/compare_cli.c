// SPDX-License-Identifier: MIT
/*
 * compare_cli.c - `dirtyscope compare BASE_RUN NEW_RUN`: options, the
 * checks that the runs measured the same thing, the table, the exit status
 * a CI job acts on.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "compare.h"
#include "human.h"
#include "parse.h"
#include "result.h"
#include "say.h"

#define bad(...) ds_bad("compare", __VA_ARGS__)
#define warn(...) ds_warn("compare", __VA_ARGS__)

#define MAX_RUNS 64

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dirtyscope compare [options] BASE_RUN[,BASE_RUN...] NEW_RUN[,NEW_RUN...]\n"
		"\n"
		"Compare the run folders of one scenario taken before and after a change (two\n"
		"builds, two kernels), row by row: the medians and p99s, the change of the\n"
		"median with a bootstrap confidence interval, and a verdict, faster, slower or\n"
		"same, that counts a change only when the interval lies beyond the noise\n"
		"threshold (docs/compare.md). Several folders on a side (comma-separated,\n"
		"e.g. interleaved repeats from scripts/regress.sh) are pooled, and the spread\n"
		"between them widens the interval.\n"
		"\n"
		"options (default in brackets):\n"
		"  --fail-on-regression PCT  exit 1 when a judged row is slower by more than\n"
		"                        PCT %% with confidence (the interval's low end) [off]\n"
		"  --threshold PCT       noise threshold: changes whose interval reaches inside\n"
		"                        +-PCT %% are 'same' [%g]\n"
		"  --confidence PCT      confidence of the interval [99]\n"
		"  --stage S[,S...]      stages that get a verdict, or 'all': setup, warmup,\n"
		"                        steady, churn, cycle, teardown [steady]\n"
		"  --resamples N         bootstrap resamples [2000]\n"
		"  --min-samples N       fewer samples on a side: no verdict [10]\n"
		"  --seed N              bootstrap seed: the same folders give the same verdicts [1]\n"
		"  --force               compare runs that measured different things (options,\n"
		"                        device sizes, layouts): the rows they share\n"
		"  --json FILE           also write the comparison as JSON [none]\n"
		"  --judged-only         print only the rows that got a verdict\n"
		"  -h, --help            show this help\n"
		"\n"
		"Exit status: 0 compared, 1 a regression beyond --fail-on-regression,\n"
		"2 bad input (a missing or unfinished run folder, runs that differ, bad options).\n",
		DS_CMP_THRESHOLD * 100);
}

/* A percentage option: a decimal number in [min, max]. */
static int parse_pct(const char *s, const char *name, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= min && v <= max))
		return bad("%s must be a percentage from %g to %g, not '%s'", name, min, max, s);
	*out = v;
	return 0;
}

static int parse_stages(const char *arg, unsigned int *out)
{
	char buf[256], *save = NULL, *t;
	int i;

	if (!strcmp(arg, "all")) {
		*out = (1u << DS_STAGE_COUNT) - 1;
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s", arg);
	*out = 0;
	for (t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < DS_STAGE_COUNT; i++)
			if (!strcmp(t, ds_stage_name((enum ds_stage)i)))
				break;
		if (i == DS_STAGE_COUNT)
			return bad("--stage: unknown stage '%s' (setup, warmup, steady, churn, cycle, "
				   "teardown or all)",
				   t);
		*out |= 1u << i;
	}
	if (!*out)
		return bad("--stage takes at least one stage");
	return 0;
}

/* Open the comma-separated folders of one side; on failure print one line and return 2. */
static int open_side(const char *arg, struct ds_run_folder **rf, size_t *n)
{
	char *copy = strdup(arg), *save = NULL, *t;
	char why[512];
	int ret = 0;

	if (!copy)
		return bad("out of memory");
	*n = 0;
	for (t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (*n == MAX_RUNS) {
			ret = bad("at most %d run folders on a side", MAX_RUNS);
			break;
		}
		if (ds_rf_open(t, DS_RF_SAMPLES, &rf[*n], why, sizeof(why)) < 0) {
			ret = bad("%s: %s", t, why);
			break;
		}
		if (rf[*n]->status != DS_RF_COMPLETE)
			warn("%s: the run is %s%s%s%s: it holds fewer iterations than asked", t,
			     ds_rf_status_name(rf[*n]->status),
			     rf[*n]->signal || rf[*n]->error ? " (" : "",
			     rf[*n]->signal ? rf[*n]->signal : rf[*n]->error ? rf[*n]->error : "",
			     rf[*n]->signal || rf[*n]->error ? ")" : "");
		(*n)++;
	}
	if (!ret && !*n)
		ret = bad("no run folder in '%s'", arg);
	free(copy);
	return ret;
}

static const char *pct(char *buf, size_t len, double v)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%+.1f%%", v * 100);
	return buf;
}

static const char *interval(char *buf, size_t len, const struct ds_cmp_row *r)
{
	if (isnan(r->lo))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%+.1f%% … %+.1f%%", r->lo * 100, r->hi * 100);
	return buf;
}

enum { C_HARVEST, C_SIZE, C_LAYOUT, C_OP, C_REQ, C_PATH, C_STAGE, C_N, C_BMED, C_NMED,
       C_CHANGE, C_CI, C_BP99, C_NP99, C_VERDICT, NCOL };

static void row_cells(const struct ds_cmp_row *r, char cells[NCOL][48])
{
	snprintf(cells[C_HARVEST], 48, "%s", r->harvest);
	ds_human_size(cells[C_SIZE], 48, r->device_bytes);
	snprintf(cells[C_LAYOUT], 48, "%s", r->layout);
	snprintf(cells[C_OP], 48, "%s", r->op);
	snprintf(cells[C_REQ], 48, "%s", r->request);
	snprintf(cells[C_PATH], 48, "%s", r->path);
	snprintf(cells[C_STAGE], 48, "%s", r->stage);
	snprintf(cells[C_N], 48, "%llu/%llu", (unsigned long long)r->n[0],
		 (unsigned long long)r->n[1]);
	if (r->n[0]) {
		ds_human_ns(cells[C_BMED], 48, r->median_ns[0]);
		ds_human_ns(cells[C_BP99], 48, r->p99_ns[0]);
	} else {
		strcpy(cells[C_BMED], "-");
		strcpy(cells[C_BP99], "-");
	}
	if (r->n[1]) {
		ds_human_ns(cells[C_NMED], 48, r->median_ns[1]);
		ds_human_ns(cells[C_NP99], 48, r->p99_ns[1]);
	} else {
		strcpy(cells[C_NMED], "-");
		strcpy(cells[C_NP99], "-");
	}
	pct(cells[C_CHANGE], 48, r->change);
	interval(cells[C_CI], 48, r);
	snprintf(cells[C_VERDICT], 48, "%s%s", ds_cmp_verdict_name(r->verdict),
		 r->clock_limited ? " ~" : "");
}

static void print_table(FILE *f, const struct ds_cmp *c, bool judged_only)
{
	static const char *const head[NCOL] = {
		"harvest", "device", "layout", "op", "request", "path", "stage", "n base/new",
		"median base", "new", "change", "interval", "p99 base", "new", "verdict"};
	static const bool right[NCOL] = {[C_SIZE] = true, [C_N] = true, [C_BMED] = true,
					 [C_NMED] = true, [C_CHANGE] = true, [C_CI] = true,
					 [C_BP99] = true, [C_NP99] = true};
	char cells[NCOL][48], ci[32];
	int width[NCOL], i;
	size_t r;

	snprintf(ci, sizeof(ci), "%g%% interval", c->opts.confidence * 100);
	for (i = 0; i < NCOL; i++)
		width[i] = ds_columns(i == C_CI ? ci : head[i]);
	for (r = 0; r < c->nrows; r++) {
		if (judged_only && c->rows[r].verdict > DS_CMP_SLOWER)
			continue;
		row_cells(&c->rows[r], cells);
		for (i = 0; i < NCOL; i++)
			if (ds_columns(cells[i]) > width[i])
				width[i] = ds_columns(cells[i]);
	}
	for (i = 0; i < NCOL; i++)
		ds_cell(f, i == C_CI ? ci : head[i], i == NCOL - 1 ? 0 : width[i], right[i], i == 0);
	fputc('\n', f);
	for (r = 0; r < c->nrows; r++) {
		if (judged_only && c->rows[r].verdict > DS_CMP_SLOWER)
			continue;
		row_cells(&c->rows[r], cells);
		for (i = 0; i < NCOL; i++)
			ds_cell(f, cells[i], i == NCOL - 1 ? 0 : width[i], right[i], i == 0);
		fputc('\n', f);
	}
}

static const char *side_names(char *buf, size_t len, struct ds_run_folder **rf, size_t n)
{
	size_t used = 0, i;

	buf[0] = '\0';
	for (i = 0; i < n && used < len; i++) {
		int w = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", rf[i]->path);

		if (w < 0)
			break;
		used += (size_t)w;
	}
	return buf;
}

static json_t *jnum(double v)
{
	return isnan(v) ? json_null() : json_real(v);
}

/* The comparison as JSON, written under a temporary name and renamed when whole. */
static int write_json(const char *path, const struct ds_cmp *c, struct ds_run_folder **base,
		      size_t nbase, struct ds_run_folder **nw, size_t nnew, double fail_pct)
{
	json_t *doc = json_object(), *rows = json_array(), *diffs = json_array(),
	       *host = json_array(), *b = json_array(), *n = json_array();
	char tmp[PATH_MAX];
	size_t i;
	int ret = 0;

	if (!doc || !rows || !diffs || !host || !b || !n) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < nbase; i++)
		json_array_append_new(b, json_string(base[i]->path));
	for (i = 0; i < nnew; i++)
		json_array_append_new(n, json_string(nw[i]->path));
	for (i = 0; i < c->nrows; i++) {
		const struct ds_cmp_row *r = &c->rows[i];

		json_array_append_new(
			rows,
			json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:[I,I], s:[I,I], s:[I,I], "
				  "s:o, s:o, s:o, s:o, s:b, s:s}",
				  "harvest", r->harvest, "device_bytes", (json_int_t)r->device_bytes,
				  "layout", r->layout, "op", r->op, "request", r->request, "path",
				  r->path, "stage", r->stage, "n", (json_int_t)r->n[0],
				  (json_int_t)r->n[1], "median_ns", (json_int_t)r->median_ns[0],
				  (json_int_t)r->median_ns[1], "p99_ns", (json_int_t)r->p99_ns[0],
				  (json_int_t)r->p99_ns[1], "change", jnum(r->change), "change_low",
				  jnum(r->lo), "change_high", jnum(r->hi), "p99_change",
				  jnum(r->p99_change), "clock_limited", r->clock_limited, "verdict",
				  ds_cmp_verdict_name(r->verdict)));
	}
	for (i = 0; i < c->ndiffs; i++)
		json_array_append_new(diffs, json_pack("{s:s, s:s, s:s}", "key", c->diffs[i].key,
						       "base", c->diffs[i].base, "new",
						       c->diffs[i].new_));
	for (i = 0; i < c->nhost; i++)
		json_array_append_new(host, json_pack("{s:s, s:s, s:s}", "key", c->host[i].key,
						      "base", c->host[i].base, "new",
						      c->host[i].new_));
	json_object_set_new(doc, "base", b);
	json_object_set_new(doc, "new", n);
	b = n = NULL;
	json_object_set_new(doc, "statistic",
			    json_pack("{s:s, s:f, s:f, s:i, s:i, s:I}", "method",
				      "bootstrap of the ratio of medians (runs, then samples)",
				      "confidence", c->opts.confidence, "threshold",
				      c->opts.threshold, "resamples", (int)c->opts.resamples,
				      "min_samples", (int)c->opts.min_n, "seed",
				      (json_int_t)c->opts.seed));
	json_object_set_new(doc, "rows", rows);
	json_object_set_new(doc, "differences", diffs);
	json_object_set_new(doc, "host_differences", host);
	rows = diffs = host = NULL;
	json_object_set_new(doc, "counts",
			    json_pack("{s:I, s:I, s:I, s:I}", "judged", (json_int_t)c->judged,
				      "slower", (json_int_t)c->slower, "faster",
				      (json_int_t)c->faster, "same", (json_int_t)c->same));
	json_object_set_new(doc, "regressions",
			    isnan(fail_pct) ? json_null()
					    : json_integer((json_int_t)ds_cmp_regressions(c, fail_pct)));
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp)) {
		ret = -ENAMETOOLONG;
		goto out;
	}
	if (json_dump_file(doc, tmp, JSON_INDENT(2) | JSON_ENSURE_ASCII) ||
	    rename(tmp, path)) {
		ret = errno ? -errno : -EIO;
		unlink(tmp);
	}
out:
	json_decref(doc);
	json_decref(rows);
	json_decref(diffs);
	json_decref(host);
	json_decref(b);
	json_decref(n);
	return ret;
}

int cmd_compare(int argc, char **argv)
{
	enum { O_FAIL = 256, O_THRESHOLD, O_CONFIDENCE, O_STAGE, O_RESAMPLES, O_MIN, O_SEED,
	       O_FORCE, O_JSON, O_JUDGED };
	static const struct option longopts[] = {
		{"fail-on-regression", required_argument, NULL, O_FAIL},
		{"threshold", required_argument, NULL, O_THRESHOLD},
		{"confidence", required_argument, NULL, O_CONFIDENCE},
		{"stage", required_argument, NULL, O_STAGE},
		{"resamples", required_argument, NULL, O_RESAMPLES},
		{"min-samples", required_argument, NULL, O_MIN},
		{"seed", required_argument, NULL, O_SEED},
		{"force", no_argument, NULL, O_FORCE},
		{"json", required_argument, NULL, O_JSON},
		{"judged-only", no_argument, NULL, O_JUDGED},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct ds_run_folder *base[MAX_RUNS] = {0}, *nw[MAX_RUNS] = {0};
	size_t nbase = 0, nnew = 0, i, paired = 0;
	struct ds_cmp_opts o;
	struct ds_cmp *c = NULL;
	double fail_pct = NAN, v = 0;
	const char *json = NULL;
	bool force = false, judged_only = false;
	char names[2][1024];
	uint64_t u;
	int opt, ret;

	ds_cmp_default_opts(&o);
	optind = 1;
	opterr = 0; /* our own one-line messages */
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case O_FAIL:
			if (parse_pct(optarg, "--fail-on-regression", 0, 1e6, &fail_pct))
				return 2;
			break;
		case O_THRESHOLD:
			if (parse_pct(optarg, "--threshold", 0, 1000, &v))
				return 2;
			o.threshold = v / 100;
			break;
		case O_CONFIDENCE:
			if (parse_pct(optarg, "--confidence", 50, 99.99, &v))
				return 2;
			o.confidence = v / 100;
			break;
		case O_STAGE:
			if (parse_stages(optarg, &o.stages))
				return 2;
			break;
		case O_RESAMPLES:
			if (ds_parse_u64(optarg, &u) || u < 100 || u > 1000000)
				return bad("--resamples must be a number from 100 to 1000000, not '%s'",
					   optarg);
			o.resamples = (unsigned int)u;
			break;
		case O_MIN:
			if (ds_parse_u64(optarg, &u) || u < 2 || u > 1000000)
				return bad("--min-samples must be a number from 2 to 1000000, not '%s'",
					   optarg);
			o.min_n = (unsigned int)u;
			break;
		case O_SEED:
			if (ds_parse_u64(optarg, &u))
				return bad("--seed must be a number, not '%s'", optarg);
			o.seed = u;
			break;
		case O_FORCE:
			force = true;
			break;
		case O_JSON:
			json = optarg;
			break;
		case O_JUDGED:
			judged_only = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return bad("unknown option or missing value: '%s' (see dirtyscope compare "
				   "--help)",
				   argv[optind - 1]);
		}
	}
	if (argc - optind != 2)
		return bad("takes two run folders, BASE_RUN and NEW_RUN, not %d (see --help)",
			   argc - optind);

	if ((ret = open_side(argv[optind], base, &nbase)) ||
	    (ret = open_side(argv[optind + 1], nw, &nnew)))
		goto out;

	ret = ds_cmp_run(base, nbase, nw, nnew, &o, &c);
	if (ret) {
		ret = bad("comparing: %s", strerror(-ret));
		goto out;
	}
	for (i = 0; i < c->nrows; i++)
		paired += c->rows[i].n[0] && c->rows[i].n[1];
	if (c->ndiffs) {
		char list[2048];
		size_t used = 0;

		list[0] = '\0';
		for (i = 0; i < c->ndiffs && used < sizeof(list); i++) {
			int w = snprintf(list + used, sizeof(list) - used, "%s%s (%s vs %s)",
					 i ? "; " : "", c->diffs[i].key, c->diffs[i].base,
					 c->diffs[i].new_);
			if (w < 0)
				break;
			used += (size_t)w;
		}
		if (!force) {
			ret = bad("the runs measured different things: %s; compare runs of one "
				  "scenario, or pass --force to compare the rows they share",
				  list);
			goto out;
		}
		if (!paired) {
			ret = bad("the runs have no row in common (no harvest, device, op, request, "
				  "path and stage measured in both): nothing to compare; they differ "
				  "in %s",
				  list);
			goto out;
		}
		warn("the runs measured different things (compared anyway, --force): %s", list);
	}
	if (!paired) {
		ret = bad("the runs have no row in common (no harvest, device, op, request, path "
			  "and stage measured in both): nothing to compare");
		goto out;
	}
	for (i = 0; i < c->nhost; i++)
		warn("the runs come from different hosts: %s: %s vs %s (the change mixes the "
		     "machine with what you changed)",
		     c->host[i].key, c->host[i].base, c->host[i].new_);

	printf("base: %s (%s, %s)\n", side_names(names[0], sizeof(names[0]), base, nbase),
	       base[0]->git_revision, json_string_value(json_object_get(
					       json_object_get(base[0]->meta, "host"), "kernel")));
	printf("new:  %s (%s, %s)\n", side_names(names[1], sizeof(names[1]), nw, nnew),
	       nw[0]->git_revision,
	       json_string_value(json_object_get(json_object_get(nw[0]->meta, "host"), "kernel")));
	printf("change = new median / base median - 1; interval: %g%% bootstrap of that ratio "
	       "(%u resamples, seed %llu); verdict only when the interval lies beyond +-%g%%\n\n",
	       o.confidence * 100, o.resamples, (unsigned long long)o.seed, o.threshold * 100);
	if (nbase == 1 || nnew == 1)
		printf("one run on a side: the interval holds the noise inside a run, not between "
		       "runs, which on a busy machine is larger;\nfor verdicts you can act on, "
		       "compare several interleaved runs a side (scripts/regress.sh)\n\n");
	print_table(stdout, c, judged_only);
	printf("\n%zu rows judged: %zu slower, %zu faster, %zu same", c->judged, c->slower,
	       c->faster, c->same);
	if (c->nrows > c->judged)
		printf("; %zu not judged ((stage): not a judged stage, see --stage; (workload): a "
		       "workload step; (few): under %u samples; ~: clock-limited)",
		       c->nrows - c->judged, o.min_n);
	printf("\n");
	if (fflush(stdout) || ferror(stdout)) {
		ret = bad("writing the table: %s", strerror(errno));
		goto out;
	}
	if (json && (ret = write_json(json, c, base, nbase, nw, nnew, fail_pct)) < 0) {
		ret = bad("--json %s: %s", json, strerror(-ret));
		goto out;
	}
	ret = 0;
	if (!isnan(fail_pct)) {
		size_t reg = ds_cmp_regressions(c, fail_pct);

		if (reg) {
			fprintf(stderr,
				"dirtyscope compare: regression: %zu row%s slower by more than "
				"%g%% with %g%% confidence\n",
				reg, reg == 1 ? "" : "s", fail_pct, o.confidence * 100);
			ret = 1;
		}
	}
out:
	ds_cmp_free(c);
	for (i = 0; i < nbase; i++)
		ds_rf_close(base[i]);
	for (i = 0; i < nnew; i++)
		ds_rf_close(nw[i]);
	return ret;
}
