// SPDX-License-Identifier: MIT
/*
 * plot_data.c - the data files behind the figures: for each figure NAME,
 * NAME.dat (blocks of numbers gnuplot reads with `index`) and NAME.vars.gp
 * (the series' titles, colours and dash types, the axis ranges and the
 * caption, as gnuplot variables). Everything comes from the run folders'
 * JSON and CSV through the reader; nothing from the stdout table.
 *
 * Colours follow what is measured (the same harvest/layout/request in
 * two runs has one colour), dash types follow the run, so a comparison
 * of two kernels reads as pairs of solid and dashed lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "human.h"
#include "files.h"
#include "plot.h"
#include "result.h"

const struct ds_fig_info ds_figs[DS_FIG_COUNT] = {
	[DS_FIG_HARVEST_SIZE] = {"harvest_vs_size",
				 "GET_BITMAP time per call against device size, per harvest, "
				 "layout, request kind and path, with the memcpy floor of the same "
				 "bitmap bytes."},
	[DS_FIG_RATIO] = {"ratio_to_memcpy",
			  "How many times a memcpy of the same bitmap bytes each harvest call "
			  "costs (1 = the floor)."},
	[DS_FIG_PHASES] = {"phases",
			   "The profiler view: the share of each phase of the harvest, per "
			   "request kind and path, from the profiled iterations."},
	[DS_FIG_CDF] = {"latency_cdf",
			"Distribution of GET_BITMAP latency over the steady iterations "
			"(cumulative, log time axis)."},
	[DS_FIG_DOWNTIME] = {"downtime",
			     "Stop-and-copy downtime against device size for several link "
			     "bandwidths, the limit, and the part that is dirty tracking."},
	[DS_FIG_VIOMMU] = {"viommu",
			   "Harvesting a whole device with one GET_BITMAP per mapping (what "
			   "QEMU does behind a vIOMMU) or with one merged request."},
};

/* --- files ---------------------------------------------------------------- */

struct bytes {
	const void *data;
	size_t len;
};

static int fill_bytes(FILE *f, const void *ctx)
{
	const struct bytes *b = ctx;

	return b->len && fwrite(b->data, b->len, 1, f) != 1 ? -EIO : 0;
}

int ds_plot_write_file(const char *dir, const char *name, const void *data, size_t len)
{
	struct bytes b = {data, len};

	return ds_write_whole(dir, name, 0, fill_bytes, &b);
}

/* A file built in memory, then written whole. */
struct sink {
	FILE *f;
	char *buf;
	size_t len;
};

static int sink_open(struct sink *s)
{
	s->buf = NULL;
	s->len = 0;
	s->f = open_memstream(&s->buf, &s->len);
	return s->f ? 0 : -ENOMEM;
}

static int sink_close(struct sink *s, const char *dir, const char *stem, const char *ext)
{
	char name[256];
	int ret;

	if (fclose(s->f)) {
		free(s->buf);
		return -ENOMEM;
	}
	snprintf(name, sizeof(name), "%s%s", stem, ext);
	ret = ds_plot_write_file(dir, name, s->buf, s->len);
	free(s->buf);
	return ret;
}

/* A gnuplot string literal: double quotes, with what would end or escape it replaced. */
static void gp_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\'', f);
		else if (*s == '\n')
			fputs("\\n", f);
		else if ((unsigned char)*s < 0x20)
			fputc(' ', f);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

/* --- series ---------------------------------------------------------------- */

/*
 * A list of distinct names (what gets a colour, or a y position): small,
 * so a linear search is fine.
 */
struct names {
	char **v;
	size_t n;
};

static int names_index(struct names *ns, const char *s)
{
	size_t i;
	char **p;

	for (i = 0; i < ns->n; i++)
		if (!strcmp(ns->v[i], s))
			return (int)i;
	p = realloc(ns->v, (ns->n + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	ns->v = p;
	ns->v[ns->n] = strdup(s);
	if (!ns->v[ns->n])
		return -ENOMEM;
	return (int)ns->n++;
}

static void names_free(struct names *ns)
{
	size_t i;

	for (i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
	ns->v = NULL;
	ns->n = 0;
}

/* A point of a series. */
struct pt {
	double x, y, z;
};

struct series {
	char title[160];
	int key, run;
	int color; /* 1-based index into common.gp's palette */
	int dash;  /* gnuplot dash type, 1-based */
	struct pt *p;
	size_t n;
};

struct plot {
	struct series *s;
	size_t n;
	struct names keys; /* series keys across runs, for colours */
};

/* The series of @key in run @run, made if new. Returns NULL on ENOMEM. */
static struct series *series_get(struct plot *pl, const char *key, const char *title, int run,
				 size_t nruns, const char *label)
{
	struct series *p;
	size_t i;
	int k = names_index(&pl->keys, key);

	if (k < 0)
		return NULL;
	for (i = 0; i < pl->n; i++)
		if (pl->s[i].key == k && pl->s[i].run == run)
			return &pl->s[i];
	p = realloc(pl->s, (pl->n + 1) * sizeof(*p));
	if (!p)
		return NULL;
	pl->s = p;
	p = &pl->s[pl->n++];
	memset(p, 0, sizeof(*p));
	if (nruns > 1)
		snprintf(p->title, sizeof(p->title), "%s: %s", label, title);
	else
		snprintf(p->title, sizeof(p->title), "%s", title);
	p->key = k;
	p->run = run;
	p->color = k + 1;
	p->dash = run + 1;
	return p;
}

static int series_add(struct series *s, double x, double y, double z)
{
	struct pt *p = realloc(s->p, (s->n + 1) * sizeof(*p));

	if (!p)
		return -ENOMEM;
	s->p = p;
	s->p[s->n++] = (struct pt){x, y, z};
	return 0;
}

static int cmp_pt(const void *a, const void *b)
{
	const struct pt *x = a, *y = b;

	return (x->x > y->x) - (x->x < y->x);
}

static void plot_free(struct plot *pl)
{
	size_t i;

	for (i = 0; i < pl->n; i++)
		free(pl->s[i].p);
	free(pl->s);
	names_free(&pl->keys);
	memset(pl, 0, sizeof(*pl));
}

/* Blocks of "x y z" lines, one per series, sorted by x; two blank lines between blocks. */
static void write_blocks(FILE *f, const struct plot *pl)
{
	size_t i, j;

	for (i = 0; i < pl->n; i++) {
		struct series *s = &pl->s[i];

		qsort(s->p, s->n, sizeof(*s->p), cmp_pt);
		fprintf(f, "# %s\n", s->title);
		for (j = 0; j < s->n; j++)
			fprintf(f, "%.9g %.9g %.9g\n", s->p[j].x, s->p[j].y, s->p[j].z);
		fputs("\n\n", f);
	}
}

/* gnuplot arrays @prefix{title,color,dash} and @prefix"n" for the series. */
static void write_series_vars(FILE *f, const struct plot *pl, const char *prefix)
{
	size_t i;

	fprintf(f, "%sn = %zu\n", prefix, pl->n);
	if (!pl->n)
		return;
	fprintf(f, "array %stitle[%zu] = [", prefix, pl->n);
	for (i = 0; i < pl->n; i++) {
		fputs(i ? ", " : "", f);
		gp_string(f, pl->s[i].title);
	}
	fprintf(f, "]\narray %scolor[%zu] = [", prefix, pl->n);
	for (i = 0; i < pl->n; i++)
		fprintf(f, "%s%d", i ? ", " : "", pl->s[i].color);
	fprintf(f, "]\narray %sdash[%zu] = [", prefix, pl->n);
	for (i = 0; i < pl->n; i++)
		fprintf(f, "%s%d", i ? ", " : "", pl->s[i].dash);
	fputs("]\n", f);
}

/* The x range of all series, widened so a single size is not a degenerate axis. */
static void write_xrange(FILE *f, const struct plot *a, const struct plot *b)
{
	double lo = INFINITY, hi = -INFINITY;
	const struct plot *pls[2] = {a, b};
	size_t i, j, k;

	for (k = 0; k < 2; k++)
		for (i = 0; pls[k] && i < pls[k]->n; i++)
			for (j = 0; j < pls[k]->s[i].n; j++) {
				if (pls[k]->s[i].p[j].x < lo)
					lo = pls[k]->s[i].p[j].x;
				if (pls[k]->s[i].p[j].x > hi)
					hi = pls[k]->s[i].p[j].x;
			}
	if (!isfinite(lo))
		lo = hi = 1;
	fprintf(f, "xmin = %.9g\nxmax = %.9g\n", lo / 1.5, hi * 1.5);
}

/* The range of the points' x (axis 0) or y (axis 1) over the series of @pl, widened into *lo, *hi. */
static void range_of(const struct plot *pl, int axis, double *lo, double *hi)
{
	size_t i, j;

	for (i = 0; pl && i < pl->n; i++)
		for (j = 0; j < pl->s[i].n; j++) {
			double v = axis ? pl->s[i].p[j].y : pl->s[i].p[j].x;

			if (v > 0 && v < *lo)
				*lo = v;
			if (v > *hi)
				*hi = v;
		}
}

/*
 * Tics of a log axis from @lo to @hi as a gnuplot tic list in variable
 * @var: 1-2-5 in every decade when the range spans three decades or
 * less (gnuplot alone would label only the powers of ten, often just one),
 * else the powers of ten.
 */
static void write_log_tics(FILE *f, const char *var, double lo, double hi)
{
	static const double steps[] = {1, 2, 5};
	double e, d;
	int first = 1;
	size_t k;

	if (!(lo > 0) || !(hi >= lo)) {
		fprintf(f, "%s = ''\n", var);
		return;
	}
	fprintf(f, "%s = '(", var);
	for (e = floor(log10(lo)); e <= ceil(log10(hi)); e++) {
		d = pow(10, e);
		for (k = 0; k < 3; k++) {
			double v = steps[k] * d;

			if (hi / lo > 1000 && k)
				continue;
			if (v < lo / 1.0001 || v > hi * 1.0001)
				continue;
			fprintf(f, "%s\"%g\" %.9g", first ? "" : ", ", v, v);
			first = 0;
		}
	}
	fputs(")'\n", f);
	if (first) /* no nice number inside: let gnuplot choose */
		fprintf(f, "%s = ''\n", var);
}

#define GIB 1073741824.0

static const char *size_name(char *buf, size_t len, uint64_t bytes)
{
	return ds_human_size(buf, len, bytes);
}

/* Tics at the device sizes measured, named as options name them ("1G", "64G"). */
static void write_size_tics(FILE *f, const struct plot *pl)
{
	double seen[64];
	size_t nseen = 0, i, j, k;
	char name[32];

	fputs("xticlist = '(", f);
	for (i = 0; i < pl->n; i++)
		for (j = 0; j < pl->s[i].n; j++) {
			double x = pl->s[i].p[j].x;

			for (k = 0; k < nseen && seen[k] != x; k++)
				;
			if (k < nseen || nseen == 64)
				continue;
			seen[nseen++] = x;
			fprintf(f, "%s\"%s\" %.9g", nseen > 1 ? ", " : "",
				size_name(name, sizeof(name), (uint64_t)llround(x * GIB)), x);
		}
	fputs(")'\n", f);
}

/* --- the caption -------------------------------------------------------------- */

static const char *jstr(json_t *obj, const char *key, const char *dflt)
{
	json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : dflt;
}

/* A config value that is a string or an array of strings, joined with ", ". */
static void join_config(char *buf, size_t len, json_t *config, const char *key)
{
	json_t *v = json_object_get(config, key), *e;
	size_t used = 0, i;

	buf[0] = '\0';
	if (json_is_string(v)) {
		snprintf(buf, len, "%s", json_string_value(v));
		return;
	}
	json_array_foreach(v, i, e) {
		int w;

		if (!json_is_string(e) || used >= len)
			continue;
		w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", json_string_value(e));
		if (w > 0)
			used += (size_t)w;
	}
	if (!used)
		snprintf(buf, len, "?");
}

int ds_plot_caption(const struct ds_plot_run *runs, size_t nruns, char *buf, size_t len,
		    int *lines)
{
	size_t used = 0, r, i;

	buf[0] = '\0';
	*lines = 0;
	for (r = 0; r < nruns && used < len; r++) {
		struct ds_run_folder *rf = runs[r].rf;
		json_t *host = json_object_get(rf->meta, "host");
		json_t *config = json_object_get(rf->meta, "config");
		json_t *cores = json_object_get(host, "cores");
		char harvests[128] = "", layouts[160] = "", workload[128] = "", hv[64] = "";
		size_t hu = 0;
		int w;

		for (i = 0; i < rf->nharvests && hu < sizeof(harvests); i++) {
			w = snprintf(harvests + hu, sizeof(harvests) - hu, "%s%s", i ? ", " : "",
				     rf->harvests[i]);
			if (w > 0)
				hu += (size_t)w;
		}
		join_config(layouts, sizeof(layouts), config, "layout");
		join_config(workload, sizeof(workload), config, "workload");
		if (jstr(host, "hypervisor", NULL))
			snprintf(hv, sizeof(hv), " (hypervisor %s%s)", jstr(host, "hypervisor", ""),
				 json_is_true(json_object_get(host, "emulated")) ? ", emulated CPU"
										 : "");
		{
			char machine[512], rest[768];
			bool wrap;

			snprintf(machine, sizeof(machine), "%s%s%s, %lld cores, %s%s",
				 nruns > 1 ? runs[r].label : "", nruns > 1 ? ": " : "",
				 jstr(host, "cpu_model", "unknown CPU"),
				 json_is_integer(cores) ? (long long)json_integer_value(cores) : -1LL,
				 jstr(host, "kernel", "?"), hv);
			snprintf(rest, sizeof(rest),
				 "backend %s | harvest %s | layout %s | workload %s | dirtyscope %s | %s",
				 rf->backend, harvests, layouts, workload, rf->git_revision,
				 rf->created_utc);
			/* one line would run off a 1200-pixel figure: break after the machine */
			wrap = strlen(machine) + strlen(rest) > 130;
			w = snprintf(buf + used, len - used, "%s%s%s%s", r ? "\n" : "", machine,
				     wrap ? "\n    " : " | ", rest);
			if (w < 0)
				return -EINVAL;
			*lines += wrap;
		}
		used += (size_t)w;
		(*lines)++;
	}
	return 0;
}

/* --- figure 1: harvest time vs device size --------------------------------- */

static bool steady_get_bitmap(const struct ds_rf_row *r)
{
	return !strcmp(r->stage, "steady") && !strcmp(r->op, "get_bitmap");
}

static int fig_harvest_size(const struct ds_plot_run *runs, size_t nruns, FILE *dat,
			    FILE *floor_dat, FILE *vars, bool *have)
{
	struct plot pl = {0}, fl = {0};
	size_t r, i;
	int ret = 0;

	for (r = 0; r < nruns; r++) {
		struct ds_run_folder *rf = runs[r].rf;

		for (i = 0; i < rf->nrows && !ret; i++) {
			const struct ds_rf_row *row = &rf->rows[i];
			char key[160], title[160];
			struct series *s;

			if (!steady_get_bitmap(row) || !strcmp(row->layout, "all"))
				continue;
			snprintf(key, sizeof(key), "%s|%s|%s|%s", row->harvest, row->layout,
				 row->request, row->path);
			snprintf(title, sizeof(title), "%s %s %s (%s)", row->harvest, row->layout,
				 row->request, row->path);
			s = series_get(&pl, key, title, (int)r, nruns, runs[r].label);
			if (!s || series_add(s, (double)row->device_bytes / GIB,
					     (double)row->median_ns / 1000, (double)row->p90_ns / 1000))
				ret = -ENOMEM;
			if (ret || row->memcpy_median_ns < 0)
				continue;
			/* the floor: a memcpy of what one call of this request kind writes */
			snprintf(key, sizeof(key), "floor|%s", row->request);
			snprintf(title, sizeof(title), "memcpy floor, %s bitmap",
				 !strcmp(row->request, "merged") ? "merged" : "one mapping's");
			s = series_get(&fl, key, title, (int)r, nruns, runs[r].label);
			if (!s)
				ret = -ENOMEM;
			/* several layouts of a size: keep the smallest floor, the one a call can reach */
			for (size_t j = 0; s && j < s->n; j++)
				if (s->p[j].x == (double)row->device_bytes / GIB) {
					if ((double)row->memcpy_median_ns / 1000 < s->p[j].y)
						s->p[j].y = (double)row->memcpy_median_ns / 1000;
					s = NULL;
				}
			if (s && series_add(s, (double)row->device_bytes / GIB,
					    (double)row->memcpy_median_ns / 1000, 0))
				ret = -ENOMEM;
		}
	}
	if (!ret && pl.n) {
		*have = true;
		write_blocks(dat, &pl);
		write_blocks(floor_dat, &fl);
		write_series_vars(vars, &pl, "");
		write_series_vars(vars, &fl, "f");
		write_xrange(vars, &pl, &fl);
		write_size_tics(vars, &pl);
		{
			double lo = INFINITY, hi = 0;

			range_of(&pl, 1, &lo, &hi);
			range_of(&fl, 1, &lo, &hi);
			fprintf(vars, "ymin = %.9g\nymax = %.9g\n", lo / 1.6, hi * 1.6);
			write_log_tics(vars, "yticlist", lo / 1.6, hi * 1.6);
		}
	}
	plot_free(&pl);
	plot_free(&fl);
	return ret;
}

/* --- horizontal bar charts: figures 2 and 6 ---------------------------------- */

/*
 * A bar chart with one group per label (y position, top to bottom) and,
 * in a group, one bar per run (and per kind, for figure 6). Each line of
 * the data: y, value, colour, "value label".
 */
struct bars {
	struct names labels;
	FILE *f;
};

/*
 * The y tics of a bar chart, and the figure's height: past a dozen or so
 * groups the default 760 pixels would squeeze the labels into each other,
 * so each bar gets about 22 pixels.
 */
static void ytics_var(FILE *vars, const struct names *labels, size_t bars_per_group)
{
	size_t i, height = 200 + labels->n * (bars_per_group * 22 + 8);

	size_t longest = 0;

	if (height > 760)
		fprintf(vars, "fig_height = %zu\n", height > 4000 ? 4000 : height);
	/* room on the left for the longest label, in characters (the tic font) */
	for (i = 0; i < labels->n; i++)
		if ((size_t)ds_columns(labels->v[i]) > longest)
			longest = (size_t)ds_columns(labels->v[i]);
	fprintf(vars, "label_chars = %zu\n", longest);

	/* labels go top to bottom: the first at the top */
	fprintf(vars, "ngroups = %zu\nytics = '(", labels->n);
	for (i = 0; i < labels->n; i++) {
		const char *p;

		fputs(i ? ", " : "", vars);
		fputc('"', vars);
		for (p = labels->v[i]; *p; p++)
			fputc(*p == '"' || *p == '\'' || *p == '\\' ? ' ' : *p, vars);
		fprintf(vars, "\" %zu", labels->n - 1 - i);
	}
	fputs(")'\n", vars);
}

static void row_label(char *buf, size_t len, const struct ds_rf_row *row, size_t nharvests)
{
	char size[32];

	/* the op only when it is not the usual GET_BITMAP */
	snprintf(buf, len, "%s%s%s %s%s%s %s (%s)", nharvests > 1 ? row->harvest : "",
		 nharvests > 1 ? " " : "", size_name(size, sizeof(size), row->device_bytes),
		 row->layout, strcmp(row->op, "get_bitmap") ? " " : "",
		 strcmp(row->op, "get_bitmap") ? row->op : "", row->request, row->path);
}

static int fig_ratio(const struct ds_plot_run *runs, size_t nruns, FILE *dat, FILE *vars,
		     bool *have)
{
	struct names labels = {0}, classes = {0};
	size_t r, i, harvests = 0, nbars = 0;
	double max = 0;
	int ret = 0;

	for (r = 0; r < nruns; r++)
		if (runs[r].rf->nharvests > harvests)
			harvests = runs[r].rf->nharvests;
	/* first the labels, so that y positions are known */
	for (r = 0; r < nruns && !ret; r++)
		for (i = 0; i < runs[r].rf->nrows; i++) {
			const struct ds_rf_row *row = &runs[r].rf->rows[i];
			char label[200];

			if (strcmp(row->stage, "steady") || isnan(row->ratio_to_memcpy))
				continue;
			row_label(label, sizeof(label), row, harvests);
			if (names_index(&labels, label) < 0) {
				ret = -ENOMEM;
				break;
			}
		}
	for (r = 0; r < nruns && !ret; r++)
		for (i = 0; i < runs[r].rf->nrows; i++) {
			const struct ds_rf_row *row = &runs[r].rf->rows[i];
			char label[200];
			double y, h = 0.8 / (double)nruns;
			int k;

			if (strcmp(row->stage, "steady") || isnan(row->ratio_to_memcpy))
				continue;
			row_label(label, sizeof(label), row, harvests);
			k = names_index(&labels, label);
			/* run 0 on top within its group */
			y = (double)(labels.n - 1 - (size_t)k) + 0.4 - h * ((double)r + 0.5);
			/* one run: colour by path, the thing this figure is about; several: by run */
			{
				char cls[64];
				int c;

				snprintf(cls, sizeof(cls), "%s path", row->path);
				c = nruns > 1 ? (int)r : names_index(&classes, cls);
				if (c < 0) {
					ret = -ENOMEM;
					break;
				}
				fprintf(dat, "%.4f %.6g %.4f %d \"%.2fx\"\n", y, row->ratio_to_memcpy,
					h / 2, c + 1, row->ratio_to_memcpy);
			}
			if (row->ratio_to_memcpy > max)
				max = row->ratio_to_memcpy;
			nbars++;
		}
	if (!ret && nbars) {
		*have = true;
		ytics_var(vars, &labels, nruns);
		if (nruns > 1) {
			fprintf(vars, "xmax = %.6g\nnclasses = %zu\narray classtitle[%zu] = [",
				max * 1.15 + 0.5, nruns, nruns);
			for (r = 0; r < nruns; r++) {
				fputs(r ? ", " : "", vars);
				gp_string(vars, runs[r].label);
			}
			fputs("]\n", vars);
		} else {
			fprintf(vars, "xmax = %.6g\nnclasses = %zu\narray classtitle[%zu] = [",
				max * 1.15 + 0.5, classes.n, classes.n);
			for (i = 0; i < classes.n; i++) {
				fputs(i ? ", " : "", vars);
				gp_string(vars, classes.v[i]);
			}
			fputs("]\n", vars);
		}
	}
	names_free(&labels);
	names_free(&classes);
	return ret;
}

/*
 * Figure 6: per device with both request kinds, the time of one whole
 * harvest each way: the downtime estimates' final_harvest_ns when the
 * run made them (the median over iterations of the per-iteration sum),
 * else the steady rows (median per call times the calls).
 */
static int viommu_costs(const struct ds_run_folder *rf, size_t dev, const char *harvest,
			double *mapping, double *merged, uint64_t *calls)
{
	size_t i;

	*mapping = *merged = NAN;
	for (i = 0; i < rf->ndowntime; i++) {
		const struct ds_rf_downtime *e = &rf->downtime[i];

		if (e->device != dev || strcmp(e->harvest, harvest))
			continue;
		if (!strcmp(e->query, "mapping")) {
			*mapping = (double)e->final_harvest_ns;
			*calls = e->calls;
		} else {
			*merged = (double)e->final_harvest_ns;
		}
	}
	if (!isnan(*mapping) && !isnan(*merged))
		return 0;
	*mapping = *merged = NAN;
	for (i = 0; i < rf->nrows; i++) {
		const struct ds_rf_row *row = &rf->rows[i];

		if (row->device != dev || !steady_get_bitmap(row) || strcmp(row->harvest, harvest))
			continue;
		if (!strcmp(row->request, "mapping")) {
			*mapping = (double)row->median_ns * (double)row->mappings;
			*calls = row->mappings;
		} else if (!strcmp(row->request, "merged")) {
			*merged = (double)row->median_ns;
		}
	}
	return isnan(*mapping) || isnan(*merged) ? -ENOENT : 0;
}

static int fig_viommu(const struct ds_plot_run *runs, size_t nruns, FILE *dat, FILE *vars,
		      bool *have)
{
	struct names labels = {0};
	size_t r, d, h, pass, harvests = 0, nbars = 0;
	double lo = INFINITY, hi = 0;
	int ret = 0;

	for (r = 0; r < nruns; r++)
		if (runs[r].rf->nharvests > harvests)
			harvests = runs[r].rf->nharvests;
	/* pass 0 collects the labels (y positions), pass 1 writes the bars */
	for (pass = 0; pass < 2 && !ret; pass++)
		for (r = 0; r < nruns && !ret; r++) {
			struct ds_run_folder *rf = runs[r].rf;

			for (h = 0; h < rf->nharvests; h++)
				for (d = 0; d < rf->ndevices; d++) {
					double map, merged, y, bh = 0.8 / (double)(2 * nruns);
					char label[200], size[32];
					uint64_t calls = 0;
					int k;

					if (!strcmp(rf->devices[d].layout, "all") ||
					    viommu_costs(rf, d, rf->harvests[h], &map, &merged, &calls))
						continue;
					snprintf(label, sizeof(label), "%s%s%s %s",
						 harvests > 1 ? rf->harvests[h] : "",
						 harvests > 1 ? " " : "",
						 size_name(size, sizeof(size), rf->devices[d].device_bytes),
						 rf->devices[d].layout);
					k = names_index(&labels, label);
					if (k < 0) {
						ret = -ENOMEM;
						break;
					}
					if (!pass)
						continue;
					y = (double)(labels.n - 1 - (size_t)k) + 0.4 -
					    bh * (2 * (double)r + 0.5);
					fprintf(dat, "%.4f %.6g %.4f 1 %zu \"%s, %llu calls\"\n", y,
						map / 1000, bh / 2, r + 1,
						ds_human_ns(size, sizeof(size), (uint64_t)map),
						(unsigned long long)calls);
					fprintf(dat, "%.4f %.6g %.4f 2 %zu \"%s, 1 call\"\n", y - bh,
						merged / 1000, bh / 2, r + 1,
						ds_human_ns(size, sizeof(size), (uint64_t)merged));
					lo = fmin(lo, fmin(map, merged) / 1000);
					hi = fmax(hi, fmax(map, merged) / 1000);
					nbars += 2;
				}
		}
	if (!ret && nbars) {
		*have = true;
		ytics_var(vars, &labels, 2 * nruns);
		/* log axis: bars start at a floor below the shortest one */
		fprintf(vars, "xfloor = %.6g\nxmax = %.6g\nnruns = %zu\narray runtitle[%zu] = [",
			lo / 4, hi * 12, nruns, nruns);
				for (r = 0; r < nruns; r++) {
			fputs(r ? ", " : "", vars);
			gp_string(vars, nruns > 1 ? runs[r].label : "");
		}
		fputs("]\n", vars);
		write_log_tics(vars, "xticlist", lo / 4, hi * 12);
	}
	names_free(&labels);
	return ret;
}

/* --- figure 3: phases ------------------------------------------------------- */

static int fig_phases(const struct ds_plot_run *runs, size_t nruns, FILE *dat, FILE *vars,
		      bool *have)
{
	struct names phases = {0}, labels = {0};
	size_t r, i, j, p, harvests = 0, nbars = 0;
	int ret = 0;

	for (r = 0; r < nruns; r++)
		if (runs[r].rf->nharvests > harvests)
			harvests = runs[r].rf->nharvests;
	/* every phase name any folder has, in order of first appearance: none is hard-coded */
	for (r = 0; r < nruns && !ret; r++)
		for (i = 0; i < runs[r].rf->nphases && !ret; i++)
			for (j = 0; j < runs[r].rf->phases[i].nphases && !ret; j++)
				if (names_index(&phases, runs[r].rf->phases[i].phases[j].name) < 0)
					ret = -ENOMEM;
	for (r = 0; r < nruns && !ret; r++)
		for (i = 0; i < runs[r].rf->nphases && !ret; i++) {
			const struct ds_rf_phases *ph = &runs[r].rf->phases[i];
			char label[200], size[32];
			uint64_t sum = 0;
			double cum = 0;

			for (j = 0; j < ph->nphases; j++)
				sum += ph->phases[j].total_ns;
			if (!sum || !ph->requests)
				continue;
			snprintf(label, sizeof(label), "%s%s%s%s%s %s %s (%s)",
				 nruns > 1 ? runs[r].label : "", nruns > 1 ? ": " : "",
				 harvests > 1 ? ph->harvest : "", harvests > 1 ? " " : "",
				 size_name(size, sizeof(size), runs[r].rf->devices[ph->device].device_bytes),
				 ph->layout, ph->request, ph->path);
			if (names_index(&labels, label) < 0) {
				ret = -ENOMEM;
				break;
			}
			fprintf(dat, "%zu \"%s per request\"", labels.n - 1,
				ds_human_ns(size, sizeof(size), sum / ph->requests));
			for (p = 0; p < phases.n; p++) {
				uint64_t t = 0;

				for (j = 0; j < ph->nphases; j++)
					if (!strcmp(ph->phases[j].name, phases.v[p]))
						t += ph->phases[j].total_ns;
				fprintf(dat, " %.4f %.4f", cum, cum + 100.0 * (double)t / (double)sum);
				cum += 100.0 * (double)t / (double)sum;
			}
			fputc('\n', dat);
			nbars++;
		}
	if (!ret && nbars) {
		*have = true;
		/* y runs top down: the data's y is the label's index, flipped in the script */
		ytics_var(vars, &labels, 1);
		fprintf(vars, "nphases = %zu\narray phase[%zu] = [", phases.n, phases.n);
		for (p = 0; p < phases.n; p++) {
			fputs(p ? ", " : "", vars);
			gp_string(vars, phases.v[p]);
		}
		fputs("]\n", vars);
	}
	names_free(&phases);
	names_free(&labels);
	return ret;
}

/* --- figure 4: latency CDF ---------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* At most this many points per curve: a 10^6-sample row plots as well from 400 quantiles. */
#define CDF_POINTS 400

static int fig_cdf(const struct ds_plot_run *runs, size_t nruns, FILE *dat, FILE *vars,
		   bool *have)
{
	struct plot pl = {0};
	uint64_t *v = NULL;
	size_t r, i, j;
	int ret = 0;

	for (r = 0; r < nruns && !ret; r++) {
		struct ds_run_folder *rf = runs[r].rf;

		free(v);
		v = malloc((rf->nsamples ? rf->nsamples : 1) * sizeof(*v));
		if (!v) {
			ret = -ENOMEM;
			break;
		}
		for (i = 0; i < rf->nrows && !ret; i++) {
			const struct ds_rf_row *row = &rf->rows[i];
			char key[160], title[160], size[32];
			struct series *s;
			size_t n = 0, step;

			if (!steady_get_bitmap(row))
				continue;
			for (j = 0; j < rf->nsamples; j++)
				if (rf->samples[j].row == i)
					v[n++] = rf->samples[j].ns;
			if (!n)
				continue;
			qsort(v, n, sizeof(*v), cmp_u64);
			size_name(size, sizeof(size), row->device_bytes);
			snprintf(key, sizeof(key), "%s|%s|%s|%s|%s", row->harvest, size, row->layout,
				 row->request, row->path);
			snprintf(title, sizeof(title), "%s%s%s %s %s (%s), n = %zu",
				 rf->nharvests > 1 ? row->harvest : "", rf->nharvests > 1 ? " " : "",
				 size, row->layout, row->request, row->path, n);
			s = series_get(&pl, key, title, (int)r, nruns, runs[r].label);
			if (!s) {
				ret = -ENOMEM;
				break;
			}
			step = n > CDF_POINTS ? n / CDF_POINTS : 1;
			/* the empirical CDF: the fraction of samples at or below each time */
			for (j = 0; j < n && !ret; j += step)
				ret = series_add(s, (double)v[j] / 1000, (double)(j + 1) / (double)n, 0);
			if (!ret && (n - 1) % step)
				ret = series_add(s, (double)v[n - 1] / 1000, 1.0, 0);
		}
	}
	if (!ret && pl.n) {
		*have = true;
		write_blocks(dat, &pl);
		write_series_vars(vars, &pl, "");
		write_xrange(vars, &pl, NULL);
		{
			double lo = INFINITY, hi = 0;

			range_of(&pl, 0, &lo, &hi);
			write_log_tics(vars, "xticlist", lo / 1.5, hi * 1.5);
		}
	}
	free(v);
	plot_free(&pl);
	return ret;
}

/* --- figure 5: downtime --------------------------------------------------------- */

static int cmp_u64v(const void *a, const void *b)
{
	return cmp_u64(a, b);
}

static void bandwidth_name(char *buf, size_t len, uint64_t bytes_per_s)
{
	double gbit = (double)bytes_per_s * 8 / 1e9;

	snprintf(buf, len, gbit >= 1 ? "%.3g Gbit/s" : "%.3g Mbit/s", gbit >= 1 ? gbit : gbit * 1000);
}

static int fig_downtime(const struct ds_plot_run *runs, size_t nruns, FILE *dat, FILE *track_dat,
			FILE *share_dat, FILE *vars, bool *have)
{
	/* The run's own bandwidth, and the links a planner asks about: 10, 25, 100 Gbit/s. */
	uint64_t bw[8];
	struct plot pl = {0}, tr = {0};
	struct names bws = {0};
	size_t r, h, i, b, nbw, nlimits = 0;
	uint64_t limits[64];
	int ret = 0;

	for (r = 0; r < nruns && !ret; r++) {
		struct ds_run_folder *rf = runs[r].rf;

		if (!rf->ndowntime)
			continue;
		nbw = 0;
		bw[nbw++] = rf->bandwidth_bytes_per_s;
		bw[nbw++] = 1250000000ull;
		bw[nbw++] = 3125000000ull;
		bw[nbw++] = 12500000000ull;
		qsort(bw, nbw, sizeof(*bw), cmp_u64v);
		for (i = 0; nlimits < 64 && i <= nlimits; i++)
			if (i == nlimits || limits[i] == rf->limit_ns) {
				if (i == nlimits)
					limits[nlimits++] = rf->limit_ns;
				break;
			}
		for (h = 0; h < rf->nharvests && !ret; h++)
			for (b = 0; b < nbw && !ret; b++) {
				char key[96], title[160], bwname[32];
				struct series *s;
				int c;

				if (b && bw[b] == bw[b - 1])
					continue; /* the run's own was one of the three */
				if (!bw[b])
					continue;
				bandwidth_name(bwname, sizeof(bwname), bw[b]);
				c = names_index(&bws, bwname);
				snprintf(key, sizeof(key), "%s|%s", rf->harvests[h], bwname);
				snprintf(title, sizeof(title), "%s%s%s%s", rf->nharvests > 1 ? rf->harvests[h] : "",
					 rf->nharvests > 1 ? ", " : "", bwname,
					 bw[b] == rf->bandwidth_bytes_per_s ? " (the run's)" : "");
				s = series_get(&pl, key, title, (int)r, nruns, runs[r].label);
				if (c < 0 || !s) {
					ret = -ENOMEM;
					break;
				}
				/* the worst layout and query measured at each size */
				for (i = 0; i < rf->ndowntime && !ret; i++) {
					const struct ds_rf_downtime *e = &rf->downtime[i];
					double x = (double)e->device_bytes / GIB, t, harvest;
					size_t j;

					if (strcmp(e->harvest, rf->harvests[h]))
						continue;
					harvest = (double)e->final_harvest_ns;
					t = harvest + ((double)e->dirty_bytes + (double)rf->state_bytes) *
							      1e9 / (double)bw[b];
					for (j = 0; j < s->n; j++)
						if (s->p[j].x == x)
							break;
					if (j == s->n)
						ret = series_add(s, x, t / 1e6, harvest / 1e6);
					else if (t / 1e6 > s->p[j].y)
						s->p[j] = (struct pt){x, t / 1e6, harvest / 1e6};
				}
				/* colour by bandwidth; the dash tells harvests (and runs) apart */
				s->color = c + 1;
				s->dash = (int)(r * rf->nharvests + h) + 1;
			}
		/* the tracking part: the slowest final harvest at each size */
		for (h = 0; h < rf->nharvests && !ret; h++) {
			char key[96], title[160];
			struct series *s;

			snprintf(key, sizeof(key), "track|%s", rf->harvests[h]);
			snprintf(title, sizeof(title), "%s%sfinal GET_BITMAP (tracking)",
				 rf->nharvests > 1 ? rf->harvests[h] : "", rf->nharvests > 1 ? ": " : "");
			s = series_get(&tr, key, title, (int)r, nruns, runs[r].label);
			if (!s) {
				ret = -ENOMEM;
				break;
			}
			s->dash = (int)(r * rf->nharvests + h) + 1;
			for (i = 0; i < rf->ndowntime && !ret; i++) {
				const struct ds_rf_downtime *e = &rf->downtime[i];
				double x = (double)e->device_bytes / GIB, t = (double)e->final_harvest_ns / 1e6;
				size_t j;

				if (strcmp(e->harvest, rf->harvests[h]))
					continue;
				for (j = 0; j < s->n; j++)
					if (s->p[j].x == x)
						break;
				if (j == s->n)
					ret = series_add(s, x, t, e->tracking_share);
				else if (t > s->p[j].y)
					s->p[j] = (struct pt){x, t, e->tracking_share};
			}
		}
		/*
		 * At the run's own bandwidth, the tracking share of the estimate
		 * the line shows (the worst at that size), as one label a size that
		 * names each harvest when there are several.
		 */
		for (i = 0; i < rf->ndowntime; i++) {
			const struct ds_rf_downtime *e = &rf->downtime[i];
			char label[256] = "";
			size_t used = 0, j;
			double top = 0;

			for (j = 0; j < i; j++)
				if (rf->downtime[j].device_bytes == e->device_bytes)
					break;
			if (j < i)
				continue; /* this size is labelled already */
			for (h = 0; h < rf->nharvests; h++) {
				const struct ds_rf_downtime *w = NULL;
				char share[32];
				int n;

				for (j = 0; j < rf->ndowntime; j++) {
					const struct ds_rf_downtime *o = &rf->downtime[j];

					if (o->device_bytes == e->device_bytes &&
					    !strcmp(o->harvest, rf->harvests[h]) &&
					    (!w || o->downtime_ns > w->downtime_ns))
						w = o;
				}
				if (!w)
					continue;
				if (w->tracking_share < 0.0001)
					snprintf(share, sizeof(share), "<0.01%%");
				else
					snprintf(share, sizeof(share), "%.2g%%", w->tracking_share * 100);
				n = snprintf(label + used, sizeof(label) - used, "%s%s",
					     used ? " / " : "", share);
				if (n > 0 && (size_t)n < sizeof(label) - used)
					used += (size_t)n;
				top = fmax(top, (double)w->downtime_ns / 1e6);
			}
			fprintf(share_dat, "%.9g %.9g \"%s\"\n", (double)e->device_bytes / GIB, top,
				label);
		}
	}
	if (!ret && pl.n) {
		*have = true;
		write_blocks(dat, &pl);
		write_blocks(track_dat, &tr);
		write_series_vars(vars, &pl, "");
		write_series_vars(vars, &tr, "t");
		write_xrange(vars, &pl, NULL);
		write_size_tics(vars, &pl);
		{
			/* the limit must be on the figure even when every estimate is far below it */
			double lo = INFINITY, hi = 0;

			range_of(&pl, 1, &lo, &hi);
			range_of(&tr, 1, &lo, &hi);
			for (i = 0; i < nlimits; i++)
				hi = fmax(hi, (double)limits[i] / 1e6);
			fprintf(vars, "ymin = %.9g\nymax = %.9g\n", lo / 2, hi * 2.5);
			write_log_tics(vars, "yticlist", lo / 2, hi * 2.5);
		}
		/* the labels' key: whose share each number is */
		{
			const struct ds_run_folder *rf0 = runs[0].rf;
			char who[256] = "";
			size_t used = 0;

			for (h = 0; rf0->nharvests > 1 && h < rf0->nharvests; h++) {
				int n = snprintf(who + used, sizeof(who) - used, "%s%s", h ? " / " : " (",
						 rf0->harvests[h]);

				if (n > 0 && (size_t)n < sizeof(who) - used)
					used += (size_t)n;
			}
			fprintf(vars, "share_title = \"numbers over the points: the tracking share of the estimate at the run's bandwidth%s%s\"\n",
				who, rf0->nharvests > 1 ? ")" : "");
		}
		fprintf(vars, "nlimits = %zu\narray limit[%zu] = [", nlimits, nlimits);
		for (i = 0; i < nlimits; i++)
			fprintf(vars, "%s%.9g", i ? ", " : "", (double)limits[i] / 1e6);
		fputs("]\n", vars);
	}
	plot_free(&pl);
	plot_free(&tr);
	names_free(&bws);
	return ret;
}

/* --- all figures ---------------------------------------------------------------- */

int ds_plot_extract(const struct ds_plot_run *runs, size_t nruns, const char *datadir,
		    bool have[DS_FIG_COUNT])
{
	char caption[4096];
	int lines, ret = 0, f;

	memset(have, 0, DS_FIG_COUNT * sizeof(*have));
	if ((ret = ds_plot_caption(runs, nruns, caption, sizeof(caption), &lines)))
		return ret;
	for (f = 0; f < DS_FIG_COUNT && !ret; f++) {
		/* the main data, up to two more data files, the variables */
		static const char *const ext[DS_FIG_COUNT][3] = {
			[DS_FIG_HARVEST_SIZE] = {".floor.dat"},
			[DS_FIG_DOWNTIME] = {".tracking.dat", ".share.dat"},
		};
		const char *stem = ds_figs[f].name;
		struct sink sk[4] = {0};
		int i, opened = 0;

		for (i = 0; i < 4 && !ret; i++, opened++)
			ret = sink_open(&sk[i]);
		if (!ret) {
			fprintf(sk[3].f,
				"# SPDX-License-Identifier: MIT\n# written by dirtyscope plot: the "
				"series of %s.gp\ncaption = ",
				stem);
			gp_string(sk[3].f, caption);
			fprintf(sk[3].f, "\ncaption_lines = %d\n", lines);
		}
		switch (ret ? -1 : f) {
		case DS_FIG_HARVEST_SIZE:
			ret = fig_harvest_size(runs, nruns, sk[0].f, sk[1].f, sk[3].f, &have[f]);
			break;
		case DS_FIG_RATIO:
			ret = fig_ratio(runs, nruns, sk[0].f, sk[3].f, &have[f]);
			break;
		case DS_FIG_PHASES:
			ret = fig_phases(runs, nruns, sk[0].f, sk[3].f, &have[f]);
			break;
		case DS_FIG_CDF:
			ret = fig_cdf(runs, nruns, sk[0].f, sk[3].f, &have[f]);
			break;
		case DS_FIG_DOWNTIME:
			ret = fig_downtime(runs, nruns, sk[0].f, sk[1].f, sk[2].f, sk[3].f, &have[f]);
			break;
		case DS_FIG_VIOMMU:
			ret = fig_viommu(runs, nruns, sk[0].f, sk[3].f, &have[f]);
			break;
		}
		for (i = 0; i < opened; i++) {
			const char *e = i == 0 ? ".dat" : i == 3 ? ".vars.gp" : ext[f][i - 1];
			int r;

			if (ret || !have[f] || !e) {
				if (sk[i].f)
					fclose(sk[i].f);
				free(sk[i].buf);
				continue;
			}
			r = sink_close(&sk[i], datadir, stem, e);
			ret = ret ? ret : r;
		}
	}
	return ret;
}
