/* referee CLI — the signature options shared by pack and verify (cmd/
 * only): pack --sign KEY, verify --trust PATH --min-signatures N
 * --require-signature. */
#ifndef REFEREE_CMD_SIGNING_H
#define REFEREE_CMD_SIGNING_H

#include "cli.h"

/** pack's signing options; zero-initialise. */
struct signing_pack {
	const char *key_path;   /**< --sign KEY */
	const char *pass_file;  /**< --passphrase-file FILE */
	rf_key *key;            /**< loaded by signing_pack_prepare() */
	const char *model_dir;  /**< --model DIR (OpenSSF Model Signing digest) */
	rf_model *model;        /**< hashed by signing_pack_prepare() */
	int threads;            /**< for hashing the model (0 = all cores) */
	rf_fetch_rule *by_ref;  /**< --by-reference PATTERN=URL-PREFIX rules */
	size_t nby_ref;
	const char *tsa_url;    /**< --tsa URL: RFC 3161 timestamp of the signature */
};

/** Load the key (asking for its passphrase) before anything is packed, so
 *  that a wrong passphrase leaves nothing behind.  Returns an exit status
 *  (0 when ready or not signing), having printed any error. */
int signing_pack_prepare(struct signing_pack *s, const char *verb);

/** The before_commit hook for rf_pack_opts (ctx = struct signing_pack *):
 *  records the model (referee/model.json), writes the attestation, then
 *  leaves --by-reference files out (fetch.txt) in the finished temporary
 *  bag. */
int signing_pack_hook(void *ctx, const char *tmp_bag_dir);

/** sign --tsa: timestamp the signature just added to `bag`; when that
 *  fails, put the bag back as `snap` recorded it.  Returns an exit status
 *  (0 when stamped), having printed any error. */
int signing_stamp_or_restore(const char *verb, const char *bag, const char *url,
			     rf_tsa_snapshot *snap);

/** Release what prepare loaded. */
void signing_pack_free(struct signing_pack *s);

/** verify's signature options; zero-initialise. */
struct signing_verify {
	const char *trust_path;  /**< --trust PATH */
	long min_signatures;     /**< --min-signatures N (0 = default) */
	int require_signature;   /**< --require-signature */
	int threads;
};

/** Parse the value of --min-signatures into `s`; -1 when it is not a
 *  number from 1 to RF_DSSE_MAX_SIGNATURES. */
int signing_verify_min(struct signing_verify *s, const char *value);

/** Check the bag's attestation (the stages before the BagIt checks) and
 *  print the outcome: one "signatures: ..." line on stdout (unless quiet),
 *  the reason on stderr when a stage fails.  When `json` is non-NULL a
 *  "signatures" JSON object (text) is appended to it instead of printing
 *  the stdout line.  Returns the exit status; on non-zero the caller
 *  stops before the BagIt checks.  When `res` is non-NULL it receives the
 *  result (its on-disk digests feed rf_verify_opts.known); the caller
 *  frees it with rf_attest_result_free() whatever the status. */
int signing_verify_run(const struct signing_verify *s, const char *verb,
		       const char *bag, int quiet, rf_buf *json,
		       rf_attest_result *res);

#endif
