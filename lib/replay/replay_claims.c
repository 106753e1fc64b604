/* The `replay` derivation source for claims: a figure such as "held-out
 * accuracy after RL is 0.9" derived from a replay's summary.json or from an
 * evaluation row of its log.jsonl (the replay itself is confirmed by
 * `referee replay --check`). */
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
	{NULL}};

static int read_json(json_t **out, const char *dir, const char *name,
		     size_t max)
{
	rf_buf p = RF_BUF_INIT, b = RF_BUF_INIT;
	json_error_t jerr;
	int rc = rf_path_join(&p, dir, name);
	if (!rc && !rf_path_exists(p.data))
		rc = rf_error_set(RF_ENOTFOUND, "no '%s'", p.data);
	if (!rc)
		rc = rf_file_read(&b, p.data, max);
	if (!rc) {
		*out = json_loadb(b.data ? b.data : "", b.len, 0, &jerr);
		if (!*out)
			rc = rf_error_set(RF_EFORMAT, "'%s':%d:%d: %s", p.data,
					  jerr.line, jerr.column, jerr.text);
	}
	rf_buf_free(&p);
	rf_buf_free(&b);
	return rc;
}

static int summary_number(double *v, const char *dir, const char *key)
{
	json_t *o = NULL, *x;
	int rc = read_json(&o, dir, "summary.json", 1u << 20);
	if (rc)
		return rc;
	x = json_object_get(o, key);
	if (!json_is_number(x))
		rc = rf_error_set(RF_ENOTFOUND, "'%s/summary.json' has no number '%s'",
				  dir, key);
	else
		*v = json_number_value(x);
	json_decref(o);
	return rc;
}

/* The `metric` of the evaluation row of GRPO step `step` in log.jsonl. */
static int log_number(double *v, const char *dir, long step, const char *metric)
{
	rf_buf p = RF_BUF_INIT, b = RF_BUF_INIT;
	size_t pos = 0;
	int rc = rf_path_join(&p, dir, "log.jsonl");
	if (!rc && !rf_path_exists(p.data))
		rc = rf_error_set(RF_ENOTFOUND, "no '%s'", p.data);
	if (!rc)
		rc = rf_file_read(&b, p.data, 256u << 20);
	while (!rc && pos < b.len) {
		const char *s = b.data + pos, *nl = memchr(s, '\n', b.len - pos);
		size_t n = nl ? (size_t)(nl - s) : b.len - pos;
		json_t *o = json_loadb(s, n, 0, NULL), *x;
		pos += n + 1;
		if (!o)
			continue;
		if (json_is_string(json_object_get(o, "type")) &&
		    !strcmp(json_string_value(json_object_get(o, "type")), "eval") &&
		    json_integer_value(json_object_get(o, "step")) == step) {
			x = json_object_get(o, metric);
			if (json_is_number(x)) {
				*v = json_number_value(x);
				json_decref(o);
				goto out;
			}
			json_decref(o);
			rc = rf_error_set(RF_ENOTFOUND,
					  "'%s': the evaluation at step %ld has no '%s'",
					  p.data, step, metric);
			goto out;
		}
		json_decref(o);
	}
	if (!rc)
		rc = rf_error_set(RF_ENOTFOUND, "'%s' has no evaluation at step %ld",
				  p.data, step);
out:
	rf_buf_free(&p);
	rf_buf_free(&b);
	return rc;
}

static int derive(void *ctx, const rf_claims_env *env, const rf_node *params,
		  rf_derivation *out, rf_buf *explain)
{
	const char *rel = "replay", *metric = NULL;
	long long step = -1;
	rf_buf dir = RF_BUF_INIT;
	double v = NAN, a = NAN;
	int rc;
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
	if ((rc = rf_path_check_relative(rel, "from.dir")))
		return rf_node_error(RF_EFORMAT, rf_node_get(params, "dir"), "from.dir",
				     "%s", rf_error_last());
	if ((rc = rf_path_join(&dir, rf_claims_env_dir(env), rel)))
		return rc;
	if (!rf_path_exists(dir.data)) {
		rc = rf_error_set(RF_ENOTFOUND, "no replay at '%s'", dir.data);
		goto out;
	}
	if ((rc = rf_path_check_inside(rf_claims_env_dir(env), dir.data)))
		goto out;
	if (step >= 0) {
		rc = log_number(&v, dir.data, (long)step, metric);
		if (!rc)
			rf_buf_printf(explain, "%s/log.jsonl: evaluation at GRPO step %lld: "
				      "%s = %.9g\n", rel, step, metric, v);
	} else if (!strcmp(metric, "accuracy-final") ||
		   !strcmp(metric, "accuracy-after-warmstart") ||
		   !strcmp(metric, "eval-reward-final")) {
		const char *key = !strcmp(metric, "accuracy-final") ? "accuracy_final"
				  : !strcmp(metric, "eval-reward-final")
					  ? "eval_reward_final"
					  : "accuracy_after_warmstart";
		rc = summary_number(&v, dir.data, key);
		if (!rc)
			rf_buf_printf(explain, "%s/summary.json: %s = %.9g\n", rel, key, v);
	} else if (!strcmp(metric, "accuracy-gain")) {
		rc = summary_number(&v, dir.data, "accuracy_final");
		if (!rc)
			rc = summary_number(&a, dir.data, "accuracy_after_warmstart");
		if (!rc) {
			rf_buf_printf(explain,
				      "%s/summary.json: accuracy_final %.9g - "
				      "accuracy_after_warmstart %.9g = %.9g\n",
				      rel, v, a, v - a);
			v -= a;
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
	rf_buf_puts(explain, "(the replay itself is confirmed by "
			     "'referee replay --check')\n");
out:
	rf_buf_free(&dir);
	return rc;
}

static const rf_claims_source replay_source = {"replay", derive, NULL};

const rf_claims_source *rf_replay_claims_source(void)
{
	return &replay_source;
}
