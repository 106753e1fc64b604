/* The `replay` derivation source for claims: a figure such as "held-out
 * accuracy after RL is 0.9" derived from the evaluation rows of a replay's
 * log.jsonl, with its summary.json held to that log.  The claim is as good
 * as the log; `referee replay --check` re-runs the recipe to confirm it. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "referee/claims.h"
#include "referee/error.h"
#include "referee/file.h"
#include "referee/manifest.h"
#include "referee/path.h"
#include "referee/replay.h"
#include "replay_files.h"

static const rf_field from_fields[] = {
	{.name = "source", .type = RF_FIELD_STRING, .flags = RF_FIELD_REQUIRED,
	 .doc = "replay"},
	{.name = "dir", .type = RF_FIELD_STRING, .flags = RF_FIELD_NONEMPTY,
	 .doc = "the replay's directory, relative to the manifests (default replay)"},
	{.name = "metric", .type = RF_FIELD_STRING,
	 .flags = RF_FIELD_REQUIRED | RF_FIELD_NONEMPTY,
	 .doc = "accuracy-final, accuracy-after-warmstart, accuracy-gain, "
		"eval-reward-final; with step: a metric of that evaluation row"},
	{.name = "step", .type = RF_FIELD_INT, .flags = RF_FIELD_RANGE, .min = 0,
	 .max = 1e9, .doc = "read the evaluation row of this GRPO step"},
	{.name = "spot-check", .type = RF_FIELD_INT, .flags = RF_FIELD_RANGE,
	 .min = 1, .max = 1e6,
	 .doc = "re-run this many segments drawn at random from the replay's "
		"checkpoints (a seed from the OS) before the claim can hold"},
	{.name = "spot-budget", .type = RF_FIELD_FLOAT, .flags = RF_FIELD_RANGE,
	 .min = 1, .max = 1e6,
	 .doc = "seconds the spot-check may take (default 120)"},
	{NULL}};

/* The claim's spot-check: S drawn segments re-run from the checkpoints.
 * 0 with the verdict left to the figures when every drawn segment agrees,
 * else the verdict INCONSISTENT (a run that does not reproduce) or
 * UNVERIFIABLE (not all drawn segments could be re-run). */
static int spot(const char *dir, const char *rel, long long s, double budget,
		rf_derivation *out, rf_buf *explain)
{
	rf_replay_spot *sp = NULL;
	rf_replay_spot_options o;
	int rc;
	memset(&o, 0, sizeof o);
	o.segments = (int)s;
	o.budget_s = budget;
	if ((rc = rf_replay_spot_seed_random(&o.seed)) ||
	    (rc = rf_replay_spot_check(&sp, dir, &o)))
		return rc;
	rf_buf_printf(explain,
		      "%s: spot-checked %d of %d segments (seed %016llx, %.1f s)",
		      rel, sp->checked, sp->total, (unsigned long long)sp->seed,
		      sp->seconds);
	if (!sp->chain_ok) {
		rf_buf_printf(explain, ": %s\n", sp->chain_detail);
		out->verdict = RF_VERDICT_INCONSISTENT;
	} else if (sp->agreed < sp->checked) {
		for (size_t i = 0; i < sp->nseg; i++)
			if (sp->seg[i].status == RF_SEGMENT_DIFFERS) {
				rf_buf_printf(explain, ": segment %d differs: %s\n",
					      sp->seg[i].index, sp->seg[i].detail);
				break;
			}
		out->verdict = RF_VERDICT_INCONSISTENT;
	} else if (!sp->confirmed) {
		rf_buf_printf(explain,
			      ": %d drawn segments could not be re-run (not shipped "
			      "or past the time budget)\n",
			      sp->drawn - sp->checked);
		rc = rf_error_set(RF_ENOTFOUND,
				  "the spot-check re-ran %d of the %d segments drawn",
				  sp->checked, sp->drawn);
	} else {
		rf_buf_printf(explain,
			      ": every one agrees; a run with a fraction f faked "
			      "passes with probability at most (1-f)^%d\n",
			      sp->checked);
	}
	rf_replay_spot_free(sp);
	return rc;
}

/* The `metric` of the evaluation row of GRPO step `step`. */
static int log_number(double *v, const rf_replay_files *f, const char *rel,
		      long step, const char *metric)
{
	rf_jsonl r;
	json_t *o, *x;
	int rc = rf_replay_log_open(&r, f->dir);
	while (!rc || rc == 1) {
		if ((rc = rf_replay_log_next(&r, f->dir, &o)) != 1)
			break;
		if (strcmp(json_string_value(json_object_get(o, "type")), "eval") ||
		    json_integer_value(json_object_get(o, "step")) != step) {
			json_decref(o);
			continue;
		}
		x = json_object_get(o, metric);
		if (!json_is_number(x))
			rc = rf_error_set(RF_ENOTFOUND,
					  "'%s/log.jsonl':%ld: the evaluation at "
					  "step %ld has no number '%.40s'",
					  rel, r.line, step, metric);
		else
			*v = json_number_value(x);
		json_decref(o);
		rf_jsonl_close(&r);
		return rc == 1 ? 0 : rc;
	}
	/* rc: 0 at the end of the log, negative on an error */
	rf_jsonl_close(&r);
	if (rc)
		return rc;
	return rf_error_set(RF_ENOTFOUND, "'%s/log.jsonl' has no evaluation at step %ld",
			    rel, step);
}

static int derive(void *ctx, const rf_claims_env *env, const rf_node *params,
		  rf_derivation *out, rf_buf *explain)
{
	const char *rel = "replay", *metric = NULL;
	long long step = -1, nspot = 0;
	double budget = RF_REPLAY_SPOT_DEFAULT_BUDGET_S;
	rf_buf dir = RF_BUF_INIT;
	rf_replay_files f;
	char why[256];
	double v = NAN;
	int rc, loaded = 0;
	(void)ctx;
	if ((rc = rf_schema_check(params, from_fields, "from")))
		return rc;
	if (rf_node_get(params, "dir") &&
	    (rc = rf_node_get_string(&rel, params, "dir")))
		return rc;
	if ((rc = rf_node_get_string(&metric, params, "metric")))
		return rc;
	if (rf_node_get(params, "step") &&
	    (rc = rf_node_get_int(&step, params, "step")))
		return rc;
	if (rf_node_get(params, "spot-check") &&
	    (rc = rf_node_get_int(&nspot, params, "spot-check")))
		return rc;
	if (rf_node_get(params, "spot-budget") &&
	    (rc = rf_node_get_float(&budget, params, "spot-budget")))
		return rc;
	/* anywhere inside the payload, `..` included, never outside it */
	if ((rc = rf_claims_env_resolve(&dir, env, rel, "from.dir"))) {
		rf_buf_free(&dir);
		return rf_node_error(RF_EFORMAT, rf_node_get(params, "dir"), "from.dir",
				     "%s", rf_error_last());
	}
	if (!rf_path_exists(dir.data)) {
		rc = rf_error_set(RF_ENOTFOUND, "no replay at '%s'", dir.data);
		goto out;
	}
	if ((rc = rf_replay_files_load(&f, dir.data)))
		goto out;
	loaded = 1;
	if (step >= 0) {
		rc = log_number(&v, &f, rel, (long)step, metric);
		if (!rc)
			rf_buf_printf(explain, "%s/log.jsonl: evaluation at GRPO step %lld: "
				      "%s = %.9g\n", rel, step, metric, v);
	} else if (!strcmp(metric, "accuracy-final") ||
		   !strcmp(metric, "accuracy-after-warmstart") ||
		   !strcmp(metric, "eval-reward-final") ||
		   !strcmp(metric, "accuracy-gain")) {
		if (f.first_eval_step < 0) {
			rc = rf_error_set(RF_ENOTFOUND,
					  "'%s/log.jsonl' has no evaluation row", rel);
			goto out;
		}
		if (!strcmp(metric, "accuracy-final")) {
			v = f.last_accuracy;
			rf_buf_printf(explain,
				      "%s/log.jsonl: last evaluation (step %ld): "
				      "accuracy = %.9g\n",
				      rel, f.last_eval_step, v);
		} else if (!strcmp(metric, "eval-reward-final")) {
			v = f.last_reward;
			rf_buf_printf(explain,
				      "%s/log.jsonl: last evaluation (step %ld): "
				      "reward_mean = %.9g\n",
				      rel, f.last_eval_step, v);
		} else if (!strcmp(metric, "accuracy-after-warmstart")) {
			v = f.first_accuracy;
			rf_buf_printf(explain,
				      "%s/log.jsonl: first evaluation (step %ld): "
				      "accuracy = %.9g\n",
				      rel, f.first_eval_step, v);
		} else {
			v = f.last_accuracy - f.first_accuracy;
			rf_buf_printf(explain,
				      "%s/log.jsonl: accuracy at step %ld %.9g - at "
				      "step %ld %.9g = %.9g\n",
				      rel, f.last_eval_step, f.last_accuracy,
				      f.first_eval_step, f.first_accuracy, v);
		}
	} else {
		rc = rf_node_error(RF_EFORMAT, rf_node_get(params, "metric"),
				   "from.metric",
				   "unknown replay metric \"%.40s\" (accuracy-final, "
				   "accuracy-after-warmstart, accuracy-gain, "
				   "eval-reward-final, or a log metric with step:)",
				   metric);
	}
	if (rc)
		goto out;
	memset(out, 0, sizeof *out);
	if ((rc = rf_unit_parse(&out->figure.unit, "")))
		goto out;
	out->figure.v = rf_interval_point(v);
	out->figure.stated = out->figure.v;
	out->figure.flags = RF_FIGURE_EXACT;
	out->verdict = 0;
	if (rf_replay_files_inconsistent(&f, why, sizeof why)) {
		/* a summary that disagrees with its own log: the author's
		 * figures contradict each other, whatever the claim says */
		rf_buf_printf(explain, "%s: %s\n", rel, why);
		out->verdict = RF_VERDICT_INCONSISTENT;
		goto out;
	}
	rf_buf_printf(explain,
		      "%s/summary.json agrees with its log (log_sha256, accuracies, "
		      "final reward, steps)\n",
		      rel);
	if (nspot > 0)
		rc = spot(dir.data, rel, nspot, budget, out, explain);
	else
		rf_buf_printf(explain,
			      "(as good as the log: 'referee replay --check' re-runs "
			      "the recipe to confirm it)\n");
out:
	if (loaded)
		rf_replay_files_free(&f);
	rf_buf_free(&dir);
	return rc;
}

static const rf_claims_source replay_source = {"replay", derive, NULL};

const rf_claims_source *rf_replay_claims_source(void)
{
	return &replay_source;
}
