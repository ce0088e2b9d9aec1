/* SPDX-License-Identifier: MIT */
/*
 * uffd_uapi.h - the parts of the kernel's userfaultfd and PAGEMAP_SCAN
 * interface (Linux 6.7) that Debian 12's headers (6.1) predate, written
 * from the documented UAPI: include/uapi/linux/fs.h (PAGEMAP_SCAN,
 * struct pm_scan_arg, struct page_region, PAGE_IS_*, PM_SCAN_*) and
 * include/uapi/linux/userfaultfd.h (UFFD_FEATURE_WP_UNPOPULATED,
 * UFFD_FEATURE_WP_ASYNC). Our own names (DT_ prefix), so that a newer
 * <linux/fs.h> that has them cannot clash; where the machine's headers do
 * have a constant, it must equal ours (checked at build time below).
 */
#ifndef DT_UFFD_UAPI_H
#define DT_UFFD_UAPI_H

#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>

#include <linux/userfaultfd.h>

/* userfaultfd.h */
#define DT_UFFD_FEATURE_WP_HUGETLBFS_SHMEM (1u << 12)
#define DT_UFFD_FEATURE_WP_UNPOPULATED (1u << 13)
#define DT_UFFD_FEATURE_WP_ASYNC (1u << 15)
#define DT_UFFD_USER_MODE_ONLY 1

#ifdef UFFD_FEATURE_WP_HUGETLBFS_SHMEM
_Static_assert(DT_UFFD_FEATURE_WP_HUGETLBFS_SHMEM == UFFD_FEATURE_WP_HUGETLBFS_SHMEM, "uapi");
#endif
#ifdef UFFD_FEATURE_WP_UNPOPULATED
_Static_assert(DT_UFFD_FEATURE_WP_UNPOPULATED == UFFD_FEATURE_WP_UNPOPULATED, "uapi");
#endif
#ifdef UFFD_FEATURE_WP_ASYNC
_Static_assert(DT_UFFD_FEATURE_WP_ASYNC == UFFD_FEATURE_WP_ASYNC, "uapi");
#endif
#ifdef UFFD_USER_MODE_ONLY
_Static_assert(DT_UFFD_USER_MODE_ONLY == UFFD_USER_MODE_ONLY, "uapi");
#endif

/* fs.h: the categories a page can be in (masks of pm_scan_arg, page_region.categories) */
#define DT_PAGE_IS_WPALLOWED (1u << 0)
#define DT_PAGE_IS_WRITTEN (1u << 1)
#define DT_PAGE_IS_FILE (1u << 2)
#define DT_PAGE_IS_PRESENT (1u << 3)
#define DT_PAGE_IS_SWAPPED (1u << 4)
#define DT_PAGE_IS_PFNZERO (1u << 5)
#define DT_PAGE_IS_HUGE (1u << 6)
#define DT_PAGE_IS_SOFT_DIRTY (1u << 7)

/* fs.h: PAGEMAP_SCAN flags */
#define DT_PM_SCAN_WP_MATCHING (1u << 0)   /* write-protect the pages matched */
#define DT_PM_SCAN_CHECK_WPASYNC (1u << 1) /* fail (-EPERM) on a VMA without async WP */

/* fs.h struct page_region: [start, end) of pages with the same categories. */
struct dt_page_region {
	uint64_t start;
	uint64_t end;
	uint64_t categories;
};

/* fs.h struct pm_scan_arg */
struct dt_pm_scan_arg {
	uint64_t size;
	uint64_t flags;
	uint64_t start;
	uint64_t end;
	uint64_t walk_end; /* out: where the walk stopped */
	uint64_t vec;	   /* struct dt_page_region[vec_len] */
	uint64_t vec_len;
	uint64_t max_pages;
	uint64_t category_inverted;
	uint64_t category_mask;
	uint64_t category_anyof_mask;
	uint64_t return_mask;
};

#define DT_PAGEMAP_SCAN _IOWR('f', 16, struct dt_pm_scan_arg)

_Static_assert(sizeof(struct dt_page_region) == 24, "page_region is 3 x u64");
_Static_assert(sizeof(struct dt_pm_scan_arg) == 96, "pm_scan_arg is 12 x u64");
_Static_assert(offsetof(struct dt_pm_scan_arg, walk_end) == 32 &&
		       offsetof(struct dt_pm_scan_arg, vec) == 40 &&
		       offsetof(struct dt_pm_scan_arg, return_mask) == 88,
	       "pm_scan_arg layout");
/* _IOWR('f', 16, 96 bytes): dir 3 << 30 | size 96 << 16 | 'f' << 8 | 16 */
_Static_assert(DT_PAGEMAP_SCAN == 0xc0606610u, "PAGEMAP_SCAN number");

#endif
