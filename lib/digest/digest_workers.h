/* Parallel hashing scaffolding shared inside lib/ (lib/digest, lib/bag): one
 * read buffer and one EVP context per pool worker, and a largest-first order
 * so that long files start early and the workers finish together. */
#ifndef REFEREE_LIB_DIGEST_WORKERS_H
#define REFEREE_LIB_DIGEST_WORKERS_H

#include <stddef.h>

#include <openssl/evp.h>

struct dg_workers {
	int n;
	unsigned char **bufs; /* [n] RF_DIGEST_READ_SIZE bytes each */
	EVP_MD_CTX **ctxs;    /* [n] */
};

/** Allocate buffers and contexts for `threads` workers; on failure nothing
 *  is left allocated (RF_ENOMEM). Release with dg_workers_free(). */
int dg_workers_init(struct dg_workers *w, int threads);
void dg_workers_free(struct dg_workers *w);

/** `*order` (caller frees) = indices 0..n-1 of the records at `base`
 *  (`stride` bytes apart, a uint64_t size at `size_offset` in each), largest
 *  size first, ties by index: deterministic whatever the sort. */
int dg_order_by_size(size_t **order, const void *base, size_t n,
		     size_t stride, size_t size_offset);

#endif
