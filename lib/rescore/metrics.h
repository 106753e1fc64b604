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
/* Add one problem's values (present[m]: whether metric m applies to it). */
void rs_boot_add(struct rs_boot *b, size_t problem, const double *val,
		 const int *present);
void rs_boot_interval(const struct rs_boot *b, int m, double *lo, double *hi);
void rs_boot_free(struct rs_boot *b);

#endif
