/* referee-mpi — referee's heavy verbs split over MPI ranks (make MPI=1).
 *
 *   mpirun -np 64 referee-mpi contamination --eval bench.jsonl corpus-*.zst
 *   srun referee-mpi contamination ...
 *
 * Every rank parses the same command line and builds the same small
 * benchmark index; the corpus files are divided among the ranks (largest
 * first, to the least loaded rank); each rank streams its share with its
 * threads; the per-item results (a few bytes per benchmark n-gram) are
 * gathered to rank 0, which prints the one report: byte for byte what
 * `referee` prints in one process.  `verify` hashes a bag's payload the
 * same way (verify_mpi.c).  Only this file knows about MPI. */
#include <limits.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cli.h"
#include "../dist.h"
#include "verify_mpi.h"

static int gather(const cli_dist *d, const rf_buf *mine, rf_buf *parts)
{
	int len, *lens = NULL, *displs = NULL, rc = 0;
	char *all = NULL;
	long long total = 0;
	if (mine->len > INT_MAX)
		return -1; /* results are bytes per benchmark n-gram: small */
	len = (int)mine->len;
	if (d->rank == 0 && (!(lens = calloc((size_t)d->size, sizeof *lens)) ||
			     !(displs = calloc((size_t)d->size, sizeof *displs))))
		rc = -1;
	if (MPI_Gather(&len, 1, MPI_INT, lens, 1, MPI_INT, 0, MPI_COMM_WORLD) !=
	    MPI_SUCCESS)
		rc = -1;
	if (d->rank == 0 && !rc) {
		for (int r = 0; r < d->size; r++) {
			displs[r] = (int)total;
			total += lens[r];
		}
		if (total > INT_MAX || !(all = malloc(total ? (size_t)total : 1)))
			rc = -1;
	}
	/* every rank must take part in the collective, even after a failure */
	if (MPI_Gatherv(mine->data ? mine->data : "", len, MPI_BYTE, all, lens,
			displs, MPI_BYTE, 0, MPI_COMM_WORLD) != MPI_SUCCESS)
		rc = -1;
	if (d->rank == 0 && !rc && parts)
		for (int r = 0; r < d->size && !rc; r++)
			if (rf_buf_append(&parts[r], all + displs[r],
					  (size_t)lens[r]))
				rc = -1;
	free(all);
	free(lens);
	free(displs);
	return rc;
}

static int bcast_int(const cli_dist *d, int *v)
{
	(void)d;
	return MPI_Bcast(v, 1, MPI_INT, 0, MPI_COMM_WORLD) != MPI_SUCCESS;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mpirun [-np N] referee-mpi <verb> [options] [args]\n"
		"       srun referee-mpi <verb> [options] [args]\n\n"
		"verbs split over MPI ranks:\n"
		"  contamination  as 'referee contamination': corpus files divided\n"
		"                 among ranks, one report from rank 0\n"
		"  verify [-j N] BAG\n"
		"                 the payload hashed across ranks, the bag checked on\n"
		"                 rank 0 (rf_bag_verify: completeness, Payload-Oxum, tag\n"
		"                 manifest, provenance; signatures: use referee verify)\n"
		"  rescore [--reward SPEC] [--k N] [-j N] ROLLOUTS.jsonl...\n"
		"                 files re-scored across ranks: one line per file, totals\n\n"
		"exit status as referee's: 0 holds, 1 a check failed, 2 bad usage or\n"
		"unreadable input, 3 internal failure\n");
}

int main(int argc, char **argv)
{
	cli_dist d = {0};
	int provided, status;
	/* only the main thread of each rank calls MPI */
	if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) !=
	    MPI_SUCCESS) {
		fprintf(stderr, "referee-mpi: MPI_Init failed\n");
		return CLI_INTERNAL;
	}
	MPI_Comm_rank(MPI_COMM_WORLD, &d.rank);
	MPI_Comm_size(MPI_COMM_WORLD, &d.size);
	d.gather = gather;
	d.bcast_int = bcast_int;
	if (argc >= 2 && !strcmp(argv[1], "contamination")) {
		status = cmd_contamination_dist(argc - 1, argv + 1, &d);
	} else if (argc >= 2 && !strcmp(argv[1], "rescore")) {
		status = mpi_rescore(argc - 1, argv + 1, &d);
	} else if (argc >= 2 && !strcmp(argv[1], "verify")) {
		status = mpi_verify(argc - 1, argv + 1, &d);
	} else if (argc >= 2 && (!strcmp(argv[1], "--help") ||
				 !strcmp(argv[1], "-h"))) {
		if (d.rank == 0)
			usage(stdout);
		status = cli_finish(CLI_OK);
	} else {
		if (d.rank == 0) {
			if (argc >= 2)
				fprintf(stderr,
					"referee-mpi: unknown verb '%s'\n",
					argv[1]);
			usage(stderr);
		}
		status = CLI_USAGE;
	}
	MPI_Finalize();
	return status;
}
