/* referee replay — the binary interface between libreferee and a compute
 * backend module (build/referee-cuda.so), loaded at run time with dlopen so
 * that referee itself never links CUDA.  Shared by lib/replay/backend.c (C)
 * and the .cu files of lib/replay/cuda (C++): plain C types only.
 *
 * The module exports exactly one extern "C" symbol, RF_BACKEND_SYMBOL, a
 * function returning a pointer to a static rf_backend_ops table.  The loader
 * refuses a table whose `abi` differs from RF_BACKEND_ABI or whose `size` is
 * smaller than its own sizeof(rf_backend_ops); bump RF_BACKEND_ABI on any
 * change to the meaning of an entry, append entries at the end otherwise.
 *
 * Every entry returns 0 or a negative RF_E* code (include/referee/error.h)
 * and, on error, leaves a one-line message for last_error() (per thread).
 * Host pointers are host memory; the module copies to and from the device.
 * The module mirrors lib/replay/gpt.h: the same parameter layout, the same
 * formulas; the model's parameters, gradients, AdamW moments and
 * activations live in device memory. */
#ifndef REFEREE_LIB_REPLAY_BACKEND_ABI_H
#define REFEREE_LIB_REPLAY_BACKEND_ABI_H

#include <stddef.h>
#include <stdint.h>

#include "replay/gpt.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RF_BACKEND_ABI 1
#define RF_BACKEND_SYMBOL "referee_backend_v1"

/** Which per-parameter array a read or write addresses. */
enum rf_backend_array {
	RF_BK_PARAMS = 0,
	RF_BK_GRADS = 1,
	RF_BK_ADAM_M = 2,
	RF_BK_ADAM_V = 3
};

typedef struct rf_backend_ops {
	uint32_t abi;  /* RF_BACKEND_ABI */
	uint32_t size; /* sizeof(rf_backend_ops) as the module was built */
	const char *name; /* "cuda" */
	/* Message of the last failing call on this thread ("" when none). */
	const char *(*last_error)(void);
	/* Usable devices (RF_EUNSUPPORTED with the driver's reason when
	 * there is none, e.g. no driver or no GPU). */
	int (*device_count)(int *n);
	/* "NVIDIA H200 (sm_90, 139 GiB)" into buf[len]. */
	int (*device_name)(int device, char *buf, size_t len);

	/* A model on `device` with the layout of gpt.h, every array zero. */
	int (*model_new)(void **out, const rf_gpt_config *cfg, int device);
	void (*model_free)(void *m);
	/* Copy n floats at offset `off` between host and one array. */
	int (*write)(void *m, int array, const float *src, size_t off,
		     size_t n);
	int (*read)(void *m, int array, float *dst, size_t off, size_t n);
	/* Parameters only, device to device; same config and device. */
	int (*copy_params)(void *dst, const void *src);

	/* gpt.h's rf_gpt_forward / rf_gpt_logits / rf_gpt_token_logprobs /
	 * rf_gpt_backward / rf_gpt_zero_grad / rf_gpt_clip_grad /
	 * rf_gpt_adamw_step.  Tokens are checked by the caller (0 <= tok < V,
	 * targets < V). */
	int (*forward)(void *m, const int32_t *tokens, int B, int T);
	int (*logits)(void *m, float *dst); /* [B,T,V] of the last forward */
	int (*token_logprobs)(void *m, const int32_t *targets, float *out);
	int (*backward)(void *m, const float *dlogp);
	int (*zero_grad)(void *m);
	/* Global L2 norm of the gradients (accumulated in double, fixed
	 * order) into *norm; then, when max_norm > 0 and scale < 1, the
	 * gradients are multiplied by `scale`, computed by the caller from
	 * the norm so that CPU and device use one formula. */
	int (*grad_norm)(void *m, double *norm);
	int (*scale_grads)(void *m, float scale);
	/* AdamW as gpt.c does it, with the scalars computed by the caller in
	 * gpt.c's precision: p *= decay (= 1 - lr*wd, on 2-D tensors only);
	 * m, v moments; p -= step * m / (sqrt(v) / bc2s + eps), where
	 * step = lr / (1 - beta1^t) and bc2s = sqrt(1 - beta2^t). */
	int (*adamw_step)(void *m, float beta1, float beta2, float eps,
			  float decay, float step, float bc2s);

	/* KV cache for `batch` sequences, and one decoding step: tokens
	 * [batch] at position pos, next-token logits [batch,V] to host. */
	int (*cache_new)(void **out, void *m, int batch);
	void (*cache_free)(void *c);
	int (*decode_step)(void *m, void *c, const int32_t *tokens, int pos,
			   float *logits);
	/* Wait for the device (for timing). */
	int (*synchronize)(void *m);
} rf_backend_ops;

/** The module's one export: returns its static table. */
typedef const rf_backend_ops *(*rf_backend_entry_fn)(void);

#ifdef __cplusplus
}
#endif
#endif
