/* referee — large payload files by reference: BagIt fetch.txt (RFC 8493
 * §2.2.3).  pack leaves files that match a pattern out of the bag and lists
 * them in fetch.txt (URL, size, path) with their manifest lines kept; verify
 * reports such a bag as complete but holey and checks files the user
 * fetched against the manifest.  No network code: users fetch with their
 * own tools. */
#ifndef REFEREE_FETCH_H
#define REFEREE_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "bag.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RF_FETCH_FILE "fetch.txt"
/** Most entries fetch.txt may hold. */
#define RF_FETCH_MAX_ENTRIES 10000000

/** One line of fetch.txt. */
typedef struct rf_fetch_entry {
	const char *url;  /**< borrowed */
	int64_t size;     /**< bytes, or -1 when given as "-" */
	const char *path; /**< "data/...", checked (borrowed) */
} rf_fetch_entry;

/** A parsed fetch.txt.  Opaque; free with rf_fetch_free(). */
typedef struct rf_fetch rf_fetch;

/** Read `bag_dir`/fetch.txt strictly: "URL SIZE PATH" per line (LF or
 *  CRLF), URL without whitespace, SIZE digits or "-", PATH a safe relative
 *  path under data/ listed once.  `*out` is NULL (and 0 returned) when the
 *  bag has no fetch.txt; RF_EFORMAT "fetch.txt:LINE: ..." when malformed. */
int rf_fetch_load(rf_fetch **out, const char *bag_dir);
/** Number of entries. */
size_t rf_fetch_count(const rf_fetch *f);
/** Entry `i` (borrowed). */
const rf_fetch_entry *rf_fetch_at(const rf_fetch *f, size_t i);
/** The entry for `path`, or NULL (NULL-safe in `f`). */
const rf_fetch_entry *rf_fetch_find(const rf_fetch *f, const char *path);
/** NULL-safe. */
void rf_fetch_free(rf_fetch *f);

/** pack --by-reference PATTERN=URL-PREFIX. */
typedef struct rf_fetch_rule {
	const char *pattern;    /**< fnmatch(3) pattern on the path under data/ */
	const char *url_prefix; /**< the URL is prefix + that path (encoded) */
} rf_fetch_rule;

/** Split "PATTERN=URL-PREFIX" (pointers into `arg`, which is modified).
 *  RF_EINVAL when either side is empty or the prefix has whitespace. */
int rf_fetch_rule_parse(rf_fetch_rule *out, char *arg);

/** Make the (finished, verified) bag at `bag_dir` holey: every payload
 *  file whose path under data/ matches a rule (the first rule that
 *  matches gives the URL) is removed from data/ and listed in fetch.txt;
 *  manifest lines and Payload-Oxum keep describing the complete payload.
 *  `*punched` receives the number of files left out.  For pack's
 *  before_commit hook: the bag is pack's own temporary copy. */
int rf_fetch_punch(const char *bag_dir, const rf_fetch_rule *rules,
		   size_t nrules, size_t *punched);

/** 1 when `path` is a hole of the bag: absent from `bag_dir`, listed in
 *  `f`; 0 when not.  When `signed_sha256` is given, a hole's manifest
 *  digest must equal it (RF_ECHECK otherwise): a signed digest then vouches
 *  for what the user will fetch. */
int rf_fetch_is_hole(const rf_fetch *f, const rf_bag *bag, const char *path,
		     const char *signed_sha256);

/** What rf_fetch_resolve() found. */
typedef struct rf_fetch_result {
	size_t entries;   /**< lines of fetch.txt */
	size_t holes;     /**< listed files absent from the bag */
	size_t filled;    /**< of those, found in the fetched folder and equal
			       to their manifest digest */
	size_t open;      /**< holes neither in the bag nor fetched */
} rf_fetch_result;

/** After rf_bag_verify(): treat the bag's holes as holes.  Each "missing"
 *  problem for a path listed in fetch.txt is removed from `report`, and
 *  the Payload-Oxum problem too when the holes account for the
 *  difference.  With `fetched_dir`, a hole found there as
 *  `fetched_dir`/PATH (the bag's own layout: PATH starts with data/) is
 *  hashed and compared with its manifest digest (a "mismatch" problem when
 *  it differs).  Holes still open are "missing" problems naming the file
 *  and its URL unless `allow_holey`.  A bag without fetch.txt is left as
 *  it is.  0, or RF_ENOMEM / RF_EFORMAT (malformed fetch.txt). */
int rf_fetch_resolve(rf_fetch_result *res, rf_bag_report *report,
		     const char *bag_dir, const char *fetched_dir,
		     int allow_holey, int threads);

#ifdef __cplusplus
}
#endif
#endif
