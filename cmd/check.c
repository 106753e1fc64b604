/* referee check — recompute every claimed figure from the evidence and give
 * each a verdict: lints the manifests, derives, prints the table (text,
 * --json, --junit FILE, --html FILE).  Exit 1 if any claim is INCONSISTENT
 * or IMPOSSIBLE, 2 for malformed or unreadable manifests. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bagcli.h"
#include "cli.h"
#include "signing.h"

#define MAX_FOLDERS 100
#define MAX_DEPTH 8

static const char usage_text[] =
	"referee check [--explain] [--json] [--junit FILE] [--html FILE]\n"
	"                     [--suspicious-mfu PCT] [--approx PCT] [--in SUBDIR] [-q]\n"
	"                     [--trust PATH [--min-signatures N]] [--require-signature]\n"
	"                     [--expect-id ID] DIR|BAG";

static int parse_pct(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || (*end && strcmp(end, "%")) || !(v > 0 && v < 1000))
		return -1;
	*out = v / 100;
	return 0;
}

/* Register the derivation sources this build has: one line per source. */
static int add_sources(rf_check *c)
{
	if (rf_check_add_source(c, rf_rescore_claims_source())) return rf_error_last_code();
	if (rf_check_add_source(c, rf_replay_claims_source())) return rf_error_last_code();
	return 0;
}

/* 1 when `dir` holds a referee manifest (other YAML does not count). */
static int has_manifests(const char *dir)
{
	char **list;
	size_t n;
	int any = 0;
	if (rf_manifest_list(&list, &n, dir, 1000))
		return 0;
	for (size_t i = 0; i < n && !any; i++)
		any = rf_manifest_sniff(list[i]) != 0;
	rf_manifest_list_free(list, n);
	return any;
}

/* Folders under a bag's data/ that hold manifests (no symlinks followed). */
static int find_folders(const char *dir, int depth, char **found, size_t *n)
{
	DIR *d;
	struct dirent *e;
	if (*n < MAX_FOLDERS && has_manifests(dir)) {
		if (!(found[*n] = strdup(dir)))
			return RF_ENOMEM;
		(*n)++;
	}
	if (depth >= MAX_DEPTH || !(d = opendir(dir)))
		return 0;
	while ((e = readdir(d)) && *n < MAX_FOLDERS) {
		rf_buf sub = RF_BUF_INIT;
		struct stat st;
		if (e->d_name[0] == '.')
			continue;
		if (!rf_path_join(&sub, dir, e->d_name) && !lstat(sub.data, &st) &&
		    S_ISDIR(st.st_mode))
			find_folders(sub.data, depth + 1, found, n);
		rf_buf_free(&sub);
	}
	closedir(d);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A bag is verified exactly as `referee verify` verifies it before
 * anything in it is believed; the one-line verdict (signed by whom, or
 * UNSIGNED, or signatures not checked against a trusted key) heads every
 * output. */
static int verify_bag(const char *verb, const char *bag, const struct signing_verify *sig,
		      int quiet, rf_bundle_result **res)
{
	int status = signing_bundle_run(res, sig, verb, bag, NULL, quiet);
	if (!*res)
		return status;
	signing_bundle_problems(verb, *res, 20);
	if (!quiet)
		signing_bundle_verdict(stderr, bag, *res);
	if (status)
		return cli_fail(verb, status, "bag '%s' does not verify: not checking its claims",
				cli_tty(bag));
	return 0;
}

struct outputs {
	const char *root; /* the payload claims' files must stay inside */
	int explain, json, quiet;
	const char *bundle; /* the bag's verdict line, shown with every table */
	const char *junit, *html;
	int skip_empty; /* a bag's folder without claims (e.g. a bare recipe) prints nothing */
	int printed;    /* tables printed so far, for the blank line between them */
};

/* The reports even when the check could not run (a malformed manifest, a
 * bag that does not verify): CI always gets its files, the error being a
 * failed test case (JUnit, HTML) or an "error" member (JSON). */
static void error_reports(const struct outputs *o, const char *what, int status, const char *msg)
{
	static const char *const cols[] = {"claim", "claimed", "derived", "verdict"};
	const char *cells[] = {what, "", "", "ERROR"};
	rf_report *rep = NULL;
	rf_buf out = RF_BUF_INIT, title = RF_BUF_INIT;
	if (o->json) {
		printf("{\n  \"title\": ");
		cli_json_string(stdout, what);
		printf(",\n  \"exit\": %d,\n  \"error\": ", status);
		cli_json_string(stdout, msg);
		printf("\n}\n");
	}
	if ((!o->junit && !o->html) || rf_buf_printf(&title, "referee check %s", what) ||
	    rf_report_new(&rep, title.data, cols, 4) ||
	    rf_report_add_row(rep, cells, RF_REPORT_FAIL, msg, NULL, NULL))
		goto out;
	if (o->junit && !rf_report_render_junit(&out, rep))
		rf_file_write_atomic(o->junit, out.data, out.len, 0644, 1);
	rf_buf_clear(&out);
	if (o->html && !rf_report_render_html(&out, rep))
		rf_file_write_atomic(o->html, out.data, out.len, 0644, 1);
out:
	rf_report_free(rep);
	rf_buf_free(&out);
	rf_buf_free(&title);
}

/* Check the manifests of one folder and print its table; the exit status. */
static int check_folder(const char *verb, const char *dir, const rf_check_options *opts,
			struct outputs *o)
{
	rf_check *c = NULL;
	rf_report *rep = NULL;
	rf_buf out = RF_BUF_INIT, title = RF_BUF_INIT;
	int rc, status;

	rc = rf_check_new(&c, opts);
	if (!rc)
		rc = add_sources(c);
	if (!rc)
		rc = rf_check_set_root(c, o->root ? o->root : dir);
	if (!rc)
		rc = rf_check_load_dir(c, dir);
	if (!rc)
		rc = rf_check_run(c);
	if (!rc && o->skip_empty && rf_check_count(c) == 0) {
		rf_check_free(c);
		return CLI_OK; /* linted and valid; nothing to give a verdict on */
	}
	if (!rc && o->printed++ && !o->json && !o->quiet)
		printf("\n");
	if (!rc) {
		rf_buf_printf(&title, "referee check %s", cli_tty(dir));
		rc = rf_check_report(&rep, c, title.data);
	}
	if (!rc && o->bundle)
		rc = rf_report_set_header(rep, o->bundle);
	if (!rc && o->json)
		rc = rf_report_render_json(&out, rep);
	else if (!rc && !o->quiet)
		rc = rf_report_render_text(&out, rep, o->explain);
	if (!rc && out.len)
		fwrite(out.data, 1, out.len, stdout);
	/* a framework's own YAML beside the manifests is evidence, not a
	 * failure: say that it was not checked */
	for (size_t i = 0; !rc && !o->json && !o->quiet && i < rf_check_not_manifest_count(c); i++)
		printf("not a manifest: '%s' (YAML without a referee kind:), not checked\n",
		       rf_check_not_manifest_at(c, i));
	if (!rc && o->junit) {
		rf_buf_clear(&out);
		rc = rf_report_render_junit(&out, rep);
		if (!rc)
			rc = rf_file_write_atomic(o->junit, out.data, out.len, 0644, 1);
	}
	if (!rc && o->html) {
		rf_buf_clear(&out);
		rc = rf_report_render_html(&out, rep);
		if (!rc)
			rc = rf_file_write_atomic(o->html, out.data, out.len, 0644, 1);
	}
	if (rc) {
		rf_buf msg = RF_BUF_INIT;
		rf_buf_puts(&msg, rf_error_last());
		status = cli_error(verb, rc);
		error_reports(o, dir, status, msg.data ? msg.data : "");
		rf_buf_free(&msg);
	} else {
		status = rf_check_failed(c) ? CLI_FAILED : CLI_OK;
		if (status == CLI_FAILED && !o->json)
			fprintf(stderr, "referee %s: %zu claim(s) INCONSISTENT, %zu IMPOSSIBLE\n", verb,
				rf_check_tally(c, RF_VERDICT_INCONSISTENT),
				rf_check_tally(c, RF_VERDICT_IMPOSSIBLE));
	}
	rf_report_free(rep);
	rf_check_free(c);
	rf_buf_free(&out);
	rf_buf_free(&title);
	return status;
}

static int check_bag(const char *verb, const char *dir, const char *in,
		     const rf_check_options *opts, struct outputs *o);

int cmd_check(int argc, char **argv)
{
	const char *dir = NULL, *in = NULL;
	struct outputs o = {0};
	rf_check_options opts = {0};
	rf_buf bagit = RF_BUF_INIT;
	int status = CLI_OK, is_bag;
	struct signing_verify sig = {0};
	rf_bundle_result *bundle = NULL;
	rf_buf verdict = RF_BUF_INIT;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int took = signing_verify_arg(&sig, argv[0], argc, argv, &i);
		if (took < 0)
			return CLI_USAGE;
		if (took)
			continue;
		if (!strcmp(a, "--explain"))
			o.explain = 1;
		else if (!strcmp(a, "--json"))
			o.json = 1;
		else if (!strcmp(a, "-q") || !strcmp(a, "--quiet"))
			o.quiet = 1;
		else if (!strcmp(a, "--junit") && i + 1 < argc)
			o.junit = argv[++i];
		else if (!strcmp(a, "--html") && i + 1 < argc)
			o.html = argv[++i];
		else if (!strcmp(a, "--in") && i + 1 < argc)
			in = argv[++i];
		else if (!strcmp(a, "--suspicious-mfu") && i + 1 < argc) {
			if (parse_pct(argv[++i], &opts.suspicious_mfu))
				return cli_fail(argv[0], CLI_USAGE,
						"--suspicious-mfu: expected a percentage, got '%s'",
						argv[i]);
		} else if (!strcmp(a, "--approx") && i + 1 < argc) {
			if (parse_pct(argv[++i], &opts.approx) || opts.approx >= 1)
				return cli_fail(argv[0], CLI_USAGE,
						"--approx: expected a percentage below 100, got '%s'",
						argv[i]);
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			printf("usage: %s\n\n"
			       "Recompute every claimed figure of the manifests in DIR (or in a\n"
			       "bag's data/, after verifying the bag) and give each a verdict:\n"
			       "CONFIRMED, INCONSISTENT, SUSPICIOUS, IMPOSSIBLE, UNVERIFIABLE.\n\n"
			       "  --explain          show each derivation\n"
			       "  --json             the report as JSON\n"
			       "  --junit FILE       also write JUnit XML (CI)\n"
			       "  --html FILE        also write an HTML page\n"
			       "  --suspicious-mfu P utilisation above P%% is SUSPICIOUS (default 60)\n"
			       "  --approx P         widen about/approximately/~ to ±P%% of the\n"
			       "                     stated value (default: none, a hedged figure\n"
			       "                     is its written rounding: ~198 h = [197.5, 198.5) h)\n"
			       "  --in SUBDIR        the manifest folder inside a bag's data/\n"
			       "\nA bag is verified first exactly as 'referee verify' does it:\n%s\n"
			       "exit: 0 no claim fails, 1 some claim is INCONSISTENT or IMPOSSIBLE\n"
			       "(or the bag does not verify), 2 malformed or unreadable input,\n"
			       "3 internal error\n",
			       usage_text, signing_verify_help);
			return cli_finish(CLI_OK);
		} else if (a[0] == '-' || dir) {
			return cli_bad_arg(argv[0], a, usage_text);
		} else {
			dir = a;
		}
	}
	if (!dir)
		return cli_usage(usage_text);

	rf_path_join(&bagit, dir, "bagit.txt");
	is_bag = rf_path_exists(bagit.data);
	rf_buf_free(&bagit);
	if (!is_bag) {
		if (in)
			return cli_fail(argv[0], CLI_USAGE, "--in is for bags; '%s' is not one",
					cli_tty(dir));
		if (sig.trust_path || sig.require_signature || sig.expect_id || sig.min_signatures)
			return cli_fail(argv[0], CLI_USAGE,
					"--trust, --min-signatures, --require-signature and "
					"--expect-id are for bags; '%s' is not one", cli_tty(dir));
		return cli_finish(check_folder(argv[0], dir, &opts, &o));
	}
	status = verify_bag(argv[0], dir, &sig, o.quiet || o.json, &bundle);
	if (!status && rf_buf_printf(&verdict, "bundle: %s", bundle->summary))
		status = cli_error(argv[0], RF_ENOMEM);
	if (status)
		error_reports(&o, dir, status,
			      bundle && bundle->reason ? bundle->reason
						       : "the bag does not verify: its claims were not checked");
	rf_bundle_result_free(bundle);
	if (status) {
		rf_buf_free(&verdict);
		return cli_finish(status);
	}
	o.bundle = verdict.data;
	status = check_bag(argv[0], dir, in, &opts, &o);
	rf_buf_free(&verdict);
	return cli_finish(status);
}

/* The manifests of a verified bag: one folder (--in) or every folder
 * under data/ that holds some. */
static int check_bag(const char *verb, const char *dir, const char *in,
		     const rf_check_options *opts, struct outputs *o)
{
	rf_buf data = RF_BUF_INIT;
	char *folders[MAX_FOLDERS];
	size_t nfolders = 0;
	int status = CLI_OK;
	rf_path_join(&data, dir, "data");
	o->root = data.data;
	if (in) {
		rf_buf sub = RF_BUF_INIT;
		if (rf_path_check_relative(in, "--in")) {
			rf_buf_free(&data);
			return cli_error(verb, RF_EUNSAFE);
		}
		rf_path_join(&sub, data.data, in);
		status = check_folder(verb, sub.data, opts, o);
		rf_buf_free(&data);
		rf_buf_free(&sub);
		return status;
	}
	find_folders(data.data, 0, folders, &nfolders);
	qsort(folders, nfolders, sizeof *folders, by_name);
	if (nfolders == 0) {
		status = cli_fail(verb, CLI_USAGE, "bag '%s' holds no manifests under data/", dir);
		error_reports(o, dir, status, "the bag holds no manifests under data/");
	} else if (nfolders > 1 && (o->json || o->junit || o->html)) {
		status = cli_fail(verb, CLI_USAGE,
				  "bag '%s' holds manifests in %zu folders; choose one with --in "
				  "(e.g. --in %s)", dir, nfolders,
				  folders[0] + strlen(dir) + strlen("/data/"));
	} else {
		o->skip_empty = nfolders > 1;
		for (size_t i = 0; i < nfolders; i++) {
			int s;
			s = check_folder(verb, folders[i], opts, o);
			status = s > status ? s : status;
		}
	}
	for (size_t i = 0; i < nfolders; i++)
		free(folders[i]);
	rf_buf_free(&data);
	return status;
}
