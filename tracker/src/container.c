// SPDX-License-Identifier: MIT
/*
 * container.c - the public API: pick a backend, pass each call through.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "harvest.h"

struct dt_container {
	const struct dt_backend_ops *ops;
	void *state;
	const char *harvest;
};

static const struct dt_backend_ops *const backends[] = {
	&dt_model_backend,
	&dt_vfio_backend,
	&dt_uffd_backend,
	&dt_iommufd_backend,
};

static const char *const backend_names[] = {"model", "vfio", "uffd", "iommufd", NULL};

const char *const *dt_backend_names(void)
{
	return backend_names;
}

void dt_container_config_init(struct dt_container_config *cfg)
{
	if (!cfg)
		return;
	memset(cfg, 0, sizeof(*cfg));
	cfg->backend = "model";
	cfg->harvest = "reference";
	cfg->pgsize = 4096;
	cfg->dma_limit = DT_DMA_LIMIT_DEFAULT;
	cfg->v2 = true;
}

int dt_container_create(const struct dt_container_config *cfg, struct dt_container **out)
{
	const struct dt_backend_ops *ops = NULL;
	const char *harvest;
	struct dt_container *c;
	size_t i;
	int ret;

	if (!cfg || !out)
		return -EINVAL;
	for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (!strcmp(cfg->backend ? cfg->backend : "model", backends[i]->name)) {
			ops = backends[i];
			break;
		}
	if (!ops)
		return -ENOENT;
	harvest = cfg->harvest ? cfg->harvest : "reference";
	for (i = 0; dt_harvests[i]; i++)
		if (!strcmp(harvest, dt_harvests[i]->name))
			break;
	if (!dt_harvests[i])
		return -ENOENT;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->ops = ops;
	c->harvest = dt_harvests[i]->name;
	ret = ops->create(cfg, &c->state);
	if (ret < 0) {
		free(c);
		return ret;
	}
	*out = c;
	return 0;
}

void dt_container_destroy(struct dt_container *c)
{
	if (!c)
		return;
	c->ops->destroy(c->state);
	free(c);
}

const char *dt_container_backend(const struct dt_container *c)
{
	return c ? c->ops->name : NULL;
}

const char *dt_container_harvest(const struct dt_container *c)
{
	return c ? c->harvest : NULL;
}

/* Call @op of the backend behind @c, or say it has none. */
#define DT_CALL(c, op, ...)                                                                        \
	do {                                                                                       \
		if (!(c))                                                                          \
			return -EINVAL;                                                            \
		if (!(c)->ops->op)                                                                 \
			return -EOPNOTSUPP;                                                        \
		return (c)->ops->op((c)->state, __VA_ARGS__);                                      \
	} while (0)

int dt_group_attach(struct dt_container *c, uint64_t id, enum dt_group_kind kind,
		    unsigned int devices)
{
	DT_CALL(c, group_attach, id, kind, devices);
}

int dt_group_detach(struct dt_container *c, uint64_t id)
{
	DT_CALL(c, group_detach, id);
}

int dt_dma_map(struct dt_container *c, uint64_t iova, uint64_t size, uint64_t vaddr,
	       uint32_t prot)
{
	DT_CALL(c, dma_map, iova, size, vaddr, prot);
}

int dt_dma_unmap(struct dt_container *c, struct dt_dma_unmap *u)
{
	if (!u)
		return -EINVAL;
	DT_CALL(c, dma_unmap, u);
}

static int unmap_with(struct dt_container *c, struct dt_dma_unmap *u, uint64_t *unmapped)
{
	int ret = dt_dma_unmap(c, u);

	if (ret == 0 && unmapped)
		*unmapped = u->size;
	return ret;
}

int dt_unmap(struct dt_container *c, uint64_t iova, uint64_t size, uint64_t *unmapped)
{
	struct dt_dma_unmap u = {.argsz = DT_DMA_UNMAP_ARGSZ, .iova = iova, .size = size};

	return unmap_with(c, &u, unmapped);
}

int dt_unmap_bitmap(struct dt_container *c, uint64_t iova, uint64_t size,
		    const struct dt_bitmap *bitmap, uint64_t *unmapped)
{
	struct dt_dma_unmap u = {
		.argsz = DT_DMA_UNMAP_BITMAP_ARGSZ,
		.flags = DT_UNMAP_GET_DIRTY_BITMAP,
		.iova = iova,
		.size = size,
	};

	if (!bitmap)
		return -EINVAL;
	u.bitmap = *bitmap;
	return unmap_with(c, &u, unmapped);
}

int dt_pin(struct dt_container *c, uint64_t group, uint64_t iova, uint64_t npages, uint32_t prot)
{
	DT_CALL(c, pin, group, iova, npages, prot);
}

int dt_unpin(struct dt_container *c, uint64_t group, uint64_t iova, uint64_t npages)
{
	DT_CALL(c, unpin, group, iova, npages);
}

int dt_dma_rw(struct dt_container *c, uint64_t iova, void *buf, size_t len, bool write)
{
	DT_CALL(c, dma_rw, iova, buf, len, write);
}

int dt_dirty_pages(struct dt_container *c, const struct dt_dirty_pages *req)
{
	if (!req)
		return -EINVAL;
	DT_CALL(c, dirty_pages, req);
}

int dt_dirty_start(struct dt_container *c)
{
	struct dt_dirty_pages req = {.argsz = DT_DIRTY_PAGES_ARGSZ, .flags = DT_DIRTY_START};

	return dt_dirty_pages(c, &req);
}

int dt_dirty_stop(struct dt_container *c)
{
	struct dt_dirty_pages req = {.argsz = DT_DIRTY_PAGES_ARGSZ, .flags = DT_DIRTY_STOP};

	return dt_dirty_pages(c, &req);
}

int dt_get_bitmap(struct dt_container *c, uint64_t iova, uint64_t size,
		  const struct dt_bitmap *bitmap)
{
	struct dt_dirty_pages req = {
		.argsz = DT_DIRTY_PAGES_GET_ARGSZ,
		.flags = DT_DIRTY_GET_BITMAP,
		.iova = iova,
		.size = size,
	};

	if (!bitmap)
		return -EINVAL;
	req.bitmap = *bitmap;
	return dt_dirty_pages(c, &req);
}

int dt_info_get(struct dt_container *c, struct dt_info *info)
{
	if (!info)
		return -EINVAL;
	DT_CALL(c, info_get, info);
}

int dt_iova_ranges(struct dt_container *c, struct dt_iova_range *ranges, size_t max)
{
	if (!ranges && max)
		return -EINVAL;
	DT_CALL(c, iova_ranges, ranges, max);
}

int dt_profile_set(struct dt_container *c, bool on)
{
	DT_CALL(c, profile_set, on);
}

int dt_profile_take(struct dt_container *c, struct dt_profile *out)
{
	if (!out)
		return -EINVAL;
	DT_CALL(c, profile_take, out);
}
