/* Unit tests for lib/replay/task.c: the character tokenizer, problem
 * generation (deterministic, within range, reference answers that earn the
 * full reward) and the rule-based rewards, incl. the Countdown rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "referee/referee.h"
#include "replay/task.h"

static void text_of(const int32_t *t, int n, char *out)
{
	for (int i = 0; i < n; i++)
		out[i] = rf_tok_char(t[i]);
	out[n] = '\0';
}

static int encode(const char *s, int32_t *t)
{
	int n = 0;
	for (; *s; s++)
		t[n++] = *s == '$' ? RF_TOK_EOS : rf_tok_id(*s);
	return n;
}

static void test_tokenizer(void **state)
{
	(void)state;
	assert_int_equal(RF_TOK_VOCAB, 21);
	for (const char *c = RF_TOK_CHARS; *c; c++)
		assert_int_equal(rf_tok_char(rf_tok_id(*c)), *c);
	assert_int_equal(rf_tok_id('x'), -1);
	assert_int_equal(rf_tok_id('\0'), -1);
	assert_int_equal(rf_tok_char(RF_TOK_EOS), '$');
}

static void test_add(void **state)
{
	rf_replay_recipe r;
	rf_task_item it, again;
	char p[64], a[64];
	int32_t c[16];
	int ok, fmt;
	(void)state;
	rf_replay_recipe_defaults(&r);
	r.task.digits = 3;
	assert_int_equal(rf_replay_recipe_check(&r), 0);
	assert_int_equal(rf_task_prompt_len(&r), 9);
	for (uint64_t i = 0; i < 200; i++) {
		assert_int_equal(rf_task_make(&r, 5, 1, i, &it), 0);
		assert_int_equal(it.prompt_len, 9);
		text_of(it.prompt, it.prompt_len, p);
		text_of(it.answer, it.answer_len, a);
		char want[64];
		snprintf(want, sizeof want, "^%03ld+%03ld=", it.nums[0], it.nums[1]);
		assert_string_equal(p, want);
		snprintf(want, sizeof want, "%ld$", it.nums[0] + it.nums[1]);
		assert_string_equal(a, want);
		/* the reference answer earns accuracy and format */
		assert_true(rf_task_reward(&r, &it, it.answer, it.answer_len, &ok,
					   &fmt) == 1.1);
		assert_true(ok && fmt);
		/* counter-based: the same draw gives the same problem */
		rf_task_make(&r, 5, 1, i, &again);
		assert_memory_equal(&it, &again, sizeof it);
	}
	/* another seed, another problem */
	rf_task_make(&r, 6, 1, 0, &again);
	rf_task_make(&r, 5, 1, 0, &it);
	assert_true(memcmp(&it, &again, sizeof it) != 0);

	/* rewards on a fixed problem */
	memset(&it, 0, sizeof it);
	it.answer_len = encode("579$", it.answer);
	assert_true(rf_task_reward(&r, &it, c, encode("579$", c), &ok, &fmt) == 1.1);
	assert_true(rf_task_reward(&r, &it, c, encode("578$", c), &ok, &fmt) == 0.1);
	assert_true(!ok && fmt);
	assert_true(rf_task_reward(&r, &it, c, encode("579", c), &ok, &fmt) == 0);
	assert_true(rf_task_reward(&r, &it, c, encode("5+9$", c), &ok, &fmt) == 0);
	assert_true(rf_task_reward(&r, &it, c, encode("0579$", c), &ok, &fmt) == 0.1);
	assert_true(rf_task_reward(&r, &it, c, encode("$", c), &ok, &fmt) == 0);
	assert_true(rf_task_reward(&r, &it, c, encode("5790$", c), &ok, &fmt) == 0.1);
	assert_true(rf_task_reward(&r, &it, c, encode("57900$", c), &ok, &fmt) == 0);
	/* tokens after the end do not count */
	assert_true(rf_task_reward(&r, &it, c, encode("579$12", c), &ok, &fmt) == 1.1);

	/* reversed answers */
	r.task.reversed = 1;
	rf_task_make(&r, 5, 1, 3, &it);
	text_of(it.answer, it.answer_len, a);
	char want[64], rev[64];
	snprintf(want, sizeof want, "%ld", it.nums[0] + it.nums[1]);
	size_t n = strlen(want);
	for (size_t i = 0; i < n; i++)
		rev[i] = want[n - 1 - i];
	rev[n] = '$';
	rev[n + 1] = '\0';
	assert_string_equal(a, rev);
}

static void test_countdown_rule(void **state)
{
	long n3[3] = {3, 5, 7}, n4[4] = {2, 3, 4, 6}, z[3] = {2, 3, 3};
	(void)state;
#define CD(s, nums, k, t) rf_countdown_check(s, strlen(s), nums, k, t)
	assert_int_equal(CD("(3+5)*7", n3, 3, 56), 1);
	assert_int_equal(CD("7*(5+3)", n3, 3, 56), 1);
	assert_int_equal(CD("3+5*7", n3, 3, 38), 1);    /* precedence */
	assert_int_equal(CD("3+5*7", n3, 3, 56), 0);
	assert_int_equal(CD("7-5-3", n3, 3, -1), 1);    /* left assoc */
	assert_int_equal(CD("(3+5)*3", n3, 3, 24), 0);  /* 3 twice, 7 unused */
	assert_int_equal(CD("3+5", n3, 3, 8), 0);       /* 7 unused */
	assert_int_equal(CD("(3+5)*7+7", n3, 3, 63), 0); /* extra number */
	assert_int_equal(CD("03+5+7", n3, 3, 15), 1);   /* value 3 */
	assert_int_equal(CD("3+", n3, 3, 3), -1);
	assert_int_equal(CD("(3+5*7", n3, 3, 38), -1);
	assert_int_equal(CD("3+5)*7", n3, 3, 38), -1);
	assert_int_equal(CD("3 + 5", n3, 3, 8), -1);
	assert_int_equal(CD("-3+5+7", n3, 3, 9), -1);   /* no unary minus */
	assert_int_equal(CD("", n3, 3, 0), -1);
	/* exact rationals: 6/4 is not truncated */
	assert_int_equal(CD("6/4*2*3", n4, 4, 9), 1);
	assert_int_equal(CD("6/4*2*3", n4, 4, 6), 0);
	assert_int_equal(CD("2/(3-3)", z, 3, 0), 0); /* div by 0 */
	/* deep nesting is bounded, not a stack overflow */
	char deep[200];
	memset(deep, '(', 100);
	strcpy(deep + 100, "3");
	assert_int_equal(CD(deep, n3, 3, 3), -1);
#undef CD
}

static void test_countdown_items(void **state)
{
	rf_replay_recipe r;
	rf_task_item it;
	char a[64];
	int ok, fmt;
	(void)state;
	rf_replay_recipe_defaults(&r);
	r.task.kind = RF_TASK_COUNTDOWN;
	r.task.numbers = 4;
	r.task.max_number = 20;
	r.task.max_target = 100;
	assert_int_equal(rf_replay_recipe_check(&r), 0);
	for (uint64_t i = 0; i < 300; i++) {
		assert_int_equal(rf_task_make(&r, 9, 1, i, &it), 0);
		assert_int_equal(it.prompt_len, rf_task_prompt_len(&r));
		assert_true(it.answer_len <= rf_task_answer_max(&r));
		assert_true(it.target >= 1 && it.target <= 100);
		for (int k = 0; k < 4; k++)
			assert_true(it.nums[k] >= 1 && it.nums[k] <= 20);
		text_of(it.answer, it.answer_len - 1, a);
		assert_int_equal(rf_countdown_check(a, strlen(a), it.nums, 4,
						    it.target), 1);
		assert_true(rf_task_reward(&r, &it, it.answer, it.answer_len, &ok,
					   &fmt) == 1.1);
	}
	/* prompt layout: "^03,07,12,20:045=" */
	rf_task_make(&r, 9, 1, 0, &it);
	text_of(it.prompt, it.prompt_len, a);
	char want[64];
	snprintf(want, sizeof want, "^%02ld,%02ld,%02ld,%02ld:%03ld=", it.nums[0],
		 it.nums[1], it.nums[2], it.nums[3], it.target);
	assert_string_equal(a, want);
}

/* Our Countdown grammar (format) and the rewards module's rule (accuracy)
 * agree on which answers are right: the reference answers and mutations. */
static void test_countdown_rules_agree(void **state)
{
	rf_replay_recipe r;
	rf_task_item it;
	char a[64], w[128], why[128];
	size_t checked = 0, right = 0;
	(void)state;
	rf_replay_recipe_defaults(&r);
	r.task.kind = RF_TASK_COUNTDOWN;
	r.task.numbers = 4;
	r.task.max_number = 20;
	r.task.max_target = 100;
	for (uint64_t i = 0; i < 200; i++) {
		rf_task_make(&r, 3, 1, i, &it);
		text_of(it.answer, it.answer_len - 1, a);
		size_t n = strlen(a);
		/* the answer, then each one-character mutation */
		for (size_t k = 0; k <= n; k++) {
			char m[64];
			memcpy(m, a, n + 1);
			if (k < n)
				m[k] = "+-*/()0123456789"[(k * 7 + i) % 16];
			int mine = rf_countdown_check(m, strlen(m), it.nums, 4,
						      it.target);
			snprintf(w, sizeof w, "<answer>%s</answer>", m);
			double theirs = rf_reward_countdown(w, strlen(w), it.target,
							    it.nums, 4, why,
							    sizeof why);
			if ((mine == 1) != (theirs >= 1.0))
				fail_msg("'%s' target %ld: ours %d, rewards %g (%s)",
					 m, it.target, mine, theirs, why);
			checked++;
			right += mine == 1;
		}
	}
	assert_true(checked > 2000 && right > 200 && right < checked);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tokenizer),
		cmocka_unit_test(test_add),
		cmocka_unit_test(test_countdown_rule),
		cmocka_unit_test(test_countdown_items),
		cmocka_unit_test(test_countdown_rules_agree),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
