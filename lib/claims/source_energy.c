/* Energy and emissions of a ledger's stages: energy = accelerator-hours ×
 * power per accelerator × PUE, emissions = energy × grid carbon intensity,
 * and a stated average power above the accelerator's TDP is IMPOSSIBLE.
 *   from: {source: energy, stage: ID|total, quantity: energy|emissions|power}
 * Its rows hook checks every energy, emissions and average power a
 * cost-ledger reports, as the ledger source does for GPU-hours and cost. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "referee/error.h"

static const rf_field energy_fields[] = {
	{.name = "source", .type = RF_FIELD_STRING, .flags = RF_FIELD_REQUIRED},
	{.name = "ledger", .type = RF_FIELD_STRING, .doc = "ledger file stem or name"},
	{.name = "hardware", .type = RF_FIELD_STRING, .doc = "hardware-manifest stem or name"},
	{.name = "stage", .type = RF_FIELD_STRING, .flags = RF_FIELD_REQUIRED,
	 .doc = "stage id, or total"},
	{.name = "quantity", .type = RF_FIELD_STRING, .flags = RF_FIELD_REQUIRED,
	 .doc = "energy, emissions, reported-energy, reported-emissions, or power (a stage's "
		"power against the accelerator's TDP)"},
	{NULL}};

static const char *sid(const rf_node *stage)
{
	return rf_node_text(rf_node_get(stage, "id"));
}

/* Only the named dimension left: GPU-hours × W per accelerator is energy. */
static void keep_dim(rf_figure *f, int dim)
{
	memset(f->unit.dim, 0, sizeof f->unit.dim);
	f->unit.dim[dim] = 1;
	rf_unit_canonical(&f->unit);
}

static int setting_as(rf_figure *out, const rf_claims_env *env, const rf_manifest *ledger,
		      const rf_node *stage, const char *key, const char *unit, int exact,
		      rf_buf *explain);

/* A stage's setting, else the ledger's.  Power, PUE and carbon intensity
 * are the assumptions an estimate states ("TDP of 400W", "a PUE of 1.1"),
 * taken as exact, as rates are.  RF_ENOTFOUND when neither gives it. */
static int setting(rf_figure *out, const rf_claims_env *env, const rf_manifest *ledger,
		   const rf_node *stage, const char *key, const char *unit, rf_buf *explain)
{
	return setting_as(out, env, ledger, stage, key, unit, 1, explain);
}

/* An average power is a measurement: read with its written rounding. */
static int is_average(const rf_node *stage)
{
	const rf_node *k = rf_node_get(stage, "power-is");
	return k && !strcmp(rf_node_text(k), "average");
}

static int setting_as(rf_figure *out, const rf_claims_env *env, const rf_manifest *ledger,
		      const rf_node *stage, const char *key, const char *unit, int exact,
		      rf_buf *explain)
{
	const rf_node *n = rf_node_get(stage, key);
	char label[200];
	int rc;
	if (!n)
		n = rf_node_get(rf_manifest_root(ledger), key);
	if (!n)
		return rf_error_set(RF_ENOTFOUND, "no %s for stage '%s' (nor for the ledger)", key,
				    sid(stage));
	if ((rc = rf_claims_env_figure(out, env, n, key, unit, exact)))
		return rc;
	snprintf(label, sizeof label, "%s: %s \"%s\"", sid(stage), key, rf_node_text(n));
	return rf_explain_figure(explain, label, out);
}

static int stage_energy(rf_figure *out, const rf_claims_env *env, const rf_manifest *ledger,
			const rf_node *stage, int prefer_reported, rf_buf *explain)
{
	const rf_node *rep = rf_node_get(stage, "energy");
	rf_figure gh, power, pue;
	char label[200];
	int rc;
	if (rep && prefer_reported)
		return rf_ledger_reported(out, env, stage, "energy", "MWh", explain);
	if ((rc = rf_ledger_stage_gpu_hours(&gh, env, ledger, stage, 0, explain)) ||
	    (rc = setting_as(&power, env, ledger, stage, "power", "W", !is_average(stage), explain)))
		return rc;
	rf_figure_mul(out, &gh, &power);
	keep_dim(out, RF_DIM_ENERGY);
	rc = setting(&pue, env, ledger, stage, "pue", "", explain);
	if (rc == RF_ENOTFOUND) {
		rf_error_clear();
		if (explain)
			rf_buf_printf(explain, "%s: no PUE given: 1 (the accelerators' energy only)\n",
				      sid(stage));
	} else if (rc) {
		return rc;
	} else {
		rf_figure_mul(out, out, &pue);
		keep_dim(out, RF_DIM_ENERGY);
	}
	snprintf(label, sizeof label, "%s: energy = GPU-hours × power%s", sid(stage),
		 rc ? "" : " × PUE");
	return rf_explain_figure(explain, label, out);
}

static int stage_emissions(rf_figure *out, const rf_claims_env *env, const rf_manifest *ledger,
			   const rf_node *stage, int prefer_reported, rf_buf *explain)
{
	const rf_node *rep = rf_node_get(stage, "emissions");
	rf_figure energy, ci;
	char label[200];
	int rc;
	if (rep && prefer_reported)
		return rf_ledger_reported(out, env, stage, "emissions", "tCO2eq", explain);
	/* the energy from the evidence; a stage without power gives only the
	 * energy it reports */
	rc = stage_energy(&energy, env, ledger, stage, 0, explain);
	if (rc == RF_ENOTFOUND && rf_node_get(stage, "energy")) {
		rf_error_clear();
		rc = stage_energy(&energy, env, ledger, stage, 1, explain);
	}
	if (rc || (rc = setting(&ci, env, ledger, stage, "carbon-intensity", "gCO2eq/kWh",
				explain)))
		return rc;
	rf_figure_mul(out, &energy, &ci);
	keep_dim(out, RF_DIM_CO2);
	snprintf(label, sizeof label, "%s: emissions = energy × carbon intensity", sid(stage));
	return rf_explain_figure(explain, label, out);
}

/* The accelerator's TDP from the hardware manifest (by model). */
static int tdp_of(rf_figure *out, const rf_claims_env *env, const rf_node *params,
		  const char *model, rf_buf *explain)
{
	const rf_manifest *hw;
	const rf_node *list;
	char label[200];
	int rc;
	if ((rc = rf_env_manifest(&hw, env, params, "hardware", "hardware-manifest")))
		return rc;
	list = rf_node_get(rf_manifest_root(hw), "accelerators");
	for (size_t i = 0; i < rf_node_size(list); i++) {
		const rf_node *a = rf_node_at(list, i), *t = rf_node_get(a, "tdp");
		const char *m = rf_node_text(rf_node_get(a, "model"));
		if (!m || !model || strcmp(m, model))
			continue;
		if (!t)
			return rf_error_set(RF_ENOTFOUND, "%s gives no TDP for %s", rf_manifest_file(hw),
					    model);
		if ((rc = rf_claims_env_figure(out, env, t, "tdp", "W", 1)))
			return rc;
		snprintf(label, sizeof label, "TDP of one %s", model);
		return rf_explain_figure(explain, label, out);
	}
	return rf_error_set(RF_ENOTFOUND, "%s lists no accelerator %s", rf_manifest_file(hw),
			    model ? model : "");
}

/* A stage's power against the TDP: an average drawn while training cannot
 * exceed the board's rated power; a stated TDP is compared with the
 * hardware manifest's. */
static int power_check(rf_derivation *out, const rf_claims_env *env, const rf_node *params,
		       const rf_manifest *ledger, const rf_node *stage, rf_buf *explain)
{
	const rf_node *kind = rf_node_get(stage, "power-is");
	rf_figure power;
	char a[64], b[64];
	int rc;
	if ((rc = setting_as(&power, env, ledger, stage, "power", "W", !is_average(stage), explain)) ||
	    (rc = tdp_of(&out->figure, env, params, rf_node_text(rf_node_get(stage, "accelerator")),
			 explain)))
		return rc;
	out->verdict = 0;
	if (!kind || strcmp(rf_node_text(kind), "average"))
		return 0; /* a stated TDP: compared with the manifest's */
	snprintf(a, sizeof a, "%.6g W", power.v.lo);
	snprintf(b, sizeof b, "%.6g W", out->figure.v.hi);
	if (power.v.lo > out->figure.v.hi) {
		out->verdict = RF_VERDICT_IMPOSSIBLE;
		return rf_buf_printf(explain, "an average of at least %s per accelerator is above its "
					      "%s TDP: beyond what the hardware can draw\n", a, b);
	}
	if (power.v.hi > out->figure.v.hi) {
		snprintf(a, sizeof a, "%.6g W", power.v.hi);
		out->verdict = RF_VERDICT_SUSPICIOUS;
		return rf_buf_printf(explain, "the stated average may reach %s per accelerator, above "
					      "its %s TDP; the figure as written cannot rule it out\n",
				     a, b);
	}
	snprintf(a, sizeof a, "%.6g W", power.v.hi);
	out->verdict = RF_VERDICT_CONFIRMED;
	return rf_buf_printf(explain, "an average of at most %s per accelerator is within its %s TDP\n",
			     a, b);
}

static const rf_node *find_stage(const rf_manifest *ledger, const rf_node *p)
{
	return rf_ledger_stage(ledger, rf_node_text(rf_node_get(p, "stage")));
}

static int derive(void *ctx, const rf_claims_env *env, const rf_node *p, rf_derivation *out,
		  rf_buf *explain)
{
	const rf_manifest *ledger;
	const rf_node *stage = NULL;
	const char *q = rf_node_text(rf_node_get(p, "quantity"));
	int tot, rep, rc;
	rf_stage_fn fn;
	(void)ctx;
	if ((rc = rf_env_manifest(&ledger, env, p, "ledger", "cost-ledger")))
		return rc;
	tot = !strcmp(rf_node_text(rf_node_get(p, "stage")), "total");
	if (!tot && !(stage = find_stage(ledger, p)))
		return rf_node_error(RF_EFORMAT, rf_node_get(p, "stage"), "from.stage",
				     "no stage '%s' in the ledger", rf_node_text(rf_node_get(p, "stage")));
	out->verdict = 0;
	if (!strcmp(q, "power")) {
		if (tot)
			return rf_node_error(RF_EFORMAT, rf_node_get(p, "quantity"), "from.quantity",
					     "power is per stage, not for the total");
		return power_check(out, env, p, ledger, stage, explain);
	}
	rep = !strncmp(q, "reported-", 9);
	if (rep)
		q += 9;
	if (!strcmp(q, "energy"))
		fn = stage_energy;
	else if (!strcmp(q, "emissions"))
		fn = stage_emissions;
	else
		return rf_node_error(RF_EFORMAT, rf_node_get(p, "quantity"), "from.quantity",
				     "unknown quantity \"%s\" (energy, emissions, reported-energy, "
				     "reported-emissions, power)", rf_node_text(rf_node_get(p, "quantity")));
	return tot ? rf_ledger_sum(&out->figure, env, ledger, fn, q, rep, explain)
		   : fn(&out->figure, env, ledger, stage, rep, explain);
}

/* ------------------------------------------------------------- rows */

static const rf_reported_qty reported[] = {
	{"energy", "MWh", stage_energy, 0},
	{"emissions", "tCO2eq", stage_emissions, 0},
};

/* The energy and emissions a ledger reports, as the ledger source does for
 * GPU-hours and cost; then every average power, a claim about the
 * hardware. */
static int energy_rows(rf_claims_env *env, const rf_manifest *m, const char *stem)
{
	const rf_node *stages = rf_node_get(rf_manifest_root(m), "stages");
	char id[512];
	int rc = rf_ledger_rows(env, m, stem, reported, sizeof reported / sizeof reported[0]);
	for (size_t i = 0; i < rf_node_size(stages) && !rc; i++) {
		const rf_node *s = rf_node_at(stages, i);
		rf_derivation d = {0};
		rf_buf *ex;
		if (!is_average(s) || !rf_node_get(s, "power"))
			continue;
		snprintf(id, sizeof id, "%s.%s.power", stem, sid(s));
		if ((rc = rf_env_row_begin(env, id, rf_node_get(s, "power"), rf_node_get(s, "source"),
					   "power", "W", &ex)))
			return rc;
		rc = power_check(&d, env, NULL, m, s, ex);
		rc = rf_env_row_end(env, rc, &d);
	}
	return rc;
}

const rf_source_def rf_source_energy = {{"energy", derive, NULL}, energy_fields, "cost-ledger",
					energy_rows};
