/* The policy model's layers as C loops with their shapes beside them, after
 * llm.c.  Matrix products go through one cache-tiled kernel, rf_k_gemm(),
 * vectorised across output columns only, so each output keeps its own
 * sequential sum: same bits with SSE2, AVX or scalar code, any thread count. */
#include <math.h>
#include <string.h>

#include "replay/gpt_kernels.h"

/* Eight floats that GCC/Clang map to one AVX register or two SSE2 ones.
 * Vector ops here are lane-wise IEEE mul and add (no FMA: -std=c11 keeps
 * -ffp-contract off), i.e. exactly what the scalar loop would compute. */
typedef float v8f __attribute__((vector_size(32)));
#define V8_LOAD(v, p) memcpy(&(v), (p), sizeof(v8f))
#define V8_STORE(p, v) memcpy((p), &(v), sizeof(v8f))

#define GEMM_RB 4  /* rows of C per tile */
#define GEMM_CV 2  /* 8-float vectors of C per tile row: 16 columns */
#define GEMM_CB (8 * GEMM_CV)

struct gemm_ctx {
	float *C;
	const float *A, *B, *bias;
	int ldc, sam, sak, ldb, M, Nc, K, accumulate;
	int nrb, ncb; /* row blocks, column blocks */
};

/* A tile of nr <= GEMM_RB rows and GEMM_CB full columns, starting at
 * (r0, c0).  Inlined with nr constant for the common case. */
static inline __attribute__((always_inline)) void
gemm_tile(const struct gemm_ctx *g, int r0, int c0, int nr)
{
	v8f acc[GEMM_RB][GEMM_CV];
	const float *A = g->A + (size_t)r0 * g->sam;
	const float *B = g->B + c0;
	for (int r = 0; r < GEMM_RB; r++)
		for (int j = 0; j < GEMM_CV; j++)
			acc[r][j] = (v8f){0};
	for (int k = 0; k < g->K; k++) {
		v8f b[GEMM_CV];
		const float *Bk = B + (size_t)k * g->ldb;
		for (int j = 0; j < GEMM_CV; j++)
			V8_LOAD(b[j], Bk + 8 * j);
		for (int r = 0; r < nr; r++) {
			float a = A[(size_t)r * g->sam + (size_t)k * g->sak];
			for (int j = 0; j < GEMM_CV; j++)
				acc[r][j] += a * b[j];
		}
	}
	for (int r = 0; r < nr; r++) {
		float *Cr = g->C + (size_t)(r0 + r) * g->ldc + c0;
		for (int j = 0; j < GEMM_CV; j++) {
			v8f c = acc[r][j];
			if (g->accumulate) {
				v8f old;
				V8_LOAD(old, Cr + 8 * j);
				c = old + c;
			} else if (g->bias) {
				v8f bb;
				V8_LOAD(bb, g->bias + c0 + 8 * j);
				c = c + bb;
			}
			V8_STORE(Cr + 8 * j, c);
		}
	}
}

/* Leftover columns (Nc % GEMM_CB): the same sums, one element at a time. */
static void gemm_tile_scalar(const struct gemm_ctx *g, int r0, int r1, int c0,
			     int c1)
{
	for (int r = r0; r < r1; r++)
		for (int c = c0; c < c1; c++) {
			float acc = 0.0f;
			for (int k = 0; k < g->K; k++)
				acc += g->A[(size_t)r * g->sam + (size_t)k * g->sak] *
				       g->B[(size_t)k * g->ldb + c];
			float *Cp = g->C + (size_t)r * g->ldc + c;
			if (g->accumulate)
				*Cp = *Cp + acc;
			else
				*Cp = g->bias ? acc + g->bias[c] : acc;
		}
}

/* Task i = column block (outer) x row block (inner), so that consecutive
 * tasks of a chunk reuse the same strip of B from cache. */
static void gemm_task(void *ctx, size_t begin, size_t end, int worker)
{
	const struct gemm_ctx *g = ctx;
	(void)worker;
	for (size_t i = begin; i < end; i++) {
		int cb = (int)(i / (size_t)g->nrb), rb = (int)(i % (size_t)g->nrb);
		int r0 = rb * GEMM_RB, c0 = cb * GEMM_CB;
		int r1 = r0 + GEMM_RB < g->M ? r0 + GEMM_RB : g->M;
		int c1 = c0 + GEMM_CB < g->Nc ? c0 + GEMM_CB : g->Nc;
		if (c1 - c0 < GEMM_CB)
			gemm_tile_scalar(g, r0, r1, c0, c1);
		else if (r1 - r0 == GEMM_RB)
			gemm_tile(g, r0, c0, GEMM_RB);
		else
			gemm_tile(g, r0, c0, r1 - r0);
	}
}

void rf_k_gemm(rf_pool *pool, float *C, int ldc, const float *A, int sam,
	       int sak, const float *B, int ldb, const float *bias, int M,
	       int Nc, int K, int accumulate)
{
	struct gemm_ctx g = {C, A, B, bias, ldc, sam, sak, ldb, M, Nc, K,
			     accumulate, 0, 0};
	if (M <= 0 || Nc <= 0)
		return;
	g.nrb = (M + GEMM_RB - 1) / GEMM_RB;
	g.ncb = (Nc + GEMM_CB - 1) / GEMM_CB;
	/* ~64K multiply-adds per chunk at least, so small products stay on
	 * one thread instead of paying for a wake-up. */
	size_t per = (size_t)GEMM_RB * GEMM_CB * (size_t)(K > 0 ? K : 1);
	size_t grain = per >= 65536 ? 1 : 65536 / per;
	rf_pool_for(pool, (size_t)g.nrb * (size_t)g.ncb, grain, gemm_task, &g);
}

struct transpose_ctx {
	float *dst;
	const float *src;
	int R, Cn;
};

static void transpose_task(void *ctx, size_t begin, size_t end, int worker)
{
	const struct transpose_ctx *t = ctx;
	(void)worker;
	for (size_t c = begin; c < end; c++)
		for (int r = 0; r < t->R; r++)
			t->dst[c * (size_t)t->R + (size_t)r] =
				t->src[(size_t)r * (size_t)t->Cn + c];
}

void rf_k_transpose(rf_pool *pool, float *dst, const float *src, int R, int Cn)
{
	struct transpose_ctx t = {dst, src, R, Cn};
	rf_pool_for(pool, (size_t)Cn, 16, transpose_task, &t);
}

/* ---- LayerNorm ---------------------------------------------------------- */

struct ln_ctx {
	float *out, *mean, *rstd, *dinp, *dw, *db;
	const float *inp, *w, *b, *dout, *cmean, *crstd;
	int N, C;
};

static void ln_fwd_task(void *ctx, size_t begin, size_t end, int worker)
{
	const struct ln_ctx *l = ctx;
	int C = l->C;
	(void)worker;
	for (size_t n = begin; n < end; n++) {
		const float *x = l->inp + n * (size_t)C; /* [C] */
		float *o = l->out + n * (size_t)C;
		float m = 0.0f, v = 0.0f;
		for (int i = 0; i < C; i++)
			m += x[i];
		m = m / (float)C;
		for (int i = 0; i < C; i++) {
			float d = x[i] - m;
			v += d * d;
		}
		v = v / (float)C;
		float s = 1.0f / sqrtf(v + 1e-5f);
		for (int i = 0; i < C; i++)
			o[i] = (s * (x[i] - m)) * l->w[i] + l->b[i];
		if (l->mean) {
			l->mean[n] = m;
			l->rstd[n] = s;
		}
	}
}

void rf_k_layernorm_fwd(rf_pool *pool, float *out, float *mean, float *rstd,
			const float *inp, const float *w, const float *b, int N,
			int C)
{
	struct ln_ctx l = {out, mean, rstd, NULL, NULL, NULL, inp, w, b,
			   NULL, NULL, NULL, N, C};
	rf_pool_for(pool, (size_t)N, 16, ln_fwd_task, &l);
}

/* dinp rows are independent: one row per index. */
static void ln_bwd_rows_task(void *ctx, size_t begin, size_t end, int worker)
{
	const struct ln_ctx *l = ctx;
	int C = l->C;
	(void)worker;
	for (size_t n = begin; n < end; n++) {
		const float *x = l->inp + n * (size_t)C;
		const float *dy = l->dout + n * (size_t)C;
		float *dx = l->dinp + n * (size_t)C;
		float m = l->cmean[n], s = l->crstd[n];
		/* dnorm = w * dy; dx = s * (dnorm - mean(dnorm) - xhat * mean(dnorm * xhat)) */
		float dmean = 0.0f, dmx = 0.0f;
		for (int i = 0; i < C; i++) {
			float xh = (x[i] - m) * s;
			float dn = l->w[i] * dy[i];
			dmean += dn;
			dmx += dn * xh;
		}
		dmean = dmean / (float)C;
		dmx = dmx / (float)C;
		for (int i = 0; i < C; i++) {
			float xh = (x[i] - m) * s;
			float dn = l->w[i] * dy[i];
			dx[i] += s * ((dn - dmean) - xh * dmx);
		}
	}
}

/* dw, db are sums over rows: one block of 16 channels per index, rows in
 * order, so no sum is split between threads. */
#define LN_CB 16
static void ln_bwd_params_task(void *ctx, size_t begin, size_t end, int worker)
{
	const struct ln_ctx *l = ctx;
	int C = l->C;
	(void)worker;
	for (size_t blk = begin; blk < end; blk++) {
		int c0 = (int)blk * LN_CB;
		int c1 = c0 + LN_CB < C ? c0 + LN_CB : C;
		float aw[LN_CB], ab[LN_CB];
		for (int i = 0; i < LN_CB; i++)
			aw[i] = ab[i] = 0.0f;
		for (int n = 0; n < l->N; n++) {
			const float *x = l->inp + (size_t)n * C;
			const float *dy = l->dout + (size_t)n * C;
			float m = l->cmean[n], s = l->crstd[n];
			for (int i = c0; i < c1; i++) {
				float xh = (x[i] - m) * s;
				aw[i - c0] += dy[i] * xh;
				ab[i - c0] += dy[i];
			}
		}
		for (int i = c0; i < c1; i++) {
			l->dw[i] += aw[i - c0];
			l->db[i] += ab[i - c0];
		}
	}
}

void rf_k_layernorm_bwd(rf_pool *pool, float *dinp, float *dw, float *db,
			const float *dout, const float *inp, const float *w,
			const float *mean, const float *rstd, int N, int C)
{
	struct ln_ctx l = {NULL, NULL, NULL, dinp, dw, db, inp, w, NULL,
			   dout, mean, rstd, N, C};
	rf_pool_for(pool, (size_t)N, 16, ln_bwd_rows_task, &l);
	rf_pool_for(pool, (size_t)((C + LN_CB - 1) / LN_CB), 1,
		    ln_bwd_params_task, &l);
}

/* ---- attention ---------------------------------------------------------- */

void rf_k_attention_row(float *y, float *att, const float *q, const float *k,
			const float *v, int kvs, int t, int hd, float scale)
{
	float mx = -INFINITY, sum = 0.0f;
	for (int t2 = 0; t2 <= t; t2++) { /* scores q . k[t2] */
		const float *kt = k + (size_t)t2 * kvs;
		float s = 0.0f;
		for (int i = 0; i < hd; i++)
			s += q[i] * kt[i];
		s *= scale;
		att[t2] = s;
		if (s > mx)
			mx = s;
	}
	for (int t2 = 0; t2 <= t; t2++) {
		float e = expf(att[t2] - mx);
		att[t2] = e;
		sum += e;
	}
	float inv = 1.0f / sum;
	for (int t2 = 0; t2 <= t; t2++)
		att[t2] *= inv;
	for (int i = 0; i < hd; i++)
		y[i] = 0.0f;
	for (int t2 = 0; t2 <= t; t2++) { /* y = sum att[t2] v[t2] */
		const float *vt = v + (size_t)t2 * kvs;
		float a = att[t2];
		for (int i = 0; i < hd; i++)
			y[i] += a * vt[i];
	}
}

struct attn_ctx {
	float *y, *att, *dqkv, *scratch;
	const float *qkv, *cy, *catt, *dy;
	int B, T, C, NH;
};

/* One index per (b, h, t) row: rows are independent in the forward. */
static void attn_fwd_task(void *ctx, size_t begin, size_t end, int worker)
{
	const struct attn_ctx *a = ctx;
	int T = a->T, C = a->C, NH = a->NH, hd = C / NH;
	float scale = 1.0f / sqrtf((float)hd);
	(void)worker;
	for (size_t i = begin; i < end; i++) {
		int t = (int)(i % (size_t)T);
		int h = (int)((i / (size_t)T) % (size_t)NH);
		int b = (int)(i / ((size_t)T * NH));
		const float *base = a->qkv + (size_t)b * T * 3 * C; /* [T,3C] */
		const float *q = base + (size_t)t * 3 * C + h * hd;
		float *att = a->att + i * (size_t)T; /* [T] row of [B,NH,T,T] */
		float *y = a->y + ((size_t)b * T + t) * C + h * hd;
		rf_k_attention_row(y, att, q, base + C + h * hd,
				   base + 2 * C + h * hd, 3 * C, t, hd, scale);
		for (int t2 = t + 1; t2 < T; t2++)
			att[t2] = 0.0f;
	}
}

void rf_k_attention_fwd(rf_pool *pool, float *y, float *att, const float *qkv,
			int B, int T, int C, int NH)
{
	struct attn_ctx a = {y, att, NULL, NULL, qkv, NULL, NULL, NULL,
			     B, T, C, NH};
	rf_pool_for(pool, (size_t)B * NH * T, 8, attn_fwd_task, &a);
}

/* One index per (b, h): dk and dv of a position sum over all later query
 * rows, so a whole head is one task, its rows in order t = 0..T-1. */
static void attn_bwd_task(void *ctx, size_t begin, size_t end, int worker)
{
	const struct attn_ctx *a = ctx;
	int T = a->T, C = a->C, NH = a->NH, hd = C / NH;
	float scale = 1.0f / sqrtf((float)hd);
	(void)worker;
	for (size_t i = begin; i < end; i++) {
		int h = (int)(i % (size_t)NH), b = (int)(i / (size_t)NH);
		const float *base = a->qkv + (size_t)b * T * 3 * C;
		float *dbase = a->dqkv + (size_t)b * T * 3 * C;
		float *datt = a->scratch + i * (size_t)T; /* [T] */
		for (int t = 0; t < T; t++) /* clear this head's dq, dk, dv */
			for (int j = 0; j < 3; j++)
				memset(dbase + (size_t)t * 3 * C + j * C + h * hd, 0,
				       sizeof(float) * (size_t)hd);
		for (int t = 0; t < T; t++) {
			const float *att = a->catt + (i * T + t) * (size_t)T;
			const float *dy = a->dy + ((size_t)b * T + t) * C + h * hd;
			const float *q = base + (size_t)t * 3 * C + h * hd;
			float *dq = dbase + (size_t)t * 3 * C + h * hd;
			/* y = sum att v:  datt[t2] = dy . v[t2], dv[t2] += att dy */
			float dot = 0.0f;
			for (int t2 = 0; t2 <= t; t2++) {
				const float *v = base + (size_t)t2 * 3 * C + 2 * C + h * hd;
				float *dv = dbase + (size_t)t2 * 3 * C + 2 * C + h * hd;
				float s = 0.0f;
				for (int j = 0; j < hd; j++) {
					s += dy[j] * v[j];
					dv[j] += att[t2] * dy[j];
				}
				datt[t2] = s;
				dot += att[t2] * s;
			}
			/* softmax: dpre = att (datt - sum att datt); s = scale q.k */
			for (int t2 = 0; t2 <= t; t2++) {
				const float *k = base + (size_t)t2 * 3 * C + C + h * hd;
				float *dk = dbase + (size_t)t2 * 3 * C + C + h * hd;
				float dpre = att[t2] * (datt[t2] - dot) * scale;
				for (int j = 0; j < hd; j++) {
					dq[j] += dpre * k[j];
					dk[j] += dpre * q[j];
				}
			}
		}
	}
}

void rf_k_attention_bwd(rf_pool *pool, float *dqkv, float *scratch,
			const float *dy, const float *qkv, const float *att,
			int B, int T, int C, int NH)
{
	struct attn_ctx a = {NULL, NULL, dqkv, scratch, qkv, NULL, att, dy,
			     B, T, C, NH};
	rf_pool_for(pool, (size_t)B * NH, 1, attn_bwd_task, &a);
}

/* ---- GELU, residual ----------------------------------------------------- */

#define GELU_K 0.7978845608028654f /* sqrt(2/pi) */

struct ew_ctx {
	float *out;
	const float *a, *b;
};

static void gelu_fwd_task(void *ctx, size_t begin, size_t end, int worker)
{
	const struct ew_ctx *e = ctx;
	(void)worker;
	for (size_t i = begin; i < end; i++) {
		float x = e->a[i];
		float u = GELU_K * (x + 0.044715f * x * x * x);
		e->out[i] = 0.5f * x * (1.0f + tanhf(u));
	}
}

void rf_k_gelu_fwd(rf_pool *pool, float *out, const float *inp, size_t n)
{
	struct ew_ctx e = {out, inp, NULL};
	rf_pool_for(pool, n, 4096, gelu_fwd_task, &e);
}

static void gelu_bwd_task(void *ctx, size_t begin, size_t end, int worker)
{
	const struct ew_ctx *e = ctx;
	(void)worker;
	for (size_t i = begin; i < end; i++) {
		float x = e->a[i];
		float u = GELU_K * (x + 0.044715f * x * x * x);
		float th = tanhf(u);
		float sech2 = 1.0f - th * th;
		float du = GELU_K * (1.0f + 3.0f * 0.044715f * x * x);
		float g = 0.5f * (1.0f + th) + 0.5f * x * sech2 * du;
		e->out[i] = g * e->b[i];
	}
}

void rf_k_gelu_bwd(rf_pool *pool, float *dinp, const float *inp,
		   const float *dout, size_t n)
{
	struct ew_ctx e = {dinp, inp, dout};
	rf_pool_for(pool, n, 4096, gelu_bwd_task, &e);
}

static void add_task(void *ctx, size_t begin, size_t end, int worker)
{
	const struct ew_ctx *e = ctx;
	(void)worker;
	for (size_t i = begin; i < end; i++)
		e->out[i] = e->a[i] + e->b[i];
}

void rf_k_add(rf_pool *pool, float *out, const float *a, const float *b,
	      size_t n)
{
	struct ew_ctx e = {out, a, b};
	rf_pool_for(pool, n, 8192, add_task, &e);
}
