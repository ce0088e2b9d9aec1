/* SPDX-License-Identifier: MIT */
/*
 * iommufd_uapi.h - the parts of the kernel's iommufd interface the iommufd
 * backend uses, written from the documented UAPI (include/uapi/linux/
 * iommufd.h, Linux 6.7: IOAS, HWPT allocation with dirty tracking, and the
 * dirty-bitmap ioctls) and the vfio device cdev's iommufd ioctls
 * (include/uapi/linux/vfio.h, Linux 6.6). Debian 12's headers (6.1) have
 * no <linux/iommufd.h> at all. Our own names (dt_ prefix), so that a
 * machine whose headers have the real ones cannot clash; every size,
 * offset and ioctl number is checked at build time against the values
 * the UAPI gives (and tests/iommufd/ checks them again at run time).
 *
 * Every iommufd request starts with its own size: the kernel accepts any
 * size from the first version of a struct on, and zeroes (or requires
 * zero in) what it knows beyond it. We pass the 6.7 sizes.
 */
#ifndef DT_IOMMUFD_UAPI_H
#define DT_IOMMUFD_UAPI_H

#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>

#define DT_IOMMUFD_TYPE ';'
#define DT_IOMMUFD_CMD(n) _IO(DT_IOMMUFD_TYPE, 0x80 + (n))

struct dt_iommu_destroy {
	uint32_t size;
	uint32_t id;
};
#define DT_IOMMU_DESTROY DT_IOMMUFD_CMD(0)

struct dt_iommu_ioas_alloc {
	uint32_t size;
	uint32_t flags; /* 0 */
	uint32_t out_ioas_id;
};
#define DT_IOMMU_IOAS_ALLOC DT_IOMMUFD_CMD(1)

struct dt_iommu_iova_range {
	uint64_t start;
	uint64_t last; /* inclusive */
};

struct dt_iommu_ioas_iova_ranges {
	uint32_t size;
	uint32_t ioas_id;
	uint32_t num_iovas; /* in: room; out: how many there are (-EMSGSIZE if more) */
	uint32_t reserved;
	uint64_t allowed_iovas; /* struct dt_iommu_iova_range[num_iovas] */
	uint64_t out_iova_alignment;
};
#define DT_IOMMU_IOAS_IOVA_RANGES DT_IOMMUFD_CMD(4)

#define DT_IOMMU_IOAS_MAP_FIXED_IOVA (1u << 0)
#define DT_IOMMU_IOAS_MAP_WRITEABLE (1u << 1)
#define DT_IOMMU_IOAS_MAP_READABLE (1u << 2)

struct dt_iommu_ioas_map {
	uint32_t size;
	uint32_t flags;
	uint32_t ioas_id;
	uint32_t reserved;
	uint64_t user_va;
	uint64_t length;
	uint64_t iova; /* in with FIXED_IOVA */
};
#define DT_IOMMU_IOAS_MAP DT_IOMMUFD_CMD(5)

struct dt_iommu_ioas_unmap {
	uint32_t size;
	uint32_t ioas_id;
	uint64_t iova;
	uint64_t length; /* out: the bytes unmapped */
};
#define DT_IOMMU_IOAS_UNMAP DT_IOMMUFD_CMD(6)

/* A kernel-managed HWPT whose attach requires, and whose domain offers, dirty tracking. */
#define DT_IOMMU_HWPT_ALLOC_DIRTY_TRACKING (1u << 1)

struct dt_iommu_hwpt_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t dev_id;
	uint32_t pt_id; /* the IOAS */
	uint32_t out_hwpt_id;
	uint32_t reserved;
	uint32_t data_type; /* IOMMU_HWPT_DATA_NONE: 0 */
	uint32_t data_len;
	uint64_t data_uptr;
};
#define DT_IOMMU_HWPT_ALLOC DT_IOMMUFD_CMD(9)

#define DT_IOMMU_HWPT_DIRTY_TRACKING_ENABLE 1u

struct dt_iommu_hwpt_set_dirty_tracking {
	uint32_t size;
	uint32_t flags;
	uint32_t hwpt_id;
	uint32_t reserved;
};
#define DT_IOMMU_HWPT_SET_DIRTY_TRACKING DT_IOMMUFD_CMD(11)

#define DT_IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR 1u

/* Bit (a - iova) / page_size of @data is IOVA a: the kernel sets bits, never clears them. */
struct dt_iommu_hwpt_get_dirty_bitmap {
	uint32_t size;
	uint32_t hwpt_id;
	uint32_t flags;
	uint32_t reserved;
	uint64_t iova;
	uint64_t length;
	uint64_t page_size;
	uint64_t data;
};
#define DT_IOMMU_HWPT_GET_DIRTY_BITMAP DT_IOMMUFD_CMD(12)

/*
 * vfio.h: a vfio device cdev (/dev/vfio/devices/vfioN) bound to an iommufd.
 * Closing the device's fd detaches and unbinds it (the documented undo), so
 * VFIO_DEVICE_DETACH_IOMMUFD_PT is not needed.
 */
#define DT_VFIO_TYPE ';'
#define DT_VFIO_BASE 100

struct dt_vfio_device_bind_iommufd {
	uint32_t argsz;
	uint32_t flags;
	int32_t iommufd;
	uint32_t out_devid;
};
#define DT_VFIO_DEVICE_BIND_IOMMUFD _IO(DT_VFIO_TYPE, DT_VFIO_BASE + 18)

struct dt_vfio_device_attach_iommufd_pt {
	uint32_t argsz;
	uint32_t flags;
	uint32_t pt_id;
};
#define DT_VFIO_DEVICE_ATTACH_IOMMUFD_PT _IO(DT_VFIO_TYPE, DT_VFIO_BASE + 19)

/* The UAPI's layouts and numbers (_IO(';', nr) is 0x3b00 | nr). */
_Static_assert(sizeof(struct dt_iommu_destroy) == 8, "iommu_destroy");
_Static_assert(sizeof(struct dt_iommu_ioas_alloc) == 12, "iommu_ioas_alloc");
_Static_assert(sizeof(struct dt_iommu_iova_range) == 16, "iommu_iova_range");
_Static_assert(sizeof(struct dt_iommu_ioas_iova_ranges) == 32 &&
		       offsetof(struct dt_iommu_ioas_iova_ranges, allowed_iovas) == 16,
	       "iommu_ioas_iova_ranges");
_Static_assert(sizeof(struct dt_iommu_ioas_map) == 40 &&
		       offsetof(struct dt_iommu_ioas_map, user_va) == 16 &&
		       offsetof(struct dt_iommu_ioas_map, iova) == 32,
	       "iommu_ioas_map");
_Static_assert(sizeof(struct dt_iommu_ioas_unmap) == 24 &&
		       offsetof(struct dt_iommu_ioas_unmap, iova) == 8,
	       "iommu_ioas_unmap");
_Static_assert(sizeof(struct dt_iommu_hwpt_alloc) == 40 &&
		       offsetof(struct dt_iommu_hwpt_alloc, out_hwpt_id) == 16 &&
		       offsetof(struct dt_iommu_hwpt_alloc, data_uptr) == 32,
	       "iommu_hwpt_alloc");
_Static_assert(sizeof(struct dt_iommu_hwpt_set_dirty_tracking) == 16,
	       "iommu_hwpt_set_dirty_tracking");
_Static_assert(sizeof(struct dt_iommu_hwpt_get_dirty_bitmap) == 48 &&
		       offsetof(struct dt_iommu_hwpt_get_dirty_bitmap, iova) == 16 &&
		       offsetof(struct dt_iommu_hwpt_get_dirty_bitmap, page_size) == 32 &&
		       offsetof(struct dt_iommu_hwpt_get_dirty_bitmap, data) == 40,
	       "iommu_hwpt_get_dirty_bitmap");
_Static_assert(sizeof(struct dt_vfio_device_bind_iommufd) == 16, "vfio_device_bind_iommufd");
_Static_assert(sizeof(struct dt_vfio_device_attach_iommufd_pt) == 12, "attach_iommufd_pt");
_Static_assert(DT_IOMMU_DESTROY == 0x3b80 && DT_IOMMU_IOAS_ALLOC == 0x3b81 &&
		       DT_IOMMU_IOAS_IOVA_RANGES == 0x3b84 && DT_IOMMU_IOAS_MAP == 0x3b85 &&
		       DT_IOMMU_IOAS_UNMAP == 0x3b86 && DT_IOMMU_HWPT_ALLOC == 0x3b89 &&
		       DT_IOMMU_HWPT_SET_DIRTY_TRACKING == 0x3b8b &&
		       DT_IOMMU_HWPT_GET_DIRTY_BITMAP == 0x3b8c,
	       "iommufd ioctl numbers");
_Static_assert(DT_VFIO_DEVICE_BIND_IOMMUFD == 0x3b76 && DT_VFIO_DEVICE_ATTACH_IOMMUFD_PT == 0x3b77,
	       "vfio cdev ioctl numbers");

#endif
