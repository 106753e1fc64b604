/* Data-driven schema checks: a map is checked against a table of field
 * descriptors (name, type, flags, range, nested table), recursively; unknown
 * keys are errors so that typos never pass silently. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "referee/claims.h"
#include "referee/error.h"

#define PATH_SIZE 512

void rf_path_child(char *out, size_t size, const char *base, const char *key,
		   long index)
{
	if (key)
		snprintf(out, size, "%s%s%s", base, base[0] ? "." : "", key);
	else
		snprintf(out, size, "%s[%ld]", base, index);
}

static void fmt_bound(char *buf, size_t size, double v)
{
	if (v == floor(v) && fabs(v) < 1e15)
		snprintf(buf, size, "%.0f", v);
	else
		snprintf(buf, size, "%g", v);
}

static int check_value(const rf_node *v, const rf_field *f, rf_field_type type,
		       const char *path);

static int check_number(const rf_node *v, const rf_field *f, int integer,
			const char *path)
{
	char want[128], lo[32], hi[32];
	int ok_type = v->type == RF_NODE_SCALAR &&
		      (v->stype == RF_SCALAR_INT ||
		       (!integer && v->stype == RF_SCALAR_FLOAT));
	int ranged = f && (f->flags & RF_FIELD_RANGE);
	double x;
	fmt_bound(lo, sizeof lo, ranged ? f->min : 0);
	fmt_bound(hi, sizeof hi, ranged ? f->max : 0);
	if (ranged && f->min == 1 && f->max >= 9.2e18 && integer)
		snprintf(want, sizeof want, "a positive integer");
	else if (ranged && f->min == 0 && f->max >= 9.2e18)
		snprintf(want, sizeof want, "a non-negative %s",
			 integer ? "integer" : "number");
	else if (ranged && f->min > 0 && f->max >= 1e300)
		snprintf(want, sizeof want, "a positive number");
	else if (ranged)
		snprintf(want, sizeof want, "%s in [%s, %s]",
			 integer ? "an integer" : "a number", lo, hi);
	else
		snprintf(want, sizeof want, "%s", integer ? "an integer" : "a number");
	if (!ok_type)
		return rf_node_wrong(v, path, want);
	x = rf_node_float_value(v);
	if (isnan(x) || (ranged && (x < f->min || x > f->max)) ||
	    (ranged && f->min > 0 && f->max >= 1e300 && x <= 0))
		return rf_node_wrong(v, path, want);
	return 0;
}

static int check_figure(const rf_node *v, const rf_field *f, const char *path)
{
	rf_figure fig;
	rf_unit want;
	rf_figure_opts o = {0};
	if (v->type != RF_NODE_SCALAR || v->stype == RF_SCALAR_NULL ||
	    v->stype == RF_SCALAR_BOOL)
		return rf_node_wrong(v, path, "a figure (a number and a unit)");
	o.default_unit = f && f->unit ? f->unit : NULL;
	if (rf_figure_parse(&fig, v->text, &o))
		return rf_node_error(RF_EFORMAT, v, path, "%s", rf_error_last());
	if (f && f->unit) {
		if (rf_unit_parse(&want, f->unit))
			return rf_error_set(RF_EINTERNAL, "schema unit '%s': %s",
					    f->unit, rf_error_last());
		if (!rf_unit_same_dim(&fig.unit, &want))
			return rf_node_error(RF_EFORMAT, v, path,
					     "expected a figure in %s, got \"%.80s\"",
					     f->unit[0] ? f->unit : "a plain number",
					     v->text);
	}
	return 0;
}

static int check_value(const rf_node *v, const rf_field *f, rf_field_type type,
		       const char *path)
{
	char sub[PATH_SIZE];
	int rc;
	switch (type) {
	case RF_FIELD_INT:
		return check_number(v, f, 1, path);
	case RF_FIELD_FLOAT:
		return check_number(v, f, 0, path);
	case RF_FIELD_BOOL:
		if (v->type != RF_NODE_SCALAR || v->stype != RF_SCALAR_BOOL)
			return rf_node_wrong(v, path, "true or false");
		return 0;
	case RF_FIELD_STRING:
		if (v->type != RF_NODE_SCALAR || v->stype == RF_SCALAR_NULL)
			return rf_node_wrong(v, path, "a string");
		if (f && (f->flags & RF_FIELD_NONEMPTY) && !v->len)
			return rf_node_wrong(v, path, "a non-empty string");
		return 0;
	case RF_FIELD_FIGURE:
		return check_figure(v, f, path);
	case RF_FIELD_MAP:
		if (v->type != RF_NODE_MAP)
			return rf_node_wrong(v, path, "a map");
		return f && f->fields ? rf_schema_check(v, f->fields, path) : 0;
	case RF_FIELD_LIST:
		if (v->type != RF_NODE_LIST)
			return rf_node_wrong(v, path, "a list");
		if (f && (f->flags & RF_FIELD_RANGE) &&
		    ((double)v->n < f->min || (double)v->n > f->max))
			return rf_node_error(RF_EFORMAT, v, path,
					     "expected between %.0f and %.0f items, got %zu",
					     f->min, f->max, v->n);
		for (size_t i = 0; i < v->n; i++) {
			rf_path_child(sub, sizeof sub, path, NULL, (long)i);
			if (f && f->item == RF_FIELD_MAP) {
				if (v->vals[i]->type != RF_NODE_MAP)
					return rf_node_wrong(v->vals[i], sub, "a map");
				rc = f->fields ? rf_schema_check(v->vals[i], f->fields, sub) : 0;
			} else {
				rc = check_value(v->vals[i], NULL, f ? f->item : RF_FIELD_ANY, sub);
			}
			if (rc)
				return rc;
		}
		return 0;
	case RF_FIELD_DICT:
		if (v->type != RF_NODE_MAP)
			return rf_node_wrong(v, path, "a map");
		for (size_t i = 0; i < v->n; i++) {
			rf_path_child(sub, sizeof sub, path, v->keys[i]->text, 0);
			if (f && f->item == RF_FIELD_MAP) {
				if (v->vals[i]->type != RF_NODE_MAP)
					return rf_node_wrong(v->vals[i], sub, "a map");
				rc = f->fields ? rf_schema_check(v->vals[i], f->fields, sub) : 0;
			} else {
				/* the element type is checked with the field's
				 * unit (figures), but not its range or flags */
				rf_field elem = {0};
				if (f)
					elem.unit = f->unit;
				rc = check_value(v->vals[i], &elem,
						 f ? f->item : RF_FIELD_ANY, sub);
			}
			if (rc)
				return rc;
		}
		return 0;
	case RF_FIELD_ANY:
		return 0;
	}
	return rf_error_set(RF_EINTERNAL, "schema: unknown field type %d", (int)type);
}

int rf_schema_check(const rf_node *n, const rf_field *fields, const char *path)
{
	char sub[PATH_SIZE];
	const char *p = path ? path : "";
	int rc;
	if (n->type != RF_NODE_MAP)
		return rf_node_wrong(n, p, "a map");
	for (size_t i = 0; i < n->n; i++) {
		const rf_node *k = n->keys[i];
		const rf_field *f = fields;
		while (f->name && strcmp(f->name, k->text))
			f++;
		rf_path_child(sub, sizeof sub, p, k->text, 0);
		if (!f->name) {
			/* list what is allowed: a typo is easiest fixed so */
			char allowed[384];
			size_t o = 0;
			allowed[0] = '\0';
			for (const rf_field *g = fields; g->name && o < sizeof allowed - 40; g++) {
				int w = snprintf(allowed + o, sizeof allowed - o, "%s%s",
						 o ? ", " : "", g->name);
				if (w > 0)
					o += (size_t)w;
			}
			return rf_node_error(RF_EFORMAT, k, sub,
					     "unknown key (allowed: %s)", allowed);
		}
		if ((rc = check_value(n->vals[i], f, f->type, sub)))
			return rc;
	}
	for (const rf_field *f = fields; f->name; f++)
		if ((f->flags & RF_FIELD_REQUIRED) && !rf_node_get(n, f->name)) {
			rf_path_child(sub, sizeof sub, p, f->name, 0);
			return rf_node_error(RF_EFORMAT, n, sub, "required but missing");
		}
	return 0;
}
