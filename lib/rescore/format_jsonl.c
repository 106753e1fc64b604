/* The generic JSON Lines reader: field names found among common defaults
 * or mapped with --map (dotted paths allowed).  Any tool whose output has
 * one problem (or one completion) per line reads this way. */
#include <stdio.h>
#include <string.h>

#include "referee/error.h"
#include "rescore/format.h"

static const char *const def_id[] = {
    "idx", "id", "problem_id", "question_id", "unique_id", "task_id", NULL};
static const char *const def_completion[] = {
    "completions", "responses", "outputs",     "code",	     "completion",
    "response",	   "output",	"generations", "generation", NULL};
static const char *const def_answer[] = {"answer",    "gt",	"ground_truth",
					 "reference", "target", "final_answer",
					 "solution",  NULL};
static const char *const def_numbers[] = {"nums", "numbers", NULL};

const char *const *rf_rescore_default_fields(const char *field)
{
	if (!field)
		return NULL;
	if (!strcmp(field, "id"))
		return def_id;
	if (!strcmp(field, "completion"))
		return def_completion;
	if (!strcmp(field, "answer"))
		return def_answer;
	if (!strcmp(field, "numbers"))
		return def_numbers;
	return NULL;
}

static json_t *get_field(json_t *obj, const char *mapped,
			 const char *const *defaults, char *used, size_t cap)
{
	used[0] = '\0';
	if (mapped) {
		snprintf(used, cap, "%s", mapped);
		return rs_json_path(obj, mapped);
	}
	for (int i = 0; defaults[i]; i++) {
		json_t *v = json_object_get(obj, defaults[i]);
		if (v && !json_is_null(v)) {
			snprintf(used, cap, "%s", defaults[i]);
			return v;
		}
	}
	return NULL;
}

static void join_names(char *out, size_t cap, const char *const *names)
{
	size_t n = 0;
	out[0] = '\0';
	for (int i = 0; names[i] && n + 1 < cap; i++)
		n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? ", " : "",
				      names[i]);
}

static int read_jsonl(json_t *root, const rf_rescore_fields *map,
		      struct rs_record *rec, char *err, size_t errlen)
{
	char used[32], names[256];
	rec->completions = get_field(root, map->completion, def_completion,
				     rec->completion_field,
				     sizeof rec->completion_field);
	if (!rec->completions) {
		join_names(names, sizeof names, def_completion);
		snprintf(err, errlen, "no completion field (%s%s)",
			 map->completion ? map->completion : "tried ",
			 map->completion ? "" : names);
		return RF_EFORMAT;
	}
	rec->group = json_is_array(rec->completions);
	rec->id = get_field(root, map->id, def_id, rec->id_field,
			    sizeof rec->id_field);
	if (!rec->id && map->id) {
		snprintf(err, errlen, "no id field '%s'", map->id);
		return RF_EFORMAT;
	}
	rec->answer = get_field(root, map->answer, def_answer, used,
				sizeof used);
	if (!rec->answer) {
		join_names(names, sizeof names, def_answer);
		snprintf(rec->no_answer, sizeof rec->no_answer,
			 "no reference answer field (%s%s)",
			 map->answer ? map->answer : "tried ",
			 map->answer ? "" : names);
	}
	rec->numbers = get_field(root, map->numbers, def_numbers, used,
				 sizeof used);
	return 0;
}

const struct rs_format rs_format_jsonl = {
    "jsonl", "any JSON Lines: fields found by name (--map)", NULL,
    read_jsonl};
