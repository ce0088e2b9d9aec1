// SPDX-License-Identifier: MIT
/*
 * model.c - the model backend: a VFIO type1 container in process.
 * This file holds the container itself, its groups and its GET_INFO;
 * model_map.c the mappings, model_pin.c pins and DMA_RW, model_dirty.c
 * dirty tracking.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "compat.h"
#include "model.h"

static int model_create(const struct dt_container_config *cfg, void **state)
{
	const struct dt_harvest_ops *harvest = NULL;
	const struct dt_compat *compat = NULL;
	struct model *md;
	size_t i;
	int ret;

	if (cfg->pgsize < 4096 || (cfg->pgsize & (cfg->pgsize - 1)))
		return -EINVAL;
	for (i = 0; dt_harvests[i]; i++)
		if (!cfg->harvest || !strcmp(cfg->harvest, dt_harvests[i]->name)) {
			harvest = dt_harvests[i];
			break;
		}
	if (!harvest)
		return -ENOENT;
	if (cfg->compat && *cfg->compat) {
		compat = dt_compat_find(cfg->compat);
		if (!compat)
			return -ENOENT;
		/* A kernel's defects are reproduced by the kernel's algorithm only. */
		if (harvest != &dt_harvest_reference)
			return -EOPNOTSUPP;
	}

	md = calloc(1, sizeof(*md));
	if (!md)
		return -ENOMEM;
	md->pgsize = cfg->pgsize;
	ret = model_modes_configure(md, cfg);
	if (ret == 0 && compat && md->mode != DT_TRACK_TYPE1)
		ret = -EOPNOTSUPP; /* a kernel's type1 defects have no second mode */
	if (ret < 0) {
		free(md);
		return ret;
	}
	if (pthread_mutex_init(&md->lock, NULL)) {
		free(md);
		return -ENOMEM;
	}
	md->pgsize = cfg->pgsize;
	md->pgshift = (unsigned int)__builtin_ctzll(cfg->pgsize);
	md->dma_limit = cfg->dma_limit;
	md->v2 = cfg->v2;
	md->profile = cfg->profile;
	md->harvest = harvest;
	md->stale_bits = compat && compat->stale_bits;
	md->concurrent = cfg->concurrent && harvest->mark_atomic;
	md->group_required = compat && compat->group_required;
	md->efault_on_copy = compat && compat->efault_on_copy;
	md->v1_unmap = compat && compat->v1_unmap;
	RB_INIT(&md->mappings);
	if (md->concurrent) {
		/* The marking path always has an index to read, empty or not. */
		md->index = calloc(1, sizeof(*md->index));
		if (!md->index) {
			pthread_mutex_destroy(&md->lock);
			free(md);
			return -ENOMEM;
		}
	}
	*state = md;
	return 0;
}

static void model_destroy(void *state)
{
	struct model *md = state;
	struct model_mapping *m, *next;

	RB_FOREACH_SAFE(m, model_mapping_tree, &md->mappings, next) {
		RB_REMOVE(model_mapping_tree, &md->mappings, m);
		model_mapping_free(md, m);
	}
	model_index_free(md);
	model_dmalog_free(md);
	free(md->groups);
	pthread_mutex_destroy(&md->lock);
	free(md);
}

bool model_no_iommu(struct model *md)
{
	bool none;

	if (!md->group_required)
		return false;
	pthread_mutex_lock(&md->lock);
	none = md->ngroups == 0;
	pthread_mutex_unlock(&md->lock);
	return none;
}

/* The kernel's last group took the IOMMU with it: start again from nothing. */
static void iommu_release_locked(struct model *md)
{
	struct model_mapping *m, *next;

	RB_FOREACH_SAFE(m, model_mapping_tree, &md->mappings, next) {
		RB_REMOVE(model_mapping_tree, &md->mappings, m);
		model_mapping_free(md, m); /* compat: reference only, never concurrent */
	}
	md->nmappings = 0;
	md->tracking = false;
	md->unscoped = 0;
}

struct model_group *model_group_find(struct model *md, uint64_t id)
{
	size_t i;

	for (i = 0; i < md->ngroups; i++)
		if (md->groups[i].id == id)
			return &md->groups[i];
	return NULL;
}

static int group_attach_locked(struct model *md, uint64_t id, enum dt_group_kind kind,
			       unsigned int devices)
{
	struct model_group *groups;

	if ((kind != DT_GROUP_IOMMU && kind != DT_GROUP_MEDIATED) || devices == 0)
		return -EINVAL;
	if (model_group_find(md, id))
		return -EINVAL;
	groups = realloc(md->groups, (md->ngroups + 1) * sizeof(*groups));
	if (!groups)
		return -ENOMEM;
	md->groups = groups;
	groups[md->ngroups++] = (struct model_group){
		.id = id,
		.kind = kind,
		.devices = devices,
		/* An mdev can only reach memory through pins and DMA_RW. */
		.scoped = kind == DT_GROUP_MEDIATED,
	};
	if (kind == DT_GROUP_IOMMU)
		md->unscoped++;
	return 0;
}

static int model_group_attach(void *state, uint64_t id, enum dt_group_kind kind,
			      unsigned int devices)
{
	struct model *md = state;
	int ret;

	pthread_mutex_lock(&md->lock);
	ret = group_attach_locked(md, id, kind, devices);
	pthread_mutex_unlock(&md->lock);
	return ret;
}

static int group_detach_locked(struct model *md, uint64_t id)
{
	struct model_group *g = model_group_find(md, id);

	if (!g)
		return -ENOENT;
	if (!g->scoped) {
		/* It may have written anything before it left. */
		if (md->tracking)
			model_mark_all(md);
		md->unscoped--;
	}
	*g = md->groups[--md->ngroups];
	if (md->group_required && md->ngroups == 0)
		iommu_release_locked(md);
	return 0;
}

static int model_group_detach(void *state, uint64_t id)
{
	struct model *md = state;
	int ret;

	pthread_mutex_lock(&md->lock);
	ret = group_detach_locked(md, id);
	pthread_mutex_unlock(&md->lock);
	return ret;
}

static int model_info_get(void *state, struct dt_info *info)
{
	struct model *md = state;

	/* Padding included: a kernel once leaked 4 bytes of stack here. */
	memset(info, 0, sizeof(*info));
	pthread_mutex_lock(&md->lock);
	if (md->group_required && md->ngroups == 0) {
		pthread_mutex_unlock(&md->lock);
		return -EINVAL;
	}
	info->pgsize_bitmap = md->pgsize;
	info->dma_avail = md->dma_limit - md->nmappings;
	info->migration.id = DT_CAP_MIGRATION_ID;
	info->migration.version = DT_CAP_MIGRATION_VERSION;
	info->migration.pgsize_bitmap = md->pgsize;
	info->migration.max_dirty_bitmap_size = DT_DIRTY_BITMAP_SIZE_MAX;
	pthread_mutex_unlock(&md->lock);
	return 0;
}

static int model_iova_ranges(void *state, struct dt_iova_range *ranges, size_t max)
{
	(void)state;
	/* The model maps anywhere: its only limits are alignment and wrap-around. */
	if (max)
		ranges[0] = (struct dt_iova_range){.start = 0, .last = UINT64_MAX};
	return 1;
}

static int model_profile_set(void *state, bool on)
{
	struct model *md = state;

	pthread_mutex_lock(&md->lock);
	md->profile = on;
	pthread_mutex_unlock(&md->lock);
	return 0;
}

static int model_profile_take(void *state, struct dt_profile *out)
{
	struct model *md = state;

	pthread_mutex_lock(&md->lock);
	if (!md->profile) {
		pthread_mutex_unlock(&md->lock);
		return -EOPNOTSUPP;
	}
	*out = md->prof;
	memset(&md->prof, 0, sizeof(md->prof));
	for (out->nphases = 0; md->harvest->phases[out->nphases]; out->nphases++)
		out->names[out->nphases] = md->harvest->phases[out->nphases];
	pthread_mutex_unlock(&md->lock);
	return 0;
}

const struct dt_backend_ops dt_model_backend = {
	.name = "model",
	.create = model_create,
	.destroy = model_destroy,
	.group_attach = model_group_attach,
	.group_detach = model_group_detach,
	.dma_map = model_dma_map,
	.dma_unmap = model_dma_unmap,
	.pin = model_pin,
	.unpin = model_unpin,
	.dma_rw = model_dma_rw,
	.dirty_pages = model_dirty_pages,
	.info_get = model_info_get,
	.iova_ranges = model_iova_ranges,
	.profile_set = model_profile_set,
	.profile_take = model_profile_take,
	.dma_map_io = model_dma_map_io,
	.device_write = model_device_write,
	.hw_set_dirty_tracking = model_hw_set_dirty_tracking,
	.hw_dirty_bitmap = model_hw_dirty_bitmap,
	.dmalog_start = model_dmalog_start,
	.dmalog_stop = model_dmalog_stop,
	.dmalog_report = model_dmalog_report,
	.dmalog_ranges = model_dmalog_ranges,
};
