/* referee — the small LaTeX expression language of final answers (internal
 * to lib/reward): a bounded parser into a node arena, exact and numeric
 * evaluation, and the equivalence test behind the `math` reward. */
#ifndef REFEREE_REWARD_MATH_EXPR_H
#define REFEREE_REWARD_MATH_EXPR_H

#include <stddef.h>

#include "referee/buf.h"
#include "reward/bignum.h"

#define MX_MAX_NODES 2048
#define MX_MAX_DEPTH 96
#define MX_MAX_PM 3

enum mx_kind {
	MX_NUM, MX_VAR, MX_PI, MX_E, MX_INF,
	MX_ADD, MX_SUB, MX_MUL, MX_DIV, MX_POW, MX_NEG,
	MX_PM,   /* a ± b (a may be -1: unary ±b) */
	MX_FACT, MX_SQRT, MX_FUNC, MX_ABS, MX_BINOM,
	MX_UFUNC, /* f(2): an unknown function named `name` at a constant argument */
	MX_LIST, /* comma list: open/close are the brackets ('\0' for bare, '{' for a set) */
	MX_EQ, MX_REL, MX_UNION, MX_MATRIX
};

struct mx_node {
	int kind;
	int a, b;         /* children (-1 when absent) */
	int first, count; /* MX_LIST/MX_UNION/MX_MATRIX: kids[first..first+count) */
	int rows, cols;   /* MX_MATRIX */
	char open, close; /* MX_LIST brackets */
	int op;           /* MX_REL: '<', '>', 'l' (<=), 'g' (>=), 'n' (!=); MX_PM: index */
	char name[24];    /* MX_VAR, MX_FUNC */
	rf_rat num;       /* MX_NUM */
};

/* One parsed answer. */
struct mx_tree {
	struct mx_node *nodes;
	int n, cap;
	int *kids;
	int nk, kcap;
	int root;  /* -1 when parsing failed */
	int npm;   /* number of ± signs */
	char err[80];
};

/* ---- math_norm.c: one spelling for many ---- */

/* Normalise `len` bytes of answer LaTeX into `out` (initialised by the
 * call; the caller frees it), collecting the unit words it dropped into
 * `units` ("" when none; caller frees) and whether a percent sign was
 * seen.  0 or RF_ENOMEM. */
int mx_normalise(rf_buf *out, rf_buf *units, int *percent, const char *s,
		 size_t len);

/* ---- math_parse.c: LaTeX into a tree ---- */

/* Parse a normalised answer.  0 on success; -1 with tree->err set when the
 * text is not an expression this language knows (the caller then compares
 * as text). */
int mx_parse(struct mx_tree *t, const char *s, size_t len);
void mx_tree_free(struct mx_tree *t);

/* ---- math_eval.c: evaluation ---- */

/* Statuses of mx_exact_eval(), from best to worst. */
enum { MX_EX_OK = 0, MX_EX_IRR = 1, MX_EX_OVF = 2, MX_EX_UNDEF = 3,
       MX_EX_NONSCALAR = 4 };

/* Evaluate node i exactly under ± mask (bit j set: the j-th ± is minus).
 * MX_EX_OK with `out` set; MX_EX_IRR when the value is not rational (a
 * variable, \pi, \sqrt{2}); MX_EX_OVF past c's budget; MX_EX_UNDEF for
 * 1/0 and the like; MX_EX_NONSCALAR for lists, equations, matrices. */
int mx_exact_eval(const struct mx_tree *t, int i, unsigned mask, rf_bigctx *c,
		  rf_rat *out, int depth);

/* Points of the numeric comparison (the first six give variables positive
 * values, the rest negative ones). */
#define MX_NPOINTS 9

/* Node i as a double at `point` (variables get fixed pseudo-random values
 * that depend only on their name and the point); NAN where undefined.
 * `mag` (may be NULL) gets the largest operand added or subtracted on the
 * way: the scale of the rounding error when terms cancel. */
double mx_num_eval(const struct mx_tree *t, int i, unsigned mask, int point,
		   double *mag);

/* Node i as a double at `point` (no \pm), the variable `var` set to
 * `value` and every other as mx_num_eval() gives it. */
double mx_num_eval_at(const struct mx_tree *t, int i, int point,
		      const char *var, double value);

/* Append the distinct variable names of the subtree at i to names[n..cap)
 * (borrowed from the tree); returns the new count. */
int mx_var_names(const struct mx_tree *t, int i, const char **names, int n,
		 int cap, int depth);

/* 1 when the subtree at i holds a node of `kind`. */
int mx_has_kind(const struct mx_tree *t, int i, int kind, int depth);

/* The ± signs inside the subtree at i, as bit positions. */
unsigned mx_pm_bits(const struct mx_tree *t, int i, int depth);

/* ---- math_equal.c: equivalence ---- */

/* Verdicts of mx_equal. */
enum mx_verdict {
	MX_NOT_EQUAL = 0,
	MX_EQUAL_EXACT,
	MX_EQUAL_NUMERIC,
	MX_EQUAL_FORM,      /* identical after normalisation */
	MX_UNDECIDED        /* too large to compare exactly: counts as not equal */
};

/* Compare two parsed answers.  pct_a/pct_b say whether each had a percent
 * sign (then x% may also equal x/100).  Never claims equality from an
 * overflowed or non-finite evaluation.  `why` gets a short reason. */
int mx_equal(const struct mx_tree *A, const struct mx_tree *B, int pct_a,
	     int pct_b, char *why, size_t whylen);

#endif
