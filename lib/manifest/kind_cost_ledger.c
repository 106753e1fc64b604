/* The `cost-ledger` kind: currency, rates per accelerator-hour, stages
 * (accelerator, count, wall-clock hours and/or the GPU-hours and cost the
 * paper reports) and the reported totals.  `referee check` recomputes every
 * reported figure from the inputs. */
#include <stdio.h>
#include <string.h>

#include "referee/error.h"
#include "internal.h"

static const rf_field stage_fields[] = {
	{.name = "id", .type = RF_FIELD_STRING, .flags = RF_FIELD_REQUIRED | RF_FIELD_NONEMPTY,
	 .doc = "stage id, unique in the ledger"},
	{.name = "name", .type = RF_FIELD_STRING, .doc = "stage name as in the paper"},
	{.name = "accelerator", .type = RF_FIELD_STRING, .flags = RF_FIELD_REQUIRED | RF_FIELD_NONEMPTY,
	 .doc = "accelerator model; a key of rates"},
	{.name = "gpus", .type = RF_FIELD_INT, .flags = RF_FIELD_RANGE, .min = 1, .max = 1e19,
	 .doc = "accelerators used"},
	{.name = "hours", .type = RF_FIELD_FIGURE, .unit = "h",
	 .doc = "wall-clock time (hours or days), as written"},
	{.name = "gpu-hours", .type = RF_FIELD_FIGURE, .unit = "GPU-h",
	 .doc = "accelerator-hours the paper reports for the stage"},
	{.name = "cost", .type = RF_FIELD_FIGURE, .unit = "USD",
	 .doc = "cost the paper reports for the stage"},
	{.name = "source", .type = RF_FIELD_STRING, .doc = "where the figures come from"},
	{NULL}};

static const rf_field total_fields[] = {
	{.name = "gpu-hours", .type = RF_FIELD_FIGURE, .unit = "GPU-h",
	 .doc = "total accelerator-hours reported"},
	{.name = "cost", .type = RF_FIELD_FIGURE, .unit = "USD", .doc = "total cost reported"},
	{.name = "source", .type = RF_FIELD_STRING, .doc = "where the figures come from"},
	{NULL}};

static const rf_field fields[] = {
	RF_FIELDS_HEADER,
	{.name = "name", .type = RF_FIELD_STRING, .doc = "what the ledger covers"},
	{.name = "source", .type = RF_FIELD_STRING, .doc = "where the figures come from"},
	{.name = "currency", .type = RF_FIELD_STRING, .flags = RF_FIELD_REQUIRED | RF_FIELD_NONEMPTY,
	 .doc = "USD (the only currency referee converts)"},
	{.name = "rates", .type = RF_FIELD_DICT, .item = RF_FIELD_FIGURE, .unit = "USD/GPU-h",
	 .flags = RF_FIELD_REQUIRED, .doc = "price per accelerator-hour, by accelerator model"},
	{.name = "stages", .type = RF_FIELD_LIST, .item = RF_FIELD_MAP, .fields = stage_fields,
	 .flags = RF_FIELD_REQUIRED | RF_FIELD_RANGE, .min = 1, .max = 10000,
	 .doc = "training stages"},
	{.name = "total", .type = RF_FIELD_MAP, .fields = total_fields,
	 .doc = "the totals the paper reports"},
	{.name = "notes", .type = RF_FIELD_STRING, .doc = "free text"},
	{NULL}};

static int validate(const rf_manifest *m)
{
	const rf_node *root = rf_manifest_root(m);
	const rf_node *stages = rf_node_get(root, "stages");
	const rf_node *rates = rf_node_get(root, "rates");
	const rf_node *cur = rf_node_get(root, "currency");
	int rc = rf_list_check_unique(stages, "id", "stages", "stage id");
	if (rc)
		return rc;
	if (strcmp(rf_node_text(cur), "USD"))
		return rf_node_error(RF_EFORMAT, cur, "currency",
				     "only USD is supported, got \"%.20s\"", rf_node_text(cur));
	for (size_t i = 0; i < rf_node_size(stages); i++) {
		const rf_node *s = rf_node_at(stages, i);
		const rf_node *acc = rf_node_get(s, "accelerator");
		char path[64];
		if (!rf_node_get(rates, rf_node_text(acc))) {
			snprintf(path, sizeof path, "stages[%zu].accelerator", i);
			return rf_node_error(RF_EFORMAT, acc, path,
					     "no rate for \"%.64s\" in rates", rf_node_text(acc));
		}
		if (rf_node_get(s, "hours") && !rf_node_get(s, "gpus")) {
			snprintf(path, sizeof path, "stages[%zu].gpus", i);
			return rf_node_error(RF_EFORMAT, s, path,
					     "required with hours (GPU-hours = gpus × hours)");
		}
	}
	return 0;
}

const rf_manifest_kind rf_kind_cost_ledger = {
	.name = "cost-ledger",
	.schema = 1,
	.fields = fields,
	.validate = validate,
	.summary = "rates, stages and the reported GPU-hours and costs",
};
