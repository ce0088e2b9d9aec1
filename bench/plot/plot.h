/* SPDX-License-Identifier: MIT */
/*
 * plot.h - the figures of `dirtyscope plot`: the small data files the
 * gnuplot scripts of plots/ read (extracted from run folders, never from
 * the stdout table), the scripts themselves, and the HTML report.
 *
 * Library-like: nothing here prints; functions return 0 or -errno.
 */
#ifndef DS_PLOT_H
#define DS_PLOT_H

#include <stdbool.h>
#include <stddef.h>

#include "reader.h"

enum ds_fig {
	DS_FIG_HARVEST_SIZE, /* GET_BITMAP time vs device size, with the memcpy floor */
	DS_FIG_RATIO,	     /* ratio to memcpy per row */
	DS_FIG_PHASES,	     /* the profiler view: phase shares per path */
	DS_FIG_CDF,	     /* GET_BITMAP latency distribution */
	DS_FIG_DOWNTIME,     /* downtime vs device size per bandwidth */
	DS_FIG_VIOMMU,	     /* per-mapping vs merged harvest of a whole device */
	DS_FIG_COUNT
};

struct ds_fig_info {
	const char *name;    /* file stem: "harvest_vs_size" (.gp, .dat, .png, .svg) */
	const char *caption; /* one sentence for the report */
};

extern const struct ds_fig_info ds_figs[DS_FIG_COUNT];

/*
 * One run folder and the name the legends give it. A run may stand for
 * repeats of one scenario (RUN_DIR,RUN_DIR,... on the command line): the
 * figures show the first, the report's comparison pools them all.
 */
struct ds_plot_run {
	struct ds_run_folder *rf; /* opened with DS_RF_SAMPLES; set[0] */
	const char *label;
	struct ds_run_folder **set; /* the repeats, rf first */
	size_t nset;
};

/*
 * Write into @datadir (which must exist) the data files of every figure
 * the runs can feed, each under a temporary name renamed when whole, and
 * set @have[fig]. A figure without data gets no files. Returns 0 or -errno.
 */
int ds_plot_extract(const struct ds_plot_run *runs, size_t nruns, const char *datadir,
		    bool have[DS_FIG_COUNT]);

/* The caption of every figure: machine, backend, harvests, layouts, workload, revision. */
int ds_plot_caption(const struct ds_plot_run *runs, size_t nruns, char *buf, size_t len,
		    int *lines);

/* Built-in copies of plots/ (common.gp, one script per figure, report.css). */
struct ds_asset {
	const char *name;
	const unsigned char *data;
	size_t len;
};
extern const struct ds_asset ds_plot_assets[];
extern const size_t ds_plot_nassets;

/*
 * Write the report: @path (written as @path.tmp.PID, then renamed),
 * self-contained: the figures' SVGs from @plotdir inlined, the runs' meta
 * data, summary, profiler and downtime tables, and, for two runs, the
 * comparison of compare. @css is the style sheet to inline. Returns 0 or
 * -errno.
 */
int ds_plot_report(const char *path, const struct ds_plot_run *runs, size_t nruns,
		   const char *plotdir, const bool have[DS_FIG_COUNT], const char *css);

/* Write @len bytes to @dir/@name through a temporary name and a rename. */
int ds_plot_write_file(const char *dir, const char *name, const void *data, size_t len);

#endif
