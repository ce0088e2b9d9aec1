// SPDX-License-Identifier: MIT
/*
 * devwrite.c - a device behind an IOMMU writing memory by DMA, as many
 * pages a step as asked (or for a time), in a pattern (random, sequential,
 * strided, hot/cold). Each write goes to memory and through
 * dt_device_write(): the IOMMU's dirty bits (hw mode) and the device's
 * own log (dmalog mode) see it; type1 does not, and its IOMMU group, which
 * never pins, makes every page dirty instead.
 *
 * It also counts the distinct pages it wrote since the harness last asked
 * (written()): what the device really dirtied, against which a harvest's
 * report gives the dirty amplification of large IO pages. The count costs
 * one atomic OR into a bitmap of the device's pages per write, and the
 * reset clears only the bits set since (each thread lists the ones it
 * set), not the whole bitmap: a 1 TiB device has 32 MiB of it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wl.h"

struct devwrite_thread {
	_Alignas(64) struct wl_set set;
	struct wl_picker pick;
	uint64_t value;	  /* what this step writes: never zero, so a test can see it */
	uint64_t *fresh;  /* the device pages this thread was first to write since the reset */
	size_t nfresh, cap;
};

struct devwrite {
	struct ds_device *dev;
	struct ds_workload_params p;
	bool attached;
	uint64_t *seen; /* one bit per page of the device's IOVA window */
	uint64_t npages;
	struct devwrite_thread *t;
};

struct devwrite_call {
	struct devwrite *w;
	struct devwrite_thread *t;
};

/* Note that device page @pg was written; -ENOMEM when it cannot be listed. */
static int note(struct devwrite *w, struct devwrite_thread *t, uint64_t pg)
{
	uint64_t bit = 1ull << (pg % 64), *fresh;
	size_t cap;

	if (__atomic_fetch_or(&w->seen[pg / 64], bit, __ATOMIC_RELAXED) & bit)
		return 0;
	if (t->nfresh == t->cap) {
		cap = t->cap ? 2 * t->cap : 1024;
		fresh = realloc(t->fresh, cap * sizeof(*fresh));
		if (!fresh)
			return -ENOMEM;
		t->fresh = fresh;
		t->cap = cap;
	}
	t->fresh[t->nfresh++] = pg;
	return 0;
}

static int write_page(void *arg, uint64_t iova)
{
	struct devwrite_call *c = arg;
	struct ds_device *dev = c->w->dev;
	uint64_t words = (c->w->p.rw_bytes + 7) / 8, i, off;
	uint64_t *mem;
	int ret;

	/* rw_bytes at a random word of the page, inside it. */
	off = ds_rand_below(&c->t->pick.r, dev->pgsize / 8 - words + 1) * 8;
	mem = (uint64_t *)(void *)(dev->mem + (iova - dev->iova_base) + off);
	/* Two threads may pick one page: relaxed atomic stores keep the race defined. */
	for (i = 0; i < words; i++)
		__atomic_store_n(&mem[i], c->t->value, __ATOMIC_RELAXED);
	ret = dt_device_write(dev->c, iova + off, c->w->p.rw_bytes);
	if (ret < 0)
		return ret;
	return note(c->w, c->t, (iova - dev->iova_base) / dev->pgsize);
}

static int devwrite_step(void *state, unsigned int thread, uint64_t step)
{
	struct devwrite *w = state;
	struct devwrite_call c;
	uint64_t t0 = w && w->p.step_ns ? wl_now_ns() : 0;
	int ret;

	if (!w || thread >= w->p.threads)
		return -EINVAL;
	c = (struct devwrite_call){.w = w, .t = &w->t[thread]};
	ret = wl_set_refresh(&c.t->set, w->dev, &w->p);
	if (ret < 0)
		return ret;
	c.t->value = (step + 1) << 16 | (thread + 1);
	/* A write with its call is ~100 ns, a clock read ~20: read it every 64 pages. */
	return wl_for_pages(&c.t->set, &c.t->pick, &w->p, thread, t0, 64, write_page, &c);
}

static uint64_t devwrite_written(void *state)
{
	struct devwrite *w = state;
	uint64_t n = 0;
	unsigned int i;
	size_t j;

	if (!w)
		return 0;
	for (i = 0; i < w->p.threads; i++) {
		struct devwrite_thread *t = &w->t[i];

		n += t->nfresh;
		for (j = 0; j < t->nfresh; j++)
			w->seen[t->fresh[j] / 64] &= ~(1ull << (t->fresh[j] % 64));
		t->nfresh = 0;
	}
	return n;
}

static int devwrite_populate(void *state)
{
	struct devwrite *w = state;

	return w ? wl_touch(&w->t[0].set, w->dev, &w->p) : -EINVAL;
}

static void devwrite_teardown(void *state)
{
	struct devwrite *w = state;
	unsigned int i;

	if (!w)
		return;
	if (w->attached)
		dt_group_detach(w->dev->c, w->p.group);
	for (i = 0; w->t && i < w->p.threads; i++) {
		wl_set_release(&w->t[i].set);
		free(w->t[i].fresh);
	}
	free(w->t);
	free(w->seen);
	free(w);
}

static int devwrite_setup(struct ds_device *dev, const struct ds_workload_params *p, void **state)
{
	struct devwrite *w;
	unsigned int i;
	int ret;

	if (!state)
		return -EINVAL;
	*state = NULL;
	if (!p || wl_check_device(dev) < 0 || wl_check_pattern(p) < 0 || !dev->mem ||
	    !p->rw_bytes || p->rw_bytes > dev->pgsize || !dev->iova_size)
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->dev = dev;
	w->p = *p;
	w->npages = dev->iova_size / dev->pgsize;
	/* Costs nothing until written: calloc of that size is fresh anonymous memory. */
	w->seen = calloc((w->npages + 63) / 64, sizeof(*w->seen));
	w->t = wl_alloc_threads(p->threads, sizeof(*w->t));
	if (!w->seen || !w->t) {
		ret = -ENOMEM;
		goto err;
	}
	for (i = 0; i < p->threads; i++) {
		ret = wl_set_refresh(&w->t[i].set, dev, p);
		if (ret < 0)
			goto err;
		wl_picker_init(&w->t[i].pick, p, WL_STREAM_DEVWRITE, i, w->t[i].set.pages);
	}
	ret = dt_group_attach(dev->c, p->group, DT_GROUP_IOMMU, 1);
	if (ret < 0)
		goto err;
	w->attached = true;
	*state = w;
	return 0;
err:
	devwrite_teardown(w);
	return ret;
}

const struct ds_workload_ops ds_workload_devwrite = {
	.name = "devwrite",
	.summary = "a device writes by DMA, seen by hw dirty bits and device logs (not type1)",
	.threaded = true,
	.setup = devwrite_setup,
	.populate = devwrite_populate,
	.step = devwrite_step,
	.written = devwrite_written,
	.teardown = devwrite_teardown,
};
