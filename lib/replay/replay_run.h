/* referee replay — a run over part of the steps (internal to lib/): from the
 * seed or from a checkpoint, to the end (a full or resumed run, written to a
 * directory) or to a later checkpoint (a spot-check's segment, kept in
 * memory).  rf_replay_run() and rf_replay_resume() are its public faces. */
#ifndef REFEREE_LIB_REPLAY_RUN_H
#define REFEREE_LIB_REPLAY_RUN_H

#include "referee/buf.h"
#include "referee/replay.h"
#include "replay/replay_ckpt.h"

typedef struct rf_replay_span {
	const char *from_dir;         /**< the run holding `from` */
	const rf_ckpt_index *from_ix; /**< its index (loaded and validated) */
	const rf_ckpt *from;          /**< start here; NULL: from the seed */
	int segment;   /**< 1: write nothing; stop at stop_step */
	int stop_step; /**< a segment's last GRPO step (a checkpoint's) */
	rf_buf *log_out;  /**< segment: the rows it logged */
	rf_ckpt *end_out; /**< segment: its last checkpoint (digests; no
			   *   log_sha256) */
} rf_replay_span;

/** Run `r` over the span (NULL: the whole run into `out_dir`);
 *  opt->checkpoint_every sets the checkpoints. */
int rf_replay_run_span(const rf_replay_recipe *r, const char *out_dir,
		       const rf_replay_options *opt, const rf_replay_span *sp);

#endif
