/* referee verify — check a bag (rf_bag_verify): every payload file present,
 * listed and matching, nothing extra, Payload-Oxum, tag manifest, hostile
 * paths; with --repo, also the git commit and blobs.  Then show a reviewer
 * what the bag says about itself (bag-info, provenance).  Checks run first
 * and add to one report; printing comes last, so a new check (signatures)
 * is one more step before the printing. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
	       "      --trust PATH  check the signatures against these keys: a .pub file,\n"
	       "                    a folder of .pub files, or an allowed-signers file\n"
	       "                    (lines 'NAME KEY', KEY a base64 SPKI or a .pub path)\n"
	       "      --min-signatures N  distinct trusted signers required (default 1)\n"
	       "      --require-signature  an unsigned bag is a failure\n"
	       "      --allow-holey a bag whose fetch.txt files are not here yet passes\n"
	       "                    (they are named; without it: exit 1)\n"
	       "      --fetched DIR check fetch.txt files fetched into DIR (DIR/data/PATH\n"
	       "                    or DIR/PATH) against the manifest\n"
	       "      --tsa-cert CA.pem  verify the signatures' RFC 3161 timestamps against\n"
	       "                    this root (offline); one that fails fails the bag\n"
	       "      --require-timestamp  a signature without a verified timestamp fails\n"
	       "      --model DIR   also check model folder DIR against the model the bag\n"
	       "                    records (pack --model; referee/model.json)\n"
	       "      --json        print the result as JSON on stdout\n"
	       "  -q, --quiet       print only problems, no progress\n"
	       "  -h, --help        this help\n\n"
	       "exit status: 0 valid, 1 tampered (a file differs, is missing, unlisted or\n"
	       "unsafe), 2 malformed or unreadable bag or bad usage, 3 internal failure\n",
	       usage_line);
}

enum { OPT_REPO = 256, OPT_JSON, OPT_TRUST, OPT_MIN_SIG, OPT_REQUIRE_SIG, OPT_MODEL,
       OPT_ALLOW_HOLEY, OPT_FETCHED, OPT_TSA_CERT, OPT_REQUIRE_TS };

static const struct option options[] = {
	{"jobs", required_argument, NULL, 'j'},
	{"repo", required_argument, NULL, OPT_REPO},
	{"json", no_argument, NULL, OPT_JSON},
	{"trust", required_argument, NULL, OPT_TRUST},
	{"min-signatures", required_argument, NULL, OPT_MIN_SIG},
	{"require-signature", no_argument, NULL, OPT_REQUIRE_SIG},
	{"model", required_argument, NULL, OPT_MODEL},
	{"allow-holey", no_argument, NULL, OPT_ALLOW_HOLEY},
	{"fetched", required_argument, NULL, OPT_FETCHED},
	{"tsa-cert", required_argument, NULL, OPT_TSA_CERT},
	{"require-timestamp", no_argument, NULL, OPT_REQUIRE_TS},
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

/* What the bag says about itself, for the reviewer (after the checks). */
struct about {
	rf_bag *bag;
	rf_provenance *prov;
};

static void about_load(struct about *a, const char *dir)
{
	rf_buf text = RF_BUF_INIT;
	a->bag = NULL;
	a->prov = NULL;
	if (rf_bag_open(&a->bag, dir))
		return;
	if (rf_bag_read_tag_file(&text, a->bag, RF_BAG_PROVENANCE, RF_BAG_MAX_MANIFEST) == 0)
		rf_provenance_parse(&a->prov, text.data, text.len, RF_BAG_PROVENANCE);
	rf_buf_free(&text);
	rf_error_clear();
}

static void about_free(struct about *a)
{
	rf_provenance_free(a->prov);
	rf_bag_free(a->bag);
}

static void print_text(const struct verify_args *v, rf_bag_report *r,
		       const struct about *a, int status)
{
	char size[32];
	size_t n = rf_bag_report_count(r);
	for (size_t i = 0; i < n; i++) {
		const rf_bag_problem *p = rf_bag_report_at(r, i);
		fprintf(stderr, "referee verify: %s: %s\n",
			rf_bag_problem_kind_name(p->kind), p->message);
	}
	if (v->quiet)
		return;
	cli_human_size(size, sizeof size, rf_bag_report_bytes(r));
	if (status == 0)
		printf("bag '%s': valid\n", v->bag);
	else
		printf("bag '%s': NOT VALID, %zu problem%s\n", v->bag, n, n == 1 ? "" : "s");
	printf("  payload:    %zu file%s checked, %s\n", rf_bag_report_files(r),
	       rf_bag_report_files(r) == 1 ? "" : "s", size);
	if (a->bag) {
		const char *date = rf_bag_info_get(a->bag, "Bagging-Date");
		const char *agent = rf_bag_info_get(a->bag, "Bag-Software-Agent");
		const char *org = rf_bag_info_get(a->bag, "Source-Organization");
		const char *desc = rf_bag_info_get(a->bag, "External-Description");
		printf("  bagged:     %s by %s\n", date ? date : "(no date)",
		       agent ? agent : "(unknown software)");
		if (org)
			printf("  source:     %s\n", org);
		if (desc)
			printf("  about:      %s\n", desc);
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
			printf("  git:        commit %s", commit);
			if (branch)
				printf(" (branch %s)", branch);
			if (rev)
				printf(", packed from revision '%s'", rev);
			printf("\n");
			if (when)
				printf("  committed:  %s\n", when);
			printf("  work tree:  %s; %zu of %zu file%s differ%s from the commit\n",
			       rf_provenance_dirty(a->prov) ? "dirty" : "clean", changed,
			       rf_provenance_file_count(a->prov),
			       rf_provenance_file_count(a->prov) == 1 ? "" : "s",
			       changed == 1 ? "s" : "");
			for (size_t i = 0; i < rf_provenance_remote_count(a->prov); i++) {
				const char *name, *url;
				if (rf_provenance_remote_at(a->prov, i, &name, &url) == 0)
					printf("  remote:     %s %s\n", name, url);
			}
		}
	}
	if (v->repo)
		printf("  repository: %s: %s\n", v->repo,
		       status == 0 ? "commit present, every payload file equals its blob"
				   : "see the problems above");
}

static void print_json(const struct verify_args *v, rf_bag_report *r,
		       const struct about *a, int status, const char *signatures)
{
	size_t n = rf_bag_report_count(r);
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
	printf(",\n  \"signatures\": %s", signatures ? signatures : "null");
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
	rf_verify_opts o = RF_VERIFY_OPTS_INIT;
	struct cli_progress progress;
	rf_bag_report *report = NULL;
	struct about about;
	struct signing_verify sig = {NULL, 0, 0, 0};
	rf_buf sig_json = RF_BUF_INIT;
	rf_attest_result sres = {0};
	const char *verb = argv[0], *model_dir = NULL, *fetched = NULL, *tsa_cert = NULL;
	int c, rc, status, allow_holey = 0, require_ts = 0;
	size_t stamps = 0;
	time_t stamped = 0;
	rf_fetch_result holes;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":j:qh", options, NULL)) != -1) {
		switch (c) {
		case 'j': {
			long j = cli_parse_long(optarg, 1, 1024);
			if (j < 0)
				return cli_fail(verb, CLI_USAGE,
						"-j wants a number from 1 to 1024, not '%s'", optarg);
			v.threads = (int)j;
			break;
		}
		case OPT_REPO: v.repo = optarg; break;
		case OPT_JSON: v.json = 1; break;
		case OPT_TRUST: sig.trust_path = optarg; break;
		case OPT_MIN_SIG:
			if (signing_verify_min(&sig, optarg))
				return cli_fail(verb, CLI_USAGE,
						"--min-signatures wants a number from 1 to %d, not '%s'",
						RF_DSSE_MAX_SIGNATURES, optarg);
			break;
		case OPT_REQUIRE_SIG: sig.require_signature = 1; break;
		case OPT_MODEL: model_dir = optarg; break;
		case OPT_ALLOW_HOLEY: allow_holey = 1; break;
		case OPT_FETCHED: fetched = optarg; break;
		case OPT_TSA_CERT: tsa_cert = optarg; break;
		case OPT_REQUIRE_TS: require_ts = 1; break;
		case 'q': v.quiet = 1; break;
		case 'h':
			help();
			return cli_finish(CLI_OK);
		case ':':
			cli_fail(verb, CLI_USAGE, "option '%s' needs a value", argv[optind - 1]);
			return cli_usage(usage_line);
		default:
			cli_fail(verb, CLI_USAGE, "unknown option '%s'", argv[optind - 1]);
			return cli_usage(usage_line);
		}
	}
	if (argc - optind != 1)
		return cli_usage(usage_line);
	v.bag = argv[optind];

	/* 0. Signatures first, stopping at the first failing stage: envelope,
	 * trusted signatures, the signed statement against the files on disk;
	 * only then the BagIt checks. */
	sig.threads = v.threads;
	status = signing_verify_run(&sig, verb, v.bag, v.quiet,
				    v.json ? &sig_json : NULL, &sres);
	if (status) {
		rf_attest_result_free(&sres);
		if (v.json && sig_json.len) {
			printf("{\n  \"bag\": ");
			cli_json_string(stdout, v.bag);
			printf(",\n  \"valid\": false,\n  \"exit\": %d,\n  \"signatures\": %s\n}\n",
			       status, sig_json.data);
		}
		rf_buf_free(&sig_json);
		return cli_finish(status);
	}

	/* 1. The bag itself. */
	cli_progress_start(&progress, "verifying", v.quiet || v.json);
	o.threads = v.threads;
	o.progress = cli_progress_update;
	o.progress_ctx = &progress;
	/* Files the signed statement was just checked against were hashed
	 * from disk then: the BagIt checks take those digests, not a re-read. */
	o.known = sres.digests;
	o.nknown = sres.ndigests;
	rc = rf_bag_verify(&report, v.bag, &o);
	rf_attest_result_free(&sres);
	cli_progress_end(&progress);
	if (!report)
		return cli_error(verb, rc);
	/* 2. The git repository it claims to come from. */
	if (v.repo && (rc = rf_provenance_check_repo(report, v.bag, v.repo)) != 0) {
		rf_bag_report_free(report);
		return cli_error(verb, rc);
	}
	/* 2b. Files left out by reference (fetch.txt): holes, or fetched. */
	if ((rc = rf_fetch_resolve(&holes, report, v.bag, fetched, allow_holey,
				   v.threads)) != 0) {
		rf_bag_report_free(report);
		return cli_error(verb, rc);
	}
	if (holes.holes && !v.quiet)
		fprintf(stderr, "referee verify: %s: %zu of %zu files by reference "
			"(fetch.txt): %zu fetched and checked, %zu not here%s\n",
			holes.open ? "complete but holey" : "complete once fetched",
			holes.holes, holes.entries, holes.filled, holes.open,
			holes.open && allow_holey ? " (allowed)" : "");
	/* 2c. RFC 3161 timestamps of the signatures, offline. */
	if ((tsa_cert || require_ts) &&
	    (rc = rf_tsa_check_bag(report, v.bag, tsa_cert, require_ts, &stamps,
				   &stamped)) != 0) {
		rf_bag_report_free(report);
		return cli_error(verb, rc);
	}
	if (stamps && !v.quiet && !v.json) {
		char when[32];
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&stamped));
		printf("timestamps: %zu verified against '%s'; signed no later than %s\n",
		       stamps, tsa_cert, when);
	}
	/* 3. The model folder recorded by pack --model (referee/model.json). */
	if (model_dir && (rc = rf_model_bag_check_dir(report, v.bag, model_dir,
						      v.threads)) != 0) {
		rf_bag_report_free(report);
		return cli_error(verb, rc);
	}
	status = rf_bag_report_status(report);

	about_load(&about, v.bag);
	if (v.json)
		print_json(&v, report, &about, status, sig_json.data);
	else
		print_text(&v, report, &about, status);
	about_free(&about);
	rf_buf_free(&sig_json);
	rf_bag_report_free(report);
	return cli_finish(rf_error_exit_status(status));
}
