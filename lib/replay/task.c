/* Tasks with verifiable answers for the replay: n-digit addition and small
 * Countdown instances, their character tokenizer, problem generation from a
 * counter-based RNG, and the rule-based rewards (accuracy + format). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "referee/error.h"
#include "referee/reward.h"
#include "replay/philox.h"
#include "replay/task.h"

int rf_tok_id(char c)
{
	const char *p;
	if (!c)
		return -1;
	p = strchr(RF_TOK_CHARS, c);
	return p ? 2 + (int)(p - RF_TOK_CHARS) : -1;
}

char rf_tok_char(int id)
{
	if (id == RF_TOK_EOS)
		return '$';
	if (id == RF_TOK_BOS)
		return '^';
	if (id >= 2 && id < RF_TOK_VOCAB)
		return RF_TOK_CHARS[id - 2];
	return '?';
}

uint32_t rf_draw_u32(rf_draw *d)
{
	/* counter (stream, index, n), key = the seed: one Philox block per
	 * word keeps every draw addressable on its own */
	uint32_t ctr[4] = {d->stream, (uint32_t)d->index,
			   (uint32_t)(d->index >> 32), d->n++};
	uint32_t key[2] = {(uint32_t)d->seed, (uint32_t)(d->seed >> 32)};
	uint32_t out[4];
	rf_philox4x32(ctr, key, out);
	return out[0];
}

uint32_t rf_draw_below(rf_draw *d, uint32_t bound)
{
	/* rejection keeps it exactly uniform; the expected number of extra
	 * draws is below one */
	uint32_t lim = (uint32_t)(0x100000000ull - (0x100000000ull % bound));
	for (;;) {
		uint32_t x = rf_draw_u32(d);
		if (lim == 0 || x < lim)
			return x % bound;
	}
}

static int ndigits(long v)
{
	int n = 1;
	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

int rf_task_prompt_len(const rf_replay_recipe *r)
{
	if (r->task.kind == RF_TASK_ADD)
		return 2 * r->task.digits + 3;
	return 1 + r->task.numbers * ndigits(r->task.max_number) +
	       (r->task.numbers - 1) + 1 + ndigits(r->task.max_target) + 1;
}

int rf_task_answer_max(const rf_replay_recipe *r)
{
	if (r->task.kind == RF_TASK_ADD)
		return r->task.digits + 2;
	/* numbers, n-1 operators, 2(n-2) parentheses, EOS */
	return r->task.numbers * ndigits(r->task.max_number) +
	       (r->task.numbers - 1) + 2 * (r->task.numbers - 2) + 1;
}

static int put_text(int32_t *dst, int *len, int cap, const char *s)
{
	for (; *s; s++) {
		int id = rf_tok_id(*s);
		if (id < 0 || *len >= cap)
			return rf_error_set(RF_EINTERNAL, "task text does not fit");
		dst[(*len)++] = id;
	}
	return 0;
}

static int put_padded(int32_t *dst, int *len, int cap, long v, int width)
{
	char s[32];
	snprintf(s, sizeof s, "%0*ld", width, v);
	return put_text(dst, len, cap, s);
}

static int make_add(const rf_replay_recipe *r, rf_draw *d, rf_task_item *it)
{
	long lim = 1;
	char s[32];
	int rc = 0;
	for (int i = 0; i < r->task.digits; i++)
		lim *= 10;
	it->nnum = 2;
	it->nums[0] = (long)rf_draw_below(d, (uint32_t)lim);
	it->nums[1] = (long)rf_draw_below(d, (uint32_t)lim);
	it->target = it->nums[0] + it->nums[1];
	it->prompt[it->prompt_len++] = RF_TOK_BOS;
	rc |= put_padded(it->prompt, &it->prompt_len, RF_TASK_MAX_PROMPT,
			 it->nums[0], r->task.digits);
	rc |= put_text(it->prompt, &it->prompt_len, RF_TASK_MAX_PROMPT, "+");
	rc |= put_padded(it->prompt, &it->prompt_len, RF_TASK_MAX_PROMPT,
			 it->nums[1], r->task.digits);
	rc |= put_text(it->prompt, &it->prompt_len, RF_TASK_MAX_PROMPT, "=");
	snprintf(s, sizeof s, "%ld", it->target);
	if (r->task.reversed) {
		size_t n = strlen(s);
		for (size_t i = 0; i < n / 2; i++) {
			char c = s[i];
			s[i] = s[n - 1 - i];
			s[n - 1 - i] = c;
		}
	}
	rc |= put_text(it->answer, &it->answer_len, RF_TASK_MAX_ANSWER - 1, s);
	it->answer[it->answer_len++] = RF_TOK_EOS;
	return rc ? RF_EINTERNAL : 0;
}

/* Countdown: draw the numbers, then combine them pairwise with random
 * operators (keeping every intermediate a positive integer) until one value
 * is left; that value is the target, and the expression is the reference
 * answer.  Retries until the target is in range. */
static int make_countdown(const rf_replay_recipe *r, rf_draw *d,
			  rf_task_item *it)
{
	int n = r->task.numbers;
	int w = ndigits(r->task.max_number), wt = ndigits(r->task.max_target);
	char expr[RF_TASK_MAX_NUMBERS][64];
	long val[RF_TASK_MAX_NUMBERS];
	int rc = 0;

	for (int attempt = 0; attempt < 10000; attempt++) {
		int k = n;
		if (attempt % 16 == 0)
			for (int i = 0; i < n; i++)
				it->nums[i] = 1 + (long)rf_draw_below(
						      d, (uint32_t)r->task.max_number);
		for (int i = 0; i < n; i++) {
			val[i] = it->nums[i];
			snprintf(expr[i], sizeof expr[i], "%ld", val[i]);
		}
		while (k > 1) {
			int i = (int)rf_draw_below(d, (uint32_t)k);
			int j = (int)rf_draw_below(d, (uint32_t)(k - 1));
			int op = (int)rf_draw_below(d, 4);
			long a, b, v;
			char e[64];
			if (j >= i)
				j++;
			a = val[i];
			b = val[j];
			switch (op) {
			case 0: v = a + b; break;
			case 1: v = a - b; break;
			case 2: v = a * b; break;
			default: v = (b != 0 && a % b == 0) ? a / b : -1; break;
			}
			if (v <= 0 || v > 1000000)
				break;
			snprintf(e, sizeof e, "(%s%c%s)", expr[i], "+-*/"[op],
				 expr[j]);
			/* replace i by the result, drop j */
			val[i] = v;
			memcpy(expr[i], e, sizeof e);
			val[j] = val[k - 1];
			memcpy(expr[j], expr[k - 1], sizeof expr[j]);
			k--;
		}
		if (k != 1 || val[0] < 1 || val[0] > r->task.max_target)
			continue;
		it->nnum = n;
		it->target = val[0];
		it->prompt[it->prompt_len++] = RF_TOK_BOS;
		for (int i = 0; i < n; i++) {
			if (i)
				rc |= put_text(it->prompt, &it->prompt_len,
					       RF_TASK_MAX_PROMPT, ",");
			rc |= put_padded(it->prompt, &it->prompt_len,
					 RF_TASK_MAX_PROMPT, it->nums[i], w);
		}
		rc |= put_text(it->prompt, &it->prompt_len, RF_TASK_MAX_PROMPT, ":");
		rc |= put_padded(it->prompt, &it->prompt_len, RF_TASK_MAX_PROMPT,
				 it->target, wt);
		rc |= put_text(it->prompt, &it->prompt_len, RF_TASK_MAX_PROMPT, "=");
		/* drop the outermost parentheses */
		size_t el = strlen(expr[0]);
		if (n > 1 && el >= 2) {
			expr[0][el - 1] = '\0';
			rc |= put_text(it->answer, &it->answer_len,
				       RF_TASK_MAX_ANSWER - 1, expr[0] + 1);
		} else {
			rc |= put_text(it->answer, &it->answer_len,
				       RF_TASK_MAX_ANSWER - 1, expr[0]);
		}
		it->answer[it->answer_len++] = RF_TOK_EOS;
		return rc ? RF_EINTERNAL : 0;
	}
	return rf_error_set(RF_EINVAL,
			    "countdown: no instance with a target in 1..%d found",
			    r->task.max_target);
}

int rf_task_make(const rf_replay_recipe *r, uint64_t seed, uint32_t stream,
		 uint64_t index, rf_task_item *it)
{
	rf_draw d = {seed, stream, index, 0};
	memset(it, 0, sizeof *it);
	if (r->task.kind == RF_TASK_ADD)
		return make_add(r, &d, it);
	if (r->task.kind == RF_TASK_COUNTDOWN)
		return make_countdown(r, &d, it);
	return rf_error_set(RF_EINVAL, "unknown task kind %d", r->task.kind);
}

uint64_t rf_task_key(const rf_task_item *it)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (int i = 0; i < it->prompt_len; i++) {
		h ^= (uint64_t)(uint32_t)it->prompt[i];
		h *= 1099511628211ull;
	}
	return h;
}

/* ---- the Countdown rule: exact rational arithmetic ---- */

typedef struct {
	long long num, den; /* den > 0 */
} rat;

typedef struct {
	const char *s;
	size_t n, i;
	int depth;
	long used[16];
	int nused;
	int bad;   /* malformed */
	int undef; /* division by zero or overflow: well formed, not right */
} cd_parser;

static long long gcdll(long long a, long long b)
{
	if (a < 0)
		a = -a;
	while (b) {
		long long t = a % b;
		a = b;
		b = t;
	}
	return a ? a : 1;
}

static rat rat_norm(cd_parser *p, long long num, long long den)
{
	rat r = {0, 1};
	if (den == 0) {
		p->undef = 1;
		return r;
	}
	if (den < 0) {
		if (num == LLONG_MIN || den == LLONG_MIN) {
			p->undef = 1;
			return r;
		}
		num = -num;
		den = -den;
	}
	long long g = gcdll(num, den);
	r.num = num / g;
	r.den = den / g;
	return r;
}

static rat rat_op(cd_parser *p, rat a, rat b, char op)
{
	long long x, y, z;
	rat zero = {0, 1};
	if (p->undef)
		return zero;
	switch (op) {
	case '+':
	case '-':
		if (__builtin_mul_overflow(a.num, b.den, &x) ||
		    __builtin_mul_overflow(b.num, a.den, &y) ||
		    (op == '+' ? __builtin_add_overflow(x, y, &z)
			       : __builtin_sub_overflow(x, y, &z)) ||
		    __builtin_mul_overflow(a.den, b.den, &y))
			break;
		return rat_norm(p, z, y);
	case '*':
		if (__builtin_mul_overflow(a.num, b.num, &x) ||
		    __builtin_mul_overflow(a.den, b.den, &y))
			break;
		return rat_norm(p, x, y);
	default:
		if (b.num == 0) {
			p->undef = 1;
			return zero;
		}
		if (__builtin_mul_overflow(a.num, b.den, &x) ||
		    __builtin_mul_overflow(a.den, b.num, &y))
			break;
		return rat_norm(p, x, y);
	}
	p->undef = 1;
	return zero;
}

static rat cd_expr(cd_parser *p);

static rat cd_atom(cd_parser *p)
{
	rat r = {0, 1};
	if (p->i >= p->n) {
		p->bad = 1;
		return r;
	}
	if (p->s[p->i] == '(') {
		if (++p->depth > 32) {
			p->bad = 1;
			return r;
		}
		p->i++;
		r = cd_expr(p);
		if (p->i >= p->n || p->s[p->i] != ')') {
			p->bad = 1;
			return r;
		}
		p->i++;
		p->depth--;
		return r;
	}
	if (p->s[p->i] >= '0' && p->s[p->i] <= '9') {
		long v = 0;
		int nd = 0;
		while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') {
			if (++nd > 9) {
				p->bad = 1;
				return r;
			}
			v = v * 10 + (p->s[p->i++] - '0');
		}
		if (p->nused >= 16) {
			p->bad = 1;
			return r;
		}
		p->used[p->nused++] = v;
		r.num = v;
		return r;
	}
	p->bad = 1;
	return r;
}

static rat cd_term(cd_parser *p)
{
	rat r = cd_atom(p);
	while (!p->bad && p->i < p->n &&
	       (p->s[p->i] == '*' || p->s[p->i] == '/')) {
		char op = p->s[p->i++];
		rat b = cd_atom(p);
		r = rat_op(p, r, b, op);
	}
	return r;
}

static rat cd_expr(cd_parser *p)
{
	rat r = cd_term(p);
	while (!p->bad && p->i < p->n &&
	       (p->s[p->i] == '+' || p->s[p->i] == '-')) {
		char op = p->s[p->i++];
		rat b = cd_term(p);
		r = rat_op(p, r, b, op);
	}
	return r;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return (x > y) - (x < y);
}

int rf_countdown_check(const char *expr, size_t len, const long *nums,
		       int nnum, long target)
{
	cd_parser p = {expr, len, 0, 0, {0}, 0, 0, 0};
	long want[16];
	rat v;
	if (len == 0 || nnum < 1 || nnum > 16)
		return -1;
	v = cd_expr(&p);
	if (p.bad || p.i != p.n)
		return -1;
	if (p.undef || p.nused != nnum)
		return 0;
	memcpy(want, nums, (size_t)nnum * sizeof *nums);
	qsort(want, (size_t)nnum, sizeof *want, cmp_long);
	qsort(p.used, (size_t)nnum, sizeof *p.used, cmp_long);
	if (memcmp(want, p.used, (size_t)nnum * sizeof *want))
		return 0;
	return v.den == 1 && v.num == target;
}

double rf_task_reward(const rf_replay_recipe *r, const rf_task_item *it,
		      const int32_t *completion, int len, int *correct,
		      int *formatted)
{
	char text[RF_TASK_MAX_ANSWER * 4];
	int n = 0, eos = 0, ok = 0, fmt = 0;
	for (int i = 0; i < len; i++) {
		if (completion[i] == RF_TOK_EOS) {
			eos = 1;
			break;
		}
		if (n < (int)sizeof text - 1)
			text[n++] = rf_tok_char(completion[i]);
	}
	text[n] = '\0';
	if (r->task.kind == RF_TASK_ADD) {
		int digits = n > 0 && n <= r->task.digits + 1;
		for (int i = 0; i < n; i++)
			digits &= text[i] >= '0' && text[i] <= '9';
		fmt = eos && digits;
		ok = fmt && n + 1 == it->answer_len;
		for (int i = 0; ok && i < n; i++)
			ok = it->answer[i] == completion[i];
	} else {
		/* accuracy: the rewards module's Countdown rule (TinyZero's,
		 * lib/reward), which reads an <answer> tag; format: the
		 * completion parses as a bare expression (our grammar) */
		char wrapped[sizeof text + 32], why[128];
		int c = rf_countdown_check(text, (size_t)n, it->nums, it->nnum,
					   it->target);
		int wn = snprintf(wrapped, sizeof wrapped, "<answer>%s</answer>",
				  text);
		double x = rf_reward_countdown(wrapped, (size_t)wn, it->target,
					       it->nums, (size_t)it->nnum, why,
					       sizeof why);
		fmt = eos && c >= 0;
		ok = eos && x >= 1.0;
	}
	if (correct)
		*correct = ok;
	if (formatted)
		*formatted = fmt;
	return (double)ok + r->task.format_weight * (double)fmt;
}
