// SPDX-License-Identifier: MIT
/*
 * migrate_output.c - a migration's results, computed once and rendered two
 * ways: the table on stdout, and the run folder (results/migrate.md):
 * meta.json, rounds.csv, migrations.csv and summary.json.
 *
 * Every file is written whole (a temporary name, fsync, rename, fsync of
 * the folder), never during a migration - disk I/O would land in the
 * measured rounds - but before the first one (meta.json "running") and
 * after each one, so a sweep killed half-way keeps the migrations it
 * finished.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "files.h"
#include "stop.h"
#include "migrate.h"
#include "output.h"
#include "units.h"
#include "version.h"

#define SCHEMA_VERSION 1

/* ---- the table ---- */

static const char *ns_str(char *b, size_t n, uint64_t ns)
{
	return ds_format_ns(b, n, (double)ns);
}

static const char *bytes_str(char *b, size_t n, uint64_t bytes)
{
	return ds_format_bytes(b, n, (double)bytes);
}

static const char *rate_str(char *b, size_t n, uint64_t bytes_per_s)
{
	return ds_format_bits_per_s(b, n, (double)bytes_per_s);
}

const char *ds_mig_format_rate(char *b, size_t n, double bytes_per_s)
{
	/* Dirty rates are quoted as plan takes them: decimal bytes per second. */
	if (bytes_per_s >= 1e9)
		snprintf(b, n, "%.3g GB/s", bytes_per_s / 1e9);
	else if (bytes_per_s >= 1e6)
		snprintf(b, n, "%.3g MB/s", bytes_per_s / 1e6);
	else
		snprintf(b, n, "%.3g kB/s", bytes_per_s / 1e3);
	return b;
}

static const char *bps_str(char *b, size_t n, uint64_t bytes_per_s)
{
	return ds_mig_format_rate(b, n, (double)bytes_per_s);
}

static double ratio(uint64_t predicted, uint64_t measured)
{
	return measured ? (double)predicted / (double)measured : 0;
}

static void print_rounds(const struct ds_mig_result *r)
{
	char a[24], b[24], c[24], d[24], e[24], f[24], g[24], h[24];
	size_t i;

	printf("%5s %9s %7s %7s %9s %9s %9s %12s %9s %9s %9s\n", "round", "sent", "pages",
	       "dirty", "harvest", "send", "round", "link rate", "pending", "threshold",
	       "qemu est");
	for (i = 0; i < r->nrounds; i++) {
		const struct ds_mig_round *x = &r->rounds[i];
		char round[16];

		if (x->kind == DS_ROUND_STOP)
			snprintf(round, sizeof(round), "stop");
		else
			snprintf(round, sizeof(round), "%u", x->round);
		if (x->kind == DS_ROUND_STOP)
			printf("%5s %9s %7llu %7llu %9s %9s %9s %12s %9s %9s %9s\n", round,
			       bytes_str(a, sizeof(a), x->bytes_sent),
			       (unsigned long long)x->pages_sent, (unsigned long long)x->dirty_pages,
			       ns_str(b, sizeof(b), x->harvest_ns), ns_str(c, sizeof(c), x->send_ns),
			       ns_str(d, sizeof(d), x->round_ns), "-", "-", "-", "-");
		else
			printf("%5s %9s %7llu %7llu %9s %9s %9s %12s %9s %9s %9s\n", round,
			       bytes_str(a, sizeof(a), x->bytes_sent),
			       (unsigned long long)x->pages_sent, (unsigned long long)x->dirty_pages,
			       ns_str(b, sizeof(b), x->harvest_ns), ns_str(c, sizeof(c), x->send_ns),
			       ns_str(d, sizeof(d), x->round_ns),
			       rate_str(e, sizeof(e), x->link_bytes_per_s),
			       bytes_str(f, sizeof(f), x->pending_bytes),
			       bytes_str(g, sizeof(g), x->threshold_bytes),
			       ns_str(h, sizeof(h), x->qemu_expected_downtime_ns));
	}
}

static void print_plan_line(const char *name, const struct ds_mig_prediction *p)
{
	char a[24], b[24], c[24], d[24];

	if (!p->valid)
		return;
	printf("%-15s %9s %9s %9s %9s %9s %9s  %llu round%s, %s\n", name,
	       ns_str(a, sizeof(a), p->plan.downtime_ns), "-",
	       ns_str(b, sizeof(b), p->plan.final_harvest_ns),
	       ns_str(c, sizeof(c), p->plan.transfer_ns), ns_str(d, sizeof(d), p->plan.state_ns),
	       "-", (unsigned long long)p->plan.rounds, p->plan.rounds == 1 ? "" : "s",
	       p->plan.converged ? "converged" : ds_plan_stop_name(p->plan.stop));
}

void ds_mig_print_migration(const struct ds_mig_opts *o, const struct ds_mig_result *r,
			    size_t index, size_t count)
{
	char a[24], b[24], c[24], d[24], e[24], f[24], g[24];
	const struct ds_mig_round *last = NULL;
	const struct ds_mig_downtime *dn = &r->down;
	size_t i;

	printf("migration %zu/%zu: %s at %s, writers %s %s over %s, harvest %s, %u writer%s\n",
	       index + 1, count, bytes_str(a, sizeof(a), r->pt.device_bytes),
	       rate_str(b, sizeof(b), r->pt.bandwidth), bps_str(c, sizeof(c), r->pt.dirty_rate),
	       ds_mig_pattern_name(o->pattern), bytes_str(d, sizeof(d), r->pt.working_set),
	       o->harvest, o->threads, o->threads == 1 ? "" : "s");
	if (r->nrounds)
		print_rounds(r);
	for (i = 0; i < r->nrounds; i++)
		if (r->rounds[i].kind == DS_ROUND_PRECOPY)
			last = &r->rounds[i];
	if (last && r->switched)
		printf("switchover after round %u: pending %s %s threshold %s (%s at the measured "
		       "%s)%s\n",
		       last->round, bytes_str(a, sizeof(a), last->pending_bytes),
		       last->pending_bytes <= last->threshold_bytes ? "<=" : ">",
		       bytes_str(b, sizeof(b), last->threshold_bytes),
		       ns_str(c, sizeof(c), o->limit_ns),
		       rate_str(d, sizeof(d), last->link_bytes_per_s),
		       r->outcome == DS_MIG_FORCED ? ": forced at --max-rounds" : "");
	if (r->resumed) {
		printf("%-15s %9s %9s %9s %9s %9s %9s\n", "downtime", "total", "stop", "harvest",
		       "transfer", "state", "resume");
		printf("%-15s %9s %9s %9s %9s %9s %9s\n", "measured",
		       ns_str(a, sizeof(a), dn->total_ns), ns_str(b, sizeof(b), dn->stop_ns),
		       ns_str(c, sizeof(c), dn->final_harvest_ns),
		       ns_str(d, sizeof(d), dn->transfer_ns), ns_str(e, sizeof(e), dn->state_ns),
		       ns_str(f, sizeof(f), dn->resume_ns));
		print_plan_line("plan", &r->plan);
		print_plan_line("plan (measured)", &r->plan_measured);
		printf("%-15s %9s %9s %9s %9s %9s %9s\n", "qemu expected",
		       ns_str(g, sizeof(g), r->qemu_expected_downtime_ns), "-", "-",
		       ns_str(a, sizeof(a), r->qemu_expected_downtime_ns), "-", "-");
		if (r->plan.valid)
			printf("predicted / measured: plan %.3f, plan with the measured harvest "
			       "%.3f, qemu %.3f\n",
			       ratio(r->plan.plan.downtime_ns, dn->total_ns),
			       r->plan_measured.valid
				       ? ratio(r->plan_measured.plan.downtime_ns, dn->total_ns)
				       : 0,
			       ratio(r->qemu_expected_downtime_ns, dn->total_ns));
	}
	if (r->verify.done && r->verify.ok)
		printf("destination: all %llu pages and %s of state match the source's (a checksum "
		       "per page)\n",
		       (unsigned long long)r->verify.pages,
		       bytes_str(a, sizeof(a), o->state_bytes));
	else if (r->verify.done)
		printf("destination: %llu of %llu pages differ from the source's%s\n",
		       (unsigned long long)r->verify.mismatched,
		       (unsigned long long)r->verify.pages,
		       r->verify.state_ok ? "" : ", and the state");
	printf("\n");
}

void ds_mig_print_sweep(const struct ds_mig_result *r, size_t n)
{
	char a[24], b[24], c[24], d[24], e[24], f[24], g[24];
	size_t i;

	printf("predicted / measured downtime\n");
	printf("%9s %12s %10s %11s %6s %9s %9s %6s %9s %6s %9s %6s\n", "size", "bandwidth",
	       "dirty rate", "outcome", "rounds", "measured", "plan", "error", "plan(h)", "error",
	       "qemu est", "error");
	for (i = 0; i < n; i++) {
		const struct ds_mig_result *x = &r[i];
		bool m = x->resumed;

		printf("%9s %12s %10s %11s %3llu/%-2llu %9s %9s %6.2f %9s %6.2f %9s %6.2f\n",
		       bytes_str(a, sizeof(a), x->pt.device_bytes),
		       rate_str(b, sizeof(b), x->pt.bandwidth),
		       bps_str(c, sizeof(c), x->pt.dirty_rate), ds_mig_outcome_name(x->outcome),
		       (unsigned long long)x->precopy_rounds,
		       (unsigned long long)(x->plan.valid ? x->plan.plan.rounds : 0),
		       m ? ns_str(d, sizeof(d), x->down.total_ns) : "-",
		       x->plan.valid ? ns_str(e, sizeof(e), x->plan.plan.downtime_ns) : "-",
		       m ? ratio(x->plan.plan.downtime_ns, x->down.total_ns) : 0,
		       x->plan_measured.valid ? ns_str(f, sizeof(f), x->plan_measured.plan.downtime_ns)
					      : "-",
		       m && x->plan_measured.valid
			       ? ratio(x->plan_measured.plan.downtime_ns, x->down.total_ns)
			       : 0,
		       m ? ns_str(g, sizeof(g), x->qemu_expected_downtime_ns) : "-",
		       m ? ratio(x->qemu_expected_downtime_ns, x->down.total_ns) : 0);
	}
	printf("(rounds: measured/plan; error: predicted / measured; plan(h): plan with the "
	       "migration's measured harvest)\n");
}

/* ---- the run folder ---- */


static int fill_json(FILE *f, const void *ctx)
{
	return json_dumpf((const json_t *)ctx, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) ? -EIO
											 : fputc('\n', f) == EOF ? -EIO : 0;
}

struct results {
	const struct ds_mig_result *r;
	size_t n;
};

static int fill_rounds(FILE *f, const void *ctx)
{
	const struct results *rs = ctx;
	size_t i, k;

	fputs("migration,round,kind,start_ns,pages_sent,bytes_sent,send_ns,harvest_ns,"
	      "dirty_pages,round_ns,link_bytes_per_s,pending_bytes,threshold_bytes,"
	      "qemu_expected_downtime_ns,page_writes\n",
	      f);
	for (i = 0; i < rs->n; i++)
		for (k = 0; k < rs->r[i].nrounds; k++) {
			const struct ds_mig_round *x = &rs->r[i].rounds[k];

			fprintf(f, "%zu,%u,%s,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu\n",
				i, x->round, x->kind == DS_ROUND_STOP ? "stop" : "precopy",
				(unsigned long long)x->start_ns, (unsigned long long)x->pages_sent,
				(unsigned long long)x->bytes_sent, (unsigned long long)x->send_ns,
				(unsigned long long)x->harvest_ns, (unsigned long long)x->dirty_pages,
				(unsigned long long)x->round_ns,
				(unsigned long long)x->link_bytes_per_s,
				(unsigned long long)x->pending_bytes,
				(unsigned long long)x->threshold_bytes,
				(unsigned long long)x->qemu_expected_downtime_ns,
				(unsigned long long)x->page_writes);
		}
	return 0;
}

/* An unknown value is an empty field: gnuplot skips the point. */
static void csv_u64(FILE *f, bool known, uint64_t v)
{
	if (known)
		fprintf(f, ",%llu", (unsigned long long)v);
	else
		fputc(',', f);
}

static void csv_ratio(FILE *f, bool known, uint64_t predicted, uint64_t measured)
{
	if (known && measured)
		fprintf(f, ",%.4f", ratio(predicted, measured));
	else
		fputc(',', f);
}

static int fill_migrations(FILE *f, const void *ctx)
{
	const struct results *rs = ctx;
	size_t i;

	fputs("migration,device_bytes,bandwidth_bytes_per_s,dirty_rate_bytes_per_s,"
	      "working_set_bytes,outcome,rounds,plan_rounds,measured_downtime_ns,stop_ns,"
	      "final_harvest_ns,transfer_ns,state_ns,resume_ns,plan_downtime_ns,"
	      "plan_measured_harvest_downtime_ns,qemu_expected_downtime_ns,ratio_plan,"
	      "ratio_plan_measured_harvest,ratio_qemu,verified,warnings\n",
	      f);
	for (i = 0; i < rs->n; i++) {
		const struct ds_mig_result *x = &rs->r[i];
		const struct ds_mig_downtime *d = &x->down;
		bool m = x->resumed, p = x->plan.valid, ph = x->plan_measured.valid;

		fprintf(f, "%zu,%llu,%llu,%llu,%llu,%s,%llu", i,
			(unsigned long long)x->pt.device_bytes, (unsigned long long)x->pt.bandwidth,
			(unsigned long long)x->pt.dirty_rate, (unsigned long long)x->pt.working_set,
			ds_mig_outcome_name(x->outcome), (unsigned long long)x->precopy_rounds);
		csv_u64(f, p, x->plan.plan.rounds);
		csv_u64(f, m, d->total_ns);
		csv_u64(f, m, d->stop_ns);
		csv_u64(f, m, d->final_harvest_ns);
		csv_u64(f, m, d->transfer_ns);
		csv_u64(f, m, d->state_ns);
		csv_u64(f, m, d->resume_ns);
		csv_u64(f, p, x->plan.plan.downtime_ns);
		csv_u64(f, ph, x->plan_measured.plan.downtime_ns);
		csv_u64(f, m, x->qemu_expected_downtime_ns);
		csv_ratio(f, m && p, x->plan.plan.downtime_ns, d->total_ns);
		csv_ratio(f, m && ph, x->plan_measured.plan.downtime_ns, d->total_ns);
		csv_ratio(f, m, x->qemu_expected_downtime_ns, d->total_ns);
		fprintf(f, ",%s,%u\n", !x->verify.done ? "" : x->verify.ok ? "yes" : "no",
			x->nwarnings);
	}
	return 0;
}

static json_t *ji(uint64_t v)
{
	return json_integer((json_int_t)v);
}

static json_t *jratio(bool known, uint64_t predicted, uint64_t measured)
{
	return known && measured ? json_real(ratio(predicted, measured)) : json_null();
}

static json_t *plan_json(const struct ds_mig_prediction *p)
{
	const struct ds_plan_size *s = &p->plan;

	if (!p->valid)
		return json_null();
	return json_pack("{s:o,s:b,s:s,s:o,s:o,s:s,s:o,s:o,s:o,s:o,s:b}", "rounds", ji(s->rounds),
			 "converged", s->converged, "stop", ds_plan_stop_name(s->stop),
			 "dirty_bytes", ji(s->dirty_bytes), "final_harvest_ns",
			 ji(s->final_harvest_ns), "harvest_source",
			 ds_harvest_source_name(s->harvest_source), "transfer_ns",
			 ji(s->transfer_ns), "state_ns", ji(s->state_ns), "downtime_ns",
			 ji(s->downtime_ns), "precopy_ns", ji(s->precopy_ns), "fits", s->fits);
}

static json_t *migration_json(const struct ds_mig_opts *o, const struct ds_mig_result *x,
			      size_t index)
{
	const struct ds_mig_downtime *d = &x->down;
	const struct ds_mig_verify *v = &x->verify;
	json_t *first = json_array(), *warnings = json_array(), *measured, *verify, *fault;
	bool m = x->resumed;
	const char *stop = NULL;
	uint64_t i;

	for (i = 0; first && i < v->nfirst; i++)
		json_array_append_new(first, ji(v->first[i]));
	if (x->outcome == DS_MIG_CONVERGED && x->switched)
		stop = "limit_met";
	else if (x->switched)
		stop = "max_rounds";
	measured = !m ? json_null()
		      : json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "downtime_ns",
				  ji(d->total_ns), "stop_ns", ji(d->stop_ns), "final_harvest_ns",
				  ji(d->final_harvest_ns), "transfer_ns", ji(d->transfer_ns),
				  "state_ns", ji(d->state_ns), "resume_ns", ji(d->resume_ns), "pages",
				  ji(d->pages), "transfer_bytes", ji(d->transfer_bytes),
				  "link_lost_ns", ji(d->link_lost_ns));
	for (i = 0; warnings && i < x->nwarnings; i++)
		json_array_append_new(warnings, json_string(x->warnings[i]));
	verify = json_pack("{s:b,s:o,s:o,s:o,s:o,s:o}", "checked", v->done, "ok",
			   v->done ? json_boolean(v->ok) : json_null(), "pages", ji(v->pages),
			   "mismatched_pages", v->done ? ji(v->mismatched) : json_null(),
			   "first_mismatched", first, "state_ok",
			   v->done ? json_boolean(v->state_ok) : json_null());
	fault = o->fault == DS_FAULT_NONE
			? json_null()
			: json_pack("{s:s,s:o}", "kind",
				    o->fault == DS_FAULT_DROP_BIT     ? "drop-bit"
				    : o->fault == DS_FAULT_DEST_STALL ? "dest-stall"
								      : "dest-close",
				    "page",
				    x->fault_page >= 0 ? ji((uint64_t)x->fault_page) : json_null());
	return json_pack(
		"{s:o,s:o,s:o,s:o,s:o,s:s,s:s?,s:o,s:o,s:b,s:b,s:o,s:o,"
		"s:{s:o,s:o,s:o,s:o,s:o,s:o},s:{s:o,s:o,s:o},s:o,s:s?,s:o,s:o,s:o,s:o,"
		"s:{s:o,s:o,s:o},s:o,s:o,s:o}",
		"index", ji(index), "device_bytes", ji(x->pt.device_bytes), "bandwidth_bytes_per_s",
		ji(x->pt.bandwidth), "dirty_rate_bytes_per_s", ji(x->pt.dirty_rate),
		"working_set_bytes", ji(x->pt.working_set), "outcome",
		ds_mig_outcome_name(x->outcome), "error", x->error[0] ? x->error : NULL,
		"precopy_rounds", ji(x->precopy_rounds), "precopy_ns",
		x->switched ? ji(x->precopy_ns) : json_null(), "switched_over", x->switched,
		"resumed", x->resumed, "bytes_sent", ji(x->bytes_sent), "pages_sent",
		ji(x->pages_sent), "link", "bandwidth_bytes_per_s", ji(x->pt.bandwidth),
		"measured_bytes_per_s", ji(x->link_bytes_per_s), "chunk_bytes",
		ji(x->link_chunk_bytes), "depth_ns", ji(x->link_depth_ns), "blocked_ns",
		ji(x->link_blocked_ns), "lost_ns", ji(x->link_lost_ns), "writes", "page_writes", ji(x->page_writes), "ns",
		ji(x->writes_ns), "rate_bytes_per_s",
		x->writes_ns ? ji((uint64_t)((unsigned __int128)x->page_writes * DS_MIG_PAGE *
					     1000000000u / x->writes_ns))
			     : json_null(),
		"harvest_median_ns", x->harvest_median_ns ? ji(x->harvest_median_ns) : json_null(),
		"switchover", stop, "measured", measured, "qemu_expected_downtime_ns",
		m ? ji(x->qemu_expected_downtime_ns) : json_null(), "plan", plan_json(&x->plan),
		"plan_measured_harvest", plan_json(&x->plan_measured), "ratio", "plan",
		jratio(m && x->plan.valid, x->plan.plan.downtime_ns, d->total_ns),
		"plan_measured_harvest",
		jratio(m && x->plan_measured.valid, x->plan_measured.plan.downtime_ns, d->total_ns),
		"qemu", jratio(m, x->qemu_expected_downtime_ns, d->total_ns), "verification", verify,
		"fault", fault, "warnings", warnings);
}

static void utc_now(char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *status_name(enum ds_mig_status s)
{
	static const char *const names[] = {"running", "complete", "interrupted", "failed"};

	return names[s];
}

static int write_meta(struct ds_mig_folder *f, enum ds_mig_status status, int sig,
		      const char *error)
{
	char ended[32];
	const char *signame = ds_stop_signal_name(sig);
	json_t *argv = json_array(), *pts = json_array(), *meta;
	size_t i;
	int ret;

	for (i = 0; argv && i < (size_t)f->opts->argc; i++)
		json_array_append_new(argv, json_string(f->opts->argv[i]));
	for (i = 0; pts && i < f->npts; i++)
		json_array_append_new(
			pts, json_pack("{s:o,s:o,s:o,s:o,s:o}", "index", ji(i), "device_bytes",
				       ji(f->pts[i].device_bytes), "bandwidth_bytes_per_s",
				       ji(f->pts[i].bandwidth), "dirty_rate_bytes_per_s",
				       ji(f->pts[i].dirty_rate), "working_set_bytes",
				       ji(f->pts[i].working_set)));
	utc_now(ended, sizeof(ended));
	meta = json_pack("{s:i,s:s,s:{s:s,s:s,s:s},s:s,s:s?,s:s,s:s?,s:s?,s:o,s:s,s:s,s:o,s:o,s:o}",
			 "schema_version", SCHEMA_VERSION, "kind", "migrate", "tool", "name",
			 "dirtyscope", "version", DS_VERSION, "git_revision", DS_GIT_REVISION,
			 "created_utc", f->created_utc, "ended_utc",
			 status == DS_MIG_RUNNING ? NULL : ended, "status", status_name(status),
			 "signal", signame, "error", error, "command_line", argv, "backend",
			 f->opts->backend, "harvest", f->opts->harvest, "host", ds_host_info(),
			 "config", ds_mig_config_json(f->opts), "migrations", pts);
	if (!meta)
		return -ENOMEM;
	ret = ds_write_whole(f->path, "meta.json", 0, fill_json, meta);
	json_decref(meta);
	return ret;
}


int ds_mig_folder_begin(struct ds_mig_folder *f, const struct ds_mig_opts *o,
			const struct ds_mig_point *pts, size_t npts, const char **why)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	int ret, n;

	memset(f, 0, sizeof(*f));
	f->opts = o;
	f->pts = pts;
	f->npts = npts;
	utc_now(f->created_utc, sizeof(f->created_utc));
	if (o->out) {
		if (strlen(o->out) + 32 >= sizeof(f->path)) {
			*why = "not a usable path";
			return -1;
		}
		snprintf(f->path, sizeof(f->path), "%s", o->out);
		ret = ds_make_parents(f->path);
		if (ret < 0 || (mkdir(f->path, 0777) && errno != EEXIST)) {
			*why = ret == -ENOTDIR || errno == ENOTDIR ? "a file is in the way"
								   : strerror(ret < 0 ? -ret : errno);
			return -1;
		}
		ret = ds_is_empty(f->path);
		if (ret <= 0) {
			*why = ret == 0 ? "the folder is not empty (an earlier run?): choose another "
					  "--out"
					: ret == -ENOTDIR ? "a file is in the way"
							  : strerror(-ret);
			return -1;
		}
	} else {
		gmtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
		snprintf(f->path, sizeof(f->path), "results/runs/%s-migrate", stamp);
		ret = ds_make_parents(f->path);
		if (ret < 0) {
			*why = strerror(-ret);
			return -1;
		}
		/* mkdir is the test and the claim at once: a second run gets the next name. */
		for (n = 2; mkdir(f->path, 0777); n++) {
			if (errno != EEXIST || n > 1000) {
				*why = strerror(errno);
				return -1;
			}
			snprintf(f->path, sizeof(f->path), "results/runs/%s-migrate-%d", stamp, n);
		}
	}
	ret = write_meta(f, DS_MIG_RUNNING, 0, NULL);
	if (ret < 0) {
		*why = strerror(-ret);
		return -1;
	}
	return 0;
}

int ds_mig_folder_write(struct ds_mig_folder *f, enum ds_mig_status status, int sig,
			const char *error, const struct ds_mig_result *r, size_t n)
{
	struct results rs = {.r = r, .n = n};
	json_t *summary = json_array(), *doc;
	int ret = 0, err;
	size_t i;

	for (i = 0; summary && i < n; i++)
		json_array_append_new(summary, migration_json(f->opts, &r[i], i));
	doc = json_pack("{s:i,s:o}", "schema_version", SCHEMA_VERSION, "migrations", summary);
	err = ds_write_whole(f->path, "rounds.csv", 0, fill_rounds, &rs);
	ret = ret ? ret : err;
	err = ds_write_whole(f->path, "migrations.csv", 0, fill_migrations, &rs);
	ret = ret ? ret : err;
	err = doc ? ds_write_whole(f->path, "summary.json", 0, fill_json, doc) : -ENOMEM;
	ret = ret ? ret : err;
	json_decref(doc);
	/* meta.json last: a status other than running promises the other files. */
	err = write_meta(f, status, sig, error);
	return ret ? ret : err;
}
