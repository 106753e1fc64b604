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

/* A month and a year are Gregorian averages: 365.2425 days / 12 and
 * 365.2425 days (README.md, "Figures"). */
#define MONTH_S 2629746.0
#define YEAR_S 31556952.0

/*                        time money flop gpu token param energy co2 */
static const struct unit_def units[] = {
	{"|%|percent|", {0, 0, 0, 0, 0, 0, 0, 0}, 1, 100, "%"},
	{"|s|sec|secs|second|seconds|", {1, 0, 0, 0, 0, 0, 0, 0}, 1, 1, "s"},
	{"|min|mins|minute|minutes|", {1, 0, 0, 0, 0, 0, 0, 0}, 60, 1, "min"},
	{"|h|hr|hrs|hour|hours|", {1, 0, 0, 0, 0, 0, 0, 0}, 3600, 1, "h"},
	{"|d|day|days|", {1, 0, 0, 0, 0, 0, 0, 0}, 86400, 1, "days"},
	{"|week|weeks|", {1, 0, 0, 0, 0, 0, 0, 0}, 604800, 1, "weeks"},
	{"|mo|month|months|", {1, 0, 0, 0, 0, 0, 0, 0}, MONTH_S, 1, "months"},
	{"|yr|yrs|year|years|", {1, 0, 0, 0, 0, 0, 0, 0}, YEAR_S, 1, "years"},
	{"|gpu-s|gpu-sec|gpu-second|gpu-seconds|", {1, 0, 0, 1, 0, 0, 0, 0}, 1, 1, "GPU-s"},
	{"|gpu-h|gpu-hr|gpu-hrs|gpu-hour|gpu-hours|gpuh|accelerator-hour|accelerator-hours|"
	 "chip-hour|chip-hours|",
	 {1, 0, 0, 1, 0, 0, 0, 0}, 3600, 1, "GPU-hours"},
	{"|gpu-day|gpu-days|", {1, 0, 0, 1, 0, 0, 0, 0}, 86400, 1, "GPU-days"},
	{"|usd|us$|$|dollar|dollars|us-dollars|", {0, 1, 0, 0, 0, 0, 0, 0}, 1, 1, "USD"},
	{"|flop|flops|", {0, 0, 1, 0, 0, 0, 0, 0}, 1, 1, "FLOP"},
	{"|kflop|kflops|", {0, 0, 1, 0, 0, 0, 0, 0}, 1e3, 1, "kFLOP"},
	{"|mflop|mflops|", {0, 0, 1, 0, 0, 0, 0, 0}, 1e6, 1, "MFLOP"},
	{"|gflop|gflops|", {0, 0, 1, 0, 0, 0, 0, 0}, 1e9, 1, "GFLOP"},
	{"|tflop|tflops|", {0, 0, 1, 0, 0, 0, 0, 0}, 1e12, 1, "TFLOP"},
	{"|pflop|pflops|", {0, 0, 1, 0, 0, 0, 0, 0}, 1e15, 1, "PFLOP"},
	{"|eflop|eflops|", {0, 0, 1, 0, 0, 0, 0, 0}, 1e18, 1, "EFLOP"},
	{"|gpu|gpus|accelerator|accelerators|chip|chips|", {0, 0, 0, 1, 0, 0, 0, 0}, 1, 1, "GPUs"},
	{"|token|tokens|", {0, 0, 0, 0, 1, 0, 0, 0}, 1, 1, "tokens"},
	{"|param|params|parameter|parameters|", {0, 0, 0, 0, 0, 1, 0, 0}, 1, 1, "params"},
	{"|w|watt|watts|", {-1, 0, 0, 0, 0, 0, 1, 0}, 1, 1, "W"},
	{"|kw|kilowatt|kilowatts|", {-1, 0, 0, 0, 0, 0, 1, 0}, 1e3, 1, "kW"},
	{"|mw|megawatt|megawatts|", {-1, 0, 0, 0, 0, 0, 1, 0}, 1e6, 1, "MW"},
	{"|j|joule|joules|", {0, 0, 0, 0, 0, 0, 1, 0}, 1, 1, "J"},
	{"|wh|watt-hour|watt-hours|", {0, 0, 0, 0, 0, 0, 1, 0}, 3600, 1, "Wh"},
	{"|kwh|kilowatt-hour|kilowatt-hours|", {0, 0, 0, 0, 0, 0, 1, 0}, 3.6e6, 1, "kWh"},
	{"|mwh|megawatt-hour|megawatt-hours|", {0, 0, 0, 0, 0, 0, 1, 0}, 3.6e9, 1, "MWh"},
	{"|gwh|gigawatt-hour|gigawatt-hours|", {0, 0, 0, 0, 0, 0, 1, 0}, 3.6e12, 1, "GWh"},
	{"|tco2eq|tco2e|tco2|t-co2eq|t-co2e|t-co2|tonnes-co2eq|tonnes-co2e|tons-co2eq|"
	 "tonnes-of-co2eq|",
	 {0, 0, 0, 0, 0, 0, 0, 1}, 1000, 1, "tCO2eq"},
	{"|kgco2eq|kgco2e|kgco2|kg-co2eq|kg-co2e|kg-co2|", {0, 0, 0, 0, 0, 0, 0, 1}, 1, 1,
	 "kgCO2eq"},
	{"|gco2eq|gco2e|gco2|g-co2eq|g-co2e|g-co2|", {0, 0, 0, 0, 0, 0, 0, 1}, 1, 1000, "gCO2eq"},
	{"|step|steps|sample|samples|question|questions|output|outputs|node|nodes|times|"
	 "epoch|epochs|example|examples|problem|problems|sequence|sequences|prompt|prompts|"
	 "iteration|iterations|update|updates|gradient-step|gradient-steps|rollout|rollouts|"
	 "completion|completions|response|responses|",
	 {0, 0, 0, 0, 0, 0, 0, 0}, 1, 1, ""},
};

/* Accelerators by model: "16 H100s", "2048 A100 GPUs", "30.84M H100-hours". */
static const char *const accelerators[] = {
	"h100", "h800", "h200", "h20", "a100", "a800", "a10", "a10g", "v100", "b100", "b200",
	"gb200", "l4", "l40", "l40s", "t4", "mi250", "mi250x", "mi300x", "tpu", "tpuv2",
	"tpuv3", "tpuv4", "tpuv5e", "tpuv5p", "tpu-v2", "tpu-v3", "tpu-v4", "tpu-v5e",
	"tpu-v5p", "gaudi2"};

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
	if (!g)
		g = strstr(norm, "-chip");
	if (g)
		return lookup_simple(g + 1);
	/* "h100s", "a100", "h100-hours", "a100-80gb-hours" */
	for (size_t i = 0; i < sizeof accelerators / sizeof accelerators[0]; i++) {
		size_t n = strlen(accelerators[i]);
		const char *rest = norm + n;
		if (strncmp(norm, accelerators[i], n))
			continue;
		if (!*rest || !strcmp(rest, "s"))
			return lookup_simple("gpus");
		if (*rest != '-')
			continue;
		/* a memory size between model and unit: "a100-80gb-hours" */
		if (isdigit((unsigned char)rest[1])) {
			const char *q = rest + 1;
			while (isdigit((unsigned char)*q))
				q++;
			if (!strncmp(q, "gb", 2) && (q[2] == '-' || !q[2]))
				rest = q + 2;
			if (!*rest)
				return lookup_simple("gpus");
		}
		snprintf(key, sizeof key, "gpu%s", rest);
		if (strlen(rest) + 4 < sizeof key)
			return lookup_simple(key[3] ? key : "gpus");
	}
	return NULL;
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
	if (!norm[0]) {
		for (const char *t = text; *t; t++)
			if (*t != ' ' && *t != '\t')
				return rf_error_set(RF_EFORMAT, "unknown unit '%s'", text);
		return 0;
	}
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
		{{0, 0, 0, 0, 0, 0, 1, 0}, 3.6e9, 1, "MWh"},
		{{-1, 0, 0, 0, 0, 0, 1, 0}, 1, 1, "W"},
		{{-1, 0, 0, -1, 0, 0, 1, 0}, 1, 1, "W per GPU"},
		{{0, 0, 0, 0, 0, 0, 0, 1}, 1000, 1, "tCO2eq"},
		{{0, 0, 0, 0, 0, 0, -1, 1}, 1, 3.6e9, "gCO2eq/kWh"},
	};
	static const char *const base[RF_DIM_COUNT] = {"s", "USD", "FLOP", "GPU", "token",
						       "param", "J", "kgCO2eq"};
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

/* ------------------------------------------------------------ grammar */

/* Every form rf_figure_parse reads, with what it means; `referee lint
 * --kinds` prints this table and manifests/README.md repeats it (a CLI test
 * checks that every example there parses). */
static const rf_figure_form forms[] = {
	{"101K, 2,788K, 5.576M, 14.8T tokens, 671B, 1.5 million",
	 "the rounding of the last written digit: 101K = [100.5K, 101.5K)"},
	{"$202K, US$5.328M, $ 450, US$ 294,000, USD 450, 450 USD, $5.6 million, 5.6 million dollars",
	 "US dollars, with or without a space"},
	{"3e-6, 3.8e25, 1.5 × 10^24 FLOPs, 1.5x10^24, 1.5·10²⁴",
	 "powers of ten, rounded in the mantissa's last digit"},
	{"79.8%, 0.35", "a percentage; 0.35 and 35% are the same figure"},
	{"~198 h, ≈ 198 h, approximately 198 hours, about 4 days, roughly 80 hours, around $5",
	 "a hedge: the interval of its written rounding (--approx P widens it)"},
	{"nearly 3 days, almost $5M",
	 "just below the figure: the lower half of its rounding, up to the figure ([2.5, 3] days)"},
	{"just 26 minutes, only 7 H100 GPU hours, a total of 3.3M GPU hours, 147K GPU-hours in total",
	 "words that carry no figure"},
	{"under $450, less than $450, below 2 days, fewer than 1,000 examples, < 450 USD",
	 "an upper bound: [0, end of the rounding) = [0, 450.5); exclusive of the number when it is exact"},
	{"at most 8 GPUs, up to 16K H100 GPUs, no more than 5%, within 2 days, ≤ 450 USD, <= 450 USD",
	 "an upper bound: [0, end of the rounding) (16,384 is 'up to 16K')"},
	{"over 2,000 GPUs, more than 1T tokens, above 40%, > 5 h",
	 "a lower bound: [start of the rounding, ∞)"},
	{"at least 15T tokens, no less than 10 h, ≥ 5 h, >= 5 h, 15T+ tokens, ~15T+ tokens",
	 "a lower bound: [start of the rounding, ∞) (15T+ = [14.5T, ∞))"},
	{"38-43%, 38–43% MFU, $400–$450, $2.49–3.29 per GPU hour, between 30% and 40%, 30 to 40 GPU-hours, 2-3 days",
	 "a range: from the low end's rounding to the high end's ([37.5%, 43.5%))"},
	{"10 ± 0.5, 10 +/- 0.5 h, 10K ± 0.5K", "an absolute tolerance, closed"},
	{"10 h ±5%, $450 ± 5%", "a relative tolerance (the figure has a unit of its own)"},
	{"35 ± 5 %, 35% ± 5%, 35% ± 5", "a percentage ± percentage points: [30%, 40%]"},
	{"64*8, 64×8 GPUs", "a product of whole numbers: exact"},
	{"5 months, 2 years",
	 "Gregorian averages: a month is 30.436875 days, a year 365.2425 days"},
	{"3 epochs, 1,000 examples, 80 problems, 4M sequences, 32 prompts, 315 gradient steps",
	 "counts (plain numbers)"},
	{"16 H100s, 2048 A100 GPUs, 30.84M H100-hours", "accelerators by model; accelerator-hours"},
	{"400 W, 0.4 kW, 20 MW", "power"},
	{"500 Wh, 433,196 kWh, 36 MWh, 1.2 GWh", "energy"},
	{"14 tCO2eq, 24.69 tCO2e, 25 t CO2eq, 100 kgCO2eq", "emissions"},
	{"57 gCO2eq/kWh", "grid carbon intensity"},
};

const rf_figure_form *rf_figure_form_at(size_t i)
{
	return i < sizeof forms / sizeof forms[0] ? &forms[i] : NULL;
}

enum { B_NONE, B_BELOW, B_AT_MOST, B_ABOVE, B_AT_LEAST, B_NEARLY, B_BETWEEN, B_FILLER };

/* Words before a figure: bounds ("under $450", "at least 15T"), "nearly" /
 * "almost" (a hedge just below the figure), "between X and Y", and words
 * that carry no figure ("just 26 minutes", "a total of"). */
static const struct {
	const char *w;
	int kind;
} prefixes[] = {
	{"a total of", B_FILLER}, {"in total", B_FILLER}, {"just", B_FILLER}, {"only", B_FILLER},
	{"no more than", B_AT_MOST}, {"not more than", B_AT_MOST}, {"no less than", B_AT_LEAST},
	{"not less than", B_AT_LEAST}, {"no fewer than", B_AT_LEAST}, {"less than", B_BELOW},
	{"fewer than", B_BELOW}, {"under", B_BELOW}, {"below", B_BELOW}, {"at most", B_AT_MOST},
	{"up to", B_AT_MOST}, {"within", B_AT_MOST}, {"more than", B_ABOVE},
	{"greater than", B_ABOVE}, {"over", B_ABOVE}, {"above", B_ABOVE},
	{"at least", B_AT_LEAST}, {"nearly", B_NEARLY}, {"almost", B_NEARLY},
	{"between", B_BETWEEN}, {"<=", B_AT_MOST}, {"\xe2\x89\xa4", B_AT_MOST}, {"<", B_BELOW},
	{">=", B_AT_LEAST}, {"\xe2\x89\xa5", B_AT_LEAST}, {">", B_ABOVE},
};

static int prefix_word(const char **pp, const char **word)
{
	const char *p = *pp;
	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
		const char *w = prefixes[i].w;
		int n = ci_prefix(p, w);
		/* a word ends at a space ("over" is not "overall"); a symbol
		 * may touch the number ("<450") */
		if (!n || (isalpha((unsigned char)w[0]) && p[n] != ' ' && p[n] != '\t'))
			continue;
		*pp = skip_sp(p + n);
		*word = w;
		return prefixes[i].kind;
	}
	return B_NONE;
}

/* One number as written, with what it carries. */
struct val {
	struct dec d;
	int money, percent, product, pt, plus;
};

static const char *parse_currency(const char *p, int *money)
{
	if (!strncmp(p, "US$", 3)) {
		*money = 1;
		return skip_sp(p + 3);
	}
	if (*p == '$') {
		*money = 1;
		return skip_sp(p + 1);
	}
	if (!strncasecmp(p, "USD", 3) && (p[3] == ' ' || isdigit((unsigned char)p[3]))) {
		*money = 1;
		return skip_sp(p + 3);
	}
	return p;
}

/* UTF-8 superscript digit or sign at p: its value ('-' for ⁻, '+' for ⁺),
 * its length in *n; -1 when there is none. */
static int superscript(const char *p, int *n)
{
	const unsigned char *u = (const unsigned char *)p;
	if (u[0] == 0xc2 && (u[1] == 0xb2 || u[1] == 0xb3 || u[1] == 0xb9)) {
		*n = 2;
		return u[1] == 0xb2 ? 2 : u[1] == 0xb3 ? 3 : 1;
	}
	if (u[0] == 0xe2 && u[1] == 0x81 &&
	    (u[2] == 0xb0 || (u[2] >= 0xb4 && u[2] <= 0xb9) || u[2] == 0xba || u[2] == 0xbb)) {
		*n = 3;
		return u[2] == 0xb0 ? 0 : u[2] == 0xba ? '+' : u[2] == 0xbb ? '-' : u[2] - 0xb0;
	}
	return -1;
}

/* "× 10^24", "x10^24", "·10²⁴", "* 10^-3": the power of ten is added to
 * *e.  NULL when what follows is not a power of ten (then it may be a
 * product, "64 × 8"). */
static const char *parse_times_ten(const char *p, int *e)
{
	const char *q = skip_sp(p);
	long x = 0;
	int n = 0, neg = 0, digits = 0;
	if (*q == '*' || *q == 'x' || *q == 'X')
		n = 1;
	else if (!strncmp(q, "\xc3\x97", 2) || !strncmp(q, "\xc2\xb7", 2))
		n = 2;
	if (!n)
		return NULL;
	q = skip_sp(q + n);
	if (strncmp(q, "10", 2))
		return NULL;
	q += 2;
	if (*q == '^' || !strncmp(q, "**", 2)) {
		q += *q == '^' ? 1 : 2;
		if (*q == '-' || *q == '+')
			neg = *q++ == '-';
		while (isdigit((unsigned char)*q) && digits < 4) {
			x = x * 10 + (*q++ - '0');
			digits++;
		}
	} else {
		int k, v = superscript(q, &k);
		if (v == '-' || v == '+') {
			neg = v == '-';
			q += k;
		}
		while ((v = superscript(q, &k)) >= 0 && v < 10 && digits < 4) {
			x = x * 10 + v;
			digits++;
			q += k;
		}
	}
	if (!digits || isdigit((unsigned char)*q) || x > 300)
		return NULL;
	*e += neg ? -(int)x : (int)x;
	return q;
}

/* A number: currency, digits, a power of ten or a product of whole
 * numbers, a scale, '%', a trailing '+'.  NULL when there is no number. */
static const char *parse_value(const char *p, struct val *v)
{
	int neg = 0;
	memset(v, 0, sizeof *v);
	p = parse_currency(p, &v->money);
	if (*p == '-' || *p == '+') {
		neg = *p == '-';
		p++;
	}
	if (!v->money)
		p = parse_currency(p, &v->money);
	if (!(p = parse_dec(p, &v->d, &v->pt)))
		return NULL;
	for (;;) {
		const char *q = parse_times_ten(p, &v->d.e);
		int n = 0;
		struct dec f;
		if (q) {
			p = q;
			continue;
		}
		q = skip_sp(p);
		if (*q == '*')
			n = 1;
		else if (!strncmp(q, "\xc3\x97", 2))
			n = 2;
		else if (*q == 'x' && q > p && isdigit((unsigned char)skip_sp(q + 1)[0]))
			n = 1;
		if (!n)
			break;
		q = skip_sp(q + n);
		if (!(q = parse_dec(q, &f, &n)) || n || v->pt || v->d.e || f.e)
			return (const char *)-1;
		if (f.m && v->d.m > (1LL << 53) / f.m)
			return (const char *)-1;
		v->d.m *= f.m;
		v->product = 1;
		p = q;
	}
	if (neg)
		v->d.m = -v->d.m;
	p = parse_scale(p, &v->d.e);
	if (*skip_sp(p) == '%') {
		v->percent = 1;
		p = skip_sp(p) + 1;
	}
	/* "15T+ tokens": at least; "+/-" and "+-" are a tolerance */
	if (*p == '+' && p[1] != '/' && p[1] != '-') {
		v->plus = 1;
		p++;
	}
	return p;
}

/* A range's separator: "-", "–", "—", "to", or "and" after "between". */
static const char *range_sep(const char *p, int between)
{
	const char *q = skip_sp(p);
	if (between)
		return ci_prefix(q, "and ") ? skip_sp(q + 4) : NULL;
	if (*q == '-' && (isdigit((unsigned char)skip_sp(q + 1)[0]) || skip_sp(q + 1)[0] == '$'))
		return skip_sp(q + 1);
	if (!strncmp(q, "\xe2\x80\x93", 3) || !strncmp(q, "\xe2\x80\x94", 3))
		return skip_sp(q + 3);
	if (q > p && ci_prefix(q, "to ") && (isdigit((unsigned char)skip_sp(q + 3)[0]) ||
					     skip_sp(q + 3)[0] == '$'))
		return skip_sp(q + 3);
	return NULL;
}

/* The interval one value stands for: exact, or its written rounding. */
static int value_interval(rf_interval *out, const struct val *v, const rf_unit *u, int exact)
{
	if (exact || v->product) {
		*out = to_base(dec_interval(v->d.m, v->d.e), u);
		return 0;
	}
	return written_rounding(out, &v->d, u);
}

/* Labels that may follow a percentage ("38–43% MFU"). */
static int percent_label(const char *p)
{
	static const char *const labels[] = {"MFU", "HFU", "utilisation", "utilization",
					     "of peak", "model FLOPs utilization"};
	for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
		if (!strcasecmp(p, labels[i]))
			return 1;
	return 0;
}

int rf_figure_parse(rf_figure *out, const char *text, const rf_figure_opts *opts)
{
	rf_figure_opts none = {0};
	const rf_figure_opts *o = opts ? opts : &none;
	double approx = o->approx > 0 ? o->approx : 0;
	const char *p = text, *word = NULL, *q, *tol_at = NULL;
	struct val a, b;
	struct tol tol = {0};
	int approx_word = 0, bound = B_NONE, range = 0, money, percent, usd_word, rc, k;
	char ubuf[160], rest[160];
	size_t n;

	memset(out, 0, sizeof *out);
	if (!text)
		return rf_error_set(RF_EFORMAT, "expected a figure, got nothing");
	p = skip_sp(p);
	/* words before the number, in any order: "just", "a total of",
	 * "under", "about", "nearly", "between" */
	for (;;) {
		const char *w;
		int kind = prefix_word(&p, &w);
		if (kind == B_NONE && hedge(&p)) {
			approx_word = 1;
			continue;
		}
		if (kind == B_NONE)
			break;
		if (kind == B_FILLER)
			continue;
		if (bound != B_NONE)
			return rf_error_set(RF_EFORMAT, "\"%.80s\": '%s' after '%s': one bound at a time",
					    text, w, word);
		bound = kind;
		word = w;
	}
	q = parse_value(p, &a);
	if (q == (const char *)-1)
		return rf_error_set(RF_EFORMAT, "\"%.80s\": a product must be of whole numbers",
				    text);
	if (!q) {
		if (word || approx_word)
			return rf_error_set(RF_EFORMAT, "\"%.80s\": expected a number at '%.40s'",
					    text, p);
		return rf_error_set(RF_EFORMAT, "expected a figure (a number, then a unit), got \"%.80s\"",
				    text);
	}
	p = q;
	b = a;
	if ((q = range_sep(p, bound == B_BETWEEN))) {
		const char *r = parse_value(q, &b);
		if (!r || r == (const char *)-1)
			return rf_error_set(RF_EFORMAT, "\"%.80s\": expected the range's upper end at '%.40s'",
					    text, q);
		range = 1;
		p = r;
	} else if (bound == B_BETWEEN) {
		return rf_error_set(RF_EFORMAT, "\"%.80s\": 'between' needs 'and' and a second figure",
				    text);
	}
	if (range && bound != B_BETWEEN && bound != B_NONE)
		return rf_error_set(RF_EFORMAT, "\"%.80s\": a range cannot also be a bound ('%s')",
				    text, word);
	if (a.plus && (range || bound != B_NONE))
		return rf_error_set(RF_EFORMAT, "\"%.80s\": a trailing '+' is a bound of its own", text);
	if (range && b.plus)
		return rf_error_set(RF_EFORMAT, "\"%.80s\": a trailing '+' is a bound of its own", text);
	/* "38-43%", "$400–$450": what one end carries, both do */
	money = a.money || b.money;
	percent = a.percent || b.percent;
	/* "$2.49–3.29": the first end's $ covers both; "38%–43" or "400–$450"
	 * is not a way papers write a range */
	if (range && ((a.percent && !b.percent) || (b.money && !a.money)))
		return rf_error_set(RF_EFORMAT, "\"%.80s\": the range's ends have different units",
				    text);
	/* a tolerance right after the number, or after the unit */
	{
		const char *pm = parse_pm(skip_sp(p));
		if (pm) {
			if (!(p = parse_tol(pm, &tol)))
				return rf_error_set(RF_EFORMAT, "\"%.80s\": expected a tolerance after ±",
						    text);
		}
	}
	p = skip_sp(p);
	if (strlen(p) >= sizeof rest)
		return rf_error_set(RF_EFORMAT, "\"%.60s...\": unit too long", text);
	snprintf(rest, sizeof rest, "%s", p);
	/* "... in total": a word that carries no figure */
	n = strlen(rest);
	if (n >= 8 && !strcasecmp(rest + n - 8, "in total") && (n == 8 || rest[n - 9] == ' ')) {
		for (n -= 8; n && rest[n - 1] == ' '; n--)
			;
		rest[n] = '\0';
	}
	if (!tol.kind) {
		for (k = 0; rest[k]; k++)
			if (parse_pm(rest + k)) {
				tol_at = rest + k;
				break;
			}
		if (tol_at) {
			const char *e = parse_tol(parse_pm(tol_at), &tol);
			if (!e || *skip_sp(e))
				return rf_error_set(RF_EFORMAT, "\"%.80s\": could not read the tolerance '%s'",
						    text, tol_at);
			rest[tol_at - rest] = '\0';
			for (n = strlen(rest); n && rest[n - 1] == ' '; n--)
				rest[n - 1] = '\0';
		}
	}
	if (a.plus && tol.kind)
		return rf_error_set(RF_EFORMAT, "\"%.80s\": a bound takes no tolerance", text);
	if ((tol.kind || approx_word) && (range || bound != B_NONE))
		return rf_error_set(RF_EFORMAT, "\"%.80s\": a %s takes no %s", text,
				    range ? "range" : "bound", tol.kind ? "tolerance" : "hedge");
	/* "35 ± 5 %", "35% ± 5%": a percentage and its tolerance in points
	 * ([30%, 40%]); only a figure with another unit ("10 h ± 5%") takes
	 * the tolerance as relative */
	if (tol.kind == 2 && !money && !rest[0] &&
	    (percent || !o->default_unit || !*o->default_unit || !strcmp(o->default_unit, "%"))) {
		percent = 1;
		tol.kind = 1;
	}
	if (percent && rest[0] && !percent_label(rest))
		return rf_error_set(RF_EFORMAT, "\"%.80s\": could not read '%s' after '%%'", text,
				    rest);
	/* "$450 USD", "$5.6 million dollars": the currency said twice */
	usd_word = !strcasecmp(rest, "USD") || !strcasecmp(rest, "dollars");
	if (money) {
		const char *per = usd_word ? "" : rest;
		if (per[0] && per[0] != '/' && strncasecmp(per, "per ", 4))
			return rf_error_set(RF_EFORMAT,
					    "\"%.80s\": could not read '%s' after a dollar amount (only "
					    "'/unit' or 'per unit' may follow)", text, rest);
		snprintf(ubuf, sizeof ubuf, "USD%s%s", per[0] && per[0] != '/' ? " " : "", per);
	} else if (percent) {
		snprintf(ubuf, sizeof ubuf, "%%");
	} else if (!rest[0] && o->default_unit) {
		snprintf(ubuf, sizeof ubuf, "%s", o->default_unit);
	} else {
		snprintf(ubuf, sizeof ubuf, "%s", rest);
	}
	if ((rc = rf_unit_parse(&out->unit, ubuf))) {
		char why[256];
		snprintf(why, sizeof why, "%s", rf_error_last());
		return rf_error_set(rc, "\"%.80s\": %s", text, why);
	}
	if (money && rest[0] && !usd_word)
		snprintf(out->unit.name, sizeof out->unit.name, "%s", ubuf);

	if (range) {
		rf_interval lo, hi;
		int exact = o->exact || (a.product && b.product);
		out->stated = to_base(dec_interval(a.d.m, a.d.e), &out->unit);
		hi = to_base(dec_interval(b.d.m, b.d.e), &out->unit);
		if (hi.hi < out->stated.lo)
			return rf_error_set(RF_EFORMAT, "\"%.80s\": a range is written low end first",
					    text);
		out->stated.hi = hi.hi;
		if ((rc = value_interval(&lo, &a, &out->unit, exact)) ||
		    (rc = value_interval(&hi, &b, &out->unit, exact)))
			return rc;
		out->v.lo = lo.lo;
		out->v.lo_open = lo.lo_open;
		out->v.hi = hi.hi;
		out->v.hi_open = hi.hi_open;
		out->flags = RF_FIGURE_RANGE;
	} else {
		out->stated = to_base(dec_interval(a.d.m, a.d.e), &out->unit);
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
		} else if (approx_word && bound == B_NONE && !a.plus) {
			if ((rc = hedged(out, &a.d, approx)))
				return rc;
		} else if (a.product || o->exact) {
			out->v = out->stated;
			out->flags = RF_FIGURE_EXACT;
		} else if ((rc = written_rounding(&out->v, &a.d, &out->unit))) {
			return rc;
		} else {
			out->flags = RF_FIGURE_ROUNDED;
		}
	}
	if (a.plus || (bound != B_NONE && bound != B_BETWEEN)) {
		/* A bound reaches the far end of its number's written rounding
		 * ("up to 16K GPUs" holds for 16,384: "16K" is [15.5K, 16.5K));
		 * "under" and "over" exclude the number itself only when it is
		 * exact.  The other side is 0 for a positive figure (money, time
		 * and counts are never below 0), else unbounded.  "15T+" is at
		 * least the low end of its rounding; "nearly 3 days" the lower
		 * half of it, up to the figure itself. */
		rf_interval s = out->stated, w = out->v;
		int pos = s.lo > 0, point = w.lo == w.hi;
		switch (a.plus ? B_AT_LEAST : bound) {
		case B_BELOW:
		case B_AT_MOST:
			out->v.lo = pos ? 0 : -INFINITY;
			out->v.lo_open = 0;
			out->v.hi = w.hi;
			out->v.hi_open = point ? bound == B_BELOW : w.hi_open;
			break;
		case B_ABOVE:
		case B_AT_LEAST:
			out->v.lo = w.lo;
			out->v.lo_open = point ? !a.plus && bound == B_ABOVE : w.lo_open;
			out->v.hi = INFINITY;
			out->v.hi_open = 0;
			break;
		case B_NEARLY:
			out->v.lo = w.lo;
			out->v.lo_open = w.lo_open;
			out->v.hi = s.hi;
			out->v.hi_open = 0;
			break;
		}
		out->flags = bound == B_NEARLY ? RF_FIGURE_APPROX : RF_FIGURE_BOUND;
	}
	if (o->precision) {
		if (out->flags & (RF_FIGURE_BOUND | RF_FIGURE_RANGE))
			return rf_error_set(RF_EFORMAT, "\"%.80s\": a %s has no precision to replace",
					    text, range ? "range" : "bound");
		return apply_precision(out, &a.d, a.product, o->precision, o, approx);
	}
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

/* `x` with `digits` significant digits and the scale suffix that suits
 * `ref` (both ends of an interval share the larger end's suffix). */
static void fmt_num_as(char *buf, size_t size, double x, int digits, double ref)
{
	double ax = fabs(ref);
	static const struct {
		double at;
		const char *suffix;
	} scale[] = {{1e12, "T"}, {1e9, "B"}, {1e6, "M"}, {1e3, "K"}};
	if (isinf(x) || x == 0) {
		snprintf(buf, size, "%s", x == 0 ? "0" : x < 0 ? "-inf" : "inf");
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

static void fmt_num(char *buf, size_t size, double x, int digits)
{
	fmt_num_as(buf, size, x, digits, x);
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
	/* a bound ([14.5T, ∞)) is never one number */
	return isfinite(m) && v.hi - v.lo <= m * 1e-12;
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
	double ref = fmax(fabs(v.lo * k), isinf(v.hi) ? 0 : fabs(v.hi * k));
	fmt_num_as(a, sizeof a, v.lo * k, n, ref);
	fmt_num_as(b, sizeof b, v.hi * k, n, isinf(v.hi) ? v.hi : ref);
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
