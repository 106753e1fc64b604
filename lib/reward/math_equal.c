/* The answer language of the `math` reward, part 3 of 3: deciding whether
 * two parsed answers are equivalent (scalars, tuples, sets, intervals,
 * equations, \pm, matrices).  Equality is claimed only from exact
 * arithmetic, from numeric agreement at every point, or from identical
 * text; never from an overflow. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "reward/math_expr.h"

/* --------------------------------------------------------------- compare */

struct cmp {
	rf_bigctx big;
	int pct; /* 1: divide A's scalars by 100; 2: B's */
	int undecided;
	int numeric;
	int exact;
};

/* Relative agreement; the absolute slack is only for rounding left by
 * cancelling terms, so it scales with the largest operand that was added
 * or subtracted (`mag`, from mx_num_eval()).  A fixed absolute floor
 * would call 1.3e-26 and 1.3e-27 equal. */
static int close_enough(double a, double b, double mag)
{
	double d = fabs(a - b), m = fmax(fabs(a), fabs(b));
	return d <= 1e-9 * m || d <= 1e-12 * mag;
}

/* One scalar value of A (under ± mask ma) against one of B. 1 equal, 0 not. */
static int scalar_eq(struct cmp *c, const struct mx_tree *A, int a, unsigned ma,
		     const struct mx_tree *B, int b, unsigned mb)
{
	rf_rat x, y, hundred;
	int sa, sb, r = 0;
	rf_rat_init(&x);
	rf_rat_init(&y);
	rf_rat_init(&hundred);
	sa = mx_exact_eval(A, a, ma, &c->big, &x, 0);
	sb = mx_exact_eval(B, b, mb, &c->big, &y, 0);
	if (sa == MX_EX_NONSCALAR || sb == MX_EX_NONSCALAR || sa == MX_EX_UNDEF ||
	    sb == MX_EX_UNDEF)
		goto out;
	if (!sa && !sb) {
		if (c->pct) {
			rf_rat_set_i64(&c->big, &hundred, 100, 1);
			if (rf_rat_div(&c->big, c->pct == 1 ? &x : &y,
				       c->pct == 1 ? &x : &y, &hundred)) {
				c->undecided = 1;
				goto out;
			}
		}
		r = rf_rat_eq(&c->big, &x, &y);
		if (r < 0) {
			c->undecided = 1;
			r = 0;
		} else if (r) {
			c->exact = 1;
		}
		goto out;
	}
	if (sa == MX_EX_OVF || sb == MX_EX_OVF) {
		/* exact arithmetic gave up: doubles cannot tell 2^{200} from
		 * 2^{200}+1, so no equality is claimed from here */
		c->undecided = 1;
		goto out;
	}
	{
		int valid = 0, inf_ok = mx_has_kind(A, a, MX_INF, 0) &&
					mx_has_kind(B, b, MX_INF, 0);
		for (int pt = 0; pt < MX_NPOINTS; pt++) {
			double maga, magb;
			double va = mx_num_eval(A, a, ma, pt, &maga),
			       vb = mx_num_eval(B, b, mb, pt, &magb);
			if (c->pct == 1)
				va /= 100;
			else if (c->pct == 2)
				vb /= 100;
			if (isinf(va) && isinf(vb) && inf_ok) {
				if ((va > 0) != (vb > 0))
					goto out;
				valid++;
				continue;
			}
			if (!isfinite(va) || !isfinite(vb) ||
			    fabs(va) > 1e300 || fabs(vb) > 1e300)
				continue;
			if (!close_enough(va, vb, fmax(maga, magb)))
				goto out;
			valid++;
		}
		if (valid >= 3) {
			r = 1;
			c->numeric = 1;
		} else {
			c->undecided = 1;
		}
	}
out:
	rf_rat_free(&x);
	rf_rat_free(&y);
	rf_rat_free(&hundred);
	return r;
}

/* A scalar with ± stands for the set of its values. */
static int scalar_set_eq(struct cmp *c, const struct mx_tree *A, int a,
			 const struct mx_tree *B, int b)
{
	unsigned pa = mx_pm_bits(A, a, 0), pb = mx_pm_bits(B, b, 0);
	if (!pa && !pb)
		return scalar_eq(c, A, a, 0, B, b, 0);
	/* every value of one must be some value of the other, both ways */
	for (unsigned ma = 0; ma <= pa; ma++) {
		if ((ma & ~pa) != 0)
			continue;
		int found = 0;
		for (unsigned mb = 0; mb <= pb && !found; mb++)
			if ((mb & ~pb) == 0 && scalar_eq(c, A, a, ma, B, b, mb))
				found = 1;
		if (!found)
			return 0;
	}
	for (unsigned mb = 0; mb <= pb; mb++) {
		if ((mb & ~pb) != 0)
			continue;
		int found = 0;
		for (unsigned ma = 0; ma <= pa && !found; ma++)
			if ((ma & ~pa) == 0 && scalar_eq(c, A, a, ma, B, b, mb))
				found = 1;
		if (!found)
			return 0;
	}
	return 1;
}

static int node_eq(struct cmp *c, const struct mx_tree *A, int a,
		   const struct mx_tree *B, int b, int depth);

static int is_simple_eq(const struct mx_tree *t, int i)
{
	return i >= 0 && t->nodes[i].kind == MX_EQ &&
	       t->nodes[t->nodes[i].a].kind == MX_VAR;
}

/* A left side that names a quantity rather than stating a condition:
 * letters multiplied (QM, BC^2), a function applied (p(s), y(t), which
 * parse as products), an unknown function at a value (f(2)). */
static int names_quantity(const struct mx_tree *t, int i, int depth)
{
	const struct mx_node *nd;
	if (i < 0 || depth > 8)
		return 0;
	nd = &t->nodes[i];
	switch (nd->kind) {
	case MX_VAR:
	case MX_UFUNC:
		return 1;
	case MX_MUL:
		return names_quantity(t, nd->a, depth + 1) &&
		       names_quantity(t, nd->b, depth + 1);
	case MX_POW:
		return names_quantity(t, nd->a, depth + 1) &&
		       t->nodes[nd->b].kind == MX_NUM;
	default:
		return 0;
	}
}

/* The first letter's name of a quantity's name (p of p(s), Q of QM). */
static const char *lead_name(const struct mx_tree *t, int i)
{
	while (i >= 0 && t->nodes[i].kind != MX_VAR &&
	       t->nodes[i].kind != MX_UFUNC)
		i = t->nodes[i].a;
	return i >= 0 ? t->nodes[i].name : "";
}

static int scalar_eq(struct cmp *c, const struct mx_tree *A, int a, unsigned ma,
		     const struct mx_tree *B, int b, unsigned mb);

/* The value an equation gives as the answer, or -1: the right side when
 * the left one names a quantity (y(t) = ..., QM = 30) or when the
 * equation is a chain of equal members (\frac{2F_k}{F_k} = 2, a = b = 3):
 * then the last member is the answer.  An equation that states a
 * condition (x^2 - 4 = 0) gives none. */
static int eq_answer(const struct mx_tree *t, int i)
{
	const struct mx_node *nd;
	if (i < 0 || t->nodes[i].kind != MX_EQ)
		return -1;
	nd = &t->nodes[i];
	if (t->nodes[nd->a].kind == MX_EQ || names_quantity(t, nd->a, 0))
		return nd->b;
	if (mx_has_kind(t, nd->a, MX_LIST, 0) || mx_has_kind(t, nd->b, MX_LIST, 0))
		return -1;
	{
		struct cmp c;
		memset(&c, 0, sizeof c);
		c.big.budget = 1000 * 1000;
		if (scalar_eq(&c, t, nd->a, 0, t, nd->b, 0))
			return nd->b;
	}
	return -1;
}

static int unordered_eq(struct cmp *c, const struct mx_tree *A, const int *ak,
			int an, const struct mx_tree *B, const int *bk, int bn,
			int depth)
{
	unsigned char used[256];
	if (an != bn || an > 256)
		return 0;
	memset(used, 0, sizeof used);
	for (int i = 0; i < an; i++) {
		int found = 0;
		for (int j = 0; j < bn && !found; j++)
			if (!used[j] && node_eq(c, A, ak[i], B, bk[j], depth)) {
				used[j] = 1;
				found = 1;
			}
		if (!found)
			return 0;
	}
	return 1;
}

static int is_scalar_kind(int k)
{
	return k != MX_LIST && k != MX_UNION && k != MX_MATRIX && k != MX_EQ &&
	       k != MX_REL;
}

static int mirror(int op)
{
	switch (op) {
	case '<':
		return '>';
	case '>':
		return '<';
	case 'l':
		return 'g';
	case 'g':
		return 'l';
	default:
		return op;
	}
}

/* l - r of an equation at `point`, variable `v` set to `val`. */
static double eq_diff(const struct mx_tree *t, const struct mx_node *e,
		      int point, const char *v, double val)
{
	return mx_num_eval_at(t, e->a, point, v, val) -
	       mx_num_eval_at(t, e->b, point, v, val);
}

/* The solution for v of an equation linear in v at `point` (its slope is
 * not zero and its value is affine in v there), or NAN. */
static double linear_root(const struct mx_tree *t, const struct mx_node *e,
			  int point, const char *v)
{
	double f0 = eq_diff(t, e, point, v, 0.5), f1 = eq_diff(t, e, point, v, 1.5),
	       f2 = eq_diff(t, e, point, v, 2.5);
	double s1 = f1 - f0, s2 = f2 - f1;
	if (!isfinite(f0) || !isfinite(f1) || !isfinite(f2) ||
	    fabs(s1) <= 1e-9 * (fabs(f0) + fabs(f1)) ||
	    !close_enough(s1, s2, fmax(fabs(f0), fmax(fabs(f1), fabs(f2)))))
		return NAN;
	return 0.5 - f0 / s1;
}

/* An equation rearranged (I\dot\omega + 2B\omega = T against \dot\omega =
 * T/I - 2B\omega/I): both are linear in some variable with a slope that
 * is never zero at the points, and give it the same value at every point.
 * Then each says v = s(the others), the same s. */
static int linear_solution_eq(struct cmp *c, const struct mx_tree *A,
			      const struct mx_node *x, const struct mx_tree *B,
			      const struct mx_node *y)
{
	const char *va[16], *vb[16];
	int na = mx_var_names(A, x->a, va, 0, 16, 0);
	na = mx_var_names(A, x->b, va, na, 16, 0);
	int nb = mx_var_names(B, y->a, vb, 0, 16, 0);
	nb = mx_var_names(B, y->b, vb, nb, 16, 0);
	for (int i = 0; i < na; i++) {
		int shared = 0, ok = 1;
		for (int j = 0; j < nb && !shared; j++)
			shared = !strcmp(va[i], vb[j]);
		if (!shared)
			continue;
		for (int pt = 0; pt < MX_NPOINTS && ok; pt++) {
			double ra = linear_root(A, x, pt, va[i]),
			       rb = linear_root(B, y, pt, va[i]);
			ok = isfinite(ra) && isfinite(rb) &&
			     close_enough(ra, rb, 0);
		}
		if (ok) {
			c->numeric = 1;
			return 1;
		}
	}
	return 0;
}

/* Equations l1 = r1 and l2 = r2 are the same when l1 - r1 is a non-zero
 * constant multiple of l2 - r2 at every point. */
static int equation_eq(struct cmp *c, const struct mx_tree *A,
		       const struct mx_node *x, const struct mx_tree *B,
		       const struct mx_node *y)
{
	double ratio = 0;
	int valid = 0;
	if (mx_pm_bits(A, x->a, 0) || mx_pm_bits(A, x->b, 0) || mx_pm_bits(B, y->a, 0) ||
	    mx_pm_bits(B, y->b, 0))
		return 0;
	for (int pt = 0; pt < MX_NPOINTS; pt++) {
		double m1, m2, m3, m4;
		double la = mx_num_eval(A, x->a, 0, pt, &m1),
		       ra = mx_num_eval(A, x->b, 0, pt, &m2),
		       lb = mx_num_eval(B, y->a, 0, pt, &m3),
		       rb = mx_num_eval(B, y->b, 0, pt, &m4);
		double da = la - ra, db = lb - rb;
		/* each side's difference is zero up to the scale of its terms */
		double za = 1e-12 * fmax(fmax(fabs(la), fabs(ra)), fmax(m1, m2)),
		       zb = 1e-12 * fmax(fmax(fabs(lb), fabs(rb)), fmax(m3, m4));
		if (!isfinite(da) || !isfinite(db))
			continue;
		if (fabs(da) <= za && fabs(db) <= zb) {
			valid++;
			continue;
		}
		if (fabs(da) <= za || fabs(db) <= zb)
			goto rearranged;
		if (!ratio)
			ratio = da / db;
		else if (!close_enough(ratio, da / db, 0))
			goto rearranged;
		valid++;
	}
	if (valid >= 3 && ratio != 0) {
		c->numeric = 1;
		return 1;
	}
rearranged:
	return linear_solution_eq(c, A, x, B, y);
}

/* 1\pm\sqrt{2} against the list 1+\sqrt{2}, 1-\sqrt{2}: the values of the
 * ± expression and the list's items must match both ways. */
static int pm_vs_list(struct cmp *c, const struct mx_tree *S, int s,
		      const struct mx_tree *L, const struct mx_node *l,
		      int s_is_a)
{
	unsigned pb = mx_pm_bits(S, s, 0);
	const int *k = L->kids + l->first;
	for (unsigned m = 0; m <= pb; m++) {
		int found = 0;
		if (m & ~pb)
			continue;
		for (int j = 0; j < l->count && !found; j++)
			found = s_is_a ? scalar_eq(c, S, s, m, L, k[j], 0)
				       : scalar_eq(c, L, k[j], 0, S, s, m);
		if (!found)
			return 0;
	}
	for (int j = 0; j < l->count; j++) {
		int found = 0;
		for (unsigned m = 0; m <= pb && !found; m++)
			if (!(m & ~pb))
				found = s_is_a
					    ? scalar_eq(c, S, s, m, L, k[j], 0)
					    : scalar_eq(c, L, k[j], 0, S, s, m);
		if (!found)
			return 0;
	}
	return 1;
}

static int list_has_pm(const struct mx_tree *t, const struct mx_node *l)
{
	for (int i = 0; i < l->count; i++)
		if (mx_pm_bits(t, t->kids[l->first + i], 0))
			return 1;
	return 0;
}

/* The values of a set's items, each \pm item standing for its values
 * ("\pm 1, \pm 7" is -7, -1, 1, 7): 0 when an item is not a scalar. */
struct val {
	int node;
	unsigned mask;
};

static int expand_items(const struct mx_tree *t, const struct mx_node *l,
			struct val *v, int cap)
{
	int n = 0;
	for (int i = 0; i < l->count; i++) {
		int k = t->kids[l->first + i];
		unsigned bits = mx_pm_bits(t, k, 0);
		if (!is_scalar_kind(t->nodes[k].kind))
			return 0;
		for (unsigned m = 0; m <= bits; m++) {
			if (m & ~bits)
				continue;
			if (n == cap)
				return 0;
			v[n].node = k;
			v[n++].mask = m;
		}
	}
	return n;
}

static int pm_lists_eq(struct cmp *c, const struct mx_tree *A,
		       const struct mx_node *x, const struct mx_tree *B,
		       const struct mx_node *y)
{
	struct val va[64], vb[64];
	int na = expand_items(A, x, va, 64), nb = expand_items(B, y, vb, 64);
	if (!na || !nb)
		return 0;
	for (int i = 0; i < na; i++) {
		int found = 0;
		for (int j = 0; j < nb && !found; j++)
			found = scalar_eq(c, A, va[i].node, va[i].mask, B,
					  vb[j].node, vb[j].mask);
		if (!found)
			return 0;
	}
	for (int j = 0; j < nb; j++) {
		int found = 0;
		for (int i = 0; i < na && !found; i++)
			found = scalar_eq(c, A, va[i].node, va[i].mask, B,
					  vb[j].node, vb[j].mask);
		if (!found)
			return 0;
	}
	return 1;
}

static int node_eq(struct cmp *c, const struct mx_tree *A, int a,
		   const struct mx_tree *B, int b, int depth)
{
	const struct mx_node *x, *y;
	if (a < 0 || b < 0 || depth > MX_MAX_DEPTH)
		return 0;
	/* x = 3 against 3: the left side names the unknown; when both sides
	 * name one, the names must agree */
	if (is_simple_eq(A, a) && is_simple_eq(B, b)) {
		/* y = 2x+1 against x = (y-1)/2: the same equation solved for
		 * another unknown */
		if (strcmp(A->nodes[A->nodes[a].a].name,
			   B->nodes[B->nodes[b].a].name))
			return !mx_pm_bits(A, a, 0) && !mx_pm_bits(B, b, 0) &&
			       !mx_has_kind(A, a, MX_LIST, 0) &&
			       !mx_has_kind(B, b, MX_LIST, 0) &&
			       linear_solution_eq(c, A, &A->nodes[a], B,
						  &B->nodes[b]);
		return node_eq(c, A, A->nodes[a].b, B, B->nodes[b].b,
			       depth + 1);
	}
	if (is_simple_eq(A, a) && B->nodes[b].kind != MX_EQ)
		return node_eq(c, A, A->nodes[a].b, B, b, depth + 1);
	if (is_simple_eq(B, b) && A->nodes[a].kind != MX_EQ)
		return node_eq(c, A, a, B, B->nodes[b].b, depth + 1);
	/* p(s) = s^2+1 against s^2+1; y(t) = ... against y = ... */
	{
		int ea = eq_answer(A, a), eb = eq_answer(B, b);
		if (ea >= 0 && B->nodes[b].kind != MX_EQ)
			return node_eq(c, A, ea, B, b, depth + 1);
		if (eb >= 0 && A->nodes[a].kind != MX_EQ)
			return node_eq(c, A, a, B, eb, depth + 1);
		if (ea >= 0 && eb >= 0 &&
		    names_quantity(A, A->nodes[a].a, 0) &&
		    names_quantity(B, B->nodes[b].a, 0) &&
		    !strcmp(lead_name(A, A->nodes[a].a),
			    lead_name(B, B->nodes[b].a)) &&
		    node_eq(c, A, ea, B, eb, depth + 1))
			return 1;
	}
	x = &A->nodes[a];
	y = &B->nodes[b];
	if (is_scalar_kind(x->kind) && y->kind == MX_LIST &&
	    (y->open == 0 || y->open == '{') && mx_pm_bits(A, a, 0))
		return pm_vs_list(c, A, a, B, y, 1);
	if (is_scalar_kind(y->kind) && x->kind == MX_LIST &&
	    (x->open == 0 || x->open == '{') && mx_pm_bits(B, b, 0))
		return pm_vs_list(c, B, b, A, x, 0);
	if (x->kind == MX_LIST && y->kind == MX_LIST) {
		int xo = x->open == 0 || x->open == '{',
		    yo = y->open == 0 || y->open == '{';
		const int *xk = A->kids + x->first, *yk = B->kids + y->first;
		if (xo && yo && (list_has_pm(A, x) || list_has_pm(B, y)))
			return pm_lists_eq(c, A, x, B, y);
		if (x->count != y->count)
			return 0;
		if (xo && yo)
			return unordered_eq(c, A, xk, x->count, B, yk, y->count,
					    depth + 1);
		/* a bare list against a tuple reads as the tuple; brackets of
		 * intervals must match exactly */
		if (xo != yo) {
			const struct mx_node *br = xo ? y : x;
			if ((xo ? x->open : y->open) == '{' ||
			    br->open != '(' || br->close != ')')
				return 0;
		} else if (x->open != y->open || x->close != y->close) {
			return 0;
		}
		for (int i = 0; i < x->count; i++)
			if (!node_eq(c, A, xk[i], B, yk[i], depth + 1))
				return 0;
		return 1;
	}
	if (x->kind == MX_UNION && y->kind == MX_UNION)
		return unordered_eq(c, A, A->kids + x->first, x->count, B,
				    B->kids + y->first, y->count, depth + 1);
	if (x->kind == MX_MATRIX && y->kind == MX_MATRIX) {
		if (x->rows != y->rows || x->cols != y->cols ||
		    x->count != y->count)
			return 0;
		for (int i = 0; i < x->count; i++)
			if (!node_eq(c, A, A->kids[x->first + i], B,
				     B->kids[y->first + i], depth + 1))
				return 0;
		return 1;
	}
	if (x->kind == MX_EQ && y->kind == MX_EQ) {
		if (node_eq(c, A, x->a, B, y->a, depth + 1) &&
		    node_eq(c, A, x->b, B, y->b, depth + 1))
			return 1;
		if (node_eq(c, A, x->a, B, y->b, depth + 1) &&
		    node_eq(c, A, x->b, B, y->a, depth + 1))
			return 1;
		return equation_eq(c, A, x, B, y);
	}
	if (x->kind == MX_REL && y->kind == MX_REL) {
		if (x->op == y->op && node_eq(c, A, x->a, B, y->a, depth + 1) &&
		    node_eq(c, A, x->b, B, y->b, depth + 1))
			return 1;
		return x->op == mirror(y->op) &&
		       node_eq(c, A, x->a, B, y->b, depth + 1) &&
		       node_eq(c, A, x->b, B, y->a, depth + 1);
	}
	if (is_scalar_kind(x->kind) && is_scalar_kind(y->kind))
		return scalar_set_eq(c, A, a, B, b);
	return 0;
}

int mx_equal(const struct mx_tree *A, const struct mx_tree *B, int pct_a,
	     int pct_b, char *why, size_t whylen)
{
	struct cmp c;
	int r;
	memset(&c, 0, sizeof c);
	c.big.budget = 20 * 1000 * 1000;
	if (A->root < 0 || B->root < 0) {
		snprintf(why, whylen, "unparsed");
		return MX_NOT_EQUAL;
	}
	r = node_eq(&c, A, A->root, B, B->root, 0);
	if (!r && pct_a != pct_b) {
		/* 25\% against 0.25: the percent sign may mean "divide by 100"
		 */
		struct cmp c2;
		memset(&c2, 0, sizeof c2);
		c2.big.budget = 20 * 1000 * 1000;
		c2.pct = pct_a ? 1 : 2;
		if (node_eq(&c2, A, A->root, B, B->root, 0)) {
			snprintf(why, whylen, "equal as a percentage (%s)",
				 c2.numeric ? "numeric" : "exact");
			return c2.numeric ? MX_EQUAL_NUMERIC : MX_EQUAL_EXACT;
		}
	}
	if (r) {
		if (c.numeric) {
			snprintf(why, whylen, "equal (numeric at %d points)",
				 MX_NPOINTS);
			return MX_EQUAL_NUMERIC;
		}
		snprintf(why, whylen, "equal (exact)");
		return MX_EQUAL_EXACT;
	}
	if (c.undecided) {
		snprintf(why, whylen,
			 "not equal: too large to compare exactly");
		return MX_UNDECIDED;
	}
	snprintf(why, whylen, "not equal");
	return MX_NOT_EQUAL;
}
