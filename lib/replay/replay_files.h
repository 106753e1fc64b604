/* referee replay — an author's replay directory read and checked as
 * evidence (internal to lib/): every row of log.jsonl parsed and
 * validated, summary.json parsed and validated, and the figures the log
 * itself supports.  Shared by `replay --check` and the claims source. */
#ifndef REFEREE_LIB_REPLAY_FILES_H
#define REFEREE_LIB_REPLAY_FILES_H

#include <jansson.h>
#include <stddef.h>

#include "replay/jsonl.h"

/** The longest log row accepted (rows are a few hundred bytes). */
#define RF_REPLAY_LOG_LINE_MAX 65536

/** One parsed, validated replay directory. */
typedef struct rf_replay_files {
	char *dir;          /**< as given (for messages) */
	json_t *summary;    /**< the summary object */
	size_t nrows;       /**< rows of the log (read once, none kept) */
	char log_sha256[65];/**< SHA-256 of log.jsonl's bytes */
	/* what the log's evaluation rows say (NaN/-1 without them) */
	long first_eval_step, last_eval_step;
	double first_accuracy, last_accuracy, last_reward;
} rf_replay_files;

/** Read and validate `dir`/log.jsonl and `dir`/summary.json; RF_EFORMAT
 *  naming 'file':line on the first malformed row or field. */
int rf_replay_files_load(rf_replay_files *out, const char *dir);

/** Open `dir`/log.jsonl for rf_replay_log_next() (close with
 *  rf_jsonl_close()). */
int rf_replay_log_open(rf_jsonl *r, const char *dir);

/** The next row, parsed and validated: 1 with *row (the caller
 *  json_decref()s it), 0 at the end, negative naming 'file':line. */
int rf_replay_log_next(rf_jsonl *r, const char *dir, json_t **row);

/** Where the summary disagrees with its own log (log_sha256, the
 *  accuracies and reward, grpo_steps): 0 when it agrees, else 1 with a
 *  sentence in `why` (size n). */
int rf_replay_files_inconsistent(const rf_replay_files *f, char *why,
				 size_t n);

/** The summary's number `key`, or NaN. */
double rf_replay_files_summary_number(const rf_replay_files *f,
				      const char *key);

/** NULL-safe; leaves *f zeroed. */
void rf_replay_files_free(rf_replay_files *f);

#endif
