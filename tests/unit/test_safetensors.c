/* Unit tests for lib/replay/safetensors.c: canonical round trip, and hostile
 * files (huge or overlong header, bad JSON, bad dtype, wrong sizes, offsets
 * out of range, overlapping or leaving holes, truncation) rejected with a
 * message that says what is wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "referee/referee.h"
#include "replay/safetensors.h"

static void test_roundtrip(void **state)
{
	float a[6] = {1, -2, 3.5f, 0, 1e-30f, -0.0f}, b[3] = {7, 8, 9};
	rf_st_tensor t[2] = {{"zeta", 2, {2, 3}, a}, {"alpha", 1, {3}, b}};
	const char *meta[] = {"format", "pt", "step", "7"};
	rf_buf x = RF_BUF_INIT, y = RF_BUF_INIT;
	rf_st *st;
	(void)state;
	assert_int_equal(rf_st_serialize(&x, t, 2, meta, 2), 0);
	/* header length is a multiple of 8 and the header is sorted JSON */
	uint64_t H = 0;
	for (int i = 0; i < 8; i++)
		H |= (uint64_t)(unsigned char)x.data[i] << (8 * i);
	assert_int_equal(H % 8, 0);
	assert_int_equal(x.len, 8 + H + 4 * 9);
	const char *want = "{\"__metadata__\":{\"format\":\"pt\",\"step\":\"7\"},"
			   "\"alpha\":{\"data_offsets\":[0,12],\"dtype\":\"F32\",\"shape\":[3]},"
			   "\"zeta\":{\"data_offsets\":[12,36],\"dtype\":\"F32\",\"shape\":[2,3]}}";
	assert_int_equal(strncmp(x.data + 8, want, strlen(want)), 0);
	/* the same tensors in another order give the same bytes */
	rf_st_tensor r[2] = {t[1], t[0]};
	assert_int_equal(rf_st_serialize(&y, r, 2, meta, 2), 0);
	assert_int_equal(x.len, y.len);
	assert_memory_equal(x.data, y.data, x.len);

	assert_int_equal(rf_st_parse(&st, x.data, x.len, "x"), 0);
	assert_int_equal(rf_st_count(st), 2);
	assert_string_equal(rf_st_at(st, 0)->name, "alpha");
	const rf_st_tensor *z = rf_st_find(st, "zeta");
	assert_non_null(z);
	assert_int_equal(z->ndim, 2);
	assert_int_equal(z->shape[0], 2);
	assert_int_equal(z->shape[1], 3);
	assert_memory_equal(z->data, a, sizeof a);
	assert_memory_equal(rf_st_find(st, "alpha")->data, b, sizeof b);
	assert_null(rf_st_find(st, "beta"));
	assert_string_equal(rf_st_meta(st, "step"), "7");
	assert_null(rf_st_meta(st, "nope"));
	rf_st_free(st);
	rf_st_free(NULL);

	/* empty file of tensors, and a scalar (ndim 0) */
	float s = 4;
	rf_st_tensor sc = {"s", 0, {0}, &s};
	rf_buf_clear(&y);
	assert_int_equal(rf_st_serialize(&y, &sc, 1, NULL, 0), 0);
	assert_int_equal(rf_st_parse(&st, y.data, y.len, "y"), 0);
	assert_true(rf_st_find(st, "s")->data[0] == 4.0f);
	rf_st_free(st);
	rf_buf_clear(&y);
	assert_int_equal(rf_st_serialize(&y, NULL, 0, NULL, 0), 0);
	assert_int_equal(rf_st_parse(&st, y.data, y.len, "y"), 0);
	assert_int_equal(rf_st_count(st), 0);
	rf_st_free(st);

	/* writer refuses duplicate and reserved names */
	rf_st_tensor dup[2] = {{"a", 1, {3}, b}, {"a", 1, {3}, b}};
	assert_int_equal(rf_st_serialize(&y, dup, 2, NULL, 0), RF_EINVAL);
	dup[1].name = "__metadata__";
	assert_int_equal(rf_st_serialize(&y, dup + 1, 1, NULL, 0), RF_EINVAL);

	/* file round trip */
	char dir[] = "/tmp/rf-st-XXXXXX", path[64];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/t.safetensors", dir);
	assert_int_equal(rf_st_write(path, t, 2, meta, 2, 0), 0);
	assert_int_equal(rf_st_write(path, t, 2, meta, 2, 0), RF_EEXIST);
	assert_int_equal(rf_st_read(&st, path, 1 << 20), 0);
	assert_memory_equal(rf_st_find(st, "zeta")->data, a, sizeof a);
	rf_st_free(st);
	assert_int_equal(rf_st_read(&st, path, 16), RF_ELIMIT);
	assert_null(st);
	assert_int_equal(rf_dir_remove_tree(dir), 0);
	rf_buf_free(&x);
	rf_buf_free(&y);
}

/* A file from a header string and `dlen` data bytes. */
static void build(rf_buf *b, const char *hdr, uint64_t declared, size_t dlen)
{
	unsigned char len8[8];
	rf_buf_clear(b);
	for (int i = 0; i < 8; i++)
		len8[i] = (unsigned char)(declared >> (8 * i));
	rf_buf_append(b, len8, 8);
	rf_buf_puts(b, hdr);
	for (size_t i = 0; i < dlen; i++)
		rf_buf_append(b, "\0", 1);
}

static void expect_bad(const char *hdr, size_t dlen, int code, const char *msg)
{
	rf_buf b = RF_BUF_INIT;
	rf_st *st = (rf_st *)1;
	build(&b, hdr, strlen(hdr), dlen);
	int rc = rf_st_parse(&st, b.data, b.len, "evil.safetensors");
	if (rc != code || !strstr(rf_error_last(), msg))
		print_error("header %s: got %d '%s'\n", hdr, rc, rf_error_last());
	assert_int_equal(rc, code);
	assert_null(st);
	assert_non_null(strstr(rf_error_last(), "evil.safetensors"));
	assert_non_null(strstr(rf_error_last(), msg));
	rf_buf_free(&b);
}

static void test_hostile(void **state)
{
	rf_buf b = RF_BUF_INIT;
	rf_st *st;
	(void)state;
	/* shorter than the length field */
	assert_int_equal(rf_st_parse(&st, "\x08\0\0", 3, "evil"), RF_EFORMAT);
	assert_non_null(strstr(rf_error_last(), "truncated"));
	/* a huge declared header length: refused before any allocation */
	build(&b, "{}", (uint64_t)1 << 62, 0);
	assert_int_equal(rf_st_parse(&st, b.data, b.len, "evil"), RF_ELIMIT);
	assert_non_null(strstr(rf_error_last(), "over the limit"));
	/* a header length past the end of the file (truncated header) */
	build(&b, "{\"a\":1}", 4096, 0);
	assert_int_equal(rf_st_parse(&st, b.data, b.len, "evil"), RF_EFORMAT);
	assert_non_null(strstr(rf_error_last(), "past the end"));

	expect_bad("[1,2]", 0, RF_EFORMAT, "not a JSON object");
	expect_bad("{\"a\":", 0, RF_EFORMAT, "header:");
	expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
		   "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
		   4, RF_EFORMAT, "duplicate");
	expect_bad("{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4,
		   RF_EFORMAT, "dtype 'F16'");
	expect_bad("{\"a\":{\"dtype\":7,\"shape\":[2],\"data_offsets\":[0,8]}}", 8,
		   RF_EFORMAT, "only F32");
	expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, RF_EFORMAT,
		   "needs exactly");
	expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8,
		   RF_EFORMAT, "bad shape");
	expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}",
		   4, RF_EFORMAT, "bad shape");
	expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1099511627776,1099511627776],"
		   "\"data_offsets\":[0,8]}}", 8, RF_EFORMAT, "too large");
	/* size disagrees with the shape */
	expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8,
		   RF_EFORMAT, "needs 12");
	/* offsets out of range, reversed, negative */
	expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8,
		   RF_EFORMAT, "run past the data");
	expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", 8,
		   RF_EFORMAT, "bad data_offsets");
	expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 8,
		   RF_EFORMAT, "bad data_offsets");
	expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,18446744073709551615]}}",
		   8, RF_EFORMAT, "header:");
	/* overlapping tensors, a hole, data nobody owns */
	expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
		   "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
		   12, RF_EFORMAT, "overlaps");
	expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
		   "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}",
		   12, RF_EFORMAT, "hole");
	expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 12,
		   RF_EFORMAT, "not covered");
	expect_bad("{\"__metadata__\":{\"k\":1}}", 0, RF_EFORMAT, "not a string");
	expect_bad("{\"__metadata__\":[]}", 0, RF_EFORMAT, "not an object");

	/* a valid file cut short anywhere is refused */
	float v[4] = {1, 2, 3, 4};
	rf_st_tensor t = {"v", 1, {4}, v};
	rf_buf_clear(&b);
	assert_int_equal(rf_st_serialize(&b, &t, 1, NULL, 0), 0);
	for (size_t cut = 0; cut < b.len; cut++) {
		assert_int_not_equal(rf_st_parse(&st, b.data, cut, "cut"), 0);
		assert_null(st);
	}
	assert_int_equal(rf_st_parse(&st, b.data, b.len, "whole"), 0);
	rf_st_free(st);
	rf_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
