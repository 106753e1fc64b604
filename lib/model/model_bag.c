/* A model recorded in a bag by its OpenSSF Model Signing statement
 * (pack --model): the tag file referee/model.json, the attestation subject
 * "model/<name>" whose sha256 is the model's OMS digest, and checking a
 * model folder against the record. */
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"
#include "referee/error.h"
#include "referee/path.h"

int rf_model_is_subject(const char *name)
{
	return !strncmp(name, RF_MODEL_SUBJECT_PREFIX,
			strlen(RF_MODEL_SUBJECT_PREFIX));
}

int rf_model_bag_record(const char *bag_dir, const rf_model *m)
{
	rf_buf st = RF_BUF_INIT;
	int rc = model_statement_json(&st, m);
	if (!rc)
		rc = rf_buf_puts(&st, "\n");
	if (!rc)
		rc = rf_bag_write_tag_file(bag_dir, RF_MODEL_BAG_FILE, st.data, st.len);
	rf_buf_free(&st);
	return rc;
}

/* Read and parse the record; 1 when present. */
static int read_record(rf_model **m, rf_model_result *res, rf_buf *text,
		       const rf_bag *bag)
{
	int rc = rf_bag_read_tag_file(text, bag, RF_MODEL_BAG_FILE, RF_MODEL_SIG_MAX);
	*m = NULL;
	if (rc == RF_ENOTFOUND) {
		rf_error_clear();
		return 0;
	}
	if (rc)
		return rc;
	if (!(*m = calloc(1, sizeof **m)))
		return rf_error_set(RF_ENOMEM, "out of memory");
	if ((rc = model_parse_statement(*m, res, text, RF_MODEL_BAG_FILE)) != 0) {
		rf_model_free(*m);
		*m = NULL;
		return rc;
	}
	return 1;
}

int rf_model_bag_subject(char **name, char sha256[65], const rf_bag *bag)
{
	rf_buf text = RF_BUF_INIT, n = RF_BUF_INIT;
	rf_model_result res;
	rf_model *m = NULL;
	int rc;
	*name = NULL;
	memset(&res, 0, sizeof res);
	rc = read_record(&m, &res, &text, bag);
	if (rc == 1) {
		rc = rf_buf_printf(&n, "%s%s", RF_MODEL_SUBJECT_PREFIX, res.name);
		if (!rc && rf_path_check_relative(n.data, RF_MODEL_BAG_FILE) != 0)
			rc = rf_error_set(RF_ECHECK,
					  "%s: the model name '%s' cannot name a subject",
					  RF_MODEL_BAG_FILE, res.name);
		if (!rc) {
			memcpy(sha256, res.digest, 65);
			*name = rf_buf_detach(&n);
			rc = 1;
		}
	}
	rf_buf_free(&n);
	rf_buf_free(&text);
	rf_model_result_free(&res);
	rf_model_free(m);
	return rc;
}

int rf_model_bag_check_subjects(const rf_bag *bag, const rf_statement *st)
{
	char *name = NULL, sha[65];
	size_t models = 0;
	const rf_subject *s = NULL;
	int rc = rf_model_bag_subject(&name, sha, bag);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < rf_statement_subject_count(st); i++)
		if (rf_model_is_subject(rf_statement_subject(st, i)->name)) {
			s = rf_statement_subject(st, i);
			models++;
		}
	if (rc == 0 && models)
		return rf_error_set(RF_ECHECK,
				    "signed subject '%s' names a model, but the bag has "
				    "no %s", s->name, RF_MODEL_BAG_FILE);
	if (rc == 1) {
		if (models != 1 || strcmp(s->name, name))
			rc = rf_error_set(RF_ECHECK,
					  "%s records model '%s', which is not a signed "
					  "subject", RF_MODEL_BAG_FILE, name);
		else if (strcmp(s->sha256, sha))
			rc = rf_error_set(RF_ECHECK,
					  "%s: model digest %.16s... differs from the "
					  "signed subject's %.16s...", RF_MODEL_BAG_FILE, sha,
					  s->sha256);
		else
			rc = 0;
	}
	free(name);
	return rc;
}

int rf_model_bag_verify(rf_model_result *res, const rf_bag *bag,
			const char *model_dir, const rf_model_verify_opts *opts)
{
	rf_buf text = RF_BUF_INIT;
	rf_model_result tmp;
	rf_model *m = NULL;
	int rc;
	memset(res, 0, sizeof *res);
	memset(&tmp, 0, sizeof tmp);
	rc = read_record(&m, &tmp, &text, bag);
	rf_model_result_free(&tmp);
	rf_model_free(m);
	if (rc == 0)
		rc = rf_error_set(RF_ENOTFOUND, "the bag records no model (%s)",
				  RF_MODEL_BAG_FILE);
	if (rc == 1)
		rc = model_verify_payload(res, model_dir, &text, RF_MODEL_BAG_FILE,
					  opts);
	rf_buf_free(&text);
	return rc;
}

int rf_model_bag_check_dir(rf_bag_report *report, const char *bag_dir,
			   const char *model_dir, int threads)
{
	rf_model_verify_opts o = {0};
	rf_model_result res;
	rf_bag *bag = NULL;
	int vrc = rf_bag_open(&bag, bag_dir), rc = 0;
	memset(&res, 0, sizeof res);
	o.threads = threads;
	if (!vrc)
		vrc = rf_model_bag_verify(&res, bag, model_dir, &o);
	rf_bag_free(bag);
	if (vrc == RF_ENOMEM || vrc == RF_EINTERNAL) {
		rf_model_result_free(&res);
		return vrc;
	}
	for (size_t i = 0; i < res.nchanged && !rc; i++)
		rc = rf_bag_report_add(report, RF_BAG_MISMATCH, RF_MODEL_BAG_FILE,
				       "model file '%s/%s' differs from the recorded "
				       "digest", model_dir, res.changed[i]);
	for (size_t i = 0; i < res.nmissing && !rc; i++)
		rc = rf_bag_report_add(report, RF_BAG_MISSING, RF_MODEL_BAG_FILE,
				       "model file '%s/%s' is recorded but missing",
				       model_dir, res.missing[i]);
	for (size_t i = 0; i < res.nextra && !rc; i++)
		rc = rf_bag_report_add(report, RF_BAG_UNLISTED, RF_MODEL_BAG_FILE,
				       "model file '%s/%s' is not recorded", model_dir,
				       res.extra[i]);
	/* Anything else (no record, unreadable model, malformed record) is a
	 * problem of its own. */
	if (!rc && vrc && !res.nchanged && !res.nmissing && !res.nextra)
		rc = rf_bag_report_add(report,
				       vrc == RF_EIO || vrc == RF_ENOTFOUND
					       ? RF_BAG_UNREADABLE
					       : RF_BAG_MALFORMED,
				       RF_MODEL_BAG_FILE, "model '%s': %s", model_dir,
				       rf_error_last());
	rf_model_result_free(&res);
	return rc;
}
