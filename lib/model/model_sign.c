/* OpenSSF Model Signing v1.0: the in-toto statement of a hashed model, the
 * Sigstore bundle v0.3 around its DSSE envelope (key method), and
 * verification of such bundles (key and certificate methods) against a
 * model on disk.  Strict in what it signs, liberal in what it verifies. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "model_internal.h"
#include "referee/digest.h"
#include "referee/error.h"

#define BUNDLE_V03 "application/vnd.dev.sigstore.bundle.v0.3+json"
#define BUNDLE_V03_ALT "application/vnd.dev.sigstore.bundle+json;version=0.3"

/* ---- signing -------------------------------------------------------- */

static int ignore_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The statement, as bytes to sign: keys sorted, resources in the order of
 * the model (already sorted as the specification says). */
int model_statement_json(rf_buf *out, const rf_model *m)
{
	json_t *st = json_object(), *subj = json_array(), *one = json_object(),
	       *dig = json_object(), *pred = json_object(), *ser = json_object(),
	       *res = json_array(), *ign = json_array();
	char **sorted = NULL;
	rf_buf alg = RF_BUF_INIT;
	char *text = NULL;
	int rc = 0;
	if (!st || !subj || !one || !dig || !pred || !ser || !res || !ign)
		goto nomem;
	if (m->method == RF_MODEL_SHARDS &&
	    rf_buf_printf(&alg, "sha256-sharded-%" PRIu64, m->shard_size))
		goto nomem;
	for (size_t i = 0; i < m->n; i++) {
		json_t *r = json_pack("{s:s, s:s, s:s}", "name", m->res[i].name,
				      "algorithm",
				      m->method == RF_MODEL_SHARDS ? alg.data : "sha256",
				      "digest", m->res[i].hex);
		if (!r || json_array_append_new(res, r))
			goto nomem;
	}
	if (m->nignore) {
		if (!(sorted = malloc(m->nignore * sizeof *sorted)))
			goto nomem;
		memcpy(sorted, m->ignore, m->nignore * sizeof *sorted);
		qsort(sorted, m->nignore, sizeof *sorted, ignore_cmp);
		for (size_t i = 0; i < m->nignore; i++)
			if (json_array_append_new(ign, json_string(sorted[i])))
				goto nomem;
	}
	if (json_object_set_new(ser, "method",
				json_string(m->method == RF_MODEL_SHARDS ? "shards"
									 : "files")) ||
	    json_object_set_new(ser, "hash_type", json_string("sha256")) ||
	    json_object_set_new(ser, "allow_symlinks",
				json_boolean(m->allow_symlinks)) ||
	    (m->nignore && json_object_set(ser, "ignore_paths", ign)) ||
	    (m->method == RF_MODEL_SHARDS &&
	     json_object_set_new(ser, "shard_size",
				 json_integer((json_int_t)m->shard_size))) ||
	    json_object_set(pred, "serialization", ser) ||
	    json_object_set(pred, "resources", res) ||
	    json_object_set_new(dig, "sha256", json_string(m->digest)) ||
	    json_object_set_new(one, "name", json_string(m->name)) ||
	    json_object_set(one, "digest", dig) || json_array_append(subj, one) ||
	    json_object_set_new(st, "_type",
				json_string("https://in-toto.io/Statement/v1")) ||
	    json_object_set(st, "subject", subj) ||
	    json_object_set_new(st, "predicateType",
				json_string(RF_MODEL_PREDICATE_V1)) ||
	    json_object_set(st, "predicate", pred))
		goto nomem;
	if (!(text = json_dumps(st, JSON_INDENT(2) | JSON_SORT_KEYS)))
		goto nomem;
	rc = rf_buf_puts(out, text);
	goto out;
nomem:
	rc = rf_error_set(RF_ENOMEM, "out of memory");
out:
	free(text);
	free(sorted);
	rf_buf_free(&alg);
	json_decref(st);
	json_decref(subj);
	json_decref(one);
	json_decref(dig);
	json_decref(pred);
	json_decref(ser);
	json_decref(res);
	json_decref(ign);
	return rc;
}

/* publicKey.hint as the reference implementation computes it: hex SHA-256
 * of the key's SPKI PEM (OpenSSL and Python `cryptography` write the same
 * PEM text). */
static int key_hint(char hex[65], const rf_key *key)
{
	rf_buf pem = RF_BUF_INIT;
	int rc = rf_key_public_pem(&pem, key);
	if (!rc)
		rc = rf_digest_buffer_hex(hex, RF_DIGEST_SHA256, pem.data, pem.len);
	rf_buf_free(&pem);
	return rc;
}

int rf_model_sign(rf_buf *out, const rf_model *m, const rf_key *key)
{
	rf_buf payload = RF_BUF_INIT, pae = RF_BUF_INIT, sig = RF_BUF_INIT,
	       b64p = RF_BUF_INIT, b64s = RF_BUF_INIT;
	char hint[RF_DIGEST_HEX_MAX], *text = NULL;
	json_t *b = NULL;
	int rc;
	if (!rf_key_has_private(key))
		return rf_error_set(RF_EINVAL, "signing needs a private key");
	if ((rc = model_statement_json(&payload, m)) != 0 ||
	    (rc = rf_dsse_pae(&pae, RF_DSSE_INTOTO, payload.data, payload.len)) != 0 ||
	    (rc = rf_key_sign(&sig, key, pae.data, pae.len)) != 0)
		goto out;
	/* A signature is verified before it leaves. */
	if (rf_key_verify(key, pae.data, pae.len, sig.data, sig.len) != 0) {
		rc = rf_error_set(RF_EINTERNAL, "a fresh signature did not verify");
		goto out;
	}
	if ((rc = key_hint(hint, key)) != 0 ||
	    (rc = rf_base64_encode(&b64p, payload.data, payload.len)) != 0 ||
	    (rc = rf_base64_encode(&b64s, sig.data, sig.len)) != 0)
		goto out;
	b = json_pack("{s:s, s:{s:{s:s}, s:[]}, s:{s:s, s:s, s:[{s:s, s:s}]}}",
		      "mediaType", BUNDLE_V03, "verificationMaterial", "publicKey",
		      "hint", hint, "tlogEntries", "dsseEnvelope", "payload",
		      b64p.data, "payloadType", RF_DSSE_INTOTO, "signatures", "sig",
		      b64s.data, "keyid", "");
	if (!b || !(text = json_dumps(b, JSON_INDENT(2) | JSON_PRESERVE_ORDER))) {
		rc = rf_error_set(RF_ENOMEM, "out of memory");
		goto out;
	}
	if (!(rc = rf_buf_puts(out, text)))
		rc = rf_buf_puts(out, "\n");
out:
	free(text);
	json_decref(b);
	rf_buf_free(&payload);
	rf_buf_free(&pae);
	rf_buf_wipe(&sig);
	rf_buf_free(&b64p);
	rf_buf_free(&b64s);
	return rc;
}

/* ---- verification --------------------------------------------------- */

static int str_eq(json_t *v, const char *s)
{
	return json_is_string(v) && !strcmp(json_string_value(v), s);
}

/* A JSON number that is a non-negative integer (16 or 16.0). */
static int json_uint(json_t *v, uint64_t *out)
{
	if (json_is_integer(v) && json_integer_value(v) > 0) {
		*out = (uint64_t)json_integer_value(v);
		return 0;
	}
	if (json_is_real(v)) {
		double d = json_real_value(v);
		if (d >= 1 && d < 9007199254740992.0 && floor(d) == d) {
			*out = (uint64_t)d;
			return 0;
		}
	}
	return -1;
}

/* Verify `sig` over `msg` with `pkey`, the digest chosen by the curve. */
static int pkey_verify(EVP_PKEY *pkey, const void *msg, size_t len,
		       const void *sig, size_t siglen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	const EVP_MD *md = NULL;
	int ok, bits = EVP_PKEY_get_bits(pkey);
	if (!ctx)
		return RF_ENOMEM;
	if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_EC)
		md = bits <= 256 ? EVP_sha256() : bits <= 384 ? EVP_sha384()
							      : EVP_sha512();
	ok = EVP_DigestVerifyInit(ctx, NULL, md, NULL, pkey) == 1 &&
	     EVP_DigestVerify(ctx, sig, siglen, msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return ok ? 0 : RF_ECHECK;
}

/* The certificate method: the first certificate of the bundle signs; the
 * rest are intermediates; the chain must end in a root of `ca_file`, at
 * the signing certificate's notBefore (as the reference implementation
 * checks it, since the key may sign long after), and the certificate must
 * allow digital signatures or code signing. */
static int cert_pkey(EVP_PKEY **out, json_t *certs, const char *ca_file,
		     const char *what)
{
	X509_STORE *store = NULL;
	X509_STORE_CTX *sctx = NULL;
	STACK_OF(X509) *chain = NULL;
	X509 *leaf = NULL;
	rf_buf der = RF_BUF_INIT;
	int rc = 0;
	*out = NULL;
	if (!json_is_array(certs) || json_array_size(certs) == 0 ||
	    json_array_size(certs) > 16)
		return rf_error_set(RF_ECHECK, "%s: no certificate chain", what);
	if (!(chain = sk_X509_new_null()) || !(store = X509_STORE_new())) {
		rc = rf_error_set(RF_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < json_array_size(certs); i++) {
		json_t *raw = json_object_get(json_array_get(certs, i), "rawBytes");
		const unsigned char *p;
		X509 *x;
		rf_buf_clear(&der);
		if (!json_is_string(raw) ||
		    rf_base64_decode(&der, json_string_value(raw),
				     json_string_length(raw), "certificate") != 0) {
			rc = rf_error_set(RF_ECHECK, "%s: certificate %zu is not base64",
					  what, i + 1);
			goto out;
		}
		p = (const unsigned char *)der.data;
		x = d2i_X509(NULL, &p, (long)der.len);
		if (!x || p != (const unsigned char *)der.data + der.len) {
			X509_free(x);
			rc = rf_error_openssl(RF_ECHECK,
					      "%s: certificate %zu is not DER X.509",
					      what, i + 1);
			goto out;
		}
		if (i == 0)
			leaf = x;
		else
			sk_X509_push(chain, x);
	}
	if (X509_STORE_load_file(store, ca_file) != 1) {
		rc = rf_error_openssl(RF_EIO, "cannot read certificates from '%s'",
				      ca_file);
		goto out;
	}
	if (!(sctx = X509_STORE_CTX_new()) ||
	    X509_STORE_CTX_init(sctx, store, leaf, chain) != 1) {
		rc = rf_error_openssl(RF_ELIB, "cannot set up certificate checks");
		goto out;
	}
	{
		struct tm tm;
		if (ASN1_TIME_to_tm(X509_get0_notBefore(leaf), &tm) == 1)
			X509_STORE_CTX_set_time(sctx, 0, timegm(&tm));
	}
	if (X509_verify_cert(sctx) != 1) {
		rc = rf_error_set(RF_ECHECK,
				  "%s: the signing certificate does not chain to "
				  "'%s': %s",
				  what, ca_file,
				  X509_verify_cert_error_string(
					  X509_STORE_CTX_get_error(sctx)));
		goto out;
	}
	{
		uint32_t ku = X509_get_key_usage(leaf);
		uint32_t xku = X509_get_extended_key_usage(leaf);
		int has_ku = X509_get_extension_flags(leaf) & EXFLAG_KUSAGE;
		int has_xku = X509_get_extension_flags(leaf) & EXFLAG_XKUSAGE;
		if (!((has_ku && (ku & KU_DIGITAL_SIGNATURE)) ||
		      (has_xku && (xku & XKU_CODE_SIGN)))) {
			rc = rf_error_set(RF_ECHECK,
					  "%s: the signing certificate may not sign",
					  what);
			goto out;
		}
	}
	if (!(*out = X509_get_pubkey(leaf)))
		rc = rf_error_openssl(RF_ECHECK, "%s: no public key in the certificate",
				      what);
out:
	ERR_clear_error();
	X509_STORE_CTX_free(sctx);
	X509_STORE_free(store);
	X509_free(leaf);
	sk_X509_pop_free(chain, X509_free);
	rf_buf_free(&der);
	return rc;
}

/* Check the bundle and its signature; on success `payload` holds the
 * verified statement bytes. */
static int verify_bundle(rf_buf *payload, json_t *root, const char *what,
			 const rf_model_verify_opts *o)
{
	json_t *vm, *env, *pk, *sigs, *chain;
	rf_buf pae = RF_BUF_INIT, sig = RF_BUF_INIT;
	EVP_PKEY *cert_key = NULL;
	int rc = 0, ok = 0;
	const char *mt = json_string_value(json_object_get(root, "mediaType"));
	if (!mt || (strcmp(mt, BUNDLE_V03) && strcmp(mt, BUNDLE_V03_ALT)))
		return rf_error_set(RF_ECHECK,
				    "%s: not a Sigstore bundle v0.3 (mediaType '%s')",
				    what, mt ? mt : "");
	vm = json_object_get(root, "verificationMaterial");
	env = json_object_get(root, "dsseEnvelope");
	if (!json_is_object(vm) || !json_is_object(env))
		return rf_error_set(RF_ECHECK,
				    "%s: no verificationMaterial or dsseEnvelope", what);
	if (!str_eq(json_object_get(env, "payloadType"), RF_DSSE_INTOTO))
		return rf_error_set(RF_ECHECK, "%s: payloadType is not '%s'", what,
				    RF_DSSE_INTOTO);
	{
		json_t *p = json_object_get(env, "payload");
		if (!json_is_string(p) ||
		    rf_base64_decode(payload, json_string_value(p),
				     json_string_length(p), "payload") != 0)
			return rf_error_set(RF_ECHECK, "%s: the payload is not base64",
					    what);
	}
	sigs = json_object_get(env, "signatures");
	if (!json_is_array(sigs) || json_array_size(sigs) == 0 ||
	    json_array_size(sigs) > 64)
		return rf_error_set(RF_ECHECK, "%s: no signature in the envelope",
				    what);
	pk = json_object_get(vm, "publicKey");
	chain = json_object_get(json_object_get(vm, "x509CertificateChain"),
				"certificates");
	if (!chain && json_is_object(json_object_get(vm, "certificate"))) {
		/* A single certificate, as Sigstore bundle v0.3 writes it. */
		chain = json_array();
		json_array_append(chain, json_object_get(vm, "certificate"));
		json_object_set_new(vm, "x509CertificateChain",
				    json_pack("{s:o}", "certificates", chain));
	}
	if (chain) {
		if (!o->ca_file)
			return rf_error_set(RF_EINVAL,
					    "%s is signed with a certificate: give the "
					    "trusted root certificates (--trust-chain)",
					    what);
		if ((rc = cert_pkey(&cert_key, chain, o->ca_file, what)) != 0)
			return rc;
	} else {
		if (!o->key)
			return rf_error_set(RF_EINVAL,
					    "%s is signed with a key: give the public "
					    "key (--trust)", what);
		if (json_is_object(pk)) {
			json_t *h = json_object_get(pk, "hint");
			char hint[RF_DIGEST_HEX_MAX];
			if (json_is_string(h) && json_string_length(h) > 0) {
				if ((rc = key_hint(hint, o->key)) != 0)
					return rc;
				if (strcmp(hint, json_string_value(h)))
					return rf_error_set(
						RF_ECHECK,
						"%s: signed by another key (publicKey.hint "
						"%.16s..., the given key's is %.16s...)",
						what, json_string_value(h), hint);
			}
		}
	}
	if ((rc = rf_dsse_pae(&pae, RF_DSSE_INTOTO, payload->data, payload->len)))
		goto out;
	/* Any signature by the trusted key will do; keyid is never looked at. */
	for (size_t i = 0; i < json_array_size(sigs) && !ok; i++) {
		json_t *s = json_object_get(json_array_get(sigs, i), "sig");
		rf_buf_clear(&sig);
		if (!json_is_string(s) ||
		    rf_base64_decode(&sig, json_string_value(s), json_string_length(s),
				     "sig") != 0)
			continue;
		if (cert_key)
			ok = pkey_verify(cert_key, pae.data, pae.len, sig.data,
					 sig.len) == 0;
		else
			ok = rf_key_verify(o->key, pae.data, pae.len, sig.data,
					   sig.len) == 0;
	}
	rf_error_clear();
	if (!ok)
		rc = rf_error_set(RF_ECHECK, "%s: the signature does not verify with %s",
				  what, cert_key ? "the certificate's key"
						 : "the given key");
out:
	EVP_PKEY_free(cert_key);
	rf_buf_free(&pae);
	rf_buf_free(&sig);
	return rc;
}

/* Parse the verified statement into `m` (name, serialization, resources,
 * digest).  Anything malformed is a failed check. */
int model_parse_statement(rf_model *m, rf_model_result *res,
			  const rf_buf *payload, const char *what)
{
	json_error_t jerr;
	json_t *st = json_loadb(payload->data, payload->len, JSON_REJECT_DUPLICATES,
				&jerr),
	       *subj, *pred, *ser, *rs, *dig, *ign, *v;
	rf_digest *d = NULL;
	rf_buf alg = RF_BUF_INIT;
	unsigned char md[32];
	char hex[65];
	int rc = 0, shards;
	const char *method, *name;
	if (!json_is_object(st)) {
		rc = rf_error_set(RF_ECHECK, "%s: the signed payload is not JSON", what);
		goto out;
	}
	if (!str_eq(json_object_get(st, "_type"), "https://in-toto.io/Statement/v1")) {
		rc = rf_error_set(RF_ECHECK, "%s: not an in-toto Statement v1", what);
		goto out;
	}
	v = json_object_get(st, "predicateType");
	if (!str_eq(v, RF_MODEL_PREDICATE_V1)) {
		rc = rf_error_set(RF_ECHECK,
				  "%s: predicateType '%s' is not '%s' (OpenSSF Model "
				  "Signing v1.0)", what,
				  json_is_string(v) ? json_string_value(v) : "",
				  RF_MODEL_PREDICATE_V1);
		goto out;
	}
	subj = json_object_get(st, "subject");
	if (!json_is_array(subj) || json_array_size(subj) != 1) {
		rc = rf_error_set(RF_ECHECK, "%s: the statement must have one subject",
				  what);
		goto out;
	}
	name = json_string_value(json_object_get(json_array_get(subj, 0), "name"));
	dig = json_object_get(json_object_get(json_array_get(subj, 0), "digest"),
			      "sha256");
	if (!name || !json_is_string(dig) ||
	    rf_digest_from_hex(md, 32, json_string_value(dig)) != 0) {
		rc = rf_error_set(RF_ECHECK, "%s: the subject has no name or sha256",
				  what);
		goto out;
	}
	if (!(m->name = strdup(name)) || !(res->name = strdup(name))) {
		rc = rf_error_set(RF_ENOMEM, "out of memory");
		goto out;
	}
	rf_digest_to_hex(res->digest, md, 32);
	pred = json_object_get(st, "predicate");
	ser = json_object_get(pred, "serialization");
	rs = json_object_get(pred, "resources");
	method = json_string_value(json_object_get(ser, "method"));
	if (!json_is_object(ser) || !json_is_array(rs) || !method ||
	    (strcmp(method, "files") && strcmp(method, "shards"))) {
		rc = rf_error_set(RF_ECHECK,
				  "%s: the predicate has no files or shards "
				  "serialization, or no resources", what);
		goto out;
	}
	shards = !strcmp(method, "shards");
	snprintf(res->method, sizeof res->method, "%s", method);
	m->method = shards ? RF_MODEL_SHARDS : RF_MODEL_FILES;
	if (!str_eq(json_object_get(ser, "hash_type"), "sha256")) {
		rc = rf_error_set(RF_EUNSUPPORTED,
				  "%s: hash_type is not sha256 (referee computes "
				  "sha256 only)", what);
		goto out;
	}
	v = json_object_get(ser, "allow_symlinks");
	m->allow_symlinks = json_is_true(v) ||
			    (json_is_string(v) && !strcmp(json_string_value(v), "true"));
	if (shards && json_uint(json_object_get(ser, "shard_size"), &m->shard_size)) {
		rc = rf_error_set(RF_ECHECK, "%s: shard_size is not a positive integer",
				  what);
		goto out;
	}
	ign = json_object_get(ser, "ignore_paths");
	if (ign && !json_is_array(ign)) {
		rc = rf_error_set(RF_ECHECK, "%s: ignore_paths is not a list", what);
		goto out;
	}
	for (size_t i = 0; ign && i < json_array_size(ign) && !rc; i++) {
		const char *p = json_string_value(json_array_get(ign, i));
		if (!p)
			rc = rf_error_set(RF_ECHECK, "%s: ignore_paths holds a non-string",
					  what);
		else
			rc = model_ignore_add(m, p);
	}
	if (rc)
		goto out;
	if (shards && rf_buf_printf(&alg, "sha256-sharded-%" PRIu64, m->shard_size)) {
		rc = rf_error_set(RF_ENOMEM, "out of memory");
		goto out;
	}
	if (json_array_size(rs) > RF_MODEL_MAX_RESOURCES) {
		rc = rf_error_set(RF_ELIMIT, "%s: too many resources", what);
		goto out;
	}
	if ((rc = rf_digest_new(&d, RF_DIGEST_SHA256)) != 0)
		goto out;
	for (size_t i = 0; i < json_array_size(rs); i++) {
		json_t *r = json_array_get(rs, i);
		const char *rn = json_string_value(json_object_get(r, "name"));
		const char *ra = json_string_value(json_object_get(r, "algorithm"));
		const char *rd = json_string_value(json_object_get(r, "digest"));
		model_res *x;
		if (!rn || !ra || !rd || rf_digest_from_hex(md, 32, rd) != 0 ||
		    strlen(rn) > 4096) {
			rc = rf_error_set(RF_ECHECK,
					  "%s: resource %zu lacks a name, algorithm or "
					  "sha256 digest", what, i + 1);
			goto out;
		}
		if (strcmp(ra, "sha256") && !(shards && !strcmp(ra, alg.data))) {
			rc = rf_error_set(RF_ECHECK,
					  "%s: resource '%s' has algorithm '%s'", what, rn,
					  ra);
			goto out;
		}
		if ((rc = model_resource_add(m, rn, md)) != 0)
			goto out;
		x = &m->res[m->n - 1];
		if (model_name_split(rn, shards, &x->path, &x->start, &x->end) != 0) {
			rc = rf_error_set(RF_ECHECK,
					  "%s: resource name '%s' is not path:start:end",
					  what, rn);
			goto out;
		}
		rf_digest_update(d, md, 32);
	}
	res->resources = m->n;
	rf_digest_final(d, md);
	rf_digest_to_hex(hex, md, 32);
	if (strcmp(hex, res->digest)) {
		rc = rf_error_set(RF_ECHECK,
				  "%s: the subject digest %s is not the digest of "
				  "the resources (%s)", what, res->digest, hex);
		goto out;
	}
	model_resources_sort(m);
	for (size_t i = 1; i < m->n; i++)
		if (!strcmp(m->res[i - 1].name, m->res[i].name)) {
			rc = rf_error_set(RF_ECHECK, "%s: resource '%s' is listed twice",
					  what, m->res[i].name);
			goto out;
		}
out:
	rf_digest_free(d);
	rf_buf_free(&alg);
	json_decref(st);
	return rc;
}

/* Append `s` to a list of names, unless it repeats the last one (the
 * shards of one file are named once, by the file's path). */
static int list_add(char ***list, size_t *n, const char *s)
{
	char **p;
	if (*n >= 100000 || (*n && !strcmp((*list)[*n - 1], s)))
		return 0; /* enough to name the problem */
	p = realloc(*list, (*n + 1) * sizeof *p);
	if (!p)
		return RF_ENOMEM;
	*list = p;
	if (!(p[*n] = strdup(s)))
		return RF_ENOMEM;
	(*n)++;
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(((const model_res *)a)->name, ((const model_res *)b)->name);
}

/* Compare the signed and the local resources by name (both sorted by name
 * here); differences are named by file path. */
static int compare(rf_model_result *res, rf_model *want, rf_model *have)
{
	size_t i = 0, j = 0;
	int rc = 0;
	qsort(want->res, want->n, sizeof *want->res, name_cmp);
	qsort(have->res, have->n, sizeof *have->res, name_cmp);
	while (!rc && (i < want->n || j < have->n)) {
		int c = i == want->n ? 1
			: j == have->n ? -1
				       : strcmp(want->res[i].name, have->res[j].name);
		if (c < 0)
			rc = list_add(&res->missing, &res->nmissing, want->res[i++].path);
		else if (c > 0)
			rc = list_add(&res->extra, &res->nextra, have->res[j++].path);
		else {
			if (memcmp(want->res[i].md, have->res[j].md, 32))
				rc = list_add(&res->changed, &res->nchanged,
					      want->res[i].path);
			i++, j++;
		}
	}
	if (rc)
		return rf_error_set(RF_ENOMEM, "out of memory");
	/* A file whose shards moved (it grew or shrank) is both missing and
	 * unsigned by shard name: call it changed. */
	for (size_t a = 0, b = 0; a < res->nmissing && b < res->nextra;) {
		int c = strcmp(res->missing[a], res->extra[b]);
		if (c < 0) {
			a++;
		} else if (c > 0) {
			b++;
		} else {
			if (list_add(&res->changed, &res->nchanged, res->missing[a]))
				return rf_error_set(RF_ENOMEM, "out of memory");
			free(res->missing[a]);
			free(res->extra[b]);
			memmove(&res->missing[a], &res->missing[a + 1],
				(--res->nmissing - a) * sizeof *res->missing);
			memmove(&res->extra[b], &res->extra[b + 1],
				(--res->nextra - b) * sizeof *res->extra);
		}
	}
	if (res->nmissing || res->nextra || res->nchanged)
		return rf_error_set(RF_ECHECK,
				    "the model does not match its signature: %zu "
				    "changed, %zu missing, %zu not signed (files)",
				    res->nchanged, res->nmissing, res->nextra);
	return 0;
}

int model_verify_payload(rf_model_result *res, const char *path,
			 const rf_buf *payload, const char *what,
			 const rf_model_verify_opts *o)
{
	rf_model *want = NULL, *have = NULL;
	rf_model_opts ho;
	const char **ignore = NULL, **only = NULL;
	size_t nign = 0;
	int rc;

	if (!(want = calloc(1, sizeof *want)))
		return rf_error_set(RF_ENOMEM, "out of memory");
	if ((rc = model_parse_statement(want, res, payload, what)) != 0)
		goto out;

	/* Hash the model as it was signed: the signed serialization and
	 * ignore paths, plus the verifier's own. */
	memset(&ho, 0, sizeof ho);
	ho.method = want->method;
	ho.shard_size = want->shard_size;
	ho.allow_symlinks = want->allow_symlinks;
	ho.keep_git_paths = o->keep_git_paths;
	ho.threads = o->threads;
	if (!(ignore = calloc(want->nignore + o->nignore + 1, sizeof *ignore))) {
		rc = rf_error_set(RF_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < want->nignore; i++) {
		/* "./x" and "x/" name the same path */
		const char *p = want->ignore[i];
		while (p[0] == '.' && p[1] == '/')
			p += 2;
		if (*p && strcmp(p, ".") && strcmp(p, ".."))
			ignore[nign++] = p;
	}
	for (size_t i = 0; i < o->nignore; i++)
		ignore[nign++] = o->ignore[i];
	ho.ignore = ignore;
	ho.nignore = nign;
	if (o->ignore_unsigned_files) {
		size_t k = 0;
		if (!(only = calloc(want->n + 1, sizeof *only))) {
			rc = rf_error_set(RF_ENOMEM, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < want->n; i++)
			if (!k || strcmp(only[k - 1], want->res[i].path))
				only[k++] = want->res[i].path;
		ho.only = only;
		ho.nonly = k;
	}
	if ((rc = rf_model_hash(&have, path, &ho)) != 0)
		goto out;
	rc = compare(res, want, have);
out:
	free(ignore);
	free(only);
	rf_model_free(want);
	rf_model_free(have);
	return rc;
}

int rf_model_verify(rf_model_result *res, const char *path, const char *sig,
		    size_t len, const char *what, const rf_model_verify_opts *o)
{
	json_error_t jerr;
	json_t *root;
	rf_buf payload = RF_BUF_INIT;
	int rc;

	memset(res, 0, sizeof *res);
	if (len > RF_MODEL_SIG_MAX)
		return rf_error_set(RF_ELIMIT, "'%s' is larger than %zu bytes", what,
				    RF_MODEL_SIG_MAX);
	root = json_loadb(sig, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(root)) {
		json_decref(root);
		return rf_error_set(RF_EFORMAT, "%s:%d:%d: not a JSON bundle: %s", what,
				    jerr.line, jerr.column, jerr.text);
	}
	if ((rc = verify_bundle(&payload, root, what, o)) == 0)
		rc = model_verify_payload(res, path, &payload, what, o);
	rf_buf_free(&payload);
	json_decref(root);
	return rc;
}

int rf_model_statement(rf_buf *out, const rf_model *m)
{
	return model_statement_json(out, m);
}

static void list_free(char **l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(l[i]);
	free(l);
}

void rf_model_result_free(rf_model_result *res)
{
	if (!res)
		return;
	free(res->name);
	list_free(res->extra, res->nextra);
	list_free(res->missing, res->nmissing);
	list_free(res->changed, res->nchanged);
	memset(res, 0, sizeof *res);
}
