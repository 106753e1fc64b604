/* SHA-256 / SHA-512 through OpenSSL EVP: buffers, streams, files, and many
 * files in parallel.  Files are read in large blocks so that hashing, not
 * system calls, sets the pace. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "digest/digest_workers.h"
#include "referee/digest.h"
#include "referee/error.h"

struct rf_digest {
	EVP_MD_CTX *ctx;
	const EVP_MD *md;
	rf_digest_alg alg;
};

size_t rf_digest_size(rf_digest_alg alg)
{
	return alg == RF_DIGEST_SHA512 ? 64 : 32;
}

const char *rf_digest_name(rf_digest_alg alg)
{
	return alg == RF_DIGEST_SHA512 ? "sha512" : "sha256";
}

int rf_digest_from_name(rf_digest_alg *out, const char *name)
{
	if (!strcmp(name, "sha256")) {
		*out = RF_DIGEST_SHA256;
		return 0;
	}
	if (!strcmp(name, "sha512")) {
		*out = RF_DIGEST_SHA512;
		return 0;
	}
	return rf_error_set(RF_EUNSUPPORTED,
			    "unsupported digest algorithm '%s'", name);
}

static const EVP_MD *evp_for(rf_digest_alg alg)
{
	return alg == RF_DIGEST_SHA512 ? EVP_sha512() : EVP_sha256();
}

void rf_digest_to_hex(char *hex, const unsigned char *md, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[2 * n] = '\0';
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int rf_digest_from_hex(unsigned char *md, size_t n, const char *hex)
{
	if (strlen(hex) != 2 * n)
		return rf_error_set(RF_EFORMAT, "digest must be %zu hex digits",
				    2 * n);
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return rf_error_set(RF_EFORMAT,
					    "digest is not hexadecimal");
		md[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

int rf_digest_new(rf_digest **out, rf_digest_alg alg)
{
	rf_digest *d = calloc(1, sizeof *d);
	*out = NULL;
	if (!d)
		return rf_error_set(RF_ENOMEM, "out of memory");
	d->alg = alg;
	d->md = evp_for(alg);
	d->ctx = EVP_MD_CTX_new();
	if (!d->ctx || !EVP_DigestInit_ex(d->ctx, d->md, NULL)) {
		rf_digest_free(d);
		return rf_error_openssl(RF_ELIB, "cannot start %s",
					rf_digest_name(alg));
	}
	*out = d;
	return 0;
}

int rf_digest_update(rf_digest *d, const void *data, size_t len)
{
	if (!EVP_DigestUpdate(d->ctx, data, len))
		return rf_error_openssl(RF_ELIB, "%s failed",
					rf_digest_name(d->alg));
	return 0;
}

int rf_digest_final(rf_digest *d, unsigned char *md)
{
	unsigned int n = 0;
	if (!EVP_DigestFinal_ex(d->ctx, md, &n) || n != rf_digest_size(d->alg))
		return rf_error_openssl(RF_ELIB, "%s failed",
					rf_digest_name(d->alg));
	return 0;
}

int rf_digest_reset(rf_digest *d)
{
	if (!EVP_DigestInit_ex(d->ctx, d->md, NULL))
		return rf_error_openssl(RF_ELIB, "cannot restart %s",
					rf_digest_name(d->alg));
	return 0;
}

void rf_digest_free(rf_digest *d)
{
	if (!d)
		return;
	EVP_MD_CTX_free(d->ctx);
	free(d);
}

int rf_digest_buffer(unsigned char *md, rf_digest_alg alg, const void *data,
		     size_t len)
{
	unsigned int n = 0;
	if (!EVP_Digest(data, len, md, &n, evp_for(alg), NULL))
		return rf_error_openssl(RF_ELIB, "%s failed",
					rf_digest_name(alg));
	return 0;
}

int rf_digest_buffer_hex(char *hex, rf_digest_alg alg, const void *data,
			 size_t len)
{
	unsigned char md[RF_DIGEST_MAX];
	int rc = rf_digest_buffer(md, alg, data, len);
	if (rc)
		return rc;
	rf_digest_to_hex(hex, md, rf_digest_size(alg));
	return 0;
}

/* The loop behind every file digest: `buf` is the caller's scratch space,
 * so that a worker hashing thousands of small files allocates it once. */
static int digest_fd_buf(unsigned char *md, uint64_t *size, EVP_MD_CTX *ctx,
			 rf_digest_alg alg, int fd, const char *name,
			 unsigned char *buf, size_t bufsize)
{
	uint64_t total = 0;
	unsigned int n = 0;
	if (!EVP_DigestInit_ex(ctx, evp_for(alg), NULL))
		return rf_error_openssl(RF_ELIB, "cannot start %s",
					rf_digest_name(alg));
	for (;;) {
		ssize_t got = read(fd, buf, bufsize);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return rf_error_set(RF_EIO, "cannot read '%s': %s",
					    name, strerror(errno));
		}
		if (got == 0)
			break;
		if (!EVP_DigestUpdate(ctx, buf, (size_t)got))
			return rf_error_openssl(RF_ELIB, "%s of '%s' failed",
						rf_digest_name(alg), name);
		total += (uint64_t)got;
	}
	if (!EVP_DigestFinal_ex(ctx, md, &n))
		return rf_error_openssl(RF_ELIB, "%s of '%s' failed",
					rf_digest_name(alg), name);
	if (size)
		*size = total;
	return 0;
}

int rf_digest_fd(unsigned char *md, uint64_t *size, rf_digest_alg alg, int fd,
		 const char *name)
{
	unsigned char *buf = malloc(RF_DIGEST_READ_SIZE);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int rc;
	if (!buf || !ctx) {
		free(buf);
		EVP_MD_CTX_free(ctx);
		return rf_error_set(RF_ENOMEM, "out of memory");
	}
	rc = digest_fd_buf(md, size, ctx, alg, fd, name, buf,
			   RF_DIGEST_READ_SIZE);
	free(buf);
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* Open a regular file for hashing.  O_NONBLOCK keeps a FIFO planted in a
 * bag from hanging us before fstat() can refuse it. */
static int open_regular(int *fd_out, const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	*fd_out = -1;
	if (fd < 0)
		return rf_error_set(errno == ENOENT ? RF_ENOTFOUND : RF_EIO,
				    "cannot open '%s': %s", path,
				    strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return rf_error_set(RF_EUNSAFE, "'%s' is not a regular file",
				    path);
	}
	/* Back to blocking reads, and tell the kernel we read straight through.
	 */
	fcntl(fd, F_SETFL, 0);
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	*fd_out = fd;
	return 0;
}

int rf_digest_file(unsigned char *md, uint64_t *size, rf_digest_alg alg,
		   const char *path)
{
	int fd, rc = open_regular(&fd, path);
	if (rc)
		return rc;
	rc = rf_digest_fd(md, size, alg, fd, path);
	close(fd);
	return rc;
}

struct files_ctx {
	rf_digest_job *jobs;
	size_t *order;
	rf_digest_alg alg;
	struct dg_workers w;
	rf_progress_fn progress;
	void *progress_ctx;
	pthread_mutex_t mu;
	uint64_t bytes_done, bytes_total;
	size_t files_done, files_total;
};

static void hash_range(void *arg, size_t begin, size_t end, int worker)
{
	struct files_ctx *c = arg;
	for (size_t i = begin; i < end; i++) {
		rf_digest_job *j = &c->jobs[c->order[i]];
		int fd, rc;
		j->size = 0;
		j->err[0] = '\0';
		rc = open_regular(&fd, j->path);
		if (!rc) {
			rc = digest_fd_buf(j->md, &j->size, c->w.ctxs[worker],
					   c->alg, fd, j->path, c->w.bufs[worker],
					   RF_DIGEST_READ_SIZE);
			close(fd);
		}
		j->rc = rc;
		if (rc)
			snprintf(j->err, sizeof j->err, "%s", rf_error_last());
		if (c->progress) {
			pthread_mutex_lock(&c->mu);
			c->bytes_done += j->size;
			c->files_done++;
			c->progress(c->progress_ctx, c->bytes_done,
				    c->bytes_total, c->files_done,
				    c->files_total);
			pthread_mutex_unlock(&c->mu);
		}
	}
}

int rf_digest_files(rf_digest_job *jobs, size_t n, rf_digest_alg alg,
		    rf_pool *pool, rf_progress_fn progress, void *progress_ctx)
{
	struct files_ctx c;
	int threads = rf_pool_threads(pool), rc = 0;
	if (n == 0)
		return 0;
	memset(&c, 0, sizeof c);
	c.jobs = jobs;
	c.alg = alg;
	c.progress = progress;
	c.progress_ctx = progress_ctx;
	c.files_total = n;
	if ((rc = dg_workers_init(&c.w, threads)) != 0 ||
	    (rc = dg_order_by_size(&c.order, jobs, n, sizeof *jobs,
				   offsetof(rf_digest_job, size_hint))) != 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		c.bytes_total += jobs[i].size_hint;
	pthread_mutex_init(&c.mu, NULL);
	rf_pool_for(pool, n, 1, hash_range, &c);
	pthread_mutex_destroy(&c.mu);
out:
	dg_workers_free(&c.w);
	free(c.order);
	return rc;
}
