/* referee replay — the layers of the policy model as plain C kernels
 * (matrix products, LayerNorm, attention, GELU), each parallelised over
 * independent outputs with the core pool.  Internal to lib/replay/gpt.c.
 *
 * Determinism: every output element is a sum in one fixed order (k = 0, 1,
 * ... for the matrix products), computed by exactly one thread, so results
 * are the same whatever the number of threads and whatever the tiling. */
#ifndef REFEREE_LIB_REPLAY_GPT_KERNELS_H
#define REFEREE_LIB_REPLAY_GPT_KERNELS_H

#include "referee/pool.h"

/** C[M,Nc] (=|+=) A[M,K] B[K,Nc] (+ bias[Nc]).  A is read as
 *  A[m*sam + k*sak] (so a transposed view is free); B and C are row-major
 *  with row strides ldb and ldc.  Each C element: for each block of
 *  RF_K_GEMM_KB k in order, s = the block's products summed in order from
 *  0; the first block sets C = s (+ bias), or C = C + s when accumulating;
 *  later blocks C = C + s. */
void rf_k_gemm(rf_pool *pool, float *C, int ldc, const float *A, int sam,
	       int sak, const float *B, int ldb, const float *bias, int M,
	       int Nc, int K, int accumulate);
/** The same with B's row k at B + brow[k]*ldb (rows stored compactly). */
void rf_k_gemm_rows(rf_pool *pool, float *C, int ldc, const float *A, int sam,
		    int sak, const float *B, int ldb, const int *brow,
		    const float *bias, int M, int Nc, int K, int accumulate);

/** Products are summed in blocks of this many k (in order within a block,
 *  the blocks added to C in order), so that tiles stay in cache. */
#define RF_K_GEMM_KB 256

/** y[i] += x[i] for i < n (vectorised, lane-wise: the scalar sums). */
void rf_k_acc(float *y, const float *x, size_t n);

/** Choose the widest vector kernels rf_k_gemm (and GELU) may use: 0
 *  automatic (the widest the CPU has), 1 the SSE2 baseline, 2 AVX2, 3
 *  AVX-512F (each capped at what the CPU has).  All give the same bits; for
 *  tests and benchmarks.  Not thread-safe: call before any product runs. */
void rf_k_gemm_select(int which);

/** dst[c, r] = src[r, c]; src is [R, Cn]. */
void rf_k_transpose(rf_pool *pool, float *dst, const float *src, int R,
		    int Cn);

/** LayerNorm over the last dim: out[N,C], mean[N], rstd[N] (eps 1e-5). */
void rf_k_layernorm_fwd(rf_pool *pool, float *out, float *mean, float *rstd,
			const float *inp, const float *w, const float *b, int N,
			int C);
/** dinp[N,C] += d(LN)/d(inp) dout; dw[C] += ..., db[C] += ... */
void rf_k_layernorm_bwd(rf_pool *pool, float *dinp, float *dw, float *db,
			const float *dout, const float *inp, const float *w,
			const float *mean, const float *rstd, int N, int C);

/** Causal self-attention forward.  qkv [B,T,3C] (q|k|v, head h in columns
 *  h*hd..), att [B,NH,T,T] softmax rows (entries t2 > t are 0), y [B,T,C];
 *  scratch needs B*T*C floats. */
void rf_k_attention_fwd(rf_pool *pool, float *y, float *att, float *scratch,
			const float *qkv, int B, int T, int C, int NH);
/** The same with rows stored compactly: row n = b*T + t of qkv and y is at
 *  cidx[n] (cidx[n] <= n); only rows with uniq[cidx[n]] == n are computed
 *  (att rows of the others are left for the caller to copy). */
void rf_k_attention_fwd_rows(rf_pool *pool, float *y, float *att, float *scratch,
			     const float *qkv, const int *cidx, const int *uniq,
			     int B, int T, int C, int NH);
/** Backward: dqkv [B,T,3C] (overwritten), from dy [B,T,C]; scratch needs
 *  B*T*(NH + C) floats. */
void rf_k_attention_bwd(rf_pool *pool, float *dqkv, float *scratch,
			const float *dy, const float *qkv, const float *att,
			int B, int T, int C, int NH);
/** One query row against keys/values 0..t (stride `kvs` floats between
 *  positions): att[0..t] softmax weights, y[hd].  Shared by the forward
 *  pass and KV-cache decoding so both compute the same numbers. */
void rf_k_attention_row(float *y, float *att, const float *q, const float *k,
			const float *v, int kvs, int t, int hd, float scale);

/** exp(x) in fp32 from multiplies and adds only (Cody-Waite reduction, the
 *  Cephes degree-6 polynomial; max error ~1 ulp; inputs clamped to
 *  [-87.3, 88.3], so tiny results are ~1e-38 rather than 0).  Used instead
 *  of libm's expf, whose result depends on the library version and on the
 *  CPU (glibc picks an FMA variant at run time), so that the model computes
 *  the same bits on every x86-64 and a GPU port can reproduce them. */
float rf_k_expf(float x);
/** log(x) in fp32 from multiplies and adds (the Cephes log1p polynomial;
 *  ~1 ulp) for positive normal x; 0 gives -inf, negative or NaN NaN,
 *  subnormals -inf (not needed here: it takes sums of exps, >= 1). */
float rf_k_logf(float x);
/** tanh(x) = 1 - 2 / (1 + exp(2x)) with rf_k_expf (abs. error ~1e-7). */
float rf_k_tanhf(float x);

/** GELU (tanh approximation), elementwise over n floats. */
void rf_k_gelu_fwd(rf_pool *pool, float *out, const float *inp, size_t n);
/** dinp = gelu'(inp) * dout (overwrites dinp). */
void rf_k_gelu_bwd(rf_pool *pool, float *dinp, const float *inp,
		   const float *dout, size_t n);
/** The same by rows of width w: dinp[n] = gelu'(inp[rows[n]]) dout[n]. */
void rf_k_gelu_bwd_rows(rf_pool *pool, float *dinp, const float *inp,
			const int *rows, const float *dout, size_t N, size_t w);

/** out = a + b, elementwise over n floats (out may alias a). */
void rf_k_add(rf_pool *pool, float *out, const float *a, const float *b,
	      size_t n);

#endif
