/* referee replay — the policy model: a small GPT-style causal transformer in
 * plain C (forward, backward, AdamW, KV-cache decoding).  Internal to lib/:
 * the GRPO trainer (lib/replay) and the CUDA backend build on it; the public
 * replay API is include/referee/replay.h.
 *
 * Architecture (GPT-2 style, pre-norm):
 *   x = wte[tok] + wpe[pos]
 *   per layer: x += attn(ln1(x)); x += mlp(ln2(x))     mlp = fcproj(gelu(fc(.)))
 *   logits = lnf(x) @ (tied ? wte : lm_head)^T
 * LayerNorm eps 1e-5, GELU tanh approximation, causal softmax attention with
 * scale 1/sqrt(head_dim).  All fp32; row-major; weights stored [out, in] like
 * torch.nn.Linear.
 *
 * Parameter tensors, in this order, contiguous in rf_gpt_params() (names as
 * in the safetensors checkpoint and the PyTorch reference):
 *   wte [V,C], wpe [P,C],
 *   for l in 0..L-1:  h.l.ln1.w [C], h.l.ln1.b [C], h.l.attn.qkv.w [3C,C],
 *     h.l.attn.qkv.b [3C], h.l.attn.proj.w [C,C], h.l.attn.proj.b [C],
 *     h.l.ln2.w [C], h.l.ln2.b [C], h.l.mlp.fc.w [F,C], h.l.mlp.fc.b [F],
 *     h.l.mlp.proj.w [C,F], h.l.mlp.proj.b [C],
 *   lnf.w [C], lnf.b [C], and lm_head [V,C] only when not tied.
 * (qkv rows: q then k then v, each [C]; head h uses columns h*hd..(h+1)*hd.)
 *
 * Determinism: every output element is reduced in a fixed order whatever the
 * number of threads (parallelise over independent outputs, never split a
 * reduction across threads), so results are bit-identical with 1 or N threads.
 */
#ifndef REFEREE_LIB_REPLAY_GPT_H
#define REFEREE_LIB_REPLAY_GPT_H

#include <stddef.h>
#include <stdint.h>

#include "referee/buf.h"
#include "referee/pool.h"

typedef struct rf_gpt_config {
	int vocab;   /* V */
	int max_seq; /* P: positions */
	int d_model; /* C */
	int n_layer; /* L */
	int n_head;  /* NH; C % NH == 0 */
	int d_ff;    /* F: MLP hidden size (usually 4C) */
	int tied;    /* 1: output layer shares wte */
} rf_gpt_config;

typedef struct rf_gpt rf_gpt;             /* weights, grads, AdamW state, activations */
typedef struct rf_gpt_cache rf_gpt_cache; /* KV cache for decoding */

/** Check a config (positive sizes, C % NH == 0, bounded); RF_EINVAL with a
 *  message naming the field otherwise. */
int rf_gpt_config_check(const rf_gpt_config *cfg);

/** Allocate a model (weights zero).  Free with rf_gpt_free(). */
int rf_gpt_new(rf_gpt **out, const rf_gpt_config *cfg);
void rf_gpt_free(rf_gpt *m);

/** Deterministic init from `seed` (counter-based RNG, so independent of
 *  threads): N(0, 0.02) for matrices and embeddings, residual projections
 *  (attn.proj.w, mlp.proj.w) scaled by 1/sqrt(2L), biases 0, LayerNorm w=1. */
int rf_gpt_init(rf_gpt *m, uint64_t seed);

/** Borrowed config. */
const rf_gpt_config *rf_gpt_config_of(const rf_gpt *m);
/** Number of parameters (floats). */
size_t rf_gpt_num_params(const rf_gpt *m);
/** Borrowed: all parameters, contiguous, in the order above. */
float *rf_gpt_params(rf_gpt *m);
/** Borrowed: gradients, same layout as the parameters. */
float *rf_gpt_grads(rf_gpt *m);
/** Copy parameters (not optimiser state) from a model of the same config. */
int rf_gpt_copy_params(rf_gpt *dst, const rf_gpt *src);

/** Named tensors, for checkpoints: i in [0, rf_gpt_num_tensors()).  `name`
 *  is borrowed; shape has ndim (1 or 2) entries; offset is in floats into
 *  rf_gpt_params(). */
size_t rf_gpt_num_tensors(const rf_gpt *m);
int rf_gpt_tensor_info(const rf_gpt *m, size_t i, const char **name,
		       int shape[2], int *ndim, size_t *offset);

/** Forward pass over B sequences of T tokens (T <= max_seq), tokens [B*T],
 *  keeping activations for the backward pass. */
int rf_gpt_forward(rf_gpt *m, rf_pool *pool, const int32_t *tokens, int B,
		   int T);
/** Borrowed logits [B,T,V] of the last forward pass. */
const float *rf_gpt_logits(const rf_gpt *m);
/** After rf_gpt_forward: out[b*T+t] = log softmax(logits[b,t])[targets[b*T+t]].
 *  A negative target yields 0 (position not scored). */
int rf_gpt_token_logprobs(rf_gpt *m, rf_pool *pool, const int32_t *targets,
			  float *out);
/** Backward pass after forward + token_logprobs of the same batch, from
 *  dL/dlogp [B*T] (0 where a position does not count); gradients are
 *  ACCUMULATED into rf_gpt_grads() (call rf_gpt_zero_grad() first). */
int rf_gpt_backward(rf_gpt *m, rf_pool *pool, const float *dlogp);
void rf_gpt_zero_grad(rf_gpt *m);
/** Scale gradients so their global L2 norm is at most max_norm (<= 0: no
 *  clipping); returns the norm before clipping. */
float rf_gpt_clip_grad(rf_gpt *m, float max_norm);
/** One AdamW step (t is 1-based, for bias correction).  Weight decay
 *  applies to 2-D tensors (matrices and embeddings) only, not to biases or
 *  LayerNorm parameters. */
int rf_gpt_adamw_step(rf_gpt *m, rf_pool *pool, float lr, float beta1,
		      float beta2, float eps, float weight_decay, int t);

/** A KV cache to decode `batch` sequences together, up to max_seq. */
int rf_gpt_cache_new(rf_gpt_cache **out, const rf_gpt *m, int batch);
void rf_gpt_cache_free(rf_gpt_cache *c);
/** Feed one token per sequence (tokens [batch]) at position `pos` (the same
 *  for all; positions 0..pos-1 must have been fed before); writes the next-
 *  token logits [batch, V] to `logits`.  Results equal rf_gpt_forward's
 *  logits at that position (up to float rounding; in this implementation
 *  bit for bit).  The cache takes a copy of the weights at pos 0, so a run
 *  of steps 0, 1, ... decodes with the weights as they were at its start. */
int rf_gpt_decode_step(rf_gpt *m, rf_gpt_cache *c, rf_pool *pool,
		       const int32_t *tokens, int pos, float *logits);

/* ---- checkpoints (added by the model branch; additive) ------------------
 * Safetensors (lib/replay/safetensors.h): one F32 tensor per entry of
 * rf_gpt_tensor_info() under the same name, names sorted, plus __metadata__
 * with the config ("vocab", "max_seq", "d_model", "n_layer", "n_head",
 * "d_ff", "tied" as decimal strings) and the caller's pairs.  The bytes are
 * a pure function of the parameters and metadata, so their SHA-256 is the
 * weight digest. */

/** Append the checkpoint bytes to `out`; meta[2i], meta[2i+1] are nmeta
 *  extra key/value metadata strings (may be NULL when nmeta is 0). */
int rf_gpt_save_bytes(rf_buf *out, const rf_gpt *m, const char *const *meta,
		      size_t nmeta);
/** Write the checkpoint to `path` atomically (replacing an existing file). */
int rf_gpt_save(const rf_gpt *m, const char *path, const char *const *meta,
		size_t nmeta);
/** Load parameters from a checkpoint at `path` (at most 4 GiB) into `m`:
 *  every tensor of m must be present with the same shape, and no other
 *  tensor; RF_EFORMAT naming the tensor otherwise.  Optimiser state is
 *  left alone. */
int rf_gpt_load(rf_gpt *m, const char *path);
/** rf_gpt_load from `len` bytes in memory (`what` names them in messages). */
int rf_gpt_load_bytes(rf_gpt *m, const void *data, size_t len,
		      const char *what);
/** Append the AdamW moments as safetensors ("m.NAME", "v.NAME"; metadata
 *  format "referee-replay-adamw" and step `t`). */
int rf_gpt_save_adam_bytes(rf_buf *out, rf_gpt *m, int t);
/** Load the moments written by rf_gpt_save_adam_bytes(); *t their step.
 *  Every tensor checked (RF_EFORMAT naming it) before anything is copied. */
int rf_gpt_load_adam_bytes(rf_gpt *m, const void *data, size_t len,
			   const char *what, int *t);

/* ---- optimiser state, for checkpoints that resume exactly (additive) ---- */

/** Borrowed AdamW moments m and v (rf_gpt_num_params() floats each, the
 *  parameters' layout), read back from the device for a device model;
 *  valid until the next call on the model.  Write through them, then call
 *  rf_gpt_adam_set() to make a device model take them. */
int rf_gpt_adam_state(rf_gpt *m, float **mm, float **vv);
/** After writing the moments through rf_gpt_adam_state()'s pointers. */
int rf_gpt_adam_set(rf_gpt *m);

/* ---- device placement (added by the cuda branch; additive) -------------
 * A model moved to a device (the CUDA backend, lib/replay/backend.h) keeps
 * this whole API: every function above runs on the device, with the same
 * layout and formulas.  rf_gpt_params()/rf_gpt_grads() then return a host
 * mirror refreshed on each call and valid until the next call on the
 * model (writes through it are taken back before the next operation);
 * rf_gpt_logits() is a host copy made by its first call after a forward
 * (make that call before reading from several threads); the pool argument
 * is unused.  A KV cache made for a device model lives on the device. */
struct rf_backend;

/** Move the model's parameters, gradients and AdamW state to device `index`
 *  of `be` (borrowed: it must outlive the model); RF_EUNSUPPORTED when
 *  there is no such device. */
int rf_gpt_to_device(rf_gpt *m, struct rf_backend *be, int index);
/** 1 when the model lives on a device. */
int rf_gpt_on_device(const rf_gpt *m);
/** Wait until the device has finished the queued work (for timing); 0 on
 *  the host. */
int rf_gpt_synchronize(rf_gpt *m);

#endif
