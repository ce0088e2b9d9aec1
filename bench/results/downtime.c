// SPDX-License-Identifier: MIT
/*
 * downtime.c - the stop-and-copy estimate of a run, per device and per way
 * of asking for the final harvest (results/README.md, "downtime"):
 *
 *   downtime = final harvest + dirty bytes / bandwidth + state / bandwidth
 *
 * beside QEMU's expected_downtime (dirty bytes / bandwidth alone). The
 * final harvest and the dirty pages are medians over the steady
 * iterations: each iteration dirtied the device for one interval, then
 * harvested it both ways.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"

/* @bytes at @bandwidth bytes/s, in ns, rounded up; a link of 0 is never given. */
static uint64_t at_rate(uint64_t bytes, uint64_t bandwidth)
{
	unsigned __int128 ns = ((unsigned __int128)bytes * 1000000000u + bandwidth - 1) / bandwidth;

	return ns > UINT64_MAX ? UINT64_MAX : (uint64_t)ns;
}

static uint64_t median_of(uint64_t *v, size_t n)
{
	struct ds_stats st;

	ds_stats_compute(v, n, &st);
	return st.median;
}

/*
 * Per steady iteration of (@harvest, @device), the summed time, dirty pages
 * and calls of its @query harvests, and (@written not NULL) the pages the
 * workload step just before them wrote (a DIRTY sample's pages: 0 when
 * nothing counted).
 * Returns how many iterations had any.
 */
static size_t per_iteration(const struct ds_result *r, unsigned int harvest, unsigned int device,
			    enum ds_request query, uint64_t *ns, uint64_t *dirty, uint64_t *calls,
			    uint64_t *written)
{
	size_t i, n = 0;
	uint32_t it = 0;
	uint64_t last_written = 0;

	for (i = 0; i < r->nsamples; i++) {
		const struct ds_sample *s = &r->samples[i];

		if (s->harvest == harvest && s->device == device && s->op == DS_OP_DIRTY)
			last_written = s->pages;
		if (s->harvest != harvest || s->device != device || s->op != DS_OP_GET_BITMAP ||
		    s->request != query || s->stage != DS_STAGE_STEADY)
			continue;
		if (!n || s->iteration != it) {
			it = s->iteration;
			ns[n] = dirty[n] = calls[n] = 0;
			if (written)
				written[n] = last_written;
			n++;
		}
		ns[n - 1] += s->ns;
		dirty[n - 1] += s->dirty_pages;
		calls[n - 1]++;
	}
	return n;
}

int ds_downtime_estimate(const struct ds_result *r, struct ds_downtime **out, size_t *nout)
{
	static const enum ds_request queries[] = {DS_REQ_MAPPING, DS_REQ_MERGED};
	const struct ds_downtime_params *p = &r->downtime;
	struct ds_downtime *dt = NULL, *grown;
	uint64_t *ns = NULL, *dirty = NULL, *calls = NULL, *written = NULL;
	size_t n = 0, h, d, q, iters, k, namp;
	bool counted = false;
	int ret = -ENOMEM;

	*out = NULL;
	*nout = 0;
	if (!r->nsamples || !p->bandwidth_bytes_per_s)
		return 0;
	/* At most one group per sample. */
	ns = malloc(r->nsamples * sizeof(*ns));
	dirty = malloc(r->nsamples * sizeof(*dirty));
	calls = malloc(r->nsamples * sizeof(*calls));
	if (!ns || !dirty || !calls)
		goto done;
	/*
	 * The pages written, only when a workload counted them: a run that
	 * fills its memory with samples must still be summarised.
	 */
	for (k = 0; k < r->nsamples && !counted; k++)
		counted = r->samples[k].op == DS_OP_DIRTY && r->samples[k].pages &&
			  r->samples[k].stage != DS_STAGE_CHURN;
	if (counted) {
		written = malloc(r->nsamples * sizeof(*written));
		if (!written)
			goto done;
	}
	for (h = 0; h < r->nharvests; h++) {
		for (d = 0; d < r->ndevices; d++) {
			for (q = 0; q < 2; q++) {
				struct ds_downtime e = {
					.harvest = (uint8_t)h,
					.device = (uint16_t)d,
					.query = (uint8_t)queries[q],
				};

				iters = per_iteration(r, (unsigned int)h, (unsigned int)d, queries[q], ns,
						      dirty, calls, written);
				if (!iters)
					continue;
				e.calls = median_of(calls, iters);
				/*
				 * The amplification of each interval that wrote, in
				 * thousandths so that the median stays an integer's;
				 * in @calls, which is done with (the medians sort).
				 */
				for (k = namp = 0; written && k < iters; k++)
					if (written[k])
						calls[namp++] = (dirty[k] * 1000 + written[k] / 2) /
								written[k];
				if (namp) {
					e.has_written = true;
					e.written_pages = median_of(written, iters);
					e.amplification = (double)median_of(calls, namp) / 1000;
				}
				e.final_harvest_ns = median_of(ns, iters);
				e.dirty_pages = median_of(dirty, iters);
				e.dirty_bytes = e.dirty_pages * p->pgsize;
				e.all_dirty = r->all_dirty;
				e.transfer_ns = at_rate(e.dirty_bytes, p->bandwidth_bytes_per_s);
				e.state_ns = at_rate(p->state_bytes, p->bandwidth_bytes_per_s);
				e.downtime_ns = e.final_harvest_ns + e.transfer_ns + e.state_ns;
				e.qemu_expected_downtime_ns = e.transfer_ns;
				e.tracking_share = e.downtime_ns ? (double)e.final_harvest_ns /
									   (double)e.downtime_ns
								 : 0;
				e.fits = e.downtime_ns <= p->limit_ns;
				grown = realloc(dt, (n + 1) * sizeof(*dt));
				if (!grown)
					goto done;
				dt = grown;
				dt[n++] = e;
			}
		}
	}
	*out = dt;
	*nout = n;
	dt = NULL;
	ret = 0;
done:
	free(dt);
	free(ns);
	free(dirty);
	free(calls);
	free(written);
	return ret;
}
