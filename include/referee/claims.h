/* referee — claims: figures as intervals, units, interval arithmetic, and
 * the claims check (each claimed figure recomputed from the evidence and
 * given a verdict).
 *
 * A reported number is an interval: "101K" is [100.5K, 101.5K) (its written
 * rounding), "10 ± 0.5" and "10 ±5%" carry their tolerance, and a figure
 * after a hedge word ("~", "approximately", "about", "roughly") is the
 * interval of its written rounding too ("~198 h" is [197.5, 198.5) h, as
 * DESIGN.md states), unless a relative hedge tolerance is asked for
 * explicitly (manifests/README.md documents the syntax).  Arithmetic rounds
 * outward, so a derived interval always contains the exact result.
 *
 * Derivation sources are the extension point: a claim's `from:` names a
 * source (`source: ledger`, `source: rescore`, ...) whose registered
 * rf_claims_source computes the derived figure; CONTRIBUTING.md explains how
 * to add one. */
#ifndef REFEREE_CLAIMS_H
#define REFEREE_CLAIMS_H

#include <stddef.h>

#include "buf.h"
#include "manifest.h"
#include "report.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------- intervals */

/** A real interval; either end may be open.  [lo, hi) has hi_open = 1. */
typedef struct rf_interval {
	double lo, hi;
	unsigned char lo_open, hi_open;
} rf_interval;

/** [v, v]. */
rf_interval rf_interval_point(double v);
/** Sum, difference, product and quotient, rounded outward (the result
 *  contains every exact result; endpoints that needed rounding become
 *  closed).  A quotient by an interval containing 0 is (-inf, inf). */
rf_interval rf_interval_add(rf_interval a, rf_interval b);
rf_interval rf_interval_sub(rf_interval a, rf_interval b);
rf_interval rf_interval_mul(rf_interval a, rf_interval b);
rf_interval rf_interval_div(rf_interval a, rf_interval b);
/** 1 when the two intervals share at least one point (open ends honoured). */
int rf_interval_overlaps(rf_interval a, rf_interval b);
/** 1 when x lies in the interval. */
int rf_interval_contains(rf_interval a, double x);

/* ----------------------------------------------------------------- units */

/** Base dimensions: seconds, US dollars, floating-point operations,
 *  accelerators, tokens, parameters, energy (joules) and emissions (kg of
 *  CO2 equivalent). */
enum {
	RF_DIM_TIME,
	RF_DIM_MONEY,
	RF_DIM_FLOP,
	RF_DIM_GPU,
	RF_DIM_TOKEN,
	RF_DIM_PARAM,
	RF_DIM_ENERGY,
	RF_DIM_CO2,
	RF_DIM_COUNT
};

/** A unit: exponents of the base dimensions and the exact conversion
 *  `value_in_base = value * mul / div` (hour: mul 3600; %: div 100). */
typedef struct rf_unit {
	signed char dim[RF_DIM_COUNT];
	double mul, div;
	char name[40]; /**< as written, or a canonical name ("GPU-h") */
} rf_unit;

/** Parse a unit as written ("GPU-hours", "H800 GPU hours", "$/GPU-hour",
 *  "USD per GPU hour", "TFLOP/s", "days", "%", "tokens", "" for a plain
 *  number).  0 or RF_EFORMAT ("unknown unit 'x'"). */
int rf_unit_parse(rf_unit *out, const char *text);

/** 1 when `a` and `b` measure the same dimension. */
int rf_unit_same_dim(const rf_unit *a, const rf_unit *b);

/** Give `u` the display unit referee uses for its dimension (hours,
 *  GPU-hours, USD, FLOP, FLOP/s, USD/GPU-hour, ...). */
void rf_unit_canonical(rf_unit *u);

/* --------------------------------------------------------------- figures */

/** How a figure's interval came about. */
enum {
	RF_FIGURE_ROUNDED = 1u << 0, /**< from its written rounding */
	RF_FIGURE_APPROX = 1u << 1,  /**< hedge word: written rounding,
					  widened by rf_figure_opts.approx */
	RF_FIGURE_TOL = 1u << 2,     /**< explicit ± or ±% */
	RF_FIGURE_EXACT = 1u << 3,   /**< taken as exact */
	RF_FIGURE_BOUND = 1u << 4,   /**< a bound: "under $450", "15T+" */
	RF_FIGURE_RANGE = 1u << 5    /**< a range: "38–43%", "2-3 days" */
};

/** A figure: an interval in base units, the unit it was written in, and
 *  the stated value (a point, or a tight interval when the decimal has no
 *  exact binary form). */
typedef struct rf_figure {
	rf_interval v;      /**< in base units (s, USD, FLOP, ...) */
	rf_interval stated; /**< the number as written, in base units */
	rf_unit unit;
	unsigned flags;     /**< RF_FIGURE_* */
} rf_figure;

/** Options for rf_figure_parse; zero-initialised means the defaults. */
typedef struct rf_figure_opts {
	double approx;            /**< relative tolerance that widens hedged
				       figures (0.05: ±5% of the stated value,
				       never narrower than the written
				       rounding); 0: the written rounding */
	int exact;                /**< plain numbers are exact (settings) */
	const char *default_unit; /**< unit when none is written */
	const char *precision;    /**< a stated precision that replaces the
				       written one: "exact", "rounded",
				       "approximate", "±X" / "+/-X" (absolute,
				       in the figure's unit), "±X%" or "X%"
				       (relative); NULL: as written */
} rf_figure_opts;

/** Parse a figure as written in a paper: words that carry no figure
 *  ("just", "only", "a total of", "in total"), a bound ("under", "less
 *  than", "at most", "up to", "within", "over", "at least", "<", "≤", ">=",
 *  ..., or a trailing "+": "15T+"), "nearly" / "almost", "between X and Y",
 *  a hedge ("~", "≈", "approximately", "about", "roughly", "around"), a
 *  currency ("$", "US$", "USD", with or without a space), a number
 *  (thousands separators "2,788", decimals, exponents "3e-6", powers of ten
 *  "1.5 × 10^24" / "1.5·10²⁴", a product of integers "64*8" / "64×8"), a
 *  scale (K, M, B, T, thousand, million, billion, trillion), "%", a range
 *  ("38-43%", "38–43%", "$400–$450", "30 to 40"), a tolerance ("± 0.5",
 *  "+/- 0.5K", "±5%": percentage points on a percentage, relative on a
 *  figure with a unit) before or after the unit, and a unit.
 *  rf_figure_form_at() lists every form with what it means.  0 or
 *  RF_EFORMAT with a message quoting the part that could not be read (no
 *  file position: the caller adds it). */
int rf_figure_parse(rf_figure *out, const char *text, const rf_figure_opts *opts);

/** One form of the figure grammar: an example as a paper writes it and
 *  what referee reads ("under $450" → "a bound: [0, 450.5) ..."). */
typedef struct rf_figure_form {
	const char *written; /**< examples, comma-separated */
	const char *means;
} rf_figure_form;

/** The i-th form of the figure grammar (for `referee lint --kinds` and the
 *  README's figure table), NULL past the end; static. */
const rf_figure_form *rf_figure_form_at(size_t i);

/** Product, quotient and sum of figures (units combine; a sum needs the
 *  same dimension: RF_EINVAL otherwise).  The result's unit is canonical. */
int rf_figure_mul(rf_figure *out, const rf_figure *a, const rf_figure *b);
int rf_figure_div(rf_figure *out, const rf_figure *a, const rf_figure *b);
int rf_figure_add(rf_figure *out, const rf_figure *a, const rf_figure *b);

/** Append an interval in `unit` ("[100.5K, 101.5K) GPU-hours"; a point is
 *  one number) to `out`. */
int rf_interval_format(rf_buf *out, rf_interval v, const rf_unit *unit);

/* -------------------------------------------------------------- verdicts */

/** A claim's verdict. */
typedef enum rf_verdict {
	RF_VERDICT_CONFIRMED = 1, /**< claimed and derived intervals overlap */
	RF_VERDICT_INCONSISTENT,  /**< they cannot both hold */
	RF_VERDICT_SUSPICIOUS,    /**< physically possible but implausible */
	RF_VERDICT_IMPOSSIBLE,    /**< beyond what the hardware can do */
	RF_VERDICT_UNVERIFIABLE   /**< the evidence to derive it is missing */
} rf_verdict;

/** "CONFIRMED", ...; static. */
const char *rf_verdict_name(rf_verdict v);

/* ------------------------------------------------------------ the check */

/** A claims check: manifests in, one result per claim out.  Opaque. */
typedef struct rf_check rf_check;

/** What a derivation source sees of the check while it derives one claim. */
typedef struct rf_claims_env rf_claims_env;

/** Check settings; zero means the default. */
typedef struct rf_check_options {
	double approx;         /**< relative tolerance that widens hedged
				    figures (rf_figure_opts.approx); 0: none,
				    a hedge is its written rounding */
	double suspicious_mfu; /**< utilisation above which a claim is
				    SUSPICIOUS (default 0.60) */
} rf_check_options;

/** A derivation's result. */
typedef struct rf_derivation {
	rf_figure figure; /**< the derived figure (any unit of the claim's
			       dimension; or the quantity a plausibility
			       verdict is about, e.g. utilisation in %) */
	int verdict;      /**< 0: compare `figure` with the claimed figure;
			       or an rf_verdict the source decided itself */
	char where[200];  /**< when the derived figure is another statement
			       of the same quantity (another claim, another
			       manifest): its "file:line:col", named in an
			       INCONSISTENT reason beside the claim's own;
			       may stay empty */
} rf_derivation;

/** A derivation source: the extension point for claims derived from
 *  evidence other than the manifests (re-scoring, replays, ...).
 *
 *  `derive` gets the claim's `from:` map as `params` (it holds `source:`
 *  and the source's own keys, which the source validates, e.g. with
 *  rf_schema_check), fills `out` and appends human-readable steps to
 *  `explain` (shown by `referee check --explain`).  It returns 0;
 *  RF_ENOTFOUND or RF_EUNSUPPORTED when the evidence is missing (the claim
 *  is UNVERIFIABLE, rf_error_last() is the reason); RF_EFORMAT for bad
 *  params (the check fails with that message); any other error likewise.
 *  `ctx` is passed through.  Files are resolved against
 *  rf_claims_env_dir() and must stay inside it. */
typedef struct rf_claims_source {
	const char *name; /**< value of `source:` */
	int (*derive)(void *ctx, const rf_claims_env *env, const rf_node *params,
		      rf_derivation *out, rf_buf *explain);
	void *ctx;
} rf_claims_source;

/** Lint a `claims` manifest beyond its schema: every claimed figure
 *  parses with its stated `precision:`, and the `from:` parameters of the
 *  built-in sources (ledger, claim, config, flops, energy) match their fields.
 *  Other sources' parameters are left to the check.  0 or RF_EFORMAT with
 *  file:line:column. */
int rf_claims_lint(const rf_manifest *m);

/** The directory the manifests came from (a bag's data/ folder), for
 *  resolving files the claims name; "." when the manifests were added one
 *  by one with rf_check_add_manifest().  Borrowed. */
const char *rf_claims_env_dir(const rf_claims_env *env);
/** The folder every file a claim names must stay inside: the bag's
 *  payload (data/) or the folder given to the check (rf_check_set_root());
 *  rf_claims_env_dir() when none was set.  Borrowed. */
const char *rf_claims_env_root(const rf_claims_env *env);
/** Resolve `rel`, a path a claim names (from.rollouts, from.dir), against
 *  the manifests' folder into `out` (appended): relative, and it may
 *  climb with `..` as long as it stays inside rf_claims_env_root(), also
 *  through symlinks (checked when the path exists).  RF_EUNSAFE with
 *  "`what`: 'rel' leaves the payload" otherwise.  The file need not
 *  exist (callers say "not found" their own way). */
int rf_claims_env_resolve(rf_buf *out, const rf_claims_env *env,
			  const char *rel, const char *what);
/** The loaded manifest of `kind` whose file stem (or `name:`) is `name`;
 *  with `name` NULL, the only manifest of that kind.  NULL when there is
 *  none (or several and no name); borrowed. */
const rf_manifest *rf_claims_env_manifest(const rf_claims_env *env,
					  const char *kind, const char *name);
/** The figure claimed by the claim being derived (NULL when it states
 *  none); borrowed. */
const rf_figure *rf_claims_env_claimed(const rf_claims_env *env);
/** The claimed figure of another claim, by id; NULL when unknown. */
const rf_figure *rf_claims_env_claim(const rf_claims_env *env, const char *id);
/** The check's options (defaults filled in). */
const rf_check_options *rf_claims_env_options(const rf_claims_env *env);
/** Parse a figure found at `node` (a scalar) with the check's hedge
 *  tolerance; `default_unit` applies when none is written (may be NULL);
 *  `exact`: plain numbers are exact.  Errors carry file:line:column and
 *  `path`. */
int rf_claims_env_figure(rf_figure *out, const rf_claims_env *env,
			 const rf_node *node, const char *path,
			 const char *default_unit, int exact);

/** One claim's outcome (borrowed from the check). */
typedef struct rf_claim_result {
	const char *id;
	const char *sentence;     /**< the source text; may be NULL */
	const char *claimed_text; /**< the figure as written; may be NULL */
	const char *source;       /**< derivation source name */
	const char *origin;       /**< "file:line:col" of the claim */
	int has_claimed, has_derived;
	rf_figure claimed;
	rf_derivation derived;
	rf_verdict verdict;
	const char *explain;      /**< derivation steps; never NULL */
	const char *reason;       /**< one line: why this verdict */
} rf_claim_result;

/** New check.  `opts` may be NULL.  The built-in sources (ledger, claim,
 *  config, flops, energy; lib/claims/source_list.h) are registered.  *out
 *  is the caller's. */
int rf_check_new(rf_check **out, const rf_check_options *opts);

/** Free a check; NULL-safe. */
void rf_check_free(rf_check *c);

/** Register a derivation source (the struct is copied; `name` and `ctx`
 *  must outlive the check).  RF_EEXIST when the name is taken. */
int rf_check_add_source(rf_check *c, const rf_claims_source *src);

/** Load and validate every *.yaml / *.yml file directly in `dir` (sorted
 *  by name; at most 1000).  The first invalid manifest fails the load with
 *  its file:line:column message.  `dir` becomes rf_claims_env_dir(). */
int rf_check_load_dir(rf_check *c, const char *dir);

/** YAML files of the loaded folder that are not referee manifests
 *  (rf_manifest_sniff(): no referee `kind:`), skipped by
 *  rf_check_load_dir(): their count and the i-th path (borrowed). */
size_t rf_check_not_manifest_count(const rf_check *c);
const char *rf_check_not_manifest_at(const rf_check *c, size_t i);

/** Set the folder files named by claims must stay inside (a bag's data/,
 *  so that manifests may point anywhere in the payload); NULL: the
 *  manifests' folder.  Copied. */
int rf_check_set_root(rf_check *c, const char *root);

/** Add one validated manifest; the check takes ownership (also on error). */
int rf_check_add_manifest(rf_check *c, rf_manifest *m);

/** Derive every claim: the ledgers' reported figures (one claim each) and
 *  every claim of every claims manifest.  0, or an error for malformed
 *  claims (RF_EFORMAT with file:line:column). */
int rf_check_run(rf_check *c);

/** Number of results and the i-th (borrowed; valid until the check is
 *  freed). */
size_t rf_check_count(const rf_check *c);
const rf_claim_result *rf_check_result(const rf_check *c, size_t i);

/** How many results have verdict `v`. */
size_t rf_check_tally(const rf_check *c, rf_verdict v);

/** 1 when any claim is INCONSISTENT or IMPOSSIBLE (the check fails). */
int rf_check_failed(const rf_check *c);

/** Build a report of the results (columns: claim, claimed, derived,
 *  verdict; details: sentence, reason, derivation).  *out is the
 *  caller's. */
int rf_check_report(rf_report **out, const rf_check *c, const char *title);

#ifdef __cplusplus
}
#endif
#endif
