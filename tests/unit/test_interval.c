/* Unit tests for lib/claims figures and intervals: the syntax papers use,
 * rounding edges at both ends, hedge words, tolerances, units, and outward-
 * rounded arithmetic. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "referee/referee.h"

static rf_figure fig(const char *text)
{
	rf_figure f;
	if (rf_figure_parse(&f, text, NULL))
		fail_msg("'%s' did not parse: %s", text, rf_error_last());
	return f;
}

/* A parsed figure in a small ring of static slots, for taking addresses. */
static const rf_figure *F(const char *text)
{
	static rf_figure slots[8];
	static int next;
	rf_figure *f = &slots[next++ % 8];
	*f = fig(text);
	return f;
}

static rf_figure fig_opts(const char *text, double approx, int exact, const char *prec)
{
	rf_figure f;
	rf_figure_opts o = {0};
	o.approx = approx;
	o.exact = exact;
	o.precision = prec;
	if (rf_figure_parse(&f, text, &o))
		fail_msg("'%s' did not parse: %s", text, rf_error_last());
	return f;
}

static void expect_interval(rf_interval v, double lo, double hi, int lo_open, int hi_open)
{
	if (v.lo != lo || v.hi != hi || v.lo_open != lo_open || v.hi_open != hi_open)
		fail_msg("got %c%.17g, %.17g%c, expected %c%.17g, %.17g%c", v.lo_open ? '(' : '[',
			 v.lo, v.hi, v.hi_open ? ')' : ']', lo_open ? '(' : '[', lo, hi,
			 hi_open ? ')' : ']');
}

/* Outward-rounded bounds of decimals without an exact binary form: each end
 * within 1e-9 relative of the exact value, and not inside it. */
static void expect_near(rf_interval v, double lo, double hi, int lo_open, int hi_open)
{
	if (!(v.lo <= lo && v.lo >= lo - fabs(lo) * 1e-9 && v.hi >= hi &&
	      v.hi <= hi + fabs(hi) * 1e-9) || v.lo_open != lo_open || v.hi_open != hi_open)
		fail_msg("got %c%.17g, %.17g%c, expected about %c%.17g, %.17g%c",
			 v.lo_open ? '(' : '[', v.lo, v.hi, v.hi_open ? ')' : ']',
			 lo_open ? '(' : '[', lo, hi, hi_open ? ')' : ']');
}

static void test_rounding_from_digits(void **state)
{
	(void)state;
	expect_interval(fig("101K").v, 100500, 101500, 0, 1);
	expect_interval(fig("101K GPU-hours").v, 100500 * 3600.0, 101500 * 3600.0, 0, 1);
	expect_interval(fig("$202K").v, 201500, 202500, 0, 1);
	expect_interval(fig("2,788K").v, 2787500, 2788500, 0, 1);
	expect_interval(fig("5.576M").v, 5575500, 5576500, 0, 1);
	expect_interval(fig("$0.238M").v, 237500, 238500, 0, 1);
	expect_interval(fig("198").v, 197.5, 198.5, 0, 1);
	expect_interval(fig("14.8T tokens").v, 14.75e12, 14.85e12, 0, 1);
	expect_interval(fig("671B params").v, 670.5e9, 671.5e9, 0, 1);
	expect_interval(fig("1.5 million").v, 1450000, 1550000, 0, 1);
	expect_interval(fig("-3").v, -3.5, -2.5, 0, 1);
	/* 3e-6 and 79.8% have no exact binary form: the bounds are widened
	 * outward by at most an ulp and closed */
	{
		rf_figure f = fig("3e-6");
		assert_true(f.v.lo <= 2.5e-6 && f.v.lo > 2.4999999e-6);
		assert_true(f.v.hi >= 3.5e-6 && f.v.hi < 3.5000001e-6);
		assert_true(rf_interval_contains(f.v, 3e-6));
		f = fig("79.8%");
		assert_true(f.v.lo <= 0.7975 && f.v.hi >= 0.7985);
		assert_true(f.v.hi - f.v.lo < 0.0010001);
		assert_string_equal(f.unit.name, "%");
	}
}

static void test_rounding_edges(void **state)
{
	(void)state;
	rf_interval k101 = fig("101K").v;
	/* the lower end belongs to "101K", the upper end does not */
	assert_true(rf_interval_contains(k101, 100500));
	assert_false(rf_interval_contains(k101, 100499.999));
	assert_true(rf_interval_contains(k101, 101499.999));
	assert_false(rf_interval_contains(k101, 101500));
	/* exactly computed derivations at both edges: 500 × 201 h and
	 * 500 × 203 h GPU-hours */
	{
		rf_figure g = fig_opts("500 GPUs", 0, 1, NULL), h, d, claimed = fig("101K GPU-hours");
		h = fig_opts("201 h", 0, 1, NULL);
		rf_figure_mul(&d, &g, &h);
		expect_interval(d.v, 100500 * 3600.0, 100500 * 3600.0, 0, 0);
		assert_true(rf_interval_overlaps(claimed.v, d.v));
		h = fig_opts("203 h", 0, 1, NULL);
		rf_figure_mul(&d, &g, &h);
		assert_false(rf_interval_overlaps(claimed.v, d.v));
	}
	/* edges of two intervals touching */
	{
		rf_interval a = {1, 2, 0, 1}, b = {2, 3, 0, 0}, c = {1, 2, 0, 0}, e = {0, 1, 0, 0},
			    f = {1, 2, 1, 0};
		assert_false(rf_interval_overlaps(a, b));
		assert_true(rf_interval_overlaps(c, b));
		assert_false(rf_interval_overlaps(f, e));
		assert_true(rf_interval_overlaps(c, e));
	}
	/* sums of rounded figures keep the open upper end */
	{
		rf_interval s = rf_interval_add(rf_interval_add(fig("101K").v, fig("5K").v),
						fig("41K").v);
		expect_interval(s, 145500, 148500, 0, 1);
		assert_false(rf_interval_contains(s, 148500));
		assert_true(rf_interval_contains(s, 148499.5));
		assert_true(rf_interval_contains(s, 145500));
		assert_false(rf_interval_contains(s, 145499.5));
		/* "149K" [148.5K, 149.5K) misses the sum; "148K" meets it */
		assert_false(rf_interval_overlaps(s, fig("149K").v));
		assert_true(rf_interval_overlaps(s, fig("148K").v));
	}
}

static void test_hedges(void **state)
{
	(void)state;
	rf_figure a = fig("~198 h"), b = fig("approximately 198 hours"), c, d;
	/* DESIGN.md, "Figures carry their precision": a hedged figure is the
	 * interval of its written rounding, half a unit of the last digit */
	assert_true(a.flags & RF_FIGURE_APPROX);
	expect_interval(a.v, 197.5 * 3600, 198.5 * 3600, 0, 1);
	expect_interval(b.v, 197.5 * 3600, 198.5 * 3600, 0, 1);
	c = fig("about 4 days");
	d = fig("roughly 80 hours");
	expect_interval(c.v, 3.5 * 86400, 4.5 * 86400, 0, 1);
	expect_interval(d.v, 79.5 * 3600, 80.5 * 3600, 0, 1);
	/* the R1 pair: [84, 108) h against [79.5, 80.5) h */
	assert_false(rf_interval_overlaps(c.v, d.v));
	expect_near(fig("about 4.0 days").v, 341280, 349920, 0, 0); /* widened: closed */
	expect_near(fig("~$5.3M").v, 5.25e6, 5.35e6, 0, 1);
	expect_interval(fig("approximately 101K GPU-hours").v, 100500 * 3600.0,
			101500 * 3600.0, 0, 1);
	/* an explicit tolerance beats the hedge */
	expect_interval(fig("~10 \xc2\xb1 2 h").v, 8 * 3600, 12 * 3600, 0, 0);
	/* ≈ and "around" are hedges too */
	assert_true(fig("\xe2\x89\x88 10 h").flags & RF_FIGURE_APPROX);
	assert_true(fig("around $5").flags & RF_FIGURE_APPROX);
	expect_interval(fig("around $5").v, 4.5, 5.5, 0, 1);
}

/* --approx / settings.approx widen hedges to a relative tolerance, never
 * narrower than the written rounding. */
static void test_hedges_widened(void **state)
{
	(void)state;
	rf_figure c, d;
	/* "roughly 80 hours" ±9% is [72.8, 87.2] h, "about 4 days" stays
	 * [84, 108) h (its rounding is ±12.5%): they meet from 5% on */
	c = fig_opts("about 4 days", 0.04, 0, NULL);
	d = fig_opts("roughly 80 hours", 0.04, 0, NULL);
	assert_false(rf_interval_overlaps(c.v, d.v));
	c = fig_opts("about 4 days", 0.09, 0, NULL);
	d = fig_opts("roughly 80 hours", 0.09, 0, NULL);
	expect_interval(c.v, 3.5 * 86400, 4.5 * 86400, 0, 1);
	assert_true(d.v.lo <= 72.8 * 3600 && d.v.lo > 72.79999 * 3600);
	assert_true(d.v.hi >= 87.2 * 3600 && d.v.hi < 87.20001 * 3600);
	assert_int_equal(d.v.lo_open, 0);
	assert_int_equal(d.v.hi_open, 0);
	assert_true(rf_interval_overlaps(c.v, d.v));
	/* a relative tolerance narrower than the rounding keeps the rounding */
	expect_interval(fig_opts("~198 h", 0.001, 0, NULL).v, 197.5 * 3600, 198.5 * 3600, 0, 1);
	/* the widening applies to hedged figures only */
	expect_interval(fig_opts("198 h", 0.5, 0, NULL).v, 197.5 * 3600, 198.5 * 3600, 0, 1);
}

static void test_r1_arithmetic(void **state)
{
	(void)state;
	/* 512 × ~198 h is 101,376 GPU-h at the point: only the interval
	 * confirms "101K"; × $2 it is $202,752, outside "$202K" = [201.5K,
	 * 202.5K) as a point, inside as an interval */
	rf_figure gpus = fig("64*8 GPUs"), hours = fig("~198 h"), rate, gh, cost;
	rf_figure_opts exact = {.exact = 1};
	assert_int_equal(rf_figure_parse(&rate, "$2 per GPU hour", &exact), 0);
	expect_interval(gpus.v, 512, 512, 0, 0);
	rf_figure_mul(&gh, &gpus, &hours);
	rf_figure_mul(&cost, &gh, &rate);
	assert_true(rf_unit_same_dim(&gh.unit, &F("1 GPU-hour")->unit));
	assert_true(rf_unit_same_dim(&cost.unit, &F("$1")->unit));
	/* DESIGN.md: 512 GPUs × ~198 h = [101,120; 101,632) GPU-h */
	expect_interval(gh.v, 101120 * 3600.0, 101632 * 3600.0, 0, 1);
	expect_near(cost.v, 202240, 203264, 0, 0); /* $2/3600 per GPU-s is inexact */
	assert_true(rf_interval_overlaps(gh.v, fig("101K GPU-hours").v));
	assert_true(rf_interval_overlaps(cost.v, fig("$202K").v));
	/* a cost changed by 4% is no longer covered by "~198 h" */
	assert_false(rf_interval_overlaps(cost.v, fig("$211K").v));
	assert_false(rf_interval_overlaps(cost.v, fig("$194K").v));
	assert_false(rf_interval_contains(fig("$202K").v, 512 * 198 * 2.0));
	assert_true(rf_interval_contains(cost.stated, 202752));
	assert_true(cost.stated.hi - cost.stated.lo < 1e-6);
	/* 41K / 512 GPUs in hours */
	{
		rf_figure h, days = fig("about 4 days");
		rf_figure_div(&h, F("41K GPU-hours"), &gpus);
		assert_true(rf_unit_same_dim(&h.unit, &hours.unit));
		assert_true(rf_interval_overlaps(h.v, fig("roughly 80 hours").v));
		assert_false(rf_interval_overlaps(h.v, days.v));
	}
}

static void test_tolerances_and_precision(void **state)
{
	(void)state;
	expect_interval(fig("10 \xc2\xb1 0.5").v, 9.5, 10.5, 0, 0);
	expect_interval(fig("10 +/- 0.5 h").v, 9.5 * 3600, 10.5 * 3600, 0, 0);
	expect_interval(fig("10K \xc2\xb1 0.5K").v, 9500, 10500, 0, 0);
	{
		/* a tolerance with a unit of its own stays relative: 10 h ± 5% */
		rf_figure f = fig("10 \xc2\xb1" "5% h");
		assert_true(f.v.lo <= 9.5 * 3600 && f.v.lo > 9.4999999 * 3600 &&
			    f.v.hi >= 10.5 * 3600 && f.v.hi < 10.500001 * 3600);
		assert_true(f.flags & RF_FIGURE_TOL);
	}
	expect_interval(fig_opts("512", 0, 0, "exact").v, 512, 512, 0, 0);
	expect_interval(fig_opts("512", 0, 1, "rounded").v, 511.5, 512.5, 0, 1);
	expect_interval(fig_opts("0.5", 0, 0, "\xc2\xb1" "0.25").v, 0.25, 0.75, 0, 0);
	{
		rf_figure f = fig_opts("79.8%", 0, 0, "\xc2\xb1" "0.1pp");
		assert_true(f.v.lo <= 0.797 && f.v.lo > 0.79699 && f.v.hi >= 0.799 && f.v.hi < 0.79901);
		f = fig_opts("200", 0, 0, "10%");
		assert_true(f.v.lo <= 180 && f.v.lo > 179.99 && f.v.hi >= 220 && f.v.hi < 220.01);
		/* "approximate" as a precision means what a hedge word does */
		f = fig_opts("200", 0, 0, "approximate");
		expect_interval(f.v, 199.5, 200.5, 0, 1);
		assert_true(f.flags & RF_FIGURE_APPROX);
		f = fig_opts("200", 0.1, 0, "approximate");
		assert_true(f.v.lo <= 180 && f.v.hi >= 220);
	}
	{
		rf_figure f;
		rf_figure_opts o = {.precision = "roughly"};
		assert_int_equal(rf_figure_parse(&f, "1", &o), RF_EFORMAT);
		assert_non_null(strstr(rf_error_last(), "precision 'roughly'"));
	}
	/* a product is exact: a count of GPUs */
	expect_interval(fig("64\xc3\x97" "8").v, 512, 512, 0, 0);
	expect_interval(fig("64 x 8 GPUs").v, 512, 512, 0, 0);
}


/* Issue 10: figures as papers write them.  Each row: the text, the
 * interval in base units (s, USD, FLOP, GPUs, tokens, J, kg CO2eq; % as a
 * ratio), within 1e-9 relative where the decimal is inexact. */
static const struct form {
	const char *text;
	double lo, hi;
	int lo_open, hi_open;
} forms[] = {
	/* bounds: open at one side, never below 0, reaching the far end of
	 * the number's written rounding ("up to 16K" holds for 16,384) */
	{"under $450", 0, 450.5, 0, 1},
	{"less than $450", 0, 450.5, 0, 1},
	{"below 2 days", 0, 2.5 * 86400, 0, 1},
	{"fewer than 1,000 examples", 0, 1000.5, 0, 1},
	{"< 450 USD", 0, 450.5, 0, 1},
	{"<450 USD", 0, 450.5, 0, 1},
	{"at most 8 GPUs", 0, 8.5, 0, 1},
	{"up to 16K H100 GPUs", 0, 16500, 0, 1},
	{"no more than 5%", 0, 0.055, 0, 1},
	{"within 2 days", 0, 2.5 * 86400, 0, 1},
	{"\xe2\x89\xa4 450 USD", 0, 450.5, 0, 1},
	{"<= 450 USD", 0, 450.5, 0, 1},
	{"over 2,000 GPUs", 1999.5, INFINITY, 0, 0},
	{"more than 1T tokens", 0.5e12, INFINITY, 0, 0},
	{"above 40%", 0.395, INFINITY, 0, 0},
	{"> 5 h", 4.5 * 3600, INFINITY, 0, 0},
	{"at least 15T tokens", 14.5e12, INFINITY, 0, 0},
	{"no less than 10 h", 9.5 * 3600, INFINITY, 0, 0},
	{"\xe2\x89\xa5 5 h", 4.5 * 3600, INFINITY, 0, 0},
	{">= 5 h", 4.5 * 3600, INFINITY, 0, 0},
	{"15T+ tokens", 14.5e12, INFINITY, 0, 0},
	{"~15T+ tokens", 14.5e12, INFINITY, 0, 0},
	/* ranges: from the low end's rounding to the high end's */
	{"38-43%", 0.375, 0.435, 0, 1},
	{"38\xe2\x80\x93" "43%", 0.375, 0.435, 0, 1},
	{"38 \xe2\x80\x93 43% MFU", 0.375, 0.435, 0, 1},
	{"$400\xe2\x80\x93$450", 399.5, 450.5, 0, 1},
	{"$2.49\xe2\x80\x93$3.29 per GPU hour", 2.485 / 3600, 3.295 / 3600, 0, 1},
	{"$2.49\xe2\x80\x93" "3.29 per GPU hour", 2.485 / 3600, 3.295 / 3600, 0, 1},
	{"$400-450", 399.5, 450.5, 0, 1},
	{"between 30% and 40%", 0.295, 0.405, 0, 1},
	{"30 to 40 GPU-hours", 29.5 * 3600, 40.5 * 3600, 0, 1},
	{"2-3 days", 1.5 * 86400, 3.5 * 86400, 0, 1},
	/* words that carry no figure; "nearly" is the lower half of the
	 * written rounding, up to the figure */
	{"just 26 minutes", 25.5 * 60, 26.5 * 60, 0, 1},
	{"only 7 H100 GPU hours", 6.5 * 3600, 7.5 * 3600, 0, 1},
	{"a total of 3.3M GPU hours", 3.25e6 * 3600, 3.35e6 * 3600, 0, 1},
	{"147K GPU-hours in total", 146.5e3 * 3600, 147.5e3 * 3600, 0, 1},
	{"nearly 3 days", 2.5 * 86400, 3 * 86400, 0, 0},
	{"almost $5M", 4.5e6, 5e6, 0, 0},
	/* spacing and currency */
	{"$ 450", 449.5, 450.5, 0, 1},
	{"US$ 294,000", 293999.5, 294000.5, 0, 1},
	{"USD 450", 449.5, 450.5, 0, 1},
	{"450 USD", 449.5, 450.5, 0, 1},
	{"$5.6 million", 5.55e6, 5.65e6, 0, 1},
	{"5.6 million dollars", 5.55e6, 5.65e6, 0, 1},
	/* scientific */
	{"1.5 \xc3\x97 10^24 FLOPs", 1.45e24, 1.55e24, 0, 1},
	{"1.5x10^24", 1.45e24, 1.55e24, 0, 1},
	{"1.5\xc2\xb7" "10\xc2\xb2\xe2\x81\xb4", 1.45e24, 1.55e24, 0, 1},
	{"3.8 \xc3\x97 10\xc2\xb2\xe2\x81\xb5 FLOPs", 3.75e25, 3.85e25, 0, 1},
	{"3.8e25", 3.75e25, 3.85e25, 0, 1},
	{"2 \xc3\x97 10^-3", 1.5e-3, 2.5e-3, 0, 1},
	/* units: months and years are Gregorian averages */
	{"5 months", 4.5 * 2629746, 5.5 * 2629746, 0, 1},
	{"1 year", 0.5 * 31556952, 1.5 * 31556952, 0, 1},
	{"3 epochs", 2.5, 3.5, 0, 1},
	{"1,000 examples", 999.5, 1000.5, 0, 1},
	{"80 problems", 79.5, 80.5, 0, 1},
	{"4M sequences", 3.5e6, 4.5e6, 0, 1},
	{"32 prompts", 31.5, 32.5, 0, 1},
	{"16 H100s", 15.5, 16.5, 0, 1},
	{"2048 A100s", 2047.5, 2048.5, 0, 1},
	{"30.84M H100-hours", 30.835e6 * 3600, 30.845e6 * 3600, 0, 1},
	{"400 W", 399.5, 400.5, 0, 1},
	{"0.4 kW", 350, 450, 0, 0}, /* 0.35 × 1000: inexact, closed */
	{"20 MW", 19.5e6, 20.5e6, 0, 1},
	{"500 Wh", 499.5 * 3600, 500.5 * 3600, 0, 1},
	{"433,196 kWh", 433195.5 * 3.6e6, 433196.5 * 3.6e6, 0, 1},
	{"36 MWh", 35.5 * 3.6e9, 36.5 * 3.6e9, 0, 1},
	{"1.2 GWh", 1.15 * 3.6e12, 1.25 * 3.6e12, 0, 1},
	{"14 tCO2eq", 13500, 14500, 0, 1},
	{"24.69 tCO2e", 24685, 24695, 0, 0}, /* × 1000 of an inexact decimal */
	{"100 kgCO2eq", 99.5, 100.5, 0, 1},
	{"25 t CO2eq", 24500, 25500, 0, 1},
	{"57 gCO2eq/kWh", 56.5e-3 / 3.6e6, 57.5e-3 / 3.6e6, 0, 1},
};

/* A decimal the test can write exactly (a multiple of 1/1024, or ∞). */
static int dyadic(double x)
{
	return isinf(x) || (fabs(x) < 0x1p40 && x * 1024 == floor(x * 1024));
}

static void test_paper_forms(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		const struct form *f = &forms[i];
		rf_figure g;
		rf_interval v;
		int ok;
		if (rf_figure_parse(&g, f->text, NULL))
			fail_msg("'%s' did not parse: %s", f->text, rf_error_last());
		v = g.v;
		/* an inexact end (0.435) is widened by an ulp and closed */
		ok = (v.lo_open == f->lo_open || (!dyadic(f->lo) && !v.lo_open)) &&
		     (v.hi_open == f->hi_open || (!dyadic(f->hi) && !v.hi_open)) &&
		     (v.lo == f->lo || (v.lo <= f->lo && v.lo >= f->lo - fabs(f->lo) * 1e-9) ||
		      fabs(v.lo - f->lo) <= fabs(f->lo) * 1e-12) &&
		     (v.hi == f->hi || (v.hi >= f->hi && v.hi <= f->hi + fabs(f->hi) * 1e-9) ||
		      fabs(v.hi - f->hi) <= fabs(f->hi) * 1e-12);
		if (!ok)
			fail_msg("'%s': got %c%.17g, %.17g%c, expected %c%.17g, %.17g%c", f->text,
				 v.lo_open ? '(' : '[', v.lo, v.hi, v.hi_open ? ')' : ']',
				 f->lo_open ? '(' : '[', f->lo, f->hi, f->hi_open ? ')' : ']');
	}
	/* the dimensions the new units carry */
	assert_true(rf_unit_same_dim(&F("16 H100s")->unit, &F("1 GPU")->unit));
	assert_true(rf_unit_same_dim(&F("30.84M H100-hours")->unit, &F("1 GPU-hour")->unit));
	assert_true(rf_unit_same_dim(&F("3 epochs")->unit, &F("3")->unit));
	assert_true(rf_unit_same_dim(&F("5 months")->unit, &F("1 h")->unit));
	assert_true(rf_unit_same_dim(&F("0.4 kW")->unit, &F("1 W")->unit));
	assert_false(rf_unit_same_dim(&F("0.4 kW")->unit, &F("1 kWh")->unit));
	assert_true(rf_unit_same_dim(&F("1 t CO2eq")->unit, &F("1 kgCO2eq")->unit));
	assert_true(rf_figure_parse(&(rf_figure){0}, "5.6 million dollars", NULL) == 0);
	assert_true(fig("under $450").flags & RF_FIGURE_BOUND);
	assert_true(fig("38-43%").flags & RF_FIGURE_RANGE);
	/* DESIGN.md's overlap rule on bounds: "under $450" meets a derived
	 * [$438, $462] and cannot hold with [$517, $544] */
	assert_true(rf_interval_overlaps(fig("under $450").v, (rf_interval){438, 462, 0, 0}));
	assert_false(rf_interval_overlaps(fig("under $450").v, (rf_interval){517, 544, 0, 0}));
	assert_false(rf_interval_overlaps(fig("under $450").v, rf_interval_point(450.5)));
	assert_true(rf_interval_overlaps(fig("up to 16K GPUs").v, rf_interval_point(16384)));
	assert_false(rf_interval_overlaps(fig("up to 16K GPUs").v, rf_interval_point(16500)));
	/* an exact bound (a setting, or a product) excludes its number */
	{
		rf_figure x;
		rf_figure_opts ex = {.exact = 1};
		assert_int_equal(rf_figure_parse(&x, "under $450", &ex), 0);
		assert_false(rf_interval_overlaps(x.v, rf_interval_point(450)));
		assert_int_equal(rf_figure_parse(&x, "at most $450", &ex), 0);
		assert_true(rf_interval_overlaps(x.v, rf_interval_point(450)));
		assert_int_equal(rf_figure_parse(&x, "over 64*8 GPUs", NULL), 0);
		assert_false(rf_interval_overlaps(x.v, rf_interval_point(512)));
	}
	/* a bound multiplies like any interval: [0, 8] GPUs × [0, ∞) h */
	{
		rf_figure x;
		rf_figure_mul(&x, F("at most 8 GPUs"), F("at least 2 h"));
		assert_true(x.v.lo == 0 && isinf(x.v.hi));
	}
}

/* Random strings made of the grammar's pieces: every parse either fails
 * with RF_EFORMAT or gives an interval that is not empty and not NaN. */
static void test_grammar_fuzz(void **state)
{
	(void)state;
	static const char *const pieces[] = {
		"1", "38", "2,788", ".5", "0", "K", "M", "T", "%", "$", "US$", "USD ", " ", "-", "+",
		"\xe2\x80\x93", "\xc3\x97", "x", "10^", "\xc2\xb2", "\xe2\x81\xbb", "e", "\xc2\xb1",
		"+/-", "under ", "at least ", "between ", " and ", " to ", "~", "about ", "nearly ",
		"just ", " in total", "h", " GPU-hours", " W", " kWh", " tCO2eq", "/kWh", " per GPU hour",
		" months", " H100s", " MFU", "<", "\xe2\x89\xa5", "*", "\xc2\xb7", "(", "\xe2"};
	unsigned long long x = 0x9e3779b97f4a7c15ULL;
	for (int round = 0; round < 30000; round++) {
		char buf[128] = "";
		size_t len = 0;
		int parts = 1 + (int)(round % 7);
		rf_figure f;
		int rc;
		for (int i = 0; i < parts; i++) {
			const char *pc;
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			pc = pieces[x % (sizeof pieces / sizeof pieces[0])];
			if (len + strlen(pc) + 1 >= sizeof buf)
				break;
			memcpy(buf + len, pc, strlen(pc) + 1);
			len += strlen(pc);
		}
		rc = rf_figure_parse(&f, buf, NULL);
		if (rc && rc != RF_EFORMAT)
			fail_msg("'%s': rc %d", buf, rc);
		if (!rc && (isnan(f.v.lo) || isnan(f.v.hi) || f.v.lo > f.v.hi))
			fail_msg("'%s': [%g, %g]", buf, f.v.lo, f.v.hi);
	}
}

/* Every example of the figure table that lint --kinds prints parses. */
static void test_form_table(void **state)
{
	(void)state;
	size_t n = 0;
	for (size_t i = 0; rf_figure_form_at(i); i++) {
		char buf[512];
		snprintf(buf, sizeof buf, "%s", rf_figure_form_at(i)->written);
		assert_non_null(rf_figure_form_at(i)->means);
		/* examples are separated by ", " (a thousands separator has no
		 * space after it) */
		for (char *t = buf, *e; t; t = e) {
			rf_figure f;
			if ((e = strstr(t, ", ")))
				*e = '\0', e += 2;
			if (rf_figure_parse(&f, t, NULL))
				fail_msg("table example '%s' did not parse: %s", t, rf_error_last());
			n++;
		}
	}
	assert_true(n > 80);
	assert_null(rf_figure_form_at(1000));
}

/* Near misses: each must fail, and say which part it could not read. */
static void test_paper_forms_rejected(void **state)
{
	(void)state;
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{"under", "expected a figure"},
		{"under $", "expected a number at '$'"},
		{"under about", "expected a number"},
		{"between 30% and", "'between' needs 'and' and a second figure"},
		{"between 30%", "'between' needs 'and'"},
		{"38-", "unknown unit '-'"},
		{"43-38%", "a range is written low end first"},
		{"38%-43 h", "the range's ends have different units"},
		{"400-$450", "the range's ends have different units"},
		{"under 38-43%", "a range cannot also be a bound ('under')"},
		{"at least under 5", "'under' after 'at least': one bound at a time"},
		{"15T+ tokens \xc2\xb1 1T", "a bound takes no tolerance"},
		{"38-43% \xc2\xb1 1", "a range takes no tolerance"},
		{"38\xe2\x80\x93" "43% xyz", "could not read 'xyz' after '%'"},
		{"$5 GPUs", "could not read 'GPUs' after a dollar amount"},
		{"$400\xe2\x80\x93$450 GPUs", "could not read 'GPUs' after a dollar amount"},
		{"1.5 \xc3\x97 10^ FLOPs", "product"},
		{"1.5x10", "unknown unit 'x10'"},
		{"1.5 x 10", "a product must be of whole numbers"},
		{"5 monthz", "unknown unit 'monthz'"},
		{"16 H100z", "unknown unit 'H100z'"},
		{"400 Wats", "unknown unit 'Wats'"},
		{"overall 5", "expected a figure"},
		{"14 tCO2eqs", "unknown unit"},
		{"10 h \xc2\xb1 x", "could not read the tolerance"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		rf_figure f;
		if (rf_figure_parse(&f, bad[i].text, NULL) != RF_EFORMAT)
			fail_msg("'%s' parsed", bad[i].text);
		if (!strstr(rf_error_last(), bad[i].msg))
			fail_msg("'%s': message '%s' lacks '%s'", bad[i].text, rf_error_last(),
				 bad[i].msg);
	}
}

/* Issue 10: "35 ± 5 %" was read as 35 ± 5% relative ([33.25, 36.75], a
 * plain number) and then called INCONSISTENT with a utilisation of 0.35.
 * A % after a ± whose figure has no other unit is percentage points. */
static void test_percent_tolerance_is_points(void **state)
{
	(void)state;
	static const char *const same[] = {"35 \xc2\xb1 5 %", "35% \xc2\xb1 5%", "35 +/- 5%",
					   "35% +/- 5"};
	for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
		rf_figure f = fig(same[i]);
		/* [30%, 40%]: 0.30 and 0.40 are inexact, widened by an ulp */
		expect_near(f.v, 0.30, 0.40, 0, 0);
		assert_string_equal(f.unit.name, "%");
		assert_true(rf_interval_contains(f.v, 0.35));
		assert_false(rf_interval_contains(f.v, 0.41));
		assert_false(rf_interval_contains(f.v, 0.29));
	}
	/* percent and plain ratios are one dimension: 0.35 is 35% */
	assert_true(rf_unit_same_dim(&F("0.35")->unit, &F("35%")->unit));
	assert_true(rf_interval_overlaps(fig("35 \xc2\xb1 5 %").v, rf_interval_point(0.35)));
	assert_true(rf_interval_overlaps(fig("0.35").v, fig("35%").v));
	/* near miss: the relative reading would not reach 38% */
	assert_true(rf_interval_contains(fig("35 \xc2\xb1 5 %").v, 0.38));
	/* a unit of its own keeps the tolerance relative: 10 h ± 5%, written
	 * after the unit or before it */
	expect_near(fig("10 h \xc2\xb1 5%").v, 9.5 * 3600, 10.5 * 3600, 0, 0);
	expect_near(fig("10 \xc2\xb1 5% h").v, 9.5 * 3600, 10.5 * 3600, 0, 0);
	expect_near(fig("$450 \xc2\xb1 5%").v, 427.5, 472.5, 0, 0);
	/* and so does a precision of X% without ±; ±X% on a % is points */
	{
		rf_figure f = fig_opts("35%", 0, 0, "\xc2\xb1" "5%");
		expect_near(f.v, 0.30, 0.40, 0, 0);
		f = fig_opts("35%", 0, 0, "10%");
		expect_near(f.v, 0.315, 0.385, 0, 0);
	}
}

/* Issue 10: intervals print with enough digits that a narrow one never
 * looks empty and two different ones never print alike. */
static void test_display_digits(void **state)
{
	(void)state;
	rf_buf b = RF_BUF_INIT;
	rf_interval narrow = {5268.836, 5268.844, 0, 1}, tight = {1.0000001, 1.0000002, 0, 0};
	assert_int_equal(rf_interval_format(&b, narrow, NULL), 0);
	/* six digits would print "[5.26884K, 5.26884K)" */
	assert_string_equal(b.data, "[5.268836K, 5.268844K)");
	rf_buf_clear(&b);
	assert_int_equal(rf_interval_format(&b, tight, NULL), 0);
	assert_string_equal(b.data, "[1.0000001, 1.0000002]");
	rf_buf_clear(&b);
	/* wide intervals keep six digits */
	assert_int_equal(rf_interval_format(&b, fig("101K GPU-hours").v, &F("1 GPU-hours")->unit), 0);
	assert_string_equal(b.data, "[100.5K, 101.5K) GPU-hours");
	/* a bound is never shown as one number, and its 0 is "0" */
	rf_buf_clear(&b);
	assert_int_equal(rf_interval_format(&b, fig("more than 5%").v, &F("1%")->unit), 0);
	assert_string_equal(b.data, "[4.5, inf]%");
	rf_buf_clear(&b);
	assert_int_equal(rf_interval_format(&b, fig("up to $5.6 million").v, &F("$1")->unit), 0);
	assert_string_equal(b.data, "[0, 5.65M) USD");
	/* rounding noise of exact arithmetic is one number */
	rf_buf_clear(&b);
	assert_int_equal(rf_interval_format(&b, (rf_interval){nextafter(202752, 0), nextafter(202752, 1e9), 0, 0}, NULL), 0);
	assert_string_equal(b.data, "202.752K");
	rf_buf_free(&b);
}

static void test_units(void **state)
{
	(void)state;
	rf_figure a = fig("$2 per GPU hour"), b = fig("$2/GPU-hour"), c = fig("2 USD/GPU-h"),
		  d = fig("2 US$ per GPU hour");
	(void)d;
	assert_true(rf_unit_same_dim(&a.unit, &b.unit) && rf_unit_same_dim(&a.unit, &c.unit));
	assert_true(a.v.lo == b.v.lo && b.v.lo == c.v.lo);
	assert_true(fabs(a.stated.lo - 2.0 / 3600) < 1e-12);
	assert_true(fabs(a.v.lo - 1.5 / 3600) < 1e-12);
	expect_interval(fig("989 TFLOP/s").v, 988.5e12, 989.5e12, 0, 1);
	assert_int_equal(fig("989 TFLOP/s").unit.dim[RF_DIM_FLOP], 1);
	assert_int_equal(fig("989 TFLOP/s").unit.dim[RF_DIM_TIME], -1);
	assert_true(rf_unit_same_dim(&F("101K H800 GPU hours")->unit, &F("1 GPU-hour")->unit));
	assert_true(rf_unit_same_dim(&F("512 H800 GPUs")->unit, &F("1 GPU")->unit));
	expect_interval(fig("4 days").v, 3.5 * 86400, 4.5 * 86400, 0, 1);
	{
		rf_interval v = fig("3.3e24 FLOP").v; /* inexact decimals: widened outward */
		assert_true(v.lo <= 3.25e24 && v.hi >= 3.35e24 && v.hi - v.lo < 1.0000001e23);
	}
	assert_int_equal(fig("2 weeks").unit.dim[RF_DIM_TIME], 1);
	{
		rf_unit u;
		assert_int_equal(rf_unit_parse(&u, "GPU-hours"), 0);
		assert_true(u.mul == 3600 && u.div == 1);
		assert_int_equal(rf_unit_parse(&u, "furlongs"), RF_EFORMAT);
		assert_string_equal(rf_error_last(), "unknown unit 'furlongs'");
		u.dim[RF_DIM_FLOP] = 1;
		memset(u.dim, 0, sizeof u.dim);
		u.dim[RF_DIM_FLOP] = 1;
		u.dim[RF_DIM_TIME] = -1;
		rf_unit_canonical(&u);
		assert_string_equal(u.name, "FLOP/s");
	}
}

static void test_syntax_errors(void **state)
{
	(void)state;
	static const char *const bad[] = {"", "abc", "$", "1,23", "1,2345", "12,34,567", "5 parsecs",
					  "10 % h", "1e999", "$5 GPUs", "~", "10 \xc2\xb1",
					  "1.5*2", "99999999999999999999", "512x"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		rf_figure f;
		if (rf_figure_parse(&f, bad[i], NULL) != RF_EFORMAT)
			fail_msg("'%s' parsed", bad[i]);
	}
	expect_interval(fig("12,345,678").v, 12345677.5, 12345678.5, 0, 1);
}

static void test_arithmetic(void **state)
{
	(void)state;
	rf_interval a = {1, 2, 0, 1}, b = {3, 4, 1, 0}, r;
	r = rf_interval_add(a, b);
	expect_interval(r, 4, 6, 1, 1);
	r = rf_interval_sub(b, a);
	expect_interval(r, 1, 3, 1, 0);
	r = rf_interval_mul(a, b);
	expect_interval(r, 3, 8, 1, 1);
	r = rf_interval_mul((rf_interval){-2, 3, 0, 0}, (rf_interval){-5, 4, 0, 0});
	expect_interval(r, -15, 12, 0, 0);
	r = rf_interval_div(rf_interval_point(1), rf_interval_point(3));
	assert_true(r.lo < r.hi && r.lo <= 1.0 / 3 && r.hi >= 1.0 / 3);
	assert_true(nextafter(r.lo, 1) == r.hi || nextafter(r.lo, 1) == 1.0 / 3);
	r = rf_interval_div(rf_interval_point(1), (rf_interval){-1, 1, 0, 0});
	assert_true(isinf(r.lo) && isinf(r.hi));
	r = rf_interval_div(rf_interval_point(1), (rf_interval){0, 1, 1, 0});
	assert_true(r.lo == 1 && r.hi > 1e300);
	/* 0.1 + 0.2: inexact, so the result must contain 0.3 exactly as reals
	 * (0.30000000000000004 is the rounded sum) */
	r = rf_interval_add(rf_interval_point(0.1), rf_interval_point(0.2));
	assert_true(r.lo < r.hi);
	{
		rf_buf b2 = RF_BUF_INIT;
		rf_unit u;
		rf_unit_parse(&u, "GPU-hours");
		rf_interval_format(&b2, fig("101K GPU-hours").v, &u);
		assert_string_equal(b2.data, "[100.5K, 101.5K) GPU-hours");
		rf_buf_clear(&b2);
		rf_interval_format(&b2, rf_interval_point(512), NULL);
		assert_string_equal(b2.data, "512");
		rf_buf_free(&b2);
	}
	{
		rf_figure x, y = fig("1 h");
		assert_int_equal(rf_figure_add(&x, &y, F("1 GPU-hour")), RF_EINVAL);
		assert_int_equal(rf_figure_add(&x, &y, F("30 min")), 0);
		expect_interval(x.v, 0.5 * 3600 + 29.5 * 60, 1.5 * 3600 + 30.5 * 60, 0, 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rounding_from_digits),
		cmocka_unit_test(test_rounding_edges),
		cmocka_unit_test(test_hedges),
		cmocka_unit_test(test_hedges_widened),
		cmocka_unit_test(test_r1_arithmetic),
		cmocka_unit_test(test_tolerances_and_precision),
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_percent_tolerance_is_points),
		cmocka_unit_test(test_display_digits),
		cmocka_unit_test(test_paper_forms),
		cmocka_unit_test(test_paper_forms_rejected),
		cmocka_unit_test(test_form_table),
		cmocka_unit_test(test_grammar_fuzz),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_arithmetic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
