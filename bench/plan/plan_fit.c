// SPDX-License-Identifier: MIT
/*
 * plan_fit.c - fit the harvest's cost terms to measured harvests.
 *
 * Least squares on the relative error: harvests measured here span five
 * orders of magnitude (a merged GET of 1 GiB in microseconds, 65535 GETs in
 * seconds), and plain least squares would fit the slowest points and leave
 * the fast ones wrong by 100x. Dividing each point by its time weights all
 * of them alike. Costs cannot be negative: of every subset of the terms,
 * the best fit whose coefficients are all >= 0 wins (four terms: sixteen
 * subsets, each an exact solve - no iterative solver to tune).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"

/* The k-th smallest of @v (0-based) without sorting or allocating: O(n^2), n is small. */
static double kth(const double *v, size_t n, size_t k)
{
	size_t i, j, less, equal;

	for (i = 0; i < n; i++) {
		less = equal = 0;
		for (j = 0; j < n; j++) {
			less += v[j] < v[i];
			equal += v[j] == v[i];
		}
		if (less <= k && k < less + equal)
			return v[i];
	}
	return NAN;
}

/*
 * Solve the normal equations of the columns @cols (@k of them) of @a, scaled
 * to unit norm first so that bytes (10^9) and calls (1) do not swamp each
 * other. Returns false when singular.
 */
static bool solve(const double (*a)[DS_TERM_COUNT], const double *y, size_t n, const int *cols,
		  int k, double *coef)
{
	double g[DS_TERM_COUNT][DS_TERM_COUNT + 1], scale[DS_TERM_COUNT], t;
	size_t i;
	int r, c, p, best;

	for (c = 0; c < k; c++) {
		scale[c] = 0;
		for (i = 0; i < n; i++)
			scale[c] += a[i][cols[c]] * a[i][cols[c]];
		scale[c] = sqrt(scale[c]);
		if (!(scale[c] > 0))
			return false;
	}
	for (r = 0; r < k; r++) {
		for (c = 0; c < k; c++) {
			g[r][c] = 0;
			for (i = 0; i < n; i++)
				g[r][c] += a[i][cols[r]] * a[i][cols[c]];
			g[r][c] /= scale[r] * scale[c];
		}
		g[r][k] = 0;
		for (i = 0; i < n; i++)
			g[r][k] += a[i][cols[r]] * y[i];
		g[r][k] /= scale[r];
	}
	/* Gaussian elimination with partial pivoting on a k x (k+1) system. */
	for (p = 0; p < k; p++) {
		best = p;
		for (r = p + 1; r < k; r++)
			if (fabs(g[r][p]) > fabs(g[best][p]))
				best = r;
		if (fabs(g[best][p]) < 1e-12)
			return false;
		for (c = 0; c <= k; c++) {
			t = g[p][c];
			g[p][c] = g[best][c];
			g[best][c] = t;
		}
		for (r = 0; r < k; r++) {
			if (r == p)
				continue;
			t = g[r][p] / g[p][p];
			for (c = p; c <= k; c++)
				g[r][c] -= t * g[p][c];
		}
	}
	for (c = 0; c < k; c++)
		coef[c] = g[c][k] / g[c][c] / scale[c];
	return true;
}

/*
 * Whether column @t of @a adds a direction to the @k columns accepted so
 * far, orthonormalised in @q (n x DS_TERM_COUNT) as they were accepted:
 * Gram-Schmidt with a relative tolerance, a column within 10^-6 of the
 * others' span is theirs. @v is room for n doubles.
 */
static bool independent(const double (*a)[DS_TERM_COUNT], size_t n, int t,
			double (*q)[DS_TERM_COUNT], int k, double *v)
{
	double norm0 = 0, norm = 0, dot;
	size_t i;
	int b;

	for (i = 0; i < n; i++) {
		v[i] = a[i][t];
		norm0 += v[i] * v[i];
	}
	for (b = 0; b < k; b++) {
		dot = 0;
		for (i = 0; i < n; i++)
			dot += v[i] * q[i][b];
		for (i = 0; i < n; i++)
			v[i] -= dot * q[i][b];
	}
	for (i = 0; i < n; i++)
		norm += v[i] * v[i];
	if (!(norm0 > 0) || sqrt(norm) < 1e-6 * sqrt(norm0))
		return false;
	for (i = 0; i < n; i++)
		q[i][k] = v[i] / sqrt(norm);
	return true;
}

int ds_cost_fit(const struct ds_fit_point *points, size_t n, const double *fixed_ns,
		struct ds_fit *out)
{
	double (*a)[DS_TERM_COUNT], (*q)[DS_TERM_COUNT], *y, *err;
	double coef[DS_TERM_COUNT], best[DS_TERM_COUNT], pred, sse, best_sse;
	int free_terms[DS_TERM_COUNT], nfree = 0, cols[DS_TERM_COUNT], k, t, c;
	unsigned int subset;
	size_t i;
	bool same;

	if (!points || !n || !out)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!(points[i].ns > 0) || !isfinite(points[i].ns))
			return -EINVAL;
	a = calloc(n, sizeof(*a));
	q = calloc(n, sizeof(*q));
	y = calloc(n, sizeof(*y));
	err = calloc(n, sizeof(*err));
	if (!a || !q || !y || !err) {
		free(a);
		free(q);
		free(y);
		free(err);
		return -ENOMEM;
	}
	memset(out, 0, sizeof(*out));
	out->npoints = n;
	for (t = 0; t < DS_TERM_COUNT; t++) {
		out->fixed[t] = fixed_ns && !isnan(fixed_ns[t]);
		out->term_ns[t] = out->fixed[t] ? fixed_ns[t] : 0;
		out->lo[t] = out->hi[t] = points[0].shape.x[t];
		for (i = 1; i < n; i++) {
			out->lo[t] = fmin(out->lo[t], points[i].shape.x[t]);
			out->hi[t] = fmax(out->hi[t], points[i].shape.x[t]);
		}
	}

	/* Relative residuals: each row divided by its measured time. */
	for (i = 0; i < n; i++) {
		y[i] = 1;
		for (t = 0; t < DS_TERM_COUNT; t++) {
			a[i][t] = points[i].shape.x[t] / points[i].ns;
			if (out->fixed[t])
				y[i] -= out->term_ns[t] * a[i][t];
		}
	}

	/* The free terms the points can tell apart, in order of how basic they are. */
	for (t = 0; t < DS_TERM_COUNT; t++) {
		if (out->fixed[t])
			continue;
		same = out->lo[t] == out->hi[t];
		if (out->hi[t] == 0) {
			out->why[t] = "zero at every measured harvest";
			continue;
		}
		if (same && t != DS_TERM_CALL) {
			out->why[t] = "the same at every measured harvest";
			continue;
		}
		if (!independent((const double(*)[DS_TERM_COUNT])a, n, t, q, nfree, err)) {
			out->why[t] = "in proportion to the other terms' amounts at every measured "
				      "harvest";
			continue;
		}
		out->determined[t] = true;
		free_terms[nfree++] = t;
	}

	/* Non-negative least squares by enumeration: the empty subset is always allowed. */
	best_sse = INFINITY;
	memset(best, 0, sizeof(best));
	for (subset = 0; subset < 1u << nfree; subset++) {
		k = 0;
		for (c = 0; c < nfree; c++)
			if (subset & (1u << c))
				cols[k++] = free_terms[c];
		memset(coef, 0, sizeof(coef));
		if (k && !solve((const double(*)[DS_TERM_COUNT])a, y, n, cols, k, coef))
			continue;
		for (c = 0; c < k && coef[c] >= 0; c++)
			;
		if (c < k)
			continue;
		sse = 0;
		for (i = 0; i < n; i++) {
			pred = 0;
			for (c = 0; c < k; c++)
				pred += coef[c] * a[i][cols[c]];
			sse += (pred - y[i]) * (pred - y[i]);
		}
		if (sse < best_sse) {
			best_sse = sse;
			memset(best, 0, sizeof(best));
			for (c = 0; c < k; c++)
				best[cols[c]] = coef[c];
		}
	}
	for (c = 0; c < nfree; c++)
		out->term_ns[free_terms[c]] = best[free_terms[c]];

	for (i = 0; i < n; i++) {
		pred = 0;
		for (t = 0; t < DS_TERM_COUNT; t++)
			pred += out->term_ns[t] * points[i].shape.x[t];
		err[i] = fabs(pred - points[i].ns) / points[i].ns;
	}
	out->max_rel_error = kth(err, n, n - 1);
	out->median_rel_error = n % 2 ? kth(err, n, n / 2)
				      : (kth(err, n, n / 2 - 1) + kth(err, n, n / 2)) / 2;
	free(a);
	free(q);
	free(y);
	free(err);
	return 0;
}
