/* Benchmark driver: one GRPO step of the replay's policy model, on the CPU
 * backend or the CUDA backend, timed as (1) sampling G completions for each
 * prompt with the KV cache and (2) the update: old-policy and reference
 * log-probs, the clipped-ratio + k3-KL loss, backward, clipping, AdamW.
 * tests/gpu/torch_grpo_bench.py runs the same model and step in PyTorch.
 * Prints one JSON line; the params digest makes runs comparable.
 *
 *   bench_gpt --device cpu|cuda[:N] [--module PATH] [--threads N]
 *             [--vocab V --d-model C --layers L --heads H --ff F]
 *             [--prompts P --group G --prompt-len TP --gen-len TG]
 *             [--steps S --warmup W --seed X]
 * The CUDA module: --module, else REFEREE_CUDA_MODULE, else next to this
 * program or in LIBDIR. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "referee/referee.h"
#include "replay/backend.h"
#include "replay/gpt.h"
#include "replay/philox.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int die(const char *what)
{
	int st = rf_error_exit_status(rf_error_last_code());
	fprintf(stderr, "bench_gpt: %s: %s\n", what, rf_error_last());
	return st ? st : 3;
}

static uint32_t rnd(uint64_t seed, uint32_t a, uint32_t b, uint32_t c)
{
	const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
	uint32_t ctr[4] = {a, b, c, 0x62656e63u /* "benc" */}, out[4];
	rf_philox4x32(ctr, key, out);
	return out[0];
}

/* Sample from softmax(logits) with one uniform (inverse CDF, in order). */
static int32_t sample(const float *lg, int V, float u)
{
	float mx = lg[0], z = 0.0f, acc = 0.0f;
	for (int v = 1; v < V; v++)
		if (lg[v] > mx)
			mx = lg[v];
	for (int v = 0; v < V; v++)
		z += expf(lg[v] - mx);
	for (int v = 0; v < V; v++) {
		acc += expf(lg[v] - mx) / z;
		if (u < acc)
			return v;
	}
	return V - 1;
}

int main(int argc, char **argv)
{
	const char *device = "cpu", *module = NULL;
	int threads = 0, V = 64, C = 256, L = 4, NH = 8, F = 1024;
	int NP = 16, G = 8, TP = 16, TG = 48, steps = 3, warmup = 1;
	uint64_t seed = 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		long n = v ? strtol(v, NULL, 10) : 0;
		if (!v) {
			fprintf(stderr, "bench_gpt: option '%s' needs a value\n", a);
			return 2;
		}
		i++;
		if (!strcmp(a, "--device"))
			device = v;
		else if (!strcmp(a, "--module"))
			module = v;
		else if (!strcmp(a, "--threads"))
			threads = (int)n;
		else if (!strcmp(a, "--vocab"))
			V = (int)n;
		else if (!strcmp(a, "--d-model"))
			C = (int)n;
		else if (!strcmp(a, "--layers"))
			L = (int)n;
		else if (!strcmp(a, "--heads"))
			NH = (int)n;
		else if (!strcmp(a, "--ff"))
			F = (int)n;
		else if (!strcmp(a, "--prompts"))
			NP = (int)n;
		else if (!strcmp(a, "--group"))
			G = (int)n;
		else if (!strcmp(a, "--prompt-len"))
			TP = (int)n;
		else if (!strcmp(a, "--gen-len"))
			TG = (int)n;
		else if (!strcmp(a, "--steps"))
			steps = (int)n;
		else if (!strcmp(a, "--warmup"))
			warmup = (int)n;
		else if (!strcmp(a, "--seed"))
			seed = (uint64_t)n;
		else {
			fprintf(stderr, "bench_gpt: unknown option '%s'\n", a);
			return 2;
		}
	}
	if (!module)
		module = getenv("REFEREE_CUDA_MODULE"); /* as referee replay */
	if (NP < 1 || G < 2 || TP < 1 || TG < 1 || steps < 1 || warmup < 0) {
		fprintf(stderr, "bench_gpt: bad sizes\n");
		return 2;
	}

	rf_device_kind kind;
	int index = 0;
	rf_backend *be = NULL;
	rf_pool *pool = NULL;
	rf_gpt *pol = NULL, *ref = NULL;
	rf_gpt_config cfg = {V, TP + TG, C, L, NH, F, 1};
	if (rf_device_parse(device, &kind, &index))
		return die("device");
	if (rf_pool_new(&pool, threads))
		return die("threads");
	if (rf_gpt_new(&pol, &cfg) || rf_gpt_new(&ref, &cfg) ||
	    rf_gpt_init(pol, seed) || rf_gpt_copy_params(ref, pol))
		return die("model");
	if (kind == RF_DEVICE_CUDA) {
		if (rf_backend_open(&be, kind, module) ||
		    rf_gpt_to_device(pol, be, index) || rf_gpt_to_device(ref, be, index))
			return die("cuda");
	}

	const int S = NP * G, T = TP + TG, N = S * T;
	int32_t *seq = calloc((size_t)N, sizeof *seq), *tgt = calloc((size_t)N, sizeof *tgt);
	int32_t *step_tok = calloc((size_t)S, sizeof *step_tok);
	float *lg = calloc((size_t)S * V, sizeof *lg);
	float *old = calloc((size_t)N, sizeof *old), *lpr = calloc((size_t)N, sizeof *lpr);
	float *lp = calloc((size_t)N, sizeof *lp), *dl = calloc((size_t)N, sizeof *dl);
	float *adv = calloc((size_t)S, sizeof *adv), *rew = calloc((size_t)S, sizeof *rew);
	if (!seq || !tgt || !step_tok || !lg || !old || !lpr || !lp || !dl || !adv || !rew) {
		fprintf(stderr, "bench_gpt: out of memory\n");
		return 3;
	}
	double t_sample = 0.0, t_train = 0.0, loss_sum = 0.0;
	const float eps_clip = 0.2f, beta = 0.04f;

	for (int it = 0; it < warmup + steps; it++) {
		double t0 = now();
		/* prompts: G copies of each */
		for (int p = 0; p < NP; p++)
			for (int t = 0; t < TP; t++) {
				int32_t tok = (int32_t)(rnd(seed, (uint32_t)it, (uint32_t)p, (uint32_t)t) % (uint32_t)V);
				for (int g = 0; g < G; g++)
					seq[(size_t)(p * G + g) * T + t] = tok;
			}
		rf_gpt_cache *cache = NULL;
		if (rf_gpt_cache_new(&cache, pol, S))
			return die("cache");
		for (int t = 0; t < T - 1; t++) {
			for (int s = 0; s < S; s++)
				step_tok[s] = seq[(size_t)s * T + t];
			if (rf_gpt_decode_step(pol, cache, pool, step_tok, t, lg))
				return die("decode");
			if (t + 1 < TP)
				continue; /* still reading the prompt */
			for (int s = 0; s < S; s++) {
				uint32_t r = rnd(seed ^ 0x5a5a5a5aull, (uint32_t)it,
						 (uint32_t)s, (uint32_t)(t + 1));
				seq[(size_t)s * T + t + 1] =
					sample(lg + (size_t)s * V, V, rf_philox_uniform(r));
			}
		}
		rf_gpt_cache_free(cache);
		double t1 = now();

		/* a rule reward: how many generated tokens continue the count
		 * prompt[0], prompt[0]+1, ... (mod V) */
		for (int s = 0; s < S; s++) {
			int hit = 0;
			for (int t = TP; t < T; t++)
				hit += seq[(size_t)s * T + t] == (seq[(size_t)s * T] + t - TP + 1) % V;
			rew[s] = (float)hit / (float)TG;
		}
		for (int p = 0; p < NP; p++) {
			double m = 0.0, v = 0.0;
			for (int g = 0; g < G; g++)
				m += rew[p * G + g];
			m /= G;
			for (int g = 0; g < G; g++)
				v += (rew[p * G + g] - m) * (rew[p * G + g] - m);
			double sd = sqrt(v / (G - 1));
			for (int g = 0; g < G; g++)
				adv[p * G + g] = (float)((rew[p * G + g] - m) / (sd + 1e-4));
		}
		for (int n = 0; n < N; n++) {
			int t = n % T;
			tgt[n] = (t >= TP - 1 && t < T - 1) ? seq[n + 1] : -1;
		}
		/* old policy and reference log-probs (no gradient needed) */
		if (rf_gpt_forward(pol, pool, seq, S, T) ||
		    rf_gpt_token_logprobs(pol, pool, tgt, old) ||
		    rf_gpt_forward(ref, pool, seq, S, T) ||
		    rf_gpt_token_logprobs(ref, pool, tgt, lpr))
			return die("logprobs");
		/* the policy pass with gradient */
		if (rf_gpt_forward(pol, pool, seq, S, T) ||
		    rf_gpt_token_logprobs(pol, pool, tgt, lp))
			return die("forward");
		double loss = 0.0;
		const float inv = 1.0f / (float)(S * TG);
		for (int n = 0; n < N; n++) {
			dl[n] = 0.0f;
			if (tgt[n] < 0)
				continue;
			float A = adv[n / T], r = expf(lp[n] - old[n]);
			float rc = fminf(fmaxf(r, 1.0f - eps_clip), 1.0f + eps_clip);
			float obj = fminf(r * A, rc * A);
			float dr = lpr[n] - lp[n], kl = expf(dr) - dr - 1.0f;
			loss += (double)(-obj + beta * kl) * inv;
			int clipped = r * A > rc * A;
			dl[n] = ((clipped ? 0.0f : -A * r) + beta * (1.0f - expf(dr))) * inv;
		}
		loss_sum += loss;
		rf_gpt_zero_grad(pol);
		if (rf_gpt_backward(pol, pool, dl))
			return die("backward");
		if (!isfinite(rf_gpt_clip_grad(pol, 1.0f)))
			return die("clip");
		if (rf_gpt_adamw_step(pol, pool, 1e-4f, 0.9f, 0.95f, 1e-8f, 0.01f, it + 1))
			return die("adamw");
		if (rf_gpt_synchronize(pol))
			return die("sync");
		double t2 = now();
		if (it >= warmup) {
			t_sample += t1 - t0;
			t_train += t2 - t1;
		}
	}

	/* FNV-1a over the final parameters: equal runs, equal digests */
	const float *pp = rf_gpt_params(pol);
	if (!pp)
		return die("params");
	uint64_t h = 1469598103934665603ull;
	const unsigned char *b = (const unsigned char *)pp;
	for (size_t i = 0; i < rf_gpt_num_params(pol) * sizeof(float); i++)
		h = (h ^ b[i]) * 1099511628211ull;
	/* matmul FLOPs per token of one forward: qkv, proj, fc, proj, head */
	double flops_fwd = 2.0 * ((double)L * (4.0 * C * C + 2.0 * C * F) + (double)V * C);
	printf("{\"impl\": \"referee\", \"device\": \"%s\", \"threads\": %d, "
	       "\"params\": %zu, \"sequences\": %d, \"prompt_len\": %d, \"gen_len\": %d, "
	       "\"steps\": %d, \"sample_s\": %.4f, \"train_s\": %.4f, "
	       "\"tokens_per_s\": %.1f, \"steps_per_s\": %.4f, "
	       "\"train_gflops\": %.1f, \"mean_loss\": %.6f, \"params_fnv64\": \"%016llx\"}\n",
	       device, rf_pool_threads(pool), rf_gpt_num_params(pol), S, TP, TG, steps,
	       t_sample, t_train, (double)S * TG * steps / t_sample,
	       steps / (t_sample + t_train),
	       /* 3 forwards + backward (2x forward) per step, matmuls only */
	       5.0 * flops_fwd * N * steps / t_train / 1e9, loss_sum / (warmup + steps),
	       (unsigned long long)h);
	rf_gpt_free(pol);
	rf_gpt_free(ref);
	rf_backend_free(be);
	rf_pool_free(pool);
	free(seq);
	free(tgt);
	free(step_tok);
	free(lg);
	free(old);
	free(lpr);
	free(lp);
	free(dl);
	free(adv);
	free(rew);
	return 0;
}
