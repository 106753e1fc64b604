/* referee verify — check a bag with rf_bundle_verify(), the one
 * verification every verb that reads a bag runs: the attestation (signed
 * statement against the files, signatures against --trust), BagIt
 * integrity, provenance, --repo, --expect-id.  Then show a reviewer what
 * the bag says about itself (bag-info, identifier, provenance, unsigned
 * extras), every string from the bag escaped, and one plain verdict. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bagcli.h"
#include "cli.h"
#include "signing.h"

static const char usage_line[] = "referee verify [options] BAG";

static void help(void)
{
	printf("usage: %s\n\n"
	       "Verify a BagIt bag: every manifest line holds, no payload file is\n"
	       "unlisted, Payload-Oxum agrees, the tag manifest holds, no path is\n"
	       "absolute, climbs out with '..' or escapes through a symlink.\n\n"
	       "options:\n"
	       "  -j, --jobs N      threads hashing (default: all cores)\n"
	       "      --repo DIR    also check that the recorded git commit exists in DIR\n"
	       "                    and that each payload file equals its blob there\n"
	       "%s"
	       "      --json        print the result as JSON on stdout\n"
	       "  -q, --quiet       print only problems, no progress\n"
	       "  -h, --help        this help\n\n"
	       "exit status: 0 valid, 1 tampered (a file differs, is missing, unlisted or\n"
	       "unsafe), 2 malformed or unreadable bag or bad usage, 3 internal failure\n",
	       usage_line, signing_verify_help);
}

enum { OPT_REPO = 256, OPT_JSON, OPT_TRUST, OPT_MIN_SIG, OPT_REQUIRE_SIG, OPT_EXPECT_ID };

static const struct option options[] = {
	{"jobs", required_argument, NULL, 'j'},
	{"repo", required_argument, NULL, OPT_REPO},
	{"json", no_argument, NULL, OPT_JSON},
	{"trust", required_argument, NULL, OPT_TRUST},
	{"min-signatures", required_argument, NULL, OPT_MIN_SIG},
	{"require-signature", no_argument, NULL, OPT_REQUIRE_SIG},
	{"expect-id", required_argument, NULL, OPT_EXPECT_ID},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

struct verify_args {
	const char *bag;
	const char *repo;
	int threads;
	int json;
	int quiet;
};

/* The signatures line: who signed, or plainly that nobody's signature was
 * checked against a trusted key, or that the bag is unsigned. */
static void print_signatures(const rf_bundle_result *b)
{
	const rf_attest_result *r = &b->attest;
	if (!r->is_signed) {
		printf("signatures: unsigned (no attestation: nothing says who made this bag)\n");
	} else if (r->trust_checked) {
		printf("signatures: verified by ");
		for (size_t i = 0; i < r->check.verified; i++)
			printf("%s%s", i ? ", " : "", r->check.signers[i]);
		printf(" (%zu of %zu signatures from trusted keys, %zu required); "
		       "statement matches the bag (%zu subjects)\n",
		       r->check.verified, r->check.signatures, b->min_signatures, r->subjects);
	} else {
		printf("signatures: %zu present, not checked against a trusted key (no --trust; "
		       "keyids", r->check.signatures);
		for (size_t i = 0; i < r->check.signatures; i++)
			printf(" %.16s", cli_tty(r->keyids[i]));
		printf("); statement matches the bag (%zu subjects)\n", r->subjects);
	}
}

static void print_text(const struct verify_args *v, const rf_bundle_result *b)
{
	char size[32];
	const rf_bag_report *r = b->report;
	size_t n = rf_bag_report_count(r);
	int status = b->status;
	const struct { rf_bag *bag; rf_provenance *prov; } about = {b->bag, b->provenance},
		*a = &about;
	for (size_t i = 0; i < n; i++) {
		const rf_bag_problem *p = rf_bag_report_at(r, i);
		fprintf(stderr, "referee verify: %s: %s\n",
			rf_bag_problem_kind_name(p->kind), cli_tty(p->message));
	}
	if (rf_bag_report_dropped(r))
		fprintf(stderr, "referee verify: ... and %zu more problems\n",
			rf_bag_report_dropped(r));
	n += rf_bag_report_dropped(r);
	if (v->quiet)
		return;
	print_signatures(b);
	cli_human_size(size, sizeof size, rf_bag_report_bytes(r));
	if (status == 0)
		printf("bag '%s': valid\n", cli_tty(v->bag));
	else
		printf("bag '%s': NOT VALID, %zu problem%s\n", cli_tty(v->bag), n,
		       n == 1 ? "" : "s");
	printf("  payload:    %zu file%s checked, %s\n", rf_bag_report_files(r),
	       rf_bag_report_files(r) == 1 ? "" : "s", size);
	if (a->bag) {
		const char *date = rf_bag_info_get(a->bag, "Bagging-Date");
		const char *agent = rf_bag_info_get(a->bag, "Bag-Software-Agent");
		const char *org = rf_bag_info_get(a->bag, "Source-Organization");
		const char *desc = rf_bag_info_get(a->bag, "External-Description");
		printf("  bagged:     %s by %s\n", date ? cli_tty(date) : "(no date)",
		       agent ? cli_tty(agent) : "(unknown software)");
		if (org)
			printf("  source:     %s\n", cli_tty(org));
		if (desc)
			printf("  about:      %s\n", cli_tty(desc));
		if (b->external_id)
			printf("  identifier: %s (%s)\n", cli_tty(b->external_id),
			       b->external_id_signed ? "signed" : "NOT signed");
	}
	if (a->prov) {
		const char *commit = rf_provenance_commit(a->prov);
		const char *branch = rf_provenance_branch(a->prov);
		const char *rev = rf_provenance_rev(a->prov);
		const char *when = rf_provenance_commit_time(a->prov);
		size_t changed = 0;
		for (size_t i = 0; i < rf_provenance_file_count(a->prov); i++)
			if (!rf_provenance_file_at(a->prov, i)->matches)
				changed++;
		if (!commit) {
			printf("  git:        none (not packed from a git repository)\n");
		} else {
			printf("  git:        commit %s", cli_tty(commit));
			if (branch)
				printf(" (branch %s)", cli_tty(branch));
			if (rev)
				printf(", packed from revision '%s'", cli_tty(rev));
			printf("\n");
			if (when)
				printf("  committed:  %s\n", cli_tty(when));
			printf("  work tree:  %s; %zu of %zu file%s differ%s from the commit\n",
			       rf_provenance_dirty(a->prov) ? "dirty" : "clean", changed,
			       rf_provenance_file_count(a->prov),
			       rf_provenance_file_count(a->prov) == 1 ? "" : "s",
			       changed == 1 ? "s" : "");
			for (size_t i = 0; i < rf_provenance_remote_count(a->prov); i++) {
				const char *name, *url;
				if (rf_provenance_remote_at(a->prov, i, &name, &url) == 0)
					printf("  remote:     %s %s\n", cli_tty(name),
					       cli_tty(url));
			}
		}
	}
	if (v->repo)
		printf("  repository: %s: %s\n", cli_tty(v->repo),
		       status == 0 ? "commit present, every payload file equals its blob"
				   : "see the problems above");
	for (size_t i = 0; i < b->nextras; i++)
		printf("  extra:      '%s': %s\n", cli_tty(b->extras[i].path), b->extras[i].why);
	if (b->nextras_more)
		printf("  extra:      ... and %zu more\n", b->nextras_more);
	printf("verdict: %s\n", b->summary);
}

static void print_json(const struct verify_args *v, const rf_bundle_result *b,
		       const char *signatures)
{
	const rf_bag_report *r = b->report;
	size_t n = rf_bag_report_count(r);
	int status = b->status;
	const struct { rf_bag *bag; rf_provenance *prov; } about = {b->bag, b->provenance},
		*a = &about;
	printf("{\n  \"bag\": ");
	cli_json_string(stdout, v->bag);
	printf(",\n  \"valid\": %s,\n  \"exit\": %d,\n", status == 0 ? "true" : "false",
	       rf_error_exit_status(status));
	printf("  \"files\": %zu,\n  \"bytes\": %" PRIu64 ",\n", rf_bag_report_files(r),
	       rf_bag_report_bytes(r));
	printf("  \"problems\": [");
	for (size_t i = 0; i < n; i++) {
		const rf_bag_problem *p = rf_bag_report_at(r, i);
		printf("%s\n    {\"kind\": \"%s\", \"path\": ", i ? "," : "",
		       rf_bag_problem_kind_name(p->kind));
		cli_json_string(stdout, p->path);
		printf(", \"message\": ");
		cli_json_string(stdout, p->message);
		printf("}");
	}
	printf("%s],\n", n ? "\n  " : "");
	printf("  \"bag_info\": {");
	if (a->bag)
		for (size_t i = 0; i < rf_bag_info_count(a->bag); i++) {
			const char *label, *value;
			if (rf_bag_info_at(a->bag, i, &label, &value))
				continue;
			printf("%s", i ? ", " : "");
			cli_json_string(stdout, label);
			printf(": ");
			cli_json_string(stdout, value);
		}
	printf("},\n  \"provenance\": ");
	if (!a->prov) {
		printf("null");
	} else {
		const char *s;
		printf("{\"source\": ");
		cli_json_string(stdout, rf_provenance_source(a->prov));
		printf(", \"commit\": ");
		if ((s = rf_provenance_commit(a->prov)) != NULL)
			cli_json_string(stdout, s);
		else
			printf("null");
		printf(", \"branch\": ");
		if ((s = rf_provenance_branch(a->prov)) != NULL)
			cli_json_string(stdout, s);
		else
			printf("null");
		printf(", \"dirty\": %s}", rf_provenance_dirty(a->prov) ? "true" : "false");
	}
	printf(",\n  \"external_identifier\": ");
	if (b->external_id)
		cli_json_string(stdout, b->external_id);
	else
		printf("null");
	printf(",\n  \"unsigned_extras\": [");
	for (size_t i = 0; i < b->nextras; i++) {
		printf("%s{\"path\": ", i ? ", " : "");
		cli_json_string(stdout, b->extras[i].path);
		printf(", \"why\": ");
		cli_json_string(stdout, b->extras[i].why);
		printf("}");
	}
	printf("]");
	printf(",\n  \"signatures\": %s", signatures ? signatures : "null");
	printf(",\n  \"verdict\": ");
	cli_json_string(stdout, b->summary);
	printf(",\n  \"repo\": ");
	if (v->repo)
		cli_json_string(stdout, v->repo);
	else
		printf("null");
	printf("\n}\n");
}

int cmd_verify(int argc, char **argv)
{
	struct verify_args v = {NULL, NULL, 0, 0, 0};
	rf_bundle_result *res = NULL;
	struct signing_verify sig = {0};
	rf_buf sig_json = RF_BUF_INIT;
	const char *verb = argv[0];
	int c, status;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":j:qh", options, NULL)) != -1) {
		switch (c) {
		case 'j': {
			long j = cli_parse_long(optarg, 1, 1024);
			if (j < 0)
				return cli_fail(verb, CLI_USAGE,
						"-j wants a number from 1 to 1024, not '%s'",
						cli_tty(optarg));
			v.threads = (int)j;
			break;
		}
		case OPT_REPO: v.repo = optarg; break;
		case OPT_JSON: v.json = 1; break;
		case OPT_TRUST: sig.trust_path = optarg; break;
		case OPT_EXPECT_ID: sig.expect_id = optarg; break;
		case OPT_MIN_SIG:
			if (signing_verify_min(&sig, optarg))
				return cli_fail(verb, CLI_USAGE,
						"--min-signatures wants a number from 1 to %d, not '%s'",
						RF_DSSE_MAX_SIGNATURES, cli_tty(optarg));
			break;
		case OPT_REQUIRE_SIG: sig.require_signature = 1; break;
		case 'q': v.quiet = 1; break;
		case 'h':
			help();
			return cli_finish(CLI_OK);
		case ':':
			cli_fail(verb, CLI_USAGE, "option '%s' needs a value", argv[optind - 1]);
			return cli_usage(usage_line);
		default:
			cli_fail(verb, CLI_USAGE, "unknown option '%s'", cli_tty(argv[optind - 1]));
			return cli_usage(usage_line);
		}
	}
	if (argc - optind != 1)
		return cli_usage(usage_line);
	v.bag = argv[optind];

	/* Everything verify checks is rf_bundle_verify(): the attestation first
	 * (stopping at its first failing stage), then BagIt, provenance, the
	 * repository and the identifier. */
	sig.threads = v.threads;
	status = signing_bundle_run(&res, &sig, verb, v.bag, v.repo, v.quiet || v.json);
	if (!res)
		return cli_finish(status);
	if (v.json)
		signing_bundle_json(&sig_json, res);
	if (res->status && !res->report) {
		/* Stopped before the BagIt checks. */
		signing_bundle_problems(verb, res, 0);
		if (v.json) {
			printf("{\n  \"bag\": ");
			cli_json_string(stdout, v.bag);
			printf(",\n  \"valid\": false,\n  \"exit\": %d,\n  \"signatures\": %s,\n"
			       "  \"verdict\": ", status, sig_json.data);
			cli_json_string(stdout, res->summary);
			printf("\n}\n");
		} else if (!v.quiet) {
			printf("verdict: %s\n", res->summary);
		}
	} else if (v.json) {
		print_json(&v, res, sig_json.data);
	} else {
		print_text(&v, res);
	}
	rf_buf_free(&sig_json);
	rf_bundle_result_free(res);
	return cli_finish(status);
}
