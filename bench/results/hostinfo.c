// SPDX-License-Identifier: MIT
/*
 * hostinfo.c - the machine a run measured, for meta.json. Whatever cannot
 * be read (a container without /sys, an architecture without "model name")
 * becomes null: a result is worth keeping without it.
 */
#include <ctype.h>
#include <numa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "output.h"

/* The value after "@key:" in a "key : value" file such as /proc/cpuinfo. */
static json_t *proc_string(const char *file, const char *key)
{
	size_t klen = strlen(key);
	char line[512], *v, *end;
	json_t *j = NULL;
	FILE *f = fopen(file, "re");

	if (!f)
		return json_null();
	while (!j && fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) || !strchr(" \t:", line[klen]))
			continue;
		v = strchr(line + klen, ':');
		if (!v)
			continue;
		for (v++; isspace((unsigned char)*v); v++)
			;
		end = v + strlen(v);
		while (end > v && isspace((unsigned char)end[-1]))
			*--end = '\0';
		j = json_string(v);
	}
	fclose(f);
	return j ? j : json_null();
}

/* A /proc/meminfo number, in bytes when the file gives kB. */
static json_t *meminfo(const char *key)
{
	size_t klen = strlen(key);
	char line[256], *end;
	unsigned long long v;
	json_t *j = NULL;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return json_null();
	while (!j && fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) || line[klen] != ':')
			continue;
		v = strtoull(line + klen + 1, &end, 10);
		if (end == line + klen + 1)
			break;
		while (*end == ' ')
			end++;
		if (!strncmp(end, "kB", 2))
			v *= 1024;
		j = json_integer((json_int_t)v);
	}
	fclose(f);
	return j ? j : json_null();
}

/* The bracketed choice of /sys/kernel/mm/transparent_hugepage/enabled. */
static json_t *thp_mode(void)
{
	char line[256], *open, *close;
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "re");
	json_t *j = NULL;

	if (!f)
		return json_null();
	if (fgets(line, sizeof(line), f)) {
		open = strchr(line, '[');
		close = open ? strchr(open, ']') : NULL;
		if (close)
			j = json_stringn(open + 1, (size_t)(close - open - 1));
	}
	fclose(f);
	return j ? j : json_null();
}

static json_t *kernel(void)
{
	struct utsname u;
	char buf[3 * sizeof(u.release) + 3];

	if (uname(&u))
		return json_null();
	snprintf(buf, sizeof(buf), "%s %s %s", u.sysname, u.release, u.machine);
	return json_string(buf);
}

/* The first line of a sysfs file, or NULL. */
static json_t *sysfs_line(const char *file)
{
	char line[256];
	FILE *f = fopen(file, "re");
	size_t n;

	if (!f)
		return NULL;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return NULL;
	}
	fclose(f);
	n = strcspn(line, "\n");
	line[n] = '\0';
	return n ? json_string(line) : NULL;
}

/*
 * Under a hypervisor the CPU says so (the "hypervisor" flag); the DMI
 * vendor, else the product, names it. null on bare metal.
 */
static json_t *hypervisor(void)
{
	json_t *flags = proc_string("/proc/cpuinfo", "flags"), *name;
	const char *s = json_string_value(flags);
	bool virt = s && strstr(s, " hypervisor");

	json_decref(flags);
	if (!virt)
		return json_null();
	name = sysfs_line("/sys/class/dmi/id/sys_vendor");
	if (!name)
		name = sysfs_line("/sys/class/dmi/id/product_name");
	return name ? name : json_string("unknown");
}

/* QEMU's TCG emulates the CPU: its timings are no hardware's. */
static bool emulated(const json_t *cpu_model)
{
	const char *s = json_string_value(cpu_model);

	return s && (strstr(s, "QEMU Virtual CPU") || strstr(s, "QEMU TCG CPU"));
}

json_t *ds_host_info(void)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	/* numa_max_node() is only defined once numa_available() said yes. */
	int nodes = numa_available() < 0 ? 1 : numa_max_node() + 1;
	json_t *cpu = proc_string("/proc/cpuinfo", "model name");
	bool emu = emulated(cpu);

	/* "o?": a value that could not be allocated is as unknown as one not read. */
	return json_pack("{s:o?, s:o?, s:o?, s:o?, s:o?, s:b, s:i, s:{s:o?, s:o?, s:o?, s:o?}}",
			 "cpu_model", cpu,
			 "cores", cores > 0 ? json_integer(cores) : json_null(),
			 "memory_bytes", meminfo("MemTotal"),
			 "kernel", kernel(),
			 "hypervisor", hypervisor(),
			 "emulated", emu,
			 "numa_nodes", nodes,
			 "hugepages",
			 "thp", thp_mode(),
			 "hugetlb_total", meminfo("HugePages_Total"),
			 "hugetlb_free", meminfo("HugePages_Free"),
			 "hugetlb_page_bytes", meminfo("Hugepagesize"));
}
