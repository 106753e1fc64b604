/* The replay's policy model (lib/replay/gpt.h): parameter layout, init,
 * forward with kept activations, log-probs, backward, clipping, AdamW and
 * KV-cache decoding.  The layers themselves are in gpt_kernels.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "referee/error.h"
#include "replay/gpt.h"
#include "replay/gpt_device.h"
#include "replay/gpt_kernels.h"
#include "replay/philox.h"

#define GPT_MAX_DIM 65536      /* any single size */
#define GPT_MAX_PARAMS (1u << 30) /* floats: 4 GiB of weights */
#define GPT_NT_LAYER 12        /* parameter tensors per layer */

struct gpt_layer { /* pointers into params (or grads), shapes in comments */
	float *ln1w, *ln1b;   /* [C] */
	float *qkvw, *qkvb;   /* [3C,C], [3C] */
	float *projw, *projb; /* [C,C], [C] */
	float *ln2w, *ln2b;   /* [C] */
	float *fcw, *fcb;     /* [F,C], [F] */
	float *fcpw, *fcpb;   /* [C,F], [C] */
};

struct gpt_tensor {
	char name[40];
	int shape[2], ndim;
	size_t offset;
};

struct gpt_acts { /* per layer, kept for the backward pass */
	float *ln1, *ln1_mean, *ln1_rstd; /* [N,C], [N], [N] */
	float *qkv;                       /* [N,3C] */
	float *att;                       /* [B,NH,T,T] */
	float *atty;                      /* [N,C] */
	float *xmid;                      /* [N,C] residual after attention */
	float *ln2, *ln2_mean, *ln2_rstd; /* [N,C], [N], [N] */
	float *fch, *fch_gelu;            /* [N,F] */
	float *xout;                      /* [N,C] residual after the MLP */
};

struct rf_gpt {
	rf_gpt_config cfg;
	size_t nparams, ntensors;
	struct gpt_tensor *tensors;
	float *params, *grads, *adam_m, *adam_v;
	struct gpt_layer *w, *g; /* [L] views of params and grads */
	float *wte, *wpe, *lnfw, *lnfb, *lmw; /* lmw = wte when tied */
	float *gwte, *gwpe, *glnfw, *glnfb, *glmw;

	/* activations of the last forward pass, sized for (B, T) */
	int B, T, have_logp;
	size_t cap_n, cap_att;   /* capacity: rows N = B*T, att floats */
	float *actmem;           /* one block for everything below */
	struct gpt_acts *acts;   /* [L] */
	float *x0;               /* [N,C] embeddings */
	float *lnf, *lnf_mean, *lnf_rstd; /* [N,C], [N], [N] */
	float *logits;           /* [N,V] */
	float *lse;              /* [N] log-sum-exp of each logits row */
	int32_t *tokens, *targets; /* [N] */
	/* rows with the same tokens up to their position have the same
	 * activations (the G samples of a prompt, through the prompt): the
	 * forward pass computes the nu distinct rows, stored compactly,
	 * then copies.  fsrc[n]: the first row equal to n; cidx[n]: its
	 * compact place; uniq[u]: the row at compact place u.  [N] each */
	int *fsrc, *cidx, *uniq;
	int spread_pending; /* activations still compact (see fwd_expand) */
	int compact;        /* the last forward pass computed fewer rows */
	/* backward scratch, reused layer after layer */
	float *dres, *dln, *datty, *dqkv, *dfch, *dlogits, *attn_scratch;
	float *wt;               /* [max IC*OC] a transposed weight */
	rf_gpt_dev *dev;         /* set: the model lives on a device (gpt_device.c) */
	float *tbuf; /* [N * max(3C,F,V)] scratch: transposed keys, gradients */
};

struct rf_gpt_cache {
	int batch, L, P, C, F, V, NH; /* the model's sizes it was made for */
	rf_gpt_dev_cache *dev;   /* set: a cache of a device model */
	float *k, *v;            /* [L, batch, P, C] */
	float *mem;              /* scratch block below */
	float *x, *ln, *qkv, *atty, *fch, *fch_gelu, *tmp, *att;
	/* every weight matrix transposed ([in, out]), taken at position 0: the
	 * weights of one decoding run do not change */
	float *wt;
	size_t wt_layer; /* floats per layer in wt */
	/* Rows fed the same tokens so far have the same keys, values and
	 * logits (every kernel computes a row from that row alone), e.g. the
	 * G samples of one prompt through the prompt.  rep[b] is the first
	 * row whose tokens at 0..next_pos-1 equal row b's; a step computes
	 * only the nu first-of-their-kind rows uniq[0..nu) and copies. */
	int *rep, *uniq, *cidx; /* [batch] each; cidx[b]: rep[b]'s place in uniq */
	int next_pos;           /* the position rep is valid for, else -1 */
};

int rf_gpt_config_check(const rf_gpt_config *cfg)
{
	if (!cfg)
		return rf_error_set(RF_EINVAL, "gpt config: missing");
	const struct {
		const char *name;
		int v;
	} f[] = {{"vocab", cfg->vocab},     {"max_seq", cfg->max_seq},
		 {"d_model", cfg->d_model}, {"n_layer", cfg->n_layer},
		 {"n_head", cfg->n_head},   {"d_ff", cfg->d_ff}};
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
		if (f[i].v <= 0 || f[i].v > GPT_MAX_DIM)
			return rf_error_set(RF_EINVAL,
					    "gpt config: %s must be in 1..%d, not %d",
					    f[i].name, GPT_MAX_DIM, f[i].v);
	if (cfg->n_layer > 256)
		return rf_error_set(RF_EINVAL, "gpt config: n_layer must be at most 256, not %d",
				    cfg->n_layer);
	if (cfg->d_model % cfg->n_head)
		return rf_error_set(RF_EINVAL,
				    "gpt config: d_model %d is not a multiple of n_head %d",
				    cfg->d_model, cfg->n_head);
	if (cfg->tied != 0 && cfg->tied != 1)
		return rf_error_set(RF_EINVAL, "gpt config: tied must be 0 or 1, not %d",
				    cfg->tied);
	size_t C = (size_t)cfg->d_model, F = (size_t)cfg->d_ff;
	size_t n = (size_t)cfg->vocab * C * (cfg->tied ? 1 : 2) +
		   (size_t)cfg->max_seq * C + 2 * C +
		   (size_t)cfg->n_layer * (12 * C * C + 2 * C * F + 9 * C + F);
	if (n > GPT_MAX_PARAMS)
		return rf_error_set(RF_EINVAL, "gpt config: %zu parameters, more than the limit %u",
				    n, GPT_MAX_PARAMS);
	return 0;
}

static void add_tensor(rf_gpt *m, const char *name, int d0, int d1)
{
	struct gpt_tensor *t = &m->tensors[m->ntensors++];
	snprintf(t->name, sizeof t->name, "%s", name);
	t->shape[0] = d0;
	t->shape[1] = d1;
	t->ndim = d1 ? 2 : 1;
	t->offset = m->nparams;
	m->nparams += (size_t)d0 * (size_t)(d1 ? d1 : 1);
}

/* Point the layer views of one parameter-shaped block (params or grads). */
static void bind_views(rf_gpt *m, float *base, struct gpt_layer *ly, float **wte,
		       float **wpe, float **lnfw, float **lnfb, float **lmw)
{
	size_t i = 0;
	*wte = base + m->tensors[i++].offset;
	*wpe = base + m->tensors[i++].offset;
	for (int l = 0; l < m->cfg.n_layer; l++) {
		float **p[GPT_NT_LAYER] = {&ly[l].ln1w, &ly[l].ln1b, &ly[l].qkvw,
					   &ly[l].qkvb, &ly[l].projw, &ly[l].projb,
					   &ly[l].ln2w, &ly[l].ln2b, &ly[l].fcw,
					   &ly[l].fcb,  &ly[l].fcpw,  &ly[l].fcpb};
		for (int j = 0; j < GPT_NT_LAYER; j++)
			*p[j] = base + m->tensors[i++].offset;
	}
	*lnfw = base + m->tensors[i++].offset;
	*lnfb = base + m->tensors[i++].offset;
	*lmw = m->cfg.tied ? *wte : base + m->tensors[i++].offset;
}

void rf_gpt_free(rf_gpt *m)
{
	if (!m)
		return;
	free(m->tensors);
	free(m->params);
	free(m->grads);
	free(m->adam_m);
	free(m->adam_v);
	free(m->w);
	free(m->g);
	free(m->acts);
	free(m->actmem);
	free(m->tokens);
	free(m->targets);
	free(m->fsrc);
	free(m->cidx);
	free(m->uniq);
	rf_gpt_dev_free(m->dev);
	free(m);
}

int rf_gpt_new(rf_gpt **out, const rf_gpt_config *cfg)
{
	rf_gpt *m;
	int rc;
	*out = NULL;
	if ((rc = rf_gpt_config_check(cfg)))
		return rc;
	m = calloc(1, sizeof *m);
	if (!m)
		return rf_error_set(RF_ENOMEM, "out of memory");
	m->cfg = *cfg;
	int V = cfg->vocab, P = cfg->max_seq, C = cfg->d_model, L = cfg->n_layer,
	    F = cfg->d_ff;
	m->tensors = calloc((size_t)L * GPT_NT_LAYER + 5, sizeof *m->tensors);
	m->w = calloc((size_t)L, sizeof *m->w);
	m->g = calloc((size_t)L, sizeof *m->g);
	if (!m->tensors || !m->w || !m->g)
		goto nomem;
	add_tensor(m, "wte", V, C);
	add_tensor(m, "wpe", P, C);
	for (int l = 0; l < L; l++) {
		char n[40];
#define T_(suffix, d0, d1)                                        \
	do {                                                      \
		snprintf(n, sizeof n, "h.%d." suffix, l);         \
		add_tensor(m, n, d0, d1);                         \
	} while (0)
		T_("ln1.w", C, 0);
		T_("ln1.b", C, 0);
		T_("attn.qkv.w", 3 * C, C);
		T_("attn.qkv.b", 3 * C, 0);
		T_("attn.proj.w", C, C);
		T_("attn.proj.b", C, 0);
		T_("ln2.w", C, 0);
		T_("ln2.b", C, 0);
		T_("mlp.fc.w", F, C);
		T_("mlp.fc.b", F, 0);
		T_("mlp.proj.w", C, F);
		T_("mlp.proj.b", C, 0);
#undef T_
	}
	add_tensor(m, "lnf.w", C, 0);
	add_tensor(m, "lnf.b", C, 0);
	if (!cfg->tied)
		add_tensor(m, "lm_head", V, C);
	m->params = calloc(m->nparams, sizeof(float));
	m->grads = calloc(m->nparams, sizeof(float));
	m->adam_m = calloc(m->nparams, sizeof(float));
	m->adam_v = calloc(m->nparams, sizeof(float));
	if (!m->params || !m->grads || !m->adam_m || !m->adam_v)
		goto nomem;
	bind_views(m, m->params, m->w, &m->wte, &m->wpe, &m->lnfw, &m->lnfb, &m->lmw);
	bind_views(m, m->grads, m->g, &m->gwte, &m->gwpe, &m->glnfw, &m->glnfb,
		   &m->glmw);
	*out = m;
	return 0;
nomem:
	rf_gpt_free(m);
	return rf_error_set(RF_ENOMEM, "out of memory for the model");
}

int rf_gpt_init(rf_gpt *m, uint64_t seed)
{
	/* Element e of the flat parameter vector takes normal number e%4 of
	 * Philox(counter {e/4 low, e/4 high, "init", 0}, key seed). */
	const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
	float resid = 1.0f / sqrtf(2.0f * (float)m->cfg.n_layer);
	memset(m->params, 0, m->nparams * sizeof(float));
	for (size_t ti = 0; ti < m->ntensors; ti++) {
		const struct gpt_tensor *t = &m->tensors[ti];
		size_t n = (size_t)t->shape[0] * (size_t)(t->ndim == 2 ? t->shape[1] : 1);
		float *p = m->params + t->offset;
		const char *dot = strrchr(t->name, '.');
		if (t->ndim == 1) {
			/* LayerNorm weights 1, biases and LayerNorm biases 0 */
			if (dot && !strcmp(dot, ".w"))
				for (size_t i = 0; i < n; i++)
					p[i] = 1.0f;
			continue;
		}
		float std = 0.02f;
		if (strstr(t->name, "attn.proj.w") || strstr(t->name, "mlp.proj.w"))
			std *= resid;
		for (size_t i = 0; i < n; i++) {
			size_t e = t->offset + i;
			uint32_t ctr[4] = {(uint32_t)(e / 4), (uint32_t)((uint64_t)(e / 4) >> 32),
					   0x696e6974u /* "init" */, 0};
			uint32_t r[4];
			float z[4];
			rf_philox4x32(ctr, key, r);
			rf_philox_normal2(r[0], r[1], &z[0], &z[1]);
			rf_philox_normal2(r[2], r[3], &z[2], &z[3]);
			p[i] = std * z[e % 4];
		}
	}
	memset(m->adam_m, 0, m->nparams * sizeof(float));
	memset(m->adam_v, 0, m->nparams * sizeof(float));
	if (m->dev)
		return rf_gpt_dev_push_all(m->dev);
	return 0;
}

const rf_gpt_config *rf_gpt_config_of(const rf_gpt *m)
{
	return &m->cfg;
}

size_t rf_gpt_num_params(const rf_gpt *m)
{
	return m->nparams;
}

float *rf_gpt_params(rf_gpt *m)
{
	if (m->dev)
		return rf_gpt_dev_params(m->dev);
	return m->params;
}

float *rf_gpt_grads(rf_gpt *m)
{
	if (m->dev)
		return rf_gpt_dev_grads(m->dev);
	return m->grads;
}

int rf_gpt_copy_params(rf_gpt *dst, const rf_gpt *src)
{
	const rf_gpt_config *a = &dst->cfg, *b = &src->cfg;
	if (a->vocab != b->vocab || a->max_seq != b->max_seq ||
	    a->d_model != b->d_model || a->n_layer != b->n_layer ||
	    a->n_head != b->n_head || a->d_ff != b->d_ff || a->tied != b->tied)
		return rf_error_set(RF_EINVAL, "gpt: cannot copy parameters between different configs");
	if (dst != src && (dst->dev || src->dev))
		return rf_gpt_dev_copy_params(dst->dev, dst->params, src->dev,
					      src->params, dst->nparams);
	if (dst != src)
		memcpy(dst->params, src->params, dst->nparams * sizeof(float));
	return 0;
}

int rf_gpt_adam_state(rf_gpt *m, float **mm, float **vv)
{
	int rc = m->dev ? rf_gpt_dev_adam(m->dev, 0) : 0;
	*mm = rc ? NULL : m->adam_m;
	*vv = rc ? NULL : m->adam_v;
	return rc;
}

int rf_gpt_adam_set(rf_gpt *m)
{
	return m->dev ? rf_gpt_dev_adam(m->dev, 1) : 0;
}

size_t rf_gpt_num_tensors(const rf_gpt *m)
{
	return m->ntensors;
}

int rf_gpt_tensor_info(const rf_gpt *m, size_t i, const char **name,
		       int shape[2], int *ndim, size_t *offset)
{
	if (i >= m->ntensors)
		return rf_error_set(RF_EINVAL, "gpt: tensor index %zu out of range", i);
	const struct gpt_tensor *t = &m->tensors[i];
	if (name)
		*name = t->name;
	if (shape) {
		shape[0] = t->shape[0];
		shape[1] = t->ndim == 2 ? t->shape[1] : 0;
	}
	if (ndim)
		*ndim = t->ndim;
	if (offset)
		*offset = t->offset;
	return 0;
}

/* ---- activations -------------------------------------------------------- */

/* (Re)allocate the activation block for N = B*T rows; only when the batch
 * outgrows the last one, so steady-state training does not allocate. */
static int ensure_acts(rf_gpt *m, int B, int T)
{
	size_t N = (size_t)B * T, C = (size_t)m->cfg.d_model, F = (size_t)m->cfg.d_ff,
	       V = (size_t)m->cfg.vocab, NH = (size_t)m->cfg.n_head,
	       L = (size_t)m->cfg.n_layer;
	size_t natt = (size_t)B * NH * T * T;
	if (N <= m->cap_n && natt <= m->cap_att)
		return 0;
	/* the activations were sized for smaller batches: the last forward's
	 * results go away with them */
	m->B = m->T = m->have_logp = 0;
	/* bound the block (2^40 floats) before any size_t product can wrap */
	double need = (double)L * (10.0 * N * C + 4.0 * N + (double)B * NH * T * T +
				   2.0 * N * F) +
		      (double)N * (9.0 * C + V + NH + 3.0 * (F > V ? F : V) + 3.0 * C) +
		      (double)(F + V + 3 * C) * C;
	if (need > 1099511627776.0)
		return rf_error_set(RF_ELIMIT, "gpt forward: activations for %d x %d tokens too large",
				    B, T);
	if (N > m->cap_n)
		m->cap_n = N;
	if (natt > m->cap_att)
		m->cap_att = natt;
	N = m->cap_n;
	natt = m->cap_att;
	size_t omax = 3 * C > F ? 3 * C : F;
	if (V > omax)
		omax = V;
	size_t per_layer = 7 * N * C + 4 * N + 3 * N * C + natt + 2 * N * F;
	size_t wmax = 3 * C * C;
	if (F * C > wmax)
		wmax = F * C;
	if (V * C > wmax)
		wmax = V * C;
	size_t total = L * per_layer + N * C /* x0 */ + N * C + 2 * N /* lnf */ +
		       N * V /* logits */ + N /* lse */ +
		       2 * N * C /* dres, dln */ + N * C /* datty */ +
		       3 * N * C /* dqkv */ + N * (F > V ? F : V) /* dfch, dlogits */ +
		       N * (NH + C) /* attn scratch */ + wmax + N * omax /* tbuf */;
	free(m->actmem);
	free(m->acts);
	free(m->tokens);
	free(m->targets);
	free(m->fsrc);
	free(m->cidx);
	free(m->uniq);
	m->actmem = malloc(total * sizeof(float));
	m->acts = calloc(L, sizeof *m->acts);
	m->tokens = malloc(N * sizeof(int32_t));
	m->targets = malloc(N * sizeof(int32_t));
	m->fsrc = malloc(N * sizeof(int));
	m->cidx = malloc(N * sizeof(int));
	m->uniq = malloc(N * sizeof(int));
	if (!m->actmem || !m->acts || !m->tokens || !m->targets || !m->fsrc ||
	    !m->cidx || !m->uniq) {
		free(m->actmem);
		free(m->acts);
		free(m->tokens);
		free(m->targets);
		free(m->fsrc);
		free(m->cidx);
		free(m->uniq);
		m->actmem = NULL;
		m->acts = NULL;
		m->tokens = m->targets = NULL;
		m->fsrc = m->cidx = m->uniq = NULL;
		m->cap_n = m->cap_att = 0;
		return rf_error_set(RF_ENOMEM, "out of memory for activations (%zu floats)",
				    total);
	}
	float *p = m->actmem;
#define TAKE(ptr, n)         \
	do {                 \
		(ptr) = p;   \
		p += (n);    \
	} while (0)
	for (size_t l = 0; l < L; l++) {
		struct gpt_acts *a = &m->acts[l];
		TAKE(a->ln1, N * C);
		TAKE(a->ln1_mean, N);
		TAKE(a->ln1_rstd, N);
		TAKE(a->qkv, 3 * N * C);
		TAKE(a->att, natt);
		TAKE(a->atty, N * C);
		TAKE(a->xmid, N * C);
		TAKE(a->ln2, N * C);
		TAKE(a->ln2_mean, N);
		TAKE(a->ln2_rstd, N);
		TAKE(a->fch, N * F);
		TAKE(a->fch_gelu, N * F);
		TAKE(a->xout, N * C);
	}
	TAKE(m->x0, N * C);
	TAKE(m->lnf, N * C);
	TAKE(m->lnf_mean, N);
	TAKE(m->lnf_rstd, N);
	TAKE(m->logits, N * V);
	TAKE(m->lse, N);
	TAKE(m->dres, N * C);
	TAKE(m->dln, N * C);
	TAKE(m->datty, N * C);
	TAKE(m->dqkv, 3 * N * C);
	TAKE(m->dfch, N * (F > V ? F : V));
	m->dlogits = m->dfch; /* never live at the same time */
	TAKE(m->attn_scratch, N * (NH + C));
	TAKE(m->wt, wmax);
	TAKE(m->tbuf, N * omax);
#undef TAKE
	return 0;
}

/* out[N,OC] = inp[N,IC] W[OC,IC]^T + b[OC], given wt = W^T [IC,OC], so
 * that the product runs along contiguous rows. */
static void linear_fwd_t(rf_pool *pool, float *out, const float *inp,
			 const float *wt, const float *b, int N, int IC, int OC)
{
	rf_k_gemm(pool, out, OC, inp, IC, 1, wt, OC, b, N, OC, IC, 0);
}

/* The same, transposing W into the scratch wt first. */
static void linear_fwd(rf_pool *pool, float *out, const float *inp,
		       const float *w, const float *b, int N, int IC, int OC,
		       float *wt)
{
	rf_k_transpose(pool, wt, w, OC, IC); /* wt [IC,OC] */
	linear_fwd_t(pool, out, inp, wt, b, N, IC, OC);
}

/* dinp[N,IC] = dout[N,OC] W[OC,IC] (overwrites, if dinp);
 * dW[OC,IC] += dout^T inp; db[OC] += column sums of dout (if db).
 * inp's row n is inrow[n] when the forward pass left it compact (else NULL).
 * The dW product reads dout as its transpose through strides (sam 1,
 * sak OC: each k touches one row of dout, a few cache lines), so no
 * transposed copy is made; db[o] sums rows n in order, vectorised across o.
 * dbuf [OC] is scratch for those sums. */
static void linear_bwd(rf_pool *pool, float *dinp, float *dw, float *db,
		       const float *dout, const float *inp, const int *inrow,
		       const float *w, int N, int IC, int OC, float *dbuf)
{
	if (dinp)
		rf_k_gemm(pool, dinp, IC, dout, OC, 1, w, IC, NULL, N, IC, OC, 0);
	rf_k_gemm_rows(pool, dw, IC, dout, 1, OC, inp, IC, inrow, NULL, OC, IC, N, 1);
	if (db) {
		for (int o = 0; o < OC; o++)
			dbuf[o] = 0.0f;
		for (int n = 0; n < N; n++) /* rows in order, for every o */
			rf_k_acc(dbuf, dout + (size_t)n * OC, (size_t)OC);
		for (int o = 0; o < OC; o++)
			db[o] += dbuf[o];
	}
}

static int check_tokens(const rf_gpt *m, const int32_t *tok, size_t n,
			const char *what)
{
	for (size_t i = 0; i < n; i++)
		if (tok[i] < 0 || tok[i] >= m->cfg.vocab)
			return rf_error_set(RF_EINVAL, "gpt: %s %d at index %zu outside vocab 0..%d",
					    what, tok[i], i, m->cfg.vocab - 1);
	return 0;
}

#define FWD_DEDUP_MAX 4096 /* sequences; the class search is quadratic */

/* Classes of rows (b, t) with equal tokens at 0..t, position by position:
 * fsrc[n] is the first such row, cidx[n] its compact place, uniq[u] the
 * row at place u.  Returns the number of distinct rows. */
static int fwd_classes(rf_gpt *m, const int32_t *tok, int B, int T)
{
	int nu = 0, N = B * T;
	for (int t = 0; t < T; t++)
		for (int b = 0; b < B; b++) {
			int n = b * T + t, r = b;
			/* the first sequence of b's class at t - 1 */
			int ob = t ? m->fsrc[n - 1] / T : 0;
			if (B <= FWD_DEDUP_MAX)
				for (int b2 = ob; b2 < b; b2++)
					if ((t ? m->fsrc[b2 * T + t - 1] / T : 0) == ob &&
					    tok[b2 * T + t] == tok[n]) {
						r = b2;
						break;
					}
			m->fsrc[n] = r * T + t;
		}
	for (int n = 0; n < N; n++) {
		if (m->fsrc[n] == n)
			m->uniq[nu++] = n;
		m->cidx[n] = m->fsrc[n] == n ? nu - 1 : m->cidx[m->fsrc[n]];
	}
	return nu;
}

/* buf [N, w] holds row n at cidx[n] <= n: spread it to every row, last row
 * first, so each source is read before it is overwritten.  Runs of rows
 * with consecutive sources (a sample's prompt rows) move as one block. */
static void fwd_spread(const rf_gpt *m, float *buf, size_t w, int N)
{
	for (int n = N - 1; n >= 0; n--) {
		if (m->cidx[n] == n)
			continue;
		int n0 = n;
		while (n0 > 0 && m->cidx[n0 - 1] == m->cidx[n0] - 1 &&
		       m->cidx[n0 - 1] != n0 - 1)
			n0--;
		memmove(buf + (size_t)n0 * w, buf + (size_t)m->cidx[n0] * w,
			(size_t)(n - n0 + 1) * w * sizeof(float));
		n = n0;
	}
}

/* After a compact forward pass: the activations the backward pass reads
 * row by row (LayerNorm and attention inputs), as if each row had been
 * computed; the products' inputs stay compact, read through cidx.  Done
 * by the backward pass only (a reference model's forward pass needs the
 * logits alone). */
static void fwd_expand(rf_gpt *m, int B, int T)
{
	const int N = B * T, C = m->cfg.d_model, NH = m->cfg.n_head;
	for (int l = 0; l < m->cfg.n_layer; l++) {
		struct gpt_acts *a = &m->acts[l];
		fwd_spread(m, a->ln1_mean, 1, N);
		fwd_spread(m, a->ln1_rstd, 1, N);
		fwd_spread(m, a->qkv, 3 * (size_t)C, N);
		fwd_spread(m, a->xmid, (size_t)C, N);
		fwd_spread(m, a->ln2_mean, 1, N);
		fwd_spread(m, a->ln2_rstd, 1, N);
		fwd_spread(m, a->xout, (size_t)C, N);
		/* att [B,NH,T,T] is stored per row already; copy the skipped */
		for (int n = 0; n < N; n++) {
			int s = m->fsrc[n];
			if (s == n)
				continue;
			int b = n / T, t = n % T, sb = s / T;
			for (int h = 0; h < NH; h++)
				memcpy(a->att + (((size_t)b * NH + h) * T + t) * T,
				       a->att + (((size_t)sb * NH + h) * T + t) * T,
				       (size_t)T * sizeof(float));
		}
	}
	fwd_spread(m, m->x0, (size_t)C, N);
	fwd_spread(m, m->lnf_mean, 1, N);
	fwd_spread(m, m->lnf_rstd, 1, N);
	m->spread_pending = 0;
}

int rf_gpt_forward(rf_gpt *m, rf_pool *pool, const int32_t *tokens, int B,
		   int T)
{
	int rc;
	const int V = m->cfg.vocab, C = m->cfg.d_model, L = m->cfg.n_layer,
		  NH = m->cfg.n_head, F = m->cfg.d_ff;
	if (B <= 0 || T <= 0 || T > m->cfg.max_seq)
		return rf_error_set(RF_EINVAL, "gpt forward: need B > 0 and 0 < T <= %d (B %d, T %d)",
				    m->cfg.max_seq, B, T);
	if ((size_t)B * T > (size_t)1 << 26)
		return rf_error_set(RF_ELIMIT, "gpt forward: batch of %d x %d tokens too large", B, T);
	if ((rc = check_tokens(m, tokens, (size_t)B * T, "token")))
		return rc;
	if (m->dev) {
		m->B = m->T = m->have_logp = 0;
		if ((rc = rf_gpt_dev_forward(m->dev, tokens, B, T)))
			return rc;
		m->B = B;
		m->T = T;
		return 0;
	}
	if ((rc = ensure_acts(m, B, T)))
		return rc;
	m->B = B;
	m->T = T;
	m->have_logp = 0;
	m->spread_pending = 0;
	m->compact = 0;
	const int N = B * T;
	memcpy(m->tokens, tokens, (size_t)N * sizeof(int32_t));
	/* Nr rows computed: the distinct ones, compactly (row n at cidx[n]) */
	const int Nr = fwd_classes(m, tokens, B, T);
	for (int u = 0; u < Nr; u++) { /* x0[n] = wte[tok] + wpe[t] */
		int n = m->uniq[u];
		const float *we = m->wte + (size_t)tokens[n] * C;
		const float *pe = m->wpe + (size_t)(n % T) * C;
		float *x = m->x0 + (size_t)u * C;
		for (int i = 0; i < C; i++)
			x[i] = we[i] + pe[i];
	}
	const float *x = m->x0;
	for (int l = 0; l < L; l++) {
		struct gpt_acts *a = &m->acts[l];
		const struct gpt_layer *w = &m->w[l];
		rf_k_layernorm_fwd(pool, a->ln1, a->ln1_mean, a->ln1_rstd, x, w->ln1w,
				   w->ln1b, Nr, C);
		linear_fwd(pool, a->qkv, a->ln1, w->qkvw, w->qkvb, Nr, C, 3 * C, m->wt);
		if (Nr < N)
			rf_k_attention_fwd_rows(pool, a->atty, a->att, m->tbuf, a->qkv,
						m->cidx, m->uniq, B, T, C, NH);
		else
			rf_k_attention_fwd(pool, a->atty, a->att, m->tbuf, a->qkv, B, T,
					   C, NH);
		linear_fwd(pool, a->xmid, a->atty, w->projw, w->projb, Nr, C, C, m->wt);
		rf_k_add(pool, a->xmid, a->xmid, x, (size_t)Nr * C);
		rf_k_layernorm_fwd(pool, a->ln2, a->ln2_mean, a->ln2_rstd, a->xmid,
				   w->ln2w, w->ln2b, Nr, C);
		linear_fwd(pool, a->fch, a->ln2, w->fcw, w->fcb, Nr, C, F, m->wt);
		rf_k_gelu_fwd(pool, a->fch_gelu, a->fch, (size_t)Nr * F);
		linear_fwd(pool, a->xout, a->fch_gelu, w->fcpw, w->fcpb, Nr, F, C, m->wt);
		rf_k_add(pool, a->xout, a->xout, a->xmid, (size_t)Nr * C);
		x = a->xout;
	}
	rf_k_layernorm_fwd(pool, m->lnf, m->lnf_mean, m->lnf_rstd, x, m->lnfw,
			   m->lnfb, Nr, C);
	linear_fwd(pool, m->logits, m->lnf, m->lmw, NULL, Nr, C, V, m->wt);
	if (Nr < N) { /* the logits now, the rest if a backward pass comes */
		fwd_spread(m, m->logits, (size_t)V, N);
		m->spread_pending = m->compact = 1;
	}
	return 0;
}

const float *rf_gpt_logits(const rf_gpt *m)
{
	if (m->dev)
		return rf_gpt_dev_logits(m->dev);
	return m->logits;
}

int rf_gpt_token_logprobs(rf_gpt *m, rf_pool *pool, const int32_t *targets,
			  float *out)
{
	(void)pool;
	if (!m->B)
		return rf_error_set(RF_EINVAL, "gpt logprobs: no forward pass");
	const int V = m->cfg.vocab, N = m->B * m->T;
	for (int n = 0; n < N; n++)
		if (targets[n] >= V)
			return rf_error_set(RF_EINVAL, "gpt logprobs: target %d at index %d outside vocab 0..%d",
					    targets[n], n, V - 1);
	if (m->dev) {
		int rc = rf_gpt_dev_token_logprobs(m->dev, targets, out);
		m->have_logp = rc == 0;
		return rc;
	}
	for (int n = 0; n < N; n++) {
		const float *lg = m->logits + (size_t)n * V; /* [V] */
		float mx = lg[0], s = 0.0f;
		for (int v = 1; v < V; v++)
			if (lg[v] > mx)
				mx = lg[v];
		for (int v = 0; v < V; v++)
			s += rf_k_expf(lg[v] - mx);
		m->lse[n] = mx + rf_k_logf(s);
		m->targets[n] = targets[n];
		out[n] = targets[n] < 0 ? 0.0f : lg[targets[n]] - m->lse[n];
	}
	m->have_logp = 1;
	return 0;
}

void rf_gpt_zero_grad(rf_gpt *m)
{
	if (m->dev) { /* a device failure shows at the next call */
		rf_gpt_dev_zero_grad(m->dev);
		return;
	}
	memset(m->grads, 0, m->nparams * sizeof(float));
}

int rf_gpt_backward(rf_gpt *m, rf_pool *pool, const float *dlogp)
{
	if (!m->have_logp)
		return rf_error_set(RF_EINVAL, "gpt backward: call forward and token_logprobs first");
	if (m->dev)
		return rf_gpt_dev_backward(m->dev, dlogp);
	if (m->spread_pending)
		fwd_expand(m, m->B, m->T);
	/* the inputs of the products (ln1, atty, ln2, fch, fch_gelu, lnf) stay
	 * compact: read through cidx */
	const int *rows = m->compact ? m->cidx : NULL;
	const int B = m->B, T = m->T, N = B * T, V = m->cfg.vocab,
		  C = m->cfg.d_model, L = m->cfg.n_layer, NH = m->cfg.n_head,
		  F = m->cfg.d_ff;
	/* dlogits[n,v] = dlogp[n] (onehot(target)[v] - softmax[v]) */
	for (int n = 0; n < N; n++) {
		float *dl = m->dlogits + (size_t)n * V;
		const float *lg = m->logits + (size_t)n * V;
		int tgt = m->targets[n];
		float d = tgt < 0 ? 0.0f : dlogp[n];
		if (d == 0.0f) {
			memset(dl, 0, (size_t)V * sizeof(float));
			continue;
		}
		for (int v = 0; v < V; v++)
			dl[v] = -d * rf_k_expf(lg[v] - m->lse[n]);
		dl[tgt] += d;
	}
	/* logits = lnf W^T */
	linear_bwd(pool, m->dln, m->glmw, NULL, m->dlogits, m->lnf, rows, m->lmw,
		   N, C, V, m->tbuf);
	const float *xlast = L ? m->acts[L - 1].xout : m->x0;
	memset(m->dres, 0, (size_t)N * C * sizeof(float));
	rf_k_layernorm_bwd(pool, m->dres, m->glnfw, m->glnfb, m->dln, xlast, m->lnfw,
			   m->lnf_mean, m->lnf_rstd, N, C);
	for (int l = L - 1; l >= 0; l--) {
		struct gpt_acts *a = &m->acts[l];
		const struct gpt_layer *w = &m->w[l];
		const struct gpt_layer *g = &m->g[l];
		const float *xin = l ? m->acts[l - 1].xout : m->x0;
		/* dres = d xout; xout = xmid + fcproj(gelu(fc(ln2(xmid)))) */
		linear_bwd(pool, m->dfch, g->fcpw, g->fcpb, m->dres, a->fch_gelu,
			   rows, w->fcpw, N, F, C, m->tbuf);
		if (rows)
			rf_k_gelu_bwd_rows(pool, m->dfch, a->fch, rows, m->dfch,
					   (size_t)N, (size_t)F);
		else
			rf_k_gelu_bwd(pool, m->dfch, a->fch, m->dfch, (size_t)N * F);
		linear_bwd(pool, m->dln, g->fcw, g->fcb, m->dfch, a->ln2, rows, w->fcw,
			   N, C, F, m->tbuf);
		rf_k_layernorm_bwd(pool, m->dres, g->ln2w, g->ln2b, m->dln, a->xmid,
				   w->ln2w, a->ln2_mean, a->ln2_rstd, N, C);
		/* dres = d xmid; xmid = xin + proj(attn(ln1(xin))) */
		linear_bwd(pool, m->datty, g->projw, g->projb, m->dres, a->atty,
			   rows, w->projw, N, C, C, m->tbuf);
		rf_k_attention_bwd(pool, m->dqkv, m->attn_scratch, m->datty, a->qkv,
				   a->att, B, T, C, NH);
		linear_bwd(pool, m->dln, g->qkvw, g->qkvb, m->dqkv, a->ln1, rows,
			   w->qkvw, N, C, 3 * C, m->tbuf);
		rf_k_layernorm_bwd(pool, m->dres, g->ln1w, g->ln1b, m->dln, xin,
				   w->ln1w, a->ln1_mean, a->ln1_rstd, N, C);
	}
	/* x0 = wte[tok] + wpe[t]: rows in order, so repeated tokens add up in
	 * a fixed order */
	for (int n = 0; n < N; n++) {
		const float *d = m->dres + (size_t)n * C;
		float *gw = m->gwte + (size_t)m->tokens[n] * C;
		float *gp = m->gwpe + (size_t)(n % T) * C;
		for (int i = 0; i < C; i++) {
			gw[i] += d[i];
			gp[i] += d[i];
		}
	}
	return 0;
}

float rf_gpt_clip_grad(rf_gpt *m, float max_norm)
{
	if (m->dev)
		return rf_gpt_dev_clip_grad(m->dev, max_norm);
	double ss = 0.0; /* one sum, in order: the norm is thread-independent */
	for (size_t i = 0; i < m->nparams; i++)
		ss += (double)m->grads[i] * (double)m->grads[i];
	float norm = (float)sqrt(ss);
	if (max_norm > 0.0f && norm > max_norm) {
		float s = max_norm / (norm + 1e-6f);
		for (size_t i = 0; i < m->nparams; i++)
			m->grads[i] *= s;
	}
	return norm;
}

struct adam_ctx {
	rf_gpt *m;
	float lr, b1, b2, eps, wd, bc1, bc2s;
};

/* One index per tensor: each element's update is independent. */
static void adam_task(void *ctx, size_t begin, size_t end, int worker)
{
	const struct adam_ctx *a = ctx;
	rf_gpt *m = a->m;
	(void)worker;
	for (size_t ti = begin; ti < end; ti++) {
		const struct gpt_tensor *t = &m->tensors[ti];
		size_t n = (size_t)t->shape[0] * (size_t)(t->ndim == 2 ? t->shape[1] : 1);
		float decay = t->ndim == 2 ? 1.0f - a->lr * a->wd : 1.0f;
		float *p = m->params + t->offset, *g = m->grads + t->offset;
		float *mm = m->adam_m + t->offset, *vv = m->adam_v + t->offset;
		float step = a->lr / a->bc1;
		for (size_t i = 0; i < n; i++) {
			/* as torch.optim.AdamW: decay, moments, bias-corrected step */
			p[i] *= decay;
			mm[i] = a->b1 * mm[i] + (1.0f - a->b1) * g[i];
			vv[i] = a->b2 * vv[i] + (1.0f - a->b2) * g[i] * g[i];
			float denom = sqrtf(vv[i]) / a->bc2s + a->eps;
			p[i] -= step * (mm[i] / denom);
		}
	}
}

int rf_gpt_adamw_step(rf_gpt *m, rf_pool *pool, float lr, float beta1,
		      float beta2, float eps, float weight_decay, int t)
{
	if (t < 1)
		return rf_error_set(RF_EINVAL, "gpt adamw: step must be >= 1, not %d", t);
	if (!(lr >= 0.0f) || !(beta1 >= 0.0f && beta1 < 1.0f) ||
	    !(beta2 >= 0.0f && beta2 < 1.0f) || !(eps > 0.0f) || !(weight_decay >= 0.0f))
		return rf_error_set(RF_EINVAL, "gpt adamw: bad hyperparameters");
	if (m->dev)
		return rf_gpt_dev_adamw_step(m->dev, lr, beta1, beta2, eps,
					     weight_decay, t);
	struct adam_ctx a = {m, lr, beta1, beta2, eps, weight_decay,
			     (float)(1.0 - pow((double)beta1, (double)t)),
			     (float)sqrt(1.0 - pow((double)beta2, (double)t))};
	rf_pool_for(pool, m->ntensors, 1, adam_task, &a);
	return 0;
}

/* ---- KV-cache decoding -------------------------------------------------- */

void rf_gpt_cache_free(rf_gpt_cache *c)
{
	if (!c)
		return;
	rf_gpt_dev_cache_free(c->dev);
	free(c->k);
	free(c->v);
	free(c->mem);
	free(c->rep);
	free(c->uniq);
	free(c->cidx);
	free(c);
}

int rf_gpt_cache_new(rf_gpt_cache **out, const rf_gpt *m, int batch)
{
	rf_gpt_cache *c;
	*out = NULL;
	if (batch <= 0 || batch > (1 << 20))
		return rf_error_set(RF_EINVAL, "gpt cache: batch must be in 1..%d, not %d",
				    1 << 20, batch);
	size_t Bn = (size_t)batch, L = (size_t)m->cfg.n_layer,
	       P = (size_t)m->cfg.max_seq, C = (size_t)m->cfg.d_model,
	       F = (size_t)m->cfg.d_ff, V = (size_t)m->cfg.vocab,
	       NH = (size_t)m->cfg.n_head;
	size_t wt_layer = 4 * C * C + 2 * F * C, wt_all = L * wt_layer + V * C;
	c = calloc(1, sizeof *c);
	if (!c)
		return rf_error_set(RF_ENOMEM, "out of memory");
	c->batch = batch;
	c->L = (int)L;
	c->P = (int)P;
	c->C = (int)C;
	c->F = (int)F;
	c->V = (int)V;
	c->NH = (int)NH;
	if (m->dev) { /* the cache lives on the model's device */
		int rc = rf_gpt_dev_cache_new(&c->dev, m->dev, batch);
		if (rc) {
			rf_gpt_cache_free(c);
			return rc;
		}
		*out = c;
		return 0;
	}
	c->k = calloc(L * Bn * P * C, sizeof(float));
	c->v = calloc(L * Bn * P * C, sizeof(float));
	size_t total = Bn * C * 5 + 3 * Bn * C + 2 * Bn * F + Bn * NH * P + wt_all;
	c->mem = malloc(total * sizeof(float));
	c->rep = malloc(Bn * sizeof(int));
	c->uniq = malloc(Bn * sizeof(int));
	c->cidx = malloc(Bn * sizeof(int));
	c->next_pos = -1;
	if (!c->k || !c->v || !c->mem || !c->rep || !c->uniq || !c->cidx) {
		rf_gpt_cache_free(c);
		return rf_error_set(RF_ENOMEM, "out of memory for the KV cache");
	}
	float *p = c->mem;
	c->x = p, p += Bn * C;
	c->ln = p, p += Bn * C;
	c->atty = p, p += Bn * C;
	c->tmp = p, p += 2 * Bn * C;
	c->qkv = p, p += 3 * Bn * C;
	c->fch = p, p += Bn * F;
	c->fch_gelu = p, p += Bn * F;
	c->att = p, p += Bn * NH * P;
	c->wt = p;
	c->wt_layer = wt_layer;
	*out = c;
	return 0;
}

struct dec_attn_ctx {
	rf_gpt_cache *c;
	int l, pos, NH;
};

/* One index per (computed row u, head); u's keys and values are those of
 * sequence uniq[u]. */
static void dec_attn_task(void *ctx, size_t begin, size_t end, int worker)
{
	const struct dec_attn_ctx *d = ctx;
	rf_gpt_cache *c = d->c;
	int C = c->C, hd = C / d->NH, P = c->P;
	float scale = 1.0f / sqrtf((float)hd);
	(void)worker;
	for (size_t i = begin; i < end; i++) {
		int h = (int)(i % (size_t)d->NH), u = (int)(i / (size_t)d->NH);
		size_t kv = ((size_t)d->l * c->batch + c->uniq[u]) * P * C; /* [P,C] */
		rf_k_attention_row(c->atty + (size_t)u * C + h * hd, c->att + i * P,
				   c->qkv + (size_t)u * 3 * C + h * hd,
				   c->k + kv + h * hd, c->v + kv + h * hd, C, d->pos,
				   hd, scale);
	}
}

#define DEC_DEDUP_MAX 4096

/* Split the classes of rows with equal tokens so far by this step's token:
 * rep[b] becomes the first row with rep and token equal to b's.  Any call
 * out of sequence (not 0, not the position after the last) starts from
 * singletons, which is always right (every row's keys are stored). */
static int dec_classes(rf_gpt_cache *c, const int32_t *tokens, int pos)
{
	int Bn = c->batch, nu = 0;
	int *old = c->cidx; /* scratch until cidx is filled below */
	/* the search is quadratic in a class's size: bounded batches only */
	int track = Bn <= DEC_DEDUP_MAX && (pos == 0 || pos == c->next_pos);
	for (int b = 0; b < Bn; b++)
		old[b] = !track ? b : pos == 0 ? 0 : c->rep[b];
	for (int b = 0; b < Bn; b++) {
		int r = b;
		for (int b2 = old[b]; b2 < b; b2++)
			if (old[b2] == old[b] && tokens[b2] == tokens[b]) {
				r = b2;
				break;
			}
		c->rep[b] = r;
	}
	for (int b = 0; b < Bn; b++) {
		if (c->rep[b] == b)
			c->uniq[nu++] = b;
		c->cidx[b] = c->rep[b] == b ? nu - 1 : c->cidx[c->rep[b]];
	}
	c->next_pos = pos + 1;
	return nu;
}

int rf_gpt_decode_step(rf_gpt *m, rf_gpt_cache *c, rf_pool *pool,
		       const int32_t *tokens, int pos, float *logits)
{
	int rc;
	const int Bn = c->batch, C = m->cfg.d_model, L = m->cfg.n_layer,
		  NH = m->cfg.n_head, F = m->cfg.d_ff, V = m->cfg.vocab,
		  P = m->cfg.max_seq;
	if (c->L != L || c->C != C || c->P != P || c->F != F || c->V != V || c->NH != NH)
		return rf_error_set(RF_EINVAL, "gpt decode: cache made for another model");
	if (pos < 0 || pos >= P)
		return rf_error_set(RF_EINVAL, "gpt decode: position %d outside 0..%d", pos, P - 1);
	if ((rc = check_tokens(m, tokens, (size_t)Bn, "token")))
		return rc;
	if (!m->dev != !c->dev)
		return rf_error_set(RF_EINVAL, "gpt decode: cache made for a model on another device");
	if (m->dev)
		return rf_gpt_dev_decode_step(m->dev, c->dev, tokens, pos, logits);
	if (pos == 0) /* a new run: snapshot the weights, transposed */
		for (int l = 0; l <= L; l++) {
			float *wt = c->wt + (size_t)l * c->wt_layer;
			if (l == L) {
				rf_k_transpose(pool, wt, m->lmw, V, C);
				break;
			}
			const struct gpt_layer *w = &m->w[l];
			rf_k_transpose(pool, wt, w->qkvw, 3 * C, C);
			rf_k_transpose(pool, wt + (size_t)3 * C * C, w->projw, C, C);
			rf_k_transpose(pool, wt + (size_t)4 * C * C, w->fcw, F, C);
			rf_k_transpose(pool, wt + (size_t)4 * C * C + (size_t)F * C, w->fcpw, C, F);
		}
	/* compute the nu distinct rows only (u indexes them) */
	int nu = dec_classes(c, tokens, pos);
	for (int u = 0; u < nu; u++) {
		const float *we = m->wte + (size_t)tokens[c->uniq[u]] * C;
		const float *pe = m->wpe + (size_t)pos * C;
		float *x = c->x + (size_t)u * C;
		for (int i = 0; i < C; i++)
			x[i] = we[i] + pe[i];
	}
	for (int l = 0; l < L; l++) {
		const struct gpt_layer *w = &m->w[l];
		float *xmid = c->tmp, *xout = c->tmp + (size_t)nu * C;
		const float *wt = c->wt + (size_t)l * c->wt_layer;
		rf_k_layernorm_fwd(pool, c->ln, NULL, NULL, c->x, w->ln1w, w->ln1b, nu, C);
		linear_fwd_t(pool, c->qkv, c->ln, wt, w->qkvb, nu, C, 3 * C);
		for (int b = 0; b < Bn; b++) { /* append k, v at pos, every row */
			size_t kv = (((size_t)l * Bn + b) * P + pos) * C;
			const float *src = c->qkv + (size_t)c->cidx[b] * 3 * C;
			memcpy(c->k + kv, src + C, (size_t)C * sizeof(float));
			memcpy(c->v + kv, src + 2 * C, (size_t)C * sizeof(float));
		}
		struct dec_attn_ctx d = {c, l, pos, NH};
		rf_pool_for(pool, (size_t)nu * NH, 4, dec_attn_task, &d);
		linear_fwd_t(pool, xmid, c->atty, wt + (size_t)3 * C * C, w->projb, nu, C, C);
		rf_k_add(pool, xmid, xmid, c->x, (size_t)nu * C);
		rf_k_layernorm_fwd(pool, c->ln, NULL, NULL, xmid, w->ln2w, w->ln2b, nu, C);
		linear_fwd_t(pool, c->fch, c->ln, wt + (size_t)4 * C * C, w->fcb, nu, C, F);
		rf_k_gelu_fwd(pool, c->fch_gelu, c->fch, (size_t)nu * F);
		linear_fwd_t(pool, xout, c->fch_gelu, wt + (size_t)4 * C * C + (size_t)F * C,
			     w->fcpb, nu, F, C);
		rf_k_add(pool, c->x, xout, xmid, (size_t)nu * C);
	}
	rf_k_layernorm_fwd(pool, c->ln, NULL, NULL, c->x, m->lnfw, m->lnfb, nu, C);
	linear_fwd_t(pool, logits, c->ln, c->wt + (size_t)L * c->wt_layer, NULL, nu, C, V);
	/* logits[b] = logits[cidx[b]], last row first: cidx[b] <= b, so every
	 * source is read before it is overwritten */
	for (int b = Bn - 1; b >= 0; b--)
		if (c->cidx[b] != b)
			memcpy(logits + (size_t)b * V, logits + (size_t)c->cidx[b] * V,
			       (size_t)V * sizeof(float));
	return 0;
}

/* ---- device placement (the cuda branch; gpt_device.c) ------------------ */

int rf_gpt_to_device(rf_gpt *m, struct rf_backend *be, int index)
{
	rf_gpt_host host = {m->params, m->grads, m->adam_m, m->adam_v, m->nparams};
	if (m->dev)
		return rf_error_set(RF_EINVAL, "gpt: the model is already on a device");
	m->B = m->T = m->have_logp = 0; /* activations stay with the host */
	return rf_gpt_dev_new(&m->dev, be, index, &m->cfg, &host);
}

int rf_gpt_on_device(const rf_gpt *m)
{
	return m && m->dev != NULL;
}

int rf_gpt_synchronize(rf_gpt *m)
{
	return m->dev ? rf_gpt_dev_synchronize(m->dev) : 0;
}
