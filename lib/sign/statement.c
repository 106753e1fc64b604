/* in-toto Statement v1 (github.com/in-toto/attestation, spec v1): built
 * from a bag's subjects and predicate, and parsed back — only ever from
 * payload bytes whose signature has been verified. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "referee/error.h"
#include "referee/path.h"
#include "referee/sign.h"
#include "sign_internal.h"

struct rf_statement {
	rf_subject *subjects; /* sorted by name */
	size_t n;
	char *predicate_type;
	char *predicate;
};

int rf_sign_is_sha256_hex(const char *s)
{
	size_t i;
	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return i == 64;
}

static int cmp_subject(const void *a, const void *b)
{
	return strcmp(((const rf_subject *)a)->name, ((const rf_subject *)b)->name);
}

static int cmp_name_ptr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names must be unique: sort pointers and look at neighbours. */
static int check_unique(const rf_subject *s, size_t n, const char *what, int code)
{
	const char **names;
	int rc = 0;
	if (n < 2)
		return 0;
	if (!(names = malloc(n * sizeof *names)))
		return rf_error_set(RF_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		names[i] = s[i].name;
	qsort(names, n, sizeof *names, cmp_name_ptr);
	for (size_t i = 1; i < n; i++)
		if (!strcmp(names[i - 1], names[i])) {
			rc = rf_error_set(code, "%s: subject '%s' is listed twice",
					  what, names[i]);
			break;
		}
	free(names);
	return rc;
}

int rf_statement_build(rf_buf *out, const rf_subject *subjects, size_t n,
		       const char *predicate_type, const char *predicate_json)
{
	json_error_t jerr;
	json_t *root = NULL, *arr = NULL, *pred = NULL;
	char *s = NULL;
	int rc = 0;
	if (n == 0)
		return rf_error_set(RF_EINVAL, "a statement needs at least one subject");
	if (n > RF_STATEMENT_MAX_SUBJECTS)
		return rf_error_set(RF_ELIMIT, "more than %d subjects",
				    RF_STATEMENT_MAX_SUBJECTS);
	for (size_t i = 0; i < n; i++) {
		if ((rc = rf_path_check_relative(subjects[i].name, "subject")) != 0)
			return rc;
		if (!rf_sign_is_sha256_hex(subjects[i].sha256))
			return rf_error_set(RF_EINVAL, "subject '%s': bad sha256 digest",
					    subjects[i].name);
	}
	if ((rc = check_unique(subjects, n, "statement", RF_EINVAL)) != 0)
		return rc;
	pred = json_loads(predicate_json ? predicate_json : "{}",
			  JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(pred)) {
		json_decref(pred);
		return rf_error_set(RF_EINVAL, "predicate is not a JSON object");
	}
	root = json_object();
	arr = json_array();
	if (!root || !arr) {
		rc = rf_error_set(RF_ENOMEM, "out of memory");
		goto out;
	}
	json_object_set_new(root, "_type", json_string(RF_INTOTO_STATEMENT_V1));
	for (size_t i = 0; i < n; i++) {
		json_t *sub = json_object(), *dig = json_object();
		if (!sub || !dig || json_object_set_new(dig, "sha256",
							 json_string(subjects[i].sha256)) ||
		    json_object_set_new(sub, "name", json_string(subjects[i].name)) ||
		    json_object_set_new(sub, "digest", dig) ||
		    json_array_append_new(arr, sub)) {
			rc = rf_error_set(RF_EINVAL, "subject '%s' is not valid UTF-8",
					  subjects[i].name);
			goto out;
		}
	}
	json_object_set_new(root, "subject", arr);
	arr = NULL;
	json_object_set_new(root, "predicateType", json_string(predicate_type));
	json_object_set_new(root, "predicate", pred);
	pred = NULL;
	if (!(s = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER))) {
		rc = rf_error_set(RF_ENOMEM, "out of memory");
		goto out;
	}
	rc = rf_buf_puts(out, s);
out:
	free(s);
	json_decref(root);
	json_decref(arr);
	json_decref(pred);
	return rc;
}

void rf_statement_free(rf_statement *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->n; i++)
		free(st->subjects[i].name);
	free(st->subjects);
	free(st->predicate_type);
	free(st->predicate);
	free(st);
}

static int bad(const char *what, const char *why, const char *detail)
{
	return rf_error_set(RF_ECHECK, "%s: not an in-toto Statement v1: %s%s", what,
			    why, detail ? detail : "");
}

int rf_statement_parse(rf_statement **out, const char *json, size_t len,
		       const char *what)
{
	json_error_t jerr;
	json_t *root, *type, *subs, *ptype, *pred, *empty = NULL;
	rf_statement *st = NULL;
	int rc = 0;
	*out = NULL;
	what = what ? what : "statement";
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return rf_error_set(RF_ECHECK, "%s:%d:%d: %s", what, jerr.line,
				    jerr.column, jerr.text);
	type = json_object_get(root, "_type");
	subs = json_object_get(root, "subject");
	ptype = json_object_get(root, "predicateType");
	pred = json_object_get(root, "predicate");
	if (!json_is_string(type) ||
	    strcmp(json_string_value(type), RF_INTOTO_STATEMENT_V1)) {
		rc = bad(what, "_type is not ", RF_INTOTO_STATEMENT_V1);
		goto out;
	}
	if (!json_is_array(subs) || json_array_size(subs) == 0 ||
	    json_array_size(subs) > RF_STATEMENT_MAX_SUBJECTS) {
		rc = bad(what, "subject must be a non-empty array", NULL);
		goto out;
	}
	if (!json_is_string(ptype) || json_string_length(ptype) == 0) {
		rc = bad(what, "predicateType must be a string", NULL);
		goto out;
	}
	if (pred && !json_is_object(pred)) {
		rc = bad(what, "predicate must be an object", NULL);
		goto out;
	}
	if (!pred)
		pred = empty = json_object();
	if (!pred || !(st = calloc(1, sizeof *st)) ||
	    !(st->subjects = calloc(json_array_size(subs), sizeof *st->subjects)) ||
	    !(st->predicate_type = strdup(json_string_value(ptype))) ||
	    !(st->predicate = json_dumps(pred, JSON_COMPACT | JSON_SORT_KEYS))) {
		rc = rf_error_set(RF_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < json_array_size(subs); i++) {
		json_t *s = json_array_get(subs, i);
		json_t *name = json_object_get(s, "name");
		json_t *dig = json_object_get(s, "digest");
		json_t *sha = json_object_get(dig, "sha256");
		const char *nv;
		if (!json_is_string(name) ||
		    strlen(json_string_value(name)) != json_string_length(name)) {
			rc = bad(what, "a subject has no name", NULL);
			goto out;
		}
		nv = json_string_value(name);
		if (rf_path_check_relative(nv, "subject")) {
			rc = rf_error_set(RF_ECHECK, "%s: unsafe subject name '%s'",
					  what, nv);
			goto out;
		}
		if (!json_is_string(sha) ||
		    !rf_sign_is_sha256_hex(json_string_value(sha))) {
			rc = rf_error_set(RF_ECHECK,
					  "%s: subject '%s' has no sha256 digest",
					  what, nv);
			goto out;
		}
		if (!(st->subjects[i].name = strdup(nv))) {
			rc = rf_error_set(RF_ENOMEM, "out of memory");
			goto out;
		}
		memcpy(st->subjects[i].sha256, json_string_value(sha), 65);
		st->n++;
	}
	if ((rc = check_unique(st->subjects, st->n, what, RF_ECHECK)) != 0)
		goto out;
	qsort(st->subjects, st->n, sizeof *st->subjects, cmp_subject);
out:
	json_decref(root);
	json_decref(empty);
	if (rc) {
		rf_statement_free(st);
		return rc;
	}
	*out = st;
	return 0;
}

size_t rf_statement_subject_count(const rf_statement *st)
{
	return st->n;
}

const rf_subject *rf_statement_subject(const rf_statement *st, size_t i)
{
	return i < st->n ? &st->subjects[i] : NULL;
}

const rf_subject *rf_statement_find(const rf_statement *st, const char *name)
{
	rf_subject key = {(char *)name, ""};
	return bsearch(&key, st->subjects, st->n, sizeof key, cmp_subject);
}

const char *rf_statement_predicate_type(const rf_statement *st)
{
	return st->predicate_type;
}

const char *rf_statement_predicate(const rf_statement *st)
{
	return st->predicate;
}
