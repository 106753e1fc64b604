/* DSSE envelopes (github.com/secure-systems-lab/dsse): PAE, strict parsing,
 * signing (a fresh signature is verified before it is kept), verification
 * against a trust list, and the Sigstore bundle v0.3 wrapper. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "referee/error.h"
#include "referee/sign.h"
#include "sign_internal.h"

struct dsse_sig {
	char *keyid;
	unsigned char sig[RF_SIG_LEN];
};

/* The payload is kept inside its PAE ("DSSEv1 <len> <type> <len> <body>"),
 * built once when the envelope is made or parsed: every signature check
 * and signing uses those bytes as they are, with no copy per check. */
struct rf_dsse {
	char *type;
	rf_buf pae;      /* PAE(type, body) */
	size_t body_off; /* where the body starts in `pae` */
	size_t n;
	struct dsse_sig sigs[RF_DSSE_MAX_SIGNATURES];
};

int rf_dsse_pae(rf_buf *out, const char *type, const void *body, size_t len)
{
	int rc = rf_buf_printf(out, "DSSEv1 %zu %s %zu ", strlen(type), type, len);
	if (!rc)
		rc = rf_buf_append(out, body, len);
	return rc;
}

/* A new envelope whose PAE header announces a body of `len` bytes; the
 * body is appended by the caller. */
static int dsse_alloc(rf_dsse **out, const char *payload_type, size_t len)
{
	rf_dsse *e = calloc(1, sizeof *e);
	*out = NULL;
	if (!e || !(e->type = strdup(payload_type)) ||
	    rf_buf_printf(&e->pae, "DSSEv1 %zu %s %zu ", strlen(payload_type),
			  payload_type, len) ||
	    rf_buf_grow(&e->pae, len)) {
		rf_dsse_free(e);
		return rf_error_set(RF_ENOMEM, "out of memory");
	}
	e->body_off = e->pae.len;
	*out = e;
	return 0;
}

int rf_dsse_new(rf_dsse **out, const char *payload_type, const void *payload,
		size_t len)
{
	int rc = dsse_alloc(out, payload_type, len);
	if (!rc && (rc = rf_buf_append(&(*out)->pae, payload, len)) != 0) {
		rf_dsse_free(*out);
		*out = NULL;
	}
	return rc;
}

void rf_dsse_free(rf_dsse *env)
{
	if (!env)
		return;
	free(env->type);
	rf_buf_free(&env->pae);
	for (size_t i = 0; i < env->n; i++)
		free(env->sigs[i].keyid);
	free(env);
}

const char *rf_dsse_payload_type(const rf_dsse *env)
{
	return env->type;
}

const char *rf_dsse_payload(const rf_dsse *env, size_t *len)
{
	if (len)
		*len = env->pae.len - env->body_off;
	return env->pae.data + env->body_off;
}

size_t rf_dsse_signature_count(const rf_dsse *env)
{
	return env ? env->n : 0;
}

const char *rf_dsse_signature_keyid(const rf_dsse *env, size_t i)
{
	return i < env->n && env->sigs[i].keyid ? env->sigs[i].keyid : "";
}

int rf_dsse_remove_signature(rf_dsse *env, size_t i)
{
	if (i >= env->n)
		return rf_error_set(RF_EINVAL, "no signature %zu", i);
	free(env->sigs[i].keyid);
	memmove(&env->sigs[i], &env->sigs[i + 1],
		(env->n - i - 1) * sizeof env->sigs[0]);
	env->n--;
	return 0;
}

static int shape(const char *what, const char *fmt, const char *detail)
{
	return rf_error_set(RF_EFORMAT, "%s: malformed DSSE envelope: %s%s", what,
			    fmt, detail ? detail : "");
}

/* Decoded size of padded base64 text of `n` characters (0 when malformed;
 * the strict decoder says why). */
static size_t b64_decoded_len(const char *s, size_t n)
{
	size_t len;
	if (n % 4)
		return 0;
	len = n / 4 * 3;
	if (n && s[n - 1] == '=')
		len--;
	if (n > 1 && s[n - 2] == '=')
		len--;
	return len;
}

/* 1 when the base64 text `s` (`n` characters) is the canonical encoding of
 * `len` bytes at `p`: compared block by block, so that a 256 MiB Sigstore
 * bundle is checked against the envelope without a second decoded copy. */
static int b64_matches(const char *s, size_t n, const char *p, size_t len)
{
	enum { BLOCK = 3 * 4096 };
	rf_buf enc = RF_BUF_INIT;
	size_t off = 0, done = 0;
	int same = n == (len + 2) / 3 * 4;
	while (same && done < len) {
		size_t k = len - done < BLOCK ? len - done : BLOCK;
		rf_buf_clear(&enc);
		if (rf_base64_encode(&enc, p + done, k)) {
			same = 0;
			break;
		}
		same = memcmp(enc.data, s + off, enc.len) == 0;
		off += enc.len;
		done += k;
	}
	rf_buf_free(&enc);
	return same;
}

/* The shape checks of rf_dsse_parse() on a parsed JSON object.  With
 * `same` non-NULL nothing is built: 0 when `root` is an envelope equal to
 * `same` (type, payload, signatures in order), RF_ECHECK when it differs. */
int dsse_from_json(rf_dsse **out, const void *root_, const char *what,
		   const rf_dsse *same)
{
	const json_t *root = root_;
	json_t *type, *payload, *sigs, *v;
	const char *key;
	rf_dsse *e = NULL;
	rf_buf sig = RF_BUF_INIT;
	size_t plen;
	int rc = 0;
	if (out)
		*out = NULL;
	if (!json_is_object(root))
		return shape(what, "not a JSON object", NULL);
	json_object_foreach((json_t *)root, key, v) {
		if (strcmp(key, "payloadType") && strcmp(key, "payload") &&
		    strcmp(key, "signatures"))
			return shape(what, "unexpected key ", key);
	}
	type = json_object_get(root, "payloadType");
	payload = json_object_get(root, "payload");
	sigs = json_object_get(root, "signatures");
	if (!json_is_string(type) || json_string_length(type) == 0 ||
	    json_string_length(type) > 256 ||
	    strlen(json_string_value(type)) != json_string_length(type))
		return shape(what, "payloadType must be a short string", NULL);
	if (!json_is_string(payload))
		return shape(what, "payload must be a base64 string", NULL);
	if (!json_is_array(sigs) || json_array_size(sigs) == 0 ||
	    json_array_size(sigs) > RF_DSSE_MAX_SIGNATURES)
		return rf_error_set(RF_EFORMAT,
				    "%s: malformed DSSE envelope: signatures must be an "
				    "array of 1 to %d entries", what, RF_DSSE_MAX_SIGNATURES);
	if (same) {
		size_t blen;
		const char *body = rf_dsse_payload(same, &blen);
		if (strcmp(json_string_value(type), same->type) ||
		    json_array_size(sigs) != same->n ||
		    !b64_matches(json_string_value(payload), json_string_length(payload),
				 body, blen))
			return RF_ECHECK;
	} else {
		plen = b64_decoded_len(json_string_value(payload), json_string_length(payload));
		if ((rc = dsse_alloc(&e, json_string_value(type), plen)) != 0)
			return rc;
		if ((rc = rf_base64_decode(&e->pae, json_string_value(payload),
					   json_string_length(payload), "payload")) != 0 ||
		    e->pae.len - e->body_off != plen) {
			rc = rf_error_wrap(RF_EFORMAT, "%s: malformed DSSE envelope", what);
			goto out;
		}
	}
	for (size_t i = 0; i < json_array_size(sigs); i++) {
		json_t *s = json_array_get(sigs, i), *sv, *kv;
		if (!json_is_object(s)) {
			rc = shape(what, "a signature is not an object", NULL);
			goto out;
		}
		json_object_foreach(s, key, v) {
			if (strcmp(key, "sig") && strcmp(key, "keyid")) {
				rc = shape(what, "unexpected signature key ", key);
				goto out;
			}
		}
		sv = json_object_get(s, "sig");
		kv = json_object_get(s, "keyid");
		if (kv && (!json_is_string(kv) || json_string_length(kv) > 256 ||
			   strlen(json_string_value(kv)) != json_string_length(kv))) {
			rc = shape(what, "keyid must be a short string", NULL);
			goto out;
		}
		rf_buf_clear(&sig);
		if (!json_is_string(sv) || json_string_length(sv) > 128 ||
		    rf_base64_decode(&sig, json_string_value(sv),
				     json_string_length(sv), "sig") ||
		    sig.len != RF_SIG_LEN) {
			char n[32];
			snprintf(n, sizeof n, "%zu", i + 1);
			rc = shape(what, "not a 64-byte Ed25519 base64 sig in signature ",
				   n);
			goto out;
		}
		if (same) {
			const char *hint = same->sigs[i].keyid ? same->sigs[i].keyid : "";
			if (memcmp(same->sigs[i].sig, sig.data, RF_SIG_LEN) ||
			    strcmp(kv ? json_string_value(kv) : "", hint)) {
				rc = RF_ECHECK;
				goto out;
			}
			continue;
		}
		memcpy(e->sigs[e->n].sig, sig.data, RF_SIG_LEN);
		if (kv && !(e->sigs[e->n].keyid = strdup(json_string_value(kv)))) {
			rc = rf_error_set(RF_ENOMEM, "out of memory");
			goto out;
		}
		e->n++;
	}
out:
	rf_buf_free(&sig);
	if (rc) {
		rf_dsse_free(e);
		return rc;
	}
	if (out)
		*out = e;
	return 0;
}

int rf_dsse_parse(rf_dsse **out, const char *json, size_t len, const char *what)
{
	json_error_t jerr;
	json_t *root;
	int rc;
	*out = NULL;
	what = what ? what : "envelope";
	if (len > RF_DSSE_MAX_BYTES)
		return rf_error_set(RF_ELIMIT, "%s: envelope larger than %zu bytes",
				    what, RF_DSSE_MAX_BYTES);
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return rf_error_set(RF_EFORMAT, "%s:%d:%d: %s", what, jerr.line,
				    jerr.column, jerr.text);
	rc = dsse_from_json(out, root, what, NULL);
	json_decref(root);
	return rc;
}

int rf_dsse_sign(rf_dsse *env, const rf_key *key)
{
	rf_buf sig = RF_BUF_INIT;
	int rc;
	if (env->n >= RF_DSSE_MAX_SIGNATURES)
		return rf_error_set(RF_ELIMIT, "an envelope holds at most %d signatures",
				    RF_DSSE_MAX_SIGNATURES);
	for (size_t i = 0; i < env->n; i++)
		if (rf_key_verify(key, env->pae.data, env->pae.len, env->sigs[i].sig,
				  RF_SIG_LEN) == 0) {
			rc = rf_error_set(RF_EEXIST,
					  "the envelope is already signed by key %s",
					  rf_key_id(key));
			goto out;
		}
	if ((rc = rf_key_sign(&sig, key, env->pae.data, env->pae.len)) != 0)
		goto out;
	/* A signature that does not verify is never written. */
	if (rf_key_verify(key, env->pae.data, env->pae.len, sig.data, sig.len) != 0) {
		rc = rf_error_set(RF_EINTERNAL, "a fresh signature did not verify");
		goto out;
	}
	if (!(env->sigs[env->n].keyid = strdup(rf_key_id(key)))) {
		rc = rf_error_set(RF_ENOMEM, "out of memory");
		goto out;
	}
	memcpy(env->sigs[env->n].sig, sig.data, RF_SIG_LEN);
	env->n++;
out:
	rf_buf_free(&sig);
	return rc;
}

static json_t *envelope_json(const rf_dsse *env)
{
	rf_buf b = RF_BUF_INIT;
	json_t *root = json_object(), *sigs = json_array();
	if (!root || !sigs)
		goto fail;
	json_object_set_new(root, "payloadType", json_string(env->type));
	{
		size_t blen;
		const char *body = rf_dsse_payload(env, &blen);
		if (rf_base64_encode(&b, body, blen))
			goto fail;
	}
	json_object_set_new(root, "payload", json_stringn(b.data, b.len));
	for (size_t i = 0; i < env->n; i++) {
		json_t *s = json_object();
		rf_buf_clear(&b);
		if (!s || rf_base64_encode(&b, env->sigs[i].sig, RF_SIG_LEN)) {
			json_decref(s);
			goto fail;
		}
		json_object_set_new(s, "keyid",
				    json_string(env->sigs[i].keyid ? env->sigs[i].keyid : ""));
		json_object_set_new(s, "sig", json_string(b.data));
		json_array_append_new(sigs, s);
	}
	json_object_set_new(root, "signatures", sigs);
	rf_buf_free(&b);
	return root;
fail:
	json_decref(root);
	json_decref(sigs);
	rf_buf_free(&b);
	return NULL;
}

static int dump(rf_buf *out, json_t *j)
{
	char *s;
	int rc;
	if (!j)
		return rf_error_set(RF_ENOMEM, "out of memory");
	s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (!s)
		return rf_error_set(RF_ENOMEM, "out of memory");
	rc = rf_buf_puts(out, s);
	if (!rc)
		rc = rf_buf_puts(out, "\n");
	free(s);
	return rc;
}

int rf_dsse_serialize(rf_buf *out, const rf_dsse *env)
{
	if (env->n == 0)
		return rf_error_set(RF_EINVAL, "an envelope needs a signature");
	return dump(out, envelope_json(env));
}

int rf_dsse_sigstore_bundle(rf_buf *out, const rf_dsse *env)
{
	json_t *root, *vm, *pk, *envj;
	if (env->n == 0)
		return rf_error_set(RF_EINVAL, "an envelope needs a signature");
	envj = envelope_json(env);
	root = json_object();
	vm = json_object();
	pk = json_object();
	if (!envj || !root || !vm || !pk) {
		json_decref(envj);
		json_decref(root);
		json_decref(vm);
		json_decref(pk);
		return rf_error_set(RF_ENOMEM, "out of memory");
	}
	json_object_set_new(pk, "hint", json_string(env->sigs[0].keyid ?
						     env->sigs[0].keyid : ""));
	json_object_set_new(vm, "publicKey", pk);
	json_object_set_new(vm, "tlogEntries", json_array());
	json_object_set_new(root, "mediaType",
			    json_string("application/vnd.dev.sigstore.bundle.v0.3+json"));
	json_object_set_new(root, "verificationMaterial", vm);
	json_object_set_new(root, "dsseEnvelope", envj);
	return dump(out, root);
}

void rf_dsse_check_free(rf_dsse_check *check)
{
	if (!check)
		return;
	for (size_t i = 0; i < check->verified; i++)
		free(check->signers[i]);
	free(check->signers);
	memset(check, 0, sizeof *check);
}

/* The trusted key whose id is `hint`, or nkeys. */
static size_t key_named(const rf_trust *trust, size_t nkeys, const char *hint)
{
	if (!rf_sign_is_sha256_hex(hint))
		return nkeys;
	for (size_t k = 0; k < nkeys; k++)
		if (!strcmp(rf_key_id(rf_trust_key(trust, k)), hint))
			return k;
	return nkeys;
}

int rf_dsse_verify(rf_dsse_check *check, const rf_dsse *env,
		   const rf_trust *trust, size_t min_signatures)
{
	size_t nkeys = rf_trust_count(trust), fallback = 0;
	unsigned char *used = NULL;
	size_t forged_key = 0;
	int rc = 0;
	memset(check, 0, sizeof *check);
	check->signatures = env->n;
	used = calloc(nkeys ? nkeys : 1, 1);
	check->signers = calloc(env->n ? env->n : 1, sizeof *check->signers);
	if (!used || !check->signers) {
		rc = rf_error_set(RF_ENOMEM, "out of memory");
		goto out;
	}
	/* Every Ed25519 check hashes the whole PAE (RFC 8032 hashes R || A ||
	 * message), so the number of checks is what is bounded: a signature
	 * whose keyid names a trusted key is checked against that key only,
	 * and a failure there ends the verification (forged in its name); a
	 * signature equal to an earlier one is not checked again; the others
	 * (no keyid, or a stranger's) are tried against the trusted keys that
	 * have not signed yet, at most RF_DSSE_MAX_FALLBACK checks per
	 * envelope.  The keyid still never makes a signature count. */
	for (size_t i = 0; i < env->n && !check->forged; i++) {
		const char *hint = env->sigs[i].keyid ? env->sigs[i].keyid : "";
		size_t named = key_named(trust, nkeys, hint), k = nkeys;
		int dup = 0;
		for (size_t j = 0; j < i && !dup; j++)
			dup = !memcmp(env->sigs[j].sig, env->sigs[i].sig, RF_SIG_LEN);
		if (dup) {
			check->unmatched++; /* counted once, as the first copy */
			if (!check->first_unmatched)
				check->first_unmatched = i + 1;
			continue;
		}
		if (named < nkeys) {
			if (rf_key_verify(rf_trust_key(trust, named), env->pae.data,
					  env->pae.len, env->sigs[i].sig, RF_SIG_LEN) == 0)
				k = named;
		} else {
			for (size_t t = 0; t < nkeys && k == nkeys; t++) {
				if (used[t])
					continue;
				if (fallback++ >= RF_DSSE_MAX_FALLBACK)
					break;
				if (rf_key_verify(rf_trust_key(trust, t), env->pae.data,
						  env->pae.len, env->sigs[i].sig,
						  RF_SIG_LEN) == 0)
					k = t;
			}
		}
		if (k < nkeys) {
			if (!used[k]) {
				used[k] = 1;
				if (!(check->signers[check->verified] =
					      strdup(rf_trust_name(trust, k)))) {
					rc = rf_error_set(RF_ENOMEM, "out of memory");
					goto out;
				}
				check->verified++;
			}
			continue;
		}
		if (!check->unmatched)
			check->first_unmatched = i + 1;
		check->unmatched++;
		/* The keyid never makes a signature count, but one that names a
		 * trusted key and fails is no stranger's signature: that key's
		 * signature was altered, or forged in its name. */
		if (named < nkeys) {
			check->forged++;
			check->first_forged = i + 1;
			forged_key = named;
		}
	}
	if (check->forged) {
		rc = rf_error_set(RF_ECHECK,
				  "signature %zu (keyid %.16s) names trusted key '%s' but "
				  "is not valid for any trusted key: the envelope was "
				  "altered", check->first_forged,
				  rf_dsse_signature_keyid(env, check->first_forged - 1),
				  rf_trust_name(trust, forged_key));
	} else if (check->verified < min_signatures) {
		size_t first_bad = check->first_unmatched;
		char note[128] = "";
		if (fallback > RF_DSSE_MAX_FALLBACK)
			snprintf(note, sizeof note,
				 " (signatures whose keyid names no trusted key get at "
				 "most %d checks)", RF_DSSE_MAX_FALLBACK);
		if (check->unmatched)
			rc = rf_error_set(RF_ECHECK,
					  "%zu of %zu required signatures verified; "
					  "signature %zu (keyid %.16s) is not valid for any "
					  "trusted key%s",
					  check->verified, min_signatures, first_bad,
					  rf_dsse_signature_keyid(env, first_bad - 1)[0] ?
					  rf_dsse_signature_keyid(env, first_bad - 1) : "none",
					  note);
		else
			rc = rf_error_set(RF_ECHECK,
					  "%zu of %zu required signatures verified "
					  "(the envelope holds %zu)",
					  check->verified, min_signatures, env->n);
	}
out:
	free(used);
	return rc;
}
