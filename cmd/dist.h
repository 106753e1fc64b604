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
	 *  buffers, zeroed; NULL: receive and drop) gets each rank's bytes in
	 *  rank order.  0, or non-zero when the transport failed. */
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

/** A rank's failure as its message to rank 0: "E<code>:<message>" from
 *  `rc` and rf_error_last() (replaces what `msg` held). */
void cli_dist_put_error(rf_buf *msg, int rc);

/** Rank 0: when rank `rank`'s message is an error, set it as the last
 *  error ("rank N: ..." for other ranks) and return its code; else 0. */
int cli_dist_take_error(const rf_buf *part, int rank);

/** Every rank sends `mine`; on rank 0 *parts becomes `size` buffers, one
 *  per rank (free with cli_dist_end()).  0, or an error (set on rank 0). */
int cli_dist_gather(const cli_dist *d, const rf_buf *mine, rf_buf **parts);

/** Rank 0's `status` reaches every rank (CLI_INTERNAL when it cannot);
 *  frees `parts`.  Returns the status every rank exits with. */
int cli_dist_end(const cli_dist *d, int status, rf_buf *parts);

/** `referee contamination` split over ranks: each rank scans its share of
 *  the corpus files; rank 0 merges and prints the one report. */
int cmd_contamination_dist(int argc, char **argv, const cli_dist *d);

#endif
