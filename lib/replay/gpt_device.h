/* referee replay — a policy model whose state lives on a backend's device
 * (the CUDA module).  Internal to lib/replay: gpt.c's public functions
 * forward here when the model was moved with rf_gpt_to_device(), so the
 * trainer only chooses where the model lives.
 *
 * The host arrays of the rf_gpt (parameters, gradients, AdamW moments) stay
 * allocated as a mirror: the device copy is authoritative, the mirror is
 * refreshed when a caller asks for it (rf_gpt_params, rf_gpt_grads,
 * checkpoints), and written back to the device before the next device
 * operation when the caller may have changed it through that pointer. */
#ifndef REFEREE_LIB_REPLAY_GPT_DEVICE_H
#define REFEREE_LIB_REPLAY_GPT_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include "replay/backend.h"
#include "replay/gpt.h"

typedef struct rf_gpt_dev rf_gpt_dev;

/** Host mirrors lent by gpt.c (they outlive the rf_gpt_dev). */
typedef struct rf_gpt_host {
	float *params, *grads, *adam_m, *adam_v;
	size_t nparams;
} rf_gpt_host;

/** Create the device model on device `index` of `be` (borrowed: it must
 *  outlive the model) and upload the four host arrays. */
int rf_gpt_dev_new(rf_gpt_dev **out, rf_backend *be, int index,
		   const rf_gpt_config *cfg, const rf_gpt_host *host);
void rf_gpt_dev_free(rf_gpt_dev *d);

/** Refresh the parameter (gradient) mirror from the device and return it;
 *  the caller may write through it, so it is uploaded again before the
 *  next device operation.  NULL (with the error set) on failure. */
float *rf_gpt_dev_params(rf_gpt_dev *d);
float *rf_gpt_dev_grads(rf_gpt_dev *d);
/** Refresh the parameter mirror for reading only (checkpoints). */
int rf_gpt_dev_pull_params(rf_gpt_dev *d);
/** AdamW moments: copy the device's into the host mirrors (to_device 0,
 *  for checkpoints) or the host mirrors to the device (1, after a load). */
int rf_gpt_dev_adam(rf_gpt_dev *d, int to_device);
/** The host arrays were rewritten (init, load): upload parameters and
 *  AdamW moments. */
int rf_gpt_dev_push_all(rf_gpt_dev *d);

/** dst = src parameters; either may be NULL for a host model, whose
 *  parameter array is then `hdst` / `hsrc`. */
int rf_gpt_dev_copy_params(rf_gpt_dev *dst, float *hdst, rf_gpt_dev *src,
			   const float *hsrc, size_t n);

int rf_gpt_dev_forward(rf_gpt_dev *d, const int32_t *tokens, int B, int T);
/** Borrowed host copy of the last forward's logits, copied at the first
 *  call after a forward (NULL on failure); later calls may come from any
 *  thread. */
const float *rf_gpt_dev_logits(rf_gpt_dev *d);
int rf_gpt_dev_token_logprobs(rf_gpt_dev *d, const int32_t *targets,
			      float *out);
int rf_gpt_dev_backward(rf_gpt_dev *d, const float *dlogp);
int rf_gpt_dev_zero_grad(rf_gpt_dev *d);
/** As rf_gpt_clip_grad; NAN (error set) when the device fails. */
float rf_gpt_dev_clip_grad(rf_gpt_dev *d, float max_norm);
int rf_gpt_dev_adamw_step(rf_gpt_dev *d, float lr, float beta1, float beta2,
			  float eps, float weight_decay, int t);

/** A device KV cache (may outlive its model, not the backend); free with
 *  rf_gpt_dev_cache_free(). */
typedef struct rf_gpt_dev_cache rf_gpt_dev_cache;
int rf_gpt_dev_cache_new(rf_gpt_dev_cache **out, rf_gpt_dev *d, int batch);
void rf_gpt_dev_cache_free(rf_gpt_dev_cache *c);
int rf_gpt_dev_decode_step(rf_gpt_dev *d, rf_gpt_dev_cache *c,
			   const int32_t *tokens, int pos, float *logits);
/** Wait for the device to finish (benchmarks). */
int rf_gpt_dev_synchronize(rf_gpt_dev *d);

#endif
