/* pack --sign and verify --trust: the signature side of those verbs, kept
 * here so that pack.c and verify.c only parse, call and print. */
#include <stdlib.h>
#include <string.h>

#include "bagcli.h"
#include "keyio.h"
#include "signing.h"

/* pack --model DIR: hash the model folder before anything is packed, with
 * the reference implementation's defaults (files, git paths and model.sig
 * left out). */
static int prepare_model(struct signing_pack *s, const char *verb)
{
	static const char *const sig[] = {RF_MODEL_SIG_DEFAULT};
	rf_model_opts mo = {0};
	int rc;
	mo.ignore = sig;
	mo.nignore = 1;
	mo.threads = s->threads;
	if ((rc = rf_model_hash(&s->model, s->model_dir, &mo)) != 0)
		return cli_error(verb, rc);
	return 0;
}

int signing_pack_prepare(struct signing_pack *s, const char *verb)
{
	int rc;
	if (s->model_dir && (rc = prepare_model(s, verb)) != 0)
		return rc;
	if (!s->key_path) {
		if (s->pass_file)
			return cli_fail(verb, CLI_USAGE, "--passphrase-file needs --sign");
		return 0;
	}
	if ((rc = keyio_load_signing_key(&s->key, s->key_path, s->pass_file)) != 0)
		return cli_error(verb, rc);
	return 0;
}

int signing_pack_hook(void *ctx, const char *tmp_bag_dir)
{
	struct signing_pack *s = ctx;
	int rc;
	size_t punched = 0;
	if (s->model && (rc = rf_model_bag_record(tmp_bag_dir, s->model)) != 0)
		return rc;
	if (s->key && (rc = rf_attest_bag(tmp_bag_dir, s->key)) != 0)
		return rc;
	/* A timestamp over the signature just made; a TSA failure aborts the
	 * pack, so nothing is written. */
	if (s->key && s->tsa_url &&
	    (rc = rf_tsa_stamp_bag(tmp_bag_dir, s->tsa_url, 30)) != 0)
		return rc;
	/* Signed first: the statement names every file, holes included. */
	if (s->nby_ref &&
	    (rc = rf_fetch_punch(tmp_bag_dir, s->by_ref, s->nby_ref, &punched)) != 0)
		return rc;
	return 0;
}

void signing_pack_free(struct signing_pack *s)
{
	rf_key_free(s->key);
	s->key = NULL;
	rf_model_free(s->model);
	s->model = NULL;
	free(s->by_ref);
	s->by_ref = NULL;
}

int signing_verify_min(struct signing_verify *s, const char *value)
{
	s->min_signatures = cli_parse_long(value, 1, RF_DSSE_MAX_SIGNATURES);
	return s->min_signatures < 0 ? -1 : 0;
}

static int json_str(rf_buf *b, const char *s)
{
	int rc = rf_buf_puts(b, "\"");
	for (; !rc && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			rc = rf_buf_printf(b, "\\%c", c);
		else if (c < 0x20)
			rc = rf_buf_printf(b, "\\u%04x", c);
		else
			rc = rf_buf_append(b, s, 1);
	}
	return rc ? rc : rf_buf_puts(b, "\"");
}

static void put_json(rf_buf *json, const rf_attest_result *r, int status,
		     const char *reason)
{
	rf_buf_printf(json, "{\"signed\":%s,\"checked\":%s,\"ok\":%s,\"signatures\":%zu,"
		      "\"verified\":%zu,\"stage\":\"%s\",\"signers\":[",
		      r->is_signed ? "true" : "false",
		      r->trust_checked ? "true" : "false", status ? "false" : "true",
		      r->check.signatures, r->check.verified,
		      rf_attest_stage_name(r->failed));
	for (size_t i = 0; i < r->check.verified; i++) {
		if (i)
			rf_buf_puts(json, ",");
		json_str(json, r->check.signers[i]);
	}
	rf_buf_puts(json, "],\"reason\":");
	json_str(json, reason ? reason : "");
	rf_buf_puts(json, "}");
}

int signing_verify_run(const struct signing_verify *s, const char *verb,
		       const char *bag, int quiet, rf_buf *json,
		       rf_attest_result *res)
{
	rf_attest_opts o = RF_ATTEST_OPTS_INIT;
	rf_attest_result r;
	struct cli_progress progress;
	rf_trust *trust = NULL;
	int rc, status;
	if (s->min_signatures && !s->trust_path)
		return cli_fail(verb, CLI_USAGE, "--min-signatures needs --trust");
	if (s->trust_path && (rc = rf_trust_load(&trust, s->trust_path)) != 0)
		return cli_error(verb, rc);
	o.trust = trust;
	o.min_signatures = (size_t)s->min_signatures;
	o.require_signature = s->require_signature;
	o.threads = s->threads;
	cli_progress_start(&progress, "checking signed digests", quiet || json);
	o.progress = cli_progress_update;
	o.progress_ctx = &progress;
	rc = rf_attest_verify(&r, bag, &o);
	cli_progress_end(&progress);
	if (rc) {
		status = rf_error_exit_status(rc);
		if (json)
			put_json(json, &r, status, rf_error_last());
		if (r.failed == RF_ATTEST_STAGE_BAG)
			fprintf(stderr, "referee %s: %s\n", verb, rf_error_last());
		else
			fprintf(stderr, "referee %s: signature check failed (%s): %s\n",
				verb, rf_attest_stage_name(r.failed), rf_error_last());
		goto out;
	}
	status = 0;
	if (json) {
		put_json(json, &r, 0, NULL);
	} else if (quiet) {
		/* nothing */
	} else if (!r.is_signed) {
		printf("signatures: unsigned\n");
	} else if (r.trust_checked) {
		printf("signatures: verified by ");
		for (size_t i = 0; i < r.check.verified; i++)
			printf("%s%s", i ? ", " : "", r.check.signers[i]);
		printf(" (%zu of %zu signatures from trusted keys, %zu required); "
		       "statement matches the bag (%zu subjects)\n",
		       r.check.verified, r.check.signatures,
		       (size_t)(s->min_signatures ? s->min_signatures : 1), r.subjects);
	} else {
		printf("signatures: %zu present, not checked (no --trust; keyids",
		       r.check.signatures);
		for (size_t i = 0; i < r.check.signatures; i++)
			printf(" %.16s", r.keyids[i]);
		printf("); statement matches the bag (%zu subjects)\n", r.subjects);
	}
out:
	if (res)
		*res = r; /* the caller frees it */
	else
		rf_attest_result_free(&r);
	rf_trust_free(trust);
	return status;
}

int signing_stamp_or_restore(const char *verb, const char *bag, const char *url,
			     rf_tsa_snapshot *snap)
{
	int rc = rf_tsa_stamp_bag(bag, url, 30);
	if (!rc)
		return 0;
	cli_error(verb, rc);
	if (rf_tsa_snapshot_restore(snap) != 0)
		return cli_fail(verb, CLI_INTERNAL,
				"could not put '%s' back as it was: %s", bag,
				rf_error_last());
	fprintf(stderr, "referee %s: not signed: '%s' is as it was\n", verb, bag);
	return rf_error_exit_status(rc);
}
