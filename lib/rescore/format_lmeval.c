/* lm-evaluation-harness `--log_samples` output (EleutherAI/
 * lm-evaluation-harness, lm_eval/evaluator.py and
 * loggers/evaluation_tracker.py, v0.4): `samples_<task>_<date>.jsonl`,
 * one document a line (per filter) with `doc_id`, `doc`, `target`,
 * `arguments`, `resps` (the raw generations: a list per request),
 * `filtered_resps`, `filter`, `metrics` (names), `doc_hash`,
 * `prompt_hash`, `target_hash` and each metric's value for the document
 * ("exact_match": 1.0).  The raw generations are re-scored against
 * `target`. */
#include <stdio.h>
#include <string.h>

#include "referee/error.h"
#include "rescore/format.h"

static int detect_lmeval(json_t *j)
{
	return json_object_get(j, "doc_id") && json_object_get(j, "resps") &&
	       json_object_get(j, "target") &&
	       json_object_get(j, "filtered_resps");
}

static int read_lmeval(json_t *root, const rf_rescore_fields *map,
		       struct rs_record *rec, char *err, size_t errlen)
{
	json_t *resps = json_object_get(root, "resps"), *all, *doc, *filter;
	char id[96];
	(void)map;
	/* a file logged with several filters holds each document once per
	 * filter (all documents of one filter, then the next): the filter is
	 * part of the problem id */
	doc = json_object_get(root, "doc_id");
	filter = json_object_get(root, "filter");
	if (json_is_integer(doc))
		snprintf(id, sizeof id, "%lld", (long long)json_integer_value(doc));
	else if (json_is_string(doc))
		snprintf(id, sizeof id, "%.60s", json_string_value(doc));
	else {
		snprintf(err, errlen, "'doc_id' is not a number or string");
		return RF_EFORMAT;
	}
	if (json_is_string(filter))
		snprintf(id + strlen(id), sizeof id - strlen(id), "/%.30s",
			 json_string_value(filter));
	snprintf(rec->id_field, sizeof rec->id_field, "doc_id");
	snprintf(rec->completion_field, sizeof rec->completion_field, "resps");
	if (!json_is_array(resps) || !json_array_size(resps)) {
		snprintf(err, errlen, "'resps' is not a list of requests");
		return RF_EFORMAT;
	}
	/* generate_until: one request with its repeats, [[r1, r2, ...]] */
	all = json_array();
	rec->keep = json_object();
	if (!all || !rec->keep || json_object_set_new(rec->keep, "c", all) ||
	    json_object_set_new(rec->keep, "id", json_string(id))) {
		snprintf(err, errlen, "out of memory");
		return RF_ENOMEM;
	}
	rec->id = json_object_get(rec->keep, "id");
	for (size_t i = 0; i < json_array_size(resps); i++) {
		json_t *r = json_array_get(resps, i);
		if (json_is_string(r)) {
			json_array_append(all, r);
			continue;
		}
		for (size_t j = 0; json_is_array(r) && j < json_array_size(r);
		     j++)
			json_array_append(all, json_array_get(r, j));
		if (!json_is_array(r)) {
			snprintf(err, errlen,
				 "'resps' item %zu is neither a generation nor "
				 "a list of them",
				 i);
			return RF_EFORMAT;
		}
	}
	rec->completions = all;
	rec->group = 1;
	rec->answer = json_object_get(root, "target");
	if (!rec->answer)
		snprintf(rec->no_answer, sizeof rec->no_answer, "no 'target'");
	return 0;
}

const struct rs_format rs_format_lmeval = {
    "lm-eval", "lm-evaluation-harness --log_samples (samples_<task>_*.jsonl)",
    detect_lmeval, read_lmeval};
