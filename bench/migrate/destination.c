// SPDX-License-Identifier: MIT
/*
 * destination.c - the destination of a migration: it accepts a connection,
 * allocates the region HELLO announces, writes every page it receives in
 * place (a page sent again overwrites the older copy, as QEMU's loader
 * does), keeps the device state, and at RESUME notes the time - the VM
 * runs again here - and tells the source. Then the check: the source sends
 * the checksum of every page and of the state, the destination compares
 * them with its own copy and answers how many differ. A lost dirty bit is
 * a page that the source wrote after its last send, so its checksum
 * differs: the run fails.
 *
 * It trusts nothing it reads: a bad message (unknown type, a page outside
 * the region, sizes that disagree with HELLO) ends the migration with an
 * ABORT that says why. Every read is bounded by --io-timeout.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "link.h"
#include "migrate.h"
#include "wire.h"

struct dest {
	struct ds_link l;
	const struct ds_mig_opts *o;
	struct ds_dest_report *r;
	struct ds_wire_hello hello;
	uint8_t *mem, *state, *batch;
	uint64_t bytes;
};

static int fail(struct dest *d, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Note why, and tell the source (best effort: the link may be the problem). */
static int fail(struct dest *d, int err, const char *fmt, ...)
{
	struct {
		struct ds_wire_hdr h;
		char reason[DS_WIRE_REASON];
	} msg;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->r->error, sizeof(d->r->error), fmt, ap);
	va_end(ap);
	memset(&msg, 0, sizeof(msg));
	msg.h.type = DS_MSG_ABORT;
	msg.h.arg = (uint64_t)(int64_t)err;
	/* Cut to what the message holds: the source reads a fixed size. */
	memcpy(msg.reason, d->r->error, sizeof(msg.reason) - 1);
	if (err != -EPIPE && err != -ECONNRESET && err != -ECANCELED)
		ds_link_send_unpaced(&d->l, &msg, sizeof(msg));
	return err;
}

static const char *link_error(int err)
{
	switch (err) {
	case -EPIPE:
		return "the source closed the connection";
	case -ETIMEDOUT:
		return "the source sent nothing for --io-timeout";
	case -ECANCELED:
		return "stopped";
	default:
		return strerror(-err);
	}
}

/*
 * Touch every page of the region before the source starts, as a
 * destination VMM allocates the guest's RAM first: a first-touch fault
 * costs microseconds (tens in a paravirtualised guest), and 16,384 of them
 * inside round 0 made the destination fall behind a 500 Mbit/s link.
 * A READY after each step tells the source it is making progress.
 */
static int populate(struct dest *d)
{
	struct ds_wire_hdr h = {.type = DS_MSG_READY};
	uint64_t off, end;
	int ret;

	for (off = 0; off < d->bytes; off = end) {
		end = d->bytes - off > DS_WIRE_POPULATE_STEP ? off + DS_WIRE_POPULATE_STEP : d->bytes;
		memset(d->mem + off, 0, end - off);
		h.arg = end;
		ret = ds_link_send_unpaced(&d->l, &h, sizeof(h));
		if (ret < 0)
			return fail(d, ret, "sending READY: %s", link_error(ret));
	}
	return 0;
}

static int hello(struct dest *d)
{
	struct ds_wire_hdr h;
	struct ds_wire_hello *hi = &d->hello;
	int ret;

	ret = ds_link_recv(&d->l, &h, sizeof(h));
	if (!ret && (h.type != DS_MSG_HELLO || h.arg != DS_WIRE_MAGIC))
		return fail(d, -EPROTO, "the first message is not a dirtyscope migrate HELLO");
	if (!ret)
		ret = ds_link_recv(&d->l, hi, sizeof(*hi));
	if (ret < 0)
		return fail(d, ret, "reading HELLO: %s", link_error(ret));
	if (hi->version != DS_WIRE_VERSION)
		return fail(d, -EPROTO, "HELLO: version %llu, this destination speaks %d",
			    (unsigned long long)hi->version, DS_WIRE_VERSION);
	if (hi->page_bytes != DS_MIG_PAGE || !hi->pages ||
	    hi->pages > DS_MIG_MAX_DEVICE / DS_MIG_PAGE || hi->state_bytes > (1ull << 32))
		return fail(d, -EPROTO, "HELLO: a region of %llu pages of %llu bytes and %llu bytes "
			    "of state is more than this destination takes",
			    (unsigned long long)hi->pages, (unsigned long long)hi->page_bytes,
			    (unsigned long long)hi->state_bytes);
	d->r->pages = hi->pages;
	d->r->state_bytes = hi->state_bytes;
	d->r->last = hi->flags & DS_HELLO_LAST;
	d->bytes = hi->pages * hi->page_bytes;
	d->mem = mmap(NULL, d->bytes, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (d->mem == MAP_FAILED) {
		d->mem = NULL;
		return fail(d, -ENOMEM, "no memory for a region of %llu bytes",
			    (unsigned long long)d->bytes);
	}
	d->state = malloc(hi->state_bytes ? hi->state_bytes : 1);
	d->batch = malloc(DS_WIRE_BATCH * (8 + hi->page_bytes));
	if (!d->state || !d->batch)
		return fail(d, -ENOMEM, "no memory for the state and a batch");
	return populate(d);
}

static int pages(struct dest *d, const struct ds_wire_hdr *h)
{
	uint64_t *idx = (uint64_t *)(void *)d->batch, pb = d->hello.page_bytes;
	uint8_t *data = d->batch + (size_t)h->count * 8;
	uint32_t i;
	int ret;

	if (!h->count || h->count > DS_WIRE_BATCH)
		return fail(d, -EPROTO, "PAGES of %u pages (1 to %d)", h->count, DS_WIRE_BATCH);
	ret = ds_link_recv(&d->l, d->batch, (size_t)h->count * (8 + pb));
	if (ret < 0)
		return fail(d, ret, "reading pages in round %llu: %s", (unsigned long long)h->arg,
			    link_error(ret));
	for (i = 0; i < h->count; i++) {
		if (idx[i] >= d->hello.pages)
			return fail(d, -EPROTO, "page %llu is outside the %llu pages of the region",
				    (unsigned long long)idx[i], (unsigned long long)d->hello.pages);
		memcpy(d->mem + idx[i] * pb, data + (size_t)i * pb, pb);
	}
	d->r->pages_received += h->count;
	return 0;
}

static int verify(struct dest *d, const struct ds_wire_hdr *h)
{
	struct {
		struct ds_wire_hdr h;
		struct ds_wire_verified v;
	} reply;
	uint64_t *sums, state_sum, p, pb = d->hello.page_bytes;
	struct ds_mig_verify *v = &d->r->verify;
	int ret;

	if (h->arg != d->hello.pages)
		return fail(d, -EPROTO, "VERIFY of %llu pages for a region of %llu",
			    (unsigned long long)h->arg, (unsigned long long)d->hello.pages);
	sums = malloc(d->hello.pages * 8);
	if (!sums)
		return fail(d, -ENOMEM, "no memory for the checksums");
	ret = ds_link_recv(&d->l, sums, d->hello.pages * 8);
	if (!ret)
		ret = ds_link_recv(&d->l, &state_sum, 8);
	if (ret < 0) {
		free(sums);
		return fail(d, ret, "reading the checksums: %s", link_error(ret));
	}
	memset(v, 0, sizeof(*v));
	v->pages = d->hello.pages;
	for (p = 0; p < d->hello.pages; p++) {
		if (ds_page_sum(d->mem + p * pb, pb) == sums[p])
			continue;
		if (v->nfirst < DS_WIRE_LIST)
			v->first[v->nfirst++] = p;
		v->mismatched++;
	}
	free(sums);
	v->state_ok = ds_page_sum(d->state, d->hello.state_bytes) == state_sum;
	v->ok = !v->mismatched && v->state_ok;
	v->done = true;

	memset(&reply, 0, sizeof(reply));
	reply.h.type = DS_MSG_VERIFIED;
	reply.h.arg = v->mismatched;
	reply.v.state_ok = v->state_ok;
	reply.v.nlisted = v->nfirst;
	memcpy(reply.v.first, v->first, sizeof(v->first));
	ret = ds_link_send_unpaced(&d->l, &reply, sizeof(reply));
	if (ret < 0)
		return fail(d, ret, "answering VERIFY: %s", link_error(ret));
	return 0;
}

static int resume(struct dest *d)
{
	struct {
		struct ds_wire_hdr h;
		struct ds_wire_resumed r;
	} msg;
	int ret;

	/* Everything before RESUME is in place: the VM would run from here. */
	memset(&msg, 0, sizeof(msg));
	msg.h.type = DS_MSG_RESUMED;
	msg.h.arg = ds_mig_now_ns();
	d->r->resume_ns = msg.h.arg;
	d->r->resumed = true;
	msg.r.pages_received = d->r->pages_received;
	msg.r.bytes_received = d->l.bytes_received;
	ret = ds_link_send_unpaced(&d->l, &msg, sizeof(msg));
	return ret < 0 ? fail(d, ret, "answering RESUME: %s", link_error(ret)) : 0;
}

/* The dest-stall hook: read nothing more, until the source gives up and hangs up. */
static int stall(struct dest *d)
{
	struct pollfd p = {.fd = d->l.fd, .events = POLLRDHUP};
	uint64_t end = ds_mig_now_ns() + 3 * d->o->io_timeout_ns;

	while (ds_mig_now_ns() < end && !(d->l.stop && __atomic_load_n(d->l.stop, __ATOMIC_RELAXED)))
		if (poll(&p, 1, 100) > 0)
			break;
	snprintf(d->r->error, sizeof(d->r->error),
		 "the dest-stall fault hook stopped reading (DIRTYSCOPE_FAULT)");
	return -ETIMEDOUT;
}

static int serve_one(struct dest *d)
{
	struct ds_wire_hdr h;
	int ret;

	ret = hello(d);
	if (ret < 0)
		return ret;
	if (d->o->fault == DS_FAULT_DEST_STALL)
		return stall(d);
	for (;;) {
		ret = ds_link_recv(&d->l, &h, sizeof(h));
		if (ret < 0)
			return fail(d, ret, "waiting for a message: %s", link_error(ret));
		switch (h.type) {
		case DS_MSG_PAGES:
			ret = pages(d, &h);
			if (!ret && d->o->fault == DS_FAULT_DEST_CLOSE) {
				snprintf(d->r->error, sizeof(d->r->error),
					 "the dest-close fault hook closed the connection "
					 "(DIRTYSCOPE_FAULT)");
				return -ECONNABORTED;
			}
			break;
		case DS_MSG_ROUND:
			break;
		case DS_MSG_STATE:
			if (h.arg != d->hello.state_bytes)
				return fail(d, -EPROTO, "STATE of %llu bytes, HELLO said %llu",
					    (unsigned long long)h.arg,
					    (unsigned long long)d->hello.state_bytes);
			ret = ds_link_recv(&d->l, d->state, h.arg);
			if (ret < 0)
				return fail(d, ret, "reading the state: %s", link_error(ret));
			break;
		case DS_MSG_RESUME:
			ret = resume(d);
			break;
		case DS_MSG_VERIFY:
			ret = verify(d, &h);
			if (!ret) {
				d->r->bytes_received = d->l.bytes_received;
				return 0;
			}
			break;
		default:
			return fail(d, -EPROTO, "unknown message type %u", h.type);
		}
		if (ret < 0)
			return ret;
	}
}

int ds_dest_serve(int lfd, const struct ds_mig_opts *o, uint64_t accept_timeout_ns,
		  const volatile int *stop, struct ds_dest_report *rep, size_t max, size_t *n,
		  char *err, size_t errlen)
{
	struct dest d;
	int fd, ret;

	*n = 0;
	while (*n < max) {
		ret = ds_link_accept(lfd, accept_timeout_ns, stop, &fd);
		if (ret < 0) {
			snprintf(err, errlen, "%s",
				 ret == -ETIMEDOUT ? "no source connected within --io-timeout"
				 : ret == -ECANCELED ? "stopped"
						     : strerror(-ret));
			return ret;
		}
		memset(&d, 0, sizeof(d));
		d.o = o;
		d.r = &rep[*n];
		memset(d.r, 0, sizeof(*d.r));
		ds_link_init(&d.l, fd, 0, o->io_timeout_ns, stop);
		ret = serve_one(&d);
		(*n)++;
		ds_link_close(&d.l);
		if (d.mem)
			munmap(d.mem, d.bytes);
		free(d.state);
		free(d.batch);
		if (ret < 0) {
			snprintf(err, errlen, "%s", d.r->error);
			return ret;
		}
		if (d.r->last)
			break;
	}
	return 0;
}
