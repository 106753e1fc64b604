/* Per-worker hashing state and the largest-first file order, shared by
 * rf_digest_files() and the bag packer's copy-and-hash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "digest/digest_workers.h"
#include "referee/digest.h"
#include "referee/error.h"

int dg_workers_init(struct dg_workers *w, int threads)
{
	memset(w, 0, sizeof *w);
	w->bufs = calloc((size_t)threads, sizeof *w->bufs);
	w->ctxs = calloc((size_t)threads, sizeof *w->ctxs);
	w->n = threads;
	if (!w->bufs || !w->ctxs)
		goto fail;
	for (int t = 0; t < threads; t++) {
		w->bufs[t] = malloc(RF_DIGEST_READ_SIZE);
		w->ctxs[t] = EVP_MD_CTX_new();
		if (!w->bufs[t] || !w->ctxs[t])
			goto fail;
	}
	return 0;
fail:
	dg_workers_free(w);
	return rf_error_set(RF_ENOMEM, "out of memory");
}

void dg_workers_free(struct dg_workers *w)
{
	if (!w)
		return;
	for (int t = 0; t < w->n; t++) {
		if (w->bufs)
			free(w->bufs[t]);
		if (w->ctxs)
			EVP_MD_CTX_free(w->ctxs[t]);
	}
	free(w->bufs);
	free(w->ctxs);
	memset(w, 0, sizeof *w);
}

struct order_ctx {
	const unsigned char *base;
	size_t stride, off;
};

static uint64_t size_at(const struct order_ctx *c, size_t i)
{
	uint64_t v;
	memcpy(&v, c->base + i * c->stride + c->off, sizeof v);
	return v;
}

static int by_size_desc(const void *a, const void *b, void *arg)
{
	const struct order_ctx *c = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	uint64_t x = size_at(c, i), y = size_at(c, j);
	if (x != y)
		return x > y ? -1 : 1;
	return i < j ? -1 : i > j;
}

int dg_order_by_size(size_t **order, const void *base, size_t n,
		     size_t stride, size_t size_offset)
{
	struct order_ctx c = {base, stride, size_offset};
	size_t *o = malloc((n ? n : 1) * sizeof *o);
	if (!o)
		return rf_error_set(RF_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		o[i] = i;
	/* qsort_r (glibc): the context travels with the call, no global. */
	qsort_r(o, n, sizeof *o, by_size_desc, &c);
	*order = o;
	return 0;
}
