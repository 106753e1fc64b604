/* Unit tests for lib/replay/grpo.c (the GRPO objective: advantages, clipped
 * ratio, k3 KL, loss and its gradient) and lib/replay/audit.c (recomputing a
 * logged batch; tampered batches must fail). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "referee/referee.h"
#include "replay/grpo.h"

static void test_advantages(void **state)
{
	double r[4] = {1, 0, 0, 1}, adv[4], m, s;
	(void)state;
	rf_grpo_group_advantages(r, 4, 0, 0, adv, &m, &s);
	assert_true(m == 0.5 && s == 0.5);
	assert_true(adv[0] == 1.0 && adv[1] == -1.0);
	/* sample std: divisor n-1 */
	rf_grpo_group_advantages(r, 4, 0, 1, adv, &m, &s);
	assert_true(fabs(s - sqrt(1.0 / 3.0)) < 1e-15);
	/* all equal: zero advantage, no division by zero */
	double e[3] = {0.7, 0.7, 0.7};
	rf_grpo_group_advantages(e, 3, 1e-4, 0, adv, &m, &s);
	assert_true(adv[0] == 0 && adv[1] == 0 && adv[2] == 0);
	/* one sample, sample std: std 0 */
	rf_grpo_group_advantages(e, 1, 1e-4, 1, adv, &m, &s);
	assert_true(s == 0 && adv[0] == 0);
}

/* A small random batch: 3 sequences of lengths 2, 4, 3. */
static void make_batch(float *lp, float *old, float *ref, double *adv,
		       size_t *start, int *len, unsigned seed)
{
	int L[3] = {2, 4, 3};
	size_t k = 0;
	srand(seed);
	for (int i = 0; i < 3; i++) {
		start[i] = k;
		len[i] = L[i];
		adv[i] = (i == 0 ? 1.3 : i == 1 ? -0.8 : 0.4);
		for (int t = 0; t < L[i]; t++, k++) {
			lp[k] = -0.1f - 2.0f * (float)rand() / (float)RAND_MAX;
			/* ratios in [0.6, 1.5], away from 0.8 and 1.2 */
			double r;
			do
				r = 0.6 + 0.9 * rand() / (double)RAND_MAX;
			while (fabs(r - 0.8) < 0.03 || fabs(r - 1.2) < 0.03);
			old[k] = (float)(lp[k] - log(r));
			ref[k] = lp[k] + 0.5f * ((float)rand() / (float)RAND_MAX - 0.5f);
		}
	}
}

static void check_gradient(int norm)
{
	float lp[9], old[9], ref[9], g[9];
	double adv[3];
	size_t start[3];
	int len[3];
	rf_grpo_params p = {0.2, 0.05, norm};
	rf_grpo_stats st;
	make_batch(lp, old, ref, adv, start, len, 7);
	assert_int_equal(rf_grpo_loss(&p, 3, start, len, adv, lp, old, ref, &st, g), 0);
	assert_int_equal(st.tokens, 9);
	for (int k = 0; k < 9; k++) {
		float save = lp[k], up, dn;
		rf_grpo_stats a, b;
		up = save + 1e-3f;
		dn = save - 1e-3f;
		lp[k] = up;
		rf_grpo_loss(&p, 3, start, len, adv, lp, old, ref, &a, NULL);
		lp[k] = dn;
		rf_grpo_loss(&p, 3, start, len, adv, lp, old, ref, &b, NULL);
		lp[k] = save;
		double fd = (a.loss - b.loss) / ((double)up - (double)dn);
		if (fabs(fd - g[k]) > 1e-5 * fmax(1.0, fabs(fd)))
			fail_msg("token %d: analytic %.9g, finite difference %.9g",
				 k, (double)g[k], fd);
	}
}

static void test_gradient_sequence(void **state)
{
	(void)state;
	check_gradient(RF_GRPO_NORM_SEQUENCE);
}

static void test_gradient_token(void **state)
{
	(void)state;
	check_gradient(RF_GRPO_NORM_TOKEN);
}

static void test_clip_and_kl(void **state)
{
	/* one token per sequence: ratio 1.5 with A = +1 (clipped), ratio
	 * 1.5 with A = -1 (not clipped), ratio 0.5 with A = -1 (clipped) */
	float lp[3] = {-1, -1, -1}, old[3], ref[3] = {-1.25f, -1, -0.5f}, g[3];
	double adv[3] = {1, -1, -1};
	size_t start[3] = {0, 1, 2};
	int len[3] = {1, 1, 1};
	rf_grpo_params p = {0.2, 0.1, RF_GRPO_NORM_SEQUENCE};
	rf_grpo_stats st;
	(void)state;
	old[0] = old[1] = (float)(-1 - log(1.5));
	old[2] = (float)(-1 - log(0.5));
	assert_int_equal(rf_grpo_loss(&p, 3, start, len, adv, lp, old, ref, &st, g), 0);
	double r0 = exp((double)lp[0] - old[0]), r2 = exp((double)lp[2] - old[2]);
	double k0 = exp(-0.25) + 0.25 - 1, k2 = exp(0.5) - 0.5 - 1;
	/* surrogates: min(1.5, 1.2) = 1.2; min(-1.5, -1.2) = -1.5;
	 * min(-0.5, -0.8) = -0.8 */
	double want = (-(1.2) + 0.1 * k0 - (-r0) + 0 - (-0.8) + 0.1 * k2) / 3;
	assert_true(fabs(st.loss - want) < 1e-6);
	assert_true(fabs(st.clip_frac - 2.0 / 3.0) < 1e-12);
	assert_true(fabs(st.kl - (k0 + k2) / 3) < 1e-7);
	/* gradient: clipped tokens only carry the KL term */
	assert_true(fabs(g[0] - (-(-0.1 * (1 - exp(-0.25)))) / 3) < 1e-6);
	assert_true(fabs(g[1] - (-(r0 * -1)) / 3) < 1e-6);
	(void)r2;
	/* no reference: kl is NaN, no KL term */
	assert_int_equal(rf_grpo_loss(&p, 3, start, len, adv, lp, old, NULL, &st, NULL), 0);
	assert_true(isnan(st.kl));
}

static void test_normalisations_differ(void **state)
{
	/* seq 0: 1 token with loss -1; seq 1: 3 tokens with loss 0 (A = 0) */
	float lp[4] = {-1, -1, -1, -1};
	double adv[2] = {1, 0};
	size_t start[2] = {0, 1};
	int len[2] = {1, 3};
	rf_grpo_params p = {0.2, 0, RF_GRPO_NORM_SEQUENCE};
	rf_grpo_stats st;
	(void)state;
	rf_grpo_loss(&p, 2, start, len, adv, lp, NULL, NULL, &st, NULL);
	assert_true(fabs(st.loss - (-0.5)) < 1e-15);
	p.norm = RF_GRPO_NORM_TOKEN;
	rf_grpo_loss(&p, 2, start, len, adv, lp, NULL, NULL, &st, NULL);
	assert_true(fabs(st.loss - (-0.25)) < 1e-15);
	assert_true(st.ratio_mean == 1.0 && st.clip_frac == 0);
}

/* ---- audit ---- */

static const char good_batch[] =
	"{\"grpo_batch\":1,\"clip_eps\":0.2,\"beta\":0.1,\"adv_eps\":0,"
	"\"adv_std\":\"population\",\"loss_norm\":\"sequence\"}\n"
	"{\"group\":0,\"reward\":1,\"advantage\":1,\"logp\":[-1],"
	"\"old_logp\":[-1.4054651],\"ref_logp\":[-1.25],\"ratio\":[1.5]}\n"
	"{\"group\":0,\"reward\":0,\"advantage\":-1,\"logp\":[-1],"
	"\"old_logp\":[-1.4054651],\"ref_logp\":[-1]}\n"
	"{\"group\":\"b\",\"reward\":0.5,\"advantage\":0,\"logp\":[-2,-3],"
	"\"old_logp\":[-2,-3],\"ref_logp\":[-2,-3]}\n"
	"{\"stats\":{\"reward_mean\":0.5,\"clip_frac\":0.333333333,"
	"\"tokens\":4,\"grad_norm\":3.2}}\n";

static char *replace(const char *s, const char *from, const char *to)
{
	const char *p = strstr(s, from);
	size_t n = strlen(s) - strlen(from) + strlen(to) + 1;
	char *o = malloc(n);
	assert_non_null(p);
	memcpy(o, s, (size_t)(p - s));
	strcpy(o + (p - s), to);
	strcat(o, p + strlen(from));
	return o;
}

static size_t audit_failures(const char *text, int expect_rc)
{
	rf_grpo_audit *a = NULL;
	int rc = rf_grpo_audit_parse(&a, text, strlen(text), "batch.jsonl", 1e-6);
	assert_int_equal(rc, expect_rc);
	size_t f = rf_grpo_audit_failures(a);
	rf_grpo_audit_free(a);
	return f;
}

static void test_audit(void **state)
{
	rf_grpo_audit *a = NULL;
	char *t;
	(void)state;
	if (rf_grpo_audit_parse(&a, good_batch, strlen(good_batch), "b", 1e-6))
		fail_msg("%s", rf_error_last());
	assert_int_equal(rf_grpo_audit_samples(a), 3);
	assert_int_equal(rf_grpo_audit_groups(a), 2);
	assert_int_equal(rf_grpo_audit_tokens(a), 4);
	/* 3 advantages + 1 ratio + reward_mean + clip_frac + tokens */
	assert_int_equal(rf_grpo_audit_count(a), 7);
	for (size_t i = 0; i < rf_grpo_audit_count(a); i++)
		if (!rf_grpo_audit_item_at(a, i)->ok)
			fail_msg("%s: %.9g vs %.9g", rf_grpo_audit_item_at(a, i)->what,
				 rf_grpo_audit_item_at(a, i)->logged,
				 rf_grpo_audit_item_at(a, i)->recomputed);
	rf_grpo_audit_free(a);

	/* tampered figures are caught */
	t = replace(good_batch, "\"advantage\":-1", "\"advantage\":-0.9");
	assert_int_equal(audit_failures(t, 0), 1);
	free(t);
	t = replace(good_batch, "\"reward_mean\":0.5", "\"reward_mean\":0.55");
	assert_int_equal(audit_failures(t, 0), 1);
	free(t);
	t = replace(good_batch, "\"clip_frac\":0.333333333", "\"clip_frac\":0");
	assert_int_equal(audit_failures(t, 0), 1);
	free(t);
	t = replace(good_batch, "\"ratio\":[1.5]", "\"ratio\":[1.2]");
	assert_int_equal(audit_failures(t, 0), 1);
	free(t);
	/* a changed reward moves every advantage of its group (to 0 here),
	 * the mean reward, and so the clip fraction */
	t = replace(good_batch, "\"reward\":0,", "\"reward\":1,");
	assert_int_equal(audit_failures(t, 0), 4);
	free(t);

	/* malformed batches are errors, not verdicts */
	t = replace(good_batch, "\"grpo_batch\":1,", "");
	audit_failures(t, RF_EFORMAT);
	free(t);
	t = replace(good_batch, "\"ref_logp\":[-2,-3]", "\"ref_logp\":[-2]");
	audit_failures(t, RF_EFORMAT);
	free(t);
	t = replace(good_batch, "\"grad_norm\"", "\"gradnorm\"");
	audit_failures(t, RF_EFORMAT);
	free(t);
	t = replace(good_batch, "\"logp\":[-2,-3]", "\"logp\":[-2,\"x\"]");
	audit_failures(t, RF_EFORMAT);
	free(t);
	t = replace(good_batch, ",\"old_logp\":[-2,-3]", "");
	audit_failures(t, RF_EFORMAT); /* old for some samples only */
	free(t);
	t = replace(good_batch, ",\"ref_logp\":[-1]}", "}");
	audit_failures(t, RF_EFORMAT); /* beta > 0 needs ref for all */
	free(t);
	audit_failures("{\"grpo_batch\":1}\n{nope\n", RF_EFORMAT);
}

static void test_audit_loss(void **state)
{
	/* the loss logged from rf_grpo_loss passes; one off by 1e-4 fails */
	char buf[2048];
	float lp[9], old[9], ref[9];
	double adv[3];
	size_t start[3];
	int len[3];
	rf_grpo_params p = {0.2, 0.05, RF_GRPO_NORM_SEQUENCE};
	rf_grpo_stats st;
	(void)state;
	make_batch(lp, old, ref, adv, start, len, 11);
	/* advantages must follow from the rewards: rewards r with adv_eps 0
	 * give (r - mean) / std; use the rewards 1, 0, 0.5 in 3 groups of 1
	 * instead, whose advantages are 0 */
	adv[0] = adv[1] = adv[2] = 0;
	rf_grpo_loss(&p, 3, start, len, adv, lp, old, ref, &st, NULL);
	for (int tamper = 0; tamper < 2; tamper++) {
		size_t n = 0;
		n += (size_t)snprintf(buf + n, sizeof buf - n,
			"{\"grpo_batch\":1,\"clip_eps\":0.2,\"beta\":0.05}\n");
		for (int i = 0; i < 3; i++) {
			n += (size_t)snprintf(buf + n, sizeof buf - n,
					      "{\"group\":%d,\"reward\":%d,\"logp\":[", i, i);
			for (int t = 0; t < len[i]; t++)
				n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%.9g",
						      t ? "," : "", (double)lp[start[i] + t]);
			n += (size_t)snprintf(buf + n, sizeof buf - n, "],\"old_logp\":[");
			for (int t = 0; t < len[i]; t++)
				n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%.9g",
						      t ? "," : "", (double)old[start[i] + t]);
			n += (size_t)snprintf(buf + n, sizeof buf - n, "],\"ref_logp\":[");
			for (int t = 0; t < len[i]; t++)
				n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%.9g",
						      t ? "," : "", (double)ref[start[i] + t]);
			n += (size_t)snprintf(buf + n, sizeof buf - n, "]}\n");
		}
		snprintf(buf + n, sizeof buf - n,
			 "{\"stats\":{\"loss\":%.17g,\"kl\":%.17g,\"ratio_mean\":%.17g}}\n",
			 st.loss + (tamper ? 1e-4 : 0), st.kl, st.ratio_mean);
		assert_int_equal(audit_failures(buf, 0), (size_t)tamper);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_advantages),
		cmocka_unit_test(test_gradient_sequence),
		cmocka_unit_test(test_gradient_token),
		cmocka_unit_test(test_clip_and_kl),
		cmocka_unit_test(test_normalisations_differ),
		cmocka_unit_test(test_audit),
		cmocka_unit_test(test_audit_loss),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
