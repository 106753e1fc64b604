/* The rewards other than math: R1's think-then-answer format, the
 * language-consistency fraction, and the Countdown task's rules.  Each
 * returns a number and fills a one-line reason. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "referee/reward.h"

static const char *opt(const char *v, const char *def)
{
	return v ? v : def;
}

static const char *find(const char *s, const char *end, const char *w)
{
	size_t m = strlen(w);
	if (!m || (size_t)(end - s) < m)
		return NULL;
	return memmem(s, (size_t)(end - s), w, m);
}

static size_t count(const char *s, const char *end, const char *w)
{
	size_t n = 0, m = strlen(w);
	const char *p = s;
	while ((p = find(p, end, w)) != NULL) {
		n++;
		p += m;
	}
	return n;
}

static int blank(const char *s, const char *e)
{
	for (; s < e; s++)
		if (!isspace((unsigned char)*s))
			return 0;
	return 1;
}

double rf_reward_format(const char *text, size_t len, const rf_format_opts *o,
			char *why, size_t whylen)
{
	rf_format_opts d = {0};
	const char *end = text + len, *to, *tc, *after;
	const char *t_open, *t_close;
	if (!o)
		o = &d;
	t_open = opt(o->think_open, "<think>");
	t_close = opt(o->think_close, "</think>");
	if (count(text, end, t_close) != 1) {
		snprintf(why, whylen, "format: %s %s", t_close,
			 count(text, end, t_close) ? "appears more than once"
						   : "is missing");
		return 0;
	}
	tc = find(text, end, t_close);
	to = find(text, end, t_open);
	if (count(text, end, t_open) > 1) {
		snprintf(why, whylen, "format: %s appears more than once",
			 t_open);
		return 0;
	}
	if (to && to > tc) {
		snprintf(why, whylen, "format: %s comes after %s", t_open,
			 t_close);
		return 0;
	}
	if (o->think_at_start && (!to || !blank(text, to))) {
		snprintf(why, whylen, "format: the text does not start with %s",
			 t_open);
		return 0;
	}
	if (blank(to ? to + strlen(t_open) : text, tc)) {
		snprintf(why, whylen, "format: the thinking is empty");
		return 0;
	}
	after = tc + strlen(t_close);
	if (o->answer_open && o->answer_open[0]) {
		const char *ao, *ac,
		    *a_close = opt(o->answer_close, "</answer>");
		if (count(after, end, o->answer_open) != 1 ||
		    count(after, end, a_close) != 1) {
			snprintf(why, whylen,
				 "format: expected one %s...%s after %s",
				 o->answer_open, a_close, t_close);
			return 0;
		}
		ao = find(after, end, o->answer_open);
		ac = find(after, end, a_close);
		if (ac < ao || blank(ao + strlen(o->answer_open), ac)) {
			snprintf(why, whylen,
				 "format: the answer is empty or out of order");
			return 0;
		}
		if (!blank(after, ao) || !blank(ac + strlen(a_close), end)) {
			snprintf(why, whylen, "format: text outside %s...%s",
				 o->answer_open, a_close);
			return 0;
		}
	} else if (blank(after, end)) {
		snprintf(why, whylen, "format: no answer after %s", t_close);
		return 0;
	}
	snprintf(why, whylen, "format: ok");
	return 1;
}

/* ------------------------------------------------------------- language */

rf_script rf_script_from_name(const char *name)
{
	static const struct {
		const char *name;
		rf_script s;
	} map[] = {{"en", RF_SCRIPT_LATIN},
		   {"latin", RF_SCRIPT_LATIN},
		   {"fr", RF_SCRIPT_LATIN},
		   {"de", RF_SCRIPT_LATIN},
		   {"es", RF_SCRIPT_LATIN},
		   {"zh", RF_SCRIPT_CJK},
		   {"ja", RF_SCRIPT_CJK},
		   {"cjk", RF_SCRIPT_CJK},
		   {"ru", RF_SCRIPT_CYRILLIC},
		   {"cyrillic", RF_SCRIPT_CYRILLIC},
		   {"ar", RF_SCRIPT_ARABIC},
		   {"arabic", RF_SCRIPT_ARABIC},
		   {"ko", RF_SCRIPT_HANGUL},
		   {"hangul", RF_SCRIPT_HANGUL},
		   {NULL, 0}};
	for (int i = 0; name && map[i].name; i++)
		if (!strcmp(name, map[i].name))
			return map[i].s;
	return 0;
}

/* Decode one UTF-8 code point; returns its length, or 0 for an invalid
 * sequence (one byte is then skipped as "foreign"). */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0 && n >= 2 && (s[1] & 0xc0) == 0x80 &&
	    s[0] >= 0xc2) {
		*cp = ((uint32_t)(s[0] & 0x1f) << 6) | (s[1] & 0x3f);
		return 2;
	}
	if ((s[0] & 0xf0) == 0xe0 && n >= 3 && (s[1] & 0xc0) == 0x80 &&
	    (s[2] & 0xc0) == 0x80) {
		*cp = ((uint32_t)(s[0] & 0x0f) << 12) |
		      ((uint32_t)(s[1] & 0x3f) << 6) | (s[2] & 0x3f);
		if (*cp < 0x800 || (*cp >= 0xd800 && *cp <= 0xdfff))
			return 0;
		return 3;
	}
	if ((s[0] & 0xf8) == 0xf0 && n >= 4 && (s[1] & 0xc0) == 0x80 &&
	    (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80) {
		*cp = ((uint32_t)(s[0] & 0x07) << 18) |
		      ((uint32_t)(s[1] & 0x3f) << 12) |
		      ((uint32_t)(s[2] & 0x3f) << 6) | (s[3] & 0x3f);
		if (*cp < 0x10000 || *cp > 0x10ffff)
			return 0;
		return 4;
	}
	return 0;
}

/* The script of a letter; 0 for a non-letter, -1 for a letter of a script
 * not listed (counts as foreign). */
static int script_of(uint32_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= 0xc0 && c <= 0x24f && c != 0xd7 && c != 0xf7))
		return RF_SCRIPT_LATIN;
	if (c >= 0x400 && c <= 0x52f)
		return RF_SCRIPT_CYRILLIC;
	if (c >= 0x600 && c <= 0x6ff)
		return RF_SCRIPT_ARABIC;
	if ((c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3400 && c <= 0x4dbf) ||
	    (c >= 0x3040 && c <= 0x30ff) || (c >= 0x20000 && c <= 0x2a6df))
		return RF_SCRIPT_CJK;
	if (c >= 0xac00 && c <= 0xd7af)
		return RF_SCRIPT_HANGUL;
	if (c >= 0x370 && c <= 0x3ff)
		return -1; /* Greek */
	if (c < 0x80)
		return 0;
	if ((c >= 0x2000 && c <= 0x2bff) || (c >= 0x3000 && c <= 0x303f) ||
	    (c >= 0xff00 && c <= 0xffef) || c < 0xc0)
		return 0; /* punctuation, symbols, full-width forms */
	return -1;
}

double rf_reward_language(const char *text, size_t len, rf_script target,
			  const rf_format_opts *o, char *why, size_t whylen)
{
	const char *t_open = o ? opt(o->think_open, "<think>") : "<think>";
	const char *t_close = o ? opt(o->think_close, "</think>") : "</think>";
	const char *end = text + len, *b = text, *e = end, *p;
	size_t words = 0, in_target = 0, i, n;
	int cur = 0; /* script of the word being read */
	if ((p = find(text, end, t_close)) != NULL) {
		const char *q = find(text, p, t_open);
		b = q ? q + strlen(t_open) : text;
		e = p;
	}
	n = (size_t)(e - b);
	for (i = 0; i < n;) {
		const unsigned char *s = (const unsigned char *)b + i;
		uint32_t c;
		size_t l = utf8_next(s, n - i, &c);
		int sc;
		if (s[0] == '\\' && i + 1 < n && isalpha(s[1])) {
			/* a LaTeX command is not a word */
			if (cur) {
				words++;
				in_target += cur == (int)target;
				cur = 0;
			}
			i++;
			while (i < n && isalpha((unsigned char)b[i]))
				i++;
			continue;
		}
		if (!l) {
			sc = -1;
			l = 1;
		} else {
			sc = script_of(c);
		}
		if (sc == RF_SCRIPT_CJK) {
			/* every ideograph or kana is a word of its own */
			if (cur) {
				words++;
				in_target += cur == (int)target;
			}
			cur = 0;
			words++;
			in_target += target == RF_SCRIPT_CJK;
		} else if (sc != 0) {
			/* a change of script inside a run of letters ends a
			 * word */
			if (cur && cur != sc) {
				words++;
				in_target += cur == (int)target;
			}
			cur = sc;
		} else if (cur) {
			words++;
			in_target += cur == (int)target;
			cur = 0;
		}
		i += l;
	}
	if (cur) {
		words++;
		in_target += cur == (int)target;
	}
	if (!words) {
		snprintf(why, whylen,
			 "language: no words in the chain of thought");
		return 0;
	}
	snprintf(why, whylen, "language: %zu of %zu words in the target script",
		 in_target, words);
	return (double)in_target / (double)words;
}

/* ------------------------------------------------------------ countdown */

/* Exact fractions of 64-bit integers; any overflow makes the answer
 * invalid (Countdown numbers are small). */
struct frac {
	int64_t p, q;
};

struct cd {
	const char *s;
	size_t i, n;
	int depth, bad;
	long used[64];
	size_t nused;
	char err[96];
};

static int64_t gcd64(int64_t a, int64_t b)
{
	if (a < 0)
		a = -a;
	if (b < 0)
		b = -b;
	while (b) {
		int64_t t = a % b;
		a = b;
		b = t;
	}
	return a ? a : 1;
}

static struct frac fr_make(struct cd *c, __int128 p, __int128 q)
{
	struct frac r = {0, 1};
	if (q == 0) {
		c->bad = 1;
		snprintf(c->err, sizeof c->err, "division by zero");
		return r;
	}
	if (q < 0) {
		p = -p;
		q = -q;
	}
	if (p > INT64_MAX || p < -INT64_MAX || q > INT64_MAX) {
		c->bad = 1;
		snprintf(c->err, sizeof c->err, "numbers too large");
		return r;
	}
	int64_t g = gcd64((int64_t)p, (int64_t)q);
	r.p = (int64_t)p / g;
	r.q = (int64_t)q / g;
	return r;
}

static void cd_ws(struct cd *c)
{
	while (c->i < c->n && isspace((unsigned char)c->s[c->i]))
		c->i++;
}

static struct frac cd_expr(struct cd *c);

static struct frac cd_atom(struct cd *c)
{
	struct frac r = {0, 1};
	cd_ws(c);
	if (c->bad || ++c->depth > 64) {
		c->bad = 1;
		if (!c->err[0])
			snprintf(c->err, sizeof c->err, "nested too deeply");
		return r;
	}
	if (c->i < c->n && c->s[c->i] == '(') {
		c->i++;
		r = cd_expr(c);
		cd_ws(c);
		if (c->i >= c->n || c->s[c->i] != ')') {
			c->bad = 1;
			if (!c->err[0])
				snprintf(c->err, sizeof c->err,
					 "unbalanced parentheses");
		} else {
			c->i++;
		}
	} else if (c->i < c->n && c->s[c->i] == '-') {
		c->i++;
		r = cd_atom(c);
		r.p = -r.p;
	} else if (c->i < c->n && isdigit((unsigned char)c->s[c->i])) {
		int64_t v = 0;
		while (c->i < c->n && isdigit((unsigned char)c->s[c->i])) {
			if (v > 100000000) {
				c->bad = 1;
				snprintf(c->err, sizeof c->err,
					 "number too large");
				break;
			}
			v = v * 10 + (c->s[c->i++] - '0');
		}
		if (c->nused < sizeof c->used / sizeof c->used[0])
			c->used[c->nused++] = (long)v;
		else {
			c->bad = 1;
			snprintf(c->err, sizeof c->err, "too many numbers");
		}
		r.p = v;
	} else {
		c->bad = 1;
		if (!c->err[0])
			snprintf(c->err, sizeof c->err, "unexpected '%c'",
				 c->i < c->n &&
					 isprint((unsigned char)c->s[c->i])
				     ? c->s[c->i]
				     : '?');
	}
	c->depth--;
	return r;
}

static struct frac cd_term(struct cd *c)
{
	struct frac l = cd_atom(c);
	for (;;) {
		cd_ws(c);
		if (c->bad || c->i >= c->n ||
		    (c->s[c->i] != '*' && c->s[c->i] != '/'))
			return l;
		char op = c->s[c->i++];
		struct frac r = cd_atom(c);
		if (op == '*')
			l = fr_make(c, (__int128)l.p * r.p,
				    (__int128)l.q * r.q);
		else
			l = fr_make(c, (__int128)l.p * r.q,
				    (__int128)l.q * r.p);
	}
}

static struct frac cd_expr(struct cd *c)
{
	struct frac l = cd_term(c);
	for (;;) {
		cd_ws(c);
		if (c->bad || c->i >= c->n ||
		    (c->s[c->i] != '+' && c->s[c->i] != '-'))
			return l;
		char op = c->s[c->i++];
		struct frac r = cd_term(c);
		__int128 a = (__int128)l.p * r.q, b = (__int128)r.p * l.q;
		l = fr_make(c, op == '+' ? a + b : a - b, (__int128)l.q * r.q);
	}
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return (x > y) - (x < y);
}

double rf_reward_countdown(const char *text, size_t len, long target,
			   const long *nums, size_t n_nums, char *why,
			   size_t whylen)
{
	const char *end = text + len, *ao = NULL, *p = text, *ac;
	struct cd c;
	struct frac v;
	long want[64];
	/* the last <answer>...</answer> */
	while ((p = find(p, end, "<answer>")) != NULL) {
		ao = p;
		p += 8;
	}
	if (!ao || !(ac = find(ao + 8, end, "</answer>"))) {
		snprintf(why, whylen, "countdown: no <answer>...</answer>");
		return 0;
	}
	memset(&c, 0, sizeof c);
	c.s = ao + 8;
	c.n = (size_t)(ac - c.s);
	/* "expr = target" is allowed: compare the left side */
	const char *eq = memchr(c.s, '=', c.n);
	if (eq)
		c.n = (size_t)(eq - c.s);
	for (size_t i = 0; i < c.n; i++)
		if (!strchr("0123456789+-*/() \t\n", c.s[i])) {
			snprintf(why, whylen,
				 "countdown: only digits, + - * / and "
				 "parentheses are allowed");
			return 0.1;
		}
	v = cd_expr(&c);
	cd_ws(&c);
	if (!c.bad && c.i < c.n) {
		c.bad = 1;
		snprintf(c.err, sizeof c.err, "unexpected text");
	}
	if (c.bad) {
		snprintf(why, whylen, "countdown: invalid expression: %s",
			 c.err);
		return 0.1;
	}
	if (n_nums > 64 || c.nused != n_nums) {
		snprintf(why, whylen,
			 "countdown: uses %zu numbers, %zu are given", c.nused,
			 n_nums);
		return 0.1;
	}
	memcpy(want, nums, n_nums * sizeof *nums);
	qsort(want, n_nums, sizeof *want, cmp_long);
	qsort(c.used, c.nused, sizeof *c.used, cmp_long);
	if (memcmp(want, c.used, n_nums * sizeof *want)) {
		snprintf(why, whylen,
			 "countdown: the numbers used are not the ones given");
		return 0.1;
	}
	if (v.q != 1 || v.p != target) {
		snprintf(why, whylen, "countdown: equals %lld/%lld, not %ld",
			 (long long)v.p, (long long)v.q, target);
		return 0.1;
	}
	snprintf(why, whylen, "countdown: correct");
	return 1;
}
