// SPDX-License-Identifier: MIT
/*
 * report.c - report.html: one self-contained page (style inline, figures
 * as SVG data inside <img>, no script, nothing fetched) with what ran
 * where, the summary, profiler and downtime tables, the comparison when
 * there are two runs, and the figures.
 *
 * The SVGs go in as data: URIs of <img> rather than inline <svg>
 * elements: gnuplot gives every figure the same element ids, which would
 * collide in one document, and an <img> that fails to decode shows as
 * broken, which the browser test can see.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compare.h"
#include "human.h"
#include "plot.h"

static void esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

static void base64(FILE *f, const unsigned char *p, size_t n)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];

		fputc(t[v >> 18], f);
		fputc(t[(v >> 12) & 63], f);
		fputc(t[(v >> 6) & 63], f);
		fputc(t[v & 63], f);
	}
	if (n - i == 1) {
		unsigned v = (unsigned)p[i] << 16;

		fprintf(f, "%c%c==", t[v >> 18], t[(v >> 12) & 63]);
	} else if (n - i == 2) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;

		fprintf(f, "%c%c%c=", t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63]);
	}
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return NULL;
	}
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf)
		buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

static const char *ns(char *buf, size_t len, uint64_t v)
{
	return ds_human_ns(buf, len, v);
}

static void td_text(FILE *f, const char *s)
{
	fputs("<td>", f);
	esc(f, s);
	fputs("</td>", f);
}

static void td_num(FILE *f, const char *s)
{
	fputs("<td class=\"num\">", f);
	esc(f, s);
	fputs("</td>", f);
}

/* A value for people: lists joined with commas, objects as "key value" pairs. */
static void json_text(FILE *f, json_t *v)
{
	const char *key;
	json_t *e;
	size_t i;
	char *s;

	if (!v || json_is_null(v)) {
		fputs("-", f);
		return;
	}
	if (json_is_string(v)) {
		esc(f, json_string_value(v));
		return;
	}
	if (json_is_array(v)) {
		json_array_foreach(v, i, e) {
			fputs(i ? ", " : "", f);
			json_text(f, e);
		}
		return;
	}
	if (json_is_object(v)) {
		i = 0;
		json_object_foreach(v, key, e) {
			fputs(i++ ? ", " : "", f);
			esc(f, key);
			fputc(' ', f);
			json_text(f, e);
		}
		return;
	}
	s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	esc(f, s ? s : "?");
	free(s);
}

/* One meta row: a label, then the value of each run. */
static void meta_row(FILE *f, const char *label, const struct ds_plot_run *runs, size_t nruns,
		     json_t *(*get)(const struct ds_run_folder *rf, const char *key),
		     const char *key)
{
	size_t r;

	fputs("<tr><th>", f);
	esc(f, label);
	fputs("</th>", f);
	for (r = 0; r < nruns; r++) {
		fputs("<td>", f);
		json_text(f, get(runs[r].rf, key));
		fputs("</td>", f);
	}
	fputs("</tr>\n", f);
}

static json_t *get_meta(const struct ds_run_folder *rf, const char *key)
{
	return json_object_get(rf->meta, key);
}

static json_t *get_host(const struct ds_run_folder *rf, const char *key)
{
	return json_object_get(json_object_get(rf->meta, "host"), key);
}

static json_t *get_tool(const struct ds_run_folder *rf, const char *key)
{
	return json_object_get(json_object_get(rf->meta, "tool"), key);
}

static void section_runs(FILE *f, const struct ds_plot_run *runs, size_t nruns)
{
	char buf[64];
	size_t r, d;
	const char *key;
	json_t *v;

	fputs("<h2 id=\"runs\">What ran, where</h2>\n<table class=\"meta\">\n<tr><th>run</th>", f);
	for (r = 0; r < nruns; r++) {
		fputs("<th>", f);
		esc(f, runs[r].label);
		fputs("</th>", f);
	}
	fputs("</tr>\n<tr><th>folder</th>", f);
	for (r = 0; r < nruns; r++) {
		fputs("<td><code>", f);
		esc(f, runs[r].rf->path);
		fputs("</code></td>", f);
	}
	fputs("</tr>\n<tr><th>status</th>", f);
	for (r = 0; r < nruns; r++) {
		const struct ds_run_folder *rf = runs[r].rf;

		fputs(rf->status == DS_RF_COMPLETE ? "<td>" : "<td class=\"no\">", f);
		esc(f, ds_rf_status_name(rf->status));
		if (rf->signal || rf->error) {
			fputs(" (", f);
			esc(f, rf->signal ? rf->signal : rf->error);
			fputs(")", f);
		}
		fputs("</td>", f);
	}
	fputs("</tr>\n", f);
	meta_row(f, "started (UTC)", runs, nruns, get_meta, "created_utc");
	fputs("<tr><th>dirtyscope</th>", f);
	for (r = 0; r < nruns; r++) {
		fputs("<td>", f);
		json_text(f, get_tool(runs[r].rf, "version"));
		fputs(" (", f);
		json_text(f, get_tool(runs[r].rf, "git_revision"));
		fputs(")</td>", f);
	}
	fputs("</tr>\n", f);
	fputs("<tr><th>command line</th>", f);
	for (r = 0; r < nruns; r++) {
		json_t *cl = json_object_get(runs[r].rf->meta, "command_line");

		/* the writer records argv with the program's name first; say it once */
		fputs("<td><code>", f);
		if (!json_is_string(json_array_get(cl, 0)) ||
		    strcmp(json_string_value(json_array_get(cl, 0)), "dirtyscope"))
			fputs("dirtyscope ", f);
		json_array_foreach(cl, d, v) {
			fputs(d ? " " : "", f);
			esc(f, json_string_value(v));
		}
		fputs("</code></td>", f);
	}
	fputs("</tr>\n", f);
	meta_row(f, "backend", runs, nruns, get_meta, "backend");
	meta_row(f, "harvests", runs, nruns, get_meta, "harvests");
	fputs("<tr><th>devices</th>", f);
	for (r = 0; r < nruns; r++) {
		const struct ds_run_folder *rf = runs[r].rf;

		fputs("<td>", f);
		for (d = 0; d < rf->ndevices; d++) {
			fprintf(f, "%s%s ", d ? ", " : "",
				ds_human_size(buf, sizeof(buf), rf->devices[d].device_bytes));
			esc(f, rf->devices[d].layout);
			/* the group once, unless the devices differ in it */
			if (d && strcmp(rf->devices[d].group, rf->devices[0].group))
				fprintf(f, " (%s)", rf->devices[d].group);
		}
		fprintf(f, "; group %s</td>", rf->devices[0].group);
	}
	fputs("</tr>\n", f);
	fputs("<tr><th>workload</th>", f);
	for (r = 0; r < nruns; r++) {
		fputs("<td>", f);
		json_text(f, json_object_get(json_object_get(runs[r].rf->meta, "config"), "workload"));
		fputs("</td>", f);
	}
	fputs("</tr>\n", f);
	meta_row(f, "iterations", runs, nruns, get_meta, "iterations");
	meta_row(f, "CPU", runs, nruns, get_host, "cpu_model");
	meta_row(f, "cores", runs, nruns, get_host, "cores");
	fputs("<tr><th>memory</th>", f);
	for (r = 0; r < nruns; r++) {
		json_t *m = get_host(runs[r].rf, "memory_bytes");

		fprintf(f, "<td>%s</td>",
			json_is_integer(m) ? ds_human_bytes(buf, sizeof(buf),
							    (uint64_t)json_integer_value(m))
					   : "-");
	}
	fputs("</tr>\n", f);
	meta_row(f, "kernel", runs, nruns, get_host, "kernel");
	meta_row(f, "hypervisor", runs, nruns, get_host, "hypervisor");
	meta_row(f, "emulated CPU", runs, nruns, get_host, "emulated");
	meta_row(f, "NUMA nodes", runs, nruns, get_host, "numa_nodes");
	fputs("</table>\n<details><summary>every option, the clock, hugepages, placement</summary>\n"
	      "<table class=\"meta\">\n",
	      f);
	meta_row(f, "ended (UTC)", runs, nruns, get_meta, "ended_utc");
	meta_row(f, "hugepages", runs, nruns, get_host, "hugepages");
	fprintf(f, "<tr><th>clock pair (ns)</th>");
	for (r = 0; r < nruns; r++)
		fprintf(f, "<td>%llu</td>", (unsigned long long)runs[r].rf->clock_pair_ns);
	fputs("</tr>\n", f);
	meta_row(f, "placement", runs, nruns, get_meta, "placement");
	/* the options, every key any run has */
	{
		json_t *keys = json_object();

		for (r = 0; r < nruns; r++)
			json_object_foreach(json_object_get(runs[r].rf->meta, "config"), key, v)
				json_object_set(keys, key, json_true());
		json_object_foreach(keys, key, v) {
			char label[96];

			snprintf(label, sizeof(label), "--%s", key);
			for (char *p = label; *p; p++)
				if (*p == '_')
					*p = '-';
			fputs("<tr><th>", f);
			esc(f, label);
			fputs("</th>", f);
			for (r = 0; r < nruns; r++) {
				fputs("<td>", f);
				json_text(f, json_object_get(json_object_get(runs[r].rf->meta, "config"),
							     key));
				fputs("</td>", f);
			}
			fputs("</tr>\n", f);
		}
		json_decref(keys);
	}
	fputs("</table>\n</details>\n", f);
}

/* The main table: the steady tracking calls; the rest (other stages, workload steps) apart. */
static bool main_row(const struct ds_rf_row *r)
{
	return !strcmp(r->stage, "steady") && strcmp(r->op, "dirty") && strcmp(r->op, "populate");
}

static void rows_table(FILE *f, const struct ds_run_folder *rf, bool steady)
{
	char buf[6][32], ratio[32];
	size_t i, n = 0;

	for (i = 0; i < rf->nrows; i++)
		n += main_row(&rf->rows[i]) == steady;
	if (!n) {
		fputs("<p class=\"note\">No rows.</p>\n", f);
		return;
	}
	fputs("<table>\n<tr><th>harvest</th><th>device</th><th>layout</th><th>op</th>"
	      "<th>request</th><th>path</th><th>stage</th><th>n</th><th>min</th><th>median</th>"
	      "<th>p90</th><th>p99</th><th>max</th><th>bitmap</th><th>&times; memcpy</th></tr>\n",
	      f);
	for (i = 0; i < rf->nrows; i++) {
		const struct ds_rf_row *r = &rf->rows[i];

		if (main_row(r) != steady)
			continue;
		fputs("<tr>", f);
		td_text(f, r->harvest);
		td_num(f, ds_human_size(buf[0], sizeof(buf[0]), r->device_bytes));
		td_text(f, r->layout);
		td_text(f, r->op);
		td_text(f, r->request);
		td_text(f, r->path);
		td_text(f, r->stage);
		snprintf(buf[0], sizeof(buf[0]), "%llu", (unsigned long long)r->n);
		td_num(f, buf[0]);
		td_num(f, ns(buf[1], sizeof(buf[1]), r->min_ns));
		td_num(f, ns(buf[2], sizeof(buf[2]), r->median_ns));
		/* nearest rank: with few samples p90 and p99 are the max; print them anyway */
		td_num(f, ns(buf[3], sizeof(buf[3]), r->p90_ns));
		td_num(f, ns(buf[4], sizeof(buf[4]), r->p99_ns));
		td_num(f, ns(buf[5], sizeof(buf[5]), r->max_ns));
		td_num(f, r->bitmap_bytes ? ds_human_bytes(buf[0], sizeof(buf[0]), r->bitmap_bytes)
					  : "-");
		if (isnan(r->ratio_to_memcpy))
			snprintf(ratio, sizeof(ratio), "-");
		else
			snprintf(ratio, sizeof(ratio), "%.2fx", r->ratio_to_memcpy);
		td_num(f, ratio);
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void phases_table(FILE *f, const struct ds_run_folder *rf)
{
	char buf[32];
	size_t i, j;

	if (!rf->nphases)
		return;
	fputs("<table>\n<tr><th>harvest</th><th>device</th><th>layout</th><th>request</th>"
	      "<th>path</th><th>requests</th><th>walk nodes</th><th>per request</th>"
	      "<th>phases (share of the profiled time)</th></tr>\n",
	      f);
	for (i = 0; i < rf->nphases; i++) {
		const struct ds_rf_phases *p = &rf->phases[i];
		uint64_t sum = 0;

		for (j = 0; j < p->nphases; j++)
			sum += p->phases[j].total_ns;
		fputs("<tr>", f);
		td_text(f, p->harvest);
		td_num(f, ds_human_size(buf, sizeof(buf), rf->devices[p->device].device_bytes));
		td_text(f, p->layout);
		td_text(f, p->request);
		td_text(f, p->path);
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)p->requests);
		td_num(f, buf);
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)p->walk_nodes);
		td_num(f, buf);
		td_num(f, p->requests ? ns(buf, sizeof(buf), sum / p->requests) : "-");
		fputs("<td>", f);
		for (j = 0; j < p->nphases; j++) {
			fputs(j ? ", " : "", f);
			esc(f, p->phases[j].name);
			if (p->phases[j].calls && sum)
				fprintf(f, " %.1f%%", 100.0 * (double)p->phases[j].total_ns / (double)sum);
			else
				fputs(" -", f);
		}
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void downtime_table(FILE *f, const struct ds_run_folder *rf)
{
	char buf[8][32];
	size_t i;

	if (!rf->ndowntime) {
		fputs("<p class=\"note\">The run made no downtime estimate.</p>\n", f);
		return;
	}
	fprintf(f, "<p class=\"note\">Link %.3g Gbit/s, device state %s, limit %s.</p>\n",
		(double)rf->bandwidth_bytes_per_s * 8 / 1e9,
		ds_human_bytes(buf[0], sizeof(buf[0]), rf->state_bytes),
		ns(buf[1], sizeof(buf[1]), rf->limit_ns));
	fputs("<table>\n<tr><th>harvest</th><th>device</th><th>layout</th><th>query</th>"
	      "<th>calls</th><th>final harvest</th><th>dirty</th><th>transfer</th><th>state</th>"
	      "<th>downtime</th><th>QEMU's expected</th><th>tracking share</th><th>fits</th></tr>\n",
	      f);
	for (i = 0; i < rf->ndowntime; i++) {
		const struct ds_rf_downtime *e = &rf->downtime[i];

		fputs("<tr>", f);
		td_text(f, e->harvest);
		td_num(f, ds_human_size(buf[0], sizeof(buf[0]), e->device_bytes));
		td_text(f, e->layout);
		td_text(f, e->query);
		snprintf(buf[1], sizeof(buf[1]), "%llu", (unsigned long long)e->calls);
		td_num(f, buf[1]);
		td_num(f, ns(buf[2], sizeof(buf[2]), e->final_harvest_ns));
		td_num(f, ds_human_bytes(buf[3], sizeof(buf[3]), e->dirty_bytes));
		td_num(f, ns(buf[4], sizeof(buf[4]), e->transfer_ns));
		td_num(f, ns(buf[5], sizeof(buf[5]), e->state_ns));
		td_num(f, ns(buf[6], sizeof(buf[6]), e->downtime_ns));
		td_num(f, ns(buf[7], sizeof(buf[7]), e->qemu_expected_downtime_ns));
		snprintf(buf[0], sizeof(buf[0]), "%.1f%%", e->tracking_share * 100);
		td_num(f, buf[0]);
		fprintf(f, "<td%s>%s%s</td></tr>\n", e->fits ? "" : " class=\"no\"",
			e->fits ? "yes" : "no", e->all_dirty ? " (all dirty)" : "");
	}
	fputs("</table>\n", f);
}

static void section_compare(FILE *f, const struct ds_plot_run *runs)
{
	struct ds_cmp_opts o;
	struct ds_cmp *c = NULL;
	char buf[6][48];
	size_t i;

	ds_cmp_default_opts(&o);
	fputs("<h2 id=\"compare\">Comparison</h2>\n", f);
	if (ds_cmp_run(runs[0].set, runs[0].nset, runs[1].set, runs[1].nset, &o, &c)) {
		fputs("<p class=\"note\">The comparison could not be made.</p>\n", f);
		return;
	}
	if (c->ndiffs) {
		fputs("<p class=\"note\">Not compared: the runs measured different things (", f);
		for (i = 0; i < c->ndiffs; i++) {
			fputs(i ? "; " : "", f);
			esc(f, c->diffs[i].key);
		}
		fputs("). <code>dirtyscope compare --force</code> compares the rows they share.</p>\n",
		      f);
		ds_cmp_free(c);
		return;
	}
	fputs("<p class=\"note\">", f);
	esc(f, runs[1].label);
	if (runs[1].nset > 1)
		fprintf(f, " (%zu runs)", runs[1].nset);
	fputs(" against ", f);
	esc(f, runs[0].label);
	if (runs[0].nset > 1)
		fprintf(f, " (%zu runs)", runs[0].nset);
	fprintf(f, ", as <code>dirtyscope compare</code> judges them: change of the median with a "
		   "%g%% bootstrap interval; a verdict only when the interval lies beyond "
		   "&plusmn;%g%%. %s</p>\n",
		o.confidence * 100, o.threshold * 100,
		runs[0].nset == 1 || runs[1].nset == 1
			? "One run a side: the interval does not hold the noise between runs."
			: "Repeats pooled: runs, then samples, resampled.");
	fputs("<table>\n<tr><th>harvest</th><th>device</th><th>kind of call</th><th>n</th>"
	      "<th>median ",
	      f);
	esc(f, runs[0].label);
	fputs("</th><th>median ", f);
	esc(f, runs[1].label);
	fputs("</th><th>change</th><th>interval</th><th>p99 ", f);
	esc(f, runs[0].label);
	fputs("</th><th>p99 ", f);
	esc(f, runs[1].label);
	fputs("</th><th>verdict</th></tr>\n", f);
	for (i = 0; i < c->nrows; i++) {
		const struct ds_cmp_row *r = &c->rows[i];
		const char *v = ds_cmp_verdict_name(r->verdict);

		if (r->verdict > DS_CMP_SLOWER)
			continue;
		fputs("<tr>", f);
		td_text(f, r->harvest);
		td_num(f, ds_human_size(buf[0], sizeof(buf[0]), r->device_bytes));
		/* as the figures name them: the op only when it is not GET_BITMAP */
		fputs("<td>", f);
		esc(f, r->layout);
		if (strcmp(r->op, "get_bitmap")) {
			fputc(' ', f);
			esc(f, r->op);
		}
		fputc(' ', f);
		esc(f, r->request);
		fputs(" (", f);
		esc(f, r->path);
		fputs(")</td>", f);
		snprintf(buf[0], sizeof(buf[0]), "%llu/%llu", (unsigned long long)r->n[0],
			 (unsigned long long)r->n[1]);
		td_num(f, buf[0]);
		td_num(f, ns(buf[1], sizeof(buf[1]), r->median_ns[0]));
		td_num(f, ns(buf[2], sizeof(buf[2]), r->median_ns[1]));
		snprintf(buf[3], sizeof(buf[3]), "%+.1f%%", r->change * 100);
		td_num(f, buf[3]);
		snprintf(buf[4], sizeof(buf[4]), "%+.1f%% … %+.1f%%", r->lo * 100, r->hi * 100);
		td_num(f, buf[4]);
		td_num(f, ns(buf[5], sizeof(buf[5]), r->p99_ns[0]));
		td_num(f, ns(buf[0], sizeof(buf[0]), r->p99_ns[1]));
		fprintf(f, "<td class=\"%s\">%s</td></tr>\n", v, v);
	}
	fprintf(f, "</table>\n<p class=\"note\">%zu rows judged: %zu slower, %zu faster, %zu same.</p>\n",
		c->judged, c->slower, c->faster, c->same);
	ds_cmp_free(c);
}

static int section_figures(FILE *f, const char *plotdir, const bool have[DS_FIG_COUNT])
{
	char path[PATH_MAX];
	int fig, n = 0;

	fputs("<h2 id=\"figures\">Figures</h2>\n", f);
	for (fig = 0; fig < DS_FIG_COUNT; fig++) {
		size_t len;
		char *svg;

		if (!have[fig])
			continue;
		snprintf(path, sizeof(path), "%s/%s.svg", plotdir, ds_figs[fig].name);
		svg = slurp(path, &len);
		if (!svg)
			return -errno;
		n++;
		fprintf(f, "<figure id=\"%s\">\n<img alt=\"Figure %d: ", ds_figs[fig].name, n);
		esc(f, ds_figs[fig].caption);
		fputs("\" src=\"data:image/svg+xml;base64,", f);
		base64(f, (const unsigned char *)svg, len);
		fprintf(f, "\">\n<figcaption><b>Figure %d.</b> ", n);
		esc(f, ds_figs[fig].caption);
		fprintf(f, " (<code>%s.png</code>, <code>%s.svg</code>)</figcaption>\n</figure>\n",
			ds_figs[fig].name, ds_figs[fig].name);
		free(svg);
	}
	return 0;
}

int ds_plot_report(const char *path, const struct ds_plot_run *runs, size_t nruns,
		   const char *plotdir, const bool have[DS_FIG_COUNT], const char *css)
{
	char *buf = NULL, dir[PATH_MAX], *slash;
	size_t len = 0, r;
	FILE *f = open_memstream(&buf, &len);
	int ret;

	if (!f)
		return -ENOMEM;
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<title>dirtyscope report: ",
	      f);
	for (r = 0; r < nruns; r++) {
		fputs(r ? " vs " : "", f);
		esc(f, runs[r].label);
	}
	fputs("</title>\n<style>\n", f);
	fputs(css ? css : "", f);
	fputs("</style>\n</head>\n<body>\n<h1>dirtyscope report</h1>\n<p class=\"sub\">", f);
	for (r = 0; r < nruns; r++) {
		fputs(r ? " vs " : "", f);
		fputs("<b>", f);
		esc(f, runs[r].label);
		fputs("</b>", f);
	}
	fputs(": DMA dirty-page tracking (VFIO type1) timings from <code>dirtyscope run</code>; "
	      "times are medians of the steady iterations unless a column says otherwise.</p>\n"
	      "<nav><a href=\"#runs\">runs</a><a href=\"#summary\">summary</a>"
	      "<a href=\"#downtime\">downtime</a>",
	      f);
	if (nruns == 2)
		fputs("<a href=\"#compare\">comparison</a>", f);
	fputs("<a href=\"#figures\">figures</a><a href=\"#profiler\">profiler</a></nav>\n", f);

	section_runs(f, runs, nruns);
	fputs("<h2 id=\"summary\">Summary: the tracking calls of the steady iterations</h2>\n", f);
	for (r = 0; r < nruns; r++) {
		/* several runs: the comparison below has their medians side by side */
		if (nruns > 1) {
			size_t n = 0, i;

			for (i = 0; i < runs[r].rf->nrows; i++)
				n += main_row(&runs[r].rf->rows[i]);
			fputs("<details><summary>", f);
			esc(f, runs[r].label);
			fprintf(f, ": %zu rows</summary>\n", n);
		}
		rows_table(f, runs[r].rf, true);
		if (nruns > 1)
			fputs("</details>\n", f);
	}
	fputs("<h2 id=\"downtime\">Downtime estimates</h2>\n", f);
	for (r = 0; r < nruns; r++) {
		/* several runs: figure 5 overlays them; the tables are there to look up */
		if (nruns > 1) {
			fputs("<details><summary>", f);
			esc(f, runs[r].label);
			fprintf(f, ": %zu estimates</summary>\n", runs[r].rf->ndowntime);
		}
		downtime_table(f, runs[r].rf);
		if (nruns > 1)
			fputs("</details>\n", f);
	}
	if (nruns == 2)
		section_compare(f, runs);
	if ((ret = section_figures(f, plotdir, have))) {
		fclose(f);
		free(buf);
		return ret;
	}
	fputs("<h2 id=\"profiler\">Profiler and the other stages</h2>\n", f);
	for (r = 0; r < nruns; r++) {
		if (nruns > 1) {
			fputs("<h3>", f);
			esc(f, runs[r].label);
			fputs("</h3>\n", f);
		}
		if (runs[r].rf->nphases)
			phases_table(f, runs[r].rf);
		else
			fputs("<p class=\"note\">No profiled iterations.</p>\n", f);
		fputs("<details><summary>setup, warm-up, churn, cycle and teardown rows, and the "
		      "workload steps</summary>\n",
		      f);
		rows_table(f, runs[r].rf, false);
		fputs("</details>\n", f);
	}
	fputs("</body>\n</html>\n", f);
	if (fclose(f)) {
		free(buf);
		return -ENOMEM;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	ret = ds_plot_write_file(slash ? dir : ".", slash ? slash + 1 : path, buf, len);
	free(buf);
	return ret;
}
