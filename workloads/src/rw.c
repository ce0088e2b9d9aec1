// SPDX-License-Identifier: MIT
/*
 * rw.c - a device emulator writing guest memory through the container
 * (DMA_RW): each write marks the page it lands in dirty, and a harvest
 * reports it once.
 */
#include <errno.h>
#include <stdlib.h>

#include "wl.h"

struct rw_thread {
	_Alignas(64) struct wl_set set;
	struct wl_picker pick;
	uint8_t *src; /* rw_bytes of a pattern without a zero byte */
};

struct rw {
	struct ds_device *dev;
	struct ds_workload_params p;
	bool attached;
	struct rw_thread *t;
};

struct rw_write {
	struct rw *w;
	struct rw_thread *t;
};

static int write_page(void *arg, uint64_t iova)
{
	struct rw_write *wr = arg;
	uint64_t pgsize = wr->w->dev->pgsize, len = wr->w->p.rw_bytes;
	/* Anywhere in the page, never across its end: one write, one dirty page. */
	uint64_t off = ds_rand_below(&wr->t->pick.r, pgsize - len + 1);

	return dt_dma_rw(wr->w->dev->c, iova + off, wr->t->src, len, true);
}

static int rw_step(void *state, unsigned int thread, uint64_t step)
{
	struct rw *w = state;
	struct rw_write wr;
	uint64_t t0 = w && w->p.step_ns ? wl_now_ns() : 0;
	int ret;

	(void)step;
	if (!w || thread >= w->p.threads)
		return -EINVAL;
	wr = (struct rw_write){.w = w, .t = &w->t[thread]};
	ret = wl_set_refresh(&wr.t->set, w->dev, &w->p);
	if (ret < 0)
		return ret;
	/* A DMA_RW takes the container's lock: ~100 ns or more, so a clock read every 8. */
	return wl_for_pages(&wr.t->set, &wr.t->pick, &w->p, thread, t0, 8, write_page, &wr);
}

static int rw_populate(void *state)
{
	struct rw *w = state;

	return w ? wl_touch(&w->t[0].set, w->dev, &w->p) : -EINVAL;
}

static void rw_teardown(void *state)
{
	struct rw *w = state;
	unsigned int i;

	if (!w)
		return;
	if (w->attached)
		dt_group_detach(w->dev->c, w->p.group);
	for (i = 0; w->t && i < w->p.threads; i++) {
		free(w->t[i].src);
		wl_set_release(&w->t[i].set);
	}
	free(w->t);
	free(w);
}

static int rw_thread_init(struct rw *w, unsigned int i)
{
	struct rw_thread *t = &w->t[i];
	uint64_t j;
	int ret;

	ret = wl_set_refresh(&t->set, w->dev, &w->p);
	if (ret < 0)
		return ret;
	wl_picker_init(&t->pick, &w->p, WL_STREAM_RW, i, t->set.pages);
	t->src = malloc(w->p.rw_bytes);
	if (!t->src)
		return -ENOMEM;
	for (j = 0; j < w->p.rw_bytes; j++)
		t->src[j] = (uint8_t)(1 + (j + i) % 255);
	return 0;
}

static int rw_setup(struct ds_device *dev, const struct ds_workload_params *p, void **state)
{
	struct rw *w;
	unsigned int i;
	int ret;

	if (!state)
		return -EINVAL;
	*state = NULL;
	if (!p || wl_check_device(dev) < 0 || wl_check_pattern(p) < 0 || !dev->mem ||
	    !p->rw_bytes || p->rw_bytes > dev->pgsize)
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->dev = dev;
	w->p = *p;
	w->t = wl_alloc_threads(p->threads, sizeof(*w->t));
	if (!w->t) {
		ret = -ENOMEM;
		goto err;
	}
	for (i = 0; i < p->threads; i++) {
		ret = rw_thread_init(w, i);
		if (ret < 0)
			goto err;
	}
	ret = dt_group_attach(dev->c, p->group, DT_GROUP_MEDIATED, 1);
	if (ret < 0)
		goto err;
	w->attached = true;
	*state = w;
	return 0;
err:
	rw_teardown(w);
	return ret;
}

const struct ds_workload_ops ds_workload_rw = {
	.name = "rw",
	.summary = "a device emulator writes rw_bytes into pages through DMA_RW (mediated group)",
	.threaded = true,
	.setup = rw_setup,
	.populate = rw_populate,
	.step = rw_step,
	.teardown = rw_teardown,
};
