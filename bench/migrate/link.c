// SPDX-License-Identifier: MIT
/* link.c - the loopback TCP link and its token bucket (link.h says how exact it is). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "link.h"

/* Every wait wakes at least this often to look at the stop flag. */
#define SLICE_NS 100000000ull

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool stopped(const volatile int *stop)
{
	return stop && __atomic_load_n(stop, __ATOMIC_RELAXED);
}

int ds_link_parse_addr(const char *s, struct sockaddr_in *out, const char **why)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	unsigned long port;
	struct in_addr a;
	char *end;
	size_t n;

	if (!colon || colon == s) {
		*why = "expected ADDRESS:PORT, e.g. 127.0.0.1:7000";
		return -EINVAL;
	}
	n = (size_t)(colon - s);
	if (n >= sizeof(host)) {
		*why = "not an IPv4 address";
		return -EINVAL;
	}
	memcpy(host, s, n);
	host[n] = '\0';
	/* Names are refused: "localhost" may resolve to anything /etc/hosts says. */
	if (inet_pton(AF_INET, host, &a) != 1) {
		*why = "not an IPv4 address (names are not resolved: use 127.0.0.1)";
		return -EINVAL;
	}
	if ((ntohl(a.s_addr) >> 24) != 127) {
		*why = "not a loopback address: migrate runs over 127.0.0.0/8 only";
		return -EINVAL;
	}
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || errno || port > 65535 || colon[1] == '-' || colon[1] == '+') {
		*why = "the port must be a number from 0 to 65535";
		return -EINVAL;
	}
	memset(out, 0, sizeof(*out));
	out->sin_family = AF_INET;
	out->sin_addr = a;
	out->sin_port = htons((uint16_t)port);
	return 0;
}

int ds_link_listen(struct sockaddr_in *addr, int *fd)
{
	socklen_t len = sizeof(*addr);
	int s, one = 1, ret;

	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	/* A sweep's second run may reuse a port that the first left in TIME_WAIT. */
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)addr, sizeof(*addr)) || listen(s, 4) ||
	    getsockname(s, (struct sockaddr *)addr, &len)) {
		ret = -errno;
		close(s);
		return ret;
	}
	*fd = s;
	return 0;
}

/* Wait for @events on @fd until @deadline: 0 when ready, -ETIMEDOUT, -ECANCELED, -errno. */
static int wait_fd(int fd, short events, uint64_t deadline, const volatile int *stop)
{
	struct pollfd p = {.fd = fd, .events = events};
	uint64_t now, slice;
	int ret;

	for (;;) {
		if (stopped(stop))
			return -ECANCELED;
		now = now_ns();
		if (now >= deadline)
			return -ETIMEDOUT;
		slice = deadline - now < SLICE_NS ? deadline - now : SLICE_NS;
		ret = poll(&p, 1, (int)((slice + 999999) / 1000000));
		if (ret > 0)
			return 0;
		if (ret < 0 && errno != EINTR)
			return -errno;
	}
}

static void set_options(int fd)
{
	int one = 1;

	/* Headers and the small RESUME go out at once, not after Nagle's 40 ms. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

int ds_link_accept(int lfd, uint64_t timeout_ns, const volatile int *stop, int *fd)
{
	uint64_t deadline = now_ns() + timeout_ns;
	int s, ret;

	for (;;) {
		ret = wait_fd(lfd, POLLIN, deadline, stop);
		if (ret < 0)
			return ret;
		s = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (s >= 0)
			break;
		if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED)
			return -errno;
	}
	set_options(s);
	*fd = s;
	return 0;
}

int ds_link_connect(const struct sockaddr_in *addr, uint64_t timeout_ns,
		    const volatile int *stop, int *fd)
{
	uint64_t deadline = now_ns() + timeout_ns;
	socklen_t len = sizeof(int);
	int s, ret, err = 0;

	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		return -errno;
	if (connect(s, (const struct sockaddr *)addr, sizeof(*addr)) == 0)
		goto done;
	if (errno != EINPROGRESS) {
		ret = -errno;
		goto err;
	}
	ret = wait_fd(s, POLLOUT, deadline, stop);
	if (ret < 0)
		goto err;
	if (getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len)) {
		ret = -errno;
		goto err;
	}
	if (err) {
		ret = -err;
		goto err;
	}
done:
	set_options(s);
	*fd = s;
	return 0;
err:
	close(s);
	return ret;
}

uint64_t ds_link_chunk_for(uint64_t rate)
{
	uint64_t c = rate / 1000;

	if (!rate || c > 65536)
		return 65536;
	return c < 4096 ? 4096 : c;
}

uint64_t ds_link_depth_ns_for(uint64_t rate)
{
	uint64_t two_chunks;

	if (!rate)
		return 0;
	/*
	 * Two chunks' time, or 50 ms, whichever is longer: on this project's
	 * loaded 2-core build machine a sender is descheduled for more than
	 * 10 ms often enough to cost a 64 MiB round 4 % of its rate, and
	 * seldom for more than 50 ms.
	 */
	two_chunks = (uint64_t)((unsigned __int128)2 * ds_link_chunk_for(rate) * 1000000000u / rate);
	return two_chunks > 50000000 ? two_chunks : 50000000;
}

void ds_link_init(struct ds_link *l, int fd, uint64_t rate, uint64_t io_timeout_ns,
		  const volatile int *stop)
{
	memset(l, 0, sizeof(*l));
	l->fd = fd;
	l->rate = rate;
	l->chunk = ds_link_chunk_for(rate);
	l->depth_ns = ds_link_depth_ns_for(rate);
	l->io_timeout_ns = io_timeout_ns;
	l->stop = stop;
	l->origin_ns = now_ns();
}

void ds_link_close(struct ds_link *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

void ds_link_begin(struct ds_link *l)
{
	l->origin_ns = now_ns();
	l->credit = 0;
}

/* Sleep until @t (CLOCK_MONOTONIC), in slices: 0, or -ECANCELED. */
static int sleep_until(uint64_t t, const volatile int *stop)
{
	struct timespec ts;
	uint64_t now, until;

	while ((now = now_ns()) < t) {
		if (stopped(stop))
			return -ECANCELED;
		until = t - now > SLICE_NS ? now + SLICE_NS : t;
		ts.tv_sec = (time_t)(until / 1000000000u);
		ts.tv_nsec = (long)(until % 1000000000u);
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
	return 0;
}

/* Write all of @buf; a socket that takes nothing for io_timeout is a receiver that fell behind. */
static int write_all(struct ds_link *l, const uint8_t *buf, size_t len)
{
	uint64_t t0;
	ssize_t n;
	int ret;

	while (len) {
		n = send(l->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			l->bytes_sent += (uint64_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		t0 = now_ns();
		ret = wait_fd(l->fd, POLLOUT, t0 + l->io_timeout_ns, l->stop);
		l->blocked_ns += now_ns() - t0;
		if (ret < 0)
			return ret;
	}
	return 0;
}

int ds_link_send(struct ds_link *l, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t n, due, now;
	int ret;

	if (!l->rate)
		return write_all(l, p, len);
	while (len) {
		n = len < l->chunk ? len : l->chunk;
		/* The chunk goes when a link at exactly the rate would have carried it. */
		due = l->origin_ns +
		      (uint64_t)((unsigned __int128)(l->credit + n) * 1000000000u / l->rate);
		now = now_ns();
		if (now < due) {
			ret = sleep_until(due, l->stop);
			l->paced_ns += now_ns() - now;
			if (ret < 0)
				return ret;
		} else if (now - due > l->depth_ns) {
			/* Late by more than the bucket holds: the link sat idle, that time is gone. */
			l->lost_ns += now - due - l->depth_ns;
			l->origin_ns = now - l->depth_ns;
			l->credit = 0;
		}
		ret = write_all(l, p, n);
		if (ret < 0)
			return ret;
		l->credit += n;
		p += n;
		len -= n;
	}
	return 0;
}

int ds_link_send_unpaced(struct ds_link *l, const void *buf, size_t len)
{
	return write_all(l, buf, len);
}

int ds_link_recv(struct ds_link *l, void *buf, size_t len)
{
	uint8_t *p = buf;
	ssize_t n;
	int ret;

	while (len) {
		n = recv(l->fd, p, len, MSG_DONTWAIT);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			l->bytes_received += (uint64_t)n;
			continue;
		}
		if (n == 0)
			return -EPIPE;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		/* The timeout counts from the last byte that came: no progress, not a slow peer. */
		ret = wait_fd(l->fd, POLLIN, now_ns() + l->io_timeout_ns, l->stop);
		if (ret < 0)
			return ret;
	}
	return 0;
}
