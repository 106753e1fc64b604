/* An author's replay directory read as evidence: every row of log.jsonl and
 * summary.json parsed and validated up front (so a malformed file is named
 * with its line before anything is re-run), and the summary checked against
 * the log it claims to summarise. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "referee/digest.h"
#include "referee/error.h"
#include "referee/file.h"
#include "referee/path.h"
#include "replay_files.h"

#define LOG_MAX_BYTES (256ull << 20)
#define SUMMARY_MAX_BYTES (1u << 20)
#define STEP_MAX 1000000000LL

static int read_in(rf_buf *b, const char *dir, const char *name, size_t max)
{
	rf_buf p = RF_BUF_INIT;
	int rc = rf_path_join(&p, dir, name);
	if (!rc && !rf_path_exists(p.data))
		rc = rf_error_set(RF_ENOTFOUND, "no '%s'", p.data);
	if (!rc)
		rc = rf_file_read(b, p.data, max);
	rf_buf_free(&p);
	return rc;
}

static int is_hex64(const char *s)
{
	return s && strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

/* One log row: an object with a known type, a step, and numbers (or null
 * for a figure that was not finite) for everything else. */
static int check_row(json_t *o, const char *dir, long line)
{
	const char *type, *key;
	json_t *st, *v;
	if (!json_is_object(o))
		return rf_error_set(RF_EFORMAT, "'%s/log.jsonl':%ld: not a JSON object",
				    dir, line);
	type = json_string_value(json_object_get(o, "type"));
	if (!type || (strcmp(type, "sft") && strcmp(type, "grpo") &&
		      strcmp(type, "eval")))
		return rf_error_set(RF_EFORMAT,
				    "'%s/log.jsonl':%ld: \"type\" must be \"sft\", "
				    "\"grpo\" or \"eval\"",
				    dir, line);
	st = json_object_get(o, "step");
	if (!json_is_integer(st) || json_integer_value(st) < 0 ||
	    json_integer_value(st) > STEP_MAX)
		return rf_error_set(RF_EFORMAT,
				    "'%s/log.jsonl':%ld: \"step\" must be an integer "
				    "0..%lld",
				    dir, line, STEP_MAX);
	json_object_foreach(o, key, v) {
		if (!strcmp(key, "type") || !strcmp(key, "step"))
			continue;
		if (!json_is_number(v) && !json_is_null(v))
			return rf_error_set(RF_EFORMAT,
					    "'%s/log.jsonl':%ld: \"%.40s\" must be a "
					    "number or null",
					    dir, line, key);
	}
	if (!strcmp(type, "eval") &&
	    (!json_is_number(json_object_get(o, "accuracy")) ||
	     !json_is_number(json_object_get(o, "reward_mean"))))
		return rf_error_set(RF_EFORMAT,
				    "'%s/log.jsonl':%ld: an evaluation row needs "
				    "numbers \"accuracy\" and \"reward_mean\"",
				    dir, line);
	return 0;
}

int rf_replay_log_open(rf_jsonl *r, const char *dir)
{
	rf_buf p = RF_BUF_INIT;
	int rc;
	memset(r, 0, sizeof *r);
	if (!(rc = rf_path_join(&p, dir, "log.jsonl")))
		rc = rf_jsonl_open(r, p.data, RF_REPLAY_LOG_LINE_MAX, LOG_MAX_BYTES);
	rf_buf_free(&p);
	return rc;
}

int rf_replay_log_next(rf_jsonl *r, const char *dir, json_t **row)
{
	const char *s;
	size_t n;
	int rc;
	*row = NULL;
	while ((rc = rf_jsonl_next(r, &s, &n)) == 1) {
		json_error_t jerr;
		json_t *o;
		if (n == 0)
			continue;
		o = json_loadb(s, n, JSON_REJECT_DUPLICATES, &jerr);
		if (!o)
			return rf_error_set(RF_EFORMAT, "'%s/log.jsonl':%ld:%d: %s", dir,
					    r->line, jerr.column, jerr.text);
		if ((rc = check_row(o, dir, r->line))) {
			json_decref(o);
			return rc;
		}
		*row = o;
		return 1;
	}
	return rc;
}

/* One pass: every row validated, none kept; what the evaluation rows say
 * and the log's digest remembered. */
static int load_log(rf_replay_files *f, const char *dir)
{
	rf_jsonl r;
	json_t *o;
	int rc = rf_replay_log_open(&r, dir);
	if (rc)
		return rc;
	while ((rc = rf_replay_log_next(&r, dir, &o)) == 1) {
		f->nrows++;
		if (!strcmp(json_string_value(json_object_get(o, "type")), "eval")) {
			long st = (long)json_integer_value(json_object_get(o, "step"));
			if (f->first_eval_step < 0) {
				f->first_eval_step = st;
				f->first_accuracy = json_number_value(
					json_object_get(o, "accuracy"));
			}
			f->last_eval_step = st;
			f->last_accuracy =
				json_number_value(json_object_get(o, "accuracy"));
			f->last_reward =
				json_number_value(json_object_get(o, "reward_mean"));
		}
		json_decref(o);
	}
	if (!rc)
		rc = rf_jsonl_sha256(&r, f->log_sha256);
	rf_jsonl_close(&r);
	return rc;
}

static int load_summary(rf_replay_files *f, const char *dir)
{
	static const char *const numbers[] = {
		"accuracy_after_warmstart", "accuracy_final", "eval_reward_final"};
	static const char *const integers[] = {"parameters", "grpo_steps", "version"};
	rf_buf b = RF_BUF_INIT;
	json_error_t jerr;
	const char *fmt;
	json_t *o;
	int rc = read_in(&b, dir, "summary.json", SUMMARY_MAX_BYTES);
	if (rc)
		return rc;
	o = json_loadb(b.data ? b.data : "", b.len, JSON_REJECT_DUPLICATES, &jerr);
	rf_buf_free(&b);
	if (!o)
		return rf_error_set(RF_EFORMAT, "'%s/summary.json':%d:%d: %s", dir,
				    jerr.line, jerr.column, jerr.text);
	f->summary = o;
	if (!json_is_object(o))
		return rf_error_set(RF_EFORMAT, "'%s/summary.json': not a JSON object",
				    dir);
	fmt = json_string_value(json_object_get(o, "format"));
	if (!fmt || strcmp(fmt, "referee-replay-summary"))
		return rf_error_set(RF_EFORMAT,
				    "'%s/summary.json': format: expected "
				    "\"referee-replay-summary\"",
				    dir);
	if (!is_hex64(json_string_value(json_object_get(o, "weights_sha256"))))
		return rf_error_set(RF_EFORMAT,
				    "'%s/summary.json': weights_sha256: expected 64 "
				    "hex digits",
				    dir);
	if (json_object_get(o, "log_sha256") &&
	    !is_hex64(json_string_value(json_object_get(o, "log_sha256"))))
		return rf_error_set(RF_EFORMAT,
				    "'%s/summary.json': log_sha256: expected 64 hex "
				    "digits",
				    dir);
	for (size_t i = 0; i < sizeof numbers / sizeof *numbers; i++) {
		json_t *v = json_object_get(o, numbers[i]);
		if (v && !json_is_number(v))
			return rf_error_set(RF_EFORMAT,
					    "'%s/summary.json': %s: expected a number",
					    dir, numbers[i]);
	}
	for (size_t i = 0; i < sizeof integers / sizeof *integers; i++) {
		json_t *v = json_object_get(o, integers[i]);
		if (v && (!json_is_integer(v) || json_integer_value(v) < 0))
			return rf_error_set(RF_EFORMAT,
					    "'%s/summary.json': %s: expected an "
					    "integer >= 0",
					    dir, integers[i]);
	}
	return 0;
}

int rf_replay_files_load(rf_replay_files *f, const char *dir)
{
	int rc;
	memset(f, 0, sizeof *f);
	f->first_eval_step = f->last_eval_step = -1;
	f->first_accuracy = f->last_accuracy = f->last_reward = NAN;
	f->dir = strdup(dir);
	if (!f->dir)
		return rf_error_set(RF_ENOMEM, "out of memory");
	if ((rc = load_summary(f, dir)) || (rc = load_log(f, dir)))
		rf_replay_files_free(f);
	return rc;
}

double rf_replay_files_summary_number(const rf_replay_files *f,
				      const char *key)
{
	json_t *v = json_object_get(f->summary, key);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

int rf_replay_files_inconsistent(const rf_replay_files *f, char *why, size_t n)
{
	static const struct {
		const char *key, *what;
		int which; /* 0 first accuracy, 1 last accuracy, 2 last reward */
	} figs[] = {
		{"accuracy_after_warmstart", "accuracy of the first evaluation", 0},
		{"accuracy_final", "accuracy of the last evaluation", 1},
		{"eval_reward_final", "reward_mean of the last evaluation", 2},
	};
	const char *ls = json_string_value(json_object_get(f->summary, "log_sha256"));
	json_t *gs = json_object_get(f->summary, "grpo_steps");
	if (ls && strcmp(ls, f->log_sha256)) {
		snprintf(why, n,
			 "summary.json's log_sha256 is %.12s..., but log.jsonl "
			 "hashes to %.12s...",
			 ls, f->log_sha256);
		return 1;
	}
	for (size_t i = 0; i < sizeof figs / sizeof *figs; i++) {
		json_t *v = json_object_get(f->summary, figs[i].key);
		double s, l;
		long st;
		if (!v)
			continue;
		s = json_number_value(v);
		if (f->first_eval_step < 0) {
			snprintf(why, n,
				 "summary.json gives %s = %.9g, but log.jsonl has "
				 "no evaluation row",
				 figs[i].key, s);
			return 1;
		}
		l = figs[i].which == 0	 ? f->first_accuracy
		    : figs[i].which == 1 ? f->last_accuracy
					 : f->last_reward;
		st = figs[i].which == 0 ? f->first_eval_step : f->last_eval_step;
		if (s != l) {
			snprintf(why, n,
				 "summary.json gives %s = %.9g, but log.jsonl's %s "
				 "(step %ld) is %.9g",
				 figs[i].key, s, figs[i].what, st, l);
			return 1;
		}
	}
	if (json_is_integer(gs) && f->last_eval_step >= 0 &&
	    json_integer_value(gs) != f->last_eval_step) {
		snprintf(why, n,
			 "summary.json gives grpo_steps = %lld, but log.jsonl's "
			 "last evaluation is at step %ld",
			 (long long)json_integer_value(gs), f->last_eval_step);
		return 1;
	}
	return 0;
}

void rf_replay_files_free(rf_replay_files *f)
{
	if (!f)
		return;
	json_decref(f->summary);
	free(f->dir);
	memset(f, 0, sizeof *f);
	f->first_eval_step = f->last_eval_step = -1;
}
