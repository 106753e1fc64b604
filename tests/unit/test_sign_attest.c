/* Unit tests for lib/sign/attest.c: a bag signed through pack's
 * before_commit hook, verified in stages, countersigned, and forged. */
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

static char tmp[256];

static void put(const char *rel, const char *text)
{
	char p[512];
	FILE *f;
	snprintf(p, sizeof p, "%s/%s", tmp, rel);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int sign_hook(void *ctx, const char *dir)
{
	return rf_attest_bag(dir, ctx);
}

static void pack_signed(const char *name, const char *src, rf_key *key)
{
	char out[512], in[512];
	const char *paths[1] = {in};
	rf_pack_opts o = RF_PACK_OPTS_INIT;
	snprintf(out, sizeof out, "%s/%s", tmp, name);
	snprintf(in, sizeof in, "%s/%s", tmp, src);
	o.threads = 1;
	o.allow_dirty = 1;
	if (key) {
		o.before_commit = sign_hook;
		o.before_commit_ctx = key;
	}
	assert_int_equal(rf_bag_pack(out, paths, 1, &o), 0);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmp, sizeof tmp, "%s/rf-attest-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmp))
		return -1;
	char p[512];
	snprintf(p, sizeof p, "%s/src", tmp);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/src/sub", tmp);
	mkdir(p, 0755);
	put("src/a.txt", "alpha\n");
	put("src/sub/b.txt", "beta\n");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return rf_dir_remove_tree(tmp);
}

static void test_attest_roundtrip(void **state)
{
	rf_key *a, *b, *c;
	rf_trust *t, *only_c, *only_a;
	rf_attest_opts o = RF_ATTEST_OPTS_INIT;
	rf_attest_result r;
	char bag[512], f[512];
	(void)state;
	assert_int_equal(rf_key_generate(&a), 0);
	assert_int_equal(rf_key_generate(&b), 0);
	assert_int_equal(rf_key_generate(&c), 0);
	assert_int_equal(rf_trust_new(&t), 0);
	assert_int_equal(rf_trust_add(t, "alice", a), 0);
	assert_int_equal(rf_trust_add(t, "bob", b), 0);
	assert_int_equal(rf_trust_new(&only_c), 0);
	assert_int_equal(rf_trust_add(only_c, "carol", c), 0);
	assert_int_equal(rf_trust_new(&only_a), 0);
	assert_int_equal(rf_trust_add(only_a, "alice", a), 0);

	pack_signed("bag", "src", a);
	snprintf(bag, sizeof bag, "%s/bag", tmp);
	o.trust = t;
	o.threads = 1;
	assert_int_equal(rf_attest_verify(&r, bag, &o), 0);
	assert_true(r.is_signed);
	assert_true(r.trust_checked);
	assert_int_equal(r.subjects, 3);
	assert_int_equal(r.check.verified, 1);
	assert_string_equal(r.check.signers[0], "alice");
	assert_string_equal(r.keyids[0], rf_key_id(a));
	rf_attest_result_free(&r);

	/* signing twice is refused; countersigning adds bob */
	assert_int_equal(rf_attest_bag(bag, a), RF_EEXIST);
	assert_int_equal(rf_attest_countersign(bag, a, &o), RF_EEXIST);
	o.trust = only_c;
	assert_int_equal(rf_attest_countersign(bag, b, &o), RF_ECHECK);
	o.trust = t;
	assert_int_equal(rf_attest_countersign(bag, b, &o), 0);
	/* countersigning takes a trust list, and every signature already
	 * there must verify against it; the bag is untouched otherwise */
	rf_attest_opts no_trust = RF_ATTEST_OPTS_INIT;
	assert_int_equal(rf_attest_countersign(bag, c, &no_trust), RF_EINVAL);
	assert_int_equal(rf_attest_countersign(bag, c, NULL), RF_EINVAL);
	o.trust = only_a;
	assert_int_equal(rf_attest_countersign(bag, c, &o), RF_ECHECK);
	assert_non_null(strstr(rf_error_last(), "signature 2 (keyid "));
	{
		char hint[40];
		snprintf(hint, sizeof hint, "(keyid %.16s)", rf_key_id(b));
		assert_non_null(strstr(rf_error_last(), hint));
	}
	o.trust = t;
	assert_int_equal(rf_attest_verify(&r, bag, &o), 0);
	assert_int_equal(r.check.signatures, 2);
	rf_attest_result_free(&r);
	o.min_signatures = 2;
	assert_int_equal(rf_attest_verify(&r, bag, &o), 0);
	assert_int_equal(r.check.verified, 2);
	rf_attest_result_free(&r);
	o.min_signatures = 3;
	assert_int_equal(rf_attest_verify(&r, bag, &o), RF_ECHECK);
	assert_int_equal(r.failed, RF_ATTEST_STAGE_SIGNATURES);
	rf_attest_result_free(&r);
	o.min_signatures = 1;

	/* the bag stays valid BagIt */
	rf_bag_report *rep = NULL;
	assert_int_equal(rf_bag_verify(&rep, bag, NULL), 0);
	rf_bag_report_free(rep);

	/* a changed payload file stops at the statement stage */
	snprintf(f, sizeof f, "%s/bag/data/src/a.txt", tmp);
	FILE *fp = fopen(f, "a");
	fputs("x", fp);
	fclose(fp);
	assert_int_equal(rf_attest_verify(&r, bag, &o), RF_ECHECK);
	assert_int_equal(r.failed, RF_ATTEST_STAGE_STATEMENT);
	assert_non_null(strstr(rf_error_last(), "data/src/a.txt"));
	rf_attest_result_free(&r);
	/* ... and countersigning a forged bag is refused */
	rf_key *d;
	assert_int_equal(rf_key_generate(&d), 0);
	assert_int_equal(rf_attest_countersign(bag, d, &o), RF_ECHECK);
	rf_key_free(d);

	/* unsigned */
	pack_signed("plain", "src", NULL);
	snprintf(bag, sizeof bag, "%s/plain", tmp);
	rf_attest_opts none = RF_ATTEST_OPTS_INIT;
	assert_int_equal(rf_attest_verify(&r, bag, &none), 0);
	assert_false(r.is_signed);
	rf_attest_result_free(&r);
	none.require_signature = 1;
	assert_int_equal(rf_attest_verify(&r, bag, &none), RF_ECHECK);
	rf_attest_result_free(&r);
	assert_int_equal(rf_attest_countersign(bag, b, &o), RF_ECHECK);
	assert_int_equal(rf_attest_bag(bag, a), 0);
	assert_int_equal(rf_attest_verify(&r, bag, &o), 0);
	rf_attest_result_free(&r);
	rf_attest_result_free(NULL);

	rf_trust_free(t);
	rf_trust_free(only_c);
	rf_trust_free(only_a);
	rf_key_free(a);
	rf_key_free(b);
	rf_key_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attest_roundtrip),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
