/* JSON renderings of a re-score: one line per sample (the --samples file)
 * and the summary (--json).  Text from the input that is not valid UTF-8
 * cannot be a JSON string and is replaced by a marker, never dropped
 * silently. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "referee/error.h"
#include "referee/rescore.h"

static void set_text(json_t *j, const char *key, const char *s, size_t n)
{
	json_t *v = json_stringn(s ? s : "", s ? n : 0);
	json_object_set_new(j, key, v ? v : json_string("(not valid UTF-8)"));
}

static int dump(rf_buf *out, json_t *j, size_t flags)
{
	char *text = json_dumps(j, flags);
	int rc;
	json_decref(j);
	if (!text)
		return rf_error_set(RF_ENOMEM, "out of memory");
	rc = rf_buf_puts(out, text);
	free(text);
	return rc;
}

int rf_rescore_sample_json(rf_buf *out, const rf_rescore_sample *s)
{
	const rf_reward_verdict *v = s->verdict;
	json_t *j = json_object();
	if (!j)
		return rf_error_set(RF_ENOMEM, "out of memory");
	set_text(j, "id", s->id, strlen(s->id));
	json_object_set_new(j, "sample", json_integer((json_int_t)s->index));
	json_object_set_new(j, "line", json_integer((json_int_t)s->line));
	set_text(j, "answer", v->answer.data, v->answer.len);
	set_text(j, "normalised", v->normalised.data, v->normalised.len);
	set_text(j, "reference", s->reference, strlen(s->reference));
	set_text(j, "reference_normalised", s->reference_normalised,
		 strlen(s->reference_normalised));
	json_object_set_new(j, "reward", json_real(v->reward));
	json_object_set_new(j, "correct", json_boolean(v->correct));
	json_object_set_new(j, "majority", json_boolean(s->majority));
	set_text(j, "reason", v->reason, strlen(v->reason));
	if (s->note && s->note[0])
		set_text(j, "note", s->note, strlen(s->note));
	return dump(out, j, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

static json_t *metric_json(const rf_metric *m)
{
	json_t *j = json_object();
	json_object_set_new(
	    j, "value", isnan(m->value) ? json_null() : json_real(m->value));
	if (isnan(m->lo))
		json_object_set_new(j, "ci95", json_null());
	else
		json_object_set_new(j, "ci95",
				    json_pack("[f,f]", m->lo, m->hi));
	json_object_set_new(j, "problems",
			    json_integer((json_int_t)m->problems));
	return j;
}

int rf_rescore_summary_json(rf_buf *out, const rf_rescore_summary *s,
			    const char *rollouts, const char *reward)
{
	char key[64];
	json_t *j = json_object(), *m = json_object();
	if (!j || !m) {
		json_decref(j);
		json_decref(m);
		return rf_error_set(RF_ENOMEM, "out of memory");
	}
	set_text(j, "rollouts", rollouts, strlen(rollouts));
	set_text(j, "reward", reward, strlen(reward));
	set_text(j, "format", s->format, strlen(s->format));
	if (s->answers[0])
		set_text(j, "answers", s->answers, strlen(s->answers));
	json_object_set_new(j, "lines", json_integer((json_int_t)s->lines));
	json_object_set_new(j, "problems",
			    json_integer((json_int_t)s->problems));
	json_object_set_new(j, "samples", json_integer((json_int_t)s->samples));
	json_object_set_new(j, "samples_per_problem",
			    json_pack("{s:I,s:I}", "min", (json_int_t)s->n_min,
				      "max", (json_int_t)s->n_max));
	json_object_set_new(j, "k", json_integer((json_int_t)s->k));
	json_object_set_new(j, "short_problems",
			    json_integer((json_int_t)s->short_problems));
	json_object_set_new(j, "correct", json_integer((json_int_t)s->correct));
	json_object_set_new(j, "no_answer",
			    json_integer((json_int_t)s->no_answer));
	json_object_set_new(j, "truncated",
			    json_integer((json_int_t)s->truncated));
	json_object_set_new(j, "noted", json_integer((json_int_t)s->noted));
	json_object_set_new(j, "bootstrap",
			    json_pack("{s:i,s:I,s:f,s:s}", "replicates",
				      s->bootstrap, "seed", (json_int_t)s->seed,
				      "confidence", 0.95, "method",
				      "poisson, percentile, over problems"));
	json_object_set_new(m, "mean_reward", metric_json(&s->mean_reward));
	json_object_set_new(m, "pass@1", metric_json(&s->pass1));
	snprintf(key, sizeof key, "pass@%zu", s->k);
	json_object_set_new(m, key, metric_json(&s->pass_k));
	snprintf(key, sizeof key, "cons@%zu", s->k);
	json_object_set_new(m, key, metric_json(&s->cons_k));
	json_object_set_new(j, "metrics", m);
	return dump(out, j,
		    JSON_INDENT(2) | JSON_PRESERVE_ORDER |
			JSON_REAL_PRECISION(10));
}
