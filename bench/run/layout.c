// SPDX-License-Identifier: MIT
/* layout.c - cut a device's IOVA window into mappings. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layout.h"
#include "parse.h"

#include <workloads/rand.h>

int ds_layout_parse(const char *s, struct ds_layout *out)
{
	static const struct {
		const char *prefix;
		enum ds_layout_kind kind;
	} kinds[] = {
		{"uniform:", DS_LAYOUT_UNIFORM},
		{"ragged:", DS_LAYOUT_RAGGED},
		{"viommu:", DS_LAYOUT_VIOMMU},
	};
	size_t i, len;

	memset(out, 0, sizeof(*out));
	if (!strcmp(s, "single")) {
		out->kind = DS_LAYOUT_SINGLE;
		out->n = 1;
		snprintf(out->name, sizeof(out->name), "single");
		return 0;
	}
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		len = strlen(kinds[i].prefix);
		if (strncmp(s, kinds[i].prefix, len))
			continue;
		if (ds_parse_u64(s + len, &out->n) < 0 || out->n == 0 || out->n > 65535)
			return -EINVAL;
		out->kind = kinds[i].kind;
		snprintf(out->name, sizeof(out->name), "%.*s%llu", (int)len, kinds[i].prefix,
			 (unsigned long long)out->n);
		return 0;
	}
	return -EINVAL;
}

/* Page counts that are never multiples of 64 and add up to @pages. */
static int ragged_pages(uint64_t pages, uint64_t n, uint64_t seed, uint64_t *counts)
{
	struct ds_rand r;
	uint64_t q = pages / n / 64, sum = 0, i, last;

	/* Each of the first n-1 stays below the mean, so the last keeps at least the mean. */
	if (q < 2)
		return -EINVAL;
	ds_rand_seed(&r, seed);
	for (i = 0; i + 1 < n; i++) {
		counts[i] = (q - 1) * 64 + 1 + ds_rand_below(&r, 63);
		sum += counts[i];
	}
	last = pages - sum;
	if (n > 1 && last % 64 == 0) {
		/* Move one page between the first and the last; keep both off 64. */
		if (counts[0] % 64 != 63) {
			counts[0]++;
			last--;
		} else {
			counts[0]--;
			last++;
		}
	}
	counts[n - 1] = last;
	return 0;
}

int ds_layout_build(const struct ds_layout *l, uint64_t device_bytes, uint64_t pgsize,
		    uint64_t iova_base, uint64_t seed, struct ds_mapping **out, size_t *n,
		    const char **why)
{
	uint64_t pages = device_bytes / pgsize, *counts, i, iova, slot, len, off;
	struct ds_mapping *m;
	struct ds_rand r;

	*why = NULL;
	if (l->n > pages) {
		*why = "more mappings than pages";
		return -EINVAL;
	}
	m = calloc(l->n, sizeof(*m));
	counts = calloc(l->n, sizeof(*counts));
	if (!m || !counts) {
		free(m);
		free(counts);
		return -ENOMEM;
	}
	switch (l->kind) {
	case DS_LAYOUT_SINGLE:
	case DS_LAYOUT_UNIFORM:
		for (i = 0; i < l->n; i++)
			counts[i] = pages / l->n + (i + 1 == l->n ? pages % l->n : 0);
		break;
	case DS_LAYOUT_RAGGED:
		if (ragged_pages(pages, l->n, seed, counts) < 0) {
			*why = "ragged:N needs at least 128 pages per mapping";
			goto err;
		}
		break;
	case DS_LAYOUT_VIOMMU:
		/* One mapping of 1-16 pages at a random place in each of n equal slots. */
		slot = pages / l->n;
		if (slot < 16) {
			*why = "viommu:N needs at least 16 pages (64 KiB at 4 KiB) per mapping";
			goto err;
		}
		ds_rand_seed(&r, seed);
		for (i = 0; i < l->n; i++) {
			len = 1 + ds_rand_below(&r, 16);
			off = ds_rand_below(&r, slot - len + 1);
			m[i].iova = iova_base + (i * slot + off) * pgsize;
			m[i].size = len * pgsize;
		}
		goto done;
	}
	for (i = 0, iova = iova_base; i < l->n; i++) {
		m[i].iova = iova;
		m[i].size = counts[i] * pgsize;
		iova += m[i].size;
	}
done:
	free(counts);
	*out = m;
	*n = l->n;
	return 0;
err:
	free(counts);
	free(m);
	return -EINVAL;
}
