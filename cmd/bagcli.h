/* referee CLI — helpers for the bag verbs (pack, verify): a progress line
 * on stderr for long hashing runs (only on a terminal, only after the first
 * second, at most ten times a second), sizes, and JSON strings. */
#ifndef REFEREE_CMD_BAGCLI_H
#define REFEREE_CMD_BAGCLI_H

#include <stdio.h>

#include "referee/referee.h"

struct cli_progress {
	const char *what; /* "hashing", "packing" */
	int enabled;
	double start, last;
	int shown;
	int immediate; /* REFEREE_PROGRESS=now: no grace period (tests) */
};

/** Start: enabled when cli_progress_allowed(quiet). */
void cli_progress_start(struct cli_progress *p, const char *what, int quiet);

/** An rf_progress_fn; ctx is the struct cli_progress. */
void cli_progress_update(void *ctx, uint64_t bytes_done, uint64_t bytes_total,
			 size_t files_done, size_t files_total);

/** Erase the line if one was shown. */
void cli_progress_end(struct cli_progress *p);

/** "1.5 GiB" style size into buf. */
void cli_human_size(char *buf, size_t size, uint64_t bytes);

/** Write `s` as a JSON string literal (quoted, escaped) to `f`. */
void cli_json_string(FILE *f, const char *s);

/** `s` (hostile: from a bag, a manifest, a log) escaped for a terminal
 *  (rf_escape RF_ESCAPE_TERMINAL).  The result lives until eight more
 *  calls; "(out of memory)" when escaping fails. */
const char *cli_tty(const char *s);

#endif
