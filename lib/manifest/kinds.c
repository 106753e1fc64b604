/* The kind registry (from kind_list.h) and validation of a parsed manifest
 * against its kind: `kind:`, `schema:`, the field table, the kind's own
 * cross-field checks. */
#include <string.h>

#include "internal.h"
#include "referee/error.h"

#define RF_KIND(n) extern const rf_manifest_kind rf_kind_##n;
#include "kind_list.h"
#undef RF_KIND

static const rf_manifest_kind *const kinds[] = {
#define RF_KIND(n) &rf_kind_##n,
#include "kind_list.h"
#undef RF_KIND
};

const rf_manifest_kind *rf_manifest_kind_at(size_t i)
{
	return i < sizeof kinds / sizeof kinds[0] ? kinds[i] : NULL;
}

const rf_manifest_kind *rf_manifest_kind_find(const char *name)
{
	for (size_t i = 0; name && i < sizeof kinds / sizeof kinds[0]; i++)
		if (!strcmp(kinds[i]->name, name))
			return kinds[i];
	return NULL;
}

int rf_manifest_validate(const rf_manifest *m)
{
	const rf_node *root = m->root, *kn, *sn;
	const rf_manifest_kind *k;
	char known[256];
	size_t o = 0;
	long long schema;
	int rc;
	if (root->type != RF_NODE_MAP)
		return rf_node_wrong(root, NULL, "a map with kind: and schema:");
	kn = rf_node_get(root, "kind");
	if (!kn)
		return rf_node_error(RF_EFORMAT, root, "kind", "required but missing");
	if (kn->type != RF_NODE_SCALAR)
		return rf_node_wrong(kn, "kind", "a kind name");
	k = rf_manifest_kind_find(kn->text);
	if (!k) {
		known[0] = '\0';
		for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
			size_t n = strlen(kinds[i]->name);
			if (o + n + 3 >= sizeof known)
				break;
			if (o)
				known[o++] = ',', known[o++] = ' ';
			memcpy(known + o, kinds[i]->name, n + 1);
			o += n;
		}
		return rf_node_error(RF_EFORMAT, kn, "kind",
				     "unknown kind \"%.64s\" (known: %s)", kn->text, known);
	}
	sn = rf_node_get(root, "schema");
	if (!sn)
		return rf_node_error(RF_EFORMAT, root, "schema", "required but missing");
	if ((rc = rf_node_get_int(&schema, root, "schema")))
		return rc;
	if (schema != k->schema)
		return rf_node_error(RF_EFORMAT, sn, "schema",
				     "%s schema %lld is not supported (this referee reads schema %ld)",
				     k->name, schema, k->schema);
	if ((rc = rf_schema_check(root, k->fields, "")))
		return rc;
	return k->validate ? k->validate(m) : 0;
}
