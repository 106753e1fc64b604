/* referee replay — exp, tanh and GELU (forward and backward) on vectors, as
 * a template included by gpt_kernels.c once per instruction set (SSE2;
 * AVX2 when the CPU has it).  Every lane runs exactly the scalar k_expf /
 * k_tanhf / GELU operations of gpt_kernels.c (IEEE mul, add, div; no FMA),
 * so all widths give the same bits as the scalar code.
 * Before including, define EV_VEC, EV_IVEC (int32 lanes), EV_W (lanes),
 * EV_SPLAT(x), EV_ATTR and EV_SUFFIX. */
#define EV_CAT2(a, b) a##_##b
#define EV_CAT(a, b) EV_CAT2(a, b)
#define EV_EXP EV_CAT(k_expf, EV_SUFFIX)
#define EV_TANH EV_CAT(k_tanhf, EV_SUFFIX)
#define EV_GELU_FWD EV_CAT(gelu_fwd, EV_SUFFIX)
#define EV_GELU_BWD EV_CAT(gelu_bwd, EV_SUFFIX)

static inline __attribute__((always_inline)) EV_ATTR EV_VEC EV_EXP(EV_VEC x)
{
	const EV_VEC lo = EV_SPLAT(EXP_LO), hi = EV_SPLAT(EXP_HI);
	EV_IVEC m = x < lo; /* lanes of -1 where true */
	x = (EV_VEC)((m & (EV_IVEC)lo) | (~m & (EV_IVEC)x));
	m = x > hi;
	x = (EV_VEC)((m & (EV_IVEC)hi) | (~m & (EV_IVEC)x));
	EV_VEC n = (x * EXP_LOG2E + EXP_ROUND) - EXP_ROUND;
	EV_VEC r = x - n * EXP_LN2_HI;
	r = r - n * EXP_LN2_LO;
	EV_VEC p = EV_SPLAT(EXP_P0);
	p = p * r + EXP_P1;
	p = p * r + EXP_P2;
	p = p * r + EXP_P3;
	p = p * r + EXP_P4;
	p = p * r + EXP_P5;
	EV_VEC y = (p * (r * r) + r) + 1.0f;
	EV_IVEC bits = (__builtin_convertvector(n, EV_IVEC) + 127) << 23;
	return y * (EV_VEC)bits;
}

static inline __attribute__((always_inline)) EV_ATTR EV_VEC EV_TANH(EV_VEC x)
{
	return 1.0f - 2.0f / (1.0f + EV_EXP(2.0f * x));
}

/* out[i] = gelu(a[i]) for i < n rounded down to whole vectors; returns the
 * count done (the caller finishes with the scalar loop). */
static EV_ATTR size_t EV_GELU_FWD(float *out, const float *a, size_t n)
{
	size_t i = 0;
	for (; i + EV_W <= n; i += EV_W) {
		EV_VEC x;
		memcpy(&x, a + i, sizeof x);
		EV_VEC u = GELU_K * (x + 0.044715f * x * x * x);
		EV_VEC o = 0.5f * x * (1.0f + EV_TANH(u));
		memcpy(out + i, &o, sizeof o);
	}
	return i;
}

/* out[i] = gelu'(a[i]) dy[i], likewise (out may be dy) */
static EV_ATTR size_t EV_GELU_BWD(float *out, const float *a, const float *dy,
				  size_t n)
{
	size_t i = 0;
	for (; i + EV_W <= n; i += EV_W) {
		EV_VEC x, d;
		memcpy(&x, a + i, sizeof x);
		memcpy(&d, dy + i, sizeof d);
		EV_VEC u = GELU_K * (x + 0.044715f * x * x * x);
		EV_VEC th = EV_TANH(u);
		EV_VEC sech2 = 1.0f - th * th;
		EV_VEC du = GELU_K * (1.0f + 3.0f * 0.044715f * x * x);
		EV_VEC g = 0.5f * (1.0f + th) + 0.5f * x * sech2 * du;
		EV_VEC o = g * d;
		memcpy(out + i, &o, sizeof o);
	}
	return i;
}

#undef EV_CAT2
#undef EV_CAT
#undef EV_EXP
#undef EV_TANH
#undef EV_GELU_FWD
#undef EV_GELU_BWD
