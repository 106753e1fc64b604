/* The figures of a re-score: unbiased pass@k in its numerically stable
 * product form, majority voting over answer equivalence classes with a
 * fixed tie-break, and the Poisson bootstrap that gives every figure a 95%
 * interval without keeping per-problem values in memory. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "referee/pool.h"
#include "referee/rescore.h"
#include "rescore/metrics.h"

double rf_pass_at_k(size_t n, size_t c, size_t k)
{
	double p = 1.0;
	if (k == 0 || k > n || c > n)
		return NAN;
	if (n - c < k)
		return 1.0;
	/* C(n-c,k)/C(n,k) = prod_{i=n-c+1}^{n} (1 - k/i) */
	for (size_t i = n - c + 1; i <= n; i++)
		p *= 1.0 - (double)k / (double)i;
	return 1.0 - p;
}

long rf_majority_vote(const rf_reward_verdict *v, size_t n, size_t *votes)
{
	/* class representatives (first members) and sizes, in order of first
	 * appearance; equality is tested against the representative only, so
	 * the outcome does not depend on a non-transitive tolerance chain */
	size_t *rep = NULL, *size = NULL, nc = 0, best = 0;
	long win = -1;
	if (votes)
		*votes = 0;
	if (n == 0)
		return -1;
	rep = malloc(n * sizeof *rep);
	size = malloc(n * sizeof *size);
	if (!rep || !size) {
		free(rep);
		free(size);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		size_t j;
		if (!v[i].answer.len)
			continue;
		for (j = 0; j < nc; j++)
			if (rf_reward_same_answer(&v[rep[j]], &v[i]))
				break;
		if (j == nc) {
			rep[nc] = i;
			size[nc++] = 0;
		}
		size[j]++;
	}
	/* strictly larger wins, so among equals the earliest class stays */
	for (size_t j = 0; j < nc; j++)
		if (size[j] > best) {
			best = size[j];
			win = (long)rep[j];
		}
	if (votes)
		*votes = best;
	free(rep);
	free(size);
	return win;
}

static uint64_t mix64(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Poisson(1) by inverse CDF from a counter-based hash: the weight of
 * (problem, replicate) never depends on threads or batch boundaries.  `key`
 * is problem * 0x100000001b3 + replicate.  The CDF is increasing and u < 1,
 * so k = the number of entries u reaches, counted without branches (a
 * search loop's exit mispredicts about half the time). */
static unsigned poisson1(uint64_t seed, uint64_t key)
{
	static const double cdf[] = {0.36787944117144233,
				     0.73575888234288467,
				     0.91969860292860584,
				     0.98101184312384626,
				     0.99634015317265634,
				     0.99940581518291836,
				     0.99991675885012036,
				     0.99998975080257778,
				     0.99999887479663494,
				     0.99999988857375242};
	uint64_t h = mix64(seed ^ mix64(key));
	double u = (double)(h >> 11) / 9007199254740992.0;
	unsigned k = 0;
	for (int c = 0; c < 10; c++)
		k += u >= cdf[c];
	return k;
}

int rs_boot_init(struct rs_boot *b, int reps, unsigned long seed)
{
	b->reps = reps;
	b->seed = seed;
	b->w = NULL;
	b->sum = NULL;
	if (reps <= 0)
		return 0;
	b->w = calloc((size_t)reps * RS_NMETRICS, sizeof *b->w);
	b->sum = calloc((size_t)reps * RS_NMETRICS, sizeof *b->sum);
	return b->w && b->sum ? 0 : -1;
}

struct boot_job {
	struct rs_boot *b;
	size_t first, n;
	const double *val;
	const int *present;
};

/* Each replicate sums its problems in order, whichever loop is outside:
 * problems outside, so a problem's values are read once.  A problem's
 * absent metrics add 0 to weight and sum, and so does a weight of 0: the
 * sums start at +0 and never become -0, so adding +-0 leaves them as they
 * are, the same bits as skipping (values are finite; a non-finite one
 * takes the skipping loop). */
static void boot_reps(void *ctx, size_t rb, size_t re, int worker)
{
	struct boot_job *j = ctx;
	struct rs_boot *b = j->b;
	(void)worker;
	for (size_t i = 0; i < j->n; i++) {
		const double *val = j->val + i * RS_NMETRICS;
		const int *present = j->present + i * RS_NMETRICS;
		uint64_t key = (uint64_t)(j->first + i) * 0x100000001b3ULL;
		double pw[RS_NMETRICS], pv[RS_NMETRICS];
		int finite = 1;
		for (int m = 0; m < RS_NMETRICS; m++) {
			pw[m] = present[m] ? 1.0 : 0.0;
			pv[m] = present[m] ? val[m] : 0.0;
			finite &= isfinite(pv[m]) != 0;
		}
		for (size_t r = rb; r < re; r++) {
			double *w = b->w + r * RS_NMETRICS,
			       *sum = b->sum + r * RS_NMETRICS;
			unsigned k = poisson1(b->seed, key + (uint64_t)r);
			if (!finite) {
				if (!k)
					continue;
				for (int m = 0; m < RS_NMETRICS; m++)
					if (present[m]) {
						w[m] += k;
						sum[m] += k * val[m];
					}
				continue;
			}
			for (int m = 0; m < RS_NMETRICS; m++) {
				w[m] += k * pw[m];
				sum[m] += k * pv[m];
			}
		}
	}
}

void rs_boot_add_many(struct rs_boot *b, struct rf_pool *pool, size_t first,
		      const double *val, const int *present, size_t n)
{
	struct boot_job j = {b, first, n, val, present};
	if (b->reps <= 0 || n == 0)
		return;
	rf_pool_for(pool, (size_t)b->reps, 16, boot_reps, &j);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

void rs_boot_interval(const struct rs_boot *b, int m, double *lo, double *hi)
{
	double *est;
	int n = 0;
	*lo = *hi = NAN;
	if (b->reps <= 0)
		return;
	est = malloc((size_t)b->reps * sizeof *est);
	if (!est)
		return;
	for (int r = 0; r < b->reps; r++) {
		double w = b->w[(size_t)r * RS_NMETRICS + m];
		if (w > 0)
			est[n++] = b->sum[(size_t)r * RS_NMETRICS + m] / w;
	}
	if (n > 0) {
		qsort(est, (size_t)n, sizeof *est, cmp_double);
		/* percentile interval: the 2.5% and 97.5% order statistics */
		*lo = est[(size_t)floor(0.025 * (n - 1) + 0.5)];
		*hi = est[(size_t)floor(0.975 * (n - 1) + 0.5)];
	}
	free(est);
}

void rs_boot_free(struct rs_boot *b)
{
	free(b->w);
	free(b->sum);
	b->w = b->sum = NULL;
}
