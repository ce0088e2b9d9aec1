// SPDX-License-Identifier: MIT
/*
 * model_index.c - the mappings as the lock-free marking path sees them: a
 * sorted array of mapping pointers, published with RCU (liburcu's
 * bulletproof flavour, which needs no thread registration: a library
 * cannot ask its callers to register their threads). MAP and UNMAP, under
 * the container's lock, publish a new array and free the old one, and the
 * mappings it held, only after a grace period; readers never wait.
 *
 * Copy-on-write costs O(mappings) per MAP or UNMAP: 65,535 pointers are
 * 512 KiB, about 50 us to copy. The marking path is read-mostly; the
 * churn of a vIOMMU guest is tens of maps a harvest, not thousands.
 */
#include <errno.h>
#include <stdlib.h>

#include <urcu-bp.h>

#include "model.h"

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
/*
 * ThreadSanitizer cannot see liburcu's grace periods (liburcu is not
 * built with it): say that the end of a read happens before the end of
 * the next grace period, which is what a grace period guarantees. Without
 * this every free after synchronize_rcu() would be reported as a race.
 * The token is a field of its own: on @index itself, the next commit's
 * release store replaced (in TSan's model of a release store) the clocks
 * the readers had released, and the free after it was reported.
 */
#define GRACE_READ_DONE(md) __tsan_release(&(md)->grace)
#define GRACE_PERIOD_DONE(md) __tsan_acquire(&(md)->grace)
#else
#define GRACE_READ_DONE(md) ((void)(md))
#define GRACE_PERIOD_DONE(md) ((void)(md))
#endif

struct model_index *model_index_prepare(struct model *md, size_t extra)
{
	if (!md->concurrent)
		return NULL;
	return malloc(sizeof(struct model_index) + (md->nmappings + extra) * sizeof(void *));
}

void model_index_commit(struct model *md, struct model_index *ix)
{
	struct model_index *old = md->index;
	struct model_mapping *m;

	if (!md->concurrent)
		return;
	ix->n = 0;
	RB_FOREACH(m, model_mapping_tree, &md->mappings)
		ix->m[ix->n++] = m;
	/* rcu_assign_pointer(), spelt as the release store it is, which ThreadSanitizer sees. */
	__atomic_store_n(&md->index, ix, __ATOMIC_RELEASE);
	/* Nobody reads the old array, or anything only it pointed to, after this. */
	urcu_bp_synchronize_rcu();
	GRACE_PERIOD_DONE(md);
	free(old);
}

void model_index_wait(struct model *md)
{
	if (!md->concurrent)
		return;
	urcu_bp_synchronize_rcu();
	GRACE_PERIOD_DONE(md);
}

const struct model_index *model_index_read(struct model *md)
{
	urcu_bp_read_lock();
	/* rcu_dereference() as an acquire load: the same on x86, and visible to ThreadSanitizer. */
	return __atomic_load_n(&md->index, __ATOMIC_ACQUIRE);
}

void model_index_read_done(struct model *md)
{
	GRACE_READ_DONE(md);
	urcu_bp_read_unlock();
}

void model_index_free(struct model *md)
{
	free(md->index);
	md->index = NULL;
}

struct model_mapping *model_index_find(const struct model_index *ix, uint64_t addr)
{
	size_t lo = 0, hi = ix ? ix->n : 0, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (addr < ix->m[mid]->iova)
			hi = mid;
		else if (addr - ix->m[mid]->iova >= ix->m[mid]->size)
			lo = mid + 1;
		else
			return ix->m[mid];
	}
	return NULL;
}
