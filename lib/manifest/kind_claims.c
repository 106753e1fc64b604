/* The `claims` kind: the figures a paper states, each with the sentence it
 * comes from, the claimed value with its unit, its stated precision and
 * what it is derived from (`from:`, handed to a derivation source by
 * `referee check`). */
#include <stdio.h>
#include <string.h>

#include "referee/error.h"
#include "internal.h"

static const rf_field settings_fields[] = {
	{.name = "approx", .type = RF_FIELD_FIGURE, .unit = "",
	 .doc = "widens ~/about/approximately/roughly to ±X% of the stated value (default: none, the written rounding)"},
	{.name = "suspicious-mfu", .type = RF_FIELD_FIGURE, .unit = "",
	 .doc = "utilisation above which a claim is SUSPICIOUS (default 60%)"},
	{NULL}};

static const rf_field claim_fields[] = {
	{.name = "id", .type = RF_FIELD_STRING, .flags = RF_FIELD_REQUIRED | RF_FIELD_NONEMPTY,
	 .doc = "claim id, unique in the check"},
	{.name = "sentence", .type = RF_FIELD_STRING, .doc = "the sentence the claim comes from"},
	{.name = "claimed", .type = RF_FIELD_FIGURE, .flags = RF_FIELD_REQUIRED,
	 .doc = "the figure as written, with its unit"},
	{.name = "precision", .type = RF_FIELD_STRING,
	 .doc = "exact, rounded (default), approximate, ±X or X%"},
	{.name = "from", .type = RF_FIELD_MAP, .flags = RF_FIELD_REQUIRED,
	 .doc = "derivation: source: NAME and the source's parameters"},
	{.name = "notes", .type = RF_FIELD_STRING, .doc = "free text"},
	{NULL}};

static const rf_field fields[] = {
	RF_FIELDS_HEADER,
	{.name = "name", .type = RF_FIELD_STRING, .doc = "what the claims are about"},
	{.name = "source", .type = RF_FIELD_STRING, .doc = "the paper"},
	{.name = "settings", .type = RF_FIELD_MAP, .fields = settings_fields,
	 .doc = "check settings"},
	{.name = "claims", .type = RF_FIELD_LIST, .item = RF_FIELD_MAP, .fields = claim_fields,
	 .flags = RF_FIELD_REQUIRED | RF_FIELD_RANGE, .min = 1, .max = 10000,
	 .doc = "the claims"},
	{.name = "notes", .type = RF_FIELD_STRING, .doc = "free text"},
	{NULL}};

static int validate(const rf_manifest *m)
{
	const rf_node *claims = rf_node_get(rf_manifest_root(m), "claims");
	char path[64];
	int rc = rf_list_check_unique(claims, "id", "claims", "claim id");
	if (rc)
		return rc;
	for (size_t i = 0; i < rf_node_size(claims); i++) {
		const rf_node *c = rf_node_at(claims, i);
		const rf_node *from = rf_node_get(c, "from");
		const rf_node *src = rf_node_get(from, "source");
		snprintf(path, sizeof path, "claims[%zu].from.source", i);
		if (!src)
			return rf_node_error(RF_EFORMAT, from, path, "required but missing");
		if (!rf_node_text(src) || !rf_node_text(src)[0])
			return rf_node_error(RF_EFORMAT, src, path,
					     "expected a source name (ledger, claim, config, flops, energy, ...)");
	}
	return 0;
}

const rf_manifest_kind rf_kind_claims = {
	.name = "claims",
	.schema = 1,
	.fields = fields,
	.validate = validate,
	.summary = "claimed figures, their precision and their derivation",
};
