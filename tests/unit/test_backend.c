/* Unit tests for lib/replay/backend.c: device names, and every way loading
 * the CUDA module can fail (no file, not a shared object, no entry point,
 * another interface version, no GPU), each with a clear error.  The real
 * module is loaded when it was built; GPU work itself is tests/gpu's. */
#include <dlfcn.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "referee/referee.h"
#include "replay/backend.h"

static char tmpdir[] = "/tmp/rf-backend-XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	rf_buf p = RF_BUF_INIT;
	(void)state;
	rf_buf_puts(&p, tmpdir);
	rf_dir_remove_tree(p.data);
	rf_buf_free(&p);
	return 0;
}

static void test_device_parse(void **state)
{
	rf_device_kind k;
	int i = -1;
	(void)state;
	assert_int_equal(rf_device_parse("cpu", &k, &i), 0);
	assert_int_equal(k, RF_DEVICE_CPU);
	assert_int_equal(rf_device_parse("cuda", &k, &i), 0);
	assert_int_equal(k, RF_DEVICE_CUDA);
	assert_int_equal(i, 0);
	assert_int_equal(rf_device_parse("cuda:3", &k, &i), 0);
	assert_int_equal(i, 3);
	const char *bad[] = {"", "gpu", "cuda:", "cuda:x", "cuda:-1", "cuda:64",
			     "cudax", "cuda:1x", "cuda: 1", "CPU"};
	for (size_t j = 0; j < sizeof bad / sizeof bad[0]; j++) {
		assert_int_equal(rf_device_parse(bad[j], &k, &i), RF_EINVAL);
		assert_non_null(strstr(rf_error_last(), "unknown device"));
	}
	assert_int_equal(rf_device_parse(NULL, &k, &i), RF_EINVAL);
}

static void test_missing_module(void **state)
{
	rf_backend *be = (rf_backend *)1;
	(void)state;
	assert_int_equal(rf_backend_open(&be, RF_DEVICE_CUDA,
					 "/nonexistent/referee-cuda.so"),
			 RF_ENOTFOUND);
	assert_null(be);
	assert_non_null(strstr(rf_error_last(), "'/nonexistent/referee-cuda.so' not found"));
	assert_int_equal(rf_error_exit_status(RF_ENOTFOUND), 2);
	/* A bare name means a file in the current folder, not a search. */
	assert_int_equal(rf_backend_open(&be, RF_DEVICE_CUDA, "libm.so.6"),
			 RF_ENOTFOUND);
	/* Only CUDA has a module. */
	assert_int_equal(rf_backend_open(&be, RF_DEVICE_CPU, NULL), RF_EINVAL);
	rf_backend_free(NULL);
}

static void test_default_search(void **state)
{
	rf_backend *be = NULL;
	int rc;
	(void)state;
	/* The unit test binary lives in build/tests/, the module in build/:
	 * the default search finds it only when installed in LIBDIR. */
	rc = rf_backend_open(&be, RF_DEVICE_CUDA, NULL);
	if (rc == 0) {
		assert_non_null(rf_backend_path(be));
		rf_backend_free(be);
		return;
	}
	assert_int_equal(rc, RF_ENOTFOUND);
	assert_non_null(strstr(rf_error_last(), "built without CUDA"));
	assert_non_null(strstr(rf_error_last(), "make CUDA=1"));
}

static void test_not_a_library(void **state)
{
	rf_buf p = RF_BUF_INIT;
	rf_backend *be = NULL;
	(void)state;
	rf_path_join(&p, tmpdir, "referee-cuda.so");
	assert_int_equal(rf_file_write_atomic(p.data, "not an ELF file\n", 16,
					      0644, 1), 0);
	assert_int_equal(rf_backend_open(&be, RF_DEVICE_CUDA, p.data), RF_ELIB);
	assert_null(be);
	assert_non_null(strstr(rf_error_last(), "cannot load CUDA backend module"));
	assert_int_equal(rf_error_exit_status(RF_ELIB), 3);
	rf_buf_free(&p);
}

static void test_no_entry_point(void **state)
{
	Dl_info info;
	rf_backend *be = NULL;
	(void)state;
	/* A real shared object without our symbol: the C math library. */
	volatile double x = 0.5;
	double (*fn)(double) = cos;
	assert_true(cos(x) > 0.0);
	assert_true(dladdr(*(void **)&fn, &info) != 0);
	assert_non_null(info.dli_fname);
	if (!strchr(info.dli_fname, '/') || strstr(info.dli_fname, "/tests/")) {
		skip(); /* libm linked statically: nothing to load */
		return;
	}
	assert_int_equal(rf_backend_open(&be, RF_DEVICE_CUDA, info.dli_fname),
			 RF_EFORMAT);
	assert_non_null(strstr(rf_error_last(), "not a referee backend module"));
}

/* Build a fake module with cc: an entry point returning `body`. */
static int build_fake(rf_buf *so, const char *name, const char *body)
{
	rf_buf src = RF_BUF_INIT, cmd = RF_BUF_INIT;
	int rc;
	rf_buf_printf(&src, "%s/%s.c", tmpdir, name);
	rf_buf_printf(so, "%s/%s.so", tmpdir, name);
	rf_buf_printf(&cmd,
		      "#include <stdint.h>\n"
		      "struct t { uint32_t abi, size; };\n"
		      "%s\n",
		      body);
	rc = rf_file_write_atomic(src.data, cmd.data, cmd.len, 0644, 1);
	rf_buf_clear(&cmd);
	rf_buf_printf(&cmd, "cc -shared -fPIC -o '%s' '%s' 2>/dev/null", so->data,
		      src.data);
	if (rc == 0)
		rc = system(cmd.data);
	rf_buf_free(&src);
	rf_buf_free(&cmd);
	return rc;
}

static void test_wrong_abi(void **state)
{
	rf_buf so = RF_BUF_INIT;
	rf_backend *be = NULL;
	(void)state;
	if (build_fake(&so, "old",
		       "static const struct t tab = {999, 8};\n"
		       "const void *referee_backend_v1(void) { return &tab; }") != 0) {
		rf_buf_free(&so);
		skip(); /* no C compiler at hand */
		return;
	}
	assert_int_equal(rf_backend_open(&be, RF_DEVICE_CUDA, so.data), RF_EFORMAT);
	assert_non_null(strstr(rf_error_last(), "interface version 999"));
	rf_buf_clear(&so);
	assert_int_equal(build_fake(&so, "null",
				    "const void *referee_backend_v1(void) { return 0; }"),
			 0);
	assert_int_equal(rf_backend_open(&be, RF_DEVICE_CUDA, so.data), RF_EFORMAT);
	rf_buf_clear(&so);
	/* Right version, but a table shorter than ours. */
	assert_int_equal(build_fake(&so, "short",
				    "static const struct t tab = {1, 8};\n"
				    "const void *referee_backend_v1(void) { return &tab; }"),
			 0);
	assert_int_equal(rf_backend_open(&be, RF_DEVICE_CUDA, so.data), RF_EFORMAT);
	assert_null(be);
	rf_buf_free(&so);
}

/* build/tests/test_backend -> build/referee-cuda.so */
static int module_path(rf_buf *out)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	char *s;
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	for (int i = 0; i < 2; i++) {
		s = strrchr(exe, '/');
		if (!s)
			return -1;
		*s = '\0';
	}
	rf_buf_printf(out, "%s/%s", exe, RF_BACKEND_CUDA_MODULE);
	return access(out->data, R_OK);
}

static void test_real_module(void **state)
{
	rf_buf p = RF_BUF_INIT;
	rf_backend *be = NULL;
	char name[256];
	int n = -1, rc;
	(void)state;
	if (module_path(&p) != 0) {
		rf_buf_free(&p);
		printf("# SKIP CUDA module not built (CUDA=0 or no nvcc)\n");
		skip();
		return;
	}
	rc = rf_backend_open(&be, RF_DEVICE_CUDA, p.data);
	if (rc == RF_ELIB && strstr(rf_error_last(), "libcublas")) {
		printf("# SKIP CUDA libraries not installed: %s\n", rf_error_last());
		rf_buf_free(&p);
		skip();
		return;
	}
	assert_int_equal(rc, 0);
	assert_string_equal(rf_backend_path(be), p.data);
	const rf_backend_ops *ops = rf_backend_ops_of(be);
	assert_non_null(ops);
	assert_string_equal(ops->name, "cuda");
	assert_int_equal(ops->abi, RF_BACKEND_ABI);
	rc = rf_backend_device_count(be, &n);
	if (rc != 0) {
		/* The machine without a GPU: a clear error, not a crash. */
		assert_int_equal(rc, RF_EUNSUPPORTED);
		assert_int_equal(n, 0);
		assert_non_null(strstr(rf_error_last(), "no CUDA device"));
		assert_int_equal(rf_backend_device_check(be, 0, name, sizeof name),
				 RF_EUNSUPPORTED);
		/* model_new refuses too, through the same message. */
		rf_gpt_config cfg = {16, 8, 8, 1, 2, 32, 1};
		void *m = (void *)1;
		rc = rf_backend_error(be, ops->model_new(&m, &cfg, 0));
		assert_int_equal(rc, RF_EUNSUPPORTED);
		assert_null(m);
		assert_non_null(strstr(rf_error_last(), "cuda: no CUDA device"));
		printf("# no CUDA device here: %s\n", rf_error_last());
	} else {
		assert_true(n > 0);
		assert_int_equal(rf_backend_device_check(be, 0, name, sizeof name), 0);
		printf("# CUDA device 0: %s\n", name);
		assert_int_equal(rf_backend_device_check(be, n, name, sizeof name),
				 RF_EUNSUPPORTED);
	}
	rf_backend_free(be);
	rf_buf_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_device_parse),
		cmocka_unit_test(test_missing_module),
		cmocka_unit_test(test_default_search),
		cmocka_unit_test(test_not_a_library),
		cmocka_unit_test(test_no_entry_point),
		cmocka_unit_test(test_wrong_abi),
		cmocka_unit_test(test_real_module),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
