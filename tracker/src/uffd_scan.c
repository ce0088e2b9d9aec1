// SPDX-License-Identifier: MIT
/*
 * uffd_scan.c - the kernel side of the uffd backend: opening the
 * userfaultfd, protecting and releasing memory, and PAGEMAP_SCAN.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "uffd.h"

/* What the backend cannot work without, and what it takes when offered. */
#define UFFD_NEEDED (DT_UFFD_FEATURE_WP_ASYNC | DT_UFFD_FEATURE_WP_UNPOPULATED)
#define UFFD_WANTED (UFFD_NEEDED | DT_UFFD_FEATURE_WP_HUGETLBFS_SHMEM)

static int uffd_api(int fd, uint64_t features)
{
	struct uffdio_api api = {.api = UFFD_API, .features = features};

	if (ioctl(fd, UFFDIO_API, &api) < 0)
		return -errno;
	return (api.features & features) == features ? 0 : -EOPNOTSUPP;
}

static int uffd_syscall(int flags)
{
	long fd = syscall(SYS_userfaultfd, flags | O_CLOEXEC | O_NONBLOCK);

	return fd < 0 ? -errno : (int)fd;
}

int uffd_open(void)
{
	uint64_t try[] = {UFFD_WANTED, UFFD_NEEDED};
	int fd, ret = -EOPNOTSUPP;
	size_t i;

	/*
	 * Hugetlbfs and shmem memory need WP_HUGETLBFS_SHMEM; anonymous memory
	 * does not, so a kernel without it still serves the common case. A
	 * failed UFFDIO_API may leave the context half set up on old kernels:
	 * every attempt gets a fresh fd.
	 */
	for (i = 0; i < sizeof(try) / sizeof(try[0]); i++) {
		fd = uffd_syscall(0);
		/*
		 * vm.unprivileged_userfaultfd = 0 refuses a caller without
		 * CAP_SYS_PTRACE unless it handles only user-mode faults; async
		 * WP faults are resolved in the kernel whatever their mode.
		 */
		if (fd == -EPERM)
			fd = uffd_syscall(DT_UFFD_USER_MODE_ONLY);
		if (fd == -ENOSYS)
			return -EOPNOTSUPP; /* a kernel without CONFIG_USERFAULTFD */
		if (fd < 0)
			return fd;
		ret = uffd_api(fd, try[i]);
		if (ret == 0)
			return fd;
		close(fd);
		/* EINVAL: a feature this kernel does not know (async WP is Linux 6.7). */
		if (ret != -EINVAL && ret != -EOPNOTSUPP)
			return ret;
	}
	return -EOPNOTSUPP;
}

int uffd_protect(int uffd, uint64_t vaddr, uint64_t len)
{
	struct uffdio_register reg = {
		.range = {.start = vaddr, .len = len},
		.mode = UFFDIO_REGISTER_MODE_WP,
	};
	struct uffdio_writeprotect wp = {
		.range = {.start = vaddr, .len = len},
		.mode = UFFDIO_WRITEPROTECT_MODE_WP,
	};
	int ret = 0, tries;

	if (ioctl(uffd, UFFDIO_REGISTER, &reg) < 0)
		return -errno;
	if (!(reg.ioctls & (1ull << _UFFDIO_WRITEPROTECT))) {
		ret = -EOPNOTSUPP; /* memory that cannot be write-protected (a file mapping) */
		goto err;
	}
	/*
	 * With WP_UNPOPULATED this also puts a marker in every PTE that has no
	 * page yet, page tables included (8 bytes per 4 KiB page), so that a
	 * first write is seen too. -EAGAIN only comes with the
	 * non-cooperative events, which we do not ask for; retry anyway.
	 */
	for (tries = 0; tries < 8; tries++) {
		ret = ioctl(uffd, UFFDIO_WRITEPROTECT, &wp) < 0 ? -errno : 0;
		if (ret != -EAGAIN)
			break;
	}
	if (ret < 0)
		goto err;
	return 0;
err:
	uffd_release(uffd, vaddr, len);
	return ret;
}

int uffd_release(int uffd, uint64_t vaddr, uint64_t len)
{
	struct uffdio_range range = {.start = vaddr, .len = len};

	/* The kernel removes the WP bits and markers of the range as it unregisters. */
	return ioctl(uffd, UFFDIO_UNREGISTER, &range) < 0 ? -errno : 0;
}

int uffd_scan(int pagemap, uint64_t start, uint64_t end, bool reprotect,
	      struct dt_page_region *vec, size_t vec_len, uffd_region_fn fn, void *arg,
	      struct uffd_scan_stats *stats)
{
	struct dt_pm_scan_arg a = {
		.size = sizeof(a),
		/* CHECK_WPASYNC: memory that is not tracked fails instead of reading clean. */
		.flags = DT_PM_SCAN_CHECK_WPASYNC | (reprotect ? DT_PM_SCAN_WP_MATCHING : 0),
		.start = start,
		.end = end,
		.vec = (uintptr_t)vec,
		.vec_len = vec_len,
		.category_mask = DT_PAGE_IS_WRITTEN,
		.return_mask = DT_PAGE_IS_WRITTEN,
	};
	uint64_t s, e;
	long n, i;

	if (!vec_len)
		return -EINVAL;
	for (;;) {
		n = ioctl(pagemap, DT_PAGEMAP_SCAN, &a);
		if (n < 0)
			return -errno;
		if (stats) {
			stats->calls++;
			stats->regions += (uint64_t)n;
		}
		for (i = 0; i < n; i++) {
			/* The kernel stays inside [start, end); clip anyway. */
			s = vec[i].start < a.start ? a.start : vec[i].start;
			e = vec[i].end > end ? end : vec[i].end;
			if (s < e)
				fn(arg, s, e);
		}
		/*
		 * A vector that is not full means the walk covered the range,
		 * whatever walk_end says. A full one may have stopped early
		 * (walk_end short of end): the pages from walk_end on were
		 * neither reported nor protected, so go on from there.
		 */
		if ((size_t)n < vec_len || a.walk_end >= end)
			return 0;
		if (a.walk_end <= a.start)
			return -EIO;
		a.start = a.walk_end;
	}
}

int uffd_probe(int uffd, int pagemap)
{
	struct dt_page_region vec[2];
	struct dt_pm_scan_arg a;
	long page = sysconf(_SC_PAGESIZE);
	volatile char *p;
	long n;
	int ret;

	if (page <= 0)
		return -EOPNOTSUPP;
	p = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	ret = uffd_protect(uffd, (uintptr_t)p, (uint64_t)page);
	if (ret < 0)
		goto out;
	p[1] = 1;
	a = (struct dt_pm_scan_arg){
		.size = sizeof(a),
		.flags = DT_PM_SCAN_WP_MATCHING | DT_PM_SCAN_CHECK_WPASYNC,
		.start = (uintptr_t)p,
		.end = (uintptr_t)p + (uint64_t)page,
		.vec = (uintptr_t)vec,
		.vec_len = 2,
		.category_mask = DT_PAGE_IS_WRITTEN,
		.return_mask = DT_PAGE_IS_WRITTEN,
	};
	n = ioctl(pagemap, DT_PAGEMAP_SCAN, &a);
	if (n < 0)
		/* ENOTTY: no PAGEMAP_SCAN (Linux < 6.7); EPERM: no WP markers for this memory. */
		ret = errno == ENOTTY || errno == EPERM || errno == EINVAL ? -EOPNOTSUPP : -errno;
	else if (n != 1 || vec[0].start != a.start || vec[0].end != a.end)
		ret = -EOPNOTSUPP; /* the write went unseen: nothing here could be trusted */
	uffd_release(uffd, (uintptr_t)p, (uint64_t)page);
out:
	munmap((void *)p, (size_t)page);
	return ret;
}

void uffd_set_bits(uint64_t *map, uint64_t first, uint64_t n)
{
	uint64_t w, b, k;

	while (n) {
		w = first / 64;
		b = first % 64;
		k = 64 - b < n ? 64 - b : n;
		map[w] |= (k == 64 ? ~0ull : (1ull << k) - 1) << b;
		first += k;
		n -= k;
	}
}
