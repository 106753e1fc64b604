/* RFC 3161 timestamps over signatures: the request (OpenSSL TS API, sent
 * with libcurl), offline verification against a root, and their place in a
 * bag (referee/attestation.timestamps.json and the Sigstore bundle). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <openssl/x509.h>

#include "referee/error.h"
#include "referee/file.h"
#include "referee/path.h"
#include "referee/tsa.h"

/* ---- request -------------------------------------------------------- */

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	rf_buf *b = ctx;
	size_t len = size * n;
	if (b->len + len > RF_TSA_MAX_RESPONSE || rf_buf_append(b, p, len))
		return 0; /* curl fails the transfer */
	return len;
}

static TS_REQ *make_request(const void *data, size_t len)
{
	unsigned char md[32], nonce_bytes[8];
	TS_REQ *req = TS_REQ_new();
	TS_MSG_IMPRINT *mi = TS_MSG_IMPRINT_new();
	X509_ALGOR *alg = X509_ALGOR_new();
	ASN1_INTEGER *nonce = NULL;
	BIGNUM *bn = NULL;
	int ok = req && mi && alg &&
		 EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL) == 1 &&
		 X509_ALGOR_set0(alg, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, NULL) &&
		 TS_MSG_IMPRINT_set_algo(mi, alg) &&
		 TS_MSG_IMPRINT_set_msg(mi, md, 32) && TS_REQ_set_version(req, 1) &&
		 TS_REQ_set_msg_imprint(req, mi) &&
		 RAND_bytes(nonce_bytes, sizeof nonce_bytes) == 1 &&
		 (bn = BN_bin2bn(nonce_bytes, sizeof nonce_bytes, NULL)) &&
		 (nonce = BN_to_ASN1_INTEGER(bn, NULL)) && TS_REQ_set_nonce(req, nonce) &&
		 TS_REQ_set_cert_req(req, 1);
	BN_free(bn);
	ASN1_INTEGER_free(nonce);
	X509_ALGOR_free(alg);
	TS_MSG_IMPRINT_free(mi);
	if (!ok) {
		TS_REQ_free(req);
		return NULL;
	}
	return req;
}

int rf_tsa_request(rf_buf *out, const char *url, const void *data, size_t len,
		   long timeout_s)
{
	TS_REQ *req = make_request(data, len);
	TS_RESP *resp = NULL;
	TS_VERIFY_CTX *vctx = NULL;
	unsigned char *der = NULL;
	rf_buf body = RF_BUF_INIT;
	struct curl_slist *hdr = NULL;
	char cerr[CURL_ERROR_SIZE] = "";
	long status = 0;
	int n, rc = 0;
	CURL *c = NULL;
	const unsigned char *p;

	if (!req)
		return rf_error_openssl(RF_ELIB, "cannot build a timestamp request");
	if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) {
		TS_REQ_free(req);
		return rf_error_set(RF_EINVAL, "TSA URL '%s' is not http:// or https://",
				    url);
	}
	if ((n = i2d_TS_REQ(req, &der)) <= 0) {
		rc = rf_error_openssl(RF_ELIB, "cannot encode a timestamp request");
		goto out;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (!(c = curl_easy_init()) ||
	    !(hdr = curl_slist_append(NULL, "Content-Type: application/timestamp-query"))) {
		rc = rf_error_set(RF_ENOMEM, "cannot set up an HTTP request");
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, der);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)n);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s > 0 ? timeout_s : 30L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (curl_easy_perform(c) != CURLE_OK) {
		rc = rf_error_set(RF_EIO, "TSA '%s' unreachable: %s", url,
				  cerr[0] ? cerr : "transfer failed");
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		rc = rf_error_set(RF_EIO, "TSA '%s' answered HTTP %ld", url, status);
		goto out;
	}
	p = (const unsigned char *)body.data;
	resp = body.len ? d2i_TS_RESP(NULL, &p, (long)body.len) : NULL;
	if (!resp || p != (const unsigned char *)body.data + body.len) {
		rc = rf_error_set(RF_ECHECK, "TSA '%s' sent something that is not an "
				  "RFC 3161 response (%zu bytes)", url, body.len);
		goto out;
	}
	/* Granted, and an answer to this very request (imprint and nonce);
	 * the signer is checked against a root by whoever verifies. */
	if (!(vctx = TS_REQ_to_TS_VERIFY_CTX(req, NULL))) {
		rc = rf_error_openssl(RF_ELIB, "cannot check the TSA response");
		goto out;
	}
	TS_VERIFY_CTX_set_flags(vctx, TS_VFY_VERSION | TS_VFY_IMPRINT | TS_VFY_NONCE);
	if (ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(resp))) > 1 ||
	    !TS_RESP_get_token(resp)) {
		rc = rf_error_set(RF_ECHECK, "TSA '%s' refused the request", url);
		goto out;
	}
	if (TS_RESP_verify_response(vctx, resp) != 1) {
		rc = rf_error_openssl(RF_ECHECK,
				      "TSA '%s': the response does not answer the "
				      "request", url);
		goto out;
	}
	rc = rf_buf_append(out, body.data, body.len);
out:
	ERR_clear_error();
	TS_VERIFY_CTX_free(vctx);
	TS_RESP_free(resp);
	TS_REQ_free(req);
	OPENSSL_free(der);
	curl_slist_free_all(hdr);
	if (c)
		curl_easy_cleanup(c);
	rf_buf_free(&body);
	return rc;
}

/* ---- verification --------------------------------------------------- */

int rf_tsa_verify(time_t *when, const void *tsr, size_t tsrlen, const void *data,
		  size_t len, const char *ca_file)
{
	const unsigned char *p = tsr;
	TS_RESP *resp = d2i_TS_RESP(NULL, &p, (long)tsrlen);
	TS_VERIFY_CTX *ctx = NULL;
	X509_STORE *store = NULL;
	BIO *bio = NULL;
	int rc = 0;
	*when = 0;
	if (!resp || p != (const unsigned char *)tsr + tsrlen) {
		rc = rf_error_set(RF_ECHECK, "not an RFC 3161 timestamp response");
		goto out;
	}
	if (!(store = X509_STORE_new()) || X509_STORE_load_file(store, ca_file) != 1) {
		rc = rf_error_openssl(RF_EIO, "cannot read certificates from '%s'",
				      ca_file);
		goto out;
	}
	if (!(ctx = TS_VERIFY_CTX_new()) ||
	    !(bio = BIO_new_mem_buf(data, (int)len))) {
		rc = rf_error_set(RF_ENOMEM, "out of memory");
		goto out;
	}
	/* The context owns what it is given from here on. */
	TS_VERIFY_CTX_set_flags(ctx, TS_VFY_VERSION | TS_VFY_SIGNER |
					     TS_VFY_SIGNATURE | TS_VFY_DATA);
	TS_VERIFY_CTX_set_store(ctx, store);
	store = NULL;
	TS_VERIFY_CTX_set_data(ctx, bio);
	bio = NULL;
	if (TS_RESP_verify_response(ctx, resp) != 1) {
		unsigned long e = ERR_peek_last_error();
		char why[256];
		ERR_error_string_n(e, why, sizeof why);
		rc = rf_error_set(RF_ECHECK, "timestamp does not verify against '%s': %s",
				  ca_file, e ? why : "unknown reason");
		goto out;
	}
	{
		const ASN1_GENERALIZEDTIME *t =
			TS_TST_INFO_get_time(TS_RESP_get_tst_info(resp));
		struct tm tm;
		if (t && ASN1_TIME_to_tm(t, &tm) == 1)
			*when = timegm(&tm);
	}
out:
	ERR_clear_error();
	BIO_free(bio);
	X509_STORE_free(store);
	TS_VERIFY_CTX_free(ctx);
	TS_RESP_free(resp);
	return rc;
}

/* ---- in a bag -------------------------------------------------------- */

static int read_tag(rf_buf *out, const char *bag_dir, const char *rel)
{
	rf_buf p = RF_BUF_INIT;
	int rc = rf_path_join(&p, bag_dir, rel);
	if (!rc) {
		if (!rf_path_exists(p.data))
			rc = RF_ENOTFOUND;
		else if (!(rc = rf_path_check_inside(bag_dir, p.data)))
			rc = rf_file_read(out, p.data, RF_DSSE_MAX_BYTES + 4096);
	}
	rf_buf_free(&p);
	return rc;
}

/* Signature `i` of the bag's envelope, decoded; RF_ENOTFOUND past the end.
 * `*count` receives the number of signatures. */
static int envelope_sig(rf_buf *sig, size_t *count, const char *bag_dir, size_t i)
{
	rf_buf text = RF_BUF_INIT;
	json_error_t jerr;
	json_t *root = NULL, *sigs, *s;
	int rc = read_tag(&text, bag_dir, RF_ATTEST_DSSE);
	*count = 0;
	if (rc)
		goto out;
	root = json_loadb(text.data, text.len, JSON_REJECT_DUPLICATES, &jerr);
	sigs = json_object_get(root, "signatures");
	if (!json_is_array(sigs)) {
		rc = rf_error_set(RF_ECHECK, "%s has no signatures", RF_ATTEST_DSSE);
		goto out;
	}
	*count = json_array_size(sigs);
	if (i == (size_t)-1)
		i = *count ? *count - 1 : 0;
	s = json_object_get(json_array_get(sigs, i), "sig");
	if (!json_is_string(s)) {
		rc = RF_ENOTFOUND;
		goto out;
	}
	rc = rf_base64_decode(sig, json_string_value(s), json_string_length(s), "sig");
out:
	json_decref(root);
	rf_buf_free(&text);
	return rc;
}

/* Write the timestamps file and put every timestamp into the Sigstore
 * bundle (rewritten from its current text). */
static int write_stamps(const char *bag_dir, json_t *stamps)
{
	rf_buf text = RF_BUF_INIT;
	json_error_t jerr;
	json_t *bundle = NULL, *list = json_array();
	char *s = NULL, *b = NULL;
	int rc;
	if (!list)
		return rf_error_set(RF_ENOMEM, "out of memory");
	for (size_t i = 0; i < json_array_size(stamps); i++)
		json_array_append_new(list, json_pack("{s:O}", "signedTimestamp",
						      json_object_get(json_array_get(stamps, i),
								      "rfc3161")));
	if ((rc = read_tag(&text, bag_dir, RF_ATTEST_SIGSTORE)) != 0)
		goto out;
	bundle = json_loadb(text.data, text.len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(json_object_get(bundle, "verificationMaterial"))) {
		rc = rf_error_set(RF_EFORMAT, "%s: no verificationMaterial",
				  RF_ATTEST_SIGSTORE);
		goto out;
	}
	json_object_set_new(json_object_get(bundle, "verificationMaterial"),
			    "timestampVerificationData",
			    json_pack("{s:O}", "rfc3161Timestamps", list));
	if (!(s = json_dumps(stamps, JSON_INDENT(2))) ||
	    !(b = json_dumps(bundle, JSON_COMPACT | JSON_PRESERVE_ORDER))) {
		rc = rf_error_set(RF_ENOMEM, "out of memory");
		goto out;
	}
	if (!(rc = rf_bag_write_tag_file(bag_dir, RF_TSA_FILE, s, strlen(s))))
		rc = rf_bag_write_tag_file(bag_dir, RF_ATTEST_SIGSTORE, b, strlen(b));
out:
	free(s);
	free(b);
	json_decref(bundle);
	json_decref(list);
	rf_buf_free(&text);
	return rc;
}

static json_t *load_stamps(const char *bag_dir, int *rc)
{
	rf_buf text = RF_BUF_INIT;
	json_error_t jerr;
	json_t *a;
	*rc = read_tag(&text, bag_dir, RF_TSA_FILE);
	if (*rc == RF_ENOTFOUND) {
		*rc = 0;
		return json_array();
	}
	if (*rc)
		return NULL;
	a = json_loadb(text.data, text.len, JSON_REJECT_DUPLICATES, &jerr);
	rf_buf_free(&text);
	if (!json_is_array(a)) {
		json_decref(a);
		*rc = rf_error_set(RF_ECHECK, "%s:%d:%d: not a JSON list", RF_TSA_FILE,
				   jerr.line, jerr.column);
		return NULL;
	}
	return a;
}

int rf_tsa_stamp_bag(const char *bag_dir, const char *url, long timeout_s)
{
	rf_buf sig = RF_BUF_INIT, tsr = RF_BUF_INIT, b64 = RF_BUF_INIT;
	json_t *stamps = NULL;
	size_t count = 0;
	int rc = envelope_sig(&sig, &count, bag_dir, (size_t)-1);
	if (rc)
		goto out;
	if ((rc = rf_tsa_request(&tsr, url, sig.data, sig.len, timeout_s)) != 0 ||
	    (rc = rf_base64_encode(&b64, tsr.data, tsr.len)) != 0)
		goto out;
	if (!(stamps = load_stamps(bag_dir, &rc)))
		goto out;
	json_array_append_new(stamps, json_pack("{s:I, s:s}", "signature",
						(json_int_t)(count - 1), "rfc3161",
						b64.data));
	rc = write_stamps(bag_dir, stamps);
out:
	json_decref(stamps);
	rf_buf_free(&sig);
	rf_buf_free(&tsr);
	rf_buf_free(&b64);
	return rc;
}

int rf_tsa_check_bag(rf_bag_report *report, const char *bag_dir,
		     const char *ca_file, int require, size_t *checked,
		     time_t *latest)
{
	json_t *stamps;
	int rc = 0;
	*checked = 0;
	*latest = 0;
	stamps = load_stamps(bag_dir, &rc);
	if (!stamps)
		return rf_bag_report_add(report, RF_BAG_SIGNATURE, RF_TSA_FILE, "%s",
					 rf_error_last());
	if (json_array_size(stamps) == 0) {
		if (require)
			rc = rf_bag_report_add(report, RF_BAG_SIGNATURE, RF_TSA_FILE,
					       "no trusted timestamp (--require-timestamp)");
		goto out;
	}
	if (!ca_file) {
		if (require)
			rc = rf_bag_report_add(report, RF_BAG_SIGNATURE, RF_TSA_FILE,
					       "timestamps not checked: give the TSA's "
					       "root with --tsa-cert");
		goto out;
	}
	for (size_t i = 0; i < json_array_size(stamps) && !rc; i++) {
		json_t *e = json_array_get(stamps, i);
		json_t *n = json_object_get(e, "signature"), *t = json_object_get(e, "rfc3161");
		rf_buf sig = RF_BUF_INIT, der = RF_BUF_INIT;
		size_t count;
		time_t when;
		if (!json_is_integer(n) || json_integer_value(n) < 0 || !json_is_string(t) ||
		    rf_base64_decode(&der, json_string_value(t), json_string_length(t),
				     "rfc3161") != 0 ||
		    envelope_sig(&sig, &count, bag_dir, (size_t)json_integer_value(n)) != 0) {
			rc = rf_bag_report_add(report, RF_BAG_SIGNATURE, RF_TSA_FILE,
					       "timestamp %zu names no signature of the "
					       "envelope", i + 1);
		} else if (rf_tsa_verify(&when, der.data, der.len, sig.data, sig.len,
					 ca_file) != 0) {
			rc = rf_bag_report_add(report, RF_BAG_SIGNATURE, RF_TSA_FILE,
					       "timestamp %zu (signature %lld): %s", i + 1,
					       (long long)json_integer_value(n),
					       rf_error_last());
		} else {
			(*checked)++;
			if (when > *latest)
				*latest = when;
		}
		rf_buf_free(&sig);
		rf_buf_free(&der);
	}
out:
	json_decref(stamps);
	return rc;
}

/* ---- restore point ---------------------------------------------------- */

static const char *const snap_files[] = {RF_ATTEST_DSSE, RF_ATTEST_SIGSTORE,
					 RF_TSA_FILE, "tagmanifest-sha256.txt"};
#define NSNAP (sizeof snap_files / sizeof *snap_files)

struct rf_tsa_snapshot {
	char *dir;
	int had[NSNAP];
	rf_buf text[NSNAP];
};

int rf_tsa_snapshot_take(rf_tsa_snapshot **out, const char *bag_dir)
{
	rf_tsa_snapshot *s = calloc(1, sizeof *s);
	int rc = 0;
	*out = NULL;
	if (!s || !(s->dir = strdup(bag_dir))) {
		free(s);
		return rf_error_set(RF_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < NSNAP && !rc; i++) {
		rc = read_tag(&s->text[i], bag_dir, snap_files[i]);
		s->had[i] = rc == 0;
		if (rc == RF_ENOTFOUND)
			rc = 0;
	}
	if (rc) {
		rf_tsa_snapshot_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

int rf_tsa_snapshot_restore(const rf_tsa_snapshot *s)
{
	int rc = 0;
	for (size_t i = 0; i < NSNAP; i++) {
		rf_buf p = RF_BUF_INIT;
		int r = rf_path_join(&p, s->dir, snap_files[i]);
		if (!r && s->had[i])
			r = rf_file_write_atomic(p.data, s->text[i].data ? s->text[i].data : "",
						 s->text[i].len, 0644, 1);
		else if (!r && rf_path_exists(p.data) && unlink(p.data))
			r = rf_error_set(RF_EIO, "cannot remove '%s'", p.data);
		if (r && !rc)
			rc = r;
		rf_buf_free(&p);
	}
	return rc;
}

void rf_tsa_snapshot_free(rf_tsa_snapshot *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < NSNAP; i++)
		rf_buf_free(&s->text[i]);
	free(s->dir);
	free(s);
}
