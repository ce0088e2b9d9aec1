// SPDX-License-Identifier: MIT
/*
 * iommufd.c - the iommufd backend: type1 requests on /dev/iommu with the
 * IOMMU's hardware dirty bits (SEMANTICS.md §5). The type1 rules are
 * checked in user space (maptable.c); the kernel holds the mappings (one
 * IOAS) and the dirty state (one HWPT allocated with
 * IOMMU_HWPT_ALLOC_DIRTY_TRACKING, shared by every attached device).
 *
 *   - MAP / UNMAP: IOMMU_IOAS_MAP at the caller's IOVA / IOMMU_IOAS_UNMAP
 *     of each run of IOVA-contiguous mappings.
 *   - START / STOP: IOMMU_HWPT_SET_DIRTY_TRACKING on and off (turning it
 *     on clears the IOMMU's dirty bits: a clean slate).
 *   - GET_BITMAP: IOMMU_HWPT_GET_DIRTY_BITMAP (read and clear) per run of
 *     IOVA-contiguous mappings, because the kernel refuses a range with a
 *     hole (-EINVAL): type1 lets a GET span holes, which read as clean.
 *     A run whose first bit falls on a byte of the caller's bitmap is
 *     handed to the kernel in place (it sets bits where they belong); any
 *     other goes through a scratch buffer and is ORed in shifted.
 *   - UNMAP with bitmap: the same with NO_CLEAR, then the unmap.
 *   - groups: an IOMMU group is the next device file of
 *     dt_container_config.device: VFIO_DEVICE_BIND_IOMMUFD, then
 *     VFIO_DEVICE_ATTACH_IOMMUFD_PT to the HWPT (allocated for the first
 *     device, as HWPT_ALLOC needs a device); closing the fd detaches it.
 *     The HWPT outlives its devices, so the bits a device left are still
 *     harvested after it is gone. Mediated groups: -EOPNOTSUPP.
 *   - PIN, UNPIN, DMA_RW: -EOPNOTSUPP (a vendor driver's, in a kernel).
 *
 * The real IOMMU reports what the device wrote: there is no pinned-page
 * scope and no "every page dirty" of type1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "backend.h"
#include "iommufd.h"

static int real_open(void *ctx, const char *path, int flags)
{
	int fd = open(path, flags);

	(void)ctx;
	return fd < 0 ? -errno : fd;
}

static int real_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	(void)ctx;
	return ioctl(fd, req, arg) < 0 ? -errno : 0;
}

static void real_close(void *ctx, int fd)
{
	(void)ctx;
	close(fd);
}

const struct iommufd_sys iommufd_sys_real = {
	.open = real_open,
	.ioctl = real_ioctl,
	.close = real_close,
};

static int sys_ioctl(struct iommufd *f, int fd, unsigned long req, void *arg)
{
	return f->sys->ioctl(f->sys->ctx, fd, req, arg);
}

/* Bitmap words of the scratch buffer: 512 Ki pages (2 GiB at 4 KiB) per kernel request. */
#define IOMMUFD_SCRATCH_WORDS 8192u

static void iommufd_destroy(void *state)
{
	struct iommufd *f = state;
	struct dt_iommu_destroy d = {.size = sizeof(d)};
	size_t i;

	if (!f)
		return;
	for (i = 0; i < f->ndevs; i++) {
		if (f->devs[i].fd >= 0)
			f->sys->close(f->sys->ctx, f->devs[i].fd);
		free(f->devs[i].path);
	}
	free(f->devs);
	if (f->fd >= 0) {
		/* Closing the iommufd would free them too; the HWPT first, as it holds the IOAS. */
		if (f->hwpt_id) {
			d.id = f->hwpt_id;
			sys_ioctl(f, f->fd, DT_IOMMU_DESTROY, &d);
		}
		f->sys->close(f->sys->ctx, f->fd);
	}
	mt_fini(&f->t);
	free(f->scratch);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

/* Split "a,b,c" into device slots; empty names are skipped. */
static int devs_parse(struct iommufd *f, const char *list)
{
	const char *p = list, *end;
	size_t n = 1, len;

	for (end = list; *end; end++)
		n += *end == ',';
	f->devs = calloc(n, sizeof(*f->devs));
	if (!f->devs)
		return -ENOMEM;
	while (*p) {
		end = strchr(p, ',');
		len = end ? (size_t)(end - p) : strlen(p);
		if (len) {
			struct iommufd_dev *d = &f->devs[f->ndevs];

			d->path = strndup(p, len);
			if (!d->path)
				return -ENOMEM;
			d->fd = -1;
			f->ndevs++;
		}
		p += len + (end != NULL);
	}
	return f->ndevs ? 0 : -EINVAL;
}

int iommufd_create_with(const struct dt_container_config *cfg, const struct iommufd_sys *sys,
			const char *path, void **state)
{
	struct dt_iommu_ioas_alloc alloc = {.size = sizeof(alloc)};
	struct iommufd *f;
	int ret;

	if (cfg->pgsize < 4096 || (cfg->pgsize & (cfg->pgsize - 1)))
		return -EINVAL;
	/* A kernel's defects are reproduced by the model only. */
	if (cfg->compat && *cfg->compat)
		return -EOPNOTSUPP;

	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->fd = -1;
	f->sys = sys;
	if (pthread_mutex_init(&f->lock, NULL)) {
		free(f);
		return -ENOMEM;
	}
	ret = mt_init(&f->t, cfg->pgsize, cfg->dma_limit, cfg->v2);
	if (ret < 0)
		goto err;
	f->scratch_words = IOMMUFD_SCRATCH_WORDS;
	f->scratch = calloc(f->scratch_words, sizeof(*f->scratch));
	if (!f->scratch) {
		ret = -ENOMEM;
		goto err;
	}
	/* The node first: on a machine without iommufd, that is the answer. */
	ret = sys->open(sys->ctx, path, O_RDWR | O_CLOEXEC);
	if (ret == -ENOENT || ret == -ENXIO || ret == -ENODEV) {
		ret = -ENODEV; /* no iommufd in this kernel (CONFIG_IOMMUFD), or no IOMMU */
		goto err;
	}
	if (ret < 0)
		goto err;
	f->fd = ret;
	ret = sys_ioctl(f, f->fd, DT_IOMMU_IOAS_ALLOC, &alloc);
	if (ret == -ENOTTY || ret == -EINVAL) {
		ret = -ENODEV; /* the file is something else than an iommufd */
		goto err;
	}
	if (ret < 0)
		goto err;
	f->ioas_id = alloc.out_ioas_id;
	/* What a harvest could report without a device: nothing. vfio asks for one too. */
	if (!cfg->device) {
		ret = -EINVAL;
		goto err;
	}
	ret = devs_parse(f, cfg->device);
	if (ret < 0)
		goto err;
	*state = f;
	return 0;
err:
	iommufd_destroy(f);
	return ret;
}

static int iommufd_create(const struct dt_container_config *cfg, void **state)
{
	return iommufd_create_with(cfg, &iommufd_sys_real, IOMMUFD_PATH, state);
}

static struct iommufd_dev *dev_by_id(struct iommufd *f, uint64_t id)
{
	size_t i;

	for (i = 0; i < f->ndevs; i++)
		if (f->devs[i].fd >= 0 && f->devs[i].id == id)
			return &f->devs[i];
	return NULL;
}

static int set_tracking(struct iommufd *f, uint32_t hwpt_id, bool on)
{
	struct dt_iommu_hwpt_set_dirty_tracking r = {
		.size = sizeof(r),
		.flags = on ? DT_IOMMU_HWPT_DIRTY_TRACKING_ENABLE : 0,
		.hwpt_id = hwpt_id,
	};

	return sys_ioctl(f, f->fd, DT_IOMMU_HWPT_SET_DIRTY_TRACKING, &r);
}

static int attach_locked(struct iommufd *f, uint64_t id)
{
	struct dt_vfio_device_bind_iommufd bind = {.argsz = sizeof(bind), .iommufd = f->fd};
	struct dt_vfio_device_attach_iommufd_pt at = {.argsz = sizeof(at)};
	struct dt_iommu_hwpt_alloc alloc = {.size = sizeof(alloc)};
	struct dt_iommu_destroy d = {.size = sizeof(d)};
	struct iommufd_dev *dev = NULL;
	uint32_t hwpt_id = f->hwpt_id;
	size_t i;
	int fd, ret;

	for (i = 0; i < f->ndevs && !dev; i++)
		if (f->devs[i].fd < 0)
			dev = &f->devs[i];
	if (!dev)
		return -EOPNOTSUPP;
	fd = f->sys->open(f->sys->ctx, dev->path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return fd;
	ret = sys_ioctl(f, fd, DT_VFIO_DEVICE_BIND_IOMMUFD, &bind);
	if (ret == -ENOTTY)
		ret = -ENODEV; /* not a vfio device cdev (a group file, or no vfio at all) */
	if (ret < 0)
		goto err;
	if (!hwpt_id) {
		/* A domain that can track: attach then refuses a device whose IOMMU cannot. */
		alloc.flags = DT_IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
		alloc.dev_id = bind.out_devid;
		alloc.pt_id = f->ioas_id;
		ret = sys_ioctl(f, f->fd, DT_IOMMU_HWPT_ALLOC, &alloc);
		if (ret < 0)
			goto err; /* -EOPNOTSUPP: this IOMMU has no dirty tracking */
		hwpt_id = alloc.out_hwpt_id;
		if (f->tracking) {
			ret = set_tracking(f, hwpt_id, true);
			if (ret < 0)
				goto err;
		}
	}
	at.pt_id = hwpt_id;
	ret = sys_ioctl(f, fd, DT_VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at);
	if (ret < 0)
		goto err;
	f->hwpt_id = hwpt_id;
	dev->fd = fd;
	dev->id = id;
	dev->dev_id = bind.out_devid;
	return 0;
err:
	if (hwpt_id && !f->hwpt_id) {
		d.id = hwpt_id;
		sys_ioctl(f, f->fd, DT_IOMMU_DESTROY, &d);
	}
	f->sys->close(f->sys->ctx, fd); /* unbinds */
	return ret;
}

static int iommufd_group_attach(void *state, uint64_t id, enum dt_group_kind kind,
				unsigned int devices)
{
	struct iommufd *f = state;
	int ret;

	/* The model's checks first, so that every backend answers bad arguments alike. */
	if ((kind != DT_GROUP_IOMMU && kind != DT_GROUP_MEDIATED) || devices == 0)
		return -EINVAL;
	pthread_mutex_lock(&f->lock);
	if (dev_by_id(f, id))
		ret = -EINVAL;
	else if (kind == DT_GROUP_MEDIATED)
		ret = -EOPNOTSUPP; /* an mdev needs a vendor driver in the kernel */
	else
		ret = attach_locked(f, id);
	pthread_mutex_unlock(&f->lock);
	return ret;
}

static int iommufd_group_detach(void *state, uint64_t id)
{
	struct iommufd *f = state;
	struct iommufd_dev *dev;
	int ret = 0;

	pthread_mutex_lock(&f->lock);
	dev = dev_by_id(f, id);
	if (!dev) {
		ret = -ENOENT;
	} else {
		/* Closing the device detaches and unbinds it; the HWPT and its dirty bits stay. */
		f->sys->close(f->sys->ctx, dev->fd);
		dev->fd = -1;
	}
	pthread_mutex_unlock(&f->lock);
	return ret;
}

static int iommufd_dma_map(void *state, uint64_t iova, uint64_t size, uint64_t vaddr,
			   uint32_t prot)
{
	struct iommufd *f = state;
	struct dt_iommu_ioas_map r;
	size_t i;
	int ret;

	pthread_mutex_lock(&f->lock);
	/* Aliases are fine here: each IOVA has its own IO page-table entry and dirty bit. */
	ret = mt_map_check(&f->t, iova, size, vaddr, prot, f->tracking, false);
	if (ret == 0)
		ret = mt_insert(&f->t, iova, size, vaddr, prot);
	if (ret == 0) {
		iommufd_map_req(&r, f->ioas_id, iova, size, vaddr, prot);
		ret = sys_ioctl(f, f->fd, DT_IOMMU_IOAS_MAP, &r);
		if (ret < 0) {
			i = mt_lower(&f->t, iova);
			mt_remove(&f->t, i, i + 1);
		}
	}
	pthread_mutex_unlock(&f->lock);
	return ret;
}

/* Mappings [i, j) that follow each other in IOVA: one range to the kernel. */
static size_t run_end(const struct iommufd *f, size_t i, size_t end)
{
	const struct mt_mapping *m = f->t.m;

	while (i + 1 < end && m[i + 1].iova == m[i].iova + m[i].size)
		i++;
	return i + 1;
}

static int get_dirty(struct iommufd *f, uint64_t iova, uint64_t length, void *data,
		     bool no_clear)
{
	struct dt_iommu_hwpt_get_dirty_bitmap r;
	int ret;

	iommufd_dirty_req(&r, f->hwpt_id, iova, length, f->t.pgsize, data, no_clear);
	ret = iommufd_dirty_req_check(&r);
	if (ret < 0)
		return ret;
	return sys_ioctl(f, f->fd, DT_IOMMU_HWPT_GET_DIRTY_BITMAP, &r);
}

/*
 * Report mappings [first, end) into @map at bit (mapping.iova - base) /
 * pgsize, read-and-clear or (@no_clear) read only.
 */
static int report(struct iommufd *f, size_t first, size_t end, uint64_t base, uint64_t *map,
		  bool no_clear)
{
	const struct mt_mapping *m = f->t.m;
	unsigned int shift = f->t.pgshift;
	uint64_t iova, len, bit, off, n, chunk = (uint64_t)f->scratch_words * 64 << shift;
	size_t i, j;
	int ret;

	/* No device ever attached: no HWPT, nothing could have written. */
	if (!f->hwpt_id)
		return 0;
	for (i = first; i < end; i = j) {
		j = run_end(f, i, end);
		iova = m[i].iova;
		len = m[j - 1].iova + m[j - 1].size - iova;
		bit = (iova - base) >> shift;
		if (bit % 8 == 0) {
			/* In place: the kernel sets the run's bits in the caller's bitmap. */
			ret = get_dirty(f, iova, len, (uint8_t *)map + bit / 8, no_clear);
			if (ret < 0)
				return ret;
			continue;
		}
		for (off = 0; off < len; off += n) {
			n = len - off < chunk ? len - off : chunk;
			memset(f->scratch, 0, dt_bitmap_bytes(n >> shift));
			ret = get_dirty(f, iova + off, n, f->scratch, no_clear);
			if (ret < 0)
				return ret;
			iommufd_bits_or(map, bit + (off >> shift), f->scratch, n >> shift);
		}
	}
	return 0;
}

static int iommufd_dma_unmap(void *state, struct dt_dma_unmap *u)
{
	struct iommufd *f = state;
	struct dt_iommu_ioas_unmap r;
	uint64_t unmapped = 0;
	size_t first = 0, end = 0, done, i, j;
	int ret;

	pthread_mutex_lock(&f->lock);
	ret = mt_unmap_check(&f->t, u, f->tracking, &first, &end);
	if (ret == 0 && (u->flags & DT_UNMAP_GET_DIRTY_BITMAP))
		ret = report(f, first, end, u->iova, u->bitmap.data, true);
	/*
	 * One request per run. Should the kernel refuse one (it has no reason
	 * to: the table and the IOAS agree), the runs before it are gone from
	 * the kernel, so they go from the table too.
	 */
	done = first;
	for (i = first; ret == 0 && i < end; i = j) {
		j = run_end(f, i, end);
		iommufd_unmap_req(&r, f->ioas_id, f->t.m[i].iova,
				  f->t.m[j - 1].iova + f->t.m[j - 1].size - f->t.m[i].iova);
		ret = sys_ioctl(f, f->fd, DT_IOMMU_IOAS_UNMAP, &r);
		if (ret == 0)
			done = j;
	}
	for (i = first; i < done; i++)
		unmapped += f->t.m[i].size;
	mt_remove(&f->t, first, done);
	if (ret == 0)
		u->size = unmapped;
	pthread_mutex_unlock(&f->lock);
	return ret;
}

static int iommufd_dirty_pages(void *state, const struct dt_dirty_pages *req)
{
	struct iommufd *f = state;
	size_t first = 0, end = 0;
	int ret;

	pthread_mutex_lock(&f->lock);
	ret = mt_dirty_check(&f->t, req, f->tracking, &first, &end);
	if (ret == 0 && (req->flags & DT_DIRTY_START) && !f->tracking) {
		ret = mt_track_check(&f->t);
		if (ret == 0 && f->hwpt_id)
			ret = set_tracking(f, f->hwpt_id, true);
		if (ret == 0)
			f->tracking = true;
	} else if (ret == 0 && (req->flags & DT_DIRTY_STOP) && f->tracking) {
		if (f->hwpt_id)
			ret = set_tracking(f, f->hwpt_id, false);
		if (ret == 0)
			f->tracking = false;
	} else if (ret == 0 && (req->flags & DT_DIRTY_GET_BITMAP)) {
		ret = report(f, first, end, req->iova, req->bitmap.data, false);
	}
	pthread_mutex_unlock(&f->lock);
	return ret;
}

static int iommufd_info_get(void *state, struct dt_info *info)
{
	struct iommufd *f = state;

	/* The type1 view of the container, as the model gives it: iommufd has no GET_INFO. */
	pthread_mutex_lock(&f->lock);
	mt_info(&f->t, info);
	pthread_mutex_unlock(&f->lock);
	return 0;
}

static int iommufd_iova_ranges(void *state, struct dt_iova_range *ranges, size_t max)
{
	struct iommufd *f = state;
	struct dt_iommu_ioas_iova_ranges r = {.size = sizeof(r)};
	struct dt_iommu_iova_range *buf = NULL;
	uint32_t room = max > 64 ? 64 : (uint32_t)max, i;
	int ret;

	pthread_mutex_lock(&f->lock);
	r.ioas_id = f->ioas_id;
	for (;;) {
		free(buf);
		buf = calloc(room ? room : 1, sizeof(*buf));
		if (!buf) {
			ret = -ENOMEM;
			break;
		}
		r.num_iovas = room;
		r.allowed_iovas = (uintptr_t)buf;
		ret = sys_ioctl(f, f->fd, DT_IOMMU_IOAS_IOVA_RANGES, &r);
		/* -EMSGSIZE: more ranges than room; num_iovas says how many. */
		if (ret == -EMSGSIZE && r.num_iovas > room && room < max) {
			room = r.num_iovas < max ? r.num_iovas : (uint32_t)max;
			continue;
		}
		if (ret == -EMSGSIZE)
			ret = 0;
		break;
	}
	if (ret == 0) {
		for (i = 0; i < r.num_iovas && i < room; i++)
			ranges[i] = (struct dt_iova_range){.start = buf[i].start,
							   .last = buf[i].last};
		ret = r.num_iovas > INT32_MAX ? -EIO : (int)r.num_iovas;
	}
	free(buf);
	pthread_mutex_unlock(&f->lock);
	return ret;
}

const struct dt_backend_ops dt_iommufd_backend = {
	.name = "iommufd",
	.create = iommufd_create,
	.destroy = iommufd_destroy,
	.group_attach = iommufd_group_attach,
	.group_detach = iommufd_group_detach,
	.dma_map = iommufd_dma_map,
	.dma_unmap = iommufd_dma_unmap,
	.dirty_pages = iommufd_dirty_pages,
	.info_get = iommufd_info_get,
	.iova_ranges = iommufd_iova_ranges,
};
