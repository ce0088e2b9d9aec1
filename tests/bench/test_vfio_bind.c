// SPDX-License-Identifier: MIT
/*
 * test_vfio_bind - the --vfio-device helper on a fake sysfs tree: finding
 * the group, refusing a device bound elsewhere without --bind, and putting
 * everything back when vfio-pci does not take the device. (The real
 * binding runs in the kernel tests' guest: tests/kernel/bind_test.sh.)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "vfio_bind.h"

static char root[64];

static void put(const char *rel, const char *text)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void get(const char *rel, char *out, size_t len)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	out[0] = '\0';
	f = fopen(p, "r");
	if (f) {
		if (!fgets(out, (int)len, f))
			out[0] = '\0';
		fclose(f);
	}
}

static void dir(const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	CHECK(mkdir(p, 0755) == 0);
}

static void link_to(const char *target, const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	CHECK(symlink(target, p) == 0);
}

int main(void)
{
	const char *dev = "bus/pci/devices/0000:03:00.0";
	struct ds_vfio_dev d;
	char why[512], buf[64];

	snprintf(root, sizeof(root), "/tmp/test_vfio_bind.XXXXXX");
	if (!mkdtemp(root))
		return 77;
	dir("bus");
	dir("bus/pci");
	dir("bus/pci/devices");
	dir("bus/pci/drivers");
	dir("bus/pci/drivers/nvme");
	dir("bus/pci/drivers/vfio-pci");
	dir("kernel");
	dir("kernel/iommu_groups");
	dir("kernel/iommu_groups/17");
	dir(dev);
	put("bus/pci/drivers_probe", "");
	put("bus/pci/drivers/nvme/bind", "");
	put("bus/pci/drivers/nvme/unbind", "");
	put("bus/pci/devices/0000:03:00.0/driver_override", "(null)\n");
	link_to("../../../../kernel/iommu_groups/17", "bus/pci/devices/0000:03:00.0/iommu_group");
	link_to("../../../../bus/pci/drivers/nvme", "bus/pci/devices/0000:03:00.0/driver");

	CHECK_EQ(ds_vfio_acquire(root, "nonsense", false, &d, why, sizeof(why)), -EINVAL);
	CHECK_EQ(ds_vfio_acquire(root, "0000:04:00.0", false, &d, why, sizeof(why)), -ENODEV);
	/* Bound to nvme, and no --bind: refused, nothing written. */
	CHECK_EQ(ds_vfio_acquire(root, "03:00.0", false, &d, why, sizeof(why)), -EBUSY);
	CHECK(strstr(why, "nvme") && strstr(why, "--bind"));
	CHECK(!strcmp(d.group, "/dev/vfio/17"));
	get("bus/pci/devices/0000:03:00.0/driver_override", buf, sizeof(buf));
	CHECK(!strcmp(buf, "(null)\n"));

	/*
	 * --bind: the fake drivers_probe binds nothing, so acquire fails and
	 * puts everything back: the override cleared, nvme asked to bind again.
	 */
	CHECK_EQ(ds_vfio_acquire(root, "0000:03:00.0", true, &d, why, sizeof(why)), -ENODEV);
	CHECK(strstr(why, "did not take") != NULL);
	get("bus/pci/drivers/nvme/unbind", buf, sizeof(buf));
	CHECK(!strcmp(buf, "0000:03:00.0"));
	get("bus/pci/drivers_probe", buf, sizeof(buf));
	CHECK(!strcmp(buf, "0000:03:00.0"));
	get("bus/pci/devices/0000:03:00.0/driver_override", buf, sizeof(buf));
	CHECK(!strcmp(buf, "\n"));
	get("bus/pci/drivers/nvme/bind", buf, sizeof(buf));
	CHECK(!strcmp(buf, "0000:03:00.0"));
	CHECK(!d.bound_by_us);
	CHECK_EQ(ds_vfio_release(&d), 0); /* twice is nothing */

	/* Already on vfio-pci: just the group, and nothing to give back. */
	unlink(strcat(strcpy(why, root), "/bus/pci/devices/0000:03:00.0/driver"));
	link_to("../../../../bus/pci/drivers/vfio-pci", "bus/pci/devices/0000:03:00.0/driver");
	CHECK_EQ(ds_vfio_acquire(root, "0000:03:00.0", false, &d, why, sizeof(why)), 0);
	CHECK(!d.bound_by_us);

	snprintf(why, sizeof(why), "rm -rf '%s'", root);
	if (system(why) != 0)
		fprintf(stderr, "test_vfio_bind: could not remove %s\n", root);
	CHECK_EXIT();
}
