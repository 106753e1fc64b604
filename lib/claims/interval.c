/* Interval arithmetic with outward rounding.  Each endpoint is computed in
 * round-to-nearest and its exact rounding error is recovered with fma or
 * TwoSum; only an inexact endpoint is nudged one ulp outward (and closed), so
 * exact edges such as 500 × 203 = 101,500 stay exact and "101K"'s open end
 * is honoured. */
#include <math.h>

#include "referee/claims.h"

/* dir < 0: a lower bound of the exact value; dir > 0: an upper bound. */
static double nudge(double r, double err_sign, int dir, int *inexact)
{
	if (err_sign == 0 || isnan(err_sign) || isinf(r))
		return r;
	*inexact = 1;
	if (dir < 0 && err_sign < 0)
		return nextafter(r, -INFINITY);
	if (dir > 0 && err_sign > 0)
		return nextafter(r, INFINITY);
	return r;
}

static double add_dir(double a, double b, int dir, int *inexact)
{
	double s = a + b, bb, err;
	if (isinf(s) || isnan(s))
		return s;
	bb = s - a;
	err = (a - (s - bb)) + (b - bb); /* TwoSum: exact a + b - s */
	return nudge(s, err, dir, inexact);
}

static double mul_dir(double a, double b, int dir, int *inexact)
{
	double p;
	/* 0 × ∞ is 0 for intervals: [0, $450) × [14.5T, ∞) starts at 0 */
	if ((a == 0 && isinf(b)) || (b == 0 && isinf(a)))
		return 0.0;
	p = a * b;
	if (isinf(p) || isnan(p) || p == 0)
		return p == 0 && !isnan(p) ? 0.0 : p;
	return nudge(p, fma(a, b, -p), dir, inexact);
}

static double div_dir(double a, double b, int dir, int *inexact)
{
	double q, r;
	/* ∞ / ∞: the bound of a quotient of two unbounded intervals is
	 * anything; outward, 0 below (both positive) and ∞ above */
	if (isinf(a) && isinf(b))
		return dir < 0 ? ((a > 0) == (b > 0) ? 0.0 : -INFINITY)
			       : ((a > 0) == (b > 0) ? INFINITY : 0.0);
	q = a / b;
	if (isinf(q) || isnan(q) || q == 0)
		return q == 0 ? 0.0 : q;
	r = fma(-q, b, a); /* exact a - q*b: the true quotient is q + r/b */
	return nudge(q, b > 0 ? r : -r, dir, inexact);
}

rf_interval rf_interval_point(double v)
{
	rf_interval i = {v, v, 0, 0};
	return i;
}

rf_interval rf_interval_add(rf_interval a, rf_interval b)
{
	rf_interval r;
	int ilo = 0, ihi = 0;
	r.lo = add_dir(a.lo, b.lo, -1, &ilo);
	r.hi = add_dir(a.hi, b.hi, 1, &ihi);
	r.lo_open = !ilo && (a.lo_open || b.lo_open);
	r.hi_open = !ihi && (a.hi_open || b.hi_open);
	return r;
}

rf_interval rf_interval_sub(rf_interval a, rf_interval b)
{
	rf_interval nb = {-b.hi, -b.lo, b.hi_open, b.lo_open};
	return rf_interval_add(a, nb);
}

typedef double (*op_dir)(double, double, int, int *);

/* The extreme values of x op y over the four endpoint pairs.  An extreme
 * is open only when every pair reaching it involves an open end and it
 * needed no rounding. */
static rf_interval combine(rf_interval a, rf_interval b, op_dir op)
{
	double xs[2] = {a.lo, a.hi}, ys[2] = {b.lo, b.hi};
	int xo[2] = {a.lo_open, a.hi_open}, yo[2] = {b.lo_open, b.hi_open};
	double lo[4], hi[4];
	int lin[4], hin[4], open[4];
	rf_interval r;
	int k = 0;
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 2; j++, k++) {
			lin[k] = hin[k] = 0;
			lo[k] = op(xs[i], ys[j], -1, &lin[k]);
			hi[k] = op(xs[i], ys[j], 1, &hin[k]);
			open[k] = xo[i] || yo[j];
		}
	r.lo = lo[0];
	r.hi = hi[0];
	for (k = 1; k < 4; k++) {
		if (lo[k] < r.lo || isnan(lo[k]))
			r.lo = lo[k];
		if (hi[k] > r.hi || isnan(hi[k]))
			r.hi = hi[k];
	}
	r.lo_open = r.hi_open = 1;
	for (k = 0; k < 4; k++) {
		if (lo[k] == r.lo && (lin[k] || !open[k]))
			r.lo_open = 0;
		if (hi[k] == r.hi && (hin[k] || !open[k]))
			r.hi_open = 0;
	}
	return r;
}

rf_interval rf_interval_mul(rf_interval a, rf_interval b)
{
	return combine(a, b, mul_dir);
}

rf_interval rf_interval_div(rf_interval a, rf_interval b)
{
	if (b.lo <= 0 && b.hi >= 0) {
		rf_interval all = {-INFINITY, INFINITY, 0, 0};
		/* (0, x] or [x, 0) never reaches 0 itself */
		if (!(b.lo == 0 && b.lo_open && b.hi > 0) &&
		    !(b.hi == 0 && b.hi_open && b.lo < 0))
			return all;
		if (b.lo == 0)
			b.lo = nextafter(0.0, 1.0), b.lo_open = 0;
		else
			b.hi = nextafter(0.0, -1.0), b.hi_open = 0;
	}
	return combine(a, b, div_dir);
}

static int includes(rf_interval a, double x)
{
	if (x < a.lo || x > a.hi)
		return 0;
	if (x == a.lo && a.lo_open)
		return 0;
	if (x == a.hi && a.hi_open)
		return 0;
	return 1;
}

int rf_interval_contains(rf_interval a, double x)
{
	return includes(a, x);
}

int rf_interval_overlaps(rf_interval a, rf_interval b)
{
	double lo = a.lo > b.lo ? a.lo : b.lo;
	double hi = a.hi < b.hi ? a.hi : b.hi;
	if (isnan(lo) || isnan(hi))
		return 0;
	if (lo < hi)
		return 1;
	if (lo > hi)
		return 0;
	return includes(a, lo) && includes(b, lo);
}
