/* The `lm-eval` derivation source: a task's figure in an
 * lm-evaluation-harness results file against the samples it logged
 * (--log_samples).  The harness's per-document metric values in
 * samples_<task>_*.jsonl are averaged for the filter; a results file whose
 * "<metric>,<filter>" differs from that mean makes the claim INCONSISTENT.
 * With `rescore:` the raw generations are also re-scored with referee's
 * reward, and that becomes the derived figure (the harness's own grading
 * is then only compared):
 *
 *   from: {source: lm-eval, samples: samples_minerva_math_algebra_X.jsonl,
 *          results: results_X.json, task: minerva_math_algebra,
 *          metric: exact_match, filter: none, rescore: math}
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "referee/error.h"
#include "referee/file.h"
#include "referee/rescore.h"
#include "rescore/claims_files.h"

static const rf_field params[] = {
    {.name = "source", .type = RF_FIELD_STRING, .flags = RF_FIELD_REQUIRED},
    {.name = "samples",
     .type = RF_FIELD_STRING,
     .flags = RF_FIELD_REQUIRED | RF_FIELD_NONEMPTY,
     .doc = "samples_<task>_<date>.jsonl written by --log_samples"},
    {.name = "results",
     .type = RF_FIELD_STRING,
     .flags = RF_FIELD_NONEMPTY,
     .doc = "results_<date>.json to check against the samples"},
    {.name = "task",
     .type = RF_FIELD_STRING,
     .flags = RF_FIELD_REQUIRED | RF_FIELD_NONEMPTY,
     .doc = "task name, as a key of the results file's results"},
    {.name = "metric",
     .type = RF_FIELD_STRING,
     .flags = RF_FIELD_NONEMPTY,
     .doc = "per-sample metric (default exact_match)"},
    {.name = "filter",
     .type = RF_FIELD_STRING,
     .flags = RF_FIELD_NONEMPTY,
     .doc = "filter name (default none)"},
    {.name = "rescore",
     .type = RF_FIELD_STRING,
     .flags = RF_FIELD_NONEMPTY,
     .doc = "re-score the generations with this reward (math)"},
    {.name = "extract",
     .type = RF_FIELD_STRING,
     .flags = RF_FIELD_NONEMPTY,
     .doc = "math answer extraction for rescore (boxed-only, harness)"},
    {NULL}};

/* Mean of the harness's per-document metric over the filter's lines. */
static int samples_mean(const char *path, const char *metric,
			const char *filter, double *mean, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t len;
	double sum = 0;
	int rc = 0;
	*n = 0;
	if (!f)
		return rf_error_set(RF_EIO, "cannot open '%s'", path);
	while ((len = getline(&line, &cap, f)) > 0) {
		json_error_t je;
		json_t *j, *fl, *v;
		lineno++;
		if (len == 1 && line[0] == '\n')
			continue;
		j = json_loadb(line, (size_t)len, 0, &je);
		if (!j) {
			rc = rf_error_set(RF_EFORMAT, "'%s' line %zu: not JSON: %s",
					  path, lineno, je.text);
			break;
		}
		fl = json_object_get(j, "filter");
		v = json_object_get(j, metric);
		if (!json_is_string(fl) || !strcmp(json_string_value(fl), filter)) {
			if (!json_is_number(v) && !json_is_boolean(v)) {
				json_decref(j);
				rc = rf_error_set(RF_EFORMAT,
						  "'%s' line %zu: no value of "
						  "'%s'",
						  path, lineno, metric);
				break;
			}
			sum += json_is_boolean(v) ? json_is_true(v)
						  : json_number_value(v);
			(*n)++;
		}
		json_decref(j);
	}
	free(line);
	fclose(f);
	if (!rc && !*n)
		rc = rf_error_set(RF_ENOTFOUND, "no sample with filter '%s'",
				  filter);
	*mean = *n ? sum / (double)*n : NAN;
	return rc;
}

static int derive(void *ctx, const rf_claims_env *env, const rf_node *p,
		  rf_derivation *out, rf_buf *explain)
{
	const char *task = rs_claims_text(p, "task", "");
	const char *metric = rs_claims_text(p, "metric", "exact_match");
	const char *filter = rs_claims_text(p, "filter", "none");
	const char *spec = rs_claims_text(p, "rescore", NULL);
	const char *extract = rs_claims_text(p, "extract", NULL);
	rf_buf samples = RF_BUF_INIT, results = RF_BUF_INIT, key = RF_BUF_INIT;
	rf_reward *rw = NULL;
	double mean, derived, reported = NAN;
	size_t n;
	int rc, inconsistent = 0;
	(void)ctx;
	if ((rc = rf_schema_check(p, params, "from")) != 0)
		return rc;
	if ((rc = rs_claims_path(&samples, env, p, "samples")) != 0)
		goto out;
	if ((rc = samples_mean(samples.data, metric, filter, &mean, &n)) != 0)
		goto out;
	derived = mean;
	if (explain)
		rf_buf_printf(explain,
			      "samples: %zu documents (filter %s), mean %s = "
			      "%.6g\n",
			      n, filter, metric, mean);
	if (rf_node_get(p, "results")) {
		json_error_t je;
		json_t *j, *v;
		if ((rc = rs_claims_path(&results, env, p, "results")) != 0)
			goto out;
		j = json_load_file(results.data, 0, &je);
		if (!j) {
			rc = rf_error_set(RF_EFORMAT, "results: %s line %d: %s",
					  rs_claims_text(p, "results", ""), je.line,
					  je.text);
			goto out;
		}
		rf_buf_printf(&key, "%s,%s", metric, filter);
		v = json_object_get(
		    json_object_get(json_object_get(j, "results"), task),
		    key.data);
		if (json_is_number(v))
			reported = json_number_value(v);
		json_decref(j);
		if (isnan(reported)) {
			rc = rf_error_set(RF_ENOTFOUND,
					  "results file has no \"%s\" for "
					  "task '%s'",
					  key.data, task);
			goto out;
		}
		inconsistent = fabs(reported - mean) > 1e-9;
	}
	if (spec) {
		rf_rescore_opts o;
		rf_rescore_summary s;
		if ((rc = rf_reward_new(&rw, spec)) != 0) {
			rc = rf_node_error(RF_EFORMAT, rf_node_get(p, "rescore"),
					   "from.rescore", "%s", rf_error_last());
			goto out;
		}
		if (extract && (rc = rf_reward_set(rw, "extract", extract))) {
			rc = rf_node_error(RF_EFORMAT, rf_node_get(p, "extract"),
					   "from.extract", "%s", rf_error_last());
			goto out;
		}
		memset(&o, 0, sizeof o);
		o.reward = rw;
		o.format = "lm-eval";
		o.bootstrap = -1;
		if ((rc = rf_rescore_file(&s, samples.data, &o)) != 0)
			goto out;
		derived = s.pass1.value;
		if (explain)
			rf_buf_printf(explain,
				      "re-scored with %s (answers: %s): %zu of "
				      "%zu generations correct, pass@1 = %.6g "
				      "(the harness: %.6g)\n",
				      rf_reward_spec(rw), s.answers, s.correct,
				      s.samples, derived, mean);
	}
	if ((rc = rs_claims_figure(out, derived * 100, "%")) != 0)
		goto out;
	/* last: the check shows the last line as the reason */
	if (explain && !isnan(reported))
		rf_buf_printf(explain, "results file: \"%s\" = %.6g%s\n",
			      key.data, reported,
			      inconsistent ? ": not the mean of its samples"
					   : ", the mean of its samples");
	if (inconsistent)
		out->verdict = RF_VERDICT_INCONSISTENT;
out:
	rf_reward_free(rw);
	rf_buf_free(&samples);
	rf_buf_free(&results);
	rf_buf_free(&key);
	return rc;
}

static const rf_claims_source source = {"lm-eval", derive, NULL};

const rf_claims_source *rf_rescore_lmeval_source(void)
{
	return &source;
}
