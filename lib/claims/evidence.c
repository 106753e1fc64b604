/* Helpers every derivation source uses, built only on the public claims
 * API: a manifest node read as a figure, a named manifest, and a line of
 * explanation.  (check.c runs the sources; the sources use these.) */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "referee/error.h"

int rf_claims_env_figure(rf_figure *out, const rf_claims_env *env, const rf_node *node,
			 const char *path, const char *default_unit, int exact)
{
	rf_figure_opts o = {0};
	const char *t = rf_node_text(node);
	if (!t || rf_node_scalar_type(node) == RF_SCALAR_NULL ||
	    rf_node_scalar_type(node) == RF_SCALAR_BOOL)
		return rf_node_error(RF_EFORMAT, node, path, "expected a figure");
	o.approx = rf_claims_env_options(env)->approx;
	o.exact = exact;
	o.default_unit = default_unit;
	if (rf_figure_parse(out, t, &o))
		return rf_node_error(RF_EFORMAT, node, path, "%s", rf_error_last());
	return 0;
}

int rf_env_manifest(const rf_manifest **out, const rf_claims_env *env, const rf_node *params,
		    const char *key, const char *kind)
{
	const char *name = NULL;
	const rf_node *n = key ? rf_node_get(params, key) : NULL;
	if (n && !(name = rf_node_text(n)))
		return rf_node_error(RF_EFORMAT, n, key, "expected a manifest name");
	*out = rf_claims_env_manifest(env, kind, name);
	if (!*out) {
		if (name)
			return rf_error_set(RF_ENOTFOUND, "no %s manifest named '%s'", kind, name);
		return rf_error_set(RF_ENOTFOUND, "no %s manifest (or several; name one with '%s:')",
				    kind, key ? key : "name");
	}
	return 0;
}

int rf_explain_figure(rf_buf *explain, const char *label, const rf_figure *f)
{
	int rc;
	if (!explain)
		return 0;
	rc = rf_buf_printf(explain, "%s = ", label);
	if (!rc)
		rc = rf_interval_format(explain, f->v, &f->unit);
	return rc ? rc : rf_buf_puts(explain, "\n");
}
