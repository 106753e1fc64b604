/* referee — verify a bundle (a bag) exactly as `referee verify` does, in
 * one call: the attestation (envelope, signatures against a trust list when
 * one is given, the signed statement's subjects against the files on disk),
 * the BagIt checks (integrity, Payload-Oxum, tag manifest, hostile paths),
 * the provenance record, and optionally the git repository.  Every verb
 * that reads a bag (verify, check, replay --check, sign, review) calls it,
 * so that no verb believes a bag that `verify` would refuse.
 *
 *   rf_bundle_opts o = RF_BUNDLE_OPTS_INIT;
 *   o.trust = trust;                       // NULL: signatures not checked
 *   rf_bundle_result *r;
 *   int rc = rf_bundle_verify(&r, "paper.bag", &o);
 *   puts(r->summary);                      // plain, safe to print as is
 *   rf_bundle_result_free(r);
 */
#ifndef REFEREE_BUNDLE_H
#define REFEREE_BUNDLE_H

#include <stddef.h>

#include "bag.h"
#include "provenance.h"
#include "sign.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Options for rf_bundle_verify(); start from RF_BUNDLE_OPTS_INIT. */
typedef struct rf_bundle_opts {
	/** Trusted keys (borrowed).  NULL: the attestation's statement is
	 *  still checked against the files, but nobody's signature is
	 *  checked against a trusted key (the result says so). */
	const rf_trust *trust;
	/** Distinct trusted signers required (with `trust`; 0 = 1). */
	size_t min_signatures;
	/** An unsigned bag fails (so does any unsigned bag given `trust`). */
	int require_signature;
	/** The External-Identifier the reviewer expects (NULL = any); any
	 *  other bag fails, so an older bag signed by the same key cannot be
	 *  passed off as this submission. */
	const char *expect_id;
	/** A git repository: the recorded commit must exist there and every
	 *  payload file must equal its blob (NULL = not checked). */
	const char *repo;
	/** Threads hashing (0 = all cores). */
	int threads;
	/** Progress while hashing (may be NULL). */
	rf_progress_fn progress;
	void *progress_ctx;
} rf_bundle_opts;

/* clang-format off */
#define RF_BUNDLE_OPTS_INIT {NULL, 0, 0, NULL, NULL, 0, NULL, NULL}
/* clang-format on */

/** How far the bag's signatures were established. */
typedef enum rf_bundle_signing {
	RF_BUNDLE_UNSIGNED = 0,     /**< no attestation: nothing vouches for
					 who made the bag */
	RF_BUNDLE_SIGNED_UNCHECKED, /**< an attestation whose statement matches
					 the files, but no signature was checked
					 against a trusted key */
	RF_BUNDLE_SIGNED_UNTRUSTED, /**< checked against a trust list: too few
					 trusted signers */
	RF_BUNDLE_SIGNED_TRUSTED    /**< enough signatures by trusted keys */
} rf_bundle_signing;

/** A file of the bag that verification does not vouch for. */
typedef struct rf_bundle_extra {
	char *path;      /**< relative to the bag root (hostile) */
	const char *why; /**< static: "no signature covers it", "md5 is not
			      checked (unsupported algorithm)", ... */
} rf_bundle_extra;

/** Most extras listed (the rest are counted in nextras_more). */
#define RF_BUNDLE_MAX_EXTRAS 1000

/** The outcome of rf_bundle_verify(); owned by the caller, released with
 *  rf_bundle_result_free().  Strings marked hostile come from the bag:
 *  escape them (rf_escape) before they reach a terminal or a page. */
typedef struct rf_bundle_result {
	/** 0 when everything holds, else the RF_E* code (also returned):
	 *  RF_ECHECK tampered / unsigned where a signature was required /
	 *  wrong identifier, RF_EFORMAT malformed, RF_EIO/RF_ENOTFOUND
	 *  unreadable, RF_EUNSAFE hostile path. */
	int status;
	/** Where it stopped: an attestation stage (envelope, signatures,
	 *  statement), RF_ATTEST_STAGE_BAG for the BagIt, provenance, repo
	 *  and identifier checks, RF_ATTEST_STAGE_NONE when status is 0. */
	rf_attest_stage failed;
	/** The first problem, one line, or NULL when status is 0 (hostile). */
	char *reason;
	/** What the bag's signatures established; meaningful also
	 *  when the check failed (then it says what the bag carries). */
	rf_bundle_signing signing;
	/** The attestation check: is_signed, trust_checked, subjects,
	 *  check.signatures / verified / signers (trusted key names, safe),
	 *  keyids (hostile hints, never a trust decision). */
	rf_attest_result attest;
	/** Distinct trusted signers that were required. */
	size_t min_signatures;
	/** BagIt problems (NULL when the attestation check stopped first). */
	rf_bag_report *report;
	/** The bag's tag files (bag-info), NULL when it does not open. */
	rf_bag *bag;
	/** Its provenance record, NULL when absent or unreadable. */
	rf_provenance *provenance;
	/** bag-info's External-Identifier (borrowed from `bag`; hostile),
	 *  or NULL. */
	const char *external_id;
	/** 1 when the identifier is covered by the verified signed statement
	 *  (bag-info equals the signed one). */
	int external_id_signed;
	/** Files at the bag root or under referee/ that the checks above do
	 *  not vouch for: in a signed bag, tag files no signature covers
	 *  (anything but bagit.txt, bag-info.txt, the manifests, the provenance
	 *  and the attestation); in any bag, manifests of algorithms referee
	 *  does not check (md5, sha1, ...).  Reported, not failed: BagIt
	 *  allows them, but a reviewer must not take them as signed. */
	rf_bundle_extra *extras;
	size_t nextras, nextras_more;
	/** One plain line for the reviewer: valid or not, signed by whom,
	 *  or UNSIGNED, or signed but not checked against a trusted key.
	 *  Holds no string from the bag (safe to print as is). */
	char *summary;
} rf_bundle_result;

/** Verify the bag at `dir` as `referee verify` does: (1) the attestation
 *  (rf_attest_verify: envelope, signatures against `opts->trust`, the
 *  signed statement's subjects and bag-info against the files on disk —
 *  with or without a trust list); if that fails, stop; (2) the BagIt
 *  checks (rf_bag_verify, reusing the digests of step 1), the provenance
 *  record, `opts->repo`, `opts->expect_id`.  `*out` receives a result
 *  whenever the check ran, even for a broken bag; it is NULL only for
 *  RF_ENOMEM or bad arguments.  Returns `(*out)->status`.  `opts` may be
 *  NULL (no trust list). */
int rf_bundle_verify(rf_bundle_result **out, const char *dir,
		     const rf_bundle_opts *opts);

/** Short name of a signing state: "unsigned", "signed, not checked
 *  against a trusted key", ...; static. */
const char *rf_bundle_signing_name(rf_bundle_signing s);

/** Release a result.  NULL-safe. */
void rf_bundle_result_free(rf_bundle_result *r);

#ifdef __cplusplus
}
#endif
#endif
