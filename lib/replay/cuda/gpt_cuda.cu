/* referee replay — the CUDA backend module (build/referee-cuda.so): the
 * policy model of lib/replay/gpt.h on an NVIDIA GPU, exported to libreferee
 * as one versioned function table (lib/replay/backend_abi.h).
 *
 * Matrix products go through cuBLAS in plain fp32 (CUBLAS_DEFAULT_MATH: no
 * TF32), everything else through the kernels below.  Determinism: no
 * atomics; every reduction has one fixed order (a warp's butterfly, a fixed
 * tree over a fixed block size, or a serial loop), and cuBLAS is
 * deterministic run to run on one GPU model with one stream, so the same
 * inputs give the same bits on the same GPU.  Layouts follow gpt.c: rows
 * [B*T, ...] row-major, weights [out, in], attention probabilities
 * [B, NH, T, T]. */
#ifdef RF_CUDA_EMU
/* tests only: the same source on the CPU (tests/gpu/emu) */
#include "cuda_emu.h"
#else
#include <cuda_runtime.h>
#include <cublas_v2.h>
/* A kernel launch, written so that tests/gpu/emu can run it on the CPU. */
#define LAUNCH(k, g, b, s) k<<<(g), (b), (s)>>>
#define RF_DYN_SHARED(T, name) extern __shared__ T name[]
#endif

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <new>
#include <vector>

#include "referee/error.h"
#include "replay/backend_abi.h"

#define RF_EXPORT extern "C" __attribute__((visibility("default")))

/* ---------------------------------------------------------------- errors */

static thread_local char g_err[512];

static int fail(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int fail(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(g_err, sizeof g_err, fmt, ap);
	va_end(ap);
	return code;
}

static const char *last_error(void)
{
	return g_err;
}

#define CK(call)                                                              \
	do {                                                                  \
		cudaError_t e_ = (call);                                      \
		if (e_ != cudaSuccess)                                        \
			return fail(RF_ELIB, "%s (%s line %d)",               \
				    cudaGetErrorString(e_), __FILE__, __LINE__); \
	} while (0)

#define CB(call)                                                              \
	do {                                                                  \
		cublasStatus_t s_ = (call);                                   \
		if (s_ != CUBLAS_STATUS_SUCCESS)                              \
			return fail(RF_ELIB, "cuBLAS: %s (%s line %d)",       \
				    cublasGetStatusString(s_), __FILE__,      \
				    __LINE__);                                \
	} while (0)

/* A kernel launch: check the configuration was accepted. */
#define LAUNCHED() CK(cudaGetLastError())

/* --------------------------------------------------------------- kernels */

constexpr int WARPS = 4; /* warps per block for row kernels */

__device__ static inline float warp_sum(float v)
{
	/* Butterfly: every lane ends with the same sum, added in the same
	 * order on every run. */
	for (int o = 16; o > 0; o >>= 1)
		v += __shfl_xor_sync(0xffffffffu, v, o);
	return v;
}

__device__ static inline float warp_max(float v)
{
	for (int o = 16; o > 0; o >>= 1)
		v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
	return v;
}

/* x[n,c] = wte[tok[n],c] + wpe[n % T, c] */
__global__ void k_embed(float *x, const int32_t *tok, const float *wte,
			const float *wpe, int N, int T, int C)
{
	size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
	if (i >= (size_t)N * C)
		return;
	int n = (int)(i / C), c = (int)(i % C);
	x[i] = wte[(size_t)tok[n] * C + c] + wpe[(size_t)(n % T) * C + c];
}

/* Decoding: x[b,c] = wte[tok[b],c] + wpe[pos,c] */
__global__ void k_embed_pos(float *x, const int32_t *tok, const float *wte,
			    const float *wpe, int Bn, int pos, int C)
{
	size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
	if (i >= (size_t)Bn * C)
		return;
	int b = (int)(i / C), c = (int)(i % C);
	x[i] = wte[(size_t)tok[b] * C + c] + wpe[(size_t)pos * C + c];
}

/* One warp per row: out = (x - mean) * rstd * w + b, eps 1e-5. */
__global__ void k_layernorm_fwd(float *out, float *mean, float *rstd,
				const float *inp, const float *w,
				const float *b, int N, int C)
{
	int row = blockIdx.x * WARPS + threadIdx.x / 32, lane = threadIdx.x % 32;
	if (row >= N)
		return;
	const float *x = inp + (size_t)row * C;
	float s = 0.0f;
	for (int c = lane; c < C; c += 32)
		s += x[c];
	float m = warp_sum(s) / C;
	float v = 0.0f;
	for (int c = lane; c < C; c += 32) {
		float d = x[c] - m;
		v += d * d;
	}
	float r = 1.0f / sqrtf(warp_sum(v) / C + 1e-5f);
	float *o = out + (size_t)row * C;
	for (int c = lane; c < C; c += 32)
		o[c] = (x[c] - m) * r * w[c] + b[c];
	if (lane == 0) {
		if (mean)
			mean[row] = m;
		if (rstd)
			rstd[row] = r;
	}
}

/* One warp per row: dinp += LayerNorm backward; prod = dout * xhat for the
 * weight gradient (summed over rows afterwards by cuBLAS, in fixed order). */
__global__ void k_layernorm_bwd(float *dinp, float *prod, const float *dout,
				const float *inp, const float *w,
				const float *mean, const float *rstd, int N,
				int C)
{
	int row = blockIdx.x * WARPS + threadIdx.x / 32, lane = threadIdx.x % 32;
	if (row >= N)
		return;
	size_t base = (size_t)row * C;
	float m = mean[row], r = rstd[row];
	float s1 = 0.0f, s2 = 0.0f;
	for (int c = lane; c < C; c += 32) {
		float xh = (inp[base + c] - m) * r;
		float dn = dout[base + c] * w[c];
		s1 += dn;
		s2 += dn * xh;
	}
	s1 = warp_sum(s1) / C;
	s2 = warp_sum(s2) / C;
	for (int c = lane; c < C; c += 32) {
		float xh = (inp[base + c] - m) * r;
		float dn = dout[base + c] * w[c];
		dinp[base + c] += (dn - s1 - xh * s2) * r;
		prod[base + c] = dout[base + c] * xh;
	}
}

/* y[n,o] += bias[o] */
__global__ void k_add_bias(float *y, const float *bias, int N, int O)
{
	size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
	if (i >= (size_t)N * O)
		return;
	y[i] += bias[i % O];
}

/* out = res + (y + bias): the residual add after a projection (out may be
 * res). */
__global__ void k_residual(float *out, const float *res, const float *y,
			   const float *bias, int N, int C)
{
	size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
	if (i >= (size_t)N * C)
		return;
	out[i] = res[i] + (y[i] + bias[i % C]);
}

#define GELU_K 0.7978845608028654f /* sqrt(2/pi) */

/* pre += bias; act = gelu(pre) (tanh approximation) */
__global__ void k_bias_gelu(float *pre, float *act, const float *bias, int N,
			    int F)
{
	size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
	if (i >= (size_t)N * F)
		return;
	float x = pre[i] + bias[i % F];
	pre[i] = x;
	float u = GELU_K * (x + 0.044715f * x * x * x);
	act[i] = 0.5f * x * (1.0f + tanhf(u));
}

/* d = gelu'(pre) * d, in place */
__global__ void k_gelu_bwd(float *d, const float *pre, size_t n)
{
	size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
	if (i >= n)
		return;
	float x = pre[i];
	float u = GELU_K * (x + 0.044715f * x * x * x);
	float th = tanhf(u);
	float du = GELU_K * (1.0f + 3.0f * 0.044715f * x * x);
	float g = 0.5f * (1.0f + th) + 0.5f * x * (1.0f - th * th) * du;
	d[i] = g * d[i];
}

/* qkv [B,T,3C] -> q, k, v [B,NH,T,hd] */
__global__ void k_split_heads(float *q, float *k, float *v, const float *qkv,
			      int B, int T, int C, int NH)
{
	size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
	int hd = C / NH;
	if (i >= (size_t)B * T * C)
		return;
	/* i indexes [b, h, t, d] */
	int d = (int)(i % hd);
	int t = (int)((i / hd) % T);
	int h = (int)((i / ((size_t)hd * T)) % NH);
	int b = (int)(i / ((size_t)hd * T * NH));
	size_t src = ((size_t)b * T + t) * 3 * C + (size_t)h * hd + d;
	q[i] = qkv[src];
	k[i] = qkv[src + C];
	v[i] = qkv[src + 2 * C];
}

/* The reverse: dq, dk, dv [B,NH,T,hd] -> dqkv [B,T,3C] */
__global__ void k_merge_heads3(float *dqkv, const float *dq, const float *dk,
			       const float *dv, int B, int T, int C, int NH)
{
	size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
	int hd = C / NH;
	if (i >= (size_t)B * T * C)
		return;
	int d = (int)(i % hd);
	int t = (int)((i / hd) % T);
	int h = (int)((i / ((size_t)hd * T)) % NH);
	int b = (int)(i / ((size_t)hd * T * NH));
	size_t dst = ((size_t)b * T + t) * 3 * C + (size_t)h * hd + d;
	dqkv[dst] = dq[i];
	dqkv[dst + C] = dk[i];
	dqkv[dst + 2 * C] = dv[i];
}

/* y [B,NH,T,hd] <-> rows [B,T,C]; dir 0: heads to rows, 1: rows to heads */
__global__ void k_heads_rows(float *rows, float *heads, int B, int T, int C,
			     int NH, int dir)
{
	size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
	int hd = C / NH;
	if (i >= (size_t)B * T * C)
		return;
	int d = (int)(i % hd);
	int t = (int)((i / hd) % T);
	int h = (int)((i / ((size_t)hd * T)) % NH);
	int b = (int)(i / ((size_t)hd * T * NH));
	size_t r = ((size_t)b * T + t) * C + (size_t)h * hd + d;
	if (dir == 0)
		rows[r] = heads[i];
	else
		heads[i] = rows[r];
}

/* One warp per attention row (b, h, t): att = causal softmax of the scaled
 * scores (already scaled by cuBLAS), 0 beyond t. */
__global__ void k_softmax_causal(float *att, const float *pre, int R, int T)
{
	int row = blockIdx.x * WARPS + threadIdx.x / 32, lane = threadIdx.x % 32;
	if (row >= R)
		return;
	int t = row % T;
	const float *s = pre + (size_t)row * T;
	float *a = att + (size_t)row * T;
	float m = -INFINITY;
	for (int j = lane; j <= t; j += 32)
		m = fmaxf(m, s[j]);
	m = warp_max(m);
	float z = 0.0f;
	for (int j = lane; j <= t; j += 32)
		z += expf(s[j] - m);
	z = warp_sum(z);
	float inv = 1.0f / z;
	for (int j = lane; j < T; j += 32)
		a[j] = j <= t ? expf(s[j] - m) * inv : 0.0f;
}

/* One warp per attention row: dpre = att * (datt - <att, datt>) * scale,
 * 0 beyond t (in place over datt). */
__global__ void k_softmax_causal_bwd(float *dpre, const float *att, int R,
				     int T, float scale)
{
	int row = blockIdx.x * WARPS + threadIdx.x / 32, lane = threadIdx.x % 32;
	if (row >= R)
		return;
	int t = row % T;
	const float *a = att + (size_t)row * T;
	float *d = dpre + (size_t)row * T;
	float s = 0.0f;
	for (int j = lane; j <= t; j += 32)
		s += a[j] * d[j];
	s = warp_sum(s);
	__syncwarp();
	for (int j = lane; j < T; j += 32)
		d[j] = j <= t ? a[j] * (d[j] - s) * scale : 0.0f;
}

/* One warp per row: lse = log sum exp(logits[n]); out = logit[target] - lse,
 * 0 for a negative target. */
__global__ void k_logprobs(float *out, float *lse, const float *logits,
			   const int32_t *targets, int N, int V)
{
	int row = blockIdx.x * WARPS + threadIdx.x / 32, lane = threadIdx.x % 32;
	if (row >= N)
		return;
	const float *l = logits + (size_t)row * V;
	float m = -INFINITY;
	for (int j = lane; j < V; j += 32)
		m = fmaxf(m, l[j]);
	m = warp_max(m);
	float z = 0.0f;
	for (int j = lane; j < V; j += 32)
		z += expf(l[j] - m);
	z = warp_sum(z);
	if (lane == 0) {
		float ls = m + logf(z);
		int tg = targets[row];
		lse[row] = ls;
		out[row] = tg >= 0 ? l[tg] - ls : 0.0f;
	}
}

/* dlogits[n,v] = dlogp[n] (1{v = target} - softmax(logits[n])[v]); 0 for
 * a negative target */
__global__ void k_logprobs_bwd(float *dlogits, const float *logits,
			       const float *lse, const int32_t *targets,
			       const float *dlogp, int N, int V)
{
	size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
	if (i >= (size_t)N * V)
		return;
	int n = (int)(i / V), v = (int)(i % V);
	int tg = targets[n];
	if (tg < 0) {
		dlogits[i] = 0.0f;
		return;
	}
	/* as gpt.c: -d p, then + d at the target */
	float dv = -dlogp[n] * expf(logits[i] - lse[n]);
	dlogits[i] = v == tg ? dv + dlogp[n] : dv;
}

/* dwpe[t,c] += sum over b, in order, of dx[b*T+t, c] */
__global__ void k_wpe_bwd(float *dwpe, const float *dx, int B, int T, int C)
{
	size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
	if (i >= (size_t)T * C)
		return;
	int t = (int)(i / C), c = (int)(i % C);
	float s = 0.0f;
	for (int b = 0; b < B; b++)
		s += dx[((size_t)b * T + t) * C + c];
	dwpe[i] += s;
}

/* dwte[v,c] += sum of dx[n,c] over the rows n holding token v, in row order
 * (the host lists them: off[V+1], idx[N], a stable counting sort). */
__global__ void k_wte_bwd(float *dwte, const float *dx, const int32_t *off,
			  const int32_t *idx, int V, int C)
{
	size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
	if (i >= (size_t)V * C)
		return;
	int v = (int)(i / C), c = (int)(i % C);
	int a = off[v], e = off[v + 1];
	if (a == e)
		return;
	float s = 0.0f;
	for (int j = a; j < e; j++)
		s += dx[(size_t)idx[j] * C + c];
	dwte[i] += s;
}

/* Sum of squares, stage 1: NORM_BLOCKS blocks of NORM_THREADS threads, each
 * a fixed strided slice, a fixed tree; stage 2 adds the block sums. */
#define NORM_BLOCKS 512
#define NORM_THREADS 256
__global__ void k_sumsq(double *part, const float *g, size_t n)
{
	__shared__ double sh[NORM_THREADS];
	double s = 0.0;
	for (size_t i = (size_t)blockIdx.x * NORM_THREADS + threadIdx.x; i < n;
	     i += (size_t)NORM_BLOCKS * NORM_THREADS)
		s += (double)g[i] * (double)g[i];
	sh[threadIdx.x] = s;
	__syncthreads();
	for (int o = NORM_THREADS / 2; o > 0; o >>= 1) {
		if ((int)threadIdx.x < o)
			sh[threadIdx.x] += sh[threadIdx.x + o];
		__syncthreads();
	}
	if (threadIdx.x == 0)
		part[blockIdx.x] = sh[0];
}

__global__ void k_sum_parts(double *out, const double *part)
{
	__shared__ double sh[NORM_BLOCKS];
	sh[threadIdx.x] = part[threadIdx.x];
	__syncthreads();
	for (int o = NORM_BLOCKS / 2; o > 0; o >>= 1) {
		if ((int)threadIdx.x < o)
			sh[threadIdx.x] += sh[threadIdx.x + o];
		__syncthreads();
	}
	if (threadIdx.x == 0)
		out[0] = sh[0];
}

__global__ void k_scale(float *x, float s, size_t n)
{
	size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
	if (i < n)
		x[i] *= s;
}

/* AdamW as in gpt.c: decoupled decay on 2-D tensors, the moments, the
 * bias-corrected step; _rn intrinsics keep the compiler from fusing
 * multiply-adds, so each operation rounds as gpt.c's does. */
__global__ void k_adamw(float *p, float *m, float *v, const float *g,
			const unsigned char *decay, size_t n, float b1,
			float b2, float eps, float dec, float step, float bc2s)
{
	size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
	if (i >= n)
		return;
	float gi = g[i], pi = p[i];
	if (decay[i])
		pi = __fmul_rn(pi, dec);
	float mi = __fadd_rn(__fmul_rn(b1, m[i]), __fmul_rn(1.0f - b1, gi));
	float vi = __fadd_rn(__fmul_rn(b2, v[i]),
			     __fmul_rn(__fmul_rn(1.0f - b2, gi), gi));
	m[i] = mi;
	v[i] = vi;
	float denom = __fadd_rn(__fdiv_rn(sqrtf(vi), bc2s), eps);
	p[i] = __fsub_rn(pi, __fmul_rn(step, __fdiv_rn(mi, denom)));
}

/* KV cache write: k, v of this step's qkv [Bn,3C] into cache [Bn,NH,P,hd]
 * at position pos. */
__global__ void k_cache_put(float *kc, float *vc, const float *qkv, int Bn,
			    int C, int NH, int P, int pos)
{
	size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
	int hd = C / NH;
	if (i >= (size_t)Bn * C)
		return;
	int b = (int)(i / C), c = (int)(i % C);
	int h = c / hd, d = c % hd;
	size_t dst = (((size_t)b * NH + h) * P + pos) * hd + d;
	kc[dst] = qkv[(size_t)b * 3 * C + C + c];
	vc[dst] = qkv[(size_t)b * 3 * C + 2 * C + c];
}

/* Decoding attention, one block of DEC_THREADS per (b, h): the query of
 * this step against cached keys/values 0..pos.  Shared: scores[P]. */
#define DEC_THREADS 128
__global__ void k_attn_decode(float *y, const float *qkv, const float *kc,
			      const float *vc, int C, int NH, int P, int pos,
			      float scale)
{
	RF_DYN_SHARED(float, sh); /* [P] scores, [DEC_THREADS] scratch */
	float *sc = sh, *red = sh + P;
	int b = blockIdx.x / NH, h = blockIdx.x % NH, hd = C / NH;
	int tid = threadIdx.x;
	const float *q = qkv + (size_t)b * 3 * C + (size_t)h * hd;
	const float *K = kc + ((size_t)b * NH + h) * P * hd;
	const float *Vv = vc + ((size_t)b * NH + h) * P * hd;

	float m = -INFINITY;
	for (int j = tid; j <= pos; j += DEC_THREADS) {
		float s = 0.0f;
		for (int d = 0; d < hd; d++)
			s += q[d] * K[(size_t)j * hd + d];
		s *= scale;
		sc[j] = s;
		m = fmaxf(m, s);
	}
	red[tid] = m;
	__syncthreads();
	for (int o = DEC_THREADS / 2; o > 0; o >>= 1) {
		if (tid < o)
			red[tid] = fmaxf(red[tid], red[tid + o]);
		__syncthreads();
	}
	m = red[0];
	__syncthreads();
	float z = 0.0f;
	for (int j = tid; j <= pos; j += DEC_THREADS) {
		float e = expf(sc[j] - m);
		sc[j] = e;
		z += e;
	}
	red[tid] = z;
	__syncthreads();
	for (int o = DEC_THREADS / 2; o > 0; o >>= 1) {
		if (tid < o)
			red[tid] += red[tid + o];
		__syncthreads();
	}
	float inv = 1.0f / red[0];
	for (int d = tid; d < hd; d += DEC_THREADS) {
		float acc = 0.0f;
		for (int j = 0; j <= pos; j++)
			acc += (sc[j] * inv) * Vv[(size_t)j * hd + d];
		y[(size_t)b * C + (size_t)h * hd + d] = acc;
	}
}

static inline unsigned blocks_for(size_t n, unsigned threads)
{
	return (unsigned)((n + threads - 1) / threads);
}

/* ----------------------------------------------------------------- model */

struct layer_off {
	size_t ln1w, ln1b, qkvw, qkvb, projw, projb, ln2w, ln2b, fcw, fcb,
		mprojw, mprojb;
};

struct acts {
	size_t capN = 0, capAtt = 0;
	int B = 0, T = 0; /* of the last forward */
	int have_fwd = 0, have_lp = 0;
	std::vector<void *> owned;
	int32_t *tok = nullptr, *tok_off = nullptr, *tok_idx = nullptr,
		*targets = nullptr;
	float *resid = nullptr; /* [L+1][N,C] */
	float *xmid = nullptr, *ln1 = nullptr, *ln1m = nullptr, *ln1r = nullptr;
	float *qkv = nullptr, *att = nullptr, *atty = nullptr;
	float *ln2 = nullptr, *ln2m = nullptr, *ln2r = nullptr;
	float *fc = nullptr, *gelu = nullptr;
	float *lnf = nullptr, *lnfm = nullptr, *lnfr = nullptr;
	float *logits = nullptr, *lse = nullptr, *lp = nullptr, *dlogp = nullptr;
	/* scratch */
	float *q = nullptr, *k = nullptr, *v = nullptr, *yh = nullptr,
	      *pre = nullptr;
	float *dx = nullptr, *dC = nullptr, *dC2 = nullptr, *dW = nullptr,
	      *dlogits = nullptr, *ones = nullptr;
};

struct dev_model {
	rf_gpt_config cfg;
	int device;
	size_t nparam;
	float *p = nullptr, *g = nullptr, *m = nullptr, *v = nullptr;
	unsigned char *decay = nullptr;
	double *part = nullptr, *norm = nullptr;
	size_t o_wte, o_wpe, o_lnfw, o_lnfb, o_head;
	std::vector<layer_off> lo;
	cublasHandle_t blas = nullptr;
	acts a;
};

struct dev_cache {
	int batch, device;
	const dev_model *owner; /* compared, never followed: may be freed first */
	std::vector<void *> owned;
	float *kc, *vc; /* [L][batch,NH,P,hd] */
	int32_t *tok;
	float *x, *ln, *qkv, *y, *tmp, *fc, *gelu, *logits;
};

static int dmalloc(std::vector<void *> &owned, void **p, size_t bytes)
{
	void *q = nullptr;
	cudaError_t e = cudaMalloc(&q, bytes ? bytes : 4);
	if (e != cudaSuccess) {
		cudaGetLastError();
		return fail(RF_ENOMEM, "cannot allocate %zu MiB on the GPU: %s",
			    bytes >> 20, cudaGetErrorString(e));
	}
	owned.push_back(q);
	*p = q;
	return 0;
}

#define DALLOC(owned, ptr, count)                                              \
	do {                                                                   \
		int r_ = dmalloc(owned, (void **)&(ptr), sizeof(*(ptr)) * (count)); \
		if (r_)                                                        \
			return r_;                                             \
	} while (0)

static void free_all(std::vector<void *> &owned)
{
	for (void *q : owned)
		cudaFree(q);
	owned.clear();
}

/* The parameter layout of gpt.h, in its order. */
static size_t layout(dev_model *d)
{
	const rf_gpt_config *c = &d->cfg;
	size_t C = c->d_model, V = c->vocab, P = c->max_seq, F = c->d_ff;
	size_t o = 0;
	d->o_wte = o, o += V * C;
	d->o_wpe = o, o += P * C;
	d->lo.resize(c->n_layer);
	for (int l = 0; l < c->n_layer; l++) {
		layer_off &L = d->lo[l];
		L.ln1w = o, o += C;
		L.ln1b = o, o += C;
		L.qkvw = o, o += 3 * C * C;
		L.qkvb = o, o += 3 * C;
		L.projw = o, o += C * C;
		L.projb = o, o += C;
		L.ln2w = o, o += C;
		L.ln2b = o, o += C;
		L.fcw = o, o += F * C;
		L.fcb = o, o += F;
		L.mprojw = o, o += C * F;
		L.mprojb = o, o += C;
	}
	d->o_lnfw = o, o += C;
	d->o_lnfb = o, o += C;
	if (!c->tied)
		d->o_head = o, o += V * C;
	else
		d->o_head = d->o_wte;
	return o;
}

static int set_device(int device)
{
	CK(cudaSetDevice(device));
	return 0;
}

static int device_count(int *n)
{
	int k = 0;
	cudaError_t e = cudaGetDeviceCount(&k);
	*n = 0;
	if (e != cudaSuccess) {
		cudaGetLastError();
		if (e == cudaErrorInsufficientDriver || e == cudaErrorNoDevice)
			return fail(RF_EUNSUPPORTED,
				    "no CUDA device (%s; is the NVIDIA driver "
				    "installed and a GPU present?)",
				    cudaGetErrorString(e));
		return fail(RF_EUNSUPPORTED, "no CUDA device (%s)",
			    cudaGetErrorString(e));
	}
	if (k <= 0)
		return fail(RF_EUNSUPPORTED, "no CUDA device");
	*n = k;
	return 0;
}

static int device_name(int device, char *buf, size_t len)
{
	cudaDeviceProp pr;
	CK(cudaGetDeviceProperties(&pr, device));
	snprintf(buf, len, "%s (sm_%d%d, %.0f GiB)", pr.name, pr.major,
		 pr.minor, (double)pr.totalGlobalMem / (1024.0 * 1024 * 1024));
	return 0;
}

static void model_free(void *h)
{
	dev_model *d = (dev_model *)h;
	if (!d)
		return;
	cudaSetDevice(d->device);
	free_all(d->a.owned);
	cudaFree(d->p);
	cudaFree(d->g);
	cudaFree(d->m);
	cudaFree(d->v);
	cudaFree(d->decay);
	cudaFree(d->part);
	cudaFree(d->norm);
	if (d->blas)
		cublasDestroy(d->blas);
	delete d;
}

static int model_new(void **out, const rf_gpt_config *cfg, int device)
{
	int n = 0, rc;
	*out = nullptr;
	if ((rc = device_count(&n)) != 0)
		return rc;
	if (device < 0 || device >= n)
		return fail(RF_EUNSUPPORTED, "no CUDA device %d (%d present)",
			    device, n);
	if (cfg->max_seq > 8192)
		return fail(RF_EUNSUPPORTED,
			    "max_seq %d is above the CUDA decoder's 8192",
			    cfg->max_seq);
	if ((rc = set_device(device)) != 0)
		return rc;
	dev_model *d = new (std::nothrow) dev_model();
	if (!d)
		return fail(RF_ENOMEM, "out of memory");
	d->cfg = *cfg;
	d->device = device;
	d->nparam = layout(d);
	size_t np = d->nparam;
	std::vector<unsigned char> decay(np, 0);
	size_t C = cfg->d_model, V = cfg->vocab, P = cfg->max_seq,
	       F = cfg->d_ff;
	auto mark = [&](size_t off, size_t cnt) {
		memset(&decay[off], 1, cnt);
	};
	mark(d->o_wte, V * C);
	mark(d->o_wpe, P * C);
	for (const layer_off &L : d->lo) {
		mark(L.qkvw, 3 * C * C);
		mark(L.projw, C * C);
		mark(L.fcw, F * C);
		mark(L.mprojw, C * F);
	}
	if (!cfg->tied)
		mark(d->o_head, V * C);

	cudaError_t e;
	if ((e = cudaMalloc(&d->p, np * 4)) != cudaSuccess ||
	    (e = cudaMalloc(&d->g, np * 4)) != cudaSuccess ||
	    (e = cudaMalloc(&d->m, np * 4)) != cudaSuccess ||
	    (e = cudaMalloc(&d->v, np * 4)) != cudaSuccess ||
	    (e = cudaMalloc(&d->decay, np)) != cudaSuccess ||
	    (e = cudaMalloc(&d->part, NORM_BLOCKS * sizeof(double))) != cudaSuccess ||
	    (e = cudaMalloc(&d->norm, sizeof(double))) != cudaSuccess) {
		cudaGetLastError();
		model_free(d);
		return fail(RF_ENOMEM, "cannot allocate the model (%zu floats) on "
			    "the GPU: %s", np, cudaGetErrorString(e));
	}
	if ((e = cudaMemset(d->p, 0, np * 4)) != cudaSuccess ||
	    (e = cudaMemset(d->g, 0, np * 4)) != cudaSuccess ||
	    (e = cudaMemset(d->m, 0, np * 4)) != cudaSuccess ||
	    (e = cudaMemset(d->v, 0, np * 4)) != cudaSuccess ||
	    (e = cudaMemcpy(d->decay, decay.data(), np,
			    cudaMemcpyHostToDevice)) != cudaSuccess) {
		model_free(d);
		return fail(RF_ELIB, "%s", cudaGetErrorString(e));
	}
	cublasStatus_t s = cublasCreate(&d->blas);
	if (s == CUBLAS_STATUS_SUCCESS)
		/* Plain fp32 products: no TF32, so results stay close to
		 * the CPU's; the default (deterministic) atomics mode. */
		s = cublasSetMathMode(d->blas, CUBLAS_DEFAULT_MATH);
	if (s == CUBLAS_STATUS_SUCCESS)
		s = cublasSetAtomicsMode(d->blas, CUBLAS_ATOMICS_NOT_ALLOWED);
	if (s != CUBLAS_STATUS_SUCCESS) {
		model_free(d);
		return fail(RF_ELIB, "cuBLAS: %s", cublasGetStatusString(s));
	}
	*out = d;
	return 0;
}

static float *array_of(dev_model *d, int which)
{
	switch (which) {
	case RF_BK_PARAMS: return d->p;
	case RF_BK_GRADS: return d->g;
	case RF_BK_ADAM_M: return d->m;
	case RF_BK_ADAM_V: return d->v;
	}
	return nullptr;
}

static int write_arr(void *h, int which, const float *src, size_t off,
		     size_t n)
{
	dev_model *d = (dev_model *)h;
	float *a = array_of(d, which);
	if (!a || off > d->nparam || n > d->nparam - off)
		return fail(RF_EINVAL, "write outside the model's arrays");
	CK(cudaSetDevice(d->device));
	CK(cudaMemcpy(a + off, src, n * 4, cudaMemcpyHostToDevice));
	return 0;
}

static int read_arr(void *h, int which, float *dst, size_t off, size_t n)
{
	dev_model *d = (dev_model *)h;
	float *a = array_of(d, which);
	if (!a || off > d->nparam || n > d->nparam - off)
		return fail(RF_EINVAL, "read outside the model's arrays");
	CK(cudaSetDevice(d->device));
	CK(cudaMemcpy(dst, a + off, n * 4, cudaMemcpyDeviceToHost));
	return 0;
}

static int copy_params(void *dst, const void *src)
{
	dev_model *a = (dev_model *)dst;
	const dev_model *b = (const dev_model *)src;
	if (a->nparam != b->nparam ||
	    memcmp(&a->cfg, &b->cfg, sizeof a->cfg) != 0)
		return fail(RF_EINVAL, "copying parameters between models of "
			    "different configs");
	CK(cudaSetDevice(a->device));
	CK(cudaMemcpy(a->p, b->p, a->nparam * 4, cudaMemcpyDeviceToDevice));
	return 0;
}

/* Activations for N = B*T rows and B*NH*T*T attention entries. */
static int ensure_acts(dev_model *d, int B, int T)
{
	acts &a = d->a;
	const rf_gpt_config *c = &d->cfg;
	size_t N = (size_t)B * T, L = c->n_layer, C = c->d_model,
	       F = c->d_ff, V = c->vocab, NH = c->n_head;
	size_t att = (size_t)B * NH * T * T;
	if (N <= a.capN && att <= a.capAtt)
		return 0;
	free_all(a.owned);
	a.capN = a.capAtt = 0;
	size_t wide = 3 * C > F ? 3 * C : F;
	if (V > wide)
		wide = V;
	DALLOC(a.owned, a.tok, N);
	DALLOC(a.owned, a.tok_off, V + 1);
	DALLOC(a.owned, a.tok_idx, N);
	DALLOC(a.owned, a.targets, N);
	DALLOC(a.owned, a.resid, (L + 1) * N * C);
	DALLOC(a.owned, a.xmid, L * N * C);
	DALLOC(a.owned, a.ln1, L * N * C);
	DALLOC(a.owned, a.ln1m, L * N);
	DALLOC(a.owned, a.ln1r, L * N);
	DALLOC(a.owned, a.qkv, L * N * 3 * C);
	DALLOC(a.owned, a.att, L * att);
	DALLOC(a.owned, a.atty, L * N * C);
	DALLOC(a.owned, a.ln2, L * N * C);
	DALLOC(a.owned, a.ln2m, L * N);
	DALLOC(a.owned, a.ln2r, L * N);
	DALLOC(a.owned, a.fc, L * N * F);
	DALLOC(a.owned, a.gelu, L * N * F);
	DALLOC(a.owned, a.lnf, N * C);
	DALLOC(a.owned, a.lnfm, N);
	DALLOC(a.owned, a.lnfr, N);
	DALLOC(a.owned, a.logits, N * V);
	DALLOC(a.owned, a.lse, N);
	DALLOC(a.owned, a.lp, N);
	DALLOC(a.owned, a.dlogp, N);
	DALLOC(a.owned, a.q, N * C);
	DALLOC(a.owned, a.k, N * C);
	DALLOC(a.owned, a.v, N * C);
	DALLOC(a.owned, a.yh, N * C);
	DALLOC(a.owned, a.pre, att);
	DALLOC(a.owned, a.dx, N * C);
	DALLOC(a.owned, a.dC, N * wide);
	DALLOC(a.owned, a.dC2, N * wide);
	DALLOC(a.owned, a.dW, N * C);
	DALLOC(a.owned, a.dlogits, N * V);
	DALLOC(a.owned, a.ones, N);
	std::vector<float> one(N, 1.0f);
	CK(cudaMemcpy(a.ones, one.data(), N * 4, cudaMemcpyHostToDevice));
	a.capN = N;
	a.capAtt = att;
	return 0;
}

/* Row-major products through column-major cuBLAS (see the derivations in
 * CONTRIBUTING.md's CUDA section): */
/* Y[N,O] = X[N,I] W[O,I]^T (beta 0: overwrite, 1: accumulate) */
static int mm_xwT(dev_model *d, float *Y, const float *X, const float *W,
		  int N, int I, int O, float beta)
{
	const float one = 1.0f;
	CB(cublasSgemm(d->blas, CUBLAS_OP_T, CUBLAS_OP_N, O, N, I, &one, W, I,
		       X, I, &beta, Y, O));
	return 0;
}

/* dX[N,I] = dY[N,O] W[O,I] */
static int mm_dyW(dev_model *d, float *dX, const float *dY, const float *W,
		  int N, int I, int O)
{
	const float one = 1.0f, zero = 0.0f;
	CB(cublasSgemm(d->blas, CUBLAS_OP_N, CUBLAS_OP_N, I, N, O, &one, W, I,
		       dY, O, &zero, dX, I));
	return 0;
}

/* dW[O,I] += dY[N,O]^T X[N,I] */
static int mm_dyTx(dev_model *d, float *dW, const float *dY, const float *X,
		   int N, int I, int O)
{
	const float one = 1.0f;
	CB(cublasSgemm(d->blas, CUBLAS_OP_N, CUBLAS_OP_T, I, O, N, &one, X, I,
		       dY, O, &one, dW, I));
	return 0;
}

/* db[O] += sum over rows of dY[N,O] */
static int colsum(dev_model *d, float *db, const float *dY, int N, int O)
{
	const float one = 1.0f;
	CB(cublasSgemv(d->blas, CUBLAS_OP_N, O, N, &one, dY, O, d->a.ones, 1,
		       &one, db, 1));
	return 0;
}

#define TRY(x)                       \
	do {                         \
		int r_ = (x);        \
		if (r_)              \
			return r_;   \
	} while (0)

/* A linear layer: Y = X W^T + b */
static int linear(dev_model *d, float *Y, const float *X, size_t w, size_t b,
		  int N, int I, int O)
{
	TRY(mm_xwT(d, Y, X, d->p + w, N, I, O, 0.0f));
	LAUNCH(k_add_bias, blocks_for((size_t)N * O, 256), 256, 0)(Y, d->p + b, N, O);
	LAUNCHED();
	return 0;
}

/* The layers after the embedding, shared by forward (rows = B*T, sequence
 * structure from B, T). */
static int forward_dev(dev_model *d, int B, int T)
{
	const rf_gpt_config *c = &d->cfg;
	acts &a = d->a;
	int N = B * T, C = c->d_model, F = c->d_ff, V = c->vocab,
	    NH = c->n_head, hd = C / NH;
	size_t NC = (size_t)N * C, att = (size_t)B * NH * T * T;
	float scale = 1.0f / sqrtf((float)hd);
	const float zero = 0.0f;
	unsigned rb = blocks_for((size_t)N, WARPS);

	LAUNCH(k_embed, blocks_for(NC, 256), 256, 0)(a.resid, a.tok, d->p + d->o_wte,
					       d->p + d->o_wpe, N, T, C);
	LAUNCHED();
	for (int l = 0; l < c->n_layer; l++) {
		const layer_off &L = d->lo[l];
		float *x = a.resid + l * NC, *xm = a.xmid + l * NC;
		float *ln1 = a.ln1 + l * NC, *ln2 = a.ln2 + l * NC;
		float *qkv = a.qkv + (size_t)l * NC * 3;
		float *at = a.att + l * att, *atty = a.atty + l * NC;
		float *fc = a.fc + (size_t)l * N * F, *ge = a.gelu + (size_t)l * N * F;

		LAUNCH(k_layernorm_fwd, rb, 32 * WARPS, 0)(ln1, a.ln1m + (size_t)l * N,
						    a.ln1r + (size_t)l * N, x,
						    d->p + L.ln1w, d->p + L.ln1b,
						    N, C);
		LAUNCHED();
		TRY(linear(d, qkv, ln1, L.qkvw, L.qkvb, N, C, 3 * C));
		LAUNCH(k_split_heads, blocks_for(NC, 256), 256, 0)(a.q, a.k, a.v, qkv,
							    B, T, C, NH);
		LAUNCHED();
		/* pre[T,T] = scale * q k^T per (b,h) */
		CB(cublasSgemmStridedBatched(d->blas, CUBLAS_OP_T, CUBLAS_OP_N,
					     T, T, hd, &scale, a.k, hd,
					     (long long)T * hd, a.q, hd,
					     (long long)T * hd, &zero, a.pre, T,
					     (long long)T * T, B * NH));
		LAUNCH(k_softmax_causal, blocks_for((size_t)B * NH * T, WARPS), 32 * WARPS, 0)(at, a.pre, B * NH * T, T);
		LAUNCHED();
		/* yh[T,hd] = att[T,T] v[T,hd] */
		const float one = 1.0f;
		CB(cublasSgemmStridedBatched(d->blas, CUBLAS_OP_N, CUBLAS_OP_N,
					     hd, T, T, &one, a.v, hd,
					     (long long)T * hd, at, T,
					     (long long)T * T, &zero, a.yh, hd,
					     (long long)T * hd, B * NH));
		LAUNCH(k_heads_rows, blocks_for(NC, 256), 256, 0)(atty, a.yh, B, T, C,
							   NH, 0);
		LAUNCHED();
		TRY(mm_xwT(d, a.dW, atty, d->p + L.projw, N, C, C, 0.0f));
		LAUNCH(k_residual, blocks_for(NC, 256), 256, 0)(xm, x, a.dW,
							 d->p + L.projb, N, C);
		LAUNCHED();
		LAUNCH(k_layernorm_fwd, rb, 32 * WARPS, 0)(ln2, a.ln2m + (size_t)l * N,
						    a.ln2r + (size_t)l * N, xm,
						    d->p + L.ln2w, d->p + L.ln2b,
						    N, C);
		LAUNCHED();
		TRY(mm_xwT(d, fc, ln2, d->p + L.fcw, N, C, F, 0.0f));
		LAUNCH(k_bias_gelu, blocks_for((size_t)N * F, 256), 256, 0)(
			fc, ge, d->p + L.fcb, N, F);
		LAUNCHED();
		TRY(mm_xwT(d, a.dW, ge, d->p + L.mprojw, N, F, C, 0.0f));
		LAUNCH(k_residual, blocks_for(NC, 256), 256, 0)(x + NC, xm, a.dW,
							 d->p + L.mprojb, N, C);
		LAUNCHED();
	}
	LAUNCH(k_layernorm_fwd, rb, 32 * WARPS, 0)(a.lnf, a.lnfm, a.lnfr,
					    a.resid + (size_t)c->n_layer * NC,
					    d->p + d->o_lnfw, d->p + d->o_lnfb,
					    N, C);
	LAUNCHED();
	TRY(mm_xwT(d, a.logits, a.lnf, d->p + d->o_head, N, C, V, 0.0f));
	return 0;
}

static int forward(void *h, const int32_t *tokens, int B, int T)
{
	dev_model *d = (dev_model *)h;
	const rf_gpt_config *c = &d->cfg;
	if (B <= 0 || T <= 0 || T > c->max_seq)
		return fail(RF_EINVAL, "forward: bad batch %d x %d", B, T);
	size_t N = (size_t)B * T;
	if (N > (size_t)1 << 28)
		return fail(RF_ELIMIT, "forward: batch of %zu rows is too big", N);
	CK(cudaSetDevice(d->device));
	d->a.have_fwd = d->a.have_lp = 0;
	TRY(ensure_acts(d, B, T));
	/* Rows of each token in order (a stable counting sort) for the
	 * embedding's deterministic backward. */
	int V = c->vocab;
	std::vector<int32_t> off(V + 1, 0), idx(N);
	for (size_t n = 0; n < N; n++) {
		if (tokens[n] < 0 || tokens[n] >= V)
			return fail(RF_EINVAL, "token %d outside the vocabulary",
				    (int)tokens[n]);
		off[tokens[n] + 1]++;
	}
	for (int v = 0; v < V; v++)
		off[v + 1] += off[v];
	{
		std::vector<int32_t> fill(off.begin(), off.end() - 1);
		for (size_t n = 0; n < N; n++)
			idx[fill[tokens[n]]++] = (int32_t)n;
	}
	CK(cudaMemcpy(d->a.tok, tokens, N * 4, cudaMemcpyHostToDevice));
	CK(cudaMemcpy(d->a.tok_off, off.data(), (V + 1) * 4,
		      cudaMemcpyHostToDevice));
	CK(cudaMemcpy(d->a.tok_idx, idx.data(), N * 4, cudaMemcpyHostToDevice));
	TRY(forward_dev(d, B, T));
	d->a.B = B;
	d->a.T = T;
	d->a.have_fwd = 1;
	return 0;
}

static int logits_get(void *h, float *dst)
{
	dev_model *d = (dev_model *)h;
	if (!d->a.have_fwd)
		return fail(RF_EINVAL, "logits before a forward pass");
	CK(cudaSetDevice(d->device));
	CK(cudaMemcpy(dst, d->a.logits,
		      (size_t)d->a.B * d->a.T * d->cfg.vocab * 4,
		      cudaMemcpyDeviceToHost));
	return 0;
}

static int token_logprobs(void *h, const int32_t *targets, float *out)
{
	dev_model *d = (dev_model *)h;
	acts &a = d->a;
	if (!a.have_fwd)
		return fail(RF_EINVAL, "token_logprobs before a forward pass");
	int N = a.B * a.T, V = d->cfg.vocab;
	for (int n = 0; n < N; n++)
		if (targets[n] >= V)
			return fail(RF_EINVAL, "target %d outside the vocabulary",
				    (int)targets[n]);
	CK(cudaSetDevice(d->device));
	CK(cudaMemcpy(a.targets, targets, (size_t)N * 4, cudaMemcpyHostToDevice));
	LAUNCH(k_logprobs, blocks_for((size_t)N, WARPS), 32 * WARPS, 0)(
		a.lp, a.lse, a.logits, a.targets, N, V);
	LAUNCHED();
	CK(cudaMemcpy(out, a.lp, (size_t)N * 4, cudaMemcpyDeviceToHost));
	a.have_lp = 1;
	return 0;
}

/* dinp += LayerNorm backward; dw, db accumulate (row sums by cuBLAS). */
static int layernorm_bwd(dev_model *d, float *dinp, const float *dout,
			 const float *inp, size_t w, size_t b, const float *mean,
			 const float *rstd, int N, int C)
{
	LAUNCH(k_layernorm_bwd, blocks_for((size_t)N, WARPS), 32 * WARPS, 0)(
		dinp, d->a.dW, dout, inp, d->p + w, mean, rstd, N, C);
	LAUNCHED();
	TRY(colsum(d, d->g + w, d->a.dW, N, C));
	TRY(colsum(d, d->g + b, dout, N, C));
	return 0;
}

static int backward(void *h, const float *dlogp)
{
	dev_model *d = (dev_model *)h;
	acts &a = d->a;
	const rf_gpt_config *c = &d->cfg;
	if (!a.have_lp)
		return fail(RF_EINVAL, "backward before forward and token_logprobs");
	int B = a.B, T = a.T, N = B * T, C = c->d_model, F = c->d_ff,
	    V = c->vocab, NH = c->n_head, hd = C / NH, Lc = c->n_layer;
	size_t NC = (size_t)N * C, att = (size_t)B * NH * T * T;
	float scale = 1.0f / sqrtf((float)hd);
	const float one = 1.0f, zero = 0.0f;
	float *g = d->g, *p = d->p;

	CK(cudaSetDevice(d->device));
	CK(cudaMemcpy(a.dlogp, dlogp, (size_t)N * 4, cudaMemcpyHostToDevice));
	LAUNCH(k_logprobs_bwd, blocks_for((size_t)N * V, 256), 256, 0)(
		a.dlogits, a.logits, a.lse, a.targets, a.dlogp, N, V);
	LAUNCHED();
	/* logits = lnf @ head^T */
	TRY(mm_dyTx(d, g + d->o_head, a.dlogits, a.lnf, N, C, V));
	TRY(mm_dyW(d, a.dC, a.dlogits, p + d->o_head, N, C, V));
	CK(cudaMemset(a.dx, 0, NC * 4));
	TRY(layernorm_bwd(d, a.dx, a.dC, a.resid + (size_t)Lc * NC, d->o_lnfw,
			  d->o_lnfb, a.lnfm, a.lnfr, N, C));

	for (int l = Lc - 1; l >= 0; l--) {
		const layer_off &L = d->lo[l];
		float *x = a.resid + l * NC, *xm = a.xmid + l * NC;
		float *ln1 = a.ln1 + l * NC, *ln2 = a.ln2 + l * NC;
		float *at = a.att + l * att, *atty = a.atty + l * NC;
		float *fc = a.fc + (size_t)l * N * F, *ge = a.gelu + (size_t)l * N * F;

		/* MLP: out = mproj(gelu(fc(ln2(xm)))) */
		TRY(mm_dyTx(d, g + L.mprojw, a.dx, ge, N, F, C));
		TRY(colsum(d, g + L.mprojb, a.dx, N, C));
		TRY(mm_dyW(d, a.dC, a.dx, p + L.mprojw, N, F, C));
		LAUNCH(k_gelu_bwd, blocks_for((size_t)N * F, 256), 256, 0)(
			a.dC, fc, (size_t)N * F);
		LAUNCHED();
		TRY(mm_dyTx(d, g + L.fcw, a.dC, ln2, N, C, F));
		TRY(colsum(d, g + L.fcb, a.dC, N, F));
		TRY(mm_dyW(d, a.dC2, a.dC, p + L.fcw, N, C, F));
		TRY(layernorm_bwd(d, a.dx, a.dC2, xm, L.ln2w, L.ln2b,
				  a.ln2m + (size_t)l * N, a.ln2r + (size_t)l * N,
				  N, C));

		/* attention: out = proj(attn(qkv(ln1(x)))) */
		TRY(mm_dyTx(d, g + L.projw, a.dx, atty, N, C, C));
		TRY(colsum(d, g + L.projb, a.dx, N, C));
		TRY(mm_dyW(d, a.dC, a.dx, p + L.projw, N, C, C));
		/* recompute q, k, v of this layer from its saved qkv */
		LAUNCH(k_split_heads, blocks_for(NC, 256), 256, 0)(
			a.q, a.k, a.v, a.qkv + (size_t)l * NC * 3, B, T, C, NH);
		LAUNCHED();
		LAUNCH(k_heads_rows, blocks_for(NC, 256), 256, 0)(a.dC, a.yh, B, T, C,
							   NH, 1);
		LAUNCHED();
		/* dpre (in a.pre) = dyh[T,hd] v[T,hd]^T */
		CB(cublasSgemmStridedBatched(d->blas, CUBLAS_OP_T, CUBLAS_OP_N,
					     T, T, hd, &one, a.v, hd,
					     (long long)T * hd, a.yh, hd,
					     (long long)T * hd, &zero, a.pre, T,
					     (long long)T * T, B * NH));
		/* dv (into dC2 as [B,NH,T,hd]) = att^T dyh */
		float *dq = a.dC2, *dk = a.dC2 + NC, *dv = a.dC2 + 2 * NC;
		CB(cublasSgemmStridedBatched(d->blas, CUBLAS_OP_N, CUBLAS_OP_T,
					     hd, T, T, &one, a.yh, hd,
					     (long long)T * hd, at, T,
					     (long long)T * T, &zero, dv, hd,
					     (long long)T * hd, B * NH));
		LAUNCH(k_softmax_causal_bwd, blocks_for((size_t)B * NH * T, WARPS), 32 * WARPS, 0)(a.pre, at, B * NH * T, T,
						     scale);
		LAUNCHED();
		/* dq = dpre k ; dk = dpre^T q */
		CB(cublasSgemmStridedBatched(d->blas, CUBLAS_OP_N, CUBLAS_OP_N,
					     hd, T, T, &one, a.k, hd,
					     (long long)T * hd, a.pre, T,
					     (long long)T * T, &zero, dq, hd,
					     (long long)T * hd, B * NH));
		CB(cublasSgemmStridedBatched(d->blas, CUBLAS_OP_N, CUBLAS_OP_T,
					     hd, T, T, &one, a.q, hd,
					     (long long)T * hd, a.pre, T,
					     (long long)T * T, &zero, dk, hd,
					     (long long)T * hd, B * NH));
		/* dqkv [N,3C] into dC (wide enough: 3C columns) */
		LAUNCH(k_merge_heads3, blocks_for(NC, 256), 256, 0)(a.dC, dq, dk, dv, B,
							     T, C, NH);
		LAUNCHED();
		TRY(mm_dyTx(d, g + L.qkvw, a.dC, ln1, N, C, 3 * C));
		TRY(colsum(d, g + L.qkvb, a.dC, N, 3 * C));
		TRY(mm_dyW(d, a.dC2, a.dC, p + L.qkvw, N, C, 3 * C));
		TRY(layernorm_bwd(d, a.dx, a.dC2, x, L.ln1w, L.ln1b,
				  a.ln1m + (size_t)l * N, a.ln1r + (size_t)l * N,
				  N, C));
	}
	LAUNCH(k_wpe_bwd, blocks_for((size_t)T * C, 256), 256, 0)(g + d->o_wpe, a.dx,
							   B, T, C);
	LAUNCHED();
	LAUNCH(k_wte_bwd, blocks_for((size_t)V * C, 256), 256, 0)(
		g + d->o_wte, a.dx, a.tok_off, a.tok_idx, V, C);
	LAUNCHED();
	return 0;
}

static int zero_grad(void *h)
{
	dev_model *d = (dev_model *)h;
	CK(cudaSetDevice(d->device));
	CK(cudaMemset(d->g, 0, d->nparam * 4));
	return 0;
}

static int grad_norm(void *h, double *norm)
{
	dev_model *d = (dev_model *)h;
	double ss = 0.0;
	CK(cudaSetDevice(d->device));
	LAUNCH(k_sumsq, NORM_BLOCKS, NORM_THREADS, 0)(d->part, d->g, d->nparam);
	LAUNCHED();
	LAUNCH(k_sum_parts, 1, NORM_BLOCKS, 0)(d->norm, d->part);
	LAUNCHED();
	CK(cudaMemcpy(&ss, d->norm, sizeof ss, cudaMemcpyDeviceToHost));
	*norm = sqrt(ss);
	return 0;
}

static int scale_grads(void *h, float s)
{
	dev_model *d = (dev_model *)h;
	CK(cudaSetDevice(d->device));
	LAUNCH(k_scale, blocks_for(d->nparam, 256), 256, 0)(d->g, s, d->nparam);
	LAUNCHED();
	return 0;
}

static int adamw_step(void *h, float b1, float b2, float eps, float dec,
		      float step, float bc2s)
{
	dev_model *d = (dev_model *)h;
	CK(cudaSetDevice(d->device));
	LAUNCH(k_adamw, blocks_for(d->nparam, 256), 256, 0)(d->p, d->m, d->v, d->g,
						     d->decay, d->nparam, b1,
						     b2, eps, dec, step, bc2s);
	LAUNCHED();
	return 0;
}

static void cache_free(void *h)
{
	dev_cache *k = (dev_cache *)h;
	if (!k)
		return;
	cudaSetDevice(k->device);
	free_all(k->owned);
	delete k;
}

static int cache_alloc(dev_cache *k, const rf_gpt_config *c)
{
	size_t Bn = k->batch, C = c->d_model, F = c->d_ff, V = c->vocab,
	       P = c->max_seq, L = c->n_layer;
	DALLOC(k->owned, k->kc, L * Bn * P * C);
	DALLOC(k->owned, k->vc, L * Bn * P * C);
	DALLOC(k->owned, k->tok, Bn);
	DALLOC(k->owned, k->x, Bn * C);
	DALLOC(k->owned, k->ln, Bn * C);
	DALLOC(k->owned, k->qkv, Bn * 3 * C);
	DALLOC(k->owned, k->y, Bn * C);
	DALLOC(k->owned, k->tmp, Bn * C);
	DALLOC(k->owned, k->fc, Bn * F);
	DALLOC(k->owned, k->gelu, Bn * F);
	DALLOC(k->owned, k->logits, Bn * V);
	return 0;
}

static int cache_new(void **out, void *h, int batch)
{
	dev_model *d = (dev_model *)h;
	*out = nullptr;
	if (batch <= 0 || batch > (1 << 20))
		return fail(RF_EINVAL, "cache: bad batch %d", batch);
	CK(cudaSetDevice(d->device));
	dev_cache *k = new (std::nothrow) dev_cache();
	if (!k)
		return fail(RF_ENOMEM, "out of memory");
	k->batch = batch;
	k->device = d->device;
	k->owner = d;
	int rc = cache_alloc(k, &d->cfg);
	if (rc) {
		cache_free(k);
		return rc;
	}
	*out = k;
	return 0;
}

static int decode_step(void *h, void *ch, const int32_t *tokens, int pos,
		       float *logits)
{
	dev_model *d = (dev_model *)h;
	dev_cache *k = (dev_cache *)ch;
	const rf_gpt_config *c = &d->cfg;
	int Bn = k->batch, C = c->d_model, F = c->d_ff, V = c->vocab,
	    NH = c->n_head, P = c->max_seq, hd = C / NH;
	size_t BC = (size_t)Bn * C, kvl = (size_t)Bn * P * C;
	float scale = 1.0f / sqrtf((float)hd);
	unsigned rb = blocks_for((size_t)Bn, WARPS);

	if (k->owner != d)
		return fail(RF_EINVAL, "cache belongs to another model");
	if (pos < 0 || pos >= P)
		return fail(RF_EINVAL, "decode position %d outside 0..%d", pos,
			    P - 1);
	for (int b = 0; b < Bn; b++)
		if (tokens[b] < 0 || tokens[b] >= V)
			return fail(RF_EINVAL, "token %d outside the vocabulary",
				    (int)tokens[b]);
	CK(cudaSetDevice(d->device));
	CK(cudaMemcpy(k->tok, tokens, (size_t)Bn * 4, cudaMemcpyHostToDevice));
	LAUNCH(k_embed_pos, blocks_for(BC, 256), 256, 0)(k->x, k->tok, d->p + d->o_wte,
						  d->p + d->o_wpe, Bn, pos, C);
	LAUNCHED();
	for (int l = 0; l < c->n_layer; l++) {
		const layer_off &L = d->lo[l];
		LAUNCH(k_layernorm_fwd, rb, 32 * WARPS, 0)(k->ln, nullptr, nullptr, k->x,
						    d->p + L.ln1w, d->p + L.ln1b,
						    Bn, C);
		LAUNCHED();
		TRY(linear(d, k->qkv, k->ln, L.qkvw, L.qkvb, Bn, C, 3 * C));
		LAUNCH(k_cache_put, blocks_for(BC, 256), 256, 0)(
			k->kc + l * kvl, k->vc + l * kvl, k->qkv, Bn, C, NH, P, pos);
		LAUNCHED();
		LAUNCH(k_attn_decode, Bn * NH, DEC_THREADS, (P + DEC_THREADS) * sizeof(float))(
			k->y, k->qkv, k->kc + l * kvl, k->vc + l * kvl, C, NH, P,
			pos, scale);
		LAUNCHED();
		TRY(mm_xwT(d, k->tmp, k->y, d->p + L.projw, Bn, C, C, 0.0f));
		LAUNCH(k_residual, blocks_for(BC, 256), 256, 0)(k->x, k->x, k->tmp,
							 d->p + L.projb, Bn, C);
		LAUNCHED();
		LAUNCH(k_layernorm_fwd, rb, 32 * WARPS, 0)(k->ln, nullptr, nullptr, k->x,
						    d->p + L.ln2w, d->p + L.ln2b,
						    Bn, C);
		LAUNCHED();
		TRY(mm_xwT(d, k->fc, k->ln, d->p + L.fcw, Bn, C, F, 0.0f));
		LAUNCH(k_bias_gelu, blocks_for((size_t)Bn * F, 256), 256, 0)(
			k->fc, k->gelu, d->p + L.fcb, Bn, F);
		LAUNCHED();
		TRY(mm_xwT(d, k->tmp, k->gelu, d->p + L.mprojw, Bn, F, C, 0.0f));
		LAUNCH(k_residual, blocks_for(BC, 256), 256, 0)(k->x, k->x, k->tmp,
							 d->p + L.mprojb, Bn, C);
		LAUNCHED();
	}
	LAUNCH(k_layernorm_fwd, rb, 32 * WARPS, 0)(k->ln, nullptr, nullptr, k->x,
					    d->p + d->o_lnfw, d->p + d->o_lnfb,
					    Bn, C);
	LAUNCHED();
	TRY(mm_xwT(d, k->logits, k->ln, d->p + d->o_head, Bn, C, V, 0.0f));
	CK(cudaMemcpy(logits, k->logits, (size_t)Bn * V * 4,
		      cudaMemcpyDeviceToHost));
	return 0;
}

static int synchronize(void *h)
{
	dev_model *d = (dev_model *)h;
	CK(cudaSetDevice(d->device));
	CK(cudaDeviceSynchronize());
	return 0;
}

/* ------------------------------------------------------------ the table */

static const rf_backend_ops ops = {
	RF_BACKEND_ABI,
	(uint32_t)sizeof(rf_backend_ops),
	"cuda",
	last_error,
	device_count,
	device_name,
	model_new,
	model_free,
	write_arr,
	read_arr,
	copy_params,
	forward,
	logits_get,
	token_logprobs,
	backward,
	zero_grad,
	grad_norm,
	scale_grads,
	adamw_step,
	cache_new,
	cache_free,
	decode_step,
	synchronize,
};

RF_EXPORT const rf_backend_ops *referee_backend_v1(void)
{
	return &ops;
}
