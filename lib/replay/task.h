/* referee replay — tasks with verifiable answers and their character-level
 * tokenizer (internal to lib/): problem generation from a counter-based RNG,
 * reference answers for the warm-start, and rule-based rewards. */
#ifndef REFEREE_LIB_REPLAY_TASK_H
#define REFEREE_LIB_REPLAY_TASK_H

#include <stddef.h>
#include <stdint.h>

#include "referee/replay.h"

/* Token ids: 0 ends a completion, 1 begins a prompt, then one per char. */
#define RF_TOK_EOS 0
#define RF_TOK_BOS 1
#define RF_TOK_CHARS "0123456789+-*/()=,:"
#define RF_TOK_VOCAB (2 + (int)(sizeof RF_TOK_CHARS - 1))

#define RF_TASK_MAX_PROMPT 40
#define RF_TASK_MAX_ANSWER 40
#define RF_TASK_MAX_NUMBERS 5

/** The id of character c, or -1. */
int rf_tok_id(char c);
/** The character of id (EOS as '$', BOS as '^', unknown '?'). */
char rf_tok_char(int id);

typedef struct rf_task_item {
	int32_t prompt[RF_TASK_MAX_PROMPT];
	int prompt_len;
	int32_t answer[RF_TASK_MAX_ANSWER]; /* reference answer incl. EOS */
	int answer_len;
	int nnum;
	long nums[RF_TASK_MAX_NUMBERS]; /* add: the operands; countdown: numbers */
	long target;                    /* add: the sum; countdown: the target */
} rf_task_item;

/** A counter-based draw position: every draw of one item is a function of
 *  (seed, stream, index, n) only. */
typedef struct rf_draw {
	uint64_t seed;
	uint32_t stream;
	uint64_t index;
	uint32_t n;
} rf_draw;

/** Next uniform 32-bit word / integer in [0, bound) (bound > 0). */
uint32_t rf_draw_u32(rf_draw *d);
uint32_t rf_draw_below(rf_draw *d, uint32_t bound);

/** Prompt length of every problem of the recipe's task (fixed, so that a
 *  batch decodes position by position). */
int rf_task_prompt_len(const rf_replay_recipe *r);
/** Longest reference answer incl. EOS. */
int rf_task_answer_max(const rf_replay_recipe *r);

/** Make problem `index` of RNG `stream`. */
int rf_task_make(const rf_replay_recipe *r, uint64_t seed, uint32_t stream,
		 uint64_t index, rf_task_item *it);

/** A key identifying a problem (for keeping held-out problems out of the
 *  training stream). */
uint64_t rf_task_key(const rf_task_item *it);

/** Score a completion (tokens up to and including EOS if present):
 *  *correct 1 when the answer is right, *formatted 1 when it is well formed
 *  and ends with EOS; returns accuracy + format_weight * formatted. */
double rf_task_reward(const rf_replay_recipe *r, const rf_task_item *it,
		      const int32_t *completion, int len, int *correct,
		      int *formatted);

/** Countdown rule on text: `expr` must use each of nums exactly once with
 *  + - * / and parentheses, and equal `target` exactly (rational
 *  arithmetic).  Returns 1 right, 0 wrong but well formed, -1 malformed. */
int rf_countdown_check(const char *expr, size_t len, const long *nums,
		       int nnum, long target);

/** The completion budget of a recipe (grpo.max_len, or the longest answer
 *  plus 2 when 0). */
int rf_replay_max_len(const rf_replay_recipe *r);

#endif
