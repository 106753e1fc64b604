/* referee — reward-RL replay: a small GPT policy trained by GRPO on a task
 * with verifiable answers (addition, Countdown), deterministic to the bit,
 * and the checks a reviewer runs on it (re-run and compare a replay; audit a
 * logged GRPO batch). */
#ifndef REFEREE_REPLAY_H
#define REFEREE_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "claims.h"
#include "manifest.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Tasks a recipe can train on. */
enum rf_replay_task_kind {
	RF_TASK_ADD = 1,      /**< n-digit addition: "123+456=" -> "579" */
	RF_TASK_COUNTDOWN = 2 /**< numbers and a target -> an expression */
};

/** A replay recipe (the `replay-recipe` manifest, documented in
 *  manifests/README.md).  Plain data; fill it with rf_replay_recipe_defaults()
 *  and then rf_replay_recipe_parse()/_load(), or field by field. */
typedef struct rf_replay_recipe {
	uint64_t seed;
	struct {
		int kind;             /**< enum rf_replay_task_kind */
		int digits;           /**< add: digits per operand (1..9) */
		int reversed;         /**< add: answer least-significant digit first */
		int numbers;          /**< countdown: how many numbers (2..5) */
		int max_number;       /**< countdown: numbers drawn from 1..max_number */
		int max_target;       /**< countdown: targets 1..max_target */
		double format_weight; /**< reward = accuracy + format_weight * format */
	} task;
	struct {
		int d_model, n_layer, n_head, d_ff, tied;
	} model;
	struct {
		int steps;    /**< supervised warm-start steps (0: none) */
		double lr;
		int batch;    /**< examples per step */
		int data;     /**< distinct training examples (the SFT data size) */
		int warmup;   /**< steps of linear learning-rate warm-up (0: none) */
		int cosine;   /**< 1: cosine decay to min_lr after the warm-up */
		double min_lr; /**< the cosine schedule's last learning rate */
	} warmstart;
	struct {
		int steps;
		int prompts;        /**< prompts per step */
		int group;          /**< G: samples per prompt */
		double lr;
		int warmup;         /**< steps of linear learning-rate warm-up (0: none) */
		double beta;        /**< KL coefficient */
		double clip_eps;    /**< epsilon of the clipped ratio */
		double temperature;
		int inner;          /**< mu: gradient steps per sampled batch */
		int ref_refresh;    /**< reference := policy every N steps (0 never) */
		int max_len;        /**< maximum completion tokens (incl. end) */
		double adv_eps;     /**< eps in (r - mean) / (std + eps) */
	} grpo;
	struct {
		double beta1, beta2, eps, weight_decay, grad_clip;
	} optim;
	struct {
		int size;  /**< held-out problems */
		int every; /**< evaluate every N GRPO steps (and at 0 and the end) */
	} eval;
	int threads; /**< a default for -j; never part of the result */
} rf_replay_recipe;

/** Fill `r` with the defaults documented in manifests/README.md. */
void rf_replay_recipe_defaults(rf_replay_recipe *r);

/** Check ranges and consistency; RF_EINVAL naming the field otherwise. */
int rf_replay_recipe_check(const rf_replay_recipe *r);

/** Parse a `replay-recipe` YAML document (`name` is used in messages, which
 *  carry line:column) over the defaults in `out`; checks it. */
int rf_replay_recipe_parse(rf_replay_recipe *out, const char *text,
			   size_t len, const char *name);

/** Fill `out` (over its current values) from a parsed, validated
 *  replay-recipe manifest, then check it; RF_EFORMAT with file:line:col
 *  and the field otherwise. */
int rf_replay_recipe_from_manifest(rf_replay_recipe *out, const rf_manifest *m);

/** Read and parse a recipe file. */
int rf_replay_recipe_load(rf_replay_recipe *out, const char *path);

/** What a run reports after each evaluation (for a progress line). */
typedef struct rf_replay_progress {
	int step;            /**< GRPO steps done (0: after the warm-start) */
	int steps;           /**< GRPO steps in the recipe */
	double reward_mean;  /**< mean reward of the last sampled batch (NaN at 0) */
	double eval_reward;  /**< mean reward on the held-out set (greedy) */
	double accuracy;     /**< held-out accuracy (greedy decoding) */
	double kl;           /**< KL to the reference of the last batch (NaN: none) */
	double tokens_per_s; /**< sampled tokens per second since the last report */
	double seconds;      /**< wall time so far */
} rf_replay_progress;

/** Progress callback; return non-zero to stop the run (RF_EINVAL). */
typedef int (*rf_replay_progress_fn)(void *ctx, const rf_replay_progress *p);

/** Options of a run. */
typedef struct rf_replay_options {
	int threads;                  /**< 0: the recipe's, else all CPUs */
	const char *recipe_text;      /**< copied to DIR/recipe.yaml when set */
	size_t recipe_len;
	int write_batches;            /**< also DIR/batches/step-NNNNNN.jsonl */
	rf_replay_progress_fn progress;
	void *progress_ctx;
	/** Where the model lives: NULL or "cpu", "cuda" or "cuda:N" (the CUDA
	 *  backend module, loaded at run time; RF_EUNSUPPORTED without a GPU,
	 *  RF_ENOTFOUND when referee was built without CUDA). */
	const char *device;
	/** The CUDA module's path; NULL: next to the program, next to
	 *  libreferee.so, or in the install's LIBDIR. */
	const char *module_path;
	/** Write a checkpoint every N GRPO steps (and after the warm-start
	 *  and at the last step) under DIR/checkpoints/ (0: none): the
	 *  weights, the AdamW state, the reference model when it differs,
	 *  and where the log and the RNG stand, with an index
	 *  (CONTRIBUTING.md, "Replay checkpoints").  A run resumed from any
	 *  of them produces the uninterrupted run's bytes. */
	int checkpoint_every;
} rf_replay_options;

/** Run a recipe: warm-start, then GRPO.  Writes, atomically, into `out_dir`
 *  (created if missing): log.jsonl, model.safetensors, summary.json (with the
 *  weights' SHA-256) and recipe.yaml (when given).  The log and the weights
 *  depend only on the recipe, never on the thread count. */
int rf_replay_run(const rf_replay_recipe *r, const char *out_dir,
		  const rf_replay_options *opt);

/** Continue the run in `from_dir` from its checkpoint at GRPO step `step`
 *  into `out_dir`: the recipe must be the one the checkpoints were made
 *  with (its canonical digest, opt->recipe_text required) and every file
 *  read must hash to the index's digest.  Writes what rf_replay_run()
 *  writes, with the same bytes as the uninterrupted run (log, weights,
 *  checkpoints, summary but for what it files under
 *  not_part_of_the_result); the checkpoints before `step` are copied. */
int rf_replay_resume(const rf_replay_recipe *r, const char *from_dir,
		     int step, const char *out_dir,
		     const rf_replay_options *opt);

/* ---- spot-checking a long run from its checkpoints ---- */

/** Segments a spot-check re-runs unless told otherwise. */
#define RF_REPLAY_SPOT_DEFAULT_S 4
/** The time budget (seconds) a caller such as `check` or `review` gives a
 *  spot-check unless told otherwise. */
#define RF_REPLAY_SPOT_DEFAULT_BUDGET_S 120

/** What became of one drawn segment. */
enum rf_replay_segment_status {
	RF_SEGMENT_AGREES = 0,      /**< re-run: rows and end checkpoint agree */
	RF_SEGMENT_DIFFERS = 1,     /**< re-run: they part (see line, detail) */
	RF_SEGMENT_NOT_SHIPPED = 2, /**< its start checkpoint is not there */
	RF_SEGMENT_SKIPPED = 3      /**< not re-run: the time budget ran out */
};

/** One segment: segment 0 is the warm-start (from the seed to the
 *  checkpoint at step 0), segment k > 0 GRPO steps from+1..to. */
typedef struct rf_replay_segment {
	int index;
	int from, to;    /**< GRPO steps (from is -1 for the warm-start) */
	int status;      /**< enum rf_replay_segment_status */
	long line;       /**< the first parting row's line in the author's
			  *   log.jsonl (0: none) */
	char detail[256];/**< what parts, a sentence */
	double seconds;  /**< wall time of its re-run */
} rf_replay_segment;

/** Options of a spot-check. */
typedef struct rf_replay_spot_options {
	int segments;      /**< S (0: RF_REPLAY_SPOT_DEFAULT_S; above T: all) */
	int segment_steps; /**< GRPO steps per segment (0: the checkpoint
			    *   interval; else a multiple of it) */
	uint64_t seed;     /**< draws the segments: the reviewer's, never the
			    *   author's (rf_replay_spot_seed_random()) */
	double budget_s;   /**< start no segment that would likely end past
			    *   this many seconds (0: no budget); the first
			    *   drawn segment always runs */
	rf_replay_options run; /**< threads, device (the recipe is the run's) */
} rf_replay_spot_options;

/** A spot-check's outcome.  Free with rf_replay_spot_free(). */
typedef struct rf_replay_spot {
	/** the index, every checkpoint file shipped, the log's prefix at every
	 *  checkpoint, the summary and the recipe hold together */
	int chain_ok;
	char chain_detail[512]; /**< the first thing that does not */
	int total;              /**< T: segments in the run */
	int segment_steps;
	int every, grpo_steps;
	uint64_t seed;
	int drawn, checked, agreed;
	rf_replay_segment *seg; /**< the drawn segments, in order of step */
	size_t nseg;
	/** chain_ok, and every drawn segment re-run and agreeing */
	int confirmed;
	double seconds;
} rf_replay_spot;

/** Spot-check the checkpointed replay in `dir` (a directory holding
 *  recipe.yaml, log.jsonl, summary.json and checkpoints/; a bundle's
 *  replay is found with rf_replay_locate() and verified first by the
 *  caller).  Checks without re-running that the checkpoint index fits the
 *  recipe (steps 0, N, 2N, ..., the last; AdamW steps; RNG position), that
 *  every shipped checkpoint file hashes to the index, that the log's
 *  prefix at each checkpoint hashes to what the index says and ends with
 *  that step's row, and that the summary names the index, the last
 *  checkpoint's weights and the log; then draws o->segments of the T
 *  segments with o->seed, re-runs each from its start checkpoint and
 *  compares its log rows byte for byte and its end checkpoint's digests
 *  with the author's.  Mismatches are outcomes (confirmed == 0), not
 *  errors; negative codes for unreadable or malformed input. */
int rf_replay_spot_check(rf_replay_spot **out, const char *dir,
			 const rf_replay_spot_options *o);

/** The chance that a run with a fraction `f` of its T segments faked
 *  passes `checked` segments drawn at random: at most (1-f)^checked. */
double rf_replay_spot_escape(int checked, int total, double f);

/** The checkpoint interval of the run in `dir` (its summary's
 *  checkpoint_every), 0 when it has no checkpoints or no readable summary. */
int rf_replay_checkpointed(const char *dir);

/** A seed from the operating system (/dev/urandom). */
int rf_replay_spot_seed_random(uint64_t *seed);

void rf_replay_spot_free(rf_replay_spot *s);

/** The outcome of comparing a re-run with an author's replay. */
typedef struct rf_replay_diff {
	int identical;        /**< 1: logs equal (within tolerance), digest equal */
	int log_ok;           /**< the logs agree (within tolerance) */
	int digest_ok;        /**< the weights' SHA-256 are equal */
	long line;            /**< first log line (1-based) that parts, else 0 */
	char kind[16];        /**< that row's "type" ("sft", "grpo", "eval") */
	long step;            /**< its step */
	char metric[48];      /**< the first metric that parts ("" if rows differ) */
	double author, replay;/**< the two values */
	char detail[256];     /**< a sentence when the rows cannot be compared */
	char author_digest[65], replay_digest[65];
	/** every figure of the author's summary.json equals (within the
	 *  tolerance) the re-run's, and its log_sha256 is its log's */
	int summary_ok;
	char summary_detail[256]; /**< the first disagreement, a sentence */
	/** the author's model.safetensors, when shipped, hashes to the
	 *  summary's weights_sha256 (1 when not shipped) */
	int model_ok;
	int model_present;
	char model_digest[65];    /**< its SHA-256 when present */
} rf_replay_diff;

/** Read and validate a replay directory's log.jsonl (every row) and
 *  summary.json without re-running anything: RF_EFORMAT naming 'file':line
 *  on the first malformed row or field, RF_ENOTFOUND for a missing file. */
int rf_replay_validate(const char *dir);

/** Compare an author's replay directory with a re-run's: the first log
 *  row and metric that differ by more than `tolerance` (absolute, or
 *  relative to the larger magnitude, whichever is looser; 0: bit-exact);
 *  every figure of the author's summary.json against the re-run's (counts
 *  and digests exactly; log_sha256 against the author's own log, and
 *  against the re-run's when bit-exact); and the author's shipped
 *  model.safetensors, when present, against the summary's weights_sha256.
 *  out->identical: all of that holds and the weights' digests are equal
 *  (with a tolerance, digests may differ).  Returns 0 with the first
 *  difference of each kind described (mismatch is not an error); negative
 *  codes for unreadable or malformed input. */
int rf_replay_compare(rf_replay_diff *out, const char *author_dir,
		      const char *replay_dir, double tolerance);

/** Find the replay inside `path`: a bundle (data/replay/ holding
 *  recipe.yaml, log.jsonl, summary.json) or a directory holding them.
 *  Stores the directory's path in *out (caller frees with free()). */
int rf_replay_locate(char **out, const char *path);

/** The `replay` derivation source for claims (`from: {source: replay,
 *  dir: replay, metric: accuracy-final}`; manifests/README.md): a figure
 *  derived from the evaluation rows of a replay's log.jsonl, the evidence
 *  a re-run reproduces.  The summary.json must agree with that log (its
 *  log_sha256, accuracies, final reward and step count), else the claim is
 *  INCONSISTENT; the claim is as good as the log, which only
 *  `referee replay --check` confirms by re-running.
 *  Borrowed, static; register with rf_check_add_source(). */
const rf_claims_source *rf_replay_claims_source(void);

/* ---- auditing a logged GRPO batch (no model needed) ---- */

/** One figure the audit checked. */
typedef struct rf_grpo_audit_item {
	char what[96];     /**< "sample 3 advantage", "stats.loss", ... */
	double logged;
	double recomputed;
	int ok;
} rf_grpo_audit_item;

typedef struct rf_grpo_audit rf_grpo_audit;

/** Audit a batch file (format in CONTRIBUTING.md, "GRPO batch"): recompute
 *  advantages, ratios, clip fraction, KL and the loss from the rewards and
 *  log-probabilities, and compare them with the logged figures (relative
 *  tolerance `tol`, absolute below 1).  Malformed input is an error;
 *  figures that do not follow are items with ok == 0.  Free with
 *  rf_grpo_audit_free(). */
int rf_grpo_audit_file(rf_grpo_audit **out, const char *path, double tol);

/** Same, from bytes in memory (`name` for messages). */
int rf_grpo_audit_parse(rf_grpo_audit **out, const char *text, size_t len,
			const char *name, double tol);

/** Number of figures checked, and how many do not follow. */
size_t rf_grpo_audit_count(const rf_grpo_audit *a);
size_t rf_grpo_audit_failures(const rf_grpo_audit *a);
/** Borrowed item i (< count). */
const rf_grpo_audit_item *rf_grpo_audit_item_at(const rf_grpo_audit *a,
						size_t i);
/** Sizes of the audited batch. */
size_t rf_grpo_audit_samples(const rf_grpo_audit *a);
size_t rf_grpo_audit_groups(const rf_grpo_audit *a);
size_t rf_grpo_audit_tokens(const rf_grpo_audit *a);
void rf_grpo_audit_free(rf_grpo_audit *a);

#ifdef __cplusplus
}
#endif
#endif
