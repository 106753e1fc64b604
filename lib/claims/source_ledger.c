/* Ledger arithmetic (GPU-hours = GPUs × hours, cost = GPU-hours × rate,
 * totals = sums) and the `ledger` derivation source that exposes it to
 * claims:  from: {source: ledger, stage: ID|total, quantity: ...}. */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "referee/error.h"

const rf_node *rf_ledger_stage(const rf_manifest *ledger, const char *id)
{
	const rf_node *stages = rf_node_get(rf_manifest_root(ledger), "stages");
	for (size_t i = 0; i < rf_node_size(stages); i++) {
		const rf_node *s = rf_node_at(stages, i);
		const char *sid = rf_node_text(rf_node_get(s, "id"));
		if (sid && !strcmp(sid, id))
			return s;
	}
	return NULL;
}

static const char *sid(const rf_node *stage)
{
	return rf_node_text(rf_node_get(stage, "id"));
}

int rf_ledger_stage_hours(rf_figure *out, const rf_claims_env *env, const rf_node *stage,
			  rf_buf *explain)
{
	const rf_node *h = rf_node_get(stage, "hours");
	char label[160];
	int rc;
	if (!h)
		return rf_error_set(RF_ENOTFOUND, "the ledger gives no wall-clock hours for stage '%s'",
				    sid(stage));
	if ((rc = rf_claims_env_figure(out, env, h, "hours", "h", 0)))
		return rc;
	snprintf(label, sizeof label, "%s: hours \"%s\"", sid(stage), rf_node_text(h));
	return rf_explain_figure(explain, label, out);
}

static int stage_gpus(rf_figure *out, const rf_node *stage)
{
	long long g;
	int rc = rf_node_get_int(&g, stage, "gpus");
	if (rc == RF_ENOTFOUND)
		return rf_error_set(RF_ENOTFOUND, "the ledger gives no GPU count for stage '%s'",
				    sid(stage));
	if (rc)
		return rc;
	memset(out, 0, sizeof *out);
	out->v = out->stated = rf_interval_point((double)g);
	out->flags = RF_FIGURE_EXACT;
	rf_unit_parse(&out->unit, "GPUs");
	return 0;
}

int rf_ledger_stage_gpu_hours(rf_figure *out, const rf_claims_env *env,
			      const rf_manifest *ledger, const rf_node *stage,
			      int prefer_reported, rf_buf *explain)
{
	const rf_node *rep = rf_node_get(stage, "gpu-hours");
	rf_figure gpus, hours;
	char label[160];
	int rc;
	(void)ledger;
	if (rep && (prefer_reported || !rf_node_get(stage, "hours"))) {
		if ((rc = rf_claims_env_figure(out, env, rep, "gpu-hours", "GPU-hours", 0)))
			return rc;
		snprintf(label, sizeof label, "%s: GPU-hours as reported \"%s\"", sid(stage),
			 rf_node_text(rep));
		return rf_explain_figure(explain, label, out);
	}
	if (!rf_node_get(stage, "hours"))
		return rf_error_set(RF_ENOTFOUND,
				    "stage '%s' has neither hours nor reported GPU-hours", sid(stage));
	if ((rc = stage_gpus(&gpus, stage)) || (rc = rf_ledger_stage_hours(&hours, env, stage, explain)))
		return rc;
	rf_figure_mul(out, &gpus, &hours);
	snprintf(label, sizeof label, "%s: GPU-hours = %.0f GPUs × hours", sid(stage), gpus.v.lo);
	return rf_explain_figure(explain, label, out);
}

static int stage_rate(rf_figure *out, const rf_claims_env *env, const rf_manifest *ledger,
		      const rf_node *stage, rf_buf *explain)
{
	const char *acc = rf_node_text(rf_node_get(stage, "accelerator"));
	const rf_node *rate = rf_node_get(rf_node_get(rf_manifest_root(ledger), "rates"), acc);
	char label[160];
	int rc;
	if (!rate)
		return rf_error_set(RF_ENOTFOUND,
				    "no rate for '%s' in the ledger's rates: the cost cannot be derived",
				    acc ? acc : "?");
	/* a rate is the stated assumption ("assuming $2 per GPU hour"): exact */
	if ((rc = rf_claims_env_figure(out, env, rate, "rates", "USD/GPU-hour", 1)))
		return rc;
	snprintf(label, sizeof label, "rate for %s \"%s\"", acc, rf_node_text(rate));
	return rf_explain_figure(explain, label, out);
}

int rf_ledger_stage_cost(rf_figure *out, const rf_claims_env *env, const rf_manifest *ledger,
			 const rf_node *stage, int prefer_reported, rf_buf *explain)
{
	const rf_node *rep = rf_node_get(stage, "cost");
	rf_figure gh, rate;
	char label[160];
	int rc;
	if (rep && prefer_reported)
		return rf_ledger_reported(out, env, stage, "cost", "USD", explain);
	if ((rc = rf_ledger_stage_gpu_hours(&gh, env, ledger, stage, 0, explain)) ||
	    (rc = stage_rate(&rate, env, ledger, stage, explain)))
		return rc;
	rf_figure_mul(out, &gh, &rate);
	snprintf(label, sizeof label, "%s: cost = GPU-hours × rate", sid(stage));
	return rf_explain_figure(explain, label, out);
}

int rf_ledger_reported(rf_figure *out, const rf_claims_env *env, const rf_node *stage,
		       const char *key, const char *unit, rf_buf *explain)
{
	char label[200];
	int rc;
	if ((rc = rf_claims_env_figure(out, env, rf_node_get(stage, key), key, unit, 0)))
		return rc;
	snprintf(label, sizeof label, "%s: %s as reported \"%s\"", sid(stage), key,
		 rf_node_text(rf_node_get(stage, key)));
	return rf_explain_figure(explain, label, out);
}

int rf_ledger_sum(rf_figure *out, const rf_claims_env *env, const rf_manifest *ledger,
		  rf_stage_fn fn, const char *what, int prefer_reported, rf_buf *explain)
{
	const rf_node *stages = rf_node_get(rf_manifest_root(ledger), "stages");
	char label[200];
	int rc;
	for (size_t i = 0; i < rf_node_size(stages); i++) {
		rf_figure f;
		if ((rc = fn(&f, env, ledger, rf_node_at(stages, i), prefer_reported, explain)))
			return rc;
		if (i == 0)
			*out = f;
		else if ((rc = rf_figure_add(out, out, &f)))
			return rc;
	}
	snprintf(label, sizeof label, "total %s = sum of %zu stages%s", what, rf_node_size(stages),
		 prefer_reported ? " (as reported where reported)" : "");
	return rf_explain_figure(explain, label, out);
}

int rf_ledger_total(rf_figure *out, const rf_claims_env *env, const rf_manifest *ledger,
		    const char *quantity, int prefer_reported, rf_buf *explain)
{
	return rf_ledger_sum(out, env, ledger,
			     strcmp(quantity, "cost") ? rf_ledger_stage_gpu_hours : rf_ledger_stage_cost,
			     quantity, prefer_reported, explain);
}

/* The price per GPU-hour a reported cost implies: the cost over the
 * GPU-hours (the stage's evidence, else its reported GPU-hours; for the
 * total, the reported total cost over the reported total GPU-hours, else
 * the sum of the stages'), to be compared with a stated rate or range. */
static int implied_rate(rf_figure *out, const rf_claims_env *env, const rf_manifest *ledger,
			const char *stage_id, const rf_node *at, rf_buf *explain)
{
	const rf_node *root = rf_manifest_root(ledger), *stage = NULL, *cost;
	rf_figure c, gh;
	int rc;
	if (stage_id && !(stage = rf_ledger_stage(ledger, stage_id)))
		return rf_node_error(RF_EFORMAT, at, "from.stage", "no stage '%s' in the ledger",
				     stage_id);
	cost = rf_node_get(stage ? stage : rf_node_get(root, "total"), "cost");
	if (!cost)
		return rf_error_set(RF_ENOTFOUND, "%s reports no cost to imply a rate from",
				    stage ? stage_id : "the ledger's total");
	if ((rc = rf_claims_env_figure(&c, env, cost, "cost", "USD", 0)))
		return rc;
	rf_explain_figure(explain, "reported cost", &c);
	if (stage)
		rc = rf_ledger_stage_gpu_hours(&gh, env, ledger, stage, 0, explain);
	else if (rf_node_get(rf_node_get(root, "total"), "gpu-hours")) {
		rc = rf_claims_env_figure(&gh, env, rf_node_get(rf_node_get(root, "total"), "gpu-hours"),
					  "gpu-hours", "GPU-hours", 0);
		if (!rc)
			rf_explain_figure(explain, "reported total GPU-hours", &gh);
	} else
		rc = rf_ledger_total(&gh, env, ledger, "gpu-hours", 1, explain);
	if (rc)
		return rc;
	rf_figure_div(out, &c, &gh);
	return rf_explain_figure(explain, "implied rate = cost / GPU-hours", out);
}

static const rf_field rf_source_ledger_fields[] = {
	{.name = "source", .type = RF_FIELD_STRING, .flags = RF_FIELD_REQUIRED},
	{.name = "ledger", .type = RF_FIELD_STRING, .doc = "ledger file stem or name"},
	{.name = "stage", .type = RF_FIELD_STRING, .flags = RF_FIELD_REQUIRED,
	 .doc = "stage id, or total"},
	{.name = "quantity", .type = RF_FIELD_STRING, .flags = RF_FIELD_REQUIRED,
	 .doc = "hours, gpus, gpu-hours, cost, reported-gpu-hours, reported-cost, "
		"hours-from-gpu-hours, implied-rate (reported cost / GPU-hours)"},
	{NULL}};

static int derive(void *ctx, const rf_claims_env *env, const rf_node *p, rf_derivation *out,
		  rf_buf *explain)
{
	const rf_manifest *ledger;
	const rf_node *stage;
	const char *sname, *q;
	int rc;
	(void)ctx;
	if ((rc = rf_env_manifest(&ledger, env, p, "ledger", "cost-ledger")))
		return rc;
	sname = rf_node_text(rf_node_get(p, "stage"));
	q = rf_node_text(rf_node_get(p, "quantity"));
	out->verdict = 0;
	if (!strcmp(q, "implied-rate"))
		return implied_rate(&out->figure, env, ledger, strcmp(sname, "total") ? sname : NULL,
				    rf_node_get(p, "stage"), explain);
	if (!strcmp(sname, "total")) {
		if (!strcmp(q, "gpu-hours") || !strcmp(q, "cost"))
			return rf_ledger_total(&out->figure, env, ledger, q, 0, explain);
		if (!strcmp(q, "reported-gpu-hours") || !strcmp(q, "reported-cost"))
			return rf_ledger_total(&out->figure, env, ledger, q + 9, 1, explain);
		return rf_node_error(RF_EFORMAT, rf_node_get(p, "quantity"), "from.quantity",
				     "for the total: gpu-hours, cost, reported-gpu-hours or reported-cost");
	}
	if (!(stage = rf_ledger_stage(ledger, sname)))
		return rf_node_error(RF_EFORMAT, rf_node_get(p, "stage"), "from.stage",
				     "no stage '%s' in the ledger", sname);
	if (!strcmp(q, "hours"))
		return rf_ledger_stage_hours(&out->figure, env, stage, explain);
	if (!strcmp(q, "gpus"))
		return stage_gpus(&out->figure, stage);
	if (!strcmp(q, "gpu-hours"))
		return rf_ledger_stage_gpu_hours(&out->figure, env, ledger, stage, 0, explain);
	if (!strcmp(q, "cost"))
		return rf_ledger_stage_cost(&out->figure, env, ledger, stage, 0, explain);
	if (!strcmp(q, "reported-gpu-hours") || !strcmp(q, "reported-cost")) {
		const rf_node *rep = rf_node_get(stage, q + 9);
		if (!rep)
			return rf_error_set(RF_ENOTFOUND, "stage '%s' reports no %s", sname, q + 9);
		if ((rc = rf_claims_env_figure(&out->figure, env, rep, q + 9,
						!strcmp(q, "reported-cost") ? "USD" : "GPU-hours", 0)))
			return rc;
		return rf_explain_figure(explain, q, &out->figure);
	}
	if (!strcmp(q, "hours-from-gpu-hours")) {
		/* wall-clock hours implied by the reported GPU-hours */
		const rf_node *rep = rf_node_get(stage, "gpu-hours");
		rf_figure gh, gpus;
		char label[160];
		if (!rep)
			return rf_error_set(RF_ENOTFOUND, "stage '%s' reports no GPU-hours", sname);
		if ((rc = rf_claims_env_figure(&gh, env, rep, "gpu-hours", "GPU-hours", 0)) ||
		    (rc = stage_gpus(&gpus, stage)))
			return rc;
		rf_explain_figure(explain, "reported GPU-hours", &gh);
		rf_figure_div(&out->figure, &gh, &gpus);
		snprintf(label, sizeof label, "%s: hours = GPU-hours / %.0f GPUs", sname, gpus.v.lo);
		return rf_explain_figure(explain, label, &out->figure);
	}
	return rf_node_error(RF_EFORMAT, rf_node_get(p, "quantity"), "from.quantity",
			     "unknown quantity \"%s\" (hours, gpus, gpu-hours, cost, reported-gpu-hours, "
			     "reported-cost, hours-from-gpu-hours)", q);
}

/* ------------------------------------------------------- ledger rows */

/* The quantities a ledger reports, per stage and in total.  A stage's
 * GPU-hours are a claim only when its hours give another way to them;
 * otherwise they are evidence. */
static const rf_reported_qty reported[] = {
	{"gpu-hours", "GPU-hours", rf_ledger_stage_gpu_hours, 1},
	{"cost", "USD", rf_ledger_stage_cost, 0},
};

/* Reported figures become rows of their own: each stage's, then each
 * total as the table's arithmetic (the stages as reported) and, where some
 * stage has evidence behind it, as the sum of the evidence. */
int rf_ledger_rows(rf_claims_env *env, const rf_manifest *m, const char *stem,
		   const rf_reported_qty *qty, size_t nq)
{
	const rf_node *root = rf_manifest_root(m);
	const rf_node *stages = rf_node_get(root, "stages"), *total = rf_node_get(root, "total");
	char id[512];
	int rc = 0, any_hours = 0;
	for (size_t i = 0; i < rf_node_size(stages) && !rc; i++) {
		const rf_node *s = rf_node_at(stages, i);
		any_hours |= rf_node_get(s, "hours") != NULL;
		for (size_t q = 0; q < nq && !rc; q++) {
			rf_derivation d = {0};
			rf_buf *ex;
			if (!rf_node_get(s, qty[q].key) || (qty[q].needs_hours && !rf_node_get(s, "hours")))
				continue;
			snprintf(id, sizeof id, "%s.%s.%s", stem, sid(s), qty[q].key);
			if ((rc = rf_env_row_begin(env, id, rf_node_get(s, qty[q].key),
						   rf_node_get(s, "source"), qty[q].key, qty[q].unit, &ex)))
				return rc;
			rc = qty[q].fn(&d.figure, env, m, s, 0, ex);
			rc = rf_env_row_end(env, rc, &d);
		}
	}
	for (size_t q = 0; q < nq && !rc; q++) {
		const rf_node *rep = rf_node_get(total, qty[q].key);
		for (int ev = 0; rep && ev < 2 && !rc; ev++) {
			rf_derivation d = {0};
			rf_buf *ex;
			if (ev && qty[q].needs_hours && !any_hours)
				continue;
			snprintf(id, sizeof id, "%s.total.%s%s", stem, qty[q].key,
				 ev ? ".from-evidence" : "");
			if ((rc = rf_env_row_begin(env, id, rep, rf_node_get(total, "source"),
						   qty[q].key, qty[q].unit, &ex)))
				return rc;
			rc = rf_ledger_sum(&d.figure, env, m, qty[q].fn, qty[q].key, !ev, ex);
			rc = rf_env_row_end(env, rc, &d);
		}
	}
	return rc;
}

static int ledger_rows(rf_claims_env *env, const rf_manifest *m, const char *stem)
{
	return rf_ledger_rows(env, m, stem, reported, sizeof reported / sizeof reported[0]);
}

const rf_source_def rf_source_ledger = {{"ledger", derive, NULL}, rf_source_ledger_fields,
					"cost-ledger", ledger_rows};
