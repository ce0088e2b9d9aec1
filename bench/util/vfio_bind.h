/* SPDX-License-Identifier: MIT */
/*
 * vfio_bind.h - find a PCI device's VFIO group and, only when asked, bind
 * the device to vfio-pci for the length of a command, then give it back
 * to the driver it had.
 */
#ifndef DS_VFIO_BIND_H
#define DS_VFIO_BIND_H

#include <stdbool.h>
#include <stddef.h>

struct ds_vfio_dev {
	char sysfs[256];	/* "/sys", or a test's fake tree */
	char bdf[32];		/* domain:bus:device.function */
	char group[96];		/* the group file: /dev/vfio/N */
	char old_driver[64];	/* the driver it had before we bound it; "" for none */
	char old_override[64];	/* its driver_override before; "" for none */
	bool bound_by_us;	/* ds_vfio_release() has something to undo */
};

/*
 * Find @bdf's IOMMU group ("0000:03:00.0", or "03:00.0" for domain 0)
 * under @sysfs (NULL: "/sys"). When the device is not bound to vfio-pci:
 * with @bind, unbind it from its driver and bind it to vfio-pci
 * (driver_override, then drivers_probe), remembering what to restore;
 * without, fail. On failure @why (of @whylen bytes) says what to do.
 * Returns 0, -EINVAL (a malformed address), -ENODEV (no such device, or
 * no IOMMU group: is the IOMMU on?), -EBUSY (bound to another driver and
 * no @bind), -ENOENT (vfio-pci is not loaded), or the errno of a sysfs
 * read or write (-EACCES without root).
 */
int ds_vfio_acquire(const char *sysfs, const char *bdf, bool bind, struct ds_vfio_dev *dev,
		    char *why, size_t whylen);

/*
 * Undo what ds_vfio_acquire() did, if anything: unbind from vfio-pci,
 * restore driver_override and bind the old driver again. Call it once
 * the group file is closed. Returns 0 or the errno of the first sysfs
 * write that failed (it still tries the others).
 */
int ds_vfio_release(struct ds_vfio_dev *dev);

#endif
