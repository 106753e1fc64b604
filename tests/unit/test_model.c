/* Unit tests for lib/model: the reference implementation's resource order
 * (path components, shard offsets as numbers), shard names, the subject
 * digest, sign/verify round trips with each key type, and tampering. */
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

static int setup(void **state)
{
	char p[512];
	(void)state;
	snprintf(tmp, sizeof tmp, "%s/referee-model-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(tmp));
	snprintf(p, sizeof p, "%s/a", tmp);
	mkdir(p, 0755);
	put("a/c", "q\n");
	put("a.b", "z\n");
	put("a.txt", "hello\n");
	put("b", "0123456789012345678901234567890123456789");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rf_dir_remove_tree(tmp);
	return 0;
}

static void test_order_files(void **state)
{
	rf_model_opts o = {0};
	rf_model *m = NULL;
	(void)state;
	assert_int_equal(rf_model_hash(&m, tmp, &o), 0);
	assert_int_equal(rf_model_resource_count(m), 4);
	/* component by component: "a/c" before "a.b" although '.' < '/' */
	assert_string_equal(rf_model_resource_name(m, 0), "a/c");
	assert_string_equal(rf_model_resource_name(m, 1), "a.b");
	assert_string_equal(rf_model_resource_name(m, 2), "a.txt");
	assert_string_equal(rf_model_resource_name(m, 3), "b");
	/* sha256 of "hello\n" */
	assert_string_equal(rf_model_resource_digest(m, 2),
			    "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
	rf_model_free(m);
}

static void test_order_shards(void **state)
{
	rf_model_opts o = {0};
	rf_model *m = NULL;
	(void)state;
	o.method = RF_MODEL_SHARDS;
	o.shard_size = 4;
	o.threads = 3;
	assert_int_equal(rf_model_hash(&m, tmp, &o), 0);
	/* b: 40 bytes = 10 shards, ordered by offset as a number:
	 * b:8:12 before b:12:16 (strcmp would put "12" first) */
	assert_int_equal(rf_model_resource_count(m), 14);
	assert_string_equal(rf_model_resource_name(m, 0), "a/c:0:2");
	assert_string_equal(rf_model_resource_name(m, 2), "a.txt:0:4");
	assert_string_equal(rf_model_resource_name(m, 3), "a.txt:4:6");
	assert_string_equal(rf_model_resource_name(m, 4), "b:0:4");
	assert_string_equal(rf_model_resource_name(m, 5), "b:4:8");
	assert_string_equal(rf_model_resource_name(m, 6), "b:8:12");
	assert_string_equal(rf_model_resource_name(m, 7), "b:12:16");
	assert_string_equal(rf_model_resource_name(m, 13), "b:36:40");
	rf_model_free(m);
}

static void roundtrip(rf_key_type type)
{
	rf_model_opts o = {0};
	rf_model_verify_opts vo = {0};
	rf_model_result res;
	rf_model *m = NULL;
	rf_key *key = NULL;
	rf_buf sig = RF_BUF_INIT;
	assert_int_equal(rf_key_generate_type(&key, type), 0);
	assert_int_equal(rf_key_get_type(key), type);
	assert_int_equal(rf_model_hash(&m, tmp, &o), 0);
	assert_int_equal(rf_model_sign(&sig, m, key), 0);
	vo.key = key;
	assert_int_equal(rf_model_verify(&res, tmp, sig.data, sig.len, "sig", &vo), 0);
	assert_string_equal(res.digest, rf_model_digest(m));
	rf_model_result_free(&res);
	/* a changed byte */
	put("a.txt", "hellO\n");
	assert_int_equal(rf_model_verify(&res, tmp, sig.data, sig.len, "sig", &vo),
			 RF_ECHECK);
	assert_int_equal(res.nchanged, 1);
	assert_string_equal(res.changed[0], "a.txt");
	rf_model_result_free(&res);
	put("a.txt", "hello\n");
	/* a signature by the key over other bytes */
	sig.data[sig.len / 2] ^= 1;
	assert_int_not_equal(rf_model_verify(&res, tmp, sig.data, sig.len, "sig", &vo), 0);
	rf_model_result_free(&res);
	rf_buf_free(&sig);
	rf_model_free(m);
	rf_key_free(key);
}

static void test_roundtrip_p256(void **state)
{
	(void)state;
	roundtrip(RF_KEY_ECDSA_P256);
}

static void test_roundtrip_p384(void **state)
{
	(void)state;
	roundtrip(RF_KEY_ECDSA_P384);
}

static void test_roundtrip_ed25519(void **state)
{
	(void)state;
	roundtrip(RF_KEY_ED25519);
}

static void test_hostile_statement(void **state)
{
	static const char *bad[] = {
		"{}",
		"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\"}",
		"[1,2]",
		"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\","
		"\"verificationMaterial\":{\"publicKey\":{}},\"dsseEnvelope\":{"
		"\"payloadType\":\"application/vnd.in-toto+json\",\"payload\":\"e30=\","
		"\"signatures\":[{\"sig\":\"AAAA\"}]}}",
	};
	rf_model_verify_opts vo = {0};
	rf_model_result res;
	rf_key *key = NULL;
	(void)state;
	assert_int_equal(rf_key_generate_type(&key, RF_KEY_ECDSA_P256), 0);
	vo.key = key;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		assert_int_not_equal(rf_model_verify(&res, tmp, bad[i], strlen(bad[i]),
						     "bad", &vo), 0);
		rf_model_result_free(&res);
	}
	rf_key_free(key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_files),
		cmocka_unit_test(test_order_shards),
		cmocka_unit_test(test_roundtrip_p256),
		cmocka_unit_test(test_roundtrip_p384),
		cmocka_unit_test(test_roundtrip_ed25519),
		cmocka_unit_test(test_hostile_statement),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
