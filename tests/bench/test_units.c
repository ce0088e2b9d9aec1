// SPDX-License-Identifier: MIT
/*
 * test_units - the unit parsers of bench/util/units.h against values worked
 * out by hand, and every kind of input they must refuse.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "check.h"
#include "units.h"

struct ok_case {
	const char *s;
	uint64_t want;
};

struct bad_case {
	const char *s;
	int err;
	const char *why; /* a word the phrase must hold */
};

static void sizes(void)
{
	static const struct ok_case ok[] = {
		{"0", 0},
		{"0B", 0},
		{"1B", 1},
		{"4K", 4096},
		{"4KiB", 4096},
		{"4KB", 4000},
		{"4kB", 4000},
		{"64G", 64ull << 30},
		{"1T", 1ull << 40},
		{"1.5K", 1536},
		{"1.25GB", 1250000000},
		{"9MB", 9000000},
		{"0.5MiB", 512 << 10},
		{"2P", 2ull << 50},
		{"007K", 7 << 10},
		{"8191P", 8191ull << 50},
	};
	static const struct bad_case bad[] = {
		{"", -EINVAL, "number"},
		{"4096", -EINVAL, "unit"},
		{"G", -EINVAL, "number"},
		{"-1G", -EINVAL, "negative"},
		{"1Q", -EINVAL, "unknown unit"},
		{"1 G", -EINVAL, "unknown unit"},
		{"1g", -EINVAL, "unknown unit"},
		{"1Gb", -EINVAL, "unknown unit"},
		{"1.1K", -EINVAL, "whole"},
		{"0.1B", -EINVAL, "whole"},
		{".5G", -EINVAL, "number"},
		{"5.G", -EINVAL, "number"},
		{"1.2.3G", -EINVAL, "unknown unit"},
		{"8192P", -ERANGE, "large"},
		{"99999999999999999999B", -ERANGE, "digits"},
		{"0x10K", -EINVAL, "unknown unit"},
	};
	const char *why;
	uint64_t v;
	size_t i;
	int ret;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = 12345;
		ret = ds_parse_size(ok[i].s, 0, &v, NULL);
		if (ret || v != ok[i].want)
			fprintf(stderr, "  size '%s'\n", ok[i].s);
		CHECK_EQ(ret, 0);
		CHECK_EQ(v, ok[i].want);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 12345;
		why = NULL;
		ret = ds_parse_size(bad[i].s, 0, &v, &why);
		if (ret != bad[i].err || !why || !strstr(why, bad[i].why))
			fprintf(stderr, "  size '%s': %d %s\n", bad[i].s, ret, why ? why : "(null)");
		CHECK_EQ(ret, bad[i].err);
		CHECK(why && strstr(why, bad[i].why));
		CHECK_EQ(v, 12345); /* untouched */
	}
	/* With DS_UNITS_BARE_BYTES a bare number is bytes; the units still work. */
	CHECK_EQ(ds_parse_size("4096", DS_UNITS_BARE_BYTES, &v, NULL), 0);
	CHECK_EQ(v, 4096);
	CHECK_EQ(ds_parse_size("2K", DS_UNITS_BARE_BYTES, &v, NULL), 0);
	CHECK_EQ(v, 2048);
	/* 2^63-1 is the largest accepted, 2^63 the first refused. */
	CHECK_EQ(ds_parse_size("9223372036854775807", DS_UNITS_BARE_BYTES, &v, NULL), 0);
	CHECK_EQ(v, INT64_MAX);
	CHECK_EQ(ds_parse_size("9223372036854775808", DS_UNITS_BARE_BYTES, &v, NULL), -ERANGE);
	CHECK_EQ(ds_parse_size("8P", 0, &v, NULL), 0);
	CHECK_EQ(v, 8ull << 50);
}

static void rates(void)
{
	static const struct ok_case ok[] = {
		{"0", 0},
		{"10Gbit/s", 1250000000},
		{"1.25GB/s", 1250000000},
		{"200MB/s", 200000000},
		{"100MiB/s", 100ull << 20},
		{"128M/s", 128ull << 20},
		{"1Mbit/s", 125000},
		{"1kbit/s", 125},
		{"1Kbit/s", 125},
		{"8bit/s", 1},
		{"1Gibit/s", 1ull << 27},
		{"4096B/s", 4096},
		{"2.5Gbit/s", 312500000},
		{"400Gbit/s", 50000000000},
	};
	static const struct bad_case bad[] = {
		{"10", -EINVAL, "unit"},
		{"10G", -EINVAL, "per second"},
		{"10Gb/s", -EINVAL, "per second"},
		{"10Gbps", -EINVAL, "per second"},
		{"10GB/h", -EINVAL, "per second"},
		{"10Gbit", -EINVAL, "per second"},
		{"-1GB/s", -EINVAL, "negative"},
		{"100bit/s", -EINVAL, "whole"},
		{"1.5B/s", -EINVAL, "whole"},
		{"/s", -EINVAL, "number"},
		{"99999999Pbit/s", -EINVAL, "per second"},
		{"9999999PB/s", -ERANGE, "large"},
	};
	const char *why;
	uint64_t v;
	size_t i;
	int ret;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = 12345;
		ret = ds_parse_rate(ok[i].s, &v, NULL);
		if (ret || v != ok[i].want)
			fprintf(stderr, "  rate '%s'\n", ok[i].s);
		CHECK_EQ(ret, 0);
		CHECK_EQ(v, ok[i].want);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 12345;
		why = NULL;
		ret = ds_parse_rate(bad[i].s, &v, &why);
		if (ret != bad[i].err || !why || !strstr(why, bad[i].why))
			fprintf(stderr, "  rate '%s': %d %s\n", bad[i].s, ret, why ? why : "(null)");
		CHECK_EQ(ret, bad[i].err);
		CHECK(why && strstr(why, bad[i].why));
		CHECK_EQ(v, 12345);
	}
}

static void times(void)
{
	static const struct ok_case ok[] = {
		{"0", 0},	    {"300ms", 300000000}, {"1s", 1000000000}, {"58s", 58000000000},
		{"1.5us", 1500},    {"1.5µs", 1500},	  {"250ns", 250},     {"0.001s", 1000000},
		{"0.000000001s", 1},
	};
	static const struct bad_case bad[] = {
		{"300", -EINVAL, "unit"},    {"1m", -EINVAL, "unknown unit"},
		{"1h", -EINVAL, "unknown unit"}, {"-5ms", -EINVAL, "negative"},
		{"0.5ns", -EINVAL, "whole"},	 {"100ps", -EINVAL, "unknown unit"},
		{"ms", -EINVAL, "number"},
	};
	const char *why;
	uint64_t v;
	double d;
	size_t i;
	int ret;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = 12345;
		ret = ds_parse_time_ns(ok[i].s, &v, NULL);
		if (ret || v != ok[i].want)
			fprintf(stderr, "  time '%s'\n", ok[i].s);
		CHECK_EQ(ret, 0);
		CHECK_EQ(v, ok[i].want);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 12345;
		why = NULL;
		ret = ds_parse_time_ns(bad[i].s, &v, &why);
		if (ret != bad[i].err || !why || !strstr(why, bad[i].why))
			fprintf(stderr, "  time '%s': %d %s\n", bad[i].s, ret, why ? why : "(null)");
		CHECK_EQ(ret, bad[i].err);
		CHECK(why && strstr(why, bad[i].why));
		CHECK_EQ(v, 12345);
	}
	/* Fractions of a nanosecond, for costs per byte. */
	CHECK_EQ(ds_parse_time("0.046ns", &d, NULL), 0);
	CHECK(fabs(d - 0.046) < 1e-15);
	CHECK_EQ(ds_parse_time("45ps", &d, NULL), 0);
	CHECK(fabs(d - 0.045) < 1e-15);
	CHECK_EQ(ds_parse_time("1.2us", &d, NULL), 0);
	CHECK(fabs(d - 1200) < 1e-9);
	CHECK_EQ(ds_parse_time("12", &d, NULL), -EINVAL);
	CHECK_EQ(ds_parse_time("-1ns", &d, NULL), -EINVAL);
}

static void lists(void)
{
	uint64_t v[64];
	const char *why;
	size_t n = 0;

	CHECK_EQ(ds_parse_size_list("1G..4T", 0, v, 64, &n, NULL), 0);
	CHECK_EQ(n, 13);
	CHECK_EQ(v[0], 1ull << 30);
	CHECK_EQ(v[12], 4ull << 40);
	/* The end is included only when it is on the doubling. */
	CHECK_EQ(ds_parse_size_list("1G..3G", 0, v, 64, &n, NULL), 0);
	CHECK_EQ(n, 2);
	CHECK_EQ(v[1], 2ull << 30);
	CHECK_EQ(ds_parse_size_list("4G..4G", 0, v, 64, &n, NULL), 0);
	CHECK_EQ(n, 1);
	/* Sorted, duplicates dropped. */
	CHECK_EQ(ds_parse_size_list("16G,1G,4G..16G", 0, v, 64, &n, NULL), 0);
	CHECK_EQ(n, 4);
	CHECK_EQ(v[0], 1ull << 30);
	CHECK_EQ(v[1], 4ull << 30);
	CHECK_EQ(v[2], 8ull << 30);
	CHECK_EQ(v[3], 16ull << 30);

	n = 77;
	v[0] = 5;
	why = NULL;
	CHECK_EQ(ds_parse_size_list("4T..1G", 0, v, 64, &n, &why), -EINVAL);
	CHECK(why && strstr(why, "empty range"));
	CHECK_EQ(n, 77); /* untouched on failure */
	CHECK_EQ(v[0], 5);
	CHECK_EQ(ds_parse_size_list("", 0, v, 64, &n, &why), -EINVAL);
	CHECK_EQ(ds_parse_size_list("1G,,2G", 0, v, 64, &n, &why), -EINVAL);
	CHECK_EQ(ds_parse_size_list("1G,", 0, v, 64, &n, &why), -EINVAL);
	CHECK_EQ(ds_parse_size_list("0..1G", 0, v, 64, &n, &why), -EINVAL);
	CHECK_EQ(ds_parse_size_list("1G..", 0, v, 64, &n, &why), -EINVAL);
	CHECK_EQ(ds_parse_size_list("1..4", 0, v, 64, &n, &why), -EINVAL);
	CHECK(why && strstr(why, "unit"));
	CHECK_EQ(ds_parse_size_list("1..4", DS_UNITS_BARE_BYTES, v, 64, &n, NULL), 0);
	CHECK_EQ(n, 3);
	/* 1B..4P is 53 sizes: room for 52 is too little. */
	CHECK_EQ(ds_parse_size_list("1B..4P", 0, v, 63, &n, &why), 0);
	CHECK_EQ(n, 53);
	CHECK_EQ(ds_parse_size_list("1B..4P", 0, v, 52, &n, &why), -ERANGE);
	CHECK(why && strstr(why, "too many"));
}

static void formats(void)
{
	char b[32];

	CHECK(!strcmp(ds_format_ns(b, sizeof(b), 812), "812 ns"));
	CHECK(!strcmp(ds_format_ns(b, sizeof(b), 1234), "1.23 µs"));
	CHECK(!strcmp(ds_format_ns(b, sizeof(b), 58e9), "58.0 s"));
	CHECK(!strcmp(ds_format_ns(b, sizeof(b), 0.046), "0.046 ns"));
	CHECK(!strcmp(ds_format_ns(b, sizeof(b), 0.127), "0.127 ns"));
	CHECK(!strcmp(ds_format_ns(b, sizeof(b), 1.5), "1.50 ns"));
	CHECK(!strcmp(ds_format_ns(b, sizeof(b), 999.6), "1.00 µs"));
	CHECK(!strcmp(ds_format_bytes(b, sizeof(b), 1ull << 30), "1.00 GiB"));
	CHECK(!strcmp(ds_format_bytes(b, sizeof(b), 512 << 10), "512 KiB"));
	CHECK(!strcmp(ds_format_bytes(b, sizeof(b), 100), "100 B"));
	CHECK(!strcmp(ds_format_bits_per_s(b, sizeof(b), 1250000000), "10.0 Gbit/s"));
	CHECK(!strcmp(ds_format_ns(b, sizeof(b), NAN), "-"));
}

int main(void)
{
	sizes();
	rates();
	times();
	lists();
	formats();
	CHECK_EXIT();
}
