/* referee — review: everything referee can check in a bundle, in one run
 * and one report.
 *
 * Stages, in order:
 *   integrity   the bag verified as `verify` does it (hashes, paths,
 *               provenance, tag manifest); skipped for a plain folder
 *   signatures  the attestation against the trusted keys; skipped for a
 *               plain folder
 *   claims      every folder of the payload holding claims manifests
 *   replays     every replay it holds (recipe.yaml + log.jsonl +
 *               summary.json) re-run and compared, within a time budget
 *   audits      every logged GRPO batch (grpo audit)
 * A bag that does not verify stops the review after the first two stages:
 * nothing in it is believed.  Payload files are hashed once (integrity).
 *
 * Usage, in short:
 *   rf_review_opts o = RF_REVIEW_OPTS_INIT;
 *   rf_review *r;
 *   rf_review_run(&r, "bundle", &o);            // always fills r (but ENOMEM)
 *   rf_review_render(&buf, r, RF_REVIEW_HTML);  // or TEXT, JSON, JUNIT, MARKDOWN
 *   exit(rf_review_exit(r));                    // 0 holds, 1 fails, 2 bad input
 *   rf_review_free(r);
 */
#ifndef REFEREE_REVIEW_H
#define REFEREE_REVIEW_H

#include <stddef.h>

#include "buf.h"
#include "claims.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What happens to the replays a bundle holds. */
typedef enum rf_review_replay_mode {
	RF_REVIEW_REPLAY_FULL = 0, /**< re-run each and compare (default) */
	RF_REVIEW_REPLAY_SKIP      /**< report each as not run */
} rf_review_replay_mode;

/** Called when a stage starts (`detail` NULL) and for each item in it
 *  (a folder, a replay's progress, ...).  Strings are borrowed. */
typedef void (*rf_review_progress_fn)(void *ctx, const char *stage,
				      const char *detail);

/** Options of a review; start from RF_REVIEW_OPTS_INIT. */
typedef struct rf_review_opts {
	/** Trusted keys (a .pub, a folder of them, an allowed-signers file);
	 *  NULL: signatures are not checked, and the report says so. */
	const char *trust;
	/** Distinct trusted signers required (0: 1). */
	size_t min_signatures;
	/** An unsigned bag fails. */
	int require_signature;
	/** Replays: run them or not. */
	rf_review_replay_mode replay;
	/** Seconds of replay time; a replay that would start after it, or is
	 *  still running when it runs out, is reported "not run" (never
	 *  passed).  0: no budget. */
	double budget_s;
	/** Absolute or relative tolerance for a replay's log (0: bit-exact). */
	double tolerance;
	/** Threads (0: all cores). */
	int threads;
	/** Where re-runs are written (a fresh folder made and removed inside
	 *  it); NULL: "/tmp".  The library reads no environment. */
	const char *tmp_dir;
	/** Reviewer's machine for the report: /proc root (NULL: "/proc") and
	 *  the NVML library (NULL: none); `no_hw` leaves the capture out. */
	const char *proc_root;
	const char *nvml_library;
	int no_hw;
	/** The replay device (NULL: cpu) and CUDA module path (NULL: default). */
	const char *device;
	const char *module_path;
	rf_review_progress_fn progress;
	void *progress_ctx;
} rf_review_opts;

/* clang-format off */
#define RF_REVIEW_OPTS_INIT {NULL, 0, 0, RF_REVIEW_REPLAY_FULL, 0, 0, 0, NULL, \
			     NULL, NULL, 0, NULL, NULL, NULL, NULL}
/* clang-format on */

/** A finished review.  Opaque; free with rf_review_free(). */
typedef struct rf_review rf_review;

/** Review the bag or folder at `path`.  *out is set whenever memory
 *  allows, also when the input is unreadable or malformed: the error is
 *  part of the review (its report says it).  Returns 0 when the review
 *  ran (whatever its verdict; see rf_review_exit()), RF_ENOMEM otherwise. */
int rf_review_run(rf_review **out, const char *path, const rf_review_opts *opts);

/** NULL-safe. */
void rf_review_free(rf_review *r);

/** The exit status: the worst of the parts (0 all holds, 1 a check
 *  failed, 2 unreadable or malformed input, 3 internal failure). */
int rf_review_exit(const rf_review *r);

/** "PASS", "FAIL" or "ERROR" (static). */
const char *rf_review_verdict(const rf_review *r);

/** Report formats. */
typedef enum rf_review_format {
	RF_REVIEW_TEXT = 1, /**< the verdict table, for a terminal */
	RF_REVIEW_JSON,     /**< verdict, exit, referee_version, bag, claims,
				 rescore, replays, audits, environment, error */
	RF_REVIEW_HTML,     /**< one self-contained page (inline CSS and SVG) */
	RF_REVIEW_JUNIT,    /**< one test case per check */
	RF_REVIEW_MARKDOWN  /**< a table for a pull request or CI summary */
} rf_review_format;

/** Append the review rendered as `format` to `out`.  Every string that
 *  came from the bundle is escaped for the format. */
int rf_review_render(rf_buf *out, const rf_review *r, rf_review_format format);

#ifdef __cplusplus
}
#endif
#endif
