/* Figures as written in papers ("101K GPU-hours", "~198 h", "$2 per GPU
 * hour", "5.576M", "10 ±5%") → intervals in base units, and back to text.
 * Decimal digits are kept as integer mantissa × 10^exponent so that the
 * rounding interval of "101K" is computed exactly ([100,500, 101,500)). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "referee/error.h"

struct unit_def {
	const char *names; /* '|'-separated normalised spellings */
	signed char dim[RF_DIM_COUNT];
	double mul, div;
	const char *display;
};

/*                                           time money flop gpu token param */
static const struct unit_def units[] = {
	{"|%|percent|", {0, 0, 0, 0, 0, 0}, 1, 100, "%"},
	{"|s|sec|secs|second|seconds|", {1, 0, 0, 0, 0, 0}, 1, 1, "s"},
	{"|min|mins|minute|minutes|", {1, 0, 0, 0, 0, 0}, 60, 1, "min"},
	{"|h|hr|hrs|hour|hours|", {1, 0, 0, 0, 0, 0}, 3600, 1, "h"},
	{"|d|day|days|", {1, 0, 0, 0, 0, 0}, 86400, 1, "days"},
	{"|week|weeks|", {1, 0, 0, 0, 0, 0}, 604800, 1, "weeks"},
	{"|gpu-s|gpu-sec|gpu-second|gpu-seconds|", {1, 0, 0, 1, 0, 0}, 1, 1, "GPU-s"},
	{"|gpu-h|gpu-hr|gpu-hrs|gpu-hour|gpu-hours|gpuh|accelerator-hour|accelerator-hours|",
	 {1, 0, 0, 1, 0, 0}, 3600, 1, "GPU-hours"},
	{"|gpu-day|gpu-days|", {1, 0, 0, 1, 0, 0}, 86400, 1, "GPU-days"},
	{"|usd|us$|$|dollar|dollars|", {0, 1, 0, 0, 0, 0}, 1, 1, "USD"},
	{"|flop|flops|", {0, 0, 1, 0, 0, 0}, 1, 1, "FLOP"},
	{"|kflop|kflops|", {0, 0, 1, 0, 0, 0}, 1e3, 1, "kFLOP"},
	{"|mflop|mflops|", {0, 0, 1, 0, 0, 0}, 1e6, 1, "MFLOP"},
	{"|gflop|gflops|", {0, 0, 1, 0, 0, 0}, 1e9, 1, "GFLOP"},
	{"|tflop|tflops|", {0, 0, 1, 0, 0, 0}, 1e12, 1, "TFLOP"},
	{"|pflop|pflops|", {0, 0, 1, 0, 0, 0}, 1e15, 1, "PFLOP"},
	{"|eflop|eflops|", {0, 0, 1, 0, 0, 0}, 1e18, 1, "EFLOP"},
	{"|gpu|gpus|accelerator|accelerators|", {0, 0, 0, 1, 0, 0}, 1, 1, "GPUs"},
	{"|token|tokens|", {0, 0, 0, 0, 1, 0}, 1, 1, "tokens"},
	{"|param|params|parameter|parameters|", {0, 0, 0, 0, 0, 1}, 1, 1, "params"},
	{"|step|steps|sample|samples|question|questions|output|outputs|node|nodes|times|",
	 {0, 0, 0, 0, 0, 0}, 1, 1, ""},
};

/* Lowercase; runs of spaces, '-', '_' and '·' become one '-'. */
static void normalise(char *dst, size_t size, const char *src)
{
	size_t o = 0;
	int sep = 0;
	while (*src == ' ' || *src == '\t')
		src++;
	for (; *src && o + 2 < size; src++) {
		unsigned char c = (unsigned char)*src;
		if (c == ' ' || c == '\t' || c == '-' || c == '_') {
			sep = 1;
			continue;
		}
		if (c == 0xc2 && (unsigned char)src[1] == 0xb7) { /* · */
			src++;
			sep = 1;
			continue;
		}
		if (sep && o > 0 && dst[o - 1] != '/' && c != '/')
			dst[o++] = '-';
		sep = 0;
		dst[o++] = (char)tolower(c);
	}
	dst[o] = '\0';
}

static const struct unit_def *lookup_simple(const char *norm)
{
	char key[64];
	const char *g;
	if (strlen(norm) + 3 > sizeof key)
		return NULL;
	snprintf(key, sizeof key, "|%s|", norm);
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strstr(units[i].names, key))
			return &units[i];
	/* "h800-gpu-hours": an accelerator model before GPU qualifies it */
	g = strstr(norm, "-gpu");
	if (!g)
		g = strstr(norm, "-accelerator");
	return g ? lookup_simple(g + 1) : NULL;
}

static void unit_set(rf_unit *u, const struct unit_def *d, int sign)
{
	for (int i = 0; i < RF_DIM_COUNT; i++)
		u->dim[i] = (signed char)(u->dim[i] + sign * d->dim[i]);
	if (sign > 0) {
		u->mul *= d->mul;
		u->div *= d->div;
	} else {
		u->mul *= d->div;
		u->div *= d->mul;
	}
}

int rf_unit_parse(rf_unit *out, const char *text)
{
	char norm[128], *slash, *num, *den = NULL;
	const struct unit_def *d;
	memset(out, 0, sizeof *out);
	out->mul = out->div = 1;
	if (strlen(text) >= sizeof norm)
		return rf_error_set(RF_EFORMAT, "unit '%.40s...' is too long", text);
	normalise(norm, sizeof norm, text);
	snprintf(out->name, sizeof out->name, "%s", text);
	/* trim the display name */
	{
		char *s = out->name, *e;
		while (*s == ' ')
			memmove(s, s + 1, strlen(s));
		e = s + strlen(s);
		while (e > s && e[-1] == ' ')
			*--e = '\0';
	}
	if (!norm[0])
		return 0;
	num = norm;
	if ((slash = strchr(norm, '/'))) {
		*slash = '\0';
		den = slash + 1;
	} else if (!strncmp(norm, "per-", 4)) {
		norm[3] = '\0';
		num = norm + 3; /* empty numerator */
		den = norm + 4;
	} else if ((slash = strstr(norm, "-per-"))) {
		*slash = '\0';
		den = slash + 5;
	}
	if (num[0]) {
		if (!(d = lookup_simple(num)))
			return rf_error_set(RF_EFORMAT, "unknown unit '%s'", text);
		unit_set(out, d, 1);
	}
	if (den) {
		if (!den[0] || !(d = lookup_simple(den)))
			return rf_error_set(RF_EFORMAT, "unknown unit '%s'", text);
		unit_set(out, d, -1);
	}
	return 0;
}

int rf_unit_same_dim(const rf_unit *a, const rf_unit *b)
{
	return !memcmp(a->dim, b->dim, sizeof a->dim);
}

void rf_unit_canonical(rf_unit *u)
{
	static const struct {
		signed char dim[RF_DIM_COUNT];
		double mul, div;
		const char *name;
	} canon[] = {
		{{0, 0, 0, 0, 0, 0}, 1, 1, ""},
		{{1, 0, 0, 0, 0, 0}, 3600, 1, "h"},
		{{1, 0, 0, 1, 0, 0}, 3600, 1, "GPU-hours"},
		{{0, 1, 0, 0, 0, 0}, 1, 1, "USD"},
		{{-1, 1, 0, -1, 0, 0}, 1, 3600, "USD/GPU-hour"},
		{{0, 0, 1, 0, 0, 0}, 1, 1, "FLOP"},
		{{-1, 0, 1, 0, 0, 0}, 1, 1, "FLOP/s"},
		{{-1, 0, 1, -1, 0, 0}, 1, 1, "FLOP/s per GPU"},
		{{0, 0, 0, 1, 0, 0}, 1, 1, "GPUs"},
		{{0, 0, 0, 0, 1, 0}, 1, 1, "tokens"},
		{{0, 0, 0, 0, 0, 1}, 1, 1, "params"},
	};
	static const char *const base[RF_DIM_COUNT] = {"s", "USD", "FLOP", "GPU",
						       "token", "param"};
	size_t o = 0;
	for (size_t i = 0; i < sizeof canon / sizeof canon[0]; i++)
		if (!memcmp(canon[i].dim, u->dim, sizeof u->dim)) {
			u->mul = canon[i].mul;
			u->div = canon[i].div;
			snprintf(u->name, sizeof u->name, "%s", canon[i].name);
			return;
		}
	u->mul = u->div = 1;
	u->name[0] = '\0';
	for (int i = 0; i < RF_DIM_COUNT; i++) {
		int n;
		if (!u->dim[i])
			continue;
		n = snprintf(u->name + o, sizeof u->name - o, "%s%s^%d",
			     o ? "·" : "", base[i], u->dim[i]);
		if (n < 0 || (size_t)n >= sizeof u->name - o)
			break;
		o += (size_t)n;
	}
}

/* ----------------------------------------------------------- decimals */

struct dec {
	long long m; /* digits as written */
	int e;       /* value = m × 10^e */
};

static const double pow10_exact[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
				     1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
				     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* n × 10^e as an interval that contains the exact value (a point when the
 * value is a double). */
static rf_interval dec_interval(long long n, int e)
{
	rf_interval r = rf_interval_point((double)n);
	if ((double)n != (double)(long long)(double)n ||
	    llabs(n) > (1LL << 53)) {
		/* more than 53 bits of digits: widen by the conversion error */
		r.lo = nextafter((double)n, -INFINITY);
		r.hi = nextafter((double)n, INFINITY);
	}
	while (e != 0) {
		int k = e > 0 ? (e > 22 ? 22 : e) : (e < -22 ? 22 : -e);
		rf_interval p = rf_interval_point(pow10_exact[k]);
		r = e > 0 ? rf_interval_mul(r, p) : rf_interval_div(r, p);
		e += e > 0 ? -k : k;
	}
	return r;
}

static int ci_prefix(const char *s, const char *word)
{
	size_t n = strlen(word);
	return !strncasecmp(s, word, n) ? (int)n : 0;
}

static const char *skip_sp(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Digits with optional thousands separators ("2,788"), a fraction and an
 * exponent.  Returns the end, or NULL when there is no well-formed number. */
static const char *parse_dec(const char *p, struct dec *d, int *had_point)
{
	long long m = 0;
	int e = 0, digits = 0, group = -1;
	*had_point = 0;
	while (isdigit((unsigned char)*p) || (*p == ',' && isdigit((unsigned char)p[1]))) {
		if (*p == ',') {
			/* groups after a separator have exactly three digits */
			if (group == -1 ? digits > 3 || digits == 0 : group != 3)
				return NULL;
			group = 0;
			p++;
			continue;
		}
		if (group >= 0)
			group++;
		if (m > (LLONG_MAX - 9) / 10)
			return NULL;
		m = m * 10 + (*p - '0');
		digits++;
		p++;
	}
	if (group >= 0 && group != 3)
		return NULL;
	if (*p == '.' && isdigit((unsigned char)p[1])) {
		*had_point = 1;
		p++;
		while (isdigit((unsigned char)*p)) {
			if (m > (LLONG_MAX - 9) / 10)
				return NULL;
			m = m * 10 + (*p - '0');
			e--;
			digits++;
			p++;
		}
	}
	if (!digits)
		return NULL;
	if ((*p == 'e' || *p == 'E') &&
	    (isdigit((unsigned char)p[1]) ||
	     ((p[1] == '-' || p[1] == '+') && isdigit((unsigned char)p[2])))) {
		char *end;
		long x;
		errno = 0;
		x = strtol(p + 1, &end, 10);
		if (errno || x > 300 || x < -300)
			return NULL;
		e += (int)x;
		p = end;
	}
	d->m = m;
	d->e = e;
	return p;
}

/* K, M, B, T attached to the number (not the start of a unit word), or the
 * words thousand/million/billion/trillion. */
static const char *parse_scale(const char *p, int *e)
{
	static const struct {
		const char *word;
		int e;
	} words[] = {{"thousand", 3}, {"million", 6}, {"billion", 9}, {"trillion", 12}};
	const char *q;
	if (*p && strchr("KkMBT", *p) && !isalpha((unsigned char)p[1])) {
		*e += *p == 'M' ? 6 : *p == 'B' ? 9 : *p == 'T' ? 12 : 3;
		return p + 1;
	}
	q = skip_sp(p);
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
		int n = ci_prefix(q, words[i].word);
		if (n && !isalpha((unsigned char)q[n])) {
			*e += words[i].e;
			return q + n;
		}
	}
	return p;
}

static const char *parse_pm(const char *p)
{
	if (!strncmp(p, "\xc2\xb1", 2))
		return p + 2;
	if (!strncmp(p, "+/-", 3))
		return p + 3;
	if (!strncmp(p, "+-", 2))
		return p + 2;
	return NULL;
}

struct tol {
	int kind; /* 0 none, 1 absolute, 2 relative */
	struct dec d;
};

/* "0.5", "0.5K", "5%" after a ± sign. */
static const char *parse_tol(const char *p, struct tol *t)
{
	int pt;
	p = skip_sp(p);
	p = parse_dec(p, &t->d, &pt);
	if (!p)
		return NULL;
	p = parse_scale(p, &t->d.e);
	t->kind = 1;
	if (*skip_sp(p) == '%') {
		t->kind = 2;
		p = skip_sp(p) + 1;
	} else if (!strncmp(skip_sp(p), "pp", 2) && !isalpha((unsigned char)skip_sp(p)[2])) {
		/* percentage points: an absolute tolerance on a percentage */
		t->kind = 1;
		p = skip_sp(p) + 2;
	}
	return p;
}

static int hedge(const char **pp)
{
	static const char *const words[] = {"approximately", "approx.", "approx",
					    "about", "roughly", "around",
					    "circa", "ca.", "some"};
	const char *p = *pp;
	if (*p == '~') {
		*pp = skip_sp(p + 1);
		return 1;
	}
	if (!strncmp(p, "\xe2\x89\x88", 3)) { /* ≈ */
		*pp = skip_sp(p + 3);
		return 1;
	}
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
		int n = ci_prefix(p, words[i]);
		if (n && (p[n] == ' ' || p[n] == '\t' || p[n] == '$')) {
			*pp = skip_sp(p + n);
			return 1;
		}
	}
	return 0;
}

static rf_interval relative(rf_interval stated, double r)
{
	rf_interval f = rf_interval_sub(rf_interval_point(1), rf_interval_point(r));
	rf_interval g = rf_interval_add(rf_interval_point(1), rf_interval_point(r));
	rf_interval k = {f.lo, g.hi, 0, 0};
	return rf_interval_mul(stated, k);
}

static rf_interval to_base(rf_interval v, const rf_unit *u)
{
	if (u->mul != 1)
		v = rf_interval_mul(v, rf_interval_point(u->mul));
	if (u->div != 1)
		v = rf_interval_div(v, rf_interval_point(u->div));
	return v;
}

/* The interval of the written rounding: half a unit of the last written
 * digit each side, (2m ± 1) × 5 × 10^(e-1), half-open like any rounding. */
static int written_rounding(rf_interval *out, const struct dec *d, const rf_unit *u)
{
	rf_interval w;
	if (d->m > LLONG_MAX / 16 || d->m < -(LLONG_MAX / 16))
		return rf_error_set(RF_EFORMAT, "too many digits");
	w.lo = dec_interval((2 * d->m - 1) * 5, d->e - 1).lo;
	w.hi = dec_interval((2 * d->m + 1) * 5, d->e - 1).hi;
	w.lo_open = 0;
	w.hi_open = 1;
	*out = to_base(w, u);
	return 0;
}

/* The smallest interval holding both a and b, each end keeping the openness
 * of the interval it came from (closed wins a tie). */
static rf_interval hull(rf_interval a, rf_interval b)
{
	rf_interval r = a;
	if (b.lo < r.lo || (b.lo == r.lo && !b.lo_open)) {
		r.lo = b.lo;
		r.lo_open = b.lo_open;
	}
	if (b.hi > r.hi || (b.hi == r.hi && !b.hi_open)) {
		r.hi = b.hi;
		r.hi_open = b.hi_open;
	}
	return r;
}

/* A hedged figure ("~198 h", "about 4 days", precision "approximate"):
 * DESIGN.md's "figures carry their precision" — the interval of its written
 * rounding, so "~198 h" is [197.5, 198.5) h.  `approx` > 0 (--approx,
 * settings.approx) widens it to ±approx of the stated value; the result is
 * never narrower than the rounding. */
static int hedged(rf_figure *f, const struct dec *d, double approx)
{
	int rc = written_rounding(&f->v, d, &f->unit);
	if (rc)
		return rc;
	if (approx > 0)
		f->v = hull(f->v, relative(f->stated, approx));
	f->flags = RF_FIGURE_APPROX;
	return 0;
}

static int apply_precision(rf_figure *f, const struct dec *d, int exact_num,
			   const char *precision, const rf_figure_opts *o,
			   double approx)
{
	const char *p = skip_sp(precision), *q;
	struct tol t;
	if (!strcasecmp(p, "exact")) {
		f->v = f->stated;
		f->flags = RF_FIGURE_EXACT;
		return 0;
	}
	if (!strcasecmp(p, "rounded") || !strcasecmp(p, "as written")) {
		if (exact_num) {
			f->v = f->stated;
			f->flags = RF_FIGURE_EXACT;
			return 0;
		}
		f->flags = RF_FIGURE_ROUNDED;
		return written_rounding(&f->v, d, &f->unit);
	}
	if (!strcasecmp(p, "approximate") || !strcasecmp(p, "approximately"))
		return hedged(f, d, approx);
	q = parse_pm(p);
	{
		const char *end = parse_tol(q ? q : p, &t);
		if (!end || *skip_sp(end) || (!q && t.kind != 2))
			return rf_error_set(RF_EFORMAT,
					    "precision '%.40s': expected exact, rounded, approximate, ±X or X%%",
					    precision);
	}
	/* "±5%" on a percentage is five points, as in a figure */
	if (t.kind == 2 && q && !strcmp(f->unit.name, "%"))
		t.kind = 1;
	if (t.kind == 2) {
		rf_interval r = rf_interval_div(dec_interval(t.d.m, t.d.e),
						rf_interval_point(100));
		f->v = relative(f->stated, r.hi);
	} else {
		rf_interval tv = to_base(dec_interval(t.d.m, t.d.e), &f->unit);
		rf_interval s = f->stated;
		f->v.lo = rf_interval_sub(s, tv).lo;
		f->v.hi = rf_interval_add(s, tv).hi;
		f->v.lo_open = f->v.hi_open = 0;
	}
	f->flags = RF_FIGURE_TOL;
	(void)o;
	return 0;
}

int rf_figure_parse(rf_figure *out, const char *text, const rf_figure_opts *opts)
{
	rf_figure_opts none = {0};
	const rf_figure_opts *o = opts ? opts : &none;
	double approx = o->approx > 0 ? o->approx : 0;
	const char *p = text;
	struct dec d;
	struct tol tol = {0};
	int approx_word, money = 0, neg = 0, pt, product = 0, percent = 0, rc;
	char ubuf[160];

	memset(out, 0, sizeof *out);
	if (!text)
		return rf_error_set(RF_EFORMAT, "expected a figure, got nothing");
	p = skip_sp(p);
	approx_word = hedge(&p);
	if (*p == '-' || *p == '+') {
		neg = *p == '-';
		p++;
	}
	if (!strncmp(p, "US$", 3)) {
		money = 1;
		p += 3;
	} else if (*p == '$') {
		money = 1;
		p++;
	}
	p = parse_dec(p, &d, &pt);
	if (!p)
		return rf_error_set(RF_EFORMAT, "expected a figure (a number, then a unit), got \"%.80s\"",
				    text);
	/* "64*8", "64×8", "64 x 8": a product of integer counts, exact */
	for (;;) {
		const char *q = skip_sp(p);
		int n = 0;
		struct dec f;
		if (*q == '*')
			n = 1;
		else if (!strncmp(q, "\xc3\x97", 2))
			n = 2;
		else if (*q == 'x' && q > p && isdigit((unsigned char)skip_sp(q + 1)[0]))
			n = 1;
		if (!n)
			break;
		q = skip_sp(q + n);
		if (!(q = parse_dec(q, &f, &pt)) || pt || d.e || f.e)
			return rf_error_set(RF_EFORMAT,
					    "\"%.80s\": a product must be of whole numbers", text);
		if (f.m && d.m > (1LL << 53) / f.m)
			return rf_error_set(RF_EFORMAT, "\"%.80s\": product too large", text);
		d.m *= f.m;
		product = 1;
		p = q;
	}
	if (neg)
		d.m = -d.m;
	p = parse_scale(p, &d.e);
	if (*skip_sp(p) == '%') {
		percent = 1;
		p = skip_sp(p) + 1;
	}
	{
		const char *q = parse_pm(skip_sp(p));
		if (q) {
			if (!(p = parse_tol(q, &tol)))
				return rf_error_set(RF_EFORMAT, "\"%.80s\": expected a tolerance after ±",
						    text);
		}
	}
	p = skip_sp(p);
	/* "35 ± 5 %", "35% ± 5%": a percentage and its tolerance in points
	 * ([30%, 40%]); only a figure with another unit ("10 h ± 5%") takes
	 * the tolerance as relative */
	if (tol.kind == 2 && !money && !*p &&
	    (percent || !o->default_unit || !*o->default_unit || !strcmp(o->default_unit, "%"))) {
		percent = 1;
		tol.kind = 1;
	}
	if (percent && *p)
		return rf_error_set(RF_EFORMAT, "\"%.80s\": nothing may follow '%%'", text);
	if (money) {
		if (*p && *p != '/' && strncasecmp(p, "per ", 4) && strcasecmp(p, "USD"))
			return rf_error_set(RF_EFORMAT,
					    "\"%.80s\": after '$' only '/unit' or 'per unit' may follow",
					    text);
		snprintf(ubuf, sizeof ubuf, "USD%s%s",
			 *p == '/' ? "" : *p && strcasecmp(p, "USD") ? " " : "",
			 strcasecmp(p, "USD") ? p : "");
	} else if (percent) {
		snprintf(ubuf, sizeof ubuf, "%%");
	} else if (!*p && o->default_unit) {
		snprintf(ubuf, sizeof ubuf, "%s", o->default_unit);
	} else {
		if (strlen(p) >= sizeof ubuf)
			return rf_error_set(RF_EFORMAT, "\"%.60s...\": unit too long", text);
		snprintf(ubuf, sizeof ubuf, "%s", p);
	}
	if ((rc = rf_unit_parse(&out->unit, ubuf))) {
		char why[256];
		snprintf(why, sizeof why, "%s", rf_error_last());
		return rf_error_set(rc, "\"%.80s\": %s", text, why);
	}
	if (money && !strcmp(out->unit.name, "USD") && *p && strcasecmp(p, "USD"))
		snprintf(out->unit.name, sizeof out->unit.name, "%s", ubuf);

	out->stated = to_base(dec_interval(d.m, d.e), &out->unit);
	if (tol.kind == 1) {
		rf_interval t = to_base(dec_interval(tol.d.m, tol.d.e), &out->unit);
		out->v.lo = rf_interval_sub(out->stated, t).lo;
		out->v.hi = rf_interval_add(out->stated, t).hi;
		out->flags = RF_FIGURE_TOL;
	} else if (tol.kind == 2) {
		rf_interval r = rf_interval_div(dec_interval(tol.d.m, tol.d.e),
						rf_interval_point(100));
		out->v = relative(out->stated, r.hi);
		out->flags = RF_FIGURE_TOL;
	} else if (approx_word) {
		if ((rc = hedged(out, &d, approx)))
			return rc;
	} else if (product || o->exact) {
		out->v = out->stated;
		out->flags = RF_FIGURE_EXACT;
	} else {
		rc = apply_precision(out, &d, 0, "rounded", o, approx);
		if (rc)
			return rc;
	}
	if (o->precision)
		return apply_precision(out, &d, product, o->precision, o, approx);
	return 0;
}

/* --------------------------------------------------------- arithmetic */

static void unit_combine(rf_unit *u, const rf_unit *a, const rf_unit *b, int sign)
{
	memset(u, 0, sizeof *u);
	for (int i = 0; i < RF_DIM_COUNT; i++)
		u->dim[i] = (signed char)(a->dim[i] + sign * b->dim[i]);
	rf_unit_canonical(u);
}

int rf_figure_mul(rf_figure *out, const rf_figure *a, const rf_figure *b)
{
	rf_figure r;
	unit_combine(&r.unit, &a->unit, &b->unit, 1);
	r.v = rf_interval_mul(a->v, b->v);
	r.stated = rf_interval_mul(a->stated, b->stated);
	r.flags = a->flags | b->flags;
	*out = r;
	return 0;
}

int rf_figure_div(rf_figure *out, const rf_figure *a, const rf_figure *b)
{
	rf_figure r;
	unit_combine(&r.unit, &a->unit, &b->unit, -1);
	r.v = rf_interval_div(a->v, b->v);
	r.stated = rf_interval_div(a->stated, b->stated);
	r.flags = a->flags | b->flags;
	*out = r;
	return 0;
}

int rf_figure_add(rf_figure *out, const rf_figure *a, const rf_figure *b)
{
	rf_figure r;
	if (!rf_unit_same_dim(&a->unit, &b->unit))
		return rf_error_set(RF_EINVAL, "cannot add %s to %s",
				    b->unit.name[0] ? b->unit.name : "a plain number",
				    a->unit.name[0] ? a->unit.name : "a plain number");
	r.unit = a->unit;
	r.v = rf_interval_add(a->v, b->v);
	r.stated = rf_interval_add(a->stated, b->stated);
	r.flags = a->flags | b->flags;
	*out = r;
	return 0;
}

/* ---------------------------------------------------------- formatting */

static void fmt_num(char *buf, size_t size, double x, int digits)
{
	double ax = fabs(x);
	static const struct {
		double at;
		const char *suffix;
	} scale[] = {{1e12, "T"}, {1e9, "B"}, {1e6, "M"}, {1e3, "K"}};
	if (isinf(x)) {
		snprintf(buf, size, "%s", x < 0 ? "-inf" : "inf");
		return;
	}
	if (ax >= 1e15 || (ax > 0 && ax < 1e-3)) {
		snprintf(buf, size, "%.*g", digits, x);
		return;
	}
	for (size_t i = 0; i < sizeof scale / sizeof scale[0]; i++)
		if (ax >= scale[i].at) {
			snprintf(buf, size, "%.*g%s", digits, x / scale[i].at, scale[i].suffix);
			return;
		}
	snprintf(buf, size, "%.*g", digits, x);
}

/* Significant digits for an interval's ends: six, or more until its two
 * ends print differently (a narrow [5,268.835, 5,268.845) must not read
 * "[5.26884K, 5.26884K)") and, given `other`, until the two intervals
 * print differently; at most 17, where every double prints as itself. */
/* An interval no wider than the rounding noise of outward-rounded
 * arithmetic (512 × $2/3600 × 3600 s): shown as the one number it is. */
static int is_noise(rf_interval v)
{
	double m = fmax(fabs(v.lo), fabs(v.hi));
	return v.hi - v.lo <= m * 1e-12;
}

static int digits_for(rf_interval v, double k, const rf_interval *other)
{
	char a[48], b[48], c[48], d[48];
	int n;
	for (n = 6; n < 17; n++) {
		fmt_num(a, sizeof a, v.lo * k, n);
		fmt_num(b, sizeof b, v.hi * k, n);
		if (!is_noise(v) && !strcmp(a, b))
			continue;
		if (other && !(is_noise(v) && is_noise(*other) && v.lo <= other->hi &&
			       other->lo <= v.hi) &&
		    (other->lo != v.lo || other->hi != v.hi)) {
			fmt_num(c, sizeof c, other->lo * k, n);
			fmt_num(d, sizeof d, other->hi * k, n);
			if (!strcmp(a, c) && !strcmp(b, d))
				continue;
		}
		break;
	}
	return n;
}

static int format_n(rf_buf *out, rf_interval v, const rf_unit *unit, int n)
{
	char a[48], b[48];
	double k = unit ? unit->div / unit->mul : 1;
	const char *name = unit ? unit->name : "";
	int pct = unit && !strcmp(name, "%");
	fmt_num(a, sizeof a, v.lo * k, n);
	fmt_num(b, sizeof b, v.hi * k, n);
	if (is_noise(v) && !v.lo_open && !v.hi_open)
		return rf_buf_printf(out, "%s%s%s", a, pct || !name[0] ? "" : " ", name);
	return rf_buf_printf(out, "%c%s, %s%c%s%s", v.lo_open ? '(' : '[', a, b,
			     v.hi_open ? ')' : ']', pct || !name[0] ? "" : " ", name);
}

int rf_interval_format(rf_buf *out, rf_interval v, const rf_unit *unit)
{
	double k = unit ? unit->div / unit->mul : 1;
	return format_n(out, v, unit, digits_for(v, k, NULL));
}

int rf_interval_format_apart(rf_buf *out, rf_interval v, const rf_unit *unit,
			     rf_interval other)
{
	double k = unit ? unit->div / unit->mul : 1;
	int n = digits_for(v, k, &other), m = digits_for(other, k, &v);
	return format_n(out, v, unit, n > m ? n : m);
}
