/* referee — what the rescore-based claims sources share (internal to
 * lib/rescore): resolving a file a claim names, safely. */
#ifndef REFEREE_RESCORE_CLAIMS_FILES_H
#define REFEREE_RESCORE_CLAIMS_FILES_H

#include "referee/claims.h"

/* The file (or directory) named by params[key], relative to the manifests'
 * directory, appended to `out`: RF_EFORMAT (file:line:col) for a name that
 * is not a safe relative path, RF_ENOTFOUND when it does not exist (the
 * claim is UNVERIFIABLE), RF_EUNSAFE when it resolves outside. */
int rs_claims_path(rf_buf *out, const rf_claims_env *env, const rf_node *p,
		   const char *key);

/* The text of params[key], or `def` when absent. */
const char *rs_claims_text(const rf_node *p, const char *key, const char *def);

/* A derived figure from a number and a unit ("%" or ""), exact. */
int rs_claims_figure(rf_derivation *out, double v, const char *unit);

#endif
