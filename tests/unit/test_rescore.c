/* Unit tests for lib/rescore: pass@k against hand-computed values, majority
 * voting with ties, per-problem and per-completion inputs, determinism
 * across thread counts, and errors that name the line. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "referee/referee.h"
#include "rescore/idset.h"

static int near(double a, double b)
{
	return fabs(a - b) < 1e-12;
}

static void test_pass_at_k(void **state)
{
	(void)state;
	/* by hand: 1 - C(n-c,k)/C(n,k) */
	assert_true(near(rf_pass_at_k(5, 2, 2), 1.0 - 3.0 / 10.0));
	assert_true(near(rf_pass_at_k(10, 3, 5), 1.0 - 21.0 / 252.0));
	assert_true(near(rf_pass_at_k(8, 3, 1), 3.0 / 8.0));
	assert_true(near(rf_pass_at_k(4, 0, 1), 0.0));
	assert_true(near(rf_pass_at_k(4, 4, 2), 1.0));
	assert_true(near(rf_pass_at_k(3, 1, 3), 1.0)); /* n - c < k */
	assert_true(near(rf_pass_at_k(100, 1, 50), 0.5));
	/* C(64,8)/C(64,8) with c=1: 1 - 56/64 */
	assert_true(near(rf_pass_at_k(64, 1, 8), 8.0 / 64.0));
	/* large n stays finite where binomials would overflow doubles */
	double v = rf_pass_at_k(100000, 3, 1000);
	assert_true(v > 0.0297 && v < 0.0298);
	assert_true(isnan(rf_pass_at_k(3, 1, 4)));
	assert_true(isnan(rf_pass_at_k(3, 1, 0)));
	assert_true(isnan(rf_pass_at_k(3, 4, 1)));
}

static void score_all(rf_reward_verdict *v, const char *const *texts, size_t n,
		      const char *gold)
{
	rf_reward *r;
	assert_int_equal(rf_reward_new(&r, "math"), 0);
	for (size_t i = 0; i < n; i++) {
		rf_reward_input in = {
		    texts[i], strlen(texts[i]), gold, NULL, NULL, 0, 0};
		v[i] = (rf_reward_verdict)RF_REWARD_VERDICT_INIT;
		assert_int_equal(rf_reward_score(r, &v[i], &in), 0);
	}
	rf_reward_free(r);
}

static void clear_all(rf_reward_verdict *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		rf_reward_verdict_clear(&v[i]);
}

static void test_vote(void **state)
{
	rf_reward_verdict v[6];
	size_t votes;
	(void)state;
	/* a tie goes to the class that appears first */
	const char *tie[] = {"\\boxed{1}", "\\boxed{2}", "\\boxed{2}",
			     "\\boxed{1}"};
	score_all(v, tie, 4, "2");
	assert_int_equal(rf_majority_vote(v, 4, &votes), 0);
	assert_int_equal(votes, 2);
	clear_all(v, 4);
	const char *tie2[] = {"\\boxed{2}", "\\boxed{1}", "\\boxed{1}",
			      "\\boxed{2}"};
	score_all(v, tie2, 4, "2");
	assert_int_equal(rf_majority_vote(v, 4, &votes), 0);
	clear_all(v, 4);
	/* equivalence classes, not strings: 0.5, 1/2 and \frac{2}{4} are one */
	const char *eq[] = {
	    "\\boxed{3}", "\\boxed{0.5}",	   "\\boxed{1/2}",
	    "\\boxed{3}", "\\boxed{\\frac{2}{4}}", "no answer here"};
	score_all(v, eq, 6, "\\frac12");
	assert_int_equal(rf_majority_vote(v, 6, &votes), 1);
	assert_int_equal(votes, 3);
	/* only the first k vote */
	assert_int_equal(rf_majority_vote(v, 4, &votes), 0);
	assert_int_equal(votes, 2);
	clear_all(v, 6);
	/* samples without an answer do not vote */
	const char *none[] = {"nothing", "still nothing"};
	score_all(v, none, 2, "1");
	assert_int_equal(rf_majority_vote(v, 2, &votes), -1);
	assert_int_equal(votes, 0);
	clear_all(v, 2);
}

/* Four problems, four samples each, with hand-computed figures:
 *   P1 gold 2: 2 2 3 3   c=2  vote tie 2|3 -> 2 (first)  cons 1
 *   P2 gold 5: 3 5 5 3   c=2  vote tie 3|5 -> 3 (first)  cons 0
 *   P3 gold 7: - 7 1 1   c=1  vote 1 (2 votes)           cons 0
 *   P4 gold 1/2: 0.5 1/2 2/4 3  c=3  vote 1/2            cons 1
 * pass@1 = (2+2+1+3)/16 = 0.5; pass@2 = (5/6+5/6+1/2+1)/4; cons@4 = 0.5;
 * with k=2 (first two samples vote): cons@2 = (1+0+1+1)/4 = 0.75. */
static const char *const P[4][5] = {
    {"2", "\\boxed{2}", "\\boxed{2}", "\\boxed{3}", "\\boxed{3}"},
    {"5", "\\boxed{3}", "\\boxed{5}", "\\boxed{5}", "\\boxed{3}"},
    {"7", "I give up", "\\boxed{7}", "\\boxed{1}", "\\boxed{1}"},
    {"\\frac{1}{2}", "\\boxed{0.5}", "\\boxed{1/2}", "\\boxed{\\frac{2}{4}}",
     "\\boxed{3}"},
};

static char *write_tmp(const char *text)
{
	char *path = strdup("/tmp/referee-rescore-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

/* JSON-escape the fixture strings (backslashes). */
static void jstr(rf_buf *b, const char *s)
{
	rf_buf_puts(b, "\"");
	for (; *s; s++) {
		if (*s == '\\')
			rf_buf_puts(b, "\\\\");
		else
			rf_buf_append(b, s, 1);
	}
	rf_buf_puts(b, "\"");
}

static char *problem_file(int per_completion)
{
	rf_buf b = RF_BUF_INIT;
	for (int p = 0; p < 4; p++) {
		const char *g = P[p][0];
		if (!per_completion) {
			rf_buf_printf(&b,
				      "{\"id\": \"p%d\", \"answer\": ", p + 1);
			jstr(&b, g);
			rf_buf_puts(&b, ", \"completions\": [");
			for (int s = 1; s <= 4; s++) {
				if (s > 1)
					rf_buf_puts(&b, ", ");
				jstr(&b, P[p][s]);
			}
			rf_buf_puts(&b, "]}\n");
		} else {
			for (int s = 1; s <= 4; s++) {
				rf_buf_printf(
				    &b,
				    "{\"question_id\": %d, \"gold\": ", p + 1);
				jstr(&b, g);
				rf_buf_puts(&b, ", \"output\": {\"text\": ");
				jstr(&b, P[p][s]);
				rf_buf_puts(&b, "}}\n\n");
			}
		}
	}
	char *path = write_tmp(b.data);
	rf_buf_free(&b);
	return path;
}

struct seen {
	int n;
	int majority;
};

static int count_sample(void *ctx, const rf_rescore_sample *s)
{
	struct seen *c = ctx;
	assert_int_equal(s->index, (size_t)(c->n % 4));
	c->n++;
	c->majority += s->majority;
	return 0;
}

static void check_summary(const rf_rescore_summary *s, size_t k)
{
	assert_int_equal(s->problems, 4);
	assert_int_equal(s->samples, 16);
	assert_int_equal(s->no_answer, 1);
	assert_int_equal(s->correct, 8);
	assert_true(near(s->pass1.value, 0.5));
	assert_true(near(s->mean_reward.value, 0.5));
	if (k == 4) {
		assert_true(near(s->pass_k.value, 1.0));
		assert_true(near(s->cons_k.value, 0.5));
	} else {
		assert_true(
		    near(s->pass_k.value, (5.0 / 6 + 5.0 / 6 + 0.5 + 1) / 4));
		assert_true(near(s->cons_k.value, 0.75));
	}
	assert_true(s->pass1.lo <= s->pass1.value &&
		    s->pass1.value <= s->pass1.hi);
	assert_true(s->pass1.lo < s->pass1.hi);
}

static void test_rescore_shapes(void **state)
{
	rf_reward *r;
	rf_rescore_summary a, b, c;
	struct seen seen = {0, 0};
	char *f1 = problem_file(0), *f2 = problem_file(1);
	(void)state;
	assert_int_equal(rf_reward_new(&r, "math"), 0);
	rf_rescore_opts o = {0};
	o.reward = r;
	o.threads = 1;
	o.on_sample = count_sample;
	o.ctx = &seen;
	assert_int_equal(rf_rescore_file(&a, f1, &o), 0);
	assert_int_equal(a.k, 4);
	check_summary(&a, 4);
	assert_int_equal(seen.n, 16);
	/* majority members: P1 {2,2}, P2 {3,3}, P3 {1,1}, P4 {0.5,1/2,2/4} */
	assert_int_equal(seen.majority, 9);
	/* one completion per line, fields mapped, dotted path */
	o.fields.id = "question_id";
	o.fields.answer = "gold";
	o.fields.completion = "output.text";
	o.threads = 4;
	o.on_sample = NULL;
	assert_int_equal(rf_rescore_file(&b, f2, &o), 0);
	check_summary(&b, 4);
	assert_int_equal(b.lines, 32); /* blank lines count as lines */
	/* same figures and the same bootstrap intervals, whatever the threads
	 */
	assert_true(a.pass1.lo == b.pass1.lo && a.pass1.hi == b.pass1.hi);
	assert_true(a.cons_k.lo == b.cons_k.lo && a.cons_k.hi == b.cons_k.hi);
	/* k = 2 */
	o.k = 2;
	assert_int_equal(rf_rescore_file(&c, f2, &o), 0);
	check_summary(&c, 2);
	/* a different seed moves the interval, not the value */
	o.seed = 7;
	rf_rescore_summary d;
	assert_int_equal(rf_rescore_file(&d, f2, &o), 0);
	assert_true(near(d.pass1.value, c.pass1.value));
	o.k = 5; /* more than any problem has: all short */
	assert_int_equal(rf_rescore_file(&d, f2, &o), 0);
	assert_int_equal(d.short_problems, 4);
	assert_true(isnan(d.pass_k.value));
	unlink(f1);
	unlink(f2);
	free(f1);
	free(f2);
	rf_reward_free(r);
}

static void expect_error(const char *text, int code, const char *needle)
{
	rf_reward *r;
	rf_rescore_summary s;
	rf_rescore_opts o = {0};
	char *f = write_tmp(text);
	assert_int_equal(rf_reward_new(&r, "math"), 0);
	o.reward = r;
	o.threads = 2;
	int rc = rf_rescore_file(&s, f, &o);
	if (rc != code || !strstr(rf_error_last(), needle))
		fail_msg("expected %d with '%s', got %d: %s", code, needle, rc,
			 rf_error_last());
	unlink(f);
	free(f);
	rf_reward_free(r);
}

static void test_rescore_errors(void **state)
{
	(void)state;
	expect_error(
	    "{\"answer\":\"1\",\"completions\":[\"\\\\boxed{1}\"]}\nnot json\n",
	    RF_EFORMAT, "line 2: not JSON");
	expect_error("[1,2]\n", RF_EFORMAT, "line 1: not a JSON object");
	expect_error("{\"answer\":\"1\"}\n", RF_EFORMAT,
		     "line 1: no completion field");
	expect_error("{\"completion\":\"x\"}\n", RF_EFORMAT,
		     "line 1: no reference answer");
	expect_error("{\"answer\":\"1\",\"completions\":[1]}\n", RF_EFORMAT,
		     "line 1: completion 0 in 'completions' is not a string");
	expect_error("{\"answer\":\"1\",\"completions\":[]}\n", RF_EFORMAT,
		     "empty list");
	expect_error("{\"answer\":\"1\",\"completion\":\"\xff\xfe\"}\n",
		     RF_EFORMAT, "line 1: not JSON");
	expect_error("", RF_EFORMAT, "no rollouts");
	expect_error("\n\n", RF_EFORMAT, "no rollouts");
	rf_rescore_summary s;
	rf_rescore_opts o = {0};
	/* an over-long line is refused with its number, also from the reader
	 * thread */
	{
		rf_reward *r;
		rf_buf b = RF_BUF_INIT;
		rf_buf_puts(
		    &b, "{\"answer\":\"1\",\"completion\":\"\\\\boxed{1}\"}\n");
		rf_buf_puts(&b, "{\"answer\":\"1\",\"completion\":\"");
		for (int i = 0; i < 300; i++)
			rf_buf_puts(&b, "x");
		rf_buf_puts(&b, "\"}\n");
		char *f = write_tmp(b.data);
		assert_int_equal(rf_reward_new(&r, "math"), 0);
		o.reward = r;
		o.max_line = 200;
		for (int threads = 1; threads <= 2; threads++) {
			o.threads = threads;
			assert_int_equal(rf_rescore_file(&s, f, &o), RF_ELIMIT);
			assert_non_null(strstr(
			    rf_error_last(), "line 2: line longer than 200 bytes"));
		}
		o.max_line = 0;
		o.reward = NULL;
		unlink(f);
		free(f);
		rf_buf_free(&b);
		rf_reward_free(r);
	}
	assert_int_equal(rf_rescore_file(&s, "/nonexistent/x.jsonl", &o),
			 RF_EIO);
	assert_int_equal(rf_rescore_file(&s, "/dev/null", &o), RF_EINVAL);
}

/* Regression (issue 11): the line reader used fgets() + strlen(), so a NUL
 * byte dropped the rest of its physical line and spliced the next line on.
 * A NUL is a malformed line, named; an over-long line is refused without
 * holding more than the limit. */
static void test_rescore_nul_and_long_lines(void **state)
{
	static const char text[] =
	    "{\"id\":\"a\",\"answer\":\"1\",\"completion\":\"\\\\boxed{1}\"}\n"
	    "{\"id\":\"b\",\"answer\":\"2\",\"completion\":\"\\\\boxed{2}\0"
	    "junk\"}\n"
	    "\"}\n";
	rf_reward *r;
	rf_rescore_summary s;
	rf_rescore_opts o = {0};
	(void)state;
	assert_int_equal(rf_reward_new(&r, "math"), 0);
	o.reward = r;
	for (int threads = 1; threads <= 2; threads++) {
		FILE *f = fmemopen((void *)text, sizeof text - 1, "r");
		assert_non_null(f);
		o.threads = threads;
		assert_int_equal(rf_rescore_stream(&s, f, "nul.jsonl", &o),
				 RF_EFORMAT);
		if (!strstr(rf_error_last(),
			    "'nul.jsonl' line 2: column 48: a NUL byte"))
			fail_msg("%s", rf_error_last());
		fclose(f);
	}
	/* a 3 MiB line against a 1 MiB limit, through a pipe-like stream */
	size_t big = (size_t)3 << 20;
	char *buf = malloc(big + 64);
	assert_non_null(buf);
	int n = snprintf(buf, 64, "{\"answer\":\"1\",\"completion\":\"");
	memset(buf + n, 'x', big);
	memcpy(buf + n + big, "\"}\n", 3);
	FILE *f = fmemopen(buf, (size_t)n + big + 3, "r");
	assert_non_null(f);
	o.threads = 1;
	o.max_line = (size_t)1 << 20;
	assert_int_equal(rf_rescore_stream(&s, f, "big.jsonl", &o), RF_ELIMIT);
	if (!strstr(rf_error_last(),
		    "'big.jsonl' line 1: line longer than 1048576 bytes"))
		fail_msg("%s", rf_error_last());
	fclose(f);
	free(buf);
	rf_reward_free(r);
}

/* A problem's lines must be consecutive: an id that comes back after
 * another one, or a per-problem line whose id was already seen, is an
 * error naming both lines, never a second problem with the same id. */
static void test_rescore_duplicate_ids(void **state)
{
	(void)state;
#define C(id)                                                                  \
	"{\"id\":" id ",\"answer\":\"1\",\"completion\":\"\\\\boxed{1}\"}\n"
#define G(id)                                                                  \
	"{\"id\":" id ",\"answer\":\"1\",\"completions\":[\"\\\\boxed{1}\"]}"  \
		      "\n"
	/* one completion per line: a, b, a */
	expect_error(C("\"a\"") C("\"b\"") C("\"a\""), RF_EFORMAT,
		     "line 3: problem id 'a' already seen at line 1");
	/* consecutive lines of a are one problem; a comes back at line 5 */
	expect_error(C("\"a\"") C("\"a\"") "\n" C("\"b\"") C("\"a\""),
		     RF_EFORMAT,
		     "line 5: problem id 'a' already seen at line 1");
	/* one problem per line, same id twice */
	expect_error(G("7") G("8") G("7"), RF_EFORMAT,
		     "line 3: problem id '7' already seen at line 1");
	expect_error(G("7") G("7"), RF_EFORMAT,
		     "line 2: problem id '7' already seen at line 1");
	/* the shapes mixed, either way round; a number and a string that
	 * print alike are the same id */
	expect_error(C("\"7\"") G("7"), RF_EFORMAT,
		     "line 2: problem id '7' already seen at line 1");
	expect_error(G("\"x\"") C("\"x\""), RF_EFORMAT,
		     "line 2: problem id 'x' already seen at line 1");
	/* an over-long id is refused, not hashed blind */
	{
		rf_buf b = RF_BUF_INIT;
		rf_buf_puts(&b, "{\"id\":\"");
		for (int i = 0; i < RF_RESCORE_MAX_ID + 1; i++)
			rf_buf_puts(&b, "i");
		rf_buf_puts(&b, "\",\"answer\":\"1\",\"completion\":\"1\"}\n");
		expect_error(b.data, RF_ELIMIT,
			     "line 1: problem id longer than");
		rf_buf_free(&b);
	}
#undef C
#undef G
	/* far apart, across batches and from the reader thread: problem 0
	 * comes back at line 3001 */
	rf_buf b = RF_BUF_INIT;
	for (int i = 0; i < 3000; i++)
		rf_buf_printf(&b,
			      "{\"id\":\"p%d\",\"answer\":\"1\",\"completion\":"
			      "\"\\\\boxed{1}\"}\n",
			      i / 3);
	rf_buf_puts(&b,
		    "{\"id\":\"p0\",\"answer\":\"1\",\"completion\":\"x\"}\n");
	expect_error(b.data, RF_EFORMAT,
		     "line 3001: problem id 'p0' already seen at line 1");
	rf_buf_free(&b);
}

/* Every hash the same: the exact id decides, so distinct ids are never
 * taken for duplicates and a real duplicate is still found. */
static int same_hash(uint64_t *out, const char *id, size_t len)
{
	(void)id;
	(void)len;
	*out = 42;
	return 0;
}

static void test_idset(void **state)
{
	struct rs_idset s;
	size_t first = 0;
	char id[32];
	(void)state;
	for (int pass = 0; pass < 2; pass++) {
		rs_idset_init(&s, pass ? same_hash : NULL);
		for (int i = 0; i < 2000; i++) {
			int n = snprintf(id, sizeof id, "q%d", i);
			assert_int_equal(rs_idset_add(&s, id, (size_t)n,
						      (size_t)i + 1, &first),
					 0);
		}
		assert_int_equal(s.n, 2000);
		/* a prefix, an extension and the empty id are other ids */
		assert_int_equal(rs_idset_add(&s, "q1", 1, 5000, &first), 0);
		assert_int_equal(rs_idset_add(&s, "q19999", 6, 5001, &first),
				 0);
		assert_int_equal(rs_idset_add(&s, "", 0, 5002, &first), 0);
		assert_int_equal(rs_idset_add(&s, "q1234", 5, 6000, &first), 1);
		assert_int_equal(first, 1235);
		assert_int_equal(rs_idset_add(&s, "", 0, 6001, &first), 1);
		assert_int_equal(first, 5002);
		/* ids may hold NUL bytes: compared by length, not strcmp */
		assert_int_equal(rs_idset_add(&s, "q1\0x", 4, 7000, &first), 0);
		assert_int_equal(rs_idset_add(&s, "q1\0y", 4, 7001, &first), 0);
		assert_int_equal(rs_idset_add(&s, "q1\0x", 4, 7002, &first), 1);
		assert_int_equal(first, 7000);
		rs_idset_free(&s);
	}
	rs_idset_free(&s); /* again: harmless */
}

/* Many more lines than one batch: the figures still add up. */
static void test_rescore_many_lines(void **state)
{
	rf_buf b = RF_BUF_INIT;
	rf_reward *r;
	rf_rescore_summary s;
	rf_rescore_opts o = {0};
	(void)state;
	for (int i = 0; i < 3000; i++)
		rf_buf_printf(&b,
			      "{\"id\":%d,\"answer\":\"%d\",\"completion\":"
			      "\"\\\\boxed{%d}\"}\n",
			      i / 3, i / 3, i % 3 == 0 ? i / 3 : -1);
	char *f = write_tmp(b.data);
	assert_int_equal(rf_reward_new(&r, "math"), 0);
	o.reward = r;
	o.bootstrap = -1;
	assert_int_equal(rf_rescore_file(&s, f, &o), 0);
	assert_int_equal(s.problems, 1000);
	assert_int_equal(s.samples, 3000);
	assert_int_equal(s.k, 3);
	assert_true(near(s.pass1.value, 1.0 / 3));
	assert_true(near(s.pass_k.value, 1.0));
	/* each problem: votes 1 (right) and 2 (wrong, same -1): the wrong one
	 * wins */
	assert_true(near(s.cons_k.value, 0.0));
	assert_true(isnan(s.pass1.lo));
	unlink(f);
	free(f);
	rf_buf_free(&b);
	rf_reward_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pass_at_k),
	    cmocka_unit_test(test_vote),
	    cmocka_unit_test(test_rescore_shapes),
	    cmocka_unit_test(test_rescore_errors),
	    cmocka_unit_test(test_rescore_nul_and_long_lines),
	    cmocka_unit_test(test_rescore_many_lines),
	    cmocka_unit_test(test_rescore_duplicate_ids),
	    cmocka_unit_test(test_idset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
