/* Benchmark of the replay's policy model on the CPU (built and run by
 * tests/bench/bench_model.sh, next to the PyTorch baseline bench_model.py):
 * training step (forward, log-probs, backward, clip, AdamW) and KV-cache
 * sampling, in tokens per second, plus achieved GFLOP/s.
 *   bench_model THREADS [B T C L NH V]    prints one JSON line */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "referee/referee.h"
#include "replay/gpt.h"
#include "replay/philox.h"

static double clock_s(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Wall time, and the CPU time of the whole process (all threads): on a
 * shared machine the CPU time says what the code costs when others steal
 * the cores. */
static double now(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

static double cpu(void)
{
	return clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

int main(int argc, char **argv)
{
	int threads = argc > 1 ? atoi(argv[1]) : 1;
	int B = argc > 2 ? atoi(argv[2]) : 64, T = argc > 3 ? atoi(argv[3]) : 64;
	int C = argc > 4 ? atoi(argv[4]) : 128, L = argc > 5 ? atoi(argv[5]) : 4;
	int NH = argc > 6 ? atoi(argv[6]) : 4, V = argc > 7 ? atoi(argv[7]) : 32;
	rf_gpt_config cfg = {V, T, C, L, NH, 4 * C, 0};
	rf_gpt *m;
	rf_pool *pool;
	rf_gpt_cache *cache;
	if (rf_gpt_new(&m, &cfg) || rf_gpt_init(m, 1) || rf_pool_new(&pool, threads) ||
	    rf_gpt_cache_new(&cache, m, B)) {
		fprintf(stderr, "bench_model: %s\n", rf_error_last());
		return 3;
	}
	size_t N = (size_t)B * T;
	int32_t *tok = malloc(N * sizeof *tok), *tgt = malloc(N * sizeof *tgt);
	float *lp = malloc(N * sizeof *lp), *dl = malloc(N * sizeof *dl);
	float *logits = malloc((size_t)B * V * sizeof *logits);
	int32_t *col = malloc((size_t)B * sizeof *col);
	for (size_t i = 0; i < N; i++) {
		tok[i] = (int32_t)(i * 7 % (size_t)V);
		tgt[i] = (int32_t)((i * 7 + 3) % (size_t)V);
		dl[i] = 1.0f / (float)N;
	}
	/* training step */
	double best_train = 1e30, best_train_cpu = 1e30;
	for (int it = 0; it < 6; it++) {
		double t0 = now(), c0 = cpu();
		rf_gpt_forward(m, pool, tok, B, T);
		rf_gpt_token_logprobs(m, pool, tgt, lp);
		rf_gpt_zero_grad(m);
		rf_gpt_backward(m, pool, dl);
		rf_gpt_clip_grad(m, 1.0f);
		rf_gpt_adamw_step(m, pool, 1e-4f, 0.9f, 0.95f, 1e-8f, 0.1f, it + 1);
		double dt = now() - t0, dc = cpu() - c0;
		if (it > 0 && dt < best_train)
			best_train = dt;
		if (it > 0 && dc < best_train_cpu)
			best_train_cpu = dc;
	}
	/* sampling: B sequences of T tokens, each step's token drawn from the
	 * softmax with Philox uniforms, as the trainer does */
	double best_dec = 1e30, best_dec_cpu = 1e30;
	for (int it = 0; it < 4; it++) {
		double t0 = now(), c0 = cpu();
		for (int b = 0; b < B; b++)
			col[b] = 1;
		for (int pos = 0; pos < T; pos++) {
			rf_gpt_decode_step(m, cache, pool, col, pos, logits);
			for (int b = 0; b < B; b++) {
				const float *lg = logits + (size_t)b * V;
				float mx = lg[0], s = 0, acc = 0;
				for (int v = 1; v < V; v++)
					mx = lg[v] > mx ? lg[v] : mx;
				for (int v = 0; v < V; v++)
					s += expf(lg[v] - mx);
				uint32_t ctr[4] = {(uint32_t)b, (uint32_t)pos, 0, 0}, key[2] = {1, 0}, r[4];
				rf_philox4x32(ctr, key, r);
				float u = rf_philox_uniform(r[0]) * s;
				int pick = V - 1;
				for (int v = 0; v < V; v++) {
					acc += expf(lg[v] - mx);
					if (u < acc) {
						pick = v;
						break;
					}
				}
				col[b] = pick;
			}
		}
		double dt = now() - t0, dc = cpu() - c0;
		if (it > 0 && dt < best_dec)
			best_dec = dt;
		if (it > 0 && dc < best_dec_cpu)
			best_dec_cpu = dc;
	}
	/* FLOPs actually computed: matrix products 2 flops per multiply-add;
	 * causal attention scores and mixing over t2 <= t; backward = 2x. */
	double F = 4.0 * C;
	double mat = 2.0 * ((double)L * (3.0 * C * C + C * C + 2.0 * C * F) + (double)V * C);
	double attn_fwd = 2.0 * 2.0 * (double)B * C * ((double)T * (T + 1) / 2.0) * L;
	double train_flops = 3.0 * (mat * (double)N + attn_fwd);
	double dec_flops = mat * (double)N + attn_fwd; /* same rows, causal */
	printf("{\"impl\":\"referee\",\"threads\":%d,\"B\":%d,\"T\":%d,\"C\":%d,\"L\":%d,"
	       "\"NH\":%d,\"V\":%d,\"params\":%zu,\"train_step_s\":%.6f,"
	       "\"train_tok_s\":%.1f,\"train_gflops\":%.2f,\"train_cpu_s\":%.6f,"
	       "\"sample_s\":%.6f,\"sample_tok_s\":%.1f,\"sample_gflops\":%.2f,"
	       "\"sample_cpu_s\":%.6f}\n",
	       threads, B, T, C, L, NH, V, rf_gpt_num_params(m), best_train,
	       (double)N / best_train, train_flops / best_train * 1e-9, best_train_cpu,
	       best_dec, (double)N / best_dec, dec_flops / best_dec * 1e-9, best_dec_cpu);
	free(tok);
	free(tgt);
	free(lp);
	free(dl);
	free(logits);
	free(col);
	rf_gpt_cache_free(cache);
	rf_pool_free(pool);
	rf_gpt_free(m);
	return 0;
}
