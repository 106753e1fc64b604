/* referee replay — the policy model on a backend's device: keeps the host
 * mirror of gpt.c coherent with the device copy and computes every scalar
 * (clipping scale, AdamW factors) in gpt.c's own precision, so that only
 * the device's sums differ from the CPU's. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "referee/error.h"
#include "replay/gpt_device.h"

/* Where the newest copy of an array is. */
enum { SYNCED = 0, DEVICE_NEWER = 1, HOST_WRITTEN = 2 };

struct rf_gpt_dev {
	rf_backend *be;
	const rf_backend_ops *ops;
	void *h; /* the module's model */
	rf_gpt_config cfg;
	rf_gpt_host host;
	int pstate, gstate;
	float *logits; /* host copy of [B,T,V] */
	size_t logits_cap;
	size_t nrows; /* B*T of the last forward */
	int logits_fresh; /* the host copy holds the last forward's logits */
};

static int err(const rf_gpt_dev *d, int rc)
{
	return rf_backend_error(d->be, rc);
}

/* Before a device operation: take back what the caller wrote through the
 * pointers it was given. */
static int flush(rf_gpt_dev *d)
{
	int rc;
	if (d->pstate == HOST_WRITTEN) {
		rc = d->ops->write(d->h, RF_BK_PARAMS, d->host.params, 0,
				   d->host.nparams);
		if (rc)
			return err(d, rc);
		d->pstate = SYNCED;
	}
	if (d->gstate == HOST_WRITTEN) {
		rc = d->ops->write(d->h, RF_BK_GRADS, d->host.grads, 0,
				   d->host.nparams);
		if (rc)
			return err(d, rc);
		d->gstate = SYNCED;
	}
	return 0;
}

int rf_gpt_dev_push_all(rf_gpt_dev *d)
{
	const int arr[4] = {RF_BK_PARAMS, RF_BK_GRADS, RF_BK_ADAM_M, RF_BK_ADAM_V};
	float *src[4] = {d->host.params, d->host.grads, d->host.adam_m,
			 d->host.adam_v};
	for (int i = 0; i < 4; i++) {
		int rc = d->ops->write(d->h, arr[i], src[i], 0, d->host.nparams);
		if (rc)
			return err(d, rc);
	}
	d->pstate = d->gstate = SYNCED;
	return 0;
}

void rf_gpt_dev_free(rf_gpt_dev *d)
{
	if (!d)
		return;
	if (d->h)
		d->ops->model_free(d->h);
	free(d->logits);
	free(d);
}

int rf_gpt_dev_new(rf_gpt_dev **out, rf_backend *be, int index,
		   const rf_gpt_config *cfg, const rf_gpt_host *host)
{
	rf_gpt_dev *d;
	int rc;
	*out = NULL;
	if (!be || !cfg || !host)
		return rf_error_set(RF_EINVAL, "gpt: no backend to move the model to");
	if ((rc = rf_backend_device_check(be, index, NULL, 0)))
		return rc;
	d = calloc(1, sizeof *d);
	if (!d)
		return rf_error_set(RF_ENOMEM, "out of memory");
	d->be = be;
	d->ops = rf_backend_ops_of(be);
	d->cfg = *cfg;
	d->host = *host;
	rc = d->ops->model_new(&d->h, cfg, index);
	if (rc) {
		rc = err(d, rc);
		d->h = NULL;
		rf_gpt_dev_free(d);
		return rc;
	}
	if ((rc = rf_gpt_dev_push_all(d))) {
		rf_gpt_dev_free(d);
		return rc;
	}
	*out = d;
	return 0;
}

static int pull(rf_gpt_dev *d, int which, int *state, float *dst)
{
	int rc;
	if (*state != DEVICE_NEWER)
		return 0;
	rc = d->ops->read(d->h, which, dst, 0, d->host.nparams);
	if (rc)
		return err(d, rc);
	*state = SYNCED;
	return 0;
}

int rf_gpt_dev_adam(rf_gpt_dev *d, int to_device)
{
	float *host[2] = {d->host.adam_m, d->host.adam_v};
	const int arr[2] = {RF_BK_ADAM_M, RF_BK_ADAM_V};
	for (int i = 0; i < 2; i++) {
		int rc = to_device ? d->ops->write(d->h, arr[i], host[i], 0,
						   d->host.nparams)
				   : d->ops->read(d->h, arr[i], host[i], 0,
						  d->host.nparams);
		if (rc)
			return err(d, rc);
	}
	return 0;
}

int rf_gpt_dev_pull_params(rf_gpt_dev *d)
{
	return pull(d, RF_BK_PARAMS, &d->pstate, d->host.params);
}

float *rf_gpt_dev_params(rf_gpt_dev *d)
{
	if (pull(d, RF_BK_PARAMS, &d->pstate, d->host.params))
		return NULL;
	d->pstate = HOST_WRITTEN;
	return d->host.params;
}

float *rf_gpt_dev_grads(rf_gpt_dev *d)
{
	if (pull(d, RF_BK_GRADS, &d->gstate, d->host.grads))
		return NULL;
	d->gstate = HOST_WRITTEN;
	return d->host.grads;
}

int rf_gpt_dev_copy_params(rf_gpt_dev *dst, float *hdst, rf_gpt_dev *src,
			   const float *hsrc, size_t n)
{
	int rc;
	if (src && (rc = flush(src)))
		return rc;
	if (dst && src) {
		if ((rc = flush(dst)))
			return rc;
		if ((rc = dst->ops->copy_params(dst->h, src->h)))
			return err(dst, rc);
		dst->pstate = DEVICE_NEWER;
		return 0;
	}
	if (dst) { /* host -> device: keep the mirror equal too */
		if (dst->host.params != hsrc)
			memcpy(dst->host.params, hsrc, n * sizeof(float));
		if ((rc = dst->ops->write(dst->h, RF_BK_PARAMS, hsrc, 0, n)))
			return err(dst, rc);
		dst->pstate = SYNCED;
		return 0;
	}
	if (src) { /* device -> host */
		if ((rc = src->ops->read(src->h, RF_BK_PARAMS, hdst, 0, n)))
			return err(src, rc);
		return 0;
	}
	return rf_error_set(RF_EINTERNAL, "gpt: copy between two host models");
}

int rf_gpt_dev_forward(rf_gpt_dev *d, const int32_t *tokens, int B, int T)
{
	int rc;
	if ((rc = flush(d)))
		return rc;
	d->logits_fresh = 0;
	if ((rc = d->ops->forward(d->h, tokens, B, T)))
		return err(d, rc);
	d->nrows = (size_t)B * T;
	return 0;
}

const float *rf_gpt_dev_logits(rf_gpt_dev *d)
{
	size_t n = d->nrows * (size_t)d->cfg.vocab;
	int rc;
	/* Copied once per forward pass: callers may ask from many threads
	 * after a first call (as the trainer's entropy loop does). */
	if (d->logits_fresh)
		return d->logits;
	if (n > d->logits_cap) {
		float *p = realloc(d->logits, n * sizeof(float));
		if (!p) {
			rf_error_set(RF_ENOMEM, "out of memory for logits");
			return NULL;
		}
		d->logits = p;
		d->logits_cap = n;
	}
	if ((rc = d->ops->logits(d->h, d->logits))) {
		err(d, rc);
		return NULL;
	}
	d->logits_fresh = 1;
	return d->logits;
}

int rf_gpt_dev_token_logprobs(rf_gpt_dev *d, const int32_t *targets,
			      float *out)
{
	int rc = d->ops->token_logprobs(d->h, targets, out);
	return rc ? err(d, rc) : 0;
}

int rf_gpt_dev_backward(rf_gpt_dev *d, const float *dlogp)
{
	int rc;
	if ((rc = flush(d)))
		return rc;
	if ((rc = d->ops->backward(d->h, dlogp)))
		return err(d, rc);
	d->gstate = DEVICE_NEWER;
	return 0;
}

int rf_gpt_dev_zero_grad(rf_gpt_dev *d)
{
	int rc;
	if ((rc = flush(d)))
		return rc;
	if ((rc = d->ops->zero_grad(d->h)))
		return err(d, rc);
	d->gstate = DEVICE_NEWER;
	return 0;
}

float rf_gpt_dev_clip_grad(rf_gpt_dev *d, float max_norm)
{
	double nrm = 0.0;
	int rc;
	if (flush(d))
		return NAN;
	if ((rc = d->ops->grad_norm(d->h, &nrm))) {
		err(d, rc);
		return NAN;
	}
	/* The device summed the squares in double, as gpt.c does; the rest
	 * is gpt.c's arithmetic. */
	float norm = (float)nrm;
	if (max_norm > 0.0f && norm > max_norm) {
		float s = max_norm / (norm + 1e-6f);
		if ((rc = d->ops->scale_grads(d->h, s))) {
			err(d, rc);
			return NAN;
		}
		d->gstate = DEVICE_NEWER;
	}
	return norm;
}

int rf_gpt_dev_adamw_step(rf_gpt_dev *d, float lr, float beta1, float beta2,
			  float eps, float weight_decay, int t)
{
	int rc;
	if ((rc = flush(d)))
		return rc;
	/* The scalars exactly as gpt.c computes them. */
	float bc1 = (float)(1.0 - pow((double)beta1, (double)t));
	float bc2s = (float)sqrt(1.0 - pow((double)beta2, (double)t));
	float decay = 1.0f - lr * weight_decay;
	float step = lr / bc1;
	if ((rc = d->ops->adamw_step(d->h, beta1, beta2, eps, decay, step, bc2s)))
		return err(d, rc);
	d->pstate = DEVICE_NEWER;
	return 0;
}

struct rf_gpt_dev_cache {
	const rf_backend_ops *ops;
	void *h;
};

int rf_gpt_dev_cache_new(rf_gpt_dev_cache **out, rf_gpt_dev *d, int batch)
{
	rf_gpt_dev_cache *c;
	int rc;
	*out = NULL;
	c = calloc(1, sizeof *c);
	if (!c)
		return rf_error_set(RF_ENOMEM, "out of memory");
	c->ops = d->ops;
	if ((rc = d->ops->cache_new(&c->h, d->h, batch))) {
		free(c);
		return err(d, rc);
	}
	*out = c;
	return 0;
}

void rf_gpt_dev_cache_free(rf_gpt_dev_cache *c)
{
	if (!c)
		return;
	if (c->h)
		c->ops->cache_free(c->h);
	free(c);
}

int rf_gpt_dev_decode_step(rf_gpt_dev *d, rf_gpt_dev_cache *c,
			   const int32_t *tokens, int pos, float *logits)
{
	int rc;
	if ((rc = flush(d)))
		return rc;
	rc = d->ops->decode_step(d->h, c->h, tokens, pos, logits);
	return rc ? err(d, rc) : 0;
}

int rf_gpt_dev_synchronize(rf_gpt_dev *d)
{
	int rc = d->ops->synchronize(d->h);
	return rc ? err(d, rc) : 0;
}
