// SPDX-License-Identifier: MIT
/*
 * test_iommufd - what can be tested of the iommufd backend without an
 * IOMMU (this machine has no /dev/iommu; docs/iommufd.md says what is
 * left for a real host):
 *   - the UAPI: every struct's size and field offsets and every ioctl
 *     number, against the values of include/uapi/linux/iommufd.h and
 *     vfio.h written out by hand here;
 *   - the requests built from dt_* arguments (map flags per prot, the
 *     dirty-bitmap request) and the argument rules of
 *     IOMMU_HWPT_GET_DIRTY_BITMAP (SEMANTICS.md §5), case by case;
 *   - the errors of the real system calls: no /dev/iommu (-ENODEV), a
 *     file that is no iommufd (/dev/null, a memfd: ENOTTY -> -ENODEV), a
 *     device file that is no vfio cdev (-ENODEV), one that does not
 *     exist (-ENOENT);
 *   - the translation, against a fake kernel (fake_iommufd.h) that
 *     records each request: which ioctls a MAP, START, GET (over runs
 *     and holes, at bit offsets that are and are not on a byte), UNMAP
 *     with bitmap and STOP make, with which fields, and where the
 *     kernel is told to put its bits;
 *   - the bits: random sequences through the fake kernel against the
 *     naive oracle, a device write in the fake being a DMA_RW write in
 *     the oracle; every errno, unmapped size and bitmap byte compared.
 *
 * Exit 0 pass, 1 fail.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <dirtytrack/dirtytrack.h>

#include "backend.h"
#include "check.h"
#include "fake_iommufd.h"
#include "iommufd.h"
#include "oracle.h"

#define PG 4096ull
#define BASE 0x100000ull
#define RW (DT_PROT_READ | DT_PROT_WRITE)

static const struct dt_backend_ops *ops = &dt_iommufd_backend;

/* The UAPI, as include/uapi/linux/iommufd.h (6.7) and vfio.h (6.6) lay it out. */
static void test_uapi(void)
{
	CHECK_EQ(DT_IOMMU_DESTROY, 0x3b80);
	CHECK_EQ(DT_IOMMU_IOAS_ALLOC, 0x3b81);
	CHECK_EQ(DT_IOMMU_IOAS_IOVA_RANGES, 0x3b84);
	CHECK_EQ(DT_IOMMU_IOAS_MAP, 0x3b85);
	CHECK_EQ(DT_IOMMU_IOAS_UNMAP, 0x3b86);
	CHECK_EQ(DT_IOMMU_HWPT_ALLOC, 0x3b89);
	CHECK_EQ(DT_IOMMU_HWPT_SET_DIRTY_TRACKING, 0x3b8b);
	CHECK_EQ(DT_IOMMU_HWPT_GET_DIRTY_BITMAP, 0x3b8c);
	CHECK_EQ(DT_VFIO_DEVICE_BIND_IOMMUFD, 0x3b76);
	CHECK_EQ(DT_VFIO_DEVICE_ATTACH_IOMMUFD_PT, 0x3b77);

	CHECK_EQ(sizeof(struct dt_iommu_ioas_alloc), 12);
	CHECK_EQ(offsetof(struct dt_iommu_ioas_alloc, out_ioas_id), 8);
	CHECK_EQ(sizeof(struct dt_iommu_ioas_map), 40);
	CHECK_EQ(offsetof(struct dt_iommu_ioas_map, flags), 4);
	CHECK_EQ(offsetof(struct dt_iommu_ioas_map, ioas_id), 8);
	CHECK_EQ(offsetof(struct dt_iommu_ioas_map, user_va), 16);
	CHECK_EQ(offsetof(struct dt_iommu_ioas_map, length), 24);
	CHECK_EQ(offsetof(struct dt_iommu_ioas_map, iova), 32);
	CHECK_EQ(sizeof(struct dt_iommu_ioas_unmap), 24);
	CHECK_EQ(offsetof(struct dt_iommu_ioas_unmap, length), 16);
	CHECK_EQ(sizeof(struct dt_iommu_ioas_iova_ranges), 32);
	CHECK_EQ(offsetof(struct dt_iommu_ioas_iova_ranges, num_iovas), 8);
	CHECK_EQ(offsetof(struct dt_iommu_ioas_iova_ranges, out_iova_alignment), 24);
	CHECK_EQ(sizeof(struct dt_iommu_hwpt_alloc), 40);
	CHECK_EQ(offsetof(struct dt_iommu_hwpt_alloc, dev_id), 8);
	CHECK_EQ(offsetof(struct dt_iommu_hwpt_alloc, pt_id), 12);
	CHECK_EQ(offsetof(struct dt_iommu_hwpt_alloc, out_hwpt_id), 16);
	CHECK_EQ(offsetof(struct dt_iommu_hwpt_alloc, data_type), 24);
	CHECK_EQ(offsetof(struct dt_iommu_hwpt_alloc, data_uptr), 32);
	CHECK_EQ(sizeof(struct dt_iommu_hwpt_set_dirty_tracking), 16);
	CHECK_EQ(offsetof(struct dt_iommu_hwpt_set_dirty_tracking, hwpt_id), 8);
	CHECK_EQ(sizeof(struct dt_iommu_hwpt_get_dirty_bitmap), 48);
	CHECK_EQ(offsetof(struct dt_iommu_hwpt_get_dirty_bitmap, hwpt_id), 4);
	CHECK_EQ(offsetof(struct dt_iommu_hwpt_get_dirty_bitmap, flags), 8);
	CHECK_EQ(offsetof(struct dt_iommu_hwpt_get_dirty_bitmap, iova), 16);
	CHECK_EQ(offsetof(struct dt_iommu_hwpt_get_dirty_bitmap, length), 24);
	CHECK_EQ(offsetof(struct dt_iommu_hwpt_get_dirty_bitmap, page_size), 32);
	CHECK_EQ(offsetof(struct dt_iommu_hwpt_get_dirty_bitmap, data), 40);
	CHECK_EQ(sizeof(struct dt_vfio_device_bind_iommufd), 16);
	CHECK_EQ(offsetof(struct dt_vfio_device_bind_iommufd, iommufd), 8);
	CHECK_EQ(offsetof(struct dt_vfio_device_bind_iommufd, out_devid), 12);
	CHECK_EQ(sizeof(struct dt_vfio_device_attach_iommufd_pt), 12);
	CHECK_EQ(offsetof(struct dt_vfio_device_attach_iommufd_pt, pt_id), 8);

	CHECK_EQ(DT_IOMMU_IOAS_MAP_FIXED_IOVA, 1);
	CHECK_EQ(DT_IOMMU_IOAS_MAP_WRITEABLE, 2);
	CHECK_EQ(DT_IOMMU_IOAS_MAP_READABLE, 4);
	CHECK_EQ(DT_IOMMU_HWPT_ALLOC_DIRTY_TRACKING, 2);
	CHECK_EQ(DT_IOMMU_HWPT_DIRTY_TRACKING_ENABLE, 1);
	CHECK_EQ(DT_IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, 1);
}

/* dt_* arguments as iommufd requests, and §5's argument rules. */
static void test_requests(void)
{
	static const struct {
		uint32_t flags, reserved;
		uint64_t iova, length, page_size;
		int expect;
		const char *what;
	} cases[] = {
		{0, 0, 0x100000, 0x4000, 4096, 0, "aligned, read and clear"},
		{1, 0, 0x100000, 0x4000, 4096, 0, "NO_CLEAR"},
		{2, 0, 0x100000, 0x4000, 4096, -EOPNOTSUPP, "unknown flag"},
		{0, 1, 0x100000, 0x4000, 4096, -EOPNOTSUPP, "reserved not zero"},
		{3, 7, 0, 0, 0, -EOPNOTSUPP, "flags are checked first"},
		{0, 0, 0x100000, 0, 4096, -EOVERFLOW, "length 0"},
		{0, 0, UINT64_MAX - 0xfff, 0x2000, 4096, -EOVERFLOW, "iova + length wraps"},
		{0, 0, UINT64_MAX - 0xfff, 0x1000, 4096, 0, "ending exactly at 2^64"},
		{0, 0, 0x100000, 0, 0, -EOVERFLOW, "length before page size"},
		{0, 0, 0x100000, 0x4000, 0, -EINVAL, "page size 0"},
		{0, 0, 0x100800, 0x4000, 4096, -EINVAL, "iova not aligned"},
		{0, 0, 0x100000, 0x3fb0, 4096, -EINVAL, "length not aligned (0x3fb0 of §4)"},
		{0, 0, 0x200000, 0x200000, 0x200000, 0, "2 MiB IO pages"},
		{0, 0, 0x100000, 0x200000, 0x200000, -EINVAL, "iova not on a 2 MiB page"},
	};
	struct dt_iommu_hwpt_get_dirty_bitmap g;
	struct dt_iommu_ioas_map m;
	struct dt_iommu_ioas_unmap u;
	uint64_t data[2];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		iommufd_dirty_req(&g, 5, cases[i].iova, cases[i].length, cases[i].page_size, data,
				  false);
		g.flags = cases[i].flags;
		g.reserved = cases[i].reserved;
		if (iommufd_dirty_req_check(&g) != cases[i].expect) {
			fprintf(stderr, "test_iommufd: §5 case '%s': %d, expected %d\n",
				cases[i].what, iommufd_dirty_req_check(&g), cases[i].expect);
			check_failures++;
		}
	}
	iommufd_dirty_req(&g, 9, 0x5000, 0x3000, 4096, data, true);
	CHECK_EQ(g.size, 48);
	CHECK_EQ(g.hwpt_id, 9);
	CHECK_EQ(g.flags, DT_IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR);
	CHECK_EQ(g.reserved, 0);
	CHECK_EQ(g.iova, 0x5000);
	CHECK_EQ(g.length, 0x3000);
	CHECK_EQ(g.page_size, 4096);
	CHECK(g.data == (uintptr_t)data);

	iommufd_map_req(&m, 3, 0x10000, 0x2000, 0x7f0000000000ull, DT_PROT_READ);
	CHECK_EQ(m.size, 40);
	CHECK_EQ(m.flags, DT_IOMMU_IOAS_MAP_FIXED_IOVA | DT_IOMMU_IOAS_MAP_READABLE);
	CHECK_EQ(m.ioas_id, 3);
	CHECK_EQ(m.reserved, 0);
	CHECK(m.user_va == 0x7f0000000000ull && m.length == 0x2000 && m.iova == 0x10000);
	iommufd_map_req(&m, 3, 0x10000, 0x2000, 0x1000, DT_PROT_WRITE);
	CHECK_EQ(m.flags, DT_IOMMU_IOAS_MAP_FIXED_IOVA | DT_IOMMU_IOAS_MAP_WRITEABLE);
	iommufd_map_req(&m, 3, 0x10000, 0x2000, 0x1000, RW);
	CHECK_EQ(m.flags, DT_IOMMU_IOAS_MAP_FIXED_IOVA | DT_IOMMU_IOAS_MAP_WRITEABLE |
				  DT_IOMMU_IOAS_MAP_READABLE);
	iommufd_unmap_req(&u, 3, 0x10000, 0x2000);
	CHECK(u.size == 24 && u.ioas_id == 3 && u.iova == 0x10000 && u.length == 0x2000);
}

/* iommufd_bits_or against setting one bit at a time. */
static void test_bits_or(void)
{
	uint64_t src[4], dst[8], want[8], seed = 1, at, n, i;
	int round;

	for (round = 0; round < 2000; round++) {
		for (i = 0; i < 4; i++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			src[i] = seed ^ (seed >> 29);
		}
		at = (seed >> 7) % 200;
		n = 1 + (seed >> 17) % 256;
		if (at + n > 8 * 64)
			n = 8 * 64 - at;
		memset(dst, 0, sizeof(dst));
		memset(want, 0, sizeof(want));
		for (i = 0; i < n; i++)
			if (src[i / 64] >> (i % 64) & 1)
				want[(at + i) / 64] |= 1ull << ((at + i) % 64);
		iommufd_bits_or(dst, at, src, n);
		if (memcmp(dst, want, sizeof(dst))) {
			fprintf(stderr, "test_iommufd: bits_or at %" PRIu64 " n %" PRIu64 "\n", at,
				n);
			check_failures++;
			return;
		}
	}
}

static struct dt_container_config config(const char *device)
{
	struct dt_container_config cfg;

	dt_container_config_init(&cfg);
	cfg.backend = "iommufd";
	cfg.device = device;
	return cfg;
}

/* The real system calls on this machine: it has no /dev/iommu. */
static void test_real_errors(void)
{
	struct dt_container_config cfg = config("/dev/vfio/devices/vfio0");
	struct dt_container *c = NULL;
	struct iommufd_sys sys;
	struct fake_iommufd k;
	char path[64];
	void *st = NULL;
	int memfd;

	if (access(IOMMUFD_PATH, F_OK) != 0) {
		CHECK_EQ(dt_container_create(&cfg, &c), -ENODEV);
		CHECK(c == NULL);
	} else {
		printf("test_iommufd: this machine has %s: the -ENODEV case is not checked\n",
		       IOMMUFD_PATH);
	}
	/* Files that answer ENOTTY to IOMMU_IOAS_ALLOC are no iommufd. */
	CHECK_EQ(iommufd_create_with(&cfg, &iommufd_sys_real, "/dev/null", &st), -ENODEV);
	memfd = memfd_create("not-an-iommufd", MFD_CLOEXEC);
	CHECK(memfd >= 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	CHECK_EQ(iommufd_create_with(&cfg, &iommufd_sys_real, path, &st), -ENODEV);
	close(memfd);
	CHECK_EQ(iommufd_create_with(&cfg, &iommufd_sys_real, "/nonexistent/iommu", &st), -ENODEV);
	CHECK(st == NULL);

	/* Arguments checked before any file is opened. */
	cfg.pgsize = 6000;
	CHECK_EQ(iommufd_create_with(&cfg, &iommufd_sys_real, "/dev/null", &st), -EINVAL);
	cfg = config("/dev/null");
	cfg.compat = "linux-6.1";
	CHECK_EQ(iommufd_create_with(&cfg, &iommufd_sys_real, "/dev/null", &st), -EOPNOTSUPP);

	/* A real iommufd would take these: the fake one, with real device files. */
	fake_init(&k, &sys, BASE, 16);
	cfg = config(NULL);
	CHECK_EQ(iommufd_create_with(&cfg, &sys, FAKE_IOMMU_PATH, &st), -EINVAL);
	cfg = config(",,");
	CHECK_EQ(iommufd_create_with(&cfg, &sys, FAKE_IOMMU_PATH, &st), -EINVAL);
	cfg = config("/dev/null,/nonexistent/vfio0");
	CHECK_EQ(iommufd_create_with(&cfg, &sys, FAKE_IOMMU_PATH, &st), 0);
	/* /dev/null answers ENOTTY to VFIO_DEVICE_BIND_IOMMUFD: no vfio cdev. */
	CHECK_EQ(ops->group_attach(st, 1, DT_GROUP_IOMMU, 1), -ENODEV);
	ops->destroy(st);
	cfg = config("/nonexistent/vfio0");
	CHECK_EQ(iommufd_create_with(&cfg, &sys, FAKE_IOMMU_PATH, &st), 0);
	CHECK_EQ(ops->group_attach(st, 1, DT_GROUP_IOMMU, 1), -ENOENT);
	ops->destroy(st);
	fake_fini(&k);
}

static int get(void *st, uint64_t iova, uint64_t npages, uint64_t *bits)
{
	struct dt_dirty_pages req = {
		.argsz = DT_DIRTY_PAGES_GET_ARGSZ,
		.flags = DT_DIRTY_GET_BITMAP,
		.iova = iova,
		.size = npages * PG,
		.bitmap = {.pgsize = PG, .size = dt_bitmap_bytes(npages), .data = bits},
	};

	return ops->dirty_pages(st, &req);
}

static int dirty(void *st, uint32_t flag)
{
	struct dt_dirty_pages req = {.argsz = DT_DIRTY_PAGES_ARGSZ, .flags = flag};

	return ops->dirty_pages(st, &req);
}

/* The requests of kind @nr recorded from index @from on. */
static size_t reqs_of(const struct fake_iommufd *k, size_t from, unsigned long nr,
		      const struct fake_req **out, size_t max)
{
	size_t i, n = 0;

	for (i = from; i < k->nreqs; i++)
		if (k->reqs[i].nr == nr) {
			if (n < max)
				out[n] = &k->reqs[i];
			n++;
		}
	return n;
}

/* What the backend asks the kernel, request by request. */
static void test_translation(void)
{
	struct dt_container_config cfg = config(FAKE_DEV_PATH "0," FAKE_DEV_PATH "1");
	static uint8_t mem[64 * 4096] __attribute__((aligned(4096)));
	const struct fake_req *q[8];
	struct dt_iova_range ranges[3];
	struct iommufd_sys sys;
	struct fake_iommufd k;
	uint64_t bits[4] = {0};
	struct dt_dma_unmap u;
	size_t mark;
	void *st = NULL;

	fake_init(&k, &sys, BASE, 1024);
	CHECK_EQ(iommufd_create_with(&cfg, &sys, FAKE_IOMMU_PATH, &st), 0);
	CHECK_EQ(k.nreqs, 1);
	CHECK_EQ(k.reqs[0].nr, DT_IOMMU_IOAS_ALLOC);

	/* MAP: at the caller's IOVA, with the prot bits as READABLE / WRITEABLE. */
	CHECK_EQ(ops->dma_map(st, BASE, 3 * PG, (uintptr_t)mem, RW), 0);
	CHECK_EQ(k.reqs[1].nr, DT_IOMMU_IOAS_MAP);
	CHECK_EQ(k.reqs[1].u.map.flags, DT_IOMMU_IOAS_MAP_FIXED_IOVA | DT_IOMMU_IOAS_MAP_READABLE |
						DT_IOMMU_IOAS_MAP_WRITEABLE);
	CHECK(k.reqs[1].u.map.iova == BASE && k.reqs[1].u.map.length == 3 * PG &&
	      k.reqs[1].u.map.user_va == (uintptr_t)mem && k.reqs[1].u.map.ioas_id == FAKE_IOAS);
	CHECK_EQ(ops->dma_map(st, BASE + 3 * PG, 70 * PG, (uintptr_t)mem, RW), 0);
	CHECK_EQ(ops->dma_map(st, BASE + 73 * PG, 5 * PG, (uintptr_t)mem, RW), 0);
	/* A hole, then one more mapping 9 pages on: a run of its own. */
	CHECK_EQ(ops->dma_map(st, BASE + 87 * PG, 4 * PG, (uintptr_t)mem, DT_PROT_READ), 0);

	/* START before any device: no HWPT to ask yet. */
	mark = k.nreqs;
	CHECK_EQ(dirty(st, DT_DIRTY_START), 0);
	CHECK_EQ(k.nreqs, mark);
	CHECK_EQ(get(st, BASE, 78, bits), 0); /* nothing could have written */
	CHECK_EQ(k.nreqs, mark);

	/* The first device: bind, a HWPT that tracks, tracking on (we are started), attach. */
	CHECK_EQ(ops->group_attach(st, 7, DT_GROUP_MEDIATED, 1), -EOPNOTSUPP);
	CHECK_EQ(ops->group_attach(st, 7, DT_GROUP_IOMMU, 1), 0);
	CHECK_EQ(k.nreqs, mark + 4);
	CHECK_EQ(k.reqs[mark].nr, DT_VFIO_DEVICE_BIND_IOMMUFD);
	CHECK_EQ(k.reqs[mark].u.bind.iommufd, FAKE_IOMMU_FD);
	CHECK_EQ(k.reqs[mark + 1].nr, DT_IOMMU_HWPT_ALLOC);
	CHECK_EQ(k.reqs[mark + 1].u.alloc.flags, DT_IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
	CHECK_EQ(k.reqs[mark + 1].u.alloc.dev_id, 100);
	CHECK_EQ(k.reqs[mark + 1].u.alloc.pt_id, FAKE_IOAS);
	CHECK_EQ(k.reqs[mark + 2].nr, DT_IOMMU_HWPT_SET_DIRTY_TRACKING);
	CHECK_EQ(k.reqs[mark + 2].u.track.flags, DT_IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
	CHECK_EQ(k.reqs[mark + 2].u.track.hwpt_id, FAKE_HWPT);
	CHECK_EQ(k.reqs[mark + 3].nr, DT_VFIO_DEVICE_ATTACH_IOMMUFD_PT);
	CHECK_EQ(k.reqs[mark + 3].u.attach.pt_id, FAKE_HWPT);
	CHECK(k.tracking);
	/* The second device joins the same HWPT; there is no third. */
	CHECK_EQ(ops->group_attach(st, 7, DT_GROUP_IOMMU, 1), -EINVAL);
	CHECK_EQ(ops->group_attach(st, 8, DT_GROUP_IOMMU, 1), 0);
	CHECK_EQ(reqs_of(&k, mark + 4, DT_IOMMU_HWPT_ALLOC, q, 8), 0);
	CHECK_EQ(ops->group_attach(st, 9, DT_GROUP_IOMMU, 1), -EOPNOTSUPP);

	/* Every page of the 3/70/5 mappings written: one GET for the run, in place. */
	CHECK_EQ(fake_device_write(&k, BASE, 78 * PG), 0);
	mark = k.nreqs;
	memset(bits, 0, sizeof(bits));
	CHECK_EQ(get(st, BASE, 91, bits), 0);
	CHECK_EQ(reqs_of(&k, mark, DT_IOMMU_HWPT_GET_DIRTY_BITMAP, q, 8), 2);
	CHECK(q[0]->u.get.iova == BASE && q[0]->u.get.length == 78 * PG);
	CHECK(q[0]->u.get.page_size == PG && q[0]->u.get.flags == 0 && q[0]->u.get.reserved == 0);
	CHECK_EQ(q[0]->u.get.hwpt_id, FAKE_HWPT);
	CHECK(q[0]->u.get.data == (uintptr_t)bits);
	/* The run after the hole starts at bit 87, not on a byte: through the scratch buffer. */
	CHECK(q[1]->u.get.iova == BASE + 87 * PG && q[1]->u.get.length == 4 * PG);
	CHECK(q[1]->u.get.data != (uintptr_t)bits + 87 / 8);
	CHECK(bits[0] == UINT64_MAX && bits[1] == (1ull << 14) - 1);
	/* Harvest cleared: nothing the second time. */
	memset(bits, 0, sizeof(bits));
	CHECK_EQ(get(st, BASE, 91, bits), 0);
	CHECK(!bits[0] && !bits[1]);

	/* A mapping 8 pages into the request: bit 8, on a byte, handed over in place. */
	CHECK_EQ(fake_device_write(&k, BASE + 3 * PG + 100, 1), 0);
	mark = k.nreqs;
	memset(bits, 0, sizeof(bits));
	CHECK_EQ(ops->dma_map(st, BASE + 200 * PG, 16 * PG, (uintptr_t)mem, RW), 0);
	CHECK_EQ(fake_device_write(&k, BASE + 203 * PG, 2 * PG), 0);
	CHECK_EQ(get(st, BASE + 192 * PG, 24, bits), 0);
	CHECK_EQ(reqs_of(&k, mark, DT_IOMMU_HWPT_GET_DIRTY_BITMAP, q, 8), 1);
	CHECK(q[0]->u.get.data == (uintptr_t)bits + 1);
	CHECK_EQ(bits[0], 3ull << 11);

	/* UNMAP with bitmap: read without clearing, then unmap the run. */
	mark = k.nreqs;
	memset(bits, 0, sizeof(bits));
	u = (struct dt_dma_unmap){
		.argsz = DT_DMA_UNMAP_BITMAP_ARGSZ,
		.flags = DT_UNMAP_GET_DIRTY_BITMAP,
		.iova = BASE + 3 * PG,
		.size = 70 * PG,
		.bitmap = {.pgsize = PG, .size = dt_bitmap_bytes(70), .data = bits},
	};
	CHECK_EQ(ops->dma_unmap(st, &u), 0);
	CHECK_EQ(u.size, 70 * PG);
	CHECK_EQ(bits[0], 1);
	CHECK_EQ(k.nreqs, mark + 2);
	CHECK_EQ(k.reqs[mark].nr, DT_IOMMU_HWPT_GET_DIRTY_BITMAP);
	CHECK_EQ(k.reqs[mark].u.get.flags, DT_IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR);
	CHECK_EQ(k.reqs[mark + 1].nr, DT_IOMMU_IOAS_UNMAP);
	CHECK(k.reqs[mark + 1].u.unmap.iova == BASE + 3 * PG &&
	      k.reqs[mark + 1].u.unmap.length == 70 * PG);

	/* A device leaving keeps its bits: the HWPT stays. */
	CHECK_EQ(fake_device_write(&k, BASE, 1), 0);
	CHECK_EQ(ops->group_detach(st, 7), 0);
	CHECK_EQ(ops->group_detach(st, 7), -ENOENT);
	CHECK_EQ(ops->group_detach(st, 8), 0);
	memset(bits, 0, sizeof(bits));
	CHECK_EQ(get(st, BASE, 3, bits), 0);
	CHECK_EQ(bits[0], 1);

	/* STOP: tracking off in the HWPT; a GET is then the caller's error, never the kernel's. */
	mark = k.nreqs;
	CHECK_EQ(dirty(st, DT_DIRTY_STOP), 0);
	CHECK_EQ(k.nreqs, mark + 1);
	CHECK_EQ(k.reqs[mark].u.track.flags, 0);
	CHECK_EQ(get(st, BASE, 3, bits), -EINVAL);
	CHECK_EQ(k.nreqs, mark + 1);

	/* IOVA ranges from the kernel: the count always, as many as there is room for. */
	memset(ranges, 0, sizeof(ranges));
	CHECK_EQ(ops->iova_ranges(st, NULL, 0), 2);
	CHECK_EQ(ops->iova_ranges(st, ranges, 1), 2);
	CHECK(ranges[0].start == 0 && ranges[0].last == 0xfedfffffull && ranges[1].last == 0);
	CHECK_EQ(ops->iova_ranges(st, ranges, 3), 2);
	CHECK(ranges[1].start == 0xfef00000ull && ranges[1].last == (1ull << 48) - 1);

	/* Not the backend's to do. */
	CHECK(ops->pin == NULL && ops->unpin == NULL && ops->dma_rw == NULL);
	ops->destroy(st);
	fake_fini(&k);

	/* An IOMMU without dirty tracking: HWPT_ALLOC says so, the device is let go. */
	fake_init(&k, &sys, BASE, 16);
	k.no_dirty_tracking = true;
	CHECK_EQ(iommufd_create_with(&cfg, &sys, FAKE_IOMMU_PATH, &st), 0);
	CHECK_EQ(ops->group_attach(st, 1, DT_GROUP_IOMMU, 1), -EOPNOTSUPP);
	CHECK(!k.open_devs[0]);
	ops->destroy(st);
	fake_fini(&k);
}

/* ---- random sequences through the fake kernel against the oracle ---- */

#define WIN 160ull
#define MAX_MAPS 256

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t below(struct rng *r, uint64_t n)
{
	return rnd(r) % n;
}

static bool chance(struct rng *r, unsigned int percent)
{
	return below(r, 100) < percent;
}

struct diff {
	uint64_t seed, op, pg;
	void *e;
	struct oracle_container *o;
	struct fake_iommufd *k;
	uint8_t *arena; /* the oracle writes here; the fake kernel only pretends */
	bool attached;	/* no device, no writes */
	bool failed;
	char what[160];
};

static bool differ(struct diff *d, const char *field, int64_t e, int64_t o)
{
	if (e == o || d->failed)
		return e != o;
	fprintf(stderr,
		"test_iommufd: difference (seed %" PRIu64 ", op %" PRIu64 ", pgsize %" PRIu64
		"): %s: %s iommufd %" PRId64 " oracle %" PRId64 "\n",
		d->seed, d->op, d->pg, d->what, field, e, o);
	d->failed = true;
	check_failures++;
	return true;
}

static void differ_bytes(struct diff *d, const uint8_t *e, const uint8_t *o, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (differ(d, "bitmap byte", e[i], o[i]))
			return;
}

static size_t maps_sorted(struct diff *d, struct oracle_mapping_view *v)
{
	size_t n = oracle_mapping_count(d->o), i, j;
	struct oracle_mapping_view t;

	for (i = 0; i < n && i < MAX_MAPS; i++)
		oracle_mapping_at(d->o, i, &v[i]);
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && v[j - 1].iova > v[j].iova; j--) {
			t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return n;
}

static void pick_range(struct diff *d, struct rng *r, uint64_t *iova, uint64_t *size)
{
	struct oracle_mapping_view v[MAX_MAPS];
	size_t n = maps_sorted(d, v), i, j;
	uint64_t start, end;

	if (n && chance(r, 75)) {
		i = below(r, n);
		start = v[i].iova - (chance(r, 35) ? below(r, 70) * d->pg : 0);
		j = i + below(r, n - i < 4 ? n - i : 4);
		end = v[j].iova + v[j].size + (chance(r, 20) ? below(r, 70) * d->pg : 0);
	} else {
		start = BASE + below(r, WIN) * d->pg;
		end = start + (1 + below(r, 80)) * d->pg;
	}
	if (start < BASE)
		start = BASE;
	*iova = start;
	*size = end - start;
}

static void op_map(struct diff *d, struct rng *r)
{
	uint64_t first = below(r, WIN), n = 1 + below(r, chance(r, 25) ? 90 : 10);
	uint32_t prot = chance(r, 80) ? RW : chance(r, 50) ? DT_PROT_READ : DT_PROT_WRITE;
	uint64_t iova, size, vaddr;

	if (first + n > WIN)
		n = WIN - first;
	iova = BASE + first * d->pg;
	size = n * d->pg;
	if (chance(r, 4))
		prot = 0;
	snprintf(d->what, sizeof(d->what), "map 0x%" PRIx64 "+0x%" PRIx64 " prot %u", iova, size,
		 prot);
	vaddr = (uintptr_t)d->arena + first * d->pg;
	differ(d, "errno", ops->dma_map(d->e, iova, size, vaddr, prot),
	       oracle_dma_map(d->o, iova, size, vaddr, prot));
}

static void op_get(struct diff *d, struct rng *r)
{
	uint64_t iova, size, bytes;
	struct dt_dirty_pages req = {
		.argsz = DT_DIRTY_PAGES_GET_ARGSZ,
		.flags = DT_DIRTY_GET_BITMAP,
	};
	uint8_t *be, *bo;
	int re, ro;

	pick_range(d, r, &iova, &size);
	bytes = dt_bitmap_bytes(size / d->pg) + (chance(r, 20) ? 16 : 0);
	be = calloc(1, bytes + 8);
	bo = calloc(1, bytes + 8);
	if (!be || !bo)
		exit(1);
	req.iova = iova;
	req.size = size;
	req.bitmap = (struct dt_bitmap){.pgsize = d->pg, .size = bytes, .data = (uint64_t *)be};
	snprintf(d->what, sizeof(d->what), "get 0x%" PRIx64 "+0x%" PRIx64, iova, size);
	re = ops->dirty_pages(d->e, &req);
	req.bitmap.data = (uint64_t *)bo;
	ro = oracle_dirty_pages(d->o, &req);
	if (!differ(d, "errno", re, ro))
		differ_bytes(d, be, bo, bytes);
	free(be);
	free(bo);
}

static void op_unmap(struct diff *d, struct rng *r)
{
	struct dt_dma_unmap ue = {.argsz = DT_DMA_UNMAP_ARGSZ}, uo;
	uint64_t bytes = 8;
	uint8_t *be = NULL, *bo = NULL;
	int re, ro;

	pick_range(d, r, &ue.iova, &ue.size);
	if (chance(r, 4)) {
		ue.flags = DT_UNMAP_ALL;
		ue.iova = ue.size = 0;
	} else if (chance(r, 65)) {
		ue.argsz = DT_DMA_UNMAP_BITMAP_ARGSZ;
		ue.flags = DT_UNMAP_GET_DIRTY_BITMAP;
		bytes = dt_bitmap_bytes(ue.size / d->pg);
		be = calloc(1, bytes + 8);
		bo = calloc(1, bytes + 8);
		if (!be || !bo)
			exit(1);
		ue.bitmap =
			(struct dt_bitmap){.pgsize = d->pg, .size = bytes, .data = (uint64_t *)be};
	}
	uo = ue;
	uo.bitmap.data = (uint64_t *)bo;
	snprintf(d->what, sizeof(d->what), "unmap 0x%" PRIx64 "+0x%" PRIx64 " flags %u", ue.iova,
		 ue.size, ue.flags);
	re = ops->dma_unmap(d->e, &ue);
	ro = oracle_dma_unmap(d->o, &uo);
	if (!differ(d, "errno", re, ro) && re == 0) {
		differ(d, "unmapped", (int64_t)ue.size, (int64_t)uo.size);
		if (be)
			differ_bytes(d, be, bo, bytes);
	}
	free(be);
	free(bo);
}

/* The device writes through the IOMMU: the fake sets its dirty bits, the oracle sees DMA_RW. */
static void op_device_write(struct diff *d, struct rng *r)
{
	struct oracle_mapping_view v[MAX_MAPS];
	size_t n = maps_sorted(d, v), i;
	uint64_t off, len;
	uint8_t buf[3 * 16384];

	if (!n || !d->attached)
		return;
	i = below(r, n);
	if (!(v[i].prot & DT_PROT_WRITE))
		return;
	off = below(r, v[i].size);
	len = 1 + below(r, 2 * d->pg);
	if (len > v[i].size - off)
		len = v[i].size - off;
	memset(buf, (int)rnd(r), len);
	snprintf(d->what, sizeof(d->what), "device write 0x%" PRIx64 "+%" PRIu64, v[i].iova + off,
		 len);
	differ(d, "write", fake_device_write(d->k, v[i].iova + off, len),
	       oracle_dma_rw(d->o, v[i].iova + off, buf, len, true));
}

static void op_dirty(struct diff *d, struct rng *r)
{
	struct dt_dirty_pages req = {.argsz = DT_DIRTY_PAGES_ARGSZ};

	req.flags = chance(r, 65) ? DT_DIRTY_START : DT_DIRTY_STOP;
	if (chance(r, 4))
		req.flags |= DT_DIRTY_GET_BITMAP;
	snprintf(d->what, sizeof(d->what), "dirty flags %u", req.flags);
	differ(d, "errno", ops->dirty_pages(d->e, &req), oracle_dirty_pages(d->o, &req));
}

static void op_info(struct diff *d)
{
	struct dt_info ie, io;

	memset(&ie, 0xa5, sizeof(ie));
	memset(&io, 0x5a, sizeof(io));
	snprintf(d->what, sizeof(d->what), "info");
	if (!differ(d, "errno", ops->info_get(d->e, &ie), oracle_info_get(d->o, &io)))
		differ_bytes(d, (const uint8_t *)&ie, (const uint8_t *)&io, sizeof(ie));
}

static void run_seed(uint64_t seed, uint64_t nops)
{
	struct dt_container_config cfg = config(FAKE_DEV_PATH "0");
	struct rng r = {.s = seed};
	struct diff d = {.seed = seed};
	struct iommufd_sys sys;
	struct fake_iommufd k;
	unsigned int x;

	d.pg = seed % 3 == 2 ? 16384 : PG;
	cfg.pgsize = d.pg;
	fake_init(&k, &sys, BASE, WIN * d.pg / FAKE_IOPAGE);
	d.k = &k;
	d.arena = mmap(NULL, WIN * d.pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (d.arena == MAP_FAILED || iommufd_create_with(&cfg, &sys, FAKE_IOMMU_PATH, &d.e) < 0 ||
	    oracle_container_create(&cfg, &d.o) < 0) {
		fprintf(stderr, "test_iommufd: seed %" PRIu64 ": setup failed\n", seed);
		check_failures++;
		return;
	}
	/*
	 * A device behind the IOMMU, sometimes only after a few operations. The
	 * oracle gets none: an IOMMU group would put it out of scope, and the
	 * hardware has no such thing.
	 */
	if (chance(&r, 70))
		d.attached = ops->group_attach(d.e, 1, DT_GROUP_IOMMU, 1) == 0;
	for (d.op = 0; d.op < nops && !d.failed; d.op++) {
		if (d.op == 20 && !d.attached) {
			d.attached = ops->group_attach(d.e, 1, DT_GROUP_IOMMU, 1) == 0;
			CHECK(d.attached);
			continue;
		}
		x = (unsigned int)below(&r, 100);
		if (x < 18)
			op_map(&d, &r);
		else if (x < 30)
			op_unmap(&d, &r);
		else if (x < 52)
			op_get(&d, &r);
		else if (x < 82)
			op_device_write(&d, &r);
		else if (x < 96)
			op_dirty(&d, &r);
		else
			op_info(&d);
	}
	ops->destroy(d.e);
	oracle_container_destroy(d.o);
	munmap(d.arena, WIN * d.pg);
	fake_fini(&k);
}

int main(int argc, char **argv)
{
	uint64_t seeds = argc > 1 ? strtoull(argv[1], NULL, 0) : 500, s;

	test_uapi();
	test_requests();
	test_bits_or();
	test_real_errors();
	test_translation();
	for (s = 1; s <= seeds && check_failures < 5; s++)
		run_seed(s, 200);
	CHECK_EXIT();
}
