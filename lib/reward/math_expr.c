/* The answer language of the `math` reward: a recursive-descent parser for
 * the LaTeX that final answers are written in (bounded in nodes and depth),
 * exact rational evaluation, numeric evaluation at fixed random points, and
 * the structural equivalence test (tuples, sets, intervals, equations, ±,
 * matrices).  Equality is claimed only from exact arithmetic, from numeric
 * agreement at every point, or from identical text; never from an overflow. */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reward/math_expr.h"

/* ---------------------------------------------------------------- parser */

struct P {
	struct mx_tree *t;
	const char *s;
	size_t i, n;
	int depth;
	int fail;
};

static int pfail(struct P *p, const char *msg)
{
	if (!p->fail) {
		p->fail = 1;
		snprintf(p->t->err, sizeof p->t->err, "%s", msg);
	}
	return -1;
}

static void skipws(struct P *p)
{
	while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' ||
			       p->s[p->i] == '\n' || p->s[p->i] == '\r'))
		p->i++;
}

static int peek(struct P *p)
{
	skipws(p);
	return p->i < p->n ? (unsigned char)p->s[p->i] : 0;
}

static int peek2(struct P *p)
{
	skipws(p);
	return p->i + 1 < p->n ? (unsigned char)p->s[p->i + 1] : 0;
}

/* The command at the cursor ("\frac" -> "frac", "\{" -> "{"), without
 * consuming it; 0 when there is none. */
static int cmd_at(struct P *p, char *name, size_t cap)
{
	size_t j, k = 0;
	skipws(p);
	if (p->i >= p->n || p->s[p->i] != '\\')
		return 0;
	j = p->i + 1;
	if (j >= p->n)
		return 0;
	if (isalpha((unsigned char)p->s[j])) {
		while (j < p->n && isalpha((unsigned char)p->s[j])) {
			if (k + 1 < cap)
				name[k++] = p->s[j];
			j++;
		}
	} else {
		name[k++] = p->s[j++];
	}
	name[k] = '\0';
	return (int)(j - p->i);
}

static int is_cmd(struct P *p, const char *want)
{
	char name[32];
	int len = cmd_at(p, name, sizeof name);
	return len > 0 && !strcmp(name, want);
}

static int eat_cmd(struct P *p, const char *want)
{
	char name[32];
	int len = cmd_at(p, name, sizeof name);
	if (len > 0 && !strcmp(name, want)) {
		p->i += (size_t)len;
		return 1;
	}
	return 0;
}

static int eat(struct P *p, int ch)
{
	if (peek(p) == ch) {
		p->i++;
		return 1;
	}
	return 0;
}

static int new_node(struct P *p, int kind)
{
	struct mx_tree *t = p->t;
	struct mx_node *nd;
	if (t->n >= MX_MAX_NODES)
		return pfail(p, "answer too large (nodes)");
	if (t->n == t->cap) {
		int cap = t->cap ? t->cap * 2 : 32;
		struct mx_node *q = realloc(t->nodes, (size_t)cap * sizeof *q);
		if (!q)
			return pfail(p, "out of memory");
		t->nodes = q;
		t->cap = cap;
	}
	nd = &t->nodes[t->n];
	memset(nd, 0, sizeof *nd);
	nd->kind = kind;
	nd->a = nd->b = -1;
	rf_rat_init(&nd->num);
	return t->n++;
}

static int node2(struct P *p, int kind, int a, int b)
{
	int i;
	if (a < 0 || b < -1)
		return -1;
	i = new_node(p, kind);
	if (i < 0)
		return -1;
	p->t->nodes[i].a = a;
	p->t->nodes[i].b = b;
	return i;
}

/* A growable list of node indices, copied into the tree's kids at the end
 * so that nested lists stay contiguous. */
struct ilist {
	int *v;
	int n, cap;
};

static int ilist_push(struct P *p, struct ilist *l, int x)
{
	if (x < 0)
		return -1;
	if (l->n >= MX_MAX_NODES)
		return pfail(p, "answer too large (items)");
	if (l->n == l->cap) {
		int cap = l->cap ? l->cap * 2 : 8;
		int *q = realloc(l->v, (size_t)cap * sizeof *q);
		if (!q)
			return pfail(p, "out of memory");
		l->v = q;
		l->cap = cap;
	}
	l->v[l->n++] = x;
	return 0;
}

static int list_node(struct P *p, int kind, struct ilist *l, char open,
		     char close)
{
	struct mx_tree *t = p->t;
	int i = new_node(p, kind);
	if (i < 0)
		return -1;
	if (t->nk + l->n > t->kcap) {
		int cap = t->kcap ? t->kcap : 32;
		int *q;
		while (cap < t->nk + l->n)
			cap *= 2;
		q = realloc(t->kids, (size_t)cap * sizeof *q);
		if (!q)
			return pfail(p, "out of memory");
		t->kids = q;
		t->kcap = cap;
	}
	if (l->n)
		memcpy(t->kids + t->nk, l->v, (size_t)l->n * sizeof *l->v);
	t->nodes[i].first = t->nk;
	t->nodes[i].count = l->n;
	t->nodes[i].open = open;
	t->nodes[i].close = close;
	t->nk += l->n;
	return i;
}

static int parse_union(struct P *p);
static int parse_rel(struct P *p);
static int parse_expr(struct P *p);
static int parse_unary(struct P *p);
static int parse_power(struct P *p);
static int parse_primary(struct P *p);

static int enter(struct P *p)
{
	if (++p->depth > MX_MAX_DEPTH)
		return pfail(p, "answer nested too deeply");
	return 0;
}

/* Digits[.digits][e[+-]digits] as an exact rational. */
static int parse_number(struct P *p)
{
	rf_bigctx c = {1LL << 40, 0, 0};
	int i = new_node(p, MX_NUM);
	struct mx_node *nd;
	long long frac = 0, digits = 0, ex = 0;
	int seen_dot = 0;
	rf_rat ten;
	if (i < 0)
		return -1;
	nd = &p->t->nodes[i];
	rf_big_set_u64(&c, &nd->num.p, 0);
	rf_big_set_u64(&c, &nd->num.q, 1);
	while (p->i < p->n) {
		char ch = p->s[p->i];
		if (isdigit((unsigned char)ch)) {
			if (++digits > 4000)
				return pfail(p, "number too long");
			if (rf_big_mul_small(&c, &nd->num.p, 10,
					     (uint32_t)(ch - '0')))
				return pfail(p, "number too long");
			if (seen_dot)
				frac++;
			p->i++;
		} else if (ch == '.' && !seen_dot && digits > 0) {
			/* "1./3" (Python style) as well as "1.5" */
			seen_dot = 1;
			p->i++;
		} else if (ch == '.' && !seen_dot && p->i + 1 < p->n &&
			   isdigit((unsigned char)p->s[p->i + 1])) {
			seen_dot = 1;
			p->i++;
		} else {
			break;
		}
	}
	/* trailing "5." is a number followed by a period */
	if (p->i + 1 < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
		size_t j = p->i + 1;
		int neg = 0;
		if (p->s[j] == '+' || p->s[j] == '-') {
			neg = p->s[j] == '-';
			j++;
		}
		if (j < p->n && isdigit((unsigned char)p->s[j])) {
			while (j < p->n && isdigit((unsigned char)p->s[j])) {
				ex = ex * 10 + (p->s[j] - '0');
				if (ex > 100000)
					return pfail(p, "exponent too large");
				j++;
			}
			if (neg)
				ex = -ex;
			p->i = j;
		}
	}
	ex -= frac;
	if (ex != 0) {
		rf_rat_init(&ten);
		rf_rat_set_i64(&c, &ten, 10, 1);
		if (rf_rat_pow(&c, &ten, &ten, ex) ||
		    rf_rat_mul(&c, &nd->num, &nd->num, &ten)) {
			rf_rat_free(&ten);
			return pfail(p, "number too large");
		}
		rf_rat_free(&ten);
	}
	if (c.overflow)
		return pfail(p, "number too large");
	return i;
}

static int var_node(struct P *p, const char *name)
{
	int i = new_node(p, MX_VAR);
	if (i < 0)
		return -1;
	snprintf(p->t->nodes[i].name, sizeof p->t->nodes[i].name, "%s", name);
	return i;
}

/* A subscript or primes after a variable become part of its name: x_1,
 * a_{n+1}, f'. */
static void var_suffix(struct P *p, char *name, size_t cap)
{
	size_t k = strlen(name);
	if (p->i < p->n && p->s[p->i] == '_') {
		size_t j = p->i + 1;
		if (j < p->n && p->s[j] == '{') {
			int d = 0;
			size_t st = j;
			while (j < p->n) {
				if (p->s[j] == '{')
					d++;
				else if (p->s[j] == '}' && --d == 0)
					break;
				j++;
			}
			if (j < p->n) {
				/* x_{d} and x_d are one name */
				if (k + 1 < cap)
					name[k++] = '_';
				for (size_t x = st; x <= j && k + 1 < cap; x++)
					if (p->s[x] != ' ' && p->s[x] != '{' &&
					    p->s[x] != '}')
						name[k++] = p->s[x];
				p->i = j + 1;
			}
		} else if (j < p->n && isalnum((unsigned char)p->s[j])) {
			if (k + 2 < cap) {
				name[k++] = '_';
				name[k++] = p->s[j];
			}
			p->i = j + 1;
		}
	}
	while (p->i < p->n && p->s[p->i] == '\'' && k + 1 < cap) {
		name[k++] = '\'';
		p->i++;
	}
	name[k] = '\0';
}

/* A {group} at p->i: its contents up to the matching brace, depth-bounded. */
static int parse_brace_group(struct P *p)
{
	int r;
	p->i++;
	if (enter(p))
		return -1;
	r = parse_union(p);
	p->depth--;
	if (r < 0)
		return -1;
	if (!eat(p, '}'))
		return pfail(p, "unbalanced braces");
	return r;
}

/* Argument of \frac, \sqrt, ^, _: a {group}, or one digit, letter or
 * command (LaTeX's rule: \frac12 is 1/2). */
static int parse_arg(struct P *p)
{
	int c = peek(p);
	if (c == '{')
		return parse_brace_group(p);
	if (isdigit(c)) {
		int i = new_node(p, MX_NUM);
		rf_bigctx bc = {1000, 0, 0};
		if (i < 0)
			return -1;
		rf_rat_set_i64(&bc, &p->t->nodes[i].num, c - '0', 1);
		p->i++;
		return i;
	}
	if (isalpha(c) || c == '\\')
		return parse_primary(p);
	return pfail(p, "missing argument");
}

/* Exponent after ^: like parse_arg, but a run of digits is one number
 * (model outputs write 2^10 meaning 2^{10}) and a sign is allowed. */
static int parse_exponent(struct P *p)
{
	int c = peek(p);
	if (isdigit(c))
		return parse_number(p);
	if (c == '-') {
		p->i++;
		return node2(p, MX_NEG, parse_exponent(p), -1);
	}
	if (c == '+') {
		p->i++;
		return parse_exponent(p);
	}
	return parse_arg(p);
}

static const char *const funcs[] = {
    "sin",  "cos",  "tan",  "cot", "sec", "csc", "arcsin", "arccos", "arctan",
    "sinh", "cosh", "tanh", "ln",  "log", "exp", "lg",	   NULL};

static int is_func(const char *name)
{
	for (int i = 0; funcs[i]; i++)
		if (!strcmp(name, funcs[i]))
			return 1;
	return 0;
}

static const char *const greek[] = {
    "alpha",  "beta",  "gamma",	   "delta", "epsilon", "varepsilon", "zeta",
    "eta",    "theta", "vartheta", "iota",  "kappa",   "lambda",     "mu",
    "nu",     "xi",    "rho",	   "sigma", "tau",     "upsilon",    "phi",
    "varphi", "chi",   "psi",	   "omega", "Gamma",   "Delta",	     "Theta",
    "Lambda", "Xi",    "Sigma",	   "Phi",   "Psi",     "Omega",	     "hbar",
    "ell",    NULL};

static int is_greek(const char *name)
{
	for (int i = 0; greek[i]; i++)
		if (!strcmp(name, greek[i]))
			return 1;
	return 0;
}

static int parse_func(struct P *p, const char *name)
{
	int i, arg, base = -1;
	if (!strcmp(name, "log") && eat(p, '_'))
		base = parse_arg(p);
	/* \sin^2 x means (\sin x)^2 */
	int pw = -1;
	if (eat(p, '^'))
		pw = parse_exponent(p);
	if (p->fail)
		return -1;
	arg = parse_power(p);
	if (arg < 0)
		return -1;
	i = new_node(p, MX_FUNC);
	if (i < 0)
		return -1;
	snprintf(p->t->nodes[i].name, sizeof p->t->nodes[i].name, "%s",
		 !strcmp(name, "lg") ? "log" : name);
	p->t->nodes[i].a = arg;
	p->t->nodes[i].b = base;
	if (pw >= 0)
		return node2(p, MX_POW, i, pw);
	return i;
}

/* Items of a bracketed list up to one of the closers; returns the list or
 * the single item when `single_ok`. */
static int parse_bracketed(struct P *p, char open, const char *closers, int set)
{
	struct ilist l = {NULL, 0, 0};
	int r = -1;
	char close;
	if (enter(p))
		return -1;
	if (!(set ? is_cmd(p, "}") : strchr(closers, peek(p)) != NULL) ||
	    !peek(p)) {
		for (;;) {
			if (ilist_push(p, &l, parse_rel(p)))
				goto out;
			if (!eat(p, ','))
				break;
		}
	}
	if (set) {
		if (!eat_cmd(p, "}")) {
			pfail(p, "unbalanced \\{ \\}");
			goto out;
		}
		close = '}';
	} else {
		int c = peek(p);
		if (!c || !strchr(closers, c)) {
			pfail(p, "unbalanced brackets");
			goto out;
		}
		close = (char)c;
		p->i++;
	}
	if (!set && l.n == 1 &&
	    ((open == '(' && close == ')') || (open == '[' && close == ']'))) {
		r = l.v[0];
		goto out;
	}
	r = list_node(p, MX_LIST, &l, set ? '{' : open, close);
out:
	free(l.v);
	p->depth--;
	return r;
}

static int parse_matrix(struct P *p)
{
	char env[32] = "";
	size_t k = 0;
	struct ilist l = {NULL, 0, 0};
	int rows = 0, cols = -1, cur = 0, r = -1;
	if (!eat(p, '{'))
		return pfail(p, "bad \\begin");
	while (p->i < p->n && p->s[p->i] != '}' && k + 1 < sizeof env)
		env[k++] = p->s[p->i++];
	env[k] = '\0';
	if (!eat(p, '}') || (strcmp(env, "pmatrix") && strcmp(env, "bmatrix") &&
			     strcmp(env, "matrix") && strcmp(env, "Bmatrix") &&
			     strcmp(env, "array")))
		return pfail(p, "unknown environment");
	if (!strcmp(env, "array") && peek(p) == '{') { /* column spec */
		while (p->i < p->n && p->s[p->i] != '}')
			p->i++;
		p->i++;
	}
	if (enter(p))
		return -1;
	for (;;) {
		if (ilist_push(p, &l, parse_expr(p)))
			goto out;
		cur++;
		if (eat(p, '&'))
			continue;
		if (eat_cmd(p, "\\")) {
			if (cols >= 0 && cur != cols) {
				pfail(p, "ragged matrix");
				goto out;
			}
			cols = cur;
			cur = 0;
			rows++;
			if (is_cmd(p, "end"))
				break;
			continue;
		}
		break;
	}
	if (cur) {
		if (cols >= 0 && cur != cols) {
			pfail(p, "ragged matrix");
			goto out;
		}
		cols = cur;
		rows++;
	}
	if (!eat_cmd(p, "end") || !eat(p, '{')) {
		pfail(p, "unterminated matrix");
		goto out;
	}
	while (p->i < p->n && p->s[p->i] != '}')
		p->i++;
	if (!eat(p, '}')) {
		pfail(p, "unterminated matrix");
		goto out;
	}
	r = list_node(p, MX_MATRIX, &l, 0, 0);
	if (r >= 0) {
		p->t->nodes[r].rows = rows;
		p->t->nodes[r].cols = cols;
	}
out:
	free(l.v);
	p->depth--;
	return r;
}

static int parse_command(struct P *p)
{
	char name[32];
	int len = cmd_at(p, name, sizeof name);
	int a, b;
	if (len <= 0)
		return pfail(p, "unexpected character");
	p->i += (size_t)len;
	if (!strcmp(name, "frac") || !strcmp(name, "over")) {
		a = parse_arg(p);
		b = a < 0 ? -1 : parse_arg(p);
		if (b < 0)
			return -1;
		return node2(p, MX_DIV, a, b);
	}
	if (!strcmp(name, "binom") || !strcmp(name, "dbinom") ||
	    !strcmp(name, "tbinom")) {
		a = parse_arg(p);
		b = a < 0 ? -1 : parse_arg(p);
		if (b < 0)
			return -1;
		return node2(p, MX_BINOM, a, b);
	}
	if (!strcmp(name, "sqrt")) {
		int idx = -1;
		if (eat(p, '[')) {
			if (enter(p))
				return -1;
			idx = parse_expr(p);
			p->depth--;
			if (idx < 0 || !eat(p, ']'))
				return pfail(p, "bad \\sqrt[n]");
		}
		a = parse_arg(p);
		if (a < 0)
			return -1;
		return node2(p, MX_SQRT, a, idx);
	}
	if (!strcmp(name, "pi"))
		return new_node(p, MX_PI);
	if (!strcmp(name, "infty") || !strcmp(name, "infinity"))
		return new_node(p, MX_INF);
	if (!strcmp(name, "{"))
		return parse_bracketed(p, '{', "", 1);
	if (!strcmp(name, "begin"))
		return parse_matrix(p);
	if (is_func(name))
		return parse_func(p, name);
	if (is_greek(name)) {
		char vn[24];
		snprintf(vn, sizeof vn, "%s", name);
		var_suffix(p, vn, sizeof vn);
		return var_node(p, vn);
	}
	if (!strcmp(name, "left") || !strcmp(name, "right") ||
	    !strcmp(name, "big") || !strcmp(name, "Big") ||
	    !strcmp(name, "bigg"))
		return parse_primary(p);
	return pfail(p, "unknown command");
}

static int parse_primary(struct P *p)
{
	int c = peek(p);
	if (p->fail)
		return -1;
	if (isdigit(c) || (c == '.' && isdigit(peek2(p))))
		return parse_number(p);
	if (isalpha(c)) {
		char word[24];
		size_t j = p->i, k = 0;
		while (j < p->n && isalpha((unsigned char)p->s[j])) {
			if (k + 1 < sizeof word)
				word[k] = p->s[j];
			k++;
			j++;
		}
		word[k < sizeof word ? k : sizeof word - 1] = '\0';
		if (k > 1 && k < sizeof word &&
		    (is_func(word) || !strcmp(word, "sqrt") ||
		     !strcmp(word, "pi"))) {
			p->i = j;
			if (!strcmp(word, "pi"))
				return new_node(p, MX_PI);
			if (!strcmp(word, "sqrt"))
				return node2(p, MX_SQRT, parse_arg(p), -1);
			return parse_func(p, word);
		}
		/* a longer word is prose, not a product of variables ("odd") */
		if (k >= 3)
			return pfail(p, "text answer");
		char vn[24] = {(char)c, 0};
		p->i++;
		if (c == 'e' &&
		    !(p->i < p->n && (p->s[p->i] == '_' || p->s[p->i] == '\'')))
			return new_node(p, MX_E);
		var_suffix(p, vn, sizeof vn);
		return var_node(p, vn);
	}
	if (c == '(' || c == '[') {
		p->i++;
		return parse_bracketed(p, (char)c, ")]", 0);
	}
	if (c == '{')
		return parse_brace_group(p);
	if (c == '|') {
		int r;
		p->i++;
		if (enter(p))
			return -1;
		r = parse_expr(p);
		p->depth--;
		if (r < 0)
			return -1;
		if (!eat(p, '|'))
			return pfail(p, "unbalanced |");
		return node2(p, MX_ABS, r, -1);
	}
	if (c == '\\')
		return parse_command(p);
	if (!c)
		return pfail(p, "empty expression");
	return pfail(p, "unexpected character");
}

static int parse_postfix(struct P *p)
{
	int r = parse_primary(p);
	while (r >= 0 && p->i < p->n && p->s[p->i] == '!' &&
	       !(p->i + 1 < p->n && p->s[p->i + 1] == '=')) {
		p->i++;
		r = node2(p, MX_FACT, r, -1);
	}
	return r;
}

static int parse_power(struct P *p)
{
	int base, ex;
	if (enter(p))
		return -1;
	base = parse_postfix(p);
	if (base >= 0) {
		if (peek(p) == '^' || (peek(p) == '*' && peek2(p) == '*')) {
			p->i += p->s[p->i] == '^' ? 1 : 2;
			ex = parse_exponent(p);
			base = node2(p, MX_POW, base, ex);
			/* x^2! is not a thing; x^{a}^{b} nests to the right */
			while (base >= 0 && peek(p) == '^') {
				p->i++;
				ex = parse_exponent(p);
				int inner = p->t->nodes[base].b;
				int nb = node2(p, MX_POW, inner, ex);
				if (nb < 0)
					return -1;
				p->t->nodes[base].b = nb;
			}
		}
	}
	p->depth--;
	return base;
}

static int parse_unary(struct P *p)
{
	int r;
	if (enter(p))
		return -1;
	if (eat(p, '-'))
		r = node2(p, MX_NEG, parse_unary(p), -1);
	else if (eat(p, '+'))
		r = parse_unary(p);
	else if (eat_cmd(p, "pm")) {
		int v = parse_unary(p);
		r = v < 0 ? -1 : new_node(p, MX_PM);
		if (r >= 0) {
			p->t->nodes[r].a = -1;
			p->t->nodes[r].b = v;
			p->t->nodes[r].op = p->t->npm++;
		}
	} else if (eat_cmd(p, "mp")) {
		int v = parse_unary(p);
		r = v < 0 ? -1 : new_node(p, MX_PM);
		if (r >= 0) {
			p->t->nodes[r].a = -1;
			p->t->nodes[r].b = node2(p, MX_NEG, v, -1);
			p->t->nodes[r].op = p->t->npm++;
		}
	} else {
		r = parse_power(p);
	}
	p->depth--;
	return r;
}

/* Whether the next token starts a factor, for implicit multiplication
 * (2x, 3\sqrt{2}, 2(x+1), 2\pi r). */
static int starts_factor(struct P *p)
{
	int c = peek(p);
	char name[32];
	if (isalnum(c) || c == '(' || c == '{' || c == '.')
		return 1;
	if (c == '\\' && cmd_at(p, name, sizeof name) > 0) {
		static const char *const no[] = {
		    "cdot", "times", "div", "pm",    "mp",  "cup", "le",
		    "leq",  "ge",    "geq", "ne",    "neq", "lt",  "gt",
		    "}",    "\\",    "end", "right", "cap", NULL};
		for (int i = 0; no[i]; i++)
			if (!strcmp(name, no[i]))
				return 0;
		return 1;
	}
	return 0;
}

/* Whether the parenthesised group at the cursor mentions a letter (a
 * variable or a function of one): x(x+1) is a product, f(2) a value. */
static int has_var_ahead(const struct P *p)
{
	int depth = 0;
	for (size_t j = p->i; j < p->n; j++) {
		char ch = p->s[j];
		if (ch == '(')
			depth++;
		else if (ch == ')' && --depth == 0)
			return 0;
		else if (isalpha((unsigned char)ch) || ch == '\\')
			return 1;
	}
	return 1;
}

/* A non-negative integer literal (or its negation when `neg_ok`). */
static int is_int_literal(const struct mx_tree *t, int i, int neg_ok)
{
	if (i < 0)
		return 0;
	if (neg_ok && t->nodes[i].kind == MX_NEG)
		i = t->nodes[i].a;
	return i >= 0 && t->nodes[i].kind == MX_NUM && !t->nodes[i].num.p.neg &&
	       t->nodes[i].num.q.n == 1 && t->nodes[i].num.q.d[0] == 1;
}

static int parse_term(struct P *p)
{
	int l = parse_unary(p);
	while (l >= 0) {
		int c = peek(p);
		if (c == '*' && peek2(p) != '*') {
			p->i++;
			l = node2(p, MX_MUL, l, parse_unary(p));
		} else if (c == '/') {
			p->i++;
			l = node2(p, MX_DIV, l, parse_unary(p));
		} else if (eat_cmd(p, "cdot") || eat_cmd(p, "times")) {
			l = node2(p, MX_MUL, l, parse_unary(p));
		} else if (eat_cmd(p, "div")) {
			l = node2(p, MX_DIV, l, parse_unary(p));
		} else if (p->t->nodes[l].kind == MX_VAR && p->i < p->n &&
			   p->s[p->i] == '(' && !has_var_ahead(p)) {
			/* I(0), f(2): a function's value, not I times 0 (which
			 * would make "I(0)" equal to 0); x(x+1) stays a product */
			int arg = parse_primary(p);
			int u = arg < 0 ? -1 : new_node(p, MX_UFUNC);
			if (u < 0)
				return -1;
			memcpy(p->t->nodes[u].name, p->t->nodes[l].name,
			       sizeof p->t->nodes[u].name);
			p->t->nodes[u].a = arg;
			l = u;
		} else if (starts_factor(p)) {
			int mixed =
			    is_cmd(p, "frac") && is_int_literal(p->t, l, 1);
			int r = parse_power(p);
			if (mixed && r >= 0 && p->t->nodes[r].kind == MX_DIV &&
			    is_int_literal(p->t, p->t->nodes[r].a, 0) &&
			    is_int_literal(p->t, p->t->nodes[r].b, 0)) {
				/* 12\frac{3}{5} is the mixed number 12 3/5 */
				if (p->t->nodes[l].kind == MX_NEG) {
					int inner = p->t->nodes[l].a;
					int sum = node2(p, MX_ADD, inner, r);
					l = node2(p, MX_NEG, sum, -1);
				} else {
					l = node2(p, MX_ADD, l, r);
				}
			} else {
				l = node2(p, MX_MUL, l, r);
			}
		} else {
			break;
		}
	}
	return l;
}

static int parse_expr(struct P *p)
{
	int l;
	if (enter(p))
		return -1;
	l = parse_term(p);
	while (l >= 0) {
		if (eat(p, '+'))
			l = node2(p, MX_ADD, l, parse_term(p));
		else if (eat(p, '-'))
			l = node2(p, MX_SUB, l, parse_term(p));
		else if (is_cmd(p, "pm") || is_cmd(p, "mp")) {
			int minus_first = is_cmd(p, "mp");
			p->i += 3;
			int r = parse_term(p);
			int n = r < 0 ? -1 : new_node(p, MX_PM);
			if (n < 0) {
				l = -1;
				break;
			}
			p->t->nodes[n].a = l;
			p->t->nodes[n].b =
			    minus_first ? node2(p, MX_NEG, r, -1) : r;
			p->t->nodes[n].op = p->t->npm++;
			l = n;
		} else
			break;
	}
	p->depth--;
	return l;
}

static int rel_op(struct P *p)
{
	int c = peek(p);
	if (c == '=') {
		p->i++;
		return '=';
	}
	if (c == '<' || c == '>') {
		p->i++;
		if (eat(p, '='))
			return c == '<' ? 'l' : 'g';
		return c;
	}
	if (c == '!' && peek2(p) == '=') {
		p->i += 2;
		return 'n';
	}
	if (eat_cmd(p, "le") || eat_cmd(p, "leq") || eat_cmd(p, "leqslant"))
		return 'l';
	if (eat_cmd(p, "ge") || eat_cmd(p, "geq") || eat_cmd(p, "geqslant"))
		return 'g';
	if (eat_cmd(p, "lt"))
		return '<';
	if (eat_cmd(p, "gt"))
		return '>';
	if (eat_cmd(p, "ne") || eat_cmd(p, "neq"))
		return 'n';
	return 0;
}

static int parse_rel(struct P *p)
{
	int l, op;
	if (enter(p))
		return -1;
	l = parse_expr(p);
	while (l >= 0 && (op = rel_op(p)) != 0) {
		int r = parse_expr(p);
		l = node2(p, op == '=' ? MX_EQ : MX_REL, l, r);
		if (l >= 0)
			p->t->nodes[l].op = op;
	}
	p->depth--;
	return l;
}

static int parse_union(struct P *p)
{
	struct ilist items = {NULL, 0, 0};
	struct ilist u = {NULL, 0, 0};
	int r = -1;
	if (enter(p))
		return -1;
	for (;;) {
		for (;;) {
			if (ilist_push(p, &items, parse_rel(p)))
				goto out;
			if (!eat(p, ','))
				break;
		}
		int item = items.n == 1 ? items.v[0]
					: list_node(p, MX_LIST, &items, 0, 0);
		items.n = 0;
		if (ilist_push(p, &u, item))
			goto out;
		if (!eat_cmd(p, "cup") &&
		    !(peek(p) == 'U' && peek2(p) != 0 &&
		      strchr("([ ", peek2(p)) && (p->i++, 1)))
			break;
	}
	r = u.n == 1 ? u.v[0] : list_node(p, MX_UNION, &u, 0, 0);
out:
	free(items.v);
	free(u.v);
	p->depth--;
	return r;
}

int mx_parse(struct mx_tree *t, const char *s, size_t len)
{
	struct P p = {t, s, 0, len, 0, 0};
	memset(t, 0, sizeof *t);
	t->root = -1;
	int r = parse_union(&p);
	if (r >= 0 && !p.fail) {
		skipws(&p);
		if (p.i < p.n)
			r = pfail(&p, "unexpected text after the answer");
		else if (t->npm > MX_MAX_PM)
			r = pfail(&p, "too many \\pm signs");
	}
	if (p.fail || r < 0) {
		if (!t->err[0])
			snprintf(t->err, sizeof t->err, "not an expression");
		t->root = -1;
		return -1;
	}
	t->root = r;
	return 0;
}

void mx_tree_free(struct mx_tree *t)
{
	if (!t)
		return;
	for (int i = 0; i < t->n; i++)
		rf_rat_free(&t->nodes[i].num);
	free(t->nodes);
	free(t->kids);
	memset(t, 0, sizeof *t);
	t->root = -1;
}

/* ------------------------------------------------------- exact evaluation */

enum { EX_OK = 0, EX_IRR = 1, EX_OVF = 2, EX_UNDEF = 3, EX_NONSCALAR = 4 };

/* Merge two statuses: the "worst" wins, with overflow kept distinct. */
static int worse(int a, int b)
{
	return a > b ? a : b;
}

static int ex_eval(const struct mx_tree *t, int i, unsigned mask, rf_bigctx *c,
		   rf_rat *out, int depth);

static int ex_bin(const struct mx_tree *t, const struct mx_node *nd,
		  unsigned mask, rf_bigctx *c, rf_rat *out, int depth, int kind)
{
	rf_rat x, y;
	int s1, s2, rc = EX_OK;
	rf_rat_init(&x);
	rf_rat_init(&y);
	s1 = ex_eval(t, nd->a, mask, c, &x, depth);
	s2 = ex_eval(t, nd->b, mask, c, &y, depth);
	if (s1 || s2) {
		rc = worse(s1, s2);
		goto out;
	}
	switch (kind) {
	case MX_ADD:
		rc = rf_rat_add(c, out, &x, &y) ? EX_OVF : EX_OK;
		break;
	case MX_SUB:
		rc = rf_rat_sub(c, out, &x, &y) ? EX_OVF : EX_OK;
		break;
	case MX_MUL:
		rc = rf_rat_mul(c, out, &x, &y) ? EX_OVF : EX_OK;
		break;
	case MX_DIV: {
		int r = rf_rat_div(c, out, &x, &y);
		rc = r == -2 ? EX_UNDEF : r ? EX_OVF : EX_OK;
		break;
	}
	}
out:
	rf_rat_free(&x);
	rf_rat_free(&y);
	return rc;
}

/* Integer k-th root of a non-negative 63-bit integer, or -1. */
static int64_t iroot(int64_t v, int64_t k)
{
	double g = pow((double)v, 1.0 / (double)k);
	for (int64_t r = (int64_t)g - 1; r <= (int64_t)g + 1; r++) {
		if (r < 0)
			continue;
		__int128 acc = 1;
		for (int64_t j = 0; j < k && acc <= v; j++)
			acc *= r;
		if (acc == v)
			return r;
	}
	return -1;
}

static int ex_eval(const struct mx_tree *t, int i, unsigned mask, rf_bigctx *c,
		   rf_rat *out, int depth)
{
	const struct mx_node *nd;
	rf_rat x, y;
	int s, s2, rc;
	int64_t n, k;
	if (i < 0 || depth > MX_MAX_DEPTH * 4)
		return EX_UNDEF;
	if (c->overflow)
		return EX_OVF;
	nd = &t->nodes[i];
	depth++;
	switch (nd->kind) {
	case MX_NUM:
		return rf_rat_copy(c, out, &nd->num) ? EX_OVF : EX_OK;
	case MX_VAR:
	case MX_PI:
	case MX_E:
	case MX_INF:
	case MX_FUNC:
	case MX_UFUNC:
		return EX_IRR;
	case MX_ADD:
	case MX_SUB:
	case MX_MUL:
	case MX_DIV:
		return ex_bin(t, nd, mask, c, out, depth, nd->kind);
	case MX_NEG:
		s = ex_eval(t, nd->a, mask, c, out, depth);
		if (!s)
			rf_rat_neg(out);
		return s;
	case MX_PM: {
		int minus = (mask >> nd->op) & 1;
		rf_rat_init(&x);
		rf_rat_init(&y);
		s = nd->a >= 0 ? ex_eval(t, nd->a, mask, c, &x, depth)
		    : rf_rat_set_i64(c, &x, 0, 1) ? EX_OVF
						  : EX_OK;
		s2 = ex_eval(t, nd->b, mask, c, &y, depth);
		rc = worse(s, s2);
		if (!rc)
			rc = (minus ? rf_rat_sub(c, out, &x, &y)
				    : rf_rat_add(c, out, &x, &y))
				 ? EX_OVF
				 : EX_OK;
		rf_rat_free(&x);
		rf_rat_free(&y);
		return rc;
	}
	case MX_POW:
		rf_rat_init(&x);
		rf_rat_init(&y);
		s = ex_eval(t, nd->a, mask, c, &x, depth);
		s2 = ex_eval(t, nd->b, mask, c, &y, depth);
		rc = worse(s, s2);
		if (!s && s2 == EX_OVF) {
			/* 1^{10^{10^{10}}} is 1 however large the exponent */
			rf_rat one;
			rf_rat_init(&one);
			rf_rat_set_i64(c, &one, 1, 1);
			int was = c->overflow;
			c->overflow = 0;
			if (rf_rat_eq(c, &x, &one) == 1)
				rc = rf_rat_set_i64(c, out, 1, 1) ? EX_OVF
								  : EX_OK;
			else
				c->overflow = was;
			rf_rat_free(&one);
		}
		if (!rc && !s && !s2) {
			if (rf_rat_to_i64(c, &y, &n)) {
				int r = rf_rat_pow(c, out, &x, n);
				rc = r == -2 ? EX_UNDEF : r ? EX_OVF : EX_OK;
			} else if (rf_rat_is_zero(&x) && !y.p.neg) {
				rc = rf_rat_set_i64(c, out, 0, 1) ? EX_OVF
								  : EX_OK;
			} else {
				/* |x| == 1 with any exponent, or a huge or
				 * fractional one */
				rf_rat one;
				rf_rat_init(&one);
				rf_rat_set_i64(c, &one, 1, 1);
				int r = rf_rat_eq(c, &x, &one);
				rf_rat_free(&one);
				int64_t yi;
				if (r == 1)
					rc = rf_rat_set_i64(c, out, 1, 1)
						 ? EX_OVF
						 : EX_OK;
				else if (!rf_rat_to_i64(c, &y, &yi) &&
					 y.q.n == 1 && y.q.d[0] == 1)
					rc = EX_OVF; /* integer exponent beyond
							63 bits */
				else
					rc = EX_IRR;
			}
		}
		rf_rat_free(&x);
		rf_rat_free(&y);
		return rc;
	case MX_FACT:
		rf_rat_init(&x);
		s = ex_eval(t, nd->a, mask, c, &x, depth);
		rc = s;
		if (!s) {
			if (!rf_rat_to_i64(c, &x, &n))
				rc = x.p.neg			     ? EX_UNDEF
				     : (x.q.n == 1 && x.q.d[0] == 1) ? EX_OVF
								     : EX_UNDEF;
			else if (n < 0)
				rc = EX_UNDEF;
			else if (n > 3000)
				rc = EX_OVF;
			else {
				rf_big acc;
				rf_big_init(&acc);
				rc =
				    rf_big_set_u64(c, &acc, 1) ? EX_OVF : EX_OK;
				for (int64_t j = 2; !rc && j <= n; j++)
					if (rf_big_mul_small(c, &acc,
							     (uint32_t)j, 0))
						rc = EX_OVF;
				if (!rc && (rf_big_copy(c, &out->p, &acc) ||
					    rf_big_set_u64(c, &out->q, 1)))
					rc = EX_OVF;
				rf_big_free(&acc);
			}
		}
		rf_rat_free(&x);
		return rc;
	case MX_BINOM:
		rf_rat_init(&x);
		rf_rat_init(&y);
		s = ex_eval(t, nd->a, mask, c, &x, depth);
		s2 = ex_eval(t, nd->b, mask, c, &y, depth);
		rc = worse(s, s2);
		if (!rc) {
			if (!rf_rat_to_i64(c, &x, &n) ||
			    !rf_rat_to_i64(c, &y, &k))
				rc = EX_IRR;
			else if (k < 0 || n < 0 || k > n)
				rc = rf_rat_set_i64(c, out, 0, 1) ? EX_OVF
								  : EX_OK;
			else {
				if (k > n - k)
					k = n - k;
				if (k > 2000 || n > ((int64_t)1 << 31))
					rc = EX_OVF;
				else {
					/* C(n,k) = prod (n-k+j)/j, kept as an
					 * unreduced fraction */
					rf_rat acc, f;
					rf_rat_init(&acc);
					rf_rat_init(&f);
					rc = rf_rat_set_i64(c, &acc, 1, 1)
						 ? EX_OVF
						 : EX_OK;
					for (int64_t j = 1; !rc && j <= k; j++)
						if (rf_rat_set_i64(
							c, &f, n - k + j, j) ||
						    rf_rat_mul(c, &acc, &acc,
							       &f))
							rc = EX_OVF;
					if (!rc && rf_rat_copy(c, out, &acc))
						rc = EX_OVF;
					rf_rat_free(&acc);
					rf_rat_free(&f);
				}
			}
		}
		rf_rat_free(&x);
		rf_rat_free(&y);
		return rc;
	case MX_SQRT:
		rf_rat_init(&x);
		rf_rat_init(&y);
		s = ex_eval(t, nd->a, mask, c, &x, depth);
		k = 2;
		s2 = EX_OK;
		if (nd->b >= 0) {
			s2 = ex_eval(t, nd->b, mask, c, &y, depth);
			if (!s2 &&
			    (!rf_rat_to_i64(c, &y, &k) || k < 1 || k > 64))
				s2 = EX_IRR;
		}
		rc = worse(s, s2);
		if (!rc) {
			int64_t pp, qq, rp, rq;
			rf_rat_reduce_small(c, &x);
			if (!rf_big_to_i64(&x.p, &pp) ||
			    !rf_big_to_i64(&x.q, &qq))
				rc = EX_IRR;
			else if (pp < 0)
				rc = (k % 2) ? EX_IRR : EX_UNDEF;
			else if ((rp = iroot(pp, k)) < 0 ||
				 (rq = iroot(qq, k)) < 0)
				rc = EX_IRR;
			else
				rc = rf_rat_set_i64(c, out, rp, rq) ? EX_OVF
								    : EX_OK;
		}
		rf_rat_free(&x);
		rf_rat_free(&y);
		return rc;
	case MX_ABS:
		s = ex_eval(t, nd->a, mask, c, out, depth);
		if (!s && out->p.neg)
			rf_rat_neg(out);
		return s;
	default:
		return EX_NONSCALAR;
	}
}

/* ----------------------------------------------------- numeric evaluation */

/* Six points with positive variables and three with negative ones: most
 * answers live on positive values (roots, logs), but sqrt(x^2) is |x|, not
 * x, and only a negative point shows it.  Points where either side is
 * undefined are skipped; at least three must remain and all must agree. */
#define NPOINTS 9
#define NPOSITIVE 6

static uint64_t mix64(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A variable's value at a point depends only on its name and the point
 * (fixed seed), so two answers see the same values without a shared table. */
static double var_value(const char *name, int point)
{
	uint64_t h = 1469598103934665603ULL;
	for (const char *s = name; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	h = mix64(h ^ mix64(0x5eed0000ULL + (uint64_t)point));
	double v = 0.35 + 2.3 * (double)(h >> 11) / 9007199254740992.0;
	return point < NPOSITIVE ? v : -v;
}

static double nv_eval(const struct mx_tree *t, int i, unsigned mask, int pt,
		      int depth)
{
	const struct mx_node *nd;
	double x, y;
	if (i < 0 || depth > MX_MAX_DEPTH * 4)
		return NAN;
	nd = &t->nodes[i];
	depth++;
	switch (nd->kind) {
	case MX_NUM:
		return rf_rat_to_double(&nd->num);
	case MX_VAR:
		return var_value(nd->name, pt);
	case MX_UFUNC: {
		/* an arbitrary smooth function per name, the same for both sides */
		double a = var_value(nd->name, 0), b = var_value(nd->name, 1);
		x = nv_eval(t, nd->a, mask, pt, depth);
		return 2.0 + sin(a * x + b) + 0.1 * a * x;
	}
	case MX_PI:
		return M_PI;
	case MX_E:
		return M_E;
	case MX_INF:
		return INFINITY;
	case MX_ADD:
		return nv_eval(t, nd->a, mask, pt, depth) +
		       nv_eval(t, nd->b, mask, pt, depth);
	case MX_SUB:
		return nv_eval(t, nd->a, mask, pt, depth) -
		       nv_eval(t, nd->b, mask, pt, depth);
	case MX_MUL:
		return nv_eval(t, nd->a, mask, pt, depth) *
		       nv_eval(t, nd->b, mask, pt, depth);
	case MX_DIV:
		y = nv_eval(t, nd->b, mask, pt, depth);
		if (y == 0)
			return NAN;
		return nv_eval(t, nd->a, mask, pt, depth) / y;
	case MX_NEG:
		return -nv_eval(t, nd->a, mask, pt, depth);
	case MX_PM:
		x = nd->a >= 0 ? nv_eval(t, nd->a, mask, pt, depth) : 0;
		y = nv_eval(t, nd->b, mask, pt, depth);
		return ((mask >> nd->op) & 1) ? x - y : x + y;
	case MX_POW:
		x = nv_eval(t, nd->a, mask, pt, depth);
		y = nv_eval(t, nd->b, mask, pt, depth);
		return pow(x, y);
	case MX_FACT:
		x = nv_eval(t, nd->a, mask, pt, depth);
		if (x < 0 || x != floor(x))
			return NAN;
		return tgamma(x + 1);
	case MX_BINOM:
		x = nv_eval(t, nd->a, mask, pt, depth);
		y = nv_eval(t, nd->b, mask, pt, depth);
		return exp(lgamma(x + 1) - lgamma(y + 1) - lgamma(x - y + 1));
	case MX_SQRT:
		x = nv_eval(t, nd->a, mask, pt, depth);
		y = nd->b >= 0 ? nv_eval(t, nd->b, mask, pt, depth) : 2;
		if (y == 0)
			return NAN;
		if (x < 0 && fmod(y, 2) == 1)
			return -pow(-x, 1 / y);
		return pow(x, 1 / y);
	case MX_ABS:
		return fabs(nv_eval(t, nd->a, mask, pt, depth));
	case MX_FUNC: {
		const char *f = nd->name;
		x = nv_eval(t, nd->a, mask, pt, depth);
		if (!strcmp(f, "sin"))
			return sin(x);
		if (!strcmp(f, "cos"))
			return cos(x);
		if (!strcmp(f, "tan"))
			return tan(x);
		if (!strcmp(f, "cot"))
			return 1 / tan(x);
		if (!strcmp(f, "sec"))
			return 1 / cos(x);
		if (!strcmp(f, "csc"))
			return 1 / sin(x);
		if (!strcmp(f, "arcsin"))
			return asin(x);
		if (!strcmp(f, "arccos"))
			return acos(x);
		if (!strcmp(f, "arctan"))
			return atan(x);
		if (!strcmp(f, "sinh"))
			return sinh(x);
		if (!strcmp(f, "cosh"))
			return cosh(x);
		if (!strcmp(f, "tanh"))
			return tanh(x);
		if (!strcmp(f, "exp"))
			return exp(x);
		if (!strcmp(f, "ln"))
			return log(x);
		if (!strcmp(f, "log")) {
			if (nd->b >= 0)
				return log(x) /
				       log(nv_eval(t, nd->b, mask, pt, depth));
			return log(x); /* \log without a base: natural, as in
					  calculus */
		}
		return NAN;
	}
	default:
		return NAN;
	}
}

static int has_kind(const struct mx_tree *t, int i, int kind, int depth)
{
	const struct mx_node *nd;
	if (i < 0 || depth > MX_MAX_DEPTH * 4)
		return 0;
	nd = &t->nodes[i];
	if (nd->kind == kind)
		return 1;
	if (nd->kind == MX_LIST || nd->kind == MX_UNION ||
	    nd->kind == MX_MATRIX) {
		for (int j = 0; j < nd->count; j++)
			if (has_kind(t, t->kids[nd->first + j], kind,
				     depth + 1))
				return 1;
		return 0;
	}
	return has_kind(t, nd->a, kind, depth + 1) ||
	       has_kind(t, nd->b, kind, depth + 1);
}

/* The ± signs inside a subtree, as bit positions. */
static unsigned pm_bits(const struct mx_tree *t, int i, int depth)
{
	const struct mx_node *nd;
	unsigned m = 0;
	if (i < 0 || depth > MX_MAX_DEPTH * 4)
		return 0;
	nd = &t->nodes[i];
	if (nd->kind == MX_PM && nd->op < MX_MAX_PM)
		m |= 1u << nd->op;
	if (nd->kind == MX_LIST || nd->kind == MX_UNION ||
	    nd->kind == MX_MATRIX) {
		for (int j = 0; j < nd->count; j++)
			m |= pm_bits(t, t->kids[nd->first + j], depth + 1);
		return m;
	}
	return m | pm_bits(t, nd->a, depth + 1) | pm_bits(t, nd->b, depth + 1);
}

/* --------------------------------------------------------------- compare */

struct cmp {
	rf_bigctx big;
	int pct; /* 1: divide A's scalars by 100; 2: B's */
	int undecided;
	int numeric;
	int exact;
};

static int close_enough(double a, double b)
{
	double d = fabs(a - b), m = fmax(fabs(a), fabs(b));
	return d <= 1e-9 * m || d <= 1e-13;
}

/* One scalar value of A (under ± mask ma) against one of B. 1 equal, 0 not. */
static int scalar_eq(struct cmp *c, const struct mx_tree *A, int a, unsigned ma,
		     const struct mx_tree *B, int b, unsigned mb)
{
	rf_rat x, y, hundred;
	int sa, sb, r = 0;
	rf_rat_init(&x);
	rf_rat_init(&y);
	rf_rat_init(&hundred);
	sa = ex_eval(A, a, ma, &c->big, &x, 0);
	sb = ex_eval(B, b, mb, &c->big, &y, 0);
	if (sa == EX_NONSCALAR || sb == EX_NONSCALAR || sa == EX_UNDEF ||
	    sb == EX_UNDEF)
		goto out;
	if (!sa && !sb) {
		if (c->pct) {
			rf_rat_set_i64(&c->big, &hundred, 100, 1);
			if (rf_rat_div(&c->big, c->pct == 1 ? &x : &y,
				       c->pct == 1 ? &x : &y, &hundred)) {
				c->undecided = 1;
				goto out;
			}
		}
		r = rf_rat_eq(&c->big, &x, &y);
		if (r < 0) {
			c->undecided = 1;
			r = 0;
		} else if (r) {
			c->exact = 1;
		}
		goto out;
	}
	if (sa == EX_OVF || sb == EX_OVF) {
		/* exact arithmetic gave up: doubles cannot tell 2^{200} from
		 * 2^{200}+1, so no equality is claimed from here */
		c->undecided = 1;
		goto out;
	}
	{
		int valid = 0, inf_ok = has_kind(A, a, MX_INF, 0) &&
					has_kind(B, b, MX_INF, 0);
		for (int pt = 0; pt < NPOINTS; pt++) {
			double va = nv_eval(A, a, ma, pt, 0),
			       vb = nv_eval(B, b, mb, pt, 0);
			if (c->pct == 1)
				va /= 100;
			else if (c->pct == 2)
				vb /= 100;
			if (isinf(va) && isinf(vb) && inf_ok) {
				if ((va > 0) != (vb > 0))
					goto out;
				valid++;
				continue;
			}
			if (!isfinite(va) || !isfinite(vb) ||
			    fabs(va) > 1e300 || fabs(vb) > 1e300)
				continue;
			if (!close_enough(va, vb))
				goto out;
			valid++;
		}
		if (valid >= 3) {
			r = 1;
			c->numeric = 1;
		} else {
			c->undecided = 1;
		}
	}
out:
	rf_rat_free(&x);
	rf_rat_free(&y);
	rf_rat_free(&hundred);
	return r;
}

/* A scalar with ± stands for the set of its values. */
static int scalar_set_eq(struct cmp *c, const struct mx_tree *A, int a,
			 const struct mx_tree *B, int b)
{
	unsigned pa = pm_bits(A, a, 0), pb = pm_bits(B, b, 0);
	if (!pa && !pb)
		return scalar_eq(c, A, a, 0, B, b, 0);
	/* every value of one must be some value of the other, both ways */
	for (unsigned ma = 0; ma <= pa; ma++) {
		if ((ma & ~pa) != 0)
			continue;
		int found = 0;
		for (unsigned mb = 0; mb <= pb && !found; mb++)
			if ((mb & ~pb) == 0 && scalar_eq(c, A, a, ma, B, b, mb))
				found = 1;
		if (!found)
			return 0;
	}
	for (unsigned mb = 0; mb <= pb; mb++) {
		if ((mb & ~pb) != 0)
			continue;
		int found = 0;
		for (unsigned ma = 0; ma <= pa && !found; ma++)
			if ((ma & ~pa) == 0 && scalar_eq(c, A, a, ma, B, b, mb))
				found = 1;
		if (!found)
			return 0;
	}
	return 1;
}

static int node_eq(struct cmp *c, const struct mx_tree *A, int a,
		   const struct mx_tree *B, int b, int depth);

static int is_simple_eq(const struct mx_tree *t, int i)
{
	return i >= 0 && t->nodes[i].kind == MX_EQ &&
	       t->nodes[t->nodes[i].a].kind == MX_VAR;
}

static int unordered_eq(struct cmp *c, const struct mx_tree *A, const int *ak,
			int an, const struct mx_tree *B, const int *bk, int bn,
			int depth)
{
	unsigned char used[256];
	if (an != bn || an > 256)
		return 0;
	memset(used, 0, sizeof used);
	for (int i = 0; i < an; i++) {
		int found = 0;
		for (int j = 0; j < bn && !found; j++)
			if (!used[j] && node_eq(c, A, ak[i], B, bk[j], depth)) {
				used[j] = 1;
				found = 1;
			}
		if (!found)
			return 0;
	}
	return 1;
}

static int is_scalar_kind(int k)
{
	return k != MX_LIST && k != MX_UNION && k != MX_MATRIX && k != MX_EQ &&
	       k != MX_REL;
}

static int mirror(int op)
{
	switch (op) {
	case '<':
		return '>';
	case '>':
		return '<';
	case 'l':
		return 'g';
	case 'g':
		return 'l';
	default:
		return op;
	}
}

/* Equations l1 = r1 and l2 = r2 are the same when l1 - r1 is a non-zero
 * constant multiple of l2 - r2 at every point. */
static int equation_eq(struct cmp *c, const struct mx_tree *A,
		       const struct mx_node *x, const struct mx_tree *B,
		       const struct mx_node *y)
{
	double ratio = 0;
	int valid = 0;
	if (pm_bits(A, x->a, 0) || pm_bits(A, x->b, 0) || pm_bits(B, y->a, 0) ||
	    pm_bits(B, y->b, 0))
		return 0;
	for (int pt = 0; pt < NPOINTS; pt++) {
		double da =
		    nv_eval(A, x->a, 0, pt, 0) - nv_eval(A, x->b, 0, pt, 0);
		double db =
		    nv_eval(B, y->a, 0, pt, 0) - nv_eval(B, y->b, 0, pt, 0);
		if (!isfinite(da) || !isfinite(db))
			continue;
		if (fabs(da) < 1e-12 && fabs(db) < 1e-12) {
			valid++;
			continue;
		}
		if (fabs(da) < 1e-12 || fabs(db) < 1e-12)
			return 0;
		if (!ratio)
			ratio = da / db;
		else if (!close_enough(ratio, da / db))
			return 0;
		valid++;
	}
	if (valid >= 3 && ratio != 0) {
		c->numeric = 1;
		return 1;
	}
	return 0;
}

/* 1\pm\sqrt{2} against the list 1+\sqrt{2}, 1-\sqrt{2}: the values of the
 * ± expression and the list's items must match both ways. */
static int pm_vs_list(struct cmp *c, const struct mx_tree *S, int s,
		      const struct mx_tree *L, const struct mx_node *l,
		      int s_is_a)
{
	unsigned pb = pm_bits(S, s, 0);
	const int *k = L->kids + l->first;
	for (unsigned m = 0; m <= pb; m++) {
		int found = 0;
		if (m & ~pb)
			continue;
		for (int j = 0; j < l->count && !found; j++)
			found = s_is_a ? scalar_eq(c, S, s, m, L, k[j], 0)
				       : scalar_eq(c, L, k[j], 0, S, s, m);
		if (!found)
			return 0;
	}
	for (int j = 0; j < l->count; j++) {
		int found = 0;
		for (unsigned m = 0; m <= pb && !found; m++)
			if (!(m & ~pb))
				found = s_is_a
					    ? scalar_eq(c, S, s, m, L, k[j], 0)
					    : scalar_eq(c, L, k[j], 0, S, s, m);
		if (!found)
			return 0;
	}
	return 1;
}

static int node_eq(struct cmp *c, const struct mx_tree *A, int a,
		   const struct mx_tree *B, int b, int depth)
{
	const struct mx_node *x, *y;
	if (a < 0 || b < 0 || depth > MX_MAX_DEPTH)
		return 0;
	/* x = 3 against 3: the left side names the unknown; when both sides
	 * name one, the names must agree */
	if (is_simple_eq(A, a) && is_simple_eq(B, b)) {
		if (strcmp(A->nodes[A->nodes[a].a].name,
			   B->nodes[B->nodes[b].a].name))
			return 0;
		return node_eq(c, A, A->nodes[a].b, B, B->nodes[b].b,
			       depth + 1);
	}
	if (is_simple_eq(A, a) && B->nodes[b].kind != MX_EQ)
		return node_eq(c, A, A->nodes[a].b, B, b, depth + 1);
	if (is_simple_eq(B, b) && A->nodes[a].kind != MX_EQ)
		return node_eq(c, A, a, B, B->nodes[b].b, depth + 1);
	x = &A->nodes[a];
	y = &B->nodes[b];
	if (is_scalar_kind(x->kind) && y->kind == MX_LIST &&
	    (y->open == 0 || y->open == '{') && pm_bits(A, a, 0))
		return pm_vs_list(c, A, a, B, y, 1);
	if (is_scalar_kind(y->kind) && x->kind == MX_LIST &&
	    (x->open == 0 || x->open == '{') && pm_bits(B, b, 0))
		return pm_vs_list(c, B, b, A, x, 0);
	if (x->kind == MX_LIST && y->kind == MX_LIST) {
		int xo = x->open == 0 || x->open == '{',
		    yo = y->open == 0 || y->open == '{';
		const int *xk = A->kids + x->first, *yk = B->kids + y->first;
		if (x->count != y->count)
			return 0;
		if (xo && yo)
			return unordered_eq(c, A, xk, x->count, B, yk, y->count,
					    depth + 1);
		/* a bare list against a tuple reads as the tuple; brackets of
		 * intervals must match exactly */
		if (xo != yo) {
			const struct mx_node *br = xo ? y : x;
			if ((xo ? x->open : y->open) == '{' ||
			    br->open != '(' || br->close != ')')
				return 0;
		} else if (x->open != y->open || x->close != y->close) {
			return 0;
		}
		for (int i = 0; i < x->count; i++)
			if (!node_eq(c, A, xk[i], B, yk[i], depth + 1))
				return 0;
		return 1;
	}
	if (x->kind == MX_UNION && y->kind == MX_UNION)
		return unordered_eq(c, A, A->kids + x->first, x->count, B,
				    B->kids + y->first, y->count, depth + 1);
	if (x->kind == MX_MATRIX && y->kind == MX_MATRIX) {
		if (x->rows != y->rows || x->cols != y->cols ||
		    x->count != y->count)
			return 0;
		for (int i = 0; i < x->count; i++)
			if (!node_eq(c, A, A->kids[x->first + i], B,
				     B->kids[y->first + i], depth + 1))
				return 0;
		return 1;
	}
	if (x->kind == MX_EQ && y->kind == MX_EQ) {
		if (node_eq(c, A, x->a, B, y->a, depth + 1) &&
		    node_eq(c, A, x->b, B, y->b, depth + 1))
			return 1;
		if (node_eq(c, A, x->a, B, y->b, depth + 1) &&
		    node_eq(c, A, x->b, B, y->a, depth + 1))
			return 1;
		return equation_eq(c, A, x, B, y);
	}
	if (x->kind == MX_REL && y->kind == MX_REL) {
		if (x->op == y->op && node_eq(c, A, x->a, B, y->a, depth + 1) &&
		    node_eq(c, A, x->b, B, y->b, depth + 1))
			return 1;
		return x->op == mirror(y->op) &&
		       node_eq(c, A, x->a, B, y->b, depth + 1) &&
		       node_eq(c, A, x->b, B, y->a, depth + 1);
	}
	if (is_scalar_kind(x->kind) && is_scalar_kind(y->kind))
		return scalar_set_eq(c, A, a, B, b);
	return 0;
}

int mx_equal(const struct mx_tree *A, const struct mx_tree *B, int pct_a,
	     int pct_b, char *why, size_t whylen)
{
	struct cmp c;
	int r;
	memset(&c, 0, sizeof c);
	c.big.budget = 20 * 1000 * 1000;
	if (A->root < 0 || B->root < 0) {
		snprintf(why, whylen, "unparsed");
		return MX_NOT_EQUAL;
	}
	r = node_eq(&c, A, A->root, B, B->root, 0);
	if (!r && pct_a != pct_b) {
		/* 25\% against 0.25: the percent sign may mean "divide by 100"
		 */
		struct cmp c2;
		memset(&c2, 0, sizeof c2);
		c2.big.budget = 20 * 1000 * 1000;
		c2.pct = pct_a ? 1 : 2;
		if (node_eq(&c2, A, A->root, B, B->root, 0)) {
			snprintf(why, whylen, "equal as a percentage (%s)",
				 c2.numeric ? "numeric" : "exact");
			return c2.numeric ? MX_EQUAL_NUMERIC : MX_EQUAL_EXACT;
		}
	}
	if (r) {
		if (c.numeric) {
			snprintf(why, whylen, "equal (numeric at %d points)",
				 NPOINTS);
			return MX_EQUAL_NUMERIC;
		}
		snprintf(why, whylen, "equal (exact)");
		return MX_EQUAL_EXACT;
	}
	if (c.undecided) {
		snprintf(why, whylen,
			 "not equal: too large to compare exactly");
		return MX_UNDECIDED;
	}
	snprintf(why, whylen, "not equal");
	return MX_NOT_EQUAL;
}
