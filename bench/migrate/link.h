/* SPDX-License-Identifier: MIT */
/*
 * link.h - the migration link: one TCP connection over the loopback
 * interface (127.0.0.0/8 only), whose sending side is paced by a token
 * bucket at the migration bandwidth.
 *
 * The pacing. A transfer (ds_link_begin(), then sends) hands its bytes to
 * the kernel in chunks of at most `chunk` bytes, each when a link running
 * at exactly `rate` since the transfer began would have finished carrying
 * it: chunk k, ending at byte B_k of the transfer, goes at
 * begin + B_k / rate. So:
 *   - never faster than the rate: after t seconds of a transfer at most
 *     rate x t bytes have been handed over, to the byte (128-bit integer
 *     arithmetic, no rounding that accumulates);
 *   - the bucket starts empty at each ds_link_begin(): the idle time
 *     between transfers (a harvest, the pause) is not banked as a burst;
 *   - a sender that wakes late (a loaded machine oversleeps) catches up
 *     with a burst of what it owes, so that a transfer of n bytes is over
 *     at begin + n / rate plus the last wake-up's delay; but by no more
 *     than the bucket's depth (50 ms of the rate, at least 2 chunks):
 *     a sender descheduled for longer has really left the link idle.
 *   Over any interval, the link carries at most rate x interval + depth +
 *   chunk bytes. tests/migrate/test_migrate_link.c measures it.
 * The chunk is 1 ms of the rate, between 4 KiB and 64 KiB: small enough
 * that the burst after a late wake-up stays short, large enough that a
 * 1 Gbit/s link costs 2,000 sends a second.
 *
 * Waits are bounded: a socket that takes no byte for io_timeout (the
 * destination fell behind, or hangs) fails with -ETIMEDOUT; so does a
 * receive that gets nothing for as long. Every wait polls in slices of at
 * most 100 ms and gives up with -ECANCELED once *stop is set (a signal).
 * The other end closing: -EPIPE; a reset: -ECONNRESET.
 *
 * A link belongs to one thread; nothing here prints.
 */
#ifndef DS_LINK_H
#define DS_LINK_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

struct ds_link {
	int fd;
	uint64_t rate;	    /* bytes/s; 0: not paced */
	uint64_t chunk;	    /* bytes per send */
	uint64_t depth_ns;  /* how late the sender may be and still catch up */
	uint64_t origin_ns; /* the transfer's start, moved up when a catch-up is cut */
	uint64_t credit;    /* bytes handed over since origin_ns */
	uint64_t io_timeout_ns;
	const volatile int *stop;
	uint64_t bytes_sent, bytes_received;
	uint64_t blocked_ns; /* waiting for the socket to take bytes: the receiver behind */
	uint64_t paced_ns;   /* waiting for the bucket */
	/* The sender late by more than the depth: time the link sat idle (a loaded machine). */
	uint64_t lost_ns;
};

/*
 * "127.0.0.1:7000" into @out. Only IPv4 loopback addresses (127.0.0.0/8)
 * and ports 0-65535 (0: any free port, to listen). Returns 0, or -EINVAL
 * with @why saying what is wrong.
 */
int ds_link_parse_addr(const char *s, struct sockaddr_in *out, const char **why);

/* Listen on @addr (its port set to the one chosen when it was 0): 0 and *@fd, or -errno. */
int ds_link_listen(struct sockaddr_in *addr, int *fd);

/* Accept one connection within @timeout_ns: 0 and *@fd, -ETIMEDOUT, -ECANCELED, -errno. */
int ds_link_accept(int lfd, uint64_t timeout_ns, const volatile int *stop, int *fd);

/*
 * Connect within @timeout_ns: 0 and *@fd, -ECONNREFUSED (nobody listens),
 * -ETIMEDOUT, -ECANCELED, -errno.
 */
int ds_link_connect(const struct sockaddr_in *addr, uint64_t timeout_ns,
		    const volatile int *stop, int *fd);

/* Take over the connected socket @fd; @rate 0 sends unpaced. */
void ds_link_init(struct ds_link *l, int fd, uint64_t rate, uint64_t io_timeout_ns,
		  const volatile int *stop);
void ds_link_close(struct ds_link *l);

/* A transfer begins now: the bucket starts empty. */
void ds_link_begin(struct ds_link *l);

/* Send all of @buf, paced (above). 0 or -errno (-ETIMEDOUT, -EPIPE, -ECONNRESET, -ECANCELED). */
int ds_link_send(struct ds_link *l, const void *buf, size_t len);

/* Send all of @buf as fast as the socket takes it: for what is outside the measurement. */
int ds_link_send_unpaced(struct ds_link *l, const void *buf, size_t len);

/* Receive exactly @len bytes. 0 or -errno (-ETIMEDOUT, -EPIPE at EOF, -ECONNRESET, -ECANCELED). */
int ds_link_recv(struct ds_link *l, void *buf, size_t len);

/* The chunk and depth ds_link_init() chooses for @rate. */
uint64_t ds_link_chunk_for(uint64_t rate);
uint64_t ds_link_depth_ns_for(uint64_t rate);

#endif
