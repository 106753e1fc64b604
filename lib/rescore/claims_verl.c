/* The `verl-log` derivation source: a verl run's logged reward statistics
 * against its own rollouts, re-scored.  verl's file logger
 * (verl/utils/tracking.py, FileLogger) appends one line a step,
 * {"step": N, "data": {"critic/score/mean": ..., ...}}; its rollout dumps
 * (trainer.rollout_data_dir) hold <dir>/<N>.jsonl.  Every logged step that
 * has a dump is re-scored; a step whose logged figure differs from the
 * re-scored one makes the claim INCONSISTENT, naming the steps.  The
 * derived figure is the re-scored one at `step` (default: the last step
 * compared):
 *
 *   from: {source: verl-log, log: metrics.jsonl, rollouts: rollout_dir,
 *          reward: math, metric: critic/score/mean | max | min, step: 2,
 *          tolerance: 1e-6}
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "referee/error.h"
#include "referee/file.h"
#include "referee/path.h"
#include "referee/rescore.h"
#include "rescore/claims_files.h"

static const rf_field params[] = {
    {.name = "source", .type = RF_FIELD_STRING, .flags = RF_FIELD_REQUIRED},
    {.name = "log",
     .type = RF_FIELD_STRING,
     .flags = RF_FIELD_REQUIRED | RF_FIELD_NONEMPTY,
     .doc = "verl file-logger JSON Lines ({step, data})"},
    {.name = "rollouts",
     .type = RF_FIELD_STRING,
     .flags = RF_FIELD_REQUIRED | RF_FIELD_NONEMPTY,
     .doc = "rollout dump directory (<step>.jsonl)"},
    {.name = "reward",
     .type = RF_FIELD_STRING,
     .flags = RF_FIELD_NONEMPTY,
     .doc = "reward spec (default math)"},
    {.name = "extract",
     .type = RF_FIELD_STRING,
     .flags = RF_FIELD_NONEMPTY,
     .doc = "math answer extraction (boxed-only, harness, ...)"},
    {.name = "metric",
     .type = RF_FIELD_STRING,
     .flags = RF_FIELD_NONEMPTY,
     .doc = "logged key (default critic/score/mean; .../max, .../min)"},
    {.name = "step",
     .type = RF_FIELD_INT,
     .flags = RF_FIELD_RANGE,
     .min = 0,
     .max = 100000000,
     .doc = "the step the claim is about (default: the last compared)"},
    {.name = "tolerance",
     .type = RF_FIELD_STRING,
     .flags = RF_FIELD_NONEMPTY,
     .doc = "largest difference accepted (default 1e-6)"},
    {NULL}};

/* Sum, count, max and min of the rewards of a step's samples. */
struct stats {
	double sum, max, min;
	size_t n;
};

static int add_sample(void *ctx, const rf_rescore_sample *s)
{
	struct stats *st = ctx;
	double r = s->verdict->reward;
	st->max = st->n ? fmax(st->max, r) : r;
	st->min = st->n ? fmin(st->min, r) : r;
	st->sum += r;
	st->n++;
	return 0;
}

static int derive(void *ctx, const rf_claims_env *env, const rf_node *p,
		  rf_derivation *out, rf_buf *explain)
{
	const char *metric = rs_claims_text(p, "metric", "critic/score/mean");
	const char *extract = rs_claims_text(p, "extract", NULL);
	const char *slash = strrchr(metric, '/');
	const char *kind = slash ? slash + 1 : metric;
	rf_buf log = RF_BUF_INIT, dir = RF_BUF_INIT, file = RF_BUF_INIT;
	rf_buf bad = RF_BUF_INIT;
	rf_reward *rw = NULL;
	long long want_step = -1;
	double tol = 1e-6, derived = NAN;
	long long derived_step = -1;
	size_t compared = 0, mismatched = 0, lineno = 0;
	char *save = NULL;
	int rc;
	(void)ctx;
	if ((rc = rf_schema_check(p, params, "from")) != 0)
		return rc;
	if (strcmp(kind, "mean") && strcmp(kind, "max") && strcmp(kind, "min"))
		return rf_node_error(RF_EFORMAT, rf_node_get(p, "metric"),
				     "from.metric",
				     "expected a logged mean, max or min "
				     "(critic/score/mean), got \"%.60s\"",
				     metric);
	if (rf_node_get(p, "step") &&
	    rf_node_get_int(&want_step, p, "step"))
		return rf_error_last_code();
	if (rf_node_get(p, "tolerance")) {
		char *end;
		tol = strtod(rs_claims_text(p, "tolerance", ""), &end);
		if (*end || !(tol >= 0))
			return rf_node_error(RF_EFORMAT,
					     rf_node_get(p, "tolerance"),
					     "from.tolerance",
					     "expected a non-negative number");
	}
	if ((rc = rf_reward_new(&rw, rs_claims_text(p, "reward", "math"))) != 0)
		return rf_node_error(RF_EFORMAT, rf_node_get(p, "reward"),
				     "from.reward", "%s", rf_error_last());
	if (extract && (rc = rf_reward_set(rw, "extract", extract)) != 0) {
		rc = rf_node_error(RF_EFORMAT, rf_node_get(p, "extract"),
				   "from.extract", "%s", rf_error_last());
		goto out;
	}
	if ((rc = rs_claims_path(&log, env, p, "log")) != 0 ||
	    (rc = rs_claims_path(&dir, env, p, "rollouts")) != 0)
		goto out;
	{
		rf_buf text = RF_BUF_INIT;
		if ((rc = rf_file_read(&text, log.data, (size_t)64 << 20)) != 0)
			goto out;
		rf_buf_free(&log);
		log = text;
	}
	for (char *line = strtok_r(log.data, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		json_error_t je;
		json_t *j = json_loads(line, 0, &je), *data, *v, *stepv;
		rf_rescore_opts o;
		rf_rescore_summary s;
		struct stats st = {0, 0, 0, 0};
		char name[48];
		lineno++;
		if (!j) {
			rc = rf_error_set(RF_EFORMAT,
					  "verl log line %zu: not JSON: %s",
					  lineno, je.text);
			goto out;
		}
		stepv = json_object_get(j, "step");
		data = json_object_get(j, "data");
		v = json_object_get(data, metric);
		if (!json_is_integer(stepv) || !json_is_number(v)) {
			json_decref(j);
			continue; /* a line without this metric */
		}
		long long step = json_integer_value(stepv);
		double logged = json_number_value(v);
		json_decref(j);
		snprintf(name, sizeof name, "%lld.jsonl", step);
		rf_buf_clear(&file);
		if ((rc = rf_path_join(&file, dir.data, name)) != 0)
			goto out;
		if (!rf_path_exists(file.data))
			continue; /* steps without a dump cannot be compared */
		memset(&o, 0, sizeof o);
		o.reward = rw;
		o.format = "verl";
		o.bootstrap = -1;
		o.on_sample = add_sample;
		o.ctx = &st;
		if ((rc = rf_rescore_file(&s, file.data, &o)) != 0)
			goto out;
		double got = !strcmp(kind, "mean")  ? st.sum / (double)st.n
			     : !strcmp(kind, "max") ? st.max
						    : st.min;
		compared++;
		if (explain)
			rf_buf_printf(explain,
				      "step %lld: logged %s = %.6g, re-scored "
				      "%zu rollouts with %s: %.6g\n",
				      step, metric, logged, st.n,
				      rf_reward_spec(rw), got);
		if (fabs(got - logged) > tol) {
			mismatched++;
			rf_buf_printf(&bad, "%s%lld (logged %.6g, re-scored %.6g)",
				      bad.len ? ", " : "", step, logged, got);
		}
		if (want_step < 0 || step == want_step) {
			derived = got;
			derived_step = step;
		}
	}
	if (!compared) {
		rc = rf_error_set(RF_ENOTFOUND,
				  "no logged step of %s has a rollout dump",
				  metric);
		goto out;
	}
	if (want_step >= 0 && derived_step != want_step) {
		rc = rf_error_set(RF_ENOTFOUND,
				  "step %lld is not logged with a rollout dump",
				  want_step);
		goto out;
	}
	if ((rc = rs_claims_figure(out, derived, "")) != 0)
		goto out;
	if (explain)
		rf_buf_printf(explain, "derived: step %lld, %s = %.6g\n",
			      derived_step, metric, derived);
	/* last: the check shows the last line as the reason */
	if (mismatched) {
		out->verdict = RF_VERDICT_INCONSISTENT;
		if (explain)
			rf_buf_printf(explain,
				      "%zu of %zu logged steps differ from "
				      "their re-scored rollouts: step %s\n",
				      mismatched, compared, bad.data);
	}
out:
	rf_reward_free(rw);
	rf_buf_free(&log);
	rf_buf_free(&dir);
	rf_buf_free(&file);
	rf_buf_free(&bad);
	return rc;
}

static const rf_claims_source source = {"verl-log", derive, NULL};

const rf_claims_source *rf_rescore_verl_log_source(void)
{
	return &source;
}
