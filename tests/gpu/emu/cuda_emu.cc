/* The CPU emulator behind cuda_emu.h (a test harness for the CUDA backend's
 * kernels and cuBLAS calls; see the header).  Faults loudly: an invalid
 * launch is a launch error, a cuBLAS call with a leading dimension too small
 * or a matrix outside any allocation aborts, as does a barrier that not
 * every thread reaches. */
#include "cuda_emu.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <map>
#include <vector>

/* Switching between fibers.  On x86-64 a minimal switch of the callee-saved
 * registers (glibc's swapcontext makes a system call each time, which made
 * the suite slow); elsewhere ucontext. */
#if defined(__x86_64__)
extern "C" void emu_switch(void **from, void *to);
__asm__(".text\n"
	".globl emu_switch\n"
	".type emu_switch,@function\n"
	"emu_switch:\n"
	"\tpushq %rbp\n\tpushq %rbx\n\tpushq %r12\n"
	"\tpushq %r13\n\tpushq %r14\n\tpushq %r15\n"
	"\tsubq $8, %rsp\n\tstmxcsr (%rsp)\n\tfnstcw 4(%rsp)\n"
	"\tmovq %rsp, (%rdi)\n\tmovq %rsi, %rsp\n"
	"\tldmxcsr (%rsp)\n\tfldcw 4(%rsp)\n\taddq $8, %rsp\n"
	"\tpopq %r15\n\tpopq %r14\n\tpopq %r13\n"
	"\tpopq %r12\n\tpopq %rbx\n\tpopq %rbp\n"
	"\tret\n"
	".size emu_switch, .-emu_switch\n");
#define EMU_ASM_SWITCH 1
#endif

namespace emu {

enum { RUN = 0, WAIT_BLOCK = 1, WAIT_WARP = 2, DONE = 3 };

struct fiber {
#ifdef EMU_ASM_SWITCH
	void *sp;
#else
	ucontext_t ctx;
#endif
	int state;
	thread_ctx tc;
};

#ifdef EMU_ASM_SWITCH
static void *sched_sp;
#else
static ucontext_t sched_ctx;
#endif
static std::vector<fiber> fibers;
static std::vector<char *> stacks;
static const size_t STACK = 64 * 1024;
static fiber *current;
static thread_ctx host_ctx;
static std::vector<float> slots;
static std::vector<char> dshared;
static void (*g_body)(void *);
static void *g_arg;
static int direct; /* running a kernel without fibers */
static cudaError_t pending = cudaSuccess;
/* kernels seen to never synchronise run without fibers afterwards */
static std::map<void (*)(void *), std::map<const void *, int>> sync_free;

static void die(const char *what)
{
	fprintf(stderr, "cuda emulator: %s\n", what);
	abort();
}

const thread_ctx &cur()
{
	return current ? current->tc : host_ctx;
}

void *dyn_shared()
{
	return dshared.data();
}

static void yield(int state)
{
	if (direct)
		die("a kernel synchronised after running without a barrier before "
		    "(data-dependent barriers are not emulated)");
	if (!current)
		die("barrier outside a kernel");
	current->state = state;
#ifdef EMU_ASM_SWITCH
	emu_switch(&current->sp, sched_sp);
#else
	swapcontext(&current->ctx, &sched_ctx);
#endif
}

void syncthreads()
{
	yield(WAIT_BLOCK);
}

void syncwarp()
{
	yield(WAIT_WARP);
}

float shfl_xor(float v, int m)
{
	if (direct || !current)
		yield(WAIT_WARP); /* dies with the message */
	unsigned t = current->tc.tid.x, lane = t % 32, w = t / 32;
	slots[t] = v;
	yield(WAIT_WARP);
	unsigned src = w * 32 + (lane ^ (unsigned)m);
	if (src >= fibers.size() || fibers[src].state == DONE)
		die("__shfl_xor_sync from a lane that has exited");
	float r = slots[src];
	yield(WAIT_WARP);
	return r;
}

static void trampoline()
{
	g_body(g_arg);
	current->state = DONE;
#ifdef EMU_ASM_SWITCH
	emu_switch(&current->sp, sched_sp);
	die("a finished fiber was resumed");
#else
	swapcontext(&current->ctx, &sched_ctx);
#endif
}

/* A fresh fiber whose first switch-in enters trampoline(). */
static void fiber_start(fiber &f, char *stack)
{
#ifdef EMU_ASM_SWITCH
	uintptr_t top = ((uintptr_t)stack + STACK) & ~(uintptr_t)15;
	void **sp = (void **)(top - 72);
	uint32_t csr[2];
	__asm__ volatile("stmxcsr %0" : "=m"(csr[0]));
	__asm__ volatile("fnstcw %0" : "=m"(*(uint16_t *)&csr[1]));
	memcpy(sp, csr, 8);            /* mxcsr, x87 control word */
	for (int i = 1; i <= 6; i++)   /* r15 r14 r13 r12 rbx rbp */
		sp[i] = nullptr;
	sp[7] = (void *)&trampoline;   /* where the first ret goes */
	sp[8] = nullptr;               /* trampoline's return slot, unused */
	f.sp = sp;
#else
	getcontext(&f.ctx);
	f.ctx.uc_stack.ss_sp = stack;
	f.ctx.uc_stack.ss_size = STACK;
	f.ctx.uc_link = nullptr;
	makecontext(&f.ctx, trampoline, 0);
#endif
}

static int run_block(unsigned b, unsigned grid, unsigned block)
{
	volatile int yielded = 0; /* lives across swapcontext */
	for (unsigned t = 0; t < block; t++) {
		fiber &f = fibers[t];
		fiber_start(f, stacks[t]);
		f.state = RUN;
		f.tc = thread_ctx{dim3(t), dim3(b), dim3(block), dim3(grid)};
	}
	for (;;) {
		for (unsigned t = 0; t < block; t++) {
			if (fibers[t].state != RUN)
				continue;
			current = &fibers[t];
#ifdef EMU_ASM_SWITCH
			emu_switch(&sched_sp, fibers[t].sp);
#else
			swapcontext(&sched_ctx, &fibers[t].ctx);
#endif
			current = nullptr;
		}
		unsigned live = 0, atblock = 0;
		for (unsigned t = 0; t < block; t++) {
			live += fibers[t].state != DONE;
			atblock += fibers[t].state == WAIT_BLOCK;
		}
		if (!live)
			return yielded;
		yielded = 1;
		int released = 0;
		if (atblock == live) {
			for (unsigned t = 0; t < block; t++)
				if (fibers[t].state == WAIT_BLOCK)
					fibers[t].state = RUN;
			released = 1;
		}
		for (unsigned w = 0; w * 32 < block; w++) {
			unsigned l = 0, at = 0;
			for (unsigned t = w * 32; t < block && t < w * 32 + 32; t++) {
				l += fibers[t].state != DONE;
				at += fibers[t].state == WAIT_WARP;
			}
			if (l && at == l) {
				for (unsigned t = w * 32; t < block && t < w * 32 + 32; t++)
					fibers[t].state = RUN;
				released = 1;
			}
		}
		if (!released)
			die("divergent barrier: threads of a block wait at different "
			    "barriers (or some exited before a __syncthreads)");
	}
}

void run(unsigned grid, unsigned block, size_t shmem, void (*body)(void *),
	 void *arg)
{
	if (grid == 0 || block == 0 || block > 1024 || shmem > 48 * 1024) {
		pending = cudaErrorInvalidConfiguration;
		return;
	}
	if (current)
		die("kernel launched from a kernel");
	g_body = body;
	g_arg = arg;
	dshared.assign(shmem ? shmem : 1, (char)0xff);
	/* the launch is identified by the wrapper and the kernel pointer */
	const void *kid = *(void *const *)arg;
	int &known = sync_free[body][kid];
	if (known == 1) {
		direct = 1;
		for (unsigned b = 0; b < grid; b++)
			for (unsigned t = 0; t < block; t++) {
				host_ctx = thread_ctx{dim3(t), dim3(b), dim3(block), dim3(grid)};
				body(arg);
			}
		direct = 0;
		host_ctx = thread_ctx{};
		return;
	}
	while (stacks.size() < block)
		stacks.push_back((char *)malloc(STACK));
	fibers.resize(block);
	slots.assign(block, NAN);
	int yielded = 0;
	for (unsigned b = 0; b < grid; b++)
		yielded |= run_block(b, grid, block);
	if (!yielded)
		known = 1;
}

} // namespace emu

float __fmul_rn(float a, float b) { return a * b; }
float __fadd_rn(float a, float b) { return a + b; }
float __fsub_rn(float a, float b) { return a - b; }
float __fdiv_rn(float a, float b) { return a / b; }

/* ---- memory: guard page after every allocation, NaN-filled ---- */

struct alloc {
	char *base;
	size_t total, size;
};
static std::map<char *, alloc> allocs; /* by user pointer */

static const alloc *find(const void *p, size_t n)
{
	auto it = allocs.upper_bound((char *)p);
	if (it == allocs.begin())
		return nullptr;
	--it;
	const char *q = (const char *)p;
	if (q >= it->first && q + n <= it->first + it->second.size)
		return &it->second;
	return nullptr;
}

static void need(const void *p, size_t n, const char *what)
{
	if (n && !find(p, n)) {
		fprintf(stderr, "cuda emulator: %s: %zu bytes at %p are not inside "
			"one device allocation\n", what, n, p);
		abort();
	}
}

cudaError_t cudaGetDeviceCount(int *n)
{
	*n = 1;
	return cudaSuccess;
}

cudaError_t cudaSetDevice(int d)
{
	return d == 0 ? cudaSuccess : cudaErrorInvalidDevice;
}

cudaError_t cudaGetDeviceProperties(cudaDeviceProp *p, int d)
{
	if (d != 0)
		return cudaErrorInvalidDevice;
	memset(p, 0, sizeof *p);
	snprintf(p->name, sizeof p->name, "referee CUDA emulator (CPU, tests only)");
	p->totalGlobalMem = (size_t)1 << 30;
	p->major = 9;
	return cudaSuccess;
}

cudaError_t cudaMalloc(void **p, size_t n)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t rs = (n + 3) & ~(size_t)3;
	size_t pages = (rs + (size_t)pg - 1) / (size_t)pg;
	size_t total = (pages + 1) * (size_t)pg;
	char *base = (char *)mmap(nullptr, total, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return cudaErrorMemoryAllocation;
	mprotect(base + pages * (size_t)pg, (size_t)pg, PROT_NONE);
	char *q = base + pages * (size_t)pg - rs;
	memset(q, 0xff, rs);
	allocs[q] = alloc{base, total, rs};
	*p = q;
	return cudaSuccess;
}

cudaError_t cudaFree(void *p)
{
	if (!p)
		return cudaSuccess;
	auto it = allocs.find((char *)p);
	if (it == allocs.end())
		return cudaErrorInvalidValue;
	munmap(it->second.base, it->second.total);
	allocs.erase(it);
	return cudaSuccess;
}

cudaError_t cudaMemcpy(void *dst, const void *src, size_t n, cudaMemcpyKind k)
{
	if (k == cudaMemcpyHostToDevice || k == cudaMemcpyDeviceToDevice)
		need(dst, n, "cudaMemcpy destination");
	if (k == cudaMemcpyDeviceToHost || k == cudaMemcpyDeviceToDevice)
		need(src, n, "cudaMemcpy source");
	if (n)
		memcpy(dst, src, n);
	return cudaSuccess;
}

cudaError_t cudaMemset(void *p, int v, size_t n)
{
	need(p, n, "cudaMemset");
	memset(p, v, n);
	return cudaSuccess;
}

cudaError_t cudaDeviceSynchronize(void)
{
	return cudaSuccess;
}

cudaError_t cudaGetLastError(void)
{
	cudaError_t e = emu::pending;
	emu::pending = cudaSuccess;
	return e;
}

const char *cudaGetErrorString(cudaError_t e)
{
	switch (e) {
	case cudaSuccess: return "no error";
	case cudaErrorInvalidConfiguration: return "invalid configuration argument";
	case cudaErrorMemoryAllocation: return "out of memory";
	case cudaErrorInvalidDevice: return "invalid device ordinal";
	case cudaErrorNoDevice: return "no CUDA-capable device is detected";
	case cudaErrorInsufficientDriver: return "CUDA driver version is insufficient";
	default: return "invalid argument";
	}
}

/* ---- cuBLAS: the column-major definitions, fp32 sums in k order ---- */

struct emu_blas {
	int math;
};

cublasStatus_t cublasCreate(cublasHandle_t *h)
{
	*h = new emu_blas{0};
	return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasDestroy(cublasHandle_t h)
{
	delete h;
	return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetMathMode(cublasHandle_t h, cublasMath_t m)
{
	h->math = m;
	return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetAtomicsMode(cublasHandle_t, cublasAtomicsMode_t m)
{
	return m == CUBLAS_ATOMICS_NOT_ALLOWED ? CUBLAS_STATUS_SUCCESS
					       : CUBLAS_STATUS_INVALID_VALUE;
}

const char *cublasGetStatusString(cublasStatus_t s)
{
	return s == CUBLAS_STATUS_SUCCESS ? "CUBLAS_STATUS_SUCCESS"
					  : "CUBLAS_STATUS_INVALID_VALUE";
}

/* A stored rows x cols column-major matrix with leading dimension ld. */
static void need_matrix(const float *p, int rows, int cols, int ld,
			const char *what)
{
	if (rows > 0 && cols > 0)
		need(p, ((size_t)(cols - 1) * ld + rows) * sizeof(float), what);
}

static cublasStatus_t gemm1(cublasOperation_t ta, cublasOperation_t tb, int m,
			    int n, int k, float alpha, const float *A, int lda,
			    const float *B, int ldb, float beta, float *C,
			    int ldc)
{
	int ar = ta == CUBLAS_OP_N ? m : k, ac = ta == CUBLAS_OP_N ? k : m;
	int br = tb == CUBLAS_OP_N ? k : n, bc = tb == CUBLAS_OP_N ? n : k;
	if (m < 0 || n < 0 || k < 0 || lda < (ar > 1 ? ar : 1) ||
	    ldb < (br > 1 ? br : 1) || ldc < (m > 1 ? m : 1)) {
		fprintf(stderr, "cuda emulator: cublasSgemm: invalid sizes m %d n %d k %d "
			"lda %d ldb %d ldc %d\n", m, n, k, lda, ldb, ldc);
		abort();
	}
	need_matrix(A, ar, ac, lda, "cublasSgemm A");
	need_matrix(B, br, bc, ldb, "cublasSgemm B");
	need_matrix(C, m, n, ldc, "cublasSgemm C");
	for (int j = 0; j < n; j++)
		for (int i = 0; i < m; i++) {
			float acc = 0.0f;
			for (int l = 0; l < k; l++) {
				float a = ta == CUBLAS_OP_N ? A[i + (size_t)l * lda]
							    : A[l + (size_t)i * lda];
				float b = tb == CUBLAS_OP_N ? B[l + (size_t)j * ldb]
							    : B[j + (size_t)l * ldb];
				acc += a * b;
			}
			float *c = &C[i + (size_t)j * ldc];
			/* beta 0: C is not read (it may hold NaN) */
			*c = beta == 0.0f ? alpha * acc : alpha * acc + beta * *c;
		}
	return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSgemm(cublasHandle_t, cublasOperation_t ta,
			   cublasOperation_t tb, int m, int n, int k,
			   const float *alpha, const float *A, int lda,
			   const float *B, int ldb, const float *beta, float *C,
			   int ldc)
{
	return gemm1(ta, tb, m, n, k, *alpha, A, lda, B, ldb, *beta, C, ldc);
}

cublasStatus_t cublasSgemmStridedBatched(
	cublasHandle_t, cublasOperation_t ta, cublasOperation_t tb, int m, int n,
	int k, const float *alpha, const float *A, int lda, long long sa,
	const float *B, int ldb, long long sb, const float *beta, float *C,
	int ldc, long long sc, int count)
{
	for (int b = 0; b < count; b++)
		gemm1(ta, tb, m, n, k, *alpha, A + b * sa, lda, B + b * sb, ldb,
		      *beta, C + b * sc, ldc);
	return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSgemv(cublasHandle_t, cublasOperation_t t, int m, int n,
			   const float *alpha, const float *A, int lda,
			   const float *x, int incx, const float *beta, float *y,
			   int incy)
{
	if (lda < (m > 1 ? m : 1) || incx < 1 || incy < 1)
		abort();
	need_matrix(A, m, n, lda, "cublasSgemv A");
	int xl = t == CUBLAS_OP_N ? n : m, yl = t == CUBLAS_OP_N ? m : n;
	need(x, ((size_t)(xl - 1) * incx + 1) * sizeof(float), "cublasSgemv x");
	need(y, ((size_t)(yl - 1) * incy + 1) * sizeof(float), "cublasSgemv y");
	for (int i = 0; i < yl; i++) {
		float acc = 0.0f;
		for (int j = 0; j < xl; j++)
			acc += (t == CUBLAS_OP_N ? A[i + (size_t)j * lda]
						 : A[j + (size_t)i * lda]) * x[(size_t)j * incx];
		float *yy = &y[(size_t)i * incy];
		*yy = *beta == 0.0f ? *alpha * acc : *alpha * acc + *beta * *yy;
	}
	return CUBLAS_STATUS_SUCCESS;
}
