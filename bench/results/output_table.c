// SPDX-License-Identifier: MIT
/*
 * output_table.c - the human table on stdout: the rows of summarize.c, the
 * profiler view and the downtime estimates. The files of output_files.c
 * render the same rows; only the units differ.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "human.h"
#include "output.h"

/* p99 above this many medians earns the row a high-variance mark. */
#define HIGH_VARIANCE_FACTOR 3

/* The renderings of bench/util/human.c, under this file's short names. */
#define human_ns ds_human_ns
#define human_bytes ds_human_bytes
#define columns ds_columns
#define cell ds_cell

static const char *harvest_name(const struct ds_result *r, unsigned int h)
{
	return h < r->nharvests && r->harvests[h] ? r->harvests[h] : "?";
}

static const char *layout_name(const struct ds_result *r, unsigned int d)
{
	return d < r->ndevices ? r->devices[d].layout : "?";
}

static const char *or_unknown(const char *s)
{
	return s ? s : "?";
}

/* "1 GiB" for the device column: sizes are whole powers of two, mostly. */
static const char *size_name(const struct ds_result *r, unsigned int d, char *buf, size_t len)
{
	if (d >= r->ndevices)
		return "?";
	return ds_human_bytes(buf, len, r->devices[d].device_bytes);
}

/* Widths of the name columns, shared by all tables so that they line up. */
struct widths {
	int harvest, size, layout;
};

static int max_int(int a, int b)
{
	return a > b ? a : b;
}

static void name_widths(const struct ds_result *r, const struct ds_row *rows, size_t nrows,
			struct widths *w)
{
	char buf[32];
	size_t i;

	w->harvest = columns("harvest");
	w->size = columns("size");
	w->layout = columns("layout");
	for (i = 0; i < r->nharvests; i++)
		w->harvest = max_int(w->harvest, columns(harvest_name(r, (unsigned int)i)));
	for (i = 0; i < r->ndevices; i++) {
		w->layout = max_int(w->layout, columns(layout_name(r, (unsigned int)i)));
		w->size = max_int(w->size, columns(size_name(r, (unsigned int)i, buf, sizeof(buf))));
	}
	(void)rows;
	(void)nrows;
}

/* "unmap_bitmap", "teardown", "mapping"/"aligned" are the longest names. */
enum { W_OP = 12, W_STAGE = 8, W_REQ = 7, W_PATH = 7, W_N = 7, W_TIME = 7, W_BYTES = 8, W_RATIO = 8 };

static void name_cells(FILE *f, const struct widths *w, const char *harvest, const char *size,
		       const char *layout, const char *op, const char *stage, const char *request,
		       const char *path)
{
	cell(f, harvest, w->harvest, false, true);
	cell(f, size, w->size, true, false);
	cell(f, layout, w->layout, false, false);
	cell(f, op, W_OP, false, false);
	if (stage)
		cell(f, stage, W_STAGE, false, false);
	cell(f, request, W_REQ, false, false);
	cell(f, path, W_PATH, false, false);
}

static void device_cells(FILE *f, const struct widths *w, const struct ds_result *r,
			 unsigned int harvest, unsigned int device, unsigned int op, const char *stage,
			 unsigned int request, unsigned int path)
{
	char buf[32];

	name_cells(f, w, harvest_name(r, harvest), size_name(r, device, buf, sizeof(buf)),
		   layout_name(r, device), or_unknown(ds_op_name(op)), stage,
		   or_unknown(ds_request_name(request)), or_unknown(ds_path_name(path)));
}

/* Rows this small have no percentiles worth printing (nearest rank: p99 is the max). */
#define FEW_SAMPLES 5

static bool high_variance(const struct ds_row *row)
{
	return row->stats.n >= FEW_SAMPLES && row->stats.median <= UINT64_MAX / HIGH_VARIANCE_FACTOR &&
	       row->stats.p99 > HIGH_VARIANCE_FACTOR * row->stats.median;
}

static const char *ratio_text(char *buf, size_t len, double ratio)
{
	if (ratio <= 0)
		return "-";
	if (ratio < 9.995)
		snprintf(buf, len, "%.2fx", ratio);
	else if (ratio < 99.95)
		snprintf(buf, len, "%.1fx", ratio);
	else
		snprintf(buf, len, "%.0fx", ratio);
	return buf;
}

static void print_rows(FILE *f, const struct ds_result *r, const struct ds_row *rows,
		       size_t nrows, const struct widths *w)
{
	static const char *const times[] = {"min", "median", "p90", "p99", "max"};
	char buf[32];
	size_t i, t;

	name_cells(f, w, "harvest", "size", "layout", "op", "stage", "request", "path");
	cell(f, "n", W_N, true, false);
	for (t = 0; t < 5; t++)
		cell(f, times[t], W_TIME, true, false);
	cell(f, "bitmap", W_BYTES, true, false);
	cell(f, "dirty", W_BYTES, true, false);
	cell(f, "x memcpy", W_RATIO, true, false);
	fputc('\n', f);

	for (i = 0; i < nrows; i++) {
		const struct ds_row *row = &rows[i];
		const uint64_t v[] = {row->stats.min, row->stats.median, row->stats.p90,
				      row->stats.p99, row->stats.max};

		device_cells(f, w, r, row->harvest, row->device, row->op,
			     or_unknown(ds_stage_name(row->stage)), row->request, row->path);
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)row->stats.n);
		cell(f, buf, W_N, true, false);
		for (t = 0; t < 5; t++) {
			bool shown = t == 1 || row->stats.n >= FEW_SAMPLES;

			cell(f, shown ? human_ns(buf, sizeof(buf), v[t]) : "", W_TIME, true, false);
		}
		cell(f, row->bitmap_bytes ? human_bytes(buf, sizeof(buf), row->bitmap_bytes) : "-",
		     W_BYTES, true, false);
		if (row->has_dirty)
			snprintf(buf, sizeof(buf), "%llu", (unsigned long long)row->dirty_pages);
		cell(f, row->has_dirty ? buf : "-", W_BYTES, true, false);
		cell(f, row->memcpy.n ? ratio_text(buf, sizeof(buf), row->ratio) : "-", W_RATIO, true,
		     false);
		fputs(row->clock_limited ? " ~" : "", f);
		fputs(high_variance(row) ? " !\n" : "\n", f);
	}
}

static int phase_width(const char *name)
{
	return max_int(columns(name), 6); /* "100.0%" */
}

/*
 * The profiler view: where a kind of request spends its time, as shares of
 * the timed phases, the mapping-tree nodes walked and the mean of all of
 * them per request. Each harvest names its own phases: a header per
 * harvest.
 */
static void print_phases(FILE *f, const struct ds_result *r, const struct widths *w)
{
	char buf[32];
	size_t h, i;
	unsigned int p;

	fprintf(f, "\nharvest phases: share of the profiled time, nodes walked and time per request\n");
	for (h = 0; h < r->nharvests; h++) {
		const struct dt_profile *names = NULL;

		for (i = 0; i < r->nphases && !names; i++)
			if (r->phases[i].harvest == h)
				names = &r->phases[i].profile;
		if (!names)
			continue;
		name_cells(f, w, "harvest", "size", "layout", "op", NULL, "request", "path");
		cell(f, "requests", 8, true, false);
		for (p = 0; p < names->nphases; p++)
			cell(f, names->names[p], phase_width(names->names[p]), true, false);
		cell(f, "nodes", 7, true, false);
		cell(f, "per request", 11, true, false);
		fputc('\n', f);

		for (i = 0; i < r->nphases; i++) {
			const struct ds_phase_total *t = &r->phases[i];
			uint64_t total = 0;

			if (t->harvest != h)
				continue;
			for (p = 0; p < t->profile.nphases; p++)
				total += t->profile.ns[p];
			device_cells(f, w, r, t->harvest, t->device, t->op, NULL, t->request, t->path);
			snprintf(buf, sizeof(buf), "%llu", (unsigned long long)t->requests);
			cell(f, buf, 8, true, false);
			for (p = 0; p < names->nphases; p++) {
				/* A phase that never ran is not a phase that took no time. */
				if (p >= t->profile.nphases || !t->profile.calls[p] || !total)
					snprintf(buf, sizeof(buf), "-");
				else
					snprintf(buf, sizeof(buf), "%.1f%%",
						 100.0 * (double)t->profile.ns[p] / (double)total);
				cell(f, buf, phase_width(names->names[p]), true, false);
			}
			if (t->requests)
				snprintf(buf, sizeof(buf), "%llu",
					 (unsigned long long)(t->profile.walk_nodes / t->requests));
			cell(f, t->requests ? buf : "-", 7, true, false);
			cell(f, t->requests ? human_ns(buf, sizeof(buf), total / t->requests) : "-", 11,
			     true, false);
			fputc('\n', f);
		}
	}
}

static void print_downtime(FILE *f, const struct ds_result *r, const struct ds_downtime *dt,
			   size_t ndt, const struct widths *w)
{
	const struct ds_downtime_params *p = &r->downtime;
	char buf[32];
	size_t i;
	bool all = false, amp = false;

	char state[32], limit[32];

	/* A workload that counted what it wrote: the amplification columns. */
	for (i = 0; i < ndt; i++)
		amp |= dt[i].has_written;

	fprintf(f, "\ndowntime at switchover: link %.3g Gbit/s (%.3g GB/s), device state %s, limit %s\n",
		(double)p->bandwidth_bytes_per_s * 8 / 1e9, (double)p->bandwidth_bytes_per_s / 1e9,
		human_bytes(state, sizeof(state), p->state_bytes),
		human_ns(limit, sizeof(limit), p->limit_ns));
	name_cells(f, w, "harvest", "size", "layout", "query", NULL, "calls", "");
	cell(f, "harvest", W_TIME, true, false);
	cell(f, "dirty", 9, true, false);
	cell(f, "transfer", W_TIME, true, false);
	cell(f, "state", W_TIME, true, false);
	cell(f, "downtime", 8, true, false);
	cell(f, "qemu est", 8, true, false);
	cell(f, "tracking", 8, true, false);
	cell(f, "fits", 4, false, false);
	if (amp) {
		cell(f, "written", 9, true, false);
		cell(f, "amplif.", 8, true, false);
	}
	fputc('\n', f);
	for (i = 0; i < ndt; i++) {
		const struct ds_downtime *d = &dt[i];
		char size[32], calls[24];

		snprintf(calls, sizeof(calls), "%llu", (unsigned long long)d->calls);
		name_cells(f, w, harvest_name(r, d->harvest),
			   size_name(r, d->device, size, sizeof(size)), layout_name(r, d->device),
			   d->query == DS_REQ_MERGED ? "merged" : "per mapping", NULL, calls, "");
		cell(f, human_ns(buf, sizeof(buf), d->final_harvest_ns), W_TIME, true, false);
		human_bytes(buf, sizeof(buf), d->dirty_bytes);
		if (d->all_dirty)
			strcat(buf, "*");
		cell(f, buf, 9, true, false);
		cell(f, human_ns(buf, sizeof(buf), d->transfer_ns), W_TIME, true, false);
		cell(f, human_ns(buf, sizeof(buf), d->state_ns), W_TIME, true, false);
		cell(f, human_ns(buf, sizeof(buf), d->downtime_ns), 8, true, false);
		cell(f, human_ns(buf, sizeof(buf), d->qemu_expected_downtime_ns), 8, true, false);
		snprintf(buf, sizeof(buf), "%.1f%%", 100.0 * d->tracking_share);
		cell(f, buf, 8, true, false);
		cell(f, d->fits ? "yes" : "NO", 4, false, false);
		if (amp) {
			cell(f, d->has_written ? human_bytes(buf, sizeof(buf), d->written_pages * p->pgsize)
					       : "-",
			     9, true, false);
			if (d->has_written)
				snprintf(buf, sizeof(buf), "%.1fx", d->amplification);
			cell(f, d->has_written ? buf : "-", 8, true, false);
		}
		fputc('\n', f);
		all |= d->all_dirty;
	}
	fprintf(f, "(harvest: the median time of the final harvest asked that way; dirty: what one "
		   "harvest interval dirtied; qemu est: QEMU's expected_downtime, dirty / bandwidth; "
		   "tracking: the harvest's share of the downtime)\n");
	if (amp)
		fprintf(f, "(written: the distinct 4 KiB pages the device wrote in that interval; "
			   "amplif.: dirty pages reported / pages written, the dirty amplification: "
			   "a write dirties its whole IO page (hw) or tracking page (dmalog), and type1 "
			   "reports every page)\n");
	if (all)
		fprintf(f, "* every page reported dirty: type1 with an IOMMU-backed device and no "
			   "pinned-page scope cannot tell what the device wrote, so the whole device "
			   "crosses the link\n");
}

void ds_print_table(FILE *f, const struct ds_result *r, const struct ds_row *rows, size_t nrows,
		    const struct ds_downtime *dt, size_t ndt)
{
	struct widths w;
	size_t i, noisy = 0, clocky = 0;

	name_widths(r, rows, nrows, &w);
	print_rows(f, r, rows, nrows, &w);
	if (r->nphases)
		print_phases(f, r, &w);
	if (ndt)
		print_downtime(f, r, dt, ndt, &w);
	for (i = 0; i < nrows; i++) {
		noisy += high_variance(&rows[i]);
		clocky += rows[i].clock_limited;
	}
	if (noisy)
		fprintf(f,
			"\n! %zu row%s with p99 above %dx the median: high variance: close other "
			"programs or pin the CPU with taskset\n",
			noisy, noisy == 1 ? "" : "s", HIGH_VARIANCE_FACTOR);
	if (clocky)
		fprintf(f,
			"~ %zu row%s with a median under %d clock reads (a pair costs %llu ns here): "
			"mostly the clock's own time\n",
			clocky, clocky == 1 ? "" : "s", DS_CLOCK_LIMITED_FACTOR,
			(unsigned long long)r->clock_pair_ns);
}
