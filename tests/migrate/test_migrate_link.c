// SPDX-License-Identifier: MIT
/*
 * test_migrate_link - the migration link (bench/migrate/link.h) and the
 * page checksum (wire.h):
 *   - addresses: loopback IPv4 only, every malformed form refused;
 *   - the token bucket: a transfer is never faster than the rate (a
 *     strict bound, checked to the microsecond), and not much slower on
 *     this loaded machine; the bucket starts empty at each begin; a sender
 *     late by less than the depth catches up at once, a later one loses
 *     the time beyond the depth;
 *   - bounded waits: a receiver that reads nothing makes the send fail
 *     with -ETIMEDOUT, a silent sender makes the receive fail likewise,
 *     EOF is -EPIPE, the stop flag -ECANCELED; a refused connect is
 *     -ECONNREFUSED; accept gives up after its timeout;
 *   - the checksum: a change of one word always changes it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "link.h"
#include "wire.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000u), .tv_nsec = (long)(ns % 1000000000u)};

	nanosleep(&ts, NULL);
}

static void addresses(void)
{
	static const char *const good[] = {"127.0.0.1:7000", "127.0.0.1:0", "127.1.2.3:65535"};
	static const struct {
		const char *s, *why; /* a word the reason must hold */
	} bad[] = {
		{"10.0.0.1:7000", "loopback"},	{"192.168.1.1:1", "loopback"},
		{"0.0.0.0:7000", "loopback"},	{"localhost:7000", "names"},
		{"[::1]:7000", "IPv4"},		{"127.0.0.1", "ADDRESS:PORT"},
		{"127.0.0.1:", "port"},		{"127.0.0.1:65536", "port"},
		{"127.0.0.1:-1", "port"},	{"127.0.0.1:+1", "port"},
		{"127.0.0.1:7x", "port"},	{":7000", "ADDRESS:PORT"},
		{"127.0.0.256:1", "IPv4"},
	};
	struct sockaddr_in a;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECK(ds_link_parse_addr(good[i], &a, &why) == 0);
	CHECK(ds_link_parse_addr("127.0.0.1:7000", &a, &why) == 0 && ntohs(a.sin_port) == 7000 &&
	      ntohl(a.sin_addr.s_addr) == 0x7f000001);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		CHECK(ds_link_parse_addr(bad[i].s, &a, &why) == -EINVAL);
		if (!why || !strstr(why, bad[i].why)) {
			fprintf(stderr, "'%s': reason '%s' lacks '%s'\n", bad[i].s, why ? why : "",
				bad[i].why);
			check_failures++;
		}
	}
}

/* The receiving end: reads everything until EOF. */
static void *drain(void *arg)
{
	int fd = *(int *)arg;
	char buf[65536];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
	return NULL;
}

struct pair {
	int fd[2];
	pthread_t reader;
};

static int pair_open(struct pair *p)
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p->fd))
		return -1;
	return pthread_create(&p->reader, NULL, drain, &p->fd[1]) ? -1 : 0;
}

static void pair_close(struct pair *p, struct ds_link *l)
{
	ds_link_close(l);
	pthread_join(p->reader, NULL);
	close(p->fd[1]);
}

/* ns a paced transfer of @n bytes at @rate must take at least. */
static uint64_t ideal_ns(uint64_t n, uint64_t rate)
{
	return (uint64_t)((unsigned __int128)n * 1000000000u / rate);
}

static void bucket(void)
{
	static const uint64_t rates[] = {12500000, 50000000}; /* 100 and 400 Mbit/s */
	static char buf[16 << 20];
	struct ds_link l;
	struct pair p;
	uint64_t t0, dt, n, rate, i;

	for (i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		rate = rates[i];
		n = rate / 4; /* a quarter of a second's worth */
		if (pair_open(&p)) {
			check_failures++;
			return;
		}
		ds_link_init(&l, p.fd[0], rate, 5000000000ull, NULL);
		CHECK_EQ(l.chunk, rate / 1000);
		ds_link_begin(&l);
		t0 = now_ns();
		CHECK(ds_link_send(&l, buf, n) == 0);
		dt = now_ns() - t0;
		/* Never faster than the rate: exact, whatever the machine. */
		CHECK(dt >= ideal_ns(n, rate));
		/* Not much slower: the catch-up absorbs a loaded machine's late wake-ups. */
		CHECK(dt <= ideal_ns(n, rate) * 12 / 10 + 20000000);
		CHECK_EQ(l.bytes_sent, n);
		printf("%llu bytes at %llu B/s: %.2f ms (ideal %.2f ms)\n", (unsigned long long)n,
		       (unsigned long long)rate, dt / 1e6, ideal_ns(n, rate) / 1e6);

		/* Idle time is not banked: after a pause, the bucket starts empty. */
		sleep_ns(100000000);
		ds_link_begin(&l);
		t0 = now_ns();
		CHECK(ds_link_send(&l, buf, l.chunk) == 0);
		CHECK(now_ns() - t0 >= ideal_ns(l.chunk, rate));

		/* Late by 20 ms (less than the depth): what is owed goes at once. */
		ds_link_begin(&l);
		sleep_ns(20000000);
		t0 = now_ns();
		CHECK(ds_link_send(&l, buf, rate / 100) == 0); /* 10 ms worth */
		dt = now_ns() - t0;
		CHECK(dt < 10000000);

		/* Late by 200 ms (more than the 50 ms depth): only the depth is caught up. */
		ds_link_begin(&l);
		sleep_ns(200000000);
		t0 = now_ns();
		CHECK(ds_link_send(&l, buf, rate / 10) == 0); /* 100 ms worth */
		dt = now_ns() - t0;
		CHECK(dt >= 50000000 - 1000000); /* 100 ms worth, 50 ms of it caught up */
		CHECK(dt <= 50000000 * 12 / 10 + 20000000);
		pair_close(&p, &l);
	}
}

static void timeouts(void)
{
	static char buf[1 << 20];
	struct sockaddr_in a;
	const char *why;
	struct ds_link l;
	int fd[2], lfd, cfd, stop = 1, ret;
	uint64_t t0, dt, i;

	/* A peer that reads nothing: the socket fills, then the send gives up. */
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fd) == 0);
	ds_link_init(&l, fd[0], 0, 200000000, NULL);
	t0 = now_ns();
	for (i = 0, ret = 0; i < 64 && !ret; i++)
		ret = ds_link_send(&l, buf, sizeof(buf));
	dt = now_ns() - t0;
	CHECK_EQ(ret, -ETIMEDOUT);
	CHECK(dt >= 200000000 && dt < 2000000000);
	CHECK(l.blocked_ns >= 200000000);

	/* A peer that sends nothing: the receive gives up as well. */
	t0 = now_ns();
	ret = ds_link_recv(&l, buf, 1);
	dt = now_ns() - t0;
	CHECK_EQ(ret, -ETIMEDOUT);
	CHECK(dt >= 200000000 && dt < 2000000000);

	/* The stop flag ends a wait at once. */
	l.stop = &stop;
	t0 = now_ns();
	CHECK_EQ(ds_link_recv(&l, buf, 1), -ECANCELED);
	CHECK(now_ns() - t0 < 150000000);
	l.stop = NULL;

	/* The other end closes with our bytes unread: a reset. */
	close(fd[1]);
	CHECK_EQ(ds_link_recv(&l, buf, 1), -ECONNRESET);
	ds_link_close(&l);

	/* The other end closes after reading everything: EOF. */
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fd) == 0);
	ds_link_init(&l, fd[0], 0, 200000000, NULL);
	close(fd[1]);
	CHECK_EQ(ds_link_recv(&l, buf, 1), -EPIPE);
	ds_link_close(&l);

	/* Nobody listening: refused, at once. */
	CHECK(ds_link_parse_addr("127.0.0.1:0", &a, &why) == 0);
	CHECK(ds_link_listen(&a, &lfd) == 0);
	close(lfd); /* the port is free again, and nothing listens there */
	t0 = now_ns();
	CHECK_EQ(ds_link_connect(&a, 1000000000, NULL, &cfd), -ECONNREFUSED);
	CHECK(now_ns() - t0 < 500000000);

	/* A listener nobody connects to: accept gives up. */
	CHECK(ds_link_parse_addr("127.0.0.1:0", &a, &why) == 0);
	CHECK(ds_link_listen(&a, &lfd) == 0);
	CHECK(ntohs(a.sin_port) != 0);
	t0 = now_ns();
	CHECK_EQ(ds_link_accept(lfd, 150000000, NULL, &cfd), -ETIMEDOUT);
	CHECK(now_ns() - t0 >= 150000000);
	close(lfd);
}

static void checksum(void)
{
	uint64_t page[512], sum, i, bit;
	unsigned char tail[13];

	for (i = 0; i < 512; i++)
		page[i] = i * 0x9e3779b97f4a7c15ull;
	sum = ds_page_sum(page, sizeof(page));
	CHECK(ds_page_sum(page, sizeof(page)) == sum);
	/* One word, one bit of it, anywhere in the page: always another checksum. */
	for (i = 0; i < 512; i += 37)
		for (bit = 0; bit < 64; bit += 21) {
			page[i] ^= 1ull << bit;
			CHECK(ds_page_sum(page, sizeof(page)) != sum);
			page[i] ^= 1ull << bit;
		}
	/* Two words swapped. */
	page[3] ^= page[4];
	page[4] ^= page[3];
	page[3] ^= page[4];
	CHECK(ds_page_sum(page, sizeof(page)) != sum);
	/* A tail shorter than a word counts, byte by byte. */
	memset(tail, 7, sizeof(tail));
	sum = ds_page_sum(tail, sizeof(tail));
	tail[12] = 8;
	CHECK(ds_page_sum(tail, sizeof(tail)) != sum);
	CHECK(ds_page_sum(tail, 12) != ds_page_sum(tail, 13));
}

int main(void)
{
	addresses();
	checksum();
	timeouts();
	bucket();
	CHECK_EXIT();
}
