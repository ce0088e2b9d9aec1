// SPDX-License-Identifier: MIT
/*
 * plot_cli.c - `dirtyscope plot RUN_DIR [RUN_DIR...]`: the figures (PNG
 * and SVG, through gnuplot) and report.html.
 *
 * Every output is written under a temporary name and renamed only when
 * whole and checked (a PNG signature, an SVG's closing tag), so a failed
 * or interrupted plot never leaves an empty or broken image, or a report,
 * under a good name. Bad input is refused before anything is written.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "commands.h"
#include "files.h"
#include "plot.h"
#include "say.h"

#define bad(...) ds_bad("plot", __VA_ARGS__)
#define warn(...) ds_warn("plot", __VA_ARGS__)

extern char **environ;

#define MAX_RUNS 16

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dirtyscope plot [options] RUN_DIR [RUN_DIR...]\n"
		"\n"
		"Render every figure the run folders' data can feed (harvest time vs device\n"
		"size, ratio to memcpy, the profiler's phases, the latency distribution,\n"
		"downtime vs device size, per-mapping vs merged harvests) as PNG and SVG with\n"
		"gnuplot, and a one-page self-contained report.html. Several folders (two\n"
		"kernels, two revisions) give one figure comparing them.\n"
		"\n"
		"options (default in brackets):\n"
		"  --out DIR             output folder [RUN_DIR/plots; for several runs\n"
		"                        FIRST_RUN/plots/vs-SECOND_RUN...]\n"
		"  --label L[,L...]      names of the runs in legends and captions [folder names]\n"
		"  --gnuplot PATH        the gnuplot to run [gnuplot, found in PATH]\n"
		"  --scripts DIR         gnuplot scripts and report.css to use instead of the\n"
		"                        built-in copies of plots/ [built in]\n"
		"  --no-report           figures only\n"
		"\n"
		"A RUN_DIR may be a comma-separated list of repeats of one scenario (as\n"
		"scripts/regress.sh makes): the figures show the first, the report's\n"
		"comparison of two runs pools them (see dirtyscope compare).\n"
		"\n"
		"A `dirtyscope migrate` folder is plotted alone: migrate-downtime (every\n"
		"migration's predicted against measured downtime) and migrate-rounds-M (each\n"
		"migration round by round), without a report.\n"
		"  -h, --help            show this help\n"
		"\n"
		"The data behind each figure and its script are kept in OUT/data/:\n"
		"  gnuplot -e \"datadir='OUT/data'; term='svg'; outfile='f.svg'\" OUT/data/downtime.gp\n"
		"\n"
		"Exit status: 0 done, 1 gnuplot failed on a figure, 2 bad input (a missing or\n"
		"unfinished run folder, a missing file or field, gnuplot missing).\n");
}

/* @name in PATH, or @name itself when it holds a slash; NULL when not executable. */
static char *find_program(const char *name)
{
	const char *path = getenv("PATH");
	char *copy, *save = NULL, *dir, buf[PATH_MAX];

	if (strchr(name, '/'))
		return access(name, X_OK) ? NULL : strdup(name);
	copy = strdup(path ? path : "/usr/bin:/bin");
	if (!copy)
		return NULL;
	for (dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		struct stat st;

		snprintf(buf, sizeof(buf), "%s/%s", *dir ? dir : ".", name);
		if (!stat(buf, &st) && S_ISREG(st.st_mode) && !access(buf, X_OK)) {
			free(copy);
			return strdup(buf);
		}
	}
	free(copy);
	return NULL;
}

/* snprintf into @buf, or -ENAMETOOLONG when it does not fit. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int fmt(char *buf, size_t len, const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(buf, len, f, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (!f)
		return NULL;
	for (;;) {
		if (n + 65536 + 1 > cap) {
			char *p = realloc(buf, cap = (n + 65536 + 1) * 2);

			if (!p) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = p;
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* The scripts and the style sheet: from --scripts DIR, or the built-in copies. */
static int install_assets(const char *scripts, const char *datadir, char **css)
{
	size_t i, len;
	int ret;

	*css = NULL;
	for (i = 0; i < ds_plot_nassets; i++) {
		const struct ds_asset *a = &ds_plot_assets[i];
		char path[PATH_MAX], *data = NULL;
		const void *p = a->data;

		len = a->len;
		if (scripts) {
			snprintf(path, sizeof(path), "%s/%s", scripts, a->name);
			data = slurp(path, &len);
			if (!data)
				return bad("--scripts %s: cannot read %s: %s", scripts, a->name,
					   strerror(errno));
			p = data;
		}
		if (!strcmp(a->name, "report.css")) {
			*css = strndup(p, len);
			free(data);
			if (!*css)
				return bad("out of memory");
			continue;
		}
		ret = ds_plot_write_file(datadir, a->name, p, len);
		free(data);
		if (ret)
			return bad("%s/%s: %s", datadir, a->name, strerror(-ret));
	}
	return 0;
}

/* A gnuplot single-quoted string: a quote is doubled. */
static void gp_quote(char *buf, size_t len, const char *s)
{
	size_t n = 0;

	for (; *s && n + 3 < len; s++) {
		if (*s == '\'')
			buf[n++] = '\'';
		buf[n++] = *s;
	}
	buf[n] = '\0';
}

/* What a whole output of @term looks like: a PNG's signature, an SVG's closing tag. */
static bool whole_output(const char *path, const char *term)
{
	size_t len;
	char *data = slurp(path, &len);
	bool ok = false;

	if (!data)
		return false;
	if (!strcmp(term, "png"))
		ok = len > 8 && !memcmp(data, "\x89PNG\r\n\x1a\n", 8);
	else
		ok = len > 100 && strstr(data, "<svg") && strstr(data + len - 16, "</svg>");
	free(data);
	return ok;
}

/* The first line of @path that says something, for the message. */
static void first_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	char line[512];

	snprintf(buf, len, "no message");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (strspn(line, " \t^") == strlen(line))
			continue;
		snprintf(buf, len, "%s", line + strspn(line, " \t"));
		if (strstr(line, "rror") || strstr(line, "line "))
			break;
	}
	fclose(f);
}

/* Render one figure into @outdir/NAME.@term. Returns 0, or 1 with a message printed. */
static int render_as(const char *gnuplot, const char *datadir, const char *outdir,
		     const char *name, const char *stem, const char *vars, const char *term)
{
	char out[PATH_MAX], tmp[PATH_MAX], log[PATH_MAX], script[PATH_MAX], expr[4 * PATH_MAX];
	char qd[PATH_MAX], qo[PATH_MAX], msg[400];
	char *argv[] = {(char *)gnuplot, "-e", expr, script, NULL};
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status, ret;

	gp_quote(qd, sizeof(qd), datadir);
	if (fmt(out, sizeof(out), "%s/%s.%s", outdir, stem, term) ||
	    fmt(tmp, sizeof(tmp), "%s.tmp.%ld", out, (long)getpid()) ||
	    fmt(log, sizeof(log), "%s/%s.%s.log", datadir, stem, term) ||
	    fmt(script, sizeof(script), "%s/%s.gp", datadir, name)) {
		fprintf(stderr, "dirtyscope plot: %s: path too long\n", outdir);
		return 1;
	}
	gp_quote(qo, sizeof(qo), tmp);
	if (fmt(expr, sizeof(expr), "datadir='%s'; term='%s'; outfile='%s'; %s", qd, term, qo,
		vars)) {
		fprintf(stderr, "dirtyscope plot: %s: path too long\n", outdir);
		return 1;
	}

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	ret = posix_spawn(&pid, gnuplot, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (ret) {
		fprintf(stderr, "dirtyscope plot: %s: cannot run %s: %s\n", name, gnuplot,
			strerror(ret));
		return 1;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			status = -1;
			break;
		}
	if (status != 0 || !whole_output(tmp, term)) {
		first_line(log, msg, sizeof(msg));
		fprintf(stderr, "dirtyscope plot: %s.%s: gnuplot failed (%s; the whole output is in "
				"%s)\n",
			stem, term, msg, log);
		unlink(tmp);
		return 1;
	}
	if (rename(tmp, out)) {
		fprintf(stderr, "dirtyscope plot: %s: %s\n", out, strerror(errno));
		unlink(tmp);
		return 1;
	}
	unlink(log);
	return 0;
}

static int render(const char *gnuplot, const char *datadir, const char *outdir,
		  const char *name, const char *term)
{
	return render_as(gnuplot, datadir, outdir, name, name, "", term);
}

/* The folder's last path component: the default label. */
static const char *base_name(const char *path, char *buf, size_t len)
{
	size_t n = strlen(path);
	const char *s;

	while (n > 1 && path[n - 1] == '/')
		n--;
	snprintf(buf, len, "%.*s", (int)n, path);
	s = strrchr(buf, '/');
	return s && s[1] ? s + 1 : buf;
}

/* OUTDIR/data made, the scripts installed in it: 0, or 2 with a message printed. */
static int make_datadir(const char *outdir, char *datadir, size_t len, const char *scripts,
			char **css)
{
	int ret;

	if (fmt(datadir, len, "%s/data", outdir))
		return bad("%s: path too long (see --out)", outdir);
	if ((ret = ds_mkdir_p(datadir)))
		return bad("%s: cannot make the folder: %s", datadir, strerror(-ret));
	return install_assets(scripts, datadir, css);
}

/* meta.json's "kind" of @dir: "migrate" for a `dirtyscope migrate` folder. */
static bool is_migrate(const char *dir)
{
	char path[PATH_MAX];
	json_t *meta;
	bool yes;

	if (fmt(path, sizeof(path), "%s/meta.json", dir))
		return false;
	meta = json_load_file(path, 0, NULL);
	yes = meta && json_is_string(json_object_get(meta, "kind")) &&
	      !strcmp(json_string_value(json_object_get(meta, "kind")), "migrate");
	json_decref(meta);
	return yes;
}

/*
 * The first field of every data line of @dir/@name (a migration's index),
 * into @idx (at most @cap, distinct, in order). Returns the count, or -1
 * with a message printed when the file is missing or not @header's.
 */
static long migrate_indexes(const char *dir, const char *name, const char *header, long *idx,
			    long cap)
{
	char path[PATH_MAX], line[1024];
	long n = 0, v;
	FILE *f;

	if (fmt(path, sizeof(path), "%s/%s", dir, name) || !(f = fopen(path, "r"))) {
		bad("%s/%s: %s", dir, name, strerror(errno ? errno : ENAMETOOLONG));
		return -1;
	}
	if (!fgets(line, sizeof(line), f) || strncmp(line, header, strlen(header))) {
		fclose(f);
		bad("%s: not a migrate %s (its header does not start '%s')", path, name, header);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *end;

		if (!strchr(line, '\n') && !feof(f)) {
			/* a line longer than any of ours: skip the rest of it */
			int c;

			while ((c = fgetc(f)) != EOF && c != '\n')
				;
		}
		v = strtol(line, &end, 10);
		if (end == line || *end != ',' || v < 0)
			continue;
		if ((n == 0 || idx[n - 1] != v) && n < cap)
			idx[n++] = v;
	}
	fclose(f);
	return n;
}

/*
 * A migrate folder: migrate-downtime (every migration, predicted against
 * measured) and migrate-rounds-M (each migration's rounds), PNG and SVG.
 * No report.html: the folder's summary.json is its table.
 */
static int plot_migrate(const char *dir, const char *out, const char *gnuplot_arg,
			const char *scripts)
{
	enum { MAX_MIGRATIONS = 4096 };
	static long rows[MAX_MIGRATIONS], rounds[MAX_MIGRATIONS];
	char outdir[PATH_MAX], datadir[PATH_MAX], qdir[PATH_MAX], vars[2 * PATH_MAX], stem[64];
	char path[PATH_MAX], *gnuplot = NULL, *css = NULL;
	long nrows, nrounds, i, j, drawn = 0;
	int ret = 0, t;

	nrows = migrate_indexes(dir, "migrations.csv", "migration,", rows, MAX_MIGRATIONS);
	if (nrows < 0)
		return 2;
	nrounds = migrate_indexes(dir, "rounds.csv", "migration,round,", rounds, MAX_MIGRATIONS);
	if (nrounds < 0)
		return 2;
	if (!nrows)
		return bad("%s: nothing to draw: the migrate folder holds no finished migration",
			   dir);
	gnuplot = find_program(gnuplot_arg);
	if (!gnuplot)
		return bad("gnuplot not found (%s): install it (Debian: apt-get install gnuplot-nox) "
			   "or name it with --gnuplot PATH",
			   gnuplot_arg);
	if (fmt(outdir, sizeof(outdir), "%s", out ? out : dir) ||
	    (!out && fmt(outdir, sizeof(outdir), "%s/plots", dir))) {
		ret = bad("%s: path too long (see --out)", dir);
		goto out;
	}
	if ((ret = make_datadir(outdir, datadir, sizeof(datadir), scripts, &css)))
		goto out;
	if (!realpath(dir, path)) {
		ret = bad("%s: %s", dir, strerror(errno));
		goto out;
	}
	gp_quote(qdir, sizeof(qdir), path);
	for (t = 0; t < 2 && !ret; t++) {
		static const char *const terms[] = {"png", "svg"};

		fmt(vars, sizeof(vars), "sweep='%s/migrations.csv'", qdir);
		ret = render_as(gnuplot, datadir, outdir, "migrate-downtime", "migrate-downtime",
				vars, terms[t]);
		/* a migration that failed before its first harvest has no round to draw */
		for (i = 0, j = 0; i < nrows && !ret; i++) {
			while (j < nrounds && rounds[j] < rows[i])
				j++;
			if (j == nrounds || rounds[j] != rows[i])
				continue;
			snprintf(stem, sizeof(stem), "migrate-rounds-%ld", rows[i]);
			fmt(vars, sizeof(vars), "dir='%s'; migration=%ld", qdir, rows[i]);
			ret = render_as(gnuplot, datadir, outdir, "migrate-rounds", stem, vars,
					terms[t]);
			drawn += t == 0 && !ret;
		}
	}
	if (ret)
		goto out;
	printf("%ld figure%s (PNG and SVG) in %s\n", drawn + 1, drawn ? "s" : "", outdir);
	printf("  migrate-downtime.png  predicted against measured downtime, every migration\n");
	if (drawn)
		printf("  migrate-rounds-M.png  migration M round by round (%ld of %ld)\n", drawn,
		       nrows);
out:
	free(gnuplot);
	free(css);
	return ret;
}

int cmd_plot(int argc, char **argv)
{
	enum { O_OUT = 256, O_LABEL, O_GNUPLOT, O_SCRIPTS, O_NO_REPORT };
	static const struct option longopts[] = {
		{"out", required_argument, NULL, O_OUT},
		{"label", required_argument, NULL, O_LABEL},
		{"gnuplot", required_argument, NULL, O_GNUPLOT},
		{"scripts", required_argument, NULL, O_SCRIPTS},
		{"no-report", no_argument, NULL, O_NO_REPORT},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct ds_plot_run runs[MAX_RUNS] = {{0}};
	char labels[MAX_RUNS][128], outdir[PATH_MAX], datadir[PATH_MAX], path[PATH_MAX];
	const char *out = NULL, *label_arg = NULL, *gnuplot_arg = "gnuplot", *scripts = NULL;
	bool report = true, have[DS_FIG_COUNT];
	char *gnuplot = NULL, *css = NULL, why[512];
	size_t nruns = 0, i, nfigs = 0;
	int opt, ret = 0, f;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case O_OUT:
			out = optarg;
			break;
		case O_LABEL:
			label_arg = optarg;
			break;
		case O_GNUPLOT:
			gnuplot_arg = optarg;
			break;
		case O_SCRIPTS:
			scripts = optarg;
			break;
		case O_NO_REPORT:
			report = false;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return bad("unknown option or missing value: '%s' (see dirtyscope plot --help)",
				   argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return bad("takes at least one run folder (see --help)");
	for (i = 0; i < (size_t)(argc - optind); i++)
		if (is_migrate(argv[optind + i])) {
			if (argc - optind > 1 || label_arg || !report)
				return bad("%s: a migrate folder is plotted alone (no --label, "
					   "--no-report, or other folder)",
					   argv[optind + i]);
			return plot_migrate(argv[optind], out, gnuplot_arg, scripts);
		}
	if (argc - optind > MAX_RUNS)
		return bad("at most %d run folders", MAX_RUNS);

	for (i = 0; i < (size_t)(argc - optind); i++)
		if (fmt(labels[i], sizeof(labels[i]), "%s",
			base_name(argv[optind + i], path, sizeof(path))))
			return bad("%s: name too long for a label: use --label", argv[optind + i]);
	if (label_arg) {
		char *copy = strdup(label_arg), *save = NULL, *t;
		size_t n = 0;

		for (t = strtok_r(copy, ",", &save); t && n < MAX_RUNS;
		     t = strtok_r(NULL, ",", &save))
			snprintf(labels[n++], sizeof(labels[0]), "%s", t);
		free(copy);
		if (n != (size_t)(argc - optind))
			return bad("--label names %zu runs, but there are %d run folders", n,
				   argc - optind);
	}

	/* Everything that can refuse the input comes before anything is written. */
	for (i = 0; i < (size_t)(argc - optind); i++) {
		char *list = strdup(argv[optind + i]), *save = NULL, *dir;

		if (!list) {
			ret = bad("out of memory");
			goto out;
		}
		nruns++;
		runs[i].label = labels[i];
		for (dir = strtok_r(list, ",", &save); dir; dir = strtok_r(NULL, ",", &save)) {
			struct ds_run_folder **p = realloc(runs[i].set, (runs[i].nset + 1) * sizeof(*p));

			if (!p) {
				ret = bad("out of memory");
				break;
			}
			runs[i].set = p;
			if (ds_rf_open(dir, DS_RF_SAMPLES, &p[runs[i].nset], why, sizeof(why)) < 0) {
				ret = bad("%s: %s", dir, why);
				break;
			}
			if (p[runs[i].nset]->status != DS_RF_COMPLETE)
				warn("%s: the run is %s: it holds fewer iterations than asked", dir,
				     ds_rf_status_name(p[runs[i].nset]->status));
			runs[i].nset++;
		}
		free(list);
		if (!ret && !runs[i].nset)
			ret = bad("no run folder in '%s'", argv[optind + i]);
		if (ret)
			goto out;
		runs[i].rf = runs[i].set[0];
	}
	{
		/* nothing to draw is bad input, found before any folder is made */
		bool any = false;

		for (i = 0; i < nruns && !any; i++) {
			struct ds_run_folder *rf = runs[i].rf;

			any = rf->nphases || rf->ndowntime;
			for (size_t r = 0; r < rf->nrows && !any; r++)
				any = !strcmp(rf->rows[r].stage, "steady") &&
				      (!strcmp(rf->rows[r].op, "get_bitmap") ||
				       !isnan(rf->rows[r].ratio_to_memcpy));
		}
		if (!any) {
			ret = bad("nothing to draw: no run has steady GET_BITMAP rows, profiled phases "
				  "or downtime estimates (run more than --warmup iterations)");
			goto out;
		}
	}
	gnuplot = find_program(gnuplot_arg);
	if (!gnuplot) {
		ret = bad("gnuplot not found (%s%s): install it (Debian: apt-get install gnuplot-nox) "
			  "or name it with --gnuplot PATH",
			  strchr(gnuplot_arg, '/') ? "no executable " : "not in PATH: ",
			  gnuplot_arg);
		goto out;
	}

	if (out) {
		ret = fmt(outdir, sizeof(outdir), "%s", out);
	} else if (nruns == 1) {
		ret = fmt(outdir, sizeof(outdir), "%s/plots", runs[0].rf->path);
	} else {
		ret = fmt(outdir, sizeof(outdir), "%s/plots/vs", runs[0].rf->path);
		for (i = 1; i < nruns && !ret; i++) {
			size_t used = strlen(outdir);

			ret = fmt(outdir + used, sizeof(outdir) - used, "-%s",
				  base_name(runs[i].rf->path, path, sizeof(path)));
		}
	}
	if (ret) {
		ret = bad("%s: path too long (see --out)", outdir);
		goto out;
	}
	if ((ret = make_datadir(outdir, datadir, sizeof(datadir), scripts, &css)))
		goto out;
	if ((ret = ds_plot_extract(runs, nruns, datadir, have))) {
		ret = bad("%s: writing the data files: %s", datadir, strerror(-ret));
		goto out;
	}

	for (f = 0; f < DS_FIG_COUNT; f++) {
		static const char *const terms[] = {"png", "svg"};
		int t;

		for (t = 0; t < 2; t++) {
			if (fmt(path, sizeof(path), "%s/%s.%s", outdir, ds_figs[f].name, terms[t])) {
				ret = bad("%s: path too long", outdir);
				goto out;
			}
			if (!have[f]) {
				/* a figure of an earlier plot that this data no longer feeds */
				unlink(path);
				continue;
			}
			if (render(gnuplot, datadir, outdir, ds_figs[f].name, terms[t])) {
				ret = 1;
				goto out;
			}
		}
		nfigs += have[f];
	}
	if (!nfigs) {
		ret = bad("no figure to draw: the runs have no steady GET_BITMAP rows, phases or "
			  "downtime estimates");
		goto out;
	}
	if (fmt(path, sizeof(path), "%s/report.html", outdir)) {
		ret = bad("%s: path too long", outdir);
		goto out;
	}
	if (report && (ret = ds_plot_report(path, runs, nruns, outdir, have, css))) {
		fprintf(stderr, "dirtyscope plot: %s: %s\n", path, strerror(-ret));
		ret = 1;
		goto out;
	}
	printf("%zu figure%s (PNG and SVG)%s in %s\n", nfigs, nfigs == 1 ? "" : "s",
	       report ? " and report.html" : "", outdir);
	for (f = 0; f < DS_FIG_COUNT; f++)
		if (have[f])
			printf("  %s.png  %s\n", ds_figs[f].name, ds_figs[f].caption);
	ret = 0;
out:
	for (i = 0; i < nruns; i++) {
		for (size_t j = 0; j < runs[i].nset; j++)
			ds_rf_close(runs[i].set[j]);
		free(runs[i].set);
	}
	free(gnuplot);
	free(css);
	return ret;
}
