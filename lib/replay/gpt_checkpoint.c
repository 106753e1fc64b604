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

int rf_gpt_load(rf_gpt *m, const char *path)
{
	rf_st *st;
	int rc = rf_st_read(&st, path, (size_t)4 << 30);
	size_t nt = rf_gpt_num_tensors(m);
	if (rc)
		return rc;
	if (rf_st_count(st) != nt) {
		rc = rf_error_set(RF_EFORMAT, "'%s': %zu tensors, the model has %zu", path,
				  rf_st_count(st), nt);
		goto out;
	}
	for (size_t i = 0; i < nt; i++) { /* check everything before copying */
		const char *name;
		int shape[2], ndim;
		rf_gpt_tensor_info(m, i, &name, shape, &ndim, NULL);
		const rf_st_tensor *t = rf_st_find(st, name);
		if (!t) {
			rc = rf_error_set(RF_EFORMAT, "'%s': no tensor '%s'", path, name);
			goto out;
		}
		if (t->ndim != ndim || t->shape[0] != shape[0] ||
		    (ndim == 2 && t->shape[1] != shape[1])) {
			rc = rf_error_set(RF_EFORMAT, "'%s': tensor '%s' has the wrong shape", path,
					  name);
			goto out;
		}
	}
	float *params = rf_gpt_params(m);
	if (!params) { /* a device model whose device failed (error set) */
		rc = rf_error_last_code();
		goto out;
	}
	for (size_t i = 0; i < nt; i++) {
		const char *name;
		int shape[2], ndim;
		size_t off;
		rf_gpt_tensor_info(m, i, &name, shape, &ndim, &off);
		const rf_st_tensor *t = rf_st_find(st, name);
		memcpy(params + off, t->data,
		       (size_t)shape[0] * (size_t)(ndim == 2 ? shape[1] : 1) * sizeof(float));
	}
out:
	rf_st_free(st);
	return rc;
}
