/* Two small derivation sources:
 *   from: {source: claim, claim: ID}        another claim's stated figure
 *                                           (two statements of one quantity)
 *   from: {source: config, path: P}         a value in a manifest, or the
 *   from: {source: config, product: [P...]} product of several (batch =
 *                                           group size × questions) */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "referee/error.h"

static const rf_field rf_source_claim_fields[] = {
	{.name = "source", .type = RF_FIELD_STRING, .flags = RF_FIELD_REQUIRED},
	{.name = "claim", .type = RF_FIELD_STRING, .flags = RF_FIELD_REQUIRED,
	 .doc = "id of the claim stating the same quantity"},
	{NULL}};

static int derive_claim(void *ctx, const rf_claims_env *env, const rf_node *p,
			rf_derivation *out, rf_buf *explain)
{
	const char *id;
	const rf_figure *f;
	char label[300];
	(void)ctx;
	id = rf_node_text(rf_node_get(p, "claim"));
	if (!(f = rf_claims_env_claim(env, id)))
		return rf_node_error(RF_EFORMAT, rf_node_get(p, "claim"), "from.claim",
				     "no claim with id '%s'", id);
	out->figure = *f;
	out->verdict = 0;
	snprintf(out->where, sizeof out->where, "%s", rf_env_claim_origin(env, id));
	snprintf(label, sizeof label, "as stated by claim '%s'", id);
	return rf_explain_figure(explain, label, f);
}

const rf_source_def rf_source_claim = {{"claim", derive_claim, NULL}, rf_source_claim_fields, NULL, NULL};

static const rf_field steps_fields[] = {
	{.name = "epochs", .type = RF_FIELD_STRING, .flags = RF_FIELD_REQUIRED,
	 .doc = "path of the epoch count"},
	{.name = "examples", .type = RF_FIELD_STRING, .flags = RF_FIELD_REQUIRED,
	 .doc = "path of the number of examples"},
	{.name = "batch", .type = RF_FIELD_STRING, .flags = RF_FIELD_REQUIRED,
	 .doc = "path of the batch size (examples per step)"},
	{NULL}};

static const rf_field rf_source_config_fields[] = {
	{.name = "source", .type = RF_FIELD_STRING, .flags = RF_FIELD_REQUIRED},
	{.name = "kind", .type = RF_FIELD_STRING,
	 .doc = "manifest kind (default training-config)"},
	{.name = "manifest", .type = RF_FIELD_STRING, .doc = "file stem or name"},
	{.name = "path", .type = RF_FIELD_STRING, .doc = "a value's path"},
	{.name = "product", .type = RF_FIELD_LIST, .item = RF_FIELD_STRING,
	 .flags = RF_FIELD_RANGE, .min = 1, .max = 16, .doc = "paths of factors"},
	{.name = "sum", .type = RF_FIELD_LIST, .item = RF_FIELD_STRING,
	 .flags = RF_FIELD_RANGE, .min = 1, .max = 64, .doc = "paths of terms (5k + 10k + 1k)"},
	{.name = "ratio", .type = RF_FIELD_LIST, .item = RF_FIELD_STRING,
	 .flags = RF_FIELD_RANGE, .min = 2, .max = 2, .doc = "[numerator, denominator] paths"},
	{.name = "steps", .type = RF_FIELD_MAP, .fields = steps_fields,
	 .doc = "epochs × ceil(examples / batch)"},
	{NULL}};

/* A manifest value as a figure: numbers are exact settings, strings are
 * figures as written. */
static int value_figure(rf_figure *out, const rf_claims_env *env, const rf_node *root,
			const char *path, int use_claimed_unit)
{
	const rf_node *v = rf_node_path(root, path);
	rf_scalar_type t;
	if (!v)
		return rf_error_set(RF_ENOTFOUND, "'%s' is not set in %s", path,
				    rf_node_file(root));
	t = rf_node_scalar_type(v);
	if (t == RF_SCALAR_INT || t == RF_SCALAR_FLOAT) {
		/* a bare number counts in the claim's unit (2048 → GPUs) */
		const rf_figure *claimed = rf_claims_env_claimed(env);
		rf_figure_opts o = {.exact = 1};
		rf_unit ratio;
		rf_unit_parse(&ratio, "");
		/* ... but a bare 0.35 is a ratio, the same figure as 35% */
		if (claimed && use_claimed_unit && !rf_unit_same_dim(&claimed->unit, &ratio))
			o.default_unit = claimed->unit.name;
		if (rf_figure_parse(out, rf_node_text(v), &o))
			return rf_node_error(RF_EFORMAT, v, path, "%s", rf_error_last());
		return 0;
	}
	return rf_claims_env_figure(out, env, v, path, NULL, 0);
}

/* ceil of every point of an interval: [ceil(lo), ceil(hi)], exact. */
static rf_interval ceil_interval(rf_interval v)
{
	rf_interval r = {ceil(v.lo), ceil(v.hi), 0, 0};
	/* (62, 63) never reaches 63 itself: still ceil 63; (63, 64) is 64 */
	if (v.lo_open && v.lo == r.lo)
		r.lo += 1;
	return r;
}

/* epochs × ceil(examples / batch): a stated step count derived. */
static int config_steps(rf_figure *out, const rf_claims_env *env, const rf_manifest *m,
			const rf_node *steps, rf_buf *explain)
{
	static const char *const keys[] = {"epochs", "examples", "batch"};
	rf_figure f[3];
	char label[300];
	int rc;
	for (int i = 0; i < 3; i++) {
		const char *fp = rf_node_text(rf_node_get(steps, keys[i]));
		if ((rc = value_figure(&f[i], env, rf_manifest_root(m), fp, 0)))
			return rc;
		snprintf(label, sizeof label, "%s: %s (%s)", rf_manifest_file(m), fp, keys[i]);
		rf_explain_figure(explain, label, &f[i]);
	}
	rf_figure_div(out, &f[1], &f[2]);
	out->v = ceil_interval(out->v);
	out->stated = ceil_interval(out->stated);
	rf_explain_figure(explain, "steps per epoch = ceil(examples / batch)", out);
	rf_figure_mul(out, &f[0], out);
	return rf_explain_figure(explain, "steps = epochs × steps per epoch", out);
}

static int derive_config(void *ctx, const rf_claims_env *env, const rf_node *p,
			 rf_derivation *out, rf_buf *explain)
{
	static const char *const ways[] = {"path", "product", "sum", "ratio", "steps"};
	const rf_manifest *m;
	const rf_node *kind, *path, *list = NULL, *root;
	const char *way = NULL;
	char label[300];
	int rc;
	(void)ctx;
	kind = rf_node_get(p, "kind");
	path = rf_node_get(p, "path");
	for (size_t i = 0; i < sizeof ways / sizeof ways[0]; i++)
		if (rf_node_get(p, ways[i])) {
			if (way)
				way = "";
			else
				way = ways[i];
		}
	if (!way || !*way)
		return rf_node_error(RF_EFORMAT, p, "from",
				     "give exactly one of path:, product:, sum:, ratio: or steps:");
	if ((rc = rf_env_manifest(&m, env, p, "manifest",
				  kind ? rf_node_text(kind) : "training-config")))
		return rc;
	root = rf_manifest_root(m);
	out->verdict = 0;
	if (path) {
		const rf_node *v = rf_node_path(root, rf_node_text(path));
		if ((rc = value_figure(&out->figure, env, root, rf_node_text(path), 1)))
			return rc;
		/* where the other statement is, for a reason that names both */
		snprintf(out->where, sizeof out->where, "%s:%u:%u", rf_node_file(v), rf_node_line(v),
			 rf_node_column(v));
		snprintf(label, sizeof label, "%s: %s", rf_manifest_file(m), rf_node_text(path));
		return rf_explain_figure(explain, label, &out->figure);
	}
	if (!strcmp(way, "steps"))
		return config_steps(&out->figure, env, m, rf_node_get(p, "steps"), explain);
	list = rf_node_get(p, way);
	for (size_t i = 0; i < rf_node_size(list); i++) {
		rf_figure f;
		const char *fp = rf_node_text(rf_node_at(list, i));
		if ((rc = value_figure(&f, env, root, fp, 0)))
			return rc;
		snprintf(label, sizeof label, "%s: %s", rf_manifest_file(m), fp);
		rf_explain_figure(explain, label, &f);
		if (i == 0)
			out->figure = f;
		else if (!strcmp(way, "product"))
			rf_figure_mul(&out->figure, &out->figure, &f);
		else if (!strcmp(way, "ratio"))
			rf_figure_div(&out->figure, &out->figure, &f);
		else if ((rc = rf_figure_add(&out->figure, &out->figure, &f)))
			return rf_node_error(RF_EFORMAT, rf_node_at(list, i), "from.sum", "%s",
					     rf_error_last());
	}
	return rf_explain_figure(explain, way, &out->figure);
}

const rf_source_def rf_source_config = {{"config", derive_config, NULL}, rf_source_config_fields, NULL, NULL};
