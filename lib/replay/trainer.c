/* The replay run: a supervised warm-start, then GRPO (sample G completions
 * per prompt with the KV cache, reward them by rule, group advantages,
 * clipped-ratio loss with a k3 KL to a periodically refreshed reference,
 * AdamW), with held-out evaluations, a JSONL log and a checkpoint.  Every
 * random draw is keyed by position, so results never depend on threads. */
#include <jansson.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "referee/error.h"
#include "referee/file.h"
#include "referee/manifest.h"
#include "referee/path.h"
#include "referee/pool.h"
#include "referee/replay.h"
#include "replay/backend.h"
#include "replay/gpt.h"
#include "replay/grpo.h"
#include "replay/replay_ckpt.h"
#include "replay/replay_run.h"
#include "replay/task.h"

/* RNG streams: every draw is (seed, stream, index, n). */
enum { STREAM_EVAL = 1, STREAM_SFT = 2, STREAM_TRAIN = 3, STREAM_SAMPLE = 4 };

#define EVAL_CHUNK 256

typedef struct trainer {
	const rf_replay_recipe *r;
	const rf_replay_options *opt;
	const char *out_dir;
	rf_pool *pool;
	rf_backend *be; /* set: the models live on this backend's device */
	int dev_index;
	rf_gpt *policy, *ref;
	int plen, maxlen, amax, V;
	rf_task_item *eval;
	uint64_t *eval_keys; /* sorted */
	int neval;
	rf_buf log;
	int adam_t;
	/* sampling buffers, sized for the larger of the GRPO batch and an
	 * evaluation chunk */
	int cap_rows;
	int32_t *seq;  /* [rows, plen + maxlen] */
	int *clen;     /* completion length incl. EOS when emitted */
	float *logits; /* [rows, V] */
	int32_t *feed; /* [rows] */
	/* training buffers */
	int32_t *targets;
	float *logp, *old, *reflp, *dlogp;
	size_t *start;
	int *len;
	double *reward, *adv;
	rf_task_item *items;
	/* checkpoints: every N GRPO steps (0: none); the index built so far;
	 * in a segment (spot-check) nothing is written and the run stops at
	 * stop_step */
	int every, stop_step, segment;
	rf_ckpt_index ix;
	char recipe_digest[65];
	/* progress */
	double t0, tlast;
	double sampled_tokens;
	double last_reward, last_kl;
} trainer;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static int is_eval(const trainer *tr, uint64_t key)
{
	return bsearch(&key, tr->eval_keys, (size_t)tr->neval,
		       sizeof *tr->eval_keys, cmp_u64) != NULL;
}

/* Training problem `idx` of `stream`, never one of the held-out problems:
 * a collision moves to another index far outside the ones in use. */
static int train_item(trainer *tr, uint32_t stream, uint64_t idx,
		      rf_task_item *it)
{
	for (uint64_t k = 0; k < 1000; k++) {
		int rc = rf_task_make(tr->r, tr->r->seed, stream,
				      idx + (k << 40), it);
		if (rc)
			return rc;
		if (!is_eval(tr, rf_task_key(it)))
			return 0;
	}
	return rf_error_set(RF_EINVAL,
			    "task: cannot draw a problem outside the held-out set "
			    "(the task is too small for eval.size)");
}

/* ---- log rows (numbers with %.9g: float-exact, stable text) ---- */

static void log_num(rf_buf *b, const char *key, double v)
{
	if (isnan(v) || isinf(v))
		rf_buf_printf(b, ",\"%s\":null", key);
	else
		rf_buf_printf(b, ",\"%s\":%.9g", key, v);
}

/* ---- sampling ---- */

typedef struct sample_ctx {
	trainer *tr;
	int rows, G, step, greedy, t;
	double temperature;
	int32_t *next;
} sample_ctx;

static void sample_rows(void *vctx, size_t begin, size_t end, int worker)
{
	sample_ctx *c = vctx;
	trainer *tr = c->tr;
	int V = tr->V;
	(void)worker;
	for (size_t b = begin; b < end; b++) {
		const float *l = tr->logits + b * (size_t)V;
		int best = 0;
		for (int v = 1; v < V; v++)
			if (l[v] > l[best])
				best = v;
		if (c->greedy) {
			c->next[b] = best;
			continue;
		}
		/* inverse CDF of softmax(l / T) with one uniform keyed by
		 * (seed, step, prompt, sample, position) */
		double tot = 0, u, acc = 0;
		double inv = 1.0 / c->temperature;
		for (int v = 0; v < V; v++)
			tot += exp(((double)l[v] - (double)l[best]) * inv);
		rf_draw d = {tr->r->seed, STREAM_SAMPLE,
			     ((uint64_t)(uint32_t)c->step << 32) |
				     (uint64_t)((b / (size_t)c->G) *
							(size_t)c->G +
						b % (size_t)c->G),
			     (uint32_t)c->t};
		u = (double)rf_draw_u32(&d) * (1.0 / 4294967296.0) * tot;
		c->next[b] = V - 1;
		for (int v = 0; v < V; v++) {
			acc += exp(((double)l[v] - (double)l[best]) * inv);
			if (u < acc) {
				c->next[b] = v;
				break;
			}
		}
	}
}

/* Decode completions for `rows` rows whose prompts are items[row / G].
 * Fills tr->seq (prompt then completion, EOS after the end) and tr->clen. */
static int sample(trainer *tr, rf_gpt_cache *cache, const rf_task_item *items,
		  int rows, int G, int step, int greedy)
{
	int S = tr->plen + tr->maxlen;
	int alive = rows;
	sample_ctx c = {tr, rows, G, step, greedy, 0, tr->r->grpo.temperature,
			tr->feed};
	int rc;
	for (int b = 0; b < rows; b++) {
		memcpy(tr->seq + (size_t)b * S, items[b / G].prompt,
		       (size_t)tr->plen * sizeof(int32_t));
		tr->clen[b] = -1;
	}
	for (int pos = 0; pos < tr->plen; pos++) {
		for (int b = 0; b < rows; b++)
			tr->feed[b] = tr->seq[(size_t)b * S + pos];
		rc = rf_gpt_decode_step(tr->policy, cache, tr->pool, tr->feed,
					pos, tr->logits);
		if (rc)
			return rc;
	}
	for (int t = 0; t < tr->maxlen; t++) {
		c.t = t;
		rf_pool_for(tr->pool, (size_t)rows, 4, sample_rows, &c);
		alive = 0;
		for (int b = 0; b < rows; b++) {
			int32_t *s = tr->seq + (size_t)b * S;
			if (tr->clen[b] >= 0) {
				tr->feed[b] = RF_TOK_EOS;
				s[tr->plen + t] = RF_TOK_EOS;
				continue;
			}
			s[tr->plen + t] = tr->feed[b];
			if (tr->feed[b] == RF_TOK_EOS)
				tr->clen[b] = t + 1;
			else
				alive++;
		}
		if (!alive || t + 1 == tr->maxlen)
			break;
		rc = rf_gpt_decode_step(tr->policy, cache, tr->pool, tr->feed,
					tr->plen + t, tr->logits);
		if (rc)
			return rc;
	}
	for (int b = 0; b < rows; b++) {
		if (tr->clen[b] < 0)
			tr->clen[b] = tr->maxlen;
		/* tokens/s reports GRPO sampling, not evaluation */
		if (!greedy)
			tr->sampled_tokens += tr->clen[b];
	}
	return 0;
}

/* ---- evaluation: greedy decoding on the held-out problems ---- */

static int evaluate(trainer *tr, rf_gpt_cache *cache, int step, double *acc,
		    double *rew)
{
	double nc = 0, nr = 0, nf = 0, nl = 0;
	int S = tr->plen + tr->maxlen;
	/* the cache decodes a fixed number of rows: the last chunk is padded
	 * with copies of its last problem, which are not scored */
	int chunk = tr->neval < EVAL_CHUNK ? tr->neval : EVAL_CHUNK;
	rf_task_item *pad = NULL;
	int rc = 0;
	for (int i0 = 0; i0 < tr->neval; i0 += chunk) {
		int rows = tr->neval - i0 < chunk ? tr->neval - i0 : chunk;
		const rf_task_item *its = tr->eval + i0;
		if (rows < chunk) {
			pad = malloc((size_t)chunk * sizeof *pad);
			if (!pad)
				return rf_error_set(RF_ENOMEM, "out of memory");
			for (int b = 0; b < chunk; b++)
				pad[b] = tr->eval[i0 + (b < rows ? b : rows - 1)];
			its = pad;
		}
		rc = sample(tr, cache, its, chunk, 1, 0, 1);
		if (rc)
			break;
		for (int b = 0; b < rows; b++) {
			int ok, fmt;
			nr += rf_task_reward(tr->r, &tr->eval[i0 + b],
					     tr->seq + (size_t)b * S + tr->plen,
					     tr->clen[b], &ok, &fmt);
			nc += ok;
			nf += fmt;
			nl += tr->clen[b];
		}
	}
	free(pad);
	if (rc)
		return rc;
	*acc = nc / tr->neval;
	*rew = nr / tr->neval;
	rf_buf_printf(&tr->log, "{\"type\":\"eval\",\"step\":%d", step);
	log_num(&tr->log, "accuracy", *acc);
	log_num(&tr->log, "reward_mean", *rew);
	log_num(&tr->log, "format", nf / tr->neval);
	log_num(&tr->log, "completion_len", nl / tr->neval);
	rf_buf_puts(&tr->log, "}\n");
	return 0;
}

static int report(trainer *tr, int step, double acc, double rew)
{
	rf_replay_progress p;
	double t = now_s();
	if (!tr->opt || !tr->opt->progress)
		return 0;
	p.step = step;
	p.steps = tr->r->grpo.steps;
	p.reward_mean = tr->last_reward;
	p.eval_reward = rew;
	p.accuracy = acc;
	p.kl = tr->last_kl;
	p.tokens_per_s = t > tr->tlast ? tr->sampled_tokens / (t - tr->tlast) : 0;
	p.seconds = t - tr->t0;
	tr->sampled_tokens = 0;
	tr->tlast = t;
	if (tr->opt->progress(tr->opt->progress_ctx, &p))
		return rf_error_set(RF_EINVAL, "stopped");
	return 0;
}

/* ---- the supervised warm-start ---- */

/* The warm-start's learning rate at step (1-based): a linear warm-up over
 * the first `warmup` steps, then constant or a cosine decay that reaches
 * min_lr at the last step.  Computed in double on the host and rounded
 * once to float, so every backend sees the same value. */
static float warmstart_lr(const rf_replay_recipe *r, int step)
{
	double lr = r->warmstart.lr, lo = r->warmstart.min_lr;
	int w = r->warmstart.warmup, n = r->warmstart.steps;
	if (w > 0 && step <= w)
		return (float)(lr * step / w);
	if (r->warmstart.cosine && n > w) {
		double t = (double)(step - w) / (double)(n - w);
		return (float)(lo + 0.5 * (lr - lo) * (1.0 + cos(3.14159265358979323846 * t)));
	}
	return (float)lr;
}

static int warmstart(trainer *tr)
{
	const rf_replay_recipe *r = tr->r;
	int B = r->warmstart.batch, T = tr->plen + tr->amax - 1;
	int32_t *tok = NULL, *tgt = NULL;
	float *lp = NULL, *dl = NULL;
	rf_task_item it;
	int rc = 0;

	tok = malloc((size_t)B * T * sizeof *tok);
	tgt = malloc((size_t)B * T * sizeof *tgt);
	lp = malloc((size_t)B * T * sizeof *lp);
	dl = malloc((size_t)B * T * sizeof *dl);
	if (!tok || !tgt || !lp || !dl) {
		rc = rf_error_set(RF_ENOMEM, "out of memory");
		goto out;
	}
	for (int step = 1; step <= r->warmstart.steps; step++) {
		double nll = 0, n = 0;
		float gn, lr = warmstart_lr(r, step);
		for (int b = 0; b < B; b++) {
			uint64_t idx = ((uint64_t)(step - 1) * (uint64_t)B +
					(uint64_t)b) % (uint64_t)r->warmstart.data;
			int32_t *x = tok + (size_t)b * T, *y = tgt + (size_t)b * T;
			if ((rc = train_item(tr, STREAM_SFT, idx, &it)))
				goto out;
			for (int t = 0; t < T; t++) {
				int s = t + 1 - tr->plen; /* answer index of x[t+1] */
				x[t] = t < tr->plen ? it.prompt[t]
						    : (t - tr->plen < it.answer_len
							       ? it.answer[t - tr->plen]
							       : RF_TOK_EOS);
				y[t] = (s >= 0 && s < it.answer_len) ? it.answer[s] : -1;
			}
		}
		if ((rc = rf_gpt_forward(tr->policy, tr->pool, tok, B, T)) ||
		    (rc = rf_gpt_token_logprobs(tr->policy, tr->pool, tgt, lp)))
			goto out;
		for (size_t k = 0; k < (size_t)B * T; k++)
			n += tgt[k] >= 0;
		for (size_t k = 0; k < (size_t)B * T; k++) {
			if (tgt[k] >= 0)
				nll -= lp[k];
			dl[k] = tgt[k] >= 0 ? (float)(-1.0 / n) : 0.0f;
		}
		rf_gpt_zero_grad(tr->policy);
		if ((rc = rf_gpt_backward(tr->policy, tr->pool, dl)))
			goto out;
		gn = rf_gpt_clip_grad(tr->policy, (float)r->optim.grad_clip);
		if ((rc = rf_gpt_adamw_step(tr->policy, tr->pool,
					    lr,
					    (float)r->optim.beta1,
					    (float)r->optim.beta2,
					    (float)r->optim.eps,
					    (float)r->optim.weight_decay,
					    ++tr->adam_t)))
			goto out;
		rf_buf_printf(&tr->log, "{\"type\":\"sft\",\"step\":%d", step);
		log_num(&tr->log, "loss", nll / n);
		log_num(&tr->log, "grad_norm", gn);
		if (r->warmstart.warmup || r->warmstart.cosine)
			log_num(&tr->log, "lr", lr);
		rf_buf_puts(&tr->log, "}\n");
	}
out:
	free(tok);
	free(tgt);
	free(lp);
	free(dl);
	return rc;
}

/* ---- GRPO ---- */

/* GRPO's learning rate at step (1-based): a linear warm-up over the first
 * grpo.warmup steps, then constant.  A fresh AdamW's first update moves
 * every weight by about lr whatever its gradient; on a converged warm-start
 * that alone can wreck the policy, which the warm-up avoids. */
static float grpo_lr(const rf_replay_recipe *r, int step)
{
	int w = r->grpo.warmup;
	if (w > 0 && step <= w)
		return (float)(r->grpo.lr * step / w);
	return (float)r->grpo.lr;
}

typedef struct ent_ctx {
	trainer *tr;
	double *out; /* per row: mean entropy over its completion tokens */
} ent_ctx;

static void entropy_rows(void *vctx, size_t begin, size_t end, int worker)
{
	ent_ctx *c = vctx;
	trainer *tr = c->tr;
	const float *L = rf_gpt_logits(tr->policy);
	int V = tr->V;
	(void)worker;
	for (size_t b = begin; b < end; b++) {
		double h = 0;
		for (int t = 0; t < tr->len[b]; t++) {
			const float *l = L + (tr->start[b] + (size_t)t) * (size_t)V;
			double mx = l[0], z = 0, s = 0;
			for (int v = 1; v < V; v++)
				if (l[v] > mx)
					mx = l[v];
			for (int v = 0; v < V; v++)
				z += exp((double)l[v] - mx);
			for (int v = 0; v < V; v++) {
				double lpv = (double)l[v] - mx - log(z);
				s -= exp(lpv) * lpv;
			}
			h += s;
		}
		c->out[b] = tr->len[b] ? h / tr->len[b] : 0;
	}
}

static void put_floats(rf_buf *b, const char *key, const float *v, int n)
{
	rf_buf_printf(b, ",\"%s\":[", key);
	for (int i = 0; i < n; i++)
		rf_buf_printf(b, "%s%.9g", i ? "," : "", (double)v[i]);
	rf_buf_puts(b, "]");
}

static int write_batch(trainer *tr, int step, int inner, int rows,
		       const rf_grpo_params *gp, const rf_grpo_stats *st,
		       double rmean, double rstd, const float *old)
{
	rf_buf b = RF_BUF_INIT, path = RF_BUF_INIT;
	char name[64];
	int rc;
	rf_buf_printf(&b,
		      "{\"grpo_batch\":1,\"source\":\"referee replay\",\"step\":%d,"
		      "\"inner\":%d,\"clip_eps\":%.17g,\"beta\":%.17g,"
		      "\"adv_eps\":%.17g,\"adv_std\":\"population\","
		      "\"loss_norm\":\"sequence\"}\n",
		      step, inner, gp->clip_eps, gp->beta, tr->r->grpo.adv_eps);
	for (int i = 0; i < rows; i++) {
		rf_buf_printf(&b, "{\"group\":%d,\"reward\":%.17g,\"advantage\":%.17g",
			      i / tr->r->grpo.group, tr->reward[i], tr->adv[i]);
		put_floats(&b, "logp", tr->logp + tr->start[i], tr->len[i]);
		put_floats(&b, "old_logp", old + tr->start[i], tr->len[i]);
		if (tr->ref)
			put_floats(&b, "ref_logp", tr->reflp + tr->start[i],
				   tr->len[i]);
		rf_buf_puts(&b, "}\n");
	}
	rf_buf_printf(&b, "{\"stats\":{\"loss\":%.17g", st->loss);
	if (tr->ref)
		rf_buf_printf(&b, ",\"kl\":%.17g", st->kl);
	rf_buf_printf(&b,
		      ",\"clip_frac\":%.17g,\"ratio_mean\":%.17g,\"ratio_min\":%.17g,"
		      "\"ratio_max\":%.17g,\"reward_mean\":%.17g,\"reward_std\":%.17g,"
		      "\"tokens\":%zu}}\n",
		      st->clip_frac, st->ratio_mean, st->ratio_min, st->ratio_max,
		      rmean, rstd, st->tokens);
	snprintf(name, sizeof name, "batches/step-%06d-%d.jsonl", step, inner);
	rc = rf_path_join(&path, tr->out_dir, name);
	if (!rc)
		rc = rf_file_write_atomic(path.data, b.data, b.len, 0644, 1);
	rf_buf_free(&b);
	rf_buf_free(&path);
	return rc;
}

static int grpo_step(trainer *tr, rf_gpt_cache *cache, int step)
{
	const rf_replay_recipe *r = tr->r;
	int P = r->grpo.prompts, G = r->grpo.group, rows = P * G;
	int S = tr->plen + tr->maxlen, cmax = 0, T;
	double rmean = 0, rstd = 0, acc = 0, lensum = 0;
	double loss = 0, kl = 0, clip = 0, gnorm = 0, ent = 0;
	rf_grpo_params gp = {r->grpo.clip_eps, r->grpo.beta,
			     RF_GRPO_NORM_SEQUENCE};
	rf_grpo_stats st;
	int rc;

	for (int p = 0; p < P; p++)
		if ((rc = train_item(tr, STREAM_TRAIN,
				     (uint64_t)(step - 1) * (uint64_t)P +
					     (uint64_t)p,
				     &tr->items[p])))
			return rc;
	if ((rc = sample(tr, cache, tr->items, rows, G, step, 0)))
		return rc;
	for (int b = 0; b < rows; b++) {
		int ok;
		tr->reward[b] = rf_task_reward(r, &tr->items[b / G],
					       tr->seq + (size_t)b * S + tr->plen,
					       tr->clen[b], &ok, NULL);
		acc += ok;
		lensum += tr->clen[b];
		if (tr->clen[b] > cmax)
			cmax = tr->clen[b];
		rmean += tr->reward[b];
	}
	rmean /= rows;
	for (int b = 0; b < rows; b++)
		rstd += (tr->reward[b] - rmean) * (tr->reward[b] - rmean);
	rstd = sqrt(rstd / rows);
	for (int p = 0; p < P; p++)
		rf_grpo_group_advantages(tr->reward + (size_t)p * G, (size_t)G,
					 r->grpo.adv_eps, 0,
					 tr->adv + (size_t)p * G, NULL, NULL);

	/* teacher-forced batch: input x[t] = seq[t], target seq[t+1] on the
	 * completion (through its EOS) */
	T = tr->plen + cmax - 1;
	for (int b = 0; b < rows; b++) {
		for (int t = 0; t < T; t++) {
			int32_t *s = tr->seq + (size_t)b * S;
			int c = t + 1 - tr->plen;
			tr->targets[(size_t)b * T + t] =
				(c >= 0 && c < tr->clen[b]) ? s[t + 1] : -1;
		}
		tr->start[b] = (size_t)b * T + (size_t)tr->plen - 1;
		tr->len[b] = tr->clen[b];
	}
	/* pack the inputs contiguously [rows, T] */
	{
		int32_t *in = malloc((size_t)rows * T * sizeof *in);
		if (!in)
			return rf_error_set(RF_ENOMEM, "out of memory");
		for (int b = 0; b < rows; b++)
			memcpy(in + (size_t)b * T, tr->seq + (size_t)b * S,
			       (size_t)T * sizeof *in);
		if (tr->ref) {
			rc = rf_gpt_forward(tr->ref, tr->pool, in, rows, T);
			if (!rc)
				rc = rf_gpt_token_logprobs(tr->ref, tr->pool,
							   tr->targets, tr->reflp);
			if (rc) {
				free(in);
				return rc;
			}
		}
		for (int k = 0; k < r->grpo.inner; k++) {
			float gn;
			rc = rf_gpt_forward(tr->policy, tr->pool, in, rows, T);
			if (!rc)
				rc = rf_gpt_token_logprobs(tr->policy, tr->pool,
							   tr->targets, tr->logp);
			if (rc)
				break;
			if (k == 0) {
				double *h = malloc((size_t)rows * sizeof *h);
				ent_ctx ec = {tr, h};
				if (!h) {
					rc = rf_error_set(RF_ENOMEM, "out of memory");
					break;
				}
				memcpy(tr->old, tr->logp,
				       (size_t)rows * T * sizeof(float));
				/* a device model copies its logits to the host
				 * here, once, before the threads read them */
				if (!rf_gpt_logits(tr->policy)) {
					free(h);
					rc = rf_error_last_code();
					break;
				}
				rf_pool_for(tr->pool, (size_t)rows, 4,
					    entropy_rows, &ec);
				for (int b = 0; b < rows; b++)
					ent += h[b];
				ent /= rows;
				free(h);
			}
			memset(tr->dlogp, 0, (size_t)rows * T * sizeof(float));
			rc = rf_grpo_loss(&gp, (size_t)rows, tr->start, tr->len,
					  tr->adv, tr->logp, tr->old,
					  tr->ref ? tr->reflp : NULL, &st,
					  tr->dlogp);
			if (rc)
				break;
			if (tr->opt && tr->opt->write_batches &&
			    (rc = write_batch(tr, step, k, rows, &gp, &st, rmean,
					      rstd, tr->old)))
				break;
			rf_gpt_zero_grad(tr->policy);
			if ((rc = rf_gpt_backward(tr->policy, tr->pool, tr->dlogp)))
				break;
			gn = rf_gpt_clip_grad(tr->policy, (float)r->optim.grad_clip);
			if ((rc = rf_gpt_adamw_step(tr->policy, tr->pool,
						    grpo_lr(r, step),
						    (float)r->optim.beta1,
						    (float)r->optim.beta2,
						    (float)r->optim.eps,
						    (float)r->optim.weight_decay,
						    ++tr->adam_t)))
				break;
			loss += st.loss;
			kl += st.kl;
			clip += st.clip_frac;
			gnorm += gn;
		}
		free(in);
		if (rc)
			return rc;
	}
	{
		int mu = r->grpo.inner;
		rf_buf_printf(&tr->log, "{\"type\":\"grpo\",\"step\":%d", step);
		log_num(&tr->log, "reward_mean", rmean);
		log_num(&tr->log, "reward_std", rstd);
		log_num(&tr->log, "accuracy", acc / rows);
		log_num(&tr->log, "kl", tr->ref ? kl / mu : NAN);
		log_num(&tr->log, "clip_frac", clip / mu);
		log_num(&tr->log, "entropy", ent);
		log_num(&tr->log, "completion_len", lensum / rows);
		log_num(&tr->log, "loss", loss / mu);
		log_num(&tr->log, "grad_norm", gnorm / mu);
		if (r->grpo.warmup)
			log_num(&tr->log, "lr", grpo_lr(r, step));
		rf_buf_puts(&tr->log, "}\n");
		tr->last_reward = rmean;
		tr->last_kl = tr->ref ? kl / mu : NAN;
	}
	if (tr->ref && r->grpo.ref_refresh > 0 && step % r->grpo.ref_refresh == 0)
		return rf_gpt_copy_params(tr->ref, tr->policy);
	return 0;
}

/* ---- outputs ---- */

static int sha256_hex(const void *data, size_t len, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	if (!EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) || n != 32)
		return rf_error_openssl(RF_ELIB, "sha256");
	for (unsigned i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

static int write_file(const char *dir, const char *name, const void *data,
		      size_t len)
{
	rf_buf p = RF_BUF_INIT;
	int rc = rf_path_join(&p, dir, name);
	if (!rc)
		rc = rf_file_write_atomic(p.data, data, len, 0644, 1);
	rf_buf_free(&p);
	return rc;
}

/* ---- checkpoints ---- */

/* The state after GRPO step `step`: the policy's weights, its AdamW moments
 * (none while fresh), the reference model when it is not the policy, and
 * where the log and the RNG stand.  Written to DIR/checkpoints/step-N/ with
 * the log so far and the index (so a run that dies can be resumed from its
 * last checkpoint); in a segment only digested. */
static int checkpoint(trainer *tr, int step)
{
	rf_buf bytes[RF_CKPT_NFILES] = {RF_BUF_INIT, RF_BUF_INIT, RF_BUF_INIT};
	rf_buf dir = RF_BUF_INIT, ix = RF_BUF_INIT;
	static const char *const meta[] = {"format", "referee-replay"};
	static const char *const rmeta[] = {"format", "referee-replay-reference"};
	rf_ckpt c;
	int rc;

	memset(&c, 0, sizeof c);
	c.step = step;
	c.adam_t = tr->adam_t;
	c.next_draw = (uint64_t)step + 1;
	c.log_bytes = (long long)tr->log.len;
	c.reference = tr->ref ? RF_CKPT_REF_POLICY : RF_CKPT_REF_NONE;
	if ((rc = rf_gpt_save_bytes(&bytes[RF_CKPT_MODEL], tr->policy, meta, 1)))
		goto out;
	if (tr->adam_t > 0 &&
	    (rc = rf_gpt_save_adam_bytes(&bytes[RF_CKPT_OPTIM], tr->policy,
					 tr->adam_t)))
		goto out;
	if (tr->ref) {
		const float *a = rf_gpt_params(tr->ref);
		const float *b = a ? rf_gpt_params(tr->policy) : NULL;
		if (!a || !b) {
			rc = rf_error_last_code();
			goto out;
		}
		if (memcmp(a, b, rf_gpt_num_params(tr->policy) * sizeof(float))) {
			c.reference = RF_CKPT_REF_FILE;
			if ((rc = rf_gpt_save_bytes(&bytes[RF_CKPT_REFERENCE], tr->ref,
						    rmeta, 1)))
				goto out;
		}
	}
	for (int f = 0; f < RF_CKPT_NFILES; f++)
		if (bytes[f].len &&
		    (rc = sha256_hex(bytes[f].data, bytes[f].len, c.file[f])))
			goto out;
	if (!tr->segment &&
	    (rc = sha256_hex(tr->log.data ? tr->log.data : "", tr->log.len,
			     c.log_sha256)))
		goto out;
	if ((rc = rf_ckpt_index_add(&tr->ix, &c)) || tr->segment)
		goto out;
	if ((rc = rf_ckpt_dir(&dir, tr->out_dir, step)) ||
	    (rc = rf_dir_make_parents(dir.data, 0755)))
		goto out;
	for (int f = 0; f < RF_CKPT_NFILES; f++)
		if (bytes[f].len &&
		    (rc = write_file(dir.data, rf_ckpt_file_name(f), bytes[f].data,
				     bytes[f].len)))
			goto out;
	if ((rc = write_file(tr->out_dir, "log.jsonl", tr->log.data ? tr->log.data : "",
			     tr->log.len)) ||
	    (rc = rf_ckpt_index_bytes(&ix, &tr->ix)) ||
	    (rc = write_file(tr->out_dir, "checkpoints/index.json", ix.data, ix.len)))
		goto out;
out:
	for (int f = 0; f < RF_CKPT_NFILES; f++)
		rf_buf_free(&bytes[f]);
	rf_buf_free(&dir);
	rf_buf_free(&ix);
	return rc;
}

static int want_checkpoint(const trainer *tr, int step)
{
	return tr->every > 0 &&
	       (step % tr->every == 0 || step == tr->r->grpo.steps);
}

static int alloc_buffers(trainer *tr)
{
	const rf_replay_recipe *r = tr->r;
	int rows = r->grpo.prompts * r->grpo.group;
	int S = tr->plen + tr->maxlen;
	size_t BT;
	tr->cap_rows = rows > EVAL_CHUNK ? rows : EVAL_CHUNK;
	BT = (size_t)rows * (size_t)S;
	tr->seq = calloc((size_t)tr->cap_rows * S, sizeof *tr->seq);
	tr->clen = calloc((size_t)tr->cap_rows, sizeof *tr->clen);
	tr->logits = calloc((size_t)tr->cap_rows * tr->V, sizeof *tr->logits);
	tr->feed = calloc((size_t)tr->cap_rows, sizeof *tr->feed);
	tr->targets = calloc(BT, sizeof *tr->targets);
	tr->logp = calloc(BT, sizeof *tr->logp);
	tr->old = calloc(BT, sizeof *tr->old);
	tr->reflp = calloc(BT, sizeof *tr->reflp);
	tr->dlogp = calloc(BT, sizeof *tr->dlogp);
	tr->start = calloc((size_t)rows, sizeof *tr->start);
	tr->len = calloc((size_t)rows, sizeof *tr->len);
	tr->reward = calloc((size_t)rows, sizeof *tr->reward);
	tr->adv = calloc((size_t)rows, sizeof *tr->adv);
	tr->items = calloc((size_t)r->grpo.prompts, sizeof *tr->items);
	if (!tr->seq || !tr->clen || !tr->logits || !tr->feed || !tr->targets ||
	    !tr->logp || !tr->old || !tr->reflp || !tr->dlogp || !tr->start ||
	    !tr->len || !tr->reward || !tr->adv || !tr->items)
		return rf_error_set(RF_ENOMEM, "out of memory");
	return 0;
}

static void free_buffers(trainer *tr)
{
	free(tr->seq);
	free(tr->clen);
	free(tr->logits);
	free(tr->feed);
	free(tr->targets);
	free(tr->logp);
	free(tr->old);
	free(tr->reflp);
	free(tr->dlogp);
	free(tr->start);
	free(tr->len);
	free(tr->reward);
	free(tr->adv);
	free(tr->items);
	free(tr->eval);
	free(tr->eval_keys);
}

/* The canonical digest of the recipe text (stable under comments and
 * formatting); "" without a text. */
static int recipe_digest(char out[65], const rf_replay_options *opt)
{
	rf_manifest *m = NULL;
	int rc = 0;
	out[0] = '\0';
	if (!opt || !opt->recipe_text)
		return 0;
	if (!rf_manifest_parse(&m, "recipe.yaml", opt->recipe_text,
			       opt->recipe_len, NULL))
		rc = rf_manifest_digest(out, m);
	rf_manifest_free(m);
	if (rc)
		out[0] = '\0';
	return 0;
}

/* Reading the last evaluation row of the log (a run resumed at its last
 * step evaluates nothing more, yet its summary names the final figures). */
static void last_eval(const rf_buf *log, double *acc, double *rew)
{
	size_t end = log->len;
	while (end > 0) {
		size_t b = end - 1;
		while (b > 0 && log->data[b - 1] != '\n')
			b--;
		if (end - b > 16 && !memcmp(log->data + b, "{\"type\":\"eval\"", 14)) {
			json_t *o = json_loadb(log->data + b, end - b, 0, NULL);
			json_t *a = json_object_get(o, "accuracy"),
			       *w = json_object_get(o, "reward_mean");
			if (json_is_number(a) && json_is_number(w)) {
				*acc = json_number_value(a);
				*rew = json_number_value(w);
			}
			json_decref(o);
			return;
		}
		end = b;
	}
}

/* Put the state of checkpoint `c` of `dir` into the models and the log. */
static int load_state(trainer *tr, const char *dir, const rf_ckpt *c,
		      const rf_gpt_config *cfg)
{
	rf_buf b = RF_BUF_INIT, p = RF_BUF_INIT;
	char hex[65];
	int rc, t = 0;
	const rf_replay_recipe *r = tr->r;

	if (c->reference == RF_CKPT_REF_NONE ? r->grpo.beta > 0
					     : !(r->grpo.beta > 0))
		return rf_error_set(RF_EFORMAT,
				    "checkpoint at step %d: its reference model "
				    "(\"%s\") does not fit the recipe's kl-coef",
				    c->step, c->reference ? "present" : "none");
	if (c->adam_t != c->step * r->grpo.inner)
		return rf_error_set(RF_EFORMAT,
				    "checkpoint at step %d: %d AdamW steps, the "
				    "recipe makes %d",
				    c->step, c->adam_t, c->step * r->grpo.inner);
	if ((rc = rf_ckpt_read_file(&b, dir, c, RF_CKPT_MODEL)) ||
	    (rc = rf_gpt_load_bytes(tr->policy, b.data, b.len, "model.safetensors")))
		goto out;
	if (c->adam_t > 0 &&
	    ((rc = rf_ckpt_read_file(&b, dir, c, RF_CKPT_OPTIM)) ||
	     (rc = rf_gpt_load_adam_bytes(tr->policy, b.data, b.len,
					  "optimizer.safetensors", &t))))
		goto out;
	if (t != c->adam_t) {
		rc = rf_error_set(RF_EFORMAT,
				  "checkpoint at step %d: optimizer.safetensors is "
				  "at AdamW step %d, the index says %d",
				  c->step, t, c->adam_t);
		goto out;
	}
	tr->adam_t = c->adam_t;
	if (r->grpo.beta > 0) {
		if ((rc = rf_gpt_new(&tr->ref, cfg)) ||
		    (tr->be && (rc = rf_gpt_to_device(tr->ref, tr->be, tr->dev_index))))
			goto out;
		if (c->reference == RF_CKPT_REF_POLICY)
			rc = rf_gpt_copy_params(tr->ref, tr->policy);
		else if (!(rc = rf_ckpt_read_file(&b, dir, c, RF_CKPT_REFERENCE)))
			rc = rf_gpt_load_bytes(tr->ref, b.data, b.len,
					       "reference.safetensors");
		if (rc)
			goto out;
	}
	if (tr->segment)
		goto out;
	/* the log up to the checkpoint, as its index entry says */
	rf_buf_clear(&b);
	if ((rc = rf_path_join(&p, dir, "log.jsonl")) ||
	    (rc = rf_file_read(&b, p.data, (size_t)256 << 20)))
		goto out;
	if ((long long)b.len < c->log_bytes ||
	    (rc = sha256_hex(b.data ? b.data : "", (size_t)c->log_bytes, hex)) ||
	    strcmp(hex, c->log_sha256)) {
		rc = rc ? rc
			: rf_error_set(RF_EFORMAT,
				       "'%s': its first %lld bytes are not the log "
				       "the checkpoint at step %d was made with",
				       p.data, c->log_bytes, c->step);
		goto out;
	}
	rf_buf_clear(&tr->log);
	rc = rf_buf_append(&tr->log, b.data, (size_t)c->log_bytes);
out:
	rf_buf_free(&b);
	rf_buf_free(&p);
	return rc;
}

/* A resumed run's output holds the checkpoints before its start as the
 * uninterrupted run would: copied, each file checked against the index. */
static int copy_checkpoints(trainer *tr, const char *dir,
			    const rf_ckpt_index *ix, int before)
{
	rf_buf b = RF_BUF_INIT, d = RF_BUF_INIT;
	int rc = 0;
	for (size_t i = 0; i < ix->n && !rc && ix->at[i].step < before; i++) {
		const rf_ckpt *c = &ix->at[i];
		if ((rc = rf_ckpt_dir(&d, tr->out_dir, c->step)) ||
		    (rc = rf_dir_make_parents(d.data, 0755)))
			break;
		for (int f = 0; f < RF_CKPT_NFILES && !rc; f++)
			if (c->file[f][0] &&
			    !(rc = rf_ckpt_read_file(&b, dir, c, f)))
				rc = write_file(d.data, rf_ckpt_file_name(f), b.data,
						b.len);
		if (!rc)
			rc = rf_ckpt_index_add(&tr->ix, c);
	}
	rf_buf_free(&b);
	rf_buf_free(&d);
	return rc;
}

int rf_replay_run_span(const rf_replay_recipe *r, const char *out_dir,
		       const rf_replay_options *opt, const rf_replay_span *sp)
{
	trainer tr;
	rf_gpt_config cfg;
	rf_gpt_cache *gcache = NULL, *ecache = NULL;
	rf_buf ckpt = RF_BUF_INIT, sum = RF_BUF_INIT, ixb = RF_BUF_INIT;
	char wdig[65], ldig[65], ixdig[65];
	static const char *const meta[] = {"format", "referee-replay"};
	double acc0 = NAN, accN = NAN, rew = NAN;
	const rf_ckpt *from = sp ? sp->from : NULL;
	int threads, rc, first;

	if ((rc = rf_replay_recipe_check(r)))
		return rc;
	memset(&tr, 0, sizeof tr);
	tr.r = r;
	tr.opt = opt;
	tr.out_dir = out_dir;
	tr.plen = rf_task_prompt_len(r);
	tr.amax = rf_task_answer_max(r);
	tr.maxlen = rf_replay_max_len(r);
	tr.V = RF_TOK_VOCAB;
	tr.last_reward = NAN;
	tr.last_kl = NAN;
	tr.t0 = tr.tlast = now_s();
	tr.every = opt ? opt->checkpoint_every : 0;
	tr.segment = sp && sp->segment;
	tr.stop_step = sp && sp->segment ? sp->stop_step : r->grpo.steps;
	tr.ix.accuracy_after_warmstart = NAN;
	tr.ix.seed = r->seed;
	threads = opt && opt->threads > 0 ? opt->threads : r->threads;
	if (tr.every < 0 || (from && tr.every <= 0) ||
	    tr.stop_step < (from ? from->step : 0) || tr.stop_step > r->grpo.steps)
		return rf_error_set(RF_EINVAL, "replay: bad checkpoint span");
	if ((rc = recipe_digest(tr.recipe_digest, opt)))
		return rc;
	memcpy(tr.ix.recipe_digest, tr.recipe_digest, sizeof tr.recipe_digest);
	tr.ix.every = tr.every;
	if (from && sp->from_ix && strcmp(sp->from_ix->recipe_digest, tr.recipe_digest))
		return rf_error_set(RF_EFORMAT,
				    "the checkpoints were made with another recipe "
				    "(digest %.16s..., this recipe's %.16s...)",
				    sp->from_ix->recipe_digest, tr.recipe_digest);
	if (from && sp->from_ix && sp->from_ix->seed != r->seed)
		return rf_error_set(RF_EFORMAT,
				    "the checkpoints were made with seed %llu, the "
				    "recipe's is %llu",
				    (unsigned long long)sp->from_ix->seed,
				    (unsigned long long)r->seed);

	/* the device first: a missing GPU fails before anything is written */
	if (opt && opt->device) {
		rf_device_kind kind;
		if ((rc = rf_device_parse(opt->device, &kind, &tr.dev_index)))
			goto out;
		if (kind != RF_DEVICE_CPU &&
		    ((rc = rf_backend_open(&tr.be, kind, opt->module_path)) ||
		     (rc = rf_backend_device_check(tr.be, tr.dev_index, NULL, 0))))
			goto out;
	}
	if (!tr.segment && (rc = rf_dir_make_parents(out_dir, 0755)))
		goto out;
	if (!tr.segment && opt && opt->write_batches) {
		rf_buf p = RF_BUF_INIT;
		rc = rf_path_join(&p, out_dir, "batches");
		if (!rc)
			rc = rf_dir_make_parents(p.data, 0755);
		rf_buf_free(&p);
		if (rc)
			goto out;
	}
	if ((rc = rf_pool_new(&tr.pool, threads)))
		goto out;
	cfg.vocab = tr.V;
	cfg.max_seq = tr.plen + tr.maxlen;
	cfg.d_model = r->model.d_model;
	cfg.n_layer = r->model.n_layer;
	cfg.n_head = r->model.n_head;
	cfg.d_ff = r->model.d_ff;
	cfg.tied = r->model.tied;
	if ((rc = rf_gpt_new(&tr.policy, &cfg)) ||
	    (!from && (rc = rf_gpt_init(tr.policy, r->seed))) ||
	    (tr.be && (rc = rf_gpt_to_device(tr.policy, tr.be, tr.dev_index))))
		goto out;
	if ((rc = alloc_buffers(&tr)))
		goto out;

	/* the held-out set: its own stream, drawn first */
	tr.neval = r->eval.size;
	tr.eval = calloc((size_t)tr.neval, sizeof *tr.eval);
	tr.eval_keys = calloc((size_t)tr.neval, sizeof *tr.eval_keys);
	if (!tr.eval || !tr.eval_keys) {
		rc = rf_error_set(RF_ENOMEM, "out of memory");
		goto out;
	}
	for (int i = 0; i < tr.neval; i++) {
		if ((rc = rf_task_make(r, r->seed, STREAM_EVAL, (uint64_t)i,
				       &tr.eval[i])))
			goto out;
		tr.eval_keys[i] = rf_task_key(&tr.eval[i]);
	}
	qsort(tr.eval_keys, (size_t)tr.neval, sizeof *tr.eval_keys, cmp_u64);

	if (from) {
		/* resume: the state of the checkpoint, the log up to it, and (for
		 * a full run) the checkpoints before it; the checkpoint itself
		 * is made again from the loaded state, so a lossy load shows as
		 * a changed digest */
		if ((rc = load_state(&tr, sp->from_dir, from, &cfg)))
			goto out;
		acc0 = accN = sp->from_ix ? sp->from_ix->accuracy_after_warmstart : NAN;
		tr.ix.accuracy_after_warmstart = acc0;
		last_eval(&tr.log, &accN, &rew);
		if (!tr.segment &&
		    ((rc = copy_checkpoints(&tr, sp->from_dir, sp->from_ix,
					    from->step)) ||
		     (rc = checkpoint(&tr, from->step))))
			goto out;
		first = from->step + 1;
	} else {
		if ((rc = warmstart(&tr)))
			goto out;
		if (r->warmstart.steps > 0) {
			/* GRPO starts its own AdamW (zero moments, t from 1), as an
			 * RL stage after supervised training does: a fresh model
			 * holding the warm-started weights */
			rf_gpt *fresh = NULL;
			if ((rc = rf_gpt_new(&fresh, &cfg)) ||
			    (tr.be &&
			     (rc = rf_gpt_to_device(fresh, tr.be, tr.dev_index))) ||
			    (rc = rf_gpt_copy_params(fresh, tr.policy))) {
				rf_gpt_free(fresh);
				goto out;
			}
			rf_gpt_free(tr.policy);
			tr.policy = fresh;
			tr.adam_t = 0;
		}
		first = 1;
	}
	if ((rc = rf_gpt_cache_new(&gcache, tr.policy,
				   r->grpo.prompts * r->grpo.group)) ||
	    (rc = rf_gpt_cache_new(&ecache, tr.policy,
				   tr.neval < EVAL_CHUNK ? tr.neval : EVAL_CHUNK)))
		goto out;
	if (!from) {
		if ((rc = evaluate(&tr, ecache, 0, &acc0, &rew)) ||
		    (rc = report(&tr, 0, acc0, rew)))
			goto out;
		accN = acc0;
		tr.ix.accuracy_after_warmstart = acc0;
		if (r->grpo.beta > 0) {
			if ((rc = rf_gpt_new(&tr.ref, &cfg)) ||
			    (tr.be &&
			     (rc = rf_gpt_to_device(tr.ref, tr.be, tr.dev_index))) ||
			    (rc = rf_gpt_copy_params(tr.ref, tr.policy)))
				goto out;
		}
		if (tr.every > 0 && (rc = checkpoint(&tr, 0)))
			goto out;
	}
	for (int step = first; step <= tr.stop_step; step++) {
		if ((rc = grpo_step(&tr, gcache, step)))
			goto out;
		if ((r->eval.every > 0 && step % r->eval.every == 0) ||
		    step == r->grpo.steps) {
			if ((rc = evaluate(&tr, ecache, step, &accN, &rew)) ||
			    (rc = report(&tr, step, accN, rew)))
				goto out;
		}
		if (want_checkpoint(&tr, step) && (rc = checkpoint(&tr, step)))
			goto out;
	}
	if (tr.segment) {
		/* a segment ends at a checkpoint: its rows and its digests */
		if (tr.every <= 0 || !tr.ix.n) {
			rc = rf_error_set(RF_EINVAL, "replay: a segment needs checkpoints");
			goto out;
		}
		*sp->end_out = tr.ix.at[tr.ix.n - 1];
		rf_buf_clear(sp->log_out);
		rc = rf_buf_append(sp->log_out, tr.log.data ? tr.log.data : "",
				   tr.log.len);
		goto out;
	}

	/* outputs: checkpoint, log, summary */
	if ((rc = rf_gpt_save_bytes(&ckpt, tr.policy, meta, 1)) ||
	    (rc = sha256_hex(ckpt.data, ckpt.len, wdig)) ||
	    (rc = sha256_hex(tr.log.data ? tr.log.data : "", tr.log.len, ldig)))
		goto out;
	if ((rc = write_file(out_dir, "model.safetensors", ckpt.data, ckpt.len)) ||
	    (rc = write_file(out_dir, "log.jsonl", tr.log.data ? tr.log.data : "",
			     tr.log.len)))
		goto out;
	if (opt && opt->recipe_text &&
	    (rc = write_file(out_dir, "recipe.yaml", opt->recipe_text,
			     opt->recipe_len)))
		goto out;
	rf_buf_printf(&sum,
		      "{\n  \"format\": \"referee-replay-summary\",\n"
		      "  \"version\": 1,\n"
		      "  \"weights_sha256\": \"%s\",\n"
		      "  \"log_sha256\": \"%s\",\n"
		      "  \"parameters\": %zu,\n"
		      "  \"grpo_steps\": %d,\n",
		      wdig, ldig, rf_gpt_num_params(tr.policy), r->grpo.steps);
	if (tr.recipe_digest[0])
		rf_buf_printf(&sum, "  \"recipe_digest\": \"%s\",\n", tr.recipe_digest);
	if (tr.every > 0) {
		if ((rc = rf_ckpt_index_bytes(&ixb, &tr.ix)) ||
		    (rc = sha256_hex(ixb.data, ixb.len, ixdig)))
			goto out;
		rf_buf_printf(&sum,
			      "  \"checkpoint_every\": %d,\n"
			      "  \"checkpoints\": %zu,\n"
			      "  \"checkpoints_index_sha256\": \"%s\",\n",
			      tr.every, tr.ix.n, ixdig);
	}
	rf_buf_printf(&sum, "  \"accuracy_after_warmstart\": %.9g,\n", acc0);
	rf_buf_printf(&sum, "  \"accuracy_final\": %.9g,\n", accN);
	rf_buf_printf(&sum, "  \"eval_reward_final\": %.9g,\n", rew);
	rf_buf_printf(&sum,
		      "  \"not_part_of_the_result\": {\"threads\": %d, "
		      "\"wall_seconds\": %.3f}\n}\n",
		      rf_pool_threads(tr.pool), now_s() - tr.t0);
	rc = write_file(out_dir, "summary.json", sum.data, sum.len);
out:
	rf_gpt_cache_free(gcache);
	rf_gpt_cache_free(ecache);
	rf_gpt_free(tr.policy);
	rf_gpt_free(tr.ref);
	rf_backend_free(tr.be);
	rf_pool_free(tr.pool);
	free_buffers(&tr);
	rf_ckpt_index_free(&tr.ix);
	rf_buf_free(&tr.log);
	rf_buf_free(&ckpt);
	rf_buf_free(&sum);
	rf_buf_free(&ixb);
	return rc;
}

int rf_replay_run(const rf_replay_recipe *r, const char *out_dir,
		  const rf_replay_options *opt)
{
	return rf_replay_run_span(r, out_dir, opt, NULL);
}

int rf_replay_resume(const rf_replay_recipe *r, const char *from_dir,
		     int step, const char *out_dir, const rf_replay_options *opt)
{
	rf_ckpt_index ix;
	rf_replay_options o;
	rf_replay_span sp;
	const rf_ckpt *c;
	int rc = rf_ckpt_index_load(&ix, from_dir, NULL);
	if (rc)
		return rc;
	if (!(c = rf_ckpt_index_find(&ix, step))) {
		rc = rf_error_set(RF_ENOTFOUND,
				  "'%s' has no checkpoint at step %d (every %d steps)",
				  from_dir, step, ix.every);
		goto out;
	}
	if (opt)
		o = *opt;
	else
		memset(&o, 0, sizeof o);
	if (o.checkpoint_every <= 0)
		o.checkpoint_every = ix.every;
	else if (o.checkpoint_every != ix.every) {
		rc = rf_error_set(RF_EINVAL,
				  "the run was checkpointed every %d steps; a resumed "
				  "run keeps that",
				  ix.every);
		goto out;
	}
	memset(&sp, 0, sizeof sp);
	sp.from_dir = from_dir;
	sp.from_ix = &ix;
	sp.from = c;
	rc = rf_replay_run_span(r, out_dir, &o, &sp);
out:
	rf_ckpt_index_free(&ix);
	return rc;
}
