/* referee — trusted timestamps (RFC 3161) over signatures: obtained from a
 * time-stamping authority over HTTP when signing (libcurl), kept in the bag
 * beside the DSSE envelope and in the Sigstore bundle's
 * verificationMaterial.timestampVerificationData.rfc3161Timestamps, and
 * verified offline with OpenSSL's TS API against a given root. */
#ifndef REFEREE_TSA_H
#define REFEREE_TSA_H

#include <stddef.h>
#include <time.h>

#include "bag.h"
#include "buf.h"
#include "sign.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The bag's timestamps, one per timestamped signature: a JSON array of
 *  {"signature": N (0-based index in the envelope), "rfc3161": base64 DER
 *  TimeStampResp}. */
#define RF_TSA_FILE "referee/attestation.timestamps.json"
/** Largest TSA response accepted. */
#define RF_TSA_MAX_RESPONSE (1u << 20)

/** Ask the TSA at `url` (http or https) for a timestamp over `len` bytes of
 *  `data` (SHA-256 message imprint, a fresh nonce, the TSA's certificate
 *  requested) and append the DER TimeStampResp to `out`.  The response
 *  must be granted and answer this request (imprint and nonce).  Waits at
 *  most `timeout_s` seconds.  RF_EIO (unreachable, HTTP error) or
 *  RF_ECHECK (not a valid answer) with a one-line reason. */
int rf_tsa_request(rf_buf *out, const char *url, const void *data, size_t len,
		   long timeout_s);

/** Verify the DER TimeStampResp `tsr` over `data` offline: signed by a
 *  certificate with the time-stamping extended key usage that chains to a
 *  root in `ca_file`, whose imprint is that of `data`.  `*when` receives
 *  the time it states.  0, or RF_ECHECK with the reason. */
int rf_tsa_verify(time_t *when, const void *tsr, size_t tsrlen, const void *data,
		  size_t len, const char *ca_file);

/** Timestamp the last signature of the bag's attestation (the one just
 *  made) with the TSA at `url`, and record it (RF_TSA_FILE and the Sigstore
 *  bundle; tag manifest rewritten).  Nothing is changed when the TSA fails. */
int rf_tsa_stamp_bag(const char *bag_dir, const char *url, long timeout_s);

/** Restore point for a signing step that a timestamp must follow: the
 *  attestation files and the tag manifest as they are now. */
typedef struct rf_tsa_snapshot rf_tsa_snapshot;
/** Take a snapshot of the bag at `bag_dir`. */
int rf_tsa_snapshot_take(rf_tsa_snapshot **out, const char *bag_dir);
/** Put the snapshot's files back (files it did not have are removed). */
int rf_tsa_snapshot_restore(const rf_tsa_snapshot *s);
/** NULL-safe. */
void rf_tsa_snapshot_free(rf_tsa_snapshot *s);

/** verify --tsa-cert / --require-timestamp: check every recorded timestamp
 *  against the signature it names (each one that does not verify is a
 *  "signature" problem in `report`); a bag with none is a problem only
 *  when `require`.  With `ca_file` NULL, timestamps are not checked (and
 *  `require` fails).  `*checked` receives the number verified and
 *  `*latest` the time stated by the last one.  0, or RF_ENOMEM. */
int rf_tsa_check_bag(rf_bag_report *report, const char *bag_dir,
		     const char *ca_file, int require, size_t *checked,
		     time_t *latest);

#ifdef __cplusplus
}
#endif
#endif
