/* SPDX-License-Identifier: MIT */
/*
 * iommufd.h - the iommufd backend's state: an IOAS on /dev/iommu holding
 * the mappings, and a HWPT (an IOMMU domain) allocated with dirty tracking
 * for the devices (vfio cdevs) attached to it. The IOMMU's own dirty bits
 * are the dirty state (SEMANTICS.md §5). docs/iommufd.md says how to run
 * it and what could not be tested here.
 */
#ifndef DT_IOMMUFD_H
#define DT_IOMMUFD_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dirtytrack/dirtytrack.h>

#include "iommufd_uapi.h"
#include "maptable.h"

/*
 * The system calls the backend makes, so that its translation of dt_*
 * requests can be tested against a fake kernel where no /dev/iommu exists
 * (tests/iommufd/). iommufd_sys_real is the real one. Each returns 0 (open:
 * an fd) or -errno.
 */
struct iommufd_sys {
	int (*open)(void *ctx, const char *path, int flags);
	int (*ioctl)(void *ctx, int fd, unsigned long req, void *arg);
	void (*close)(void *ctx, int fd);
	void *ctx;
};

extern const struct iommufd_sys iommufd_sys_real;

/* One device file of dt_container_config.device. */
struct iommufd_dev {
	char *path;
	int fd;		 /* -1 while not attached */
	uint64_t id;	 /* the caller's group id for it while attached */
	uint32_t dev_id; /* the iommufd's id of the bound device */
};

struct iommufd {
	/* Serialises the operations; the kernel has its own locks for the ioctls. */
	pthread_mutex_t lock;
	const struct iommufd_sys *sys;
	int fd; /* /dev/iommu */
	uint32_t ioas_id;
	/* The HWPT with dirty tracking: 0 until the first device attaches; kept until destroy. */
	uint32_t hwpt_id;
	bool tracking;
	struct mt_table t;
	size_t ndevs;
	struct iommufd_dev *devs;
	/* For runs whose first bit is not on a byte of the caller's bitmap (iommufd.c). */
	uint64_t *scratch;
	size_t scratch_words;
};

/* The node iommufd_create() opens. */
#define IOMMUFD_PATH "/dev/iommu"

/*
 * The backend's create with its system calls and the iommufd node given:
 * what the backend's ops table uses with iommufd_sys_real and
 * IOMMUFD_PATH, and what the tests use with a fake kernel or a file that
 * is no iommufd. Returns 0 and sets *state, or -EINVAL (pgsize, no
 * device), -EOPNOTSUPP (compat), -ENODEV (no such node, or it is not an
 * iommufd), -ENOMEM, or the errno of open or IOMMU_IOAS_ALLOC.
 */
int iommufd_create_with(const struct dt_container_config *cfg, const struct iommufd_sys *sys,
			const char *path, void **state);

/* The requests, built from dt_* arguments (iommufd_req.c). */
void iommufd_map_req(struct dt_iommu_ioas_map *r, uint32_t ioas_id, uint64_t iova,
		     uint64_t size, uint64_t vaddr, uint32_t prot);
void iommufd_unmap_req(struct dt_iommu_ioas_unmap *r, uint32_t ioas_id, uint64_t iova,
		       uint64_t size);
void iommufd_dirty_req(struct dt_iommu_hwpt_get_dirty_bitmap *r, uint32_t hwpt_id, uint64_t iova,
		       uint64_t length, uint64_t page_size, void *data, bool no_clear);

/*
 * IOMMU_HWPT_GET_DIRTY_BITMAP's argument rules (SEMANTICS.md §5), checked
 * before the kernel sees a request: -EOPNOTSUPP (unknown flags, non-zero
 * reserved), -EOVERFLOW (length 0, iova + length overflows), -EINVAL
 * (page_size 0, iova or length not aligned to it). The backend's own
 * requests always pass: a failure is a bug of ours, not the caller's.
 */
int iommufd_dirty_req_check(const struct dt_iommu_hwpt_get_dirty_bitmap *r);

/* OR @nbits bits of @src into @dst from bit @at on (bits are only ever set). */
void iommufd_bits_or(uint64_t *dst, uint64_t at, const uint64_t *src, uint64_t nbits);

#endif
