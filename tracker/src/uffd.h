/* SPDX-License-Identifier: MIT */
/*
 * uffd.h - the uffd backend's state: real write tracking by the host
 * kernel. Each mapping's memory is registered with a userfaultfd in
 * asynchronous write-protect mode while tracking; a write to a protected
 * page is resolved inside the kernel (no thread of ours wakes up), which
 * leaves the page's PTE without its uffd-wp bit; PAGEMAP_SCAN on
 * /proc/self/pagemap finds those pages and protects them again in the same
 * walk. docs/uffd.md has the design and the costs.
 */
#ifndef DT_UFFD_H
#define DT_UFFD_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dirtytrack/dirtytrack.h>

#include "maptable.h"
#include "uffd_uapi.h"

struct uffd_group {
	uint64_t id;
	enum dt_group_kind kind;
	unsigned int devices;
};

struct uffd {
	/*
	 * Serialises the operations of the container, as the model's lock
	 * does. Writers of the memory never take it: the kernel tracks their
	 * writes whatever we are doing.
	 */
	pthread_mutex_t lock;
	int uffd;    /* the userfaultfd: WP_ASYNC | WP_UNPOPULATED */
	int pagemap; /* /proc/self/pagemap, for PAGEMAP_SCAN */
	struct mt_table t;
	bool tracking;
	/* PAGEMAP_SCAN's output, reused by every harvest (under the lock). */
	struct dt_page_region *vec;
	size_t vec_len;
	struct uffd_group *groups;
	size_t ngroups;
};

/* Regions per PAGEMAP_SCAN call: 96 KiB; 10 calls for 1 GiB with every 7th page written. */
#define UFFD_VEC_LEN 4096u

/* A run of written pages [start, end) of the scanned range. */
typedef void (*uffd_region_fn)(void *arg, uint64_t start, uint64_t end);

struct uffd_scan_stats {
	uint64_t calls;	  /* PAGEMAP_SCAN ioctls */
	uint64_t regions; /* regions they returned */
};

/*
 * Report every written page of [start, end) (page-aligned virtual
 * addresses of this process, registered with an async-WP userfaultfd)
 * to @fn, in address order; with @reprotect, write-protect each one again
 * in the same walk, so that a write racing the scan is either reported now
 * or faults and is reported by the next scan. @vec holds @vec_len regions
 * (>= 1); when the kernel fills it, the walk goes on from where the kernel
 * stopped (walk_end), and only then. @stats may be NULL.
 * Returns 0, -EPERM (a page of the range is not in an async-WP region),
 * -EIO (the kernel made no progress), or PAGEMAP_SCAN's errno.
 */
int uffd_scan(int pagemap, uint64_t start, uint64_t end, bool reprotect,
	      struct dt_page_region *vec, size_t vec_len, uffd_region_fn fn, void *arg,
	      struct uffd_scan_stats *stats);

/*
 * Open a userfaultfd with asynchronous write protection of unpopulated
 * memory (falling back to UFFD_USER_MODE_ONLY where the caller may not
 * handle kernel faults). Returns the fd, or -EOPNOTSUPP (no userfaultfd, or
 * a kernel before async WP: Linux < 6.7), -EPERM (userfaultfd denied).
 */
int uffd_open(void);

/*
 * Check that the whole chain works on one page of fresh memory: register,
 * protect, write, scan. Returns 0, or -EOPNOTSUPP (no PAGEMAP_SCAN, or a
 * kernel that does not report the write), or an errno of the way.
 */
int uffd_probe(int uffd, int pagemap);

/* Register [vaddr, vaddr+len) with @uffd for WP and write-protect it (clean slate). */
int uffd_protect(int uffd, uint64_t vaddr, uint64_t len);
/* Unregister it (its pages become writable again, without faults). */
int uffd_release(int uffd, uint64_t vaddr, uint64_t len);

/* Set bits [first, first+n) of @map. */
void uffd_set_bits(uint64_t *map, uint64_t first, uint64_t n);

#endif
