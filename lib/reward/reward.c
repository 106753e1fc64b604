/* Configured rewards: a name or a weighted sum of names with options, the
 * one entry point (rf_reward_score) that rescore calls for each completion,
 * and the answer identity used for majority voting. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "referee/error.h"
#include "referee/reward.h"

enum term_kind { T_MATH = 1, T_FORMAT, T_LANGUAGE, T_COUNTDOWN };

#define MAX_TERMS 8

struct rf_reward {
	struct {
		int kind;
		double weight;
	} term[MAX_TERMS];
	int nterms;
	unsigned extract;
	rf_format_opts fmt;
	char *think_open, *think_close, *answer_open, *answer_close;
	rf_script script;
	double pass_threshold;
	char spec[256];
};

static const char *const term_names[] = {"", "math", "format", "language",
					 "countdown"};

static int kind_of(const char *s, size_t n)
{
	for (int k = 1; k <= T_COUNTDOWN; k++)
		if (strlen(term_names[k]) == n && !strncmp(term_names[k], s, n))
			return k;
	return 0;
}

int rf_reward_new(rf_reward **out, const char *spec)
{
	rf_reward *r;
	const char *p = spec;
	size_t used = 0;
	*out = NULL;
	if (!spec || !*spec)
		return rf_error_set(RF_EINVAL, "empty reward spec");
	r = calloc(1, sizeof *r);
	if (!r)
		return rf_error_set(RF_ENOMEM, "out of memory");
	r->extract = RF_MATH_EXTRACT_DEFAULT;
	r->script = RF_SCRIPT_LATIN;
	r->pass_threshold = 1.0;
	while (*p) {
		const char *b = p, *e;
		double w = 1.0;
		int k;
		while (*p && (isalpha((unsigned char)*p)))
			p++;
		e = p;
		k = kind_of(b, (size_t)(e - b));
		if (!k) {
			rf_reward_free(r);
			return rf_error_set(
			    RF_EINVAL,
			    "unknown reward '%.*s' (known: math, format, "
			    "language, countdown)",
			    (int)(e - b), b);
		}
		if (*p == ':' || *p == '=') {
			char *end;
			p++;
			w = strtod(p, &end);
			if (end == p || !isfinite(w) || w < -1e6 || w > 1e6) {
				rf_reward_free(r);
				return rf_error_set(RF_EINVAL,
						    "bad weight in reward '%s'",
						    spec);
			}
			p = end;
		}
		if (r->nterms == MAX_TERMS) {
			rf_reward_free(r);
			return rf_error_set(
			    RF_EINVAL, "too many reward terms in '%s'", spec);
		}
		for (int i = 0; i < r->nterms; i++)
			if (r->term[i].kind == k) {
				rf_reward_free(r);
				return rf_error_set(
				    RF_EINVAL,
				    "reward '%s' named twice in '%s'",
				    term_names[k], spec);
			}
		r->term[r->nterms].kind = k;
		r->term[r->nterms].weight = w;
		r->nterms++;
		used += (size_t)snprintf(r->spec + used, sizeof r->spec - used,
					 "%s%s:%g", used ? "," : "",
					 term_names[k], w);
		if (used >= sizeof r->spec)
			used = sizeof r->spec - 1;
		if (*p == ',' || *p == '+')
			p++;
		else if (*p) {
			rf_reward_free(r);
			return rf_error_set(
			    RF_EINVAL,
			    "bad reward spec '%s' (e.g. "
			    "\"math\" or \"math:0.9,format:0.1\")",
			    spec);
		}
	}
	if (r->nterms == 1 && r->term[0].weight == 1.0)
		snprintf(r->spec, sizeof r->spec, "%s",
			 term_names[r->term[0].kind]);
	*out = r;
	return 0;
}

static int set_str(char **slot, const char **opt, const char *value)
{
	char *c = strdup(value);
	if (!c)
		return rf_error_set(RF_ENOMEM, "out of memory");
	free(*slot);
	*slot = c;
	*opt = c;
	return 0;
}

const char *rf_reward_extract_policy(const rf_reward *r)
{
	int math = 0;
	for (int i = 0; r && i < r->nterms; i++)
		math |= r->term[i].kind == T_MATH;
	if (!math)
		return "";
	switch (r->extract & ~RF_MATH_EXTRACT_TRUNCATED) {
	case RF_MATH_EXTRACT_BOXED:
		return "\\boxed only (R1's rule; --extract harness credits "
		       "prose)";
	case RF_MATH_EXTRACT_BOXED | RF_MATH_EXTRACT_ANSWER_IS:
		return "\\boxed, else \"the answer is\"";
	case RF_MATH_EXTRACT_BOXED | RF_MATH_EXTRACT_ANSWER_IS |
	    RF_MATH_EXTRACT_LAST_NUMBER:
		return "\\boxed, \"the answer is\", last number of the "
		       "concluding line (harness)";
	default:
		return "custom (--extract)";
	}
}

int rf_reward_set(rf_reward *r, const char *key, const char *value)
{
	if (!r || !key || !value)
		return rf_error_set(RF_EINVAL,
				    "reward option: missing key or value");
	if (!strcmp(key, "extract")) {
		unsigned f = 0;
		const char *p = value;
		if (!strcmp(value, "boxed-only") || !strcmp(value, "default")) {
			r->extract = RF_MATH_EXTRACT_BOXED;
			return 0;
		}
		if (!strcmp(value, "harness")) {
			r->extract = RF_MATH_EXTRACT_BOXED |
				     RF_MATH_EXTRACT_ANSWER_IS |
				     RF_MATH_EXTRACT_LAST_NUMBER;
			return 0;
		}
		while (*p) {
			size_t n = strcspn(p, ",");
			if (n == 5 && !strncmp(p, "boxed", 5))
				f |= RF_MATH_EXTRACT_BOXED;
			else if (n == 9 && !strncmp(p, "answer-is", 9))
				f |= RF_MATH_EXTRACT_ANSWER_IS;
			else if (n == 11 && !strncmp(p, "last-number", 11))
				f |= RF_MATH_EXTRACT_LAST_NUMBER;
			else
				return rf_error_set(
				    RF_EINVAL,
				    "extract: unknown rule '%.*s' "
				    "(boxed, answer-is, last-number; or "
				    "boxed-only, default, harness)",
				    (int)n, p);
			p += n;
			if (*p == ',')
				p++;
		}
		if (!f)
			return rf_error_set(RF_EINVAL,
					    "extract: no rule given");
		r->extract = f;
		return 0;
	}
	if (!strcmp(key, "think-open"))
		return set_str(&r->think_open, &r->fmt.think_open, value);
	if (!strcmp(key, "think-close"))
		return set_str(&r->think_close, &r->fmt.think_close, value);
	if (!strcmp(key, "answer-open"))
		return set_str(&r->answer_open, &r->fmt.answer_open, value);
	if (!strcmp(key, "answer-close"))
		return set_str(&r->answer_close, &r->fmt.answer_close, value);
	if (!strcmp(key, "think-at-start")) {
		if (strcmp(value, "0") && strcmp(value, "1"))
			return rf_error_set(RF_EINVAL,
					    "think-at-start: expected 0 or 1");
		r->fmt.think_at_start = value[0] == '1';
		return 0;
	}
	if (!strcmp(key, "language")) {
		rf_script s = rf_script_from_name(value);
		if (!s)
			return rf_error_set(
			    RF_EINVAL,
			    "language: unknown '%s' (en, zh, "
			    "ja, ru, ar, ko, latin, cjk, cyrillic, arabic, "
			    "hangul)",
			    value);
		r->script = s;
		return 0;
	}
	if (!strcmp(key, "pass-threshold")) {
		char *end;
		double t = strtod(value, &end);
		if (end == value || *end || !isfinite(t))
			return rf_error_set(
			    RF_EINVAL, "pass-threshold: expected a number");
		r->pass_threshold = t;
		return 0;
	}
	return rf_error_set(RF_EINVAL, "unknown reward option '%s'", key);
}

static int has(const rf_reward *r, int k)
{
	for (int i = 0; r && i < r->nterms; i++)
		if (r->term[i].kind == k)
			return 1;
	return 0;
}

int rf_reward_needs_reference(const rf_reward *r)
{
	return has(r, T_MATH) || has(r, T_COUNTDOWN);
}

int rf_reward_needs_numbers(const rf_reward *r)
{
	return has(r, T_COUNTDOWN);
}

const char *rf_reward_spec(const rf_reward *r)
{
	return r ? r->spec : "";
}

void rf_reward_verdict_clear(rf_reward_verdict *v)
{
	if (!v)
		return;
	rf_buf_free(&v->answer);
	rf_buf_free(&v->normalised);
	rf_math_answer_free(v->parsed);
	v->parsed = NULL;
	v->reward = 0;
	v->correct = 0;
	v->reason[0] = '\0';
}

static void add_reason(rf_reward_verdict *v, const char *s)
{
	size_t n = strlen(v->reason);
	if (n + 3 >= sizeof v->reason)
		return;
	snprintf(v->reason + n, sizeof v->reason - n, "%s%s", n ? "; " : "", s);
}

/* The math term: extract, parse, compare with the reference. */
static int score_math(const rf_reward *r, rf_reward_verdict *v,
		      const rf_reward_input *in, double *out)
{
	rf_math_answer *ref = NULL;
	const rf_math_answer *gold = in->reference_parsed;
	const char *how;
	char why[128];
	int rc;
	*out = 0;
	rc = rf_math_extract(&v->answer, in->completion, in->completion_len,
			     r->extract | (in->truncated
					       ? RF_MATH_EXTRACT_TRUNCATED
					       : 0u),
			     &how);
	if (rc == RF_ENOMEM)
		return rc;
	if (rc) {
		snprintf(why, sizeof why, "math: %s", rf_error_last());
		add_reason(v, why);
		rf_error_clear();
		return 0;
	}
	rc = rf_math_answer_parse(&v->parsed, v->answer.data, v->answer.len);
	if (rc) {
		if (rc == RF_ENOMEM)
			return rc;
		snprintf(why, sizeof why, "math: %s", rf_error_last());
		add_reason(v, why);
		rf_error_clear();
		return 0;
	}
	rf_buf_puts(&v->normalised, rf_math_answer_normalised(v->parsed));
	if (!gold) {
		rc = rf_math_answer_parse(&ref, in->reference,
					  strlen(in->reference));
		if (rc) {
			if (rc == RF_ENOMEM)
				return rc;
			snprintf(why, sizeof why, "math: reference: %s",
				 rf_error_last());
			add_reason(v, why);
			rf_error_clear();
			return 0;
		}
		gold = ref;
	}
	char eqwhy[96];
	int eq = rf_math_answer_equal(v->parsed, gold, eqwhy, sizeof eqwhy);
	snprintf(why, sizeof why, "math: %s", eqwhy);
	add_reason(v, why);
	*out = eq ? 1.0 : 0.0;
	rf_math_answer_free(ref);
	return 0;
}

int rf_reward_score(const rf_reward *r, rf_reward_verdict *v,
		    const rf_reward_input *in)
{
	double total = 0;
	int accuracy = -1; /* the math or countdown term's pass/fail */
	char why[192];
	rf_reward_verdict_clear(v);
	if (!r || !in || !in->completion)
		return rf_error_set(RF_EINVAL, "reward: no completion");
	if (rf_reward_needs_reference(r) && !in->reference &&
	    !in->reference_parsed)
		return rf_error_set(
		    RF_EINVAL, "reward %s needs a reference answer", r->spec);
	if (rf_reward_needs_numbers(r) && !in->numbers)
		return rf_error_set(RF_EINVAL,
				    "reward %s needs the countdown numbers",
				    r->spec);
	for (int i = 0; i < r->nterms; i++) {
		double x = 0;
		int rc;
		switch (r->term[i].kind) {
		case T_MATH:
			rc = score_math(r, v, in, &x);
			if (rc)
				return rc;
			accuracy = x >= 1.0;
			break;
		case T_FORMAT:
			x = rf_reward_format(in->completion, in->completion_len,
					     &r->fmt, why, sizeof why);
			add_reason(v, why);
			break;
		case T_LANGUAGE:
			x = rf_reward_language(in->completion,
					       in->completion_len, r->script,
					       &r->fmt, why, sizeof why);
			add_reason(v, why);
			break;
		case T_COUNTDOWN: {
			char *end;
			long target;
			errno = 0;
			target =
			    in->reference ? strtol(in->reference, &end, 10) : 0;
			if (!in->reference || end == in->reference || *end) {
				add_reason(
				    v,
				    "countdown: the target is not an integer");
				x = 0;
			} else {
				x = rf_reward_countdown(
				    in->completion, in->completion_len, target,
				    in->numbers, in->n_numbers, why,
				    sizeof why);
				add_reason(v, why);
			}
			accuracy = x >= 1.0;
			break;
		}
		}
		total += r->term[i].weight * x;
	}
	v->reward = total;
	v->correct =
	    accuracy >= 0 ? accuracy : total >= r->pass_threshold - 1e-12;
	if (accuracy >= 0 && r->pass_threshold != 1.0)
		v->correct = total >= r->pass_threshold - 1e-12;
	if (!v->answer.data)
		rf_buf_puts(&v->answer, "");
	if (!v->normalised.data)
		rf_buf_puts(&v->normalised, "");
	return 0;
}

int rf_reward_same_answer(const rf_reward_verdict *a,
			  const rf_reward_verdict *b)
{
	if (!a || !b || !a->answer.len || !b->answer.len)
		return 0;
	if (a->parsed && b->parsed)
		return rf_math_answer_equal(a->parsed, b->parsed, NULL, 0);
	return a->normalised.len == b->normalised.len &&
	       !memcmp(a->normalised.data, b->normalised.data,
		       a->normalised.len);
}

void rf_reward_free(rf_reward *r)
{
	if (!r)
		return;
	free(r->think_open);
	free(r->think_close);
	free(r->answer_open);
	free(r->answer_close);
	free(r);
}
