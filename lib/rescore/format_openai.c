/* OpenAI-style chat completion objects, one a line (what a generation
 * script gets from the Chat Completions API or an OpenAI-compatible server
 * such as vLLM's, dumped with json.dumps): `id`, `choices[]` with
 * `message.content` and `finish_reason`, and whatever the script added
 * beside them; the reference is found among the generic answer fields
 * (answer, gt, ...; --map answer=FIELD, dotted paths such as
 * metadata.answer).  A choice whose finish_reason is "length" was cut off. */
#include <stdio.h>
#include <string.h>

#include "referee/error.h"
#include "rescore/format.h"

static int detect_openai(json_t *j)
{
	json_t *c = json_object_get(j, "choices");
	return json_is_array(c) && json_array_size(c) &&
	       json_object_get(json_array_get(c, 0), "message");
}

int rs_read_reference(json_t *root, const rf_rescore_fields *map,
		      struct rs_record *rec)
{
	const char *const *names = rf_rescore_default_fields("answer");
	if (map->answer)
		rec->answer = rs_json_path(root, map->answer);
	for (int i = 0; !map->answer && names[i] && !rec->answer; i++)
		rec->answer = json_object_get(root, names[i]);
	if (!rec->answer)
		snprintf(rec->no_answer, sizeof rec->no_answer,
			 "no reference answer beside the outputs (%s; --map "
			 "answer=FIELD)",
			 map->answer ? map->answer : "answer, gt, ...");
	if (map->id)
		rec->id = rs_json_path(root, map->id);
	return 0;
}

int rs_read_choices(json_t *root, const char *list, const char *text,
		    struct rs_record *rec, char *err, size_t errlen)
{
	json_t *items = json_object_get(root, list), *c, *t;
	if (!json_is_array(items) || !json_array_size(items)) {
		snprintf(err, errlen, "'%s' is not a non-empty list", list);
		return RF_EFORMAT;
	}
	c = json_array();
	t = json_array();
	rec->keep = json_object();
	if (!c || !t || !rec->keep || json_object_set_new(rec->keep, "c", c) ||
	    json_object_set_new(rec->keep, "t", t)) {
		json_decref(c);
		json_decref(t);
		snprintf(err, errlen, "out of memory");
		return RF_ENOMEM;
	}
	for (size_t i = 0; i < json_array_size(items); i++) {
		json_t *it = json_array_get(items, i);
		json_t *s = rs_json_path(it, text);
		json_t *fr = json_object_get(it, "finish_reason");
		if (!json_is_string(s)) {
			snprintf(err, errlen, "%s[%zu].%s is not a string",
				 list, i, text);
			return RF_EFORMAT;
		}
		json_array_append(c, s);
		json_array_append_new(
		    t, json_boolean(json_is_string(fr) &&
				    !strcmp(json_string_value(fr), "length")));
	}
	rec->completions = c;
	rec->truncated = t;
	rec->group = 1;
	snprintf(rec->completion_field, sizeof rec->completion_field, "%s",
		 list);
	return 0;
}

static int read_openai(json_t *root, const rf_rescore_fields *map,
		       struct rs_record *rec, char *err, size_t errlen)
{
	int rc = rs_read_choices(root, "choices", "message.content", rec, err,
				 errlen);
	if (rc)
		return rc;
	rec->id = json_object_get(root, "id");
	snprintf(rec->id_field, sizeof rec->id_field, "id");
	return rs_read_reference(root, map, rec);
}

const struct rs_format rs_format_openai = {
    "openai-chat", "OpenAI-style chat completions, one object a line",
    detect_openai, read_openai};
