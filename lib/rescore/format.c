/* The registry of rescore's input formats, detection from the first line,
 * and helpers the readers share. */
#include <stdio.h>
#include <string.h>

#include "rescore/format.h"

static const struct rs_format *const formats[] = {
    &rs_format_jsonl,  &rs_format_qwen,   &rs_format_verl,
    &rs_format_lmeval, &rs_format_openai, &rs_format_vllm, NULL};

const struct rs_format *rs_format_find(const char *name)
{
	for (int i = 0; formats[i]; i++)
		if (!strcmp(formats[i]->name, name))
			return formats[i];
	return NULL;
}

const struct rs_format *rs_format_detect(json_t *first, char *err,
					 size_t errlen)
{
	const struct rs_format *hit = NULL;
	size_t n = 0;
	char names[128] = "";
	for (int i = 0; formats[i]; i++) {
		if (!formats[i]->detect || !formats[i]->detect(first))
			continue;
		n += (size_t)snprintf(names + strlen(names),
				      sizeof names - strlen(names), "%s%s",
				      hit ? ", " : "", formats[i]->name);
		hit = formats[i];
	}
	if (n && hit && strchr(names, ',')) {
		snprintf(err, errlen,
			 "the first line fits several formats (%s): give "
			 "--format",
			 names);
		return NULL;
	}
	return hit ? hit : &rs_format_jsonl;
}

const char *const *rf_rescore_format_names(void)
{
	static const char *names[8];
	int i = 0;
	for (; formats[i] && i < 7; i++)
		names[i] = formats[i]->name;
	names[i] = NULL;
	return names;
}

const char *rf_rescore_format_tool(const char *name)
{
	const struct rs_format *f = rs_format_find(name);
	return f ? f->tool : NULL;
}

json_t *rs_json_path(json_t *obj, const char *path)
{
	char part[128];
	const char *p = path;
	while (obj && *p) {
		size_t n = strcspn(p, ".");
		if (n >= sizeof part || !json_is_object(obj))
			return NULL;
		memcpy(part, p, n);
		part[n] = '\0';
		obj = json_object_get(obj, part);
		p += n;
		if (*p == '.')
			p++;
	}
	return obj;
}

void rs_record_clear(struct rs_record *rec)
{
	json_decref(rec->keep);
	memset(rec, 0, sizeof *rec);
}
