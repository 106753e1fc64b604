/* referee replay — the matrix-product tile kernel as a template, included
 * by gpt_kernels.c once per instruction set (SSE2 baseline; AVX2 when the
 * CPU has it).  Both compute every element of C with the same sequence of
 * fp32 multiplies and adds, lane by lane, so they give the same bits.
 * Before including, define GT_VEC (vector type), GT_W (floats in it),
 * GT_SPLAT(x) (x in every lane: a broadcast, not 0 + x, which costs an add
 * and a register), GT_RB x GT_CV (the tile: rows, vectors per row; the
 * accumulators must fit the registers), GT_ATTR (function attributes) and
 * GT_SUFFIX (name suffix). */
#define GT_CAT2(a, b) a##_##b
#define GT_CAT(a, b) GT_CAT2(a, b)
#define GT_TILE GT_CAT(gemm_tile, GT_SUFFIX)
#define GT_TASK GT_CAT(gemm_task, GT_SUFFIX)
#define GT_CB (GT_W * GT_CV)

/* C[r0.., c0..] of a tile (nr <= GT_RB rows, ncv <= GT_CV vectors of
 * GT_W columns) from the
 * products k in [k0, k1): C = s (+ bias) or C + s for the first k block,
 * C + s for the later ones, where s sums the block's products in order.
 * Inlined with nr and ncv constant, so the accumulators stay in registers. */
static inline __attribute__((always_inline)) GT_ATTR void
GT_TILE(const struct gemm_ctx *g, int r0, int c0, int nr, int ncv, int k0,
	int k1)
{
	GT_VEC acc[GT_RB][GT_CV];
	const float *A = g->A + (size_t)r0 * g->sam;
	const float *B = g->B + c0;
	/* the unroll pragmas let the accumulators live in registers */
#pragma GCC unroll 8
	for (int r = 0; r < GT_RB; r++)
#pragma GCC unroll 8
		for (int j = 0; j < GT_CV; j++)
			acc[r][j] = (GT_VEC){0};
	for (int k = k0; k < k1; k++) {
		GT_VEC b[GT_CV];
		const float *Bk = B + (size_t)(g->brow ? g->brow[k] : k) * g->ldb;
#pragma GCC unroll 8
		for (int j = 0; j < ncv; j++)
			memcpy(&b[j], Bk + GT_W * j, sizeof(GT_VEC));
#pragma GCC unroll 8
		for (int r = 0; r < nr; r++) {
			GT_VEC av = GT_SPLAT(A[(size_t)r * g->sam + (size_t)k * g->sak]);
#pragma GCC unroll 8
			for (int j = 0; j < ncv; j++)
				acc[r][j] += av * b[j];
		}
	}
#pragma GCC unroll 8
	for (int r = 0; r < nr; r++) {
		float *Cr = g->C + (size_t)(r0 + r) * g->ldc + c0;
		for (int j = 0; j < ncv; j++) {
			GT_VEC c = acc[r][j];
			if (k0 > 0 || g->accumulate) {
				GT_VEC old;
				memcpy(&old, Cr + GT_W * j, sizeof(GT_VEC));
				c = old + c;
			} else if (g->bias) {
				GT_VEC bb;
				memcpy(&bb, g->bias + c0 + GT_W * j, sizeof(GT_VEC));
				c = c + bb;
			}
			memcpy(Cr + GT_W * j, &c, sizeof(GT_VEC));
		}
	}
}

/* Task i = column block (outer) x row block (inner).  A run of tasks with
 * the same column block goes k block by k block over its rows, so the B
 * strip of a k block is reused from L1.  Each C element sees the same k
 * blocks in the same order however the tasks are grouped. */
static GT_ATTR void GT_TASK(void *ctx, size_t begin, size_t end, int worker)
{
	const struct gemm_ctx *g = ctx;
	(void)worker;
	size_t i = begin;
	while (i < end) {
		int cb = (int)(i / (size_t)g->nrb), rb0 = (int)(i % (size_t)g->nrb);
		int rb1 = g->nrb;
		if ((size_t)cb * g->nrb + (size_t)rb1 > end)
			rb1 = (int)(end - (size_t)cb * g->nrb);
		int c0 = cb * GT_CB;
		int c1 = c0 + GT_CB < g->Nc ? c0 + GT_CB : g->Nc;
		for (int k0 = 0; k0 < g->K || k0 == 0; k0 += GEMM_KB) {
			int k1 = k0 + GEMM_KB < g->K ? k0 + GEMM_KB : g->K;
			for (int rb = rb0; rb < rb1; rb++) {
				int r0 = rb * GT_RB;
				int r1 = r0 + GT_RB < g->M ? r0 + GT_RB : g->M;
				if (c1 - c0 == GT_CB) {
					if (r1 - r0 == GT_RB)
						GT_TILE(g, r0, c0, GT_RB, GT_CV, k0, k1);
					else
						GT_TILE(g, r0, c0, r1 - r0, GT_CV, k0, k1);
					continue;
				}
				/* the last, narrower column block (e.g. the 21
				 * logits): single vectors, then narrower ones
				 * (at most 6 rows a tile), then scalars -- all
				 * the same sums */
				int c = c0;
				for (; c + GT_W <= c1; c += GT_W)
					GT_TILE(g, r0, c, r1 - r0, 1, k0, k1);
#if GT_W > 8
				for (; c + 8 <= c1; c += 8)
					for (int r = r0; r < r1; r += 6)
						gemm_tile_avx2(g, r, c, r1 - r < 6 ? r1 - r : 6,
							       1, k0, k1);
#endif
#if GT_W > 4
				for (; c + 4 <= c1; c += 4)
					for (int r = r0; r < r1; r += 6)
						gemm_tile_sse2(g, r, c, r1 - r < 6 ? r1 - r : 6,
							       1, k0, k1);
#endif
				if (c < c1)
					gemm_tile_scalar(g, r0, r1, c, c1, k0, k1);
			}
		}
		i = (size_t)cb * g->nrb + (size_t)rb1;
	}
}

#undef GT_CAT2
#undef GT_CAT
#undef GT_TILE
#undef GT_TASK
#undef GT_CB
