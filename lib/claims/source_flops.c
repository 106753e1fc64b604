/* Physical plausibility: training compute estimated as 6 × active
 * parameters × training tokens (+ 2 × active parameters per token generated
 * by RL rollouts), and the model-FLOPs utilisation it implies against the
 * hardware manifest's peak.  Above 100% is IMPOSSIBLE; above the threshold
 * (default 60%) SUSPICIOUS.
 *   from: {source: flops, stage: ID, quantity: mfu|flops, format: bf16, ...} */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "referee/error.h"

static const rf_field rf_source_flops_fields[] = {
	{.name = "source", .type = RF_FIELD_STRING, .flags = RF_FIELD_REQUIRED},
	{.name = "quantity", .type = RF_FIELD_STRING, .doc = "mfu (default) or flops"},
	{.name = "stage", .type = RF_FIELD_STRING,
	 .doc = "stage id in the ledger and the config's stages"},
	{.name = "config", .type = RF_FIELD_STRING, .doc = "training-config stem or name"},
	{.name = "hardware", .type = RF_FIELD_STRING, .doc = "hardware-manifest stem or name"},
	{.name = "ledger", .type = RF_FIELD_STRING, .doc = "cost-ledger stem or name"},
	{.name = "format", .type = RF_FIELD_STRING, .doc = "number format of the peak (bf16)"},
	{.name = "accelerator", .type = RF_FIELD_STRING, .doc = "accelerator model"},
	{.name = "mfu", .type = RF_FIELD_STRING,
	 .doc = "what a claimed % is: whole-run (default: compared with the utilisation the "
		"GPU-hours imply) or steady-state (measured while training: the whole run may not "
		"exceed it)"},
	{NULL}};

static const rf_node *config_stage(const rf_node *root, const char *id)
{
	const rf_node *stages = rf_node_get(root, "stages");
	for (size_t i = 0; id && i < rf_node_size(stages); i++) {
		const char *s = rf_node_text(rf_node_get(rf_node_at(stages, i), "id"));
		if (s && !strcmp(s, id))
			return rf_node_at(stages, i);
	}
	return NULL;
}

/* 6·N·D (+ 2·N·D_rl), in FLOP. */
static int training_flops(rf_figure *out, const rf_claims_env *env, const rf_node *p,
			  const char *stage_id, rf_buf *explain)
{
	const rf_manifest *cfg;
	const rf_node *root, *n, *st, *tok, *rl;
	rf_figure active, tokens, six, two, f;
	rf_figure_opts exact = {.exact = 1};
	int rc;
	if ((rc = rf_env_manifest(&cfg, env, p, "config", "training-config")))
		return rc;
	root = rf_manifest_root(cfg);
	n = rf_node_path(root, "model.active-params");
	if (!n)
		n = rf_node_path(root, "model.total-params");
	if ((rc = rf_claims_env_figure(&active, env, n, "model.active-params", "params", 0)))
		return rc;
	rf_explain_figure(explain, "active parameters N", &active);
	st = config_stage(root, stage_id);
	tok = st ? rf_node_get(st, "tokens") : NULL;
	rl = st ? rf_node_get(st, "rl-generated-tokens") : NULL;
	if (!st) {
		tok = rf_node_path(root, "data.tokens");
		rl = rf_node_path(root, "data.rl-generated-tokens");
	}
	if (!tok && !rl)
		return rf_error_set(RF_ENOTFOUND, "%s gives no token count%s%s (data.tokens or "
				    "stages[].tokens)", rf_manifest_file(cfg),
				    stage_id ? " for stage " : "", stage_id ? stage_id : "");
	rf_figure_parse(&six, "6 FLOP", &exact);
	rf_figure_parse(&two, "2 FLOP", &exact);
	if (tok) {
		if ((rc = rf_claims_env_figure(&tokens, env, tok, "tokens", "tokens", 0)))
			return rc;
		rf_explain_figure(explain, "training tokens D", &tokens);
		rf_figure_mul(out, &six, &active);
		rf_figure_mul(out, out, &tokens);
	}
	if (rl) {
		if ((rc = rf_claims_env_figure(&tokens, env, rl, "rl-generated-tokens", "tokens", 0)))
			return rc;
		rf_explain_figure(explain, "RL tokens generated", &tokens);
		rf_figure_mul(&f, &two, &active);
		rf_figure_mul(&f, &f, &tokens);
		if (tok)
			rf_figure_add(out, out, &f);
		else
			*out = f;
	}
	/* the FLOP unit must not carry params·tokens: 6 and 2 are FLOP per
	 * parameter per token */
	memset(out->unit.dim, 0, sizeof out->unit.dim);
	out->unit.dim[RF_DIM_FLOP] = 1;
	rf_unit_canonical(&out->unit);
	return rf_explain_figure(explain, tok && rl ? "FLOPs = 6·N·D + 2·N·D_rl"
					: tok ? "FLOPs = 6·N·D" : "FLOPs = 2·N·D_rl", out);
}

static int peak_of(rf_figure *out, const rf_claims_env *env, const rf_node *p,
		   const char *accel, rf_buf *explain)
{
	const rf_manifest *hw;
	const rf_node *list, *entry = NULL, *pk;
	const char *fmt = rf_node_text(rf_node_get(p, "format"));
	char label[200];
	int rc;
	if (!fmt)
		fmt = "bf16";
	if ((rc = rf_env_manifest(&hw, env, p, "hardware", "hardware-manifest")))
		return rc;
	list = rf_node_get(rf_manifest_root(hw), "accelerators");
	for (size_t i = 0; i < rf_node_size(list); i++) {
		const char *m = rf_node_text(rf_node_get(rf_node_at(list, i), "model"));
		if (!accel || (m && !strcmp(m, accel))) {
			if (entry && !accel)
				return rf_error_set(RF_ENOTFOUND,
						    "%s lists several accelerators; name one with accelerator:",
						    rf_manifest_file(hw));
			entry = rf_node_at(list, i);
		}
	}
	if (!entry)
		return rf_error_set(RF_ENOTFOUND, "%s lists no accelerator%s%s", rf_manifest_file(hw),
				    accel ? " " : "", accel ? accel : "");
	pk = rf_node_get(rf_node_get(entry, "peak"), fmt);
	if (!pk)
		return rf_error_set(RF_ENOTFOUND, "%s gives no %s peak for %s", rf_manifest_file(hw),
				    fmt, rf_node_text(rf_node_get(entry, "model")));
	if ((rc = rf_claims_env_figure(out, env, pk, "peak", "FLOP/s", 0)))
		return rc;
	snprintf(label, sizeof label, "peak %s of one %s", fmt,
		 rf_node_text(rf_node_get(entry, "model")));
	return rf_explain_figure(explain, label, out);
}

/* A percentage for a reason line: three significant digits, more when
 * needed to tell it from the threshold it is compared with. */
static void pct(char *buf, size_t size, double ratio, double vs)
{
	int n = 3;
	do
		snprintf(buf, size, "%.*g%%", n, ratio * 100);
	while (++n < 17 && ratio != vs && atof(buf) == vs * 100);
}

int rf_utilisation_verdict(const rf_interval *u, double threshold, int compare,
			   char *line, size_t size)
{
	char lo[40], hi[40], th[40];
	pct(lo, sizeof lo, u->lo, threshold);
	pct(hi, sizeof hi, u->hi, 1);
	snprintf(th, sizeof th, "%.4g%%", threshold * 100);
	/* the whole interval past 100% of peak: no reading of the figures
	 * makes the claim possible */
	if (u->lo > 1 || (u->lo == 1 && u->lo_open)) {
		snprintf(line, size, "at least %s of peak: beyond what the hardware can do\n", lo);
		return RF_VERDICT_IMPOSSIBLE;
	}
	if (u->lo > threshold || (u->lo == threshold && u->lo_open)) {
		if (u->hi > 1)
			snprintf(line, size,
				 "at least %s of peak, above the %s threshold, and may reach %s "
				 "(beyond what the hardware can do)\n", lo, th, hi);
		else
			snprintf(line, size, "at least %s of peak, above the %s threshold\n", lo, th);
		return RF_VERDICT_SUSPICIOUS;
	}
	/* part of the interval is past the threshold: the figures as written
	 * cannot rule it out, so the claim is not confirmed */
	if (u->hi > threshold) {
		pct(hi, sizeof hi, u->hi, threshold);
		snprintf(line, size,
			 "may reach %s of peak (%s at the least), above the %s threshold; the "
			 "figures as written are too coarse to rule it out\n", hi, lo, th);
		return RF_VERDICT_SUSPICIOUS;
	}
	if (compare) {
		line[0] = '\0';
		return 0; /* a claimed MFU: compare */
	}
	snprintf(line, size, "%s to %s of peak: plausible (at most the %s threshold)\n", lo, hi,
		 th);
	return RF_VERDICT_CONFIRMED;
}

/* A claimed steady-state MFU ("38–43% MFU", measured while training) and
 * the utilisation the whole run's GPU-hours imply: restarts, evaluation and
 * idle time only lower the latter, so it may not exceed the former; the two
 * are not compared for equality. */
static int steady_state(const rf_interval *whole, const rf_interval *claimed, char *line,
			size_t size)
{
	char lo[40], hi[40], c[40];
	pct(lo, sizeof lo, whole->lo, claimed->hi);
	pct(hi, sizeof hi, whole->hi, claimed->hi);
	pct(c, sizeof c, claimed->hi, whole->hi);
	if (whole->lo > claimed->hi) {
		snprintf(line, size, "the whole run implies at least %s of peak, more than the "
				     "steady-state MFU claimed (at most %s)\n", lo, c);
		return RF_VERDICT_SUSPICIOUS;
	}
	if (whole->hi > claimed->hi) {
		snprintf(line, size, "the whole run may imply up to %s of peak, more than the "
				     "steady-state MFU claimed (at most %s); the figures as written "
				     "cannot rule it out\n", hi, c);
		return RF_VERDICT_SUSPICIOUS;
	}
	snprintf(line, size, "the whole run implies %s to %s of peak, at or below the steady-state "
			     "MFU claimed (at most %s): restarts and evaluation only lower it\n",
		 lo, hi, c);
	return RF_VERDICT_CONFIRMED;
}

static int derive(void *ctx, const rf_claims_env *env, const rf_node *p, rf_derivation *out,
		  rf_buf *explain)
{
	const char *q = rf_node_text(rf_node_get(p, "quantity"));
	const char *stage_id = rf_node_text(rf_node_get(p, "stage"));
	const char *accel = rf_node_text(rf_node_get(p, "accelerator"));
	const char *mfu = rf_node_text(rf_node_get(p, "mfu"));
	const rf_figure *claimed = rf_claims_env_claimed(env);
	rf_unit pct_unit;
	int steady;
	const rf_check_options *o = rf_claims_env_options(env);
	rf_figure flops, gpu_time, peak, capacity, gh_unit;
	char line[400];
	int rc;
	(void)ctx;
	rf_unit_parse(&pct_unit, "%");
	if (q && strcmp(q, "mfu") && strcmp(q, "flops"))
		return rf_node_error(RF_EFORMAT, rf_node_get(p, "quantity"), "from.quantity",
				     "expected mfu or flops, got \"%s\"", q);
	if (mfu && strcmp(mfu, "whole-run") && strcmp(mfu, "steady-state"))
		return rf_node_error(RF_EFORMAT, rf_node_get(p, "mfu"), "from.mfu",
				     "expected whole-run or steady-state, got \"%s\"", mfu);
	steady = mfu && !strcmp(mfu, "steady-state");
	if (steady && !(claimed && rf_unit_same_dim(&claimed->unit, &pct_unit)))
		return rf_node_error(RF_EFORMAT, rf_node_get(p, "mfu"), "from.mfu",
				     "steady-state needs a claimed utilisation in %%");
	if ((rc = training_flops(&flops, env, p, stage_id, explain)))
		return rc;
	out->verdict = 0;
	if (q && !strcmp(q, "flops")) {
		out->figure = flops;
		return 0;
	}
	/* the accelerator time: the claimed GPU-hours when the claim is about
	 * them, else the ledger's stage */
	rf_unit_parse(&gh_unit.unit, "GPU-hours");
	if (claimed && rf_unit_same_dim(&claimed->unit, &gh_unit.unit)) {
		gpu_time = *claimed;
		rf_explain_figure(explain, "accelerator time (claimed)", &gpu_time);
	} else {
		const rf_manifest *ledger;
		const rf_node *stage;
		if (!stage_id)
			return rf_node_error(RF_EFORMAT, p, "from.stage",
					     "required when the claim does not state GPU-hours");
		if ((rc = rf_env_manifest(&ledger, env, p, "ledger", "cost-ledger")))
			return rc;
		if (!(stage = rf_ledger_stage(ledger, stage_id)))
			return rf_error_set(RF_ENOTFOUND, "no stage '%s' in the ledger", stage_id);
		if ((rc = rf_ledger_stage_gpu_hours(&gpu_time, env, ledger, stage, 0, explain)))
			return rc;
		if (!accel)
			accel = rf_node_text(rf_node_get(stage, "accelerator"));
	}
	if (!accel && stage_id) {
		const rf_manifest *ledger;
		const rf_node *stage;
		if (!rf_env_manifest(&ledger, env, p, "ledger", "cost-ledger") &&
		    (stage = rf_ledger_stage(ledger, stage_id)))
			accel = rf_node_text(rf_node_get(stage, "accelerator"));
		rf_error_clear();
	}
	{
		/* what each accelerator would have had to sustain */
		rf_figure thr;
		rf_figure_div(&thr, &flops, &gpu_time);
		thr.unit.mul = 1e12;
		snprintf(thr.unit.name, sizeof thr.unit.name, "TFLOP/s per GPU");
		rf_explain_figure(explain, "implied throughput = FLOPs / accelerator time", &thr);
	}
	if ((rc = peak_of(&peak, env, p, accel, explain)))
		return rc;
	/* capacity = GPU-seconds × peak FLOP/s per GPU, in FLOP */
	rf_figure_mul(&capacity, &gpu_time, &peak);
	memset(capacity.unit.dim, 0, sizeof capacity.unit.dim);
	capacity.unit.dim[RF_DIM_FLOP] = 1;
	rf_unit_canonical(&capacity.unit);
	rf_explain_figure(explain, "capacity = accelerator time × peak", &capacity);
	rf_figure_div(&out->figure, &flops, &capacity);
	rf_unit_parse(&out->figure.unit, "%");
	rf_explain_figure(explain, "implied utilisation (MFU) = FLOPs / capacity", &out->figure);
	out->verdict = rf_utilisation_verdict(&out->figure.v, o->suspicious_mfu,
					      claimed && rf_unit_same_dim(&claimed->unit,
									  &out->figure.unit),
					      line, sizeof line);
	if (!out->verdict && steady)
		out->verdict = steady_state(&out->figure.v, &claimed->v, line, sizeof line);
	return explain ? rf_buf_puts(explain, line) : 0;
}

const rf_source_def rf_source_flops = {{"flops", derive, NULL}, rf_source_flops_fields, NULL, NULL};
