/* A reward from a training config: the `rewards:` list of a
 * training-config manifest (name, weight, params) becomes the weighted sum
 * that training optimised, so a re-score uses the same rules. */
#include <stdio.h>
#include <string.h>

#include "referee/error.h"
#include "referee/manifest.h"
#include "referee/reward.h"

int rf_reward_from_config(rf_reward **out, const rf_manifest *m)
{
	const rf_node *root, *list;
	rf_buf spec = RF_BUF_INIT;
	rf_reward *r = NULL;
	char path[96];
	int rc;
	*out = NULL;
	if (!m || strcmp(rf_manifest_kind_name(m), "training-config"))
		return rf_error_set(RF_EINVAL,
				    "'%s' is not a training-config manifest",
				    m ? rf_manifest_file(m) : "(none)");
	root = rf_manifest_root(m);
	list = rf_node_get(root, "rewards");
	if (!list || rf_node_size(list) == 0)
		return rf_error_set(RF_ENOTFOUND, "'%s' declares no rewards",
				    rf_manifest_file(m));
	for (size_t i = 0; i < rf_node_size(list); i++) {
		const rf_node *t = rf_node_at(list, i),
			      *name = rf_node_get(t, "name");
		double w = 1;
		rf_reward *one = NULL;
		/* each name alone first, so that an error points at it */
		if ((rc = rf_reward_new(&one, rf_node_text(name))) != 0) {
			rf_buf_free(&spec);
			snprintf(path, sizeof path, "rewards[%zu].name", i);
			return rf_node_error(rc, name, path, "%s",
					     rf_error_last());
		}
		rf_reward_free(one);
		if (rf_node_get(t, "weight") &&
		    (rc = rf_node_get_float(&w, t, "weight")) != 0) {
			rf_buf_free(&spec);
			return rc;
		}
		rf_buf_printf(&spec, "%s%s:%.17g", i ? "," : "",
			      rf_node_text(rf_node_get(t, "name")), w);
	}
	if (!spec.data)
		return rf_error_set(RF_ENOMEM, "out of memory");
	rc = rf_reward_new(&r, spec.data);
	rf_buf_free(&spec);
	if (rc) {
		snprintf(path, sizeof path, "rewards");
		return rf_node_error(rc, list, path, "%s", rf_error_last());
	}
	/* each term's params are reward options (think-open, language, ...) */
	for (size_t i = 0; i < rf_node_size(list); i++) {
		const rf_node *params =
		    rf_node_get(rf_node_at(list, i), "params");
		for (size_t j = 0; params && j < rf_node_size(params); j++) {
			const rf_node *k = rf_node_key_at(params, j),
				      *v = rf_node_at(params, j);
			snprintf(path, sizeof path, "rewards[%zu].params.%.40s",
				 i, rf_node_text(k));
			if (rf_node_kind(v) != RF_NODE_SCALAR) {
				rf_reward_free(r);
				return rf_node_error(RF_EFORMAT, v, path,
						     "expected a scalar");
			}
			if ((rc = rf_reward_set(r, rf_node_text(k),
						rf_node_text(v))) != 0) {
				rf_reward_free(r);
				return rf_node_error(RF_EFORMAT, v, path, "%s",
						     rf_error_last());
			}
		}
	}
	*out = r;
	return 0;
}
