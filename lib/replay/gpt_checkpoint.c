/* Saving and loading the policy model's parameters as safetensors, named
 * as in rf_gpt_tensor_info() (and the PyTorch reference). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "referee/error.h"
#include "referee/file.h"
#include "replay/gpt.h"
#include "replay/safetensors.h"

#define GPT_META_CFG 7

int rf_gpt_save_bytes(rf_buf *out, const rf_gpt *m, const char *const *meta,
		      size_t nmeta)
{
	const rf_gpt_config *c = rf_gpt_config_of(m);
	size_t nt = rf_gpt_num_tensors(m);
	float *params = rf_gpt_params((rf_gpt *)m);
	rf_st_tensor *t = calloc(nt, sizeof *t);
	const char **md = calloc(2 * (GPT_META_CFG + nmeta), sizeof *md);
	char vals[GPT_META_CFG][16];
	int rc;
	if (!params) { /* a device model whose device failed (error set) */
		free(t);
		free(md);
		return rf_error_last_code();
	}
	if (!t || !md) {
		free(t);
		free(md);
		return rf_error_set(RF_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < nt; i++) {
		int shape[2], ndim;
		size_t off;
		rf_gpt_tensor_info(m, i, &t[i].name, shape, &ndim, &off);
		t[i].ndim = ndim;
		t[i].shape[0] = shape[0];
		t[i].shape[1] = shape[1];
		t[i].data = params + off;
	}
	const char *keys[GPT_META_CFG] = {"vocab", "max_seq", "d_model", "n_layer",
					  "n_head", "d_ff", "tied"};
	const int v[GPT_META_CFG] = {c->vocab, c->max_seq, c->d_model, c->n_layer,
				     c->n_head, c->d_ff, c->tied};
	for (int i = 0; i < GPT_META_CFG; i++) {
		snprintf(vals[i], sizeof vals[i], "%d", v[i]);
		md[2 * i] = keys[i];
		md[2 * i + 1] = vals[i];
	}
	for (size_t i = 0; i < 2 * nmeta; i++)
		md[2 * GPT_META_CFG + i] = meta[i];
	rc = rf_st_serialize(out, t, nt, md, GPT_META_CFG + nmeta);
	free(t);
	free(md);
	return rc;
}

int rf_gpt_save(const rf_gpt *m, const char *path, const char *const *meta,
		size_t nmeta)
{
	rf_buf b = RF_BUF_INIT;
	int rc = rf_gpt_save_bytes(&b, m, meta, nmeta);
	if (!rc)
		rc = rf_file_write_atomic(path, b.data, b.len, 0644, 1);
	rf_buf_free(&b);
	return rc;
}

/* Every tensor of `m` present in `st` under prefix+name with its shape, and
 * nothing else; checked before anything is copied. */
static int check_tensors(const rf_gpt *m, const rf_st *st, const char *prefix,
			 const char *what)
{
	size_t nt = rf_gpt_num_tensors(m);
	char full[128];
	if (rf_st_count(st) != nt)
		return rf_error_set(RF_EFORMAT, "'%s': %zu tensors, the model has %zu",
				    what, rf_st_count(st), nt);
	for (size_t i = 0; i < nt; i++) {
		const char *name;
		int shape[2], ndim;
		const rf_st_tensor *t;
		rf_gpt_tensor_info(m, i, &name, shape, &ndim, NULL);
		snprintf(full, sizeof full, "%s%s", prefix, name);
		t = rf_st_find(st, full);
		if (!t)
			return rf_error_set(RF_EFORMAT, "'%s': no tensor '%s'", what, full);
		if (t->ndim != ndim || t->shape[0] != shape[0] ||
		    (ndim == 2 && t->shape[1] != shape[1]))
			return rf_error_set(RF_EFORMAT,
					    "'%s': tensor '%s' has the wrong shape", what,
					    full);
	}
	return 0;
}

static void copy_tensors(const rf_gpt *m, const rf_st *st, const char *prefix,
			 float *dst)
{
	char full[128];
	for (size_t i = 0; i < rf_gpt_num_tensors(m); i++) {
		const char *name;
		int shape[2], ndim;
		size_t off;
		rf_gpt_tensor_info(m, i, &name, shape, &ndim, &off);
		snprintf(full, sizeof full, "%s%s", prefix, name);
		memcpy(dst + off, rf_st_find(st, full)->data,
		       (size_t)shape[0] * (size_t)(ndim == 2 ? shape[1] : 1) *
			       sizeof(float));
	}
}

int rf_gpt_load_bytes(rf_gpt *m, const void *data, size_t len, const char *what)
{
	rf_st *st;
	float *params;
	int rc = rf_st_parse(&st, data, len, what);
	if (rc)
		return rc;
	if ((rc = check_tensors(m, st, "", what)))
		goto out;
	if (!(params = rf_gpt_params(m))) { /* a failed device (error set) */
		rc = rf_error_last_code();
		goto out;
	}
	copy_tensors(m, st, "", params);
out:
	rf_st_free(st);
	return rc;
}

int rf_gpt_load(rf_gpt *m, const char *path)
{
	rf_buf b = RF_BUF_INIT;
	int rc = rf_file_read(&b, path, (size_t)4 << 30);
	if (!rc)
		rc = rf_gpt_load_bytes(m, b.data ? b.data : "", b.len, path);
	rf_buf_free(&b);
	return rc;
}

/* The AdamW moments as tensors "m.NAME" and "v.NAME". */
int rf_gpt_save_adam_bytes(rf_buf *out, rf_gpt *m, int t)
{
	size_t nt = rf_gpt_num_tensors(m);
	rf_st_tensor *ts = calloc(2 * nt, sizeof *ts);
	char (*names)[128] = calloc(2 * nt, sizeof *names);
	char step[24];
	const char *meta[4] = {"format", "referee-replay-adamw", "step", step};
	float *mm, *vv;
	int rc;
	if (!ts || !names) {
		rc = rf_error_set(RF_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = rf_gpt_adam_state(m, &mm, &vv)))
		goto out;
	for (size_t i = 0; i < nt; i++) {
		const char *name;
		int shape[2], ndim;
		size_t off;
		rf_gpt_tensor_info(m, i, &name, shape, &ndim, &off);
		for (int k = 0; k < 2; k++) {
			rf_st_tensor *x = &ts[2 * i + (size_t)k];
			snprintf(names[2 * i + (size_t)k], sizeof names[0], "%c.%s",
				 k ? 'v' : 'm', name);
			x->name = names[2 * i + (size_t)k];
			x->ndim = ndim;
			x->shape[0] = shape[0];
			x->shape[1] = shape[1];
			x->data = (k ? vv : mm) + off;
		}
	}
	snprintf(step, sizeof step, "%d", t);
	rc = rf_st_serialize(out, ts, 2 * nt, meta, 2);
out:
	free(ts);
	free(names);
	return rc;
}

int rf_gpt_load_adam_bytes(rf_gpt *m, const void *data, size_t len,
			   const char *what, int *t)
{
	rf_st *st;
	const char *fmt, *step;
	float *mm, *vv;
	char *end;
	long v;
	int rc = rf_st_parse(&st, data, len, what);
	if (rc)
		return rc;
	fmt = rf_st_meta(st, "format");
	step = rf_st_meta(st, "step");
	if (!fmt || strcmp(fmt, "referee-replay-adamw") || !step) {
		rc = rf_error_set(RF_EFORMAT,
				  "'%s': not AdamW state (metadata format "
				  "\"referee-replay-adamw\" and step)",
				  what);
		goto out;
	}
	v = strtol(step, &end, 10);
	if (*end || v < 1 || v > 1000000000L) {
		rc = rf_error_set(RF_EFORMAT, "'%s': bad AdamW step '%.20s'", what,
				  step);
		goto out;
	}
	if (rf_st_count(st) != 2 * rf_gpt_num_tensors(m)) {
		rc = rf_error_set(RF_EFORMAT, "'%s': %zu tensors, expected %zu", what,
				  rf_st_count(st), 2 * rf_gpt_num_tensors(m));
		goto out;
	}
	/* the count is checked above; each prefix must name every tensor */
	for (size_t i = 0; i < rf_gpt_num_tensors(m) && !rc; i++) {
		const char *name;
		int shape[2], ndim;
		char full[128];
		rf_gpt_tensor_info(m, i, &name, shape, &ndim, NULL);
		for (int k = 0; k < 2 && !rc; k++) {
			const rf_st_tensor *x;
			snprintf(full, sizeof full, "%c.%s", k ? 'v' : 'm', name);
			x = rf_st_find(st, full);
			if (!x)
				rc = rf_error_set(RF_EFORMAT, "'%s': no tensor '%s'",
						  what, full);
			else if (x->ndim != ndim || x->shape[0] != shape[0] ||
				 (ndim == 2 && x->shape[1] != shape[1]))
				rc = rf_error_set(RF_EFORMAT,
						  "'%s': tensor '%s' has the wrong shape",
						  what, full);
		}
	}
	if (rc || (rc = rf_gpt_adam_state(m, &mm, &vv)))
		goto out;
	copy_tensors(m, st, "m.", mm);
	copy_tensors(m, st, "v.", vv);
	rc = rf_gpt_adam_set(m);
	*t = (int)v;
out:
	rf_st_free(st);
	return rc;
}
