/* referee rescore — re-apply rule-based rewards to model outputs (JSON
 * Lines rollouts) and print pass@1, pass@k and cons@k with bootstrap
 * intervals; optionally write every sample's verdict as JSON Lines. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static const char usage_line[] =
    "referee rescore ROLLOUTS.jsonl [--reward SPEC | --config FILE] [--map "
    "KEY=FIELD]... "
    "[--format NAME] [--k N] [-j N] [--samples OUT.jsonl] [--json]";

static void help(void)
{
	printf("usage: %s\n\n", usage_line);
	printf(
	    "Re-score model outputs with rule-based rewards.  ROLLOUTS is JSON "
	    "Lines\n"
	    "('-' reads standard input): either one problem per line with a "
	    "list of\n"
	    "completions, or one completion per line (consecutive lines with "
	    "the same\n"
	    "problem id form one problem; an id that comes back later is an "
	    "error).\n"
	    "\n"
	    "options:\n"
	    "  --reward SPEC        math (default), format, language, "
	    "countdown, or a\n"
	    "                       weighted sum: math:0.9,format:0.1\n"
	    "  --config FILE        the reward a training-config manifest "
	    "declares\n"
	    "                       (its rewards: list, weights and params)\n"
	    "  --map KEY=FIELD      where to find KEY in a line; KEY is id, "
	    "completion,\n"
	    "                       answer or numbers; FIELD may be a dotted "
	    "path.\n"
	    "                       Defaults (first present wins):\n");
	const char *keys[] = {"id", "completion", "answer", "numbers"};
	for (int i = 0; i < 4; i++) {
		const char *const *d = rf_rescore_default_fields(keys[i]);
		printf("                         %-10s ", keys[i]);
		for (int j = 0; d[j]; j++)
			printf("%s%s", j ? ", " : "", d[j]);
		printf("\n");
	}
	printf("  formats (--format):\n");
	for (const char *const *f = rf_rescore_format_names(); *f; f++)
		printf("                         %-12s %s\n", *f,
		       rf_rescore_format_tool(*f));
	printf("  --k N                k of pass@k and cons@k (default: the "
	       "first problem's\n"
	       "                       number of samples)\n"
	       "  -j, --threads N      threads (default: all cores)\n"
	       "  --samples OUT        write each sample's verdict as JSON "
	       "Lines ('-': stdout)\n"
	       "  --json               print the summary as JSON\n"
	       "  --format NAME        input format (default: detected from "
	       "the first line)\n"
	       "  --extract RULES      math: where the answer is: "
	       "boxed,answer-is,last-number,\n"
	       "                       or a preset: boxed-only (default, "
	       "R1's rule) or harness\n"
	       "                       (prose answers as evaluation harnesses "
	       "credit them; never\n"
	       "                       in an unfinished or truncated output)\n"
	       "  --think-open TAG, --think-close TAG, --answer-open TAG, "
	       "--answer-close TAG\n"
	       "                       format tags (default <think> </think>, "
	       "no answer tag)\n"
	       "  --language CODE      language reward's target (en, zh, ru, "
	       "...; default en)\n"
	       "  --pass-threshold X   a sample is correct when its reward >= "
	       "X (default 1)\n"
	       "  --seed N             bootstrap seed (default %lu)\n"
	       "  --bootstrap N        bootstrap replicates (default %d; 0: "
	       "none)\n"
	       "\n"
	       "exit status: 0 scored, 2 bad usage or unreadable input, 3 "
	       "internal failure\n",
	       RF_RESCORE_SEED, RF_RESCORE_BOOTSTRAP);
}

/* The options that take a value (all but --json and --help). */
static int takes_value(const char *a)
{
	static const char *const opts[] = {
	    "--reward",	     "--config",       "--map",		"--k",
	    "-j",	     "--threads",      "--samples",	"--seed",
	    "--bootstrap",   "--extract",      "--think-open",	"--think-close",
	    "--answer-open", "--answer-close", "--language",	"--pass-threshold",
	    "--think-at-start", "--format", NULL};
	for (int i = 0; opts[i]; i++)
		if (!strcmp(a, opts[i]))
			return 1;
	return 0;
}

struct out {
	FILE *f;
	rf_buf line;
};

static int write_sample(void *ctx, const rf_rescore_sample *s)
{
	struct out *o = ctx;
	int rc;
	rf_buf_clear(&o->line);
	if ((rc = rf_rescore_sample_json(&o->line, s)) != 0 ||
	    (rc = rf_buf_puts(&o->line, "\n")) != 0)
		return rc;
	if (fwrite(o->line.data, 1, o->line.len, o->f) != o->line.len)
		return rf_error_set(RF_EIO, "cannot write samples: %s",
				    strerror(errno));
	return 0;
}

static int print_json(const char *path, const rf_reward *rw,
		      const rf_rescore_summary *s)
{
	rf_buf b = RF_BUF_INIT;
	int rc = rf_rescore_summary_json(&b, s, path, rf_reward_spec(rw));
	if (!rc)
		puts(b.data);
	rf_buf_free(&b);
	return rc;
}

static void print_row(const char *name, const rf_metric *m, int percent)
{
	double f = percent ? 100 : 1;
	const char *u = percent ? "%" : "";
	if (isnan(m->value)) {
		printf("  %-12s %10s\n", name, "n/a");
		return;
	}
	/* percentages with 2 decimals, plain numbers with 4: same width */
	if (isnan(m->lo))
		printf("  %-12s %9.*f%s  %8zu\n", name, percent ? 2 : 4,
		       m->value * f, percent ? u : " ", m->problems);
	else
		printf("  %-12s %9.*f%s  %8zu   [%.*f%s, %.*f%s]\n", name,
		       percent ? 2 : 4, m->value * f, percent ? u : " ",
		       m->problems, percent ? 2 : 4, m->lo * f, u,
		       percent ? 2 : 4, m->hi * f, u);
}

static void print_table(const char *path, const rf_reward *rw,
			const rf_rescore_summary *s)
{
	char name[32];
	printf("rescore '%s': reward %s, format %s\n", path, rf_reward_spec(rw),
	       s->format);
	if (s->answers[0])
		printf("  answers: %s\n", s->answers);
	printf("  %zu problems, %zu samples (%zu", s->problems, s->samples,
	       s->n_min);
	if (s->n_max != s->n_min)
		printf("-%zu", s->n_max);
	printf(" per problem), %zu correct, %zu without an answer\n",
	       s->correct, s->no_answer);
	if (s->truncated)
		printf("  %zu samples were cut off at the length limit (no "
		       "fallback read them)\n",
		       s->truncated);
	if (s->noted)
		printf("  %zu samples carry a note from the %s reader (see "
		       "--samples)\n",
		       s->noted, s->format);
	if (s->short_problems)
		printf("  %zu problems have fewer than k = %zu samples: left "
		       "out of pass@k "
		       "and cons@k\n",
		       s->short_problems, s->k);
	printf("\n  %-12s %10s  %8s   %s\n", "metric", "value", "problems",
	       s->bootstrap ? "95% CI (bootstrap over problems)" : "");
	print_row("mean reward", &s->mean_reward, 0);
	print_row("pass@1", &s->pass1, 1);
	/* with k = 1, pass@k is pass@1: one row, not two */
	if (s->k != 1) {
		snprintf(name, sizeof name, "pass@%zu", s->k);
		print_row(name, &s->pass_k, 1);
	}
	snprintf(name, sizeof name, "cons@%zu", s->k);
	print_row(name, &s->cons_k, 1);
	if (s->bootstrap)
		printf("\n  bootstrap: %d replicates, seed %lu\n", s->bootstrap,
		       s->seed);
}

/* Samples go to a temporary sibling that is renamed into place at the
 * end, so an interrupted run leaves no half-written file. */
static FILE *open_samples(const char *path, char **tmp)
{
	size_t n = strlen(path) + 16;
	int fd;
	FILE *f;
	*tmp = malloc(n);
	if (!*tmp)
		return NULL;
	snprintf(*tmp, n, "%s.tmp-XXXXXX", path);
	fd = mkstemp(*tmp);
	if (fd < 0) {
		free(*tmp);
		*tmp = NULL;
		return NULL;
	}
	/* mkstemp makes 0600; verdicts are not secret */
	if (fchmod(fd, 0644) != 0) {
		close(fd);
		unlink(*tmp);
		free(*tmp);
		*tmp = NULL;
		return NULL;
	}
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(*tmp);
		free(*tmp);
		*tmp = NULL;
	}
	return f;
}

int cmd_rescore(int argc, char **argv)
{
	const char *verb = argv[0], *path = NULL, *spec = NULL, *samples = NULL;
	const char *config = NULL;
	const char *setkeys[16], *setvals[16];
	int nset = 0, json = 0, rc;
	long k = 0, threads = 0, boot = 0, seed = 0;
	rf_rescore_opts o;
	rf_rescore_summary s;
	rf_reward *rw = NULL;
	struct out so = {NULL, RF_BUF_INIT};
	char *tmp = NULL;

	memset(&o, 0, sizeof o);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			help();
			return cli_finish(CLI_OK);
		}
		if (!strcmp(a, "--json")) {
			json = 1;
			continue;
		}
		if (a[0] == '-' && a[1] && !takes_value(a))
			return cli_fail(verb, CLI_USAGE, "unknown option '%s'",
					a);
		if (a[0] == '-' && a[1] && !val)
			return cli_fail(verb, CLI_USAGE,
					"option '%s' needs a value", a);
		if (!strcmp(a, "--reward")) {
			spec = argv[++i];
		} else if (!strcmp(a, "--config")) {
			config = argv[++i];
		} else if (!strcmp(a, "--map")) {
			const char *eq = strchr(val, '=');
			i++;
			if (!eq || eq == val || !eq[1])
				return cli_fail(
				    verb, CLI_USAGE,
				    "--map expects KEY=FIELD, got '%s'", val);
			size_t kl = (size_t)(eq - val);
			if (kl == 2 && !strncmp(val, "id", 2))
				o.fields.id = eq + 1;
			else if (kl == 10 && !strncmp(val, "completion", 10))
				o.fields.completion = eq + 1;
			else if (kl == 6 && !strncmp(val, "answer", 6))
				o.fields.answer = eq + 1;
			else if (kl == 7 && !strncmp(val, "numbers", 7))
				o.fields.numbers = eq + 1;
			else
				return cli_fail(
				    verb, CLI_USAGE,
				    "--map: unknown key '%.*s' (id, "
				    "completion, answer, numbers)",
				    (int)kl, val);
		} else if (!strcmp(a, "--k")) {
			if ((k = cli_parse_long(argv[++i], 1,
						RF_RESCORE_MAX_SAMPLES)) < 0)
				return cli_fail(verb, CLI_USAGE,
						"--k: expected 1..%d, got '%s'",
						RF_RESCORE_MAX_SAMPLES, val);
		} else if (!strcmp(a, "-j") || !strcmp(a, "--threads")) {
			if ((threads = cli_parse_long(argv[++i], 1, 1024)) < 0)
				return cli_fail(
				    verb, CLI_USAGE,
				    "%s: expected 1..1024, got '%s'", a, val);
		} else if (!strcmp(a, "--samples")) {
			samples = argv[++i];
		} else if (!strcmp(a, "--format")) {
			o.format = argv[++i];
			if (strcmp(o.format, "auto") &&
			    !rf_rescore_format_tool(o.format))
				return cli_fail(verb, CLI_USAGE,
						"--format: unknown format '%s' "
						"(see --help)",
						o.format);
		} else if (!strcmp(a, "--seed")) {
			if ((seed = cli_parse_long(argv[++i], 1, 2147483647L)) <
			    0)
				return cli_fail(verb, CLI_USAGE,
						"--seed: expected a positive "
						"integer, got '%s'",
						val);
		} else if (!strcmp(a, "--bootstrap")) {
			if ((boot = cli_parse_long(argv[++i], 0, 100000)) < 0)
				return cli_fail(
				    verb, CLI_USAGE,
				    "--bootstrap: expected 0..100000, "
				    "got '%s'",
				    val);
			if (boot == 0)
				boot = -1;
		} else if (!strcmp(a, "--extract") ||
			   !strcmp(a, "--think-open") ||
			   !strcmp(a, "--think-close") ||
			   !strcmp(a, "--answer-open") ||
			   !strcmp(a, "--answer-close") ||
			   !strcmp(a, "--language") ||
			   !strcmp(a, "--pass-threshold") ||
			   !strcmp(a, "--think-at-start")) {
			if (nset == 16)
				return cli_fail(verb, CLI_USAGE,
						"too many reward options");
			setkeys[nset] = a + 2;
			setvals[nset++] = argv[++i];
		} else if (a[0] == '-' && a[1]) {
			return cli_fail(verb, CLI_USAGE, "unknown option '%s'",
					a);
		} else if (!path) {
			path = a;
		} else {
			return cli_usage(usage_line);
		}
	}
	if (!path)
		return cli_usage(usage_line);
	if (spec && config)
		return cli_fail(verb, CLI_USAGE,
				"give --reward or --config, not both");
	if (config) {
		rf_manifest *m = NULL;
		if ((rc = rf_manifest_load(&m, config)) == 0)
			rc = rf_reward_from_config(&rw, m);
		rf_manifest_free(m);
		if (rc)
			return cli_error(verb, rc);
	} else if ((rc = rf_reward_new(&rw, spec ? spec : "math")) != 0) {
		return cli_error(verb, rc);
	}
	for (int i = 0; i < nset; i++)
		if ((rc = rf_reward_set(rw, setkeys[i], setvals[i])) != 0) {
			rf_reward_free(rw);
			return cli_fail(verb, CLI_USAGE, "--%s",
					rf_error_last());
		}
	o.reward = rw;
	o.k = (size_t)k;
	o.threads = (int)threads;
	o.seed = (unsigned long)seed;
	o.bootstrap = (int)boot;
	if (samples) {
		if (!strcmp(samples, "-")) {
			so.f = stdout;
		} else if (!(so.f = open_samples(samples, &tmp))) {
			rf_reward_free(rw);
			return cli_fail(verb, CLI_USAGE,
					"cannot write '%s': %s", samples,
					strerror(errno));
		}
		o.on_sample = write_sample;
		o.ctx = &so;
	}
	if (!strcmp(path, "-"))
		rc = rf_rescore_stream(&s, stdin, "-", &o);
	else
		rc = rf_rescore_file(&s, path, &o);
	if (so.f && so.f != stdout) {
		int bad = fflush(so.f) != 0 || fsync(fileno(so.f)) != 0;
		bad |= fclose(so.f) != 0;
		if (!rc && bad)
			rc = rf_error_set(RF_EIO, "cannot write '%s': %s",
					  samples, strerror(errno));
		if (!rc && rename(tmp, samples) != 0)
			rc = rf_error_set(RF_EIO, "cannot rename into '%s': %s",
					  samples, strerror(errno));
		if (rc)
			unlink(tmp);
		free(tmp);
	}
	rf_buf_free(&so.line);
	if (!rc && json)
		rc = print_json(path, rw, &s);
	if (rc) {
		rf_reward_free(rw);
		return cli_error(verb, rc);
	}
	/* with --samples -, stdout holds the samples: the table stays out */
	if (!json && (!samples || strcmp(samples, "-")))
		print_table(path, rw, &s);
	rf_reward_free(rw);
	return cli_finish(CLI_OK);
}
