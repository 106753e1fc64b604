/* A fixed thread pool for parallel-for loops.  Workers sleep on a condition
 * variable between loops; indices are handed out in chunks through an atomic
 * counter, and the caller works too.  Which thread runs an index never
 * changes what that index computes, so results do not depend on the count. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "referee/error.h"
#include "referee/pool.h"

struct rf_pool {
	int threads;
	pthread_t *tids;
	pthread_mutex_t mu;
	pthread_cond_t wake;
	pthread_cond_t done;
	/* the current loop */
	unsigned long generation;
	int stop;
	int busy; /* workers still inside the current loop */
	rf_pool_fn fn;
	void *ctx;
	size_t n, chunk;
	atomic_size_t next;
};

int rf_cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : (int)n;
}

static void run_chunks(rf_pool *p, int worker)
{
	for (;;) {
		size_t b = atomic_fetch_add(&p->next, p->chunk);
		size_t e;
		if (b >= p->n)
			break;
		e = b + p->chunk < p->n ? b + p->chunk : p->n;
		p->fn(p->ctx, b, e, worker);
	}
}

struct worker_arg {
	rf_pool *pool;
	int id;
};

static void *worker_main(void *arg)
{
	struct worker_arg *wa = arg;
	rf_pool *p = wa->pool;
	int id = wa->id;
	unsigned long seen = 0;
	free(wa);
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stop && p->generation == seen)
			pthread_cond_wait(&p->wake, &p->mu);
		if (p->stop)
			break;
		seen = p->generation;
		pthread_mutex_unlock(&p->mu);
		run_chunks(p, id);
		pthread_mutex_lock(&p->mu);
		if (--p->busy == 0)
			pthread_cond_signal(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int rf_pool_new(rf_pool **out, int threads)
{
	rf_pool *p;
	*out = NULL;
	if (threads <= 0)
		threads = rf_cpu_count();
	if (threads > 1024)
		return rf_error_set(RF_EINVAL, "too many threads: %d", threads);
	p = calloc(1, sizeof *p);
	if (!p)
		return rf_error_set(RF_ENOMEM, "out of memory");
	p->threads = threads;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->wake, NULL);
	pthread_cond_init(&p->done, NULL);
	if (threads > 1) {
		p->tids = calloc((size_t)threads - 1, sizeof *p->tids);
		if (!p->tids) {
			rf_pool_free(p);
			return rf_error_set(RF_ENOMEM, "out of memory");
		}
		for (int i = 1; i < threads; i++) {
			struct worker_arg *wa = malloc(sizeof *wa);
			if (wa) {
				wa->pool = p;
				wa->id = i;
			}
			if (!wa || pthread_create(&p->tids[i - 1], NULL, worker_main, wa)) {
				free(wa);
				p->threads = i; /* join only those started */
				rf_pool_free(p);
				return rf_error_set(RF_EINTERNAL, "cannot start thread %d", i);
			}
		}
	}
	*out = p;
	return 0;
}

int rf_pool_threads(const rf_pool *pool)
{
	return pool ? pool->threads : 1;
}

void rf_pool_for(rf_pool *p, size_t n, size_t grain, rf_pool_fn fn, void *ctx)
{
	size_t chunk;
	if (n == 0)
		return;
	if (grain == 0)
		grain = 1;
	if (!p || p->threads == 1 || n <= grain) {
		fn(ctx, 0, n, 0);
		return;
	}
	/* A few chunks per thread balance uneven work without much contention. */
	chunk = n / ((size_t)p->threads * 4);
	if (chunk < grain)
		chunk = grain;
	pthread_mutex_lock(&p->mu);
	p->fn = fn;
	p->ctx = ctx;
	p->n = n;
	p->chunk = chunk;
	atomic_store(&p->next, 0);
	p->busy = p->threads - 1;
	p->generation++;
	pthread_cond_broadcast(&p->wake);
	pthread_mutex_unlock(&p->mu);
	run_chunks(p, 0);
	pthread_mutex_lock(&p->mu);
	while (p->busy > 0)
		pthread_cond_wait(&p->done, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

void rf_pool_free(rf_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->wake);
	pthread_mutex_unlock(&p->mu);
	if (p->tids)
		for (int i = 1; i < p->threads; i++)
			pthread_join(p->tids[i - 1], NULL);
	free(p->tids);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->wake);
	pthread_cond_destroy(&p->done);
	free(p);
}
