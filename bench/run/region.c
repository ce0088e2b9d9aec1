// SPDX-License-Identifier: MIT
/* region.c - the memory behind the devices, and where it landed. */
#include <errno.h>
#include <numa.h>
#include <numaif.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "region.h"

/* A "Key: value kB" line of /proc/meminfo, in bytes (or the bare count); 0 when absent. */
static uint64_t meminfo(const char *key)
{
	char line[256];
	unsigned long long v = 0;
	size_t klen = strlen(key);
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) || line[klen] != ':')
			continue;
		if (sscanf(line + klen + 1, "%llu", &v) == 1 && strstr(line, " kB"))
			v *= 1024;
		break;
	}
	fclose(f);
	return v;
}

uint64_t ds_hugetlb_page_bytes(void)
{
	return meminfo("Hugepagesize");
}

/* The size of a transparent huge page: the PMD size, 2 MiB on x86. */
static uint64_t thp_page_bytes(void)
{
	unsigned long long v = 0;
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", "r");

	if (f) {
		if (fscanf(f, "%llu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v ? v : 2ull << 20;
}

/*
 * The memory that touching @pages pages spread over @device_bytes makes
 * resident with pages of @unit bytes: every touched page may sit in a page
 * of its own.
 */
static uint64_t resident(uint64_t device_bytes, uint64_t pages, uint64_t unit)
{
	uint64_t units = (device_bytes + unit - 1) / unit;

	return (pages < units ? pages : units) * unit;
}

int ds_memory_check(enum ds_hugepages huge, uint64_t device_bytes, uint64_t pages,
		    size_t ndevices, const char **why)
{
	char buf[128] = "";
	FILE *f;
	uint64_t hp, need, avail = meminfo("MemAvailable");

	*why = NULL;
	switch (huge) {
	case DS_HUGE_NONE:
		need = resident(device_bytes, pages, 4096) * ndevices;
		break;
	case DS_HUGE_THP:
		f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
		if (!f) {
			*why = "transparent huge pages are not available on this kernel";
			return -EOPNOTSUPP;
		}
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
		if (strstr(buf, "[never]")) {
			*why = "transparent huge pages are disabled "
			       "(/sys/kernel/mm/transparent_hugepage/enabled is never)";
			return -EOPNOTSUPP;
		}
		need = resident(device_bytes, pages, thp_page_bytes()) * ndevices;
		break;
	case DS_HUGE_HUGETLB:
		hp = ds_hugetlb_page_bytes();
		if (!hp || meminfo("HugePages_Total") == 0) {
			*why = "no hugetlb pages are reserved (echo N > /proc/sys/vm/nr_hugepages)";
			return -ENOMEM;
		}
		/* MAP_NORESERVE would turn a shortfall into SIGBUS mid-run: refuse it now. */
		if (resident(device_bytes, pages, hp) / hp * ndevices > meminfo("HugePages_Free")) {
			*why = "the workloads touch more hugetlb pages than are free "
			       "(raise /proc/sys/vm/nr_hugepages or lower --working-set)";
			return -ENOMEM;
		}
		return 0;
	default:
		*why = "unknown hugepage mode";
		return -EINVAL;
	}
	/* Past the available memory the run would end in the OOM killer: refuse it now. */
	if (avail && need > avail) {
		*why = huge == DS_HUGE_THP
			       ? "the working-set pages, each in a huge page of its own, would need more "
				 "memory than is available (lower --working-set or --device-size)"
			       : "the working set needs more memory than is available "
				 "(lower --working-set or --device-size)";
		return -ENOMEM;
	}
	return 0;
}

int ds_region_create(struct ds_region *r, uint64_t len, enum ds_hugepages huge, int node)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
	uint64_t hp;
	void *p;

	memset(r, 0, sizeof(*r));
	r->node = -1;
	if (huge == DS_HUGE_HUGETLB) {
		hp = ds_hugetlb_page_bytes();
		if (!hp)
			return -EOPNOTSUPP;
		len = (len + hp - 1) / hp * hp;
		flags |= MAP_HUGETLB;
	}
	if (len == 0 || len > SIZE_MAX)
		return -EINVAL;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	if (huge == DS_HUGE_THP && madvise(p, len, MADV_HUGEPAGE) < 0) {
		int err = -errno;

		munmap(p, len);
		return err;
	}
	if (node >= 0) {
		/* Bind before any page exists, so every fault lands on the node. */
		numa_tonode_memory(p, len, node);
		r->node = node;
	}
	r->mem = p;
	r->len = len;
	r->huge = huge;
	return 0;
}

void ds_region_destroy(struct ds_region *r)
{
	if (r->mem)
		munmap(r->mem, r->len);
	memset(r, 0, sizeof(*r));
}

json_t *ds_placement(const void *addr, size_t len, size_t max)
{
	long pgsz = sysconf(_SC_PAGESIZE);
	size_t npages = len / (size_t)pgsz, n, i, step, present = 0;
	void **pages;
	int *status;
	json_t *nodes, *out;
	char key[16];

	if (numa_available() < 0 || npages == 0)
		return NULL;
	n = npages < max ? npages : max;
	step = npages / n;
	pages = calloc(n, sizeof(*pages));
	status = calloc(n, sizeof(*status));
	nodes = json_object();
	if (!pages || !status || !nodes)
		goto out;
	for (i = 0; i < n; i++)
		pages[i] = (uint8_t *)addr + i * step * (size_t)pgsz;
	/* With no target nodes, move_pages only reports where each page is. */
	if (move_pages(0, (unsigned long)n, pages, NULL, status, 0) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		json_t *v;

		if (status[i] < 0) /* not present: never touched */
			continue;
		present++;
		snprintf(key, sizeof(key), "%d", status[i]);
		v = json_object_get(nodes, key);
		json_object_set_new(nodes, key, json_integer(v ? json_integer_value(v) + 1 : 1));
	}
	out = json_pack("{s:I,s:I,s:O}", "sampled_pages", (json_int_t)n, "present_pages",
			(json_int_t)present, "nodes", nodes);
	json_decref(nodes);
	free(pages);
	free(status);
	return out;
out:
	json_decref(nodes);
	free(pages);
	free(status);
	return NULL;
}
