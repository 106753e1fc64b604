/* Unit tests for the replay's policy model (lib/replay/gpt.c, gpt_kernels.c,
 * philox.c, gpt_checkpoint.c): Philox known answers, gradients against
 * finite differences, thread-count determinism, KV-cache decoding, AdamW,
 * checkpoints, and the PyTorch cross-check (tests/py/gpt_reference.py). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "referee/referee.h"
#include "replay/gpt.h"
#include "replay/gpt_kernels.h"
#include "replay/philox.h"
#include "replay/safetensors.h"

/* A deterministic stream for test inputs (not the model's RNG). */
static uint32_t test_rand(uint32_t *s)
{
	*s = *s * 1664525u + 1013904223u;
	return *s >> 8;
}

static float test_uniform(uint32_t *s) /* [-1, 1) */
{
	return (float)test_rand(s) / 8388608.0f - 1.0f;
}

static rf_gpt *new_model(const rf_gpt_config *cfg, uint64_t seed, float scale)
{
	rf_gpt *m;
	assert_int_equal(rf_gpt_new(&m, cfg), 0);
	assert_int_equal(rf_gpt_init(m, seed), 0);
	/* Init weights are N(0, 0.02); tests scale them up (and perturb the
	 * LayerNorm parameters) so every nonlinearity is really exercised. */
	if (scale != 1.0f) {
		uint32_t s = (uint32_t)seed ^ 0x5eedu;
		float *p = rf_gpt_params(m);
		for (size_t i = 0; i < rf_gpt_num_params(m); i++)
			p[i] = p[i] * scale + 0.1f * test_uniform(&s);
	}
	return m;
}

static void make_batch(int32_t *tok, int32_t *tgt, float *dlogp, int B, int T,
		       int V, uint32_t seed)
{
	uint32_t s = seed;
	for (int i = 0; i < B * T; i++) {
		tok[i] = (int32_t)(test_rand(&s) % (uint32_t)V);
		tgt[i] = (i % 5 == 3) ? -1 : (int32_t)(test_rand(&s) % (uint32_t)V);
		dlogp[i] = test_uniform(&s) / (float)(B * T);
	}
}

/* ---- Philox ------------------------------------------------------------- */

static void test_philox_known_answers(void **state)
{
	/* Random123's kat_vectors for philox4x32_10 */
	static const uint32_t kat[3][10] = {
		{0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
		{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff,
		 0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
		{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0,
		 0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}};
	(void)state;
	for (int i = 0; i < 3; i++) {
		uint32_t out[4];
		rf_philox4x32(kat[i], kat[i] + 4, out);
		for (int j = 0; j < 4; j++)
			assert_int_equal(out[j], kat[i][6 + j]);
	}
	assert_true(rf_philox_uniform(0) == 0.0f);
	assert_true(rf_philox_uniform(0xffffffffu) < 1.0f);
	assert_true(rf_philox_uniform(0x80000000u) == 0.5f);
	/* normals: mean ~0, variance ~1 over 20000 draws */
	double s1 = 0, s2 = 0;
	uint32_t key[2] = {1, 2};
	for (uint32_t i = 0; i < 10000; i++) {
		uint32_t ctr[4] = {i, 0, 0, 0}, r[4];
		float z0, z1;
		rf_philox4x32(ctr, key, r);
		rf_philox_normal2(r[0], r[1], &z0, &z1);
		assert_true(isfinite(z0) && isfinite(z1));
		s1 += z0 + z1;
		s2 += (double)z0 * z0 + (double)z1 * z1;
	}
	assert_true(fabs(s1 / 20000) < 0.03);
	assert_true(fabs(s2 / 20000 - 1.0) < 0.05);
}

/* ---- the matrix kernel ------------------------------------------------- */

/* The documented semantics, one element at a time. */
static void gemm_reference(float *C, int ldc, const float *A, int sam, int sak,
			   const float *B, int ldb, const float *bias, int M, int Nc,
			   int K, int accumulate)
{
	for (int r = 0; r < M; r++)
		for (int c = 0; c < Nc; c++)
			for (int k0 = 0; k0 < K || k0 == 0; k0 += RF_K_GEMM_KB) {
				float s = 0.0f;
				for (int k = k0; k < K && k < k0 + RF_K_GEMM_KB; k++)
					s += A[r * sam + k * sak] * B[k * ldb + c];
				float *p = &C[r * ldc + c];
				if (k0 > 0 || accumulate)
					*p = *p + s;
				else
					*p = bias ? s + bias[c] : s;
			}
}

/* The SSE2 and AVX2 tiles (whichever this CPU has), any thread count, and
 * the scalar reference agree to the last bit, on shapes with leftovers in
 * every dimension and k running over several blocks. */
static void test_gemm_bits(void **state)
{
	/* {13, 95, 40}: a 64-wide AVX-512 tile, then 16-, 8-, 4-wide, scalar */
	const int shapes[][3] = {{13, 37, 300}, {6, 16, 1}, {1, 5, 7}, {64, 48, 520},
				 {7, 33, 256}, {13, 95, 40}};
	uint32_t s = 42;
	rf_pool *pool;
	(void)state;
	assert_int_equal(rf_pool_new(&pool, 3), 0);
	for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
		int M = shapes[si][0], Nc = shapes[si][1], K = shapes[si][2];
		size_t nA = (size_t)M * K, nB = (size_t)K * Nc, nC = (size_t)M * Nc;
		float *A = malloc(nA * 4), *B = malloc(nB * 4), *bias = malloc((size_t)Nc * 4);
		float *ref = malloc(nC * 4), *got = malloc(nC * 4), *init = malloc(nC * 4);
		for (size_t i = 0; i < nA; i++)
			A[i] = test_uniform(&s);
		for (size_t i = 0; i < nB; i++)
			B[i] = test_uniform(&s);
		for (int i = 0; i < Nc; i++)
			bias[i] = test_uniform(&s);
		for (size_t i = 0; i < nC; i++)
			init[i] = test_uniform(&s);
		int *brow = malloc((size_t)K * sizeof(int));
		float *Bp = malloc(nB * 4);
		for (int k = 0; k < K; k++) { /* B's rows read in another order */
			brow[k] = (int)(((size_t)k * 7 + 3) % (size_t)K);
			memcpy(Bp + (size_t)k * Nc, B + (size_t)brow[k] * Nc, (size_t)Nc * 4);
		}
		for (int mode = 0; mode < 4; mode++) {
			/* 0: A row-major + bias; 1: A as a transposed view; 2: accumulate;
			 * 3: B's rows through a map (rf_k_gemm_rows) */
			int sam = mode == 1 ? 1 : K, sak = mode == 1 ? M : 1;
			const float *bb = mode == 0 ? bias : NULL;
			memcpy(ref, init, nC * 4);
			gemm_reference(ref, Nc, A, sam, sak, mode == 3 ? Bp : B, Nc, bb, M, Nc,
				       K, mode == 2);
			for (int sel = 0; sel < 4; sel++) /* auto, SSE2, AVX2, AVX-512 */
				for (int th = 0; th < 2; th++) {
					rf_k_gemm_select(sel);
					memcpy(got, init, nC * 4);
					rf_k_gemm_rows(th ? pool : NULL, got, Nc, A, sam, sak, B, Nc,
						       mode == 3 ? brow : NULL, bb, M, Nc, K,
						       mode == 2);
					assert_memory_equal(got, ref, nC * 4);
				}
		}
		rf_k_gemm_select(0);
		free(brow);
		free(Bp);
		free(A);
		free(B);
		free(bias);
		free(ref);
		free(got);
		free(init);
	}
	rf_pool_free(pool);
	/* expf and tanhf: close to libm's double results */
	double worst = 0;
	for (float x = -80.0f; x < 80.0f; x += 0.01f) {
		double e = exp((double)x), r = fabs(rf_k_expf(x) - e) / e;
		worst = r > worst ? r : worst;
		assert_true(fabs(rf_k_tanhf(x) - tanh((double)x)) < 3e-7);
	}
	assert_true(worst < 2.5e-7); /* ~2 ulp */
	assert_true(rf_k_expf(0.0f) == 1.0f);
	worst = 0;
	for (float x = 1e-30f; x < 1e30f; x *= 1.0137f) {
		double l = log((double)x), r = fabs(rf_k_logf(x) - l) / fmax(fabs(l), 1e-30);
		worst = r > worst ? r : worst;
	}
	for (float x = 0.5f; x < 2.0f; x += 1e-4f) /* near 1: absolute error */
		assert_true(fabs(rf_k_logf(x) - log((double)x)) < 1.2e-7 * fmax(fabs(log((double)x)), 1.0));
	assert_true(worst < 2.5e-7);
	assert_true(rf_k_logf(1.0f) == 0.0f);
	assert_true(isinf(rf_k_logf(0.0f)) && rf_k_logf(0.0f) < 0);
	assert_true(isnan(rf_k_logf(-1.0f)));
	/* GELU's vector lanes and scalar tail compute the same bits */
	float gx[11], g4[11], g1[11];
	for (int i = 0; i < 11; i++)
		gx[i] = (float)(i - 5) * 0.7f;
	rf_k_gelu_fwd(NULL, g4, gx, 11);
	for (int i = 0; i < 11; i++)
		rf_k_gelu_fwd(NULL, g1 + i, gx + i, 1);
	assert_memory_equal(g4, g1, sizeof g4);
}

/* ---- config, layout, init ----------------------------------------------- */

static const rf_gpt_config tiny = {7, 6, 8, 2, 2, 12, 0};

static void test_config_and_layout(void **state)
{
	rf_gpt_config c = tiny;
	rf_gpt *m;
	(void)state;
	assert_int_equal(rf_gpt_config_check(&c), 0);
	c.n_head = 3;
	assert_int_equal(rf_gpt_config_check(&c), RF_EINVAL);
	assert_non_null(strstr(rf_error_last(), "n_head"));
	c = tiny;
	c.vocab = 0;
	assert_int_equal(rf_gpt_new(&m, &c), RF_EINVAL);
	assert_null(m);
	assert_non_null(strstr(rf_error_last(), "vocab"));
	c = tiny;
	c.d_model = 1 << 20;
	assert_int_equal(rf_gpt_config_check(&c), RF_EINVAL);

	m = new_model(&tiny, 1, 1.0f);
	size_t C = 8, F = 12, V = 7, P = 6;
	size_t expect = 2 * V * C + P * C + 2 * C +
			2 * (4 * C + 3 * C * C + 3 * C + C * C + C + F * C + F + C * F + C);
	assert_int_equal(rf_gpt_num_params(m), expect);
	assert_int_equal(rf_gpt_num_tensors(m), 2 + 2 * 12 + 3);
	const char *name;
	int shape[2], ndim;
	size_t off, next = 0;
	for (size_t i = 0; i < rf_gpt_num_tensors(m); i++) {
		assert_int_equal(rf_gpt_tensor_info(m, i, &name, shape, &ndim, &off), 0);
		assert_int_equal(off, next); /* contiguous, in order */
		next += (size_t)shape[0] * (ndim == 2 ? (size_t)shape[1] : 1);
	}
	assert_int_equal(next, expect);
	rf_gpt_tensor_info(m, 4, &name, shape, &ndim, &off);
	assert_string_equal(name, "h.0.attn.qkv.w");
	assert_int_equal(shape[0], 24);
	assert_int_equal(shape[1], 8);
	rf_gpt_tensor_info(m, rf_gpt_num_tensors(m) - 1, &name, shape, &ndim, &off);
	assert_string_equal(name, "lm_head");
	assert_int_equal(rf_gpt_tensor_info(m, 99, &name, shape, &ndim, &off), RF_EINVAL);

	/* init: LN weights 1, biases 0, matrices ~N(0, 0.02), deterministic */
	float *p = rf_gpt_params(m);
	rf_gpt_tensor_info(m, 2, &name, shape, &ndim, &off);
	assert_string_equal(name, "h.0.ln1.w");
	assert_true(p[off] == 1.0f);
	rf_gpt_tensor_info(m, 3, &name, shape, &ndim, &off);
	assert_true(p[off] == 0.0f);
	double ss = 0;
	for (size_t i = 0; i < V * C; i++)
		ss += (double)p[i] * p[i];
	assert_true(sqrt(ss / (double)(V * C)) > 0.01 && sqrt(ss / (double)(V * C)) < 0.03);
	rf_gpt *m2 = new_model(&tiny, 1, 1.0f), *m3 = new_model(&tiny, 2, 1.0f);
	assert_memory_equal(rf_gpt_params(m2), p, expect * sizeof(float));
	assert_memory_not_equal(rf_gpt_params(m3), p, expect * sizeof(float));
	assert_int_equal(rf_gpt_copy_params(m3, m), 0);
	assert_memory_equal(rf_gpt_params(m3), p, expect * sizeof(float));
	rf_gpt_config c2 = tiny;
	c2.tied = 1;
	rf_gpt *mt = new_model(&c2, 1, 1.0f);
	assert_int_equal(rf_gpt_copy_params(mt, m), RF_EINVAL);
	assert_int_equal(rf_gpt_num_params(mt), expect - V * C);
	rf_gpt_free(mt);
	rf_gpt_free(m);
	rf_gpt_free(m2);
	rf_gpt_free(m3);
	rf_gpt_free(NULL);
}

static void test_bad_calls(void **state)
{
	rf_gpt *m = new_model(&tiny, 3, 1.0f);
	int32_t tok[12] = {0}, tgt[12] = {0};
	float lp[12], dl[12] = {0};
	(void)state;
	assert_int_equal(rf_gpt_backward(m, NULL, dl), RF_EINVAL);
	assert_int_equal(rf_gpt_forward(m, NULL, tok, 2, 7), RF_EINVAL); /* T > P */
	tok[5] = 7;
	assert_int_equal(rf_gpt_forward(m, NULL, tok, 2, 6), RF_EINVAL);
	assert_non_null(strstr(rf_error_last(), "vocab"));
	tok[5] = -1;
	assert_int_equal(rf_gpt_forward(m, NULL, tok, 2, 6), RF_EINVAL);
	tok[5] = 6;
	assert_int_equal(rf_gpt_forward(m, NULL, tok, 2, 6), 0);
	tgt[3] = 9;
	assert_int_equal(rf_gpt_token_logprobs(m, NULL, tgt, lp), RF_EINVAL);
	assert_int_equal(rf_gpt_backward(m, NULL, dl), RF_EINVAL);
	assert_int_equal(rf_gpt_adamw_step(m, NULL, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.0f, 0),
			 RF_EINVAL);
	rf_gpt_cache *c;
	assert_int_equal(rf_gpt_cache_new(&c, m, 0), RF_EINVAL);
	assert_int_equal(rf_gpt_cache_new(&c, m, 2), 0);
	float lg[14];
	assert_int_equal(rf_gpt_decode_step(m, c, NULL, tok, 6, lg), RF_EINVAL);
	rf_gpt_cache_free(c);
	rf_gpt_cache_free(NULL);
	rf_gpt_free(m);
}

/* ---- gradients against finite differences ------------------------------- */

/* L = sum_n dlogp[n] * logp[n], summed in double. */
static double loss_of(rf_gpt *m, const int32_t *tok, const int32_t *tgt,
		      const float *dlogp, int B, int T, float *lp)
{
	double L = 0;
	assert_int_equal(rf_gpt_forward(m, NULL, tok, B, T), 0);
	assert_int_equal(rf_gpt_token_logprobs(m, NULL, tgt, lp), 0);
	for (int i = 0; i < B * T; i++)
		L += (double)dlogp[i] * lp[i];
	return L;
}

/* Every element of every parameter tensor of a tiny model: the analytic
 * gradient against a fourth-order central difference,
 * g ~ (8 (L(x+h) - L(x-h)) - (L(x+2h) - L(x-2h))) / 12h, h = 3e-3, in fp32.
 * Per tensor, max|g - fd| / max(max|fd|, 1e-3) must stay below 1e-2: the
 * quotient carries fp32 rounding of L (~1e-5 absolute at this h) and
 * truncation where LayerNorm is steep; measured worst is ~3e-3, and a wrong
 * gradient gives errors of order 1.  (The PyTorch cross-check below holds
 * the gradients to 1e-4 against float64 autograd.) */
static void gradcheck(const rf_gpt_config *cfg)
{
	enum { B = 2, T = 5 };
	rf_gpt *m = new_model(cfg, 11, 5.0f);
	int32_t tok[B * T], tgt[B * T];
	float dlogp[B * T], lp[B * T];
	make_batch(tok, tgt, dlogp, B, T, cfg->vocab, 77);
	for (int i = 0; i < B * T; i++)
		dlogp[i] *= (float)(B * T); /* O(1) weights: a larger, clearer loss */
	loss_of(m, tok, tgt, dlogp, B, T, lp);
	rf_gpt_zero_grad(m);
	assert_int_equal(rf_gpt_backward(m, NULL, dlogp), 0);
	size_t np = rf_gpt_num_params(m);
	float *g = malloc(np * sizeof *g), *p = rf_gpt_params(m);
	assert_non_null(g);
	memcpy(g, rf_gpt_grads(m), np * sizeof *g);
	const float h = 3e-3f;
	double worst = 0;
	for (size_t ti = 0; ti < rf_gpt_num_tensors(m); ti++) {
		const char *name;
		int shape[2], ndim;
		size_t off;
		rf_gpt_tensor_info(m, ti, &name, shape, &ndim, &off);
		size_t n = (size_t)shape[0] * (ndim == 2 ? (size_t)shape[1] : 1);
		double maxdiff = 0, maxfd = 0;
		for (size_t i = off; i < off + n; i++) {
			float x = p[i];
			double f[4];
			const float d[4] = {h, -h, 2 * h, -2 * h};
			for (int k = 0; k < 4; k++) {
				p[i] = x + d[k];
				f[k] = loss_of(m, tok, tgt, dlogp, B, T, lp);
			}
			p[i] = x;
			double fd = (8 * (f[0] - f[1]) - (f[2] - f[3])) / (12.0 * h);
			if (fabs(fd) > maxfd)
				maxfd = fabs(fd);
			if (fabs(fd - g[i]) > maxdiff)
				maxdiff = fabs(fd - g[i]);
		}
		double rel = maxdiff / (maxfd > 1e-3 ? maxfd : 1e-3);
		if (rel > worst)
			worst = rel;
		print_message("# gradcheck %-16s rel err %.2e (max|fd| %.2e)%s\n", name, rel,
			      maxfd, rel > 1e-2 ? "  FAIL" : "");
		/* a tensor whose gradient is all zero would check nothing */
		if (strcmp(name, "wpe") && !(cfg->tied && !strcmp(name, "wte")))
			assert_true(maxfd > 1e-3);
	}
	assert_true(worst <= 1e-2);
	print_message("# gradcheck (tied=%d): worst per-tensor rel err %.2e over %zu params\n",
		      cfg->tied, worst, np);
	free(g);
	rf_gpt_free(m);
}

static void test_gradcheck_untied(void **state)
{
	(void)state;
	gradcheck(&tiny);
}

static void test_gradcheck_tied(void **state)
{
	rf_gpt_config c = tiny;
	(void)state;
	c.tied = 1;
	c.n_layer = 1;
	gradcheck(&c);
}

/* ---- determinism over thread counts ------------------------------------- */

/* Large enough that every kernel splits its work into many chunks. */
static const rf_gpt_config small = {11, 16, 48, 2, 4, 80, 0};

struct run_out {
	float *logits, *lp, *grads, *params, *dec;
	float norm;
};

static void run_once(rf_pool *pool, struct run_out *o)
{
	enum { B = 8, T = 16 };
	rf_gpt *m = new_model(&small, 5, 5.0f);
	int32_t tok[B * T], tgt[B * T];
	float dlogp[B * T];
	size_t np = rf_gpt_num_params(m), nl = (size_t)B * T * small.vocab;
	make_batch(tok, tgt, dlogp, B, T, small.vocab, 99);
	o->logits = malloc(nl * sizeof(float));
	o->lp = malloc(B * T * sizeof(float));
	o->grads = malloc(np * sizeof(float));
	o->params = malloc(np * sizeof(float));
	o->dec = malloc((size_t)B * small.vocab * sizeof(float));
	assert_int_equal(rf_gpt_forward(m, pool, tok, B, T), 0);
	memcpy(o->logits, rf_gpt_logits(m), nl * sizeof(float));
	assert_int_equal(rf_gpt_token_logprobs(m, pool, tgt, o->lp), 0);
	rf_gpt_zero_grad(m);
	assert_int_equal(rf_gpt_backward(m, pool, dlogp), 0);
	o->norm = rf_gpt_clip_grad(m, 0.5f);
	memcpy(o->grads, rf_gpt_grads(m), np * sizeof(float));
	assert_int_equal(rf_gpt_adamw_step(m, pool, 1e-2f, 0.9f, 0.95f, 1e-8f, 0.1f, 1), 0);
	memcpy(o->params, rf_gpt_params(m), np * sizeof(float));
	/* decode a few steps on the updated weights */
	rf_gpt_cache *c;
	assert_int_equal(rf_gpt_cache_new(&c, m, B), 0);
	int32_t col[B];
	for (int t = 0; t < 4; t++) {
		for (int b = 0; b < B; b++)
			col[b] = tok[b * T + t];
		assert_int_equal(rf_gpt_decode_step(m, c, pool, col, t, o->dec), 0);
	}
	rf_gpt_cache_free(c);
	rf_gpt_free(m);
}

static void free_run(struct run_out *o)
{
	free(o->logits);
	free(o->lp);
	free(o->grads);
	free(o->params);
	free(o->dec);
}

static void test_threads_bit_identical(void **state)
{
	struct run_out r[5];
	size_t np, nl = (size_t)8 * 16 * small.vocab;
	rf_gpt *m = new_model(&small, 5, 1.0f);
	(void)state;
	np = rf_gpt_num_params(m);
	rf_gpt_free(m);
	for (int i = 0; i < 5; i++) {
		rf_pool *pool = NULL;
		if (i)
			assert_int_equal(rf_pool_new(&pool, i >= 3 ? 2 : i + 1), 0);
		/* runs 3 and 4: the SSE2, the AVX2 kernels forced */
		rf_k_gemm_select(i == 3 ? 1 : i == 4 ? 2 : 0);
		run_once(pool, &r[i]);
		rf_k_gemm_select(0);
		rf_pool_free(pool);
	}
	for (int i = 1; i < 5; i++) {
		assert_memory_equal(r[i].logits, r[0].logits, nl * sizeof(float));
		assert_memory_equal(r[i].lp, r[0].lp, 8 * 16 * sizeof(float));
		assert_memory_equal(r[i].grads, r[0].grads, np * sizeof(float));
		assert_memory_equal(r[i].params, r[0].params, np * sizeof(float));
		assert_memory_equal(r[i].dec, r[0].dec, 8 * (size_t)small.vocab * sizeof(float));
		assert_true(r[i].norm == r[0].norm);
	}
	assert_true(r[0].norm > 0.5f); /* clipping really happened */
	for (int i = 0; i < 5; i++)
		free_run(&r[i]);
}

/* ---- KV-cache decoding equals the full forward -------------------------- */

static void test_decode_matches_forward(void **state)
{
	enum { B = 3, T = 16 };
	rf_gpt_config cfg = small;
	rf_pool *pool;
	(void)state;
	for (int tied = 0; tied < 2; tied++) {
		cfg.tied = tied;
		rf_gpt *m = new_model(&cfg, 8, 5.0f);
		int32_t tok[B * T], tgt[B * T], col[B];
		float dlogp[B * T], lg[B * 11];
		make_batch(tok, tgt, dlogp, B, T, cfg.vocab, 5);
		assert_int_equal(rf_pool_new(&pool, 2), 0);
		assert_int_equal(rf_gpt_forward(m, pool, tok, B, T), 0);
		const float *full = rf_gpt_logits(m);
		rf_gpt_cache *c;
		assert_int_equal(rf_gpt_cache_new(&c, m, B), 0);
		double maxdiff = 0, maxabs = 0;
		for (int t = 0; t < T; t++) {
			for (int b = 0; b < B; b++)
				col[b] = tok[b * T + t];
			assert_int_equal(rf_gpt_decode_step(m, c, pool, col, t, lg), 0);
			for (int b = 0; b < B; b++)
				for (int v = 0; v < cfg.vocab; v++) {
					double a = lg[b * cfg.vocab + v];
					double f = full[((size_t)b * T + t) * cfg.vocab + v];
					if (fabs(a - f) > maxdiff)
						maxdiff = fabs(a - f);
					if (fabs(f) > maxabs)
						maxabs = fabs(f);
				}
		}
		/* Same kernels and summation order: equal to the last bit. */
		assert_true(maxabs > 0.1);
		assert_true(maxdiff == 0.0);
		/* a cache from another batch size is still usable per position,
		 * and the wrong model is refused */
		rf_gpt_config other = cfg;
		other.n_layer = 1;
		rf_gpt *m2 = new_model(&other, 1, 1.0f);
		assert_int_equal(rf_gpt_decode_step(m2, c, pool, col, 0, lg), RF_EINVAL);
		rf_gpt_free(m2);
		other = cfg;
		other.d_ff = 2 * cfg.d_ff; /* same L, C, P: still refused */
		m2 = new_model(&other, 1, 1.0f);
		assert_int_equal(rf_gpt_decode_step(m2, c, pool, col, 0, lg), RF_EINVAL);
		rf_gpt_free(m2);
		rf_gpt_cache_free(c);
		rf_pool_free(pool);
		rf_gpt_free(m);
	}
}

/* Decoding computes rows fed the same tokens so far once and copies them
 * (the G samples of a prompt): rows that share a prefix and then part, at
 * different positions, must still equal the full forward pass bit for
 * bit -- and so must a run restarted at 0 and one with a skipped position. */
static void test_decode_shared_prefix(void **state)
{
	enum { B = 6, T = 12 };
	rf_gpt_config cfg = small;
	rf_pool *pool;
	(void)state;
	rf_gpt *m = new_model(&cfg, 9, 5.0f);
	int32_t tok[B * T], tgt[B * T], col[B];
	float dlogp[B * T], lg[B * 11];
	make_batch(tok, tgt, dlogp, B, T, cfg.vocab, 7);
	/* rows 1, 2 follow row 0 up to t = 3 and t = 7; rows 3, 4 are equal
	 * throughout; row 5 equals row 0 only at t = 0 */
	for (int t = 0; t < T; t++) {
		if (t <= 3)
			tok[1 * T + t] = tok[t];
		if (t <= 7)
			tok[2 * T + t] = tok[t];
		tok[4 * T + t] = tok[3 * T + t];
	}
	tok[5 * T] = tok[0];
	tok[1 * T + 4] = (tok[4] + 1) % cfg.vocab;
	tok[2 * T + 8] = (tok[8] + 1) % cfg.vocab;
	tok[5 * T + 1] = (tok[1] + 2) % cfg.vocab;
	assert_int_equal(rf_pool_new(&pool, 2), 0);
	assert_int_equal(rf_gpt_forward(m, pool, tok, B, T), 0);
	const float *full = rf_gpt_logits(m);
	rf_gpt_cache *c;
	assert_int_equal(rf_gpt_cache_new(&c, m, B), 0);
	for (int run = 0; run < 3; run++) {
		int mism = 0;
		for (int t = 0; t < T; t++) {
			if (run == 2 && t == 5) { /* out of sequence: position 4 again */
				for (int b = 0; b < B; b++)
					col[b] = tok[b * T + 4];
				assert_int_equal(rf_gpt_decode_step(m, c, pool, col, 4, lg), 0);
			}
			for (int b = 0; b < B; b++)
				col[b] = tok[b * T + t];
			assert_int_equal(rf_gpt_decode_step(m, c, pool, col, t, lg), 0);
			for (int b = 0; b < B; b++)
				for (int v = 0; v < cfg.vocab; v++)
					mism += lg[b * cfg.vocab + v] !=
						full[((size_t)b * T + t) * cfg.vocab + v];
			/* rows 3 and 4 really are one row's logits, row 1 parted */
			assert_memory_equal(lg + 3 * cfg.vocab, lg + 4 * cfg.vocab,
					    (size_t)cfg.vocab * sizeof(float));
		}
		assert_int_equal(mism, 0);
	}
	assert_true(memcmp(full + ((size_t)1 * T + 6) * cfg.vocab,
			   full + ((size_t)0 * T + 6) * cfg.vocab,
			   (size_t)cfg.vocab * sizeof(float)) != 0);
	rf_gpt_cache_free(c);
	rf_pool_free(pool);
	rf_gpt_free(m);
}

/* The forward pass computes rows whose tokens agree so far once (a
 * prompt's G samples): with such rows, logits must equal those of each
 * sequence run alone bit for bit, and the gradients (every activation the
 * backward pass reads is copied to the rows skipped) the sum of the
 * sequences' own gradients, up to the order of that sum. */
static void test_forward_shared_prefix(void **state)
{
	enum { B = 5, T = 9 };
	rf_gpt_config cfg = small;
	(void)state;
	rf_gpt *m = new_model(&cfg, 11, 5.0f);
	int32_t tok[B * T], tgt[B * T];
	float dlogp[B * T], lp[B * T];
	make_batch(tok, tgt, dlogp, B, T, cfg.vocab, 13);
	/* rows 1 and 2 follow row 0 up to t = 2 and t = 5, row 4 is row 3 */
	for (int t = 0; t < T; t++) {
		if (t <= 2)
			tok[1 * T + t] = tok[t];
		if (t <= 5)
			tok[2 * T + t] = tok[t];
		tok[4 * T + t] = tok[3 * T + t];
	}
	tok[1 * T + 3] = (tok[3] + 1) % cfg.vocab;
	tok[2 * T + 6] = (tok[6] + 1) % cfg.vocab;
	size_t P = rf_gpt_num_params(m);
	float *g = malloc(P * sizeof(float)), *lg = malloc((size_t)B * T * 11 * sizeof(float));
	assert_non_null(g);
	assert_non_null(lg);
	assert_int_equal(rf_gpt_forward(m, NULL, tok, B, T), 0);
	memcpy(lg, rf_gpt_logits(m), (size_t)B * T * cfg.vocab * sizeof(float));
	assert_int_equal(rf_gpt_token_logprobs(m, NULL, tgt, lp), 0);
	rf_gpt_zero_grad(m);
	assert_int_equal(rf_gpt_backward(m, NULL, dlogp), 0);
	memcpy(g, rf_gpt_grads(m), P * sizeof(float));
	rf_gpt_zero_grad(m);
	for (int b = 0; b < B; b++) {
		assert_int_equal(rf_gpt_forward(m, NULL, tok + b * T, 1, T), 0);
		assert_memory_equal(rf_gpt_logits(m), lg + (size_t)b * T * cfg.vocab,
				    (size_t)T * cfg.vocab * sizeof(float));
		assert_int_equal(rf_gpt_token_logprobs(m, NULL, tgt + b * T, lp), 0);
		assert_int_equal(rf_gpt_backward(m, NULL, dlogp + b * T), 0);
	}
	const float *g1 = rf_gpt_grads(m);
	double maxdiff = 0, maxabs = 0;
	for (size_t i = 0; i < P; i++) {
		if (fabs((double)g[i] - g1[i]) > maxdiff)
			maxdiff = fabs((double)g[i] - g1[i]);
		if (fabs((double)g1[i]) > maxabs)
			maxabs = fabs((double)g1[i]);
	}
	print_message("# shared-prefix grads: max diff %.3g of max %.3g\n", maxdiff, maxabs);
	assert_true(maxabs > 1e-3);
	assert_true(maxdiff <= 1e-5 * maxabs);
	free(g);
	free(lg);
	rf_gpt_free(m);
}

/* ---- optimiser ----------------------------------------------------------- */

static void test_adamw_and_clip(void **state)
{
	rf_gpt *m = new_model(&tiny, 4, 1.0f);
	size_t np = rf_gpt_num_params(m);
	float *p = rf_gpt_params(m), *g = rf_gpt_grads(m);
	float *p0 = malloc(np * sizeof(float));
	(void)state;
	memcpy(p0, p, np * sizeof(float));
	for (size_t i = 0; i < np; i++)
		g[i] = (float)((int)(i % 7) - 3) * 0.25f;
	double ss = 0;
	for (size_t i = 0; i < np; i++)
		ss += (double)g[i] * g[i];
	float norm = rf_gpt_clip_grad(m, 0.0f); /* no clipping */
	assert_true(fabs(norm - sqrt(ss)) < 1e-3 * sqrt(ss));
	assert_true(g[0] == -0.75f);
	norm = rf_gpt_clip_grad(m, 1.0f);
	ss = 0;
	for (size_t i = 0; i < np; i++)
		ss += (double)g[i] * g[i];
	assert_true(fabs(sqrt(ss) - 1.0) < 1e-4);
	/* two steps of AdamW against the formula, in double */
	const double lr = 0.01, b1 = 0.9, b2 = 0.99, eps = 1e-8, wd = 0.5;
	double mm[2][2] = {{0}}, vv[2][2] = {{0}}, ref[2];
	const char *name;
	int shape[2], ndim;
	size_t off1d, off2d;
	rf_gpt_tensor_info(m, 3, &name, shape, &ndim, &off1d); /* h.0.ln1.b */
	rf_gpt_tensor_info(m, 4, &name, shape, &ndim, &off2d); /* h.0.attn.qkv.w */
	size_t idx[2] = {off1d + 1, off2d + 5};
	for (int k = 0; k < 2; k++)
		ref[k] = p[idx[k]];
	for (int t = 1; t <= 2; t++) {
		for (int k = 0; k < 2; k++) {
			double gg = g[idx[k]];
			if (k == 1)
				ref[k] *= 1 - lr * wd; /* decay: 2-D tensors only */
			mm[k][0] = b1 * mm[k][0] + (1 - b1) * gg;
			vv[k][0] = b2 * vv[k][0] + (1 - b2) * gg * gg;
			double mh = mm[k][0] / (1 - pow(b1, t)), vh = vv[k][0] / (1 - pow(b2, t));
			ref[k] -= lr * mh / (sqrt(vh) + eps);
		}
		assert_int_equal(rf_gpt_adamw_step(m, NULL, (float)lr, (float)b1, (float)b2,
						   (float)eps, (float)wd, t), 0);
	}
	for (int k = 0; k < 2; k++)
		assert_true(fabs(p[idx[k]] - ref[k]) < 1e-6 + 1e-5 * fabs(ref[k]));
	/* decay applies to 2-D tensors only: with zero gradients (fresh
	 * moments) a step only shrinks matrices and embeddings */
	rf_gpt *m2 = new_model(&tiny, 4, 1.0f);
	float *q = rf_gpt_params(m2);
	memcpy(p0, q, np * sizeof(float));
	rf_gpt_zero_grad(m2);
	assert_int_equal(rf_gpt_adamw_step(m2, NULL, 0.1f, 0.9f, 0.99f, 1e-8f, 0.5f, 1), 0);
	for (size_t ti = 0; ti < rf_gpt_num_tensors(m2); ti++) {
		size_t off;
		rf_gpt_tensor_info(m2, ti, &name, shape, &ndim, &off);
		float f = ndim == 2 ? 1.0f - 0.1f * 0.5f : 1.0f;
		for (int k = 0; k < shape[0]; k++)
			assert_true(q[off + (size_t)k] == p0[off + (size_t)k] * f);
	}
	rf_gpt_free(m2);
	free(p0);
	rf_gpt_free(m);
}

/* ---- checkpoints --------------------------------------------------------- */

static void test_checkpoint_roundtrip(void **state)
{
	char dir[] = "/tmp/rf-gpt-XXXXXX", path[64];
	rf_gpt *m = new_model(&tiny, 6, 3.0f), *m2;
	rf_buf a = RF_BUF_INIT, b = RF_BUF_INIT;
	const char *meta[] = {"step", "42"};
	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/w.safetensors", dir);
	assert_int_equal(rf_gpt_save(m, path, meta, 1), 0);
	assert_int_equal(rf_gpt_save_bytes(&a, m, meta, 1), 0);
	assert_int_equal(rf_gpt_save_bytes(&b, m, meta, 1), 0);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len); /* canonical bytes */
	assert_int_equal(rf_gpt_new(&m2, &tiny), 0);
	assert_int_equal(rf_gpt_load(m2, path), 0);
	assert_memory_equal(rf_gpt_params(m2), rf_gpt_params(m),
			    rf_gpt_num_params(m) * sizeof(float));
	rf_st *st;
	assert_int_equal(rf_st_read(&st, path, 1 << 20), 0);
	assert_string_equal(rf_st_meta(st, "step"), "42");
	assert_string_equal(rf_st_meta(st, "d_ff"), "12");
	rf_st_free(st);
	/* a model of another shape refuses it, naming the tensor */
	rf_gpt_config c = tiny;
	c.d_ff = 16;
	rf_gpt *m3;
	assert_int_equal(rf_gpt_new(&m3, &c), 0);
	assert_int_equal(rf_gpt_load(m3, path), RF_EFORMAT);
	assert_non_null(strstr(rf_error_last(), "mlp.fc"));
	rf_gpt_free(m3);
	c = tiny;
	c.tied = 1;
	assert_int_equal(rf_gpt_new(&m3, &c), 0);
	assert_int_equal(rf_gpt_load(m3, path), RF_EFORMAT);
	rf_gpt_free(m3);
	rf_buf_free(&a);
	rf_buf_free(&b);
	rf_gpt_free(m);
	rf_gpt_free(m2);
	assert_int_equal(rf_dir_remove_tree(dir), 0);
}

/* ---- the PyTorch cross-check ---------------------------------------------- */

static int have_torch(void)
{
	pid_t pid;
	int st;
	if (access("/usr/bin/python3", X_OK))
		return 0;
	pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl("/usr/bin/python3", "python3", "-c", "import torch, numpy", (char *)NULL);
		_exit(127);
	}
	return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && !WEXITSTATUS(st);
}

static void write_f32(const char *path, const char *const *names, const float *const *data,
		      const int64_t (*shapes)[3], const int *ndims, size_t n)
{
	rf_st_tensor t[64];
	assert_true(n <= 64);
	for (size_t i = 0; i < n; i++) {
		t[i].name = names[i];
		t[i].ndim = ndims[i];
		for (int d = 0; d < ndims[i]; d++)
			t[i].shape[d] = shapes[i][d];
		t[i].data = data[i];
	}
	assert_int_equal(rf_st_write(path, t, n, NULL, 0, 1), 0);
}

static void crosscheck(const rf_gpt_config *cfg, int B, int T, rf_pool *pool)
{
	char dir[] = "/tmp/rf-gpt-torch-XXXXXX", path[128];
	rf_gpt *m = new_model(cfg, 21, 5.0f);
	size_t N = (size_t)B * T, nt = rf_gpt_num_tensors(m);
	int32_t *tok = malloc(N * sizeof *tok), *tgt = malloc(N * sizeof *tgt);
	float *dlogp = malloc(N * sizeof *dlogp), *lp = malloc(N * sizeof *lp);
	float *ftok = malloc(N * sizeof *ftok), *ftgt = malloc(N * sizeof *ftgt);
	assert_non_null(mkdtemp(dir));
	make_batch(tok, tgt, dlogp, B, T, cfg->vocab, 1234);
	for (size_t i = 0; i < N; i++) {
		ftok[i] = (float)tok[i];
		ftgt[i] = (float)tgt[i];
	}
	assert_int_equal(rf_gpt_forward(m, pool, tok, B, T), 0);
	assert_int_equal(rf_gpt_token_logprobs(m, pool, tgt, lp), 0);
	rf_gpt_zero_grad(m);
	assert_int_equal(rf_gpt_backward(m, pool, dlogp), 0);

	snprintf(path, sizeof path, "%s/weights.safetensors", dir);
	assert_int_equal(rf_gpt_save(m, path, NULL, 0), 0);
	{
		const char *names[] = {"tokens", "targets", "dlogp"};
		const float *data[] = {ftok, ftgt, dlogp};
		const int64_t shapes[3][3] = {{B, T}, {B, T}, {B, T}};
		const int nd[] = {2, 2, 2};
		snprintf(path, sizeof path, "%s/batch.safetensors", dir);
		write_f32(path, names, data, shapes, nd, 3);
	}
	{
		const char **names = calloc(nt + 2, sizeof *names);
		const float **data = calloc(nt + 2, sizeof *data);
		int64_t(*shapes)[3] = calloc(nt + 2, sizeof *shapes);
		int *nd = calloc(nt + 2, sizeof *nd);
		char(*gn)[48] = calloc(nt, sizeof *gn);
		names[0] = "logits";
		data[0] = rf_gpt_logits(m);
		shapes[0][0] = B, shapes[0][1] = T, shapes[0][2] = cfg->vocab, nd[0] = 3;
		names[1] = "logp";
		data[1] = lp;
		shapes[1][0] = B, shapes[1][1] = T, nd[1] = 2;
		for (size_t i = 0; i < nt; i++) {
			const char *name;
			int shape[2], ndim;
			size_t off;
			rf_gpt_tensor_info(m, i, &name, shape, &ndim, &off);
			snprintf(gn[i], sizeof gn[i], "grad.%s", name);
			names[2 + i] = gn[i];
			data[2 + i] = rf_gpt_grads(m) + off;
			shapes[2 + i][0] = shape[0];
			shapes[2 + i][1] = shape[1];
			nd[2 + i] = ndim;
		}
		snprintf(path, sizeof path, "%s/out.safetensors", dir);
		write_f32(path, names, data, (const int64_t(*)[3])shapes, nd, nt + 2);
		free(names);
		free(data);
		free(shapes);
		free(nd);
		free(gn);
	}
	/* tests/py/ is the sibling of RF_TEST_DATA (tests/data) */
	char script[4096];
	snprintf(script, sizeof script, "%.*s/py/gpt_reference.py",
		 (int)(strlen(RF_TEST_DATA) - strlen("/data")), RF_TEST_DATA);
	pid_t pid = fork();
	if (pid == 0) {
		execl("/usr/bin/python3", "python3", script, "check", dir, "1e-4", (char *)NULL);
		_exit(127);
	}
	int st = -1;
	assert_true(pid > 0 && waitpid(pid, &st, 0) == pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(rf_dir_remove_tree(dir), 0);
	free(tok);
	free(tgt);
	free(dlogp);
	free(lp);
	free(ftok);
	free(ftgt);
	rf_gpt_free(m);
}

static void test_pytorch_crosscheck(void **state)
{
	rf_pool *pool;
	rf_gpt_config tied = small;
	(void)state;
	if (!have_torch()) {
		print_message("# /usr/bin/python3 cannot import torch\n");
		skip();
	}
	fflush(stdout);
	assert_int_equal(rf_pool_new(&pool, 2), 0);
	crosscheck(&small, 4, 16, pool);
	tied.tied = 1;
	tied.n_layer = 1;
	crosscheck(&tied, 2, 9, pool);
	rf_pool_free(pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_philox_known_answers),
		cmocka_unit_test(test_gemm_bits),
		cmocka_unit_test(test_config_and_layout),
		cmocka_unit_test(test_bad_calls),
		cmocka_unit_test(test_gradcheck_untied),
		cmocka_unit_test(test_gradcheck_tied),
		cmocka_unit_test(test_threads_bit_identical),
		cmocka_unit_test(test_decode_matches_forward),
		cmocka_unit_test(test_decode_shared_prefix),
		cmocka_unit_test(test_forward_shared_prefix),
		cmocka_unit_test(test_adamw_and_clip),
		cmocka_unit_test(test_checkpoint_roundtrip),
		cmocka_unit_test(test_pytorch_crosscheck),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
