/* pack --sign and verify --trust: the signature side of those verbs, kept
 * here so that pack.c and verify.c only parse, call and print. */
#include <stdio.h>
#include <string.h>

#include "bagcli.h"
#include "keyio.h"
#include "signing.h"

int signing_pack_prepare(struct signing_pack *s, const char *verb)
{
	int rc;
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
	return rf_attest_bag(tmp_bag_dir, s->key);
}

void signing_pack_free(struct signing_pack *s)
{
	rf_key_free(s->key);
	s->key = NULL;
}

const char signing_verify_help[] =
	"      --trust PATH  check the signatures against these keys: a .pub file,\n"
	"                    a folder of .pub files, or an allowed-signers file\n"
	"                    (lines 'NAME KEY', KEY a base64 SPKI or a .pub path);\n"
	"                    without it the signed statement is still checked\n"
	"                    against the files, but no signer is\n"
	"      --min-signatures N  distinct trusted signers required (default 1)\n"
	"      --require-signature  an unsigned bag is a failure\n"
	"      --expect-id ID  the bag's External-Identifier must be ID (and signed)\n";

int signing_verify_min(struct signing_verify *s, const char *value)
{
	s->min_signatures = cli_parse_long(value, 1, RF_DSSE_MAX_SIGNATURES);
	return s->min_signatures < 0 ? -1 : 0;
}

int signing_verify_arg(struct signing_verify *s, const char *verb, int argc,
		       char **argv, int *i)
{
	const char *a = argv[*i];
	if (!strcmp(a, "--require-signature")) {
		s->require_signature = 1;
		return 1;
	}
	if (strcmp(a, "--trust") && strcmp(a, "--min-signatures") && strcmp(a, "--expect-id"))
		return 0;
	if (*i + 1 >= argc) {
		cli_fail(verb, CLI_USAGE, "option '%s' needs a value", a);
		return -1;
	}
	(*i)++;
	if (!strcmp(a, "--trust")) {
		s->trust_path = argv[*i];
	} else if (!strcmp(a, "--expect-id")) {
		s->expect_id = argv[*i];
	} else if (signing_verify_min(s, argv[*i])) {
		cli_fail(verb, CLI_USAGE, "--min-signatures wants a number from 1 to %d, not '%s'",
			 RF_DSSE_MAX_SIGNATURES, cli_tty(argv[*i]));
		return -1;
	}
	return 1;
}

int signing_bundle_run(rf_bundle_result **out, const struct signing_verify *s,
		       const char *verb, const char *bag, const char *repo, int quiet)
{
	rf_bundle_opts o = RF_BUNDLE_OPTS_INIT;
	struct cli_progress progress;
	rf_trust *trust = NULL;
	int rc;
	*out = NULL;
	if (s->min_signatures && !s->trust_path)
		return cli_fail(verb, CLI_USAGE, "--min-signatures needs --trust");
	if (s->trust_path && (rc = rf_trust_load(&trust, s->trust_path)) != 0)
		return cli_error(verb, rc);
	o.trust = trust;
	o.min_signatures = (size_t)s->min_signatures;
	o.require_signature = s->require_signature;
	o.expect_id = s->expect_id;
	o.repo = repo;
	o.threads = s->threads;
	cli_progress_start(&progress, "verifying", quiet);
	o.progress = cli_progress_update;
	o.progress_ctx = &progress;
	rc = rf_bundle_verify(out, bag, &o);
	cli_progress_end(&progress);
	rf_trust_free(trust);
	if (!*out)
		return cli_error(verb, rc);
	return rf_error_exit_status(rc);
}

void signing_bundle_problems(const char *verb, const rf_bundle_result *r, size_t max)
{
	size_t n = r->report ? rf_bag_report_count(r->report) : 0;
	if (r->status && r->failed != RF_ATTEST_STAGE_BAG) {
		fprintf(stderr, "referee %s: signature check failed (%s): %s\n", verb,
			rf_attest_stage_name(r->failed), cli_tty(r->reason));
		return;
	}
	if (r->status && !r->report) {
		fprintf(stderr, "referee %s: %s\n", verb, cli_tty(r->reason));
		return;
	}
	for (size_t i = 0; i < n && (!max || i < max); i++) {
		const rf_bag_problem *p = rf_bag_report_at(r->report, i);
		fprintf(stderr, "referee %s: %s: '%s': %s\n", verb,
			rf_bag_problem_kind_name(p->kind), cli_tty(p->path),
			cli_tty(p->message));
	}
	if (max && n > max)
		fprintf(stderr, "referee %s: ... and %zu more problems\n", verb,
			n - max + rf_bag_report_dropped(r->report));
	else if (rf_bag_report_dropped(r->report))
		fprintf(stderr, "referee %s: ... and %zu more problems\n", verb,
			rf_bag_report_dropped(r->report));
}

static int json_str(rf_buf *b, const char *s)
{
	int rc = rf_buf_puts(b, "\"");
	for (; !rc && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			rc = rf_buf_printf(b, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			rc = rf_buf_printf(b, "\\u%04x", c);
		else
			rc = rf_buf_append(b, s, 1);
	}
	return rc ? rc : rf_buf_puts(b, "\"");
}

int signing_bundle_json(rf_buf *json, const rf_bundle_result *r)
{
	const rf_attest_result *a = &r->attest;
	int attest_ok = r->status == 0 || r->failed == RF_ATTEST_STAGE_BAG;
	int rc = rf_buf_printf(json, "{\"signed\":%s,\"checked\":%s,\"ok\":%s,\"state\":\"%s\","
			       "\"signatures\":%zu,\"verified\":%zu,\"stage\":\"%s\","
			       "\"signers\":[",
			       a->is_signed ? "true" : "false",
			       a->trust_checked ? "true" : "false", attest_ok ? "true" : "false",
			       rf_bundle_signing_name(r->signing), a->check.signatures,
			       a->check.verified,
			       rf_attest_stage_name(attest_ok ? RF_ATTEST_STAGE_NONE : r->failed));
	for (size_t i = 0; !rc && i < a->check.verified; i++) {
		rc = i ? rf_buf_puts(json, ",") : 0;
		if (!rc)
			rc = json_str(json, a->check.signers[i]);
	}
	if (!rc)
		rc = rf_buf_puts(json, "],\"keyids\":[");
	for (size_t i = 0; !rc && a->keyids && i < a->check.signatures; i++) {
		rc = i ? rf_buf_puts(json, ",") : 0;
		if (!rc)
			rc = json_str(json, a->keyids[i]);
	}
	if (!rc)
		rc = rf_buf_puts(json, "],\"reason\":");
	if (!rc)
		rc = json_str(json, !attest_ok && r->reason ? r->reason : "");
	if (!rc)
		rc = rf_buf_puts(json, ",\"summary\":");
	if (!rc)
		rc = json_str(json, r->summary ? r->summary : "");
	return rc ? rc : rf_buf_puts(json, "}");
}

void signing_bundle_verdict(FILE *f, const char *bag, const rf_bundle_result *r)
{
	fprintf(f, "bundle '%s': %s\n", cli_tty(bag), r->summary ? r->summary : "");
}
