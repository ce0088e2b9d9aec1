// SPDX-License-Identifier: MIT
/*
 * plan_output.c - the plan rendered twice from one result: a table for
 * people on stdout, and plan.json (results/plan.md, results/schema/
 * plan.schema.json) for tools.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "files.h"
#include "plan_command.h"
#include "units.h"
#include "version.h"

#define PLAN_SCHEMA_VERSION 1

/* ---- the table ---- */

/* Terminal columns of a UTF-8 string: "µ" is two bytes but one column. */
static int columns(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static void cell(FILE *f, const char *s, int width, bool left)
{
	int pad = width - columns(s);

	if (pad < 0)
		pad = 0;
	if (left)
		fprintf(f, "%s%*s", s, pad, "");
	else
		fprintf(f, "%*s%s", pad, "", s);
}

static const char *converged_word(const struct ds_plan_size *s)
{
	switch (s->stop) {
	case DS_STOP_LIMIT_MET:
		return "yes";
	case DS_STOP_MAX_ROUNDS:
		return "no: max rounds";
	case DS_STOP_NOT_SHRINKING:
		return "no: not shrinking";
	}
	return "?";
}

static const char *source_word(enum ds_harvest_source s)
{
	return s == DS_SRC_EXTRAPOLATED ? "extrap." : ds_harvest_source_name(s);
}

static void print_cost(FILE *f, const struct ds_plan_cost *cost)
{
	static const char *const per[] = {"per call", "per bitmap byte", "per node walked",
					  "per pinned page"};
	char b[24];
	int t;

	fprintf(f, "harvest cost:");
	for (t = 0; t < DS_TERM_COUNT; t++)
		fprintf(f, "%s %s %s", t ? " +" : "", ds_format_ns(b, sizeof(b),
								    cost->model.term_ns[t]),
			per[t]);
	fputc('\n', f);
	if (!cost->from_run) {
		fprintf(f, "  (%s)\n", cost->fit.fixed[0] || cost->fit.fixed[1] ||
						       cost->fit.fixed[2] || cost->fit.fixed[3]
					       ? "terms given by hand; the others built in"
					       : "built-in terms, measured on the project's build machine");
		return;
	}
	fprintf(f, "  fitted to %zu harvests (%s) of", cost->fit.npoints, cost->harvest);
	for (t = 0; (size_t)t < cost->nruns; t++)
		fprintf(f, " %s", cost->runs[t]);
	fprintf(f, ": error on them median %.1f%%, max %.1f%%\n",
		100 * cost->fit.median_rel_error, 100 * cost->fit.max_rel_error);
	for (t = 0; t < DS_TERM_COUNT; t++) {
		if (cost->fit.fixed[t])
			fprintf(f, "  %s: given by hand\n", ds_cost_term_name(t));
		else if (!cost->fit.determined[t])
			fprintf(f, "  %s: not determined by the run (its amount is %s): 0; "
				   "--cost-%s sets it\n",
				ds_cost_term_name(t), cost->fit.why[t] ? cost->fit.why[t] : "?",
				ds_cost_term_name(t));
	}
	if (cost->note[0])
		fprintf(f, "  %s\n", cost->note);
}

void ds_plan_print(FILE *f, const struct ds_plan_opts *o, const struct ds_plan_cost *cost,
		   const struct ds_plan_size *sizes, size_t n)
{
	static const char *const head[] = {"device", "rounds", "converged", "dirty",
					   "final harvest", "from", "transfer", "state",
					   "downtime", "QEMU says", "fits"};
	enum { NCOL = 11 };
	static const bool left[NCOL] = {false, false, true, false, false, true,
					false, false, false, false, true};
	char cells[DS_PLAN_MAX_SIZES][NCOL][32], b[24];
	int width[NCOL], c;
	bool extrap = false, forced = false;
	ptrdiff_t best;
	size_t i;

	fprintf(f, "bandwidth %s, dirty rate %s, working set %s, pinned %s, state %s\n",
		o->bandwidth_arg, o->dirty_rate_arg,
		o->working_set_arg ? o->working_set_arg : "the whole device", o->pinned_arg,
		o->state_arg);
	fprintf(f, "downtime limit %s, at most %llu rounds, tracking %s, %s queries over %llu "
		   "mapping%s, %s pages\n",
		o->limit_arg, (unsigned long long)o->max_rounds, ds_plan_tracking_name(o->tracking),
		ds_plan_queries_name(o->queries), (unsigned long long)o->mappings,
		o->mappings == 1 ? "" : "s", ds_format_bytes(b, sizeof(b), (double)o->page_bytes));
	if (o->tracking == DS_TRACK_HW) {
		char io[24];

		ds_format_bytes(io, sizeof(io),
				(double)(o->io_page_bytes ? o->io_page_bytes : o->page_bytes));
		if (o->amplification > 0)
			fprintf(f, "IO pages %s, dirty amplification %g (measured)\n", io,
				o->amplification);
		else
			fprintf(f, "IO pages %s, %s writes: each dirties its whole IO page\n", io,
				o->writes == DS_WRITES_SEQUENTIAL ? "sequential" : "random");
	}
	print_cost(f, cost);
	fputc('\n', f);

	for (i = 0; i < n && i < DS_PLAN_MAX_SIZES; i++) {
		const struct ds_plan_size *s = &sizes[i];

		ds_format_bytes(cells[i][0], 32, (double)s->device_bytes);
		snprintf(cells[i][1], 32, "%llu", (unsigned long long)s->rounds);
		snprintf(cells[i][2], 32, "%s", converged_word(s));
		ds_format_bytes(cells[i][3], 32, (double)s->dirty_bytes);
		ds_format_ns(cells[i][4], 32, (double)s->final_harvest_ns);
		snprintf(cells[i][5], 32, "%s", source_word(s->harvest_source));
		ds_format_ns(cells[i][6], 32, (double)s->transfer_ns);
		ds_format_ns(cells[i][7], 32, (double)s->state_ns);
		ds_format_ns(cells[i][8], 32, (double)s->downtime_ns);
		ds_format_ns(cells[i][9], 32, (double)s->qemu_expected_downtime_ns);
		snprintf(cells[i][10], 32, "%s", s->fits ? "yes" : "no");
		extrap |= s->harvest_source == DS_SRC_EXTRAPOLATED;
		forced |= !s->converged;
	}
	for (c = 0; c < NCOL; c++) {
		width[c] = columns(head[c]);
		for (i = 0; i < n && i < DS_PLAN_MAX_SIZES; i++)
			if (columns(cells[i][c]) > width[c])
				width[c] = columns(cells[i][c]);
	}
	for (c = 0; c < NCOL; c++) {
		if (c)
			fputs("  ", f);
		cell(f, head[c], c == NCOL - 1 ? 0 : width[c], left[c]);
	}
	fputc('\n', f);
	for (i = 0; i < n && i < DS_PLAN_MAX_SIZES; i++) {
		for (c = 0; c < NCOL; c++) {
			if (c)
				fputs("  ", f);
			cell(f, cells[i][c], c == NCOL - 1 ? 0 : width[c], left[c]);
		}
		fputc('\n', f);
	}

	fputc('\n', f);
	best = ds_plan_largest_fit(sizes, n);
	if (best < 0)
		fprintf(f, "no device size meets the %s limit\n", o->limit_arg);
	else
		fprintf(f, "largest device size that meets the %s limit: %s\n", o->limit_arg,
			ds_format_bytes(b, sizeof(b), (double)sizes[best].device_bytes));
	if (forced)
		fprintf(f, "not converged: the downtime is that of a forced switchover; QEMU would "
			   "keep iterating (or throttle the guest)\n");
	if (extrap)
		fprintf(f, "extrap.: the harvest is the fitted model beyond the sizes or mappings "
			   "the run measured\n");
}

/* ---- plan.json ---- */

static void jset(json_t *o, const char *key, json_t *v, int *err)
{
	if (!v || json_object_set_new(o, key, v))
		*err = -ENOMEM;
}

static json_t *jint(uint64_t v)
{
	return json_integer((json_int_t)v);
}

static json_t *sizes_json(const struct ds_plan_size *sizes, size_t n, int *err)
{
	json_t *arr = json_array(), *s;
	size_t i;

	if (!arr) {
		*err = -ENOMEM;
		return NULL;
	}
	for (i = 0; i < n; i++) {
		const struct ds_plan_size *p = &sizes[i];

		s = json_object();
		if (!s || json_array_append_new(arr, s)) {
			*err = -ENOMEM;
			break;
		}
		jset(s, "device_bytes", jint(p->device_bytes), err);
		jset(s, "rounds", jint(p->rounds), err);
		jset(s, "converged", json_boolean(p->converged), err);
		jset(s, "stop", json_string(ds_plan_stop_name(p->stop)), err);
		jset(s, "dirty_bytes", jint(p->dirty_bytes), err);
		jset(s, "final_harvest_ns", jint(p->final_harvest_ns), err);
		jset(s, "harvest_source", json_string(ds_harvest_source_name(p->harvest_source)),
		     err);
		jset(s, "transfer_ns", jint(p->transfer_ns), err);
		jset(s, "state_ns", jint(p->state_ns), err);
		jset(s, "downtime_ns", jint(p->downtime_ns), err);
		jset(s, "qemu_expected_downtime_ns", jint(p->qemu_expected_downtime_ns), err);
		jset(s, "precopy_ns", jint(p->precopy_ns), err);
		jset(s, "fits", json_boolean(p->fits), err);
	}
	return arr;
}

static json_t *cost_json(const struct ds_plan_cost *cost, int *err)
{
	static const char *const keys[] = {"call_ns", "byte_ns", "walk_ns", "pinned_ns"};
	json_t *o = json_object(), *terms = json_object(), *given = json_array(), *fit, *det, *runs;
	int t;

	if (!o || !terms || !given) {
		json_decref(o);
		json_decref(terms);
		json_decref(given);
		*err = -ENOMEM;
		return NULL;
	}
	jset(o, "source", json_string(cost->from_run ? "fit" : "terms"), err);
	runs = json_array();
	for (t = 0; runs && (size_t)t < cost->nruns; t++)
		if (json_array_append_new(runs, json_string(cost->runs[t])))
			*err = -ENOMEM;
	jset(o, "runs", runs, err);
	jset(o, "harvest", cost->from_run ? json_string(cost->harvest) : json_null(), err);
	for (t = 0; t < DS_TERM_COUNT; t++) {
		jset(terms, keys[t], json_real(cost->model.term_ns[t]), err);
		if (cost->fit.fixed[t] && json_array_append_new(given,
							       json_string(ds_cost_term_name(t))))
			*err = -ENOMEM;
	}
	jset(o, "terms", terms, err);
	jset(o, "given", given, err);
	if (!cost->from_run) {
		jset(o, "fit", json_null(), err);
		return o;
	}
	fit = json_object();
	det = json_array();
	if (!fit || !det) {
		json_decref(fit);
		json_decref(det);
		*err = -ENOMEM;
		return o;
	}
	jset(fit, "points", jint(cost->fit.npoints), err);
	for (t = 0; t < DS_TERM_COUNT; t++)
		if (cost->fit.determined[t] &&
		    json_array_append_new(det, json_string(ds_cost_term_name(t))))
			*err = -ENOMEM;
	jset(fit, "determined", det, err);
	jset(fit, "median_rel_error", json_real(cost->fit.median_rel_error), err);
	jset(fit, "max_rel_error", json_real(cost->fit.max_rel_error), err);
	jset(o, "fit", fit, err);
	return o;
}

static json_t *plan_json(const struct ds_plan_opts *o, const struct ds_plan_cost *cost,
			 const struct ds_plan_size *sizes, size_t n, int *err)
{
	json_t *root = json_object(), *tool = json_object(), *in = json_object();
	json_t *argv = json_array();
	ptrdiff_t best = ds_plan_largest_fit(sizes, n);
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	int i;

	if (!root || !tool || !in || !argv) {
		json_decref(root);
		json_decref(tool);
		json_decref(in);
		json_decref(argv);
		*err = -ENOMEM;
		return NULL;
	}
	jset(root, "schema_version", jint(PLAN_SCHEMA_VERSION), err);
	jset(tool, "name", json_string("dirtyscope"), err);
	jset(tool, "version", json_string(DS_VERSION), err);
	jset(tool, "git_revision", json_string(DS_GIT_REVISION), err);
	jset(root, "tool", tool, err);
	if (gmtime_r(&now, &tm) && strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm))
		jset(root, "created_utc", json_string(stamp), err);
	else
		jset(root, "created_utc", json_null(), err);
	for (i = 0; i < o->argc; i++)
		if (json_array_append_new(argv, json_string(o->argv[i])))
			*err = -ENOMEM;
	jset(root, "command_line", argv, err);

	jset(in, "page_bytes", jint(o->page_bytes), err);
	jset(in, "bandwidth_bytes_per_s", jint(o->bandwidth), err);
	jset(in, "dirty_rate_bytes_per_s", jint(o->dirty_rate), err);
	jset(in, "working_set_bytes", o->working_set ? jint(o->working_set) : json_null(), err);
	jset(in, "pinned_bytes", jint(o->pinned), err);
	jset(in, "state_bytes", jint(o->state), err);
	jset(in, "limit_ns", jint(o->limit_ns), err);
	jset(in, "max_rounds", jint(o->max_rounds), err);
	jset(in, "tracking", json_string(ds_plan_tracking_name(o->tracking)), err);
	jset(in, "queries", json_string(ds_plan_queries_name(o->queries)), err);
	jset(in, "mappings", jint(o->mappings), err);
	if (o->tracking == DS_TRACK_HW) {
		jset(in, "io_page_bytes", jint(o->io_page_bytes ? o->io_page_bytes : o->page_bytes),
		     err);
		jset(in, "write_pattern",
		     json_string(o->writes == DS_WRITES_SEQUENTIAL ? "sequential" : "random"), err);
		jset(in, "amplification",
		     o->amplification > 0 ? json_real(o->amplification) : json_null(), err);
	}
	jset(root, "inputs", in, err);
	jset(root, "cost", cost_json(cost, err), err);
	jset(root, "sizes", sizes_json(sizes, n, err), err);
	jset(root, "max_device_bytes", best < 0 ? json_null() : jint(sizes[best].device_bytes),
	     err);
	if (*err) {
		json_decref(root);
		return NULL;
	}
	return root;
}

static int fill_text(FILE *f, const void *ctx)
{
	return fputs(ctx, f) == EOF || fputc('\n', f) == EOF ? -EIO : 0;
}

int ds_plan_write_json(const char *dir, const struct ds_plan_opts *o,
		       const struct ds_plan_cost *cost, const struct ds_plan_size *sizes, size_t n)
{
	char *text;
	int err = 0, ret;
	json_t *root;

	root = plan_json(o, cost, sizes, n, &err);
	if (!root)
		return err ? err : -ENOMEM;
	/* Cost terms are fractions of a nanosecond: 6 significant digits are plenty. */
	text = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
	json_decref(root);
	if (!text)
		return -ENOMEM;
	ret = ds_mkdir_p(dir);
	if (!ret)
		ret = ds_write_whole(dir, "plan.json", 0, fill_text, text);
	free(text);
	return ret;
}
