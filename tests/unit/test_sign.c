/* Unit tests for lib/sign: base64, keys, DSSE (PAE, parse, sign, verify),
 * trust lists and in-toto statements — including forged input that must
 * be refused. */
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

static char tmpdir[256];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof tmpdir, "%s/rf-sign-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return rf_dir_remove_tree(tmpdir);
}

static void b64_round(const char *in, const char *expect)
{
	rf_buf e = RF_BUF_INIT, d = RF_BUF_INIT;
	assert_int_equal(rf_base64_encode(&e, in, strlen(in)), 0);
	assert_string_equal(e.data ? e.data : "", expect);
	assert_int_equal(rf_base64_decode(&d, expect, strlen(expect), "t"), 0);
	assert_int_equal(d.len, strlen(in));
	assert_memory_equal(d.data ? d.data : "", in, d.len);
	rf_buf_free(&e);
	rf_buf_free(&d);
}

static void test_base64(void **state)
{
	(void)state;
	/* RFC 4648 §10 test vectors */
	b64_round("", "");
	b64_round("f", "Zg==");
	b64_round("fo", "Zm8=");
	b64_round("foo", "Zm9v");
	b64_round("foob", "Zm9vYg==");
	b64_round("fooba", "Zm9vYmE=");
	b64_round("foobar", "Zm9vYmFy");
	const char *bad[] = {"Zg", "Zg=", "Zh==", "Zm9=", "Zm 9v", "Zm9v\n",
			     "=Zm9", "Zg==Zg==", "Zm-v", "Zm_v", "===="};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		rf_buf d = RF_BUF_INIT;
		assert_int_equal(rf_base64_decode(&d, bad[i], strlen(bad[i]), "t"),
				 RF_EFORMAT);
		rf_buf_free(&d);
	}
}

static void test_pae(void **state)
{
	rf_buf p = RF_BUF_INIT;
	(void)state;
	/* The example from the DSSE protocol document. */
	assert_int_equal(rf_dsse_pae(&p, "http://example.com/HelloWorld",
				     "hello world", 11), 0);
	assert_string_equal(p.data,
			    "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
	rf_buf_clear(&p);
	assert_int_equal(rf_dsse_pae(&p, "", "", 0), 0);
	assert_string_equal(p.data, "DSSEv1 0  0 ");
	rf_buf_free(&p);
}

static void path_in(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", tmpdir, name);
}

static void test_keys(void **state)
{
	rf_key *k = NULL, *pub = NULL, *priv = NULL, *again = NULL;
	rf_buf sig = RF_BUF_INIT;
	char kp[512], pp[512];
	struct stat st;
	(void)state;
	assert_int_equal(rf_key_generate(&k), 0);
	assert_int_equal(strlen(rf_key_id(k)), RF_KEYID_HEX_LEN);
	path_in(kp, sizeof kp, "a.key");
	path_in(pp, sizeof pp, "a.pub");
	assert_int_equal(rf_key_save(k, kp, pp, NULL, 0), 0);
	assert_int_equal(stat(kp, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* never overwrites */
	assert_int_equal(rf_key_save(k, kp, pp, NULL, 0), RF_EEXIST);
	assert_int_equal(rf_key_load_public(&pub, pp), 0);
	assert_string_equal(rf_key_id(pub), rf_key_id(k));
	assert_false(rf_key_has_private(pub));
	assert_int_equal(rf_key_file_is_encrypted(kp), 0);
	assert_int_equal(rf_key_load_private(&priv, kp, NULL, 0), 0);
	assert_string_equal(rf_key_id(priv), rf_key_id(k));
	assert_int_equal(rf_key_sign(&sig, priv, "msg", 3), 0);
	assert_int_equal(sig.len, RF_SIG_LEN);
	assert_int_equal(rf_key_verify(pub, "msg", 3, sig.data, sig.len), 0);
	assert_int_equal(rf_key_verify(pub, "msh", 3, sig.data, sig.len), RF_ECHECK);
	sig.data[10] ^= 1;
	assert_int_equal(rf_key_verify(pub, "msg", 3, sig.data, sig.len), RF_ECHECK);
	assert_int_equal(rf_key_verify(pub, "msg", 3, sig.data, 63), RF_ECHECK);
	/* a public key file is not a private key and vice versa */
	assert_int_equal(rf_key_load_private(&again, pp, NULL, 0), RF_EFORMAT);
	assert_int_equal(rf_key_load_public(&again, kp), RF_EFORMAT);
	assert_null(again);

	/* encrypted */
	rf_key *k2 = NULL, *l2 = NULL;
	path_in(kp, sizeof kp, "b.key");
	path_in(pp, sizeof pp, "b.pub");
	assert_int_equal(rf_key_generate(&k2), 0);
	assert_int_equal(rf_key_save(k2, kp, pp, "s3cret", 6), 0);
	assert_int_equal(rf_key_file_is_encrypted(kp), 1);
	assert_int_equal(rf_key_load_private(&l2, kp, NULL, 0), RF_EINVAL);
	assert_int_equal(rf_key_load_private(&l2, kp, "wrong", 5), RF_ECHECK);
	assert_null(l2);
	assert_int_equal(rf_key_load_private(&l2, kp, "s3cret", 6), 0);
	assert_string_equal(rf_key_id(l2), rf_key_id(k2));
	rf_key_free(l2);
	rf_key_free(k2);

	rf_key_free(k);
	rf_key_free(pub);
	rf_key_free(priv);
	rf_key_free(NULL);
	rf_buf_free(&sig);
}

static void test_dsse(void **state)
{
	rf_key *a, *b, *c;
	rf_trust *t;
	rf_dsse *env, *back;
	rf_dsse_check chk;
	rf_buf json = RF_BUF_INIT;
	size_t len;
	(void)state;
	assert_int_equal(rf_key_generate(&a), 0);
	assert_int_equal(rf_key_generate(&b), 0);
	assert_int_equal(rf_key_generate(&c), 0);
	assert_int_equal(rf_trust_new(&t), 0);
	assert_int_equal(rf_trust_add(t, "alice", a), 0);
	assert_int_equal(rf_trust_add(t, "bob", b), 0);
	assert_int_equal(rf_trust_add(t, "bob", c), RF_EFORMAT);     /* name twice */
	assert_int_equal(rf_trust_add(t, "carol", a), RF_EFORMAT);   /* key twice */
	assert_int_equal(rf_trust_add(t, "bad name", c), RF_EFORMAT);

	assert_int_equal(rf_dsse_new(&env, RF_DSSE_INTOTO, "{\"x\":1}", 7), 0);
	assert_int_not_equal(rf_dsse_serialize(&json, env), 0); /* unsigned */
	assert_int_equal(rf_dsse_sign(env, a), 0);
	assert_int_equal(rf_dsse_sign(env, a), RF_EEXIST);
	assert_int_equal(rf_dsse_sign(env, c), 0);
	assert_int_equal(rf_dsse_serialize(&json, env), 0);

	assert_int_equal(rf_dsse_parse(&back, json.data, json.len, "env"), 0);
	assert_string_equal(rf_dsse_payload(back, &len), "{\"x\":1}");
	assert_int_equal(len, 7);
	assert_int_equal(rf_dsse_signature_count(back), 2);
	assert_string_equal(rf_dsse_signature_keyid(back, 0), rf_key_id(a));
	/* a and c signed; only a is trusted */
	assert_int_equal(rf_dsse_verify(&chk, back, t, 1), 0);
	assert_int_equal(chk.verified, 1);
	assert_int_equal(chk.unmatched, 1);
	assert_string_equal(chk.signers[0], "alice");
	rf_dsse_check_free(&chk);
	assert_int_equal(rf_dsse_verify(&chk, back, t, 2), RF_ECHECK);
	rf_dsse_check_free(&chk);
	/* once removed, alice's signature is gone */
	assert_int_equal(rf_dsse_remove_signature(back, 0), 0);
	assert_int_equal(rf_dsse_verify(&chk, back, t, 1), RF_ECHECK);
	rf_dsse_check_free(&chk);
	assert_int_equal(rf_dsse_sign(back, b), 0);
	assert_int_equal(rf_dsse_verify(&chk, back, t, 1), 0);
	assert_string_equal(chk.signers[0], "bob");
	rf_dsse_check_free(&chk);
	rf_dsse_free(back);

	/* keyid is only a hint: a wrong keyid still verifies by key */
	rf_buf forged = RF_BUF_INIT;
	char *p = strstr(json.data, rf_key_id(a));
	assert_non_null(p);
	p[0] = p[0] == '0' ? '1' : '0';
	assert_int_equal(rf_dsse_parse(&back, json.data, json.len, "env"), 0);
	assert_int_equal(rf_dsse_verify(&chk, back, t, 1), 0);
	rf_dsse_check_free(&chk);
	rf_dsse_free(back);

	/* a flipped payload byte breaks every signature */
	p = strstr(json.data, "\"payload\":\"");
	assert_non_null(p);
	p += 11;
	*p = *p == 'e' ? 'f' : 'e';
	assert_int_equal(rf_dsse_parse(&back, json.data, json.len, "env"), 0);
	assert_int_equal(rf_dsse_verify(&chk, back, t, 1), RF_ECHECK);
	rf_dsse_check_free(&chk);
	rf_dsse_free(back);

	/* malformed shapes */
	const char *shapes[] = {
		"[]", "{}", "{\"payloadType\":\"t\",\"payload\":\"\",\"signatures\":[]}",
		"{\"payloadType\":\"t\",\"payload\":\"Zg\",\"signatures\":[{\"sig\":\"\"}]}",
		"{\"payloadType\":\"t\",\"payload\":\"Zg==\",\"signatures\":[{\"sig\":\"Zg==\"}]}",
		"{\"payloadType\":\"t\",\"payload\":\"Zg==\",\"signatures\":[],\"x\":1}",
		"{\"payloadType\":\"t\",\"payloadType\":\"t\",\"payload\":\"Zg==\"}",
		"{\"payloadType\":1,\"payload\":\"Zg==\",\"signatures\":[{\"sig\":\"Zg==\"}]}",
	};
	for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
		back = NULL;
		assert_int_equal(rf_dsse_parse(&back, shapes[i], strlen(shapes[i]), "e"),
				 RF_EFORMAT);
		assert_null(back);
	}

	/* sigstore bundle wraps the envelope */
	rf_buf sb = RF_BUF_INIT;
	assert_int_equal(rf_dsse_sigstore_bundle(&sb, env), 0);
	assert_non_null(strstr(sb.data, "application/vnd.dev.sigstore.bundle.v0.3+json"));
	assert_non_null(strstr(sb.data, rf_key_id(a)));
	rf_buf_free(&sb);

	rf_buf_free(&forged);
	rf_buf_free(&json);
	rf_dsse_free(env);
	rf_dsse_free(NULL);
	rf_trust_free(t);
	rf_key_free(a);
	rf_key_free(b);
	rf_key_free(c);
}

/* Issue 11: every signature was tried against every trusted key (64
 * crafted signatures x 8 keys on a 180 MiB payload: 206 s).  Now a
 * signature whose keyid names no trusted key gets at most
 * RF_DSSE_MAX_FALLBACK checks per envelope, and an identical signature is
 * not checked twice: an envelope of 64 strangers' signatures against 8
 * trusted keys fails after at most 16 checks, which the counters show (the
 * old code reported all 64 as examined and needed 512 checks). */
static void check_cost_bounds(void)
{
	rf_key *keys[8], *m;
	rf_trust *t;
	rf_dsse *env;
	rf_dsse_check chk;
	rf_buf json = RF_BUF_INIT;
	char name[8];
	assert_int_equal(rf_trust_new(&t), 0);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(rf_key_generate(&keys[i]), 0);
		snprintf(name, sizeof name, "k%d", i);
		assert_int_equal(rf_trust_add(t, name, keys[i]), 0);
	}
	assert_int_equal(rf_dsse_new(&env, RF_DSSE_INTOTO, "{}", 2), 0);
	for (int i = 0; i < RF_DSSE_MAX_SIGNATURES; i++) {
		assert_int_equal(rf_key_generate(&m), 0);
		assert_int_equal(rf_dsse_sign(env, m), 0);
		rf_key_free(m);
	}
	assert_int_equal(rf_dsse_verify(&chk, env, t, 1), RF_ECHECK);
	assert_int_equal(chk.unmatched, RF_DSSE_MAX_SIGNATURES);
	assert_non_null(strstr(rf_error_last(), "at most 16 checks"));
	rf_dsse_check_free(&chk);
	/* a trusted signer's signature after them still counts when its
	 * keyid names it */
	assert_int_equal(rf_dsse_remove_signature(env, 0), 0);
	assert_int_equal(rf_dsse_sign(env, keys[5]), 0);
	assert_int_equal(rf_dsse_verify(&chk, env, t, 1), 0);
	assert_string_equal(chk.signers[0], "k5");
	rf_dsse_check_free(&chk);
	rf_buf_free(&json);
	rf_dsse_free(env);
	rf_trust_free(t);
	for (int i = 0; i < 8; i++)
		rf_key_free(keys[i]);
}

/* A signature that no trusted key verifies is a stranger's and ignored —
 * unless its keyid names a trusted key: then it was altered (or forged in
 * that key's name) and the check fails even with enough other signers. */
static void test_dsse_tampered(void **state)
{
	rf_key *a, *b, *c;
	rf_trust *t;
	rf_dsse *env, *back;
	rf_dsse_check chk;
	rf_buf json = RF_BUF_INIT, text = RF_BUF_INIT;
	char *p;
	(void)state;
	assert_int_equal(rf_key_generate(&a), 0);
	assert_int_equal(rf_key_generate(&b), 0);
	assert_int_equal(rf_key_generate(&c), 0);
	assert_int_equal(rf_trust_new(&t), 0);
	assert_int_equal(rf_trust_add(t, "alice", a), 0);
	assert_int_equal(rf_trust_add(t, "bob", b), 0);
	assert_int_equal(rf_dsse_new(&env, RF_DSSE_INTOTO, "{\"y\":2}", 7), 0);
	assert_int_equal(rf_dsse_sign(env, a), 0);
	assert_int_equal(rf_dsse_sign(env, b), 0);
	assert_int_equal(rf_dsse_sign(env, c), 0);
	assert_int_equal(rf_dsse_serialize(&json, env), 0);

	/* untouched: carol is a stranger, ignored but counted */
	assert_int_equal(rf_dsse_parse(&back, json.data, json.len, "env"), 0);
	assert_int_equal(rf_dsse_verify(&chk, back, t, 2), 0);
	assert_int_equal(chk.verified, 2);
	assert_int_equal(chk.unmatched, 1);
	assert_int_equal(chk.first_unmatched, 3);
	assert_int_equal(chk.forged, 0);
	rf_dsse_check_free(&chk);
	rf_dsse_free(back);

	/* one byte of alice's signature flipped: bob alone would meet a
	 * threshold of 1, but the envelope was altered */
	assert_int_equal(rf_buf_append(&text, json.data, json.len), 0);
	p = strstr(text.data, rf_key_id(a));
	assert_non_null(p);
	p = strstr(p, "\"sig\":\"");
	assert_non_null(p);
	p += 7 + 10;
	*p = *p == 'A' ? 'B' : 'A';
	assert_int_equal(rf_dsse_parse(&back, text.data, text.len, "env"), 0);
	assert_int_equal(rf_dsse_verify(&chk, back, t, 1), RF_ECHECK);
	/* the check stops at the forged signature (issue 11: bounded cost),
	 * so bob's is not even examined */
	assert_int_equal(chk.verified, 0);
	assert_int_equal(chk.forged, 1);
	assert_int_equal(chk.first_forged, 1);
	assert_non_null(strstr(rf_error_last(), "signature 1 (keyid "));
	assert_non_null(strstr(rf_error_last(), "'alice'"));
	rf_dsse_check_free(&chk);
	rf_dsse_free(back);

	/* carol's valid signature relabelled with bob's keyid: forged in
	 * bob's name */
	rf_buf_clear(&text);
	assert_int_equal(rf_buf_append(&text, json.data, json.len), 0);
	p = strstr(text.data, rf_key_id(c));
	assert_non_null(p);
	memcpy(p, rf_key_id(b), RF_KEYID_HEX_LEN);
	assert_int_equal(rf_dsse_parse(&back, text.data, text.len, "env"), 0);
	assert_int_equal(rf_dsse_verify(&chk, back, t, 1), RF_ECHECK);
	assert_int_equal(chk.forged, 1);
	assert_int_equal(chk.first_forged, 3);
	assert_non_null(strstr(rf_error_last(), "signature 3"));
	assert_non_null(strstr(rf_error_last(), "'bob'"));
	rf_dsse_check_free(&chk);
	rf_dsse_free(back);

	rf_buf_free(&text);
	rf_buf_free(&json);
	rf_dsse_free(env);
	rf_trust_free(t);
	rf_key_free(a);
	rf_key_free(b);
	rf_key_free(c);
	check_cost_bounds();
}

static void test_secret_equal(void **state)
{
	(void)state;
	assert_int_equal(rf_secret_equal("s3cret", 6, "s3cret", 6), 1);
	assert_int_equal(rf_secret_equal("s3cret", 6, "s3creT", 6), 0);
	assert_int_equal(rf_secret_equal("s3cret", 6, "s3cre", 5), 0);
	assert_int_equal(rf_secret_equal("", 0, "x", 1), 0);
	assert_int_equal(rf_secret_equal(NULL, 0, NULL, 0), 1);
	assert_int_equal(rf_secret_equal(NULL, 0, "", 0), 1);
}

static void write_text(const char *name, const char *text)
{
	char p[512];
	FILE *f;
	path_in(p, sizeof p, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_trust_load(void **state)
{
	rf_key *k1, *k2;
	rf_trust *t = NULL;
	rf_buf pem = RF_BUF_INIT, list = RF_BUF_INIT;
	char dir[512], kp[512], pp[512];
	(void)state;
	path_in(dir, sizeof dir, "trust");
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(rf_key_generate(&k1), 0);
	assert_int_equal(rf_key_generate(&k2), 0);
	path_in(kp, sizeof kp, "trust/alice.key.secret");
	path_in(pp, sizeof pp, "trust/alice.pub");
	assert_int_equal(rf_key_save(k1, kp, pp, NULL, 0), 0);
	path_in(kp, sizeof kp, "bob.key");
	path_in(pp, sizeof pp, "trust/bob.pub");
	assert_int_equal(rf_key_save(k2, kp, pp, NULL, 0), 0);

	/* a directory */
	assert_int_equal(rf_trust_load(&t, dir), 0);
	assert_int_equal(rf_trust_count(t), 2);
	assert_string_equal(rf_trust_name(t, 0), "alice");
	assert_string_equal(rf_trust_name(t, 1), "bob");
	rf_trust_free(t);
	/* one .pub file */
	assert_int_equal(rf_trust_load(&t, pp), 0);
	assert_int_equal(rf_trust_count(t), 1);
	assert_string_equal(rf_trust_name(t, 0), "bob");
	assert_string_equal(rf_key_id(rf_trust_key(t, 0)), rf_key_id(k2));
	rf_trust_free(t);

	/* allowed signers: inline base64 SPKI and a path */
	assert_int_equal(rf_key_public_pem(&pem, k1), 0);
	char *body = strchr(pem.data, '\n') + 1;
	char *end = strstr(body, "\n-----END");
	*end = '\0';
	rf_buf_printf(&list, "# reviewers\n\nalice@lab %s\njournal trust/bob.pub # path\n",
		      body);
	write_text("allowed", list.data);
	path_in(kp, sizeof kp, "allowed");
	assert_int_equal(rf_trust_load(&t, kp), 0);
	assert_int_equal(rf_trust_count(t), 2);
	assert_string_equal(rf_trust_name(t, 0), "alice@lab");
	assert_string_equal(rf_key_id(rf_trust_key(t, 0)), rf_key_id(k1));
	assert_string_equal(rf_trust_name(t, 1), "journal");
	assert_string_equal(rf_key_id(rf_trust_key(t, 1)), rf_key_id(k2));
	rf_trust_free(t);

	write_text("bad1", "alice\n");
	path_in(kp, sizeof kp, "bad1");
	assert_int_equal(rf_trust_load(&t, kp), RF_EFORMAT);
	assert_non_null(strstr(rf_error_last(), "bad1:1"));
	write_text("bad2", "alice nosuch.pub\n");
	path_in(kp, sizeof kp, "bad2");
	assert_int_equal(rf_trust_load(&t, kp), RF_ENOTFOUND);
	write_text("bad3", "# nothing\n");
	path_in(kp, sizeof kp, "bad3");
	assert_int_equal(rf_trust_load(&t, kp), RF_EFORMAT);
	assert_null(t);
	path_in(kp, sizeof kp, "missing");
	assert_int_equal(rf_trust_load(&t, kp), RF_ENOTFOUND);

	rf_buf_free(&pem);
	rf_buf_free(&list);
	rf_key_free(k1);
	rf_key_free(k2);
}

static void test_statement(void **state)
{
	char h1[65], h2[65];
	rf_buf out = RF_BUF_INIT;
	rf_statement *st = NULL;
	(void)state;
	memset(h1, 'a', 64);
	h1[64] = 0;
	memset(h2, '0', 64);
	h2[64] = 0;
	rf_subject subs[] = {{"data/b.txt", ""}, {"data/a.txt", ""},
			     {"referee/provenance.json", ""}};
	memcpy(subs[0].sha256, h1, 65);
	memcpy(subs[1].sha256, h2, 65);
	memcpy(subs[2].sha256, h1, 65);
	assert_int_equal(rf_statement_build(&out, subs, 3, RF_PREDICATE_BUNDLE_V1,
					    "{\"k\":[1,2]}"), 0);
	assert_non_null(strstr(out.data, "\"_type\":\"https://in-toto.io/Statement/v1\""));
	assert_int_equal(rf_statement_parse(&st, out.data, out.len, "s"), 0);
	assert_int_equal(rf_statement_subject_count(st), 3);
	assert_string_equal(rf_statement_subject(st, 0)->name, "data/a.txt");
	assert_string_equal(rf_statement_find(st, "data/b.txt")->sha256, h1);
	assert_null(rf_statement_find(st, "data/c.txt"));
	assert_string_equal(rf_statement_predicate_type(st), RF_PREDICATE_BUNDLE_V1);
	assert_string_equal(rf_statement_predicate(st), "{\"k\":[1,2]}");
	rf_statement_free(st);

	/* refused when building */
	rf_subject dup[] = {{"data/a", ""}, {"data/a", ""}};
	memcpy(dup[0].sha256, h1, 65);
	memcpy(dup[1].sha256, h1, 65);
	rf_buf_clear(&out);
	assert_int_equal(rf_statement_build(&out, dup, 2, "t", "{}"), RF_EINVAL);
	rf_subject esc[] = {{"../etc/passwd", ""}};
	memcpy(esc[0].sha256, h1, 65);
	assert_int_equal(rf_statement_build(&out, esc, 1, "t", "{}"), RF_EUNSAFE);

	/* refused when parsing: every one is a failed check */
	const char *bad[] = {
		"{\"_type\":\"https://in-toto.io/Statement/v0.1\",\"subject\":[],\"predicateType\":\"t\"}",
		"{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[],\"predicateType\":\"t\"}",
		"{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"../x\",\"digest\":{\"sha256\":\"" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" "\"}}],\"predicateType\":\"t\"}",
		"{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"x\",\"digest\":{\"sha256\":\"AB\"}}],\"predicateType\":\"t\"}",
		"{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"x\",\"digest\":{\"sha256\":\"" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" "\"}},{\"name\":\"x\",\"digest\":{\"sha256\":\"" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" "\"}}],\"predicateType\":\"t\"}",
		"not json",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		st = NULL;
		assert_int_equal(rf_statement_parse(&st, bad[i], strlen(bad[i]), "s"),
				 RF_ECHECK);
		assert_null(st);
	}
	rf_buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_pae),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_dsse),
		cmocka_unit_test(test_dsse_tampered),
		cmocka_unit_test(test_secret_equal),
		cmocka_unit_test(test_trust_load),
		cmocka_unit_test(test_statement),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
