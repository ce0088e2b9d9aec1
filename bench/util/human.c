// SPDX-License-Identifier: MIT
/* human.c - numbers for people (see human.h). */
#include "human.h"

/* The value moves to the next unit once its rounded form would need a fourth digit. */
static const char *human(char *buf, size_t len, uint64_t v, unsigned int scale,
			 const char *const *units, size_t nunits)
{
	double x = (double)v;
	size_t u = 0;

	while (u + 1 < nunits && x >= 999.5) {
		x /= scale;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu %s", (unsigned long long)v, units[0]);
	else if (x < 9.995)
		snprintf(buf, len, "%.2f %s", x, units[u]);
	else if (x < 99.95)
		snprintf(buf, len, "%.1f %s", x, units[u]);
	else
		snprintf(buf, len, "%.0f %s", x, units[u]);
	return buf;
}

const char *ds_human_ns(char *buf, size_t len, uint64_t ns)
{
	static const char *const units[] = {"ns", "µs", "ms", "s"};

	return human(buf, len, ns, 1000, units, 4);
}

const char *ds_human_bytes(char *buf, size_t len, uint64_t bytes)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};

	return human(buf, len, bytes, 1024, units, 5);
}

const char *ds_human_size(char *buf, size_t len, uint64_t bytes)
{
	static const char suffix[] = "KMGTPE";
	int i = -1;

	while (bytes && !(bytes & 1023) && i < 5) {
		bytes >>= 10;
		i++;
	}
	if (i < 0)
		snprintf(buf, len, "%llu", (unsigned long long)bytes);
	else
		snprintf(buf, len, "%llu%c", (unsigned long long)bytes, suffix[i]);
	return buf;
}

int ds_columns(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

void ds_cell(FILE *f, const char *s, int width, bool right, bool first)
{
	int pad = width - ds_columns(s);

	if (!first)
		fputc(' ', f);
	if (right)
		fprintf(f, "%*s%s", pad > 0 ? pad : 0, "", s);
	else
		fprintf(f, "%s%*s", s, pad > 0 ? pad : 0, "");
}
