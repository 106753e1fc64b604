/* The `contamination` derivation source of the claims check: a claim such
 * as "0 of 500 MATH-500 problems overlap the released SFT data" names the
 * benchmark and the corpus, and `referee check` counts the overlapping
 * items itself:
 *
 *   from: {source: contamination, eval: math500.jsonl, field: problem,
 *          corpus: [sft.jsonl.zst], corpus_field: [messages], n: 13,
 *          metric: items | percent}
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "referee/contam.h"
#include "referee/error.h"
#include "referee/file.h"
#include "referee/path.h"

#define MAX_CORPUS 10000
#define MAX_NAMED 20

static const rf_field params[] = {
    {.name = "source", .type = RF_FIELD_STRING, .flags = RF_FIELD_REQUIRED},
    {.name = "eval",
     .type = RF_FIELD_STRING,
     .flags = RF_FIELD_REQUIRED | RF_FIELD_NONEMPTY,
     .doc = "benchmark JSON Lines file, relative to the manifests' folder"},
    {.name = "field",
     .type = RF_FIELD_STRING,
     .flags = RF_FIELD_NONEMPTY,
     .doc = "field of the benchmark item's text (default problem, question "
	    "or prompt)"},
    {.name = "corpus",
     .type = RF_FIELD_ANY,
     .flags = RF_FIELD_REQUIRED,
     .doc = "corpus file or list of files (JSON Lines or text, .gz/.zst)"},
    {.name = "corpus_field",
     .type = RF_FIELD_ANY,
     .doc = "JSON Lines corpus: key or list of keys to read (default every "
	    "string)"},
    {.name = "n",
     .type = RF_FIELD_INT,
     .flags = RF_FIELD_RANGE,
     .min = RF_CONTAM_MIN_N,
     .max = RF_CONTAM_MAX_N,
     .doc = "n-gram length in words (default 13)"},
    {.name = "metric",
     .type = RF_FIELD_STRING,
     .flags = RF_FIELD_NONEMPTY,
     .doc = "items (default: how many items overlap) or percent"},
    {NULL}};

/* A string or a list of strings: *out holds borrowed pointers. */
static int strings_of(const rf_node *p, const char *key, const char ***out,
		      size_t *n)
{
	const rf_node *v = rf_node_get(p, key);
	char path[64];
	*out = NULL;
	*n = 0;
	if (!v)
		return 0;
	snprintf(path, sizeof path, "from.%s", key);
	if (rf_node_kind(v) == RF_NODE_SCALAR) {
		if (!(*out = malloc(sizeof **out)))
			return rf_error_set(RF_ENOMEM, "out of memory");
		(*out)[0] = rf_node_text(v);
		*n = 1;
		return 0;
	}
	if (rf_node_kind(v) != RF_NODE_LIST || !rf_node_size(v) ||
	    rf_node_size(v) > MAX_CORPUS)
		return rf_node_error(RF_EFORMAT, v, path,
				     "expected a file name or a list of up to "
				     "%d",
				     MAX_CORPUS);
	if (!(*out = calloc(rf_node_size(v), sizeof **out)))
		return rf_error_set(RF_ENOMEM, "out of memory");
	for (size_t i = 0; i < rf_node_size(v); i++) {
		const rf_node *e = rf_node_at(v, i);
		if (rf_node_kind(e) != RF_NODE_SCALAR) {
			free(*out);
			*out = NULL;
			return rf_node_error(RF_EFORMAT, e, path,
					     "expected a string");
		}
		(*out)[i] = rf_node_text(e);
	}
	*n = rf_node_size(v);
	return 0;
}

/* dir/rel, which must exist and stay inside dir. */
static int resolve(rf_buf *out, const rf_claims_env *env, const rf_node *p,
		   const char *key, const char *rel)
{
	int rc;
	rf_buf_clear(out);
	if (rf_path_check_relative(rel, key))
		return rf_node_error(RF_EFORMAT, rf_node_get(p, key), key, "%s",
				     rf_error_last());
	if ((rc = rf_path_join(out, rf_claims_env_dir(env), rel)))
		return rc;
	if (!rf_path_exists(out->data))
		return rf_error_set(RF_ENOTFOUND, "%s '%s' not found", key, rel);
	return rf_path_check_inside(rf_claims_env_dir(env), out->data);
}

/* An item id from a benchmark file, safe for a terminal. */
static const char *safe_id(char *buf, size_t size, const char *id)
{
	size_t k = 0;
	for (; *id && k + 1 < size; id++)
		buf[k++] = (unsigned char)*id < 0x20 || *id == 0x7f ? '?' : *id;
	buf[k] = 0;
	return buf;
}

static int derive(void *ctx, const rf_claims_env *env, const rf_node *p,
		  rf_derivation *out, rf_buf *explain)
{
	const char **corpus = NULL, **cfields = NULL, *metric, *eval, *field;
	size_t ncorpus = 0, ncf = 0, over, named = 0;
	rf_contam_index *ix = NULL;
	rf_contam_scan *sc = NULL;
	rf_contam_opts o = {0};
	rf_buf path = RF_BUF_INIT;
	rf_figure_opts fo = {.exact = 1};
	long long n = RF_CONTAM_DEFAULT_N;
	const rf_node *mn;
	char num[64];
	int rc, pct;
	(void)ctx;
	if ((rc = rf_schema_check(p, params, "from")))
		return rc;
	mn = rf_node_get(p, "metric");
	metric = mn ? rf_node_text(mn) : "items";
	if (strcmp(metric, "items") && strcmp(metric, "percent"))
		return rf_node_error(RF_EFORMAT, mn, "from.metric",
				     "expected items or percent, got \"%.40s\"",
				     metric);
	pct = !strcmp(metric, "percent");
	if (rf_node_get(p, "n") && (rc = rf_node_get_int(&n, p, "n")))
		return rc;
	eval = rf_node_text(rf_node_get(p, "eval"));
	field = rf_node_get(p, "field") ? rf_node_text(rf_node_get(p, "field"))
					: NULL;
	if ((rc = strings_of(p, "corpus", &corpus, &ncorpus)) ||
	    (rc = strings_of(p, "corpus_field", &cfields, &ncf)))
		goto out;
	if ((rc = rf_contam_index_new(&ix, (int)n)) ||
	    (rc = resolve(&path, env, p, "eval", eval)) ||
	    (rc = rf_contam_index_add_jsonl(ix, path.data, field, NULL)) ||
	    (rc = rf_contam_index_finish(ix)))
		goto out;
	o.fields = cfields;
	o.nfields = ncf;
	if ((rc = rf_contam_scan_new(&sc, ix, &o)))
		goto out;
	for (size_t i = 0; i < ncorpus; i++)
		if ((rc = resolve(&path, env, p, "corpus", corpus[i])) ||
		    (rc = rf_contam_scan_file(sc, path.data, i)))
			goto out;
	over = rf_contam_scan_overlapping(sc, NULL);
	if (pct)
		snprintf(num, sizeof num, "%.12g%%",
			 rf_contam_index_items(ix)
			     ? 100.0 * (double)over /
				   (double)rf_contam_index_items(ix)
			     : 0.0);
	else
		snprintf(num, sizeof num, "%zu", over);
	if ((rc = rf_figure_parse(&out->figure, num, &fo)))
		goto out;
	out->verdict = 0;
	if (explain) {
		rf_buf_printf(explain,
			      "%d-gram overlap of '%s' (%zu items) with %zu "
			      "corpus file%s: %zu item%s overlap\n",
			      (int)n, eval, rf_contam_index_items(ix), ncorpus,
			      ncorpus == 1 ? "" : "s", over,
			      over == 1 ? "" : "s");
		for (size_t i = 0; i < rf_contam_index_items(ix); i++) {
			rf_contam_item it;
			char idbuf[81];
			rf_contam_scan_item(sc, i, &it);
			if (!it.longest)
				continue;
			if (named++ == MAX_NAMED) {
				rf_buf_printf(explain, "  ... and %zu more\n",
					      over - MAX_NAMED);
				break;
			}
			rf_buf_printf(explain,
				      "  item %s: %zu of %zu n-grams, "
				      "longest %zu words at %s:%llu\n",
				      safe_id(idbuf, sizeof idbuf, it.id), it.found, it.ngrams, it.longest,
				      corpus[it.file_index],
				      (unsigned long long)it.line);
		}
	}
out:
	rf_contam_scan_free(sc);
	rf_contam_index_free(ix);
	rf_buf_free(&path);
	free(corpus);
	free(cfields);
	return rc;
}

static const rf_claims_source source = {"contamination", derive, NULL};

const rf_claims_source *rf_contam_claims_source(void)
{
	return &source;
}
