/* referee CLI — passphrases and signing keys for keygen, sign and pack
 * (cmd/ only).  Passphrases come from a file (--passphrase-file) or from
 * the terminal with echo off; they are wiped after use. */
#ifndef REFEREE_CMD_KEYIO_H
#define REFEREE_CMD_KEYIO_H

#include "cli.h"

/** Read a passphrase: the first line of `file` when given, else from the
 *  terminal (asked twice when `confirm`).  An empty passphrase is returned
 *  as an empty buffer.  Returns a library code; wipe with rf_buf_wipe(). */
int keyio_passphrase(rf_buf *out, const char *file, const char *prompt,
		     int confirm);

/** Load the private key at `path`, asking for its passphrase (from
 *  `passfile` or the terminal) only when it is encrypted. */
int keyio_load_signing_key(rf_key **out, const char *path, const char *passfile);

/** keyio_load_signing_key() that also takes ECDSA P-256 / P-384 keys
 *  (OpenSSF Model Signing). */
int keyio_load_model_key(rf_key **out, const char *path, const char *passfile);

#endif
