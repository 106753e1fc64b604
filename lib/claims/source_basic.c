/* Two small derivation sources:
 *   from: {source: claim, claim: ID}        another claim's stated figure
 *                                           (two statements of one quantity)
 *   from: {source: config, path: P}         a value in a manifest, or the
 *   from: {source: config, product: [P...]} product of several (batch =
 *                                           group size × questions) */
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
	snprintf(label, sizeof label, "as stated by claim '%s'", id);
	return rf_explain_figure(explain, label, f);
}

const rf_source_def rf_source_claim = {{"claim", derive_claim, NULL}, rf_source_claim_fields, NULL, NULL};

static const rf_field rf_source_config_fields[] = {
	{.name = "source", .type = RF_FIELD_STRING, .flags = RF_FIELD_REQUIRED},
	{.name = "kind", .type = RF_FIELD_STRING,
	 .doc = "manifest kind (default training-config)"},
	{.name = "manifest", .type = RF_FIELD_STRING, .doc = "file stem or name"},
	{.name = "path", .type = RF_FIELD_STRING, .doc = "a value's path"},
	{.name = "product", .type = RF_FIELD_LIST, .item = RF_FIELD_STRING,
	 .flags = RF_FIELD_RANGE, .min = 1, .max = 16, .doc = "paths of factors"},
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

static int derive_config(void *ctx, const rf_claims_env *env, const rf_node *p,
			 rf_derivation *out, rf_buf *explain)
{
	const rf_manifest *m;
	const rf_node *kind, *path, *prod, *root;
	char label[300];
	int rc;
	(void)ctx;
	kind = rf_node_get(p, "kind");
	path = rf_node_get(p, "path");
	prod = rf_node_get(p, "product");
	if (!path == !prod)
		return rf_node_error(RF_EFORMAT, p, "from", "give exactly one of path: or product:");
	if ((rc = rf_env_manifest(&m, env, p, "manifest",
				  kind ? rf_node_text(kind) : "training-config")))
		return rc;
	root = rf_manifest_root(m);
	out->verdict = 0;
	if (path) {
		if ((rc = value_figure(&out->figure, env, root, rf_node_text(path), 1)))
			return rc;
		snprintf(label, sizeof label, "%s: %s", rf_manifest_file(m), rf_node_text(path));
		return rf_explain_figure(explain, label, &out->figure);
	}
	for (size_t i = 0; i < rf_node_size(prod); i++) {
		rf_figure f;
		const char *fp = rf_node_text(rf_node_at(prod, i));
		if ((rc = value_figure(&f, env, root, fp, 0)))
			return rc;
		snprintf(label, sizeof label, "%s: %s", rf_manifest_file(m), fp);
		rf_explain_figure(explain, label, &f);
		if (i == 0)
			out->figure = f;
		else
			rf_figure_mul(&out->figure, &out->figure, &f);
	}
	return rf_explain_figure(explain, "product", &out->figure);
}

const rf_source_def rf_source_config = {{"config", derive_config, NULL}, rf_source_config_fields, NULL, NULL};
