/* Safetensors writer and defensive reader for the replay's checkpoints.
 * The reader treats the file as hostile: every length is checked against
 * the bytes actually present before it is used. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "referee/error.h"
#include "referee/file.h"
#include "replay/safetensors.h"

struct rf_st {
	size_t n;
	rf_st_tensor *t; /* sorted by name */
	char **names;
	float *data;     /* all tensors' floats */
	json_t *meta;    /* object of strings, or NULL */
};

static int cmp_tensor_name(const void *a, const void *b)
{
	return strcmp(((const rf_st_tensor *)a)->name, ((const rf_st_tensor *)b)->name);
}

static int tensor_count(const rf_st_tensor *t, uint64_t *out)
{
	uint64_t n = 1;
	if (t->ndim < 0 || t->ndim > RF_ST_MAX_DIM)
		return -1;
	for (int d = 0; d < t->ndim; d++) {
		if (t->shape[d] < 0)
			return -1;
		if (t->shape[d] && n > (UINT64_MAX / 4) / (uint64_t)t->shape[d])
			return -1;
		n *= (uint64_t)t->shape[d];
	}
	*out = n;
	return 0;
}

static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

int rf_st_serialize(rf_buf *out, const rf_st_tensor *t, size_t n,
		    const char *const *meta, size_t nmeta)
{
	int rc = RF_ENOMEM;
	rf_st_tensor *s = NULL;
	json_t *hdr = json_object(), *md = NULL;
	char *js = NULL;
	if (n > RF_ST_MAX_TENSORS)
		return rf_error_set(RF_ELIMIT, "safetensors: too many tensors (%zu)", n);
	s = malloc((n ? n : 1) * sizeof *s);
	if (!hdr || !s)
		goto out;
	if (n)
		memcpy(s, t, n * sizeof *s);
	qsort(s, n, sizeof *s, cmp_tensor_name);
	uint64_t off = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t cnt;
		if (!s[i].name || !*s[i].name || !strcmp(s[i].name, "__metadata__") ||
		    (i && !strcmp(s[i].name, s[i - 1].name))) {
			rc = rf_error_set(RF_EINVAL, "safetensors: bad or duplicate tensor name '%s'",
					  s[i].name ? s[i].name : "");
			goto out;
		}
		if (tensor_count(&s[i], &cnt)) {
			rc = rf_error_set(RF_EINVAL, "safetensors: bad shape for '%s'", s[i].name);
			goto out;
		}
		json_t *shape = json_array();
		for (int d = 0; d < s[i].ndim; d++)
			json_array_append_new(shape, json_integer(s[i].shape[d]));
		json_t *e = json_pack("{s:s, s:o, s:[I,I]}", "dtype", "F32", "shape", shape,
				      "data_offsets", (json_int_t)off,
				      (json_int_t)(off + 4 * cnt));
		if (!e || json_object_set_new(hdr, s[i].name, e))
			goto out;
		off += 4 * cnt;
	}
	if (nmeta) {
		md = json_object();
		if (!md)
			goto out;
		for (size_t i = 0; i < nmeta; i++)
			if (!meta[2 * i] || !meta[2 * i + 1] ||
			    json_object_set_new(md, meta[2 * i], json_string(meta[2 * i + 1]))) {
				rc = rf_error_set(RF_EINVAL, "safetensors: bad metadata entry %zu", i);
				goto out;
			}
		if (json_object_set(hdr, "__metadata__", md))
			goto out;
	}
	js = json_dumps(hdr, JSON_COMPACT | JSON_SORT_KEYS);
	if (!js)
		goto out;
	size_t hl = strlen(js), pad = (8 - hl % 8) % 8;
	unsigned char len8[8];
	uint64_t H = hl + pad;
	for (int i = 0; i < 8; i++)
		len8[i] = (unsigned char)(H >> (8 * i));
	if (rf_buf_append(out, len8, 8) || rf_buf_append(out, js, hl) ||
	    rf_buf_append(out, "        ", pad) || rf_buf_grow(out, (size_t)off))
		goto out;
	for (size_t i = 0; i < n; i++) {
		uint64_t cnt = 0;
		tensor_count(&s[i], &cnt);
		unsigned char *p = (unsigned char *)out->data + out->len;
		for (uint64_t j = 0; j < cnt; j++) {
			uint32_t u;
			memcpy(&u, &s[i].data[j], 4);
			put_le32(p + 4 * j, u);
		}
		out->len += (size_t)(4 * cnt);
	}
	out->data[out->len] = '\0';
	rc = 0;
out:
	if (rc == RF_ENOMEM)
		rf_error_set(RF_ENOMEM, "safetensors: out of memory");
	free(js);
	free(s);
	json_decref(md);
	json_decref(hdr);
	return rc;
}

int rf_st_write(const char *path, const rf_st_tensor *t, size_t n,
		const char *const *meta, size_t nmeta, int overwrite)
{
	rf_buf b = RF_BUF_INIT;
	int rc = rf_st_serialize(&b, t, n, meta, nmeta);
	if (!rc)
		rc = rf_file_write_atomic(path, b.data, b.len, 0644, overwrite);
	rf_buf_free(&b);
	return rc;
}

void rf_st_free(rf_st *st)
{
	if (!st)
		return;
	if (st->names)
		for (size_t i = 0; i < st->n; i++)
			free(st->names[i]);
	free(st->names);
	free(st->t);
	free(st->data);
	json_decref(st->meta);
	free(st);
}

struct span {
	uint64_t b, e;
	size_t i;
};

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	if (x->b != y->b)
		return x->b < y->b ? -1 : 1;
	return x->e < y->e ? -1 : x->e > y->e;
}

/* A JSON integer in [0, max]. */
static int get_uint(json_t *v, uint64_t max, uint64_t *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > max)
		return -1;
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

int rf_st_parse(rf_st **out, const void *bytes, size_t len, const char *what)
{
	const unsigned char *p = bytes;
	json_t *hdr = NULL;
	json_error_t jerr;
	struct span *sp = NULL;
	rf_st *st = NULL;
	int rc;
	*out = NULL;
	if (!what)
		what = "safetensors";
	if (len < 8)
		return rf_error_set(RF_EFORMAT, "'%s': truncated safetensors file (%zu bytes)",
				    what, len);
	uint64_t H = 0;
	for (int i = 0; i < 8; i++)
		H |= (uint64_t)p[i] << (8 * i);
	if (H > RF_ST_MAX_HEADER)
		return rf_error_set(RF_ELIMIT, "'%s': safetensors header length %llu over the limit %u",
				    what, (unsigned long long)H, RF_ST_MAX_HEADER);
	if (H > len - 8)
		return rf_error_set(RF_EFORMAT,
				    "'%s': safetensors header length %llu runs past the end of the file (%zu bytes)",
				    what, (unsigned long long)H, len);
	if (H < 2 || p[8] != '{')
		return rf_error_set(RF_EFORMAT, "'%s': safetensors header is not a JSON object", what);
	hdr = json_loadb((const char *)p + 8, (size_t)H, JSON_REJECT_DUPLICATES, &jerr);
	if (!hdr)
		return rf_error_set(RF_EFORMAT, "'%s': safetensors header:%d:%d: %s", what,
				    jerr.line, jerr.column, jerr.text);
	const uint64_t dlen = len - 8 - H;
	size_t nt = json_object_size(hdr);
	rc = RF_ENOMEM;
	st = calloc(1, sizeof *st);
	if (!json_is_object(hdr)) {
		rc = rf_error_set(RF_EFORMAT, "'%s': safetensors header is not a JSON object", what);
		goto fail;
	}
	if (nt > RF_ST_MAX_TENSORS + 1) {
		rc = rf_error_set(RF_ELIMIT, "'%s': too many tensors (%zu)", what, nt);
		goto fail;
	}
	if (!st)
		goto fail;
	st->t = calloc(nt ? nt : 1, sizeof *st->t);
	st->names = calloc(nt ? nt : 1, sizeof *st->names);
	sp = calloc(nt ? nt : 1, sizeof *sp);
	if (!st->t || !st->names || !sp)
		goto fail;
	const char *key;
	json_t *val;
	json_object_foreach(hdr, key, val) {
		if (!strcmp(key, "__metadata__")) {
			const char *mk;
			json_t *mv;
			if (!json_is_object(val)) {
				rc = rf_error_set(RF_EFORMAT, "'%s': __metadata__ is not an object", what);
				goto fail;
			}
			json_object_foreach(val, mk, mv) if (!json_is_string(mv))
			{
				rc = rf_error_set(RF_EFORMAT,
						  "'%s': __metadata__ value of '%s' is not a string",
						  what, mk);
				goto fail;
			}
			st->meta = json_incref(val);
			continue;
		}
		rf_st_tensor *t = &st->t[st->n];
		json_t *dt = json_object_get(val, "dtype"), *sh = json_object_get(val, "shape"),
		       *of = json_object_get(val, "data_offsets");
		if (!json_is_object(val) || !dt || !sh || !of || json_object_size(val) != 3) {
			rc = rf_error_set(RF_EFORMAT,
					  "'%s': tensor '%s' needs exactly dtype, shape and data_offsets",
					  what, key);
			goto fail;
		}
		if (!json_is_string(dt) || strcmp(json_string_value(dt), "F32")) {
			rc = rf_error_set(RF_EFORMAT, "'%s': tensor '%s' has dtype '%s', only F32 is supported",
					  what, key, json_is_string(dt) ? json_string_value(dt) : "?");
			goto fail;
		}
		if (!json_is_array(sh) || json_array_size(sh) > RF_ST_MAX_DIM) {
			rc = rf_error_set(RF_EFORMAT, "'%s': tensor '%s' has a bad shape", what, key);
			goto fail;
		}
		t->ndim = (int)json_array_size(sh);
		for (int d = 0; d < t->ndim; d++) {
			uint64_t x;
			if (get_uint(json_array_get(sh, (size_t)d), (uint64_t)1 << 40, &x)) {
				rc = rf_error_set(RF_EFORMAT, "'%s': tensor '%s' has a bad shape",
						  what, key);
				goto fail;
			}
			t->shape[d] = (int64_t)x;
		}
		uint64_t cnt, b, e;
		if (tensor_count(t, &cnt)) {
			rc = rf_error_set(RF_EFORMAT, "'%s': tensor '%s' is too large", what, key);
			goto fail;
		}
		if (!json_is_array(of) || json_array_size(of) != 2 ||
		    get_uint(json_array_get(of, 0), UINT64_MAX / 2, &b) ||
		    get_uint(json_array_get(of, 1), UINT64_MAX / 2, &e) || e < b) {
			rc = rf_error_set(RF_EFORMAT, "'%s': tensor '%s' has bad data_offsets", what, key);
			goto fail;
		}
		if (e > dlen) {
			rc = rf_error_set(RF_EFORMAT,
					  "'%s': tensor '%s' data_offsets [%llu, %llu] run past the data (%llu bytes)",
					  what, key, (unsigned long long)b, (unsigned long long)e,
					  (unsigned long long)dlen);
			goto fail;
		}
		if (e - b != 4 * cnt) {
			rc = rf_error_set(RF_EFORMAT,
					  "'%s': tensor '%s' has %llu bytes but its shape needs %llu",
					  what, key, (unsigned long long)(e - b),
					  (unsigned long long)(4 * cnt));
			goto fail;
		}
		st->names[st->n] = strdup(key);
		if (!st->names[st->n])
			goto fail;
		t->name = st->names[st->n];
		sp[st->n].b = b;
		sp[st->n].e = e;
		sp[st->n].i = st->n;
		st->n++;
	}
	/* the data must be covered exactly: in order, no overlap, no hole */
	qsort(sp, st->n, sizeof *sp, cmp_span);
	uint64_t at = 0;
	for (size_t i = 0; i < st->n; i++) {
		if (sp[i].b != at) {
			rc = rf_error_set(RF_EFORMAT,
					  sp[i].b < at ? "'%s': tensor '%s' overlaps another one's data"
						       : "'%s': hole in the data before tensor '%s'",
					  what, st->t[sp[i].i].name);
			goto fail;
		}
		at = sp[i].e;
	}
	if (at != dlen) {
		rc = rf_error_set(RF_EFORMAT, "'%s': %llu bytes of data not covered by any tensor",
				  what, (unsigned long long)(dlen - at));
		goto fail;
	}
	st->data = malloc(dlen ? (size_t)dlen : 1);
	if (!st->data)
		goto fail;
	const unsigned char *d = p + 8 + H;
	for (uint64_t j = 0; j < dlen / 4; j++) {
		uint32_t u = (uint32_t)d[4 * j] | (uint32_t)d[4 * j + 1] << 8 |
			     (uint32_t)d[4 * j + 2] << 16 | (uint32_t)d[4 * j + 3] << 24;
		memcpy(&st->data[j], &u, 4);
	}
	for (size_t i = 0; i < st->n; i++)
		st->t[sp[i].i].data = st->data + sp[i].b / 4;
	/* name order, so lookups can bisect */
	qsort(st->t, st->n, sizeof *st->t, cmp_tensor_name);
	free(sp);
	json_decref(hdr);
	*out = st;
	return 0;
fail:
	if (rc == RF_ENOMEM)
		rf_error_set(RF_ENOMEM, "'%s': out of memory", what);
	free(sp);
	rf_st_free(st);
	json_decref(hdr);
	return rc;
}

int rf_st_read(rf_st **out, const char *path, size_t max_bytes)
{
	rf_buf b = RF_BUF_INIT;
	int rc = rf_file_read(&b, path, max_bytes);
	*out = NULL;
	if (!rc)
		rc = rf_st_parse(out, b.data ? b.data : "", b.len, path);
	rf_buf_free(&b);
	return rc;
}

size_t rf_st_count(const rf_st *st)
{
	return st ? st->n : 0;
}

const rf_st_tensor *rf_st_at(const rf_st *st, size_t i)
{
	return st && i < st->n ? &st->t[i] : NULL;
}

const rf_st_tensor *rf_st_find(const rf_st *st, const char *name)
{
	size_t lo = 0, hi = st ? st->n : 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(st->t[mid].name, name);
		if (!c)
			return &st->t[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *rf_st_meta(const rf_st *st, const char *key)
{
	json_t *v = st && st->meta ? json_object_get(st->meta, key) : NULL;
	return v ? json_string_value(v) : NULL;
}
