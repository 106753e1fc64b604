/* Unit tests for lib/digest: known-answer vectors (FIPS 180-2 examples),
 * streaming vs one-shot, files, and parallel hashing vs serial. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "referee/referee.h"

static void test_vectors(void **state)
{
	char hex[RF_DIGEST_HEX_MAX];
	(void)state;
	assert_int_equal(rf_digest_buffer_hex(hex, RF_DIGEST_SHA256, "abc", 3),
			 0);
	assert_string_equal(
	    hex,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(rf_digest_buffer_hex(hex, RF_DIGEST_SHA256, "", 0), 0);
	assert_string_equal(
	    hex,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_int_equal(rf_digest_buffer_hex(hex, RF_DIGEST_SHA512, "abc", 3),
			 0);
	assert_string_equal(
	    hex,
	    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
	    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
	assert_int_equal(rf_digest_size(RF_DIGEST_SHA256), 32);
	assert_int_equal(rf_digest_size(RF_DIGEST_SHA512), 64);
}

static void test_names_and_hex(void **state)
{
	rf_digest_alg a;
	unsigned char md[4];
	char hex[9];
	(void)state;
	assert_int_equal(rf_digest_from_name(&a, "sha512"), 0);
	assert_int_equal(a, RF_DIGEST_SHA512);
	assert_string_equal(rf_digest_name(RF_DIGEST_SHA256), "sha256");
	assert_int_equal(rf_digest_from_name(&a, "md5"), RF_EUNSUPPORTED);
	assert_int_equal(rf_digest_from_hex(md, 4, "DEADbeef"), 0);
	rf_digest_to_hex(hex, md, 4);
	assert_string_equal(hex, "deadbeef");
	assert_int_equal(rf_digest_from_hex(md, 4, "deadbee"), RF_EFORMAT);
	assert_int_equal(rf_digest_from_hex(md, 4, "deadbeeg"), RF_EFORMAT);
}

/* "abc" fed in pieces gives the one-shot answer; reset starts over. */
static void test_streaming(void **state)
{
	rf_digest *d;
	unsigned char a[32], b[32];
	(void)state;
	assert_int_equal(rf_digest_new(&d, RF_DIGEST_SHA256), 0);
	rf_digest_update(d, "a", 1);
	rf_digest_update(d, "bc", 2);
	assert_int_equal(rf_digest_final(d, a), 0);
	assert_int_equal(rf_digest_buffer(b, RF_DIGEST_SHA256, "abc", 3), 0);
	assert_memory_equal(a, b, 32);
	assert_int_equal(rf_digest_reset(d), 0);
	rf_digest_update(d, "abd", 3);
	rf_digest_final(d, a);
	assert_memory_not_equal(a, b, 32);
	rf_digest_free(d);
	rf_digest_free(NULL);
}

static char dir[64];

static void write_file(const char *path, size_t n, unsigned seed)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	for (size_t i = 0; i < n; i++)
		fputc((int)((i * 131 + seed * 7) & 0xff), f);
	fclose(f);
}

struct seen {
	size_t calls, last_files, files_total;
	uint64_t last_bytes, bytes_total;
};

static void on_progress(void *ctx, uint64_t bytes_done, uint64_t bytes_total,
			size_t files_done, size_t files_total)
{
	struct seen *s = ctx;
	/* Serialised and monotonic, whichever thread reports. */
	assert_true(files_done == s->last_files + 1);
	assert_true(bytes_done >= s->last_bytes);
	s->calls++;
	s->last_files = files_done;
	s->last_bytes = bytes_done;
	s->files_total = files_total;
	s->bytes_total = bytes_total;
}

static void test_files_parallel(void **state)
{
	enum { N = 40 };
	char paths[N][128];
	rf_digest_job jobs[N];
	rf_pool *pool;
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/rf-digest-XXXXXX");
	assert_non_null(mkdtemp(dir));
	memset(jobs, 0, sizeof jobs);
	for (int i = 0; i < N; i++) {
		/* Sizes straddle the 1 MiB read size, and include 0. */
		size_t n =
		    i == 0 ? 0 : (size_t)i * 53731 + (i == 7 ? (1u << 20) : 0);
		snprintf(paths[i], sizeof paths[i], "%s/f%d", dir, i);
		write_file(paths[i], n, (unsigned)i);
		jobs[i].path = paths[i];
		jobs[i].size_hint = n;
	}
	jobs[N - 1].path = "/nonexistent/referee/file";
	assert_int_equal(rf_pool_new(&pool, 3), 0);
	struct seen seen = {0, 0, 0, 0, 0};
	uint64_t total = 0;
	assert_int_equal(rf_digest_files(jobs, N, RF_DIGEST_SHA256, pool,
					 on_progress, &seen),
			 0);
	for (int i = 0; i < N - 1; i++)
		total += jobs[i].size;
	assert_int_equal(seen.calls, N);
	assert_int_equal(seen.files_total, N);
	assert_true(seen.last_bytes == total);
	/* The totals are the hints: exact, plus the missing file's. */
	assert_true(seen.bytes_total == total + jobs[N - 1].size_hint);
	for (int i = 0; i < N - 1; i++) {
		unsigned char md[32];
		uint64_t size = 0;
		rf_buf b = RF_BUF_INIT;
		assert_int_equal(jobs[i].rc, 0);
		assert_int_equal(
		    rf_digest_file(md, &size, RF_DIGEST_SHA256, paths[i]), 0);
		assert_memory_equal(md, jobs[i].md, 32);
		assert_true(size == jobs[i].size);
		assert_int_equal(rf_file_read(&b, paths[i], 1u << 24), 0);
		assert_int_equal(rf_digest_buffer(md, RF_DIGEST_SHA256,
						  b.data ? b.data : "", b.len),
				 0);
		assert_memory_equal(md, jobs[i].md, 32);
		rf_buf_free(&b);
	}
	assert_int_equal(jobs[N - 1].rc, RF_ENOTFOUND);
	assert_non_null(strstr(jobs[N - 1].err, "/nonexistent/referee/file"));
	rf_pool_free(pool);
	/* A directory or FIFO is not a regular file: refused, never hangs. */
	{
		unsigned char md[32];
		char fifo[128];
		snprintf(fifo, sizeof fifo, "%s/fifo", dir);
		assert_int_equal(mkfifo(fifo, 0600), 0);
		assert_int_equal(
		    rf_digest_file(md, NULL, RF_DIGEST_SHA256, fifo),
		    RF_EUNSAFE);
		assert_int_equal(
		    rf_digest_file(md, NULL, RF_DIGEST_SHA256, dir),
		    RF_EUNSAFE);
	}
	assert_int_equal(rf_dir_remove_tree(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vectors),
	    cmocka_unit_test(test_names_and_hex),
	    cmocka_unit_test(test_streaming),
	    cmocka_unit_test(test_files_parallel),
	};
	return cmocka_run_group_tests_name("digest", tests, NULL, NULL);
}
