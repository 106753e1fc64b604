/* Unit tests for the format, language and Countdown rewards and for
 * configured (weighted) rewards (lib/reward/rules.c, reward.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "referee/referee.h"

static double fmt(const char *s, const rf_format_opts *o, char *why)
{
	return rf_reward_format(s, strlen(s), o, why, 160);
}

static void test_format(void **state)
{
	char why[160];
	rf_format_opts ans = {NULL, NULL, "<answer>", "</answer>", 1};
	(void)state;
	assert_true(fmt("<think>let me see</think> 42", NULL, why) == 1.0);
	/* the open tag often comes from the prompt: not required by default */
	assert_true(fmt("let me see</think> 42", NULL, why) == 1.0);
	assert_true(fmt("<think>let me see 42", NULL, why) == 0.0);
	assert_non_null(strstr(why, "</think> is missing"));
	assert_true(fmt("<think>a</think><think>b</think> 1", NULL, why) ==
		    0.0);
	assert_non_null(strstr(why, "more than once"));
	assert_true(fmt("<think>  </think> 1", NULL, why) == 0.0);
	assert_non_null(strstr(why, "thinking is empty"));
	assert_true(fmt("<think>x</think>   ", NULL, why) == 0.0);
	assert_non_null(strstr(why, "no answer"));
	assert_true(fmt("</think> x <think>", NULL, why) == 0.0);
	/* R1-Zero's template with answer tags, anchored at the start */
	assert_true(fmt("<think>x</think> <answer>7</answer>", &ans, why) ==
		    1.0);
	assert_true(fmt("hi <think>x</think> <answer>7</answer>", &ans, why) ==
		    0.0);
	assert_true(fmt("<think>x</think> 7", &ans, why) == 0.0);
	assert_true(
	    fmt("<think>x</think> <answer>7</answer> extra", &ans, why) == 0.0);
	assert_non_null(strstr(why, "outside"));
	assert_true(fmt("<think>x</think> <answer> </answer>", &ans, why) ==
		    0.0);
	/* configurable tags */
	rf_format_opts r = {"<reasoning>", "</reasoning>", NULL, NULL, 0};
	assert_true(fmt("<reasoning>x</reasoning> 7", &r, why) == 1.0);
	assert_true(fmt("<think>x</think> 7", &r, why) == 0.0);
}

static double lang(const char *s, rf_script t)
{
	char why[160];
	return rf_reward_language(s, strlen(s), t, NULL, why, sizeof why);
}

static void test_language(void **state)
{
	(void)state;
	assert_true(lang("<think>all english words here</think> 5",
			 RF_SCRIPT_LATIN) == 1.0);
	/* 4 English words, 2 Han characters (each a word) */
	double v =
	    lang("<think>so the answer 是 对 yes</think>", RF_SCRIPT_LATIN);
	assert_true(v > 0.66 && v < 0.67);
	v = lang("<think>so the answer 是 对 yes</think>", RF_SCRIPT_CJK);
	assert_true(v > 0.33 && v < 0.34);
	/* LaTeX commands and numbers are not words */
	assert_true(lang("<think>we get \\frac{1}{2} and \\sqrt{3}</think>",
			 RF_SCRIPT_LATIN) == 1.0);
	/* Cyrillic */
	assert_true(lang("<think>привет мир</think>", RF_SCRIPT_CYRILLIC) ==
		    1.0);
	assert_true(lang("<think>привет мир</think>", RF_SCRIPT_LATIN) == 0.0);
	/* invalid UTF-8 counts as foreign, never crashes */
	v = lang("<think>ok \xff\xfe\xfd ok</think>", RF_SCRIPT_LATIN);
	assert_true(v > 0 && v < 1);
	/* no thinking words */
	assert_true(lang("<think>123 456</think>", RF_SCRIPT_LATIN) == 0.0);
	/* without think tags the whole text is read */
	assert_true(lang("plain words", RF_SCRIPT_LATIN) == 1.0);
	assert_int_equal(rf_script_from_name("zh"), RF_SCRIPT_CJK);
	assert_int_equal(rf_script_from_name("klingon"), 0);
}

static double cd(const char *s, long target, const long *n, size_t k, char *why)
{
	return rf_reward_countdown(s, strlen(s), target, n, k, why, 160);
}

static void test_countdown(void **state)
{
	char why[160];
	const long nums[] = {3, 7, 25, 50};
	(void)state;
	/* 50 + 25 * 3 - 7 = 118; (50-25)*3+7 = 82 */
	assert_true(cd("<answer>50 + 25 * 3 - 7</answer>", 118, nums, 4, why) ==
		    1.0);
	assert_true(
	    cd("<answer>(50 - 25) * 3 + 7</answer>", 82, nums, 4, why) == 1.0);
	assert_true(cd("<answer>(50 - 25) * 3 + 7 = 82</answer>", 82, nums, 4,
		       why) == 1.0);
	/* wrong value: format score */
	assert_true(cd("<answer>50 + 25 + 3 + 7</answer>", 82, nums, 4, why) ==
		    0.1);
	assert_non_null(strstr(why, "not 82"));
	/* a number used twice, one missing, an extra one */
	assert_true(cd("<answer>50 + 25 + 3 + 3</answer>", 81, nums, 4, why) ==
		    0.1);
	assert_true(cd("<answer>50 + 25 + 7</answer>", 82, nums, 4, why) ==
		    0.1);
	assert_non_null(strstr(why, "uses 3 numbers"));
	/* only + - * / ( ) */
	assert_true(
	    cd("<answer>50 + 25 + 3^2 + 7</answer>", 91, nums, 4, why) == 0.1);
	/* exact rationals: 7/3 is not rounded */
	const long n2[] = {7, 3, 6};
	assert_true(cd("<answer>7 / 3 * 6</answer>", 14, n2, 3, why) == 1.0);
	assert_true(cd("<answer>7 / 3 + 6</answer>", 8, n2, 3, why) == 0.1);
	/* division by zero */
	const long n3[] = {5, 3, 3};
	assert_true(cd("<answer>5 / (3 - 3)</answer>", 0, n3, 3, why) == 0.1);
	assert_non_null(strstr(why, "division by zero"));
	/* no answer: 0; the last answer counts */
	assert_true(cd("I think 50+25+3+7", 85, nums, 4, why) == 0.0);
	assert_true(cd("<answer>1</answer> <answer>50 + 25 + 3 + 7</answer>",
		       85, nums, 4, why) == 1.0);
	/* hostile: deep nesting and long numbers end in a reason */
	char deep[400];
	memset(deep, '(', 150);
	strcpy(deep + 150, "1");
	memset(deep + 151, ')', 150);
	deep[301] = '\0';
	char t[500];
	snprintf(t, sizeof t, "<answer>%s</answer>", deep);
	const long one[] = {1};
	assert_true(cd(t, 1, one, 1, why) == 0.1);
	assert_true(
	    cd("<answer>99999999999999999999</answer>", 1, one, 1, why) == 0.1);
}

static void test_configured(void **state)
{
	rf_reward *r = NULL;
	rf_reward_verdict v = RF_REWARD_VERDICT_INIT;
	const char *text = "<think>easy</think> so \\boxed{\\frac{1}{2}}";
	rf_reward_input in = {text, strlen(text), "0.5", NULL, NULL, 0, 0};
	(void)state;
	assert_int_equal(rf_reward_new(&r, "math:0.9,format:0.1"), 0);
	assert_string_equal(rf_reward_spec(r), "math:0.9,format:0.1");
	assert_true(rf_reward_needs_reference(r));
	assert_int_equal(rf_reward_score(r, &v, &in), 0);
	assert_true(v.reward > 0.999 && v.reward < 1.001);
	assert_int_equal(v.correct, 1);
	assert_string_equal(v.answer.data, "\\frac{1}{2}");
	assert_non_null(strstr(v.reason, "equal"));
	/* wrong answer, right format: 0.1 and not correct */
	in.reference = "0.25";
	assert_int_equal(rf_reward_score(r, &v, &in), 0);
	assert_true(v.reward > 0.099 && v.reward < 0.101);
	assert_int_equal(v.correct, 0);
	rf_reward_verdict_clear(&v);
	rf_reward_free(r);
	/* "+" and "=" spellings; options */
	assert_int_equal(rf_reward_new(&r, "math=1+format=0.5"), 0);
	assert_int_equal(rf_reward_set(r, "extract", "boxed,last-number"), 0);
	assert_int_equal(rf_reward_set(r, "extract", "tea-leaves"), RF_EINVAL);
	assert_int_equal(rf_reward_set(r, "language", "xx"), RF_EINVAL);
	assert_int_equal(rf_reward_set(r, "colour", "red"), RF_EINVAL);
	in.reference = NULL;
	assert_int_equal(rf_reward_score(r, &v, &in), RF_EINVAL);
	rf_reward_free(r);
	/* bad specs */
	assert_int_equal(rf_reward_new(&r, "vibes"), RF_EINVAL);
	assert_null(r);
	assert_int_equal(rf_reward_new(&r, "math:lots"), RF_EINVAL);
	assert_int_equal(rf_reward_new(&r, "math,math"), RF_EINVAL);
	assert_int_equal(rf_reward_new(&r, ""), RF_EINVAL);
	/* countdown through the generic entry */
	const long nums[] = {2, 3};
	const char *c = "<answer>2*3</answer>";
	rf_reward_input ci = {c, strlen(c), "6", NULL, nums, 2, 0};
	assert_int_equal(rf_reward_new(&r, "countdown"), 0);
	assert_int_equal(rf_reward_score(r, &v, &ci), 0);
	assert_true(v.reward == 1.0 && v.correct);
	ci.reference = "six";
	assert_int_equal(rf_reward_score(r, &v, &ci), 0);
	assert_true(v.reward == 0.0);
	rf_reward_verdict_clear(&v);
	rf_reward_free(r);
	rf_reward_free(NULL);
	rf_reward_verdict_clear(NULL);
}

static rf_manifest *config(const char *rewards)
{
	rf_manifest *m = NULL;
	char text[1024];
	snprintf(
	    text, sizeof text,
	    "kind: training-config\nschema: 1\nmodel:\n  total-params: 7B\n%s",
	    rewards);
	assert_int_equal(
	    rf_manifest_load_buffer(&m, "config.yaml", text, strlen(text)), 0);
	return m;
}

static void test_from_config(void **state)
{
	rf_reward *r = NULL;
	rf_manifest *m;
	(void)state;
	m = config("rewards:\n  - name: math\n    weight: 0.9\n"
		   "  - name: format\n    weight: 0.1\n"
		   "    params: {think-open: \"<reasoning>\", think-close: "
		   "\"</reasoning>\"}\n");
	assert_int_equal(rf_reward_from_config(&r, m), 0);
	assert_string_equal(rf_reward_spec(r), "math:0.9,format:0.1");
	/* the params reached the format term */
	rf_reward_verdict v = RF_REWARD_VERDICT_INIT;
	const char *t = "<reasoning>x</reasoning> \\boxed{2}";
	rf_reward_input in = {t, strlen(t), "2", NULL, NULL, 0, 0};
	assert_int_equal(rf_reward_score(r, &v, &in), 0);
	assert_true(v.reward > 0.999 && v.reward < 1.001);
	rf_reward_verdict_clear(&v);
	rf_reward_free(r);
	rf_manifest_free(m);
	/* weight defaults to 1 */
	m = config("rewards:\n  - name: countdown\n");
	assert_int_equal(rf_reward_from_config(&r, m), 0);
	assert_string_equal(rf_reward_spec(r), "countdown");
	rf_reward_free(r);
	rf_manifest_free(m);
	/* an unknown reward and an unknown option name the place */
	m = config("rewards:\n  - name: vibes\n");
	assert_int_equal(rf_reward_from_config(&r, m), RF_EINVAL);
	assert_non_null(
	    strstr(rf_error_last(), "config.yaml:6:11: rewards[0].name"));
	assert_null(r);
	rf_manifest_free(m);
	m = config("rewards:\n  - name: math\n    params: {colour: red}\n");
	assert_int_equal(rf_reward_from_config(&r, m), RF_EFORMAT);
	assert_non_null(strstr(rf_error_last(), "rewards[0].params.colour"));
	rf_manifest_free(m);
	m = config("seed: 1\n");
	assert_int_equal(rf_reward_from_config(&r, m), RF_ENOTFOUND);
	rf_manifest_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_format),
	    cmocka_unit_test(test_language),
	    cmocka_unit_test(test_countdown),
	    cmocka_unit_test(test_configured),
	    cmocka_unit_test(test_from_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
