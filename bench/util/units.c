// SPDX-License-Identifier: MIT
/*
 * units.c - sizes, rates and times with units (units.h has the syntax).
 *
 * A number is kept as an integer mantissa and a count of decimal places,
 * and a unit as an exact ratio (numerator / denominator), so that 1.25GB/s
 * is 125 x 10^9 / 10^2 with no rounding anywhere; a result must divide out
 * to a whole number. 128-bit intermediates cannot overflow: a mantissa is
 * below 10^19 and a numerator at most 2^50, and 10^19 x 2^50 < 2^114.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

typedef unsigned __int128 u128;

struct number {
	uint64_t mant;	  /* the digits without the point */
	unsigned int dec; /* digits after the point */
};

struct unit {
	const char *name;
	uint64_t num, den; /* the value of one unit in the base unit */
};

#define KI (1ull << 10)
#define MI (1ull << 20)
#define GI (1ull << 30)
#define TI (1ull << 40)
#define PI (1ull << 50)
#define K1 1000ull
#define M1 1000000ull
#define G1 1000000000ull
#define T1 1000000000000ull
#define P1 1000000000000000ull

static const struct unit size_units[] = {
	{"B", 1, 1},	 {"K", KI, 1},	  {"M", MI, 1},	   {"G", GI, 1},    {"T", TI, 1},
	{"P", PI, 1},	 {"KiB", KI, 1},  {"MiB", MI, 1},  {"GiB", GI, 1},  {"TiB", TI, 1},
	{"PiB", PI, 1},	 {"kB", K1, 1},	  {"KB", K1, 1},   {"MB", M1, 1},   {"GB", G1, 1},
	{"TB", T1, 1},	 {"PB", P1, 1},	  {NULL, 0, 0},
};

/* Bits per second, in bytes per second: the /8 is the denominator. */
static const struct unit bit_units[] = {
	{"bit/s", 1, 8},     {"kbit/s", K1, 8},	  {"Kbit/s", K1, 8},   {"Mbit/s", M1, 8},
	{"Gbit/s", G1, 8},   {"Tbit/s", T1, 8},	  {"Kibit/s", KI, 8},  {"Mibit/s", MI, 8},
	{"Gibit/s", GI, 8},  {"Tibit/s", TI, 8},  {NULL, 0, 0},
};

/* In nanoseconds; "ps" is only for ds_parse_time(), which allows fractions. */
static const struct unit time_units[] = {
	{"ps", 1, 1000}, {"ns", 1, 1}, {"us", K1, 1}, {"µs", K1, 1},
	{"ms", M1, 1},	 {"s", G1, 1}, {NULL, 0, 0},
};

static const char *const why_number = "not a number followed by a unit";
static const char *const why_sign = "must not be negative";

static int fail(const char **why, const char *what, int err)
{
	if (why)
		*why = what;
	return err;
}

/* Digits with an optional point; *@end is set past them. */
static int parse_number(const char *s, struct number *n, const char **end, const char **why)
{
	unsigned int digits = 0;
	bool point = false;
	const char *p = s;

	if (*p == '-')
		return fail(why, why_sign, -EINVAL);
	n->mant = 0;
	n->dec = 0;
	for (;; p++) {
		if (*p == '.' && !point) {
			point = true;
			continue;
		}
		if (*p < '0' || *p > '9')
			break;
		/* Leading zeros carry no precision: "0.000001s" is 7 digits of nothing. */
		if (n->mant || *p != '0')
			digits++;
		if (digits > 19)
			return fail(why, "more than 19 significant digits", -ERANGE);
		n->mant = n->mant * 10 + (uint64_t)(*p - '0');
		if (point)
			n->dec++;
	}
	/* "", ".", "5." and ".5" are not numbers people write on purpose. */
	if (p == s || p[-1] == '.' || *s == '.')
		return fail(why, why_number, -EINVAL);
	if (n->dec > 19)
		return fail(why, "more than 19 decimal places", -ERANGE);
	*end = p;
	return 0;
}

static uint64_t pow10u(unsigned int e)
{
	uint64_t v = 1;

	while (e--)
		v *= 10;
	return v;
}

static const struct unit *find_unit(const struct unit *table, const char *name)
{
	for (; table->name; table++)
		if (!strcmp(table->name, name))
			return table;
	return NULL;
}

/* @n in @u, as a whole count of the base unit; -EINVAL when not whole. */
static int apply(const struct number *n, const struct unit *u, uint64_t *out, const char **why,
		 const char *not_whole)
{
	u128 num = (u128)n->mant * u->num, den = (u128)pow10u(n->dec) * u->den;

	if (num % den)
		return fail(why, not_whole, -EINVAL);
	num /= den;
	if (num > INT64_MAX)
		return fail(why, "too large (above 2^63-1)", -ERANGE);
	*out = (uint64_t)num;
	return 0;
}

static bool is_bare_zero(const char *s)
{
	return !strcmp(s, "0");
}

int ds_parse_size(const char *s, unsigned int flags, uint64_t *out, const char **why)
{
	static const struct unit bytes = {"", 1, 1};
	const struct unit *u;
	struct number n;
	const char *end;
	int ret;

	if (!s)
		return fail(why, why_number, -EINVAL);
	if (is_bare_zero(s)) {
		*out = 0;
		return 0;
	}
	ret = parse_number(s, &n, &end, why);
	if (ret)
		return ret;
	if (!*end) {
		if (!(flags & DS_UNITS_BARE_BYTES))
			return fail(why, "a unit is needed (B, K/M/G/T or KiB/MiB/GiB/TiB binary, "
					 "KB/MB/GB/TB decimal)",
				    -EINVAL);
		u = &bytes;
	} else if (!(u = find_unit(size_units, end))) {
		return fail(why, "unknown unit (B, K/M/G/T or KiB/MiB/GiB/TiB binary, KB/MB/GB/TB "
				 "decimal)",
			    -EINVAL);
	}
	return apply(&n, u, out, why, "not a whole number of bytes");
}

int ds_parse_rate(const char *s, uint64_t *out, const char **why)
{
	static const char *const units = "a size per second (200MB/s, 1.25GB/s, 100MiB/s) or "
					 "bits per second (10Gbit/s)";
	char name[16];
	const struct unit *u;
	struct number n;
	const char *end;
	size_t len;
	int ret;

	if (!s)
		return fail(why, why_number, -EINVAL);
	if (is_bare_zero(s)) {
		*out = 0;
		return 0;
	}
	ret = parse_number(s, &n, &end, why);
	if (ret)
		return ret;
	if (!*end)
		return fail(why, "a unit is needed: a size per second (1.25GB/s) or bits per second "
				 "(10Gbit/s)",
			    -EINVAL);
	if ((u = find_unit(bit_units, end)))
		return apply(&n, u, out, why, "not a whole number of bytes per second");
	len = strlen(end);
	if (len < 3 || len >= sizeof(name) || strcmp(end + len - 2, "/s"))
		return fail(why, units, -EINVAL);
	memcpy(name, end, len - 2);
	name[len - 2] = '\0';
	if (!(u = find_unit(size_units, name)))
		return fail(why, units, -EINVAL);
	return apply(&n, u, out, why, "not a whole number of bytes per second");
}

int ds_parse_time_ns(const char *s, uint64_t *out, const char **why)
{
	const struct unit *u;
	struct number n;
	const char *end;
	int ret;

	if (!s)
		return fail(why, why_number, -EINVAL);
	if (is_bare_zero(s)) {
		*out = 0;
		return 0;
	}
	ret = parse_number(s, &n, &end, why);
	if (ret)
		return ret;
	if (!*end)
		return fail(why, "a unit is needed (ns, us, ms, s)", -EINVAL);
	u = find_unit(time_units, end);
	if (!u || u->den != 1)
		return fail(why, "unknown unit (ns, us, ms, s)", -EINVAL);
	return apply(&n, u, out, why, "not a whole number of nanoseconds");
}

int ds_parse_time(const char *s, double *out, const char **why)
{
	const struct unit *u;
	struct number n;
	const char *end;
	int ret;

	if (!s)
		return fail(why, why_number, -EINVAL);
	if (is_bare_zero(s)) {
		*out = 0;
		return 0;
	}
	ret = parse_number(s, &n, &end, why);
	if (ret)
		return ret;
	if (!*end)
		return fail(why, "a unit is needed (ps, ns, us, ms, s)", -EINVAL);
	u = find_unit(time_units, end);
	if (!u)
		return fail(why, "unknown unit (ps, ns, us, ms, s)", -EINVAL);
	if ((long double)n.mant * u->num / u->den / pow10u(n.dec) > INT64_MAX)
		return fail(why, "too large (above 2^63-1 ns)", -ERANGE);
	*out = (double)((long double)n.mant * u->num / u->den / pow10u(n.dec));
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static int push(uint64_t v, uint64_t *out, size_t max, size_t *n, const char **why)
{
	if (*n == max)
		return fail(why, "too many sizes", -ERANGE);
	out[(*n)++] = v;
	return 0;
}

/* One item of a list: a size, or a range A..B. */
static int parse_item(char *item, unsigned int flags, uint64_t *out, size_t max, size_t *n,
		      const char **why)
{
	char *dots = strstr(item, "..");
	uint64_t a, b;
	int ret;

	if (!dots) {
		ret = ds_parse_size(item, flags, &a, why);
		return ret ? ret : push(a, out, max, n, why);
	}
	*dots = '\0';
	ret = ds_parse_size(item, flags, &a, why);
	if (!ret)
		ret = ds_parse_size(dots + 2, flags, &b, why);
	if (ret)
		return ret;
	if (a == 0)
		return fail(why, "a range cannot start at zero (it doubles from its start)",
			    -EINVAL);
	if (b < a)
		return fail(why, "empty range: its end is below its start", -EINVAL);
	for (;;) {
		ret = push(a, out, max, n, why);
		if (ret)
			return ret;
		if (a > b / 2)
			return 0;
		a *= 2;
	}
}

int ds_parse_size_list(const char *s, unsigned int flags, uint64_t *out, size_t max, size_t *n,
		       const char **why)
{
	size_t len, i, k = 0, count = 0;
	char *copy, *item, *save = NULL;
	uint64_t *tmp;
	int ret = 0;

	if (!s || !*s)
		return fail(why, "an empty list of sizes", -EINVAL);
	len = strlen(s);
	if (s[0] == ',' || s[len - 1] == ',' || strstr(s, ",,"))
		return fail(why, "an empty item in the list", -EINVAL);
	/* Callers keep their arrays small; a failed parse must leave @out as it was. */
	copy = strdup(s);
	tmp = calloc(max ? max : 1, sizeof(*tmp));
	if (!copy || !tmp) {
		free(copy);
		free(tmp);
		return fail(why, "out of memory", -ENOMEM);
	}
	for (item = strtok_r(copy, ",", &save); item && !ret; item = strtok_r(NULL, ",", &save))
		ret = parse_item(item, flags, tmp, max, &count, why);
	if (!ret) {
		qsort(tmp, count, sizeof(*tmp), cmp_u64);
		for (i = 0; i < count; i++)
			if (!k || tmp[i] != tmp[k - 1])
				tmp[k++] = tmp[i];
		memcpy(out, tmp, k * sizeof(*tmp));
		*n = k;
	}
	free(copy);
	free(tmp);
	return ret;
}

/* Three significant digits; the unit steps up once a fourth digit would show. */
static char *human(char *buf, size_t len, double v, double scale, const char *const *units,
		   size_t nunits)
{
	size_t u = 0;

	if (!isfinite(v)) {
		snprintf(buf, len, "-");
		return buf;
	}
	while (u + 1 < nunits && v >= 999.5) {
		v /= scale;
		u++;
	}
	if (v == floor(v) && u == 0)
		snprintf(buf, len, "%.0f %s", v, units[u]);
	else if (v < 1 && u == 0)
		/* Costs per byte are fractions of the smallest unit: keep their digits. */
		snprintf(buf, len, "%.3g %s", v, units[u]);
	else if (v < 9.995)
		snprintf(buf, len, "%.2f %s", v, units[u]);
	else if (v < 99.95)
		snprintf(buf, len, "%.1f %s", v, units[u]);
	else
		snprintf(buf, len, "%.0f %s", v, units[u]);
	return buf;
}

char *ds_format_ns(char *buf, size_t len, double ns)
{
	static const char *const units[] = {"ns", "µs", "ms", "s"};

	return human(buf, len, ns, 1000, units, 4);
}

char *ds_format_bytes(char *buf, size_t len, double bytes)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

	return human(buf, len, bytes, 1024, units, 7);
}

char *ds_format_bits_per_s(char *buf, size_t len, double bytes_per_s)
{
	static const char *const units[] = {"bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s"};

	return human(buf, len, bytes_per_s * 8, 1000, units, 5);
}
