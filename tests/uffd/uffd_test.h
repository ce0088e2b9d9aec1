/* SPDX-License-Identifier: MIT */
/*
 * uffd_test.h - what the uffd tests share: making a container of the uffd
 * backend, or the reason this machine cannot (a skip, exit 77, never a
 * failure), and page-aligned memory.
 */
#ifndef DT_UFFD_TEST_H
#define DT_UFFD_TEST_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <dirtytrack/dirtytrack.h>

/* Create a uffd container of @pgsize, or exit 77 saying why the kernel cannot give one. */
static inline struct dt_container *uffd_container_or_skip(const char *test, uint64_t pgsize)
{
	struct dt_container_config cfg;
	struct dt_container *c = NULL;
	int ret;

	dt_container_config_init(&cfg);
	cfg.backend = "uffd";
	cfg.pgsize = pgsize;
	ret = dt_container_create(&cfg, &c);
	if (ret == -EOPNOTSUPP || ret == -EPERM || ret == -EACCES || ret == -ENOSYS) {
		printf("%s: SKIP: the uffd backend is not available here (%s): it needs "
		       "Linux >= 6.7 with userfaultfd async write-protect and PAGEMAP_SCAN "
		       "(docs/uffd.md)\n",
		       test, strerror(-ret));
		exit(77);
	}
	if (ret < 0) {
		fprintf(stderr, "%s: creating a uffd container: %s\n", test, strerror(-ret));
		exit(1);
	}
	return c;
}

/* @bytes of fresh anonymous memory aligned to @align (a power of two); exits on failure. */
static inline void *uffd_test_mem(size_t bytes, size_t align, void **base, size_t *len)
{
	char *p;
	uintptr_t a;

	*len = bytes + align;
	p = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		 -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	*base = p;
	a = ((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1);
	return (void *)a;
}

#endif
