/* The benchmark side of the contamination check: every item's words and
 * n-grams, an exact table from n-gram hash to (item, position).  Small
 * (a benchmark is thousands of items), so it is built once and shared,
 * read-only, by every scanning thread. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contam_internal.h"
#include "referee/error.h"
#include "referee/file.h"

int rf_contam_index_new(rf_contam_index **out, int n)
{
	rf_contam_index *ix;
	*out = NULL;
	if (n < RF_CONTAM_MIN_N || n > RF_CONTAM_MAX_N)
		return rf_error_set(RF_EINVAL, "n must be %d..%d, got %d",
				    RF_CONTAM_MIN_N, RF_CONTAM_MAX_N, n);
	if (!(ix = calloc(1, sizeof *ix)))
		return rf_error_set(RF_ENOMEM, "out of memory");
	ix->n = n;
	ix->bpow = 1;
	for (int i = 1; i < n; i++)
		ix->bpow *= CONTAM_B;
	*out = ix;
	return 0;
}

void rf_contam_index_free(rf_contam_index *ix)
{
	if (!ix)
		return;
	for (size_t i = 0; i < ix->nitems; i++)
		free(ix->items[i].id);
	for (size_t i = 0; i < ix->nbenches; i++)
		free(ix->benches[i]);
	free(ix->items);
	free(ix->benches);
	ctoks_free(&ix->toks);
	free(ix->post);
	free(ix->table);
	free(ix->filter);
	free(ix);
}

static int bench_id(rf_contam_index *ix, const char *name, uint32_t *out)
{
	char **v;
	for (size_t i = 0; i < ix->nbenches; i++)
		if (!strcmp(ix->benches[i], name)) {
			*out = (uint32_t)i;
			return 0;
		}
	if (!(v = realloc(ix->benches, (ix->nbenches + 1) * sizeof *v)))
		return rf_error_set(RF_ENOMEM, "out of memory");
	ix->benches = v;
	if (!(v[ix->nbenches] = strdup(name)))
		return rf_error_set(RF_ENOMEM, "out of memory");
	*out = (uint32_t)ix->nbenches++;
	return 0;
}

int rf_contam_index_add(rf_contam_index *ix, const char *bench, const char *id,
			const char *text, size_t len)
{
	citem *it;
	uint32_t line = 0, b = 0;
	size_t tok0 = ix->toks.n;
	int rc;
	if (ix->finished)
		return rf_error_set(RF_EINVAL, "index already finished");
	if (ix->nitems >= RF_CONTAM_MAX_ITEMS)
		return rf_error_set(RF_ELIMIT, "more than %u benchmark items",
				    RF_CONTAM_MAX_ITEMS);
	if ((rc = bench_id(ix, bench, &b)))
		return rc;
	if (ix->nitems == ix->items_cap) {
		size_t cap = ix->items_cap ? ix->items_cap * 2 : 256;
		citem *v = realloc(ix->items, cap * sizeof *v);
		if (!v)
			return rf_error_set(RF_ENOMEM, "out of memory");
		ix->items = v;
		ix->items_cap = cap;
	}
	if ((rc = contam_tokenize(&ix->toks, text, len, &line)))
		return rc;
	it = &ix->items[ix->nitems];
	memset(it, 0, sizeof *it);
	if (!(it->id = strdup(id))) {
		ix->toks.n = tok0;
		return rf_error_set(RF_ENOMEM, "out of memory");
	}
	it->bench = b;
	it->tok0 = tok0;
	it->ntok = ix->toks.n - tok0;
	it->gram0 = ix->ngrams;
	if (it->ntok >= (size_t)ix->n)
		ix->ngrams += it->ntok - (size_t)ix->n + 1;
	ix->nitems++;
	return 0;
}

static const char *const text_keys[] = {"problem", "question", "prompt", NULL};
static const char *const id_keys[] = {"id", "idx", "unique_id", NULL};

int rf_contam_index_add_jsonl(rf_contam_index *ix, const char *path,
			      const char *field, const char *bench)
{
	FILE *f = fopen(path, "rb");
	char *line = NULL, name[256];
	size_t cap = 0, lineno = 0;
	ssize_t n;
	int rc = 0;
	if (!f)
		return rf_error_set(RF_EIO, "cannot open '%s'", path);
	if (!bench) {
		const char *base = strrchr(path, '/');
		char *dot;
		snprintf(name, sizeof name, "%s", base ? base + 1 : path);
		if ((dot = strchr(name, '.')) && dot != name)
			*dot = 0;
		bench = name;
	}
	while (!rc && (n = getline(&line, &cap, f)) >= 0) {
		json_error_t err;
		json_t *o, *t = NULL, *idv = NULL;
		char idbuf[64];
		const char *id;
		lineno++;
		if (strspn(line, " \t\r\n") == (size_t)n)
			continue;
		o = json_loadb(line, (size_t)n, JSON_DECODE_ANY, &err);
		if (!o || !json_is_object(o)) {
			rc = rf_error_set(RF_EFORMAT, "%s:%zu:%d: %s", path,
					  lineno, o ? 1 : err.column,
					  o ? "not a JSON object" : err.text);
			json_decref(o);
			break;
		}
		if (field) {
			t = json_object_get(o, field);
		} else {
			for (const char *const *k = text_keys; *k && !t; k++)
				t = json_object_get(o, *k);
		}
		if (!json_is_string(t)) {
			rc = rf_error_set(
			    RF_EFORMAT, "%s:%zu: no string field '%s'", path,
			    lineno, field ? field : "problem|question|prompt");
			json_decref(o);
			break;
		}
		for (const char *const *k = id_keys; *k && !idv; k++)
			idv = json_object_get(o, *k);
		if (json_is_string(idv))
			id = json_string_value(idv);
		else if (json_is_integer(idv))
			id = (snprintf(idbuf, sizeof idbuf, "%lld",
				       (long long)json_integer_value(idv)),
			      idbuf);
		else
			id = (snprintf(idbuf, sizeof idbuf, "line %zu", lineno),
			      idbuf);
		rc = rf_contam_index_add(ix, bench, id, json_string_value(t),
					 json_string_length(t));
		json_decref(o);
	}
	if (!rc && ferror(f))
		rc = rf_error_set(RF_EIO, "cannot read '%s'", path);
	free(line);
	fclose(f);
	return rc;
}

static int post_cmp(const void *a, const void *b)
{
	const cpost *x = a, *y = b;
	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	if (x->item != y->item)
		return x->item < y->item ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

int rf_contam_index_finish(rf_contam_index *ix)
{
	size_t k = 0, uniq = 0, size = 16;
	const size_t n = (size_t)ix->n;
	if (ix->finished)
		return 0;
	if (ix->ngrams > UINT32_MAX)
		return rf_error_set(RF_ELIMIT, "more than 2^32 benchmark n-grams");
	if (ix->ngrams &&
	    !(ix->post = malloc(ix->ngrams * sizeof *ix->post)))
		return rf_error_set(RF_ENOMEM, "out of memory");
	for (size_t i = 0; i < ix->nitems; i++) {
		const citem *it = &ix->items[i];
		const ctok *w = ix->toks.v + it->tok0;
		uint64_t h = 0;
		for (size_t p = 0; p < it->ntok; p++) {
			if (p >= n)
				h -= w[p - n].hash * ix->bpow;
			h = h * CONTAM_B + w[p].hash;
			if (p + 1 >= n)
				ix->post[k++] = (cpost){h, (uint32_t)i,
							(uint32_t)(p + 1 - n)};
		}
	}
	ix->npost = k;
	if (k)
		qsort(ix->post, k, sizeof *ix->post, post_cmp);
	for (size_t i = 0; i < k; i++)
		uniq += !i || ix->post[i].h != ix->post[i - 1].h;
	while (size < 2 * uniq + 16)
		size *= 2;
	if (!(ix->table = calloc(size, sizeof *ix->table)))
		return rf_error_set(RF_ENOMEM, "out of memory");
	ix->mask = size - 1;
	{
		/* about 32 filter bits per n-gram: ~3% of misses reach the
		 * table; at least 2^16 bits */
		int bits = 16;
		while (bits < 40 && ((size_t)1 << bits) < 32 * uniq)
			bits++;
		ix->fshift = 64 - bits;
		if (!(ix->filter = calloc(((size_t)1 << bits) / 64, 8)))
			return rf_error_set(RF_ENOMEM, "out of memory");
		for (size_t i = 0; i < k; i++) {
			uint64_t b = ix->post[i].h >> ix->fshift;
			ix->filter[b >> 6] |= 1ull << (b & 63);
		}
	}
	for (size_t i = 0; i < k;) {
		size_t j = i, s;
		while (j < k && ix->post[j].h == ix->post[i].h)
			j++;
		s = contam_mix(ix->post[i].h) & ix->mask;
		while (ix->table[s].count)
			s = (s + 1) & ix->mask;
		ix->table[s] = (cslot){ix->post[i].h, (uint32_t)i,
				       (uint32_t)(j - i)};
		i = j;
	}
	ix->finished = 1;
	return 0;
}

int rf_contam_index_n(const rf_contam_index *ix) { return ix->n; }
size_t rf_contam_index_items(const rf_contam_index *ix) { return ix->nitems; }
size_t rf_contam_index_benches(const rf_contam_index *ix) { return ix->nbenches; }
size_t rf_contam_index_ngrams(const rf_contam_index *ix) { return ix->ngrams; }
const char *rf_contam_index_bench(const rf_contam_index *ix, size_t b)
{
	return b < ix->nbenches ? ix->benches[b] : NULL;
}

int rf_contam_index_item(const rf_contam_index *ix, size_t i,
			 const char **bench, const char **id, rf_buf *words)
{
	const citem *it;
	if (i >= ix->nitems)
		return rf_error_set(RF_EINVAL, "no item %zu", i);
	it = &ix->items[i];
	*bench = ix->benches[it->bench];
	*id = it->id;
	for (size_t k = 0; words && k < it->ntok; k++) {
		const ctok *t = &ix->toks.v[it->tok0 + k];
		if ((k && rf_buf_puts(words, " ")) ||
		    rf_buf_append(words, ix->toks.text.data + t->off, t->len))
			return rf_error_set(RF_ENOMEM, "out of memory");
	}
	return 0;
}
