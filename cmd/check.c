/* referee check — recompute every claimed figure from the evidence and give
 * each a verdict: lints the manifests, derives, prints the table (text,
 * --json, --junit FILE, --html FILE).  Exit 1 if any claim is INCONSISTENT
 * or IMPOSSIBLE, 2 for malformed or unreadable manifests. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage_text[] =
	"referee check [--explain] [--json] [--junit FILE] [--html FILE]\n"
	"                     [--suspicious-mfu PCT] [--approx PCT] [-q] DIR";

static int parse_pct(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || (*end && strcmp(end, "%")) || !(v > 0 && v < 1000))
		return -1;
	*out = v / 100;
	return 0;
}

static int write_report(const char *verb, const char *path, const rf_buf *b)
{
	int rc = rf_file_write_atomic(path, b->data ? b->data : "", b->len, 0644, 1);
	return rc ? cli_error(verb, rc) : 0;
}

/* Register the derivation sources this build has: one line per source. */
static int add_sources(rf_check *c)
{
	(void)c;
	if (rf_check_add_source(c, rf_rescore_claims_source())) return rf_error_last_code();
	return 0;
}

int cmd_check(int argc, char **argv)
{
	const char *junit = NULL, *html = NULL, *dir = NULL;
	int explain = 0, json = 0, quiet = 0, rc, status;
	rf_check_options opts = {0};
	rf_check *c = NULL;
	rf_report *rep = NULL;
	rf_buf out = RF_BUF_INIT, title = RF_BUF_INIT;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--explain"))
			explain = 1;
		else if (!strcmp(a, "--json"))
			json = 1;
		else if (!strcmp(a, "-q") || !strcmp(a, "--quiet"))
			quiet = 1;
		else if (!strcmp(a, "--junit") && i + 1 < argc)
			junit = argv[++i];
		else if (!strcmp(a, "--html") && i + 1 < argc)
			html = argv[++i];
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
			       "Recompute every claimed figure of the manifests in DIR and give\n"
			       "each a verdict: CONFIRMED, INCONSISTENT, SUSPICIOUS, IMPOSSIBLE,\n"
			       "UNVERIFIABLE.  exit: 0 no claim fails, 1 some claim is INCONSISTENT\n"
			       "or IMPOSSIBLE, 2 malformed or unreadable input, 3 internal error\n",
			       usage_text);
			return cli_finish(CLI_OK);
		} else if (a[0] == '-' || dir) {
			return cli_usage(usage_text);
		} else {
			dir = a;
		}
	}
	if (!dir)
		return cli_usage(usage_text);

	rc = rf_check_new(&c, &opts);
	if (!rc)
		rc = add_sources(c);
	if (!rc)
		rc = rf_check_load_dir(c, dir);
	if (!rc)
		rc = rf_check_run(c);
	if (!rc) {
		rf_buf_printf(&title, "referee check %s", dir);
		rc = rf_check_report(&rep, c, title.data);
	}
	if (rc) {
		status = cli_error(argv[0], rc);
		goto done;
	}
	if (json)
		rc = rf_report_render_json(&out, rep);
	else if (!quiet)
		rc = rf_report_render_text(&out, rep, explain);
	if (!rc && out.len)
		fwrite(out.data, 1, out.len, stdout);
	if (!rc && junit) {
		rf_buf_clear(&out);
		rc = rf_report_render_junit(&out, rep);
		if (!rc && write_report(argv[0], junit, &out)) {
			status = CLI_USAGE;
			goto done;
		}
	}
	if (!rc && html) {
		rf_buf_clear(&out);
		rc = rf_report_render_html(&out, rep);
		if (!rc && write_report(argv[0], html, &out)) {
			status = CLI_USAGE;
			goto done;
		}
	}
	if (rc) {
		status = cli_error(argv[0], rc);
		goto done;
	}
	status = rf_check_failed(c) ? CLI_FAILED : CLI_OK;
	if (status == CLI_FAILED && !json)
		fprintf(stderr, "referee check: %zu claim(s) INCONSISTENT, %zu IMPOSSIBLE\n",
			rf_check_tally(c, RF_VERDICT_INCONSISTENT),
			rf_check_tally(c, RF_VERDICT_IMPOSSIBLE));
done:
	rf_report_free(rep);
	rf_check_free(c);
	rf_buf_free(&out);
	rf_buf_free(&title);
	return cli_finish(status);
}
