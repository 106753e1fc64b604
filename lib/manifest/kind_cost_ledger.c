/* The `cost-ledger` kind: currency, rates per accelerator-hour, stages
 * (accelerator, count, wall-clock hours and/or the GPU-hours and cost the
 * paper reports; power, PUE, carbon intensity and the energy and emissions
 * it reports) and the reported totals.  `referee check` recomputes every
 * reported figure from the inputs.  Rates are optional: a ledger of
 * GPU-hours or energy alone needs none. */
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
	{.name = "power", .type = RF_FIELD_FIGURE, .unit = "W",
	 .doc = "power per accelerator (400 W), as stated"},
	{.name = "power-is", .type = RF_FIELD_STRING,
	 .doc = "tdp (default: the rated board power) or average (measured while training)"},
	{.name = "pue", .type = RF_FIELD_FIGURE, .unit = "",
	 .doc = "data-centre power usage effectiveness (default: the ledger's, else 1)"},
	{.name = "carbon-intensity", .type = RF_FIELD_FIGURE, .unit = "gCO2eq/kWh",
	 .doc = "grid carbon intensity (default: the ledger's)"},
	{.name = "energy", .type = RF_FIELD_FIGURE, .unit = "MWh",
	 .doc = "energy the paper reports for the stage"},
	{.name = "emissions", .type = RF_FIELD_FIGURE, .unit = "tCO2eq",
	 .doc = "emissions the paper reports for the stage"},
	{.name = "source", .type = RF_FIELD_STRING, .doc = "where the figures come from"},
	{NULL}};

static const rf_field total_fields[] = {
	{.name = "energy", .type = RF_FIELD_FIGURE, .unit = "MWh", .doc = "total energy reported"},
	{.name = "emissions", .type = RF_FIELD_FIGURE, .unit = "tCO2eq",
	 .doc = "total emissions reported"},
	{.name = "gpu-hours", .type = RF_FIELD_FIGURE, .unit = "GPU-h",
	 .doc = "total accelerator-hours reported"},
	{.name = "cost", .type = RF_FIELD_FIGURE, .unit = "USD", .doc = "total cost reported"},
	{.name = "source", .type = RF_FIELD_STRING, .doc = "where the figures come from"},
	{NULL}};

static const rf_field fields[] = {
	RF_FIELDS_HEADER,
	{.name = "name", .type = RF_FIELD_STRING, .doc = "what the ledger covers"},
	{.name = "source", .type = RF_FIELD_STRING, .doc = "where the figures come from"},
	{.name = "currency", .type = RF_FIELD_STRING, .flags = RF_FIELD_NONEMPTY,
	 .doc = "USD (the default, and the only currency referee converts)"},
	{.name = "rates", .type = RF_FIELD_DICT, .item = RF_FIELD_FIGURE, .unit = "USD/GPU-h",
	 .doc = "price per accelerator-hour, by accelerator model: a figure, range or bound "
		"(optional: a cost with no rate is UNVERIFIABLE)"},
	{.name = "pue", .type = RF_FIELD_FIGURE, .unit = "",
	 .doc = "power usage effectiveness for every stage (default 1)"},
	{.name = "carbon-intensity", .type = RF_FIELD_FIGURE, .unit = "gCO2eq/kWh",
	 .doc = "grid carbon intensity for every stage"},
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
	const rf_node *cur = rf_node_get(root, "currency");
	int rc = rf_list_check_unique(stages, "id", "stages", "stage id");
	if (rc)
		return rc;
	if (cur && strcmp(rf_node_text(cur), "USD"))
		return rf_node_error(RF_EFORMAT, cur, "currency",
				     "only USD is supported, got \"%.20s\"", rf_node_text(cur));
	for (size_t i = 0; i < rf_node_size(stages); i++) {
		const rf_node *s = rf_node_at(stages, i);
		const rf_node *pw = rf_node_get(s, "power-is");
		char path[64];
		if (rf_node_get(s, "hours") && !rf_node_get(s, "gpus")) {
			snprintf(path, sizeof path, "stages[%zu].gpus", i);
			return rf_node_error(RF_EFORMAT, s, path,
					     "required with hours (GPU-hours = gpus × hours)");
		}
		if (pw && strcmp(rf_node_text(pw), "tdp") && strcmp(rf_node_text(pw), "average")) {
			snprintf(path, sizeof path, "stages[%zu].power-is", i);
			return rf_node_error(RF_EFORMAT, pw, path, "expected tdp or average, got \"%.20s\"",
					     rf_node_text(pw));
		}
	}
	return 0;
}

const rf_manifest_kind rf_kind_cost_ledger = {
	.name = "cost-ledger",
	.schema = 1,
	.fields = fields,
	.validate = validate,
	.summary = "rates, stages and the reported GPU-hours, costs, energy and emissions",
};
