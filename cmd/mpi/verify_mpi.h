/* referee-mpi's verbs beyond the ones cmd/ shares through cmd/dist.h. */
#ifndef REFEREE_CMD_MPI_VERIFY_H
#define REFEREE_CMD_MPI_VERIFY_H

#include "../dist.h"

/** referee-mpi verify [-j N] BAG: payload hashed across ranks, the bag
 *  checked on rank 0 with rf_bag_verify(); the exit status of verify. */
int mpi_verify(int argc, char **argv, const cli_dist *d);

/** referee-mpi rescore [--reward SPEC] [--k N] [-j N] FILE...: files
 *  re-scored across ranks; one line per file and the totals from rank 0. */
int mpi_rescore(int argc, char **argv, const cli_dist *d);

#endif
