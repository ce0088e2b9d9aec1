// SPDX-License-Identifier: MIT
/*
 * test_vfio - the vfio backend against a real kernel, for what the replay
 * files cannot show: GET_INFO's capability chain, the IOVA ranges, the
 * operations a kernel cannot perform, and the life of the real groups.
 * Runs in the QEMU guest of scripts/kernel-vm.sh (DT_VFIO_GROUPS names the
 * edu devices' group files); elsewhere it skips (77).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <dirtytrack/dirtytrack.h>

#include "check.h"

#define RW (DT_PROT_READ | DT_PROT_WRITE)

static const char *groups;

static struct dt_container *make(const char *device, bool v2)
{
	struct dt_container_config cfg;
	struct dt_container *c = NULL;
	int ret;

	dt_container_config_init(&cfg);
	cfg.backend = "vfio";
	cfg.device = device;
	cfg.v2 = v2;
	ret = dt_container_create(&cfg, &c);
	CHECK_EQ(ret, 0);
	return c;
}

/* How many group files DT_VFIO_GROUPS names. */
static unsigned int ngroups(void)
{
	unsigned int n = 1;
	const char *p;

	for (p = groups; *p; p++)
		n += *p == ',';
	return n;
}

static void test_no_group_yet(void)
{
	struct dt_container *c = make(groups, true);
	struct dt_iova_range r;
	struct dt_info info;

	if (!c)
		return;
	CHECK(!strcmp(dt_container_backend(c), "vfio"));
	/* The container has no IOMMU before VFIO_SET_IOMMU, which needs a group. */
	CHECK_EQ(dt_info_get(c, &info), -EINVAL);
	CHECK_EQ(dt_iova_ranges(c, &r, 1), -EINVAL);
	CHECK_EQ(dt_dma_map(c, 0x100000, 4096, 0, RW), -EINVAL);
	CHECK_EQ(dt_dirty_start(c), -EINVAL);
	dt_container_destroy(c);
}

static void test_info_and_ranges(void)
{
	struct dt_container *c = make(groups, true);
	struct dt_iova_range r[4];
	struct dt_info info;
	void *mem;
	int n, i;

	if (!c)
		return;
	CHECK_EQ(dt_group_attach(c, 1, DT_GROUP_IOMMU, 1), 0);
	memset(&info, 0xa5, sizeof(info));
	CHECK_EQ(dt_info_get(c, &info), 0);
	CHECK_EQ(info.pgsize_bitmap & -info.pgsize_bitmap, 4096);
	CHECK_EQ(info.dma_avail, DT_DMA_LIMIT_DEFAULT);
	CHECK_EQ(info.migration.id, DT_CAP_MIGRATION_ID);
	CHECK_EQ(info.migration.version, DT_CAP_MIGRATION_VERSION);
	CHECK_EQ(info.migration.flags, 0);
	CHECK_EQ(info.migration.pgsize_bitmap, 4096);
	CHECK_EQ(info.migration.max_dirty_bitmap_size, DT_DIRTY_BITMAP_SIZE_MAX);
	CHECK_EQ(info.migration.next, 0);

	/*
	 * q35 with intel-iommu (39-bit guest addresses) less the MSI window:
	 * tests/kernel/kernelize.awk keeps maps inside exactly these.
	 */
	n = dt_iova_ranges(c, r, 4);
	for (i = 0; i < n && i < 4; i++)
		printf("iova range %d: 0x%" PRIx64 "-0x%" PRIx64 "\n", i, r[i].start, r[i].last);
	CHECK_EQ(n, 2);
	CHECK_EQ(dt_iova_ranges(c, NULL, 0), 2);
	CHECK_EQ(r[0].start, 0);
	CHECK_EQ(r[0].last, 0xfedfffffull);
	CHECK_EQ(r[1].start, 0xfef00000ull);
	CHECK_EQ(r[1].last, 0x7fffffffffull);

	mem = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(mem != MAP_FAILED);
	if (mem == MAP_FAILED)
		return;
	CHECK_EQ(dt_dma_map(c, 0x100000, 4096, (uintptr_t)mem, RW), 0);
	CHECK_EQ(dt_info_get(c, &info), 0);
	CHECK_EQ(info.dma_avail, DT_DMA_LIMIT_DEFAULT - 1);
	/* The MSI window and the space above the aperture are not valid IOVA. */
	CHECK_EQ(dt_dma_map(c, 0xfee00000ull, 4096, (uintptr_t)mem + 4096, RW), -EINVAL);
	CHECK_EQ(dt_dma_map(c, 0x8000000000ull, 4096, (uintptr_t)mem + 4096, RW), -EINVAL);
	/* Map flag bit 2 would be VADDR: the API refuses it before the kernel sees it. */
	CHECK_EQ(dt_dma_map(c, 0x200000, 4096, (uintptr_t)mem + 4096, 4), -EINVAL);
	CHECK_EQ(dt_dma_map(c, 0x200000, 4096, (uintptr_t)mem + 4096, 0), -EINVAL);
	dt_container_destroy(c);
	munmap(mem, 2 * 4096);
}

static void test_what_a_kernel_cannot(void)
{
	struct dt_container *c = make(groups, true);
	struct dt_profile prof;
	char buf[8] = {0};

	if (!c)
		return;
	CHECK_EQ(dt_group_attach(c, 9, DT_GROUP_MEDIATED, 1), -EOPNOTSUPP);
	CHECK_EQ(dt_group_attach(c, 1, DT_GROUP_IOMMU, 0), -EINVAL);
	CHECK_EQ(dt_group_attach(c, 1, (enum dt_group_kind)7, 1), -EINVAL);
	CHECK_EQ(dt_group_attach(c, 1, DT_GROUP_IOMMU, 1), 0);
	CHECK_EQ(dt_group_attach(c, 1, DT_GROUP_IOMMU, 1), -EINVAL);
	CHECK_EQ(dt_pin(c, 1, 0x100000, 1, RW), -EOPNOTSUPP);
	CHECK_EQ(dt_unpin(c, 1, 0x100000, 1), -EOPNOTSUPP);
	CHECK_EQ(dt_dma_rw(c, 0x100000, buf, sizeof(buf), true), -EOPNOTSUPP);
	CHECK_EQ(dt_profile_set(c, true), -EOPNOTSUPP);
	CHECK_EQ(dt_profile_take(c, &prof), -EOPNOTSUPP);
	dt_container_destroy(c);
}

static void test_groups(void)
{
	struct dt_container *a = make(groups, true), *b = make(groups, true);
	unsigned int i, n = ngroups();
	void *mem;

	if (!a || !b)
		goto out;
	/* Every group file once, then none is left. */
	for (i = 0; i < n; i++)
		CHECK_EQ(dt_group_attach(a, 100 + i, DT_GROUP_IOMMU, 1), 0);
	CHECK_EQ(dt_group_attach(a, 99, DT_GROUP_IOMMU, 1), -EOPNOTSUPP);
	/* A group belongs to one container: the kernel refuses a second open. */
	CHECK_EQ(dt_group_attach(b, 1, DT_GROUP_IOMMU, 1), -EBUSY);
	CHECK_EQ(dt_group_detach(a, 100), 0);
	CHECK_EQ(dt_group_detach(a, 100), -ENOENT);
	CHECK_EQ(dt_group_attach(b, 1, DT_GROUP_IOMMU, 1), 0);

	mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(mem != MAP_FAILED);
	if (mem == MAP_FAILED)
		goto out;
	CHECK_EQ(dt_dma_map(a, 0x100000, 4096, (uintptr_t)mem, RW), 0);
	for (i = 1; i < n; i++)
		CHECK_EQ(dt_group_detach(a, 100 + i), 0);
	/* The last group took the IOMMU with it, and the mapping. */
	CHECK_EQ(dt_dma_map(a, 0x100000, 4096, (uintptr_t)mem, RW), -EINVAL);
	/* a's first group file is b's now: attach takes the first free one and gets the kernel's no. */
	CHECK_EQ(dt_group_attach(a, 5, DT_GROUP_IOMMU, 1), -EBUSY);
	CHECK_EQ(dt_group_detach(b, 1), 0);
	CHECK_EQ(dt_group_attach(a, 5, DT_GROUP_IOMMU, 1), 0);
	CHECK_EQ(dt_unmap(a, 0x100000, 4096, NULL), 0);
	CHECK_EQ(dt_dma_map(a, 0x100000, 4096, (uintptr_t)mem, RW), 0);
	munmap(mem, 4096);
out:
	dt_container_destroy(a);
	dt_container_destroy(b);
}

static void test_v1(void)
{
	struct dt_container *c = make(groups, false);

	if (!c)
		return;
	CHECK_EQ(dt_group_attach(c, 1, DT_GROUP_IOMMU, 1), 0);
	CHECK_EQ(dt_dirty_start(c), -EACCES);
	dt_container_destroy(c);
}

int main(void)
{
	groups = getenv("DT_VFIO_GROUPS");
	if (!groups || !*groups) {
		printf("test_vfio: skipped: no DT_VFIO_GROUPS (run it in scripts/kernel-vm.sh)\n");
		return 77;
	}
	test_no_group_yet();
	test_info_and_ranges();
	test_what_a_kernel_cannot();
	test_groups();
	test_v1();
	CHECK_EXIT();
}
