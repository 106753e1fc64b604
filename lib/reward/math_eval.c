/* The answer language of the `math` reward, part 2 of 3: evaluating a
 * parsed answer exactly (rationals, bounded) and numerically (doubles at
 * fixed pseudo-random points), and small tree queries the comparison uses. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "reward/math_expr.h"

/* ------------------------------------------------------- exact evaluation */


/* Merge two statuses: the "worst" wins, with overflow kept distinct. */
static int worse(int a, int b)
{
	return a > b ? a : b;
}


static int ex_bin(const struct mx_tree *t, const struct mx_node *nd,
		  unsigned mask, rf_bigctx *c, rf_rat *out, int depth, int kind)
{
	rf_rat x, y;
	int s1, s2, rc = MX_EX_OK;
	rf_rat_init(&x);
	rf_rat_init(&y);
	s1 = mx_exact_eval(t, nd->a, mask, c, &x, depth);
	s2 = mx_exact_eval(t, nd->b, mask, c, &y, depth);
	if (s1 || s2) {
		rc = worse(s1, s2);
		goto out;
	}
	switch (kind) {
	case MX_ADD:
		rc = rf_rat_add(c, out, &x, &y) ? MX_EX_OVF : MX_EX_OK;
		break;
	case MX_SUB:
		rc = rf_rat_sub(c, out, &x, &y) ? MX_EX_OVF : MX_EX_OK;
		break;
	case MX_MUL:
		rc = rf_rat_mul(c, out, &x, &y) ? MX_EX_OVF : MX_EX_OK;
		break;
	case MX_DIV: {
		int r = rf_rat_div(c, out, &x, &y);
		rc = r == -2 ? MX_EX_UNDEF : r ? MX_EX_OVF : MX_EX_OK;
		break;
	}
	}
out:
	rf_rat_free(&x);
	rf_rat_free(&y);
	return rc;
}

/* \lceil x \rceil and \lfloor x \rfloor of an exact value that fits 63
 * bits (beyond, the numeric comparison decides). */
static int ex_round(const struct mx_tree *t, const struct mx_node *nd,
		    unsigned mask, rf_bigctx *c, rf_rat *out, int depth)
{
	rf_rat x;
	int64_t p, q, f;
	int s;
	rf_rat_init(&x);
	s = mx_exact_eval(t, nd->a, mask, c, &x, depth);
	if (!s) {
		rf_rat_reduce_small(c, &x);
		if (!rf_big_to_i64(&x.p, &p) || !rf_big_to_i64(&x.q, &q) ||
		    q <= 0) {
			s = MX_EX_IRR;
		} else {
			f = p / q - (p % q != 0 && p < 0);
			if (nd->name[0] == 'c' && p % q != 0)
				f++;
			s = rf_rat_set_i64(c, out, f, 1) ? MX_EX_OVF : MX_EX_OK;
		}
	}
	rf_rat_free(&x);
	return s;
}

/* Integer k-th root of a non-negative 63-bit integer, or -1. */
static int64_t iroot(int64_t v, int64_t k)
{
	double g = pow((double)v, 1.0 / (double)k);
	for (int64_t r = (int64_t)g - 1; r <= (int64_t)g + 1; r++) {
		if (r < 0)
			continue;
		__int128 acc = 1;
		for (int64_t j = 0; j < k && acc <= v; j++)
			acc *= r;
		if (acc == v)
			return r;
	}
	return -1;
}

int mx_exact_eval(const struct mx_tree *t, int i, unsigned mask, rf_bigctx *c,
		   rf_rat *out, int depth)
{
	const struct mx_node *nd;
	rf_rat x, y;
	int s, s2, rc;
	int64_t n, k;
	if (i < 0 || depth > MX_MAX_DEPTH * 4)
		return MX_EX_UNDEF;
	if (c->overflow)
		return MX_EX_OVF;
	nd = &t->nodes[i];
	depth++;
	switch (nd->kind) {
	case MX_NUM:
		return rf_rat_copy(c, out, &nd->num) ? MX_EX_OVF : MX_EX_OK;
	case MX_VAR:
	case MX_PI:
	case MX_E:
	case MX_INF:
	case MX_UFUNC:
		return MX_EX_IRR;
	case MX_FUNC:
		if (!strcmp(nd->name, "ceil") || !strcmp(nd->name, "floor"))
			return ex_round(t, nd, mask, c, out, depth);
		return MX_EX_IRR;
	case MX_ADD:
	case MX_SUB:
	case MX_MUL:
	case MX_DIV:
		return ex_bin(t, nd, mask, c, out, depth, nd->kind);
	case MX_NEG:
		s = mx_exact_eval(t, nd->a, mask, c, out, depth);
		if (!s)
			rf_rat_neg(out);
		return s;
	case MX_PM: {
		int minus = (mask >> nd->op) & 1;
		rf_rat_init(&x);
		rf_rat_init(&y);
		s = nd->a >= 0 ? mx_exact_eval(t, nd->a, mask, c, &x, depth)
		    : rf_rat_set_i64(c, &x, 0, 1) ? MX_EX_OVF
						  : MX_EX_OK;
		s2 = mx_exact_eval(t, nd->b, mask, c, &y, depth);
		rc = worse(s, s2);
		if (!rc)
			rc = (minus ? rf_rat_sub(c, out, &x, &y)
				    : rf_rat_add(c, out, &x, &y))
				 ? MX_EX_OVF
				 : MX_EX_OK;
		rf_rat_free(&x);
		rf_rat_free(&y);
		return rc;
	}
	case MX_POW:
		rf_rat_init(&x);
		rf_rat_init(&y);
		s = mx_exact_eval(t, nd->a, mask, c, &x, depth);
		s2 = mx_exact_eval(t, nd->b, mask, c, &y, depth);
		rc = worse(s, s2);
		if (!s && s2 == MX_EX_OVF) {
			/* 1^{10^{10^{10}}} is 1 however large the exponent */
			rf_rat one;
			rf_rat_init(&one);
			rf_rat_set_i64(c, &one, 1, 1);
			int was = c->overflow;
			c->overflow = 0;
			if (rf_rat_eq(c, &x, &one) == 1)
				rc = rf_rat_set_i64(c, out, 1, 1) ? MX_EX_OVF
								  : MX_EX_OK;
			else
				c->overflow = was;
			rf_rat_free(&one);
		}
		if (!rc && !s && !s2) {
			if (rf_rat_to_i64(c, &y, &n)) {
				int r = rf_rat_pow(c, out, &x, n);
				rc = r == -2 ? MX_EX_UNDEF : r ? MX_EX_OVF : MX_EX_OK;
			} else if (rf_rat_is_zero(&x) && !y.p.neg) {
				rc = rf_rat_set_i64(c, out, 0, 1) ? MX_EX_OVF
								  : MX_EX_OK;
			} else {
				/* |x| == 1 with any exponent, or a huge or
				 * fractional one */
				rf_rat one;
				rf_rat_init(&one);
				rf_rat_set_i64(c, &one, 1, 1);
				int r = rf_rat_eq(c, &x, &one);
				rf_rat_free(&one);
				int64_t yi;
				if (r == 1)
					rc = rf_rat_set_i64(c, out, 1, 1)
						 ? MX_EX_OVF
						 : MX_EX_OK;
				else if (!rf_rat_to_i64(c, &y, &yi) &&
					 y.q.n == 1 && y.q.d[0] == 1)
					rc = MX_EX_OVF; /* integer exponent beyond
							63 bits */
				else
					rc = MX_EX_IRR;
			}
		}
		rf_rat_free(&x);
		rf_rat_free(&y);
		return rc;
	case MX_FACT:
		rf_rat_init(&x);
		s = mx_exact_eval(t, nd->a, mask, c, &x, depth);
		rc = s;
		if (!s) {
			if (!rf_rat_to_i64(c, &x, &n))
				rc = x.p.neg			     ? MX_EX_UNDEF
				     : (x.q.n == 1 && x.q.d[0] == 1) ? MX_EX_OVF
								     : MX_EX_UNDEF;
			else if (n < 0)
				rc = MX_EX_UNDEF;
			else if (n > 3000)
				rc = MX_EX_OVF;
			else {
				rf_big acc;
				rf_big_init(&acc);
				rc =
				    rf_big_set_u64(c, &acc, 1) ? MX_EX_OVF : MX_EX_OK;
				for (int64_t j = 2; !rc && j <= n; j++)
					if (rf_big_mul_small(c, &acc,
							     (uint32_t)j, 0))
						rc = MX_EX_OVF;
				if (!rc && (rf_big_copy(c, &out->p, &acc) ||
					    rf_big_set_u64(c, &out->q, 1)))
					rc = MX_EX_OVF;
				rf_big_free(&acc);
			}
		}
		rf_rat_free(&x);
		return rc;
	case MX_BINOM:
		rf_rat_init(&x);
		rf_rat_init(&y);
		s = mx_exact_eval(t, nd->a, mask, c, &x, depth);
		s2 = mx_exact_eval(t, nd->b, mask, c, &y, depth);
		rc = worse(s, s2);
		if (!rc) {
			if (!rf_rat_to_i64(c, &x, &n) ||
			    !rf_rat_to_i64(c, &y, &k))
				rc = MX_EX_IRR;
			else if (k < 0 || n < 0 || k > n)
				rc = rf_rat_set_i64(c, out, 0, 1) ? MX_EX_OVF
								  : MX_EX_OK;
			else {
				if (k > n - k)
					k = n - k;
				if (k > 2000 || n > ((int64_t)1 << 31))
					rc = MX_EX_OVF;
				else {
					/* C(n,k) = prod (n-k+j)/j, kept as an
					 * unreduced fraction */
					rf_rat acc, f;
					rf_rat_init(&acc);
					rf_rat_init(&f);
					rc = rf_rat_set_i64(c, &acc, 1, 1)
						 ? MX_EX_OVF
						 : MX_EX_OK;
					for (int64_t j = 1; !rc && j <= k; j++)
						if (rf_rat_set_i64(
							c, &f, n - k + j, j) ||
						    rf_rat_mul(c, &acc, &acc,
							       &f))
							rc = MX_EX_OVF;
					if (!rc && rf_rat_copy(c, out, &acc))
						rc = MX_EX_OVF;
					rf_rat_free(&acc);
					rf_rat_free(&f);
				}
			}
		}
		rf_rat_free(&x);
		rf_rat_free(&y);
		return rc;
	case MX_SQRT:
		rf_rat_init(&x);
		rf_rat_init(&y);
		s = mx_exact_eval(t, nd->a, mask, c, &x, depth);
		k = 2;
		s2 = MX_EX_OK;
		if (nd->b >= 0) {
			s2 = mx_exact_eval(t, nd->b, mask, c, &y, depth);
			if (!s2 &&
			    (!rf_rat_to_i64(c, &y, &k) || k < 1 || k > 64))
				s2 = MX_EX_IRR;
		}
		rc = worse(s, s2);
		if (!rc) {
			int64_t pp, qq, rp, rq;
			rf_rat_reduce_small(c, &x);
			if (!rf_big_to_i64(&x.p, &pp) ||
			    !rf_big_to_i64(&x.q, &qq))
				rc = MX_EX_IRR;
			else if (pp < 0)
				rc = (k % 2) ? MX_EX_IRR : MX_EX_UNDEF;
			else if ((rp = iroot(pp, k)) < 0 ||
				 (rq = iroot(qq, k)) < 0)
				rc = MX_EX_IRR;
			else
				rc = rf_rat_set_i64(c, out, rp, rq) ? MX_EX_OVF
								    : MX_EX_OK;
		}
		rf_rat_free(&x);
		rf_rat_free(&y);
		return rc;
	case MX_ABS:
		s = mx_exact_eval(t, nd->a, mask, c, out, depth);
		if (!s && out->p.neg)
			rf_rat_neg(out);
		return s;
	default:
		return MX_EX_NONSCALAR;
	}
}

/* ----------------------------------------------------- numeric evaluation */

/* Six points with positive variables and three with negative ones: most
 * answers live on positive values (roots, logs), but sqrt(x^2) is |x|, not
 * x, and only a negative point shows it.  Points where either side is
 * undefined are skipped; at least three must remain and all must agree. */
#define NPOSITIVE 6

static uint64_t mix64(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A variable's value at a point depends only on its name and the point
 * (fixed seed), so two answers see the same values without a shared table. */
static double var_value(const char *name, int point)
{
	uint64_t h = 1469598103934665603ULL;
	/* an arbitrary constant's name does not matter: C and c (C_1, c_1)
	 * are one */
	int constant = name[0] == 'C' && (name[1] == '\0' || name[1] == '_');
	for (const char *s = name; *s; s++)
		h = (h ^ (unsigned char)(s == name && constant ? 'c' : *s)) *
		    1099511628211ULL;
	h = mix64(h ^ mix64(0x5eed0000ULL + (uint64_t)point));
	double v = 0.35 + 2.3 * (double)(h >> 11) / 9007199254740992.0;
	return point < NPOSITIVE ? v : -v;
}

/* The largest operand of an addition or subtraction (or of a periodic
 * function) seen while evaluating: the scale of the rounding error when
 * terms cancel.  A product or a quotient adds no such error beyond its
 * relative one, so a value like 1.3e-26 keeps a purely relative
 * comparison. */
struct nv_ctx {
	double mag;	 /* largest operand added or subtracted */
	const char *var; /* a variable given a value of its own, or NULL */
	double val;
};

static void note_mag(struct nv_ctx *cx, double v)
{
	if (isfinite(v) && fabs(v) > cx->mag)
		cx->mag = fabs(v);
}

static double nv_eval(const struct mx_tree *t, int i, unsigned mask, int pt,
		      int depth, struct nv_ctx *cx)
{
	const struct mx_node *nd;
	double x, y;
	if (i < 0 || depth > MX_MAX_DEPTH * 4)
		return NAN;
	nd = &t->nodes[i];
	depth++;
	switch (nd->kind) {
	case MX_NUM:
		return rf_rat_to_double(&nd->num);
	case MX_VAR:
		if (cx->var && !strcmp(cx->var, nd->name))
			return cx->val;
		return var_value(nd->name, pt);
	case MX_UFUNC: {
		/* an arbitrary smooth function per name, the same for both sides */
		double a = var_value(nd->name, 0), b = var_value(nd->name, 1);
		x = nv_eval(t, nd->a, mask, pt, depth, cx);
		return 2.0 + sin(a * x + b) + 0.1 * a * x;
	}
	case MX_PI:
		return M_PI;
	case MX_E:
		return M_E;
	case MX_INF:
		return INFINITY;
	case MX_ADD:
	case MX_SUB:
		x = nv_eval(t, nd->a, mask, pt, depth, cx);
		y = nv_eval(t, nd->b, mask, pt, depth, cx);
		note_mag(cx, x);
		note_mag(cx, y);
		return nd->kind == MX_ADD ? x + y : x - y;
	case MX_MUL:
		return nv_eval(t, nd->a, mask, pt, depth, cx) *
		       nv_eval(t, nd->b, mask, pt, depth, cx);
	case MX_DIV:
		y = nv_eval(t, nd->b, mask, pt, depth, cx);
		if (y == 0)
			return NAN;
		return nv_eval(t, nd->a, mask, pt, depth, cx) / y;
	case MX_NEG:
		return -nv_eval(t, nd->a, mask, pt, depth, cx);
	case MX_PM:
		x = nd->a >= 0 ? nv_eval(t, nd->a, mask, pt, depth, cx) : 0;
		y = nv_eval(t, nd->b, mask, pt, depth, cx);
		note_mag(cx, x);
		note_mag(cx, y);
		return ((mask >> nd->op) & 1) ? x - y : x + y;
	case MX_POW:
		x = nv_eval(t, nd->a, mask, pt, depth, cx);
		y = nv_eval(t, nd->b, mask, pt, depth, cx);
		return pow(x, y);
	case MX_FACT:
		x = nv_eval(t, nd->a, mask, pt, depth, cx);
		if (x < 0 || x != floor(x))
			return NAN;
		return tgamma(x + 1);
	case MX_BINOM:
		x = nv_eval(t, nd->a, mask, pt, depth, cx);
		y = nv_eval(t, nd->b, mask, pt, depth, cx);
		return exp(lgamma(x + 1) - lgamma(y + 1) - lgamma(x - y + 1));
	case MX_SQRT:
		x = nv_eval(t, nd->a, mask, pt, depth, cx);
		y = nd->b >= 0 ? nv_eval(t, nd->b, mask, pt, depth, cx) : 2;
		if (y == 0)
			return NAN;
		if (x < 0 && fmod(y, 2) == 1)
			return -pow(-x, 1 / y);
		return pow(x, 1 / y);
	case MX_ABS:
		return fabs(nv_eval(t, nd->a, mask, pt, depth, cx));
	case MX_FUNC: {
		const char *f = nd->name;
		x = nv_eval(t, nd->a, mask, pt, depth, cx);
		/* sin(pi) is 1e-16, not 0: rounding grows with the argument */
		note_mag(cx, x);
		if (!strcmp(f, "sin"))
			return sin(x);
		if (!strcmp(f, "cos"))
			return cos(x);
		if (!strcmp(f, "tan"))
			return tan(x);
		if (!strcmp(f, "cot"))
			return 1 / tan(x);
		if (!strcmp(f, "sec"))
			return 1 / cos(x);
		if (!strcmp(f, "csc"))
			return 1 / sin(x);
		if (!strcmp(f, "arcsin"))
			return asin(x);
		if (!strcmp(f, "arccos"))
			return acos(x);
		if (!strcmp(f, "arctan"))
			return atan(x);
		if (!strcmp(f, "sinh"))
			return sinh(x);
		if (!strcmp(f, "cosh"))
			return cosh(x);
		if (!strcmp(f, "tanh"))
			return tanh(x);
		if (!strcmp(f, "ceil"))
			return ceil(x);
		if (!strcmp(f, "floor"))
			return floor(x);
		if (!strcmp(f, "exp"))
			return exp(x);
		if (!strcmp(f, "ln"))
			return log(x);
		if (!strcmp(f, "log")) {
			if (nd->b >= 0)
				return log(x) /
				       log(nv_eval(t, nd->b, mask, pt, depth, cx));
			return log(x); /* \log without a base: natural, as in
					  calculus */
		}
		return NAN;
	}
	default:
		return NAN;
	}
}

int mx_has_kind(const struct mx_tree *t, int i, int kind, int depth)
{
	const struct mx_node *nd;
	if (i < 0 || depth > MX_MAX_DEPTH * 4)
		return 0;
	nd = &t->nodes[i];
	if (nd->kind == kind)
		return 1;
	if (nd->kind == MX_LIST || nd->kind == MX_UNION ||
	    nd->kind == MX_MATRIX) {
		for (int j = 0; j < nd->count; j++)
			if (mx_has_kind(t, t->kids[nd->first + j], kind,
				     depth + 1))
				return 1;
		return 0;
	}
	return mx_has_kind(t, nd->a, kind, depth + 1) ||
	       mx_has_kind(t, nd->b, kind, depth + 1);
}

/* The ± signs inside a subtree, as bit positions. */
unsigned mx_pm_bits(const struct mx_tree *t, int i, int depth)
{
	const struct mx_node *nd;
	unsigned m = 0;
	if (i < 0 || depth > MX_MAX_DEPTH * 4)
		return 0;
	nd = &t->nodes[i];
	if (nd->kind == MX_PM && nd->op < MX_MAX_PM)
		m |= 1u << nd->op;
	if (nd->kind == MX_LIST || nd->kind == MX_UNION ||
	    nd->kind == MX_MATRIX) {
		for (int j = 0; j < nd->count; j++)
			m |= mx_pm_bits(t, t->kids[nd->first + j], depth + 1);
		return m;
	}
	return m | mx_pm_bits(t, nd->a, depth + 1) | mx_pm_bits(t, nd->b, depth + 1);
}

double mx_num_eval(const struct mx_tree *t, int i, unsigned mask, int point,
		   double *mag)
{
	struct nv_ctx cx = {0, NULL, 0};
	double v = nv_eval(t, i, mask, point, 0, &cx);
	if (mag)
		*mag = cx.mag;
	return v;
}

double mx_num_eval_at(const struct mx_tree *t, int i, int point,
		      const char *var, double value)
{
	struct nv_ctx cx = {0, var, value};
	return nv_eval(t, i, 0, point, 0, &cx);
}

int mx_var_names(const struct mx_tree *t, int i, const char **names, int n,
		 int cap, int depth)
{
	const struct mx_node *nd;
	if (i < 0 || depth > MX_MAX_DEPTH * 4)
		return n;
	nd = &t->nodes[i];
	if (nd->kind == MX_VAR) {
		for (int k = 0; k < n; k++)
			if (!strcmp(names[k], nd->name))
				return n;
		if (n < cap)
			names[n++] = nd->name;
		return n;
	}
	if (nd->kind == MX_LIST || nd->kind == MX_UNION ||
	    nd->kind == MX_MATRIX) {
		for (int j = 0; j < nd->count; j++)
			n = mx_var_names(t, t->kids[nd->first + j], names, n,
					 cap, depth + 1);
		return n;
	}
	n = mx_var_names(t, nd->a, names, n, cap, depth + 1);
	return mx_var_names(t, nd->b, names, n, cap, depth + 1);
}
