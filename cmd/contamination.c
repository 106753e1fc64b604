/* referee contamination — word n-gram overlap between benchmark items and a
 * training corpus (the decontamination check papers describe).  Prints, per
 * benchmark, the overlapping items with their share of n-grams found and
 * their longest overlapping span (corpus file:line).  Exit 1 when any item
 * overlaps.  Under referee-mpi (cmd/mpi/) the corpus files are divided
 * among the ranks and rank 0 prints the same report. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "dist.h"

static const char usage_text[] =
	"referee contamination --eval BENCH.jsonl[:FIELD]... [-n N] [--field KEY]...\n"
	"                     [--format jsonl|text] [-j N] [--block-size B] [--json] [--all]\n"
	"                     CORPUS...\n"
	"       referee contamination --words --eval BENCH.jsonl[:FIELD]...";

#define MAX_EVALS 64
#define MAX_FIELDS 64

static void help(void)
{
	printf("usage: %s\n\n"
	       "Word n-gram overlap between benchmark items and a training corpus.\n"
	       "Both sides are normalised alike: LaTeX spacing commands (\\, \\; \\quad ...)\n"
	       "dropped, Unicode NFKC with case folding, punctuation and white space only\n"
	       "separate words.  An item overlaps when one of its n-grams (n words in a row)\n"
	       "occurs in the corpus; every hash hit is verified word by word.\n\n"
	       "  --eval FILE[:FIELD]  benchmark, JSON Lines; item text in FIELD (default\n"
	       "                       problem, question or prompt), id in id/idx/unique_id\n"
	       "  -n N                 n-gram length in words (default 13; 8 and 10 are\n"
	       "                       also used in papers; %d..%d)\n"
	       "  --field KEY          JSON Lines corpus: read the strings under top-level\n"
	       "                       KEY (repeatable; default every string value)\n"
	       "  --format F           jsonl or text (default: .jsonl/.ndjson/.json are\n"
	       "                       JSON Lines, anything else text); gzip and zstd are\n"
	       "                       recognised by their first bytes\n"
	       "  -j N                 threads (default: every CPU)\n"
	       "  --block-size B       bytes a thread takes at a time (default 1 MiB)\n"
	       "  --json               the report as JSON (every item)\n"
	       "  --all                text report: list clean items too\n"
	       "  --words              print each item's normalised words and exit\n\n"
	       "exit: 0 no item overlaps; 1 some item overlaps; 2 bad usage, an\n"
	       "unreadable or malformed file; 3 internal error\n",
	       usage_text, RF_CONTAM_MIN_N, RF_CONTAM_MAX_N);
}

/* "file.jsonl:field" -> file, field; a name that exists as given wins. */
static int split_eval(char *arg, const char **file, const char **field)
{
	char *colon = strrchr(arg, ':');
	struct stat st;
	*file = arg;
	*field = NULL;
	if (colon && !strchr(colon, '/') && stat(arg, &st) != 0) {
		*colon = 0;
		*field = colon[1] ? colon + 1 : NULL;
	}
	return 0;
}

static int print_words(const rf_contam_index *ix)
{
	rf_buf w = RF_BUF_INIT;
	int rc = 0;
	for (size_t k = 0; k < rf_contam_index_items(ix) && !rc; k++) {
		const char *bench, *id;
		rf_buf_clear(&w);
		if ((rc = rf_contam_index_item(ix, k, &bench, &id, &w)))
			break;
		/* names and ids come from files: no control bytes to the terminal */
		for (const char *c = bench; *c; c++)
			putchar((unsigned char)*c < 0x20 ? '?' : *c);
		putchar('\t');
		for (const char *c = id; *c; c++)
			putchar((unsigned char)*c < 0x20 ? '?' : *c);
		printf("\t%s\n", w.data ? w.data : "");
	}
	rf_buf_free(&w);
	return rc;
}

/* Scan the files this rank owns (all of them for one rank). */
static int scan_share(rf_contam_scan *sc, const char *const *files, size_t nf,
		      int rank, int size)
{
	uint64_t *sizes = calloc(nf ? nf : 1, sizeof *sizes);
	int *owner = calloc(nf ? nf : 1, sizeof *owner);
	int rc = 0;
	if (!sizes || !owner) {
		free(sizes);
		free(owner);
		return rf_error_set(RF_ENOMEM, "out of memory");
	}
	for (size_t f = 0; f < nf; f++) {
		struct stat st;
		sizes[f] = stat(files[f], &st) ? 0 : (uint64_t)st.st_size;
	}
	cli_dist_assign(owner, sizes, nf, size);
	for (size_t f = 0; f < nf && !rc; f++)
		if (owner[f] == rank)
			rc = rf_contam_scan_file(sc, files[f], f);
	free(sizes);
	free(owner);
	return rc;
}

/* Rank 0: one rank's message ("R" + results, or an error). */
static int take_part(rf_contam_scan *sc, int r, const rf_buf *p)
{
	int rc;
	if (!p->len)
		return rf_error_set(RF_EINTERNAL, "rank %d sent nothing", r);
	if ((rc = cli_dist_take_error(p, r)))
		return rc;
	if (r == 0)
		return 0; /* rank 0's own results are in sc already */
	return rf_contam_scan_import(sc, p->data + 1, p->len - 1);
}

static int run(int argc, char **argv, const cli_dist *d)
{
	char *evals[MAX_EVALS];
	const char *fields[MAX_FIELDS];
	size_t nevals = 0, nfields = 0;
	int n = RF_CONTAM_DEFAULT_N, json = 0, all = 0, words = 0, i = 1;
	int status = CLI_OK, rc = 0;
	long threads = 0;
	rf_contam_opts o = {0};
	rf_contam_index *ix = NULL;
	rf_contam_scan *sc = NULL;
	rf_buf mine = RF_BUF_INIT, *parts = NULL, out = RF_BUF_INIT;
	const int rank = d ? d->rank : 0, size = d ? d->size : 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			if (rank == 0)
				help();
			return cli_finish(CLI_OK);
		} else if (!strcmp(a, "--json")) {
			json = 1;
		} else if (!strcmp(a, "--all")) {
			all = 1;
		} else if (!strcmp(a, "--words")) {
			words = 1;
		} else if (!strcmp(a, "--")) {
			i++;
			break;
		} else if (i + 1 >= argc) {
			return cli_usage(usage_text);
		} else if (!strcmp(a, "--eval")) {
			if (nevals == MAX_EVALS)
				return cli_fail("contamination", CLI_USAGE,
						"at most %d --eval", MAX_EVALS);
			evals[nevals++] = argv[++i];
		} else if (!strcmp(a, "--field")) {
			if (nfields == MAX_FIELDS)
				return cli_fail("contamination", CLI_USAGE,
						"at most %d --field", MAX_FIELDS);
			fields[nfields++] = argv[++i];
		} else if (!strcmp(a, "-n")) {
			long v = cli_parse_long(argv[++i], RF_CONTAM_MIN_N,
						RF_CONTAM_MAX_N);
			if (v < 0)
				return cli_fail("contamination", CLI_USAGE,
						"-n: expected %d..%d, got '%s'",
						RF_CONTAM_MIN_N, RF_CONTAM_MAX_N,
						argv[i]);
			n = (int)v;
		} else if (!strcmp(a, "-j")) {
			if ((threads = cli_parse_long(argv[++i], 1, 1024)) < 0)
				return cli_fail("contamination", CLI_USAGE,
						"-j: expected 1..1024, got '%s'",
						argv[i]);
		} else if (!strcmp(a, "--block-size")) {
			long v = cli_parse_long(argv[++i], 64, 1L << 30);
			if (v < 0)
				return cli_fail("contamination", CLI_USAGE,
						"--block-size: expected 64..2^30 "
						"bytes, got '%s'",
						argv[i]);
			o.block_size = (size_t)v;
		} else if (!strcmp(a, "--format")) {
			const char *f = argv[++i];
			if (!strcmp(f, "jsonl"))
				o.format = RF_CONTAM_JSONL;
			else if (!strcmp(f, "text"))
				o.format = RF_CONTAM_TEXT;
			else
				return cli_fail("contamination", CLI_USAGE,
						"--format: expected jsonl or "
						"text, got '%s'",
						f);
		} else {
			return cli_usage(usage_text);
		}
	}
	if (!nevals || (!words && i >= argc))
		return cli_usage(usage_text);
	if ((rc = rf_contam_index_new(&ix, n)))
		return cli_error("contamination", rc);
	for (size_t e = 0; e < nevals && !rc; e++) {
		const char *file, *field;
		split_eval(evals[e], &file, &field);
		rc = rf_contam_index_add_jsonl(ix, file, field, NULL);
	}
	if (!rc)
		rc = rf_contam_index_finish(ix);
	if (!rc && words) {
		if ((rc = print_words(ix)))
			goto fail;
		goto done;
	}
	o.threads = (int)threads;
	o.fields = nfields ? fields : NULL;
	o.nfields = nfields;
	if (!rc)
		rc = rf_contam_scan_new(&sc, ix, &o);
	if (!rc)
		rc = scan_share(sc, (const char *const *)argv + i,
				(size_t)(argc - i), rank, size);
	if (d) {
		/* every rank sends a status byte and its results or its error
		 * (even when it failed: the others are waiting for it) */
		int lrc = rc;
		if (lrc) {
			cli_dist_put_error(&mine, lrc);
		} else {
			rf_buf_puts(&mine, "R");
			if ((rc = rf_contam_scan_export(&mine, sc)))
				cli_dist_put_error(&mine, rc);
		}
		rc = cli_dist_gather(d, &mine, &parts);
		for (int r = 0; rank == 0 && r < size && !rc; r++)
			rc = take_part(sc, r, r ? &parts[r] : &mine);
	}
	if (rc)
		goto fail;
	if (rank == 0) {
		if ((rc = rf_contam_report(&out, sc, (const char *const *)argv + i,
					   (size_t)(argc - i),
					   json ? RF_CONTAM_REPORT_JSON
						: (all ? RF_CONTAM_REPORT_ALL : 0))))
			goto fail;
		fwrite(out.data, 1, out.len, stdout);
		status = rf_contam_scan_overlapping(sc, NULL) ? CLI_FAILED
								: CLI_OK;
	}
	goto done;
fail:
	status = rank == 0 ? cli_error("contamination", rc)
			   : rf_error_exit_status(rc);
done:
	if (d)
		status = cli_dist_end(d, status, parts);
	rf_buf_free(&mine);
	rf_buf_free(&out);
	rf_contam_scan_free(sc);
	rf_contam_index_free(ix);
	return cli_finish(status);
}

int cmd_contamination_dist(int argc, char **argv, const cli_dist *d)
{
	return run(argc, argv, d);
}

int cmd_contamination(int argc, char **argv)
{
	return run(argc, argv, NULL);
}
