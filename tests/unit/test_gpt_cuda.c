/* CPU against CUDA for the policy model (lib/replay/gpt.c on the host and
 * through lib/replay/cuda): the same weights and batch give the same
 * logits, log-probs, gradients, gradient norm, AdamW step and KV-cache
 * decoding (max relative error <= 1e-4 per tensor: max|a-b| / max|b|, as
 * tests/py/gpt_reference.py measures PyTorch), and two GPU passes are bit
 * for bit identical.  Skips, saying why, without the module or a GPU. */
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "referee/referee.h"
#include "replay/backend.h"
#include "replay/gpt.h"

#define BOUND 1e-4

static rf_backend *be;
static const char *why_skip;
static char why[512];
static double worst;

/* build/tests/test_gpt_cuda -> build/referee-cuda.so */
static int module_path(rf_buf *out)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	char *s;
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	for (int i = 0; i < 2; i++) {
		if (!(s = strrchr(exe, '/')))
			return -1;
		*s = '\0';
	}
	rf_buf_printf(out, "%s/%s", exe, RF_BACKEND_CUDA_MODULE);
	return access(out->data, R_OK);
}

static int setup(void **state)
{
	rf_buf p = RF_BUF_INIT;
	char name[256];
	/* tests/cli/test_cuda_emu.sh runs this program on the CPU emulator */
	const char *other = getenv("RF_TEST_CUDA_MODULE");
	(void)state;
	if (other && *other) {
		rf_buf_puts(&p, other);
		if (rf_backend_open(&be, RF_DEVICE_CUDA, p.data) != 0 ||
		    rf_backend_device_check(be, 0, name, sizeof name) != 0) {
			snprintf(why, sizeof why, "%s", rf_error_last());
			why_skip = why;
		} else {
			printf("# CUDA device 0: %s\n", name);
		}
	} else if (module_path(&p) != 0) {
		why_skip = "CUDA module not built (CUDA=0 or no nvcc)";
	} else if (rf_backend_open(&be, RF_DEVICE_CUDA, p.data) != 0 ||
		   rf_backend_device_check(be, 0, name, sizeof name) != 0) {
		snprintf(why, sizeof why, "%s", rf_error_last());
		why_skip = why;
	} else {
		printf("# CUDA device 0: %s\n", name);
	}
	rf_buf_free(&p);
	if (why_skip)
		printf("# SKIP all CUDA tests: %s\n", why_skip);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rf_backend_free(be);
	if (!why_skip)
		printf("# worst relative error CPU vs CUDA: %.3e (bound %.0e)\n",
		       worst, BOUND);
	return 0;
}

static double rel_err(const float *a, const float *b, size_t n)
{
	double md = 0.0, mb = 0.0;
	for (size_t i = 0; i < n; i++) {
		double d = fabs((double)a[i] - (double)b[i]);
		if (d > md || isnan(d))
			md = isnan(d) ? INFINITY : d;
		if (fabs((double)b[i]) > mb)
			mb = fabs((double)b[i]);
	}
	return md / (mb > 1e-12 ? mb : 1e-12);
}

static void expect_close(const char *what, const float *gpu, const float *cpu,
			 size_t n)
{
	double e = rel_err(gpu, cpu, n);
	if (e > worst)
		worst = e;
	if (e > BOUND)
		print_message("# %-24s rel err %.3e  FAIL\n", what, e);
	assert_true(e <= BOUND);
}

static uint32_t lcg(uint32_t *s)
{
	*s = *s * 1664525u + 1013904223u;
	return *s >> 8;
}

/* Same config and weights on the CPU (c) and the GPU (g). */
static void make_pair(rf_gpt **c, rf_gpt **g, int tied)
{
	rf_gpt_config cfg = {19, 24, 64, 2, 4, 128, tied};
	assert_int_equal(rf_gpt_new(c, &cfg), 0);
	assert_int_equal(rf_gpt_new(g, &cfg), 0);
	assert_int_equal(rf_gpt_init(*c, 1234), 0);
	assert_int_equal(rf_gpt_copy_params(*g, *c), 0);
	assert_int_equal(rf_gpt_to_device(*g, be, 0), 0);
	assert_true(rf_gpt_on_device(*g));
	assert_false(rf_gpt_on_device(*c));
}

static void batch(int32_t *tok, int32_t *tgt, float *dlogp, int N, int T,
		  int V, uint32_t seed)
{
	for (int n = 0; n < N; n++)
		tok[n] = (int32_t)(lcg(&seed) % (uint32_t)V);
	for (int n = 0; n < N; n++) {
		/* next token, some positions unscored */
		tgt[n] = (n % T == T - 1 || n % 5 == 3) ? -1 : tok[(n + 1) % N];
		dlogp[n] = tgt[n] < 0 ? 0.0f
				      : ((float)(lcg(&seed) % 2001) - 1000.0f) / 1000.0f;
	}
}

static void check_pass(int tied)
{
	rf_gpt *c, *g;
	const int B = 3, T = 17, N = B * T;
	int32_t tok[3 * 17], tgt[3 * 17];
	float dlogp[3 * 17], lpc[3 * 17], lpg[3 * 17];
	char name[96];

	make_pair(&c, &g, tied);
	const rf_gpt_config *cfg = rf_gpt_config_of(c);
	size_t np = rf_gpt_num_params(c);
	batch(tok, tgt, dlogp, N, T, cfg->vocab, 99u + (uint32_t)tied);

	assert_int_equal(rf_gpt_forward(c, NULL, tok, B, T), 0);
	assert_int_equal(rf_gpt_forward(g, NULL, tok, B, T), 0);
	const float *lg = rf_gpt_logits(g);
	assert_non_null(lg);
	expect_close("logits", lg, rf_gpt_logits(c), (size_t)N * cfg->vocab);
	assert_int_equal(rf_gpt_token_logprobs(c, NULL, tgt, lpc), 0);
	assert_int_equal(rf_gpt_token_logprobs(g, NULL, tgt, lpg), 0);
	expect_close("logprobs", lpg, lpc, (size_t)N);

	rf_gpt_zero_grad(c);
	rf_gpt_zero_grad(g);
	assert_int_equal(rf_gpt_backward(c, NULL, dlogp), 0);
	assert_int_equal(rf_gpt_backward(g, NULL, dlogp), 0);
	float *gc = rf_gpt_grads(c), *gg = rf_gpt_grads(g);
	assert_non_null(gg);
	for (size_t i = 0; i < rf_gpt_num_tensors(c); i++) {
		const char *tn;
		int shape[2], nd;
		size_t off;
		assert_int_equal(rf_gpt_tensor_info(c, i, &tn, shape, &nd, &off), 0);
		size_t n = (size_t)shape[0] * (size_t)(nd == 2 ? shape[1] : 1);
		snprintf(name, sizeof name, "grad %s", tn);
		expect_close(name, gg + off, gc + off, n);
	}

	/* clipping: same norm, same scaled gradients */
	float nc = rf_gpt_clip_grad(c, 0.5f), ng = rf_gpt_clip_grad(g, 0.5f);
	assert_true(isfinite(ng));
	assert_true(fabs((double)nc - (double)ng) <= BOUND * nc);
	gg = rf_gpt_grads(g);
	expect_close("clipped grads", gg, rf_gpt_grads(c), np);

	/* two AdamW steps (the second sees non-zero moments) */
	for (int t = 1; t <= 2; t++) {
		assert_int_equal(rf_gpt_adamw_step(c, NULL, 1e-3f, 0.9f, 0.95f,
						   1e-8f, 0.1f, t), 0);
		assert_int_equal(rf_gpt_adamw_step(g, NULL, 1e-3f, 0.9f, 0.95f,
						   1e-8f, 0.1f, t), 0);
	}
	expect_close("params after AdamW", rf_gpt_params(g), rf_gpt_params(c), np);

	rf_gpt_free(c);
	rf_gpt_free(g);
}

static void test_pass_tied(void **state)
{
	(void)state;
	if (why_skip) {
		skip();
		return;
	}
	check_pass(1);
}

static void test_pass_untied(void **state)
{
	(void)state;
	if (why_skip) {
		skip();
		return;
	}
	check_pass(0);
}

/* KV-cache decoding on the GPU equals the GPU's (and the CPU's) full
 * forward at every position. */
static void test_decode(void **state)
{
	rf_gpt *c, *g;
	rf_gpt_cache *cache = NULL;
	enum { B = 3, T = 20 };
	int32_t tok[B * T], tgt[B * T], step[B];
	float dl[B * T];
	(void)state;
	if (why_skip) {
		skip();
		return;
	}
	make_pair(&c, &g, 1);
	int V = rf_gpt_config_of(c)->vocab;
	float *lg = malloc(sizeof(float) * B * V);
	batch(tok, tgt, dl, B * T, T, V, 7u);
	assert_int_equal(rf_gpt_forward(c, NULL, tok, B, T), 0);
	const float *full = rf_gpt_logits(c);
	assert_int_equal(rf_gpt_cache_new(&cache, g, B), 0);
	for (int t = 0; t < T; t++) {
		float want[B * 32];
		for (int b = 0; b < B; b++) {
			step[b] = tok[b * T + t];
			memcpy(want + b * V, full + ((size_t)b * T + t) * V,
			       sizeof(float) * V);
		}
		assert_int_equal(rf_gpt_decode_step(g, cache, NULL, step, t, lg), 0);
		expect_close("decode logits", lg, want, (size_t)B * V);
	}
	/* a position out of range is an error, not a crash */
	assert_int_not_equal(rf_gpt_decode_step(g, cache, NULL, step, 24, lg), 0);
	rf_gpt_cache_free(cache);
	free(lg);
	rf_gpt_free(c);
	rf_gpt_free(g);
}

/* Two identical GPU passes (forward, backward, clip, AdamW) give the same
 * bits; a changed batch gives other bits. */
static void test_gpu_deterministic(void **state)
{
	enum { B = 8, T = 24 };
	int32_t tok[B * T], tgt[B * T];
	float dl[B * T], lp[B * T];
	float *res[3];
	(void)state;
	if (why_skip) {
		skip();
		return;
	}
	for (int r = 0; r < 3; r++) {
		rf_gpt *c, *g;
		make_pair(&c, &g, 1);
		int V = rf_gpt_config_of(c)->vocab;
		batch(tok, tgt, dl, B * T, T, V, r == 2 ? 5u : 4u);
		for (int t = 1; t <= 3; t++) {
			assert_int_equal(rf_gpt_forward(g, NULL, tok, B, T), 0);
			assert_int_equal(rf_gpt_token_logprobs(g, NULL, tgt, lp), 0);
			rf_gpt_zero_grad(g);
			assert_int_equal(rf_gpt_backward(g, NULL, dl), 0);
			assert_true(isfinite(rf_gpt_clip_grad(g, 1.0f)));
			assert_int_equal(rf_gpt_adamw_step(g, NULL, 1e-3f, 0.9f,
							   0.95f, 1e-8f, 0.1f, t), 0);
		}
		size_t np = rf_gpt_num_params(g);
		res[r] = malloc(np * sizeof(float));
		memcpy(res[r], rf_gpt_params(g), np * sizeof(float));
		assert_int_equal(memcmp(res[0], res[r], np * sizeof(float)) == 0,
				 r < 2);
		rf_gpt_free(c);
		rf_gpt_free(g);
	}
	for (int r = 0; r < 3; r++)
		free(res[r]);
}

/* AdamW alone, from the same gradients on both sides: an elementwise
 * update whose device arithmetic rounds as gpt.c's, so the updates agree to
 * float rounding (the bound is on the update, not the weights: a decay of
 * lr*wd is far below 1e-4 of a LayerNorm weight of 1). */
static void test_adamw_same_grads(void **state)
{
	rf_gpt *c, *g;
	(void)state;
	if (why_skip) {
		skip();
		return;
	}
	make_pair(&c, &g, 0);
	size_t np = rf_gpt_num_params(c);
	float *before = malloc(np * sizeof(float)), *dc = malloc(np * sizeof(float)),
	      *dg = malloc(np * sizeof(float));
	memcpy(before, rf_gpt_params(c), np * sizeof(float));
	for (int t = 1; t <= 3; t++) {
		float *gc = rf_gpt_grads(c), *gg = rf_gpt_grads(g);
		uint32_t seed = 77u + (uint32_t)t;
		for (size_t i = 0; i < np; i++)
			gc[i] = gg[i] = ((float)(lcg(&seed) % 2001) - 1000.0f) * 1e-5f;
		assert_int_equal(rf_gpt_adamw_step(c, NULL, 1e-2f, 0.9f, 0.95f,
						   1e-8f, 0.1f, t), 0);
		assert_int_equal(rf_gpt_adamw_step(g, NULL, 1e-2f, 0.9f, 0.95f,
						   1e-8f, 0.1f, t), 0);
	}
	const float *pc = rf_gpt_params(c), *pg = rf_gpt_params(g);
	size_t same = 0;
	for (size_t i = 0; i < np; i++) {
		dc[i] = pc[i] - before[i];
		dg[i] = pg[i] - before[i];
		same += pc[i] == pg[i];
	}
	print_message("# AdamW from equal gradients: %zu of %zu weights bit-identical\n",
		      same, np);
	expect_close("AdamW updates", dg, dc, np);
	free(before);
	free(dc);
	free(dg);
	rf_gpt_free(c);
	rf_gpt_free(g);
}

/* Mixed host/device copies keep the host mirror coherent. */
static void test_mirror(void **state)
{
	rf_gpt *c, *g;
	(void)state;
	if (why_skip) {
		skip();
		return;
	}
	make_pair(&c, &g, 0);
	size_t np = rf_gpt_num_params(c);
	/* write through the host pointer of the device model */
	float *p = rf_gpt_params(g);
	p[3] = 42.0f;
	assert_int_equal(rf_gpt_copy_params(c, g), 0); /* device -> host */
	assert_true(rf_gpt_params(c)[3] == 42.0f);
	rf_gpt_params(c)[5] = -7.0f;
	assert_int_equal(rf_gpt_copy_params(g, c), 0); /* host -> device */
	assert_true(rf_gpt_params(g)[5] == -7.0f);
	assert_int_equal(memcmp(rf_gpt_params(g), rf_gpt_params(c),
				np * sizeof(float)), 0);
	rf_gpt_free(c);
	rf_gpt_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pass_tied),
		cmocka_unit_test(test_pass_untied),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_gpu_deterministic),
		cmocka_unit_test(test_adamw_same_grads),
		cmocka_unit_test(test_mirror),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
