/* Unit tests for lib/core: errors, buffers, safe paths, atomic writes, pool. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "referee/referee.h"

static void test_error_roundtrip(void **state)
{
	(void)state;
	rf_error_clear();
	assert_string_equal(rf_error_last(), "");
	assert_int_equal(rf_error_set(RF_EIO, "cannot open '%s'", "x\ny"), RF_EIO);
	assert_string_equal(rf_error_last(), "cannot open 'x?y'");
	assert_int_equal(rf_error_last_code(), RF_EIO);
	rf_error_wrap(RF_ECHECK, "bag '%s'", "b");
	assert_string_equal(rf_error_last(), "bag 'b': cannot open 'x?y'");
	assert_int_equal(rf_error_exit_status(RF_ECHECK), 1);
	assert_int_equal(rf_error_exit_status(RF_EFORMAT), 2);
	assert_int_equal(rf_error_exit_status(RF_ELIB), 3);
	assert_int_equal(rf_error_exit_status(RF_OK), 0);
}

static void test_buf(void **state)
{
	rf_buf b = RF_BUF_INIT;
	(void)state;
	for (int i = 0; i < 1000; i++)
		assert_int_equal(rf_buf_printf(&b, "%d,", i), 0);
	assert_true(b.len > 3000);
	assert_int_equal(strncmp(b.data, "0,1,2,", 6), 0);
	assert_int_equal(b.data[b.len], '\0');
	rf_buf_clear(&b);
	assert_int_equal(b.len, 0);
	rf_buf_puts(&b, "abc");
	char *s = rf_buf_detach(&b);
	assert_string_equal(s, "abc");
	assert_null(b.data);
	free(s);
	s = rf_buf_detach(&b); /* never written: "" as documented */
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
	rf_buf_free(&b);
	rf_buf_free(NULL);
}

static void test_path_check(void **state)
{
	(void)state;
	assert_int_equal(rf_path_check_relative("data/a/b.txt", NULL), 0);
	assert_int_equal(rf_path_check_relative("a..b/c", NULL), 0);
	const char *bad[] = {"", "/etc/passwd", "../x", "a/../b", "a/..", "./a",
			     "a//b", "a/", "a\\b", "a\nb", "a\rb", ".."};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(rf_path_check_relative(bad[i], "manifest"), RF_EUNSAFE);
}

static void test_atomic_write(void **state)
{
	char dir[] = "/tmp/rf-core-XXXXXX";
	rf_buf p = RF_BUF_INIT, r = RF_BUF_INIT;
	struct stat st;
	(void)state;
	assert_non_null(mkdtemp(dir));
	rf_path_join(&p, dir, "f.txt");
	assert_int_equal(rf_file_write_atomic(p.data, "hello", 5, 0644, 0), 0);
	assert_int_equal(rf_file_write_atomic(p.data, "x", 1, 0644, 0), RF_EEXIST);
	assert_int_equal(rf_file_read(&r, p.data, 100), 0);
	assert_string_equal(r.data, "hello");
	assert_int_equal(rf_file_write_atomic(p.data, "bye", 3, 0600, 1), 0);
	rf_buf_clear(&r);
	assert_int_equal(rf_file_read(&r, p.data, 2), RF_ELIMIT);
	assert_int_equal(stat(p.data, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	rf_buf_clear(&p);
	rf_path_join(&p, dir, "secret");
	assert_int_equal(rf_file_write_new(p.data, "k", 1, 0600), 0);
	assert_int_equal(rf_file_write_new(p.data, "k", 1, 0600), RF_EEXIST);
	assert_int_equal(rf_dir_remove_tree(dir), 0);
	assert_false(rf_path_exists(dir));
	rf_buf_free(&p);
	rf_buf_free(&r);
}

struct sum_ctx {
	uint64_t *out;
};

static void square(void *ctx, size_t b, size_t e, int worker)
{
	struct sum_ctx *c = ctx;
	(void)worker;
	for (size_t i = b; i < e; i++)
		c->out[i] = (uint64_t)i * i;
}

static void test_pool(void **state)
{
	enum { N = 100003 };
	uint64_t *out = calloc(N, sizeof *out);
	struct sum_ctx c = {out};
	(void)state;
	for (int threads = 1; threads <= 4; threads++) {
		rf_pool *pool;
		assert_int_equal(rf_pool_new(&pool, threads), 0);
		assert_int_equal(rf_pool_threads(pool), threads);
		for (int rep = 0; rep < 20; rep++) {
			memset(out, 0, N * sizeof *out);
			rf_pool_for(pool, N, 64, square, &c);
			for (size_t i = 0; i < N; i += 997)
				assert_true(out[i] == (uint64_t)i * i);
			assert_true(out[N - 1] == (uint64_t)(N - 1) * (N - 1));
		}
		rf_pool_free(pool);
	}
	rf_pool_for(NULL, 10, 1, square, &c);
	assert_true(out[9] == 81);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_roundtrip),
		cmocka_unit_test(test_buf),
		cmocka_unit_test(test_path_check),
		cmocka_unit_test(test_atomic_write),
		cmocka_unit_test(test_pool),
	};
	return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
