/* vLLM offline outputs (vllm.LLM.generate: RequestOutput, vllm/outputs.py)
 * dumped one a line: `request_id`, `prompt`, `outputs[]` with `index`,
 * `text`, `token_ids`, `finish_reason` ("stop" or "length"), plus the
 * script's own reference field (answer, gt, ...; --map answer=FIELD).  An
 * output whose finish_reason is "length" was cut off. */
#include <stdio.h>
#include <string.h>

#include "referee/error.h"
#include "rescore/format.h"

static int detect_vllm(json_t *j)
{
	json_t *o = json_object_get(j, "outputs");
	return json_is_array(o) && json_array_size(o) &&
	       json_is_object(json_array_get(o, 0)) &&
	       json_object_get(json_array_get(o, 0), "text");
}

static int read_vllm(json_t *root, const rf_rescore_fields *map,
		     struct rs_record *rec, char *err, size_t errlen)
{
	int rc = rs_read_choices(root, "outputs", "text", rec, err, errlen);
	if (rc)
		return rc;
	rec->id = json_object_get(root, "request_id");
	snprintf(rec->id_field, sizeof rec->id_field, "request_id");
	return rs_read_reference(root, map, rec);
}

const struct rs_format rs_format_vllm = {
    "vllm", "vLLM offline RequestOutput objects, one a line", detect_vllm,
    read_vllm};
