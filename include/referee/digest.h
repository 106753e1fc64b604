/* referee — SHA-256 / SHA-512 of buffers, streams and files (OpenSSL EVP),
 * and of many files at once on a thread pool. */
#ifndef REFEREE_DIGEST_H
#define REFEREE_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "pool.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The algorithms referee computes. */
typedef enum rf_digest_alg {
	RF_DIGEST_SHA256 = 0,
	RF_DIGEST_SHA512 = 1
} rf_digest_alg;

/** Largest digest in bytes (SHA-512), and its hex form with the NUL. */
#define RF_DIGEST_MAX 64
#define RF_DIGEST_HEX_MAX (2 * RF_DIGEST_MAX + 1)

/** Bytes read per call when hashing files.  Chosen by measurement
 *  (tests/bench/bench_digest_io.sh, figures in CONTRIBUTING.md): blocks
 *  that fit in a core's L2 cache are hashed while still in it; 1 MiB
 *  blocks spill on CPUs with 512 KiB to 1 MiB of L2 (AMD Zen) and cost up
 *  to 1.7x the time there; below 256 KiB the system calls start to show.
 *  mmap was measured too and is not faster (and a file truncated under us
 *  would be a SIGBUS). */
#define RF_DIGEST_READ_SIZE (256u << 10)

/** Digest length in bytes (32 or 64). */
size_t rf_digest_size(rf_digest_alg alg);

/** Lower-case name as BagIt spells it ("sha256", "sha512"); static. */
const char *rf_digest_name(rf_digest_alg alg);

/** Look up an algorithm by its BagIt name ("sha256", "sha512").
 *  RF_EUNSUPPORTED when unknown. */
int rf_digest_from_name(rf_digest_alg *out, const char *name);

/** Write `n` bytes of `md` as lower-case hex plus a NUL into `hex`
 *  (room for 2n+1 bytes). */
void rf_digest_to_hex(char *hex, const unsigned char *md, size_t n);

/** Parse exactly `n` bytes of hex (either case) from `hex`, which must be
 *  exactly 2n hex digits long.  RF_EFORMAT otherwise. */
int rf_digest_from_hex(unsigned char *md, size_t n, const char *hex);

/** A streaming digest; free with rf_digest_free(). */
typedef struct rf_digest rf_digest;

/** Start a streaming digest of `alg`. */
int rf_digest_new(rf_digest **out, rf_digest_alg alg);
/** Feed `len` bytes. */
int rf_digest_update(rf_digest *d, const void *data, size_t len);
/** Finish: writes rf_digest_size() bytes to `md`.  The digest may then be
 *  reused from the start with rf_digest_reset(). */
int rf_digest_final(rf_digest *d, unsigned char *md);
/** Restart the digest. */
int rf_digest_reset(rf_digest *d);
/** NULL-safe. */
void rf_digest_free(rf_digest *d);

/** Digest of a buffer into `md` (rf_digest_size(alg) bytes). */
int rf_digest_buffer(unsigned char *md, rf_digest_alg alg, const void *data,
		     size_t len);

/** Digest of a buffer as lower-case hex (`hex` holds RF_DIGEST_HEX_MAX). */
int rf_digest_buffer_hex(char *hex, rf_digest_alg alg, const void *data,
			 size_t len);

/** Digest of everything readable from the open descriptor `fd` (read in
 *  RF_DIGEST_READ_SIZE blocks); `size` (may be NULL) receives the byte
 *  count.  `name` only names the file in error messages. */
int rf_digest_fd(unsigned char *md, uint64_t *size, rf_digest_alg alg, int fd,
		 const char *name);

/** Digest of the regular file at `path` (symlinks are followed; anything
 *  but a regular file is refused with RF_EUNSAFE). */
int rf_digest_file(unsigned char *md, uint64_t *size, rf_digest_alg alg,
		   const char *path);

/** One file of a parallel run: fill `path` (and optionally `size_hint`);
 *  rf_digest_files() fills the rest. */
typedef struct rf_digest_job {
	const char *path; /**< in: file to hash (borrowed) */
	uint64_t
	    size_hint; /**< in: expected size, orders the work (0 = unknown) */
	unsigned char md[RF_DIGEST_MAX]; /**< out: the digest */
	uint64_t size;			 /**< out: bytes hashed */
	int rc;				 /**< out: 0 or a negative RF_E* code */
	char err[256]; /**< out: the error message when rc != 0 */
} rf_digest_job;

/** Progress of a long run: bytes and files finished so far, out of the
 *  totals known at the start.  Called from worker threads, serialised. */
typedef void (*rf_progress_fn)(void *ctx, uint64_t bytes_done,
			       uint64_t bytes_total, size_t files_done,
			       size_t files_total);

/** Hash `n` files in parallel on `pool` (NULL = on the caller).  Largest
 *  files start first so that threads finish together.  Each job records
 *  its own outcome; the call returns 0 unless it could not run at all
 *  (RF_ENOMEM), so one unreadable file never hides the others.  The caller
 *  decides which failures matter. */
int rf_digest_files(rf_digest_job *jobs, size_t n, rf_digest_alg alg,
		    rf_pool *pool, rf_progress_fn progress, void *progress_ctx);

#ifdef __cplusplus
}
#endif
#endif
