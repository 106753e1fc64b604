/* Helpers shared inside lib/sign/ only (not public API). */
#ifndef REFEREE_SIGN_INTERNAL_H
#define REFEREE_SIGN_INTERNAL_H

#include "referee/sign.h"

/* A public-only copy of `key` (trust lists keep no private halves). */
int rf_key_public_copy(rf_key **out, const rf_key *key);

/* 1 when `s` is exactly 64 lowercase hex characters. */
int rf_sign_is_sha256_hex(const char *s);

#endif
