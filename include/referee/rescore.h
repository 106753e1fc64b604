/* referee — re-scoring model outputs: JSON Lines rollouts in, per-sample
 * verdicts and pass@1 / pass@k / cons@k with bootstrap confidence
 * intervals out.
 *
 * Input lines are either one problem with a list of k completions, or one
 * completion each (consecutive lines with the same problem id form one
 * problem).  A problem's lines must be consecutive: an id seen before,
 * after another id or on a second one-problem line, is an error.  Field
 * names are mappable.  The file is streamed in batches scored on a thread
 * pool: memory does not grow with the number of lines or samples (only a
 * few dozen bytes per problem, for its id), and results do not depend on
 * the thread count. */
#ifndef REFEREE_RESCORE_H
#define REFEREE_RESCORE_H

#include <stddef.h>
#include <stdio.h>

#include "claims.h"
#include "reward.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Longest input line accepted by default (bytes). */
#define RF_RESCORE_MAX_LINE ((size_t)256 << 20)
/** Longest problem id (bytes); every id is remembered, to catch one that
 *  comes back (about 64 bytes a problem plus twice the id's length). */
#define RF_RESCORE_MAX_ID 1024
/** Most samples one problem may have. */
#define RF_RESCORE_MAX_SAMPLES 100000
/** Bootstrap defaults: replicates and seed. */
#define RF_RESCORE_BOOTSTRAP 1000
#define RF_RESCORE_SEED 20250917UL

/** Unbiased pass@k (Chen et al. 2021) for n samples of which c are correct:
 *  1 - C(n-c, k) / C(n, k), computed as 1 - prod_{i=n-c+1..n} (1 - k/i)
 *  (no large binomials).  Returns 1 when n - c < k; NAN when k > n or
 *  k == 0 or c > n. */
double rf_pass_at_k(size_t n, size_t c, size_t k);

/** Majority vote over the first `n` verdicts: answers are grouped into
 *  equivalence classes (each answer joins the first class whose first
 *  member it equals, rf_reward_same_answer()); samples without an answer
 *  do not vote.  The largest class wins; a tie goes to the class whose
 *  first member comes first.  Returns the index of the winning class's
 *  first member and its size in `*votes`, or -1 when no sample has an
 *  answer. */
long rf_majority_vote(const rf_reward_verdict *v, size_t n, size_t *votes);

/** Where each field is found in a line.  NULL: the first present of the
 *  defaults (see rf_rescore_default_fields()).  A name may be a dotted path
 *  into nested objects ("output.text"). */
typedef struct rf_rescore_fields {
	const char *id;         /**< problem id: idx, id, problem_id, question_id, unique_id
				     (absent: the line number) */
	const char *completion; /**< a string or an array of strings: completions, responses,
				     outputs, code, completion, response, output, generations */
	const char *answer;     /**< the reference: answer, gt, ground_truth, reference,
				     target, final_answer, solution (\boxed{} taken from it) */
	const char *numbers;    /**< countdown's numbers: nums, numbers */
} rf_rescore_fields;

/** The default names tried for `field` ("id", "completion", "answer",
 *  "numbers"), NULL-terminated; borrowed static array, or NULL for an
 *  unknown field. */
const char *const *rf_rescore_default_fields(const char *field);

/** One scored sample, handed to the callback in input order. */
typedef struct rf_rescore_sample {
	const char *id;              /**< problem id as text */
	size_t line;                 /**< 1-based line the completion came from */
	size_t problem;              /**< 0-based problem number */
	size_t index;                /**< sample number within the problem */
	const char *reference;       /**< the reference as read ("" when none) */
	const char *reference_normalised; /**< math: the normalised reference */
	const rf_reward_verdict *verdict;
	int voted;                   /**< 1 when within the first k (cons@k) */
	int majority;                /**< 1 when in the winning class of the vote */
	const char *note;            /**< the format reader's note on this
					  problem ("harness gt unusable: ..."),
					  or "" */
} rf_rescore_sample;

/** Called for every sample in input order; a non-zero return stops the
 *  run with that code (set rf_error_set() first). */
typedef int (*rf_rescore_sample_fn)(void *ctx, const rf_rescore_sample *s);

typedef struct rf_rescore_opts {
	const rf_reward *reward;  /**< required */
	rf_rescore_fields fields;
	size_t k;                 /**< k of pass@k and cons@k; 0: the first problem's n */
	int threads;              /**< 0: all cores */
	unsigned long seed;       /**< bootstrap seed; 0: RF_RESCORE_SEED */
	int bootstrap;            /**< replicates; 0: RF_RESCORE_BOOTSTRAP; -1: none */
	size_t max_line;          /**< 0: RF_RESCORE_MAX_LINE */
	rf_rescore_sample_fn on_sample; /**< may be NULL */
	void *ctx;
	const char *format;       /**< input format (rf_rescore_format_names());
				       NULL or "auto": detected from the first
				       line when one format fits, else jsonl */
} rf_rescore_opts;

/** The input formats rescore reads, NULL-terminated (static): "jsonl"
 *  (generic, field names mappable), "qwen-math", "verl", "lm-eval",
 *  "openai-chat", "vllm". */
const char *const *rf_rescore_format_names(void);

/** One line on the tool whose output `format` is; NULL for an unknown
 *  name (static). */
const char *rf_rescore_format_tool(const char *format);

/** A figure with its 95% interval (bootstrap over problems, percentile). */
typedef struct rf_metric {
	double value, lo, hi;
	size_t problems; /**< problems it is averaged over */
} rf_metric;

typedef struct rf_rescore_summary {
	size_t lines, problems, samples;
	size_t k;              /**< the k used */
	size_t n_min, n_max;   /**< samples per problem */
	size_t short_problems; /**< fewer than k samples: left out of pass@k, cons@k */
	size_t no_answer;      /**< samples without an extractable answer */
	size_t correct;        /**< correct samples */
	rf_metric mean_reward; /**< mean over problems of the mean reward */
	rf_metric pass1;       /**< mean over problems of c/n (R1's pass@1) */
	rf_metric pass_k;      /**< mean unbiased pass@k */
	rf_metric cons_k;      /**< majority vote of the first k is correct */
	int bootstrap;
	unsigned long seed;
	char format[16];       /**< the input format used */
	char answers[96];      /**< where the math reward looked for answers
				    (rf_reward_extract_policy()) */
	size_t noted;          /**< samples with a reader's note */
	size_t truncated;      /**< samples flagged cut off at the length limit */
} rf_rescore_summary;

/** Re-score the rollouts in `f` (`name` names it in messages).  Errors name
 *  the line: RF_EFORMAT for a line that is not a JSON object or lacks a
 *  field, or whose problem id was already seen before another id (both
 *  lines named), RF_ELIMIT for an over-long line or id or too many
 *  samples, RF_EIO for a read error, or the callback's code.  Memory holds
 *  a batch of lines, the open problem, and each problem's id. */
int rf_rescore_stream(rf_rescore_summary *out, FILE *f, const char *name,
		      const rf_rescore_opts *opts);

/** rf_rescore_stream() on the file at `path`. */
int rf_rescore_file(rf_rescore_summary *out, const char *path,
		    const rf_rescore_opts *opts);

/** Append one sample's verdict as a compact JSON object (no newline):
 *  id, sample, line, answer, normalised, reference, reference_normalised,
 *  reward, correct, majority, reason. */
int rf_rescore_sample_json(rf_buf *out, const rf_rescore_sample *s);

/** Append the summary as indented JSON: rollouts, reward, lines, problems,
 *  samples, samples_per_problem, k, short_problems, correct, no_answer,
 *  bootstrap, and metrics {mean_reward, pass@1, pass@K, cons@K}, each
 *  {value, ci95: [lo, hi], problems} (null where undefined). */
int rf_rescore_summary_json(rf_buf *out, const rf_rescore_summary *s,
			    const char *rollouts, const char *reward);

/** The `rescore` derivation source of the claims check (static; register
 *  it with rf_check_add_source()).  A claim's `from:` names the rollouts
 *  (relative to the manifests' directory, staying inside it), the reward
 *  (default math), the metric (pass@1, pass@k, cons@k or maj@k, mean-reward;
 *  "pass@8" sets k), optionally k, map (field names as rescore --map),
 *  extract, and use: value (default; the figure is exact) or ci95 (its
 *  bootstrap interval).  Missing rollouts make the claim UNVERIFIABLE. */
const rf_claims_source *rf_rescore_claims_source(void);

/** The `verl-log` derivation source (static): a verl run's file-logger
 *  figures (`log:`, {"step", "data"} lines) against its rollout dumps
 *  (`rollouts:` directory of <step>.jsonl), each dumped step re-scored with
 *  `reward:` (default math).  `metric:` (default critic/score/mean; .../max,
 *  .../min), `step:` (default the last compared), `tolerance:` (default
 *  1e-6).  A logged step that differs from its re-scored rollouts makes the
 *  claim INCONSISTENT; the derived figure is the re-scored one. */
const rf_claims_source *rf_rescore_verl_log_source(void);

/** The `lm-eval` derivation source (static): an lm-evaluation-harness task
 *  figure.  `samples:` (samples_<task>_*.jsonl), `task:`, `metric:`
 *  (default exact_match), `filter:` (default none); `results:` (the
 *  results JSON: its "<metric>,<filter>" must be the samples' mean, else
 *  INCONSISTENT); `rescore:` (a reward: the generations are re-scored and
 *  that pass@1 is the derived figure).  Figures are percentages. */
const rf_claims_source *rf_rescore_lmeval_source(void);

#ifdef __cplusplus
}
#endif
#endif
