/* referee replay: run a GRPO replay recipe (warm-start + GRPO on CPU) into a
 * directory, or --check an author's replay (a bundle or a directory) by
 * re-running its recipe and comparing logs and the weights' digest. */
#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bagcli.h"
#include "cli.h"
#include "signing.h"

static const char usage_text[] =
	"referee replay RECIPE.yaml --out DIR [--force] [-j N] [--device D] [--batches] [--quiet]\n"
	"       referee replay --check BAG|DIR [--tolerance X] [--out DIR [--force]] [-j N] [--device D] [--quiet]";

/* --device: cpu (default), cuda or cuda:N; the CUDA module may be named by
 * REFEREE_CUDA_MODULE (the library itself reads no environment). */
static const char *device;

static int progress_line(void *ctx, const rf_replay_progress *p)
{
	(void)ctx;
	fprintf(stderr, "replay: step %d/%d  reward ", p->step, p->steps);
	if (isnan(p->reward_mean))
		fprintf(stderr, "    - ");
	else
		fprintf(stderr, "%.3f", p->reward_mean);
	fprintf(stderr, "  held-out accuracy %.3f  kl ", p->accuracy);
	if (isnan(p->kl))
		fprintf(stderr, "     -");
	else
		fprintf(stderr, "%.4f", p->kl);
	fprintf(stderr, "  %.0f tok/s  %.1fs\n", p->tokens_per_s, p->seconds);
	return 0;
}

static int load_recipe(rf_replay_recipe *r, rf_buf *text, const char *path)
{
	int rc = rf_file_read(text, path, 1u << 20);
	if (rc)
		return rc;
	rf_replay_recipe_defaults(r);
	return rf_replay_recipe_parse(r, text->data ? text->data : "", text->len,
				      path);
}

/* Where a run writes.  An existing non-empty --out is refused unless
 * --force; with --force the run goes to a fresh sibling that replaces DIR
 * only once the run has succeeded, so a failed run never costs the old one. */
typedef struct out_dir {
	const char *path; /* what the user named */
	rf_buf tmp;       /* the sibling written instead, when replacing */
} out_dir;

/* 1 when `path` exists and is not an empty directory */
static int in_use(const char *path, int *is_dir)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	int used = 0;
	*is_dir = 0;
	if (lstat(path, &st))
		return 0;
	if (!S_ISDIR(st.st_mode))
		return 1;
	*is_dir = 1;
	if (!(d = opendir(path)))
		return 1;
	while (!used && (e = readdir(d)))
		used = strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return used;
}

/* 0 when the run may go ahead (o->tmp set when it must be swapped in),
 * else the exit status (message printed). */
static int out_prepare(out_dir *o, const char *path, int force)
{
	int is_dir, rc;
	o->path = path;
	o->tmp = (rf_buf)RF_BUF_INIT;
	if (!in_use(path, &is_dir))
		return 0;
	if (!is_dir)
		return cli_fail("replay", CLI_USAGE,
				"--out: '%s' exists and is not a directory", path);
	if (!force)
		return cli_fail("replay", CLI_USAGE,
				"--out: '%s' exists and is not empty (--force "
				"replaces it once the new run has succeeded)",
				path);
	if ((rc = rf_dir_mktemp_sibling(&o->tmp, path)))
		return cli_error("replay", rc);
	return 0;
}

static const char *out_target(const out_dir *o)
{
	return o->tmp.len ? o->tmp.data : o->path;
}

/* After the run: when it succeeded, swap the new directory in (the old
 * one is moved aside first, then removed); when it failed, drop the new
 * one and leave the old untouched.  0, or an exit status. */
static int out_finish(out_dir *o, int succeeded)
{
	rf_buf old = RF_BUF_INIT;
	int rc = 0;
	if (!o->tmp.len)
		return 0;
	if (!succeeded) {
		rf_dir_remove_tree(o->tmp.data);
		rf_buf_free(&o->tmp);
		return 0;
	}
	/* rename() replaces the empty placeholder directory atomically */
	if ((rc = rf_dir_mktemp_sibling(&old, o->path)) ||
	    rename(o->path, old.data)) {
		rc = rc ? cli_error("replay", rc)
			: cli_fail("replay", CLI_INTERNAL,
				   "cannot move '%s' aside; the new run is in '%s'",
				   o->path, o->tmp.data);
	} else if (rename(o->tmp.data, o->path)) {
		rc = cli_fail("replay", CLI_INTERNAL,
			      "cannot move the new run into '%s'; the old run is "
			      "in '%s', the new one in '%s'",
			      o->path, old.data, o->tmp.data);
	} else {
		rf_dir_remove_tree(old.data);
	}
	rf_buf_free(&old);
	rf_buf_free(&o->tmp);
	return rc;
}

static int run_recipe(const char *path, const char *out, int force,
		      int threads, int batches, int quiet)
{
	rf_replay_recipe r;
	rf_buf text = RF_BUF_INIT;
	rf_replay_options opt;
	out_dir od;
	int rc = load_recipe(&r, &text, path), status;
	if (rc) {
		rf_buf_free(&text);
		return cli_error("replay", rc);
	}
	if ((status = out_prepare(&od, out, force))) {
		rf_buf_free(&text);
		return status;
	}
	memset(&opt, 0, sizeof opt);
	opt.threads = threads;
	opt.recipe_text = text.data;
	opt.recipe_len = text.len;
	opt.write_batches = batches;
	opt.progress = quiet ? NULL : progress_line;
	opt.device = device;
	opt.module_path = getenv("REFEREE_CUDA_MODULE");
	rc = rf_replay_run(&r, out_target(&od), &opt);
	rf_buf_free(&text);
	if (rc) {
		out_finish(&od, 0);
		return cli_error("replay", rc);
	}
	if ((status = out_finish(&od, 1)))
		return status;
	printf("replay written to '%s' (log.jsonl, model.safetensors, summary.json)\n",
	       out);
	return cli_finish(CLI_OK);
}

/* A bundle is verified exactly as `referee verify` verifies it (the signed
 * statement against the files, BagIt, provenance) before anything in it is
 * trusted: 0 when `path` is not a bag or verifies, else the exit status
 * (problems printed). */
static int verify_bundle(const char *path, int threads, int quiet)
{
	rf_buf b = RF_BUF_INIT;
	struct signing_verify sig = {0};
	rf_bundle_result *res = NULL;
	int status, isbag;
	if (rf_path_join(&b, path, "bagit.txt"))
		return CLI_INTERNAL;
	isbag = rf_path_exists(b.data);
	rf_buf_free(&b);
	if (!isbag)
		return 0;
	sig.threads = threads;
	status = signing_bundle_run(&res, &sig, "replay", path, NULL, quiet);
	if (!res)
		return status;
	if (res->status && res->report) {
		for (size_t i = 0; i < rf_bag_report_count(res->report); i++) {
			const rf_bag_problem *p = rf_bag_report_at(res->report, i);
			printf("bundle: %s: '%s': %s\n", rf_bag_problem_kind_name(p->kind),
			       cli_tty(p->path), cli_tty(p->message));
		}
	} else if (res->status) {
		printf("bundle: %s\n", cli_tty(res->reason));
	}
	if (!quiet || res->status)
		signing_bundle_verdict(stdout, path, res);
	rf_bundle_result_free(res);
	if (status) {
		printf("replay NOT CHECKED: the bundle does not verify\n");
		return cli_finish(status);
	}
	return 0;
}

/* 1 when `a` and `b` name the same existing directory */
static int same_dir(const char *a, const char *b)
{
	struct stat sa, sb;
	return !stat(a, &sa) && !stat(b, &sb) && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

static int check_replay(const char *path, const char *keep, int force,
			double tol, int threads, int quiet)
{
	char *dir = NULL, tmpl[] = "/tmp/referee-replay-XXXXXX";
	const char *rerun;
	rf_buf recipe_path = RF_BUF_INIT, text = RF_BUF_INIT;
	rf_replay_recipe r;
	rf_replay_options opt;
	rf_replay_diff d;
	out_dir od;
	int rc, status;

	od.tmp = (rf_buf)RF_BUF_INIT;
	if ((status = verify_bundle(path, threads, quiet)))
		return status;
	if ((rc = rf_replay_locate(&dir, path)))
		return cli_error("replay", rc);
	/* the author's log and summary are read in full before the (long)
	 * re-run: a malformed file is named now, not minutes later */
	if ((rc = rf_replay_validate(dir))) {
		status = cli_error("replay", rc);
		goto out;
	}
	if (keep && same_dir(keep, dir)) {
		status = cli_fail("replay", CLI_USAGE,
				  "--out: '%s' is the replay being checked", keep);
		goto out;
	}
	if ((rc = rf_path_join(&recipe_path, dir, "recipe.yaml")) ||
	    (rc = load_recipe(&r, &text, recipe_path.data))) {
		status = cli_error("replay", rc);
		goto out;
	}
	if (keep) {
		if ((status = out_prepare(&od, keep, force)))
			goto out;
		rerun = out_target(&od);
	} else {
		const char *tmp = getenv("TMPDIR");
		static char buf[4096];
		if (tmp && *tmp && strlen(tmp) < sizeof buf - 32)
			snprintf(buf, sizeof buf, "%s/referee-replay-XXXXXX", tmp);
		else
			snprintf(buf, sizeof buf, "%s", tmpl);
		if (!mkdtemp(buf)) {
			status = cli_fail("replay", CLI_INTERNAL,
					  "cannot create a temporary directory");
			goto out;
		}
		rerun = buf;
	}
	memset(&opt, 0, sizeof opt);
	opt.threads = threads;
	opt.recipe_text = text.data;
	opt.recipe_len = text.len;
	opt.progress = quiet ? NULL : progress_line;
	opt.device = device;
	opt.module_path = getenv("REFEREE_CUDA_MODULE");
	if (!quiet)
		fprintf(stderr, "replay: re-running '%s'\n", recipe_path.data);
	rc = rf_replay_run(&r, rerun, &opt);
	if (!rc)
		rc = rf_replay_compare(&d, dir, rerun, tol);
	if (!keep)
		rf_dir_remove_tree(rerun);
	else if ((status = out_finish(&od, !rc)))
		goto out;
	if (rc) {
		status = cli_error("replay", rc);
		goto out;
	}
	if (d.log_ok) {
		printf("log: every row agrees with the author's%s\n",
		       tol > 0 ? " (within the tolerance)" : ", bit for bit");
	} else if (d.metric[0] && !d.detail[0]) {
		printf("log: parts at line %ld (%s step %ld): %s is %.9g in the "
		       "author's log, %.9g in the re-run (differs by %.3g)\n",
		       d.line, cli_tty(d.kind), d.step, cli_tty(d.metric), d.author,
		       d.replay, d.replay - d.author);
	} else {
		printf("log: parts at line %ld (%s step %ld)%s%s: %s\n", d.line,
		       cli_tty(d.kind), d.step, d.metric[0] ? ", " : "", cli_tty(d.metric),
		       cli_tty(d.detail));
	}
	if (d.summary_ok)
		printf("summary: every figure agrees with the re-run's\n");
	else
		printf("summary: %s\n", cli_tty(d.summary_detail));
	printf("weights: sha256 %s %s %s\n", cli_tty(d.replay_digest),
	       d.digest_ok ? "==" : "!=", cli_tty(d.author_digest));
	if (d.model_present && d.model_ok)
		printf("weights: the shipped model.safetensors hashes to the "
		       "summary's digest\n");
	else if (d.model_present)
		printf("weights: the shipped model.safetensors hashes to %s, not "
		       "the summary's %s\n",
		       cli_tty(d.model_digest), cli_tty(d.author_digest));
	if (!d.digest_ok && tol > 0 && d.log_ok && d.summary_ok && d.model_ok)
		printf("weights: differ, accepted under --tolerance\n");
	printf("%s\n", d.identical ? "replay CONFIRMED" : "replay DIFFERS");
	status = d.identical ? CLI_OK : CLI_FAILED;
	status = cli_finish(status);
out:
	free(dir);
	rf_buf_free(&recipe_path);
	rf_buf_free(&text);
	return status;
}

int cmd_replay(int argc, char **argv)
{
	const char *recipe = NULL, *out = NULL, *check = NULL;
	double tol = 0;
	int threads = 0, quiet = 0, batches = 0, force = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			printf("usage: %s\n\n"
			       "Run a replay-recipe (manifests/README.md): a supervised\n"
			       "warm-start, then GRPO with rule-based rewards; writes\n"
			       "DIR/log.jsonl, DIR/model.safetensors, DIR/summary.json and\n"
			       "DIR/recipe.yaml.  Same recipe and seed: the same log and\n"
			       "weights digest on any number of threads.  --batches also\n"
			       "writes every GRPO batch for 'referee grpo audit'.  An\n"
			       "existing non-empty DIR is refused (exit 2) unless --force,\n"
			       "which replaces it only after the new run has succeeded.\n\n"
			       "--check first validates the author's log.jsonl and\n"
			       "summary.json (exit 2 naming file:line), then re-runs the\n"
			       "replay found in a bundle (data/replay/) or a directory and\n"
			       "compares: exit 0 when the logs, every figure of the summary\n"
			       "and the weights' digest agree and a shipped\n"
			       "model.safetensors hashes to that digest; 1 with the first\n"
			       "step and metric where they part.  --tolerance X accepts\n"
			       "differences up to X (absolute, or relative above 1) for\n"
			       "runs on other hardware.  --out DIR keeps the re-run.\n\n"
			       "--device cuda[:N] runs the model on an NVIDIA GPU through the\n"
			       "CUDA module (referee-cuda.so, next to referee or in LIBDIR, or\n"
			       "REFEREE_CUDA_MODULE); same recipe and seed on the same GPU\n"
			       "model: the same log and digest.  A GPU run agrees with the CPU\n"
			       "within a tolerance (--check --tolerance), not bit for bit.\n",
			       usage_text);
			return cli_finish(CLI_OK);
		} else if (!strcmp(a, "--out") && i + 1 < argc) {
			out = argv[++i];
		} else if (!strcmp(a, "--check") && i + 1 < argc) {
			check = argv[++i];
		} else if (!strcmp(a, "--tolerance") && i + 1 < argc) {
			char *end;
			tol = strtod(argv[++i], &end);
			if (*end || !(tol >= 0) || !isfinite(tol))
				return cli_fail("replay", CLI_USAGE,
						"--tolerance: expected a number >= 0, got '%s'",
						argv[i]);
		} else if (!strcmp(a, "-j") && i + 1 < argc) {
			long v = cli_parse_long(argv[++i], 1, 1024);
			if (v < 0)
				return cli_fail("replay", CLI_USAGE,
						"-j: expected 1..1024, got '%s'", argv[i]);
			threads = (int)v;
		} else if (!strcmp(a, "--device") && i + 1 < argc) {
			device = argv[++i];
		} else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
			quiet = 1;
		} else if (!strcmp(a, "--batches")) {
			batches = 1;
		} else if (!strcmp(a, "--force")) {
			force = 1;
		} else if (a[0] == '-' && a[1]) {
			return cli_bad_arg(argv[0], a, usage_text);
		} else if (!recipe) {
			recipe = a;
		} else {
			return cli_bad_arg(argv[0], a, usage_text);
		}
	}
	if (force && !out)
		return cli_usage(usage_text);
	if (check) {
		if (recipe || batches)
			return cli_usage(usage_text);
		return check_replay(check, out, force, tol, threads, quiet);
	}
	if (!recipe || !out)
		return cli_usage(usage_text);
	return run_recipe(recipe, out, force, threads, batches, quiet);
}
