/* referee — signatures: Ed25519 keys, DSSE envelopes holding an in-toto
 * Statement v1, trust lists, and the signed attestation of a bag.
 *
 * Formats (see README.md, "Signatures"):
 *   key id     hex SHA-256 of the raw 32-byte Ed25519 public key
 *   private    PKCS#8 PEM, mode 0600, optionally AES-256-CBC encrypted
 *   public     SPKI PEM
 *   envelope   {"payloadType","payload","signatures":[{"keyid","sig"}]},
 *              sig = Ed25519 over PAE(payloadType, payload), padded base64
 *   keyid      a hint only: it picks which key a signature is checked
 *              against first, and never makes a signature count */
#ifndef REFEREE_SIGN_H
#define REFEREE_SIGN_H

#include <stddef.h>

#include "bag.h"
#include "buf.h"
#include "digest.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- base64 (RFC 4648 §4, standard alphabet, padded) ---------------- */

/** Append the padded base64 encoding of `len` bytes to `out`. */
int rf_base64_encode(rf_buf *out, const void *data, size_t len);

/** Strictly decode `len` characters of padded base64 into `out` (appended):
 *  no whitespace, length a multiple of 4, padding only at the end, unused
 *  bits zero (one encoding per byte string).  RF_EFORMAT otherwise, with a
 *  message naming `what`. */
int rf_base64_decode(rf_buf *out, const char *s, size_t len, const char *what);

/* ---- keys ----------------------------------------------------------- */

/** An Ed25519 public key, or a key pair.  Opaque; free with rf_key_free(). */
typedef struct rf_key rf_key;

/** Length of a key id in hex characters (SHA-256). */
#define RF_KEYID_HEX_LEN 64
/** Length of an Ed25519 signature in bytes. */
#define RF_SIG_LEN 64
/** Largest key file referee reads (keys are ~120 bytes of PEM). */
#define RF_KEY_FILE_MAX (64 * 1024)

/** Generate a fresh Ed25519 key pair into `*out`. */
int rf_key_generate(rf_key **out);

/** Write the pair as `priv_path` (PKCS#8 PEM, created O_EXCL|O_NOFOLLOW,
 *  mode 0600, AES-256-CBC encrypted when `pass` is non-NULL and `passlen`
 *  > 0) and `pub_path` (SPKI PEM, mode 0644).  Never overwrites: RF_EEXIST
 *  when either exists.  On failure neither file is left behind.  The PEM of
 *  the private key is wiped from memory before returning. */
int rf_key_save(const rf_key *key, const char *priv_path, const char *pub_path,
		const char *pass, size_t passlen);

/** 1 when the private key file at `path` is passphrase-encrypted, 0 when
 *  not, negative RF_E* when it cannot be read. */
int rf_key_file_is_encrypted(const char *path);

/** Load a private key (PKCS#8 PEM).  `pass` may be NULL for an unencrypted
 *  key.  RF_ECHECK for a wrong passphrase, RF_EINVAL when the key is
 *  encrypted and no passphrase was given, RF_EFORMAT when the file is not an
 *  Ed25519 private key.  Read buffers are wiped. */
int rf_key_load_private(rf_key **out, const char *path, const char *pass,
			size_t passlen);

/** Load an SPKI PEM public key from `path` (Ed25519 only). */
int rf_key_load_public(rf_key **out, const char *path);

/** Parse an Ed25519 public key given as base64 of its SPKI DER encoding
 *  (the body of a .pub file on one line).  `what` names it in errors. */
int rf_key_from_spki_base64(rf_key **out, const char *b64, const char *what);

/** The key id: hex SHA-256 of the raw 32-byte public key (borrowed, lives
 *  as long as the key). */
const char *rf_key_id(const rf_key *key);

/** 1 when the key holds a private half. */
int rf_key_has_private(const rf_key *key);

/** Append the SPKI PEM of the public half to `out`. */
int rf_key_public_pem(rf_buf *out, const rf_key *key);

/** Sign `len` bytes; the signature (64 bytes for Ed25519, DER for ECDSA)
 *  is appended to `sig`. */
int rf_key_sign(rf_buf *sig, const rf_key *key, const void *msg, size_t len);

/** 0 when `sig` is a valid signature of `msg` by `key`, RF_ECHECK when
 *  not (no error message is set for a plain mismatch). */
int rf_key_verify(const rf_key *key, const void *msg, size_t len,
		  const void *sig, size_t siglen);

/** Release a key, wiping the private half.  NULL-safe. */
void rf_key_free(rf_key *key);

/** 1 when the secrets `a` (`alen` bytes) and `b` (`blen` bytes) are equal,
 *  else 0, in time that depends on the lengths only, never on the bytes
 *  (e.g. a passphrase against its confirmation).  A pointer may be NULL
 *  when its length is 0. */
int rf_secret_equal(const void *a, size_t alen, const void *b, size_t blen);

/* ---- key types beyond Ed25519 ---------------------------------------- */

/** What a key is.  Bag attestations, trust lists and `keygen` without
 *  `--type` use Ed25519 only; OpenSSF Model Signing also takes ECDSA keys on
 *  P-256 (signing SHA-256) and P-384 (SHA-384), the curves its reference
 *  implementation verifies.  An ECDSA signature is DER-encoded (as
 *  OpenSSL, Python `cryptography` and Sigstore write it); the key id of an
 *  ECDSA key is the hex SHA-256 of its SPKI DER encoding. */
typedef enum rf_key_type {
	RF_KEY_ED25519 = 0,
	RF_KEY_ECDSA_P256 = 1,
	RF_KEY_ECDSA_P384 = 2
} rf_key_type;

/** "ed25519", "ecdsa-p256", "ecdsa-p384" (static). */
const char *rf_key_type_name(rf_key_type type);
/** The type named `name` (as rf_key_type_name spells it); RF_EUNSUPPORTED. */
int rf_key_type_from_name(rf_key_type *out, const char *name);
/** The key's type. */
rf_key_type rf_key_get_type(const rf_key *key);
/** Generate a fresh key pair of `type` into `*out`. */
int rf_key_generate_type(rf_key **out, rf_key_type type);
/** rf_key_load_private() that also accepts ECDSA P-256 / P-384 keys. */
int rf_key_load_private_any(rf_key **out, const char *path, const char *pass,
			    size_t passlen);
/** rf_key_load_public() that also accepts ECDSA P-256 / P-384 keys. */
int rf_key_load_public_any(rf_key **out, const char *path);

/* ---- trust lists ---------------------------------------------------- */

/** A set of named, trusted public keys.  Free with rf_trust_free(). */
typedef struct rf_trust rf_trust;

/** Most keys a trust list may hold. */
#define RF_TRUST_MAX 1024

/** An empty trust list. */
int rf_trust_new(rf_trust **out);

/** Add a copy of the public half of `key` under `name` (1–128 characters of
 *  [A-Za-z0-9._@+-]).  RF_EFORMAT for a bad or duplicate name, or a key
 *  that is already in the list under another name. */
int rf_trust_add(rf_trust *trust, const char *name, const rf_key *key);

/** Load a trust list from `path`:
 *   - a `.pub` file (SPKI PEM): one key named after the file's stem;
 *   - a directory: every `*.pub` file in it, each named after its stem;
 *   - an allowed-signers file: one `NAME KEY` per line, `#` comments and
 *     blank lines ignored, KEY either the base64 SPKI DER of an Ed25519 key
 *     (the body of a .pub file) or the path of a .pub file, relative to the
 *     allowed-signers file's folder. */
int rf_trust_load(rf_trust **out, const char *path);

/** Number of keys. */
size_t rf_trust_count(const rf_trust *trust);

/** Name of key `i` (borrowed). */
const char *rf_trust_name(const rf_trust *trust, size_t i);

/** Key `i` (borrowed). */
const rf_key *rf_trust_key(const rf_trust *trust, size_t i);

/** Release the list.  NULL-safe. */
void rf_trust_free(rf_trust *trust);

/* ---- DSSE envelopes ------------------------------------------------- */

/** The in-toto payload type. */
#define RF_DSSE_INTOTO "application/vnd.in-toto+json"
/** Most signatures an envelope may carry. */
#define RF_DSSE_MAX_SIGNATURES 64
/** Most Ed25519 checks of signatures whose keyid names no trusted key
 *  (each one hashes the whole payload), per envelope. */
#define RF_DSSE_MAX_FALLBACK 16
/** Largest envelope (JSON) referee reads. */
#define RF_DSSE_MAX_BYTES ((size_t)256 << 20)

/** Append PAE(type, body) = "DSSEv1" SP len(type) SP type SP len(body) SP
 *  body (lengths in ASCII decimal) to `out`. */
int rf_dsse_pae(rf_buf *out, const char *type, const void *body, size_t len);

/** A DSSE envelope: payload type, payload bytes, signatures.  Opaque. */
typedef struct rf_dsse rf_dsse;

/** A new envelope with no signature, over a copy of `payload`. */
int rf_dsse_new(rf_dsse **out, const char *payload_type, const void *payload,
		size_t len);

/** Parse an envelope from JSON text and check its shape: exactly the keys
 *  payloadType (string), payload (padded base64), signatures (1 to
 *  RF_DSSE_MAX_SIGNATURES objects with `sig` — 64 bytes in base64 — and an
 *  optional string `keyid`), nothing else.  The payload is decoded once
 *  here.  RF_EFORMAT with a message naming `what` otherwise. */
int rf_dsse_parse(rf_dsse **out, const char *json, size_t len, const char *what);

/** Sign PAE(type, payload) with `key`, verify the fresh signature, then
 *  append it with the key's id as keyid.  RF_EEXIST when a signature by the
 *  same key is already there. */
int rf_dsse_sign(rf_dsse *env, const rf_key *key);

/** Append the envelope as JSON (one line, fixed key order, newline). */
int rf_dsse_serialize(rf_buf *out, const rf_dsse *env);

/** Append a Sigstore bundle v0.3 wrapping the envelope, with a publicKey
 *  hint equal to the first signature's keyid. */
int rf_dsse_sigstore_bundle(rf_buf *out, const rf_dsse *env);

/** Payload type (borrowed). */
const char *rf_dsse_payload_type(const rf_dsse *env);
/** Decoded payload bytes (borrowed; NUL-terminated for convenience). */
const char *rf_dsse_payload(const rf_dsse *env, size_t *len);
/** Number of signatures. */
size_t rf_dsse_signature_count(const rf_dsse *env);
/** The keyid hint of signature `i` ("" when absent; borrowed). */
const char *rf_dsse_signature_keyid(const rf_dsse *env, size_t i);
/** Remove signature `i` (for tests and tools that rotate keys). */
int rf_dsse_remove_signature(rf_dsse *env, size_t i);

/** Release an envelope.  NULL-safe. */
void rf_dsse_free(rf_dsse *env);

/** Which trusted keys signed an envelope. */
typedef struct rf_dsse_check {
	size_t signatures;     /**< signatures in the envelope */
	size_t verified;       /**< distinct trusted keys with a valid signature */
	size_t unmatched;      /**< signatures no trusted key verifies */
	char **signers;        /**< names of the verified keys (verified of them) */
	size_t first_unmatched; /**< 1-based index of the first unmatched
				     signature; 0 when every one verified */
	size_t forged;         /**< unmatched signatures whose keyid names a
				    trusted key (altered or forged in its name) */
	size_t first_forged;   /**< 1-based index of the first of those; 0 none */
} rf_dsse_check;

/** Check the signatures against the trusted keys, at bounded cost: a
 *  signature whose keyid names a trusted key is checked against that key
 *  only; one whose keyid names none (or is empty) is tried against the
 *  trusted keys that have not signed yet, at most RF_DSSE_MAX_FALLBACK
 *  checks per envelope; a signature equal to an earlier one is not checked
 *  twice.  The keyid never makes a signature count: only a valid signature
 *  by a trusted key does.  A signature that no trusted key verifies is
 *  ignored (and counted in `unmatched`) when its keyid names no trusted
 *  key — a stranger's — but is evidence of tampering when its keyid names
 *  a trusted key: then the check stops and fails whatever the count.  Fills `check` (release with
 *  rf_dsse_check_free).  Returns 0 when no signature is forged in a
 *  trusted key's name and at least `min_signatures` distinct trusted keys
 *  signed, RF_ECHECK (naming the signature's index and keyid) otherwise. */
int rf_dsse_verify(rf_dsse_check *check, const rf_dsse *env,
		   const rf_trust *trust, size_t min_signatures);

/** Release what rf_dsse_verify() put in `check`.  NULL-safe. */
void rf_dsse_check_free(rf_dsse_check *check);

/* ---- in-toto Statement v1 ------------------------------------------- */

#define RF_INTOTO_STATEMENT_V1 "https://in-toto.io/Statement/v1"
/** referee's predicate type; the version is part of the URI. */
#define RF_PREDICATE_BUNDLE_V1 "https://referee.dev/attestation/bundle/v1"
/** Most subjects a statement may list. */
#define RF_STATEMENT_MAX_SUBJECTS 10000000

/** One subject: a path in the bag and its SHA-256 (64 lowercase hex). */
typedef struct rf_subject {
	char *name;
	char sha256[65];
} rf_subject;

/** A parsed statement.  Opaque; free with rf_statement_free(). */
typedef struct rf_statement rf_statement;

/** Build the statement JSON (appended to `out`): `_type` Statement v1,
 *  the subjects in the given order, `predicateType` `predicate_type`, and
 *  `predicate_json` (a JSON object as text) as the predicate.  Subject
 *  names are checked with rf_path_check_relative(), digests must be 64
 *  lowercase hex, names unique. */
int rf_statement_build(rf_buf *out, const rf_subject *subjects, size_t n,
		       const char *predicate_type, const char *predicate_json);

/** Parse statement bytes (the verified payload): `_type` must be Statement
 *  v1, `subject` a non-empty array of {name, digest{sha256}} with safe,
 *  unique names, `predicateType` a string.  RF_ECHECK naming `what` when
 *  not — a signed payload that is not a valid statement is a failed check. */
int rf_statement_parse(rf_statement **out, const char *json, size_t len,
		       const char *what);

/** Number of subjects. */
size_t rf_statement_subject_count(const rf_statement *st);
/** Subject `i` (borrowed). */
const rf_subject *rf_statement_subject(const rf_statement *st, size_t i);
/** The subject named `name`, or NULL (borrowed; binary search). */
const rf_subject *rf_statement_find(const rf_statement *st, const char *name);
/** The predicate type (borrowed). */
const char *rf_statement_predicate_type(const rf_statement *st);
/** The predicate as compact JSON text with sorted keys (borrowed). */
const char *rf_statement_predicate(const rf_statement *st);

/** Release a statement.  NULL-safe. */
void rf_statement_free(rf_statement *st);


/* ---- the attestation of a bag ---------------------------------------- */

/** Where a bag keeps its attestation (tag files, covered by the tag
 *  manifest): the DSSE envelope, and the same envelope as a Sigstore
 *  bundle v0.3. */
#define RF_ATTEST_DSSE "referee/attestation.dsse.json"
#define RF_ATTEST_SIGSTORE "referee/attestation.sigstore.json"
#define RF_SIGSTORE_BUNDLE_V03 "application/vnd.dev.sigstore.bundle.v0.3+json"

/** Options for rf_attest_verify() and rf_attest_countersign(); start
 *  from RF_ATTEST_OPTS_INIT. */
typedef struct rf_attest_opts {
	/** Trusted keys (borrowed); NULL = signatures are not checked. */
	const rf_trust *trust;
	/** Distinct trusted keys that must have signed (with `trust`; 0 is
	 *  taken as 1). */
	size_t min_signatures;
	/** An unsigned bag is a failed check (an unsigned bag also fails when
	 *  `trust` is given). */
	int require_signature;
	/** Threads hashing the payload (0 = all cores). */
	int threads;
	/** Progress while hashing the payload against the statement (may be
	 *  NULL). */
	rf_progress_fn progress;
	void *progress_ctx;
} rf_attest_opts;

#define RF_ATTEST_OPTS_INIT {NULL, 0, 0, 0, NULL, NULL}

/** The stage at which a verification stopped. */
typedef enum rf_attest_stage {
	RF_ATTEST_STAGE_NONE = 0,    /**< nothing failed */
	RF_ATTEST_STAGE_ENVELOPE,    /**< envelope missing, malformed, bundle disagrees */
	RF_ATTEST_STAGE_SIGNATURES,  /**< too few trusted signatures */
	RF_ATTEST_STAGE_STATEMENT,   /**< statement vs files on disk, bag-info */
	RF_ATTEST_STAGE_BAG          /**< BagIt checks (run by the caller or countersign) */
} rf_attest_stage;

/** What rf_attest_verify() found; release with rf_attest_result_free(). */
typedef struct rf_attest_result {
	int is_signed;           /**< the bag carries an attestation */
	int trust_checked;       /**< signatures were checked against a trust list */
	rf_attest_stage failed;  /**< where it stopped (NONE when it passed) */
	size_t subjects;         /**< subjects matched against files on disk */
	rf_dsse_check check;     /**< signatures and named signers */
	char **keyids;           /**< keyid hints of every signature */
	/** The SHA-256 of every subject as read from disk by stage 3, sorted
	 *  by path: hand it to rf_bag_verify() (rf_verify_opts.known) so the
	 *  BagIt checks do not read the payload a second time. */
	rf_bag_known_digest *digests;
	size_t ndigests;
} rf_attest_result;

/** Short name of a stage ("envelope", "signatures", ...); static. */
const char *rf_attest_stage_name(rf_attest_stage stage);

/** Sign the bag at `bag_dir`: build the in-toto statement (one subject per
 *  manifest-sha256.txt entry plus
 *  referee/provenance.json; predicate RF_PREDICATE_BUNDLE_V1 with the
 *  bag-info fields and the provenance), sign it with `key`, verify the
 *  signature, and write RF_ATTEST_DSSE and RF_ATTEST_SIGSTORE as tag files
 *  (the tag manifest is rewritten).  The bag must already be verified (pack
 *  calls this on the bag it just wrote; sign runs rf_bag_verify first).
 *  RF_EEXIST when the bag is already
 *  signed (countersign it instead). */
int rf_attest_bag(const char *bag_dir, const rf_key *key);

/** Verify the attestation of the bag at `bag_dir`, stopping at the first
 *  failing stage: (1) envelope shape, and the Sigstore bundle wraps the
 *  same envelope; (2) with a trust list, every signature against every
 *  trusted key, at least `min_signatures`; (3) the statement, parsed from
 *  the verified payload bytes only: every payload file on disk is a
 *  subject with its digest, every subject is in the bag, the provenance
 *  file is a subject, bag-info.txt equals the signed one.  The BagIt
 *  checks are the caller's next step (rf_bag_verify), given res->digests
 *  as rf_verify_opts.known so that each payload file is read once.
 *  Returns 0 (also for an unsigned bag unless the options require a
 *  signature: see res->is_signed), RF_ECHECK with a reason, or another
 *  RF_E* code; `res` is filled in every case. */
int rf_attest_verify(rf_attest_result *res, const char *bag_dir,
		     const rf_attest_opts *opts);

/** Release what rf_attest_verify() put in `res`.  NULL-safe. */
void rf_attest_result_free(rf_attest_result *res);

/** Countersign: verify the bag (rf_attest_verify with `opts`, then the
 *  BagIt checks) and require EVERY existing signature to verify against a
 *  key of `opts->trust` — a countersignature vouches for what is already
 *  there, so it must not sit next to a signature nobody checked — then add
 *  `key`'s signature over the same payload and rewrite both attestation
 *  files and the tag manifest.  Nothing is written unless all of that
 *  holds.  RF_EINVAL without a trust list; RF_EEXIST when `key` already
 *  signed; RF_ECHECK when the bag or its attestation does not verify, a
 *  signature is not valid for any trusted key (the message names its
 *  1-based index and keyid), or the bag is unsigned (sign it with
 *  rf_attest_bag instead). */
int rf_attest_countersign(const char *bag_dir, const rf_key *key,
			  const rf_attest_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
