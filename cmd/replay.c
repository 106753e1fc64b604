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
	"referee replay RECIPE.yaml --out DIR [--force] [--checkpoint-every N] [-j N] [--device D] [--batches] [--quiet]\n"
	"       referee replay --resume DIR --from STEP --out DIR [--force] [-j N] [--device D] [--quiet]\n"
	"       referee replay --check BAG|DIR [--in SUBDIR] [--tolerance X] [--out DIR [--force]] [-j N] [--device D] [--quiet]\n"
	"       referee replay --check BAG|DIR [--in SUBDIR] --segments S|all [--segment-steps N] [--seed HEX] [--budget SEC] [-j N] [--quiet]";

/* The real path of `p`, or of its nearest existing ancestor with the rest
 * appended (an --out that does not exist yet); NULL when unresolvable. */
static char *real_or_parent(const char *p)
{
	char *r = realpath(p, NULL), *dup, *slash;
	rf_buf b = RF_BUF_INIT;
	if (r || !(dup = strdup(p)))
		return r;
	slash = strrchr(dup, '/');
	if (slash && slash != dup) {
		*slash = '\0';
		r = real_or_parent(dup);
		if (r && !rf_buf_puts(&b, r) && !rf_buf_puts(&b, "/") &&
		    !rf_buf_puts(&b, slash + 1)) {
			free(r);
			r = rf_buf_detach(&b);
		}
	} else if (!slash) {
		char *cwd = realpath(".", NULL);
		if (cwd && !rf_buf_puts(&b, cwd) && !rf_buf_puts(&b, "/") &&
		    !rf_buf_puts(&b, dup))
			r = rf_buf_detach(&b);
		free(cwd);
	}
	rf_buf_free(&b);
	free(dup);
	return r;
}

/* 1 when `a` is `b`, an ancestor of `b` or inside `b` (real paths): a
 * --out that would replace the run being checked or resumed, or what
 * holds it.  Unresolvable paths count as nested (refused). */
static int same_or_nested(const char *a, const char *b)
{
	char *x = real_or_parent(a), *y = real_or_parent(b);
	int nested = 1;
	if (x && y) {
		size_t nx = strlen(x), ny = strlen(y), n = nx < ny ? nx : ny;
		nested = !strncmp(x, y, n) &&
			 (nx == ny || (nx < ny ? y[nx] == '/' || !strcmp(x, "/")
					       : x[ny] == '/' || !strcmp(y, "/")));
	}
	free(x);
	free(y);
	return nested;
}

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

/* What every run of a recipe shares: the recipe's bytes, threads, progress
 * on a terminal, the device and its module (REFEREE_CUDA_MODULE). */
static void run_options(rf_replay_options *opt, const rf_buf *text, int threads,
			int quiet)
{
	memset(opt, 0, sizeof *opt);
	opt->threads = threads;
	opt->recipe_text = text->data;
	opt->recipe_len = text->len;
	opt->progress = quiet ? NULL : progress_line;
	opt->device = device;
	opt->module_path = getenv("REFEREE_CUDA_MODULE");
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
		      int threads, int batches, int quiet, int every)
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
	run_options(&opt, &text, threads, quiet);
	opt.write_batches = batches;
	opt.checkpoint_every = every;
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

/* --resume DIR --from STEP: continue the run in DIR from its checkpoint at
 * STEP, with DIR's own recipe, into a new directory. */
static int resume_run(const char *from_dir, long step, const char *out,
		      int force, int threads, int quiet)
{
	rf_replay_recipe r;
	rf_buf text = RF_BUF_INIT, path = RF_BUF_INIT;
	rf_replay_options opt;
	out_dir od;
	int rc, status;
	if (same_or_nested(out, from_dir))
		return cli_fail("replay", CLI_USAGE,
				"--out: '%s' is, holds or lies inside the run being "
				"resumed", out);
	if ((rc = rf_path_join(&path, from_dir, "recipe.yaml")) ||
	    (rc = load_recipe(&r, &text, path.data))) {
		rf_buf_free(&path);
		rf_buf_free(&text);
		return cli_error("replay", rc);
	}
	rf_buf_free(&path);
	if ((status = out_prepare(&od, out, force))) {
		rf_buf_free(&text);
		return status;
	}
	run_options(&opt, &text, threads, quiet);
	rc = rf_replay_resume(&r, from_dir, (int)step, out_target(&od), &opt);
	rf_buf_free(&text);
	if (rc) {
		out_finish(&od, 0);
		return cli_error("replay", rc);
	}
	if ((status = out_finish(&od, 1)))
		return status;
	printf("replay resumed from step %ld of '%s', written to '%s'\n", step,
	       from_dir, out);
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

/* Where the replay is: --in SUBDIR names a folder of a bag's data/ (as
 * `check` does); else the bag's data/replay/ or the directory itself. */
static int find_replay(char **dir, const char *path, const char *in)
{
	rf_buf b = RF_BUF_INIT, data = RF_BUF_INIT;
	int rc;
	if (!in)
		return rf_replay_locate(dir, path);
	if ((rc = rf_path_join(&b, path, "bagit.txt")))
		return rc;
	if (!rf_path_exists(b.data)) {
		rf_buf_free(&b);
		return rf_error_set(RF_EINVAL, "--in is for bags; '%s' is not one",
				    path);
	}
	rf_buf_clear(&b);
	if (!(rc = rf_path_check_relative(in, "--in")) &&
	    !(rc = rf_path_join(&data, path, "data")) &&
	    !(rc = rf_path_join(&b, data.data, in)))
		rc = rf_path_check_inside(path, b.data);
	if (!rc)
		rc = rf_replay_locate(dir, b.data);
	rf_buf_free(&b);
	rf_buf_free(&data);
	return rc;
}

/* The spot-check report: what held, which segments were drawn and how
 * they fared, and what the check proves. */
static int print_spot(const rf_replay_spot *s)
{
	static const char *const st[] = {"agrees", "DIFFERS", "NOT SHIPPED",
					 "skipped (time budget)"};
	printf("spot-check seed: %016llx (repeat with --seed %016llx)\n",
	       (unsigned long long)s->seed, (unsigned long long)s->seed);
	if (s->chain_ok)
		printf("chain: the checkpoint index, every shipped checkpoint, the "
		       "log at each checkpoint and the summary hold together\n");
	else
		printf("chain: %s\n", s->chain_detail);
	printf("segments: %d of %d drawn (%d GRPO steps each, checkpoints every "
	       "%d; segment 0 is the warm-start)\n",
	       s->drawn, s->total, s->segment_steps, s->every);
	for (size_t i = 0; i < s->nseg; i++) {
		const rf_replay_segment *g = &s->seg[i];
		if (g->index == 0)
			printf("  segment 0 (warm-start to step 0): %s", st[g->status]);
		else
			printf("  segment %d (steps %d-%d): %s", g->index, g->from + 1,
			       g->to, st[g->status]);
		if (g->line)
			printf("; parts at log.jsonl:%ld", g->line);
		if (g->detail[0])
			printf(": %s", g->detail);
		if (g->status <= RF_SEGMENT_DIFFERS)
			printf(" (%.1f s)", g->seconds);
		printf("\n");
	}
	if (s->checked > 0) {
		printf("a run with a fraction f of its %d segments faked passes %d "
		       "random segment%s with probability at most (1-f)^%d: "
		       "f=0.1: %.3f, f=0.25: %.3f, f=0.5: %.3f; one faked segment "
		       "is caught with probability %d/%d\n",
		       s->total, s->checked, s->checked == 1 ? "" : "s", s->checked,
		       rf_replay_spot_escape(s->checked, s->total, 0.1),
		       rf_replay_spot_escape(s->checked, s->total, 0.25),
		       rf_replay_spot_escape(s->checked, s->total, 0.5), s->checked,
		       s->total);
	}
	printf("replay %s (spot-checked %d of %d segments, %.1f s)\n",
	       s->confirmed ? "SPOT-CHECKED" : "DIFFERS OR INCOMPLETE", s->checked,
	       s->total, s->seconds);
	return cli_finish(s->confirmed ? CLI_OK : CLI_FAILED);
}

static int spot_check(const char *dir, const rf_replay_spot_options *so,
		      int quiet)
{
	rf_replay_spot *s = NULL;
	rf_replay_spot_options o = *so;
	int rc, status;
	o.run.device = device;
	o.run.module_path = getenv("REFEREE_CUDA_MODULE");
	o.run.progress = NULL;
	if (!quiet)
		fprintf(stderr, "replay: spot-checking '%s'\n", dir);
	if ((rc = rf_replay_spot_check(&s, dir, &o)))
		return cli_error("replay", rc);
	status = print_spot(s);
	rf_replay_spot_free(s);
	return status;
}

static int check_replay(const char *path, const char *in, const char *keep,
			int force, double tol, int threads, int quiet,
			const rf_replay_spot_options *spot)
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
	if ((rc = find_replay(&dir, path, in)))
		return cli_error("replay", rc);
	if (spot) {
		status = spot_check(dir, spot, quiet);
		goto out;
	}
	/* the author's log and summary are read in full before the (long)
	 * re-run: a malformed file is named now, not minutes later */
	if ((rc = rf_replay_validate(dir))) {
		status = cli_error("replay", rc);
		goto out;
	}
	if (keep && (same_or_nested(keep, dir) || same_or_nested(keep, path))) {
		status = cli_fail("replay", CLI_USAGE,
				  "--out: '%s' is the replay being checked, holds it "
				  "or lies inside it",
				  keep);
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
	run_options(&opt, &text, threads, quiet);
	/* a checkpointed run is re-run with its checkpoints, so that the
	 * summary's index digest is compared too */
	opt.checkpoint_every = rf_replay_checkpointed(dir);
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
	const char *recipe = NULL, *out = NULL, *check = NULL, *resume = NULL,
		   *in = NULL;
	double tol = 0;
	int threads = 0, quiet = 0, batches = 0, force = 0, every = 0;
	int spot = 0, have_seed = 0;
	long from = -1;
	rf_replay_spot_options so;
	memset(&so, 0, sizeof so);

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
			       "within a tolerance (--check --tolerance), not bit for bit.\n\n"
			       "--checkpoint-every N writes DIR/checkpoints/ (weights, AdamW\n"
			       "state, reference model, index with SHA-256s and the RNG\n"
			       "position) after the warm-start, every N GRPO steps and at the\n"
			       "end.  --resume DIR --from STEP continues DIR's run from its\n"
			       "checkpoint at STEP into a new --out, with the bytes of the\n"
			       "uninterrupted run.  --check --segments S (or all) spot-checks\n"
			       "a checkpointed run: the index, files, log and summary must\n"
			       "hold together, then S segments drawn with --seed HEX (default:\n"
			       "from the OS; printed) are re-run from their start checkpoints\n"
			       "and compared (--segment-steps N: longer segments; --budget SEC:\n"
			       "start no segment past it).  --in SUBDIR: the replay in a bag's\n"
			       "data/SUBDIR.\n",
			       usage_text);
			return cli_finish(CLI_OK);
		} else if (!strcmp(a, "--out") && i + 1 < argc) {
			out = argv[++i];
		} else if (!strcmp(a, "--check") && i + 1 < argc) {
			check = argv[++i];
		} else if (!strcmp(a, "--in") && i + 1 < argc) {
			in = argv[++i];
		} else if (!strcmp(a, "--resume") && i + 1 < argc) {
			resume = argv[++i];
		} else if (!strcmp(a, "--from") && i + 1 < argc) {
			if ((from = cli_parse_long(argv[++i], 0, 1000000000L)) < 0)
				return cli_fail("replay", CLI_USAGE,
						"--from: expected a step, got '%s'",
						argv[i]);
		} else if (!strcmp(a, "--checkpoint-every") && i + 1 < argc) {
			long v = cli_parse_long(argv[++i], 1, 1000000000L);
			if (v < 0)
				return cli_fail("replay", CLI_USAGE,
						"--checkpoint-every: expected a number "
						"of steps >= 1, got '%s'",
						argv[i]);
			every = (int)v;
		} else if (!strcmp(a, "--segments") && i + 1 < argc) {
			long v = !strcmp(argv[++i], "all")
					 ? 1000000000L
					 : cli_parse_long(argv[i], 1, 1000000L);
			if (v < 0)
				return cli_fail("replay", CLI_USAGE,
						"--segments: expected a count >= 1 or "
						"'all', got '%s'",
						argv[i]);
			so.segments = (int)v;
			spot = 1;
		} else if (!strcmp(a, "--segment-steps") && i + 1 < argc) {
			long v = cli_parse_long(argv[++i], 1, 1000000000L);
			if (v < 0)
				return cli_fail("replay", CLI_USAGE,
						"--segment-steps: expected a number of "
						"steps >= 1, got '%s'",
						argv[i]);
			so.segment_steps = (int)v;
			spot = 1;
		} else if (!strcmp(a, "--seed") && i + 1 < argc) {
			char *end;
			const char *h = argv[++i];
			if (!strncmp(h, "0x", 2))
				h += 2;
			so.seed = strtoull(h, &end, 16);
			if (!*h || *end || strlen(h) > 16 || h[0] == '-' || h[0] == '+')
				return cli_fail("replay", CLI_USAGE,
						"--seed: expected up to 16 hex digits, "
						"got '%s'",
						argv[i]);
			have_seed = 1;
			spot = 1;
		} else if (!strcmp(a, "--budget") && i + 1 < argc) {
			char *end;
			so.budget_s = strtod(argv[++i], &end);
			if (*end || !(so.budget_s > 0) || !isfinite(so.budget_s))
				return cli_fail("replay", CLI_USAGE,
						"--budget: expected seconds > 0, got '%s'",
						argv[i]);
			spot = 1;
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
	if ((in || spot) && !check)
		return cli_usage(usage_text);
	if (check) {
		if (recipe || batches || resume || from >= 0 || every ||
		    (spot && (out || tol > 0)))
			return cli_usage(usage_text);
		if (spot) {
			int rc;
			so.run.threads = threads;
			/* the draw is the reviewer's: a given seed, else the OS's;
			 * never anything from the author's files */
			if (!have_seed && (rc = rf_replay_spot_seed_random(&so.seed)))
				return cli_error("replay", rc);
		}
		return check_replay(check, in, out, force, tol, threads, quiet,
				    spot ? &so : NULL);
	}
	if (resume) {
		if (recipe || batches || every || from < 0 || !out)
			return cli_usage(usage_text);
		return resume_run(resume, from, out, force, threads, quiet);
	}
	if (!recipe || !out || from >= 0)
		return cli_usage(usage_text);
	return run_recipe(recipe, out, force, threads, batches, quiet, every);
}
