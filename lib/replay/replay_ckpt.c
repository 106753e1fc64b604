/* The checkpoint index of a replay run: written canonically (the same run
 * gives the same bytes, so its digest can stand in the summary) and read as
 * hostile input (bounded, every field checked for shape and range). */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "referee/digest.h"
#include "referee/error.h"
#include "referee/file.h"
#include "referee/path.h"
#include "replay/replay_ckpt.h"

static const char *const file_names[RF_CKPT_NFILES] = {
	"model.safetensors", "optimizer.safetensors", "reference.safetensors"};
static const char *const ref_names[] = {"none", "policy", "file"};

const char *rf_ckpt_file_name(int which)
{
	return which >= 0 && which < RF_CKPT_NFILES ? file_names[which] : "?";
}

int rf_ckpt_dir(rf_buf *out, const char *run_dir, int step)
{
	char name[48];
	snprintf(name, sizeof name, "checkpoints/step-%06d", step);
	rf_buf_clear(out);
	return rf_path_join(out, run_dir, name);
}

int rf_ckpt_index_add(rf_ckpt_index *ix, const rf_ckpt *c)
{
	if (ix->n == ix->cap) {
		size_t nc = ix->cap ? 2 * ix->cap : 16;
		rf_ckpt *a = realloc(ix->at, nc * sizeof *a);
		if (!a)
			return rf_error_set(RF_ENOMEM, "out of memory");
		ix->at = a;
		ix->cap = nc;
	}
	ix->at[ix->n++] = *c;
	return 0;
}

int rf_ckpt_index_bytes(rf_buf *out, const rf_ckpt_index *ix)
{
	int rc = rf_buf_printf(out,
			       "{\n  \"format\": \"referee-replay-checkpoints\",\n"
			       "  \"version\": 1,\n"
			       "  \"recipe_digest\": \"%s\",\n"
			       "  \"every\": %d,\n",
			       ix->recipe_digest, ix->every);
	if (!rc && !isnan(ix->accuracy_after_warmstart))
		rc = rf_buf_printf(out, "  \"accuracy_after_warmstart\": %.9g,\n",
				   ix->accuracy_after_warmstart);
	if (!rc)
		rc = rf_buf_puts(out, "  \"checkpoints\": [");
	for (size_t i = 0; i < ix->n && !rc; i++) {
		const rf_ckpt *c = &ix->at[i];
		int first = 1;
		rc = rf_buf_printf(out,
				   "%s\n    {\"step\": %d, \"adam_step\": %d, "
				   "\"rng\": {\"generator\": \"philox4x32-10\", "
				   "\"seed\": \"%llu\", \"next_step\": %llu}, "
				   "\"log_bytes\": %lld, \"log_sha256\": \"%s\", "
				   "\"reference\": \"%s\", \"files\": {",
				   i ? "," : "", c->step, c->adam_t,
				   (unsigned long long)ix->seed,
				   (unsigned long long)c->next_draw, c->log_bytes,
				   c->log_sha256, ref_names[c->reference]);
		for (int f = 0; f < RF_CKPT_NFILES && !rc; f++) {
			if (!c->file[f][0])
				continue;
			rc = rf_buf_printf(out, "%s\"%s\": \"%s\"", first ? "" : ", ",
					   file_names[f], c->file[f]);
			first = 0;
		}
		if (!rc)
			rc = rf_buf_puts(out, "}}");
	}
	if (!rc)
		rc = rf_buf_puts(out, "\n  ]\n}\n");
	return rc;
}

static int is_hex64(const char *s)
{
	return s && strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

static int get_int(json_t *o, const char *key, long long lo, long long hi,
		   long long *v)
{
	json_t *x = json_object_get(o, key);
	if (!json_is_integer(x) || json_integer_value(x) < lo ||
	    json_integer_value(x) > hi)
		return -1;
	*v = json_integer_value(x);
	return 0;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;
	if (!s || !*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 20)
		return -1;
	*v = strtoull(s, &end, 10);
	return *end ? -1 : 0;
}

static int bad(const char *path, size_t i, const char *what)
{
	return rf_error_set(RF_EFORMAT, "'%s': checkpoint %zu: %s", path, i, what);
}

static int parse_entry(rf_ckpt *c, json_t *e, const char *path, size_t i,
		       uint64_t *seed)
{
	json_t *rng = json_object_get(e, "rng"), *files = json_object_get(e, "files"),
	       *v;
	const char *ref = json_string_value(json_object_get(e, "reference"));
	const char *key;
	long long x;
	uint64_t s;
	memset(c, 0, sizeof *c);
	if (!json_is_object(e))
		return bad(path, i, "not an object");
	if (get_int(e, "step", 0, 1000000000LL, &x))
		return bad(path, i, "\"step\" must be an integer 0..1e9");
	c->step = (int)x;
	if (get_int(e, "adam_step", 0, 2000000000LL, &x))
		return bad(path, i, "\"adam_step\" must be an integer >= 0");
	c->adam_t = (int)x;
	if (get_int(e, "log_bytes", 0, 1LL << 50, &x))
		return bad(path, i, "\"log_bytes\" must be an integer >= 0");
	c->log_bytes = x;
	if (!is_hex64(json_string_value(json_object_get(e, "log_sha256"))))
		return bad(path, i, "\"log_sha256\" must be 64 hex digits");
	memcpy(c->log_sha256, json_string_value(json_object_get(e, "log_sha256")),
	       65);
	if (!json_is_object(rng) ||
	    !json_is_string(json_object_get(rng, "generator")) ||
	    strcmp(json_string_value(json_object_get(rng, "generator")),
		   "philox4x32-10") ||
	    parse_u64(json_string_value(json_object_get(rng, "seed")), &s) ||
	    get_int(rng, "next_step", 1, 1000000001LL, &x))
		return bad(path, i,
			   "\"rng\" must be {\"generator\": \"philox4x32-10\", "
			   "\"seed\": \"DECIMAL\", \"next_step\": N}");
	c->next_draw = (uint64_t)x;
	if (i == 0)
		*seed = s;
	else if (s != *seed)
		return bad(path, i, "its RNG seed differs from the first checkpoint's");
	c->reference = -1;
	for (int k = 0; k < 3; k++)
		if (ref && !strcmp(ref, ref_names[k]))
			c->reference = k;
	if (c->reference < 0)
		return bad(path, i,
			   "\"reference\" must be \"none\", \"policy\" or \"file\"");
	if (!json_is_object(files))
		return bad(path, i, "\"files\" must be an object");
	json_object_foreach(files, key, v) {
		int f = -1;
		for (int k = 0; k < RF_CKPT_NFILES; k++)
			if (!strcmp(key, file_names[k]))
				f = k;
		if (f < 0)
			return bad(path, i, "\"files\" names an unknown file");
		if (!is_hex64(json_string_value(v)))
			return bad(path, i, "a file's digest must be 64 hex digits");
		memcpy(c->file[f], json_string_value(v), 65);
	}
	if (!c->file[RF_CKPT_MODEL][0])
		return bad(path, i, "no model.safetensors");
	if (!c->file[RF_CKPT_OPTIM][0] != !c->adam_t)
		return bad(path, i,
			   "optimizer.safetensors must be listed exactly when "
			   "adam_step > 0");
	if (!c->file[RF_CKPT_REFERENCE][0] != (c->reference != RF_CKPT_REF_FILE))
		return bad(path, i,
			   "reference.safetensors must be listed exactly when "
			   "\"reference\" is \"file\"");
	return 0;
}

int rf_ckpt_index_load(rf_ckpt_index *ix, const char *run_dir, char sha[65])
{
	rf_buf p = RF_BUF_INIT, b = RF_BUF_INIT;
	json_error_t jerr;
	json_t *o = NULL, *list, *acc;
	long long every;
	int rc;

	memset(ix, 0, sizeof *ix);
	ix->accuracy_after_warmstart = NAN;
	if ((rc = rf_path_join(&p, run_dir, "checkpoints/index.json")))
		goto out;
	if (!rf_path_exists(p.data)) {
		rc = rf_error_set(RF_ENOTFOUND, "no '%s'", p.data);
		goto out;
	}
	if ((rc = rf_file_read(&b, p.data, RF_CKPT_INDEX_MAX)))
		goto out;
	if (sha && (rc = rf_digest_buffer_hex(sha, RF_DIGEST_SHA256,
					      b.data ? b.data : "", b.len)))
		goto out;
	if (b.len && memchr(b.data, '\0', b.len)) {
		rc = rf_error_set(RF_EFORMAT, "'%s': contains a NUL byte", p.data);
		goto out;
	}
	o = json_loadb(b.data ? b.data : "", b.len, JSON_REJECT_DUPLICATES, &jerr);
	if (!o) {
		rc = rf_error_set(RF_EFORMAT, "'%s':%d:%d: %s", p.data, jerr.line,
				  jerr.column, jerr.text);
		goto out;
	}
	list = json_object_get(o, "checkpoints");
	acc = json_object_get(o, "accuracy_after_warmstart");
	if (!json_is_object(o) ||
	    !json_is_string(json_object_get(o, "format")) ||
	    strcmp(json_string_value(json_object_get(o, "format")),
		   "referee-replay-checkpoints")) {
		rc = rf_error_set(RF_EFORMAT,
				  "'%s': format: expected \"referee-replay-checkpoints\"",
				  p.data);
		goto out;
	}
	if (!is_hex64(json_string_value(json_object_get(o, "recipe_digest"))) ||
	    get_int(o, "every", 1, 1000000000LL, &every) ||
	    !json_is_array(list) || json_array_size(list) == 0 ||
	    json_array_size(list) > RF_CKPT_MAX || (acc && !json_is_number(acc))) {
		rc = rf_error_set(RF_EFORMAT,
				  "'%s': needs recipe_digest (64 hex digits), every "
				  "(integer >= 1), accuracy_after_warmstart (a number) "
				  "and a non-empty list of at most %d checkpoints",
				  p.data, RF_CKPT_MAX);
		goto out;
	}
	memcpy(ix->recipe_digest, json_string_value(json_object_get(o, "recipe_digest")),
	       65);
	ix->every = (int)every;
	if (acc)
		ix->accuracy_after_warmstart = json_number_value(acc);
	for (size_t i = 0; i < json_array_size(list); i++) {
		rf_ckpt c;
		if ((rc = parse_entry(&c, json_array_get(list, i), p.data, i,
				      &ix->seed)) ||
		    (rc = rf_ckpt_index_add(ix, &c)))
			goto out;
	}
out:
	json_decref(o);
	rf_buf_free(&p);
	rf_buf_free(&b);
	if (rc)
		rf_ckpt_index_free(ix);
	return rc;
}

const rf_ckpt *rf_ckpt_index_find(const rf_ckpt_index *ix, int step)
{
	for (size_t i = 0; i < ix->n; i++)
		if (ix->at[i].step == step)
			return &ix->at[i];
	return NULL;
}

void rf_ckpt_index_free(rf_ckpt_index *ix)
{
	if (!ix)
		return;
	free(ix->at);
	memset(ix, 0, sizeof *ix);
	ix->accuracy_after_warmstart = NAN;
}

int rf_ckpt_read_file(rf_buf *out, const char *run_dir, const rf_ckpt *c,
		      int which)
{
	rf_buf d = RF_BUF_INIT, p = RF_BUF_INIT;
	char hex[65];
	int rc = rf_ckpt_dir(&d, run_dir, c->step);
	if (!rc)
		rc = rf_path_join(&p, d.data, file_names[which]);
	if (!rc && !rf_path_exists(p.data))
		rc = rf_error_set(RF_ENOTFOUND, "no '%s'", p.data);
	/* a shipped run is hostile: no symlink out of it */
	if (!rc)
		rc = rf_path_check_inside(run_dir, p.data);
	rf_buf_clear(out);
	/* hash the very bytes that will be loaded: no window between the
	 * check and the use */
	if (!rc)
		rc = rf_file_read(out, p.data, RF_CKPT_FILE_MAX);
	if (!rc)
		rc = rf_digest_buffer_hex(hex, RF_DIGEST_SHA256,
					  out->data ? out->data : "", out->len);
	if (!rc && strcmp(hex, c->file[which]))
		rc = rf_error_set(RF_EFORMAT,
				  "'%s' hashes to %.16s..., the checkpoint index "
				  "says %.16s...",
				  p.data, hex, c->file[which]);
	rf_buf_free(&d);
	rf_buf_free(&p);
	return rc;
}
