/* How the verbs that referee-mpi runs split their work over ranks and bring
 * their results, or a rank's error, to rank 0 (see dist.h).  Plain C: the
 * MPI calls themselves live in cmd/mpi/ only. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dist.h"

void cli_dist_assign(int *owner, const uint64_t *sizes, size_t n, int size)
{
	uint64_t *load = calloc((size_t)size, sizeof *load);
	char *done = calloc(n ? n : 1, 1);
	for (size_t k = 0; k < n; k++) {
		size_t pick = n;
		int r = 0;
		for (size_t i = 0; i < n; i++)
			if ((!done || !done[i]) &&
			    (pick == n || sizes[i] > sizes[pick]))
				pick = i;
		for (int j = 1; load && j < size; j++)
			if (load[j] < load[r])
				r = j;
		if (done)
			done[pick] = 1;
		else
			pick = k; /* out of memory: in order, all to rank 0 */
		owner[pick] = load ? r : 0;
		if (load)
			load[r] += sizes[pick] ? sizes[pick] : 1;
	}
	free(load);
	free(done);
}

void cli_dist_put_error(rf_buf *msg, int rc)
{
	rf_buf_clear(msg);
	rf_buf_printf(msg, "E%d:%s", rc, rf_error_last());
}

int cli_dist_take_error(const rf_buf *part, int rank)
{
	const char *data = part->data, *msg;
	char *colon;
	long code;
	if (!part->len || data[0] != 'E')
		return 0;
	code = strtol(data + 1, &colon, 10);
	msg = *colon == ':' ? colon + 1 : data + 1;
	if (code >= 0 || code < -100 || *colon != ':')
		code = RF_EINTERNAL;
	return rank ? rf_error_set((int)code, "rank %d: %s", rank, msg)
		    : rf_error_set((int)code, "%s", msg);
}

int cli_dist_gather(const cli_dist *d, const rf_buf *mine, rf_buf **parts)
{
	*parts = NULL;
	if (d->rank == 0 && !(*parts = calloc((size_t)d->size, sizeof **parts))) {
		/* still take part, or the other ranks wait for ever */
		d->gather(d, mine, NULL);
		return rf_error_set(RF_ENOMEM, "out of memory");
	}
	if (d->gather(d, mine, *parts))
		return rf_error_set(RF_EINTERNAL,
				    "gathering the ranks' results failed");
	return 0;
}

int cli_dist_end(const cli_dist *d, int status, rf_buf *parts)
{
	if (d->bcast_int(d, &status))
		status = CLI_INTERNAL;
	for (int r = 0; parts && r < d->size; r++)
		rf_buf_free(&parts[r]);
	free(parts);
	return status;
}
