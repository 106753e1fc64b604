/* Private to lib/claims: the built-in derivation sources and the ledger
 * arithmetic they share with the check's automatic ledger rows. */
#ifndef REFEREE_LIB_CLAIMS_INTERNAL_H
#define REFEREE_LIB_CLAIMS_INTERNAL_H

#include "referee/claims.h"

/* A built-in derivation source: what every source implements.  `src` is
 * the public part (name, derive); `fields` the keys of its from: map,
 * checked before derive and by rf_claims_lint (NULL: derive checks them);
 * `rows`, when set, makes rows of its own from every loaded manifest of
 * kind `rows_kind` (a ledger's reported figures), with rf_env_row_begin /
 * rf_env_row_end.  source_list.h lists them. */
typedef struct rf_source_def {
	rf_claims_source src;
	const rf_field *fields;
	const char *rows_kind;
	int (*rows)(rf_claims_env *env, const rf_manifest *m, const char *stem);
} rf_source_def;

#define RF_SOURCE(n) extern const rf_source_def rf_source_##n;
#include "source_list.h"
#undef RF_SOURCE

/* A row of the rows hook: `id`, the reported figure `rep` (read with
 * `unit` when it has none; `path` names it in errors) and the sentence it comes from; *explain is the
 * row's explanation, for the derivation.  rf_env_row_end takes the derive
 * call's return code and result, and gives the verdict. */
int rf_env_row_begin(rf_claims_env *env, const char *id, const rf_node *rep,
		     const rf_node *sentence, const char *path, const char *unit,
		     rf_buf **explain);
int rf_env_row_end(rf_claims_env *env, int rc, const rf_derivation *d);

/* One stage's figures as evidence.  Each returns 0, RF_ENOTFOUND when the
 * ledger lacks what is needed (the reason is set), or a format error; each
 * appends its steps to `explain` (may be NULL). */
int rf_ledger_stage_hours(rf_figure *out, const rf_claims_env *env,
			  const rf_node *stage, rf_buf *explain);
int rf_ledger_stage_gpu_hours(rf_figure *out, const rf_claims_env *env,
			      const rf_manifest *ledger, const rf_node *stage,
			      int prefer_reported, rf_buf *explain);
int rf_ledger_stage_cost(rf_figure *out, const rf_claims_env *env,
			 const rf_manifest *ledger, const rf_node *stage,
			 int prefer_reported, rf_buf *explain);
/* A stage's figure for `key` as the ledger reports it, explained. */
int rf_ledger_reported(rf_figure *out, const rf_claims_env *env, const rf_node *stage,
		       const char *key, const char *unit, rf_buf *explain);
/* One stage's quantity (GPU-hours, cost, energy, ...), reported or derived. */
typedef int (*rf_stage_fn)(rf_figure *out, const rf_claims_env *env, const rf_manifest *ledger,
			   const rf_node *stage, int prefer_reported, rf_buf *explain);
/* The sum of `fn` over the ledger's stages, explained as "total `what`". */
int rf_ledger_sum(rf_figure *out, const rf_claims_env *env, const rf_manifest *ledger,
		  rf_stage_fn fn, const char *what, int prefer_reported, rf_buf *explain);
/* A quantity a ledger reports (key, unit, how a stage gives it); with
 * `needs_hours` a stage's figure is a claim only when the stage has hours
 * (otherwise it is the evidence itself). */
typedef struct rf_reported_qty {
	const char *key, *unit;
	rf_stage_fn fn;
	int needs_hours;
} rf_reported_qty;
/* Rows for every reported quantity of `qty`: per stage, then per total
 * (the table's arithmetic, and the sum of the evidence). */
int rf_ledger_rows(rf_claims_env *env, const rf_manifest *m, const char *stem,
		   const rf_reported_qty *qty, size_t nq);
/* Sums over the stages: quantity "gpu-hours" or "cost"; with
 * `prefer_reported` each stage's reported figure is used where there is
 * one (the table's arithmetic), otherwise the evidence. */
int rf_ledger_total(rf_figure *out, const rf_claims_env *env,
		    const rf_manifest *ledger, const char *quantity,
		    int prefer_reported, rf_buf *explain);
/* The stage with id `id`, or NULL. */
const rf_node *rf_ledger_stage(const rf_manifest *ledger, const char *id);

/* rf_interval_format with enough digits that `v` and `other` print
 * differently whenever they differ (a reason that says "claimed X and
 * derived Y cannot both hold" never shows X and Y alike). */
int rf_interval_format_apart(rf_buf *out, rf_interval v, const rf_unit *unit,
			     rf_interval other);

/* "file:line:col" of the claim `id` ("" when unknown); borrowed. */
const char *rf_env_claim_origin(const rf_claims_env *env, const char *id);

/* The verdict on an implied utilisation `u` (a ratio of peak):
 * IMPOSSIBLE when all of it is above 100%, SUSPICIOUS when any of it is
 * above `threshold`, else CONFIRMED, or 0 (compare with a claimed %) when
 * `compare`.  `line` gets the reason, computed from the numbers. */
int rf_utilisation_verdict(const rf_interval *u, double threshold, int compare,
			   char *line, size_t size);

/* "label = [lo, hi] unit" on its own line. */
int rf_explain_figure(rf_buf *explain, const char *label, const rf_figure *f);

/* A manifest named by params key `key` (file stem or id), of `kind`; sets
 * an RF_ENOTFOUND reason when missing. */
int rf_env_manifest(const rf_manifest **out, const rf_claims_env *env,
		    const rf_node *params, const char *key, const char *kind);

#endif
