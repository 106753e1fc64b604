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

/** The options of every verb that reads a bag: --trust PATH,
 *  --min-signatures N, --require-signature, --expect-id ID; zero-initialise. */
struct signing_verify {
	const char *trust_path;  /**< --trust PATH */
	long min_signatures;     /**< --min-signatures N (0 = default) */
	int require_signature;   /**< --require-signature */
	const char *expect_id;   /**< --expect-id ID */
	int threads;
	/* verify only: --model DIR, --allow-holey, --fetched DIR, --tsa-cert
	 * CA, --require-timestamp (rf_bundle_opts) */
	const char *model_dir;
	int allow_holey;
	const char *fetched_dir;
	const char *tsa_ca;
	int require_timestamp;
};

/** The help lines of those options (for a verb's --help). */
extern const char signing_verify_help[];

/** Parse the value of --min-signatures into `s`; -1 when it is not a
 *  number from 1 to RF_DSSE_MAX_SIGNATURES. */
int signing_verify_min(struct signing_verify *s, const char *value);

/** For verbs that walk argv themselves: when argv[*i] is one of the
 *  options above, take it (and its value, advancing *i) and return 1;
 *  0 when it is not one of them; -1 after printing a usage error. */
int signing_verify_arg(struct signing_verify *s, const char *verb, int argc,
		       char **argv, int *i);

/** Verify the bag exactly as `referee verify` does (rf_bundle_verify):
 *  loads the trust list, shows progress on a terminal unless `quiet`.
 *  `*out` receives the result (free with rf_bundle_result_free) whenever
 *  the check ran; NULL when it could not (the error printed).  Returns
 *  the exit status; prints nothing else (see signing_bundle_print). */
int signing_bundle_run(rf_bundle_result **out, const struct signing_verify *s,
		       const char *verb, const char *bag, const char *repo,
		       int quiet);

/** Print the problems of a result on stderr, one line each, escaped
 *  ("referee VERB: kind: 'path': message"; at most `max`, 0 = all). */
void signing_bundle_problems(const char *verb, const rf_bundle_result *r, size_t max);

/** Append the "signatures" JSON object of a result to `json`. */
int signing_bundle_json(rf_buf *json, const rf_bundle_result *r);

/** The one-line verdict for a reviewer, on `f`: "bundle 'BAG': " and the
 *  result's summary. */
void signing_bundle_verdict(FILE *f, const char *bag, const rf_bundle_result *r);

#endif
