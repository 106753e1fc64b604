/* Helpers shared inside lib/sign/ only (not public API). */
#ifndef REFEREE_SIGN_INTERNAL_H
#define REFEREE_SIGN_INTERNAL_H

#include "referee/sign.h"

/* A public-only copy of `key` (trust lists keep no private halves). */
int rf_key_public_copy(rf_key **out, const rf_key *key);

/* 1 when `s` is exactly 64 lowercase hex characters. */
int rf_sign_is_sha256_hex(const char *s);

/* The shape checks of rf_dsse_parse() on a parsed JSON value (a jansson
 * json_t, passed as void so that this header needs no jansson).  With
 * `same` non-NULL nothing is built: 0 when `root` is an envelope equal to
 * `same` (type, payload bytes, signatures and keyids in order), RF_ECHECK
 * when it differs, RF_EFORMAT when it is malformed. */
int dsse_from_json(rf_dsse **out, const void *root, const char *what,
		   const rf_dsse *same);

#endif
