// SPDX-License-Identifier: MIT
/*
 * precopy.c - one migration, as QEMU runs it:
 *
 *   the VM runs (writers start), dirty tracking starts;
 *   round 0 sends the whole region, then harvests;
 *   round k sends what the last harvest reported, then harvests;
 *   after each harvest, QEMU's rule: switch over when the pending bytes
 *   (dirty pages and the device state) fit in what the link carries
 *   within the downtime limit at its measured rate; or at --max-rounds;
 *   stop-and-copy: pause (stop the writers), the final harvest, send the
 *   pages still dirty and the state, RESUME; the destination resumes and
 *   says when. The downtime is pause -> resume;
 *   then the check: the destination compares every page with the source's.
 *
 * The measured link rate is QEMU's (migration_update_counters()): bytes
 * handed to the link over a window of at least 100 ms, harvests included,
 * updated at the end of each round. expected_downtime is QEMU's too: the
 * dirty bytes of the last harvest over that rate.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "link.h"
#include "migrate.h"
#include "source.h"
#include "units.h"
#include "wire.h"
#include "writers.h"

/* QEMU's BUFFER_DELAY: the bandwidth is measured over at least this long. */
#define BANDWIDTH_WINDOW_NS 100000000ull

struct mig {
	const struct ds_mig_opts *o;
	const struct ds_mig_point *pt;
	struct ds_mig_result *res;
	const volatile int *stop;
	struct ds_source *src;
	struct ds_writers *wr;
	struct ds_link l;
	bool linked;
	uint64_t t0;		 /* the migration's start: tracking on, round 0 begins */
	uint64_t win_t, win_bytes; /* the bandwidth's window */
	uint64_t bw;		 /* QEMU's measured bandwidth, bytes/s */
	uint64_t *harvests;	 /* every harvest's time, for the median */
	size_t nharvests;
};

static int failf(struct mig *m, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static bool stopped(const struct mig *m)
{
	return m->stop && __atomic_load_n(m->stop, __ATOMIC_RELAXED);
}

/*
 * The first failure wins: later ones are its consequences. So is a failure
 * once a stop was asked for: the signal stops the destination too, and
 * the source's next send can find it gone (EPIPE) before it reads its own
 * flag; the migration was interrupted, not failed.
 */
static int failf(struct mig *m, int err, const char *fmt, ...)
{
	va_list ap;

	if (m->res->outcome == DS_MIG_FAILED || m->res->outcome == DS_MIG_INTERRUPTED)
		return err;
	m->res->outcome = err == -ECANCELED || stopped(m) ? DS_MIG_INTERRUPTED : DS_MIG_FAILED;
	va_start(ap, fmt);
	vsnprintf(m->res->error, sizeof(m->res->error), fmt, ap);
	va_end(ap);
	return err;
}

/* After a broken send: the destination may have said why before it hung up. */
static void abort_reason(struct mig *m, char *buf, size_t len)
{
	struct ds_wire_hdr h;
	char reason[DS_WIRE_REASON];
	uint64_t keep = m->l.io_timeout_ns;

	buf[0] = '\0';
	m->l.io_timeout_ns = 200000000;
	if (ds_link_recv(&m->l, &h, sizeof(h)) == 0 && h.type == DS_MSG_ABORT &&
	    ds_link_recv(&m->l, reason, sizeof(reason)) == 0) {
		reason[sizeof(reason) - 1] = '\0';
		snprintf(buf, len, " (the destination: %s)", reason);
	}
	m->l.io_timeout_ns = keep;
}

static int link_fail(struct mig *m, int err, const char *when)
{
	char reason[DS_WIRE_REASON + 32], t[24];

	if (err == -ECANCELED)
		return failf(m, err, "interrupted %s", when);
	if (err == -ETIMEDOUT)
		return failf(m, err,
			     "the destination fell behind %s: it took no byte for %s "
			     "(--io-timeout)",
			     when, ds_format_ns(t, sizeof(t), (double)m->o->io_timeout_ns));
	abort_reason(m, reason, sizeof(reason));
	return failf(m, err, "the connection broke %s: %s%s", when, strerror(-err), reason);
}

static int push_round(struct mig *m, const struct ds_mig_round *r)
{
	struct ds_mig_result *res = m->res;
	struct ds_mig_round *n;

	if (res->nrounds == res->rounds_cap) {
		n = realloc(res->rounds, (res->rounds_cap * 2 + 8) * sizeof(*n));
		if (!n)
			return failf(m, -ENOMEM, "recording a round: %s", strerror(ENOMEM));
		res->rounds = n;
		res->rounds_cap = res->rounds_cap * 2 + 8;
	}
	res->rounds[res->nrounds++] = *r;
	return 0;
}

static int harvest(struct mig *m, uint64_t *ns, uint64_t *dirty)
{
	uint64_t *n;
	int ret = ds_source_harvest(m->src, ns, dirty);

	if (ret < 0)
		return failf(m, ret, "GET_BITMAP: %s", strerror(-ret));
	n = realloc(m->harvests, (m->nharvests + 1) * sizeof(*n));
	if (!n)
		return failf(m, -ENOMEM, "recording a harvest: %s", strerror(ENOMEM));
	m->harvests = n;
	m->harvests[m->nharvests++] = *ns;
	return 0;
}

/* QEMU's migration_update_counters(): a new rate once the window is 100 ms old. */
static void update_bandwidth(struct mig *m, uint64_t now)
{
	uint64_t dt = now - m->win_t;

	if (m->bw && dt < BANDWIDTH_WINDOW_NS)
		return;
	if (dt)
		m->bw = (uint64_t)((unsigned __int128)(m->l.bytes_sent - m->win_bytes) * 1000000000u /
				   dt);
	m->win_t = now;
	m->win_bytes = m->l.bytes_sent;
}

static int writers_check(struct mig *m)
{
	int ret = ds_writers_error(m->wr);

	return ret < 0 ? failf(m, ret, "a writer's DMA_RW failed: %s", strerror(-ret)) : 0;
}

static int precopy(struct mig *m)
{
	const struct ds_mig_opts *o = m->o;
	struct ds_mig_result *res = m->res;
	struct ds_wire_hdr h = {.type = DS_MSG_ROUND};
	struct ds_mig_round r;
	uint64_t t, w0, b0;
	char when[32];
	uint32_t round;
	int ret;

	for (round = 0;; round++) {
		memset(&r, 0, sizeof(r));
		r.round = round;
		r.kind = DS_ROUND_PRECOPY;
		t = ds_mig_now_ns();
		r.start_ns = t - m->t0;
		w0 = ds_writers_count(m->wr);
		b0 = m->l.bytes_sent;
		snprintf(when, sizeof(when), "in round %u", round);

		ds_link_begin(&m->l);
		ret = ds_source_send_pages(m->src, &m->l, round, round == 0, &r.pages_sent);
		h.arg = round;
		if (!ret)
			ret = ds_link_send(&m->l, &h, sizeof(h));
		if (ret < 0)
			return link_fail(m, ret, when);
		r.send_ns = ds_mig_now_ns() - t;
		r.bytes_sent = m->l.bytes_sent - b0;
		res->pages_sent += r.pages_sent;
		ret = writers_check(m);
		if (!ret)
			ret = harvest(m, &r.harvest_ns, &r.dirty_pages);
		if (ret < 0)
			return ret;

		r.round_ns = ds_mig_now_ns() - t;
		r.page_writes = ds_writers_count(m->wr) - w0;
		update_bandwidth(m, t + r.round_ns);
		r.link_bytes_per_s = m->bw;
		r.pending_bytes = ds_source_pending(m->src) * DS_MIG_PAGE + o->state_bytes;
		r.threshold_bytes =
			(uint64_t)((unsigned __int128)m->bw * o->limit_ns / 1000000000u);
		r.qemu_expected_downtime_ns =
			m->bw ? (uint64_t)((unsigned __int128)r.dirty_pages * DS_MIG_PAGE *
					   1000000000u / m->bw)
			      : 0;
		ret = push_round(m, &r);
		if (ret < 0)
			return ret;
		res->precopy_rounds = round + 1;
		res->qemu_expected_downtime_ns = r.qemu_expected_downtime_ns;
		res->link_bytes_per_s = m->bw;

		/* QEMU's switchover: the pending bytes fit the limit at the measured rate. */
		if (r.pending_bytes <= r.threshold_bytes) {
			res->outcome = DS_MIG_CONVERGED;
			break;
		}
		if (round + 1 >= o->max_rounds) {
			res->outcome = DS_MIG_FORCED;
			break;
		}
		if (stopped(m))
			return failf(m, -ECANCELED, "interrupted after round %u", round);
	}
	res->precopy_ns = ds_mig_now_ns() - m->t0;
	return 0;
}

/* The destination's answer to RESUME or VERIFY: its header, or an ABORT turned into a failure. */
static int answer(struct mig *m, uint32_t want, struct ds_wire_hdr *h, void *body, size_t len,
		  const char *when)
{
	char reason[DS_WIRE_REASON];
	int ret = ds_link_recv(&m->l, h, sizeof(*h));

	if (!ret && h->type == DS_MSG_ABORT) {
		ret = ds_link_recv(&m->l, reason, sizeof(reason));
		reason[sizeof(reason) - 1] = '\0';
		return failf(m, -EPROTO, "the destination gave up %s: %s", when,
			     ret ? "(no reason came)" : reason);
	}
	if (!ret && h->type != want)
		return failf(m, -EPROTO, "the destination answered %s with message type %u", when,
			     h->type);
	if (!ret)
		ret = ds_link_recv(&m->l, body, len);
	if (ret == -ETIMEDOUT) {
		char t[24];

		return failf(m, ret, "the destination did not answer %s within %s (--io-timeout)",
			     when, ds_format_ns(t, sizeof(t), (double)m->o->io_timeout_ns));
	}
	return ret < 0 ? link_fail(m, ret, when) : 0;
}

static int stop_and_copy(struct mig *m)
{
	struct ds_mig_result *res = m->res;
	struct ds_mig_downtime *d = &res->down;
	struct ds_wire_hdr h = {.type = DS_MSG_RESUME};
	struct ds_wire_resumed resumed;
	struct ds_mig_round r;
	uint64_t t_pause, t_h0, t_h1, t_pages, t_state, w0, b0, lost0;
	int ret;

	memset(&r, 0, sizeof(r));
	r.round = (uint32_t)res->precopy_rounds;
	r.kind = DS_ROUND_STOP;
	w0 = ds_writers_count(m->wr);
	/* The VM pause: from here until the destination resumes is the downtime. */
	t_pause = ds_mig_now_ns();
	r.start_ns = t_pause - m->t0;
	ret = ds_writers_stop(m->wr);
	if (ret < 0)
		return failf(m, ret, "a writer's DMA_RW failed: %s", strerror(-ret));
	res->page_writes = ds_writers_count(m->wr);
	res->writes_ns = t_pause - m->t0;
	r.page_writes = res->page_writes - w0;
	res->switched = true;

	t_h0 = ds_mig_now_ns();
	ret = harvest(m, &r.harvest_ns, &r.dirty_pages);
	if (ret < 0)
		return ret;
	t_h1 = ds_mig_now_ns();
	if (m->o->fault == DS_FAULT_DROP_BIT) {
		res->fault_page = ds_source_drop_stale(m->src);
		if (res->fault_page < 0)
			return failf(m, -ENOENT, "the drop-bit fault hook found no page of the "
						 "stop-and-copy that the destination holds stale");
	}

	ds_link_begin(&m->l);
	b0 = m->l.bytes_sent;
	lost0 = m->l.lost_ns;
	ret = ds_source_send_pages(m->src, &m->l, r.round, false, &r.pages_sent);
	t_pages = ds_mig_now_ns();
	if (!ret)
		ret = ds_source_send_state(m->src, &m->l);
	t_state = ds_mig_now_ns();
	if (!ret)
		ret = ds_link_send(&m->l, &h, sizeof(h));
	if (ret < 0)
		return link_fail(m, ret, "during the stop-and-copy");
	res->pages_sent += r.pages_sent;
	r.bytes_sent = m->l.bytes_sent - b0;
	r.send_ns = t_state - t_h1;
	res->bytes_sent = m->l.bytes_sent;
	res->link_blocked_ns = m->l.blocked_ns;
	res->link_lost_ns = m->l.lost_ns;
	d->link_lost_ns = m->l.lost_ns - lost0;

	ret = answer(m, DS_MSG_RESUMED, &h, &resumed, sizeof(resumed), "RESUME");
	if (ret < 0)
		return ret;
	res->resumed = true;
	if (h.arg < t_state)
		return failf(m, -EPROTO, "the destination resumed before the source sent RESUME: "
					 "its clock is not this machine's CLOCK_MONOTONIC");
	d->total_ns = h.arg - t_pause;
	d->stop_ns = t_h0 - t_pause;
	d->final_harvest_ns = t_h1 - t_h0;
	d->transfer_ns = t_pages - t_h1;
	d->state_ns = t_state - t_pages;
	d->resume_ns = h.arg - t_state;
	d->pages = r.pages_sent;
	d->transfer_bytes = r.bytes_sent;

	r.round_ns = d->total_ns;
	r.link_bytes_per_s = m->bw;
	r.qemu_expected_downtime_ns = res->qemu_expected_downtime_ns;
	return push_round(m, &r);
}

static int check(struct mig *m)
{
	struct ds_mig_result *res = m->res;
	struct ds_mig_verify *v = &res->verify;
	uint64_t pages = m->src->pages, *sums, i;
	struct ds_wire_hdr h = {.type = DS_MSG_VERIFY, .arg = pages};
	struct ds_wire_verified got;
	char list[200] = "", fault[96] = "";
	size_t n = 0;
	int ret;

	ret = ds_source_stop(m->src);
	if (ret < 0)
		return failf(m, ret, "dirty tracking STOP: %s", strerror(-ret));
	sums = malloc((pages + 1) * 8);
	if (!sums)
		return failf(m, -ENOMEM, "checksums: %s", strerror(ENOMEM));
	ds_source_sums(m->src, sums, &sums[pages]);
	/* After the resume: the check is not part of the migration, so it is not paced. */
	ret = ds_link_send_unpaced(&m->l, &h, sizeof(h));
	if (!ret)
		ret = ds_link_send_unpaced(&m->l, sums, (pages + 1) * 8);
	free(sums);
	if (ret < 0)
		return link_fail(m, ret, "sending the checksums");
	ret = answer(m, DS_MSG_VERIFIED, &h, &got, sizeof(got), "VERIFY");
	if (ret < 0)
		return ret;

	v->done = true;
	v->pages = pages;
	v->mismatched = h.arg;
	v->state_ok = got.state_ok;
	v->nfirst = got.nlisted < DS_WIRE_LIST ? got.nlisted : DS_WIRE_LIST;
	memcpy(v->first, got.first, sizeof(v->first));
	v->ok = !v->mismatched && v->state_ok;
	if (v->ok)
		return 0;
	for (i = 0; i < v->nfirst && n < sizeof(list); i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%llu", i ? ", " : "",
				      (unsigned long long)v->first[i]);
	if (res->fault_page >= 0)
		snprintf(fault, sizeof(fault), " (the drop-bit fault hook dropped page %lld)",
			 (long long)res->fault_page);
	if (v->mismatched)
		return failf(m, -EIO,
			     "the destination's copy differs from the source's in %llu of %llu "
			     "pages (first: %s)%s: a dirty page was lost",
			     (unsigned long long)v->mismatched, (unsigned long long)pages, list,
			     fault);
	return failf(m, -EIO, "the destination's device state differs from the source's");
}

static int hello(struct mig *m, bool last)
{
	struct {
		struct ds_wire_hdr h;
		struct ds_wire_hello hi;
	} msg;
	int ret;

	memset(&msg, 0, sizeof(msg));
	msg.h.type = DS_MSG_HELLO;
	msg.h.arg = DS_WIRE_MAGIC;
	msg.hi.version = DS_WIRE_VERSION;
	msg.hi.page_bytes = DS_MIG_PAGE;
	msg.hi.pages = m->src->pages;
	msg.hi.state_bytes = m->o->state_bytes;
	msg.hi.flags = last ? DS_HELLO_LAST : 0;
	ret = ds_link_send_unpaced(&m->l, &msg, sizeof(msg));
	return ret < 0 ? link_fail(m, ret, "sending HELLO") : 0;
}

/* Wait until the destination has populated its region: outside every measurement. */
static int ready(struct mig *m)
{
	uint64_t bytes = m->src->bytes;
	struct ds_wire_hdr h;
	char reason[DS_WIRE_REASON];
	int ret;

	do {
		ret = ds_link_recv(&m->l, &h, sizeof(h));
		if (ret == -ETIMEDOUT) {
			char t[24];

			return failf(m, ret, "the destination made no progress populating its "
					     "region for %s (--io-timeout)",
				     ds_format_ns(t, sizeof(t), (double)m->o->io_timeout_ns));
		}
		if (ret < 0)
			return link_fail(m, ret, "waiting for the destination to be ready");
		if (h.type == DS_MSG_ABORT) {
			ret = ds_link_recv(&m->l, reason, sizeof(reason));
			reason[sizeof(reason) - 1] = '\0';
			return failf(m, -EPROTO, "the destination refused the migration: %s",
				     ret ? "(no reason came)" : reason);
		}
		if (h.type != DS_MSG_READY || h.arg > bytes)
			return failf(m, -EPROTO, "the destination answered HELLO with message type "
						 "%u",
				     h.type);
	} while (h.arg < bytes);
	return 0;
}

static void warn(struct ds_mig_result *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void warn(struct ds_mig_result *res, const char *fmt, ...)
{
	va_list ap;

	if (res->nwarnings == sizeof(res->warnings) / sizeof(res->warnings[0]))
		return;
	va_start(ap, fmt);
	vsnprintf(res->warnings[res->nwarnings++], sizeof(res->warnings[0]), fmt, ap);
	va_end(ap);
}

/*
 * What may make this measurement a poor one, in its own words: the machine
 * in the way of the link or of the writers, never the model being wrong.
 */
static void warnings(struct ds_mig_result *res)
{
	const struct ds_mig_downtime *d = &res->down;
	uint64_t ideal, asked, got;
	char a[24], b[24];

	if (res->resumed) {
		ideal = (uint64_t)((unsigned __int128)d->transfer_bytes * 1000000000u /
				   res->pt.bandwidth);
		/* 10 % and a millisecond: the last wake-up's delay is not worth a line. */
		if (d->transfer_ns + d->state_ns > ideal + ideal / 10 + 1000000)
			warn(res,
			     "the stop-and-copy took %s to send what the link carries in %s "
			     "(the source %s)",
			     ds_format_ns(a, sizeof(a), (double)(d->transfer_ns + d->state_ns)),
			     ds_format_ns(b, sizeof(b), (double)ideal),
			     d->link_lost_ns ? "was descheduled: a loaded machine"
					     : "or the destination was slow");
	}
	/*
	 * Stopping the writers and the destination's last receive take about
	 * 0.3 ms on a quiet machine; neither plan nor QEMU counts them, so
	 * where they are a tenth of the downtime the comparison is the
	 * machine's, not the model's.
	 */
	if (res->resumed && d->stop_ns + d->resume_ns > 1000000 &&
	    d->stop_ns + d->resume_ns > d->total_ns / 10)
		warn(res, "stopping the writers (%s) and the destination's last receive (%s) are "
			  "%.0f %% of the downtime: descheduled threads",
		     ds_format_ns(a, sizeof(a), (double)d->stop_ns),
		     ds_format_ns(b, sizeof(b), (double)d->resume_ns),
		     100.0 * (double)(d->stop_ns + d->resume_ns) / (double)d->total_ns);
	/* Over 100 pages due at least, the rate is the schedule's to a page. */
	asked = res->pt.dirty_rate;
	if (res->writes_ns && (unsigned __int128)asked * res->writes_ns >=
				      (unsigned __int128)100 * DS_MIG_PAGE * 1000000000u) {
		got = (uint64_t)((unsigned __int128)res->page_writes * DS_MIG_PAGE * 1000000000u /
				 res->writes_ns);
		if (got < asked - asked / 20)
			warn(res, "the writers managed %s of the %s asked (a loaded machine, or "
				  "uffd's write faults)",
			     ds_mig_format_rate(a, sizeof(a), (double)got),
			     ds_mig_format_rate(b, sizeof(b), (double)asked));
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void ds_mig_result_release(struct ds_mig_result *res)
{
	free(res->rounds);
	res->rounds = NULL;
	res->nrounds = res->rounds_cap = 0;
}

int ds_mig_run(const struct ds_mig_opts *o, const struct ds_mig_point *pt,
	       const struct sockaddr_in *dest, bool last, const volatile int *stop,
	       struct ds_mig_result *res)
{
	struct ds_source_params sp = {
		.backend = o->backend,
		.harvest = o->harvest,
		.device_bytes = pt->device_bytes,
		.page_bytes = DS_MIG_PAGE,
		.mappings = o->mappings,
		.state_bytes = o->state_bytes,
		.seed = o->seed,
		.track_sends = o->fault == DS_FAULT_DROP_BIT,
		.stop = stop,
	};
	struct ds_writer_params wp;
	struct mig m = {.o = o, .pt = pt, .res = res, .stop = stop};
	char addr[INET_ADDRSTRLEN] = "?";
	const char *what = "?";
	int ret, fd;

	memset(res, 0, sizeof(*res));
	res->pt = *pt;
	res->fault_page = -1;
	res->outcome = DS_MIG_CONVERGED; /* until the rounds say otherwise */

	ret = ds_source_create(&sp, &m.src, &what);
	if (ret == -ECANCELED) {
		failf(&m, ret, "interrupted %s", what);
		goto out;
	}
	if (ret < 0) {
		failf(&m, ret, "setting up the source: %s: %s%s", what, strerror(-ret),
		      !strcmp(o->backend, "uffd") && !strcmp(what, "dt_container_create")
			      ? " (the uffd backend needs Linux >= 6.7 with userfaultfd async "
				"write-protect and PAGEMAP_SCAN: docs/uffd.md)"
			      : "");
		goto out;
	}
	inet_ntop(AF_INET, &dest->sin_addr, addr, sizeof(addr));
	ret = ds_link_connect(dest, o->io_timeout_ns, stop, &fd);
	if (ret < 0) {
		failf(&m, ret, "connecting to the destination at %s:%u: %s%s", addr,
		      ntohs(dest->sin_port), ret == -ECANCELED ? "interrupted" : strerror(-ret),
		      ret == -ECONNREFUSED ? " (nothing listens there: start `dirtyscope migrate "
					     "--listen ADDRESS:PORT` first)"
					   : "");
		goto out;
	}
	ds_link_init(&m.l, fd, pt->bandwidth, o->io_timeout_ns, stop);
	m.linked = true;
	res->link_chunk_bytes = m.l.chunk;
	res->link_depth_ns = m.l.depth_ns;
	ret = hello(&m, last);
	if (!ret)
		ret = ready(&m);
	if (ret < 0)
		goto out;

	/* The VM runs before the migration starts; then tracking starts and round 0 begins. */
	memset(&wp, 0, sizeof(wp));
	wp.c = m.src->c;
	wp.iova_base = m.src->iova_base;
	/* The model sees DMA_RW only; uffd sees the memory, so the writers just store. */
	wp.mem = strcmp(o->backend, "model") ? m.src->mem : NULL;
	wp.page_bytes = DS_MIG_PAGE;
	wp.pages = m.src->pages;
	wp.ws_pages = pt->working_set / DS_MIG_PAGE;
	wp.pattern = o->pattern;
	wp.hot_percent = o->hot_percent;
	wp.hot_share = o->hot_share;
	wp.rate = pt->dirty_rate;
	wp.rw_bytes = o->rw_bytes;
	wp.threads = o->threads;
	wp.seed = o->seed;
	wp.write_ns = m.src->write_ns;
	ret = ds_writers_start(&wp, &m.wr);
	if (ret < 0) {
		failf(&m, ret, "starting the writers: %s", strerror(-ret));
		goto out;
	}
	ret = ds_source_start(m.src);
	if (ret < 0) {
		failf(&m, ret, "dirty tracking START: %s", strerror(-ret));
		goto out;
	}
	m.t0 = ds_mig_now_ns();
	m.win_t = m.t0;
	m.win_bytes = m.l.bytes_sent;

	ret = precopy(&m);
	if (!ret)
		ret = stop_and_copy(&m);
	if (!ret)
		ret = check(&m);
out:
	if (m.linked && !res->link_lost_ns) {
		res->link_blocked_ns = m.l.blocked_ns;
		res->link_lost_ns = m.l.lost_ns;
	}
	if (m.wr && !res->page_writes)
		res->page_writes = ds_writers_count(m.wr);
	ds_writers_destroy(m.wr);
	if (m.linked)
		ds_link_close(&m.l);
	ds_source_destroy(m.src);
	if (m.nharvests) {
		qsort(m.harvests, m.nharvests, sizeof(*m.harvests), cmp_u64);
		res->harvest_median_ns = m.nharvests % 2
						 ? m.harvests[m.nharvests / 2]
						 : (m.harvests[m.nharvests / 2 - 1] +
						    m.harvests[m.nharvests / 2]) / 2;
	}
	free(m.harvests);
	warnings(res);
	return ret;
}
