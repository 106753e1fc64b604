/* Comparing a reviewer's re-run of a replay with the author's: the log row
 * by row and metric by metric (the first place they part, and by how much),
 * and the final weights' digest; and finding the replay inside a bundle. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "referee/error.h"
#include "referee/file.h"
#include "referee/path.h"
#include "referee/replay.h"

#define LOG_MAX_BYTES (256u << 20)

static int read_in(rf_buf *b, const char *dir, const char *name, size_t max)
{
	rf_buf p = RF_BUF_INIT;
	int rc = rf_path_join(&p, dir, name);
	if (!rc)
		rc = rf_file_read(b, p.data, max);
	rf_buf_free(&p);
	return rc;
}

static int summary_digest(const char *dir, char hex[65])
{
	rf_buf b = RF_BUF_INIT;
	json_error_t jerr;
	json_t *o, *d;
	const char *s;
	int rc = read_in(&b, dir, "summary.json", 1u << 20);
	if (rc)
		return rc;
	o = json_loadb(b.data ? b.data : "", b.len, 0, &jerr);
	rf_buf_free(&b);
	if (!o)
		return rf_error_set(RF_EFORMAT, "'%s/summary.json':%d:%d: %s", dir,
				    jerr.line, jerr.column, jerr.text);
	d = json_object_get(o, "weights_sha256");
	s = json_string_value(d);
	if (!s || strlen(s) != 64 || strspn(s, "0123456789abcdef") != 64) {
		json_decref(o);
		return rf_error_set(RF_EFORMAT,
				    "'%s/summary.json': weights_sha256: expected 64 hex digits",
				    dir);
	}
	memcpy(hex, s, 65);
	json_decref(o);
	return 0;
}

/* Next non-empty line as a JSON object; *o NULL at the end. */
static int next_row(const rf_buf *b, size_t *pos, long *line, const char *dir,
		    json_t **o)
{
	*o = NULL;
	while (*pos < b->len) {
		const char *s = b->data + *pos;
		const char *nl = memchr(s, '\n', b->len - *pos);
		size_t n = nl ? (size_t)(nl - s) : b->len - *pos;
		json_error_t jerr;
		*pos += n + (nl != NULL);
		(*line)++;
		if (n == 0)
			continue;
		*o = json_loadb(s, n, JSON_PRESERVE_ORDER | JSON_REJECT_DUPLICATES,
				&jerr);
		if (!*o || !json_is_object(*o)) {
			json_decref(*o);
			*o = NULL;
			return rf_error_set(RF_EFORMAT,
					    "'%s/log.jsonl':%ld: not a JSON object", dir,
					    *line);
		}
		return 0;
	}
	return 0;
}

static int values_agree(json_t *a, json_t *b, double tol)
{
	double x, y;
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

int rf_replay_compare(rf_replay_diff *d, const char *adir, const char *rdir,
		      double tol)
{
	rf_buf a = RF_BUF_INIT, b = RF_BUF_INIT;
	size_t pa = 0, pb = 0;
	long la = 0, lb = 0;
	int rc;

	memset(d, 0, sizeof d[0]);
	d->author = d->replay = NAN;
	if (!(tol >= 0))
		return rf_error_set(RF_EINVAL, "tolerance must be >= 0");
	if ((rc = summary_digest(adir, d->author_digest)) ||
	    (rc = summary_digest(rdir, d->replay_digest)) ||
	    (rc = read_in(&a, adir, "log.jsonl", LOG_MAX_BYTES)) ||
	    (rc = read_in(&b, rdir, "log.jsonl", LOG_MAX_BYTES)))
		goto out;
	d->digest_ok = !strcmp(d->author_digest, d->replay_digest);
	d->log_ok = 1;
	for (;;) {
		json_t *ra, *rb, *v;
		const char *key;
		if ((rc = next_row(&a, &pa, &la, adir, &ra)))
			goto out;
		if ((rc = next_row(&b, &pb, &lb, rdir, &rb))) {
			json_decref(ra);
			goto out;
		}
		if (!ra && !rb)
			break;
		if (!ra || !rb) {
			d->log_ok = 0;
			describe_row(d, ra ? ra : rb, ra ? la : lb);
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
			describe_row(d, ra, la);
			snprintf(d->detail, sizeof d->detail,
				 "rows differ in type or step");
			json_decref(ra);
			json_decref(rb);
			break;
		}
		json_object_foreach(ra, key, v) {
			json_t *w = json_object_get(rb, key);
			if (w && values_agree(v, w, tol))
				continue;
			d->log_ok = 0;
			describe_row(d, ra, la);
			snprintf(d->metric, sizeof d->metric, "%s", key);
			d->author = as_double(v);
			d->replay = w ? as_double(w) : NAN;
			if (!w)
				snprintf(d->detail, sizeof d->detail,
					 "the re-run does not log '%s'", key);
			break;
		}
		if (d->log_ok && json_object_size(ra) != json_object_size(rb)) {
			d->log_ok = 0;
			describe_row(d, ra, la);
			snprintf(d->detail, sizeof d->detail,
				 "the re-run logs metrics the author's row lacks");
		}
		json_decref(ra);
		json_decref(rb);
		if (!d->log_ok)
			break;
	}
	/* on other hardware the weights differ in their last bits; with a
	 * tolerance only the log has to agree */
	d->identical = d->log_ok && (d->digest_ok || tol > 0);
out:
	rf_buf_free(&a);
	rf_buf_free(&b);
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
				"recipe.yaml", "log.jsonl", "summary.json"};
			for (size_t k = 0; k < 3 && !rc; k++) {
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
