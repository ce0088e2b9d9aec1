// SPDX-License-Identifier: MIT
/*
 * pinned.c - a vendor driver pinning pages: a mediated group that, at each
 * step, drops the pins of its previous step and pins new pages. While
 * tracking, a pinned page stays dirty until unpinned, so a harvest reports
 * the pages pinned now and those unpinned since the last harvest.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wl.h"

/* One dt_pin() call, to be undone by one dt_unpin(). */
struct pin_run {
	uint64_t iova;
	uint64_t npages;
};

struct pinned_thread {
	_Alignas(64) struct wl_set set;
	struct wl_picker pick;
	struct pin_run *runs; /* this thread's pins of its last step */
	size_t nruns, cap;
};

struct pinned {
	struct ds_device *dev;
	struct ds_workload_params p;
	bool attached;
	struct pinned_thread *t;
};

static int runs_reserve(struct pinned_thread *t, size_t n)
{
	struct pin_run *runs;
	size_t cap = t->cap ? t->cap : 64;

	if (n <= t->cap)
		return 0;
	while (cap < n)
		cap *= 2;
	runs = realloc(t->runs, cap * sizeof(*runs));
	if (!runs)
		return -ENOMEM;
	t->runs = runs;
	t->cap = cap;
	return 0;
}

/*
 * Undo one pin. A page loses its pins with its mapping (vIOMMU churn, the
 * harness unmapping between phases): such a page answers -EINVAL and is
 * skipped, and the run's other pages are unpinned one by one.
 */
static int unpin_run(struct pinned *w, const struct pin_run *r)
{
	uint64_t i;
	int ret;

	ret = dt_unpin(w->dev->c, w->p.group, r->iova, r->npages);
	if (ret != -EINVAL || r->npages == 1)
		return ret == -EINVAL ? 0 : ret;
	for (i = 0; i < r->npages; i++) {
		ret = dt_unpin(w->dev->c, w->p.group, r->iova + i * w->dev->pgsize, 1);
		if (ret < 0 && ret != -EINVAL)
			return ret;
	}
	return 0;
}

static int unpin_all(struct pinned *w, struct pinned_thread *t)
{
	size_t i;
	int ret;

	for (i = 0; i < t->nruns; i++) {
		ret = unpin_run(w, &t->runs[i]);
		if (ret < 0) {
			/* Keep what is still pinned for the next step or teardown. */
			memmove(t->runs, t->runs + i, (t->nruns - i) * sizeof(*t->runs));
			t->nruns -= i;
			return ret;
		}
	}
	t->nruns = 0;
	return 0;
}

/*
 * The sequential pattern's next run: from the cursor, as many pages as are
 * contiguous in IOVA (a run may cross into the adjacent mapping, never over
 * a hole), up to @max. Returns the first IOVA; the cursor moves past.
 */
static uint64_t next_run(struct pinned_thread *t, uint64_t max, uint64_t pgsize, uint64_t *npages)
{
	struct wl_set *s = &t->set;
	uint64_t k, iova, n = 1;

	if (t->pick.cursor >= s->pages)
		t->pick.cursor %= s->pages;
	k = t->pick.cursor;
	iova = wl_set_iova(s, k);
	while (n < max && k + n < s->pages && wl_set_iova(s, k + n) == iova + n * pgsize)
		n++;
	t->pick.cursor = k + n == s->pages ? 0 : k + n;
	*npages = n;
	return iova;
}

/* Pin one unit, at most @max pages: one page, or one sequential run. Returns pages or -errno. */
static int pin_unit(struct pinned *w, struct pinned_thread *t, uint64_t max)
{
	uint64_t iova, n = 1;
	int ret;

	/* Room first: a pin that could not be recorded could not be undone. */
	ret = runs_reserve(t, t->nruns + 1);
	if (ret < 0)
		return ret;
	if (w->p.pattern == DS_PATTERN_SEQUENTIAL)
		iova = next_run(t, max < DT_PIN_MAX_PAGES ? max : DT_PIN_MAX_PAGES, w->dev->pgsize,
				&n);
	else
		iova = wl_set_iova(&t->set, wl_pick(&t->pick, &t->set, &w->p));
	ret = dt_pin(w->dev->c, w->p.group, iova, n, DT_PROT_READ | DT_PROT_WRITE);
	if (ret < 0)
		return ret;
	t->runs[t->nruns++] = (struct pin_run){.iova = iova, .npages = n};
	return (int)n;
}

static bool stopped(const struct pinned *w)
{
	return w->p.stop && *w->p.stop;
}

static int pin_count(struct pinned *w, struct pinned_thread *t, uint64_t left)
{
	int ret;

	/* A pin is ~100 ns: a load per pin bounds how long Ctrl-C waits for a huge step. */
	while (left && !stopped(w)) {
		ret = pin_unit(w, t, left);
		if (ret < 0)
			return ret;
		left -= (uint64_t)ret;
	}
	return 0;
}

/* Pin until @ns after @t0, at least one unit. */
static int pin_for(struct pinned *w, struct pinned_thread *t, uint64_t t0, uint64_t ns)
{
	int ret;

	do {
		ret = pin_unit(w, t, DT_PIN_MAX_PAGES);
		if (ret < 0)
			return ret;
	} while (wl_now_ns() - t0 < ns && !stopped(w));
	return 0;
}

static int pinned_step(void *state, unsigned int thread, uint64_t step)
{
	struct pinned *w = state;
	struct pinned_thread *t;
	uint64_t t0;
	int ret;

	(void)step;
	if (!w || thread >= w->p.threads)
		return -EINVAL;
	t = &w->t[thread];
	/* A timed step lasts step_ns, its unpins included. */
	t0 = w->p.step_ns ? wl_now_ns() : 0;
	ret = unpin_all(w, t);
	if (ret < 0)
		return ret;
	/* The mappings may have changed since the last step. */
	ret = wl_set_refresh(&t->set, w->dev, &w->p);
	if (ret < 0)
		return ret;
	if (w->p.step_ns)
		return pin_for(w, t, t0, w->p.step_ns);
	return pin_count(w, t, wl_share(&w->p, thread));
}

static void pinned_teardown(void *state)
{
	struct pinned *w = state;
	unsigned int i;
	size_t j;

	if (!w)
		return;
	for (i = 0; w->t && i < w->p.threads; i++) {
		/* Best effort: whatever fails here cannot be undone anyway. */
		for (j = 0; w->attached && j < w->t[i].nruns; j++)
			unpin_run(w, &w->t[i].runs[j]);
		free(w->t[i].runs);
		wl_set_release(&w->t[i].set);
	}
	if (w->attached)
		dt_group_detach(w->dev->c, w->p.group);
	free(w->t);
	free(w);
}

static int pinned_setup(struct ds_device *dev, const struct ds_workload_params *p, void **state)
{
	struct pinned *w;
	unsigned int i;
	int ret;

	if (!state)
		return -EINVAL;
	*state = NULL;
	if (!p || wl_check_device(dev) < 0 || wl_check_pattern(p) < 0)
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
		ret = wl_set_refresh(&w->t[i].set, dev, p);
		if (ret < 0)
			goto err;
		wl_picker_init(&w->t[i].pick, p, WL_STREAM_PINNED, i, w->t[i].set.pages);
		/* A count step pins at most its share in as many calls: no allocation in a step. */
		if (!p->step_ns) {
			ret = runs_reserve(&w->t[i], wl_share(p, i));
			if (ret < 0)
				goto err;
		}
	}
	ret = dt_group_attach(dev->c, p->group, DT_GROUP_MEDIATED, 1);
	if (ret < 0)
		goto err;
	w->attached = true;
	*state = w;
	return 0;
err:
	pinned_teardown(w);
	return ret;
}

const struct ds_workload_ops ds_workload_pinned = {
	.name = "pinned",
	.summary = "a vendor driver pins pages (mediated group): random, sequential or hot/cold",
	.threaded = true,
	.setup = pinned_setup,
	.populate = NULL,
	.step = pinned_step,
	.teardown = pinned_teardown,
};
