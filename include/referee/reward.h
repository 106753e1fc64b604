/* referee — rule-based rewards: boxed math answers, think/answer format,
 * language consistency, Countdown, and weighted sums of them.
 *
 * Each reward reads one completion (and, where it needs one, the reference
 * answer) and returns a number with a one-line reason.  Time and memory per
 * completion are bounded whatever the input: answers are capped in length,
 * nesting and arithmetic size; what exceeds a cap gets a reason, not a crash.
 * The functions are thread-safe: a configured rf_reward may be shared by
 * threads scoring different completions. */
#ifndef REFEREE_REWARD_H
#define REFEREE_REWARD_H

#include <stddef.h>

#include "buf.h"
#include "manifest.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ math */

/** Longest final answer (bytes) the math reward extracts and compares. */
#define RF_MATH_MAX_ANSWER 4096

/** Where the math reward looks for the final answer, tried in this order.
 *  The fallbacks after \boxed read prose, so they never read inside an
 *  unfinished thought: a <think> block that is never closed, an output that
 *  breaks off mid-word or mid-formula, or one flagged TRUNCATED. */
enum rf_math_extract_flags {
	RF_MATH_EXTRACT_BOXED = 1,       /**< last \boxed{...} or \fbox{...} */
	RF_MATH_EXTRACT_ANSWER_IS = 2,   /**< last "the answer is X" / "answer: X" */
	RF_MATH_EXTRACT_LAST_NUMBER = 4, /**< the last number of the output's
					      concluding line (not a question) */
	RF_MATH_EXTRACT_TRUNCATED = 0x100 /**< not a rule: the output was cut
					       off at the length limit */
};
/** Default extraction: \boxed only, the rule of R1's rule-based reward (an
 *  output that states its answer only in prose earns nothing; the
 *  "harness" preset credits prose the way evaluation harnesses do). */
#define RF_MATH_EXTRACT_DEFAULT RF_MATH_EXTRACT_BOXED

/** Extract the final answer of `text` (`len` bytes, need not be
 *  NUL-terminated) into `out` (appended).  `how`, when not NULL, receives a
 *  static word naming the rule that matched ("boxed", "answer-is",
 *  "last-number").  Returns 0, RF_ENOTFOUND when no rule matched, RF_ELIMIT
 *  when the answer is longer than RF_MATH_MAX_ANSWER, RF_EFORMAT when a
 *  \boxed{ is never closed; the message says which. */
int rf_math_extract(rf_buf *out, const char *text, size_t len, unsigned flags,
		    const char **how);

/** A final answer, normalised and parsed once so that it can be compared
 *  many times (majority voting).  Opaque; free with rf_math_answer_free(). */
typedef struct rf_math_answer rf_math_answer;

/** Normalise and parse `len` bytes of answer text.  Text that is not an
 *  expression is kept and compared as normalised text.  Returns 0, RF_ENOMEM,
 *  or RF_ELIMIT for more than RF_MATH_MAX_ANSWER bytes. */
int rf_math_answer_parse(rf_math_answer **out, const char *s, size_t len);

/** The normalised form (borrowed; lives as long as the answer). */
const char *rf_math_answer_normalised(const rf_math_answer *a);

/** 1 when the answer parsed as an expression, 0 when it is compared as
 *  text; `why`, when not NULL, receives the parser's reason (borrowed). */
int rf_math_answer_is_expression(const rf_math_answer *a, const char **why);

/** 1 when `a` and `b` are equivalent, 0 when not (or when that cannot be
 *  decided within the bounds: never a false "equal").  `why` (may be NULL)
 *  receives a short reason: "equal (exact)", "not equal", ... */
int rf_math_answer_equal(const rf_math_answer *a, const rf_math_answer *b,
			 char *why, size_t whylen);

/** NULL-safe. */
void rf_math_answer_free(rf_math_answer *a);

/** Convenience: parse both and compare.  1 equal, 0 not, negative RF_E* on
 *  failure (out of memory, answer too long). */
int rf_math_equal(const char *a, const char *b, char *why, size_t whylen);

/* ----------------------------------------------------------- the others */

/** Options of the format reward (R1's think-then-answer template). */
typedef struct rf_format_opts {
	const char *think_open;   /**< default "<think>" */
	const char *think_close;  /**< default "</think>" */
	const char *answer_open;  /**< NULL: any non-empty text after think_close;
				       else the answer must be wrapped in it */
	const char *answer_close; /**< e.g. "</answer>" */
	int think_at_start;       /**< 1: only whitespace may precede think_open
				       (default 0: models often get the open
				       tag from the prompt) */
} rf_format_opts;

/** Format reward: 1 when `text` is one think block followed by a non-empty
 *  answer (wrapped in the answer tags when they are set), 0 otherwise with
 *  the reason in `why`.  `opts` may be NULL (defaults). */
double rf_reward_format(const char *text, size_t len, const rf_format_opts *opts,
			char *why, size_t whylen);

/** Scripts known to the language reward. */
typedef enum rf_script {
	RF_SCRIPT_LATIN = 1, /**< "en", "latin": English and other Latin-script text */
	RF_SCRIPT_CJK,       /**< "zh", "ja", "cjk": Han, kana */
	RF_SCRIPT_CYRILLIC,  /**< "ru", "cyrillic" */
	RF_SCRIPT_ARABIC,    /**< "ar", "arabic" */
	RF_SCRIPT_HANGUL     /**< "ko", "hangul" */
} rf_script;

/** The script named by a language code or script name; 0 when unknown. */
rf_script rf_script_from_name(const char *name);

/** Language-consistency reward (R1): the fraction of words of the chain of
 *  thought (the text inside the think tags when present, else all of it)
 *  written in `target`.  A word is a run of letters of one script; each Han
 *  or kana character counts as a word; LaTeX commands (\frac) are not words.
 *  Invalid UTF-8 counts as foreign.  No words: 0 with a reason. */
double rf_reward_language(const char *text, size_t len, rf_script target,
			  const rf_format_opts *opts, char *why, size_t whylen);

/** Countdown reward (TinyZero's rules): the last <answer>...</answer> must
 *  be an arithmetic expression using + - * / and parentheses that uses each
 *  of `nums` exactly once and equals `target` (exactly, in rationals):
 *  1.0; a well-formed answer that breaks a rule: 0.1; no answer: 0. */
double rf_reward_countdown(const char *text, size_t len, long target,
			   const long *nums, size_t n_nums, char *why,
			   size_t whylen);

/* ------------------------------------------- configured, combined rewards */

/** A configured reward: one of math, format, language, countdown, or a
 *  weighted sum of them.  Opaque; free with rf_reward_free(). */
typedef struct rf_reward rf_reward;

/** Make a reward from a spec: a name ("math", "format", "language",
 *  "countdown") or a weighted sum ("math:0.9,format:0.1" or
 *  "math=0.9+format=0.1").  RF_EINVAL with a message for an unknown name or
 *  a bad weight. */
int rf_reward_new(rf_reward **out, const char *spec);

/** The reward a training config declares: its `rewards:` list (name,
 *  weight (default 1), params) as a weighted sum; each term's params are
 *  rf_reward_set() options.  RF_EINVAL when `config` is not a
 *  training-config, RF_ENOTFOUND when it declares no rewards, RF_EFORMAT
 *  (file:line:column) for an unknown reward or option. */
int rf_reward_from_config(rf_reward **out, const rf_manifest *config);

/** Set an option: "extract" (comma list of boxed, answer-is, last-number,
 *  or a preset: "boxed-only" (the default) = boxed, R1's rule;
 *  "harness" = boxed,answer-is,last-number: how common evaluation
 *  harnesses credit prose answers, without reading an unfinished or
 *  truncated output or a restated question),
 *  "think-open", "think-close", "answer-open", "answer-close",
 *  "think-at-start" (0/1), "language" (code or script), "pass-threshold"
 *  (a sample counts as correct at or above it; default 1).  The value is
 *  copied.  RF_EINVAL for an unknown key or bad value. */
int rf_reward_set(rf_reward *r, const char *key, const char *value);

/** Where the math term looks for final answers, in words ("\\boxed only
 *  (R1's rule)", ...); "" when the reward has no math term.  Static. */
const char *rf_reward_extract_policy(const rf_reward *r);

/** 1 when the reward needs a reference answer (math, countdown). */
int rf_reward_needs_reference(const rf_reward *r);

/** 1 when the reward needs the Countdown numbers. */
int rf_reward_needs_numbers(const rf_reward *r);

/** The spec the reward was made from, normalised ("math:0.9,format:0.1");
 *  borrowed. */
const char *rf_reward_spec(const rf_reward *r);

/** What one completion is scored against. */
typedef struct rf_reward_input {
	const char *completion;     /**< the model's output */
	size_t completion_len;
	const char *reference;      /**< gold answer (math) or target (countdown); may be NULL */
	const rf_math_answer *reference_parsed; /**< optional: reference parsed once */
	const long *numbers;        /**< countdown's numbers */
	size_t n_numbers;
	int truncated;              /**< 1: the output was cut off at the length
				         limit (finish_reason "length"): no
				         fallback reads it */
} rf_reward_input;

/** One completion's verdict.  Initialise with RF_REWARD_VERDICT_INIT; the
 *  buffers and `parsed` belong to the verdict: rf_reward_verdict_clear(). */
typedef struct rf_reward_verdict {
	double reward;          /**< the (weighted) reward */
	int correct;            /**< 1 when it passes (see "pass-threshold") */
	char reason[192];       /**< why, one line */
	rf_buf answer;          /**< the extracted final answer ("" when none) */
	rf_buf normalised;      /**< its normalised form */
	rf_math_answer *parsed; /**< the parsed answer for voting, or NULL */
} rf_reward_verdict;

#define RF_REWARD_VERDICT_INIT {0, 0, "", RF_BUF_INIT, RF_BUF_INIT, NULL}

/** Score one completion into `v` (cleared first).  Returns 0; a completion
 *  that breaks the rules is a verdict with reward 0 and a reason, not an
 *  error.  RF_EINVAL when a needed reference or numbers are missing,
 *  RF_ENOMEM when out of memory. */
int rf_reward_score(const rf_reward *r, rf_reward_verdict *v,
		    const rf_reward_input *in);

/** 1 when two verdicts' final answers are the same (the math reward's
 *  equivalence when both parsed, else equal normalised text); 0 when either
 *  has no answer.  Used for majority voting. */
int rf_reward_same_answer(const rf_reward_verdict *a, const rf_reward_verdict *b);

/** Release what the verdict holds and reset it; NULL-safe. */
void rf_reward_verdict_clear(rf_reward_verdict *v);

/** NULL-safe. */
void rf_reward_free(rf_reward *r);

#ifdef __cplusplus
}
#endif
#endif
