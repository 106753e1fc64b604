/* Bounded big integers and unreduced rationals: just enough arithmetic to
 * decide exactly whether two numeric answers are equal (1/2^{99} is not
 * 1/2^{98}, 1/2004! is not 1/2006!).  Results may alias operands. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "reward/bignum.h"

static int fail_overflow(rf_bigctx *c)
{
	c->overflow = 1;
	return -1;
}

static int spend(rf_bigctx *c, long long ops)
{
	c->budget -= ops;
	if (c->budget < 0)
		return fail_overflow(c);
	return 0;
}

void rf_big_init(rf_big *a)
{
	a->d = NULL;
	a->n = a->cap = 0;
	a->neg = 0;
}

void rf_big_free(rf_big *a)
{
	if (!a)
		return;
	free(a->d);
	rf_big_init(a);
}

static int reserve(rf_bigctx *c, rf_big *a, int n)
{
	uint32_t *p;
	if (n > RF_BIG_MAX_LIMBS)
		return fail_overflow(c);
	if (n <= a->cap)
		return 0;
	p = realloc(a->d, (size_t)n * sizeof *p);
	if (!p) {
		c->nomem = 1;
		return fail_overflow(c);
	}
	a->d = p;
	a->cap = n;
	return 0;
}

static void trim(rf_big *a)
{
	while (a->n > 0 && a->d[a->n - 1] == 0)
		a->n--;
	if (a->n == 0)
		a->neg = 0;
}

int rf_big_set_u64(rf_bigctx *c, rf_big *a, uint64_t v)
{
	if (reserve(c, a, 2))
		return -1;
	a->d[0] = (uint32_t)v;
	a->d[1] = (uint32_t)(v >> 32);
	a->n = 2;
	a->neg = 0;
	trim(a);
	return 0;
}

int rf_big_copy(rf_bigctx *c, rf_big *dst, const rf_big *src)
{
	if (dst == src)
		return 0;
	if (reserve(c, dst, src->n > 0 ? src->n : 1))
		return -1;
	if (src->n)
		memcpy(dst->d, src->d, (size_t)src->n * sizeof *src->d);
	dst->n = src->n;
	dst->neg = src->neg;
	return 0;
}

int rf_big_is_zero(const rf_big *a)
{
	return a->n == 0;
}

static int cmp_abs(const rf_big *a, const rf_big *b)
{
	if (a->n != b->n)
		return a->n < b->n ? -1 : 1;
	for (int i = a->n - 1; i >= 0; i--)
		if (a->d[i] != b->d[i])
			return a->d[i] < b->d[i] ? -1 : 1;
	return 0;
}

int rf_big_cmp(const rf_big *a, const rf_big *b)
{
	if (a->neg != b->neg)
		return a->neg ? -1 : 1;
	return a->neg ? -cmp_abs(a, b) : cmp_abs(a, b);
}

/* |r| = |a| + |b| into a fresh big (caller swaps). */
static int add_abs(rf_bigctx *c, rf_big *r, const rf_big *a, const rf_big *b)
{
	int n = a->n > b->n ? a->n : b->n;
	uint64_t carry = 0;
	if (reserve(c, r, n + 1) || spend(c, n + 1))
		return -1;
	for (int i = 0; i < n; i++) {
		uint64_t s = carry;
		if (i < a->n)
			s += a->d[i];
		if (i < b->n)
			s += b->d[i];
		r->d[i] = (uint32_t)s;
		carry = s >> 32;
	}
	r->d[n] = (uint32_t)carry;
	r->n = n + 1;
	trim(r);
	return 0;
}

/* |r| = |a| - |b| with |a| >= |b|. */
static int sub_abs(rf_bigctx *c, rf_big *r, const rf_big *a, const rf_big *b)
{
	int64_t borrow = 0;
	if (reserve(c, r, a->n > 0 ? a->n : 1) || spend(c, a->n + 1))
		return -1;
	for (int i = 0; i < a->n; i++) {
		int64_t s = (int64_t)a->d[i] - borrow -
			    (i < b->n ? (int64_t)b->d[i] : 0);
		borrow = s < 0;
		if (s < 0)
			s += (int64_t)1 << 32;
		r->d[i] = (uint32_t)s;
	}
	r->n = a->n;
	trim(r);
	return 0;
}

static void swap_big(rf_big *a, rf_big *b)
{
	rf_big t = *a;
	*a = *b;
	*b = t;
}

static int addsub(rf_bigctx *c, rf_big *r, const rf_big *a, const rf_big *b,
		  int bneg)
{
	rf_big t;
	int rc, neg;
	rf_big_init(&t);
	if (a->neg == bneg) {
		rc = add_abs(c, &t, a, b);
		neg = a->neg;
	} else if (cmp_abs(a, b) >= 0) {
		rc = sub_abs(c, &t, a, b);
		neg = a->neg;
	} else {
		rc = sub_abs(c, &t, b, a);
		neg = bneg;
	}
	if (rc == 0) {
		t.neg = t.n ? neg : 0;
		swap_big(r, &t);
	}
	rf_big_free(&t);
	return rc;
}

int rf_big_add(rf_bigctx *c, rf_big *r, const rf_big *a, const rf_big *b)
{
	return addsub(c, r, a, b, b->neg);
}

int rf_big_sub(rf_bigctx *c, rf_big *r, const rf_big *a, const rf_big *b)
{
	return addsub(c, r, a, b, b->n ? !b->neg : 0);
}

int rf_big_mul(rf_bigctx *c, rf_big *r, const rf_big *a, const rf_big *b)
{
	rf_big t;
	int n;
	if (a->n == 0 || b->n == 0) {
		r->n = 0;
		r->neg = 0;
		return 0;
	}
	n = a->n + b->n;
	if (n > RF_BIG_MAX_LIMBS + 1)
		return fail_overflow(c);
	if (spend(c, (long long)a->n * b->n))
		return -1;
	rf_big_init(&t);
	if (reserve(c, &t, n)) {
		rf_big_free(&t);
		return -1;
	}
	memset(t.d, 0, (size_t)n * sizeof *t.d);
	for (int i = 0; i < a->n; i++) {
		uint64_t carry = 0;
		for (int j = 0; j < b->n; j++) {
			uint64_t s =
			    (uint64_t)a->d[i] * b->d[j] + t.d[i + j] + carry;
			t.d[i + j] = (uint32_t)s;
			carry = s >> 32;
		}
		t.d[i + b->n] = (uint32_t)carry;
	}
	t.n = n;
	t.neg = a->neg != b->neg;
	trim(&t);
	if (t.n > RF_BIG_MAX_LIMBS) {
		rf_big_free(&t);
		return fail_overflow(c);
	}
	swap_big(r, &t);
	rf_big_free(&t);
	return 0;
}

int rf_big_mul_small(rf_bigctx *c, rf_big *a, uint32_t m, uint32_t add)
{
	uint64_t carry = add;
	if (reserve(c, a, a->n + 1) || spend(c, a->n + 1))
		return -1;
	for (int i = 0; i < a->n; i++) {
		uint64_t s = (uint64_t)a->d[i] * m + carry;
		a->d[i] = (uint32_t)s;
		carry = s >> 32;
	}
	a->d[a->n++] = (uint32_t)carry;
	trim(a);
	return 0;
}

size_t rf_big_bits(const rf_big *a)
{
	size_t bits;
	uint32_t top;
	if (a->n == 0)
		return 0;
	bits = (size_t)(a->n - 1) * 32;
	top = a->d[a->n - 1];
	while (top) {
		bits++;
		top >>= 1;
	}
	return bits;
}

/* Mantissa from the top 64 bits and a binary exponent, so that ratios of
 * huge numbers can still be formed without overflow. */
static double big_mant(const rf_big *a, long *exp2)
{
	double m = 0;
	int lo = a->n - 3 < 0 ? 0 : a->n - 3;
	for (int i = a->n - 1; i >= lo; i--)
		m = m * 4294967296.0 + a->d[i];
	*exp2 = (long)lo * 32;
	return a->neg ? -m : m;
}

double rf_big_to_double(const rf_big *a, long *exp2)
{
	long e;
	double m;
	if (a->n == 0)
		return 0;
	m = big_mant(a, &e);
	if (exp2) {
		*exp2 = e;
		return m;
	}
	return e > 2000 ? (m < 0 ? -INFINITY : INFINITY) : ldexp(m, (int)e);
}

int rf_big_to_i64(const rf_big *a, int64_t *out)
{
	uint64_t v;
	if (a->n > 2)
		return 0;
	v = a->n > 0 ? a->d[0] : 0;
	if (a->n > 1)
		v |= (uint64_t)a->d[1] << 32;
	if (v > (uint64_t)INT64_MAX)
		return 0;
	*out = a->neg ? -(int64_t)v : (int64_t)v;
	return 1;
}

void rf_rat_init(rf_rat *r)
{
	rf_big_init(&r->p);
	rf_big_init(&r->q);
}

void rf_rat_free(rf_rat *r)
{
	if (!r)
		return;
	rf_big_free(&r->p);
	rf_big_free(&r->q);
}

static int set_i64(rf_bigctx *c, rf_big *a, int64_t v)
{
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	if (rf_big_set_u64(c, a, u))
		return -1;
	a->neg = v < 0 && u != 0;
	return 0;
}

int rf_rat_set_i64(rf_bigctx *c, rf_rat *r, int64_t p, int64_t q)
{
	if (q < 0) {
		p = -p;
		q = -q;
	}
	if (set_i64(c, &r->p, p) || set_i64(c, &r->q, q))
		return -1;
	return 0;
}

int rf_rat_copy(rf_bigctx *c, rf_rat *dst, const rf_rat *src)
{
	if (rf_big_copy(c, &dst->p, &src->p) ||
	    rf_big_copy(c, &dst->q, &src->q))
		return -1;
	return 0;
}

static void swap_rat(rf_rat *a, rf_rat *b)
{
	swap_big(&a->p, &b->p);
	swap_big(&a->q, &b->q);
}

static int rat_addsub(rf_bigctx *c, rf_rat *r, const rf_rat *a, const rf_rat *b,
		      int sub)
{
	rf_rat t;
	rf_big x, y;
	int rc = -1;
	rf_rat_init(&t);
	rf_big_init(&x);
	rf_big_init(&y);
	if (cmp_abs(&a->q, &b->q) == 0) {
		/* same denominator: no growth */
		if ((sub ? rf_big_sub(c, &t.p, &a->p, &b->p)
			 : rf_big_add(c, &t.p, &a->p, &b->p)) ||
		    rf_big_copy(c, &t.q, &a->q))
			goto out;
	} else if (rf_big_mul(c, &x, &a->p, &b->q) ||
		   rf_big_mul(c, &y, &b->p, &a->q) ||
		   (sub ? rf_big_sub(c, &t.p, &x, &y)
			: rf_big_add(c, &t.p, &x, &y)) ||
		   rf_big_mul(c, &t.q, &a->q, &b->q)) {
		goto out;
	}
	swap_rat(r, &t);
	rf_rat_reduce_small(c, r);
	rc = 0;
out:
	rf_rat_free(&t);
	rf_big_free(&x);
	rf_big_free(&y);
	return rc;
}

int rf_rat_add(rf_bigctx *c, rf_rat *r, const rf_rat *a, const rf_rat *b)
{
	return rat_addsub(c, r, a, b, 0);
}

int rf_rat_sub(rf_bigctx *c, rf_rat *r, const rf_rat *a, const rf_rat *b)
{
	return rat_addsub(c, r, a, b, 1);
}

int rf_rat_mul(rf_bigctx *c, rf_rat *r, const rf_rat *a, const rf_rat *b)
{
	rf_rat t;
	int rc = -1;
	rf_rat_init(&t);
	if (!rf_big_mul(c, &t.p, &a->p, &b->p) &&
	    !rf_big_mul(c, &t.q, &a->q, &b->q)) {
		swap_rat(r, &t);
		rf_rat_reduce_small(c, r);
		rc = 0;
	}
	rf_rat_free(&t);
	return rc;
}

int rf_rat_div(rf_bigctx *c, rf_rat *r, const rf_rat *a, const rf_rat *b)
{
	rf_rat t;
	int rc = -1;
	if (rf_big_is_zero(&b->p))
		return -2;
	rf_rat_init(&t);
	if (!rf_big_mul(c, &t.p, &a->p, &b->q) &&
	    !rf_big_mul(c, &t.q, &a->q, &b->p)) {
		if (t.q.neg) {
			t.q.neg = 0;
			t.p.neg = t.p.n ? !t.p.neg : 0;
		}
		swap_rat(r, &t);
		rf_rat_reduce_small(c, r);
		rc = 0;
	}
	rf_rat_free(&t);
	return rc;
}

int rf_rat_neg(rf_rat *r)
{
	if (r->p.n)
		r->p.neg = !r->p.neg;
	return 0;
}

int rf_rat_is_zero(const rf_rat *a)
{
	return rf_big_is_zero(&a->p);
}

static int big_pow(rf_bigctx *c, rf_big *r, const rf_big *a, uint64_t e)
{
	rf_big base, acc;
	int rc = -1;
	rf_big_init(&base);
	rf_big_init(&acc);
	if (rf_big_copy(c, &base, a) || rf_big_set_u64(c, &acc, 1))
		goto out;
	while (e) {
		if ((e & 1) && rf_big_mul(c, &acc, &acc, &base))
			goto out;
		e >>= 1;
		if (e && rf_big_mul(c, &base, &base, &base))
			goto out;
	}
	swap_big(r, &acc);
	rc = 0;
out:
	rf_big_free(&base);
	rf_big_free(&acc);
	return rc;
}

int rf_rat_pow(rf_bigctx *c, rf_rat *r, const rf_rat *a, int64_t e)
{
	rf_rat t;
	uint64_t ue;
	int rc = -1;
	size_t pb = rf_big_bits(&a->p), qb = rf_big_bits(&a->q);
	if (e < 0 && rf_rat_is_zero(a))
		return -2;
	ue = e < 0 ? (uint64_t)0 - (uint64_t)e : (uint64_t)e;
	/* |a| == 1 (p == ±q) stays small whatever the exponent */
	if (cmp_abs(&a->p, &a->q) == 0) {
		int neg = a->p.neg && (ue & 1);
		if (rf_rat_set_i64(c, r, neg ? -1 : 1, 1))
			return -1;
		return 0;
	}
	if (rf_rat_is_zero(a))
		return rf_rat_set_i64(c, r, e == 0 ? 1 : 0, 1);
	/* refuse before computing when the result cannot fit */
	if (ue > (uint64_t)RF_BIG_MAX_LIMBS * 32 ||
	    (pb > 1 && (pb - 1) * ue > (uint64_t)RF_BIG_MAX_LIMBS * 32) ||
	    (qb > 1 && (qb - 1) * ue > (uint64_t)RF_BIG_MAX_LIMBS * 32))
		return fail_overflow(c);
	rf_rat_init(&t);
	if (big_pow(c, &t.p, &a->p, ue) || big_pow(c, &t.q, &a->q, ue))
		goto out;
	if (e < 0) {
		int neg = t.p.neg;
		swap_big(&t.p, &t.q);
		t.p.neg = neg;
		t.q.neg = 0;
	}
	swap_rat(r, &t);
	rc = 0;
out:
	rf_rat_free(&t);
	return rc;
}

int rf_rat_eq(rf_bigctx *c, const rf_rat *a, const rf_rat *b)
{
	rf_big x, y;
	int rc;
	if (a->p.neg != b->p.neg)
		return rf_big_is_zero(&a->p) && rf_big_is_zero(&b->p);
	rf_big_init(&x);
	rf_big_init(&y);
	if (rf_big_mul(c, &x, &a->p, &b->q) || rf_big_mul(c, &y, &b->p, &a->q))
		rc = -1;
	else
		rc = rf_big_cmp(&x, &y) == 0;
	rf_big_free(&x);
	rf_big_free(&y);
	return rc;
}

static uint64_t gcd_u64(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

void rf_rat_reduce_small(rf_bigctx *c, rf_rat *r)
{
	int64_t p, q;
	uint64_t g, up;
	if (!rf_big_to_i64(&r->p, &p) || !rf_big_to_i64(&r->q, &q) || q <= 0)
		return;
	up = p < 0 ? (uint64_t)0 - (uint64_t)p : (uint64_t)p;
	g = gcd_u64(up, (uint64_t)q);
	if (g > 1)
		rf_rat_set_i64(c, r, p / (int64_t)g, q / (int64_t)g);
	else if (p == 0)
		rf_rat_set_i64(c, r, 0, 1);
}

int rf_rat_to_i64(rf_bigctx *c, const rf_rat *a, int64_t *out)
{
	int64_t p, q;
	rf_rat t;
	rf_rat_init(&t);
	if (rf_rat_copy(c, &t, a)) {
		rf_rat_free(&t);
		return 0;
	}
	rf_rat_reduce_small(c, &t);
	if (!rf_big_to_i64(&t.p, &p) || !rf_big_to_i64(&t.q, &q) || q != 1) {
		rf_rat_free(&t);
		return 0;
	}
	rf_rat_free(&t);
	*out = p;
	return 1;
}

double rf_rat_to_double(const rf_rat *a)
{
	long ep, eq;
	double mp, mq;
	if (rf_big_is_zero(&a->p))
		return 0;
	mp = rf_big_to_double(&a->p, &ep);
	mq = rf_big_to_double(&a->q, &eq);
	if (ep - eq > 2000)
		return mp < 0 ? -INFINITY : INFINITY;
	if (ep - eq < -2000)
		return mp < 0 ? -0.0 : 0.0;
	return ldexp(mp / mq, (int)(ep - eq));
}
