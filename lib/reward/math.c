/* The `math` reward's front: find the final answer in a completion (last
 * \boxed{}, fallbacks), and the rf_math_answer API that ties normalising
 * (math_norm.c), parsing (math_parse.c) and comparing (math_equal.c)
 * together. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "referee/error.h"
#include "referee/reward.h"
#include "reward/math_expr.h"

struct rf_math_answer {
	char *units; /* unit words dropped ("" when none) */
	char *norm;  /* normalised text, for display and parsing */
	char *key;   /* lowercase, no spaces: the text comparison */
	int percent; /* had a percent sign */
	struct mx_tree tree;
};

/* ------------------------------------------------------------ extraction */

/* Last occurrence of `needle` (not empty) in [s, s+n): searched from the
 * end, since the answer is usually near it. */
static const char *last_of(const char *s, size_t n, const char *needle)
{
	size_t m = strlen(needle);
	const char *p, *q;
	if (m > n)
		return NULL;
	for (p = s + n - m;; p = q - 1) {
		q = memrchr(s, needle[0], (size_t)(p - s) + 1);
		if (!q)
			return NULL;
		if (!memcmp(q, needle, m))
			return q;
		if (q == s)
			return NULL;
	}
}

/* The box whose command starts at `cmd` (\boxed or \fbox, `skip` bytes):
 * its body [*b, *e) and the end of the box in *after. */
static int box_at(const char *text, size_t len, const char *cmd, size_t skip,
		  const char **b, const char **e, const char **after)
{
	const char *end = text + len, *p = cmd + skip, *start;
	size_t depth;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p < end && *p != '{') {
		/* \boxed 5: up to the next space, $ or end of line */
		start = p;
		while (p < end && *p != ' ' && *p != '$' && *p != '\n' &&
		       (size_t)(p - start) <= RF_MATH_MAX_ANSWER)
			p++;
		if ((size_t)(p - start) > RF_MATH_MAX_ANSWER)
			return rf_error_set(RF_ELIMIT,
					    "boxed answer longer than %d bytes",
					    RF_MATH_MAX_ANSWER);
		*b = start;
		*e = *after = p;
		return 0;
	}
	if (p >= end)
		return RF_ENOTFOUND;
	start = ++p;
	depth = 1;
	for (; p < end; p++) {
		if (*p == '\\' && p + 1 < end) {
			p++; /* \{ and \} do not count */
			continue;
		}
		if (*p == '{')
			depth++;
		else if (*p == '}' && --depth == 0)
			break;
		if ((size_t)(p - start) > RF_MATH_MAX_ANSWER)
			return rf_error_set(RF_ELIMIT,
					    "boxed answer longer than %d bytes",
					    RF_MATH_MAX_ANSWER);
	}
	if (p >= end)
		return rf_error_set(RF_EFORMAT, "\\boxed{ is never closed");
	*b = start;
	*e = p;
	*after = p + 1;
	return 0;
}

/* The last box command in [text, text+len): its start and length.  One
 * backward pass over the backslashes finds the later of \boxed and \fbox. */
static const char *last_box(const char *text, size_t len, size_t *skip)
{
	const char *end = text + len, *p = end, *q;
	while (p > text && (q = memrchr(text, '\\', (size_t)(p - text)))) {
		if (end - q >= 6 && !memcmp(q, "\\boxed", 6)) {
			*skip = 6;
			return q;
		}
		if (end - q >= 5 && !memcmp(q, "\\fbox", 5)) {
			*skip = 5;
			return q;
		}
		p = q;
	}
	return NULL;
}

/* Only separators between two boxes: "\boxed{7} and \boxed{-5}" is one
 * answer given in two boxes. */
static int only_separators(const char *s, const char *end)
{
	static const char *const seps[] = {"\\text{and}", "\\text{ and }",
					   "\\text{or}",  "\\text{ or }",
					   "\\quad",	  "\\qquad",
					   "\\,",	  "\\(",
					   "\\)",	  "\\[",
					   "\\]",	  "and",
					   "or",	  NULL};
	while (s < end) {
		if (strchr(" \t\n$,;", *s)) {
			s++;
			continue;
		}
		int hit = 0;
		for (int i = 0; seps[i] && !hit; i++) {
			size_t m = strlen(seps[i]);
			if ((size_t)(end - s) >= m && !memcmp(s, seps[i], m)) {
				s += m;
				hit = 1;
			}
		}
		if (!hit)
			return 0;
	}
	return 1;
}

static int extract_boxed(rf_buf *out, const char *text, size_t len)
{
	const char *box[16][2], *b, *e, *after, *cmd;
	size_t skip;
	int n = 0, rc;
	cmd = last_box(text, len, &skip);
	if (!cmd)
		return RF_ENOTFOUND;
	if ((rc = box_at(text, len, cmd, skip, &b, &e, &after)) != 0)
		return rc;
	box[n][0] = b;
	box[n++][1] = e;
	/* earlier boxes joined to this one by separators only */
	while (n < 16) {
		const char *prev = last_box(text, (size_t)(cmd - text), &skip);
		if (!prev ||
		    box_at(text, (size_t)(cmd - text), prev, skip, &b, &e,
			   &after) ||
		    !only_separators(after, cmd)) {
			rf_error_clear();
			break;
		}
		box[n][0] = b;
		box[n++][1] = e;
		cmd = prev;
	}
	size_t total = 0;
	for (int i = n - 1; i >= 0; i--) {
		total += (size_t)(box[i][1] - box[i][0]) + 2;
		if (total > RF_MATH_MAX_ANSWER + 2)
			return rf_error_set(RF_ELIMIT,
					    "boxed answer longer than %d bytes",
					    RF_MATH_MAX_ANSWER);
		if ((i < n - 1 && rf_buf_puts(out, ", ")) ||
		    rf_buf_append(out, box[i][0],
				  (size_t)(box[i][1] - box[i][0])))
			return RF_ENOMEM;
	}
	return 0;
}

static int ci_prefix(const char *p, const char *end, const char *w)
{
	size_t m = strlen(w);
	if ((size_t)(end - p) < m)
		return 0;
	for (size_t i = 0; i < m; i++)
		if (tolower((unsigned char)p[i]) != w[i])
			return 0;
	return 1;
}

static int extract_answer_is(rf_buf *out, const char *text, size_t len,
			     const char **at)
{
	const char *end = text + len, *hit = NULL, *p, *q;
	/* last "answer is" or "answer:" (case-insensitive) */
	for (p = text; p + 6 <= end; p++) {
		p = memchr(p, 'a', (size_t)(end - p));
		if (!p)
			break;
		if (ci_prefix(p, end, "answer is"))
			hit = p + 9;
		else if (ci_prefix(p, end, "answer:"))
			hit = p + 7;
	}
	for (p = text; p + 6 <= end; p++) {
		p = memchr(p, 'A', (size_t)(end - p));
		if (!p)
			break;
		if (ci_prefix(p, end, "answer is") && (!hit || p + 9 > hit))
			hit = p + 9;
		else if (ci_prefix(p, end, "answer:") && (!hit || p + 7 > hit))
			hit = p + 7;
	}
	if (!hit)
		return RF_ENOTFOUND;
	*at = hit;
	p = hit;
	while (p < end && (*p == ' ' || *p == ':' || *p == '$'))
		p++;
	q = p;
	while (q < end && *q != '\n' && (size_t)(q - p) <= RF_MATH_MAX_ANSWER) {
		if (*q == '.' && (q + 1 == end || q[1] == ' ' || q[1] == '\n'))
			break;
		q++;
	}
	if ((size_t)(q - p) > RF_MATH_MAX_ANSWER)
		return rf_error_set(RF_ELIMIT, "answer longer than %d bytes",
				    RF_MATH_MAX_ANSWER);
	while (q > p && (q[-1] == ' ' || q[-1] == '$'))
		q--;
	if (q == p)
		return RF_ENOTFOUND;
	return rf_buf_append(out, p, (size_t)(q - p));
}

/* The last number of the concluding line: the last non-empty line, unless
 * it asks a question (a restated problem is no answer).  A number further
 * up is part of the working, not a conclusion. */
static int extract_last_number(rf_buf *out, const char *text, size_t len)
{
	const char *end = text + len, *p, *q, *line;
	while (end > text && isspace((unsigned char)end[-1]))
		end--;
	line = end;
	while (line > text && line[-1] != '\n')
		line--;
	if (line == end || memchr(line, '?', (size_t)(end - line)))
		return RF_ENOTFOUND;
	p = end;
	while (p > line && !isdigit((unsigned char)p[-1]))
		p--;
	if (p == line)
		return RF_ENOTFOUND;
	q = p;
	while (p > line && (isdigit((unsigned char)p[-1]) || p[-1] == '.') &&
	       (size_t)(q - p) < 256)
		p--;
	if (p > line && p[-1] == '-')
		p--;
	while (p < q && *p == '.')
		p++;
	return rf_buf_append(out, p, (size_t)(q - p));
}

/* Whether the output stops inside an unfinished thought: a <think> block
 * never closed, or text that breaks off mid-word or mid-formula (the
 * length limit).  A fallback must not read an answer there: "Wait, I
 * recall the answer is 1/2. Let me chec" has concluded nothing. */
static const char *unfinished(const char *text, size_t len, const char **frag)
{
	const char *open = last_of(text, len, "<think>");
	const char *end = text + len, *p;
	*frag = NULL;
	if (open && !memmem(open, (size_t)(end - open), "</think>", 8))
		return "the <think> block is never closed";
	p = end;
	while (p > text && isspace((unsigned char)p[-1]))
		p--;
	if (p == text)
		return NULL;
	unsigned char c = (unsigned char)p[-1];
	if (strchr(",;:(=+-*/^_{\\&[", c))
		return "the output breaks off mid-formula";
	if (!isalpha(c))
		return NULL;
	/* words after the last sentence's end: "... is 1/2. Hmm, let me
	 * verify this by" breaks off; "The answer is 42. Done" does not */
	int words = 0, inword = 0;
	const char *q = p;
	for (; q > text; q--) {
		unsigned char ch = (unsigned char)q[-1];
		if (ch == '.' || ch == '!' || ch == '?' || ch == '\n' ||
		    ch == '$')
			break;
		if (isalpha(ch) && !inword)
			words++;
		inword = isalpha(ch);
	}
	*frag = q;
	return words >= 3 ? "the output breaks off mid-sentence" : NULL;
}

int rf_math_extract(rf_buf *out, const char *text, size_t len, unsigned flags,
		    const char **how)
{
	int rc = RF_ENOTFOUND;
	const char *cut, *frag = NULL, *at = NULL;
	if (how)
		*how = "";
	if (!text)
		return rf_error_set(RF_EINVAL, "no text");
	if (flags & RF_MATH_EXTRACT_BOXED) {
		rc = extract_boxed(out, text, len);
		if (rc != RF_ENOTFOUND) {
			if (!rc && how)
				*how = "boxed";
			return rc;
		}
	}
	/* the fallbacks read prose: never in an unfinished thought.  Only
	 * "the answer is X" in the very sentence that breaks off stands: that
	 * sentence is the conclusion, written without a final period. */
	cut = flags & RF_MATH_EXTRACT_TRUNCATED
		  ? "the output was cut off at the length limit"
		  : unfinished(text, len, &frag);
	if (flags & RF_MATH_EXTRACT_ANSWER_IS) {
		size_t mark = out->len;
		rc = extract_answer_is(out, text, len, &at);
		if (!rc && cut && !(frag && at >= frag)) {
			out->len = mark;
			if (out->data)
				out->data[mark] = '\0';
			rc = RF_ENOTFOUND;
		}
		if (rc != RF_ENOTFOUND) {
			if (!rc && how)
				*how = "answer-is";
			return rc;
		}
	}
	if (cut && (flags & (RF_MATH_EXTRACT_ANSWER_IS |
			     RF_MATH_EXTRACT_LAST_NUMBER)))
		return rf_error_set(RF_ENOTFOUND,
				    "no final answer: no \\boxed, and %s "
				    "(no fallback reads an unfinished "
				    "thought)",
				    cut);
	if (flags & RF_MATH_EXTRACT_LAST_NUMBER) {
		rc = extract_last_number(out, text, len);
		if (rc != RF_ENOTFOUND) {
			if (!rc && how)
				*how = "last-number";
			return rc;
		}
	}
	return rf_error_set(RF_ENOTFOUND, "no final answer found");
}

/* ----------------------------------------------------------- the answers */

int rf_math_answer_parse(rf_math_answer **out, const char *s, size_t len)
{
	rf_math_answer *a;
	rf_buf norm = RF_BUF_INIT, units = RF_BUF_INIT, key = RF_BUF_INIT;
	int percent = 0;
	*out = NULL;
	if (len > RF_MATH_MAX_ANSWER)
		return rf_error_set(RF_ELIMIT, "answer longer than %d bytes",
				    RF_MATH_MAX_ANSWER);
	a = calloc(1, sizeof *a);
	if (!a)
		return rf_error_set(RF_ENOMEM, "out of memory");
	if (mx_normalise(&norm, &units, &percent, s ? s : "", s ? len : 0)) {
		free(a);
		return rf_error_set(RF_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < norm.len; i++) {
		char ch = norm.data[i];
		if (ch != ' ')
			rf_buf_append(
			    &key, (char[]){(char)tolower((unsigned char)ch)},
			    1);
	}
	if (rf_buf_append(&key, "", 0))
		a->key = NULL;
	else
		a->key = rf_buf_detach(&key);
	rf_buf_free(&key);
	a->percent = percent;
	a->norm = rf_buf_detach(&norm);
	a->units = rf_buf_detach(&units);
	if (!a->norm || !a->key || !a->units) {
		rf_math_answer_free(a);
		return rf_error_set(RF_ENOMEM, "out of memory");
	}
	mx_parse(&a->tree, a->norm, strlen(a->norm));
	*out = a;
	return 0;
}

const char *rf_math_answer_normalised(const rf_math_answer *a)
{
	return a ? a->norm : "";
}

int rf_math_answer_is_expression(const rf_math_answer *a, const char **why)
{
	if (why)
		*why = a && a->tree.root < 0 ? a->tree.err : "";
	return a && a->tree.root >= 0;
}

int rf_math_answer_equal(const rf_math_answer *a, const rf_math_answer *b,
			 char *why, size_t whylen)
{
	char tmp[96];
	int v;
	if (!why) {
		why = tmp;
		whylen = sizeof tmp;
	}
	if (!a || !b || !a->key[0] || !b->key[0]) {
		snprintf(why, whylen, "not equal: empty answer");
		return 0;
	}
	/* "5 cm" is not "5 m"; a unit on one side only is ignored */
	if (a->units[0] && b->units[0] && strcmp(a->units, b->units)) {
		snprintf(why, whylen, "not equal: units differ (%.30s, %.30s)",
			 a->units, b->units);
		return 0;
	}
	if (!strcmp(a->norm, b->norm) && a->percent == b->percent) {
		snprintf(why, whylen, "equal (same form)");
		return 1;
	}
	if (a->tree.root < 0 || b->tree.root < 0) {
		if (!strcmp(a->key, b->key)) {
			snprintf(why, whylen, "equal (same text)");
			return 1;
		}
		snprintf(why, whylen, "not equal (compared as text: %s)",
			 a->tree.root < 0 ? a->tree.err : b->tree.err);
		return 0;
	}
	v = mx_equal(&a->tree, &b->tree, a->percent, b->percent, why, whylen);
	if (v == MX_UNDECIDED && !strcmp(a->key, b->key)) {
		snprintf(why, whylen, "equal (same form)");
		return 1;
	}
	return v == MX_EQUAL_EXACT || v == MX_EQUAL_NUMERIC ||
	       v == MX_EQUAL_FORM;
}

void rf_math_answer_free(rf_math_answer *a)
{
	if (!a)
		return;
	free(a->norm);
	free(a->key);
	free(a->units);
	mx_tree_free(&a->tree);
	free(a);
}

int rf_math_equal(const char *a, const char *b, char *why, size_t whylen)
{
	rf_math_answer *x = NULL, *y = NULL;
	int rc = rf_math_answer_parse(&x, a, strlen(a));
	if (!rc)
		rc = rf_math_answer_parse(&y, b, strlen(b));
	if (!rc)
		rc = rf_math_answer_equal(x, y, why, whylen);
	rf_math_answer_free(x);
	rf_math_answer_free(y);
	return rc;
}
