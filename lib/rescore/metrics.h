/* referee — internal to lib/rescore: the streaming (Poisson) bootstrap. */
#ifndef REFEREE_RESCORE_METRICS_H
#define REFEREE_RESCORE_METRICS_H

#include <stddef.h>

enum { RS_MEAN = 0, RS_PASS1, RS_PASSK, RS_CONSK, RS_NMETRICS };

/* Per replicate and metric: the sum of weights and of weighted values. */
struct rs_boot {
	int reps;
	unsigned long seed;
	double *w, *sum;
};

int rs_boot_init(struct rs_boot *b, int reps, unsigned long seed);
/* Add `n` problems (numbers first, first+1, ...; values val[i*RS_NMETRICS+m])
 * with the replicates split over the pool: each replicate still sums its
 * problems in order, so the result does not depend on the thread count. */
struct rf_pool;
void rs_boot_add_many(struct rs_boot *b, struct rf_pool *pool, size_t first,
		      const double *val, const int *present, size_t n);
void rs_boot_interval(const struct rs_boot *b, int m, double *lo, double *hi);
void rs_boot_free(struct rs_boot *b);

#endif
