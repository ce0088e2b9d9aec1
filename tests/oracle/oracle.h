/* SPDX-License-Identifier: MIT */
/*
 * oracle.h - the naive model of VFIO type1 dirty tracking, the test oracle
 * of libdirtytrack.
 *
 * Every function mirrors the dt_* function of the same name, with the same
 * arguments, the same request structs (taken from the public headers) and
 * the same return values: 0 or a negative errno, and nothing changed on
 * failure. It follows ../../../shared/SEMANTICS.md and the rulings of
 * docs/semantics.md, and it is written to be obviously right rather than
 * fast: mappings and groups in plain arrays searched linearly, one byte per
 * page for "dirty", one counter per page for pins, and bitmaps built one bit
 * at a time. It must never share code with tracker/src/, or a bug there
 * would be copied here and hidden.
 *
 * No global state; a container is used by one thread at a time.
 */
#ifndef DT_ORACLE_H
#define DT_ORACLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dirtytrack/dirtytrack.h>

struct oracle_container;

/*
 * Backend and harvest names in @cfg are ignored: the oracle has one
 * implementation. Returns 0, -EINVAL (NULL argument, bad pgsize), -ENOMEM.
 */
int oracle_container_create(const struct dt_container_config *cfg, struct oracle_container **out);
void oracle_container_destroy(struct oracle_container *c);

int oracle_group_attach(struct oracle_container *c, uint64_t id, enum dt_group_kind kind,
                        unsigned int devices);
int oracle_group_detach(struct oracle_container *c, uint64_t id);

int oracle_dma_map(struct oracle_container *c, uint64_t iova, uint64_t size, uint64_t vaddr,
                   uint32_t prot);
int oracle_dma_unmap(struct oracle_container *c, struct dt_dma_unmap *u);
int oracle_unmap(struct oracle_container *c, uint64_t iova, uint64_t size, uint64_t *unmapped);
int oracle_unmap_bitmap(struct oracle_container *c, uint64_t iova, uint64_t size,
                        const struct dt_bitmap *bitmap, uint64_t *unmapped);

int oracle_pin(struct oracle_container *c, uint64_t group, uint64_t iova, uint64_t npages,
               uint32_t prot);
int oracle_unpin(struct oracle_container *c, uint64_t group, uint64_t iova, uint64_t npages);
int oracle_dma_rw(struct oracle_container *c, uint64_t iova, void *buf, size_t len, bool write);

int oracle_dirty_pages(struct oracle_container *c, const struct dt_dirty_pages *req);
int oracle_dirty_start(struct oracle_container *c);
int oracle_dirty_stop(struct oracle_container *c);
int oracle_get_bitmap(struct oracle_container *c, uint64_t iova, uint64_t size,
                      const struct dt_bitmap *bitmap);

int oracle_info_get(struct oracle_container *c, struct dt_info *info);

/*
 * The second and third modes (hwdirty.h), in oracle_hw.c: one byte per
 * 4 KiB page for what the device wrote, the IO page of each byte found by
 * trying each IO page size in turn, bitmaps built one bit at a time.
 */
int oracle_dma_map_io(struct oracle_container *c, uint64_t iova, uint64_t size, uint64_t vaddr,
                      uint32_t prot, uint64_t io_pgsize);
int oracle_device_write(struct oracle_container *c, uint64_t iova, uint64_t len);
int oracle_hw_set_dirty_tracking(struct oracle_container *c, bool enable);
int oracle_hw_dirty_bitmap(struct oracle_container *c, const struct dt_hw_dirty_bitmap *req);
int oracle_hw_get_dirty_bitmap(struct oracle_container *c, uint64_t iova, uint64_t length,
                               uint64_t page_size, uint32_t flags, void *data);
int oracle_dmalog_start(struct oracle_container *c, const struct dt_dmalog_range *ranges,
                        uint32_t nranges, uint64_t page_size);
int oracle_dmalog_stop(struct oracle_container *c);
int oracle_dmalog_report(struct oracle_container *c, uint64_t iova, uint64_t length,
                         uint64_t page_size, void *data);
int oracle_dmalog_ranges(struct oracle_container *c, struct dt_dmalog_range *out, size_t max);

/*
 * Introspection for the test generator and the replay tool, which need to
 * know where mappings are (to aim operations at their edges, to keep writes
 * away from memory that is not really there, and to free the replay's
 * backing memory). None of this exists in the dt_* API.
 */
struct oracle_mapping_view {
	uint64_t iova;
	uint64_t size;
	uint64_t vaddr;
	uint32_t prot;
};

uint64_t oracle_pgsize(const struct oracle_container *c);
enum dt_track_mode oracle_mode(const struct oracle_container *c);
bool oracle_hw_tracking(const struct oracle_container *c);
bool oracle_logging(const struct oracle_container *c);
bool oracle_tracking(const struct oracle_container *c);
bool oracle_v2(const struct oracle_container *c);
/* Mappings in creation order (removals keep the order of the others). */
size_t oracle_mapping_count(const struct oracle_container *c);
void oracle_mapping_at(const struct oracle_container *c, size_t idx,
                       struct oracle_mapping_view *view);
/* Pin references on the page holding @iova; 0 outside every mapping. */
uint32_t oracle_page_pins(const struct oracle_container *c, uint64_t iova);
/* Is group @id attached, and how many devices does it have (0 if not). */
unsigned int oracle_group_devices(const struct oracle_container *c, uint64_t id);

#endif
