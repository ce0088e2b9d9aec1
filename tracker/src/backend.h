/* SPDX-License-Identifier: MIT */
/*
 * backend.h - the table of operations behind a container.
 *
 * The public functions in container.c check only what no backend could
 * answer (NULL handles) and pass everything else through, so that a real
 * kernel's answers reach the caller unchanged and can be compared with the
 * model's. An operation a backend cannot perform is NULL here and answers
 * -EOPNOTSUPP.
 */
#ifndef DT_BACKEND_H
#define DT_BACKEND_H

#include <dirtytrack/dirtytrack.h>

struct dt_backend_ops {
	const char *name;
	int (*create)(const struct dt_container_config *cfg, void **state);
	void (*destroy)(void *state);
	int (*group_attach)(void *state, uint64_t id, enum dt_group_kind kind,
			    unsigned int devices);
	int (*group_detach)(void *state, uint64_t id);
	int (*dma_map)(void *state, uint64_t iova, uint64_t size, uint64_t vaddr, uint32_t prot);
	int (*dma_unmap)(void *state, struct dt_dma_unmap *u);
	int (*pin)(void *state, uint64_t group, uint64_t iova, uint64_t npages, uint32_t prot);
	int (*unpin)(void *state, uint64_t group, uint64_t iova, uint64_t npages);
	int (*dma_rw)(void *state, uint64_t iova, void *buf, size_t len, bool write);
	int (*dirty_pages)(void *state, const struct dt_dirty_pages *req);
	int (*info_get)(void *state, struct dt_info *info);
	int (*iova_ranges)(void *state, struct dt_iova_range *ranges, size_t max);
	int (*profile_set)(void *state, bool on);
	int (*profile_take)(void *state, struct dt_profile *out);
};

extern const struct dt_backend_ops dt_model_backend;
extern const struct dt_backend_ops dt_vfio_backend;
extern const struct dt_backend_ops dt_uffd_backend;
extern const struct dt_backend_ops dt_iommufd_backend;

#endif
