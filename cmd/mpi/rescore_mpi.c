/* referee-mpi rescore: many rollout files re-scored across MPI ranks.
 * Files are divided among the ranks (largest first, to the least loaded);
 * each rank re-scores its files with rf_rescore_file() and its threads,
 * formats one line per file and sends the lines to rank 0, which prints
 * them in command-line order, then the totals: the same bytes whatever the
 * number of ranks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../cli.h"
#include "../dist.h"
#include "verify_mpi.h"

static const char usage_text[] =
	"referee-mpi rescore [--reward SPEC] [--k N] [-j N] ROLLOUTS.jsonl...";

/* One file's figures, one line: "index<TAB>text" (text is what rank 0
 * prints), so every rank formats alike. */
static int one(rf_buf *mine, size_t idx, const char *path,
	       const rf_rescore_opts *o)
{
	rf_rescore_summary s;
	int rc = rf_rescore_file(&s, path, o);
	if (rc)
		return rc;
	return rf_buf_printf(
	    mine,
	    "%zu\t%s: %zu problems, %zu samples, %zu correct, %zu without an "
	    "answer; pass@1 %.6f%%, pass@%zu %.6f%%, cons@%zu %.6f%%, mean "
	    "reward %.6f\t%zu %zu %zu %.17g\n",
	    idx, path, s.problems, s.samples, s.correct, s.no_answer,
	    100 * s.pass1.value, s.k, 100 * s.pass_k.value, s.k,
	    100 * s.cons_k.value, s.mean_reward.value, s.problems, s.samples,
	    s.correct, s.pass1.value * (double)s.pass1.problems);
}

int mpi_rescore(int argc, char **argv, const cli_dist *d)
{
	const char *spec = "math";
	rf_reward *rw = NULL;
	rf_rescore_opts o;
	rf_buf mine = RF_BUF_INIT, *parts = NULL;
	uint64_t *sizes = NULL;
	int *owner = NULL, i = 1, rc = 0, status = CLI_OK;
	long threads = 0, k = 0;
	char **lines = NULL;
	size_t nf;
	memset(&o, 0, sizeof o);
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (i + 1 >= argc)
			return d->rank ? CLI_USAGE : cli_usage(usage_text);
		if (!strcmp(argv[i], "--reward"))
			spec = argv[++i];
		else if (!strcmp(argv[i], "--k") &&
			 (k = cli_parse_long(argv[++i], 1, RF_RESCORE_MAX_SAMPLES)) > 0)
			;
		else if (!strcmp(argv[i], "-j") &&
			 (threads = cli_parse_long(argv[++i], 1, 1024)) > 0)
			;
		else
			return d->rank ? CLI_USAGE : cli_usage(usage_text);
	}
	if (i >= argc)
		return d->rank ? CLI_USAGE : cli_usage(usage_text);
	nf = (size_t)(argc - i);
	if ((rc = rf_reward_new(&rw, spec)))
		return d->rank ? CLI_USAGE : cli_error("rescore", rc);
	o.reward = rw;
	o.k = (size_t)k;
	o.threads = (int)threads;
	sizes = calloc(nf, sizeof *sizes);
	owner = calloc(nf, sizeof *owner);
	if (!sizes || !owner)
		rc = rf_error_set(RF_ENOMEM, "out of memory");
	for (size_t f = 0; !rc && f < nf; f++) {
		struct stat st;
		sizes[f] = stat(argv[i + (int)f], &st) ? 0 : (uint64_t)st.st_size;
	}
	if (!rc)
		cli_dist_assign(owner, sizes, nf, d->size);
	for (size_t f = 0; !rc && f < nf; f++)
		if (owner[f] == d->rank)
			rc = one(&mine, f, argv[i + (int)f], &o);
	if (rc) /* every rank still takes part in the gather */
		cli_dist_put_error(&mine, rc);
	rc = cli_dist_gather(d, &mine, &parts);
	if (!rc && d->rank == 0 && !(lines = calloc(nf, sizeof *lines)))
		rc = rf_error_set(RF_ENOMEM, "out of memory");
	if (d->rank == 0) {
		size_t problems = 0, samples = 0, correct = 0;
		double pass1_sum = 0;
		for (int r = 0; r < d->size && !rc; r++) {
			char *p = parts[r].data, *end = p + parts[r].len;
			if ((rc = cli_dist_take_error(&parts[r], r)))
				break;
			while (p && p < end) {
				char *nl = memchr(p, '\n', (size_t)(end - p)), *t1, *t2;
				size_t idx = strtoul(p, &t1, 10), pr, sa, co;
				double ps;
				if (!nl || *t1 != '\t' || idx >= nf || lines[idx] ||
				    !(t2 = memchr(t1 + 1, '\t', (size_t)(nl - t1 - 1))) ||
				    sscanf(t2 + 1, "%zu %zu %zu %lg", &pr, &sa, &co, &ps) != 4) {
					rc = rf_error_set(RF_EINTERNAL,
							  "rank %d sent a bad line", r);
					break;
				}
				*t2 = 0;
				lines[idx] = t1 + 1;
				problems += pr;
				samples += sa;
				correct += co;
				pass1_sum += ps;
				p = nl + 1;
			}
		}
		for (size_t f = 0; !rc && f < nf; f++)
			if (!lines[f])
				rc = rf_error_set(RF_EINTERNAL, "no result for '%s'",
						  argv[i + (int)f]);
		if (!rc) {
			for (size_t f = 0; f < nf; f++)
				printf("%s\n", lines[f]);
			printf("total: %zu files, %zu problems, %zu samples, %zu "
			       "correct; pass@1 %.6f%% over all problems\n",
			       nf, problems, samples, correct,
			       problems ? 100 * pass1_sum / (double)problems : 0.0);
		} else {
			status = cli_error("rescore", rc);
		}
	}
	status = cli_dist_end(d, status, parts);
	free(lines);
	free(sizes);
	free(owner);
	rf_buf_free(&mine);
	rf_reward_free(rw);
	return cli_finish(status);
}
