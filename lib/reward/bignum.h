/* referee — bounded big integers and rationals for exact answer comparison
 * (internal to lib/reward).  Every operation draws on a work budget and a
 * size cap, so a hostile answer (2^{10^{10}}, 5000!) ends in "overflow"
 * instead of eating time or memory; overflow never means "equal". */
#ifndef REFEREE_REWARD_BIGNUM_H
#define REFEREE_REWARD_BIGNUM_H

#include <stddef.h>
#include <stdint.h>

/* At most this many 32-bit limbs (65,536 bits, ~19,700 decimal digits). */
#define RF_BIG_MAX_LIMBS 2048

/* Shared by every operation of one comparison. */
typedef struct rf_bigctx {
	long long budget; /* limb operations left */
	int overflow;     /* set when a cap or the budget was hit */
	int nomem;
} rf_bigctx;

typedef struct rf_big {
	uint32_t *d; /* little-endian limbs; n == 0 means zero */
	int n, cap;
	int neg;
} rf_big;

/* A rational p/q with q > 0, not necessarily in lowest terms: equality is
 * decided by cross-multiplication, so no division is ever needed. */
typedef struct rf_rat {
	rf_big p, q;
} rf_rat;

void rf_big_init(rf_big *a);
void rf_big_free(rf_big *a);
int rf_big_set_u64(rf_bigctx *c, rf_big *a, uint64_t v);
int rf_big_copy(rf_bigctx *c, rf_big *dst, const rf_big *src);
int rf_big_add(rf_bigctx *c, rf_big *r, const rf_big *a, const rf_big *b);
int rf_big_sub(rf_bigctx *c, rf_big *r, const rf_big *a, const rf_big *b);
int rf_big_mul(rf_bigctx *c, rf_big *r, const rf_big *a, const rf_big *b);
int rf_big_mul_small(rf_bigctx *c, rf_big *a, uint32_t m, uint32_t add);
int rf_big_cmp(const rf_big *a, const rf_big *b);
int rf_big_is_zero(const rf_big *a);
size_t rf_big_bits(const rf_big *a);
/* The value as a double (may be inf); *exp2 receives nothing. */
double rf_big_to_double(const rf_big *a, long *exp2);
/* 1 and the value in *out when |a| fits in 63 bits. */
int rf_big_to_i64(const rf_big *a, int64_t *out);

void rf_rat_init(rf_rat *r);
void rf_rat_free(rf_rat *r);
int rf_rat_set_i64(rf_bigctx *c, rf_rat *r, int64_t p, int64_t q);
int rf_rat_copy(rf_bigctx *c, rf_rat *dst, const rf_rat *src);
int rf_rat_add(rf_bigctx *c, rf_rat *r, const rf_rat *a, const rf_rat *b);
int rf_rat_sub(rf_bigctx *c, rf_rat *r, const rf_rat *a, const rf_rat *b);
int rf_rat_mul(rf_bigctx *c, rf_rat *r, const rf_rat *a, const rf_rat *b);
/* -2 on division by zero. */
int rf_rat_div(rf_bigctx *c, rf_rat *r, const rf_rat *a, const rf_rat *b);
int rf_rat_neg(rf_rat *r);
/* r = a^e for an integer e (negative allowed when a != 0). */
int rf_rat_pow(rf_bigctx *c, rf_rat *r, const rf_rat *a, int64_t e);
/* 1 when equal, 0 when not, negative on overflow. */
int rf_rat_eq(rf_bigctx *c, const rf_rat *a, const rf_rat *b);
int rf_rat_is_zero(const rf_rat *a);
/* 1 and the integer when the value is an integer fitting in 63 bits. */
int rf_rat_to_i64(rf_bigctx *c, const rf_rat *a, int64_t *out);
double rf_rat_to_double(const rf_rat *a);
/* Reduce to lowest terms when both parts fit in 63 bits (keeps numbers small
 * in long sums); otherwise leaves r as it is. */
void rf_rat_reduce_small(rf_bigctx *c, rf_rat *r);

#endif
