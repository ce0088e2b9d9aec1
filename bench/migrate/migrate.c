// SPDX-License-Identifier: MIT
/*
 * migrate.c - `dirtyscope migrate`: the sweep of migrations (one per device
 * size, bandwidth and dirty rate), the destination (a thread here, or
 * another process with --listen), signals, the run folder and the exit
 * status.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "link.h"
#include "migrate.h"
#include "stop.h"
#include "units.h"

/* The most migrations one sweep can ask: sizes x bandwidths x dirty rates. */
#define MAX_POINTS (DS_MIG_MAX_SIZES * DS_MIG_MAX_RATES * DS_MIG_MAX_RATES)

/* The signal that asks the sweep to end (SIGINT, SIGTERM, SIGHUP); 0 while none came. */
static volatile sig_atomic_t stop_signal;
/* What the source's waits and the destination's read: set by a signal, or by the end. */
static int stop_source, stop_dest;

static void on_signal(int sig)
{
	if (!stop_signal)
		stop_signal = sig;
	__atomic_store_n(&stop_source, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&stop_dest, 1, __ATOMIC_RELAXED);
}

struct dest_thread {
	pthread_t tid;
	int lfd;
	const struct ds_mig_opts *o;
	struct ds_dest_report *rep;
	size_t max, n;
	char err[256];
	int ret;
};

static void *dest_main(void *arg)
{
	struct dest_thread *d = arg;

	/*
	 * The source connects once its region is ready, which takes as long as
	 * filling it: no timeout of its own here, the sweep's end (stop_dest)
	 * bounds the wait.
	 */
	d->ret = ds_dest_serve(d->lfd, d->o, UINT64_MAX / 2, &stop_dest, d->rep, d->max, &d->n,
			       d->err, sizeof(d->err));
	return NULL;
}

/* --listen: only the destination, until the source's last migration. */
static int listen_only(struct ds_mig_opts *o)
{
	struct sockaddr_in addr = o->listen_addr;
	struct ds_dest_report *rep;
	char host[INET_ADDRSTRLEN], a[24];
	size_t n = 0, i;
	char err[256] = "";
	int lfd, ret, status = 0;

	ret = ds_link_listen(&addr, &lfd);
	if (ret < 0) {
		fprintf(stderr, "dirtyscope migrate: --listen %s: %s\n", o->listen, strerror(-ret));
		return 1;
	}
	rep = calloc(MAX_POINTS, sizeof(*rep));
	if (!rep) {
		close(lfd);
		fprintf(stderr, "dirtyscope migrate: %s\n", strerror(ENOMEM));
		return 1;
	}
	inet_ntop(AF_INET, &addr.sin_addr, host, sizeof(host));
	/* A script that asked for port 0 reads the port from here. */
	printf("listening on %s:%u\n", host, ntohs(addr.sin_port));
	fflush(stdout);
	ret = ds_dest_serve(lfd, o, o->io_timeout_ns, &stop_dest, rep, MAX_POINTS, &n, err,
			    sizeof(err));
	close(lfd);
	for (i = 0; i < n; i++) {
		const struct ds_dest_report *r = &rep[i];

		printf("migration %zu: %llu pages (%llu copies received), %s of state, %s; %s\n",
		       i + 1, (unsigned long long)r->pages,
		       (unsigned long long)r->pages_received,
		       ds_format_bytes(a, sizeof(a), (double)r->state_bytes),
		       r->resumed ? "resumed" : "never resumed",
		       !r->verify.done ? "not checked"
		       : r->verify.ok	? "every page matches the source's"
					: "its copy DIFFERS from the source's");
		if (r->verify.done && !r->verify.ok)
			status = 1;
	}
	free(rep);
	if (ret < 0) {
		fprintf(stderr, "dirtyscope migrate: destination: %s\n", err);
		return stop_signal ? 128 + stop_signal : 1;
	}
	return status;
}

/* Why a forced switchover came: one line for people. */
static void not_converged(const struct ds_mig_opts *o, const struct ds_mig_result *r,
			  size_t index, size_t count)
{
	const struct ds_mig_round *last = NULL;
	char a[24], b[24], c[24], d[24], e[24], f[24];
	size_t i;

	for (i = 0; i < r->nrounds; i++)
		if (r->rounds[i].kind == DS_ROUND_PRECOPY)
			last = &r->rounds[i];
	if (!last)
		return;
	fprintf(stderr,
		"dirtyscope migrate: migration %zu/%zu did not converge: after %llu rounds %s were "
		"pending, more than the %s the link carries in %s at its measured %s (the "
		"writers wrote %s of pages); forced over at --max-rounds %llu: downtime "
		"%s\n",
		index + 1, count, (unsigned long long)r->precopy_rounds,
		ds_format_bytes(a, sizeof(a), (double)last->pending_bytes),
		ds_format_bytes(b, sizeof(b), (double)last->threshold_bytes),
		ds_format_ns(c, sizeof(c), (double)o->limit_ns),
		ds_format_bits_per_s(d, sizeof(d), (double)last->link_bytes_per_s),
		ds_mig_format_rate(e, sizeof(e),
				   r->writes_ns ? (double)r->page_writes * DS_MIG_PAGE * 1e9 /
							  (double)r->writes_ns
						: 0),
		(unsigned long long)o->max_rounds,
		ds_format_ns(f, sizeof(f), (double)r->down.total_ns));
}

int cmd_migrate(int argc, char **argv)
{
	struct sockaddr_in addr;
	struct ds_mig_opts o;
	struct ds_mig_point *pts = NULL;
	struct ds_mig_result *res = NULL;
	struct ds_mig_folder folder;
	struct dest_thread dest = {.lfd = -1};
	bool dest_running = false, failed = false, forced = false;
	const char *why = NULL, *error = NULL;
	enum ds_mig_status status;
	size_t npts, ndone = 0, i;
	int ret, exit_status;

	ret = ds_mig_parse_options(argc, argv, &o);
	if (ret)
		return ret < 0 ? 0 : ret;
	/* From the first moment: a signal during setup must not lose the folder. */
	ds_catch_stop_signals(on_signal);
	if (o.listen)
		return listen_only(&o);

	pts = calloc(MAX_POINTS, sizeof(*pts));
	res = calloc(MAX_POINTS, sizeof(*res));
	dest.rep = calloc(MAX_POINTS, sizeof(*dest.rep));
	if (!pts || !res || !dest.rep) {
		fprintf(stderr, "dirtyscope migrate: %s\n", strerror(ENOMEM));
		exit_status = 1;
		goto out_free;
	}
	npts = ds_mig_points(&o, pts, MAX_POINTS);
	if (ds_mig_folder_begin(&folder, &o, pts, npts, &why) < 0) {
		/* A bad --out is bad input; the default folder failing is the machine's. */
		if (o.out) {
			exit_status = ds_mig_bad("--out %s: %s", o.out, why);
		} else {
			fprintf(stderr, "dirtyscope migrate: the run folder: %s\n", why);
			exit_status = 1;
		}
		goto out_free;
	}

	if (o.connect) {
		addr = o.connect_addr;
	} else {
		/* The destination, here: a thread on an ephemeral loopback port. */
		ds_link_parse_addr("127.0.0.1:0", &addr, &why);
		ret = ds_link_listen(&addr, &dest.lfd);
		if (ret < 0) {
			fprintf(stderr, "dirtyscope migrate: listening on 127.0.0.1: %s\n",
				strerror(-ret));
			failed = true;
			error = "listening on 127.0.0.1";
			goto finish;
		}
		dest.o = &o;
		dest.max = npts;
		ret = pthread_create(&dest.tid, NULL, dest_main, &dest);
		if (ret) {
			fprintf(stderr, "dirtyscope migrate: starting the destination: %s\n",
				strerror(ret));
			failed = true;
			error = "starting the destination thread";
			goto finish;
		}
		dest_running = true;
	}

	for (i = 0; i < npts && !stop_signal; i++) {
		ret = ds_mig_run(&o, &pts[i], &addr, i + 1 == npts, &stop_source, &res[i]);
		ds_mig_predict(&o, &res[i]);
		ndone = i + 1;
		ds_mig_print_migration(&o, &res[i], i, npts);
		fflush(stdout);
		for (unsigned int w = 0; w < res[i].nwarnings; w++)
			fprintf(stderr, "dirtyscope migrate: migration %zu/%zu: warning: %s; close "
					"other programs or pin CPUs with taskset\n",
				i + 1, npts, res[i].warnings[w]);
		if (ret < 0) {
			failed = res[i].outcome != DS_MIG_INTERRUPTED;
			/* meta.json's error is for a failure; a signal has its own key. */
			error = failed ? res[i].error : NULL;
			fprintf(stderr, "dirtyscope migrate: migration %zu/%zu: %s\n", i + 1, npts,
				res[i].error);
			break;
		}
		if (res[i].outcome == DS_MIG_FORCED) {
			forced = true;
			not_converged(&o, &res[i], i, npts);
		}
		/* Between migrations, never during one: disk I/O would land in a round. */
		if (i + 1 < npts)
			ds_mig_folder_write(&folder, DS_MIG_RUNNING, 0, NULL, res, ndone);
	}

finish:
	if (dest_running) {
		__atomic_store_n(&stop_dest, 1, __ATOMIC_RELAXED);
		pthread_join(dest.tid, NULL);
		/* Its side of a failure, when it is more than the source hanging up. */
		if (failed && dest.ret < 0 && dest.ret != -EPIPE && dest.ret != -ECANCELED &&
		    dest.err[0])
			fprintf(stderr, "dirtyscope migrate: the destination: %s\n", dest.err);
	}
	if (dest.lfd >= 0)
		close(dest.lfd);
	if (ndone > 1)
		ds_mig_print_sweep(res, ndone);

	if (stop_signal) {
		status = DS_MIG_INT;
		exit_status = 128 + stop_signal;
		fprintf(stderr, "dirtyscope migrate: stopped by %s; the results so far are kept\n",
			strsignal(stop_signal));
	} else if (failed) {
		status = DS_MIG_FAIL;
		exit_status = 1;
	} else {
		status = DS_MIG_COMPLETE;
		exit_status = forced ? DS_MIG_EXIT_NOT_CONVERGED : 0;
	}
	ret = ds_mig_folder_write(&folder, status, stop_signal, error, res, ndone);
	if (ret < 0) {
		fprintf(stderr, "dirtyscope migrate: writing %s: %s\n", folder.path,
			strerror(-ret));
		if (!exit_status)
			exit_status = 1;
	}
	printf("run folder: %s\n", folder.path);
	if ((fflush(stdout) || ferror(stdout)) && !exit_status) {
		fprintf(stderr, "dirtyscope migrate: writing the table: %s\n", strerror(errno));
		exit_status = 1;
	}
out_free:
	for (i = 0; res && i < ndone; i++)
		ds_mig_result_release(&res[i]);
	free(res);
	free(pts);
	free(dest.rep);
	return exit_status;
}
