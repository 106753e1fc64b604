/* Unit tests for lib/bundle (rf_bundle_verify): the signing states, the
 * plain summary, --expect-id, unsigned extras, and a statement that no
 * longer matches the files, caught without a trust list. */
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

static char root[64], src[128], bag[128];
static rf_key *key, *other;

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int sign_hook(void *ctx, const char *dir)
{
	return rf_attest_bag(dir, ctx);
}

static void pack(int sign)
{
	rf_pack_opts o = RF_PACK_OPTS_INIT;
	const char *paths[] = {src};
	rf_dir_remove_tree(bag);
	o.threads = 1;
	o.external_identifier = "MS-1";
	if (sign) {
		o.before_commit = sign_hook;
		o.before_commit_ctx = key;
	}
	assert_int_equal(rf_bag_pack(bag, paths, 1, &o), 0);
}

static int setup(void **state)
{
	char p[192];
	(void)state;
	snprintf(root, sizeof root, "/tmp/rf-bundle-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	snprintf(src, sizeof src, "%s/ev", root);
	snprintf(bag, sizeof bag, "%s/bag", root);
	mkdir(src, 0755);
	snprintf(p, sizeof p, "%s/a.txt", src);
	put(p, "alpha\n");
	return rf_key_generate(&key) || rf_key_generate(&other);
}

static int teardown(void **state)
{
	(void)state;
	rf_key_free(key);
	rf_key_free(other);
	return rf_dir_remove_tree(root);
}

static void test_states(void **state)
{
	rf_bundle_result *r = NULL;
	rf_bundle_opts o = RF_BUNDLE_OPTS_INIT;
	rf_trust *t = NULL, *wrong = NULL;
	(void)state;
	assert_int_equal(rf_trust_new(&t), 0);
	assert_int_equal(rf_trust_add(t, "author", key), 0);
	assert_int_equal(rf_trust_new(&wrong), 0);
	assert_int_equal(rf_trust_add(wrong, "other", other), 0);

	pack(0);
	assert_int_equal(rf_bundle_verify(&r, bag, NULL), 0);
	assert_int_equal(r->signing, RF_BUNDLE_UNSIGNED);
	assert_non_null(strstr(r->summary, "VERIFIED; UNSIGNED"));
	assert_string_equal(r->external_id, "MS-1");
	assert_false(r->external_id_signed);
	assert_non_null(r->report);
	rf_bundle_result_free(r);
	o.expect_id = "MS-1";
	assert_int_equal(rf_bundle_verify(&r, bag, &o), RF_ECHECK);
	assert_non_null(strstr(r->reason, "not covered by a signature"));
	rf_bundle_result_free(r);

	pack(1);
	assert_int_equal(rf_bundle_verify(&r, bag, NULL), 0);
	assert_int_equal(r->signing, RF_BUNDLE_SIGNED_UNCHECKED);
	assert_non_null(strstr(r->summary, "NOT checked against a trusted key"));
	rf_bundle_result_free(r);
	o.trust = t;
	assert_int_equal(rf_bundle_verify(&r, bag, &o), 0);
	assert_int_equal(r->signing, RF_BUNDLE_SIGNED_TRUSTED);
	assert_true(r->external_id_signed);
	assert_non_null(strstr(r->summary, "signed by author (1 of 1"));
	rf_bundle_result_free(r);
	o.expect_id = "MS-2";
	assert_int_equal(rf_bundle_verify(&r, bag, &o), RF_ECHECK);
	assert_int_equal(r->failed, RF_ATTEST_STAGE_BAG);
	assert_non_null(strstr(r->reason, "External-Identifier is 'MS-1', not the expected 'MS-2'"));
	rf_bundle_result_free(r);
	o.expect_id = NULL;
	o.trust = wrong;
	assert_int_equal(rf_bundle_verify(&r, bag, &o), RF_ECHECK);
	assert_int_equal(r->signing, RF_BUNDLE_SIGNED_UNTRUSTED);
	assert_int_equal(r->failed, RF_ATTEST_STAGE_SIGNATURES);
	assert_null(r->report);
	assert_non_null(strstr(r->summary, "NOT VERIFIED"));
	rf_bundle_result_free(r);
	rf_trust_free(t);
	rf_trust_free(wrong);
}

/* Edited after signing, the BagIt digests recomputed: caught by the
 * statement, without a trust list. */
static void test_statement_without_trust(void **state)
{
	rf_bundle_result *r = NULL;
	char p[256];
	(void)state;
	pack(1);
	snprintf(p, sizeof p, "%s/data/ev/a.txt", bag);
	put(p, "alphA\n");
	assert_int_equal(rf_bundle_verify(&r, bag, NULL), RF_ECHECK);
	assert_int_equal(r->failed, RF_ATTEST_STAGE_STATEMENT);
	assert_non_null(strstr(r->reason, "differs from its signed digest"));
	assert_int_equal(r->signing, RF_BUNDLE_SIGNED_UNCHECKED);
	rf_bundle_result_free(r);
	assert_int_equal(rf_bundle_verify(&r, "/nonexistent/bag", NULL), RF_ENOTFOUND);
	assert_non_null(r);
	assert_non_null(strstr(r->summary, "NOT VERIFIED"));
	rf_bundle_result_free(r);
	rf_bundle_result_free(NULL);
}

static void test_extras(void **state)
{
	rf_bundle_result *r = NULL;
	char p[256];
	(void)state;
	pack(1);
	snprintf(p, sizeof p, "%s/manifest-md5.txt", bag);
	put(p, "0cc175b9c0f1b6a831c399e269772661  data/ev/a.txt\n");
	snprintf(p, sizeof p, "%s/referee/note.txt", bag);
	put(p, "x\n");
	assert_int_equal(rf_bag_update_tagmanifest(bag), 0);
	assert_int_equal(rf_bundle_verify(&r, bag, NULL), 0);
	assert_int_equal(r->nextras, 2);
	assert_string_equal(r->extras[0].path, "manifest-md5.txt");
	assert_non_null(strstr(r->extras[0].why, "not checked"));
	assert_string_equal(r->extras[1].path, "referee/note.txt");
	assert_non_null(strstr(r->summary, "2 files outside data/ that nothing vouches for"));
	rf_bundle_result_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_statement_without_trust),
		cmocka_unit_test(test_extras),
	};
	return cmocka_run_group_tests_name("bundle", tests, setup, teardown);
}
