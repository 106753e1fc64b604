/* Comparing a reviewer's re-run of a replay with the author's: the log row
 * by row and metric by metric (the first place they part, and by how much),
 * every figure of the summary, the final weights' digest and the shipped
 * weights themselves; and finding the replay inside a bundle. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "referee/digest.h"
#include "referee/error.h"
#include "referee/file.h"
#include "referee/path.h"
#include "referee/replay.h"
#include "replay_files.h"

static int values_agree(json_t *a, json_t *b, double tol)
{
	double x, y;
	/* counts (steps, parameters) are exact whatever the tolerance */
	if (json_is_integer(a) && json_is_integer(b))
		return json_integer_value(a) == json_integer_value(b);
	if (json_is_number(a) && json_is_number(b)) {
		x = json_number_value(a);
		y = json_number_value(b);
		if (x == y)
			return 1;
		return tol > 0 &&
		       fabs(x - y) <= tol * fmax(1.0, fmax(fabs(x), fabs(y)));
	}
	return json_equal(a, b);
}

static double as_double(json_t *v)
{
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static void describe_row(rf_replay_diff *d, json_t *row, long line)
{
	const char *k = json_string_value(json_object_get(row, "type"));
	json_t *st = json_object_get(row, "step");
	d->line = line;
	snprintf(d->kind, sizeof d->kind, "%s", k ? k : "?");
	d->step = json_is_integer(st) ? (long)json_integer_value(st) : -1;
}

/* Both logs streamed side by side, one row of each in memory: the first
 * row and metric where they part. */
static int compare_log(rf_replay_diff *d, const char *adir, const char *bdir,
		       double tol)
{
	rf_jsonl ra_, rb_;
	int rc = rf_replay_log_open(&ra_, adir);
	if (!rc && (rc = rf_replay_log_open(&rb_, bdir))) {
		rf_jsonl_close(&ra_);
		return rc;
	}
	if (rc)
		return rc;
	d->log_ok = 1;
	for (;;) {
		json_t *ra = NULL, *rb = NULL, *v;
		const char *key;
		int ga = rf_replay_log_next(&ra_, adir, &ra);
		int gb = ga < 0 ? 0 : rf_replay_log_next(&rb_, bdir, &rb);
		if (ga < 0 || gb < 0) {
			rc = ga < 0 ? ga : gb;
			break;
		}
		if (!ra && !rb)
			break;
		if (!ra || !rb) {
			d->log_ok = 0;
			describe_row(d, ra ? ra : rb, ra ? ra_.line : rb_.line);
			snprintf(d->detail, sizeof d->detail,
				 ra ? "the re-run's log ends before this row"
				    : "the re-run's log has rows the author's lacks");
			json_decref(ra);
			json_decref(rb);
			break;
		}
		if (!json_equal(json_object_get(ra, "type"),
				json_object_get(rb, "type")) ||
		    !json_equal(json_object_get(ra, "step"),
				json_object_get(rb, "step"))) {
			d->log_ok = 0;
			describe_row(d, ra, ra_.line);
			snprintf(d->detail, sizeof d->detail,
				 "rows differ in type or step");
		}
		if (d->log_ok) {
			json_object_foreach(ra, key, v) {
				json_t *w = json_object_get(rb, key);
				if (w && values_agree(v, w, tol))
					continue;
				d->log_ok = 0;
				describe_row(d, ra, ra_.line);
				snprintf(d->metric, sizeof d->metric, "%s", key);
				d->author = as_double(v);
				d->replay = w ? as_double(w) : NAN;
				if (!w)
					snprintf(d->detail, sizeof d->detail,
						 "the re-run does not log '%s'", key);
				break;
			}
		}
		if (d->log_ok && json_object_size(ra) != json_object_size(rb)) {
			d->log_ok = 0;
			describe_row(d, ra, ra_.line);
			snprintf(d->detail, sizeof d->detail,
				 "the re-run logs metrics the author's row lacks");
		}
		json_decref(ra);
		json_decref(rb);
		if (!d->log_ok)
			break;
	}
	rf_jsonl_close(&ra_);
	rf_jsonl_close(&rb_);
	return rc;
}

static void show_value(char *out, size_t n, json_t *v)
{
	char *s;
	if (!v) {
		snprintf(out, n, "absent");
		return;
	}
	s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(9));
	snprintf(out, n, "%.60s", s ? s : "?");
	free(s);
}

/* Every figure of the author's summary against the re-run's.  The weights'
 * digest has its own verdict (digest_ok, excused by a tolerance); the log's
 * digest must be its own log's, and the re-run's when bit-exact; what the
 * summary files under not_part_of_the_result (threads, wall time) is not
 * part of the result. */
static void compare_summary(rf_replay_diff *d, const rf_replay_files *a,
			    const rf_replay_files *b, double tol)
{
	const char *ls = json_string_value(json_object_get(a->summary, "log_sha256"));
	const char *key;
	json_t *v;
	char x[64], y[64];

	d->summary_ok = 1;
	if (ls && strcmp(ls, a->log_sha256)) {
		d->summary_ok = 0;
		snprintf(d->summary_detail, sizeof d->summary_detail,
			 "log_sha256 is %.16s... in the author's summary, but the "
			 "author's log.jsonl hashes to %.16s...",
			 ls, a->log_sha256);
		return;
	}
	json_object_foreach(a->summary, key, v) {
		json_t *w = json_object_get(b->summary, key);
		if (!strcmp(key, "not_part_of_the_result") ||
		    !strcmp(key, "weights_sha256") ||
		    (!strcmp(key, "log_sha256") && tol > 0))
			continue;
		if (w && values_agree(v, w, tol))
			continue;
		d->summary_ok = 0;
		show_value(x, sizeof x, v);
		show_value(y, sizeof y, w);
		snprintf(d->summary_detail, sizeof d->summary_detail,
			 "%.48s is %s in the author's summary, %s in the re-run's",
			 key, x, y);
		return;
	}
	json_object_foreach(b->summary, key, v) {
		if (strcmp(key, "not_part_of_the_result") &&
		    !json_object_get(a->summary, key)) {
			d->summary_ok = 0;
			snprintf(d->summary_detail, sizeof d->summary_detail,
				 "the author's summary lacks %.48s", key);
			return;
		}
	}
}

/* The shipped weights must be the ones the summary names. */
static int check_model(rf_replay_diff *d, const char *adir)
{
	rf_buf p = RF_BUF_INIT;
	unsigned char md[32];
	int rc = rf_path_join(&p, adir, "model.safetensors");
	d->model_ok = 1;
	if (!rc && rf_path_exists(p.data)) {
		d->model_present = 1;
		rc = rf_digest_file(md, NULL, RF_DIGEST_SHA256, p.data);
		if (!rc) {
			rf_digest_to_hex(d->model_digest, md, sizeof md);
			d->model_ok = !strcmp(d->model_digest, d->author_digest);
		}
	}
	rf_buf_free(&p);
	return rc;
}

int rf_replay_validate(const char *dir)
{
	rf_replay_files f;
	int rc = rf_replay_files_load(&f, dir);
	if (!rc)
		rf_replay_files_free(&f);
	return rc;
}

int rf_replay_compare(rf_replay_diff *d, const char *adir, const char *rdir,
		      double tol)
{
	rf_replay_files a, b;
	int rc;

	memset(d, 0, sizeof d[0]);
	d->author = d->replay = NAN;
	if (!(tol >= 0))
		return rf_error_set(RF_EINVAL, "tolerance must be >= 0");
	if ((rc = rf_replay_files_load(&a, adir)))
		return rc;
	if ((rc = rf_replay_files_load(&b, rdir))) {
		rf_replay_files_free(&a);
		return rc;
	}
	snprintf(d->author_digest, sizeof d->author_digest, "%s",
		 json_string_value(json_object_get(a.summary, "weights_sha256")));
	snprintf(d->replay_digest, sizeof d->replay_digest, "%s",
		 json_string_value(json_object_get(b.summary, "weights_sha256")));
	d->digest_ok = !strcmp(d->author_digest, d->replay_digest);
	compare_summary(d, &a, &b, tol);
	if (!(rc = compare_log(d, adir, rdir, tol)))
		rc = check_model(d, adir);
	/* on other hardware the weights differ in their last bits; with a
	 * tolerance the log and the summary's figures have to agree, and the
	 * shipped weights must still be the ones the author's summary names */
	d->identical = d->log_ok && d->summary_ok && d->model_ok &&
		       (d->digest_ok || tol > 0);
	rf_replay_files_free(&a);
	rf_replay_files_free(&b);
	return rc;
}

int rf_replay_locate(char **out, const char *path)
{
	static const char *const subdirs[] = {"data/replay", "."};
	*out = NULL;
	for (size_t i = 0; i < sizeof subdirs / sizeof *subdirs; i++) {
		rf_buf dir = RF_BUF_INIT, f = RF_BUF_INIT;
		int rc = 0, found;
		if (strcmp(subdirs[i], "."))
			rc = rf_path_join(&dir, path, subdirs[i]);
		else
			rc = rf_buf_puts(&dir, path);
		if (!rc)
			rc = rf_path_join(&f, dir.data, "recipe.yaml");
		if (rc) {
			rf_buf_free(&dir);
			rf_buf_free(&f);
			return rc;
		}
		found = rf_path_exists(f.data);
		if (found) {
			/* a bundle is hostile until verified: its replay must
			 * not lead outside it through a symlink */
			static const char *const names[] = {
				"recipe.yaml", "log.jsonl", "summary.json",
				"model.safetensors"};
			for (size_t k = 0; k < sizeof names / sizeof *names && !rc;
			     k++) {
				rf_buf_clear(&f);
				rc = rf_path_join(&f, dir.data, names[k]);
				if (!rc && rf_path_exists(f.data))
					rc = rf_path_check_inside(path, f.data);
			}
			rf_buf_free(&f);
			if (rc) {
				rf_buf_free(&dir);
				return rc;
			}
			*out = rf_buf_detach(&dir);
			return *out ? 0 : rf_error_set(RF_ENOMEM, "out of memory");
		}
		rf_buf_free(&dir);
		rf_buf_free(&f);
	}
	return rf_error_set(RF_ENOTFOUND,
			    "'%s' holds no replay (data/replay/recipe.yaml or "
			    "recipe.yaml)",
			    path);
}
