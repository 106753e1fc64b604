/* Unit tests for the math reward (lib/reward/math.c, math_parse.c,
 * bignum.c): the labelled equivalence table, extraction, bounds on hostile
 * answers, and agreement with the Qwen grader on math_cot_80. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "referee/referee.h"

static char *slurp(const char *name)
{
	rf_buf b = RF_BUF_INIT;
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", RF_TEST_DATA, name);
	assert_int_equal(rf_file_read(&b, path, 64u << 20), 0);
	return rf_buf_detach(&b);
}

/* Every labelled pair, both ways round: equality must be symmetric. */
static void test_equivalence_table(void **state)
{
	char *text = slurp("math_equiv_pairs.tsv"), *save = NULL, *line;
	int n = 0, bad = 0, eq = 0, ne = 0;
	(void)state;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f[4], *p = line, why[128], why2[128];
		int k = 0;
		if (line[0] == '#')
			continue;
		for (; k < 4; k++) {
			f[k] = p;
			p = strchr(p, '\t');
			if (!p) {
				k++;
				break;
			}
			*p++ = '\0';
		}
		assert_int_equal(k, 4);
		int want = f[0][0] == '1';
		int got = rf_math_equal(f[1], f[2], why, sizeof why);
		int back = rf_math_equal(f[2], f[1], why2, sizeof why2);
		n++;
		want ? eq++ : ne++;
		if (got != want || back != want) {
			bad++;
			printf("# pair %d (%s): '%s' vs '%s': expected %d, got "
			       "%d/%d (%s)\n",
			       n, f[3], f[1], f[2], want, got, back, why);
		}
	}
	free(text);
	printf("# %d pairs (%d equal, %d not equal), %d wrong\n", n, eq, ne,
	       bad);
	assert_true(n >= 200);
	assert_true(eq >= 60 && ne >= 60);
	assert_int_equal(bad, 0);
}

/* The false positives other graders are known for, spelled out. */
static void test_known_false_positives(void **state)
{
	static const char *const pairs[][2] = {
	    {"1/2^{99}", "1/2^{98}"},
	    {"\\frac{1}{2004!}", "\\frac{1}{2006!}"},
	    {"n=2,3,4", "n=1,2,3"},
	    {"\\pm 2021", "2021"},
	    {"1-\\frac1e", "1+\\frac1e"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
		assert_int_equal(
		    rf_math_equal(pairs[i][0], pairs[i][1], NULL, 0), 0);
		/* and each equals itself, so the 0 is a decision, not a failure
		 */
		assert_int_equal(
		    rf_math_equal(pairs[i][0], pairs[i][0], NULL, 0), 1);
	}
}

static void expect_extract(const char *text, int rc, const char *want)
{
	rf_buf b = RF_BUF_INIT;
	const char *how;
	int got = rf_math_extract(&b, text, strlen(text),
				  RF_MATH_EXTRACT_BOXED | RF_MATH_EXTRACT_ANSWER_IS,
				  &how);
	if (got != rc)
		fail_msg("extract '%s': rc %d, expected %d (%s)", text, got, rc,
			 rf_error_last());
	if (want)
		assert_string_equal(b.data ? b.data : "", want);
	rf_buf_free(&b);
}

static void test_extract(void **state)
{
	(void)state;
	expect_extract("so \\boxed{\\frac{1}{2}}.", 0, "\\frac{1}{2}");
	expect_extract("\\boxed{1} then \\boxed{2}", 0, "2");
	expect_extract("\\boxed{\\{1,2\\}}", 0, "\\{1,2\\}");
	expect_extract("\\fbox{7}", 0, "7");
	/* the later of \boxed and \fbox, searched from the end past other
	 * backslashes and a bare "\box" */
	expect_extract("\\boxed{1} then \\fbox{2} \\cdot \\box \\", 0, "2");
	expect_extract("\\fbox{1} then \\boxed{3} \\quad\\\\", 0, "3");
	expect_extract("\\fbox{1} x \\boxed{2} y \\fbox{4}", 0, "4");
	expect_extract("\\fbox", RF_ENOTFOUND, NULL);
	expect_extract("\\fbo \\boxe \\", RF_ENOTFOUND, NULL);
	/* one answer over several boxes joined only by separators */
	expect_extract("so $\\boxed{7}$ and $\\boxed{-5}$.", 0, "7, -5");
	expect_extract("\\boxed{1}, \\boxed{2} \\text{ or } \\boxed{3}", 0,
		       "1, 2, 3");
	/* boxes apart in the working are not joined */
	expect_extract("try \\boxed{4}? No. Then \\boxed{5}", 0, "5");
	expect_extract("\\boxed 5 is it", 0, "5");
	expect_extract("The answer is 42. Done", 0, "42");
	expect_extract("Final Answer: $x=3$", 0, "x=3");
	expect_extract("nothing here", RF_ENOTFOUND, NULL);
	expect_extract("\\boxed{1 + {2", RF_EFORMAT, NULL);
	/* last-number is off by default, on when asked */
	rf_buf b = RF_BUF_INIT;
	assert_int_equal(rf_math_extract(&b, "we get 17 apples.", 17,
					 RF_MATH_EXTRACT_LAST_NUMBER, NULL),
			 0);
	assert_string_equal(b.data, "17");
	rf_buf_free(&b);
}

static int extract_with(const char *text, unsigned flags, rf_buf *b)
{
	rf_buf_clear(b);
	return rf_math_extract(b, text, strlen(text), flags, NULL);
}

/* Regression (issue 12): a fallback took "1/2" from "Wait, but I recall
 * that the correct answer is 1/2" in an output cut off before it
 * concluded.  No fallback reads an unfinished thought. */
static void test_extract_unfinished(void **state)
{
	const unsigned all = RF_MATH_EXTRACT_BOXED | RF_MATH_EXTRACT_ANSWER_IS |
			     RF_MATH_EXTRACT_LAST_NUMBER;
	rf_buf b = RF_BUF_INIT;
	(void)state;
	/* a <think> block never closed */
	assert_int_equal(
	    extract_with("<think>Let me compute. Wait, but I recall that the "
			 "correct answer is 1/2.",
			 all, &b),
	    RF_ENOTFOUND);
	assert_non_null(strstr(rf_error_last(), "never closed"));
	/* closed, the same text is an answer */
	assert_int_equal(
	    extract_with("<think>Let me compute.</think> The correct answer "
			 "is 1/2.",
			 all, &b),
	    0);
	assert_string_equal(b.data, "1/2");
	/* the last <think> is the one that must be closed */
	assert_int_equal(extract_with("<think>a</think> <think>The answer "
				      "is 2.",
				      all, &b),
			 RF_ENOTFOUND);
	assert_int_equal(extract_with("<think>a <think>b</think> The answer "
				      "is 2.",
				      all, &b),
			 0);
	assert_string_equal(b.data, "2");
	/* breaking off mid-sentence (the length limit) */
	assert_int_equal(
	    extract_with("Wait, but I recall that the correct answer is 1/2. "
			 "Hmm, let me verify this by",
			 all, &b),
	    RF_ENOTFOUND);
	assert_non_null(strstr(rf_error_last(), "mid-sentence"));
	assert_int_equal(extract_with("So far x = 17 and then 2 \\cdot", all, &b),
			 RF_ENOTFOUND);
	assert_int_equal(extract_with("The sum is 3 + 4 = 7, so 7 +", all, &b),
			 RF_ENOTFOUND);
	/* flagged as cut off (finish_reason "length"): nothing but \boxed */
	assert_int_equal(extract_with("The answer is 7.",
				      all | RF_MATH_EXTRACT_TRUNCATED, &b),
			 RF_ENOTFOUND);
	assert_int_equal(extract_with("so \\boxed{7} and then",
				      all | RF_MATH_EXTRACT_TRUNCATED, &b),
			 0);
	assert_string_equal(b.data, "7");
	/* the concluding sentence itself, without a period, stands */
	assert_int_equal(
	    extract_with("We add them. Therefore the answer is 12 apples", all,
			 &b),
	    0);
	assert_string_equal(b.data, "12 apples");
	/* last-number: the concluding line only, never a restated question */
	assert_int_equal(
	    extract_with("Find 3 + 4.\nWe add.\nThe total is 7.",
			 RF_MATH_EXTRACT_LAST_NUMBER, &b),
	    0);
	assert_string_equal(b.data, "7");
	assert_int_equal(extract_with("We add 3 and 4.\nWhat is 3 + 4?",
				      RF_MATH_EXTRACT_LAST_NUMBER, &b),
			 RF_ENOTFOUND);
	assert_int_equal(extract_with("The total is 7.\nLet me double check",
				      RF_MATH_EXTRACT_LAST_NUMBER, &b),
			 RF_ENOTFOUND);
	rf_buf_free(&b);
}

/* Regression (issue 12): with a Unicode unit the value became symbolic and
 * the numeric comparison had an absolute floor of 1e-13, so 1.3e-26 and
 * 1.3e-27 were "equal (numeric at 9 points)".  Small values compare
 * relatively. */
static void test_tiny_values_relative(void **state)
{
	static const char *const ne[][2] = {
	    {"13.252 \\times 10^{-27} \\text{ kg\xc2\xb7m/s}", "1.325e-27"},
	    {"1.3e-26 x", "1.3e-27 x"},
	    {"1.3 \\times 10^{-27} m", "1.4 \\times 10^{-27} m"},
	    {"6.626 \\times 10^{-34}", "6.626 \\times 10^{-33}"},
	    {"2 \\times 10^{-20} \\sqrt{x}", "3 \\times 10^{-20} \\sqrt{x}"},
	};
	static const char *const eq[][2] = {
	    {"13.252 \\times 10^{-27} \\text{ kg\xc2\xb7m/s}",
	     "1.3252 \\times 10^{-26}"},
	    {"1.3e-26 x", "13 \\times 10^{-27} x"},
	    {"\\sin(\\pi)", "0"},
	    {"x + 1 - x", "1"},
	};
	char why[128];
	(void)state;
	for (size_t i = 0; i < sizeof ne / sizeof ne[0]; i++) {
		if (rf_math_equal(ne[i][0], ne[i][1], why, sizeof why) != 0 ||
		    rf_math_equal(ne[i][1], ne[i][0], why, sizeof why) != 0)
			fail_msg("'%s' vs '%s' must differ (%s)", ne[i][0],
				 ne[i][1], why);
	}
	for (size_t i = 0; i < sizeof eq / sizeof eq[0]; i++)
		if (rf_math_equal(eq[i][0], eq[i][1], why, sizeof why) != 1)
			fail_msg("'%s' vs '%s' must be equal (%s)", eq[i][0],
				 eq[i][1], why);
}

/* Hostile answers: every one finishes quickly with a verdict. */
static void test_hostile_answers(void **state)
{
	rf_buf b = RF_BUF_INIT;
	char why[128];
	clock_t t0 = clock();
	(void)state;
	/* 10,000 nested braces: extraction refuses the size, the parser the
	 * depth */
	for (int i = 0; i < 10000; i++)
		rf_buf_puts(&b, "{");
	rf_buf_puts(&b, "1");
	for (int i = 0; i < 10000; i++)
		rf_buf_puts(&b, "}");
	rf_buf t = RF_BUF_INIT;
	rf_buf_puts(&t, "\\boxed");
	rf_buf_append(&t, b.data, b.len);
	rf_buf out = RF_BUF_INIT;
	assert_int_equal(
	    rf_math_extract(&out, t.data, t.len, RF_MATH_EXTRACT_BOXED, NULL),
	    RF_ELIMIT);
	assert_int_equal(rf_math_equal(b.data, "1", why, sizeof why),
			 RF_ELIMIT);
	rf_buf_free(&out);
	rf_buf_free(&t);
	/* deep but short: 1000 nested parentheses fit the size, not the depth
	 */
	rf_buf_clear(&b);
	for (int i = 0; i < 1000; i++)
		rf_buf_puts(&b, "(");
	rf_buf_puts(&b, "1");
	for (int i = 0; i < 1000; i++)
		rf_buf_puts(&b, ")");
	rf_math_answer *a = NULL;
	const char *err;
	assert_int_equal(rf_math_answer_parse(&a, b.data, b.len), 0);
	assert_int_equal(rf_math_answer_is_expression(a, &err), 0);
	assert_non_null(strstr(err, "nested too deeply"));
	rf_math_answer_free(a);
	assert_int_equal(rf_math_equal(b.data, "1", NULL, 0), 0);
	/* huge numbers: overflow is never "equal" */
	assert_int_equal(
	    rf_math_equal("10^{10^{10}}", "10^{10^{10}}+1", why, sizeof why),
	    0);
	assert_non_null(strstr(why, "too large"));
	assert_int_equal(rf_math_equal("2^{2^{2^{2^{2^{2}}}}}",
				       "2^{2^{2^{2^{2^{2}}}}}-1", NULL, 0),
			 0);
	assert_int_equal(rf_math_equal("100000!", "100001!", NULL, 0), 0);
	assert_int_equal(rf_math_equal("(10^{100})!", "(10^{100})!+1", NULL, 0),
			 0);
	assert_int_equal(rf_math_equal("\\binom{10^{9}}{500000}", "1", NULL, 0),
			 0);
	assert_int_equal(rf_math_equal("1e100000", "1e99999", NULL, 0), 0);
	/* a 4000-digit number is exact; 4001 digits are refused by the parser
	 */
	rf_buf_clear(&b);
	for (int i = 0; i < 4000; i++)
		rf_buf_puts(&b, "9");
	assert_int_equal(rf_math_equal(b.data, b.data, NULL, 0), 1);
	rf_buf_puts(&b, "+1");
	assert_int_equal(rf_math_equal(b.data, "1", NULL, 0), 0);
	/* many nodes: the arena caps them */
	rf_buf_clear(&b);
	for (int i = 0; i < 1300; i++)
		rf_buf_puts(&b, "x+");
	rf_buf_puts(&b, "1");
	assert_int_equal(rf_math_equal(b.data, "1", NULL, 0), 0);
	/* invalid UTF-8 and control bytes are text, compared as text */
	assert_int_equal(rf_math_equal("\xff\xfe 3", "3", NULL, 0), 0);
	assert_int_equal(rf_math_equal("\xc3\x28", "\xc3\x28", NULL, 0), 1);
	assert_int_equal(rf_math_equal("", "", NULL, 0), 0);
	/* 2^{60000}·2^{60000}: exact would need 120,000 bits, over the cap */
	assert_int_equal(
	    rf_math_equal("2^{60000}\\cdot 2^{60000}", "4^{60000}", NULL, 0),
	    0);
	rf_buf_free(&b);
	/* all of the above in well under a few seconds of CPU (sanitizers
	 * included); a hang would never get here */
	printf("# hostile answers: %.2f s CPU\n",
	       (double)(clock() - t0) / CLOCKS_PER_SEC);
}

/* Agreement with the Qwen grader on 640 real responses, and the listed
 * disagreements are exactly the actual ones. */
static void test_math_cot_80_agreement(void **state)
{
	char path[1024], *fix = slurp("math_cot_80.disagreements.tsv");
	FILE *f;
	char *line = NULL;
	size_t cap = 0, total = 0, agree = 0;
	rf_reward *rw;
	rf_buf actual = RF_BUF_INIT, listed = RF_BUF_INIT;
	(void)state;
	assert_int_equal(rf_reward_new(&rw, "math"), 0);
	snprintf(path, sizeof path, "%s/math_cot_80.jsonl", RF_TEST_DATA);
	f = fopen(path, "r");
	assert_non_null(f);
	while (getline(&line, &cap, f) > 0) {
		json_error_t e;
		json_t *j = json_loads(line, 0, &e), *code, *score, *idx;
		assert_non_null(j);
		code = json_object_get(j, "code");
		score = json_object_get(j, "score");
		idx = json_object_get(j, "idx");
		assert_int_equal(json_array_size(code), json_array_size(score));
		for (size_t i = 0; i < json_array_size(code); i++) {
			json_t *c = json_array_get(code, i);
			rf_reward_verdict v = RF_REWARD_VERDICT_INIT;
			rf_reward_input in = {
			    json_string_value(c),
			    json_string_length(c),
			    json_string_value(json_object_get(j, "answer")),
			    NULL,
			    NULL,
			    0,
			    0};
			assert_int_equal(rf_reward_score(rw, &v, &in), 0);
			int qwen = json_is_true(json_array_get(score, i));
			total++;
			if (qwen == v.correct)
				agree++;
			else
				rf_buf_printf(
				    &actual, "%lld:%zu:%s;",
				    (long long)json_integer_value(idx), i,
				    v.correct ? "true" : "false");
			rf_reward_verdict_clear(&v);
		}
		json_decref(j);
	}
	free(line);
	fclose(f);
	rf_reward_free(rw);
	/* the fixture, in file order */
	char *save = NULL;
	for (char *l = strtok_r(fix, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		long idx, smp;
		char q[8], r[8];
		if (l[0] == '#')
			continue;
		assert_int_equal(
		    sscanf(l, "%ld\t%ld\t%7s\t%7s", &idx, &smp, q, r), 4);
		rf_buf_printf(&listed, "%ld:%ld:%s;", idx, smp, r);
	}
	free(fix);
	printf(
	    "# math_cot_80: %zu of %zu agree with the Qwen grader (%.2f%%)\n",
	    agree, total, 100.0 * (double)agree / (double)total);
	printf("# disagreements: %s\n", actual.data ? actual.data : "none");
	assert_int_equal(total, 640);
	assert_true((double)agree / (double)total >= 0.98);
	assert_string_equal(actual.data ? actual.data : "",
			    listed.data ? listed.data : "");
	rf_buf_free(&actual);
	rf_buf_free(&listed);
}

/* Every Minerva and AIME gold answer equals itself in other clothes
 * (inline math, a box, a trailing period, invisible delimiters) and is not
 * equal to itself plus one. */
static void test_gold_answers_dressed(void **state)
{
	const char *files[] = {"minerva_math.jsonl", "aime24.jsonl"};
	size_t n = 0;
	(void)state;
	for (int fi = 0; fi < 2; fi++) {
		char path[1024], *line = NULL;
		size_t cap = 0;
		snprintf(path, sizeof path, "%s/%s", RF_TEST_DATA, files[fi]);
		FILE *f = fopen(path, "r");
		assert_non_null(f);
		while (getline(&line, &cap, f) > 0) {
			json_error_t e;
			json_t *j = json_loads(line, 0, &e);
			rf_buf gold = RF_BUF_INIT, dressed = RF_BUF_INIT;
			const char *text;
			assert_non_null(j);
			if (fi == 0) {
				text = json_string_value(
				    json_object_get(j, "solution"));
				assert_int_equal(
				    rf_math_extract(&gold, text, strlen(text),
						    RF_MATH_EXTRACT_BOXED,
						    NULL),
				    0);
			} else {
				rf_buf_puts(&gold,
					    json_string_value(
						json_object_get(j, "answer")));
			}
			static const char *const wrap[][2] = {
			    {"$", "$"},
			    {"\\boxed{", "}"},
			    {"", "."},
			    {"\\left. ", " \\right."},
			    {" ", " "}};
			for (size_t k = 0; k < sizeof wrap / sizeof wrap[0];
			     k++) {
				char why[128];
				rf_buf_clear(&dressed);
				rf_buf_puts(&dressed, wrap[k][0]);
				rf_buf_puts(&dressed, gold.data);
				rf_buf_puts(&dressed, wrap[k][1]);
				int r = rf_math_equal(gold.data, dressed.data,
						      why, sizeof why);
				if (r != 1)
					fail_msg("'%s' vs '%s': %d (%s)",
						 gold.data, dressed.data, r,
						 why);
			}
			/* plus one: never equal (an equation's right side is
			 * changed) */
			rf_buf_clear(&dressed);
			if (strchr(gold.data, '=') || strchr(gold.data, ','))
				rf_buf_printf(&dressed, "%s,1", gold.data);
			else
				rf_buf_printf(&dressed, "(%s)+1", gold.data);
			assert_int_equal(
			    rf_math_equal(gold.data, dressed.data, NULL, 0), 0);
			n++;
			rf_buf_free(&gold);
			rf_buf_free(&dressed);
			json_decref(j);
		}
		free(line);
		fclose(f);
	}
	printf("# %zu gold answers\n", n);
	assert_true(n >= 300);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_equivalence_table),
	    cmocka_unit_test(test_known_false_positives),
	    cmocka_unit_test(test_extract),
	    cmocka_unit_test(test_extract_unfinished),
	    cmocka_unit_test(test_tiny_values_relative),
	    cmocka_unit_test(test_hostile_answers),
	    cmocka_unit_test(test_math_cot_80_agreement),
	    cmocka_unit_test(test_gold_answers_dressed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
