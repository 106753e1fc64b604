/* referee — OpenSSF Model Signing (OMS) v1.0: the digest of a model
 * directory, and signing and verifying it as the specification and its
 * reference implementation (sigstore/model-transparency, `model_signing`)
 * do.
 *
 * Format: a Sigstore bundle v0.3 holding a DSSE envelope (payloadType
 * application/vnd.in-toto+json) whose payload is an in-toto Statement v1
 * with predicateType https://model_signing/signature/v1.0, one subject
 * (the model's name, sha256 = SHA-256 over the concatenated raw digests of
 * the resources, in the order listed) and a predicate of `resources`
 * ({name, algorithm, digest}, sorted by path component by component, shards
 * by path then offsets) and `serialization` ({method files|shards,
 * hash_type, allow_symlinks, ignore_paths, shard_size for shards}). */
#ifndef REFEREE_MODEL_H
#define REFEREE_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "sign.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RF_MODEL_PREDICATE_V1 "https://model_signing/signature/v1.0"
/** The reference implementation's default shard size (bytes). */
#define RF_MODEL_SHARD_SIZE_DEFAULT 1000000000ull
/** Largest signature file referee reads. */
#define RF_MODEL_SIG_MAX ((size_t)256 << 20)
/** Most resources (files or shards) one model may have. */
#define RF_MODEL_MAX_RESOURCES 10000000
/** Default signature file name (ignored inside the model directory). */
#define RF_MODEL_SIG_DEFAULT "model.sig"

/** How a model is cut into resources. */
typedef enum rf_model_method {
	RF_MODEL_FILES = 0,  /**< one resource per file */
	RF_MODEL_SHARDS = 1  /**< one resource per shard of `shard_size` bytes */
} rf_model_method;

/** Options for rf_model_hash(); zero-initialise, then set what you need. */
typedef struct rf_model_opts {
	rf_model_method method;
	uint64_t shard_size;      /**< shards: bytes per shard (0 = default) */
	int allow_symlinks;       /**< hash symlinked files (else refuse them) */
	int keep_git_paths;       /**< do not ignore .git, .gitignore, ... */
	/** Paths to leave out, relative to the model root (files or whole
	 *  folders; borrowed).  Recorded as ignore_paths when signing. */
	const char *const *ignore;
	size_t nignore;
	/** When non-NULL: hash only these files (paths relative to the root;
	 *  verify --ignore-unsigned-files); a missing one is an error. */
	const char *const *only;
	size_t nonly;
	int threads;              /**< 0 = all cores */
} rf_model_opts;

/** A hashed model: its name, serialization and resources.  Opaque. */
typedef struct rf_model rf_model;

/** Walk and hash the model at `path` (a directory, or one regular file,
 *  whose only resource is then "."), never following symlinks unless
 *  `allow_symlinks` (symlinked folders are then skipped, as the reference
 *  implementation does).  Special files are refused. */
int rf_model_hash(rf_model **out, const char *path, const rf_model_opts *opts);

/** The model's name (the last component of its path; borrowed). */
const char *rf_model_name(const rf_model *m);
/** The subject digest: SHA-256 over the resources' digests in order, as
 *  64 lowercase hex (borrowed). */
const char *rf_model_digest(const rf_model *m);
/** Number of resources. */
size_t rf_model_resource_count(const rf_model *m);
/** Resource `i`: name ("path", or "path:start:end" for shards) and its
 *  digest as hex (borrowed). */
const char *rf_model_resource_name(const rf_model *m, size_t i);
const char *rf_model_resource_digest(const rf_model *m, size_t i);
/** Release.  NULL-safe. */
void rf_model_free(rf_model *m);

/** Sign the hashed model with `key` (ECDSA P-256 / P-384 or Ed25519) and
 *  append the Sigstore bundle (JSON) to `out`.  The signature is verified
 *  before it is returned. */
int rf_model_sign(rf_buf *out, const rf_model *m, const rf_key *key);

/** Options for rf_model_verify(). */
typedef struct rf_model_verify_opts {
	/** The signer's public key (key method; borrowed), or NULL. */
	const rf_key *key;
	/** PEM file of trusted root certificates (certificate method), or
	 *  NULL.  The bundle carries the signing certificate and any
	 *  intermediates. */
	const char *ca_file;
	/** Further paths to ignore, relative to the model root (borrowed). */
	const char *const *ignore;
	size_t nignore;
	int ignore_unsigned_files; /**< files not in the signature are ignored */
	int keep_git_paths;
	int threads;
} rf_model_verify_opts;

/** What rf_model_verify() found; release with rf_model_result_free(). */
typedef struct rf_model_result {
	char *name;             /**< the signed subject name */
	char digest[65];        /**< the signed subject digest */
	char method[16];        /**< "files" or "shards" */
	size_t resources;       /**< resources in the signature */
	char **extra;           /**< resources on disk, not signed */
	size_t nextra;
	char **missing;         /**< signed resources not on disk */
	size_t nmissing;
	char **changed;         /**< resources whose digest differs */
	size_t nchanged;
} rf_model_result;

/** Verify the bundle `sig` (`len` bytes of JSON; `what` names it in
 *  messages) against the model at `path`: the bundle's shape, the
 *  signature over PAE(payload) with `opts->key` (whose publicKey.hint, when
 *  present and non-empty, must be SHA-256 of the key's SPKI PEM) or with the
 *  bundle's certificate chained to `opts->ca_file`, the statement (one
 *  subject whose digest matches the resources), then the model re-hashed
 *  with the signed serialization and compared resource by resource.
 *  Liberal in what it accepts: resources in any order, keyid absent, empty
 *  or null, no transparency-log entry, shard_size written as 16.0.
 *  Returns 0, RF_ECHECK (the reason in rf_error_last(), the differing
 *  resources in `res`), RF_EFORMAT for a file that is not JSON, or another
 *  RF_E* code. */
int rf_model_verify(rf_model_result *res, const char *path, const char *sig,
		    size_t len, const char *what,
		    const rf_model_verify_opts *opts);

/** Append the unsigned OMS in-toto statement of `m` (the bytes that
 *  rf_model_sign() signs) to `out`. */
int rf_model_statement(rf_buf *out, const rf_model *m);

/* ---- a model recorded in a bag (pack --model) ------------------------ */

/** Where a bag keeps the OMS statement of a model packed by reference. */
#define RF_MODEL_BAG_FILE "referee/model.json"
/** Prefix of the attestation subject that names the model by its OMS
 *  digest: "model/<model name>". */
#define RF_MODEL_SUBJECT_PREFIX "model/"

/** Write `m`'s statement into the bag at `bag_dir` as RF_MODEL_BAG_FILE (a
 *  tag file; the tag manifest is rewritten). */
int rf_model_bag_record(const char *bag_dir, const rf_model *m);

/** The attestation subject for the model recorded in `bag` (read and
 *  checked: the statement's subject digest must match its resources):
 *  `*name` = "model/<name>" (caller frees), `sha256` = the OMS digest.
 *  Returns 1 when the bag records a model, 0 when it does not, or a
 *  negative RF_E* code (RF_ECHECK for a malformed record). */
int rf_model_bag_subject(char **name, char sha256[65], const rf_bag *bag);

/** Check a signed statement's model subjects against the bag's record:
 *  a recorded model must be a subject with its OMS digest, and a model
 *  subject needs the record.  0 or RF_ECHECK with a reason. */
int rf_model_bag_check_subjects(const rf_bag *bag, const rf_statement *st);

/** 1 when a subject name is a model's (starts with "model/"). */
int rf_model_is_subject(const char *name);

/** Hash the model at `model_dir` as the bag's record says and compare it
 *  resource by resource (rf_model_verify() without a signature: the bag's
 *  own attestation and tag manifest vouch for the record).  RF_ENOTFOUND
 *  when the bag records no model. */
int rf_model_bag_verify(rf_model_result *res, const rf_bag *bag,
			const char *model_dir, const rf_model_verify_opts *opts);

/** verify BAG --model DIR: rf_model_bag_verify() with every difference
 *  (changed, missing, unrecorded file; no record; unreadable model) added
 *  to `report` as a problem of RF_MODEL_BAG_FILE.  0, or RF_ENOMEM. */
int rf_model_bag_check_dir(rf_bag_report *report, const char *bag_dir,
			   const char *model_dir, int threads);

/** Release what rf_model_verify() put in `res`.  NULL-safe. */
void rf_model_result_free(rf_model_result *res);

#ifdef __cplusplus
}
#endif
#endif
