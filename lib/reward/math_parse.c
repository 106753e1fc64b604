/* The answer language of the `math` reward, part 1 of 3: reading the LaTeX
 * that final answers are written in into a tree (a recursive-descent parser
 * bounded in nodes and depth).  math_eval.c evaluates the tree,
 * math_equal.c decides equivalence. */
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
/* f one level deeper (the depth bound applies to every nesting). */
static int nested(struct P *p, int (*f)(struct P *))
{
	int r;
	if (enter(p))
		return -1;
	r = f(p);
	p->depth--;
	return r;
}

static int parse_brace_group(struct P *p)
{
	int r;
	p->i++;
	r = nested(p, parse_union);
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

static int is_int_literal(const struct mx_tree *t, int i, int neg_ok);

static int is_accent(const char *name)
{
	static const char *const acc[] = {"dot",   "ddot",  "hat",
					  "widehat", "bar",  "vec",
					  "tilde", "widetilde", "mathring",
					  NULL};
	for (int i = 0; acc[i]; i++)
		if (!strcmp(name, acc[i]))
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
	/* \sin^{-1} x is arcsin x, not 1/\sin x */
	const char *inv = NULL;
	if (pw >= 0 && p->t->nodes[pw].kind == MX_NEG &&
	    is_int_literal(p->t, p->t->nodes[pw].a, 0)) {
		rf_bigctx bc = {1000, 0, 0};
		int64_t one = 0;
		if (rf_rat_to_i64(&bc, &p->t->nodes[p->t->nodes[pw].a].num,
				  &one) &&
		    one == 1)
			inv = !strcmp(name, "sin")   ? "arcsin"
			      : !strcmp(name, "cos") ? "arccos"
			      : !strcmp(name, "tan") ? "arctan"
						     : NULL;
		if (inv)
			pw = -1;
	}
	arg = parse_power(p);
	if (arg < 0)
		return -1;
	i = new_node(p, MX_FUNC);
	if (i < 0)
		return -1;
	snprintf(p->t->nodes[i].name, sizeof p->t->nodes[i].name, "%s",
		 inv ? inv : !strcmp(name, "lg") ? "log" : name);
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
	if (!strcmp(name, "emptyset") || !strcmp(name, "varnothing")) {
		struct ilist none = {NULL, 0, 0};
		return list_node(p, MX_LIST, &none, '{', '}');
	}
	if (!strcmp(name, "lceil") || !strcmp(name, "lfloor")) {
		/* \lceil x \rceil: a function, ceil or floor */
		int ceil = name[1] == 'c', r, f;
		r = nested(p, parse_expr);
		if (r < 0)
			return -1;
		if (!eat_cmd(p, ceil ? "rceil" : "rfloor"))
			return pfail(p, ceil ? "\\lceil without \\rceil"
					     : "\\lfloor without \\rfloor");
		f = new_node(p, MX_FUNC);
		if (f < 0)
			return -1;
		snprintf(p->t->nodes[f].name, sizeof p->t->nodes[f].name, "%s",
			 ceil ? "ceil" : "floor");
		p->t->nodes[f].a = r;
		return f;
	}
	if (is_accent(name)) {
		/* \dot{x}_0, \hat{y}: an accented letter is a name of its own */
		char vn[24];
		size_t k = (size_t)snprintf(vn, sizeof vn, "%s:", name), j;
		skipws(p);
		if (p->i < p->n && p->s[p->i] == '{') {
			for (j = p->i + 1; j < p->n && p->s[j] != '}'; j++)
				if (p->s[j] != ' ' && k + 1 < sizeof vn)
					vn[k++] = p->s[j];
			if (j >= p->n || j == p->i + 1)
				return pfail(p, "bad accent");
			p->i = j + 1;
		} else if (p->i < p->n && isalpha((unsigned char)p->s[p->i])) {
			if (k + 1 < sizeof vn)
				vn[k++] = p->s[p->i];
			p->i++;
		} else {
			return pfail(p, "bad accent");
		}
		vn[k] = '\0';
		var_suffix(p, vn, sizeof vn);
		return var_node(p, vn);
	}
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
		r = nested(p, parse_expr);
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
		    "}",    "\\",    "end", "right", "cap", "rceil", "rfloor",
		    NULL};
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
