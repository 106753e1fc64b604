/* Outputs of the Qwen2.5-Math evaluation harness (QwenLM/Qwen2.5-Math,
 * evaluation/math_eval.py): one problem a line with `idx`, `question`,
 * `gt_cot`, `gt` (the reference as the harness parsed it), the dataset's
 * own fields (often `answer`), `code` (the k responses), `pred`, `report`
 * and `score` (the harness's verdicts).
 *
 * The harness's `gt` is sometimes garbled: empty, or a pmatrix whose row
 * separators were stripped, or text cut by its unit stripping ("4:30p..").
 * When the line also has the dataset's original `answer` and the two
 * disagree, the original is used and every sample says so. */
#include <stdio.h>
#include <string.h>

#include "referee/error.h"
#include "referee/reward.h"
#include "rescore/format.h"

static int detect_qwen(json_t *j)
{
	return json_is_array(json_object_get(j, "code")) &&
	       json_object_get(j, "gt") && json_object_get(j, "idx") &&
	       (json_object_get(j, "pred") || json_object_get(j, "score"));
}

/* Why a gt cannot be used as it is, or NULL. */
static const char *gt_unusable(const char *gt)
{
	const char *p;
	while (*gt == ' ')
		gt++;
	if (!*gt)
		return "empty";
	/* a matrix with more than one entry and no row separator left */
	if ((p = strstr(gt, "matrix}")) && strchr(p, '&') && !strstr(p, "\\\\"))
		return "a matrix whose row separators were stripped";
	return NULL;
}

static int read_qwen(json_t *root, const rf_rescore_fields *map,
		     struct rs_record *rec, char *err, size_t errlen)
{
	json_t *gt = json_object_get(root, "gt");
	json_t *orig = json_object_get(root, "answer");
	(void)map;
	rec->id = json_object_get(root, "idx");
	snprintf(rec->id_field, sizeof rec->id_field, "idx");
	rec->completions = json_object_get(root, "code");
	snprintf(rec->completion_field, sizeof rec->completion_field, "code");
	rec->group = 1;
	if (!json_is_array(rec->completions)) {
		snprintf(err, errlen, "'code' is not a list of responses");
		return RF_EFORMAT;
	}
	rec->answer = gt ? gt : orig;
	if (json_is_string(gt) && json_is_string(orig)) {
		const char *g = json_string_value(gt),
			   *o = json_string_value(orig), *why = gt_unusable(g);
		char tmp[8];
		int same = !why && rf_math_equal(g, o, tmp, sizeof tmp) == 1;
		rf_error_clear();
		if (!same) {
			rec->answer = orig;
			snprintf(rec->note, sizeof rec->note,
				 "harness gt '%.40s' %s the original answer "
				 "'%.40s': scored against the original",
				 g, why ? why : "differs from", o);
			if (why)
				snprintf(rec->note, sizeof rec->note,
					 "harness gt '%.40s' is %s: scored "
					 "against the original answer '%.40s'",
					 g, why, o);
		}
	} else if (json_is_string(gt) && gt_unusable(json_string_value(gt))) {
		snprintf(rec->note, sizeof rec->note,
			 "harness gt '%.40s' is %s and there is no original "
			 "answer",
			 json_string_value(gt),
			 gt_unusable(json_string_value(gt)));
	}
	if (!rec->answer)
		snprintf(rec->no_answer, sizeof rec->no_answer,
			 "no 'gt' (nor 'answer')");
	return 0;
}

const struct rs_format rs_format_qwen = {
    "qwen-math",
    "Qwen2.5-Math evaluation harness (evaluation/math_eval.py) outputs",
    detect_qwen, read_qwen};
