// SPDX-License-Identifier: MIT
/*
 * vfio_bind.c - a PCI device's VFIO group, and binding it to vfio-pci on
 * request. Everything goes through sysfs, as `driverctl` and the kernel's
 * own documentation (Documentation/driver-api/vfio.rst) do it: a
 * driver_override makes the next probe pick vfio-pci and only vfio-pci.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vfio_bind.h"

__attribute__((format(printf, 4, 5))) static int fail(char *why, size_t len, int err,
						       const char *fmt, ...)
{
	va_list ap;

	if (why && len) {
		va_start(ap, fmt);
		vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	return err;
}

/* The last component of the symlink @path, into @out; -errno when it is none. */
static int link_name(const char *path, char *out, size_t len)
{
	char target[PATH_MAX];
	const char *slash;
	ssize_t n = readlink(path, target, sizeof(target) - 1);

	if (n < 0)
		return -errno;
	target[n] = '\0';
	slash = strrchr(target, '/');
	if (snprintf(out, len, "%s", slash ? slash + 1 : target) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int err;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	err = n < 0 ? -errno : 0;
	close(fd);
	return err;
}

static int read_line(const char *path, char *out, size_t len)
{
	FILE *f = fopen(path, "r");
	int err = 0;

	if (!f)
		return -errno;
	if (!fgets(out, (int)len, f)) {
		err = ferror(f) ? -EIO : 0;
		out[0] = '\0';
	}
	fclose(f);
	out[strcspn(out, "\n")] = '\0';
	return err;
}

/* "0000:03:00.0", or "03:00.0" taken as domain 0; anything else is -EINVAL. */
static int bdf_normal(const char *in, char *out, size_t len)
{
	unsigned int dom = 0, bus, dev, fn;
	char tail;

	if (sscanf(in, "%4x:%2x:%2x.%1x%c", &dom, &bus, &dev, &fn, &tail) != 4) {
		dom = 0;
		if (sscanf(in, "%2x:%2x.%1x%c", &bus, &dev, &fn, &tail) != 3)
			return -EINVAL;
	}
	if (dev > 0x1f || fn > 7)
		return -EINVAL;
	snprintf(out, len, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	return 0;
}

/* @sysfs/bus/pci/devices/BDF/@leaf */
static void dev_path(char *out, size_t len, const struct ds_vfio_dev *d, const char *leaf)
{
	snprintf(out, len, "%s/bus/pci/devices/%s/%s", d->sysfs, d->bdf, leaf);
}

/* @sysfs/bus/pci/@leaf */
static void bus_path(char *out, size_t len, const struct ds_vfio_dev *d, const char *leaf)
{
	snprintf(out, len, "%s/bus/pci/%s", d->sysfs, leaf);
}

int ds_vfio_acquire(const char *sysfs, const char *bdf, bool bind, struct ds_vfio_dev *d,
		    char *why, size_t whylen)
{
	char p[PATH_MAX], driver[64], group[64];
	int err;

	memset(d, 0, sizeof(*d));
	snprintf(d->sysfs, sizeof(d->sysfs), "%s", sysfs ? sysfs : "/sys");
	if (bdf_normal(bdf, d->bdf, sizeof(d->bdf)) < 0)
		return fail(why, whylen, -EINVAL, "'%s' is not a PCI address (0000:03:00.0)", bdf);
	dev_path(p, sizeof(p), d, "");
	if (access(p, F_OK) < 0)
		return fail(why, whylen, -ENODEV, "no PCI device %s", d->bdf);
	dev_path(p, sizeof(p), d, "iommu_group");
	if (link_name(p, group, sizeof(group)) < 0)
		return fail(why, whylen, -ENODEV,
			    "%s has no IOMMU group: is the IOMMU on (intel_iommu=on, amd_iommu=on)?",
			    d->bdf);
	snprintf(d->group, sizeof(d->group), "/dev/vfio/%s", group);

	dev_path(p, sizeof(p), d, "driver");
	if (link_name(p, driver, sizeof(driver)) < 0)
		driver[0] = '\0';
	if (!strcmp(driver, "vfio-pci"))
		return 0;
	if (!bind)
		return fail(why, whylen, -EBUSY,
			    "%s is bound to %s, not vfio-pci: bind it yourself, or pass --bind to "
			    "let dirtyscope bind it and give it back on exit",
			    d->bdf, driver[0] ? driver : "no driver");
	bus_path(p, sizeof(p), d, "drivers/vfio-pci");
	if (access(p, F_OK) < 0)
		return fail(why, whylen, -ENOENT, "vfio-pci is not loaded: modprobe vfio-pci");

	snprintf(d->old_driver, sizeof(d->old_driver), "%s", driver);
	dev_path(p, sizeof(p), d, "driver_override");
	err = read_line(p, d->old_override, sizeof(d->old_override));
	if (err < 0)
		return fail(why, whylen, err, "cannot read %s: %s", p, strerror(-err));
	if (!strcmp(d->old_override, "(null)"))
		d->old_override[0] = '\0';
	err = write_str(p, "vfio-pci");
	if (err < 0)
		return fail(why, whylen, err, "cannot write %s: %s", p, strerror(-err));
	d->bound_by_us = true; /* from here on, release() has something to undo */
	if (driver[0]) {
		dev_path(p, sizeof(p), d, "driver/unbind");
		err = write_str(p, d->bdf);
		if (err < 0) {
			ds_vfio_release(d);
			return fail(why, whylen, err, "cannot unbind %s from %s: %s", d->bdf,
				    driver, strerror(-err));
		}
	}
	bus_path(p, sizeof(p), d, "drivers_probe");
	err = write_str(p, d->bdf);
	dev_path(p, sizeof(p), d, "driver");
	if (err == 0 && (link_name(p, driver, sizeof(driver)) < 0 || strcmp(driver, "vfio-pci")))
		err = -ENODEV;
	if (err < 0) {
		ds_vfio_release(d);
		return fail(why, whylen, err, "vfio-pci did not take %s: %s", d->bdf,
			    strerror(-err));
	}
	return 0;
}

int ds_vfio_release(struct ds_vfio_dev *d)
{
	char p[PATH_MAX], driver[64];
	int err, first = 0;

	if (!d->bound_by_us)
		return 0;
	d->bound_by_us = false;
	dev_path(p, sizeof(p), d, "driver");
	if (link_name(p, driver, sizeof(driver)) == 0 && !strcmp(driver, "vfio-pci")) {
		dev_path(p, sizeof(p), d, "driver/unbind");
		err = write_str(p, d->bdf);
		first = first ? first : err;
	}
	/* An empty write clears the override; "\n" is what the shell would send. */
	dev_path(p, sizeof(p), d, "driver_override");
	err = write_str(p, d->old_override[0] ? d->old_override : "\n");
	first = first ? first : err;
	if (d->old_driver[0]) {
		char bind[PATH_MAX];
		int n = snprintf(bind, sizeof(bind), "%s/bus/pci/drivers/%s/bind", d->sysfs,
				 d->old_driver);

		err = n > 0 && (size_t)n < sizeof(bind) ? write_str(bind, d->bdf) : -ENAMETOOLONG;
		first = first ? first : err;
	}
	return first;
}
