/* referee replay — checkpoints that resume a run exactly (internal to lib/):
 * the index DIR/checkpoints/index.json (format in CONTRIBUTING.md, "Replay
 * checkpoints") read defensively and written canonically, and the files of
 * one checkpoint, DIR/checkpoints/step-NNNNNN/{model,optimizer,reference}
 * .safetensors.  Shared by the trainer (writes, resumes) and the spot-check
 * (verifies, re-runs segments). */
#ifndef REFEREE_LIB_REPLAY_CKPT_H
#define REFEREE_LIB_REPLAY_CKPT_H

#include <stddef.h>
#include <stdint.h>

#include "referee/buf.h"

#define RF_CKPT_MAX 100000          /* checkpoints in one index */
#define RF_CKPT_INDEX_MAX (16u << 20) /* bytes of index.json */
#define RF_CKPT_FILE_MAX ((size_t)4 << 30)

/** Which reference model a checkpoint holds. */
enum { RF_CKPT_REF_NONE = 0, RF_CKPT_REF_POLICY = 1, RF_CKPT_REF_FILE = 2 };

/** The files of a checkpoint, in this order. */
enum { RF_CKPT_MODEL = 0, RF_CKPT_OPTIM = 1, RF_CKPT_REFERENCE = 2,
       RF_CKPT_NFILES = 3 };

/** One checkpoint: the state after GRPO step `step` (0: after the
 *  warm-start and the first evaluation). */
typedef struct rf_ckpt {
	int step;
	int adam_t;          /**< AdamW steps of GRPO so far (0: fresh) */
	int reference;       /**< RF_CKPT_REF_* */
	uint64_t next_draw;  /**< the RNG position: the next step's draws */
	long long log_bytes; /**< log.jsonl up to this step's last row */
	char log_sha256[65]; /**< SHA-256 of those bytes */
	char file[RF_CKPT_NFILES][65]; /**< SHA-256 per file, "" when absent */
} rf_ckpt;

/** A run's checkpoints. */
typedef struct rf_ckpt_index {
	char recipe_digest[65];
	uint64_t seed;
	int every;
	double accuracy_after_warmstart;
	rf_ckpt *at;
	size_t n, cap;
} rf_ckpt_index;

/** File name of checkpoint file `which` ("model.safetensors", ...). */
const char *rf_ckpt_file_name(int which);

/** "checkpoints/step-000050" into `out` (cleared first). */
int rf_ckpt_dir(rf_buf *out, const char *run_dir, int step);

/** Append an entry (copied). */
int rf_ckpt_index_add(rf_ckpt_index *ix, const rf_ckpt *c);

/** The canonical bytes of index.json. */
int rf_ckpt_index_bytes(rf_buf *out, const rf_ckpt_index *ix);

/** Read and validate `run_dir`/checkpoints/index.json: RF_ENOTFOUND when
 *  missing, RF_EFORMAT naming the file and the entry otherwise.  The
 *  index's own SHA-256 goes to `sha` (may be NULL).  Validation covers
 *  shapes and ranges only; whether the entries agree with the recipe, the
 *  log and the files is the spot-check's business. */
int rf_ckpt_index_load(rf_ckpt_index *out, const char *run_dir, char sha[65]);

/** The entry of step `step`, or NULL. */
const rf_ckpt *rf_ckpt_index_find(const rf_ckpt_index *ix, int step);

void rf_ckpt_index_free(rf_ckpt_index *ix);

/** Read checkpoint file `which` of `c` from `run_dir` and check it against
 *  the index's SHA-256 (RF_ENOTFOUND when missing, RF_EFORMAT naming the
 *  file when it differs); the bytes go to `out`. */
int rf_ckpt_read_file(rf_buf *out, const char *run_dir, const rf_ckpt *c,
		      int which);

#endif
