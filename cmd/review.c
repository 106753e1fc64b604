/* referee review — the reviewer's one command: verify the bundle, check
 * every claim, re-run every replay (within a budget), audit every logged
 * GRPO batch; one verdict table, one exit code (the worst of the parts),
 * and the report files CI shows (written whatever the verdict). */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static const char usage_text[] =
	"referee review [--trust PATH] [--min-signatures N] [--require-signature]\n"
	"                      [--replay full|skip] [--budget DURATION] [--tolerance X]\n"
	"                      [--html FILE] [--json FILE] [--junit FILE] [--markdown FILE]\n"
	"                      [-j N] [--device D] [--no-hw] [-q] BAG|DIR";

static void help(void)
{
	printf("usage: %s\n\n"
	       "Review a bundle in one run, in this order: its integrity and provenance\n"
	       "(as 'verify'), its signatures (with --trust), every claims manifest (as\n"
	       "'check'), every replay it holds (as 'replay --check'), every logged GRPO\n"
	       "batch (as 'grpo audit').  Prints one verdict table; the exit code is the\n"
	       "worst of the parts.  A plain folder is reviewed too, and the report says\n"
	       "that no integrity or signature check ran.  Nothing in a bag that does\n"
	       "not verify is believed: its claims, replays and audits are not run.\n\n"
	       "options:\n"
	       "      --trust PATH          check the signatures against these keys (a .pub,\n"
	       "                            a folder of them, an allowed-signers file)\n"
	       "      --min-signatures N    distinct trusted signers required (default 1)\n"
	       "      --require-signature   an unsigned bag fails\n"
	       "      --replay full|skip    re-run the replays (default full) or not\n"
	       "      --budget DURATION     time for the whole review (90s, 10m, 1h30m);\n"
	       "                            replays that do not fit are reported NOT RUN,\n"
	       "                            never passed\n"
	       "      --tolerance X         replay logs may differ by X (default 0: bit-exact)\n"
	       "      --html FILE           write a self-contained HTML report\n"
	       "      --json FILE           write the review as JSON\n"
	       "      --junit FILE          write JUnit XML, one test case per check\n"
	       "      --markdown FILE       write a Markdown table (pull request, CI summary)\n"
	       "  -j, --jobs N              threads (default: all cores)\n"
	       "      --device D            where replays run: cpu (default), cuda, cuda:N\n"
	       "      --no-hw               leave the reviewer's hardware out of the report\n"
	       "  -q, --quiet               no table and no progress; only the exit code\n"
	       "  -h, --help                this help\n\n"
	       "The report files are written whatever the verdict, also for a tampered\n"
	       "bag or a malformed manifest (the error is in them).\n\n"
	       "exit: 0 everything holds, 1 a check failed (tampered file, bad signature,\n"
	       "a claim, replay or audit that does not hold), 2 unreadable or malformed\n"
	       "input or bad usage, 3 internal error\n",
	       usage_text);
}

/* "90", "90s", "10m", "1h30m", "2h": seconds, or -1. */
static double parse_duration(const char *s)
{
	double total = 0;
	int any = 0;
	while (*s) {
		char *end;
		double v = strtod(s, &end);
		if (end == s || v < 0)
			return -1;
		switch (*end) {
		case 'h': v *= 3600; end++; break;
		case 'm': v *= 60; end++; break;
		case 's': end++; break;
		case '\0': break;
		default: return -1;
		}
		total += v;
		any = 1;
		s = end;
	}
	return any && total > 0 ? total : -1;
}

/* The progress line: one per stage on a terminal, updated in place. */
struct progress {
	int enabled;
	double last;
	char stage[32];
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_progress(void *ctx, const char *stage, const char *detail)
{
	struct progress *p = ctx;
	double t = now();
	if (!p->enabled)
		return;
	if (strcmp(stage, p->stage)) {
		if (p->stage[0])
			fputc('\n', stderr);
		snprintf(p->stage, sizeof p->stage, "%s", stage);
		fprintf(stderr, "review: %s", stage);
		p->last = 0;
	}
	if (!detail || t - p->last < 0.1)
		return;
	p->last = t;
	/* the detail may name a file of the bundle: escaped */
	{
		rf_buf safe = RF_BUF_INIT;
		if (rf_escape(&safe, detail, RF_ESCAPE_TERMINAL) == 0 && safe.data)
			fprintf(stderr, "\rreview: %s: %s\033[K", stage, safe.data);
		rf_buf_free(&safe);
	}
	fflush(stderr);
}

static int write_report(const char *verb, const rf_review *r, rf_review_format f, const char *path)
{
	rf_buf out = RF_BUF_INIT;
	int rc;
	if (!path)
		return 0;
	rc = rf_review_render(&out, r, f);
	if (!rc)
		rc = rf_file_write_atomic(path, out.data ? out.data : "", out.len, 0644, 1);
	rf_buf_free(&out);
	return rc ? cli_error(verb, rc) : 0;
}

int cmd_review(int argc, char **argv)
{
	rf_review_opts o = RF_REVIEW_OPTS_INIT;
	const char *path = NULL, *html = NULL, *json = NULL, *junit = NULL, *md = NULL;
	const char *verb = argv[0];
	struct progress prog = {0, 0, ""};
	rf_review *r = NULL;
	int quiet = 0, rc, status, st;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			help();
			return cli_finish(CLI_OK);
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			quiet = 1;
		} else if (!strcmp(a, "--require-signature")) {
			o.require_signature = 1;
		} else if (!strcmp(a, "--no-hw")) {
			o.no_hw = 1;
		} else if (v && !strcmp(a, "--trust")) {
			o.trust = argv[++i];
		} else if (v && !strcmp(a, "--min-signatures")) {
			long n = cli_parse_long(argv[++i], 1, RF_DSSE_MAX_SIGNATURES);
			if (n < 0)
				return cli_fail(verb, CLI_USAGE,
						"--min-signatures wants a number from 1 to %d, not '%s'",
						RF_DSSE_MAX_SIGNATURES, argv[i]);
			o.min_signatures = (size_t)n;
		} else if (v && !strcmp(a, "--replay")) {
			if (!strcmp(v, "full"))
				o.replay = RF_REVIEW_REPLAY_FULL;
			else if (!strcmp(v, "skip"))
				o.replay = RF_REVIEW_REPLAY_SKIP;
			else
				return cli_fail(verb, CLI_USAGE, "--replay wants full or skip, not '%s'", v);
			i++;
		} else if (v && !strcmp(a, "--budget")) {
			if ((o.budget_s = parse_duration(v)) < 0)
				return cli_fail(verb, CLI_USAGE,
						"--budget wants a duration (90s, 10m, 1h30m), not '%s'", v);
			i++;
		} else if (v && !strcmp(a, "--tolerance")) {
			char *end;
			o.tolerance = strtod(v, &end);
			if (end == v || *end || !(o.tolerance >= 0 && o.tolerance < 1))
				return cli_fail(verb, CLI_USAGE,
						"--tolerance wants a number from 0 to 1, not '%s'", v);
			i++;
		} else if (v && (!strcmp(a, "-j") || !strcmp(a, "--jobs"))) {
			long j = cli_parse_long(v, 1, 1024);
			if (j < 0)
				return cli_fail(verb, CLI_USAGE, "-j wants a number from 1 to 1024, not '%s'", v);
			o.threads = (int)j;
			i++;
		} else if (v && !strcmp(a, "--device")) {
			o.device = argv[++i];
		} else if (v && !strcmp(a, "--html")) {
			html = argv[++i];
		} else if (v && !strcmp(a, "--json")) {
			json = argv[++i];
		} else if (v && !strcmp(a, "--junit")) {
			junit = argv[++i];
		} else if (v && !strcmp(a, "--markdown")) {
			md = argv[++i];
		} else if ((a[0] == '-' && a[1]) || path) {
			return cli_bad_arg(verb, a, usage_text);
		} else {
			path = a;
		}
	}
	if (!path)
		return cli_usage(usage_text);

	o.tmp_dir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	o.module_path = getenv("REFEREE_CUDA_MODULE");
	o.nvml_library = "libnvidia-ml.so.1";
	prog.enabled = cli_progress_allowed(quiet);
	o.progress = on_progress;
	o.progress_ctx = &prog;
	if ((rc = rf_review_run(&r, path, &o)) != 0)
		return cli_error(verb, rc);
	if (prog.enabled && prog.stage[0])
		fprintf(stderr, "\r\033[K");
	status = rf_review_exit(r);
	if (!quiet) {
		rf_buf out = RF_BUF_INIT;
		if (rf_review_render(&out, r, RF_REVIEW_TEXT) == 0 && out.len)
			fwrite(out.data, 1, out.len, stdout);
		rf_buf_free(&out);
	}
	/* every report, whatever the verdict: CI always has one to show */
	{
		const char *files[] = {html, json, junit, md};
		const rf_review_format formats[] = {RF_REVIEW_HTML, RF_REVIEW_JSON, RF_REVIEW_JUNIT,
						    RF_REVIEW_MARKDOWN};
		for (size_t i = 0; i < 4; i++)
			if ((st = write_report(verb, r, formats[i], files[i])) > status)
				status = st;
	}
	rf_review_free(r);
	return cli_finish(status);
}
