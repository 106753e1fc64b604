/* referee CLI — how a verb's work is split over MPI ranks.  The plain
 * `referee` program runs as one rank; `referee-mpi` (make MPI=1) fills
 * these hooks with MPI calls.  The verbs never see MPI itself. */
#ifndef REFEREE_CMD_DIST_H
#define REFEREE_CMD_DIST_H

#include <stdint.h>

#include "referee/referee.h"

typedef struct cli_dist {
	int rank, size;
	/** Every rank calls it with its bytes; on rank 0 `parts` (size
	 *  buffers, zeroed) receives each rank's bytes in rank order.  0, or
	 *  non-zero when the transport failed. */
	int (*gather)(const struct cli_dist *d, const rf_buf *mine,
		      rf_buf *parts);
	/** Rank 0's *v reaches every rank. */
	int (*bcast_int)(const struct cli_dist *d, int *v);
	void *ctx;
} cli_dist;

/** The rank that handles each of `n` jobs of the given sizes: largest
 *  first, each to the least loaded rank (ties: lowest rank, then lowest
 *  index), so every rank computes the same division.  owner[i] < size. */
void cli_dist_assign(int *owner, const uint64_t *sizes, size_t n, int size);

/** `referee contamination` split over ranks: each rank scans its share of
 *  the corpus files; rank 0 merges and prints the one report. */
int cmd_contamination_dist(int argc, char **argv, const cli_dist *d);

#endif
