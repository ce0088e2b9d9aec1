/* SPDX-License-Identifier: MIT */
/*
 * vfio.h - the vfio backend's state: a real VFIO type1 container
 * (/dev/vfio/vfio) and the group files it may attach.
 */
#ifndef DT_VFIO_H
#define DT_VFIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <dirtytrack/dirtytrack.h>

/* One group file of dt_container_config.device. */
struct vfio_slot {
	char *path;
	int fd;	     /* -1 while not attached */
	uint64_t id; /* the caller's id for it while attached */
};

struct vfio {
	/*
	 * Guards the slots and iommu_set. The ioctls themselves need no lock
	 * of ours: the kernel serialises them on the container (iommu->lock).
	 */
	pthread_mutex_t lock;
	int fd; /* /dev/vfio/vfio */
	uint64_t pgsize;
	bool v2;
	/* VFIO_SET_IOMMU ran: until the last group leaves, the container has an IOMMU. */
	bool iommu_set;
	size_t nslots;
	struct vfio_slot *slots;
};

/* ioctl() as 0 or -errno. */
int vfio_ioctl(int fd, unsigned long req, void *arg);

int vfio_dma_map(void *state, uint64_t iova, uint64_t size, uint64_t vaddr, uint32_t prot);
int vfio_dma_unmap(void *state, struct dt_dma_unmap *u);
int vfio_dirty_pages(void *state, const struct dt_dirty_pages *req);

#endif
