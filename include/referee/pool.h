/* referee — a fixed-size thread pool running parallel-for loops.
 *
 * Work is split into index ranges; results never depend on the number of
 * threads as long as each index writes only its own outputs. */
#ifndef REFEREE_POOL_H
#define REFEREE_POOL_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rf_pool rf_pool;

/** Body of a parallel loop: handle indices [begin, end). `worker` is the
 *  thread's number in [0, threads). */
typedef void (*rf_pool_fn)(void *ctx, size_t begin, size_t end, int worker);

/** Number of online CPUs (at least 1). */
int rf_cpu_count(void);

/** Create a pool of `threads` workers (0 = rf_cpu_count()).  The calling
 *  thread takes part in every loop, so threads=1 starts no thread.  Free with
 *  rf_pool_free(). */
int rf_pool_new(rf_pool **out, int threads);

/** Threads in the pool (including the caller). */
int rf_pool_threads(const rf_pool *pool);

/** Run fn over [0, n) in chunks of at least `grain` indices; returns when
 *  all are done.  A NULL pool runs serially on the caller. */
void rf_pool_for(rf_pool *pool, size_t n, size_t grain, rf_pool_fn fn,
		 void *ctx);

/** Stop and join the workers; NULL-safe. */
void rf_pool_free(rf_pool *pool);

#ifdef __cplusplus
}
#endif
#endif
