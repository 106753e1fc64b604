/* A CPU emulator of the small CUDA + cuBLAS subset that
 * lib/replay/cuda/gpt_cuda.cu uses, so that the very same kernel source can
 * be compiled with a host C++ compiler (-DRF_CUDA_EMU) and tested against
 * the CPU model where no GPU is at hand.  A test harness, never shipped:
 * tests/cli/test_cuda_emu.sh builds it into a throw-away module.
 *
 * Each CUDA thread of a block is a fiber (ucontext); blocks run one after
 * another.  __syncthreads() waits for every live thread of the block,
 * __shfl_xor_sync()/__syncwarp() for every live lane of the warp; a launch
 * whose threads wait at different barriers aborts ("divergent barrier").
 * Device memory is host memory with a PROT_NONE page right after each
 * allocation (an overrun faults) and filled with NaN bytes (a read of
 * memory never written shows up as NaN).  cuBLAS routines are the plain
 * column-major definitions. */
#ifndef REFEREE_TESTS_CUDA_EMU_H
#define REFEREE_TESTS_CUDA_EMU_H

#include <stddef.h>
#include <stdint.h>

#include <tuple>
#include <utility>

/* ---- the language ---- */
#define __global__
#define __device__
#define __host__
#define __shared__ static
#define __launch_bounds__(...)

struct dim3 {
	unsigned x, y, z;
	dim3(unsigned a = 1, unsigned b = 1, unsigned c = 1) : x(a), y(b), z(c) {}
};

namespace emu {
struct thread_ctx {
	dim3 tid, bid, bdim, gdim;
};
const thread_ctx &cur();
void syncthreads();
void syncwarp();
float shfl_xor(float v, int lane_mask);
void *dyn_shared();
void run(unsigned grid, unsigned block, size_t shmem, void (*body)(void *),
	 void *arg);

template <typename... P> struct launch {
	void (*k)(P...);
	unsigned g, b;
	size_t s;
	template <typename... A> void operator()(A &&...a)
	{
		std::tuple<P...> args(std::forward<A>(a)...);
		struct call {
			void (*k)(P...);
			std::tuple<P...> *args;
			static void go(void *p)
			{
				call *c = (call *)p;
				std::apply(c->k, *c->args);
			}
		} c{k, &args};
		run(g, b, s, &call::go, &c);
	}
};
template <typename... P>
launch<P...> make_launch(void (*k)(P...), unsigned g, unsigned b, size_t s)
{
	return launch<P...>{k, g, b, s};
}
} // namespace emu

#define threadIdx (::emu::cur().tid)
#define blockIdx (::emu::cur().bid)
#define blockDim (::emu::cur().bdim)
#define gridDim (::emu::cur().gdim)
#define LAUNCH(k, g, b, s) ::emu::make_launch(k, (g), (b), (s))
#define RF_DYN_SHARED(T, name) T *name = (T *)::emu::dyn_shared()

static inline void __syncthreads(void) { emu::syncthreads(); }
static inline void __syncwarp(unsigned mask = 0xffffffffu)
{
	(void)mask;
	emu::syncwarp();
}
static inline float __shfl_xor_sync(unsigned mask, float v, int lane_mask)
{
	(void)mask;
	return emu::shfl_xor(v, lane_mask);
}
/* Round-to-nearest single operations: the host's are (no FMA contraction
 * is allowed across these calls). */
float __fmul_rn(float a, float b);
float __fadd_rn(float a, float b);
float __fsub_rn(float a, float b);
float __fdiv_rn(float a, float b);

/* ---- the runtime ---- */
typedef enum cudaError {
	cudaSuccess = 0,
	cudaErrorInvalidValue = 1,
	cudaErrorMemoryAllocation = 2,
	cudaErrorInvalidConfiguration = 9,
	cudaErrorInsufficientDriver = 35,
	cudaErrorNoDevice = 100,
	cudaErrorInvalidDevice = 101
} cudaError_t;
enum cudaMemcpyKind {
	cudaMemcpyHostToHost = 0,
	cudaMemcpyHostToDevice = 1,
	cudaMemcpyDeviceToHost = 2,
	cudaMemcpyDeviceToDevice = 3
};
struct cudaDeviceProp {
	char name[256];
	size_t totalGlobalMem;
	int major, minor;
};
cudaError_t cudaGetDeviceCount(int *n);
cudaError_t cudaSetDevice(int d);
cudaError_t cudaGetDeviceProperties(cudaDeviceProp *p, int d);
cudaError_t cudaMalloc(void **p, size_t n);
cudaError_t cudaFree(void *p);
cudaError_t cudaMemcpy(void *dst, const void *src, size_t n, cudaMemcpyKind k);
cudaError_t cudaMemset(void *p, int v, size_t n);
cudaError_t cudaDeviceSynchronize(void);
cudaError_t cudaGetLastError(void);
const char *cudaGetErrorString(cudaError_t e);
template <typename T> cudaError_t cudaMalloc(T **p, size_t n)
{
	return cudaMalloc((void **)p, n);
}

/* ---- cuBLAS ---- */
typedef struct emu_blas *cublasHandle_t;
typedef enum {
	CUBLAS_STATUS_SUCCESS = 0,
	CUBLAS_STATUS_NOT_INITIALIZED = 1,
	CUBLAS_STATUS_INVALID_VALUE = 7
} cublasStatus_t;
typedef enum { CUBLAS_OP_N = 0, CUBLAS_OP_T = 1 } cublasOperation_t;
typedef enum { CUBLAS_DEFAULT_MATH = 0, CUBLAS_PEDANTIC_MATH = 2 } cublasMath_t;
typedef enum { CUBLAS_ATOMICS_NOT_ALLOWED = 0, CUBLAS_ATOMICS_ALLOWED = 1 } cublasAtomicsMode_t;
cublasStatus_t cublasCreate(cublasHandle_t *h);
cublasStatus_t cublasDestroy(cublasHandle_t h);
cublasStatus_t cublasSetMathMode(cublasHandle_t h, cublasMath_t m);
cublasStatus_t cublasSetAtomicsMode(cublasHandle_t h, cublasAtomicsMode_t m);
const char *cublasGetStatusString(cublasStatus_t s);
cublasStatus_t cublasSgemm(cublasHandle_t h, cublasOperation_t ta,
			   cublasOperation_t tb, int m, int n, int k,
			   const float *alpha, const float *A, int lda,
			   const float *B, int ldb, const float *beta, float *C,
			   int ldc);
cublasStatus_t cublasSgemmStridedBatched(
	cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m,
	int n, int k, const float *alpha, const float *A, int lda, long long sa,
	const float *B, int ldb, long long sb, const float *beta, float *C,
	int ldc, long long sc, int count);
cublasStatus_t cublasSgemv(cublasHandle_t h, cublasOperation_t t, int m, int n,
			   const float *alpha, const float *A, int lda,
			   const float *x, int incx, const float *beta, float *y,
			   int incy);

#endif
